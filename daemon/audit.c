/*
 * audit.c - the audit log: what happened to every signal, kept so that an
 * administrator can show it and an outsider can prove it was not altered.
 *
 * What is recorded
 *   Every daemon appends an AuditEntry (proto/seinhuis.proto) for each
 *   event: a signal accepted or refused at submission (rule), sent (first
 *   handed to the partner's connection; again after a restart), received
 *   from a partner (outcome: delivered, duplicate or rejected), delivered
 *   into the inbox, rejected (rule), the receipt that settled an outbox
 *   signal, taken by the team, revealed (reason, role), consent revoked (a
 *   consent_revocation signal accepted or delivered), a connection refused
 *   at authentication, own keys first seen or changed, trust store cards
 *   added, changed or removed (noticed at start-up, when the daemon reads
 *   them), trust store and configuration loaded, a local caller refused on
 *   the control socket, a resident's entries looked up (audit subject),
 *   and a clean stop. Quarantine, consent granted and revoked through
 *   the consent register, and retention removal are recorded by the code
 *   that does them, through the hook sh_audit_signal_event() (auditd.c).
 *   An entry carries time (microseconds), message id, the other partner's
 *   id, the signal type, the pair's pseudonym of the resident (`subject`),
 *   a case key, the legal basis, outcome, rule, the local user (login name
 *   and uid) and role that acted, a reveal's reason, and a short
 *   non-personal detail (the control operation, a key fingerprint, a
 *   configuration digest). Never a field value, name, address, birth date,
 *   BSN, phone number or e-mail address.
 *   The case key is this daemon's own pseudonym of the resident:
 *   HMAC-SHA256 of the canonical identity (pseudonym.c) under a key derived
 *   from the daemon's seal secret key (HKDF, "seinhuis/case/v1"). Unlike the
 *   pairwise pseudonym it is the same whichever partner sent or received
 *   the signal, so one daemon can find all its entries for one resident;
 *   nobody without this daemon's secret key can compute it.
 *
 * Atomicity
 *   An entry is written into the event loop's open write transaction (see
 *   seinhuisd.c), the same one that holds the state change it records: a
 *   signal is never in the inbox, taken or settled without its entry, and
 *   an entry never survives a change that was rolled back. Events that
 *   happen outside a transaction (a connection refused, a caller refused,
 *   a signal handed to the network, a tree head) open the turn's
 *   transaction. A turn that only sent signals or signed a head commits
 *   once more after sending (seinhuisd.c), so those entries are durable
 *   within the same turn too.
 *
 * Tables (LMDB, opened by store.c in the queues' environment)
 *   audit        u64 index (big-endian) -> AuditEntry bytes. These bytes
 *                are the Merkle leaf; they are hashed as stored and never
 *                re-encoded.
 *   audit_nodes  level (1 byte) || u64 index -> 32-byte hash of every
 *                complete subtree of 2^STORED_LEVEL (16) entries or more.
 *                Written as the tree grows (merkle.c's carry). A smaller
 *                subtree is recomputed from its at most 8 entries when a
 *                proof or the start-up needs it (see STORED_LEVEL for
 *                why). Logs written before kept every level, the leaf
 *                hashes too; those are still checked, never needed.
 *   audit_heads  u64 tree size -> SignedTreeHead.
 *   audit_state  "size" -> u64 tree size; "edge" -> u64 tree size ||
 *                the hashes of the right edge's complete subtrees below
 *                STORED_LEVEL (one per set bit, the smallest first): the
 *                stored hash of the last size % 16 entries, which no
 *                node covers yet. Both are written once per transaction,
 *                just before it commits (store.c's pre-commit hook).
 *                "self" and "card:<partner>" -> digests of the keys last
 *                seen (to record key and trust store changes).
 *                "pruned" -> u64: entries below it were removed by
 *                audit_keep, in whole blocks of 16 (see "removal" below).
 *   In memory: the tree size and the frontier (the complete subtrees on
 *   the right edge), loaded from audit_nodes and "edge" at start-up, never
 *   from the entries, so a changed entry is not taken into the tree;
 *   appending is O(log n). A copy is changed during a transaction and
 *   becomes the committed one only when the store reports the commit
 *   (store.c's transaction hook), so an aborted turn leaves the tree as it
 *   was.
 *
 * Tamper evidence, in the style of Certificate Transparency (RFC 6962)
 *   The entries are the leaves of an append-only Merkle tree (merkle.c).
 *   Every audit_head_interval seconds in which the tree grew, at clean
 *   shutdown and on request (seinctl audit head), the daemon signs a tree
 *   head: Ed25519 with its sign key (the one on its partner card) over
 *   "seinhuis/tree-head/v1\0" || len(partner) || partner || size (u64 BE)
 *   || root (32) || time in ms (i64 BE). Anyone with the partner's card
 *   can check a head.
 *   `audit verify` reads every entry in index order (from the removal
 *   point on, the tree below it from the stored nodes: see "removal"
 *   below) and checks that (1)
 *   no index is missing, (2) every entry decodes and names its own index
 *   (so two swapped entries show), (3) every stored hash, the nodes of
 *   16 entries and more and the right edge (and a log written before:
 *   the leaf hashes and small nodes), equals the one recomputed from the
 *   entries, so every entry is covered by a hash stored in the
 *   transaction that appended it, (4) at each signed head the recomputed
 *   root equals the signed one and the signature verifies, and (5) the
 *   tree size and root equal the ones the daemon continues from. It
 *   reports the first failure and, where it can, the first bad entry: a
 *   changed entry shows as a stored hash that no longer matches, which
 *   tells only that one of the entries it covers (at most 16) was
 *   changed, so the first of those is named, and the problem names them
 *   all; with a leaf hash (an older log) the entry itself. Someone who
 *   rewrites entries and the stored hashes consistently is caught by (4)
 *   between two heads; someone who also re-signs heads (the daemon's key
 *   is on the same machine) is caught by an outside auditor who kept an
 *   earlier head: the consistency proof from that head to a new one
 *   cannot be made.
 *   `audit prove` gives RFC 6962 inclusion and consistency proofs built
 *   from audit_nodes and, below STORED_LEVEL, from the entries, against
 *   signed heads; `seinctl audit check-proof` checks them offline. Proofs
 *   commit to the stored tree and the entries; that they still match is
 *   what `audit verify` checks, and an inclusion proof carries the entry
 *   itself.
 *   A head must be signed with a key of this partner's own card lineage
 *   (sh_audit_keys_load): the card's signing key, the previous one it
 *   names, or one of an earlier card kept in KEYDIR/earlier/. A head
 *   signed with any other key fails, naming the key's fingerprint: else
 *   anyone who rewrote the entries and the tree could sign the heads
 *   again with a key of their own. Heads signed with an earlier key of
 *   the lineage are counted in a note, not as failures.
 *
 * Roles (roles.c), resident's inspection and the report (seinctl_audit.c)
 *   are described in those files; the entries they rely on are above.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

static const char head_domain[] = "seinhuis/tree-head/v1"; /* + NUL */

/* The lowest level of the tree whose nodes are stored: a node of 16
 * entries and every larger one. Storing every level cost each entry two
 * node writes (its leaf hash and, on average, one inner node), each a put
 * into a different part of audit_nodes and so another dirty page in the
 * commit; from level 4 on it is 1/16 + 1/32 + ... = 1/8 of a put per
 * entry. What is not stored is recomputed from the entries, which lie
 * side by side in the audit table: a node below level 4 needs at most 8
 * of them (about 3 KB, one or two pages) and 15 hashes, and a proof's
 * path below level 4 stays within one block of 16 entries, plus at most
 * 15 at the right edge of a tree whose size is not a multiple of 16.
 * Level 5 would save only 1/16 of a put more per entry while doubling
 * what is read, and `audit verify` could then only say which 32 entries
 * hold a changed one instead of which 16; level 3 would keep twice the
 * writes. */
#define STORED_LEVEL 4
#define BLOCK        ((uint64_t)1 << STORED_LEVEL)

struct sh_audit {
	sh_store *st;
	MDB_dbi entries, nodes, heads, state;
	char partner[SH_PARTNER_MAX + 1];
	sh_merkle_frontier tree; /* committed */
	sh_merkle_frontier txn_tree;
	int in_txn; /* txn_tree is the open transaction's */
	uint64_t head_size, txn_head_size;
	sh_err append_error; /* first error in the emit callback */
	/* the last signed head, also kept in a file beside the store
	 * (sh_audit_set_head_file): written once its turn has committed */
	char *head_file;
	int txn_head_new;
	uint8_t txn_head_root[32];
	int64_t txn_head_time;
	/* where a problem of the log is told (sh_audit_set_problem_hook);
	 * NULL: the log at the error level */
	void (*problem)(void *ctx, const char *line);
	void *problem_ctx;
};

