/*
 * test_pseudonym.c - canonical identities and pairwise pseudonyms
 * (pseudonym.c, sh_pair_keys_derive in wire.c).
 *
 * The same resident typed in different ways must get the same canonical
 * identity, so that signals about her meet at the recipient; different
 * residents must not. Pseudonyms must agree between the two partners of a
 * pair and differ between pairs.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "seinhuis.h"

/* A person from the fields that make up a canonical identity. */
struct who {
	const char *surname, *prefix, *postcode, *house, *addition, *birth,
	    *bsn;
};

static void set(char **slot, const char *v)
{
	if (v)
		*slot = (char *)v;
}

static void person_from(Seinhuis__Person *p, const struct who *w)
{
	seinhuis__person__init(p);
	set(&p->surname, w->surname);
	set(&p->prefix, w->prefix);
	set(&p->postcode, w->postcode);
	set(&p->house_number, w->house);
	set(&p->house_number_addition, w->addition);
	set(&p->birth_date, w->birth);
	set(&p->bsn, w->bsn);
	p->initials = (char *)"J.";
	p->street = (char *)"Dorpsstraat";
	p->place = (char *)"Utrecht";
	p->phone = (char *)"0612345678";
	p->email = (char *)"j@example.nl";
}

static sh_err canon(const struct who *w, char *out, size_t n)
{
	Seinhuis__Person p;
	person_from(&p, w);
	out[0] = '\0';
	return sh_canonical_identity(&p, out, n);
}

/* Shape of a "nap:" identity: lower-case letters and digits for the
 * surname, the birth date as given, a valid postcode, the house number
 * without leading zero, a lower-case addition. */
static int nap_well_formed(const char *s)
{
	if (strncmp(s, "nap:", 4) != 0)
		return 0;
	s += 4;
	const char *bar = strchr(s, '|');
	if (!bar || bar == s)
		return 0;
	for (const char *p = s; p < bar; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p))
			return 0;
	s = strchr(bar + 1, '|'); /* past the birth date */
	if (!s)
		return 0;
	s++;
	if (strlen(s) < 8 || s[0] < '1' || s[0] > '9' ||
	    strspn(s, "0123456789") != 4 || !isupper((unsigned char)s[4]) ||
	    !isupper((unsigned char)s[5]) || s[6] != '|')
		return 0;
	s += 7;
	size_t digits = strspn(s, "0123456789");
	if (digits == 0 || s[0] == '0' || s[digits] != '|')
		return 0;
	for (const char *p = s + digits + 1; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p))
			return 0;
	return 1;
}

/* Every entry of a group names the same resident as the first. */
static void same_group(const char *title, const struct who *g, size_t n)
{
	char first[300], other[300];
	check_case("%s: [0]", title);
	if (!CHECK_ERR(canon(&g[0], first, sizeof(first)), SH_OK))
		return;
	CHECK(nap_well_formed(first) || strncmp(first, "bsn:", 4) == 0);
	for (size_t i = 1; i < n; i++) {
		check_case("%s: [%zu] surname \"%s\" postcode \"%s\" house "
		           "\"%s\"+\"%s\"",
		           title, i, g[i].surname ? g[i].surname : "",
		           g[i].postcode ? g[i].postcode : "",
		           g[i].house ? g[i].house : "",
		           g[i].addition ? g[i].addition : "");
		if (CHECK_ERR(canon(&g[i], other, sizeof(other)), SH_OK)) {
			if (!CHECK_STR(other, first))
				continue;
		}
	}
	check_case("%s", "");
}

#define BASE(sur)                                                              \
	{                                                                      \
		sur, NULL, "3512 JK", "7", NULL, "1970-05-06", NULL            \
	}

