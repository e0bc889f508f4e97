/*
 * test_audit - the audit log in LMDB (daemon/audit.c): the tree it keeps,
 * its proofs and `audit verify`, on a real store.
 *
 * The log stores Merkle nodes of 16 entries and more and recomputes the
 * smaller ones from the entries. A reference tree in memory keeps every
 * node, as the log did before; for logs of 1, 2, 15, 16, 17, 33 and 1000
 * entries (committed in transactions of varying size, reopened on the
 * way) every inclusion and consistency proof the log gives must be the
 * reference's, byte for byte, and the root the same. A log converted to
 * the old layout (every node, no right edge record) must open, verify,
 * give the same proofs and take new entries. Tampering must show: a
 * changed entry (named exactly where the old layout has its leaf hash,
 * else as the first of the entries one stored hash covers), a changed or
 * missing stored node at any level, a changed right edge, and a changed
 * entry below a head signed in the middle of a block. Removal (audit_keep)
 * takes whole blocks of 16, oldest first, never past the latest head nor
 * the last entry's block nor a changed block; afterwards every proof of
 * what is kept is still the reference's, what needs a removed entry is
 * refused, and verify passes and still finds a change.
 */
#include <lmdb.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "policy.h"
#include "check.h"
#include "fixture.h"

#define PARTNER "gemeente-test"
#define MAXN    1100
#define LEVELS  12

static char *root_dir;
static sh_identity self;
static unsigned dir_seq;

typedef struct {
	char dir[700];
	sh_store *st;
	sh_audit *log;
	MDB_dbi dbi[4]; /* entries, nodes, heads, state */
} logfx;

/* Every node of the tree of the log's entries, as the old layout kept. */
typedef struct {
	uint64_t n;
	uint8_t node[LEVELS][MAXN][32];
	sh_merkle_frontier f;
} reftree;

static void ref_keep(void *ctx, unsigned level, uint64_t index,
                     const uint8_t h[32])
{
	reftree *t = ctx;
	if (level < LEVELS && index < MAXN)
		memcpy(t->node[level][index], h, 32);
}

static sh_err ref_get(void *ctx, unsigned level, uint64_t index,
                      uint8_t out[32])
{
	reftree *t = ctx;
	if (level >= LEVELS || ((index + 1) << level) > t->n)
		return SH_ERR_NOTFOUND;
	memcpy(out, t->node[level][index], 32);
	return SH_OK;
}

static int log_open(logfx *x)
{
	char why[600], warning[300];
	sh_err e = sh_audit_open(&x->log, x->st, PARTNER, why, sizeof(why),
	                         warning, sizeof(warning));
	if (e != SH_OK)
		x->log = NULL;
	return e == SH_OK;
}

static void fx_open(logfx *x)
{
	char why[600];
	snprintf(x->dir, sizeof(x->dir), "%s/log%u", root_dir, dir_seq++);
	if (sh_store_open(&x->st, x->dir, 256u << 20, PARTNER, why,
	                  sizeof(why)) != SH_OK) {
		printf("cannot open a store: %s\n", why);
		exit(2);
	}
	sh_store_audit_tables(x->st, x->dbi);
	if (!log_open(x)) {
		printf("cannot open the audit log\n");
		exit(2);
	}
}

static void fx_close(logfx *x)
{
	sh_audit_close(&x->log);
	sh_store_close(&x->st);
}

/* Close and open the log again, as a restart does. */
static int reopen(logfx *x)
{
	sh_audit_close(&x->log);
	return log_open(x);
}

/* Append `count` entries, `per_txn` to a commit (0: a varying number). */
static void append(logfx *x, uint64_t count, unsigned per_txn)
{
	char detail[64];
	uint64_t done = 0;
	unsigned turn = 0;
	while (done < count) {
		unsigned in_txn = per_txn ? per_txn : 1 + (turn * 7) % 23;
		turn++;
		CHECK_ERR(sh_store_begin(x->st), SH_OK);
		for (unsigned j = 0; j < in_txn && done < count; j++, done++) {
			Seinhuis__AuditEntry e = SEINHUIS__AUDIT_ENTRY__INIT;
			uint64_t at = sh_audit_size(x->log);
			e.event = at % 2
			              ? SEINHUIS__AUDIT_EVENT__AUDIT_SENT
			              : SEINHUIS__AUDIT_EVENT__AUDIT_ACCEPTED;
			e.outcome = "ok";
			snprintf(detail, sizeof(detail), "test entry %llu",
			         (unsigned long long)at);
			e.detail = detail;
			e.time_us = 1790000000000000 + (int64_t)at;
			CHECK_ERR(sh_audit_append(x->log, &e), SH_OK);
		}
		CHECK_ERR(sh_store_commit(x->st), SH_OK);
	}
}

static void sign_head(logfx *x)
{
	CHECK_ERR(sh_store_begin(x->st), SH_OK);
	CHECK_ERR(sh_audit_sign_head(x->log, &self, 1790000000000), SH_OK);
	CHECK_ERR(sh_store_commit(x->st), SH_OK);
}

/* The reference tree of the entries as stored. */
static void ref_build(logfx *x, reftree *t)
{
	MDB_txn *txn = sh_store_read_begin(x->st);
	memset(&t->f, 0, sizeof(t->f));
	t->n = sh_audit_size(x->log);
	for (uint64_t i = 0; i < t->n; i++) {
		sh_buf b = {0};
		uint8_t leaf[32];
		CHECK_ERR(sh_audit_entry(x->log, txn, i, &b), SH_OK);
		sh_merkle_leaf(leaf, b.data, b.len);
		sh_merkle_push(&t->f, leaf, ref_keep, t);
		sh_buf_free(&b);
	}
	sh_store_read_end(x->st, txn);
}

static Seinhuis__AuditVerifyResult verify(logfx *x)
{
	Seinhuis__AuditVerifyResult r;
	sh_audit_keys keys;
	sh_audit_keys_init(&keys, &self.card);
	MDB_txn *txn = sh_store_read_begin(x->st);
	CHECK_ERR(sh_audit_verify(x->log, txn, &keys, &r), SH_OK);
	sh_store_read_end(x->st, txn);
	return r;
}

static int verifies(logfx *x)
{
	Seinhuis__AuditVerifyResult r = verify(x);
	int ok = r.ok;
	if (!ok)
		printf("     verify: %s\n", r.problem);
	sh_audit_verify_free(&r);
	return ok;
}

