/* clang-format off */
/*
 * policy.c - the signal catalogue and the minimal-data rules it states.
 *
 * The catalogue (deploy/catalogue.conf, loaded and validated at start-up)
 * is the only list of fields the daemon knows: for each signal type it
 * says which sender and recipient roles may exchange it, under which legal
 * bases, which fields it may carry, which are required, which are personal
 * (sealed), and how each value is checked. New arrears kinds and similar
 * catalogue words need no code change.
 *
 * Format, one statement per line ('#' starts a comment line):
 *
 *   seinhuis_catalogue = 1
 *   [arrears]                     a signal type (section)
 *   senders = landlord energy     roles that may send it
 *   recipients = municipality_debt
 *                                 roles that may receive it
 *   legal_basis = legal_duty      of legal_duty meldrecht consent legal_task
 *   purpose = debt_help           what a consent must be for
 *   purpose_field = purpose       or: the field (an enum, required, not
 *                                 personal, given before) whose value a
 *                                 consent's purpose must equal: one
 *                                 consent per purpose of the signal
 *   keep_unanswered = 6 months    retention in the recipient's inbox (and
 *                                 of a signal it quarantined)
 *   keep_taken = 12 months        retention once the team took it (a
 *                                 case record after its newest step)
 *   keep_closed = 18 months       retention of a closed case's record
 *   keep_sent = 12 months         retention of the sender's settled outbox
 *                                 record and its natural key
 *   keep_consent = 18 months      retention of the sender's record of a
 *                                 consent for this type's purpose once it
 *                                 ended, and no shorter than a signal sent
 *                                 under it is kept (each keep period:
 *                                 N seconds|minutes|hours|days|months|
 *                                 years, N from 1)
 *   feedback = consent            status feedback allowed: none, consent,
 *                                 legal_task
 *   natural_key = creditor_reference arrears_kind arrears_since
 *                                 fields that make a signal the same one
 *                                 again: a re-import is skipped, not re-sent
 *   persons = 4                   how many persons one signal may name
 *                                 (person2.surname ... use person 1's rules)
 *   field NAME = required|optional [personal] CHECK [only ROLE...]
 *   rule FIELD required when FIELD2 = VALUE
 *   rule FIELD includes A,B,C when FIELD2 = VALUE
 *   rule FIELD one_of A,B,C when sender = ROLE
 *                                 (FIELD2 may be "sender": the sender's
 *                                 role; one_of: if given, FIELD is one of
 *                                 the list)
 *
 * CHECK is one of: text MIN MAX (length in bytes), int MIN MAX,
 * enum WORD..., date [past], postcode, housenumber, phone, email, bsn,
 * msgid, digits N, steps. "only ROLE..." limits a field to senders of
 * those roles (a water company may send a birth date, a landlord not).
 *
 * At load, each field name is checked against the wire schema
 * (sh_wire_field_class): a name the schema does not have for that type is
 * an error, and "personal" must be given exactly for the fields that travel
 * sealed, so the catalogue cannot promise what the wire does not do.
 *
 * The same sh_policy_check() runs at the sender before a signal is
 * accepted and at the recipient before it is delivered. legal_basis is
 * always required; consent_ref is required when the basis is consent.
 * A refusal names the field and the rule; it never repeats the value.
 */
/* clang-format on */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "policy.h"

static const char *bases_known = " legal_duty meldrecht consent legal_task ";

static int word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	if (n == 0)
		return 0;
	for (const char *p = list; (p = strstr(p, word)); p += n) {
		int start = p == list || p[-1] == ' ' || p[-1] == ',';
		int end = p[n] == '\0' || p[n] == ' ' || p[n] == ',';
		if (start && end)
			return 1;
	}
	return 0;
}

int sh_role_in(const char *roles, const char *role)
{
	return word_in(roles, role);
}

/* FNV-1a of a field name: names are compared by this first. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

void sh_today(char out[11])
{
	/* once a second per thread: it is asked for every signal */
	static _Thread_local time_t last = (time_t)-1;
	static _Thread_local char day[11];
	time_t t = time(NULL);
	if (t != last) {
		sh_date_nl((int64_t)t * 1000, day);
		last = t;
	}
	memcpy(out, day, sizeof(day));
}

const char *sh_field_value(Seinhuis__Field **fields, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (sh_same_name(fields[i]->name, name))
			return fields[i]->value;
	return NULL;
}

/* --------------------------------------------------------- parsing */

struct parse {
	sh_catalogue *cat;
	sh_type_rule *cur;
	int line;
	char *why;
	size_t wl;
	unsigned seen; /* statements of the current section (once[]) */
};

/* Statements a section has at most once: a second would replace the first
 * without a word. (legal_basis lines add up, as documented.) */
static const char *const once[] = {
    "senders",    "recipients",  "purpose",       "keep_unanswered",
    "keep_taken", "keep_closed", "keep_sent",     "natural_key",
    "persons",    "feedback",    "purpose_field", "keep_consent"};

static sh_err perr(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static sh_err perr(struct parse *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->why, p->wl, "line %d: %s", p->line, msg);
	return SH_ERR_CATALOGUE;
}

static int parse_ll(const char *s, long long *v)
{
	char *end;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

int sh_parse_period(const char *s, int64_t *out)
{
	char buf[64], *w[3];
	long long n;
	snprintf(buf, sizeof(buf), "%s", s);
	if (sh_split_words(buf, w, 3) != 2 || parse_ll(w[0], &n) < 0 || n < 0 ||
	    n > 1000000)
		return -1;
	static const struct {
		const char *unit;
		int64_t s;
	} units[] = {{"seconds", 1},  {"minutes", 60},     {"hours", 3600},
	             {"days", 86400}, {"months", 2592000}, {"years", 31536000}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(w[1], units[i].unit) == 0 ||
		    (n == 1 &&
		     strncmp(w[1], units[i].unit, strlen(units[i].unit) - 1) ==
		         0 &&
		     strlen(w[1]) == strlen(units[i].unit) - 1)) {
			*out = n * units[i].s;
			return 0;
		}
	return -1;
}

static sh_err roles_list(struct parse *p, const char *v, char *out,
                         size_t outlen)
{
	char buf[512], *w[16];
	snprintf(buf, sizeof(buf), "%s", v);
	int n = sh_split_words(buf, w, 16);
	if (n == 0)
		return perr(p, "needs at least one role");
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (!sh_role_valid(w[i]))
			return perr(p, "'%s' is not a known role", w[i]);
		size_t l = strlen(out);
		snprintf(out + l, outlen - l, "%s%s", l ? " " : "", w[i]);
	}
	return SH_OK;
}

static sh_err parse_field(struct parse *p, const char *name, char *v)
{
	sh_type_rule *t = p->cur;
	char *w[65];
	int n = sh_split_words(v, w, 65), i = 0;
	if (n > 64)
		return perr(p, "field '%s': more than 64 words", name);
	for (int k = 0; k < n; k++)
		if (w[k][0] == '#')
			return perr(
			    p,
			    "field '%s': a comment goes on a line of its "
			    "own ('#' in a field line)",
			    name);
	int cls = sh_wire_field_class(t->type, name);
	if (cls == SH_FIELD_NONE)
		return perr(p,
		            "'%s' is not a field of %s signals in the wire "
		            "format (proto/seinhuis.proto)",
		            name, sh_signal_type_name(t->type));
	if (strcmp(name, "legal_basis") == 0 ||
	    strcmp(name, "consent_ref") == 0)
		return perr(
		    p,
		    "%s is governed by the legal_basis line, not a field "
		    "line",
		    name);
	for (size_t k = 0; k < t->nfields; k++)
		if (strcmp(t->fields[k].name, name) == 0)
			return perr(p, "field '%s' is given twice", name);
	sh_field_rule r;
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.line = p->line;
	if (i < n && strcmp(w[i], "required") == 0)
		r.required = 1, i++;
	else if (i < n && strcmp(w[i], "optional") == 0)
		i++;
	else
		return perr(p, "field '%s': say 'required' or 'optional'",
		            name);
	if (i < n && strcmp(w[i], "personal") == 0)
		r.personal = 1, i++;
	if (r.personal && cls != SH_FIELD_PERSONAL)
		return perr(
		    p,
		    "field '%s' travels in clear in the wire format; it "
		    "cannot be marked personal (personal data must be "
		    "in a sealed field)",
		    name);
	if (!r.personal && cls == SH_FIELD_PERSONAL)
		return perr(p, "field '%s' travels sealed: mark it personal",
		            name);
	if (i >= n)
		return perr(p, "field '%s': a check is missing", name);
	const char *kind = w[i++];
	long long a, b;
	if (strcmp(kind, "text") == 0 || strcmp(kind, "int") == 0) {
		r.kind = kind[0] == 't' ? CHK_TEXT : CHK_INT;
		if (i + 1 >= n + 0 || i + 1 > n - 1 || parse_ll(w[i], &a) < 0 ||
		    parse_ll(w[i + 1], &b) < 0 ||
		    (r.kind == CHK_TEXT && (a < 0 || b > 4000)))
			return perr(p, "field '%s': %s takes MIN MAX%s", name,
			            kind,
			            r.kind == CHK_TEXT ? " (0..4000)" : "");
		if (a > b)
			return perr(p,
			            "field '%s': %s MIN MAX: MIN (%lld) is "
			            "greater than MAX (%lld)",
			            name, kind, a, b);
		/* proto3 does not send a 0: the recipient would find a
		 * required field missing and quarantine the signal */
		if (r.kind == CHK_INT && r.required && a <= 0 && b >= 0)
			return perr(
			    p,
			    "field '%s': a required int may not allow 0 "
			    "(the wire format leaves 0 out: the "
			    "recipient would find the field missing)",
			    name);
		r.min = a, r.max = b;
		i += 2;
	} else if (strcmp(kind, "enum") == 0) {
		r.kind = CHK_ENUM;
		while (i < n && strcmp(w[i], "only") != 0) {
			size_t l = strlen(r.words);
			if (l + strlen(w[i]) + 2 >= sizeof(r.words))
				return perr(p, "field '%s': too many words",
				            name);
			snprintf(r.words + l, sizeof(r.words) - l, "%s%s",
			         l ? " " : "", w[i]);
			i++;
		}
		if (!r.words[0])
			return perr(p,
			            "field '%s': enum needs at least one word",
			            name);
	} else if (strcmp(kind, "date") == 0) {
		r.kind = CHK_DATE;
		if (i < n && strcmp(w[i], "past") == 0)
			r.past = 1, i++;
	} else if (strcmp(kind, "digits") == 0) {
		r.kind = CHK_DIGITS;
		if (i >= n || parse_ll(w[i], &a) < 0 || a < 1 || a > 32)
			return perr(p, "field '%s': digits takes a count 1..32",
			            name);
		r.min = r.max = a;
		i++;
	} else {
		static const struct {
			const char *w;
			sh_check_kind k;
		} simple[] = {{"postcode", CHK_POSTCODE},
		              {"housenumber", CHK_HOUSENUMBER},
		              {"phone", CHK_PHONE},
		              {"email", CHK_EMAIL},
		              {"bsn", CHK_BSN},
		              {"msgid", CHK_MSGID},
		              {"steps", CHK_STEPS}};
		size_t k;
		for (k = 0; k < sizeof(simple) / sizeof(simple[0]); k++)
			if (strcmp(kind, simple[k].w) == 0)
				break;
		if (k == sizeof(simple) / sizeof(simple[0]))
			return perr(p, "field '%s': unknown check '%s'", name,
			            kind);
		r.kind = simple[k].k;
	}
	if (i < n && strcmp(w[i], "only") == 0) {
		i++;
		for (; i < n; i++) {
			if (!sh_role_valid(w[i]))
				return perr(
				    p, "field '%s': '%s' is not a known role",
				    name, w[i]);
			size_t l = strlen(r.only);
			snprintf(r.only + l, sizeof(r.only) - l, "%s%s",
			         l ? " " : "", w[i]);
		}
		if (!r.only[0])
			return perr(p, "field '%s': 'only' needs roles", name);
	}
	if (i < n)
		return perr(p, "field '%s': unexpected '%s'", name, w[i]);
	t->fields = realloc(t->fields, (t->nfields + 1) * sizeof(*t->fields));
	if (!t->fields)
		abort();
	r.hash = name_hash(r.name);
	t->fields[t->nfields++] = r;
	if (t->nfields <= SH_FIELD_SLOTS_USED) {
		size_t at = r.hash % SH_FIELD_SLOTS;
		while (t->field_slot[at])
			at = (at + 1) % SH_FIELD_SLOTS;
		t->field_slot[at] = (uint8_t)t->nfields;
	}
	return SH_OK;
}

/* The rule of field `name` (whose name_hash is h), or NULL. By the hash
 * table of the type's fields (parse_field fills it; a name is given once):
 * the policy check and the natural key look up each field of every
 * signal, and a scan of the type's rules took some 2,000 instructions a
 * signal on each side. A type has as many fields as the wire format
 * gives it, far fewer than SH_FIELD_SLOTS_USED; the scan stays for one
 * with more. */
static const sh_field_rule *rule_by_hash(const sh_type_rule *t,
                                         const char *name, uint32_t h)
{
	if (t->nfields > SH_FIELD_SLOTS_USED) {
		for (size_t i = 0; i < t->nfields; i++)
			if (t->fields[i].hash == h &&
			    strcmp(t->fields[i].name, name) == 0)
				return &t->fields[i];
		return NULL;
	}
	for (size_t at = h % SH_FIELD_SLOTS; t->field_slot[at];
	     at = (at + 1) % SH_FIELD_SLOTS) {
		const sh_field_rule *r = &t->fields[t->field_slot[at] - 1];
		if (r->hash == h && strcmp(r->name, name) == 0)
			return r;
	}
	return NULL;
}

static const sh_field_rule *field_rule(const sh_type_rule *t, const char *name)
{
	return rule_by_hash(t, name, name_hash(name));
}

