/*
 * policy.h - the signal catalogue and the minimal-data rules it states.
 * See policy.c for the catalogue format and deploy/catalogue.conf for the
 * shipped catalogue.
 */
#ifndef SEINHUIS_POLICY_H
#define SEINHUIS_POLICY_H

#include "seinhuis.h"

typedef enum {
	CHK_TEXT,
	CHK_INT,
	CHK_ENUM,
	CHK_DATE,
	CHK_POSTCODE,
	CHK_HOUSENUMBER,
	CHK_PHONE,
	CHK_EMAIL,
	CHK_BSN,
	CHK_MSGID,
	CHK_DIGITS,
	CHK_STEPS,
} sh_check_kind;

typedef struct {
	char name[48];
	int required;
	int personal;
	sh_check_kind kind;
	long long min, max; /* int range, text length, digit count */
	int past;           /* date: not in the future */
	char words[512];    /* enum: allowed words, space separated */
	char only[160];     /* sender roles allowed to send it; empty: all */
	int line;
	uint32_t hash; /* of name (sh_name_hash), to find the rule fast */
} sh_field_rule;

/* "rule FIELD required when WHEN = VALUE",
 * "rule FIELD includes A,B,C when WHEN = VALUE" or
 * "rule FIELD one_of A,B,C when WHEN = VALUE"; WHEN may be "sender", the
 * sender's role */
typedef struct {
	char field[48];
	char includes[64]; /* empty: required */
	int one_of;        /* includes lists the values allowed */
	char when[48];
	char value[64];
	int line;
} sh_cond_rule;

#define SH_FIELD_SLOTS      128
#define SH_FIELD_SLOTS_USED 96

typedef struct {
	Seinhuis__SignalType type;
	char senders[256]; /* roles, space separated */
	char recipients[256];
	char bases[128];  /* legal bases allowed */
	char purpose[64]; /* what a consent for this type must be for */
	/* if set, the field whose value a consent's purpose must equal
	 * instead (purpose_field = NAME): an enum field of the type */
	char purpose_field[48];
	int64_t keep_unanswered_s, keep_taken_s;
	int64_t keep_closed_s; /* a closed case's record (owner, steps) */
	int64_t keep_sent_s;   /* the sender's settled outbox record */
	/* the sender's consent record for this type's purpose, after the
	 * consent ended (revoked, or past its last day) */
	int64_t keep_consent_s;
	char feedback[32];     /* none, consent, legal_task */
	int persons;           /* how many persons one signal may name */
	int line;              /* of the section header */
	char natural_key[256]; /* fields that identify a re-sent row */
	size_t natural_at[8];  /* their positions in fields */
	size_t n_natural;
	sh_field_rule *fields;
	size_t nfields;
	/* the fields by name hash, open addressing: from slot
	 * hash % SH_FIELD_SLOTS on, 1 + the index of a rule, up to a 0;
	 * used while nfields <= SH_FIELD_SLOTS_USED (else a scan) */
	uint8_t field_slot[SH_FIELD_SLOTS];
	sh_cond_rule *conds;
	size_t nconds;
} sh_type_rule;

typedef struct {
	sh_type_rule *types;
	size_t ntypes;
} sh_catalogue;

sh_err sh_catalogue_parse(sh_catalogue *cat, const char *text, size_t len,
                          char *why, size_t whylen);
sh_err sh_catalogue_load(sh_catalogue *cat, const char *path, char *why,
                         size_t whylen);
void sh_catalogue_free(sh_catalogue *cat);
const sh_type_rule *sh_catalogue_type(const sh_catalogue *cat,
                                      Seinhuis__SignalType t);
/* The purpose a consent must have been granted for to cover a signal of
 * type t with these fields: the value of the type's purpose_field, or its
 * purpose; "" if there is none (the field not given). */
const char *sh_consent_purpose(const sh_type_rule *t, Seinhuis__Field **f,
                               size_t n);
/* 1 if a consent granted for purpose may cover some signal of type t: it
 * is the type's purpose, or a word of its purpose_field's list. */
int sh_consent_purpose_usable(const sh_type_rule *t, const char *purpose);
/* The purposes of sh_consent_purpose_usable, space separated, appended to
 * out (size n) where not there yet. */