static void audit_problem(sh_audit *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void audit_problem(sh_audit *a, const char *fmt, ...)
{
	char line[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (a->problem)
		a->problem(a->problem_ctx, line);
	else
		sh_error("%s", line);
}

void sh_audit_set_problem_hook(sh_audit *a,
                               void (*fn)(void *ctx, const char *line),
                               void *ctx)
{
	a->problem = fn;
	a->problem_ctx = ctx;
}

/* -------------------------------------------------------------- names */

static const char *const event_names[] = {
    [SEINHUIS__AUDIT_EVENT__AUDIT_EVENT_UNSPECIFIED] = "unspecified",
    [SEINHUIS__AUDIT_EVENT__AUDIT_ACCEPTED] = "accepted",
    [SEINHUIS__AUDIT_EVENT__AUDIT_REFUSED] = "refused",
    [SEINHUIS__AUDIT_EVENT__AUDIT_SENT] = "sent",
    [SEINHUIS__AUDIT_EVENT__AUDIT_RECEIVED] = "received",
    [SEINHUIS__AUDIT_EVENT__AUDIT_DELIVERED] = "delivered",
    [SEINHUIS__AUDIT_EVENT__AUDIT_REJECTED] = "rejected",
    [SEINHUIS__AUDIT_EVENT__AUDIT_QUARANTINED] = "quarantined",
    [SEINHUIS__AUDIT_EVENT__AUDIT_RECEIPT] = "receipt",
    [SEINHUIS__AUDIT_EVENT__AUDIT_TAKEN] = "taken",
    [SEINHUIS__AUDIT_EVENT__AUDIT_REVEALED] = "revealed",
    [SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_GRANTED] = "consent_granted",
    [SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_REVOKED] = "consent_revoked",
    [SEINHUIS__AUDIT_EVENT__AUDIT_RETENTION_REMOVED] = "retention_removed",
    [SEINHUIS__AUDIT_EVENT__AUDIT_PEER_REFUSED] = "peer_refused",
    [SEINHUIS__AUDIT_EVENT__AUDIT_KEY_CHANGED] = "key_changed",
    [SEINHUIS__AUDIT_EVENT__AUDIT_TRUST_ADDED] = "trust_added",
    [SEINHUIS__AUDIT_EVENT__AUDIT_TRUST_CHANGED] = "trust_changed",
    [SEINHUIS__AUDIT_EVENT__AUDIT_TRUST_REMOVED] = "trust_removed",
    [SEINHUIS__AUDIT_EVENT__AUDIT_TRUST_LOADED] = "trust_loaded",
    [SEINHUIS__AUDIT_EVENT__AUDIT_CONFIG_LOADED] = "config_loaded",
    [SEINHUIS__AUDIT_EVENT__AUDIT_ACCESS_DENIED] = "access_denied",
    [SEINHUIS__AUDIT_EVENT__AUDIT_SUBJECT_ACCESS] = "subject_access",
    [SEINHUIS__AUDIT_EVENT__AUDIT_STOPPED] = "stopped",
    [SEINHUIS__AUDIT_EVENT__AUDIT_CASE_CLAIMED] = "case_claimed",
    [SEINHUIS__AUDIT_EVENT__AUDIT_CASE_RELEASED] = "case_released",
    [SEINHUIS__AUDIT_EVENT__AUDIT_CASE_STEP] = "case_step",
    [SEINHUIS__AUDIT_EVENT__AUDIT_RESEND_REQUESTED] = "resend_requested",
    [SEINHUIS__AUDIT_EVENT__AUDIT_LOG_ROLLED_BACK] = "log_rolled_back",
    [SEINHUIS__AUDIT_EVENT__AUDIT_PARTNER_LOG_ROLLED_BACK] =
        "partner_log_rolled_back",
};
#define N_EVENTS (sizeof(event_names) / sizeof(event_names[0]))

const char *sh_audit_event_name(Seinhuis__AuditEvent e)
{
	if ((int)e < 0 || (size_t)e >= N_EVENTS || !event_names[e])
		return "unknown";
	return event_names[e];
}

Seinhuis__AuditEvent sh_audit_event_parse(const char *name)
{
	for (size_t i = 1; i < N_EVENTS; i++)
		if (event_names[i] && strcmp(name, event_names[i]) == 0)
			return (Seinhuis__AuditEvent)i;
	return SEINHUIS__AUDIT_EVENT__AUDIT_EVENT_UNSPECIFIED;
}

/* --------------------------------------------------------- tree heads */

static void put_u64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t in[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

void sh_tree_head_tbs(const Seinhuis__SignedTreeHead *h, sh_buf *out)
{
	uint8_t b[8];
	size_t plen = strlen(h->partner);
	uint8_t pl = (uint8_t)(plen > 255 ? 255 : plen);
	sh_buf_add(out, head_domain, sizeof(head_domain)); /* with NUL */
	sh_buf_add(out, &pl, 1);
	sh_buf_add(out, h->partner, pl);
	put_u64(b, h->tree_size);
	sh_buf_add(out, b, 8);
	sh_buf_add(out, h->root_hash.data, h->root_hash.len);
	put_u64(b, (uint64_t)h->timestamp_ms);
	sh_buf_add(out, b, 8);
}

int sh_tree_head_verify(const Seinhuis__SignedTreeHead *h,
                        const uint8_t pub[32])
{
	if (h->root_hash.len != 32 || h->signature.len != SH_SIG_LEN ||
	    strlen(h->partner) > SH_PARTNER_MAX)
		return 0;
	sh_buf b = {0};
	sh_tree_head_tbs(h, &b);
	int ok = sh_ed25519_verify(h->signature.data, pub, b.data, b.len);
	sh_buf_free(&b);
	return ok;
}

int sh_tree_head_signed_by(const Seinhuis__SignedTreeHead *h, const sh_card *c)
{
	if (h->sign_key.len != SH_KEY_LEN || h->root_hash.len != 32 ||
	    strcmp(h->partner, c->partner) != 0)
		return 0;
	/* the previous key for heads signed before its overlap ended */
	sh_key_state ks = sh_card_key_state(c, SH_KEY_SIGN, h->sign_key.data,
	                                    h->timestamp_ms / 1000);
	if (ks != SH_KEY_CURRENT && ks != SH_KEY_PREVIOUS)
		return 0;
	return sh_tree_head_verify(h, h->sign_key.data);
}

/* ------------------------------------------------- own signing keys */

int sh_audit_keys_has(const sh_audit_keys *k, const uint8_t key[SH_KEY_LEN])
{
	for (size_t i = 0; i < k->n; i++)
		if (memcmp(k->key[i], key, SH_KEY_LEN) == 0)
			return 1;
	return 0;
}

static int keys_add(sh_audit_keys *k, const uint8_t key[SH_KEY_LEN])
{
	if (sh_audit_keys_has(k, key))
		return 1;
	if (k->n == SH_AUDIT_MAX_KEYS)
		return 0;
	memcpy(k->key[k->n++], key, SH_KEY_LEN);
	return 1;
}

void sh_audit_keys_init(sh_audit_keys *k, const sh_card *own)
{
	k->n = 0;
	sh_audit_keys_add_card(k, own, own);
}

int sh_audit_keys_add_card(sh_audit_keys *k, const sh_card *own,
                           const sh_card *c)
{
	if (strcmp(c->partner, own->partner) != 0)
		return 0;
	int ok = keys_add(k, c->sign_pub);
	if (c->has_prev && !keys_add(k, c->prev_sign))
		ok = 0;
	return ok;
}

struct own_cards {
	sh_audit_keys *k;
	const sh_card *own;
};

static int own_card(void *vctx, const char *path, const sh_card *c, char *why,
                    size_t wl)
{
	struct own_cards *oc = vctx;
	(void)path;
	if (sh_audit_keys_add_card(oc->k, oc->own, c))
		return 1;
	snprintf(why, wl, "not a card of '%s' (or more than %d keys)",
	         oc->own->partner, SH_AUDIT_MAX_KEYS);
	return 0;
}

void sh_audit_keys_load(sh_audit_keys *k, const sh_card *own,
                        const char *keydir, char *why, size_t wl)
{
	int64_t until;
	sh_card c;
	sh_audit_keys_init(k, own);
	if (sh_identity_previous(keydir, &until, &c) && c.partner[0])
		sh_audit_keys_add_card(k, own, &c);
	struct own_cards oc = {k, own};
	sh_earlier_each(keydir, own_card, &oc, why, wl);
}

/* ------------------------------------------------------ open, append */

static sh_err mdb_to_sh(int rc)
{
	switch (rc) {
	case MDB_SUCCESS: return SH_OK;
	case MDB_NOTFOUND: return SH_ERR_NOTFOUND;
	case MDB_MAP_FULL: return SH_ERR_STORE_FULL;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND: return SH_ERR_STORE_CORRUPT;
	default: return SH_ERR_STORE;
	}
}

static void node_key(uint8_t k[9], unsigned level, uint64_t index)
{
	k[0] = (uint8_t)level;
	put_u64(k + 1, index);
}

static sh_err get_node(sh_audit *a, MDB_txn *txn, unsigned level,
                       uint64_t index, uint8_t out[32])
{
	uint8_t kb[9];
	node_key(kb, level, index);
	MDB_val k = {9, kb}, v;
	int rc = mdb_get(txn, a->nodes, &k, &v);
	if (rc)
		return mdb_to_sh(rc);
	if (v.mv_size != 32)
		return SH_ERR_STORE_CORRUPT;
	memcpy(out, v.mv_data, 32);
	return SH_OK;
}

/* A node below STORED_LEVEL, recomputed from its 2^level entries. */
static sh_err node_from_entries(sh_audit *a, MDB_txn *txn, unsigned level,
                                uint64_t index, uint8_t out[32])
{
	uint64_t first = index << level, n = (uint64_t)1 << level;
	uint8_t kb[8], leaf[32];
	sh_merkle_frontier f;
	MDB_cursor *cur;
	MDB_val k = {8, kb}, v;
	int rc = mdb_cursor_open(txn, a->entries, &cur);
	if (rc)
		return mdb_to_sh(rc);
	f.size = 0;
	put_u64(kb, first);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	for (uint64_t i = 0; rc == 0 && i < n; i++) {
		if (k.mv_size != 8 || get_u64(k.mv_data) != first + i) {
			rc = MDB_NOTFOUND; /* an entry is missing */
			break;
		}
		sh_merkle_leaf(leaf, v.mv_data, v.mv_size);
		sh_merkle_push(&f, leaf, NULL, NULL);
		if (i + 1 < n)
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc)
		return rc == MDB_NOTFOUND ? SH_ERR_STORE_CORRUPT
		                          : mdb_to_sh(rc);
	/* 2^level leaves from an empty tree: one complete subtree. */
	memcpy(out, f.hash[level], 32);
	return SH_OK;
}

/* The stored right edge below STORED_LEVEL, if "edge" holds one for this
 * size: hash[l] for each set bit l < STORED_LEVEL of size. A log written
 * before has none (and one an older version went on with, a stale one);
 * its nodes at those levels stand in. */
typedef struct {
	int valid;
	uint8_t hash[STORED_LEVEL][32];
} tree_edge;

static void get_edge(sh_audit *a, MDB_txn *txn, uint64_t size, tree_edge *ed)
{
	MDB_val k = {4, "edge"}, v;
	size_t want = 8;
	ed->valid = 0;
	for (unsigned l = 0; l < STORED_LEVEL; l++)
		want += ((size >> l) & 1) ? 32 : 0;
	if (mdb_get(txn, a->state, &k, &v) != 0 || v.mv_size != want ||
	    get_u64(v.mv_data) != size)
		return;
	const uint8_t *p = (const uint8_t *)v.mv_data + 8;
	for (unsigned l = 0; l < STORED_LEVEL; l++) {
		if ((size >> l) & 1) {
			memcpy(ed->hash[l], p, 32);
			p += 32;
		}
	}
	ed->valid = 1;
}

/* The stored hash of the right edge's complete subtree at level l (bit l
 * of size set): "edge" below STORED_LEVEL when it is this size's, else
 * the node. */
static sh_err get_edge_node(sh_audit *a, MDB_txn *txn, const tree_edge *ed,
                            uint64_t size, unsigned l, uint8_t out[32])
{
	if (l < STORED_LEVEL && ed->valid) {
		memcpy(out, ed->hash[l], 32);
		return SH_OK;
	}
	return get_node(a, txn, l, (size >> l) - 1, out);
}

static sh_err get_state_u64(sh_audit *a, MDB_txn *txn, const char *key,
                            uint64_t *out)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc = mdb_get(txn, a->state, &k, &v);
	if (rc == MDB_NOTFOUND) {
		*out = 0;
		return SH_OK;
	}
	if (rc)
		return mdb_to_sh(rc);
	if (v.mv_size != 8)
		return SH_ERR_STORE_CORRUPT;
	*out = get_u64(v.mv_data);
	return SH_OK;
}

static void write_head_file(sh_audit *a);

static void txn_end(void *ctx, int committed)
{
	sh_audit *a = ctx;
	if (a->in_txn && committed) {
		a->tree = a->txn_tree;
		a->head_size = a->txn_head_size;
		if (a->txn_head_new)
			write_head_file(a);
	}
	a->txn_head_new = 0;
	a->in_txn = 0;
}

/* ------------------------------------------------------ the head file
 *
 * The log lives in the data store, so restoring a backup of data.mdb (or
 * putting another store in its place) takes the log back to an earlier
 * state without a trace in it: the entries after the backup are gone, and
 * the next ones take their indexes. A tree head handed to an auditor after
 * the backup then no longer holds, which looks like tampering. So the
 * daemon keeps its last signed head in a file of its own beside the store,
 * "<size> <root hash, hex> <time in Unix ms>", replaced (fsynced, renamed)
 * after each turn that signed one. At start-up sh_audit_head_file_check
 * compares the log with it, and the daemon records a difference in the
 * log itself (log_rolled_back) and says so. */

static void write_head_file(sh_audit *a)
{
	if (!a->head_file)
		return;
	char tmp[4200], line[128], hex[65];
	snprintf(tmp, sizeof(tmp), "%s.new", a->head_file);
	sh_hex(hex, a->txn_head_root, 32);
	int n = snprintf(line, sizeof(line), "%llu %s %lld\n",
	                 (unsigned long long)a->txn_head_size, hex,
	                 (long long)a->txn_head_time);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t w = fd >= 0 ? write(fd, line, (size_t)n) : -1;
	if (w >= 0 && w != n)
		errno = EIO; /* short write */
	int ok = w == n && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, a->head_file) != 0)
		ok = 0;
	if (!ok) {
		audit_problem(a,
		              "audit: cannot keep the last tree head in %s: %s "
		              "(a restore of the store is then not noticed)",
		              a->head_file, strerror(errno));
		unlink(tmp);
	}
}