static void test_equal_forms(void)
{
	static const struct who berg[] = {
	    BASE("van der Berg"),
	    BASE("Van Der Berg"),
	    BASE("VAN DER BERG"),
	    BASE("  van   der  Berg  "),
	    BASE("Van der berg"),
	    BASE("v.d. Berg"),
	    BASE("vd Berg"),
	    BASE("Berg"),
	    {"Berg", "van der", "3512 JK", "7", NULL, "1970-05-06", NULL},
	    /* Non-breaking space between prefix and name (pasted from a
	     * spreadsheet): the fold table means it to be a separator. */
	    BASE("van der\xc2\xa0"
	         "Berg"),
	};
	same_group("prefixes in the surname", berg,
	           sizeof(berg) / sizeof(berg[0]));

	static const struct who vries[] = {
	    BASE("de Vries"),
	    BASE("De Vries"),
	    BASE("DE VRIES"),
	    BASE("Vries"),
	    {"Vries", "de", "3512JK", "7", "", "1970-05-06", NULL}};
	same_group("de Vries", vries, sizeof(vries) / sizeof(vries[0]));

	static const struct who hart[] = {
	    BASE("'t Hart"), BASE("\xe2\x80\x99t Hart"), /* U+2019 */
	    BASE("`t Hart"), BASE("T HART"), BASE("Hart")};
	same_group("'t Hart", hart, sizeof(hart) / sizeof(hart[0]));

	static const struct who ozturk[] = {
	    BASE("Van der Berg-\xc3\x96zt\xc3\xbcrk"), /* Öztürk */
	    BASE("van der berg-ozturk"),
	    BASE("Berg \xc3\x96ZT\xc3\x9cRK"),
	    BASE("Berg\xe2\x80\x91\xc3\x96zt\xc3\xbcrk"), /* U+2011 hyphen */
	    BASE("Berg\xe2\x80\x93Ozturk"),               /* en dash */
	    BASE("BergOzturk")};
	same_group("double surname with diacritics", ozturk,
	           sizeof(ozturk) / sizeof(ozturk[0]));

	static const struct who strauss[] = {BASE("Strau\xc3\x9f"),
	                                     BASE("Strauss"), BASE("STRAUSS")};
	same_group("sharp s", strauss, sizeof(strauss) / sizeof(strauss[0]));

	static const struct who ij[] = {BASE("R\xc4\xb3nders"), /* U+0133 */
	                                BASE("Rijnders"), BASE("RIJNDERS"),
	                                BASE("R\xc4\xb2NDERS") /* U+0132 */};
	same_group("ij digraph", ij, sizeof(ij) / sizeof(ij[0]));

	static const struct who acc[] = {BASE("Dupr\xc3\xa9"), BASE("Dupre"),
	                                 BASE("DUPR\xc3\x89"),
	                                 BASE("D\xc3\xbcpr\xc3\xa8")};
	same_group("accents", acc, sizeof(acc) / sizeof(acc[0]));

	static const struct who mueller[] = {BASE("M\xc3\xbcller"),
	                                     BASE("Muller")};
	same_group("u umlaut", mueller, sizeof(mueller) / sizeof(mueller[0]));

	static const struct who pc[] = {
	    {"Jansen", NULL, "1234 ab", "12", NULL, NULL, NULL},
	    {"Jansen", NULL, "1234AB", "12", NULL, NULL, NULL},
	    {"Jansen", NULL, " 1234  AB", "12", NULL, NULL, NULL},
	    {"Jansen", NULL, "1234ab", "12", NULL, NULL, NULL},
	    {"Jansen", NULL, "1234 AB ", "12", NULL, NULL, NULL}};
	same_group("postcodes", pc, sizeof(pc) / sizeof(pc[0]));

	static const struct who house[] = {
	    {"Jansen", NULL, "1234AB", "12A", NULL, NULL, NULL},
	    {"Jansen", NULL, "1234AB", "12-a", NULL, NULL, NULL},
	    {"Jansen", NULL, "1234AB", "12 a", NULL, NULL, NULL},
	    {"Jansen", NULL, "1234AB", "12 A", NULL, NULL, NULL},
	    {"Jansen", NULL, "1234AB", "12", "A", NULL, NULL},
	    {"Jansen", NULL, "1234AB", "12", "a", NULL, NULL},
	    {"Jansen", NULL, "1234AB", "12", "-a", NULL, NULL},
	    {"Jansen", NULL, "1234AB", " 12a", NULL, NULL, NULL}};
	same_group("house number additions", house,
	           sizeof(house) / sizeof(house[0]));

	static const struct who bis[] = {
	    {"Jansen", NULL, "1234AB", "12 bis", NULL, NULL, NULL},
	    {"Jansen", NULL, "1234AB", "12", "BIS", NULL, NULL},
	    {"Jansen", NULL, "1234AB", "12-bis", "", NULL, NULL}};
	same_group("house number 12 bis", bis, sizeof(bis) / sizeof(bis[0]));

	/* The documented example, spelled out. */
	char out[300];
	struct who doc = {"Van der Berg-\xc3\x96zt\xc3\xbcrk",
	                  NULL,
	                  "1234 ab",
	                  "12-A",
	                  NULL,
	                  "1970-05-06",
	                  NULL};
	CHECK_ERR(canon(&doc, out, sizeof(out)), SH_OK);
	CHECK_STR(out, "nap:bergozturk|1970-05-06|1234AB|12|a");
	struct who nobirth = {"Jansen", NULL, "1234AB", "12", NULL, NULL, NULL};
	CHECK_ERR(canon(&nobirth, out, sizeof(out)), SH_OK);
	CHECK_STR(out, "nap:jansen||1234AB|12|");

	/* The addition given apart; the household form; a buffer too small
	 * (cut and terminated); the number and addition read as at most 127
	 * bytes together, as they always were. */
	struct who apart = {"Jansen", NULL, "1234AB", "12", "Bis", NULL, NULL};
	CHECK_ERR(canon(&apart, out, sizeof(out)), SH_OK);
	CHECK_STR(out, "nap:jansen||1234AB|12|bis");
	Seinhuis__Person hp;
	person_from(&hp, &apart);
	CHECK_ERR(sh_household(&hp, out, sizeof(out)), SH_OK);
	CHECK_STR(out, "household:1234AB|12|bis");
	char small[10];
	CHECK_ERR(canon(&apart, small, sizeof(small)), SH_OK);
	CHECK_STR(small, "nap:janse");
	char num[160];
	for (int cut = 0; cut < 2; cut++) {
		/* "12", then 126 or 127 spaces, then "c" */
		memcpy(num, "12", 2);
		memset(num + 2, ' ', (size_t)(126 + cut));
		num[128 + cut] = 'c';
		num[129 + cut] = '\0';
		struct who far = {"Jansen", NULL, "1234AB", num,
		                  "d",      NULL, NULL};
		CHECK_ERR(canon(&far, out, sizeof(out)), SH_OK);
		CHECK_STR(out, cut ? "nap:jansen||1234AB|12|"
		                   : "nap:jansen||1234AB|12|c");
	}
}

