/*
 * keyhist.c - the signing keys a partner has had, as this side knew them.
 *
 * A signal in the inbox keeps what proves that its sender signed it (the
 * signature, alone or of its batch, with the signal's audit path), to be
 * checked offline at any later time (seinctl inbox show). When the sender
 * rotates its keys, its new card names another signing key and continues
 * the old one only until the overlap ends; the card the partner sends after
 * that names the new key alone. A signal signed before must still verify,
 * under the key that signed it, and say which key that was.
 *
 * So when seinkey trust replaces a card (sh_trust_add) by one with another
 * signing key, or one that no longer continues the previous key it
 * continued, the card it replaces is kept in
 * TRUSTDIR/earlier/PARTNER-FP.card, FP the fingerprint of that card's
 * signing key; when its signing key was superseded, with the time in its
 * first line (a comment; what a stored signal's check shows as
 * "superseded on"). Cards
 * there are never trusted for new traffic: the trust store reads only the
 * .card files of TRUSTDIR itself, and the overlap rules (card.c) decide what is
 * accepted now. They are the key history, read when a stored signal is checked.
 *
 * seinkey revoke keeps the card it removes there too, as
 * PARTNER-FP-revoked.card with the time of the revocation in its first
 * line: a revoked partner's stored signals still verify as its own
 * (sh_keyhist_load_kept: its history without a card in the store), and
 * seinkey list shows it as revoked.
 *
 * A partner's key history: the signing key on its card now, the previous
 * key that card continues, and the signing and previous keys of its cards
 * in earlier/. The directory is held to the rules of a key directory (the
 * effective user's or root's, not writable by group or others), as the
 * key directory's own earlier/ is for the audit log's tree heads, whose
 * cards are read by the same walk (sh_earlier_each).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "seinhuis.h"

#define KEPT_HEAD    "# superseded in this trust store at "
#define REVOKED_HEAD "# revoked in this trust store at "

void sh_earlier_each(const char *dir, sh_earlier_fn fn, void *ctx, char *why,
                     size_t wl)
{
	char path[1200], cwhy[300];
	sh_card c;
	why[0] = '\0';
	snprintf(path, sizeof(path), "%s/" SH_EARLIER_CARDS, dir);
	/* a card there is taken as one the partner had: not from a
	 * directory that others may write to */
	DIR *d = NULL;
	if (access(path, F_OK) == 0 &&
	    sh_keydir_check(path, cwhy, sizeof(cwhy)) != SH_OK)
		snprintf(why, wl, "left out: %s", cwhy);
	else
		d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		if (de->d_name[0] == '.' || nl < 6 ||
		    strcmp(de->d_name + nl - 5, ".card") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/" SH_EARLIER_CARDS "/%s", dir,
		         de->d_name);
		if (sh_card_load(&c, path, cwhy, sizeof(cwhy)) != SH_OK) {
			if (!why[0])
				snprintf(why, wl, "%s: left out: %s", path,
				         cwhy);
		} else if (!fn(ctx, path, &c, cwhy, sizeof(cwhy)) && !why[0]) {
			snprintf(why, wl, "%s: left out: %s", path, cwhy);
		}
	}
	if (d)
		closedir(d);
}

/* ------------------------------------------------------- key history */

static sh_sign_key *hist_add(sh_keyhist *h, const uint8_t key[SH_KEY_LEN])
{
	for (size_t i = 0; i < h->n; i++)
		if (memcmp(h->k[i].key, key, SH_KEY_LEN) == 0)
			return &h->k[i];
	if (h->n == SH_KEYHIST_MAX)
		return NULL;
	sh_sign_key *k = &h->k[h->n++];
	memset(k, 0, sizeof(*k));
	memcpy(k->key, key, SH_KEY_LEN);
	return k;
}

/* A card's keys: its signing key (replaced, or its partner revoked, at
 * kept->t; 0: not known or neither) and the previous one it continued. 0
 * if there was no room. */
