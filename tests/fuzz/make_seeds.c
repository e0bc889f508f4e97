/*
 * make_seeds.c - writes the seed corpus of every fuzz target.
 *
 *   make_seeds [FUZZDIR]      (default: the tests/fuzz source directory)
 *
 * First it makes sure the two fixture identities exist: if
 * FUZZDIR/fixtures/<partner>/card is missing, a new identity is created
 * with sh_identity_create and copied there, secret keys renamed to
 * <name>.key.testonly (see common.c). Existing fixtures are never
 * replaced, because the envelope seeds are only valid between exactly
 * these keys. Then it empties FUZZDIR/corpus/<target>/ and writes a
 * handful of small valid and nearly valid inputs for each target. The
 * envelopes are built with sh_wire_build, so their ids, nonces and times
 * differ on every run; run it once and commit what it wrote.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "fuzz.h"
#include "journal.h"

static const char *base;
static size_t total_bytes, total_files;

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "make_seeds: %s: %s\n", what, detail);
	exit(1);
}

/* ------------------------------------------------------------ fixtures */

static void make_fixture(const char *partner, const char *role,
                         const char *endpoint, const char *name)
{
	char dir[1024], path[1024], tmp[512], made[1024], why[512];
	snprintf(path, sizeof(path), "%s/fixtures/%s/card", base, partner);
	if (access(path, F_OK) == 0)
		return;
	snprintf(dir, sizeof(dir), "%s/fixtures/%s", base, partner);
	if (sh_mkdir_p(dir, 0755) != SH_OK)
		die(dir, strerror(errno));
	snprintf(tmp, sizeof(tmp), "/tmp/seinhuis-seeds-XXXXXX");
	if (!mkdtemp(tmp))
		die(tmp, strerror(errno));
	snprintf(made, sizeof(made), "%s/%s", tmp, partner);

	sh_card pub;
	memset(&pub, 0, sizeof(pub));
	snprintf(pub.partner, sizeof(pub.partner), "%s", partner);
	snprintf(pub.name, sizeof(pub.name), "%s", name);
	snprintf(pub.role, sizeof(pub.role), "%s", role);
	snprintf(pub.endpoint, sizeof(pub.endpoint), "%s", endpoint);
	if (sh_identity_create(made, &pub, why, sizeof(why)) != SH_OK)
		die(made, why);

	static const char *const files[][2] = {
	    {"card", "card"},
	    {"curve.key", "curve.key.testonly"},
	    {"sign.key", "sign.key.testonly"},
	    {"seal.key", "seal.key.testonly"}};
	for (size_t i = 0; i < 4; i++) {
		char src[1100], dst[1100], *text;
		size_t len;
		snprintf(src, sizeof(src), "%s/%s", made, files[i][0]);
		snprintf(dst, sizeof(dst), "%s/%s", dir, files[i][1]);
		if (sh_read_file(src, 4096, &text, &len) != SH_OK)
			die(src, strerror(errno));
		/* Public test fixtures: world-readable on purpose. */
		if (sh_write_new(dst, 0644, text, len) != SH_OK)
			die(dst,
			    "cannot create (a partial fixture? remove it)");
		sh_wipe(text, len);
		free(text);
		unlink(src);
	}
	rmdir(made);
	rmdir(tmp);
	printf("created fixture identity %s\n", partner);
}

/* --------------------------------------------------------------- seeds */

/* Removes the seeds an earlier make_seeds wrote; inputs a fuzzer found
 * (named found-*, committed by hand) stay. */
