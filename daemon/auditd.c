/*
 * auditd.c - the audit log inside the daemon: one hook per place where
 * something happens to a signal (called from seinhuisd.c, peer.c and
 * control.c), each appending an entry in the loop turn's write
 * transaction, next to the change it records. What is recorded, and why
 * the entries hold no personal data, is explained in audit.c.
 *
 * Refusals that an outsider can cause (a connection with an unknown key,
 * a local user who may not use the socket) are recorded at most once a
 * minute per key or user, and at most 60 such entries a minute in all;
 * the next entry says how many were left out. Without that limit anyone
 * who can reach the port could fill the data store, and a full store
 * stops the daemon from accepting signals.
 */
#include <stdlib.h>
#include <string.h>

#include "auditd.h"

#define LIMIT_WINDOW_MS  60000
#define LIMIT_SLOTS      64
#define LIMIT_PER_WINDOW 60

struct sent_item {
	sh_peer *peer;
	uint8_t id[SH_ID_LEN];
	int have_bits; /* the rest is known, from the record as sent */
	Seinhuis__SignalType type;
	int has_subject;
	uint8_t subject[SH_PSEUDO_LEN];
	char legal_basis[48];
};

struct limit_slot {
	char key[48];
	int64_t last_ms;
	uint32_t suppressed;
};

struct sh_auditd {
	sh_audit *log;
	uint8_t case_secret[SH_KEY_LEN];
	int64_t last_head_mono;
	struct sent_item *sent;
	size_t nsent, capsent;
	int64_t sent_first_mono; /* when the oldest waiting "sent" came */
	/* the last reason audit_keep left a block, as logged (once) */
	char keep_why[200];
	uint32_t keep_step; /* blocks a sweep removes at most */
	/* what an ack is about, looked up before the ack removes it */
	int ack_found;
	char ack_sender[SH_PARTNER_MAX + 1];
	Seinhuis__SignalType ack_type;
	uint8_t ack_subject[SH_PSEUDO_LEN], ack_household[32], ack_resident[32];
	int ack_has_subject, ack_has_household, ack_has_resident;
	char ack_basis[48];
	/* the signal sh_daemon_submit accepted last, for its entry */
	int note_valid;
	uint8_t note_id[SH_ID_LEN];
	char note_partner[SH_PARTNER_MAX + 1];
	Seinhuis__SignalType note_type;
	sh_build_note note;
	struct limit_slot limits[LIMIT_SLOTS];
	int64_t window_start;
	uint32_t window_count, window_suppressed;
};

sh_audit *sh_audit_log(sh_daemon *d)
{
	return d->auditd ? d->auditd->log : NULL;
}

/* ------------------------------------------------------------ helpers */

sh_err sh_audit_record(sh_daemon *d, Seinhuis__AuditEntry *e)
{
	if (!d->auditd)
		return SH_OK;
	if (d->txn_error)
		return d->txn_error; /* the turn fails anyway */
	sh_err err = sh_daemon_txn(d);
	if (err == SH_OK)
		err = sh_audit_append(d->auditd->log, e);
	if (err != SH_OK) {
		sh_daemon_txn_fail(d, err);
		sh_daemon_error(
		    d,
		    "audit: cannot record a %s event: %s; nothing of "
		    "this turn is committed",
		    sh_audit_event_name(e->event), sh_err_rule(err));
	}
	return err;
}

void sh_audit_set_caller(Seinhuis__AuditEntry *e, const sh_ctl_conn *c,
                         char *name, size_t n)
{
	sh_user_name(c->uid, name, n);
	e->user = name;
	e->uid = (uint32_t)c->uid;
	e->role = (char *)sh_roles_name(c->roles);
}

/* Printable ASCII only, at most n-1 characters: for text that came from a
 * partner or a caller. */
static char *clean(char *out, size_t n, const char *in)
{
	size_t o = 0;
	for (; in && *in && o + 1 < n; in++)
		out[o++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
	out[o] = '\0';
	return out;
}

void sh_sealed_wipe_free(Seinhuis__SealedContent *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n_persons; i++) {
		Seinhuis__Person *p = sc->persons[i];
		const ProtobufCMessageDescriptor *desc = p->base.descriptor;
		for (unsigned j = 0; j < desc->n_fields; j++) {
			char *s =
			    *(char **)((char *)p + desc->fields[j].offset);
			if (s && s != protobuf_c_empty_string)
				sh_wipe(s, strlen(s));
		}
	}
	if (sc->description && sc->description != protobuf_c_empty_string)
		sh_wipe(sc->description, strlen(sc->description));
	if (sc->reporter_contact &&
	    sc->reporter_contact != protobuf_c_empty_string)
		sh_wipe(sc->reporter_contact, strlen(sc->reporter_contact));
	seinhuis__sealed_content__free_unpacked(sc, NULL);
}

int sh_audit_case_key_canon(sh_daemon *d, const char *canonical,
                            uint8_t out[32])
{
	sh_hmac_sha256(out, d->auditd->case_secret, SH_KEY_LEN, canonical,
	               strlen(canonical));
	return 1;
}

int sh_audit_case_key(sh_daemon *d, const Seinhuis__Person *p, uint8_t out[32])
{
	char canon[300];
	int ok = sh_canonical_identity(p, canon, sizeof(canon)) == SH_OK;
	if (ok)
		sh_audit_case_key_canon(d, canon, out);
	sh_wipe(canon, sizeof(canon));
	return ok;
}

static Seinhuis__Signal *signal_of(const uint8_t *env, size_t len)
{
	if (!len)
		return NULL;
	Seinhuis__Envelope *e = seinhuis__envelope__unpack(NULL, len, env);
	if (!e)
		return NULL;
	Seinhuis__Signal *s =
	    seinhuis__signal__unpack(NULL, e->signal.len, e->signal.data);
	seinhuis__envelope__free_unpacked(e, NULL);
	return s;
}

/* Type, pseudonym and legal basis of a signal; with keys, also the case
 * key from its sealed first person (opened here, wiped at once). */
struct signal_bits {
	uint8_t case_key[32];
	char legal_basis[48];
	uint8_t others[SH_OTHER_PERSONS_MAX][32];
	ProtobufCBinaryData other[SH_OTHER_PERSONS_MAX];
};

/* e's other_persons: the n keys of k (b's storage for the entry) */
static void set_others(Seinhuis__AuditEntry *e, ProtobufCBinaryData *b,
                       uint8_t (*k)[32], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		b[i].data = k[i];
		b[i].len = 32;
	}
	e->n_other_persons = n;
	e->other_persons = n ? b : NULL;
}

static void fill_from_signal(sh_daemon *d, Seinhuis__AuditEntry *e,
                             const Seinhuis__Signal *s,
                             const sh_pair_keys *keys, struct signal_bits *b)
{
	if (!s)
		return;
	e->type = s->type;
	if (s->subject.len == SH_PSEUDO_LEN)
		e->subject = s->subject;
	/* A partner's word is recorded only if the catalogue knows it for
	 * this type: a refused signal's may be anything. */
	const sh_type_rule *t = sh_catalogue_type(&d->cat, s->type);
	if (t && !strpbrk(s->legal_basis, " ,") &&
	    sh_role_in(t->bases, s->legal_basis))
		e->legal_basis = clean(b->legal_basis, sizeof(b->legal_basis),
		                       s->legal_basis);
	else if (s->legal_basis[0])
		e->legal_basis = "(not one of the catalogue's)";
	if (keys) {
		Seinhuis__SealedContent *sc = NULL;
		if (sh_wire_open(s, keys, &sc) == SH_OK && sc->n_persons > 0 &&
		    sh_audit_case_key(d, sc->persons[0], b->case_key)) {
			e->case_key.data = b->case_key;
			e->case_key.len = 32;
			set_others(e, b->other, b->others,
			           sh_other_persons_keys(
			               d->auditd->case_secret, sc->persons,
			               sc->n_persons, b->others));
		}
		sh_sealed_wipe_free(sc);
	}
}

static void set_id(Seinhuis__AuditEntry *e, const uint8_t *id)
{
	static const uint8_t zero[SH_ID_LEN];
	if (id && memcmp(id, zero, SH_ID_LEN) != 0) {
		e->message_id.data = (uint8_t *)id;
		e->message_id.len = SH_ID_LEN;
	}
}

