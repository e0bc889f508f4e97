/*
 * fuzz_control - bytes arriving on the control socket, handled as
 * control.c's sh_control_read and dispatch handle them: length-prefixed
 * frames cut with sh_frame_peek (pipelined, at most 4096 per read), each
 * body decoded with seinhuis__ctl_request__unpack (and with the daemon's
 * sh_ctl_request_decode, which must agree with it), then the fields each
 * operation reads, through the library calls the daemon makes:
 *
 *   SEND            type (sh_signal_type_parse), then as sh_daemon_submit:
 *                   sh_policy_check and sh_wire_build from fuzz-alpha to
 *                   fuzz-beta. The policy runs with the fixtures' roles, as
 *                   the daemon would, and with a sender and recipient role
 *                   the catalogue allows for the type, picked by the
 *                   request's limit (unused by SEND), so that every type is
 *                   reachable; the build follows the second check.
 *   CONSENT_GRANT   purpose, the resident identifiers as the daemon
 *                   checks them (sh_consent_identifiers: Person fields,
 *                   none twice, a birth date that is one),
 *                   sh_canonical_identity, sh_pseudonym
 *   CONSENT_REVOKE  message_id (sh_unhex), then the consent_revocation
 *                   signal the daemon sends, submitted as SEND is
 *   OUTBOX          state (pending, delivered, failed) and limit
 *   INBOX_SHOW,
 *   INBOX_ACK       message_id (sh_unhex)
 *   others          nothing to read
 *
 * Invariant: what the sender's checks accept and sh_wire_build builds must
 * pass the recipient's: verify, open, sh_wire_fields and the same policy
 * check with the same roles. Otherwise a signal seinctl was told is
 * accepted is refused by the partner. The consent register and the outbox
 * need the daemon's store and are left out.
 *
 * Each request is answered with a CtlReply framed by sh_frame_append, and
 * the reply frame must cut back to exactly its own length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"

#define FAIL(what) fuzz_fail("fuzz_control", what)

static void reply(const char *rule, const char *text, const char *id)
{
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	char err[512];
	snprintf(err, sizeof(err), "%s", text);
	r.ok = rule == NULL;
	r.rule = (char *)(rule ? rule : "");
	r.error = err;
	if (id)
		r.message_id = (char *)id;
	sh_buf b = {0};
	sh_frame_append(&b, &r.base);
	const uint8_t *body = NULL;
	size_t blen = 0, flen = 0;
	if (sh_frame_peek(b.data, b.len, &body, &blen, &flen) != 1 ||
	    flen != b.len || blen + 4 != b.len || body != b.data + 4)
		FAIL("a reply frame does not cut back");
	Seinhuis__CtlReply *back =
	    seinhuis__ctl_reply__unpack(NULL, blen, body);
	if (!back || back->ok != r.ok || strcmp(back->error, err) != 0)
		FAIL("a reply does not decode to itself");
	seinhuis__ctl_reply__free_unpacked(back, NULL);
	sh_buf_free(&b);
}

static void reply_err(sh_err e, const char *text)
{
	reply(sh_err_rule(e), text, NULL);
}

/* The partner's side of a signal just built: it must be accepted. */
static void partner_accepts(const fuzz_world_t *w, Seinhuis__SignalType t,
                            const uint8_t id[SH_ID_LEN], const sh_buf *env,
                            const char *from, const char *to, const char *today)
{
	Seinhuis__Signal *s = NULL;
	uint8_t got[SH_ID_LEN];
	sh_err e = sh_wire_verify(&w->sender, &w->recipient.card, env->data,
	                          env->len, &s, got);
	fuzz_trace("partner: sh_wire_verify", e);
	if (e != SH_OK)
		FAIL("a built signal does not verify");
	if (memcmp(got, id, SH_ID_LEN) != 0 || s->type != t)
		FAIL("a built signal changed id or type");
	Seinhuis__SealedContent *sc = NULL;
	e = sh_wire_open(s, &w->keys, &sc);
	fuzz_trace("partner: sh_wire_open", e);
	if (e != SH_OK && e != SH_ERR_NOTFOUND)
		FAIL("a built signal does not open");
	Seinhuis__Field **f = NULL;
	size_t n = 0;
	e = sh_wire_fields(s, sc, &f, &n);
	fuzz_trace("partner: sh_wire_fields", e);
	if (e != SH_OK)
		FAIL("a built signal carries fields its partner does not know");
	char field[64], detail[300];
	e = sh_policy_check(&w->cat, t, from, to, f, n, today, field,
	                    sizeof(field), detail, sizeof(detail));
	fuzz_trace("partner: sh_policy_check", e);
	if (e != SH_OK) {
		fprintf(stderr,
		        "fuzz_control: partner refuses field '%s': %s "
		        "(%s)\n",
		        field, detail, sh_err_rule(e));
		FAIL("the sender's checks accept what the partner's refuse");
	}
	if (sc && sc->n_persons > 0) {
		char hh[128];
		(void)sh_household(sc->persons[0], hh, sizeof(hh));
	}
	sh_fields_free(f, n);
	if (sc)
		seinhuis__sealed_content__free_unpacked(sc, NULL);
	seinhuis__signal__free_unpacked(s, NULL);
}

