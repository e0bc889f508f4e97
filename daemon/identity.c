/*
 * identity.c - a partner's own key directory.
 *
 * Layout (created by `seinkey init`):
 *   card       the public partner card (mode 0644)
 *   curve.key  CURVE secret key, Z85      (mode 0600)
 *   sign.key   Ed25519 secret key, hex    (mode 0600)
 *   seal.key   X25519 secret key, hex     (mode 0600)
 *
 * Secret files are created with O_EXCL at mode 0600, so they never exist
 * with a wider mode and are never overwritten. Loading refuses a secret
 * file that group or others can read, and checks that each secret key
 * matches the public key on the card, so a mixed-up key directory is
 * caught at start-up rather than as failing handshakes later.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <openssl/evp.h>

#include "seinhuis.h"

static sh_err derive_pub(int type, const uint8_t sec[32], uint8_t pub[32])
{
	size_t len = 32;
	EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(type, NULL, sec, 32);
	int ok =
	    pk && EVP_PKEY_get_raw_public_key(pk, pub, &len) == 1 && len == 32;
	EVP_PKEY_free(pk);
	return ok ? SH_OK : SH_ERR_CRYPTO;
}

sh_err sh_identity_create(const char *dir, const sh_card *pub, char *why,
                          size_t whylen)
{
	sh_identity id;
	sh_err e;
	char path[1024], hex[65];
	sh_buf b = {0};

	memset(&id, 0, sizeof(id));
	id.card = *pub;
	if ((e = sh_mkdir_p(dir, 0700)) != SH_OK) {
		snprintf(why, whylen, "%s: cannot create directory: %s", dir,
		         strerror(errno));
		return e;
	}
	/* Refuse before generating anything if any file exists. */
	static const char *files[] = {"card", "curve.key", "sign.key",
	                              "seal.key"};
	for (size_t i = 0; i < 4; i++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (stat(path, &st) == 0) {
			snprintf(why, whylen,
			         "%s exists: refusing to overwrite an identity",
			         path);
			return SH_ERR_EXISTS;
		}
	}
	if (zmq_curve_keypair(id.card.curve_z85, id.curve_sec_z85) != 0 ||
	    !zmq_z85_decode(id.card.curve_pub, id.card.curve_z85) ||
	    sh_ed25519_keygen(id.card.sign_pub, id.sign_sec) != SH_OK ||
	    sh_x25519_keygen(id.card.seal_pub, id.seal_sec) != SH_OK) {
		snprintf(why, whylen, "key generation failed");
		e = SH_ERR_CRYPTO;
		goto err;
	}
	struct {
		const char *name;
		const char *text;
	} secrets[3];
	char signhex[66], sealhex[66], curve[42];
	snprintf(curve, sizeof(curve), "%s\n", id.curve_sec_z85);
	sh_hex(hex, id.sign_sec, 32);
	snprintf(signhex, sizeof(signhex), "%s\n", hex);
	sh_hex(hex, id.seal_sec, 32);
	snprintf(sealhex, sizeof(sealhex), "%s\n", hex);
	secrets[0].name = "curve.key", secrets[0].text = curve;
	secrets[1].name = "sign.key", secrets[1].text = signhex;
	secrets[2].name = "seal.key", secrets[2].text = sealhex;
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, secrets[i].name);
		if ((e = sh_write_new(path, 0600, secrets[i].text,
		                      strlen(secrets[i].text))) != SH_OK) {
			snprintf(why, whylen, "%s: cannot create: %s", path,
			         e == SH_ERR_EXISTS ? "exists"
			                            : strerror(errno));
			goto err;
		}
	}
	sh_wipe(curve, sizeof(curve));
	sh_wipe(signhex, sizeof(signhex));
	sh_wipe(sealhex, sizeof(sealhex));
	sh_card_format(&id.card, &b);
	snprintf(path, sizeof(path), "%s/card", dir);
	if ((e = sh_write_new(path, 0644, b.data, b.len)) != SH_OK)
		snprintf(why, whylen, "%s: cannot create: %s", path,
		         strerror(errno));
