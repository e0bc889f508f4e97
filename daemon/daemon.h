/*
 * daemon.h - state shared by the parts of seinhuisd: the event loop
 * (seinhuisd.c), the peer transport (peer.c), the control socket
 * (control.c) and the in-memory send queues (outq.c).
 */
#ifndef SEINHUIS_DAEMON_H
#define SEINHUIS_DAEMON_H

#include <signal.h>

#include "policy.h"
#include "route.h"
#include "seinhuis.h"
#include "store.h"

/* ------------------------------------------------ send queue (outq.c) */

/* The envelope of a signal as it was built and committed, kept in memory
 * with its queue entry from acceptance until it is first sent (outq.c),
 * with what building it learned for its "sent" audit entry (type,
 * pseudonym, legal basis), so that sending decodes nothing for that. */
typedef struct sh_outq_env {
	Seinhuis__SignalType type;
	int has_subject;
	uint8_t subject[SH_PSEUDO_LEN];
	char legal_basis[48];
	uint8_t signal_sha256[32]; /* sh_build_note's: the batch leaf's hash */
	size_t len;
	uint8_t data[];
} sh_outq_env;

/* Bytes of envelopes all peers' queues may keep in memory together: a
 * few thousand signals, enough for what one connected partner is sent in
 * a burst; beyond it (and after a restart, and for every resend) the
 * envelope is read from the store, which stays the truth. */
#define SH_OUTQ_ENV_MAX (4u << 20)

/* One pending outbox signal, in memory. Entries of a peer form a FIFO in
 * outbox order; those before peer->cursor have been handed to ZeroMQ and
 * await a receipt, those from the cursor on have not been sent. */
typedef struct sh_outq_entry {
	uint64_t seq;
	uint8_t id[SH_ID_LEN];
	int64_t sent_at; /* monotonic ms; 0 = not (yet, or again) sent */
	uint32_t attempts;
	/* bytes, not ints: with env the entry stays 72 bytes (millions of
	 * entries when partners are unreachable for long) */
	uint8_t settling; /* a receipt for it is in the open transaction */
	uint8_t corrupt;  /* SH_OUTQ_*: it cannot be sent, and is failed in
	                     the next turn (sh_peer_fail_corrupt); 0: sendable */
	uint8_t resent;   /* delivered before, queued again for a recover */
	struct sh_peer *peer;
	struct sh_outq_entry *prev, *next;
	sh_outq_env *env; /* kept since acceptance, until sent; or NULL */
} sh_outq_entry;

/* Why an entry cannot be sent (sh_outq_entry.corrupt). */
enum {
	SH_OUTQ_BAD_ENVELOPE = 1, /* its stored envelope is damaged */
	SH_OUTQ_BAD_RECORD,       /* its outbox record does not decode */
	SH_OUTQ_TOO_LARGE,        /* its frame would pass max_message */
	SH_OUTQ_CONSENT,          /* its consent's last day has passed */
	SH_OUTQ_CONSENT_REVOKED,  /* its consent was revoked */
};

/* A frame to a partner with one signal in it is the signal's envelope and
 * at most this many bytes more (format version, the entry's tag and length,
 * the batch signature, sent_ms): a larger envelope than max_message less
 * this can never be sent, and is refused at acceptance. */
#define SH_FRAME_OVERHEAD 128

/* Map from message id to entry (open addressing). */
typedef struct {
	sh_outq_entry **slots;
	size_t cap, n, used;
} sh_idmap;

void sh_idmap_init(sh_idmap *m);
void sh_idmap_free(sh_idmap *m);
void sh_idmap_put(sh_idmap *m, sh_outq_entry *e);
sh_outq_entry *sh_idmap_get(const sh_idmap *m, const uint8_t id[SH_ID_LEN]);
void sh_idmap_del(sh_idmap *m, const uint8_t id[SH_ID_LEN]);

/* ------------------------------------------------------------- peers */

