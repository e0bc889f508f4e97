/*
 * test_keys.c - identities, partner cards and the trust store
 * (identity.c, card.c).
 *
 * An identity directory must come out with exactly the documented modes,
 * must never be overwritten, and must not load when a secret file is too
 * open or belongs to another identity. A card must survive format and
 * parse unchanged, and every damaged line must be refused by its number.
 */
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "check.h"
#include "fixture.h"
#include "route.h"
#include "seinhuis.h"

static const char *const files[] = {"card", "curve.key", "sign.key",
                                    "seal.key"};

static int mode_of(const char *dir, const char *name)
{
	char path[1024];
	struct stat st;
	fx_path(path, sizeof(path), dir, name);
	if (lstat(path, &st) < 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

static int exists(const char *dir, const char *name)
{
	char path[1024];
	struct stat st;
	fx_path(path, sizeof(path), dir, name);
	return lstat(path, &st) == 0;
}

static char *read_in(const char *dir, const char *name)
{
	char path[1024];
	fx_path(path, sizeof(path), dir, name);
	return fx_read(path, NULL);
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static void test_create(const char *root, const sh_identity *a,
                        const char *adir)
{
	struct stat st;
	CHECK(stat(adir, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_INT(st.st_mode & 077, 0); /* the key directory is private */
	CHECK_INT(mode_of(adir, "card"), 0644);
	CHECK_INT(mode_of(adir, "curve.key"), 0600);
	CHECK_INT(mode_of(adir, "sign.key"), 0600);
	CHECK_INT(mode_of(adir, "seal.key"), 0600);

	/* The secret files hold one key each, in the documented encoding. */
	char *curve = read_in(adir, "curve.key");
	char *sign = read_in(adir, "sign.key");
	char *seal = read_in(adir, "seal.key");
	CHECK(curve && strlen(sh_trim(curve)) == 40);
	CHECK(sign && strlen(sh_trim(sign)) == 64 &&
	      strspn(sign, "0123456789abcdef") == 64);
	CHECK(seal && strlen(sh_trim(seal)) == 64 &&
	      strspn(seal, "0123456789abcdef") == 64);
	/* ... and what was loaded is what is in the files. */
	char hex[65];
	sh_hex(hex, a->sign_sec, 32);
	CHECK_STR(sign, hex);
	sh_hex(hex, a->seal_sec, 32);
	CHECK_STR(seal, hex);
	CHECK_STR(curve, a->curve_sec_z85);

	/* The card is public: none of the secrets appear on it. */
	char *card = read_in(adir, "card");
	CHECK(card != NULL);
	if (card && curve && sign && seal) {
		CHECK(strstr(card, curve) == NULL);
		CHECK(strstr(card, sign) == NULL);
		CHECK(strstr(card, seal) == NULL);
	}
	CHECK_STR(a->card.partner, "woonstad");
	CHECK_STR(a->card.role, "landlord");
	CHECK_STR(a->card.name, "Test partner woonstad");
	CHECK_STR(a->card.endpoint, "tcp://127.0.0.1:7100");
	free(card);
	free(curve);
	free(sign);
	free(seal);

	/* A second identity has other keys. */
	sh_identity b;
	char bdir[1024];
	CHECK_INT(fx_identity(&b, root, "other-partner", "energy", bdir,
	                      sizeof(bdir)),
	          0);
	CHECK_MEM_NE(a->sign_sec, b.sign_sec, 32);
	CHECK_MEM_NE(a->seal_sec, b.seal_sec, 32);
	CHECK_MEM_NE(a->card.curve_pub, b.card.curve_pub, 32);
	sh_identity_wipe(&b);
	CHECK(all_zero(&b, sizeof(b)));
}

static void test_no_overwrite(const char *adir)
{
	char *before[4], *after[4], why[1024];
	struct stat st_before[4], st_after[4];
	for (int i = 0; i < 4; i++) {
		char path[1024];
		fx_path(path, sizeof(path), adir, files[i]);
		before[i] = read_in(adir, files[i]);
		stat(path, &st_before[i]);
	}
	sh_card pub;
	memset(&pub, 0, sizeof(pub));
	strcpy(pub.partner, "intruder");
	strcpy(pub.name, "Intruder");
	strcpy(pub.role, "energy");
	strcpy(pub.endpoint, "tcp://127.0.0.1:9999");
	why[0] = '\0';
	CHECK_ERR(sh_identity_create(adir, &pub, why, sizeof(why)),
	          SH_ERR_EXISTS);
	CHECK_HAS(why, "exists");
	CHECK_HAS(why, adir);
	for (int i = 0; i < 4; i++) {
		char path[1024];
		fx_path(path, sizeof(path), adir, files[i]);
		after[i] = read_in(adir, files[i]);
		stat(path, &st_after[i]);
		check_case("%s after a refused create", files[i]);
		CHECK(before[i] && after[i] &&
		      strcmp(before[i], after[i]) == 0);
		CHECK_INT(st_after[i].st_ino, st_before[i].st_ino);
		CHECK_INT(st_after[i].st_mode, st_before[i].st_mode);
		free(after[i]);
	}
	check_case("%s", "");

	/* Any one file present is enough to refuse: remove the card, and a
	 * create still refuses and writes no new card. */
	char cardpath[1024];
	fx_path(cardpath, sizeof(cardpath), adir, "card");
	CHECK_INT(unlink(cardpath), 0);
	CHECK_ERR(sh_identity_create(adir, &pub, why, sizeof(why)),
	          SH_ERR_EXISTS);
	CHECK(!exists(adir, "card"));
	for (int i = 1; i < 4; i++) {
		char *now = read_in(adir, files[i]);
		check_case("%s after a refused create without card", files[i]);
		CHECK(now && before[i] && strcmp(now, before[i]) == 0);
		free(now);
	}
	check_case("%s", "");
	CHECK_INT(fx_write(cardpath, before[0], 0644), 0);
	for (int i = 0; i < 4; i++)
		free(before[i]);
}

static void test_load_refusals(const char *adir, const char *bdir)
{
	sh_identity id;
	char why[1024], path[1024];

	CHECK_ERR(sh_identity_load(&id, adir, why, sizeof(why)), SH_OK);

	/* Secret files readable by group or others. */
	static const char *const secret[] = {"curve.key", "sign.key",
	                                     "seal.key"};
	static const int open_modes[] = {0644, 0640, 0604, 0660, 0602, 0610};
	for (size_t f = 0; f < 3; f++) {
		fx_path(path, sizeof(path), adir, secret[f]);
		for (size_t m = 0; m < sizeof(open_modes) / sizeof(int); m++) {
			check_case("%s at mode %03o", secret[f],
			           (unsigned)open_modes[m]);
			CHECK_INT(chmod(path, (mode_t)open_modes[m]), 0);
			why[0] = '\0';
			CHECK_ERR(sh_identity_load(&id, adir, why, sizeof(why)),
			          SH_ERR_KEYFILE);
			CHECK_HAS(why, path);
			CHECK_HAS(why, "chmod 600");
			/* Nothing secret is left behind after a refusal. */
			CHECK(all_zero(&id, sizeof(id)));
		}
		/* Stricter than 0600 is fine. */
		check_case("%s at mode 0400", secret[f]);
		CHECK_INT(chmod(path, 0400), 0);
		CHECK_ERR(sh_identity_load(&id, adir, why, sizeof(why)), SH_OK);
		CHECK_INT(chmod(path, 0600), 0);
	}
	check_case("%s", "");

	/* A key file swapped in from another identity. */
	for (size_t f = 0; f < 3; f++) {
		char *mine = read_in(adir, secret[f]);
		char *theirs = read_in(bdir, secret[f]);
		fx_path(path, sizeof(path), adir, secret[f]);
		check_case("%s from another identity", secret[f]);
		CHECK(mine && theirs && strcmp(mine, theirs) != 0);
		CHECK_INT(fx_write(path, theirs ? theirs : "", 0600), 0);
		why[0] = '\0';
		CHECK_ERR(sh_identity_load(&id, adir, why, sizeof(why)),
		          SH_ERR_KEYFILE);
		CHECK_HAS(why, secret[f]);
		CHECK_HAS(why, "not the");
		CHECK(all_zero(&id, sizeof(id)));
		CHECK_INT(fx_write(path, mine ? mine : "", 0600), 0);
		free(mine);
		free(theirs);
	}
	/* A key file that holds no key at all: said so, with the form. */
	static const char *const form[] = {"40 Z85 characters",
	                                   "64 hexadecimal characters",
	                                   "64 hexadecimal characters"};
	for (size_t f = 0; f < 3; f++) {
		char *mine = read_in(adir, secret[f]);
		fx_path(path, sizeof(path), adir, secret[f]);
		check_case("%s not a key", secret[f]);
		CHECK_INT(fx_write(path, "hello\n", 0600), 0);
		why[0] = '\0';
		CHECK_ERR(sh_identity_load(&id, adir, why, sizeof(why)),
		          SH_ERR_KEYFILE);
		CHECK_HAS(why, secret[f]);
		CHECK_HAS(why, "not a key: expected");
		CHECK_HAS(why, form[f]);
		CHECK(all_zero(&id, sizeof(id)));
		CHECK_INT(fx_write(path, mine ? mine : "", 0600), 0);
		free(mine);
	}
	/* The card of another identity over our keys. */
	{
		char *mine = read_in(adir, "card");
		char *theirs = read_in(bdir, "card");
		fx_path(path, sizeof(path), adir, "card");
		check_case("%s", "card from another identity");
		CHECK_INT(fx_write(path, theirs ? theirs : "", 0644), 0);
		CHECK_ERR(sh_identity_load(&id, adir, why, sizeof(why)),
		          SH_ERR_KEYFILE);
		CHECK_INT(fx_write(path, mine ? mine : "", 0644), 0);
		free(mine);
		free(theirs);
	}
	/* Malformed, empty and missing key files. */
	static const char *const junk[] = {"", "\n", "not a key\n", "zz",
	                                   "0123"};
	for (size_t f = 0; f < 3; f++) {
		char *mine = read_in(adir, secret[f]);
		fx_path(path, sizeof(path), adir, secret[f]);
		for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			check_case("%s holding \"%s\"", secret[f], junk[j]);
			CHECK_INT(fx_write(path, junk[j], 0600), 0);
			CHECK_ERR(sh_identity_load(&id, adir, why, sizeof(why)),
			          SH_ERR_KEYFILE);
			CHECK_HAS(why, secret[f]);
		}
		check_case("%s missing", secret[f]);
		unlink(path);
		CHECK_ERR(sh_identity_load(&id, adir, why, sizeof(why)),
		          SH_ERR_KEYFILE);
		CHECK_HAS(why, secret[f]);
		CHECK_INT(fx_write(path, mine ? mine : "", 0600), 0);
		free(mine);
	}
	check_case("%s", "card missing");
	{
		char *card = read_in(adir, "card");
		fx_path(path, sizeof(path), adir, "card");
		unlink(path);
		CHECK_ERR(sh_identity_load(&id, adir, why, sizeof(why)),
		          SH_ERR_KEYFILE);
		CHECK_HAS(why, "card");
		CHECK_INT(fx_write(path, card ? card : "", 0644), 0);
		free(card);
	}
	check_case("%s", "");
	/* After putting everything back, it loads again. */
	CHECK_ERR(sh_identity_load(&id, adir, why, sizeof(why)), SH_OK);
	sh_identity_wipe(&id);
}

static int cards_equal(const sh_card *x, const sh_card *y)
{
	return strcmp(x->partner, y->partner) == 0 &&
	       strcmp(x->name, y->name) == 0 && strcmp(x->role, y->role) == 0 &&
	       strcmp(x->endpoint, y->endpoint) == 0 &&
	       strcmp(x->curve_z85, y->curve_z85) == 0 &&
	       memcmp(x->curve_pub, y->curve_pub, 32) == 0 &&
	       memcmp(x->sign_pub, y->sign_pub, 32) == 0 &&
	       memcmp(x->seal_pub, y->seal_pub, 32) == 0 &&
	       strcmp(x->municipalities, y->municipalities) == 0;
}

static void test_card_roundtrip(const sh_identity *a, const char *adir)
{
	sh_card c = a->card, back;
	char why[1024], path[1024];

	/* The card file written by create loads as the identity's card. */
	fx_path(path, sizeof(path), adir, "card");
	CHECK_ERR(sh_card_load(&back, path, why, sizeof(why)), SH_OK);
	CHECK(cards_equal(&back, &a->card));

	for (int with_muni = 0; with_muni < 2; with_muni++) {
		sh_buf b = {0}, b2 = {0};
		if (with_muni)
			strcpy(c.municipalities, "0363,0599,1680");
		strcpy(c.name, "Woonstad Rotterdam = huurincasso # team");
		sh_card_format(&c, &b);
		check_case("card round trip, municipalities %d", with_muni);
		memset(&back, 0xa5, sizeof(back));
		CHECK_ERR(sh_card_parse(&back, (const char *)b.data, b.len, why,
		                        sizeof(why)),
		          SH_OK);
		CHECK(cards_equal(&back, &c));
		/* Format is a fixed point of parse. */
		sh_card_format(&back, &b2);
		CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
		sh_buf_free(&b2);

		/* CRLF line ends parse the same. */
		sh_buf crlf = {0};
		for (size_t i = 0; i < b.len; i++) {
			if (b.data[i] == '\n')
				sh_buf_add(&crlf, "\r", 1);
			sh_buf_add(&crlf, &b.data[i], 1);
		}
		CHECK_ERR(sh_card_parse(&back, (const char *)crlf.data,
		                        crlf.len, why, sizeof(why)),
		          SH_OK);
		CHECK(cards_equal(&back, &c));
		sh_buf_free(&crlf);
		sh_buf_free(&b);
	}
	check_case("%s", "");

	/* Fingerprints: 16 hex digits, stable, different per key. */
	char fp1[17], fp2[17], fp3[17];
	uint8_t other[32];
	memcpy(other, a->card.curve_pub, 32);
	other[31] ^= 1;
	sh_key_fingerprint(fp1, a->card.curve_pub);
	sh_key_fingerprint(fp2, a->card.curve_pub);
	sh_key_fingerprint(fp3, other);
	CHECK_INT(strlen(fp1), 16);
	CHECK_INT(strspn(fp1, "0123456789abcdef"), 16);
	CHECK_STR(fp1, fp2);
	CHECK(strcmp(fp1, fp3) != 0);
	/* the first 8 bytes of the key's SHA-256, in hex, whichever key
	 * came before (sh_key_fingerprint keeps the last one's) */
	const uint8_t *keys[] = {a->card.curve_pub, other, other,
	                         a->card.curve_pub, a->card.sign_pub};
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		uint8_t h[32];
		char want[17], got[17];
		sh_sha256(h, keys[i], 32);
		sh_hex(want, h, 8);
		sh_key_fingerprint(got, keys[i]);
		CHECK_STR(got, want);
	}
}

/*
 * Copy base into out with the line whose key is `key` replaced by `line`
 * (NULL: removed), or with `line` appended when key is NULL. Returns the
 * 1-based number of the line concerned.
 */
static int edit_card(const char *base, const char *key, const char *line,
                     sh_buf *out)
{
	int lineno = 0, at = 0;
	const char *p = base;
	size_t klen = key ? strlen(key) : 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		lineno++;
		if (key && !at && strncmp(p, key, klen) == 0 &&
		    (p[klen] == ' ' || p[klen] == '=')) {
			at = lineno;
			if (line)
				sh_buf_printf(out, "%s\n", line);
		} else {
			sh_buf_add(out, p, n);
		}
		p += n;
	}
	if (!key && line) {
		sh_buf_printf(out, "%s\n", line);
		at = lineno + 1;
	}
	sh_buf_add(out, "", 1);
	out->len--;
	return at;
}

static void test_card_refusals(const sh_identity *a)
{
	sh_buf base = {0};
	sh_card c;
	char why[1024];
	sh_card_format(&a->card, &base);
	sh_buf_add(&base, "", 1); /* NUL-terminate */
	const char *text = (const char *)base.data;

	char long_id[80], bad_z85[48], big_z85[48], short_z85[48], g_hex[80],
	    short_hex[80], long_hex[80];
	memset(long_id, 'a', 65);
	long_id[65] = '\0';
	snprintf(bad_z85, sizeof(bad_z85), "%.20s,%.19s", a->card.curve_z85,
	         a->card.curve_z85 + 21);
	memset(big_z85, '#', 40);
	big_z85[40] = '\0';
	snprintf(short_z85, sizeof(short_z85), "%.39s", a->card.curve_z85);
	sh_hex(g_hex, a->card.sign_pub, 32);
	g_hex[10] = 'g';
	sh_hex(short_hex, a->card.sign_pub, 31);
	sh_hex(long_hex, a->card.sign_pub, 32);
	strcat(long_hex, "00");

	struct {
		const char *key; /* line replaced; NULL: appended */
		char line[200];
		const char *rule;
	} bad[] = {
	    {"seinhuis_card", "seinhuis_card = 2", "version must be 1"},
	    {"seinhuis_card", "seinhuis_card = 01", "version must be 1"},
	    {"partner", "partner = Gemeente Amsterdam", "partner id"},
	    {"partner", "partner = a", "partner id"},
	    {"partner", "partner = -gemeente", "partner id"},
	    {"partner", "partner = ../../etc/passwd", "partner id"},
	    {"partner", "partner =", "partner id"},
	    {"partner", "", "partner id"},
	    {"name", "name =", "1 to 127"},
	    {"role", "role = bank", "known role"},
	    {"role", "role = Landlord", "known role"},
	    {"role", "role =", "known role"},
	    {"endpoint", "endpoint = http://example.nl:7100", "tcp://"},
	    {"endpoint", "endpoint = example.nl:7100", "tcp://"},
	    {"curve", "", "Z85"},
	    {"curve", "", "Z85"},
	    {"curve", "", "Z85"},
	    {"sign", "", "64 hex digits"},
	    {"sign", "", "64 hex digits"},
	    {"seal", "", "64 hex digits"},
	    {"seal", "seal = ", "64 hex digits"},
	    {NULL, "colour = blue",
	     "unknown key (not repeated: it may be data)"},
	    {NULL, "partnr = woonstad", "did you mean partner"},
	    {NULL, "role = water", "given twice"},
	    {NULL, "sign = 00", "given twice"},
	    {NULL, "municipalities = 0363,abc", "CBS"},
	    {NULL, "municipalities = 0363;0599", "CBS"},
	    {NULL, "this line has no equals sign", "expected 'key = value'"},
	    {NULL, "Partner = woonstad", "a-z"},
	    /* a value is printed back: no control character in it */
	    {"name", "name = Test\x1b[1A\x1b[2Kbb: key 0000", "(byte 0x1b)"},
	    {"name", "name = Test\rbb: key 0000", "(byte 0x0d)"},
	    {"name", "name = Test\tpartner", "(byte 0x09)"},
	    {"name", "name = Test\x7f", "(byte 0x7f)"},
	    {"name", "name = Test \xff\xfe", "valid UTF-8"},
	    {"name", "name = Test \xc0\xae", "valid UTF-8"},
	    {"name",
	     "name = Test \xc2\x9b"
	     "1A",
	     "U+0080 to U+009F"},
	    {"endpoint", "endpoint = tcp://127.0.0.1:7100\x1b", "(byte 0x1b)"},
	};
	snprintf(bad[7].line, sizeof(bad[7].line), "partner = %s", long_id);
	snprintf(bad[14].line, sizeof(bad[14].line), "curve = %s", bad_z85);
	snprintf(bad[15].line, sizeof(bad[15].line), "curve = %s", big_z85);
	snprintf(bad[16].line, sizeof(bad[16].line), "curve = %s", short_z85);
	snprintf(bad[17].line, sizeof(bad[17].line), "sign = %s", g_hex);
	snprintf(bad[18].line, sizeof(bad[18].line), "sign = %s", short_hex);
	snprintf(bad[19].line, sizeof(bad[19].line), "seal = %s", long_hex);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sh_buf t = {0};
		int lineno = edit_card(text, bad[i].key, bad[i].line, &t);
		char want[32];
		snprintf(want, sizeof(want), "line %d:", lineno);
		check_case("card with \"%s\" at line %d", bad[i].line, lineno);
		CHECK(lineno > 0);
		why[0] = '\0';
		CHECK_ERR(sh_card_parse(&c, (const char *)t.data, t.len, why,
		                        sizeof(why)),
		          SH_ERR_CARD);
		CHECK_HAS(why, want);
		CHECK_HAS(why, bad[i].rule);
		sh_buf_free(&t);
	}

	/* Each required key missing. */
	static const char *const req[] = {"seinhuis_card", "partner",  "name",
	                                  "role",          "endpoint", "curve",
	                                  "sign",          "seal"};
	for (size_t i = 0; i < 8; i++) {
		sh_buf t = {0};
		check_case("card without %s", req[i]);
		CHECK(edit_card(text, req[i], NULL, &t) > 0);
		CHECK_ERR(sh_card_parse(&c, (const char *)t.data, t.len, why,
		                        sizeof(why)),
		          SH_ERR_CARD);
		CHECK_HAS(why, "a card needs");
		CHECK_HAS(why, req[i]);
		sh_buf_free(&t);
	}
	check_case("%s", "");
	CHECK_ERR(sh_card_parse(&c, "", 0, why, sizeof(why)), SH_ERR_CARD);
	CHECK_ERR(sh_card_parse(&c, "\0", 1, why, sizeof(why)), SH_ERR_CARD);

	/* A name in UTF-8 (Frisian, here) is fine. */
	sh_buf fy = {0};
	edit_card(text, "name",
	          "name = Gemeente S\xc3\xba"
	          "dwest-Frysl\xc3\xa2n",
	          &fy);
	CHECK_ERR(
	    sh_card_parse(&c, (const char *)fy.data, fy.len, why, sizeof(why)),
	    SH_OK);
	CHECK_STR(c.name, "Gemeente S\xc3\xba"
	                  "dwest-Frysl\xc3\xa2n");
	sh_buf_free(&fy);

	/* A good card still parses after all that (the base was right). */
	CHECK_ERR(sh_card_parse(&c, text, strlen(text), why, sizeof(why)),
	          SH_OK);
	sh_buf_free(&base);
}

/* The card text with key's line (a previous_ one: added) set to value is
 * refused at that line, naming the key and rule. */
static void key_refused(const char *text, const char *key, const char *value,
                        const char *rule)
{
	char line[200], want[300], why[1024];
	sh_card c;
	sh_buf t = {0};
	snprintf(line, sizeof(line), "%s = %s", key, value);
	int lineno = edit_card(
	    text, strncmp(key, "previous_", 9) == 0 ? NULL : key, line, &t);
	check_case("%s", line);
	why[0] = '\0';
	CHECK_ERR(
	    sh_card_parse(&c, (const char *)t.data, t.len, why, sizeof(why)),
	    SH_ERR_CARD);
	snprintf(want, sizeof(want), "line %d: %s: %s", lineno, key, rule);
	CHECK_HAS(why, want);
	sh_buf_free(&t);
}

/* A card whose CURVE or signing key (or previous one) is a point of small
 * order is refused at that line, naming the key's kind and the rule, as
 * one with such a sealing key is: whoever holds the card can agree on no
 * key with the CURVE or sealing one, and no signature is checked under
 * the signing one. The encodings are the known points of small order
 * (X25519: u = 0, 1, p-1, p, p+1 and the two of order 8; Ed25519: the
 * identity, the points of order 2, 4 and 8, with and without the sign
 * bit). */
static void test_small_order_keys(const sh_identity *a)
{
	static const char *const x25519[] = {
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "0100000000000000000000000000000000000000000000000000000000000000",
	    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"};
	static const char *const ed25519[] = {
	    "0100000000000000000000000000000000000000000000000000000000000000",
	    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "0000000000000000000000000000000000000000000000000000000000000080",
	    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"};
	static const char curve_rule[] =
	    "not a usable CURVE public key (a point of small order: no key "
	    "can be agreed with it)";
	static const char sign_rule[] =
	    "not a usable Ed25519 public key (a point of small order";
	sh_buf base = {0};
	sh_card_format(&a->card, &base);
	sh_buf_add(&base, "", 1);
	const char *text = (const char *)base.data;
	for (size_t i = 0; i < sizeof(x25519) / sizeof(x25519[0]); i++) {
		uint8_t pub[32];
		char z85[41];
		CHECK(sh_unhex(pub, 32, x25519[i]) == 0);
		CHECK(zmq_z85_encode(z85, pub, 32) != NULL);
		key_refused(text, "curve", z85, curve_rule);
		key_refused(text, "previous_curve", z85, curve_rule);
	}
	for (size_t i = 0; i < sizeof(ed25519) / sizeof(ed25519[0]); i++) {
		key_refused(text, "sign", ed25519[i], sign_rule);
		key_refused(text, "previous_sign", ed25519[i], sign_rule);
	}
	check_case("%s", "");
	sh_buf_free(&base);
}

/* The library's Z85 and CURVE keys (util.c, crypto.c) against libzmq's:
 * the same text for the same bytes, the same strings refused, the same
 * public key for a secret one, either way round. */
static void test_z85_curve(void)
{
	/* ZeroMQ RFC 32's example */
	static const uint8_t hello[8] = {0x86, 0x4F, 0xD2, 0x6F,
	                                 0xB5, 0x59, 0xF7, 0x5B};
	char text[41], ztext[41];
	uint8_t back[32], zback[32];
	CHECK(sodium_init() >= 0); /* for randombytes_* below */
	sh_z85_encode(text, hello, 8);
	CHECK_STR(text, "HelloWorld");
	CHECK(sh_z85_decode(back, 8, "HelloWorld") == 0 &&
	      memcmp(back, hello, 8) == 0);
	CHECK(sh_z85_decode(back, 8, "HelloWorl") != 0);
	CHECK(sh_z85_decode(back, 8, "HelloWorld!") != 0);
	CHECK(sh_z85_decode(back, 8, "Hello orld") != 0);
	CHECK(sh_z85_decode(back, 6, "HelloWorld") != 0);
	/* the largest group, 2^32 - 1, and the next one up */
	static const uint8_t ones[4] = {0xFF, 0xFF, 0xFF, 0xFF};
	sh_z85_encode(text, ones, 4);
	CHECK(sh_z85_decode(back, 4, text) == 0 && memcmp(back, ones, 4) == 0);
	CHECK_STR(text, "%nSc0");
	CHECK(sh_z85_decode(back, 4, "%nSc1") != 0); /* 2^32 */
	CHECK(zmq_z85_decode(zback, "%nSc1") == NULL);
	CHECK(sh_z85_decode(back, 4, "%%%%%") != 0);
	CHECK(zmq_z85_decode(zback, "%%%%%") == NULL);

	int same = 1, refused = 0;
	for (int i = 0; i < 2000; i++) {
		uint8_t raw[32];
		randombytes_buf(raw, sizeof(raw));
		sh_z85_encode(text, raw, 32);
		zmq_z85_encode(ztext, raw, 32);
		if (strcmp(text, ztext) != 0 ||
		    sh_z85_decode(back, 32, text) != 0 ||
		    memcmp(back, raw, 32) != 0)
			same = 0;
		/* one character changed to any byte: both take it or both
		 * refuse */
		text[randombytes_uniform(40)] =
		    (char)(1 + randombytes_uniform(255));
		int ours = sh_z85_decode(back, 32, text) == 0;
		int theirs =
		    strlen(text) == 40 && zmq_z85_decode(zback, text) != NULL;
		if (ours != theirs || (ours && memcmp(back, zback, 32) != 0))
			same = 0;
		refused += !ours;
	}
	CHECK(same);
	CHECK(refused > 0); /* the loop did try strings that are not Z85 */

	char pub[41], sec[41], zpub[41], zsec[41];
	int keys_same = 1;
	for (int i = 0; i < 50; i++) {
		if (sh_curve_keypair(pub, sec) != SH_OK ||
		    zmq_curve_public(zpub, sec) != 0 || strcmp(pub, zpub) != 0)
			keys_same = 0;
		if (zmq_curve_keypair(zpub, zsec) != 0 ||
		    sh_curve_public(pub, zsec) != SH_OK ||
		    strcmp(pub, zpub) != 0)
			keys_same = 0;
	}
	CHECK(keys_same);
	CHECK_ERR(sh_curve_public(pub, "short"), SH_ERR_CRYPTO);
	memset(sec, '~', 40); /* not in the alphabet */
	sec[40] = '\0';
	CHECK_ERR(sh_curve_public(pub, sec), SH_ERR_CRYPTO);
}

static int count_cards(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		/* (earlier/, where revoke keeps a card, is not one) */
		if (de->d_name[0] != '.' && l > 5 &&
		    strcmp(de->d_name + l - 5, ".card") == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void test_trust(const char *root, const sh_identity *a, const char *adir,
                       const sh_identity *c, const char *cdir)
{
	char tdir[1024], path[1024], why[1024];
	sh_trust t;
	snprintf(tdir, sizeof(tdir), "%s/etc/trust", root);

	/* the store is made where it is not, not the directories above it
	 * (a mistyped path would start a store no daemon reads) */
	fx_path(path, sizeof(path), adir, "card");
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_ERR_SYS);
	CHECK_HAS(why, "the directory it goes in is not there");
	char etc[1024];
	snprintf(etc, sizeof(etc), "%s/etc", root);
	CHECK_INT(mkdir(etc, 0755), 0);
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);
	fx_path(path, sizeof(path), cdir, "card");
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);
	CHECK_INT(mode_of(tdir, "woonstad.card"), 0644);
	CHECK_INT(mode_of(tdir, "vt-rijnmond.card"), 0644);
	/* Adding the same card again replaces it, adds nothing. */
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);
	CHECK_INT(count_cards(tdir), 2);

	/* Other files in the directory are ignored. */
	fx_path(path, sizeof(path), tdir, "README");
	CHECK_INT(fx_write(path, "not a card\n", 0644), 0);
	fx_path(path, sizeof(path), tdir, "old.card.bak");
	CHECK_INT(fx_write(path, "not a card either\n", 0644), 0);

	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_OK);
	CHECK_INT(t.n, 2);
	const sh_card *fa = sh_trust_find(&t, "woonstad");
	const sh_card *fc = sh_trust_find(&t, "vt-rijnmond");
	CHECK(fa && cards_equal(fa, &a->card));
	CHECK(fc && cards_equal(fc, &c->card));
	CHECK(sh_trust_find(&t, "nobody") == NULL);
	CHECK(sh_trust_find(&t, "woonstad2") == NULL);
	CHECK(sh_trust_find(&t, "woon") == NULL);
	CHECK(sh_trust_find_curve(&t, a->card.curve_pub) == fa);
	CHECK(sh_trust_find_curve(&t, c->card.curve_pub) == fc);
	/* Other public keys of a card are not its CURVE key. */
	CHECK(sh_trust_find_curve(&t, a->card.sign_pub) == NULL);
	uint8_t other[32];
	memcpy(other, a->card.curve_pub, 32);
	other[0] ^= 0x40;
	CHECK(sh_trust_find_curve(&t, other) == NULL);
	sh_trust_free(&t);
	CHECK(t.cards == NULL && t.n == 0);

	/* A card copied in by hand under another name is trusted as well, so
	 * removing the partner removes it too (by the partner its card
	 * names), and nothing else. */
	char from[1100], to[1100];
	snprintf(from, sizeof(from), "%s/vt-rijnmond.card", tdir);
	snprintf(to, sizeof(to), "%s/vt-2026-copy.card", tdir);
	CHECK(rename(from, to) == 0);
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_OK);
	CHECK(sh_trust_find(&t, "vt-rijnmond") != NULL);
	sh_trust_free(&t);
	int ncards = count_cards(tdir);
	CHECK_ERR(sh_trust_remove(tdir, "vt-rijnmond", why, sizeof(why)),
	          SH_OK);
	CHECK_INT(count_cards(tdir), ncards - 1);
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_OK);
	CHECK(sh_trust_find(&t, "vt-rijnmond") == NULL);
	CHECK(sh_trust_find(&t, "woonstad") != NULL);
	sh_trust_free(&t);
	CHECK_ERR(sh_trust_remove(tdir, "vt-rijnmond", why, sizeof(why)),
	          SH_ERR_NOTFOUND);
	/* the partner given is not repeated: it may be data */
	CHECK(strstr(why, "has no card in the trust store") != NULL);
	CHECK(strstr(why, "vt-rijnmond") == NULL);
	CHECK_ERR(sh_trust_remove(tdir, "111222333", why, sizeof(why)),
	          SH_ERR_NOTFOUND);
	CHECK(strstr(why, "111222333") == NULL);
	CHECK_ERR(sh_trust_remove(tdir, "Jansen", why, sizeof(why)),
	          SH_ERR_USAGE);
	CHECK(strstr(why, "Jansen") == NULL);
	CHECK(strstr(why, "is not a partner id") != NULL);
	fx_path(path, sizeof(path), cdir, "card");
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);

	/* A corrupted card is not trusted, and nothing is written. */
	char *good = read_in(adir, "card");
	sh_buf bad = {0};
	edit_card(good ? good : "", "sign", "sign = not-hex", &bad);
	fx_path(path, sizeof(path), root, "damaged.card");
	CHECK_INT(fx_write(path, (const char *)bad.data, 0644), 0);
	sh_buf_free(&bad);
	int before = count_cards(tdir);
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_ERR_CARD);
	CHECK_HAS(why, path);
	CHECK_HAS(why, "sign");
	CHECK_INT(count_cards(tdir), before);
	fx_path(path, sizeof(path), root, "no-such.card");
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_ERR_CARD);
	CHECK_HAS(why, "no such file");

	/* Two cards for the same partner id. */
	fx_path(path, sizeof(path), tdir, "woonstad-copy.card");
	CHECK_INT(fx_write(path, good ? good : "", 0644), 0);
	memset(&t, 0x5a, sizeof(t));
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_ERR_CARD);
	CHECK_HAS(why, "another card");
	CHECK(t.cards == NULL && t.n == 0);
	unlink(path);

	/* Two partner ids with the same CURVE key. */
	sh_buf imp = {0};
	edit_card(good ? good : "", "partner", "partner = imposter", &imp);
	fx_path(path, sizeof(path), tdir, "imposter.card");
	CHECK_INT(fx_write(path, (const char *)imp.data, 0644), 0);
	sh_buf_free(&imp);
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_ERR_CARD);
	CHECK_HAS(why, "another card");
	unlink(path);

	/* A damaged card in the store names its file and line. */
	fx_path(path, sizeof(path), tdir, "broken.card");
	CHECK_INT(fx_write(path, "seinhuis_card = 1\nrole = bank\n", 0644), 0);
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_ERR_CARD);
	CHECK_HAS(why, "broken.card");
	CHECK_HAS(why, "line 2:");
	unlink(path);

	/* A card larger than 64 KiB. */
	sh_buf huge = {0};
	sh_buf_add(&huge, good ? good : "", good ? strlen(good) : 0);
	for (int i = 0; i < 2000; i++)
		sh_buf_printf(&huge, "# padding line %04d ..................\n",
		              i);
	sh_buf_add(&huge, "", 1);
	fx_path(path, sizeof(path), root, "huge.card");
	CHECK_INT(fx_write(path, (const char *)huge.data, 0644), 0);
	sh_buf_free(&huge);
	sh_card hc;
	CHECK_ERR(sh_card_load(&hc, path, why, sizeof(why)), SH_ERR_CARD);
	CHECK_HAS(why, "64 KiB");

	/* Back to the two good cards. */
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_OK);
	CHECK_INT(t.n, 2);
	sh_trust_free(&t);

	fx_path(path, sizeof(path), root, "no-such-dir");
	CHECK_ERR(sh_trust_load(&t, path, why, sizeof(why)), SH_ERR_CARD);
	CHECK_HAS(why, path);
	free(good);
}

