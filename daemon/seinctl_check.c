/*
 * seinctl_check.c - `seinctl check`: the daemon's health in one line, for
 * a monitoring system (Nagios, Icinga, Zabbix, Checkmk: the monitoring
 * plugin conventions). It reads the daemon's status and says OK, WARNING
 * or CRITICAL, with exit status 0, 1 or 2 (3: UNKNOWN, the check itself
 * was given wrong arguments), one line of text naming each problem and,
 * after '|', figures for graphs.
 *
 * What it looks at, all from STATUS:
 *   - the daemon answers on its control socket (CRITICAL if not);
 *   - signals waiting for a partner: the age of the one first in its
 *     queue (WARNING past --pending-warn, 15 minutes by default; CRITICAL
 *     past --pending-crit, 4 hours), with the link state and the last
 *     error for that partner;
 *   - the data store: WARNING from 60 % of the map, with the room kept
 *     for what it holds; CRITICAL while new signals are refused (from
 *     75 %, or after a commit found the map full), and while its
 *     checkpoints fail (a full file system);
 *   - a recover request a partner never answered (WARNING);
 *   - a partner's clock that differs from ours, as read from its frames
 *     within the hour (WARNING from a minute, CRITICAL from 4 minutes:
 *     signals created over 5 minutes ahead of a recipient are refused);
 *   - keys replaced by seinkey rotate without a restart (WARNING, and
 *     CRITICAL once partners refuse the keys the daemon runs with);
 *   - for a day: a signal refused by its recipient (failed: a legal
 *     duty's report that did not arrive), or one from a partner put in
 *     quarantine (WARNING); the times are kept across restarts.
 * Nothing in the line is personal data: partner ids, counts and ages.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "seinctl_audit.h"

enum { CHECK_OK, CHECK_WARNING, CHECK_CRITICAL, CHECK_UNKNOWN };
static const char *const state_name[] = {"OK", "WARNING", "CRITICAL",
                                         "UNKNOWN"};

/* The store's thresholds, as the daemon applies them (seinhuis.h). */
#define STORE_WARN_PCT (SH_STORE_WARN * 100.0)
#define STORE_FULL_PCT (SH_STORE_REFUSE * 100.0)
/* A partner's clock against ours: WARNING from a minute's difference,
 * CRITICAL from 4 minutes, near where signals are refused (SH_AHEAD_MAX_MS:
 * one of the two daemons refuses the other's). */
#define CLOCK_WARN_S 60
#define CLOCK_CRIT_S 240

typedef struct {
	int state;
	char text[400];
} problem;

typedef struct {
	problem *v;
	size_t n;
	int state;
} problems;

