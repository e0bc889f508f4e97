/*
 * auditctl.c - the control operations of the audit log, and reveal.
 *
 *   AUDIT_LIST     entries by filter (time, partner, type, event, message
 *                  id, case key), in log order, paged by index. The case
 *                  key filter matches an entry's case key or pseudonym and
 *                  then every entry about the same message ids.
 *   AUDIT_VERIFY   audit.c's full check, answered with its findings.
 *   AUDIT_HEAD     signs a tree head now if the tree grew since the last
 *                  one, and answers with the latest head.
 *   AUDIT_PROVE    an inclusion proof of one entry, or a consistency proof
 *                  from an older tree size, against a signed head.
 *   AUDIT_SUBJECT  a resident's right to inspect: from the identifiers the
 *                  caller sends (surname, postcode, house number and
 *                  addition, birth date, BSN), the canonical identities a
 *                  partner may have used (by BSN; by name and address with
 *                  and without birth date, the surname also in the
 *                  spellings of sh_surname_variants), and from each this
 *                  daemon's case key and the pairwise pseudonym for every
 *                  trusted partner; answered with every entry that
 *                  carries one of them and every entry about the same
 *                  signals, except (unless with_meldcode) those of
 *                  meldcode reports and Veilig Thuis notices and the
 *                  look-ups that asked for them: safety first (their
 *                  number is in withheld). Each entry's subject_match
 *                  says how its signal was found: in another spelling,
 *                  or only without the birth date given (perhaps a
 *                  housemate's). The identifiers are wiped from memory
 *                  once used and are never logged or stored; the lookup
 *                  itself is recorded (subject_access, with the case key,
 *                  user and role).
 *   INBOX_REVEAL   opens the sealed personal data of a signal in the inbox
 *                  (sh_wire_open with the sender's pair keys) for a
 *                  caseworker, and answers with the personal fields. It is
 *                  recorded (revealed: reason, role, user, which fields;
 *                  never their values) in the same transaction, and the
 *                  answer waits for the commit, so nothing is shown that
 *                  the log does not hold. The reason is recorded as given:
 *                  it must say why, not who, and a reason that looks like
 *                  it holds personal data (an e-mail address, a postcode,
 *                  a long number) is refused, as is one that holds a
 *                  personal value of the signal revealed (its surname,
 *                  street, ...: PERSONAL_DATA).
 * Which roles may run each one is roles.c's table; it was checked before
 * these run.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "auditd.h"

#define LIST_MAX_BYTES (8u << 20) /* well below SH_CTL_MAX_FRAME */
#define LIST_DEFAULT   1000
#define LIST_MAX       100000

void sh_ctl_reply(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlReply *r,
                  int is_write)
{
	sh_defer *df = sh_defer_add(d, DEFER_CTL_REPLY);
	df->conn = c;
	df->is_write = is_write;
	sh_frame_append(&df->data, &r->base);
	c->pending += df->data.len; /* until the commit (control.c) */
}

void sh_ctl_refuse(sh_daemon *d, sh_ctl_conn *c, sh_err e, const char *fmt, ...)
{
	char text[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 0;
	r.rule = (char *)sh_err_rule(e);
	r.error = text;
	sh_ctl_reply(d, c, &r, 0);
}

/* ------------------------------------------------------------ matching */

/* A message id and how it was found (the best of its entries'). */
typedef struct {
	uint8_t id[SH_ID_LEN];
	unsigned how;
} match_id;

/* A 32-byte value (resident key, pseudonym, case key) and how it was made
 * (CtlReply.subject_match's bits). */
typedef struct {
	uint8_t k[32];
	unsigned how;
} match_key;

/* An entry the one pass over the log may list: it carries a key, or is
 * about a message id (whose key may be carried by a later entry), or could
 * not be decoded (said, not skipped in silence). */
typedef struct {
	uint64_t index;
	uint8_t id[SH_ID_LEN];
	uint8_t has_id, keyed, damaged;
} match_ent;

/* A set of keys, sorted by match_scan (each once, with the best how of
 * its copies) so that each of an entry's keys is one binary search, and
 * of message ids; with_how: the answer says how each entry was found.
 * With safety set, also the message ids of every meldcode report and
 * Veilig Thuis notice in the log (safe_ids), whose entries a resident's
 * look-up leaves out. ents: what the pass saw, in log order. */
typedef struct {
	match_key *keys;
	size_t nkeys, capkeys;
	int with_how;
	match_id *ids;
	size_t nids, capids;
	int safety;
	match_id *safe_ids;
	size_t nsafe, capsafe;
	match_ent *ents;
	size_t nents, capents;
} match_set;

/* The signal types of the meldcode loop: a resident's right of access
 * gives way to safety there (a report about someone at home may have been
 * made because of the person who asks). */
static int safety_type(Seinhuis__SignalType t)
{
	return t == SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT ||
	       t == SEINHUIS__SIGNAL_TYPE__VT_NOTICE;
}

#define HOW_NONE (~0u)

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static void add_key(match_set *m, const uint8_t k[32], unsigned how)
{
	if (m->nkeys == m->capkeys) {
		m->capkeys = m->capkeys ? m->capkeys * 2 : 64;
		m->keys = realloc(m->keys, m->capkeys * sizeof(*m->keys));
		if (!m->keys)
			abort();
	}
	memcpy(m->keys[m->nkeys].k, k, 32);
	m->keys[m->nkeys++].how = how;
}

/* sorted, each once, with the best how of its copies (a key may have been
 * made twice: two spellings with one canonical form) */
static void sort_keys(match_set *m)
{
	if (m->nkeys < 2)
		return;
	qsort(m->keys, m->nkeys, sizeof(*m->keys), cmp_key);
	size_t o = 1;
	for (size_t i = 1; i < m->nkeys; i++)
		if (memcmp(m->keys[i].k, m->keys[o - 1].k, 32) != 0)
			m->keys[o++] = m->keys[i];
		else if (m->keys[i].how < m->keys[o - 1].how)
			m->keys[o - 1].how = m->keys[i].how;
	m->nkeys = o;
}

/* b's how if it is a key of the (sorted) set, else HOW_NONE */
static unsigned key_in(const match_set *m, const ProtobufCBinaryData *b)
{
	if (b->len != 32 || !m->nkeys)
		return HOW_NONE;
	const match_key *k =
	    bsearch(b->data, m->keys, m->nkeys, sizeof(*m->keys), cmp_key);
	return !k ? HOW_NONE : m->with_how ? k->how : 0;
}

/* an entry that carries a key of the set: the best how of its keys, or
 * HOW_NONE (the further persons' keys too: a meldcode report's) */
static unsigned keys_how(const match_set *m, const Seinhuis__AuditEntry *e)
{
	unsigned how = key_in(m, &e->subject), h;
	if ((h = key_in(m, &e->case_key)) < how)
		how = h;
	if ((h = key_in(m, &e->household)) < how)
		how = h;
	for (size_t i = 0; i < e->n_other_persons; i++)
		if ((h = key_in(m, &e->other_persons[i])) < how)
			how = h;
	return how;
}

static int keys_in(const match_set *m, const Seinhuis__AuditEntry *e)
{
	return keys_how(m, e) != HOW_NONE;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, SH_ID_LEN);
}

