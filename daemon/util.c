/*
 * util.c - small helpers every program uses: time, hex, files with safe
 * modes, growable buffers and the names of signal types and roles.
 *
 * Files that hold secrets are created with O_EXCL and mode 0600 in one
 * step, so there is no moment at which they exist with a wider mode, and
 * an existing file is never overwritten by accident.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "seinhuis.h"

int sh_no_core_dumps(void)
{
	/* both: RLIMIT_CORE 0 stops a core file, and a process that is not
	 * dumpable is not written by a core_pattern pipe (systemd-coredump)
	 * either, nor read or traced by other processes of the same user */
	struct rlimit rl = {0, 0};
	int r = setrlimit(RLIMIT_CORE, &rl);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		r = -1;
	return r;
}

int64_t sh_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sh_fmt_utc(char *out, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms < 0 || !gmtime_r(&t, &tm) ||
	    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, n, "%lld ms", (long long)ms);
}

/* ------------------------------------------------ the Dutch calendar */

/* Days since 1970-01-01 of a date in the proleptic Gregorian calendar,
 * and back (H. Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Day of the week of a day number: 0 Sunday (1970-01-01 was a
 * Thursday). */
static int week_day(int64_t days)
{
	return (int)(((days + 4) % 7 + 7) % 7);
}

/* The last Sunday of month m (31 days long: March, October) of year y, at
 * 01:00 UTC, in seconds since the epoch: when the Netherlands change to
 * and from summer time. */
static int64_t last_sunday_1utc(int64_t y, int m)
{
	int64_t last = days_from_civil(y, m, 31);
	return (last - week_day(last)) * 86400 + 3600;
}

/* The Dutch offset from UTC at t (seconds since the epoch): 3600 or
 * 7200. */
static int nl_offset(int64_t t)
{
	int64_t y;
	int m, d;
	civil_from_days(floor_div(t, 86400), &y, &m, &d);
	return t >= last_sunday_1utc(y, 3) && t < last_sunday_1utc(y, 10)
	           ? 7200
	           : 3600;
}

