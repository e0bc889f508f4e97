/*
 * identity.c - a partner's own key directory.
 *
 * Layout (created by `seinkey init`):
 *   card       the public partner card (mode 0644)
 *   curve.key  CURVE secret key, Z85      (mode 0600)
 *   sign.key   Ed25519 secret key, hex    (mode 0600)
 *   seal.key   X25519 secret key, hex     (mode 0600)
 * and after a rotation previous/ and earlier/ (below), and while one is
 * being made rotating/.
 *
 * Secret files are created with O_EXCL at mode 0600, so they never exist
 * with a wider mode and are never overwritten. Loading refuses a key
 * directory (or its earlier/, previous/) that group or others may write
 * or that belongs to another user, and a secret file that group or others
 * can read, that belongs to another user or that is not a regular file
 * (a FIFO would block the reader); it checks that each secret key matches
 * the public key on the card, so a mixed-up key directory is caught at
 * start-up rather than as failing handshakes later.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "seinhuis.h"

/* Subdirectories of KEYDIR: see the rotation section. */
#define PREV_DIR "previous"
#define ROT_DIR  "rotating"

/* The owner and mode rules (kind, seinhuis.h): a key directory, a trust
 * store or a card in it must be this user's or root's and not writable by
 * group or others; a secret key file must be this user's and not readable
 * (or writable) by group or others. */
sh_err sh_owner_mode_check(const char *path, const struct stat *st,
                           sh_owned kind, char *why, size_t whylen)
{
	static const char *const what[] = {"a key directory",
	                                   "a secret key file", "a trust store",
	                                   "a card in the trust store"};
	int secret = kind == SH_OWNED_SECRET;
	uid_t me = geteuid();
	if (st->st_uid != me && !(!secret && st->st_uid == 0)) {
		snprintf(why, whylen,
		         "%s: %s must belong to the user that uses it (uid "
		         "%u)%s, not to uid %u",
		         path, what[kind], (unsigned)me,
		         secret ? "" : " or to root", (unsigned)st->st_uid);
		return SH_ERR_KEYFILE;
	}
	if (st->st_mode & (secret ? 077 : 022)) {
		if (secret)
			snprintf(why, whylen,
			         "%s: secret key file has mode %03o; it must "
			         "not be readable by group or others (chmod "
			         "600 %s)",
			         path, (unsigned)(st->st_mode & 0777), path);
		else
			snprintf(why, whylen,
			         "%s: %s must not be writable by group or "
			         "others, and this one has mode %03o (chmod "
			         "go-w %s)",
			         path, what[kind],
			         (unsigned)(st->st_mode & 0777), path);
		return SH_ERR_KEYFILE;
	}
	return SH_OK;
}

/* A file of the key directory that this user may not read (EACCES): why
 * names the file's owner and mode and the rule it breaks, and how keys
 * are made as the daemon's user, as seinkey says it. */