static void add(problems *ps, int state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add(problems *ps, int state, const char *fmt, ...)
{
	ps->v = realloc(ps->v, (ps->n + 1) * sizeof(*ps->v));
	if (!ps->v) {
		fprintf(stderr, "seinctl: out of memory\n");
		exit(CHECK_UNKNOWN);
	}
	problem *p = &ps->v[ps->n++];
	p->state = state;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
	if (state > ps->state)
		ps->state = state;
}

static int usage_unknown(void)
{
	fprintf(stderr, "usage: seinctl check [--pending-warn AGE] "
	                "[--pending-crit AGE]\n"
	                "  AGE: N followed by s, m, h or d (at most 366 "
	                "days); defaults 15m and 4h\n");
	printf("SEINHUIS UNKNOWN - wrong arguments to seinctl check\n");
	return CHECK_UNKNOWN;
}

int seinctl_check(const char *sock, int json, int argc, char **argv)
{
	static struct option opts[] = {
	    {"pending-warn", required_argument, 0, 'w'},
	    {"pending-crit", required_argument, 0, 'c'},
	    {0, 0, 0, 0}};
	int64_t warn_s = 15 * 60, crit_s = 4 * 3600;
	int opt;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int64_t *to = opt == 'w' ? &warn_s : &crit_s;
		if (opt != 'w' && opt != 'c') {
			sh_opt_refused("seinctl check", argc, argv, "", opts);
			return usage_unknown();
		}
		if (sh_parse_duration(optarg, 366LL * 86400, to) < 0) {
			/* the value is not repeated: it may be data */
			fprintf(stderr,
			        "seinctl: --pending-%s: the value given is not "
			        "an age (N followed by s, m, h or d; at most "
			        "366 days)\n",
			        opt == 'w' ? "warn" : "crit");
			return usage_unknown();
		}
	}
	if (optind != argc)
		return usage_unknown();
	if (warn_s >= crit_s) {
		fprintf(stderr, "seinctl: --pending-warn must be shorter than "
		                "--pending-crit\n");
		return usage_unknown();
	}

	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	q.op = SEINHUIS__CTL_REQUEST__OP__STATUS;
	Seinhuis__CtlReply *r = NULL;
	problems ps = {NULL, 0, CHECK_OK};
	const Seinhuis__DaemonStatus *s = NULL;
	char why[600] = "";
	int rc = seinctl_call_why(sock, &q, &r, why, sizeof(why));
	if (rc == 0 && !(s = r->status))
		snprintf(why, sizeof(why), "a reply without a status");
	if (!s)
		add(&ps, CHECK_CRITICAL, "no status from seinhuisd on %s: %s",
		    sock, why);
	long long now_s = 0;
	char summary[300] = "", perf[300] = "";
	if (s) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		now_s = (long long)ts.tv_sec;
		double kept = s->store_map_bytes
		                  ? (double)s->store_kept_bytes * 100.0 /
		                        (double)s->store_map_bytes
		                  : 0.0;
		if (s->store_refusing || kept >= STORE_FULL_PCT)
			add(&ps, CHECK_CRITICAL,
			    "data store %.0f%% full: new signals are refused "
			    "(from %.0f%%, and after the map was found full "
			    "until below 65%% in use; raise map_size)",
			    kept, STORE_FULL_PCT);
		else if (kept >= STORE_WARN_PCT)
			add(&ps, CHECK_WARNING,
			    "data store %.0f%% full (new signals are refused "
			    "from %.0f%%)",
			    kept, STORE_FULL_PCT);
		/* the map has room, the disk may not: what was accepted is
		 * safe in the journal, which grows until nothing more fits */
		if (s->checkpoint_failing_ms > 0) {
			char at[32];
			seinctl_fmt_time(at, sizeof(at),
			                 s->checkpoint_failing_ms);
			add(&ps, CHECK_CRITICAL,
			    "data store: checkpoints fail since %s (%.240s): "
			    "new signals are refused once the journal cannot "
			    "grow; make room in the data directory's file "
			    "system",
			    at, s->checkpoint_error);
		}
		/* a restore took the audit log back: for a day, so that the
		 * monitoring shows it and someone runs seinctl recover */
		if (s->audit_rolled_back_ms &&
		    now_s - s->audit_rolled_back_ms / 1000 < 86400)
			add(&ps, CHECK_WARNING,
			    "the audit log was found rolled back (a restored "
			    "store: at start, or by a partner that keeps its "
			    "heads): ask the partners to send again with "
			    "seinctl recover; see seinctl audit list --event "
			    "log_rolled_back");
		/* refusals wait for a person: shown for a day after the last */
		if (s->last_failed_ms &&
		    now_s - s->last_failed_ms / 1000 < 86400) {
			char at[32];
			seinctl_fmt_time(at, sizeof(at), s->last_failed_ms);
			add(&ps, CHECK_WARNING,
			    "a signal was refused by its recipient at %s (%llu "
			    "failed in all): see seinctl outbox --state failed",
			    at, (unsigned long long)s->outbox_failed);
		}
		if (s->last_quarantined_ms &&
		    now_s - s->last_quarantined_ms / 1000 < 86400) {
			char at[32];
			seinctl_fmt_time(at, sizeof(at),
			                 s->last_quarantined_ms);
			add(&ps, CHECK_WARNING,
			    "a partner's signal was put in quarantine at %s: "
			    "see seinctl quarantine list",
			    at);
		}
		/* seinkey rotate without a restart (seinkey(1), rotate) */
		if (s->keys_replaced) {
			long long until = s->keys_replaced_until_ms / 1000;
			char left[24] = "";
			if (until > now_s)
				seinctl_fmt_dur(left, sizeof(left),
				                (until - now_s) * 1000);
			add(&ps, until > now_s ? CHECK_WARNING : CHECK_CRITICAL,
			    "the daemon runs with keys its key directory "
			    "replaced (seinkey rotate): restart it once every "
			    "partner trusted the new card; %s%s",
			    until > now_s ? "partners accept its keys for "
			                  : "partners refuse its keys "
			                    "(KEY_EXPIRED)",
			    left);
		}
		size_t up = 0;
		long long oldest = 0;
		for (size_t i = 0; i < s->n_peers; i++) {
			const Seinhuis__PeerStatus *p = s->peers[i];
			if (p->connected)
				up++;
			if (p->recover_answered_ms < 0)
				add(&ps, CHECK_WARNING,
				    "%s never answered the recover request "
				    "(seinctl status)",
				    p->partner);
			/* clocks: read from its frames within the hour */
			long long off = (long long)p->clock_offset_ms / 1000;
			long long mag = off < 0 ? -off : off;
			if (p->clock_read_ms &&
			    now_s - p->clock_read_ms / 1000 < 3600 &&
			    mag >= CLOCK_WARN_S)
				add(&ps,
				    mag >= CLOCK_CRIT_S ? CHECK_CRITICAL
				                        : CHECK_WARNING,
				    "%s: its clock is %lld s %s ours: signals "
				    "created more than %d s ahead of their "
				    "recipient's clock are refused; check both "
				    "machines' time synchronisation (NTP)",
				    p->partner, mag,
				    off < 0 ? "behind" : "ahead of",
				    SH_AHEAD_MAX_MS / 1000);
			if (!p->pending || p->oldest_pending_ms <= 0)
				continue;
			long long age = now_s - p->oldest_pending_ms / 1000;
			if (age < 0)
				age = 0; /* a clock a little behind the daemon's
				          */
			if (age > oldest)
				oldest = age;
			if (age < warn_s)
				continue;
			char a[24];
			seinctl_fmt_dur(a, sizeof(a), age * 1000);
			add(&ps, age >= crit_s ? CHECK_CRITICAL : CHECK_WARNING,
			    "%s: %llu signal(s) waiting, the first for %s "
			    "(link %s%s%.120s)",
			    p->partner, (unsigned long long)p->pending, a,
			    p->link, p->last_error[0] ? "; last error: " : "",
			    p->last_error);
		}
		snprintf(summary, sizeof(summary),
		         "%s (%s): %zu partner(s), %zu link(s) up; %llu "
		         "pending, %llu failed; inbox %llu; store %.0f%%",
		         s->partner, s->role, s->n_peers, up,
		         (unsigned long long)s->outbox_pending,
		         (unsigned long long)s->outbox_failed,
		         (unsigned long long)s->inbox_depth, kept);
		snprintf(perf, sizeof(perf),
		         "pending=%llu failed=%llu inbox=%llu "
		         "store=%.1f%%;%.0f;%.0f;0;100 "
		         "oldest_pending=%llds;%lld;%lld;0",
		         (unsigned long long)s->outbox_pending,
		         (unsigned long long)s->outbox_failed,
		         (unsigned long long)s->inbox_depth, kept,
		         STORE_WARN_PCT, STORE_FULL_PCT, oldest,
		         (long long)warn_s, (long long)crit_s);
	}
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(
		    o, "state", json_object_new_string(state_name[ps.state]));
		json_object_object_add(o, "exit",
		                       json_object_new_int(ps.state));
		json_object_object_add(o, "summary",
		                       json_object_new_string(summary));
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < ps.n; i++) {
			json_object *po = json_object_new_object();
			json_object_object_add(
			    po, "state",
			    json_object_new_string(state_name[ps.v[i].state]));
			json_object_object_add(
			    po, "text", json_object_new_string(ps.v[i].text));
			json_object_array_add(arr, po);
		}
		json_object_object_add(o, "problems", arr);
		seinctl_print_json(o);
	} else {
		/* the worst first, then the rest, then the summary */
		printf("SEINHUIS %s - ", state_name[ps.state]);
		int first = 1;
		for (int st = CHECK_CRITICAL; st >= CHECK_WARNING; st--)
			for (size_t i = 0; i < ps.n; i++)
				if (ps.v[i].state == st) {
					printf("%s%s", first ? "" : "; ",
					       ps.v[i].text);
					first = 0;
				}
		if (summary[0])
			printf("%s%s", first ? "" : "; ", summary);
		if (perf[0])
			printf(" | %s", perf);
		printf("\n");
	}
	free(ps.v);
	if (r)
		seinhuis__ctl_reply__free_unpacked(r, NULL);
	return ps.state;
}
