/*
 * route.h - from a resident's postcode to the partner that must receive
 * the signal. See route.c.
 */
#ifndef SEINHUIS_ROUTE_H
#define SEINHUIS_ROUTE_H

#include "seinhuis.h"

typedef struct {
	char pc[7];   /* "1011AB" (PC6) or "1011" (PC4) */
	char muni[5]; /* CBS municipality code, four digits */
} sh_route_entry;

typedef struct {
	sh_route_entry *e;
	size_t n;
} sh_routes;

sh_err sh_routes_parse(sh_routes *r, const char *text, size_t len, char *why,
                       size_t whylen);
sh_err sh_routes_load(sh_routes *r, const char *path, char *why, size_t whylen);
void sh_routes_free(sh_routes *r);
/* The municipality code for a postcode ("1011 ab" is fine), PC6 first,
 * then PC4; NULL when the table has none. */
const char *sh_routes_find(const sh_routes *r, const char *postcode);
/* Whether the card lists the municipality (four digits) among those it
 * serves. */
int sh_card_serves(const sh_card *c, const char *muni);
/* The recipient's own check of whom a signal is for, once its sealed part
 * is open: self is this daemon's card, postcode the first person's (or
 * NULL), given the signal's municipality_code (or NULL / ""). Nothing to
 * check when the card lists no municipalities. With a table (r->n) that
 * knows the postcode, its municipality decides: a given code that is
 * another one is refused, and so is a municipality the card does not
 * list. Without a table, or for a postcode the table does not know, a
 * given code of four digits the card does not list is refused. SH_OK or
 * SH_ERR_ROUTE, with detail naming the rule and the codes, never the
 * postcode. */
sh_err sh_route_recipient_check(const sh_routes *r, const sh_card *self,
                                const char *postcode, const char *given,
                                char *detail, size_t dl);
/* The trusted partner of the given role that serves the municipality;
 * NULL if none. When a second card of that role serves it too, *also is
 * that card (else NULL): the signal cannot be routed, and the caller
 * refuses it naming both (the trust store warns of it when loaded). */
const sh_card *sh_route_partner(const sh_trust *t, const char *role,
                                const char *muni, const sh_card **also);
/* 1 if a and b have one role and serve a municipality in common (its
 * code to code), 0 if not. */
int sh_cards_share_muni(const sh_card *a, const sh_card *b, char code[5]);

#endif
