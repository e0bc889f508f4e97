/*
 * test_policy.c - the signal catalogue and its minimal-data rules
 * (policy.c), driven by the shipped deploy/catalogue.conf (argv[1]), on the
 * sender's side and on the recipient's.
 *
 * A case is a signal (type, sender role, recipient role, named fields) and
 * the answer sh_policy_check() must give: a rule code and the field the
 * refusal names, with a detail text that never repeats the value.
 *
 *   sender side     sh_policy_check() on the fields as given;
 *   recipient side  the same fields built into a real signal between two
 *                   identities whose cards carry the roles (sh_wire_build),
 *                   verified and opened as the recipient (sh_wire_verify,
 *                   sh_wire_open), collected again (sh_wire_fields) and
 *                   checked with the roles from the cards: same answer.
 *
 * Where the wire cannot carry a case at all (an unknown name, a field given
 * twice, a value the pseudonym of person 1 refuses), the build's own
 * refusal is checked instead. proto3 cannot tell an empty string or an
 * integer 0 from a field not given: there the recipient's answer is the one
 * for an absent field.
 *
 * The cases come from the parsed catalogue: for every field of every type,
 * good and bad values are made from the field's check (a table of sample
 * values per check kind), and at the end every field, rule line, only
 * restriction, role, legal basis and persons limit must have been
 * exercised, so that a catalogue line added without a way to test it fails
 * here. The catalogue parser is tried on broken catalogues too.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "fixture.h"
#include "policy.h"
#include "route.h"
#include "seinhuis.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ----------------------------------------------------------- partners */

static const char *const roles[] = {
    "municipality_debt", "municipality_team", "landlord",    "energy", "water",
    "health_insurer",    "veilig_thuis",      "professional"};
#define NROLES N(roles)

/* One sending and one receiving identity per role, so that a role can also
 * send to its own kind (referral, consent_revocation). */
static sh_identity sender_id[NROLES], recipient_id[NROLES];

static int role_index(const char *role)
{
	for (size_t i = 0; i < NROLES; i++)
		if (strcmp(roles[i], role) == 0)
			return (int)i;
	return -1;
}

static char today[11], future[32];
static const char consent_hex[] = "c0c0a5e11e9a1b2c3d4e5f60718293a4";
static const char *const bases_known[] = {"legal_duty", "meldrecht", "consent",
                                          "legal_task"};

/* ------------------------------------------------------------- words */

/* The n-th word of list (words separated by any of seps) into out. */
static int word_at(const char *list, const char *seps, int n, char *out,
                   size_t outlen)
{
	const char *p = list;
	for (int i = 0;; i++) {
		p += strspn(p, seps);
		if (!*p)
			return 0;
		size_t len = strcspn(p, seps);
		if (i == n) {
			if (len >= outlen)
				return 0;
			memcpy(out, p, len);
			out[len] = '\0';
			return 1;
		}
		p += len;
	}
}

static int has_word(const char *list, const char *seps, const char *w)
{
	char buf[128];
	for (int i = 0; word_at(list, seps, i, buf, sizeof(buf)); i++)
		if (strcmp(buf, w) == 0)
			return 1;
	return 0;
}

static int count_words(const char *list)
{
	char buf[128];
	int n = 0;
	while (word_at(list, " ", n, buf, sizeof(buf)))
		n++;
	return n;
}

/* A value for a test title: printable, short. */
static const char *show(const char *v, char out[96])
{
	size_t o = 0, len = strlen(v);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (o > 48) {
			snprintf(out + o, 96 - o, "...(%zu bytes)",
			         len % 100000);
			return out;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			out[o++] = (char)ch;
		} else {
			static const char hex[] = "0123456789abcdef";
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* ------------------------------------------------------------ signals */

#define MAXF 160
/* Named fields as seinctl sends them; strings are owned. */
struct sig {
	size_t n;
	char *name[MAXF];
	char *value[MAXF];
};

static void sig_add(struct sig *s, const char *name, const char *value)
{
	if (s->n >= MAXF)
		abort();
	s->name[s->n] = sh_strdup(name);
	s->value[s->n] = sh_strdup(value);
	s->n++;
}

static void sig_set(struct sig *s, const char *name, const char *value)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0) {
			free(s->value[i]);
			s->value[i] = sh_strdup(value);
			return;
		}
	sig_add(s, name, value);
}

static void sig_del(struct sig *s, const char *name)
{
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->name[i], name) == 0) {
			free(s->name[i]);
			free(s->value[i]);
			continue;
		}
		s->name[k] = s->name[i];
		s->value[k] = s->value[i];
		k++;
	}
	s->n = k;
}

static const char *sig_get(const struct sig *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return s->value[i];
	return NULL;
}

static void sig_free(struct sig *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->name[i]);
		free(s->value[i]);
	}
	s->n = 0;
}

/* The fields as the API takes them; points into the sig. */
struct view {
	Seinhuis__Field f[MAXF];
	Seinhuis__Field *p[MAXF];
	size_t n;
};

static void view_of(struct view *v, const struct sig *s)
{
	v->n = s->n;
	for (size_t i = 0; i < s->n; i++) {
		seinhuis__field__init(&v->f[i]);
		v->f[i].name = s->name[i];
		v->f[i].value = s->value[i];
		v->p[i] = &v->f[i];
	}
}

/* ---------------------------------------------------- the wire schema */

static const ProtobufCMessageDescriptor *payload_desc(Seinhuis__SignalType t)
{
	switch (t) {
	case SEINHUIS__SIGNAL_TYPE__ARREARS:
		return &seinhuis__arrears_signal__descriptor;
	case SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT:
		return &seinhuis__meldcode_report__descriptor;
	case SEINHUIS__SIGNAL_TYPE__VT_NOTICE:
		return &seinhuis__vt_notice__descriptor;
	case SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK:
		return &seinhuis__status_feedback__descriptor;
	case SEINHUIS__SIGNAL_TYPE__REFERRAL:
		return &seinhuis__referral__descriptor;
	case SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION:
		return &seinhuis__consent_revocation__descriptor;
	default: return NULL;
	}
}

/* "person2." .. "person8." stripped; *k is the person number (1 if none). */
static const char *person_base(const char *name, int *k)
{
	*k = 1;
	if (strncmp(name, "person", 6) == 0 && name[6] >= '2' &&
	    name[6] <= '8' && name[7] == '.') {
		*k = name[6] - '0';
		return name + 8;
	}
	return name;
}

static int is_person_field(const char *name)
{
	int k;
	return protobuf_c_message_descriptor_get_field_by_name(
	           &seinhuis__person__descriptor, person_base(name, &k)) !=
	       NULL;
}

/* 32 or 64 when the field travels as an integer, else 0. */
static int wire_int(Seinhuis__SignalType t, const char *name)
{
	const ProtobufCMessageDescriptor *d = payload_desc(t);
	const ProtobufCFieldDescriptor *f =
	    d ? protobuf_c_message_descriptor_get_field_by_name(d, name) : NULL;
	if (!f)
		return 0;
	return f->type == PROTOBUF_C_TYPE_INT32   ? 32
	       : f->type == PROTOBUF_C_TYPE_INT64 ? 64
	                                          : 0;
}

/* Whether the text becomes an integer on the wire, as sh_wire_build
 * parses it. */
static int wire_int_value(const char *v, int bits, long long *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end || isspace((unsigned char)*v))
		return -1;
	if (bits == 32 && (n < INT32_MIN || n > INT32_MAX))
		return -1;
	*out = n;
	return 0;
}

/*
 * What sh_wire_build answers for fields that the policy refuses: the wire
 * cannot carry a name outside its schema, a name given twice, a value over
 * 4000 bytes or a number that is not one, and the subject pseudonym needs
 * a canonical identity of person 1.
 */
static void predict_build(Seinhuis__SignalType type, const struct sig *s,
                          sh_err *e, char *bf, size_t bl)
{
	int persons = 0;
	*e = SH_OK;
	bf[0] = '\0';
	if (!payload_desc(type)) {
		*e = SH_ERR_TYPE;
		snprintf(bf, bl, "type");
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		const char *name = s->name[i], *v = s->value[i];
		long long n;
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->name[j], name) == 0) {
				*e = SH_ERR_FIELD_VALUE;
				snprintf(bf, bl, "%s (given twice)", name);
				return;
			}
		*e = sh_wire_field_class(type, name) == SH_FIELD_NONE
		         ? SH_ERR_FIELD_UNKNOWN
		     : strlen(v) > 4000 ? SH_ERR_FIELD_VALUE
		     : wire_int(type, name) &&
		             wire_int_value(v, wire_int(type, name), &n) < 0
		         ? SH_ERR_FIELD_VALUE
		         : SH_OK;
		if (*e != SH_OK) {
			snprintf(bf, bl, "%s", name);
			return;
		}
		persons |= is_person_field(name);
	}
	if (!persons)
		return;
	Seinhuis__Person p;
	char canon[300];
	seinhuis__person__init(&p);
	for (size_t i = 0; i < s->n; i++) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(
		        &seinhuis__person__descriptor, s->name[i]);
		if (f && f->type == PROTOBUF_C_TYPE_STRING)
			*(char **)((char *)&p + f->offset) = s->value[i];
	}
	*e = sh_canonical_identity(&p, canon, sizeof(canon));
	if (*e != SH_OK)
		snprintf(bf, bl, "%s", canon);
	sh_wipe(canon, sizeof(canon));
}

/* ---------------------------------------------------------- the runner */

struct expect {
	sh_err want;     /* at the sender */
	sh_err recv;     /* at the recipient */
	char field[96];  /* the field a refusal names */
	const char *bad; /* the offending value: never in the detail */
	int nodetail;    /* the value is a rule word and may show */
};

static void expect_set(struct expect *x, sh_err want, const char *field,
                       const char *bad, int nodetail)
{
	x->want = x->recv = want;
	snprintf(x->field, sizeof(x->field), "%s", field ? field : "");
	x->bad = bad;
	x->nodetail = nodetail;
}

static int n_cases, n_recipient, n_wire_refused, n_good_unbuildable;
/* SH_TEST_VERBOSE=1: one line per case with the answers on each side */
static int verbose;

static void answer(sh_err got, sh_err want, const struct expect *x,
                   const char *field, const char *detail)
{
	if (!CHECK_ERR(got, want)) {
		printf("     field '%s', detail: %s\n", field, detail);
		return;
	}
	if (want == SH_OK) {
		CHECK_STR(field, "");
		CHECK_STR(detail, "");
		return;
	}
	CHECK_STR(field, x->field);
	CHECK(detail[0] != '\0');
	if (x->bad && *x->bad && !x->nodetail &&
	    !check_note(strstr(detail, x->bad) == NULL, __FILE__, __LINE__,
	                "the detail does not repeat the value"))
		printf("     detail: %s\n", detail);
}

/* Verify, open and check a built envelope as the recipient. */
static void recipient_side(const char *title, const sh_catalogue *cat,
                           const sh_identity *from, const sh_identity *to,
                           const sh_buf *env, const struct expect *x)
{
	Seinhuis__Signal *sig = NULL;
	Seinhuis__SealedContent *sc = NULL;
	Seinhuis__Field **rf = NULL;
	size_t rn = 0;
	uint8_t id[SH_ID_LEN];
	sh_pair_keys kr;
	char field[96], detail[600];

	if (!CHECK_ERR(
	        sh_wire_verify(to, &from->card, env->data, env->len, &sig, id),
	        SH_OK))
		return;
	if (!CHECK_ERR(sh_pair_keys_derive(&kr, to, &from->card), SH_OK)) {
		seinhuis__signal__free_unpacked(sig, NULL);
		return;
	}
	sh_err e = sh_wire_open(sig, &kr, &sc);
	sh_wipe(&kr, sizeof(kr));
	if (e == SH_ERR_NOTFOUND)
		e = SH_OK;
	CHECK_ERR(e, SH_OK);
	CHECK_ERR(sh_wire_fields(sig, sc, &rf, &rn), SH_OK);
	check_case("%s [recipient side]", title);
	e = sh_policy_check(cat, sig->type, from->card.role, to->card.role, rf,
	                    rn, today, field, sizeof(field), detail,
	                    sizeof(detail));
	if (verbose)
		printf("     recipient: %s %s\n", sh_err_rule(e), field);
	answer(e, x->recv, x, field, detail);
	n_recipient++;
	sh_fields_free(rf, rn);
	if (sc)
		seinhuis__sealed_content__free_unpacked(sc, NULL);
	seinhuis__signal__free_unpacked(sig, NULL);
}

/* One case on both sides. Roles that no card can carry are tried at the
 * sender only. */
static void run(const char *title, const sh_catalogue *cat,
                Seinhuis__SignalType type, const char *sender,
                const char *recipient, const struct sig *s,
                const struct expect *x)
{
	struct view v;
	char field[96], detail[600], errf[160], bfield[320];
	view_of(&v, s);
	n_cases++;
	check_case("%s [sender side]", title);
	sh_err e =
	    sh_policy_check(cat, type, sender, recipient, v.p, v.n, today,
	                    field, sizeof(field), detail, sizeof(detail));
	answer(e, x->want, x, field, detail);

	int si = role_index(sender), ri = role_index(recipient);
	sh_err want_build;
	predict_build(type, s, &want_build, bfield, sizeof(bfield));
	if (si >= 0 && ri >= 0 && x->want == SH_OK && want_build != SH_OK) {
		/* accepted by the policy, but no pseudonym can be made */
		n_good_unbuildable++;
		printf("note: %s: accepted, but the wire refuses it (%s, %s)\n",
		       title, sh_err_rule(want_build), bfield);
	}
	if (verbose)
		printf("case %s\n     sender: %s %s", title, sh_err_rule(e),
		       field);
	if (si < 0 || ri < 0) {
		if (verbose)
			printf("; no card has this role\n");
		return;
	}

	const sh_identity *from = &sender_id[si], *to = &recipient_id[ri];
	sh_pair_keys ks;
	uint8_t id[SH_ID_LEN];
	sh_buf env = {0};
	check_case("%s [wire]", title);
	if (!CHECK_ERR(sh_pair_keys_derive(&ks, from, &to->card), SH_OK))
		return;
	e = sh_wire_build(from, &to->card, &ks, type, v.p, v.n, id, &env, errf,
	                  sizeof(errf));
	sh_wipe(&ks, sizeof(ks));
	if (want_build != SH_OK || e != SH_OK) {
		/* Refused by the wire itself: no signal, the field named. */
		if (verbose)
			printf("; build: %s %s\n", sh_err_rule(e), errf);
		if (!CHECK_ERR(e, want_build))
			printf("     err_field: %s\n", errf);
		else
			CHECK_STR(errf, bfield);
		CHECK_INT(env.len, 0);
		n_wire_refused += e != SH_OK;
	} else {
		if (verbose)
			printf("; built\n");
		recipient_side(title, cat, from, to, &env, x);
	}
	sh_buf_free(&env);
}

/* ------------------------------------------- sample values per check */

struct sample {
	char *v;
	sh_err want;  /* in a signal that is otherwise good */
	int nodetail; /* a rule word: it may show in the detail */
};

struct samples {
	struct sample s[160];
	size_t n;
};

static void put(struct samples *ss, sh_err want, int nodetail, const char *v)
{
	if (ss->n >= N(ss->s))
		abort();
	ss->s[ss->n].v = sh_strdup(v);
	ss->s[ss->n].want = want;
	ss->s[ss->n].nodetail = nodetail;
	ss->n++;
}

/* head, cut or filled up with fill to exactly len bytes */
static void put_len(struct samples *ss, sh_err want, const char *head,
                    char fill, size_t len)
{
	char *v = sh_xmalloc(len + 1);
	size_t h = strlen(head) < len ? strlen(head) : len;
	memcpy(v, head, h);
	memset(v + h, fill, len - h);
	v[len] = '\0';
	put(ss, want, 0, v);
	free(v);
}

static void put_ll(struct samples *ss, sh_err want, long long n)
{
	char v[32];
	snprintf(v, sizeof(v), "%lld", n);
	/* one digit may well be part of the range in the detail */
	put(ss, want, strlen(v) == 1, v);
}

static void samples_free(struct samples *ss)
{
	for (size_t i = 0; i < ss->n; i++)
		free(ss->s[i].v);
	ss->n = 0;
}

struct bad_form {
	const char *v;
	int nodetail;
};

/* Sample values per check kind. Kinds with parameters (text, int, enum,
 * date, digits) get more from the field's own rule in samples_for(). */