static void denied_why(const char *dir, const char *path, char *why,
                       size_t whylen)
{
	char user[64], own[80];
	struct stat st;
	struct passwd *pw = getpwuid(geteuid());
	if (pw)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "%u", (unsigned)geteuid());
	if (stat(path, &st) == 0)
		snprintf(own, sizeof(own), "it belongs to uid %u, mode %03o",
		         (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
	else if (stat(dir, &st) == 0)
		snprintf(own, sizeof(own),
		         "its directory belongs to uid %u, mode %03o",
		         (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
	else
		snprintf(own, sizeof(own), "its directory cannot be reached");
	snprintf(why, whylen,
	         "%s: permission denied for uid %u (%s): %s. A key directory "
	         "and its files must be readable by the user that uses them, "
	         "and each secret key file must belong to that user, mode "
	         "0600: make the keys as that user (runuser -u %s -- seinkey "
	         "...), or give them to it (chown -R %s: %s)",
	         path, (unsigned)geteuid(), user, own, user, user, dir);
}

sh_err sh_keydir_check(const char *dir, char *why, size_t whylen)
{
	struct stat st;
	if (stat(dir, &st) < 0) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return errno == ENOENT ? SH_ERR_NOTFOUND : SH_ERR_KEYFILE;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s: not a directory", dir);
		return SH_ERR_KEYFILE;
	}
	return sh_owner_mode_check(dir, &st, SH_OWNED_KEYDIR, why, whylen);
}

/* KEYDIR and those of its subdirectories that exist. */
static sh_err keydir_check_all(const char *dir, char *why, size_t whylen)
{
	static const char *const subs[] = {SH_EARLIER_CARDS, PREV_DIR, ROT_DIR};
	char path[1100];
	sh_err e = sh_keydir_check(dir, why, whylen);
	for (size_t i = 0; i < 3 && e == SH_OK; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subs[i]);
		if (access(path, F_OK) == 0)
			e = sh_keydir_check(path, why, whylen);
	}
	return e;
}

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
	char path[1024], hex[65], signhex[66], sealhex[66], curve[42];
	sh_buf b = {0};
	/* what this call wrote, removed again if it fails */
	static const char *files[] = {"curve.key", "sign.key", "seal.key",
	                              "card"};
	int written[4] = {0, 0, 0, 0};

	memset(&id, 0, sizeof(id));
	curve[0] = signhex[0] = sealhex[0] = '\0';
	id.card = *pub;
	if (strlen(dir) >= SH_KEYDIR_MAX) {
		snprintf(why, whylen,
		         "the key directory's path has at most %d characters",
		         SH_KEYDIR_MAX - 1);
		return SH_ERR_USAGE;
	}
	if ((e = sh_mkdir_p(dir, 0700)) != SH_OK) {
		snprintf(why, whylen, "%s: cannot create directory: %s", dir,
		         strerror(errno));
		return e;
	}
	/* an existing directory too: keys in a directory others may write
	 * to could be swapped or removed under the daemon */
	if ((e = sh_keydir_check(dir, why, whylen)) != SH_OK)
		return e;
	/* Refuse before generating anything if any file exists. */
	for (size_t i = 0; i < 4; i++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (lstat(path, &st) == 0) {
			snprintf(why, whylen,
			         "%s exists: refusing to overwrite an identity",
			         path);
			return SH_ERR_EXISTS;
		}
	}
	if (sh_curve_keypair(id.card.curve_z85, id.curve_sec_z85) != SH_OK ||
	    sh_z85_decode(id.card.curve_pub, 32, id.card.curve_z85) != 0 ||
	    sh_ed25519_keygen(id.card.sign_pub, id.sign_sec) != SH_OK ||
	    sh_x25519_keygen(id.card.seal_pub, id.seal_sec) != SH_OK) {
		snprintf(why, whylen, "key generation failed");
		e = SH_ERR_CRYPTO;
		goto err;
	}
	snprintf(curve, sizeof(curve), "%s\n", id.curve_sec_z85);
	sh_hex(hex, id.sign_sec, 32);
	snprintf(signhex, sizeof(signhex), "%s\n", hex);
	sh_hex(hex, id.seal_sec, 32);
	snprintf(sealhex, sizeof(sealhex), "%s\n", hex);
	sh_card_format(&id.card, &b);
	const char *texts[4] = {curve, signhex, sealhex, (const char *)b.data};
	size_t lens[4] = {strlen(curve), strlen(signhex), strlen(sealhex),
	                  b.len};
	/* the card last: a directory with a card is a whole identity */
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if ((e = sh_write_new(path, i == 3 ? 0644 : 0600, texts[i],
		                      lens[i])) != SH_OK) {
			snprintf(why, whylen, "%s: cannot create: %s", path,
			         e == SH_ERR_EXISTS ? "exists"
			                            : strerror(errno));
			goto err;
		}
		written[i] = 1;
	}
	if ((e = sh_fsync_dir(dir)) != SH_OK)
		snprintf(why, whylen, "%s: cannot sync: %s", dir,
		         strerror(errno));
err:
	if (e != SH_OK) {
		/* no partial identity: a retry starts from an empty dir */
		for (size_t i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
			if (written[i])
				unlink(path);
		}
	}
	sh_buf_free(&b);
	sh_identity_wipe(&id);
	sh_wipe(hex, sizeof(hex));
	sh_wipe(curve, sizeof(curve));
	sh_wipe(signhex, sizeof(signhex));
	sh_wipe(sealhex, sizeof(sealhex));
	return e;
}

/* Read a secret key file: a regular file of this user's, mode 0600 or
 * stricter, checked on the very descriptor that is read. */
