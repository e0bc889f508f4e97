/*
 * pseudonym.c - the canonical identity of a resident and its pseudonyms.
 *
 * Outside sealed fields a resident is named only by a pseudonym: an
 * HMAC-SHA256, under a key that only the two partners of a pair can derive
 * (X25519 + HKDF, see sh_pair_keys_derive), of the resident's canonical
 * identity. The same resident therefore has the same pseudonym within one
 * pair and unrelated pseudonyms towards different partners.
 *
 * Canonical identity (version 1):
 *   - "bsn:" followed by the nine digits, when the sender holds a BSN that
 *     passes the eleven test;
 *   - otherwise "nap:" surname "|" birth date "|" postcode "|" house number
 *     "|" addition, where
 *       surname      has diacritics folded to ASCII (é->e, ü->u, ß->ss,
 *                    ĳ->ij, æ->ae, ș->s; a combining accent after a
 *                    letter, as in a decomposed "u" U+0308, is dropped,
 *                    so that "Müller" gives the same in either form;
 *                    U+00C0..U+024F, U+1E00..U+1EFF and the marks
 *                    U+0300..U+036F),
 *                    leading Dutch prefixes that were typed
 *                    into the surname (van, de, van der, ter, 't, ...)
 *                    removed, and only the letters and digits kept, in
 *                    lower case: "Van der Berg-Öztürk" -> "bergozturk";
 *       birth date   is YYYY-MM-DD (anything else is refused) or empty
 *                    when not held;
 *       postcode     is four digits and two capitals: "1234 ab" -> "1234AB";
 *       house number is the digits, and the addition its letters and digits
 *                    in lower case: "12A", "12-a", "12 a" all give 12 | a,
 *                    "12 bis" gives 12 | bis.
 */
#include <ctype.h>
#include <string.h>

#include "policy.h"
#include "seinhuis.h"

/* On refusal, out holds the name of the field at fault. */

/* ASCII folding of U+00C0..U+00FF; entries are one or two letters. */
static const char *const fold_c0[64] = {
    "a", "a", "a", "a", "a",  "a",  "ae", "c", "e", "e", "e",  "e", "i",
    "i", "i", "i", "d", "n",  "o",  "o",  "o", "o", "o", "",   "o", "u",
    "u", "u", "u", "y", "th", "ss", "a",  "a", "a", "a", "a",  "a", "ae",
    "c", "e", "e", "e", "e",  "i",  "i",  "i", "i", "d", "n",  "o", "o",
    "o", "o", "o", "",  "o",  "u",  "u",  "u", "u", "y", "th", "y"};

/* ASCII folding of U+0100..U+024F: Latin Extended-A, and the letters of
 * Latin Extended-B that are a plain Latin letter with a mark (Romanian
 * comma below, the carons and double graves of transliterations,
 * Vietnamese horns, the digraphs of Serbo-Croatian in Latin script).
 * Letters of Extended-B without such a base (schwa, ezh, yogh, the click
 * letters) stay refused. Extended-B was refused as a whole before, so no
 * identity accepted then changes. */