void sh_type_values(const sh_type_rule *t, Seinhuis__Field **fields, size_t n,
                    const char *vals[SH_TYPE_VALUES])
{
	for (size_t i = 0; i < SH_TYPE_VALUES; i++)
		vals[i] = NULL;
	for (size_t i = 0; i < n; i++) {
		const sh_field_rule *r = field_rule(t, fields[i]->name);
		size_t k = r ? (size_t)(r - t->fields) : SH_TYPE_VALUES;
		if (k < SH_TYPE_VALUES && !vals[k])
			vals[k] = fields[i]->value;
	}
}

static int known_name(const sh_type_rule *t, const char *name)
{
	return field_rule(t, name) || strcmp(name, "legal_basis") == 0 ||
	       strcmp(name, "consent_ref") == 0;
}

const char *sh_consent_purpose(const sh_type_rule *t, Seinhuis__Field **f,
                               size_t n)
{
	if (!t->purpose_field[0])
		return t->purpose;
	const char *v = sh_field_value(f, n, t->purpose_field);
	return v ? v : "";
}

int sh_consent_purpose_usable(const sh_type_rule *t, const char *purpose)
{
	if (!t->purpose_field[0])
		return t->purpose[0] && strcmp(t->purpose, purpose) == 0;
	const sh_field_rule *r = field_rule(t, t->purpose_field);
	return r && word_in(r->words, purpose);
}

void sh_consent_purposes_add(const sh_type_rule *t, char *out, size_t n)
{
	const sh_field_rule *r =
	    t->purpose_field[0] ? field_rule(t, t->purpose_field) : NULL;
	char words[sizeof(r->words)], *save = NULL;
	snprintf(words, sizeof(words), "%s", r ? r->words : t->purpose);
	for (char *w = strtok_r(words, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		size_t l = strlen(out);
		if (!word_in(out, w) && l + strlen(w) + 2 <= n)
			snprintf(out + l, n - l, "%s%s", l ? " " : "", w);
	}
}

static sh_err parse_rule(struct parse *p, char *line)
{
	sh_type_rule *t = p->cur;
	char *all[10];
	int n = sh_split_words(line, all, 10) - 1, i = 0;
	if (n < 1)
		return perr(p, "a rule names a field");
	const char *field = all[0];
	char **w = all + 1;
	sh_cond_rule c;
	memset(&c, 0, sizeof(c));
	c.line = p->line;
	if (n >= 1 && strcmp(w[0], "required") == 0) {
		i = 1;
	} else if (n >= 2 && (strcmp(w[0], "includes") == 0 ||
	                      strcmp(w[0], "one_of") == 0)) {
		snprintf(c.includes, sizeof(c.includes), "%s", w[1]);
		c.one_of = w[0][0] == 'o';
		i = 2;
	} else {
		return perr(p,
		            "rule for '%s': say 'required', 'includes LIST' or "
		            "'one_of LIST'",
		            field);
	}
	if (n != i + 4 || strcmp(w[i], "when") != 0 ||
	    strcmp(w[i + 2], "=") != 0)
		return perr(p,
		            "rule for '%s': expected '... when FIELD = VALUE'",
		            field);
	int by_sender = strcmp(w[i + 1], "sender") == 0;
	if (!known_name(t, field) || (!by_sender && !known_name(t, w[i + 1])))
		return perr(p, "rule names a field that has no field line");
	if (by_sender && !word_in(t->senders, w[i + 3]))
		return perr(p,
		            "rule for '%s': '%s' is not one of the section's "
		            "senders",
		            field, w[i + 3]);
	if (strlen(w[i + 3]) >= sizeof(c.value) ||
	    (i == 2 && strlen(w[1]) >= sizeof(c.includes)))
		return perr(p, "rule for '%s': a value of at most %zu bytes",
		            field, sizeof(c.value) - 1);
	snprintf(c.field, sizeof(c.field), "%s", field);
	snprintf(c.when, sizeof(c.when), "%s", w[i + 1]);
	snprintf(c.value, sizeof(c.value), "%s", w[i + 3]);
	t->conds = realloc(t->conds, (t->nconds + 1) * sizeof(*t->conds));
	if (!t->conds)
		abort();
	t->conds[t->nconds++] = c;
	return SH_OK;
}

/* The values a rule's FIELD or WHEN can have, where the catalogue says
 * them: legal_basis (the section's legal_basis line) and enum fields. */
static const char *cond_domain(const sh_type_rule *t, const char *name,
                               const char **what)
{
	if (strcmp(name, "legal_basis") == 0) {
		*what = "the section's legal_basis line";
		return t->bases;
	}
	const sh_field_rule *r = field_rule(t, name);
	if (r && r->kind == CHK_ENUM) {
		*what = "its enum";
		return r->words;
	}
	if (r && r->kind == CHK_STEPS) {
		*what = "steps: 1 to 5";
		return "1 2 3 4 5";
	}
	return NULL;
}

/* A rule whose VALUE no signal can have never applies, and a one_of or
 * includes item no signal can have refuses what it means to allow: a
 * typo (when legal_basis = meldrect) would turn a check off silently. */
static sh_err cond_values_check(struct parse *p, const sh_type_rule *t,
                                const sh_cond_rule *c)
{
	const char *what, *dom = cond_domain(t, c->when, &what);
	p->line = c->line;
	if (dom && !word_in(dom, c->value))
		return perr(p,
		            "rule for '%s': '%s' is not a value of '%s' (see "
		            "%s): the rule would never apply",
		            c->field, c->value, c->when, what);
	dom = c->includes[0] ? cond_domain(t, c->field, &what) : NULL;
	if (!dom)
		return SH_OK;
	char items[sizeof(c->includes)], *save = NULL;
	snprintf(items, sizeof(items), "%s", c->includes);
	for (char *w = strtok_r(items, ",", &save); w;
	     w = strtok_r(NULL, ",", &save))
		if (!word_in(dom, w))
			return perr(
			    p,
			    "rule for '%s': '%s' is not a value of '%s' "
			    "(see %s)",
			    c->field, w, c->field, what);
	return SH_OK;
}

static sh_err finish_type(struct parse *p)
{
	sh_type_rule *t = p->cur;
	if (!t)
		return SH_OK;
	const char *missing = !t->senders[0]      ? "senders"
	                      : !t->recipients[0] ? "recipients"
	                      : !t->bases[0]      ? "legal_basis"
	                                          : NULL;
	int here = p->line;
	sh_err e = SH_OK;
	p->line = t->line; /* report at the section's header */
	if (missing)
		e = perr(p, "section [%s] has no '%s' line",
		         sh_signal_type_name(t->type), missing);
	else if (word_in(t->bases, "consent") && !t->purpose[0] &&
	         !t->purpose_field[0])
		e = perr(p,
		         "section [%s] allows consent but names no purpose "
		         "(purpose or purpose_field)",
		         sh_signal_type_name(t->type));
	else if (t->purpose[0] && t->purpose_field[0])
		e = perr(p,
		         "section [%s] gives both purpose and purpose_field: "
		         "a consent's purpose is one or the other",
		         sh_signal_type_name(t->type));
	else if (t->purpose_field[0] && !word_in(t->bases, "consent"))
		e = perr(p,
		         "section [%s] gives purpose_field but does not allow "
		         "the legal basis consent",
		         sh_signal_type_name(t->type));
	/* A closed case is kept at least as long as an idle open one: not
	 * given, keep_closed is 18 months or keep_taken if that is longer;
	 * given shorter, it is refused. */
	unsigned closed_bit = 0;
	for (unsigned k = 0; k < sizeof(once) / sizeof(once[0]); k++)
		if (strcmp(once[k], "keep_closed") == 0)
			closed_bit = 1u << k;
	if (e == SH_OK && !(p->seen & closed_bit) &&
	    t->keep_closed_s < t->keep_taken_s)
		t->keep_closed_s = t->keep_taken_s;
	else if (e == SH_OK && t->keep_closed_s < t->keep_taken_s)
		e = perr(p,
		         "section [%s]: keep_closed is shorter than "
		         "keep_taken (a closed case would go before an idle "
		         "open one)",
		         sh_signal_type_name(t->type));
	for (size_t i = 0; e == SH_OK && i < t->nconds; i++)
		e = cond_values_check(p, t, &t->conds[i]);
	p->line = here;
	return e;
}

/* The retention period a keep_* statement sets, or NULL for another key. */
static int64_t *keep_period(sh_type_rule *t, const char *key)
{
	if (strcmp(key, "keep_unanswered") == 0)
		return &t->keep_unanswered_s;
	if (strcmp(key, "keep_taken") == 0)
		return &t->keep_taken_s;
	if (strcmp(key, "keep_closed") == 0)
		return &t->keep_closed_s;
	if (strcmp(key, "keep_sent") == 0)
		return &t->keep_sent_s;
	if (strcmp(key, "keep_consent") == 0)
		return &t->keep_consent_s;
	return NULL;
}

static sh_err parse_line(struct parse *p, char *l, int *seen_magic)
{
	if (*l == '[') {
		if (!*seen_magic)
			return perr(p, "the first statement must be "
			               "'seinhuis_catalogue = 1'");
		char *end = strchr(l, ']');
		if (!end || end[1])
			return perr(p, "a section line is [signal_type]");
		*end = '\0';
		sh_err e = finish_type(p);
		if (e)
			return e;
		Seinhuis__SignalType ty = sh_signal_type_parse(sh_trim(l + 1));
		if (ty == SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED)
			return perr(p, "'%s' is not a signal type", l + 1);
		if (sh_catalogue_type(p->cat, ty))
			return perr(p, "section [%s] is given twice", l + 1);
		sh_catalogue *c = p->cat;
		c->types =
		    realloc(c->types, (c->ntypes + 1) * sizeof(*c->types));
		if (!c->types)
			abort();
		p->cur = &c->types[c->ntypes++];
		p->seen = 0;
		memset(p->cur, 0, sizeof(*p->cur));
		p->cur->type = ty;
		p->cur->line = p->line;
		p->cur->keep_unanswered_s = 6 * 2592000LL;
		p->cur->keep_taken_s = 12 * 2592000LL;
		p->cur->keep_closed_s = 18 * 2592000LL;
		p->cur->keep_sent_s = 12 * 2592000LL;
		p->cur->keep_consent_s = 18 * 2592000LL;
		p->cur->persons = 1;
		snprintf(p->cur->feedback, sizeof(p->cur->feedback), "none");
		return SH_OK;
	}
	if (strncmp(l, "rule", 4) == 0 && (l[4] == ' ' || l[4] == '\t')) {
		if (!p->cur)
			return perr(p,
			            "a rule outside a [signal_type] section");
		return parse_rule(p, l + 5);
	}
	char *eq = strchr(l, '=');
	if (!eq)
		return perr(p, "expected 'key = value' or [section]");
	*eq = '\0';
	char *key = sh_trim(l), *v = sh_trim(eq + 1);
	if (strcmp(key, "seinhuis_catalogue") == 0) {
		if (*seen_magic || p->cur)
			return perr(
			    p,
			    "seinhuis_catalogue must be the first statement, "
			    "once");
		if (strcmp(v, "1") != 0)
			return perr(p, "catalogue format must be 1");
		*seen_magic = 1;
		return SH_OK;
	}
	if (!*seen_magic)
		return perr(
		    p, "the first statement must be 'seinhuis_catalogue = 1'");
	sh_type_rule *t = p->cur;
	if (!t)
		return perr(p, "'%s' outside a [signal_type] section", key);
	if (strncmp(key, "field", 5) == 0 && (key[5] == ' ' || key[5] == '\t'))
		return parse_field(p, sh_trim(key + 6), v);
	const char *hash = strchr(v, '#');
	if (hash && (hash == v || isspace((unsigned char)hash[-1])))
		return perr(p,
		            "%s: a comment goes on a line of its own, not "
		            "after a statement ('#' in the value)",
		            key);
	for (unsigned k = 0; k < sizeof(once) / sizeof(once[0]); k++)
		if (strcmp(key, once[k]) == 0) {
			if (p->seen & 1u << k)
				return perr(p, "'%s' is given twice in [%s]",
				            key, sh_signal_type_name(t->type));
			p->seen |= 1u << k;
		}
	if (strcmp(key, "senders") == 0)
		return roles_list(p, v, t->senders, sizeof(t->senders));
	if (strcmp(key, "recipients") == 0)
		return roles_list(p, v, t->recipients, sizeof(t->recipients));
	if (strcmp(key, "legal_basis") == 0) {
		char buf[256], *w[8];
		snprintf(buf, sizeof(buf), "%s", v);
		int n = sh_split_words(buf, w, 8);
		if (n == 0)
			return perr(p, "legal_basis needs at least one basis");
		for (int i = 0; i < n; i++) {
			if (!word_in(bases_known, w[i]))
				return perr(
				    p,
				    "'%s' is not a legal basis (legal_duty, "
				    "meldrecht, consent, legal_task)",
				    w[i]);
			size_t len = strlen(t->bases);
			snprintf(t->bases + len, sizeof(t->bases) - len, "%s%s",
			         len ? " " : "", w[i]);
		}
		return SH_OK;
	}
	if (strcmp(key, "purpose") == 0) {
		if (!sh_partner_id_valid(v) || strlen(v) >= sizeof(t->purpose))
			return perr(p,
			            "purpose is one word of a-z, 0-9, _ and -");
		snprintf(t->purpose, sizeof(t->purpose), "%s", v);
		return SH_OK;
	}
	if (strcmp(key, "purpose_field") == 0) {
		/* the consent's purpose is a word of the catalogue: logged
		 * and listed, it must never be a resident's data */
		const sh_field_rule *r = field_rule(t, v);
		if (!r)
			return perr(
			    p,
			    "purpose_field: '%s' has no field line (give "
			    "the field lines first)",
			    v);
		if (r->kind != CHK_ENUM || r->personal || !r->required ||
		    r->only[0])
			return perr(p,
			            "purpose_field: '%s' must be a required "
			            "enum field, not personal, for all senders",
			            v);
		snprintf(t->purpose_field, sizeof(t->purpose_field), "%s", v);
		return SH_OK;
	}
	int64_t *dst = keep_period(t, key);
	if (dst) {
		if (sh_parse_period(v, dst) < 0)
			return perr(
			    p,
			    "%s takes 'N seconds|minutes|hours|days|months|"
			    "years'",
			    key);
		/* 0 would remove what it keeps at the next sweep: a team's
		 * unread signals, its cases, the sender's guard against
		 * sending an imported row twice, or its proof of a consent */
		if (*dst == 0)
			return perr(p, "%s must be longer than 0", key);
		return SH_OK;
	}
	if (strcmp(key, "natural_key") == 0) {
		char buf[256], *w[9];
		snprintf(buf, sizeof(buf), "%s", v);
		int n = sh_split_words(buf, w, 9);
		if (n == 0 || n > 8 || strlen(v) >= sizeof(t->natural_key))
			return perr(p, "natural_key names 1 to 8 fields");
		/* kept with single spaces between the names: the sender
		 * splits it on spaces (tabs were taken as one name there) */
		t->natural_key[0] = '\0';
		t->n_natural = 0;
		for (int i = 0; i < n; i++) {
			if (!field_rule(t, w[i]))
				return perr(
				    p,
				    "natural_key: '%s' has no field line (give "
				    "the field lines first)",
				    w[i]);
			t->natural_at[i] =
			    (size_t)(field_rule(t, w[i]) - t->fields);
			t->n_natural = (size_t)i + 1;
			size_t at = strlen(t->natural_key);
			snprintf(t->natural_key + at,
			         sizeof(t->natural_key) - at, "%s%s",
			         i ? " " : "", w[i]);
		}
		return SH_OK;
	}
	if (strcmp(key, "persons") == 0) {
		long long n;
		if (parse_ll(v, &n) < 0 || n < 1 || n > 8)
			return perr(p, "persons is 1 to 8");
		t->persons = (int)n;
		return SH_OK;
	}
	if (strcmp(key, "feedback") == 0) {
		if (strcmp(v, "none") && strcmp(v, "consent") &&
		    strcmp(v, "legal_task"))
			return perr(p,
			            "feedback is none, consent or legal_task");
		snprintf(t->feedback, sizeof(t->feedback), "%s", v);
		return SH_OK;
	}
	return perr(p, "unknown statement '%s'", key);
}

sh_err sh_catalogue_parse(sh_catalogue *cat, const char *text, size_t len,
                          char *why, size_t whylen)
{
	struct parse p = {cat, NULL, 0, why, whylen, 0};
	int seen_magic = 0;
	size_t pos = 0;
	char line[2048];
	sh_err e = SH_OK;
	memset(cat, 0, sizeof(*cat));
	if (memchr(text, '\0', len)) {
		snprintf(why, whylen, "the file contains a NUL byte");
		return SH_ERR_CATALOGUE;
	}
	pos = sh_utf8_bom_len(text, len);
	while (pos < len && e == SH_OK) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		p.line++;
		if (n >= sizeof(line)) {
			e = perr(&p, "line too long");
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		char *l = sh_trim(line);
		if (*l == '\0' || *l == '#')
			continue;
		e = parse_line(&p, l, &seen_magic);
	}
	if (e == SH_OK)
		e = finish_type(&p);
	if (e == SH_OK && cat->ntypes == 0) {
		snprintf(why, whylen, "the catalogue defines no signal type");
		e = SH_ERR_CATALOGUE;
	}
	if (e != SH_OK)
		sh_catalogue_free(cat);
	return e;
}

sh_err sh_catalogue_load(sh_catalogue *cat, const char *path, char *why,
                         size_t whylen)
{
	char *text, sub[512];
	size_t len;
	const char *rw;
	sh_err e = sh_read_setting(path, 1 << 20, "1 MiB", &text, &len, &rw);
	if (e != SH_OK) {
		snprintf(why, whylen, "%s: cannot read: %s", path, rw);
		return SH_ERR_CATALOGUE;
	}
	e = sh_catalogue_parse(cat, text, len, sub, sizeof(sub));
	free(text);
	if (e != SH_OK)
		snprintf(why, whylen, "%s: %s", path, sub);
	return e;
}

void sh_catalogue_free(sh_catalogue *cat)
{
	for (size_t i = 0; i < cat->ntypes; i++) {
		free(cat->types[i].fields);
		free(cat->types[i].conds);
	}
	free(cat->types);
	memset(cat, 0, sizeof(*cat));
}

const sh_type_rule *sh_catalogue_type(const sh_catalogue *cat,
                                      Seinhuis__SignalType t)
{
	for (size_t i = 0; i < cat->ntypes; i++)
		if (cat->types[i].type == t)
			return &cat->types[i];
	return NULL;
}

/* ---------------------------------------------------------- checks */

/* Valid UTF-8 without control characters other than tab and line breaks. */
/* Text without control characters (tab, CR and LF allowed), in UTF-8;
 * its length in *len. Printable ASCII, most text, is checked eight bytes
 * at a time. */
static int utf8_text_ok(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	size_t n = strlen(s), i = 0;
	*len = n;
	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		memcpy(&x, p + i, 8);
		/* a byte below 0x20, or above 0x7e */
		if ((((x - 0x20 * ones) & ~x) | ((x + ones) | x)) & high)
			break;
	}
	for (; i < n; i++) {
		unsigned c = p[i];
		if (c - 0x20u < 0x5fu || c == '\n' || c == '\t' || c == '\r')
			continue;
		if (c < 0x80)
			return 0; /* another control character, or DEL */
		break;            /* not ASCII: the rest the long way */
	}
	if (i == n)
		return 1;
	for (size_t j = i; j < n; j++)
		if ((p[j] < 0x20 && p[j] != '\n' && p[j] != '\t' &&
		     p[j] != '\r') ||
		    p[j] == 0x7f)
			return 0;
	return sh_utf8_valid(p + i, n - i);
}

