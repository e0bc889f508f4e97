/*
 * store.h - the daemon's durable queues (LMDB). See store.c for the design.
 */
#ifndef SEINHUIS_STORE_H
#define SEINHUIS_STORE_H

#include <lmdb.h>

#include "seinhuis.h"

typedef struct sh_store sh_store;

sh_err sh_store_open(sh_store **st, const char *dir, size_t map_size,
                     const char *partner, char *why, size_t whylen);
void sh_store_close(sh_store **st);
/* Full integrity check: every record decodes and every index agrees. */
sh_err sh_store_check(sh_store *st, char *why, size_t whylen);
/* How many inbox id/sequence pairs sh_store_check sorts and merges with the
 * seen index at a time (default 2^20; a test makes it small). */
extern size_t sh_store_seen_chunk;

/* One turn at a time: everything that arrives in one turn of the event
 * loop goes into it (group commit). sh_store_commit makes the turn
 * durable (one journal record and its fdatasync) and sh_store_abort
 * undoes it; the LMDB write transaction under it stays open across turns
 * until the next checkpoint (journal.c). */
sh_err sh_store_begin(sh_store *st);
sh_err sh_store_commit(sh_store *st);
void sh_store_abort(sh_store *st);
int sh_store_in_txn(const sh_store *st); /* a turn is open */
/* The write transaction, for reads of everything durable so far and, in
 * a turn, for writes through sh_store_put/sh_store_del. NULL if none. */
MDB_txn *sh_store_txn(sh_store *st);
/* mdb_put and mdb_del on the write transaction, noted for the journal:
 * the only way a module outside store.c writes (the audit log). Only in
 * a turn (EINVAL otherwise). */
int sh_store_put(sh_store *st, MDB_dbi dbi, MDB_val *k, MDB_val *v,
                 unsigned flags);
/* After a put with MDB_RESERVE, once v->mv_data is filled in and before
 * any other write: note the value for the journal. */
void sh_store_filled(sh_store *st, MDB_dbi dbi, const MDB_val *k,
                     const MDB_val *v);
int sh_store_del(sh_store *st, MDB_dbi dbi, MDB_val *k);

/* Checkpoint: commit the turns made durable since the last one to LMDB
 * (full sync) and start the journal again. Due the checkpoint interval
 * (sh_store_set_checkpoint_ms, default SH_STORE_CHECKPOINT_MS) after the
 * first of them, or at once past SH_STORE_JOURNAL_MAX bytes of journal
 * (a 64th of the map if that is less);
 * sh_store_checkpoint_due gives that time (sh_mono_ms clock, INT64_MAX
 * for none). Not within a turn, nor within a second of a failed one (two,
 * four, up to eight after more failures in a row).
 * sh_store_close makes one. */
#define SH_STORE_CHECKPOINT_MS 1000

/* What to do about a store found damaged at start, however it was found:
 * the advice sh_store_open gives, and the daemon after its other checks. */
#define SH_STORE_DAMAGED                                                       \
	"The data store is damaged; seinhuisd will not start on it, so that "  \
	"no signal is lost silently. Keep a copy of the directory and "        \
	"restore data.mdb from the last backup"
#define SH_STORE_JOURNAL_MAX (8u << 20)
void sh_store_set_checkpoint_ms(sh_store *st, uint32_t ms);
sh_err sh_store_checkpoint(sh_store *st);
int64_t sh_store_checkpoint_due(const sh_store *st);
/* Since when checkpoints fail (Unix ms of the first failure since the
 * last one that succeeded; 0: they do not), and why in words (LMDB passes
 * the system's error through: "No space left on device"). Until one
 * succeeds, what was accepted stays in the journal, which grows. */
int64_t sh_store_checkpoint_failing(const sh_store *st, const char **cause);
/* 1 if the last turn that wrote failed because its journal record found
 * no room in the file system (ENOSPC, EDQUOT: the journal cannot grow,
 * however much room the map has), 0 once one is appended again or a turn
 * failed for another reason. Turns that write nothing leave it as it is.
 * Until room is made, every turn that writes fails so. */
int sh_store_journal_full(const sh_store *st);
/* Not SH_OK once the write transaction could not be rebuilt from the
 * journal after a failed turn or checkpoint: nothing can be written any
 * more (sh_store_begin returns it). What was acknowledged is in the
 * journal, and opening the store again replays it. */