/* sh_identity_load refuses dir, why saying text. */
static void load_refused(const char *dir, const char *text)
{
	sh_identity id;
	char why[1024];
	CHECK_ERR(sh_identity_load(&id, dir, why, sizeof(why)), SH_ERR_KEYFILE);
	CHECK_HAS(why, text);
}

/* Key rotation: new CURVE and signing keys, the old ones kept (0600) for
 * the overlap, a card that continues the old one, signed by the old key;
 * a trust store keeps the previous keys only if it trusted them, accepts
 * them until the overlap ends and calls them expired after it. */
static void test_rotate(const char *root, const sh_identity *b,
                        const char *bdir)
{
	char tdir[1024], t2dir[1024], path[1024], pdir[1100], why[1024];
	sh_trust t;
	sh_card nc, prev;
	sh_identity nb;
	int64_t now = sh_now_ms() / 1000, until = now + 100;
	sh_key_state st;
	snprintf(tdir, sizeof(tdir), "%s/etc/trust-rot", root);
	snprintf(t2dir, sizeof(t2dir), "%s/etc/trust-new", root);
	snprintf(pdir, sizeof(pdir), "%s/previous", bdir);
	fx_path(path, sizeof(path), bdir, "card");
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);

	CHECK_ERR(sh_identity_rotate(bdir, until, &nc, NULL, why, sizeof(why)),
	          SH_OK);
	CHECK_INT(mode_of(pdir, "curve.key"), 0600);
	CHECK_INT(mode_of(pdir, "sign.key"), 0600);
	CHECK_INT(mode_of(bdir, "curve.key"), 0600);
	CHECK_INT(mode_of(bdir, "sign.key"), 0600);
	CHECK(exists(pdir, "until") && exists(pdir, "card"));
	CHECK_ERR(sh_identity_load(&nb, bdir, why, sizeof(why)), SH_OK);
	CHECK(memcmp(nb.card.curve_pub, b->card.curve_pub, 32) != 0);
	CHECK(memcmp(nb.card.sign_pub, b->card.sign_pub, 32) != 0);
	CHECK(memcmp(nb.card.seal_pub, b->card.seal_pub, 32) == 0);
	CHECK(nb.card.has_prev && nb.card.prev_until == until);
	CHECK(memcmp(nb.card.prev_curve, b->card.curve_pub, 32) == 0);
	CHECK(memcmp(nb.card.prev_sign, b->card.sign_pub, 32) == 0);
	sh_identity_wipe(&nb);
	int64_t got;
	CHECK_INT(sh_identity_previous(bdir, &got, NULL), 1);
	CHECK(got == until);
	/* No second rotation while the overlap lasts. */
	CHECK_ERR(sh_identity_rotate(bdir, until, &nc, NULL, why, sizeof(why)),
	          SH_ERR_EXISTS);
	CHECK_HAS(why, "overlap");

	/* The store that trusted the old card keeps the old keys... */
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_OK);
	const sh_card *c = sh_trust_find(&t, b->card.partner);
	CHECK(c && c->has_prev && c->prev_until == until);
	if (c) {
		CHECK(sh_card_key_state(c, SH_KEY_CURVE, nc.curve_pub, now) ==
		      SH_KEY_CURRENT);
		CHECK(sh_card_key_state(c, SH_KEY_CURVE, b->card.curve_pub,
		                        now) == SH_KEY_PREVIOUS);
		CHECK(sh_card_key_state(c, SH_KEY_SIGN, b->card.sign_pub,
		                        until - 1) == SH_KEY_PREVIOUS);
		CHECK(sh_card_key_state(c, SH_KEY_SIGN, b->card.sign_pub,
		                        until) == SH_KEY_EXPIRED);
		/* the signing key is not a CURVE key, nor the reverse */
		CHECK(sh_card_key_state(c, SH_KEY_CURVE, b->card.sign_pub,
		                        now) == SH_KEY_UNKNOWN);
		CHECK(sh_card_previous(c, now, &prev) == SH_KEY_PREVIOUS);
		CHECK(memcmp(prev.sign_pub, b->card.sign_pub, 32) == 0);
		CHECK(memcmp(prev.curve_pub, b->card.curve_pub, 32) == 0);
		CHECK(sh_card_previous(c, until + 1, &prev) == SH_KEY_EXPIRED);
	}
	CHECK(sh_trust_find_curve_at(&t, b->card.curve_pub, now, &st) == c &&
	      st == SH_KEY_PREVIOUS);
	CHECK(sh_trust_find_curve_at(&t, b->card.curve_pub, until, &st) == c &&
	      st == SH_KEY_EXPIRED);
	CHECK(sh_trust_find_curve_at(&t, nc.curve_pub, until, &st) == c &&
	      st == SH_KEY_CURRENT);
	CHECK(sh_trust_find_curve(&t, b->card.curve_pub) == NULL);
	sh_trust_free(&t);
	/* ...a store that never trusted them gives them no overlap. */
	CHECK_ERR(sh_trust_add(t2dir, path, why, sizeof(why)), SH_OK);
	CHECK_ERR(sh_trust_load(&t, t2dir, why, sizeof(why)), SH_OK);
	c = sh_trust_find(&t, b->card.partner);
	CHECK(c && !c->has_prev);
	sh_trust_free(&t);

	/* The previous signature covers the card: a changed end of the
	 * overlap, or a missing line, is refused. */
	char *text = read_in(bdir, "card");
	sh_buf m = {0};
	edit_card(text ? text : "", "previous_until",
	          "previous_until = 253402300799", &m);
	CHECK_ERR(
	    sh_card_parse(&prev, (const char *)m.data, m.len, why, sizeof(why)),
	    SH_ERR_CARD);
	CHECK_HAS(why, "previous_signature");
	m.len = 0;
	edit_card(text ? text : "", "previous_sign", NULL, &m);
	CHECK_ERR(
	    sh_card_parse(&prev, (const char *)m.data, m.len, why, sizeof(why)),
	    SH_ERR_CARD);
	CHECK_HAS(why, "all of previous_curve");
	sh_buf_free(&m);
	free(text);

	/* The previous keys are removed once the overlap has ended. */
	CHECK_INT(sh_identity_prune_previous(bdir, until - 1), 0);
	CHECK(exists(pdir, "sign.key"));
	/* ... and what cannot be removed is said, the secret keys gone
	 * first (a stranger in previous/ keeps the directory) */
	fx_path(path, sizeof(path), pdir, "stranger");
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	CHECK_INT(sh_identity_prune_previous(bdir, until), -1);
	CHECK(!exists(pdir, "sign.key") && !exists(pdir, "curve.key"));
	unlink(path);
	CHECK_INT(sh_identity_prune_previous(bdir, until), 0); /* no until */
	CHECK(exists(bdir, "previous"));
	/* an empty previous/ left so does not stop the next rotation */
	CHECK_ERR(
	    sh_identity_rotate(bdir, until + 200, &nc, NULL, why, sizeof(why)),
	    SH_OK);
	CHECK(exists(pdir, "until") && exists(pdir, "sign.key"));
	CHECK_INT(sh_identity_prune_previous(bdir, until + 200), 1);
	CHECK(!exists(bdir, "previous"));
	CHECK_INT(sh_identity_previous(bdir, &got, NULL), 0);

	/* previous/until: a time as on a card, 1 to 253402300799; one out
	 * of range (or that overflows) is no until at all */
	static const struct {
		const char *text;
		int ok;
	} untils[] = {{"253402300799\n", 1},
	              {"253402300800\n", 0},
	              {"99999999999999999999\n", 0},
	              {"0\n", 0},
	              {"-5\n", 0},
	              {"12x\n", 0},
	              {"12\n\n", 0}};
	CHECK(mkdir(pdir, 0700) == 0);
	fx_path(path, sizeof(path), pdir, "until");
	for (size_t i = 0; i < sizeof(untils) / sizeof(untils[0]); i++) {
		check_case("previous/until %s", untils[i].text);
		unlink(path);
		CHECK_ERR(sh_write_new(path, 0600, untils[i].text,
		                       strlen(untils[i].text)),
		          SH_OK);
		CHECK_INT(sh_identity_previous(bdir, &got, NULL), untils[i].ok);
	}
	check_case("%s", "");
	/* a FIFO as until is not waited on */
	unlink(path);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK_INT(sh_identity_previous(bdir, &got, NULL), 0);
	unlink(path);
	rmdir(pdir);
	/* nor as a secret key: refused, naming the rule */
	sh_identity fifo;
	fx_path(path, sizeof(path), bdir, "seal.key");
	char keep[1100];
	snprintf(keep, sizeof(keep), "%s.keep", path);
	CHECK(rename(path, keep) == 0);
	CHECK(mkfifo(path, 0600) == 0);
	load_refused(bdir, "seal.key: a FIFO: a secret key file must be a "
	                   "regular file");
	CHECK(rename(keep, path) == 0);
	/* a key directory group or others may write to is refused */
	CHECK(chmod(bdir, 0770) == 0);
	load_refused(bdir, "a key directory must not be writable by group or "
	                   "others, and this one has mode 770");
	CHECK(chmod(bdir, 0700) == 0);
	CHECK_ERR(sh_identity_load(&fifo, bdir, why, sizeof(why)), SH_OK);
	sh_identity_wipe(&fifo);
}