/* sh_daemon_submit without the store: policy, build, partner's checks. */
static sh_err submit(Seinhuis__SignalType t, Seinhuis__Field **fields, size_t n,
                     unsigned pick, char *idhex, char *field, size_t fl,
                     char *detail, size_t dl)
{
	const fuzz_world_t *w = fuzz_world();
	char today[11], from[32] = "", to[32] = "";
	sh_today(today);
	/* Here fuzz-alpha is the sending daemon, fuzz-beta its partner. */
	sh_err e = sh_policy_check(&w->cat, t, w->recipient.card.role,
	                           w->sender.card.role, fields, n, today, field,
	                           fl, detail, dl);
	fuzz_trace("sh_policy_check (fixture roles)", e);
	const sh_type_rule *rule = sh_catalogue_type(&w->cat, t);
	if (rule) {
		fuzz_pick_word(rule->senders, pick, from, sizeof(from));
		fuzz_pick_word(rule->recipients, pick >> 4, to, sizeof(to));
		e = sh_policy_check(&w->cat, t, from, to, fields, n, today,
		                    field, fl, detail, dl);
		fuzz_trace("sh_policy_check (catalogue roles)", e);
	}
	if (e != SH_OK)
		return e;

	uint8_t id[SH_ID_LEN];
	sh_buf env = {0};
	e = sh_wire_build(&w->recipient, &w->sender.card, &w->keys, t, fields,
	                  n, id, &env, field, fl);
	fuzz_trace("sh_wire_build", e);
	if (e != SH_OK) {
		if (env.len != 0)
			FAIL("refused, yet an envelope was written");
		sh_buf_free(&env);
		return e;
	}
	partner_accepts(w, t, id, &env, from, to, today);
	sh_buf_free(&env);
	sh_hex(idhex, id, SH_ID_LEN);
	return SH_OK;
}

static void op_send(const Seinhuis__CtlRequest *q)
{
	char text[512], idhex[33], field[128], detail[300];
	Seinhuis__SignalType t = sh_signal_type_parse(q->type);
	if (t == SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED ||
	    t == SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION) {
		snprintf(text, sizeof(text),
		         "the signal type %s is not one that can be sent",
		         t ? sh_signal_type_name(t) : "given");
		return reply_err(SH_ERR_TYPE, text);
	}
	if (strcmp(sh_signal_type_name(t), q->type) != 0)
		FAIL("type name does not parse to itself");
	(void)sh_partner_id_valid(q->recipient);
	detail[0] = '\0';
	sh_err e = submit(t, q->fields, q->n_fields, q->limit, idhex, field,
	                  sizeof(field), detail, sizeof(detail));
	if (e != SH_OK) {
		snprintf(text, sizeof(text), "field '%s': %s", field,
		         detail[0] ? detail : sh_err_str(e));
		return reply_err(e, text);
	}
	reply(NULL, "", idhex);
}

