/*
 * peer.c - the transport between partner daemons: ZeroMQ with CURVE.
 *
 * Every daemon has one ROUTER socket, a CURVE server, on its listen
 * endpoint. A ZAP handler (inproc, served from the event loop) admits a
 * connecting client only if its CURVE public key is on a card in the trust
 * store, and names the connection with that partner's id; an unknown key is
 * refused and logged with its fingerprint. For every partner it sends to,
 * the daemon keeps one DEALER socket, a CURVE client that knows the
 * partner's server key from its card, so both ends are authenticated and
 * the traffic is encrypted.
 *
 * Signals travel DEALER -> ROUTER as PeerFrames of up to batch_max
 * envelopes; receipts come back on the same connection, ROUTER -> DEALER.
 * The recipient commits a whole frame to its inbox in one transaction and
 * answers only after that commit. The sender retries unanswered signals by
 * rewinding the peer's queue (outq.c) after a timeout that doubles up to
 * retry_max_ms while no receipts come, and at once when a connection is
 * re-established. ZMQ_IMMEDIATE keeps frames from queuing towards a
 * partner that is not connected; heartbeats detect dead connections.
 */
#include <errno.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

#include "auditd.h"
#include "cases.h"
#include "daemon.h"
#include "route.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define DRAIN_MAX    64  /* frames read per socket per loop turn */
#define DEFER_MIN_MS 250 /* a deferred sender waits at least this long */
/* Signals in a version 1 frame: batch_max's upper bound (config.c) in
 * every build since 2026-11-23 */
#define V1_SIGNALS_MAX 1024
/* Frames ZeroMQ queues for us per connection, inbound (ZMQ_RCVHWM): more
 * wait in the sender's queue and the kernel's buffers. ZeroMQ's default
 * (1000 frames of up to max_message each) let gigabytes queue. */
#define RCV_HWM 16
/* Receipts a partner may have waiting with us beyond one for each of our
 * signals in flight to it: one frame's (a frame sent again, answered
 * twice); more are refused (receipts_room) */
#define RECEIPTS_MARGIN V1_SIGNALS_MAX
/* A partner's refused receipt frames are logged at most this often. */
#define RECEIPTS_LOG_MS 60000

static sh_err zset(void *sock, int opt, const void *v, size_t n,
                   const char *what, char *why, size_t wl)
{
	if (zmq_setsockopt(sock, opt, v, n) == 0)
		return SH_OK;
	snprintf(why, wl, "cannot set %s: %s", what, zmq_strerror(errno));
	return SH_ERR_SYS;
}

/* The event loop waits for the partners' DEALER and monitor sockets in
 * an epoll set (seinhuisd.c): each socket's ZMQ_FD is registered when the
 * socket is made, under the partner's slot number (slots never move) and
 * a bit for the monitor, and removed before the socket is closed. */
static void watch_fd(sh_daemon *d, void *sock, size_t slot, int monitor)
{
	int fd = -1;
	size_t len = sizeof(fd);
	if (d->epfd < 0 || zmq_getsockopt(sock, ZMQ_FD, &fd, &len) != 0)
		return;
	struct epoll_event ev = {.events = EPOLLIN};
	ev.data.u64 = (uint64_t)slot << 1 | (uint64_t)(monitor != 0);
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		sh_warn("transport: cannot watch a socket (%s); it is looked "
		        "at once a second instead",
		        strerror(errno));
}

static void unwatch_fd(sh_daemon *d, void *sock)
{
	int fd = -1;
	size_t len = sizeof(fd);
	if (d->epfd >= 0 && sock &&
	    zmq_getsockopt(sock, ZMQ_FD, &fd, &len) == 0)
		(void)epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* Close a partner's DEALER and its monitor. */
static void close_sockets(sh_daemon *d, sh_peer *p)
{
	if (p->dealer) {
		unwatch_fd(d, p->dealer);
		zmq_socket_monitor(p->dealer, NULL, 0);
		zmq_close(p->dealer);
	}
	if (p->monitor) {
		unwatch_fd(d, p->monitor);
		zmq_close(p->monitor);
	}
	if (p->counted)
		d->ndealers--;
	p->counted = 0;
	p->dealer = p->monitor = NULL;
}

/* Room for partners. A partner we send to holds a DEALER socket, its
 * monitor (two PAIR sockets, one inside ZeroMQ) and a TCP connection; one
 * that sends to us, a connection to our ROUTER. Each ZeroMQ socket also
 * has a descriptor for its mailbox. ZeroMQ's default limit of 1023
 * sockets therefore ends at about 340 partners sent to, and a soft limit
 * of 1024 open files (systemd's default) at about 200: fewer than the
 * municipalities a national insurer or energy supplier reports to. So the
 * soft limit is raised to the hard one (as systemd advises services that
 * need more), up to SH_NOFILE_MAX, and ZeroMQ may have as many sockets as
 * there are files. */
#define SH_NOFILE_MAX     65536
#define SH_FILES_BASE     64 /* the store, journal, control socket, ... */
#define SH_FILES_PER_PEER 5

static long raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	rlim_t want = rl.rlim_max;
	if (want == RLIM_INFINITY || want > SH_NOFILE_MAX)
		want = SH_NOFILE_MAX;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > SH_NOFILE_MAX)
		return SH_NOFILE_MAX;
	return (long)rl.rlim_cur;
}

size_t sh_peer_room(const sh_daemon *d)
{
	long f = d->nofile;
	int s = d->max_sockets;
	if (f <= SH_FILES_BASE || s <= 8)
		return 0;
	size_t by_files = (size_t)(f - SH_FILES_BASE) / SH_FILES_PER_PEER;
	size_t by_sockets = (size_t)(s - 8) / 3; /* dealer, 2 monitor ends */
	return by_files < by_sockets ? by_files : by_sockets;
}

sh_err sh_peer_start(sh_daemon *d, char *why, size_t wl)
{
	int one = 1, linger = 0, hwm = RCV_HWM;
	int64_t maxmsg = (int64_t)d->cfg.max_message;
	sh_err e;

	d->nofile = raise_nofile();
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return snprintf(why, wl, "cannot create an epoll set: %s",
		                strerror(errno)),
		       SH_ERR_SYS;
	d->zctx = zmq_ctx_new();
	if (!d->zctx)
		return snprintf(why, wl, "cannot create ZeroMQ context"),
		       SH_ERR_SYS;
	zmq_ctx_set(d->zctx, ZMQ_IO_THREADS, 1);
	/* before the first socket: ZeroMQ sizes its tables then */
	int zmax = zmq_ctx_get(d->zctx, ZMQ_SOCKET_LIMIT);
	int want = d->nofile > 0 && d->nofile < zmax ? (int)d->nofile : zmax;
	if (want > 1023) /* on failure ZeroMQ keeps its default */
		(void)zmq_ctx_set(d->zctx, ZMQ_MAX_SOCKETS, want);
	d->max_sockets = zmq_ctx_get(d->zctx, ZMQ_MAX_SOCKETS);
	if (d->nofile > 0 && d->npeers > sh_peer_room(d))
		sh_warn("transport: %zu trusted partners, but the limits allow "
		        "connections to about %zu of them at once (open files "
		        "%ld, ZeroMQ sockets %d); raise the open-file limit "
		        "(LimitNOFILE= in the systemd unit, ulimit -n) to at "
		        "least %zu",
		        d->npeers, sh_peer_room(d), d->nofile, d->max_sockets,
		        (size_t)SH_FILES_BASE +
		            d->npeers * (size_t)SH_FILES_PER_PEER);
	d->zap = zmq_socket(d->zctx, ZMQ_REP);
	if (!d->zap || zmq_bind(d->zap, ZAP_ENDPOINT) != 0)
		return snprintf(why, wl, "cannot start the ZAP handler: %s",
		                zmq_strerror(errno)),
		       SH_ERR_SYS;
	d->router = zmq_socket(d->zctx, ZMQ_ROUTER);
	if (!d->router)
		return snprintf(why, wl, "cannot create socket"), SH_ERR_SYS;
	if ((e = zset(d->router, ZMQ_CURVE_SERVER, &one, sizeof(one),
	              "CURVE server", why, wl)) ||
	    (e = zset(d->router, ZMQ_CURVE_SECRETKEY, d->self.curve_sec_z85, 40,
	              "CURVE secret key", why, wl)) ||
	    (e = zset(d->router, ZMQ_ZAP_DOMAIN, "seinhuis", 8, "ZAP domain",
	              why, wl)) ||
	    (e = zset(d->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg),
	              "maximum message size", why, wl)) ||
	    (e = zset(d->router, ZMQ_ROUTER_MANDATORY, &one, sizeof(one),
	              "router mandatory", why, wl)) ||
	    (e = zset(d->router, ZMQ_RCVHWM, &hwm, sizeof(hwm),
	              "receive high-water mark", why, wl)) ||
	    (e = zset(d->router, ZMQ_LINGER, &linger, sizeof(linger), "linger",
	              why, wl)))
		return e;
	if (zmq_bind(d->router, d->cfg.listen) != 0) {
		int err = errno;
		char sub[400];
		if (!sh_listen_err(d->cfg.listen, err, sub, sizeof(sub)))
			sub[0] = '\0';
		snprintf(why, wl, "cannot listen on %s: %s%s%s", d->cfg.listen,
		         zmq_strerror(err), sub[0] ? ": " : "", sub);
		return SH_ERR_SYS;
	}
	return SH_OK;
}

void sh_peer_close(sh_daemon *d, sh_peer *p)
{
	close_sockets(d, p);
	p->connected = 0;
	sh_outq_rewind(p);
	sh_outq_env_drop_peer(d, p);
}

void sh_peer_rebind(sh_daemon *d)
{
	/* Unbinding ends the listener and every connection it accepted. */
	if (zmq_unbind(d->router, d->cfg.listen) != 0)
		sh_daemon_warn(d, "cannot unbind %s: %s", d->cfg.listen,
		               zmq_strerror(errno));
	for (int tries = 0; tries < 50; tries++) {
		if (zmq_bind(d->router, d->cfg.listen) == 0) {
			d->listen_lost = 0;
			return;
		}
		usleep(20000);
	}
	/* no partner can reach this daemon until it listens again */
	d->listen_lost = 1;
	sh_daemon_error(d,
	                "cannot listen again on %s: %s; partners cannot "
	                "deliver to this daemon until it does (tried again "
	                "each second)",
	                d->cfg.listen, zmq_strerror(errno));
}

void sh_peer_listen_retry(sh_daemon *d)
{
	if (!d->listen_lost || zmq_bind(d->router, d->cfg.listen) != 0)
		return;
	d->listen_lost = 0;
	sh_info("listening again on %s", d->cfg.listen);
}

void sh_peer_stop(sh_daemon *d)
{
	for (size_t i = 0; i < d->npeers; i++)
		close_sockets(d, &d->peers[i]);
	if (d->epfd >= 0)
		close(d->epfd);
	d->epfd = -1;
	if (d->router)
		zmq_close(d->router);
	if (d->zap)
		zmq_close(d->zap);
	d->router = d->zap = NULL;
	if (d->zctx)
		zmq_ctx_term(d->zctx);
	d->zctx = NULL;
}

sh_err sh_peer_keys(sh_daemon *d, sh_peer *p)
{
	if (p->keys_ready)
		return SH_OK;
	sh_err e = sh_pair_keys_derive(&p->keys, &d->self, &p->card);
	if (e == SH_OK)
		p->keys_ready = 1;
	return e;
}

static sh_err ensure_dealer(sh_daemon *d, sh_peer *p)
{
	char why[256], mon[128];
	int linger = 0, one = 1, hb = 2000, hbto = 6000, ivl = 100,
	    ivlmax = 2000, hwm = RCV_HWM;
	int64_t maxmsg = (int64_t)d->cfg.max_message;
	if (p->dealer)
		return SH_OK;
	/* Past the room the limits leave (sh_peer_room), no more: the files
	 * left are for the control socket's clients, the partners that
	 * connect to us and the store. */
	if (d->nofile > 0 && d->ndealers >= sh_peer_room(d)) {
		errno = EMFILE;
		goto err;
	}
	p->dealer = zmq_socket(d->zctx, ZMQ_DEALER);
	if (!p->dealer)
		goto err; /* EMFILE past ZeroMQ's socket limit */
	if (zset(p->dealer, ZMQ_CURVE_SERVERKEY, p->card.curve_z85, 40,
	         "server key", why, sizeof(why)) ||
	    zset(p->dealer, ZMQ_CURVE_PUBLICKEY, d->self.card.curve_z85, 40,
	         "public key", why, sizeof(why)) ||
	    zset(p->dealer, ZMQ_CURVE_SECRETKEY, d->self.curve_sec_z85, 40,
	         "secret key", why, sizeof(why)) ||
	    zset(p->dealer, ZMQ_LINGER, &linger, sizeof(linger), "linger", why,
	         sizeof(why)) ||
	    zset(p->dealer, ZMQ_IMMEDIATE, &one, sizeof(one), "immediate", why,
	         sizeof(why)) ||
	    zset(p->dealer, ZMQ_HEARTBEAT_IVL, &hb, sizeof(hb), "heartbeat",
	         why, sizeof(why)) ||
	    zset(p->dealer, ZMQ_HEARTBEAT_TIMEOUT, &hbto, sizeof(hbto),
	         "heartbeat timeout", why, sizeof(why)) ||
	    zset(p->dealer, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl), "reconnect",
	         why, sizeof(why)) ||
	    zset(p->dealer, ZMQ_RECONNECT_IVL_MAX, &ivlmax, sizeof(ivlmax),
	         "reconnect max", why, sizeof(why)) ||
	    zset(p->dealer, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg),
	         "maximum message size", why, sizeof(why)) ||
	    zset(p->dealer, ZMQ_RCVHWM, &hwm, sizeof(hwm),
	         "receive high-water mark", why, sizeof(why))) {
		sh_error("peer %s: %s", p->card.partner, why);
		goto err;
	}
	snprintf(mon, sizeof(mon), "inproc://monitor-%s", p->card.partner);
	if (zmq_socket_monitor(p->dealer, mon,
	                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
	                           ZMQ_EVENT_DISCONNECTED |
	                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
	                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0)
		goto err;
	p->monitor = zmq_socket(d->zctx, ZMQ_PAIR);
	if (!p->monitor || zmq_connect(p->monitor, mon) != 0)
		goto err;
	if (zmq_connect(p->dealer, p->card.endpoint) != 0) {
		sh_error("peer %s: cannot connect to %s: %s", p->card.partner,
		         p->card.endpoint, zmq_strerror(errno));
		goto err;
	}
	p->rto_ms = d->cfg.retry_min_ms;
	d->ndealers++;
	p->counted = 1;
	watch_fd(d, p->dealer, (size_t)(p - d->peers), 0);
	watch_fd(d, p->monitor, (size_t)(p - d->peers), 1);
	p->zcheck = 1;
	if (p->sock_failed) {
		sh_info("peer %s: connection opened after %u failed attempts",
		        p->card.partner, p->sock_failed);
		p->sock_failed = 0;
	}
	return SH_OK;
err:
	/* Most likely out of sockets or open files (sh_peer_start). Its
	 * signals wait in the outbox; the attempt is repeated after a pause
	 * that grows to retry_max_ms, not in every turn of the loop. */
	if (p->sock_failed++ == 0) {
		snprintf(p->last_error, sizeof(p->last_error),
		         "cannot open a connection: %s (open files %ld, "
		         "ZeroMQ sockets %d)",
		         zmq_strerror(errno), d->nofile, d->max_sockets);
		sh_daemon_warn(d,
		               "peer %s: %s; its signals wait in the outbox "
		               "and the connection is tried again",
		               p->card.partner, p->last_error);
	}
	close_sockets(d, p);
	p->redial = 1;
	p->redial_ms = p->redial_ms ? p->redial_ms * 2 : 1000;
	if (p->redial_ms > d->cfg.retry_max_ms)
		p->redial_ms = d->cfg.retry_max_ms;
	p->redial_at = sh_mono_ms() + p->redial_ms;
	return SH_ERR_SYS;
}