static sh_err read_secret(const char *dir, const char *name, char *out,
                          size_t outlen, char *why, size_t whylen)
{
	char path[1024], *text = NULL;
	size_t len;
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = sh_open_regular(path, &st);
	if (fd == -2) {
		snprintf(why, whylen,
		         "%s: %s: a secret key file must be a regular file",
		         path, sh_file_type_name(st.st_mode));
		return SH_ERR_KEYFILE;
	}
	if (fd < 0 && errno == EACCES) {
		denied_why(dir, path, why, whylen);
		return SH_ERR_KEYFILE;
	}
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return SH_ERR_KEYFILE;
	}
	if (sh_owner_mode_check(path, &st, SH_OWNED_SECRET, why, whylen) !=
	    SH_OK) {
		close(fd);
		return SH_ERR_KEYFILE;
	}
	sh_err e = sh_read_fd(fd, 4096, &text, &len);
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
	if ((e = keydir_check_all(dir, why, whylen)) != SH_OK)
		return e == SH_ERR_NOTFOUND ? SH_ERR_KEYFILE : e;
	snprintf(path, sizeof(path), "%s/" ROT_DIR "/ready", dir);
	if (access(path, F_OK) == 0) {
		snprintf(why, whylen,
		         "%s/" ROT_DIR
		         ": a key rotation was cut short after its new keys "
		         "were complete, and the key directory holds some of "
		         "each: run seinkey rotate again, which finishes it",
		         dir);
		return SH_ERR_KEYFILE;
	}
	snprintf(path, sizeof(path), "%s/card", dir);
	if ((e = sh_card_load(&id->card, path, why, whylen)) != SH_OK) {
		if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0 &&
		    errno == EACCES)
			denied_why(dir, path, why, whylen);
		return e == SH_ERR_CARD ? SH_ERR_KEYFILE : e;
	}
	if ((e = read_secret(dir, "curve.key", id->curve_sec_z85,
	                     sizeof(id->curve_sec_z85), why, whylen)) != SH_OK)
		goto err;
	char z85pub[41];
	if (strlen(id->curve_sec_z85) != 40 ||
	    sh_curve_public(z85pub, id->curve_sec_z85) != SH_OK) {
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
 * in Unix seconds (1 to 253402300799, as on a card). The daemon removes it
 * once the overlap has ended (sh_identity_prune_previous).
 *
 * A rotation is made in steps that can each be cut short (a crash, a full
 * disk) and is finished or undone by the next `seinkey rotate`:
 *   1. KEYDIR/rotating/ gets the new curve.key, sign.key and card, and
 *      previous/ the current keys, card and until, each fsynced;
 *   2. rotating/ready is written: from here on the rotation is decided;
 *   3. the new files are renamed from rotating/ over the current ones, the
 *      directory fsynced, and rotating/ removed.
 * Cut short before 2, the identity is as it was (it loads), and the next
 * rotation removes rotating/ and the previous/ that holds copies of the
 * current keys. Cut short after 2, the key directory may hold some new
 * and some old files: loading refuses it, and the next rotation finishes
 * the renames instead of starting another. */

static int64_t parse_until(const char *text)
{
	char *end;
	errno = 0;
	long long t = strtoll(text, &end, 10);
	if (errno || end == text || (*end != '\n' && *end != '\0') ||
	    (*end == '\n' && end[1] != '\0') || t < 1 || t > 253402300799LL)
		return 0;
	return t;
}

int sh_identity_previous(const char *dir, int64_t *until, sh_card *card)
{
	char path[1100], *text;
	size_t len;
	snprintf(path, sizeof(path), "%s/" PREV_DIR "/until", dir);
	if (sh_read_regular(path, 64, &text, &len) != SH_OK)
		return 0;
	int64_t t = parse_until(text);
	free(text);
	if (!t)
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

/* Remove the files a rotation puts in KEYDIR/sub (secret keys first) and
 * temporary copies left beside them, then the directory: 0, or -1 with
 * errno of the first failure (ENOTEMPTY: it holds other files). */
static int remove_rotation_dir(const char *dir, const char *sub)
{
	static const char *files[] = {"curve.key", "sign.key", "card", "until",
	                              "ready"};
	char path[1400], d[1100];
	int err = 0;
	snprintf(d, sizeof(d), "%s/%s", dir, sub);
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/%s", d, files[i]);
		if (unlink(path) < 0 && errno != ENOENT && !err)
			err = errno;
	}
	DIR *dd = opendir(d);
	struct dirent *de;
	while (dd && (de = readdir(dd))) {
		for (size_t i = 0; i < 5; i++) {
			size_t n = strlen(files[i]);
			if (strncmp(de->d_name, files[i], n) == 0 &&
			    strncmp(de->d_name + n, ".tmp.", 5) == 0) {
				snprintf(path, sizeof(path), "%s/%s", d,
				         de->d_name);
				if (unlink(path) < 0 && !err)
					err = errno;
			}
		}
	}
	if (dd)
		closedir(dd);
	if (rmdir(d) < 0 && errno != ENOENT && !err)
		err = errno;
	sh_fsync_dir(dir);
	errno = err;
	return err ? -1 : 0;
}

int sh_identity_prune_previous(const char *dir, int64_t now_s)
{
	int64_t until;
	if (!sh_identity_previous(dir, &until, NULL) || now_s < until)
		return 0;
	/* not in a directory that others could have filled */
	char why[256], pdir[1100];
	snprintf(pdir, sizeof(pdir), "%s/" PREV_DIR, dir);
	if (sh_keydir_check(dir, why, sizeof(why)) != SH_OK ||
	    sh_keydir_check(pdir, why, sizeof(why)) != SH_OK) {
		errno = EPERM;
		return -1;
	}
	/* the secret keys first, "until" last: a removal cut short leaves
	 * a previous/ that is still recognised, and tried again */
	static const char *files[] = {"curve.key", "sign.key", "card", "until"};
	char path[1200];
	int err = 0;
	for (size_t i = 0; i < 4; i++) {
		if (i == 3 && err)
			break; /* a key left: "until" stays, tried again */
		snprintf(path, sizeof(path), "%s/%s", pdir, files[i]);
		if (unlink(path) < 0 && errno != ENOENT && !err)
			err = errno;
	}
	if (rmdir(pdir) < 0 && !err)
		err = errno;
	errno = err;
	return err ? -1 : 1;
}

/* Whether KEYDIR/sub/name holds the secret text (trimmed) or is absent. */
static int copy_or_absent(const char *dir, const char *sub, const char *name,
                          const char *secret)
{
	char path[1200], *text;
	size_t len;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	sh_err e = sh_read_regular(path, 4096, &text, &len);
	if (e == SH_ERR_NOTFOUND)
		return 1;
	if (e != SH_OK)
		return 0;
	int same = strcmp(sh_trim(text), secret) == 0;
	sh_wipe(text, len);
	free(text);
	return same;
}

/* Step 3: the new files from rotating/ over the current ones. Each rename
 * is atomic, and one already made is not made again. */
static sh_err rotation_finish(const char *dir, char *why, size_t whylen)
{
	static const char *names[3] = {"curve.key", "sign.key", "card"};
	char from[1200], to[1200];
	for (size_t i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s/" ROT_DIR "/%s", dir,
		         names[i]);
		snprintf(to, sizeof(to), "%s/%s", dir, names[i]);
		if (rename(from, to) < 0 && errno != ENOENT) {
			snprintf(why, whylen,
			         "%s: cannot put the new key in place: %s; the "
			         "new keys are complete in %s/" ROT_DIR
			         ": run seinkey rotate again to finish (the "
			         "daemon does not start until then)",
			         to, strerror(errno), dir);
			return SH_ERR_SYS;
		}
	}
	if (sh_fsync_dir(dir) != SH_OK ||
	    remove_rotation_dir(dir, ROT_DIR) < 0) {
		snprintf(why, whylen, "%s/" ROT_DIR ": cannot remove: %s", dir,
		         strerror(errno));
		return SH_ERR_SYS;
	}
	return SH_OK;
}