int sh_date_ok(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

static int postcode_ok(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || s[0] == '0')
		return 0;
	for (int i = 1; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	const char *l = s + 4;
	if (*l == ' ')
		l++;
	if (!isalpha((unsigned char)l[0]) || !isalpha((unsigned char)l[1]) ||
	    l[2])
		return 0;
	char a = (char)toupper((unsigned char)l[0]),
	     b = (char)toupper((unsigned char)l[1]);
	return !(a == 'S' && (b == 'A' || b == 'D' || b == 'S'));
}

static int housenumber_ok(const char *s)
{
	int digits = 0;
	if (*s == '0')
		return 0;
	while (isdigit((unsigned char)*s))
		s++, digits++;
	if (digits < 1 || digits > 5)
		return 0;
	if (*s == '-' || *s == ' ')
		s++;
	int add = 0;
	while (isalnum((unsigned char)*s) && add < 6)
		s++, add++;
	return *s == '\0';
}

static int phone_ok(const char *s)
{
	int digits = 0;
	for (const char *p = s; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (*p == '+' ? p != s : !strchr(" -()/", *p))
			return 0;
	}
	return digits >= 10 && digits <= 15;
}

static int email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);
	if (!at || at == s || strchr(at + 1, '@') || n > 254 || at - s > 64)
		return 0;
	for (const char *p = s; p < at; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._%+-", *p))
			return 0;
	const char *dom = at + 1, *dot = strrchr(dom, '.');
	if (!dot || dot == dom || !dot[1] || strlen(dot + 1) < 2)
		return 0;
	for (const char *p = dom; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return 0;
	return !strstr(dom, "..") && dom[0] != '.' && dom[0] != '-';
}

static int bsn_ok(const char *s)
{
	if (strlen(s) != 9 || strcmp(s, "000000000") == 0)
		return 0;
	int sum = 0;
	for (int i = 0; i < 9; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		sum += (i < 8 ? 9 - i : -1) * (s[i] - '0');
	}
	return sum % 11 == 0;
}

static int steps_ok(const char *s)
{
	int seen = 0;
	for (const char *p = s; *p;) {
		if (*p < '1' || *p > '5' || (seen & (1 << (*p - '0'))))
			return 0;
		seen |= 1 << (*p - '0');
		p++;
		if (*p == ',')
			p++;
		else if (*p)
			return 0;
	}
	return seen != 0 && s[strlen(s) - 1] != ',';
}

/* Check one value; on refusal write what the rule requires to detail. */
/* At p, a character that shows nothing (soft hyphen, zero-width space
 * and joiners, direction marks, word joiner, BOM): its length in bytes,
 * else 0. With *space set: a space other than ASCII's (no-break, thin,
 * ideographic, ...), its length. */
static size_t hidden_at(const unsigned char *p, int *space)
{
	*space = 0;
	if (p[0] < 0xc2 || p[0] > 0xef)
		return 0; /* ASCII, or a lead byte none of these has */
	if (p[0] == 0xc2 && p[1] == 0xad)
		return 2; /* U+00AD */
	if (p[0] == 0xc2 && p[1] == 0xa0)
		return *space = 1, 2; /* U+00A0 */
	if ((p[0] == 0xcd && p[1] == 0x8f) || (p[0] == 0xd8 && p[1] == 0x9c))
		return 2; /* U+034F, U+061C */
	if (p[0] == 0xe1 && p[1] == 0xa0 && p[2] == 0x8e)
		return 3; /* U+180E */
	if (p[0] == 0xe2 && p[1] == 0x80) {
		if (p[2] >= 0x80 && p[2] <= 0x8a)
			return *space = 1, 3; /* U+2000..U+200A */
		if ((p[2] >= 0x8b && p[2] <= 0x8f) ||
		    (p[2] >= 0xaa && p[2] <= 0xae))
			return 3; /* U+200B..U+200F, U+202A..U+202E */
		if (p[2] == 0xaf)
			return *space = 1, 3; /* U+202F */
	}
	if (p[0] == 0xe2 && p[1] == 0x81) {
		if (p[2] == 0x9f)
			return *space = 1, 3; /* U+205F */
		if ((p[2] >= 0xa0 && p[2] <= 0xa4) ||
		    (p[2] >= 0xa6 && p[2] <= 0xa9))
			return 3; /* U+2060..U+2064, U+2066..U+2069 */
	}
	if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
		return *space = 1, 3; /* U+3000 */
	if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return 3; /* U+FEFF */
	return 0;
}

int sh_text_blank(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	int space;
	while (*p) {
		size_t n = hidden_at(p, &space);
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		else if (n)
			p += n;
		else
			return 0;
	}
	return 1;
}

static sh_err check_value(const sh_field_rule *r, const char *v,
                          const char *today, char *detail, size_t dl)
{
	long long n;
	size_t len;
	switch (r->kind) {
	case CHK_TEXT:
		if (!utf8_text_ok(v, &len))
			return snprintf(detail, dl,
			                "must be text without control "
			                "characters, in UTF-8"),
			       SH_ERR_FIELD_FORMAT;
		/* An optional field given a value that only looks like one
		 * is refused, not dropped: the sender's client sees it, and
		 * the recipient applies the same rule to the same bytes. */
		if (v[0] && sh_text_blank(v))
			return snprintf(detail, dl,
			                "blank (only spaces or invisible "
			                "characters): leave the field out or "
			                "give a value"),
			       SH_ERR_FIELD_FORMAT;
		if ((long long)len < r->min || (long long)len > r->max)
			return snprintf(detail, dl,
			                "must be %lld to %lld bytes long",
			                r->min, r->max),
			       SH_ERR_FIELD_RANGE;
		return SH_OK;
	case CHK_INT:
		if (parse_ll(v, &n) < 0 || isspace((unsigned char)*v) ||
		    *v == '+')
			return snprintf(detail, dl, "must be a whole number"),
			       SH_ERR_FIELD_FORMAT;
		if (n < r->min || n > r->max)
			return snprintf(detail, dl, "must be from %lld to %lld",
			                r->min, r->max),
			       SH_ERR_FIELD_RANGE;
		return SH_OK;
	case CHK_ENUM:
		if (strchr(v, ' ') || strchr(v, ',') || !word_in(r->words, v))
			return snprintf(detail, dl, "must be one of: %s",
			                r->words),
			       SH_ERR_FIELD_ENUM;
		return SH_OK;
	case CHK_DATE:
		if (!sh_date_ok(v))
			return snprintf(detail, dl,
			                "must be a date YYYY-MM-DD"),
			       SH_ERR_FIELD_FORMAT;
		if (r->past && strcmp(v, today) > 0)
			return snprintf(detail, dl,
			                "must not lie in the future"),
			       SH_ERR_FIELD_FUTURE;
		return SH_OK;
	case CHK_POSTCODE:
		return postcode_ok(v)
		           ? SH_OK
		           : (snprintf(detail, dl,
		                       "must be a Dutch postcode: "
		                       "four digits and two letters"),
		              SH_ERR_FIELD_FORMAT);
	case CHK_HOUSENUMBER:
		return housenumber_ok(v)
		           ? SH_OK
		           : (snprintf(detail, dl,
		                       "must be a house number, optionally "
		                       "with an addition (12, 12A, 12-a)"),
		              SH_ERR_FIELD_FORMAT);
	case CHK_PHONE:
		return phone_ok(v) ? SH_OK
		                   : (snprintf(detail, dl,
		                               "must be a phone number of 10 "
		                               "to 15 digits"),
		                      SH_ERR_FIELD_FORMAT);
	case CHK_EMAIL:
		return email_ok(v)
		           ? SH_OK
		           : (snprintf(detail, dl, "must be an e-mail address"),
		              SH_ERR_FIELD_FORMAT);
	case CHK_BSN:
		return bsn_ok(v) ? SH_OK
		                 : (snprintf(detail, dl,
		                             "must be a BSN: nine digits that "
		                             "pass the eleven test"),
		                    SH_ERR_FIELD_FORMAT);
	case CHK_MSGID: {
		uint8_t id[SH_ID_LEN];
		return sh_unhex(id, SH_ID_LEN, v) == 0
		           ? SH_OK
		           : (snprintf(detail, dl,
		                       "must be a message id: 32 hex digits"),
		              SH_ERR_FIELD_FORMAT);
	}
	case CHK_DIGITS:
		for (const char *p = v; *p; p++)
			if (!isdigit((unsigned char)*p))
				return snprintf(detail, dl,
				                "must be %lld digits", r->min),
				       SH_ERR_FIELD_FORMAT;
		return (long long)strlen(v) == r->min
		           ? SH_OK
		           : (snprintf(detail, dl, "must be %lld digits",
		                       r->min),
		              SH_ERR_FIELD_FORMAT);
	case CHK_STEPS:
		return steps_ok(v) ? SH_OK
		                   : (snprintf(detail, dl,
		                               "must be meldcode steps, e.g. "
		                               "1,2,3,4"),
		                      SH_ERR_FIELD_FORMAT);
	}
	return SH_ERR_FIELD_FORMAT;
}

/* Field i of a signal whose type, roles and legal basis passed. hs holds
 * the name hashes of the fields before it (of the first 64) and gets its
 * own. *rule is the rule of a field named without a person prefix. */
static sh_err check_field(const sh_type_rule *t, Seinhuis__SignalType type,
                          const char *sender_role, Seinhuis__Field **fields,
                          size_t i, uint32_t hs[64], const char *basis,
                          const char *today, const sh_field_rule **rule,
                          char *detail, size_t dl)
{
	const char *name = fields[i]->name;
	uint32_t h = name_hash(name);
	if (i < 64)
		hs[i] = h;
	for (size_t j = 0; j < i; j++)
		if ((j >= 64 || hs[j] == h) &&
		    sh_same_name(fields[j]->name, name))
			return snprintf(detail, dl, "given twice"),
			       SH_ERR_FIELD_VALUE;
	/* name_hash of "legal_basis" and "consent_ref" (a wrong value would
	 * refuse them as unknown fields: unit_policy fails throughout); the
	 * names are compared in full only where the hashes match */
	const uint32_t h_basis = 0xa861bf37u, h_ref = 0x9d9ea6e7u;
	if (h == h_basis && strcmp(name, "legal_basis") == 0)
		return SH_OK;
	if (h == h_ref && strcmp(name, "consent_ref") == 0) {
		if (strcmp(basis, "consent") != 0)
			return snprintf(detail, dl,
			                "only with legal_basis consent"),
			       SH_ERR_FIELD_UNKNOWN;
		uint8_t ref[16];
		if (sh_unhex(ref, sizeof(ref), fields[i]->value) < 0)
			return snprintf(detail, dl,
			                "must be a consent reference: "
			                "32 hex digits"),
			       SH_ERR_FIELD_FORMAT;
		return SH_OK;
	}
	const char *base = name;
	if (name[0] == 'p' && strncmp(name, "person", 6) == 0 &&
	    isdigit((unsigned char)name[6]) && name[7] == '.') {
		if (name[6] < '2' || name[6] - '0' > t->persons)
			return snprintf(detail, dl,
			                "%s signals name at most %d "
			                "person(s)",
			                sh_signal_type_name(type), t->persons),
			       SH_ERR_FIELD_UNKNOWN;
		base = name + 8;
		h = name_hash(base);
	}
	const sh_field_rule *r = rule_by_hash(t, base, h);
	if (!r ||
	    (base != name && !sh_pb_field(&seinhuis__person__descriptor, base)))
		return snprintf(detail, dl, "not allowed in %s signals",
		                sh_signal_type_name(type)),
		       SH_ERR_FIELD_UNKNOWN;
	if (r->only[0] && !word_in(r->only, sender_role))
		return snprintf(detail, dl, "may be sent only by: %s", r->only),
		       SH_ERR_FIELD_ROLE;
	if (base == name)
		*rule = r;
	/* a required text whose value only looks like one is missing */
	if (base == name && r->required && r->kind == CHK_TEXT &&
	    fields[i]->value[0] && sh_text_blank(fields[i]->value))
		return snprintf(
		           detail, dl,
		           "required in %s signals (a value of only "
		           "spaces or invisible characters does not count)",
		           sh_signal_type_name(type)),
		       SH_ERR_FIELD_MISSING;
	return check_value(r, fields[i]->value, today, detail, dl);
}

int sh_type_has_field(const sh_type_rule *t, const char *name)
{
	if (strncmp(name, "person", 6) == 0 &&
	    isdigit((unsigned char)name[6]) && name[7] == '.') {
		if (name[6] < '2' || name[6] - '0' > t->persons ||
		    !sh_pb_field(&seinhuis__person__descriptor, name + 8))
			return 0;
		name += 8;
	}
	return known_name(t, name);
}

int sh_field_name_ok(const char *name)
{
	if (strncmp(name, "person", 6) == 0 && name[6] >= '1' &&
	    name[6] <= '9' && name[7] == '.')
		name += 8;
	size_t i = 0;
	if (!(name[0] >= 'a' && name[0] <= 'z'))
		return 0;
	for (; name[i]; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_') ||
		    i >= 48)
			return 0;
	return 1;
}

int sh_field_known(const sh_catalogue *cat, const char *name)
{
	if (!sh_field_name_ok(name))
		return 0;
	if (strncmp(name, "person", 6) == 0 &&
	    isdigit((unsigned char)name[6]) && name[7] == '.')
		name += 8;
	if (strcmp(name, "legal_basis") == 0 ||
	    strcmp(name, "consent_ref") == 0 ||
	    sh_pb_field(&seinhuis__person__descriptor, name))
		return 1;
	/* a field of a signal type's payload on the wire */
	const ProtobufCMessageDescriptor *sd = &seinhuis__signal__descriptor;
	for (unsigned i = 0; i < sd->n_fields; i++)
		if (sd->fields[i].type == PROTOBUF_C_TYPE_MESSAGE &&
		    sh_pb_field(sd->fields[i].descriptor, name))
			return 1;
	for (size_t t = 0; cat && t < cat->ntypes; t++)
		for (size_t f = 0; f < cat->types[t].nfields; f++)
			if (strcmp(cat->types[t].fields[f].name, name) == 0)
				return 1;
	return 0;
}

const char *sh_field_shown(const sh_catalogue *cat, char *out, size_t n,
                           const char *name, size_t i)
{
	if (sh_field_known(cat, name))
		return name;
	snprintf(out, n, "#%zu", i + 1);
	return out;
}

sh_err sh_consent_identifiers(const sh_catalogue *cat, Seinhuis__Field **f,
                              size_t n, const char *today,
                              Seinhuis__Person *person, char *text, size_t tlen)
{
	char shown[24];
	sh_person_from_fields(person, f, n);
	for (size_t i = 0; i < n; i++) {
		const char *name = f[i]->name;
		if (!sh_pb_field(&seinhuis__person__descriptor, name))
			return snprintf(text, tlen,
			                "field '%s': not a resident identifier",
			                sh_field_shown(cat, shown,
			                               sizeof(shown), name, i)),
			       SH_ERR_FIELD_UNKNOWN;
		for (size_t j = 0; j < i; j++)
			if (strcmp(f[j]->name, name) == 0)
				return snprintf(text, tlen,
				                "field '%s': given twice",
				                name),
				       SH_ERR_FIELD_VALUE;
		if (strcmp(name, "birth_date") == 0 && f[i]->value[0] &&
		    (!sh_date_ok(f[i]->value) ||
		     strcmp(f[i]->value, today) > 0))
			return snprintf(text, tlen,
			                "field 'birth_date': must be a date "
			                "YYYY-MM-DD, not in the future"),
			       SH_ERR_FIELD_FORMAT;
	}
	text[0] = '\0';
	return SH_OK;
}

/* A signal's own personal values, each in the form a text is searched
 * for it: a surname's folded words, a street's, a postcode normalised,
 * the digits of a BSN or phone number, an e-mail address in lower case,
 * a birth date as YYYY-MM-DD. Made once a signal, for all its clear
 * text fields; wiped after. */
enum {
	OV_SURNAME,
	OV_STREET,
	OV_POSTCODE,
	OV_BSN,
	OV_PHONE,
	OV_EMAIL,
	OV_BIRTH
};
typedef struct {
	int kind;
	char s[256]; /* a value is under 200 bytes; folded, no longer */
} own_val;
typedef struct {
	own_val *v;
	size_t n, cap;
} own_vals;

static const char *text_screen(const char *v, own_vals *ov,
                               Seinhuis__Field **fields, size_t nf,
                               const char *today, unsigned flags);
static void own_vals_free(own_vals *ov);

/* Whether date v lies more than a year before today: a birth date of the
 * last year may be the day of a report too (a newborn's). */
static int before_last_year(const char *v, const char *today)
{
	char cut[24];
	snprintf(cut, sizeof(cut), "%04d%.6s", atoi(today) - 1,
	         strlen(today) >= 4 ? today + 4 : "");
	return strcmp(v, cut) < 0;
}

/* Whether date v is the birth_date of a person of the signal (the first,
 * or person2. to person8.) and more than a year before today: what a
 * birth date put in the wrong column of an export looks like. A date of
 * the last year may be a newborn's birth date and the day of a report
 * about it alike, and is let through. */
static int is_birth_date(Seinhuis__Field **fields, size_t nf, const char *v,
                         const char *today)
{
	int same = 0;
	for (size_t i = 0; i < nf && !same; i++) {
		const char *name = fields[i]->name;
		if (name[0] == 'p' && strncmp(name, "person", 6) == 0 &&
		    isdigit((unsigned char)name[6]) && name[7] == '.')
			name += 8;
		same = name[0] == 'b' && strcmp(name, "birth_date") == 0 &&
		       strcmp(fields[i]->value, v) == 0;
	}
	return same && before_last_year(v, today);
}

sh_err sh_policy_check(const sh_catalogue *cat, Seinhuis__SignalType type,
                       const char *sender_role, const char *recipient_role,
                       Seinhuis__Field **fields, size_t n, const char *today,
                       char *field, size_t fl, char *detail, size_t dl)
{
	const sh_type_rule *t = sh_catalogue_type(cat, type);
	detail[0] = '\0';
	sh_copy_str(field, fl, "type");
	if (!t)
		return snprintf(detail, dl, "%s is not in the catalogue",
		                sh_signal_type_name(type)),
		       SH_ERR_TYPE;
	sh_copy_str(field, fl, "sender");
	if (!sh_role_valid(sender_role) || !word_in(t->senders, sender_role))
		return snprintf(detail, dl, "%s signals may be sent by: %s",
		                sh_signal_type_name(type), t->senders),
		       SH_ERR_SENDER_ROLE;
	sh_copy_str(field, fl, "recipient");
	if (!sh_role_valid(recipient_role) ||
	    !word_in(t->recipients, recipient_role))
		return snprintf(detail, dl, "%s signals may be received by: %s",
		                sh_signal_type_name(type), t->recipients),
		       SH_ERR_RECIPIENT_ROLE;
	sh_copy_str(field, fl, "legal_basis");
	const char *basis = sh_field_value(fields, n, "legal_basis");
	if (!basis || !*basis)
		return snprintf(detail, dl, "required; allowed: %s", t->bases),
		       SH_ERR_FIELD_MISSING;
	if (!word_in(t->bases, basis) || strchr(basis, ' '))
		return snprintf(detail, dl, "allowed for %s: %s",
		                sh_signal_type_name(type), t->bases),
		       SH_ERR_LEGAL_BASIS;
	/* Each field in order; the hashes of the names seen find a
	 * duplicate without comparing every pair, and `have` notes the
	 * rules given a value, for the required ones below. */
	uint32_t hs[64];
	uint64_t have = 0;
	/* the rule of each of the first 64 fields, for the clear-text
	 * screen below */
	const sh_field_rule *rs[64];
	for (size_t i = 0; i < n; i++) {
		const sh_field_rule *r = NULL;
		sh_err e = check_field(t, type, sender_role, fields, i, hs,
		                       basis, today, &r, detail, dl);
		if (e) {
			char shown[24];
			const char *f = sh_field_shown(
			    cat, shown, sizeof(shown), fields[i]->name, i);
			sh_copy_str(field, fl, f);
			if (f != fields[i]->name) {
				snprintf(
				    detail, dl,
				    sh_field_name_ok(fields[i]->name)
				        ? "not a field of any signal type in "
				          "the catalogue (the name is not "
				          "repeated: it may be data)"
				        : "not a field name (lower-case "
				          "letters, digits and '_'; the name "
				          "is not repeated: it may be data)");
				e = SH_ERR_FIELD_UNKNOWN;
			}
			return e;
		}
		size_t k = r ? (size_t)(r - t->fields) : 64;
		if (k < 64 && fields[i]->value[0])
			have |= (uint64_t)1 << k;
		if (i < 64)
			rs[i] = r;
	}
	for (size_t i = 0; i < t->nfields; i++) {
		const sh_field_rule *r = &t->fields[i];
		if (!r->required || (i < 64 && (have >> i & 1)) ||
		    (r->only[0] && !word_in(r->only, sender_role)))
			continue;
		const char *v = sh_field_value(fields, n, r->name);
		if (!v || !*v) {
			sh_copy_str(field, fl, r->name);
			return snprintf(detail, dl, "required in %s signals",
			                sh_signal_type_name(type)),
			       SH_ERR_FIELD_MISSING;
		}
	}
	if (strcmp(basis, "consent") == 0) {
		const char *ref = sh_field_value(fields, n, "consent_ref");
		if (!ref || !*ref) {
			snprintf(field, fl, "consent_ref");
			return snprintf(detail, dl,
			                "required when the legal basis is "
			                "consent"),
			       SH_ERR_FIELD_MISSING;
		}
	}
	for (size_t i = 0; i < t->nconds; i++) {
		const sh_cond_rule *c = &t->conds[i];
		const char *w = strcmp(c->when, "sender") == 0
		                    ? sender_role
		                    : sh_field_value(fields, n, c->when);
		if (!w || strcmp(w, c->value) != 0)
			continue;
		const char *v = sh_field_value(fields, n, c->field);
		sh_copy_str(field, fl, c->field);
		if (c->one_of) {
			/* the field's own line says whether it is needed; a
			 * value is one whole item of the list */
			int found =
			    !v || !*v ||
			    (!strpbrk(v, ", ") && word_in(c->includes, v));
			if (!found)
				return snprintf(
				           detail, dl,
				           "must be one of %s when %s is %s",
				           c->includes, c->when, c->value),
				       SH_ERR_CONDITION;
			continue;
		}
		if (!v || !*v)
			return snprintf(detail, dl, "required when %s is %s",
			                c->when, c->value),
			       SH_ERR_CONDITION;
		if (c->includes[0]) {
			char need[64];
			sh_copy_str(need, sizeof(need), c->includes);
			char *save = NULL;
			for (char *s = strtok_r(need, ",", &save); s;
			     s = strtok_r(NULL, ",", &save))
				if (!word_in(v, s))
					return snprintf(detail, dl,
					                "must include %s when "
					                "%s is %s",
					                c->includes, c->when,
					                c->value),
					       SH_ERR_CONDITION;
		}
	}
	/* A text field that travels unsealed names a desk, a step or a
	 * reference, never a resident: one that holds the signal's own
	 * personal values, or what has the shape of a resident's data, is
	 * refused, at the sender and again at the recipient (whose fields
	 * hold the sealed part, opened). */
	own_vals ov = {0}; /* made at the first clear text */
	for (size_t i = 0; i < n; i++) {
		const char *name = fields[i]->name, *v = fields[i]->value;
		const sh_field_rule *r = i < 64 ? rs[i] : field_rule(t, name);
		/* a clear date that is a resident's birth date is one */
		if (r && !r->personal && r->kind == CHK_DATE && v[0] &&
		    is_birth_date(fields, n, v, today)) {
			own_vals_free(&ov);
			sh_copy_str(field, fl, r->name);
			return snprintf(detail, dl,
			                "is the resident's birth date; it "
			                "travels unsealed, so personal data go "
			                "only in the sealed fields"),
			       SH_ERR_PERSONAL;
		}
		if (!r || r->personal || r->kind != CHK_TEXT || !v[0])
			continue;
		/* a contact point (creditor_contact, contact_point) may give
		 * a desk's mailbox, a reference (creditor_reference) may be
		 * nine digits; the resident's own are still refused */
		size_t nl = strlen(r->name);
		unsigned flags =
		    (strstr(r->name, "contact") ? SH_SHAPE_DESK_MAIL : 0u) |
		    (nl >= 10 && strcmp(r->name + nl - 10, "_reference") == 0
		         ? SH_SHAPE_REFERENCE
		         : 0u);
		const char *kind = text_screen(v, &ov, fields, n, today, flags);
		if (kind) {
			own_vals_free(&ov);
			sh_copy_str(field, fl, r->name);
			return snprintf(detail, dl,
			                "holds %s; it travels unsealed, so "
			                "personal data go only in the sealed "
			                "fields",
			                kind),
			       SH_ERR_PERSONAL;
		}
	}
	own_vals_free(&ov);
	field[0] = '\0';
	return SH_OK;
}

sh_err sh_policy_check_other(const sh_catalogue *cat, Seinhuis__SignalType type,
                             Seinhuis__Field **fields, size_t n,
                             const sh_other *o, const char *today, char *field,
                             size_t fl, char *detail, size_t dl)
{
	const sh_type_rule *t = sh_catalogue_type(cat, type);
	field[0] = detail[0] = '\0';
	for (size_t i = 0; t && i < n; i++) {
		const char *v = fields[i]->value;
		const sh_field_rule *r = field_rule(t, fields[i]->name);
		if (!r || r->personal || !v || !v[0])
			continue;
		const char *kind = NULL;
		if (r->kind == CHK_DATE &&
		    (o->fields
		         ? is_birth_date(o->fields, o->n, v, today)
		         : sh_print_has_date(v, o->print, o->plen, o->key) &&
		               before_last_year(v, today)))
			kind = "the birth date of a person";
		else if (r->kind == CHK_TEXT)
			kind = o->fields ? sh_text_own_data(v, o->fields, o->n)
			                 : sh_print_match(v, o->print, o->plen,
			                                  o->key);
		if (kind) {
			sh_copy_str(field, fl, r->name);
			return snprintf(
			           detail, dl,
			           "holds %s of the signal it refers to; it "
			           "travels unsealed, so personal data go "
			           "only in the sealed fields",
			           kind),
			       SH_ERR_PERSONAL;
		}
	}
	return SH_OK;
}

/* ----------------------------------------- personal data in free text */

/* A month's name or abbreviation, Dutch or English, as a whole word of
 * length n: its number (1 to 12), or 0. */
static int month_word(const char *w, size_t n)
{
	static const char *const m[] = {
	    "jan",  "januari",   "january", "feb",      "februari", "february",
	    "mrt",  "maart",     "mar",     "march",    "apr",      "april",
	    "mei",  "may",       "jun",     "juni",     "june",     "jul",
	    "juli", "july",      "aug",     "augustus", "august",   "sep",
	    "sept", "september", "okt",     "oktober",  "oct",      "october",
	    "nov",  "november",  "dec",     "december"};
	static const unsigned char num[] = {
	    1, 1, 1, 2, 2, 2, 3, 3, 3, 3,  4,  4,  5,  5,  6,  6,  6,
	    7, 7, 7, 8, 8, 8, 9, 9, 9, 10, 10, 10, 10, 11, 11, 12, 12};
	/* most words of a text are none: by length and first letter */
	int c = tolower((unsigned char)w[0]);
	if (n < 3 || n > 9 || !strchr("jfmasond", c) || c == 0)
		return 0;
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (m[i][0] == c && strlen(m[i]) == n &&
		    strncasecmp(w, m[i], n) == 0)
			return num[i];
	return 0;
}

/* A word of r: letters and digits, any byte of a UTF-8 sequence counted
 * as a letter. */
static int word_byte(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* A reason holds at most 200 bytes, so at most 100 words. */
#define SH_REASON_WORDS 101

/* The first max words of r: their starts and lengths; returns how many. */
static size_t split_words(const char *r, const char **w, size_t *len,
                          size_t max)
{
	size_t nw = 0;
	for (const char *p = r; *p && nw < max;) {
		while (*p && !word_byte((unsigned char)*p))
			p++;
		const char *b = p;
		while (word_byte((unsigned char)*p))
			p++;
		if (p > b)
			w[nw] = b, len[nw++] = (size_t)(p - b);
	}
	return nw;
}

/* A date written with a month's name among the nw words w of a text: a
 * day (1 or 2 digits) before or after it ("12 mei 1980", "May 12"). */
static int named_date(const char *const *w, const size_t *len, size_t nw)
{
	for (size_t i = 0; i < nw; i++) {
		if (!month_word(w[i], len[i]))
			continue;
		for (size_t j = i ? i - 1 : 0; j <= i + 1 && j < nw; j++)
			if (j != i && len[j] <= 2 &&
			    isdigit((unsigned char)w[j][0]) &&
			    (len[j] == 1 || isdigit((unsigned char)w[j][1])))
				return 1;
	}
	return 0;
}

static int word_is(const char *w, size_t n, const char *const *list, size_t nl)
{
	int c = tolower((unsigned char)w[0]);
	for (size_t i = 0; i < nl; i++)
		if (list[i][0] == c && strlen(list[i]) == n &&
		    strncasecmp(w, list[i], n) == 0)
			return 1;
	return 0;
}

/* A form of address before a name ("mw. Jansen", "de heer De Vries",
 * "dhr. J. Bakker", "Mrs Smith"): a title, then perhaps a surname's
 * prefix or two (van, de, der, ...), then a word that starts with a
 * capital (or a letter outside ASCII). A name written in lower case is
 * not recognised. */
static int addressed_name(const char *const *w, const size_t *len, size_t nw)
{
	/* abbreviations, then whole words (not "ms" or "ing": MS Teams, ING
	 * Bank) */
	static const char *const abbr[] = {"mw",  "mevr", "mvr", "dhr", "hr",
	                                   "mej", "fam",  "mr",  "mrs", "dr",
	                                   "drs", "ir",   "prof"};
	static const char *const title[] = {"mevrouw",  "heer",    "meneer",
	                                    "juffrouw", "familie", "miss",
	                                    "mister",   "madam"};
	static const char *const prefix[] = {
	    "van", "de", "der", "den", "het", "t",  "ter", "ten", "te", "in",
	    "op",  "la", "le",  "du",  "da",  "di", "el",  "von", "v",  "d"};
	for (size_t i = 0; i + 1 < nw; i++) {
		int is_abbr =
		    word_is(w[i], len[i], abbr, sizeof(abbr) / sizeof(*abbr));
		if (!is_abbr && !word_is(w[i], len[i], title,
		                         sizeof(title) / sizeof(*title)))
			continue;
		/* a whole word before a full stop ends a sentence ("... met
		 * mevrouw. Daarna ...") */
		if (!is_abbr && w[i][len[i]] == '.')
			continue;
		size_t j = i + 1;
		while (j + 1 < nw && word_is(w[j], len[j], prefix,
		                             sizeof(prefix) / sizeof(*prefix)))
			j++;
		unsigned char c = (unsigned char)w[j][0];
		if (isupper(c) || c >= 0x80)
			return 1;
	}
	return 0;
}

/* The reason is recorded verbatim: refuse what looks like personal data. */
/* An address in a reason: a word that ends in a Dutch street word
 * (Molenweg, Kerkstraat, Stationsplein; longer than the street word
 * itself, so "op weg 2" is none; "Kerkstr." too), then, after spaces, a
 * comma or "nr.", a house number. Words that end so and are no street
 * ("onderweg") are let through. */
static int street_address(const char *r)
{
	static const char *const street[] = {
	    "straat", "weg", "laan",   "plein",     "kade", "gracht",
	    "dijk",   "pad", "singel", "steeg",     "hof",  "dreef",
	    "markt",  "wal", "park",   "plantsoen", "str."};
	static const char *const not_street[] = {"onderweg", "halfweg"};
	const char *w = r;
	while (*w) {
		while (*w && !isalpha((unsigned char)*w))
			w++;
		const char *e = w;
		while (*e && (isalpha((unsigned char)*e) || *e == '-'))
			e++;
		if (*e == '.')
			e++; /* an abbreviation: "Kerkstr." */
		size_t len = (size_t)(e - w);
		const char *after = e;
		while (*after == ' ' || *after == ',')
			after++;
		if (strncasecmp(after, "nr", 2) == 0 ||
		    strncasecmp(after, "no", 2) == 0) {
			after += 2;
			while (*after == '.' || *after == ' ')
				after++;
		}
		int street_word = 0;
		if (len && after > e && isdigit((unsigned char)*after))
			for (size_t i = 0; i < sizeof(street) / sizeof(*street);
			     i++) {
				size_t sl = strlen(street[i]);
				if (len > sl &&
				    strncasecmp(e - sl, street[i], sl) == 0)
					street_word = 1;
			}
		for (size_t i = 0; street_word &&
		                   i < sizeof(not_street) / sizeof(*not_street);
		     i++)
			if (len == strlen(not_street[i]) &&
			    strncasecmp(w, not_street[i], len) == 0)
				street_word = 0;
		if (street_word)
			return 1;
		w = e;
	}
	return 0;
}

/* the length of the word of words[] that starts at r (case ignored) */
static size_t word_at(const char *r, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncasecmp(r, words[i], strlen(words[i])) == 0)
			return strlen(words[i]);
	return 0;
}

/* An e-mail address spelled out: "NAME at DOMAIN dot TLD" with one word
 * between the two (also "(at)", "[at]", "apenstaartje", "(dot)", "punt"),
 * or "NAME at DOMAIN.TLD". */
static int spelled_email(const char *r)
{
	static const char *const at[] = {" at ", " (at) ", " [at] ",
	                                 " apenstaartje "};
	static const char *const dot[] = {" dot ", " (dot) ", " [dot] ",
	                                  " punt "};
	for (; *r; r++) {
		size_t k = *r == ' ' ? word_at(r, at, sizeof(at) / sizeof(*at))
		                     : 0; /* each begins with a space */
		if (!k)
			continue;
		const char *d = r + k, *dotted = NULL;
		while (*d && *d != ' ') {
			if (*d == '.' && d > r + k &&
			    isalnum((unsigned char)d[1]))
				dotted = d;
			d++;
		}
		if (dotted || (d > r + k && word_at(d, dot, 4)))
			return 1;
	}
	return 0;
}

/* A postcode at r[i] (of n bytes): four digits, perhaps a space or '-',
 * two letters, no letter after them. Strict, as in a text that is sent
 * in clear and may name years and amounts: no '0' first, no letter or
 * digit before or after it, not SA, SD or SS (no postcode has them), and
 * the letters capitals unless they follow the digits directly ("1234ab",
 * not "2024 de"). Returns its length, or 0. */
static size_t postcode_at(const char *r, size_t i, size_t n, int strict)
{
	for (size_t k = 0; k < 4; k++)
		if (i + k >= n || !isdigit((unsigned char)r[i + k]))
			return 0;
	size_t j = i + 4;
	int sep = j < n && (r[j] == ' ' || r[j] == '-');
	j += (size_t)sep;
	if (j + 1 >= n || !isalpha((unsigned char)r[j]) ||
	    !isalpha((unsigned char)r[j + 1]) ||
	    (j + 2 < n && isalpha((unsigned char)r[j + 2])))
		return 0;
	if (strict) {
		char a = (char)toupper((unsigned char)r[j]),
		     b = (char)toupper((unsigned char)r[j + 1]);
		if (r[i] == '0' ||
		    (i > 0 && isalnum((unsigned char)r[i - 1])) ||
		    (j + 2 < n && isdigit((unsigned char)r[j + 2])) ||
		    (a == 'S' && (b == 'A' || b == 'D' || b == 'S')) ||
		    (sep && !(isupper((unsigned char)r[j]) &&
		              isupper((unsigned char)r[j + 1]))))
			return 0;
	}
	return j + 2 - i;
}

int sh_reveal_reason_ok(const char *r, char *why, size_t wl)
{
	size_t n = strlen(r), digits = 0, groups = 0;
	if (n < 3 || n > 200) {
		snprintf(why, wl, "give a reason of 3 to 200 characters");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)r[i];
		if (ch < 0x20 || ch == 0x7f) {
			snprintf(why, wl,
			         "the reason may not hold control "
			         "characters");
			return 0;
		}
		if (ch == '@') {
			snprintf(why, wl,
			         "the reason may not hold an e-mail "
			         "address: say why, not who");
			return 0;
		}
		/* digits counted on across one separator between digits:
		 * numbers and dates written in groups; three groups joined
		 * by '-', '/' or '.' are a date however short ("1-1-80") */
		int joins = digits && i + 1 < n &&
		            isdigit((unsigned char)r[i + 1]) &&
		            strchr(" -./", ch);
		if (isdigit(ch)) {
			digits++;
			groups += groups == 0;
		} else if (joins) {
			groups = ch == ' ' ? groups : groups + 1;
		} else {
			digits = groups = 0;
		}
		if (digits >= 5 || groups >= 3) {
			snprintf(why, wl,
			         "the reason may not hold long numbers or "
			         "dates, also not in groups (a BSN, phone "
			         "number, birth date or reference of a "
			         "person): say why, not who");
			return 0;
		}
		if (postcode_at(r, i, n, 0)) {
			snprintf(why, wl,
			         "the reason may not hold a postcode: say why, "
			         "not who");
			return 0;
		}
	}
	const char *w[SH_REASON_WORDS];
	size_t len[SH_REASON_WORDS],
	    nw = split_words(r, w, len, SH_REASON_WORDS);
	if (named_date(w, len, nw)) {
		snprintf(why, wl,
		         "the reason may not hold a date (a birth date): say "
		         "why, not who");
		return 0;
	}
	if (street_address(r)) {
		snprintf(why, wl,
		         "the reason may not hold an address (a street and "
		         "house number): say why, not who");
		return 0;
	}
	if (spelled_email(r)) {
		snprintf(why, wl,
		         "the reason may not hold an e-mail address, also not "
		         "spelled out: say why, not who");
		return 0;
	}
	if (addressed_name(w, len, nw)) {
		snprintf(why, wl,
		         "the reason may not hold a name (a form of address "
		         "such as mw., dhr. or mevrouw before a capital): say "
		         "why, not who");
		return 0;
	}
	return 1;
}

