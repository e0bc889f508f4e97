/*
 * seinctl_audit.c - the audit log from seinctl: for administrators and
 * supervisors (list, export, verify, head, prove, report), for outside
 * auditors (check-proof, which needs no daemon), for a resident's right to
 * inspect (subject), and the caseworker's reveal.
 *
 * Files that an auditor keeps are JSON: `audit head` prints a signed tree
 * head, `audit prove` a proof with the heads it is made against, and
 * `audit check-proof` reads them back. Hashes, keys and signatures are hex.
 *
 * `report` is computed from the audit log alone: the daemon's entries
 * (audit list), or an export made earlier (--from FILE, JSON lines). Per
 * week (ISO week, Dutch time) or month and per partner and signal type it
 * counts, for the entries in the period:
 *   received   received entries except duplicates
 *   refused    rejected entries (on arrival), also per rule
 *   delivered  delivered entries (into the inbox)
 *   taken      taken entries; for each, the time from the delivered entry
 *              of the same message id to it, whose median and 90th
 *              percentile are nearest-rank (the smallest time such that at
 *              least half, or 90%, of the times are not longer)
 *   reveals, retention removals
 * and, for signals this partner sent: accepted, refused at submission,
 * sent, confirmed (receipt delivered or duplicate), rejected by the
 * partner (receipt rejected). Every column but reveals counts signals:
 * a message id once per row, however many entries it has there (a signal
 * sent again after a restart has a sent entry per transmission); entries
 * without one count each. Reveals counts every reveal: a signal opened
 * twice is two disclosures.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "csv.h"
#include "policy.h"
#include "seinctl_audit.h"

#define TIMEOUT_MS 120000
#define PAGE       10000

static int json_out;

/* ------------------------------------------------------------ helpers */

static int call(const char *sock, Seinhuis__CtlRequest *req,
                Seinhuis__CtlReply **rep)
{
	return seinctl_call(sock, req, rep);
}

static json_object *hex_json(const uint8_t *p, size_t n)
{
	char *h = sh_xmalloc(2 * n + 1);
	sh_hex(h, p, n);
	json_object *o = json_object_new_string(h);
	free(h);
	return o;
}

/* Dutch local time, whatever the caller's TZ */
static void fmt_local(char *out, size_t n, int64_t us)
{
	sh_fmt_nl(out, n, us / 1000);
}

static void fmt_utc(char *out, size_t n, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char base[32];
	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%06lldZ", base, (long long)(us % 1000000));
}

/* Text from the daemon shown on a terminal: printable ASCII and UTF-8
 * only, no control characters. */
static const char *safe(const char *s, char *buf, size_t n)
{
	size_t o = 0;
	for (; s && *s && o + 1 < n; s++)
		buf[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	buf[o] = '\0';
	return buf;
}

/* "2026-11-23", "2026-11-23T10:00[:00]" (Dutch local time, whatever the
 * caller's TZ: sh_nl_to_ms) or "@SECONDS",
 * from 1970 to 9999; a date that is not in the calendar (2026-02-30,
 * 25:00) is refused, not moved to another. */
int seinctl_parse_time(const char *s, int64_t *us)
{
	const long long last = 253402300799LL; /* 9999-12-31T23:59:59Z */
	if (s[0] == '@') {
		char *end;
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);
		if (end == s + 1 || *end || errno ||
		    !isdigit((unsigned char)s[1]) || v > last || v == 0)
			return -1; /* (0 means no bound to the daemon) */
		*us = (int64_t)v * 1000000;
		return 0;
	}
	/* exactly the forms named: sscanf alone also read "2026-12-7",
	 * " 2026-12-07" and "T1:2" */
	static const char *const form[] = {"dddd-dd-dd", "dddd-dd-ddTdd:dd",
	                                   "dddd-dd-ddTdd:dd:dd"};
	size_t len = strlen(s);
	int formed = 0;
	for (size_t f = 0; f < 3 && !formed; f++) {
		if (len != strlen(form[f]))
			continue;
		formed = 1;
		for (size_t i = 0; i < len && formed; i++)
			formed = form[f][i] == 'd'
			             ? isdigit((unsigned char)s[i]) != 0
			         : form[f][i] == 'T'
			             ? s[i] == 'T' || s[i] == ' '
			             : s[i] == form[f][i];
	}
	if (!formed)
		return -1;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &n) != 3)
		return -1;
	const char *rest = s + n;
	if (*rest == 'T' || *rest == ' ') {
		int m = 0;
		if (sscanf(rest + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min,
		           &m) != 2)
			return -1;
		rest += 1 + m;
		if (*rest == ':') {
			if (sscanf(rest + 1, "%2d%n", &tm.tm_sec, &m) != 1)
				return -1;
			rest += 1 + m;
		}
	}
	if (*rest)
		return -1;
	if (tm.tm_year < 1970 || tm.tm_year > 9999 || tm.tm_hour < 0 ||
	    tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
	    tm.tm_sec < 0 || tm.tm_sec > 59)
		return -1;
	char day[11];
	snprintf(day, sizeof(day), "%04d-%02d-%02d", tm.tm_year, tm.tm_mon,
	         tm.tm_mday);
	if (!sh_date_ok(day)) /* the calendar, leap years included */
		return -1;
	int64_t ms = sh_nl_to_ms(tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour,
	                         tm.tm_min, tm.tm_sec);
	if (ms <= 0) /* before 1970 in UTC, or the start itself: no bound */
		return -1;
	*us = ms * 1000;
	return 0;
}

/* Hex of any even length; NULL (a JSON null where text belongs) is not. */
static int unhex_var(const char *h, sh_buf *out)
{
	if (!h)
		return -1;
	size_t n = strlen(h);
	if (n % 2)
		return -1;
	uint8_t *b = sh_xmalloc(n / 2 + 1);
	int rc = sh_unhex(b, n / 2, h);
	if (rc == 0)
		sh_buf_add(out, b, n / 2);
	free(b);
	return rc;
}

static json_object *entry_json(const Seinhuis__AuditEntry *e)
{
	json_object *o = json_object_new_object();
	char t[48];
	fmt_utc(t, sizeof(t), e->time_us);
	json_object_object_add(o, "index",
	                       json_object_new_int64((int64_t)e->index));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "time_us", json_object_new_int64(e->time_us));
	json_object_object_add(
	    o, "event", json_object_new_string(sh_audit_event_name(e->event)));
	json_object_object_add(o, "outcome",
	                       json_object_new_string(e->outcome));
	json_object_object_add(o, "rule", json_object_new_string(e->rule));
	json_object_object_add(o, "message_id",
	                       hex_json(e->message_id.data, e->message_id.len));
	json_object_object_add(o, "partner",
	                       json_object_new_string(e->partner));
	json_object_object_add(
	    o, "type",
	    json_object_new_string(e->type ? sh_signal_type_name(e->type)
	                                   : ""));
	json_object_object_add(o, "subject",
	                       hex_json(e->subject.data, e->subject.len));
	json_object_object_add(o, "case_key",
	                       hex_json(e->case_key.data, e->case_key.len));
	json_object_object_add(o, "household",
	                       hex_json(e->household.data, e->household.len));
	if (e->n_other_persons) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < e->n_other_persons; i++)
			json_object_array_add(
			    a, hex_json(e->other_persons[i].data,
			                e->other_persons[i].len));
		json_object_object_add(o, "other_persons", a);
	}
	json_object_object_add(o, "legal_basis",
	                       json_object_new_string(e->legal_basis));
	json_object_object_add(o, "user", json_object_new_string(e->user));
	if (e->user[0])
		json_object_object_add(o, "uid", json_object_new_int64(e->uid));
	else
		json_object_object_add(o, "uid", NULL);
	json_object_object_add(o, "role", json_object_new_string(e->role));
	json_object_object_add(o, "reason", json_object_new_string(e->reason));
	json_object_object_add(o, "detail", json_object_new_string(e->detail));
	return o;
}

static json_object *head_json(const Seinhuis__SignedTreeHead *h)
{
	json_object *o = json_object_new_object();
	char t[48];
	fmt_utc(t, sizeof(t), h->timestamp_ms * 1000);
	json_object_object_add(o, "kind", json_object_new_string("tree_head"));
	json_object_object_add(o, "partner",
	                       json_object_new_string(h->partner));
	json_object_object_add(o, "tree_size",
	                       json_object_new_int64((int64_t)h->tree_size));
	json_object_object_add(o, "root_hash",
	                       hex_json(h->root_hash.data, h->root_hash.len));
	json_object_object_add(o, "timestamp_ms",
	                       json_object_new_int64(h->timestamp_ms));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "sign_key",
	                       hex_json(h->sign_key.data, h->sign_key.len));
	json_object_object_add(o, "signature",
	                       hex_json(h->signature.data, h->signature.len));
	return o;
}

/* ---------------------------------------------------------- filtering */

typedef struct {
	Seinhuis__CtlRequest q;
	int64_t since, until;
	char *partner, *type, *event, *id, *case_key;
	size_t limit; /* 0: all */
	int more;     /* fetch: the limit was reached, more entries match */
} filter;

static const struct option filter_opts[] = {
    {"since", required_argument, 0, 'S'},
    {"until", required_argument, 0, 'U'},
    {"partner", required_argument, 0, 'p'},
    {"type", required_argument, 0, 't'},
    {"event", required_argument, 0, 'e'},
    {"id", required_argument, 0, 'i'},
    {"case-key", required_argument, 0, 'k'},
    {"limit", required_argument, 0, 'l'},
    {"format", required_argument, 0, 'f'},
    {0, 0, 0, 0}};

/* --since is from, --until before: a range whose start is not before its
 * end holds nothing, and is a mistake (swapped, or a day given twice).
 * 1 after saying so, else 0. */
static int range_refused(int64_t since, int64_t until)
{
	if (!since || !until || since < until)
		return 0;
	fprintf(stderr,
	        "seinctl: --since must be before --until (--since is the "
	        "first moment taken in, --until the first left out): %s\n",
	        since == until ? "the range is empty; for one day give "
	                         "--until the day after"
	                       : "the range is reversed");
	return 1;
}

/* Returns 0, or 2 after printing what is wrong. format may be NULL when
 * the command takes no --format. */
