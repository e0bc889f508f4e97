/*
 * wire.c - turning named fields into a sealed, signed signal and back.
 *
 * The schema in proto/seinhuis.proto is the only field list in the code:
 * seinctl sends "name = value" pairs, and this file finds each name by
 * protobuf-c reflection, in this order: the signal itself (legal_basis,
 * consent_ref), the sealed content (description, reporter_contact), a
 * person (surname, postcode, ..., or person2.surname for a second person),
 * then the clear payload of the signal type. A name found nowhere is
 * refused (FIELD_UNKNOWN); nothing is silently dropped.
 *
 * Everything personal is serialised as one SealedContent and sealed with
 * the pair's AEAD key, with message id, sender and recipient as associated
 * data. The subject pseudonym is computed from the first person. The
 * serialised Signal is signed with the sender's Ed25519 key over a domain
 * tag, and travels with its signature in an Envelope.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "seinhuis.h"

const char sh_sig_domain[] = "seinhuis/signal/v1"; /* + its NUL: 19 bytes */

/* The oneof member of Signal that carries each type's payload. */
static const char *payload_member(Seinhuis__SignalType t)
{
	switch (t) {
	case SEINHUIS__SIGNAL_TYPE__ARREARS: return "arrears";
	case SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT: return "meldcode";
	case SEINHUIS__SIGNAL_TYPE__VT_NOTICE: return "notice";
	case SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK: return "feedback";
	case SEINHUIS__SIGNAL_TYPE__REFERRAL: return "referral";
	case SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION: return "revocation";
	default: return NULL;
	}
}

sh_err sh_pair_keys_derive(sh_pair_keys *k, const sh_identity *self,
			   const sh_card *peer)
{
	uint8_t shared[32];
	char info[200];
	const char *a = self->card.partner, *b = peer->partner;
	if (strcmp(a, b) > 0) {
		const char *t = a;
		a = b;
		b = t;
	}
	sh_err e = sh_x25519(shared, self->seal_sec, peer->seal_pub);
	if (e != SH_OK)
		return e;
	snprintf(info, sizeof(info), "seal|%s|%s", a, b);
	e = sh_hkdf(k->seal_key, 32, shared, 32, "seinhuis/pair/v1", info);
	snprintf(info, sizeof(info), "pseudonym|%s|%s", a, b);
	if (e == SH_OK)
		e = sh_hkdf(k->pseudo_key, 32, shared, 32, "seinhuis/pair/v1", info);
	sh_wipe(shared, sizeof(shared));
	return e;
}

/* Set one scalar field of a message from text. */
static sh_err set_scalar(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
			 const char *value)
{
	void *at = (char *)m + f->offset;
	char *end;
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		char **sp = at;
		if (*sp && *sp != protobuf_c_empty_string)
			free(*sp);
		*sp = sh_strdup(value);
		return SH_OK;
	}
	case PROTOBUF_C_TYPE_INT64: {
		errno = 0;
		long long v = strtoll(value, &end, 10);
		if (errno || end == value || *end || isspace((unsigned char)*value))
			return SH_ERR_FIELD_VALUE;
		*(int64_t *)at = v;
		return SH_OK;
	}
	case PROTOBUF_C_TYPE_INT32: {
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < INT32_MIN || v > INT32_MAX ||
		    isspace((unsigned char)*value))
			return SH_ERR_FIELD_VALUE;
		*(int32_t *)at = (int32_t)v;
		return SH_OK;
	}
	default:
		return SH_ERR_FIELD_UNKNOWN;
	}
}

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = sh_xmalloc(d->sizeof_message);
	d->message_init(m);
	return m;
}

static Seinhuis__Person *person_at(Seinhuis__SealedContent *sc, size_t idx)
{
	while (sc->n_persons <= idx) {
		sc->persons = realloc(sc->persons,
				      (sc->n_persons + 1) * sizeof(*sc->persons));
		if (!sc->persons)
			abort();
		sc->persons[sc->n_persons++] = (Seinhuis__Person *)new_message(
		    &seinhuis__person__descriptor);
	}
	return sc->persons[idx];
}