sh_err sh_store_broken(const sh_store *st);
/* When LMDB last committed turns before this open (Unix ms; 0: not
 * recorded, a store of an older version): after restoring a backup of
 * data.mdb without its journal, the time the backup holds everything up
 * to. After a crash, the turns replayed from the journal at open hold more
 * than that (asking partners from it then brings only duplicates). */
int64_t sh_store_committed_before(const sh_store *st);
/* Turns replayed from the journal when the store was opened (after a
 * crash). */
size_t sh_store_replayed(const sh_store *st);
/* seinctl recover at this daemon: the time (Unix ms) from which a partner
 * is asked to send again what it delivered here, kept until it answers so
 * that a restart goes on asking. since_ms 0 clears it. Set only in a turn;
 * get returns 0 for none. */
sh_err sh_store_recover_set(sh_store *st, const char *partner,
                            int64_t since_ms);
int64_t sh_store_recover_get(sh_store *st, MDB_txn *txn, const char *partner);
/* A report's print (policy.h, sh_print_make), kept in the meta table
 * under its message id when Veilig Thuis's team took the report, with
 * that time (kept_ms); put in the open turn. The get copies it (malloc),
 * SH_ERR_NOTFOUND if none. The expire removes, in the open turn, up to
 * max prints kept before before_ms (*removed says how many). */
sh_err sh_store_print_put(sh_store *st, const uint8_t id[SH_ID_LEN],
                          int64_t kept_ms, const uint8_t *print, size_t n);
sh_err sh_store_print_get(sh_store *st, MDB_txn *txn,
                          const uint8_t id[SH_ID_LEN], uint8_t **print,
                          size_t *n);
sh_err sh_store_print_expire(sh_store *st, int64_t before_ms, size_t max,
                             size_t *removed);
/* A time (Unix ms) kept in the meta table under key, in the open turn;
 * ms <= 0 removes it. The get answers 0 for none. */
sh_err sh_store_meta_time_set(sh_store *st, const char *key, int64_t ms);
int64_t sh_store_meta_time_get(sh_store *st, MDB_txn *txn, const char *key);
/* Called when the write transaction ends: committed 1 after a successful
 * commit, 0 after an abort or a failed commit. For modules that keep an
 * in-memory view of what they wrote (the audit log's tree). */
typedef void (*sh_store_txn_fn)(void *ctx, int committed);
void sh_store_set_txn_hook(sh_store *st, sh_store_txn_fn fn, void *ctx);
/* Called by sh_store_commit just before the write transaction commits,
 * within it, for a module that keeps a value in memory during the
 * transaction and writes it once instead of with every change (the audit
 * log's size and right edge). An error aborts the transaction. */
typedef sh_err (*sh_store_precommit_fn)(void *ctx, MDB_txn *txn);
void sh_store_set_precommit_hook(sh_store *st, sh_store_precommit_fn fn,
                                 void *ctx);
/* The audit log's tables, opened here (see audit.c): entries, nodes,
 * heads, state. */
void sh_store_audit_tables(sh_store *st, MDB_dbi dbi[4]);
/* Read transactions for listings. */
MDB_txn *sh_store_read_begin(sh_store *st);
void sh_store_read_end(sh_store *st, MDB_txn *txn);

/* Outbox (sender side). Within a write transaction. */
sh_err sh_store_outbox_add(sh_store *st, Seinhuis__OutboxRecord *rec,
                           uint64_t *seq_out);
sh_err sh_store_outbox_find(sh_store *st, MDB_txn *txn,
                            const uint8_t id[SH_ID_LEN], uint64_t *seq,
                            Seinhuis__OutboxRecord **rec);
sh_err sh_store_outbox_put(sh_store *st, uint64_t seq,
                           const Seinhuis__OutboxRecord *rec);
/* As sh_store_outbox_put, for a caller that read the record in this
 * transaction and knows the state it had (no second read). */
sh_err sh_store_outbox_replace(sh_store *st, uint64_t seq,
                               Seinhuis__OutState old_state,
                               const Seinhuis__OutboxRecord *rec);
/* Settle a pending record as sh_store_outbox_replace would after a
 * decode, without decoding it: its stored bytes are rewritten in the wire
 * format, the envelope left out and state, attempts and done_ms set; the
 * result is the bytes protobuf-c would write. *settled = 1 and *type the
 * record's type if done; *settled = 0 (and SH_OK) if the record is not a
 * plain pending record of message `id` (not pending, damaged, unusual):
 * the caller then takes the decoding path, which reports what is wrong. */