void sh_audit_set_head_file(sh_audit *a, const char *path)
{
	free(a->head_file);
	a->head_file = path ? sh_strdup(path) : NULL;
}

sh_err sh_audit_head_file_check(sh_audit *a, MDB_txn *txn,
                                sh_audit_head_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	if (!a->head_file)
		return SH_ERR_NOTFOUND;
	FILE *f = fopen(a->head_file, "re");
	if (!f)
		return SH_ERR_NOTFOUND;
	char line[160], hex[65], extra;
	unsigned long long size;
	long long at;
	int got = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (!got ||
	    sscanf(line, "%llu %64[0-9a-f] %lld %c", &size, hex, &at, &extra) !=
	        3 ||
	    strlen(hex) != 64 || sh_unhex(rec->root, 32, hex) != 0)
		return SH_ERR_WIRE_DECODE;
	rec->size = size;
	rec->time_ms = at;
	if (size > a->tree.size) {
		rec->rolled_back = 1;
		return SH_OK;
	}
	if (size == 0)
		return SH_OK;
	/* (the sweep never removes past the latest signed head, which the
	 * file holds; one of a size it could not recompute any more is
	 * older than what audit_keep keeps, and not compared) */
	if (!sh_audit_size_provable(a, txn, size))
		return SH_OK;
	uint8_t root[32];
	sh_err e = sh_audit_root_at(a, txn, size, root);
	if (e != SH_OK)
		return e;
	rec->rolled_back = memcmp(root, rec->root, 32) != 0;
	return SH_OK;
}

/* Store's pre-commit hook: the tree's size and right edge, once per
 * transaction that appended entries. Written with every entry before;
 * once is enough because nothing reads them from the table while the
 * transaction is open (sh_audit_verify takes them from txn_tree then) and
 * they commit or roll back with the entries. */
static sh_err write_state(void *ctx, MDB_txn *txn)
{
	sh_audit *a = ctx;
	(void)txn; /* the store's: written through sh_store_put */
	const sh_merkle_frontier *t = &a->txn_tree;
	uint8_t b[8 + STORED_LEVEL * 32];
	size_t n = 8;
	if (!a->in_txn || t->size == a->tree.size)
		return SH_OK;
	put_u64(b, t->size);
	for (unsigned l = 0; l < STORED_LEVEL; l++) {
		if ((t->size >> l) & 1) {
			memcpy(b + n, t->hash[l], 32);
			n += 32;
		}
	}
	MDB_val sk = {4, "size"}, sv = {8, b}, ek = {4, "edge"}, ev = {n, b};
	int rc = sh_store_put(a->st, a->state, &sk, &sv, 0);
	if (rc == 0)
		rc = sh_store_put(a->st, a->state, &ek, &ev, 0);
	return mdb_to_sh(rc);
}