/* The consent a signal accepted here went out under, for its accepted
 * entry: the disclosure's legal ground, provable from the log. Only a
 * reference of the register's form (32 hex digits; consent_valid
 * checked it). */
static void consent_detail(Seinhuis__AuditEntry *e, char *buf, size_t n,
                           const char *basis, const char *ref)
{
	if (!basis || strcmp(basis, "consent") != 0 || !ref ||
	    strlen(ref) != 32 || strspn(ref, "0123456789abcdefABCDEF") != 32)
		return;
	snprintf(buf, n, "consent_ref %s", ref);
	e->detail = buf;
}

static void consent_revoked(sh_daemon *d, const Seinhuis__AuditEntry *base,
                            Seinhuis__SignalType type, const char *consent_ref)
{
	if (type != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION)
		return;
	char ref[80], detail[120];
	Seinhuis__AuditEntry e = *base;
	e.index = 0;
	e.event = SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_REVOKED;
	e.outcome = "revoked";
	/* a partner's word: only a reference of the register's form */
	int form = consent_ref && strlen(consent_ref) == 32 &&
	           strspn(consent_ref, "0123456789abcdefABCDEF") == 32;
	snprintf(detail, sizeof(detail), "consent_ref %s",
	         form ? clean(ref, sizeof(ref), consent_ref)
	              : "(not of the register's form)");
	e.detail = detail;
	sh_audit_record(d, &e);
}

/* One entry per key a minute, LIMIT_PER_WINDOW a minute in all. Returns 1
 * if this one is to be recorded, with how many were left out before it. */
static int limit_allow(sh_auditd *ad, const char *key, uint32_t *left_out)
{
	int64_t now = sh_mono_ms();
	struct limit_slot *slot = NULL, *oldest = &ad->limits[0];
	if (now - ad->window_start >= LIMIT_WINDOW_MS) {
		ad->window_start = now;
		ad->window_count = 0;
	}
	for (size_t i = 0; i < LIMIT_SLOTS; i++) {
		if (strcmp(ad->limits[i].key, key) == 0) {
			slot = &ad->limits[i];
			break;
		}
		if (ad->limits[i].last_ms < oldest->last_ms)
			oldest = &ad->limits[i];
	}
	if (slot && now - slot->last_ms < LIMIT_WINDOW_MS) {
		slot->suppressed++;
		return 0;
	}
	if (ad->window_count >= LIMIT_PER_WINDOW) {
		ad->window_suppressed++;
		return 0;
	}
	if (!slot) {
		slot = oldest;
		ad->window_suppressed += slot->suppressed;
		snprintf(slot->key, sizeof(slot->key), "%s", key);
		slot->suppressed = 0;
	}
	*left_out = slot->suppressed + ad->window_suppressed;
	slot->suppressed = 0;
	ad->window_suppressed = 0;
	slot->last_ms = now;
	ad->window_count++;
	return 1;
}

/* ---------------------------------------------------- start and stop */

static void card_digest(const sh_card *c, uint8_t out[32])
{
	sh_buf b = {0};
	sh_card_format(c, &b);
	sh_sha256(out, b.data, b.len);
	sh_buf_free(&b);
}

static void card_detail(char *out, size_t n, const sh_card *c)
{
	char cfp[17], sfp[17];
	sh_key_fingerprint(cfp, c->curve_pub);
	sh_key_fingerprint(sfp, c->sign_pub);
	snprintf(out, n, "role %s, endpoint %.100s, curve key %s, sign key %s",
	         c->role, c->endpoint, cfp, sfp);
}

struct key_list {
	char **keys;
	size_t n;
};

static void collect_key(void *ctx, const char *key)
{
	struct key_list *l = ctx;
	l->keys = realloc(l->keys, (l->n + 1) * sizeof(*l->keys));
	if (!l->keys)
		abort();
	l->keys[l->n++] = sh_strdup(key);
}

/* Record the own card and each trusted card that is new or changed since
 * the last start, and those gone. */
static sh_err record_keys(sh_daemon *d)
{
	sh_audit *log = d->auditd->log;
	MDB_txn *txn = sh_store_txn(d->store);
	uint8_t dg[32];
	char detail[300], name[80];
	sh_err e = SH_OK;

	for (size_t i = 0; i <= d->trust.n && e == SH_OK; i++) {
		const sh_card *c =
		    i < d->trust.n ? &d->trust.cards[i] : &d->self.card;
		int self = i == d->trust.n;
		if (self)
			snprintf(name, sizeof(name), "self");
		else
			snprintf(name, sizeof(name), "card:%s", c->partner);
		card_digest(c, dg);
		sh_buf old = {0};
		sh_err ge = sh_audit_state_get(log, txn, name, &old);
		int same = ge == SH_OK && old.len == 32 &&
		           memcmp(old.data, dg, 32) == 0;
		sh_buf_free(&old);
		if (same)
			continue;
		Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
		card_detail(detail, sizeof(detail), c);
		if (self) {
			en.event = SEINHUIS__AUDIT_EVENT__AUDIT_KEY_CHANGED;
			en.outcome = ge == SH_OK ? "changed" : "first seen";
		} else {
			en.event =
			    ge == SH_OK
			        ? SEINHUIS__AUDIT_EVENT__AUDIT_TRUST_CHANGED
			        : SEINHUIS__AUDIT_EVENT__AUDIT_TRUST_ADDED;
			en.outcome = ge == SH_OK ? "changed" : "added";
			en.partner = (char *)c->partner;
		}
		en.detail = detail;
		if ((e = sh_audit_record(d, &en)) == SH_OK)
			e = sh_audit_state_put(log, name, dg, 32);
	}
	struct key_list kl = {NULL, 0};
	if (e == SH_OK)
		e = sh_audit_state_keys(log, txn, "card:", collect_key, &kl);
	for (size_t i = 0; i < kl.n; i++) {
		const char *partner = kl.keys[i] + 5;
		if (e == SH_OK && !sh_trust_find(&d->trust, partner)) {
			Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
			en.event = SEINHUIS__AUDIT_EVENT__AUDIT_TRUST_REMOVED;
			en.outcome = "removed";
			en.partner = (char *)partner;
			if ((e = sh_audit_record(d, &en)) == SH_OK)
				e = sh_audit_state_del(log, kl.keys[i]);
		}
		free(kl.keys[i]);
	}
	free(kl.keys);
	return e;
}

/* The log against the last tree head kept beside the store (audit.c, "the
 * head file"): 1 and *detail if it was taken back (a backup restored, the
 * store replaced). */
static void log_problem(void *ctx, const char *line)
{
	sh_daemon_error(ctx, "%s", line);
}

static void set_head_file(sh_daemon *d, sh_audit *log)
{
	char hf[4200];
	snprintf(hf, sizeof(hf), "%s/audit-head", d->cfg.datadir);
	sh_audit_set_head_file(log, hf);
	sh_audit_set_problem_hook(log, log_problem, d);
}

/* A head file signed later than this ahead of the clock is damage (an
 * altered file, or a clock set back): a minute, for the clock's steps. */
#define HEAD_FILE_AHEAD_MS 60000

