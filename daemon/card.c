/*
 * card.c - partner cards and the trust store.
 *
 * A partner card is the public face of a daemon: partner id, display name,
 * role, endpoint and three public keys (CURVE for the transport, Ed25519 for
 * signatures, X25519 for sealing and pseudonyms). Partners exchange cards
 * out of band and add each other's with `seinkey trust`. The format is the
 * configuration file's "key = value" lines, with every key required once
 * (municipalities optional) and every value checked, so a damaged or
 * tampered card is refused with the line that is wrong.
 *
 * The trust store is a directory with one <partner>.card per trusted
 * partner. The daemon admits a connecting peer only if its CURVE key is on
 * one of these cards, and accepts a signal only if it verifies under the
 * Ed25519 key on the sender's card. So the directory and its cards must be
 * root's or the daemon user's and not writable by group or others
 * (sh_trust_owner_check). Partners compare the card fingerprint, over all
 * three public keys (sh_card_fingerprint), before they trust a card.
 *
 * Key rotation (seinkey rotate) gives a partner new CURVE and signing keys.
 * Its new card names the keys it continues (previous_curve, previous_sign),
 * until when they stay accepted (previous_until, Unix seconds), and is
 * signed by the previous signing key (previous_signature), so that a
 * partner can see that the holder of the trusted keys made it. The trust
 * store keeps the previous keys only when they are the ones on the card it
 * replaces (sh_trust_add); until the overlap ends they are accepted for the
 * CURVE handshake and for signal signatures, and after it they are refused
 * as KEY_EXPIRED (sh_card_key_state). The sealing key is not rotated: the
 * pair keys, and so the residents' pseudonyms between two partners, stay
 * the same.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "route.h"
#include "seinhuis.h"

#define CARD_MAGIC "seinhuis_card"
/* Signed by the previous signing key: this text, then the card's lines
 * (without comments and without previous_signature). */
#define ROTATION_DOMAIN "seinhuis card rotation v1\n"
#define PREV_BITS       (0xfu << 9)

static void format_lines(const sh_card *c, sh_buf *out, int with_sig);

/* A public key of small order is refused, naming the rule (the key is
 * named by the line): with a CURVE or sealing key of small order every
 * agreement gives the same key, whoever made it; a signing key of small
 * order (or off Ed25519's prime-order group) is no partner's key, and no
 * signature is checked under it. */
static sh_err usable_key(const uint8_t k[32], int ed25519, const char *kind,
                         char *why, size_t wl)
{
	if (ed25519 ? sh_ed25519_pub_usable(k) : sh_x25519_pub_usable(k))
		return SH_OK;
	snprintf(why, wl, "not a usable %s public key (%s)", kind,
	         ed25519 ? "a point of small order, or not of the group "
	                   "Ed25519 keys are made in: no signature is "
	                   "checked under it"
	                 : "a point of small order: no key can be agreed "
	                   "with it");
	return SH_ERR_CARD;
}

struct card_ctx {
	sh_card *c;
	unsigned seen;
};