static const match_id *find_id(const match_id *ids, size_t n,
                               const ProtobufCBinaryData *b)
{
	return b->len == SH_ID_LEN && n
	           ? bsearch(b->data, ids, n, sizeof(*ids), cmp_id)
	           : NULL;
}

static int in_ids(const match_id *ids, size_t n, const ProtobufCBinaryData *b)
{
	return find_id(ids, n, b) != NULL;
}

static int id_in(const match_set *m, const ProtobufCBinaryData *b)
{
	return in_ids(m->ids, m->nids, b);
}

static void add_id(match_id **ids, size_t *n, size_t *cap, const uint8_t *id,
                   unsigned how)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*ids = realloc(*ids, *cap * sizeof(**ids));
		if (!*ids)
			abort();
	}
	memcpy((*ids)[*n].id, id, SH_ID_LEN);
	(*ids)[(*n)++].how = how;
}

/* sorted, each once, with the best how of its copies */
static size_t sort_ids(match_id *ids, size_t n)
{
	if (n < 2)
		return n;
	qsort(ids, n, sizeof(*ids), cmp_id);
	size_t o = 1;
	for (size_t i = 1; i < n; i++)
		if (memcmp(ids[i].id, ids[o - 1].id, SH_ID_LEN) != 0)
			ids[o++] = ids[i];
		else if (ids[i].how < ids[o - 1].how)
			ids[o - 1].how = ids[i].how;
	return o;
}

static int collect_ids(void *vctx, uint64_t index, const uint8_t *bytes,
                       size_t len, const Seinhuis__AuditEntry *e)
{
	match_set *m = vctx;
	(void)bytes, (void)len;
	int has_id = e && e->message_id.len == SH_ID_LEN;
	unsigned how = e ? keys_how(m, e) : HOW_NONE;
	if (has_id && m->safety && safety_type(e->type))
		add_id(&m->safe_ids, &m->nsafe, &m->capsafe, e->message_id.data,
		       0);
	if (has_id && how != HOW_NONE)
		add_id(&m->ids, &m->nids, &m->capids, e->message_id.data, how);
	if (e && !has_id && how == HOW_NONE)
		return 0; /* about no signal and no key: never listed */
	if (m->nents == m->capents) {
		m->capents = m->capents ? m->capents * 2 : 1024;
		m->ents = realloc(m->ents, m->capents * sizeof(*m->ents));
		if (!m->ents)
			abort();
	}
	match_ent *me = &m->ents[m->nents++];
	memset(me, 0, sizeof(*me));
	me->index = index;
	me->damaged = !e;
	me->keyed = how != HOW_NONE;
	if ((me->has_id = (uint8_t)has_id))
		memcpy(me->id, e->message_id.data, SH_ID_LEN);
	return 0;
}

/* The entries that carry a key, every entry about the same message ids
 * (before or after the one that carries it) and the damaged ones, from
 * index `from` on, to fn in log order: one pass over the whole log, which
 * decodes each entry once and keeps what it may list (match_ent); then
 * those entries alone are read again. With safety, the meldcode loop's
 * message ids are gathered in the same pass. */