static void op_consent_grant(const Seinhuis__CtlRequest *q)
{
	char text[128];
	if (!sh_partner_id_valid(q->purpose))
		return reply_err(SH_ERR_USAGE, "purpose is one word");
	Seinhuis__Person person;
	char today[11];
	sh_today(today);
	sh_err e =
	    sh_consent_identifiers(&fuzz_world()->cat, q->fields, q->n_fields,
	                           today, &person, text, sizeof(text));
	if (e != SH_OK) {
		if (!text[0])
			FAIL("a consent identifier refused without a reason");
		return reply_err(e, text);
	}
	for (size_t i = 0; i < q->n_fields; i++) {
		const char *name = q->fields[i]->name;
		if (!protobuf_c_message_descriptor_get_field_by_name(
		        &seinhuis__person__descriptor, name))
			FAIL("a consent identifier that is no Person field "
			     "was accepted");
		for (size_t j = 0; j < i; j++)
			if (strcmp(q->fields[j]->name, name) == 0)
				FAIL("a consent identifier given twice was "
				     "accepted");
		if (strcmp(name, "birth_date") == 0 && q->fields[i]->value[0] &&
		    (!sh_date_ok(q->fields[i]->value) ||
		     strcmp(q->fields[i]->value, today) > 0))
			FAIL("a birth date that is none, or ahead, was "
			     "accepted");
	}
	char canon[300];
	e = sh_canonical_identity(&person, canon, sizeof(canon));
	if (e != SH_OK) {
		snprintf(text, sizeof(text), "field '%.40s': %s", canon,
		         sh_err_str(e));
		return reply_err(e, text);
	}
	if (strncmp(canon, "bsn:", 4) != 0 && strncmp(canon, "nap:", 4) != 0)
		FAIL("canonical identity is neither bsn: nor nap:");
	uint8_t subject[SH_PSEUDO_LEN];
	sh_pseudonym(subject, fuzz_world()->keys.pseudo_key, canon);
	sh_wipe(canon, sizeof(canon));
	reply(NULL, "", NULL);
}

static void op_consent_revoke(const Seinhuis__CtlRequest *q)
{
	uint8_t ref[16];
	char today[11], idhex[33], field[64], detail[300];
	if (sh_unhex(ref, sizeof(ref), q->message_id) < 0)
		return reply_err(SH_ERR_USAGE,
		                 "a consent reference is 32 hex digits");
	sh_today(today);
	Seinhuis__Field f[3], *fp[3];
	const char *kv[3][2] = {{"legal_basis", "consent"},
	                        {"consent_ref", q->message_id},
	                        {"revoked_on", today}};
	for (int i = 0; i < 3; i++) {
		seinhuis__field__init(&f[i]);
		f[i].name = (char *)kv[i][0];
		f[i].value = (char *)kv[i][1];
		fp[i] = &f[i];
	}
	sh_err e = submit(SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION, fp, 3, 0,
	                  idhex, field, sizeof(field), detail, sizeof(detail));
	if (e != SH_OK)
		return reply_err(e, sh_err_str(e));
	reply(NULL, "", idhex);
}

static void op_list(const Seinhuis__CtlRequest *q, int with_state)
{
	if (with_state && q->state[0] && strcmp(q->state, "pending") != 0 &&
	    strcmp(q->state, "delivered") != 0 &&
	    strcmp(q->state, "failed") != 0)
		return reply_err(SH_ERR_USAGE,
		                 "state must be pending, delivered or failed");
	size_t limit = q->limit ? q->limit : 1000;
	char text[64];
	snprintf(text, sizeof(text), "%zu", limit);
	reply(NULL, text, NULL);
}