void sh_consent_purposes_add(const sh_type_rule *t, char *out, size_t n);
/* 1 if role is one of a type's roles (its senders or recipients). */
int sh_role_in(const char *roles, const char *role);

/* 1 if name has the form of a field name: lower-case letters, digits and
 * '_', starting with a letter, at most 48 characters, with "personN."
 * (N 1 to 9) in front for a further person's field. A name of another
 * form is never repeated in an error: it may be a resident's data (a CSV
 * file whose header row is missing gives its first row as names). */
int sh_field_name_ok(const char *name);
/* 1 if a signal of type t may hold the field name (as the policy check
 * takes it: legal_basis, consent_ref, a field of the type, or
 * "personN." (N from 2 to the type's persons) and a person's field of
 * the type); whether the sender's role may send it is not asked. */
int sh_type_has_field(const sh_type_rule *t, const char *name);
/* 1 if name is a field name some signal knows: of the form above, and
 * (after a "personN." prefix) legal_basis, consent_ref, a field of the
 * wire format's Person or of a signal type's payload, or a field of a
 * type in cat.
 * A name of the right form that no signal knows ("jansen") may still be
 * data, so only these are repeated in refusals. */
int sh_field_known(const sh_catalogue *cat, const char *name);
/* How a refusal names the i-th field (from 0): its name if
 * sh_field_known, else "#N" (N from 1) written into out. */
const char *sh_field_shown(const sh_catalogue *cat, char *out, size_t n,
                           const char *name, size_t i);

/* The resident identifiers of a consent grant: each a field of the wire
 * format's Person, none given twice (a second value would quietly replace
 * the first), a birth_date a real date YYYY-MM-DD not after today (empty:
 * none; a consent for a birth date no signal can carry would never
 * match). person is filled from them. On refusal text names the rule and
 * the field as sh_field_shown does, never a value. */
sh_err sh_consent_identifiers(const sh_catalogue *cat, Seinhuis__Field **f,
                              size_t n, const char *today,
                              Seinhuis__Person *person, char *text,
                              size_t tlen);

/* Check one signal against the catalogue. On refusal, field names the
 * field (or "type", "sender", "recipient"; "#N" for the N-th field if its
 * name is not one sh_field_known) and detail says what the rule requires,
 * never what the value was. today is YYYY-MM-DD. */
sh_err sh_policy_check(const sh_catalogue *cat, Seinhuis__SignalType type,
                       const char *sender_role, const char *recipient_role,
                       Seinhuis__Field **fields, size_t n, const char *today,
                       char *field, size_t flen, char *detail, size_t dlen);
/* The personal values of another signal, to check a signal's clear
 * fields against: its fields (its sealed part opened), or, when fields is
 * NULL, its print (sh_print_make) under key. */
typedef struct {
	Seinhuis__Field **fields;
	size_t n;
	const uint8_t *print;
	size_t plen;
	const uint8_t *key;
} sh_other;
/* Check a signal's clear fields against the personal values of another
 * signal it refers to (o), as sh_policy_check does against the signal's
 * own: a Veilig Thuis notice has no sealed part, yet its next_step could
 * name the resident of the report it answers. SH_ERR_PERSONAL with the
 * field's name in field and the kind of value (never the value) in
 * detail, or SH_OK. */
sh_err sh_policy_check_other(const sh_catalogue *cat, Seinhuis__SignalType type,
                             Seinhuis__Field **fields, size_t n,
                             const sh_other *o, const char *today, char *field,
                             size_t flen, char *detail, size_t dlen);
/* A signal's print: for each personal value among fields that
 * sh_text_own_data compares a text with (surname and its parts, street,
 * postcode, BSN, phone number, e-mail address, birth date in its written
 * forms), its kind, length and a tag (HMAC-SHA256 under key, cut to 16
 * bytes) of the value in the form a text is searched for it, in the
 * order sh_text_own_data takes the values; appended to out. A text can
 * be compared with it (sh_print_match) after the values are gone; a value
 * can be found from it only by trying candidates under the same key (the
 * caller keeps the key of one print apart from others', and seals it). */
void sh_print_make(Seinhuis__Field **fields, size_t n,
                   const uint8_t key[SH_KEY_LEN], sh_buf *out);
/* What sh_text_own_data answers for text and the values print was made
 * of: a phrase naming the first of them the text holds ("the resident's
 * surname"), or NULL. unit_policy compares the two. */
