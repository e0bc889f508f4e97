/*
 * test_codec.c - signals from named fields and back (wire.c), the peer and
 * control messages, and the control socket framing (ctlclient.c).
 *
 * Three partners A (landlord), B (municipality debt help) and C (Veilig
 * Thuis) are created as real identities. Every signal type is built from
 * "name = value" fields the way seinctl sends them, verified as its
 * recipient, and taken apart again: the clear fields must come back as
 * given, the sealed content must open with the pair's key and hold the
 * personal fields, and no personal value may appear anywhere in the
 * envelope bytes. Then every way an envelope can be wrong is tried.
 * Batch-signed frames (sh_batch_build, sh_batch_verify) of several sizes
 * give every signal a proof that verifies alone and fails when its index,
 * path, leaf count, signal, signer or recipient is changed.
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "check.h"
#include "policy.h"
#include "fixture.h"
#include "seinhuis.h"

static sh_identity A, B, C;

/* One named field; personal ones must travel sealed only. */
struct kv {
	const char *name, *value;
	int personal;
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

#define MAXF 48
struct fieldset {
	Seinhuis__Field f[MAXF];
	Seinhuis__Field *p[MAXF];
	size_t n;
};

static void fieldset_of(struct fieldset *fs, const struct kv *kv, size_t n)
{
	if (n > MAXF)
		abort();
	fs->n = n;
	for (size_t i = 0; i < n; i++) {
		seinhuis__field__init(&fs->f[i]);
		fs->f[i].name = (char *)kv[i].name;
		fs->f[i].value = (char *)kv[i].value;
		fs->p[i] = &fs->f[i];
	}
}

static sh_err build(const sh_identity *from, const sh_card *to,
                    Seinhuis__SignalType type, const struct kv *kv, size_t n,
                    uint8_t id[SH_ID_LEN], sh_buf *env, char *errf,
                    size_t errlen)
{
	sh_pair_keys k;
	struct fieldset fs;
	if (sh_pair_keys_derive(&k, from, to) != SH_OK)
		return SH_ERR_CRYPTO;
	fieldset_of(&fs, kv, n);
	sh_err e = sh_wire_build(from, to, &k, type, fs.p, fs.n, id, env, errf,
	                         errlen);
	sh_wipe(&k, sizeof(k));
	return e;
}

/* Build expecting a refusal; checks that nothing was written. */
static sh_err refuse(Seinhuis__SignalType type, const struct kv *kv, size_t n,
                     char *errf, size_t errlen)
{
	uint8_t id[SH_ID_LEN];
	sh_buf env = {0};
	sh_err e = build(&A, &B.card, type, kv, n, id, &env, errf, errlen);
	CHECK_INT(env.len, 0);
	sh_buf_free(&env);
	return e;
}

static const char *person_field(const Seinhuis__Person *p, const char *name)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(
	        &seinhuis__person__descriptor, name);
	if (!f || f->type != PROTOBUF_C_TYPE_STRING)
		return NULL;
	return *(char *const *)((const char *)p + f->offset);
}

/* Where a personal field should come back in the sealed content. */
static const char *sealed_value(const Seinhuis__SealedContent *sc,
                                const char *name)
{
	if (strcmp(name, "description") == 0)
		return sc->description;
	if (strcmp(name, "reporter_contact") == 0)
		return sc->reporter_contact;
	size_t idx = 0;
	if (strncmp(name, "person", 6) == 0 && name[7] == '.') {
		idx = (size_t)(name[6] - '1');
		name += 8;
	}
	if (idx >= sc->n_persons)
		return NULL;
	return person_field(sc->persons[idx], name);
}

/* Canonical identity of the first person among the fields. */
static sh_err first_person_canon(const struct kv *kv, size_t n, char *out,
                                 size_t outlen, int *has_person)
{
	Seinhuis__Person p;
	seinhuis__person__init(&p);
	*has_person = 0;
	for (size_t i = 0; i < n; i++) {
		if (!kv[i].personal || strncmp(kv[i].name, "person", 6) == 0 ||
		    strcmp(kv[i].name, "description") == 0 ||
		    strcmp(kv[i].name, "reporter_contact") == 0)
			continue;
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(
		        &seinhuis__person__descriptor, kv[i].name);
		if (!f)
			continue;
		*(char **)((char *)&p + f->offset) = (char *)kv[i].value;
		*has_person = 1;
	}
	return sh_canonical_identity(&p, out, outlen);
}

static int is_int_field(const char *name)
{
	return strcmp(name, "amount_cents") == 0 ||
	       strcmp(name, "escalation_level") == 0;
}

/*
 * Build from `from` to `to`, verify as `to`, and check everything that
 * comes back. `third` is a partner outside the pair.
 */
/* A packed message, for comparing what two decodes made. */
static void packed_of(const ProtobufCMessage *m, sh_buf *out)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	sh_buf_add(out, NULL, n);
	protobuf_c_message_pack(m, out->data + out->len - n);
}

/* A packed PeerFrame's sent_ms, and the frame packed again without it
 * (in place); -1 if it does not decode. */
static int64_t frame_unsent(sh_buf *frame)
{
	Seinhuis__PeerFrame *f =
	    seinhuis__peer_frame__unpack(NULL, frame->len, frame->data);
	if (!f)
		return -1;
	int64_t t = f->sent_ms;
	f->sent_ms = 0;
	frame->len = 0;
	packed_of(&f->base, frame);
	seinhuis__peer_frame__free_unpacked(f, NULL);
	return t;
}

static int same_message(const void *a, const void *b)
{
	sh_buf x = {0}, y = {0};
	packed_of(a, &x);
	packed_of(b, &y);
	int same = x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
	sh_buf_free(&x);
	sh_buf_free(&y);
	return same;
}

/* The recipient's path in peer.c: decoded once into an arena
 * (sh_wire_decode_a, sh_wire_verify_decoded), opened and its fields
 * collected there. It must give what the malloc path gives. */
static void arena_path(const sh_identity *from, const sh_identity *to,
                       const sh_pair_keys *kt, const sh_buf *env,
                       const Seinhuis__Signal *sig)
{
	sh_arena a;
	sh_wire_decoded dec;
	uint8_t id[SH_ID_LEN], id2[SH_ID_LEN];
	Seinhuis__Signal *s = NULL;
	sh_arena_init(&a, 4096);
	CHECK_ERR(sh_wire_decode_a(env->data, env->len, &a, &dec, id), SH_OK);
	CHECK_ERR(
	    sh_wire_verify_decoded(to, &from->card, &dec, NULL, 0, &s, id2),
	    SH_OK);
	CHECK_MEM(id, id2, SH_ID_LEN);
	CHECK_MEM(id, sig->message_id.data, SH_ID_LEN);
	if (!s) {
		sh_arena_free(&a);
		return;
	}
	CHECK(s == dec.sig);
	CHECK(same_message(s, sig));
	/* not from a third partner, as the malloc path refuses it */
	Seinhuis__Signal *t = NULL;
	CHECK_ERR(sh_wire_verify_decoded(to, &C.card, &dec, NULL, 0, &t, id2),
	          from == &C ? SH_OK : SH_ERR_SIGNATURE);

	Seinhuis__SealedContent *sc = NULL, *asc = NULL;
	sh_err e = sh_wire_open(sig, kt, &sc);
	CHECK_ERR(sh_wire_open_a(s, kt, &a, &asc), e);
	CHECK((sc == NULL) == (asc == NULL));
	if (sc && asc)
		CHECK(same_message(sc, asc));

	Seinhuis__Field **f = NULL, **af = NULL;
	size_t n = 0, an = 0;
	e = sh_wire_fields(sig, sc, &f, &n);
	CHECK_ERR(sh_wire_fields_a(s, asc, &a, &af, &an), e);
	if (CHECK_INT(an, n))
		for (size_t i = 0; i < n; i++) {
			CHECK_STR(af[i]->name, f[i]->name);
			CHECK_STR(af[i]->value, f[i]->value);
		}
	sh_fields_free(f, n);
	if (sc)
		seinhuis__sealed_content__free_unpacked(sc, NULL);
	/* freeing an arena's message one by one is allowed, and does
	 * nothing: the reset lets it all go */
	seinhuis__signal__free_unpacked(s, &a.pc);
	CHECK(a.used > 0);
	sh_arena_reset(&a);
	CHECK_INT(a.used, 0);
	sh_arena_free(&a);
}

static void roundtrip(const char *title, Seinhuis__SignalType type,
                      const struct kv *kv, size_t n, const sh_identity *from,
                      const sh_identity *to, const sh_identity *third)
{
	uint8_t id[SH_ID_LEN], id2[SH_ID_LEN];
	char errf[128];
	sh_buf env = {0};
	sh_pair_keys kf, kt, kx;
	Seinhuis__Signal *sig = NULL;

	check_case("%s", title);
	CHECK_ERR(sh_pair_keys_derive(&kf, from, &to->card), SH_OK);
	CHECK_ERR(sh_pair_keys_derive(&kt, to, &from->card), SH_OK);
	CHECK_ERR(sh_pair_keys_derive(&kx, to, &third->card), SH_OK);
	CHECK_MEM(&kf, &kt, sizeof(kf));

	int64_t t0 = sh_now_ms();
	if (!CHECK_ERR(build(from, &to->card, type, kv, n, id, &env, errf,
	                     sizeof(errf)),
	               SH_OK)) {
		printf("     err_field: %s\n", errf);
		sh_buf_free(&env);
		return;
	}
	int64_t t1 = sh_now_ms();
	CHECK_STR(errf, "");
	CHECK(env.len > 0);

	memset(id2, 0, sizeof(id2));
	if (!CHECK_ERR(
	        sh_wire_verify(to, &from->card, env.data, env.len, &sig, id2),
	        SH_OK)) {
		sh_buf_free(&env);
		return;
	}
	CHECK_MEM(id, id2, SH_ID_LEN);
	CHECK_INT(sig->format_version, SH_FORMAT_VERSION);
	CHECK_INT(sig->type, type);
	CHECK_STR(sig->sender, from->card.partner);
	CHECK_STR(sig->recipient, to->card.partner);
	CHECK(sig->message_id.len == SH_ID_LEN &&
	      memcmp(sig->message_id.data, id, SH_ID_LEN) == 0);
	CHECK(sig->created_ms >= t0 && sig->created_ms <= t1);

	/* The subject pseudonym is the pair's pseudonym of person 1. */
	char canon[300];
	int has_person;
	sh_err ce =
	    first_person_canon(kv, n, canon, sizeof(canon), &has_person);
	if (has_person) {
		uint8_t want[SH_PSEUDO_LEN];
		CHECK_ERR(ce, SH_OK);
		sh_pseudonym(want, kt.pseudo_key, canon);
		CHECK(sig->subject.len == SH_PSEUDO_LEN &&
		      memcmp(sig->subject.data, want, SH_PSEUDO_LEN) == 0);
	} else {
		CHECK_INT(sig->subject.len, 0);
	}

	/* Clear fields: each clear input comes back once, with its value;
	 * nothing personal, nothing that was not given (an integer field
	 * not given reads 0). */
	Seinhuis__Field **cf = NULL;
	size_t ncf = sh_wire_clear_fields(sig, &cf);
	for (size_t i = 0; i < n; i++) {
		size_t seen = 0;
		for (size_t j = 0; j < ncf; j++)
			if (strcmp(cf[j]->name, kv[i].name) == 0) {
				seen++;
				CHECK_STR(cf[j]->value, kv[i].value);
			}
		check_case("%s: clear field %s", title, kv[i].name);
		CHECK_INT(seen, kv[i].personal ? 0 : 1);
	}
	for (size_t j = 0; j < ncf; j++) {
		int given = 0;
		for (size_t i = 0; i < n; i++)
			if (!kv[i].personal &&
			    strcmp(cf[j]->name, kv[i].name) == 0)
				given = 1;
		check_case("%s: clear output %s", title, cf[j]->name);
		CHECK(given || (is_int_field(cf[j]->name) &&
		                strcmp(cf[j]->value, "0") == 0));
		for (size_t i = 0; i < n; i++)
			if (kv[i].personal && strlen(kv[i].value) >= 5)
				CHECK(strstr(cf[j]->value, kv[i].value) ==
				      NULL);
	}
	sh_fields_free(cf, ncf);
	check_case("%s", title);

	/* Sealed content. */
	int personal = 0;
	for (size_t i = 0; i < n; i++)
		personal |= kv[i].personal;
	Seinhuis__SealedContent *sc = NULL;
	if (personal) {
		if (CHECK_ERR(sh_wire_open(sig, &kt, &sc), SH_OK)) {
			for (size_t i = 0; i < n; i++) {
				if (!kv[i].personal)
					continue;
				check_case("%s: sealed %s", title, kv[i].name);
				CHECK_STR(sealed_value(sc, kv[i].name),
				          kv[i].value);
			}
			check_case("%s", title);
			seinhuis__sealed_content__free_unpacked(sc, NULL);
		}
		/* Not with the keys of another pair. */
		sc = NULL;
		CHECK_ERR(sh_wire_open(sig, &kx, &sc), SH_ERR_SEAL);
		CHECK(sc == NULL);
		/* Not when moved under another message id or sender: the
		 * header is bound in as associated data. */
		sig->message_id.data[0] ^= 1;
		CHECK_ERR(sh_wire_open(sig, &kt, &sc), SH_ERR_SEAL);
		sig->message_id.data[0] ^= 1;
		char *sender = sig->sender;
		sig->sender = (char *)third->card.partner;
		CHECK_ERR(sh_wire_open(sig, &kt, &sc), SH_ERR_SEAL);
		sig->sender = sender;
		CHECK(sc == NULL);
	} else {
		sh_err e = sh_wire_open(sig, &kt, &sc);
		CHECK(e == SH_ERR_NOTFOUND);
		CHECK(sc == NULL);
	}

	/* Privacy by construction: no personal value, nor the canonical
	 * identity, appears anywhere in the envelope. Values shorter than 5
	 * bytes could occur by chance in random bytes and are skipped. */
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(kv[i].value);
		if (!kv[i].personal || len < 5)
			continue;
		check_case("%s: %s in envelope", title, kv[i].name);
		CHECK(memmem(env.data, env.len, kv[i].value, len) == NULL);
	}
	if (has_person) {
		check_case("%s: canonical identity in envelope", title);
		CHECK(memmem(env.data, env.len, canon, strlen(canon)) == NULL);
		if (strncmp(canon, "nap:", 4) == 0) {
			size_t sl = strcspn(canon + 4, "|");
			if (sl >= 5)
				CHECK(memmem(env.data, env.len, canon + 4,
				             sl) == NULL);
		}
	}
	check_case("%s: decoded into an arena", title);
	arena_path(from, to, &kt, &env, sig);
	check_case("%s", "");
	seinhuis__signal__free_unpacked(sig, NULL);
	sh_wipe(canon, sizeof(canon));
	sh_buf_free(&env);
}

