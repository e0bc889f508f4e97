/*
 * fuzz_identity - the canonical identity of a resident, from which the
 * pairwise pseudonym is computed (sh_canonical_identity, pseudonym.c).
 *
 * The input is split at NUL bytes into the fields of a Person, in the
 * order of proto/seinhuis.proto: initials, prefix, surname, street,
 * house_number, house_number_addition, postcode, place, phone, email,
 * birth_date, bsn. Missing fields are empty, as a decoded Person has them.
 * It must never crash; on success the result is a "bsn:" or "nap:"
 * identity, and on refusal the output names a field of the Person.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define FAIL(what) fuzz_fail("fuzz_identity", what)
#define NFIELDS    12
#define CANON_LEN  300 /* as sh_wire_build calls it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	copy[size] = '\0';

	char *f[NFIELDS];
	size_t nf = 0;
	for (char *p = copy; nf < NFIELDS;) {
		f[nf++] = p;
		p += strlen(p);
		if (p == copy + size)
			break;
		p++;
	}
	while (nf < NFIELDS)
		f[nf++] = copy + size; /* "" */

	Seinhuis__Person person = SEINHUIS__PERSON__INIT;
	person.initials = f[0];
	person.prefix = f[1];
	person.surname = f[2];
	person.street = f[3];
	person.house_number = f[4];
	person.house_number_addition = f[5];
	person.postcode = f[6];
	person.place = f[7];
	person.phone = f[8];
	person.email = f[9];
	person.birth_date = f[10];
	person.bsn = f[11];

	char out[CANON_LEN];
	memset(out, 0x5a, sizeof(out));
	sh_err e = sh_canonical_identity(&person, out, sizeof(out));
	if (!memchr(out, '\0', sizeof(out)))
		FAIL("output not terminated");
	if (e == SH_OK) {
		if (strncmp(out, "bsn:", 4) != 0 &&
		    strncmp(out, "nap:", 4) != 0)
			FAIL("canonical identity is neither bsn: nor nap:");
		static const uint8_t key[SH_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
		uint8_t pseudo[SH_PSEUDO_LEN];
		sh_pseudonym(pseudo, key, out);
	} else {
		if (e != SH_ERR_FIELD_VALUE && e != SH_ERR_FIELD_MISSING)
			FAIL("refused with an unexpected rule");
		if (!protobuf_c_message_descriptor_get_field_by_name(
		        &seinhuis__person__descriptor, out))
			FAIL("refusal does not name a Person field");
	}
	free(copy);
	return 0;
}