err:
	sh_buf_free(&b);
	sh_identity_wipe(&id);
	sh_wipe(hex, sizeof(hex));
	return e;
}

/* Read a secret key file: mode must be 0600 or stricter. */
static sh_err read_secret(const char *dir, const char *name, char *out,
                          size_t outlen, char *why, size_t whylen)
{
	char path[1024], *text = NULL;
	size_t len;
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return SH_ERR_KEYFILE;
	}
	if (st.st_mode & 077) {
		snprintf(why, whylen,
		         "%s: secret key file has mode %03o; it must not be "
		         "readable by group or others (chmod 600 %s)",
		         path, (unsigned)(st.st_mode & 0777), path);
		return SH_ERR_KEYFILE;
	}
	sh_err e = sh_read_file(path, 4096, &text, &len);
	if (e != SH_OK) {
		snprintf(why, whylen, "%s: cannot read: %s", path,
		         e == SH_ERR_WIRE_SIZE ? "larger than 4096 bytes: not "
		                                 "a key file"
		                               : strerror(errno));
		return SH_ERR_KEYFILE;
	}
	char *t = sh_trim(text);
	if (strlen(t) >= outlen) {
		snprintf(why, whylen, "%s: not a key file (too long)", path);
		e = SH_ERR_KEYFILE;
	} else {
		strcpy(out, t);
	}
	sh_wipe(text, len);
	free(text);
	return e;
}

/* KEYDIR/name: a secret key of 64 hex digits (Ed25519 or X25519, as
 * type), whose public key must be the card's (pub). */
static sh_err hex_key(const char *dir, const char *name, int type,
                      uint8_t sec[32], const uint8_t pub[32], char *why,
                      size_t whylen)
{
	char hex[80];
	uint8_t got[32];
	sh_err e = read_secret(dir, name, hex, sizeof(hex), why, whylen);
	if (e == SH_OK && sh_unhex(sec, 32, hex) < 0) {
		snprintf(why, whylen,
		         "%s/%s: not a key: expected 64 hexadecimal characters "
		         "(an %s secret key)",
		         dir, name,
		         type == EVP_PKEY_ED25519 ? "Ed25519" : "X25519");
		e = SH_ERR_KEYFILE;
	} else if (e == SH_OK && (derive_pub(type, sec, got) != SH_OK ||
	                          memcmp(got, pub, 32) != 0)) {
		snprintf(why, whylen, "%s/%s: not the %s key of this card", dir,
		         name,
		         type == EVP_PKEY_ED25519 ? "signing" : "sealing");
		e = SH_ERR_KEYFILE;
	}
	sh_wipe(hex, sizeof(hex));
	return e;
}

sh_err sh_identity_load(sh_identity *id, const char *dir, char *why,
                        size_t whylen)
{
	char path[1024];
	sh_err e;

	memset(id, 0, sizeof(*id));
	snprintf(path, sizeof(path), "%s/card", dir);
	if ((e = sh_card_load(&id->card, path, why, whylen)) != SH_OK)
		return e == SH_ERR_CARD ? SH_ERR_KEYFILE : e;
	if ((e = read_secret(dir, "curve.key", id->curve_sec_z85,
	                     sizeof(id->curve_sec_z85), why, whylen)) != SH_OK)
		goto err;
	char z85pub[41];
	if (strlen(id->curve_sec_z85) != 40 ||
	    zmq_curve_public(z85pub, id->curve_sec_z85) != 0) {
		snprintf(why, whylen,
		         "%s/curve.key: not a key: expected 40 Z85 characters "
		         "(a CURVE secret key)",
		         dir);
		e = SH_ERR_KEYFILE;
		goto err;
	}
	if (strcmp(z85pub, id->card.curve_z85) != 0) {
		snprintf(why, whylen,
		         "%s/curve.key: not the CURVE secret key of this card",
		         dir);
		e = SH_ERR_KEYFILE;
		goto err;
	}
	if ((e = hex_key(dir, "sign.key", EVP_PKEY_ED25519, id->sign_sec,
	                 id->card.sign_pub, why, whylen)) != SH_OK ||
	    (e = hex_key(dir, "seal.key", EVP_PKEY_X25519, id->seal_sec,
	                 id->card.seal_pub, why, whylen)) != SH_OK)
		goto err;
	return SH_OK;
err:
	sh_identity_wipe(id);
	return e;
}