/* An e-mail address: a name, '@', a domain with a dot ("a.b@c.nl"). */
static int email_in(const char *r)
{
	for (const char *at = strchr(r, '@'); at; at = strchr(at + 1, '@')) {
		if (at == r || !(isalnum((unsigned char)at[-1]) ||
		                 strchr("._%+-", at[-1])))
			continue;
		const char *d = at + 1;
		int dot = 0;
		while (isalnum((unsigned char)*d) || *d == '-' ||
		       (*d == '.' && isalnum((unsigned char)d[1]) && (dot = 1)))
			d++;
		if (dot && d > at + 1 && at[1] != '.')
			return 1;
	}
	return 0;
}

/* Digits in groups, as numbers are written: "06 1234 5678", "123.456.782",
 * "+31 (0)6-12345678"; groups joined by one or two of " -.()/". */
#define CHAIN_GROUPS 16
typedef struct {
	char d[64];                     /* the digits, as far as they fit */
	size_t n;                       /* how many of them d holds */
	size_t start[CHAIN_GROUPS + 1]; /* each group's first digit in d */
	size_t groups;
} digit_chain;

/* The chain that starts at the digit p; returns the end of it. */
static const char *chain_at(const char *p, digit_chain *c)
{
	c->n = c->groups = 0;
	while (c->groups < CHAIN_GROUPS) {
		c->start[c->groups++] = c->n;
		for (; isdigit((unsigned char)*p); p++)
			if (c->n + 1 < sizeof(c->d))
				c->d[c->n++] = *p;
		const char *q = p;
		while (q - p < 2 && *q && strchr(" -.()/", *q))
			q++;
		if (q == p || !isdigit((unsigned char)*q))
			break;
		p = q;
	}
	c->start[c->groups] = c->n;
	c->d[c->n] = '\0';
	return p;
}

