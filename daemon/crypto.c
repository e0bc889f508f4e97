/*
 * crypto.c - the cryptographic primitives Seinhuis uses: OpenSSL 3, and
 * libsodium for Ed25519 signatures and the AEAD (faster; see below).
 *
 *  - Ed25519 signs every signal; the recipient verifies before delivery.
 *  - X25519 agreement between two partners' static "seal" keys, expanded
 *    with HKDF-SHA256 into pair keys: one seals personal data (AEAD), one
 *    keys the pairwise pseudonyms (HMAC-SHA256). Pair keys are derived once
 *    per partner pair and cached by the caller, never per signal.
 *  - ChaCha20-Poly1305 (RFC 8439) seals personal data with a 96-bit nonce
 *    that is unique per signal (random, or the last 12 bytes of the
 *    signal's fresh message id, which is never reused); the signal's
 *    message id is bound in as associated data, so a sealed blob cannot
 *    be moved into another signal.
 *
 * Transport encryption is ZeroMQ's CURVE and lives in peer.c.
 */
#include <stdatomic.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "seinhuis.h"

sh_err sh_random(void *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? SH_OK : SH_ERR_CRYPTO;
}

/* A message id is the creation time in milliseconds (48 bits, big-endian)
 * followed by 80 random bits. Time first, so that the tables keyed by id
 * (the sender's id index, the recipient's seen table) grow at their end:
 * a turn's inserts then dirty a few neighbouring pages instead of one page
 * at a random place per signal, which is most of what a large commit
 * writes. The random part keeps ids unguessable and unique; the seal's
 * nonce is the id's last 12 bytes (wire.c), 80 of them random. The random
 * bits come from the generator a block at a time: one call of RAND_bytes
 * (with its locking and fork check) per 256 ids, not per id. */
#define ID_RANDOM (SH_ID_LEN - 6)
static _Thread_local uint8_t id_pool[256 * ID_RANDOM];
static _Thread_local size_t id_left;

sh_err sh_random_id(uint8_t id[SH_ID_LEN])
{
	if (id_left < ID_RANDOM) {
		if (RAND_bytes(id_pool, (int)sizeof(id_pool)) != 1)
			return SH_ERR_CRYPTO;
		id_left = sizeof(id_pool);
	}
	uint8_t *p = id_pool + sizeof(id_pool) - id_left;
	uint64_t ms = (uint64_t)sh_now_ms();
	for (int i = 0; i < 6; i++)
		id[i] = (uint8_t)(ms >> (8 * (5 - i)));
	memcpy(id + 6, p, ID_RANDOM);
	sh_wipe(p, ID_RANDOM);
	id_left -= ID_RANDOM;
	return SH_OK;
}

/* SHA-256 through OpenSSL's SHA256_* functions. OpenSSL 3 marks them
 * deprecated in favour of EVP, but they run the same block code (SHA-NI
 * where the CPU has it) and skip the EVP dispatch, which costs about a
 * fifth of hashing a 64-byte input: the audit tree, batch proofs and
 * pseudonyms hash many short inputs per signal. The suppression is for
 * this file and these functions only. */
#define SHA_LOWLEVEL_BEGIN                                                     \
	_Pragma("GCC diagnostic push")                                         \
	    _Pragma("GCC diagnostic ignored \"-Wdeprecated-declarations\"")
#define SHA_LOWLEVEL_END _Pragma("GCC diagnostic pop")

SHA_LOWLEVEL_BEGIN

void sh_sha256(uint8_t out[32], const void *data, size_t n)
{
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Update(&c, data, n);
	SHA256_Final(out, &c);
}

void sh_sha256_2(uint8_t out[32], const void *a, size_t an, const void *b,
                 size_t bn)
{
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Update(&c, a, an);
	SHA256_Update(&c, b, bn);
	SHA256_Final(out, &c);
}

/* HMAC-SHA256 (RFC 2104). The states after hashing (K ^ ipad) and
 * (K ^ opad) depend on the key alone; the daemon uses a few fixed keys
 * per thread (the case secret, the pair keys), so the last few are kept
 * and an HMAC of a short input costs two blocks instead of four. */