static void clear_corpus(const char *target)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/corpus/%s", base, target);
	if (sh_mkdir_p(dir, 0755) != SH_OK)
		die(dir, strerror(errno));
	DIR *d = opendir(dir);
	if (!d)
		die(dir, strerror(errno));
	struct dirent *de;
	while ((de = readdir(d))) {
		char path[1400];
		if (de->d_name[0] == '.' ||
		    strncmp(de->d_name, "found-", 6) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

static void seed(const char *target, const char *name, const void *data,
                 size_t len)
{
	char path[1400];
	snprintf(path, sizeof(path), "%s/corpus/%s/%s", base, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
		die(path, strerror(errno));
	total_bytes += len;
	total_files++;
}

static void seed_text(const char *target, const char *name, const char *text)
{
	seed(target, name, text, strlen(text));
}

/* A field list as seinctl send gives it: name = value pairs. */
typedef struct {
	const char *name, *value;
} nv_t;

/* Fields from a list ending in {NULL, NULL}. */
static Seinhuis__Field **fields_of(const nv_t *nv, size_t *n)
{
	size_t k = 0;
	while (nv[k].name)
		k++;
	Seinhuis__Field **f = sh_xcalloc(k, sizeof(*f));
	for (size_t i = 0; i < k; i++) {
		f[i] = sh_xmalloc(sizeof(*f[i]));
		seinhuis__field__init(f[i]);
		f[i]->name = (char *)nv[i].name;
		f[i]->value = (char *)nv[i].value;
	}
	*n = k;
	return f;
}

static void free_fields(Seinhuis__Field **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i]);
	free(f);
}

/* An envelope built with sh_wire_build, appended to out. */
static void envelope(const sh_identity *from, const sh_card *to,
                     Seinhuis__SignalType type, const nv_t *nv, sh_buf *out)
{
	sh_pair_keys k;
	size_t n;
	uint8_t id[SH_ID_LEN];
	char field[128];
	if (sh_pair_keys_derive(&k, from, to) != SH_OK)
		die("pair keys", "cannot derive");
	Seinhuis__Field **f = fields_of(nv, &n);
	sh_err e = sh_wire_build(from, to, &k, type, f, n, id, out, field,
	                         sizeof(field));
	if (e != SH_OK)
		die(field, sh_err_str(e));
	free_fields(f, n);
}

/* Decode an envelope's signal, change it, and sign it again with the
 * sender fixture's key: a signal that only a trusted peer could send. */
static void resigned(const sh_buf *env, void (*change)(Seinhuis__Signal *),
                     sh_buf *out)
{
	const fuzz_world_t *w = fuzz_world();
	Seinhuis__Envelope *e =
	    seinhuis__envelope__unpack(NULL, env->len, env->data);
	Seinhuis__Signal *s =
	    e ? seinhuis__signal__unpack(NULL, e->signal.len, e->signal.data)
	      : NULL;
	if (!s)
		die("resign", "seed envelope does not decode");
	change(s);
	size_t slen = seinhuis__signal__get_packed_size(s);
	uint8_t *tosign = sh_xmalloc(SH_SIG_DOMAIN_LEN + slen);
	memcpy(tosign, sh_sig_domain, SH_SIG_DOMAIN_LEN);
	seinhuis__signal__pack(s, tosign + SH_SIG_DOMAIN_LEN);
	uint8_t sig[SH_SIG_LEN];
	if (sh_ed25519_sign(sig, w->sender.sign_sec, tosign,
	                    SH_SIG_DOMAIN_LEN + slen) != SH_OK)
		die("resign", "cannot sign");
	Seinhuis__Envelope ne = SEINHUIS__ENVELOPE__INIT;
	ne.format_version = e->format_version;
	ne.signal.data = tosign + SH_SIG_DOMAIN_LEN;
	ne.signal.len = slen;
	ne.signature.data = sig;
	ne.signature.len = SH_SIG_LEN;
	size_t plen = seinhuis__envelope__get_packed_size(&ne);
	sh_buf_add(out, NULL, plen);
	seinhuis__envelope__pack(&ne, out->data + out->len - plen);
	free(tosign);
	seinhuis__signal__free_unpacked(s, NULL);
	seinhuis__envelope__free_unpacked(e, NULL);
}

static void signal_v2(Seinhuis__Signal *s)
{
	s->format_version = 2;
}

static void subject_short(Seinhuis__Signal *s)
{
	if (s->subject.len > 5)
		s->subject.len = 5;
}

static void type_mismatch(Seinhuis__Signal *s)
{
	s->type = SEINHUIS__SIGNAL_TYPE__REFERRAL;
}

static void sealed_flipped(Seinhuis__Signal *s)
{
	if (s->payload_case == SEINHUIS__SIGNAL__PAYLOAD_ARREARS &&
	    s->arrears->sealed.len > 40)
		s->arrears->sealed.data[40] ^= 0x20;
}

/* Sealed bytes replaced by a plaintext SealedContent: common.c seals
 * them afresh, so this seed reaches the decoding of sealed content. */
static void sealed_plain(Seinhuis__Signal *s)
{
	static uint8_t plain[256];
	if (s->payload_case != SEINHUIS__SIGNAL__PAYLOAD_ARREARS)
		return;
	Seinhuis__Person p = SEINHUIS__PERSON__INIT;
	Seinhuis__Person *pp = &p;
	Seinhuis__SealedContent sc = SEINHUIS__SEALED_CONTENT__INIT;
	p.surname = "Jansen";
	p.postcode = "1234AB";
	p.house_number = "7";
	sc.n_persons = 1;
	sc.persons = &pp;
	sc.description = "plaintext for the re-sealing path";
	size_t n = seinhuis__sealed_content__pack(&sc, plain);
	/* The old bytes belong to the unpacked message: keep freeing them. */
	if (s->arrears->sealed.len < n)
		die("sealed_plain", "seed too small");
	memcpy(s->arrears->sealed.data, plain, n);
	s->arrears->sealed.len = n;
}

static const nv_t arrears_full[] = {
    {"legal_basis", "legal_duty"},
    {"arrears_kind", "rent"},
    {"amount_cents", "123456"},
    {"arrears_since", "2024-01-01"},
    {"contact_attempt_date", "2024-02-01"},
    {"reminder_date", "2024-02-15"},
    {"urgency", "eviction"},
    {"creditor_reference", "HUUR-2024-0042"},
    {"creditor_contact", "incasso@example.org"},
    {"municipality_code", "0363"},
    {"initials", "J."},
    {"surname", "Van der Berg-\xc3\x96zt\xc3\xbcrk"},
    {"street", "Dorpsstraat"},
    {"house_number", "12"},
    {"house_number_addition", "a"},
    {"postcode", "1234 ab"},
    {"place", "Amsterdam"},
    {"phone", "06-12345678"},
    {"email", "j.berg@example.org"},
    {NULL, NULL}};

static const nv_t arrears_insurer[] = {
    {"legal_basis", "legal_duty"},
    {"arrears_kind", "health_insurance"},
    {"amount_cents", "4200"},
    {"arrears_since", "2023-11-01"},
    {"contact_attempt_date", "2023-12-01"},
    {"reminder_date", "2023-12-15"},
    {"urgency", "termination"},
    {"creditor_contact", "premie@example.org"},
    {"surname", "de Vries"},
    {"street", "Kerkweg"},
    {"house_number", "3"},
    {"postcode", "3511AA"},
    {"place", "Utrecht"},
    {"birth_date", "1970-05-05"},
    {"bsn", "111222333"},
    {NULL, NULL}};

static const nv_t arrears_clear[] = {{"legal_basis", "legal_duty"},
                                     {"arrears_kind", "water"},
                                     {"amount_cents", "1"},
                                     {"urgency", "none"},
                                     {NULL, NULL}};

static const nv_t meldcode[] = {{"legal_basis", "meldrecht"},
                                {"concern_category", "domestic_violence"},
                                {"urgency", "acute"},
                                {"steps_taken", "1,2,3,4"},
                                {"reporter_role", "gp"},
                                {"justification", "acute_unsafety"},
                                {"description", "free text"},
                                {"reporter_contact", "desk@example.org"},
                                {"surname", "'t Hart"},
                                {"postcode", "9999ZZ"},
                                {"house_number", "1 bis"},
                                {"person2.surname", "de Vries"},
                                {"person2.postcode", "9999ZZ"},
                                {"person2.house_number", "1"},
                                {"person2.birth_date", "2015-06-07"},
                                {NULL, NULL}};

static const nv_t vt_notice[] = {
    {"legal_basis", "legal_task"},
    {"report_id", "00112233445566778899aabbccddeeff"},
    {"status", "investigating"},
    {"escalation_level", "2"},
    {"next_step", "huisbezoek"},
    {"contact_point", "vt@example.org"},
    {NULL, NULL}};

static const nv_t feedback[] = {
    {"legal_basis", "consent"},
    {"consent_ref", "0123456789abcdef0123456789abcdef"},
    {"signal_id", "00112233445566778899aabbccddeeff"},
    {"status", "contact_made"},
    {NULL, NULL}};

static const nv_t referral[] = {
    {"legal_basis", "consent"},
    {"consent_ref", "fedcba9876543210fedcba9876543210"},
    {"purpose", "schuldhulp"},
    {"surname", "D\xc4\xb3kstra"},
    {"postcode", "3511 AA"},
    {"house_number", "100-2"},
    {"description", "please call"},
    {NULL, NULL}};

static const nv_t revocation[] = {
    {"legal_basis", "consent"},
    {"consent_ref", "0123456789abcdef0123456789abcdef"},
    {"revoked_on", "2024-03-01"},
    {NULL, NULL}};

/* Envelope seeds; each built envelope is also kept for the frames. */
static sh_buf env_full, env_notice, env_bad;

static void envelope_seeds(void)
{
	const fuzz_world_t *w = fuzz_world();
	const sh_identity *s = &w->sender, *r = &w->recipient;
	const char *t = "fuzz_envelope";
	sh_buf b = {0};
	clear_corpus(t);

	envelope(s, &r->card, SEINHUIS__SIGNAL_TYPE__ARREARS, arrears_full,
	         &env_full);
	seed(t, "arrears-full", env_full.data, env_full.len);
#define ONE(name, type, nv)                                                    \
	do {                                                                   \
		b.len = 0;                                                     \
		envelope(s, &r->card, type, nv, &b);                           \
		seed(t, name, b.data, b.len);                                  \
	} while (0)
	ONE("arrears-insurer", SEINHUIS__SIGNAL_TYPE__ARREARS, arrears_insurer);
	ONE("arrears-clear", SEINHUIS__SIGNAL_TYPE__ARREARS, arrears_clear);
	ONE("meldcode", SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT, meldcode);
	ONE("feedback", SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK, feedback);
	ONE("referral", SEINHUIS__SIGNAL_TYPE__REFERRAL, referral);
	ONE("revocation", SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION,
	    revocation);
#undef ONE
	envelope(s, &r->card, SEINHUIS__SIGNAL_TYPE__VT_NOTICE, vt_notice,
	         &env_notice);
	seed(t, "vt-notice", env_notice.data, env_notice.len);

	/* Nearly valid. */
	b.len = 0; /* addressed to the sender itself: RECIPIENT */
	envelope(s, &s->card, SEINHUIS__SIGNAL_TYPE__ARREARS, arrears_clear,
	         &b);
	seed(t, "wrong-recipient", b.data, b.len);
	b.len = 0; /* signed by the recipient's key: SIGNATURE, then SENDER */
	envelope(r, &r->card, SEINHUIS__SIGNAL_TYPE__ARREARS, arrears_clear,
	         &b);
	seed(t, "wrong-sender", b.data, b.len);

	sh_buf_add(&env_bad, env_full.data, env_full.len);
	env_bad.data[env_bad.len - 10] ^= 0x01; /* inside the signature */
	seed(t, "bad-signature", env_bad.data, env_bad.len);
	seed(t, "truncated", env_full.data, env_full.len / 2);

	Seinhuis__Envelope *e =
	    seinhuis__envelope__unpack(NULL, env_full.len, env_full.data);
	if (!e)
		die("envelope", "does not decode");
	e->format_version = 2;
	b.len = 0;
	sh_buf_add(&b, NULL, seinhuis__envelope__get_packed_size(e));
	seinhuis__envelope__pack(e, b.data);
	seed(t, "envelope-v2", b.data, b.len);
	seinhuis__envelope__free_unpacked(e, NULL);

	b.len = 0;
	resigned(&env_full, signal_v2, &b);
	seed(t, "signal-v2", b.data, b.len);
	b.len = 0;
	resigned(&env_full, subject_short, &b);
	seed(t, "subject-short", b.data, b.len);
	b.len = 0;
	resigned(&env_full, type_mismatch, &b);
	seed(t, "type-mismatch", b.data, b.len);
	b.len = 0;
	resigned(&env_full, sealed_flipped, &b);
	seed(t, "sealed-flipped", b.data, b.len);
	b.len = 0;
	resigned(&env_full, sealed_plain, &b);
	seed(t, "sealed-plain", b.data, b.len);
	sh_buf_free(&b);
}

static void frame(const char *name, uint32_t version, const sh_buf *const *sigs,
                  size_t nsigs, int with_receipt)
{
	Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
	ProtobufCBinaryData bd[8];
	Seinhuis__Receipt rc = SEINHUIS__RECEIPT__INIT;
	Seinhuis__Receipt *rcs[1] = {&rc};
	static uint8_t rid[SH_ID_LEN] = {0xde, 0xad, 0xbe, 0xef};
	f.format_version = version;
	for (size_t i = 0; i < nsigs; i++) {
		bd[i].data = sigs[i]->data;
		bd[i].len = sigs[i]->len;
	}
	f.n_signals = nsigs;
	f.signals = bd;
	if (with_receipt) {
		rc.message_id.data = rid;
		rc.message_id.len = SH_ID_LEN;
		rc.status = SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED;
		rc.rule = "SIGNATURE";
		rc.detail = "signature does not verify";
		f.n_receipts = 1;
		f.receipts = rcs;
	}
	sh_buf b = {0};
	sh_buf_add(&b, NULL, seinhuis__peer_frame__get_packed_size(&f));
	seinhuis__peer_frame__pack(&f, b.data);
	seed("fuzz_peerframe", name, b.data, b.len);
	sh_buf_free(&b);
}

/* seinctl recover: the request (recipient -> sender) and its answer. */
static void resend_frames(void)
{
	Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
	uint8_t b[64];
	f.format_version = 1;
	f.resend_since_ms = 1796000000000;
	seed("fuzz_peerframe", "resend-request", b,
	     seinhuis__peer_frame__pack(&f, b));
	f.resend_answer = 1;
	f.resend_count = 6;
	seed("fuzz_peerframe", "resend-answer", b,
	     seinhuis__peer_frame__pack(&f, b));
}

/* Tree heads handed over (witness.c): the sender's own newest head, and
 * the head of the recipient's log it keeps, both properly signed. */
static void witness_frames(void)
{
	const fuzz_world_t *w = fuzz_world();
	const sh_identity *ids[2] = {&w->sender, &w->recipient};
	uint8_t root[32], sig[2][SH_SIG_LEN];
	memset(root, 0x5a, sizeof(root));
	Seinhuis__SignedTreeHead h[2];
	sh_buf packed[2] = {{0}, {0}};
	for (int i = 0; i < 2; i++) {
		seinhuis__signed_tree_head__init(&h[i]);
		h[i].partner = (char *)ids[i]->card.partner;
		h[i].tree_size = 41 + (uint64_t)i;
		h[i].root_hash.data = root;
		h[i].root_hash.len = 32;
		h[i].timestamp_ms = 1796000000000;
		h[i].sign_key.data = (uint8_t *)ids[i]->card.sign_pub;
		h[i].sign_key.len = SH_KEY_LEN;
		sh_buf tbs = {0};
		sh_tree_head_tbs(&h[i], &tbs);
		if (sh_ed25519_sign(sig[i], ids[i]->sign_sec, tbs.data,
		                    tbs.len) != SH_OK)
			die("witness", "cannot sign a tree head");
		sh_buf_free(&tbs);
		h[i].signature.data = sig[i];
		h[i].signature.len = SH_SIG_LEN;
		sh_buf_add(&packed[i], NULL,
		           seinhuis__signed_tree_head__get_packed_size(&h[i]));
		seinhuis__signed_tree_head__pack(&h[i], packed[i].data);
	}
	Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
	f.format_version = 1;
	f.audit_head.data = packed[0].data;
	f.audit_head.len = packed[0].len;
	ProtobufCBinaryData kept = {packed[1].len, packed[1].data};
	f.n_witnessed_head = 1;
	f.witnessed_head = &kept;
	sh_buf b = {0};
	sh_buf_add(&b, NULL, seinhuis__peer_frame__get_packed_size(&f));
	seinhuis__peer_frame__pack(&f, b.data);
	seed("fuzz_peerframe", "witness", b.data, b.len);
	sh_buf_free(&b);
	for (int i = 0; i < 2; i++)
		sh_buf_free(&packed[i]);
}

/* A batch-signed frame of the envelopes' signals, as a daemon sends it;
 * flip: one bit of its signature changed. */
static void batch(const char *name, const sh_buf *const *envs, size_t n,
                  int flip)
{
	const fuzz_world_t *w = fuzz_world();
	Seinhuis__Envelope *ev[8];
	ProtobufCBinaryData sigs[8];
	for (size_t i = 0; i < n; i++) {
		ev[i] = seinhuis__envelope__unpack(NULL, envs[i]->len,
		                                   envs[i]->data);
		if (!ev[i])
			die(name, "envelope does not decode");
		sigs[i] = ev[i]->signal;
	}
	sh_buf b = {0};
	if (sh_batch_build(&w->sender, FUZZ_RECIPIENT, sigs, n, &b) != SH_OK)
		die(name, "cannot build the batch");
	if (flip) {
		/* the signature is the frame's last field */
		b.data[b.len - 1] ^= 0x01;
	}
	seed("fuzz_peerframe", name, b.data, b.len);
	sh_buf_free(&b);
	for (size_t i = 0; i < n; i++)
		seinhuis__envelope__free_unpacked(ev[i], NULL);
}

static void peerframe_seeds(void)
{
	clear_corpus("fuzz_peerframe");
	const sh_buf *one[] = {&env_full};
	const sh_buf *three[] = {&env_full, &env_notice, &env_full};
	const sh_buf *bad[] = {&env_bad, &env_notice};
	frame("one-signal", 1, one, 1, 0);
	frame("three-signals", 1, three, 3, 0);
	frame("bad-and-good", 1, bad, 2, 0);
	frame("receipt-only", 1, NULL, 0, 1);
	frame("signal-and-receipt", 1, one, 1, 1);
	frame("frame-v2", 2, one, 1, 0);
	frame("empty", 1, NULL, 0, 0);
	resend_frames();
	witness_frames();
	batch("batch-one", one, 1, 0);
	batch("batch-three", three, 3, 0);
	batch("batch-bad-signature", three, 3, 1);
	batch("batch-bad-and-good", bad, 2, 0);
}

/* One control request frame, appended to out. */
static void request(sh_buf *out, Seinhuis__CtlRequest__Op op, const char *type,
                    const char *recipient, const nv_t *nv, const char *state,
                    uint32_t limit, const char *id)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	size_t n = 0;
	Seinhuis__Field **f = nv ? fields_of(nv, &n) : NULL;
	q.op = op;
	if (type)
		q.type = (char *)type;
	if (recipient)
		q.recipient = (char *)recipient;
	q.fields = f;
	q.n_fields = n;
	if (state)
		q.state = (char *)state;
	q.limit = limit;
	if (id)
		q.message_id = (char *)id;
	sh_frame_append(out, &q.base);
	free_fields(f, n);
}