static sh_err match_scan(sh_audit *log, MDB_txn *txn, match_set *m,
                         uint64_t from, sh_audit_scan_fn fn, void *ctx)
{
	sort_keys(m);
	sh_err e = sh_audit_scan(log, txn, 0, collect_ids, m);
	if (e != SH_OK)
		return e;
	m->nids = sort_ids(m->ids, m->nids);
	m->nsafe = sort_ids(m->safe_ids, m->nsafe);
	sh_buf b = {0};
	for (size_t i = 0; i < m->nents && e == SH_OK; i++) {
		const match_ent *me = &m->ents[i];
		ProtobufCBinaryData id = {SH_ID_LEN, (uint8_t *)me->id};
		if (me->index < from ||
		    !(me->damaged || me->keyed ||
		      (me->has_id && in_ids(m->ids, m->nids, &id))))
			continue;
		b.len = 0;
		if ((e = sh_audit_entry(log, txn, me->index, &b)) != SH_OK)
			break;
		Seinhuis__AuditEntry *en =
		    seinhuis__audit_entry__unpack(NULL, b.len, b.data);
		int stop = fn(ctx, me->index, b.data, b.len, en);
		if (en)
			seinhuis__audit_entry__free_unpacked(en, NULL);
		if (stop)
			break;
	}
	sh_buf_free(&b);
	return e;
}

static void match_free(match_set *m)
{
	free(m->keys);
	free(m->ids);
	free(m->safe_ids);
	free(m->ents);
	memset(m, 0, sizeof(*m));
}

struct list_ctx {
	const Seinhuis__CtlRequest *q;
	Seinhuis__AuditEvent event;
	Seinhuis__SignalType type;
	uint8_t id[SH_ID_LEN];
	int have_id;
	const match_set *match; /* NULL: no case key filter */
	ProtobufCBinaryData *items;
	uint32_t *how; /* with match->with_how: each item's (subject_match) */
	size_t n, cap, bytes, limit;
	uint64_t next;
	size_t withheld; /* left out for safety (match->safety) */
	size_t undecodable;
};

static int list_match(const struct list_ctx *c, const Seinhuis__AuditEntry *e)
{
	const Seinhuis__CtlRequest *q = c->q;
	if (q->since_us && e->time_us < q->since_us)
		return 0;
	if (q->until_us && e->time_us >= q->until_us)
		return 0;
	if (q->partner[0] && strcmp(q->partner, e->partner) != 0)
		return 0;
	if (c->type && e->type != c->type)
		return 0;
	if (c->event && e->event != c->event)
		return 0;
	if (c->have_id && (e->message_id.len != SH_ID_LEN ||
	                   memcmp(e->message_id.data, c->id, SH_ID_LEN) != 0))
		return 0;
	if (c->match && !keys_in(c->match, e) &&
	    !id_in(c->match, &e->message_id))
		return 0;
	return 1;
}

/* The outcome suffix of a look-up that asked for the meldcode entries: a
 * later look-up without them leaves it out too (that it was asked for
 * would say that there is something to ask for). */
#define SUBJECT_WITH_MELDCODE "_with_meldcode"

static int list_one(void *vctx, uint64_t index, const uint8_t *bytes,
                    size_t len, const Seinhuis__AuditEntry *e)
{
	struct list_ctx *c = vctx;
	if (!e) {
		c->undecodable++; /* damaged: said, not skipped in silence */
		return 0;
	}
	if (!list_match(c, e))
		return 0;
	if (c->match && c->match->safety &&
	    (safety_type(e->type) ||
	     in_ids(c->match->safe_ids, c->match->nsafe, &e->message_id) ||
	     (e->event == SEINHUIS__AUDIT_EVENT__AUDIT_SUBJECT_ACCESS &&
	      strstr(e->outcome, SUBJECT_WITH_MELDCODE)))) {
		c->withheld++;
		return 0;
	}
	if (c->n >= c->limit || c->bytes + len > LIST_MAX_BYTES) {
		c->next = index;
		return 1;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->items = realloc(c->items, c->cap * sizeof(*c->items));
		if (!c->items)
			abort();
		if (c->match && c->match->with_how &&
		    !(c->how = realloc(c->how, c->cap * sizeof(*c->how))))
			abort();
	}
	if (c->match && c->match->with_how) {
		/* as its signal was found, or as the entry itself was */
		const match_id *mi =
		    find_id(c->match->ids, c->match->nids, &e->message_id);
		unsigned how = mi ? mi->how : keys_how(c->match, e);
		c->how[c->n] = how == HOW_NONE ? 0 : how;
	}
	c->items[c->n].data = sh_xmalloc(len);
	memcpy(c->items[c->n].data, bytes, len);
	c->items[c->n].len = len;
	c->n++;
	c->bytes += len;
	return 0;
}

static void list_free(struct list_ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->items[i].data);
	free(c->items);
	free(c->how);
	c->items = NULL;
	c->how = NULL;
	c->n = c->cap = 0;
}

/* ---------------------------------------------------------------- list */