static int parse_filter(int argc, char **argv, filter *f, const char **format)
{
	int opt;
	uint32_t lim;
	memset(f, 0, sizeof(*f));
	optind =
	    0; /* re-initialise: seinctl's own options stop at the command */
	int li = 0;
	while ((opt = getopt_long(argc, argv, "", filter_opts, &li)) != -1) {
		/* the option's own name, as given in full or abbreviated */
		const char *name = opt == '?' ? "" : filter_opts[li].name;
		int64_t *when = opt == 'S' ? &f->since : &f->until;
		char **slot = opt == 'p'   ? &f->partner
		              : opt == 't' ? &f->type
		              : opt == 'e' ? &f->event
		              : opt == 'i' ? &f->id
		                           : &f->case_key;
		switch (opt) {
		case 'S':
		case 'U':
		case 'p':
		case 't':
		case 'e':
		case 'i':
		case 'k':
			if (opt == 'S' || opt == 'U' ? *when != 0 : !!*slot) {
				/* one value a filter: a second would
				 * replace the first in silence */
				fprintf(stderr,
				        "seinctl: --%s given twice: a filter "
				        "takes one value (run one query per "
				        "value)\n",
				        name);
				return 2;
			}
			if ((opt == 'S' || opt == 'U') &&
			    seinctl_parse_time(optarg, when) < 0) {
				fprintf(stderr,
				        "seinctl: --%s: give YYYY-MM-DD, "
				        "YYYY-MM-DDTHH:MM[:SS] or @SECONDS (a "
				        "real date, 1970 to 9999)\n",
				        name);
				return 2;
			}
			/* an id or key that no entry can hold is bad usage
			 * (exit 2), as a bad --event is, not a refusal */
			uint8_t k[32];
			if ((opt == 'i' &&
			     sh_unhex(k, SH_ID_LEN, optarg) < 0) ||
			    (opt == 'k' && sh_unhex(k, 32, optarg) < 0)) {
				fprintf(stderr, "seinctl: --%s: %s\n", name,
				        opt == 'i' ? "a message id is 32 hex "
				                     "digits"
				                   : "a case key or pseudonym "
				                     "is 64 hex digits");
				return 2;
			}
			if (opt != 'S' && opt != 'U')
				*slot = optarg;
			break;
		case 'l':
			if (sh_parse_u32(optarg, 1, 100000000, &lim) < 0) {
				fprintf(stderr,
				        "seinctl: --limit: a number from "
				        "1 to 100000000\n");
				return 2;
			}
			f->limit = lim;
			break;
		case 'f':
			if (format) {
				*format = optarg;
				break;
			}
			/* fall through */
		default:
			if (opt == '?')
				sh_opt_refused("seinctl audit", argc, argv, "",
				               filter_opts);
			else
				fprintf(stderr,
				        "seinctl: see 'seinctl --help' for the "
				        "audit options\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr,
		        "seinctl: an unexpected argument after the options "
		        "(not repeated: it may be data)\n");
		return 2;
	}
	/* bad usage, found before the daemon is asked (exit 2) */
	if (range_refused(f->since, f->until))
		return 2;
	if (f->event && !sh_audit_event_parse(f->event)) {
		fprintf(stderr, "seinctl: --event: not an event; one of:");
		for (int i = 1; strcmp(sh_audit_event_name(i), "unknown"); i++)
			fprintf(stderr, " %s", sh_audit_event_name(i));
		fprintf(stderr, "\n");
		return 2;
	}
	if (f->type && !sh_signal_type_parse(f->type)) {
		fprintf(stderr, "seinctl: --type: not a signal type of the "
		                "catalogue (see seinctl(1))\n");
		return 2;
	}
	return 0;
}

typedef int (*entry_fn)(void *ctx, const Seinhuis__AuditEntry *e);

/* Fetch the entries that pass the filter, page by page. */
static int fetch_pages(const char *sock, filter *f, entry_fn fn, void *ctx,
                       size_t *bad)
{
	uint64_t start = 0;
	size_t got = 0;
	for (;;) {
		Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
		Seinhuis__CtlReply *r;
		q.op = SEINHUIS__CTL_REQUEST__OP__AUDIT_LIST;
		q.since_us = f->since;
		q.until_us = f->until;
		q.partner = f->partner ? f->partner : "";
		q.type = f->type ? f->type : "";
		q.event = f->event ? f->event : "";
		q.message_id = f->id ? f->id : "";
		q.case_key = f->case_key ? f->case_key : "";
		q.start_index = start;
		size_t want = f->limit ? f->limit - got : PAGE;
		q.limit = (uint32_t)(want > PAGE ? PAGE : want);
		int rc = call(sock, &q, &r);
		if (rc)
			return rc;
		*bad += r->undecodable;
		for (size_t i = 0; i < r->n_audit_entries; i++) {
			Seinhuis__AuditEntry *e = seinhuis__audit_entry__unpack(
			    NULL, r->audit_entries[i].len,
			    r->audit_entries[i].data);
			if (!e) {
				++*bad;
				continue;
			}
			int stop = fn(ctx, e);
			seinhuis__audit_entry__free_unpacked(e, NULL);
			got++;
			if (stop)
				break;
		}
		start = r->next_index;
		seinhuis__ctl_reply__free_unpacked(r, NULL);
		if (start && f->limit && got >= f->limit)
			f->more = 1;
		if (start == 0 || (f->limit && got >= f->limit))
			return 0;
	}
}

/* An entry that does not decode is damaged: a listing or an export that
 * left it out in silence would look complete. */
static int fetch(const char *sock, filter *f, entry_fn fn, void *ctx)
{
	size_t bad = 0;
	int rc = fetch_pages(sock, f, fn, ctx, &bad);
	if (bad)
		fprintf(stderr,
		        "seinctl: %zu damaged entr%s in this range of the "
		        "audit log (not decodable), not listed: seinctl audit "
		        "verify names them\n",
		        bad, bad == 1 ? "y" : "ies");
	return rc;
}

/* ----------------------------------------------------- list and export */

struct print_ctx {
	const char *format; /* table, jsonl, csv, json */
	json_object *arr;
	size_t n;
};

/* Quoted where needed only: scripts read these lines with cut and grep. */
static void csv_field(const char *s, int last)
{
	sh_csv_cell(stdout, s, 0, last);
}

static const char *csv_cols[] = {
    "index",      "time",    "time_us", "event",   "outcome",  "rule",
    "message_id", "partner", "type",    "subject", "case_key", "legal_basis",
    "user",       "uid",     "role",    "reason",  "detail",   "household"};
#define N_CSV (sizeof(csv_cols) / sizeof(csv_cols[0]))

static void table_header(void)
{
	printf("%6s  %-19s  %-17s  %-15s  %-24s  %-15s  %-32s  %-20s  %s\n",
	       "INDEX", "TIME", "EVENT", "OUTCOME", "PARTNER", "TYPE",
	       "MESSAGE ID", "USER (ROLE)", "RULE / DETAIL");
}

static int print_entry(void *vctx, const Seinhuis__AuditEntry *e)
{
	struct print_ctx *c = vctx;
	c->n++;
	if (strcmp(c->format, "json") == 0) {
		json_object_array_add(c->arr, entry_json(e));
	} else if (strcmp(c->format, "jsonl") == 0) {
		json_object *o = entry_json(e);
		printf("%s\n", json_object_to_json_string_ext(
		                   o, JSON_C_TO_STRING_PLAIN |
		                          JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else if (strcmp(c->format, "csv") == 0) {
		json_object *o = entry_json(e);
		for (size_t i = 0; i < N_CSV; i++) {
			json_object *v;
			const char *s = "";
			if (json_object_object_get_ex(o, csv_cols[i], &v) && v)
				s = json_object_get_string(v);
			csv_field(s, i + 1 == N_CSV);
		}
		json_object_put(o);
	} else {
		char t[32], id[33] = "-", b1[80], b2[80], b3[200],
		            who[100] = "";
		if (c->n == 1)
			table_header();
		fmt_local(t, sizeof(t), e->time_us);
		if (e->message_id.len == SH_ID_LEN)
			sh_hex(id, e->message_id.data, SH_ID_LEN);
		if (e->user[0])
			snprintf(who, sizeof(who), "%s (%s)", e->user, e->role);
		char note[300];
		snprintf(note, sizeof(note), "%s%s%s%s%s", e->rule,
		         e->rule[0] && (e->detail[0] || e->reason[0]) ? ": "
		                                                      : "",
		         e->reason[0] ? "reason: " : "", e->reason,
		         e->reason[0] ? "" : e->detail);
		printf("%6llu  %-19s  %-17s  %-15s  %-24s  %-15s  %-32s  %-20s "
		       " %s\n",
		       (unsigned long long)e->index, t,
		       sh_audit_event_name(e->event), safe(e->outcome, b1, 16),
		       safe(e->partner, b2, 25),
		       e->type ? sh_signal_type_name(e->type) : "-", id,
		       who[0] ? who : "-", safe(note, b3, sizeof(b3)));
	}
	return 0;
}

static int cmd_list(const char *sock, int argc, char **argv, int export)
{
	filter f;
	const char *format = export ? "jsonl" : NULL;
	int rc = parse_filter(argc, argv, &f, export ? &format : NULL);
	if (rc)
		return rc;
	if (export && strcmp(format, "jsonl") && strcmp(format, "csv")) {
		fprintf(stderr, "seinctl: --format jsonl or csv\n");
		return 2;
	}
	if (!export && !f.limit)
		f.limit = 1000;
	struct print_ctx pc = {export     ? format
	                       : json_out ? "json"
	                                  : "table",
	                       NULL, 0};
	if (strcmp(pc.format, "json") == 0)
		pc.arr = json_object_new_array();
	if (strcmp(pc.format, "csv") == 0)
		for (size_t i = 0; i < N_CSV; i++)
			csv_field(csv_cols[i], i + 1 == N_CSV);
	rc = fetch(sock, &f, print_entry, &pc);
	if (pc.arr) {
		if (rc == 0)
			seinctl_print_json(pc.arr);
		else
			json_object_put(pc.arr);
	}
	if (rc == 0 && strcmp(pc.format, "table") == 0)
		printf("%zu entries%s\n", pc.n,
		       f.more ? " (the limit: more entries match; raise "
		                "--limit or narrow the filter)"
		              : "");
	else if (rc == 0 && f.more)
		fprintf(stderr,
		        "seinctl: %zu entries, the limit: more entries match; "
		        "raise --limit or narrow the filter\n",
		        pc.n);
	return rc;
}

/* -------------------------------------------------------------- verify */

/* What no partner anchors: the entries after the newest head of this log
 * a partner handed back as kept. Whoever holds this machine's files holds
 * its signing key too, and can cut off the end of the log and sign again;
 * only the entries a partner holds a head of are beyond that. */
static void print_anchored(const Seinhuis__AuditVerifyResult *v, const char *at)
{
	char pb[80];
	unsigned long long a = v->anchored_size, n = v->entries;
	if (!a) {
		if (n)
			printf("  note: no partner has confirmed holding a "
			       "head of this "
			       "log yet: entries 0..%llu are not yet anchored "
			       "by any "
			       "partner\n",
			       n ? n - 1 : 0);
		return;
	}
	printf("  anchored: partner %s confirmed holding the head at size "
	       "%llu (signed %s)\n",
	       safe(v->anchored_by, pb, sizeof(pb)), a, at);
	if (n > a)
		printf("  note: entries %llu..%llu are not yet anchored by any "
		       "partner\n",
		       a, n - 1);
	else if (a > n)
		printf("  note: a partner confirmed holding a head over %llu "
		       "entries and the log holds %llu: it went back\n",
		       a, n);
}

static int cmd_verify(const char *sock)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	Seinhuis__CtlReply *r;
	q.op = SEINHUIS__CTL_REQUEST__OP__AUDIT_VERIFY;
	int rc = call(sock, &q, &r);
	if (rc)
		return rc;
	const Seinhuis__AuditVerifyResult *v = r->verify;
	if (!v) {
		fprintf(stderr, "seinctl: the daemon sent no result\n");
		seinhuis__ctl_reply__free_unpacked(r, NULL);
		return 1;
	}
	char t[48] = "-", root[65] = "", buf[600], rb[48] = "-", rbnote[300];
	if (v->latest_head_ms)
		fmt_utc(t, sizeof(t), v->latest_head_ms * 1000);
	if (v->rollbacks)
		fmt_utc(rb, sizeof(rb), v->latest_rollback_us);
	sh_audit_rollback_note(rbnote, sizeof(rbnote), v->rollbacks, rb);
	if (v->root_hash.len == 32)
		sh_hex(root, v->root_hash.data, 32);
	char at[48] = "-";
	if (v->anchored_size)
		fmt_utc(at, sizeof(at), v->anchored_head_ms * 1000);
	if (json_out) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(v->ok));
		json_object_object_add(
		    o, "entries", json_object_new_int64((int64_t)v->entries));
		json_object_object_add(
		    o, "heads", json_object_new_int64((int64_t)v->heads));
		json_object_object_add(
		    o, "first_bad_entry",
		    v->has_bad_entry
		        ? json_object_new_int64((int64_t)v->first_bad_entry)
		        : NULL);
		json_object_object_add(o, "problem",
		                       json_object_new_string(v->problem));
		json_object_object_add(o, "root_hash",
		                       json_object_new_string(root));
		json_object_object_add(
		    o, "latest_head_size",
		    json_object_new_int64((int64_t)v->latest_head_size));
		json_object_object_add(o, "latest_head_time",
		                       json_object_new_string(t));
		json_object_object_add(
		    o, "removed_entries",
		    json_object_new_int64((int64_t)v->removed_entries));
		json_object_object_add(
		    o, "heads_not_recomputed",
		    json_object_new_int64((int64_t)v->heads_not_recomputed));
		json_object_object_add(
		    o, "rollbacks",
		    json_object_new_int64((int64_t)v->rollbacks));
		json_object_object_add(o, "latest_rollback_time",
		                       v->rollbacks ? json_object_new_string(rb)
		                                    : NULL);
		json_object_object_add(
		    o, "anchored_size",
		    json_object_new_int64((int64_t)v->anchored_size));
		json_object_object_add(
		    o, "anchored_by",
		    v->anchored_size ? json_object_new_string(v->anchored_by)
		                     : NULL);
		json_object_object_add(
		    o, "anchored_head_time",
		    v->anchored_size ? json_object_new_string(at) : NULL);
		json_object_object_add(
		    o, "unanchored_entries",
		    json_object_new_int64(
		        (int64_t)(v->entries > v->anchored_size
		                      ? v->entries - v->anchored_size
		                      : 0)));
		seinctl_print_json(o);
	} else if (v->ok) {
		printf(
		    "audit log verified: %llu entries, %llu signed tree heads "
		    "checked\n  root %s\n  latest signed head: size %llu, %s\n",
		    (unsigned long long)v->entries,
		    (unsigned long long)v->heads, root,
		    (unsigned long long)v->latest_head_size, t);
		if (v->problem[0])
			printf("  note: %s\n",
			       safe(v->problem, buf, sizeof(buf)));
		char rm[200], rmh[200];
		sh_audit_removed_note(rm, sizeof(rm), rmh, sizeof(rmh), v);
		if (rm[0])
			printf("  note: %s\n", rm);
		if (rmh[0])
			printf("  note: %s\n", rmh);
		if (v->rollbacks)
			printf("  note: %s\n", rbnote);
		print_anchored(v, at);
	} else {
		printf("audit log FAILS verification\n");
		if (v->has_bad_entry)
			printf("  first bad entry: %llu\n",
			       (unsigned long long)v->first_bad_entry);
		printf("  problem: %s\n  entries read: %llu, signed heads that "
		       "matched: %llu\n",
		       safe(v->problem, buf, sizeof(buf)),
		       (unsigned long long)v->entries,
		       (unsigned long long)v->heads);
	}
	rc = v->ok ? 0 : 1;
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return rc;
}

/* ---------------------------------------------------------- head, prove */

static int cmd_head(const char *sock)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	Seinhuis__CtlReply *r;
	q.op = SEINHUIS__CTL_REQUEST__OP__AUDIT_HEAD;
	int rc = call(sock, &q, &r);
	if (rc)
		return rc;
	if (!r->head) {
		fprintf(stderr, "seinctl: the daemon sent no tree head\n");
		rc = 1;
	} else {
		seinctl_print_json(head_json(r->head));
	}
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return rc;
}