/* A card whose previous keys stay accepted for more than a year (seinkey
 * rotate gives at most 366 days; this one is made through the library) is
 * not trusted; one of a year is. */
static void test_long_overlap(const char *root, const char *cdir,
                              const char *adir)
{
	char tdir[1024], path[1024], why[1024];
	sh_card nc;
	int64_t now = sh_now_ms() / 1000;
	snprintf(tdir, sizeof(tdir), "%s/etc/trust-long", root);
	fx_path(path, sizeof(path), cdir, "card");
	check_case("a card with an overlap of two years is refused");
	CHECK_ERR(sh_identity_rotate(cdir, now + 2 * 366 * 86400LL, &nc, NULL,
	                             why, sizeof(why)),
	          SH_OK);
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_ERR_CARD);
	CHECK_HAS(why, "more than a year");
	CHECK(!exists(tdir, "vt-rijnmond.card"));
	check_case("one of a year is trusted");
	CHECK_ERR(sh_identity_rotate(adir, now + 365 * 86400LL, &nc, NULL, why,
	                             sizeof(why)),
	          SH_OK);
	fx_path(path, sizeof(path), adir, "card");
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);
	check_case("%s", "");
}

static int has_warning(const sh_trust *t, const char *a, const char *b)
{
	for (size_t i = 0; i < t->nwarn; i++)
		if (strstr(t->warn[i], a) && (!b || strstr(t->warn[i], b)))
			return 1;
	return 0;
}