/* ----------------------------------------------------------- ZAP */

static int zap_recv(void *sock, char *buf, size_t cap, size_t *len, int *more)
{
	int n = zmq_recv(sock, buf, cap, 0);
	if (n < 0)
		return -1;
	*len = (size_t)n > cap ? cap : (size_t)n;
	int m = 0;
	size_t ml = sizeof(m);
	zmq_getsockopt(sock, ZMQ_RCVMORE, &m, &ml);
	*more = m;
	return 0;
}

void sh_peer_handle_zap(sh_daemon *d)
{
	char frames[8][256];
	size_t lens[8] = {0};
	int more = 1, n = 0;
	while (more) {
		char scratch[256];
		char *dst = n < 8 ? frames[n] : scratch;
		size_t len;
		if (zap_recv(d->zap, dst, 256, &len, &more) < 0)
			return;
		if (n < 8)
			lens[n] = len;
		n++;
	}
	/* version, request id, domain, address, identity, mechanism, key */
	const char *status = "400", *text = "unknown key";
	const sh_card *c = NULL;
	char user[SH_PARTNER_MAX + 1] = "";
	int expired = 0;
	if (n == 7 && lens[5] == 5 && memcmp(frames[5], "CURVE", 5) == 0 &&
	    lens[6] == 32) {
		sh_key_state st;
		c = sh_trust_find_curve_at(&d->trust, (uint8_t *)frames[6],
		                           sh_now_ms() / 1000, &st);
		if (c && st == SH_KEY_EXPIRED) {
			sh_daemon_warn(
			    d,
			    "refused connection from %s: its previous "
			    "CURVE key is no longer accepted (%s)",
			    c->partner, sh_err_rule(SH_ERR_KEY_EXPIRED));
			sh_audit_key_expired(d, c, "CURVE handshake");
			text = "key expired";
			expired = 1;
			d->refused_peers++;
			c = NULL;
		} else if (c) {
			status = "200", text = "OK";
			snprintf(user, sizeof(user), "%s", c->partner);
			/* a new connection: perhaps a restart with its clock
			 * put right; its frames are read afresh */
			sh_peer *cp = sh_peer_find(d, c->partner);
			if (cp)
				cp->clk_fresh = 1;
		} else {
			char fp[17], addr[64];
			sh_key_fingerprint(fp, (uint8_t *)frames[6]);
			snprintf(addr, sizeof(addr), "%.*s",
			         (int)(lens[3] < 63 ? lens[3] : 63), frames[3]);
			d->refused_peers++;
			sh_daemon_warn(
			    d,
			    "refused connection from %s: CURVE key %s is "
			    "not in the trust store",
			    addr, fp);
		}
	} else {
		sh_daemon_warn(d, "refused connection: not a CURVE handshake");
	}
	if (!c && !expired)
		sh_audit_peer_refused(
		    d, n >= 7 && lens[6] == 32 ? (uint8_t *)frames[6] : NULL,
		    frames[3], n > 3 ? lens[3] : 0);
	zmq_send(d->zap, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(d->zap, frames[1], lens[1], ZMQ_SNDMORE);
	zmq_send(d->zap, status, 3, ZMQ_SNDMORE);
	zmq_send(d->zap, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(d->zap, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(d->zap, "", 0, 0);
}

/* ------------------------------------------------- inbound signals */

/* A signal signed with the partner's previous key (it rotated its keys):
 * accepted until the overlap on its card ends, then refused as
 * KEY_EXPIRED (card.c decides which keys are acceptable). */
static sh_err verify_previous(sh_daemon *d, sh_peer *p,
                              const sh_wire_decoded *dec, Seinhuis__Signal **s,
                              uint8_t id[SH_ID_LEN])
{
	sh_card prev;
	sh_key_state st = sh_card_previous(&p->card, sh_now_ms() / 1000, &prev);
	if (st == SH_KEY_UNKNOWN ||
	    sh_wire_verify_decoded(&d->self, &prev, dec, NULL, 0, s, id) !=
	        SH_OK)
		return SH_ERR_SIGNATURE;
	if (st == SH_KEY_EXPIRED) {
		*s = NULL; /* in the signal's arena */
		return SH_ERR_KEY_EXPIRED;
	}
	return SH_OK;
}

/* A receipt in the frame's arena, packed before the arena is reset. */
static Seinhuis__Receipt *new_receipt(sh_arena *a, const uint8_t *id,
                                      size_t idlen, Seinhuis__ReceiptStatus st,
                                      sh_err why, const char *detail)
{
	Seinhuis__Receipt *r = sh_arena_alloc(a, sizeof(*r));
	seinhuis__receipt__init(r);
	r->message_id.data = sh_arena_alloc(a, idlen ? idlen : 1);
	if (idlen)
		memcpy(r->message_id.data, id, idlen);
	r->message_id.len = idlen;
	r->status = st;
	if (st == SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED) {
		r->rule = sh_arena_strdup(a, sh_err_rule(why));
		r->detail = sh_arena_strdup(
		    a, detail && *detail ? detail : sh_err_str(why));
	}
	return r;
}

/* What a revocation removes, found through the store's consent index:
 * inbox signals (seq, id) and quarantined ones (id, type). */
struct revoke_ctx {
	uint64_t *seqs;
	uint8_t (*ids)[SH_ID_LEN];
	size_t n;
	uint8_t (*qids)[SH_ID_LEN];
	Seinhuis__SignalType *qtypes;
	size_t nq;
};

static int revoke_one(void *vctx, uint64_t seq, const uint8_t id[SH_ID_LEN],
                      Seinhuis__SignalType type)
{
	struct revoke_ctx *c = vctx;
	if (seq) {
		c->seqs = realloc(c->seqs, (c->n + 1) * sizeof(*c->seqs));
		c->ids = realloc(c->ids, (c->n + 1) * sizeof(*c->ids));
		if (!c->seqs || !c->ids)
			abort();
		c->seqs[c->n] = seq;
		memcpy(c->ids[c->n++], id, SH_ID_LEN);
		return 0;
	}
	c->qids = realloc(c->qids, (c->nq + 1) * sizeof(*c->qids));
	c->qtypes = realloc(c->qtypes, (c->nq + 1) * sizeof(*c->qtypes));
	if (!c->qids || !c->qtypes)
		abort();
	c->qtypes[c->nq] = type;
	memcpy(c->qids[c->nq++], id, SH_ID_LEN);
	return 0;
}

/* A consent was withdrawn: remember it, and take out of the inbox what was
 * sent under it and not yet taken by the team, and out of the quarantine
 * what was sent under it and held back there. */
static sh_err apply_revocation(sh_daemon *d, sh_peer *p, const char *ref)
{
	struct revoke_ctx c = {0};
	sh_err e = sh_store_revoked_add(d->store, p->card.partner, ref);
	if (e == SH_OK)
		e = sh_store_consent_signals(d->store, sh_store_txn(d->store),
		                             p->card.partner, ref, revoke_one,
		                             &c);
	for (size_t i = 0; e == SH_OK && i < c.n; i++) {
		e = sh_store_inbox_remove(d->store, c.seqs[i], c.ids[i]);
		if (e == SH_OK)
			e = sh_audit_signal_event(
			    d, SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_REVOKED,
			    c.ids[i], p->card.partner,
			    SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED,
			    "removed from the inbox: consent withdrawn", "",
			    "consent reference in the signal");
	}
	for (size_t i = 0; e == SH_OK && i < c.nq; i++) {
		e = sh_store_quarantine_del(d->store, c.qids[i]);
		if (e == SH_OK)
			e = sh_audit_signal_event(
			    d, SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_REVOKED,
			    c.qids[i], p->card.partner, c.qtypes[i],
			    "removed from quarantine: consent withdrawn", "",
			    "consent reference in the signal");
	}
	if (e == SH_OK)
		sh_info(
		    "consent %s of %s revoked: %zu waiting signals removed, "
		    "%zu quarantined",
		    ref, p->card.partner, c.n, c.nq);
	free(c.seqs);
	free(c.ids);
	free(c.qids);
	free(c.qtypes);
	return e;
}

/* The recipient's checks before delivery: the sealed part opens, the
 * consent (if any) was not withdrawn, and the catalogue's rules hold. A
 * signal that breaks the catalogue is quarantined. Then it is committed to
 * the inbox with its case key. A delivered signal naming a person also
 * gets its audit keys (resident and household) here, where the sealed
 * part is open: the audit entry would otherwise open it again. */
static sh_err check_and_deliver(sh_daemon *d, sh_peer *p,
                                const Seinhuis__Signal *s,
                                const uint8_t id[SH_ID_LEN], const uint8_t *eb,
                                size_t elen, char *detail, size_t dl,
                                sh_inbound_keys *ak)
{
	Seinhuis__SealedContent *sc = NULL;
	Seinhuis__Field **fields = NULL;
	size_t nfields = 0;
	uint8_t *case_key = ak->household;
	int have_case = 0;
	MDB_txn *txn = sh_store_txn(d->store);
	/* A new id on an old signal is a replay the seen table cannot catch:
	 * only signals created within max_signal_age (and not ahead of our
	 * clock by more than five minutes) are taken. */
	int64_t now = sh_now_ms();
	if (s->created_ms > now + SH_AHEAD_MAX_MS) {
		snprintf(detail, dl,
		         "created %lld s ahead of the recipient's clock (at "
		         "most %d allowed): the two machines' clocks differ; "
		         "check their time synchronisation (NTP)",
		         (long long)((s->created_ms - now + 999) / 1000),
		         SH_AHEAD_MAX_MS / 1000);
		return SH_ERR_STALE;
	}
	if (s->created_ms < now - (int64_t)d->cfg.max_signal_age_s * 1000) {
		snprintf(detail, dl,
		         "created outside the accepted window of %u "
		         "seconds",
		         d->cfg.max_signal_age_s);
		return SH_ERR_STALE;
	}
	/* An arrears signal naming a municipality this daemon's card does not
	 * list is not for this team: refused before its sealed part is
	 * opened, so no personal data of a resident it does not serve is
	 * read or kept (the sender checks it too, when it has the card). */
	const char *mc =
	    s->payload_case == SEINHUIS__SIGNAL__PAYLOAD_ARREARS && s->arrears
	        ? s->arrears->municipality_code
	        : "";
	if (d->self.card.municipalities[0] && strlen(mc) == 4 &&
	    strspn(mc, "0123456789") == 4 &&
	    !sh_card_serves(&d->self.card, mc)) {
		snprintf(detail, dl,
		         "municipality_code %s is not one this daemon serves "
		         "(%.100s)",
		         mc, d->self.card.municipalities);
		return SH_ERR_ROUTE;
	}
	/* A NUL inside a text field would cut it short for every check
	 * below, while the envelope, kept as received, holds the rest. */
	const char *nulf;
	int nul = sh_wire_text_nul(eb, elen, &nulf);
	if (nul > 0)
		return snprintf(detail, dl, "field '%s' holds a NUL byte",
		                nulf),
		       SH_ERR_FIELD_FORMAT;
	if (nul < 0)
		return snprintf(detail, dl, "the signal does not decode"),
		       SH_ERR_WIRE_DECODE;
	sh_err e = sh_peer_keys(d, p);
	if (e == SH_OK) {
		e = sh_wire_open_a(s, &p->keys, &d->sig_arena, &sc);
		e = e == SH_ERR_NOTFOUND ? SH_OK : e;
		if (e == SH_ERR_FIELD_FORMAT)
			return snprintf(detail, dl,
			                "a text field of the sealed part "
			                "holds a NUL byte"),
			       e;
		if (e)
			return snprintf(detail, dl,
			                "the sealed part does not open "
			                "with our key"),
			       SH_ERR_SEAL;
	}
	/* Whom the signal is for, now that the first person's postcode can
	 * be read: with a postcode table this daemon works out the
	 * resident's municipality itself and refuses a resident of one its
	 * card does not list, and a municipality_code the postcode
	 * contradicts (without a table, the code alone, as above). Refused,
	 * not quarantined: nothing of the personal data is kept, and the
	 * refusal names the codes, never the postcode. */
	if (e == SH_OK && sc && sc->n_persons > 0 &&
	    (e = sh_route_recipient_check(&d->routes, &d->self.card,
	                                  sc->persons[0]->postcode, mc, detail,
	                                  dl)) != SH_OK)
		goto out;
	if (e == SH_OK && s->consent_ref[0] &&
	    s->type != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION &&
	    sh_store_revoked_has(d->store, txn, p->card.partner,
	                         s->consent_ref)) {
		snprintf(detail, dl, "consent %.32s was withdrawn",
		         s->consent_ref);
		e = SH_ERR_CONSENT_REVOKED;
		goto out;
	}
	Seinhuis__QuarantineRecord *old = NULL;
	if (e == SH_OK &&
	    sh_store_quarantine_find(d->store, txn, id, &old) == SH_OK) {
		/* quarantined before: the same answer again */
		snprintf(detail, dl, "%s", old->detail);
		for (int k = SH_OK; k < SH_ERR__COUNT; k++)
			if (strcmp(sh_err_rule((sh_err)k), old->rule) == 0)
				e = (sh_err)k;
		if (e == SH_OK)
			e = SH_ERR_CONDITION;
		seinhuis__quarantine_record__free_unpacked(old, NULL);
		goto out;
	}
	if (e == SH_OK) {
		/* "Today" is the Dutch date of the signal's creation, as it
		 * was at the sender when it accepted the signal, not the day
		 * it arrives: a signal that waited in an outbox is judged as
		 * when it was made. created_ms is bounded by our own clock
		 * above (at most SH_AHEAD_MAX_MS ahead, at most
		 * max_signal_age old). */
		char field[64] = "", today[11];
		sh_date_nl(s->created_ms, today);
		e = sh_wire_fields_a(s, sc, &d->sig_arena, &fields, &nfields);
		if (e)
			sh_wire_unknown_part(s, sc, detail, dl);
		else
			e = sh_policy_check(&d->cat, s->type, p->card.role,
			                    d->self.card.role, fields, nfields,
			                    today, field, sizeof(field), detail,
			                    dl);
		if (e) {
			char full[300];
			snprintf(full, sizeof(full), "%s%s%s%s",
			         field[0] ? "field '" : "", field,
			         field[0] ? "': " : "", detail);
			snprintf(detail, dl, "%s", full);
			Seinhuis__QuarantineRecord q =
			    SEINHUIS__QUARANTINE_RECORD__INIT;
			q.message_id.data = (uint8_t *)id;
			q.message_id.len = SH_ID_LEN;
			q.sender = p->card.partner;
			q.type = s->type;
			q.received_ms = sh_now_ms();
			q.rule = (char *)sh_err_rule(e);
			q.detail = detail;
			q.envelope.data = (uint8_t *)eb;
			q.envelope.len = elen;
			sh_err qe = sh_store_quarantine_add(d->store, &q);
			if (qe == SH_OK)
				qe = sh_store_meta_time_set(d->store,
				                            "last_quarantined",
				                            q.received_ms);
			if (qe == SH_OK)
				d->turn_quarantined_ms = q.received_ms;
			if (qe == SH_OK)
				qe = sh_audit_signal_event(
				    d, SEINHUIS__AUDIT_EVENT__AUDIT_QUARANTINED,
				    id, p->card.partner, s->type, "quarantined",
				    sh_err_rule(e), detail);
			if (qe)
				e = qe;
			goto out;
		}
	}
	/* The subject pseudonym travels beside the seal: it must be the one
	 * of the sealed first person, as the sender computed it with the
	 * pair's key, or a consent check on it would look at another
	 * resident. One canonical form serves it and the audit's key. */
	char canon[300];
	int have_canon = 0;
	if (e == SH_OK && sc && sc->n_persons > 0) {
		uint8_t want[SH_PSEUDO_LEN];
		have_canon = sh_canonical_identity(sc->persons[0], canon,
		                                   sizeof(canon)) == SH_OK;
		if (have_canon)
			sh_pseudonym(want, p->keys.pseudo_key, canon);
		if (!have_canon || s->subject.len != SH_PSEUDO_LEN ||
		    memcmp(want, s->subject.data, SH_PSEUDO_LEN) != 0) {
			snprintf(detail, dl,
			         "the subject pseudonym is not that of the "
			         "signal's first person");
			e = SH_ERR_FIELD_VALUE;
		}
	} else if (e == SH_OK && s->subject.len != 0) {
		snprintf(detail, dl,
		         "a subject pseudonym without a person to match");
		e = SH_ERR_FIELD_VALUE;
	}
	if (e == SH_OK && sc && sc->n_persons > 0) {
		char hh[128];
		if (sh_household(sc->persons[0], hh, sizeof(hh)) == SH_OK) {
			sh_hmac_sha256(case_key, d->case_secret, SH_KEY_LEN, hh,
			               strlen(hh));
			have_case = 1;
		}
		sh_wipe(hh, sizeof(hh));
	}
	/* the audit log's key for the resident, kept in the inbox record
	 * too, so that taking the signal does not open it again */
	int have_resident = 0;
	if (e == SH_OK && have_canon && sh_audit_case_secret(d)) {
		have_resident = sh_audit_case_key_canon(d, canon, ak->resident);
		ak->n_others =
		    sh_other_persons_keys(sh_audit_case_secret(d), sc->persons,
		                          sc->n_persons, ak->others);
	}
	sh_wipe(canon, sizeof(canon));
	if (e == SH_OK) /* status feedback: checked and attached (cases.c) */
		e = sh_feedback_deliver(d, p, s, detail, dl, &ak->not_noted);
	if (e == SH_OK) /* a notice: to its reporter, or a hand-over */
		e = sh_notice_check(d, p, s, detail, dl);
	/* A status feedback is attached to the creditor's outbox record and
	 * audited; it is no inbox item that someone has to take. Its id is
	 * seen (as taken), so a re-sent copy is answered as a duplicate. */
	if (e == SH_OK && s->type == SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK)
		e = sh_store_seen_settled(d->store, id);
	else if (e == SH_OK)
		e = sh_store_inbox_add(d->store, id, p->card.partner, s->type,
		                       eb, elen, have_case ? case_key : NULL,
		                       have_resident ? ak->resident : NULL,
		                       s->consent_ref, sh_signal_acute(s),
		                       ak->have_sign_key ? ak->sign_key : NULL);
	int in_inbox = e == SH_OK;
	if (e == SH_OK && s->type == SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION)
		e = apply_revocation(d, p, s->consent_ref);
	if (e == SH_OK && s->type == SEINHUIS__SIGNAL_TYPE__VT_NOTICE)
		e = sh_notice_attach(d, p, s);
	/* Once the signal is in this turn's inbox it may not be answered
	 * REJECTED (the turn would commit it, the sender mark it failed):
	 * whatever fails after that fails the turn, and the sender sends
	 * it again. */
	if (in_inbox && e != SH_OK && e != SH_ERR_STORE &&
	    e != SH_ERR_STORE_FULL && e != SH_ERR_STORE_CORRUPT)
		e = SH_ERR_STORE;
	ak->have_resident = e == SH_OK && have_resident;
	/* in the inbox under it (a status feedback is not) */
	ak->have_household = e == SH_OK && have_case &&
	                     s->type != SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK;
out:
	/* sc and fields are in the signal's arena: wiped by handle_frame's
	 * reset of it once the signal is answered and audited */
	return e;
}

/* Tell the sender of a frame dropped over peer_rate to send it again,
 * from its first signal on, after retry_after_ms. Nothing of it was
 * stored, so this goes out at once, not after a commit. A first signal
 * with no readable message id gets no answer: the sender's own time-out
 * covers it. */
static void defer_frame(sh_daemon *d, sh_peer *p, zmq_msg_t *rid,
                        const Seinhuis__PeerFrame *f, uint32_t retry_after_ms,
                        sh_arena *fa)
{
	Seinhuis__Envelope *env = seinhuis__envelope__unpack(
	    &fa->pc, f->signals[0].len, f->signals[0].data);
	Seinhuis__Signal *s =
	    env ? seinhuis__signal__unpack(&fa->pc, env->signal.len,
	                                   env->signal.data)
	        : NULL;
	if (!s || s->message_id.len != SH_ID_LEN)
		return;
	Seinhuis__PeerFrame out = SEINHUIS__PEER_FRAME__INIT;
	uint8_t buf[64];
	out.format_version = SH_FORMAT_VERSION;
	out.deferred_from = s->message_id;
	out.retry_after_ms = retry_after_ms;
	out.rate_per_s = d->cfg.peer_rate;
	out.sent_ms = sh_now_ms();
	size_t n = seinhuis__peer_frame__get_packed_size(&out);
	if (n > sizeof(buf))
		return;
	seinhuis__peer_frame__pack(&out, buf);
	if (zmq_send(d->router, zmq_msg_data(rid), zmq_msg_size(rid),
	             ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(d->router, buf, n, ZMQ_DONTWAIT) < 0)
		sh_debug("peer %s: deferral not sent (%s)", p->card.partner,
		         zmq_strerror(errno));
}

/* ------------------------------------------------------------ recover
 *
 * A recipient that restored a backup of its store has lost what was
 * delivered to it after the backup was made, while its senders hold those
 * signals as delivered. `seinctl recover --since T` there asks each
 * partner, in a frame of its own (resend_since_ms), to send again what it
 * delivered since T. The sender keeps a delivered signal's envelope for
 * resend_window (store.c), turns each such record pending again and sends
 * it as any other; the recipient's seen table answers those it still has
 * as duplicates, so each signal ends up in its inbox once. The request is
 * repeated while the partner is connected until it answers, and kept in
 * the store (meta "recover/<partner>") until then, so that a restart goes
 * on asking: a partner that is down for a weekend is asked when it comes
 * back, even if this daemon was restarted in between. Asking again is
 * harmless. The answer also lists the consents of the asking daemon's
 * register that the sender holds as revoked: withdrawals made after the
 * backup are marked again there (consent_revoked_there). */

/* Asked again after this long without an answer, at most this often. */
#define RECOVER_RETRY_MS 5000
#define RECOVER_TRIES    12
/* The sender answers one partner's requests at most this often. */
#define RECOVER_MIN_MS 1000

/* At most this many revoked consent references go with an answer. */
#define RECOVER_REVOKED_MAX 4096

static sh_err consent_revoked_there(sh_daemon *d, sh_peer *p,
                                    const uint8_t ref[16], const char *why);

struct requeue_ctx {
	sh_daemon *d;
	sh_peer *p;
};

struct revoked_refs {
	uint8_t (*ref)[16];
	ProtobufCBinaryData *v;
	size_t n;
};

static int revoked_ref_one(void *vctx, const uint8_t ref[16])
{
	struct revoked_refs *c = vctx;
	memcpy(c->ref[c->n], ref, 16);
	c->v[c->n] = (ProtobufCBinaryData){16, c->ref[c->n]};
	c->n++;
	return 0;
}

static int requeue_one(void *vctx, uint64_t seq,
                       const Seinhuis__OutboxRecord *r)
{
	struct requeue_ctx *c = vctx;
	if (sh_idmap_get(&c->d->pending, r->message_id.data))
		return 0; /* on its queue already */
	sh_defer *df = sh_defer_add(c->d, DEFER_REQUEUE);
	df->peer = c->p;
	df->seq = seq;
	memcpy(df->id, r->message_id.data, SH_ID_LEN);
	return 1;
}

/* Sender: a request of p within recover_interval of our last answer to
 * it, answered "ask again in ms" at once (nothing is stored). Logged once
 * per answer: a partner that asks every second writes one line. */
static void defer_resend(sh_daemon *d, sh_peer *p, zmq_msg_t *rid,
                         int64_t since, int64_t ms)
{
	Seinhuis__PeerFrame out = SEINHUIS__PEER_FRAME__INIT;
	uint8_t buf[64];
	out.format_version = SH_FORMAT_VERSION;
	out.resend_since_ms = since;
	out.retry_after_ms = (uint32_t)ms;
	out.sent_ms = sh_now_ms();
	size_t n = seinhuis__peer_frame__pack(&out, buf);
	if (zmq_send(d->router, zmq_msg_data(rid), zmq_msg_size(rid),
	             ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(d->router, buf, n, ZMQ_DONTWAIT) < 0)
		sh_debug("peer %s: recover deferral not sent (%s)",
		         p->card.partner, zmq_strerror(errno));
	if (p->recover_deferral_logged)
		return;
	p->recover_deferral_logged = 1;
	char when[40];
	sh_fmt_utc(when, sizeof(when), since);
	sh_info("peer %s asks again for the signals delivered to it since %s, "
	        "%lld s after our last answer: taken up after recover_interval "
	        "(%u s), it is told to ask again in %lld s",
	        p->card.partner, when,
	        (long long)((sh_mono_ms() - p->recover_done_at) / 1000),
	        d->cfg.recover_interval_s, (long long)((ms + 999) / 1000));
}

/* Sender: partner p asks for what we delivered to it since `since`. The
 * answer takes one step a loop turn (sh_peer_resend_steps) and is sent
 * with the last; the same request again meanwhile only moves the answer
 * to the connection it came on. A new request within recover_interval of
 * the last answer is told when to ask again: each answer queues again
 * all that p was sent within resend_window, and p could otherwise have
 * that done every second, for all its partners to wait on. A recipient
 * that restores a backup twice in a row gets its second answer late,
 * not never. */
static void answer_resend(sh_daemon *d, sh_peer *p, zmq_msg_t *rid,
                          int64_t since)
{
	int64_t mono = sh_mono_ms();
	if (!(p->resend_busy && p->resend_since == since)) {
		/* at most once a second, counted from the last answer (a
		 * repeat that crossed it on the wire is not a new request) */
		if (p->recover_handled_at &&
		    mono - p->recover_handled_at < RECOVER_MIN_MS)
			return; /* it asks again if it hears nothing */
		int64_t iv = (int64_t)d->cfg.recover_interval_s * 1000;
		if (!p->resend_busy && p->recover_done_at &&
		    mono - p->recover_done_at < iv) {
			p->recover_handled_at = mono;
			defer_resend(d, p, rid, since,
			             iv - (mono - p->recover_done_at));
			return;
		}
		p->recover_handled_at = mono;
		if (!p->resend_busy)
			d->resend_busy_n++;
		p->resend_busy = 1;
		p->resend_since = since;
		p->resend_from = 0;
		p->resend_total = 0;
		p->resend_wait_until = 0;
	}
	p->resend_rid.len = 0;
	sh_buf_add(&p->resend_rid, zmq_msg_data(rid), zmq_msg_size(rid));
}

void sh_peer_resend_end(sh_daemon *d, sh_peer *p)
{
	if (!p->resend_busy)
		return;
	p->resend_busy = 0;
	d->resend_busy_n--;
	sh_buf_free(&p->resend_rid);
}

/* A step that could not be made, or whose turn failed, is made again
 * (from the same place) this long after. */
#define RESEND_RETRY_MS 1000

static void resend_step(sh_daemon *d, sh_peer *p)
{
	if (sh_mono_ms() < p->resend_wait_until)
		return;
	if (sh_daemon_txn(d) != SH_OK) {
		p->resend_wait_until = sh_mono_ms() + RESEND_RETRY_MS;
		return;
	}
	int64_t now = sh_now_ms(), since = p->resend_since;
	size_t n = 0;
	uint64_t next = 0;
	sh_err e = SH_OK;
	/* Only signals within the resend window, and young enough that a
	 * recipient with our max_signal_age would not refuse them as STALE
	 * on arrival (a minute to spare), go again: one it refuses turns
	 * failed here, as any refused signal does. Taken at each step: a
	 * pass may take a while. A time ahead of our clock (beyond a
	 * minute's skew) asks for nothing. */
	int64_t min_created = now - (int64_t)d->cfg.resend_window_s * 1000,
	        min_fresh =
	            now - (int64_t)d->cfg.max_signal_age_s * 1000 + 60000;
	if (min_created < min_fresh)
		min_created = min_fresh;
	if (since > 0 && since <= now + 60000) {
		struct requeue_ctx c = {d, p};
		e = sh_store_outbox_requeue_from(
		    d->store, p->card.partner, since, min_created,
		    p->resend_from, d->cfg.resend_step, requeue_one, &c, &n,
		    &next);
	}
	char when[40], detail[160];
	sh_fmt_utc(when, sizeof(when), since);
	uint64_t total = p->resend_total + n;
	if (e == SH_OK && !next) {
		snprintf(detail, sizeof(detail),
		         "%llu signal(s) delivered since %s queued to be sent "
		         "again in all, %llu of them in this last step",
		         (unsigned long long)total, when,
		         (unsigned long long)n);
		e = sh_audit_resend(d, NULL, p->card.partner, "queued", detail);
	} else if (e == SH_OK && n) {
		/* a step before the last commits what it queued: its entry
		 * commits with it, so that a stop before the answer leaves
		 * no signal queued again without a word in the log */
		snprintf(detail, sizeof(detail),
		         "%llu signal(s) delivered since %s queued to be sent "
		         "again, %llu so far; more steps may follow",
		         (unsigned long long)n, when,
		         (unsigned long long)total);
		e = sh_audit_resend(d, NULL, p->card.partner, "queuing",
		                    detail);
	}
	if (e != SH_OK) {
		sh_daemon_txn_fail(d, e);
		sh_daemon_warn(d,
		               "peer %s: cannot answer its recover request "
		               "now: %s; tried again in a second",
		               p->card.partner, sh_err_rule(e));
		p->resend_wait_until = sh_mono_ms() + RESEND_RETRY_MS;
		return;
	}
	sh_defer *df = sh_defer_add(d, DEFER_RESEND_STEP);
	df->peer = p;
	df->at = since;
	df->seq = next;
	df->count = n;
	if (next) {
		sh_debug("peer %s: recover since %s: %llu queued so far",
		         p->card.partner, when, (unsigned long long)total);
		return;
	}
	sh_info("peer %s asked for the signals delivered to it since %s "
	        "(it restored a backup): %llu queued to be sent again",
	        p->card.partner, when, (unsigned long long)total);
	Seinhuis__PeerFrame out = SEINHUIS__PEER_FRAME__INIT;
	out.format_version = SH_FORMAT_VERSION;
	out.resend_answer = 1;
	out.resend_since_ms = since;
	out.resend_count = total;
	/* and the consents it revoked that we hold as revoked: a restored
	 * store may have lost the withdrawals */
	struct revoked_refs rr = {
	    sh_xcalloc(RECOVER_REVOKED_MAX, sizeof(*rr.ref)),
	    sh_xcalloc(RECOVER_REVOKED_MAX, sizeof(*rr.v)), 0};
	if (sh_store_revoked_scan(d->store, sh_store_txn(d->store),
	                          p->card.partner, RECOVER_REVOKED_MAX,
	                          revoked_ref_one, &rr) != SH_OK)
		rr.n = 0; /* the signals still go again */
	out.n_revoked_consents = rr.n;
	out.revoked_consents = rr.v;
	df = sh_defer_add(d, DEFER_RECEIPTS);
	df->peer = p;
	sh_buf_add(&df->routing_id, p->resend_rid.data, p->resend_rid.len);
	size_t len = seinhuis__peer_frame__get_packed_size(&out);
	sh_buf_add(&df->data, NULL, len);
	seinhuis__peer_frame__pack(&out, df->data.data);
	free(rr.ref);
	free(rr.v);
}

void sh_peer_resend_steps(sh_daemon *d)
{
	for (size_t i = 0; d->resend_busy_n && i < d->npeers; i++) {
		sh_peer *p = &d->peers[i];
		if (!p->resend_busy)
			continue;
		if (p->removed)
			sh_peer_resend_end(d, p);
		else
			resend_step(d, p);
	}
}

void sh_peer_resend_step_done(sh_daemon *d, const sh_defer *df, int ok)
{
	sh_peer *p = df->peer;
	if (!p->resend_busy || p->resend_since != df->at)
		return; /* asked anew meanwhile: that answer starts over */
	if (!ok) {
		/* undone with its turn: the same step again, a little later */
		p->resend_wait_until = sh_mono_ms() + RESEND_RETRY_MS;
		return;
	}
	p->resend_total += df->count;
	p->resend_from = df->seq;
	if (!df->seq) {
		p->recover_handled_at = p->recover_done_at = sh_mono_ms();
		p->recover_deferral_logged = 0;
		sh_peer_resend_end(d, p); /* answered */
	}
}

/* Recipient: ask p (connected) again if it has not answered for a while. */
static void recover_ask(sh_daemon *d, sh_peer *p, int64_t now)
{
	if (p->recover_sent_at && now - p->recover_sent_at < RECOVER_RETRY_MS)
		return;
	if (p->redial && now < p->redial_at)
		return;
	if (!p->dealer) {
		if (ensure_dealer(d, p) != SH_OK)
			return;
		p->redial = 0;
	}
	if (!p->connected)
		return;
	char when[40];
	sh_fmt_utc(when, sizeof(when), p->recover_since_ms);
	if (p->recover_tries >= RECOVER_TRIES) {
		p->recover_answered_ms = -1;
		p->recover_deferred_until_ms = 0;
		snprintf(p->last_error, sizeof(p->last_error),
		         "no answer to recover since %s", when);
		sh_daemon_error(d,
		                "peer %s: no answer to %u requests to send "
		                "again what it delivered since %s (a version "
		                "without recover?); given up",
		                p->card.partner, p->recover_tries, when);
		return;
	}
	Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
	uint8_t buf[64];
	f.format_version = SH_FORMAT_VERSION;
	f.resend_since_ms = p->recover_since_ms;
	f.sent_ms = sh_now_ms();
	size_t len = seinhuis__peer_frame__pack(&f, buf);
	p->zcheck = 1;
	if (zmq_send(p->dealer, buf, len, ZMQ_DONTWAIT) < 0)
		return; /* tried again next turn */
	p->recover_sent_at = now;
	p->recover_tries++;
	sh_debug("peer %s: asked to send again what it delivered since %s",
	         p->card.partner, when);
}

/* Recipient: p answered. The request leaves the store in the turn that
 * audits the answer; if that turn fails, p is asked again. */
static void recover_answered(sh_daemon *d, sh_peer *p,
                             const Seinhuis__PeerFrame *f)
{
	char when[40], detail[160];
	if (!p->recover_since_ms || p->recover_answered_ms > 0 ||
	    f->resend_since_ms != p->recover_since_ms) {
		sh_debug("peer %s: a recover answer not asked for ignored",
		         p->card.partner);
		return;
	}
	sh_fmt_utc(when, sizeof(when), f->resend_since_ms);
	snprintf(detail, sizeof(detail),
	         "sends %llu signal(s) delivered since %s again",
	         (unsigned long long)f->resend_count, when);
	sh_err e = sh_daemon_txn(d);
	if (e == SH_OK &&
	    (e = sh_store_recover_set(d->store, p->card.partner, 0)) != SH_OK) {
		sh_daemon_txn_fail(d, e);
		sh_daemon_warn(d,
		               "peer %s: cannot record its recover answer: "
		               "%s; it is asked again",
		               p->card.partner, sh_err_rule(e));
	}
	if (e == SH_OK)
		e = sh_audit_resend(d, NULL, p->card.partner, "answered",
		                    detail);
	/* consents withdrawn after the backup, learnt back; one that cannot
	 * be marked undoes the turn, and p is asked again */
	if (e != SH_OK)
		return; /* asked again after RECOVER_RETRY_MS */
	size_t skipped = 0;
	for (size_t i = 0; e == SH_OK && i < f->n_revoked_consents; i++) {
		if (f->revoked_consents[i].len != 16) {
			skipped++;
			continue;
		}
		e = consent_revoked_there(d, p, f->revoked_consents[i].data,
		                          "holds it as withdrawn (its answer "
		                          "to seinctl recover)");
	}
	if (e != SH_OK) {
		sh_daemon_txn_fail(d, e);
		return;
	}
	/* counted, never shown: what a partner sends is not repeated */
	if (skipped)
		sh_daemon_warn(d,
		               "peer %s: %zu of the %zu revoked consent "
		               "references in its answer to seinctl recover "
		               "are not 16 bytes long: skipped (those consents "
		               "are not marked revoked here; ask the partner)",
		               p->card.partner, skipped, f->n_revoked_consents);
	/* answered once the turn commits (else asked again) */
	sh_defer *df = sh_defer_add(d, DEFER_RECOVER_ANSWERED);
	df->peer = p;
	df->seq = f->resend_count;
	sh_info("peer %s %s", p->card.partner, detail);
}

/* Recipient: p takes our request after its recover_interval; asked again
 * then (the tries start over: it did answer). */
static void recover_deferred(sh_daemon *d, sh_peer *p,
                             const Seinhuis__PeerFrame *f)
{
	(void)d;
	if (!p->recover_since_ms || p->recover_answered_ms != 0 ||
	    f->resend_since_ms != p->recover_since_ms) {
		sh_debug("peer %s: a recover deferral not asked for ignored",
		         p->card.partner);
		return;
	}
	/* a second to a day: what it says, within what a sender may mean */
	int64_t ms = f->retry_after_ms < 1000       ? 1000
	             : f->retry_after_ms > 86400000 ? 86400000
	                                            : f->retry_after_ms;
	int first = p->recover_deferred_until_ms == 0;
	p->recover_sent_at = sh_mono_ms() + ms - RECOVER_RETRY_MS;
	p->recover_tries = 0;
	p->recover_deferred_until_ms = sh_now_ms() + ms;
	if (!first)
		return;
	char when[40], at[40];
	sh_fmt_utc(when, sizeof(when), p->recover_since_ms);
	sh_fmt_utc(at, sizeof(at), p->recover_deferred_until_ms);
	sh_info("peer %s takes our request to send again what it delivered "
	        "since %s after its recover_interval (it answered another "
	        "lately): asked again at %s",
	        p->card.partner, when, at);
}

void sh_peer_recover_set(sh_peer *p, int64_t since_ms)
{
	p->recover_since_ms = since_ms;
	p->recover_sent_at = 0;
	p->recover_tries = 0;
	p->recover_answered_ms = 0;
	p->recover_count = 0;
	p->recover_deferred_until_ms = 0;
}

void sh_peer_recover_load(sh_daemon *d, sh_peer *p)
{
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		return;
	int64_t since = sh_store_recover_get(d->store, txn, p->card.partner);
	sh_store_read_end(d->store, txn);
	if (!since)
		return;
	sh_peer_recover_set(p, since);
	char when[40];
	sh_fmt_utc(when, sizeof(when), since);
	sh_info("recover: %s is still to be asked to send again what it "
	        "delivered since %s (asked before this start, no answer yet)",
	        p->card.partner, when);
}

/* A partner's clock. Each frame carries its sender's clock at packing;
 * less ours at arrival, that is the difference of the two clocks less the
 * time on the way (and in queues), so a reading is never above the
 * difference, and the largest of a few seconds' readings is the best
 * guess. Kept: the largest of the current window and of the window before
 * it, so that a clock put right shows within two windows. */
#define CLOCK_WINDOW_MS 10000
#define CLOCK_WARN_MS   60000 /* warned about from a minute */
#define CLOCK_CLEAR_MS  30000 /* ... until within half a minute */

int64_t sh_peer_clock_offset(const sh_peer *p)
{
	if (!p->clk_read_ms)
		return 0;
	return p->clk_have_prev && p->clk_prev > p->clk_cur ? p->clk_prev
	                                                    : p->clk_cur;
}

void sh_peer_clock(sh_daemon *d, sh_peer *p, int64_t sent_ms)
{
	if (sent_ms <= 0)
		return;
	int64_t now = sh_now_ms(), mono = sh_mono_ms();
	int64_t r = sent_ms - now;
	if (!p->clk_read_ms || p->clk_fresh ||
	    mono - p->clk_win_at >= CLOCK_WINDOW_MS) {
		p->clk_have_prev = p->clk_read_ms && !p->clk_fresh &&
		                   mono - p->clk_win_at < 2 * CLOCK_WINDOW_MS;
		p->clk_fresh = 0;
		p->clk_prev = p->clk_cur;
		p->clk_cur = r;
		p->clk_win_at = mono;
	} else if (r > p->clk_cur) {
		p->clk_cur = r;
	}
	p->clk_read_ms = now;
	int64_t off = sh_peer_clock_offset(p);
	long long s = (long long)((off < 0 ? -off : off) / 1000);
	if (!p->clk_warned && s * 1000 >= CLOCK_WARN_MS) {
		p->clk_warned = 1;
		sh_daemon_warn(
		    d,
		    "peer %s: its clock is %lld s %s ours (read from "
		    "the times on its frames), or ours is %s: a "
		    "signal created more than %d s ahead of its "
		    "recipient's clock is refused (STALE); check "
		    "both machines' time synchronisation (NTP)",
		    p->card.partner, s, off > 0 ? "ahead of" : "behind",
		    off > 0 ? "behind"
		            : "ahead, or its frames wait that long on "
		              "the way",
		    SH_AHEAD_MAX_MS / 1000);
	} else if (p->clk_warned && s * 1000 < CLOCK_CLEAR_MS) {
		p->clk_warned = 0;
		sh_info("peer %s: its clock and ours now differ by %lld s "
		        "(read from the times on its frames)",
		        p->card.partner, s);
	}
}

/* Refused signals of one frame logged one line each; a partner's frame
 * of thousands of bad signals would otherwise write thousands of lines
 * (and push everything else out of a rate-limited journal). */
#define REFUSALS_TOLD 8

/* A signal in the seen table, sent again: SH_OK if it names p as its
 * sender and us as its recipient and, while it is in the inbox, came
 * from p; else the rule it breaks (SENDER, RECIPIENT). Its envelope is
 * not verified: a duplicate is answered from the seen table. */
static sh_err seen_foreign(sh_daemon *d, sh_peer *p, const Seinhuis__Signal *s,
                           const uint8_t id[SH_ID_LEN])
{
	if (strcmp(s->sender, p->card.partner) != 0)
		return SH_ERR_SENDER;
	if (strcmp(s->recipient, d->self.card.partner) != 0)
		return SH_ERR_RECIPIENT;
	Seinhuis__InboxRecord *rec = NULL;
	sh_err e = SH_OK;
	if (sh_store_inbox_get(d->store, sh_store_txn(d->store), id, &rec) ==
	    SH_OK) {
		if (strcmp(rec->sender, p->card.partner) != 0)
			e = SH_ERR_SENDER;
		seinhuis__inbox_record__free_unpacked(rec, NULL);
	}
	return e;
}

static size_t handle_frame(sh_daemon *d, sh_peer *p, zmq_msg_t *rid,
                           const uint8_t *data, size_t len)
{
	/* The frame, its entries and its receipts are in the frame's arena,
	 * let go (wiped) before this returns. */
	sh_arena *fa = &d->frame_arena;
	Seinhuis__PeerFrame *f =
	    seinhuis__peer_frame__unpack(&fa->pc, len, data);
	if (!f) {
		sh_arena_reset(fa);
		p->rejected_in++;
		d->rejected_in++;
		sh_daemon_warn(d,
		               "peer %s: malformed frame of %zu bytes refused",
		               p->card.partner, len);
		sh_audit_frame_refused(d, p, SH_ERR_WIRE_DECODE);
		return 0;
	}
	if (f->format_version != SH_FORMAT_VERSION &&
	    f->format_version != SH_FRAME_BATCH_VERSION) {
		p->rejected_in++;
		d->rejected_in++;
		sh_daemon_warn(d, "peer %s: frame format version %u refused",
		               p->card.partner, f->format_version);
		sh_audit_frame_refused(d, p, SH_ERR_WIRE_VERSION);
		sh_arena_reset(fa);
		return 0;
	}
	/* A frame of singly signed signals (version 1) holds what one frame
	 * of a build before batch signing held: batch_max signals, at most
	 * V1_SIGNALS_MAX whatever that build's or our setting; this build
	 * sends signals in version 2 frames only. More would be one long
	 * turn with one journal record, out of reach of TURN_SIGNALS (checked
	 * between frames); version 2 frames are held to SH_BATCH_MAX by
	 * sh_batch_verify_a. Refused whole, before any part of it is used. */
	if (f->format_version == SH_FORMAT_VERSION &&
	    f->n_signals > V1_SIGNALS_MAX) {
		p->rejected_in++;
		d->rejected_in++;
		sh_daemon_warn(d,
		               "peer %s: frame of %zu signals refused: %s (a "
		               "frame of singly signed signals holds at most "
		               "%d)",
		               p->card.partner, f->n_signals,
		               sh_err_rule(SH_ERR_WIRE_DECODE), V1_SIGNALS_MAX);
		sh_audit_frame_refused(d, p, SH_ERR_WIRE_DECODE);
		sh_arena_reset(fa);
		return 0;
	}
	sh_peer_clock(d, p, f->sent_ms);
	if (f->n_receipts)
		sh_warn("peer %s: receipts on the inbound socket ignored",
		        p->card.partner);
	if (f->resend_since_ms)
		answer_resend(d, p, rid, f->resend_since_ms);
	if (f->audit_head.len || f->n_witnessed_head)
		sh_witness_inbound(d, p, f, zmq_msg_data(rid),
		                   zmq_msg_size(rid));
	size_t nsignals = f->n_signals;
	/* refusals told in the log one by one, the rest of the frame's in
	 * one line after it (each is still audited and answered) */
	size_t nrefused = 0;
	const char *first_rule = NULL;
	if (f->n_signals == 0) {
		sh_arena_reset(fa);
		return 0;
	}
	/* Flood control per partner: a token bucket of peer_rate signals a
	 * second, bursts up to twice that. A frame over it is dropped, so
	 * that the other partners keep their share of this loop, and the
	 * sender is told when the bucket will hold it (defer_frame); one
	 * that does not listen is slowed by its own retry back-off. */
	int64_t now = sh_mono_ms();
	double rate = d->cfg.peer_rate, burst = 2.0 * d->cfg.peer_rate;
	if (p->tokens_at == 0)
		p->tokens = burst;
	else
		p->tokens += rate * (double)(now - p->tokens_at) / 1000.0;
	if (p->tokens > burst)
		p->tokens = burst;
	p->tokens_at = now;
	/* Once a frame is deferred, later ones are too until the time the
	 * sender was given: it sends them all again in order then, so none
	 * taken in between would arrive twice. That time is at least
	 * DEFER_MIN_MS, longer than the frames the sender put on the wire
	 * before it heard of the deferral take to arrive; the wait costs no
	 * throughput, as the bucket fills meanwhile. */
	if (p->tokens < (double)nsignals || now < p->refuse_until) {
		p->rate_limited += nsignals;
		if (now - p->limited_logged >= 1000) {
			p->limited_logged = now;
			sh_daemon_warn(
			    d,
			    "peer %s: over %u signals a second; %llu "
			    "signals dropped so far, to be re-sent",
			    p->card.partner, d->cfg.peer_rate,
			    (unsigned long long)p->rate_limited);
			sh_audit_frame_refused(d, p, SH_ERR_RATE_LIMIT);
		}
		if (now >= p->refuse_until) {
			/* till the bucket holds the frame, or is full: a
			 * pacing sender sends no more than that */
			double need =
			    (double)nsignals < burst ? (double)nsignals : burst;
			double wait = (need - p->tokens) * 1000.0 / rate;
			p->refuse_until =
			    now + (wait + 1 > DEFER_MIN_MS ? (int64_t)wait + 1
			                                   : DEFER_MIN_MS);
		}
		defer_frame(d, p, rid, f, (uint32_t)(p->refuse_until - now),
		            fa);
		sh_arena_reset(fa);
		return nsignals;
	}
	p->tokens -= (double)nsignals;
	/* A batch-signed frame: one signature covers all its signals. Each
	 * signal is then checked, and stored, with its own proof (batch
	 * signature, leaf, audit path), so that it shows alone who sent it.
	 * A frame whose signature fails has every signal refused, but
	 * those delivered before (answered as duplicates, below). */
	sh_buf *proofs = NULL;
	sh_sig_memo memo = {0};
	sh_err batch_e = SH_OK;
	const sh_card *from = &p->card;
	sh_card prev;
	if (f->format_version == SH_FRAME_BATCH_VERSION) {
		proofs = sh_xcalloc(f->n_signals, sizeof(*proofs));
		batch_e =
		    sh_batch_verify_a(&d->self, from, f, proofs, &memo, fa);
		/* signed by the partner's previous key: accepted within the
		 * overlap of its key rotation, KEY_EXPIRED after it */
		sh_key_state st = SH_KEY_UNKNOWN;
		if (batch_e == SH_ERR_SIGNATURE)
			st = sh_card_previous(&p->card, sh_now_ms() / 1000,
			                      &prev);
		sh_sig_memo pm = {0};
		if (st != SH_KEY_UNKNOWN &&
		    sh_batch_verify_a(&d->self, &prev, f, proofs, &pm, fa) ==
		        SH_OK) {
			memo = pm;
			from = &prev;
			batch_e =
			    st == SH_KEY_EXPIRED ? SH_ERR_KEY_EXPIRED : SH_OK;
		}
		if (batch_e != SH_OK)
			sh_daemon_warn(d,
			               "peer %s: batch of %zu signals "
			               "refused: %s (%s)",
			               p->card.partner, f->n_signals,
			               sh_err_rule(batch_e),
			               sh_err_str(batch_e));
	}
	Seinhuis__PeerFrame out = SEINHUIS__PEER_FRAME__INIT;
	out.format_version = SH_FORMAT_VERSION;
	out.receipts = sh_arena_alloc(fa, f->n_signals * sizeof(*out.receipts));
	int store_ok = sh_daemon_txn(d) == SH_OK;
	for (size_t i = 0; i < f->n_signals && store_ok; i++) {
		/* storage full: take what fits this turn, leave the rest
		 * unanswered; the sender sends it again. Above the threshold
		 * the room left is for taking signals out of the inbox. */
		if (sh_daemon_store_full(d) || !sh_daemon_write_ok(d))
			break;
		int proven = proofs && batch_e == SH_OK;
		const uint8_t *eb =
		    proven ? proofs[i].data : f->signals[i].data;
		size_t elen = proven ? proofs[i].len : f->signals[i].len;
		Seinhuis__Signal *s = NULL;
		uint8_t id[SH_ID_LEN] = {0};
		sh_inbound_keys ak = {.have_resident = 0};
		char idhex[33];
		/* A re-sent signal that was delivered before is answered from
		 * the seen table, without paying for its signature again. It
		 * is decoded once, into the signal's arena, for this look-up
		 * and for the checks that follow. So it is whatever the
		 * frame's batch signature: a DUPLICATE only settles the
		 * sender's own signal and writes nothing, as for a singly
		 * signed one, where REJECTED would fail a signal that is in
		 * the inbox (and free its natural key to be sent again). */
		sh_wire_decoded dec;
		int seen = sh_wire_decode_a(eb, elen, &d->sig_arena, &dec,
		                            id) == SH_OK &&
		           sh_store_seen(d->store, sh_store_txn(d->store), id);
		/* ... but only one that names this partner as its sender and
		 * us as its recipient, and was not delivered from another
		 * partner: else it is refused, and its id (another's signal)
		 * goes into no audit entry of this partner's */
		sh_err foreign = seen ? seen_foreign(d, p, dec.sig, id) : SH_OK;
		if (foreign != SH_OK)
			seen = 0;
		sh_err e = seen               ? SH_OK
		           : foreign != SH_OK ? foreign
		           : batch_e != SH_OK
		               ? batch_e
		               : sh_wire_verify_decoded(&d->self, from, &dec,
		                                        &memo, proven, &s, id);
		/* the key that signed it: the card's, or (within an
		 * overlap) the previous one */
		const uint8_t *signer = from->sign_pub;
		/* a singly signed signal by the partner's previous key */
		if (e == SH_ERR_SIGNATURE && !proofs) {
			e = verify_previous(d, p, &dec, &s, id);
			signer = p->card.prev_sign;
		}
		if (e == SH_OK && !seen) {
			memcpy(ak.sign_key, signer, SH_KEY_LEN);
			ak.have_sign_key = 1;
		}
		sh_hex(idhex, id, SH_ID_LEN);
		Seinhuis__ReceiptStatus rs;
		char detail[300] = "";
		if (seen) {
			rs = SEINHUIS__RECEIPT_STATUS__RECEIPT_DUPLICATE;
			p->turn_duplicates++;
		} else {
			e = e ? e
			      : check_and_deliver(d, p, s, id, eb, elen, detail,
			                          sizeof(detail), &ak);
			if (e == SH_OK) {
				rs =
				    SEINHUIS__RECEIPT_STATUS__RECEIPT_DELIVERED;
				p->turn_received++;
				sh_debug("received %s %s from %s", idhex,
				         sh_signal_type_name(s->type),
				         p->card.partner);
			} else if (e == SH_ERR_STORE ||
			           e == SH_ERR_STORE_FULL ||
			           e == SH_ERR_STORE_CORRUPT) {
				sh_daemon_txn_fail(d, e);
				store_ok = 0;
				rs =
				    SEINHUIS__RECEIPT_STATUS__RECEIPT_UNSPECIFIED;
			} else if (foreign != SH_OK) {
				rs = SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED;
				p->turn_rejected_in++;
				snprintf(detail, sizeof(detail),
				         "the message id of a signal delivered "
				         "before, %s",
				         e == SH_ERR_RECIPIENT
				             ? "naming another recipient"
				             : "from another sender");
				if (nrefused++ < REFUSALS_TOLD)
					sh_daemon_warn(d,
					               "peer %s: a signal "
					               "refused: %s (%s)",
					               p->card.partner,
					               sh_err_rule(e), detail);
				else if (!first_rule)
					first_rule = sh_err_rule(e);
			} else {
				rs = SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED;
				p->turn_rejected_in++;
				if (nrefused++ < REFUSALS_TOLD)
					sh_daemon_warn(
					    d,
					    "peer %s: signal %s refused: %s "
					    "(%.120s)",
					    p->card.partner, idhex,
					    sh_err_rule(e),
					    detail[0] ? detail : sh_err_str(e));
				else if (!first_rule)
					first_rule = sh_err_rule(e);
			}
		}
		static const uint8_t zero[SH_ID_LEN];
		/* the refusal of another's id: audited without it, nor what
		 * the envelope claims */
		sh_audit_inbound(d, p, s, eb, foreign ? 0 : elen,
		                 foreign ? zero : id, rs, e, &ak);
		sh_wipe(&ak, sizeof(ak));
		int have_id = memcmp(id, zero, SH_ID_LEN) != 0;
		if (store_ok)
			out.receipts[out.n_receipts++] =
			    new_receipt(fa, have_id ? id : NULL,
			                have_id ? SH_ID_LEN : 0, rs, e, detail);
		/* the signal, its opened sealed part and its fields */
		sh_arena_reset(&d->sig_arena);
	}
	if (nrefused > REFUSALS_TOLD)
		sh_daemon_warn(
		    d,
		    "peer %s: %zu more signals of the same frame "
		    "refused (the first of them: %s); each is in the "
		    "audit log",
		    p->card.partner, nrefused - REFUSALS_TOLD, first_rule);
	if (store_ok && out.n_receipts) {
		sh_defer *df = sh_defer_add(d, DEFER_RECEIPTS);
		df->peer = p;
		sh_buf_add(&df->routing_id, zmq_msg_data(rid),
		           zmq_msg_size(rid));
		size_t n = seinhuis__peer_frame__get_packed_size(&out);
		sh_buf_add(&df->data, NULL, n);
		seinhuis__peer_frame__pack(&out, df->data.data);
	}
	if (proofs) {
		for (size_t i = 0; i < f->n_signals; i++)
			sh_buf_free(&proofs[i]);
		free(proofs);
	}
	sh_arena_reset(fa);
	return nsignals;
}

/* Signals taken per loop turn: enough to share a commit widely, few
 * enough that commits and receipts keep flowing and senders do not time
 * out and resend. (With one signature per frame, a signal costs some
 * 50-100 us here: checks, sealed part, policy, inbox and audit writes.) */
#define TURN_SIGNALS 2048

void sh_peer_handle_router(sh_daemon *d)
{
	size_t signals = 0;
	for (int i = 0; i < DRAIN_MAX && signals < TURN_SIGNALS; i++) {
		zmq_msg_t rid, body;
		zmq_msg_init(&rid);
		if (zmq_msg_recv(&rid, d->router, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&rid);
			return;
		}
		zmq_msg_init(&body);
		if (!zmq_msg_more(&rid) ||
		    zmq_msg_recv(&body, d->router, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&rid);
			zmq_msg_close(&body);
			continue;
		}
		const char *user = zmq_msg_gets(&body, "User-Id");
		sh_peer *p = user ? sh_peer_find(d, user) : NULL;
		if (!p) {
			d->rejected_in++;
			sh_daemon_warn(
			    d, "frame from a connection with no trusted "
			       "partner id dropped");
		} else if (zmq_msg_more(&body)) {
			p->rejected_in++;
			d->rejected_in++;
			sh_daemon_warn(d, "peer %s: multi-part message refused",
			               p->card.partner);
			/* discard the remaining parts */
			while (zmq_msg_more(&body)) {
				zmq_msg_close(&body);
				zmq_msg_init(&body);
				if (zmq_msg_recv(&body, d->router,
				                 ZMQ_DONTWAIT) < 0)
					break;
			}
		} else {
			p->last_inbound_ms = sh_now_ms();
			signals += handle_frame(d, p, &rid, zmq_msg_data(&body),
			                        zmq_msg_size(&body));
		}
		zmq_msg_close(&rid);
		zmq_msg_close(&body);
	}
}

/* ------------------------------------------------------- receipts */

/* Copy a peer-supplied short text, keeping printable ASCII only. */
static char *clean_text(const char *in, size_t max)
{
	size_t n = strlen(in);
	if (n > max)
		n = max;
	char *out = sh_xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[n] = '\0';
	return out;
}

static void settled(sh_daemon *d, sh_peer *p, sh_outq_entry *e,
                    int64_t arrived_mono, sh_err err, int delivered,
                    const char *rule);

static void mark_unsendable(sh_daemon *d, sh_peer *p, sh_outq_entry *e, int why,
                            size_t size);

/* A receipt for a signal whose outbox record does not decode (damaged in
 * the store while the daemon ran): its record is replaced by what the
 * queue knows of it (sh_store_outbox_fail_damaged), so that it settles and
 * what follows it in the outbox can be read again. */
static void settle_damaged(sh_daemon *d, sh_peer *p, sh_outq_entry *e,
                           const Seinhuis__Receipt *r, int64_t arrived_mono,
                           int delivered)
{
	if (!delivered) {
		/* to be failed: marked so (and logged) once */
		mark_unsendable(d, p, e, SH_OUTQ_BAD_RECORD, 0);
	} else {
		/* not marked: if the turn fails, the next receipt settles it
		 * as delivered, not the failing of marked ones */
		char idhex[33];
		sh_hex(idhex, e->id, SH_ID_LEN);
		sh_daemon_error(d,
		                "outbox record %llu (signal %s to %s) does not "
		                "decode, damaged in the store: settled as "
		                "delivered by its receipt",
		                (unsigned long long)e->seq, idhex,
		                p->card.partner);
	}
	int64_t now = sh_now_ms();
	char *rule = clean_text(sh_err_known_rule(r->rule), 40);
	char *detail = clean_text(r->detail, 200);
	sh_err err = sh_store_outbox_fail_damaged(
	    d->store, e->seq, e->id, p->card.partner,
	    delivered ? SEINHUIS__OUT_STATE__OUT_DELIVERED
	              : SEINHUIS__OUT_STATE__OUT_FAILED,
	    e->attempts, now, rule, detail);
	if (err == SH_OK && !delivered) {
		err = sh_store_meta_time_set(d->store, "last_failed", now);
		d->turn_failed_ms = now;
	}
	if (err == SH_OK)
		err = sh_audit_receipt(
		    d, p, SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED, e->id, r);
	settled(d, p, e, arrived_mono, err, delivered, rule);
	free(rule);
	free(detail);
}

static int env_consent_ref(const uint8_t *env, size_t n, uint8_t ref[16]);

/* Partner p holds consent ref as withdrawn: it answered CONSENT_REVOKED
 * to a signal sent under it (settle), or listed it in its answer to
 * `seinctl recover` (recover_answered); why says which, after "the
 * partner". A consent of the local register for p that is still valid
 * here (a withdrawal lost with a restored backup of this store, or made
 * while the answer crossed it) is marked revoked, so that it is not used
 * again, and what still waits under it and was not sent is failed as
 * after `seinctl consent revoke`. Audited (consent_revoked) by reference,
 * partner and subject pseudonym only; no revocation is sent back, p has
 * it. A consent for another partner is left as it is: p can only speak
 * for its own. */
static sh_err consent_revoked_there(sh_daemon *d, sh_peer *p,
                                    const uint8_t ref[16], const char *why)
{
	Seinhuis__ConsentRecord *cr = NULL;
	if (sh_store_consent_get(d->store, sh_store_txn(d->store), ref, &cr) !=
	    SH_OK)
		return SH_OK; /* not one of ours: nothing to mark */
	sh_err e = SH_OK;
	if (!cr->revoked_ms && strcmp(cr->recipient, p->card.partner) == 0) {
		char refhex[33], detail[200];
		sh_hex(refhex, ref, 16);
		snprintf(detail, sizeof(detail),
		         "the partner %s: withdrawn there, marked revoked here",
		         why);
		cr->revoked_ms = sh_now_ms();
		e = sh_store_consent_put(d->store, cr);
		if (e == SH_OK)
			e = sh_audit_consent(
			    d, NULL,
			    SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_REVOKED, ref,
			    p->card.partner,
			    cr->subject.len == SH_PSEUDO_LEN ? cr->subject.data
			                                     : NULL,
			    NULL, "revoked", detail);
		if (e == SH_OK)
			e = sh_peer_fail_consent(d, p, ref);
		if (e == SH_OK)
			sh_warn(
			    "consent %s for %s was still valid here, but %s "
			    "%s: marked revoked (a withdrawal lost with a "
			    "restored backup?)",
			    refhex, p->card.partner, p->card.partner, why);
	}
	seinhuis__consent_record__free_unpacked(cr, NULL);
	return e;
}

/* Put receipt r into the turn's transaction. 1: it could not go in this
 * turn (storage full, or no transaction): the caller keeps it for the
 * next one. */
static int settle(sh_daemon *d, sh_peer *p, const Seinhuis__Receipt *r,
                  int64_t arrived_mono)
{
	if (r->message_id.len != SH_ID_LEN)
		return 0;
	if (r->status != SEINHUIS__RECEIPT_STATUS__RECEIPT_DELIVERED &&
	    r->status != SEINHUIS__RECEIPT_STATUS__RECEIPT_DUPLICATE &&
	    r->status != SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED) {
		/* unspecified, or a status of a later version: the signal
		 * stays pending (sent again, answered as a duplicate) */
		sh_debug("peer %s: a receipt of status %d ignored",
		         p->card.partner, (int)r->status);
		return 0;
	}
	sh_outq_entry *e = sh_idmap_get(&d->pending, r->message_id.data);
	if (!e || e->peer != p || e->settling)
		return 0; /* settled before: a late duplicate receipt */
	if (!sh_daemon_write_ok(d) || sh_daemon_txn(d) != SH_OK)
		return 1; /* storage full: kept for the next turn */
	/* The queue entry knows where the record is: no look-up by id. */
	uint64_t seq = e->seq;
	int delivered = r->status != SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED;
	Seinhuis__OutboxRecord *rec = NULL;
	sh_err err = SH_OK;
	if (delivered) {
		/* The common case, without decoding the record; anything
		 * unusual about it takes the path below. */
		Seinhuis__SignalType type;
		int done = 0;
		err = sh_store_outbox_settle(d->store, seq, r->message_id.data,
		                             SEINHUIS__OUT_STATE__OUT_DELIVERED,
		                             e->attempts, sh_now_ms(), &type,
		                             &done);
		if (err == SH_OK && done)
			err =
			    sh_audit_receipt(d, p, type, r->message_id.data, r);
		if (err != SH_OK || done) {
			settled(d, p, e, arrived_mono, err, delivered, NULL);
			return 0;
		}
	}
	int undecodable = 0;
	err = sh_store_outbox_read(d->store, sh_store_txn(d->store), seq, &rec,
	                           &undecodable);
	if (undecodable) {
		settle_damaged(d, p, e, r, arrived_mono, delivered);
		return 0;
	}
	if (err == SH_OK &&
	    memcmp(rec->message_id.data, r->message_id.data, SH_ID_LEN) != 0) {
		seinhuis__outbox_record__free_unpacked(rec, NULL);
		rec = NULL;
		err = SH_ERR_STORE_CORRUPT;
	}
	if (err != SH_OK) {
		sh_daemon_txn_fail(d, err);
		return 0;
	}
	/* rejected as sent under a consent withdrawn there: its reference,
	 * read before the envelope is let go */
	uint8_t cref[16];
	int revoked_there =
	    !delivered && rec->state == SEINHUIS__OUT_STATE__OUT_PENDING &&
	    r->rule &&
	    strcmp(r->rule, sh_err_rule(SH_ERR_CONSENT_REVOKED)) == 0 &&
	    rec->type != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION &&
	    env_consent_ref(rec->envelope.data, rec->envelope.len, cref);
	if (rec->state == SEINHUIS__OUT_STATE__OUT_PENDING) {
		rec->state = delivered ? SEINHUIS__OUT_STATE__OUT_DELIVERED
		                       : SEINHUIS__OUT_STATE__OUT_FAILED;
		rec->done_ms = sh_now_ms();
		rec->attempts = e->attempts;
		rec->envelope.len = 0; /* the recipient holds it now */
		if (!delivered) {
			if (rec->rule != protobuf_c_empty_string)
				free(rec->rule);
			if (rec->detail != protobuf_c_empty_string)
				free(rec->detail);
			rec->rule = clean_text(sh_err_known_rule(r->rule), 40);
			rec->detail = clean_text(r->detail, 200);
			/* A corrected signal with the same natural key may be
			 * sent again: this one never arrived. */
			if (rec->natural_key.len == SH_KEY_LEN)
				err = sh_store_natkey_del(
				    d->store, rec->natural_key.data);
			if (err == SH_OK)
				err = sh_store_meta_time_set(
				    d->store, "last_failed", rec->done_ms);
			d->turn_failed_ms = rec->done_ms;
		}
		if (err == SH_OK)
			err = sh_store_outbox_replace(
			    d->store, seq, SEINHUIS__OUT_STATE__OUT_PENDING,
			    rec);
		if (err == SH_OK)
			err = sh_audit_receipt(d, p, rec->type,
			                       rec->message_id.data, r);
		if (err == SH_OK && revoked_there) {
			char why[80], idhex[33];
			sh_hex(idhex, rec->message_id.data, SH_ID_LEN);
			snprintf(why, sizeof(why),
			         "answered CONSENT_REVOKED to signal %s",
			         idhex);
			err = consent_revoked_there(d, p, cref, why);
		}
	}
	settled(d, p, e, arrived_mono, err, delivered, rec->rule);
	seinhuis__outbox_record__free_unpacked(rec, NULL);
	return 0;
}

/* After a receipt was put into the transaction (err SH_OK): the entry
 * leaves the queue when it commits. */
static void settled(sh_daemon *d, sh_peer *p, sh_outq_entry *e,
                    int64_t arrived_mono, sh_err err, int delivered,
                    const char *rule)
{
	if (err != SH_OK) {
		sh_daemon_txn_fail(d, err);
	} else {
		if (e->sent_at && e->attempts == 1) {
			/* Round trip of a signal sent once: adapt the timeout.
			 */
			int64_t rtt = arrived_mono - e->sent_at;
			p->srtt_ms =
			    p->srtt_ms
			        ? (uint32_t)((7 * (int64_t)p->srtt_ms + rtt) /
			                     8)
			        : (uint32_t)rtt;
		}
		e->settling = 1;
		sh_defer *df = sh_defer_add(d, DEFER_DONE);
		df->peer = p;
		memcpy(df->id, e->id, SH_ID_LEN);
		df->status = delivered;
		if (!delivered) {
			char idhex[33];
			sh_hex(idhex, e->id, SH_ID_LEN);
			snprintf(p->last_error, sizeof(p->last_error),
			         "signal %s rejected: %s", idhex,
			         rule ? rule : "");
		}
	}
}

void sh_peer_fail_corrupt(sh_daemon *d)
{
	if (!d->corrupt_waiting)
		return;
	size_t left = d->corrupt_waiting;
	for (size_t i = 0; i < d->npeers && left; i++) {
		sh_peer *p = &d->peers[i];
		for (sh_outq_entry *e = p->head; e && left;) {
			sh_outq_entry *next = e->next;
			if (e->corrupt && !e->settling) {
				Seinhuis__Receipt r = SEINHUIS__RECEIPT__INIT;
				char detail[160];
				r.message_id.data = e->id;
				r.message_id.len = SH_ID_LEN;
				r.status =
				    SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED;
				r.rule =
				    (char *)sh_err_rule(SH_ERR_STORE_CORRUPT);
				r.detail = detail;
				if (e->corrupt == SH_OUTQ_CONSENT ||
				    e->corrupt == SH_OUTQ_CONSENT_REVOKED) {
					int rv = e->corrupt ==
					         SH_OUTQ_CONSENT_REVOKED;
					r.rule = (char *)sh_err_rule(
					    rv ? SH_ERR_CONSENT_REVOKED
					       : SH_ERR_CONSENT);
					snprintf(
					    detail, sizeof(detail),
					    "not sent: %s",
					    rv ? "the consent was revoked"
					       : "the consent is no longer "
					         "valid");
				} else if (e->corrupt == SH_OUTQ_TOO_LARGE) {
					r.rule = (char *)sh_err_rule(
					    SH_ERR_WIRE_SIZE);
					snprintf(
					    detail, sizeof(detail),
					    "not sent: larger than a frame "
					    "to the partner may be "
					    "(max_message %zu)",
					    d->cfg.max_message);
				} else {
					snprintf(
					    detail, sizeof(detail),
					    "not sent: the stored %s is "
					    "damaged (sender's data store)",
					    e->corrupt == SH_OUTQ_BAD_RECORD
					        ? "record"
					        : "signal");
				}
				/* still marked (and counted in corrupt_waiting)
				 * until the turn commits: one that fails leaves
				 * it to be failed in the next turn */
				(void)settle(d, p, &r, sh_mono_ms());
			}
			if (e->corrupt)
				left--;
			e = next;
		}
	}
}

sh_err sh_peer_fail_consent(sh_daemon *d, sh_peer *p, const uint8_t ref[16])
{
	sh_err err = sh_daemon_txn(d);
	if (err != SH_OK)
		return err;
	MDB_txn *txn = sh_store_txn(d->store);
	for (sh_outq_entry *e = p->head, *next; e; e = next) {
		next = e->next;
		/* one sent before may have been delivered: its receipt
		 * settles it, and the revocation removes it there */
		if (e->attempts || e->resent || e->corrupt || e->settling)
			continue;
		Seinhuis__OutboxRecord *rec = NULL;
		ProtobufCBinaryData env;
		Seinhuis__SignalType type;
		const char *basis = NULL;
		if (e->env) {
			env = (ProtobufCBinaryData){e->env->len, e->env->data};
			type = e->env->type;
			basis = e->env->legal_basis;
		} else {
			int undecodable = 0;
			err = sh_store_outbox_read(d->store, txn, e->seq, &rec,
			                           &undecodable);
			if (undecodable)
				continue; /* failed when it is due to be sent */
			if (err != SH_OK)
				return err;
			env = rec->envelope;
			type = rec->type;
		}
		uint8_t r16[16];
		int match = type != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION &&
		            (!basis || strcmp(basis, "consent") == 0) &&
		            env_consent_ref(env.data, env.len, r16) &&
		            memcmp(r16, ref, 16) == 0;
		if (rec)
			seinhuis__outbox_record__free_unpacked(rec, NULL);
		if (!match)
			continue;
		Seinhuis__Receipt r = SEINHUIS__RECEIPT__INIT;
		r.message_id.data = e->id;
		r.message_id.len = SH_ID_LEN;
		r.status = SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED;
		r.rule = (char *)sh_err_rule(SH_ERR_CONSENT_REVOKED);
		r.detail = (char *)"not sent: the consent was revoked";
		if (settle(d, p, &r, sh_mono_ms()))
			return SH_ERR_STORE_FULL;
	}
	return SH_OK;
}

struct sh_held_receipts {
	sh_peer *peer; /* peers stay at their place in d->peers */
	Seinhuis__PeerFrame *frame;
	int64_t arrived_mono;
	size_t done; /* its receipts before this one were settled */
};

/* What is kept of a partner's refusal, in the outbox record and the
 * audit log: the rule, and the field it names if that is a field some
 * signal knows, each in our own words (for STALE, how far its clock is
 * from ours as read here). Never the partner's text: it is written by
 * another organisation's software and may repeat the refused value
 * ("value 'Jansen' not in our register"). */
static void receipt_detail(const sh_daemon *d, const sh_peer *p,
                           const char *rule, const char *given, char *out,
                           size_t n)
{
	sh_err e = sh_err_of_rule(rule);
	const char *text = e == SH_ERR__COUNT
	                       ? "the partner refused the signal under a rule "
	                         "this daemon does not know"
	                       : sh_err_str(e);
	char name[64];
	size_t len = 0;
	if (given && strncmp(given, "field '", 7) == 0) {
		len = strcspn(given + 7, "'");
		if (given[7 + len] != '\'' || len == 0 || len >= sizeof(name))
			len = 0;
	}
	if (len) {
		memcpy(name, given + 7, len);
		name[len] = '\0';
	}
	if (len && sh_field_known(&d->cat, name))
		snprintf(out, n, "field '%s': %s", name, text);
	else
		snprintf(out, n, "%s", text);
	int64_t off = sh_peer_clock_offset(p);
	long long sec = (long long)((off < 0 ? -off : off) / 1000);
	size_t used = strlen(out);
	if (e == SH_ERR_STALE && sec > 0 && used < n)
		snprintf(out + used, n - used,
		         "; the partner's clock is %lld s %s ours (read from "
		         "the times on its frames)",
		         sec, off > 0 ? "ahead of" : "behind");
}

/* Each receipt of f as it is kept: a rule of ours or UNKNOWN, and a
 * detail of receipt_detail (none unless it refuses). */
static void receipts_own_words(const sh_daemon *d, const sh_peer *p,
                               Seinhuis__PeerFrame *f)
{
	for (size_t i = 0; i < f->n_receipts; i++) {
		Seinhuis__Receipt *r = f->receipts[i];
		char detail[200] = "";
		const char *rule = sh_err_known_rule(r->rule);
		if (r->status == SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED)
			receipt_detail(d, p, r->rule, r->detail, detail,
			               sizeof(detail));
		if (r->rule != protobuf_c_empty_string)
			free(r->rule);
		if (r->detail != protobuf_c_empty_string)
			free(r->detail);
		r->rule = sh_xmalloc(strlen(rule) + 1);
		strcpy(r->rule, rule);
		r->detail = sh_xmalloc(strlen(detail) + 1);
		strcpy(r->detail, detail);
	}
}

static void hold(sh_daemon *d, sh_peer *p, Seinhuis__PeerFrame *f)
{
	if (f->n_receipts == 0) {
		seinhuis__peer_frame__free_unpacked(f, NULL);
		return;
	}
	receipts_own_words(d, p, f);
	if (d->nheld == d->capheld) {
		d->capheld = d->capheld ? 2 * d->capheld : 64;
		d->held = realloc(d->held, d->capheld * sizeof(*d->held));
		if (!d->held)
			abort();
	}
	int64_t now = sh_mono_ms();
	if (d->nheld == 0)
		d->held_first_mono = now;
	d->held[d->nheld++] = (struct sh_held_receipts){p, f, now, 0};
	p->held_receipts += f->n_receipts;
}

static void held_frame_free(struct sh_held_receipts *h)
{
	h->peer->held_receipts -= h->frame->n_receipts;
	seinhuis__peer_frame__free_unpacked(h->frame, NULL);
}

/* The receipts (PeerFrame field receipts) in a frame as it came, counted
 * without unpacking it; SIZE_MAX if it does not parse. */
static size_t frame_receipts(const uint8_t *b, size_t n)
{
	static uint32_t field;
	if (!field)
		field =
		    sh_pb_field(&seinhuis__peer_frame__descriptor, "receipts")
		        ->id;
	size_t off = 0, count = 0, data;
	uint32_t num;
	unsigned wt;
	uint64_t v;
	while (off < n) {
		if (sh_pb_field_next(b, n, &off, &num, &wt, &v, &data) < 0)
			return SIZE_MAX;
		count += num == field;
	}
	return count;
}

/* Whether a frame of n receipts from p may be taken: a partner answers
 * our signals in flight to it, each once (and one frame's again), so
 * more than that waiting with us are for ids we never sent it. Refused
 * before it is unpacked; logged once a minute, counted as refused. */
static int receipts_room(sh_daemon *d, sh_peer *p, size_t n)
{
	uint64_t room = p->inflight + RECEIPTS_MARGIN;
	if (n == SIZE_MAX || p->held_receipts + n <= room)
		return 1; /* one that does not parse is refused as such */
	p->rejected_in++;
	d->rejected_in++;
	p->receipt_frames_refused++;
	int64_t now = sh_mono_ms();
	if (!p->receipts_logged ||
	    now - p->receipts_logged >= RECEIPTS_LOG_MS) {
		p->receipts_logged = now;
		sh_daemon_warn(d,
		               "peer %s: a frame of %zu receipts refused: more "
		               "than our %llu signals in flight to it answer "
		               "(with %llu receipts waiting); %llu such frames "
		               "refused so far, logged once a minute",
		               p->card.partner, n,
		               (unsigned long long)p->inflight,
		               (unsigned long long)p->held_receipts,
		               (unsigned long long)p->receipt_frames_refused);
	}
	return 0;
}

/* A receipt that could not be settled in its turn (storage full) is kept
 * for the next one, not dropped: else its signal stayed pending until it
 * was sent again. For up to retry_max_ms: by then the signal is (the
 * recipient answers it again, as a duplicate). */
void sh_peer_settle_held(sh_daemon *d)
{
	int64_t now = sh_mono_ms();
	size_t kept = 0;
	for (size_t i = 0; i < d->nheld; i++) {
		struct sh_held_receipts h = d->held[i];
		Seinhuis__Receipt **r = h.frame->receipts;
		for (size_t j = h.done; j < h.frame->n_receipts; j++) {
			if (settle(d, h.peer, r[j], h.arrived_mono))
				continue;
			/* settled ones to the front, freed with the frame */
			Seinhuis__Receipt *t = r[h.done];
			r[h.done++] = r[j];
			r[j] = t;
		}
		if (h.done < h.frame->n_receipts &&
		    now - h.arrived_mono < (int64_t)d->cfg.retry_max_ms)
			d->held[kept++] = h;
		else
			held_frame_free(&h);
	}
	d->nheld = kept;
	d->held_kept = kept;
	if (kept) /* tried again after the lazy wait, not at once */
		d->held_first_mono = now;
}

void sh_peer_held_free(sh_daemon *d)
{
	for (size_t i = 0; i < d->nheld; i++)
		held_frame_free(&d->held[i]);
	d->nheld = d->held_kept = 0;
}

int64_t sh_peer_held_due(const sh_daemon *d, int64_t lazy_ms)
{
	if (d->nheld == 0)
		return INT64_MAX;
	/* enough for a commit of their own (not counting those kept) */
	if (d->nheld - d->held_kept >= 64)
		return 0;
	return d->held_first_mono + lazy_ms;
}

void sh_peer_handle_dealer(sh_daemon *d, sh_peer *p)
{
	p->zcheck = 1; /* used: asked again before the loop waits */
	for (int i = 0; i < DRAIN_MAX; i++) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, p->dealer, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		if (!zmq_msg_more(&m) &&
		    !receipts_room(
		        d, p,
		        frame_receipts(zmq_msg_data(&m), zmq_msg_size(&m)))) {
			zmq_msg_close(&m);
			continue;
		}
		Seinhuis__PeerFrame *f =
		    zmq_msg_more(&m)
		        ? NULL
		        : seinhuis__peer_frame__unpack(NULL, zmq_msg_size(&m),
		                                       zmq_msg_data(&m));
		if (f && f->format_version == SH_FORMAT_VERSION)
			sh_peer_clock(d, p, f->sent_ms);
		if (!f || f->format_version != SH_FORMAT_VERSION) {
			p->rejected_in++;
			sh_daemon_warn(
			    d, "peer %s: malformed receipt frame refused",
			    p->card.partner);
		} else if (f->resend_answer) {
			recover_answered(d, p, f);
		} else if (f->resend_since_ms && f->retry_after_ms &&
		           !f->n_receipts) {
			recover_deferred(d, p, f);
		} else if ((f->audit_head.len || f->n_witnessed_head) &&
		           !f->n_receipts) {
			sh_witness_answer(d, p, f);
		} else if (f->deferred_from.len == SH_ID_LEN) {
			/* over the partner's peer_rate: send that frame
			 * again once its bucket holds it, not at once (which
			 * it would drop again) nor after a doubling time-out */
			uint32_t ms = f->retry_after_ms;
			if (ms < 1)
				ms = 1;
			if (ms > d->cfg.retry_max_ms)
				ms = d->cfg.retry_max_ms;
			int64_t now = sh_mono_ms();
			size_t n =
			    sh_outq_rewind_from(d, p, f->deferred_from.data);
			if (n) {
				p->deferred += n;
				p->paused_until = now + ms;
				/* and from then on keep to its rate: a copy
				 * of its bucket, as empty as it is now */
				p->pace_rate = f->rate_per_s;
				p->pace_tokens = 0;
				p->pace_at = now;
				p->pace_since = now;
				sh_debug("peer %s: over its rate; %zu signals "
				         "to be sent again in %u ms",
				         p->card.partner, n, ms);
			}
			p->last_progress = now;
			p->silent_timeouts = 0;
		} else {
			hold(d, p, f);
			f = NULL;
			p->last_progress = sh_mono_ms();
			p->last_receipt_ms = sh_now_ms();
			p->silent_timeouts = 0;
			/* Timeout: four smoothed round trips, within the
			 * bounds. */
			uint32_t rto = 4 * p->srtt_ms;
			p->rto_ms =
			    rto < d->cfg.retry_min_ms   ? d->cfg.retry_min_ms
			    : rto > d->cfg.retry_max_ms ? d->cfg.retry_max_ms
			                                : rto;
		}
		if (f)
			seinhuis__peer_frame__free_unpacked(f, NULL);
		while (zmq_msg_more(&m)) { /* drain stray parts */
			zmq_msg_close(&m);
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, p->dealer, ZMQ_DONTWAIT) < 0)
				break;
		}
		zmq_msg_close(&m);
	}
}

void sh_peer_handle_monitor(sh_daemon *d, sh_peer *p)
{
	p->zcheck = 1;
	for (;;) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, p->monitor, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		uint16_t ev = 0;
		if (zmq_msg_size(&m) >= 2)
			memcpy(&ev, zmq_msg_data(&m), 2);
		while (zmq_msg_more(&m)) {
			zmq_msg_close(&m);
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, p->monitor, 0) < 0)
				break;
		}
		zmq_msg_close(&m);
		switch (ev) {
		case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
			p->connected = 1;
			p->clk_fresh = 1;
			p->redial_ms = 0;
			p->rto_ms = d->cfg.retry_min_ms;
			p->last_progress = sh_mono_ms();
			sh_outq_rewind(
			    p); /* resend what the old link may have lost */
			sh_witness_due(d, p);
			sh_info("peer %s: connected (%s)", p->card.partner,
			        p->card.endpoint);
			break;
		case ZMQ_EVENT_DISCONNECTED:
			if (p->connected)
				sh_info("peer %s: disconnected",
				        p->card.partner);
			p->connected = 0;
			sh_outq_env_drop_peer(d, p);
			break;
		case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
		case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
			/* libzmq does not retry a refused handshake by itself;
			 * the socket is rebuilt after a growing pause, so that
			 * a partner who adds our card later gets our signals.
			 */
			p->connected = 0;
			p->redial = 1;
			p->redial_ms = p->redial_ms ? p->redial_ms * 2 : 1000;
			if (p->redial_ms > d->cfg.retry_max_ms)
				p->redial_ms = d->cfg.retry_max_ms;
			p->redial_at = sh_mono_ms() + p->redial_ms;
			snprintf(p->last_error, sizeof(p->last_error),
			         "handshake refused by %.64s (%s)",
			         p->card.endpoint,
			         d->keys_replaced
			             ? "this daemon runs with keys its key "
			               "directory replaced: restart it"
			             : "is our card in its trust store?");
			sh_daemon_warn(d, "peer %s: %s", p->card.partner,
			               p->last_error);
			break;
		default: break;
		}
	}
}