/* A consent request (grant, revoke), appended to out. */
static void consent_request(sh_buf *out, Seinhuis__CtlRequest__Op op,
                            const nv_t *nv, const char *purpose,
                            const char *from, const char *until,
                            const char *ref)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	size_t n = 0;
	Seinhuis__Field **f = nv ? fields_of(nv, &n) : NULL;
	q.op = op;
	q.recipient = FUZZ_SENDER;
	q.fields = f;
	q.n_fields = n;
	if (purpose)
		q.purpose = (char *)purpose;
	if (from)
		q.valid_from = (char *)from;
	if (until)
		q.valid_until = (char *)until;
	if (ref)
		q.message_id = (char *)ref;
	sh_frame_append(out, &q.base);
	free_fields(f, n);
}

static void control_seeds(void)
{
	const char *t = "fuzz_control";
	static const nv_t unknown_field[] = {{"legal_basis", "legal_duty"},
	                                     {"arrears_kind", "rent"},
	                                     {"colour", "blue"},
	                                     {NULL, NULL}};
	static const nv_t twice[] = {{"legal_basis", "legal_duty"},
	                             {"surname", "Jansen"},
	                             {"surname", "Smit"},
	                             {NULL, NULL}};
	static const nv_t bad_amount[] = {{"legal_basis", "legal_duty"},
	                                  {"amount_cents", " 12"},
	                                  {NULL, NULL}};
	sh_buf b = {0};
	clear_corpus(t);
#define REQ(name, ...)                                                         \
	do {                                                                   \
		b.len = 0;                                                     \
		request(&b, __VA_ARGS__);                                      \
		seed(t, name, b.data, b.len);                                  \
	} while (0)
	REQ("send-arrears", SEINHUIS__CTL_REQUEST__OP__SEND, "arrears",
	    FUZZ_SENDER, arrears_full, NULL, 0, NULL);
	REQ("send-meldcode", SEINHUIS__CTL_REQUEST__OP__SEND, "meldcode_report",
	    FUZZ_SENDER, meldcode, NULL, 0, NULL);
	REQ("send-vt-notice", SEINHUIS__CTL_REQUEST__OP__SEND, "vt_notice",
	    FUZZ_SENDER, vt_notice, NULL, 0, NULL);
	REQ("send-referral", SEINHUIS__CTL_REQUEST__OP__SEND, "referral",
	    FUZZ_SENDER, referral, NULL, 0, NULL);
	REQ("send-feedback", SEINHUIS__CTL_REQUEST__OP__SEND, "status_feedback",
	    FUZZ_SENDER, feedback, NULL, 0, NULL);
	/* limit picks the roles: 3 = health_insurer, allowed a BSN */
	REQ("send-arrears-insurer", SEINHUIS__CTL_REQUEST__OP__SEND, "arrears",
	    FUZZ_SENDER, arrears_insurer, NULL, 3, NULL);
	REQ("send-revocation", SEINHUIS__CTL_REQUEST__OP__SEND,
	    "consent_revocation", FUZZ_SENDER, revocation, NULL, 0, NULL);
	REQ("send-unknown-field", SEINHUIS__CTL_REQUEST__OP__SEND, "arrears",
	    FUZZ_SENDER, unknown_field, NULL, 0, NULL);
	REQ("send-field-twice", SEINHUIS__CTL_REQUEST__OP__SEND, "arrears",
	    FUZZ_SENDER, twice, NULL, 0, NULL);
	REQ("send-bad-amount", SEINHUIS__CTL_REQUEST__OP__SEND, "arrears",
	    FUZZ_SENDER, bad_amount, NULL, 0, NULL);
	REQ("send-bad-type", SEINHUIS__CTL_REQUEST__OP__SEND, "arrear",
	    "nobody", arrears_clear, NULL, 0, NULL);
	REQ("outbox-pending", SEINHUIS__CTL_REQUEST__OP__OUTBOX, NULL, NULL,
	    NULL, "pending", 10, NULL);
	REQ("outbox-bad-state", SEINHUIS__CTL_REQUEST__OP__OUTBOX, NULL, NULL,
	    NULL, "lost", 0, NULL);
	REQ("inbox-list", SEINHUIS__CTL_REQUEST__OP__INBOX_LIST, NULL, NULL,
	    NULL, NULL, 5, NULL);
	REQ("inbox-show", SEINHUIS__CTL_REQUEST__OP__INBOX_SHOW, NULL, NULL,
	    NULL, NULL, 0, "00112233445566778899AABBCCDDEEFF");
	REQ("inbox-ack-bad-id", SEINHUIS__CTL_REQUEST__OP__INBOX_ACK, NULL,
	    NULL, NULL, NULL, 0, "0011223344556677889");
	REQ("status", SEINHUIS__CTL_REQUEST__OP__STATUS, NULL, NULL, NULL, NULL,
	    0, NULL);
	REQ("quarantine-list", SEINHUIS__CTL_REQUEST__OP__QUARANTINE_LIST, NULL,
	    NULL, NULL, NULL, 0, NULL);
	REQ("consent-list", SEINHUIS__CTL_REQUEST__OP__CONSENT_LIST, NULL, NULL,
	    NULL, NULL, 0, NULL);
	REQ("unknown-op", (Seinhuis__CtlRequest__Op)99, NULL, NULL, NULL, NULL,
	    0, NULL);
#undef REQ
	/* Pipelined: three requests in one read. */
	b.len = 0;
	request(&b, SEINHUIS__CTL_REQUEST__OP__STATUS, NULL, NULL, NULL, NULL,
	        0, NULL);
	request(&b, SEINHUIS__CTL_REQUEST__OP__SEND, "status_feedback",
	        FUZZ_SENDER, feedback, NULL, 0, NULL);
	request(&b, SEINHUIS__CTL_REQUEST__OP__INBOX_ACK, NULL, NULL, NULL,
	        NULL, 0, "ffeeddccbbaa99887766554433221100");
	seed(t, "pipelined", b.data, b.len);
	/* A frame whose body has not all arrived yet. */
	seed(t, "partial-frame", b.data, b.len - 3);
	/* Consent register: grant (resident identifiers as fields), revoke. */
	static const nv_t resident[] = {{"surname", "Jansen"},
	                                {"postcode", "1234 AB"},
	                                {"house_number", "7"},
	                                {"birth_date", "1980-02-03"},
	                                {NULL, NULL}};
	static const nv_t not_resident[] = {
	    {"surname", "Jansen"}, {"amount_cents", "5"}, {NULL, NULL}};
	static const nv_t by_bsn[] = {{"bsn", "111222333"}, {NULL, NULL}};
	b.len = 0;
	consent_request(&b, SEINHUIS__CTL_REQUEST__OP__CONSENT_GRANT, resident,
	                "referral", "2024-01-01", "2030-12-31", NULL);
	seed(t, "consent-grant", b.data, b.len);
	b.len = 0;
	consent_request(&b, SEINHUIS__CTL_REQUEST__OP__CONSENT_GRANT, by_bsn,
	                "collection_pause", NULL, NULL, NULL);
	seed(t, "consent-grant-bsn", b.data, b.len);
	b.len = 0;
	consent_request(&b, SEINHUIS__CTL_REQUEST__OP__CONSENT_GRANT,
	                not_resident, "referral", NULL, NULL, NULL);
	seed(t, "consent-grant-bad-field", b.data, b.len);
	static const nv_t same_twice[] = {
	    {"surname", "Jansen"}, {"surname", "Pietersen"}, {NULL, NULL}};
	b.len = 0;
	consent_request(&b, SEINHUIS__CTL_REQUEST__OP__CONSENT_GRANT,
	                same_twice, "referral", NULL, NULL, NULL);
	seed(t, "consent-grant-twice", b.data, b.len);
	static const nv_t no_date[] = {
	    {"surname", "Jansen"}, {"birth_date", "1980-02-30"}, {NULL, NULL}};
	b.len = 0;
	consent_request(&b, SEINHUIS__CTL_REQUEST__OP__CONSENT_GRANT, no_date,
	                "referral", NULL, NULL, NULL);
	seed(t, "consent-grant-bad-birth-date", b.data, b.len);
	b.len = 0;
	consent_request(&b, SEINHUIS__CTL_REQUEST__OP__CONSENT_REVOKE, NULL,
	                NULL, NULL, NULL, "0123456789abcdef0123456789abcdef");
	seed(t, "consent-revoke", b.data, b.len);
	/* Not a request at all, and a length above the limit. */
	static const uint8_t garbage[] = {0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff};
	seed(t, "garbage-body", garbage, sizeof(garbage));
	static const uint8_t huge[] = {0x01, 0x00, 0x00, 0x01, 0x08, 0x06};
	seed(t, "oversized", huge, sizeof(huge));
	sh_buf_free(&b);
}

