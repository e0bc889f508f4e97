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
 * Ed25519 key on the sender's card.
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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "seinhuis.h"

#define CARD_MAGIC "seinhuis_card"
/* Signed by the previous signing key: this text, then the card's lines
 * (without comments and without previous_signature). */
#define ROTATION_DOMAIN "seinhuis card rotation v1\n"
#define PREV_BITS       (0xfu << 9)

static void format_lines(const sh_card *c, sh_buf *out, int with_sig);

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
	if (i == n)
		return snprintf(why, wl, "unknown key"), SH_ERR_CARD;
	if (cc->seen & (1u << i))
		return snprintf(why, wl, "given twice"), SH_ERR_CARD;
	cc->seen |= 1u << i;
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
		/* '*' listens on every address; a partner cannot dial it */
		if (strncmp(v, "tcp://*:", 8) == 0)
			return snprintf(why, wl,
			                "must name a host partners can reach, "
			                "not '*' (that is for listen)"),
			       SH_ERR_CARD;
		strcpy(c->endpoint, v);
		return SH_OK;
	case 5:
		if (strlen(v) != 40 || !zmq_z85_decode(c->curve_pub, v))
			return snprintf(why, wl,
			                "must be a CURVE public key: 40 Z85 "
			                "characters"),
			       SH_ERR_CARD;
		strcpy(c->curve_z85, v);
		return SH_OK;
	case 6:
		if (sh_unhex(c->sign_pub, 32, v) < 0)
			return snprintf(why, wl, "must be 64 hex digits"),
			       SH_ERR_CARD;
		return SH_OK;
	case 7:
		if (sh_unhex(c->seal_pub, 32, v) < 0)
			return snprintf(why, wl, "must be 64 hex digits"),
			       SH_ERR_CARD;
		return SH_OK;
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
		if (strlen(v) != 40 || !zmq_z85_decode(c->prev_curve, v))
			return snprintf(why, wl,
			                "must be a CURVE public key: 40 Z85 "
			                "characters"),
			       SH_ERR_CARD;
		strcpy(c->prev_curve_z85, v);
		return SH_OK;
	case 10:
		if (sh_unhex(c->prev_sign, 32, v) < 0)
			return snprintf(why, wl, "must be 64 hex digits"),
			       SH_ERR_CARD;
		return SH_OK;
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
	uint8_t h[32];
	sh_sha256(h, key, 32);
	sh_hex(out, h, 8);
}

/* ------------------------------------------------------- trust store */

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && strcmp(s + n - m, suf) == 0;
}

sh_err sh_trust_load(sh_trust *t, const char *dir, char *why, size_t whylen)
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
	sh_err e = SH_OK;
	while ((de = readdir(d))) {
		if (!has_suffix(de->d_name, ".card"))
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (t->n == cap) {
			cap = cap ? cap * 2 : 16;
			sh_card *nc = realloc(t->cards, cap * sizeof(*nc));
			if (!nc) {
				e = SH_ERR_NOMEM;
				break;
			}
			t->cards = nc;
		}
		sh_card *c = &t->cards[t->n];
		if ((e = sh_card_load(c, path, why, whylen)) != SH_OK)
			break;
		for (size_t i = 0; i < t->n; i++)
			if (strcmp(t->cards[i].partner, c->partner) == 0 ||
			    memcmp(t->cards[i].curve_pub, c->curve_pub, 32) ==
			        0) {
				snprintf(why, whylen,
				         "%s: partner id or CURVE key also on "
				         "another card",
				         path);
				e = SH_ERR_CARD;
				break;
			}
		if (e != SH_OK)
			break;
		t->n++;
	}
	closedir(d);
	if (e != SH_OK)
		sh_trust_free(t);
	return e;
}

void sh_trust_free(sh_trust *t)
{
	free(t->cards);
	t->cards = NULL;
	t->n = 0;
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
	if ((e = sh_mkdir_p(dir, 0755)) != SH_OK) {
		snprintf(why, whylen, "%s: cannot create: %s", dir,
		         strerror(errno));
		return e;
	}
	sh_trust t;
	char sub[512];
	if (sh_trust_load(&t, dir, sub, sizeof(sub)) == SH_OK) {
		const sh_card *other = sh_trust_find_curve(&t, c.curve_pub);
		int clash = other && strcmp(other->partner, c.partner) != 0;
		/* A rotated card keeps its previous keys accepted only if
		 * they are the keys this store trusted for the partner (or
		 * the card is the same rotation again); keys the store
		 * never trusted get no overlap. */
		const sh_card *old = sh_trust_find(&t, c.partner);
		if (c.has_prev &&
		    !(old && memcmp(old->curve_pub, c.prev_curve, 32) == 0 &&
		      memcmp(old->sign_pub, c.prev_sign, 32) == 0) &&
		    !(old && old->has_prev &&
		      memcmp(old->curve_pub, c.curve_pub, 32) == 0 &&
		      memcmp(old->prev_curve, c.prev_curve, 32) == 0 &&
		      memcmp(old->prev_sign, c.prev_sign, 32) == 0))
			c.has_prev = 0;
		if (clash)
			snprintf(
			    why, whylen,
			    "%s: its CURVE key is already on the card of '%s'",
			    card_path, other->partner);
		sh_trust_free(&t);
		if (clash)
			return SH_ERR_CARD;
	} else {
		/* The daemon refuses such a store as a whole: adding to it
		 * would only look done, and could not be checked. */
		snprintf(why, whylen,
		         "the trust store does not load, so %s is not added: "
		         "%s (mend that card, or remove it with seinkey "
		         "revoke, then trust again)",
		         card_path, sub);
		return SH_ERR_CARD;
	}
	sh_buf b = {0};
	sh_card_format(&c, &b);
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s.card", dir, c.partner);
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
	size_t removed = 0;
	sh_err e = SH_OK;
	while ((de = readdir(d))) {
		if (!has_suffix(de->d_name, ".card"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		sh_card c;
		char sub[256];
		if (strcmp(de->d_name, named) != 0 &&
		    (sh_card_load(&c, path, sub, sizeof(sub)) != SH_OK ||
		     strcmp(c.partner, partner) != 0))
			continue;
		if (unlink(path) < 0 && errno != ENOENT) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			e = SH_ERR_SYS;
			break;
		}
		removed++;
	}
	closedir(d);
	if (e == SH_OK && removed == 0) {
		/* not repeated: a partner id of the right form ("jansen")
		 * may still be data */
		snprintf(why, whylen,
		         "the partner given has no card in the trust store %s",
		         dir);
		e = SH_ERR_NOTFOUND;
	}
	return e;
}