/* ---------------------------------------------------------- sending */

/* A frame handed to ZeroMQ without a copy is freed by free_buf on
 * ZeroMQ's I/O thread. Debian's libzmq is not built for ThreadSanitizer,
 * which therefore cannot see the hand-off; in a TSan build it is told:
 * the event loop releases the buffer when it hands it over, free_buf
 * acquires it. */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define HANDED_OVER(p) __tsan_release(p)
#define TAKEN_BACK(p)  __tsan_acquire(p)
#else
#define HANDED_OVER(p) ((void)(p))
#define TAKEN_BACK(p)  ((void)(p))
#endif

static void free_buf(void *data, void *hint)
{
	(void)hint;
	TAKEN_BACK(data);
	free(data);
}

/* A signal on its way into a frame: its envelope as kept with the queue
 * entry since it was accepted (rec NULL), or as read back from the store
 * (rec, which env points into); or none (skip), the entry marked as one
 * that cannot be sent. */
typedef struct {
	sh_outq_entry *ent;
	Seinhuis__OutboxRecord *rec;
	ProtobufCBinaryData env;
	const uint8_t *hash; /* a kept envelope's signal_sha256 */
	int skip;
} out_sig;

static void out_sigs_free(out_sig *sigs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sigs[i].rec)
			seinhuis__outbox_record__free_unpacked(sigs[i].rec,
			                                       NULL);
}

