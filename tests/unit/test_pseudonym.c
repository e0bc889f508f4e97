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
	    {{"Jansen", NULL, "1234AB", "12", NULL, "1980-02-30", NULL},
	     SH_ERR_FIELD_VALUE,
	     "birth_date"}, /* not a day: looked up, it finds no one */
	    {{"Jansen", NULL, "1234AB", "12", NULL, "1981-02-29", NULL},
	     SH_ERR_FIELD_VALUE,
	     "birth_date"}, /* no leap year */
	    {{"Jansen", NULL, "1234AB", "12", NULL, "1980-04-31", NULL},
	     SH_ERR_FIELD_VALUE,
	     "birth_date"},
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

/* The canonical identities of names accepted before the folding learned
 * Latin Extended-B and combining marks, as the code before that change
 * computed them: pseudonyms must stay the same across versions and
 * partners, so only names refused before may gain a folding. The last
 * table covers every code point of U+00C0..U+017F, sixteen at a time. */
static void test_pinned(void)
{
	static const struct {
		const char *surname, *canon_surname;
	} pin[] = {
	    {"van der Berg", "berg"},
	    {"Van der Berg-\xc3\x96zt\xc3\xbcrk", "bergozturk"},
	    {"'t Hart", "hart"},
	    {"\xe2\x80\x99t Hart", "hart"},
	    {"Strau\xc3\x9f", "strauss"},
	    {"R\xc4\xb3nders", "rijnders"},
	    {"Dupr\xc3\xa9", "dupre"},
	    {"M\xc3\xbcller", "muller"},
	    {"\xc3\x98rsted", "orsted"},
	    {"\xc5\x81ukasiewicz", "lukasiewicz"},
	    {"\xc3\x9e\xc3\xb3r\xc3\xb0"
	     "ard\xc3\xb3ttir",
	     "thordardottir"},
	    {"\xc5\x92uvray", "oeuvray"},
	    {"\xc4\xb2zerman", "ijzerman"},
	    {"d'Ancona", "dancona"},
	    {"O'Neill", "oneill"},
	    {"de la Fuente", "fuente"},
	    {"\xc3\x87"
	     "elik",
	     "celik"},
	    {"Dvo\xc5\x99\xc3\xa1k", "dvorak"},
	    {"\xc5\xa0im\xc5\xafnek", "simunek"},
	    {"\xc5\xbb\xc3\xb3\xc5\x82kiewski", "zolkiewski"},
	    {"A\xc4\x9f"
	     "ao\xc4\x9flu",
	     "agaoglu"},
	    {"K\xc4\xb1van\xc3\xa7", "kivanc"},
	    {"\xc5\x9etef\xc4\x83nescu", "stefanescu"},
	    {"\xc5\xa2\xc4\x83ranu", "taranu"},
	    {"van 't Hof", "hof"},
	    {"ten Brink", "brink"},
	    {"Jansen 2", "jansen2"},
	    {"El Amrani", "amrani"},
	    {"Ben-Ali", "benali"},
	    {"Smith\xc2\xb4s", "smiths"},
	    {"van\xc2\xa0"
	     "Dijk",
	     "dijk"},
	    {"Al\xe2\x80\x90Hashimi", "alhashimi"},
	    {"Berg\xe2\x80\x91"
	     "Ozturk",
	     "bergozturk"},
	    {"Berg\xe2\x80\x93"
	     "Ozturk",
	     "bergozturk"},
	    {"D\xe2\x80\x98Souza", "dsouza"},
	    {"Jansen / Pietersen", "jansenpietersen"},
	    {"Meijer (geb. Smit)", "meijergebsmit"},
	    {"de Jong-van Dam", "jongvandam"},
	    {"van", "van"},
	    {"de Vries", "vries"},
	    {"V.d. Berg", "berg"},
	    {"du Pr\xc3\xa9", "pre"},
	    {"\xc3\x85str\xc3\xb6m", "astrom"},
	    {"G\xc3\xb6\xc3\xa7men", "gocmen"},
	    {"\xc3\x91\xc3\xba\xc3\xb1"
	     "ez",
	     "nunez"},
	    {"\xc3\x97\xc3\xb7"
	     "x",
	     "x"},
	    {"Ma\xc3\xaftre", "maitre"},
	    {"\xc5\xbf"
	     "chmidt",
	     "schmidt"},
	    {"l'Or\xc3\xa9"
	     "al",
	     "loreal"},
	    {"123", "123"},
	};
	char out[300], want[300];
	for (size_t i = 0; i < sizeof(pin) / sizeof(pin[0]); i++) {
		struct who w = BASE(pin[i].surname);
		check_case("pinned %zu (%s)", i, pin[i].canon_surname);
		snprintf(want, sizeof(want), "nap:%s|1970-05-06|3512JK|7|",
		         pin[i].canon_surname);
		if (CHECK_ERR(canon(&w, out, sizeof(out)), SH_OK))
			CHECK_STR(out, want);
	}
	static const struct {
		unsigned lo;
		const char *canon_surname;
	} block[] = {
	    {0xc0, "aaaaaaaeceeeeiiii"}, {0xd0, "dnoooooouuuuythss"},
	    {0xe0, "aaaaaaaeceeeeiiii"}, {0xf0, "dnoooooouuuuythy"},
	    {0x100, "aaaaaaccccccccdd"}, {0x110, "ddeeeeeeeeeegggg"},
	    {0x120, "gggghhhhiiiiiiii"}, {0x130, "iiijijjjkkklllllll"},
	    {0x140, "lllnnnnnnnnnoooo"}, {0x150, "oooeoerrrrrrssssss"},
	    {0x160, "ssttttttuuuuuuuu"}, {0x170, "uuuuwwyyyzzzzzzs"},
	};
	for (size_t i = 0; i < sizeof(block) / sizeof(block[0]); i++) {
		char s[64];
		size_t n = 0;
		for (unsigned cp = block[i].lo; cp < block[i].lo + 16; cp++) {
			s[n++] = (char)(0xc0 | cp >> 6);
			s[n++] = (char)(0x80 | (cp & 0x3f));
		}
		s[n] = '\0';
		struct who w = {s, NULL, "3512 JK", "7", NULL, NULL, NULL};
		check_case("pinned block U+%04X", block[i].lo);
		snprintf(want, sizeof(want), "nap:%s||3512JK|7|",
		         block[i].canon_surname);
		if (CHECK_ERR(canon(&w, out, sizeof(out)), SH_OK))
			CHECK_STR(out, want);
	}
	check_case("%s", "");
}

