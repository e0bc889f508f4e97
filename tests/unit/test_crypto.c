/*
 * test_crypto.c - the primitives in crypto.c and the hex helpers in util.c.
 *
 * Two kinds of checks: published test vectors (RFC 4231, 5869, 7748, 8032,
 * 8439 and FIPS 180-2), which pin each primitive to the standard one, and
 * properties (round trips, refusals after tampering, symmetry), which
 * exercise the wrappers' own handling of lengths, nonces and tags.
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "seinhuis.h"

/* Decode a hex test vector; aborts on a typo in the vector itself. */
static size_t vec(uint8_t *out, size_t max, const char *hex)
{
	size_t n = strlen(hex) / 2;
	if (n > max || sh_unhex(out, n, hex) < 0) {
		fprintf(stderr, "bad test vector %s\n", hex);
		exit(2);
	}
	return n;
}

static void test_hash_vectors(void)
{
	uint8_t got[32], want[32];

	/* FIPS 180-2, "abc". */
	sh_sha256(got, "abc", 3);
	vec(want, 32,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_MEM(got, want, 32);

	/* RFC 4231 test case 2. */
	const char *msg = "what do ya want for nothing?";
	sh_hmac_sha256(got, (const uint8_t *)"Jefe", 4, msg, strlen(msg));
	vec(want, 32,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	CHECK_MEM(got, want, 32);

	/* RFC 4231 test case 6: a key longer than the block is hashed. */
	uint8_t longkey[131];
	memset(longkey, 0xaa, sizeof(longkey));
	const char *msg6 =
	    "Test Using Larger Than Block-Size Key - Hash Key First";
	sh_hmac_sha256(got, longkey, sizeof(longkey), msg6, strlen(msg6));
	vec(want, 32,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	CHECK_MEM(got, want, 32);

	/* The padded-key states are kept per key: after more keys than are
	 * kept, and with a key that differs from a kept one in its last byte
	 * only ("Jefe" and "Jeff"), each key still gives its own HMAC. */
	for (int round = 0; round < 2; round++) {
		uint8_t k[5] = "key0";
		for (int i = 0; i < 6; i++) {
			k[3] = (uint8_t)('0' + i);
			sh_hmac_sha256(got, k, 4, msg, strlen(msg));
		}
		sh_hmac_sha256(got, (const uint8_t *)"Jeff", 4, msg,
		               strlen(msg));
		vec(want, 32,
		    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b96"
		    "4ec3843");
		CHECK(memcmp(got, want, 32) != 0);
		sh_hmac_sha256(got, (const uint8_t *)"Jefe", 4, msg,
		               strlen(msg));
		CHECK_MEM(got, want, 32);
	}
	sh_crypto_forget();
	sh_hmac_sha256(got, (const uint8_t *)"Jefe", 4, msg, strlen(msg));
	CHECK_MEM(got, want, 32);

	/* Hashing again after an empty input gives the same digests: the
	 * kept context starts afresh each time. */
	sh_sha256(got, "", 0);
	vec(want, 32,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_MEM(got, want, 32);
	sh_sha256(got, "abc", 3);
	vec(want, 32,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_MEM(got, want, 32);
}

/* sh_hmac_sha256_kept answers a repeat from what it kept, and anything
 * else (another key, another input of the same length, one longer than it
 * keeps, the same after sh_crypto_forget_everywhere) as sh_hmac_sha256. */
static void test_hmac_kept(void)
{
	const char *msg = "what do ya want for nothing?";
	uint8_t got[32], want[32];
	vec(want, 32,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	for (int i = 0; i < 2; i++) {
		memset(got, 0, sizeof(got));
		sh_hmac_sha256_kept(got, (const uint8_t *)"Jefe", 4, msg,
		                    strlen(msg));
		CHECK_MEM(got, want, 32);
	}
	uint8_t other[32];
	sh_hmac_sha256(other, (const uint8_t *)"Jeff", 4, msg, strlen(msg));
	sh_hmac_sha256_kept(got, (const uint8_t *)"Jeff", 4, msg, strlen(msg));
	CHECK_MEM(got, other, 32);
	CHECK(memcmp(got, want, 32) != 0);
	char msg2[64];
	snprintf(msg2, sizeof(msg2), "%s", msg);
	msg2[strlen(msg2) - 1] = '!';
	sh_hmac_sha256(other, (const uint8_t *)"Jeff", 4, msg2, strlen(msg2));
	sh_hmac_sha256_kept(got, (const uint8_t *)"Jeff", 4, msg2,
	                    strlen(msg2));
	CHECK_MEM(got, other, 32);
	sh_hmac_sha256_kept(got, (const uint8_t *)"Jefe", 4, msg, strlen(msg));
	CHECK_MEM(got, want, 32);
	sh_crypto_forget_everywhere();
	sh_hmac_sha256_kept(got, (const uint8_t *)"Jefe", 4, msg, strlen(msg));
	CHECK_MEM(got, want, 32);
	static uint8_t big[2000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	for (int i = 0; i < 2; i++) {
		sh_hmac_sha256(other, (const uint8_t *)"Jefe", 4, big,
		               sizeof(big) - (size_t)i);
		sh_hmac_sha256_kept(got, (const uint8_t *)"Jefe", 4, big,
		                    sizeof(big) - (size_t)i);
		CHECK_MEM(got, other, 32);
	}
	sh_hmac_sha256(other, NULL, 0, NULL, 0);
	sh_hmac_sha256_kept(got, NULL, 0, NULL, 0);
	CHECK_MEM(got, other, 32);
}

static void test_hkdf(void)
{
	uint8_t ikm[22], okm[42], want[42];
	memset(ikm, 0x0b, sizeof(ikm));

	/* RFC 5869 test case 3: SHA-256, empty salt and info. */
	CHECK_ERR(sh_hkdf(okm, sizeof(okm), ikm, sizeof(ikm), "", ""), SH_OK);
	vec(want, sizeof(want),
	    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	    "9d201395faa4b61a96c8");
	CHECK_MEM(okm, want, sizeof(want));

	/* Deterministic, and separated by salt and by info. */
	uint8_t k1[32], k2[32], k3[32], k4[32];
	CHECK_ERR(sh_hkdf(k1, 32, ikm, sizeof(ikm), "salt", "seal|a|b"), SH_OK);
	CHECK_ERR(sh_hkdf(k2, 32, ikm, sizeof(ikm), "salt", "seal|a|b"), SH_OK);
	CHECK_ERR(sh_hkdf(k3, 32, ikm, sizeof(ikm), "salt", "pseudonym|a|b"),
	          SH_OK);
	CHECK_ERR(sh_hkdf(k4, 32, ikm, sizeof(ikm), "other", "seal|a|b"),
	          SH_OK);
	CHECK_MEM(k1, k2, 32);
	CHECK_MEM_NE(k1, k3, 32);
	CHECK_MEM_NE(k1, k4, 32);
	/* A different input key gives a different output. */
	ikm[0] ^= 1;
	CHECK_ERR(sh_hkdf(k2, 32, ikm, sizeof(ikm), "salt", "seal|a|b"), SH_OK);
	CHECK_MEM_NE(k1, k2, 32);
}

static void test_ed25519(void)
{
	uint8_t sec[32], pub[32], sig[64], want[64];

	/* RFC 8032 section 7.1, test 1 (empty message). */
	vec(sec, 32,
	    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
	vec(pub, 32,
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	vec(want, 64,
	    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
	CHECK_ERR(sh_ed25519_sign(sig, sec, "", 0), SH_OK);
	CHECK_MEM(sig, want, 64);
	CHECK(sh_ed25519_verify(sig, pub, "", 0) == 1);

	/* Fresh keys: sign, verify; any change is refused. */
	uint8_t pub2[32], sec2[32];
	const char *msg = "seinhuis/signal/v1 test message";
	size_t n = strlen(msg) + 1;
	CHECK_ERR(sh_ed25519_keygen(pub, sec), SH_OK);
	CHECK_ERR(sh_ed25519_keygen(pub2, sec2), SH_OK);
	CHECK_MEM_NE(pub, pub2, 32);
	CHECK_ERR(sh_ed25519_sign(sig, sec, msg, n), SH_OK);
	CHECK(sh_ed25519_verify(sig, pub, msg, n) == 1);
	CHECK(sh_ed25519_verify(sig, pub2, msg, n) == 0);
	CHECK(sh_ed25519_verify(sig, pub, msg, n - 1) == 0);
	char *copy = sh_strdup(msg);
	copy[3] ^= 0x20;
	CHECK(sh_ed25519_verify(sig, pub, copy, n) == 0);
	free(copy);
	int all_refused = 1;
	for (size_t i = 0; i < 64; i++) {
		sig[i] ^= 0x01;
		if (sh_ed25519_verify(sig, pub, msg, n) != 0)
			all_refused = 0;
		sig[i] ^= 0x01;
	}
	CHECK(all_refused);
	CHECK(sh_ed25519_verify(sig, pub, msg, n) == 1);
	sh_wipe(sec, sizeof(sec));
	sh_wipe(sec2, sizeof(sec2));
}

static void test_x25519(void)
{
	uint8_t a_sec[32], b_sec[32], a_pub[32], b_pub[32], s1[32], s2[32];
	uint8_t want[32];

	/* RFC 7748 section 6.1. */
	vec(a_sec, 32,
	    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	vec(b_sec, 32,
	    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	vec(a_pub, 32,
	    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	vec(b_pub, 32,
	    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	vec(want, 32,
	    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	CHECK_ERR(sh_x25519(s1, a_sec, b_pub), SH_OK);
	CHECK_ERR(sh_x25519(s2, b_sec, a_pub), SH_OK);
	CHECK_MEM(s1, want, 32);
	CHECK_MEM(s2, want, 32);

	/* Fresh keys: agreement is symmetric, and differs per pair. */
	uint8_t c_sec[32], c_pub[32], s3[32];
	CHECK_ERR(sh_x25519_keygen(a_pub, a_sec), SH_OK);
	CHECK_ERR(sh_x25519_keygen(b_pub, b_sec), SH_OK);
	CHECK_ERR(sh_x25519_keygen(c_pub, c_sec), SH_OK);
	CHECK_ERR(sh_x25519(s1, a_sec, b_pub), SH_OK);
	CHECK_ERR(sh_x25519(s2, b_sec, a_pub), SH_OK);
	CHECK_ERR(sh_x25519(s3, a_sec, c_pub), SH_OK);
	CHECK_MEM(s1, s2, 32);
	CHECK_MEM_NE(s1, s3, 32);
	/* The all-zero point gives an all-zero secret: must be refused. */
	uint8_t zero[32] = {0};
	CHECK(sh_x25519(s1, a_sec, zero) != SH_OK);
	sh_wipe(a_sec, 32);
	sh_wipe(b_sec, 32);
	sh_wipe(c_sec, 32);
}

static void test_aead_vector(void)
{
	/* RFC 8439 section 2.8.2, laid out as sh_open expects:
	 * nonce || ciphertext || tag. */
	uint8_t key[32], ad[12], sealed[12 + 114 + 16], out[114];
	const char *pt = "Ladies and Gentlemen of the class of '99: If I could "
	                 "offer you only one tip for the future, sunscreen "
	                 "would be it.";
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	vec(ad, sizeof(ad), "50515253c0c1c2c3c4c5c6c7");
	size_t n =
	    vec(sealed, sizeof(sealed),
	        "070000004041424344454647"
	        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a7"
	        "36ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b29"
	        "05d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4"
	        "fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b"
	        "6116"
	        "1ae10b594f09e26a7e902ecbd0600691");
	CHECK_INT(n, sizeof(sealed));
	CHECK_INT(strlen(pt), sizeof(out));
	CHECK_ERR(sh_open(out, key, ad, sizeof(ad), sealed, n), SH_OK);
	CHECK_MEM(out, pt, sizeof(out));
	/* and sealing with that nonce gives exactly those bytes */
	uint8_t again[sizeof(sealed)];
	CHECK_ERR(sh_seal_nonce(again, key, sealed, ad, sizeof(ad),
	                        (const uint8_t *)pt, strlen(pt)),
	          SH_OK);
	CHECK_MEM(again, sealed, sizeof(sealed));
}

static void test_aead_roundtrip(void)
{
	uint8_t key[32], key2[32];
	const char *ad = "0123456789abcdefsender|recipient";
	size_t adlen = strlen(ad);
	const char *pt = "Person: J. van der Berg, 1234AB 12a, born 1970-05-06";
	size_t ptlen = strlen(pt);
	size_t slen = ptlen + SH_SEAL_OVERHEAD;
	uint8_t *s1 = malloc(slen), *s2 = malloc(slen), *out = malloc(ptlen);

	CHECK_ERR(sh_random(key, 32), SH_OK);
	CHECK_ERR(sh_random(key2, 32), SH_OK);
	CHECK_ERR(sh_seal(s1, key, (const uint8_t *)ad, adlen,
	                  (const uint8_t *)pt, ptlen),
	          SH_OK);
	CHECK_ERR(sh_seal(s2, key, (const uint8_t *)ad, adlen,
	                  (const uint8_t *)pt, ptlen),
	          SH_OK);
	/* A fresh random nonce each time, so equal input seals differently. */
	CHECK_MEM_NE(s1, s2, 12);
	CHECK_MEM_NE(s1, s2, slen);
	/* The plain text does not show through. */
	CHECK(memmem(s1, slen, "van der Berg", 12) == NULL);
	/* With the caller's nonce: it leads the sealed bytes, and they open. */
	static const uint8_t nonce[12] = {1, 2, 3, 4,  5,  6,
	                                  7, 8, 9, 10, 11, 12};
	CHECK_ERR(sh_seal_nonce(s2, key, nonce, (const uint8_t *)ad, adlen,
	                        (const uint8_t *)pt, ptlen),
	          SH_OK);
	CHECK_MEM(s2, nonce, 12);
	memset(out, 0, ptlen);
	CHECK_ERR(sh_open(out, key, (const uint8_t *)ad, adlen, s2, slen),
	          SH_OK);
	CHECK_MEM(out, pt, ptlen);

	memset(out, 0, ptlen);
	CHECK_ERR(sh_open(out, key, (const uint8_t *)ad, adlen, s1, slen),
	          SH_OK);
	CHECK_MEM(out, pt, ptlen);
	CHECK_ERR(sh_open(out, key, (const uint8_t *)ad, adlen, s2, slen),
	          SH_OK);
	CHECK_MEM(out, pt, ptlen);

	/* Wrong key, wrong or missing associated data. */
	CHECK_ERR(sh_open(out, key2, (const uint8_t *)ad, adlen, s1, slen),
	          SH_ERR_SEAL);
	CHECK_ERR(sh_open(out, key, (const uint8_t *)ad, adlen - 1, s1, slen),
	          SH_ERR_SEAL);
	CHECK_ERR(sh_open(out, key, NULL, 0, s1, slen), SH_ERR_SEAL);
	char *ad2 = sh_strdup(ad);
	ad2[0] ^= 1; /* another message id */
	CHECK_ERR(sh_open(out, key, (const uint8_t *)ad2, adlen, s1, slen),
	          SH_ERR_SEAL);
	free(ad2);

	/* One flipped bit anywhere: nonce, ciphertext or tag. */
	int nonce_ok = 1, ct_ok = 1, tag_ok = 1;
	for (size_t i = 0; i < slen; i++) {
		s1[i] ^= 0x80;
		sh_err e =
		    sh_open(out, key, (const uint8_t *)ad, adlen, s1, slen);
		s1[i] ^= 0x80;
		if (e != SH_ERR_SEAL) {
			if (i < 12)
				nonce_ok = 0;
			else if (i < 12 + ptlen)
				ct_ok = 0;
			else
				tag_ok = 0;
		}
	}
	CHECK(nonce_ok);
	CHECK(ct_ok);
	CHECK(tag_ok);
	/* Truncated: shorter than the overhead, or missing the last byte. */
	CHECK_ERR(sh_open(out, key, (const uint8_t *)ad, adlen, s1,
	                  SH_SEAL_OVERHEAD - 1),
	          SH_ERR_SEAL);
	CHECK_ERR(sh_open(out, key, (const uint8_t *)ad, adlen, s1, slen - 1),
	          SH_ERR_SEAL);
	/* Still intact after all that. */
	CHECK_ERR(sh_open(out, key, (const uint8_t *)ad, adlen, s1, slen),
	          SH_OK);

	/* An empty plain text seals to exactly the overhead and opens. */
	uint8_t empty_sealed[SH_SEAL_OVERHEAD], dummy[1];
	CHECK_ERR(sh_seal(empty_sealed, key, (const uint8_t *)ad, adlen,
	                  (const uint8_t *)"", 0),
	          SH_OK);
	CHECK_ERR(sh_open(dummy, key, (const uint8_t *)ad, adlen, empty_sealed,
	                  sizeof(empty_sealed)),
	          SH_OK);
	empty_sealed[SH_SEAL_OVERHEAD - 1] ^= 1;
	CHECK_ERR(sh_open(dummy, key, (const uint8_t *)ad, adlen, empty_sealed,
	                  sizeof(empty_sealed)),
	          SH_ERR_SEAL);

	free(s1);
	free(s2);
	free(out);
}

static void test_random(void)
{
	uint8_t a[32], b[32], zero[32] = {0};
	CHECK_ERR(sh_random(a, sizeof(a)), SH_OK);
	CHECK_ERR(sh_random(b, sizeof(b)), SH_OK);
	CHECK_MEM_NE(a, b, 32);
	CHECK_MEM_NE(a, zero, 32);
}

/* Message ids: creation time first (so id-keyed tables grow at their
 * end), then 80 random bits; never repeated. */
static void test_message_ids(void)
{
	enum { N = 3000 };
	static uint8_t ids[N][SH_ID_LEN];
	int64_t t0 = sh_now_ms();
	for (int i = 0; i < N; i++)
		CHECK_ERR(sh_random_id(ids[i]), SH_OK);
	int64_t t1 = sh_now_ms();
	int in_time = 1, ordered = 1, distinct = 1;
	for (int i = 0; i < N; i++) {
		int64_t ms = 0;
		for (int k = 0; k < 6; k++)
			ms = ms << 8 | ids[i][k];
		if (ms < t0 || ms > t1)
			in_time = 0;
		if (i && memcmp(ids[i - 1], ids[i], 6) > 0)
			ordered = 0;
		for (int j = 0; j < i && distinct; j++)
			if (memcmp(ids[i] + 6, ids[j] + 6, SH_ID_LEN - 6) == 0)
				distinct = 0;
	}
	CHECK(in_time);
	CHECK(ordered);
	CHECK(distinct);
}

static void test_wipe(void)
{
	uint8_t buf[40], zero[40] = {0};
	memset(buf, 0xa5, sizeof(buf));
	sh_wipe(buf + 4, 32);
	CHECK_MEM(buf + 4, zero, 32);
	CHECK(buf[3] == 0xa5 && buf[36] == 0xa5);
}

static void test_hex(void)
{
	uint8_t in[256], back[256];
	char hex[513];
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)(255 - i);
	sh_hex(hex, in, sizeof(in));
	CHECK_INT(strlen(hex), 512);
	/* Only lower-case hex digits come out. */
	CHECK_INT(strspn(hex, "0123456789abcdef"), 512);
	CHECK(sh_unhex(back, sizeof(back), hex) == 0);
	CHECK_MEM(in, back, sizeof(in));
	/* Upper case is read too. */
	uint8_t two[2];
	CHECK(sh_unhex(two, 2, "aBcD") == 0 && two[0] == 0xab &&
	      two[1] == 0xcd);
	/* Empty input for zero bytes; nothing written. */
	sh_hex(hex, in, 0);
	CHECK_STR(hex, "");

	/* Refusals: wrong length, odd length, characters outside hex. */
	static const char *bad[] = {"abc",  "abcdef", "ab",   "zz00", "0g00",
	                            "00 0", " 000",   "0x00", "+000", ""};
	uint8_t out2[2];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_case("sh_unhex(2, \"%s\")", bad[i]);
		CHECK(sh_unhex(out2, 2, bad[i]) < 0);
	}
	check_case("%s", "");
}

int main(void)
{
	test_hash_vectors();
	test_hmac_kept();
	test_hkdf();
	test_ed25519();
	test_x25519();
	test_aead_vector();
	test_aead_roundtrip();
	test_random();
	test_message_ids();
	test_wipe();
	test_hex();
	return check_done();
}