static void op_list(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	struct list_ctx lc = {.q = q};
	match_set m = {0};
	lc.limit = q->limit ? (q->limit > LIST_MAX ? LIST_MAX : q->limit)
	                    : LIST_DEFAULT;
	if (q->event[0] && !(lc.event = sh_audit_event_parse(q->event)))
		return sh_ctl_refuse(
		    d, c, SH_ERR_USAGE,
		    "the event given is not known (see seinctl(1))");
	if (q->type[0] && !(lc.type = sh_signal_type_parse(q->type)))
		return sh_ctl_refuse(d, c, SH_ERR_TYPE,
		                     "the signal type given is not known "
		                     "(see seinctl(1))");
	if (q->message_id[0]) {
		if (sh_unhex(lc.id, SH_ID_LEN, q->message_id) < 0)
			return sh_ctl_refuse(d, c, SH_ERR_USAGE,
			                     "a message id is 32 hex digits");
		lc.have_id = 1;
	}
	if (q->case_key[0]) {
		uint8_t k[32];
		if (sh_unhex(k, 32, q->case_key) < 0) {
			match_free(&m);
			return sh_ctl_refuse(
			    d, c, SH_ERR_USAGE,
			    "a case key or pseudonym is 64 hex "
			    "digits");
		}
		add_key(&m, k, 0);
		lc.match = &m;
	}
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn) {
		match_free(&m);
		return sh_ctl_refuse(d, c, SH_ERR_STORE,
		                     "cannot read the store");
	}
	sh_err e = lc.match ? match_scan(sh_audit_log(d), txn, &m,
	                                 q->start_index, list_one, &lc)
	                    : sh_audit_scan(sh_audit_log(d), txn,
	                                    q->start_index, list_one, &lc);
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	if (e == SH_OK) {
		r.ok = 1;
		r.n_audit_entries = lc.n;
		r.audit_entries = lc.items;
		r.next_index = lc.next;
		r.undecodable = (uint32_t)lc.undecodable;
		sh_ctl_reply(d, c, &r, 0);
	}
	sh_store_read_end(d->store, txn);
	list_free(&lc);
	match_free(&m);
	if (e != SH_OK)
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
}

/* -------------------------------------------------------------- verify */

static void op_verify(sh_daemon *d, sh_ctl_conn *c)
{
	Seinhuis__AuditVerifyResult v;
	sh_audit_keys keys;
	char why[1600];
	sh_audit_keys_load(&keys, &d->self.card, d->cfg.keydir, why,
	                   sizeof(why));
	if (why[0])
		sh_warn("audit verify: %s", why);
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		return sh_ctl_refuse(d, c, SH_ERR_STORE,
		                     "cannot read the store");
	sh_err e = sh_audit_verify(sh_audit_log(d), txn, &keys, &v);
	char by[SH_PARTNER_MAX + 1];
	if (e == SH_OK) {
		sh_witness_anchored(d, txn, &v.anchored_size, by, sizeof(by),
		                    &v.anchored_head_ms);
		v.anchored_by = by;
	}
	sh_store_read_end(d->store, txn);
	if (e != SH_OK)
		return sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	if (!v.ok)
		sh_daemon_error(d, "audit: verification failed: %s", v.problem);
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.verify = &v;
	sh_ctl_reply(d, c, &r, 0);
	sh_audit_verify_free(&v);
}

/* ---------------------------------------------------------------- head */

static void op_head(sh_daemon *d, sh_ctl_conn *c)
{
	sh_audit *log = sh_audit_log(d);
	sh_err e = sh_daemon_txn(d);
	if (e == SH_OK && sh_audit_size(log) == 0)
		return sh_ctl_refuse(d, c, SH_ERR_NOTFOUND,
		                     "the audit log is empty");
	if (e == SH_OK && sh_audit_size(log) > sh_audit_head_size(log)) {
		e = sh_audit_sign_head(log, &d->self, sh_now_ms());
		if (e != SH_OK)
			sh_daemon_txn_fail(d, e);
		else
			sh_witness_due(d, NULL); /* once it commits */
	}
	Seinhuis__SignedTreeHead *h = NULL;
	if (e == SH_OK)
		e = sh_audit_get_head(log, sh_store_txn(d->store), 0, &h);
	if (e != SH_OK)
		return sh_ctl_refuse(d, c, e, "cannot sign a tree head: %s",
		                     sh_err_str(e));
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.head = h;
	sh_ctl_reply(d, c, &r, 1);
	seinhuis__signed_tree_head__free_unpacked(h, NULL);
}

/* --------------------------------------------------------------- prove */