void sh_identity_wipe(sh_identity *id)
{
	sh_wipe(id, sizeof(*id));
}

/* ------------------------------------------------------------- rotation */

/* KEYDIR/previous/ holds what the last rotation replaced: its curve.key
 * and sign.key (mode 0600), its card, and "until", the end of the overlap
 * in Unix seconds, written last. The daemon removes it once the overlap
 * has ended (sh_identity_prune_previous). */
#define PREV_DIR "previous"

int sh_identity_previous(const char *dir, int64_t *until, sh_card *card)
{
	char path[1100], *text;
	size_t len;
	snprintf(path, sizeof(path), "%s/" PREV_DIR "/until", dir);
	if (sh_read_file(path, 64, &text, &len) != SH_OK)
		return 0;
	char *end;
	long long t = strtoll(text, &end, 10);
	int ok = end != text && (*end == '\n' || *end == '\0') && t > 0;
	free(text);
	if (!ok)
		return 0;
	*until = t;
	if (card) {
		char why[256];
		snprintf(path, sizeof(path), "%s/" PREV_DIR "/card", dir);
		if (sh_card_load(card, path, why, sizeof(why)) != SH_OK)
			memset(card, 0, sizeof(*card));
	}
	return 1;
}

int sh_identity_prune_previous(const char *dir, int64_t now_s)
{
	int64_t until;
	if (!sh_identity_previous(dir, &until, NULL) || now_s < until)
		return 0;
	/* the secret keys first, "until" last: a removal cut short leaves
	 * a previous/ that is still recognised, and tried again */
	static const char *files[] = {"curve.key", "sign.key", "card", "until"};
	char path[1100];
	int err = 0;
	for (size_t i = 0; i < 4; i++) {
		if (i == 3 && err)
			break; /* a key left: "until" stays, tried again */
		snprintf(path, sizeof(path), "%s/" PREV_DIR "/%s", dir,
		         files[i]);
		if (unlink(path) < 0 && errno != ENOENT && !err)
			err = errno;
	}
	snprintf(path, sizeof(path), "%s/" PREV_DIR, dir);
	if (rmdir(path) < 0 && !err)
		err = errno;
	errno = err;
	return err ? -1 : 1;
}

