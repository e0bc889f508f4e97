/*
 * clockshift.c - a preloaded library that moves a daemon's wall clock, for
 * the tests that need the clock set back or forward (it_witness_clock.sh):
 *
 *   LD_PRELOAD=libclockshift.so SH_CLOCK_SHIFT_S=-3600 seinhuisd ...
 *
 * Every way the daemon and its libraries read the wall clock is moved by
 * SH_CLOCK_SHIFT_S seconds (a whole number, negative for the past):
 * clock_gettime of CLOCK_REALTIME (and its coarse variant), gettimeofday
 * and time. The monotonic clocks are left alone: timers and timeouts run
 * as before, as they do on a machine whose clock was set back. The clock
 * is read with the system call itself, not through the C library, so that
 * the library's own entry points can be replaced here without looking
 * them up. Not for the sanitizer builds: their runtime must come first in
 * the list of libraries, and the tests skip there.
 */
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long shift_s;

/* Read before main and before any thread, and never changed after; also
 * read at the first call, should another library's constructor ask the
 * time before this one ran (the value is the same either way). */
static void clockshift_read(void)
{
	const char *v = getenv("SH_CLOCK_SHIFT_S");
	shift_s = v ? strtoll(v, NULL, 10) : 0;
}

__attribute__((constructor)) static void clockshift_init(void)
{
	clockshift_read();
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	static int read_once;
	if (!read_once) {
		clockshift_read();
		read_once = 1;
	}
	long r = syscall(SYS_clock_gettime, clk, ts);
	if (r == 0 && (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE))
		ts->tv_sec += (time_t)shift_s;
	return (int)r;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;
	(void)tz; /* obsolete: the C library fills it with zeros too */
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t time(time_t *t)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (time_t)-1;
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