static sh_err card_kv(void *vctx, const char *key, const char *v, char *why,
                      size_t wl)
{
	struct card_ctx *cc = vctx;
	sh_card *c = cc->c;
	static const char *keys[] = {CARD_MAGIC,
	                             "partner",
	                             "name",
	                             "role",
	                             "endpoint",
	                             "curve",
	                             "sign",
	                             "seal",
	                             "municipalities",
	                             "previous_curve",
	                             "previous_sign",
	                             "previous_until",
	                             "previous_signature"};
	size_t i, n = sizeof(keys) / sizeof(keys[0]);
	for (i = 0; i < n; i++)
		if (strcmp(key, keys[i]) == 0)
			break;
	if (i == n) {
		const char *near = sh_nearest_word(key, keys, n);
		return snprintf(why, wl, "%s%s%s", SH_KV_UNKNOWN,
		                near ? "; did you mean " : "",
		                near ? near : ""),
		       SH_ERR_CARD;
	}
	if (cc->seen & (1u << i))
		return snprintf(why, wl, "given twice"), SH_ERR_CARD;
	cc->seen |= 1u << i;
	/* as sh_kv_parse does for a card file; sh_card_set comes here */
	int ctl = sh_control_byte(v);
	if (ctl >= 0)
		return snprintf(why, wl,
		                "holds a control character (byte 0x%02x): a "
		                "value is printable text",
		                (unsigned)ctl),
		       SH_ERR_CARD;
	switch (i) {
	case 0:
		if (strcmp(v, "1") != 0)
			return snprintf(why, wl,
			                "card format version must be 1"),
			       SH_ERR_CARD;
		return SH_OK;
	case 1:
		if (!sh_partner_id_valid(v))
			return snprintf(why, wl,
			                "a partner id has 2-64 characters: "
			                "lowercase a-z, digits 0-9, '.', '_' "
			                "and '-', beginning with a letter or "
			                "digit"),
			       SH_ERR_CARD;
		strcpy(c->partner, v);
		return SH_OK;
	case 2:
		if (*v == '\0' || strlen(v) >= sizeof(c->name))
			return snprintf(why, wl, "must be 1 to %zu characters",
			                sizeof(c->name) - 1),
			       SH_ERR_CARD;
		if (!sh_utf8_valid((const uint8_t *)v, strlen(v)))
			return snprintf(why, wl, "must be valid UTF-8 text"),
			       SH_ERR_CARD;
		for (const char *p = v; *p; p++)
			if ((unsigned char)p[0] == 0xc2 &&
			    (unsigned char)p[1] >= 0x80 &&
			    (unsigned char)p[1] <= 0x9f)
				return snprintf(why, wl,
				                "holds a control character "
				                "(U+0080 to U+009F)"),
				       SH_ERR_CARD;
		strcpy(c->name, v);
		return SH_OK;
	case 3:
		if (!sh_role_valid(v))
			return snprintf(why, wl,
			                "not a known role (municipality_debt, "
			                "municipality_team, landlord, energy, "
			                "water, "
			                "health_insurer, veilig_thuis, "
			                "professional)"),
			       SH_ERR_CARD;
		strcpy(c->role, v);
		return SH_OK;
	case 4:
		if (strlen(v) >= sizeof(c->endpoint))
			return snprintf(why, wl, "has at most %zu characters",
			                sizeof(c->endpoint) - 1),
			       SH_ERR_CARD;
		if (sh_endpoint_check(v, why, wl) != SH_OK)
			return SH_ERR_CARD;
		/* '*' and 0.0.0.0 listen on every address; a partner
		 * cannot dial them (0.0.0.0 would reach its own machine) */
		if (strncmp(v, "tcp://*:", 8) == 0 ||
		    strncmp(v, "tcp://0.0.0.0:", 14) == 0)
			return snprintf(why, wl,
			                "must name a host partners can reach, "
			                "not '%s' (that is for listen)",
			                v[6] == '*' ? "*" : "0.0.0.0"),
			       SH_ERR_CARD;
		strcpy(c->endpoint, v);
		return SH_OK;
	case 5:
		if (sh_z85_decode(c->curve_pub, 32, v) != 0)
			return snprintf(why, wl,
			                "must be a CURVE public key: 40 Z85 "
			                "characters"),
			       SH_ERR_CARD;
		strcpy(c->curve_z85, v);
		return usable_key(c->curve_pub, 0, "CURVE", why, wl);
	case 6:
		if (sh_unhex(c->sign_pub, 32, v) < 0)
			return snprintf(why, wl, "must be 64 hex digits"),
			       SH_ERR_CARD;
		return usable_key(c->sign_pub, 1, "Ed25519", why, wl);
	case 7:
		if (sh_unhex(c->seal_pub, 32, v) < 0)
			return snprintf(why, wl, "must be 64 hex digits"),
			       SH_ERR_CARD;
		/* every pair key and pseudonym with it would be the same */
		return usable_key(c->seal_pub, 0, "X25519", why, wl);
	case 8:
		if (strlen(v) >= sizeof(c->municipalities))
			return snprintf(why, wl, "too long"), SH_ERR_CARD;
		for (const char *p = v; *p;) {
			int digits = 0;
			while (*p >= '0' && *p <= '9')
				p++, digits++;
			if (digits != 4 || (*p && *p != ',') ||
			    (*p == ',' && !p[1]))
				return snprintf(why, wl,
				                "must be a comma list of "
				                "4-digit CBS codes"),
				       SH_ERR_CARD;
			if (*p == ',')
				p++;
		}
		strcpy(c->municipalities, v);
		return SH_OK;
	case 9:
		if (sh_z85_decode(c->prev_curve, 32, v) != 0)
			return snprintf(why, wl,
			                "must be a CURVE public key: 40 Z85 "
			                "characters"),
			       SH_ERR_CARD;
		strcpy(c->prev_curve_z85, v);
		return usable_key(c->prev_curve, 0, "CURVE", why, wl);
	case 10:
		if (sh_unhex(c->prev_sign, 32, v) < 0)
			return snprintf(why, wl, "must be 64 hex digits"),
			       SH_ERR_CARD;
		return usable_key(c->prev_sign, 1, "Ed25519", why, wl);
	case 11: {
		char *end;
		errno = 0;
		long long t = strtoll(v, &end, 10);
		if (errno || *end || end == v || t < 1 || t > 253402300799LL)
			return snprintf(why, wl,
			                "must be a time in Unix seconds (1 to "
			                "253402300799)"),
			       SH_ERR_CARD;
		c->prev_until = t;
		return SH_OK;
	}
	case 12:
		if (sh_unhex(c->prev_sig, SH_SIG_LEN, v) < 0)
			return snprintf(why, wl, "must be 128 hex digits"),
			       SH_ERR_CARD;
		return SH_OK;
	}
	return SH_ERR_CARD;
}

