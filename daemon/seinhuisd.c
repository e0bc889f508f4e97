/*
 * seinhuisd.c - the Seinhuis daemon: start-up and the event loop.
 *
 * Start-up loads and checks, in order, the configuration, the own identity
 * (secret key files must be mode 0600), the trust store and the data
 * store (every record is decoded; a damaged store stops the daemon with a
 * message that says how to recover). Any failure here is fatal and says
 * why. Then it opens the control socket and the CURVE listener.
 *
 * The loop is single-threaded; ZeroMQ's I/O thread does the CURVE crypto.
 * One turn of the loop:
 *   1. wait in zmq_poll for the ZAP socket, the ROUTER, each peer's DEALER
 *      and monitor, the control listener and control clients, or a timer;
 *   2. handle everything ready; whatever must be written (signals from
 *      seinctl, signals from peers) goes into ONE write transaction, and
 *      whatever must happen after it (replies, receipts, queue changes)
 *      into the deferred list. Writes that are not urgent (the "sent"
 *      audit entries of signals handed to the network, a due tree head,
 *      settling the receipts that came back) join that transaction at
 *      the end of the turn, or get one of their own after LAZY_MS;
 *   3. make the turn durable once (group commit: one journal record and one
 * fdatasync per turn at most, store.c and journal.c), then run the
 * deferred list: on success as planned, on failure as errors, so nothing is
 * acknowledged that is not on disk;
 *   4. send what the peers' queues hold, and resend what timed out;
 *   5. checkpoint the store (commit the turns to LMDB) when due.
 * Runtime errors are logged and survived.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "auditd.h"
#include "cases.h"
#include "daemon.h"

/* Writes that are not urgent (the "sent" audit entries, settling the
 * receipts that came back) wait for the next turn that commits anyway, at
 * most this long (ms). They touch the same pages as the accepting writes
 * of newer signals (the newest outbox records, the end of the audit log),
 * so riding along costs that commit little, while a commit of their own
 * would cost a full disk sync, and a new signal arriving during it would
 * wait for it. */
#define LAZY_MS 20

static sh_daemon *the_daemon;

static void on_signal(int sig)
{
	(void)sig;
	if (the_daemon)
		the_daemon->stop = 1;
}

/* SIGHUP, which tools send to ask a daemon to reload, must not end this
 * one: it is logged, and nothing else happens. */
static volatile sig_atomic_t got_hup;

static void on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

/* LMDB maps data.mdb: a damaged page that names a page past the end of
 * the file makes the read of it a SIGBUS. While the store is opened and
 * checked at start that is a damaged store, said as such; later it is a
 * crash as before (the restart then meets it here). */
static sigjmp_buf bus_at;
static volatile sig_atomic_t bus_armed;

static void on_bus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_at, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void daemon_problem(sh_daemon *d, int level, const char *fmt, va_list ap)
{
	char line[400]; /* the longest (a rolled back audit log) fit whole */
	vsnprintf(line, sizeof(line), fmt, ap);
	sh_log(level, "%s", line);
	snprintf(d->last_errors[d->last_error_pos], sizeof(d->last_errors[0]),
	         "%s", line);
	d->last_error_pos = (d->last_error_pos + 1) % 8;
}

void sh_daemon_error(sh_daemon *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	daemon_problem(d, SH_LOG_ERROR, fmt, ap);
	va_end(ap);
}

void sh_daemon_warn(sh_daemon *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	daemon_problem(d, SH_LOG_WARN, fmt, ap);
	va_end(ap);
}

sh_peer *sh_peer_find(sh_daemon *d, const char *partner)
{
	for (size_t i = 0; i < d->npeers; i++)
		if (!d->peers[i].removed &&
		    strcmp(d->peers[i].card.partner, partner) == 0)
			return &d->peers[i];
	return NULL;
}

static void trust_event(sh_daemon *d, Seinhuis__AuditEvent ev, const sh_card *c,
                        const char *what)
{
	static const uint8_t none[SH_ID_LEN];
	char fp[17], detail[120];
	sh_key_fingerprint(fp, c->curve_pub);
	snprintf(detail, sizeof(detail), "%s; CURVE key %s", what, fp);
	sh_err e = sh_audit_signal_event(
	    d, ev, none, c->partner, SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED,
	    what, "", detail);
	if (e)
		sh_daemon_txn_fail(d, e);
}

/* The trust store changed on disk (seinkey trust / revoke): take it in
 * without a restart. A removed partner is cut off at once: its queue is
 * dropped from memory (its outbox records stay), and the listener is
 * re-bound, which closes every connection accepted through it; trusted
 * partners reconnect within a fraction of a second and resend what was in
 * flight, while the removed one's new handshakes are refused by ZAP. */
/* A card replaced while the daemon runs: a signing key it named that the
 * trust store no longer knows for the partner (the card was copied in by
 * hand, so nothing kept the replaced one in earlier/) leaves the signals
 * it signed unproven in seinctl inbox show. Said, with the remedy. */
static void signing_keys_kept(sh_daemon *d, const sh_card *was,
                              const sh_card *now)
{
	sh_keyhist *h = sh_xmalloc(sizeof(*h));
	sh_keyhist_load(h, d->cfg.trustdir, now);
	const uint8_t *k[2] = {was->sign_pub,
	                       was->has_prev ? was->prev_sign : NULL};
	for (int i = 0; i < 2; i++) {
		if (!k[i] || sh_keyhist_find(h, k[i]))
			continue;
		char fp[17];
		sh_key_fingerprint(fp, k[i]);
		sh_daemon_warn(
		    d,
		    "trust store: %s's card no longer names signing key %s, "
		    "and no card in %.300s/" SH_EARLIER_CARDS "/ does: the "
		    "signals it signed show as not proven in seinctl inbox "
		    "show; put the replaced card there (seinkey trust keeps "
		    "it)",
		    now->partner, fp, d->cfg.trustdir);
	}
	free(h);
}

static void trust_reload(sh_daemon *d)
{
	char why[1024];
	sh_trust nt;
	int recent;
	uint64_t sig = sh_trust_signature(d->cfg.trustdir, &recent);
	if (sig == d->trust_sig)
		return;
	if (sh_trust_owner_check(d->cfg.trustdir, why, sizeof(why)) != SH_OK ||
	    sh_trust_load_as(&nt, d->cfg.trustdir, &d->self.card, why,
	                     sizeof(why)) != SH_OK) {
		/* a card changed just now may be one being written (cp over
		 * it): looked at again next time, and said once it stays */
		if (recent)
			return;
		d->trust_sig = sig;
		sh_daemon_error(
		    d, "trust store not reloaded, the old one stays: %.300s",
		    why);
		return;
	}
	/* a change within the file system's time granularity would leave
	 * the signature as it is: read again until the cards are older */
	d->trust_sig = recent ? 0 : sig;
	/* what the loader set aside, said when it is new */
	for (size_t i = 0; i < nt.nwarn; i++) {
		size_t k = 0;
		while (k < d->trust.nwarn &&
		       strcmp(d->trust.warn[k], nt.warn[i]) != 0)
			k++;
		if (k == d->trust.nwarn)
			sh_daemon_warn(d, "trust store: %.300s", nt.warn[i]);
	}
	size_t added = 0, changed = 0, removed = 0;
	for (size_t i = 0; i < d->npeers; i++) {
		sh_peer *p = &d->peers[i];
		if (p->removed)
			continue;
		const sh_card *c = sh_trust_find(&nt, p->card.partner);
		int keys_changed =
		    c && (memcmp(c->curve_pub, p->card.curve_pub, 32) ||
		          memcmp(c->sign_pub, p->card.sign_pub, 32) ||
		          memcmp(c->seal_pub, p->card.seal_pub, 32) ||
		          strcmp(c->endpoint, p->card.endpoint) ||
		          strcmp(c->role, p->card.role));
		if (c && !keys_changed) {
			p->card = *c; /* name, municipalities */
			continue;
		}
		sh_peer_close(d, p);
		if (!c) {
			trust_event(d,
			            SEINHUIS__AUDIT_EVENT__AUDIT_TRUST_REMOVED,
			            &p->card, "removed from the trust store");
			/* its entries, also those a receipt or a failure
			 * settles in this turn: DEFER_DONE finds them by id
			 * and lets them be */
			sh_outq_drop_peer(d, p);
			/* the pair keys that open its signals go with it,
			 * also from the threads' HMAC states */
			sh_wipe(&p->keys, sizeof(p->keys));
			p->keys_ready = 0;
			sh_crypto_forget_everywhere();
			p->removed = 1;
			removed++;
			sh_info("trust store: %s removed; its connections are "
			        "dropped",
			        p->card.partner);
		} else {
			signing_keys_kept(d, &p->card, c);
			p->card = *c;
			sh_wipe(&p->keys, sizeof(p->keys));
			p->keys_ready = 0;
			sh_crypto_forget_everywhere();
			trust_event(d,
			            SEINHUIS__AUDIT_EVENT__AUDIT_TRUST_CHANGED,
			            c, "card changed");
			changed++;
			sh_info("trust store: %s changed; reconnecting",
			        c->partner);
		}
	}
	for (size_t i = 0; i < nt.n; i++) {
		if (sh_peer_find(d, nt.cards[i].partner))
			continue;
		if (d->npeers == d->peers_cap) {
			sh_daemon_error(
			    d,
			    "trust store: no room for partner %s until "
			    "a restart",
			    nt.cards[i].partner);
			continue;
		}
		sh_peer *p = &d->peers[d->npeers++];
		memset(p, 0, sizeof(*p));
		p->card = nt.cards[i];
		p->rto_ms = d->cfg.retry_min_ms;
		trust_event(d, SEINHUIS__AUDIT_EVENT__AUDIT_TRUST_ADDED,
		            &p->card, "added to the trust store");
		added++;
		sh_info("trust store: %s added", p->card.partner);
		/* signals accepted for it earlier (a partner trusted again) */
		if (sh_outq_load_partner(d, p->card.partner) != SH_OK)
			sh_daemon_error(
			    d, "outbox: cannot read pending signals for %s",
			    p->card.partner);
		sh_peer_recover_load(d, p);
	}
	sh_trust_free(&d->trust);
	d->trust = nt;
	if (removed || changed)
		sh_peer_rebind(d);
	if (added || removed || changed)
		sh_info(
		    "trust store reloaded: %zu added, %zu changed, %zu removed",
		    added, changed, removed);
}

/* seinkey rotate while the daemon runs: it goes on with the keys it
 * started with, which its key directory now keeps in previous/, until it
 * is restarted, and partners accept them only until the overlap ends.
 * Said at the warn level when noticed and hourly after, at the error level
 * once the overlap has ended (seinctl status and check show it too). A
 * card that cannot be read (being written) is looked at again next time.
 */