static int head_file_check(sh_daemon *d, sh_audit *log, char *detail, size_t n)
{
	sh_audit_head_rec rec;
	MDB_txn *txn = sh_store_read_begin(d->store);
	sh_err e =
	    txn ? sh_audit_head_file_check(log, txn, &rec) : SH_ERR_STORE;
	sh_store_read_end(d->store, txn);
	if (e == SH_ERR_NOTFOUND)
		return 0; /* none yet: a new store, or an older version's */
	if (e == SH_ERR_WIRE_DECODE) {
		sh_warn("audit: %s/audit-head is not a tree head (size, root, "
		        "time); not compared, and written again with the next "
		        "tree head",
		        d->cfg.datadir);
		return 0;
	}
	if (e != SH_OK) {
		sh_daemon_error(d,
		                "audit: the log cannot be compared with the "
		                "last tree head signed here (%s); run 'seinctl "
		                "audit verify'",
		                sh_err_rule(e));
		return 0;
	}
	char at[40], now_at[40];
	int64_t now_ms = sh_now_ms();
	sh_fmt_utc(at, sizeof(at), rec.time_ms);
	if (rec.time_ms > now_ms + HEAD_FILE_AHEAD_MS) {
		/* never taken as a time: heads partners hand back are
		 * checked from now on whatever the file says */
		sh_fmt_utc(now_at, sizeof(now_at), now_ms);
		sh_daemon_error(d,
		                "audit: %s/audit-head says its tree head was "
		                "signed %s, after now (%s): the file was "
		                "altered or the clock set back; that time is "
		                "not used. Check the clock and run 'seinctl "
		                "audit verify'",
		                d->cfg.datadir, at, now_at);
	}
	if (!rec.rolled_back)
		return 0;
	unsigned long long now = sh_audit_size(log),
	                   was = (unsigned long long)rec.size;
	if (rec.size > now)
		snprintf(
		    detail, n,
		    "the log held %llu entries at the last tree head "
		    "signed here (%s) and holds %llu now: the data store "
		    "was restored from a backup (or replaced); entries %llu "
		    "to %llu are not in it, and heads signed after the "
		    "backup no longer hold",
		    was, at, now, now, was - 1);
	else
		snprintf(
		    detail, n,
		    "the log's first %llu entries are not those of the last "
		    "tree head signed here (%s): the data store was replaced "
		    "or restored; heads signed before no longer hold",
		    was, at);
	return 1;
}

/* The audit log's state key holding the index of its newest
 * log_rolled_back entry (8 bytes, big-endian). */
#define ROLLED_BACK_KEY "rolled-back"

static sh_err put_rolled_back(sh_audit *log, uint64_t index)
{
	uint8_t b[8];
	for (int i = 7; i >= 0; i--, index >>= 8)
		b[i] = (uint8_t)index;
	return sh_audit_state_put(log, ROLLED_BACK_KEY, b, 8);
}

sh_err sh_audit_rolled_back(sh_daemon *d, const char *partner,
                            const char *detail, int64_t *at)
{
	/* Heads signed up to the entry's time are explained by it (at the
	 * next start, by that time as the log holds it: newest_rollback),
	 * never later ones: a time from the head file or a head handed back
	 * (which someone who can write the data directory may set) would
	 * otherwise switch off the witnesses' check until then. A head
	 * signed ahead of the clock (a restore that set the clock back) is
	 * found again. */
	Seinhuis__AuditEntry rb = SEINHUIS__AUDIT_ENTRY__INIT;
	rb.event = SEINHUIS__AUDIT_EVENT__AUDIT_LOG_ROLLED_BACK;
	rb.outcome = "rolled_back";
	if (partner)
		rb.partner = (char *)partner;
	rb.detail = (char *)detail;
	sh_err e = sh_audit_record(d, &rb);
	/* the entry's own time, which a restart reads back
	 * (explained_from_log): status shows the same time before and after */
	int64_t now = rb.time_us ? rb.time_us / 1000 : sh_now_ms();
	*at = now;
	if (e == SH_OK && d->auditd)
		e = put_rolled_back(d->auditd->log, rb.index);
	/* as versions before the entry was read back kept them; now only
	 * compared with the entry at start-up */
	if (e == SH_OK)
		e = sh_store_meta_time_set(d->store, "audit_rolled_back", now);
	if (e == SH_OK)
		e = sh_store_meta_time_set(d->store, "audit_explained", now);
	return e;
}

struct newest_rb {
	uint64_t size, index;
	int64_t time_us;
	int found;
};

static int newest_rb_fn(void *ctx, uint64_t index, const uint8_t *bytes,
                        size_t len, const Seinhuis__AuditEntry *e)
{
	struct newest_rb *n = ctx;
	(void)bytes, (void)len;
	if (index >= n->size)
		return 1;
	if (e && e->event == SEINHUIS__AUDIT_EVENT__AUDIT_LOG_ROLLED_BACK) {
		n->found = 1;
		n->index = index;
		n->time_us = e->time_us;
	}
	return 0;
}

/* The newest log_rolled_back entry of the committed log, into *n: the
 * entry ROLLED_BACK_KEY names if it is one (*key 1), else the newest the
 * whole log holds, read when the key names no such entry (*key -1: it was
 * altered) or, without the key (*key 0), when scan is set (a log of a
 * version that kept no such key); *key 2 if it names an entry audit_keep
 * removed (nothing found). The log is the only source of the time
 * up to which heads handed back are explained: the tree covers it and an
 * auditor sees it, where a time in the store's meta table could be set to
 * anything by whoever can write the data directory. */
static sh_err newest_rollback(sh_audit *log, MDB_txn *txn, int scan,
                              struct newest_rb *n, int *key)
{
	sh_buf raw = {0};
	memset(n, 0, sizeof(*n));
	n->size = sh_audit_committed_size(log);
	sh_err e = sh_audit_state_get(log, txn, ROLLED_BACK_KEY, &raw);
	*key = e == SH_OK ? -1 : 0;
	if (e == SH_OK && raw.len == 8) {
		uint64_t i = 0;
		for (int k = 0; k < 8; k++)
			i = i << 8 | raw.data[k];
		raw.len = 0;
		if (i < sh_audit_removed(log, txn)) {
			/* removed by audit_keep: older than the log keeps */
			sh_buf_free(&raw);
			*key = 2;
			return SH_OK;
		}
		if (i < n->size && sh_audit_entry(log, txn, i, &raw) == SH_OK) {
			Seinhuis__AuditEntry *en =
			    seinhuis__audit_entry__unpack(NULL, raw.len,
			                                  raw.data);
			if (en &&
			    en->event ==
			        SEINHUIS__AUDIT_EVENT__AUDIT_LOG_ROLLED_BACK &&
			    en->index == i) {
				n->found = *key = 1;
				n->index = i;
				n->time_us = en->time_us;
			}
			if (en)
				seinhuis__audit_entry__free_unpacked(en, NULL);
		}
	}
	sh_buf_free(&raw);
	if (e != SH_OK && e != SH_ERR_NOTFOUND)
		return e;
	if (*key == 1 || (*key == 0 && !scan))
		return SH_OK;
	return sh_audit_scan(log, txn, 0, newest_rb_fn, n);
}

/* At start-up: up to when heads of our log that partners hand back are
 * explained by a rollback recorded, from the log's newest log_rolled_back
 * entry (newest_rollback), into d. A time the meta table keeps that is
 * later is reported and replaced by the log's, the index of that entry
 * kept when it was looked for; all in the open turn. */
static sh_err explained_from_log(sh_daemon *d, sh_audit *log)
{
	MDB_txn *rt = sh_store_read_begin(d->store);
	if (!rt)
		return SH_ERR_STORE;
	int64_t kept_rb =
	            sh_store_meta_time_get(d->store, rt, "audit_rolled_back"),
	        kept_ex =
	            sh_store_meta_time_get(d->store, rt, "audit_explained");
	int64_t kept = kept_rb > kept_ex ? kept_rb : kept_ex;
	struct newest_rb n;
	int key;
	/* a store without the key records no rollback, unless the meta
	 * table says it does (an earlier version's, or altered): then the
	 * log is read once */
	sh_err e = newest_rollback(log, rt, kept > 0, &n, &key);
	sh_store_read_end(d->store, rt);
	if (e != SH_OK)
		return e;
	if (key == 2) {
		/* the newest rollback's entry is older than audit_keep and
		 * was removed with the others: what it explained is too */
		d->audit_rolled_back_ms = d->audit_explained_ms = 0;
		return SH_OK;
	}
	int64_t now = sh_now_ms(), at = n.found ? n.time_us / 1000 : 0;
	char when[40], now_at[40];
	if (at > now) {
		sh_fmt_utc(when, sizeof(when), at);
		sh_fmt_utc(now_at, sizeof(now_at), now);
		sh_daemon_error(
		    d,
		    "audit: the log's newest log_rolled_back entry "
		    "(%llu) was recorded %s, after now (%s): the clock "
		    "was set back or the log altered; taken as now, so "
		    "that heads partners hand back are checked again",
		    (unsigned long long)n.index, when, now_at);
		at = now;
	}
	d->audit_rolled_back_ms = d->audit_explained_ms = at;
	if (kept <= at && key == (n.found ? 1 : 0))
		return SH_OK;
	if ((e = sh_daemon_txn(d)) != SH_OK)
		return e;
	if (kept > at) {
		char log_at[120];
		sh_fmt_utc(when, sizeof(when), kept);
		if (n.found) {
			sh_fmt_utc(now_at, sizeof(now_at), at);
			snprintf(log_at, sizeof(log_at),
			         "the newest log_rolled_back entry in the log "
			         "was recorded %s",
			         now_at);
		} else {
			snprintf(log_at, sizeof(log_at),
			         "the log records no rollback");
		}
		sh_daemon_error(
		    d,
		    "audit: the store says a rollback of the log was found "
		    "or explained up to %s, and %s: that time is not used "
		    "(the store was altered, or an earlier version kept "
		    "it); heads partners hand back are checked against the "
		    "log",
		    when, log_at);
		e = sh_store_meta_time_set(d->store, "audit_explained", at);
		if (e == SH_OK)
			e = sh_store_meta_time_set(d->store,
			                           "audit_rolled_back", at);
	}
	if (e == SH_OK && n.found && key != 1)
		e = put_rolled_back(log, n.index);
	else if (e == SH_OK && !n.found && key == -1)
		e = sh_audit_state_del(log, ROLLED_BACK_KEY);
	return e;
}