/* An entry that cannot be sent (why: SH_OUTQ_*; size: its envelope's, for
 * SH_OUTQ_TOO_LARGE) is marked, said once in the log, and marked failed
 * in the next turn (sh_peer_fail_corrupt), so that it is not lost
 * silently and what is queued behind it goes. */
static void mark_unsendable(sh_daemon *d, sh_peer *p, sh_outq_entry *e, int why,
                            size_t size)
{
	if (e->corrupt)
		return; /* said when it was marked */
	char idhex[33];
	sh_hex(idhex, e->id, SH_ID_LEN);
	if (why == SH_OUTQ_CONSENT || why == SH_OUTQ_CONSENT_REVOKED)
		sh_info("outbox signal %s to %s: its consent %s; not sent, "
		        "marked failed",
		        idhex, p->card.partner,
		        why == SH_OUTQ_CONSENT ? "no longer holds (past its "
		                                 "last day, or not in the "
		                                 "register)"
		                               : "was revoked");
	else if (why == SH_OUTQ_TOO_LARGE)
		sh_daemon_error(d,
		                "outbox signal %s to %s is larger than a frame "
		                "may be (%zu bytes; max_message %zu allows "
		                "%zu): not sent, marked failed",
		                idhex, p->card.partner, size,
		                d->cfg.max_message,
		                d->cfg.max_message - SH_FRAME_OVERHEAD);
	else if (why == SH_OUTQ_BAD_RECORD)
		sh_daemon_error(
		    d,
		    "outbox record %llu (signal %s to %s) does not "
		    "decode, damaged in the store: not sent, marked "
		    "failed",
		    (unsigned long long)e->seq, idhex, p->card.partner);
	else
		sh_daemon_error(d,
		                "outbox signal %s to %s is damaged in the "
		                "store: not sent, marked failed",
		                idhex, p->card.partner);
	e->corrupt = (uint8_t)why;
	d->corrupt_waiting++;
}