static void keys_check(sh_daemon *d, int64_t now)
{
	char path[1100], why[256];
	sh_card c;
	snprintf(path, sizeof(path), "%s/card", d->cfg.keydir);
	if (sh_card_load(&c, path, why, sizeof(why)) != SH_OK)
		return;
	const sh_card *own = &d->self.card;
	if (memcmp(c.curve_pub, own->curve_pub, SH_KEY_LEN) == 0 &&
	    memcmp(c.sign_pub, own->sign_pub, SH_KEY_LEN) == 0) {
		d->keys_replaced = 0;
		return;
	}
	d->keys_replaced = 1;
	d->keys_replaced_until =
	    c.has_prev && memcmp(c.prev_curve, own->curve_pub, SH_KEY_LEN) == 0
	        ? c.prev_until
	        : 0;
	int ended = now >= d->keys_replaced_until;
	if (d->keys_replaced_logged && now - d->keys_replaced_logged < 3600 &&
	    ended == d->keys_replaced_logged_ended)
		return;
	d->keys_replaced_logged = now;
	d->keys_replaced_logged_ended = ended;
	char fp[17], until[32] = "";
	sh_key_fingerprint(fp, own->curve_pub);
	if (d->keys_replaced_until)
		sh_fmt_utc(until, sizeof(until), d->keys_replaced_until * 1000);
	if (!ended)
		sh_daemon_warn(
		    d,
		    "key rotation: %s/card is no longer the card this daemon "
		    "runs with (key %s): restart seinhuisd to use the new "
		    "keys once every partner has trusted the new card, "
		    "before the overlap ends at %s; after that partners "
		    "refuse the keys it runs with (KEY_EXPIRED)",
		    d->cfg.keydir, fp, until);
	else
		sh_daemon_error(
		    d,
		    "key rotation: this daemon still runs with key %s, which "
		    "%s/card replaced%s%s; partners that trusted the new card "
		    "refuse it (KEY_EXPIRED): restart seinhuisd now",
		    fp, d->cfg.keydir,
		    until[0] ? " and whose overlap ended at " : "", until);
}

/* Key rotation, checked each second. A partner's previous key whose
 * overlap just ended: the listener is re-bound, which closes connections
 * made with it (new ones are refused by ZAP as KEY_EXPIRED), logged and
 * audited. Our own previous keys (KEYDIR/previous/) are removed once their
 * overlap has ended, unless they are the keys this daemon runs with (it
 * was not restarted after the rotation; keys_check). */
static void rotation_tick(sh_daemon *d)
{
	int64_t now = sh_now_ms() / 1000, since = d->prev_keys_checked_s;
	int ended = 0;
	keys_check(d, now);
	d->prev_keys_checked_s = now;
	for (size_t i = 0; since && i < d->npeers; i++) {
		const sh_card *c = &d->peers[i].card;
		if (d->peers[i].removed || !c->has_prev ||
		    c->prev_until > now || c->prev_until <= since)
			continue;
		ended++;
		sh_daemon_warn(
		    d,
		    "peer %s: the overlap of its previous key has ended; "
		    "that key is refused from now on (%s)",
		    c->partner, sh_err_rule(SH_ERR_KEY_EXPIRED));
		sh_audit_key_expired(d, c, "overlap ended");
	}
	if (ended)
		sh_peer_rebind(d);
	if (d->keys_replaced ||
	    (d->prev_keys_stuck && now - d->prev_keys_stuck < 3600))
		return; /* kept while in use; tried again hourly */
	int pr = sh_identity_prune_previous(d->cfg.keydir, now);
	if (pr == 0)
		d->prev_keys_stuck = 0; /* nothing (left) to remove */
	if (pr > 0) {
		d->prev_keys_stuck = 0;
		sh_info("key rotation: the previous keys' overlap has ended; "
		        "%s/previous removed",
		        d->cfg.keydir);
	} else if (pr < 0) {
		if (!d->prev_keys_stuck)
			sh_daemon_error(
			    d,
			    "key rotation: the previous keys' overlap has "
			    "ended, but %s/previous cannot be removed: %s "
			    "(the daemon needs write access to its key "
			    "directory; the next 'seinkey rotate' removes it "
			    "too); tried again hourly",
			    d->cfg.keydir, strerror(errno));
		d->prev_keys_stuck = now;
	}
}

/* At most this many done defers are kept, and only with buffers of up to
 * DEFER_KEEP_BUF bytes (replies and receipt frames; a large reply's
 * buffer is let go). */
#define DEFER_POOL     4096
#define DEFER_KEEP_BUF 4096

sh_defer *sh_defer_add(sh_daemon *d, sh_defer_kind kind)
{
	sh_defer *df = d->defer_free;
	if (df) {
		d->defer_free = df->next;
		d->defer_nfree--;
		sh_buf data = df->data, rid = df->routing_id;
		memset(df, 0, sizeof(*df));
		df->data = data; /* len 0, wiped */
		df->routing_id = rid;
	} else {
		df = sh_xcalloc(1, sizeof(*df));
	}
	df->kind = kind;
	if (d->defer_tail)
		d->defer_tail->next = df;
	else
		d->defer_head = df;
	d->defer_tail = df;
	return df;
}

sh_err sh_daemon_txn(sh_daemon *d)
{
	if (d->txn_error)
		return d->txn_error;
	sh_err e = sh_store_begin(d->store);
	if (e)
		d->txn_error = e;
	return e;
}

int sh_daemon_write_ok(sh_daemon *d)
{
	if (d->turn_writes >= d->write_cap)
		return 0;
	d->turn_writes++;
	d->writes_since_usage++;
	return 1;
}

/* Room one accepted signal takes in the store before it is delivered
 * (record, envelope, natural key, id index), and the room it still needs
 * to be settled: the audit entries of sending it (again after each restart)
 * and of its receipt, each about 400 bytes with its Merkle tree nodes
 * (measured on a full 1 MiB store). Likewise a signal in the inbox needs
 * room for the audit entry of taking it (ack) or of its removal at the end
 * of its retention. Settling only shrinks an outbox record and taking a
 * signal frees about as much as its audit entry takes, while the audit
 * log only grows: a store that took signals until it was full could not
 * drain. The reserves keep that room free. */
#define SH_SIGNAL_BYTES   1024
#define SH_SETTLE_RESERVE 1536
#define SH_TAKE_RESERVE   512

/* From SH_STORE_WARN of the map, counted as the refusal below counts it
 * (in use, plus the room kept for what the store holds), the log warns,
 * at most once an hour, that the store is filling: new signals are
 * refused past SH_STORE_REFUSE, and raising map_size needs a restart, so
 * the operator hears of it while there is time. */
#define SH_STORE_WARN_EACH (3600 * 1000)

double sh_daemon_store_usage(sh_daemon *d, int64_t max_age_ms, double *need)
{
	int64_t now = sh_mono_ms();
	if (now - d->usage_at >= max_age_ms || d->usage_at == 0 ||
	    d->writes_since_usage >= 32) {
		/* committed pages only: the open transaction's writes are
		 * counted below (in_turn) */
		d->usage = sh_store_usage(d->store);
		d->usage_at = now;
		d->writes_since_usage = 0;
	}
	sh_store_counts sc;
	sh_store_counts_get(d->store, &sc);
	double map = d->cfg.map_size ? (double)d->cfg.map_size : 1.0;
	size_t in_turn = sh_store_in_txn(d->store) ? d->turn_writes : 0;
	double n = d->usage + (double)in_turn * SH_SIGNAL_BYTES / map +
	           (double)(d->pending.n + in_turn) * SH_SETTLE_RESERVE / map +
	           (double)sc.inbox_depth * SH_TAKE_RESERVE / map;
	if (need)
		*need = n;
	if (n >= SH_STORE_WARN &&
	    (d->usage_warned == 0 ||
	     now - d->usage_warned >= SH_STORE_WARN_EACH)) {
		d->usage_warned = now;
		sh_warn(
		    "store: %.0f%% of map_size (%zu MB) in use, %.0f%% with "
		    "the room kept to settle %zu pending and take %llu "
		    "inbox signals; new signals are refused from 75%%: "
		    "raise map_size in the configuration and restart",
		    d->usage * 100.0, d->cfg.map_size >> 20, n * 100.0,
		    d->pending.n, (unsigned long long)sc.inbox_depth);
	}
	return d->usage;
}

int sh_daemon_store_refusing(sh_daemon *d, double need)
{
	if (d->full_latched && d->usage < SH_STORE_UNLATCH)
		d->full_latched = 0;
	return d->full_latched || need > SH_STORE_REFUSE;
}

int sh_daemon_store_full(sh_daemon *d)
{
	int64_t now = sh_mono_ms();
	double need;
	sh_daemon_store_usage(d, 1000, &need);
	/* Keep a quarter of the map for the writes that free room: settling
	 * receipts (dropping envelopes), taking signals, retention. Once a
	 * commit found the map full, new signals wait until it is below 65%. */
	int full = sh_daemon_store_refusing(d, need);
	if (full && now - d->full_logged >= 1000) {
		sh_store_counts sc;
		sh_store_counts_get(d->store, &sc);
		d->full_logged = now;
		sh_daemon_error(
		    d,
		    "store: new signals refused: %s (%.0f%% of the map in "
		    "use, %.0f%% with the room kept to settle %zu pending "
		    "and take %llu inbox signals)",
		    sh_err_rule(SH_ERR_STORE_FULL), d->usage * 100.0,
		    need * 100.0, d->pending.n,
		    (unsigned long long)sc.inbox_depth);
	}
	return full;
}

void sh_daemon_txn_fail(sh_daemon *d, sh_err e)
{
	if (!d->txn_error)
		d->txn_error = e;
}

static void error_reply(sh_buf *out, sh_err e)
{
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	char text[256];
	snprintf(text, sizeof(text), "%s; nothing was accepted", sh_err_str(e));
	r.rule = (char *)sh_err_rule(e);
	r.error = text;
	sh_frame_append(out, &r.base);
}

/* A defer carried out: kept for sh_defer_add, its buffers wiped, or let
 * go. */
static void defer_done(sh_daemon *d, sh_defer *df)
{
	if (d->defer_nfree >= DEFER_POOL || df->data.cap > DEFER_KEEP_BUF ||
	    df->routing_id.cap > DEFER_KEEP_BUF) {
		sh_buf_free(&df->data);
		sh_buf_free(&df->routing_id);
		free(df);
		return;
	}
	if (df->data.len)
		sh_wipe(df->data.data, df->data.len);
	if (df->routing_id.len)
		sh_wipe(df->routing_id.data, df->routing_id.len);
	df->data.len = df->routing_id.len = 0;
	df->next = d->defer_free;
	d->defer_free = df;
	d->defer_nfree++;
}

static void defers_free(sh_daemon *d)
{
	while (d->defer_free) {
		sh_defer *df = d->defer_free;
		d->defer_free = df->next;
		sh_buf_free(&df->data);
		sh_buf_free(&df->routing_id);
		free(df);
	}
	d->defer_nfree = 0;
}

