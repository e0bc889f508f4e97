/*
 * test_keyhist.c - a partner's signing keys as the trust store knew them
 * (daemon/keyhist.c): seinkey trust keeps each card it replaces that takes
 * a signing key away in TRUSTDIR/earlier/, and a stored signal verifies
 * under the key that signed it after the sender rotated, also once its
 * card names the new key alone.
 */
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "policy.h"

/* An envelope signed alone by from's current signing key (what the
 * history is asked about: only the signature counts). */
static void signed_env(const sh_identity *from, const char *to, sh_buf *out)
{
	Seinhuis__Signal s = SEINHUIS__SIGNAL__INIT;
	uint8_t id[SH_ID_LEN], sb[512], sig[SH_SIG_LEN];
	sh_random(id, sizeof(id));
	s.format_version = SH_FORMAT_VERSION;
	s.message_id.data = id;
	s.message_id.len = SH_ID_LEN;
	s.sender = (char *)from->card.partner;
	s.recipient = (char *)to;
	size_t sl = seinhuis__signal__pack(&s, sb);
	sh_buf tbs = {0};
	sh_buf_add(&tbs, sh_sig_domain, SH_SIG_DOMAIN_LEN);
	sh_buf_add(&tbs, sb, sl);
	sh_ed25519_sign(sig, from->sign_sec, tbs.data, tbs.len);
	sh_buf_free(&tbs);
	Seinhuis__Envelope e = SEINHUIS__ENVELOPE__INIT;
	e.format_version = SH_FORMAT_VERSION;
	e.signal.data = sb;
	e.signal.len = sl;
	e.signature.data = sig;
	e.signature.len = SH_SIG_LEN;
	out->len = 0;
	sh_buf_add(out, NULL, seinhuis__envelope__get_packed_size(&e));
	seinhuis__envelope__pack(&e, out->data);
}

static const sh_sign_key *signer(const char *tdir, const sh_identity *self,
                                 const sh_card *cur, const sh_buf *env,
                                 sh_keyhist *h)
{
	sh_keyhist_load(h, tdir, cur);
	return sh_keyhist_signer(h, self, cur, env->data, env->len, NULL);
}

static void note_of(const sh_sign_key *k, char *out, size_t n)
{
	out[0] = '\0';
	if (k)
		sh_sign_key_note(out, n, k);
}

