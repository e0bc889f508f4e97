/*
 * cases.c - the debt-help team's cases and the status feedback to the
 * creditors.
 *
 * A case is a household: the inbox signals that share a case key (the
 * recipient's own HMAC of postcode and house number, see control.c and
 * peer.c). The signals themselves stay in the inbox; the `cases` table
 * (store.c) keeps only what the team adds to a case: the caseworker who
 * claimed it (one owner at a time) and the outreach steps, in order, each
 * with time, caseworker and the status feedback that went with it. None of
 * it is personal: case keys, login names, step words, message ids.
 *
 * Rules, each refusal named:
 *   claim      a caseworker claims an unclaimed case (or one they own);
 *              another's case is refused with CASE_CLAIMED until its owner
 *              releases it, or an administrator forces the claim.
 *   step       only the owner (or an administrator) records a step, on a
 *              claimed case; unknown words are CASE_STEP. What the national
 *              statistics of early warning count goes with it: for a
 *              contact_attempted step how (phone, visit, letter, email,
 *              text_message, other), whether it reached the resident and
 *              the part of the day (from its time if not given), and
 *              its time when earlier than now (at most 31 days back);
 *              on any step the marks crisis and warm hand-over. Words
 *              only, each checked; given with another step, CASE_STEP.
 *              A closed case is not closed again (CASE_STEP); another
 *              step reopens it.
 *   feedback   a step with a meaning for the creditor (in_conversation and
 *              help_declined: contact_made; help_accepted; closed after an
 *              attempt that reached the resident: contact_made; closed
 *              before any contact: no_contact) may be told to each creditor
 * whose signal is in the case: one status_feedback signal per creditor,
 * referring to that creditor's newest signal in the case. The catalogue entry
 * of the referred signal's type decides (`feedback =`): none refuses
 * (FEEDBACK), consent needs a granted, unrevoked, valid consent for that
 * creditor and the catalogue's purpose, given by the same resident (CONSENT),
 * legal_task allows. Everything is checked before anything is written: either
 * the step and all its feedback signals are accepted, or nothing is. delivery
 * the creditor's daemon checks again (sh_feedback_deliver): the referred signal
 * is in its own outbox, was sent to the partner that answers, and its type's
 * `feedback` allows the basis the answer came under; then the status and time
 * are attached to that outbox record in the delivering transaction, unless an
 * answer created later is attached there already (outbox_answered). Anything
 * else is rejected like any refused signal (negative receipt, audit entry).
 * Claims, releases and steps are audit entries with the case key, user
 * and role, in the transaction that records them.
 *
 * Retention (sh_cases_retention, from the daemon's retention sweep): a
 * case record is removed once its last activity (its newest step, or the
 * claim when it has none) is older than its keep period, if the case is
 * closed (its newest step is `closed`) or if none of its signals is left
 * in the inbox. The keep period of a closed case is the longest
 * `keep_closed` (default 18 months), of an open one the longest
 * `keep_taken`, among the catalogue entries of its signals still in the
 * inbox; with none left (taken or removed, so their types are no longer
 * known), the longest among the types this partner's role may receive, so
 * that a case is never removed before the keep period of any of its
 * signals. The removal is an audit entry (retention_removed) with the case
 * key only.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auditd.h"
#include "cases.h"
#include "daemon.h"

static const char *const step_words[] = {"contact_attempted", "in_conversation",
                                         "help_accepted", "help_declined",
                                         "closed"};
#define N_STEPS (sizeof(step_words) / sizeof(step_words[0]))

static int word_of(const char *s, const char *const *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, w[i]) == 0)
			return 1;
	return 0;
}

static int step_valid(const char *s)
{
	return word_of(s, step_words, N_STEPS);
}

/* The national statistics of early warning record per contact attempt its
 * kind, whether it reached the resident and the part of the day. */
static const char *const how_words[] = {"phone", "visit",        "letter",
                                        "email", "text_message", "other"};
static const char *const reached_words[] = {"yes", "no"};
static const char *const part_words[] = {"morning", "afternoon", "evening"};

/* Adds a part to a detail text, after a comma if it is not the first. */
static void detail_add(char *out, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void detail_add(char *out, size_t n, const char *fmt, ...)
{
	size_t len = strlen(out);
	if (len && len + 2 < n) {
		memcpy(out + len, ", ", 3);
		len += 2;
	}
	if (len + 1 >= n)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out + len, n - len, fmt, ap);
	va_end(ap);
}

/* The part of the day of a time, in Dutch local time (sh_time_nl, not
 * the machine's zone): from 6:00 to noon morning, from noon to 18:00
 * afternoon, else (the night too) evening. */
static const char *part_of(int64_t ms)
{
	struct tm tm;
	sh_time_nl(ms, &tm);
	return tm.tm_hour >= 6 && tm.tm_hour < 12    ? "morning"
	       : tm.tm_hour >= 12 && tm.tm_hour < 18 ? "afternoon"
	                                             : "evening";
}

/* The statistics details of a CASE_STEP request: each a known word, the
 * attempt's only with contact_attempted. 0, or -1 with the rule broken in
 * why. */
static int step_details_check(const Seinhuis__CtlRequest *q, char *why,
                              size_t wl)
{
	const char *how = q->contact_how ? q->contact_how : "";
	const char *reached = q->contact_reached ? q->contact_reached : "";
	const char *part = q->part_of_day ? q->part_of_day : "";
	if ((how[0] || reached[0] || part[0] || q->attempt_ms) &&
	    strcmp(q->step, "contact_attempted") != 0) {
		snprintf(why, wl,
		         "how, reached, part of day and time describe a "
		         "contact attempt: they go with step "
		         "contact_attempted, not '%s'",
		         q->step);
		return -1;
	}
	int64_t now = sh_now_ms();
	if (q->attempt_ms && q->attempt_ms > now + 60000) {
		snprintf(why, wl, "the attempt's time is ahead of now");
		return -1;
	}
	if (q->attempt_ms && q->attempt_ms < now - 31LL * 86400000) {
		snprintf(why, wl,
		         "the attempt's time is more than 31 days ago: "
		         "record attempts as they are made");
		return -1;
	}
	if (how[0] && !word_of(how, how_words, 6)) {
		snprintf(why, wl,
		         "how must be one of phone, visit, letter, email, "
		         "text_message, other");
		return -1;
	}
	if (reached[0] && !word_of(reached, reached_words, 2)) {
		snprintf(why, wl, "reached must be yes or no");
		return -1;
	}
	if (part[0] && !word_of(part, part_words, 3)) {
		snprintf(why, wl,
		         "part of day must be one of morning, afternoon, "
		         "evening");
		return -1;
	}
	return 0;
}

/* What a step tells the creditor, or NULL. closed says no_contact only
 * when no earlier step reached the resident: after a conversation step
 * (which told the creditor contact_made itself) nothing, and after a
 * contact attempt that reached the resident but led to no conversation
 * contact_made (the creditor was told nothing of it yet). */
static const char *feedback_status(const char *step,
                                   const Seinhuis__CaseRecord *rec)
{
	if (strcmp(step, "in_conversation") == 0 ||
	    strcmp(step, "help_declined") == 0)
		return "contact_made";
	if (strcmp(step, "help_accepted") == 0)
		return "help_accepted";
	if (strcmp(step, "closed") == 0) {
		int reached = 0;
		for (size_t i = 0; rec && i < rec->n_steps; i++) {
			const Seinhuis__CaseStep *s = rec->steps[i];
			if (strcmp(s->step, "in_conversation") == 0 ||
			    strcmp(s->step, "help_accepted") == 0 ||
			    strcmp(s->step, "help_declined") == 0)
				return NULL;
			reached |= strcmp(s->step, "contact_attempted") == 0 &&
			           strcmp(s->contact_reached, "yes") == 0;
		}
		return reached ? "contact_made" : "no_contact";
	}
	return NULL;
}

/* ------------------------------------------------- a case's signals */

struct case_sig {
	uint8_t id[SH_ID_LEN];
	char sender[SH_PARTNER_MAX + 1];
	Seinhuis__SignalType type;
	int64_t created_ms;
	uint8_t subject[SH_PSEUDO_LEN];
	int have_subject;
	char muni[8]; /* an arrears signal's municipality_code, or "" */
};

/* A CBS municipality code: four digits. */
static int muni_valid(const char *m)
{
	if (!m || strlen(m) != 4)
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (m[i] < '0' || m[i] > '9')
			return 0;
	return 1;
}