/* A turn that could not be stored is logged; nothing of it was
 * acknowledged (a client hears the error, a partner gets no receipt and
 * sends the signals again). On a full file system the journal cannot
 * grow and every turn that writes fails, each time a partner resends or a
 * client tries again: that is logged once a minute, with the turns
 * refused so far and the free space, and after such a line once when
 * turns are stored again. */
static void commit_logged(sh_daemon *d, sh_err e)
{
	int jfull = sh_store_journal_full(d->store);
	if (e == SH_OK && jfull == 0 && d->jfull_refused) {
		/* once for each line that told of refusals: on a disk that
		 * frees and fills again, not at each turn that fits */
		if (d->jfull_told)
			sh_info("store: turns are stored again, after %llu "
			        "refused for want of room in the file system",
			        (unsigned long long)d->jfull_refused);
		d->jfull_refused = 0;
		d->jfull_told = 0;
		/* jfull_logged stays: on a nearly full disk turns that fit
		 * and turns that do not alternate, and a line at each would
		 * be the flood this is to prevent. Refusals within a minute
		 * of a line are only counted. */
	}
	if (e == SH_OK)
		return;
	if (e != SH_ERR_STORE_FULL || !jfull) {
		sh_daemon_error(d, "store: commit failed: %s (%s)",
		                sh_err_rule(e), sh_err_str(e));
		return;
	}
	int64_t now = sh_mono_ms();
	d->jfull_refused++;
	if (d->jfull_logged && now - d->jfull_logged < 60000)
		return;
	d->jfull_logged = now;
	d->jfull_told = 1;
	char room[256];
	sh_fs_free_note(room, sizeof(room), d->cfg.datadir);
	/* the advice before the counts: a long data directory path in the
	 * free-space note may cut the line's end off */
	sh_daemon_error(d,
	                "store: commit failed: %s (the journal cannot grow: "
	                "%s; make room there; %llu turn(s) refused since one "
	                "was last stored, logged once a minute); nothing of "
	                "them was acknowledged (partners send their signals "
	                "again, clients were told)",
	                sh_err_rule(e), room[0] ? room : "no space left",
	                (unsigned long long)d->jfull_refused);
}

/* A frame to a partner after its turn committed (receipts, or an answer
 * to its recover request or audit head) that ZeroMQ did not take: the
 * partner gone, or its queue to it full. It sends the unanswered signals
 * again (answered as duplicates then), asks again, heads go with the next
 * exchange. Said at the warn level, at most once a minute a partner, with
 * how many so far: signals waiting on it stay pending meanwhile. */
static void frame_unsent(sh_daemon *d, sh_peer *p, int err)
{
	int64_t now = sh_mono_ms();
	p->frames_unsent++;
	if (p->frames_unsent_logged && now - p->frames_unsent_logged < 60000)
		return;
	p->frames_unsent_logged = now;
	sh_daemon_warn(d,
	               "peer %s: a frame of receipts or answers to it not "
	               "sent (%s; %llu so far, logged once a minute): it "
	               "sends those signals again, answered as duplicates",
	               p->card.partner, zmq_strerror(err),
	               (unsigned long long)p->frames_unsent);
}

/* Commit the turn's transaction and carry out what waited for it. */
static void finish_turn(sh_daemon *d)
{
	sh_err e = d->txn_error;
	int had_txn = sh_store_in_txn(d->store);
	if (had_txn) {
		if (e == SH_OK)
			e = sh_store_commit(d->store);
		else
			sh_store_abort(d->store);
		commit_logged(d, e);
		if (e == SH_ERR_STORE_FULL) {
			/* fewer writes per turn until they fit again */
			d->write_cap =
			    d->turn_writes / 4 > 1 ? d->turn_writes / 4 : 1;
			d->usage_at = 0;
			d->full_latched = 1;
		} else if (e == SH_OK && d->write_cap < SIZE_MAX / 2) {
			d->write_cap *= 2;
		} else if (e == SH_OK) {
			d->write_cap = SIZE_MAX;
		}
	}
	d->turn_writes = 0;
	d->txn_error = SH_OK;
	d->wit_rb_pending_ms = 0;
	if (e == SH_OK && d->turn_failed_ms)
		d->last_failed_ms = d->turn_failed_ms;
	for (size_t i = 0; i < d->npeers; i++) {
		sh_peer *p = &d->peers[i];
		if (e == SH_OK) {
			p->received += p->turn_received;
			p->rejected_in += p->turn_rejected_in;
			p->duplicates += p->turn_duplicates;
			d->received += p->turn_received;
			d->rejected_in += p->turn_rejected_in;
			d->duplicates += p->turn_duplicates;
		}
		p->turn_received = p->turn_rejected_in = p->turn_duplicates = 0;
	}
	if (e == SH_OK && d->turn_quarantined_ms)
		d->last_quarantined_ms = d->turn_quarantined_ms;
	d->turn_failed_ms = d->turn_quarantined_ms = 0;
	sh_control_turn_reset(d);
	sh_defer *df = d->defer_head;
	d->defer_head = d->defer_tail = NULL;
	while (df) {
		sh_defer *next = df->next;
		switch (df->kind) {
		case DEFER_CTL_REPLY:
			df->conn->pending -= df->data.len;
			if (df->is_write && e != SH_OK)
				error_reply(&df->conn->out, e);
			else
				sh_buf_add(&df->conn->out, df->data.data,
				           df->data.len);
			break;
		case DEFER_RECEIPTS:
			/* its sender's clock as it goes (sh_peer_clock) */
			if (e == SH_OK)
				sh_frame_stamp(&df->data, sh_now_ms());
			if (e == SH_OK &&
			    (zmq_send(d->router, df->routing_id.data,
			              df->routing_id.len,
			              ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
			     zmq_send(d->router, df->data.data, df->data.len,
			              ZMQ_DONTWAIT) < 0))
				frame_unsent(d, df->peer, errno);
			break;
		case DEFER_ENQUEUE:
			/* a partner removed from the trust store later in
			 * the turn gets no queue entry: the record waits, as
			 * its other pending ones do, until it is trusted
			 * again (sh_outq_load_partner) */
			if (e == SH_OK && !df->peer->removed) {
				sh_outq_append(d, df->peer, df->seq, df->id,
				               df->env);
				df->env = NULL; /* the entry has it now */
			}
			if (e == SH_OK)
				d->accepted++;
			sh_outq_env_drop(d, &df->env);
			break;
		case DEFER_REQUEUE:
			if (e == SH_OK && !df->peer->removed)
				sh_outq_append(d, df->peer, df->seq, df->id,
				               NULL)
				    ->resent = 1;
			break;
		case DEFER_RECOVER_ASK:
			if (e == SH_OK)
				sh_peer_recover_set(df->peer, df->at);
			break;
		case DEFER_RESEND_STEP:
			sh_peer_resend_step_done(d, df, e == SH_OK);
			break;
		case DEFER_ROLLED_BACK:
			/* not committed: the next head handed back finds it
			 * again */
			if (e == SH_OK) {
				d->audit_rolled_back_ms = df->at;
				if ((int64_t)df->seq > d->audit_explained_ms)
					d->audit_explained_ms =
					    (int64_t)df->seq;
			}
			break;
		case DEFER_PARTNER_ROLLED_BACK:
			/* not recorded: the next head finds it again */
			if (e != SH_OK)
				df->peer->wit_rb_at = df->at;
			break;
		case DEFER_RECOVER_ANSWERED:
			/* not committed: it is asked again */
			if (e == SH_OK) {
				df->peer->recover_answered_ms = sh_now_ms();
				df->peer->recover_count = df->seq;
				df->peer->recover_deferred_until_ms = 0;
			}
			break;
		case DEFER_DONE:
			sh_outq_settled(d, df->peer, df->id, df->status,
			                e == SH_OK);
			break;
		}
		defer_done(d, df);
		df = next;
	}
	sh_control_waiters(d);
	for (sh_ctl_conn *c = d->conns; c; c = c->next)
		if (c->out.len)
			sh_control_write(d, c);
}

struct sweep_ctx {
	sh_daemon *d;
	MDB_txn *txn;
	int64_t now;
	uint64_t *seqs;
	uint8_t (*ids)[SH_ID_LEN];
	/* each one's sender and type, for its audit entry (and so for the
	 * report's retention removals per partner and type) */
	char (*senders)[SH_PARTNER_MAX + 1];
	Seinhuis__SignalType *types;
	/* its case was picked up: past keep_taken (2), or closed: past
	 * keep_closed (3); else 0 */
	unsigned char *picked;
	size_t n;
};

/* A signal whose case a caseworker claimed or recorded a step for (since
 * the signal arrived) has been picked up, though not taken out of the
 * inbox: it is kept until keep_taken after the case's newest step or
 * claim, and once the case is closed (its newest step is `closed`) as
 * long as the case record, until keep_closed after the closing if that is
 * later (sh_cases_retention). Returns 1 while it is kept so, 2 once
 * keep_taken is over, 3 once keep_closed is, 0 for a signal nobody picked
 * up. */
static int picked_up(struct sweep_ctx *c, const Seinhuis__InboxRecord *r,
                     const sh_type_rule *t)
{
	Seinhuis__CaseRecord *cr = NULL;
	if (r->case_key.len != SH_KEY_LEN ||
	    sh_store_case_get(c->d->store, c->txn, r->case_key.data, &cr) !=
	        SH_OK)
		return 0;
	int64_t last = cr->claimed_ms;
	if (cr->n_steps && cr->steps[cr->n_steps - 1]->time_ms > last)
		last = cr->steps[cr->n_steps - 1]->time_ms;
	int picked = (cr->owner[0] || cr->n_steps) && last >= r->received_ms;
	int64_t closed_at =
	    cr->n_steps &&
	            strcmp(cr->steps[cr->n_steps - 1]->step, "closed") == 0
	        ? cr->steps[cr->n_steps - 1]->time_ms
	        : -1;
	seinhuis__case_record__free_unpacked(cr, NULL);
	if (!picked)
		return 0;
	int64_t taken_until = last + t->keep_taken_s * 1000;
	int64_t closed_until =
	    closed_at < 0 ? -1 : closed_at + t->keep_closed_s * 1000;
	if (taken_until > c->now || closed_until > c->now)
		return 1;
	return closed_until > taken_until ? 3 : 2;
}

static int sweep_one(void *vctx, uint64_t seq, const Seinhuis__InboxRecord *r)
{
	struct sweep_ctx *c = vctx;
	const sh_type_rule *t = sh_catalogue_type(&c->d->cat, r->type);
	if (!t || r->message_id.len != SH_ID_LEN ||
	    r->received_ms + t->keep_unanswered_s * 1000 > c->now)
		return 0;
	int picked = picked_up(c, r, t);
	if (picked == 1)
		return 0;
	c->seqs = realloc(c->seqs, (c->n + 1) * sizeof(*c->seqs));
	c->ids = realloc(c->ids, (c->n + 1) * sizeof(*c->ids));
	c->senders = realloc(c->senders, (c->n + 1) * sizeof(*c->senders));
	c->types = realloc(c->types, (c->n + 1) * sizeof(*c->types));
	c->picked = realloc(c->picked, c->n + 1);
	if (!c->seqs || !c->ids || !c->senders || !c->types || !c->picked)
		abort();
	c->picked[c->n] = (unsigned char)picked;
	c->seqs[c->n] = seq;
	memcpy(c->ids[c->n], r->message_id.data, SH_ID_LEN);
	snprintf(c->senders[c->n], sizeof(c->senders[c->n]), "%s", r->sender);
	c->types[c->n] = r->type;
	return ++c->n >= 10000; /* the next sweep takes the rest */
}

/* Outbox records removed in one retention sweep at most (a turn that the
 * signals waiting behind it wait for); a sweep that reaches it is followed
 * by the next one a second later instead of after retention_interval. */
#define SH_OUTBOX_SWEEP_MAX 2000

struct out_sweep {
	sh_daemon *d;
	int64_t now, keep_min_s, keep_max_s;
	uint64_t *seqs;
	size_t n, cap;
};

static int out_sweep_one(void *vctx, uint64_t seq,
                         const Seinhuis__OutboxRecord *r)
{
	struct out_sweep *c = vctx;
	/* records are kept in the order accepted: from here on none is old
	 * enough for even the shortest keep_sent */
	if (r->created_ms + c->keep_min_s * 1000 > c->now)
		return 1;
	if (r->state == SEINHUIS__OUT_STATE__OUT_PENDING)
		return 0; /* still to be delivered: never removed here */
	const sh_type_rule *t = sh_catalogue_type(&c->d->cat, r->type);
	int64_t keep = t ? t->keep_sent_s : c->keep_max_s;
	if (r->created_ms + keep * 1000 > c->now)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->seqs = realloc(c->seqs, c->cap * sizeof(*c->seqs));
		if (!c->seqs)
			abort();
	}
	c->seqs[c->n] = seq;
	/* a turn of its own, kept short: the next sweep, soon, takes the
	 * rest */
	return ++c->n >= SH_OUTBOX_SWEEP_MAX;
}

