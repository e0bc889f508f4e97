/*
 * common.c - fixture identities, the catalogue, and the receiving path
 * shared by the envelope and peer-frame targets.
 *
 * Fixtures. tests/fuzz/fixtures/<partner>/ holds a partner card and its
 * three secret keys, stored as <name>.key.testonly: public TEST-ONLY keys
 * that no daemon ever uses, named so that the repository's "*.key" ignore
 * rule does not hide them. sh_identity_load insists on the names curve.key,
 * sign.key and seal.key at mode 0600, which git cannot keep, so each load
 * copies the fixture into a fresh mkdtemp directory with the secret files
 * at 0600, loads it there and removes the copy.
 *
 * Receiving. A daemon accepts envelopes only from trusted peers, and a
 * trusted peer holds the keys to sign and seal anything at all. A mutated
 * envelope almost never carries a valid signature, so on its own the
 * fuzzer would stop at the signature check. fuzz_receive_envelope therefore
 * feeds the bytes to sh_wire_verify exactly as received and then, when only
 * the signature was refused, once more signed with the sender's fixture
 * key: the model is a faulty or hostile trusted partner. Likewise, sealed
 * bytes that do not open are sealed afresh under the pair key and opened
 * again, so the decoding of sealed content and the checks of personal
 * fields are reached too. What the daemon does with a signal that needs
 * its store (duplicates, revoked consents, quarantine, inbox) is left out;
 * every library call it makes on the way is in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef SH_FUZZ_DIR
#error "SH_FUZZ_DIR must name the tests/fuzz source directory"
#endif
#ifndef SH_FUZZ_CATALOGUE
#error "SH_FUZZ_CATALOGUE must name deploy/catalogue.conf"
#endif

void fuzz_fail(const char *target, const char *what)
{
	fprintf(stderr, "%s: invariant broken: %s\n", target, what);
	fflush(stderr);
	abort();
}

/* SEINHUIS_FUZZ_VERBOSE=1 prints what each step returned: to check that a
 * seed reaches what it was made for. */
void fuzz_trace(const char *step, sh_err e)
{
	static int verbose = -1;
	if (verbose < 0) {
		const char *v = getenv("SEINHUIS_FUZZ_VERBOSE");
		verbose = v && *v && strcmp(v, "0") != 0;
	}
	if (verbose)
		fprintf(stderr, "  %s: %s\n", step, e ? sh_err_rule(e) : "OK");
}

const char *fuzz_dir(void)
{
	const char *d = getenv("SEINHUIS_FUZZ_DIR");
	return d && *d ? d : SH_FUZZ_DIR;
}

const char *fuzz_catalogue_path(void)
{
	const char *c = getenv("SEINHUIS_FUZZ_CATALOGUE");
	return c && *c ? c : SH_FUZZ_CATALOGUE;
}

const char *fuzz_pick_word(const char *list, unsigned long long k, char *buf,
                           size_t buflen)
{
	size_t n = 0;
	buf[0] = '\0';
	for (const char *p = list; *p;) {
		while (*p == ' ')
			p++;
		if (*p)
			n++;
		while (*p && *p != ' ')
			p++;
	}
	if (n == 0)
		return buf;
	k %= n;
	for (const char *p = list; *p;) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len && k-- == 0) {
			snprintf(buf, buflen, "%.*s", (int)len, p);
			break;
		}
		p += len;
	}
	return buf;
}

static void setup_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz setup: %s: %s\n", what, detail);
	abort();
}

/* Copy fixtures/<name>/<from> to <dir>/<to> with the given mode. */
static void copy_fixture(const char *name, const char *from, const char *dir,
                         const char *to, int mode)
{
	char src[1024], dst[1024];
	char *text = NULL;
	size_t len = 0;
	snprintf(src, sizeof(src), "%s/fixtures/%s/%s", fuzz_dir(), name, from);
	snprintf(dst, sizeof(dst), "%s/%s", dir, to);
	if (sh_read_file(src, 64 * 1024, &text, &len) != SH_OK)
		setup_fail(src, "cannot read the fixture (is SEINHUIS_FUZZ_DIR "
		                "the tests/fuzz directory?)");
	/* sh_write_new creates the file at exactly this mode (fchmod). */
	if (sh_write_new(dst, mode, text, len) != SH_OK)
		setup_fail(dst, strerror(errno));
	if (chmod(dst, (mode_t)mode) < 0)
		setup_fail(dst, strerror(errno));
	free(text);
}