static int sealed_has_content(const Seinhuis__SealedContent *sc)
{
	return sc->n_persons > 0 || sc->description[0] || sc->reporter_contact[0];
}

sh_err sh_wire_build(const sh_identity *self, const sh_card *peer,
		     const sh_pair_keys *keys, Seinhuis__SignalType type,
		     Seinhuis__Field **fields, size_t nfields,
		     uint8_t msg_id[SH_ID_LEN], sh_buf *env_out,
		     char *err_field, size_t err_len)
{
	const char *member = payload_member(type);
	sh_err e = SH_OK;
	uint8_t *packed = NULL, *sealed = NULL, *tosign = NULL;
	Seinhuis__Signal *sig = NULL;
	Seinhuis__SealedContent *sc = NULL;
	ProtobufCMessage *payload = NULL;

	snprintf(err_field, err_len, "type");
	if (!member)
		return SH_ERR_TYPE;
	const ProtobufCFieldDescriptor *pf =
	    protobuf_c_message_descriptor_get_field_by_name(
		&seinhuis__signal__descriptor, member);
	sig = (Seinhuis__Signal *)new_message(&seinhuis__signal__descriptor);
	sc = (Seinhuis__SealedContent *)new_message(
	    &seinhuis__sealed_content__descriptor);
	payload = new_message(pf->descriptor);
	*(ProtobufCMessage **)((char *)sig + pf->offset) = payload;
	*(uint32_t *)((char *)sig + pf->quantifier_offset) = pf->id;

	const char *first_personal = NULL;
	for (size_t i = 0; i < nfields; i++) {
		const char *name = fields[i]->name, *value = fields[i]->value;
		ProtobufCMessage *target = NULL;
		const ProtobufCFieldDescriptor *f = NULL;
		snprintf(err_field, err_len, "%s", name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(fields[j]->name, name) == 0) {
				snprintf(err_field, err_len, "%s (given twice)", name);
				e = SH_ERR_FIELD_VALUE;
				goto err;
			}
		if (strcmp(name, "legal_basis") == 0 ||
		    strcmp(name, "consent_ref") == 0) {
			target = &sig->base;
		} else if (strcmp(name, "description") == 0 ||
			   strcmp(name, "reporter_contact") == 0) {
			target = &sc->base;
			if (!first_personal)
				first_personal = fields[i]->name;
		} else if (strcmp(name, "sealed") != 0) {
			const char *pname = name;
			size_t idx = 0;
			if (strncmp(name, "person", 6) == 0 && name[6] >= '2' &&
			    name[6] <= '8' && name[7] == '.') {
				idx = (size_t)(name[6] - '1');
				pname = name + 8;
			}
			if (protobuf_c_message_descriptor_get_field_by_name(
				&seinhuis__person__descriptor, pname)) {
				target = &person_at(sc, idx)->base;
				name = pname;
				if (!first_personal)
					first_personal = fields[i]->name;
			} else if (idx == 0) {
				target = payload;
			}
		}
		if (target)
			f = protobuf_c_message_descriptor_get_field_by_name(
			    target->descriptor, name);
		if (!f || f->type == PROTOBUF_C_TYPE_MESSAGE ||
		    f->type == PROTOBUF_C_TYPE_BYTES) {
			e = SH_ERR_FIELD_UNKNOWN;
			goto err;
		}
		if (strlen(value) > 4000) {
			e = SH_ERR_FIELD_VALUE;
			goto err;
		}
		if ((e = set_scalar(target, f, value)) != SH_OK)
			goto err;
	}

	/* Personal data only where the type has a sealed part for it. */
	const ProtobufCFieldDescriptor *sf =
	    protobuf_c_message_descriptor_get_field_by_name(payload->descriptor,
							    "sealed");
	if (first_personal && !sf) {
		snprintf(err_field, err_len, "%s", first_personal);
		e = SH_ERR_FIELD_UNKNOWN;
		goto err;
	}

	if ((e = sh_random(msg_id, SH_ID_LEN)) != SH_OK)
		goto err;
	sig->format_version = SH_FORMAT_VERSION;
	sig->message_id.data = sh_xmalloc(SH_ID_LEN);
	memcpy(sig->message_id.data, msg_id, SH_ID_LEN);
	sig->message_id.len = SH_ID_LEN;
	sig->sender = sh_strdup(self->card.partner);
	sig->recipient = sh_strdup(peer->partner);
	sig->type = type;
	sig->created_ms = sh_now_ms();

	if (sc->n_persons > 0) {
		char canon[300];
		if ((e = sh_canonical_identity(sc->persons[0], canon,
					       sizeof(canon))) != SH_OK) {
			snprintf(err_field, err_len, "%s", canon);
			goto err;
		}
		sig->subject.data = sh_xmalloc(SH_PSEUDO_LEN);
		sig->subject.len = SH_PSEUDO_LEN;
		sh_pseudonym(sig->subject.data, keys->pseudo_key, canon);
		sh_wipe(canon, sizeof(canon));
	}
	if (sealed_has_content(sc)) {
		size_t plen = seinhuis__sealed_content__get_packed_size(sc);
		uint8_t *plain = sh_xmalloc(plen);
		seinhuis__sealed_content__pack(sc, plain);
		sh_buf ad = {0};
		sh_buf_add(&ad, msg_id, SH_ID_LEN);
		sh_buf_printf(&ad, "%s|%s", sig->sender, sig->recipient);
		sealed = sh_xmalloc(plen + SH_SEAL_OVERHEAD);
		e = sh_seal(sealed, keys->seal_key, ad.data, ad.len, plain, plen);
		sh_wipe(plain, plen);
		free(plain);
		sh_buf_free(&ad);
		if (e != SH_OK)
			goto err;
		ProtobufCBinaryData *bd =
		    (ProtobufCBinaryData *)((char *)payload + sf->offset);
		bd->data = sealed;
		bd->len = plen + SH_SEAL_OVERHEAD;
		sealed = NULL;
	}

	size_t slen = seinhuis__signal__get_packed_size(sig);
	tosign = sh_xmalloc(SH_SIG_DOMAIN_LEN + slen);
	memcpy(tosign, sh_sig_domain, SH_SIG_DOMAIN_LEN);
	seinhuis__signal__pack(sig, tosign + SH_SIG_DOMAIN_LEN);
	uint8_t signature[SH_SIG_LEN];
	if ((e = sh_ed25519_sign(signature, self->sign_sec, tosign,
				 SH_SIG_DOMAIN_LEN + slen)) != SH_OK)
		goto err;
	Seinhuis__Envelope env = SEINHUIS__ENVELOPE__INIT;
	env.format_version = SH_FORMAT_VERSION;
	env.signal.data = tosign + SH_SIG_DOMAIN_LEN;
	env.signal.len = slen;
	env.signature.data = signature;
	env.signature.len = SH_SIG_LEN;
	size_t elen = seinhuis__envelope__get_packed_size(&env);
	packed = sh_xmalloc(elen);
	seinhuis__envelope__pack(&env, packed);
	sh_buf_add(env_out, packed, elen);
	err_field[0] = '\0';
err:
	free(packed);
	free(sealed);
	free(tosign);
	if (sc) {
		for (size_t i = 0; i < sc->n_persons; i++) {
			Seinhuis__Person *p = sc->persons[i];
			const ProtobufCMessageDescriptor *d = p->base.descriptor;
			for (unsigned j = 0; j < d->n_fields; j++) {
				char *str = *(char **)((char *)p + d->fields[j].offset);
				if (str && str != protobuf_c_empty_string)
					sh_wipe(str, strlen(str));
			}
		}
		seinhuis__sealed_content__free_unpacked(sc, NULL);
	}
	if (sig)
		seinhuis__signal__free_unpacked(sig, NULL);
	return e;
}