static const char *fold_ext(unsigned cp)
{
	static const struct {
		unsigned lo, hi;
		const char *to;
	} r[] = {/* Latin Extended-A */
	         {0x100, 0x105, "a"},
	         {0x106, 0x10d, "c"},
	         {0x10e, 0x111, "d"},
	         {0x112, 0x11b, "e"},
	         {0x11c, 0x123, "g"},
	         {0x124, 0x127, "h"},
	         {0x128, 0x131, "i"},
	         {0x132, 0x133, "ij"},
	         {0x134, 0x135, "j"},
	         {0x136, 0x138, "k"},
	         {0x139, 0x142, "l"},
	         {0x143, 0x14b, "n"},
	         {0x14c, 0x151, "o"},
	         {0x152, 0x153, "oe"},
	         {0x154, 0x159, "r"},
	         {0x15a, 0x161, "s"},
	         {0x162, 0x167, "t"},
	         {0x168, 0x173, "u"},
	         {0x174, 0x175, "w"},
	         {0x176, 0x178, "y"},
	         {0x179, 0x17e, "z"},
	         {0x17f, 0x17f, "s"},
	         /* Latin Extended-B */
	         {0x180, 0x180, "b"},
	         {0x187, 0x188, "c"},
	         {0x191, 0x192, "f"},
	         {0x197, 0x197, "i"},
	         {0x1a0, 0x1a1, "o"},
	         {0x1af, 0x1b0, "u"},
	         {0x1b5, 0x1b6, "z"},
	         {0x1c4, 0x1c6, "dz"},
	         {0x1c7, 0x1c9, "lj"},
	         {0x1ca, 0x1cc, "nj"},
	         {0x1cd, 0x1ce, "a"},
	         {0x1cf, 0x1d0, "i"},
	         {0x1d1, 0x1d2, "o"},
	         {0x1d3, 0x1dc, "u"},
	         {0x1de, 0x1e1, "a"},
	         {0x1e2, 0x1e3, "ae"},
	         {0x1e4, 0x1e7, "g"},
	         {0x1e8, 0x1e9, "k"},
	         {0x1ea, 0x1ed, "o"},
	         {0x1f0, 0x1f0, "j"},
	         {0x1f1, 0x1f3, "dz"},
	         {0x1f4, 0x1f5, "g"},
	         {0x1f8, 0x1f9, "n"},
	         {0x1fa, 0x1fb, "a"},
	         {0x1fc, 0x1fd, "ae"},
	         {0x1fe, 0x1ff, "o"},
	         {0x200, 0x203, "a"},
	         {0x204, 0x207, "e"},
	         {0x208, 0x20b, "i"},
	         {0x20c, 0x20f, "o"},
	         {0x210, 0x213, "r"},
	         {0x214, 0x217, "u"},
	         {0x218, 0x219, "s"},
	         {0x21a, 0x21b, "t"},
	         {0x21e, 0x21f, "h"},
	         {0x226, 0x227, "a"},
	         {0x228, 0x229, "e"},
	         {0x22a, 0x231, "o"},
	         {0x232, 0x233, "y"},
	         /* Latin Extended Additional: the precomposed letters of
	          * Vietnamese and of transliterations, each a plain Latin
	          * letter with marks (as their decomposed forms, which
	          * were accepted before, fold) */
	         {0x1e00, 0x1e01, "a"},
	         {0x1e02, 0x1e07, "b"},
	         {0x1e08, 0x1e09, "c"},
	         {0x1e0a, 0x1e13, "d"},
	         {0x1e14, 0x1e1d, "e"},
	         {0x1e1e, 0x1e1f, "f"},
	         {0x1e20, 0x1e21, "g"},
	         {0x1e22, 0x1e2b, "h"},
	         {0x1e2c, 0x1e2f, "i"},
	         {0x1e30, 0x1e35, "k"},
	         {0x1e36, 0x1e3d, "l"},
	         {0x1e3e, 0x1e43, "m"},
	         {0x1e44, 0x1e4b, "n"},
	         {0x1e4c, 0x1e53, "o"},
	         {0x1e54, 0x1e57, "p"},
	         {0x1e58, 0x1e5f, "r"},
	         {0x1e60, 0x1e69, "s"},
	         {0x1e6a, 0x1e71, "t"},
	         {0x1e72, 0x1e7b, "u"},
	         {0x1e7c, 0x1e7f, "v"},
	         {0x1e80, 0x1e89, "w"},
	         {0x1e8a, 0x1e8d, "x"},
	         {0x1e8e, 0x1e8f, "y"},
	         {0x1e90, 0x1e95, "z"},
	         {0x1e96, 0x1e96, "h"},
	         {0x1e97, 0x1e97, "t"},
	         {0x1e98, 0x1e98, "w"},
	         {0x1e99, 0x1e99, "y"},
	         {0x1e9b, 0x1e9b, "s"},  /* long s with dot, as U+017F */
	         {0x1e9e, 0x1e9e, "ss"}, /* capital sharp s, as U+00DF */
	         {0x1ea0, 0x1eb7, "a"},
	         {0x1eb8, 0x1ec7, "e"},
	         {0x1ec8, 0x1ecb, "i"},
	         {0x1ecc, 0x1ee3, "o"},
	         {0x1ee4, 0x1ef1, "u"},
	         {0x1ef2, 0x1ef9, "y"}};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return r[i].to;
	return NULL;
}

