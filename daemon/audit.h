/*
 * audit.h - the tamper-evident audit log: the Merkle tree (merkle.c), the
 * log in LMDB and its signed tree heads (audit.c). Shared by the daemon,
 * seinctl (offline proof checks) and the tests. The daemon's event hooks
 * are in auditd.h.
 */
#ifndef SEINHUIS_AUDIT_H
#define SEINHUIS_AUDIT_H

#include "seinhuis.h"
#include "store.h"

/* ---------------------------------------------------------- merkle.c */

/* Longest audit path or consistency proof handled: a tree of 2^64 leaves
 * needs at most 65 hashes. */
#define SH_MERKLE_MAX_PATH 72

/* The right edge of a tree: hash[l] is the complete subtree of 2^l leaves
 * that bit l of size stands for (only set bits are meaningful). */
typedef struct {
	uint64_t size;
	uint8_t hash[64][32];
} sh_merkle_frontier;

/* A complete subtree: level l, index i covers leaves [i*2^l, (i+1)*2^l). */
typedef void (*sh_merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
                                  const uint8_t hash[32]);
typedef sh_err (*sh_merkle_get_fn)(void *ctx, unsigned level, uint64_t index,
                                   uint8_t out[32]);

void sh_merkle_leaf(uint8_t out[32], const void *data, size_t n);
void sh_merkle_node(uint8_t out[32], const uint8_t left[32],
                    const uint8_t right[32]);
void sh_merkle_empty(uint8_t out[32]);
/* How many inner nodes (sh_merkle_node) the calling thread has hashed so
 * far: what a batch's tree costs, for the tests that hold it to one hash
 * a node. */
uint64_t sh_merkle_nodes_hashed(void);
uint64_t sh_merkle_split(uint64_t n); /* largest power of 2 below n (n>=2) */
/* Append a leaf hash; emit (may be NULL) sees each completed subtree. */
void sh_merkle_push(sh_merkle_frontier *f, const uint8_t leaf[32],
                    sh_merkle_node_fn emit, void *ctx);
void sh_merkle_root(const sh_merkle_frontier *f, uint8_t root[32]);
/* MTH(D[begin:end]) from complete subtrees given by get. */
sh_err sh_merkle_range(sh_merkle_get_fn get, void *ctx, uint64_t begin,
                       uint64_t end, uint8_t out[32]);
/* RFC 6962 2.1.1: audit path of leaf m in the tree of the first n leaves. */
sh_err sh_merkle_inclusion_proof(sh_merkle_get_fn get, void *ctx, uint64_t m,
                                 uint64_t n,
                                 uint8_t path[SH_MERKLE_MAX_PATH][32],
                                 size_t *len);
/* RFC 6962 2.1.2: proof that the tree of m leaves is a prefix of the tree
 * of n leaves (empty when m is 0 or n). */
sh_err sh_merkle_consistency_proof(sh_merkle_get_fn get, void *ctx, uint64_t m,
                                   uint64_t n,
                                   uint8_t path[SH_MERKLE_MAX_PATH][32],
                                   size_t *len);
/* The root that an audit path of leaf m in a tree of n leaves leads to;
 * 0 if the path has the wrong length for m and n. */
int sh_merkle_inclusion_root(uint64_t m, uint64_t n, const uint8_t leaf[32],
                             const uint8_t (*path)[32], size_t len,
                             uint8_t root[32]);
/* 1 if valid. */
int sh_merkle_inclusion_verify(uint64_t m, uint64_t n, const uint8_t leaf[32],
                               const uint8_t (*path)[32], size_t len,
                               const uint8_t root[32]);
int sh_merkle_consistency_verify(uint64_t m, uint64_t n,
                                 const uint8_t old_root[32],
                                 const uint8_t new_root[32],
                                 const uint8_t (*path)[32], size_t len);

/* ----------------------------------------------------------- audit.c */

const char *sh_audit_event_name(Seinhuis__AuditEvent e); /* "delivered" */
/* AUDIT_EVENT_UNSPECIFIED if unknown. */
Seinhuis__AuditEvent sh_audit_event_parse(const char *name);

/* Tree heads: the signed bytes, signing and checking. */
void sh_tree_head_tbs(const Seinhuis__SignedTreeHead *h, sh_buf *out);
/* 1 if the head is well formed and its signature verifies under pub. */
int sh_tree_head_verify(const Seinhuis__SignedTreeHead *h,
                        const uint8_t pub[32]);