/* Groups k up to l of a chain as a BSN (nine digits that pass the eleven
 * test, written as one group, 3+3+3 or 4+2+3) or a Dutch mobile number
 * (06 and eight digits; +31 6, 0031 6, +31 (0)6): 1 for a BSN, 2 for a
 * mobile number, else 0. */
static int chain_kind(const digit_chain *c, size_t k, size_t l)
{
	const char *s = c->d + c->start[k];
	size_t len = c->start[l] - c->start[k], g = l - k;
	char bsn[10];
	if (len == 9) {
		size_t a = c->start[k + 1] - c->start[k],
		       b = g > 1 ? c->start[k + 2] - c->start[k + 1] : 0;
		if (g == 1 ||
		    (g == 3 && ((a == 3 && b == 3) || (a == 4 && b == 2)))) {
			memcpy(bsn, s, 9);
			bsn[9] = '\0';
			if (bsn_ok(bsn))
				return 1;
		}
	}
	if ((len == 10 && strncmp(s, "06", 2) == 0) ||
	    (len == 11 && strncmp(s, "316", 3) == 0) ||
	    (len == 12 && strncmp(s, "3106", 4) == 0) ||
	    (len == 13 && strncmp(s, "00316", 5) == 0))
		return 2;
	return 0;
}

typedef struct {
	int y, m, d;
	int ydigits; /* 4, or 2 for a year written "80" */
} text_date;

