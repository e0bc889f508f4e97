/*
 * seinctl_cases.c - seinctl's commands for the debt-help team's cases:
 * the case listing (`inbox` on a municipality_debt daemon, `case list`),
 * `case show`, `claim` (`case claim`), `case step`, `case monitor` (the
 * figures of the national statistics standard) and `export`.
 *
 * The daemon keeps the signals (inbox) and what the team adds to a case
 * (owner, outreach steps: cases.c); the figures of the listing are worked
 * out here, from the inbox listing's clear fields:
 *   signals     the inbox signals with the case key
 *   creditors   distinct senders of arrears signals
 *   due         when a first conversation is due (Wgs; signal_due)
 *   total       sum of amount_cents over the newest signal per creditor,
 *               arrears kind and resident (a later signal replaces an
 *               earlier one)
 *   urgency     the highest: eviction > disconnection > termination > none
 *   rising      a newer signal of the same creditor, kind and resident has
 *               a higher amount than an older one
 * Order: cases with a first conversation due (case_due) before those a
 * conversation or closure has answered; among the due, those past their
 * due time first; then a threatened eviction, disconnection or
 * termination first, then several creditors, then rising arrears; then,
 * among the due, the earliest due, among the answered the newest
 * arrival. Nothing personal is listed:
 * personal fields are sealed in the daemon and only `export --reveal` (each
 * signal an audited reveal) opens them.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "seinctl_audit.h"
#include "seinctl_cases.h"

static int json_out;

static int urgency_rank(const char *u)
{
	if (strcmp(u, "eviction") == 0)
		return 3;
	if (strcmp(u, "disconnection") == 0)
		return 2;
	if (strcmp(u, "termination") == 0)
		return 1;
	return 0;
}

/* ------------------------------------------------------ gathering */

struct cs_case {
	char key[65];
	const Seinhuis__InboxItem **sig;
	size_t nsig;
	size_t creditors;
	long long total_cents;
	const char *urgency;
	int rising;
	int64_t newest_ms;
	/* first conversation due (Wgs): the earliest due of the arrears
	 * signals and referrals no conversation or closure has answered
	 * yet, or, once every one is answered (answered = 1), of all of
	 * them */
	int64_t due_ms;
	int answered;
	const Seinhuis__CaseRecord *rec;
};

struct cs_view {
	Seinhuis__CtlReply *inbox; /* every inbox signal */
	Seinhuis__CtlReply *cases; /* every case record */
	struct cs_case *v;
	size_t n;
	char **keys; /* hex keys of the case records */
};

static int fetch_inbox(const char *sock, Seinhuis__CtlReply **out)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	Seinhuis__CtlReply *r;
	q.op = SEINHUIS__CTL_REQUEST__OP__INBOX_LIST;
	q.limit = 100000000;
	int rc = seinctl_call(sock, &q, &r);
	if (rc)
		return rc;
	if ((rc = seinctl_inbox_rest(sock, &q, r)) != 0) {
		seinhuis__ctl_reply__free_unpacked(r, NULL);
		return rc;
	}
	*out = r;
	return 0;
}

static int by_created(const void *a, const void *b)
{
	const Seinhuis__InboxItem *x = *(const Seinhuis__InboxItem *const *)a;
	const Seinhuis__InboxItem *y = *(const Seinhuis__InboxItem *const *)b;
	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	return x->received_us < y->received_us   ? -1
	       : x->received_us > y->received_us ? 1
	                                         : 0;
}

/* The Wgs deadlines for a first conversation: 3 working days when
 * eviction, disconnection or termination of the insurance threatens,
 * else 4 weeks; counted here from the signal's arrival, in the Dutch
 * calendar: weekends and public holidays (sh_holiday_nl) are no working
 * days, the due time is the arrival's Dutch time of day. */
static int64_t signal_due(const Seinhuis__InboxItem *a)
{
	if (urgency_rank(seinctl_field_of(a, "urgency")) > 0)
		return sh_plus_days_nl(a->received_ms, 3, 1);
	return sh_plus_days_nl(a->received_ms, 28, 0);
}

/* A conversation took place: in_conversation, help_accepted or
 * help_declined was recorded (closed alone is no conversation: the status
 * feedback calls that no_contact). */
static int contact_made(const Seinhuis__CaseRecord *r)
{
	static const char *const after[] = {"in_conversation", "help_accepted",
	                                    "help_declined"};
	for (size_t i = 0; r && i < r->n_steps; i++)
		for (size_t k = 0; k < sizeof(after) / sizeof(*after); k++)
			if (strcmp(r->steps[i]->step, after[k]) == 0)
				return 1;
	return 0;
}

static void case_figures(struct cs_case *c)
{
	qsort(c->sig, c->nsig, sizeof(*c->sig), by_created);
	c->urgency = "none";
	for (size_t i = 0; i < c->nsig; i++) {
		const Seinhuis__InboxItem *a = c->sig[i];
		const char *u = seinctl_field_of(a, "urgency");
		if (urgency_rank(u) > urgency_rank(c->urgency))
			c->urgency = u;
		if (a->received_ms > c->newest_ms)
			c->newest_ms = a->received_ms;
		/* a creditor is a sender of arrears: a referral from a GP
		 * practice in the same case is not one */
		size_t j;
		int arrears = strcmp(a->type, "arrears") == 0;
		for (j = 0; arrears && j < i &&
		            (strcmp(c->sig[j]->sender, a->sender) ||
		             strcmp(c->sig[j]->type, "arrears"));
		     j++)
			;
		if (arrears && j == i)
			c->creditors++;
		/* the newest of its creditor, kind and resident (the
		 * pseudonym: two housemates' arrears with one creditor add
		 * up) counts; an older one with a lower amount means rising
		 * arrears */
		int newest = 1;
		for (j = 0; j < c->nsig; j++) {
			const Seinhuis__InboxItem *b = c->sig[j];
			if (j == i || strcmp(b->sender, a->sender) ||
			    strcmp(seinctl_field_of(b, "arrears_kind"),
			           seinctl_field_of(a, "arrears_kind")) ||
			    strcmp(b->subject, a->subject))
				continue;
			if (j > i)
				newest = 0;
			else if (atoll(seinctl_field_of(b, "amount_cents")) <
			         atoll(seinctl_field_of(a, "amount_cents")))
				c->rising = 1;
		}
		if (newest)
			c->total_cents +=
			    atoll(seinctl_field_of(a, "amount_cents"));
	}
}

/* A conversation or a closure answers the arrears signals that had
 * arrived when it was recorded. One that arrives later (a new threat of
 * eviction after help was declined, say) makes a first conversation due
 * again, counted from that signal. */
static void case_due(struct cs_case *c)
{
	int64_t answered_to = 0, open = 0, all = 0;
	for (size_t i = 0; c->rec && i < c->rec->n_steps; i++) {
		const Seinhuis__CaseStep *st = c->rec->steps[i];
		if (strcmp(st->step, "contact_attempted") != 0 &&
		    st->time_ms > answered_to)
			answered_to = st->time_ms;
	}
	for (size_t i = 0; i < c->nsig; i++) {
		const Seinhuis__InboxItem *a = c->sig[i];
		/* a referral, made with the resident's consent, is a request
		 * for help: the Wgs gives 4 weeks for it too */
		if (strcmp(a->type, "arrears") != 0 &&
		    strcmp(a->type, "referral") != 0)
			continue;
		int64_t due = signal_due(a);
		if (!all || due < all)
			all = due;
		if (a->received_ms > answered_to && (!open || due < open))
			open = due;
	}
	c->due_ms = open ? open : all;
	c->answered = !open && all;
}

/* The moment the listing is ordered at (case_order: overdue or not). */
static int64_t order_now;

/* A first conversation is due and its due time is past at now: the
 * listing's "!", its JSON's overdue, and the overdue come first. */
static int case_overdue(const struct cs_case *c, int64_t now)
{
	return !c->answered && c->due_ms && c->due_ms < now;
}

