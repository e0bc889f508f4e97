/*
 * mkpartners.c - many fictional partner identities in one process, for a
 * test that needs hundreds of trusted cards (it_fanout.sh):
 *
 *   mkpartners DIR N ENDPOINT
 *
 * makes DIR/1/keys ... DIR/N/keys, each what `seinkey init --dir
 * DIR/i/keys --partner far<i> --name "Fictional far<i>" --role
 * municipality_debt --endpoint ENDPOINT` makes (the same card rules, the
 * same sh_identity_create). A seinkey process for each cost 0.13 s of CPU
 * under ASan, most of it the sanitizer's start and leak check: 53 s of
 * CPU for it_fanout's 400.
 */
#include <stdlib.h>
#include <string.h>

#include "seinhuis.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: mkpartners DIR N ENDPOINT\n");
		return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	for (long i = 1; i <= n; i++) {
		char text[1024], dir[SH_KEYDIR_MAX], why[1024];
		sh_card c;
		/* placeholder keys, as seinkey init checks its options */
		int len = snprintf(
		    text, sizeof(text),
		    "seinhuis_card = 1\npartner = far%ld\n"
		    "name = Fictional far%ld\nrole = municipality_debt\n"
		    "endpoint = %s\n"
		    "%s",
		    i, i, argv[3], SH_CARD_PLACEHOLDER_KEYS);
		snprintf(dir, sizeof(dir), "%s/%ld/keys", argv[1], i);
		memset(&c, 0, sizeof(c));
		if (len < 0 || (size_t)len >= sizeof(text) ||
		    sh_card_parse(&c, text, (size_t)len, why, sizeof(why)) !=
		        SH_OK ||
		    sh_identity_create(dir, &c, why, sizeof(why)) != SH_OK) {
			fprintf(stderr, "mkpartners: far%ld: %s\n", i, why);
			return 1;
		}
	}
	return 0;
}