/* Retention at the sender: a settled outbox record (delivered or failed)
 * is removed once its signal was accepted longer ago than the catalogue's
 * keep_sent for its type, with its id index and its natural key, so a
 * row imported again after that is sent as a new signal. Pending records
 * are never removed. Each removal is audited by message id. */
static sh_err outbox_retention(sh_daemon *d, int64_t now, int *more)
{
	int64_t t0 = sh_mono_ms();
	struct out_sweep c = {d, now, INT64_MAX / 2000, 0, NULL, 0, 0};
	if (d->cat.ntypes == 0)
		return SH_OK;
	/* The scan stops at the first record younger than the shortest
	 * keep_sent of the types this partner sends: a shorter one of a type
	 * it never sends (a municipality's status_feedback, 6 months, at a
	 * creditor keeping arrears 12) would have every sweep read half a
	 * year of records only to keep them. A record of a type it does
	 * not send (the catalogue changed since) waits for that point too;
	 * without any type it sends, the shortest of all types counts. */
	int64_t min_all = c.keep_min_s;
	for (size_t i = 0; i < d->cat.ntypes; i++) {
		const sh_type_rule *t = &d->cat.types[i];
		if (sh_role_in(t->senders, d->self.card.role) &&
		    t->keep_sent_s < c.keep_min_s)
			c.keep_min_s = t->keep_sent_s;
		if (t->keep_sent_s < min_all)
			min_all = t->keep_sent_s;
		if (t->keep_sent_s > c.keep_max_s)
			c.keep_max_s = t->keep_sent_s;
	}
	if (c.keep_min_s == INT64_MAX / 2000)
		c.keep_min_s = min_all;
	MDB_txn *txn = sh_store_txn(d->store);
	sh_err e = sh_store_outbox_scan(d->store, txn, 0, out_sweep_one, &c);
	size_t removed = 0;
	for (size_t i = 0; e == SH_OK && i < c.n; i++) {
		Seinhuis__OutboxRecord *r = NULL;
		e = sh_store_outbox_envelope(d->store, txn, c.seqs[i], &r);
		if (e == SH_OK)
			e = sh_store_outbox_remove(d->store, c.seqs[i], r);
		if (e == SH_OK)
			e = sh_audit_signal_event(
			    d, SEINHUIS__AUDIT_EVENT__AUDIT_RETENTION_REMOVED,
			    r->message_id.data, r->recipient, r->type,
			    "removed", "",
			    "outbox record past keep_sent of the catalogue");
		if (r)
			seinhuis__outbox_record__free_unpacked(r, NULL);
		if (e == SH_OK)
			removed++;
	}
	if (removed)
		sh_info("retention: %zu settled outbox record(s) removed, "
		        "past keep_sent of the catalogue (%lld ms)",
		        removed, (long long)(sh_mono_ms() - t0));
	if (c.n >= SH_OUTBOX_SWEEP_MAX)
		*more = 1;
	free(c.seqs);
	return e;
}

/* The envelopes of delivered signals kept for a recipient's recover, past
 * resend_window (store.c). */
/* The prints of taken meldcode reports (cases.c, sh_report_print_keep)
 * go after the type's keep_taken: no notice on the report is compared
 * with it after that. */
static sh_err print_retention(sh_daemon *d, int64_t now, int *more)
{
	const sh_type_rule *t =
	    sh_catalogue_type(&d->cat, SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT);
	size_t removed = 0;
	int64_t keep = t ? t->keep_taken_s : 0;
	sh_err e = sh_store_print_expire(d->store, now - keep * 1000,
	                                 SH_OUTBOX_SWEEP_MAX, &removed);
	if (removed)
		sh_info("retention: the prints of %zu taken meldcode "
		        "report(s) removed, past keep_taken",
		        removed);
	if (removed == SH_OUTBOX_SWEEP_MAX)
		*more = 1;
	return e;
}

static sh_err envelope_retention(sh_daemon *d, int64_t now, int *more)
{
	size_t dropped = 0;
	int env_more = 0;
	sh_err e = sh_store_outbox_env_expire(
	    d->store, now, SH_OUTBOX_SWEEP_MAX, &dropped, &env_more);
	if (dropped)
		sh_info("retention: the envelopes of %zu delivered signal(s) "
		        "dropped, past resend_window",
		        dropped);
	if (env_more)
		*more = 1;
	return e;
}

/* Quarantined signals removed in one retention sweep at most: only the
 * records removed count, so that records kept do not stop the sweep
 * before the ones past their keep period behind them. */
struct q_sweep {
	sh_daemon *d;
	int64_t now, keep_max_s;
	uint8_t (*ids)[SH_ID_LEN];
	char (*senders)[SH_PARTNER_MAX + 1];
	Seinhuis__SignalType *types;
	size_t n, cap;
};

static int q_sweep_one(void *vctx, const Seinhuis__QuarantineRecord *r)
{
	struct q_sweep *c = vctx;
	if (r->message_id.len != SH_ID_LEN)
		return 0;
	const sh_type_rule *t = sh_catalogue_type(&c->d->cat, r->type);
	int64_t keep = t ? t->keep_unanswered_s : c->keep_max_s;
	if (r->received_ms + keep * 1000 > c->now)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->ids = realloc(c->ids, c->cap * sizeof(*c->ids));
		c->senders = realloc(c->senders, c->cap * sizeof(*c->senders));
		c->types = realloc(c->types, c->cap * sizeof(*c->types));
		if (!c->ids || !c->senders || !c->types)
			abort();
	}
	memcpy(c->ids[c->n], r->message_id.data, SH_ID_LEN);
	snprintf(c->senders[c->n], sizeof(c->senders[c->n]), "%s", r->sender);
	c->types[c->n] = r->type;
	return ++c->n >= SH_OUTBOX_SWEEP_MAX; /* the next sweep, soon */
}

/* Retention of the quarantine: a signal that broke the catalogue was never
 * delivered, so it is kept as one nobody took, keep_unanswered of its type
 * after it was received; a type the catalogue no longer has, the longest
 * keep_unanswered of the types this partner may receive. Each removal is
 * audited by message id, sender and type. */
static sh_err quarantine_retention(sh_daemon *d, int64_t now, int *more)
{
	struct q_sweep c = {d, now, 0, NULL, NULL, NULL, 0, 0};
	if (d->cat.ntypes == 0)
		return SH_OK;
	int64_t max_all = 0;
	for (size_t i = 0; i < d->cat.ntypes; i++) {
		const sh_type_rule *t = &d->cat.types[i];
		if (sh_role_in(t->recipients, d->self.card.role) &&
		    t->keep_unanswered_s > c.keep_max_s)
			c.keep_max_s = t->keep_unanswered_s;
		if (t->keep_unanswered_s > max_all)
			max_all = t->keep_unanswered_s;
	}
	if (c.keep_max_s == 0)
		c.keep_max_s = max_all;
	sh_err e = sh_store_quarantine_scan(d->store, sh_store_txn(d->store),
	                                    q_sweep_one, &c);
	size_t removed = 0;
	for (size_t i = 0; e == SH_OK && i < c.n; i++) {
		e = sh_store_quarantine_del(d->store, c.ids[i]);
		if (e == SH_OK)
			e = sh_audit_signal_event(
			    d, SEINHUIS__AUDIT_EVENT__AUDIT_RETENTION_REMOVED,
			    c.ids[i], c.senders[i], c.types[i], "removed", "",
			    "quarantined signal past keep_unanswered of the "
			    "catalogue");
		if (e == SH_OK)
			removed++;
	}
	if (removed)
		sh_info("retention: %zu quarantined signal(s) removed, past "
		        "keep_unanswered of the catalogue",
		        removed);
	if (c.n >= SH_OUTBOX_SWEEP_MAX)
		*more = 1;
	free(c.ids);
	free(c.senders);
	free(c.types);
	return e;
}

/* When a consent ended: its revocation, or the start of the day after its
 * last day (the Dutch calendar, as consent_valid judges it), whichever came
 * first; 0 while it is in force. *revoked: it ended by its revocation. */
static int64_t consent_ended_ms(const Seinhuis__ConsentRecord *r,
                                const char *today, int *revoked)
{
	int64_t until = 0;
	int y, m, dd;
	if (r->valid_until[0] && strcmp(today, r->valid_until) > 0 &&
	    sscanf(r->valid_until, "%4d-%2d-%2d", &y, &m, &dd) == 3)
		until = sh_plus_days_nl(sh_nl_to_ms(y, m, dd, 0, 0, 0), 1, 0);
	*revoked = r->revoked_ms > 0 && (!until || r->revoked_ms < until);
	return *revoked ? r->revoked_ms : until;
}

/* keep_consent for a consent of this purpose: the longest of the types
 * that use a consent for it (not the revocation, which only names it);
 * where none does (the catalogue changed since it was granted), the
 * longest of all types. */