/* Verify fails; with want_bad >= 0, naming that entry first. */
static void fails(logfx *x, long long want_bad, const char *says)
{
	Seinhuis__AuditVerifyResult r = verify(x);
	CHECK(!r.ok);
	if (want_bad >= 0) {
		CHECK(r.has_bad_entry);
		CHECK_INT(r.first_bad_entry, want_bad);
	} else {
		CHECK(!r.has_bad_entry);
	}
	if (says)
		CHECK_HAS(r.problem, says);
	sh_audit_verify_free(&r);
}

/* Which sizes n, and which m for a size, same_proofs() asks about: all
 * of a small tree; of a large one the sizes around powers of two and a
 * sample, and for each the first and last 18 entries and a sample. */
static int asked_size(uint64_t n, uint64_t total)
{
	if (total <= 70 || n <= 40 || n + 1 >= total || n % 37 == 0)
		return 1;
	for (uint64_t p = 64; p <= total; p <<= 1)
		if (n + 1 >= p && n <= p + 1)
			return 1;
	return 0;
}

static int asked_index(uint64_t m, uint64_t n)
{
	return n <= 70 || m <= 17 || m + 18 >= n || m % 13 == 0;
}

/* Every proof the log gives against the reference's. */
static void same_proofs(logfx *x, const reftree *t)
{
	uint8_t got[SH_MERKLE_MAX_PATH][32], want[SH_MERKLE_MAX_PATH][32];
	size_t glen, wlen;
	MDB_txn *txn = sh_store_read_begin(x->st);
	uint64_t mismatched = 0, asked = 0;
	for (uint64_t n = 1; n <= t->n; n++) {
		if (!asked_size(n, t->n))
			continue;
		for (uint64_t m = 0; m <= n; m++) {
			if (!asked_index(m, n))
				continue;
			asked++;
			if (m < n) {
				sh_err ge = sh_audit_prove_inclusion(
				    x->log, txn, m, n, got, &glen);
				sh_err we = sh_merkle_inclusion_proof(
				    ref_get, (void *)t, m, n, want, &wlen);
				if (ge != SH_OK || we != SH_OK ||
				    glen != wlen ||
				    memcmp(got, want, 32 * glen) != 0) {
					check_case("inclusion %llu in %llu",
					           (unsigned long long)m,
					           (unsigned long long)n);
					CHECK_ERR(ge, SH_OK);
					CHECK_ERR(we, SH_OK);
					CHECK_INT(glen, wlen);
					mismatched++;
				}
			}
			sh_err ge = sh_audit_prove_consistency(x->log, txn, m,
			                                       n, got, &glen);
			sh_err we = sh_merkle_consistency_proof(
			    ref_get, (void *)t, m, n, want, &wlen);
			if (ge != SH_OK || we != SH_OK || glen != wlen ||
			    memcmp(got, want, 32 * glen) != 0) {
				check_case("consistency %llu -> %llu",
				           (unsigned long long)m,
				           (unsigned long long)n);
				CHECK_ERR(ge, SH_OK);
				CHECK_ERR(we, SH_OK);
				CHECK_INT(glen, wlen);
				mismatched++;
			}
		}
	}
	check_case("proofs of a tree of %llu", (unsigned long long)t->n);
	CHECK_INT(mismatched, 0);
	CHECK(asked > 0);
	/* Beyond the committed tree nothing is proved. */
	CHECK_ERR(
	    sh_audit_prove_inclusion(x->log, txn, 0, t->n + 1, got, &glen),
	    SH_ERR_NOTFOUND);
	sh_store_read_end(x->st, txn);
	check_case("%s", "");
}

static void same_root(logfx *x, const reftree *t)
{
	uint8_t want[32];
	Seinhuis__AuditVerifyResult r = verify(x);
	sh_merkle_root(&t->f, want);
	check_case("root of %llu", (unsigned long long)t->n);
	CHECK(r.ok);
	CHECK_INT(r.entries, t->n);
	if (CHECK_INT(r.root_hash.len, 32))
		CHECK_MEM(r.root_hash.data, want, 32);
	sh_audit_verify_free(&r);
	check_case("%s", "");
}

/* Nodes stored per level. */
static void count_nodes(logfx *x, uint64_t per_level[64])
{
	MDB_txn *txn = sh_store_read_begin(x->st);
	MDB_cursor *cur;
	MDB_val k, v;
	memset(per_level, 0, 64 * sizeof(uint64_t));
	mdb_cursor_open(txn, x->dbi[1], &cur);
	for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		if (k.mv_size == 9 && ((uint8_t *)k.mv_data)[0] < 64)
			per_level[((uint8_t *)k.mv_data)[0]]++;
	mdb_cursor_close(cur);
	sh_store_read_end(x->st, txn);
}

/* ------------------------------------------------- direct changes */

static void node_key(uint8_t k[9], unsigned level, uint64_t index)
{
	k[0] = (uint8_t)level;
	for (int i = 8; i >= 1; i--, index >>= 8)
		k[i] = (uint8_t)index;
}

static void put_node(logfx *x, unsigned level, uint64_t index,
                     const uint8_t h[32])
{
	uint8_t kb[9];
	node_key(kb, level, index);
	MDB_val k = {9, kb}, v = {32, (void *)h};
	CHECK_INT(mdb_put(sh_store_txn(x->st), x->dbi[1], &k, &v, 0), 0);
}

static void old_node(void *ctx, unsigned level, uint64_t index,
                     const uint8_t h[32])
{
	put_node(ctx, level, index, h);
}

/* Rewrite the log as the version before STORED_LEVEL left it: every node
 * of every level, and no right edge record. The log is closed meanwhile,
 * like a stopped daemon's. */
static void make_old(logfx *x)
{
	reftree *t = malloc(sizeof(*t));
	ref_build(x, t);
	sh_audit_close(&x->log);
	sh_merkle_frontier f = {0};
	CHECK_ERR(sh_store_begin(x->st), SH_OK);
	MDB_txn *txn = sh_store_txn(x->st);
	for (uint64_t i = 0; i < t->n; i++)
		sh_merkle_push(&f, t->node[0][i], old_node, x);
	MDB_val ek = {4, "edge"};
	CHECK_INT(mdb_del(txn, x->dbi[3], &ek, NULL), 0);
	CHECK_ERR(sh_store_commit(x->st), SH_OK);
	CHECK(log_open(x));
	free(t);
}