static int case_order(const void *a, const void *b)
{
	const struct cs_case *x = a, *y = b;
	if (x->answered != y->answered)
		return x->answered ? 1 : -1;
	/* a first conversation past due comes before one that is not */
	int ox = case_overdue(x, order_now);
	int oy = case_overdue(y, order_now);
	if (ox != oy)
		return oy - ox;
	int sx = (urgency_rank(x->urgency) > 0) * 4 + (x->creditors > 1) * 2 +
	         x->rising;
	int sy = (urgency_rank(y->urgency) > 0) * 4 + (y->creditors > 1) * 2 +
	         y->rising;
	if (sx != sy)
		return sy - sx;
	if (urgency_rank(x->urgency) != urgency_rank(y->urgency))
		return urgency_rank(y->urgency) - urgency_rank(x->urgency);
	/* due: the earliest due first; answered: the newest first */
	if (!x->answered && x->due_ms != y->due_ms)
		return x->due_ms < y->due_ms ? -1 : 1;
	if (x->newest_ms != y->newest_ms)
		return x->newest_ms > y->newest_ms ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int by_case_key(const void *a, const void *b)
{
	return strcmp((*(const Seinhuis__InboxItem *const *)a)->case_key,
	              (*(const Seinhuis__InboxItem *const *)b)->case_key);
}

static int by_key_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void view_free(struct cs_view *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].sig);
	free(w->v);
	if (w->cases)
		for (size_t i = 0; i < w->cases->n_cases; i++)
			free(w->keys[i]);
	free(w->keys);
	if (w->inbox)
		seinhuis__ctl_reply__free_unpacked(w->inbox, NULL);
	if (w->cases)
		seinhuis__ctl_reply__free_unpacked(w->cases, NULL);
	memset(w, 0, sizeof(*w));
}

/* The pages of a long case list after the first (a daemon of an older
 * version sends no next_case: its list came whole). */
static int cases_rest(const char *sock, Seinhuis__CtlRequest *q,
                      Seinhuis__CtlReply *r)
{
	char from[2 * 32 + 1];
	while (r->next_case && r->next_case[0]) {
		Seinhuis__CtlReply *more;
		snprintf(from, sizeof(from), "%s", r->next_case);
		q->case_from = from;
		int rc = seinctl_call(sock, q, &more);
		q->case_from = (char *)"";
		if (rc)
			return rc;
		/* each page starts after the last: a daemon that answers
		 * with no progress would loop */
		if (!more->n_cases || (more->next_case[0] &&
		                       strcmp(more->next_case, from) <= 0)) {
			fprintf(stderr, "seinctl: the daemon's case list did "
			                "not continue where it said\n");
			seinhuis__ctl_reply__free_unpacked(more, NULL);
			return 3;
		}
		r->cases = realloc(r->cases, (r->n_cases + more->n_cases) *
		                                 sizeof(*r->cases));
		if (!r->cases)
			abort();
		memcpy(r->cases + r->n_cases, more->cases,
		       more->n_cases * sizeof(*r->cases));
		r->n_cases += more->n_cases;
		more->n_cases = 0; /* the records now belong to r */
		free(r->next_case);
		r->next_case = more->next_case;
		more->next_case = NULL;
		seinhuis__ctl_reply__free_unpacked(more, NULL);
	}
	return 0;
}

static int view_load(const char *sock, struct cs_view *w)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	memset(w, 0, sizeof(*w));
	int rc = fetch_inbox(sock, &w->inbox);
	if (rc)
		return rc;
	q.op = SEINHUIS__CTL_REQUEST__OP__CASE_LIST;
	q.case_pages = 1;
	if ((rc = seinctl_call(sock, &q, &w->cases)) != 0) {
		view_free(w);
		return rc;
	}
	if ((rc = cases_rest(sock, &q, w->cases)) != 0) {
		view_free(w);
		return rc;
	}
	/* The daemon lists case records in key order (LMDB's, which the
	 * hex digits keep), so they can be searched; checked, not assumed. */
	int sorted = 1;
	w->keys = sh_xcalloc(w->cases->n_cases + 1, sizeof(*w->keys));
	for (size_t i = 0; i < w->cases->n_cases; i++) {
		w->keys[i] = sh_xmalloc(65);
		sh_hex(w->keys[i], w->cases->cases[i]->case_key.data,
		       w->cases->cases[i]->case_key.len == 32 ? 32 : 0);
		if (i && strcmp(w->keys[i - 1], w->keys[i]) >= 0)
			sorted = 0;
	}
	/* Group by case key: sort the signals by key (a large city's inbox
	 * holds tens of thousands), then take the runs. */
	const Seinhuis__InboxItem **its =
	    sh_xcalloc(w->inbox->n_inbox + 1, sizeof(*its));
	size_t nits = 0;
	for (size_t i = 0; i < w->inbox->n_inbox; i++)
		if (strlen(w->inbox->inbox[i]->case_key) == 64)
			its[nits++] = w->inbox->inbox[i];
	if (nits > 1)
		qsort(its, nits, sizeof(*its), by_case_key);
	for (size_t i = 0; i < nits;) {
		size_t j = i + 1;
		while (j < nits &&
		       strcmp(its[j]->case_key, its[i]->case_key) == 0)
			j++;
		w->v = realloc(w->v, (w->n + 1) * sizeof(*w->v));
		if (!w->v)
			abort();
		struct cs_case *c = &w->v[w->n++];
		memset(c, 0, sizeof(*c));
		snprintf(c->key, sizeof(c->key), "%s", its[i]->case_key);
		c->sig = sh_xmalloc((j - i) * sizeof(*c->sig));
		memcpy(c->sig, its + i, (j - i) * sizeof(*c->sig));
		c->nsig = j - i;
		case_figures(c);
		const char *key = c->key;
		char **hit = NULL;
		if (sorted && w->cases->n_cases)
			hit = bsearch(&key, w->keys, w->cases->n_cases,
			              sizeof(*w->keys), by_key_str);
		for (size_t r = 0; !sorted && !hit && r < w->cases->n_cases;
		     r++)
			if (strcmp(w->keys[r], key) == 0)
				hit = &w->keys[r];
		if (hit)
			c->rec = w->cases->cases[hit - w->keys];
		case_due(c);
		i = j;
	}
	free(its);
	order_now = sh_now_ms();
	if (w->n > 1)
		qsort(w->v, w->n, sizeof(*w->v), case_order);
	return 0;
}

/* A case key, or a unique prefix of at least 8 hex digits of one in the
 * inbox or the case records. */
static int resolve_case(const char *sock, const char *given, char out[65])
{
	/* hex digits in either case, as copied from anywhere */
	char arg[65];
	size_t len = strlen(given);
	if (len < 8 || len > 64 ||
	    strspn(given, "0123456789abcdefABCDEF") != len) {
		fprintf(stderr,
		        "seinctl: a case is its case key (64 hex digits) "
		        "or at least its first 8\n");
		return 2;
	}
	for (size_t i = 0; i <= len; i++)
		arg[i] = (char)tolower((unsigned char)given[i]);
	if (len == 64) {
		snprintf(out, 65, "%s", arg);
		return 0;
	}
	struct cs_view w;
	int rc = view_load(sock, &w);
	if (rc == 1)
		fprintf(stderr, "seinctl: (a prefix is looked up in the inbox; "
		                "if that was refused as DENIED, as to an "
		                "administrator, give the full 64-digit case "
		                "key)\n");
	if (rc)
		return rc;
	size_t found = 0;
	for (size_t k = 0; k < w.n; k++)
		if (strncmp(w.v[k].key, arg, len) == 0 && found++ == 0)
			snprintf(out, 65, "%s", w.v[k].key);
	for (size_t i = 0; w.cases && i < w.cases->n_cases; i++) {
		int dup = 0;
		for (size_t k = 0; k < w.n; k++)
			dup |= strcmp(w.v[k].key, w.keys[i]) == 0;
		if (!dup && strncmp(w.keys[i], arg, len) == 0 && found++ == 0)
			snprintf(out, 65, "%s", w.keys[i]);
	}
	view_free(&w);
	if (found == 1)
		return 0;
	/* not repeated: hex digits only, but 9 of them may be a BSN */
	if (found) {
		fprintf(stderr, "seinctl: the case prefix given: more than one "
		                "case starts so; give more digits\n");
		return 2;
	}
	fprintf(stderr, "seinctl: refused: NOT_FOUND: the case prefix given: "
	                "no case in the inbox or the case records starts "
	                "so\n");
	return 1;
}

/* ------------------------------------------------------------ JSON */

static const char *last_step(const Seinhuis__CaseRecord *r, int64_t *when)
{
	if (!r || r->n_steps == 0) {
		if (when)
			*when = 0;
		return "";
	}
	if (when)
		*when = r->steps[r->n_steps - 1]->time_ms;
	return r->steps[r->n_steps - 1]->step;
}

/* A step's details for case show: when an attempt was made, if given,
 * then its statistics words (sh_step_words). */