#define HMAC_KEEP 4
typedef struct {
	uint8_t key[64];
	size_t klen;
	SHA256_CTX inner, outer;
} hmac_pads;
static _Thread_local hmac_pads hmac_kept[HMAC_KEEP];
static _Thread_local unsigned hmac_next;
/* Raised by sh_crypto_forget_everywhere: a thread that finds it changed
 * wipes what it kept before its next HMAC. */
static atomic_uint hmac_generation;
static _Thread_local unsigned hmac_seen;

/* The last result of sh_hmac_sha256_kept on this thread, with the key and
 * input it is of (secret: wiped by sh_crypto_forget). */
#define HMAC_MEMO_MAX 512
static _Thread_local struct {
	size_t klen, n;
	int valid;
	uint8_t key[64], data[HMAC_MEMO_MAX], out[32];
} hmac_memo;

/* What this thread keeps, wiped if sh_crypto_forget_everywhere was called
 * since it last looked. */
static void hmac_kept_check(void)
{
	unsigned g =
	    atomic_load_explicit(&hmac_generation, memory_order_relaxed);
	if (g != hmac_seen) {
		sh_crypto_forget();
		hmac_seen = g;
	}
}

static const hmac_pads *hmac_pads_of(const uint8_t *key, size_t klen)
{
	hmac_kept_check();
	for (unsigned i = 0; i < HMAC_KEEP; i++)
		if (hmac_kept[i].klen == klen && klen &&
		    CRYPTO_memcmp(hmac_kept[i].key, key, klen) == 0)
			return &hmac_kept[i];
	hmac_pads *h = &hmac_kept[hmac_next++ % HMAC_KEEP];
	uint8_t k[64] = {0}, pad[64];
	if (klen) /* an empty key may come as NULL */
		memcpy(k, key, klen);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	SHA256_Init(&h->inner);
	SHA256_Update(&h->inner, pad, 64);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256_Init(&h->outer);
	SHA256_Update(&h->outer, pad, 64);
	if (klen)
		memcpy(h->key, key, klen);
	h->klen = klen;
	sh_wipe(k, sizeof(k));
	sh_wipe(pad, sizeof(pad));
	return h;
}

void sh_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t klen,
                    const void *data, size_t n)
{
	uint8_t hk[32], inner[32];
	if (klen > 64) {
		sh_sha256(hk, key, klen);
		key = hk;
		klen = sizeof(hk);
	}
	const hmac_pads *h = hmac_pads_of(key, klen);
	SHA256_CTX c = h->inner;
	SHA256_Update(&c, data, n);
	SHA256_Final(inner, &c);
	c = h->outer;
	SHA256_Update(&c, inner, sizeof(inner));
	SHA256_Final(out, &c);
	sh_wipe(&c, sizeof(c));
	sh_wipe(inner, sizeof(inner));
	sh_wipe(hk, sizeof(hk));
}

SHA_LOWLEVEL_END

void sh_hmac_sha256_kept(uint8_t out[32], const uint8_t *key, size_t klen,
                         const void *data, size_t n)
{
	hmac_kept_check();
	if (hmac_memo.valid && hmac_memo.klen == klen && hmac_memo.n == n &&
	    (!klen || CRYPTO_memcmp(hmac_memo.key, key, klen) == 0) &&
	    (!n || memcmp(hmac_memo.data, data, n) == 0)) {
		memcpy(out, hmac_memo.out, 32);
		return;
	}
	sh_hmac_sha256(out, key, klen, data, n);
	if (klen > sizeof(hmac_memo.key) || n > sizeof(hmac_memo.data))
		return;
	if (klen)
		memcpy(hmac_memo.key, key, klen);
	if (n)
		memcpy(hmac_memo.data, data, n);
	memcpy(hmac_memo.out, out, 32);
	hmac_memo.klen = klen;
	hmac_memo.n = n;
	hmac_memo.valid = 1;
}

void sh_crypto_forget(void)
{
	sh_wipe(hmac_kept, sizeof(hmac_kept));
	hmac_next = 0;
	sh_wipe(&hmac_memo, sizeof(hmac_memo));
}

void sh_crypto_forget_everywhere(void)
{
	atomic_fetch_add_explicit(&hmac_generation, 1, memory_order_relaxed);
	sh_crypto_forget();
}

void sh_wipe(void *p, size_t n)
{
	/* glibc's explicit_bzero: memset's speed (OPENSSL_cleanse stores a
	 * word at a time), and the compiler may not drop it */
	if (n)
		explicit_bzero(p, n);
}