void fuzz_load_identity(sh_identity *id, const char *name)
{
	static const struct {
		const char *fixture, *file;
		int mode;
	} files[] = {{"card", "card", 0644},
	             {"curve.key.testonly", "curve.key", 0600},
	             {"sign.key.testonly", "sign.key", 0600},
	             {"seal.key.testonly", "seal.key", 0600}};
	const char *tmp = getenv("TMPDIR");
	char dir[512], path[1024], why[512];
	snprintf(dir, sizeof(dir), "%s/seinhuis-fuzz-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		setup_fail(dir, strerror(errno));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		copy_fixture(name, files[i].fixture, dir, files[i].file,
		             files[i].mode);
	sh_err e = sh_identity_load(id, dir, why, sizeof(why));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].file);
		unlink(path);
	}
	rmdir(dir);
	if (e != SH_OK)
		setup_fail(name, why);
}

const fuzz_world_t *fuzz_world(void)
{
	static fuzz_world_t w;
	static int loaded;
	if (!loaded) {
		char why[600];
		sh_log_init("fuzz", SH_LOG_ERROR, 0);
		fuzz_load_identity(&w.recipient, FUZZ_RECIPIENT);
		fuzz_load_identity(&w.sender, FUZZ_SENDER);
		sh_pair_keys other;
		if (sh_pair_keys_derive(&w.keys, &w.recipient,
		                        &w.sender.card) != SH_OK ||
		    sh_pair_keys_derive(&other, &w.sender, &w.recipient.card) !=
		        SH_OK)
			setup_fail("pair keys", "cannot derive");
		if (memcmp(&w.keys, &other, sizeof(other)) != 0)
			setup_fail("pair keys", "differ between the two sides");
		if (sh_catalogue_load(&w.cat, fuzz_catalogue_path(), why,
		                      sizeof(why)) != SH_OK)
			setup_fail("catalogue", why);
		/* The daemon derives its case secret from its own key; any
		 * fixed key does for the fuzzer. */
		memset(w.case_secret, 0x5c, sizeof(w.case_secret));
		loaded = 1;
	}
	return &w;
}

/* The sealed bytes of a verified signal's payload, if its type has any. */
static ProtobufCBinaryData *sealed_of(Seinhuis__Signal *s)
{
	switch (s->payload_case) {
	case SEINHUIS__SIGNAL__PAYLOAD_ARREARS: return &s->arrears->sealed;
	case SEINHUIS__SIGNAL__PAYLOAD_MELDCODE: return &s->meldcode->sealed;
	case SEINHUIS__SIGNAL__PAYLOAD_REFERRAL: return &s->referral->sealed;
	default: return NULL;
	}
}

/* The recipient's checks of a verified signal whose sealed part opened (sc)
 * or that had none (sc NULL): sh_wire_fields, sh_policy_check and the case
 * key. The policy runs twice: with the fixtures' own roles (fuzz-beta is a
 * landlord, fuzz-alpha a municipality_debt), as the daemon would, and with
 * a sender and recipient role the catalogue allows for the type, picked by
 * the signal's created_ms, so that every type's field rules are reached. */
