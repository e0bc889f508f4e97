/*
 * log.c - the daemon's log.
 *
 * Lines go to standard error (systemd's journal picks them up) or to syslog.
 * By rule, a log line names message ids, partner ids, key fingerprints and
 * pseudonyms only; callers never pass a field value of a signal here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "seinhuis.h"

static const char *log_ident = "seinhuis";
static int log_level = SH_LOG_INFO;
static int log_syslog;
static int log_journal; /* standard error is the journal's stream */

/* Is standard error systemd's journal? systemd sets JOURNAL_STREAM to the
 * device and inode of the stream it connects; a redirected stderr (a file,
 * a pipe of our own) no longer matches. The journal then takes each line's
 * priority from a "<N>" in front and adds its own time stamp. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void sh_log_init(const char *ident, int level, int to_syslog)
{
	log_ident = ident;
	log_level = level;
	log_syslog = to_syslog;
	/* here, on the main thread before any other runs */
	log_journal = !to_syslog && stderr_is_journal();
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int sh_log_level_parse(const char *s)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return -1;
}

void sh_log(int level, const char *fmt, ...)
{
	static const char *tag[] = {"error", "warn", "info", "debug"};
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char line[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	if (log_journal) {
		fprintf(stderr, "<%d>%s[%s] %s\n", prio[level], log_ident,
		        tag[level], line);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s[%s] %s\n", when, ts.tv_nsec / 1000000,
	        log_ident, tag[level], line);
}