typedef struct sh_peer {
	sh_card card;
	int removed; /* no longer in the trust store: ignored, slot kept */
	sh_pair_keys keys;
	int keys_ready;
	void *dealer;  /* outbound CURVE client socket, created on demand */
	void *monitor; /* PAIR socket receiving the dealer's events */
	int connected;
	int redial;        /* handshake refused: rebuild the socket */
	int64_t redial_at; /* monotonic ms before which not to redial */
	uint32_t redial_ms;
	unsigned sock_failed; /* attempts to open its socket that failed */
	int counted;          /* its DEALER counts in sh_daemon.ndealers */
	int zcheck; /* its sockets were used since the loop last asked them
	              for input (ZMQ_FD is edge-triggered; seinhuisd.c) */
	sh_outq_entry *head, *tail, *cursor;
	uint64_t queued, inflight;
	uint32_t rto_ms;
	uint32_t srtt_ms;      /* smoothed time from send to receipt */
	int silent_timeouts;   /* timeouts in a row without any receipt */
	int64_t last_progress; /* monotonic ms of last receipt or rewind */
	int64_t overdue_next;  /* monotonic ms: no overdue resend before */
	int64_t last_receipt_ms;
	int64_t last_inbound_ms;
	char last_error[160];
	/* counters, as seen by this daemon */
	uint64_t sent, delivered, rejected_out, received, rejected_in,
	    duplicates, rate_limited, deferred;
	/* the signals of this turn's frames answered so: added to the three
	 * above (and the daemon's) when the turn commits (finish_turn); a
	 * turn that fails answered nothing, and they come again */
	uint64_t turn_received, turn_rejected_in, turn_duplicates;
	/* frames after a commit ZeroMQ did not take (seinhuisd.c), and
	 * when that was last logged */
	uint64_t frames_unsent;
	int64_t frames_unsent_logged;
	int64_t paused_until; /* monotonic ms: it asked us not to send before */
	/* pacing after a deferral: a copy of the partner's bucket for us */
	double pace_rate, pace_tokens; /* signals a second; 0: not pacing */
	int64_t pace_at, pace_since;   /* last refill; last deferral */
	double tokens;          /* flood control: signals it may still send */
	int64_t tokens_at;      /* monotonic ms of the last refill */
	int64_t limited_logged; /* monotonic ms of the last rate-limit log */
	int64_t refuse_until;   /* monotonic ms: told to wait until then */
	/* its receipts held for settling (peer.c), its receipt frames
	 * refused as more than our signals in flight to it answer, and
	 * when that was last logged (monotonic ms) */
	uint64_t held_receipts, receipt_frames_refused;
	int64_t receipts_logged;
	/* seinctl recover, asking this partner (peer.c): from when (Unix
	 * ms; 0: not asked), when the request last went out (monotonic ms)
	 * and how often, when it answered (Unix ms; 0: not yet) and how
	 * many signals it sends again */
	int64_t recover_since_ms, recover_sent_at, recover_answered_ms;
	unsigned recover_tries;
	uint64_t recover_count;
	/* ... and when it said it takes the request after its
	 * recover_interval (Unix ms; 0: it did not) */
	int64_t recover_deferred_until_ms;
	/* answering this partner's requests: when we last took one up or
	 * finished one, when we last finished one (monotonic ms; 0: not
	 * since start), and whether a request within recover_interval since
	 * then was logged */
	int64_t recover_handled_at, recover_done_at;
	int recover_deferral_logged;
	/* answering one, a step a loop turn (peer.c): the time asked from,
	 * the outbox sequence the next step starts at, how many were queued
	 * so far, no step before this (monotonic ms; after a failed one),
	 * and the routing id of the connection to answer on */
	int resend_busy;
	int64_t resend_since, resend_wait_until;
	uint64_t resend_from, resend_total;
	sh_buf resend_rid;
	/* audit heads (witness.c): ours is due to go to it (after a
	 * handshake or a head signed), and not later than wit_next
	 * (monotonic ms); the newest of its heads kept here: tree size and
	 * signing time (Unix ms), once read (wit_loaded) */
	int wit_due, wit_loaded;
	int64_t wit_next, wit_ms;
	uint64_t wit_size;
	int64_t wit_in_at;   /* its witness frames: this second's (monotonic) */
	unsigned wit_in_n;   /* ... and how many came in it */
	int64_t wit_rb_at;   /* its log found going back: recorded then
	                        (monotonic ms) */
	int64_t wit_warn_at; /* a head of it refused: logged then (monotonic) */
	/* its clock against ours, from its frames' sent_ms (sh_peer_clock):
	 * the largest reading (sent_ms less our clock at arrival) of the
	 * current window and of the one before it, when the current one
	 * began (monotonic ms), whether the one before it ended right before
	 * (else it is not used), when last read (Unix ms; 0: never),
	 * whether the difference is being warned about, and whether the next
	 * reading starts afresh (a new connection: the partner may have been
	 * restarted with its clock put right) */
	int64_t clk_cur, clk_prev, clk_win_at, clk_read_ms;
	int clk_have_prev, clk_warned, clk_fresh;
} sh_peer;