sh_err sh_card_parse(sh_card *c, const char *text, size_t len, char *why,
                     size_t whylen)
{
	struct card_ctx cc = {c, 0};
	memset(c, 0, sizeof(*c));
	sh_err e = sh_kv_parse(text, len, card_kv, &cc, why, whylen);
	if (e != SH_OK)
		return SH_ERR_CARD;
	if ((cc.seen & 0xff) != 0xff) {
		snprintf(
		    why, whylen,
		    "a card needs %s, partner, name, role, endpoint, curve, "
		    "sign and seal",
		    CARD_MAGIC);
		return SH_ERR_CARD;
	}
	if ((cc.seen & PREV_BITS) != 0 && (cc.seen & PREV_BITS) != PREV_BITS) {
		snprintf(
		    why, whylen,
		    "a rotated card needs all of previous_curve, "
		    "previous_sign, previous_until and previous_signature");
		return SH_ERR_CARD;
	}
	c->has_prev = (cc.seen & PREV_BITS) != 0;
	if (c->has_prev) {
		if (memcmp(c->prev_curve, c->curve_pub, 32) == 0 ||
		    memcmp(c->prev_sign, c->sign_pub, 32) == 0) {
			snprintf(why, whylen,
			         "previous_curve and previous_sign must differ "
			         "from curve and sign");
			return SH_ERR_CARD;
		}
		sh_buf m = {0};
		sh_buf_add(&m, ROTATION_DOMAIN, strlen(ROTATION_DOMAIN));
		format_lines(c, &m, 0);
		int ok =
		    sh_ed25519_verify(c->prev_sig, c->prev_sign, m.data, m.len);
		sh_buf_free(&m);
		if (!ok) {
			snprintf(
			    why, whylen,
			    "previous_signature: not made by previous_sign "
			    "over this card");
			return SH_ERR_CARD;
		}
	}
	return SH_OK;
}

sh_err sh_card_set(sh_card *c, const char *key, const char *value, char *why,
                   size_t whylen)
{
	if (strcmp(key, "endpoint") != 0 && strcmp(key, "name") != 0 &&
	    strcmp(key, "municipalities") != 0) {
		snprintf(why, whylen, "%s: not a detail that can be changed",
		         key);
		return SH_ERR_CARD;
	}
	if (strcmp(key, "municipalities") == 0 && !value[0]) {
		c->municipalities[0] = '\0';
		return SH_OK;
	}
	/* the very rules a card read from a file is held to */
	struct card_ctx cc = {c, 0};
	return card_kv(&cc, key, value, why, whylen);
}

sh_err sh_card_load(sh_card *c, const char *path, char *why, size_t whylen)
{
	char *text;
	size_t len;
	struct stat st;
	int fd = sh_open_regular(path, &st);
	if (fd == -2) {
		/* a FIFO would hang the reader (seinkey list, the daemon's
		 * trust store reload) until something wrote to it */
		snprintf(why, whylen,
		         "%s: cannot read (%s: a card must be a regular file)",
		         path, sh_file_type_name(st.st_mode));
		return SH_ERR_CARD;
	}
	sh_err e = fd < 0 ? (errno == ENOENT ? SH_ERR_NOTFOUND : SH_ERR_SYS)
	                  : sh_read_fd(fd, 64 * 1024, &text, &len);
	if (e != SH_OK) {
		snprintf(why, whylen, "%s: cannot read (%s)", path,
		         e == SH_ERR_NOTFOUND    ? "no such file"
		         : e == SH_ERR_WIRE_SIZE ? "larger than 64 KiB"
		                                 : strerror(errno));
		return SH_ERR_CARD;
	}
	char sub[512];
	e = sh_card_parse(c, text, len, sub, sizeof(sub));
	free(text);
	if (e != SH_OK)
		snprintf(why, whylen, "%s: %s", path, sub);
	return e;
}

