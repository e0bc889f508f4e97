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
 *     its newest head (audit_head) and the heads of the partner's log
 *     that it keeps (witnessed_head). Only heads of committed turns go
 *     out: one that a crash could take back is never handed over.
 *   - The partner answers on the same connection with the same fields,
 *     seen from its side: its own newest head, and the heads of ours that
 *     it kept before this frame.
 *   - A head of our own log coming back from a partner is checked against
 *     the log: if the log holds fewer entries than that head, or others
 *     under it, the log was taken back after the head was signed. That is
 *     recorded as log_rolled_back (the same event as at start-up), logged
 *     as an error and kept for status and seinctl check, once the turn
 *     commits; a head signed before a rollback already recorded is
 *     explained by it (up to when it was found, never later: no time
 *     the data directory holds can switch this check off). After a
 *     start, "when it was found" is the time of the newest
 *     log_rolled_back entry in the log itself, which the tree covers and
 *     an auditor sees; a time kept beside it in the store is not used.
 *   - A head of our own log that a partner hands back and the log still
 *     extends is remembered per partner ("anchored/<partner>", when it
 *     covers more than the one remembered): audit verify shows the
 *     newest, and the entries after it, which no partner anchors yet.
 *   - Heads travel only over connections there are: a daemon opens one
 *     to a partner when it has signals (or a recover request) for it.
 *     A restore is therefore found at the next exchange with a partner
 *     that keeps a head of the log, not before.
 *   - A partner's head is kept if it is newer (by its signing time, and
 *     not from more than an hour ahead) than the one kept. A newer head
 *     over fewer entries, or over as many but with another root, shows
 *     that the partner's log went back: that is recorded here as
 *     partner_log_rolled_back (at most once an hour per partner) and
 *     shown in status. The head it supersedes is kept as well for
 *     WITNESS_OLD_KEEP_MS and handed back with the newest, so that the
 *     partner finds its rollback even if the first answer is lost.
 *
 * Heads are kept in the audit log's state table under "witness/<partner>"
 * as the partner signed them ("witness-old/<partner>": the time it was
 * superseded, 8 bytes big-endian, then the head), and checked with the
 * partner's signing key from its card (the current one or, during a key
 * change, the previous). A head that does not verify is ignored: no
 * partner can make us record a rollback of our own log that did not
 * happen, only hold back the heads it witnessed. What a partner cannot
 * show without a consistency proof is a log that went back and then grew
 * past the head it kept before the next one was signed; this daemon itself
 * still finds that when the partner hands the older head back.
 */
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "auditd.h"
#include "daemon.h"

#define WITNESS_NEW "witness/"
#define WITNESS_OLD "witness-old/"
/* the newest head of our own log a partner handed back as kept, while the
 * log still extended it: what no one on this machine can take back
 * unseen (audit verify shows it, and the entries beyond it) */
#define WITNESS_ANCHORED "anchored/"
/* a superseded head is handed back this long */
#define WITNESS_OLD_KEEP_MS (7 * 86400 * 1000LL)
/* a partner's head signed further ahead than this is not kept */
#define WITNESS_AHEAD_MS (3600 * 1000LL)
/* partner_log_rolled_back at most this often per partner */
#define WITNESS_RECORD_MS (3600 * 1000LL)

static int state_key(char *k, size_t n, const char *prefix, const char *partner)
{
	int w = snprintf(k, n, "%s%s", prefix, partner);
	return w > 0 && (size_t)w < n;
}

static Seinhuis__SignedTreeHead *decode(const uint8_t *b, size_t n)
{
	Seinhuis__SignedTreeHead *h =
	    n ? seinhuis__signed_tree_head__unpack(NULL, n, b) : NULL;
	if (h && h->root_hash.len != 32) {
		seinhuis__signed_tree_head__free_unpacked(h, NULL);
		h = NULL;
	}
	return h;
}

/* The head of p's log kept here, raw (as signed) into raw, and decoded
 * into *out (NULL: none, or one that does not decode, which the next
 * replaces). SH_OK, or the error that the store gave. */