/* The tree as the open transaction sees it. */
static sh_merkle_frontier *txn_tree(sh_audit *a)
{
	if (!a->in_txn) {
		a->txn_tree = a->tree;
		a->txn_head_size = a->head_size;
		a->in_txn = 1;
	}
	return &a->txn_tree;
}

sh_err sh_audit_open(sh_audit **out, sh_store *st, const char *partner,
                     char *why, size_t wl, char *warning, size_t warnl)
{
	sh_audit *a = sh_xcalloc(1, sizeof(*a));
	MDB_dbi dbi[4];
	MDB_txn *txn = NULL;
	sh_err e = SH_OK;
	uint64_t size;

	*out = NULL;
	warning[0] = '\0';
	a->st = st;
	sh_store_audit_tables(st, dbi);
	a->entries = dbi[0], a->nodes = dbi[1], a->heads = dbi[2];
	a->state = dbi[3];
	snprintf(a->partner, sizeof(a->partner), "%s", partner);
	if (!(txn = sh_store_read_begin(st))) {
		snprintf(why, wl, "cannot read the audit log");
		e = SH_ERR_STORE;
		goto err;
	}
	if ((e = get_state_u64(a, txn, "size", &size)) != SH_OK) {
		snprintf(why, wl, "audit log: its recorded size is damaged");
		goto err;
	}
	/* The frontier: for each set bit l of size, the complete subtree of
	 * 2^l leaves ending the tree at that height. Below STORED_LEVEL from
	 * "edge", not from the entries: the tree goes on from what was
	 * committed, and a changed entry stays visible to `audit verify`. */
	tree_edge ed;
	get_edge(a, txn, size, &ed);
	a->tree.size = size;
	for (unsigned l = 0; l < 64; l++) {
		if (!((size >> l) & 1))
			continue;
		if ((e = get_edge_node(a, txn, &ed, size, l,
		                       a->tree.hash[l]))) {
			snprintf(
			    why, wl,
			    "audit log: the tree's hash of entries %llu.. is "
			    "missing or damaged, so the log cannot be "
			    "continued. Keep a copy of the data directory and "
			    "restore data.mdb from the last backup",
			    (unsigned long long)(((size >> l) - 1) << l));
			if (e == SH_ERR_NOTFOUND)
				e = SH_ERR_STORE_CORRUPT;
			goto err;
		}
	}
	/* A cheap agreement check; `audit verify` does the full one. The
	 * entries below the removal point (audit_keep) are gone on purpose:
	 * the table holds the rest, from there to the tree's end. */
	MDB_stat ms;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t removed = sh_audit_removed(a, txn);
	mdb_stat(txn, a->entries, &ms);
	uint64_t first = 0, last = 0;
	int have = 0;
	if (mdb_cursor_open(txn, a->entries, &cur) == 0) {
		if (mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0 &&
		    k.mv_size == 8) {
			first = get_u64(k.mv_data);
			if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 &&
			    k.mv_size == 8) {
				last = get_u64(k.mv_data);
				have = 1;
			}
		}
		mdb_cursor_close(cur);
	}
	if (removed > size || ms.ms_entries != size - removed ||
	    (size > removed &&
	     (!have || first != removed || last != size - 1))) {
		char of[120] = "";
		if (removed)
			snprintf(of, sizeof(of),
			         ", of which entries 0..%llu were removed by "
			         "audit_keep",
			         (unsigned long long)removed - 1);
		snprintf(warning, warnl,
		         "the audit log holds %llu entries but its tree "
		         "%llu%s; run 'seinctl audit verify' to find the "
		         "damage",
		         (unsigned long long)ms.ms_entries,
		         (unsigned long long)size, of);
	}
	if (mdb_cursor_open(txn, a->heads, &cur) == 0) {
		if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 &&
		    k.mv_size == 8)
			a->head_size = get_u64(k.mv_data);
		mdb_cursor_close(cur);
	}
	sh_store_read_end(st, txn);
	sh_store_set_txn_hook(st, txn_end, a);
	sh_store_set_precommit_hook(st, write_state, a);
	*out = a;
	return SH_OK;
err:
	if (txn)
		sh_store_read_end(st, txn);
	free(a);
	return e;
}

void sh_audit_close(sh_audit **ap)
{
	sh_audit *a = *ap;
	if (!a)
		return;
	sh_store_set_txn_hook(a->st, NULL, NULL);
	sh_store_set_precommit_hook(a->st, NULL, NULL);
	free(a->head_file);
	free(a);
	*ap = NULL;
}

uint64_t sh_audit_size(const sh_audit *a)
{
	return a->in_txn ? a->txn_tree.size : a->tree.size;
}

uint64_t sh_audit_committed_size(const sh_audit *a)
{
	return a->tree.size;
}

uint64_t sh_audit_head_size(const sh_audit *a)
{
	return a->in_txn ? a->txn_head_size : a->head_size;
}

static void store_node(void *ctx, unsigned level, uint64_t index,
                       const uint8_t hash[32])
{
	sh_audit *a = ctx;
	uint8_t kb[9];
	if (a->append_error || level < STORED_LEVEL)
		return;
	node_key(kb, level, index);
	MDB_val k = {9, kb}, v = {32, (void *)hash};
	int rc = sh_store_put(a->st, a->nodes, &k, &v, 0);
	if (rc)
		a->append_error = mdb_to_sh(rc);
}

/* ------------------------------------------- packing an entry */

static size_t pb_varint(uint8_t *out, size_t o, uint64_t v)
{
	return o + sh_pb_varint_put(out ? out + o : NULL, v);
}

/* A field's tag: number and wire type. */
static size_t pb_tag(uint8_t *out, size_t o, unsigned num, unsigned wt)
{
	return pb_varint(out, o, (uint64_t)num << 3 | wt);
}

/* proto3 as protobuf-c writes it: zero numbers, empty strings and bytes
 * are left out; an int32 (the enums) is sign-extended to 64 bits. */
static size_t pb_num(uint8_t *out, size_t o, unsigned num, uint64_t v)
{
	return v ? pb_varint(out, pb_tag(out, o, num, 0), v) : o;
}

static size_t pb_bytes(uint8_t *out, size_t o, unsigned num, const void *p,
                       size_t n)
{
	if (!n)
		return o;
	o = pb_varint(out, pb_tag(out, o, num, 2), n);
	if (out)
		memcpy(out + o, p, n);
	return o + n;
}

static size_t pb_str(uint8_t *out, size_t o, unsigned num, const char *s)
{
	return s ? pb_bytes(out, o, num, s, strlen(s)) : o;
}

size_t sh_audit_entry_write(const Seinhuis__AuditEntry *e, uint8_t *out)
{
	size_t o = 0;
	o = pb_num(out, o, 1, e->index);
	o = pb_num(out, o, 2, (uint64_t)e->time_us);
	o = pb_num(out, o, 3, (uint64_t)(int64_t)(int32_t)e->event);
	o = pb_str(out, o, 4, e->outcome);
	o = pb_str(out, o, 5, e->rule);
	o = pb_bytes(out, o, 6, e->message_id.data, e->message_id.len);
	o = pb_str(out, o, 7, e->partner);
	o = pb_num(out, o, 8, (uint64_t)(int64_t)(int32_t)e->type);
	o = pb_bytes(out, o, 9, e->subject.data, e->subject.len);
	o = pb_bytes(out, o, 10, e->case_key.data, e->case_key.len);
	o = pb_str(out, o, 11, e->legal_basis);
	o = pb_str(out, o, 12, e->user);
	o = pb_num(out, o, 13, e->uid);
	o = pb_str(out, o, 14, e->role);
	o = pb_str(out, o, 15, e->reason);
	o = pb_str(out, o, 16, e->detail);
	o = pb_bytes(out, o, 17, e->household.data, e->household.len);
	for (size_t i = 0; i < e->n_other_persons; i++) {
		/* repeated: each one, empty ones too, as protobuf-c does */
		const ProtobufCBinaryData *b = &e->other_persons[i];
		o = pb_varint(out, pb_tag(out, o, 18, 2), b->len);
		if (out && b->len)
			memcpy(out + o, b->data, b->len);
		o += b->len;
	}
	return o;
}