/* The card's lines; previous_signature only if with_sig. */
static void format_lines(const sh_card *c, sh_buf *out, int with_sig)
{
	char sign[65], seal[65];
	sh_hex(sign, c->sign_pub, 32);
	sh_hex(seal, c->seal_pub, 32);
	sh_buf_printf(out,
	              "%s = 1\n"
	              "partner = %s\n"
	              "name = %s\n"
	              "role = %s\n"
	              "endpoint = %s\n"
	              "curve = %s\n"
	              "sign = %s\n"
	              "seal = %s\n",
	              CARD_MAGIC, c->partner, c->name, c->role, c->endpoint,
	              c->curve_z85, sign, seal);
	if (c->municipalities[0])
		sh_buf_printf(out, "municipalities = %s\n", c->municipalities);
	if (c->has_prev) {
		char psign[65], psig[2 * SH_SIG_LEN + 1];
		sh_hex(psign, c->prev_sign, 32);
		sh_buf_printf(out,
		              "previous_curve = %s\n"
		              "previous_sign = %s\n"
		              "previous_until = %lld\n",
		              c->prev_curve_z85, psign,
		              (long long)c->prev_until);
		if (with_sig) {
			sh_hex(psig, c->prev_sig, SH_SIG_LEN);
			sh_buf_printf(out, "previous_signature = %s\n", psig);
		}
	}
}

void sh_card_format(const sh_card *c, sh_buf *out)
{
	sh_buf_printf(out,
	              "# Seinhuis partner card: public, holds no secrets.\n"
	              "# Give it to the partners you exchange signals with;\n"
	              "# they add it with: seinkey trust FILE\n");
	format_lines(c, out, 1);
}

sh_err sh_card_sign_previous(sh_card *c, const uint8_t prev_sign_sec[32])
{
	sh_buf m = {0};
	sh_buf_add(&m, ROTATION_DOMAIN, strlen(ROTATION_DOMAIN));
	format_lines(c, &m, 0);
	sh_err e = sh_ed25519_sign(c->prev_sig, prev_sign_sec, m.data, m.len);
	sh_buf_free(&m);
	return e;
}

sh_key_state sh_card_key_state(const sh_card *c, int which,
                               const uint8_t key[SH_KEY_LEN], int64_t now_s)
{
	const uint8_t *cur = which == SH_KEY_CURVE ? c->curve_pub : c->sign_pub;
	const uint8_t *prev =
	    which == SH_KEY_CURVE ? c->prev_curve : c->prev_sign;
	if (memcmp(key, cur, SH_KEY_LEN) == 0)
		return SH_KEY_CURRENT;
	if (!c->has_prev || memcmp(key, prev, SH_KEY_LEN) != 0)
		return SH_KEY_UNKNOWN;
	return now_s < c->prev_until ? SH_KEY_PREVIOUS : SH_KEY_EXPIRED;
}

sh_key_state sh_card_previous(const sh_card *c, int64_t now_s, sh_card *out)
{
	if (!c->has_prev)
		return SH_KEY_UNKNOWN;
	*out = *c;
	memcpy(out->curve_pub, c->prev_curve, SH_KEY_LEN);
	memcpy(out->curve_z85, c->prev_curve_z85, sizeof(out->curve_z85));
	memcpy(out->sign_pub, c->prev_sign, SH_KEY_LEN);
	out->has_prev = 0;
	return sh_card_key_state(c, SH_KEY_SIGN, c->prev_sign, now_s);
}

void sh_key_fingerprint(char out[17], const uint8_t key[32])
{
	/* the last key's, per thread: the recipient names the sender's
	 * signing key in the audit entry of every signal it delivers (a
	 * public key: nothing secret is kept) */
	static _Thread_local struct {
		uint8_t key[32];
		char fp[17];
		int valid;
	} last;
	if (!last.valid || memcmp(last.key, key, 32) != 0) {
		uint8_t h[32];
		sh_sha256(h, key, 32);
		sh_hex(last.fp, h, 8);
		memcpy(last.key, key, 32);
		last.valid = 1;
	}
	memcpy(out, last.fp, sizeof(last.fp));
}