/* The consent reference of a signal sent under consent, read from its
 * envelope's clear part (Signal.legal_basis, field 8, and consent_ref,
 * field 9) without decoding the rest: 1 with ref filled; 0 if its basis is
 * not consent or it carries no reference of that form. */
static int env_consent_ref(const uint8_t *env, size_t n, uint8_t ref[16])
{
	ProtobufCBinaryData sv = {0, NULL};
	size_t off = 0, at;
	uint32_t num;
	unsigned wt;
	uint64_t v;
	if (!sh_envelope_signal_view(env, n, &sv)) {
		while (off < n) { /* an envelope not in its built form */
			if (sh_pb_field_next(env, n, &off, &num, &wt, &v, &at) <
			    0)
				return 0;
			if (num == 2 && wt == 2)
				sv = (ProtobufCBinaryData){v,
				                           (uint8_t *)env + at};
		}
		if (!sv.data)
			return 0;
	}
	const uint8_t *sp = sv.data;
	int basis = 0;
	char hex[33] = "";
	for (off = 0; off < sv.len;) {
		if (sh_pb_field_next(sp, sv.len, &off, &num, &wt, &v, &at) < 0)
			return 0;
		if (num > 9)
			break; /* written in field order: the payload follows */
		if (wt != 2)
			continue;
		if (num == 8)
			basis = v == 7 && memcmp(sp + at, "consent", 7) == 0;
		else if (num == 9 && v == 32) {
			memcpy(hex, sp + at, 32);
			hex[32] = '\0';
		}
	}
	return basis && hex[0] && sh_unhex(ref, 16, hex) == 0;
}