static int64_t consent_keep_s(const sh_catalogue *cat, const char *purpose)
{
	int64_t keep = -1, all = 0;
	for (size_t i = 0; i < cat->ntypes; i++) {
		const sh_type_rule *t = &cat->types[i];
		if (t->keep_consent_s > all)
			all = t->keep_consent_s;
		if (t->type != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION &&
		    sh_role_in(t->bases, "consent") &&
		    sh_consent_purpose_usable(t, purpose) &&
		    t->keep_consent_s > keep)
			keep = t->keep_consent_s;
	}
	return keep < 0 ? all : keep;
}

struct c_sweep {
	sh_daemon *d;
	MDB_txn *txn;
	int64_t now, keep_sent_max_s;
	int outbox_behind; /* the outbox sweep has more to remove */
	char today[11];
	uint8_t (*refs)[16];
	unsigned char *revoked;
	size_t n, cap;
};

static int c_sweep_one(void *vctx, const Seinhuis__ConsentRecord *r)
{
	struct c_sweep *c = vctx;
	int revoked;
	int64_t ended = consent_ended_ms(r, c->today, &revoked);
	if (r->ref.len != 16 || ended <= 0 ||
	    ended + consent_keep_s(&c->d->cat, r->purpose) * 1000 > c->now)
		return 0;
	/* a signal sent under it that the outbox still holds (pending, or
	 * settled and within keep_sent) keeps it */
	for (size_t i = 0; i < r->n_signal_ids; i++) {
		uint64_t seq;
		if (r->signal_ids[i].len == SH_ID_LEN &&
		    sh_store_outbox_find(c->d->store, c->txn,
		                         r->signal_ids[i].data, &seq,
		                         NULL) == SH_OK)
			return 0;
	}
	/* granted by a build that did not note its signals: any it had was
	 * accepted before it ended, so its outbox record goes once the
	 * longest keep_sent has passed since then (and the outbox sweep
	 * caught up) */
	if (!r->signals_noted &&
	    (c->outbox_behind || ended + c->keep_sent_max_s * 1000 > c->now))
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->refs = realloc(c->refs, c->cap * sizeof(*c->refs));
		c->revoked = realloc(c->revoked, c->cap);
		if (!c->refs || !c->revoked)
			abort();
	}
	memcpy(c->refs[c->n], r->ref.data, 16);
	c->revoked[c->n] = (unsigned char)revoked;
	return ++c->n >= SH_OUTBOX_SWEEP_MAX; /* the next sweep, soon */
}

/* Retention of the consent register: a consent that ended (revoked, or
 * past its last day) is removed once keep_consent of the catalogue (for
 * the types that use a consent of its purpose) has passed since, and the
 * outbox holds no signal sent under it any more (its signal_ids; such a
 * signal's record goes after keep_sent). Its proof that a signal went out
 * lawfully is needed no longer than that. Each removal is audited in the
 * same turn (retention_removed) by the consent's reference only: no
 * pseudonym, purpose or date; so is the log line. */
static sh_err consent_retention(sh_daemon *d, int64_t now, int *more)
{
	struct c_sweep c = {.d = d, .now = now, .outbox_behind = *more};
	if (d->cat.ntypes == 0)
		return SH_OK;
	for (size_t i = 0; i < d->cat.ntypes; i++)
		if (d->cat.types[i].keep_sent_s > c.keep_sent_max_s)
			c.keep_sent_max_s = d->cat.types[i].keep_sent_s;
	sh_date_nl(now, c.today);
	c.txn = sh_store_txn(d->store);
	sh_err e = sh_store_consent_scan(d->store, c.txn, c_sweep_one, &c);
	for (size_t i = 0; e == SH_OK && i < c.n; i++) {
		e = sh_store_consent_del(d->store, c.refs[i]);
		Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
		en.event = SEINHUIS__AUDIT_EVENT__AUDIT_RETENTION_REMOVED;
		en.message_id.data = c.refs[i];
		en.message_id.len = 16;
		en.outcome = "removed";
		en.detail =
		    c.revoked[i]
		        ? "consent record: revoked, past keep_consent of "
		          "the catalogue, no signal sent under it kept"
		        : "consent record: past its last day and "
		          "keep_consent of the catalogue, no signal "
		          "sent under it kept";
		if (e == SH_OK)
			e = sh_audit_record(d, &en);
		if (e == SH_OK) {
			char hex[33];
			sh_hex(hex, c.refs[i], 16);
			sh_info("retention: consent %s removed from the "
			        "register (%s, past keep_consent of the "
			        "catalogue; no signal sent under it is kept)",
			        hex, c.revoked[i] ? "revoked" : "expired");
		}
	}
	if (c.n >= SH_OUTBOX_SWEEP_MAX)
		*more = 1;
	free(c.refs);
	free(c.revoked);
	return e;
}

/* Retention: a signal the team has not taken within the catalogue's
 * keep_unanswered for its type is removed from the inbox (one in a case a
 * caseworker claimed or recorded a step for, keep_taken after the case's
 * newest step or claim, and once it is closed keep_closed after the
 * closing: picked_up). Its id stays in
 * `seen`, so a late re-send cannot bring it back. Then case records past
 * their keep period are removed (sh_cases_retention, cases.c), and the
 * sender's settled outbox records past keep_sent (outbox_retention),
 * the envelopes of delivered ones past resend_window (envelope_retention),
 * quarantined signals past keep_unanswered (quarantine_retention),
 * consents that ended past keep_consent (consent_retention) and the audit
 * log's entries past audit_keep (sh_audit_retention, auditd.c). */
int sh_retention_sweep(sh_daemon *d)
{
	struct sweep_ctx c = {.d = d, .now = sh_now_ms()};
	int more = 0;
	if (sh_daemon_txn(d) != SH_OK)
		return 0;
	c.txn = sh_store_txn(d->store);
	sh_err e = sh_store_inbox_scan(d->store, c.txn, sweep_one, &c);
	for (size_t i = 0; e == SH_OK && i < c.n; i++) {
		char idhex[33];
		sh_hex(idhex, c.ids[i], SH_ID_LEN);
		e = sh_store_inbox_remove(d->store, c.seqs[i], c.ids[i]);
		if (e == SH_OK)
			e = sh_audit_signal_event(
			    d, SEINHUIS__AUDIT_EVENT__AUDIT_RETENTION_REMOVED,
			    c.ids[i], c.senders[i], c.types[i], "removed", "",
			    c.picked[i] == 3
			        ? "past keep_closed of the catalogue (its "
			          "case was closed)"
			    : c.picked[i] == 2
			        ? "past keep_taken of the catalogue (its "
			          "case was picked up)"
			        : "past keep_unanswered of the catalogue");
		if (e == SH_OK)
			sh_debug("retention: %s removed from the inbox", idhex);
	}
	/* one line a sweep (up to 10,000 signals); the ids are in the
	 * audit log (retention_removed) and, at log_level debug, here */
	if (e == SH_OK && c.n)
		sh_info("retention: %zu signal(s) removed from the inbox, past "
		        "keep_unanswered of the catalogue (or keep_taken, "
		        "once their case was picked up, or keep_closed, once "
		        "it was closed)",
		        c.n);
	/* then the debt-help team's case records past their keep period */
	if (e == SH_OK)
		e = sh_cases_retention(d, c.now);
	if (e == SH_OK)
		e = outbox_retention(d, c.now, &more);
	if (e == SH_OK)
		e = envelope_retention(d, c.now, &more);
	if (e == SH_OK)
		e = print_retention(d, c.now, &more);
	if (e == SH_OK)
		e = quarantine_retention(d, c.now, &more);
	/* after the outbox: a consent goes once no signal under it is kept */
	if (e == SH_OK)
		e = consent_retention(d, c.now, &more);
	/* last: the audit log's own entries past audit_keep */
	if (e == SH_OK)
		e = sh_audit_retention(d, c.now, &more);
	if (c.n >= 10000)
		more = 1;
	if (e)
		sh_daemon_txn_fail(d, e);
	free(c.seqs);
	free(c.ids);
	free(c.senders);
	free(c.types);
	free(c.picked);
	return e == SH_OK && more;
}

static int64_t lazy_due(const sh_daemon *d)
{
	int64_t a = sh_audit_due(d, LAZY_MS), h = sh_peer_held_due(d, LAZY_MS);
	return a < h ? a : h;
}

/* Checkpoint (store.h) when due, after the turn's sends went out, so the
 * LMDB commit overlaps the peer's work. While the map is more than half
 * full, after every turn: the pages a checkpoint frees are only reused
 * after it. A failed checkpoint is tried again a second later (the store
 * says when). */
static void checkpoint_if_due(sh_daemon *d)
{
	int64_t now = sh_mono_ms(), due = sh_store_checkpoint_due(d->store);
	/* (a failed one waits out its pause, however full the map) */
	if (due == INT64_MAX ||
	    (due > now && (d->usage < 0.5 || d->ckpt_failures)))
		return;
	int64_t t0 = sh_mono_us();
	sh_err e = sh_store_checkpoint(d->store);
	d->usage_at = 0; /* committed pages changed */
	sh_debug("store: checkpoint in %.1f ms",
	         (double)(sh_mono_us() - t0) / 1000.0);
	/* made only if the journal's turns are committed now: the store
	 * answers OK too when it did not try (a turn open, a pause) */
	if (e == SH_OK && sh_store_checkpoint_due(d->store) != INT64_MAX)
		return;
	if (e == SH_OK) {
		if (d->ckpt_failures)
			sh_info("store: checkpoint made after %llu failed "
			        "tries; the journal is short again",
			        (unsigned long long)d->ckpt_failures);
		d->ckpt_failures = 0;
		return;
	}
	/* Each try replays the journal (store.c spaces them out); the log
	 * says so once a minute. A full file system (not the map: status
	 * shows that) is the usual cause, and what an operator must hear:
	 * signals are accepted while the journal can grow, then refused
	 * with STORAGE_FULL. */
	d->ckpt_failures++;
	const char *cause = "";
	sh_store_checkpoint_failing(d->store, &cause);
	char room[256];
	int full = sh_fs_free_note(room, sizeof(room), d->cfg.datadir);
	snprintf(d->ckpt_cause, sizeof(d->ckpt_cause), "%s%s%s", cause,
	         room[0] ? "; " : "", room);
	if (d->ckpt_failures > 1 && now - d->ckpt_failure_logged < 60000)
		return;
	d->ckpt_failure_logged = now;
	sh_daemon_error(d,
	                "store: checkpoint failed (%llu tries so far): %s "
	                "(%s); what it would have committed is safe in the "
	                "journal, and it is tried again (at most 8 s apart)",
	                (unsigned long long)d->ckpt_failures, sh_err_rule(e),
	                d->ckpt_cause);
	if (full == 1)
		sh_daemon_error(
		    d,
		    "store: make room in the file system of %s: new "
		    "signals are refused (STORAGE_FULL) once the "
		    "journal cannot grow",
		    d->cfg.datadir);
}