/* Change entry j's detail (it still decodes and names its index). */
static void change_entry(logfx *x, uint64_t j)
{
	uint8_t kb[8];
	for (int i = 7; i >= 0; i--)
		kb[i] = (uint8_t)(j >> (8 * (7 - i)));
	sh_audit_close(&x->log);
	CHECK_ERR(sh_store_begin(x->st), SH_OK);
	MDB_txn *txn = sh_store_txn(x->st);
	MDB_val k = {8, kb}, v;
	CHECK_INT(mdb_get(txn, x->dbi[0], &k, &v), 0);
	Seinhuis__AuditEntry *e =
	    seinhuis__audit_entry__unpack(NULL, v.mv_size, v.mv_data);
	CHECK(e != NULL);
	char *was = e->detail;
	e->detail = "changed afterwards";
	size_t n = seinhuis__audit_entry__get_packed_size(e);
	uint8_t *buf = malloc(n);
	seinhuis__audit_entry__pack(e, buf);
	e->detail = was;
	seinhuis__audit_entry__free_unpacked(e, NULL);
	MDB_val nv = {n, buf};
	CHECK_INT(mdb_put(txn, x->dbi[0], &k, &nv, 0), 0);
	CHECK_ERR(sh_store_commit(x->st), SH_OK);
	free(buf);
	CHECK(log_open(x));
}

/* Flip a bit of a stored node (level, index); the log closed meanwhile. */
static void change_node(logfx *x, unsigned level, uint64_t index)
{
	uint8_t kb[9], h[32];
	node_key(kb, level, index);
	sh_audit_close(&x->log);
	CHECK_ERR(sh_store_begin(x->st), SH_OK);
	MDB_val k = {9, kb}, v;
	if (CHECK_INT(mdb_get(sh_store_txn(x->st), x->dbi[1], &k, &v), 0) &&
	    v.mv_size == 32) {
		memcpy(h, v.mv_data, 32);
		h[9] ^= 0x10;
		put_node(x, level, index, h);
	}
	CHECK_ERR(sh_store_commit(x->st), SH_OK);
	CHECK(log_open(x));
}

static void delete_node(logfx *x, unsigned level, uint64_t index)
{
	uint8_t kb[9];
	node_key(kb, level, index);
	sh_audit_close(&x->log);
	CHECK_ERR(sh_store_begin(x->st), SH_OK);
	MDB_val k = {9, kb};
	CHECK_INT(mdb_del(sh_store_txn(x->st), x->dbi[1], &k, NULL), 0);
	CHECK_ERR(sh_store_commit(x->st), SH_OK);
	CHECK(log_open(x));
}

/* The "edge" record: flip a bit of its last hash, or delete it. Returns
 * whether the log opens afterwards. */
static int change_edge(logfx *x, int remove)
{
	sh_audit_close(&x->log);
	CHECK_ERR(sh_store_begin(x->st), SH_OK);
	MDB_txn *txn = sh_store_txn(x->st);
	MDB_val k = {4, "edge"}, v;
	if (remove) {
		CHECK_INT(mdb_del(txn, x->dbi[3], &k, NULL), 0);
	} else if (CHECK_INT(mdb_get(txn, x->dbi[3], &k, &v), 0)) {
		uint8_t buf[200];
		if (CHECK(v.mv_size > 8 && v.mv_size <= sizeof(buf))) {
			memcpy(buf, v.mv_data, v.mv_size);
			buf[v.mv_size - 1] ^= 0x01;
			MDB_val nv = {v.mv_size, buf};
			CHECK_INT(mdb_put(txn, x->dbi[3], &k, &nv, 0), 0);
		}
	}
	CHECK_ERR(sh_store_commit(x->st), SH_OK);
	return log_open(x);
}

/* --------------------------------------------------------------- tests */

static reftree ref; /* large: static */

static void proofs_match(void)
{
	static const uint64_t sizes[] = {1, 2, 15, 16, 17, 33, 1000};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		logfx x;
		uint64_t n = sizes[s], levels[64];
		fx_open(&x);
		/* Half, a restart, the rest: the frontier comes back from
		 * the stored nodes and the right edge. */
		append(&x, n / 2, 0);
		CHECK(reopen(&x));
		append(&x, n - n / 2, n > 100 ? 0 : 1);
		check_case("log of %llu", (unsigned long long)n);
		CHECK_INT(sh_audit_size(x.log), n);
		CHECK(reopen(&x));
		CHECK_INT(sh_audit_size(x.log), n);
		ref_build(&x, &ref);
		same_root(&x, &ref);
		same_proofs(&x, &ref);
		/* Only nodes of 16 entries and more are stored, all of
		 * them. */
		count_nodes(&x, levels);
		check_case("nodes stored for %llu", (unsigned long long)n);
		for (unsigned l = 0; l < 64; l++)
			CHECK_INT(levels[l], l < 4 ? 0 : n >> l);
		/* The same log in the old layout: the same proofs. */
		make_old(&x);
		count_nodes(&x, levels);
		CHECK_INT(levels[0], n);
		same_root(&x, &ref);
		same_proofs(&x, &ref);
		fx_close(&x);
	}
	check_case("%s", "");
}

static void old_layout(void)
{
	logfx x;
	fx_open(&x);
	append(&x, 45, 0);
	sign_head(&x);
	make_old(&x);
	check_case("%s", "old layout, as left");
	CHECK(verifies(&x));
	/* The old layout's tampering, named as before. */
	change_entry(&x, 21);
	fails(&x, 21, "entry 21 was changed after it was written");
	/* Back to the old layout's good state for each case. */
	fx_close(&x);

	fx_open(&x);
	append(&x, 45, 0);
	sign_head(&x);
	make_old(&x);
	change_node(&x, 2, 3); /* entries 12..15 */
	fails(&x, -1, "stored hash of entries 12 to 15 differs");
	fx_close(&x);

	fx_open(&x);
	append(&x, 45, 0);
	make_old(&x);
	change_node(&x, 0, 44); /* the last leaf hash */
	fails(&x, 44, "entry 44 was changed");
	fx_close(&x);

	fx_open(&x);
	append(&x, 45, 0);
	make_old(&x);
	change_node(&x, 5, 0);
	fails(&x, -1, "stored hash of entries 0 to 31 differs");
	fx_close(&x);

	/* An old log goes on under this version: new entries have no leaf
	 * hash of their own, the old ones keep theirs. */
	fx_open(&x);
	append(&x, 45, 0);
	sign_head(&x);
	make_old(&x);
	append(&x, 30, 0);
	sign_head(&x);
	check_case("%s", "old layout, continued");
	CHECK(verifies(&x));
	CHECK(reopen(&x));
	CHECK(verifies(&x));
	ref_build(&x, &ref);
	same_root(&x, &ref);
	same_proofs(&x, &ref);
	/* An old entry is still named exactly, a new one by its block
	 * (entries 48..63 are both: 45..47 have leaf hashes). */
	change_entry(&x, 50);
	fails(&x, 48, "entries 48 to 63 do not match");
	fx_close(&x);
	check_case("%s", "");
}

