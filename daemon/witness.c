/*
 * witness.c - partners keep each other's audit tree heads.
 *
 * The audit log lives in the data store. Restoring a backup of the store
 * takes the log back; the daemon notices that at start-up against the
 * last head it keeps in `audit-head` beside the store (audit.c), but not
 * when that file is restored (or replaced) too. Someone who can write the
 * data directory could then take entries out of the log without a trace
 * on this machine. So every daemon also hands its signed heads to the
 * partners it is connected to, and they keep the newest one each:
 *
 *   - Over each connection this daemon opens to a partner (its DEALER),
 *     right after the handshake and then when it signs a head, at least
 *     once per audit_head_interval, it sends a frame of its own holding
 *     its newest head (audit_head) and the newest head of the partner's
 *     log that it keeps (witnessed_head). Only heads of committed turns
 *     go out: one that a crash could take back is never handed over.
 *   - The partner answers on the same connection with the same two
 *     fields, seen from its side: its own newest head, and the head of
 *     ours that it kept before this frame.
 *   - A head of our own log coming back from a partner is checked against
 *     the log: if the log holds fewer entries than that head, or others
 *     under it, the log was taken back after the head was signed. That is
 *     recorded as log_rolled_back (the same event as at start-up), logged
 *     as an error and kept for status and seinctl check; a head signed
 *     before a rollback already recorded is explained by it.
 *   - A partner's head is kept if it is newer (by its signing time) than
 *     the one kept. A newer head over fewer entries, or over as many but
 *     with another root, shows that the partner's log went back: that is
 *     recorded here as partner_log_rolled_back and shown in status.
 *
 * Heads are kept in the audit log's state table under "witness/<partner>"
 * as the partner signed them, and checked with the partner's signing key
 * from its card (the current one or, during a key change, the previous).
 * A head that does not verify is ignored: no partner can make us record
 * a rollback of our own log that did not happen, only hold back the heads
 * it witnessed. What a partner cannot show without a consistency proof is
 * a log that went back and then grew past the head it kept before the
 * next one was signed; this daemon itself still finds that when the
 * partner echoes the older head.
 */
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "auditd.h"
#include "daemon.h"

#define WITNESS_PREFIX "witness/"

static int state_key(char *k, size_t n, const char *partner)
{
	int w = snprintf(k, n, WITNESS_PREFIX "%s", partner);
	return w > 0 && (size_t)w < n;
}

/* The head of p's log kept here, raw (as signed) into raw and decoded;
 * NULL if none (or it does not decode: then replaced by the next). */
static Seinhuis__SignedTreeHead *kept_head(sh_daemon *d, MDB_txn *txn,
                                           const sh_peer *p, sh_buf *raw)
{
	char key[SH_PARTNER_MAX + 16];
	raw->len = 0;
	if (!txn || !state_key(key, sizeof(key), p->card.partner) ||
	    sh_audit_state_get(sh_audit_log(d), txn, key, raw) != SH_OK)
		return NULL;
	Seinhuis__SignedTreeHead *h =
	    seinhuis__signed_tree_head__unpack(NULL, raw->len, raw->data);
	if (h && h->root_hash.len != 32) {
		seinhuis__signed_tree_head__free_unpacked(h, NULL);
		h = NULL;
	}
	if (!h)
		raw->len = 0;
	return h;
}

static void note_kept(sh_peer *p, const Seinhuis__SignedTreeHead *h)
{
	p->wit_loaded = 1;
	p->wit_size = h ? h->tree_size : 0;
	p->wit_ms = h ? h->timestamp_ms : 0;
}

void sh_witness_status(sh_daemon *d, MDB_txn *txn, sh_peer *p)
{
	if (p->wit_loaded || !sh_audit_log(d) || !txn)
		return;
	sh_buf raw = {0};
	Seinhuis__SignedTreeHead *h = kept_head(d, txn, p, &raw);
	note_kept(p, h);
	if (h)
		seinhuis__signed_tree_head__free_unpacked(h, NULL);
	sh_buf_free(&raw);
}