static void config_seeds(void)
{
	const char *t = "fuzz_config";
	clear_corpus(t);
	seed_text(t, "minimal",
	          "keydir = /etc/seinhuis/keys\n"
	          "trustdir = /etc/seinhuis/trust\n"
	          "datadir = /var/lib/seinhuis\n"
	          "listen = tcp://0.0.0.0:7100\n"
	          "control = /run/seinhuis/control.sock\n");
	seed_text(t, "full",
	          "# Seinhuis daemon configuration\n"
	          "\n"
	          "keydir = /etc/seinhuis/keys\n"
	          "trustdir = /etc/seinhuis/trust\n"
	          "datadir = /var/lib/seinhuis\n"
	          "  listen   =   tcp://127.0.0.1:7100  \n"
	          "control = /run/seinhuis/control.sock\n"
	          "control_group = seinhuis\n"
	          "map_size = 2G\n"
	          "max_message = 512k\n"
	          "log_level = DEBUG\n"
	          "log_syslog = yes\n"
	          "retry_min_ms = 10\n"
	          "retry_max_ms = 3600000\n"
	          "window = 1000000\n"
	          "batch_max = 1\n");
	seed_text(t, "unknown-key",
	          "keydir = /k\ntrustdir = /t\ndatadir = /d\n"
	          "listen = tcp://h:1\ncontrol = /c\n"
	          "colour = blue\n");
	seed_text(t, "given-twice", "keydir = /k\nkeydir = /k2\n");
	seed_text(t, "bad-size",
	          "keydir = /k\ntrustdir = /t\ndatadir = /d\n"
	          "listen = tcp://h:1\ncontrol = /c\n"
	          "map_size = 17179869184G\n");
	seed_text(t, "retry-inverted",
	          "keydir = /k\ntrustdir = /t\ndatadir = /d\n"
	          "listen = tcp://h:1\ncontrol = /c\n"
	          "retry_min_ms = 600000\nretry_max_ms = 100\n");
	seed_text(t, "missing-required", "keydir = /k\nlisten = tcp://h:1\n");
	seed_text(t, "no-equals", "keydir /k\n");
	seed_text(t, "upper-key", "KeyDir = /k\n");
	seed_text(t, "crlf",
	          "keydir = /k\r\ntrustdir = /t\r\ndatadir = /d\r\n"
	          "listen = tcp://h:1\r\ncontrol = /c\r\n");
	seed(t, "nul-byte", "keydir = /k\0\n", 13);
}