/* Read a head from JSON (as head_json writes it). */
static int head_from_json(json_object *o, Seinhuis__SignedTreeHead *h,
                          sh_buf bufs[3], char *why, size_t wl)
{
	json_object *v;
	seinhuis__signed_tree_head__init(h);
	const char *hexes[3] = {"root_hash", "sign_key", "signature"};
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(why, wl, "a tree head is missing");
		return -1;
	}
	if (!json_object_object_get_ex(o, "partner", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(why, wl, "the tree head has no partner");
		return -1;
	}
	h->partner = (char *)json_object_get_string(v);
	if (!json_object_object_get_ex(o, "tree_size", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0) {
		snprintf(why, wl, "the tree head has no tree_size");
		return -1;
	}
	h->tree_size = (uint64_t)json_object_get_int64(v);
	if (!json_object_object_get_ex(o, "timestamp_ms", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		snprintf(why, wl, "the tree head has no timestamp_ms");
		return -1;
	}
	h->timestamp_ms = json_object_get_int64(v);
	for (int i = 0; i < 3; i++) {
		if (!json_object_object_get_ex(o, hexes[i], &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    unhex_var(json_object_get_string(v), &bufs[i]) < 0) {
			snprintf(why, wl, "the tree head's %s is not hex",
			         hexes[i]);
			return -1;
		}
	}
	h->root_hash.data = bufs[0].data, h->root_hash.len = bufs[0].len;
	h->sign_key.data = bufs[1].data, h->sign_key.len = bufs[1].len;
	h->signature.data = bufs[2].data, h->signature.len = bufs[2].len;
	if (h->root_hash.len != 32 || h->sign_key.len != 32 ||
	    h->signature.len != SH_SIG_LEN) {
		snprintf(why, wl,
		         "the tree head's hashes or keys have the wrong "
		         "length");
		return -1;
	}
	return 0;
}

static int cmd_prove(const char *sock, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"index", required_argument, 0, 'i'},
	    {"size", required_argument, 0, 's'},
	    {"old", required_argument, 0, 'o'},
	    {"old-size", required_argument, 0, 'm'},
	    {0, 0, 0, 0}};
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	int opt, have_index = 0;
	char *end;
	q.op = SEINHUIS__CTL_REQUEST__OP__AUDIT_PROVE;
	optind =
	    0; /* re-initialise: seinctl's own options stop at the command */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		unsigned long long v = 0;
		if (opt == '?') {
			sh_opt_refused("seinctl audit prove", argc, argv, "",
			               opts);
			return 2;
		}
		if (opt != 'o') {
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end ||
			    !isdigit((unsigned char)*optarg)) {
				fprintf(
				    stderr,
				    "seinctl: --%s takes a number from 0 to "
				    "18446744073709551615\n",
				    opt == 'i'   ? "index"
				    : opt == 's' ? "size"
				                 : "old-size");
				return 2;
			}
		}
		if (v == 0 && (opt == 's' || opt == 'm')) {
			fprintf(stderr,
			        "seinctl: --%s must be at least 1 (%s)\n",
			        opt == 's' ? "size" : "old-size",
			        opt == 's' ? "the size of a signed head; leave "
			                     "it out for the latest"
			                   : "the number of entries of the "
			                     "older tree");
			return 2;
		}
		switch (opt) {
		case 'i': q.index = v, have_index = 1; break;
		case 's': q.tree_size = v; break;
		case 'm': q.old_size = v; break;
		case 'o': {
			json_object *o = json_object_from_file(optarg);
			json_object *ts;
			if (!o ||
			    !json_object_object_get_ex(o, "tree_size", &ts) ||
			    json_object_get_int64(ts) <= 0) {
				fprintf(stderr,
				        "seinctl: %s: not a tree head file\n",
				        optarg);
				json_object_put(o);
				return 2;
			}
			q.old_size = (uint64_t)json_object_get_int64(ts);
			json_object_put(o);
			break;
		}
		default:
			fprintf(stderr,
			        "seinctl: audit prove --index N [--size S] | "
			        "--old HEAD.json | --old-size M [--size S]\n");
			return 2;
		}
	}
	if (optind != argc || have_index == (q.old_size != 0)) {
		fprintf(stderr,
		        "seinctl: audit prove needs --index N (inclusion) "
		        "or --old HEAD.json / --old-size M (consistency)\n");
		return 2;
	}
	q.proof_kind = have_index ? "inclusion" : "consistency";
	Seinhuis__CtlReply *r;
	int rc = call(sock, &q, &r);
	if (rc)
		return rc;
	const Seinhuis__AuditProof *p = r->proof;
	if (!p || !p->head) {
		fprintf(stderr, "seinctl: the daemon sent no proof\n");
		seinhuis__ctl_reply__free_unpacked(r, NULL);
		return 1;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(p->kind));
	json_object_object_add(o, "partner",
	                       json_object_new_string(p->head->partner));
	if (have_index) {
		json_object_object_add(
		    o, "index", json_object_new_int64((int64_t)p->index));
	} else {
		json_object_object_add(
		    o, "old_size", json_object_new_int64((int64_t)p->old_size));
	}
	json_object_object_add(o, "tree_size",
	                       json_object_new_int64((int64_t)p->tree_size));
	if (have_index) {
		json_object_object_add(o, "leaf",
		                       hex_json(p->leaf.data, p->leaf.len));
		Seinhuis__AuditEntry *e = seinhuis__audit_entry__unpack(
		    NULL, p->leaf.len, p->leaf.data);
		json_object_object_add(o, "entry", e ? entry_json(e) : NULL);
		if (e)
			seinhuis__audit_entry__free_unpacked(e, NULL);
	}
	json_object *path = json_object_new_array();
	for (size_t i = 0; i < p->n_path; i++)
		json_object_array_add(
		    path, hex_json(p->path[i].data, p->path[i].len));
	json_object_object_add(o, "path", path);
	if (!have_index)
		json_object_object_add(
		    o, "old_head", p->old_head ? head_json(p->old_head) : NULL);
	json_object_object_add(o, "head", head_json(p->head));
	seinctl_print_json(o);
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
}

/* --------------------------------------------------------- check-proof */

static int get_u64(json_object *o, const char *k, uint64_t *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return -1;
	*out = (uint64_t)json_object_get_int64(v);
	return 0;
}

/* Check a head's signature. With a card, the head must be that partner's
 * and signed with the card's signing key or, if signed before that key's
 * overlap ended, the previous one the card names (a head kept from before
 * a rotation); without, under the key the head names. *what says which
 * key it was, for the result. */
static int head_ok(const Seinhuis__SignedTreeHead *h, const sh_card *card,
                   char *what, size_t whatl, char *why, size_t wl)
{
	char fp[17], cfp[17], until[48];
	unsigned long long size = (unsigned long long)h->tree_size;
	if (h->sign_key.len != 32) {
		snprintf(why, wl, "the tree head at size %llu names no key",
		         size);
		return 0;
	}
	sh_key_fingerprint(fp, h->sign_key.data);
	if (!card) {
		if (!sh_tree_head_verify(h, h->sign_key.data)) {
			snprintf(why, wl,
			         "the signature of the tree head at size %llu "
			         "does not verify",
			         size);
			return 0;
		}
		snprintf(what, whatl, "key %s, the key named in the head", fp);
		return 1;
	}
	if (strcmp(h->partner, card->partner) != 0) {
		snprintf(
		    why, wl,
		    "the tree head at size %llu is of partner '%s', not of "
		    "'%s' (the card)",
		    size, h->partner, card->partner);
		return 0;
	}
	/* seinkey trust and list show a card by its CURVE key's
	 * fingerprint: that one is named too, to compare with */
	sh_key_fingerprint(cfp, card->curve_pub);
	fmt_utc(until, sizeof(until), card->prev_until * 1000000);
	sh_key_state ks = sh_card_key_state(card, SH_KEY_SIGN, h->sign_key.data,
	                                    h->timestamp_ms / 1000);
	if (ks == SH_KEY_EXPIRED) {
		snprintf(why, wl,
		         "the tree head at size %llu is signed with the "
		         "previous signing key on '%s''s card (%s) after that "
		         "key's overlap ended (%s)",
		         size, card->partner, fp, until);
		return 0;
	}
	if ((ks != SH_KEY_CURRENT && ks != SH_KEY_PREVIOUS) ||
	    !sh_tree_head_verify(h, h->sign_key.data)) {
		snprintf(why, wl,
		         "the tree head at size %llu is not signed with the "
		         "signing key on '%s''s card%s",
		         size, card->partner,
		         card->has_prev ? " nor with the previous one it names"
		                        : "");
		return 0;
	}
	if (ks == SH_KEY_CURRENT)
		snprintf(what, whatl,
		         "key %s, the signing key on the partner's card (the "
		         "card seinkey list shows as %s)",
		         fp, cfp);
	else
		snprintf(what, whatl,
		         "key %s, the previous signing key the partner's card "
		         "names (previous_sign, accepted for heads signed "
		         "before %s; the card seinkey list shows as %s)",
		         fp, until, cfp);
	return 1;
}