/* ---------------------------------------------------- control clients */

typedef struct sh_ctl_conn {
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	sh_buf in, out;
	size_t out_off;
	int closing;
	struct sh_ctl_conn *next;
	unsigned roles;      /* SH_ROLE_* of the caller (roles.c) */
	size_t turn_handled; /* requests answered in this turn (control.c) */
	/* bytes of its replies in the deferred list, not yet in out: with
	 * out's unsent bytes, what the back-pressure bound counts */
	size_t pending;
	/* INBOX_WAIT parked until the inbox has a signal from wait_from on,
	 * or until wait_until (monotonic ms); the connection's later
	 * requests wait behind it, in order */
	int waiting;
	uint64_t wait_from;
	int64_t wait_until;
	uint32_t wait_limit;
	/* input limits (control.c): requests taken so far; since when the
	 * request at the front of in has been half-sent (monotonic ms, 0:
	 * none), as of which request; the bytes of a large request reserved
	 * against the daemon's total; not read until they can be */
	uint64_t taken, since_taken;
	int64_t in_since;
	size_t in_reserved;
	int in_stalled;
} sh_ctl_conn;

/* Work done inside the current write transaction whose effects (replies,
 * receipts, queue changes) may only happen once it has committed. */
typedef enum {
	DEFER_CTL_REPLY,   /* reply bytes to a control client */
	DEFER_RECEIPTS,    /* a receipts frame to a peer (via ROUTER) */
	DEFER_ENQUEUE,     /* new outbox entry to put on a peer's queue */
	DEFER_DONE,        /* outbox entry `id` settled by a receipt: drop it */
	DEFER_REQUEUE,     /* a delivered signal to send again (recover) */
	DEFER_RECOVER_ASK, /* seinctl recover: ask peer from `at` */
	DEFER_RECOVER_ANSWERED, /* peer answered: it sends `seq` signals */
	DEFER_ROLLED_BACK,      /* witness.c: the log found rolled back at `at`,
	                           heads up to `seq` (ms) explained */
	DEFER_PARTNER_ROLLED_BACK, /* witness.c: peer's recorded; if the turn
	                              fails, its limit goes back to `at` */
	DEFER_RESEND_STEP,         /* a step of answering peer's recover request
	                              from `at`: `count` queued, next from `seq`
	                              (0: answered) */
} sh_defer_kind;

typedef struct sh_defer {
	sh_defer_kind kind;
	sh_ctl_conn *conn;
	sh_peer *peer;
	sh_buf data;       /* reply or frame bytes */
	sh_buf routing_id; /* ROUTER identity for receipts */
	int is_write;      /* CTL_REPLY: fails if the commit fails */
	int status;        /* DONE: 1 delivered, 0 rejected */
	uint64_t seq;
	int64_t at;     /* RECOVER_ASK, RESEND_STEP: the time asked from */
	uint64_t count; /* RESEND_STEP: signals queued in the step */
	uint8_t id[SH_ID_LEN];
	sh_outq_env *env; /* ENQUEUE: the envelope for the entry, or NULL */
	struct sh_defer *next;
} sh_defer;

