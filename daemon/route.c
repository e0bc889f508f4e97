/*
 * route.c - routing a signal to the municipality where the resident lives.
 *
 * A landlord or health insurer serves many municipalities; an arrears
 * signal must go to the debt-help team of the resident's municipality. The
 * partner loads a postcode table (config key postcode_table): one line per
 * postcode, "POSTCODE;CBS-CODE", where POSTCODE is a full six-character
 * postcode (1011AB) or a four-digit area (1011); ',' works as separator
 * too, a header line "postcode;gemeentecode" and '#' comment lines are
 * skipped. Six-character entries win over four-digit ones, so the table
 * can be coarse where areas lie within one municipality and precise where
 * they cross a border. The complete table for all Dutch postcodes is
 * published yearly by CBS ("Gemeente, wijk en buurt per postcode"); its
 * PC6;Gemeente2024 columns can be loaded as they are (see README).
 *
 * A municipality's debt-help daemon says on its card which municipalities
 * it serves (municipalities = 0363,0384), so one regional service can act
 * for several. A signal whose postcode has no municipality, or whose
 * municipality has no trusted partner card, is refused with that reason.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const sh_route_entry *)a)->pc,
	              ((const sh_route_entry *)b)->pc);
}

/* "1011 ab" -> "1011AB"; a four-digit area "1011" is fine here. */
static int norm_pc(const char *in, char out[7])
{
	return sh_postcode_norm(in, out, 1);
}

/* A value quoted as a whole loses its quotes; one with a quote anywhere
 * else (text after the closing one, or none closing) is NULL. */
static char *unquote(char *s)
{
	if (*s == '"') {
		char *q = strchr(s + 1, '"');
		if (!q || q[1])
			return NULL;
		*q = '\0';
		return s + 1;
	}
	return strchr(s, '"') ? NULL : s;
}

sh_err sh_routes_parse(sh_routes *r, const char *text, size_t len, char *why,
                       size_t wl)
{
	size_t pos = 0, cap = 0;
	int line = 0, first = 1;
	memset(r, 0, sizeof(*r));
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3; /* a UTF-8 byte order mark, as spreadsheets write */
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char buf[128];
		line++;
		if (n >= sizeof(buf)) {
			snprintf(why, wl, "line %d: too long", line);
			sh_routes_free(r);
			return SH_ERR_CONFIG;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + (nl ? 1 : 0);
		char *l = sh_trim(buf);
		if (!*l || *l == '#')
			continue;
		char *sep = strpbrk(l, ";,");
		if (!sep) {
			snprintf(why, wl, "line %d: expected POSTCODE;CBS-CODE",
			         line);
			sh_routes_free(r);
			return SH_ERR_CONFIG;
		}
		*sep = '\0';
		char *pc = unquote(sh_trim(l)),
		     *code = unquote(sh_trim(sep + 1));
		if (!pc || !code) {
			snprintf(why, wl,
			         "line %d: a value is quoted as a whole "
			         "(\"1011AB\") "
			         "or not at all",
			         line);
			sh_routes_free(r);
			return SH_ERR_CONFIG;
		}
		/* "GM0363" as in CBS files, or "0363" */
		if ((code[0] == 'G' || code[0] == 'g') &&
		    (code[1] == 'M' || code[1] == 'm'))
			code += 2;
		sh_route_entry e;
		int code_ok = strlen(code) == 4;
		for (int i = 0; code_ok && i < 4; i++)
			code_ok = isdigit((unsigned char)code[i]);
		int was_first = first;
		first = 0;
		if (norm_pc(pc, e.pc) < 0 || !code_ok) {
			if (was_first && !isdigit((unsigned char)*pc))
				continue; /* a header line */
			snprintf(why, wl,
			         "line %d: expected a postcode (1011AB or "
			         "1011) and a four-digit CBS code",
			         line);
			sh_routes_free(r);
			return SH_ERR_CONFIG;
		}
		memcpy(e.muni, code, 5);
		if (r->n == cap) {
			cap = cap ? cap * 2 : 1024;
			r->e = realloc(r->e, cap * sizeof(*r->e));
			if (!r->e)
				abort();
		}
		r->e[r->n++] = e;
	}
	if (r->n) /* an empty table has no array: qsort wants one */
		qsort(r->e, r->n, sizeof(*r->e), cmp_entry);
	for (size_t i = 1; i < r->n; i++)
		if (strcmp(r->e[i].pc, r->e[i - 1].pc) == 0 &&
		    strcmp(r->e[i].muni, r->e[i - 1].muni) != 0) {
			snprintf(why, wl,
			         "postcode %s is given for two municipalities",
			         r->e[i].pc);
			sh_routes_free(r);
			return SH_ERR_CONFIG;
		}
	return SH_OK;
}