struct case_scan {
	const uint8_t *key;
	struct case_sig *v;
	size_t n;
};

static int case_sig_one(void *vctx, uint64_t seq,
                        const Seinhuis__InboxRecord *rec)
{
	struct case_scan *c = vctx;
	(void)seq;
	if (rec->case_key.len != SH_KEY_LEN ||
	    memcmp(rec->case_key.data, c->key, SH_KEY_LEN) != 0 ||
	    rec->message_id.len != SH_ID_LEN)
		return 0;
	c->v = realloc(c->v, (c->n + 1) * sizeof(*c->v));
	if (!c->v)
		abort();
	struct case_sig *s = &c->v[c->n++];
	memset(s, 0, sizeof(*s));
	memcpy(s->id, rec->message_id.data, SH_ID_LEN);
	snprintf(s->sender, sizeof(s->sender), "%s", rec->sender);
	s->type = rec->type;
	Seinhuis__Envelope *env = seinhuis__envelope__unpack(
	    NULL, rec->envelope.len, rec->envelope.data);
	Seinhuis__Signal *sg =
	    env ? seinhuis__signal__unpack(NULL, env->signal.len,
	                                   env->signal.data)
	        : NULL;
	if (sg) {
		s->created_ms = sg->created_ms;
		if (sg->subject.len == SH_PSEUDO_LEN) {
			memcpy(s->subject, sg->subject.data, SH_PSEUDO_LEN);
			s->have_subject = 1;
		}
		if (sg->payload_case == SEINHUIS__SIGNAL__PAYLOAD_ARREARS &&
		    sg->arrears && muni_valid(sg->arrears->municipality_code))
			memcpy(s->muni, sg->arrears->municipality_code, 5);
		seinhuis__signal__free_unpacked(sg, NULL);
	}
	if (env)
		seinhuis__envelope__free_unpacked(env, NULL);
	return 0;
}

static sh_err case_signals(sh_daemon *d, MDB_txn *txn, const uint8_t *key,
                           struct case_scan *cs)
{
	cs->key = key;
	cs->v = NULL;
	cs->n = 0;
	return sh_store_inbox_scan(d->store, txn, case_sig_one, cs);
}

/* The case's municipalities: those its record holds and those its
 * signals in the inbox name, each once, at most CASE_MUNIS, into buf;
 * nr->municipalities points at them. */
#define CASE_MUNIS 8
static void case_munis(Seinhuis__CaseRecord *nr,
                       const Seinhuis__CaseRecord *old,
                       const struct case_scan *cs, char buf[][8], char *ptr[])
{
	size_t n = 0;
	size_t nold = old ? old->n_municipalities : 0;
	for (size_t i = 0; i < nold + cs->n; i++) {
		const char *m =
		    i < nold ? old->municipalities[i] : cs->v[i - nold].muni;
		if (!m || !muni_valid(m) || n == CASE_MUNIS)
			continue;
		size_t k = 0;
		while (k < n && strcmp(buf[k], m) != 0)
			k++;
		if (k == n) {
			memcpy(buf[n], m, 5);
			ptr[n] = buf[n];
			n++;
		}
	}
	nr->municipalities = ptr;
	nr->n_municipalities = n;
}

/* ---------------------------------------------------------- helpers */

static void audit_case(sh_daemon *d, sh_ctl_conn *c, Seinhuis__AuditEvent ev,
                       const uint8_t key[SH_KEY_LEN], const char *outcome,
                       const char *rule, const char *detail)
{
	char name[80];
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = ev;
	en.household.data = (uint8_t *)key;
	en.household.len = SH_KEY_LEN;
	sh_audit_set_caller(&en, c, name, sizeof(name));
	en.outcome = (char *)outcome;
	en.rule = (char *)rule;
	en.detail = (char *)detail;
	sh_err e = sh_audit_record(d, &en);
	if (e)
		sh_daemon_txn_fail(d, e);
}

static Seinhuis__CaseRecord *copy_case(const Seinhuis__CaseRecord *r)
{
	size_t n = seinhuis__case_record__get_packed_size(r);
	uint8_t *b = sh_xmalloc(n ? n : 1);
	seinhuis__case_record__pack(r, b);
	Seinhuis__CaseRecord *out = seinhuis__case_record__unpack(NULL, n, b);
	free(b);
	if (!out)
		abort();
	return out;
}

static void reply_cases(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CaseRecord **v,
                        size_t n, char **ids, size_t nids, int is_write)
{
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.cases = v;
	r.n_cases = n;
	r.feedback_ids = ids;
	r.n_feedback_ids = nids;
	sh_ctl_reply(d, c, &r, is_write);
}

static int parse_case_key(const char *hex, uint8_t key[SH_KEY_LEN])
{
	return strlen(hex) == 2 * SH_KEY_LEN &&
	               sh_unhex(key, SH_KEY_LEN, hex) == 0
	           ? 0
	           : -1;
}

/* ------------------------------------------------------------- list */

/* A debt-help team's case records grow with its steps; the whole list can
 * pass a control frame (SH_CTL_MAX_FRAME). A caller that says it reads
 * pages (case_pages, seinctl of this version on) gets pages of about
 * d->list_page_bytes (4 MiB; smaller with SEINHUIS_TEST_LIST_PAGE_BYTES,
 * control.c), each continued from the case key its next_case gives. An
 * older caller, which would take a first page for the whole list, gets
 * the list whole if it fits one frame, and a WIRE_SIZE refusal that says
 * so if not. */
#define CASE_PAGE_BYTES (4u << 20)
/* room in a frame for the reply's other fields */
#define CASE_WHOLE_MAX (SH_CTL_MAX_FRAME - 4096)

struct list_ctx {
	Seinhuis__CaseRecord **v;
	size_t n;
	size_t bytes, page; /* page: 0, no pages */
	int over;           /* no pages, and past CASE_WHOLE_MAX */
	char next[2 * SH_KEY_LEN + 1];
};

static int case_one(void *vctx, const Seinhuis__CaseRecord *rec)
{
	struct list_ctx *l = vctx;
	size_t sz = seinhuis__case_record__get_packed_size(rec) + 8;
	if (l->page && l->n && l->bytes + sz > l->page) {
		sh_hex(l->next, rec->case_key.data, SH_KEY_LEN);
		return 1; /* the next page starts here */
	}
	if (!l->page && l->bytes + sz > CASE_WHOLE_MAX) {
		l->over = 1;
		return 1;
	}
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	if (!l->v)
		abort();
	l->v[l->n++] = copy_case(rec);
	l->bytes += sz;
	return 0;
}

static void op_case_list(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	uint8_t key[SH_KEY_LEN], from[SH_KEY_LEN];
	struct list_ctx l = {NULL, 0, 0, 0, 0, ""};
	if (q->case_key[0] && parse_case_key(q->case_key, key) < 0)
		return sh_ctl_refuse(d, c, SH_ERR_USAGE,
		                     "a case key is 64 hex digits");
	if (q->case_from[0] && parse_case_key(q->case_from, from) < 0)
		return sh_ctl_refuse(d, c, SH_ERR_USAGE,
		                     "case_from is a case key, 64 hex digits");
	if (q->case_pages)
		l.page =
		    d->list_page_bytes ? d->list_page_bytes : CASE_PAGE_BYTES;
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		return sh_ctl_refuse(d, c, SH_ERR_STORE,
		                     "cannot read the store");
	sh_err e;
	if (q->case_key[0]) {
		Seinhuis__CaseRecord *rec = NULL;
		e = sh_store_case_get(d->store, txn, key, &rec);
		if (e == SH_OK) {
			case_one(&l, rec);
			seinhuis__case_record__free_unpacked(rec, NULL);
		}
		if (e == SH_ERR_NOTFOUND)
			e = SH_OK; /* a case nobody claimed yet */
	} else {
		e = sh_store_case_scan_from(
		    d->store, txn, q->case_from[0] ? from : NULL, case_one, &l);
	}
	sh_store_read_end(d->store, txn);
	if (e == SH_OK && l.over) {
		sh_ctl_refuse(d, c, SH_ERR_WIRE_SIZE,
		              "the case list is larger than one control reply "
		              "(16 MiB); a seinctl of this daemon's version "
		              "reads it in pages");
	} else if (e == SH_OK) {
		Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
		r.ok = 1;
		r.cases = l.v;
		r.n_cases = l.n;
		r.next_case = l.next;
		sh_ctl_reply(d, c, &r, 0);
	} else {
		sh_ctl_refuse(d, c, e, "cases: %s", sh_err_str(e));
	}
	for (size_t i = 0; i < l.n; i++)
		seinhuis__case_record__free_unpacked(l.v[i], NULL);
	free(l.v);
}