static int days_in(int m, int y)
{
	static const int days[] = {31, 29, 31, 30, 31, 30,
	                           31, 31, 30, 31, 30, 31};
	if (m == 2 && y >= 0 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 28;
	return days[m - 1];
}

static int date_set(text_date *t, int y, int ydigits, int m, int d)
{
	if (m < 1 || m > 12 || d < 1 || d > days_in(m, ydigits == 4 ? y : -1) ||
	    (ydigits == 4 && y < 1900))
		return 0;
	t->y = y, t->m = m, t->d = d, t->ydigits = ydigits;
	return 1;
}

/* A number of 1 to 4 digits at p (no digit after it): its value, and its
 * length in *len; -1 if none. */
static int small_number(const char *p, size_t maxlen, size_t *len)
{
	int v = 0;
	size_t k = 0;
	for (; k < maxlen && isdigit((unsigned char)p[k]); k++)
		v = v * 10 + (p[k] - '0');
	*len = k;
	return k && !isdigit((unsigned char)p[k]) ? v : -1;
}

/* The full dates in r, a day, month and year: in digits with '-', '/' or
 * '.' ("12-5-1980", "12/05/80", "1980-05-12") or with a month's name
 * among the nw words w ("12 mei 1980", "May 12 1980", "12 mei '80").
 * At most max are put in out; returns how many. */
static size_t full_dates(const char *r, const char *const *w, const size_t *len,
                         size_t nw, text_date *out, size_t max)
{
	size_t n = 0;
	for (const char *p = r; *p && n < max; p++) {
		if (!isdigit((unsigned char)*p) ||
		    (p > r && isdigit((unsigned char)p[-1])))
			continue;
		size_t l1, l2, l3;
		int a = small_number(p, 4, &l1);
		char sep = a < 0 ? 0 : p[l1];
		if (!sep || !strchr("-/.", sep))
			continue;
		int b = small_number(p + l1 + 1, 2, &l2);
		if (b < 0 || p[l1 + 1 + l2] != sep)
			continue;
		int c = small_number(p + l1 + l2 + 2, 4, &l3);
		if (c < 0)
			continue;
		if (l1 == 4 && l3 <= 2)
			n += (size_t)date_set(&out[n], a, 4, b, c);
		else if (l1 <= 2 && (l3 == 4 || l3 == 2))
			n += (size_t)date_set(&out[n], c, (int)l3, b, a);
	}
	for (size_t i = 0; i + 2 < nw && n < max; i++) {
		int m = month_word(w[i + 1], len[i + 1]), first = 1;
		if (!m && (m = month_word(w[i], len[i])) != 0)
			first = 0; /* "May 12 1980" */
		if (!m)
			continue;
		const char *dw = first ? w[i] : w[i + 1];
		size_t dl = first ? len[i] : len[i + 1], k;
		int d = small_number(dw, 2, &k);
		int y = small_number(w[i + 2], 4, &k);
		if (d >= 0 && k == len[i + 2] && (k == 4 || k == 2) &&
		    k == strspn(w[i + 2], "0123456789") &&
		    dl == strspn(dw, "0123456789"))
			n += (size_t)date_set(&out[n], y, (int)k, m, d);
	}
	return n;
}

/* Whether a date lies before today (YYYY-MM-DD); a year of two digits is
 * of this century unless that lies ahead. */
static int date_before(const text_date *t, const char *today)
{
	int ty = atoi(today), tm = atoi(today + 5), td = atoi(today + 8);
	int y = t->y;
	if (t->ydigits == 2)
		y += 2000 + t->y <= ty ? 2000 : 1900;
	return y != ty ? y < ty : t->m != tm ? t->m < tm : t->d < td;
}

/* The words of a text: w and len hold strlen(r) / 2 + 1 each. */
static size_t words_of(const char *r, const char ***w, size_t **len)
{
	size_t max = strlen(r) / 2 + 1;
	*w = sh_xmalloc(max * sizeof(**w));
	*len = sh_xmalloc(max * sizeof(**len));
	return split_words(r, *w, *len, max);
}

const char *sh_text_data_shape(const char *r, const char *today, unsigned flags)
{
	const char *kind = NULL;
	size_t n = strlen(r);
	if (!(flags & SH_SHAPE_DESK_MAIL) && (email_in(r) || spelled_email(r)))
		return "an e-mail address";
	for (const char *p = r; *p && !kind;) {
		if (!isdigit((unsigned char)*p)) {
			p++;
			continue;
		}
		digit_chain c;
		p = chain_at(p, &c);
		for (size_t k = 0; k < c.groups && !kind; k++)
			for (size_t l = k + 1; l <= c.groups && !kind; l++) {
				int ck = chain_kind(&c, k, l);
				if (ck == 1 && (flags & SH_SHAPE_REFERENCE))
					ck = 0;
				kind = ck == 1 ? "a BSN (nine digits that pass "
				                 "the eleven test)"
				       : ck == 2 ? "a mobile phone number"
				                 : NULL;
			}
	}
	for (size_t i = 0; i < n && !kind; i++)
		if (postcode_at(r, i, n, 1))
			kind = "a postcode";
	if (kind)
		return kind;
	const char **w;
	size_t *len, nw = words_of(r, &w, &len);
	text_date dates[16];
	size_t nd = full_dates(r, w, len, nw, dates, 16);
	for (size_t i = 0; i < nd && !kind; i++)
		if (date_before(&dates[i], today))
			kind = "a date of birth (a full date before today)";
	if (!kind && street_address(r))
		kind = "an address (a street and a house number)";
	if (!kind && addressed_name(w, len, nw))
		kind = "a person's name (a form of address such as mw. or "
		       "dhr. before a capital)";
	free(w);
	free(len);
	return kind;
}

/* Whether the folded words of phrase are words of the folded text ft
 * (which has a space before and after it). */
static int phrase_in(const char *ft, const char *phrase)
{
	size_t n = strlen(phrase);
	if (!n)
		return 0;
	for (const char *p = ft; (p = strstr(p, phrase)); p++)
		if (p > ft && p[-1] == ' ' && p[n] == ' ')
			return 1;
	return 0;
}

/* The apostrophes the folding drops inside a word (', `, U+00B4, U+2018,
 * U+2019): each made a space in t. Returns whether t held one. */
static int blank_marks(char *t)
{
	static const char *const marks[] = {"'", "`", "\xc2\xb4",
	                                    "\xe2\x80\x98", "\xe2\x80\x99"};
	int any = 0;
	if (!strpbrk(t, "'`\xc2\xe2")) /* none of their first bytes */
		return 0;
	for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++)
		for (char *q = t; (q = strstr(q, marks[m])); any = 1)
			memset(q, ' ', strlen(marks[m]));
	return any;
}

/* The text's folded words, " a b c ", with each apostrophe read as a word
 * break (from malloc); NULL if it has none. */
static char *unmarked_folded(const char *text, size_t tl)
{
	if (!strpbrk(text, "'`\xc2\xe2"))
		return NULL; /* the common case: no copy */
	char *t = sh_xmalloc(tl + 1), *f = NULL;
	memcpy(t, text, tl + 1);
	if (blank_marks(t)) {
		f = sh_xmalloc(2 * tl + 4);
		f[0] = ' ';
		sh_fold_words(t, f + 1, 2 * tl + 2);
		strcat(f, " ");
	}
	sh_wipe(t, tl + 1);
	free(t);
	return f;
}

/* Whether the prepared text holds phrase (folded) as whole words, also
 * with each apostrophe read as a word break: "Jansen's", "Jansen’s",
 * "Jansen`s" and "Jansen´s" hold "jansen" (the folding drops these marks
 * inside a word). A phrase with an apostrophe of its own, "d'ancona", is
 * found in the text as written. */
static int text_phrase(const char *text, size_t tl, const char *ft,
                       const char *phrase)
{
	if (phrase_in(ft, phrase))
		return 1;
	char *f = unmarked_folded(text, tl);
	int r = f && phrase_in(f, phrase);
	if (f)
		sh_wipe(f, 2 * tl + 4);
	free(f);
	return r;
}

/* A value's digits: BSN and birth date as written; a phone number
 * without its country code (+31, 0031) and leading 0. */