static void tampering(void)
{
	logfx x;
	/* 100 entries: blocks 0..5 complete, 96..99 under the right edge
	 * (a subtree of 4). */
	fx_open(&x);
	append(&x, 100, 0);
	sign_head(&x);
	check_case("%s", "untouched");
	CHECK(verifies(&x));
	change_entry(&x, 37);
	check_case("%s", "entry 37 changed");
	fails(&x, 32, "entries 32 to 47 do not match");
	fx_close(&x);

	fx_open(&x);
	append(&x, 100, 0);
	sign_head(&x);
	change_entry(&x, 98);
	check_case("%s", "entry 98 changed (right edge)");
	fails(&x, 96, "entries 96 to 99 do not match");
	fx_close(&x);

	fx_open(&x);
	append(&x, 100, 0);
	change_node(&x, 4, 2);
	check_case("%s", "node of 32..47 changed");
	fails(&x, 32, "entries 32 to 47 do not match");
	fx_close(&x);

	fx_open(&x);
	append(&x, 100, 0);
	change_node(&x, 6, 0);
	check_case("%s", "node of 0..63 changed");
	fails(&x, 0, "entries 0 to 63 do not match");
	fx_close(&x);

	fx_open(&x);
	append(&x, 100, 0);
	delete_node(&x, 5, 1);
	check_case("%s", "node of 32..63 removed");
	fails(&x, -1, "no stored hash of entries 32 to 63");
	fx_close(&x);

	fx_open(&x);
	append(&x, 100, 0);
	check_case("%s", "right edge changed");
	CHECK(change_edge(&x, 0));
	fails(&x, 96, "entries 96 to 99 do not match");
	/* A log that goes on from a changed edge stays caught. */
	append(&x, 40, 0);
	fails(&x, 96, "entries 96 to 111 do not match");
	fx_close(&x);

	fx_open(&x);
	append(&x, 100, 0);
	check_case("%s", "right edge removed");
	CHECK(!change_edge(&x, 1));
	x.log = NULL;
	fx_close(&x);

	/* A log of a multiple of 16 needs no edge. */
	fx_open(&x);
	append(&x, 96, 0);
	check_case("%s", "no edge at 96");
	CHECK(change_edge(&x, 1));
	CHECK(verifies(&x));
	fx_close(&x);

	/* A head in the middle of a block, an entry below it changed: the
	 * block's node names the entries, not just the head. */
	fx_open(&x);
	append(&x, 40, 0);
	sign_head(&x);
	append(&x, 30, 0);
	sign_head(&x);
	change_entry(&x, 35);
	check_case("%s", "entry 35 changed below the head at 40");
	fails(&x, 32, "entries 32 to 47 do not match");
	fx_close(&x);

	/* The same with the entry under the right edge at the head. */
	fx_open(&x);
	append(&x, 40, 0);
	sign_head(&x);
	change_entry(&x, 38);
	check_case("%s", "entry 38 changed below the last head");
	fails(&x, 32, "entries 32 to 39 do not match");
	fx_close(&x);

	/* Entries and stored hashes rewritten alike: the head tells. */
	fx_open(&x);
	append(&x, 40, 0);
	sign_head(&x);
	change_entry(&x, 3);
	{
		reftree *t = malloc(sizeof(*t));
		ref_build(&x, t);
		sh_audit_close(&x.log);
		CHECK_ERR(sh_store_begin(x.st), SH_OK);
		sh_merkle_frontier f = {0};
		for (uint64_t i = 0; i < t->n; i++)
			sh_merkle_push(&f, t->node[0][i], NULL, NULL);
		uint8_t b[8 + 32 * 4];
		size_t n = 8;
		for (int i = 7; i >= 0; i--)
			b[i] = (uint8_t)(t->n >> (8 * (7 - i)));
		for (unsigned l = 0; l < 4; l++)
			if ((t->n >> l) & 1) {
				memcpy(b + n, f.hash[l], 32);
				n += 32;
			}
		put_node(&x, 4, 0, t->node[4][0]);
		put_node(&x, 5, 0, t->node[5][0]);
		MDB_val k = {4, "edge"}, v = {n, b};
		CHECK_INT(mdb_put(sh_store_txn(x.st), x.dbi[3], &k, &v, 0), 0);
		CHECK_ERR(sh_store_commit(x.st), SH_OK);
		CHECK(log_open(&x));
		free(t);
	}
	check_case("%s", "entry 3 and the stored hashes rewritten");
	fails(&x, -1, "the tree head at size 40");
	fx_close(&x);
	check_case("%s", "");
}

static void transactions(void)
{
	logfx x;
	fx_open(&x);
	append(&x, 37, 0);
	sign_head(&x);
	/* Verify within the open transaction that appended: the size and
	 * edge are not stored yet, the ones in memory count. */
	CHECK_ERR(sh_store_begin(x.st), SH_OK);
	Seinhuis__AuditEntry e = SEINHUIS__AUDIT_ENTRY__INIT;
	e.event = SEINHUIS__AUDIT_EVENT__AUDIT_STOPPED;
	e.outcome = "stopped";
	for (int i = 0; i < 5; i++)
		CHECK_ERR(sh_audit_append(x.log, &e), SH_OK);
	check_case("%s", "within the transaction");
	CHECK(verifies(&x));
	/* An aborted transaction leaves size and edge as they were. */
	sh_store_abort(x.st);
	CHECK_INT(sh_audit_size(x.log), 37);
	CHECK(verifies(&x));
	CHECK(reopen(&x));
	CHECK_INT(sh_audit_size(x.log), 37);
	CHECK(verifies(&x));
	/* A transaction that only signs a head writes no state. */
	sign_head(&x);
	CHECK(reopen(&x));
	CHECK(verifies(&x));
	append(&x, 3, 1);
	CHECK(reopen(&x));
	CHECK_INT(sh_audit_size(x.log), 40);
	CHECK(verifies(&x));
	ref_build(&x, &ref);
	same_root(&x, &ref);
	fx_close(&x);
	check_case("%s", "");
}