/* Our newest signed head, packed as stored, into out (empty: none). */
static void own_head(sh_daemon *d, MDB_txn *txn, sh_buf *out)
{
	Seinhuis__SignedTreeHead *h = NULL;
	out->len = 0;
	if (!txn || sh_audit_get_head(sh_audit_log(d), txn, 0, &h) != SH_OK)
		return;
	size_t n = seinhuis__signed_tree_head__get_packed_size(h);
	sh_buf_add(out, NULL, n);
	seinhuis__signed_tree_head__pack(h, out->data);
	seinhuis__signed_tree_head__free_unpacked(h, NULL);
}

/* A head of our own log that p keeps: does the log still extend it? */
static void check_own(sh_daemon *d, sh_peer *p, const uint8_t *b, size_t n)
{
	sh_audit *log = sh_audit_log(d);
	Seinhuis__SignedTreeHead *h =
	    seinhuis__signed_tree_head__unpack(NULL, n, b);
	if (!h || !sh_tree_head_signed_by(h, &d->self.card)) {
		sh_debug("peer %s: a head of our audit log that is not one we "
		         "signed (or not with a key of ours now) ignored",
		         p->card.partner);
		goto out;
	}
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		goto out;
	uint64_t size = sh_audit_size(log);
	int gone = h->tree_size > size, replaced = 0;
	if (!gone && h->tree_size > 0) {
		uint8_t root[32];
		sh_err e = sh_audit_root_at(log, txn, h->tree_size, root);
		replaced = e == SH_OK && memcmp(root, h->root_hash.data, 32);
		if (e != SH_OK)
			sh_daemon_error(
			    d,
			    "audit: cannot compare the log with the "
			    "head %s keeps of it: %s",
			    p->card.partner, sh_err_rule(e));
	}
	sh_store_read_end(d->store, txn);
	if (!gone && !replaced)
		goto out;
	char at[40], detail[700];
	sh_fmt_utc(at, sizeof(at), h->timestamp_ms);
	if (h->timestamp_ms <= d->audit_rolled_back_ms) {
		sh_debug("peer %s keeps a head of our log signed %s that the "
		         "log no longer extends: the rollback already recorded",
		         p->card.partner, at);
		goto out;
	}
	if (gone)
		snprintf(detail, sizeof(detail),
		         "partner %s keeps a tree head of this log signed here "
		         "%s over %llu entries, and the log holds %llu: the "
		         "data store was restored from a backup or replaced, "
		         "together with its audit-head file (else the start "
		         "would have found it); entries %llu to %llu are not "
		         "in it",
		         p->card.partner, at, (unsigned long long)h->tree_size,
		         (unsigned long long)size, (unsigned long long)size,
		         (unsigned long long)h->tree_size - 1);
	else
		snprintf(
		    detail, sizeof(detail),
		    "partner %s keeps a tree head of this log signed here "
		    "%s over %llu entries, and the log's first %llu "
		    "entries are not those: the data store was replaced or "
		    "restored, together with its audit-head file",
		    p->card.partner, at, (unsigned long long)h->tree_size,
		    (unsigned long long)h->tree_size);
	sh_daemon_error(d, "audit: %s", detail);
	int64_t now = sh_now_ms();
	Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
	en.event = SEINHUIS__AUDIT_EVENT__AUDIT_LOG_ROLLED_BACK;
	en.outcome = "rolled_back";
	en.partner = p->card.partner;
	en.detail = detail;
	sh_err e = sh_audit_record(d, &en);
	if (e == SH_OK)
		e = sh_store_meta_time_set(d->store, "audit_rolled_back", now);
	if (e != SH_OK) {
		sh_daemon_txn_fail(d, e);
		goto out; /* found again at the next exchange */
	}
	/* recorded once: heads signed before now are explained by it (if the
	 * turn fails, the partner's next answer finds it again) */
	d->audit_rolled_back_ms = now;
out:
	if (h)
		seinhuis__signed_tree_head__free_unpacked(h, NULL);
}

/* A head of p's log: keep it if newer than the one kept; a newer one
 * over fewer entries, or others, shows that p's log went back. The head
 * kept before goes into before (raw; empty if none). */