static void op_inbox_id(const Seinhuis__CtlRequest *q)
{
	uint8_t id[SH_ID_LEN];
	if (sh_unhex(id, SH_ID_LEN, q->message_id) < 0)
		return reply_err(SH_ERR_USAGE, "a message id is 32 hex digits");
	char hex[2 * SH_ID_LEN + 1];
	sh_hex(hex, id, SH_ID_LEN);
	if (strcasecmp(hex, q->message_id) != 0)
		FAIL("message id does not round-trip");
	char text[128];
	snprintf(text, sizeof(text), "no signal %s in the inbox",
	         q->message_id);
	reply_err(SH_ERR_NOTFOUND, text);
}

/* The daemon decodes a plain SEND directly (sh_ctl_request_decode): it
 * must decode what protobuf-c decodes, and to the same request (the same
 * bytes when packed again), and fail where protobuf-c fails. */
static void same_decode(const uint8_t *body, size_t len,
                        const Seinhuis__CtlRequest *q)
{
	sh_arena a;
	sh_arena_init(&a, 4096);
	int fast = 0;
	Seinhuis__CtlRequest *d = sh_ctl_request_decode(&a, body, len, &fast);
	if (!d != !q)
		FAIL("the daemon's decoder and protobuf-c disagree on whether "
		     "a request decodes");
	if (d && q) {
		size_t n = seinhuis__ctl_request__get_packed_size(q);
		if (seinhuis__ctl_request__get_packed_size(d) != n)
			FAIL("the daemon's decoder gives another request");
		uint8_t *x = malloc(n ? n : 1), *y = malloc(n ? n : 1);
		seinhuis__ctl_request__pack(q, x);
		seinhuis__ctl_request__pack(d, y);
		if (memcmp(x, y, n) != 0)
			FAIL("the daemon's decoder gives another request");
		free(x);
		free(y);
	}
	sh_arena_free(&a);
}

static void dispatch(const uint8_t *body, size_t len)
{
	Seinhuis__CtlRequest *q =
	    seinhuis__ctl_request__unpack(NULL, len, body);
	same_decode(body, len, q);
	if (!q)
		return reply_err(SH_ERR_CONTROL,
		                 "the request is not a valid control message");
	char text[64];
	switch (q->op) {
	case SEINHUIS__CTL_REQUEST__OP__SEND: op_send(q); break;
	case SEINHUIS__CTL_REQUEST__OP__OUTBOX: op_list(q, 1); break;
	case SEINHUIS__CTL_REQUEST__OP__INBOX_LIST: op_list(q, 0); break;
	case SEINHUIS__CTL_REQUEST__OP__INBOX_SHOW:
	case SEINHUIS__CTL_REQUEST__OP__INBOX_ACK: op_inbox_id(q); break;
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_GRANT:
		op_consent_grant(q);
		break;
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_REVOKE:
		op_consent_revoke(q);
		break;
	case SEINHUIS__CTL_REQUEST__OP__STATUS:
	case SEINHUIS__CTL_REQUEST__OP__QUARANTINE_LIST:
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_LIST:
		reply(NULL, "", NULL);
		break;
	default:
		snprintf(text, sizeof(text), "unknown control operation %d",
		         (int)q->op);
		reply_err(SH_ERR_CONTROL, text);
	}
	seinhuis__ctl_request__free_unpacked(q, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	fuzz_world();
	for (int handled = 0; handled < 4096; handled++) {
		const uint8_t *body = NULL;
		size_t blen = 0, flen = 0;
		int r =
		    sh_frame_peek(data + off, size - off, &body, &blen, &flen);
		if (r <= 0)
			break; /* < 0: oversized, the daemon closes */
		if (body != data + off + 4 || flen != blen + 4 ||
		    flen > size - off)
			FAIL("frame cut outside the input");
		dispatch(body, blen);
		off += flen;
	}
	return 0;
}