static sh_err head_check(logfx *x, sh_audit_head_rec *rec)
{
	MDB_txn *txn = sh_store_read_begin(x->st);
	sh_err e = sh_audit_head_file_check(x->log, txn, rec);
	sh_store_read_end(x->st, txn);
	return e;
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		printf("cannot write %s\n", path);
		exit(2);
	}
}

/* The head file: written with each committed head (not an aborted one),
 * and a log compared with it: extends it (no rollback), holds fewer
 * entries (rolled back), holds others under it (replaced); none or
 * unreadable is said so. */
static void head_file(void)
{
	logfx x;
	sh_audit_head_rec rec;
	char path[800], text[200], hex[65];
	uint8_t root[32];
	fx_open(&x);
	snprintf(path, sizeof(path), "%s/audit-head", x.dir);
	check_case("%s", "head file: none set, none there");
	CHECK_ERR(head_check(&x, &rec), SH_ERR_NOTFOUND);
	sh_audit_set_head_file(x.log, path);
	CHECK_ERR(head_check(&x, &rec), SH_ERR_NOTFOUND);
	append(&x, 21, 0);
	check_case("%s", "head file: an aborted head writes none");
	CHECK_ERR(sh_store_begin(x.st), SH_OK);
	CHECK_ERR(sh_audit_sign_head(x.log, &self, 1790000000000), SH_OK);
	sh_store_abort(x.st);
	CHECK(access(path, F_OK) != 0);
	check_case("%s", "head file: written with a committed head");
	sign_head(&x);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK_ERR(head_check(&x, &rec), SH_OK);
	CHECK_INT(rec.size, 21);
	CHECK_INT(rec.time_ms, 1790000000000);
	CHECK_INT(rec.rolled_back, 0);
	MDB_txn *txn = sh_store_read_begin(x.st);
	CHECK_ERR(sh_audit_root_at(x.log, txn, 21, root), SH_OK);
	sh_store_read_end(x.st, txn);
	CHECK(memcmp(root, rec.root, 32) == 0);
	check_case("%s", "head file: a log that grew extends it");
	append(&x, 30, 0);
	CHECK(reopen(&x));
	sh_audit_set_head_file(x.log, path);
	CHECK_ERR(head_check(&x, &rec), SH_OK);
	CHECK_INT(rec.size, 21);
	CHECK_INT(rec.rolled_back, 0);
	check_case("%s", "head file: a head beyond the log is a rollback");
	sh_hex(hex, root, 32);
	snprintf(text, sizeof(text), "52 %s 1790000000000\n", hex);
	put_file(path, text);
	CHECK_ERR(head_check(&x, &rec), SH_OK);
	CHECK_INT(rec.size, 52);
	CHECK_INT(rec.rolled_back, 1);
	check_case("%s", "head file: other entries under the head");
	root[5] ^= 1;
	sh_hex(hex, root, 32);
	snprintf(text, sizeof(text), "21 %s 1790000000000\n", hex);
	put_file(path, text);
	CHECK_ERR(head_check(&x, &rec), SH_OK);
	CHECK_INT(rec.rolled_back, 1);
	check_case("%s", "head file: unreadable ones");
	static const char *const bad[] = {
	    "",
	    "21\n",
	    "x 00 1\n",
	    "21 abc 1790000000000\n",
	    "21 "
	    "ZZ00000000000000000000000000000000000000000000000000000000000000 "
	    "1\n",
	    "21 "
	    "0000000000000000000000000000000000000000000000000000000000000000 "
	    "1 extra\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_file(path, bad[i]);
		CHECK_ERR(head_check(&x, &rec), SH_ERR_WIRE_DECODE);
	}
	check_case("%s", "");
	fx_close(&x);
}

/* sh_audit_entry_write gives protobuf-c's bytes: every field alone at
 * the edges of its type (zero, small, negative, large, empty), then
 * pseudo-random entries with any mix of fields. */
static void entry_bytes(void)
{
	static const int64_t nums[] = {
	    0,  1,         127,       128,       16383,     16384,
	    -1, INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX, 1790000000123456};
	static const char *const strs[] = {NULL, "", "a", "delivered",
	                                   "x\xc3\xa9y"};
	uint8_t blob[300];
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 37 + 1);
	uint64_t r = 0x243f6a8885a308d3u;
	for (int round = 0; round < 3000; round++) {
		Seinhuis__AuditEntry e = SEINHUIS__AUDIT_ENTRY__INIT;
		/* round < 17 * 12: field round/12 alone, value round%12;
		 * then random mixes */
		for (unsigned f = 1; f <= 17; f++) {
			r = r * 6364136223846793005u + 1442695040888963407u;
			unsigned pick = (unsigned)(r >> 33);
			if (round < 17 * 12 ? f != (unsigned)round / 12 + 1
			                    : pick % 3 == 0)
				continue;
			unsigned k =
			    round < 17 * 12 ? (unsigned)round % 12 : pick >> 2;
			int64_t v = nums[k % 12];
			const char *s = strs[k % 5];
			size_t bl = k % 5 == 0 ? 0 : (k * 7) % sizeof(blob);
			switch (f) {
			case 1: e.index = (uint64_t)v; break;
			case 2: e.time_us = v; break;
			case 3:
				e.event = (Seinhuis__AuditEvent)(int32_t)v;
				break;
			case 4: e.outcome = (char *)s; break;
			case 5: e.rule = (char *)s; break;
			case 6:
				e.message_id.data = blob;
				e.message_id.len = bl;
				break;
			case 7: e.partner = (char *)s; break;
			case 8:
				e.type = (Seinhuis__SignalType)(int32_t)v;
				break;
			case 9:
				e.subject.data = blob;
				e.subject.len = bl;
				break;
			case 10:
				e.case_key.data = blob + 1;
				e.case_key.len = bl ? bl - 1 : 0;
				break;
			case 11: e.legal_basis = (char *)s; break;
			case 12: e.user = (char *)s; break;
			case 13: e.uid = (uint32_t)v; break;
			case 14: e.role = (char *)s; break;
			case 15: e.reason = (char *)s; break;
			case 16: e.detail = (char *)s; break;
			case 17:
				e.household.data = blob + 2;
				e.household.len = bl > 1 ? bl - 2 : 0;
				break;
			}
		}
		/* protobuf-c's string fields are never NULL once set */
		const char **sp[] = {
		    (const char **)&e.outcome, (const char **)&e.rule,
		    (const char **)&e.partner, (const char **)&e.legal_basis,
		    (const char **)&e.user,    (const char **)&e.role,
		    (const char **)&e.reason,  (const char **)&e.detail};
		for (size_t i = 0; i < sizeof(sp) / sizeof(sp[0]); i++)
			if (!*sp[i] && (round & 1))
				*sp[i] = NULL;
			else if (!*sp[i])
				*sp[i] = "";
		/* field 18, repeated: none, one, or several (an empty
		 * one among them) */
		ProtobufCBinaryData others[3] = {
		    {32, blob}, {0, NULL}, {32, blob + 3}};
		e.n_other_persons = round < 17 * 12 ? 0 : (size_t)round % 4;
		e.other_persons = e.n_other_persons ? others : NULL;
		if (e.n_other_persons == 3)
			others[1] = (ProtobufCBinaryData){0, NULL};
		else if (e.n_other_persons == 2)
			others[1] = (ProtobufCBinaryData){32, blob + 7};
		size_t want = seinhuis__audit_entry__get_packed_size(&e);
		size_t got = sh_audit_entry_write(&e, NULL);
		uint8_t *w = malloc(want + 1), *g = malloc(got + 1);
		seinhuis__audit_entry__pack(&e, w);
		size_t wrote = sh_audit_entry_write(&e, g);
		check_case("entry %d", round);
		if (!CHECK_INT(got, want) || !CHECK_INT(wrote, got) ||
		    !CHECK(memcmp(w, g, want) == 0)) {
			free(w);
			free(g);
			break;
		}
		free(w);
		free(g);
	}
	check_case("%s", "");
}