static const struct kv arrears[] = {
    {"legal_basis", "legal_duty", 0},
    {"arrears_kind", "rent", 0},
    {"amount_cents", "123456", 0},
    {"arrears_since", "2024-01-15", 0},
    {"contact_attempt_date", "2024-03-01", 0},
    {"reminder_date", "2024-03-08", 0},
    {"urgency", "eviction", 0},
    {"creditor_reference", "HUUR-2024-0042", 0},
    {"creditor_contact", "incasso desk 010-7654321", 0},
    {"municipality_code", "0363", 0},
    {"initials", "J.P.", 1},
    {"prefix", "van der", 1},
    {"surname", "Bergsma-\xc3\x96zt\xc3\xbcrk", 1},
    {"street", "Kerkstraat", 1},
    {"house_number", "12", 1},
    {"house_number_addition", "A", 1},
    {"postcode", "1234 AB", 1},
    {"place", "Amsterdam", 1},
    {"phone", "06-12345678", 1},
    {"email", "j.bergsma@example.nl", 1},
    {"birth_date", "1970-05-06", 1},
};

static const struct kv arrears_bsn[] = {
    {"legal_basis", "legal_duty", 0},
    {"arrears_kind", "health_insurance", 0},
    {"amount_cents", "-250", 0},
    {"urgency", "termination", 0},
    {"municipality_code", "0599", 0},
    {"surname", "Jansen", 1},
    {"postcode", "3011AA", 1},
    {"house_number", "1", 1},
    {"email", "p.jansen@example.org", 1},
    {"bsn", "111222333", 1},
};

static const struct kv meldcode[] = {
    {"legal_basis", "meldrecht", 0},
    {"concern_category", "domestic_violence", 0},
    {"urgency", "acute", 0},
    {"steps_taken", "1,2,3,4", 0},
    {"reporter_role", "school", 0},
    {"justification", "acute_unsafety", 0},
    {"surname", "de Vries", 1},
    {"postcode", "3512JK", 1},
    {"house_number", "7", 1},
    {"birth_date", "2015-02-03", 1},
    {"person2.surname", "Veenstra", 1},
    {"person2.birth_date", "1985-11-30", 1},
    {"person2.phone", "0698765432", 1},
    {"description", "Kind vertelde de mentor over geweld thuis", 1},
    {"reporter_contact", "mentor.klas3@school.example", 1},
};

static const struct kv vt_notice[] = {
    {"legal_basis", "legal_task", 0},
    {"report_id", "00112233445566778899aabbccddeeff", 0},
    {"status", "handed_over", 0},
    {"escalation_level", "3", 0},
    {"next_step", "wijkteam neemt contact op", 0},
    {"contact_point", "Veilig Thuis adviesdesk", 0},
};

/* escalation level 0 given: it must arrive as given, not as absent */
static const struct kv vt_notice_zero[] = {
    {"legal_basis", "legal_task", 0},
    {"report_id", "00112233445566778899aabbccddeeff", 0},
    {"status", "received", 0},
    {"escalation_level", "0", 0},
};

static const struct kv feedback[] = {
    {"legal_basis", "consent", 0},
    {"consent_ref", "TOE-2024-77", 0},
    {"signal_id", "ffeeddccbbaa99887766554433221100", 0},
    {"status", "help_accepted", 0},
};

static const struct kv referral[] = {
    {"legal_basis", "consent", 0},
    {"consent_ref", "TOE-2024-78", 0},
    {"purpose", "contact_wijkteam", 0},
    {"surname", "\xc4\xb2zerman", 1}, /* Ĳzerman */
    {"postcode", "2511 CV", 1},
    {"house_number", "101", 1},
    {"house_number_addition", "bis", 1},
    {"phone", "070-1234567", 1},
    {"email", "ijzerman@example.nl", 1},
};

static const struct kv revocation[] = {
    {"legal_basis", "consent", 0},
    {"consent_ref", "TOE-2024-77", 0},
};

/* A vt_notice's escalation level: 0 given arrives as 0 (and is on the
 * wire); none given arrives as none, in the listing and in the fields the
 * recipient's policy check reads. */
static void escalation_zero(void)
{
	static const struct kv none[] = {
	    {"legal_basis", "legal_task", 0},
	    {"report_id", "00112233445566778899aabbccddeeff", 0},
	    {"status", "received", 0},
	};
	const struct kv *sets[2] = {vt_notice_zero, none};
	size_t ns[2] = {N(vt_notice_zero), N(none)};
	for (int k = 0; k < 2; k++) {
		uint8_t id[SH_ID_LEN], id2[SH_ID_LEN];
		sh_buf env = {0};
		char errf[128];
		Seinhuis__Signal *s = NULL;
		check_case("vt_notice escalation level %s",
		           k ? "not given" : "0 given");
		CHECK_ERR(build(&C, &B.card, SEINHUIS__SIGNAL_TYPE__VT_NOTICE,
		                sets[k], ns[k], id, &env, errf, sizeof(errf)),
		          SH_OK);
		CHECK_ERR(
		    sh_wire_verify(&B, &C.card, env.data, env.len, &s, id2),
		    SH_OK);
		if (s) {
			/* tag 3 with the value 0 inside the vt_notice */
			CHECK_INT(
			    s->notice &&
			        s->notice->escalation_case ==
			            SEINHUIS__VT_NOTICE__ESCALATION_ESCALATION_LEVEL,
			    k == 0);
			Seinhuis__Field **f = NULL, **pf = NULL;
			size_t n = sh_wire_clear_fields(s, &f), pn = 0;
			const char *v =
			    sh_field_value(f, n, "escalation_level");
			CHECK(k ? v == NULL : v && strcmp(v, "0") == 0);
			CHECK_ERR(sh_wire_fields(s, NULL, &pf, &pn), SH_OK);
			v = sh_field_value(pf, pn, "escalation_level");
			CHECK(k ? v == NULL : v && strcmp(v, "0") == 0);
			sh_fields_free(f, n);
			sh_fields_free(pf, pn);
			seinhuis__signal__free_unpacked(s, NULL);
		}
		sh_buf_free(&env);
	}
}

static void test_roundtrips(void)
{
	roundtrip("arrears", SEINHUIS__SIGNAL_TYPE__ARREARS, arrears,
	          N(arrears), &A, &B, &C);
	roundtrip("arrears with bsn", SEINHUIS__SIGNAL_TYPE__ARREARS,
	          arrears_bsn, N(arrears_bsn), &A, &B, &C);
	roundtrip("meldcode_report", SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT,
	          meldcode, N(meldcode), &B, &C, &A);
	roundtrip("vt_notice", SEINHUIS__SIGNAL_TYPE__VT_NOTICE, vt_notice,
	          N(vt_notice), &C, &B, &A);
	roundtrip("vt_notice, escalation level 0",
	          SEINHUIS__SIGNAL_TYPE__VT_NOTICE, vt_notice_zero,
	          N(vt_notice_zero), &C, &B, &A);
	escalation_zero();
	roundtrip("status_feedback", SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK,
	          feedback, N(feedback), &B, &A, &C);
	roundtrip("referral", SEINHUIS__SIGNAL_TYPE__REFERRAL, referral,
	          N(referral), &A, &B, &C);
	roundtrip("consent_revocation",
	          SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION, revocation,
	          N(revocation), &B, &A, &C);
	/* A signal type with nothing but its payload. */
	static const struct kv bare[] = {{"purpose", "advice", 0}};
	roundtrip("referral without persons", SEINHUIS__SIGNAL_TYPE__REFERRAL,
	          bare, N(bare), &A, &B, &C);

	/* Two signals from the same fields have different message ids and
	 * the same subject. */
	uint8_t id1[SH_ID_LEN], id2[SH_ID_LEN];
	char errf[128];
	sh_buf e1 = {0}, e2 = {0};
	Seinhuis__Signal *s1 = NULL, *s2 = NULL;
	CHECK_ERR(build(&A, &B.card, SEINHUIS__SIGNAL_TYPE__ARREARS, arrears,
	                N(arrears), id1, &e1, errf, sizeof(errf)),
	          SH_OK);
	CHECK_ERR(build(&A, &B.card, SEINHUIS__SIGNAL_TYPE__ARREARS, arrears,
	                N(arrears), id2, &e2, errf, sizeof(errf)),
	          SH_OK);
	CHECK_MEM_NE(id1, id2, SH_ID_LEN);
	CHECK_ERR(sh_wire_verify(&B, &A.card, e1.data, e1.len, &s1, id1),
	          SH_OK);
	CHECK_ERR(sh_wire_verify(&B, &A.card, e2.data, e2.len, &s2, id2),
	          SH_OK);
	if (s1 && s2)
		CHECK(s1->subject.len == 32 && s2->subject.len == 32 &&
		      memcmp(s1->subject.data, s2->subject.data, 32) == 0);
	/* Towards another partner, the same resident has another subject. */
	sh_buf e3 = {0};
	Seinhuis__Signal *s3 = NULL;
	CHECK_ERR(build(&A, &C.card, SEINHUIS__SIGNAL_TYPE__ARREARS, arrears,
	                N(arrears), id1, &e3, errf, sizeof(errf)),
	          SH_OK);
	CHECK_ERR(sh_wire_verify(&C, &A.card, e3.data, e3.len, &s3, id1),
	          SH_OK);
	if (s1 && s3)
		CHECK(s3->subject.len == 32 &&
		      memcmp(s1->subject.data, s3->subject.data, 32) != 0);
	/* build appends: an existing buffer keeps its content. */
	sh_buf pre = {0};
	sh_buf_add(&pre, "HEAD", 4);
	CHECK_ERR(build(&A, &B.card, SEINHUIS__SIGNAL_TYPE__VT_NOTICE,
	                vt_notice, N(vt_notice), id1, &pre, errf, sizeof(errf)),
	          SH_OK);
	CHECK(pre.len > 4 && memcmp(pre.data, "HEAD", 4) == 0);
	Seinhuis__Signal *s4 = NULL;
	CHECK_ERR(
	    sh_wire_verify(&B, &A.card, pre.data + 4, pre.len - 4, &s4, id2),
	    SH_OK);
	if (s4)
		seinhuis__signal__free_unpacked(s4, NULL);
	if (s1)
		seinhuis__signal__free_unpacked(s1, NULL);
	if (s2)
		seinhuis__signal__free_unpacked(s2, NULL);
	if (s3)
		seinhuis__signal__free_unpacked(s3, NULL);
	sh_buf_free(&pre);
	sh_buf_free(&e1);
	sh_buf_free(&e2);
	sh_buf_free(&e3);
}