static int read_path(json_object *o, uint8_t path[SH_MERKLE_MAX_PATH][32],
                     size_t *len)
{
	json_object *arr;
	if (!json_object_object_get_ex(o, "path", &arr) ||
	    !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) > SH_MERKLE_MAX_PATH)
		return -1;
	*len = json_object_array_length(arr);
	for (size_t i = 0; i < *len; i++) {
		json_object *h = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(h, json_type_string) ||
		    sh_unhex(path[i], 32, json_object_get_string(h)) < 0)
			return -1;
	}
	return 0;
}

/* check-proof's exit status for a file that checks as far as it can
 * without --card: the signature is by the key the head itself names, so
 * nothing ties it to the partner it names (anyone can make such a file) */
#define CHECK_UNTIED 5

/* The result: ok is 1 (valid, the heads checked against the card), 0
 * (invalid), or CHECK_UNTIED (checked as far as it can be without a card;
 * text then says what that found). entry (taken, may be NULL) is the
 * entry the proof proves, decoded from its leaf. */
static int check_result_entry(int ok, const char *text, json_object *entry)
{
	int rc = ok == 1 ? 0 : ok == CHECK_UNTIED ? CHECK_UNTIED : 1;
	if (json_out) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "valid",
		                       json_object_new_boolean(ok == 1));
		json_object_object_add(
		    o, "tied_to_partner",
		    json_object_new_boolean(ok != CHECK_UNTIED));
		if (ok == CHECK_UNTIED)
			json_object_object_add(o, "checks_without_card",
			                       json_object_new_boolean(1));
		json_object_object_add(o, ok ? "what" : "reason",
		                       json_object_new_string(text));
		if (entry)
			json_object_object_add(o, "entry", entry);
		seinctl_print_json(o);
		return rc;
	}
	if (ok == 1)
		printf("proof valid: %s\n", text);
	else if (ok == CHECK_UNTIED)
		printf("proof NOT tied to any partner: %s\n", text);
	else
		printf("proof INVALID: %s\n", text);
	if (entry) {
		printf("  the entry proven (decoded from its leaf bytes): %s\n",
		       json_object_to_json_string_ext(
		           entry, JSON_C_TO_STRING_PLAIN |
		                      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(entry);
	}
	return rc;
}

/* Without a card: what was checked, after the warning that it is not
 * tied to the partner the head names. */
static void untied_text(char *out, size_t n, const Seinhuis__SignedTreeHead *h,
                        const char *found)
{
	char fp[17] = "?";
	if (h->sign_key.len == 32)
		sh_key_fingerprint(fp, h->sign_key.data);
	snprintf(out, n,
	         "the head names partner '%s', but the signature is by the "
	         "key named in the head (%s), which is not checked against "
	         "a card: pass --card with '%s''s card to check that it is "
	         "the partner's. Without one, all that is shown is that %s",
	         h->partner, fp, h->partner, found);
}

static int check_result(int ok, const char *text)
{
	return check_result_entry(ok, text, NULL);
}

/* The readable "entry" a proof file carries beside the leaf: every field
 * it shows must be the proven entry's (a file of an older version may
 * show fewer). 1 if so, or if it carries none; else 0, naming the first
 * field that differs. */
static int entry_shown_ok(json_object *file, json_object *proven, char *why,
                          size_t wl)
{
	json_object *shown;
	if (!json_object_object_get_ex(file, "entry", &shown) || !shown)
		return 1;
	if (!json_object_is_type(shown, json_type_object)) {
		snprintf(why, wl, "the file's \"entry\" is not an entry");
		return 0;
	}
	json_object_object_foreach(shown, key, val)
	{
		json_object *p = NULL;
		if (!json_object_object_get_ex(proven, key, &p) ||
		    !json_object_equal(val, p)) {
			snprintf(why, wl,
			         "the entry shown in the file is not the one "
			         "proven: its \"%.40s\" differs from the entry "
			         "the leaf holds",
			         key);
			return 0;
		}
	}
	return 1;
}

static int cmd_check_proof(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"old", required_argument, 0, 'o'},
	    {"card", required_argument, 0, 'c'},
	    {0, 0, 0, 0}};
	const char *old_file = NULL, *card_file = NULL;
	int opt, rc = 1;
	char why[600], text[1600];
	sh_card card;
	json_object *o = NULL, *oldo = NULL, *v;
	sh_buf hb[3] = {{0}}, ob[3] = {{0}}, leaf = {0};
	Seinhuis__SignedTreeHead head, oldh;
	uint8_t path[SH_MERKLE_MAX_PATH][32];
	size_t len = 0;

	optind =
	    0; /* re-initialise: seinctl's own options stop at the command */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'o')
			old_file = optarg;
		else if (opt == 'c')
			card_file = optarg;
		else {
			sh_opt_refused("seinctl audit check-proof", argc, argv,
			               "", opts);
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if (card_file &&
	    sh_card_load(&card, card_file, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinctl: %s\n", why);
		return 2;
	}
	const sh_card *cp = card_file ? &card : NULL;
	if (access(argv[optind], R_OK) != 0) {
		fprintf(stderr, "seinctl: %s: cannot read: %s\n", argv[optind],
		        strerror(errno));
		return 2;
	}
	if (!(o = json_object_from_file(argv[optind]))) {
		fprintf(stderr, "seinctl: %s: not valid JSON\n", argv[optind]);
		return 2;
	}
	const char *kind = json_object_object_get_ex(o, "kind", &v)
	                       ? json_object_get_string(v)
	                       : "";
	if (old_file && strcmp(kind, "consistency") != 0) {
		/* checked against nothing, it would say "valid" of a proof
		 * whatever head the auditor kept */
		fprintf(stderr,
		        "seinctl: --old is for a consistency proof only, and "
		        "%s is not one: to hold the log to a head you kept, "
		        "check a proof made with 'seinctl audit prove --old "
		        "HEAD.json'\n",
		        argv[optind]);
		rc = 2;
		goto out;
	}
	json_object *hj = strcmp(kind, "tree_head") == 0 ? o : NULL;
	if (!hj)
		json_object_object_get_ex(o, "head", &hj);
	if (head_from_json(hj, &head, hb, why, sizeof(why)) < 0) {
		rc = check_result(0, why);
		goto out;
	}
	char when[48], keynote[300], oldnote[300], found[700];
	if (!head_ok(&head, cp, keynote, sizeof(keynote), why, sizeof(why))) {
		rc = check_result(0, why);
		goto out;
	}
	fmt_utc(when, sizeof(when), head.timestamp_ms * 1000);
	if (strcmp(kind, "tree_head") == 0) {
		if (cp) {
			snprintf(text, sizeof(text),
			         "tree head of '%s' at size %llu, signed %s by "
			         "%s",
			         head.partner,
			         (unsigned long long)head.tree_size, when,
			         keynote);
			rc = check_result(1, text);
		} else {
			snprintf(found, sizeof(found),
			         "the file is a tree head at size %llu, signed "
			         "%s by that key and not altered since",
			         (unsigned long long)head.tree_size, when);
			untied_text(text, sizeof(text), &head, found);
			rc = check_result(CHECK_UNTIED, text);
		}
	} else if (strcmp(kind, "inclusion") == 0) {
		uint64_t index, size;
		uint8_t lh[32];
		if (get_u64(o, "index", &index) < 0 ||
		    get_u64(o, "tree_size", &size) < 0 ||
		    !json_object_object_get_ex(o, "leaf", &v) ||
		    unhex_var(json_object_get_string(v), &leaf) < 0 ||
		    read_path(o, path, &len) < 0) {
			rc = check_result(0, "the proof file is incomplete");
			goto out;
		}
		/* what is shown is decoded from the proven bytes, never
		 * taken from the file's readable copy */
		Seinhuis__AuditEntry *e =
		    seinhuis__audit_entry__unpack(NULL, leaf.len, leaf.data);
		int idx_ok = e && e->index == index;
		char ev[40] = "?";
		json_object *proven = NULL;
		if (e) {
			snprintf(ev, sizeof(ev), "%s",
			         sh_audit_event_name(e->event));
			proven = entry_json(e);
			seinhuis__audit_entry__free_unpacked(e, NULL);
		}
		sh_merkle_leaf(lh, leaf.data, leaf.len);
		if (size != head.tree_size)
			rc = check_result(0, "the proof's tree size is not the "
			                     "head's");
		else if (!idx_ok)
			rc = check_result(
			    0, "the entry does not hold the index the "
			       "proof names");
		else if (!sh_merkle_inclusion_verify(index, size, lh,
		                                     (const uint8_t(*)[32])path,
		                                     len, head.root_hash.data))
			rc = check_result(
			    0, "the entry is not in the tree of the "
			       "signed head: the audit path does not "
			       "lead to its root");
		else if (!entry_shown_ok(o, proven, why, sizeof(why)))
			rc = check_result(0, why);
		else if (cp) {
			snprintf(
			    text, sizeof(text),
			    "entry %llu (%s) is in the audit log of '%s' at "
			    "tree size %llu, whose head was signed %s by %s",
			    (unsigned long long)index, ev, head.partner,
			    (unsigned long long)size, when, keynote);
			rc = check_result_entry(1, text, proven);
			proven = NULL;
		} else {
			snprintf(found, sizeof(found),
			         "entry %llu (%s) is in the tree of that head "
			         "at tree size %llu, signed %s by that key",
			         (unsigned long long)index, ev,
			         (unsigned long long)size, when);
			untied_text(text, sizeof(text), &head, found);
			rc = check_result_entry(CHECK_UNTIED, text, proven);
			proven = NULL;
		}
		json_object_put(proven);
	} else if (strcmp(kind, "consistency") == 0) {
		uint64_t m, n;
		if (get_u64(o, "old_size", &m) < 0 ||
		    get_u64(o, "tree_size", &n) < 0 ||
		    read_path(o, path, &len) < 0) {
			rc = check_result(0, "the proof file is incomplete");
			goto out;
		}
		json_object *oj = NULL;
		if (old_file) {
			if (!(oldo = json_object_from_file(old_file))) {
				fprintf(stderr, "seinctl: %s: not valid JSON\n",
				        old_file);
				rc = 2;
				goto out;
			}
			oj = oldo;
		} else {
			json_object_object_get_ex(o, "old_head", &oj);
		}
		if (head_from_json(oj, &oldh, ob, why, sizeof(why)) < 0) {
			rc = check_result(
			    0, old_file ? why
			                : "the proof carries no signed "
			                  "head at the older size; give "
			                  "the one you kept with --old");
			goto out;
		}
		char ofp[17], nfp[17];
		sh_key_fingerprint(ofp, oldh.sign_key.data);
		sh_key_fingerprint(nfp, head.sign_key.data);
		int same_key =
		    memcmp(oldh.sign_key.data, head.sign_key.data, 32) == 0;
		if (!head_ok(&oldh, cp, oldnote, sizeof(oldnote), why,
		             sizeof(why)))
			rc = check_result(0, why);
		else if (strcmp(oldh.partner, head.partner) != 0)
			rc = check_result(0,
			                  "the two tree heads are of different "
			                  "partners");
		else if (!cp && !same_key) {
			/* nothing ties two keys named in the heads to one
			 * partner; its card can */
			snprintf(
			    text, sizeof(text),
			    "the two tree heads are signed with different "
			    "keys (%s at size %llu, %s at size %llu): give "
			    "the partner's card with --card to check that "
			    "both are its keys",
			    ofp, (unsigned long long)oldh.tree_size, nfp,
			    (unsigned long long)head.tree_size);
			rc = check_result(0, text);
		} else if (oldh.tree_size != m || head.tree_size != n)
			rc = check_result(
			    0, "the proof is not between the sizes of "
			       "these two tree heads");
		else if (!sh_merkle_consistency_verify(
		             m, n, oldh.root_hash.data, head.root_hash.data,
		             (const uint8_t(*)[32])path, len))
			rc = check_result(0,
			                  "the newer tree does not extend the "
			                  "older one: entries before the older "
			                  "head were changed or removed");
		else if (!cp) {
			char owhen[48];
			fmt_utc(owhen, sizeof(owhen), oldh.timestamp_ms * 1000);
			snprintf(
			    found, sizeof(found),
			    "the tree at size %llu (signed %s) extends the "
			    "one at size %llu (signed %s) without changing "
			    "or removing any of its entries, both heads "
			    "signed by that key",
			    (unsigned long long)n, when, (unsigned long long)m,
			    owhen);
			untied_text(text, sizeof(text), &head, found);
			rc = check_result(CHECK_UNTIED, text);
		} else {
			char owhen[48];
			fmt_utc(owhen, sizeof(owhen), oldh.timestamp_ms * 1000);
			char heads[700];
			if (same_key)
				snprintf(heads, sizeof(heads),
				         "both heads signed by %s", keynote);
			else
				snprintf(
				    heads, sizeof(heads),
				    "the older head signed by %s; the newer "
				    "by %s",
				    oldnote, keynote);
			snprintf(
			    text, sizeof(text),
			    "the audit log of '%s' at size %llu (signed %s) "
			    "extends the one at size %llu (signed %s) without "
			    "changing or removing any of its entries; %s",
			    head.partner, (unsigned long long)n, when,
			    (unsigned long long)m, owhen, heads);
			rc = check_result(1, text);
		}
	} else {
		rc = check_result(0, "the file is not a tree head or a proof");
	}
out:
	for (int i = 0; i < 3; i++) {
		sh_buf_free(&hb[i]);
		sh_buf_free(&ob[i]);
	}
	sh_buf_free(&leaf);
	json_object_put(o);
	json_object_put(oldo);
	return rc;
usage:
	fprintf(stderr, "seinctl: audit check-proof FILE [--old HEAD.json] "
	                "[--card CARD]\n");
	return 2;
}

/* ------------------------------------------------------------- subject */

static const char *type_phrase(Seinhuis__SignalType t)
{
	switch (t) {
	case SEINHUIS__SIGNAL_TYPE__ARREARS: return "payment arrears signal";
	case SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT:
		return "meldcode report to Veilig Thuis";
	case SEINHUIS__SIGNAL_TYPE__VT_NOTICE:
		return "notice from Veilig Thuis";
	case SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK:
		return "status feedback to a creditor";
	case SEINHUIS__SIGNAL_TYPE__REFERRAL: return "referral with consent";
	case SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION:
		return "withdrawal of consent";
	default: return "signal";
	}
}

static const char *basis_phrase(const char *b)
{
	if (strcmp(b, "legal_duty") == 0)
		return "legal duty (Wet gemeentelijke schuldhulpverlening)";
	if (strcmp(b, "meldrecht") == 0)
		return "meldrecht (the reporting right of the meldcode)";
	if (strcmp(b, "consent") == 0)
		return "the resident's consent";
	if (strcmp(b, "legal_task") == 0)
		return "legal task";
	return b[0] ? b : "not recorded";
}

struct subject_item {
	uint8_t id[SH_ID_LEN];
	int has_id;
	unsigned how; /* CtlReply.subject_match */
	Seinhuis__AuditEntry *e;
};

/* How an entry was found other than by the identifiers as given
 * (CtlReply.subject_match): a name for --json, words for the resident's
 * answer. Never the value. */
static const struct {
	unsigned bit;
	const char *name, *words;
} subject_how[] = {
    {SH_SPELL_PREFIX_LEFT, "surname_without_prefixes",
     "the surname without its prefixes"},
    {SH_SPELL_PREFIX_AFTER, "prefixes_after_surname",
     "the prefixes written after the surname"},
    {SH_SPELL_PREFIX_SHORT, "prefixes_abbreviated",
     "the prefixes abbreviated after the surname"},
    {SH_SPELL_UMLAUT_E, "umlaut_as_e", "ä, ö or ü written as ae, oe or ue"},
    {SH_SPELL_E_UMLAUT, "e_as_umlaut", "ae, oe or ue written as ä, ö or ü"},
    {SH_MATCH_NO_BIRTH, "without_birth_date",
     "by name and address without the birth date"},
};

static json_object *subject_how_json(unsigned how)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < sizeof(subject_how) / sizeof(subject_how[0]);
	     i++)
		if (how & subject_how[i].bit)
			json_object_array_add(
			    a, json_object_new_string(subject_how[i].name));
	return a;
}