sh_err sh_store_outbox_settle(sh_store *st, uint64_t seq,
                              const uint8_t id[SH_ID_LEN],
                              Seinhuis__OutState state, uint32_t attempts,
                              int64_t done_ms, Seinhuis__SignalType *type,
                              int *settled);
/* A copy (malloc) of the envelope `outbox_env` keeps for outbox record
 * seq: while it is pending, and once delivered for the resend window;
 * SH_ERR_NOTFOUND after. */
sh_err sh_store_outbox_env_copy(sh_store *st, MDB_txn *txn, uint64_t seq,
                                uint8_t **env, size_t *len);
/* Outbox record seq (a pending one with a copy of its envelope); the
 * caller frees it with seinhuis__outbox_record__free_unpacked. */
sh_err sh_store_outbox_envelope(sh_store *st, MDB_txn *txn, uint64_t seq,
                                Seinhuis__OutboxRecord **rec);
/* The same, without a log line: *undecodable = 1 (and
 * SH_ERR_STORE_CORRUPT) when the record is there but does not decode, for
 * a caller that says so itself, once. */
sh_err sh_store_outbox_read(sh_store *st, MDB_txn *txn, uint64_t seq,
                            Seinhuis__OutboxRecord **rec, int *undecodable);
/* A pending record that does not decode (damaged in the store while the
 * daemon ran: the start-up check refuses such a store) settled anyway: it
 * is replaced by a record of what the queue knows of it (message id,
 * recipient), in `state`, with rule and detail if failed, its envelope
 * dropped. Its type and natural key are lost with it: a row imported
 * again with that key is refused as accepted already. SH_ERR_USAGE if the
 * record decodes. Within a turn. */
sh_err sh_store_outbox_fail_damaged(sh_store *st, uint64_t seq,
                                    const uint8_t id[SH_ID_LEN],
                                    const char *recipient,
                                    Seinhuis__OutState state, uint32_t attempts,
                                    int64_t done_ms, const char *rule,
                                    const char *detail);
/* Remove a settled record (retention at the sender): the record, its id
 * in the index and its natural key, if that still names this message.
 * The message id is then unknown here: a late receipt or status feedback
 * for it is refused as for any unknown id. */
/* When the outbox record seq was accepted (created_ms), 0 if there is
 * none or it does not decode. */
int64_t sh_store_outbox_created(sh_store *st, MDB_txn *txn, uint64_t seq);
sh_err sh_store_outbox_remove(sh_store *st, uint64_t seq,
                              const Seinhuis__OutboxRecord *rec);
typedef int (*sh_outbox_fn)(void *ctx, uint64_t seq,
                            const Seinhuis__OutboxRecord *rec);

/* The resend window: a record settled as delivered keeps its envelope
 * until its signal is ms old (0, the default: drops it at once), so that
 * the recipient can ask for it again after restoring a backup. */
void sh_store_set_resend_window(sh_store *st, int64_t ms);
/* Recover, at the sender: every record delivered to `recipient` at or
 * after since_ms, created at or after min_created_ms, whose envelope is
 * still kept, and for which fn returns 1, turns pending again (attempts
 * kept, done_ms cleared); *n says how many. Within a turn. */
sh_err sh_store_outbox_requeue(sh_store *st, const char *recipient,
                               int64_t since_ms, int64_t min_created_ms,
                               sh_outbox_fn fn, void *ctx, size_t *n);
/* The same in steps: it looks at most at `max` kept envelopes, from outbox
 * sequence `from` on; *next is where the next step starts (0: none left). */
sh_err sh_store_outbox_requeue_from(sh_store *st, const char *recipient,
                                    int64_t since_ms, int64_t min_created_ms,
                                    uint64_t from, size_t max, sh_outbox_fn fn,
                                    void *ctx, size_t *n, uint64_t *next);
/* Retention: drop the kept envelopes of records older than the resend
 * window at now_ms, at most max (*more = 1 if more are due). Within a
 * turn. */
sh_err sh_store_outbox_env_expire(sh_store *st, int64_t now_ms, size_t max,
                                  size_t *dropped, int *more);
sh_err sh_store_outbox_scan(sh_store *st, MDB_txn *txn, int newest_first,
                            sh_outbox_fn fn, void *ctx);