static void step_detail(char *out, size_t n, const Seinhuis__CaseStep *s)
{
	char words[112], t[32];
	sh_step_words(words, sizeof(words), s);
	if (!s->attempt_ms) {
		snprintf(out, n, "%s", words);
		return;
	}
	seinctl_fmt_time(t, sizeof(t), s->attempt_ms);
	snprintf(out, n, "made %.16s%s%s", t, words[0] ? ", " : "", words);
}

static json_object *steps_json(const Seinhuis__CaseRecord *r)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; r && i < r->n_steps; i++) {
		const Seinhuis__CaseStep *s = r->steps[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "step",
		                       json_object_new_string(s->step));
		json_object_object_add(o, "time_ms",
		                       json_object_new_int64(s->time_ms));
		json_object_object_add(o, "user",
		                       json_object_new_string(s->user));
		if (s->feedback[0]) {
			json_object_object_add(
			    o, "feedback", json_object_new_string(s->feedback));
			json_object_object_add(
			    o, "feedback_signals",
			    json_object_new_int64(s->feedback_count));
		}
		if (s->contact_how[0])
			json_object_object_add(
			    o, "how", json_object_new_string(s->contact_how));
		if (s->contact_reached[0])
			json_object_object_add(
			    o, "reached",
			    json_object_new_string(s->contact_reached));
		if (s->part_of_day[0])
			json_object_object_add(
			    o, "part_of_day",
			    json_object_new_string(s->part_of_day));
		if (s->attempt_ms)
			json_object_object_add(
			    o, "attempt_ms",
			    json_object_new_int64(s->attempt_ms));
		if (s->crisis)
			json_object_object_add(o, "crisis",
			                       json_object_new_boolean(1));
		if (s->warm_handover)
			json_object_object_add(o, "warm_handover",
			                       json_object_new_boolean(1));
		json_object_array_add(a, o);
	}
	return a;
}

/* The municipalities a case belongs to: those its arrears signals name
 * and those its record kept (taken signals' codes), at most 8. */
struct case_munis {
	const char *v[8];
	size_t n;
};

static void munis_add(struct case_munis *cm, const char *m)
{
	if (!m || !m[0] || cm->n == 8)
		return;
	for (size_t i = 0; i < cm->n; i++)
		if (strcmp(cm->v[i], m) == 0)
			return;
	cm->v[cm->n++] = m;
}

static void munis_of(const struct cs_case *c, const Seinhuis__CaseRecord *rec,
                     struct case_munis *cm)
{
	cm->n = 0;
	for (size_t i = 0; c && i < c->nsig; i++)
		if (strcmp(c->sig[i]->type, "arrears") == 0)
			munis_add(cm, seinctl_field_of(c->sig[i],
			                               "municipality_code"));
	for (size_t i = 0; rec && i < rec->n_municipalities; i++)
		munis_add(cm, rec->municipalities[i]);
}

static json_object *case_json(const struct cs_case *c, int with_signals)
{
	json_object *o = json_object_new_object();
	int64_t step_ms;
	const char *step = last_step(c->rec, &step_ms);
	json_object_object_add(o, "case_key", json_object_new_string(c->key));
	json_object_object_add(o, "signals",
	                       json_object_new_int64((int64_t)c->nsig));
	json_object_object_add(o, "creditors",
	                       json_object_new_int64((int64_t)c->creditors));
	json_object_object_add(o, "total_cents",
	                       json_object_new_int64(c->total_cents));
	json_object_object_add(o, "urgency",
	                       json_object_new_string(c->urgency));
	json_object_object_add(o, "rising", json_object_new_boolean(c->rising));
	json_object_object_add(o, "newest_ms",
	                       json_object_new_int64(c->newest_ms));
	/* 0: no arrears signal in the case */
	json_object_object_add(o, "due_ms", json_object_new_int64(c->due_ms));
	json_object_object_add(o, "contact_made",
	                       json_object_new_boolean(contact_made(c->rec)));
	/* a signal no conversation or closure has answered yet */
	json_object_object_add(
	    o, "contact_due",
	    json_object_new_boolean(c->due_ms && !c->answered));
	/* and past its due time: the text listing's "!" */
	json_object_object_add(
	    o, "overdue", json_object_new_boolean(case_overdue(c, order_now)));
	json_object_object_add(
	    o, "owner", json_object_new_string(c->rec ? c->rec->owner : ""));
	json_object_object_add(o, "step", json_object_new_string(step));
	json_object_object_add(o, "step_ms", json_object_new_int64(step_ms));
	struct case_munis cm;
	munis_of(c, c->rec, &cm);
	json_object *mu = json_object_new_array();
	for (size_t i = 0; i < cm.n; i++)
		json_object_array_add(mu, json_object_new_string(cm.v[i]));
	json_object_object_add(o, "municipalities", mu);
	if (with_signals) {
		json_object_object_add(o, "steps", steps_json(c->rec));
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < c->nsig; i++) {
			json_object *s = seinctl_inbox_json(c->sig[i]);
			json_object_array_add(a, s);
		}
		json_object_object_add(o, "signal_list", a);
	}
	return o;
}

static void euro(char *out, size_t n, long long cents)
{
	snprintf(out, n, "EUR %lld.%02lld", cents / 100, cents % 100);
}

/* "-" without arrears; once a conversation or closure has answered
 * every arrears signal, "met" if a conversation took place, else
 * "closed"; else the date and time it is due ("!" once past). */
static void due_text(char *out, size_t n, const struct cs_case *c, int64_t now)
{
	if (!c->due_ms || c->answered) {
		snprintf(out, n, "%s",
		         !c->due_ms             ? "-"
		         : contact_made(c->rec) ? "met"
		                                : "closed");
		return;
	}
	char when[32];
	seinctl_fmt_time(when, sizeof(when), c->due_ms);
	snprintf(out, n, "%.16s%s", when, case_overdue(c, now) ? " !" : "");
}

/* ----------------------------------------------------------- list */

int seinctl_case_list(const char *sock, int json)
{
	struct cs_view w;
	json_out = json;
	int rc = view_load(sock, &w);
	if (rc)
		return rc;
	if (json_out) {
		json_object *a = json_object_new_array();
		for (size_t k = 0; k < w.n; k++)
			json_object_array_add(a, case_json(&w.v[k], 0));
		seinctl_print_json(a);
	} else {
		printf("%-16s  %4s  %4s  %14s  %-13s  %-6s  %-19s  %-18s  "
		       "%-16s  %s\n",
		       "CASE", "SIGS", "CRED", "TOTAL", "URGENCY", "RISING",
		       "NEWEST", "CONTACT DUE", "OWNER", "STEP");
		int64_t now = order_now; /* as the listing was ordered */
		for (size_t k = 0; k < w.n; k++) {
			const struct cs_case *c = &w.v[k];
			char total[32], newest[32], due[40];
			euro(total, sizeof(total), c->total_cents);
			seinctl_fmt_time(newest, sizeof(newest), c->newest_ms);
			due_text(due, sizeof(due), c, now);
			const char *owner =
			    c->rec && c->rec->owner[0] ? c->rec->owner : "-";
			const char *step = last_step(c->rec, NULL);
			printf(
			    "%-16.16s  %4zu  %4zu  %14s  %-13s  %-6s  %-19s  "
			    "%-18s  %-16s  %s\n",
			    c->key, c->nsig, c->creditors, total, c->urgency,
			    c->rising ? "yes" : "no", newest, due, owner,
			    step[0] ? step : "-");
		}
		size_t loose = 0;
		for (size_t i = 0; i < w.inbox->n_inbox; i++)
			loose += strlen(w.inbox->inbox[i]->case_key) != 64;
		printf("%zu cases", w.n);
		if (loose)
			printf(", %zu signals without a case key (inbox "
			       "--signals)",
			       loose);
		printf("\n");
	}
	view_free(&w);
	return 0;
}

/* ----------------------------------------------------------- show */