sh_err sh_identity_rotate(const char *dir, int64_t until, sh_card *out,
                          char *why, size_t whylen)
{
	sh_identity old, nw;
	char path[1200], pdir[1100], text[200];
	sh_err e;
	int64_t prev_until;
	if ((e = sh_identity_load(&old, dir, why, whylen)) != SH_OK)
		return e;
	memset(&nw, 0, sizeof(nw));
	if (sh_identity_previous(dir, &prev_until, NULL)) {
		if (sh_now_ms() / 1000 < prev_until) {
			snprintf(
			    why, whylen,
			    "%s/" PREV_DIR
			    ": the last rotation's overlap lasts "
			    "until %lld (Unix time); rotate again after it",
			    dir, (long long)prev_until);
			e = SH_ERR_EXISTS;
			goto done;
		}
		sh_identity_prune_previous(dir, prev_until);
	}
	snprintf(pdir, sizeof(pdir), "%s/" PREV_DIR, dir);
	rmdir(pdir); /* one left empty by a removal cut short */
	if (access(pdir, F_OK) == 0) {
		snprintf(why, whylen,
		         "%s exists without a valid 'until' file: move it away "
		         "first",
		         pdir);
		e = SH_ERR_EXISTS;
		goto done;
	}
	if ((e = sh_mkdir_p(pdir, 0700)) != SH_OK) {
		snprintf(why, whylen, "%s: cannot create: %s", pdir,
		         strerror(errno));
		goto done;
	}
	/* The previous keys first: a rotation cut short leaves the identity
	 * as it was, plus a previous/ that the next attempt replaces. */
	char hex[65];
	struct {
		const char *name;
		int mode;
		char text[80];
	} keep[2] = {{"curve.key", 0600, ""}, {"sign.key", 0600, ""}};
	snprintf(keep[0].text, sizeof(keep[0].text), "%s\n", old.curve_sec_z85);
	sh_hex(hex, old.sign_sec, 32);
	snprintf(keep[1].text, sizeof(keep[1].text), "%s\n", hex);
	sh_wipe(hex, sizeof(hex));
	for (size_t i = 0; i < 2 && e == SH_OK; i++) {
		snprintf(path, sizeof(path), "%s/%s", pdir, keep[i].name);
		unlink(path);
		e = sh_write_new(path, keep[i].mode, keep[i].text,
		                 strlen(keep[i].text));
		sh_wipe(keep[i].text, sizeof(keep[i].text));
		if (e != SH_OK)
			snprintf(why, whylen, "%s: cannot create: %s", path,
			         strerror(errno));
	}
	if (e != SH_OK)
		goto done;
	sh_buf b = {0};
	sh_card_format(&old.card, &b);
	snprintf(path, sizeof(path), "%s/card", pdir);
	e = sh_write_replace(path, 0644, b.data, b.len);
	if (e == SH_OK) {
		/* kept for good: heads signed with the old key still verify
		 * after the next rotation (sh_audit_keys_load) */
		char fp[17];
		sh_key_fingerprint(fp, old.card.sign_pub);
		snprintf(path, sizeof(path), "%s/" SH_EARLIER_CARDS, dir);
		e = sh_mkdir_p(path, 0700);
		snprintf(path, sizeof(path), "%s/" SH_EARLIER_CARDS "/%s.card",
		         dir, fp);
		if (e == SH_OK)
			e = sh_write_replace(path, 0644, b.data, b.len);
	}
	sh_buf_free(&b);
	snprintf(text, sizeof(text), "%lld\n", (long long)until);
	if (e == SH_OK) {
		/* (path names what failed) */
		snprintf(path, sizeof(path), "%s/until", pdir);
		e = sh_write_replace(path, 0600, text, strlen(text));
	}
	if (e != SH_OK) {
		snprintf(why, whylen, "%s: cannot write: %s", path,
		         strerror(errno));
		goto done;
	}
	/* The new keys, on a card that names the previous ones. */
	nw.card = old.card;
	if (zmq_curve_keypair(nw.card.curve_z85, nw.curve_sec_z85) != 0 ||
	    !zmq_z85_decode(nw.card.curve_pub, nw.card.curve_z85) ||
	    sh_ed25519_keygen(nw.card.sign_pub, nw.sign_sec) != SH_OK) {
		snprintf(why, whylen, "key generation failed");
		e = SH_ERR_CRYPTO;
		goto done;
	}
	nw.card.has_prev = 1;
	memcpy(nw.card.prev_curve, old.card.curve_pub, SH_KEY_LEN);
	memcpy(nw.card.prev_curve_z85, old.card.curve_z85,
	       sizeof(nw.card.prev_curve_z85));
	memcpy(nw.card.prev_sign, old.card.sign_pub, SH_KEY_LEN);
	nw.card.prev_until = until;
	if ((e = sh_card_sign_previous(&nw.card, old.sign_sec)) != SH_OK) {
		snprintf(why, whylen, "signing the new card failed");
		goto done;
	}
	char curve[48], sign[72];
	snprintf(curve, sizeof(curve), "%s\n", nw.curve_sec_z85);
	sh_hex(hex, nw.sign_sec, 32);
	snprintf(sign, sizeof(sign), "%s\n", hex);
	sh_wipe(hex, sizeof(hex));
	sh_buf cb = {0};
	sh_card_format(&nw.card, &cb);
	const char *names[3] = {"curve.key", "sign.key", "card"};
	const char *texts[3] = {curve, sign, (const char *)cb.data};
	size_t lens[3] = {strlen(curve), strlen(sign), cb.len};
	int modes[3] = {0600, 0600, 0644};
	for (size_t i = 0; i < 3 && e == SH_OK; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		e = sh_write_replace(path, modes[i], texts[i], lens[i]);
		if (e != SH_OK)
			snprintf(
			    why, whylen,
			    "%s: cannot write: %s (the previous keys are in "
			    "%s)",
			    path, strerror(errno), pdir);
	}
	sh_wipe(curve, sizeof(curve));
	sh_wipe(sign, sizeof(sign));
	sh_buf_free(&cb);
	if (e == SH_OK && out)
		*out = nw.card;
done:
	sh_identity_wipe(&old);
	sh_identity_wipe(&nw);
	return e;
}