/* ------------------------------------------------------------ claim */

static void op_case_claim(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	uint8_t key[SH_KEY_LEN];
	char user[80], detail[200] = "";
	Seinhuis__CaseRecord *old = NULL;
	if (parse_case_key(q->case_key, key) < 0)
		return sh_ctl_refuse(d, c, SH_ERR_USAGE,
		                     "a case key is 64 hex digits");
	if ((q->force && !(c->roles & SH_ROLE_ADMIN)) ||
	    (!q->force && !(c->roles & SH_ROLE_CASEWORKER)))
		audit_case(d, c, SEINHUIS__AUDIT_EVENT__AUDIT_ACCESS_DENIED,
		           key, "refused", sh_err_rule(SH_ERR_DENIED),
		           q->force ? "op case_claim --force"
		                    : "op case_claim");
	if (q->force && !(c->roles & SH_ROLE_ADMIN))
		return sh_ctl_refuse(d, c, SH_ERR_DENIED,
		                     "forcing a claim is for administrators "
		                     "(admin_group '%s')",
		                     d->cfg.admin_group[0] ? d->cfg.admin_group
		                                           : "-");
	if (!q->force && !(c->roles & SH_ROLE_CASEWORKER))
		return sh_ctl_refuse(
		    d, c, SH_ERR_DENIED,
		    "claiming a case is for caseworkers "
		    "(caseworker_group '%s')",
		    d->cfg.caseworker_group[0] ? d->cfg.caseworker_group : "-");
	if (!sh_daemon_write_ok(d))
		return sh_ctl_refuse(d, c, SH_ERR_STORE_FULL,
		                     "%s; try again in a moment",
		                     sh_err_str(SH_ERR_STORE_FULL));
	sh_user_name(c->uid, user, sizeof(user));
	sh_err e = sh_daemon_txn(d);
	if (e)
		return sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	MDB_txn *txn = sh_store_txn(d->store);
	e = sh_store_case_get(d->store, txn, key, &old);
	if (e == SH_OK && !q->release && strcmp(old->owner, user) == 0) {
		/* already ours: nothing changes, nothing to read */
		Seinhuis__CaseRecord *v[1] = {old};
		reply_cases(d, c, v, 1, NULL, 0, 0);
		seinhuis__case_record__free_unpacked(old, NULL);
		return;
	}
	struct case_scan cs = {NULL, NULL, 0};
	if (e == SH_OK || e == SH_ERR_NOTFOUND) {
		sh_err se = case_signals(d, txn, key, &cs);
		if (se == SH_OK && cs.n == 0 && e == SH_ERR_NOTFOUND) {
			free(cs.v);
			return sh_ctl_refuse(
			    d, c, SH_ERR_NOTFOUND,
			    "no signal in the inbox has case key "
			    "%.64s",
			    q->case_key);
		}
		e = se != SH_OK ? se : SH_OK; /* no record yet: a new case */
	}
	if (e) {
		free(cs.v);
		if (old)
			seinhuis__case_record__free_unpacked(old, NULL);
		return sh_ctl_refuse(d, c, e, "case: %s", sh_err_str(e));
	}
	const char *owner = old ? old->owner : "";
	Seinhuis__CaseRecord nr = SEINHUIS__CASE_RECORD__INIT;
	nr.case_key.data = key;
	nr.case_key.len = SH_KEY_LEN;
	if (old) {
		nr.steps = old->steps;
		nr.n_steps = old->n_steps;
	}
	char mbuf[CASE_MUNIS][8], *mptr[CASE_MUNIS];
	case_munis(&nr, old, &cs, mbuf, mptr);
	free(cs.v);
	Seinhuis__AuditEvent ev;
	const char *outcome;
	if (q->release) {
		if (!owner[0]) {
			sh_ctl_refuse(
			    d, c, SH_ERR_CASE_OWNER,
			    "the case is not claimed; there is nothing to "
			    "release");
			goto out;
		}
		if (strcmp(owner, user) != 0 && !q->force) {
			sh_ctl_refuse(
			    d, c, SH_ERR_CASE_OWNER,
			    "the case is claimed by '%s'; only they (or an "
			    "administrator, with --force) may release it",
			    owner);
			goto out;
		}
		nr.owner = "";
		ev = SEINHUIS__AUDIT_EVENT__AUDIT_CASE_RELEASED;
		outcome = "released";
		snprintf(detail, sizeof(detail), "owner was '%s'", owner);
	} else {
		if (owner[0] && !q->force) {
			snprintf(detail, sizeof(detail), "claimed by '%s'",
			         owner);
			audit_case(d, c,
			           SEINHUIS__AUDIT_EVENT__AUDIT_CASE_CLAIMED,
			           key, "refused",
			           sh_err_rule(SH_ERR_CASE_CLAIMED), detail);
			sh_ctl_refuse(
			    d, c, SH_ERR_CASE_CLAIMED,
			    "the case is claimed by '%s'; the owner releases "
			    "it (seinctl claim CASE --release) or an "
			    "administrator forces the claim (--force)",
			    owner);
			goto out;
		}
		nr.owner = user;
		nr.owner_uid = (uint32_t)c->uid;
		nr.claimed_ms = sh_now_ms();
		ev = SEINHUIS__AUDIT_EVENT__AUDIT_CASE_CLAIMED;
		outcome = owner[0] ? "taken over" : "claimed";
		if (owner[0])
			snprintf(detail, sizeof(detail),
			         "forced; owner was '%s'", owner);
	}
	if ((e = sh_store_case_put(d->store, &nr)) != SH_OK) {
		sh_daemon_txn_fail(d, e);
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
		goto out;
	}
	audit_case(d, c, ev, key, outcome, "", detail);
	sh_info("case %.16s... %s by local user %d", q->case_key, outcome,
	        (int)c->uid);
	Seinhuis__CaseRecord *v[1] = {&nr};
	reply_cases(d, c, v, 1, NULL, 0, 1);
out:
	if (old)
		seinhuis__case_record__free_unpacked(old, NULL);
}

/* ------------------------------------------------------------- step */

/* One creditor to tell: its newest signal in the case and the basis. */
struct fb_target {
	sh_peer *peer;
	const struct case_sig *sig;
	const char *basis;
	char consent_ref[33];
	int told; /* told this status about sig before: not again */
};

/* Whether the newest step that told a creditor something about signal id
 * told it status: then telling it again would reach the creditor as a
 * second, separate feedback about the same signal (a case closed,
 * reopened and closed again), so it is not sent. A feedback the creditor
 * refused (its outbox record failed: say, the creditor's catalogue did
 * not allow it) told it nothing, and that step is passed over, so the
 * team can send it again once the cause is mended. Steps of older
 * versions did not record which signals they answered and are not
 * matched; those before 2026-12-07 did not record the feedback's own id,
 * and count as told. */
static int told_before(sh_daemon *d, MDB_txn *txn,
                       const Seinhuis__CaseRecord *rec,
                       const uint8_t id[SH_ID_LEN], const char *status)
{
	for (size_t i = rec ? rec->n_steps : 0; i-- > 0;) {
		const Seinhuis__CaseStep *st = rec->steps[i];
		for (size_t j = 0; j < st->n_feedback_about; j++) {
			if (st->feedback_about[j].len != SH_ID_LEN ||
			    memcmp(st->feedback_about[j].data, id, SH_ID_LEN) !=
			        0)
				continue;
			if (j < st->n_feedback_ids &&
			    st->feedback_ids[j].len == SH_ID_LEN) {
				uint64_t seq;
				Seinhuis__OutboxRecord *o = NULL;
				int failed =
				    sh_store_outbox_find(
				        d->store, txn, st->feedback_ids[j].data,
				        &seq, &o) == SH_OK &&
				    o->state == SEINHUIS__OUT_STATE__OUT_FAILED;
				if (o)
					seinhuis__outbox_record__free_unpacked(
					    o, NULL);
				if (failed)
					break; /* an older step may have told */
			}
			return strcmp(st->feedback, status) == 0;
		}
	}
	return 0;
}

/* A consent among refs that covers feedback to p about sig; on failure
 * why says what was wrong with the closest one. */