static void deliver(const fuzz_world_t *w, const Seinhuis__Signal *s,
                    const Seinhuis__SealedContent *sc)
{
	Seinhuis__Field **fields = NULL;
	size_t n = 0;
	char field[64], detail[300], today[11];
	sh_today(today);
	sh_err e = sh_wire_fields(s, sc, &fields, &n);
	fuzz_trace("sh_wire_fields", e);
	if (e == SH_OK) {
		e = sh_policy_check(&w->cat, s->type, w->sender.card.role,
		                    w->recipient.card.role, fields, n, today,
		                    field, sizeof(field), detail,
		                    sizeof(detail));
		fuzz_trace("sh_policy_check (fixture roles)", e);
		const sh_type_rule *t = sh_catalogue_type(&w->cat, s->type);
		if (t) {
			char from[32], to[32];
			unsigned long long k =
			    (unsigned long long)s->created_ms;
			fuzz_pick_word(t->senders, k, from, sizeof(from));
			fuzz_pick_word(t->recipients, k >> 8, to, sizeof(to));
			e = sh_policy_check(&w->cat, s->type, from, to, fields,
			                    n, today, field, sizeof(field),
			                    detail, sizeof(detail));
			fuzz_trace("sh_policy_check (catalogue roles)", e);
		}
		if (!memchr(field, '\0', sizeof(field)) ||
		    !memchr(detail, '\0', sizeof(detail)))
			fuzz_fail("receive", "refusal text not terminated");
	}
	for (size_t i = 0; i < n; i++)
		if (!fields[i] || !fields[i]->name || !fields[i]->value)
			fuzz_fail("receive", "field without name or value");
	if (fields) {
		for (size_t i = 0; i < n; i++)
			sh_wipe(fields[i]->value, strlen(fields[i]->value));
		sh_fields_free(fields, n);
	}
	if (sc && sc->n_persons > 0) {
		char hh[128];
		uint8_t case_key[SH_KEY_LEN];
		e = sh_household(sc->persons[0], hh, sizeof(hh));
		fuzz_trace("sh_household", e);
		if (e == SH_OK) {
			if (strncmp(hh, "household:", 10) != 0)
				fuzz_fail("receive", "household key malformed");
			sh_hmac_sha256(case_key, w->case_secret, SH_KEY_LEN, hh,
			               strlen(hh));
		}
	}
}

/* sh_wire_open, and on success the recipient's checks. */
static sh_err open_and_deliver(const fuzz_world_t *w, const Seinhuis__Signal *s)
{
	Seinhuis__SealedContent *sc = NULL;
	sh_err e = sh_wire_open(s, &w->keys, &sc);
	fuzz_trace("sh_wire_open", e);
	if ((e == SH_OK) != (sc != NULL))
		fuzz_fail("receive", "sh_wire_open result and output disagree");
	if (e == SH_OK || e == SH_ERR_NOTFOUND)
		deliver(w, s, sc);
	if (sc)
		seinhuis__sealed_content__free_unpacked(sc, NULL);
	return e;
}

/* What a trusted peer could send instead: the same plaintext bytes sealed
 * properly under the pair key, with the associated data wire.c uses. */
static void reseal_and_open(const fuzz_world_t *w, Seinhuis__Signal *s)
{
	ProtobufCBinaryData *bd = sealed_of(s);
	if (!bd)
		return;
	sh_buf ad = {0};
	sh_buf_add(&ad, s->message_id.data, s->message_id.len);
	sh_buf_printf(&ad, "%s|%s", s->sender, s->recipient);
	uint8_t *sealed = sh_xmalloc(bd->len + SH_SEAL_OVERHEAD);
	if (sh_seal(sealed, w->keys.seal_key, ad.data, ad.len, bd->data,
	            bd->len) != SH_OK)
		fuzz_fail("receive", "sh_seal failed");
	sh_buf_free(&ad);
	fuzz_trace("sealed afresh", SH_OK);
	ProtobufCBinaryData saved = *bd;
	bd->data = sealed;
	bd->len = saved.len + SH_SEAL_OVERHEAD;
	sh_err e = open_and_deliver(w, s);
	/* It opens; only the decoding of the plaintext may refuse it, or a
	 * NUL inside one of its text fields (FIELD_FORMAT). */
	if (e != SH_OK && e != SH_ERR_SEAL && e != SH_ERR_FIELD_FORMAT)
		fuzz_fail("receive", "freshly sealed content did not open");
	*bd = saved;
	free(sealed);
}

static int same_packed(const void *a, const void *b)
{
	size_t n = protobuf_c_message_get_packed_size(a);
	if (n != protobuf_c_message_get_packed_size(b))
		return 0;
	uint8_t *x = sh_xmalloc(n), *y = sh_xmalloc(n);
	protobuf_c_message_pack(a, x);
	protobuf_c_message_pack(b, y);
	int same = memcmp(x, y, n) == 0;
	free(x);
	free(y);
	return same;
}