/* Names refused before the folding learned Latin Extended-B and combining
 * marks: Romanian comma-below letters fold as their cedilla forms do, a
 * name written decomposed (NFD: base letter, then U+0300..U+036F) gives
 * the same identity and so the same pseudonym as the precomposed one. */
static void test_extended(void)
{
	static const struct who stefan[] = {
	    BASE("\xc8\x98tef\xc4\x83nescu"), /* Ș U+0218, ă */
	    BASE("\xc5\x9etef\xc4\x83nescu"), /* Ş U+015E (cedilla) */
	    BASE("Stefanescu"),
	    BASE("S\xcc\xa6tefa\xcc\x86nescu"), /* NFD: S U+0326, a U+0306 */
	    BASE("\xc8\x99TEF\xc4\x82NESCU")};  /* ș U+0219 */
	same_group("Romanian comma below", stefan,
	           sizeof(stefan) / sizeof(stefan[0]));

	static const struct who tuca[] = {BASE("\xc8\x9a"
	                                       "uca"), /* Ț U+021A */
	                                  BASE("\xc5\xa2"
	                                       "uca"), /* Ţ U+0162 */
	                                  BASE("T\xcc\xa6"
	                                       "uca"), /* NFD */
	                                  BASE("\xc8\x9b"
	                                       "uca")}; /* ț U+021B */
	same_group("t comma below", tuca, sizeof(tuca) / sizeof(tuca[0]));

	static const struct who mueller[] = {
	    BASE("M\xc3\xbcller"),  /* NFC */
	    BASE("Mu\xcc\x88ller"), /* NFD: u U+0308 */
	    BASE("MU\xcc\x88LLER"), BASE("Muller")};
	same_group("NFD and NFC", mueller,
	           sizeof(mueller) / sizeof(mueller[0]));

	static const struct who caron[] = {
	    BASE("Aaiouu"),
	    BASE("\xc7\x8d\xc7\x8e\xc7\x8f\xc7\x92\xc7\x93\xc7\x94"), /* Ǎǎ Ǐ ǒ
	                                                                 Ǔǔ */
	    BASE("\xc7\x8e\xc7\x8d\xc7\x90\xc7\x91\xc7\x94\xc7\x93"), /* ǎǍ ǐ Ǒ
	                                                                 ǔǓ */
	    BASE("A\xcc\x8c"
	         "a\xcc\x8c"
	         "I\xcc\x8c"
	         "o\xcc\x8c"
	         "U\xcc\x8c"
	         "u\xcc\x8c")}; /* NFD, U+030C */
	same_group("carons of Latin Extended-B", caron,
	           sizeof(caron) / sizeof(caron[0]));

	/* Latin Extended Additional: the precomposed letters fold as their
	 * decomposed forms do */
	static const struct who stacked[] = {
	    BASE("Nguy\xe1\xbb\x85n"),      /* ễ U+1EC5 */
	    BASE("Nguye\xcc\x82\xcc\x83n"), /* NFD: e U+0302 U+0303 */
	    BASE("NGUY\xe1\xbb\x84N"),      /* Ễ U+1EC4 */
	    BASE("Nguy\xc3\xaa\xcc\x83n"),  /* ê U+00EA, then U+0303 */
	    BASE("Nguyen")};
	same_group("stacked marks", stacked,
	           sizeof(stacked) / sizeof(stacked[0]));
	static const struct who pham[] = {BASE("Ph\xe1\xba\xa1m"), /* ạ */
	                                  BASE("Pha\xcc\xa3m"),    /* NFD */
	                                  BASE("Pham")};
	same_group("dot below", pham, sizeof(pham) / sizeof(pham[0]));
	static const struct who huynh[] = {BASE("Hu\xe1\xbb\xb3nh"), /* ỳ */
	                                   BASE("Huy\xcc\x80nh"),    /* NFD */
	                                   BASE("Huynh")};
	same_group("grave y", huynh, sizeof(huynh) / sizeof(huynh[0]));
	/* letters of the block without a plain Latin base stay refused */
	char a[300], b[300];
	struct who welsh = BASE("\xe1\xbb\xbb"
	                        "ewis"); /* U+1EFB, Middle-Welsh ll */
	check_case("%s", "Middle-Welsh ll");
	CHECK_ERR(canon(&welsh, a, sizeof(a)), SH_ERR_FIELD_VALUE);

	/* the same pseudonym for the two forms under a pair's key */
	uint8_t key[SH_KEY_LEN], p1[SH_PSEUDO_LEN], p2[SH_PSEUDO_LEN];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	check_case("%s", "NFD pseudonym");
	if (CHECK_ERR(canon(&mueller[0], a, sizeof(a)), SH_OK) &&
	    CHECK_ERR(canon(&mueller[1], b, sizeof(b)), SH_OK)) {
		sh_pseudonym(p1, key, a);
		sh_pseudonym(p2, key, b);
		CHECK_MEM(p1, p2, SH_PSEUDO_LEN);
	}
	check_case("%s", "");
}