static sh_err find_consent(sh_daemon *d, MDB_txn *txn, sh_peer *p,
                           const struct case_sig *sig, const char *purpose,
                           char **refs, size_t nrefs, char out[33], char *why,
                           size_t wl)
{
	char today[11];
	sh_err best = SH_ERR_CONSENT;
	sh_today(today);
	snprintf(
	    why, wl,
	    "feedback to '%s' needs the resident's consent: give --consent "
	    "REF of a consent granted for recipient '%s', purpose '%s'",
	    p->card.partner, p->card.partner, purpose);
	for (size_t i = 0; i < nrefs; i++) {
		uint8_t ref[16];
		Seinhuis__ConsentRecord *cr = NULL;
		if (strlen(refs[i]) != 32 ||
		    sh_unhex(ref, sizeof(ref), refs[i]) < 0)
			continue;
		if (sh_store_consent_get(d->store, txn, ref, &cr) != SH_OK)
			continue;
		int mine = strcmp(cr->recipient, p->card.partner) == 0;
		if (!mine) {
			seinhuis__consent_record__free_unpacked(cr, NULL);
			continue;
		}
		if (cr->revoked_ms) {
			best = SH_ERR_CONSENT_REVOKED;
			snprintf(why, wl, "consent %s for '%s' was revoked",
			         refs[i], p->card.partner);
		} else if (strcmp(cr->purpose, purpose) != 0) {
			snprintf(
			    why, wl,
			    "consent %s is for purpose '%s'; feedback needs "
			    "'%s'",
			    refs[i], cr->purpose, purpose);
		} else if (strcmp(today, cr->valid_from) < 0 ||
		           (cr->valid_until[0] &&
		            strcmp(today, cr->valid_until) > 0)) {
			snprintf(why, wl, "consent %s is not valid today",
			         refs[i]);
		} else if (sig->have_subject &&
		           cr->subject.len == SH_PSEUDO_LEN &&
		           memcmp(cr->subject.data, sig->subject,
		                  SH_PSEUDO_LEN) != 0) {
			snprintf(
			    why, wl,
			    "consent %s was given by another resident than "
			    "the one of '%s''s signal",
			    refs[i], p->card.partner);
		} else {
			snprintf(out, 33, "%s", refs[i]);
			seinhuis__consent_record__free_unpacked(cr, NULL);
			return SH_OK;
		}
		seinhuis__consent_record__free_unpacked(cr, NULL);
	}
	return best;
}

