/*
 * test_merkle - the audit log's Merkle tree (daemon/merkle.c) and tree
 * heads (daemon/audit.c).
 *
 * Known answers: the RFC 6962 test vectors that Certificate Transparency
 * implementations share (eight leaves "", 00, 10, 2021, 3031, 40414243,
 * 5051525354555657, 606162636465666768696a6b6c6d6e6f; the roots of the
 * first 1..8 of them, two audit paths and three consistency proofs). Then,
 * for every tree of 1 to 70 leaves: the incremental root equals the root
 * computed straight from the definition, every inclusion and consistency
 * proof verifies, and forged ones (a flipped bit, a missing or extra hash,
 * the wrong leaf, index or root, a changed earlier leaf) do not.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "check.h"

#define MAXLEAVES 130

static const char *vec_leaves[8] = {"",
                                    "00",
                                    "10",
                                    "2021",
                                    "3031",
                                    "40414243",
                                    "5051525354555657",
                                    "606162636465666768696a6b6c6d6e6f"};
static const char *vec_roots[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
static const struct {
	uint64_t m, n;
	const char *path[3];
	size_t len;
} vec_incl[] = {
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
     3},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"},
     3},
    {0, 1, {NULL}, 0}};
static const struct {
	uint64_t m, n;
	const char *path[3];
	size_t len;
} vec_cons[] = {
    {1, 1, {NULL}, 0},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
     3},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"},
     3},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"},
     2}};

/* A tree in memory: the leaf hashes, and every complete subtree that
 * sh_merkle_push reported, for the proof builders to ask for. */
typedef struct {
	uint8_t leaf[MAXLEAVES][32];
	uint8_t node[9][MAXLEAVES][32];
	int have[9][MAXLEAVES];
	sh_merkle_frontier f;
} tree;

static void keep_node(void *ctx, unsigned level, uint64_t index,
                      const uint8_t h[32])
{
	tree *t = ctx;
	if (level < 9 && index < MAXLEAVES) {
		memcpy(t->node[level][index], h, 32);
		t->have[level][index] = 1;
	}
}

static sh_err get_node(void *ctx, unsigned level, uint64_t index,
                       uint8_t out[32])
{
	tree *t = ctx;
	if (level >= 9 || index >= MAXLEAVES || !t->have[level][index])
		return SH_ERR_NOTFOUND;
	memcpy(out, t->node[level][index], 32);
	return SH_OK;
}

/* MTH(D[a:b]) straight from RFC 6962's definition. */
static void mth(const uint8_t (*leaf)[32], uint64_t a, uint64_t b,
                uint8_t out[32])
{
	if (b == a) {
		sh_merkle_empty(out);
	} else if (b - a == 1) {
		memcpy(out, leaf[a], 32);
	} else {
		uint64_t k = 1;
		while (2 * k < b - a)
			k *= 2;
		uint8_t l[32], r[32];
		mth(leaf, a, a + k, l);
		mth(leaf, a + k, b, r);
		sh_merkle_node(out, l, r);
	}
}

static void build(tree *t, size_t n, unsigned salt)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		char data[32];
		int len = snprintf(data, sizeof(data), "entry %zu/%u", i, salt);
		sh_merkle_leaf(t->leaf[i], data, (size_t)len);
		sh_merkle_push(&t->f, t->leaf[i], keep_node, t);
	}
}