/* What a reveal's reason may hold: it is kept verbatim in the log. */
static void reveal_reasons(void)
{
	static const char *const ok[] = {
	    "contact the resident about debt help",
	    "huisbezoek gepland, adres nodig",
	    "call back before 12:00 on day 3",
	    "case 2026 step 4",
	    "team 12-34",
	    "2 decisions pending in May",
	    "call in week 12 of the intake",
	    "mevrouw heeft gebeld, terugbellen",
	    "gesprek met de heer over de huur",
	    "Mw. wil hulp bij de aanvraag",
	    "team IR intake",
	    "bel Dr",
	    "overleg via MS Teams",
	    "betaling via ING Bank",
	    "gesprek met mevrouw. Daarna Overleg",
	    "op weg 2 keer gebeld",
	    "overleg met wijkteam Oost, 3 dagen",
	    "look at the case, dot the i's",
	    "uitkering 2 maanden achter",
	    "zorgverzekering 3 maanden",
	    "vordering 2 van de verhuurder",
	    "onderweg 2 keer gebeld",
	    "look at the file. Then call",
	};
	static const char *const bad[] = {
	    "called from 06 12345678",
	    "06 1234 5678",
	    "06-1234-5678",
	    "bsn 123.456.782",
	    "bsn 123 456 782",
	    "born 1980-05-12",
	    "born 12/05/1980",
	    "ref 12345",
	    "mail j.jansen@example.nl",
	    "lives at 1234 AB",
	    "lives at 1234AB",
	    "lives at 1234-AB",
	    "born 1-1-80",
	    "born 5/3/71",
	    "born 12 mei 1980",
	    "born May 12",
	    "3 maart",
	    "ab",
	    "tab\there",
	    "bellen met mw. Jansen",
	    "bellen met mw Jansen",
	    "huisbezoek bij de heer De Vries",
	    "afspraak met dhr. J. Bakker",
	    "mevrouw van der Berg belt terug",
	    "gesprek met fam. Yilmaz",
	    "call Mrs Smith back",
	    "meneer \xc3\x96zdemir",
	    "contact Bakker, Molenweg 43 Waterdam",
	    "huisbezoek Kerkstraat 1a",
	    "bezoek aan de Stationsplein 12",
	    "client.bakker at gmail dot com",
	    "bakker apenstaartje ziggo punt nl",
	    "contact Bakker, Molenweg, 43",
	    "huisbezoek Molenweg nr. 43",
	    "huisbezoek Kerkstr. 1",
	    "bakker at gmail.com",
	    "bakker (at) gmail (dot) com",
	};
	char why[300];
	check_case("reveal reasons");
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!CHECK(sh_reveal_reason_ok(ok[i], why, sizeof(why))))
			printf("     '%s' refused: %s\n", ok[i], why);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (!CHECK(!sh_reveal_reason_ok(bad[i], why, sizeof(why))))
			printf("     '%s' accepted\n", bad[i]);
		CHECK(why[0] != '\0');
	}
	/* a name after 90 short words (a reason of 190 bytes) and a date
	 * after them: every word of a reason is looked at */
	char longer[201] = "";
	for (int i = 0; i < 90; i++)
		strcat(longer, "a ");
	strcat(longer, "mw. Jansen");
	CHECK(!sh_reveal_reason_ok(longer, why, sizeof(why)));
	longer[180] = '\0';
	strcat(longer, "12 mei");
	CHECK(!sh_reveal_reason_ok(longer, why, sizeof(why)));
}

/* Whose head is it (witness.c keeps partners' heads and checks its own
 * coming back): the card's partner, signed with its key or, during a key
 * change, the previous one; nothing else. */