static void op_case_step(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	uint8_t key[SH_KEY_LEN];
	char user[80], detail[200] = "", why[600];
	Seinhuis__CaseRecord *old = NULL;
	struct case_scan cs = {NULL, NULL, 0};
	struct fb_target *tg = NULL;
	size_t ntg = 0;
	char **ids = NULL;
	size_t nids = 0, ntold = 0;
	ProtobufCBinaryData *about = NULL, *fbids = NULL;
	uint8_t(*fbid)[SH_ID_LEN] = NULL;
	if (parse_case_key(q->case_key, key) < 0)
		return sh_ctl_refuse(d, c, SH_ERR_USAGE,
		                     "a case key is 64 hex digits");
	if (!step_valid(q->step))
		return sh_ctl_refuse(
		    d, c, SH_ERR_CASE_STEP,
		    "step must be one of contact_attempted, "
		    "in_conversation, help_accepted, help_declined, "
		    "closed");
	if (step_details_check(q, why, sizeof(why)) < 0)
		return sh_ctl_refuse(d, c, SH_ERR_CASE_STEP, "%s", why);
	if (!sh_daemon_write_ok(d) || (q->feedback && sh_daemon_store_full(d)))
		return sh_ctl_refuse(d, c, SH_ERR_STORE_FULL,
		                     "%s; nothing was recorded",
		                     sh_err_str(SH_ERR_STORE_FULL));
	sh_user_name(c->uid, user, sizeof(user));
	sh_err e = sh_daemon_txn(d);
	if (e)
		return sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	MDB_txn *txn = sh_store_txn(d->store);
	e = sh_store_case_get(d->store, txn, key, &old);
	if (e == SH_ERR_NOTFOUND || (e == SH_OK && !old->owner[0])) {
		sh_ctl_refuse(
		    d, c, SH_ERR_CASE_OWNER,
		    "the case is not claimed: claim it first (seinctl "
		    "claim CASE)");
		goto out;
	}
	if (e) {
		sh_ctl_refuse(d, c, e, "case: %s", sh_err_str(e));
		goto out;
	}
	/* without role groups everyone holds the administrator's role; the
	 * claim still holds (an explicit claim --force takes the case over) */
	if (strcmp(old->owner, user) != 0 && !sh_admin_proper(c->roles)) {
		sh_ctl_refuse(d, c, SH_ERR_CASE_OWNER,
		              "the case is claimed by '%s'; only they or an "
		              "administrator may record its steps%s",
		              old->owner,
		              c->roles & SH_ROLE_OPEN
		                  ? " (claim --force takes it over)"
		                  : "");
		goto out;
	}
	/* Closing a closed case would tell its creditors no_contact again
	 * for the same signals. Another step reopens it (a signal that came
	 * after the closing, say); that may be closed again. */
	if (strcmp(q->step, "closed") == 0 && old->n_steps &&
	    strcmp(old->steps[old->n_steps - 1]->step, "closed") == 0) {
		sh_ctl_refuse(d, c, SH_ERR_CASE_STEP,
		              "the case is already closed; nothing was "
		              "recorded");
		goto out;
	}
	const char *status = feedback_status(q->step, old);
	if (q->feedback && !status) {
		sh_ctl_refuse(
		    d, c, SH_ERR_CASE_STEP,
		    "step '%s' tells the creditor nothing: feedback goes "
		    "with in_conversation or help_declined "
		    "(contact_made), help_accepted, or closed before any "
		    "conversation (no_contact, or contact_made after an "
		    "attempt that reached the resident)",
		    q->step);
		goto out;
	}
	if (!q->feedback && q->n_consent_refs) {
		sh_ctl_refuse(d, c, SH_ERR_USAGE,
		              "--consent goes with --feedback");
		goto out;
	}
	/* Feedback: every creditor's newest signal, every check, before
	 * anything is written. */
	if (q->feedback) {
		const sh_type_rule *sf = sh_catalogue_type(
		    &d->cat, SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK);
		if (!sf) {
			sh_ctl_refuse(
			    d, c, SH_ERR_FEEDBACK,
			    "the catalogue has no status_feedback entry");
			goto out;
		}
		if ((e = case_signals(d, txn, key, &cs)) != SH_OK) {
			sh_ctl_refuse(d, c, e, "case: %s", sh_err_str(e));
			goto out;
		}
		tg = sh_xcalloc(cs.n + 1, sizeof(*tg));
		for (size_t i = 0; i < cs.n; i++) {
			sh_peer *p = sh_peer_find(d, cs.v[i].sender);
			if (!p || !sh_role_in(sf->recipients, p->card.role))
				continue; /* not a creditor */
			size_t k;
			for (k = 0; k < ntg && tg[k].peer != p; k++)
				;
			if (k == ntg) {
				tg[ntg].peer = p;
				tg[ntg++].sig = &cs.v[i];
			} else if (cs.v[i].created_ms > tg[k].sig->created_ms) {
				tg[k].sig = &cs.v[i];
			}
		}
		if (ntg == 0) {
			sh_ctl_refuse(
			    d, c, SH_ERR_FEEDBACK,
			    "no creditor's signal is in this case (signals "
			    "taken from the inbox no longer count)");
			goto out;
		}
		char today[11];
		sh_today(today);
		for (size_t k = 0; k < ntg; k++) {
			const sh_type_rule *rt =
			    sh_catalogue_type(&d->cat, tg[k].sig->type);
			const char *fb = rt ? rt->feedback : "none";
			const char *tname =
			    sh_signal_type_name(tg[k].sig->type);
			if (strcmp(fb, "consent") == 0) {
				e = find_consent(
				    d, txn, tg[k].peer, tg[k].sig, sf->purpose,
				    q->consent_refs, q->n_consent_refs,
				    tg[k].consent_ref, why, sizeof(why));
				/* The creditor's newest signal may be about
				 * a housemate: a consent is one resident's,
				 * so the feedback answers the newest of its
				 * signals about a resident who consented. */
				const struct case_sig *alt = NULL;
				char altref[33], altwhy[sizeof(why)];
				for (size_t i = 0; e && i < cs.n; i++) {
					const struct case_sig *o = &cs.v[i];
					if (o == tg[k].sig ||
					    strcmp(o->sender,
					           tg[k].peer->card.partner) !=
					        0 ||
					    o->type != tg[k].sig->type ||
					    (alt &&
					     o->created_ms <= alt->created_ms))
						continue;
					if (find_consent(
					        d, txn, tg[k].peer, o,
					        sf->purpose, q->consent_refs,
					        q->n_consent_refs, altref,
					        altwhy,
					        sizeof(altwhy)) == SH_OK) {
						alt = o;
						memcpy(tg[k].consent_ref,
						       altref, sizeof(altref));
					}
				}
				if (alt) {
					tg[k].sig = alt;
					e = SH_OK;
				}
				if (e) {
					sh_ctl_refuse(d, c, e,
					              "%s; nothing was sent or "
					              "recorded",
					              why);
					goto out;
				}
				tg[k].basis = "consent";
			} else if (strcmp(fb, "legal_task") == 0) {
				tg[k].basis = "legal_task";
			} else {
				sh_ctl_refuse(
				    d, c, SH_ERR_FEEDBACK,
				    "the catalogue's [%s] entry says feedback "
				    "= %s: creditor '%s' may not be told; "
				    "nothing was sent or recorded",
				    tname, fb, tg[k].peer->card.partner);
				goto out;
			}
			if (told_before(d, txn, old, tg[k].sig->id, status)) {
				tg[k].told = 1;
				ntold++;
				continue;
			}
			char field[64] = "", pdetail[300] = "", sid[33];
			sh_hex(sid, tg[k].sig->id, SH_ID_LEN);
			Seinhuis__Field f[4], *fp[4];
			size_t nf = 0;
			const char *names[4] = {"legal_basis", "signal_id",
			                        "status", "consent_ref"};
			const char *vals[4] = {tg[k].basis, sid, status,
			                       tg[k].consent_ref};
			for (size_t j = 0; j < 4; j++) {
				if (j == 3 && !tg[k].consent_ref[0])
					break;
				seinhuis__field__init(&f[j]);
				f[j].name = (char *)names[j];
				f[j].value = (char *)vals[j];
				fp[nf++] = &f[j];
			}
			e = sh_policy_check(
			    &d->cat, SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK,
			    d->self.card.role, tg[k].peer->card.role, fp, nf,
			    today, field, sizeof(field), pdetail,
			    sizeof(pdetail));
			if (e) {
				sh_ctl_refuse(
				    d, c, e,
				    "status_feedback to '%s': field '%s': %s; "
				    "nothing was sent or recorded",
				    tg[k].peer->card.partner, field,
				    pdetail[0] ? pdetail : sh_err_str(e));
				goto out;
			}
		}
		/* All checked: send. */
		ids = sh_xcalloc(ntg, sizeof(*ids));
		about = sh_xcalloc(ntg, sizeof(*about));
		fbids = sh_xcalloc(ntg, sizeof(*fbids));
		fbid = sh_xcalloc(ntg, sizeof(*fbid));
		for (size_t k = 0; k < ntg; k++) {
			if (tg[k].told)
				continue;
			char sid[33], idhex[33], field[64] = "",
			                         pdetail[300] = "";
			sh_hex(sid, tg[k].sig->id, SH_ID_LEN);
			Seinhuis__Field f[4], *fp[4];
			const char *names[4] = {"legal_basis", "signal_id",
			                        "status", "consent_ref"};
			const char *vals[4] = {tg[k].basis, sid, status,
			                       tg[k].consent_ref};
			size_t nf = 0;
			for (size_t j = 0; j < 4; j++) {
				if (j == 3 && !tg[k].consent_ref[0])
					break;
				seinhuis__field__init(&f[j]);
				f[j].name = (char *)names[j];
				f[j].value = (char *)vals[j];
				fp[nf++] = &f[j];
			}
			e = sh_daemon_submit(
			    d, tg[k].peer,
			    SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK, fp, nf,
			    idhex, field, sizeof(field), pdetail,
			    sizeof(pdetail));
			if (e == SH_OK) {
				uint8_t *nid = fbid[nids];
				sh_unhex(nid, SH_ID_LEN, idhex);
				/* who sent it, and for which case */
				char uname[80];
				Seinhuis__AuditEntry en =
				    SEINHUIS__AUDIT_ENTRY__INIT;
				en.event =
				    SEINHUIS__AUDIT_EVENT__AUDIT_ACCEPTED;
				en.message_id.data = nid;
				en.message_id.len = SH_ID_LEN;
				en.partner = tg[k].peer->card.partner;
				en.type =
				    SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK;
				en.outcome = "accepted";
				en.legal_basis = (char *)tg[k].basis;
				en.detail = "status feedback on a case step";
				en.household.data = key;
				en.household.len = SH_KEY_LEN;
				sh_audit_set_caller(&en, c, uname,
				                    sizeof(uname));
				e = sh_audit_record(d, &en);
			}
			if (e) {
				/* partly queued: the whole turn must not commit
				 */
				sh_daemon_txn_fail(d, e);
				sh_ctl_refuse(
				    d, c, e,
				    "status_feedback to '%s': field '%s': %s",
				    tg[k].peer->card.partner, field,
				    pdetail[0] ? pdetail : sh_err_str(e));
				goto out;
			}
			about[nids].data = (uint8_t *)tg[k].sig->id;
			about[nids].len = SH_ID_LEN;
			fbids[nids].data = fbid[nids];
			fbids[nids].len = SH_ID_LEN;
			ids[nids++] = sh_strdup(idhex);
		}
	}
	Seinhuis__CaseStep st = SEINHUIS__CASE_STEP__INIT;
	st.step = q->step;
	st.time_ms = sh_now_ms();
	st.user = user;
	st.feedback = q->feedback ? (char *)status : "";
	st.feedback_count = (uint32_t)nids;
	st.feedback_about = about;
	st.n_feedback_about = nids;
	st.feedback_ids = fbids;
	st.n_feedback_ids = nids;
	if (strcmp(q->step, "contact_attempted") == 0) {
		st.contact_how = q->contact_how ? q->contact_how : "";
		st.contact_reached =
		    q->contact_reached ? q->contact_reached : "";
		st.attempt_ms = q->attempt_ms;
		st.part_of_day =
		    q->part_of_day && q->part_of_day[0]
		        ? q->part_of_day
		        : (char *)part_of(st.attempt_ms ? st.attempt_ms
		                                        : st.time_ms);
	}
	st.crisis = q->crisis;
	st.warm_handover = q->warm_handover;
	/* the municipalities of the signals read for feedback join those
	 * kept; a plain step reads no signal (the inbox is read whole, which
	 * a claim does, not every step) */
	Seinhuis__CaseRecord nr = *old;
	char mbuf[CASE_MUNIS][8], *mptr[CASE_MUNIS];
	case_munis(&nr, old, &cs, mbuf, mptr);
	nr.steps = sh_xcalloc(old->n_steps + 1, sizeof(*nr.steps));
	if (old->n_steps)
		memcpy(nr.steps, old->steps, old->n_steps * sizeof(*nr.steps));
	nr.steps[nr.n_steps++] = &st;
	e = sh_store_case_put(d->store, &nr);
	if (e) {
		free(nr.steps);
		sh_daemon_txn_fail(d, e);
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
		goto out;
	}
	/* what the statistics need, in the audit entry too: words only */
	sh_step_words(detail, sizeof(detail), &st);
	if (q->feedback)
		detail_add(detail, sizeof(detail),
		           "feedback %s to %zu creditor(s)", status, nids);
	if (ntold)
		detail_add(detail, sizeof(detail),
		           "%zu told %s about the same signal before", ntold,
		           status);
	audit_case(d, c, SEINHUIS__AUDIT_EVENT__AUDIT_CASE_STEP, key, q->step,
	           "", detail);
	sh_info("case %.16s...: step %s by local user %d%s%s", q->case_key,
	        q->step, (int)c->uid, detail[0] ? ", " : "", detail);
	Seinhuis__CaseRecord *v[1] = {&nr};
	reply_cases(d, c, v, 1, ids, nids, 1);
	free(nr.steps);
out:
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	free(about);
	free(fbids);
	free(fbid);
	free(tg);
	free(cs.v);
	if (old)
		seinhuis__case_record__free_unpacked(old, NULL);
}