/* ------------------------------------------------------------ daemon */

typedef struct sh_daemon {
	sh_config cfg;
	sh_identity self;
	sh_trust trust;
	sh_catalogue cat;
	sh_routes routes;
	uint8_t
	    case_secret[SH_KEY_LEN]; /* keys case keys; derived, never stored */
	/* keys the prints of taken meldcode reports (sh_print_make); derived
	 * as case_secret is, never stored */
	uint8_t print_key[SH_KEY_LEN];
	int64_t next_retention; /* monotonic ms of the next sweep */
	sh_store *store;
	void *zctx;
	long nofile; /* open-file limit (soft), after sh_peer_start raised it */
	int max_sockets; /* ZeroMQ socket limit set by sh_peer_start */
	int epfd;        /* epoll set of the partners' sockets (peer.c) */
	size_t ndealers; /* partners with a DEALER socket now */
	void *router;    /* inbound CURVE server socket */
	void *zap;       /* ZAP handler (REP on inproc://zeromq.zap.01) */
	sh_peer *peers;  /* slots never move: queue entries point into them */
	size_t npeers, peers_cap;
	size_t
	    resend_busy_n; /* peers whose recover request is being answered */
	/* witness.c: a head is due to some partner; none before this
	 * (monotonic ms), so that the loop does not look at every partner
	 * each turn */
	int wit_any_due;
	int64_t wit_next_any;
	/* heads of our log signed up to then are explained by a rollback
	 * already recorded (witness.c; at start-up the time of the log's
	 * newest log_rolled_back entry, auditd.c); one recorded in the open
	 * turn */
	int64_t audit_explained_ms, wit_rb_pending_ms;
	int64_t next_trust_check;    /* monotonic ms */
	int64_t prev_keys_checked_s; /* rotation_tick: Unix s, 0 at start */
	int64_t prev_keys_stuck; /* ... KEYDIR/previous not removable: when */
	/* seinkey rotate while running: the card in KEYDIR is no longer the
	 * one the daemon runs with (keys_check in seinhuisd.c). Until when
	 * partners accept the keys it runs with (Unix s; 0: not known, the
	 * card there does not continue ours), and when the log last said so
	 * (Unix s) and whether the overlap had ended then. */
	int keys_replaced;
	/* when a signal last failed at its recipient, and when one from a
	 * partner was last quarantined (Unix ms; kept in the store's meta,
	 * read at start); set from the turn's own (turn_*) once the turn has
	 * committed */
	int64_t last_failed_ms, last_quarantined_ms;
	/* failed checkpoints since the last one that succeeded, and when
	 * that was last logged (monotonic ms): once a minute, not each try */
	uint64_t ckpt_failures;
	int64_t ckpt_failure_logged;
	char ckpt_cause[320]; /* the last failure's cause and free space */
	/* turns refused because the journal could not grow (a full file
	 * system) since one was last stored, when that was last logged
	 * (monotonic ms): once a minute, not at each turn; and whether a
	 * line told of them since turns were last stored */
	uint64_t jfull_refused;
	int64_t jfull_logged;
	int jfull_told;
	int64_t turn_failed_ms, turn_quarantined_ms;
	int64_t keys_replaced_until, keys_replaced_logged;
	int keys_replaced_logged_ended;
	int listen_lost;    /* a re-bind failed: bound again each second */
	uint64_t trust_sig; /* sh_trust_signature at the last load */
	sh_idmap pending;
	int ctl_listen;
	/* accept4 ran out of descriptors: the listening socket is not
	 * polled until then (monotonic ms); when that was last logged, and
	 * when a caller over its connection cap was (control.c) */
	int64_t ctl_accept_paused_until, ctl_accept_logged, ctl_cap_logged;
	unsigned long ctl_cap_refused; /* since the last such line */
	/* requests refused for their size, half-sent requests cut off
	 * (control.c): when last logged, how many since */
	int64_t ctl_big_logged, ctl_stale_logged;
	unsigned long ctl_big_refused, ctl_stale_closed;
	size_t ctl_in_reserved; /* large requests being read, in all */
	int64_t ctl_partial_ms; /* how long a request may stay half-sent */
	int consent_unnoted;    /* SEINHUIS_TEST_CONSENT_UNNOTED (control.c) */
	int ctl_trim;           /* a large buffer was freed: malloc_trim */
	/* an inbox listing's page (LIST_PAGE_BYTES; smaller only in tests:
	 * SEINHUIS_TEST_LIST_PAGE_BYTES, control.c) */
	size_t list_page_bytes;
	sh_ctl_conn *conns;
	sh_defer *defer_head, *defer_tail;
	/* defers done with, kept for the next ones with their buffers
	 * (wiped): a signal makes two or three (seinhuisd.c) */
	sh_defer *defer_free;
	size_t defer_nfree;
	sh_err txn_error; /* first store error in the open transaction */
	/* Storage full: writes allowed per turn (a quarter of the turn's
	 * writes after a commit that found the map full, doubled back after
	 * successes); the share of the map in use (refreshed each second or
	 * every 32 writes); and a latch that refuses new signals from the
	 * first full commit until the map is below 65%. New signals are
	 * also refused while the room that the pending ones still need to be
	 * settled (their audit entries) does not fit; full_logged: when the
	 * refusal was last put in the log; usage_warned: when the log last
	 * warned that the store is filling (SH_STORE_WARN). */
	size_t write_cap, turn_writes, writes_since_usage;
	double usage;
	int64_t usage_at, full_logged, usage_warned;
	int full_latched;
	int64_t started_ms;
	volatile sig_atomic_t stop;
	/* counters */
	uint64_t accepted, received, duplicates, rejected_in, refused_peers;
	/* receipt frames held for a lazy settle (peer.c) */
	struct sh_held_receipts *held;
	size_t nheld, capheld;
	size_t held_kept; /* of them, kept from a turn that could not settle */
	int64_t held_first_mono;
	char last_errors[8][400];
	int64_t audit_rolled_back_ms; /* last found so (at a start, or by a
	                               * partner's witness): Unix ms
	                               * (kept in the store's meta) */
	int last_error_pos;
	struct sh_auditd *auditd;  /* the audit log and its hooks (auditd.c) */
	size_t corrupt_waiting;    /* entries marked corrupt, not yet failed */
	int64_t unreadable_logged; /* an outbox record that could not be
	                              read now was logged then (monotonic) */
	size_t env_kept; /* bytes of envelopes kept with entries (outq.c) */
	/* What a received frame decodes (the frame, its entries, receipts)
	 * and what each of its signals does (envelope, signal, opened sealed
	 * content, fields): let go, wiped, after the frame and after each
	 * signal (peer.c). */
	sh_arena frame_arena, sig_arena, ctl_arena, build_arena;
	/* the control requests of a window, prepared by the helper thread
	 * and the main thread (prep.c, control.c) */
	struct sh_prep *prep;
	int prep_off; /* no helper: off by configuration, or not started */
	/* the store may hold natural keys of the form before 2026-12-05:
	 * senders compute and look up that form too (control.c); set at
	 * open and before each window, read by the helper in it */
	int natkey_old;
	/* ... and keys of form 2, without the resident (schema 3 and before):
	 * as natkey_old */
	int natkey_pre3;
	/* natural keys of earlier builds told apart by resident: the
	 * accepted signals' resident keys from the audit log, read at the
	 * first match of such a key (control.c, natkey_prev_same) */
	struct sh_nk_residents *nk_residents;
	/* case retention (cases.c): where the next sweep goes on, after the
	 * last case record the previous one read when it stopped at its cap */
	uint8_t case_sweep_after[SH_KEY_LEN];
	int case_sweep_more;
	void (*prep_fn)(struct sh_daemon *d, void *ctx, size_t i,
	                sh_arena *build);
	void *prep_ctx;
	struct sh_ctl_window *ctl_window;
} sh_daemon;