void sh_date_nl(int64_t ms, char out[11])
{
	int64_t t = floor_div(ms, 1000), y;
	int m, d;
	civil_from_days(floor_div(t + nl_offset(t), 86400), &y, &m, &d);
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	/* "%04d-%02d-%02d" by hand: the recipient asks for the date of
	 * every signal it checks, and snprintf was most of the cost */
	int yy = (int)y;
	out[0] = (char)('0' + yy / 1000);
	out[1] = (char)('0' + yy / 100 % 10);
	out[2] = (char)('0' + yy / 10 % 10);
	out[3] = (char)('0' + yy % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

void sh_time_nl(int64_t ms, struct tm *tm)
{
	int64_t t = floor_div(ms, 1000), y;
	int off = nl_offset(t), m, d;
	int64_t local = t + off, days = floor_div(local, 86400);
	int64_t sec = local - days * 86400;
	civil_from_days(days, &y, &m, &d);
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = m - 1;
	tm->tm_mday = d;
	tm->tm_hour = (int)(sec / 3600);
	tm->tm_min = (int)(sec / 60 % 60);
	tm->tm_sec = (int)(sec % 60);
	tm->tm_wday = week_day(days);
	tm->tm_yday = (int)(days - days_from_civil(y, 1, 1));
	tm->tm_isdst = off == 7200;
	tm->tm_gmtoff = off;
	tm->tm_zone = off == 7200 ? "CEST" : "CET";
}

void sh_fmt_nl(char *out, size_t n, int64_t ms)
{
	struct tm tm;
	if (ms <= 0) {
		snprintf(out, n, "-");
		return;
	}
	sh_time_nl(ms, &tm);
	if (strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, n, "%lld ms", (long long)ms);
}

int64_t sh_nl_to_ms(int64_t y, int m, int d, int hh, int mi, int ss)
{
	int64_t local =
	    days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss;
	/* summer time if that reading is summer time, else winter time */
	int64_t t =
	    nl_offset(local - 7200) == 7200 ? local - 7200 : local - 3600;
	return t * 1000;
}

/* Easter Sunday of year y (Gregorian): its day number. The computus as
 * an arithmetic (the anonymous Gregorian algorithm). */
static int64_t easter_day(int64_t y)
{
	int64_t a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
	int64_t f = (b + 8) / 25, g = (b - f + 1) / 3;
	int64_t h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
	int64_t l = (32 + 2 * e + 2 * i - h - k) % 7;
	int64_t mm = (a + 11 * h + 22 * l) / 451;
	int month = (int)((h + l - 7 * mm + 114) / 31);
	int day = (int)((h + l - 7 * mm + 114) % 31 + 1);
	return days_from_civil(y, month, day);
}

const char *sh_holiday_nl(int64_t y, int m, int d)
{
	/* (Ascension Day can fall on 5 May, even on 30 April) */
	int64_t from_easter = days_from_civil(y, m, d) - easter_day(y);
	if (from_easter == 1 || from_easter == 39 || from_easter == 50)
		return from_easter == 1    ? "Easter Monday"
		       : from_easter == 39 ? "Ascension Day"
		                           : "Whit Monday";
	if (m == 1 && d == 1)
		return "New Year's Day";
	if (m == 12 && (d == 25 || d == 26))
		return d == 25 ? "Christmas Day" : "Boxing Day";
	/* the monarch's birthday: moved a day earlier from a Sunday */
	int royal = y >= 2014 ? 27 : 30;
	if (m == 4 && (d == royal ? week_day(days_from_civil(y, 4, d)) != 0
	                          : d == royal - 1 && week_day(days_from_civil(
	                                                  y, 4, royal)) == 0))
		return y >= 2014 ? "King's Day" : "Queen's Day";
	if (m == 5 && d == 5 && y % 5 == 0)
		return "Liberation Day";
	return NULL;
}

int64_t sh_plus_days_nl(int64_t ms, int n, int working)
{
	struct tm start;
	sh_time_nl(ms, &start);
	int64_t day = days_from_civil((int64_t)start.tm_year + 1900,
	                              start.tm_mon + 1, start.tm_mday);
	for (int added = 0; added < n;) {
		int64_t y;
		int m, d, wd = week_day(++day);
		civil_from_days(day, &y, &m, &d);
		if (!working || (wd != 0 && wd != 6 && !sh_holiday_nl(y, m, d)))
			added++;
	}
	int64_t y;
	int m, d;
	civil_from_days(day, &y, &m, &d);
	return sh_nl_to_ms(y, m, d, start.tm_hour, start.tm_min, start.tm_sec) +
	       (ms - floor_div(ms, 1000) * 1000);
}

int64_t sh_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t sh_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sh_hex(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int sh_unhex(uint8_t *out, size_t n, const char *in)
{
	if (strlen(in) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((unsigned char)in[2 * i]);
		int lo = hexval((unsigned char)in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Z85, ZeroMQ's text form of keys (ZeroMQ RFC 32): each 4 bytes, read
 * as a big-endian number, are 5 base-85 digits from this alphabet. Here
 * so that the tools that only read and write key text (seinctl, seinkey)
 * need not load libzmq and the libraries it brings. */
static const char z85_digits[] =
    "0123456789abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

void sh_z85_encode(char *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i += 4) {
		uint32_t v = (uint32_t)in[i] << 24 | (uint32_t)in[i + 1] << 16 |
		             (uint32_t)in[i + 2] << 8 | in[i + 3];
		for (int k = 4; k >= 0; k--) {
			out[k] = z85_digits[v % 85];
			v /= 85;
		}
		out += 5;
	}
	*out = '\0';
}

int sh_z85_decode(uint8_t *out, size_t n, const char *in)
{
	if (n % 4 != 0 || strlen(in) != n / 4 * 5)
		return -1;
	for (size_t i = 0; i < n; i += 4, in += 5) {
		uint64_t v = 0;
		for (int k = 0; k < 5; k++) {
			const char *d =
			    in[k] ? strchr(z85_digits, in[k]) : NULL;
			if (!d)
				return -1;
			v = v * 85 + (uint64_t)(d - z85_digits);
		}
		if (v > UINT32_MAX) /* "%%%%%" is 85^5 - 1, above 2^32 - 1 */
			return -1;
		out[i] = (uint8_t)(v >> 24);
		out[i + 1] = (uint8_t)(v >> 16);
		out[i + 2] = (uint8_t)(v >> 8);
		out[i + 3] = (uint8_t)v;
	}
	return 0;
}

int sh_partner_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > SH_PARTNER_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(islower(c) || isdigit(c) || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
	}
	return isalnum((unsigned char)s[0]);
}

const char *sh_role_valid(const char *s)
{
	static const char *roles[] = {"municipality_debt",
	                              "municipality_team",
	                              "landlord",
	                              "energy",
	                              "water",
	                              "health_insurer",
	                              "veilig_thuis",
	                              "professional"};
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(s, roles[i]) == 0)
			return roles[i];
	return NULL;
}

static const char *type_names[] = {
    [SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED] = "unspecified",
    [SEINHUIS__SIGNAL_TYPE__ARREARS] = "arrears",
    [SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT] = "meldcode_report",
    [SEINHUIS__SIGNAL_TYPE__VT_NOTICE] = "vt_notice",
    [SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK] = "status_feedback",
    [SEINHUIS__SIGNAL_TYPE__REFERRAL] = "referral",
    [SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION] = "consent_revocation",
};

const char *sh_signal_type_name(Seinhuis__SignalType t)
{
	if ((int)t < 0 ||
	    (size_t)t >= sizeof(type_names) / sizeof(type_names[0]))
		return "unknown";
	return type_names[t];
}

Seinhuis__AcuteMark sh_signal_acute(const Seinhuis__Signal *s)
{
	return s->type == SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT &&
	               s->payload_case == SEINHUIS__SIGNAL__PAYLOAD_MELDCODE &&
	               s->meldcode && strcmp(s->meldcode->urgency, "acute") == 0
	           ? SEINHUIS__ACUTE_MARK__ACUTE_YES
	           : SEINHUIS__ACUTE_MARK__ACUTE_NOT;
}

Seinhuis__SignalType sh_signal_type_parse(const char *s)
{
	for (size_t i = 1; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(s, type_names[i]) == 0)
			return (Seinhuis__SignalType)i;
	return SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED;
}

void *sh_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		sh_error("out of memory allocating %zu bytes", n);
		abort();
	}
	return p;
}

void *sh_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p) {
		sh_error("out of memory allocating %zu x %zu bytes", n, m);
		abort();
	}
	return p;
}