/* Write KEYDIR/sub/name, a new file, fsynced; why names it on failure. */
static sh_err put(const char *dir, const char *sub, const char *name, int mode,
                  const void *data, size_t len, char *why, size_t whylen)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	sh_err e = sh_write_new(path, mode, data, len);
	if (e != SH_OK)
		snprintf(why, whylen, "%s: cannot create: %s", path,
		         e == SH_ERR_EXISTS ? "exists" : strerror(errno));
	return e;
}

sh_err sh_identity_rotate(const char *dir, int64_t until, sh_card *out,
                          int *resumed, char *why, size_t whylen)
{
	sh_identity old, nw;
	char path[1200], pdir[1100], rdir[1100], text[200], hex[65];
	char oldcurve[48], oldsign[72], curve[48], sign[72];
	sh_buf ob = {0}, cb = {0};
	sh_err e;
	int64_t prev_until = 0;

	memset(&old, 0, sizeof(old));
	memset(&nw, 0, sizeof(nw));
	oldcurve[0] = oldsign[0] = curve[0] = sign[0] = '\0';
	if (resumed)
		*resumed = 0;
	snprintf(pdir, sizeof(pdir), "%s/" PREV_DIR, dir);
	snprintf(rdir, sizeof(rdir), "%s/" ROT_DIR, dir);
	if ((e = keydir_check_all(dir, why, whylen)) != SH_OK)
		return e == SH_ERR_NOTFOUND ? SH_ERR_KEYFILE : e;
	/* A rotation decided (step 2) but cut short: finished, not
	 * started again. */
	snprintf(path, sizeof(path), "%s/ready", rdir);
	if (access(path, F_OK) == 0) {
		if ((e = rotation_finish(dir, why, whylen)) != SH_OK)
			return e;
		if ((e = sh_identity_load(&nw, dir, why, whylen)) == SH_OK) {
			if (out)
				*out = nw.card;
			if (resumed)
				*resumed = 1;
		}
		sh_identity_wipe(&nw);
		return e;
	}
	if ((e = sh_identity_load(&old, dir, why, whylen)) != SH_OK)
		return e;
	snprintf(oldcurve, sizeof(oldcurve), "%s", old.curve_sec_z85);
	sh_hex(oldsign, old.sign_sec, 32);
	/* One cut short before it was decided: undone. Its previous/ is
	 * removed only if it holds copies of the current keys (or none),
	 * never the keys of an earlier rotation. */
	if (access(rdir, F_OK) == 0) {
		if (remove_rotation_dir(dir, ROT_DIR) < 0) {
			snprintf(why, whylen,
			         "%s: a rotation cut short left it, and it "
			         "cannot be removed: %s",
			         rdir, strerror(errno));
			e = SH_ERR_SYS;
			goto done;
		}
		if (access(pdir, F_OK) == 0 &&
		    copy_or_absent(dir, PREV_DIR, "curve.key", oldcurve) &&
		    copy_or_absent(dir, PREV_DIR, "sign.key", oldsign))
			remove_rotation_dir(dir, PREV_DIR);
	}
	/* The overlap of the last rotation: as previous/until says; with no
	 * valid until (lost, damaged) as the card says, if previous/ holds
	 * keys other than copies of the current ones (those are what a
	 * rotation cut short by an older version left). */
	int64_t now = sh_now_ms() / 1000, end = 0;
	if (sh_identity_previous(dir, &prev_until, NULL))
		end = prev_until;
	else if (old.card.has_prev && access(pdir, F_OK) == 0 &&
	         !(copy_or_absent(dir, PREV_DIR, "curve.key", oldcurve) &&
	           copy_or_absent(dir, PREV_DIR, "sign.key", oldsign)))
		end = old.card.prev_until;
	if (now < end) {
		char at[40];
		sh_fmt_utc(at, sizeof(at), end * 1000);
		snprintf(why, whylen,
		         "%s: the last rotation's overlap lasts until %s; "
		         "rotate again after it",
		         pdir, at);
		e = SH_ERR_EXISTS;
		goto done;
	}
	/* Over: what previous/ holds is no longer accepted by anyone. */
	if (access(pdir, F_OK) == 0 && remove_rotation_dir(dir, PREV_DIR) < 0) {
		snprintf(why, whylen,
		         "%s: cannot remove the keys of the last rotation, "
		         "whose overlap is over: %s%s",
		         pdir, strerror(errno),
		         errno == ENOTEMPTY ? " (it holds other files: move "
		                              "them away)"
		                            : "");
		e = SH_ERR_EXISTS;
		goto done;
	}

	/* Step 1: the new keys, on a card that names the previous ones. */
	nw.card = old.card;
	if (sh_curve_keypair(nw.card.curve_z85, nw.curve_sec_z85) != SH_OK ||
	    sh_z85_decode(nw.card.curve_pub, 32, nw.card.curve_z85) != 0 ||
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
	snprintf(curve, sizeof(curve), "%s\n", nw.curve_sec_z85);
	sh_hex(hex, nw.sign_sec, 32);
	snprintf(sign, sizeof(sign), "%s\n", hex);
	sh_card_format(&nw.card, &cb);
	sh_card_format(&old.card, &ob);
	if (mkdir(rdir, 0700) < 0 || mkdir(pdir, 0700) < 0 ||
	    sh_fsync_dir(dir) != SH_OK) {
		snprintf(why, whylen, "%s: cannot create %s/, %s/: %s", dir,
		         ROT_DIR, PREV_DIR, strerror(errno));
		e = SH_ERR_SYS;
		goto done;
	}
	snprintf(text, sizeof(text), "%lld\n", (long long)until);
	size_t ol = strlen(oldcurve), sl = strlen(oldsign);
	oldcurve[ol] = '\n', oldcurve[ol + 1] = '\0';
	oldsign[sl] = '\n', oldsign[sl + 1] = '\0';
	if ((e = put(dir, ROT_DIR, "curve.key", 0600, curve, strlen(curve), why,
	             whylen)) != SH_OK ||
	    (e = put(dir, ROT_DIR, "sign.key", 0600, sign, strlen(sign), why,
	             whylen)) != SH_OK ||
	    (e = put(dir, ROT_DIR, "card", 0644, cb.data, cb.len, why,
	             whylen)) != SH_OK ||
	    (e = put(dir, PREV_DIR, "curve.key", 0600, oldcurve, ol + 1, why,
	             whylen)) != SH_OK ||
	    (e = put(dir, PREV_DIR, "sign.key", 0600, oldsign, sl + 1, why,
	             whylen)) != SH_OK ||
	    (e = put(dir, PREV_DIR, "card", 0644, ob.data, ob.len, why,
	             whylen)) != SH_OK ||
	    (e = put(dir, PREV_DIR, "until", 0600, text, strlen(text), why,
	             whylen)) != SH_OK)
		goto undo;
	/* kept for good: heads signed with the old key still verify after
	 * the next rotation (sh_audit_keys_load) */
	char fp[17];
	sh_key_fingerprint(fp, old.card.sign_pub);
	snprintf(path, sizeof(path), "%s/" SH_EARLIER_CARDS, dir);
	if ((e = sh_mkdir_p(path, 0700)) == SH_OK) {
		snprintf(path, sizeof(path), "%s/" SH_EARLIER_CARDS "/%s.card",
		         dir, fp);
		e = sh_write_replace(path, 0644, ob.data, ob.len);
	}
	if (e != SH_OK) {
		snprintf(why, whylen, "%s: cannot write: %s", path,
		         strerror(errno));
		goto undo;
	}
	if (sh_fsync_dir(pdir) != SH_OK || sh_fsync_dir(rdir) != SH_OK) {
		snprintf(why, whylen, "%s: cannot sync: %s", dir,
		         strerror(errno));
		e = SH_ERR_SYS;
		goto undo;
	}
	/* Step 2: decided. */
	sh_key_fingerprint(fp, nw.card.curve_pub);
	snprintf(text, sizeof(text), "new key %s\n", fp);
	if ((e = put(dir, ROT_DIR, "ready", 0600, text, strlen(text), why,
	             whylen)) != SH_OK)
		goto undo;
	if (sh_fsync_dir(rdir) != SH_OK) {
		snprintf(why, whylen, "%s: cannot sync: %s", rdir,
		         strerror(errno));
		e = SH_ERR_SYS;
		goto done; /* decided or not: the next rotate tells */
	}
	/* Step 3. */
	if ((e = rotation_finish(dir, why, whylen)) == SH_OK && out)
		*out = nw.card;
	goto done;
undo:
	/* nothing of the current identity was touched */
	remove_rotation_dir(dir, ROT_DIR);
	remove_rotation_dir(dir, PREV_DIR);
done:
	sh_buf_free(&ob);
	sh_buf_free(&cb);
	sh_wipe(hex, sizeof(hex));
	sh_wipe(oldcurve, sizeof(oldcurve));
	sh_wipe(oldsign, sizeof(oldsign));
	sh_wipe(curve, sizeof(curve));
	sh_wipe(sign, sizeof(sign));
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
			char at[40];
			sh_fmt_utc(at, sizeof(at), nc.prev_until * 1000);
			snprintf(why, whylen,
			         "the card continues a key rotation whose "
			         "overlap lasts until %s, and the changed card "
			         "must be signed with the previous signing "
			         "key: %s",
			         at, sub);
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