/* The notes under a signal found other than by the identifiers given. */
static void subject_how_print(unsigned how)
{
	int any = 0;
	for (size_t i = 0; i < sizeof(subject_how) / sizeof(subject_how[0]);
	     i++)
		if ((how & subject_how[i].bit) &&
		    subject_how[i].bit != SH_MATCH_NO_BIRTH)
			printf("%s%s",
			       any++ ? ", "
			             : "  (found under another "
			               "spelling of the surname: ",
			       subject_how[i].words);
	if (any)
		printf(")\n");
	if (how & SH_MATCH_NO_BIRTH)
		printf("  (found only by name and address, without the birth "
		       "date, which the partner did not record: it may concern "
		       "someone else with this surname at this address; check "
		       "before handing it over)\n");
}

static int cmp_item(const void *a, const void *b)
{
	const struct subject_item *x = a, *y = b;
	if (x->has_id != y->has_id)
		return x->has_id ? -1 : 1;
	int c = x->has_id ? memcmp(x->id, y->id, SH_ID_LEN) : 0;
	if (c)
		return c;
	return x->e->index < y->e->index ? -1 : x->e->index > y->e->index;
}

static void subject_line(const Seinhuis__AuditEntry *e)
{
	char t[32], p[80], r[80], u[120] = "", reason[240];
	fmt_local(t, sizeof(t), e->time_us);
	safe(e->partner, p, sizeof(p));
	safe(e->rule, r, sizeof(r));
	if (e->user[0])
		snprintf(u, sizeof(u), " (local user %s, %s)", e->user,
		         e->role);
	switch (e->event) {
	case SEINHUIS__AUDIT_EVENT__AUDIT_ACCEPTED:
		printf("  %s  prepared here to be sent to %s%s\n", t, p, u);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_REFUSED:
		printf("  %s  refused before sending (rule %s)%s\n", t, r, u);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_SENT:
		printf("  %s  sent to %s\n", t, p);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_RECEIVED:
		if (strcmp(e->outcome, "duplicate") == 0)
			printf(
			    "  %s  received again from %s (a repeat; nothing "
			    "added)\n",
			    t, p);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_DELIVERED:
		/* a status feedback is attached to our own outbox record
		 * (auditd.c: outcome "outbox"), not put in the inbox */
		if (strcmp(e->outcome, "outbox") == 0)
			printf("  %s  status feedback from %s, attached to the "
			       "signal sent to it\n",
			       t, p);
		else
			printf("  %s  received from %s and placed in the "
			       "team's inbox\n",
			       t, p);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_REJECTED:
		printf("  %s  received from %s and refused (rule %s); not "
		       "delivered\n",
		       t, p, r);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_QUARANTINED:
		if (strcmp(e->outcome, "removed") == 0)
			printf("  %s  removed from quarantine%s\n", t, u);
		else
			printf("  %s  held back for review\n", t);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_RECEIPT:
		if (strcmp(e->outcome, "rejected") == 0)
			printf("  %s  %s refused it (rule %s)\n", t, p, r);
		else
			printf("  %s  %s confirmed that it was received\n", t,
			       p);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_TAKEN:
		printf("  %s  taken up by the team%s\n", t, u);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_REVEALED:
		printf("  %s  personal data opened%s, reason: \"%s\"\n", t, u,
		       safe(e->reason, reason, sizeof(reason)));
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_GRANTED:
		printf("  %s  consent given%s\n", t, u);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_REVOKED:
		printf("  %s  consent withdrawn%s\n", t, u);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_RETENTION_REMOVED:
		printf("  %s  removed at the end of its retention period\n", t);
		break;
	case SEINHUIS__AUDIT_EVENT__AUDIT_SUBJECT_ACCESS:
		printf("  %s  these records were looked up%s\n", t, u);
		break;
	default: printf("  %s  %s\n", t, sh_audit_event_name(e->event));
	}
}