/* Whether the consent a pending signal goes under still holds, looked at
 * before it is sent: 0 if it does, or the signal goes under none;
 * SH_OUTQ_CONSENT_REVOKED if it was revoked; SH_OUTQ_CONSENT if its last
 * day (valid_until) has passed or it is no longer in the register; -1 if
 * the register cannot be read now (tried again). Only a type whose entry
 * allows the basis consent is read further, and the register only for a
 * signal whose basis is consent (basis: as kept since acceptance, or NULL
 * when the envelope was read from the store). */
static int consent_lapsed(sh_daemon *d, MDB_txn *txn, Seinhuis__SignalType type,
                          const char *basis, const ProtobufCBinaryData *env)
{
	if (type == SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION ||
	    (basis && strcmp(basis, "consent") != 0))
		return 0;
	const sh_type_rule *t = sh_catalogue_type(&d->cat, type);
	uint8_t ref[16];
	if ((t && !sh_role_in(t->bases, "consent")) ||
	    !env_consent_ref(env->data, env->len, ref))
		return 0;
	Seinhuis__ConsentRecord *c = NULL;
	sh_err e = sh_store_consent_get(d->store, txn, ref, &c);
	if (e == SH_ERR_NOTFOUND)
		return SH_OUTQ_CONSENT;
	if (e != SH_OK)
		return -1;
	char today[11];
	sh_today(today);
	int why = c->revoked_ms ? SH_OUTQ_CONSENT_REVOKED
	          : c->valid_until[0] && strcmp(today, c->valid_until) > 0
	              ? SH_OUTQ_CONSENT
	              : 0;
	seinhuis__consent_record__free_unpacked(c, NULL);
	return why;
}