sh_err sh_hkdf(uint8_t *out, size_t outlen, const uint8_t *ikm, size_t ikmlen,
               const char *salt, const char *info)
{
	sh_err e = SH_ERR_CRYPTO;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (!ctx)
		goto err;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256",
	                                     0),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm,
	                                      ikmlen),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
	                                      strlen(salt)),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
	                                      strlen(info)),
	    OSSL_PARAM_construct_end()};
	if (EVP_KDF_derive(ctx, out, outlen, params) == 1)
		e = SH_OK;
err:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return e;
}

static sh_err raw_keygen(int type, uint8_t pub[32], uint8_t sec[32])
{
	sh_err e = SH_ERR_CRYPTO;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(type, NULL);
	size_t pl = 32, sl = 32;
	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_keygen(ctx, &pk) != 1)
		goto err;
	if (EVP_PKEY_get_raw_public_key(pk, pub, &pl) != 1 ||
	    EVP_PKEY_get_raw_private_key(pk, sec, &sl) != 1 || pl != 32 ||
	    sl != 32)
		goto err;
	e = SH_OK;
err:
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	return e;
}

sh_err sh_ed25519_keygen(uint8_t pub[32], uint8_t sec[32])
{
	return raw_keygen(EVP_PKEY_ED25519, pub, sec);
}

sh_err sh_x25519_keygen(uint8_t pub[32], uint8_t sec[32])
{
	return raw_keygen(EVP_PKEY_X25519, pub, sec);
}

/* Ed25519 signing and verifying come from libsodium: on the machines we
 * measured, OpenSSL 3.0 took 46 us to sign and 112 us to verify a signal,
 * libsodium 23 and 59 (tests/bench: crypto). Both follow RFC 8032, so a
 * signature made by either verifies with the other; keys are still made
 * by OpenSSL (sh_ed25519_keygen) and stored as the 32-byte seed. With
 * one signature per frame, these two are on the path of every signal
 * when the load is light. The expanded secret key of the last seed used
 * is kept (the daemon signs with one key); programs are single-threaded. */
static uint8_t sign_seed[32], sign_sk[64];
static int sign_ready;

static void sign_key_drop(void)
{
	sodium_memzero(sign_seed, sizeof(sign_seed));
	sodium_memzero(sign_sk, sizeof(sign_sk));
	sign_ready = 0;
}

/* Atomic: the sending side seals on two threads (control.c). */
static int sodium_ready(void)
{
	static atomic_int ready;
	if (!atomic_load(&ready) && sodium_init() >= 0)
		atomic_store(&ready, 1);
	return atomic_load(&ready);
}

sh_err sh_ed25519_sign(uint8_t sig[64], const uint8_t sec[32], const void *msg,
                       size_t n)
{
	if (!sodium_ready())
		return SH_ERR_CRYPTO;
	if (!sign_ready || CRYPTO_memcmp(sign_seed, sec, 32) != 0) {
		uint8_t pk[32];
		static int hooked;
		if (!hooked && atexit(sign_key_drop) == 0)
			hooked = 1;
		if (crypto_sign_ed25519_seed_keypair(pk, sign_sk, sec) != 0)
			return SH_ERR_CRYPTO;
		memcpy(sign_seed, sec, 32);
		sign_ready = 1;
	}
	return crypto_sign_ed25519_detached(sig, NULL, msg, n, sign_sk) == 0
	           ? SH_OK
	           : SH_ERR_CRYPTO;
}

int sh_ed25519_verify(const uint8_t sig[64], const uint8_t pub[32],
                      const void *msg, size_t n)
{
	return sodium_ready() &&
	       crypto_sign_ed25519_verify_detached(sig, msg, n, pub) == 0;
}

int sh_ed25519_pub_usable(const uint8_t pub[32])
{
	/* libsodium: on the curve, canonical, of the prime order group (so
	 * not of small order: not the identity, not all zeros) */
	return sodium_ready() && crypto_core_ed25519_is_valid_point(pub) == 1;
}