char *sh_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = sh_xmalloc(n);
	memcpy(p, s, n);
	return p;
}

/* Splits s in place into words at spaces and tabs: w[] points into s, at
 * most max of them; returns the count. */
int sh_split_words(char *s, char **w, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(s, " \t", &save); t && n < max;
	     t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	return n;
}

char *sh_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Read all of fd (at most max bytes) and close it. The chunk buffer on
 * the stack held the file's bytes (a secret key, say): wiped. */
static sh_err read_fd(int fd, size_t max, char **out, size_t *len)
{
	sh_buf b = {0};
	char chunk[8192];
	ssize_t r;
	sh_err e = SH_OK;
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = SH_ERR_SYS;
			break;
		}
		if (b.len + (size_t)r > max) {
			/* callers say strerror(errno): "File too large" */
			errno = EFBIG;
			e = SH_ERR_WIRE_SIZE;
			break;
		}
		sh_buf_add(&b, chunk, (size_t)r);
	}
	int saved = errno;
	sh_wipe(chunk, sizeof(chunk));
	close(fd);
	errno = saved;
	if (e != SH_OK) {
		sh_buf_free(&b);
		return e;
	}
	sh_buf_add(&b, "", 1);
	*out = (char *)b.data;
	*len = b.len - 1;
	return SH_OK;
}

sh_err sh_read_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? SH_ERR_NOTFOUND : SH_ERR_SYS;
	return read_fd(fd, max, out, len);
}