/* Blocks of 16 entries removed in one sweep at most (4096 entries, some
 * 1.5 MB of deletions in one turn); more are left to the next sweep, a
 * second later.
 *
 * For tests only: SEINHUIS_TEST_AUDIT_KEEP_STEP in the daemon's
 * environment at start makes it smaller (1 to AUDIT_KEEP_STEP), so that a
 * test of a few hundred entries sees a removal take several sweeps. It is
 * no configuration setting: a value outside that range is ignored with a
 * warning, and a daemon that uses one says so in its log. */
#define AUDIT_KEEP_STEP 256

static void keep_step_start(sh_auditd *ad)
{
	uint32_t n;
	ad->keep_step = AUDIT_KEEP_STEP;
	if (!sh_test_u32("SEINHUIS_TEST_AUDIT_KEEP_STEP", 1, AUDIT_KEEP_STEP,
	                 &n))
		return;
	ad->keep_step = n;
	sh_warn("SEINHUIS_TEST_AUDIT_KEEP_STEP=%u: a retention sweep removes "
	        "at most %u blocks of the audit log instead of %u (a setting "
	        "for tests)",
	        n, n, AUDIT_KEEP_STEP);
}

sh_err sh_audit_start(sh_daemon *d, char *why, size_t wl)
{
	char warning[300], detail[700];
	sh_err e;
	sh_auditd *ad = sh_xcalloc(1, sizeof(*ad));
	e = sh_hkdf(ad->case_secret, SH_KEY_LEN, d->self.seal_sec, SH_KEY_LEN,
	            "seinhuis/case/v1", d->self.card.partner);
	if (e == SH_OK)
		e = sh_audit_open(&ad->log, d->store, d->self.card.partner, why,
		                  wl, warning, sizeof(warning));
	else
		snprintf(why, wl, "cannot derive the case key");
	if (e != SH_OK) {
		sh_wipe(ad, sizeof(*ad));
		free(ad);
		return e;
	}
	d->auditd = ad;
	keep_step_start(ad);
	if (warning[0])
		sh_daemon_error(d, "audit: %s", warning);
	e = explained_from_log(d, ad->log);
	set_head_file(d, ad->log);
	int rolled =
	    e == SH_OK && head_file_check(d, ad->log, detail, sizeof(detail));
	if (rolled) {
		sh_daemon_error(d, "audit: %s", detail);
		int64_t at = 0;
		e = sh_audit_rolled_back(d, NULL, detail, &at);
		d->audit_rolled_back_ms = at;
		d->audit_explained_ms = at;
	}
	if (e != SH_OK) {
		sh_store_abort(d->store);
		d->txn_error = SH_OK;
		snprintf(why, wl,
		         "cannot record the start in the audit log: %s",
		         sh_err_str(e));
		return e;
	}

	/* The configuration as read, by digest (it holds no secrets, but a
	 * digest is what shows a change). */
	char *text = NULL, hex[65] = "unreadable";
	size_t len = 0;
	if (sh_read_setting(d->cfg.path, 1 << 20, "1 MiB", &text, &len, NULL) ==
	    SH_OK) {
		uint8_t dg[32];
		sh_sha256(dg, text, len);
		sh_hex(hex, dg, 32);
		free(text);
	}
	snprintf(detail, sizeof(detail),
	         "%.400s, sha256 %.16s, admin_group %s, caseworker_group %s",
	         d->cfg.path, hex,
	         d->cfg.admin_group[0] ? d->cfg.admin_group : "-",
	         d->cfg.caseworker_group[0] ? d->cfg.caseworker_group : "-");
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_CONFIG_LOADED;
	en.outcome = "loaded";
	en.detail = detail;
	e = sh_audit_record(d, &en);
	if (e == SH_OK)
		e = record_keys(d);
	if (e == SH_OK) {
		Seinhuis__AuditEntry tl = SEINHUIS__AUDIT_ENTRY__INIT;
		snprintf(detail, sizeof(detail), "%.400s: %zu partners",
		         d->cfg.trustdir, d->trust.n);
		tl.event = SEINHUIS__AUDIT_EVENT__AUDIT_TRUST_LOADED;
		tl.outcome = "loaded";
		tl.detail = detail;
		e = sh_audit_record(d, &tl);
	}
	/* after a rollback, a head over the log as it now is, kept in the
	 * head file with this turn: a crash before the first periodic head
	 * does not record the rollback a second time */
	if (e == SH_OK && rolled)
		e = sh_audit_sign_head(ad->log, &d->self, sh_now_ms());
	if (e == SH_OK)
		e = sh_store_commit(d->store);
	else
		sh_store_abort(d->store);
	d->txn_error = SH_OK;
	if (e != SH_OK)
		snprintf(why, wl,
		         "cannot record the start in the audit log: %s",
		         sh_err_str(e));
	return e;
}

static void flush_sent(sh_daemon *d);

static void sign_head(sh_daemon *d)
{
	if (sh_daemon_txn(d) != SH_OK)
		return;
	sh_err e = sh_audit_sign_head(d->auditd->log, &d->self, sh_now_ms());
	if (e != SH_OK) {
		sh_daemon_txn_fail(d, e);
		sh_daemon_error(d, "audit: cannot sign a tree head: %s",
		                sh_err_rule(e));
	} else {
		sh_witness_due(d, NULL); /* after the turn commits */
	}
}

void sh_audit_stop(sh_daemon *d)
{
	sh_auditd *ad = d->auditd;
	if (!ad)
		return;
	flush_sent(d);
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_STOPPED;
	en.outcome = "stopped";
	sh_audit_record(d, &en);
	if (sh_audit_size(ad->log) > sh_audit_head_size(ad->log))
		sign_head(d);
	sh_err e = d->txn_error;
	if (sh_store_in_txn(d->store)) {
		if (e == SH_OK)
			e = sh_store_commit(d->store);
		else
			sh_store_abort(d->store);
	}
	if (e != SH_OK)
		sh_error("audit: the last entries and tree head were not "
		         "committed: %s",
		         sh_err_str(e));
	d->txn_error = SH_OK;
	sh_audit_close(&ad->log);
	free(ad->sent);
	sh_wipe(ad, sizeof(*ad));
	free(ad);
	d->auditd = NULL;
}

/* ------------------------------------------------------------- sending */

static struct sent_item *sent_add(sh_auditd *ad, sh_peer *p,
                                  const uint8_t id[SH_ID_LEN])
{
	if (ad->nsent == ad->capsent) {
		ad->capsent = ad->capsent ? ad->capsent * 2 : 64;
		ad->sent = realloc(ad->sent, ad->capsent * sizeof(*ad->sent));
		if (!ad->sent)
			abort();
	}
	if (ad->nsent == 0)
		ad->sent_first_mono = sh_mono_ms();
	struct sent_item *it = &ad->sent[ad->nsent++];
	it->peer = p;
	memcpy(it->id, id, SH_ID_LEN);
	it->have_bits = 0;
	return it;
}