void sh_card_fingerprint(char out[17], const sh_card *c)
{
	static const char tag[] = "seinhuis card fingerprint v1\n";
	uint8_t m[sizeof(tag) - 1 + 3 * 32], h[32];
	memcpy(m, tag, sizeof(tag) - 1);
	memcpy(m + sizeof(tag) - 1, c->curve_pub, 32);
	memcpy(m + sizeof(tag) - 1 + 32, c->sign_pub, 32);
	memcpy(m + sizeof(tag) - 1 + 64, c->seal_pub, 32);
	sh_sha256(h, m, sizeof(m));
	sh_hex(out, h, 8);
}

/* ------------------------------------------------------- trust store */

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && strcmp(s + n - m, suf) == 0;
}

static void trust_warn(sh_trust *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void trust_warn(sh_trust *t, const char *fmt, ...)
{
	char(*nw)[SH_TRUST_WARN_LEN] =
	    realloc(t->warn, (t->nwarn + 1) * sizeof(*nw));
	if (!nw)
		return;
	t->warn = nw;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->warn[t->nwarn++], sizeof(*nw), fmt, ap);
	va_end(ap);
}

int sh_card_is_own(const sh_card *c, const sh_card *own, char *why,
                   size_t whylen)
{
	const char *what =
	    strcmp(c->partner, own->partner) == 0           ? "partner id"
	    : memcmp(c->curve_pub, own->curve_pub, 32) == 0 ? "CURVE key"
	    : memcmp(c->sign_pub, own->sign_pub, 32) == 0   ? "signing key"
	    : memcmp(c->seal_pub, own->seal_pub, 32) == 0   ? "sealing key"
	                                                    : NULL;
	if (!what)
		return 0;
	snprintf(why, whylen,
	         "it has the %s of '%s', this partner itself: a partner "
	         "does not trust its own card",
	         what, own->partner);
	return 1;
}

sh_err sh_trust_load_as(sh_trust *t, const char *dir, const sh_card *own,
                        char *why, size_t whylen)
{
	memset(t, 0, sizeof(*t));
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(why, whylen, "%s: cannot open trust store: %s", dir,
		         strerror(errno));
		return SH_ERR_CARD;
	}
	struct dirent *de;
	size_t cap = 0;
	int64_t now_s = sh_now_ms() / 1000;
	sh_err e = SH_OK;
	while ((de = readdir(d))) {
		if (!has_suffix(de->d_name, ".card"))
			continue;
		char path[1024], sub[256];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (t->n == cap) {
			cap = cap ? cap * 2 : 16;
			sh_card *nc = realloc(t->cards, cap * sizeof(*nc));
			char(*nf)[256] =
			    nc ? realloc(t->files, cap * sizeof(*nf)) : NULL;
			if (nc)
				t->cards = nc;
			if (!nf) {
				e = SH_ERR_NOMEM;
				break;
			}
			t->files = nf;
		}
		sh_card *c = &t->cards[t->n];
		if ((e = sh_card_load(c, path, why, whylen)) != SH_OK)
			break;
		/* before the checks for twice: two copies of the own card
		 * are left out each, and the store loads */
		if (own && sh_card_is_own(c, own, sub, sizeof(sub))) {
			trust_warn(t, "%s: left out: %s", path, sub);
			continue;
		}
		for (size_t i = 0; i < t->n; i++)
			if (strcmp(t->cards[i].partner, c->partner) == 0 ||
			    memcmp(t->cards[i].curve_pub, c->curve_pub, 32) ==
			        0) {
				snprintf(why, whylen,
				         "%s: partner id or CURVE key also on "
				         "another card (%s)",
				         path, t->files[i]);
				e = SH_ERR_CARD;
				break;
			}
		if (e != SH_OK)
			break;
		/* seinkey trust refuses such a card; one copied in by hand
		 * keeps its current keys (good data beside the bad is
		 * kept), its previous ones are not accepted at all */
		if (!sh_card_overlap_ok(c, now_s)) {
			trust_warn(t,
			           "%s: its previous keys are dropped: they "
			           "would stay accepted for more than a year "
			           "(previous_until); only its current keys "
			           "are trusted",
			           path);
			c->has_prev = 0;
		}
		snprintf(t->files[t->n], sizeof(t->files[0]), "%s", de->d_name);
		t->n++;
	}
	closedir(d);
	if (e != SH_OK) {
		sh_trust_free(t);
		return e;
	}
	/* Routing by municipality needs one partner per role and code: the
	 * store loads, and signals routed to the code are refused naming
	 * both (sh_route_partner). */
	for (size_t i = 0; i < t->n; i++)
		for (size_t j = i + 1; j < t->n; j++) {
			char code[5];
			if (!sh_cards_share_muni(&t->cards[i], &t->cards[j],
			                         code))
				continue;
			int sw = strcmp(t->cards[i].partner,
			                t->cards[j].partner) > 0;
			const sh_card *a = &t->cards[sw ? j : i],
			              *b = &t->cards[sw ? i : j];
			trust_warn(t,
			           "the cards of '%s' and '%s' both serve "
			           "municipality %s as %s: signals routed to "
			           "it by postcode are refused until one of "
			           "them no longer lists it",
			           a->partner, b->partner, code, a->role);
		}
	return SH_OK;
}