void sh_cases_dispatch(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	/* Cases are households with arrears and the Wgs deadlines: on a
	 * Veilig Thuis or wijkteam daemon they would list acute reports as
	 * calm cases without creditors. */
	if (strcmp(d->self.card.role, "municipality_debt") != 0)
		return sh_ctl_refuse(
		    d, c, SH_ERR_USAGE,
		    "cases are the debt-help team's (a municipality_debt "
		    "daemon); this daemon is a %s: its signals are listed "
		    "with 'seinctl inbox list'",
		    d->self.card.role);
	switch (q->op) {
	case SEINHUIS__CTL_REQUEST__OP__CASE_LIST: op_case_list(d, c, q); break;
	case SEINHUIS__CTL_REQUEST__OP__CASE_CLAIM:
		op_case_claim(d, c, q);
		break;
	case SEINHUIS__CTL_REQUEST__OP__CASE_STEP: op_case_step(d, c, q); break;
	default: sh_ctl_refuse(d, c, SH_ERR_CONTROL, "not a case operation");
	}
}

/* ------------------------------------------- feedback, at the creditor */

/* An outbox record stored again with the partner's answer (a status
 * feedback's or a Veilig Thuis notice's status) noted on it, unless the
 * answer noted there was created after this one. Answers can arrive out
 * of order (one that waited to be sent again, after a lost connection or
 * a recover, can come after a newer one, or a second daemon of the
 * partner sent it), and the note is to show where the signal stands: the
 * newest answer, not the last to arrive. The answer's own creation time
 * decides, as its sender signed it. On equal times the later arrival is
 * noted: from one sender's queue it is also the later one sent, and it
 * is what the note did before. A record noted by an older version has no
 * creation time (0), so any answer replaces its note, as it did then. An
 * answer not noted is still delivered and audited; the log says which it
 * was. The strings the record owns are swapped back before the caller
 * frees it. */
static sh_err outbox_answered(sh_daemon *d, uint64_t seq,
                              Seinhuis__OutboxRecord *rec, char *status,
                              const Seinhuis__Signal *s, const char *from,
                              int *not_noted)
{
	char rid[2 * SH_ID_LEN + 1] = "-", aid[2 * SH_ID_LEN + 1] = "-";
	if (rec->message_id.len == SH_ID_LEN)
		sh_hex(rid, rec->message_id.data, SH_ID_LEN);
	if (s->message_id.len == SH_ID_LEN)
		sh_hex(aid, s->message_id.data, SH_ID_LEN);
	/* a creation time ahead of this daemon's clock (the sender's runs
	 * fast: up to the 5 minutes the wire check allows) counts as now, so
	 * that it cannot hold off the answers that come after it */
	int64_t now = sh_now_ms();
	int64_t created = s->created_ms < now ? s->created_ms : now;
	if (created < rec->feedback_created_ms) {
		sh_info("outbox: %s keeps its answer %s; %s from %s (%s) was "
		        "created before it and is not noted",
		        rid, rec->feedback_status, aid, from, status);
		if (not_noted)
			*not_noted = 1;
		return SH_OK;
	}
	char *old_status = rec->feedback_status;
	ProtobufCBinaryData old_id = rec->feedback_id;
	rec->feedback_status = status;
	rec->feedback_ms = now;
	rec->feedback_id = s->message_id;
	rec->feedback_created_ms = created;
	sh_err e = sh_store_outbox_put(d->store, seq, rec);
	rec->feedback_status = old_status;
	rec->feedback_id = old_id;
	if (e == SH_OK)
		sh_info("outbox: %s has the answer %s (%s) from %s", rid,
		        status, aid, from);
	return e;
}

sh_err sh_feedback_deliver(sh_daemon *d, sh_peer *p, const Seinhuis__Signal *s,
                           char *detail, size_t dl, int *not_noted)
{
	if (s->type != SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK)
		return SH_OK;
	const Seinhuis__StatusFeedback *fb = s->feedback;
	uint8_t ref[SH_ID_LEN];
	uint64_t seq;
	Seinhuis__OutboxRecord *rec = NULL;
	if (!fb || strlen(fb->signal_id) != 2 * SH_ID_LEN ||
	    sh_unhex(ref, SH_ID_LEN, fb->signal_id) < 0) {
		snprintf(detail, dl, "field 'signal_id': not a message id");
		return SH_ERR_FEEDBACK;
	}
	sh_err e = sh_store_outbox_find(d->store, sh_store_txn(d->store), ref,
	                                &seq, &rec);
	if (e == SH_ERR_NOTFOUND) {
		snprintf(detail, dl,
		         "field 'signal_id': refers to no signal in "
		         "this partner's outbox");
		return SH_ERR_FEEDBACK;
	}
	if (e)
		return e;
	const sh_type_rule *rt = sh_catalogue_type(&d->cat, rec->type);
	const char *allowed = rt ? rt->feedback : "none";
	if (strcmp(rec->recipient, p->card.partner) != 0) {
		snprintf(detail, dl,
		         "field 'signal_id': the signal it refers to "
		         "was not sent to this partner");
		e = SH_ERR_FEEDBACK;
	} else if (strcmp(allowed, "consent") == 0 &&
	           (strcmp(s->legal_basis, "consent") != 0 ||
	            !s->consent_ref[0])) {
		snprintf(detail, dl,
		         "feedback on %s needs the resident's consent "
		         "(catalogue: feedback = consent)",
		         sh_signal_type_name(rec->type));
		e = SH_ERR_FEEDBACK;
	} else if (strcmp(allowed, "consent") != 0 &&
	           strcmp(allowed, "legal_task") != 0) {
		snprintf(detail, dl,
		         "the catalogue allows no feedback on %s "
		         "(feedback = %s)",
		         sh_signal_type_name(rec->type), allowed);
		e = SH_ERR_FEEDBACK;
	}
	if (e == SH_OK)
		e = outbox_answered(d, seq, rec, fb->status, s, p->card.partner,
		                    not_noted);
	seinhuis__outbox_record__free_unpacked(rec, NULL);
	return e;
}

/* --------------------------------- Veilig Thuis notice, at the reporter */

static sh_err screen_against(sh_daemon *d, const char *with, const char *rid,
                             const uint8_t *envb, size_t elen,
                             Seinhuis__Field **fields, size_t n,
                             const char *today, char *field, size_t fl,
                             char *detail, size_t dl);

sh_err sh_notice_attach(sh_daemon *d, sh_peer *p, const Seinhuis__Signal *s)
{
	const Seinhuis__VtNotice *n = s->notice;
	uint8_t ref[SH_ID_LEN];
	uint64_t seq;
	Seinhuis__OutboxRecord *rec = NULL;
	if (s->type != SEINHUIS__SIGNAL_TYPE__VT_NOTICE || !n ||
	    strlen(n->report_id) != 2 * SH_ID_LEN ||
	    sh_unhex(ref, SH_ID_LEN, n->report_id) < 0)
		return SH_OK;
	sh_err e = sh_store_outbox_find(d->store, sh_store_txn(d->store), ref,
	                                &seq, &rec);
	if (e == SH_ERR_NOTFOUND)
		return SH_OK; /* a hand-over: another reporter's report */
	if (e == SH_ERR_STORE_CORRUPT) {
		/* the note is not worth the notice: delivered all the same */
		sh_daemon_warn(d,
		               "outbox: the record of report %.32s does not "
		               "decode; Veilig Thuis's notice on it is "
		               "delivered without being noted there",
		               n->report_id);
		return SH_OK;
	}
	if (e)
		return e;
	if (rec->type == SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT &&
	    strcmp(rec->recipient, p->card.partner) == 0) {
		e = outbox_answered(d, seq, rec, n->status, s, p->card.partner,
		                    NULL);
	}
	seinhuis__outbox_record__free_unpacked(rec, NULL);
	return e;
}

static int role_takes_handover(const char *role)
{
	return strcmp(role, "municipality_team") == 0;
}