static void vectors(void)
{
	tree *t = calloc(1, sizeof(*t));
	uint8_t root[32], want[32], path[SH_MERKLE_MAX_PATH][32];
	size_t len;

	sh_merkle_root(&t->f, root);
	sh_unhex(
	    want, 32,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_MEM(root, want, 32);
	for (int i = 0; i < 8; i++) {
		uint8_t data[16];
		size_t dl = strlen(vec_leaves[i]) / 2;
		sh_unhex(data, dl, vec_leaves[i]);
		sh_merkle_leaf(t->leaf[i], data, dl);
		sh_merkle_push(&t->f, t->leaf[i], keep_node, t);
		check_case("RFC 6962 vector root of %d leaves", i + 1);
		sh_merkle_root(&t->f, root);
		sh_unhex(want, 32, vec_roots[i]);
		CHECK_MEM(root, want, 32);
	}
	for (size_t v = 0; v < sizeof(vec_incl) / sizeof(vec_incl[0]); v++) {
		check_case("RFC 6962 vector audit path %llu in %llu",
		           (unsigned long long)vec_incl[v].m,
		           (unsigned long long)vec_incl[v].n);
		CHECK_ERR(sh_merkle_inclusion_proof(get_node, t, vec_incl[v].m,
		                                    vec_incl[v].n, path, &len),
		          SH_OK);
		CHECK_INT(len, vec_incl[v].len);
		for (size_t i = 0; i < len && i < vec_incl[v].len; i++) {
			sh_unhex(want, 32, vec_incl[v].path[i]);
			CHECK_MEM(path[i], want, 32);
		}
		sh_unhex(root, 32, vec_roots[vec_incl[v].n - 1]);
		CHECK(sh_merkle_inclusion_verify(
		    vec_incl[v].m, vec_incl[v].n, t->leaf[vec_incl[v].m],
		    (const uint8_t(*)[32])path, len, root));
	}
	for (size_t v = 0; v < sizeof(vec_cons) / sizeof(vec_cons[0]); v++) {
		check_case("RFC 6962 vector consistency %llu -> %llu",
		           (unsigned long long)vec_cons[v].m,
		           (unsigned long long)vec_cons[v].n);
		CHECK_ERR(
		    sh_merkle_consistency_proof(get_node, t, vec_cons[v].m,
		                                vec_cons[v].n, path, &len),
		    SH_OK);
		CHECK_INT(len, vec_cons[v].len);
		for (size_t i = 0; i < len && i < vec_cons[v].len; i++) {
			sh_unhex(want, 32, vec_cons[v].path[i]);
			CHECK_MEM(path[i], want, 32);
		}
		uint8_t old[32];
		sh_unhex(old, 32, vec_roots[vec_cons[v].m - 1]);
		sh_unhex(root, 32, vec_roots[vec_cons[v].n - 1]);
		CHECK(sh_merkle_consistency_verify(
		    vec_cons[v].m, vec_cons[v].n, old, root,
		    (const uint8_t(*)[32])path, len));
	}
	check_case("%s", "");
	free(t);
}

static void flip(uint8_t h[32], size_t bit)
{
	h[bit / 8 % 32] ^= (uint8_t)(1u << (bit % 8));
}

static uint64_t verified_incl, verified_cons, forged_incl, forged_cons;

static void inclusion(const tree *t, uint64_t n)
{
	uint8_t root[32], path[SH_MERKLE_MAX_PATH][32];
	size_t len;
	mth(t->leaf, 0, n, root);
	for (uint64_t m = 0; m < n; m++) {
		check_case("inclusion of %llu in %llu", (unsigned long long)m,
		           (unsigned long long)n);
		if (!CHECK_ERR(sh_merkle_inclusion_proof(get_node, (void *)t, m,
		                                         n, path, &len),
		               SH_OK))
			continue;
		const uint8_t(*p)[32] = (const uint8_t(*)[32])path;
		if (CHECK(sh_merkle_inclusion_verify(m, n, t->leaf[m], p, len,
		                                     root)))
			verified_incl++;
		/* Forgeries: each must fail. */
		int all_fail = 1;
		for (size_t i = 0; i < len; i++) {
			flip(path[i], i * 37 + m);
			all_fail &= !sh_merkle_inclusion_verify(
			    m, n, t->leaf[m], p, len, root);
			flip(path[i], i * 37 + m);
			forged_incl++;
		}
		uint8_t other[32];
		memcpy(other, t->leaf[m], 32);
		flip(other, m);
		all_fail &=
		    !sh_merkle_inclusion_verify(m, n, other, p, len, root);
		if (n > 1)
			all_fail &= !sh_merkle_inclusion_verify(
			    m, n, t->leaf[(m + 1) % n], p, len, root);
		if ((m ^ 1) < n)
			all_fail &= !sh_merkle_inclusion_verify(
			    m ^ 1, n, t->leaf[m], p, len, root);
		if (len > 0)
			all_fail &= !sh_merkle_inclusion_verify(
			    m, n, t->leaf[m], p, len - 1, root);
		if (len < SH_MERKLE_MAX_PATH) {
			memcpy(path[len], root, 32);
			all_fail &= !sh_merkle_inclusion_verify(
			    m, n, t->leaf[m], p, len + 1, root);
		}
		memcpy(other, root, 32);
		flip(other, 3);
		all_fail &= !sh_merkle_inclusion_verify(m, n, t->leaf[m], p,
		                                        len, other);
		all_fail &=
		    !sh_merkle_inclusion_verify(m, m, t->leaf[m], p, len, root);
		forged_incl += 7;
		CHECK(all_fail);
	}
}

static void consistency(const tree *t, const tree *changed, uint64_t n)
{
	uint8_t root[32], path[SH_MERKLE_MAX_PATH][32];
	size_t len;
	mth(t->leaf, 0, n, root);
	for (uint64_t m = 0; m <= n; m++) {
		uint8_t old[32];
		mth(t->leaf, 0, m, old);
		check_case("consistency %llu -> %llu", (unsigned long long)m,
		           (unsigned long long)n);
		if (!CHECK_ERR(sh_merkle_consistency_proof(get_node, (void *)t,
		                                           m, n, path, &len),
		               SH_OK))
			continue;
		const uint8_t(*p)[32] = (const uint8_t(*)[32])path;
		if (CHECK(
		        sh_merkle_consistency_verify(m, n, old, root, p, len)))
			verified_cons++;
		if (m == 0 || m == n)
			continue;
		int all_fail = 1;
		for (size_t i = 0; i < len; i++) {
			flip(path[i], i * 53 + m);
			all_fail &= !sh_merkle_consistency_verify(m, n, old,
			                                          root, p, len);
			flip(path[i], i * 53 + m);
			forged_cons++;
		}
		uint8_t bad[32];
		memcpy(bad, old, 32);
		flip(bad, 7);
		all_fail &=
		    !sh_merkle_consistency_verify(m, n, bad, root, p, len);
		memcpy(bad, root, 32);
		flip(bad, 9);
		all_fail &=
		    !sh_merkle_consistency_verify(m, n, old, bad, p, len);
		all_fail &=
		    !sh_merkle_consistency_verify(m, n, old, root, p, len - 1);
		/* The old tree as it was against a new tree in which entry
		 * n/3 was changed: if that entry is below m, the change must
		 * show; if not, the old tree is still a prefix. */
		uint8_t croot[32], cpath[SH_MERKLE_MAX_PATH][32];
		size_t clen;
		mth(changed->leaf, 0, n, croot);
		CHECK_ERR(sh_merkle_consistency_proof(get_node, (void *)changed,
		                                      m, n, cpath, &clen),
		          SH_OK);
		int cok = sh_merkle_consistency_verify(
		    m, n, old, croot, (const uint8_t(*)[32])cpath, clen);
		if (n / 3 < m) {
			all_fail &= !cok;
			forged_cons++;
		} else {
			CHECK(cok);
		}
		forged_cons += 3;
		CHECK(all_fail);
	}
}

static void trees(void)
{
	tree *t = malloc(sizeof(*t)), *changed = malloc(sizeof(*changed));
	for (uint64_t n = 1; n <= 70; n++) {
		uint8_t want[32], got[32];
		build(t, n, 1);
		/* the same leaves, but entry n/3 changed */
		memset(changed, 0, sizeof(*changed));
		for (uint64_t i = 0; i < n; i++) {
			char data[32];
			int l = snprintf(data, sizeof(data), "entry %llu/%u",
			                 (unsigned long long)i,
			                 i == n / 3 ? 2u : 1u);
			sh_merkle_leaf(changed->leaf[i], data, (size_t)l);
			sh_merkle_push(&changed->f, changed->leaf[i], keep_node,
			               changed);
		}
		check_case("root of %llu leaves", (unsigned long long)n);
		mth(t->leaf, 0, n, want);
		sh_merkle_root(&t->f, got);
		CHECK_MEM(got, want, 32);
		CHECK_INT(t->f.size, n);
		CHECK_ERR(sh_merkle_range(get_node, t, 0, n, got), SH_OK);
		CHECK_MEM(got, want, 32);
		inclusion(t, n);
		consistency(t, changed, n);
	}
	/* Bad arguments are refused, not answered. */
	uint8_t path[SH_MERKLE_MAX_PATH][32], root[32];
	size_t len;
	build(t, 8, 1);
	mth(t->leaf, 0, 8, root);
	check_case("%s", "bad arguments");
	CHECK_ERR(sh_merkle_inclusion_proof(get_node, t, 8, 8, path, &len),
	          SH_ERR_USAGE);
	CHECK_ERR(sh_merkle_consistency_proof(get_node, t, 9, 8, path, &len),
	          SH_ERR_USAGE);
	CHECK(!sh_merkle_inclusion_verify(8, 8, t->leaf[0],
	                                  (const uint8_t(*)[32])path, 0, root));
	CHECK(!sh_merkle_consistency_verify(9, 8, root, root,
	                                    (const uint8_t(*)[32])path, 0));
	/* A tree asked beyond what it stored. */
	CHECK_ERR(sh_merkle_inclusion_proof(get_node, t, 3, 9, path, &len),
	          SH_ERR_NOTFOUND);
	CHECK_INT(sh_merkle_split(2), 1);
	CHECK_INT(sh_merkle_split(3), 2);
	CHECK_INT(sh_merkle_split(8), 4);
	CHECK_INT(sh_merkle_split(9), 8);
	CHECK_INT(sh_merkle_split((1ULL << 63) + 1), 1ULL << 63);
	check_case("%s", "");
	free(t);
	free(changed);
}

static void heads(void)
{
	uint8_t pub[32], sec[32], pub2[32], sec2[32], root[32], sig[64];
	sh_ed25519_keygen(pub, sec);
	sh_ed25519_keygen(pub2, sec2);
	sh_sha256(root, "root", 4);
	Seinhuis__SignedTreeHead h = SEINHUIS__SIGNED_TREE_HEAD__INIT;
	h.partner = "gemeente-test";
	h.tree_size = 42;
	h.root_hash.data = root;
	h.root_hash.len = 32;
	h.timestamp_ms = 1790000000000;
	h.sign_key.data = pub;
	h.sign_key.len = 32;
	sh_buf tbs = {0};
	sh_tree_head_tbs(&h, &tbs);
	CHECK(tbs.len == 22 + 1 + 13 + 8 + 32 + 8);
	CHECK(memcmp(tbs.data, "seinhuis/tree-head/v1\0", 22) == 0);
	CHECK_ERR(sh_ed25519_sign(sig, sec, tbs.data, tbs.len), SH_OK);
	sh_buf_free(&tbs);
	h.signature.data = sig;
	h.signature.len = 64;
	CHECK(sh_tree_head_verify(&h, pub));
	CHECK(!sh_tree_head_verify(&h, pub2));
	h.tree_size = 43;
	CHECK(!sh_tree_head_verify(&h, pub));
	h.tree_size = 42;
	h.timestamp_ms++;
	CHECK(!sh_tree_head_verify(&h, pub));
	h.timestamp_ms--;
	h.partner = "gemeente-tesu";
	CHECK(!sh_tree_head_verify(&h, pub));
	h.partner = "gemeente-test";
	root[5] ^= 1;
	CHECK(!sh_tree_head_verify(&h, pub));
	root[5] ^= 1;
	sig[10] ^= 1;
	CHECK(!sh_tree_head_verify(&h, pub));
	sig[10] ^= 1;
	CHECK(sh_tree_head_verify(&h, pub));
	h.signature.len = 63;
	CHECK(!sh_tree_head_verify(&h, pub));
}

static void names(void)
{
	for (int e = 1; e <= SEINHUIS__AUDIT_EVENT__AUDIT_CASE_STEP; e++) {
		const char *n = sh_audit_event_name((Seinhuis__AuditEvent)e);
		check_case("event %d", e);
		CHECK(strcmp(n, "unknown") != 0);
		CHECK_INT(sh_audit_event_parse(n), e);
	}
	check_case("%s", "");
	CHECK_INT(sh_audit_event_parse("nonsense"), 0);
	CHECK_STR(sh_audit_event_name(SEINHUIS__AUDIT_EVENT__AUDIT_TAKEN),
	          "taken");
	CHECK_STR(sh_audit_event_name((Seinhuis__AuditEvent)999), "unknown");
}

int main(void)
{
	vectors();
	trees();
	heads();
	names();
	printf("inclusion proofs verified: %llu, forgeries refused: %llu\n",
	       (unsigned long long)verified_incl,
	       (unsigned long long)forged_incl);
	printf("consistency proofs verified: %llu, forgeries refused: %llu\n",
	       (unsigned long long)verified_cons,
	       (unsigned long long)forged_cons);
	return check_done();
}