sh_err sh_wire_verify(const sh_identity *self, const sh_card *from,
		      const uint8_t *envb, size_t envlen,
		      Seinhuis__Signal **sig_out, uint8_t id_out[SH_ID_LEN])
{
	sh_err e;
	uint8_t *tosign = NULL;
	Seinhuis__Signal *s = NULL;
	Seinhuis__Envelope *env = seinhuis__envelope__unpack(NULL, envlen, envb);
	*sig_out = NULL;
	if (!env)
		return SH_ERR_WIRE_DECODE;
	if (env->format_version != SH_FORMAT_VERSION) {
		e = SH_ERR_WIRE_VERSION;
		goto err;
	}
	/* Decode first so that a refusal can name the message id; nothing
	 * in the signal is trusted until the signature has verified. */
	s = seinhuis__signal__unpack(NULL, env->signal.len, env->signal.data);
	if (!s || s->message_id.len != SH_ID_LEN) {
		e = SH_ERR_WIRE_DECODE;
		goto err;
	}
	memcpy(id_out, s->message_id.data, SH_ID_LEN);
	if (env->signature.len != SH_SIG_LEN) {
		e = SH_ERR_SIGNATURE;
		goto err;
	}
	tosign = sh_xmalloc(SH_SIG_DOMAIN_LEN + env->signal.len);
	memcpy(tosign, sh_sig_domain, SH_SIG_DOMAIN_LEN);
	if (env->signal.len)
		memcpy(tosign + SH_SIG_DOMAIN_LEN, env->signal.data, env->signal.len);
	if (!sh_ed25519_verify(env->signature.data, from->sign_pub, tosign,
			       SH_SIG_DOMAIN_LEN + env->signal.len)) {
		e = SH_ERR_SIGNATURE;
		goto err;
	}
	if (s->format_version != SH_FORMAT_VERSION) {
		e = SH_ERR_WIRE_VERSION;
		goto err;
	}
	if (strcmp(s->sender, from->partner) != 0) {
		e = SH_ERR_SENDER;
		goto err;
	}
	if (strcmp(s->recipient, self->card.partner) != 0) {
		e = SH_ERR_RECIPIENT;
		goto err;
	}
	const char *member = payload_member(s->type);
	const ProtobufCFieldDescriptor *pf =
	    member ? protobuf_c_message_descriptor_get_field_by_name(
			 &seinhuis__signal__descriptor, member)
		   : NULL;
	if (!pf || (uint32_t)s->payload_case != pf->id) {
		e = SH_ERR_TYPE;
		goto err;
	}
	if (s->subject.len != 0 && s->subject.len != SH_PSEUDO_LEN) {
		e = SH_ERR_WIRE_DECODE;
		goto err;
	}
	*sig_out = s;
	s = NULL;
	e = SH_OK;
err:
	free(tosign);
	if (s)
		seinhuis__signal__free_unpacked(s, NULL);
	seinhuis__envelope__free_unpacked(env, NULL);
	return e;
}