static void op_prove(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	sh_audit *log = sh_audit_log(d);
	Seinhuis__SignedTreeHead *head = NULL, *old = NULL;
	uint8_t path[SH_MERKLE_MAX_PATH][32];
	ProtobufCBinaryData hashes[SH_MERKLE_MAX_PATH];
	size_t len = 0;
	sh_buf leaf = {0};
	int inclusion = strcmp(q->proof_kind, "inclusion") == 0;
	if (!inclusion && strcmp(q->proof_kind, "consistency") != 0)
		return sh_ctl_refuse(d, c, SH_ERR_USAGE,
		                     "a proof is of kind inclusion or "
		                     "consistency");
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		return sh_ctl_refuse(d, c, SH_ERR_STORE,
		                     "cannot read the store");
	sh_err e = sh_audit_get_head(log, txn, q->tree_size, &head);
	if (e == SH_ERR_NOTFOUND) {
		if (q->tree_size)
			sh_ctl_refuse(d, c, e,
			              "no tree head was signed at size %llu",
			              (unsigned long long)q->tree_size);
		else
			sh_ctl_refuse(d, c, e,
			              "no tree head has been signed yet: run "
			              "'seinctl audit head'");
		goto out;
	}
	uint64_t n = head ? head->tree_size : 0;
	/* the entries the log holds now, as this transaction reads them */
	uint64_t have = sh_audit_committed_size(log);
	/* entries below it were removed by audit_keep (audit.c) */
	uint64_t removed = sh_audit_removed(log, txn);
	if (e == SH_OK && inclusion) {
		if (q->index >= have && q->index >= n) {
			/* no newer head can hold it: say so, not "sign one" */
			if (have)
				sh_ctl_refuse(d, c, SH_ERR_NOTFOUND,
				              "entry %llu is not in the audit "
				              "log: the log holds only %llu "
				              "entries (0 to %llu)",
				              (unsigned long long)q->index,
				              (unsigned long long)have,
				              (unsigned long long)(have - 1));
			else
				sh_ctl_refuse(d, c, SH_ERR_NOTFOUND,
				              "entry %llu is not in the audit "
				              "log: the log is empty",
				              (unsigned long long)q->index);
			goto out;
		}
		if (q->index >= n) {
			sh_ctl_refuse(
			    d, c, SH_ERR_NOTFOUND,
			    "entry %llu is not in the tree of the "
			    "signed head at size %llu: %s",
			    (unsigned long long)q->index, (unsigned long long)n,
			    q->tree_size ? "give a larger --size, or leave it "
			                   "out for the latest head"
			                 : "sign a newer head with 'seinctl "
			                   "audit head'");
			goto out;
		}
		if (q->index < removed) {
			sh_ctl_refuse(
			    d, c, SH_ERR_NOTFOUND,
			    "entry %llu was removed by audit_keep: entries "
			    "0 to %llu are older than the audit log keeps "
			    "them (the stored hashes of their blocks still "
			    "cover them in the tree, the entries are gone)",
			    (unsigned long long)q->index,
			    (unsigned long long)removed - 1);
			goto out;
		}
		e = sh_audit_prove_inclusion(log, txn, q->index, n, path, &len);
		if (e == SH_OK)
			e = sh_audit_entry(log, txn, q->index, &leaf);
	} else if (e == SH_OK) {
		if (q->old_size == 0 || q->old_size > n) {
			sh_ctl_refuse(d, c, SH_ERR_USAGE,
			              "the older tree size must be 1 to %llu",
			              (unsigned long long)n);
			goto out;
		}
		uint64_t bad = !sh_audit_size_provable(log, txn, q->old_size)
		                   ? q->old_size
		               : !sh_audit_size_provable(log, txn, n) ? n
		                                                      : 0;
		if (bad) {
			sh_ctl_refuse(
			    d, c, SH_ERR_NOTFOUND,
			    "the tree of size %llu cannot be recomputed: "
			    "audit_keep removed entries 0 to %llu, and below "
			    "there only a size that is a multiple of 16 is "
			    "covered by the stored hashes",
			    (unsigned long long)bad,
			    (unsigned long long)removed - 1);
			goto out;
		}
		e = sh_audit_prove_consistency(log, txn, q->old_size, n, path,
		                               &len);
		if (e == SH_OK && sh_audit_get_head(log, txn, q->old_size,
		                                    &old) == SH_ERR_NOTFOUND)
			old = NULL;
	}
	if (e != SH_OK) {
		sh_ctl_refuse(d, c, e, "cannot build the proof: %s",
		              sh_err_str(e));
		goto out;
	}
	Seinhuis__AuditProof pr = SEINHUIS__AUDIT_PROOF__INIT;
	pr.kind = inclusion ? "inclusion" : "consistency";
	pr.index = inclusion ? q->index : 0;
	pr.old_size = inclusion ? 0 : q->old_size;
	pr.tree_size = n;
	for (size_t i = 0; i < len; i++) {
		hashes[i].data = path[i];
		hashes[i].len = 32;
	}
	pr.n_path = len;
	pr.path = hashes;
	pr.leaf.data = leaf.data;
	pr.leaf.len = leaf.len;
	pr.head = head;
	pr.old_head = old;
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.proof = &pr;
	r.head = head;
	sh_ctl_reply(d, c, &r, 0);
out:
	sh_store_read_end(d->store, txn);
	sh_buf_free(&leaf);
	if (head)
		seinhuis__signed_tree_head__free_unpacked(head, NULL);
	if (old)
		seinhuis__signed_tree_head__free_unpacked(old, NULL);
}

/* ------------------------------------------------------------- subject */

static void wipe_fields(Seinhuis__CtlRequest *q)
{
	for (size_t i = 0; i < q->n_fields; i++)
		if (q->fields[i]->value &&
		    q->fields[i]->value != protobuf_c_empty_string)
			sh_wipe(q->fields[i]->value,
			        strlen(q->fields[i]->value));
}

/* Case key and every partner's pseudonym for one canonical identity, made
 * so (how: CtlReply.subject_match's bits). */