const char *sh_print_match(const char *text, const uint8_t *print, size_t plen,
                           const uint8_t key[SH_KEY_LEN]);
/* Whether date v (YYYY-MM-DD) is a birth date print was made of. */
int sh_print_has_date(const char *v, const uint8_t *print, size_t plen,
                      const uint8_t key[SH_KEY_LEN]);
const char *sh_field_value(Seinhuis__Field **fields, size_t n,
                           const char *name);
/* The values of t's first SH_TYPE_VALUES fields in a signal's fields, by
 * the rule's position: vals[i] is what sh_field_value(fields, n,
 * t->fields[i].name) gives. One pass over the signal's fields, each found
 * among the rules by its name's hash, instead of a scan of the signal's
 * fields for each rule. */
#define SH_TYPE_VALUES 64
void sh_type_values(const sh_type_rule *t, Seinhuis__Field **fields, size_t n,
                    const char *vals[SH_TYPE_VALUES]);
/* Today's date, YYYY-MM-DD, in the Dutch calendar (Europe/Amsterdam),
 * whatever the machine's time zone: what the catalogue's dates and a
 * signal's "before today" are measured against. */
void sh_today(char out[11]);
/* (sh_date_nl and the rest of the Dutch calendar: seinhuis.h) */
/* 1 if text is empty after leaving out whitespace (space, tab, line
 * breaks, U+00A0, U+2000..U+200A, U+202F, U+205F, U+3000) and invisible
 * characters that show nothing (as the clear-text screen leaves them out:
 * U+00AD, U+200B..U+200F, U+202A..U+202E, U+2060..U+2069, U+FEFF and a
 * few more; policy.c, hidden_at). A text field given
 * such a value counts as missing where it is required (FIELD_MISSING) and
 * is refused where it is optional (FIELD_FORMAT, "blank"), at the sender
 * and at the recipient alike. */
int sh_text_blank(const char *text);
/* 1 if s is a calendar date YYYY-MM-DD (from 1900 on). */
int sh_date_ok(const char *s);

/* 1 if a reveal's reason may be recorded (it is kept verbatim in the
 * audit log); else 0 and why says which rule it breaks. It refuses what
 * looks like a person's data: an e-mail address, a postcode, five or more
 * digits in a row, also in groups ("06 1234 5678", "123.456.782",
 * "1980-05-12"). */
int sh_reveal_reason_ok(const char *r, char *why, size_t wl);

/* Which of the resident's own personal values, among fields (surname,
 * street, postcode, bsn, phone, email, birth_date, also of "personN."),
 * text holds: "the resident's surname" and so on, never the value; NULL
 * if none. Names and streets are compared folded as the canonical
 * identity folds them, as whole words; a postcode with or without its
 * space; a BSN and phone number by their digits, also in groups (a phone
 * number without +31 or its leading 0); a birth date also as 12-5-1980,
 * 12/05/80, 12 mei 1980 or 12051980. */
const char *sh_text_own_data(const char *text, Seinhuis__Field **fields,
                             size_t n);
/* What a text that travels or is kept in clear holds that has the shape
 * of a resident's data: an e-mail address (also spelled out), a BSN (nine
 * digits that pass the eleven test, also 123 456 782 or 1234.56.782), a
 * Dutch mobile number (06, +31 6), a postcode (1234 AB, 1234ab), a full
 * date before today (a birth date: 12-5-1980, 1980-05-12, 12 mei 1980),
 * a street and house number, or a name after a form of address
 * (mw. Jansen); a phrase for a refusal, or NULL. Desk numbers (020-1234567,
 * 0800-1234, 088 000 0000) and references (REF-2024/0042) pass. Flags:
 * with SH_SHAPE_DESK_MAIL an e-mail address passes (a contact point's
 * mailbox); with SH_SHAPE_REFERENCE nine digits that pass the eleven test
 * do (a reference is a number by nature, and about 1 in 11 nine-digit
 * numbers passes by chance; the signal's own BSN is still refused there,
 * by sh_text_own_data). today is YYYY-MM-DD. */
#define SH_SHAPE_DESK_MAIL 1u
#define SH_SHAPE_REFERENCE 2u
const char *sh_text_data_shape(const char *text, const char *today,
                               unsigned flags);

#endif