static const struct kind_table {
	sh_check_kind kind;
	const char *name;
	sh_err code; /* what a value of the wrong form gets */
	const char *good[8];
	struct bad_form bad[16];
} kinds[] = {
    {CHK_TEXT,
     "text",
     SH_ERR_FIELD_FORMAT,
     /* where the length fits the field */
     {"M\xc3\xbcller-\xc3\x96zt\xc3\xbcrk", "Regel een\n\tregel twee", "0",
      "a\xe2\x82\xac"
      "b\xf0\x9f\x98\x80"},
     {{"Qz\001ctl", 0},
      {"Qz\177del", 0},
      {"Qz\033[31mesc", 0},
      {"Qz\303(bad", 0},
      {"Qz\300\257ovl", 0},
      {"Qz\342\202", 0},
      {"Qz\377\376ff", 0},
      {"Qz\370\210\200\200\200five", 0},
      /* a control character after text that is not ASCII */
      {"Qz\303\274\001ctl", 0},
      {"Qz\303\274\177del", 0},
      /* past the first eight bytes, which are checked together */
      {"Qzabcdefghijk\001lm", 0},
      {"Qzabcdefghijklmnopqrstu\037", 0},
      {"Qzabcdefghijklmno\177pq", 0},
      {"Qzabcdefghijklmno\377pq", 0}}},
    {CHK_INT,
     "int",
     SH_ERR_FIELD_FORMAT,
     {NULL},
     {{"12abc", 0},
      {"4.5", 0},
      {"0x10", 0},
      {"99999999999999999999", 0},
      {"--3", 0},
      {"1e3", 0}}},
    {CHK_ENUM,
     "enum",
     SH_ERR_FIELD_ENUM,
     {NULL},
     {{"Qzenumval", 0}, {"QZ-ENUM", 0}, {"qz\tenum", 0}}},
    {CHK_DATE,
     "date",
     SH_ERR_FIELD_FORMAT,
     {"2020-02-29", "2000-02-29", "1900-01-01", "1999-12-31"},
     {{"2023-02-29", 0},
      {"1900-02-29", 0},
      {"2021-04-31", 0},
      {"2021-13-01", 0},
      {"2021-00-10", 0},
      {"2021-01-00", 0},
      {"1899-12-31", 0},
      {"20210101", 0},
      {"2021-1-01", 0},
      {"2021/01/01", 0},
      {"21-01-2021", 0},
      {"2021-01-01T00:00", 0},
      {"2O21-01-01", 0}}},
    {CHK_POSTCODE,
     "postcode",
     SH_ERR_FIELD_FORMAT,
     {"1234 AB", "9999zz", "1011AB", "1234 ab", "5678 Sb"},
     {{"0123 AB", 0},
      {"1234 SA", 0},
      {"1234SD", 0},
      {"1234 ss", 0},
      {"1234  AB", 0},
      {"1234-AB", 0},
      {"12345AB", 0},
      {"123AB", 0},
      {"1234 ABC", 0},
      {"1234 A1", 0}}},
    {CHK_HOUSENUMBER,
     "housenumber",
     SH_ERR_FIELD_FORMAT,
     {"12", "12A", "12-a", "12 bis", "99999", "7", "1-abcdef"},
     {{"0", 1},
      {"012", 0},
      {"123456", 0},
      {"12/a", 0},
      {"A12", 0},
      {"12abcdefg", 0},
      {"12--a", 0},
      {"12 a b", 0},
      {"12.a", 0}}},
    {CHK_PHONE,
     "phone",
     SH_ERR_FIELD_FORMAT,
     {"0612345678", "+31 6 12345678", "(020) 123-4567", "06/12345678",
      "+316123456789012"},
     {{"061234567", 0},
      {"0612345678901234", 0},
      {"06-1234x5678", 0},
      {"06+12345678", 0},
      {"++31612345678", 0},
      {"06.12345678", 0}}},
    {CHK_EMAIL,
     "email",
     SH_ERR_FIELD_FORMAT,
     {"jan.jansen@example.nl", "a_b+c%d@sub-domain.example.org",
      "x@example.co"},
     {{"qzjan.example.nl", 0},
      {"qzjan@qz@example.nl", 0},
      {"@qzexample.nl", 0},
      {"qzjan@example", 0},
      {"qzjan@example.n", 0},
      {"qzjan@.example.nl", 0},
      {"qzjan@example..nl", 0},
      {"qzjan@-example.nl", 0},
      {"qz jan@example.nl", 0},
      {"qzjan@exa_mple.nl", 0},
      {"qzjan@example.nl.", 0}}},
    {CHK_BSN,
     "bsn",
     SH_ERR_FIELD_FORMAT,
     {"111222333", "123456782"},
     {{"111222334", 0},
      {"000000000", 0},
      {"11122233", 0},
      {"1112223330", 0},
      {"11122233a", 0},
      {"-11222333", 0}}},
    {CHK_MSGID,
     "msgid",
     SH_ERR_FIELD_FORMAT,
     {"0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF"},
     {{"0123456789abcdef0123456789abcde", 0},
      {"0123456789abcdef0123456789abcdef0", 0},
      {"0123456789abcdeg0123456789abcdef", 0},
      {"0123456789abcdef 123456789abcdef", 0}}},
    {CHK_DIGITS, "digits", SH_ERR_FIELD_FORMAT, {NULL}, {{NULL, 0}}},
    {CHK_STEPS,
     "steps",
     SH_ERR_FIELD_FORMAT,
     {"1,2,3,4,5", "1,2,3,4", "4,3,2,1", "1", "5"},
     {{"1,2,3,6", 0},
      {"1,,2", 0},
      {"1,2,", 1},
      {"1,1,2", 0},
      {"12", 0},
      {"0,1", 0},
      {",1", 0},
      {"1;2", 0},
      {"1, 2", 0}}},
};

static const struct kind_table *kind_of(sh_check_kind k)
{
	for (size_t i = 0; i < N(kinds); i++)
		if (kinds[i].kind == k)
			return &kinds[i];
	return NULL;
}

/* Good and bad values for a field, from its rule; good ones first, the
 * first being the field's ordinary value. */
static void samples_for(const sh_field_rule *r, struct samples *ss)
{
	const struct kind_table *k = kind_of(r->kind);
	char w[128], w2[128];
	ss->n = 0;
	if (!k)
		return;
	switch (r->kind) {
	case CHK_TEXT: {
		long long lo = r->min > 0 ? r->min : 1;
		if (lo > r->max)
			break;
		long long mid = 12 < lo ? lo : 12 > r->max ? r->max : 12;
		/* a clear text field's value is not the surname's, which
		 * it may not repeat (PERSONAL_DATA) */
		put_len(ss, SH_OK, r->personal ? "Kwispeldoorn" : "Loketbalie",
		        'x', (size_t)mid);
		put_len(ss, SH_OK, "", 'k', (size_t)lo);
		put_len(ss, SH_OK, "", 'y', (size_t)r->max);
		for (size_t i = 0; i < N(k->good) && k->good[i]; i++) {
			long long len = (long long)strlen(k->good[i]);
			if (len >= lo && len <= r->max)
				put(ss, SH_OK, 0, k->good[i]);
		}
		put_len(ss, SH_ERR_FIELD_RANGE, "Rq", 'r', (size_t)r->max + 1);
		if (r->min >= 2)
			put_len(ss, SH_ERR_FIELD_RANGE, "R", 'q',
			        (size_t)r->min - 1);
		break;
	}
	case CHK_INT:
		put_ll(ss, SH_OK, r->min);
		put_ll(ss, SH_OK, r->max);
		put_ll(ss, SH_OK, r->min + (r->max - r->min) / 2);
		if (r->min > LLONG_MIN)
			put_ll(ss, SH_ERR_FIELD_RANGE, r->min - 1);
		if (r->max < LLONG_MAX)
			put_ll(ss, SH_ERR_FIELD_RANGE, r->max + 1);
		break;
	case CHK_ENUM: {
		int nw = 0;
		for (; word_at(r->words, " ", nw, w, sizeof(w)); nw++)
			put(ss, SH_OK, 0, w);
		if (!word_at(r->words, " ", 0, w, sizeof(w)))
			break;
		char v[300];
		snprintf(v, sizeof(v), "%s", w);
		v[0] = (char)toupper((unsigned char)v[0]);
		put(ss, SH_ERR_FIELD_ENUM, 0, v);
		snprintf(v, sizeof(v), "%sqz", w);
		put(ss, SH_ERR_FIELD_ENUM, 0, v);
		if (strlen(w) > 1) {
			snprintf(v, sizeof(v), "%.*s", (int)strlen(w) - 1, w);
			put(ss, SH_ERR_FIELD_ENUM, 1, v);
		}
		snprintf(v, sizeof(v), " %s", w);
		put(ss, SH_ERR_FIELD_ENUM, 1, v);
		/* two words of the list, as they stand in it */
		for (int i = 0; i + 1 < nw; i++) {
			word_at(r->words, " ", i, w, sizeof(w));
			word_at(r->words, " ", i + 1, w2, sizeof(w2));
			snprintf(v, sizeof(v), "%s %s", w, w2);
			put(ss, SH_ERR_FIELD_ENUM, 1, v);
			if (i == 0) {
				snprintf(v, sizeof(v), "%s,%s", w, w2);
				put(ss, SH_ERR_FIELD_ENUM, 1, v);
			}
		}
		break;
	}
	case CHK_DATE:
		/* a resident's date first, as it is usually not today's: a
		 * clear date equal to a birth date is refused (birth_clash) */
		if (r->personal)
			put(ss, SH_OK, 0, "1961-07-19");
		put(ss, SH_OK, 0, today);
		for (size_t i = 0; i < N(k->good) && k->good[i]; i++)
			put(ss, SH_OK, 0, k->good[i]);
		put(ss, r->past ? SH_ERR_FIELD_FUTURE : SH_OK, 0, future);
		break;
	case CHK_DIGITS: {
		size_t n = (size_t)r->min;
		put_len(ss, SH_OK, "0363036303630363036303630363036303", '0',
		        n);
		put_len(ss, SH_OK, "", '9', n);
		if (n > 1)
			put_len(ss, k->code, "", '7', n - 1);
		put_len(ss, k->code, "", '7', n + 1);
		put_len(ss, k->code, "", 'a', n);
		if (n > 1) {
			put_len(ss, k->code, "+", '7', n);
			put_len(ss, k->code, " ", '7', n);
		}
		break;
	}
	default:
		for (size_t i = 0; i < N(k->good) && k->good[i]; i++)
			put(ss, SH_OK, 0, k->good[i]);
		break;
	}
	if (r->kind == CHK_EMAIL) {
		/* the local part may have 64 bytes, not 65 */
		char v[128];
		memset(v, 'l', 64);
		snprintf(v + 64, sizeof(v) - 64, "@example.nl");
		put(ss, SH_OK, 0, v);
		memset(v, 'q', 65);
		snprintf(v + 65, sizeof(v) - 65, "@example.nl");
		put(ss, k->code, 0, v);
	}
	for (size_t i = 0; i < N(k->bad) && k->bad[i].v; i++)
		put(ss, k->code, k->bad[i].nodetail, k->bad[i].v);
	/* good ones first */
	for (size_t i = 1; i < ss->n; i++)
		for (size_t j = i; j > 0 && ss->s[j].want == SH_OK &&
		                   ss->s[j - 1].want != SH_OK;
		     j--) {
			struct sample t = ss->s[j];
			ss->s[j] = ss->s[j - 1];
			ss->s[j - 1] = t;
		}
}

/* The ordinary value of a field (caller frees). */
static char *good0(const sh_field_rule *r)
{
	struct samples ss;
	samples_for(r, &ss);
	char *v = ss.n && ss.s[0].want == SH_OK ? sh_strdup(ss.s[0].v)
	                                        : sh_strdup("Qzgood0missing");
	samples_free(&ss);
	return v;
}

/* ------------------------------------------------ signals of one type */