static int hist_card(sh_keyhist *h, const sh_card *c, int current,
                     const sh_kept *kept)
{
	sh_sign_key *k = hist_add(h, c->sign_pub);
	if (!k)
		return 0;
	k->current |= current;
	int64_t *at = kept->revoked ? &k->revoked_s : &k->superseded_s;
	if (kept->t > *at)
		*at = kept->t;
	if (!c->has_prev)
		return 1;
	if (!(k = hist_add(h, c->prev_sign)))
		return 0;
	if (c->prev_until > k->until_s)
		k->until_s = c->prev_until;
	return 1;
}

sh_kept sh_kept_when(const char *path)
{
	static const char *const heads[2] = {KEPT_HEAD, REVOKED_HEAD};
	sh_kept k = {0, 0};
	char *text;
	size_t len;
	if (sh_read_regular(path, 64 * 1024, &text, &len) != SH_OK)
		return k;
	for (int i = 0; i < 2; i++) {
		size_t hl = strlen(heads[i]);
		if (len > hl && memcmp(text, heads[i], hl) == 0 &&
		    memchr(text, '\n', len)) {
			long long v = strtoll(text + hl, NULL, 10);
			k.t = v > 0 && v <= 253402300799LL ? v : 0;
			k.revoked = k.t && i == 1;
		}
	}
	free(text);
	return k;
}

struct hist_ctx {
	sh_keyhist *h;
	const char *partner;
	sh_card *last; /* the card kept last, if asked for */
	int64_t last_t;
	int found;
};

static int hist_one(void *vctx, const char *path, const sh_card *c, char *why,
                    size_t wl)
{
	struct hist_ctx *hc = vctx;
	if (strcmp(c->partner, hc->partner) != 0)
		return 1; /* another partner's history */
	sh_kept kept = sh_kept_when(path);
	if (hc->last && (!hc->found || kept.t > hc->last_t)) {
		*hc->last = *c;
		hc->last_t = kept.t;
	}
	hc->found = 1;
	if (hist_card(hc->h, c, 0, &kept))
		return 1;
	snprintf(why, wl, "more than %d signing keys of '%s'", SH_KEYHIST_MAX,
	         c->partner);
	return 0;
}

void sh_keyhist_load(sh_keyhist *h, const char *trustdir, const sh_card *cur)
{
	static const sh_kept now = {0, 0};
	h->n = 0;
	hist_card(h, cur, 1, &now);
	struct hist_ctx hc = {h, cur->partner, NULL, 0, 0};
	sh_earlier_each(trustdir, hist_one, &hc, h->why, sizeof(h->why));
}

int sh_keyhist_load_kept(sh_keyhist *h, const char *trustdir,
                         const char *partner, sh_card *last)
{
	h->n = 0;
	struct hist_ctx hc = {h, partner, last, 0, 0};
	sh_earlier_each(trustdir, hist_one, &hc, h->why, sizeof(h->why));
	return hc.found;
}

const sh_sign_key *sh_keyhist_find(const sh_keyhist *h,
                                   const uint8_t key[SH_KEY_LEN])
{
	for (size_t i = 0; i < h->n; i++)
		if (memcmp(h->k[i].key, key, SH_KEY_LEN) == 0)
			return &h->k[i];
	return NULL;
}

const sh_sign_key *sh_keyhist_signer(const sh_keyhist *h,
                                     const sh_identity *self,
                                     const sh_card *from, const uint8_t *env,
                                     size_t len, const uint8_t *first)
{
	sh_card c = *from;
	const sh_sign_key *f = first ? sh_keyhist_find(h, first) : NULL;
	for (size_t i = 0; i <= h->n; i++) {
		/* the key noted at receipt first, then the others */
		const sh_sign_key *k = i == 0 ? f : &h->k[i - 1];
		if (!k || (i > 0 && k == f))
			continue;
		memcpy(c.sign_pub, k->key, SH_KEY_LEN);
		if (sh_wire_signed_by(self, &c, env, len))
			return k;
	}
	return NULL;
}