/* Take entry e's envelope for a frame into *o: 1 if it goes; 0 if it
 * cannot be sent (o->skip: marked, failed in the next turn); -1 if the
 * store cannot be read now (logged at most once a minute; tried again). */
static int out_sig_take(sh_daemon *d, sh_peer *p, MDB_txn *txn,
                        sh_outq_entry *e, out_sig *o)
{
	*o = (out_sig){e, NULL, {0, NULL}, NULL, 0};
	if (e->corrupt) {
		o->skip = 1; /* marked already (sent again after a rewind) */
		return 0;
	}
	if (e->env) {
		o->env.data = e->env->data;
		o->env.len = e->env->len;
		o->hash = e->env->signal_sha256;
	} else {
		int undecodable = 0;
		sh_err err = sh_store_outbox_read(d->store, txn, e->seq,
		                                  &o->rec, &undecodable);
		if (undecodable) {
			mark_unsendable(d, p, e, SH_OUTQ_BAD_RECORD, 0);
			o->skip = 1;
			return 0;
		}
		if (err != SH_OK) {
			int64_t now = sh_mono_ms();
			if (!d->unreadable_logged ||
			    now - d->unreadable_logged >= 60000) {
				d->unreadable_logged = now;
				sh_daemon_error(
				    d,
				    "outbox record %llu unreadable: %s; "
				    "sending "
				    "to %s waits (said once a minute)",
				    (unsigned long long)e->seq,
				    sh_err_rule(err), p->card.partner);
			}
			return -1;
		}
		o->env = o->rec->envelope;
	}
	/* Never sent yet (by this process): under a consent that was
	 * revoked or has passed its last day since it was accepted, it is
	 * not sent at all. One sent before waits for its receipt. */
	if (e->attempts == 0 && !e->resent) {
		int why = consent_lapsed(
		    d, txn, e->env ? e->env->type : o->rec->type,
		    e->env ? e->env->legal_basis : NULL, &o->env);
		if (why) {
			out_sigs_free(o, 1);
			*o = (out_sig){e, NULL, {0, NULL}, NULL, 1};
			if (why < 0)
				return -1;
			mark_unsendable(d, p, e, why, 0);
			return 0;
		}
	}
	/* accepted by an older version, or under a larger max_message */
	if (o->env.len > d->cfg.max_message - SH_FRAME_OVERHEAD) {
		mark_unsendable(d, p, e, SH_OUTQ_TOO_LARGE, o->env.len);
		out_sigs_free(o, 1);
		*o = (out_sig){e, NULL, {0, NULL}, NULL, 1};
		return 0;
	}
	return 1;
}

/* What a signal adds to a frame: its envelope, the entry's tag and its
 * length. */
static size_t frame_cost(size_t len)
{
	size_t v = 1;
	for (size_t x = len; x >= 0x80; x >>= 7)
		v++;
	return len + 1 + v;
}

/* The bytes of signals a frame holds beyond its first (max_message less
 * room for the rest of the frame), so that it stays below max_message. */
static size_t frame_room(const sh_daemon *d)
{
	return d->cfg.max_message > 4096 ? d->cfg.max_message - 4096 : 0;
}

/* One batch-signed frame of these signals: one Ed25519 signature for all
 * of them (sh_batch_build). A stored envelope that is not what was built
 * (its SHA-256 differs) or does not decode (a damaged store) is left out
 * and its entry marked corrupt: the next turn marks it failed with rule
 * STORE_CORRUPT (sh_peer_fail_corrupt), so it is not lost silently. So are
 * those marked when taken (skip). Returns -1 if no frame was made (*m
 * untouched), -2 if none of the signals could go into one. */