void sh_audit_sent_known(sh_daemon *d, sh_peer *p, const uint8_t id[SH_ID_LEN],
                         Seinhuis__SignalType type, const uint8_t *subject,
                         const char *legal_basis)
{
	sh_auditd *ad = d->auditd;
	if (!ad)
		return;
	struct sent_item *it = sent_add(ad, p, id);
	it->have_bits = 1;
	it->type = type;
	it->has_subject = subject != NULL;
	if (subject)
		memcpy(it->subject, subject, SH_PSEUDO_LEN);
	clean(it->legal_basis, sizeof(it->legal_basis), legal_basis);
}

void sh_audit_sent(sh_daemon *d, sh_peer *p, const uint8_t id[SH_ID_LEN],
                   const Seinhuis__OutboxRecord *rec)
{
	sh_auditd *ad = d->auditd;
	if (!ad)
		return;
	struct sent_item *it = sent_add(ad, p, id);
	Seinhuis__Signal *s =
	    rec ? signal_of(rec->envelope.data, rec->envelope.len) : NULL;
	if (!s)
		return;
	it->have_bits = 1;
	it->type = s->type;
	it->has_subject = s->subject.len == SH_PSEUDO_LEN;
	if (it->has_subject)
		memcpy(it->subject, s->subject.data, SH_PSEUDO_LEN);
	clean(it->legal_basis, sizeof(it->legal_basis), s->legal_basis);
	seinhuis__signal__free_unpacked(s, NULL);
}

static void flush_sent(sh_daemon *d)
{
	sh_auditd *ad = d->auditd;
	size_t n = ad->nsent;
	ad->nsent = 0;
	if (n == 0 || sh_daemon_txn(d) != SH_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		struct sent_item *it = &ad->sent[i];
		if (it->have_bits) {
			Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
			en.event = SEINHUIS__AUDIT_EVENT__AUDIT_SENT;
			en.outcome = "sent";
			en.partner = it->peer->card.partner;
			en.type = it->type;
			set_id(&en, it->id);
			if (it->has_subject) {
				en.subject.data = it->subject;
				en.subject.len = SH_PSEUDO_LEN;
			}
			en.legal_basis = it->legal_basis;
			sh_audit_record(d, &en);
			continue;
		}
		uint64_t seq;
		Seinhuis__OutboxRecord *rec = NULL;
		if (sh_store_outbox_find(d->store, sh_store_txn(d->store),
		                         it->id, &seq, &rec) != SH_OK)
			continue;
		Seinhuis__Signal *s =
		    signal_of(rec->envelope.data, rec->envelope.len);
		Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
		struct signal_bits b;
		en.event = SEINHUIS__AUDIT_EVENT__AUDIT_SENT;
		en.outcome = "sent";
		en.partner = it->peer->card.partner;
		en.type = rec->type;
		set_id(&en, it->id);
		fill_from_signal(d, &en, s, NULL, &b);
		sh_audit_record(d, &en);
		if (s)
			seinhuis__signal__free_unpacked(s, NULL);
		seinhuis__outbox_record__free_unpacked(rec, NULL);
	}
}

int64_t sh_audit_due(const sh_daemon *d, int64_t lazy_ms)
{
	const sh_auditd *ad = d->auditd;
	if (!ad)
		return INT64_MAX;
	int64_t due =
	    ad->last_head_mono + (int64_t)d->cfg.audit_head_interval * 1000;
	if (ad->nsent && ad->sent_first_mono + lazy_ms < due)
		due = ad->sent_first_mono + lazy_ms;
	if (ad->nsent >= 4096) /* enough for a commit of their own */
		due = 0;
	return due;
}

void sh_audit_head_soon(sh_daemon *d)
{
	if (d->auditd)
		d->auditd->last_head_mono =
		    sh_mono_ms() - (int64_t)d->cfg.audit_head_interval * 1000;
}

void sh_audit_tick(sh_daemon *d)
{
	sh_auditd *ad = d->auditd;
	if (!ad)
		return;
	flush_sent(d);
	int64_t now = sh_mono_ms();
	if (now - ad->last_head_mono >=
	    (int64_t)d->cfg.audit_head_interval * 1000) {
		ad->last_head_mono = now;
		if (sh_audit_size(ad->log) > sh_audit_head_size(ad->log))
			sign_head(d);
	}
}

/* ------------------------------------------------------------- inbound */

/* A refused signal whose signature (alone or of its batch) still
 * verifies (refused for its recipient, sender or type): its type and
 * pseudonym can be trusted. */
static Seinhuis__Signal *signed_signal(const sh_daemon *d, const sh_peer *p,
                                       const uint8_t *env, size_t len)
{
	Seinhuis__Signal *s = NULL;
	if (!len || !sh_wire_signed_by(&d->self, &p->card, env, len))
		return NULL;
	Seinhuis__Envelope *e = seinhuis__envelope__unpack(NULL, len, env);
	if (e)
		s = seinhuis__signal__unpack(NULL, e->signal.len,
		                             e->signal.data);
	if (e)
		seinhuis__envelope__free_unpacked(e, NULL);
	return s;
}

void sh_audit_inbound(sh_daemon *d, sh_peer *p, const Seinhuis__Signal *s,
                      const uint8_t *env, size_t envlen,
                      const uint8_t id[SH_ID_LEN], Seinhuis__ReceiptStatus rs,
                      sh_err why, const sh_inbound_keys *keys)
{
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	struct signal_bits b;
	int delivered = rs == SEINHUIS__RECEIPT_STATUS__RECEIPT_DELIVERED;
	char detail[160];
	Seinhuis__Signal *own = NULL;
	if (rs == SEINHUIS__RECEIPT_STATUS__RECEIPT_UNSPECIFIED)
		return; /* the store failed; the turn is rolled back */
	if (!s && rs == SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED)
		s = own = signed_signal(d, p, env, envlen);
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_RECEIVED;
	en.partner = p->card.partner;
	set_id(&en, id);
	/* no keys: the caller opened the sealed part once, for its checks,
	 * and made the case key then */
	fill_from_signal(d, &en, s, NULL, &b);
	if (s && delivered && keys && keys->have_resident) {
		en.case_key.data = (uint8_t *)keys->resident;
		en.case_key.len = 32;
		set_others(&en, b.other, (uint8_t(*)[32])keys->others,
		           keys->n_others);
	}
	if (s && delivered && keys && keys->have_household) {
		en.household.data = (uint8_t *)keys->household;
		en.household.len = 32;
	}
	char cdetail[64];
	if (delivered) {
		en.outcome = "delivered";
		/* the ground it came under, as the sender's accepted entry
		 * has it: this side's log shows it too */
		if (s && s->type != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION)
			consent_detail(&en, cdetail, sizeof(cdetail),
			               s->legal_basis, s->consent_ref);
	} else if (rs == SEINHUIS__RECEIPT_STATUS__RECEIPT_DUPLICATE) {
		en.outcome = "duplicate";
	} else {
		en.outcome = "rejected";
		en.rule = (char *)sh_err_rule(why);
	}
	if (sh_audit_record(d, &en) != SH_OK)
		goto out;
	if (delivered) {
		en.event = SEINHUIS__AUDIT_EVENT__AUDIT_DELIVERED;
		en.outcome = "inbox";
		en.detail = NULL;
		/* which of the sender's keys signed it: after the sender
		 * rotates, its stored signals are checked against that key */
		if (keys && keys->have_sign_key) {
			char fp[17];
			sh_key_fingerprint(fp, keys->sign_key);
			snprintf(detail, sizeof(detail), "signed with key %s",
			         fp);
			en.detail = detail;
		}
		if (s && s->type == SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK &&
		    s->feedback) {
			/* attached to our own outbox record, not in the inbox;
			 * the detail names that record (a message id) */
			en.outcome = "outbox";
			snprintf(detail, sizeof(detail),
			         keys && keys->not_noted
			             ? "older than the answer on outbox record "
			               "%.32s; not noted there"
			             : "attached to outbox record %.32s",
			         s->feedback->signal_id);
			en.detail = detail;
		}
		if (sh_audit_record(d, &en) == SH_OK && s)
			consent_revoked(d, &en, s->type, s->consent_ref);
	} else if (rs == SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED) {
		en.event = SEINHUIS__AUDIT_EVENT__AUDIT_REJECTED;
		snprintf(detail, sizeof(detail), "%s", sh_err_str(why));
		en.detail = detail;
		sh_audit_record(d, &en);
	}
out:
	if (own)
		seinhuis__signal__free_unpacked(own, NULL);
}