static void add_identity(sh_daemon *d, match_set *m, const char *canon,
                         unsigned how, uint8_t first_case_key[32],
                         int *have_first)
{
	uint8_t k[32];
	sh_audit_case_key_canon(d, canon, k);
	add_key(m, k, how);
	if (!*have_first) {
		memcpy(first_case_key, k, 32);
		*have_first = 1;
	}
	int former = 0;
	for (size_t i = 0; i < d->npeers; i++) {
		sh_peer *p = &d->peers[i];
		if (p->removed) {
			/* a former partner's entries are still found; its
			 * keys are made for this look-up alone and wiped */
			sh_pair_keys pk;
			if (sh_pair_keys_derive(&pk, &d->self, &p->card) ==
			    SH_OK) {
				sh_pseudonym(k, pk.pseudo_key, canon);
				add_key(m, k, how);
			}
			sh_wipe(&pk, sizeof(pk));
			former = 1;
			continue;
		}
		if (sh_peer_keys(d, p) != SH_OK)
			continue;
		sh_pseudonym(k, p->keys.pseudo_key, canon);
		add_key(m, k, how);
	}
	if (former) /* their keys out of this thread's HMAC states too */
		sh_crypto_forget();
	sh_wipe(k, sizeof(k));
}

/* The identities by name and address: the surname as given and in the
 * spellings a partner may have used (sh_surname_variants), each with the
 * birth date given and without it (a partner may not have held it: what
 * is found only so is marked, as it may be a housemate's). The first is
 * the identity as given: the look-up's own entry carries its case key. */
static void add_spellings(sh_daemon *d, match_set *m, Seinhuis__Person *p,
                          uint8_t first[32], int *have_first)
{
	sh_surname_variant v[SH_SURNAME_VARIANTS_MAX];
	char canon[300], *birth = p->birth_date;
	size_t n = sh_surname_variants(p->surname, v, SH_SURNAME_VARIANTS_MAX);
	for (int without = 0; without < 2; without++) {
		if (without && !birth[0])
			break;
		if (without)
			p->birth_date = (char *)protobuf_c_empty_string;
		for (size_t i = 0; i < n; i++)
			if (sh_canonical_identity_as(p, v[i].sur, canon,
			                             sizeof(canon)) == SH_OK)
				add_identity(
				    d, m, canon,
				    v[i].how |
				        (without ? SH_MATCH_NO_BIRTH : 0),
				    first, have_first);
	}
	p->birth_date = birth;
	sh_wipe(v, sizeof(v));
	sh_wipe(canon, sizeof(canon));
}

static void op_subject(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	static const char *allowed[] = {"surname",      "postcode",
	                                "house_number", "house_number_addition",
	                                "birth_date",   "bsn"};
	Seinhuis__Person p = SEINHUIS__PERSON__INIT;
	char **slot[] = {&p.surname,      &p.postcode,
	                 &p.house_number, &p.house_number_addition,
	                 &p.birth_date,   &p.bsn};
	match_set m = {0};
	struct list_ctx lc = {.q = NULL};
	uint8_t first[32];
	int have_first = 0;
	char canon[300], bad[80] = "";
	sh_err e = SH_OK, bad_why = SH_ERR_FIELD_VALUE;
	const char *bad_how = NULL; /* what is wrong with it, if known */

	for (size_t i = 0; i < q->n_fields && !bad[0]; i++) {
		size_t k;
		for (k = 0; k < 6; k++)
			if (strcmp(q->fields[i]->name, allowed[k]) == 0)
				break;
		char shown[24];
		if (k == 6)
			snprintf(bad, sizeof(bad), "%.60s",
			         sh_field_shown(&d->cat, shown, sizeof(shown),
			                        q->fields[i]->name, i));
		else
			*slot[k] = q->fields[i]->value;
	}
	if (bad[0]) {
		wipe_fields(q);
		return sh_ctl_refuse(
		    d, c, SH_ERR_FIELD_UNKNOWN,
		    "identifier '%s' is not used: give surname, "
		    "postcode, house_number, house_number_addition, "
		    "birth_date and/or bsn",
		    bad);
	}
	/* The identities a partner may have used for this resident. */
	m.with_how = 1;
	if (p.bsn[0]) {
		Seinhuis__Person b = SEINHUIS__PERSON__INIT;
		b.bsn = p.bsn;
		if (sh_canonical_identity(&b, canon, sizeof(canon)) == SH_OK)
			add_identity(d, &m, canon, 0, first, &have_first);
		else
			snprintf(bad, sizeof(bad), "bsn");
	}
	p.bsn = (char *)protobuf_c_empty_string;
	if (!bad[0] && p.surname[0]) {
		e = sh_canonical_identity(&p, canon, sizeof(canon));
		if (e == SH_OK)
			add_spellings(d, &m, &p, first, &have_first);
		else {
			/* the name of the identifier missing or malformed */
			snprintf(bad, sizeof(bad), "%.60s", canon);
			bad_why = e;
			bad_how = sh_canonical_why(&p, canon);
		}
	}
	sh_wipe(canon, sizeof(canon));
	wipe_fields(q);
	if (bad[0] || !have_first) {
		match_free(&m);
		if (bad[0] && bad_why == SH_ERR_FIELD_MISSING)
			return sh_ctl_refuse(
			    d, c, SH_ERR_FIELD_MISSING,
			    "identifier '%s' is missing: with a surname give "
			    "postcode and house_number too (or only a bsn)",
			    bad);
		if (bad[0])
			return sh_ctl_refuse(
			    d, c, SH_ERR_FIELD_VALUE,
			    "identifier '%s' does not have the "
			    "required form%s%s",
			    bad, bad_how ? ": " : "", bad_how ? bad_how : "");
		return sh_ctl_refuse(d, c, SH_ERR_FIELD_MISSING,
		                     "give a bsn, or surname, postcode and "
		                     "house_number");
	}
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn) {
		match_free(&m);
		return sh_ctl_refuse(d, c, SH_ERR_STORE,
		                     "cannot read the store");
	}
	Seinhuis__CtlRequest all = SEINHUIS__CTL_REQUEST__INIT;
	lc.q = &all;
	lc.match = &m;
	lc.limit = (size_t)-1;
	m.safety = !q->with_meldcode;
	e = match_scan(sh_audit_log(d), txn, &m, 0, list_one, &lc);
	sh_store_read_end(d->store, txn);
	/* Record the lookup, then answer after the commit. */
	if (e == SH_OK) {
		char name[80], detail[120];
		Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
		en.event = SEINHUIS__AUDIT_EVENT__AUDIT_SUBJECT_ACCESS;
		en.outcome = lc.next            ? (q->with_meldcode
		                                       ? "partial" SUBJECT_WITH_MELDCODE
		                                       : "partial")
		             : q->with_meldcode ? "listed" SUBJECT_WITH_MELDCODE
		                                : "listed";
		sh_audit_set_caller(&en, c, name, sizeof(name));
		en.case_key.data = first;
		en.case_key.len = 32;
		/* what was shown; not how many entries were left out */
		snprintf(detail, sizeof(detail), "%zu entries shown%s", lc.n,
		         q->with_meldcode ? ", with meldcode reports and "
		                            "Veilig Thuis notices (asked for)"
		                          : "");
		en.detail = detail;
		e = sh_audit_record(d, &en);
		if (e == SH_OK)
			sh_audit_head_soon(d);
	}
	if (e == SH_OK) {
		Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
		r.ok = 1;
		r.n_audit_entries = lc.n;
		r.audit_entries = lc.items;
		r.next_index = lc.next;
		r.withheld = (uint32_t)lc.withheld;
		r.n_subject_match = lc.n;
		r.subject_match = lc.how;
		sh_ctl_reply(d, c, &r, 1);
	} else {
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	}
	list_free(&lc);
	match_free(&m);
	sh_wipe(first, sizeof(first));
}

