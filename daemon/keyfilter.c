/*
 * keyfilter.c - a Bloom filter in front of the natural-key table.
 *
 * Every signal a partner submits is looked up by its natural key, so that
 * a re-imported row is not sent twice. Nearly always the key is new, and
 * the look-up walks LMDB's B-tree for nothing: a few random pages, in a
 * write transaction that also searches its list of dirty pages on every
 * step (about 6 % of the sender's time in the benchmark). The filter
 * answers "certainly absent" for most of them from memory.
 *
 * The keys are HMAC-SHA256 outputs, uniformly random already, so the
 * probe positions come from the key's own bytes (double hashing with two
 * 64-bit words) rather than from hashing again. With 16 bits per key and
 * 8 probes the false-positive rate is about 0.06 %; a false positive
 * costs one B-tree look-up, as every look-up did before. There are no
 * false negatives: a key is added whenever it is stored, and a filter is
 * built only from the table as the writer sees it (store.c). Keys deleted
 * from the table stay in the filter (false positives, nothing worse).
 */
#include <stdlib.h>
#include <string.h>

#include "keyfilter.h"

#define PROBES   8
#define MIN_BITS ((uint64_t)1 << 23) /* one MiB */

static uint64_t word(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

int sh_keyfilter_init(sh_keyfilter *f, uint64_t keys)
{
	uint64_t want = MIN_BITS;
	while (want / SH_KEYFILTER_BITS_PER_KEY < keys &&
	       want < ((uint64_t)1 << 40))
		want <<= 1;
	memset(f, 0, sizeof(*f));
	f->bits = calloc(want / 64, sizeof(uint64_t));
	if (!f->bits)
		return -1;
	f->nbits = want;
	return 0;
}

void sh_keyfilter_free(sh_keyfilter *f)
{
	free(f->bits);
	memset(f, 0, sizeof(*f));
}

void sh_keyfilter_add(sh_keyfilter *f, const uint8_t key[32])
{
	if (!f->nbits)
		return;
	uint64_t h1 = word(key), h2 = word(key + 8) | 1, m = f->nbits - 1;
	for (unsigned i = 0; i < PROBES; i++) {
		uint64_t b = (h1 + i * h2) & m;
		f->bits[b >> 6] |= (uint64_t)1 << (b & 63);
	}
	f->n++;
}

int sh_keyfilter_maybe(const sh_keyfilter *f, const uint8_t key[32])
{
	if (!f->nbits)
		return 1;
	uint64_t h1 = word(key), h2 = word(key + 8) | 1, m = f->nbits - 1;
	for (unsigned i = 0; i < PROBES; i++) {
		uint64_t b = (h1 + i * h2) & m;
		if (!(f->bits[b >> 6] & ((uint64_t)1 << (b & 63))))
			return 0;
	}
	return 1;
}

int sh_keyfilter_full(const sh_keyfilter *f)
{
	return f->nbits && f->n > f->nbits / SH_KEYFILTER_BITS_PER_KEY;
}