static void card_seeds(void)
{
	const char *t = "fuzz_card";
	const fuzz_world_t *w = fuzz_world();
	sh_buf b = {0};
	clear_corpus(t);
	sh_card_format(&w->recipient.card, &b);
	seed(t, "alpha", b.data, b.len);
	b.len = 0;
	sh_card c = w->sender.card;
	snprintf(c.municipalities, sizeof(c.municipalities), "0363,0344,0599");
	sh_card_format(&c, &b);
	seed(t, "beta-municipalities", b.data, b.len);

	/* Nearly valid: the same card with one line changed. */
	const char *text = (const char *)b.data;
	const char *sign = strstr(text, "\nsign = ");
	const char *seal = strstr(text, "\nseal = ");
	if (!sign || !seal)
		die("card", "unexpected format");
	sh_buf m = {0};
	sh_buf_add(&m, text, (size_t)(seal - text) + 1); /* no seal line */
	seed(t, "no-seal", m.data, m.len);
	m.len = 0;
	sh_buf_add(&m, text, (size_t)(sign - text) + 8);
	sh_buf_printf(&m, "zz%s", sign + 10); /* a non-hex digit */
	seed(t, "bad-hex", m.data, m.len);
	m.len = 0;
	/* keys of small order (the identity; u = 0): refused */
	sh_buf_add(&m, text, (size_t)(sign - text) + 8);
	sh_buf_printf(&m, "01%062d%s", 0, sign + 8 + 64);
	seed(t, "sign-small-order", m.data, m.len);
	m.len = 0;
	const char *curve = strstr(text, "\ncurve = ");
	if (!curve)
		die("card", "unexpected format");
	sh_buf_add(&m, text, (size_t)(curve - text) + 9);
	sh_buf_printf(&m, "%040d%s", 0, curve + 9 + 40);
	seed(t, "curve-small-order", m.data, m.len);
	m.len = 0;
	sh_buf_printf(&m, "%s", text);
	m.data[strstr((char *)m.data, "seinhuis_card = 1") - (char *)m.data +
	       16] = '2';
	seed(t, "version-2", m.data, m.len);
	m.len = 0;
	sh_buf_printf(&m, "%spartner = again\n", text);
	seed(t, "partner-twice", m.data, m.len);
	m.len = 0;
	sh_buf_printf(&m, "%s", text);
	char *role = strstr((char *)m.data, "role = ");
	memcpy(role + 7, "LANDLORD", 8);
	seed(t, "bad-role", m.data, m.len);

	/* A rotated card (seinkey rotate): alpha continuing beta's keys, as
	 * if they had been its own, signed with beta's signing key. */
	sh_card r = w->recipient.card;
	r.has_prev = 1;
	memcpy(r.prev_curve, w->sender.card.curve_pub, SH_KEY_LEN);
	memcpy(r.prev_curve_z85, w->sender.card.curve_z85,
	       sizeof(r.prev_curve_z85));
	memcpy(r.prev_sign, w->sender.card.sign_pub, SH_KEY_LEN);
	r.prev_until = 1800000000;
	if (sh_card_sign_previous(&r, w->sender.sign_sec) != SH_OK)
		die("card", "cannot sign a rotated card");
	m.len = 0;
	sh_card_format(&r, &m);
	seed(t, "rotated", m.data, m.len);
	char *until = strstr((char *)m.data, "previous_until = 18");
	until[18] = '9'; /* no longer what was signed */
	seed(t, "rotated-bad-signature", m.data, m.len);
	until[18] = '8';
	*strstr((char *)m.data, "previous_signature = ") = '\0';
	seed(t, "rotated-unsigned", m.data, strlen((char *)m.data));
	sh_buf_free(&m);
	sh_buf_free(&b);
}