/* The helper thread (prep.c): items [0, n) of a job (n <= SH_PREP_MAX)
 * are prepared by fn, each once, by the helper from the end or by the
 * main thread in sh_prep_take from the front. fn gets the helper's build
 * arena, or NULL when the main thread calls it (it then prepares only
 * what it must not do twice: it commits the item right after). */
#define SH_PREP_MAX 256
typedef void (*sh_prep_fn)(sh_daemon *d, void *ctx, size_t i, sh_arena *build);
void sh_prep_start(sh_daemon *d, sh_prep_fn fn, void *ctx, size_t n);
/* Item i, prepared: by the helper (waits for it), or now. */
void sh_prep_take(sh_daemon *d, size_t i);
/* The job is over: the helper takes no more items and is idle on return. */
void sh_prep_finish(sh_daemon *d);
/* After sh_prep_finish: did the helper prepare item i? */
int sh_prep_done(sh_daemon *d, size_t i);
/* Stops the helper thread. */
void sh_prep_free(sh_daemon *d);

/* A problem for status's last errors and the log: sh_daemon_error at the
 * error level for what puts this daemon's own data or duty at risk and
 * wants an administrator (the store, the audit log, its keys);
 * sh_daemon_warn at the warn level for a partner's conduct, a connection,
 * or what the daemon works around by itself. */