int main(void)
{
	char *root = fx_tmpdir("keyhist");
	char ldir[1024], mdir[1024], xdir[1024], tdir[1100], edir[1200];
	char path[1300], why[1024], fp1[17], fp2[17], want[200], note[200];
	char day[11];
	sh_identity l, m, x;
	if (fx_identity(&l, root, "woonstad", "landlord", ldir, sizeof(ldir)) ||
	    fx_identity(&m, root, "gemeente-0363", "municipality_debt", mdir,
	                sizeof(mdir)) ||
	    fx_identity(&x, root, "stranger", "landlord", xdir, sizeof(xdir))) {
		fx_rm_rf(root);
		return 2;
	}
	snprintf(tdir, sizeof(tdir), "%s/trust", root);
	snprintf(edir, sizeof(edir), "%s/" SH_EARLIER_CARDS, tdir);
	fx_path(path, sizeof(path), ldir, "card");
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);
	sh_buf e1 = {0}, e2 = {0}, e3 = {0};
	signed_env(&l, "gemeente-0363", &e1);
	sh_key_fingerprint(fp1, l.card.sign_pub);
	sh_keyhist h;

	/* Before any rotation: the card's key, the current one. */
	const sh_sign_key *k = signer(tdir, &m, &l.card, &e1, &h);
	CHECK_INT(h.n, 1);
	CHECK(k && k->current);
	note_of(k, note, sizeof(note));
	snprintf(want, sizeof(want), "by key %s", fp1);
	CHECK_STR(note, want);
	/* the same card again takes nothing away: nothing kept */
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);
	struct stat st;
	CHECK(stat(edir, &st) < 0);

	/* The landlord rotates; the municipality trusts the new card. */
	int64_t now = sh_now_ms() / 1000, until = now + 100;
	sh_card nc;
	CHECK_ERR(sh_identity_rotate(ldir, until, &nc, NULL, why, sizeof(why)),
	          SH_OK);
	sh_identity l2;
	CHECK_ERR(sh_identity_load(&l2, ldir, why, sizeof(why)), SH_OK);
	signed_env(&l2, "gemeente-0363", &e2);
	sh_key_fingerprint(fp2, l2.card.sign_pub);
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);
	snprintf(path, sizeof(path), "%s/woonstad-%s.card", edir, fp1);
	char *kept = NULL;
	size_t klen = 0;
	CHECK_ERR(sh_read_file(path, 65536, &kept, &klen), SH_OK);
	CHECK(kept &&
	      strncmp(kept, "# superseded in this trust store at ", 36) == 0);
	free(kept);
	/* kept, not trusted: the store holds one card */
	sh_trust t;
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_OK);
	CHECK_INT(t.n, 1);
	sh_trust_free(&t);

	k = signer(tdir, &m, &l2.card, &e1, &h);
	CHECK_INT(h.n, 2);
	CHECK(k && !k->current && k->until_s == until);
	CHECK(k && k->superseded_s >= now && k->superseded_s <= now + 60);
	sh_date_nl(now * 1000, day);
	note_of(k, note, sizeof(note));
	snprintf(want, sizeof(want), "by key %s (superseded on %s)", fp1, day);
	CHECK_STR(note, want);
	k = signer(tdir, &m, &l2.card, &e2, &h);
	CHECK(k && k->current);
	note_of(k, note, sizeof(note));
	snprintf(want, sizeof(want), "by key %s", fp2);
	CHECK_STR(note, want);
	/* the key noted at receipt is tried first, and must be one known */
	CHECK(sh_keyhist_signer(&h, &m, &l2.card, e1.data, e1.len,
	                        l.card.sign_pub) ==
	      sh_keyhist_find(&h, l.card.sign_pub));
	CHECK(sh_keyhist_signer(&h, &m, &l2.card, e1.data, e1.len,
	                        l2.card.sign_pub) ==
	      sh_keyhist_find(&h, l.card.sign_pub));
	CHECK(sh_keyhist_find(&h, x.card.sign_pub) == NULL);
	/* a key the landlord never had, a changed signal: none */
	signed_env(&x, "gemeente-0363", &e3);
	CHECK(signer(tdir, &m, &l2.card, &e3, &h) == NULL);
	e1.data[e1.len - 70] ^= 1;
	CHECK(signer(tdir, &m, &l2.card, &e1, &h) == NULL);
	e1.data[e1.len - 70] ^= 1;

	/* After the overlap the landlord's card names the new key alone:
	 * the first key is known from earlier/ only. */
	sh_card alone = l2.card;
	alone.has_prev = 0;
	sh_buf cb = {0};
	sh_card_format(&alone, &cb);
	snprintf(path, sizeof(path), "%s/alone.card", root);
	CHECK_ERR(sh_write_replace(path, 0644, cb.data, cb.len), SH_OK);
	sh_buf_free(&cb);
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);
	k = signer(tdir, &m, &alone, &e1, &h);
	CHECK(k && !k->current && k->until_s == until && k->superseded_s);
	CHECK(signer(tdir, &m, &alone, &e2, &h) != NULL);
	/* the card that still continued it is kept as well, without a time
	 * (its own key was not superseded) */
	snprintf(path, sizeof(path), "%s/woonstad-%s.card", edir, fp2);
	kept = NULL;
	CHECK_ERR(sh_read_file(path, 65536, &kept, &klen), SH_OK);
	CHECK(kept && strstr(kept, "superseded in this trust store") == NULL);
	free(kept);
	/* an earlier/ others may write to is left out, and said */
	CHECK(chmod(edir, 0777) == 0);
	CHECK(signer(tdir, &m, &alone, &e1, &h) == NULL);
	CHECK_INT(h.n, 1);
	CHECK_HAS(h.why, "left out");
	CHECK(chmod(edir, 0755) == 0);
	/* known only as a card's previous key: superseded, with the end of
	 * its overlap */
	snprintf(path, sizeof(path), "%s/woonstad-%s.card", edir, fp1);
	CHECK(unlink(path) == 0);
	k = signer(tdir, &m, &alone, &e1, &h);
	CHECK(k && !k->superseded_s && k->until_s == until);
	sh_date_nl(until * 1000, day);
	note_of(k, note, sizeof(note));
	snprintf(want, sizeof(want),
	         "by key %s (superseded; accepted until %s)", fp1, day);
	CHECK_STR(note, want);
	CHECK_STR(h.why, "");

	/* seinkey revoke: the card goes from the store, and is kept in
	 * earlier/ (beside the one kept there with its signing key, which
	 * names the previous key), noted as revoked: the landlord's stored
	 * signals still verify as its own, each naming its key. */
	now = sh_now_ms() / 1000;
	why[0] = 'x';
	CHECK_ERR(sh_trust_remove(tdir, "woonstad", why, sizeof(why)), SH_OK);
	CHECK_STR(why, "");
	CHECK_ERR(sh_trust_load(&t, tdir, why, sizeof(why)), SH_OK);
	CHECK_INT(t.n, 0);
	sh_trust_free(&t);
	snprintf(path, sizeof(path), "%s/woonstad-%s-revoked.card", edir, fp2);
	kept = NULL;
	CHECK_ERR(sh_read_file(path, 65536, &kept, &klen), SH_OK);
	CHECK(kept &&
	      strncmp(kept, "# revoked in this trust store at ", 33) == 0);
	free(kept);
	sh_kept kw = sh_kept_when(path);
	CHECK(kw.revoked && kw.t >= now && kw.t <= now + 60);
	snprintf(path, sizeof(path), "%s/woonstad-%s.card", edir, fp2);
	CHECK(access(path, F_OK) == 0);
	sh_card last;
	CHECK_INT(sh_keyhist_load_kept(&h, tdir, "woonstad", &last), 1);
	CHECK_INT(h.n, 2);
	CHECK(memcmp(last.sign_pub, l2.card.sign_pub, SH_KEY_LEN) == 0);
	CHECK_STR(last.partner, "woonstad");
	k = sh_keyhist_signer(&h, &m, &last, e2.data, e2.len, NULL);
	CHECK(k && !k->current && k->revoked_s >= now);
	sh_date_nl(now * 1000, day);
	note_of(k, note, sizeof(note));
	snprintf(want, sizeof(want), "by key %s (revoked on %s)", fp2, day);
	CHECK_STR(note, want);
	k = sh_keyhist_signer(&h, &m, &last, e1.data, e1.len, NULL);
	CHECK(k && !k->current && !k->revoked_s && k->until_s == until);
	CHECK(sh_keyhist_signer(&h, &m, &last, e3.data, e3.len, NULL) == NULL);
	/* another partner's history, or one never kept: none */
	CHECK_INT(sh_keyhist_load_kept(&h, tdir, "stranger", &last), 0);
	CHECK_INT(h.n, 0);
	/* trusted again with the same card, its key is the current one */
	snprintf(path, sizeof(path), "%s/alone.card", root);
	CHECK_ERR(sh_trust_add(tdir, path, why, sizeof(why)), SH_OK);
	k = signer(tdir, &m, &alone, &e2, &h);
	CHECK(k && k->current);
	note_of(k, note, sizeof(note));
	snprintf(want, sizeof(want), "by key %s", fp2);
	CHECK_STR(note, want);

	sh_buf_free(&e1);
	sh_buf_free(&e2);
	sh_buf_free(&e3);
	sh_identity_wipe(&l);
	sh_identity_wipe(&l2);
	sh_identity_wipe(&m);
	sh_identity_wipe(&x);
	fx_rm_rf(root);
	free(root);
	return check_done();
}