/* Why a surname has no canonical form (fold, norm_surname). */
enum fold_why {
	FOLD_OK,
	FOLD_CHAR,  /* a character outside the Latin alphabet and the marks */
	FOLD_MARK,  /* a combining mark that follows no letter */
	FOLD_UTF8,  /* bytes that are not UTF-8 */
	FOLD_LONG,  /* longer than the canonical form holds */
	FOLD_EMPTY, /* no letter or digit at all */
};

/* Fold UTF-8 to lower-case ASCII words separated by single spaces.
 * Punctuation other than letters and digits becomes a separator, except
 * the apostrophe, which is dropped ('t stays one word "t"). A combining
 * mark (U+0300..U+036F) after a letter is dropped as the folding drops
 * the mark of a precomposed letter, so that a name written decomposed
 * (NFD: "u" and U+0308) folds as the precomposed one ("ü") does. Returns
 * FOLD_OK, or why the input cannot be folded (characters outside Latin,
 * overflow). With loose, what cannot be folded (a character outside
 * Latin, a stray mark, bytes that are not UTF-8) separates words instead:
 * free text is folded so to be searched for a name (sh_fold_words). */
/* fold_as's ways (flags): loose, as below; umlaut_e, ä, ö and ü (and a
 * decomposed a, o or u with U+0308) written as the German transliteration
 * has them, ae, oe and ue: one of the spellings a partner may have used
 * (sh_surname_variants), never the canonical identity's. */
enum { FOLD_LOOSE = 1, FOLD_UMLAUT_E = 2 };

static const char *umlaut_e(unsigned cp)
{
	switch (cp) {
	case 0xc4:
	case 0xe4: return "ae";
	case 0xd6:
	case 0xf6: return "oe";
	case 0xdc:
	case 0xfc: return "ue";
	default: return NULL;
	}
}