static int case_show(const char *sock, const char *arg)
{
	char key[65];
	int rc = resolve_case(sock, arg, key);
	if (rc)
		return rc;
	struct cs_view w;
	if ((rc = view_load(sock, &w)) != 0)
		return rc;
	struct cs_case none = {0}, *c = &none;
	snprintf(none.key, sizeof(none.key), "%s", key);
	none.urgency = "none";
	for (size_t k = 0; k < w.n; k++)
		if (strcmp(w.v[k].key, key) == 0)
			c = &w.v[k];
	for (size_t i = 0; c == &none && i < w.cases->n_cases; i++)
		if (strcmp(w.keys[i], key) == 0)
			none.rec = w.cases->cases[i];
	if (c == &none && !none.rec) {
		fprintf(stderr,
		        "seinctl: refused: NOT_FOUND: no signal in the inbox "
		        "and no case record has case key %s\n",
		        key);
		view_free(&w);
		return 1;
	}
	if (json_out) {
		seinctl_print_json(case_json(c, 1));
		view_free(&w);
		return 0;
	}
	char total[32], when[32];
	euro(total, sizeof(total), c->total_cents);
	printf("case key     %s\n", c->key);
	printf("signals      %zu from %zu creditor(s)\n", c->nsig,
	       c->creditors);
	printf("total        %s%s\n", total, c->rising ? " (rising)" : "");
	printf("urgency      %s\n", c->urgency);
	struct case_munis cm;
	munis_of(c, c->rec, &cm);
	if (cm.n) {
		printf("municipality");
		for (size_t i = 0; i < cm.n; i++)
			printf("%s%s", i ? ", " : " ", cm.v[i]);
		printf("\n");
	}
	char due[40];
	due_text(due, sizeof(due), c, (int64_t)time(NULL) * 1000);
	printf("contact due  %s%s\n", due,
	       c->due_ms && !c->answered
	           ? " (Wgs: 3 working days when eviction, disconnection or "
	             "termination threatens, else 4 weeks)"
	           : "");
	seinctl_fmt_time(when, sizeof(when), c->rec ? c->rec->claimed_ms : 0);
	printf("owner        %s%s%s\n",
	       c->rec && c->rec->owner[0] ? c->rec->owner : "-",
	       c->rec && c->rec->owner[0] ? ", since " : "",
	       c->rec && c->rec->owner[0] ? when : "");
	printf("steps\n");
	for (size_t i = 0; c->rec && i < c->rec->n_steps; i++) {
		const Seinhuis__CaseStep *s = c->rec->steps[i];
		seinctl_fmt_time(when, sizeof(when), s->time_ms);
		printf("  %-19s  %-17s  %-16s", when, s->step, s->user);
		char det[160];
		step_detail(det, sizeof(det), s);
		if (det[0])
			printf("  %s", det);
		if (s->feedback[0])
			printf("  feedback %s to %u creditor(s)", s->feedback,
			       s->feedback_count);
		printf("\n");
	}
	printf("%-32s  %-24s  %-19s  %-16s  %12s  %s\n", "MESSAGE ID", "FROM",
	       "RECEIVED", "KIND", "AMOUNT", "URGENCY");
	for (size_t i = 0; i < c->nsig; i++) {
		const Seinhuis__InboxItem *it = c->sig[i];
		char amount[32] = "", rcv[32];
		const char *cents = seinctl_field_of(it, "amount_cents");
		if (cents[0])
			euro(amount, sizeof(amount), atoll(cents));
		seinctl_fmt_time(rcv, sizeof(rcv), it->received_ms);
		printf("%-32s  %-24s  %-19s  %-16s  %12s  %s\n", it->message_id,
		       it->sender, rcv, seinctl_field_of(it, "arrears_kind"),
		       amount, seinctl_field_of(it, "urgency"));
	}
	printf("(personal data stays sealed; export --reveal or inbox reveal "
	       "opens it)\n");
	view_free(&w);
	return 0;
}

/* ---------------------------------------------------- claim, step */

/* lost: options the daemon did not record (case step, an older daemon),
 * nlost of them */
static void print_case_reply(const Seinhuis__CtlReply *r, const char *what,
                             const char *const *lost, size_t nlost)
{
	if (json_out) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		if (nlost) {
			json_object *l = json_object_new_array();
			for (size_t i = 0; i < nlost; i++)
				json_object_array_add(
				    l, json_object_new_string(lost[i]));
			json_object_object_add(o, "not_recorded", l);
		}
		if (r->n_cases) {
			char key[65];
			const Seinhuis__CaseRecord *c = r->cases[0];
			sh_hex(key, c->case_key.data,
			       c->case_key.len == 32 ? 32 : 0);
			json_object_object_add(o, "case_key",
			                       json_object_new_string(key));
			json_object_object_add(
			    o, "owner", json_object_new_string(c->owner));
			json_object_object_add(o, "steps", steps_json(c));
		}
		json_object *ids = json_object_new_array();
		for (size_t i = 0; i < r->n_feedback_ids; i++)
			json_object_array_add(
			    ids, json_object_new_string(r->feedback_ids[i]));
		json_object_object_add(o, "feedback_ids", ids);
		seinctl_print_json(o);
		return;
	}
	const Seinhuis__CaseRecord *c = r->n_cases ? r->cases[0] : NULL;
	printf("%s%s%s\n", what, c && c->owner[0] ? "; owner " : "",
	       c && c->owner[0] ? c->owner : "");
	for (size_t i = 0; i < r->n_feedback_ids; i++)
		printf("feedback accepted %s\n", r->feedback_ids[i]);
	if (!nlost)
		return;
	fprintf(stderr, "seinctl: the daemon recorded the step without");
	for (size_t i = 0; i < nlost; i++)
		fprintf(stderr, "%s %s", i ? "," : "", lost[i]);
	fprintf(stderr,
	        ": it is older than this seinctl. Upgrade seinhuisd; the "
	        "step stays recorded as shown\n");
}

static int case_claim(const char *sock, int argc, char **argv)
{
	static const struct option opts[] = {{"release", no_argument, 0, 'r'},
	                                     {"force", no_argument, 0, 'f'},
	                                     {0, 0, 0, 0}};
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	int opt;
	char key[65];
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'r')
			q.release = 1;
		else if (opt == 'f')
			q.force = 1;
		else {
			sh_opt_refused("seinctl case claim", argc, argv, "",
			               opts);
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	int rc = resolve_case(sock, argv[optind], key);
	if (rc)
		return rc;
	q.op = SEINHUIS__CTL_REQUEST__OP__CASE_CLAIM;
	q.case_key = key;
	Seinhuis__CtlReply *r;
	if ((rc = seinctl_call(sock, &q, &r)) != 0)
		return rc;
	char what[120];
	snprintf(what, sizeof(what), "case %.16s %s", key,
	         q.release ? "released" : "claimed");
	print_case_reply(r, what, NULL, 0);
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
usage:
	fprintf(stderr, "usage: seinctl claim CASE [--release] [--force]\n");
	return 2;
}

/* A daemon older than this seinctl records a step and drops the options
 * it does not know (protobuf keeps unknown fields, and the daemon builds
 * the step from those it knows). The reply holds the case as stored: the
 * options given and not in its last step go into lost[6]; their number
 * is returned. */
static size_t step_lost(const Seinhuis__CtlReply *r,
                        const Seinhuis__CtlRequest *q, const char *lost[6])
{
	const Seinhuis__CaseRecord *c = r->n_cases ? r->cases[0] : NULL;
	const Seinhuis__CaseStep *st =
	    c && c->n_steps ? c->steps[c->n_steps - 1] : NULL;
	if (!st || strcmp(st->step, q->step) != 0)
		return 0; /* not a reply this check can read */
	size_t n = 0;
	if (q->contact_how && q->contact_how[0] && !st->contact_how[0])
		lost[n++] = "--how";
	if (q->contact_reached && q->contact_reached[0] &&
	    !st->contact_reached[0])
		lost[n++] = "--reached";
	if (q->part_of_day && q->part_of_day[0] && !st->part_of_day[0])
		lost[n++] = "--part";
	if (q->attempt_ms && st->attempt_ms != q->attempt_ms)
		lost[n++] = "--at";
	if (q->crisis && !st->crisis)
		lost[n++] = "--crisis";
	if (q->warm_handover && !st->warm_handover)
		lost[n++] = "--warm-handover";
	return n;
}