static void test_build_refusals(void)
{
	char errf[128];
	const Seinhuis__SignalType AR = SEINHUIS__SIGNAL_TYPE__ARREARS;

	/* Names found nowhere, or not settable by name. */
	static const char *const unknown[] = {
	    "shoe_size",       "Surname",         "sealed",
	    "sender",          "recipient",       "message_id",
	    "subject",         "format_version",  "type",
	    "created_ms",      "person9.surname", "person1.surname",
	    "person2.sealed",  "person2.nope",    "concern_category",
	    "person2.urgency", "persons",         ""};
	for (size_t i = 0; i < N(unknown); i++) {
		struct kv kv[] = {{"arrears_kind", "rent", 0},
		                  {unknown[i], "x", 0},
		                  {"amount_cents", "100", 0}};
		check_case("unknown field \"%s\"", unknown[i]);
		CHECK_ERR(refuse(AR, kv, N(kv), errf, sizeof(errf)),
		          SH_ERR_FIELD_UNKNOWN);
		CHECK_STR(errf, unknown[i]);
	}
	check_case("%s", "");

	/* Personal fields on a type that has no sealed part. */
	static const struct kv notice_person[] = {{"status", "closed", 0},
	                                          {"surname", "Jansen", 1},
	                                          {"postcode", "1234AB", 1},
	                                          {"house_number", "1", 1}};
	CHECK_ERR(refuse(SEINHUIS__SIGNAL_TYPE__VT_NOTICE, notice_person,
	                 N(notice_person), errf, sizeof(errf)),
	          SH_ERR_FIELD_UNKNOWN);
	static const struct kv feedback_desc[] = {
	    {"status", "no_contact", 0}, {"description", "vertrokken", 1}};
	CHECK_ERR(refuse(SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK, feedback_desc,
	                 N(feedback_desc), errf, sizeof(errf)),
	          SH_ERR_FIELD_UNKNOWN);
	CHECK_STR(errf, "description");
	/* The refusal names the field that was given, whatever it is. */
	check_case("%s", "email on a vt_notice");
	static const struct kv notice_email[] = {
	    {"status", "closed", 0}, {"email", "someone@example.nl", 1}};
	CHECK_ERR(refuse(SEINHUIS__SIGNAL_TYPE__VT_NOTICE, notice_email,
	                 N(notice_email), errf, sizeof(errf)),
	          SH_ERR_FIELD_UNKNOWN);
	CHECK_STR(errf, "email");
	check_case("%s", "");

	/* A field given twice, string or integer. */
	static const char *const twice[][2] = {
	    {"arrears_kind", "gas"},
	    {"legal_basis", "consent"},
	    {"surname", "Pietersen"},
	    {"amount_cents", "999"},
	};
	for (size_t i = 0; i < N(twice); i++) {
		struct kv kv[] = {{"arrears_kind", "rent", 0},
		                  {"legal_basis", "legal_duty", 0},
		                  {"amount_cents", "100", 0},
		                  {"surname", "Jansen", 1},
		                  {"postcode", "1234AB", 1},
		                  {"house_number", "1", 1},
		                  {twice[i][0], twice[i][1], 0}};
		check_case("%s given twice", twice[i][0]);
		CHECK_ERR(refuse(AR, kv, N(kv), errf, sizeof(errf)),
		          SH_ERR_FIELD_VALUE);
		CHECK_HAS(errf, twice[i][0]);
		CHECK_HAS(errf, "twice");
	}
	{
		struct kv kv[] = {{"status", "closed", 0},
		                  {"escalation_level", "1", 0},
		                  {"escalation_level", "4", 0}};
		check_case("%s", "escalation_level given twice");
		CHECK_ERR(refuse(SEINHUIS__SIGNAL_TYPE__VT_NOTICE, kv, N(kv),
		                 errf, sizeof(errf)),
		          SH_ERR_FIELD_VALUE);
		CHECK_HAS(errf, "escalation_level");
	}
	{
		struct kv kv[] = {{"description", "eerste", 1},
		                  {"description", "tweede", 1}};
		check_case("%s", "description given twice");
		CHECK_ERR(refuse(SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT, kv,
		                 N(kv), errf, sizeof(errf)),
		          SH_ERR_FIELD_VALUE);
		CHECK_HAS(errf, "description");
	}

	/* Integers that are not integers. */
	static const char *const notint[] = {
	    "12,50", "12.50", "",        " 100", "100 ",
	    "1e3",   "0x10",  "EUR 100", "100c", "99999999999999999999",
	    "--1"};
	for (size_t i = 0; i < N(notint); i++) {
		struct kv kv[] = {{"arrears_kind", "rent", 0},
		                  {"amount_cents", notint[i], 0}};
		check_case("amount_cents \"%s\"", notint[i]);
		CHECK_ERR(refuse(AR, kv, N(kv), errf, sizeof(errf)),
		          SH_ERR_FIELD_VALUE);
		CHECK_STR(errf, "amount_cents");
	}
	static const char *const notint32[] = {"2147483648", "-2147483649",
	                                       "3.0", "drie"};
	for (size_t i = 0; i < N(notint32); i++) {
		struct kv kv[] = {{"escalation_level", notint32[i], 0}};
		check_case("escalation_level \"%s\"", notint32[i]);
		CHECK_ERR(refuse(SEINHUIS__SIGNAL_TYPE__VT_NOTICE, kv, N(kv),
		                 errf, sizeof(errf)),
		          SH_ERR_FIELD_VALUE);
		CHECK_STR(errf, "escalation_level");
	}
	check_case("%s", "");

	/* Values longer than 4000 characters. */
	char *longv = malloc(4002);
	memset(longv, 'x', 4001);
	longv[4001] = '\0';
	struct kv lkv[] = {{"creditor_reference", longv, 0}};
	CHECK_ERR(refuse(AR, lkv, N(lkv), errf, sizeof(errf)),
	          SH_ERR_FIELD_VALUE);
	CHECK_STR(errf, "creditor_reference");
	longv[4000] = '\0'; /* exactly 4000 is allowed */
	uint8_t id[SH_ID_LEN];
	sh_buf env = {0};
	CHECK_ERR(
	    build(&A, &B.card, AR, lkv, N(lkv), id, &env, errf, sizeof(errf)),
	    SH_OK);
	sh_buf_free(&env);
	free(longv);

	/* Unknown signal types. */
	CHECK_ERR(refuse(SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED, NULL, 0,
	                 errf, sizeof(errf)),
	          SH_ERR_TYPE);
	CHECK_STR(errf, "type");
	CHECK_ERR(refuse((Seinhuis__SignalType)99, NULL, 0, errf, sizeof(errf)),
	          SH_ERR_TYPE);

	/* The person's identity must be usable; the refusal names the
	 * field, never the value. */
	static const struct {
		struct kv kv[3];
		sh_err e;
		const char *field;
	} idr[] = {
	    {{{"surname", "Jansen", 1},
	      {"postcode", "99XX", 1},
	      {"house_number", "1", 1}},
	     SH_ERR_FIELD_VALUE,
	     "postcode"},
	    {{{"email", "jansen@example.nl", 1},
	      {"postcode", "1234AB", 1},
	      {"house_number", "1", 1}},
	     SH_ERR_FIELD_MISSING,
	     "surname"},
	    {{{"surname", "Jansen", 1},
	      {"postcode", "1234AB", 1},
	      {"bsn", "123456789", 1}},
	     SH_ERR_FIELD_VALUE,
	     "bsn"},
	};
	for (size_t i = 0; i < N(idr); i++) {
		check_case("identity refusal %zu", i);
		CHECK_ERR(refuse(AR, idr[i].kv, 3, errf, sizeof(errf)),
		          idr[i].e);
		CHECK_STR(errf, idr[i].field);
		for (int j = 0; j < 3; j++)
			CHECK(strstr(errf, idr[i].kv[j].value) == NULL);
	}
	check_case("%s", "");
}

/* Pack a Signal, sign it (with or without the domain tag) and wrap it in
 * an Envelope of the given version. */
static void seal_envelope(const Seinhuis__Signal *s, const uint8_t sec[32],
                          int with_domain, uint32_t version, sh_buf *out)
{
	size_t n = seinhuis__signal__get_packed_size(s);
	uint8_t *buf = malloc(SH_SIG_DOMAIN_LEN + n + 1);
	uint8_t sig[SH_SIG_LEN];
	memcpy(buf, sh_sig_domain, SH_SIG_DOMAIN_LEN);
	seinhuis__signal__pack(s, buf + SH_SIG_DOMAIN_LEN);
	if (with_domain)
		sh_ed25519_sign(sig, sec, buf, SH_SIG_DOMAIN_LEN + n);
	else
		sh_ed25519_sign(sig, sec, buf + SH_SIG_DOMAIN_LEN, n);
	Seinhuis__Envelope env = SEINHUIS__ENVELOPE__INIT;
	env.format_version = version;
	env.signal.data = buf + SH_SIG_DOMAIN_LEN;
	env.signal.len = n;
	env.signature.data = sig;
	env.signature.len = SH_SIG_LEN;
	size_t el = seinhuis__envelope__get_packed_size(&env);
	sh_buf_add(out, NULL, el);
	seinhuis__envelope__pack(&env, out->data + out->len - el);
	free(buf);
}

static sh_err verify_b(const sh_buf *env)
{
	Seinhuis__Signal *s = NULL;
	uint8_t id[SH_ID_LEN];
	sh_err e = sh_wire_verify(&B, &A.card, env->data, env->len, &s, id);
	if (s)
		seinhuis__signal__free_unpacked(s, NULL);
	if (e != SH_OK)
		CHECK(s == NULL);
	return e;
}