void sh_audit_frame_refused(sh_daemon *d, sh_peer *p, sh_err why)
{
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_REJECTED;
	en.outcome = "rejected";
	en.partner = p->card.partner;
	en.rule = (char *)sh_err_rule(why);
	en.detail = "a whole frame was refused; no signal in it was read";
	sh_audit_record(d, &en);
}

sh_err sh_audit_resend(sh_daemon *d, const sh_ctl_conn *c, const char *partner,
                       const char *outcome, const char *detail)
{
	char name[80];
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_RESEND_REQUESTED;
	en.partner = (char *)partner;
	en.outcome = (char *)outcome;
	en.detail = (char *)detail;
	if (c)
		sh_audit_set_caller(&en, c, name, sizeof(name));
	return sh_audit_record(d, &en);
}

sh_err sh_audit_receipt(sh_daemon *d, sh_peer *p, Seinhuis__SignalType type,
                        const uint8_t id[SH_ID_LEN], const Seinhuis__Receipt *r)
{
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	char rule[48], detail[200];
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_RECEIPT;
	en.partner = p->card.partner;
	en.type = type;
	set_id(&en, id);
	switch (r->status) {
	case SEINHUIS__RECEIPT_STATUS__RECEIPT_DELIVERED:
		en.outcome = "delivered";
		break;
	case SEINHUIS__RECEIPT_STATUS__RECEIPT_DUPLICATE:
		en.outcome = "duplicate";
		break;
	default:
		en.outcome = "rejected";
		en.rule = clean(rule, sizeof(rule), sh_err_known_rule(r->rule));
		en.detail = clean(detail, sizeof(detail), r->detail);
		break;
	}
	return sh_audit_record(d, &en);
}

void sh_audit_peer_refused(sh_daemon *d, const uint8_t *curve_key,
                           const char *addr, size_t addrlen)
{
	char fp[17] = "-", a[64], key[48], detail[200];
	uint32_t left_out = 0;
	if (!d->auditd)
		return;
	if (curve_key)
		sh_key_fingerprint(fp, curve_key);
	snprintf(key, sizeof(key), "peer:%s", fp);
	if (!limit_allow(d->auditd, key, &left_out))
		return;
	snprintf(a, sizeof(a), "%.*s", (int)(addrlen < 63 ? addrlen : 63),
	         addr);
	char ca[64];
	clean(ca, sizeof(ca), a);
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_PEER_REFUSED;
	en.outcome = "refused";
	en.rule = (char *)sh_err_rule(SH_ERR_UNTRUSTED);
	snprintf(detail, sizeof(detail),
	         curve_key ? "CURVE key %s from %s is not in the trust store%s"
	                   : "not a CURVE handshake (%s) from %s%s",
	         fp, ca, left_out ? "; earlier refusals not recorded: " : "");
	if (left_out)
		snprintf(detail + strlen(detail),
		         sizeof(detail) - strlen(detail), "%u", left_out);
	en.detail = detail;
	sh_audit_record(d, &en);
}

void sh_audit_key_expired(sh_daemon *d, const sh_card *c, const char *what)
{
	char fp[17], key[120], detail[200];
	uint32_t left_out = 0;
	if (!d->auditd || !c->has_prev)
		return;
	sh_key_fingerprint(fp, c->prev_curve);
	snprintf(key, sizeof(key), "expired:%s:%s", c->partner, what);
	if (!limit_allow(d->auditd, key, &left_out))
		return;
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_PEER_REFUSED;
	en.outcome = "refused";
	en.rule = (char *)sh_err_rule(SH_ERR_KEY_EXPIRED);
	en.partner = (char *)c->partner;
	snprintf(detail, sizeof(detail),
	         "%s: previous key %s of %s expired at %lld (Unix time)%s",
	         what, fp, c->partner, (long long)c->prev_until,
	         left_out ? "; earlier refusals not recorded: " : "");
	if (left_out)
		snprintf(detail + strlen(detail),
		         sizeof(detail) - strlen(detail), "%u", left_out);
	en.detail = detail;
	sh_audit_record(d, &en);
}

void sh_audit_caller_refused(sh_daemon *d, uid_t uid)
{
	char key[48], name[80], detail[200];
	uint32_t left_out = 0;
	if (!d->auditd)
		return;
	snprintf(key, sizeof(key), "uid:%u", (unsigned)uid);
	if (!limit_allow(d->auditd, key, &left_out))
		return;
	sh_user_name(uid, name, sizeof(name));
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_ACCESS_DENIED;
	en.outcome = "refused";
	en.rule = (char *)sh_err_rule(SH_ERR_DENIED);
	en.user = name;
	en.uid = (uint32_t)uid;
	en.role = "none";
	snprintf(detail, sizeof(detail),
	         "connect: not allowed on the control socket (not the daemon's "
	         "user, root or control_group)%s",
	         left_out ? "; earlier refusals not recorded: " : "");
	if (left_out)
		snprintf(detail + strlen(detail),
		         sizeof(detail) - strlen(detail), "%u", left_out);
	en.detail = detail;
	sh_audit_record(d, &en);
}

sh_err sh_audit_retention(sh_daemon *d, int64_t now_ms, int *more)
{
	sh_audit *log = sh_audit_log(d);
	if (!log || d->cfg.audit_keep_s <= 0)
		return SH_OK;
	uint64_t from, to;
	char why[sizeof(d->auditd->keep_why)], detail[160];
	int64_t before_us = (now_ms - d->cfg.audit_keep_s * 1000) * 1000;
	sh_err e = sh_audit_remove_old(log, before_us, d->auditd->keep_step,
	                               &from, &to, why, sizeof(why));
	if (e != SH_OK)
		return e;
	if (why[0] && strcmp(why, d->auditd->keep_why) != 0)
		sh_daemon_error(d, "audit: audit_keep: %s", why);
	snprintf(d->auditd->keep_why, sizeof(d->auditd->keep_why), "%s", why);
	if (to == from)
		return SH_OK;
	if (to - from >= (uint64_t)d->auditd->keep_step * 16)
		*more = 1;
	snprintf(detail, sizeof(detail),
	         "audit entries %llu..%llu older than audit_keep removed",
	         (unsigned long long)from, (unsigned long long)to - 1);
	e = sh_audit_signal_event(
	    d, SEINHUIS__AUDIT_EVENT__AUDIT_RETENTION_REMOVED, NULL, NULL,
	    SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED, "removed", NULL, detail);
	if (e == SH_OK)
		sh_info("retention: %s; the stored hashes of their blocks "
		        "keep the tree and its signed heads checkable",
		        detail);
	return e;
}

sh_err sh_audit_signal_event(sh_daemon *d, Seinhuis__AuditEvent ev,
                             const uint8_t id[SH_ID_LEN], const char *partner,
                             Seinhuis__SignalType type, const char *outcome,
                             const char *rule, const char *detail)
{
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = ev;
	set_id(&en, id);
	en.partner = (char *)(partner ? partner : "");
	en.type = type;
	en.outcome = (char *)(outcome ? outcome : "");
	en.rule = (char *)(rule ? rule : "");
	en.detail = (char *)(detail ? detail : "");
	return sh_audit_record(d, &en);
}

sh_err sh_audit_consent(sh_daemon *d, const sh_ctl_conn *c,
                        Seinhuis__AuditEvent ev, const uint8_t ref[16],
                        const char *partner, const uint8_t *subject,
                        const uint8_t *resident, const char *outcome,
                        const char *detail)
{
	char name[80];
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = ev;
	set_id(&en, ref);
	en.partner = (char *)partner;
	en.outcome = (char *)outcome;
	en.detail = (char *)detail;
	if (c) /* else the daemon itself: a partner's answer */
		sh_audit_set_caller(&en, c, name, sizeof(name));
	if (subject) {
		en.subject.data = (uint8_t *)subject;
		en.subject.len = SH_PSEUDO_LEN;
	}
	if (resident) {
		en.case_key.data = (uint8_t *)resident;
		en.case_key.len = 32;
	}
	return sh_audit_record(d, &en);
}