static sh_err kept_head(sh_daemon *d, MDB_txn *txn, const sh_peer *p,
                        sh_buf *raw, Seinhuis__SignedTreeHead **out)
{
	char key[SH_PARTNER_MAX + 16];
	raw->len = 0;
	*out = NULL;
	if (!txn)
		return SH_ERR_STORE;
	if (!state_key(key, sizeof(key), WITNESS_NEW, p->card.partner))
		return SH_ERR_STORE;
	sh_err e = sh_audit_state_get(sh_audit_log(d), txn, key, raw);
	if (e == SH_ERR_NOTFOUND)
		return SH_OK;
	if (e != SH_OK)
		return e;
	*out = decode(raw->data, raw->len);
	if (!*out)
		raw->len = 0;
	return SH_OK;
}

/* The head a newer one over fewer entries (or another root) superseded,
 * raw, if that was less than WITNESS_OLD_KEEP_MS ago (else raw is left
 * empty). */
static void old_head(sh_daemon *d, MDB_txn *txn, const sh_peer *p, sh_buf *raw)
{
	char key[SH_PARTNER_MAX + 16];
	raw->len = 0;
	if (!txn ||
	    !state_key(key, sizeof(key), WITNESS_OLD, p->card.partner) ||
	    sh_audit_state_get(sh_audit_log(d), txn, key, raw) != SH_OK)
		return;
	uint64_t at = 0;
	for (int i = 0; raw->len > 8 && i < 8; i++)
		at = at << 8 | raw->data[i];
	if (raw->len <= 8 || (int64_t)at + WITNESS_OLD_KEEP_MS < sh_now_ms()) {
		raw->len = 0;
		return;
	}
	memmove(raw->data, raw->data + 8, raw->len - 8);
	raw->len -= 8;
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
	Seinhuis__SignedTreeHead *h = NULL;
	if (kept_head(d, txn, p, &raw, &h) == SH_OK)
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

/* p keeps head h (b, n as signed) of our log, which the log extends:
 * remembered if it covers more than the one remembered for p. */
static void note_anchored(sh_daemon *d, sh_peer *p, const uint8_t *b, size_t n,
                          const Seinhuis__SignedTreeHead *h)
{
	char key[SH_PARTNER_MAX + 16];
	sh_buf raw = {0};
	if (!state_key(key, sizeof(key), WITNESS_ANCHORED, p->card.partner))
		return;
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		return;
	sh_err e = sh_audit_state_get(sh_audit_log(d), txn, key, &raw);
	sh_store_read_end(d->store, txn);
	Seinhuis__SignedTreeHead *was =
	    e == SH_OK ? decode(raw.data, raw.len) : NULL;
	int newer = !was || h->tree_size > was->tree_size;
	if (was)
		seinhuis__signed_tree_head__free_unpacked(was, NULL);
	sh_buf_free(&raw);
	if (!newer || (e != SH_OK && e != SH_ERR_NOTFOUND) ||
	    sh_daemon_txn(d) != SH_OK)
		return;
	e = sh_audit_state_put(sh_audit_log(d), key, b, n);
	if (e != SH_OK)
		sh_daemon_txn_fail(d, e);
}

struct anchored_scan {
	sh_daemon *d;
	MDB_txn *txn;
	uint64_t size;
	int64_t ms;
	char *by;
	size_t byl;
};

static void anchored_one(void *ctx, const char *key)
{
	struct anchored_scan *a = ctx;
	sh_buf raw = {0};
	if (sh_audit_state_get(sh_audit_log(a->d), a->txn, key, &raw) !=
	    SH_OK) {
		sh_buf_free(&raw);
		return;
	}
	Seinhuis__SignedTreeHead *h = decode(raw.data, raw.len);
	sh_buf_free(&raw);
	if (!h)
		return;
	/* the one covering most; of those, the newest */
	if (sh_tree_head_signed_by(h, &a->d->self.card) &&
	    (h->tree_size > a->size ||
	     (h->tree_size == a->size && h->timestamp_ms > a->ms))) {
		a->size = h->tree_size;
		a->ms = h->timestamp_ms;
		snprintf(a->by, a->byl, "%s", key + strlen(WITNESS_ANCHORED));
	}
	seinhuis__signed_tree_head__free_unpacked(h, NULL);
}

void sh_witness_anchored(sh_daemon *d, MDB_txn *txn, uint64_t *size, char *by,
                         size_t byl, int64_t *ms)
{
	struct anchored_scan a = {d, txn, 0, 0, by, byl};
	by[0] = '\0';
	if (sh_audit_log(d) && txn)
		sh_audit_state_keys(sh_audit_log(d), txn, WITNESS_ANCHORED,
		                    anchored_one, &a);
	*size = a.size;
	*ms = a.ms;
}

/* A head of our own log that p keeps: does the log still extend it? */
static void check_own(sh_daemon *d, sh_peer *p, const uint8_t *b, size_t n)
{
	sh_audit *log = sh_audit_log(d);
	Seinhuis__SignedTreeHead *h = decode(b, n);
	if (!h || !sh_tree_head_signed_by(h, &d->self.card)) {
		sh_debug("peer %s: a head of our audit log that is not one we "
		         "signed (or not with a key of ours now) ignored",
		         p->card.partner);
		goto out;
	}
	/* heads signed before a rollback already recorded (or up to the
	 * newest such head) are explained by it: not looked at. Only the
	 * log says up to when (auditd.c, explained_from_log), never a time
	 * the store keeps beside it */
	int64_t known = d->audit_explained_ms;
	if (d->wit_rb_pending_ms > known)
		known = d->wit_rb_pending_ms;
	if (h->timestamp_ms <= known)
		goto out;
	/* only committed entries: a head handed over was of a committed
	 * turn, and a turn is committed before anything of it goes out */
	uint64_t size = sh_audit_committed_size(log);
	int gone = h->tree_size > size, replaced = 0;
	if (!gone && h->tree_size > 0) {
		MDB_txn *txn = sh_store_read_begin(d->store);
		if (!txn)
			goto out;
		uint8_t root[32];
		if (!sh_audit_size_provable(log, txn, h->tree_size)) {
			/* an old head, from before what audit_keep removed:
			 * its tree cannot be recomputed; no rollback shows */
			sh_store_read_end(d->store, txn);
			sh_debug("peer %s keeps a head of our audit log at "
			         "size %llu, inside the entries audit_keep "
			         "removed: not compared",
			         p->card.partner,
			         (unsigned long long)h->tree_size);
			goto out;
		}
		sh_err e = sh_audit_root_at(log, txn, h->tree_size, root);
		sh_store_read_end(d->store, txn);
		if (e != SH_OK) {
			sh_daemon_error(
			    d,
			    "audit: cannot compare the log with the "
			    "head %s keeps of it: %s",
			    p->card.partner, sh_err_rule(e));
			goto out;
		}
		replaced = memcmp(root, h->root_hash.data, 32) != 0;
	}
	if (!gone && !replaced) {
		note_anchored(d, p, b, n, h);
		goto out;
	}
	char at[40], detail[700];
	sh_fmt_utc(at, sizeof(at), h->timestamp_ms);
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
	int64_t now = 0;
	sh_err e = sh_audit_rolled_back(d, p->card.partner, detail, &now);
	if (e != SH_OK) {
		sh_daemon_txn_fail(d, e);
		goto out; /* found again at the next exchange */
	}
	/* Once the turn commits, these heads are explained by it
	 * (DEFER_ROLLED_BACK); until then by the turn's own entry. If the
	 * turn fails, the next head handed back finds it again. Up to this
	 * head's time if that is later than now (a clock set back with the
	 * restore: the head is one we signed), or every head handed back
	 * until the clock passes it would be recorded again. */
	int64_t upto = h->timestamp_ms > now ? h->timestamp_ms : now;
	d->wit_rb_pending_ms = upto;
	sh_defer *df = sh_defer_add(d, DEFER_ROLLED_BACK);
	df->at = now;
	df->seq = (uint64_t)upto;
out:
	if (h)
		seinhuis__signed_tree_head__free_unpacked(h, NULL);
}

/* Log a refused head of p's, at most once a minute. */
static void refused(sh_daemon *d, sh_peer *p, const char *why)
{
	int64_t now = sh_mono_ms();
	if (p->wit_warn_at && now - p->wit_warn_at < 60000) {
		sh_debug("peer %s: a tree head of its audit log %s",
		         p->card.partner, why);
		return;
	}
	p->wit_warn_at = now;
	sh_daemon_warn(d, "peer %s: a tree head of its audit log %s; ignored",
	               p->card.partner, why);
}

/* A head of p's log: keep it if newer than the one kept; a newer one
 * over fewer entries, or others, shows that p's log went back. The heads
 * kept before (the newest, and a superseded one) go into before[]
 * (raw; empty if none). */
static void keep_partner(sh_daemon *d, sh_peer *p, const uint8_t *b, size_t n,
                         sh_buf before[2])
{
	sh_audit *log = sh_audit_log(d);
	char key[SH_PARTNER_MAX + 16], okey[SH_PARTNER_MAX + 16];
	Seinhuis__SignedTreeHead *h = NULL, *old = NULL;
	MDB_txn *txn = sh_store_read_begin(d->store);
	sh_err ke = kept_head(d, txn, p, &before[0], &old);
	old_head(d, txn, p, &before[1]);
	sh_store_read_end(d->store, txn);
	if (ke != SH_OK)
		goto out; /* not knowing the kept one, keep nothing */
	if (!p->wit_loaded)
		note_kept(p, old);
	if (!n)
		goto out;
	h = decode(b, n);
	if (!h || !sh_tree_head_signed_by(h, &p->card)) {
		refused(d, p,
		        "that does not verify with its card's signing key");
		goto out;
	}
	int64_t now = sh_now_ms();
	if (h->timestamp_ms > now + WITNESS_AHEAD_MS) {
		refused(d, p, "signed more than an hour ahead of our clock");
		goto out;
	}
	if (old && h->timestamp_ms <= old->timestamp_ms)
		goto out; /* the same, or older than the one kept */
	if (!state_key(key, sizeof(key), WITNESS_NEW, p->card.partner) ||
	    !state_key(okey, sizeof(okey), WITNESS_OLD, p->card.partner) ||
	    sh_daemon_txn(d) != SH_OK)
		goto out;
	sh_err e = SH_OK;
	if (old && (h->tree_size < old->tree_size ||
	            (h->tree_size == old->tree_size &&
	             memcmp(h->root_hash.data, old->root_hash.data, 32)))) {
		char was[40], at[40], detail[600];
		sh_fmt_utc(was, sizeof(was), old->timestamp_ms);
		sh_fmt_utc(at, sizeof(at), h->timestamp_ms);
		snprintf(detail, sizeof(detail),
		         "its tree head signed %s covers %llu entries%s, the "
		         "one it signed %s and kept here %llu: its audit log "
		         "went back (a restored or replaced data store)",
		         at, (unsigned long long)h->tree_size,
		         h->tree_size == old->tree_size ? " (other ones)" : "",
		         was, (unsigned long long)old->tree_size);
		snprintf(p->last_error, sizeof(p->last_error),
		         "its audit log went back: %llu entries after %llu",
		         (unsigned long long)h->tree_size,
		         (unsigned long long)old->tree_size);
		/* the superseded head, handed back for a while */
		sh_buf ov = {0};
		uint8_t t[8];
		for (int i = 0; i < 8; i++)
			t[i] = (uint8_t)((uint64_t)now >> (56 - 8 * i));
		sh_buf_add(&ov, t, 8);
		sh_buf_add(&ov, before[0].data, before[0].len);
		e = sh_audit_state_put(log, okey, ov.data, ov.len);
		sh_buf_free(&ov);
		int64_t mono = sh_mono_ms();
		if (e == SH_OK && p->wit_rb_at &&
		    mono - p->wit_rb_at < WITNESS_RECORD_MS) {
			/* a partner cannot fill our log with these */
			sh_debug("peer %s: %s (recorded less than an hour ago; "
			         "not again)",
			         p->card.partner, detail);
		} else if (e == SH_OK) {
			sh_daemon_warn(d, "peer %s: %s", p->card.partner,
			               detail);
			Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
			en.event =
			    SEINHUIS__AUDIT_EVENT__AUDIT_PARTNER_LOG_ROLLED_BACK;
			en.outcome = "rolled_back";
			en.partner = p->card.partner;
			en.detail = detail;
			e = sh_audit_record(d, &en);
			if (e == SH_OK) {
				/* the limit counts once the turn commits */
				sh_defer *df =
				    sh_defer_add(d, DEFER_PARTNER_ROLLED_BACK);
				df->peer = p;
				df->at = p->wit_rb_at;
				p->wit_rb_at = mono;
			}
		}
	}
	if (e == SH_OK)
		e = sh_audit_state_put(log, key, b, n);
	if (e != SH_OK) {
		sh_daemon_txn_fail(d, e);
		goto out;
	}
	/* kept once the turn commits; status shows it at once (and, if the
	 * turn fails, until the next head of p is kept) */
	note_kept(p, h);
out:
	if (h)
		seinhuis__signed_tree_head__free_unpacked(h, NULL);
	if (old)
		seinhuis__signed_tree_head__free_unpacked(old, NULL);
}

/* A partner sends a head when it connects, signs one, or every
 * audit_head_interval, and answers ours: a few a minute. Each costs up to
 * three signature checks and a write here, so more than WITNESS_PER_S
 * frames with heads a second from one partner (its own or its answers)
 * are ignored: not checked, kept or answered. */
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

/* Both sides: what a witness frame from p holds. */
static void take(sh_daemon *d, sh_peer *p, const Seinhuis__PeerFrame *f,
                 sh_buf before[2])
{
	/* at most two are sent; more are not looked at */
	for (size_t i = 0; i < f->n_witnessed_head && i < 2; i++)
		check_own(d, p, f->witnessed_head[i].data,
		          f->witnessed_head[i].len);
	keep_partner(d, p, f->audit_head.data, f->audit_head.len, before);
}

/* Pack a witness frame: head (ours) and the kept heads (either may be
 * empty) into out. */
static void pack_frame(sh_buf *out, const sh_buf *head, const sh_buf kept[2],
                       int64_t sent_ms)
{
	ProtobufCBinaryData w[2];
	size_t nw = 0;
	for (int i = 0; i < 2; i++)
		if (kept[i].len) {
			w[nw].data = kept[i].data;
			w[nw++].len = kept[i].len;
		}
	Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
	f.format_version = SH_FORMAT_VERSION;
	f.audit_head.data = head->data;
	f.audit_head.len = head->len;
	f.n_witnessed_head = nw;
	f.witnessed_head = w;
	f.sent_ms = sent_ms;
	out->len = 0;
	sh_buf_add(out, NULL, seinhuis__peer_frame__get_packed_size(&f));
	seinhuis__peer_frame__pack(&f, out->data);
}

void sh_witness_inbound(sh_daemon *d, sh_peer *p, const Seinhuis__PeerFrame *f,
                        const void *rid, size_t ridlen)
{
	if (!sh_audit_log(d) || !witness_allowed(d, p))
		return;
	sh_buf before[2] = {{0}, {0}}, mine = {0};
	take(d, p, f, before);
	MDB_txn *txn = sh_store_read_begin(d->store);
	own_head(d, txn, &mine);
	sh_store_read_end(d->store, txn);
	/* the answer goes out once this turn commits (DEFER_RECEIPTS): a
	 * head signed in it is then durable */
	if (mine.len || before[0].len || before[1].len) {
		sh_defer *df = sh_defer_add(d, DEFER_RECEIPTS);
		df->peer = p;
		sh_buf_add(&df->routing_id, rid, ridlen);
		pack_frame(&df->data, &mine, before,
		           0); /* stamped at the send */
	}
	sh_buf_free(&mine);
	sh_buf_free(&before[0]);
	sh_buf_free(&before[1]);
}

void sh_witness_answer(sh_daemon *d, sh_peer *p, const Seinhuis__PeerFrame *f)
{
	if (!sh_audit_log(d) || !witness_allowed(d, p))
		return;
	sh_buf before[2] = {{0}, {0}};
	take(d, p, f, before);
	sh_buf_free(&before[0]);
	sh_buf_free(&before[1]);
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
	sh_buf mine = {0}, kept[2] = {{0}, {0}}, frame = {0};
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
		Seinhuis__SignedTreeHead *k = NULL;
		if (kept_head(d, txn, p, &kept[0], &k) != SH_OK)
			kept[0].len = 0;
		if (k)
			seinhuis__signed_tree_head__free_unpacked(k, NULL);
		old_head(d, txn, p, &kept[1]);
		p->wit_due = 0;
		p->wit_next = now + every;
		if (!mine.len && !kept[0].len && !kept[1].len)
			continue; /* nothing signed, nothing kept yet */
		pack_frame(&frame, &mine, kept, sh_now_ms());
		p->zcheck = 1;
		if (zmq_send(p->dealer, frame.data, frame.len, ZMQ_DONTWAIT) <
		    0)
			p->wit_due = 1; /* within a second */
		else
			sh_debug("peer %s: our audit tree head handed over",
			         p->card.partner);
	}
	if (txn)
		sh_store_read_end(d->store, txn);
	sh_buf_free(&mine);
	sh_buf_free(&kept[0]);
	sh_buf_free(&kept[1]);
	sh_buf_free(&frame);
}