/* The arena the daemon decodes each received signal into (peer.c), kept
 * from one input to the next as the daemon keeps it. */
static sh_arena *fuzz_arena(void)
{
	static sh_arena a;
	static int ready;
	if (!ready) {
		sh_arena_init(&a, 16u << 10);
		ready = 1;
	}
	return &a;
}

/* As the receiving daemon does it: decoded once, into its arena
 * (sh_wire_decode_a, sh_wire_verify_decoded), the verified signal opened
 * and its fields collected there. Each step must answer as the malloc
 * path answered (pe, peeked: sh_wire_peek_id; ve, id, s: sh_wire_verify;
 * os, sc: sh_wire_open of s). */
static void arena_agrees(const fuzz_world_t *w, const uint8_t *env, size_t len,
                         sh_err pe, const uint8_t *peeked, sh_err ve,
                         const uint8_t *id, const Seinhuis__Signal *s)
{
	sh_arena *a = fuzz_arena();
	sh_wire_decoded dec;
	uint8_t aid[SH_ID_LEN] = {0}, vid[SH_ID_LEN] = {0};
	Seinhuis__Signal *as = NULL;
	sh_err e = sh_wire_decode_a(env, len, a, &dec, aid);
	fuzz_trace("sh_wire_decode_a", e);
	if (e != pe || (e == SH_OK && memcmp(aid, peeked, SH_ID_LEN) != 0))
		fuzz_fail("receive", "sh_wire_decode_a disagrees with peek");
	e = sh_wire_verify_decoded(&w->recipient, &w->sender.card, &dec, NULL,
	                           0, &as, vid);
	fuzz_trace("sh_wire_verify_decoded", e);
	if (e != ve || (e == SH_OK) != (as != NULL) ||
	    memcmp(vid, id, SH_ID_LEN) != 0)
		fuzz_fail("receive",
		          "sh_wire_verify_decoded disagrees with verify");
	if (e == SH_OK) {
		if (!same_packed(as, s))
			fuzz_fail("receive", "arena and malloc decode differ");
		Seinhuis__SealedContent *sc = NULL, *asc = NULL;
		sh_err os = sh_wire_open(s, &w->keys, &sc);
		e = sh_wire_open_a(as, &w->keys, a, &asc);
		if (e != os || (sc == NULL) != (asc == NULL) ||
		    (sc && !same_packed(sc, asc)))
			fuzz_fail("receive", "sh_wire_open_a disagrees");
		Seinhuis__Field **f = NULL, **af = NULL;
		size_t n = 0, an = 0;
		e = sh_wire_fields(s, sc, &f, &n);
		if (sh_wire_fields_a(as, asc, a, &af, &an) != e || an != n)
			fuzz_fail("receive", "sh_wire_fields_a disagrees");
		for (size_t i = 0; i < n; i++)
			if (strcmp(f[i]->name, af[i]->name) != 0 ||
			    strcmp(f[i]->value, af[i]->value) != 0)
				fuzz_fail(
				    "receive",
				    "sh_wire_fields_a gives other fields");
		for (size_t i = 0; i < n; i++)
			sh_wipe(f[i]->value, strlen(f[i]->value));
		sh_fields_free(f, n);
		if (sc)
			seinhuis__sealed_content__free_unpacked(sc, NULL);
	}
	size_t used = a->used;
	const uint8_t *chunk = a->chunk;
	sh_arena_reset(a);
	for (size_t i = 0; chunk == a->chunk && i < used; i++)
		if (chunk[i])
			fuzz_fail("receive", "the arena's reset left bytes");
}

