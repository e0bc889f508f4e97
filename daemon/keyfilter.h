/*
 * keyfilter.h - a Bloom filter over 32-byte keys that are already
 * uniformly random (HMAC outputs): "certainly absent" or "maybe present".
 */
#ifndef SH_KEYFILTER_H
#define SH_KEYFILTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t *bits;
	uint64_t nbits; /* a power of two, or 0 when not built */
	uint64_t n;     /* keys added */
} sh_keyfilter;

/* Room for `keys` keys at SH_KEYFILTER_BITS_PER_KEY bits each (at least
 * one MiB of bits); returns -1 if memory is short (the filter stays
 * unbuilt: callers then look every key up). */
#define SH_KEYFILTER_BITS_PER_KEY 16
int sh_keyfilter_init(sh_keyfilter *f, uint64_t keys);
void sh_keyfilter_free(sh_keyfilter *f);
void sh_keyfilter_add(sh_keyfilter *f, const uint8_t key[32]);
/* 0: the key was never added; 1: it may have been */
int sh_keyfilter_maybe(const sh_keyfilter *f, const uint8_t key[32]);
/* more keys than it was sized for: build a bigger one */
int sh_keyfilter_full(const sh_keyfilter *f);

#endif
