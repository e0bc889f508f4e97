/*
 * fuzz_control - bytes arriving on the control socket, handled as
 * control.c's sh_control_read and dispatch handle them: length-prefixed
 * frames cut with sh_frame_peek (pipelined, at most 4096 per read), each
 * body decoded with seinhuis__ctl_request__unpack, then the fields each
 * operation reads:
 *
 *   SEND        type (sh_signal_type_parse), recipient, and the fields,
 *               given to sh_wire_build as op_send does. The recipient is
 *               not looked up: every request is built from fuzz-alpha to
 *               fuzz-beta, and what sh_wire_build accepts must verify and
 *               open at fuzz-beta: a signal the sender accepts but its
 *               partner refuses would be stuck for ever.
 *   OUTBOX      state (pending, delivered, failed) and limit
 *   INBOX_LIST  limit
 *   INBOX_SHOW,
 *   INBOX_ACK   message_id (sh_unhex)
 *
 * Each request is answered with a CtlReply framed by sh_frame_append, and
 * the reply frame must cut back to exactly its own length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"

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
		fuzz_fail("fuzz_control", "a reply frame does not cut back");
	Seinhuis__CtlReply *back =
	    seinhuis__ctl_reply__unpack(NULL, blen, body);
	if (!back || back->ok != r.ok || strcmp(back->error, err) != 0)
		fuzz_fail("fuzz_control", "a reply does not decode to itself");
	seinhuis__ctl_reply__free_unpacked(back, NULL);
	sh_buf_free(&b);
}

static void reply_err(sh_err e, const char *text)
{
	reply(sh_err_rule(e), text, NULL);
}

static void op_send(const Seinhuis__CtlRequest *q)
{
	const fuzz_world_t *w = fuzz_world();
	char text[512];
	Seinhuis__SignalType t = sh_signal_type_parse(q->type);
	if (t == SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED) {
		snprintf(text, sizeof(text), "signal type '%.40s' is not known",
		         q->type);
		return reply_err(SH_ERR_TYPE, text);
	}
	if (strcmp(sh_signal_type_name(t), q->type) != 0)
		fuzz_fail("fuzz_control", "type name does not parse to itself");
	(void)sh_partner_id_valid(q->recipient);

	uint8_t id[SH_ID_LEN];
	char field[128];
	sh_buf env = {0};
	sh_err e = sh_wire_build(&w->recipient, &w->sender.card, &w->keys, t,
	                         q->fields, q->n_fields, id, &env, field,
	                         sizeof(field));
	fuzz_trace("sh_wire_build", e);
	if (e != SH_OK) {
		if (env.len != 0)
			fuzz_fail("fuzz_control",
			          "refused, yet envelope written");
		sh_buf_free(&env);
		snprintf(text, sizeof(text), "field '%s': %s", field,
		         sh_err_str(e));
		return reply_err(e, text);
	}

	/* The partner's side: what was accepted must be accepted there. */
	Seinhuis__Signal *s = NULL;
	uint8_t got[SH_ID_LEN];
	e = sh_wire_verify(&w->sender, &w->recipient.card, env.data, env.len,
	                   &s, got);
	fuzz_trace("sh_wire_verify", e);
	if (e != SH_OK)
		fuzz_fail("fuzz_control", "a built signal does not verify");
	if (memcmp(got, id, SH_ID_LEN) != 0 || s->type != t)
		fuzz_fail("fuzz_control", "a built signal changed id or type");
	Seinhuis__Field **f = NULL;
	size_t n = sh_wire_clear_fields(s, &f);
	sh_fields_free(f, n);
	Seinhuis__SealedContent *sc = NULL;
	e = sh_wire_open(s, &w->keys, &sc);
	fuzz_trace("sh_wire_open", e);
	if (e != SH_OK && e != SH_ERR_NOTFOUND)
		fuzz_fail("fuzz_control", "a built signal does not open");
	if (sc)
		seinhuis__sealed_content__free_unpacked(sc, NULL);
	seinhuis__signal__free_unpacked(s, NULL);
	sh_buf_free(&env);

	char idhex[2 * SH_ID_LEN + 1];
	sh_hex(idhex, id, SH_ID_LEN);
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
		fuzz_fail("fuzz_control", "message id does not round-trip");
	char text[128];
	snprintf(text, sizeof(text), "no signal %s in the inbox",
	         q->message_id);
	reply_err(SH_ERR_NOTFOUND, text);
}

static void dispatch(const uint8_t *body, size_t len)
{
	Seinhuis__CtlRequest *q =
	    seinhuis__ctl_request__unpack(NULL, len, body);
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
	case SEINHUIS__CTL_REQUEST__OP__STATUS: reply(NULL, "", NULL); break;
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
			fuzz_fail("fuzz_control",
			          "frame cut outside the input");
		dispatch(body, blen);
		off += flen;
	}
	return 0;
}
