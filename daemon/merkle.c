/*
 * merkle.c - the Merkle hash tree of the audit log, as RFC 6962 defines it
 * for Certificate Transparency, and its proofs.
 *
 * For a list of n leaves D[0:n]:
 *   MTH({})      = SHA-256()
 *   MTH({d})     = SHA-256(0x00 || d)                       (leaf hash)
 *   MTH(D[0:n])  = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
 * where k is the largest power of two smaller than n. The two prefixes
 * keep a leaf from ever being taken for an inner node.
 *
 * Appending is O(log n): a frontier holds, for every set bit of the tree
 * size, the hash of the complete subtree that bit stands for (the tree's
 * right edge); a new leaf merges with the subtrees of equal height as a
 * carry ripples through a binary counter, and the root folds the frontier
 * from the smallest subtree up. Every subtree completed on the way is
 * handed to the caller, which keeps those it wants (audit.c stores the
 * ones of 16 leaves and more in LMDB and recomputes smaller ones from
 * their leaves) so that a proof needs O(log n) lookups, never the whole
 * log.
 *
 * Proofs follow RFC 6962 section 2.1.1 (audit path PATH(m, D[n])) and
 * 2.1.2 (consistency proof PROOF(m, D[n]) via SUBPROOF). They are built
 * from MTH of ranges, asked of a callback that knows the stored complete
 * subtrees. The verifiers below walk the same recursion as the builders:
 * they rebuild the root (or both roots) from the proof's hashes and
 * compare, so a proof is valid exactly when it is what the builder would
 * have produced for some tree with those roots. Nothing here does I/O.
 */
#include <string.h>

#include "audit.h"

void sh_merkle_leaf(uint8_t out[32], const void *data, size_t n)
{
	/* hashed in two parts, not copied behind the prefix in a buffer: a
	 * recipient makes four leaves a signal (its batch leaf twice, two
	 * audit entries) */
	static const uint8_t zero = 0x00;
	sh_sha256_2(out, &zero, 1, n ? data : "", n);
}

/* inner nodes this thread has hashed (sh_merkle_nodes_hashed) */
static _Thread_local uint64_t nodes_hashed;

uint64_t sh_merkle_nodes_hashed(void)
{
	return nodes_hashed;
}

void sh_merkle_node(uint8_t out[32], const uint8_t left[32],
                    const uint8_t right[32])
{
	nodes_hashed++;
	uint8_t in[65];
	in[0] = 0x01;
	memcpy(in + 1, left, 32);
	memcpy(in + 33, right, 32);
	sh_sha256(out, in, sizeof(in));
}

void sh_merkle_empty(uint8_t out[32])
{
	sh_sha256(out, "", 0);
}

uint64_t sh_merkle_split(uint64_t n)
{
	uint64_t k = 1;
	while (k < n - k) /* k * 2 < n, without overflow */
		k <<= 1;
	return k;
}

/* ------------------------------------------------------------ frontier */

void sh_merkle_push(sh_merkle_frontier *f, const uint8_t leaf[32],
                    sh_merkle_node_fn emit, void *ctx)
{
	uint8_t h[32];
	unsigned level = 0;
	uint64_t index = f->size;
	memcpy(h, leaf, 32);
	if (emit)
		emit(ctx, 0, index, h);
	while ((f->size >> level) & 1) {
		sh_merkle_node(h, f->hash[level], h);
		level++;
		index >>= 1;
		if (emit)
			emit(ctx, level, index, h);
	}
	memcpy(f->hash[level], h, 32);
	f->size++;
}

void sh_merkle_root(const sh_merkle_frontier *f, uint8_t root[32])
{
	int have = 0;
	if (f->size == 0) {
		sh_merkle_empty(root);
		return;
	}
	for (unsigned level = 0; level < 64; level++) {
		if (!((f->size >> level) & 1))
			continue;
		if (!have) {
			memcpy(root, f->hash[level], 32);
			have = 1;
		} else {
			sh_merkle_node(root, f->hash[level], root);
		}
	}
}

/* -------------------------------------------------------- range hashes */

static int is_pow2(uint64_t n)
{
	return n && !(n & (n - 1));
}

