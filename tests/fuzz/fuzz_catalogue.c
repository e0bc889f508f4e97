/*
 * fuzz_catalogue - the signal catalogue file (policy.c): sh_catalogue_parse
 * over the input as text. A catalogue that parses must keep what the
 * loader promises: at least one type, each with senders, recipients and
 * legal bases, a purpose where consent is allowed, and only fields the
 * wire format has for that type, marked personal exactly when they travel
 * sealed (sh_wire_field_class). Then every type's rules are exercised with
 * sh_policy_check on one plausible value per field.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

#define FAIL(what) fuzz_fail("fuzz_catalogue", what)

/* A value of the form the check asks for. */
static const char *sample(const sh_field_rule *r, char *buf, size_t len)
{
	switch (r->kind) {
	case CHK_TEXT: return r->min > 1 ? "a longer text value" : "x";
	case CHK_INT: snprintf(buf, len, "%lld", r->min); return buf;
	case CHK_ENUM: return fuzz_pick_word(r->words, 0, buf, len);
	case CHK_DATE: return "2020-02-29";
	case CHK_POSTCODE: return "1234 AB";
	case CHK_HOUSENUMBER: return "12-a";
	case CHK_PHONE: return "+31 6 12345678";
	case CHK_EMAIL: return "desk@example.org";
	case CHK_BSN: return "111222333";
	case CHK_MSGID: return "00112233445566778899aabbccddeeff";
	case CHK_DIGITS:
		snprintf(buf, len, "%.*s", (int)r->min,
		         "12345678901234567890123456789012");
		return buf;
	case CHK_STEPS: return "1,2,3,4";
	}
	return "";
}

static void exercise(const sh_catalogue *cat, const sh_type_rule *t)
{
	enum { MAXF = 64 };
	Seinhuis__Field f[MAXF + 2], *fp[MAXF + 2];
	char vals[MAXF][64], basis[32], from[32], to[32], field[64];
	char detail[300];
	size_t n = 0;
	fuzz_pick_word(t->bases, 0, basis, sizeof(basis));
	seinhuis__field__init(&f[n]);
	f[n].name = "legal_basis";
	f[n].value = basis;
	n++;
	if (strcmp(basis, "consent") == 0) {
		seinhuis__field__init(&f[n]);
		f[n].name = "consent_ref";
		f[n].value = "ffeeddccbbaa99887766554433221100";
		n++;
	}
	for (size_t i = 0; i < t->nfields && i < MAXF; i++) {
		seinhuis__field__init(&f[n]);
		f[n].name = (char *)t->fields[i].name;
		f[n].value =
		    (char *)sample(&t->fields[i], vals[i], sizeof(vals[i]));
		n++;
	}
	for (size_t i = 0; i < n; i++)
		fp[i] = &f[i];
	fuzz_pick_word(t->senders, 0, from, sizeof(from));
	fuzz_pick_word(t->recipients, 0, to, sizeof(to));
	(void)sh_policy_check(cat, t->type, from, to, fp, n, "2024-06-01",
	                      field, sizeof(field), detail, sizeof(detail));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sh_catalogue cat;
	char why[600];
	why[0] = '\0';
	sh_err e = sh_catalogue_parse(&cat, (const char *)data, size, why,
	                              sizeof(why));
	if (e != SH_OK) {
		if (e != SH_ERR_CATALOGUE || !why[0])
			FAIL("a refusal without rule CATALOGUE and a reason");
		if (cat.types || cat.ntypes)
			FAIL("a refused catalogue was not freed");
		return 0;
	}
	if (cat.ntypes == 0)
		FAIL("an accepted catalogue has no type");
	for (size_t i = 0; i < cat.ntypes; i++) {
		const sh_type_rule *t = &cat.types[i];
		if (sh_catalogue_type(&cat, t->type) != t)
			FAIL("a type is given twice");
		if (!t->senders[0] || !t->recipients[0] || !t->bases[0])
			FAIL("a type without senders, recipients or bases");
		if (strstr(t->bases, "consent") && !t->purpose[0] &&
		    !t->purpose_field[0])
			FAIL("consent allowed without a purpose");
		if (t->purpose[0] && t->purpose_field[0])
			FAIL("both purpose and purpose_field");
		if (t->purpose_field[0]) {
			/* the consent's purpose is a catalogue word */
			const sh_field_rule *pf = NULL;
			for (size_t j = 0; j < t->nfields; j++)
				if (strcmp(t->fields[j].name,
				           t->purpose_field) == 0)
					pf = &t->fields[j];
			if (!pf || pf->kind != CHK_ENUM || pf->personal ||
			    !pf->required)
				FAIL("purpose_field not a required clear enum");
		}
		if (t->persons < 1 || t->persons > 8)
			FAIL("persons outside 1..8");
		for (size_t j = 0; j < t->nfields; j++) {
			const sh_field_rule *r = &t->fields[j];
			int cls = sh_wire_field_class(t->type, r->name);
			if (cls == SH_FIELD_NONE)
				FAIL("a field the wire does not have");
			if (r->personal != (cls == SH_FIELD_PERSONAL))
				FAIL("personal marks a field the wire does "
				     "not seal, or the reverse");
		}
		exercise(&cat, t);
	}
	sh_catalogue_free(&cat);
	return 0;
}