static void identity_seeds(void)
{
	const char *t = "fuzz_identity";
	clear_corpus(t);
	/* Fields: initials prefix surname street house_number addition
	 * postcode place phone email birth_date bsn, NUL-separated. */
#define P(name, lit) seed(t, name, lit, sizeof(lit) - 1)
	P("bsn-valid", "\0\0\0\0\0\0\0\0\0\0\0"
	               "111222333");
	P("bsn-invalid", "\0\0Jansen\0\0\0\0\0\0\0\0\0"
	                 "123456789");
	P("nap-diacritics", "J.\0\0Van der Berg-\xc3\x96zt\xc3\xbcrk\0"
	                    "Dorpsstraat\0"
	                    "12\0a\0"
	                    "1234 ab\0Utrecht\0"
	                    "0612345678\0j@example.org\0"
	                    "1980-02-03\0");
	P("nap-bis", "\0\0'T Hart\0\0"
	             "1 bis\0\0"
	             "9999ZZ\0");
	P("nap-ij-addition", "\0\0D\xc4\xb3kstra\0\0"
	                     "100-2\0A\0"
	                     "3511AA\0");
	P("nap-typographic", "\0\0O\xe2\x80\x99Neil\xe2\x80\x93Smit\0\0"
	                     "7\0"
	                     "\0"
	                     "1000 AA\0");
	P("postcode-zero", "\0\0Smit\0\0"
	                   "3\0\0"
	                   "0123AB\0");
	P("house-missing", "\0\0Smit\0\0\0\0"
	                   "1234AB\0");
	P("surname-only-prefix", "\0\0van der\0\0"
	                         "3\0\0"
	                         "1234AB\0");
	P("surname-greek", "\0\0\xce\x91\xce\xbb\xcf\x86\xce\xb1\0\0"
	                   "3\0\0"
	                   "1234AB\0");
	P("empty", "");
#undef P
}

