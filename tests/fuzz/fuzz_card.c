/*
 * fuzz_card - a partner card as `seinkey trust` and the trust store read
 * it: sh_card_parse over the input. A card that parses is written out
 * again with sh_card_format (as `seinkey trust` stores it) and must parse
 * back to the same card: otherwise a trusted card would change, or be
 * refused, on its way into the trust store.
 */
#include <string.h>

#include "fuzz.h"

#define FAIL(what) fuzz_fail("fuzz_card", what)

static void check_terminated(const sh_card *c)
{
	if (!memchr(c->partner, '\0', sizeof(c->partner)) ||
	    !memchr(c->name, '\0', sizeof(c->name)) ||
	    !memchr(c->role, '\0', sizeof(c->role)) ||
	    !memchr(c->endpoint, '\0', sizeof(c->endpoint)) ||
	    !memchr(c->curve_z85, '\0', sizeof(c->curve_z85)) ||
	    !memchr(c->municipalities, '\0', sizeof(c->municipalities)))
		FAIL("a card string is not terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sh_card c, back;
	char why[512];
	why[0] = '\0';
	sh_err e =
	    sh_card_parse(&c, (const char *)data, size, why, sizeof(why));
	if (e != SH_OK) {
		if (e != SH_ERR_CARD || !why[0])
			FAIL("a refusal without rule CARD and a reason");
		return 0;
	}
	check_terminated(&c);
	if (!sh_partner_id_valid(c.partner) || !sh_role_valid(c.role) ||
	    strncmp(c.endpoint, "tcp://", 6) != 0 || strlen(c.curve_z85) != 40)
		FAIL("an accepted card breaks the card rules");

	sh_buf text = {0};
	sh_card_format(&c, &text);
	e = sh_card_parse(&back, (const char *)text.data, text.len, why,
	                  sizeof(why));
	sh_buf_free(&text);
	if (e != SH_OK)
		FAIL("a formatted card does not parse");
	if (memcmp(&c, &back, sizeof(c)) != 0)
		FAIL("a card changed on its way through sh_card_format");

	char fp[17];
	sh_key_fingerprint(fp, c.curve_pub);
	return 0;
}