sh_err sh_trust_load(sh_trust *t, const char *dir, char *why, size_t whylen)
{
	return sh_trust_load_as(t, dir, NULL, why, whylen);
}

/* FNV-1a over n numbers, a byte at a time, low byte first. */
static uint64_t fnv_u64(uint64_t h, const uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 64; b += 8)
			h = (h ^ ((v[i] >> b) & 0xff)) * 0x100000001b3ULL;
	return h;
}

uint64_t sh_trust_signature(const char *dir, int *recent)
{
	struct stat st;
	uint64_t sig = 0;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	*recent = 0;
	DIR *d = opendir(dir);
	if (!d || fstat(dirfd(d), &st) < 0) {
		if (d)
			closedir(d);
		return 1; /* the load that follows says why */
	}
	/* FNV-1a of each entry, summed: the order readdir gives does not
	 * matter. The directory's owner and mode too: a store made writable
	 * for others is refused at once (sh_trust_owner_check). */
	uint64_t dv[4] = {(uint64_t)st.st_mtim.tv_sec,
	                  (uint64_t)st.st_mtim.tv_nsec, (uint64_t)st.st_mode,
	                  (uint64_t)st.st_uid};
	sig = fnv_u64(sig, dv, 4);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!has_suffix(de->d_name, ".card") ||
		    fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			continue;
		uint64_t v[7] = {
		    (uint64_t)st.st_ino,         (uint64_t)st.st_size,
		    (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec,
		    (uint64_t)st.st_ctim.tv_sec, (uint64_t)st.st_ctim.tv_nsec,
		    (uint64_t)st.st_dev};
		uint64_t h = 0xcbf29ce484222325ULL;
		for (const char *p = de->d_name; *p; p++)
			h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
		h = fnv_u64(h, v, 7);
		sig += h;
		/* (a time ahead of the clock is not recent: a clock set
		 * back must not make every check a reload) */
		if (st.st_ctim.tv_sec >= now.tv_sec - 2 &&
		    st.st_ctim.tv_sec <= now.tv_sec + 1)
			*recent = 1;
	}
	closedir(d);
	return sig ? sig : 2;
}

sh_err sh_trust_owner_check(const char *dir, char *why, size_t whylen)
{
	struct stat st;
	DIR *d = opendir(dir);
	if (!d)
		return SH_OK; /* the load says why */
	sh_err e =
	    fstat(dirfd(d), &st) < 0
	        ? SH_OK
	        : sh_owner_mode_check(dir, &st, SH_OWNED_TRUSTDIR, why, whylen);
	struct dirent *de;
	while (e == SH_OK && (de = readdir(d))) {
		char path[1024];
		/* what is read: a link's target; not a regular file, the
		 * load refuses it as such */
		if (!has_suffix(de->d_name, ".card") ||
		    fstatat(dirfd(d), de->d_name, &st, 0) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		e = sh_owner_mode_check(path, &st, SH_OWNED_CARD, why, whylen);
	}
	closedir(d);
	return e == SH_OK ? SH_OK : SH_ERR_CARD;
}

void sh_trust_free(sh_trust *t)
{
	free(t->cards);
	free(t->files);
	free(t->warn);
	memset(t, 0, sizeof(*t));
}

const sh_card *sh_trust_find(const sh_trust *t, const char *partner)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->cards[i].partner, partner) == 0)
			return &t->cards[i];
	return NULL;
}