static int case_step(const char *sock, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"feedback", no_argument, 0, 'b'},
	    {"consent", required_argument, 0, 'c'},
	    {"how", required_argument, 0, 'h'},
	    {"reached", required_argument, 0, 'r'},
	    {"part", required_argument, 0, 'p'},
	    {"crisis", no_argument, 0, 'x'},
	    {"warm-handover", no_argument, 0, 'w'},
	    {"at", required_argument, 0, 't'},
	    {0, 0, 0, 0}};
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	char *refs[16];
	int opt;
	char key[65];
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'b')
			q.feedback = 1;
		else if (opt == 'c' && q.n_consent_refs < 16)
			refs[q.n_consent_refs++] = optarg;
		else if (opt == 'h')
			q.contact_how = optarg;
		else if (opt == 'r')
			q.contact_reached = optarg;
		else if (opt == 'p')
			q.part_of_day = optarg;
		else if (opt == 'x')
			q.crisis = 1;
		else if (opt == 'w')
			q.warm_handover = 1;
		else if (opt == 't') {
			int64_t us;
			if (seinctl_parse_time(optarg, &us) < 0 || us <= 0) {
				fprintf(
				    stderr,
				    "seinctl: --at: give YYYY-MM-DDTHH:MM[:SS] "
				    "(Dutch time) or @SECONDS\n");
				return 2;
			}
			q.attempt_ms = us / 1000;
		} else {
			if (opt == '?')
				sh_opt_refused("seinctl case step", argc, argv,
				               "", opts);
			goto usage;
		}
	}
	if (optind + 2 != argc)
		goto usage;
	int rc = resolve_case(sock, argv[optind], key);
	if (rc)
		return rc;
	q.op = SEINHUIS__CTL_REQUEST__OP__CASE_STEP;
	q.case_key = key;
	q.step = argv[optind + 1];
	q.consent_refs = refs;
	Seinhuis__CtlReply *r;
	if ((rc = seinctl_call(sock, &q, &r)) != 0)
		return rc;
	char what[160];
	snprintf(what, sizeof(what), "case %.16s: %s recorded", key, q.step);
	const char *lost[6];
	size_t nlost = step_lost(r, &q, lost);
	print_case_reply(r, what, lost, nlost);
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return nlost ? 4 : 0; /* recorded, but not all of it */
usage:
	fprintf(stderr,
	        "usage: seinctl case step CASE STEP [--feedback "
	        "[--consent REF]...] [--how HOW] [--reached yes|no] "
	        "[--part PART] [--at TIME] [--crisis] [--warm-handover]\n"
	        "  STEP: contact_attempted, in_conversation, help_accepted, "
	        "help_declined, closed\n"
	        "  HOW (contact_attempted): phone, visit, letter, email, "
	        "text_message, other\n"
	        "  PART (contact_attempted): morning, afternoon, evening\n"
	        "  TIME (contact_attempted, when it was made if earlier): "
	        "YYYY-MM-DDTHH:MM[:SS] or @SECONDS\n");
	return 2;
}

/* ------------------------------------------------------- monitor */

static void csv_cell(FILE *f, const char *s, int last);

/* The partner type the national statistics count (energy, rent, water,
 * health insurance) is the creditor's: from the sender's role on its
 * card, as the daemon's status lists its partners; for a sender that is
 * no longer a partner, from the arrears kind. */
struct mon_roles {
	Seinhuis__CtlReply *status; /* NULL: the status could not be had */
};

static const char *partner_type(const struct mon_roles *r,
                                const Seinhuis__InboxItem *it)
{
	static const char *const by_role[][2] = {
	    {"landlord", "rent"},
	    {"energy", "energy"},
	    {"water", "water"},
	    {"health_insurer", "health_insurance"}};
	static const char *const by_kind[][2] = {
	    {"rent", "rent"},
	    {"electricity", "energy"},
	    {"gas", "energy"},
	    {"heat", "energy"},
	    {"end_of_supply", "energy"},
	    {"water", "water"},
	    {"health_insurance", "health_insurance"}};
	const Seinhuis__DaemonStatus *st = r->status ? r->status->status : NULL;
	for (size_t i = 0; st && i < st->n_peers; i++) {
		if (strcmp(st->peers[i]->partner, it->sender) != 0)
			continue;
		for (size_t k = 0; k < 4; k++)
			if (strcmp(st->peers[i]->role, by_role[k][0]) == 0)
				return by_role[k][1];
		return "other";
	}
	const char *kind = seinctl_field_of(it, "arrears_kind");
	for (size_t k = 0; k < sizeof(by_kind) / sizeof(by_kind[0]); k++)
		if (strcmp(kind, by_kind[k][0]) == 0)
			return by_kind[k][1];
	return "other";
}

/* When a contact attempt was made: given with --at, else when recorded. */
static int64_t attempt_time(const Seinhuis__CaseStep *s)
{
	return s->attempt_ms ? s->attempt_ms : s->time_ms;
}

static int in_period(int64_t ms, int64_t since_us, int64_t until_us)
{
	int64_t us = ms * 1000;
	return us >= since_us && (until_us == 0 || us < until_us);
}

/* A case as it stood at the end of the period: its latest step (new if
 * none), the latest of in_conversation, help_accepted and help_declined
 * (the outcome; none if none), whether a first conversation took place,
 * and its crisis and warm hand-over marks, from the steps recorded before
 * until_us (0: all). */
struct mon_case {
	const char *status, *outcome;
	int made, crisis, warm;
};

static void case_at(const Seinhuis__CaseRecord *r, int64_t until_us,
                    struct mon_case *m)
{
	m->status = "new";
	m->outcome = "none";
	m->made = m->crisis = m->warm = 0;
	for (size_t i = 0; r && i < r->n_steps; i++) {
		const Seinhuis__CaseStep *s = r->steps[i];
		if (until_us && s->time_ms * 1000 >= until_us)
			break; /* in order */
		m->status = s->step;
		if (strcmp(s->step, "in_conversation") == 0 ||
		    strcmp(s->step, "help_accepted") == 0 ||
		    strcmp(s->step, "help_declined") == 0) {
			m->outcome = s->step;
			m->made = 1;
		}
		m->crisis |= s->crisis;
		m->warm |= s->warm_handover;
	}
}

static void count_word(const char *const *words, size_t *counts, size_t n,
                       const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(words[i], w) == 0) {
			counts[i]++;
			return;
		}
}

static int by_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (const void *const *)a;
	uintptr_t y = (uintptr_t) * (const void *const *)b;
	return x < y ? -1 : x > y;
}

struct mon_totals {
	size_t pt[5], st[6], how[7], part[4];
	size_t nsig, nhouse, ncrisis, nwarm, natt, nreached, nnot;
	long long cents[5];
};

static const char *const mon_ptypes[] = {"rent", "energy", "water",
                                         "health_insurance", "other"};
static const char *const mon_statuses[] = {
    "new",           "contact_attempted", "in_conversation",
    "help_accepted", "help_declined",     "closed"};
static const char *const mon_hows[] = {
    "phone", "visit", "letter", "email", "text_message", "other", ""};
static const char *const mon_parts[] = {"morning", "afternoon", "evening", ""};

/* Signals per municipality (their municipality_code), for a team that
 * acts for several. */
#define MON_MUNIS 64
struct mon_munis {
	char code[MON_MUNIS][8];
	size_t n[MON_MUNIS], ncodes, unknown, other; /* other: past MON_MUNIS */
};

struct mon_out {
	int csv, attempts;
	json_object *jsig, *jatt;
	int64_t since_us, until_us;
	const char *muni; /* --municipality: only its signals and cases */
	const struct mon_roles *roles;
	struct mon_totals t;
	struct mon_munis m;
};

/* A signal's municipality: its own code, or else its case's if the case
 * has exactly one; "" if neither tells. */
static const char *sig_muni(const Seinhuis__InboxItem *it,
                            const struct case_munis *cm)
{
	const char *m = seinctl_field_of(it, "municipality_code");
	if (m[0])
		return m;
	return cm->n == 1 ? cm->v[0] : "";
}

static void count_muni(struct mon_munis *mm, const char *m)
{
	if (!m[0]) {
		mm->unknown++;
		return;
	}
	for (size_t i = 0; i < mm->ncodes; i++)
		if (strcmp(mm->code[i], m) == 0) {
			mm->n[i]++;
			return;
		}
	if (mm->ncodes == MON_MUNIS) {
		mm->other++;
		return;
	}
	snprintf(mm->code[mm->ncodes], sizeof(mm->code[0]), "%s", m);
	mm->n[mm->ncodes++] = 1;
}

/* One case's rows: its arrears signals that arrived in the period, its
 * contact attempts recorded in it; nothing if it has neither. */