int sh_open_regular(const char *path, struct stat *st)
{
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer;
	 * symbolic links are followed (a key directory may link its files
	 * elsewhere), and what is checked is what was opened */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -2;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

sh_err sh_read_fd(int fd, size_t max, char **out, size_t *len)
{
	return read_fd(fd, max, out, len);
}

sh_err sh_read_regular(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	int fd = sh_open_regular(path, &st);
	if (fd == -2)
		return SH_ERR_KEYFILE;
	if (fd < 0)
		return errno == ENOENT ? SH_ERR_NOTFOUND : SH_ERR_SYS;
	return read_fd(fd, max, out, len);
}

sh_err sh_read_setting(const char *path, size_t max, const char *max_text,
                       char **out, size_t *len, const char **why_out)
{
	static _Thread_local char why[96];
	struct stat st;
	const char *w = why;
	sh_err e;
	int fd = sh_open_regular(path, &st);
	if (fd == -2) {
		snprintf(why, sizeof(why), "%s, not a regular file",
		         sh_file_type_name(st.st_mode));
		e = SH_ERR_CONFIG;
	} else if (fd < 0) {
		w = errno == ENOENT ? "no such file" : strerror(errno);
		e = errno == ENOENT ? SH_ERR_NOTFOUND : SH_ERR_SYS;
	} else if ((e = read_fd(fd, max, out, len)) == SH_ERR_WIRE_SIZE) {
		snprintf(why, sizeof(why), "larger than %s", max_text);
	} else if (e != SH_OK) {
		w = strerror(errno);
	}
	if (why_out)
		*why_out = w;
	return e;
}

const char *sh_file_type_name(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	                     : "not a regular file";
}

static sh_err write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return SH_ERR_SYS;
		}
		p += w;
		len -= (size_t)w;
	}
	return SH_OK;
}

sh_err sh_write_new(const char *path, int mode, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == EEXIST ? SH_ERR_EXISTS : SH_ERR_SYS;
	sh_err e = write_all(fd, data, len);
	if (e == SH_OK && (fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0))
		e = SH_ERR_SYS;
	int saved = errno;
	close(fd);
	if (e != SH_OK)
		unlink(path);
	errno = saved;
	return e;
}

sh_err sh_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return SH_ERR_SYS;
	int r = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return r < 0 && errno != EINVAL ? SH_ERR_SYS : SH_OK;
}

/* The directory part of path (".": none), in out of size n. */
static void dir_of(char *out, size_t n, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, n, ".");
	else if (slash == path)
		snprintf(out, n, "/");
	else
		snprintf(out, n, "%.*s", (int)(slash - path), path);
}

/* NAME.tmp.PID beside path whose PID no longer runs: the copy of a
 * sh_write_replace cut short (a crash, a kill -9). Created at the mode of
 * the file it was to replace (0600 for a secret key), never wider; removed
 * here so that a secret does not linger in it. A PID of another PID
 * namespace looks gone: that writer's rename then fails and it says so. */
static void remove_stale_tmp(const char *path)
{
	char dir[1024], tmp[1100];
	dir_of(dir, sizeof(dir), path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t bl = strlen(base);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (strncmp(n, base, bl) != 0 || strncmp(n + bl, ".tmp.", 5))
			continue;
		char *end;
		errno = 0;
		long pid = strtol(n + bl + 5, &end, 10);
		if (errno || *end || end == n + bl + 5 || pid <= 0 ||
		    pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s", dir, n) <
		    sizeof(tmp))
			unlink(tmp);
	}
	closedir(d);
}

sh_err sh_write_replace(const char *path, int mode, const void *data,
                        size_t len)
{
	char tmp[1024], dir[1024];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path,
	                     (int)getpid()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return SH_ERR_SYS;
	}
	remove_stale_tmp(path);
	unlink(tmp);
	sh_err e = sh_write_new(tmp, mode, data, len);
	if (e != SH_OK)
		return e;
	if (rename(tmp, path) < 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return SH_ERR_SYS;
	}
	/* the rename itself is on disk only once the directory is */
	dir_of(dir, sizeof(dir), path);
	return sh_fsync_dir(dir);
}

sh_err sh_mkdir_p(const char *path, int mode)
{
	char buf[1024];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return SH_ERR_USAGE;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
				return SH_ERR_SYS;
			buf[i] = c;
		}
	}
	return SH_OK;
}

/* A direct-mapped table per thread of (descriptor, name) -> field, found
 * ones and missing ones alike, each checked against the whole name. The
 * slot comes from the name's first and last eight bytes and its length:
 * a collision costs a look-up, never a wrong answer. */
#define PB_CACHE_BITS 10
struct pb_slot {
	const ProtobufCMessageDescriptor *d;
	const ProtobufCFieldDescriptor *f;
	char name[48];
};