int sh_x25519_pub_usable(const uint8_t pub[32])
{
	/* A clamped scalar is a multiple of the cofactor 8: times a point
	 * of small order it is the identity, which libsodium refuses (-1).
	 * Any scalar will do, so this one is fixed. */
	static const uint8_t k[32] = {0x5e, 0x1e, 0x4b, 0x75, 0x15};
	uint8_t out[32];
	int ok = sodium_ready() && crypto_scalarmult(out, k, pub) == 0;
	sodium_memzero(out, sizeof(out));
	return ok;
}

sh_err sh_x25519(uint8_t shared[32], const uint8_t sec[32],
                 const uint8_t peer_pub[32])
{
	sh_err e = SH_ERR_CRYPTO;
	size_t len = 32;
	EVP_PKEY *me =
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sec, 32);
	EVP_PKEY *peer =
	    EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub, 32);
	EVP_PKEY_CTX *ctx = me ? EVP_PKEY_CTX_new(me, NULL) : NULL;
	if (!ctx || !peer || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, shared, &len) != 1 || len != 32)
		goto err;
	e = SH_OK;
err:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(me);
	return e;
}

sh_err sh_x25519_public(uint8_t pub[32], const uint8_t sec[32])
{
	size_t len = 32;
	EVP_PKEY *k =
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sec, 32);
	sh_err e =
	    k && EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == 32
	        ? SH_OK
	        : SH_ERR_CRYPTO;
	EVP_PKEY_free(k);
	return e;
}

/* A CURVE key pair is an X25519 pair (ZeroMQ's CURVE is CurveZMQ, whose
 * keys are Curve25519's); ZeroMQ writes both halves as 40 Z85 characters. */
sh_err sh_curve_keypair(char pub_z85[41], char sec_z85[41])
{
	uint8_t pub[32], sec[32];
	sh_err e = sh_x25519_keygen(pub, sec);
	if (e == SH_OK) {
		sh_z85_encode(pub_z85, pub, 32);
		sh_z85_encode(sec_z85, sec, 32);
	}
	sodium_memzero(sec, sizeof(sec));
	return e;
}

sh_err sh_curve_public(char pub_z85[41], const char *sec_z85)
{
	uint8_t pub[32], sec[32];
	sh_err e = SH_ERR_CRYPTO;
	if (sh_z85_decode(sec, 32, sec_z85) == 0 &&
	    (e = sh_x25519_public(pub, sec)) == SH_OK)
		sh_z85_encode(pub_z85, pub, 32);
	sodium_memzero(sec, sizeof(sec));
	return e;
}

sh_err sh_seal(uint8_t *out, const uint8_t key[32], const uint8_t *ad,
               size_t adlen, const uint8_t *pt, size_t ptlen)
{
	uint8_t nonce[12];
	if (sh_random(nonce, sizeof(nonce)) != SH_OK)
		return SH_ERR_CRYPTO;
	return sh_seal_nonce(out, key, nonce, ad, adlen, pt, ptlen);
}

/* ChaCha20-Poly1305 (RFC 8439) from libsodium: no cipher context to set
 * up, fill and wipe for every signal, as OpenSSL's EVP needs; the bytes
 * are the same. A sealed part is nonce || ciphertext || tag. */
sh_err sh_seal_nonce(uint8_t *out, const uint8_t key[32],
                     const uint8_t nonce[12], const uint8_t *ad, size_t adlen,
                     const uint8_t *pt, size_t ptlen)
{
	if (!sodium_ready())
		return SH_ERR_CRYPTO;
	memmove(out, nonce, 12);
	if (crypto_aead_chacha20poly1305_ietf_encrypt_detached(
	        out + 12, out + 12 + ptlen, NULL, pt, ptlen, ad, adlen, NULL,
	        out, key) != 0)
		return SH_ERR_CRYPTO;
	return SH_OK;
}

sh_err sh_open(uint8_t *out, const uint8_t key[32], const uint8_t *ad,
               size_t adlen, const uint8_t *sealed, size_t sealedlen)
{
	if (sealedlen < SH_SEAL_OVERHEAD || !sodium_ready())
		return SH_ERR_SEAL;
	size_t ctlen = sealedlen - SH_SEAL_OVERHEAD;
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
	        out, NULL, sealed + 12, ctlen, sealed + 12 + ctlen, ad, adlen,
	        sealed, key) != 0)
		return SH_ERR_SEAL;
	return SH_OK;
}