sh_err sh_notice_check(sh_daemon *d, sh_peer *p, const Seinhuis__Signal *s,
                       char *detail, size_t dl)
{
	const Seinhuis__VtNotice *n = s->notice;
	uint8_t ref[SH_ID_LEN];
	uint64_t seq;
	Seinhuis__OutboxRecord *rec = NULL;
	/* a municipality_team takes hand-overs of others' reports too; a
	 * notice on a report of its own is checked as at any reporter */
	int team = role_takes_handover(d->self.card.role);
	if (s->type != SEINHUIS__SIGNAL_TYPE__VT_NOTICE)
		return SH_OK;
	if (!n || strlen(n->report_id) != 2 * SH_ID_LEN ||
	    sh_unhex(ref, SH_ID_LEN, n->report_id) < 0) {
		if (team)
			return SH_OK;
		snprintf(detail, dl, "field 'report_id': not a message id");
		return SH_ERR_ROUTE;
	}
	sh_err e = sh_store_outbox_find(d->store, sh_store_txn(d->store), ref,
	                                &seq, &rec);
	if (e == SH_ERR_STORE_CORRUPT)
		return SH_OK; /* delivered, not noted (sh_notice_attach) */
	if (e == SH_OK &&
	    (rec->type != SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT ||
	     strcmp(rec->recipient, p->card.partner) != 0))
		e = SH_ERR_NOTFOUND;
	if (rec)
		seinhuis__outbox_record__free_unpacked(rec, NULL);
	/* its clear text against the report's persons, while the outbox
	 * keeps the report's envelope (resend_window): refused, not
	 * quarantined, so that Veilig Thuis sees the rule and sends it
	 * again in other words */
	uint8_t *envb = NULL;
	size_t elen = 0;
	sh_err ce =
	    e == SH_OK
	        ? sh_store_outbox_env_copy(d->store, sh_store_txn(d->store),
	                                   seq, &envb, &elen)
	        : SH_ERR_NOTFOUND;
	if (ce == SH_OK) {
		Seinhuis__Field **cf = NULL;
		size_t nc = sh_wire_clear_fields(s, &cf);
		char today[11], field[64], why[200];
		sh_date_nl(s->created_ms, today);
		if (screen_against(d, p->card.partner, n->report_id, envb, elen,
		                   cf, nc, today, field, sizeof(field), why,
		                   sizeof(why)) != SH_OK) {
			snprintf(detail, dl, "field '%s': %s", field, why);
			e = SH_ERR_PERSONAL;
		}
		sh_fields_free(cf, nc);
		free(envb);
		return e;
	}
	if (ce != SH_ERR_NOTFOUND)
		return ce;
	if (e == SH_ERR_NOTFOUND && team)
		return SH_OK; /* a hand-over */
	if (e == SH_ERR_NOTFOUND) {
		snprintf(detail, dl,
		         "field 'report_id': a notice goes to the reporter, "
		         "and this partner sent %s no such meldcode_report "
		         "(only a municipality_team takes hand-overs)",
		         p->card.partner);
		return SH_ERR_ROUTE;
	}
	return e;
}

/* The fields of a stored signal (envelope envb) that partner `with` sent
 * or was sent, its sealed part opened with that pair's keys, into *out
 * (fields_wipe_free); -1 if it does not open here (its partner no longer
 * trusted, say). */
static int opened_fields(sh_daemon *d, const char *with, const uint8_t *envb,
                         size_t elen, Seinhuis__Field ***out, size_t *nout)
{
	sh_peer *p = sh_peer_find(d, with);
	Seinhuis__Envelope *env =
	    p ? seinhuis__envelope__unpack(NULL, elen, envb) : NULL;
	Seinhuis__Signal *s = env ? seinhuis__signal__unpack(
	                                NULL, env->signal.len, env->signal.data)
	                          : NULL;
	Seinhuis__SealedContent *sc = NULL;
	*out = NULL;
	*nout = 0;
	int ok = s && sh_peer_keys(d, p) == SH_OK &&
	         sh_wire_open(s, &p->keys, &sc) == SH_OK &&
	         sh_wire_fields(s, sc, out, nout) == SH_OK;
	sh_sealed_wipe_free(sc);
	if (s)
		seinhuis__signal__free_unpacked(s, NULL);
	if (env)
		seinhuis__envelope__free_unpacked(env, NULL);
	return ok ? 0 : -1;
}

static void fields_wipe_free(Seinhuis__Field **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i]->value)
			sh_wipe(f[i]->value, strlen(f[i]->value));
	sh_fields_free(f, n);
}

/* The notice's clear fields against the persons of meldcode report `rid`
 * (opened_fields). A report that does not open here is not compared:
 * said in the log, by the report's id. */
static sh_err screen_against(sh_daemon *d, const char *with, const char *rid,
                             const uint8_t *envb, size_t elen,
                             Seinhuis__Field **fields, size_t n,
                             const char *today, char *field, size_t fl,
                             char *detail, size_t dl)
{
	Seinhuis__Field **rf;
	size_t nr;
	sh_err e = SH_OK;
	if (opened_fields(d, with, envb, elen, &rf, &nr) == 0)
		e = sh_policy_check_other(
		    &d->cat, SEINHUIS__SIGNAL_TYPE__VT_NOTICE, fields, n,
		    &(sh_other){.fields = rf, .n = nr}, today, field, fl,
		    detail, dl);
	else
		sh_daemon_warn(d,
		               "report %.32s does not open here (its partner "
		               "'%s'): a notice on it is not compared with its "
		               "persons",
		               rid, with);
	fields_wipe_free(rf, nr);
	return e;
}

/* The key a report's print is tagged under: of that report alone. */
static void print_report_key(sh_daemon *d, const uint8_t id[SH_ID_LEN],
                             uint8_t rk[SH_KEY_LEN])
{
	sh_hmac_sha256(rk, d->print_key, SH_KEY_LEN, id, SH_ID_LEN);
}

sh_err sh_notice_screen(sh_daemon *d, Seinhuis__Field **fields, size_t n,
                        const char *today, char *field, size_t fl, char *detail,
                        size_t dl)
{
	const char *hex = sh_field_value(fields, n, "report_id");
	uint8_t ref[SH_ID_LEN];
	if (!hex || strlen(hex) != 2 * SH_ID_LEN ||
	    sh_unhex(ref, SH_ID_LEN, hex) < 0)
		return SH_OK; /* refused as such by the other checks */
	sh_err e = sh_daemon_txn(d);
	Seinhuis__InboxRecord *in = NULL;
	if (e == SH_OK)
		e = sh_store_inbox_get(d->store, sh_store_txn(d->store), ref,
		                       &in);
	if (e == SH_ERR_NOTFOUND) {
		/* taken: against its print, if one was kept */
		uint8_t *sealed = NULL, *pr = NULL, rk[SH_KEY_LEN];
		size_t sl = 0;
		e = sh_store_print_get(d->store, sh_store_txn(d->store), ref,
		                       &sealed, &sl);
		if (e == SH_OK &&
		    (sl < SH_SEAL_OVERHEAD ||
		     !(pr = sh_xmalloc(sl - SH_SEAL_OVERHEAD + 1)) ||
		     sh_open(pr, d->print_key, ref, SH_ID_LEN, sealed, sl) !=
		         SH_OK)) {
			sh_daemon_warn(
			    d,
			    "the print of report %.32s does not open: "
			    "a notice on it is not compared with its "
			    "persons",
			    hex);
		} else if (e == SH_OK) {
			print_report_key(d, ref, rk);
			e = sh_policy_check_other(
			    &d->cat, SEINHUIS__SIGNAL_TYPE__VT_NOTICE, fields,
			    n,
			    &(sh_other){.print = pr,
			                .plen = sl - SH_SEAL_OVERHEAD,
			                .key = rk},
			    today, field, fl, detail, dl);
			sh_wipe(rk, sizeof(rk));
		}
		free(sealed);
		free(pr);
		return e == SH_ERR_NOTFOUND ? SH_OK : e;
	}
	if (e)
		return snprintf(field, fl, "store"), e;
	if (in->type == SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT)
		e = screen_against(d, in->sender, hex, in->envelope.data,
		                   in->envelope.len, fields, n, today, field,
		                   fl, detail, dl);
	seinhuis__inbox_record__free_unpacked(in, NULL);
	return e;
}

sh_err sh_report_print_keep(sh_daemon *d, const Seinhuis__InboxRecord *rec,
                            const uint8_t id[SH_ID_LEN])
{
	if (rec->type != SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT)
		return SH_OK;
	Seinhuis__Field **rf;
	size_t nr;
	sh_buf pr = {0};
	sh_err e = SH_OK;
	if (opened_fields(d, rec->sender, rec->envelope.data, rec->envelope.len,
	                  &rf, &nr) == 0) {
		/* tagged under a key of this report's own, so that two
		 * prints show no value in common; sealed, so that the store
		 * shows neither their kinds nor how many */
		uint8_t rk[SH_KEY_LEN];
		print_report_key(d, id, rk);
		sh_print_make(rf, nr, rk, &pr);
		sh_wipe(rk, sizeof(rk));
		uint8_t *sealed = sh_xmalloc(pr.len + SH_SEAL_OVERHEAD);
		e = sh_seal(sealed, d->print_key, id, SH_ID_LEN, pr.data,
		            pr.len);
		if (e == SH_OK)
			e = sh_store_print_put(d->store, id, sh_now_ms(),
			                       sealed,
			                       pr.len + SH_SEAL_OVERHEAD);
		free(sealed);
	} else {
		char hex[2 * SH_ID_LEN + 1];
		sh_hex(hex, id, SH_ID_LEN);
		sh_daemon_warn(d,
		               "report %s does not open here: taken without a "
		               "print, so a notice on it is not compared with "
		               "its persons",
		               hex);
	}
	fields_wipe_free(rf, nr);
	sh_buf_free(&pr);
	return e;
}