static void value_digits(const char *v, char *out, size_t n, int phone)
{
	size_t o = 0;
	for (const char *p = v; *p && o + 1 < n; p++)
		if (isdigit((unsigned char)*p))
			out[o++] = *p;
	out[o] = '\0';
	if (!phone)
		return;
	size_t at = 0;
	int intl = strchr(v, '+') != NULL;
	if (o >= 2 && out[0] == '0' && out[1] == '0')
		at = 2, intl = 1;
	if (intl && o >= at + 2 && out[at] == '3' && out[at + 1] == '1')
		at += 2;
	if (o > at && out[at] == '0')
		at++;
	if (o - at >= 8)
		memmove(out, out + at, o - at + 1);
}

/* A text prepared for the own-values check: its words folded, " a b ",
 * its digit chains, "|123|45|", in lower case, and (once asked for) its
 * full dates. */
typedef struct {
	const char *text;
	size_t tl;
	char *ft, *digits, *lower;
	text_date dates[16];
	size_t nd;
	int dates_done;
	char postcodes[32][7]; /* the postcodes it holds, normalised */
	size_t npc;
	int postcodes_done; /* 2: more than fit */
} text_prep;

/* tp for text, in ft (2 * strlen(text) + 4 bytes), digits (+ 3: a "|"
 * before the chains and after each, "1,2" giving "|1|2|") and
 * lower (+ 1). */
static void text_prep_fill(text_prep *tp, const char *text, char *ft,
                           char *digits, char *lower)
{
	size_t tl = strlen(text), dn = 0;
	tp->text = text;
	tp->tl = tl;
	tp->ft = ft;
	tp->digits = digits;
	tp->lower = lower;
	tp->nd = tp->npc = 0;
	tp->dates_done = tp->postcodes_done = 0;
	ft[0] = ' ';
	sh_fold_words(text, ft + 1, 2 * tl + 2);
	strcat(ft, " ");
	digits[dn++] = '|';
	for (const char *p = text; *p;) {
		if (!isdigit((unsigned char)*p)) {
			p++;
			continue;
		}
		digit_chain c;
		p = chain_at(p, &c);
		memcpy(digits + dn, c.d, c.n);
		dn += c.n;
		digits[dn++] = '|';
	}
	digits[dn] = '\0';
	for (size_t i = 0; i <= tl; i++)
		lower[i] = (char)tolower((unsigned char)text[i]);
}

/* One personal value v of field name (without its person prefix) into
 * ov, in the form own_data compares it. */
static void own_val_add(own_vals *ov, const char *name, const char *v)
{
	if (ov->n == ov->cap) {
		size_t cap = ov->cap ? 2 * ov->cap : 8;
		own_val *nv = sh_xmalloc(cap * sizeof(*nv));
		if (ov->n) {
			memcpy(nv, ov->v, ov->n * sizeof(*nv));
			sh_wipe(ov->v, ov->n * sizeof(*nv));
		}
		free(ov->v);
		ov->v = nv;
		ov->cap = cap;
	}
	own_val *o = &ov->v[ov->n];
	int keep = 0;
	o->s[0] = '\0';
	if (strcmp(name, "surname") == 0) {
		o->kind = OV_SURNAME;
		keep = sh_surname_words(v, o->s, sizeof(o->s)) == 0;
	} else if (strcmp(name, "street") == 0) {
		o->kind = OV_STREET;
		sh_fold_words(v, o->s, sizeof(o->s));
		keep = o->s[0] != '\0';
	} else if (strcmp(name, "postcode") == 0) {
		o->kind = OV_POSTCODE;
		keep = sh_postcode_norm(v, o->s, 0) == 0;
	} else if (strcmp(name, "bsn") == 0 || strcmp(name, "phone") == 0) {
		o->kind = name[0] == 'b' ? OV_BSN : OV_PHONE;
		value_digits(v, o->s, sizeof(o->s), name[0] == 'p');
		keep = strlen(o->s) >= 8;
	} else if (strcmp(name, "email") == 0) {
		o->kind = OV_EMAIL;
		size_t k = 0;
		for (; v[k] && k + 1 < sizeof(o->s); k++)
			o->s[k] = (char)tolower((unsigned char)v[k]);
		o->s[k] = '\0';
		keep = strchr(o->s, '@') != NULL;
	} else if (strcmp(name, "birth_date") == 0 && sh_date_ok(v)) {
		o->kind = OV_BIRTH;
		sh_copy_str(o->s, sizeof(o->s), v);
		keep = 1;
	}
	if (keep)
		ov->n++;
	else
		sh_wipe(o->s, sizeof(o->s));
}

/* A surname with an apostrophe (O'Brandnetel, d'Ancona) is also taken
 * with the apostrophe as a word break, as a text may write it
 * ("Brandnetel", "O Brandnetel"): the folding drops it inside a word. */
static void surname_unmarked(own_vals *ov, const char *v)
{
	char t[200];
	sh_copy_str(t, sizeof(t), v);
	if (blank_marks(t))
		own_val_add(ov, "surname", t);
	sh_wipe(t, sizeof(t));
}

static void own_vals_make(own_vals *ov, Seinhuis__Field **fields, size_t nf)
{
	memset(ov, 0, sizeof(*ov));
	for (size_t i = 0; i < nf; i++) {
		const char *name = fields[i]->name, *v = fields[i]->value;
		if (strncmp(name, "person", 6) == 0 &&
		    isdigit((unsigned char)name[6]) && name[7] == '.')
			name += 8;
		/* by the first letter: most fields are none of these */
		if (!v || !v[0] || !strchr("spbe", name[0]) || strlen(v) >= 200)
			continue;
		own_val_add(ov, name, v);
		if (name[0] == 's' && strcmp(name, "surname") == 0 &&
		    strpbrk(v, "'`\xc2\xe2")) /* (blank_marks) */
			surname_unmarked(ov, v);
	}
}

static void own_vals_free(own_vals *ov)
{
	if (ov->v)
		sh_wipe(ov->v, ov->n * sizeof(*ov->v));
	free(ov->v);
	memset(ov, 0, sizeof(*ov));
}

/* The postcodes in a prepared text, normalised, each to fn until it
 * answers nonzero; returns that answer, or 0. */
static int each_postcode(const text_prep *tp, int (*fn)(void *, const char *),
                         void *ctx)
{
	const char *text = tp->text;
	size_t tl = tp->tl;
	for (size_t k = 0; k < tl; k++) {
		if (!isdigit((unsigned char)text[k]) ||
		    (k && isdigit((unsigned char)text[k - 1])))
			continue;
		size_t pl = postcode_at(text, k, tl, 0);
		if (!pl)
			continue;
		char pc[8], norm[7];
		memcpy(pc, text + k, pl);
		pc[pl] = '\0';
		if (pc[4] == '-')
			pc[4] = ' ';
		int r;
		if (sh_postcode_norm(pc, norm, 0) == 0 && (r = fn(ctx, norm)))
			return r;
	}
	return 0;
}

static int keep_postcode(void *ctx, const char *pc)
{
	text_prep *tp = ctx;
	if (tp->npc == sizeof(tp->postcodes) / sizeof(tp->postcodes[0]))
		return 1; /* more than fit: searched each time */
	memcpy(tp->postcodes[tp->npc++], pc, 7);
	return 0;
}

static int same_postcode(void *ctx, const char *pc)
{
	return strcmp(ctx, pc) == 0;
}

/* Whether a prepared text holds the normalised postcode want. */
static int text_has_postcode(text_prep *tp, const char *want)
{
	if (!tp->postcodes_done)
		tp->postcodes_done =
		    each_postcode(tp, keep_postcode, tp) ? 2 : 1;
	if (tp->postcodes_done == 2)
		return each_postcode(tp, same_postcode, (void *)want);
	for (size_t k = 0; k < tp->npc; k++)
		if (strcmp(tp->postcodes[k], want) == 0)
			return 1;
	return 0;
}

/* Whether a folded word holds a letter: a part of a surname that is only
 * digits ("Testpersoon-2026") names nobody, and would match any year. */
static int has_letter(const char *w)
{
	for (; *w; w++)
		if (isalpha((unsigned char)*w))
			return 1;
	return 0;
}

/* Which of the signal's own personal values (ov) the prepared text
 * holds: a phrase, or NULL. */
static const char *own_data(text_prep *tp, const own_vals *ov)
{
	const char *text = tp->text, *kind = NULL;
	const char *ft = tp->ft, *digits = tp->digits, *lower = tp->lower;
	char buf[512];
	for (size_t i = 0; i < ov->n && !kind; i++) {
		const char *v = ov->v[i].s;
		switch (ov->v[i].kind) {
		case OV_SURNAME: {
			/* the whole surname, and each part of a double one
			 * ("Jansen-Zuidhof": "jansen", "zuidhof") of four
			 * letters or more */
			if (text_phrase(text, tp->tl, ft, v)) {
				kind = "the resident's surname";
				break;
			}
			sh_copy_str(buf, sizeof(buf), v);
			char *save = NULL;
			for (char *s = strtok_r(buf, " ", &save); s && !kind;
			     s = strtok_r(NULL, " ", &save))
				if (strlen(s) >= 4 && has_letter(s) &&
				    text_phrase(text, tp->tl, ft, s))
					kind = "the resident's surname";
			break;
		}
		case OV_STREET:
			if (text_phrase(text, tp->tl, ft, v))
				kind = "the resident's street name";
			break;
		case OV_POSTCODE:
			if (text_has_postcode(tp, v))
				kind = "the resident's postcode";
			break;
		case OV_BSN:
		case OV_PHONE:
			if (strstr(digits, v))
				kind = ov->v[i].kind == OV_BSN
				           ? "the resident's BSN"
				           : "the resident's phone number";
			break;
		case OV_EMAIL:
			if (strstr(lower, v))
				kind = "the resident's e-mail address";
			break;
		case OV_BIRTH: {
			int y = atoi(v), m = atoi(v + 5), d = atoi(v + 8);
			if (!tp->dates_done) {
				const char **w;
				size_t *len, nw = words_of(text, &w, &len);
				tp->nd =
				    full_dates(text, w, len, nw, tp->dates, 16);
				tp->dates_done = 1;
				free(w);
				free(len);
			}
			const text_date *dates = tp->dates;
			for (size_t k = 0; k < tp->nd && !kind; k++)
				if (dates[k].m == m && dates[k].d == d &&
				    dates[k].y ==
				        (dates[k].ydigits == 4 ? y : y % 100))
					kind = "the resident's birth date";
			/* written without separators: 12051980, 19800512 */
			char a[9], b[9];
			memcpy(a, v + 8, 2), memcpy(a + 2, v + 5, 2);
			memcpy(a + 4, v, 4), a[8] = '\0';
			memcpy(b, v, 4), memcpy(b + 4, v + 5, 2);
			memcpy(b + 6, v + 8, 2), b[8] = '\0';
			if (!kind && (strstr(digits, a) || strstr(digits, b)))
				kind = "the resident's birth date";
			break;
		}
		}
	}
	sh_wipe(buf, sizeof(buf));
	return kind;
}

static char *text_as_seen(const char *v);

const char *sh_text_own_data(const char *text, Seinhuis__Field **fields,
                             size_t nf)
{
	char *seen = text_as_seen(text); /* as text_screen reads it */
	if (seen) {
		const char *kind = sh_text_own_data(seen, fields, nf);
		sh_wipe(seen, strlen(seen));
		free(seen);
		return kind;
	}
	size_t tl = strlen(text);
	char *ft = sh_xmalloc(2 * tl + 4), *digits = sh_xmalloc(tl + 3);
	char *lower = sh_xmalloc(tl + 1);
	text_prep tp;
	text_prep_fill(&tp, text, ft, digits, lower);
	own_vals ov;
	own_vals_make(&ov, fields, nf);
	const char *kind = own_data(&tp, &ov);
	own_vals_free(&ov);
	sh_wipe(ft, 2 * tl + 4);
	sh_wipe(digits, tl + 3);
	sh_wipe(lower, tl + 1);
	free(ft);
	free(digits);
	free(lower);
	return kind;
}

/* ------------------------------------------ a report's print (notices)
 *
 * Veilig Thuis's notices on a report follow for months, long after its
 * team took the report (and the daemon let its sealed part go). What the
 * daemon keeps of it instead is its print: for each personal value the
 * own-values check compares a text with, a tag (HMAC-SHA256 under a key
 * of this daemon's, 16 bytes) of the value in the form the text is
 * searched for it, with its kind and length. A text is then searched the
 * same way, each stretch of the right kind and length tagged and looked
 * up: the same answers as sh_text_own_data (unit_policy compares them),
 * without the values. An item: kind (1 byte), length (1), tag (16). */

enum {
	PR_SURNAME = 1, /* folded words: a run of the text's folded words */
	PR_STREET,
	PR_POSTCODE,     /* normalised: one of the text's postcodes */
	PR_BSN,          /* digits: within one of the text's digit chains */
	PR_PHONE,        /* (without +31 or its leading 0) */
	PR_BIRTH_DIGITS, /* 12051980 or 19800512, in a digit chain */
	PR_EMAIL,        /* lower case: anywhere in the lower-cased text */
	PR_BIRTH4,       /* a full date in the text: 1980-05-12 */
	PR_BIRTH2        /* one written with two digits of the year: 80-05-12 */
};
#define PR_TAG  16
#define PR_ITEM (2 + PR_TAG)

static void pr_tag(uint8_t out[PR_TAG], const uint8_t key[SH_KEY_LEN], int kind,
                   const char *s, size_t n)
{
	uint8_t buf[257], full[32];
	buf[0] = (uint8_t)kind;
	memcpy(buf + 1, s, n);
	sh_hmac_sha256(full, key, SH_KEY_LEN, buf, n + 1);
	memcpy(out, full, PR_TAG);
	sh_wipe(buf, n + 1);
	sh_wipe(full, sizeof(full));
}