/* Has a ZeroMQ socket a message to read? Asking (ZMQ_EVENTS) also takes
 * in the commands that made its ZMQ_FD readable, and so resets that. */
static int zmq_has_input(void *sock)
{
	int ev = 0;
	size_t len = sizeof(ev);
	return zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &len) == 0 &&
	       (ev & ZMQ_POLLIN);
}

/* The event loop waits in one poll(2) over the descriptors of the control
 * socket, its clients, the router and ZAP sockets (ZMQ_FD) and an epoll
 * set that holds the partners' DEALER and monitor sockets (peer.c),
 * instead of in zmq_poll: zmq_poll asks every ZeroMQ socket for its state
 * before and after waiting, two system calls each, and a daemon that
 * sends to 400 partners has 800 of them; through the epoll set a turn
 * costs what its active sockets cost. ZMQ_FD is edge-triggered: it turns
 * readable when commands arrive for the socket, and a zmq_send or
 * zmq_recv may take in such commands itself. So a socket is asked
 * (zmq_has_input) when its descriptor is readable, when it was used since
 * it was last asked (sh_peer.zcheck; the router and the ZAP socket
 * always), and all of them once a second besides, a sixteenth of them
 * every 1/16 s; a socket with input left makes the next wait a zero one. */
struct zready_item {
	sh_peer *p;
	int kind; /* 2 dealer, 3 monitor */
};

static void ready_add(struct zready_item **v, size_t *n, size_t *cap,
                      sh_peer *p, int kind)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = realloc(*v, *cap * sizeof(**v));
		if (!*v)
			abort();
	}
	(*v)[(*n)++] = (struct zready_item){p, kind};
}

#define ZSWEEP_MS    1000
#define ZSWEEP_PARTS 16

static int run(sh_daemon *d)
{
	size_t cap = 0;
	struct pollfd *pfd = NULL;
	void **zsock = NULL; /* the ZeroMQ socket of pfd[i], or NULL */
	char *zready = NULL; /* it has input: handle it */
	sh_ctl_conn **conn_of = NULL;
	int *kind = NULL; /* 0 zap 1 router 4 listen 5 conn 6 the epoll set of
	                     the partners' sockets */
	int failed = 0;
	int64_t next_sweep = 0;
	unsigned sweep_part = 0;
	struct zready_item *ready = NULL; /* partners' sockets with input */
	size_t nready = 0, ready_cap = 0;

	while (!d->stop) {
		if (got_hup) {
			got_hup = 0;
			sh_info(
			    "SIGHUP: nothing is reloaded: the configuration "
			    "and the own keys are read at start-up (restart "
			    "the daemon), the trust store within a second of "
			    "a change");
		}
		size_t n = 0, need = 4;
		for (sh_ctl_conn *c = d->conns; c; c = c->next)
			need++;
		if (need > cap) {
			cap = need * 2;
			pfd = realloc(pfd, cap * sizeof(*pfd));
			zsock = realloc(zsock, cap * sizeof(*zsock));
			zready = realloc(zready, cap);
			conn_of = realloc(conn_of, cap * sizeof(*conn_of));
			kind = realloc(kind, cap * sizeof(*kind));
			if (!pfd || !zsock || !zready || !conn_of || !kind)
				abort();
		}
		int64_t now0 = sh_mono_ms();
		int sweep = now0 >= next_sweep, any_ready = 0;
		if (sweep) {
			next_sweep = now0 + ZSWEEP_MS / ZSWEEP_PARTS;
			sweep_part = (sweep_part + 1) % ZSWEEP_PARTS;
		}
#define ADD(sock_, fd_, ev_, k_, c_)                                           \
	do {                                                                   \
		pfd[n] = (struct pollfd){fd_, ev_, 0};                         \
		zsock[n] = sock_, zready[n] = 0;                               \
		kind[n] = k_, conn_of[n] = c_;                                 \
		n++;                                                           \
	} while (0)
/* the router and the ZAP socket: asked in every turn */
#define ADDZ(sock_, k_)                                                        \
	do {                                                                   \
		int zfd_ = -1;                                                 \
		size_t zl_ = sizeof(zfd_);                                     \
		if (zmq_getsockopt(sock_, ZMQ_FD, &zfd_, &zl_) != 0)           \
			zfd_ = -1; /* poll ignores it */                       \
		ADD(sock_, zfd_, POLLIN, k_, NULL);                            \
		any_ready |= zready[n - 1] = zmq_has_input(sock_);             \
	} while (0)
		ADDZ(d->zap, 0);
		ADDZ(d->router, 1);
		/* partners' sockets used since they were last asked, or in
		 * this part of the sweep: asked now */
		nready = 0;
		for (size_t i = 0; i < d->npeers; i++) {
			sh_peer *p = &d->peers[i];
			int ask = p->zcheck ||
			          (sweep && i % ZSWEEP_PARTS == sweep_part);
			p->zcheck = 0;
			if (!ask)
				continue;
			if (p->dealer && zmq_has_input(p->dealer))
				ready_add(&ready, &nready, &ready_cap, p, 2);
			if (p->monitor && zmq_has_input(p->monitor))
				ready_add(&ready, &nready, &ready_cap, p, 3);
		}
		any_ready |= nready > 0;
		ADD(NULL, d->epfd, POLLIN, 6, NULL);
		/* (a negative descriptor: poll leaves it alone) */
		ADD(NULL, sh_control_accepting(d) ? d->ctl_listen : -1, POLLIN,
		    4, NULL);
		/* a client held by back-pressure is not read (control.c) */
		for (sh_ctl_conn *c = d->conns; c; c = c->next)
			ADD(NULL, c->fd, sh_control_events(c), 5, c);
#undef ADDZ
#undef ADD
		long timeout = (long)sh_peer_next_timer(d);
		for (sh_ctl_conn *c = d->conns; c; c = c->next)
			if (sh_control_has_frame(c))
				timeout = 0; /* requests already read wait */
		if (any_ready)
			timeout = 0; /* messages already there wait */
		long to_wait = sh_control_wait_timeout(d);
		if (to_wait >= 0 && (timeout < 0 || to_wait < timeout))
			timeout = to_wait;
		int64_t to_sweep = d->next_retention - sh_mono_ms();
		if (d->next_trust_check - sh_mono_ms() < to_sweep)
			to_sweep = d->next_trust_check - sh_mono_ms();
		if (next_sweep - sh_mono_ms() < to_sweep)
			to_sweep = next_sweep - sh_mono_ms();
		if (to_sweep < timeout || timeout < 0)
			timeout = to_sweep < 0 ? 0 : (long)to_sweep;
		/* lazy writes (LAZY_MS) wait no longer than that */
		int64_t lazy = lazy_due(d) - sh_mono_ms();
		if (lazy < timeout)
			timeout = lazy < 0 ? 0 : (long)lazy;
		int64_t ckpt = sh_store_checkpoint_due(d->store);
		if (ckpt != INT64_MAX) {
			ckpt -= sh_mono_ms();
			if (ckpt < timeout)
				timeout = ckpt < 0 ? 0 : (long)ckpt;
		}
		int rc = poll(pfd, (nfds_t)n, (int)timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			sh_error("poll: %s", strerror(errno));
			failed = 1;
			break;
		}
		sh_peer_fail_corrupt(d);
		for (size_t i = 0; i < n; i++) {
			short re = pfd[i].revents;
			if (zsock[i]) {
				/* readable descriptor: commands came in; ask */
				if (!zready[i] && (re & POLLIN))
					zready[i] =
					    (char)zmq_has_input(zsock[i]);
				if (!zready[i])
					continue;
			} else if (!re) {
				continue;
			}
			switch (kind[i]) {
			case 0: sh_peer_handle_zap(d); break;
			case 1: sh_peer_handle_router(d); break;
			case 4: sh_control_accept(d); break;
			case 6: {
				struct epoll_event ev[256];
				int ne = epoll_wait(d->epfd, ev, 256, 0);
				for (int k = 0; k < ne; k++) {
					size_t slot =
					    (size_t)(ev[k].data.u64 >> 1);
					int mon = (int)(ev[k].data.u64 & 1);
					if (slot >= d->npeers)
						continue;
					sh_peer *p = &d->peers[slot];
					void *sock =
					    mon ? p->monitor : p->dealer;
					if (sock && zmq_has_input(sock))
						ready_add(&ready, &nready,
						          &ready_cap, p,
						          mon ? 3 : 2);
				}
				break;
			}
			case 5:
				if (re & POLLOUT)
					sh_control_write(d, conn_of[i]);
				if (re &
				    (POLLIN | POLLERR | POLLHUP | POLLNVAL))
					sh_control_read(d, conn_of[i]);
				break;
			}
		}
		/* (a socket closed meanwhile is NULL: a redial, a revoke) */
		for (size_t k = 0; k < nready; k++) {
			sh_peer *p = ready[k].p;
			p->zcheck = 1; /* read: asked again next turn */
			if (ready[k].kind == 2 && p->dealer)
				sh_peer_handle_dealer(d, p);
			else if (ready[k].kind == 3 && p->monitor)
				sh_peer_handle_monitor(d, p);
		}
		nready = 0;
		if (sh_mono_ms() >= d->next_trust_check) {
			trust_reload(d);
			rotation_tick(d);
			sh_peer_listen_retry(d);
			(void)sh_daemon_store_usage(d, 10000, NULL); /* warns */
			d->next_trust_check = sh_mono_ms() + 1000;
		}
		if (sh_mono_ms() >= d->next_retention) {
			int more = sh_retention_sweep(d);
			d->next_retention =
			    sh_mono_ms() +
			    (more
			         ? 1000
			         : (int64_t)d->cfg.retention_interval_s * 1000);
		}
		for (sh_ctl_conn *c = d->conns; c; c = c->next)
			if (sh_control_has_frame(c))
				sh_control_process(d, c);
		sh_control_sweep(d); /* input limits */
		if (d->resend_busy_n)
			sh_peer_resend_steps(d);
		/* The lazy writes ride along with a turn that commits anyway,
		 * or get a commit of their own once due. "Sent" entries go
		 * first: a receipt settled here is never recorded before the
		 * sending of its signal. */
		if (sh_store_in_txn(d->store) || lazy_due(d) <= sh_mono_ms()) {
			sh_audit_tick(d);
			sh_peer_settle_held(d);
		}
		finish_turn(d);
		sh_control_reap(d);
		sh_peer_pump(d);
		sh_witness_pump(d);
		checkpoint_if_due(d);
		sh_err broken = sh_store_broken(d->store);
		if (broken != SH_OK) {
			sh_error("store: the write transaction cannot be "
			         "rebuilt from the journal (%s); stopping, so "
			         "that a restart replays it",
			         sh_err_str(broken));
			failed = 1;
			break;
		}
	}
	/* receipts held for a lazy commit are settled before stopping (one
	 * lost here would only be answered again as a duplicate) */
	if (d->nheld) {
		sh_audit_tick(d);
		sh_peer_settle_held(d);
		finish_turn(d);
	}
	sh_peer_held_free(d);
	free(d->held);
	d->held = NULL;
	free(ready);
	free(pfd);
	free(zsock);
	free(zready);
	free(conn_of);
	free(kind);
	return failed;
}