sh_err sh_routes_load(sh_routes *r, const char *path, char *why, size_t wl)
{
	char *text, sub[256];
	size_t len;
	const char *rw;
	sh_err e = sh_read_setting(path, (size_t)256 << 20, "256 MiB", &text,
	                           &len, &rw);
	if (e != SH_OK) {
		snprintf(why, wl, "%s: cannot read: %s", path, rw);
		return SH_ERR_CONFIG;
	}
	e = sh_routes_parse(r, text, len, sub, sizeof(sub));
	free(text);
	if (e)
		snprintf(why, wl, "%s: %s", path, sub);
	return e;
}

void sh_routes_free(sh_routes *r)
{
	free(r->e);
	r->e = NULL;
	r->n = 0;
}

static const char *find_exact(const sh_routes *r, const char *pc)
{
	sh_route_entry key;
	snprintf(key.pc, sizeof(key.pc), "%s", pc);
	const sh_route_entry *e =
	    bsearch(&key, r->e, r->n, sizeof(*r->e), cmp_entry);
	return e ? e->muni : NULL;
}

const char *sh_routes_find(const sh_routes *r, const char *postcode)
{
	char pc[7];
	if (!r->n || norm_pc(postcode, pc) < 0)
		return NULL;
	const char *m = strlen(pc) == 6 ? find_exact(r, pc) : NULL;
	if (!m) {
		pc[4] = '\0';
		m = find_exact(r, pc);
	}
	return m;
}

int sh_card_serves(const sh_card *c, const char *muni)
{
	for (const char *p = c->municipalities; *p;) {
		if (strncmp(p, muni, 4) == 0 && (p[4] == ',' || p[4] == '\0'))
			return 1;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return 0;
}

sh_err sh_route_recipient_check(const sh_routes *r, const sh_card *self,
                                const char *postcode, const char *given,
                                char *detail, size_t dl)
{
	if (!self->municipalities[0])
		return SH_OK;
	const char *muni = postcode && postcode[0] && r->n
	                       ? sh_routes_find(r, postcode)
	                       : NULL;
	int given_ok =
	    given && strlen(given) == 4 && strspn(given, "0123456789") == 4;
	if (muni && given_ok && strcmp(muni, given) != 0) {
		snprintf(detail, dl,
		         "municipality_code %.4s is not the municipality the "
		         "postcode lies in by this daemon's postcode table "
		         "(%.4s)",
		         given, muni);
		return SH_ERR_ROUTE;
	}
	const char *mc = muni ? muni : given_ok ? given : NULL;
	if (mc && !sh_card_serves(self, mc)) {
		snprintf(detail, dl,
		         "%s %.4s is not one this daemon serves (%.100s)",
		         muni ? "the resident's municipality (by the postcode "
		                "table)"
		              : "municipality_code",
		         mc, self->municipalities);
		return SH_ERR_ROUTE;
	}
	return SH_OK;
}

const sh_card *sh_route_partner(const sh_trust *t, const char *role,
                                const char *muni, const sh_card **also)
{
	const sh_card *found = NULL;
	*also = NULL;
	for (size_t i = 0; i < t->n; i++) {
		const sh_card *c = &t->cards[i];
		if (strcmp(c->role, role) != 0 || !sh_card_serves(c, muni))
			continue;
		if (found) {
			*also = c;
			break;
		}
		found = c;
	}
	return found;
}

int sh_cards_share_muni(const sh_card *a, const sh_card *b, char code[5])
{
	if (strcmp(a->role, b->role) != 0)
		return 0;
	for (const char *p = a->municipalities; *p; p += p[4] ? 5 : 4) {
		memcpy(code, p, 4);
		code[4] = '\0';
		if (sh_card_serves(b, code))
			return 1;
	}
	return 0;
}