static enum fold_why fold_as(const char *in, char *out, size_t outlen, int how)
{
	int loose = how & FOLD_LOOSE;
	size_t o = 0;
	int pending_space = 0, after_letter = 0;
	const unsigned char *p = (const unsigned char *)in;
	while (*p) {
		const char *add = NULL;
		unsigned cp;
		if (*p < 0x80) {
			cp = *p++;
			after_letter = isalpha((int)cp);
			if (isalnum((int)cp)) {
				/* the common case, as below for one byte */
				if (o + 3 >= outlen)
					return FOLD_LONG;
				if (pending_space)
					out[o++] = ' ';
				pending_space = 0;
				out[o++] = (char)tolower((int)cp);
				continue;
			} else if (cp == '\'' || cp == '`') {
				continue;
			} else {
				pending_space = o > 0;
				continue;
			}
		} else if ((*p & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
			cp = ((unsigned)(*p & 0x1f) << 6) | (p[1] & 0x3f);
			p += 2;
			if (cp >= 0x300 && cp <= 0x36f) {
				/* a combining mark: part of the letter before
				 */
				if (!after_letter && !loose)
					return FOLD_MARK;
				if (cp == 0x308 && (how & FOLD_UMLAUT_E) &&
				    after_letter && o > 0 &&
				    strchr("aou", out[o - 1])) {
					if (o + 2 >= outlen)
						return FOLD_LONG;
					out[o++] = 'e';
				}
				continue;
			}
			after_letter = 0;
			if (cp == 0x00b4) /* acute accent used as apostrophe */
				continue;
			if (cp == 0x00a0) { /* no-break space */
				pending_space = o > 0;
				continue;
			}
			if ((how & FOLD_UMLAUT_E) && umlaut_e(cp))
				add = umlaut_e(cp);
			else if (cp >= 0xc0 && cp <= 0xff)
				add = fold_c0[cp - 0xc0];
			else
				add = fold_ext(cp);
			if (!add && loose)
				add = "";
			if (!add)
				return cp < 0x80 ? FOLD_UTF8 : FOLD_CHAR;
			if (!*add) {
				pending_space = o > 0;
				continue;
			}
			after_letter = 1;
		} else if ((*p & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 &&
		           (p[2] & 0xc0) == 0x80) {
			cp = ((unsigned)(*p & 0x0f) << 12) |
			     ((unsigned)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
			p += 3;
			after_letter = 0;
			if (cp == 0x2019 ||
			    cp == 0x2018) /* typographic apostrophes */
				continue;
			if (cp == 0x2010 || cp == 0x2011 || cp == 0x2013) {
				pending_space = o > 0;
				continue;
			}
			if (cp < 0x800 || !(add = fold_ext(cp))) {
				if (loose) {
					pending_space = o > 0;
					continue;
				}
				return cp < 0x800 ? FOLD_UTF8 : FOLD_CHAR;
			}
			after_letter = 1;
		} else if (loose) {
			/* outside Latin or not UTF-8: its first byte, then
			 * each continuation byte, ends a word */
			p++;
			after_letter = 0;
			pending_space = o > 0;
			continue;
		} else {
			/* four-byte UTF-8 (outside Latin) or not UTF-8 */
			return (*p & 0xf8) == 0xf0 && (p[1] & 0xc0) == 0x80 &&
			               (p[2] & 0xc0) == 0x80 &&
			               (p[3] & 0xc0) == 0x80
			           ? FOLD_CHAR
			           : FOLD_UTF8;
		}
		size_t n = strlen(add);
		if (o + n + 2 >= outlen)
			return FOLD_LONG;
		if (pending_space)
			out[o++] = ' ';
		pending_space = 0;
		memcpy(out + o, add, n);
		o += n;
	}
	out[o] = '\0';
	return FOLD_OK;
}

static enum fold_why fold(const char *in, char *out, size_t outlen)
{
	return fold_as(in, out, outlen, 0);
}

void sh_fold_words(const char *in, char *out, size_t outlen)
{
	if (fold_as(in, out, outlen, FOLD_LOOSE) != FOLD_OK && outlen)
		out[0] = '\0';
}

static int is_prefix_word(const char *w, size_t n)
{
	static const char *words[] = {
	    "van", "de",  "der", "den", "het", "t",  "ter", "ten", "te",
	    "in",  "op",  "uit", "aan", "bij", "la", "le",  "du",  "da",
	    "di",  "dos", "el",  "l",   "d",   "vd", "v"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i][0] == w[0] && strlen(words[i]) == n &&
		    memcmp(words[i], w, n) == 0)
			return 1;
	return 0;
}

/* The number of leading prefix words of the folded words w[0..n) that
 * surname_words drops: while another word follows. */
static size_t leading_prefixes(char *const *w, size_t n)
{
	size_t l = 0;
	while (l + 1 < n && is_prefix_word(w[l], strlen(w[l])))
		l++;
	return l;
}

/* The words of a surname, folded, without the prefixes typed into it:
 * "Van der Berg-Öztürk" -> "berg ozturk". */
static enum fold_why surname_words(const char *in, char *out, size_t outlen)
{
	char f[256];
	enum fold_why why = fold(in, f, sizeof(f));
	if (why != FOLD_OK)
		return why;
	/* Drop leading prefix words while another word follows. */
	char *s = f;
	for (;;) {
		char *sp = strchr(s, ' ');
		if (!sp || !is_prefix_word(s, (size_t)(sp - s)))
			break;
		s = sp + 1;
	}
	if (strlen(s) >= outlen)
		return FOLD_LONG;
	memcpy(out, s, strlen(s) + 1);
	return *s ? FOLD_OK : FOLD_EMPTY;
}

int sh_surname_words(const char *in, char *out, size_t outlen)
{
	return surname_words(in, out, outlen) == FOLD_OK ? 0 : -1;
}

static enum fold_why norm_surname(const char *in, char *out, size_t outlen)
{
	char w[256];
	enum fold_why why = surname_words(in, w, sizeof(w));
	if (why != FOLD_OK)
		return why;
	size_t o = 0;
	for (const char *s = w; *s; s++)
		if (*s != ' ') {
			if (o + 1 >= outlen)
				return FOLD_LONG;
			out[o++] = *s;
		}
	out[o] = '\0';
	return o ? FOLD_OK : FOLD_EMPTY;
}

int sh_postcode_norm(const char *in, char out[7], int allow_area)
{
	size_t o = 0;
	for (const char *p = in; *p; p++) {
		if (*p == ' ')
			continue;
		if (o >= 6)
			return -1;
		if (o < 4 ? !isdigit((unsigned char)*p)
		          : !isalpha((unsigned char)*p))
			return -1;
		out[o++] = (char)toupper((unsigned char)*p);
	}
	out[o] = '\0';
	return (o == 6 || (allow_area && o == 4)) && out[0] != '0' ? 0 : -1;
}

static int norm_postcode(const char *in, char *out)
{
	return sh_postcode_norm(in, out, 0);
}

/* "12", "12A", "12-a", "12 bis": digits, then the addition. */
static int norm_house(const char *num, const char *add, char *n_out,
                      char *a_out, size_t alen)
{
	const char *p = num;
	size_t o = 0;
	while (*p == ' ')
		p++;
	while (isdigit((unsigned char)*p)) {
		if (o >= 6)
			return -1;
		n_out[o++] = *p++;
	}
	n_out[o] = '\0';
	if (o == 0 || n_out[0] == '0')
		return -1;
	/* the rest of the number, a space and the addition: at most 127
	 * bytes of them, as always */
	const char *part[3] = {p, " ", add ? add : ""};
	size_t seen = 0;
	o = 0;
	for (int k = 0; k < 3; k++)
		for (const char *q = part[k]; *q && seen < 127; q++, seen++) {
			if (isalnum((unsigned char)*q)) {
				if (o + 1 >= alen)
					return -1;
				a_out[o++] = (char)tolower((unsigned char)*q);
			} else if (!strchr(" -/.", *q)) {
				return -1;
			}
		}
	a_out[o] = '\0';
	return 0;
}

/* Append the strings of `part` to out (outlen > 0), cut to fit and
 * terminated, as snprintf with "%s%s..." would (without its cost: this is
 * done for every signal). */
static void join(char *out, size_t outlen, const char *const *part, int n)
{
	size_t o = 0;
	for (int k = 0; k < n; k++)
		for (const char *q = part[k]; *q && o + 1 < outlen; q++)
			out[o++] = *q;
	out[o] = '\0';
}

static int bsn_valid(const char *s)
{
	if (strlen(s) != 9)
		return 0;
	int sum = 0;
	for (int i = 0; i < 9; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		int d = s[i] - '0';
		sum += (i < 8 ? (9 - i) : -1) * d;
	}
	return sum % 11 == 0 && strcmp(s, "000000000") != 0;
}

/* YYYY-MM-DD, a day of the calendar (leap years included) from 1900 on,
 * as the catalogue takes a date field, or empty: a day that is not
 * (1980-02-30) is refused, not looked up as no one's. */
static int birth_date_valid(const char *s)
{
	return !s || !*s || sh_date_ok(s);
}

/* Join w[from..to) without spaces (or their initials) onto out. 0, or -1
 * if it does not fit. */
static int cat_words(char *out, size_t outlen, char *const *w, size_t from,
                     size_t to, int initials)
{
	size_t o = strlen(out);
	for (size_t i = from; i < to; i++) {
		size_t n = initials ? 1 : strlen(w[i]);
		if (o + n >= outlen)
			return -1;
		memcpy(out + o, w[i], n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

/* Add sur (how) to v[] unless it is there already. */
static void add_variant(sh_surname_variant *v, size_t *n, size_t max,
                        const char *sur, unsigned how)
{
	if (!*sur || strlen(sur) >= sizeof(v->sur))
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i].sur, sur) == 0)
			return;
	if (*n < max) {
		memcpy(v[*n].sur, sur, strlen(sur) + 1);
		v[(*n)++].how = how;
	}
}

/* ae, oe, ue -> a, o, u: as the sender folds ä, ö, ü (0 if none). */
static int e_to_umlaut(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	int any = 0;
	for (const char *p = in; *p && o + 1 < outlen; p++) {
		out[o++] = *p;
		if (strchr("aou", *p) && p[1] == 'e')
			p++, any = 1;
	}
	out[o] = '\0';
	return any;
}

size_t sh_surname_variants(const char *in, sh_surname_variant *v, size_t max)
{
	size_t n = 0;
	char sur[128];
	if (norm_surname(in, sur, sizeof(sur)) != FOLD_OK)
		return 0;
	add_variant(v, &n, max, sur, 0);
	for (int k = 0; k < 2; k++) {
		char f[256], *w[32];
		unsigned how = k ? SH_SPELL_UMLAUT_E : 0;
		if (fold_as(in, f, sizeof(f), k ? FOLD_UMLAUT_E : 0) != FOLD_OK)
			continue;
		size_t nw = (size_t)sh_split_words(f, w, 32);
		if (!nw)
			continue;
		/* the prefix group as typed: before the surname, or after
		 * it ("Vries, de", "Berg v.d.": the comma and the dots fold
		 * to spaces) */
		size_t lead = leading_prefixes(w, nw), trail = 0;
		while (lead == 0 && trail + 1 < nw &&
		       is_prefix_word(w[nw - 1 - trail],
		                      strlen(w[nw - 1 - trail])))
			trail++;
		size_t core_from = lead, core_to = nw - trail;
		size_t pfrom = lead ? 0 : core_to, pto = lead ? lead : nw;
		char c[128] = "";
		if (cat_words(c, sizeof(c), w, core_from, core_to, 0) < 0)
			continue;
		if (k) { /* as typed, with ä as ae */
			char t[128] = "";
			if (cat_words(t, sizeof(t), w, lead, nw, 0) == 0)
				add_variant(v, &n, max, t, how);
		}
		if (pto > pfrom) {
			char t[128];
			add_variant(v, &n, max, c, how | SH_SPELL_PREFIX_LEFT);
			memcpy(t, c, strlen(c) + 1);
			if (cat_words(t, sizeof(t), w, pfrom, pto, 0) == 0)
				add_variant(v, &n, max, t,
				            how | SH_SPELL_PREFIX_AFTER);
			/* "v.d." for "van der", "v." for "van" */
			memcpy(t, c, strlen(c) + 1);
			if ((pto - pfrom > 1 || strcmp(w[pfrom], "van") == 0) &&
			    cat_words(t, sizeof(t), w, pfrom, pto, 1) == 0)
				add_variant(v, &n, max, t,
				            how | SH_SPELL_PREFIX_SHORT);
		}
	}
	/* ue written for ü: the sender folded it to u */
	for (size_t i = 0, was = n; i < was; i++) {
		char t[128];
		if (!(v[i].how & SH_SPELL_UMLAUT_E) &&
		    e_to_umlaut(v[i].sur, t, sizeof(t)))
			add_variant(v, &n, max, t,
			            v[i].how | SH_SPELL_E_UMLAUT);
	}
	sh_wipe(sur, sizeof(sur));
	return n;
}

/* The canonical identity of p; with sur, that normalised surname in
 * place of p's own. */
static sh_err canonical_as(const Seinhuis__Person *p, const char *sur_as,
                           char *out, size_t outlen);

sh_err sh_canonical_identity(const Seinhuis__Person *p, char *out,
                             size_t outlen)
{
	return canonical_as(p, NULL, out, outlen);
}

sh_err sh_canonical_identity_as(const Seinhuis__Person *p, const char *sur,
                                char *out, size_t outlen)
{
	return canonical_as(p, sur, out, outlen);
}

static sh_err canonical_as(const Seinhuis__Person *p, const char *sur_as,
                           char *out, size_t outlen)
{
	if (p->bsn && p->bsn[0]) {
		if (!bsn_valid(p->bsn))
			return snprintf(out, outlen, "bsn"), SH_ERR_FIELD_VALUE;
		join(out, outlen, (const char *[]){"bsn:", p->bsn}, 2);
		return SH_OK;
	}
	char sur[128], pc[8], hn[8], ha[32];
	const char *missing = !p->surname || !p->surname[0]     ? "surname"
	                      : !p->postcode || !p->postcode[0] ? "postcode"
	                      : !p->house_number || !p->house_number[0]
	                          ? "house_number"
	                          : NULL;
	if (missing)
		return snprintf(out, outlen, "%s", missing),
		       SH_ERR_FIELD_MISSING;
	if (!birth_date_valid(p->birth_date))
		return snprintf(out, outlen, "birth_date"), SH_ERR_FIELD_VALUE;
	if (sur_as && strlen(sur_as) < sizeof(sur))
		memcpy(sur, sur_as, strlen(sur_as) + 1);
	else if (sur_as ||
	         norm_surname(p->surname, sur, sizeof(sur)) != FOLD_OK)
		return snprintf(out, outlen, "surname"), SH_ERR_FIELD_VALUE;
	if (norm_postcode(p->postcode, pc) < 0)
		return snprintf(out, outlen, "postcode"), SH_ERR_FIELD_VALUE;
	if (norm_house(p->house_number, p->house_number_addition, hn, ha,
	               sizeof(ha)) < 0)
		return snprintf(out, outlen, "house_number"),
		       SH_ERR_FIELD_VALUE;
	join(out, outlen,
	     (const char *[]){"nap:", sur, "|",
	                      p->birth_date ? p->birth_date : "", "|", pc, "|",
	                      hn, "|", ha},
	     10);
	return SH_OK;
}

const char *sh_canonical_why(const Seinhuis__Person *p, const char *field)
{
	char sur[128];
	if (strcmp(field, "surname") != 0 || !p->surname || !p->surname[0])
		return NULL;
	switch (norm_surname(p->surname, sur, sizeof(sur))) {
	case FOLD_CHAR:
		return "the surname holds a character that is not a letter of "
		       "the Latin alphabet (with or without accents), a digit, "
		       "a space, a hyphen or an apostrophe";
	case FOLD_MARK:
		return "the surname holds a combining accent that does not "
		       "follow a letter";
	case FOLD_UTF8: return "the surname is not valid UTF-8";
	case FOLD_LONG:
		return "the surname is too long for a canonical identity (at "
		       "most 127 letters and digits)";
	case FOLD_EMPTY:
		return "the surname holds no letter (only spaces or "
		       "punctuation)";
	case FOLD_OK: break;
	}
	return NULL;
}

size_t sh_other_persons_keys(const uint8_t secret[SH_KEY_LEN],
                             Seinhuis__Person *const *persons, size_t n,
                             uint8_t out[SH_OTHER_PERSONS_MAX][32])
{
	size_t k = 0;
	char canon[300];
	for (size_t i = 1; i < n && k < SH_OTHER_PERSONS_MAX; i++)
		if (sh_canonical_identity(persons[i], canon, sizeof(canon)) ==
		    SH_OK)
			sh_hmac_sha256(out[k++], secret, SH_KEY_LEN, canon,
			               strlen(canon));
	sh_wipe(canon, sizeof(canon));
	return k;
}

void sh_pseudonym(uint8_t out[SH_PSEUDO_LEN], const uint8_t key[SH_KEY_LEN],
                  const char *canonical)
{
	sh_hmac_sha256(out, key, SH_KEY_LEN, canonical, strlen(canonical));
}

sh_err sh_household(const Seinhuis__Person *p, char *out, size_t outlen)
{
	char pc[8], hn[8], ha[32];
	if (!p->postcode || norm_postcode(p->postcode, pc) < 0 ||
	    !p->house_number ||
	    norm_house(p->house_number, p->house_number_addition, hn, ha,
	               sizeof(ha)) < 0)
		return SH_ERR_FIELD_VALUE;
	join(out, outlen, (const char *[]){"household:", pc, "|", hn, "|", ha},
	     6);
	return SH_OK;
}

void sh_person_from_fields(Seinhuis__Person *p, Seinhuis__Field **f, size_t n)
{
	seinhuis__person__init(p);
	const ProtobufCMessageDescriptor *d = &seinhuis__person__descriptor;
	for (size_t i = 0; i < n; i++) {
		const ProtobufCFieldDescriptor *fd = sh_pb_field(d, f[i]->name);
		if (fd && fd->type == PROTOBUF_C_TYPE_STRING)
			*(char **)((char *)p + fd->offset) = f[i]->value;
	}
}