static void pr_add(sh_buf *out, const uint8_t key[SH_KEY_LEN], int kind,
                   const char *s)
{
	size_t n = strlen(s);
	uint8_t item[PR_ITEM];
	if (!n || n > 255)
		return;
	item[0] = (uint8_t)kind;
	item[1] = (uint8_t)n;
	pr_tag(item + 2, key, kind, s, n);
	sh_buf_add(out, item, sizeof(item));
}

void sh_print_make(Seinhuis__Field **fields, size_t nf,
                   const uint8_t key[SH_KEY_LEN], sh_buf *out)
{
	own_vals ov;
	own_vals_make(&ov, fields, nf);
	for (size_t i = 0; i < ov.n; i++) {
		const char *v = ov.v[i].s;
		char buf[256];
		switch (ov.v[i].kind) {
		case OV_SURNAME: {
			/* the whole surname, and each part (own_data) */
			pr_add(out, key, PR_SURNAME, v);
			sh_copy_str(buf, sizeof(buf), v);
			char *save = NULL;
			for (char *s = strtok_r(buf, " ", &save); s;
			     s = strtok_r(NULL, " ", &save))
				if (strlen(s) >= 4 && has_letter(s))
					pr_add(out, key, PR_SURNAME, s);
			break;
		}
		case OV_STREET: pr_add(out, key, PR_STREET, v); break;
		case OV_POSTCODE: pr_add(out, key, PR_POSTCODE, v); break;
		case OV_BSN: pr_add(out, key, PR_BSN, v); break;
		case OV_PHONE: pr_add(out, key, PR_PHONE, v); break;
		case OV_EMAIL: pr_add(out, key, PR_EMAIL, v); break;
		case OV_BIRTH: {
			int y = atoi(v), m = atoi(v + 5), d = atoi(v + 8);
			snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
			pr_add(out, key, PR_BIRTH4, buf);
			snprintf(buf, sizeof(buf), "%02d-%02d-%02d", y % 100, m,
			         d);
			pr_add(out, key, PR_BIRTH2, buf);
			snprintf(buf, sizeof(buf), "%02d%02d%04d", d, m, y);
			pr_add(out, key, PR_BIRTH_DIGITS, buf);
			snprintf(buf, sizeof(buf), "%04d%02d%02d", y, m, d);
			pr_add(out, key, PR_BIRTH_DIGITS, buf);
			break;
		}
		}
		sh_wipe(buf, sizeof(buf));
	}
	own_vals_free(&ov);
}

/* A search of a text for a print's items of one kind and length; every
 * item found is marked in hit (by its index), so that the answer names
 * the kind of the first value found in the order own_data takes them. */
typedef struct {
	const uint8_t *pr;
	size_t pl;
	const uint8_t *key;
	int kind;
	size_t len;
	unsigned char *hit;
} pr_q;

/* s (q->len bytes): marks the print's items of q's kind it is. Returns 0,
 * so that each search goes on to the end of the text (each_postcode). */
static int pr_is(const pr_q *q, const char *s)
{
	uint8_t tag[PR_TAG];
	pr_tag(tag, q->key, q->kind, s, q->len);
	for (size_t o = 0; o + PR_ITEM <= q->pl; o += PR_ITEM)
		if (q->pr[o] == q->kind && q->pr[o + 1] == q->len &&
		    memcmp(q->pr + o + 2, tag, PR_TAG) == 0)
			q->hit[o / PR_ITEM] = 1;
	return 0;
}

/* Runs of whole words of a folded text " a b c " of q->len bytes. */
static void pr_words(const pr_q *q, const char *ft)
{
	size_t fl = strlen(ft);
	for (size_t i = 0; i < fl; i++) {
		if (ft[i] == ' ' || (i && ft[i - 1] != ' '))
			continue;
		size_t e = i + q->len;
		if (e < fl && ft[e] == ' ')
			pr_is(q, ft + i);
	}
}

static int pr_postcode(void *ctx, const char *pc)
{
	const pr_q *q = ctx;
	return strlen(pc) == q->len ? pr_is(q, pc) : 0;
}

/* Stretches of q->len digits within one of the chains "|123|45|". */
static void pr_digits(const pr_q *q, const char *digits)
{
	for (const char *c = digits; *c;) {
		if (*c == '|') {
			c++;
			continue;
		}
		size_t cl = strcspn(c, "|");
		for (size_t k = 0; k + q->len <= cl; k++)
			pr_is(q, c + k);
		c += cl;
	}
}

static const char *pr_kind_name(int kind)
{
	switch (kind) {
	case PR_SURNAME: return "the resident's surname";
	case PR_STREET: return "the resident's street name";
	case PR_POSTCODE: return "the resident's postcode";
	case PR_BSN: return "the resident's BSN";
	case PR_PHONE: return "the resident's phone number";
	case PR_EMAIL: return "the resident's e-mail address";
	default: return "the resident's birth date";
	}
}

const char *sh_print_match(const char *text, const uint8_t *pr, size_t pl,
                           const uint8_t key[SH_KEY_LEN])
{
	char *seen = text_as_seen(text); /* as text_screen reads it */
	if (seen) {
		const char *kind = sh_print_match(seen, pr, pl, key);
		sh_wipe(seen, strlen(seen));
		free(seen);
		return kind;
	}
	size_t tl = strlen(text), ni = pl / PR_ITEM;
	char *ft = sh_xmalloc(2 * tl + 4), *digits = sh_xmalloc(tl + 3);
	char *lower = sh_xmalloc(tl + 1), *f2 = NULL;
	unsigned char *hit = sh_xcalloc(ni + 1, 1);
	text_prep tp;
	text_prep_fill(&tp, text, ft, digits, lower);
	int f2_done = 0;
	/* each kind and length the print has, searched for once */
	for (size_t o = 0; o + PR_ITEM <= pl; o += PR_ITEM) {
		pr_q q = {pr, pl, key, pr[o], pr[o + 1], hit};
		size_t p;
		for (p = 0; p < o; p += PR_ITEM)
			if (pr[p] == q.kind && pr[p + 1] == q.len)
				break;
		if (p < o)
			continue;
		switch (q.kind) {
		case PR_SURNAME:
		case PR_STREET:
			pr_words(&q, ft);
			if (!f2_done) {
				f2 = unmarked_folded(text, tl);
				f2_done = 1;
			}
			if (f2)
				pr_words(&q, f2);
			break;
		case PR_POSTCODE: each_postcode(&tp, pr_postcode, &q); break;
		case PR_BSN:
		case PR_PHONE:
		case PR_BIRTH_DIGITS: pr_digits(&q, digits); break;
		case PR_EMAIL:
			for (size_t k = 0; k + q.len <= tl; k++)
				pr_is(&q, lower + k);
			break;
		case PR_BIRTH4:
		case PR_BIRTH2: {
			if (!tp.dates_done) {
				const char **w;
				size_t *len, nw = words_of(text, &w, &len);
				tp.nd =
				    full_dates(text, w, len, nw, tp.dates, 16);
				tp.dates_done = 1;
				free(w);
				free(len);
			}
			for (size_t k = 0; k < tp.nd; k++) {
				const text_date *t = &tp.dates[k];
				char b[16];
				if ((t->ydigits == 4) != (q.kind == PR_BIRTH4))
					continue;
				snprintf(b, sizeof(b),
				         q.kind == PR_BIRTH4 ? "%04d-%02d-%02d"
				                             : "%02d-%02d-%02d",
				         t->y, t->m, t->d);
				if (strlen(b) == q.len)
					pr_is(&q, b);
			}
			break;
		}
		}
	}
	const char *kind = NULL;
	for (size_t i = 0; i < ni && !kind; i++)
		if (hit[i])
			kind = pr_kind_name(pr[i * PR_ITEM]);
	sh_wipe(ft, 2 * tl + 4);
	sh_wipe(digits, tl + 3);
	sh_wipe(lower, tl + 1);
	if (f2)
		sh_wipe(f2, 2 * tl + 4);
	free(ft);
	free(digits);
	free(lower);
	free(f2);
	free(hit);
	return kind;
}

int sh_print_has_date(const char *v, const uint8_t *pr, size_t pl,
                      const uint8_t key[SH_KEY_LEN])
{
	unsigned char *hit = sh_xcalloc(pl / PR_ITEM + 1, 1);
	pr_q q = {pr, pl, key, PR_BIRTH4, strlen(v), hit};
	int any = 0;
	if (q.len == 10) {
		pr_is(&q, v);
		for (size_t i = 0; i < pl / PR_ITEM; i++)
			any |= hit[i];
	}
	free(hit);
	return any;
}

/* The clear text fields of a stream of signals repeat (a creditor's
 * desk, the same in every signal it sends): each thread keeps the last
 * few texts it screened, prepared for the own-values check and with the
 * shape screen's answer for the day, so that a repeated text costs only
 * the check against each signal's own values. Kept are texts that
 * travel in clear anyway; a slot is wiped when it is taken over. Fixed
 * storage, so that a thread that ends leaves nothing to free. */
#define TEXT_CACHE_N   8
#define TEXT_CACHE_MAX 255
#define TEXT_CACHE_MIN 48

typedef struct {
	size_t tl; /* 0: a free slot */
	uint64_t used;
	char text[TEXT_CACHE_MAX + 1];
	char ft[2 * TEXT_CACHE_MAX + 4], digits[TEXT_CACHE_MAX + 3],
	    lower[TEXT_CACHE_MAX + 1];
	text_prep tp;
	char today[11];
	signed char shape_done[4]; /* by flags */
	const char *shape[4];
} text_cached;

static _Thread_local struct {
	text_cached e[TEXT_CACHE_N];
	uint64_t tick;
} text_cache;

/* At p, a full-width form of an ASCII character (U+FF01..U+FF5E, as East
 * Asian keyboards type them: "Ｊａｎｓｅｎ" reads as Jansen): that
 * character, else 0. */
static char fullwidth_at(const unsigned char *p)
{
	if (p[0] != 0xef || (p[1] != 0xbc && p[1] != 0xbd) || p[2] < 0x80 ||
	    p[2] > 0xbf)
		return 0;
	unsigned cp = (unsigned)(p[0] & 0x0f) << 12 |
	              (unsigned)(p[1] & 0x3f) << 6 | (unsigned)(p[2] & 0x3f);
	return cp >= 0xff01 && cp <= 0xff5e ? (char)(cp - 0xfee0) : 0;
}

/* v as a reader sees it: characters that show nothing left out, other
 * spaces made ASCII ones, full-width letters and digits read as ASCII
 * (from malloc); NULL if v has none of these. */
static char *text_as_seen(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	int space, any = 0;
	for (; *p && !any; p++)
		any = *p >= 0xc2 && *p <= 0xef &&
		      (hidden_at(p, &space) != 0 || fullwidth_at(p));
	if (!any)
		return NULL;
	char *out = sh_xmalloc(strlen(v) + 1), *o = out;
	for (p = (const unsigned char *)v; *p;) {
		size_t n = hidden_at(p, &space);
		char fw = n ? 0 : fullwidth_at(p);
		if (fw) {
			*o++ = fw;
			p += 3;
		} else if (n) {
			if (space)
				*o++ = ' ';
			p += n;
		} else {
			*o++ = (char)*p++;
		}
	}
	*o = '\0';
	return out;
}

/* What a clear text field holds of the signal's own values (fields) or
 * of the shape of a resident's data (as sh_text_own_data, then
 * sh_text_data_shape): a phrase, or NULL. The text is screened as a
 * reader sees it: a soft hyphen or zero-width space inside a surname,
 * a BSN or an e-mail address hides nothing. */
static const char *text_screen(const char *v, own_vals *ov,
                               Seinhuis__Field **fields, size_t nf,
                               const char *today, unsigned flags)
{
	char *seen = text_as_seen(v);
	if (seen) {
		const char *kind =
		    text_screen(seen, ov, fields, nf, today, flags);
		sh_wipe(seen, strlen(seen));
		free(seen);
		return kind;
	}
	size_t tl = strlen(v);
	if (tl > TEXT_CACHE_MAX) {
		const char *kind = sh_text_own_data(v, fields, nf);
		return kind ? kind : sh_text_data_shape(v, today, flags);
	}
	if (!ov->v)
		own_vals_make(ov, fields, nf);
	if (tl < TEXT_CACHE_MIN) {
		/* short (a reference, new in each signal): not worth a slot */
		char ft[2 * TEXT_CACHE_MIN + 4], digits[TEXT_CACHE_MIN + 3],
		    lower[TEXT_CACHE_MIN + 1];
		text_prep tp;
		text_prep_fill(&tp, v, ft, digits, lower);
		const char *kind = own_data(&tp, ov);
		sh_wipe(ft, sizeof(ft));
		sh_wipe(digits, sizeof(digits));
		sh_wipe(lower, sizeof(lower));
		return kind ? kind : sh_text_data_shape(v, today, flags);
	}
	text_cached *c = NULL, *lru = &text_cache.e[0];
	for (size_t i = 0; i < TEXT_CACHE_N && !c; i++) {
		text_cached *e = &text_cache.e[i];
		if (e->tl == tl && memcmp(e->text, v, tl) == 0)
			c = e;
		else if (e->used < lru->used)
			lru = e;
	}
	if (!c) {
		c = lru;
		sh_wipe(c, sizeof(*c));
		c->tl = tl;
		memcpy(c->text, v, tl + 1);
		text_prep_fill(&c->tp, c->text, c->ft, c->digits, c->lower);
	}
	c->used = ++text_cache.tick;
	const char *kind = own_data(&c->tp, ov);
	if (kind)
		return kind;
	flags &= 3u;
	if (strcmp(c->today, today) != 0) {
		snprintf(c->today, sizeof(c->today), "%s", today);
		memset(c->shape_done, 0, sizeof(c->shape_done));
	}
	if (!c->shape_done[flags]) {
		c->shape[flags] = sh_text_data_shape(v, today, flags);
		c->shape_done[flags] = 1;
	}
	return c->shape[flags];
}