static const ProtobufCMessage *payload_of(const Seinhuis__Signal *s)
{
	const char *member = payload_member(s->type);
	if (!member)
		return NULL;
	const ProtobufCFieldDescriptor *pf =
	    protobuf_c_message_descriptor_get_field_by_name(
		&seinhuis__signal__descriptor, member);
	if (!pf || (uint32_t)s->payload_case != pf->id)
		return NULL;
	return *(const ProtobufCMessage *const *)((const char *)s + pf->offset);
}

static void add_field(Seinhuis__Field ***out, size_t *n, const char *name,
		      const char *value)
{
	*out = realloc(*out, (*n + 1) * sizeof(**out));
	if (!*out)
		abort();
	Seinhuis__Field *f = sh_xmalloc(sizeof(*f));
	seinhuis__field__init(f);
	f->name = sh_strdup(name);
	f->value = sh_strdup(value);
	(*out)[(*n)++] = f;
}

static size_t clear_fields(const Seinhuis__Signal *s, Seinhuis__Field ***out,
			   int skip_zero_ints);

size_t sh_wire_clear_fields(const Seinhuis__Signal *s, Seinhuis__Field ***out)
{
	return clear_fields(s, out, 0);
}

/* skip_zero_ints: proto3 cannot tell an integer 0 from one not given, so
 * for the policy check a 0 reads as absent. */