static void monitor_case(struct mon_out *o, const struct cs_case *c,
                         const Seinhuis__CaseRecord *rec)
{
	size_t here = 0;
	struct mon_case m;
	struct case_munis cm;
	munis_of(c, rec, &cm);
	if (o->muni) {
		size_t k = 0;
		while (k < cm.n && strcmp(cm.v[k], o->muni) != 0)
			k++;
		if (k == cm.n)
			return; /* not a case of this municipality */
	}
	case_at(rec, o->until_us, &m);
	for (size_t i = 0; c && i < c->nsig; i++)
		here += strcmp(c->sig[i]->type, "arrears") == 0 &&
		        in_period(c->sig[i]->received_ms, o->since_us,
		                  o->until_us) &&
		        (!o->muni ||
		         strcmp(sig_muni(c->sig[i], &cm), o->muni) == 0);
	for (size_t i = 0; rec && i < rec->n_steps; i++)
		here += strcmp(rec->steps[i]->step, "contact_attempted") == 0 &&
		        in_period(attempt_time(rec->steps[i]), o->since_us,
		                  o->until_us);
	if (!here)
		return;
	struct mon_totals *t = &o->t;
	size_t num = ++t->nhouse;
	t->ncrisis += m.crisis;
	t->nwarm += m.warm;
	char cn[24];
	snprintf(cn, sizeof(cn), "%zu", num);
	for (size_t i = 0; c && i < c->nsig; i++) {
		const Seinhuis__InboxItem *it = c->sig[i];
		if (strcmp(it->type, "arrears") != 0 ||
		    !in_period(it->received_ms, o->since_us, o->until_us))
			continue;
		const char *mu = sig_muni(it, &cm);
		if (o->muni && strcmp(mu, o->muni) != 0)
			continue; /* the household's signal to another one */
		count_muni(&o->m, mu);
		const char *pt = partner_type(o->roles, it);
		const char *cents = seinctl_field_of(it, "amount_cents");
		t->nsig++;
		count_word(mon_ptypes, t->pt, 5, pt);
		count_word(mon_statuses, t->st, 6, m.status);
		for (size_t k = 0; k < 5; k++)
			if (strcmp(pt, mon_ptypes[k]) == 0)
				t->cents[k] += atoll(cents);
		char day[32];
		seinctl_fmt_time(day, sizeof(day), it->received_ms);
		day[10] = 0;
		const char *cols[][2] = {
		    {"case", cn},
		    {"received", day},
		    {"partner_type", pt},
		    {"arrears_kind", seinctl_field_of(it, "arrears_kind")},
		    {"amount_cents", cents},
		    {"arrears_since", seinctl_field_of(it, "arrears_since")},
		    {"urgency", seinctl_field_of(it, "urgency")},
		    {"status", m.status},
		    {"outcome", m.outcome},
		    {"crisis", m.crisis ? "yes" : "no"},
		    {"warm_handover", m.warm ? "yes" : "no"},
		    {"contact_made", m.made ? "yes" : "no"},
		    {"municipality", mu}};
		size_t nc = sizeof(cols) / sizeof(cols[0]);
		if (o->jsig) {
			json_object *j = json_object_new_object();
			for (size_t k = 0; k < nc; k++)
				json_object_object_add(
				    j, cols[k][0],
				    k == 0 || k == 4 ? json_object_new_int64(
				                           atoll(cols[k][1]))
				    : k >= 9 && k <= 11
				        ? json_object_new_boolean(
				              cols[k][1][0] == 'y')
				        : json_object_new_string(cols[k][1]));
			json_object_array_add(o->jsig, j);
		} else if (o->csv && !o->attempts) {
			for (size_t k = 0; k < nc; k++)
				csv_cell(stdout, cols[k][1], k + 1 == nc);
		}
	}
	for (size_t i = 0; rec && i < rec->n_steps; i++) {
		const Seinhuis__CaseStep *st = rec->steps[i];
		if (strcmp(st->step, "contact_attempted") != 0 ||
		    !in_period(attempt_time(st), o->since_us, o->until_us))
			continue;
		t->natt++;
		count_word(mon_hows, t->how, 7, st->contact_how);
		count_word(mon_parts, t->part, 4, st->part_of_day);
		t->nreached += strcmp(st->contact_reached, "yes") == 0;
		t->nnot += strcmp(st->contact_reached, "no") == 0;
		char day[32];
		seinctl_fmt_time(day, sizeof(day), attempt_time(st));
		day[10] = 0;
		const char *cols[][2] = {{"case", cn},
		                         {"date", day},
		                         {"how", st->contact_how},
		                         {"reached", st->contact_reached},
		                         {"part_of_day", st->part_of_day}};
		if (o->jatt) {
			json_object *j = json_object_new_object();
			for (size_t k = 0; k < 5; k++)
				json_object_object_add(
				    j, cols[k][0],
				    k == 0
				        ? json_object_new_int64((int64_t)num)
				        : json_object_new_string(cols[k][1]));
			json_object_array_add(o->jatt, j);
		} else if (o->csv && o->attempts) {
			for (size_t k = 0; k < 5; k++)
				csv_cell(stdout, cols[k][1], k == 4);
		}
	}
}

static void monitor_summary(const struct mon_out *o)
{
	const struct mon_totals *t = &o->t;
	char from[32] = "the start", to[32] = "now", eur[32];
	if (o->since_us)
		seinctl_fmt_time(from, sizeof(from), o->since_us / 1000);
	if (o->until_us)
		seinctl_fmt_time(to, sizeof(to), o->until_us / 1000);
	printf("period      %s to %s\n", from, to);
	if (o->muni)
		printf("municipality %s (its signals, and the cases they or "
		       "the team's steps placed there)\n",
		       o->muni);
	else if (o->m.ncodes) {
		printf("municipalities");
		for (size_t i = 0; i < o->m.ncodes; i++)
			printf(" %s %zu%s", o->m.code[i], o->m.n[i],
			       i + 1 < o->m.ncodes || o->m.unknown || o->m.other
			           ? ","
			           : "");
		if (o->m.other)
			printf(" more %zu%s", o->m.other,
			       o->m.unknown ? "," : "");
		if (o->m.unknown)
			printf(" not given %zu", o->m.unknown);
		printf(" (arrears signals)\n");
	}
	printf("signals     %zu arrears signal(s):", t->nsig);
	for (size_t i = 0; i < 5; i++)
		printf(" %s %zu%s", mon_ptypes[i], t->pt[i], i < 4 ? "," : "");
	printf("\namounts    ");
	for (size_t i = 0; i < 5; i++) {
		euro(eur, sizeof(eur), t->cents[i]);
		printf(" %s %s%s", mon_ptypes[i], eur, i < 4 ? "," : "");
	}
	printf("\nhouseholds  %zu; crisis %zu, warm hand-over %zu\n", t->nhouse,
	       t->ncrisis, t->nwarm);
	printf("status      (of each signal's case at the end of the period)");
	for (size_t i = 0; i < 6; i++)
		printf(" %s %zu%s", mon_statuses[i], t->st[i],
		       i < 5 ? "," : "");
	printf("\nattempts    %zu contact attempt(s):", t->natt);
	for (size_t i = 0; i < 7; i++)
		printf(" %s %zu%s", mon_hows[i][0] ? mon_hows[i] : "not given",
		       t->how[i], i < 6 ? "," : "");
	printf("; reached %zu, not reached %zu, not said %zu;", t->nreached,
	       t->nnot, t->natt - t->nreached - t->nnot);
	for (size_t i = 0; i < 4; i++)
		printf(" %s %zu%s", mon_parts[i][0] ? mon_parts[i] : "no part",
		       t->part[i], i < 3 ? "," : "");
	printf("\n(signals by arrival, attempts by when they were made; "
	       "signals taken with inbox ack or removed by retention are no "
	       "longer counted)\n");
}

/* `case monitor`: the figures of the national statistics standard for
 * arrears signals, for a period: per signal its partner type, kind,
 * amount, start of the arrears, urgency, its case's status, outcome and
 * marks at the end of the period; per contact attempt its kind, whether
 * it reached the resident, its date and part of the day. Cases are
 * numbered in the report, not named by their case key, so that the
 * figures can go to whoever compiles them. */