void sh_daemon_error(sh_daemon *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sh_daemon_warn(sh_daemon *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
sh_defer *sh_defer_add(sh_daemon *d, sh_defer_kind kind);
/* Open the turn's write transaction (group commit); SH_OK or the error
 * that makes this turn's writes fail. */
sh_err sh_daemon_txn(sh_daemon *d);
void sh_daemon_txn_fail(sh_daemon *d, sh_err e);
/* May the turn take one more write (signal, receipt, ack)? Counts it. */
int sh_daemon_write_ok(sh_daemon *d);
/* Is the store so full that new signals must be refused? (Logged, at
 * most once a second.) */
int sh_daemon_store_full(sh_daemon *d);
/* The same decision, given need from sh_daemon_store_usage, not logged:
 * past SH_STORE_REFUSE, or after a commit found the map full until below
 * SH_STORE_UNLATCH. */
int sh_daemon_store_refusing(sh_daemon *d, double need);
/* The share of the map in use (committed pages), refreshed if older than
 * max_age_ms; *need (if not NULL): that with the room kept for the signals
 * the store holds, which new signals are refused by. Warns in the log
 * when the store is filling. */
double sh_daemon_store_usage(sh_daemon *d, int64_t max_age_ms, double *need);
sh_peer *sh_peer_find(sh_daemon *d, const char *partner);

/* One retention sweep, in the current turn (seinhuisd.c): inbox signals,
 * case records and settled outbox records past their catalogue keep
 * periods. 1 if it left removals for the next (a capped batch), which
 * should then come soon. */
int sh_retention_sweep(sh_daemon *d);
/* Queue a signal built by the daemon itself (consent revocations). */
/* Frees what natkey_prev_same read from the audit log (control.c). */
void sh_natkey_residents_free(sh_daemon *d);
sh_err sh_daemon_submit(sh_daemon *d, sh_peer *p, Seinhuis__SignalType t,
                        Seinhuis__Field **fields, size_t n, char *msg_id_hex,
                        char *field, size_t flen, char *detail, size_t dlen);

/* outq.c */
/* The entry takes env (NULL: none kept), which sh_outq_env_keep made. */
sh_outq_entry *sh_outq_append(sh_daemon *d, sh_peer *p, uint64_t seq,
                              const uint8_t id[SH_ID_LEN], sh_outq_env *env);
void sh_outq_remove(sh_daemon *d, sh_outq_entry *e);
/* Every entry of p's queue removed (its partner left the trust store, or
 * the daemon stops). */
void sh_outq_drop_peer(sh_daemon *d, sh_peer *p);
/* The turn in which a receipt settled p's signal `id` (DEFER_DONE) has
 * committed (ok) or failed. Found by id: an entry removed meanwhile (its
 * partner left the trust store in the same turn) is let be. */
void sh_outq_settled(sh_daemon *d, sh_peer *p, const uint8_t id[SH_ID_LEN],
                     int delivered, int ok);
/* A copy of a just-built envelope to keep with its queue entry, or NULL if
 * it is not worth keeping (the partner is not connected) or the room for
 * kept envelopes (SH_OUTQ_ENV_MAX) is taken. */
sh_outq_env *sh_outq_env_keep(sh_daemon *d, const sh_peer *p,
                              const uint8_t *env, size_t len,
                              Seinhuis__SignalType type,
                              const sh_build_note *note);
/* Wipe and free a kept envelope (NULL is fine) and give its room back. */
void sh_outq_env_drop(sh_daemon *d, sh_outq_env **env);
/* Drop the kept envelopes of a peer's unsent entries: it is not connected,
 * so they would only hold room that connected partners can use. */
void sh_outq_env_drop_peer(sh_daemon *d, sh_peer *p);
void sh_outq_rewind(sh_peer *p);
size_t sh_outq_rewind_from(sh_daemon *d, sh_peer *p,
                           const uint8_t id[SH_ID_LEN]);
sh_err sh_outq_load(sh_daemon *d);
sh_err sh_outq_load_partner(sh_daemon *d, const char *partner);

/* peer.c */
sh_err sh_peer_start(sh_daemon *d, char *why, size_t whylen);
/* About how many partners the open-file and ZeroMQ socket limits let this
 * daemon be connected to at once (set by sh_peer_start). */
size_t sh_peer_room(const sh_daemon *d);
void sh_peer_stop(sh_daemon *d);
void sh_peer_close(sh_daemon *d, sh_peer *p);
void sh_peer_rebind(sh_daemon *d);
/* After a re-bind that failed: bind again (once a second). */
void sh_peer_listen_retry(sh_daemon *d);
sh_err sh_peer_keys(sh_daemon *d, sh_peer *p);
void sh_peer_handle_zap(sh_daemon *d);
void sh_peer_handle_router(sh_daemon *d);
void sh_peer_handle_dealer(sh_daemon *d, sh_peer *p);
void sh_peer_handle_monitor(sh_daemon *d, sh_peer *p);
/* A frame from p carried its sender's clock (sent_ms, Unix ms; 0: none):
 * keep the reading, and warn once when p's clock and ours differ by a
 * minute or more (again once they agree within half a minute). */
void sh_peer_clock(sh_daemon *d, sh_peer *p, int64_t sent_ms);
/* p's clock less ours (ms), as read from its recent frames; 0 if never. */
int64_t sh_peer_clock_offset(const sh_peer *p);
void sh_peer_pump(sh_daemon *d);
/* seinctl recover: a request to p made before this start and not yet
 * answered (kept in the store) is taken up again. */
void sh_peer_recover_load(sh_daemon *d, sh_peer *p);
/* Ask p (again) from since_ms, as new: no answer, no tries yet. */
void sh_peer_recover_set(sh_peer *p, int64_t since_ms);
/* Sender: one step of answering each partner's recover request, in the
 * loop's turn (a large one takes several turns, so that the loop serves
 * the rest in between); sh_peer_resend_step_done applies a step once its
 * turn has ended (committed: ok), sh_peer_resend_end drops the work. */
void sh_peer_resend_steps(sh_daemon *d);
void sh_peer_resend_step_done(sh_daemon *d, const sh_defer *df, int ok);
void sh_peer_resend_end(sh_daemon *d, sh_peer *p);
int64_t sh_peer_next_timer(sh_daemon *d);
/* Receipts are held back from the turn they arrive in and settled at the
 * end of a turn that commits anyway (seinhuisd.c): settling a receipt is
 * not urgent (it was recorded durably at the recipient, and one lost in a
 * crash is answered again as a duplicate), and alone it would cost a
 * commit of its own. sh_peer_held_due: when they must be settled at the
 * latest (monotonic ms; INT64_MAX: none held). */
void sh_peer_settle_held(sh_daemon *d);
/* Let go of the receipts held (at stop: each is answered again). */
void sh_peer_held_free(sh_daemon *d);
int64_t sh_peer_held_due(const sh_daemon *d, int64_t lazy_ms);
/* Mark failed, in the turn's transaction, the signals whose stored
 * envelope did not decode when they were due to be sent. */
void sh_peer_fail_corrupt(sh_daemon *d);
/* A consent was revoked (ref: its 16 bytes): the signals to p under it that
 * were not sent yet are marked failed (CONSENT_REVOKED) in the turn's
 * transaction. Signals in flight are left to their receipts. */
sh_err sh_peer_fail_consent(sh_daemon *d, sh_peer *p, const uint8_t ref[16]);

/* witness.c: partners keep each other's signed audit tree heads. */
/* A witness frame came in on the ROUTER from p (audit_head or
 * witnessed_head set): check and keep, and answer on rid after the turn
 * commits. */
void sh_witness_inbound(sh_daemon *d, sh_peer *p, const Seinhuis__PeerFrame *f,
                        const void *rid, size_t ridlen);
/* p's answer to ours came in on its DEALER. */
void sh_witness_answer(sh_daemon *d, sh_peer *p, const Seinhuis__PeerFrame *f);
/* Our head is due to go to p (NULL: to every partner). */
void sh_witness_due(sh_daemon *d, sh_peer *p);
/* Send what is due, outside a turn (only committed heads go out). */
void sh_witness_pump(sh_daemon *d);
/* Fill p's wit_size and wit_ms from the store, once. */
void sh_witness_status(sh_daemon *d, MDB_txn *txn, sh_peer *p);
/* The newest head of our log that a partner handed back as kept and the
 * log still extended then: its size (0: none), partner and signing time. */
void sh_witness_anchored(sh_daemon *d, MDB_txn *txn, uint64_t *size, char *by,
                         size_t byl, int64_t *ms);

/* control.c */
sh_err sh_control_start(sh_daemon *d, char *why, size_t whylen);
void sh_control_stop(sh_daemon *d);
void sh_control_accept(sh_daemon *d);
/* Read what the client has queued and answer it; while answering, more
 * arrives from a bulk client (seinctl import), so read again, until
 * nothing more is waiting or the turn's bound is reached (CTL_TURN_MAX
 * requests, CTL_TURN_MS): all of it shares the turn's one commit. */
void sh_control_read(sh_daemon *d, sh_ctl_conn *c);
/* Answer the whole requests already read, within the turn's bound. */
void sh_control_process(sh_daemon *d, sh_ctl_conn *c);
/* A new turn: the bound starts again. */
void sh_control_turn_reset(sh_daemon *d);
int sh_control_has_frame(const sh_ctl_conn *c);
/* The poll events to ask for c: POLLOUT while replies are unsent, POLLIN
 * unless it is held (its unsent replies above the bound, or a parked
 * INBOX_WAIT with a megabyte of requests behind it). */
short sh_control_events(const sh_ctl_conn *c);
/* Whether to poll the listening socket (not while accept4 is backing off
 * from a lack of descriptors). */
int sh_control_accepting(sh_daemon *d);
/* After a turn's commit: answer the INBOX_WAIT requests that have new
 * inbox signals or whose wait is over. */
void sh_control_waiters(sh_daemon *d);
/* Milliseconds until the next INBOX_WAIT runs out or the listening
 * socket is polled again (-1: neither). */
long sh_control_wait_timeout(sh_daemon *d);
void sh_control_write(sh_daemon *d, sh_ctl_conn *c);
void sh_control_reap(sh_daemon *d);
/* each turn: half-sent requests past their time, waiting large ones */
void sh_control_sweep(sh_daemon *d);

#endif
