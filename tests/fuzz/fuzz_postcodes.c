/*
 * fuzz_postcodes - the postcode table (route.c): sh_routes_parse over the
 * input as the text of a postcode_table file, then sh_routes_find. What it
 * checks:
 *   - a refused table gives rule CONFIG and a reason naming a line or the
 *     postcode given twice, and leaves nothing allocated;
 *   - an accepted table holds only normalised postcodes (four digits, or
 *     four digits and two capital letters) and four-digit CBS codes, in
 *     sorted order, never one postcode for two municipalities;
 *   - every entry is found again: its own municipality for a six-character
 *     postcode (also written "1011 ab"), and for a four-digit area;
 *   - sh_routes_find on the input's first line as a postcode does not
 *     fail, and gives a municipality from the table or NULL.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "route.h"

#define FAIL(what) fuzz_fail("fuzz_postcodes", what)

static int entry_ok(const sh_route_entry *e)
{
	size_t n = strlen(e->pc);
	if (n != 4 && n != 6)
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (!isdigit((unsigned char)e->pc[i]))
			return 0;
	if (e->pc[0] == '0')
		return 0;
	for (size_t i = 4; i < n; i++)
		if (e->pc[i] < 'A' || e->pc[i] > 'Z')
			return 0;
	if (strlen(e->muni) != 4)
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (!isdigit((unsigned char)e->muni[i]))
			return 0;
	return 1;
}

static int in_table(const sh_routes *r, const char *muni)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].muni == muni)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sh_routes r;
	char why[300];
	why[0] = '\0';
	sh_err e =
	    sh_routes_parse(&r, (const char *)data, size, why, sizeof(why));
	if (e != SH_OK) {
		if (e != SH_ERR_CONFIG || !why[0])
			FAIL("a refusal without rule CONFIG and a reason");
		if (strncmp(why, "line ", 5) != 0 &&
		    strncmp(why, "postcode ", 9) != 0)
			FAIL("a refusal that names neither line nor postcode");
		if (r.e || r.n)
			FAIL("a refused table was not freed");
		return 0;
	}
	for (size_t i = 0; i < r.n; i++) {
		const sh_route_entry *x = &r.e[i];
		if (!entry_ok(x))
			FAIL("an entry that is not a normalised postcode and "
			     "a four-digit code");
		if (i && strcmp(r.e[i - 1].pc, x->pc) > 0)
			FAIL("the table is not sorted");
		if (i && strcmp(r.e[i - 1].pc, x->pc) == 0 &&
		    strcmp(r.e[i - 1].muni, x->muni) != 0)
			FAIL("one postcode for two municipalities");
		const char *m = sh_routes_find(&r, x->pc);
		if (!m || strcmp(m, x->muni) != 0)
			FAIL("an entry is not found again");
		if (strlen(x->pc) == 6) {
			char spaced[16];
			snprintf(spaced, sizeof(spaced), "%.4s %c%c", x->pc,
			         tolower((unsigned char)x->pc[4]),
			         tolower((unsigned char)x->pc[5]));
			m = sh_routes_find(&r, spaced);
			if (!m || strcmp(m, x->muni) != 0)
				FAIL("an entry written '1011 ab' is not found");
		}
	}
	/* The first line as a postcode to look up. */
	char probe[64];
	size_t n = 0;
	while (n < size && n < sizeof(probe) - 1 && data[n] != '\n' &&
	       data[n] != '\0') {
		probe[n] = (char)data[n];
		n++;
	}
	probe[n] = '\0';
	const char *m = sh_routes_find(&r, probe);
	if (m && !in_table(&r, m))
		FAIL("a municipality that is not in the table");
	sh_routes_free(&r);
	return 0;
}