/* sh_wire_verify and what the daemon does with a verified signal. */
static sh_err verify_and_use(const fuzz_world_t *w, const uint8_t *env,
                             size_t len)
{
	Seinhuis__Signal *s = NULL;
	uint8_t id[SH_ID_LEN] = {0}, peeked[SH_ID_LEN] = {0};
	/* The id a re-sent signal is looked up by, before any verifying. */
	sh_err pe = sh_wire_peek_id(env, len, peeked);
	fuzz_trace("sh_wire_peek_id", pe);
	sh_err e =
	    sh_wire_verify(&w->recipient, &w->sender.card, env, len, &s, id);
	fuzz_trace("sh_wire_verify", e);
	arena_agrees(w, env, len, pe, peeked, e, id, s);
	if (e != SH_OK) {
		if (s != NULL)
			fuzz_fail("receive",
			          "refused, yet a signal is returned");
		return e;
	}
	if (!s)
		fuzz_fail("receive", "verified, yet no signal is returned");
	if (strcmp(s->sender, FUZZ_SENDER) != 0 ||
	    strcmp(s->recipient, FUZZ_RECIPIENT) != 0 ||
	    s->message_id.len != SH_ID_LEN ||
	    memcmp(id, s->message_id.data, SH_ID_LEN) != 0)
		fuzz_fail("receive", "verified signal is not what was checked");
	if (pe != SH_OK || memcmp(peeked, id, SH_ID_LEN) != 0)
		fuzz_fail("receive", "sh_wire_peek_id disagrees with verify");

	/* As the receiving daemon checks it (peer.c check_and_deliver). */
	if (open_and_deliver(w, s) == SH_ERR_SEAL)
		reseal_and_open(w, s);

	/* As the inbox listing shows it (control.c inbox_item). */
	char hex[2 * SH_PSEUDO_LEN + 1];
	if (s->subject.len == SH_PSEUDO_LEN)
		sh_hex(hex, s->subject.data, SH_PSEUDO_LEN);
	(void)sh_signal_type_name(s->type);
	Seinhuis__Field **f = NULL;
	size_t n = sh_wire_clear_fields(s, &f);
	for (size_t i = 0; i < n; i++)
		if (!f[i] || !f[i]->name || !f[i]->value || !f[i]->name[0])
			fuzz_fail("receive",
			          "clear field without name or value");
	sh_fields_free(f, n);
	seinhuis__signal__free_unpacked(s, NULL);
	return SH_OK;
}

/* The envelope's own signal bytes, signed with the sender's key. */
static void receive_resigned(const fuzz_world_t *w, const uint8_t *env,
                             size_t len)
{
	Seinhuis__Envelope *e = seinhuis__envelope__unpack(NULL, len, env);
	if (!e)
		fuzz_fail("receive",
		          "signature refused on an undecodable envelope");
	size_t n = SH_SIG_DOMAIN_LEN + e->signal.len;
	uint8_t *tosign = sh_xmalloc(n);
	memcpy(tosign, sh_sig_domain, SH_SIG_DOMAIN_LEN);
	if (e->signal.len)
		memcpy(tosign + SH_SIG_DOMAIN_LEN, e->signal.data,
		       e->signal.len);
	uint8_t sig[SH_SIG_LEN];
	if (sh_ed25519_sign(sig, w->sender.sign_sec, tosign, n) != SH_OK)
		fuzz_fail("receive", "sh_ed25519_sign failed");
	free(tosign);

	Seinhuis__Envelope ne = SEINHUIS__ENVELOPE__INIT;
	ne.format_version = e->format_version;
	ne.signal = e->signal;
	ne.signature.data = sig;
	ne.signature.len = SH_SIG_LEN;
	size_t plen = seinhuis__envelope__get_packed_size(&ne);
	uint8_t *packed = sh_xmalloc(plen);
	seinhuis__envelope__pack(&ne, packed);
	seinhuis__envelope__free_unpacked(e, NULL);

	fuzz_trace("signed afresh", SH_OK);
	sh_err r = verify_and_use(w, packed, plen);
	free(packed);
	if (r == SH_ERR_SIGNATURE)
		fuzz_fail("receive", "a correct signature was refused");
}

void fuzz_receive_envelope(const uint8_t *env, size_t len)
{
	const fuzz_world_t *w = fuzz_world();
	if (verify_and_use(w, env, len) == SH_ERR_SIGNATURE)
		receive_resigned(w, env, len);
}