static void keep_partner(sh_daemon *d, sh_peer *p, const uint8_t *b, size_t n,
                         sh_buf *before)
{
	sh_audit *log = sh_audit_log(d);
	char key[SH_PARTNER_MAX + 16];
	Seinhuis__SignedTreeHead *h = NULL, *old = NULL;
	MDB_txn *txn = sh_store_read_begin(d->store);
	old = kept_head(d, txn, p, before);
	sh_store_read_end(d->store, txn);
	if (!p->wit_loaded)
		note_kept(p, old);
	if (!n)
		goto out;
	h = seinhuis__signed_tree_head__unpack(NULL, n, b);
	if (!h || !sh_tree_head_signed_by(h, &p->card)) {
		sh_daemon_warn(d,
		               "peer %s: a tree head of its audit log that "
		               "does not verify with its card's signing key "
		               "ignored",
		               p->card.partner);
		goto out;
	}
	if (old && h->timestamp_ms <= old->timestamp_ms)
		goto out; /* the same, or older than the one kept */
	if (!state_key(key, sizeof(key), p->card.partner) ||
	    sh_daemon_txn(d) != SH_OK)
		goto out;
	if (old && (h->tree_size < old->tree_size ||
	            (h->tree_size == old->tree_size &&
	             memcmp(h->root_hash.data, old->root_hash.data, 32)))) {
		char was[40], now[40], detail[600];
		sh_fmt_utc(was, sizeof(was), old->timestamp_ms);
		sh_fmt_utc(now, sizeof(now), h->timestamp_ms);
		snprintf(detail, sizeof(detail),
		         "its tree head signed %s covers %llu entries%s, the "
		         "one it signed %s and kept here %llu: its audit log "
		         "went back (a restored or replaced data store)",
		         now, (unsigned long long)h->tree_size,
		         h->tree_size == old->tree_size ? " (other ones)" : "",
		         was, (unsigned long long)old->tree_size);
		snprintf(p->last_error, sizeof(p->last_error),
		         "its audit log went back: %llu entries after %llu",
		         (unsigned long long)h->tree_size,
		         (unsigned long long)old->tree_size);
		sh_daemon_warn(d, "peer %s: %s", p->card.partner, detail);
		Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
		en.event = SEINHUIS__AUDIT_EVENT__AUDIT_PARTNER_LOG_ROLLED_BACK;
		en.outcome = "rolled_back";
		en.partner = p->card.partner;
		en.detail = detail;
		if (sh_audit_record(d, &en) != SH_OK)
			goto out;
	}
	sh_err e = sh_audit_state_put(log, key, b, n);
	if (e != SH_OK) {
		sh_daemon_txn_fail(d, e);
		goto out;
	}
	/* kept once the turn commits; status may show it a turn early */
	note_kept(p, h);
out:
	if (h)
		seinhuis__signed_tree_head__free_unpacked(h, NULL);
	if (old)
		seinhuis__signed_tree_head__free_unpacked(old, NULL);
}

/* A partner sends a head when it connects, signs one, or every
 * audit_head_interval: a few a minute. Each costs up to two signature
 * checks and a write here, so more than WITNESS_PER_S a second from one
 * partner are left unanswered. */
#define WITNESS_PER_S 20

static int witness_allowed(sh_daemon *d, sh_peer *p)
{
	int64_t now = sh_mono_ms();
	if (now - p->wit_in_at >= 1000) {
		p->wit_in_at = now;
		p->wit_in_n = 0;
	}
	if (++p->wit_in_n <= WITNESS_PER_S)
		return 1;
	if (p->wit_in_n == WITNESS_PER_S + 1)
		sh_daemon_warn(d,
		               "peer %s: more than %d tree-head frames in a "
		               "second; the rest of this second's ignored",
		               p->card.partner, WITNESS_PER_S);
	return 0;
}