/* ------------------------------------------------------ control socket */

static void refuse_by_role(sh_daemon *d, sh_ctl_conn *c,
                           Seinhuis__CtlRequest *q, unsigned need)
{
	char name[80], detail[160], key[100];
	uint8_t id[SH_ID_LEN];
	uint32_t left_out = 0;
	const char *op = sh_ctl_op_name(q->op);
	int has_id =
	    q->message_id[0] && sh_unhex(id, SH_ID_LEN, q->message_id) == 0;
	/* Once a minute per user and request (per signal for a reveal), 60
	 * a minute in all, the rest counted: a caller without the role
	 * cannot fill the store with refusals. */
	snprintf(
	    key, sizeof(key), "deny:%u:%d%s%.32s", (unsigned)c->uid, (int)q->op,
	    q->op == SEINHUIS__CTL_REQUEST__OP__INBOX_REVEAL && has_id ? ":"
	                                                               : "",
	    q->op == SEINHUIS__CTL_REQUEST__OP__INBOX_REVEAL && has_id
	        ? q->message_id
	        : "");
	int recorded = limit_allow(d->auditd, key, &left_out);
	sh_user_name(c->uid, name, sizeof(name));
	if (recorded) {
		Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
		en.event = SEINHUIS__AUDIT_EVENT__AUDIT_ACCESS_DENIED;
		en.outcome = "refused";
		en.rule = (char *)sh_err_rule(SH_ERR_DENIED);
		sh_audit_set_caller(&en, c, name, sizeof(name));
		snprintf(detail, sizeof(detail), "op %s", op);
		if (left_out)
			snprintf(detail + strlen(detail),
			         sizeof(detail) - strlen(detail),
			         "; earlier refusals not recorded: %u",
			         left_out);
		en.detail = detail;
		if (has_id)
			set_id(&en, id);
		sh_audit_record(d, &en);
	}
	const char *logged =
	    recorded ? "the refusal is recorded in the audit log"
	             : "the refusal is counted in the audit log (the same "
	               "request refused to the same user is recorded once a "
	               "minute)";

	const char *what = q->op == SEINHUIS__CTL_REQUEST__OP__INBOX_REVEAL
	                       ? "revealing personal data"
	                       : op;
	if (c->roles & SH_ROLE_MONITOR && !(c->roles & SH_ROLES_ALL))
		sh_ctl_refuse(d, c, SH_ERR_DENIED,
		              "local user '%s' is a monitor (monitor_group "
		              "'%s'): it may ask the status only, not %s; %s",
		              name, d->cfg.monitor_group, what, logged);
	else if (!(c->roles & SH_ROLES_ALL))
		sh_ctl_refuse(
		    d, c, SH_ERR_DENIED,
		    "local user '%s' (uid %u) has no role on this "
		    "daemon: an administrator is a member of "
		    "admin_group '%s', a caseworker of caseworker_group "
		    "'%s'; %s",
		    name, (unsigned)c->uid,
		    d->cfg.admin_group[0] ? d->cfg.admin_group : "-",
		    d->cfg.caseworker_group[0] ? d->cfg.caseworker_group : "-",
		    logged);
	else if (need == SH_ROLE_CASEWORKER)
		sh_ctl_refuse(
		    d, c, SH_ERR_DENIED,
		    "%s is for caseworkers (caseworker_group '%s'); local "
		    "user '%s' is %s; %s",
		    what,
		    d->cfg.caseworker_group[0] ? d->cfg.caseworker_group : "-",
		    name, "an administrator", logged);
	else
		sh_ctl_refuse(
		    d, c, SH_ERR_DENIED,
		    "%s is for administrators (admin_group '%s'); local "
		    "user '%s' is a caseworker; %s",
		    what, d->cfg.admin_group[0] ? d->cfg.admin_group : "-",
		    name, logged);
}

static void stash_ack(sh_daemon *d, Seinhuis__CtlRequest *q)
{
	sh_auditd *ad = d->auditd;
	uint8_t id[SH_ID_LEN];
	ad->ack_found = 0;
	if (sh_unhex(id, SH_ID_LEN, q->message_id) < 0)
		return;
	MDB_txn *txn = sh_store_read_begin(d->store);
	Seinhuis__InboxRecord *rec = NULL;
	if (!txn)
		return;
	if (sh_store_inbox_get(d->store, txn, id, &rec) == SH_OK) {
		ad->ack_found = 1;
		snprintf(ad->ack_sender, sizeof(ad->ack_sender), "%s",
		         rec->sender);
		ad->ack_type = rec->type;
		Seinhuis__Signal *s =
		    signal_of(rec->envelope.data, rec->envelope.len);
		ad->ack_has_subject = s && s->subject.len == SH_PSEUDO_LEN;
		if (ad->ack_has_subject)
			memcpy(ad->ack_subject, s->subject.data, SH_PSEUDO_LEN);
		/* the legal basis and the resident key, as on the signal's
		 * other entries. The key was kept in the record at receipt;
		 * a record without it (of an older version, or one for which
		 * none could be made) has the sealed part opened for it here
		 * (wiped at once). */
		Seinhuis__AuditEntry tmp = SEINHUIS__AUDIT_ENTRY__INIT;
		struct signal_bits b;
		int kept = rec->resident_key.len == SH_KEY_LEN;
		sh_peer *p = kept ? NULL : sh_peer_find(d, rec->sender);
		fill_from_signal(
		    d, &tmp, s,
		    p && sh_peer_keys(d, p) == SH_OK ? &p->keys : NULL, &b);
		snprintf(ad->ack_basis, sizeof(ad->ack_basis), "%s",
		         tmp.legal_basis ? tmp.legal_basis : "");
		if (kept) {
			tmp.case_key.data = rec->resident_key.data;
			tmp.case_key.len = SH_KEY_LEN;
		}
		ad->ack_has_resident = tmp.case_key.len == 32;
		if (ad->ack_has_resident)
			memcpy(ad->ack_resident, tmp.case_key.data, 32);
		ad->ack_has_household = rec->case_key.len == 32;
		if (ad->ack_has_household)
			memcpy(ad->ack_household, rec->case_key.data, 32);
		if (s)
			seinhuis__signal__free_unpacked(s, NULL);
		seinhuis__inbox_record__free_unpacked(rec, NULL);
	}
	sh_store_read_end(d->store, txn);
}

static void forget_note(sh_auditd *ad)
{
	if (!ad->note_valid)
		return;
	ad->note_valid = 0;
	sh_wipe(&ad->note, sizeof(ad->note));
}

int sh_audit_ctl_before(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	if (!d->auditd)
		return 1;
	unsigned need = sh_roles_needed(q->op);
	if (!(c->roles & need)) {
		refuse_by_role(d, c, q, need);
		return 0;
	}
	switch (q->op) {
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_LIST:
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_VERIFY:
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_HEAD:
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_PROVE:
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_SUBJECT:
	case SEINHUIS__CTL_REQUEST__OP__INBOX_REVEAL:
		sh_auditctl_dispatch(d, c, q);
		return 0;
	case SEINHUIS__CTL_REQUEST__OP__INBOX_ACK: stash_ack(d, q); return 1;
	case SEINHUIS__CTL_REQUEST__OP__SEND: forget_note(d->auditd); return 1;
	default: return 1;
	}
}

/* The reply the operation just queued for c, decoded. */
static Seinhuis__CtlReply *last_reply(sh_daemon *d, sh_ctl_conn *c)
{
	sh_defer *df = d->defer_tail;
	const uint8_t *body;
	size_t blen, flen;
	if (!df || df->kind != DEFER_CTL_REPLY || df->conn != c ||
	    sh_frame_peek(df->data.data, df->data.len, &body, &blen, &flen) !=
	        1) {
		sh_daemon_error(d, "audit: the reply to a control request was "
		                   "not found; the request is not recorded");
		return NULL;
	}
	return seinhuis__ctl_reply__unpack(NULL, blen, body);
}

/* A send the daemon just accepted, from what the submit noted (the note
 * is left only by an accepted signal, whose reply is ok with its id): no
 * decoding of the reply, no second read of the outbox record, no second
 * opening of the seal. */