/* The identifiers a look-up did not use that could find more records. */
static void subject_more(char *out, size_t n, int surname, int addition,
                         int birth, int bsn)
{
	const char *part[5];
	size_t np = 0, o = 0;
	if (!bsn)
		part[np++] = "the BSN (bsn), for signals that named the "
		             "resident by it";
	if (!surname)
		part[np++] = "surname, postcode and house_number, for signals "
		             "that named the resident by name and address";
	if (surname && !birth)
		part[np++] = "the birth date (birth_date), for signals that "
		             "carried it";
	if (surname && !addition)
		part[np++] = "the house-number addition "
		             "(house_number_addition), if the address has one";
	part[np++] = "an earlier address (surname, postcode and "
	             "house_number where the resident lived before), one "
	             "look-up per address";
	out[0] = '\0';
	for (size_t i = 0; i < np && o < n; i++) {
		int w = snprintf(out + o, n - o, "%s%s",
		                 i == 0        ? ""
		                 : i + 1 == np ? "; or "
		                               : "; ",
		                 part[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

static int cmd_subject(const char *sock, int argc, char **argv)
{
	static const char *keys[] = {"surname",      "postcode",
	                             "house_number", "house_number_addition",
	                             "birth_date",   "bsn"};
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	Seinhuis__Field fields[6], *fp[6];
	char vals[6][256];
	char line[1024];
	int rc = 0, lineno = 0;
	int with_meldcode =
	    argc == 2 && strcmp(argv[1], "--with-meldcode") == 0;
	if (argc != 1 && !with_meldcode) {
		fprintf(stderr,
		        "seinctl: audit subject [--with-meldcode] takes the "
		        "identifiers on standard input, one key=value per "
		        "line\n");
		return 2;
	}
	memset(vals, 0, sizeof(vals));
	while (fgets(line, sizeof(line), stdin)) {
		lineno++;
		char *l = sh_trim(line), *eq;
		if (!*l || *l == '#')
			continue;
		size_t k;
		if (!(eq = strchr(l, '='))) {
			fprintf(stderr,
			        "seinctl: stdin line %d: expected key=value\n",
			        lineno);
			rc = 2;
			break;
		}
		*eq = '\0';
		char *key = sh_trim(l), *val = sh_trim(eq + 1);
		for (k = 0; k < 6; k++)
			if (strcmp(key, keys[k]) == 0)
				break;
		if (k == 6 || strlen(val) >= sizeof(vals[k])) {
			fprintf(
			    stderr,
			    "seinctl: stdin line %d: the name before '=' is "
			    "not one of surname, postcode, house_number, "
			    "house_number_addition, birth_date, bsn (or its "
			    "value is too long)\n",
			    lineno);
			rc = 2;
			break;
		}
		if (vals[k][0]) {
			/* the last would replace the first in silence, and
			 * the answer would hold for only one of them */
			fprintf(stderr,
			        "seinctl: stdin line %d: '%s' is given twice: "
			        "give each identifier once (one look-up per "
			        "address)\n",
			        lineno, keys[k]);
			rc = 2;
			break;
		}
		snprintf(vals[k], sizeof(vals[k]), "%s", val);
	}
	sh_wipe(line, sizeof(line));
	for (size_t k = 0; k < 6 && rc == 0; k++) {
		if (!vals[k][0])
			continue;
		seinhuis__field__init(&fields[q.n_fields]);
		fields[q.n_fields].name = (char *)keys[k];
		fields[q.n_fields].value = vals[k];
		fp[q.n_fields] = &fields[q.n_fields];
		q.n_fields++;
	}
	if (rc == 0 && q.n_fields == 0) {
		fprintf(stderr, "seinctl: no identifiers on standard input\n");
		rc = 2;
	}
	Seinhuis__CtlReply *r = NULL;
	if (rc == 0) {
		q.op = SEINHUIS__CTL_REQUEST__OP__AUDIT_SUBJECT;
		q.fields = fp;
		q.with_meldcode = with_meldcode;
		rc = call(sock, &q, &r);
	}
	/* Which identities the daemon could look for (auditctl.c): by BSN,
	 * and by name and address with the birth date and without; which
	 * names were given, never their values. */
	char given[120] = "", more[600] = "";
	for (size_t k = 0; k < 6; k++)
		if (vals[k][0])
			snprintf(given + strlen(given),
			         sizeof(given) - strlen(given), "%s%s",
			         given[0] ? ", " : "", keys[k]);
	/* an addition typed into the number ("12a") is one given */
	int addition = vals[3][0] || vals[2][strspn(vals[2], " 0123456789")];
	subject_more(more, sizeof(more), vals[0][0] != 0, addition,
	             vals[4][0] != 0, vals[5][0] != 0);
	sh_wipe(vals, sizeof(vals));
	if (rc)
		return rc;
	size_t n = r->n_audit_entries, nsig = 0, nother = 0;
	struct subject_item *items = sh_xcalloc(n ? n : 1, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		items[i].e = seinhuis__audit_entry__unpack(
		    NULL, r->audit_entries[i].len, r->audit_entries[i].data);
		if (!items[i].e) {
			n = i;
			break;
		}
		items[i].has_id = items[i].e->message_id.len == SH_ID_LEN;
		items[i].how = i < r->n_subject_match ? r->subject_match[i] : 0;
		if (items[i].has_id)
			memcpy(items[i].id, items[i].e->message_id.data,
			       SH_ID_LEN);
	}
	if (n)
		qsort(items, n, sizeof(*items), cmp_item);
	/* For the administrator, not in what the resident is given. */
	if (r->withheld)
		fprintf(
		    stderr,
		    "seinctl: note: %u entries about meldcode reports or "
		    "Veilig Thuis notices are left out: the right of "
		    "access gives way where safety is at stake. Weigh that "
		    "(with Veilig Thuis or the reporter) before giving them; "
		    "--with-meldcode shows them, and the look-up records "
		    "that it was asked.\n",
		    (unsigned)r->withheld);
	if (json_out) {
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			json_object *o = entry_json(items[i].e);
			/* an earlier look-up's counts are for administrators
			 * (audit list): those recorded before 2026-12-05 also
			 * counted the meldcode signals left out here */
			if (items[i].e->event ==
			    SEINHUIS__AUDIT_EVENT__AUDIT_SUBJECT_ACCESS)
				json_object_object_del(o, "detail");
			if (items[i].how)
				json_object_object_add(
				    o, "found", subject_how_json(items[i].how));
			json_object_array_add(arr, o);
		}
		seinctl_print_json(arr);
	} else {
		printf(
		    "What this partner recorded about the resident\n"
		    "(the identifiers were used only to compute the resident's "
		    "pseudonyms; they are not kept)\n");
		for (size_t i = 0; i < n; i++) {
			const Seinhuis__AuditEntry *e = items[i].e;
			if (items[i].has_id &&
			    (i == 0 || !items[i - 1].has_id ||
			     memcmp(items[i - 1].id, items[i].id, SH_ID_LEN))) {
				/* The signal's type and basis, from any entry.
				 */
				Seinhuis__SignalType t = e->type;
				const char *basis = "";
				char idh[33], b[120];
				for (size_t j = i;
				     j < n && items[j].has_id &&
				     !memcmp(items[j].id, items[i].id,
				             SH_ID_LEN);
				     j++) {
					if (!t)
						t = items[j].e->type;
					if (!basis[0])
						basis = items[j].e->legal_basis;
				}
				sh_hex(idh, items[i].id, SH_ID_LEN);
				if (e->event ==
				        SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_GRANTED ||
				    e->event ==
				        SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_REVOKED) {
					printf("\nConsent %s, for %s:\n", idh,
					       safe(e->partner, b, sizeof(b)));
				} else {
					printf("\nSignal %s: %s, legal basis: "
					       "%s\n",
					       idh, type_phrase(t),
					       safe(basis_phrase(basis), b,
					            sizeof(b)));
					nsig++;
					nother += (items[i].how &
					           SH_MATCH_NO_BIRTH) != 0;
				}
				subject_how_print(items[i].how);
			} else if (!items[i].has_id &&
			           (i == 0 || items[i - 1].has_id)) {
				printf(
				    "\nLook-ups of this resident's records:\n");
			}
			subject_line(e);
		}
		if (n == 0)
			printf(
			    "\nNothing found for the identifiers given (%s): "
			    "this partner has no record of signals about the "
			    "resident under them.\n",
			    given);
		else
			printf("\n%zu signals, %zu entries%s, found with the "
			       "identifiers given (%s)\n",
			       nsig, n,
			       r->next_index ? " (more than fit in one answer)"
			                     : "",
			       given);
		if (nother)
			printf("%zu of these signals may concern someone else "
			       "with this surname at this address (marked "
			       "above): check before handing them over.\n",
			       nother);
		if (more[0])
			printf("Other identifiers may find more, as a partner "
			       "may have known the resident by them: %s.\n",
			       more);
	}
	for (size_t i = 0; i < n; i++)
		seinhuis__audit_entry__free_unpacked(items[i].e, NULL);
	free(items);
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
}

/* -------------------------------------------------------------- report */

typedef struct {
	int64_t time_us;
	Seinhuis__AuditEvent event;
	char outcome[16];
	char rule[40];
	char partner[SH_PARTNER_MAX + 1];
	Seinhuis__SignalType type;
	uint8_t id[SH_ID_LEN];
	int has_id;
	uint64_t index; /* --from: the entry's index, with has_index */
	int has_index;
} rep_entry;

typedef struct {
	rep_entry *v;
	size_t n, cap;
} rep_list;

static void rep_add(rep_list *l, const rep_entry *e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = *e;
}

static int rep_from_entry(void *ctx, const Seinhuis__AuditEntry *e)
{
	rep_entry r;
	memset(&r, 0, sizeof(r));
	r.time_us = e->time_us;
	r.event = e->event;
	snprintf(r.outcome, sizeof(r.outcome), "%s", e->outcome);
	snprintf(r.rule, sizeof(r.rule), "%s", e->rule);
	snprintf(r.partner, sizeof(r.partner), "%s", e->partner);
	r.type = e->type;
	if ((r.has_id = e->message_id.len == SH_ID_LEN))
		memcpy(r.id, e->message_id.data, SH_ID_LEN);
	rep_add(ctx, &r);
	return 0;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	if (json_object_object_get_ex(o, k, &v) && v &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

/* The CSV of audit export (its header names the columns): the same
 * entries as its JSON lines. */
static int rep_from_csv(const char *path, const char *data, size_t len,
                        rep_list *l)
{
	sh_csv c;
	char why[300];
	if (sh_csv_open(&c, (const uint8_t *)data, len, why, sizeof(why)) !=
	    SH_OK) {
		fprintf(stderr, "seinctl: %s: %s\n", path, why);
		return 2;
	}
	static const char *const want[] = {"time_us",    "event",   "outcome",
	                                   "rule",       "partner", "type",
	                                   "message_id", "index"};
	size_t at[8];
	for (size_t k = 0; k < 8; k++) {
		at[k] = SIZE_MAX;
		for (size_t i = 0; i < c.ncols; i++)
			if (strcmp(c.header[i], want[k]) == 0)
				at[k] = i;
		if (at[k] == SIZE_MAX && k < 7) {
			fprintf(stderr,
			        "seinctl: %s: not an audit export: no column "
			        "'%s' (make the file with 'seinctl audit "
			        "export')\n",
			        path, want[k]);
			sh_csv_close(&c);
			return 2;
		}
	}
	sh_csv_row row;
	int got, rc = 0;
	while ((got = sh_csv_next(&c, &row, why, sizeof(why))) != 0) {
		char *end;
		long long t = 0;
		if (got > 0) {
			errno = 0;
			t = strtoll(row.cols[at[0]], &end, 10);
		}
		if (got < 0 || errno || end == row.cols[at[0]] || *end) {
			fprintf(stderr, "seinctl: %s: %s\n", path,
			        got < 0 ? why : "a row without time_us");
			if (got > 0)
				sh_csv_row_free(&row);
			rc = 2;
			break;
		}
		rep_entry r;
		memset(&r, 0, sizeof(r));
		r.time_us = t;
		r.event = sh_audit_event_parse(row.cols[at[1]]);
		snprintf(r.outcome, sizeof(r.outcome), "%s", row.cols[at[2]]);
		snprintf(r.rule, sizeof(r.rule), "%s", row.cols[at[3]]);
		snprintf(r.partner, sizeof(r.partner), "%s", row.cols[at[4]]);
		r.type = sh_signal_type_parse(row.cols[at[5]]);
		r.has_id = sh_unhex(r.id, SH_ID_LEN, row.cols[at[6]]) == 0;
		if (at[7] != SIZE_MAX && row.cols[at[7]][0]) {
			errno = 0;
			r.index = strtoull(row.cols[at[7]], &end, 10);
			r.has_index = !errno && !*end;
		}
		rep_add(l, &r);
		sh_csv_row_free(&row);
	}
	sh_csv_close(&c);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* An entry read twice (two exports joined, or one appended to another
 * that overlaps it) would be counted twice: refused, naming its index.
 * 0, or 2 after saying so. */
static int rep_once(const char *path, const rep_list *l)
{
	uint64_t *ix = sh_xmalloc((l->n ? l->n : 1) * sizeof(*ix));
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].has_index)
			ix[n++] = l->v[i].index;
	qsort(ix, n, sizeof(*ix), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (ix[i] == ix[i - 1]) {
			fprintf(stderr,
			        "seinctl: %s: entry %llu is in the file more "
			        "than once (exports joined or overlapping?): "
			        "each entry may be counted once; make the file "
			        "with one 'seinctl audit export'\n",
			        path, (unsigned long long)ix[i]);
			rc = 2;
			break;
		}
	free(ix);
	return rc;
}

static int rep_from_file_read(const char *path, rep_list *l);

static int rep_from_file(const char *path, rep_list *l)
{
	int rc = rep_from_file_read(path, l);
	return rc ? rc : rep_once(path, l);
}

static int rep_from_file_read(const char *path, rep_list *l)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, rc = 0;
	if (!f) {
		fprintf(stderr, "seinctl: %s: cannot read\n", path);
		return 2;
	}
	/* JSON lines (the export's default), read as they come, or its
	 * CSV (read whole: the parser wants the text); told apart by the
	 * first character, read once (the file may be a pipe) */
	int ch;
	while ((ch = fgetc(f)) != EOF && isspace(ch))
		;
	if (ch != EOF && ch != '{') {
		sh_buf b = {0};
		char chunk[8192];
		size_t got;
		chunk[0] = (char)ch;
		sh_buf_add(&b, chunk, 1);
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			sh_buf_add(&b, chunk, got);
		fclose(f);
		rc = rep_from_csv(path, (const char *)b.data, b.len, l);
		sh_buf_free(&b);
		return rc;
	}
	if (ch != EOF)
		ungetc(ch, f);
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (n <= 1)
			continue;
		json_object *o = json_tokener_parse(line), *v;
		if (!o || !json_object_object_get_ex(o, "time_us", &v)) {
			fprintf(stderr,
			        "seinctl: %s:%d: not an audit entry (make "
			        "the file with 'seinctl audit export')\n",
			        path, lineno);
			json_object_put(o);
			rc = 2;
			break;
		}
		rep_entry r;
		memset(&r, 0, sizeof(r));
		r.time_us = json_object_get_int64(v);
		r.event = sh_audit_event_parse(jstr(o, "event"));
		snprintf(r.outcome, sizeof(r.outcome), "%s",
		         jstr(o, "outcome"));
		snprintf(r.rule, sizeof(r.rule), "%s", jstr(o, "rule"));
		snprintf(r.partner, sizeof(r.partner), "%s",
		         jstr(o, "partner"));
		r.type = sh_signal_type_parse(jstr(o, "type"));
		r.has_id =
		    sh_unhex(r.id, SH_ID_LEN, jstr(o, "message_id")) == 0;
		if (json_object_object_get_ex(o, "index", &v) &&
		    json_object_is_type(v, json_type_int)) {
			r.index = (uint64_t)json_object_get_int64(v);
			r.has_index = 1;
		}
		rep_add(l, &r);
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return rc;
}

typedef struct {
	char period[16];
	char partner[SH_PARTNER_MAX + 1];
	Seinhuis__SignalType type;
	uint64_t received, refused, delivered, taken, reveals, removed;
	uint64_t accepted, refused_out, sent, confirmed, rejected_out;
	int64_t *take_ms;
	size_t ntake;
	char rules[512]; /* "RULE=n;..." built at the end */
	struct {
		char rule[40];
		uint64_t n;
	} by_rule[16];
	size_t nrules;
} rep_row;

/* The report's columns an entry counts in (RC_NONE: none). */
typedef enum {
	RC_NONE,
	RC_RECEIVED,
	RC_REFUSED,
	RC_DELIVERED,
	RC_TAKEN,
	RC_REVEALS,
	RC_REMOVED,
	RC_ACCEPTED,
	RC_REFUSED_OUT,
	RC_SENT,
	RC_CONFIRMED,
	RC_REJECTED_OUT
} rep_col;

static rep_col rep_col_of(const rep_entry *e)
{
	switch (e->event) {
	case SEINHUIS__AUDIT_EVENT__AUDIT_RECEIVED:
		return strcmp(e->outcome, "duplicate") ? RC_RECEIVED : RC_NONE;
	case SEINHUIS__AUDIT_EVENT__AUDIT_REJECTED: return RC_REFUSED;
	case SEINHUIS__AUDIT_EVENT__AUDIT_DELIVERED: return RC_DELIVERED;
	case SEINHUIS__AUDIT_EVENT__AUDIT_TAKEN: return RC_TAKEN;
	case SEINHUIS__AUDIT_EVENT__AUDIT_REVEALED: return RC_REVEALS;
	case SEINHUIS__AUDIT_EVENT__AUDIT_RETENTION_REMOVED: return RC_REMOVED;
	case SEINHUIS__AUDIT_EVENT__AUDIT_ACCEPTED: return RC_ACCEPTED;
	case SEINHUIS__AUDIT_EVENT__AUDIT_REFUSED: return RC_REFUSED_OUT;
	case SEINHUIS__AUDIT_EVENT__AUDIT_SENT: return RC_SENT;
	case SEINHUIS__AUDIT_EVENT__AUDIT_RECEIPT:
		return strcmp(e->outcome, "rejected") ? RC_CONFIRMED
		                                      : RC_REJECTED_OUT;
	default: return RC_NONE;
	}
}

/* An entry that counts a message id in a row's column. */
typedef struct {
	size_t row; /* 1 + the row's index */
	rep_col col;
	uint8_t id[SH_ID_LEN];
	size_t entry; /* its place in the list: the first one counts */
} rep_seen;

static int cmp_seen(const void *a, const void *b)
{
	const rep_seen *x = a, *y = b;
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	int c = memcmp(x->id, y->id, SH_ID_LEN);
	if (c)
		return c;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

struct delivered_at {
	uint8_t id[SH_ID_LEN];
	int64_t time_us;
};

static int cmp_delivered(const void *a, const void *b)
{
	return memcmp(a, b, SH_ID_LEN);
}

static int cmp_row(const void *a, const void *b)
{
	const rep_row *x = a, *y = b;
	int c = strcmp(x->period, y->period);
	if (!c)
		c = strcmp(x->partner, y->partner);
	if (!c)
		c = (int)x->type - (int)y->type;
	return c;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p% at or below it. */
static int64_t percentile(const int64_t *v, size_t n, unsigned p)
{
	size_t rank = (size_t)((p * (uint64_t)n + 99) / 100);
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

void seinctl_fmt_dur(char *out, size_t n, int64_t ms)
{
	if (ms < 1000)
		snprintf(out, n, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(out, n, "%.1fs", (double)ms / 1000);
	else if (ms < 3600000)
		snprintf(out, n, "%lldm%02llds", (long long)(ms / 60000),
		         (long long)(ms / 1000 % 60));
	else if (ms < 86400000)
		snprintf(out, n, "%lldh%02lldm", (long long)(ms / 3600000),
		         (long long)(ms / 60000 % 60));
	else
		snprintf(out, n, "%lldd%02lldh", (long long)(ms / 86400000),
		         (long long)(ms / 3600000 % 24));
}

static rep_row *row_for(rep_row **rows, size_t *nrows, const char *period,
                        const rep_entry *e)
{
	for (size_t i = 0; i < *nrows; i++)
		if (strcmp((*rows)[i].period, period) == 0 &&
		    strcmp((*rows)[i].partner, e->partner) == 0 &&
		    (*rows)[i].type == e->type)
			return &(*rows)[i];
	*rows = realloc(*rows, (*nrows + 1) * sizeof(**rows));
	if (!*rows)
		abort();
	rep_row *r = &(*rows)[(*nrows)++];
	memset(r, 0, sizeof(*r));
	snprintf(r->period, sizeof(r->period), "%s", period);
	snprintf(r->partner, sizeof(r->partner), "%s", e->partner);
	r->type = e->type;
	return r;
}

int seinctl_report(const char *sock, int json, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"by", required_argument, 0, 'b'},
	    {"since", required_argument, 0, 'S'},
	    {"until", required_argument, 0, 'U'},
	    {"csv", no_argument, 0, 'c'},
	    {"from", required_argument, 0, 'f'},
	    {0, 0, 0, 0}};
	const char *by = "month", *from = NULL;
	int64_t since = 0, until = 0;
	int opt, csv = 0, rc;
	json_out = json;
	optind =
	    0; /* re-initialise: seinctl's own options stop at the command */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'b': by = optarg; break;
		case 'c': csv = 1; break;
		case 'f': from = optarg; break;
		case 'S':
		case 'U':
			if (opt == 'S' ? since != 0 : until != 0) {
				fprintf(stderr,
				        "seinctl: --%s given twice: give the "
				        "period once\n",
				        opt == 'S' ? "since" : "until");
				return 2;
			}
			if (seinctl_parse_time(
			        optarg, opt == 'S' ? &since : &until) < 0) {
				fprintf(
				    stderr,
				    "seinctl: --since/--until: give "
				    "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or "
				    "@SECONDS (a real date, 1970 to 9999)\n");
				return 2;
			}
			break;
		default:
			sh_opt_refused("seinctl report", argc, argv, "", opts);
			fprintf(stderr,
			        "seinctl: report [--by week|month] [--since T] "
			        "[--until T] [--csv] [--from EXPORT.jsonl]\n");
			return 2;
		}
	}
	if (optind != argc || (strcmp(by, "week") && strcmp(by, "month"))) {
		fprintf(stderr, "seinctl: report --by week or month\n");
		return 2;
	}
	if (range_refused(since, until))
		return 2;
	rep_list l = {0};
	if (from) {
		rc = rep_from_file(from, &l);
	} else {
		filter f;
		memset(&f, 0, sizeof(f));
		f.until = until; /* earlier entries are needed for the times */
		rc = fetch(sock, &f, rep_from_entry, &l);
	}
	if (rc) {
		free(l.v);
		return rc;
	}
	/* When each signal went into the inbox. */
	struct delivered_at *dl = sh_xcalloc(l.n ? l.n : 1, sizeof(*dl));
	size_t ndl = 0;
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].event == SEINHUIS__AUDIT_EVENT__AUDIT_DELIVERED &&
		    l.v[i].has_id) {
			memcpy(dl[ndl].id, l.v[i].id, SH_ID_LEN);
			dl[ndl++].time_us = l.v[i].time_us;
		}
	if (ndl)
		qsort(dl, ndl, sizeof(*dl), cmp_delivered);
	/* Each entry's row and column; then every column but reveals
	 * counts a signal (a message id) once per row, however many entries
	 * it has there: a signal sent again after a restart has a sent entry
	 * per transmission, a receipt may come twice. */
	rep_row *rows = NULL;
	size_t nrows = 0, nseen = 0;
	size_t *rowi = sh_xcalloc(l.n ? l.n : 1, sizeof(*rowi));
	rep_seen *seen = sh_xcalloc(l.n ? l.n : 1, sizeof(*seen));
	for (size_t i = 0; i < l.n; i++) {
		const rep_entry *e = &l.v[i];
		rep_col col = rep_col_of(e);
		if (col == RC_NONE || !e->partner[0] ||
		    (since && e->time_us < since) ||
		    (until && e->time_us >= until))
			continue;
		char period[16];
		struct tm tm; /* the Dutch month or ISO week */
		sh_time_nl(e->time_us / 1000, &tm);
		strftime(period, sizeof(period),
		         by[0] == 'w' ? "%G-W%V" : "%Y-%m", &tm);
		rowi[i] =
		    (size_t)(row_for(&rows, &nrows, period, e) - rows) + 1;
		if (e->has_id && col != RC_REVEALS) {
			seen[nseen].row = rowi[i];
			seen[nseen].col = col;
			memcpy(seen[nseen].id, e->id, SH_ID_LEN);
			seen[nseen++].entry = i;
		}
	}
	if (nseen)
		qsort(seen, nseen, sizeof(*seen), cmp_seen);
	for (size_t k = 1; k < nseen; k++)
		if (seen[k].row == seen[k - 1].row &&
		    seen[k].col == seen[k - 1].col &&
		    memcmp(seen[k].id, seen[k - 1].id, SH_ID_LEN) == 0)
			rowi[seen[k].entry] = 0; /* counted already */
	free(seen);
	for (size_t i = 0; i < l.n; i++) {
		const rep_entry *e = &l.v[i];
		if (!rowi[i] || !rows) /* (rows is made with the first) */
			continue;
		rep_row *r = &rows[rowi[i] - 1];
		switch (rep_col_of(e)) {
		case RC_RECEIVED: r->received++; break;
		case RC_REFUSED: {
			r->refused++;
			size_t k;
			for (k = 0; k < r->nrules; k++)
				if (strcmp(r->by_rule[k].rule, e->rule) == 0)
					break;
			if (k == r->nrules && k < 16) {
				snprintf(r->by_rule[k].rule,
				         sizeof(r->by_rule[k].rule), "%s",
				         e->rule[0] ? e->rule : "-");
				r->nrules++;
			}
			if (k < 16)
				r->by_rule[k].n++;
			break;
		}
		case RC_DELIVERED: r->delivered++; break;
		case RC_TAKEN: {
			r->taken++;
			struct delivered_at *at =
			    e->has_id ? bsearch(e->id, dl, ndl, sizeof(*dl),
			                        cmp_delivered)
			              : NULL;
			if (at) {
				r->take_ms =
				    realloc(r->take_ms,
				            (r->ntake + 1) * sizeof(int64_t));
				if (!r->take_ms)
					abort();
				r->take_ms[r->ntake++] =
				    (e->time_us - at->time_us) / 1000;
			}
			break;
		}
		case RC_REVEALS: r->reveals++; break;
		case RC_REMOVED: r->removed++; break;
		case RC_ACCEPTED: r->accepted++; break;
		case RC_REFUSED_OUT: r->refused_out++; break;
		case RC_SENT: r->sent++; break;
		case RC_CONFIRMED: r->confirmed++; break;
		case RC_REJECTED_OUT: r->rejected_out++; break;
		case RC_NONE: break;
		}
	}
	free(rowi);
	if (nrows)
		qsort(rows, nrows, sizeof(*rows), cmp_row);
	int any_out = 0;
	for (size_t i = 0; i < nrows; i++) {
		rep_row *r = &rows[i];
		if (r->ntake)
			qsort(r->take_ms, r->ntake, sizeof(int64_t), cmp_i64);
		size_t o = 0;
		for (size_t k = 0; k < r->nrules && o < sizeof(r->rules); k++)
			o += (size_t)snprintf(
			    r->rules + o, sizeof(r->rules) - o, "%s%s=%llu",
			    k ? ";" : "", r->by_rule[k].rule,
			    (unsigned long long)r->by_rule[k].n);
		any_out |= r->accepted || r->refused_out || r->sent ||
		           r->confirmed || r->rejected_out;
	}
	static const char *cols[] = {"period",
	                             "partner",
	                             "type",
	                             "received",
	                             "refused",
	                             "refused_by_rule",
	                             "delivered",
	                             "taken",
	                             "take_median_ms",
	                             "take_p90_ms",
	                             "reveals",
	                             "retention_removed",
	                             "accepted",
	                             "refused_at_submission",
	                             "sent",
	                             "confirmed",
	                             "rejected_by_partner"};
	size_t ncols = sizeof(cols) / sizeof(cols[0]);
	json_object *arr = json_out && !csv ? json_object_new_array() : NULL;
	if (csv)
		for (size_t c = 0; c < ncols; c++)
			csv_field(cols[c], c + 1 == ncols);
	if (!csv && !arr) {
		printf(
		    "Signals per %s, partner and type, from the audit log (%zu "
		    "entries)\n\nReceived from partners\n",
		    by, l.n);
		printf(
		    "%-8s  %-24s  %-18s  %8s  %7s  %9s  %5s  %10s  %10s  %7s  "
		    "%7s\n",
		    "PERIOD", "PARTNER", "TYPE", "RECEIVED", "REFUSED",
		    "DELIVERED", "TAKEN", "TAKE MEDN", "TAKE P90", "REVEALS",
		    "REMOVED");
	}
	for (size_t i = 0; i < nrows; i++) {
		rep_row *r = &rows[i];
		const char *type = r->type ? sh_signal_type_name(r->type) : "-";
		char med[32] = "", p90[32] = "", pb[80];
		if (r->ntake) {
			int64_t m = percentile(r->take_ms, r->ntake, 50);
			int64_t p = percentile(r->take_ms, r->ntake, 90);
			if (csv || arr) {
				snprintf(med, sizeof(med), "%lld",
				         (long long)m);
				snprintf(p90, sizeof(p90), "%lld",
				         (long long)p);
			} else {
				seinctl_fmt_dur(med, sizeof(med), m);
				seinctl_fmt_dur(p90, sizeof(p90), p);
			}
		}
		uint64_t nums[] = {r->received,  r->refused,     r->delivered,
		                   r->taken,     r->reveals,     r->removed,
		                   r->accepted,  r->refused_out, r->sent,
		                   r->confirmed, r->rejected_out};
		if (csv || arr) {
			char cells[17][600];
			snprintf(cells[0], sizeof(cells[0]), "%s", r->period);
			snprintf(cells[1], sizeof(cells[1]), "%s", r->partner);
			snprintf(cells[2], sizeof(cells[2]), "%s", type);
			snprintf(cells[3], sizeof(cells[3]), "%llu",
			         (unsigned long long)nums[0]);
			snprintf(cells[4], sizeof(cells[4]), "%llu",
			         (unsigned long long)nums[1]);
			snprintf(cells[5], sizeof(cells[5]), "%s", r->rules);
			snprintf(cells[6], sizeof(cells[6]), "%llu",
			         (unsigned long long)nums[2]);
			snprintf(cells[7], sizeof(cells[7]), "%llu",
			         (unsigned long long)nums[3]);
			snprintf(cells[8], sizeof(cells[8]), "%s", med);
			snprintf(cells[9], sizeof(cells[9]), "%s", p90);
			for (size_t k = 4; k < 11; k++)
				snprintf(cells[k + 6], sizeof(cells[0]), "%llu",
				         (unsigned long long)nums[k]);
			if (csv) {
				for (size_t c = 0; c < ncols; c++)
					csv_field(cells[c], c + 1 == ncols);
			} else {
				json_object *o = json_object_new_object();
				for (size_t c = 0; c < ncols; c++) {
					int numeric =
					    c >= 3 && c != 5 &&
					    !((c == 8 || c == 9) && !r->ntake);
					json_object_object_add(
					    o, cols[c],
					    numeric
					        ? json_object_new_int64(strtoll(
					              cells[c], NULL, 10))
					    : (c == 8 || c == 9)
					        ? NULL
					        : json_object_new_string(
					              cells[c]));
				}
				json_object_array_add(arr, o);
			}
		} else if (r->received || r->refused || r->delivered ||
		           r->taken || r->reveals || r->removed) {
			printf("%-8s  %-24s  %-18s  %8llu  %7llu  %9llu  %5llu "
			       " %10s  "
			       "%10s  %7llu  %7llu\n",
			       r->period, safe(r->partner, pb, 25), type,
			       (unsigned long long)r->received,
			       (unsigned long long)r->refused,
			       (unsigned long long)r->delivered,
			       (unsigned long long)r->taken, med[0] ? med : "-",
			       p90[0] ? p90 : "-",
			       (unsigned long long)r->reveals,
			       (unsigned long long)r->removed);
		}
	}
	if (!csv && !arr) {
		int any_rule = 0;
		for (size_t i = 0; i < nrows; i++)
			any_rule |= rows[i].nrules > 0;
		if (any_rule) {
			printf("\nRefused on arrival, by rule\n%-8s  %-24s  "
			       "%-18s  "
			       "%-20s  %5s\n",
			       "PERIOD", "PARTNER", "TYPE", "RULE", "COUNT");
			for (size_t i = 0; i < nrows; i++)
				for (size_t k = 0; k < rows[i].nrules; k++)
					printf("%-8s  %-24s  %-18s  %-20s  "
					       "%5llu\n",
					       rows[i].period, rows[i].partner,
					       rows[i].type
					           ? sh_signal_type_name(
					                 rows[i].type)
					           : "-",
					       rows[i].by_rule[k].rule,
					       (unsigned long long)rows[i]
					           .by_rule[k]
					           .n);
		}
		if (any_out) {
			printf(
			    "\nSent to partners\n%-8s  %-24s  %-18s  %8s  %7s  "
			    "%6s  %9s  %8s\n",
			    "PERIOD", "PARTNER", "TYPE", "ACCEPTED", "REFUSED",
			    "SENT", "CONFIRMED", "REJECTED");
			for (size_t i = 0; i < nrows; i++) {
				rep_row *r = &rows[i];
				if (!(r->accepted || r->refused_out ||
				      r->sent || r->confirmed ||
				      r->rejected_out))
					continue;
				printf("%-8s  %-24s  %-18s  %8llu  %7llu  "
				       "%6llu  %9llu  "
				       "%8llu\n",
				       r->period, r->partner,
				       r->type ? sh_signal_type_name(r->type)
				               : "-",
				       (unsigned long long)r->accepted,
				       (unsigned long long)r->refused_out,
				       (unsigned long long)r->sent,
				       (unsigned long long)r->confirmed,
				       (unsigned long long)r->rejected_out);
			}
		}
		if (nrows == 0)
			printf("(no signal events in this period)\n");
		printf("\nTake time: from delivery into the inbox to being "
		       "taken by "
		       "the team; median and 90th percentile, nearest rank.\n");
	}
	if (arr)
		seinctl_print_json(arr);
	for (size_t i = 0; i < nrows; i++)
		free(rows[i].take_ms);
	free(rows);
	free(dl);
	free(l.v);
	return 0;
}

/* -------------------------------------------------------------- reveal */

int seinctl_inbox_reveal(const char *sock, int json, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"reason", required_argument, 0, 'r'}, {0, 0, 0, 0}};
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	int opt;
	json_out = json;
	q.op = SEINHUIS__CTL_REQUEST__OP__INBOX_REVEAL;
	argc--, argv++; /* from "reveal" on */
	optind =
	    0; /* re-initialise: seinctl's own options stop at the command */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'r') {
			sh_opt_refused("seinctl inbox reveal", argc, argv, "",
			               opts);
			goto usage;
		}
		q.reason = optarg;
	}
	if (optind + 1 != argc || !q.reason[0])
		goto usage;
	q.message_id = argv[optind];
	Seinhuis__CtlReply *r;
	int rc = call(sock, &q, &r);
	if (rc)
		return rc;
	if (json_out) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "message_id",
		                       json_object_new_string(r->message_id));
		json_object *f = json_object_new_object();
		for (size_t i = 0; i < r->n_revealed; i++)
			json_object_object_add(
			    f, r->revealed[i]->name,
			    json_object_new_string(r->revealed[i]->value));
		json_object_object_add(o, "personal", f);
		seinctl_print_json(o);
	} else {
		char buf[4100];
		printf("message id   %s\n", r->message_id);
		for (size_t i = 0; i < r->n_revealed; i++)
			printf("%-20s %s\n", r->revealed[i]->name,
			       safe(r->revealed[i]->value, buf, sizeof(buf)));
		printf("(this reveal is recorded in the audit log, with your "
		       "reason)\n");
	}
	for (size_t i = 0; i < r->n_revealed; i++)
		sh_wipe(r->revealed[i]->value, strlen(r->revealed[i]->value));
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
usage:
	fprintf(stderr, "seinctl: inbox reveal ID --reason TEXT\n");
	return 2;
}

/* ------------------------------------------------------------ dispatch */

int seinctl_audit(const char *sock, int json, int argc, char **argv)
{
	json_out = json;
	const char *sub = argc > 1 ? argv[1] : "";
	argc--, argv++;
	if (strcmp(sub, "list") == 0)
		return cmd_list(sock, argc, argv, 0);
	if (strcmp(sub, "export") == 0)
		return cmd_list(sock, argc, argv, 1);
	if (strcmp(sub, "verify") == 0 && argc == 1)
		return cmd_verify(sock);
	if (strcmp(sub, "head") == 0 && argc == 1)
		return cmd_head(sock);
	if (strcmp(sub, "prove") == 0)
		return cmd_prove(sock, argc, argv);
	if (strcmp(sub, "check-proof") == 0)
		return cmd_check_proof(argc, argv);
	if (strcmp(sub, "subject") == 0)
		return cmd_subject(sock, argc, argv);
	fprintf(
	    stderr,
	    "seinctl: audit list|export|verify|head|prove|check-proof|subject "
	    "(see 'seinctl --help')\n");
	return 2;
}