static size_t clear_fields(const Seinhuis__Signal *s, Seinhuis__Field ***out,
			   int skip_zero_ints)
{
	size_t n = 0;
	*out = NULL;
	if (s->legal_basis[0])
		add_field(out, &n, "legal_basis", s->legal_basis);
	if (s->consent_ref[0])
		add_field(out, &n, "consent_ref", s->consent_ref);
	const ProtobufCMessage *p = payload_of(s);
	if (!p)
		return n;
	const ProtobufCMessageDescriptor *d = p->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *at = (const char *)p + f->offset;
		char num[32];
		switch (f->type) {
		case PROTOBUF_C_TYPE_STRING:
			if (*(char *const *)at && **(char *const *)at)
				add_field(out, &n, f->name, *(char *const *)at);
			break;
		case PROTOBUF_C_TYPE_INT64:
			if (skip_zero_ints && *(const int64_t *)at == 0)
				break;
			snprintf(num, sizeof(num), "%lld",
				 (long long)*(const int64_t *)at);
			add_field(out, &n, f->name, num);
			break;
		case PROTOBUF_C_TYPE_INT32:
			if (skip_zero_ints && *(const int32_t *)at == 0)
				break;
			snprintf(num, sizeof(num), "%d", *(const int32_t *)at);
			add_field(out, &n, f->name, num);
			break;
		default:
			break; /* sealed bytes are never shown in clear */
		}
	}
	return n;
}

void sh_fields_free(Seinhuis__Field **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		seinhuis__field__free_unpacked(f[i], NULL);
	free(f);
}

sh_err sh_wire_open(const Seinhuis__Signal *s, const sh_pair_keys *keys,
		    Seinhuis__SealedContent **out)
{
	*out = NULL;
	const ProtobufCMessage *p = payload_of(s);
	if (!p)
		return SH_ERR_TYPE;
	const ProtobufCFieldDescriptor *sf =
	    protobuf_c_message_descriptor_get_field_by_name(p->descriptor,
							    "sealed");
	if (!sf)
		return SH_ERR_NOTFOUND;
	const ProtobufCBinaryData *bd =
	    (const ProtobufCBinaryData *)((const char *)p + sf->offset);
	if (bd->len == 0)
		return SH_ERR_NOTFOUND;
	if (bd->len < SH_SEAL_OVERHEAD)
		return SH_ERR_SEAL;
	size_t plen = bd->len - SH_SEAL_OVERHEAD;
	uint8_t *plain = sh_xmalloc(plen);
	sh_buf ad = {0};
	sh_buf_add(&ad, s->message_id.data, s->message_id.len);
	sh_buf_printf(&ad, "%s|%s", s->sender, s->recipient);
	sh_err e = sh_open(plain, keys->seal_key, ad.data, ad.len, bd->data,
			   bd->len);
	sh_buf_free(&ad);
	if (e == SH_OK) {
		*out = seinhuis__sealed_content__unpack(NULL, plen, plain);
		if (!*out)
			e = SH_ERR_SEAL;
	}
	sh_wipe(plain, plen);
	free(plain);
	return e;
}

/* ------------------------------------------- fields for the policy */

/* Strip "person2." .. "person8." from a name; *idx gets the person index. */
static const char *person_name(const char *name, size_t *idx)
{
	*idx = 0;
	if (strncmp(name, "person", 6) == 0 && name[6] >= '2' && name[6] <= '8' &&
	    name[7] == '.') {
		*idx = (size_t)(name[6] - '1');
		return name + 8;
	}
	return name;
}