static void record_accepted(sh_daemon *d, sh_ctl_conn *c)
{
	sh_auditd *ad = d->auditd;
	char name[80], basis[48];
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	sh_audit_set_caller(&en, c, name, sizeof(name));
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_ACCEPTED;
	en.outcome = "accepted";
	en.partner = ad->note_partner;
	en.type = ad->note_type;
	set_id(&en, ad->note_id);
	if (ad->note.has_subject) {
		en.subject.data = ad->note.subject;
		en.subject.len = SH_PSEUDO_LEN;
	}
	en.legal_basis = clean(basis, sizeof(basis), ad->note.legal_basis);
	ProtobufCBinaryData other[SH_OTHER_PERSONS_MAX];
	if (ad->note.has_case_key) {
		en.case_key.data = ad->note.case_key;
		en.case_key.len = 32;
		set_others(&en, other, ad->note.others, ad->note.n_others);
	}
	char cdetail[64];
	if (ad->note_type != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION)
		consent_detail(&en, cdetail, sizeof(cdetail),
		               ad->note.legal_basis, ad->note.consent_ref);
	if (sh_audit_record(d, &en) == SH_OK)
		consent_revoked(d, &en, ad->note_type, ad->note.consent_ref);
}

static void record_send(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q,
                        const Seinhuis__CtlReply *r)
{
	char name[80], rule[48], detail[300];
	uint8_t id[SH_ID_LEN];
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	sh_audit_set_caller(&en, c, name, sizeof(name));
	if (!r->ok) {
		en.event = SEINHUIS__AUDIT_EVENT__AUDIT_REFUSED;
		en.outcome = "refused";
		en.rule = clean(rule, sizeof(rule), sh_err_known_rule(r->rule));
		en.detail = clean(detail, sizeof(detail), r->error);
		en.type = sh_signal_type_parse(q->type);
		if (sh_peer_find(d, q->recipient))
			en.partner = q->recipient;
		sh_audit_record(d, &en);
		return;
	}
	uint64_t seq;
	Seinhuis__OutboxRecord *rec = NULL;
	if (sh_unhex(id, SH_ID_LEN, r->message_id) < 0 ||
	    sh_store_outbox_find(d->store, sh_store_txn(d->store), id, &seq,
	                         &rec) != SH_OK) {
		sh_daemon_error(d,
		                "audit: accepted signal %.40s not found in the "
		                "outbox; its accepted entry is not recorded",
		                r->message_id);
		return;
	}
	sh_peer *p = sh_peer_find(d, rec->recipient);
	Seinhuis__Signal *s = signal_of(rec->envelope.data, rec->envelope.len);
	struct signal_bits b;
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_ACCEPTED;
	en.outcome = "accepted";
	en.partner = rec->recipient;
	en.type = rec->type;
	set_id(&en, id);
	fill_from_signal(d, &en, s, p && p->keys_ready ? &p->keys : NULL, &b);
	char cdetail[64];
	if (s && s->type != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION)
		consent_detail(&en, cdetail, sizeof(cdetail), s->legal_basis,
		               s->consent_ref);
	if (sh_audit_record(d, &en) == SH_OK && s)
		consent_revoked(d, &en, s->type, s->consent_ref);
	if (s)
		seinhuis__signal__free_unpacked(s, NULL);
	seinhuis__outbox_record__free_unpacked(rec, NULL);
}

static void record_ack(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	sh_auditd *ad = d->auditd;
	char name[80];
	uint8_t id[SH_ID_LEN];
	if (!ad->ack_found || sh_unhex(id, SH_ID_LEN, q->message_id) < 0)
		return;
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	sh_audit_set_caller(&en, c, name, sizeof(name));
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_TAKEN;
	en.outcome = "taken";
	en.partner = ad->ack_sender;
	en.type = ad->ack_type;
	set_id(&en, id);
	if (ad->ack_has_subject) {
		en.subject.data = ad->ack_subject;
		en.subject.len = SH_PSEUDO_LEN;
	}
	if (ad->ack_has_household) {
		en.household.data = ad->ack_household;
		en.household.len = 32;
	}
	if (ad->ack_has_resident) {
		en.case_key.data = ad->ack_resident;
		en.case_key.len = 32;
	}
	en.legal_basis = ad->ack_basis;
	sh_audit_record(d, &en);
	ad->ack_found = 0;
}

void sh_audit_ctl_after(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	if (!d->auditd || (q->op != SEINHUIS__CTL_REQUEST__OP__SEND &&
	                   q->op != SEINHUIS__CTL_REQUEST__OP__INBOX_ACK))
		return;
	if (q->op == SEINHUIS__CTL_REQUEST__OP__SEND && d->auditd->note_valid) {
		record_accepted(d, c);
		forget_note(d->auditd);
		return;
	}
	Seinhuis__CtlReply *r = last_reply(d, c);
	if (!r)
		return;
	if (q->op == SEINHUIS__CTL_REQUEST__OP__SEND)
		record_send(d, c, q, r);
	else if (r->ok)
		record_ack(d, c, q);
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	forget_note(d->auditd);
}

const uint8_t *sh_audit_case_secret(const sh_daemon *d)
{
	return d->auditd ? d->auditd->case_secret : NULL;
}

void sh_audit_note_accepted(sh_daemon *d, const uint8_t id[SH_ID_LEN],
                            const sh_peer *p, Seinhuis__SignalType type,
                            const sh_build_note *note)
{
	sh_auditd *ad = d->auditd;
	if (!ad)
		return;
	forget_note(ad);
	memcpy(ad->note_id, id, SH_ID_LEN);
	snprintf(ad->note_partner, sizeof(ad->note_partner), "%s",
	         p->card.partner);
	ad->note_type = type;
	ad->note = *note;
	ad->note.case_secret = NULL;
	ad->note.canon = NULL; /* the submitter's, wiped after */
	ad->note_valid = 1;
}

/* ------------------------------------------------------ seinhuisd -t */

sh_err sh_audit_check_offline(sh_daemon *d, int *failed)
{
	sh_audit *log;
	char why[600], warning[300];
	Seinhuis__AuditVerifyResult r;
	sh_err e = sh_audit_open(&log, d->store, d->self.card.partner, why,
	                         sizeof(why), warning, sizeof(warning));
	if (e != SH_OK) {
		sh_error("audit log: %s", why);
		return e;
	}
	sh_audit_keys keys;
	sh_audit_keys_load(&keys, &d->self.card, d->cfg.keydir, why,
	                   sizeof(why));
	if (why[0])
		sh_warn("audit log: %s", why);
	MDB_txn *txn = sh_store_read_begin(d->store);
	e = txn ? sh_audit_verify(log, txn, &keys, &r) : SH_ERR_STORE;
	if (txn)
		sh_store_read_end(d->store, txn);
	if (e == SH_OK) {
		if (r.ok)
			printf(
			    "seinhuisd: audit log verifies: %llu entries, %llu "
			    "signed tree heads%s%s\n",
			    (unsigned long long)r.entries,
			    (unsigned long long)r.heads,
			    r.problem[0] ? "; " : "", r.problem);
		else
			sh_error(
			    "audit log FAILS verification: %s (the "
			    "daemon starts on it and signals keep flowing; "
			    "'seinctl audit verify' names the entries)",
			    r.problem);
		*failed = !r.ok;
		char note[400], at[40], heads[200];
		sh_audit_removed_note(note, sizeof(note), heads, sizeof(heads),
		                      &r);
		if (note[0])
			printf("seinhuisd: note: %s\n", note);
		if (heads[0])
			printf("seinhuisd: note: %s\n", heads);
		sh_fmt_utc(at, sizeof(at), r.latest_rollback_us / 1000);
		sh_audit_rollback_note(note, sizeof(note), r.rollbacks, at);
		if (note[0])
			printf("seinhuisd: note: %s\n", note);
		sh_audit_verify_free(&r);
	} else {
		sh_error("audit log: cannot verify: %s", sh_err_str(e));
	}
	/* a restore is no failure, but the administrator hears of it */
	char detail[700];
	set_head_file(d, log);
	if (head_file_check(d, log, detail, sizeof(detail)))
		printf("seinhuisd: %s\n", detail);
	sh_audit_close(&log);
	return e;
}