/* Pairs that name different residents, or the same address differently. */
static void test_different(void)
{
	static const struct {
		struct who x, y;
		const char *why;
	} d[] = {
	    {BASE("de Vries"), BASE("de Vos"), "surname"},
	    {BASE("Berg"), BASE("Bergh"), "surname"},
	    {BASE("Bergsma"), BASE("Berg"), "surname"},
	    {{"Jansen", NULL, "1234AB", "12", NULL, NULL, NULL},
	     {"Jansen", NULL, "1234AB", "13", NULL, NULL, NULL},
	     "house number"},
	    {{"Jansen", NULL, "1234AB", "12", NULL, NULL, NULL},
	     {"Jansen", NULL, "1234AB", "12A", NULL, NULL, NULL},
	     "addition"},
	    {{"Jansen", NULL, "1234AB", "12A", NULL, NULL, NULL},
	     {"Jansen", NULL, "1234AB", "12B", NULL, NULL, NULL},
	     "addition"},
	    {{"Jansen", NULL, "1234AB", "1", "2", NULL, NULL},
	     {"Jansen", NULL, "1234AB", "12", NULL, NULL, NULL},
	     "house number split"},
	    {{"Jansen", NULL, "1234AB", "12", NULL, NULL, NULL},
	     {"Jansen", NULL, "1234AC", "12", NULL, NULL, NULL},
	     "postcode"},
	    {{"Jansen", NULL, "1234AB", "12", NULL, "1970-05-06", NULL},
	     {"Jansen", NULL, "1234AB", "12", NULL, "1970-05-07", NULL},
	     "birth date"},
	    {{"Jansen", NULL, "1234AB", "12", NULL, "1970-05-06", NULL},
	     {"Jansen", NULL, "1234AB", "12", NULL, NULL, NULL},
	     "birth date held or not"},
	    {{"Jansen", NULL, "1234AB", "12", NULL, NULL, "111222333"},
	     {"Jansen", NULL, "1234AB", "12", NULL, NULL, "123456782"},
	     "bsn"},
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		char a[300], b[300];
		check_case("different %s (%zu)", d[i].why, i);
		CHECK_ERR(canon(&d[i].x, a, sizeof(a)), SH_OK);
		CHECK_ERR(canon(&d[i].y, b, sizeof(b)), SH_OK);
		CHECK(strcmp(a, b) != 0);
	}
	check_case("%s", "");
}

/* The eleven test, written out here independently of pseudonym.c. */
static int elf_ok(const char *d)
{
	int sum = 0;
	for (int i = 0; i < 8; i++)
		sum += (9 - i) * (d[i] - '0');
	sum -= d[8] - '0';
	return sum % 11 == 0;
}