sh_err sh_audit_append(sh_audit *a, Seinhuis__AuditEntry *e)
{
	MDB_txn *txn = sh_store_txn(a->st);
	if (!txn)
		return SH_ERR_STORE;
	sh_merkle_frontier *t = txn_tree(a);
	if (e->time_us == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		e->time_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	e->index = t->size;
	/* (an entry with unknown fields, which the daemon never makes, is
	 * left to protobuf-c, which keeps them) */
	int own = e->base.n_unknown_fields == 0;
	size_t n = own ? sh_audit_entry_write(e, NULL)
	               : seinhuis__audit_entry__get_packed_size(e);
	uint8_t kb[8], leaf[32];
	put_u64(kb, e->index);
	MDB_val k = {8, kb}, v = {n, NULL};
	int rc =
	    sh_store_put(a->st, a->entries, &k, &v, MDB_RESERVE | MDB_APPEND);
	if (rc == MDB_KEYEXIST) {
		/* Damaged: an entry at or beyond the tree's size exists,
		 * written outside the tree. The tree goes on; `audit verify`
		 * has reported the stranger until now. */
		audit_problem(
		    a,
		    "audit: the table holds entries from index %llu on that "
		    "are not in the tree; writing over them",
		    (unsigned long long)e->index);
		rc = sh_store_put(a->st, a->entries, &k, &v, MDB_RESERVE);
	}
	if (rc)
		return mdb_to_sh(rc);
	if (own)
		sh_audit_entry_write(e, v.mv_data);
	else
		seinhuis__audit_entry__pack(e, v.mv_data);
	sh_store_filled(a->st, a->entries, &k, &v);
	sh_merkle_leaf(leaf, v.mv_data, n);
	a->append_error = SH_OK;
	sh_merkle_frontier next = *t;
	sh_merkle_push(&next, leaf, store_node, a);
	if (a->append_error)
		return a->append_error;
	*t = next; /* size and edge: write_state(), at commit */
	return SH_OK;
}

sh_err sh_audit_sign_head(sh_audit *a, const sh_identity *self, int64_t now_ms)
{
	MDB_txn *txn = sh_store_txn(a->st);
	if (!txn)
		return SH_ERR_STORE;
	sh_merkle_frontier *t = txn_tree(a);
	uint8_t root[32], sig[SH_SIG_LEN];
	sh_merkle_root(t, root);
	Seinhuis__SignedTreeHead h = SEINHUIS__SIGNED_TREE_HEAD__INIT;
	h.partner = a->partner;
	h.tree_size = t->size;
	h.root_hash.data = root;
	h.root_hash.len = 32;
	h.timestamp_ms = now_ms;
	h.sign_key.data = (uint8_t *)self->card.sign_pub;
	h.sign_key.len = 32;
	sh_buf tbs = {0};
	sh_tree_head_tbs(&h, &tbs);
	sh_err e = sh_ed25519_sign(sig, self->sign_sec, tbs.data, tbs.len);
	sh_buf_free(&tbs);
	if (e)
		return e;
	h.signature.data = sig;
	h.signature.len = SH_SIG_LEN;
	uint8_t kb[8];
	put_u64(kb, h.tree_size);
	size_t n = seinhuis__signed_tree_head__get_packed_size(&h);
	MDB_val k = {8, kb}, v = {n, NULL};
	int rc = sh_store_put(a->st, a->heads, &k, &v, MDB_RESERVE);
	if (rc)
		return mdb_to_sh(rc);
	seinhuis__signed_tree_head__pack(&h, v.mv_data);
	sh_store_filled(a->st, a->heads, &k, &v);
	a->txn_head_size = h.tree_size;
	a->txn_head_new = 1;
	memcpy(a->txn_head_root, root, 32);
	a->txn_head_time = now_ms;
	return SH_OK;
}

static sh_err decode_head(const MDB_val *v, Seinhuis__SignedTreeHead **out)
{
	*out = seinhuis__signed_tree_head__unpack(NULL, v->mv_size, v->mv_data);
	if (!*out)
		return SH_ERR_STORE_CORRUPT;
	if ((*out)->root_hash.len != 32) {
		seinhuis__signed_tree_head__free_unpacked(*out, NULL);
		*out = NULL;
		return SH_ERR_STORE_CORRUPT;
	}
	return SH_OK;
}

sh_err sh_audit_get_head(sh_audit *a, MDB_txn *txn, uint64_t size,
                         Seinhuis__SignedTreeHead **out)
{
	MDB_val k, v;
	uint8_t kb[8];
	int rc;
	*out = NULL;
	if (size == 0) {
		MDB_cursor *cur;
		if ((rc = mdb_cursor_open(txn, a->heads, &cur)))
			return mdb_to_sh(rc);
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		mdb_cursor_close(cur);
	} else {
		put_u64(kb, size);
		k.mv_size = 8, k.mv_data = kb;
		rc = mdb_get(txn, a->heads, &k, &v);
	}
	if (rc)
		return mdb_to_sh(rc);
	return decode_head(&v, out);
}

/* ------------------------------------------------------------ reading */

sh_err sh_audit_scan(sh_audit *a, MDB_txn *txn, uint64_t from,
                     sh_audit_scan_fn fn, void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t kb[8];
	int rc = mdb_cursor_open(txn, a->entries, &cur);
	if (rc)
		return mdb_to_sh(rc);
	put_u64(kb, from);
	k.mv_size = 8, k.mv_data = kb;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8)
			continue;
		Seinhuis__AuditEntry *e =
		    seinhuis__audit_entry__unpack(NULL, v.mv_size, v.mv_data);
		int stop = fn(ctx, get_u64(k.mv_data), v.mv_data, v.mv_size, e);
		if (e)
			seinhuis__audit_entry__free_unpacked(e, NULL);
		if (stop)
			break;
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? SH_OK : mdb_to_sh(rc);
}

sh_err sh_audit_entry(sh_audit *a, MDB_txn *txn, uint64_t index, sh_buf *out)
{
	uint8_t kb[8];
	put_u64(kb, index);
	MDB_val k = {8, kb}, v;
	int rc = mdb_get(txn, a->entries, &k, &v);
	if (rc)
		return mdb_to_sh(rc);
	sh_buf_add(out, v.mv_data, v.mv_size);
	return SH_OK;
}

/* ------------------------------------------- removal (audit_keep)
 *
 * The entries hold pseudonyms (subject, case key): pseudonymised personal
 * data, kept no longer than audit_keep (seinhuisd.conf). Whole blocks of
 * BLOCK entries go, oldest first: the stored node of each block (level
 * STORED_LEVEL) and every node above it stay, so every root of a size
 * that is a multiple of BLOCK, every head's signature, the inclusion
 * proofs of the entries kept and the consistency proofs between such
 * sizes can still be made. Below the removal point ("pruned" in
 * audit_state, a multiple of BLOCK, written in the same transaction as
 * the deletions) only a size that is a multiple of BLOCK can be
 * recomputed. The block holding the tree's right edge and any block past
 * the latest signed head are never removed, so the newest head (the head
 * file's, the one partners keep) always stays checkable. */

uint64_t sh_audit_removed(sh_audit *a, MDB_txn *txn)
{
	uint64_t p = 0;
	if (get_state_u64(a, txn, "pruned", &p) != SH_OK)
		return 0; /* damaged: `audit verify` then finds entries gone */
	return p;
}

int sh_audit_size_provable(sh_audit *a, MDB_txn *txn, uint64_t size)
{
	/* the removal point is a multiple of BLOCK: past it, the partial
	 * block at the size's edge is kept */
	return size % BLOCK == 0 || size > sh_audit_removed(a, txn);
}

sh_err sh_audit_remove_old(sh_audit *a, int64_t before_us, size_t max_blocks,
                           uint64_t *from, uint64_t *to, char *why, size_t wl)
{
	MDB_txn *txn = sh_store_txn(a->st);
	why[0] = '\0';
	if (!txn)
		return SH_ERR_STORE;
	uint64_t size = txn_tree(a)->size, head = sh_audit_head_size(a);
	uint64_t p = sh_audit_removed(a, txn), limit;
	*from = *to = p;
	if (size == 0 || p % BLOCK)
		return SH_OK;
	/* not the block of entry size-1, nor past the latest head */
	limit = (size - 1) & ~(BLOCK - 1);
	if ((head & ~(BLOCK - 1)) < limit)
		limit = head & ~(BLOCK - 1);
	sh_buf raw = {0};
	sh_err e = SH_OK;
	for (size_t n = 0; n < max_blocks && p + BLOCK <= limit; n++) {
		raw.len = 0;
		e = sh_audit_entry(a, txn, p + BLOCK - 1, &raw);
		if (e != SH_OK && e != SH_ERR_NOTFOUND)
			break;
		Seinhuis__AuditEntry *en =
		    e ? NULL
		      : seinhuis__audit_entry__unpack(NULL, raw.len, raw.data);
		int64_t t = en ? en->time_us : 0;
		if (en)
			seinhuis__audit_entry__free_unpacked(en, NULL);
		if (en && t >= before_us) {
			e = SH_OK;
			break; /* not yet */
		}
		/* A block whose entries no longer match its stored hash (one
		 * missing or not decoding among them) is kept: removing it
		 * would remove the evidence */
		uint8_t have[32], stored[32];
		e = node_from_entries(a, txn, STORED_LEVEL, p / BLOCK, have);
		if (e == SH_OK || e == SH_ERR_STORE_CORRUPT)
			e = e ? e
			      : get_node(a, txn, STORED_LEVEL, p / BLOCK,
			                 stored);
		if (e != SH_OK && e != SH_ERR_STORE_CORRUPT &&
		    e != SH_ERR_NOTFOUND)
			break;
		if (!en || e != SH_OK || memcmp(have, stored, 32) != 0) {
			e = SH_OK;
			snprintf(why, wl,
			         "entries %llu to %llu are not removed: they "
			         "do not match the hash the tree stored for "
			         "them; run 'seinctl audit verify'",
			         (unsigned long long)p,
			         (unsigned long long)(p + BLOCK - 1));
			break;
		}
		for (uint64_t i = p; i < p + BLOCK && e == SH_OK; i++) {
			uint8_t kb[8];
			put_u64(kb, i);
			MDB_val k = {8, kb};
			e = mdb_to_sh(sh_store_del(a->st, a->entries, &k));
		}
		if (e != SH_OK)
			break;
		p += BLOCK;
	}
	sh_buf_free(&raw);
	if (e == SH_OK && p != *from) {
		uint8_t b[8];
		put_u64(b, p);
		e = sh_audit_state_put(a, "pruned", b, 8);
	}
	if (e == SH_OK)
		*to = p;
	return e;
}