static const sh_field_rule *rule_of(const sh_type_rule *t, const char *name)
{
	for (size_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}

static int allowed(const sh_field_rule *r, const char *sender)
{
	return !r->only[0] || has_word(r->only, " ", sender);
}

static int cond_fires(const sh_cond_rule *c, const struct sig *s,
                      const char *sender)
{
	const char *w =
	    strcmp(c->when, "sender") == 0 ? sender : sig_get(s, c->when);
	return w && strcmp(w, c->value) == 0;
}

/* v is one of the comma-separated items of list */
static int one_of(const char *v, const char *list)
{
	char item[64];
	for (int i = 0; word_at(list, ",", i, item, sizeof(item)); i++)
		if (strcmp(v, item) == 0)
			return 1;
	return 0;
}

static int includes_all(const char *v, const char *list)
{
	char item[64];
	for (int i = 0; word_at(list, ",", i, item, sizeof(item)); i++)
		if (!has_word(v, ",", item))
			return 0;
	return 1;
}

/* The first rule line, in the catalogue's order, that a signal whose
 * fields each pass breaks (the one sh_policy_check names), or NULL. A
 * rule's condition may be another field's value ("rule arrears_kind
 * one_of rent when urgency = eviction"): setting that field can break it. */
static const sh_cond_rule *cond_broken(const sh_type_rule *t,
                                       const struct sig *s, const char *sender)
{
	for (size_t i = 0; i < t->nconds; i++) {
		const sh_cond_rule *c = &t->conds[i];
		if (!cond_fires(c, s, sender))
			continue;
		const char *v = sig_get(s, c->field);
		int bad = c->one_of ? v && v[0] && !one_of(v, c->includes)
		                    : !v || !v[0] ||
		                          (c->includes[0] &&
		                           !includes_all(v, c->includes));
		if (bad)
			return c;
	}
	return NULL;
}

/* A good signal: the legal basis (and consent_ref), every required field
 * the sender may send, and what the rule lines ask for. */
static void make_base(struct sig *s, const sh_type_rule *t, const char *sender,
                      const char *basis)
{
	memset(s, 0, sizeof(*s));
	if (basis)
		sig_add(s, "legal_basis", basis);
	if (basis && strcmp(basis, "consent") == 0)
		sig_add(s, "consent_ref", consent_hex);
	for (size_t i = 0; i < t->nfields; i++) {
		const sh_field_rule *r = &t->fields[i];
		if (!r->required || !allowed(r, sender))
			continue;
		char *v = good0(r);
		sig_add(s, r->name, v);
		free(v);
	}
	for (size_t i = 0; i < t->nconds; i++) {
		const sh_cond_rule *c = &t->conds[i];
		const sh_field_rule *r = rule_of(t, c->field);
		if (!cond_fires(c, s, sender) || !r)
			continue;
		if (c->one_of) { /* a value of the list, if there is one */
			const char *cur = sig_get(s, c->field);
			char first[64];
			if (cur && !one_of(cur, c->includes) &&
			    word_at(c->includes, ",", 0, first, sizeof(first)))
				sig_set(s, c->field, first);
		} else if (c->includes[0]) {
			sig_set(s, c->field, c->includes);
		} else if (!sig_get(s, c->field)) {
			char *v = good0(r);
			sig_set(s, c->field, v);
			free(v);
		}
	}
}

/* The answer for a field that is not there (what the recipient sees of an
 * empty string or an integer 0). */
static sh_err absent_answer(const sh_type_rule *t, const char *name,
                            const struct sig *s, const char *sender)
{
	const sh_field_rule *r = rule_of(t, name);
	if (r && r->required && allowed(r, sender))
		return SH_ERR_FIELD_MISSING;
	for (size_t i = 0; i < t->nconds; i++)
		if (strcmp(t->conds[i].field, name) == 0 &&
		    !t->conds[i].one_of && cond_fires(&t->conds[i], s, sender))
			return SH_ERR_CONDITION;
	return SH_OK;
}

/* What was exercised, per field and per type. */
struct fcov {
	int good, bad, empty, missing, twice, role, role_ok, person,
	    person_over;
};
struct tcov {
	struct fcov *f;
	int *cond_fired, *cond_ok, *cond_quiet;
	int sender_ok, sender_no, recip_ok, recip_no, basis_ok, basis_no;
	int basis_missing, ref_missing, ref_format, ref_unknown, persons_over;
	int unknown, full;
};

struct tctx {
	const sh_catalogue *cat;
	const sh_type_rule *t;
	const char *tname;
	char sender[32], recipient[32], basis[32];
	struct tcov *cov;
};

static const char *sender_for(const struct tctx *c, const sh_field_rule *r,
                              char *out, size_t outlen)
{
	for (int i = 0; word_at(c->t->senders, " ", i, out, outlen); i++)
		if (allowed(r, out))
			return out;
	return NULL;
}

/* One value of field `name` (person 1, or personK.) in a good signal of
 * the field's sender. */
/* A clear date field of s whose value is a birth date in s more than a
 * year before today (refused as PERSONAL_DATA: it would travel
 * unsealed), or NULL. */
static const char *birth_clash(const sh_type_rule *t, const struct sig *s)
{
	char cut[24];
	snprintf(cut, sizeof(cut), "%04d%.6s", atoi(today) - 1, today + 4);
	for (size_t i = 0; i < s->n; i++) {
		int k;
		if (strcmp(person_base(s->name[i], &k), "birth_date") != 0 ||
		    !s->value[i][0] || strcmp(s->value[i], cut) >= 0)
			continue;
		for (size_t j = 0; j < s->n; j++) {
			const sh_field_rule *r = rule_of(t, s->name[j]);
			if (r && !r->personal && r->kind == CHK_DATE &&
			    strcmp(s->value[j], s->value[i]) == 0)
				return s->name[j];
		}
	}
	return NULL;
}

static void value_case(const struct tctx *c, const sh_field_rule *r,
                       const char *name, const struct sample *sm,
                       const char *sender)
{
	struct sig s;
	struct expect x;
	char title[256], buf[96];
	int k;
	int plain = person_base(name, &k) == name && strcmp(name, r->name) == 0;

	make_base(&s, c->t, sender, c->basis);
	sig_set(&s, name, sm->v);
	expect_set(&x, sm->want, name, sm->v, sm->nodetail);
	/* "rule F includes ..." asks more of a good value, and a rule on
	 * another field may fire on this value ("when F = V") */
	const sh_cond_rule *cr =
	    plain && sm->want == SH_OK ? cond_broken(c->t, &s, sender) : NULL;
	if (cr) {
		x.want = x.recv = SH_ERR_CONDITION;
		snprintf(x.field, sizeof(x.field), "%s", cr->field);
		x.nodetail = 1; /* the detail names the list */
	}
	const char *bc = x.want == SH_OK ? birth_clash(c->t, &s) : NULL;
	if (bc) {
		x.want = x.recv = SH_ERR_PERSONAL;
		snprintf(x.field, sizeof(x.field), "%s", bc);
	}
	/* proto3: an empty string or an integer 0 does not travel */
	long long n;
	int bits = wire_int(c->t->type, name);
	if (!sm->v[0] ||
	    (bits && wire_int_value(sm->v, bits, &n) == 0 && n == 0))
		x.recv = plain ? absent_answer(c->t, name, &s, sender) : SH_OK;
	snprintf(title, sizeof(title), "%s from %s: %s = \"%s\"", c->tname,
	         sender, name, show(sm->v, buf));
	run(title, c->cat, c->t->type, sender, c->recipient, &s, &x);
	sig_free(&s);
}

static sh_err empty_code(const sh_field_rule *r)
{
	switch (r->kind) {
	case CHK_TEXT: return r->min > 0 ? SH_ERR_FIELD_RANGE : SH_OK;
	case CHK_ENUM: return SH_ERR_FIELD_ENUM;
	default: return SH_ERR_FIELD_FORMAT;
	}
}

/* The good signal of `sender` with name = value added or replaced. */
static void set_case(const struct tctx *c, const char *sender, const char *name,
                     const char *value, sh_err want, const char *title)
{
	struct sig s;
	struct expect x;
	make_base(&s, c->t, sender, c->basis);
	sig_set(&s, name, value);
	expect_set(&x, want, name, value, strlen(value) < 3);
	run(title, c->cat, c->t->type, sender, c->recipient, &s, &x);
	sig_free(&s);
}

/* person2. .. personN.: persons 2 up to the type's limit may carry the
 * personal fields of a person (checked like person 1's, from the same
 * senders, never required); one more may not, and a field that is not a
 * person's has no person2 at all. */
static void person_cases(const struct tctx *c, const sh_field_rule *r,
                         struct fcov *fc, const struct samples *ss,
                         const char *sender, const char *g)
{
	const sh_type_rule *t = c->t;
	char name[96], title[256], role[32];

	if (!r->personal || !is_person_field(r->name)) {
		snprintf(name, sizeof(name), "person2.%s", r->name);
		snprintf(title, sizeof(title), "%s: %s", c->tname, name);
		set_case(c, sender, name, g, SH_ERR_FIELD_UNKNOWN, title);
		return;
	}
	for (int k = 2; k <= t->persons; k++) {
		snprintf(name, sizeof(name), "person%d.%s", k, r->name);
		/* every value for person 2, the ordinary one for the rest */
		for (size_t i = 0; i < ss->n && (k == 2 || i == 0); i++)
			value_case(c, r, name, &ss->s[i], sender);
		struct sample empty = {"", empty_code(r), 1};
		if (k == 2 && empty.want != SH_OK)
			value_case(c, r, name, &empty, sender);
		fc->person++;
	}
	for (int i = 0; t->persons >= 2 && r->only[0] &&
	                word_at(t->senders, " ", i, role, sizeof(role));
	     i++) {
		if (allowed(r, role))
			continue;
		snprintf(name, sizeof(name), "person2.%s", r->name);
		snprintf(title, sizeof(title), "%s from %s: %s", c->tname, role,
		         name);
		set_case(c, role, name, g, SH_ERR_FIELD_ROLE, title);
	}
	snprintf(name, sizeof(name), "person%d.%s", t->persons + 1, r->name);
	snprintf(title, sizeof(title), "%s: %s (persons = %d)", c->tname, name,
	         t->persons);
	set_case(c, sender, name, g, SH_ERR_FIELD_UNKNOWN, title);
	fc->person_over++;
	c->cov->persons_over++;
}

/* Every field line: its values, absence, twice, only, persons. */
static void test_fields(const struct tctx *c)
{
	const sh_type_rule *t = c->t;
	for (size_t fi = 0; fi < t->nfields; fi++) {
		const sh_field_rule *r = &t->fields[fi];
		struct fcov *fc = &c->cov->f[fi];
		char sender[32], title[256], role[32];
		struct samples ss;
		struct sig s;
		struct expect x;

		check_case("%s: field %s (line %d)", c->tname, r->name,
		           r->line);
		/* "only" must leave the field some sender of the type */
		if (!CHECK(sender_for(c, r, sender, sizeof(sender)) != NULL))
			continue;
		samples_for(r, &ss);
		for (size_t i = 0; i < ss.n; i++) {
			value_case(c, r, r->name, &ss.s[i], sender);
			if (ss.s[i].want == SH_OK)
				fc->good++;
			else
				fc->bad++;
		}

		/* An empty value: at the sender the value is checked; on the
		 * wire it is the same as no value. */
		struct sample empty = {"", empty_code(r), 1};
		if (empty.want != SH_OK) {
			value_case(c, r, r->name, &empty, sender);
			fc->empty++;
		}

		char *g = good0(r);
		if (r->required) {
			make_base(&s, t, sender, c->basis);
			sig_del(&s, r->name);
			expect_set(&x, SH_ERR_FIELD_MISSING, r->name, NULL, 0);
			snprintf(title, sizeof(title), "%s: %s missing",
			         c->tname, r->name);
			run(title, c->cat, t->type, sender, c->recipient, &s,
			    &x);
			sig_free(&s);
			fc->missing++;
		}

		/* twice, even with the same value */
		make_base(&s, t, sender, c->basis);
		sig_set(&s, r->name, g);
		sig_add(&s, r->name, g);
		expect_set(&x, SH_ERR_FIELD_VALUE, r->name, g, strlen(g) < 3);
		snprintf(title, sizeof(title), "%s: %s given twice", c->tname,
		         r->name);
		run(title, c->cat, t->type, sender, c->recipient, &s, &x);
		sig_free(&s);
		fc->twice++;

		/* only ROLE...: every sender of the type */
		for (int i = 0; r->only[0] &&
		                word_at(t->senders, " ", i, role, sizeof(role));
		     i++) {
			int ok = allowed(r, role);
			snprintf(title, sizeof(title),
			         "%s from %s: %s (only %s)", c->tname, role,
			         r->name, r->only);
			set_case(c, role, r->name, g,
			         ok ? SH_OK : SH_ERR_FIELD_ROLE, title);
			if (ok)
				fc->role_ok++;
			else
				fc->role++;
		}

		person_cases(c, r, fc, &ss, sender, g);
		free(g);
		samples_free(&ss);
	}
}

/* senders = and recipients = lines, and roles no card has. */
static void test_roles(const struct tctx *c)
{
	const sh_type_rule *t = c->t;
	static const char *const odd[] = {"qzrole", "", "LANDLORD",
	                                  "landlord,energy"};
	struct sig s;
	struct expect x;
	char title[256];

	for (size_t i = 0; i < NROLES + N(odd); i++) {
		const char *role = i < NROLES ? roles[i] : odd[i - NROLES];
		int ok = has_word(t->senders, " ", role);
		make_base(&s, t, role, c->basis);
		expect_set(&x, ok ? SH_OK : SH_ERR_SENDER_ROLE, "sender", role,
		           0);
		snprintf(title, sizeof(title), "%s sent by '%s'", c->tname,
		         role);
		run(title, c->cat, t->type, role, c->recipient, &s, &x);
		sig_free(&s);
		if (ok)
			c->cov->sender_ok++;
		else
			c->cov->sender_no++;

		ok = has_word(t->recipients, " ", role);
		make_base(&s, t, c->sender, c->basis);
		expect_set(&x, ok ? SH_OK : SH_ERR_RECIPIENT_ROLE, "recipient",
		           role, 0);
		snprintf(title, sizeof(title), "%s sent to '%s'", c->tname,
		         role);
		run(title, c->cat, t->type, c->sender, role, &s, &x);
		sig_free(&s);
		if (ok)
			c->cov->recip_ok++;
		else
			c->cov->recip_no++;
	}
}

/* legal_basis = line and consent_ref. */
static void test_bases(const struct tctx *c)
{
	const sh_type_rule *t = c->t;
	struct sig s;
	struct expect x;
	char title[256], w[64], w2[64], v[160];
	const char *other = NULL; /* an allowed basis other than consent */

	for (size_t i = 0; i < N(bases_known); i++) {
		const char *b = bases_known[i];
		int ok = has_word(t->bases, " ", b);
		if (ok && strcmp(b, "consent") != 0 && !other)
			other = b;
		make_base(&s, t, c->sender, b);
		expect_set(&x, ok ? SH_OK : SH_ERR_LEGAL_BASIS, "legal_basis",
		           b, 0);
		snprintf(title, sizeof(title), "%s under %s", c->tname, b);
		run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
		sig_free(&s);
		if (ok)
			c->cov->basis_ok++;
		else
			c->cov->basis_no++;
	}

	/* Not one word of the known ones. */
	word_at(t->bases, " ", 0, w, sizeof(w));
	if (!word_at(t->bases, " ", 1, w2, sizeof(w2)))
		snprintf(w2, sizeof(w2), "%s", w);
	const struct {
		const char *v;
		int nodetail;
	} odd[] = {{"qzbasis", 0}, {"LEGAL_DUTY", 0}, {"Consent", 0},
	           {"two", 1},     {"comma", 1},      {"lead", 1}};
	for (size_t i = 0; i < N(odd); i++) {
		if (strcmp(odd[i].v, "two") == 0)
			snprintf(v, sizeof(v), "%s %s", w, w2);
		else if (strcmp(odd[i].v, "comma") == 0)
			snprintf(v, sizeof(v), "%s,", w);
		else if (strcmp(odd[i].v, "lead") == 0)
			snprintf(v, sizeof(v), " %s", w);
		else
			snprintf(v, sizeof(v), "%s", odd[i].v);
		make_base(&s, t, c->sender, w);
		sig_set(&s, "legal_basis", v);
		expect_set(&x, SH_ERR_LEGAL_BASIS, "legal_basis", v,
		           odd[i].nodetail);
		snprintf(title, sizeof(title), "%s under '%s'", c->tname, v);
		run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
		sig_free(&s);
		c->cov->basis_no++;
	}

	/* Always required. */
	make_base(&s, t, c->sender, c->basis);
	sig_del(&s, "legal_basis");
	expect_set(&x, SH_ERR_FIELD_MISSING, "legal_basis", NULL, 0);
	snprintf(title, sizeof(title), "%s without legal_basis", c->tname);
	run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
	sig_free(&s);
	make_base(&s, t, c->sender, c->basis);
	sig_set(&s, "legal_basis", "");
	snprintf(title, sizeof(title), "%s with legal_basis \"\"", c->tname);
	run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
	sig_free(&s);
	c->cov->basis_missing++;

	/* Given twice: the same value, and two different ones. */
	make_base(&s, t, c->sender, c->basis);
	sig_add(&s, "legal_basis", c->basis);
	expect_set(&x, SH_ERR_FIELD_VALUE, "legal_basis", NULL, 0);
	snprintf(title, sizeof(title), "%s: legal_basis given twice", c->tname);
	run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
	sig_free(&s);
	make_base(&s, t, c->sender, c->basis);
	sig_add(&s, "legal_basis",
	        strcmp(c->basis, "consent") == 0 ? "legal_duty" : "consent");
	snprintf(title, sizeof(title),
	         "%s: legal_basis given twice, different values", c->tname);
	run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
	sig_free(&s);

	if (has_word(t->bases, " ", "consent")) {
		make_base(&s, t, c->sender, "consent");
		sig_del(&s, "consent_ref");
		expect_set(&x, SH_ERR_FIELD_MISSING, "consent_ref", NULL, 0);
		snprintf(title, sizeof(title),
		         "%s under consent without "
		         "consent_ref",
		         c->tname);
		run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
		sig_free(&s);
		c->cov->ref_missing++;

		static const char *const badref[] = {
		    "QZ-not-a-consent-reference",
		    "c0c0a5e11e9a1b2c3d4e5f60718293a",
		    "c0c0a5e11e9a1b2c3d4e5f60718293a4b",
		    "q0c0a5e11e9a1b2c3d4e5f60718293a4", ""};
		for (size_t i = 0; i < N(badref); i++) {
			make_base(&s, t, c->sender, "consent");
			sig_set(&s, "consent_ref", badref[i]);
			expect_set(&x, SH_ERR_FIELD_FORMAT, "consent_ref",
			           badref[i], 0);
			if (!badref[i][0]) /* not on the wire: as missing */
				x.recv = SH_ERR_FIELD_MISSING;
			snprintf(title, sizeof(title), "%s: consent_ref \"%s\"",
			         c->tname, badref[i]);
			run(title, c->cat, t->type, c->sender, c->recipient, &s,
			    &x);
			sig_free(&s);
			c->cov->ref_format++;
		}
		make_base(&s, t, c->sender, "consent");
		sig_set(&s, "consent_ref", "C0C0A5E11E9A1B2C3D4E5F60718293A4");
		expect_set(&x, SH_OK, NULL, NULL, 0);
		snprintf(title, sizeof(title), "%s: consent_ref in capitals",
		         c->tname);
		run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
		sig_free(&s);

		make_base(&s, t, c->sender, "consent");
		sig_add(&s, "consent_ref", consent_hex);
		expect_set(&x, SH_ERR_FIELD_VALUE, "consent_ref", consent_hex,
		           0);
		snprintf(title, sizeof(title), "%s: consent_ref given twice",
		         c->tname);
		run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
		sig_free(&s);
	}
	if (other) {
		/* A consent reference belongs to consent only. */
		make_base(&s, t, c->sender, other);
		sig_set(&s, "consent_ref", consent_hex);
		expect_set(&x, SH_ERR_FIELD_UNKNOWN, "consent_ref", consent_hex,
		           0);
		snprintf(title, sizeof(title), "%s under %s with consent_ref",
		         c->tname, other);
		run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
		sig_free(&s);
		c->cov->ref_unknown++;
	}
}

/* The good signal in which rule line cr fires. */
static void cond_base(struct sig *s, const struct tctx *c,
                      const sh_cond_rule *cr, const char *basis)
{
	make_base(s, c->t, c->sender, basis);
	if (strcmp(cr->when, "legal_basis") != 0)
		sig_set(s, cr->when, cr->value);
}

/* rule lines: broken when they fire, quiet when they do not. */
static void test_conds(const struct tctx *c)
{
	const sh_type_rule *t = c->t;
	struct sig s;
	struct expect x;
	char title[256], item[64], v[128], b[64];

	for (size_t ci = 0; ci < t->nconds; ci++) {
		const sh_cond_rule *cr = &t->conds[ci];
		const sh_field_rule *r = rule_of(t, cr->field);
		int on_basis = strcmp(cr->when, "legal_basis") == 0;
		const char *basis = on_basis ? cr->value : c->basis;

		check_case("%s: rule line %d", c->tname, cr->line);
		/* a rule that can never fire is a catalogue error */
		CHECK(!on_basis || has_word(t->bases, " ", cr->value));
		CHECK(r != NULL);
		if (!r)
			continue;

		if (cr->one_of) {
			/* from the sender it names: a value of the list is
			 * kept, a word of the field outside it refused */
			int by_sender = strcmp(cr->when, "sender") == 0;
			const char *snd = by_sender ? cr->value : c->sender;
			char w[64];
			int outside = 0;
			for (int i = 0; r->kind == CHK_ENUM &&
			                word_at(r->words, " ", i, w, sizeof(w));
			     i++)
				if (!one_of(w, cr->includes)) {
					outside = 1;
					break;
				}
			/* on another field's value: from a sender for
			 * which a value of the list keeps every rule */
			char ok[64] = "", sb[32];
			for (int i = 0;
			     !by_sender && !ok[0] &&
			     word_at(t->senders, " ", i, sb, sizeof(sb));
			     i++)
				for (int j = 0;
				     !ok[0] && word_at(cr->includes, ",", j,
				                       item, sizeof(item));
				     j++) {
					make_base(&s, t, sb, basis);
					sig_set(&s, cr->when, cr->value);
					sig_set(&s, cr->field, item);
					if (!cond_broken(t, &s, sb)) {
						snprintf(ok, sizeof(ok), "%s",
						         item);
						snd = sb;
					}
					sig_free(&s);
				}
			CHECK(by_sender || ok[0]); /* else it never holds */
			for (int bad = 0; bad <= outside; bad++) {
				make_base(&s, t, snd, basis);
				if (!by_sender) {
					sig_set(&s, cr->when, cr->value);
					sig_set(&s, cr->field, ok);
				}
				if (bad)
					sig_set(&s, cr->field, w);
				expect_set(&x, bad ? SH_ERR_CONDITION : SH_OK,
				           bad ? cr->field : NULL, NULL, 0);
				snprintf(title, sizeof(title),
				         "%s: rule line %d from %s, %s = %s",
				         c->tname, cr->line, snd, cr->field,
				         sig_get(&s, cr->field)
				             ? sig_get(&s, cr->field)
				             : "(not set)");
				run(title, c->cat, t->type, snd, c->recipient,
				    &s, &x);
				sig_free(&s);
				if (bad)
					c->cov->cond_fired[ci]++;
				else
					c->cov->cond_ok[ci]++;
			}
			continue;
		}

		cond_base(&s, c, cr, basis);
		expect_set(&x, SH_OK, NULL, NULL, 0);
		snprintf(title, sizeof(title), "%s: rule line %d kept",
		         c->tname, cr->line);
		run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
		sig_free(&s);
		c->cov->cond_ok[ci]++;

		cond_base(&s, c, cr, basis);
		sig_del(&s, cr->field);
		expect_set(
		    &x, r->required ? SH_ERR_FIELD_MISSING : SH_ERR_CONDITION,
		    cr->field, NULL, 0);
		snprintf(title, sizeof(title), "%s: rule line %d, %s absent",
		         c->tname, cr->line, cr->field);
		run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
		sig_free(&s);
		if (!r->required)
			c->cov->cond_fired[ci]++;

		/* includes A,B,C: each one left out */
		for (int i = 0; cr->includes[0] && word_at(cr->includes, ",", i,
		                                           item, sizeof(item));
		     i++) {
			v[0] = '\0';
			for (int j = 0;
			     word_at(cr->includes, ",", j, b, sizeof(b)); j++) {
				if (j == i)
					continue;
				size_t l = strlen(v);
				snprintf(v + l, sizeof(v) - l, "%s%s",
				         l ? "," : "", b);
			}
			if (!v[0])
				continue;
			cond_base(&s, c, cr, basis);
			sig_set(&s, cr->field, v);
			expect_set(&x, SH_ERR_CONDITION, cr->field, NULL, 0);
			snprintf(title, sizeof(title),
			         "%s: rule line %d, %s = %s", c->tname,
			         cr->line, cr->field, v);
			run(title, c->cat, t->type, c->sender, c->recipient, &s,
			    &x);
			sig_free(&s);
			c->cov->cond_fired[ci]++;
		}

		/* Under another basis the rule is quiet. */
		for (int i = 0;
		     on_basis && word_at(t->bases, " ", i, b, sizeof(b)); i++) {
			if (strcmp(b, cr->value) == 0)
				continue;
			make_base(&s, t, c->sender, b);
			sig_del(&s, cr->field);
			expect_set(&x,
			           r->required ? SH_ERR_FIELD_MISSING : SH_OK,
			           cr->field, NULL, 0);
			snprintf(title, sizeof(title),
			         "%s under %s: rule line %d quiet, %s absent",
			         c->tname, b, cr->line, cr->field);
			run(title, c->cat, t->type, c->sender, c->recipient, &s,
			    &x);
			sig_free(&s);
			if (cr->includes[0]) {
				make_base(&s, t, c->sender, b);
				sig_set(&s, cr->field, "5");
				expect_set(&x, SH_OK, NULL, NULL, 0);
				snprintf(title, sizeof(title),
				         "%s under %s: rule line %d quiet, %s "
				         "= 5",
				         c->tname, b, cr->line, cr->field);
				run(title, c->cat, t->type, c->sender,
				    c->recipient, &s, &x);
				sig_free(&s);
			}
			c->cov->cond_quiet[ci]++;
		}
	}
}

/* Whether a refusal may repeat a name (sh_field_shown's rule, written
 * out again here): of a field name's form, and a name some signal knows. */
static int repeatable(const sh_catalogue *cat, const char *name)
{
	if (!sh_field_name_ok(name))
		return 0;
	const char *b = name;
	if (strncmp(b, "person", 6) == 0 && isdigit((unsigned char)b[6]) &&
	    b[7] == '.')
		b += 8;
	if (strcmp(b, "legal_basis") == 0 || strcmp(b, "consent_ref") == 0 ||
	    protobuf_c_message_descriptor_get_field_by_name(
	        &seinhuis__person__descriptor, b))
		return 1;
	for (size_t i = 0; i < cat->ntypes; i++)
		if (rule_of(&cat->types[i], b))
			return 1;
	for (int t = 1; t < 16; t++) {
		const ProtobufCMessageDescriptor *d =
		    payload_desc((Seinhuis__SignalType)t);
		if (d && protobuf_c_message_descriptor_get_field_by_name(d, b))
			return 1;
	}
	return 0;
}

/* Names a signal of this type may not carry. */
static void test_unknown(const struct tctx *c)
{
	const sh_type_rule *t = c->t;
	const sh_catalogue *cat = c->cat;
	static const char *const extra[] = {"description",
	                                    "reporter_contact",
	                                    "sealed",
	                                    "qz_shoe_size",
	                                    "person1.surname",
	                                    "person0.surname",
	                                    "person9.surname",
	                                    "Surname",
	                                    "surname ",
	                                    " surname",
	                                    "type",
	                                    "sender",
	                                    "message_id",
	                                    "subject",
	                                    "arrears",
	                                    "created_ms",
	                                    "person2.",
	                                    "jansen",
	                                    "person2.jansen",
	                                    ""};
	const char *names[200];
	size_t n = 0;
	for (size_t i = 0; i < N(extra); i++)
		names[n++] = extra[i];
	const ProtobufCMessageDescriptor *pd = &seinhuis__person__descriptor;
	for (unsigned i = 0; i < pd->n_fields && n < N(names); i++)
		names[n++] = pd->fields[i].name;
	for (size_t i = 0; i < cat->ntypes; i++)
		for (size_t j = 0; j < cat->types[i].nfields && n < N(names);
		     j++)
			names[n++] = cat->types[i].fields[j].name;

	for (size_t i = 0; i < n; i++) {
		const char *name = names[i];
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= strcmp(names[j], name) == 0;
		if (dup || rule_of(t, name))
			continue;
		/* a value that would be good where the name is known */
		char *v = NULL;
		for (size_t j = 0; j < cat->ntypes && !v; j++) {
			const sh_field_rule *r = rule_of(&cat->types[j], name);
			if (r)
				v = good0(r);
		}
		if (!v)
			v = sh_strdup("Qzunknownvalue");
		struct sig s;
		struct expect x;
		char title[256], buf[96];
		make_base(&s, t, c->sender, c->basis);
		sig_add(&s, name, v);
		/* a name no signal knows is given by its place: it may be
		 * data ("jansen"), even if it has a field name's form */
		char place[16];
		snprintf(place, sizeof(place), "#%zu", s.n);
		expect_set(&x, SH_ERR_FIELD_UNKNOWN,
		           repeatable(cat, name) ? name : place, v,
		           strlen(v) < 3);
		snprintf(title, sizeof(title), "%s: unknown name \"%s\" = %s",
		         c->tname, name, show(v, buf));
		run(title, c->cat, t->type, c->sender, c->recipient, &s, &x);
		sig_free(&s);
		free(v);
		c->cov->unknown++;
	}
}

/* Every field the sender may send, persons up to the limit. */
static void test_full(const struct tctx *c)
{
	const sh_type_rule *t = c->t;
	char role[32], title[256], name[96];
	for (int i = 0; word_at(t->senders, " ", i, role, sizeof(role)); i++) {
		struct sig s;
		struct expect x;
		make_base(&s, t, role, c->basis);
		for (size_t j = 0; j < t->nfields; j++) {
			const sh_field_rule *r = &t->fields[j];
			if (!allowed(r, role) || sig_get(&s, r->name))
				continue;
			char *v = good0(r);
			sig_add(&s, r->name, v);
			for (int k = 2;
			     r->personal && is_person_field(r->name) &&
			     k <= t->persons;
			     k++) {
				snprintf(name, sizeof(name), "person%d.%s", k,
				         r->name);
				sig_add(&s, name, v);
			}
			free(v);
		}
		expect_set(&x, SH_OK, NULL, NULL, 0);
		snprintf(title, sizeof(title), "%s from %s with every field",
		         c->tname, role);
		run(title, c->cat, t->type, role, c->recipient, &s, &x);
		sig_free(&s);
		c->cov->full++;
	}
}

static void check_coverage(const struct tctx *c)
{
	const sh_type_rule *t = c->t;
	const struct tcov *v = c->cov;
	for (size_t i = 0; i < t->nfields; i++) {
		const sh_field_rule *r = &t->fields[i];
		const struct fcov *f = &v->f[i];
		check_case("coverage of [%s] field %s (catalogue line %d)",
		           c->tname, r->name, r->line);
		CHECK(kind_of(r->kind) != NULL);
		CHECK(f->good > 0);
		CHECK(f->bad > 0);
		CHECK(f->twice > 0);
		if (empty_code(r) != SH_OK)
			CHECK(f->empty > 0);
		if (r->required)
			CHECK(f->missing > 0);
		if (r->only[0]) {
			/* an only that no sender of the type falls under
			 * would be a restriction without effect */
			CHECK(f->role > 0);
			CHECK(f->role_ok > 0);
		}
		if (r->personal && is_person_field(r->name)) {
			CHECK(f->person_over > 0);
			if (t->persons >= 2)
				CHECK(f->person > 0);
		}
	}
	for (size_t i = 0; i < t->nconds; i++) {
		check_case("coverage of [%s] rule line %d", c->tname,
		           t->conds[i].line);
		CHECK(v->cond_ok[i] > 0);
		CHECK(v->cond_fired[i] > 0);
		if (strcmp(t->conds[i].when, "legal_basis") == 0 &&
		    count_words(t->bases) > 1)
			CHECK(v->cond_quiet[i] > 0);
	}
	check_case("coverage of [%s]", c->tname);
	CHECK_INT(v->sender_ok, count_words(t->senders));
	CHECK(v->sender_no > 0);
	CHECK_INT(v->recip_ok, count_words(t->recipients));
	CHECK(v->recip_no > 0);
	CHECK_INT(v->basis_ok, count_words(t->bases));
	CHECK(v->basis_no > 0);
	CHECK(v->basis_missing > 0);
	if (has_word(t->bases, " ", "consent")) {
		CHECK(v->ref_missing > 0);
		CHECK(v->ref_format > 0);
		/* what a consent is for: the type's, or a field's value */
		CHECK((t->purpose[0] != '\0') != (t->purpose_field[0] != '\0'));
	}
	int non_consent = 0;
	for (int i = 0; i < 4; i++)
		non_consent |= has_word(t->bases, " ", bases_known[i]) &&
		               strcmp(bases_known[i], "consent") != 0;
	if (non_consent)
		CHECK(v->ref_unknown > 0);
	int has_person = 0;
	for (size_t i = 0; i < t->nfields; i++)
		has_person |=
		    t->fields[i].personal && is_person_field(t->fields[i].name);
	if (has_person)
		CHECK(v->persons_over > 0);
	CHECK(v->unknown > 0);
	CHECK_INT(v->full, count_words(t->senders));
}

static void test_type(const sh_catalogue *cat, const sh_type_rule *t)
{
	struct tctx c;
	struct tcov cov;
	memset(&c, 0, sizeof(c));
	memset(&cov, 0, sizeof(cov));
	c.cat = cat;
	c.t = t;
	c.tname = sh_signal_type_name(t->type);
	c.cov = &cov;
	cov.f = sh_xcalloc(t->nfields + 1, sizeof(*cov.f));
	cov.cond_fired = sh_xcalloc(t->nconds + 1, sizeof(int));
	cov.cond_ok = sh_xcalloc(t->nconds + 1, sizeof(int));
	cov.cond_quiet = sh_xcalloc(t->nconds + 1, sizeof(int));
	check_case("[%s]", c.tname);
	CHECK(word_at(t->senders, " ", 0, c.sender, sizeof(c.sender)));
	CHECK(word_at(t->recipients, " ", 0, c.recipient, sizeof(c.recipient)));
	CHECK(word_at(t->bases, " ", 0, c.basis, sizeof(c.basis)));

	/* The ordinary signal of the type. */
	struct sig s;
	struct expect x;
	char title[256];
	make_base(&s, t, c.sender, c.basis);
	expect_set(&x, SH_OK, NULL, NULL, 0);
	snprintf(title, sizeof(title), "%s: required fields only", c.tname);
	run(title, cat, t->type, c.sender, c.recipient, &s, &x);
	sig_free(&s);

	test_roles(&c);
	test_bases(&c);
	test_fields(&c);
	test_conds(&c);
	test_unknown(&c);
	test_full(&c);
	check_coverage(&c);
	free(cov.f);
	free(cov.cond_fired);
	free(cov.cond_ok);
	free(cov.cond_quiet);
}

/* ---------------------------------------------------- whole catalogue */

/* sh_type_values gives, per rule of a type, what sh_field_value finds by
 * the rule's name: for every field of every type given (in an order of
 * its own, every third left out), with a field named twice (the first
 * value counts), a person's second and unknown fields among them; and
 * natural_at names the fields of natural_key, in its order. */
static void test_type_values(const sh_catalogue *cat)
{
	for (size_t ti = 0; ti < cat->ntypes; ti++) {
		const sh_type_rule *t = &cat->types[ti];
		check_case("type values: [%s]", sh_signal_type_name(t->type));
		struct sig s = {0};
		char v[64];
		sig_add(&s, "no_such_field", "x");
		for (size_t k = t->nfields; k-- > 0;) {
			if (k % 3 == 1)
				continue;
			snprintf(v, sizeof(v), "value %zu", k);
			sig_add(&s, t->fields[k].name, v);
			if (k % 3 == 2)
				sig_add(&s, t->fields[k].name, "second");
		}
		sig_add(&s, "person2.surname", "Jansen");
		struct view vw;
		view_of(&vw, &s);
		const char *vals[SH_TYPE_VALUES];
		sh_type_values(t, vw.p, vw.n, vals);
		for (size_t k = 0; k < t->nfields && k < SH_TYPE_VALUES; k++) {
			const char *want =
			    sh_field_value(vw.p, vw.n, t->fields[k].name);
			if (!CHECK(vals[k] == want))
				printf("     field %s\n", t->fields[k].name);
			CHECK(k % 3 == 1 ? !vals[k] : vals[k] != NULL);
		}
		sig_free(&s);
		char names[256] = "";
		for (size_t k = 0; k < t->n_natural; k++) {
			size_t at = strlen(names);
			CHECK(t->natural_at[k] < t->nfields);
			snprintf(names + at, sizeof(names) - at, "%s%s",
			         k ? " " : "",
			         t->fields[t->natural_at[k]].name);
		}
		CHECK_STR(names, t->natural_key);
	}
}

static void test_shipped(const sh_catalogue *cat)
{
	static const struct {
		Seinhuis__SignalType type;
		int persons;
		int consent;
	} want[] = {
	    {SEINHUIS__SIGNAL_TYPE__ARREARS, 1, 0},
	    {SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT, 4, 1},
	    {SEINHUIS__SIGNAL_TYPE__VT_NOTICE, 1, 0},
	    {SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK, 1, 1},
	    {SEINHUIS__SIGNAL_TYPE__REFERRAL, 1, 1},
	    {SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION, 1, 1},
	};
	check_case("shipped catalogue");
	CHECK_INT(cat->ntypes, N(want));
	for (size_t i = 0; i < N(want); i++) {
		const sh_type_rule *t = sh_catalogue_type(cat, want[i].type);
		check_case("shipped catalogue: [%s]",
		           sh_signal_type_name(want[i].type));
		if (!CHECK(t != NULL))
			continue;
		CHECK_INT(t->persons, want[i].persons);
		CHECK_INT(has_word(t->bases, " ", "consent"), want[i].consent);
		/* its names are repeated in refusals: of a field name's form */
		for (size_t j = 0; j < t->nfields; j++)
			if (!CHECK(sh_field_name_ok(t->fields[j].name)))
				printf("     '%s'\n", t->fields[j].name);
		CHECK(t->keep_unanswered_s > 0 && t->keep_taken_s > 0 &&
		      t->keep_closed_s > 0 && t->keep_sent_s > 0);
		/* the shipped file says the 18 months of a closed case */
		CHECK_INT(t->keep_closed_s, 18 * 2592000LL);
		int last = 0;
		for (size_t j = 0; j < t->nfields; j++) {
			const sh_field_rule *r = &t->fields[j];
			check_case("shipped catalogue: [%s] field %s",
			           sh_signal_type_name(t->type), r->name);
			CHECK(r->line > last);
			last = r->line;
			CHECK_INT(sh_wire_field_class(t->type, r->name),
			          r->personal ? SH_FIELD_PERSONAL
			                      : SH_FIELD_CLEAR);
			if (r->only[0]) {
				char w[64];
				for (int k = 0;
				     word_at(r->only, " ", k, w, sizeof(w));
				     k++)
					CHECK(has_word(t->senders, " ", w));
			}
		}
	}
	/* A few values straight from the file. */
	const sh_type_rule *a =
	    sh_catalogue_type(cat, SEINHUIS__SIGNAL_TYPE__ARREARS);
	const sh_type_rule *m =
	    sh_catalogue_type(cat, SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT);
	check_case("shipped catalogue: values");
	if (CHECK(a && m)) {
		CHECK_STR(a->senders, "landlord energy water health_insurer");
		CHECK_STR(a->recipients, "municipality_debt");
		CHECK_STR(a->bases, "legal_duty");
		CHECK_INT(a->keep_unanswered_s, 6 * 2592000LL);
		CHECK_INT(a->keep_taken_s, 12 * 2592000LL);
		CHECK_INT(a->keep_sent_s, 12 * 2592000LL);
		CHECK_STR(a->feedback, "consent");
		CHECK_STR(m->bases, "meldrecht consent");
		CHECK_STR(m->purpose, "meldcode");
		CHECK_INT(m->keep_taken_s, 18 * 2592000LL);
		CHECK_INT(m->keep_consent_s, 18 * 2592000LL);
		/* the two meldrecht rules, and the reporter's role per
		 * sender role */
		CHECK_INT(m->nconds, 4);
		const sh_field_rule *bd = rule_of(a, "birth_date");
		if (CHECK(bd != NULL)) {
			CHECK_STR(bd->only, "water health_insurer");
			CHECK(bd->past && bd->personal && !bd->required);
		}
		const sh_field_rule *am = rule_of(a, "amount_cents");
		if (CHECK(am != NULL)) {
			CHECK_INT(am->kind, CHK_INT);
			CHECK_INT(am->min, 1);
			CHECK_INT(am->max, 100000000);
		}
	}
}

/* What is announced follows from the arrears kind (DOMAIN.md 1): eviction
 * for rent, disconnection for energy and water, termination for the
 * health-insurance premium; and a meldcode reporter works where the
 * sending partner does. At the sender and the recipient (run does both). */
static void test_combinations(const sh_catalogue *cat)
{
	/* clang-format off */
#define ARR(snd, kind, urgency, want)                                          \
	{SEINHUIS__SIGNAL_TYPE__ARREARS, snd, "municipality_debt", "legal_duty",    \
	 {{"arrears_kind", kind}, {"urgency", urgency}}, want,                       \
	 want ? "arrears_kind" : NULL}
#define MELD(snd, role, want)                                                  \
	{SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT, snd, "veilig_thuis", "consent",    \
	 {{"reporter_role", role}, {NULL, NULL}}, want, want ? "reporter_role" : NULL}
	static const struct {
		Seinhuis__SignalType type;
		const char *sender, *recipient, *basis;
		const char *set[2][2];
		sh_err want;
		const char *field;
	} c[] = {
	    ARR("landlord", "rent", "eviction", SH_OK),
	    ARR("landlord", "rent", "disconnection", SH_ERR_CONDITION),
	    ARR("landlord", "municipal_tax", "eviction", SH_ERR_CONDITION),
	    ARR("energy", "gas", "eviction", SH_ERR_CONDITION),
	    ARR("energy", "heat", "disconnection", SH_OK),
	    ARR("water", "water", "termination", SH_ERR_CONDITION),
	    ARR("health_insurer", "health_insurance", "termination", SH_OK),
	    ARR("health_insurer", "health_insurance", "disconnection", SH_ERR_CONDITION),
	    MELD("municipality_team", "gp", SH_ERR_CONDITION),
	    MELD("municipality_team", "wijkteam", SH_OK),
	    MELD("professional", "wijkteam", SH_ERR_CONDITION),
	    MELD("professional", "gp", SH_OK),
	};
#undef ARR
#undef MELD
	/* clang-format on */
	for (size_t i = 0; i < N(c); i++) {
		const sh_type_rule *t = sh_catalogue_type(cat, c[i].type);
		check_case("combination %zu", i);
		if (!CHECK(t != NULL))
			continue;
		struct sig s;
		struct expect x;
		char title[160];
		make_base(&s, t, c[i].sender, c[i].basis);
		for (int k = 0; k < 2 && c[i].set[k][0]; k++)
			sig_set(&s, c[i].set[k][0], c[i].set[k][1]);
		expect_set(&x, c[i].want, c[i].field, NULL, 1);
		snprintf(title, sizeof(title), "%s from %s: %s = %s%s%s%s%s",
		         sh_signal_type_name(c[i].type), c[i].sender,
		         c[i].set[0][0], c[i].set[0][1],
		         c[i].set[1][0] ? ", " : "",
		         c[i].set[1][0] ? c[i].set[1][0] : "",
		         c[i].set[1][0] ? " = " : "",
		         c[i].set[1][0] ? c[i].set[1][1] : "");
		run(title, cat, c[i].type, c[i].sender, c[i].recipient, &s, &x);
		sig_free(&s);
	}
}

/* A consent is per purpose: a referral's consent is for the referral's
 * own purpose field (purpose_field), other types' for the type's. */
static void test_consent_purpose(const sh_catalogue *cat)
{
	const sh_type_rule *r =
	    sh_catalogue_type(cat, SEINHUIS__SIGNAL_TYPE__REFERRAL);
	const sh_type_rule *m =
	    sh_catalogue_type(cat, SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT);
	check_case("consent purpose");
	if (!CHECK(r && m))
		return;
	CHECK_STR(r->purpose_field, "purpose");
	CHECK_STR(r->purpose, "");
	struct sig s;
	struct view v;
	make_base(&s, r, "professional", "consent");
	sig_set(&s, "purpose", "family");
	view_of(&v, &s);
	CHECK_STR(sh_consent_purpose(r, v.p, v.n), "family");
	CHECK_STR(sh_consent_purpose(m, v.p, v.n), "meldcode");
	sig_del(&s, "purpose");
	view_of(&v, &s);
	CHECK_STR(sh_consent_purpose(r, v.p, v.n), "");
	sig_free(&s);
	/* a consent granted for the whole type before covers no referral */
	CHECK(!sh_consent_purpose_usable(r, "referral"));
	CHECK(sh_consent_purpose_usable(r, "debts"));
	CHECK(sh_consent_purpose_usable(r, "daily_life"));
	CHECK(!sh_consent_purpose_usable(r, "daily"));
	CHECK(sh_consent_purpose_usable(m, "meldcode"));
	CHECK(!sh_consent_purpose_usable(m, "debts"));
	char list[200] = "meldcode";
	sh_consent_purposes_add(r, list, sizeof(list));
	sh_consent_purposes_add(m, list, sizeof(list));
	CHECK_STR(list, "meldcode debts income housing health family "
	                "daily_life other");
	char small[11] = ""; /* room for one word: the rest left out */
	sh_consent_purposes_add(r, small, sizeof(small));
	CHECK_STR(small, "debts");
}

/* A signal type the catalogue does not have. */
static void test_types(const sh_catalogue *cat)
{
	struct sig s;
	struct expect x;
	memset(&s, 0, sizeof(s));
	sig_add(&s, "legal_basis", "legal_duty");
	sig_add(&s, "purpose", "Kwispeldoorn");
	expect_set(&x, SH_ERR_TYPE, "type", NULL, 0);
	run("unspecified signal type", cat,
	    SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED, "landlord",
	    "municipality_debt", &s, &x);
	run("signal type 99", cat, (Seinhuis__SignalType)99, "landlord",
	    "municipality_debt", &s, &x);
	sig_free(&s);

	/* A catalogue that lists arrears only: a referral is refused on
	 * both sides, though the wire carries it. */
	static const char mini_text[] =
	    "seinhuis_catalogue = 1\n"
	    "[arrears]\n"
	    "senders = landlord\n"
	    "recipients = municipality_debt\n"
	    "legal_basis = legal_duty\n"
	    "field arrears_kind = required enum rent\n";
	sh_catalogue mini;
	char why[512];
	check_case("catalogue with arrears only");
	if (!CHECK_ERR(sh_catalogue_parse(&mini, mini_text, strlen(mini_text),
	                                  why, sizeof(why)),
	               SH_OK))
		return;
	/* no keep lines: the defaults of municipal practice, 6 / 12 / 18
	 * months */
	const sh_type_rule *ma =
	    sh_catalogue_type(&mini, SEINHUIS__SIGNAL_TYPE__ARREARS);
	if (CHECK(ma != NULL)) {
		CHECK_INT(ma->keep_unanswered_s, 6 * 2592000LL);
		CHECK_INT(ma->keep_taken_s, 12 * 2592000LL);
		CHECK_INT(ma->keep_closed_s, 18 * 2592000LL);
		/* an ended consent: as long as a closed case */
		CHECK_INT(ma->keep_consent_s, 18 * 2592000LL);
	}
	/* not given, keep_closed is at least keep_taken */
	static const char long_text[] = "seinhuis_catalogue = 1\n"
	                                "[arrears]\n"
	                                "senders = landlord\n"
	                                "recipients = municipality_debt\n"
	                                "legal_basis = legal_duty\n"
	                                "keep_taken = 24 months\n"
	                                "keep_consent = 90 seconds\n";
	sh_catalogue longer;
	if (CHECK_ERR(sh_catalogue_parse(&longer, long_text, strlen(long_text),
	                                 why, sizeof(why)),
	              SH_OK)) {
		const sh_type_rule *la =
		    sh_catalogue_type(&longer, SEINHUIS__SIGNAL_TYPE__ARREARS);
		if (CHECK(la != NULL)) {
			CHECK_INT(la->keep_closed_s, 24 * 2592000LL);
			CHECK_INT(la->keep_consent_s, 90);
		}
		sh_catalogue_free(&longer);
	}
	const sh_type_rule *ref =
	    sh_catalogue_type(cat, SEINHUIS__SIGNAL_TYPE__REFERRAL);
	if (CHECK(ref != NULL)) {
		make_base(&s, ref, "professional", "consent");
		expect_set(&x, SH_ERR_TYPE, "type", NULL, 0);
		run("referral, catalogue with arrears only", &mini,
		    SEINHUIS__SIGNAL_TYPE__REFERRAL, "professional",
		    "municipality_team", &s, &x);
		sig_free(&s);
	}
	memset(&s, 0, sizeof(s));
	sig_add(&s, "legal_basis", "legal_duty");
	sig_add(&s, "arrears_kind", "rent");
	expect_set(&x, SH_OK, NULL, NULL, 0);
	run("arrears, catalogue with arrears only", &mini,
	    SEINHUIS__SIGNAL_TYPE__ARREARS, "landlord", "municipality_debt", &s,
	    &x);
	/* no amount_cents line: the field is unknown there */
	sig_add(&s, "amount_cents", "12345");
	expect_set(&x, SH_ERR_FIELD_UNKNOWN, "amount_cents", "12345", 0);
	run("arrears with amount_cents, catalogue with arrears only", &mini,
	    SEINHUIS__SIGNAL_TYPE__ARREARS, "landlord", "municipality_debt", &s,
	    &x);
	sig_free(&s);
	sh_catalogue_free(&mini);
}

/* Text must be UTF-8 proper: no surrogates, no overlong forms, nothing
 * beyond U+10FFFF (other protobuf implementations refuse such strings). */
static void test_strict_utf8(const sh_catalogue *cat)
{
	static const char *const bad[] = {
	    "Qz\xed\xa0\x80surrogate", /* U+D800 */
	    "Qz\xe0\x80\xafoverlong",  /* '/' in three bytes */
	    "Qz\xf4\x90\x80\x80"
	    "beyond", /* U+110000 */
	    "Qz\xf5\x80\x80\x80"
	    "f5",
	};
	const sh_type_rule *t =
	    sh_catalogue_type(cat, SEINHUIS__SIGNAL_TYPE__ARREARS);
	if (!t || !rule_of(t, "creditor_contact"))
		return;
	for (size_t i = 0; i < N(bad); i++) {
		struct sig s;
		struct expect x;
		char title[256], buf[96];
		make_base(&s, t, "landlord", "legal_duty");
		sig_set(&s, "creditor_contact", bad[i]);
		expect_set(&x, SH_ERR_FIELD_FORMAT, "creditor_contact", bad[i],
		           0);
		snprintf(title, sizeof(title), "arrears: creditor_contact = %s",
		         show(bad[i], buf));
		run(title, cat, t->type, "landlord", "municipality_debt", &s,
		    &x);
		sig_free(&s);
	}
}

/* A text field that travels unsealed (creditor_contact, next_step, ...)
 * may not hold the signal's own personal values, nor what has the shape
 * of a resident's data (PERSONAL_DATA), on either side; the refusal names
 * the field and the kind of value, never the value. Desk numbers and
 * references pass. */
static void test_clear_text(const sh_catalogue *cat)
{
	/* arrears from a health insurer, which may send a BSN and a birth
	 * date: text, the kind the refusal names (NULL: accepted), and the
	 * value the detail may not repeat */
	static const char *const own[][3] = {
	    {"huurder mw. Jansen, tel 020-1234567", "surname", "Jansen"},
	    {"JANSEN", "surname", "Jansen"},
	    {"dossier J\xc3\xa1nsen", "surname", "Jansen"},
	    {"dossier Jansen's", "surname", "Jansen"},
	    {"dossier Jansen\xe2\x80\x99s", "surname", "Jansen"},
	    /* what shows nothing hides nothing */
	    {"desk Jan\xc2\xadsen", "surname", "Jan"},
	    {"desk Jan\xe2\x80\x8bsen", "surname", "Jan"},
	    {"Molen\xe2\x81\xa0weg 12", "street name", "Molen"},
	    {"post 1234\xc2\xad"
	     "AB",
	     "postcode", "1234"},
	    {"tel 06\xc2\xad"
	     "12345678",
	     "phone number", "12345678"},
	    {"tel 06\xe2\x80\x89"
	     "12345678",
	     "phone number", "12345678"},
	    {"mail m.fixture\xe2\x80\x8b@example.nl", "e-mail address",
	     "fixture"},
	    {"nummer 1112\xc2\xad"
	     "22333",
	     "BSN", "22333"},
	    {"dossier Jansen`s", "surname", "Jansen"},
	    {"dossier Jansen\xc2\xb4s", "surname", "Jansen"},
	    {"dossier \xe2\x80\x98Jansen\xe2\x80\x99", "surname", "Jansen"},
	    {"Molenweg", "street name", "Molenweg"},
	    {"Molenweg's hoek", "street name", "Molenweg"},
	    {"bezoek Molenweg 12", "street name", "Molenweg"},
	    {"post 1234ab", "postcode", "1234"},
	    {"post 1234 ab", "postcode", "1234"},
	    {"nummer 111 222 333", "BSN", "111"},
	    {"nummer 111222333", "BSN", "111222333"},
	    {"tel 06-1234 5678", "phone number", "5678"},
	    {"tel +31 6 12345678", "phone number", "12345678"},
	    {"mail M.Fixture@Example.NL", "e-mail address", "fixture"},
	    {"geb. 12 mei 1980", "birth date", "1980"},
	    {"geb. 12-5-1980", "birth date", "1980"},
	    {"geb. 12/05/80", "birth date", "/80"},
	    {"geb. 1980-05-12", "birth date", "1980"},
	    {"geb. 12051980", "birth date", "1980"},
	    {"huurder mw. Jansen, Molenweg 12, tel 0612345678, "
	     "m.fixture@example.nl",
	     "surname", "Jansen"},
	};
	/* next_step of a vt_notice, which names no resident: the shapes */
	static const char *const shape[][3] = {
	    {"mail a.b@voorbeeld.nl", "e-mail address", "voorbeeld"},
	    {"mail a punt b at voorbeeld dot nl", "e-mail address", "voorb"},
	    {"BSN 123456782", "BSN", "123456782"},
	    {"BSN 1234.56.782", "BSN", "1234.56"},
	    {"bel 06-98765432", "mobile", "98765432"},
	    {"bel +31 6 9876 5432", "mobile", "9876"},
	    {"bel 0031 6 98765432", "mobile", "98765432"},
	    {"post 9999 ZZ", "postcode", "9999"},
	    {"post 9999zz", "postcode", "9999"},
	    {"geb. 3 maart 1975", "date of birth", "1975"},
	    {"geb. 03-03-1975", "date of birth", "1975"},
	    {"geb. 1975-03-03", "date of birth", "1975"},
	    {"huisbezoek Kerkstraat 5", "address", "Kerkstraat"},
	    {"huisbezoek bij mw. De Vries", "person's name", "Vries"},
	    {"huisbezoek bij mw. Jansen, Molenweg 12, geb. 12 mei 1980, "
	     "BSN 111222333",
	     "BSN", "Jansen"},
	};
	static const char *const fine[] = {
	    "incasso desk, 088 000 0000",
	    "huurincasso 088 000 0001",
	    "020-1234567",
	    "0800-1234",
	    "REF-2024/0042",
	    "HUUR-2024-0042",
	    "klantenservice 9-17 uur",
	    "sinds 2024 de schuld",
	    "safety assessment within 5 working days",
	    "huisbezoek op 12 mei",
	    "VT advice line, 0800-2000",
	    "wijkteam neemt contact op",
	    "versie 1.2.3",
	    "De Fictieve Haven's klantportaal",
	    /* seinbench's creditor_contact */
	    "Woonstichting De Fictieve Haven, team huurachterstand en "
	    "incasso, Postbus 0000 te Teststad, telefoon 010-0000000 "
	    "(werkdagen 9-17 uur), of via het klantportaal van de "
	    "woonstichting",
	};
	const sh_type_rule *ta =
	    sh_catalogue_type(cat, SEINHUIS__SIGNAL_TYPE__ARREARS);
	const sh_type_rule *tv =
	    sh_catalogue_type(cat, SEINHUIS__SIGNAL_TYPE__VT_NOTICE);
	if (!CHECK(ta && tv && rule_of(ta, "creditor_contact") &&
	           rule_of(tv, "next_step")))
		return;
	struct sig base;
	make_base(&base, ta, "health_insurer", "legal_duty");
	sig_set(&base, "arrears_kind", "health_insurance");
	sig_set(&base, "surname", "Jansen");
	sig_set(&base, "street", "Molenweg");
	sig_set(&base, "postcode", "1234 AB");
	sig_set(&base, "bsn", "111222333");
	sig_set(&base, "phone", "0612345678");
	sig_set(&base, "email", "m.fixture@example.nl");
	sig_set(&base, "birth_date", "1980-05-12");
	char title[300];
	struct expect x;
	expect_set(&x, SH_OK, NULL, NULL, 0);
	run("arrears: the personal values of the clear-text cases", cat,
	    ta->type, "health_insurer", "municipality_debt", &base, &x);
	for (size_t i = 0; i < N(own) + N(fine); i++) {
		int bad = i < N(own);
		const char *v = bad ? own[i][0] : fine[i - N(own)];
		for (int f = 0; f < 2; f++) {
			const char *name =
			    f ? "creditor_reference" : "creditor_contact";
			if (f && strlen(v) > 64)
				continue;
			struct sig s;
			memset(&s, 0, sizeof(s));
			for (size_t k = 0; k < base.n; k++)
				sig_add(&s, base.name[k], base.value[k]);
			sig_set(&s, name, v);
			expect_set(&x, bad ? SH_ERR_PERSONAL : SH_OK,
			           bad ? name : NULL, bad ? own[i][2] : NULL,
			           0);
			snprintf(title, sizeof(title), "arrears: %s = \"%s\"",
			         name, v);
			run(title, cat, ta->type, "health_insurer",
			    "municipality_debt", &s, &x);
			if (bad) {
				struct view vw;
				view_of(&vw, &s);
				const char *k = sh_text_own_data(v, vw.p, vw.n);
				check_case("%s: names the kind", title);
				if (!CHECK(k && strstr(k, own[i][1])))
					printf("     kind: %s\n",
					       k ? k : "(none)");
			}
			sig_free(&s);
		}
	}
	/* A report's print (what Veilig Thuis keeps of a report it took)
	 * answers every one of these texts as the values themselves do. */
	{
		static const uint8_t pkey[SH_KEY_LEN] = {7, 1, 7};
		struct view vw;
		view_of(&vw, &base);
		sh_buf pr = {0};
		sh_print_make(vw.p, vw.n, pkey, &pr);
		check_case("the print of the clear-text cases' values has an "
		           "item for each form of each value");
		CHECK(pr.len == 11 * 18);
		for (size_t i = 0; i < N(own) + N(fine); i++) {
			const char *v =
			    i < N(own) ? own[i][0] : fine[i - N(own)];
			const char *a = sh_text_own_data(v, vw.p, vw.n);
			const char *b =
			    sh_print_match(v, pr.data, pr.len, pkey);
			check_case("print and values agree on \"%s\"", v);
			if (!CHECK(a == b || (a && b && strcmp(a, b) == 0)))
				printf("     values: %s, print: %s\n",
				       a ? a : "(none)", b ? b : "(none)");
		}
		static const uint8_t other[SH_KEY_LEN] = {8};
		check_case("a print made under another key matches nothing");
		CHECK(sh_print_match("bel Jansen, Molenweg", pr.data, pr.len,
		                     other) == NULL);
		CHECK(sh_print_match("bel Jansen, Molenweg", pr.data, pr.len,
		                     pkey) != NULL);
		/* digits and separators in turn: the most digit chains a
		 * text of its length can hold (ASan: the chains' buffer) */
		char alt[256];
		for (size_t k = 0; k < sizeof(alt) - 1; k++)
			alt[k] = k % 2 ? ',' : '1';
		alt[sizeof(alt) - 1] = '\0';
		const char *const chains[] = {"2023,2024,2025,2026,27", "1,2",
		                              "9", alt};
		for (size_t k = 0; k < N(chains); k++) {
			check_case("digit chains: \"%.30s\"", chains[k]);
			CHECK(sh_text_own_data(chains[k], vw.p, vw.n) == NULL);
			CHECK(sh_print_match(chains[k], pr.data, pr.len,
			                     pkey) == NULL);
		}
		check_case("a birth date is found among the print's dates");
		CHECK(sh_print_has_date("1980-05-12", pr.data, pr.len, pkey));
		CHECK(!sh_print_has_date("1980-05-13", pr.data, pr.len, pkey));
		sh_buf_free(&pr);
	}
	/* a reference may be nine digits that pass the eleven test; a
	 * contact may not */
	{
		struct sig s;
		memset(&s, 0, sizeof(s));
		for (size_t k = 0; k < base.n; k++)
			sig_add(&s, base.name[k], base.value[k]);
		sig_set(&s, "creditor_reference", "123456782");
		expect_set(&x, SH_OK, NULL, NULL, 0);
		run("arrears: creditor_reference = \"123456782\" (not the "
		    "resident's BSN)",
		    cat, ta->type, "health_insurer", "municipality_debt", &s,
		    &x);
		sig_set(&s, "creditor_contact", "klant 123456782");
		expect_set(&x, SH_ERR_PERSONAL, "creditor_contact", "123456782",
		           0);
		run("arrears: creditor_contact = \"klant 123456782\"", cat,
		    ta->type, "health_insurer", "municipality_debt", &s, &x);
		sig_free(&s);
	}
	/* a clear date may not be the resident's birth date (a birth date
	 * mapped to the wrong column of an export travels unsealed) */
	{
		struct sig s;
		memset(&s, 0, sizeof(s));
		for (size_t k = 0; k < base.n; k++)
			sig_add(&s, base.name[k], base.value[k]);
		sig_set(&s, "arrears_since", "1980-05-12");
		expect_set(&x, SH_ERR_PERSONAL, "arrears_since", "1980", 0);
		run("arrears: arrears_since = the resident's birth date", cat,
		    ta->type, "health_insurer", "municipality_debt", &s, &x);
		sig_set(&s, "arrears_since", "1980-05-13");
		expect_set(&x, SH_OK, NULL, NULL, 0);
		run("arrears: arrears_since = the day after the birth date",
		    cat, ta->type, "health_insurer", "municipality_debt", &s,
		    &x);
		/* a newborn's: the day of a report about it may be the same */
		sig_set(&s, "birth_date", today);
		sig_set(&s, "arrears_since", today);
		run("arrears: arrears_since = a birth date of today", cat,
		    ta->type, "health_insurer", "municipality_debt", &s, &x);
		sig_free(&s);
	}
	sig_free(&base);
	for (size_t i = 0; i < N(shape) + N(fine); i++) {
		int bad = i < N(shape);
		const char *v = bad ? shape[i][0] : fine[i - N(shape)];
		for (int f = 0; f < 2; f++) {
			const char *name = f ? "contact_point" : "next_step";
			/* a contact point may give a desk's mailbox */
			int refused =
			    bad && !(f && strstr(shape[i][1], "e-mail"));
			struct sig s;
			make_base(&s, tv, "veilig_thuis", "legal_task");
			sig_set(&s, name, v);
			expect_set(&x, refused ? SH_ERR_PERSONAL : SH_OK,
			           refused ? name : NULL,
			           refused ? shape[i][2] : NULL, 0);
			snprintf(title, sizeof(title), "vt_notice: %s = \"%s\"",
			         name, v);
			run(title, cat, tv->type, "veilig_thuis",
			    "municipality_team", &s, &x);
			sig_free(&s);
		}
		const char *k = sh_text_data_shape(v, today, 0);
		check_case("shape of \"%s\"", v);
		if (!CHECK(bad ? k && strstr(k, shape[i][1]) != NULL : !k))
			printf("     kind: %s\n", k ? k : "(none)");
		if (bad && strstr(shape[i][1], "e-mail"))
			CHECK(sh_text_data_shape(v, today, 1) == NULL);
	}
	/* a date ahead (an appointment) is no birth date; a second
	 * person's values count as the first's */
	char ahead[64];
	snprintf(ahead, sizeof(ahead), "gesprek op %s", future);
	check_case("a date ahead");
	CHECK(sh_text_data_shape(ahead, today, 0) == NULL);
	/* a reference may be nine digits that pass the eleven test (1 in
	 * 11 of them do by chance); free text may not; the resident's own
	 * BSN is refused in a reference all the same (the own cases) */
	check_case("a nine-digit reference that passes the eleven test");
	CHECK(sh_text_data_shape("123456782", today, SH_SHAPE_REFERENCE) ==
	      NULL);
	CHECK(sh_text_data_shape("klant 123456782", today,
	                         SH_SHAPE_REFERENCE) == NULL);
	CHECK(sh_text_data_shape("123456782", today, 0) != NULL);
	CHECK(sh_text_data_shape("06 12345678", today, SH_SHAPE_REFERENCE) !=
	      NULL);
	Seinhuis__Field f1 = SEINHUIS__FIELD__INIT, *fp[1] = {&f1};
	f1.name = "person2.surname";
	f1.value = "Van der Berg-\xc3\x96zt\xc3\xbcrk";
	check_case("person 2's surname, folded, by a part of it");
	CHECK(sh_text_own_data("bellen met ozturk", fp, 1) != NULL);
	CHECK(sh_text_own_data("bellen met Berg \xc3\x96zt\xc3\xbcrk", fp, 1) !=
	      NULL);
	CHECK(sh_text_own_data("bellen met de bergen", fp, 1) == NULL);
	{
		static const uint8_t pkey[SH_KEY_LEN] = {3};
		static const char *const t[] = {
		    "bellen met ozturk",
		    "bellen met Berg \xc3\x96zt\xc3\xbcrk",
		    "bellen met de bergen",
		    "Berg's dossier",
		    "bergozturk",
		    "Öztürk\xc2\xadsen",
		    "Ozt\xc2\xadurk, later"};
		sh_buf pr = {0};
		sh_print_make(fp, 1, pkey, &pr);
		for (size_t i = 0; i < N(t); i++) {
			const char *a = sh_text_own_data(t[i], fp, 1);
			const char *b =
			    sh_print_match(t[i], pr.data, pr.len, pkey);
			check_case(
			    "person 2's surname: print and value agree on "
			    "\"%s\"",
			    t[i]);
			CHECK(a == b || (a && b && strcmp(a, b) == 0));
		}
		sh_buf_free(&pr);
		/* full-width letters read as the letters they show */
		check_case("a surname in full-width letters");
		CHECK(sh_text_own_data("bel \xef\xbc\xa2\xef\xbd\x85\xef\xbd"
		                       "\x92\xef\xbd\x87",
		                       fp, 1) != NULL); /* Ｂｅｒｇ */
		CHECK(sh_text_own_data("bel \xef\xbc\xa2\xef\xbd\x85\xef\xbd"
		                       "\x92",
		                       fp, 1) == NULL); /* Ｂｅｒ */
		/* a surname with an apostrophe, also as a text breaks it */
		f1.value = "O'Brandnetel";
		check_case(
		    "a surname with an apostrophe, written without it or "
		    "with a space");
		CHECK(sh_text_own_data("bel Brandnetel", fp, 1) != NULL);
		CHECK(sh_text_own_data("bel O Brandnetel", fp, 1) != NULL);
		CHECK(sh_text_own_data("bel OBrandnetel", fp, 1) != NULL);
		CHECK(sh_text_own_data("brandnetels in de tuin", fp, 1) ==
		      NULL);
		sh_buf pr3 = {0};
		sh_print_make(fp, 1, pkey, &pr3);
		CHECK(sh_print_match("bel Brandnetel", pr3.data, pr3.len,
		                     pkey) != NULL);
		sh_buf_free(&pr3);
		/* two kinds in one text: both name the first value in the
		 * order of the fields (the postcode, before person 2) */
		Seinhuis__Field g1 = SEINHUIS__FIELD__INIT,
		                g2 = SEINHUIS__FIELD__INIT,
		                g3 = SEINHUIS__FIELD__INIT,
		                *gp[3] = {&g1, &g2, &g3};
		g1.name = "surname";
		g1.value = "\xc3\x96zt\xc3\xbcrk";
		g2.name = "postcode";
		g2.value = "1234 AB";
		g3.name = "person2.surname";
		g3.value = "Bakker";
		sh_buf pr2 = {0};
		sh_print_make(gp, 3, pkey, &pr2);
		const char *a = sh_text_own_data("bel 1234 AB, Bakker", gp, 3);
		const char *b = sh_print_match("bel 1234 AB, Bakker", pr2.data,
		                               pr2.len, pkey);
		check_case("two kinds in one text: print and values name the "
		           "same one");
		CHECK(a && b && strcmp(a, b) == 0 && strstr(a, "postcode"));
		sh_buf_free(&pr2);
	}
	/* a part of only digits names nobody: the year in a reference */
	f1.value = "Testpersoon-2026";
	check_case("a surname part of only digits is no name");
	CHECK(sh_text_own_data("WBV-HUUR-2026-00000017", fp, 1) == NULL);
	CHECK(sh_text_own_data("dossier testpersoon", fp, 1) != NULL);
	f1.name = "phone";
	f1.value = "+31 6 12345678";
	check_case("a phone number given with +31, written with 06");
	CHECK(sh_text_own_data("tel 06 1234 5678", fp, 1) != NULL);
	CHECK(sh_text_own_data("tel 020 1234 567", fp, 1) == NULL);
	/* the resident's postcode after more postcodes than are kept */
	f1.name = "postcode";
	f1.value = "3512 JK";
	char many[400];
	size_t o = 0;
	for (int k = 0; k < 40; k++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%04dAB ",
		                      1000 + k);
	snprintf(many + o, sizeof(many) - o, "3512JK");
	check_case("the resident's postcode after 40 others");
	CHECK(sh_text_own_data(many, fp, 1) != NULL);
	many[o] = '\0';
	CHECK(sh_text_own_data(many, fp, 1) == NULL);
}

/* A role with a space in it is not a role, as a legal basis with a space
 * is not a legal basis (sh_policy_check is called with card roles, which
 * sh_role_valid() keeps to single words; this is the function's own
 * guard). */
/* Which names a refusal repeats, by name: the catalogue's and the wire
 * format's (a payload's field too, where the catalogue has no line for
 * it), never a word no signal knows. */
static void test_known_names(const sh_catalogue *cat)
{
	check_case("sh_field_known and sh_field_shown");
	static const char *const known[] = {
	    "surname",      "person2.surname", "person9.bsn", "amount_cents",
	    "arrears_kind", "legal_basis",     "consent_ref", "postcode"};
	static const char *const unknown[] = {
	    "jansen", "person2.jansen", "qz_shoe_size", "type",
	    "Jansen", "1234 AB",        "person2.",     "",
	    "person", "person2"};
	char out[24];
	for (size_t i = 0; i < N(known); i++) {
		if (!CHECK(sh_field_known(cat, known[i])))
			printf("     '%s'\n", known[i]);
		CHECK_STR(sh_field_shown(cat, out, sizeof(out), known[i], 4),
		          known[i]);
	}
	for (size_t i = 0; i < N(unknown); i++) {
		if (!CHECK(!sh_field_known(cat, unknown[i])))
			printf("     '%s'\n", unknown[i]);
		CHECK_STR(sh_field_shown(cat, out, sizeof(out), unknown[i], 4),
		          "#5");
	}
	/* without a catalogue only the wire format's names are known */
	CHECK(sh_field_known(NULL, "surname"));
	CHECK(sh_field_known(NULL, "amount_cents"));
	CHECK(!sh_field_known(NULL, "jansen"));
}

/* A consent grant's identifiers, as the daemon checks them (control.c):
 * each named rule refuses, a value is never repeated, and the good set
 * fills the person. */
static void test_consent_identifiers(const sh_catalogue *cat)
{
	check_case("sh_consent_identifiers");
	struct {
		const char *kv[4][2];
		size_t n;
		sh_err want;
		const char *text; /* a part of the refusal */
	} c[] = {
	    {{{"bsn", "123456782"}}, 1, SH_OK, ""},
	    {{{"surname", "Jansen"},
	      {"birth_date", "1970-02-01"},
	      {"postcode", "1011AB"},
	      {"house_number", "1"}},
	     4,
	     SH_OK,
	     ""},
	    {{{"surname", "Jansen"}, {"birth_date", ""}}, 2, SH_OK, ""},
	    {{{"bsn", "123456782"}, {"jansen", "x"}},
	     2,
	     SH_ERR_FIELD_UNKNOWN,
	     "field '#2': not a resident"},
	    {{{"amount_cents", "12"}},
	     1,
	     SH_ERR_FIELD_UNKNOWN,
	     "field 'amount_cents': not a resident"},
	    {{{"surname", "Jansen"}, {"surname", "Pietersen"}},
	     2,
	     SH_ERR_FIELD_VALUE,
	     "field 'surname': given twice"},
	    {{{"birth_date", "1970-02-31"}},
	     1,
	     SH_ERR_FIELD_FORMAT,
	     "field 'birth_date': must be a date"},
	    {{{"birth_date", "9999-01-01"}},
	     1,
	     SH_ERR_FIELD_FORMAT,
	     "not in the future"},
	    {{{"birth_date", "01-02-1970"}},
	     1,
	     SH_ERR_FIELD_FORMAT,
	     "YYYY-MM-DD"},
	};
	for (size_t k = 0; k < N(c); k++) {
		Seinhuis__Field f[4], *fp[4];
		for (size_t i = 0; i < c[k].n; i++) {
			seinhuis__field__init(&f[i]);
			f[i].name = (char *)c[k].kv[i][0];
			f[i].value = (char *)c[k].kv[i][1];
			fp[i] = &f[i];
		}
		Seinhuis__Person p;
		char text[160];
		sh_err e = sh_consent_identifiers(cat, fp, c[k].n, "2026-12-05",
		                                  &p, text, sizeof(text));
		if (!CHECK(e == c[k].want) || !CHECK(strstr(text, c[k].text)))
			printf("     case %zu: %s: '%s'\n", k, sh_err_rule(e),
			       text);
		/* never a value: not Jansen, not the bad date */
		for (size_t i = 0; i < c[k].n; i++)
			if (strlen(c[k].kv[i][1]) > 2 &&
			    !CHECK(!strstr(text, c[k].kv[i][1])))
				printf("     case %zu repeats a value\n", k);
		if (e == SH_OK && c[k].n == 4)
			CHECK(strcmp(p.surname, "Jansen") == 0 &&
			      strcmp(p.birth_date, "1970-02-01") == 0);
	}
}

static void test_role_words(const sh_catalogue *cat)
{
	const sh_type_rule *a =
	    sh_catalogue_type(cat, SEINHUIS__SIGNAL_TYPE__ARREARS);
	const sh_type_rule *f =
	    sh_catalogue_type(cat, SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK);
	struct sig s;
	struct expect x;
	if (a) {
		make_base(&s, a, "landlord", "legal_duty");
		expect_set(&x, SH_ERR_SENDER_ROLE, "sender", NULL, 0);
		run("arrears sent by 'landlord energy'", cat, a->type,
		    "landlord energy", "municipality_debt", &s, &x);
		sig_free(&s);
	}
	if (f) {
		make_base(&s, f, "municipality_debt", "consent");
		expect_set(&x, SH_ERR_RECIPIENT_ROLE, "recipient", NULL, 0);
		run("status_feedback sent to 'landlord energy'", cat, f->type,
		    "municipality_debt", "landlord energy", &s, &x);
		sig_free(&s);
	}
}

static void test_helpers(void)
{
	Seinhuis__Field f[3], *p[3];
	const char *nv[3][2] = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
	for (int i = 0; i < 3; i++) {
		seinhuis__field__init(&f[i]);
		f[i].name = (char *)nv[i][0];
		f[i].value = (char *)nv[i][1];
		p[i] = &f[i];
	}
	check_case("sh_field_name_ok: a field name's form");
	static const char *const ok[] = {
	    "a",
	    "amount_cents",
	    "person2.surname",
	    "person9.bsn",
	    "x1",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefgh"};
	static const char *const bad[] = {
	    "",
	    "Jansen",
	    "jansen-zuidhof",
	    "123456782",
	    "1980-05-12",
	    "1234 AB",
	    "j.jansen@example.nl",
	    "_x",
	    "person0.surname",
	    "person2.",
	    "person2.Surname",
	    "a b",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghi",
	    "caf\xc3\xa9"};
	for (size_t i = 0; i < N(ok); i++)
		if (!CHECK(sh_field_name_ok(ok[i])))
			printf("     '%s'\n", ok[i]);
	for (size_t i = 0; i < N(bad); i++)
		if (!CHECK(!sh_field_name_ok(bad[i])))
			printf("     '%s'\n", bad[i]);
	check_case("sh_field_value");
	CHECK_STR(sh_field_value(p, 3, "a"), "1");
	CHECK_STR(sh_field_value(p, 3, "b"), "2");
	CHECK(sh_field_value(p, 3, "c") == NULL);
	CHECK(sh_field_value(p, 0, "a") == NULL);

	check_case("sh_today");
	char t[11];
	sh_today(t);
	CHECK_INT(strlen(t), 10);
	CHECK(t[4] == '-' && t[7] == '-');
	CHECK(atoi(t) >= 2024 && atoi(t) < 10000);
}

/* ----------------------------------------------------- catalogue parser */

#define HEAD                                                                   \
	"seinhuis_catalogue = 1\n"                                             \
	"[arrears]\n"                                                          \
	"senders = landlord\n"                                                 \
	"recipients = municipality_debt\n"                                     \
	"legal_basis = legal_duty\n"

#define REFHEAD                                                                \
	"seinhuis_catalogue = 1\n"                                             \
	"[referral]\n"                                                         \
	"senders = professional\n"                                             \
	"recipients = municipality_team\n"                                     \
	"legal_basis = consent\n"

static const struct broken {
	const char *title;
	const char *text;
	int lo, hi;         /* "line N:" with lo <= N <= hi */
	const char *needle; /* in the reason */
} broken[] = {
    {"no magic line", "# a comment\nsenders = landlord\n", 2, 2,
     "first statement"},
    {"no magic line, a section first",
     "[arrears]\nsenders = landlord\nrecipients = municipality_debt\n"
     "legal_basis = legal_duty\n",
     1, 1, "seinhuis_catalogue"},
    {"magic line of format 2", "seinhuis_catalogue = 2\n", 1, 1, "must be 1"},
    {"unknown statement", HEAD "colour = blue\n", 6, 6, "unknown statement"},
    {"a comment after an enum's words",
     HEAD "field urgency = required enum none eviction # the usual\n", 6, 6,
     "a comment goes on a line of its own"},
    {"a required int that allows 0",
     HEAD "field amount_cents = required int 0 5\n", 6, 6, "may not allow 0"},
    {"a required int from below 0",
     HEAD "field amount_cents = required int -3 5\n", 6, 6, "may not allow 0"},
    {"natural_key of nine names",
     HEAD "field creditor_reference = optional text 1 64\n"
          "natural_key = creditor_reference creditor_reference "
          "creditor_reference creditor_reference creditor_reference "
          "creditor_reference creditor_reference creditor_reference "
          "creditor_reference\n",
     7, 7, "natural_key names 1 to 8 fields"},
    {"statement outside a section",
     "seinhuis_catalogue = 1\n\nsenders = "
     "landlord\n",
     3, 3, "outside"},
    {"line without =", HEAD "senders landlord\n", 6, 6, "key = value"},
    {"unknown signal type", HEAD "[mortgage]\n", 6, 6, "not a signal type"},
    {"purpose_field before its field line", REFHEAD "purpose_field = purpose\n",
     6, 6, "has no field line"},
    {"purpose_field on a text field",
     REFHEAD "field purpose = required text 1 20\npurpose_field = purpose\n", 7,
     7, "required enum field"},
    {"purpose_field on an optional enum",
     REFHEAD "field purpose = optional enum debts\npurpose_field = purpose\n",
     7, 7, "required enum field"},
    {"purpose_field on a field only some senders send",
     REFHEAD "field purpose = required enum debts only professional\n"
             "purpose_field = purpose\n",
     7, 7, "for all senders"},
    {"purpose_field given twice",
     REFHEAD "field purpose = required enum debts\npurpose_field = purpose\n"
             "purpose_field = purpose\n",
     8, 8, "given twice"},
    {"purpose and purpose_field both",
     REFHEAD "purpose = referral\nfield purpose = required enum debts\n"
             "purpose_field = purpose\n",
     2, 2, "both purpose and purpose_field"},
    {"purpose_field without the basis consent",
     "seinhuis_catalogue = 1\n[referral]\nsenders = professional\n"
     "recipients = municipality_team\nlegal_basis = legal_task\n"
     "field purpose = required enum debts\npurpose_field = purpose\n",
     2, 2, "does not allow the legal basis consent"},
    {"section line unclosed", HEAD "[referral\n", 6, 6, "section line"},
    {"section line with trailing text", HEAD "[referral] x\n", 6, 6,
     "section line"},
    {"section given twice",
     HEAD "field amount_cents = required int 1 5\n[arrears]\n", 7, 7,
     "given twice"},
    {"field not in the wire schema",
     HEAD "field shoe_size = optional text 1 5\n", 6, 6, "wire format"},
    {"field of another type",
     HEAD "field escalation_level = optional int 0 "
          "4\n",
     6, 6, "wire format"},
    {"personal field in a type without sealed part",
     "seinhuis_catalogue = 1\n[vt_notice]\nsenders = veilig_thuis\n"
     "recipients = professional\nlegal_basis = legal_task\n"
     "field surname = required personal text 1 100\n",
     6, 6, "wire format"},
    {"legal_basis as a field line",
     HEAD "field legal_basis = required text 1 20\n", 6, 6, "legal_basis line"},
    {"consent_ref as a field line",
     HEAD "field consent_ref = optional text 1 32\n", 6, 6, "legal_basis line"},
    {"clear field marked personal",
     HEAD "field arrears_kind = required personal enum rent\n", 6, 6,
     "in clear"},
    {"personal field not marked", HEAD "field surname = required text 1 100\n",
     6, 6, "mark it personal"},
    {"neither required nor optional",
     HEAD "field urgency = mandatory enum none\n", 6, 6, "'required' or"},
    {"check missing", HEAD "field urgency = required\n", 6, 6,
     "check is missing"},
    {"unknown check", HEAD "field creditor_contact = required textual 1 200\n",
     6, 6, "unknown check"},
    {"text MIN > MAX", HEAD "field creditor_contact = required text 200 1\n", 6,
     6, "MIN MAX"},
    {"text without MAX", HEAD "field creditor_contact = required text 1\n", 6,
     6, "MIN MAX"},
    {"text beyond 4000",
     HEAD "field creditor_contact = required text 1 "
          "4001\n",
     6, 6, "MIN MAX"},
    {"text below 0", HEAD "field creditor_contact = required text -1 5\n", 6, 6,
     "MIN MAX"},
    {"int not a number", HEAD "field amount_cents = required int one 5\n", 6, 6,
     "MIN MAX"},
    {"int MIN > MAX", HEAD "field amount_cents = required int 5 1\n", 6, 6,
     "MIN (5) is greater than MAX (1)"},
    {"int MIN > MAX, large",
     HEAD "field amount_cents = required int 100000000 1\n", 6, 6,
     "int MIN MAX: MIN (100000000) is greater than MAX (1)"},
    {"a comment after keep_sent", HEAD "keep_sent = 12 months # AVG\n", 6, 6,
     "keep_sent: a comment goes on a line of its own, not after a "
     "statement"},
    {"a comment after senders",
     "seinhuis_catalogue = 1\n[arrears]\nsenders = landlord #x\n", 3, 3,
     "senders: a comment goes on a line of its own"},
    {"digits 0", HEAD "field municipality_code = optional digits 0\n", 6, 6,
     "digits"},
    {"digits 33", HEAD "field municipality_code = optional digits 33\n", 6, 6,
     "digits"},
    {"digits without count",
     HEAD "field municipality_code = optional "
          "digits\n",
     6, 6, "digits"},
    {"date future", HEAD "field reminder_date = required date future\n", 6, 6,
     "unexpected"},
    {"text with three numbers",
     HEAD "field creditor_contact = required text 1 20 30\n", 6, 6,
     "unexpected"},
    {"postcode with an argument",
     HEAD "field postcode = required personal postcode 4\n", 6, 6,
     "unexpected"},
    {"enum without words", HEAD "field urgency = required enum\n", 6, 6,
     "at least one word"},
    {"enum with only but no words",
     HEAD "field urgency = required enum only landlord\n", 6, 6,
     "at least one word"},
    {"only without roles", HEAD "field urgency = required enum none only\n", 6,
     6, "'only' needs roles"},
    {"bad role in only",
     HEAD "field birth_date = optional personal date past only tenant\n", 6, 6,
     "not a known role"},
    {"bad role in senders",
     "seinhuis_catalogue = 1\n[arrears]\nsenders = landlord tenant\n", 3, 3,
     "not a known role"},
    {"no role in senders", "seinhuis_catalogue = 1\n[arrears]\nsenders =\n", 3,
     3, "at least one role"},
    {"bad role in recipients",
     "seinhuis_catalogue = 1\n[arrears]\nsenders = landlord\n"
     "recipients = municipality\n",
     4, 4, "not a known role"},
    {"unknown legal basis",
     "seinhuis_catalogue = 1\n[arrears]\nsenders = landlord\n"
     "recipients = municipality_debt\nlegal_basis = legal_duty goodwill\n",
     5, 5, "not a legal basis"},
    {"empty legal basis",
     "seinhuis_catalogue = 1\n[arrears]\nsenders = landlord\n"
     "recipients = municipality_debt\nlegal_basis =\n",
     5, 5, "at least one basis"},
    {"consent without purpose, last section",
     "seinhuis_catalogue = 1\n[referral]\nsenders = professional\n"
     "recipients = municipality_team\nlegal_basis = consent\n"
     "field purpose = required text 1 200\n",
     2, 6, "names no purpose"},
    {"consent without purpose, another section follows",
     "seinhuis_catalogue = 1\n[referral]\nsenders = professional\n"
     "recipients = municipality_team\nlegal_basis = consent\n"
     "field purpose = required text 1 200\n"
     "[vt_notice]\nsenders = veilig_thuis\nrecipients = professional\n"
     "legal_basis = legal_task\n",
     2, 6, "names no purpose"},
    {"section without senders, another section follows",
     "seinhuis_catalogue = 1\n[referral]\nrecipients = municipality_team\n"
     "legal_basis = legal_task\n[vt_notice]\nsenders = veilig_thuis\n"
     "recipients = professional\nlegal_basis = legal_task\n",
     2, 4, "no 'senders' line"},
    {"section without legal_basis, last section",
     "seinhuis_catalogue = 1\n[referral]\nsenders = professional\n"
     "recipients = municipality_team\n",
     2, 4, "no 'legal_basis' line"},
    {"purpose not one word", HEAD "purpose = Debt Help\n", 6, 6,
     "purpose is one word"},
    {"rule naming a field without field line",
     HEAD "rule justification required when legal_basis = meldrecht\n", 6, 6,
     "no field line"},
    {"rule on a field without field line",
     HEAD "field urgency = required enum none\n"
          "rule urgency required when colour = red\n",
     7, 7, "no field line"},
    {"rule neither required nor includes",
     HEAD "field urgency = optional enum none\n"
          "rule urgency maybe when legal_basis = legal_duty\n",
     7, 7, "'required', 'includes LIST' or 'one_of LIST'"},
    {"rule one_of for a role that does not send the type",
     HEAD "field arrears_kind = required enum rent water\n"
          "rule arrears_kind one_of water when sender = water\n",
     7, 7, "'water' is not one of the section's senders"},
    {"rule whose value its enum field cannot have",
     HEAD "field urgency = required enum none eviction\n"
          "field arrears_kind = required enum rent water\n"
          "rule arrears_kind one_of rent when urgency = evicton\n",
     8, 8, "'evicton' is not a value of 'urgency'"},
    {"rule on a legal basis the section does not allow",
     HEAD "field urgency = optional enum none\n"
          "rule urgency required when legal_basis = legal_dty\n",
     7, 7, "'legal_dty' is not a value of 'legal_basis'"},
    {"rule one_of an item its enum field cannot have",
     HEAD "field urgency = required enum none eviction\n"
          "field arrears_kind = required enum rent water\n"
          "rule arrears_kind one_of rnt when urgency = eviction\n",
     8, 8, "'rnt' is not a value of 'arrears_kind'"},
    {"rule includes a step that is not one",
     "seinhuis_catalogue = 1\n[meldcode_report]\nsenders = professional\n"
     "recipients = veilig_thuis\nlegal_basis = meldrecht\n"
     "field steps_taken = required steps\n"
     "rule steps_taken includes 1,2,9 when legal_basis = meldrecht\n",
     7, 7, "'9' is not a value of 'steps_taken'"},
    {"rule one_of without a list",
     HEAD "field arrears_kind = required enum rent water\n"
          "rule arrears_kind one_of when sender = landlord\n",
     7, 7, "when FIELD = VALUE"},
    {"rule without when",
     HEAD "field urgency = optional enum none\n"
          "rule urgency required if legal_basis = legal_duty\n",
     7, 7, "when FIELD = VALUE"},
    {"rule without value",
     HEAD "field urgency = optional enum none\n"
          "rule urgency required when legal_basis =\n",
     7, 7, "when FIELD = VALUE"},
    {"rule outside a section",
     "seinhuis_catalogue = 1\nrule urgency required when legal_basis = x\n", 2,
     2, "outside"},
    {"duration in weeks", HEAD "keep_taken = 12 weeks\n", 6, 6, "keep_taken"},
    {"keep_sent without unit", HEAD "keep_sent = 12\n", 6, 6, "keep_sent"},
    {"keep_sent in weeks", HEAD "keep_sent = 2 weeks\n", 6, 6, "keep_sent"},
    {"duration in words", HEAD "keep_taken = twelve months\n", 6, 6,
     "keep_taken"},
    {"negative duration", HEAD "keep_unanswered = -1 months\n", 6, 6,
     "keep_unanswered"},
    {"duration without unit", HEAD "keep_taken = 12\n", 6, 6, "keep_taken"},
    {"duration 2 month", HEAD "keep_taken = 2 month\n", 6, 6, "keep_taken"},
    {"duration with three words", HEAD "keep_taken = 1 months 2\n", 6, 6,
     "keep_taken"},
    {"duration too long", HEAD "keep_taken = 1000001 days\n", 6, 6,
     "keep_taken"},
    {"keep_unanswered 0", HEAD "keep_unanswered = 0 months\n", 6, 6,
     "keep_unanswered must be longer than 0"},
    {"keep_taken 0", HEAD "keep_taken = 0 days\n", 6, 6,
     "keep_taken must be longer than 0"},
    {"keep_sent 0", HEAD "keep_sent = 0 seconds\n", 6, 6,
     "keep_sent must be longer than 0"},
    {"persons 0", HEAD "persons = 0\n", 6, 6, "persons is 1 to 8"},
    {"persons 9", HEAD "persons = 9\n", 6, 6, "persons is 1 to 8"},
    {"persons in words", HEAD "persons = two\n", 6, 6, "persons is 1 to 8"},
    {"persons empty", HEAD "persons =\n", 6, 6, "persons is 1 to 8"},
    {"field given twice",
     HEAD "field urgency = required enum none\n"
          "field urgency = optional enum eviction\n",
     7, 7, "given twice"},
    {"bad feedback", HEAD "feedback = sometimes\n", 6, 6, "feedback is"},
    {"senders given twice", HEAD "senders = energy\n", 6, 6,
     "'senders' is given twice in [arrears]"},
    {"persons given twice", HEAD "persons = 2\npersons = 3\n", 7, 7,
     "'persons' is given twice"},
    {"keep_sent given twice", HEAD "keep_sent = 1 days\nkeep_sent = 2 days\n",
     7, 7, "'keep_sent' is given twice"},
    {"keep_closed given twice",
     HEAD "keep_closed = 1 days\nkeep_closed = 2 days\n", 7, 7,
     "'keep_closed' is given twice"},
    {"keep_closed 0", HEAD "keep_closed = 0 days\n", 6, 6,
     "keep_closed must be longer than 0"},
    {"keep_consent 0", HEAD "keep_consent = 0 days\n", 6, 6,
     "keep_consent must be longer than 0"},
    {"keep_consent without unit", HEAD "keep_consent = 18\n", 6, 6,
     "keep_consent takes 'N seconds|minutes|hours|days|months|years'"},
    {"keep_consent given twice",
     HEAD "keep_consent = 1 days\nkeep_consent = 2 days\n", 7, 7,
     "'keep_consent' is given twice"},
    {"keep_closed without unit", HEAD "keep_closed = 18\n", 6, 6,
     "keep_closed takes"},
    {"keep_closed shorter than keep_taken",
     HEAD "keep_taken = 24 months\nkeep_closed = 12 months\n", 2, 2,
     "keep_closed is shorter than keep_taken"},
    {"a rule's value too long",
     HEAD "field arrears_kind = required enum rent\n"
          "field urgency = optional enum none\n"
          "rule urgency required when arrears_kind = "
          "a123456789b123456789c123456789d123456789e123456789f123456789"
          "g1234\n",
     8, 8, "a value of at most 63 bytes"},
};

static void test_parser(const char *path)
{
	sh_catalogue cat;
	char why[600];

	for (size_t i = 0; i < N(broken); i++) {
		const struct broken *b = &broken[i];
		check_case("broken catalogue: %s", b->title);
		why[0] = '\0';
		sh_err e = sh_catalogue_parse(&cat, b->text, strlen(b->text),
		                              why, sizeof(why));
		if (!CHECK_ERR(e, SH_ERR_CATALOGUE)) {
			if (e == SH_OK)
				sh_catalogue_free(&cat);
			continue;
		}
		/* freed on failure */
		CHECK(cat.types == NULL && cat.ntypes == 0);
		int line = -1;
		if (strncmp(why, "line ", 5) == 0)
			line = atoi(why + 5);
		if (!check_note(line >= b->lo && line <= b->hi, __FILE__,
		                __LINE__, "the reason names the right line"))
			printf("     want line %d..%d: %s\n", b->lo, b->hi,
			       why);
		CHECK(strstr(why, ": ") != NULL);
		CHECK_HAS(why, b->needle);
	}

	/* Not line-bound. */
	check_case("catalogue with a NUL byte");
	static const char nul[] = "seinhuis_catalogue = 1\n\0[arrears]\n";
	CHECK_ERR(
	    sh_catalogue_parse(&cat, nul, sizeof(nul) - 1, why, sizeof(why)),
	    SH_ERR_CATALOGUE);
	CHECK_HAS(why, "NUL");
	/* also where 0 travels now (escalation_level): a sender of an
	 * older version leaves it out */
	check_case("a required int that allows 0, where 0 travels");
	static const char zero_no[] =
	    "seinhuis_catalogue = 1\n[vt_notice]\nsenders = veilig_thuis\n"
	    "recipients = municipality_team\nlegal_basis = legal_task\n"
	    "field escalation_level = required int 0 4\n";
	CHECK_ERR(sh_catalogue_parse(&cat, zero_no, strlen(zero_no), why,
	                             sizeof(why)),
	          SH_ERR_CATALOGUE);
	CHECK_HAS(why, "may not allow 0");
	check_case("natural_key with tabs: kept with single spaces");
	static const char tabs[] =
	    HEAD "field creditor_reference = optional text 1 64\n"
	         "field arrears_kind = required enum rent gas\n"
	         "natural_key = creditor_reference\t\tarrears_kind \n";
	if (CHECK_ERR(
	        sh_catalogue_parse(&cat, tabs, strlen(tabs), why, sizeof(why)),
	        SH_OK)) {
		const sh_type_rule *t =
		    sh_catalogue_type(&cat, SEINHUIS__SIGNAL_TYPE__ARREARS);
		CHECK(t != NULL);
		if (t)
			CHECK_STR(t->natural_key,
			          "creditor_reference arrears_kind");
		sh_catalogue_free(&cat);
	}
	check_case("a file saved with a UTF-8 byte order mark (Windows)");
	static const char bom[] = "\xef\xbb\xbf# catalogue\r\n" HEAD
	                          "field amount_cents = required int 1 5\n";
	if (CHECK_ERR(
	        sh_catalogue_parse(&cat, bom, strlen(bom), why, sizeof(why)),
	        SH_OK))
		sh_catalogue_free(&cat);
	check_case("field and rule followed by a tab");
	static const char tabbed[] =
	    HEAD "field\tamount_cents = required int 1 5\n"
	         "field arrears_kind = required enum rent gas\n"
	         "rule\tarrears_kind one_of rent when sender = landlord\n";
	if (CHECK_ERR(sh_catalogue_parse(&cat, tabbed, strlen(tabbed), why,
	                                 sizeof(why)),
	              SH_OK)) {
		const sh_type_rule *t =
		    sh_catalogue_type(&cat, SEINHUIS__SIGNAL_TYPE__ARREARS);
		CHECK(t && rule_of(t, "amount_cents") != NULL);
		sh_catalogue_free(&cat);
	}
	check_case("catalogue without types");
	static const char none[] = "seinhuis_catalogue = 1\n# nothing\n";
	CHECK_ERR(
	    sh_catalogue_parse(&cat, none, strlen(none), why, sizeof(why)),
	    SH_ERR_CATALOGUE);
	CHECK_HAS(why, "no signal type");
	check_case("catalogue with a line too long");
	char *longer = sh_xmalloc(4000);
	snprintf(longer, 4000, "%s# ", HEAD);
	size_t l = strlen(longer);
	memset(longer + l, 'x', 3000);
	longer[l + 3000] = '\0';
	CHECK_ERR(
	    sh_catalogue_parse(&cat, longer, strlen(longer), why, sizeof(why)),
	    SH_ERR_CATALOGUE);
	CHECK_HAS(why, "line 6: line too long");
	free(longer);

	/* A good one, with every statement. */
	static const char good[] =
	    "# comment\n"
	    "  seinhuis_catalogue = 1  \n"
	    "\n"
	    "[ meldcode_report ]\n"
	    "senders = professional municipality_team\n"
	    "recipients = veilig_thuis\n"
	    "legal_basis = meldrecht consent\n"
	    "purpose = meldcode\n"
	    "persons = 8\n"
	    "keep_unanswered = 1 month\n"
	    "keep_taken = 2 years\n"
	    "feedback = legal_task\n"
	    "field urgency = required enum acute structural only professional\n"
	    "field steps_taken = optional steps\n"
	    "field surname = required personal text 0 4000\n"
	    "field bsn = optional personal bsn only municipality_team\n"
	    "rule steps_taken includes 1,2 when legal_basis = meldrecht\n"
	    "rule urgency required when legal_basis = consent\n";
	check_case("good catalogue");
	if (CHECK_ERR(
	        sh_catalogue_parse(&cat, good, strlen(good), why, sizeof(why)),
	        SH_OK)) {
		const sh_type_rule *t = sh_catalogue_type(
		    &cat, SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT);
		if (CHECK(t != NULL)) {
			CHECK_INT(t->persons, 8);
			CHECK_INT(t->keep_unanswered_s, 2592000);
			CHECK_INT(t->keep_taken_s, 2 * 31536000LL);
			/* not given: the default */
			CHECK_INT(t->keep_sent_s, 12 * 2592000LL);
			CHECK_STR(t->feedback, "legal_task");
			CHECK_INT(t->nfields, 4);
			CHECK_INT(t->nconds, 2);
			if (t->nfields == 4) {
				CHECK_STR(t->fields[0].words,
				          "acute structural");
				CHECK_STR(t->fields[0].only, "professional");
				CHECK_INT(t->fields[0].line, 13);
				CHECK_INT(t->fields[2].max, 4000);
				CHECK_INT(t->fields[3].kind, CHK_BSN);
			}
			if (t->nconds == 2) {
				CHECK_STR(t->conds[0].includes, "1,2");
				CHECK_STR(t->conds[0].when, "legal_basis");
				CHECK_STR(t->conds[0].value, "meldrecht");
				CHECK_STR(t->conds[1].includes, "");
			}
		}
		CHECK(sh_catalogue_type(&cat, SEINHUIS__SIGNAL_TYPE__ARREARS) ==
		      NULL);
		sh_catalogue_free(&cat);
		CHECK(cat.types == NULL && cat.ntypes == 0);
	}

	/* The shipped file, read and parsed by hand as well. */
	check_case("shipped catalogue parses");
	size_t len = 0;
	char *text = fx_read(path, &len);
	if (CHECK(text != NULL)) {
		if (CHECK_ERR(
		        sh_catalogue_parse(&cat, text, len, why, sizeof(why)),
		        SH_OK))
			sh_catalogue_free(&cat);
		else
			printf("     %s\n", why);
		free(text);
	}
	check_case("catalogue file that is not there");
	CHECK_ERR(sh_catalogue_load(&cat, "/nonexistent/qz-catalogue.conf", why,
	                            sizeof(why)),
	          SH_ERR_CATALOGUE);
	CHECK_HAS(why, "/nonexistent/qz-catalogue.conf");
}

/* --------------------------------------------------------------- main */

/* The Dutch calendar date (sh_date_nl, sh_today): by hand, CET and CEST,
 * whatever the machine's time zone. Fixed moments around the changes of
 * 2026 and the turn of the year, then a sweep compared with the system's
 * Europe/Amsterdam zone where it is installed (this program has one
 * thread: it may set TZ). */
static void test_dutch_date(void)
{
	static const struct {
		int64_t ms;
		const char *day;
	} at[] = {
	    {1774745999000, "2026-03-29"}, /* 00:59:59 UTC, CET */
	    {1774746000000, "2026-03-29"}, /* 01:00 UTC: CEST from now */
	    {1774738799000, "2026-03-28"}, /* 23:59:59 CET */
	    {1774738800000, "2026-03-29"}, /* 00:00 CET */
	    {1774821599000, "2026-03-29"}, /* 23:59:59 CEST */
	    {1774821600000, "2026-03-30"}, /* 00:00 CEST */
	    {1792879199000, "2026-10-24"}, /* 23:59:59 CEST */
	    {1792879200000, "2026-10-25"}, /* 00:00 CEST */
	    {1792969199000, "2026-10-25"}, /* 23:59:59 CET */
	    {1792969200000, "2026-10-26"}, /* 00:00 CET */
	    {1798757999000, "2026-12-31"},
	    {1798758000000, "2027-01-01"}, /* 23:00 UTC on New Year's Eve */
	    {1709161200000, "2024-02-29"},
	    {-3600000, "1970-01-01"},
	    /* four digits of year, two of month and day, whatever the
	     * year: before 1000, and the last day of 9999 */
	    {-30627460800000, "0999-06-15"},
	    {-62009236800000, "0005-01-02"},
	    {253402257600000, "9999-12-31"},
	};
	char d[11];
	for (size_t i = 0; i < N(at); i++) {
		check_case("sh_date_nl(%lld)", (long long)at[i].ms);
		sh_date_nl(at[i].ms, d);
		CHECK_STR(d, at[i].day);
	}
	check_case("sh_today is the Dutch date of now");
	char t1[11], t2[11];
	sh_date_nl((int64_t)time(NULL) * 1000, t1);
	sh_today(d);
	sh_date_nl((int64_t)time(NULL) * 1000, t2);
	CHECK(strcmp(d, t1) == 0 || strcmp(d, t2) == 0);

	const char *old = getenv("TZ");
	char *keep = old ? strdup(old) : NULL;
	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	struct tm probe;
	time_t summer = 1782000000; /* June 2026 */
	if (localtime_r(&summer, &probe) && probe.tm_gmtoff == 7200) {
		check_case("sh_date_nl against the Europe/Amsterdam zone, "
		           "1997 to 2037");
		int bad = 0;
		for (time_t x = 852076800; x < 2145916800 && bad < 5;
		     x += 2333) {
			struct tm tm;
			char want[11];
			localtime_r(&x, &tm);
			strftime(want, sizeof(want), "%Y-%m-%d", &tm);
			sh_date_nl((int64_t)x * 1000, d);
			if (!CHECK_STR(d, want)) {
				printf("     at %lld\n", (long long)x);
				bad++;
			}
		}
	} else {
		printf("note: no Europe/Amsterdam zone here: sweep skipped\n");
	}
	if (keep)
		setenv("TZ", keep, 1);
	else
		unsetenv("TZ");
	tzset();
	free(keep);
}

/* The recipient's own routing check (sh_route_recipient_check): with a
 * postcode table it works the municipality out from the postcode; the
 * refusal names codes, never the postcode. */
static void test_route_recipient(void)
{
	static const char table[] = "9901WA;0005\n1234AB;0363\n1235;0599\n";
	sh_routes r = {0}, none = {0};
	char why[256];
	check_case("sh_routes_parse");
	if (!CHECK_ERR(
	        sh_routes_parse(&r, table, strlen(table), why, sizeof(why)),
	        SH_OK))
		return;
	sh_card self, open;
	memset(&self, 0, sizeof(self));
	memset(&open, 0, sizeof(open));
	snprintf(self.municipalities, sizeof(self.municipalities), "0363");
	static const struct {
		int table;
		const char *pc, *given;
		sh_err want;
		const char *says;
	} cs[] = {
	    {1, "9901 WA", NULL, SH_ERR_ROUTE,
	     "municipality (by the postcode "
	     "table) 0005 is not one"},
	    {1, "9901wa", "", SH_ERR_ROUTE, "0005"},
	    {1, "1234 AB", NULL, SH_OK, NULL},
	    {1, "1234AB", "0363", SH_OK, NULL},
	    {1, "1234 AB", "0005", SH_ERR_ROUTE,
	     "municipality_code 0005 is "
	     "not the municipality"},
	    {1, "9901 WA", "0363", SH_ERR_ROUTE, "(0005)"},
	    {1, "1235 ZZ", NULL, SH_ERR_ROUTE, "0599"},
	    {1, "5555 XX", NULL, SH_OK, NULL},
	    {1, "5555 XX", "0005", SH_ERR_ROUTE, "municipality_code 0005"},
	    {1, NULL, "0363", SH_OK, NULL},
	    {0, "9901 WA", NULL, SH_OK, NULL},
	    {0, "9901 WA", "0363", SH_OK, NULL},
	    {0, "9901 WA", "0005", SH_ERR_ROUTE, "municipality_code 0005"},
	};
	for (size_t i = 0; i < N(cs); i++) {
		char detail[300] = "";
		check_case("recipient route check %zu: %s table, given %s", i,
		           cs[i].table ? "a" : "no",
		           cs[i].given ? cs[i].given : "none");
		sh_err e = sh_route_recipient_check(
		    cs[i].table ? &r : &none, &self, cs[i].pc, cs[i].given,
		    detail, sizeof(detail));
		if (!CHECK_ERR(e, cs[i].want))
			printf("     detail: %s\n", detail);
		if (cs[i].says && !CHECK(strstr(detail, cs[i].says) != NULL))
			printf("     detail: %s\n", detail);
		CHECK(!strstr(detail, "9901") && !strstr(detail, "1234") &&
		      !strstr(detail, "5555") && !strstr(detail, "1235"));
		check_case("... a card without municipalities: nothing to "
		           "check");
		CHECK_ERR(sh_route_recipient_check(&r, &open, cs[i].pc,
		                                   cs[i].given, detail,
		                                   sizeof(detail)),
		          SH_OK);
	}
	sh_routes_free(&r);
}

/* A text value that is blank once whitespace and invisible characters are
 * left out counts as missing where the field is required, and is refused
 * as FIELD_FORMAT where it is optional; on both sides. */
static void test_blank(const sh_catalogue *cat)
{
	check_case("sh_text_blank");
	static const char *const blank[] = {
	    "",
	    " ",
	    "\t ",
	    "\xc2\xa0",
	    "\xe2\x80\x8b",
	    " \xe2\x80\x80\xe2\x80\x8a\xe2\x80\xaf\xe2\x81\x9f\xe3\x80\x80",
	    "\xef\xbb\xbf\xe2\x80\x8c\xe2\x80\x8d\xe2\x81\xa0",
	    /* what the clear-text screen leaves out shows nothing either */
	    "\xc2\xad\xe2\x80\x8e\xe2\x80\xae\xe2\x81\xa9",
	};
	static const char *const text[] = {"x", " x ",           "\xc2\xa0x",
	                                   "0", "\xe2\x80\x8bx", "\xc3\xa9"};
	for (size_t i = 0; i < N(blank); i++)
		if (!CHECK(sh_text_blank(blank[i])))
			printf("     blank #%zu\n", i);
	for (size_t i = 0; i < N(text); i++)
		if (!CHECK(!sh_text_blank(text[i])))
			printf("     text #%zu\n", i);

	static const struct {
		Seinhuis__SignalType type;
		const char *sender, *recipient, *basis, *field, *v;
		sh_err want;
	} cs[] = {
	    {SEINHUIS__SIGNAL_TYPE__ARREARS, "landlord", "municipality_debt",
	     "legal_duty", "creditor_contact", " ", SH_ERR_FIELD_MISSING},
	    {SEINHUIS__SIGNAL_TYPE__ARREARS, "landlord", "municipality_debt",
	     "legal_duty", "street", "\xc2\xa0", SH_ERR_FIELD_MISSING},
	    {SEINHUIS__SIGNAL_TYPE__ARREARS, "landlord", "municipality_debt",
	     "legal_duty", "place", "\xe2\x80\x8b", SH_ERR_FIELD_MISSING},
	    {SEINHUIS__SIGNAL_TYPE__ARREARS, "landlord", "municipality_debt",
	     "legal_duty", "place", "  \xe3\x80\x80\xef\xbb\xbf",
	     SH_ERR_FIELD_MISSING},
	    {SEINHUIS__SIGNAL_TYPE__ARREARS, "landlord", "municipality_debt",
	     "legal_duty", "creditor_reference", " ", SH_ERR_FIELD_FORMAT},
	    {SEINHUIS__SIGNAL_TYPE__ARREARS, "landlord", "municipality_debt",
	     "legal_duty", "prefix", "\xe2\x80\x8b", SH_ERR_FIELD_FORMAT},
	    {SEINHUIS__SIGNAL_TYPE__ARREARS, "landlord", "municipality_debt",
	     "legal_duty", "place", " Stad ", SH_OK},
	    {SEINHUIS__SIGNAL_TYPE__VT_NOTICE, "veilig_thuis",
	     "municipality_team", "legal_task", "contact_point", "\xc2\xa0 ",
	     SH_ERR_FIELD_MISSING},
	    {SEINHUIS__SIGNAL_TYPE__VT_NOTICE, "veilig_thuis",
	     "municipality_team", "legal_task", "next_step", "\xe2\x80\xaf",
	     SH_ERR_FIELD_FORMAT},
	};
	for (size_t i = 0; i < N(cs); i++) {
		const sh_type_rule *t = sh_catalogue_type(cat, cs[i].type);
		if (!t || !rule_of(t, cs[i].field))
			continue;
		struct sig s;
		struct expect x;
		char title[256], buf[96];
		make_base(&s, t, cs[i].sender, cs[i].basis);
		sig_set(&s, cs[i].field, cs[i].v);
		expect_set(&x, cs[i].want, cs[i].want ? cs[i].field : NULL,
		           NULL, 0);
		snprintf(title, sizeof(title), "%s: blank %s = %s",
		         sh_signal_type_name(cs[i].type), cs[i].field,
		         show(cs[i].v, buf));
		run(title, cat, cs[i].type, cs[i].sender, cs[i].recipient, &s,
		    &x);
		sig_free(&s);
	}
}

/* Each field rule of every type of the catalogue is found by its name,
 * at its position (sh_type_values, which the natural key and the policy
 * check use; rule_by_hash's table), and names that are no field of the
 * type are not found. */
static void test_field_lookup(const sh_catalogue *cat)
{
	check_case("field rules found by name");
	static const char *const strangers[] = {"",
	                                        "x",
	                                        "arrears",
	                                        "surname ",
	                                        "Surname",
	                                        "person2.surname",
	                                        "legal_basis",
	                                        "consent_ref",
	                                        "amount_cent",
	                                        "amount_centss"};
	size_t found = 0;
	for (size_t ti = 0; ti < cat->ntypes; ti++) {
		const sh_type_rule *t = &cat->types[ti];
		for (size_t i = 0; i < t->nfields; i++) {
			Seinhuis__Field f = SEINHUIS__FIELD__INIT, *fp = &f;
			const char *vals[SH_TYPE_VALUES];
			f.name = (char *)t->fields[i].name;
			f.value = "v";
			sh_type_values(t, &fp, 1, vals);
			for (size_t k = 0; k < t->nfields && k < SH_TYPE_VALUES;
			     k++)
				if (!CHECK(vals[k] ==
				           (k == i ? f.value : NULL)))
					fprintf(stderr, "  %s: %s at %zu\n",
					        sh_signal_type_name(t->type),
					        f.name, k);
			found += vals[i] == f.value;
		}
		for (size_t j = 0; j < sizeof(strangers) / sizeof(*strangers);
		     j++) {
			Seinhuis__Field f = SEINHUIS__FIELD__INIT, *fp = &f;
			const char *vals[SH_TYPE_VALUES];
			f.name = (char *)strangers[j];
			f.value = "v";
			sh_type_values(t, &fp, 1, vals);
			for (size_t k = 0; k < SH_TYPE_VALUES; k++)
				CHECK(vals[k] == NULL);
		}
	}
	CHECK(found > 50); /* the shipped catalogue's fields, all of them */
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s deploy/catalogue.conf\n", argv[0]);
		return 2;
	}
	verbose = getenv("SH_TEST_VERBOSE") != NULL;
	sh_today(today);
	/* a year on: always in the future; 29 February has no next year */
	snprintf(future, sizeof(future), "%04d-%s", atoi(today) + 1,
	         strcmp(today + 5, "02-29") == 0 ? "02-28" : today + 5);

	sh_catalogue cat;
	char why[1024];
	check_case("load %s", argv[1]);
	if (!CHECK_ERR(sh_catalogue_load(&cat, argv[1], why, sizeof(why)),
	               SH_OK)) {
		printf("     %s\n", why);
		return check_done();
	}

	char *dir = fx_tmpdir("policy");
	char sub[1024], partner[64];
	int ok = 1;
	for (size_t i = 0; i < NROLES && ok; i++) {
		snprintf(partner, sizeof(partner), "s-%s", roles[i]);
		ok = fx_identity(&sender_id[i], dir, partner, roles[i], sub,
		                 sizeof(sub)) == 0;
		snprintf(partner, sizeof(partner), "r-%s", roles[i]);
		ok = ok && fx_identity(&recipient_id[i], dir, partner, roles[i],
		                       sub, sizeof(sub)) == 0;
	}
	check_case("identities");
	if (CHECK(ok)) {
		test_helpers();
		test_parser(argv[1]);
		test_shipped(&cat);
		test_type_values(&cat);
		test_types(&cat);
		for (size_t i = 0; i < cat.ntypes; i++)
			test_type(&cat, &cat.types[i]);
		test_strict_utf8(&cat);
		test_clear_text(&cat);
		test_role_words(&cat);
		test_known_names(&cat);
		test_consent_identifiers(&cat);
		test_consent_purpose(&cat);
		test_combinations(&cat);
		test_blank(&cat);
		test_field_lookup(&cat);
		test_route_recipient();
		test_dutch_date();
	}
	check_case("%s", "");
	printf("%d signals checked at the sender, %d of them again at the "
	       "recipient, %d refused by the wire itself (%d of them accepted "
	       "by the policy)\n",
	       n_cases, n_recipient, n_wire_refused, n_good_unbuildable);
	for (size_t i = 0; i < NROLES; i++) {
		sh_identity_wipe(&sender_id[i]);
		sh_identity_wipe(&recipient_id[i]);
	}
	sh_catalogue_free(&cat);
	fx_rm_rf(dir);
	free(dir);
	return check_done();
}