static void test_verify_refusals(void)
{
	uint8_t id[SH_ID_LEN], id2[SH_ID_LEN];
	char errf[128];
	sh_buf env = {0};
	Seinhuis__Signal *s = NULL;
	CHECK_ERR(build(&A, &B.card, SEINHUIS__SIGNAL_TYPE__ARREARS, arrears,
	                N(arrears), id, &env, errf, sizeof(errf)),
	          SH_OK);
	if (!env.data)
		return; /* the build failed (counted above) */
	CHECK_ERR(verify_b(&env), SH_OK);

	/* One flipped bit anywhere in the envelope: never accepted. */
	size_t accepted = 0;
	for (size_t i = 0; i < env.len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			env.data[i] ^= (uint8_t)(1u << bit);
			Seinhuis__Signal *t = NULL;
			if (sh_wire_verify(&B, &A.card, env.data, env.len, &t,
			                   id2) == SH_OK) {
				accepted++;
				seinhuis__signal__free_unpacked(t, NULL);
			}
			env.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	CHECK_INT(accepted, 0);

	/* In the signature (the last field), and in the signed bytes. */
	env.data[env.len - 1] ^= 0x10;
	CHECK_ERR(verify_b(&env), SH_ERR_SIGNATURE);
	env.data[env.len - 1] ^= 0x10;
	uint8_t *at = memmem(env.data, env.len, id, SH_ID_LEN);
	CHECK(at != NULL);
	if (at) {
		at[5] ^= 0x01;
		CHECK_ERR(verify_b(&env), SH_ERR_SIGNATURE);
		at[5] ^= 0x01;
	}
	at = memmem(env.data, env.len, "HUUR-2024-0042", 14);
	CHECK(at != NULL);
	if (at) {
		at[13] = '3';
		CHECK_ERR(verify_b(&env), SH_ERR_SIGNATURE);
		at[13] = '2';
	}
	CHECK_ERR(verify_b(&env), SH_OK);

	/* Addressed to B: C may not take it. */
	CHECK_ERR(sh_wire_verify(&C, &A.card, env.data, env.len, &s, id2),
	          SH_ERR_RECIPIENT);
	CHECK(s == NULL);
	/* Checked against another sender's card. */
	sh_err e = sh_wire_verify(&B, &C.card, env.data, env.len, &s, id2);
	CHECK(e == SH_ERR_SIGNATURE || e == SH_ERR_SENDER);
	CHECK(s == NULL);
	/* A card with A's keys under another partner id: signature fine,
	 * sender wrong. */
	sh_card renamed = A.card;
	strcpy(renamed.partner, "imposter");
	CHECK_ERR(sh_wire_verify(&B, &renamed, env.data, env.len, &s, id2),
	          SH_ERR_SENDER);
	CHECK(s == NULL);

	/* Not an envelope at all. */
	static const uint8_t ff[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t badtag[] = {0x0f, 0x01};
	static const char text[] = "this is not a seinhuis envelope";
	CHECK_ERR(sh_wire_verify(&B, &A.card, ff, sizeof(ff), &s, id2),
	          SH_ERR_WIRE_DECODE);
	CHECK_ERR(sh_wire_verify(&B, &A.card, badtag, sizeof(badtag), &s, id2),
	          SH_ERR_WIRE_DECODE);
	CHECK_ERR(sh_wire_verify(&B, &A.card, (const uint8_t *)text,
	                         sizeof(text) - 1, &s, id2),
	          SH_ERR_WIRE_DECODE);
	/* Cut short. */
	CHECK_ERR(sh_wire_verify(&B, &A.card, env.data, env.len - 10, &s, id2),
	          SH_ERR_WIRE_DECODE);
	CHECK_ERR(sh_wire_verify(&B, &A.card, env.data, env.len / 2, &s, id2),
	          SH_ERR_WIRE_DECODE);
	CHECK(s == NULL);

	/* Envelopes made by hand from the good one's parts. */
	Seinhuis__Envelope *good =
	    seinhuis__envelope__unpack(NULL, env.len, env.data);
	CHECK(good != NULL);
	if (good) {
		static const struct {
			uint32_t version;
			int sig_len;
			int garbage_signal;
			sh_err want;
		} h[] = {
		    {SH_FORMAT_VERSION, SH_SIG_LEN, 0, SH_OK},
		    {SH_FORMAT_VERSION + 1, SH_SIG_LEN, 0, SH_ERR_WIRE_VERSION},
		    {0, SH_SIG_LEN, 0, SH_ERR_WIRE_VERSION},
		    {SH_FORMAT_VERSION, SH_SIG_LEN - 1, 0, SH_ERR_SIGNATURE},
		    {SH_FORMAT_VERSION, 0, 0, SH_ERR_SIGNATURE},
		    {SH_FORMAT_VERSION, SH_SIG_LEN, 1, SH_ERR_WIRE_DECODE},
		};
		for (size_t i = 0; i < N(h); i++) {
			Seinhuis__Envelope m = SEINHUIS__ENVELOPE__INIT;
			m.format_version = h[i].version;
			m.signal = good->signal;
			if (h[i].garbage_signal) {
				m.signal.data = (uint8_t *)ff;
				m.signal.len = sizeof(ff);
			}
			m.signature.data = good->signature.data;
			m.signature.len = (size_t)h[i].sig_len;
			sh_buf mb = {0};
			size_t n = seinhuis__envelope__get_packed_size(&m);
			sh_buf_add(&mb, NULL, n);
			seinhuis__envelope__pack(&m, mb.data);
			check_case("hand-made envelope %zu", i);
			CHECK_ERR(verify_b(&mb), h[i].want);
			sh_buf_free(&mb);
		}
		check_case("%s", "");
		seinhuis__envelope__free_unpacked(good, NULL);
	}
	sh_buf_free(&env);
}

/* Signals made and signed by hand with A's key. */
static void test_handmade_signals(void)
{
	uint8_t mid[SH_ID_LEN], subj[SH_PSEUDO_LEN];
	sh_random(mid, sizeof(mid));
	sh_random(subj, sizeof(subj));
	Seinhuis__ArrearsSignal ar = SEINHUIS__ARREARS_SIGNAL__INIT;
	Seinhuis__VtNotice vn = SEINHUIS__VT_NOTICE__INIT;
	ar.arrears_kind = (char *)"water";
	ar.amount_cents = 4200;

	static const struct {
		const char *title;
		uint32_t version;
		size_t id_len;
		size_t subj_len;
		int wrong_payload;
		int with_domain;
		uint32_t env_version;
		sh_err want;
	} h[] = {
	    {"control: well formed", 1, SH_ID_LEN, 32, 0, 1, 1, SH_OK},
	    {"control: no subject", 1, SH_ID_LEN, 0, 0, 1, 1, SH_OK},
	    {"signal format_version 2", 2, SH_ID_LEN, 32, 0, 1, 1,
	     SH_ERR_WIRE_VERSION},
	    {"signal format_version 0", 0, SH_ID_LEN, 32, 0, 1, 1,
	     SH_ERR_WIRE_VERSION},
	    {"envelope format_version 2", 1, SH_ID_LEN, 32, 0, 1, 2,
	     SH_ERR_WIRE_VERSION},
	    {"message id of 8 bytes", 1, 8, 32, 0, 1, 1, SH_ERR_WIRE_DECODE},
	    {"message id missing", 1, 0, 32, 0, 1, 1, SH_ERR_WIRE_DECODE},
	    {"subject of 31 bytes", 1, SH_ID_LEN, 31, 0, 1, 1,
	     SH_ERR_WIRE_DECODE},
	    {"payload of another type", 1, SH_ID_LEN, 32, 1, 1, 1, SH_ERR_TYPE},
	    {"signed without the domain tag", 1, SH_ID_LEN, 32, 0, 0, 1,
	     SH_ERR_SIGNATURE},
	};
	for (size_t i = 0; i < N(h); i++) {
		Seinhuis__Signal s = SEINHUIS__SIGNAL__INIT;
		s.format_version = h[i].version;
		s.message_id.data = mid;
		s.message_id.len = h[i].id_len;
		s.sender = (char *)A.card.partner;
		s.recipient = (char *)B.card.partner;
		s.type = SEINHUIS__SIGNAL_TYPE__ARREARS;
		s.created_ms = sh_now_ms();
		s.subject.data = subj;
		s.subject.len = h[i].subj_len;
		s.legal_basis = (char *)"legal_duty";
		if (h[i].wrong_payload) {
			s.payload_case = SEINHUIS__SIGNAL__PAYLOAD_NOTICE;
			s.notice = &vn;
		} else {
			s.payload_case = SEINHUIS__SIGNAL__PAYLOAD_ARREARS;
			s.arrears = &ar;
		}
		sh_buf env = {0};
		seal_envelope(&s, A.sign_sec, h[i].with_domain,
		              h[i].env_version, &env);
		check_case("%s", h[i].title);
		Seinhuis__Signal *got = NULL;
		uint8_t id[SH_ID_LEN];
		sh_err e =
		    sh_wire_verify(&B, &A.card, env.data, env.len, &got, id);
		CHECK_ERR(e, h[i].want);
		if (e == SH_OK && got) {
			CHECK_MEM(id, mid, SH_ID_LEN);
			CHECK(got->payload_case ==
			          SEINHUIS__SIGNAL__PAYLOAD_ARREARS &&
			      got->arrears->amount_cents == 4200);
			Seinhuis__Field **cf = NULL;
			size_t n = sh_wire_clear_fields(got, &cf);
			int kind = 0;
			for (size_t j = 0; j < n; j++)
				kind |=
				    strcmp(cf[j]->name, "arrears_kind") == 0 &&
				    strcmp(cf[j]->value, "water") == 0;
			CHECK(kind);
			sh_fields_free(cf, n);
			/* Nothing sealed in it. */
			Seinhuis__SealedContent *sc = NULL;
			sh_pair_keys k;
			sh_pair_keys_derive(&k, &B, &A.card);
			CHECK_ERR(sh_wire_open(got, &k, &sc), SH_ERR_NOTFOUND);
		}
		if (got)
			seinhuis__signal__free_unpacked(got, NULL);
		else
			CHECK(e != SH_OK);
		sh_buf_free(&env);
	}
	check_case("%s", "");
}

/* A NUL inside a text field: protobuf-c gives the field as a C string, so
 * the checks would see the text up to the NUL while the envelope, kept as
 * received, holds the rest. The recipient refuses it, in the clear part
 * and in the sealed part. The bytes are made with a placeholder of the
 * same length, turned into a NUL after packing. */
static void patch_nul(uint8_t *p, size_t n, const char *marker)
{
	size_t m = strlen(marker);
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(p + i, marker, m) == 0) {
			p[i + m - 1] = 0;
			return;
		}
	CHECK(!"marker not found in the packed bytes");
}

/* An arrears signal from A to B with message id mid, dated now. */
static void arrears_a_to_b(Seinhuis__Signal *s, uint8_t mid[SH_ID_LEN],
                           Seinhuis__ArrearsSignal *ar, const char *basis)
{
	seinhuis__signal__init(s);
	s->format_version = SH_FORMAT_VERSION;
	s->message_id.data = mid;
	s->message_id.len = SH_ID_LEN;
	s->sender = (char *)A.card.partner;
	s->recipient = (char *)B.card.partner;
	s->type = SEINHUIS__SIGNAL_TYPE__ARREARS;
	s->created_ms = sh_now_ms();
	s->legal_basis = (char *)basis;
	s->payload_case = SEINHUIS__SIGNAL__PAYLOAD_ARREARS;
	s->arrears = ar;
}

static void test_text_nul(void)
{
	uint8_t mid[SH_ID_LEN], subj[SH_PSEUDO_LEN];
	sh_random(mid, sizeof(mid));
	sh_random(subj, sizeof(subj));
	sh_pair_keys ka, kb;
	sh_pair_keys_derive(&ka, &A, &B.card);
	sh_pair_keys_derive(&kb, &B, &A.card);
	for (int where = 0; where < 4; where++) {
		static const char *const title[] = {
		    "text NUL: none", "text NUL: payload field",
		    "text NUL: legal_basis", "text NUL: sealed person field"};
		check_case("%s", title[where]);
		Seinhuis__ArrearsSignal ar = SEINHUIS__ARREARS_SIGNAL__INIT;
		ar.arrears_kind = (char *)"water";
		ar.amount_cents = 4200;
		ar.creditor_reference =
		    (char *)(where == 1 ? "REF-1#J. Jansen" : "REF-1");
		Seinhuis__Person pe = SEINHUIS__PERSON__INIT, *pp = &pe;
		pe.surname =
		    (char *)(where == 3 ? "Jansen#1980-05-12" : "Jansen");
		Seinhuis__SealedContent sc = SEINHUIS__SEALED_CONTENT__INIT;
		sc.n_persons = 1;
		sc.persons = &pp;
		Seinhuis__Signal s;
		arrears_a_to_b(&s, mid, &ar,
		               where == 2 ? "legal_duty#extra" : "legal_duty");
		s.subject.data = subj;
		s.subject.len = SH_PSEUDO_LEN;
		/* the sealed part, under the pair's key, as wire.c seals it */
		size_t pl = seinhuis__sealed_content__get_packed_size(&sc);
		uint8_t *plain = malloc(pl), *sealed = malloc(pl + 28);
		seinhuis__sealed_content__pack(&sc, plain);
		if (where == 3)
			patch_nul(plain, pl, "Jansen#");
		uint8_t ad[SH_ID_LEN + 200];
		int adl = snprintf((char *)ad + SH_ID_LEN, 200, "%s|%s",
		                   A.card.partner, B.card.partner);
		memcpy(ad, mid, SH_ID_LEN);
		CHECK_ERR(sh_seal(sealed, ka.seal_key, ad,
		                  SH_ID_LEN + (size_t)adl, plain, pl),
		          SH_OK);
		ar.sealed.data = sealed;
		ar.sealed.len = pl + SH_SEAL_OVERHEAD;
		/* the clear part, signed as the sender signs it */
		size_t n = seinhuis__signal__get_packed_size(&s);
		uint8_t *buf = malloc(SH_SIG_DOMAIN_LEN + n), sig[SH_SIG_LEN];
		memcpy(buf, sh_sig_domain, SH_SIG_DOMAIN_LEN);
		seinhuis__signal__pack(&s, buf + SH_SIG_DOMAIN_LEN);
		if (where == 1)
			patch_nul(buf + SH_SIG_DOMAIN_LEN, n, "REF-1#");
		if (where == 2)
			patch_nul(buf + SH_SIG_DOMAIN_LEN, n, "legal_duty#");
		sh_ed25519_sign(sig, A.sign_sec, buf, SH_SIG_DOMAIN_LEN + n);
		Seinhuis__Envelope env = SEINHUIS__ENVELOPE__INIT;
		env.format_version = SH_FORMAT_VERSION;
		env.signal.data = buf + SH_SIG_DOMAIN_LEN;
		env.signal.len = n;
		env.signature.data = sig;
		env.signature.len = SH_SIG_LEN;
		sh_buf eb = {0};
		sh_buf_add(&eb, NULL,
		           seinhuis__envelope__get_packed_size(&env));
		seinhuis__envelope__pack(&env, eb.data);

		/* the signature holds: only the NUL check stands in the way */
		Seinhuis__Signal *got = NULL;
		uint8_t id[SH_ID_LEN];
		CHECK_ERR(
		    sh_wire_verify(&B, &A.card, eb.data, eb.len, &got, id),
		    SH_OK);
		const char *name = NULL;
		int r = sh_wire_text_nul(eb.data, eb.len, &name);
		CHECK(r == (where == 1 || where == 2));
		if (where == 1)
			CHECK_STR(name, "creditor_reference");
		if (where == 2)
			CHECK_STR(name, "legal_basis");
		Seinhuis__SealedContent *open = NULL;
		if (got)
			CHECK_ERR(sh_wire_open(got, &kb, &open),
			          where == 3 ? SH_ERR_FIELD_FORMAT : SH_OK);
		if (open) {
			CHECK(where != 3);
			seinhuis__sealed_content__free_unpacked(open, NULL);
		}
		/* bytes cut short inside the signal are not read past their
		 * end */
		CHECK(sh_wire_text_nul(eb.data, 10, &name) == -1);
		if (got)
			seinhuis__signal__free_unpacked(got, NULL);
		sh_buf_free(&eb);
		free(buf);
		free(plain);
		free(sealed);
	}
	/* an envelope with a field the schema does not have is refused */
	check_case("%s", "envelope with an unknown field");
	{
		Seinhuis__ArrearsSignal ar = SEINHUIS__ARREARS_SIGNAL__INIT;
		ar.arrears_kind = (char *)"water";
		Seinhuis__Signal s;
		arrears_a_to_b(&s, mid, &ar, "legal_duty");
		sh_buf env = {0};
		seal_envelope(&s, A.sign_sec, 1, SH_FORMAT_VERSION, &env);
		CHECK_ERR(verify_b(&env), SH_OK);
		/* field 15, bytes: "unsigned" */
		sh_buf_add(&env, "\x7a\x08unsigned", 10);
		CHECK_ERR(verify_b(&env), SH_ERR_FIELD_UNKNOWN);
		sh_buf_free(&env);
	}
	check_case("%s", "");
}

static void test_peer_frame(void)
{
	uint8_t id[SH_ID_LEN];
	char errf[128];
	sh_buf e1 = {0}, e2 = {0};
	CHECK_ERR(build(&A, &B.card, SEINHUIS__SIGNAL_TYPE__ARREARS, arrears,
	                N(arrears), id, &e1, errf, sizeof(errf)),
	          SH_OK);
	CHECK_ERR(build(&A, &B.card, SEINHUIS__SIGNAL_TYPE__REFERRAL, referral,
	                N(referral), id, &e2, errf, sizeof(errf)),
	          SH_OK);

	Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
	ProtobufCBinaryData sigs[2] = {{e1.len, e1.data}, {e2.len, e2.data}};
	Seinhuis__Receipt r1 = SEINHUIS__RECEIPT__INIT,
	                  r2 = SEINHUIS__RECEIPT__INIT;
	Seinhuis__Receipt *rs[2] = {&r1, &r2};
	uint8_t rid1[SH_ID_LEN], rid2[SH_ID_LEN];
	sh_random(rid1, sizeof(rid1));
	sh_random(rid2, sizeof(rid2));
	r1.message_id.data = rid1;
	r1.message_id.len = SH_ID_LEN;
	r1.status = SEINHUIS__RECEIPT_STATUS__RECEIPT_DELIVERED;
	r2.message_id.data = rid2;
	r2.message_id.len = SH_ID_LEN;
	r2.status = SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED;
	r2.rule = (char *)"SIGNATURE";
	r2.detail = (char *)"signature does not verify";
	f.format_version = SH_FORMAT_VERSION;
	f.n_signals = 2;
	f.signals = sigs;
	f.n_receipts = 2;
	f.receipts = rs;

	size_t n = seinhuis__peer_frame__get_packed_size(&f);
	uint8_t *buf = malloc(n);
	CHECK_INT(seinhuis__peer_frame__pack(&f, buf), n);
	Seinhuis__PeerFrame *g = seinhuis__peer_frame__unpack(NULL, n, buf);
	CHECK(g != NULL);
	if (g) {
		CHECK_INT(g->format_version, SH_FORMAT_VERSION);
		CHECK_INT(g->n_signals, 2);
		CHECK_INT(g->n_receipts, 2);
		if (g->n_signals == 2 && e1.data && e2.data) {
			/* Envelopes travel byte for byte, and still verify. */
			CHECK(g->signals[0].len == e1.len &&
			      memcmp(g->signals[0].data, e1.data, e1.len) == 0);
			CHECK(g->signals[1].len == e2.len &&
			      memcmp(g->signals[1].data, e2.data, e2.len) == 0);
			Seinhuis__Signal *s = NULL;
			CHECK_ERR(sh_wire_verify(&B, &A.card,
			                         g->signals[1].data,
			                         g->signals[1].len, &s, id),
			          SH_OK);
			if (s)
				seinhuis__signal__free_unpacked(s, NULL);
		}
		if (g->n_receipts == 2) {
			CHECK(g->receipts[0]->message_id.len == SH_ID_LEN &&
			      memcmp(g->receipts[0]->message_id.data, rid1,
			             SH_ID_LEN) == 0);
			CHECK_INT(g->receipts[0]->status,
			          SEINHUIS__RECEIPT_STATUS__RECEIPT_DELIVERED);
			CHECK_STR(g->receipts[0]->rule, "");
			CHECK(memcmp(g->receipts[1]->message_id.data, rid2,
			             SH_ID_LEN) == 0);
			CHECK_INT(g->receipts[1]->status,
			          SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED);
			CHECK_STR(g->receipts[1]->rule, "SIGNATURE");
			CHECK_STR(g->receipts[1]->detail,
			          "signature does not verify");
		}
		seinhuis__peer_frame__free_unpacked(g, NULL);
	}
	/* A truncated frame does not decode. */
	CHECK(seinhuis__peer_frame__unpack(NULL, n - 1, buf) == NULL);
	free(buf);
	sh_buf_free(&e1);
	sh_buf_free(&e2);
}

/* An unsigned envelope (as the outbox keeps it) and its signal bytes. */
static Seinhuis__Envelope *unsigned_signal(const sh_identity *from,
                                           const sh_card *to, uint64_t n,
                                           uint8_t id[SH_ID_LEN])
{
	sh_pair_keys k;
	struct fieldset fs;
	char ref[40], errf[64];
	snprintf(ref, sizeof(ref), "REF-%llu", (unsigned long long)n);
	struct kv kv[N(arrears)];
	memcpy(kv, arrears, sizeof(kv));
	for (size_t i = 0; i < N(kv); i++)
		if (strcmp(kv[i].name, "creditor_reference") == 0)
			kv[i].value = ref;
	if (sh_pair_keys_derive(&k, from, to) != SH_OK)
		return NULL;
	fieldset_of(&fs, kv, N(kv));
	sh_buf env = {0};
	sh_err e =
	    sh_wire_build_unsigned(from, to, &k, SEINHUIS__SIGNAL_TYPE__ARREARS,
	                           fs.p, fs.n, id, &env, errf, sizeof(errf));
	Seinhuis__Envelope *out =
	    e == SH_OK ? seinhuis__envelope__unpack(NULL, env.len, env.data)
	               : NULL;
	sh_buf_free(&env);
	return out;
}

/* Verify a batch frame as B from `from`; proofs freed unless kept. */
static sh_err batch_check(const sh_buf *frame, const sh_card *from,
                          sh_buf **keep, size_t *nkeep)
{
	Seinhuis__PeerFrame *f =
	    seinhuis__peer_frame__unpack(NULL, frame->len, frame->data);
	if (!f)
		return SH_ERR_WIRE_DECODE;
	sh_buf *proofs =
	    calloc(f->n_signals ? f->n_signals : 1, sizeof(*proofs));
	sh_err e = sh_batch_verify(&B, from, f, proofs, NULL);
	if (keep) {
		*keep = proofs;
		*nkeep = f->n_signals;
	} else {
		for (size_t i = 0; i < f->n_signals; i++)
			sh_buf_free(&proofs[i]);
		free(proofs);
	}
	seinhuis__peer_frame__free_unpacked(f, NULL);
	return e;
}

/* Change one stored proof (an envelope as the inbox keeps it) with fn and
 * verify it again as B. */
static sh_err proof_changed(const sh_buf *proof,
                            void (*fn)(Seinhuis__Envelope *))
{
	Seinhuis__Envelope *e =
	    seinhuis__envelope__unpack(NULL, proof->len, proof->data);
	if (!e)
		return SH_ERR_WIRE_DECODE;
	size_t npath = e->n_batch_path; /* so that free_unpacked frees all */
	ProtobufCBinaryData *path = e->batch_path;
	fn(e);
	size_t n = seinhuis__envelope__get_packed_size(e);
	uint8_t *b = malloc(n);
	seinhuis__envelope__pack(e, b);
	Seinhuis__Signal *s = NULL;
	uint8_t id[SH_ID_LEN];
	sh_err r = sh_wire_verify(&B, &A.card, b, n, &s, id);
	if (s)
		seinhuis__signal__free_unpacked(s, NULL);
	free(b);
	e->n_batch_path = npath;
	e->batch_path = path;
	seinhuis__envelope__free_unpacked(e, NULL);
	return r;
}

static void next_index(Seinhuis__Envelope *e)
{
	e->batch_index = (e->batch_index + 1) % e->batch_count;
}
static void more_leaves(Seinhuis__Envelope *e)
{
	e->batch_count++;
}
static void short_path(Seinhuis__Envelope *e)
{
	if (e->n_batch_path)
		e->n_batch_path--;
}
static void bad_path(Seinhuis__Envelope *e)
{
	if (e->n_batch_path)
		e->batch_path[0].data[5] ^= 0x10;
}
static void alone(Seinhuis__Envelope *e)
{
	e->batch_count = 0;
	e->batch_index = 0;
	e->n_batch_path = 0;
}
static void bad_signal(Seinhuis__Envelope *e)
{
	e->signal.data[e->signal.len - 1] ^= 0x01;
}

/* A build given the resident's canonical identity (sh_build_note.canon,
 * as the sender's natural key works it out first) takes it for the
 * pseudonym and case key instead of working it out again: the same
 * answers as without it, and a refusal that names the field it names. */
static void test_build_noted_canon(void)
{
	sh_pair_keys k;
	struct fieldset fs;
	if (!CHECK_ERR(sh_pair_keys_derive(&k, &A, &B.card), SH_OK))
		return;
	fieldset_of(&fs, arrears, N(arrears));
	static const uint8_t secret[SH_KEY_LEN] = {7, 7, 7};
	Seinhuis__Person person;
	char canon[SH_CANON_MAX], errf[64];
	sh_person_from_fields(&person, fs.p, fs.n);
	CHECK_ERR(sh_canonical_identity(&person, canon, sizeof(canon)), SH_OK);
	/* none noted, the same one noted, another one noted, a refusal */
	static const char other[] = "bsn:111222333";
	const char *noted[] = {NULL, canon, other, "birth_date"};
	sh_err noted_e[] = {SH_OK, SH_OK, SH_OK, SH_ERR_FIELD_VALUE};
	sh_build_note got[4];
	for (size_t i = 0; i < 4; i++) {
		uint8_t id[SH_ID_LEN];
		sh_buf env = {0};
		memset(&got[i], 0, sizeof(got[i]));
		got[i].case_secret = secret;
		got[i].canon = noted[i];
		got[i].canon_e = noted_e[i];
		sh_err e = sh_wire_build_noted(
		    &A, &B.card, &k, SEINHUIS__SIGNAL_TYPE__ARREARS, fs.p, fs.n,
		    id, &env, errf, sizeof(errf), &got[i], NULL);
		CHECK_ERR(e, noted_e[i]);
		if (i == 3)
			CHECK_STR(errf, "birth_date");
		sh_buf_free(&env);
	}
	CHECK(got[0].has_subject && got[1].has_subject && got[2].has_subject);
	CHECK_MEM(got[1].subject, got[0].subject, SH_PSEUDO_LEN);
	CHECK_MEM(got[1].case_key, got[0].case_key, 32);
	uint8_t want[SH_PSEUDO_LEN];
	sh_pseudonym(want, k.pseudo_key, other);
	CHECK_MEM(got[2].subject, want, SH_PSEUDO_LEN);
	CHECK_MEM_NE(got[2].subject, got[0].subject, SH_PSEUDO_LEN);
	sh_wipe(&k, sizeof(k));
}

/* The envelopes unsigned_signal made (some may be NULL), and the array. */
static void envelopes_free(Seinhuis__Envelope **envs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (envs[i])
			seinhuis__envelope__free_unpacked(envs[i], NULL);
	free(envs);
}

/* The complete subtrees of a list of leaf hashes, for
 * sh_merkle_inclusion_proof: the reference a batch's paths are held to. */
typedef struct {
	const uint8_t (*leaf)[32];
	size_t n;
} leaf_list;

static sh_err leaf_subtree(void *ctx, unsigned level, uint64_t index,
                           uint8_t out[32])
{
	const leaf_list *l = ctx;
	if (level == 0) {
		if (index >= l->n)
			return SH_ERR_USAGE;
		memcpy(out, l->leaf[index], 32);
		return SH_OK;
	}
	uint8_t a[32], b[32];
	sh_err e = leaf_subtree(ctx, level - 1, 2 * index, a);
	if (e == SH_OK)
		e = leaf_subtree(ctx, level - 1, 2 * index + 1, b);
	if (e == SH_OK)
		sh_merkle_node(out, a, b);
	return e;
}

/* A batch's tree costs one hash per inner node (n - 1 of them), at the
 * sender and at the recipient, whatever n: the root and each signal's
 * audit path are looked up in it, the subtrees at its right edge that are
 * not complete included (they were hashed again per signal before, some
 * three node hashes a signal at n = 100). Each path is still RFC 6962's. */
static void test_batch_tree_work(void)
{
	static const size_t sizes[] = {1, 2, 3, 7, 64, 100, 257};
	for (size_t z = 0; z < N(sizes); z++) {
		size_t n = sizes[z];
		Seinhuis__Envelope **envs = calloc(n, sizeof(*envs));
		ProtobufCBinaryData *sigs = calloc(n, sizeof(*sigs));
		uint8_t(*leaf)[32] = calloc(n, 32);
		uint8_t id[SH_ID_LEN];
		int built = 1;
		for (size_t i = 0; i < n && built; i++) {
			envs[i] = unsigned_signal(&A, &B.card, i, id);
			built = envs[i] != NULL;
			if (built) {
				uint8_t h[32];
				sigs[i] = envs[i]->signal;
				sh_sha256(h, sigs[i].data, sigs[i].len);
				sh_merkle_leaf(leaf[i], h, 32);
			}
		}
		CHECK(built);
		sh_buf frame = {0};
		uint64_t h0 = sh_merkle_nodes_hashed();
		if (built && CHECK_ERR(sh_batch_build(&A, B.card.partner, sigs,
		                                      n, &frame),
		                       SH_OK)) {
			CHECK_INT(sh_merkle_nodes_hashed() - h0, n - 1);
			Seinhuis__PeerFrame *f = seinhuis__peer_frame__unpack(
			    NULL, frame.len, frame.data);
			sh_buf *proofs = calloc(n, sizeof(*proofs));
			CHECK(f != NULL);
			h0 = sh_merkle_nodes_hashed();
			if (f)
				CHECK_ERR(sh_batch_verify(&B, &A.card, f,
				                          proofs, NULL),
				          SH_OK);
			CHECK_INT(sh_merkle_nodes_hashed() - h0, n - 1);
			leaf_list ll = {(const uint8_t(*)[32])leaf, n};
			for (size_t i = 0; f && i < n; i++) {
				uint8_t want[SH_MERKLE_MAX_PATH][32];
				size_t wl = 0;
				CHECK_ERR(
				    sh_merkle_inclusion_proof(leaf_subtree, &ll,
				                              i, n, want, &wl),
				    SH_OK);
				Seinhuis__Envelope *pe =
				    seinhuis__envelope__unpack(
				        NULL, proofs[i].len, proofs[i].data);
				CHECK(pe != NULL);
				if (!pe)
					continue;
				CHECK_INT(pe->batch_index, i);
				CHECK_INT(pe->batch_count, n);
				CHECK_INT(pe->n_batch_path, wl);
				for (size_t k = 0;
				     k < wl && k < pe->n_batch_path; k++) {
					CHECK_INT(pe->batch_path[k].len, 32);
					if (pe->batch_path[k].len == 32)
						CHECK_MEM(
						    pe->batch_path[k].data,
						    want[k], 32);
				}
				seinhuis__envelope__free_unpacked(pe, NULL);
			}
			for (size_t i = 0; i < n; i++)
				sh_buf_free(&proofs[i]);
			free(proofs);
			if (f)
				seinhuis__peer_frame__free_unpacked(f, NULL);
		}
		sh_buf_free(&frame);
		envelopes_free(envs, n);
		free(sigs);
		free(leaf);
	}
}

/* Batch signatures: one signature per frame, a proof per signal. */
static void test_batch_frames(void)
{
	static const size_t sizes[] = {1, 2, 3, 5, 8, 13, 64, 257};
	for (size_t z = 0; z < N(sizes); z++) {
		size_t n = sizes[z];
		Seinhuis__Envelope **envs = calloc(n, sizeof(*envs));
		ProtobufCBinaryData *sigs = calloc(n, sizeof(*sigs));
		uint8_t(*ids)[SH_ID_LEN] = calloc(n, SH_ID_LEN);
		int built = 1;
		for (size_t i = 0; i < n; i++) {
			envs[i] = unsigned_signal(&A, &B.card, i, ids[i]);
			if (!envs[i]) {
				built = 0;
				break;
			}
			/* the outbox's envelope carries no signature */
			CHECK_INT(envs[i]->signature.len, 0);
			sigs[i] = envs[i]->signal;
		}
		CHECK(built);
		sh_buf frame = {0};
		if (built && CHECK_ERR(sh_batch_build(&A, B.card.partner, sigs,
		                                      n, &frame),
		                       SH_OK)) {
			/* the daemon's way: each envelope as built goes into
			 * the frame as it is; the same frame, byte for byte
			 * (Ed25519 signs deterministically) */
			sh_buf envb = {0}, frame2 = {0};
			size_t *at = calloc(n, sizeof(*at));
			for (size_t i = 0; i < n; i++) {
				at[i] = envb.len;
				packed_of(&envs[i]->base, &envb);
			}
			ProtobufCBinaryData *packed =
			    calloc(n, sizeof(*packed));
			for (size_t i = 0; i < n; i++) {
				packed[i].data = envb.data + at[i];
				packed[i].len =
				    (i + 1 < n ? at[i + 1] : envb.len) - at[i];
				ProtobufCBinaryData v = {0, NULL};
				CHECK(sh_envelope_signal_view(
				    packed[i].data, packed[i].len, &v));
				CHECK(v.len == sigs[i].len &&
				      memcmp(v.data, sigs[i].data, v.len) == 0);
			}
			CHECK_ERR(sh_batch_build_h(&A, B.card.partner, sigs,
			                           NULL, packed, n, &frame2),
			          SH_OK);
			/* byte for byte but for the time each frame was
			 * packed at (sent_ms, set by both) */
			int64_t t1 = frame_unsent(&frame),
			        t2 = frame_unsent(&frame2);
			CHECK(t1 > 0 && t2 >= t1 && t2 - t1 < 60000);
			CHECK(frame2.len == frame.len &&
			      memcmp(frame2.data, frame.data, frame.len) == 0);
			free(packed);
			free(at);
			sh_buf_free(&envb);
			sh_buf_free(&frame2);
			sh_buf *proofs = NULL;
			size_t np = 0;
			CHECK_ERR(batch_check(&frame, &A.card, &proofs, &np),
			          SH_OK);
			CHECK_INT(np, n);
			sh_sig_memo memo = {0};
			for (size_t i = 0; proofs && i < np; i++) {
				/* each proof verifies alone, offline, and
				 * names its own signal */
				Seinhuis__Signal *s = NULL;
				uint8_t id[SH_ID_LEN];
				CHECK_ERR(sh_wire_verify(&B, &A.card,
				                         proofs[i].data,
				                         proofs[i].len, &s, id),
				          SH_OK);
				CHECK_MEM(id, ids[i], SH_ID_LEN);
				if (s)
					seinhuis__signal__free_unpacked(s,
					                                NULL);
				CHECK_ERR(sh_wire_verify_memo(
				              &B, &A.card, proofs[i].data,
				              proofs[i].len, &memo, &s, id),
				          SH_OK);
				if (s)
					seinhuis__signal__free_unpacked(s,
					                                NULL);
				CHECK(sh_wire_signed_by(&B, &A.card,
				                        proofs[i].data,
				                        proofs[i].len));
				/* not a proof for another recipient or sender
				 */
				CHECK_ERR(sh_wire_verify(&C, &A.card,
				                         proofs[i].data,
				                         proofs[i].len, &s, id),
				          SH_ERR_SIGNATURE);
				CHECK_ERR(sh_wire_verify(&B, &C.card,
				                         proofs[i].data,
				                         proofs[i].len, &s, id),
				          SH_ERR_SIGNATURE);
				if (i == 0 || i == np - 1) {
					if (n > 1) {
						CHECK_ERR(
						    proof_changed(&proofs[i],
						                  next_index),
						    SH_ERR_SIGNATURE);
						CHECK_ERR(
						    proof_changed(&proofs[i],
						                  short_path),
						    SH_ERR_SIGNATURE);
						CHECK_ERR(
						    proof_changed(&proofs[i],
						                  bad_path),
						    SH_ERR_SIGNATURE);
					}
					CHECK_ERR(proof_changed(&proofs[i],
					                        more_leaves),
					          SH_ERR_SIGNATURE);
					CHECK_ERR(
					    proof_changed(&proofs[i], alone),
					    SH_ERR_SIGNATURE);
					CHECK_ERR(proof_changed(&proofs[i],
					                        bad_signal),
					          SH_ERR_SIGNATURE);
				}
			}
			for (size_t i = 0; i < np; i++)
				sh_buf_free(&proofs[i]);
			free(proofs);
			/* from someone else's key, the frame does not verify */
			CHECK_ERR(batch_check(&frame, &C.card, NULL, NULL),
			          SH_ERR_SIGNATURE);

			/* a changed signature, a changed signal, two signals
			 * swapped: refused */
			Seinhuis__PeerFrame *f = seinhuis__peer_frame__unpack(
			    NULL, frame.len, frame.data);
			CHECK(f != NULL);
			if (f) {
				sh_buf b = {0};
				f->batch_signature.data[7] ^= 0x04;
				sh_buf_add(
				    &b, NULL,
				    seinhuis__peer_frame__get_packed_size(f));
				seinhuis__peer_frame__pack(f, b.data);
				CHECK_ERR(batch_check(&b, &A.card, NULL, NULL),
				          SH_ERR_SIGNATURE);
				f->batch_signature.data[7] ^= 0x04;
				sh_buf_free(&b);
				/* a batch signature in a version 1 frame */
				f->format_version = SH_FORMAT_VERSION;
				sh_buf_add(
				    &b, NULL,
				    seinhuis__peer_frame__get_packed_size(f));
				seinhuis__peer_frame__pack(f, b.data);
				CHECK_ERR(batch_check(&b, &A.card, NULL, NULL),
				          SH_ERR_WIRE_VERSION);
				f->format_version = SH_FRAME_BATCH_VERSION;
				sh_buf_free(&b);
				/* the last entry's last byte: inside its signal
				 */
				ProtobufCBinaryData *last = &f->signals[n - 1];
				last->data[last->len - 1] ^= 0x01;
				sh_buf_add(
				    &b, NULL,
				    seinhuis__peer_frame__get_packed_size(f));
				seinhuis__peer_frame__pack(f, b.data);
				CHECK_ERR(batch_check(&b, &A.card, NULL, NULL),
				          SH_ERR_SIGNATURE);
				last->data[last->len - 1] ^= 0x01;
				sh_buf_free(&b);
				if (n > 1) {
					ProtobufCBinaryData t = f->signals[0];
					f->signals[0] = f->signals[1];
					f->signals[1] = t;
					sh_buf_add(
					    &b, NULL,
					    seinhuis__peer_frame__get_packed_size(
					        f));
					seinhuis__peer_frame__pack(f, b.data);
					CHECK_ERR(batch_check(&b, &A.card, NULL,
					                      NULL),
					          SH_ERR_SIGNATURE);
					f->signals[1] = f->signals[0];
					f->signals[0] = t;
					sh_buf_free(&b);
				}
				seinhuis__peer_frame__free_unpacked(f, NULL);
			}
		}
		/* An unsigned envelope alone is not a signed signal. */
		if (built) {
			size_t len =
			    seinhuis__envelope__get_packed_size(envs[0]);
			uint8_t *b = malloc(len);
			seinhuis__envelope__pack(envs[0], b);
			Seinhuis__Signal *s = NULL;
			uint8_t id[SH_ID_LEN];
			CHECK_ERR(sh_wire_verify(&B, &A.card, b, len, &s, id),
			          SH_ERR_SIGNATURE);
			CHECK(!sh_wire_signed_by(&B, &A.card, b, len));
			free(b);
		}
		sh_buf_free(&frame);
		envelopes_free(envs, n);
		free(sigs);
		free(ids);
	}

	/* A batch frame whose entry carries a signature of its own is not
	 * one the format allows. */
	uint8_t id[SH_ID_LEN];
	char errf[64];
	sh_buf env = {0};
	CHECK_ERR(build(&A, &B.card, SEINHUIS__SIGNAL_TYPE__ARREARS, arrears,
	                N(arrears), id, &env, errf, sizeof(errf)),
	          SH_OK);
	Seinhuis__Envelope *ev =
	    seinhuis__envelope__unpack(NULL, env.len, env.data);
	CHECK(ev != NULL);
	if (ev) {
		sh_buf frame = {0};
		CHECK_ERR(
		    sh_batch_build(&A, B.card.partner, &ev->signal, 1, &frame),
		    SH_OK);
		Seinhuis__PeerFrame *f =
		    seinhuis__peer_frame__unpack(NULL, frame.len, frame.data);
		if (CHECK(f != NULL)) {
			ProtobufCBinaryData keep = f->signals[0];
			f->signals[0].data = env.data;
			f->signals[0].len = env.len;
			sh_buf b = {0};
			sh_buf_add(&b, NULL,
			           seinhuis__peer_frame__get_packed_size(f));
			seinhuis__peer_frame__pack(f, b.data);
			CHECK_ERR(batch_check(&b, &A.card, NULL, NULL),
			          SH_ERR_WIRE_DECODE);
			sh_buf_free(&b);
			f->signals[0] = keep;
			seinhuis__peer_frame__free_unpacked(f, NULL);
		}
		sh_buf_free(&frame);
		seinhuis__envelope__free_unpacked(ev, NULL);
	}
	sh_buf_free(&env);
	/* No signals, or too many, make no frame. */
	ProtobufCBinaryData none = {0, NULL};
	sh_buf frame = {0};
	CHECK_ERR(sh_batch_build(&A, B.card.partner, &none, 0, &frame),
	          SH_ERR_USAGE);
	CHECK_ERR(
	    sh_batch_build(&A, B.card.partner, &none, SH_BATCH_MAX + 1, &frame),
	    SH_ERR_USAGE);
	CHECK_INT(frame.len, 0);
}

/* A SEND of the arrears fields to gemeente-0363, as seinctl makes it. */
static void arrears_send(Seinhuis__CtlRequest *rq, struct fieldset *fs)
{
	seinhuis__ctl_request__init(rq);
	fieldset_of(fs, arrears, N(arrears));
	rq->op = SEINHUIS__CTL_REQUEST__OP__SEND;
	rq->type = (char *)"arrears";
	rq->recipient = (char *)"gemeente-0363";
	rq->n_fields = fs->n;
	rq->fields = fs->p;
}

static void test_control_frames(void)
{
	/* A SEND request. */
	Seinhuis__CtlRequest rq;
	struct fieldset fs;
	arrears_send(&rq, &fs);
	rq.limit = 25;
	rq.state = (char *)"pending";
	rq.message_id = (char *)"00112233445566778899aabbccddeeff";

	/* A reply with every kind of content. */
	Seinhuis__CtlReply rp = SEINHUIS__CTL_REPLY__INIT;
	Seinhuis__OutboxItem ob = SEINHUIS__OUTBOX_ITEM__INIT;
	Seinhuis__OutboxItem *obs[1] = {&ob};
	Seinhuis__InboxItem ib = SEINHUIS__INBOX_ITEM__INIT;
	Seinhuis__InboxItem *ibs[1] = {&ib};
	Seinhuis__Field f1 = SEINHUIS__FIELD__INIT, f2 = SEINHUIS__FIELD__INIT;
	Seinhuis__Field *ifs[2] = {&f1, &f2};
	Seinhuis__DaemonStatus st = SEINHUIS__DAEMON_STATUS__INIT;
	Seinhuis__PeerStatus ps = SEINHUIS__PEER_STATUS__INIT;
	Seinhuis__PeerStatus *pss[1] = {&ps};
	char *errs[2] = {(char *)"first error", (char *)"second error"};
	rp.ok = 1;
	rp.rule = (char *)"";
	rp.message_id = (char *)"ffeeddccbbaa99887766554433221100";
	ob.message_id = rp.message_id;
	ob.recipient = (char *)"gemeente-0363";
	ob.type = (char *)"arrears";
	ob.state = (char *)"failed";
	ob.attempts = 7;
	ob.created_ms = 1700000000123;
	ob.done_ms = 1700000009999;
	ob.rule = (char *)"RECIPIENT";
	ob.detail = (char *)"addressed to another partner";
	rp.n_outbox = 1;
	rp.outbox = obs;
	ib.message_id = (char *)"0f0e0d0c0b0a09080706050403020100";
	ib.sender = (char *)"woonstad";
	ib.type = (char *)"arrears";
	ib.created_ms = 1700000000001;
	ib.received_ms = 1700000000002;
	ib.subject = (char *)"ab12";
	ib.legal_basis = (char *)"legal_duty";
	f1.name = (char *)"arrears_kind";
	f1.value = (char *)"rent";
	f2.name = (char *)"amount_cents";
	f2.value = (char *)"123456";
	ib.n_fields = 2;
	ib.fields = ifs;
	rp.n_inbox = 1;
	rp.inbox = ibs;
	st.partner = (char *)"gemeente-0363";
	st.role = (char *)"municipality_debt";
	st.version = (char *)SH_VERSION;
	st.outbox_pending = 3;
	st.inbox_depth = 1u << 20;
	st.duplicates = 5;
	st.n_peers = 1;
	st.peers = pss;
	ps.partner = (char *)"woonstad";
	ps.connected = 1;
	ps.pending = 9;
	ps.retry_ms = 1500;
	ps.last_error = (char *)"handshake failed";
	st.n_last_errors = 2;
	st.last_errors = errs;
	rp.status = &st;

	sh_buf b = {0};
	sh_frame_append(&b, &rq.base);
	size_t first = b.len;
	sh_frame_append(&b, &rp.base);
	CHECK_INT(first, 4 + seinhuis__ctl_request__get_packed_size(&rq));
	CHECK_INT(b.len - first, 4 + seinhuis__ctl_reply__get_packed_size(&rp));

	const uint8_t *body = NULL;
	size_t blen = 0, flen = 0;
	CHECK(sh_frame_peek(b.data, b.len, &body, &blen, &flen) > 0);
	CHECK_INT(flen, first);
	CHECK_INT(blen, first - 4);
	CHECK(body == b.data + 4);
	Seinhuis__CtlRequest *rq2 =
	    seinhuis__ctl_request__unpack(NULL, blen, body);
	CHECK(rq2 != NULL);
	if (rq2) {
		CHECK_INT(rq2->op, SEINHUIS__CTL_REQUEST__OP__SEND);
		CHECK_STR(rq2->type, "arrears");
		CHECK_STR(rq2->recipient, "gemeente-0363");
		CHECK_STR(rq2->state, "pending");
		CHECK_INT(rq2->limit, 25);
		CHECK_STR(rq2->message_id, rq.message_id);
		CHECK_INT(rq2->n_fields, N(arrears));
		for (size_t i = 0; i < rq2->n_fields && i < N(arrears); i++) {
			CHECK_STR(rq2->fields[i]->name, arrears[i].name);
			CHECK_STR(rq2->fields[i]->value, arrears[i].value);
		}
		seinhuis__ctl_request__free_unpacked(rq2, NULL);
	}

	/* The second frame follows the first. */
	const uint8_t *rest = b.data + flen;
	size_t restlen = b.len - flen;
	CHECK(sh_frame_peek(rest, restlen, &body, &blen, &flen) > 0);
	CHECK_INT(flen, restlen);
	Seinhuis__CtlReply *rp2 = seinhuis__ctl_reply__unpack(NULL, blen, body);
	CHECK(rp2 != NULL);
	if (rp2) {
		CHECK(rp2->ok);
		CHECK_STR(rp2->message_id, rp.message_id);
		CHECK_INT(rp2->n_outbox, 1);
		CHECK_INT(rp2->n_inbox, 1);
		if (rp2->n_outbox == 1) {
			Seinhuis__OutboxItem *o = rp2->outbox[0];
			CHECK_STR(o->state, "failed");
			CHECK_INT(o->attempts, 7);
			CHECK_INT(o->created_ms, 1700000000123);
			CHECK_INT(o->done_ms, 1700000009999);
			CHECK_STR(o->rule, "RECIPIENT");
			CHECK_STR(o->detail, "addressed to another partner");
		}
		if (rp2->n_inbox == 1) {
			Seinhuis__InboxItem *in = rp2->inbox[0];
			CHECK_STR(in->sender, "woonstad");
			CHECK_INT(in->created_ms, 1700000000001);
			CHECK_INT(in->received_ms, 1700000000002);
			CHECK_STR(in->subject, "ab12");
			CHECK_STR(in->legal_basis, "legal_duty");
			CHECK_INT(in->n_fields, 2);
			if (in->n_fields == 2) {
				CHECK_STR(in->fields[0]->name, "arrears_kind");
				CHECK_STR(in->fields[1]->value, "123456");
			}
		}
		CHECK(rp2->status != NULL);
		if (rp2->status) {
			Seinhuis__DaemonStatus *d = rp2->status;
			CHECK_STR(d->partner, "gemeente-0363");
			CHECK_STR(d->version, SH_VERSION);
			CHECK_INT(d->outbox_pending, 3);
			CHECK_INT(d->inbox_depth, 1u << 20);
			CHECK_INT(d->duplicates, 5);
			CHECK_INT(d->n_peers, 1);
			if (d->n_peers == 1) {
				CHECK_STR(d->peers[0]->partner, "woonstad");
				CHECK(d->peers[0]->connected);
				CHECK_INT(d->peers[0]->pending, 9);
				CHECK_INT(d->peers[0]->retry_ms, 1500);
				CHECK_STR(d->peers[0]->last_error,
				          "handshake failed");
			}
			CHECK_INT(d->n_last_errors, 2);
			if (d->n_last_errors == 2)
				CHECK_STR(d->last_errors[1], "second error");
		}
		seinhuis__ctl_reply__free_unpacked(rp2, NULL);
	}

	/* Every proper prefix of a frame is incomplete, not an error. */
	int partial_ok = 1;
	for (size_t len = 0; len < first; len++) {
		body = NULL;
		if (sh_frame_peek(b.data, len, &body, &blen, &flen) != 0)
			partial_ok = 0;
	}
	CHECK(partial_ok);
	sh_buf_free(&b);

	/* An empty message is a whole frame with an empty body. */
	Seinhuis__CtlRequest empty = SEINHUIS__CTL_REQUEST__INIT;
	sh_frame_append(&b, &empty.base);
	CHECK_INT(b.len, 4);
	CHECK(sh_frame_peek(b.data, b.len, &body, &blen, &flen) > 0);
	CHECK_INT(blen, 0);
	CHECK_INT(flen, 4);
	sh_buf_free(&b);

	/* Length prefixes: the largest allowed, one more, and huge. */
	uint8_t hdr[8] = {0};
	uint32_t max = SH_CTL_MAX_FRAME;
	hdr[0] = (uint8_t)(max >> 24);
	hdr[1] = (uint8_t)(max >> 16);
	hdr[2] = (uint8_t)(max >> 8);
	hdr[3] = (uint8_t)max;
	CHECK_INT(sh_frame_peek(hdr, sizeof(hdr), &body, &blen, &flen), 0);
	max++;
	hdr[0] = (uint8_t)(max >> 24);
	hdr[1] = (uint8_t)(max >> 16);
	hdr[2] = (uint8_t)(max >> 8);
	hdr[3] = (uint8_t)max;
	CHECK_INT(sh_frame_peek(hdr, sizeof(hdr), &body, &blen, &flen), -1);
	CHECK_INT(sh_frame_peek(hdr, 4, &body, &blen, &flen), -1);
	memset(hdr, 0xff, 4);
	CHECK_INT(sh_frame_peek(hdr, sizeof(hdr), &body, &blen, &flen), -1);
	CHECK_INT(sh_frame_peek(hdr, 3, &body, &blen, &flen), 0);
}

static void test_names(void)
{
	/* Signal type names round trip. */
	for (int t = SEINHUIS__SIGNAL_TYPE__ARREARS;
	     t <= SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION; t++) {
		const char *name = sh_signal_type_name((Seinhuis__SignalType)t);
		check_case("signal type %d (%s)", t, name);
		CHECK(strcmp(name, "unknown") != 0);
		CHECK_INT(sh_signal_type_parse(name), t);
	}
	check_case("%s", "");
	CHECK_STR(sh_signal_type_name(SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT),
	          "meldcode_report");
	CHECK_STR(sh_signal_type_name((Seinhuis__SignalType)77), "unknown");
	CHECK_INT(sh_signal_type_parse("bogus"),
	          SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED);
	CHECK_INT(sh_signal_type_parse("unspecified"),
	          SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED);
	CHECK_INT(sh_signal_type_parse("ARREARS"),
	          SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED);

	/* Every error has its own rule code and a sentence. */
	int ok = 1;
	for (int e = 0; e < SH_ERR__COUNT; e++) {
		const char *r = sh_err_rule((sh_err)e);
		const char *s = sh_err_str((sh_err)e);
		if (!r || !s || !*r || !*s || strcmp(r, "UNKNOWN") == 0) {
			printf("     error %d has no rule or text\n", e);
			ok = 0;
			continue;
		}
		for (int f = 0; f < e; f++)
			if (strcmp(r, sh_err_rule((sh_err)f)) == 0) {
				printf("     errors %d and %d share rule %s\n",
				       f, e, r);
				ok = 0;
			}
	}
	CHECK(ok);
	/* a partner's rule is taken only if it is one of ours */
	for (int e = 0; e < SH_ERR__COUNT; e++)
		CHECK_STR(sh_err_known_rule(sh_err_rule((sh_err)e)),
		          sh_err_rule((sh_err)e));
	CHECK_STR(sh_err_known_rule("JANSEN"), "UNKNOWN");
	CHECK_STR(sh_err_known_rule("FIELD_FORMAT "), "UNKNOWN");
	CHECK_STR(sh_err_known_rule(""), "UNKNOWN");
	CHECK_STR(sh_err_known_rule(NULL), "UNKNOWN");
	/* and the error of a partner's rule: one of ours but OK */
	for (int e = SH_OK + 1; e < SH_ERR__COUNT; e++)
		if (strcmp(sh_err_rule((sh_err)e), "UNKNOWN") != 0)
			CHECK_INT(sh_err_of_rule(sh_err_rule((sh_err)e)), e);
	CHECK_INT(sh_err_of_rule(sh_err_rule(SH_OK)), SH_ERR__COUNT);
	CHECK_INT(sh_err_of_rule("F"), SH_ERR__COUNT);
	CHECK_INT(sh_err_of_rule(""), SH_ERR__COUNT);
	CHECK_INT(sh_err_of_rule(NULL), SH_ERR__COUNT);
	CHECK_STR(sh_err_rule(SH_ERR__COUNT), "UNKNOWN");
	CHECK_STR(sh_err_rule((sh_err)-1), "UNKNOWN");
	CHECK_STR(sh_err_str(SH_ERR__COUNT), "unknown error");
}

/* Decode body both ways; check the daemon's direct decoder took it (or
 * not, per want_fast) and gave what protobuf-c gives. */
static void decode_both(const char *what, const uint8_t *body, size_t len,
                        int want_fast, int want_ok)
{
	check_case("%s", what);
	sh_arena a;
	sh_arena_init(&a, 1024);
	int fast = -1;
	Seinhuis__CtlRequest *d = sh_ctl_request_decode(&a, body, len, &fast);
	Seinhuis__CtlRequest *q =
	    seinhuis__ctl_request__unpack(NULL, len, body);
	CHECK_INT(fast, want_fast);
	CHECK_INT(d != NULL, want_ok);
	CHECK_INT(q != NULL, want_ok);
	if (d && q) {
		CHECK(same_message(q, d));
		CHECK_INT(d->n_fields, q->n_fields);
		for (size_t i = 0; i < d->n_fields && i < q->n_fields; i++) {
			CHECK_STR(d->fields[i]->name, q->fields[i]->name);
			CHECK_STR(d->fields[i]->value, q->fields[i]->value);
		}
	}
	if (q)
		seinhuis__ctl_request__free_unpacked(q, NULL);
	sh_arena_free(&a);
	check_case("%s", "");
}

/* sh_envelope_signal_view takes only an envelope of version 1 with a
 * non-empty signal and nothing else, in protobuf-c's own bytes. */
static void test_signal_view(void)
{
	static const struct {
		const char *what;
		uint8_t b[8];
		size_t n;
		int ok;
	} c[] = {
	    {"version 1, a 2-byte signal", {8, 1, 0x12, 2, 'a', 'b'}, 6, 1},
	    {"a byte too many", {8, 1, 0x12, 2, 'a', 'b', 'c'}, 7, 0},
	    {"a byte too few", {8, 1, 0x12, 2, 'a'}, 5, 0},
	    {"version 2", {8, 2, 0x12, 2, 'a', 'b'}, 6, 0},
	    {"an empty signal", {8, 1, 0x12, 0}, 4, 0},
	    {"the length in two bytes", {8, 1, 0x12, 0x82, 0, 'a', 'b'}, 7, 0},
	    {"a signature after it", {8, 1, 0x12, 1, 'a', 0x1a, 1, 's'}, 8, 0},
	    {"the signal first", {0x12, 1, 'a', 8, 1}, 5, 0},
	    {"a length that never ends",
	     {8, 1, 0x12, 0x80, 0x80, 0x80, 0x80, 0x80},
	     8,
	     0},
	};
	for (size_t i = 0; i < N(c); i++) {
		check_case("%s", c[i].what);
		ProtobufCBinaryData v = {0, NULL};
		CHECK_INT(sh_envelope_signal_view(c[i].b, c[i].n, &v), c[i].ok);
		if (c[i].ok)
			CHECK(v.data == c[i].b + 4 && v.len == 2);
	}
	check_case("%s", "");
}

/* The wire format's varints as the hand-written codecs read and write
 * them: every length from one to ten bytes, and the byte limit. */
static void test_varints(void)
{
	static const uint64_t v[] = {0,
	                             1,
	                             127,
	                             128,
	                             16383,
	                             16384,
	                             (1u << 28) - 1,
	                             1u << 28,
	                             UINT32_MAX,
	                             INT64_MAX,
	                             UINT64_MAX};
	static const size_t len[] = {1, 1, 1, 2, 2, 3, 4, 5, 5, 9, 10};
	for (size_t i = 0; i < N(v); i++) {
		check_case("varint %llu", (unsigned long long)v[i]);
		uint8_t b[10];
		size_t n = sh_pb_varint_put(b, v[i]), off = 0;
		CHECK_INT(n, len[i]);
		CHECK_INT(sh_pb_varint_put(NULL, v[i]), n);
		uint64_t got = 0;
		CHECK_INT(sh_pb_varint_get(b, n, &off, 10, &got), 0);
		CHECK(got == v[i] && off == n);
		/* one byte too few to read it, or allowed */
		off = 0;
		CHECK_INT(sh_pb_varint_get(b, n - 1, &off, 10, &got), -1);
		off = 0;
		CHECK_INT(sh_pb_varint_get(b, n, &off, (unsigned)n - 1, &got),
		          -1);
	}
	check_case("%s", "");
}

static void test_direct_decode(void)
{
	Seinhuis__CtlRequest rq;
	struct fieldset fs;
	arrears_send(&rq, &fs);
	sh_buf b = {0};
	packed_of(&rq.base, &b);
	decode_both("a SEND as seinctl writes it", b.data, b.len, 1, 1);
	/* every cut of it: decoded the same way or refused by both */
	for (size_t cut = 0; cut < b.len; cut++) {
		Seinhuis__CtlRequest *q =
		    seinhuis__ctl_request__unpack(NULL, cut, b.data);
		int ok = q != NULL;
		if (q)
			seinhuis__ctl_request__free_unpacked(q, NULL);
		sh_arena a;
		sh_arena_init(&a, 1024);
		Seinhuis__CtlRequest *d =
		    sh_ctl_request_decode(&a, b.data, cut, NULL);
		if (!CHECK_INT(d != NULL, ok))
			printf("     cut at %zu of %zu\n", cut, b.len);
		sh_arena_free(&a);
	}
	/* not on the direct path, same result: another field (limit), the
	 * op twice, a field with a third member, another op */
	rq.limit = 3;
	b.len = 0;
	packed_of(&rq.base, &b);
	decode_both("a SEND with a limit", b.data, b.len, 0, 1);
	rq.limit = 0;
	b.len = 0;
	packed_of(&rq.base, &b);
	static const uint8_t op_again[] = {0x08, 0x01};
	sh_buf_add(&b, op_again, sizeof(op_again));
	decode_both("a SEND with its op twice", b.data, b.len, 0, 1);
	static const uint8_t odd_field[] = {0x08, 0x01, 0x22, 0x08, 0x0a, 0x01,
	                                    'a',  0x12, 0x01, 'b',  0x18, 0x05};
	decode_both("a field with a third member", odd_field, sizeof(odd_field),
	            0, 1);
	static const uint8_t status[] = {0x08, 0x06};
	decode_both("a STATUS request", status, sizeof(status), 0, 1);
	static const uint8_t empty_send[] = {0x08, 0x01};
	decode_both("a SEND with nothing else", empty_send, sizeof(empty_send),
	            1, 1);
	static const uint8_t nul_in[] = {0x08, 0x01, 0x22, 0x07, 0x0a, 0x01,
	                                 'a',  0x12, 0x02, 'b',  0x00};
	decode_both("a value with a NUL byte", nul_in, sizeof(nul_in), 1, 1);
	static const uint8_t bad_len[] = {0x08, 0x01, 0x12, 0x09, 'a'};
	decode_both("a type longer than the request", bad_len, sizeof(bad_len),
	            0, 0);
	sh_buf_free(&b);
}

/* sh_frame_stamp: the time appended to a packed frame gives the bytes of
 * the frame packed with it, and decodes back, for small and large times. */
static void test_frame_stamp(void)
{
	static const int64_t times[] = {1, 127, 128, 1765000000000LL,
	                                INT64_MAX};
	uint8_t head[40], rid[16];
	memset(head, 0xab, sizeof(head));
	memset(rid, 0x11, sizeof(rid));
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
		f.format_version = SH_FORMAT_VERSION;
		f.resend_answer = 1;
		f.resend_count = 42;
		f.audit_head.data = head;
		f.audit_head.len = sizeof(head);
		f.deferred_from.data = rid;
		f.deferred_from.len = sizeof(rid);
		sh_buf a = {0}, b = {0};
		packed_of(&f.base, &a);
		sh_frame_stamp(&a, times[i]);
		f.sent_ms = times[i];
		packed_of(&f.base, &b);
		CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
		Seinhuis__PeerFrame *u =
		    seinhuis__peer_frame__unpack(NULL, a.len, a.data);
		CHECK(u && u->sent_ms == times[i] && u->resend_count == 42 &&
		      u->audit_head.len == sizeof(head));
		if (u)
			seinhuis__peer_frame__free_unpacked(u, NULL);
		sh_buf_free(&a);
		sh_buf_free(&b);
	}
}

int main(void)
{
	char *root = fx_tmpdir("codec");
	char dir[1024];
	if (fx_identity(&A, root, "woonstad", "landlord", dir, sizeof(dir)) ||
	    fx_identity(&B, root, "gemeente-0363", "municipality_debt", dir,
	                sizeof(dir)) ||
	    fx_identity(&C, root, "vt-rijnmond", "veilig_thuis", dir,
	                sizeof(dir))) {
		fx_rm_rf(root);
		free(root);
		return 2;
	}
	test_roundtrips();
	test_build_refusals();
	test_verify_refusals();
	test_handmade_signals();
	test_text_nul();
	test_peer_frame();
	test_batch_frames();
	test_batch_tree_work();
	test_build_noted_canon();
	test_frame_stamp();
	test_control_frames();
	test_varints();
	test_direct_decode();
	test_signal_view();
	test_names();
	sh_identity_wipe(&A);
	sh_identity_wipe(&B);
	sh_identity_wipe(&C);
	fx_rm_rf(root);
	free(root);
	return check_done();
}