static int batch_frame(sh_daemon *d, sh_peer *p, const out_sig *sigs, size_t n,
                       zmq_msg_t *m)
{
	ProtobufCBinaryData signals[1024], packed[1024];
	Seinhuis__Envelope *envs[1024];
	uint8_t hs[1024][32];
	const uint8_t *hp[1024];
	size_t k = 0;
	if (n == 0 || n > 1024)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const ProtobufCBinaryData *eb = &sigs[i].env;
		const Seinhuis__OutboxRecord *rec = sigs[i].rec;
		const uint8_t *known = sigs[i].hash;
		ProtobufCBinaryData sv = {0, NULL};
		int intact = 1;
		envs[i] = NULL;
		if (sigs[i].skip)
			continue;
		/* Only an envelope read from the store is checked: the hash
		 * guards against damage in the store. A kept envelope (no
		 * rec) is a copy of the bytes the hash was computed from at
		 * acceptance that never went through the store; checking it
		 * would compare those bytes with themselves. Records written
		 * before 2026-12-04 hold the envelope's hash, later ones the
		 * signal's, which the batch leaf is made from. */
		if (rec && rec->envelope_sha256.len) {
			uint8_t h[32];
			sh_sha256(h, eb->data, eb->len);
			intact = rec->envelope_sha256.len == 32 &&
			         memcmp(h, rec->envelope_sha256.data, 32) == 0;
		}
		/* An envelope as built (the signal only) goes into the frame
		 * as it is; another is decoded, and its signal packed anew. */
		int direct =
		    intact && sh_envelope_signal_view(eb->data, eb->len, &sv);
		if (intact && !direct) {
			envs[i] =
			    seinhuis__envelope__unpack(NULL, eb->len, eb->data);
			if (envs[i])
				sv = envs[i]->signal;
			else
				intact = 0;
		}
		if (intact && rec && rec->signal_sha256.len) {
			sh_sha256(hs[k], sv.data, sv.len);
			known = hs[k];
			intact =
			    rec->signal_sha256.len == 32 &&
			    memcmp(hs[k], rec->signal_sha256.data, 32) == 0;
		}
		if (intact) {
			hp[k] = known;
			packed[k] =
			    direct ? *eb : (ProtobufCBinaryData){0, NULL};
			signals[k++] = sv;
		} else {
			mark_unsendable(d, p, sigs[i].ent, SH_OUTQ_BAD_ENVELOPE,
			                0);
		}
	}
	sh_buf out = {0};
	sh_err err = k ? sh_batch_build_h(&d->self, p->card.partner, signals,
	                                  hp, packed, k, &out)
	               : SH_ERR_NOTFOUND;
	for (size_t i = 0; i < n; i++)
		if (envs[i])
			seinhuis__envelope__free_unpacked(envs[i], NULL);
	if (err != SH_OK) {
		if (err != SH_ERR_NOTFOUND)
			sh_daemon_error(d, "peer %s: cannot sign a frame: %s",
			                p->card.partner, sh_err_rule(err));
		sh_buf_free(&out);
		return err == SH_ERR_NOTFOUND ? -2 : -1;
	}
	HANDED_OVER(out.data);
	zmq_msg_init_data(m, out.data, out.len, free_buf, NULL);
	return 0;
}

/* The "sent" audit entry of a signal sent for the first time: from what
 * was kept since it was built, else from its record read from the store. */
static void audit_first_send(sh_daemon *d, sh_peer *p, const sh_outq_entry *e,
                             const Seinhuis__OutboxRecord *rec)
{
	const sh_outq_env *k = e->env;
	if (k)
		sh_audit_sent_known(d, p, e->id, k->type,
		                    k->has_subject ? k->subject : NULL,
		                    k->legal_basis);
	else
		sh_audit_sent(d, p, e->id, rec);
}

/* Pacing. A partner that deferred a frame of ours (we were over its
 * peer_rate) gets no more than its rate from then on: we keep a copy of
 * its bucket for us, empty at the deferral, and send a frame only when
 * that copy holds it. Ten seconds after the last deferral the pacing
 * ends, so that a raised peer_rate is used. */
#define PACE_HOLD_MS 10000

/* Signals we may send it now; SIZE_MAX when not pacing. */
static size_t pace_allows(sh_peer *p, int64_t now)
{
	if (p->pace_rate <= 0)
		return SIZE_MAX;
	if (now - p->pace_since > PACE_HOLD_MS) {
		p->pace_rate = 0;
		return SIZE_MAX;
	}
	if (now > p->pace_at) {
		p->pace_tokens +=
		    p->pace_rate * (double)(now - p->pace_at) / 1000.0;
		if (p->pace_tokens > 2.0 * p->pace_rate)
			p->pace_tokens = 2.0 * p->pace_rate;
		p->pace_at = now;
	}
	return p->pace_tokens < 1.0 ? 0 : (size_t)p->pace_tokens;
}

/* What the copy of the bucket must hold before the next frame goes: that
 * frame whole, or a full bucket (twice the rate) if that is less, as a
 * frame larger than the bucket would never be taken. */
static size_t pace_need(const sh_daemon *d, const sh_peer *p)
{
	size_t cap = d->cfg.batch_max > 1024 ? 1024 : d->cfg.batch_max;
	uint64_t unsent = p->queued - p->inflight;
	size_t need = unsent < cap ? (size_t)unsent : cap;
	size_t full = (size_t)(2.0 * p->pace_rate);
	if (full < 1)
		full = 1;
	return need < full ? need : full;
}

/* Send one frame of up to batch_max signals from the peer's cursor, below
 * max_message. Returns 1 if it sent something and more may follow. */
static int send_batch(sh_daemon *d, sh_peer *p, MDB_txn *txn)
{
	out_sig sigs[1024];
	size_t n = 0, bytes = 0, cap = d->cfg.batch_max;
	size_t limit = frame_room(d);
	int64_t now = sh_mono_ms();
	sh_outq_entry *e = p->cursor, *first = p->cursor;
	if (cap > 1024)
		cap = 1024;
	size_t allow = pace_allows(p, now);
	if (allow != SIZE_MAX) {
		/* whole frames, not a trickle of small ones */
		if (allow < pace_need(d, p) || allow == 0)
			return 0;
		if (allow < cap)
			cap = allow;
	}
	while (e && n < cap && p->inflight + n < d->cfg.window) {
		out_sig o;
		int took = out_sig_take(d, p, txn, e, &o);
		if (took < 0)
			break;
		/* the first always fits (out_sig_take saw to that) */
		if (took && bytes && bytes + frame_cost(o.env.len) > limit) {
			out_sigs_free(&o, 1);
			break;
		}
		sigs[n++] = o;
		if (took)
			bytes += frame_cost(o.env.len);
		e = e->next;
	}
	if (n == 0)
		return 0;
	zmq_msg_t m;
	int rc = batch_frame(d, p, sigs, n, &m);
	if (rc == 0) {
		rc = zmq_msg_send(&m, p->dealer, ZMQ_DONTWAIT);
		p->zcheck = 1; /* see run() in seinhuisd.c */
		if (rc < 0)
			zmq_msg_close(&m);
	} else if (rc == -2) {
		rc = 0; /* nothing to send: on as if sent, failed next turn */
	}
	/* Nothing was out: the wait for a receipt starts now, not at the
	 * last receipt, which may be long ago (an idle partner, or a paced
	 * one); else the retry timer would send this frame again at once. */
	if (rc >= 0 && p->inflight == 0)
		p->last_progress = now;
	e = first;
	for (size_t i = 0; i < n; i++, e = e->next) {
		if (rc >= 0) {
			e->sent_at = now;
			e->attempts++;
			if (e->attempts == 1 && !e->corrupt)
				audit_first_send(d, p, e, sigs[i].rec);
			p->inflight++;
			p->sent++;
			/* handed to ZeroMQ: a resend reads the store */
			sh_outq_env_drop(d, &e->env);
		}
	}
	out_sigs_free(sigs, n);
	if (rc < 0)
		return 0; /* not connected or queue full: try again later */
	if (p->pace_rate > 0)
		p->pace_tokens -= (double)n;
	p->cursor = e;
	return 1;
}

/* How long a signal in flight waits for its receipt before it is sent
 * again by itself (overdue): the link's time-out, doubled for each time
 * it was sent before, as the link's time-out doubles, up to
 * retry_max_ms. */
static int64_t entry_rto(const sh_daemon *d, const sh_peer *p,
                         const sh_outq_entry *e)
{
	int64_t t = p->rto_ms, max = d->cfg.retry_max_ms;
	for (uint32_t a = 1; a < e->attempts && t < max; a++)
		t *= 2;
	return t < max ? t : max;
}

/* The oldest signal in flight whose receipt is awaited (not one failed,
 * or settled, in this turn); NULL if none. Almost always the head: one
 * of those is failed or settled in the next turn. */
static const sh_outq_entry *oldest_inflight(const sh_peer *p)
{
	int skip = 0;
	for (const sh_outq_entry *e = p->head; e && e != p->cursor; e = e->next)
		if (e->sent_at && !e->corrupt && !e->settling)
			return e;
		else if (++skip == 64)
			break;
	return NULL;
}

/* Send the oldest in-flight signals (up to one batch, below max_message
 * as send_batch's frames) again, leaving the queue's cursor where it is;
 * only the overdue ones (entry_rto) if `overdue`. They were sent before
 * and kept no envelope: read from the store. Those marked as not to be
 * sent are left out. Returns 1 if more may be left (the frame was full). */
static int resend_oldest(sh_daemon *d, sh_peer *p, MDB_txn *txn, int overdue)
{
	out_sig sigs[1024];
	size_t n = 0, bytes = 0, limit = frame_room(d);
	size_t cap = d->cfg.batch_max > 1024 ? 1024 : d->cfg.batch_max;
	int64_t now = sh_mono_ms();
	int full = 0;
	for (sh_outq_entry *e = p->head; e && e != p->cursor && n < cap;
	     e = e->next) {
		if (e->corrupt || e->settling)
			continue; /* failed, or settled, in this turn */
		if (overdue &&
		    (!e->sent_at || now - e->sent_at <= entry_rto(d, p, e)))
			continue;
		out_sig o;
		int took = out_sig_take(d, p, txn, e, &o);
		if (took < 0)
			break;
		if (!took)
			continue;
		if (bytes && bytes + frame_cost(o.env.len) > limit) {
			out_sigs_free(&o, 1);
			full = 1;
			break;
		}
		bytes += frame_cost(o.env.len);
		e->sent_at = now;
		e->attempts++;
		sigs[n++] = o;
	}
	zmq_msg_t m;
	if (n && batch_frame(d, p, sigs, n, &m) == 0) {
		/* signed again: a resent frame is a new batch */
		p->zcheck = 1;
		if (zmq_msg_send(&m, p->dealer, ZMQ_DONTWAIT) < 0)
			zmq_msg_close(&m);
		if (overdue)
			sh_debug("peer %s: no receipt for %zu signals within "
			         "their time-out while others came, resent "
			         "(%zu bytes)",
			         p->card.partner, n, bytes);
		else
			sh_debug("peer %s: no receipts for %u ms, resent the "
			         "oldest %zu (%zu bytes)",
			         p->card.partner, p->rto_ms, n, bytes);
	}
	out_sigs_free(sigs, n);
	return full || n == cap;
}

void sh_peer_pump(sh_daemon *d)
{
	int64_t now = sh_mono_ms();
	MDB_txn *txn = NULL;
	for (size_t i = 0; i < d->npeers; i++) {
		sh_peer *p = &d->peers[i];
		if (p->removed)
			continue;
		if (p->redial && p->dealer) {
			close_sockets(d, p);
			sh_outq_rewind(p);
			sh_outq_env_drop_peer(d, p);
		}
		if (p->recover_since_ms && !p->recover_answered_ms)
			recover_ask(d, p, now);
		if (!p->head || (p->redial && now < p->redial_at))
			continue;
		if (!p->dealer && ensure_dealer(d, p) != SH_OK)
			continue;
		p->redial = 0;
		/* Retry: nothing came back for rto while signals were out. A
		 * busy recipient is the usual reason, so only the oldest batch
		 * is sent again (it answers whether the link still works), and
		 * the timeout doubles. After three silent timeouts in a row,
		 * everything in flight is sent again. A lost connection
		 * rewinds at once, on reconnect (sh_peer_handle_monitor). */
		if (p->inflight > 0 && now - p->last_progress > p->rto_ms) {
			p->silent_timeouts++;
			if (p->silent_timeouts >= 3) {
				sh_debug("peer %s: still no receipts, "
				         "resending %llu",
				         p->card.partner,
				         (unsigned long long)p->inflight);
				sh_outq_rewind(p);
				p->silent_timeouts = 0;
			} else if (p->connected) {
				if (!txn &&
				    !(txn = sh_store_read_begin(d->store)))
					return;
				(void)resend_oldest(d, p, txn, 0);
			}
			p->last_progress = now;
			p->rto_ms = p->rto_ms * 2 > d->cfg.retry_max_ms
			                ? d->cfg.retry_max_ms
			                : p->rto_ms * 2;
		} else if (p->connected && p->inflight > 0) {
			/* Receipts come, but not for the oldest in flight (its
			 * recipient's turn failed, the receipt was lost on the
			 * way, or here unsettled): the link timer above waits
			 * for the whole link to go quiet, which under steady
			 * traffic it never does. So the oldest has a timer of
			 * its own (entry_rto); when it is overdue, every
			 * overdue one is sent again. */
			const sh_outq_entry *o = oldest_inflight(p);
			if (o && now - o->sent_at > entry_rto(d, p, o) &&
			    now >= p->overdue_next) {
				if (!txn &&
				    !(txn = sh_store_read_begin(d->store)))
					return;
				for (int b = 0;
				     b < 16 && resend_oldest(d, p, txn, 1); b++)
					;
				/* at most so often (if the store could not be
				 * read, the oldest is overdue still) */
				p->overdue_next = now + d->cfg.retry_min_ms;
			}
		}
		if (!p->connected || !p->cursor || now < p->paused_until)
			continue;
		if (!txn && !(txn = sh_store_read_begin(d->store)))
			return;
		for (int b = 0; b < 64 && p->cursor && send_batch(d, p, txn);
		     b++)
			;
	}
	if (txn)
		sh_store_read_end(d->store, txn);
}

int64_t sh_peer_next_timer(sh_daemon *d)
{
	int64_t now = sh_mono_ms(), next = now + 1000;
	for (size_t i = 0; i < d->npeers; i++) {
		sh_peer *p = &d->peers[i];
		if (p->inflight > 0 && p->last_progress + p->rto_ms + 1 < next)
			next = p->last_progress + p->rto_ms + 1;
		const sh_outq_entry *o =
		    p->connected && p->inflight > 0 ? oldest_inflight(p) : NULL;
		if (o) {
			int64_t at = o->sent_at + entry_rto(d, p, o) + 1;
			if (at < p->overdue_next)
				at = p->overdue_next;
			if (at < next)
				next = at;
		}
		if (p->connected && p->cursor && p->inflight < d->cfg.window) {
			int64_t at = now; /* more to send right away */
			if (at < p->paused_until)
				at = p->paused_until;
			if (p->pace_rate > 0) {
				double lack =
				    (double)pace_need(d, p) - p->pace_tokens;
				int64_t due =
				    p->pace_at +
				    (int64_t)(lack * 1000.0 / p->pace_rate) + 1;
				if (due > at)
					at = due;
			}
			if (at < next)
				next = at;
		}
		if (p->redial && p->head && p->redial_at < next)
			next = p->redial_at;
		/* a recover request being answered: the next step */
		if (p->resend_busy && !p->removed) {
			int64_t at = p->resend_wait_until > now
			                 ? p->resend_wait_until
			                 : now;
			if (at < next)
				next = at;
		}
	}
	return next < now ? 0 : next - now;
}