/* The trust store's directory is missing: say how to make it, as
 * deploy/install.sh does (root's, the daemon's group may read it). An
 * empty store is allowed. */
static void trust_dir_missing(const sh_config *cfg, const char *conf,
                              const char *why)
{
	char buf[1024], group[64];
	struct group gr, *g = NULL;
	if (getgrgid_r(getegid(), &gr, buf, sizeof(buf), &g) == 0 && g)
		snprintf(group, sizeof(group), "%s", g->gr_name);
	else
		snprintf(group, sizeof(group), "%u", (unsigned)getegid());
	sh_error("trust store: %s. Create it, as deploy/install.sh does (as "
	         "root: install -d -m 0750 -o root -g %s %s; it may stay "
	         "empty), or trust a partner's card, which creates it (seinkey "
	         "-c %s trust PARTNER.card)",
	         why, group, cfg->trustdir, conf);
}

/* A period in its largest whole unit, as the catalogue writes them. */
static void fmt_period(char *out, size_t n, int64_t s)
{
	static const struct {
		int64_t s;
		const char *unit;
	} u[] = {{365 * 86400, "years"}, {30 * 86400, "months"},
	         {86400, "days"},        {3600, "hours"},
	         {60, "minutes"},        {1, "seconds"}};
	size_t i = 0;
	while (i + 1 < sizeof(u) / sizeof(u[0]) && s % u[i].s != 0)
		i++;
	long long v = (long long)(s / u[i].s);
	/* "1 year", as the catalogue may write it */
	snprintf(out, n, "%lld %.*s", v, (int)strlen(u[i].unit) - (v == 1),
	         u[i].unit);
}

/* An audit_keep shorter than a retention period of the catalogue removes
 * the audit entries of a signal, case or consent that is still kept: the
 * history of data still held goes first. Allowed (what the log must show,
 * and for how long, is the partner's to decide), but said at every start
 * and by -t, naming the longest such period. */
static void audit_keep_check(const sh_config *cfg, const sh_catalogue *cat)
{
	if (cfg->audit_keep_s <= 0) /* forever */
		return;
	const sh_type_rule *longest = NULL;
	const char *key = NULL;
	int64_t max = 0;
	for (size_t i = 0; i < cat->ntypes; i++) {
		const sh_type_rule *t = &cat->types[i];
		const struct {
			int64_t s;
			const char *key;
		} k[] = {{t->keep_unanswered_s, "keep_unanswered"},
		         {t->keep_taken_s, "keep_taken"},
		         {t->keep_closed_s, "keep_closed"},
		         {t->keep_sent_s, "keep_sent"},
		         {t->keep_consent_s, "keep_consent"}};
		for (size_t j = 0; j < sizeof(k) / sizeof(k[0]); j++)
			if (k[j].s > max) {
				max = k[j].s;
				longest = t;
				key = k[j].key;
			}
	}
	if (!longest || cfg->audit_keep_s >= max)
		return;
	char keep[48], other[48];
	fmt_period(keep, sizeof(keep), cfg->audit_keep_s);
	fmt_period(other, sizeof(other), max);
	sh_warn("audit_keep (%s) is shorter than the catalogue's %s of [%s] "
	        "(%s): the audit entries of what is still kept that long "
	        "are removed before it; keep audit_keep at least %s (see "
	        "seinhuisd.conf(5))",
	        keep, key, sh_signal_type_name(longest->type), other, other);
}

/* Whether a daemon listens on the configuration's control socket: then
 * -t checks the configuration of a daemon that runs. */
static int own_daemon_answers(const sh_config *cfg)
{
	int fd;
	char why[256];
	if (sh_ctl_connect(cfg->control, &fd, why, sizeof(why)) != SH_OK)
		return 0;
	close(fd);
	return 1;
}

/* Consents in force whose purpose no signal type of the catalogue uses:
 * granted under an earlier catalogue (one for a whole referral type, say,
 * before a consent was tied to the referral's purpose field). They cover
 * no signal; said at start, once, so that an upgrade does not narrow
 * them without a word. Purposes are catalogue words, never data. */
struct unused_consents {
	const sh_catalogue *cat;
	char today[11];
	size_t n;
	char purposes[200];
};

static int consent_unused(void *ctx, const Seinhuis__ConsentRecord *rec)
{
	struct unused_consents *u = ctx;
	if (rec->revoked_ms ||
	    (rec->valid_until[0] && strcmp(u->today, rec->valid_until) > 0))
		return 0;
	for (size_t i = 0; i < u->cat->ntypes; i++) {
		const sh_type_rule *t = &u->cat->types[i];
		if (t->type != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION &&
		    sh_role_in(t->bases, "consent") &&
		    sh_consent_purpose_usable(t, rec->purpose))
			return 0;
	}
	u->n++;
	size_t l = strlen(u->purposes);
	if (sh_partner_id_valid(rec->purpose) &&
	    !sh_role_in(u->purposes, rec->purpose) &&
	    l + strlen(rec->purpose) + 2 <= sizeof(u->purposes))
		snprintf(u->purposes + l, sizeof(u->purposes) - l, "%s%s",
		         l ? " " : "", rec->purpose);
	return 0;
}

static void consents_unused(sh_daemon *d)
{
	struct unused_consents u = {.cat = &d->cat};
	sh_today(u.today);
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		return;
	sh_store_consent_scan(d->store, txn, consent_unused, &u);
	sh_store_read_end(d->store, txn);
	if (u.n)
		sh_warn("consent register: %zu consent(s) in force are for a "
		        "purpose no signal type of the catalogue uses (%s): "
		        "they cover no signal. A referral's consent is for "
		        "the purpose the referral gives (catalogue "
		        "purpose_field); grant such consents anew for the "
		        "resident's purpose (seinctl consent list shows them)",
		        u.n, u.purposes);
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: seinhuisd -c FILE [-t | -T] | -V | -h\n"
	    "  -c FILE   configuration file (see seinhuisd.conf(5))\n"
	    "  -t        check the configuration, keys, trust store and data "
	    "store, then exit\n"
	    "  -T        as -t, and exit 1 also when the audit log fails "
	    "verification\n"
	    "  -V, --version  print the version\n"
	    "  -h, --help     print this help\n");
}