/* -------------------------------------------------------------- reveal */

static void add_revealed(Seinhuis__Field ***out, size_t *n, const char *name,
                         const char *value, sh_buf *names)
{
	if (!value || !value[0])
		return;
	*out = realloc(*out, (*n + 1) * sizeof(**out));
	if (!*out)
		abort();
	Seinhuis__Field *f = sh_xmalloc(sizeof(*f));
	seinhuis__field__init(f);
	f->name = sh_strdup(name);
	f->value = sh_strdup(value);
	(*out)[(*n)++] = f;
	if (names->len < 240)
		sh_buf_printf(names, "%s%s", names->len ? "," : "", name);
}

static void op_reveal(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	uint8_t id[SH_ID_LEN], ck[32];
	char why[200], lb[48], name[80];
	Seinhuis__InboxRecord *rec = NULL;
	Seinhuis__Envelope *env = NULL;
	Seinhuis__Signal *s = NULL;
	Seinhuis__SealedContent *sc = NULL;
	Seinhuis__Field **fields = NULL;
	size_t nf = 0;
	sh_buf names = {0};
	sh_err e;

	if (sh_unhex(id, SH_ID_LEN, q->message_id) < 0)
		return sh_ctl_refuse(d, c, SH_ERR_USAGE,
		                     "a message id is 32 hex digits");
	if (!sh_reveal_reason_ok(q->reason, why, sizeof(why)))
		return sh_ctl_refuse(d, c, SH_ERR_USAGE, "--reason: %s", why);
	if ((e = sh_daemon_txn(d)) != SH_OK)
		return sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	e = sh_store_inbox_get(d->store, sh_store_txn(d->store), id, &rec);
	if (e == SH_ERR_NOTFOUND) {
		sh_ctl_refuse(d, c, e,
		              "no signal %s in the inbox (personal data can be "
		              "revealed only before the team takes a signal)",
		              q->message_id);
		goto out;
	}
	if (e == SH_OK &&
	    (!(env = seinhuis__envelope__unpack(NULL, rec->envelope.len,
	                                        rec->envelope.data)) ||
	     !(s = seinhuis__signal__unpack(NULL, env->signal.len,
	                                    env->signal.data))))
		e = SH_ERR_STORE_CORRUPT;
	if (e != SH_OK) {
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
		goto out;
	}
	sh_peer *p = sh_peer_find(d, rec->sender);
	if (!p) {
		sh_ctl_refuse(
		    d, c, SH_ERR_UNTRUSTED,
		    "the sender '%s' is no longer in the trust store, so "
		    "the key to open the personal data cannot be "
		    "derived",
		    rec->sender);
		goto out;
	}
	if ((e = sh_peer_keys(d, p)) == SH_OK)
		e = sh_wire_open(s, &p->keys, &sc);
	if (e == SH_ERR_NOTFOUND) {
		sh_ctl_refuse(d, c, e, "signal %s carries no personal data",
		              q->message_id);
		goto out;
	}
	if (e != SH_OK) {
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
		goto out;
	}
	for (size_t i = 0; i < sc->n_persons; i++) {
		const Seinhuis__Person *per = sc->persons[i];
		const ProtobufCMessageDescriptor *desc = per->base.descriptor;
		for (unsigned j = 0; j < desc->n_fields; j++) {
			char fname[64];
			const char *v =
			    *(char *const *)((const char *)per +
			                     desc->fields[j].offset);
			if (i == 0)
				snprintf(fname, sizeof(fname), "%s",
				         desc->fields[j].name);
			else
				snprintf(fname, sizeof(fname), "person%zu.%s",
				         i + 1, desc->fields[j].name);
			add_revealed(&fields, &nf, fname, v, &names);
		}
	}
	add_revealed(&fields, &nf, "description", sc->description, &names);
	add_revealed(&fields, &nf, "reporter_contact", sc->reporter_contact,
	             &names);
	sh_buf_add(&names, "", 1);
	/* The reason is kept for ever: it may not name the resident whose
	 * data it opens (checked now that the sealed part is open). */
	const char *own = sh_text_own_data(q->reason, fields, nf);
	if (own) {
		/* A refusal says the reason held that value: recorded (who,
		 * which signal, which kind; never the reason), so that guesses
		 * at a signal's sealed data, which a check_only answers
		 * without revealing anything, leave a trace when they hit. */
		char detail[160];
		Seinhuis__AuditEntry rf = SEINHUIS__AUDIT_ENTRY__INIT;
		rf.event = SEINHUIS__AUDIT_EVENT__AUDIT_ACCESS_DENIED;
		rf.outcome = "refused";
		rf.rule = (char *)sh_err_rule(SH_ERR_PERSONAL);
		sh_audit_set_caller(&rf, c, name, sizeof(name));
		snprintf(detail, sizeof(detail),
		         "op inbox_reveal%s: the reason held %s of the signal "
		         "(the reason is not recorded)",
		         q->check_only ? " (check only)" : "", own);
		rf.detail = detail;
		rf.message_id.data = id;
		rf.message_id.len = SH_ID_LEN;
		rf.partner = rec->sender;
		rf.type = rec->type;
		int kept = sh_audit_record(d, &rf) == SH_OK;
		sh_ctl_refuse(d, c, SH_ERR_PERSONAL,
		              "--reason: it holds %s of the signal revealed: "
		              "say why, not who; nothing was revealed%s",
		              own,
		              kept ? " (the refusal is recorded in the audit "
		                     "log, without the reason)"
		                   : "");
		goto out;
	}
	if (q->check_only) { /* it would be revealed: say so, nothing more */
		Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
		r.ok = 1;
		r.message_id = q->message_id;
		r.role = (char *)sh_roles_name(c->roles);
		sh_ctl_reply(d, c, &r, 1);
		goto out;
	}

	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_REVEALED;
	en.outcome = "revealed";
	sh_audit_set_caller(&en, c, name, sizeof(name));
	en.reason = q->reason;
	en.message_id.data = id;
	en.message_id.len = SH_ID_LEN;
	en.partner = rec->sender;
	en.type = rec->type;
	if (s->subject.len == SH_PSEUDO_LEN)
		en.subject = s->subject;
	snprintf(lb, sizeof(lb), "%s", s->legal_basis);
	en.legal_basis = lb;
	if (sc->n_persons && sh_audit_case_key(d, sc->persons[0], ck)) {
		en.case_key.data = ck;
		en.case_key.len = 32;
	}
	if (rec->case_key.len == 32)
		en.household = rec->case_key;
	en.detail = (char *)names.data;
	if ((e = sh_audit_record(d, &en)) != SH_OK) {
		sh_ctl_refuse(d, c, e,
		              "the reveal could not be recorded, so "
		              "nothing is shown: %s",
		              sh_err_str(e));
		goto out;
	}
	sh_audit_head_soon(d);
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.message_id = q->message_id;
	r.n_revealed = nf;
	r.revealed = fields;
	r.role = (char *)sh_roles_name(c->roles);
	sh_ctl_reply(d, c, &r, 1);
	sh_info("inbox: personal data of %s revealed to local user %d",
	        q->message_id, (int)c->uid);
out:
	for (size_t i = 0; i < nf; i++)
		sh_wipe(fields[i]->value, strlen(fields[i]->value));
	sh_fields_free(fields, nf);
	sh_buf_free(&names);
	sh_sealed_wipe_free(sc);
	if (s)
		seinhuis__signal__free_unpacked(s, NULL);
	if (env)
		seinhuis__envelope__free_unpacked(env, NULL);
	if (rec)
		seinhuis__inbox_record__free_unpacked(rec, NULL);
}

/* ------------------------------------------------------------ dispatch */

void sh_auditctl_dispatch(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	switch (q->op) {
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_LIST: op_list(d, c, q); break;
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_VERIFY: op_verify(d, c); break;
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_HEAD: op_head(d, c); break;
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_PROVE: op_prove(d, c, q); break;
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_SUBJECT:
		op_subject(d, c, q);
		break;
	case SEINHUIS__CTL_REQUEST__OP__INBOX_REVEAL: op_reveal(d, c, q); break;
	default:
		sh_ctl_refuse(d, c, SH_ERR_CONTROL,
		              "unknown control operation %d", (int)q->op);
	}
}