static void test_bsn(void)
{
	char out[300];
	static const char *valid[] = {"111222333", "123456782"};
	for (size_t i = 0; i < 2; i++) {
		struct who w = {NULL, NULL, NULL, NULL, NULL, NULL, valid[i]};
		char want[32];
		snprintf(want, sizeof(want), "bsn:%s", valid[i]);
		check_case("bsn %s", valid[i]);
		CHECK(elf_ok(valid[i]));
		/* No name or address needed when the BSN is held. */
		CHECK_ERR(canon(&w, out, sizeof(out)), SH_OK);
		CHECK_STR(out, want);
		/* The BSN wins over name and address. */
		struct who full = {"Jansen", NULL,         "1234AB", "12",
		                   NULL,     "1970-05-06", valid[i]};
		CHECK_ERR(canon(&full, out, sizeof(out)), SH_OK);
		CHECK_STR(out, want);
	}

	/* Generated: for 8-digit stems, the check digit that passes, and
	 * every other last digit, which must fail. */
	int accepted = 0, refused = 0, wrong = 0;
	for (unsigned stem = 10000000; stem < 99999999; stem += 7654321) {
		char bsn[10];
		snprintf(bsn, sizeof(bsn), "%08u0", stem);
		for (int last = 0; last <= 9; last++) {
			bsn[8] = (char)('0' + last);
			struct who w = {NULL, NULL, NULL, NULL,
			                NULL, NULL, bsn};
			sh_err e = canon(&w, out, sizeof(out));
			if (elf_ok(bsn)) {
				accepted++;
				if (e != SH_OK || strcmp(out + 4, bsn) != 0)
					wrong++;
			} else {
				refused++;
				if (e != SH_ERR_FIELD_VALUE ||
				    strcmp(out, "bsn") != 0)
					wrong++;
			}
		}
	}
	check_case("%s", "generated BSNs");
	CHECK(accepted > 0);
	CHECK(refused > 0);
	CHECK_INT(wrong, 0);

	static const char *invalid[] = {
	    "111222334",  "123456789", "12345678",    "1234567820",
	    "11122233a",  "000000000", "111 222 333", "111.222.333",
	    " 111222333", "-11222333"};
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		struct who w = {"Jansen", NULL, "1234AB",  "12",
		                NULL,     NULL, invalid[i]};
		check_case("invalid bsn \"%s\"", invalid[i]);
		CHECK_ERR(canon(&w, out, sizeof(out)), SH_ERR_FIELD_VALUE);
		CHECK_STR(out, "bsn");
	}
	check_case("%s", "");
}