static void head_signer(void)
{
	logfx x;
	fx_open(&x);
	append(&x, 5, 5);
	sign_head(&x);
	MDB_txn *rt = sh_store_read_begin(x.st);
	Seinhuis__SignedTreeHead *h = NULL;
	CHECK_ERR(sh_audit_get_head(x.log, rt, 0, &h), SH_OK);
	sh_store_read_end(x.st, rt);
	if (!CHECK(h != NULL)) {
		fx_close(&x);
		return;
	}
	sh_card c = self.card;
	CHECK(sh_tree_head_signed_by(h, &c));
	snprintf(c.partner, sizeof(c.partner), "someone-else");
	CHECK(!sh_tree_head_signed_by(h, &c)); /* another partner's card */
	c = self.card;
	uint8_t other_sec[32];
	sh_ed25519_keygen(c.sign_pub, other_sec);
	CHECK(!sh_tree_head_signed_by(h, &c)); /* a key it never had */
	memcpy(c.prev_sign, self.card.sign_pub, 32);
	c.has_prev = 1;
	c.prev_until = h->timestamp_ms / 1000 + 60;
	CHECK(sh_tree_head_signed_by(h, &c)); /* its previous key */
	c.prev_until = h->timestamp_ms / 1000;
	CHECK(!sh_tree_head_signed_by(h, &c)); /* ... signed after its end */
	c = self.card;
	h->signature.data[5] ^= 1;
	CHECK(!sh_tree_head_signed_by(h, &c)); /* a changed signature */
	h->signature.data[5] ^= 1;
	h->tree_size++;
	CHECK(!sh_tree_head_signed_by(h, &c)); /* a changed size */
	h->tree_size--;
	h->sign_key.len = 31;
	CHECK(!sh_tree_head_signed_by(h, &c)); /* a key of another length */
	h->sign_key.len = 32;
	CHECK(sh_tree_head_signed_by(h, &c));
	seinhuis__signed_tree_head__free_unpacked(h, NULL);
	sh_wipe(other_sec, sizeof(other_sec));
	fx_close(&x);
}

/* audit verify takes a head only if a key of the partner's own card
 * lineage signed it: the card's, the previous one it names, an earlier
 * card's given; a head signed with any other key fails, naming it. */
static void verify_signers(void)
{
	logfx x;
	sh_identity other = self;
	Seinhuis__AuditVerifyResult r;
	sh_audit_keys keys;
	char fp[17];
	fx_open(&x);
	append(&x, 20, 7);
	sign_head(&x); /* self's key */
	sh_ed25519_keygen(other.card.sign_pub, other.sign_sec);
	sh_key_fingerprint(fp, other.card.sign_pub);
	append(&x, 5, 5);
	CHECK_ERR(sh_store_begin(x.st), SH_OK);
	CHECK_ERR(sh_audit_sign_head(x.log, &other, 1790000001000), SH_OK);
	CHECK_ERR(sh_store_commit(x.st), SH_OK);
	MDB_txn *txn = sh_store_read_begin(x.st);
	check_case("%s", "verify: a head signed with a key not of the card");
	fails(&x, -1, "is signed with key ");
	r = verify(&x);
	CHECK_HAS(r.problem, fp);
	CHECK_HAS(r.problem, "tree head at size 25");
	sh_audit_verify_free(&r);
	check_case("%s", "verify: the card's previous key signed the older");
	sh_card rotated = other.card;
	rotated.has_prev = 1;
	memcpy(rotated.prev_sign, self.card.sign_pub, 32);
	sh_audit_keys_init(&keys, &rotated);
	CHECK_ERR(sh_audit_verify(x.log, txn, &keys, &r), SH_OK);
	CHECK(r.ok);
	CHECK_INT(r.heads, 2);
	CHECK_HAS(r.problem, "1 tree heads are signed with an earlier key");
	sh_audit_verify_free(&r);
	check_case("%s",
	           "verify: two rotations on, only with the earlier card");
	sh_card third = rotated;
	uint8_t sec3[32];
	sh_ed25519_keygen(third.sign_pub, sec3);
	memcpy(third.prev_sign, other.card.sign_pub, 32);
	sh_audit_keys_init(&keys, &third);
	CHECK_ERR(sh_audit_verify(x.log, txn, &keys, &r), SH_OK);
	CHECK(!r.ok);
	CHECK_HAS(r.problem, "tree head at size 20");
	sh_audit_verify_free(&r);
	CHECK(sh_audit_keys_add_card(&keys, &third, &rotated));
	CHECK_ERR(sh_audit_verify(x.log, txn, &keys, &r), SH_OK);
	CHECK(r.ok);
	sh_audit_verify_free(&r);
	check_case("%s", "verify: another partner's card adds no key");
	snprintf(rotated.partner, sizeof(rotated.partner), "someone-else");
	sh_audit_keys_init(&keys, &third);
	CHECK(!sh_audit_keys_add_card(&keys, &third, &rotated));
	CHECK_ERR(sh_audit_verify(x.log, txn, &keys, &r), SH_OK);
	CHECK(!r.ok);
	sh_audit_verify_free(&r);
	check_case("%s", "");
	sh_store_read_end(x.st, txn);
	sh_wipe(&other, sizeof(other));
	sh_wipe(sec3, sizeof(sec3));
	fx_close(&x);
}

/* ------------------------------------------------ removal (audit_keep) */

static uint64_t remove_old(logfx *x, int64_t before_us, size_t max_blocks,
                           char *why, size_t wl)
{
	uint64_t from = 0, to = 0;
	CHECK_ERR(sh_store_begin(x->st), SH_OK);
	CHECK_ERR(sh_audit_remove_old(x->log, before_us, max_blocks, &from, &to,
	                              why, wl),
	          SH_OK);
	CHECK_ERR(sh_store_commit(x->st), SH_OK);
	return to;
}

/* A proof the log gave (ge, got) against the reference's (we, want):
 * refused (SH_ERR_NOTFOUND, counted) where it must be, else the same. */
static int proof_as_ref(int refuse, sh_err ge, const uint8_t (*got)[32],
                        size_t glen, sh_err we, const uint8_t (*want)[32],
                        size_t wlen, uint64_t *refused)
{
	if (refuse) {
		*refused += ge == SH_ERR_NOTFOUND;
		return ge == SH_ERR_NOTFOUND;
	}
	return ge == SH_OK && we == SH_OK && glen == wlen &&
	       memcmp(got, want, 32 * glen) == 0;
}

/* A new log of n entries and a head over them. */
static void fx_log(logfx *x, uint64_t n)
{
	fx_open(x);
	append(x, n, 0);
	sign_head(x);
}

/* Whole blocks of 16 go, oldest first, never past the latest head nor the
 * block of the last entry; every proof of what is kept is the reference's,
 * byte for byte, and everything that needs a removed entry is refused;
 * verify passes, checks the heads in the removed part and still finds a
 * changed entry; a changed block is not removed; start-up takes the
 * removal point. */