const ProtobufCFieldDescriptor *sh_pb_field(const ProtobufCMessageDescriptor *d,
                                            const char *name)
{
	static _Thread_local struct pb_slot slots[1u << PB_CACHE_BITS];
	size_t n = strlen(name);
	uint64_t a = 0, b = 0;
	memcpy(&a, name, n < 8 ? n : 8);
	if (n > 8)
		memcpy(&b, name + n - 8, 8);
	uint64_t h = (a * 0x9e3779b97f4a7c15u) ^ (b * 0xc2b2ae3d27d4eb4fu) ^
	             ((uint64_t)(uintptr_t)d << 8) ^ n;
	h *= 0xff51afd7ed558ccdu;
	struct pb_slot *s = &slots[h >> (64 - PB_CACHE_BITS)];
	if (n < sizeof(s->name) && s->d == d &&
	    memcmp(s->name, name, n + 1) == 0)
		return s->f;
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(d, name);
	if (n < sizeof(s->name)) {
		s->d = d;
		s->f = f;
		memcpy(s->name, name, n + 1);
	}
	return f;
}

/* What isspace, isalnum and tolower answer in the C locale, which the
 * programs keep (none calls setlocale), without a library call per byte:
 * the values of every signal pass through here, some 500 bytes. */
/* sh_key_fold's answer per byte, with house 0 and 1: the byte it keeps,
 * or KF_DROP. Written out by the compiler from the rules, so that a
 * value costs a look-up a byte, not its chain of range tests (the sender
 * folds every field of every signal for its natural key and digest). */
#define KF_DROP     0x100
#define KF_UPPER(c) ((c) >= 'A' && (c) <= 'Z')
#define KF_ALNUM(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9'))
#define KF_SPACE(c) ((c) == ' ' || ((c) >= '\t' && (c) <= '\r'))
#define KF(c, house)                                                           \
	(KF_UPPER(c)             ? (c) - 'A' + 'a'                             \
	 : KF_ALNUM(c)           ? (c)                                         \
	 : KF_SPACE(c)           ? KF_DROP                                     \
	 : (house) && (c) < 0x80 ? KF_DROP                                     \
	                         : (c))
#define KF4(c, h)  KF(c, h), KF(c + 1, h), KF(c + 2, h), KF(c + 3, h)
#define KF16(c, h) KF4(c, h), KF4(c + 4, h), KF4(c + 8, h), KF4(c + 12, h)
#define KF64(c, h) KF16(c, h), KF16(c + 16, h), KF16(c + 32, h), KF16(c + 48, h)
#define KF256(h)   KF64(0, h), KF64(64, h), KF64(128, h), KF64(192, h)
static const uint16_t key_fold_tab[2][256] = {{KF256(0)}, {KF256(1)}};

size_t sh_key_fold(char *out, size_t max, const char *v, size_t vl, int house)
{
	const uint16_t *t = key_fold_tab[house != 0];
	size_t o = 0;
	for (size_t j = 0; j < vl && o < max; j++) {
		uint16_t f = t[(unsigned char)v[j]];
		if (f != KF_DROP)
			out[o++] = (char)f;
	}
	return o;
}