/* 1 if h is a head of card c's partner's log, signed with one of its
 * signing keys: the card's, or the previous one if the head was signed
 * before that key's overlap ended (sh_card_key_state). */
int sh_tree_head_signed_by(const Seinhuis__SignedTreeHead *h, const sh_card *c);

typedef struct sh_audit sh_audit;

/* Open the log on a store whose tables store.c has opened. Fails (with
 * why) only if the tree cannot be continued; a log whose entries do not
 * agree with the tree opens with *warning set, for `audit verify` to
 * explain. */
sh_err sh_audit_open(sh_audit **a, sh_store *st, const char *partner, char *why,
                     size_t whylen, char *warning, size_t wlen);
void sh_audit_close(sh_audit **a);
/* The file the last signed head is kept in beside the store (audit.c,
 * "the head file"); NULL: none. */
void sh_audit_set_head_file(sh_audit *a, const char *path);
/* Where a problem of the log (entries written over, the head file not
 * kept) is told, as one line; without a hook, the log at the error level.
 * The daemon's hook also keeps it for status. */
void sh_audit_set_problem_hook(sh_audit *a,
                               void (*fn)(void *ctx, const char *line),
                               void *ctx);
typedef struct {
	uint64_t size;    /* the head file's tree size */
	uint8_t root[32]; /* and root hash */
	int64_t time_ms;  /* when that head was signed */
	int rolled_back;  /* the log no longer extends that tree */
} sh_audit_head_rec;
/* Compare the committed log with the head file: SH_OK and *rec (with
 * rolled_back set when the log holds fewer entries than that head, or
 * others under it: a backup was restored or the store replaced);
 * SH_ERR_NOTFOUND without a file; SH_ERR_WIRE_DECODE if it is not a head
 * (size, root, time); another error if the log cannot be read. */
sh_err sh_audit_head_file_check(sh_audit *a, MDB_txn *txn,
                                sh_audit_head_rec *rec);
/* The root hash of the first size entries (RFC 6962 MTH). */
sh_err sh_audit_root_at(sh_audit *a, MDB_txn *txn, uint64_t size,
                        uint8_t root[32]);

/* Append an entry within the store's open write transaction; sets its
 * index and, if 0, its time. */
sh_err sh_audit_append(sh_audit *a, Seinhuis__AuditEntry *e);
/* e packed as protobuf-c packs it (the same bytes), into out; with out
 * NULL only its size. Two or three entries are written for every signal,
 * and this is a fifth of the cost of protobuf-c's generic packer. */
size_t sh_audit_entry_write(const Seinhuis__AuditEntry *e, uint8_t *out);
uint64_t sh_audit_size(const sh_audit *a);      /* with the open transaction */
uint64_t sh_audit_head_size(const sh_audit *a); /* latest signed head */
uint64_t sh_audit_committed_size(const sh_audit *a); /* without the turn */
/* Sign a head over the current tree, within the write transaction. */
sh_err sh_audit_sign_head(sh_audit *a, const sh_identity *self, int64_t now_ms);
/* The signed head at size (0: the latest); SH_ERR_NOTFOUND if none. */
sh_err sh_audit_get_head(sh_audit *a, MDB_txn *txn, uint64_t size,
                         Seinhuis__SignedTreeHead **out);

/* Entries in index order from `from`; fn returns non-zero to stop.
 * bytes are the stored leaf; e is decoded (NULL if it does not decode). */
typedef int (*sh_audit_scan_fn)(void *ctx, uint64_t index, const uint8_t *bytes,
                                size_t len, const Seinhuis__AuditEntry *e);
sh_err sh_audit_scan(sh_audit *a, MDB_txn *txn, uint64_t from,
                     sh_audit_scan_fn fn, void *ctx);
sh_err sh_audit_entry(sh_audit *a, MDB_txn *txn, uint64_t index, sh_buf *out);

/* Retention of the log (audit_keep, audit.c "removal"): the removal
 * point, below which the entries were removed in whole blocks of 16 (0:
 * none), as txn sees it. */
uint64_t sh_audit_removed(sh_audit *a, MDB_txn *txn);
/* 1 if the root of the first size entries can still be recomputed: size
 * is a multiple of 16 or lies past the removal point. */