static void catalogue_seeds(void)
{
	const char *t = "fuzz_catalogue";
	char *text;
	size_t len;
	clear_corpus(t);
	if (sh_read_file(fuzz_catalogue_path(), 1 << 20, &text, &len) != SH_OK)
		die(fuzz_catalogue_path(), strerror(errno));
	seed(t, "shipped", text, len);
	free(text);
	seed_text(t, "minimal",
	          "seinhuis_catalogue = 1\n"
	          "[vt_notice]\n"
	          "senders = veilig_thuis\n"
	          "recipients = professional municipality_team\n"
	          "legal_basis = legal_task\n"
	          "field status = required enum received closed\n"
	          "field escalation_level = optional int 0 4\n");
	seed_text(t, "consent-rules",
	          "seinhuis_catalogue = 1\n"
	          "[meldcode_report]\n"
	          "senders = professional\n"
	          "recipients = veilig_thuis\n"
	          "legal_basis = meldrecht consent\n"
	          "purpose = meldcode\n"
	          "persons = 2\n"
	          "keep_unanswered = 1 month\n"
	          "keep_taken = 36 hours\n"
	          "feedback = legal_task\n"
	          "field steps_taken = required steps\n"
	          "field justification = optional enum a b c\n"
	          "field surname = required personal text 1 100\n"
	          "field bsn = optional personal bsn only professional\n"
	          "field phone = optional personal phone\n"
	          "field email = optional personal email\n"
	          "field postcode = required personal postcode\n"
	          "field house_number = required personal housenumber\n"
	          "field birth_date = optional personal date past\n"
	          "rule justification required when legal_basis = meldrecht\n"
	          "rule steps_taken includes 1,2,3,4 when legal_basis = "
	          "meldrecht\n");
	seed_text(t, "arrears-digits",
	          "seinhuis_catalogue = 1\n"
	          "[arrears]\n"
	          "senders = landlord\n"
	          "recipients = municipality_debt\n"
	          "legal_basis = legal_duty\n"
	          "field municipality_code = optional digits 4\n"
	          "field report_id = optional msgid\n"
	          "field amount_cents = required int 1 100000000\n");
	seed_text(t, "personal-in-clear",
	          "seinhuis_catalogue = 1\n[arrears]\nsenders = landlord\n"
	          "recipients = municipality_debt\nlegal_basis = legal_duty\n"
	          "field surname = required text 1 100\n");
	seed_text(t, "consent-no-purpose",
	          "seinhuis_catalogue = 1\n[referral]\nsenders = professional\n"
	          "recipients = municipality_team\nlegal_basis = consent\n");
	seed_text(t, "no-magic", "[referral]\nsenders = professional\n");
	seed_text(t, "bad-role",
	          "seinhuis_catalogue = 1\n[referral]\n"
	          "senders = plumber\n");
	seed_text(t, "section-twice",
	          "seinhuis_catalogue = 1\n[consent_revocation]\n"
	          "senders = water\nrecipients = water\nlegal_basis = "
	          "consent\npurpose = revocation\n[consent_revocation]\n");
}

/* CSV exports as partners' systems write them (seinctl send --csv). */
static void csv_seeds(void)
{
	const char *t = "fuzz_csv";
	clear_corpus(t);
#define P(name, lit) seed(t, name, lit, sizeof(lit) - 1)
	P("semicolon", "type;surname;postcode;house_number;amount\n"
	               "arrears_rent;Jansen;1234 AB;12;450\n"
	               "arrears_rent;de Vries;3511AA;3;1200\n");
	P("comma-crlf", "type,surname,postcode\r\n"
	                "arrears_energy,Smit,1000AA\r\n"
	                "\r\n"
	                "arrears_energy,Bakker,9999ZZ\r\n");
	P("quoted", "type;note;surname\n"
	            "arrears_rent;\"a; b\";\"O\"\"Neil\"\n"
	            "arrears_rent;\"two\nlines\";Smit\n");
	P("bom-utf8", "\xef\xbb\xbftype;surname\narrears_rent;\xc3\x96zt"
	              "\xc3\xbcrk\n");
	P("cp1252", "type;surname\narrears_rent;M\xfcller \x80 \x93\n");
	P("cp1252-hole", "type;surname\narrears_rent;\x81\n");
	P("unclosed-quote", "type;surname\narrears_rent;\"Jansen\n");
	P("text-after-quote", "type;surname\narrears_rent;\"Jan\"sen\n"
	                      "arrears_rent;Smit\n");
	P("field-count", "type;surname\narrears_rent\narrears_rent;a;b\n");
	P("cr-inside", "type;surname\narrears_rent;Jan\rsen\n");
	P("header-twice", "type;type\nx;y\n");
	P("header-empty-column", "type;;surname\n");
	P("no-header", "\n\n");
	P("nul", "type;surname\narrears_rent;J\0\n");
	P("empty", "");
#undef P
}

/* Postcode tables (postcode_table), as CBS publishes them and by hand. */
static void postcode_seeds(void)
{
	const char *t = "fuzz_postcodes";
	clear_corpus(t);
	seed_text(t, "sample-header",
	          "postcode;gemeentecode\n"
	          "# Amsterdam centre\n"
	          "1011;0363\n"
	          "1011AB;0363\n"
	          "2000 aa;GM0392\n");
	seed_text(t, "cbs-quoted",
	          "\"PC6\",\"Gemeente2024\"\n"
	          "\"1011AB\",\"GM0363\"\n"
	          "\"3511AA\",\"GM0344\"\n");
	seed_text(t, "pc4-and-pc6", "1234;0344\n1234ZZ;0363\n1234AA;0344\n");
	seed_text(t, "twice-same", "1011AB;0363\n1011AB;0363\n");
	seed_text(t, "twice-different", "1011AB;0363\n1011 ab;0384\n");
	seed_text(t, "bad-code", "1011AB;363\n");
	seed_text(t, "leading-zero", "0123AB;0363\n");
	seed_text(t, "no-separator", "1011AB 0363\n");
	seed_text(t, "crlf", "1011AB;0363\r\n1012;0363\r\n");
	seed_text(t, "comments-only", "# nothing\n\n");
	seed(t, "empty", "", 0);
}

/* The store's redo journal (journal.c): files written by
 * sh_journal_append itself, then cut, changed or left as they are. */
static char jdir[64], jpath[128];
static sh_journal *jr;

static void journal_begin(uint64_t gen)
{
	char why[512];
	snprintf(jdir, sizeof(jdir), "/tmp/seinhuis-seeds-XXXXXX");
	if (!mkdtemp(jdir))
		die(jdir, strerror(errno));
	snprintf(jpath, sizeof(jpath), "%s/journal", jdir);
	if (sh_journal_open(&jr, jpath, why, sizeof(why)) != SH_OK)
		die(jpath, why);
	sh_journal_reset(jr, gen);
}

static void journal_add(const sh_buf *payload)
{
	sh_buf r = {0};
	uint8_t hdr[SH_JOURNAL_HDR] = {0};
	sh_buf_add(&r, hdr, sizeof(hdr));
	sh_buf_add(&r, payload->data, payload->len);
	if (sh_journal_append(jr, r.data, r.len) != SH_OK)
		die(jpath, "cannot append");
	sh_buf_free(&r);
}

/* The file's first `len` bytes (the records and the zeros it is grown
 * with after them) into out; the file is removed. */
