/*
 * test_keyfilter.c - the Bloom filter in front of the natural-key table
 * (daemon/keyfilter.c) never says "absent" for a key it was given, says
 * "maybe" rarely for keys it was not given, and an unbuilt filter sends
 * every key to the table.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "keyfilter.h"
#include "seinhuis.h"

int main(void)
{
	enum { N = 200000 };
	uint8_t(*keys)[32] = malloc((size_t)N * 32);
	uint8_t(*other)[32] = malloc((size_t)N * 32);
	sh_random((uint8_t *)keys, (size_t)N * 32);
	sh_random((uint8_t *)other, (size_t)N * 32);

	sh_keyfilter f;
	/* unbuilt: "maybe" for everything, adding is harmless */
	memset(&f, 0, sizeof(f));
	CHECK(sh_keyfilter_maybe(&f, keys[0]) == 1);
	sh_keyfilter_add(&f, keys[0]);
	CHECK(!sh_keyfilter_full(&f));

	CHECK(sh_keyfilter_init(&f, 0) == 0);
	CHECK(f.nbits >= ((uint64_t)1 << 23));
	CHECK((f.nbits & (f.nbits - 1)) == 0);
	size_t missed = 0;
	for (size_t i = 0; i < N; i++)
		sh_keyfilter_add(&f, keys[i]);
	for (size_t i = 0; i < N; i++)
		missed += !sh_keyfilter_maybe(&f, keys[i]);
	CHECK_INT(missed, 0);
	size_t fp = 0;
	for (size_t i = 0; i < N; i++)
		fp += sh_keyfilter_maybe(&f, other[i]);
	/* sized for 524,288 keys at 16 bits, holding 200,000: well under
	 * 0.1 % false positives expected; 0.5 % is a broken filter */
	printf("false positives: %zu of %d\n", fp, N);
	CHECK(fp < N / 200);
	/* more keys than it was sized for: full, and still no misses */
	CHECK(!sh_keyfilter_full(&f));
	uint8_t fresh[32];
	while (f.n <= f.nbits / SH_KEYFILTER_BITS_PER_KEY) {
		sh_random(fresh, sizeof(fresh));
		sh_keyfilter_add(&f, fresh);
	}
	CHECK(sh_keyfilter_full(&f));
	for (size_t i = 0; i < N; i++)
		missed += !sh_keyfilter_maybe(&f, keys[i]);
	CHECK_INT(missed, 0);
	/* at the load it is sized for (16 bits a key, 8 probes) about
	 * 0.06 % of absent keys pass; fresh ones, never added */
	uint8_t absent[32];
	fp = 0;
	for (size_t i = 0; i < N; i++) {
		sh_random(absent, sizeof(absent));
		fp += sh_keyfilter_maybe(&f, absent);
	}
	printf("false positives when full: %zu of %d\n", fp, N);
	CHECK(fp < N / 200);
	sh_keyfilter_free(&f);
	CHECK(f.bits == NULL && f.nbits == 0);

	/* sized for many keys: a bigger power of two */
	CHECK(sh_keyfilter_init(&f, 3000000) == 0);
	CHECK(f.nbits >= (uint64_t)3000000 * SH_KEYFILTER_BITS_PER_KEY);
	CHECK((f.nbits & (f.nbits - 1)) == 0);
	sh_keyfilter_free(&f);
	free(keys);
	free(other);
	return check_done();
}