int main(int argc, char **argv)
{
	const char *conf = NULL;
	/* volatile: main's frame is where a SIGBUS at start lands */
	volatile int check_only = 0, strict = 0, rc = 0;
	int opt;
	char why[1024];
	static sh_daemon d;

	/* before anything is read: the secret keys must never end up in a
	 * core dump (a crash, a SIGQUIT, gcore by the same user) */
	if (sh_no_core_dumps() < 0) {
		fprintf(stderr,
		        "seinhuisd: cannot turn core dumps off (the secret "
		        "keys would be in one): %s\n",
		        strerror(errno));
		return 1;
	}
	static const struct option longopts[] = {
	    {"help", no_argument, 0, 'h'},
	    {"version", no_argument, 0, 'V'},
	    {0, 0, 0, 0}};
	opterr = 0; /* a refused option is not repeated: sh_opt_refused */
	while ((opt = getopt_long(argc, argv, "c:tThV", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 't': check_only = 1; break;
		case 'T': check_only = strict = 1; break;
		case 'V': printf("seinhuisd %s\n", SH_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default:
			sh_opt_refused("seinhuisd", argc, argv, "c:tThV",
			               longopts);
			usage(stderr);
			return 2;
		}
	}
	if (!conf || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* from the start: a SIGHUP during a long start-up (a large store
	 * checked, a journal replayed) must not end the daemon either */
	struct sigaction hup = {.sa_handler = on_hup};
	sigaction(SIGHUP, &hup, NULL);
	sh_log_init("seinhuisd", SH_LOG_INFO, 0);
	d.ctl_listen = -1;
	d.epfd = -1;
	if (sh_config_load(&d.cfg, conf, why, sizeof(why)) != SH_OK) {
		sh_error("configuration: %s", why);
		return 1;
	}
	sh_log_init("seinhuisd", d.cfg.log_level, d.cfg.log_syslog);
	if (geteuid() == 0) {
		sh_error(
		    "refusing to run as root: run seinhuisd as its own user "
		    "(the packaged unit uses 'seinhuis'; see deploy/)");
		return 1;
	}
	umask(0077);
	if (sh_identity_load(&d.self, d.cfg.keydir, why, sizeof(why)) !=
	    SH_OK) {
		sh_error("identity: %s", why);
		return 1;
	}
	/* Partners dial the card's endpoint: one that leads elsewhere leaves
	 * every link down, with nothing in the log. A warning, not a refusal:
	 * a port forward, NAT or a proxy may lead from the one to the other. */
	char fix[300], what[64];
	if (sh_endpoint_mismatch(d.cfg.listen, d.self.card.endpoint, fix,
	                         sizeof(fix), what, sizeof(what)))
		sh_warn("card: the endpoint on this partner's card, %s, is not "
		        "where the daemon listens (listen = %s: %s); partners "
		        "dial the card's endpoint, so unless a port forward or "
		        "a proxy leads from there to here they cannot reach "
		        "this daemon. Give the card this daemon's endpoint (as "
		        "the daemon's user: seinkey -c %s card --endpoint %s) "
		        "and send it to your partners again (they run seinkey "
		        "trust on it), or set listen to match the card",
		        d.self.card.endpoint, d.cfg.listen, what, conf, fix);
	int recent;
	d.trust_sig = sh_trust_signature(d.cfg.trustdir, &recent);
	if (recent)
		d.trust_sig = 0; /* read again once running */
	if (sh_trust_owner_check(d.cfg.trustdir, why, sizeof(why)) != SH_OK ||
	    sh_trust_load_as(&d.trust, d.cfg.trustdir, &d.self.card, why,
	                     sizeof(why)) != SH_OK) {
		struct stat st;
		if (stat(d.cfg.trustdir, &st) != 0 && errno == ENOENT)
			trust_dir_missing(&d.cfg, conf, why);
		else
			sh_error("trust store: %s", why);
		return 1;
	}
	for (size_t i = 0; i < d.trust.nwarn; i++)
		sh_warn("trust store: %s", d.trust.warn[i]);
	if (sh_catalogue_load(&d.cat, d.cfg.catalogue, why, sizeof(why)) !=
	    SH_OK) {
		sh_error("catalogue: %s", why);
		return 1;
	}
	audit_keep_check(&d.cfg, &d.cat);
	/* A catalogue from before 2026-12-06, kept by an upgrade, still
	 * lets a referral's purpose, which travels unsealed, be free text. */
	const sh_type_rule *ref =
	    sh_catalogue_type(&d.cat, SEINHUIS__SIGNAL_TYPE__REFERRAL);
	for (size_t i = 0; ref && i < ref->nfields; i++)
		if (strcmp(ref->fields[i].name, "purpose") == 0 &&
		    !ref->fields[i].personal && ref->fields[i].kind == CHK_TEXT)
			sh_warn(
			    "catalogue %s: [referral] purpose is free text, "
			    "which travels and is kept unsealed (a name "
			    "typed there is not sealed); the shipped "
			    "catalogue makes it one word of a list (see "
			    "catalogue.conf.dist beside it after an "
			    "upgrade)",
			    d.cfg.catalogue);
	/* ... and lets one consent cover a referral whatever its purpose */
	if (ref && sh_role_in(ref->bases, "consent") && !ref->purpose_field[0])
		sh_warn("catalogue %s: [referral] names no purpose_field, so "
		        "a consent for '%s' covers a referral whatever its "
		        "purpose; the shipped catalogue ties a consent to the "
		        "referral's purpose (purpose_field = purpose; see "
		        "catalogue.conf.dist beside it after an upgrade)",
		        d.cfg.catalogue, ref->purpose);
	if (d.cfg.postcode_table[0] &&
	    sh_routes_load(&d.routes, d.cfg.postcode_table, why, sizeof(why)) !=
	        SH_OK) {
		sh_error("postcode table: %s", why);
		return 1;
	}
	/* The case-key secret is derived from our own sealing key: only this
	 * partner can compute its case keys, and nothing extra is stored. */
	if (sh_hkdf(d.case_secret, SH_KEY_LEN, d.self.seal_sec, SH_KEY_LEN,
	            "seinhuis/case/v1", d.self.card.partner) != SH_OK ||
	    sh_hkdf(d.print_key, SH_KEY_LEN, d.self.seal_sec, SH_KEY_LEN,
	            "seinhuis/print/v1", d.self.card.partner) != SH_OK) {
		sh_error("cannot derive the case-key secret");
		return 1;
	}
	struct sigaction bus = {.sa_handler = on_bus};
	sigaction(SIGBUS, &bus, NULL);
	if (sigsetjmp(bus_at, 1)) {
		sh_error("data store: %s: a read of data.mdb met a page past "
		         "the end of the file, which a damaged page "
		         "names. " SH_STORE_DAMAGED,
		         d.cfg.datadir);
		_exit(1); /* LMDB was left mid-read: nothing more of it */
	}
	bus_armed = 1;
	sh_err e = sh_store_open(&d.store, d.cfg.datadir, d.cfg.map_size,
	                         d.self.card.partner, why, sizeof(why));
	if (e == SH_OK) { /* refreshed before each window of requests */
		d.natkey_old = sh_store_natkey_old_live(d.store);
		d.natkey_pre3 = sh_store_natkey_pre3_live(d.store);
	}
	/* seinctl check's warnings after a failed or quarantined signal
	 * outlast a restart */
	MDB_txn *mt = e == SH_OK ? sh_store_read_begin(d.store) : NULL;
	if (mt) {
		d.last_failed_ms =
		    sh_store_meta_time_get(d.store, mt, "last_failed");
		d.last_quarantined_ms =
		    sh_store_meta_time_get(d.store, mt, "last_quarantined");
		sh_store_read_end(d.store, mt);
	}
	if (mt)
		consents_unused(&d);
	if (e == SH_OK &&
	    (e = sh_store_check(d.store, why, sizeof(why))) != SH_OK) {
		char sub[2048];
		snprintf(sub, sizeof(sub), "%s: %s. " SH_STORE_DAMAGED,
		         d.cfg.datadir, why);
		snprintf(why, sizeof(why), "%.1000s", sub);
	}
	if (e != SH_OK) {
		char room[256];
		if (e != SH_ERR_STORE_CORRUPT &&
		    sh_fs_free_note(room, sizeof(room), d.cfg.datadir) == 1)
			sh_error(
			    "data store: %s (%s: make room there and start "
			    "again; what was accepted is safe in the "
			    "journal)",
			    why, room);
		else
			sh_error("data store: %s", why);
		return 1;
	}
	sh_store_set_checkpoint_ms(d.store, d.cfg.checkpoint_ms);
	sh_store_set_resend_window(d.store,
	                           (int64_t)d.cfg.resend_window_s * 1000);
	if (sh_store_replayed(d.store))
		sh_info("data store: %zu turn(s) acknowledged after the last "
		        "checkpoint were replayed from the journal",
		        sh_store_replayed(d.store));
	else if (!check_only && sh_store_committed_before(d.store) > 0) {
		char at[40];
		sh_fmt_utc(at, sizeof(at), sh_store_committed_before(d.store));
		sh_info("data store: last committed at %s (if it was restored "
		        "from a backup: seinctl recover --since backup)",
		        at);
	}
	d.npeers = d.trust.n;
	/* Room for partners added while running (trust_reload); slots never
	 * move, because queue entries point into them. */
	d.peers_cap = d.trust.n * 4 > 1024 ? d.trust.n * 4 : 1024;
	d.peers = sh_xcalloc(d.peers_cap, sizeof(*d.peers));
	for (size_t i = 0; i < d.npeers; i++) {
		d.peers[i].card = d.trust.cards[i];
		d.peers[i].rto_ms = d.cfg.retry_min_ms;
	}
	sh_idmap_init(&d.pending);
	sh_arena_init(&d.frame_arena, 256u << 10);
	sh_arena_init(&d.sig_arena, 16u << 10);
	sh_arena_init(&d.ctl_arena, 16u << 10);
	sh_arena_init(&d.build_arena, 16u << 10);
	d.write_cap = SIZE_MAX;
	if ((e = sh_outq_load(&d)) != SH_OK) {
		sh_error("data store: %s: cannot read the outbox: %s%s",
		         d.cfg.datadir, sh_err_str(e),
		         e == SH_ERR_STORE_CORRUPT ? ". " SH_STORE_DAMAGED
		                                   : "");
		return 1;
	}
	for (size_t i = 0; !check_only && i < d.npeers; i++)
		sh_peer_recover_load(&d, &d.peers[i]);
	if (check_only) {
		char gwhy[600];
		/* At the error level, as the start says them: under systemd
		 * the journal then files them as errors, where 'journalctl
		 * -p err' finds why an ExecStartPre check failed. */
		if (sh_roles_check(&d.cfg, gwhy, sizeof(gwhy)) != SH_OK) {
			/* the start would stop here */
			sh_error("%s", gwhy);
			rc = 1;
		}
		gid_t cgid;
		if (sh_control_group_check(&d.cfg, &cgid, gwhy, sizeof(gwhy)) !=
		    SH_OK) {
			/* ... or at the control socket */
			sh_error("control socket: %s", gwhy);
			rc = 1;
		}
		/* ... or at the listener: a port another program (or a
		 * daemon of another data directory) holds */
		int lt = sh_listen_try(d.cfg.listen, gwhy, sizeof(gwhy));
		if (lt == 1 && own_daemon_answers(&d.cfg))
			/* -t on the configuration of a daemon that runs (a
			 * copy with a data directory of its own: the running
			 * daemon holds its store): the port is presumably
			 * that daemon's, which a restart stops first */
			sh_warn(
			    "transport: %s; a daemon answers on this "
			    "configuration's control socket %s, so the port "
			    "is presumably its own: not counted against the "
			    "configuration (a restart stops that daemon "
			    "first)",
			    gwhy, d.cfg.control);
		else if (lt > 0) {
			sh_error("transport: %s", gwhy);
			rc = 1;
		} else if (lt < 0)
			sh_info("transport: %s", gwhy);
		/* An audit log that fails verification is loud (at the
		 * error level), but the daemon starts on it so that signals
		 * keep flowing: only -T makes it fail the check. */
		int audit_failed = 0;
		if (sh_audit_check_offline(&d, &audit_failed) != SH_OK)
			rc = 1;
		sh_store_counts c;
		sh_store_counts_get(d.store, &c);
		if (rc)
			printf("seinhuisd: the daemon would not start: see the "
			       "error above");
		else
			printf("seinhuisd: configuration, identity '%s', trust "
			       "store (%zu partners) and data store are "
			       "valid%s",
			       d.self.card.partner, d.trust.n,
			       audit_failed ? "; the audit log is NOT (the "
			                      "daemon starts on it)"
			                    : "");
		printf("; outbox pending %llu, inbox %llu\n",
		       (unsigned long long)c.outbox_pending,
		       (unsigned long long)c.inbox_depth);
		if (audit_failed && strict)
			rc = 1;
		if (sh_store_committed_before(d.store) > 0) {
			char at[40];
			sh_fmt_utc(at, sizeof(at),
			           sh_store_committed_before(d.store));
			printf(
			    "seinhuisd: the data store was last committed at "
			    "%s\n",
			    at);
		}
		bus_armed = 0;
		goto out;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	the_daemon = &d;
	/* the role groups before the audit log, whose entries name roles;
	 * said as -t says it, not as a fault of the log */
	if (sh_roles_check(&d.cfg, why, sizeof(why)) != SH_OK) {
		sh_error("%s", why);
		return 1;
	}
	if (sh_audit_start(&d, why, sizeof(why)) != SH_OK) {
		sh_error("audit log: %s", why);
		return 1;
	}
	if (sh_control_start(&d, why, sizeof(why)) != SH_OK) {
		sh_error("control socket: %s", why);
		return 1;
	}
	if (sh_peer_start(&d, why, sizeof(why)) != SH_OK) {
		sh_error("transport: %s", why);
		sh_control_stop(&d);
		return 1;
	}
	d.started_ms = sh_now_ms();
	sh_info(
	    "seinhuisd %s started as '%s' (%s), listening on %s, %zu trusted "
	    "partners",
	    SH_VERSION, d.self.card.partner, d.self.card.role, d.cfg.listen,
	    d.npeers);
	bus_armed = 0; /* the store was read through at start */
	rc = run(&d);
	sh_info("stopping");
	sh_control_stop(&d);
	sh_peer_stop(&d);
	sh_audit_stop(&d);
out:
	for (size_t i = 0; i < d.npeers; i++) {
		sh_peer *p = &d.peers[i];
		sh_outq_drop_peer(&d, p);
		sh_peer_resend_end(&d, p);
		sh_wipe(&p->keys, sizeof(p->keys));
	}
	free(d.peers);
	defers_free(&d);
	sh_idmap_free(&d.pending);
	sh_arena_free(&d.frame_arena);
	sh_arena_free(&d.sig_arena);
	sh_arena_free(&d.ctl_arena);
	sh_arena_free(&d.build_arena);
	sh_natkey_residents_free(&d);
	sh_store_close(&d.store);
	sh_trust_free(&d.trust);
	sh_catalogue_free(&d.cat);
	sh_routes_free(&d.routes);
	sh_wipe(d.case_secret, sizeof(d.case_secret));
	sh_wipe(d.print_key, sizeof(d.print_key));
	sh_crypto_forget();
	sh_identity_wipe(&d.self);
	return rc;
}