/* What is wrong with a refused surname, in words that repeat no value. */
static void test_refusal_why(void)
{
	static const struct {
		const char *surname, *says;
	} r[] = {
	    {"\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2",
	     "not a letter of the Latin alphabet"}, /* Cyrillic */
	    {"Jansen\xf0\x9f\x98\x80", "not a letter of the Latin alphabet"},
	    {"\xc7\x9d"
	     "a",
	     "not a letter of the Latin alphabet"}, /* ǝ */
	    {"\xcc\x88"
	     "Muller",
	     "combining accent that does not follow"},
	    {"Mu \xcc\x88ller", "combining accent that does not follow"},
	    {"12\xcc\x88", "combining accent that does not follow"},
	    {"Jans\xc3", "not valid UTF-8"},
	    {"-", "holds no letter"},
	};
	char out[300];
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		struct who w = BASE(r[i].surname);
		Seinhuis__Person p;
		person_from(&p, &w);
		check_case("refusal why %zu", i);
		CHECK_ERR(canon(&w, out, sizeof(out)), SH_ERR_FIELD_VALUE);
		CHECK_STR(out, "surname");
		const char *why = sh_canonical_why(&p, "surname");
		if (CHECK(why != NULL))
			CHECK_HAS(why, r[i].says);
	}
	char longname[400];
	memset(longname, 'a', 300);
	longname[300] = '\0';
	struct who w = BASE(longname);
	Seinhuis__Person p;
	person_from(&p, &w);
	check_case("%s", "refusal why: too long");
	CHECK_ERR(canon(&w, out, sizeof(out)), SH_ERR_FIELD_VALUE);
	const char *why = sh_canonical_why(&p, "surname");
	if (CHECK(why != NULL))
		CHECK_HAS(why, "too long");
	/* an accepted surname, another field: nothing more to say */
	CHECK(sh_canonical_why(&p, "postcode") == NULL);
	struct who ok = BASE("Jansen");
	person_from(&p, &ok);
	CHECK(sh_canonical_why(&p, "surname") == NULL);
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

/* The surname part of the canonical identity a sender makes of name. */
static void sent_as(const char *name, char *out, size_t n)
{
	char c[300];
	struct who w = {name, NULL, "1234AB", "12", NULL, NULL, NULL};
	out[0] = '\0';
	if (canon(&w, c, sizeof(c)) == SH_OK && strchr(c, '|'))
		snprintf(out, n, "%.*s", (int)(strchr(c, '|') - c - 4), c + 4);
}