sh_err sh_identity_card_update(const char *dir, const char *endpoint,
                               const char *name, const char *munis,
                               sh_card *old_out, sh_card *out, char *why,
                               size_t whylen)
{
	/* the whole identity, so that only a key directory whose secret
	 * keys are the card's gets a new card */
	sh_identity id;
	sh_err e = sh_identity_load(&id, dir, why, whylen);
	if (e != SH_OK)
		return e;
	sh_card nc = id.card;
	static const char *const keys[3] = {"endpoint", "name",
	                                    "municipalities"};
	const char *vals[3] = {endpoint, name, munis};
	char sub[512];
	for (int i = 0; i < 3 && e == SH_OK; i++)
		if (vals[i] && sh_card_set(&nc, keys[i], vals[i], sub,
		                           sizeof(sub)) != SH_OK) {
			/* a value given that breaks a card rule: the caller's
			 */
			snprintf(why, whylen, "--%s: %s", keys[i], sub);
			e = SH_ERR_USAGE;
		}
	if (e != SH_OK)
		goto done;
	if (nc.has_prev && sh_now_ms() / 1000 >= nc.prev_until) {
		/* the overlap is over: partners refuse those keys anyway */
		nc.has_prev = 0;
		memset(nc.prev_curve, 0, sizeof(nc.prev_curve));
		memset(nc.prev_curve_z85, 0, sizeof(nc.prev_curve_z85));
		memset(nc.prev_sign, 0, sizeof(nc.prev_sign));
		memset(nc.prev_sig, 0, sizeof(nc.prev_sig));
		nc.prev_until = 0;
	} else if (nc.has_prev) {
		/* partners check that the holder of the keys they trusted
		 * made the card: its rotation signature covers the endpoint */
		uint8_t psec[32];
		char pdir[1100];
		snprintf(pdir, sizeof(pdir), "%s/" PREV_DIR, dir);
		e = hex_key(pdir, "sign.key", EVP_PKEY_ED25519, psec,
		            nc.prev_sign, sub, sizeof(sub));
		if (e == SH_OK)
			e = sh_card_sign_previous(&nc, psec);
		sh_wipe(psec, sizeof(psec));
		if (e != SH_OK) {
			snprintf(why, whylen,
			         "the card continues a key rotation whose "
			         "overlap lasts until %lld (Unix time), and "
			         "the changed card must be signed with the "
			         "previous signing key: %s",
			         (long long)nc.prev_until, sub);
			goto done;
		}
	}
	/* read back as partners will read it before it replaces the old */
	sh_buf b = {0};
	sh_card_format(&nc, &b);
	sh_card check;
	char path[1100];
	if ((e = sh_card_parse(&check, (const char *)b.data, b.len, sub,
	                       sizeof(sub))) != SH_OK) {
		snprintf(why, whylen, "the changed card does not check: %s",
		         sub);
	} else {
		snprintf(path, sizeof(path), "%s/card", dir);
		if ((e = sh_write_replace(path, 0644, b.data, b.len)) != SH_OK)
			snprintf(why, whylen, "%s: cannot write: %s", path,
			         strerror(errno));
	}
	sh_buf_free(&b);
	if (e == SH_OK) {
		*old_out = id.card;
		*out = nc;
	}
done:
	sh_identity_wipe(&id);
	return e;
}