static int case_monitor(const char *sock, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"since", required_argument, 0, 's'},
	    {"until", required_argument, 0, 'u'},
	    {"format", required_argument, 0, 'f'},
	    {"attempts", no_argument, 0, 'a'},
	    {"municipality", required_argument, 0, 'm'},
	    {0, 0, 0, 0}};
	struct mon_out o = {0};
	struct mon_roles roles = {NULL};
	const char *format = "text";
	int opt;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 's' || opt == 'u') {
			if (seinctl_parse_time(optarg, opt == 's'
			                                   ? &o.since_us
			                                   : &o.until_us) < 0) {
				fprintf(stderr,
				        "seinctl: --%s: give YYYY-MM-DD, "
				        "YYYY-MM-DDTHH:MM[:SS] (Dutch time) "
				        "or @SECONDS\n",
				        opt == 's' ? "since" : "until");
				return 2;
			}
		} else if (opt == 'f') {
			format = optarg;
		} else if (opt == 'a') {
			o.attempts = 1;
		} else if (opt == 'm') {
			if (strlen(optarg) != 4 ||
			    strspn(optarg, "0123456789") != 4) {
				fprintf(stderr,
				        "seinctl: --municipality: give the "
				        "four-digit CBS code (0363)\n");
				return 2;
			}
			o.muni = optarg;
		} else {
			sh_opt_refused("seinctl case monitor", argc, argv, "",
			               opts);
			goto usage;
		}
	}
	if (optind != argc ||
	    (strcmp(format, "text") != 0 && strcmp(format, "csv") != 0))
		goto usage;
	o.csv = strcmp(format, "csv") == 0;
	if (json_out && o.csv) {
		fprintf(stderr, "seinctl: --json and --format csv exclude each "
		                "other\n");
		return 2;
	}
	if (o.attempts && !o.csv) {
		fprintf(stderr, "seinctl: --attempts goes with --format csv "
		                "(the text and --json give both)\n");
		return 2;
	}
	if (o.until_us && o.until_us <= o.since_us) {
		fprintf(stderr, "seinctl: --until must come after --since\n");
		return 2;
	}
	struct cs_view w;
	int rc = view_load(sock, &w);
	if (rc)
		return rc;
	Seinhuis__CtlRequest sq = SEINHUIS__CTL_REQUEST__INIT;
	char why[300];
	sq.op = SEINHUIS__CTL_REQUEST__OP__STATUS;
	if (seinctl_call_why(sock, &sq, &roles.status, why, sizeof(why)) != 0)
		roles.status = NULL; /* partner types from the kinds */
	o.roles = &roles;
	if (json_out) {
		o.jsig = json_object_new_array();
		o.jatt = json_object_new_array();
	} else if (o.csv && !o.attempts) {
		printf("\"case\",\"received\",\"partner_type\",\"arrears_"
		       "kind\",\"amount_cents\",\"arrears_since\",\"urgency\","
		       "\"status\",\"outcome\",\"crisis\",\"warm_handover\","
		       "\"contact_made\",\"municipality\"\n");
	} else if (o.csv) {
		printf("\"case\",\"date\",\"how\",\"reached\",\"part_of_"
		       "day\"\n");
	}
	/* the cases with signals in the inbox, then the case records whose
	 * signals are gone (taken, or past retention): their attempts */
	const void **seen = sh_xcalloc(w.n + 1, sizeof(*seen));
	size_t nseen = 0;
	for (size_t k = 0; k < w.n; k++) {
		monitor_case(&o, &w.v[k], w.v[k].rec);
		if (w.v[k].rec)
			seen[nseen++] = w.v[k].rec;
	}
	if (nseen > 1)
		qsort(seen, nseen, sizeof(*seen), by_ptr);
	for (size_t i = 0; i < w.cases->n_cases; i++) {
		const void *r = w.cases->cases[i];
		if (!nseen || !bsearch(&r, seen, nseen, sizeof(*seen), by_ptr))
			monitor_case(&o, NULL, w.cases->cases[i]);
	}
	free(seen);
	if (json_out) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "signals", o.jsig);
		json_object_object_add(j, "attempts", o.jatt);
		seinctl_print_json(j);
	} else if (!o.csv) {
		/* municipalities in the order of their codes */
		struct mon_munis *mm = &o.m;
		for (size_t i = 1; i < mm->ncodes; i++)
			for (size_t j = i;
			     j > 0 && strcmp(mm->code[j - 1], mm->code[j]) > 0;
			     j--) {
				char tc[8];
				size_t tn = mm->n[j];
				memcpy(tc, mm->code[j], sizeof(tc));
				memcpy(mm->code[j], mm->code[j - 1],
				       sizeof(tc));
				memcpy(mm->code[j - 1], tc, sizeof(tc));
				mm->n[j] = mm->n[j - 1];
				mm->n[j - 1] = tn;
			}
		monitor_summary(&o);
	}
	if (roles.status)
		seinhuis__ctl_reply__free_unpacked(roles.status, NULL);
	view_free(&w);
	return 0;
usage:
	fprintf(stderr, "usage: seinctl case monitor [--since TIME] [--until "
	                "TIME] [--municipality CODE] [--format text|csv "
	                "[--attempts]]\n");
	return 2;
}

int seinctl_claim(const char *sock, int json, int argc, char **argv)
{
	json_out = json;
	return case_claim(sock, argc, argv);
}

int seinctl_case(const char *sock, int json, int argc, char **argv)
{
	json_out = json;
	const char *sub = argc > 1 ? argv[1] : "";
	if (strcmp(sub, "list") == 0 && argc == 2)
		return seinctl_case_list(sock, json);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return case_show(sock, argv[2]);
	if (strcmp(sub, "claim") == 0)
		return case_claim(sock, argc - 1, argv + 1);
	if (strcmp(sub, "step") == 0)
		return case_step(sock, argc - 1, argv + 1);
	if (strcmp(sub, "monitor") == 0)
		return case_monitor(sock, argc - 1, argv + 1);
	fprintf(stderr, "usage: seinctl case list | show CASE | claim CASE "
	                "[--release] [--force] | step CASE STEP [--feedback "
	                "[--consent REF]...] [--how HOW] [--reached yes|no] "
	                "[--part PART] [--at TIME] [--crisis] "
	                "[--warm-handover] | monitor "
	                "[--since TIME] [--until TIME] [--municipality CODE] "
	                "[--format text|csv [--attempts]]\n");
	return 2;
}

/* --------------------------------------------------------- export */

/* The personal fields of one signal: an audited reveal in the daemon;
 * with check, only whether the daemon would reveal them (nothing revealed
 * or recorded). */
static int reveal(const char *sock, const char *id, const char *reason,
                  int check, Seinhuis__CtlReply **r)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	q.op = SEINHUIS__CTL_REQUEST__OP__INBOX_REVEAL;
	q.message_id = (char *)id;
	q.reason = (char *)reason;
	q.check_only = check != 0;
	return seinctl_call(sock, &q, r);
}

/* Between cells: ',', or ';' for export --excel. */
static char csv_sep = ',';

/* Every cell quoted (sh_csv_cell neutralises formula-like ones). */
static void csv_cell(FILE *f, const char *s, int last)
{
	sh_csv_cell_sep(f, s, 1, last, csv_sep);
}

struct names {
	char **v;
	size_t n;
};

static void names_add(struct names *ns, const char *name)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], name) == 0)
			return;
	ns->v = realloc(ns->v, (ns->n + 1) * sizeof(*ns->v));
	if (!ns->v)
		abort();
	ns->v[ns->n++] = sh_strdup(name);
}

static const char *revealed_of(const Seinhuis__CtlReply *r, const char *name)
{
	for (size_t i = 0; r && i < r->n_revealed; i++)
		if (strcmp(r->revealed[i]->name, name) == 0)
			return r->revealed[i]->value;
	return "";
}

/* The case records whose signals all left the inbox (taken, or past
 * retention) still have an owner and steps, which case show lists: an
 * export holds them too, as cases without signals. */
static void view_add_recorded(struct cs_view *w)
{
	size_t n0 = w->n;
	for (size_t r = 0; r < w->cases->n_cases; r++) {
		size_t k = 0;
		while (k < n0 && strcmp(w->v[k].key, w->keys[r]) != 0)
			k++;
		if (k < n0)
			continue;
		w->v = realloc(w->v, (w->n + 1) * sizeof(*w->v));
		if (!w->v)
			abort();
		struct cs_case *c = &w->v[w->n++];
		memset(c, 0, sizeof(*c));
		snprintf(c->key, sizeof(c->key), "%s", w->keys[r]);
		c->urgency = "none";
		c->rec = w->cases->cases[r];
	}
}