int sh_wire_field_class(Seinhuis__SignalType type, const char *name)
{
	const char *member = payload_member(type);
	if (!member)
		return SH_FIELD_NONE;
	if (strcmp(name, "legal_basis") == 0 || strcmp(name, "consent_ref") == 0)
		return SH_FIELD_CLEAR;
	const ProtobufCFieldDescriptor *pf =
	    protobuf_c_message_descriptor_get_field_by_name(
		&seinhuis__signal__descriptor, member);
	int sealable = protobuf_c_message_descriptor_get_field_by_name(
			   pf->descriptor, "sealed") != NULL;
	if (strcmp(name, "description") == 0 ||
	    strcmp(name, "reporter_contact") == 0)
		return sealable ? SH_FIELD_PERSONAL : SH_FIELD_NONE;
	size_t idx;
	const char *pname = person_name(name, &idx);
	if (protobuf_c_message_descriptor_get_field_by_name(
		&seinhuis__person__descriptor, pname))
		return sealable ? SH_FIELD_PERSONAL : SH_FIELD_NONE;
	if (idx != 0 || strcmp(name, "sealed") == 0)
		return SH_FIELD_NONE;
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(pf->descriptor, name);
	if (!f || f->type == PROTOBUF_C_TYPE_MESSAGE ||
	    f->type == PROTOBUF_C_TYPE_BYTES)
		return SH_FIELD_NONE;
	return SH_FIELD_CLEAR;
}

static void add_person_fields(Seinhuis__Field ***out, size_t *n,
			      const Seinhuis__Person *p, size_t idx)
{
	const ProtobufCMessageDescriptor *d = p->base.descriptor;
	for (unsigned j = 0; j < d->n_fields; j++) {
		const char *v = *(char *const *)((const char *)p + d->fields[j].offset);
		if (!v || !*v)
			continue;
		char name[64];
		if (idx == 0)
			snprintf(name, sizeof(name), "%s", d->fields[j].name);
		else
			snprintf(name, sizeof(name), "person%zu.%s", idx + 1,
				 d->fields[j].name);
		add_field(out, n, name, v);
	}
}

sh_err sh_wire_fields(const Seinhuis__Signal *s,
		      const Seinhuis__SealedContent *sc, Seinhuis__Field ***out,
		      size_t *nout)
{
	*nout = clear_fields(s, out, 1);
	const ProtobufCMessage *p = payload_of(s);
	if (s->base.n_unknown_fields || (p && p->n_unknown_fields))
		return SH_ERR_FIELD_UNKNOWN;
	if (!sc)
		return SH_OK;
	if (sc->base.n_unknown_fields || sc->n_persons > 8)
		return SH_ERR_FIELD_UNKNOWN;
	for (size_t i = 0; i < sc->n_persons; i++) {
		if (sc->persons[i]->base.n_unknown_fields)
			return SH_ERR_FIELD_UNKNOWN;
		add_person_fields(out, nout, sc->persons[i], i);
	}
	if (sc->description[0])
		add_field(out, nout, "description", sc->description);
	if (sc->reporter_contact[0])
		add_field(out, nout, "reporter_contact", sc->reporter_contact);
	return SH_OK;
}

sh_err sh_wire_peek_id(const uint8_t *envb, size_t envlen,
		       uint8_t id_out[SH_ID_LEN])
{
	Seinhuis__Envelope *env = seinhuis__envelope__unpack(NULL, envlen, envb);
	if (!env)
		return SH_ERR_WIRE_DECODE;
	Seinhuis__Signal *s =
	    seinhuis__signal__unpack(NULL, env->signal.len, env->signal.data);
	sh_err e = SH_ERR_WIRE_DECODE;
	if (s && s->message_id.len == SH_ID_LEN) {
		memcpy(id_out, s->message_id.data, SH_ID_LEN);
		e = SH_OK;
	}
	if (s)
		seinhuis__signal__free_unpacked(s, NULL);
	seinhuis__envelope__free_unpacked(env, NULL);
	return e;
}