static void copy_card(const char *from_dir, const char *to_dir,
                      const char *name)
{
	char path[1024];
	char *text = read_in(from_dir, "card");
	fx_path(path, sizeof(path), to_dir, name);
	CHECK(text && fx_write(path, text, 0644) == 0);
	free(text);
}

/* The rules a card copied in by hand is held to when the store loads, and
 * those of seinkey trust beside such a card. c's card (test_long_overlap)
 * keeps its previous keys for two years. */
static void test_store_rules(const char *root, const char *adir,
                             const char *cdir)
{
	char tdir[1024], path[1024], why[1024];
	sh_trust t;
	sh_card cc, own;
	snprintf(tdir, sizeof(tdir), "%s/etc/trust-rules", root);
	CHECK_INT(sh_mkdir_p(tdir, 0755), SH_OK);
	fx_path(path, sizeof(path), cdir, "card");
	CHECK_ERR(sh_card_load(&cc, path, why, sizeof(why)), SH_OK);
	CHECK(cc.has_prev);

	check_case("previous keys kept longer than trust allows");
	copy_card(cdir, tdir, "vt-by-hand.card");
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_OK);
	CHECK_INT(t.n, 1);
	CHECK(t.n == 1 && !t.cards[0].has_prev);
	CHECK(t.n == 1 && memcmp(t.cards[0].curve_pub, cc.curve_pub, 32) == 0);
	CHECK(has_warning(&t, "vt-by-hand.card: its previous keys are dropped",
	                  "more than a year (previous_until)"));
	sh_key_state st;
	CHECK(sh_trust_find_curve_at(&t, cc.prev_curve, sh_now_ms() / 1000,
	                             &st) == NULL);
	sh_trust_free(&t);

	check_case("the partner's own card");
	CHECK_ERR(sh_trust_load_as(&t, tdir, &cc, why, sizeof(why)), SH_OK);
	CHECK_INT(t.n, 0);
	CHECK(has_warning(&t,
	                  "vt-by-hand.card: left out: it has the partner "
	                  "id of 'vt-rijnmond'",
	                  "does not trust its own card"));
	sh_trust_free(&t);
	own = cc;
	snprintf(own.partner, sizeof(own.partner), "another-id");
	CHECK_ERR(sh_trust_load_as(&t, tdir, &own, why, sizeof(why)), SH_OK);
	CHECK(t.n == 0 &&
	      has_warning(&t, "the CURVE key of 'another-id'", NULL));
	sh_trust_free(&t);
	CHECK(sh_card_is_own(&cc, &own, why, sizeof(why)) == 1);
	sh_identity x;
	char xdir[1024];
	CHECK_INT(fx_identity(&x, root, "x-other", "water", xdir, sizeof(xdir)),
	          0);
	CHECK(sh_card_is_own(&cc, &x.card, why, sizeof(why)) == 0);
	sh_identity_wipe(&x);
	fx_path(path, sizeof(path), tdir, "vt-by-hand.card");
	unlink(path);

	check_case("trust replaces the file that holds the partner");
	copy_card(adir, tdir, "woonstad-from-mail.card");
	fx_path(path, sizeof(path), adir, "card");
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);
	CHECK_INT(count_cards(tdir), 1);
	CHECK(exists(tdir, "woonstad-from-mail.card"));
	CHECK(!exists(tdir, "woonstad.card"));
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_OK);
	CHECK_INT(t.n, 1);
	sh_trust_free(&t);
	/* and a new partner's PARTNER.card that holds another one is not
	 * overwritten */
	fx_path(path, sizeof(path), tdir, "woonstad-from-mail.card");
	char to[1100];
	snprintf(to, sizeof(to), "%s/x-other.card", tdir);
	CHECK(rename(path, to) == 0);
	CHECK_INT(
	    fx_identity(&x, root, "x-other2", "water", xdir, sizeof(xdir)), 0);
	sh_identity_wipe(&x);
	char xcard[1100];
	snprintf(xcard, sizeof(xcard), "%s/card", xdir);
	char *xtext = fx_read(xcard, NULL);
	sh_buf xb = {0};
	edit_card(xtext ? xtext : "", "partner", "partner = x-other", &xb);
	CHECK(fx_write(xcard, (const char *)xb.data, 0644) == 0);
	sh_buf_free(&xb);
	free(xtext);
	CHECK_ERR(sh_trust_add(tdir, xcard, why, sizeof(why)), SH_ERR_CARD);
	CHECK_HAS(why, "x-other.card holds the card of 'woonstad'");
	CHECK_INT(count_cards(tdir), 1);
	unlink(to);

	check_case("two cards of one role serving one municipality");
	sh_identity g1, g2;
	char g1dir[1024], g2dir[1024], g1card[1100], g2card[1100];
	sh_card o, n;
	CHECK_INT(fx_identity(&g1, root, "gemeente-a", "municipality_debt",
	                      g1dir, sizeof(g1dir)),
	          0);
	CHECK_INT(fx_identity(&g2, root, "gemeente-b", "municipality_debt",
	                      g2dir, sizeof(g2dir)),
	          0);
	sh_identity_wipe(&g1);
	sh_identity_wipe(&g2);
	CHECK_ERR(sh_identity_card_update(g1dir, NULL, NULL, "0363,0599", &o,
	                                  &n, why, sizeof(why)),
	          SH_OK);
	CHECK_ERR(sh_identity_card_update(g2dir, NULL, NULL, "0599", &o, &n,
	                                  why, sizeof(why)),
	          SH_OK);
	snprintf(g1card, sizeof(g1card), "%s/card", g1dir);
	snprintf(g2card, sizeof(g2card), "%s/card", g2dir);
	CHECK_ERR(sh_trust_add(tdir, g1card, why, sizeof(why)), SH_OK);
	CHECK_ERR(sh_trust_add(tdir, g2card, why, sizeof(why)), SH_ERR_CARD);
	CHECK_HAS(why, "'gemeente-b' and 'gemeente-a' would both serve "
	               "municipality 0599 as municipality_debt");
	CHECK(!exists(tdir, "gemeente-b.card"));
	/* copied in by hand: the store loads, with a warning, and routing
	 * to 0599 names both */
	copy_card(g2dir, tdir, "gemeente-b.card");
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_OK);
	CHECK_INT(t.n, 2);
	CHECK(has_warning(&t,
	                  "the cards of 'gemeente-a' and 'gemeente-b' "
	                  "both serve municipality 0599 as "
	                  "municipality_debt",
	                  NULL));
	const sh_card *also, *r;
	r = sh_route_partner(&t, "municipality_debt", "0599", &also);
	CHECK(r && also && strcmp(r->partner, also->partner) != 0);
	r = sh_route_partner(&t, "municipality_debt", "0363", &also);
	CHECK(r && !also && strcmp(r->partner, "gemeente-a") == 0);
	r = sh_route_partner(&t, "landlord", "0363", &also);
	CHECK(!r && !also);
	sh_trust_free(&t);

	check_case("a card overwritten in place changes the signature");
	int recent;
	uint64_t s1 = sh_trust_signature(tdir, &recent);
	CHECK(recent); /* written just now */
	CHECK(sh_trust_signature(tdir, &recent) == s1);
	usleep(20000); /* past the file system's time granularity */
	fx_path(path, sizeof(path), tdir, "gemeente-b.card");
	struct stat before, after;
	CHECK(stat(path, &before) == 0);
	char *same = fx_read(path, NULL);
	FILE *f = fopen(path, "r+"); /* same inode, same size */
	CHECK(f && same && fwrite(same, 1, strlen(same), f) == strlen(same));
	if (f)
		fclose(f);
	free(same);
	CHECK(stat(path, &after) == 0 && after.st_ino == before.st_ino &&
	      after.st_size == before.st_size);
	CHECK(sh_trust_signature(tdir, &recent) != s1);
	fx_path(path, sizeof(path), root, "no-such-dir");
	CHECK(sh_trust_signature(path, &recent) != 0);
	check_case("%s", "");
}

int main(void)
{
	char *root = fx_tmpdir("keys");
	sh_identity a, b, c;
	char adir[1024], bdir[1024], cdir[1024];
	if (fx_identity(&a, root, "woonstad", "landlord", adir, sizeof(adir)) ||
	    fx_identity(&b, root, "gemeente-0363", "municipality_debt", bdir,
	                sizeof(bdir)) ||
	    fx_identity(&c, root, "vt-rijnmond", "veilig_thuis", cdir,
	                sizeof(cdir))) {
		fx_rm_rf(root);
		return 2;
	}
	test_create(root, &a, adir);
	test_no_overwrite(adir);
	test_load_refusals(adir, bdir);
	test_card_roundtrip(&a, adir);
	test_card_refusals(&a);
	test_small_order_keys(&a);
	test_z85_curve();
	test_trust(root, &a, adir, &c, cdir);
	test_rotate(root, &b, bdir);
	test_long_overlap(root, cdir, adir);
	test_store_rules(root, adir, cdir);
	sh_identity_wipe(&a);
	sh_identity_wipe(&b);
	sh_identity_wipe(&c);
	fx_rm_rf(root);
	free(root);
	return check_done();
}