void sh_sign_key_note(char *out, size_t n, const sh_sign_key *k)
{
	char fp[17], day[11];
	sh_key_fingerprint(fp, k->key);
	if (k->current) {
		snprintf(out, n, "by key %s", fp);
	} else if (k->revoked_s > k->superseded_s) { /* the later */
		sh_date_nl(k->revoked_s * 1000, day);
		snprintf(out, n, "by key %s (revoked on %s)", fp, day);
	} else if (k->superseded_s) {
		sh_date_nl(k->superseded_s * 1000, day);
		snprintf(out, n, "by key %s (superseded on %s)", fp, day);
	} else if (k->until_s) {
		sh_date_nl(k->until_s * 1000, day);
		snprintf(out, n, "by key %s (superseded; accepted until %s)",
		         fp, day);
	} else {
		snprintf(out, n, "by key %s (superseded)", fp);
	}
}

/* 1 if c names key as its signing key or the previous one it continues */
static int card_names(const sh_card *c, const uint8_t key[SH_KEY_LEN])
{
	return memcmp(c->sign_pub, key, SH_KEY_LEN) == 0 ||
	       (c->has_prev && memcmp(c->prev_sign, key, SH_KEY_LEN) == 0);
}

/* c kept in trustdir/earlier/PARTNER-FP.card (revoked: -revoked.card, so
 * that a card seinkey trust kept with that signing key, which may name a
 * previous key, stays), under the first line head with now_s (none if
 * NULL: then a card kept before under that name stays as it is), and a
 * comment saying why (by) and that it is never trusted. what: the card,
 * as the refusal names it. */
static sh_err keep_card(const char *trustdir, const sh_card *c,
                        const char *head, int64_t now_s, const char *by,
                        const char *what, char *why, size_t wl)
{
	char dir[1100], path[1300], fp[17], when[32];
	snprintf(dir, sizeof(dir), "%s/" SH_EARLIER_CARDS, trustdir);
	sh_key_fingerprint(fp, c->sign_pub);
	snprintf(path, sizeof(path), "%s/%s-%s%s.card", dir, c->partner, fp,
	         head && strcmp(head, REVOKED_HEAD) == 0 ? "-revoked" : "");
	/* only its previous key goes (the card no longer continues it): a
	 * card kept before with this signing key names it already */
	if (!head && access(path, F_OK) == 0)
		return SH_OK;
	sh_err e = sh_mkdir_p(dir, 0755);
	if (e == SH_OK) {
		sh_buf b = {0};
		sh_fmt_utc(when, sizeof(when), now_s * 1000);
		if (head)
			sh_buf_printf(&b, "%s%lld (%s)\n", head,
			              (long long)now_s, when);
		sh_buf_printf(&b,
		              "# %s:\n"
		              "# signals signed with its keys still verify. "
		              "Never trusted for new traffic.\n",
		              by);
		sh_card_format(c, &b);
		e = sh_write_replace(path, 0644, b.data, b.len);
		sh_buf_free(&b);
	}
	if (e != SH_OK)
		snprintf(why, wl,
		         "%s: cannot keep %s, so that signals signed with its "
		         "keys still verify: %s",
		         path, what, strerror(errno));
	return e;
}

sh_err sh_trust_keep_replaced(const char *trustdir, const sh_card *old,
                              const sh_card *nw, int64_t now_s, char *why,
                              size_t wl)
{
	/* its signing key is no longer the partner's: superseded now */
	int sign_goes = memcmp(old->sign_pub, nw->sign_pub, SH_KEY_LEN) != 0;
	int prev_goes = old->has_prev && !card_names(nw, old->prev_sign);
	if (!sign_goes && !prev_goes)
		return SH_OK;
	return keep_card(trustdir, old, sign_goes ? KEPT_HEAD : NULL, now_s,
	                 "Kept by seinkey trust when a card replaced this one",
	                 "the card it replaces", why, wl);
}

sh_err sh_trust_keep_revoked(const char *trustdir, const sh_card *c,
                             int64_t now_s, char *why, size_t wl)
{
	return keep_card(trustdir, c, REVOKED_HEAD, now_s,
	                 "Kept by seinkey revoke, which removed this card",
	                 "the card it removes", why, wl);
}