sh_err sh_answered_get(sh_daemon *d, Seinhuis__Field **fields, size_t n,
                       const char *name, const char *what,
                       uint8_t id[SH_ID_LEN], Seinhuis__InboxRecord **rec,
                       char *detail, size_t dl)
{
	const char *hex = sh_field_value(fields, n, name);
	*rec = NULL;
	if (!hex || strlen(hex) != 2 * SH_ID_LEN ||
	    sh_unhex(id, SH_ID_LEN, hex) < 0)
		return snprintf(detail, dl, "a %s id is 32 hex digits", what),
		       SH_ERR_FIELD_FORMAT;
	sh_err e = sh_daemon_txn(d);
	if (e)
		return e;
	return sh_store_inbox_get(d->store, sh_store_txn(d->store), id, rec);
}

sh_err sh_notice_target(sh_daemon *d, sh_peer *p, Seinhuis__Field **fields,
                        size_t n, char *detail, size_t dl)
{
	if (role_takes_handover(p->card.role))
		return SH_OK;
	uint8_t id[SH_ID_LEN];
	Seinhuis__InboxRecord *rec = NULL;
	sh_err e = sh_answered_get(d, fields, n, "report_id", "report", id,
	                           &rec, detail, dl);
	if (e == SH_ERR_NOTFOUND &&
	    sh_store_seen(d->store, sh_store_txn(d->store), id))
		return SH_OK; /* taken: its sender is checked there */
	if (e == SH_OK &&
	    (rec->type != SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT ||
	     strcmp(rec->sender, p->card.partner) != 0))
		e = SH_ERR_NOTFOUND;
	if (rec)
		seinhuis__inbox_record__free_unpacked(rec, NULL);
	if (e == SH_ERR_NOTFOUND)
		return snprintf(detail, dl,
		                "a notice goes to the partner that made the "
		                "report: no meldcode_report from '%s' with "
		                "this id (to a municipality_team: a hand-over)",
		                p->card.partner),
		       SH_ERR_ROUTE;
	return e;
}

/* ------------------------------------------------------- retention */

/* The case key and type of each inbox signal that has one. */
struct ret_sig {
	uint8_t key[SH_KEY_LEN];
	Seinhuis__SignalType type;
};

struct ret_scan {
	struct ret_sig *sigs;
	size_t nsigs;
	Seinhuis__CaseRecord **cases;
	size_t ncases;
	sh_daemon *d;
	int capped;
};

/* Case records read per sweep: a sweep that stops there goes on after
 * the last one read the next time, round the table, so that cases kept
 * at its start never hide later ones that are due. */
#define RET_CASES 10000

static int ret_sig_one(void *vctx, uint64_t seq, const Seinhuis__InboxRecord *r)
{
	struct ret_scan *c = vctx;
	(void)seq;
	if (r->case_key.len != SH_KEY_LEN)
		return 0;
	c->sigs = realloc(c->sigs, (c->nsigs + 1) * sizeof(*c->sigs));
	if (!c->sigs)
		abort();
	memcpy(c->sigs[c->nsigs].key, r->case_key.data, SH_KEY_LEN);
	c->sigs[c->nsigs++].type = r->type;
	return 0;
}

static int ret_case_one(void *vctx, const Seinhuis__CaseRecord *rec)
{
	struct ret_scan *c = vctx;
	sh_daemon *d = c->d;
	if (rec->case_key.len != SH_KEY_LEN)
		return 0;
	if (d->case_sweep_more &&
	    memcmp(rec->case_key.data, d->case_sweep_after, SH_KEY_LEN) <= 0)
		return 0; /* read by the sweep before */
	c->cases = realloc(c->cases, (c->ncases + 1) * sizeof(*c->cases));
	if (!c->cases)
		abort();
	c->cases[c->ncases++] = copy_case(rec);
	if (c->ncases < RET_CASES)
		return 0;
	memcpy(d->case_sweep_after, rec->case_key.data, SH_KEY_LEN);
	c->capped = 1;
	return 1;
}

static int ret_sig_cmp(const void *a, const void *b)
{
	return memcmp(((const struct ret_sig *)a)->key,
	              ((const struct ret_sig *)b)->key, SH_KEY_LEN);
}

sh_err sh_cases_retention(sh_daemon *d, int64_t now_ms)
{
	struct ret_scan c = {NULL, 0, NULL, 0, d, 0};
	MDB_txn *txn = sh_store_txn(d->store);
	sh_err e = sh_store_case_scan(d->store, txn, ret_case_one, &c);
	d->case_sweep_more = e == SH_OK && c.capped; /* else from the start */
	if (e == SH_OK && c.ncases)
		e = sh_store_inbox_scan(d->store, txn, ret_sig_one, &c);
	if (c.nsigs > 1)
		qsort(c.sigs, c.nsigs, sizeof(*c.sigs), ret_sig_cmp);
	/* Signals no longer in the inbox: the longest keep_taken (open
	 * cases) and keep_closed (closed ones) of the types this partner may
	 * receive. */
	int64_t keep_any = 0, keep_any_closed = 0;
	for (size_t i = 0; i < d->cat.ntypes; i++) {
		const sh_type_rule *t = &d->cat.types[i];
		if (!sh_role_in(t->recipients, d->self.card.role))
			continue;
		if (t->keep_taken_s > keep_any)
			keep_any = t->keep_taken_s;
		if (t->keep_closed_s > keep_any_closed)
			keep_any_closed = t->keep_closed_s;
	}
	for (size_t i = 0; e == SH_OK && i < c.ncases; i++) {
		const Seinhuis__CaseRecord *r = c.cases[i];
		/* the case's signals still in the inbox, and their keep */
		size_t lo = 0, hi = c.nsigs, nsig = 0;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (memcmp(c.sigs[mid].key, r->case_key.data,
			           SH_KEY_LEN) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		int closed =
		    r->n_steps &&
		    strcmp(r->steps[r->n_steps - 1]->step, "closed") == 0;
		int64_t keep = 0;
		for (size_t k = lo;
		     k < c.nsigs &&
		     memcmp(c.sigs[k].key, r->case_key.data, SH_KEY_LEN) == 0;
		     k++, nsig++) {
			const sh_type_rule *t =
			    sh_catalogue_type(&d->cat, c.sigs[k].type);
			int64_t kt = !t ? (closed ? keep_any_closed : keep_any)
			             : closed ? t->keep_closed_s
			                      : t->keep_taken_s;
			if (kt > keep)
				keep = kt;
		}
		if (nsig == 0)
			keep = closed ? keep_any_closed : keep_any;
		int64_t last = r->claimed_ms;
		if (r->n_steps && r->steps[r->n_steps - 1]->time_ms > last)
			last = r->steps[r->n_steps - 1]->time_ms;
		if ((!closed && nsig > 0) || last + keep * 1000 > now_ms)
			continue;
		e = sh_store_case_del(d->store, r->case_key.data);
		if (e != SH_OK)
			break;
		Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
		en.event = SEINHUIS__AUDIT_EVENT__AUDIT_RETENTION_REMOVED;
		en.household = r->case_key;
		en.outcome = "removed";
		en.detail = closed ? "case record: closed, past keep_closed of "
		                     "the catalogue"
		                   : "case record: no signal left and no step "
		                     "within keep_taken of the catalogue";
		e = sh_audit_record(d, &en);
		if (e == SH_OK) {
			char hex[2 * SH_KEY_LEN + 1];
			sh_hex(hex, r->case_key.data, SH_KEY_LEN);
			sh_info("retention: case %.16s... removed (%s)", hex,
			        closed ? "closed"
			               : "open, no signals left, idle");
		}
	}
	for (size_t i = 0; i < c.ncases; i++)
		seinhuis__case_record__free_unpacked(c.cases[i], NULL);
	free(c.cases);
	free(c.sigs);
	return e;
}