static void test_refusals(void)
{
	char out[300];
	static const struct {
		struct who w;
		sh_err e;
		const char *field;
	} r[] = {
	    {{NULL, NULL, "1234AB", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_MISSING,
	     "surname"},
	    {{"", "van", "1234AB", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_MISSING,
	     "surname"},
	    {{"Jansen", NULL, NULL, "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_MISSING,
	     "postcode"},
	    {{"Jansen", NULL, "", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_MISSING,
	     "postcode"},
	    {{"Jansen", NULL, "1234AB", NULL, "A", NULL, NULL},
	     SH_ERR_FIELD_MISSING,
	     "house_number"},
	    {{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
	     SH_ERR_FIELD_MISSING,
	     "surname"},
	    {{"-", NULL, "1234AB", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "surname"},
	    {{"\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2", NULL,
	      "1234AB", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "surname"}, /* Cyrillic: cannot be folded */
	    {{"Jansen\xf0\x9f\x98\x80", NULL, "1234AB", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "surname"}, /* emoji */
	    {{"Jans\xc3", NULL, "1234AB", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "surname"}, /* truncated UTF-8 */
	    {{"Jansen", NULL, "123AB", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "postcode"},
	    {{"Jansen", NULL, "0123AB", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "postcode"},
	    {{"Jansen", NULL, "1234ABC", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "postcode"},
	    {{"Jansen", NULL, "AB1234", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "postcode"},
	    {{"Jansen", NULL, "1234-AB", "12", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "postcode"},
	    {{"Jansen", NULL, "1234AB", "A12", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "house_number"},
	    {{"Jansen", NULL, "1234AB", "012", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "house_number"},
	    {{"Jansen", NULL, "1234AB", "12", "a|b", NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "house_number"},
	    {{"Jansen", NULL, "1234AB", "1234567", NULL, NULL, NULL},
	     SH_ERR_FIELD_VALUE,
	     "house_number"},
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		check_case("refusal %zu (%s)", i, r[i].field);
		CHECK_ERR(canon(&r[i].w, out, sizeof(out)), r[i].e);
		CHECK_STR(out, r[i].field);
	}
	check_case("%s", "");
}

static void test_pseudonyms(void)
{
	char *root = fx_tmpdir("pseudonym");
	sh_identity a, b, c;
	char dir[1024];
	if (fx_identity(&a, root, "zorgverzekeraar", "health_insurer", dir,
	                sizeof(dir)) ||
	    fx_identity(&b, root, "gemeente-0344", "municipality_debt", dir,
	                sizeof(dir)) ||
	    fx_identity(&c, root, "gemeente-0363", "municipality_debt", dir,
	                sizeof(dir))) {
		CHECK(!"identities created");
		fx_rm_rf(root);
		free(root);
		return;
	}
	sh_pair_keys ab, ba, ac, ca, bc;
	CHECK_ERR(sh_pair_keys_derive(&ab, &a, &b.card), SH_OK);
	CHECK_ERR(sh_pair_keys_derive(&ba, &b, &a.card), SH_OK);
	CHECK_ERR(sh_pair_keys_derive(&ac, &a, &c.card), SH_OK);
	CHECK_ERR(sh_pair_keys_derive(&ca, &c, &a.card), SH_OK);
	CHECK_ERR(sh_pair_keys_derive(&bc, &b, &c.card), SH_OK);
	/* Both ends of a pair derive the same keys. */
	CHECK_MEM(ab.seal_key, ba.seal_key, 32);
	CHECK_MEM(ab.pseudo_key, ba.pseudo_key, 32);
	CHECK_MEM(ac.pseudo_key, ca.pseudo_key, 32);
	/* Different pairs, different keys; sealing and pseudonym keys
	 * are separated. */
	CHECK_MEM_NE(ab.pseudo_key, ac.pseudo_key, 32);
	CHECK_MEM_NE(ab.pseudo_key, bc.pseudo_key, 32);
	CHECK_MEM_NE(ab.seal_key, ac.seal_key, 32);
	CHECK_MEM_NE(ab.seal_key, ab.pseudo_key, 32);

	/* The same resident, typed two ways. */
	struct who w1 = {"van der Berg-\xc3\x96zt\xc3\xbcrk",
	                 NULL,
	                 "3512 jk",
	                 "7-a",
	                 NULL,
	                 "1970-05-06",
	                 NULL};
	struct who w2 = {"Berg Ozturk", "van der",    "3512JK", "7",
	                 "A",           "1970-05-06", NULL};
	struct who w3 = {"Berg Ozturk", "van der",    "3512JK", "9",
	                 "A",           "1970-05-06", NULL};
	char c1[300], c2[300], c3[300];
	CHECK_ERR(canon(&w1, c1, sizeof(c1)), SH_OK);
	CHECK_ERR(canon(&w2, c2, sizeof(c2)), SH_OK);
	CHECK_ERR(canon(&w3, c3, sizeof(c3)), SH_OK);

	uint8_t p_ab1[32], p_ab2[32], p_ba1[32], p_ac1[32], p_ca1[32],
	    p_ab3[32], p_again[32];
	sh_pseudonym(p_ab1, ab.pseudo_key, c1);
	sh_pseudonym(p_ab2, ab.pseudo_key, c2);
	sh_pseudonym(p_ba1, ba.pseudo_key, c1);
	sh_pseudonym(p_ac1, ac.pseudo_key, c1);
	sh_pseudonym(p_ca1, ca.pseudo_key, c1);
	sh_pseudonym(p_ab3, ab.pseudo_key, c3);
	sh_pseudonym(p_again, ab.pseudo_key, c1);
	CHECK_MEM(p_ab1, p_again, 32); /* deterministic */
	CHECK_MEM(p_ab1, p_ab2, 32);   /* same resident, other spelling */
	CHECK_MEM(p_ab1, p_ba1, 32);   /* A's view of A-B is B's view */
	CHECK_MEM(p_ac1, p_ca1, 32);
	CHECK_MEM_NE(p_ab1, p_ac1, 32); /* unlinkable across pairs */
	CHECK_MEM_NE(p_ab1, p_ab3, 32); /* another resident */
	/* Keyed: not the plain hash of the identity. */
	uint8_t plain[32];
	sh_sha256(plain, c1, strlen(c1));
	CHECK_MEM_NE(p_ab1, plain, 32);

	/* Pair keys derive the same whichever order the ids sort in. */
	sh_pair_keys cb;
	CHECK_ERR(sh_pair_keys_derive(&cb, &c, &b.card), SH_OK);
	CHECK_MEM(bc.pseudo_key, cb.pseudo_key, 32);
	CHECK_MEM(bc.seal_key, cb.seal_key, 32);

	sh_identity_wipe(&a);
	sh_identity_wipe(&b);
	sh_identity_wipe(&c);
	fx_rm_rf(root);
	free(root);
}

int main(void)
{
	test_equal_forms();
	test_different();
	test_bsn();
	test_refusals();
	test_pseudonyms();
	return check_done();
}