void sh_witness_inbound(sh_daemon *d, sh_peer *p, const Seinhuis__PeerFrame *f,
                        const void *rid, size_t ridlen)
{
	if (!sh_audit_log(d) || !witness_allowed(d, p))
		return;
	sh_buf before = {0}, mine = {0};
	if (f->witnessed_head.len)
		check_own(d, p, f->witnessed_head.data, f->witnessed_head.len);
	keep_partner(d, p, f->audit_head.data, f->audit_head.len, &before);
	MDB_txn *txn = sh_store_read_begin(d->store);
	own_head(d, txn, &mine);
	sh_store_read_end(d->store, txn);
	/* the answer goes out once this turn commits (DEFER_RECEIPTS): a
	 * head signed in it is then durable */
	Seinhuis__PeerFrame out = SEINHUIS__PEER_FRAME__INIT;
	out.format_version = SH_FORMAT_VERSION;
	out.audit_head.data = mine.data;
	out.audit_head.len = mine.len;
	out.witnessed_head.data = before.data;
	out.witnessed_head.len = before.len;
	if (mine.len || before.len) {
		sh_defer *df = sh_defer_add(d, DEFER_RECEIPTS);
		df->peer = p;
		sh_buf_add(&df->routing_id, rid, ridlen);
		size_t n = seinhuis__peer_frame__get_packed_size(&out);
		sh_buf_add(&df->data, NULL, n);
		seinhuis__peer_frame__pack(&out, df->data.data);
	}
	sh_buf_free(&mine);
	sh_buf_free(&before);
}

void sh_witness_answer(sh_daemon *d, sh_peer *p, const Seinhuis__PeerFrame *f)
{
	if (!sh_audit_log(d) || !witness_allowed(d, p))
		return;
	sh_buf before = {0};
	if (f->witnessed_head.len)
		check_own(d, p, f->witnessed_head.data, f->witnessed_head.len);
	keep_partner(d, p, f->audit_head.data, f->audit_head.len, &before);
	sh_buf_free(&before);
}

void sh_witness_due(sh_daemon *d, sh_peer *p)
{
	d->wit_any_due = 1;
	if (p) {
		p->wit_due = 1;
		return;
	}
	for (size_t i = 0; i < d->npeers; i++)
		d->peers[i].wit_due = 1;
}

void sh_witness_pump(sh_daemon *d)
{
	if (!sh_audit_log(d) || sh_store_in_txn(d->store))
		return;
	int64_t now = sh_mono_ms();
	if (!d->wit_any_due && now < d->wit_next_any)
		return;
	int64_t every = (int64_t)d->cfg.audit_head_interval * 1000;
	MDB_txn *txn = NULL;
	sh_buf mine = {0}, theirs = {0};
	int have_mine = 0;
	/* not later than a second from now: a connection that comes up
	 * meanwhile is marked due itself, one whose head waits on a full
	 * queue is tried again */
	d->wit_any_due = 0;
	d->wit_next_any = now + (every < 1000 ? every : 1000);
	for (size_t i = 0; i < d->npeers; i++) {
		sh_peer *p = &d->peers[i];
		if (p->removed || !p->dealer || !p->connected)
			continue;
		if (!p->wit_due && now < p->wit_next) {
			if (p->wit_next < d->wit_next_any)
				d->wit_next_any = p->wit_next;
			continue;
		}
		if (!txn && !(txn = sh_store_read_begin(d->store)))
			break;
		if (!have_mine) {
			own_head(d, txn, &mine);
			have_mine = 1;
		}
		Seinhuis__SignedTreeHead *k = kept_head(d, txn, p, &theirs);
		if (k)
			seinhuis__signed_tree_head__free_unpacked(k, NULL);
		p->wit_due = 0;
		p->wit_next = now + every;
		if (!mine.len && !theirs.len)
			continue; /* nothing signed, nothing kept yet */
		Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
		f.format_version = SH_FORMAT_VERSION;
		f.audit_head.data = mine.data;
		f.audit_head.len = mine.len;
		f.witnessed_head.data = theirs.data;
		f.witnessed_head.len = theirs.len;
		size_t n = seinhuis__peer_frame__get_packed_size(&f);
		uint8_t *buf = sh_xmalloc(n);
		seinhuis__peer_frame__pack(&f, buf);
		p->zcheck = 1;
		if (zmq_send(p->dealer, buf, n, ZMQ_DONTWAIT) < 0) {
			p->wit_due = 1; /* within a second */
		} else {
			sh_debug("peer %s: our audit tree head handed over",
			         p->card.partner);
		}
		free(buf);
	}
	if (txn)
		sh_store_read_end(d->store, txn);
	sh_buf_free(&mine);
	sh_buf_free(&theirs);
}