void sh_copy_str(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

void sh_buf_add(sh_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		/* not realloc: buffers carry personal data (requests, sealed
		 * content before sealing), and the old block is wiped before
		 * it goes back to the allocator */
		uint8_t *d = malloc(cap);
		if (!d) {
			sh_error("out of memory growing a buffer to %zu bytes",
			         cap);
			abort();
		}
		if (b->data) {
			memcpy(d, b->data, b->len);
			sh_wipe(b->data, b->cap);
			free(b->data);
		}
		b->data = d;
		b->cap = cap;
	}
	if (n && p)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void sh_buf_printf(sh_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sh_buf_add(b, NULL, 0);
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t old = b->len;
		sh_buf_add(b, NULL, (size_t)n + 1);
		b->len = old;
	}
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sh_buf_free(sh_buf *b)
{
	if (b->data)
		sh_wipe(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int sh_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		size_t extra;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			extra = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			extra = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			extra = 3, cp = c & 0x07;
		else
			return 0;
		if (i + extra >= n)
			return 0;
		for (size_t k = 1; k <= extra; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((extra == 2 && cp < 0x800) ||
		    (extra == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += extra + 1;
	}
	return 1;
}

void sh_step_words(char *out, size_t n, const Seinhuis__CaseStep *s)
{
	const char *part[5];
	char by[40], when[40];
	size_t k = 0, len = 0;
	if (n)
		out[0] = 0;
	if (s->contact_how[0]) {
		snprintf(by, sizeof(by), "by %s", s->contact_how);
		part[k++] = by;
	}
	if (s->contact_reached[0])
		part[k++] = strcmp(s->contact_reached, "yes") == 0
		                ? "reached"
		                : "not reached";
	if (s->part_of_day[0]) {
		snprintf(when, sizeof(when), "in the %s", s->part_of_day);
		part[k++] = when;
	}
	if (s->crisis)
		part[k++] = "crisis";
	if (s->warm_handover)
		part[k++] = "warm hand-over";
	for (size_t i = 0; i < k && len < n; i++) {
		int w = snprintf(out + len, n - len, "%s%s", i ? ", " : "",
		                 part[i]);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

int sh_fs_free_note(char *out, size_t n, const char *dir)
{
	struct statvfs v;
	out[0] = '\0';
	if (statvfs(dir, &v) != 0)
		return -1;
	unsigned long long kib =
	    (unsigned long long)v.f_bavail * v.f_frsize / 1024;
	snprintf(out, n, "%llu KiB free in the file system of %s", kib, dir);
	return kib < 16384 ? 1 : 0;
}

void sh_opt_refused(const char *prog, int argc, char *const argv[],
                    const char *shortopts, const struct option *longopts)
{
	/* the tool for the --help hint: prog up to its first space */
	int toollen = (int)strcspn(prog, " ");
	const char *arg =
	    optind >= 1 && optind - 1 < argc ? argv[optind - 1] : NULL;
	int is_long = arg && strncmp(arg, "--", 2) == 0;
	const struct option *lo = NULL;
	for (size_t i = 0; optopt && longopts && longopts[i].name; i++)
		if (!longopts[i].flag && longopts[i].val == optopt) {
			lo = &longopts[i];
			break;
		}
	const char *sc = optopt > 0 && optopt < 128 && optopt != ':' &&
	                         optopt != '+' && optopt != '-' && shortopts
	                     ? strchr(shortopts, optopt)
	                     : NULL;
	if (is_long && lo && lo->has_arg == required_argument) {
		fprintf(stderr, "%s: option --%s needs a value\n", prog,
		        lo->name);
	} else if (is_long && lo && lo->has_arg == no_argument) {
		fprintf(stderr,
		        "%s: option --%s takes no value (the value given is "
		        "not repeated: it may be data)\n",
		        prog, lo->name);
	} else if (!is_long && sc && sc[1] == ':') {
		/* a short option of ours that lacks its argument */
		if (lo)
			fprintf(stderr, "%s: option -%c (--%s) needs a value\n",
			        prog, optopt, lo->name);
		else
			fprintf(stderr, "%s: option -%c needs a value\n", prog,
			        optopt);
	} else {
		fprintf(stderr,
		        "%s: an option is not known or lacks its argument "
		        "(not repeated: it may be data); see %.*s --help\n",
		        prog, toollen, prog);
	}
}

/* Edits from a to b (optimal string alignment: insert, delete, change,
 * swap of neighbours), or 3 for anything further or longer than 63. */
static int edits_upto2(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63 || (la > lb ? la - lb : lb - la) > 2)
		return 3;
	unsigned char d[64][64];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned char)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned char)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < c)
				c = d[i - 2][j - 2] + 1;
			d[i][j] = (unsigned char)(c > 3 ? 3 : c);
		}
	return d[la][lb];
}

const char *sh_nearest_word(const char *w, const char *const *list, size_t n)
{
	const char *best = NULL;
	int bd = 3, ties = 0;
	for (size_t i = 0; i < n; i++) {
		int e = edits_upto2(w, list[i]);
		if (e < bd)
			best = list[i], bd = e, ties = 0;
		else if (e == bd && best)
			ties++;
	}
	return bd <= 2 && !ties ? best : NULL;
}