static void removal(void)
{
	const int64_t t0 = 1790000000000000; /* entry i's time: t0 + i */
	char why[300];
	logfx x;
	fx_log(&x, 37); /* a head at 37: in the part removed, not a multiple
	                 * of 16 */
	append(&x, 27, 0);
	sign_head(&x); /* at 64 */
	append(&x, 136, 0);
	ref_build(&x, &ref);
	check_case("%s", "no further than the latest head (64)");
	CHECK_INT(remove_old(&x, t0 + 1000, 100, why, sizeof(why)), 64);
	sign_head(&x); /* at 200 */
	check_case("%s", "two blocks a step, up to a block not older");
	CHECK_INT(remove_old(&x, t0 + 100, 2, why, sizeof(why)), 96);
	CHECK_INT(remove_old(&x, t0 + 100, 2, why, sizeof(why)), 96);
	CHECK_STR(why, "");
	MDB_txn *txn = sh_store_read_begin(x.st);
	CHECK_INT(sh_audit_removed(x.log, txn), 96);
	sh_buf b = {0};
	CHECK_ERR(sh_audit_entry(x.log, txn, 95, &b), SH_ERR_NOTFOUND);
	CHECK_ERR(sh_audit_entry(x.log, txn, 96, &b), SH_OK);
	sh_buf_free(&b);

	check_case("%s", "proofs after removing 0..95");
	uint8_t got[SH_MERKLE_MAX_PATH][32], want[SH_MERKLE_MAX_PATH][32];
	size_t glen, wlen;
	uint64_t bad = 0, refused = 0, asked = 0;
	for (uint64_t n = 1; n <= ref.n; n++) {
		int n_ok = n % 16 == 0 || n > 96;
		for (uint64_t m = 0; m <= n; m++, asked++) {
			if (m < n) {
				sh_err ge = sh_audit_prove_inclusion(
				    x.log, txn, m, n, got, &glen);
				sh_err we = sh_merkle_inclusion_proof(
				    ref_get, &ref, m, n, want, &wlen);
				if (!proof_as_ref(m < 96, ge, got, glen, we,
				                  want, wlen, &refused)) {
					check_case("inclusion %llu in %llu",
					           (unsigned long long)m,
					           (unsigned long long)n);
					bad++;
				}
			}
			sh_err ge = sh_audit_prove_consistency(x.log, txn, m, n,
			                                       got, &glen);
			sh_err we = sh_merkle_consistency_proof(
			    ref_get, &ref, m, n, want, &wlen);
			if (!proof_as_ref(!n_ok || (m % 16 && m <= 96), ge, got,
			                  glen, we, want, wlen, &refused)) {
				check_case("consistency %llu -> %llu",
				           (unsigned long long)m,
				           (unsigned long long)n);
				bad++;
			}
		}
	}
	CHECK_INT(bad, 0);
	CHECK(refused > 0 && refused < 2 * asked); /* two proofs an m */
	uint8_t root[32], rroot[32];
	CHECK_ERR(sh_audit_root_at(x.log, txn, 37, root), SH_ERR_NOTFOUND);
	CHECK_ERR(sh_audit_root_at(x.log, txn, 64, root), SH_OK);
	CHECK_ERR(sh_merkle_range(ref_get, &ref, 0, 64, rroot), SH_OK);
	CHECK_MEM(root, rroot, 32);
	CHECK(sh_audit_size_provable(x.log, txn, 97));
	CHECK(!sh_audit_size_provable(x.log, txn, 95));
	sh_store_read_end(x.st, txn);

	check_case("%s", "verify after removing 0..95");
	Seinhuis__AuditVerifyResult r = verify(&x);
	CHECK(r.ok);
	CHECK_INT(r.removed_entries, 96);
	CHECK_INT(r.entries, 200);
	CHECK_INT(r.heads, 2); /* 64 (from the stored nodes) and 200 */
	CHECK_INT(r.heads_not_recomputed, 1); /* 37 */
	sh_merkle_root(&ref.f, rroot);
	if (CHECK_INT(r.root_hash.len, 32))
		CHECK_MEM(r.root_hash.data, rroot, 32);
	sh_audit_verify_free(&r);

	check_case("%s", "reopened: no warning, goes on, verifies");
	char w[300];
	sh_audit_close(&x.log);
	CHECK_ERR(sh_audit_open(&x.log, x.st, PARTNER, why, sizeof(why), w,
	                        sizeof(w)),
	          SH_OK);
	CHECK_STR(w, "");
	append(&x, 20, 0);
	CHECK(verifies(&x));

	check_case("%s", "a changed entry after the removal point");
	change_entry(&x, 100);
	fails(&x, 96, "entries 96 to 111 do not match");
	sign_head(&x);
	CHECK_INT(remove_old(&x, t0 + 1000, 100, why, sizeof(why)), 96);
	CHECK_HAS(why, "entries 96 to 111 are not removed");
	fx_close(&x);

	check_case("%s", "an entry put back below the removal point");
	fx_log(&x, 40);
	CHECK_INT(remove_old(&x, t0 + 1000, 100, why, sizeof(why)), 32);
	CHECK(verifies(&x));
	CHECK_ERR(sh_store_begin(x.st), SH_OK);
	uint8_t kb[8] = {0, 0, 0, 0, 0, 0, 0, 5};
	MDB_val k = {8, kb}, v = {3, "abc"};
	CHECK_INT(mdb_put(sh_store_txn(x.st), x.dbi[0], &k, &v, 0), 0);
	CHECK_ERR(sh_store_commit(x.st), SH_OK);
	fails(&x, 5, "though the log records entries 0..31 as removed");
	fx_close(&x);

	check_case("%s", "never the block of the last entry");
	fx_log(&x, 32);
	CHECK_INT(remove_old(&x, t0 + 1000, 100, why, sizeof(why)), 16);
	CHECK(verifies(&x));
	fx_close(&x);
	check_case("%s", "");
}

int main(void)
{
	uint8_t pub[32];
	root_dir = fx_tmpdir("audit");
	memset(&self, 0, sizeof(self));
	snprintf(self.card.partner, sizeof(self.card.partner), "%s", PARTNER);
	sh_ed25519_keygen(pub, self.sign_sec);
	memcpy(self.card.sign_pub, pub, 32);
	entry_bytes();
	proofs_match();
	old_layout();
	tampering();
	transactions();
	head_file();
	head_signer();
	verify_signers();
	reveal_reasons();
	removal();
	fx_rm_rf(root_dir);
	free(root_dir);
	return check_done();
}