int seinctl_export(const char *sock, int json, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, 0, 'f'},
	    {"out", required_argument, 0, 'o'},
	    {"case", required_argument, 0, 'c'},
	    {"reveal", no_argument, 0, 'r'},
	    {"reason", required_argument, 0, 'R'},
	    {"excel", no_argument, 0, 'x'},
	    {0, 0, 0, 0}};
	const char *format = json ? "json" : NULL, *out = NULL, *only = NULL,
	           *reason = NULL;
	int opt, do_reveal = 0, excel = 0, rc;
	char key[65] = "";
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': format = optarg; break;
		case 'o': out = optarg; break;
		case 'c': only = optarg; break;
		case 'r': do_reveal = 1; break;
		case 'R': reason = optarg; break;
		case 'x': excel = 1; break;
		default:
			sh_opt_refused("seinctl export", argc, argv, "", opts);
			goto usage;
		}
	}
	if (optind != argc || !format ||
	    (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0))
		goto usage;
	if (excel && strcmp(format, "csv") != 0) {
		fprintf(stderr, "seinctl: export --excel goes with --format "
		                "csv\n");
		return 2;
	}
	if (do_reveal && (!reason || !reason[0])) {
		fprintf(stderr, "seinctl: export --reveal needs --reason TEXT: "
		                "each reveal is recorded with it\n");
		return 2;
	}
	if (!do_reveal && reason)
		goto usage;
	if (only && (rc = resolve_case(sock, only, key)) != 0)
		return rc;
	struct cs_view w;
	if ((rc = view_load(sock, &w)) != 0)
		return rc;
	view_add_recorded(&w);
	/* reveals first: a refusal leaves no file behind */
	size_t total = 0;
	for (size_t k = 0; k < w.n; k++)
		total += w.v[k].nsig;
	Seinhuis__CtlReply **rv = sh_xcalloc(total + 1, sizeof(*rv));
	struct names clear = {0}, personal = {0};
	size_t s = 0;
	/* The reason is checked against every signal before any is revealed:
	 * each reveal is recorded with it, and a reason that names the
	 * resident of one signal must not stay in the log with the reveals
	 * of those before it. (A daemon of a version before the check
	 * reveals at once; its answer is then taken as the reveal.) */
	for (size_t k = 0; do_reveal && k < w.n; k++)
		for (size_t i = 0; i < w.v[k].nsig; i++, s++) {
			if (key[0] && strcmp(w.v[k].key, key) != 0)
				continue;
			if ((rc = reveal(sock, w.v[k].sig[i]->message_id,
			                 reason, 1, &rv[s])) != 0)
				goto done;
			if (rv[s] && !rv[s]->n_revealed) {
				seinhuis__ctl_reply__free_unpacked(rv[s], NULL);
				rv[s] = NULL;
			}
		}
	s = 0;
	for (size_t k = 0; k < w.n; k++) {
		if (key[0] && strcmp(w.v[k].key, key) != 0) {
			s += w.v[k].nsig;
			continue;
		}
		for (size_t i = 0; i < w.v[k].nsig; i++, s++) {
			const Seinhuis__InboxItem *it = w.v[k].sig[i];
			for (size_t j = 0; j < it->n_fields; j++)
				names_add(&clear, it->fields[j]->name);
			if (!do_reveal)
				continue;
			if (!rv[s] && (rc = reveal(sock, it->message_id, reason,
			                           0, &rv[s])) != 0)
				goto done;
			for (size_t j = 0; j < rv[s]->n_revealed; j++)
				names_add(&personal, rv[s]->revealed[j]->name);
		}
	}
	FILE *f = stdout;
	if (out) {
		int fd = open(
		    out, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
		if (fd < 0 || fchmod(fd, 0600) < 0 || !(f = fdopen(fd, "w"))) {
			fprintf(stderr, "seinctl: %s: %s\n", out,
			        strerror(errno));
			if (fd >= 0)
				close(fd);
			rc = 2;
			goto done;
		}
	}
	if (strcmp(format, "json") == 0) {
		json_object *a = json_object_new_array();
		s = 0;
		for (size_t k = 0; k < w.n; k++) {
			if (key[0] && strcmp(w.v[k].key, key) != 0) {
				s += w.v[k].nsig;
				continue;
			}
			json_object *o = case_json(&w.v[k], 1);
			json_object *sl;
			json_object_object_get_ex(o, "signal_list", &sl);
			for (size_t i = 0; i < w.v[k].nsig; i++, s++) {
				if (!rv[s])
					continue;
				json_object *p = json_object_new_object();
				for (size_t j = 0; j < rv[s]->n_revealed; j++)
					json_object_object_add(
					    p, rv[s]->revealed[j]->name,
					    json_object_new_string(
					        rv[s]->revealed[j]->value));
				json_object_object_add(
				    json_object_array_get_idx(sl, i),
				    "personal", p);
			}
			json_object_array_add(a, o);
		}
		fprintf(f, "%s\n",
		        json_object_to_json_string_ext(
		            a, JSON_C_TO_STRING_PRETTY |
		                   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(a);
	} else {
		/* --excel: what a spreadsheet set up for Dutch reads when the
		 * file is opened: cells split on ';', and UTF-8 said by a byte
		 * order mark (else it reads Windows-1252: "Zoë" as "ZoÃ«") */
		csv_sep = excel ? ';' : ',';
		if (excel)
			fputs("\xef\xbb\xbf", f);
		const char *head[] = {"case_key",   "owner",   "step",
		                      "message_id", "sender",  "type",
		                      "created",    "received"};
		for (size_t j = 0; j < 8; j++)
			csv_cell(f, head[j], 0);
		for (size_t j = 0; j < clear.n; j++)
			csv_cell(f, clear.v[j], 0);
		for (size_t j = 0; j < personal.n; j++)
			csv_cell(f, personal.v[j], 0);
		csv_cell(f, "personal_data", 1);
		s = 0;
		for (size_t k = 0; k < w.n; k++) {
			const struct cs_case *c = &w.v[k];
			if (key[0] && strcmp(c->key, key) != 0) {
				s += c->nsig;
				continue;
			}
			for (size_t i = 0; i < c->nsig; i++, s++) {
				const Seinhuis__InboxItem *it = c->sig[i];
				char cr[32], rc2[32];
				seinctl_fmt_time(cr, sizeof(cr),
				                 it->created_ms);
				seinctl_fmt_time(rc2, sizeof(rc2),
				                 it->received_ms);
				csv_cell(f, c->key, 0);
				csv_cell(f, c->rec ? c->rec->owner : "", 0);
				csv_cell(f, last_step(c->rec, NULL), 0);
				csv_cell(f, it->message_id, 0);
				csv_cell(f, it->sender, 0);
				csv_cell(f, it->type, 0);
				csv_cell(f, cr, 0);
				csv_cell(f, rc2, 0);
				for (size_t j = 0; j < clear.n; j++)
					csv_cell(
					    f, seinctl_field_of(it, clear.v[j]),
					    0);
				for (size_t j = 0; j < personal.n; j++)
					csv_cell(
					    f,
					    revealed_of(rv[s], personal.v[j]),
					    0);
				csv_cell(f, rv[s] ? "revealed" : "sealed", 1);
			}
			if (c->nsig)
				continue;
			/* a case without signals: its owner and step */
			csv_cell(f, c->key, 0);
			csv_cell(f, c->rec ? c->rec->owner : "", 0);
			csv_cell(f, last_step(c->rec, NULL), 0);
			for (size_t j = 0; j < 5 + clear.n + personal.n; j++)
				csv_cell(f, "", 0);
			csv_cell(f, "", 1);
		}
	}
	if (f != stdout && fclose(f) != 0) {
		fprintf(stderr, "seinctl: %s: %s\n", out, strerror(errno));
		rc = 1;
	} else if (f != stdout) {
		/* what was written, for the person who asked */
		size_t ncases = 0, nsig = 0, nrev = 0;
		for (size_t k = 0; k < w.n; k++)
			if (!key[0] || strcmp(w.v[k].key, key) == 0) {
				ncases++;
				nsig += w.v[k].nsig;
			}
		for (size_t i = 0; i < total; i++)
			nrev += rv[i] != NULL;
		printf("exported %zu case(s), %zu signal(s), %zu with personal "
		       "data revealed, to %s (mode 0600)\n",
		       ncases, nsig, nrev, out);
	}
	fflush(stdout);
done:
	for (size_t i = 0; i < total; i++)
		if (rv[i]) {
			for (size_t j = 0; j < rv[i]->n_revealed; j++)
				sh_wipe(rv[i]->revealed[j]->value,
				        strlen(rv[i]->revealed[j]->value));
			seinhuis__ctl_reply__free_unpacked(rv[i], NULL);
		}
	free(rv);
	for (size_t j = 0; j < clear.n; j++)
		free(clear.v[j]);
	free(clear.v);
	for (size_t j = 0; j < personal.n; j++)
		free(personal.v[j]);
	free(personal.v);
	view_free(&w);
	return rc;
usage:
	fprintf(stderr, "usage: seinctl export --format json|csv [--out FILE] "
	                "[--case CASE] [--excel] [--reveal --reason TEXT]\n");
	return 2;
}