const sh_card *sh_trust_find_curve_at(const sh_trust *t, const uint8_t key[32],
                                      int64_t now_s, sh_key_state *st)
{
	const sh_card *prev = NULL;
	for (size_t i = 0; i < t->n; i++) {
		sh_key_state k =
		    sh_card_key_state(&t->cards[i], SH_KEY_CURVE, key, now_s);
		if (k == SH_KEY_CURRENT) {
			*st = k;
			return &t->cards[i];
		}
		if (k != SH_KEY_UNKNOWN && !prev) {
			*st = k;
			prev = &t->cards[i];
		}
	}
	if (!prev)
		*st = SH_KEY_UNKNOWN;
	return prev;
}

const sh_card *sh_trust_find_curve(const sh_trust *t, const uint8_t key[32])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->cards[i].curve_pub, key, 32) == 0)
			return &t->cards[i];
	return NULL;
}

int sh_card_overlap_ok(const sh_card *c, int64_t now_s)
{
	return !c->has_prev ||
	       c->prev_until <= now_s + SH_OVERLAP_MAX_S + 86400;
}

sh_err sh_trust_add(const char *dir, const char *card_path, char *why,
                    size_t whylen)
{
	sh_card c;
	sh_err e = sh_card_load(&c, card_path, why, whylen);
	if (e != SH_OK)
		return e;
	if (!sh_card_overlap_ok(&c, sh_now_ms() / 1000)) {
		snprintf(why, whylen,
		         "%s: its previous keys would stay accepted for more "
		         "than a year (previous_until); ask the partner for a "
		         "card with a shorter overlap",
		         card_path);
		return SH_ERR_CARD;
	}
	/* The trust store is made here when it is not there yet, but not
	 * the directories above it: a path mistyped would otherwise start
	 * a trust store of its own, which no daemon reads. */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(why, whylen, "%s: cannot create: %s%s", dir,
		         strerror(errno),
		         errno == ENOENT ? " (the directory it goes in is not "
		                           "there: a typo in the path?)"
		                         : "");
		return SH_ERR_SYS;
	}
	sh_trust t;
	char sub[512], file[256];
	if (sh_trust_load(&t, dir, sub, sizeof(sub)) != SH_OK) {
		/* The daemon refuses such a store as a whole: adding to it
		 * would only look done, and could not be checked. */
		snprintf(why, whylen,
		         "the trust store does not load, so %s is not added: "
		         "%s (mend that card, or remove it with seinkey "
		         "revoke, then trust again)",
		         card_path, sub);
		return SH_ERR_CARD;
	}
	const sh_card *other = sh_trust_find_curve(&t, c.curve_pub);
	int refused = other && strcmp(other->partner, c.partner) != 0;
	if (refused)
		snprintf(why, whylen,
		         "%s: its CURVE key is already on the card of '%s'",
		         card_path, other->partner);
	/* A rotated card keeps its previous keys accepted only if they are
	 * the keys this store trusted for the partner (or the card is the
	 * same rotation again); keys the store never trusted get no
	 * overlap. */
	const sh_card *old = sh_trust_find(&t, c.partner);
	if (c.has_prev &&
	    !(old && memcmp(old->curve_pub, c.prev_curve, 32) == 0 &&
	      memcmp(old->sign_pub, c.prev_sign, 32) == 0) &&
	    !(old && old->has_prev &&
	      memcmp(old->curve_pub, c.curve_pub, 32) == 0 &&
	      memcmp(old->prev_curve, c.prev_curve, 32) == 0 &&
	      memcmp(old->prev_sign, c.prev_sign, 32) == 0))
		c.has_prev = 0;
	/* Routing by postcode needs one partner per role and municipality. */
	for (size_t i = 0; i < t.n && !refused; i++) {
		char code[5];
		if (strcmp(t.cards[i].partner, c.partner) != 0 &&
		    sh_cards_share_muni(&c, &t.cards[i], code)) {
			snprintf(why, whylen,
			         "%s: '%s' and '%s' would both serve "
			         "municipality %s as %s, and signals to it "
			         "could not be routed; one of the two cards "
			         "must no longer list %s",
			         card_path, c.partner, t.cards[i].partner, code,
			         c.role, code);
			refused = 1;
		}
	}
	/* The file that holds the partner's card is replaced, whatever its
	 * name (one copied in by hand): a second file for the partner would
	 * make the store refuse to load. A new partner gets PARTNER.card,
	 * unless a file of that name holds another partner's card. */
	snprintf(file, sizeof(file), "%s.card", c.partner);
	for (size_t i = 0; i < t.n && !refused; i++) {
		if (strcmp(t.cards[i].partner, c.partner) == 0) {
			snprintf(file, sizeof(file), "%s", t.files[i]);
			break;
		}
		if (strcmp(t.files[i], file) == 0 && !old) {
			snprintf(why, whylen,
			         "%s/%s holds the card of '%s', so %s is not "
			         "added (rename that file to %s.card)",
			         dir, file, t.cards[i].partner, card_path,
			         t.cards[i].partner);
			refused = 1;
		}
	}
	/* the card replaced, kept if a signing key goes (keyhist.c) */
	int keep = old && !refused;
	sh_card was;
	if (keep)
		was = *old;
	sh_trust_free(&t);
	if (refused)
		return SH_ERR_CARD;
	if (keep &&
	    (e = sh_trust_keep_replaced(dir, &was, &c, sh_now_ms() / 1000, why,
	                                whylen)) != SH_OK)
		return e;
	sh_buf b = {0};
	sh_card_format(&c, &b);
	char path[1300];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	e = sh_write_replace(path, 0644, b.data, b.len);
	sh_buf_free(&b);
	if (e != SH_OK)
		snprintf(why, whylen, "%s: cannot write: %s", path,
		         strerror(errno));
	return e;
}