static unsigned log2u(uint64_t n)
{
	unsigned l = 0;
	while (n >>= 1)
		l++;
	return l;
}

sh_err sh_merkle_range(sh_merkle_get_fn get, void *ctx, uint64_t begin,
                       uint64_t end, uint8_t out[32])
{
	uint64_t n = end - begin;
	if (end <= begin)
		return SH_ERR_USAGE;
	if (is_pow2(n) && begin % n == 0)
		return get(ctx, log2u(n), begin / n, out);
	uint64_t k = sh_merkle_split(n);
	uint8_t l[32], r[32];
	sh_err e = sh_merkle_range(get, ctx, begin, begin + k, l);
	if (e == SH_OK)
		e = sh_merkle_range(get, ctx, begin + k, end, r);
	if (e == SH_OK)
		sh_merkle_node(out, l, r);
	return e;
}

/* --------------------------------------------------- inclusion (2.1.1) */

/* PATH(m, D[begin:end]), appended to path. */
static sh_err path_of(sh_merkle_get_fn get, void *ctx, uint64_t m,
                      uint64_t begin, uint64_t end, uint8_t (*path)[32],
                      size_t *len)
{
	uint64_t n = end - begin;
	if (n == 1)
		return SH_OK;
	uint64_t k = sh_merkle_split(n);
	sh_err e;
	if (m < k)
		e = path_of(get, ctx, m, begin, begin + k, path, len);
	else
		e = path_of(get, ctx, m - k, begin + k, end, path, len);
	if (e == SH_OK && *len >= SH_MERKLE_MAX_PATH)
		e = SH_ERR_USAGE;
	if (e == SH_OK && m < k)
		e = sh_merkle_range(get, ctx, begin + k, end, path[*len]);
	else if (e == SH_OK)
		e = sh_merkle_range(get, ctx, begin, begin + k, path[*len]);
	if (e == SH_OK)
		(*len)++;
	return e;
}

sh_err sh_merkle_inclusion_proof(sh_merkle_get_fn get, void *ctx, uint64_t m,
                                 uint64_t n,
                                 uint8_t path[SH_MERKLE_MAX_PATH][32],
                                 size_t *len)
{
	*len = 0;
	if (m >= n)
		return SH_ERR_USAGE;
	return path_of(get, ctx, m, 0, n, path, len);
}

/* Root of a subtree of n leaves holding leaf m, from the first `len`
 * path hashes (the innermost first, as path_of appends them). */
static int incl_root(uint64_t m, uint64_t n, const uint8_t leaf[32],
                     const uint8_t (*path)[32], size_t len, uint8_t out[32])
{
	if (n == 1) {
		if (len != 0)
			return 0;
		memcpy(out, leaf, 32);
		return 1;
	}
	if (len == 0)
		return 0;
	uint64_t k = sh_merkle_split(n);
	uint8_t sub[32];
	if (m < k) {
		if (!incl_root(m, k, leaf, path, len - 1, sub))
			return 0;
		sh_merkle_node(out, sub, path[len - 1]);
	} else {
		if (!incl_root(m - k, n - k, leaf, path, len - 1, sub))
			return 0;
		sh_merkle_node(out, path[len - 1], sub);
	}
	return 1;
}

int sh_merkle_inclusion_root(uint64_t m, uint64_t n, const uint8_t leaf[32],
                             const uint8_t (*path)[32], size_t len,
                             uint8_t root[32])
{
	if (m >= n || len > SH_MERKLE_MAX_PATH)
		return 0;
	return incl_root(m, n, leaf, path, len, root);
}

int sh_merkle_inclusion_verify(uint64_t m, uint64_t n, const uint8_t leaf[32],
                               const uint8_t (*path)[32], size_t len,
                               const uint8_t root[32])
{
	uint8_t got[32];
	if (m >= n || len > SH_MERKLE_MAX_PATH)
		return 0;
	return incl_root(m, n, leaf, path, len, got) &&
	       memcmp(got, root, 32) == 0;
}

/* ------------------------------------------------- consistency (2.1.2) */