/* ------------------------------------------------------------- verify */

struct verify_ctx {
	sh_audit *a;
	MDB_txn *txn;
	/* Entries so far with no leaf hash of their own in audit_nodes (every
	 * entry appended since STORED_LEVEL): whether any, and the last. */
	int bare;
	uint64_t last_bare;
	sh_err node_bad; /* first stored node that differs or is missing */
	unsigned bad_level;
	uint64_t bad_index;
	int hash_failed; /* a problem set by hash_problem(), from entry: */
	uint64_t hash_from;
};

static void check_node(void *vctx, unsigned level, uint64_t index,
                       const uint8_t hash[32])
{
	struct verify_ctx *c = vctx;
	uint8_t stored[32];
	if (c->node_bad || level == 0) /* leaves are checked by the caller */
		return;
	sh_err e = get_node(c->a, c->txn, level, index, stored);
	if (e == SH_ERR_NOTFOUND && level < STORED_LEVEL)
		return; /* stored only by versions before STORED_LEVEL */
	if (e == SH_OK && memcmp(stored, hash, 32) != 0)
		e = SH_ERR_STORE_CORRUPT;
	if (e) {
		c->node_bad = e;
		c->bad_level = level;
		c->bad_index = index;
	}
}

static void set_problem(Seinhuis__AuditVerifyResult *r, int has_bad,
                        uint64_t bad, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_problem(Seinhuis__AuditVerifyResult *r, int has_bad,
                        uint64_t bad, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->ok = 0;
	r->has_bad_entry = has_bad;
	r->first_bad_entry = bad;
	r->problem = sh_strdup(text);
}

static void fmt_ms(char *out, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A stored hash of entries from..to that is missing (e is NOTFOUND) or
 * differs from the one recomputed from them. If each of those entries
 * matched a leaf hash of its own (a log written before STORED_LEVEL), the
 * stored hash is what was altered; if not, one of the entries may have
 * been, and no stored hash says which, so the first of them is named. */
static void hash_problem(Seinhuis__AuditVerifyResult *r, struct verify_ctx *c,
                         sh_err e, uint64_t from, uint64_t to)
{
	c->hash_failed = 1;
	c->hash_from = from;
	if (e == SH_ERR_NOTFOUND)
		set_problem(r, 0, 0,
		            "the tree has no stored hash of entries %llu to "
		            "%llu (the stored tree was altered)",
		            (unsigned long long)from, (unsigned long long)to);
	else if (!c->bare || c->last_bare < from)
		set_problem(r, 0, 0,
		            "the tree's stored hash of entries %llu to %llu "
		            "differs from the entries (the stored tree was "
		            "altered)",
		            (unsigned long long)from, (unsigned long long)to);
	else if (from == to)
		set_problem(r, 1, from,
		            "entry %llu does not match the hash the tree "
		            "stored for it: it was changed after it was "
		            "written (or that hash was)",
		            (unsigned long long)from);
	else
		set_problem(r, 1, from,
		            "entries %llu to %llu do not match the hash the "
		            "tree stored for them: one of them was changed "
		            "after it was written (or that hash was)",
		            (unsigned long long)from, (unsigned long long)to);
}

/* The right edge below STORED_LEVEL, as stored for the tree's size (or,
 * within the open transaction, as write_state() will store it: live),
 * against the frontier f recomputed from the entries: the hash of the
 * last entries, which no node covers yet. 0 with the problem set if it
 * differs. */
static int check_edge(Seinhuis__AuditVerifyResult *r, struct verify_ctx *c,
                      const sh_merkle_frontier *f,
                      const sh_merkle_frontier *live)
{
	tree_edge ed;
	uint64_t size = f->size;
	if (live) {
		ed.valid = 1;
		memcpy(ed.hash, live->hash, sizeof(ed.hash));
	} else {
		get_edge(c->a, c->txn, size, &ed);
	}
	/* The largest subtree first: it holds the earliest entries. */
	for (unsigned l = STORED_LEVEL; l-- > 0;) {
		uint8_t h[32];
		if (!((size >> l) & 1))
			continue;
		sh_err e = get_edge_node(c->a, c->txn, &ed, size, l, h);
		if (e == SH_OK && memcmp(h, f->hash[l], 32) != 0)
			e = SH_ERR_STORE_CORRUPT;
		if (e) {
			uint64_t from = ((size >> l) - 1) << l;
			hash_problem(r, c, e, from,
			             from + ((uint64_t)1 << l) - 1);
			return 0;
		}
	}
	return 1;
}

enum { HEAD_BAD, HEAD_OK, HEAD_DIFFERS };

/* Check one signed head against the recomputed root at its size. Returns
 * HEAD_BAD and sets the problem if it fails; HEAD_DIFFERS, the problem
 * only written to `differs`, if it is sound but the root is not the
 * entries' (the caller may find a stored hash that says more). root NULL:
 * a head inside the part audit_keep removed whose root cannot be
 * recomputed; only its signature and key are checked (HEAD_OK), and it
 * is counted in heads_not_recomputed. */
static int check_head(Seinhuis__AuditVerifyResult *r, const MDB_val *k,
                      const MDB_val *v, const uint8_t root[32],
                      const sh_audit_keys *keys, const char *partner,
                      uint64_t *other_key, char *differs, size_t dl)
{
	Seinhuis__SignedTreeHead *h = NULL;
	uint64_t size = k->mv_size == 8 ? get_u64(k->mv_data) : 0;
	char when[32] = "?";
	int ok = HEAD_BAD;
	if (decode_head(v, &h) != SH_OK || h->tree_size != size) {
		set_problem(r, 0, 0,
		            "the tree head stored at size %llu does not decode",
		            (unsigned long long)size);
		goto out;
	}
	fmt_ms(when, sizeof(when), h->timestamp_ms);
	if (strcmp(h->partner, partner) != 0) {
		set_problem(r, 0, 0,
		            "the tree head at size %llu (%s) names "
		            "another partner",
		            (unsigned long long)size, when);
		goto out;
	}
	if (h->sign_key.len != 32 ||
	    !sh_tree_head_verify(h, h->sign_key.data)) {
		set_problem(
		    r, 0, 0,
		    "the tree head at size %llu (%s): its signature does "
		    "not verify",
		    (unsigned long long)size, when);
		goto out;
	}
	if (!sh_audit_keys_has(keys, h->sign_key.data)) {
		char fp[17];
		sh_key_fingerprint(fp, h->sign_key.data);
		set_problem(
		    r, 0, 0,
		    "the tree head at size %llu (%s) is signed with key %s, "
		    "which is not a signing key of this partner (its card's, "
		    "the previous one the card names, or an earlier card's in "
		    "the key directory's earlier/): the log was rewritten and "
		    "its heads signed again. If this partner rotated its keys "
		    "more than once, put the card it had then in earlier/ and "
		    "verify again",
		    (unsigned long long)size, when, fp);
		goto out;
	}
	if (memcmp(h->sign_key.data, keys->key[0], 32) != 0)
		(*other_key)++;
	if (!root) {
		r->heads_not_recomputed++;
		ok = HEAD_OK;
		goto out;
	}
	if (memcmp(h->root_hash.data, root, 32) != 0) {
		snprintf(differs, dl,
		         "the tree head at size %llu, signed %s, does not "
		         "match the entries: an entry below %llu was changed "
		         "or removed after it was signed (entries and their "
		         "stored hashes were rewritten alike)",
		         (unsigned long long)size, when,
		         (unsigned long long)size);
		ok = HEAD_DIFFERS;
		goto out;
	}
	r->heads++;
	r->latest_head_size = size;
	r->latest_head_ms = h->timestamp_ms;
	ok = HEAD_OK;
out:
	if (h)
		seinhuis__signed_tree_head__free_unpacked(h, NULL);
	return ok;
}

/* A stored node at STORED_LEVEL or above, for a root inside the part
 * audit_keep removed (nothing below is there to recompute). */
static sh_err removed_node(void *vctx, unsigned level, uint64_t index,
                           uint8_t out[32])
{
	struct verify_ctx *c = vctx;
	if (level < STORED_LEVEL)
		return SH_ERR_NOTFOUND;
	return get_node(c->a, c->txn, level, index, out);
}

/* The part audit_keep removed, entries 0..removed-1: f starts as the tree
 * of that size, from the stored nodes of its blocks, and each signed head
 * at a size up to there is checked, its root only where the size is a
 * multiple of BLOCK (the rest: heads_not_recomputed). The head cursor is
 * left at the first head beyond. 0 with the problem set if it fails. */
static int verify_removed(Seinhuis__AuditVerifyResult *r, struct verify_ctx *c,
                          uint64_t removed, sh_merkle_frontier *f,
                          MDB_cursor *hcur, MDB_val *hk, MDB_val *hv, int *hrc,
                          const sh_audit_keys *keys, uint64_t *other_key)
{
	f->size = removed;
	for (unsigned l = STORED_LEVEL; l < 64; l++) {
		if (!((removed >> l) & 1))
			continue;
		sh_err e =
		    get_node(c->a, c->txn, l, (removed >> l) - 1, f->hash[l]);
		if (e) {
			uint64_t from = ((removed >> l) - 1) << l;
			set_problem(r, 0, 0,
			            "the tree has no sound stored hash of "
			            "entries %llu to %llu, which audit_keep "
			            "removed (the stored tree was altered)",
			            (unsigned long long)from,
			            (unsigned long long)(from +
			                                 ((uint64_t)1 << l) -
			                                 1));
			return 0;
		}
	}
	for (; *hrc == 0 && hk->mv_size == 8 && get_u64(hk->mv_data) <= removed;
	     *hrc = mdb_cursor_get(hcur, hk, hv, MDB_NEXT)) {
		uint64_t n = get_u64(hk->mv_data);
		uint8_t root[32];
		char differs[512];
		int can = n % BLOCK == 0 && n > 0;
		if (can && sh_merkle_range(removed_node, c, 0, n, root)) {
			set_problem(r, 0, 0,
			            "the tree has no stored hash for the head "
			            "at size %llu, inside the part audit_keep "
			            "removed (the stored tree was altered)",
			            (unsigned long long)n);
			return 0;
		}
		int hr = check_head(r, hk, hv, can ? root : NULL, keys,
		                    c->a->partner, other_key, differs,
		                    sizeof(differs));
		if (hr == HEAD_BAD)
			return 0;
		if (hr == HEAD_DIFFERS) {
			set_problem(
			    r, 0, 0,
			    "the tree head at size %llu does not match "
			    "the stored hashes of the entries audit_keep "
			    "removed below it: the stored tree was "
			    "altered",
			    (unsigned long long)n);
			return 0;
		}
	}
	return 1;
}

sh_err sh_audit_verify(sh_audit *a, MDB_txn *txn, const sh_audit_keys *keys,
                       Seinhuis__AuditVerifyResult *r)
{
	MDB_cursor *cur = NULL, *hcur = NULL;
	MDB_val k, v, hk, hv;
	int rc, hrc;
	uint64_t i = 0, size = 0, other_key = 0;
	sh_merkle_frontier f;
	struct verify_ctx vc = {a, txn, 0, 0, SH_OK, 0, 0, 0, 0};
	uint8_t root[32];
	/* Within the open write transaction the tree's size and right edge
	 * are the ones in memory: write_state() stores them at commit. */
	const sh_merkle_frontier *live =
	    a->in_txn && txn == sh_store_txn(a->st) ? &a->txn_tree : NULL;
	/* A head whose root is not the entries' is reported once the stored
	 * hash of the entries just below it (at most 15 entries on) has been
	 * checked as well: that one says which entries changed, the head
	 * only that one below its size did. */
	char differs[512];
	int pending = 0;
	uint64_t pend_size = 0, pend_end = 0;

	seinhuis__audit_verify_result__init(r);
	r->ok = 1;
	memset(&f, 0, sizeof(f));
	if (get_state_u64(a, txn, "size", &size) != SH_OK) {
		set_problem(r, 0, 0, "the log's recorded size is damaged");
		return SH_OK;
	}
	if (live)
		size = live->size;
	if ((rc = mdb_cursor_open(txn, a->entries, &cur)) ||
	    (rc = mdb_cursor_open(txn, a->heads, &hcur))) {
		if (cur)
			mdb_cursor_close(cur);
		return mdb_to_sh(rc);
	}
	hrc = mdb_cursor_get(hcur, &hk, &hv, MDB_FIRST);
	/* Entries 0..removed-1 were removed by audit_keep: the stored
	 * hashes of their blocks stand for them. */
	uint64_t removed = sh_audit_removed(a, txn);
	r->removed_entries = removed;
	if (removed % BLOCK || removed > size) {
		set_problem(r, 0, 0,
		            "the log's removal point (%llu) is damaged: it "
		            "is not a multiple of %llu within the tree",
		            (unsigned long long)removed,
		            (unsigned long long)BLOCK);
		rc = MDB_NOTFOUND;
	} else if (removed && !verify_removed(r, &vc, removed, &f, hcur, &hk,
	                                      &hv, &hrc, keys, &other_key)) {
		rc = MDB_NOTFOUND;
	} else {
		i = removed;
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	for (; rc == 0 && r->ok;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), i++) {
		uint8_t leaf[32], stored[32];
		if (k.mv_size != 8) {
			set_problem(r, 1, i,
			            "entry %llu: the table holds a key "
			            "that is not an index",
			            (unsigned long long)i);
			break;
		}
		uint64_t key = get_u64(k.mv_data);
		if (key < removed) {
			set_problem(
			    r, 1, key,
			    "entry %llu is in the table, though the log "
			    "records entries 0..%llu as removed by "
			    "audit_keep (put back, or the removal "
			    "point was altered)",
			    (unsigned long long)key,
			    (unsigned long long)removed - 1);
			break;
		}
		if (key != i) {
			set_problem(
			    r, 1, i,
			    "entry %llu is missing: it was removed from "
			    "the log",
			    (unsigned long long)i);
			break;
		}
		Seinhuis__AuditEntry *e =
		    seinhuis__audit_entry__unpack(NULL, v.mv_size, v.mv_data);
		if (!e) {
			set_problem(
			    r, 1, i,
			    "entry %llu does not decode: it was changed "
			    "after it was written",
			    (unsigned long long)i);
			break;
		}
		uint64_t claims = e->index;
		if (e->event == SEINHUIS__AUDIT_EVENT__AUDIT_LOG_ROLLED_BACK) {
			r->rollbacks++;
			if (e->time_us > r->latest_rollback_us)
				r->latest_rollback_us = e->time_us;
		}
		seinhuis__audit_entry__free_unpacked(e, NULL);
		if (claims != i) {
			set_problem(
			    r, 1, i,
			    "entry %llu is out of place: it holds entry "
			    "%llu (entries were moved or swapped)",
			    (unsigned long long)i, (unsigned long long)claims);
			break;
		}
		sh_merkle_leaf(leaf, v.mv_data, v.mv_size);
		sh_err ne = get_node(a, txn, 0, i, stored);
		if (ne == SH_ERR_NOTFOUND) {
			/* Appended since STORED_LEVEL: its block's node or
			 * the right edge covers it. */
			vc.bare = 1;
			vc.last_bare = i;
		} else if (ne != SH_OK) {
			set_problem(r, 1, i,
			            "entry %llu: the tree's hash for it is "
			            "damaged",
			            (unsigned long long)i);
			break;
		} else if (memcmp(leaf, stored, 32) != 0) {
			set_problem(
			    r, 1, i,
			    "entry %llu was changed after it was written: "
			    "its hash differs from the one the tree "
			    "recorded",
			    (unsigned long long)i);
			break;
		}
		sh_merkle_push(&f, leaf, check_node, &vc);
		if (vc.node_bad) {
			uint64_t from = vc.bad_index << vc.bad_level;
			hash_problem(r, &vc, vc.node_bad, from,
			             from + ((uint64_t)1 << vc.bad_level) - 1);
			break;
		}
		if (i + 1 == size && !check_edge(r, &vc, &f, live))
			break;
		if (pending) {
			if (i >= pend_end)
				break;
			continue;
		}
		/* Heads at sizes already passed were never matched. */
		while (hrc == 0 && hk.mv_size == 8 &&
		       get_u64(hk.mv_data) <= i) {
			set_problem(
			    r, 0, 0,
			    "the tree head at size %llu does not fit the "
			    "log",
			    (unsigned long long)get_u64(hk.mv_data));
			break;
		}
		if (!r->ok)
			break;
		if (hrc == 0 && hk.mv_size == 8 &&
		    get_u64(hk.mv_data) == i + 1) {
			sh_merkle_root(&f, root);
			int hr =
			    check_head(r, &hk, &hv, root, keys, a->partner,
			               &other_key, differs, sizeof(differs));
			if (hr == HEAD_BAD)
				break;
			if (hr == HEAD_DIFFERS) {
				/* Entry i's block node, when the block is
				 * complete, else the right edge. */
				uint64_t blk_end = i | (BLOCK - 1);
				pending = 1;
				pend_size = i + 1;
				pend_end = blk_end < size ? blk_end
				           : size > i     ? size - 1
				                          : i;
				if (i >= pend_end)
					break;
				continue;
			}
			hrc = mdb_cursor_get(hcur, &hk, &hv, MDB_NEXT);
		}
	}
	/* Anything found after the differing head but about later entries
	 * gives way to it. */
	if (pending &&
	    (r->ok || !vc.hash_failed || vc.hash_from >= pend_size)) {
		if (r->problem && r->problem != protobuf_c_empty_string)
			free(r->problem);
		set_problem(r, 0, 0, "%s", differs);
	}
	if (r->ok && rc != 0 && rc != MDB_NOTFOUND)
		set_problem(r, 0, 0, "the audit table cannot be read: %s",
		            mdb_strerror(rc));
	r->entries = i;
	if (r->ok && i < size)
		set_problem(
		    r, 1, i,
		    "entry %llu is missing: the tree holds %llu entries, "
		    "the table only %llu (entries were removed from the "
		    "end)",
		    (unsigned long long)i, (unsigned long long)size,
		    (unsigned long long)i);
	if (r->ok && i > size)
		set_problem(
		    r, 1, size,
		    "entry %llu was added outside the tree: the tree holds "
		    "%llu entries, the table %llu",
		    (unsigned long long)size, (unsigned long long)size,
		    (unsigned long long)i);
	if (r->ok && hrc == 0)
		set_problem(
		    r, 1, i,
		    "the tree head at size %llu lies beyond the last entry: "
		    "entries from %llu on were removed",
		    (unsigned long long)(hk.mv_size == 8 ? get_u64(hk.mv_data)
		                                         : 0),
		    (unsigned long long)i);
	mdb_cursor_close(cur);
	mdb_cursor_close(hcur);
	sh_merkle_root(&f, root);
	r->root_hash.data = sh_xmalloc(32);
	r->root_hash.len = 32;
	memcpy(r->root_hash.data, root, 32);
	if (r->ok && a->tree.size == f.size && !a->in_txn) {
		uint8_t cur_root[32];
		sh_merkle_root(&a->tree, cur_root);
		if (memcmp(cur_root, root, 32) != 0)
			set_problem(
			    r, 0, 0,
			    "the tree the daemon continues from differs from "
			    "the entries");
	}
	if (r->ok && other_key) {
		char text[200];
		snprintf(
		    text, sizeof(text),
		    "%llu tree heads are signed with an earlier key of this "
		    "partner (one its cards name)",
		    (unsigned long long)other_key);
		r->problem = sh_strdup(text);
	}
	return SH_OK;
}

void sh_audit_rollback_note(char *out, size_t n, uint64_t count,
                            const char *latest)
{
	out[0] = '\0';
	if (count)
		snprintf(out, n,
		         "the log records %llu rollback%s of itself "
		         "(log_rolled_back), the latest %s: a restored or "
		         "replaced data store, whose entries from after its "
		         "backup are not in it; 'seinctl audit list --event "
		         "log_rolled_back' says which",
		         (unsigned long long)count, count == 1 ? "" : "s",
		         latest);
}

void sh_audit_removed_note(char *out, size_t n, char *heads, size_t hn,
                           const Seinhuis__AuditVerifyResult *r)
{
	out[0] = heads[0] = '\0';
	if (r->removed_entries)
		snprintf(out, n,
		         "entries 0..%llu were removed by audit_keep; the "
		         "stored hashes cover them",
		         (unsigned long long)r->removed_entries - 1);
	if (r->heads_not_recomputed)
		snprintf(heads, hn,
		         "%llu signed tree head%s inside the removed part: "
		         "signature checked, root not recomputed (a size that "
		         "is not a multiple of 16)",
		         (unsigned long long)r->heads_not_recomputed,
		         r->heads_not_recomputed == 1 ? "" : "s");
}

void sh_audit_verify_free(Seinhuis__AuditVerifyResult *r)
{
	if (r->problem && r->problem != protobuf_c_empty_string)
		free(r->problem);
	free(r->root_hash.data);
	seinhuis__audit_verify_result__init(r);
}

/* ------------------------------------------------------------- proofs */

struct node_ctx {
	sh_audit *a;
	MDB_txn *txn;
};

/* A node for a proof: stored from STORED_LEVEL up, recomputed from the
 * entries below (a log written before has those stored too; the entries
 * give the same hashes, or `audit verify` reports them). */
static sh_err proof_node(void *vctx, unsigned level, uint64_t index,
                         uint8_t out[32])
{
	struct node_ctx *c = vctx;
	if (level < STORED_LEVEL)
		return node_from_entries(c->a, c->txn, level, index, out);
	sh_err e = get_node(c->a, c->txn, level, index, out);
	return e == SH_ERR_NOTFOUND ? SH_ERR_STORE_CORRUPT : e;
}

sh_err sh_audit_prove_inclusion(sh_audit *a, MDB_txn *txn, uint64_t index,
                                uint64_t size,
                                uint8_t path[SH_MERKLE_MAX_PATH][32],
                                size_t *len)
{
	struct node_ctx c = {a, txn};
	if (index >= size || size > a->tree.size ||
	    index < sh_audit_removed(a, txn))
		return SH_ERR_NOTFOUND; /* (removed: audit_keep) */
	return sh_merkle_inclusion_proof(proof_node, &c, index, size, path,
	                                 len);
}

sh_err sh_audit_root_at(sh_audit *a, MDB_txn *txn, uint64_t size,
                        uint8_t root[32])
{
	struct node_ctx c = {a, txn};
	if (size > a->tree.size || !sh_audit_size_provable(a, txn, size))
		return SH_ERR_NOTFOUND;
	if (size == 0) {
		sh_merkle_empty(root);
		return SH_OK;
	}
	return sh_merkle_range(proof_node, &c, 0, size, root);
}

sh_err sh_audit_prove_consistency(sh_audit *a, MDB_txn *txn, uint64_t m,
                                  uint64_t n,
                                  uint8_t path[SH_MERKLE_MAX_PATH][32],
                                  size_t *len)
{
	struct node_ctx c = {a, txn};
	if (m > n || n > a->tree.size || !sh_audit_size_provable(a, txn, m) ||
	    !sh_audit_size_provable(a, txn, n))
		return SH_ERR_NOTFOUND; /* (inside what audit_keep removed) */
	return sh_merkle_consistency_proof(proof_node, &c, m, n, path, len);
}

/* -------------------------------------------------------------- state */

sh_err sh_audit_state_get(sh_audit *a, MDB_txn *txn, const char *key,
                          sh_buf *out)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc = mdb_get(txn, a->state, &k, &v);
	if (rc)
		return mdb_to_sh(rc);
	sh_buf_add(out, v.mv_data, v.mv_size);
	return SH_OK;
}

sh_err sh_audit_state_put(sh_audit *a, const char *key, const void *val,
                          size_t len)
{
	MDB_txn *txn = sh_store_txn(a->st);
	if (!txn)
		return SH_ERR_STORE;
	MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
	return mdb_to_sh(sh_store_put(a->st, a->state, &k, &v, 0));
}

sh_err sh_audit_state_del(sh_audit *a, const char *key)
{
	MDB_txn *txn = sh_store_txn(a->st);
	if (!txn)
		return SH_ERR_STORE;
	MDB_val k = {strlen(key), (void *)key};
	int rc = sh_store_del(a->st, a->state, &k);
	return rc == MDB_NOTFOUND ? SH_OK : mdb_to_sh(rc);
}

sh_err sh_audit_state_keys(sh_audit *a, MDB_txn *txn, const char *prefix,
                           sh_audit_key_fn fn, void *ctx)
{
	MDB_cursor *cur;
	size_t pl = strlen(prefix);
	MDB_val k = {pl, (void *)prefix}, v;
	int rc = mdb_cursor_open(txn, a->state, &cur);
	if (rc)
		return mdb_to_sh(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < pl || memcmp(k.mv_data, prefix, pl) != 0)
			break;
		char name[256];
		if (k.mv_size >= sizeof(name))
			continue;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		fn(ctx, name);
	}
	mdb_cursor_close(cur);
	return SH_OK;
}