sh_err sh_trust_remove(const char *dir, const char *partner, char *why,
                       size_t whylen)
{
	char path[1024], named[300];
	if (!sh_partner_id_valid(partner)) {
		/* not repeated: the text given may be data */
		snprintf(why, whylen,
		         "the partner given is not a partner id (2-64 "
		         "characters: lowercase a-z, digits 0-9, '.', '_' and "
		         "'-')");
		return SH_ERR_USAGE;
	}
	/* Its card is PARTNER.card as trust writes it, but the store trusts
	 * any *.card file (one copied in by hand under another name): each
	 * file whose card names the partner goes, or it stays trusted. */
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(why, whylen, "%s: cannot open trust store: %s", dir,
		         strerror(errno));
		return SH_ERR_SYS;
	}
	snprintf(named, sizeof(named), "%s.card", partner);
	struct dirent *de;
	size_t removed = 0, n = 0;
	sh_err e = SH_OK;
	/* First the files to remove, then the removal: nothing goes if
	 * PARTNER.card holds another partner's card. A damaged one goes. */
	char(*files)[256] = NULL;
	while ((de = readdir(d))) {
		if (!has_suffix(de->d_name, ".card"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		sh_card c;
		char sub[256];
		int loaded = sh_card_load(&c, path, sub, sizeof(sub)) == SH_OK;
		int is_named = strcmp(de->d_name, named) == 0;
		if (is_named && loaded && strcmp(c.partner, partner) != 0) {
			snprintf(
			    why, whylen,
			    "%s holds the card of '%s', not of '%s': "
			    "nothing is removed (seinkey revoke %s removes "
			    "that card)",
			    path, c.partner, partner, c.partner);
			e = SH_ERR_CARD;
			break;
		}
		if (!is_named && (!loaded || strcmp(c.partner, partner) != 0))
			continue;
		char(*nf)[256] = realloc(files, (n + 1) * sizeof(*nf));
		if (!nf) {
			e = SH_ERR_NOMEM;
			snprintf(why, whylen, "out of memory");
			break;
		}
		files = nf;
		snprintf(files[n++], sizeof(files[0]), "%s", de->d_name);
	}
	closedir(d);
	/* kept first, as that partner's (a damaged card is not) */
	char kept_why[512] = "";
	int64_t now_s = sh_now_ms() / 1000;
	for (size_t i = 0; i < n && e == SH_OK; i++) {
		sh_card c;
		char sub[256], kw[512];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (sh_card_load(&c, path, sub, sizeof(sub)) == SH_OK &&
		    strcmp(c.partner, partner) == 0 &&
		    sh_trust_keep_revoked(dir, &c, now_s, kw, sizeof(kw)) !=
		        SH_OK &&
		    !kept_why[0])
			snprintf(kept_why, sizeof(kept_why), "%s", kw);
	}
	for (size_t i = 0; i < n && e == SH_OK; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (unlink(path) < 0 && errno != ENOENT) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			e = SH_ERR_SYS;
			break;
		}
		removed++;
	}
	free(files);
	if (e == SH_OK && removed == 0) {
		/* not repeated: a partner id of the right form ("jansen")
		 * may still be data */
		snprintf(why, whylen,
		         "the partner given has no card in the trust store %s",
		         dir);
		e = SH_ERR_NOTFOUND;
	}
	if (e == SH_OK)
		snprintf(why, whylen, "%s", kept_why);
	return e;
}