/* Inbox (recipient side). Within a write transaction. Returns
 * SH_ERR_DUPLICATE (and adds nothing) when the id was delivered before.
 * case_key (the household) and resident_key (the audit's key for the
 * first person) are 32 bytes or NULL. acute is the signal's
 * sh_signal_acute, kept in the record for the inbox listing's order.
 * signing_key: the sender's Ed25519 key its signature verified under (32
 * bytes), or NULL. */
sh_err sh_store_inbox_add(sh_store *st, const uint8_t id[SH_ID_LEN],
                          const char *sender, Seinhuis__SignalType type,
                          const uint8_t *env, size_t envlen,
                          const uint8_t *case_key, const uint8_t *resident_key,
                          const char *consent_ref, Seinhuis__AcuteMark acute,
                          const uint8_t *signing_key);
/* Record a delivered id that does not go into the inbox (status feedback,
 * attached to an outbox record instead): in `seen` as taken already, so
 * that a re-sent copy is a duplicate. SH_ERR_DUPLICATE when seen before. */
sh_err sh_store_seen_settled(sh_store *st, const uint8_t id[SH_ID_LEN]);
/* Was this message id delivered before (whether still in the inbox)? */
int sh_store_seen(sh_store *st, MDB_txn *txn, const uint8_t id[SH_ID_LEN]);
/* Remove an inbox entry that was not taken (retention, revocation). */
sh_err sh_store_inbox_remove(sh_store *st, uint64_t seq,
                             const uint8_t id[SH_ID_LEN]);

/* Quarantine (recipient side): verified signals that broke the catalogue.
 * _find returns SH_OK and the record if the id is quarantined already. */
sh_err sh_store_quarantine_add(sh_store *st,
                               const Seinhuis__QuarantineRecord *rec);
sh_err sh_store_quarantine_find(sh_store *st, MDB_txn *txn,
                                const uint8_t id[SH_ID_LEN],
                                Seinhuis__QuarantineRecord **rec);
/* Remove one quarantined signal (in the open turn); SH_ERR_NOTFOUND if
 * the id is not quarantined. */
sh_err sh_store_quarantine_del(sh_store *st, const uint8_t id[SH_ID_LEN]);
typedef int (*sh_quarantine_fn)(void *ctx,
                                const Seinhuis__QuarantineRecord *rec);
sh_err sh_store_quarantine_scan(sh_store *st, MDB_txn *txn, sh_quarantine_fn fn,
                                void *ctx);

/* The signals of `sender` sent under consent `ref` (any case) that wait
 * in the inbox or are held in quarantine, through the consent index: fn
 * gets each with its inbox sequence, or seq 0 for a quarantined one,
 * inbox ones first (in arrival order), then quarantined ones (in id
 * order); a non-zero return stops. A consent revocation's cost is what it
 * finds, not the size of the inbox. Signals that are themselves
 * revocations are not in the index. */
typedef int (*sh_consent_sig_fn)(void *ctx, uint64_t seq,
                                 const uint8_t id[SH_ID_LEN],
                                 Seinhuis__SignalType type);
sh_err sh_store_consent_signals(sh_store *st, MDB_txn *txn, const char *sender,
                                const char *ref, sh_consent_sig_fn fn,
                                void *ctx);

/* Natural keys (sender side): keyed hash of a signal's identifying
 * fields -> message id, so a re-imported row is recognised. Found through
 * an index in memory that follows the store's write transaction: for the
 * main thread only; a look-up through a reader's txn sees that txn's keys
 * at most. */
sh_err sh_store_natkey_get(sh_store *st, MDB_txn *txn,
                           const uint8_t key[SH_KEY_LEN],
                           uint8_t id[SH_ID_LEN]);
sh_err sh_store_natkey_put(sh_store *st, const uint8_t key[SH_KEY_LEN],
                           const uint8_t id[SH_ID_LEN]);
sh_err sh_store_natkey_del(sh_store *st, const uint8_t key[SH_KEY_LEN]);
/* The same with a digest of the signal's content kept with the key (store
 * schema 4; control.c, natkey_digest): put with dlen bytes of it (0:
 * none), got into digest with its length in *dlen (0 for a key put
 * without one, as builds of schema 3 and before put them all). */
#define SH_NK_DIGEST_MAX 260
sh_err sh_store_natkey_put2(sh_store *st, const uint8_t key[SH_KEY_LEN],
                            const uint8_t id[SH_ID_LEN], const uint8_t *digest,
                            size_t dlen);