/* A resident's look-up finds the identity a creditor made of another
 * spelling of the surname (audit subject, auditctl.c), and says how it
 * differs; the sender's own canonical identity is pinned (above). */
static void test_variants(void)
{
	static const struct {
		const char *sent, *asked;
		unsigned how; /* the bit the variant found carries */
	} t[] = {
	    {"Vries, de", "de Vries", SH_SPELL_PREFIX_AFTER},
	    {"Vries de", "De Vries", SH_SPELL_PREFIX_AFTER},
	    {"de Vries", "Vries, de", SH_SPELL_PREFIX_LEFT},
	    {"Berg, van den", "van den Berg", SH_SPELL_PREFIX_AFTER},
	    {"Berg v.d.", "van den Berg", SH_SPELL_PREFIX_SHORT},
	    {"Berg, v. d.", "van der Berg", SH_SPELL_PREFIX_SHORT},
	    {"Berg v/d", "Van der Berg", SH_SPELL_PREFIX_SHORT},
	    {"Dijk, v.", "van Dijk", SH_SPELL_PREFIX_SHORT},
	    {"Mueller", "Müller", SH_SPELL_UMLAUT_E},
	    {"Mueller", "Mu\xcc\x88ller", SH_SPELL_UMLAUT_E},
	    {"Müller", "Mueller", SH_SPELL_E_UMLAUT},
	    {"Goessens", "Gößens", SH_SPELL_UMLAUT_E},
	    {"Strauss", "Strauß", 0},
	    {"Öztürk, van", "van Oeztuerk", SH_SPELL_E_UMLAUT},
	    {"de Vries", "de Vries", 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char want[128];
		sh_surname_variant v[SH_SURNAME_VARIANTS_MAX];
		sent_as(t[i].sent, want, sizeof(want));
		size_t n =
		    sh_surname_variants(t[i].asked, v, SH_SURNAME_VARIANTS_MAX);
		check_case("sent '%s', asked '%s'", t[i].sent, t[i].asked);
		CHECK(n >= 1 && v[0].how == 0);
		size_t k;
		for (k = 0; k < n; k++)
			if (strcmp(v[k].sur, want) == 0)
				break;
		if (CHECK(k < n))
			CHECK(t[i].how ? (v[k].how & t[i].how) != 0
			               : v[k].how == 0);
	}
	/* the first is the resident's own spelling, as the sender makes it */
	sh_surname_variant v[SH_SURNAME_VARIANTS_MAX];
	char own[128];
	sent_as("van den Berg", own, sizeof(own));
	check_case("%s", "own spelling first");
	CHECK(sh_surname_variants("van den Berg", v, 4) >= 1 &&
	      strcmp(v[0].sur, own) == 0);
	check_case("%s", "a surname that has no canonical form has none");
	CHECK_INT(sh_surname_variants("Nie\xce\xa9mand", v, 4), 0);
	check_case("%s", "");
}

/* sh_key_fold, byte by byte against the C library in the C locale (as
 * the sender's natural key folded its values before): each of the 256
 * byte values alone, with and without house; then a value with some of
 * each, and one cut short by max. */
static void test_key_fold(void)
{
	check_case("sh_key_fold");
	int bad = 0;
	for (int house = 0; house < 2; house++)
		for (int b = 1; b < 256 && bad < 5; b++) {
			char in[1] = {(char)b}, out[4] = "", want[1];
			size_t wn = 0;
			if (!(isspace(b) || (house && b < 0x80 && !isalnum(b))))
				want[wn++] = (char)tolower(b);
			size_t n = sh_key_fold(out, sizeof(out), in, 1, house);
			if (!CHECK(n == wn && memcmp(out, want, wn) == 0)) {
				printf("     byte 0x%02x, house %d\n", b,
				       house);
				bad++;
			}
		}
	const char v[] = "12 -A\tB\xc3\xa9z/9";
	char out[32];
	size_t n = sh_key_fold(out, sizeof(out), v, strlen(v), 0);
	CHECK(n == 10 && memcmp(out, "12-ab\xc3\xa9z/9", 10) == 0);
	n = sh_key_fold(out, sizeof(out), v, strlen(v), 1);
	CHECK(n == 8 && memcmp(out, "12ab\xc3\xa9z9", 8) == 0);
	n = sh_key_fold(out, 3, v, strlen(v), 1);
	CHECK(n == 3 && memcmp(out, "12a", 3) == 0);
}

int main(void)
{
	test_key_fold();
	test_equal_forms();
	test_different();
	test_bsn();
	test_refusals();
	test_pinned();
	test_extended();
	test_refusal_why();
	test_pseudonyms();
	test_variants();
	return check_done();
}