/* SUBPROOF(m, D[begin:end], b), appended to path. */
static sh_err subproof(sh_merkle_get_fn get, void *ctx, uint64_t m,
                       uint64_t begin, uint64_t end, int b, uint8_t (*path)[32],
                       size_t *len)
{
	uint64_t n = end - begin, k = 0;
	sh_err e = SH_OK;
	if (m == n && b)
		return SH_OK;
	if (m != n) {
		k = sh_merkle_split(n);
		if (m <= k)
			e = subproof(get, ctx, m, begin, begin + k, b, path,
			             len);
		else
			e = subproof(get, ctx, m - k, begin + k, end, 0, path,
			             len);
	}
	if (e == SH_OK && *len >= SH_MERKLE_MAX_PATH)
		e = SH_ERR_USAGE;
	if (e != SH_OK)
		return e;
	if (m == n)
		e = sh_merkle_range(get, ctx, begin, end, path[*len]);
	else if (m <= k)
		e = sh_merkle_range(get, ctx, begin + k, end, path[*len]);
	else
		e = sh_merkle_range(get, ctx, begin, begin + k, path[*len]);
	if (e == SH_OK)
		(*len)++;
	return e;
}

sh_err sh_merkle_consistency_proof(sh_merkle_get_fn get, void *ctx, uint64_t m,
                                   uint64_t n,
                                   uint8_t path[SH_MERKLE_MAX_PATH][32],
                                   size_t *len)
{
	*len = 0;
	if (m > n)
		return SH_ERR_USAGE;
	if (m == 0 || m == n)
		return SH_OK; /* nothing to prove */
	return subproof(get, ctx, m, 0, n, 1, path, len);
}

struct cons_walk {
	const uint8_t (*path)[32];
	size_t len, pos;
	const uint8_t *old_root;
};

/* Rebuild, for the subtree of n leaves of which the first m are the old
 * tree's, the old subtree's hash and the new one's, consuming proof
 * hashes in the order subproof() wrote them. */
static int cons_roots(struct cons_walk *w, uint64_t m, uint64_t n, int b,
                      uint8_t old_h[32], uint8_t new_h[32])
{
	if (m == n) {
		if (b) {
			/* Only reached along the left edge: this subtree is
			 * the whole old tree, whose root the verifier has. */
			memcpy(old_h, w->old_root, 32);
			memcpy(new_h, w->old_root, 32);
			return 1;
		}
		if (w->pos >= w->len)
			return 0;
		memcpy(old_h, w->path[w->pos], 32);
		memcpy(new_h, w->path[w->pos], 32);
		w->pos++;
		return 1;
	}
	uint64_t k = sh_merkle_split(n);
	uint8_t o[32], nh[32];
	if (m <= k) {
		if (!cons_roots(w, m, k, b, o, nh) || w->pos >= w->len)
			return 0;
		memcpy(old_h, o, 32);
		sh_merkle_node(new_h, nh, w->path[w->pos++]);
	} else {
		if (!cons_roots(w, m - k, n - k, 0, o, nh) || w->pos >= w->len)
			return 0;
		const uint8_t *left = w->path[w->pos++];
		sh_merkle_node(old_h, left, o);
		sh_merkle_node(new_h, left, nh);
	}
	return 1;
}

int sh_merkle_consistency_verify(uint64_t m, uint64_t n,
                                 const uint8_t old_root[32],
                                 const uint8_t new_root[32],
                                 const uint8_t (*path)[32], size_t len)
{
	if (m > n || len > SH_MERKLE_MAX_PATH)
		return 0;
	if (m == 0) {
		/* Every tree extends the empty one. */
		uint8_t empty[32];
		sh_merkle_empty(empty);
		return len == 0 && memcmp(old_root, empty, 32) == 0;
	}
	if (m == n)
		return len == 0 && memcmp(old_root, new_root, 32) == 0;
	struct cons_walk w = {path, len, 0, old_root};
	uint8_t o[32], nh[32];
	if (!cons_roots(&w, m, n, 1, o, nh) || w.pos != len)
		return 0;
	return memcmp(o, old_root, 32) == 0 && memcmp(nh, new_root, 32) == 0;
}