static void journal_end(sh_buf *out, size_t len)
{
	char *text = NULL;
	size_t n = 0;
	sh_journal_close(&jr);
	if (sh_read_file(jpath, 64u << 20, &text, &n) != SH_OK)
		die(jpath, strerror(errno));
	if (len > n)
		die(jpath, "shorter than its records");
	out->len = 0;
	sh_buf_add(out, text, len);
	free(text);
	unlink(jpath);
	rmdir(jdir);
}

/* One operation of a payload (journal.h). */
static void jop(sh_buf *p, int op, unsigned table, const void *key, size_t klen,
                const void *val, size_t vlen)
{
	uint8_t h[SH_JOP_HDR] = {(uint8_t)op, (uint8_t)table, (uint8_t)klen,
	                         (uint8_t)(klen >> 8)};
	for (int i = 0; i < 4; i++)
		h[4 + i] = (uint8_t)(vlen >> (8 * i));
	sh_buf_add(p, h, sizeof(h));
	sh_buf_add(p, key, klen);
	if (vlen)
		sh_buf_add(p, val, vlen);
}

static void journal_seeds(void)
{
	const char *t = "fuzz_journal";
	/* table numbers as store.c gives them */
	enum { META = 0, OUTBOX = 1, OUTBOX_ID = 2, INBOX = 3, SEEN = 4 };
	enum { REVOKED = 7, NATKEY = 8, AUDIT_STATE = 13 };
	uint8_t seq1[8] = {0, 0, 0, 0, 0, 0, 0, 1};
	uint8_t seq2[8] = {0, 0, 0, 0, 0, 0, 0, 2};
	uint8_t zero8[8] = {0}, id[16], key[32], rec[24];
	for (size_t i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)(0x10 + i);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof(rec); i++)
		rec[i] = (uint8_t)(i * 7);
	rec[0] = 0x0a; /* an OutboxRecord's message_id field, of 16 bytes */
	rec[1] = 0x10;

	/* a turn that took a signal from seinctl */
	sh_buf p1 = {0}, p2 = {0}, p3 = {0}, bad = {0}, f = {0};
	jop(&p1, SH_JOP_PUT, NATKEY, key, sizeof(key), id, sizeof(id));
	jop(&p1, SH_JOP_PUT, OUTBOX_ID, id, sizeof(id), seq1, 8);
	jop(&p1, SH_JOP_PUT, OUTBOX, seq1, 8, rec, sizeof(rec));
	jop(&p1, SH_JOP_PUT, META, "next_out", 8, seq2, 8);
	jop(&p1, SH_JOP_PUT, META, "next_in", 7, seq1, 8);
	/* one that took a signal out of the inbox and noted a revocation */
	jop(&p2, SH_JOP_DEL, INBOX, seq1, 8, NULL, 0);
	jop(&p2, SH_JOP_PUT, SEEN, id, sizeof(id), zero8, 8);
	jop(&p2, SH_JOP_PUT, REVOKED, "fuzz-beta|00112233", 18, NULL, 0);
	/* one that released a natural key and wrote the audit log's size */
	jop(&p3, SH_JOP_DEL, NATKEY, key, sizeof(key), NULL, 0);
	jop(&p3, SH_JOP_PUT, AUDIT_STATE, "size", 4, seq2, 8);
	size_t r1 = SH_JOURNAL_HDR + p1.len, r2 = SH_JOURNAL_HDR + p2.len,
	       r3 = SH_JOURNAL_HDR + p3.len;

	clear_corpus(t);
	journal_begin(1);
	journal_add(&p1);
	journal_end(&f, r1);
	seed(t, "one-record", f.data, f.len);

	journal_begin(7);
	journal_add(&p1);
	journal_add(&p2);
	journal_add(&p3);
	journal_end(&f, r1 + r2 + r3 + 96);
	seed(t, "zero-tail", f.data, f.len);
	seed(t, "three-records", f.data, r1 + r2 + r3);
	seed(t, "torn-payload", f.data, r1 + r2 + SH_JOURNAL_HDR + p3.len / 2);
	seed(t, "torn-header", f.data, r1 + r2 + 20);
	f.data[r1 + SH_JOURNAL_HDR + 5] ^= 0x40;
	seed(t, "flipped-payload", f.data, r1 + r2 + r3);

	/* generation 5, then 9 over it: 9's record ends where 5's second
	 * begins, which is still there */
	journal_begin(5);
	journal_add(&p2);
	journal_add(&p2);
	journal_add(&p2);
	sh_journal_reset(jr, 9);
	journal_add(&p2);
	journal_end(&f, 3 * r2 + 32);
	seed(t, "two-generations", f.data, f.len);

	/* records that are whole but hold what a store never writes */
	journal_begin(3);
	bad.len = 0;
	jop(&bad, 3 /* no such kind */, OUTBOX, seq1, 8, NULL, 0);
	journal_add(&bad);
	journal_end(&f, SH_JOURNAL_HDR + bad.len);
	seed(t, "op-put-late", f.data, f.len);
	journal_begin(3);
	bad.len = 0;
	sh_buf_add(&bad, p1.data, p1.len - 3);
	journal_add(&bad);
	journal_end(&f, SH_JOURNAL_HDR + bad.len);
	seed(t, "op-cut-short", f.data, f.len);
	journal_begin(3);
	bad.len = 0;
	jop(&bad, SH_JOP_DEL, 14, "k", 1, "v", 1);
	journal_add(&bad);
	journal_end(&f, SH_JOURNAL_HDR + bad.len);
	seed(t, "op-bad-table", f.data, f.len);
	seed(t, "empty", "", 0);
	sh_buf_free(&p1);
	sh_buf_free(&p2);
	sh_buf_free(&p3);
	sh_buf_free(&bad);
	sh_buf_free(&f);
}

int main(int argc, char **argv)
{
	base = argc > 1 ? argv[1] : fuzz_dir();
	if (setenv("SEINHUIS_FUZZ_DIR", base, 1) != 0)
		die("setenv", strerror(errno));
	make_fixture(FUZZ_RECIPIENT, "municipality_debt",
	             "tcp://127.0.0.1:7191", "Fuzz fixture Alpha (test only)");
	make_fixture(FUZZ_SENDER, "landlord", "tcp://127.0.0.1:7192",
	             "Fuzz fixture Beta (test only)");
	envelope_seeds();
	peerframe_seeds();
	control_seeds();
	config_seeds();
	card_seeds();
	identity_seeds();
	catalogue_seeds();
	csv_seeds();
	postcode_seeds();
	journal_seeds();
	sh_buf_free(&env_full);
	sh_buf_free(&env_notice);
	sh_buf_free(&env_bad);
	printf("wrote %zu seed files, %zu bytes, under %s/corpus\n",
	       total_files, total_bytes, base);
	return 0;
}