sh_err sh_store_natkey_get2(sh_store *st, MDB_txn *txn,
                            const uint8_t key[SH_KEY_LEN],
                            uint8_t id[SH_ID_LEN],
                            uint8_t digest[SH_NK_DIGEST_MAX], size_t *dlen);
/* Whether keys that may be of the form before 2026-12-05 are still kept
 * (a store opened first by an older build, until keep_sent removes them):
 * only then does the sender compute and look up that form as well. */
int sh_store_natkey_old_live(const sh_store *st);
/* Whether the store may hold keys of form 2 (put by a build of store schema
 * 3 or before, without the resident): while it does, the sender looks
 * them up too. */
int sh_store_natkey_pre3_live(const sh_store *st);

/* Consent register (sender side) and revoked consents (recipient side). */
sh_err sh_store_consent_put(sh_store *st, const Seinhuis__ConsentRecord *rec);
sh_err sh_store_consent_get(sh_store *st, MDB_txn *txn, const uint8_t ref[16],
                            Seinhuis__ConsentRecord **rec);
/* Remove a consent record (retention), in the open turn; SH_ERR_NOTFOUND
 * if there is none. */
sh_err sh_store_consent_del(sh_store *st, const uint8_t ref[16]);
typedef int (*sh_consent_fn)(void *ctx, const Seinhuis__ConsentRecord *rec);
sh_err sh_store_consent_scan(sh_store *st, MDB_txn *txn, sh_consent_fn fn,
                             void *ctx);
sh_err sh_store_revoked_add(sh_store *st, const char *sender,
                            const char *ref_hex);
int sh_store_revoked_has(sh_store *st, MDB_txn *txn, const char *sender,
                         const char *ref_hex);
/* The references of the consents sender revoked here, to fn (16 bytes
 * each, in the table's order), at most max of them; fn returns nonzero to
 * stop. */
sh_err sh_store_revoked_scan(sh_store *st, MDB_txn *txn, const char *sender,
                             size_t max,
                             int (*fn)(void *ctx, const uint8_t ref[16]),
                             void *ctx);
typedef int (*sh_inbox_fn)(void *ctx, uint64_t seq,
                           const Seinhuis__InboxRecord *rec);
sh_err sh_store_inbox_scan(sh_store *st, MDB_txn *txn, sh_inbox_fn fn,
                           void *ctx);
/* The same, from arrival sequence `from` on (paging). */
/* The sequence number the next committed inbox signal will get. */
uint64_t sh_store_inbox_next(const sh_store *st);
sh_err sh_store_inbox_scan_from(sh_store *st, MDB_txn *txn, uint64_t from,
                                sh_inbox_fn fn, void *ctx);
sh_err sh_store_inbox_get(sh_store *st, MDB_txn *txn,
                          const uint8_t id[SH_ID_LEN],
                          Seinhuis__InboxRecord **rec);
/* The team has taken it: remove from the inbox, remember the id. */
sh_err sh_store_inbox_ack(sh_store *st, const uint8_t id[SH_ID_LEN]);

/* Cases (debt-help team): case key -> who claimed it, outreach steps.
 * _put within a write transaction. */
sh_err sh_store_case_put(sh_store *st, const Seinhuis__CaseRecord *rec);
sh_err sh_store_case_get(sh_store *st, MDB_txn *txn,
                         const uint8_t key[SH_KEY_LEN],
                         Seinhuis__CaseRecord **rec);
/* Remove a case record (retention), within a write transaction. */
sh_err sh_store_case_del(sh_store *st, const uint8_t key[SH_KEY_LEN]);
typedef int (*sh_case_fn)(void *ctx, const Seinhuis__CaseRecord *rec);
sh_err sh_store_case_scan(sh_store *st, MDB_txn *txn, sh_case_fn fn, void *ctx);
/* From the case key from on (the first one at or after it), in key order */
sh_err sh_store_case_scan_from(sh_store *st, MDB_txn *txn,
                               const uint8_t from[SH_KEY_LEN], sh_case_fn fn,
                               void *ctx);

/* Share of the map in use (pages in use, free pages not counted), 0..1. */
double sh_store_usage(sh_store *st);

typedef struct {
	uint64_t outbox_pending, outbox_delivered, outbox_failed;
	uint64_t inbox_depth, seen;
} sh_store_counts;
void sh_store_counts_get(sh_store *st, sh_store_counts *c);

#endif