int sh_audit_size_provable(sh_audit *a, MDB_txn *txn, uint64_t size);
/* Within the write transaction: remove, oldest first, up to max_blocks
 * whole blocks of 16 entries whose newest entry was written before
 * before_us (Unix microseconds), never the block of the tree's last entry
 * nor one past the latest signed head, and record the new removal point.
 * *from..*to-1 are the entries removed (from == to: none). A block whose
 * entries no longer match their stored hash is kept and why says so;
 * else why is "". */
sh_err sh_audit_remove_old(sh_audit *a, int64_t before_us, size_t max_blocks,
                           uint64_t *from, uint64_t *to, char *why, size_t wl);

/* The signing keys a head of this partner's own log may be signed with:
 * its card lineage. key[0] is the current card's. */
#define SH_AUDIT_MAX_KEYS 32
typedef struct {
	size_t n;
	uint8_t key[SH_AUDIT_MAX_KEYS][SH_KEY_LEN];
} sh_audit_keys;
/* The card's signing key and the previous one it names (prev_sign). */
void sh_audit_keys_init(sh_audit_keys *k, const sh_card *own);
/* Also card c's two keys; 0 if it is not own's partner's (or no room). */
int sh_audit_keys_add_card(sh_audit_keys *k, const sh_card *own,
                           const sh_card *c);
int sh_audit_keys_has(const sh_audit_keys *k, const uint8_t key[SH_KEY_LEN]);
/* The lineage as the key directory keeps it: own's keys, then
 * KEYDIR/previous/card (a rotation's overlap) and every *.card in
 * KEYDIR/earlier/ (seinkey rotate keeps each card it replaces there; an
 * administrator vouches for an older key by putting its card there). A
 * card there that does not load, or is another partner's, is left out
 * and the first such is told in why (else why is ""). */
void sh_audit_keys_load(sh_audit_keys *k, const sh_card *own,
                        const char *keydir, char *why, size_t wl);

/* Recompute the whole tree from the entries and check it against the
 * stored tree and every signed head, each of which must be signed with
 * one of keys. r's strings and bytes are allocated (free with
 * sh_audit_verify_free). Returns SH_OK when the check ran, whatever it
 * found. */
sh_err sh_audit_verify(sh_audit *a, MDB_txn *txn, const sh_audit_keys *keys,
                       Seinhuis__AuditVerifyResult *r);
void sh_audit_verify_free(Seinhuis__AuditVerifyResult *r);
/* The note verify's reader prints for r->rollbacks (no failure: the log
 * says so itself) with the latest one's time as text; "" for none. */
void sh_audit_rollback_note(char *out, size_t n, uint64_t count,
                            const char *latest);
/* The notes verify's reader prints for what audit_keep removed: out for
 * r->removed_entries, heads for r->heads_not_recomputed; "" for none. */
void sh_audit_removed_note(char *out, size_t n, char *heads, size_t hn,
                           const Seinhuis__AuditVerifyResult *r);

/* Proofs from the stored tree, for a tree size that has been committed. */
sh_err sh_audit_prove_inclusion(sh_audit *a, MDB_txn *txn, uint64_t index,
                                uint64_t size,
                                uint8_t path[SH_MERKLE_MAX_PATH][32],
                                size_t *len);
sh_err sh_audit_prove_consistency(sh_audit *a, MDB_txn *txn, uint64_t m,
                                  uint64_t n,
                                  uint8_t path[SH_MERKLE_MAX_PATH][32],
                                  size_t *len);

/* Small named values the log keeps beside the tree (what the trust store
 * looked like last time, to record its changes). get: SH_ERR_NOTFOUND if
 * absent. put and del need the write transaction. */
sh_err sh_audit_state_get(sh_audit *a, MDB_txn *txn, const char *key,
                          sh_buf *out);
sh_err sh_audit_state_put(sh_audit *a, const char *key, const void *val,
                          size_t len);
sh_err sh_audit_state_del(sh_audit *a, const char *key);
/* Keys beginning with prefix, each as a NUL-terminated string. */
typedef void (*sh_audit_key_fn)(void *ctx, const char *key);
sh_err sh_audit_state_keys(sh_audit *a, MDB_txn *txn, const char *prefix,
                           sh_audit_key_fn fn, void *ctx);

#endif
