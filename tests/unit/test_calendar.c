/*
 * test_calendar.c - the Dutch calendar of util.c: local time by hand
 * (sh_time_nl, sh_nl_to_ms, sh_fmt_nl), the public holidays that are a day
 * off (sh_holiday_nl, Easter by the computus) and the working days a
 * first conversation is due in (sh_plus_days_nl). Known dates of several
 * years, then sweeps compared with the system's Europe/Amsterdam zone
 * where it is installed (this program has one thread: it may set TZ).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define N(a) (sizeof(a) / sizeof(*(a)))

/* "YYYY-MM-DD HH:MM:SS", Dutch local time, to ms */
static int64_t nl(const char *s)
{
	int y, m, d, hh, mi, ss;
	if (sscanf(s, "%d-%d-%d %d:%d:%d", &y, &m, &d, &hh, &mi, &ss) != 6)
		abort();
	return sh_nl_to_ms(y, m, d, hh, mi, ss);
}

/* Easter Sunday, from published calendars: Easter Monday, Ascension Day
 * (39 days after Easter) and Whit Monday (50) follow from it. */
static void test_easter(void)
{
	static const char *const easter[] = {
	    "2000-04-23", "2001-04-15", "2002-03-31", "2003-04-20",
	    "2004-04-11", "2005-03-27", "2006-04-16", "2007-04-08",
	    "2008-03-23", "2009-04-12", "2010-04-04", "2011-04-24",
	    "2012-04-08", "2013-03-31", "2014-04-20", "2015-04-05",
	    "2016-03-27", "2017-04-16", "2018-04-01", "2019-04-21",
	    "2020-04-12", "2021-04-04", "2022-04-17", "2023-04-09",
	    "2024-03-31", "2025-04-20", "2026-04-05", "2027-03-28",
	    "2028-04-16", "2029-04-01", "2030-04-21", "2031-04-13",
	    "2032-03-28", "2033-04-17", "2034-04-09", "2035-03-25",
	    "1818-03-22", "2285-03-22", "1943-04-25"};
	static const struct {
		int after;
		const char *name;
	} moved[] = {
	    {1, "Easter Monday"}, {39, "Ascension Day"}, {50, "Whit Monday"}};
	for (size_t i = 0; i < N(easter); i++) {
		char at[32];
		snprintf(at, sizeof(at), "%s 12:00:00", easter[i]);
		int64_t sunday = nl(at);
		struct tm tm;
		sh_time_nl(sunday, &tm);
		check_case("Easter %s", easter[i]);
		CHECK_INT(tm.tm_wday, 0);
		CHECK(sh_holiday_nl(tm.tm_year + 1900, tm.tm_mon + 1,
		                    tm.tm_mday) == NULL);
		for (size_t k = 0; k < N(moved); k++) {
			sh_time_nl(sunday + moved[k].after * 86400000LL, &tm);
			check_case("Easter %s + %d", easter[i], moved[k].after);
			const char *h = sh_holiday_nl(
			    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
			CHECK_STR(h, moved[k].name);
			CHECK_INT(tm.tm_wday, moved[k].after == 39 ? 4 : 1);
		}
		/* Good Friday is a working day */
		sh_time_nl(sunday - 2 * 86400000LL, &tm);
		check_case("Good Friday before %s", easter[i]);
		CHECK(sh_holiday_nl(tm.tm_year + 1900, tm.tm_mon + 1,
		                    tm.tm_mday) == NULL);
	}
}

static void test_holidays(void)
{
	static const struct {
		int y, m, d;
		const char *name; /* NULL: a working day (if a weekday) */
	} day[] = {
	    {2026, 1, 1, "New Year's Day"},
	    {2027, 1, 1, "New Year's Day"},
	    {2026, 12, 25, "Christmas Day"},
	    {2026, 12, 26, "Boxing Day"},
	    {2027, 12, 27, NULL}, /* no day in lieu for a Sunday */
	    {2026, 12, 24, NULL},
	    {2026, 12, 31, NULL},
	    {2026, 4, 27, "King's Day"},
	    {2026, 4, 26, NULL},
	    {2025, 4, 26, "King's Day"}, /* the 27th a Sunday */
	    {2025, 4, 27, NULL},
	    {2014, 4, 26, "King's Day"},
	    {2031, 4, 26, "King's Day"},
	    {2031, 4, 27, NULL},
	    {2027, 4, 27, "King's Day"},
	    {2013, 4, 30, "Queen's Day"},
	    {2006, 4, 29, "Queen's Day"},
	    {2006, 4, 30, NULL},
	    {2025, 5, 5, "Liberation Day"},
	    {2030, 5, 5, "Liberation Day"},
	    {2026, 5, 5, NULL}, /* not a general day off this year */
	    {2027, 5, 5, NULL},
	    {2026, 4, 3, NULL}, /* Good Friday */
	    {2026, 4, 6, "Easter Monday"},
	    {2026, 5, 14, "Ascension Day"},
	    {2026, 5, 25, "Whit Monday"},
	    {2024, 5, 9, "Ascension Day"},
	    {2024, 5, 20, "Whit Monday"},
	    {2024, 4, 1, "Easter Monday"},
	    {2026, 6, 15, NULL},
	};
	for (size_t i = 0; i < N(day); i++) {
		check_case("holiday %04d-%02d-%02d", day[i].y, day[i].m,
		           day[i].d);
		const char *h = sh_holiday_nl(day[i].y, day[i].m, day[i].d);
		if (day[i].name)
			CHECK_STR(h, day[i].name);
		else if (!CHECK(h == NULL))
			printf("     got \"%s\"\n", h);
	}
}

/* Due times: 3 working days, 4 weeks; in Dutch local time. */
static void test_plus_days(void)
{
	static const struct {
		const char *from;
		int n, working;
		const char *due;
	} at[] = {
	    /* Saturday 00:30: Monday, Tuesday, Wednesday */
	    {"2026-12-12 00:30:00", 3, 1, "2026-12-16 00:30:00"},
	    /* Christmas on Friday and Saturday */
	    {"2026-12-23 10:00:00", 3, 1, "2026-12-29 10:00:00"},
	    {"2026-12-24 10:00:00", 3, 1, "2026-12-30 10:00:00"},
	    /* New Year's Day on Thursday */
	    {"2025-12-31 09:15:00", 3, 1, "2026-01-06 09:15:00"},
	    /* Good Friday counts, Easter Monday does not */
	    {"2026-04-02 10:00:00", 3, 1, "2026-04-08 10:00:00"},
	    /* King's Day on Monday */
	    {"2026-04-24 16:00:00", 3, 1, "2026-04-30 16:00:00"},
	    /* Liberation Day: a day off in 2025, a working day in 2026 */
	    {"2025-05-02 11:00:00", 3, 1, "2025-05-08 11:00:00"},
	    {"2026-05-04 11:00:00", 3, 1, "2026-05-07 11:00:00"},
	    /* Ascension Day and the Friday after */
	    {"2026-05-13 08:00:00", 3, 1, "2026-05-19 08:00:00"},
	    /* Whit Monday */
	    {"2026-05-22 08:00:00", 3, 1, "2026-05-28 08:00:00"},
	    /* the same time of day across the change to summer time, and
	     * back to winter time */
	    {"2026-03-27 10:00:00", 3, 1, "2026-04-01 10:00:00"},
	    {"2026-10-10 10:00:00", 28, 0, "2026-11-07 10:00:00"},
	    /* calendar days: holidays and weekends count */
	    {"2026-12-23 10:00:00", 28, 0, "2027-01-20 10:00:00"},
	};
	char got[32];
	for (size_t i = 0; i < N(at); i++) {
		check_case("%s plus %d%s days", at[i].from, at[i].n,
		           at[i].working ? " working" : "");
		sh_fmt_nl(
		    got, sizeof(got),
		    sh_plus_days_nl(nl(at[i].from), at[i].n, at[i].working));
		CHECK_STR(got, at[i].due);
	}
	/* the moments of the review, in UTC: a signal at Friday 23:30 UTC
	 * (Saturday 00:30 in the Netherlands) is due Tuesday 23:30 UTC,
	 * whatever the machine's zone; the milliseconds are kept */
	check_case("Friday 2026-12-11 23:30:00.250 UTC");
	CHECK_INT(sh_plus_days_nl(1797031800250, 3, 1), 1797377400250);
	check_case("Wednesday 2026-12-23 09:00 UTC");
	CHECK_INT(sh_plus_days_nl(1798016400000, 3, 1), 1798534800000);
}

/* Wall-clock times the clock shows twice or skips, and the format. */
static void test_local(void)
{
	check_case("the hour shown twice is read as summer time");
	CHECK_INT(sh_nl_to_ms(2026, 10, 25, 2, 30, 0), 1792888200000);
	check_case("the hour skipped is read as winter time");
	CHECK_INT(sh_nl_to_ms(2026, 3, 29, 2, 30, 0), 1774747800000);
	char s[32];
	check_case("sh_fmt_nl");
	sh_fmt_nl(s, sizeof(s), 1797031800000);
	CHECK_STR(s, "2026-12-12 00:30:00");
	sh_fmt_nl(s, sizeof(s), 1792888200000);
	CHECK_STR(s, "2026-10-25 02:30:00");
	sh_fmt_nl(s, sizeof(s), 1792888200000 + 3600000);
	CHECK_STR(s, "2026-10-25 02:30:00");
	sh_fmt_nl(s, sizeof(s), 0);
	CHECK_STR(s, "-");
}

/* sh_time_nl and sh_nl_to_ms against the system's zone, 1997 to 2037. */
static void test_sweep(void)
{
	const char *old = getenv("TZ");
	char *keep = old ? strdup(old) : NULL;
	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	struct tm probe;
	time_t summer = 1782000000; /* June 2026 */
	if (localtime_r(&summer, &probe) && probe.tm_gmtoff == 7200) {
		check_case("sh_time_nl and sh_nl_to_ms against the "
		           "Europe/Amsterdam zone, 1997 to 2037");
		int bad = 0;
		for (time_t x = 852076800; x < 2145916800 && bad < 5;
		     x += 1777) {
			struct tm want, got;
			localtime_r(&x, &want);
			sh_time_nl((int64_t)x * 1000, &got);
			int64_t back = sh_nl_to_ms(
			    got.tm_year + 1900, got.tm_mon + 1, got.tm_mday,
			    got.tm_hour, got.tm_min, got.tm_sec);
			/* the second pass of the hour shown twice reads
			 * back as its first */
			int ok = want.tm_year == got.tm_year &&
			         want.tm_mon == got.tm_mon &&
			         want.tm_mday == got.tm_mday &&
			         want.tm_hour == got.tm_hour &&
			         want.tm_min == got.tm_min &&
			         want.tm_sec == got.tm_sec &&
			         want.tm_wday == got.tm_wday &&
			         want.tm_yday == got.tm_yday &&
			         want.tm_isdst == got.tm_isdst &&
			         want.tm_gmtoff == got.tm_gmtoff &&
			         (back == (int64_t)x * 1000 ||
			          (!got.tm_isdst &&
			           back == ((int64_t)x - 3600) * 1000));
			if (!CHECK(ok)) {
				printf("     at %lld\n", (long long)x);
				bad++;
			}
		}
	} else {
		printf("note: no Europe/Amsterdam zone here: sweep skipped\n");
	}
	if (keep)
		setenv("TZ", keep, 1);
	else
		unsetenv("TZ");
	tzset();
	free(keep);
}

int main(void)
{
	/* the machine's zone must not matter: run in one far from ours */
	setenv("TZ", "Pacific/Kiritimati", 1);
	tzset();
	test_easter();
	test_holidays();
	test_plus_days();
	test_local();
	test_sweep();
	return check_done();
}
