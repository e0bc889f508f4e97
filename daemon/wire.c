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

#include "audit.h"
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

/* Messages are unpacked into an arena (the recipient's hot path in peer.c
 * passes its per-signal one) or, without one, from malloc. What is in an
 * arena is let go, and wiped, when the arena is reset, never one by one. */
static ProtobufCAllocator *pc_of(sh_arena *a)
{
	return a ? &a->pc : NULL;
}

static void msg_free(void *m, sh_arena *a)
{
	if (m && !a)
		protobuf_c_message_free_unpacked(m, NULL);
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
		e = sh_hkdf(k->pseudo_key, 32, shared, 32, "seinhuis/pair/v1",
		            info);
	sh_wipe(shared, sizeof(shared));
	return e;
}

/* A field in a oneof of its own (presence kept): mark it given, so that a
 * 0 is sent. */
static void set_present(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)((char *)m + f->quantifier_offset) = f->id;
}

/* 1 if the field was given: one in a oneof by its case, another one (no
 * presence) when it is not 0. */
static int int_given(const ProtobufCMessage *m,
                     const ProtobufCFieldDescriptor *f, int64_t v)
{
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)((const char *)m +
		                           f->quantifier_offset) == f->id;
	return v != 0;
}

/* Set one scalar field of a message (in arena a) from text. */
static sh_err set_scalar(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                         const char *value, sh_arena *a)
{
	void *at = (char *)m + f->offset;
	char *end;
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		char **sp = at;
		*sp = sh_arena_strdup(a, value);
		return SH_OK;
	}
	case PROTOBUF_C_TYPE_INT64: {
		errno = 0;
		long long v = strtoll(value, &end, 10);
		if (errno || end == value || *end ||
		    isspace((unsigned char)*value))
			return SH_ERR_FIELD_VALUE;
		*(int64_t *)at = v;
		set_present(m, f);
		return SH_OK;
	}
	case PROTOBUF_C_TYPE_INT32: {
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < INT32_MIN ||
		    v > INT32_MAX || isspace((unsigned char)*value))
			return SH_ERR_FIELD_VALUE;
		*(int32_t *)at = (int32_t)v;
		set_present(m, f);
		return SH_OK;
	}
	default: return SH_ERR_FIELD_UNKNOWN;
	}
}

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d,
                                     sh_arena *a)
{
	ProtobufCMessage *m = sh_arena_alloc(a, d->sizeof_message);
	d->message_init(m);
	return m;
}

static Seinhuis__Person *person_at(Seinhuis__SealedContent *sc, size_t idx,
                                   sh_arena *a)
{
	while (sc->n_persons <= idx) {
		Seinhuis__Person **grown = sh_arena_alloc(
		    a, (sc->n_persons + 1) * sizeof(*sc->persons));
		if (sc->n_persons)
			memcpy(grown, sc->persons,
			       sc->n_persons * sizeof(*sc->persons));
		sc->persons = grown;
		sc->persons[sc->n_persons++] = (Seinhuis__Person *)new_message(
		    &seinhuis__person__descriptor, a);
	}
	return sc->persons[idx];
}

static int sealed_has_content(const Seinhuis__SealedContent *sc)
{
	return sc->n_persons > 0 || sc->description[0] ||
	       sc->reporter_contact[0];
}

/* Everything build() makes on the way (the messages, their fields, some
 * personal, the plain sealed part, the packed bytes) comes from the arena
 * a and is wiped with it when build returns; only env_out is kept. */
static sh_err build_in(const sh_identity *self, const sh_card *peer,
                       const sh_pair_keys *keys, Seinhuis__SignalType type,
                       Seinhuis__Field **fields, size_t nfields,
                       uint8_t msg_id[SH_ID_LEN], sh_buf *env_out,
                       char *err_field, size_t err_len, int sign,
                       sh_build_note *note, sh_arena *a)
{
	const char *member = payload_member(type);
	sh_err e = SH_OK;
	Seinhuis__Signal *sig = NULL;
	Seinhuis__SealedContent *sc = NULL;
	ProtobufCMessage *payload = NULL;

	snprintf(err_field, err_len, "type");
	if (!member)
		return SH_ERR_TYPE;
	const ProtobufCFieldDescriptor *pf =
	    sh_pb_field(&seinhuis__signal__descriptor, member);
	sig = (Seinhuis__Signal *)new_message(&seinhuis__signal__descriptor, a);
	sc = (Seinhuis__SealedContent *)new_message(
	    &seinhuis__sealed_content__descriptor, a);
	payload = new_message(pf->descriptor, a);
	*(ProtobufCMessage **)((char *)sig + pf->offset) = payload;
	*(uint32_t *)((char *)sig + pf->quantifier_offset) = pf->id;

	const char *first_personal = NULL;
	for (size_t i = 0; i < nfields; i++) {
		const char *name = fields[i]->name, *value = fields[i]->value;
		ProtobufCMessage *target = NULL;
		const ProtobufCFieldDescriptor *f = NULL;
		sh_copy_str(err_field, err_len, name);
		for (size_t j = 0; j < i; j++)
			if (sh_same_name(fields[j]->name, name)) {
				snprintf(err_field, err_len, "%s (given twice)",
				         name);
				e = SH_ERR_FIELD_VALUE;
				goto err;
			}
		if (sh_same_name(name, "legal_basis") ||
		    sh_same_name(name, "consent_ref")) {
			target = &sig->base;
		} else if (sh_same_name(name, "description") ||
		           sh_same_name(name, "reporter_contact")) {
			target = &sc->base;
			if (!first_personal)
				first_personal = fields[i]->name;
		} else if (!sh_same_name(name, "sealed")) {
			const char *pname = name;
			size_t idx = 0;
			if (name[0] == 'p' && strncmp(name, "person", 6) == 0 &&
			    name[6] >= '2' && name[6] <= '8' &&
			    name[7] == '.') {
				idx = (size_t)(name[6] - '1');
				pname = name + 8;
			}
			if (sh_pb_field(&seinhuis__person__descriptor, pname)) {
				target = &person_at(sc, idx, a)->base;
				name = pname;
				if (!first_personal)
					first_personal = fields[i]->name;
			} else if (idx == 0) {
				target = payload;
			}
		}
		if (target)
			f = sh_pb_field(target->descriptor, name);
		if (!f || f->type == PROTOBUF_C_TYPE_MESSAGE ||
		    f->type == PROTOBUF_C_TYPE_BYTES) {
			e = SH_ERR_FIELD_UNKNOWN;
			goto err;
		}
		if (strlen(value) > 4000) {
			e = SH_ERR_FIELD_VALUE;
			goto err;
		}
		if ((e = set_scalar(target, f, value, a)) != SH_OK)
			goto err;
	}

	/* Personal data only where the type has a sealed part for it. */
	const ProtobufCFieldDescriptor *sf =
	    sh_pb_field(payload->descriptor, "sealed");
	if (first_personal && !sf) {
		snprintf(err_field, err_len, "%s", first_personal);
		e = SH_ERR_FIELD_UNKNOWN;
		goto err;
	}

	/* A consent reference is hex, in any case as typed; one form on the
	 * wire, so that a revocation finds every signal sent under it. */
	if (sig->consent_ref && strlen(sig->consent_ref) == 32 &&
	    strspn(sig->consent_ref, "0123456789abcdefABCDEF") == 32)
		for (char *r = sig->consent_ref; *r; r++)
			*r = (char)tolower((unsigned char)*r);
	if ((e = sh_random_id(msg_id)) != SH_OK)
		goto err;
	sig->format_version = SH_FORMAT_VERSION;
	sig->message_id.data = msg_id;
	sig->message_id.len = SH_ID_LEN;
	sig->sender = (char *)self->card.partner;
	sig->recipient = (char *)peer->partner;
	sig->type = type;
	sig->created_ms = sh_now_ms();

	if (sc->n_persons > 0) {
		char canon[SH_CANON_MAX];
		if (note && note->canon) {
			sh_copy_str(canon, sizeof(canon), note->canon);
			e = note->canon_e;
		} else {
			e = sh_canonical_identity(sc->persons[0], canon,
			                          sizeof(canon));
		}
		if (e != SH_OK) {
			snprintf(err_field, err_len, "%s", canon);
			goto err;
		}
		sig->subject.data = sh_arena_alloc(a, SH_PSEUDO_LEN);
		sig->subject.len = SH_PSEUDO_LEN;
		sh_pseudonym(sig->subject.data, keys->pseudo_key, canon);
		if (note) {
			memcpy(note->subject, sig->subject.data, SH_PSEUDO_LEN);
			note->has_subject = 1;
			if (note->case_secret) {
				sh_hmac_sha256(note->case_key,
				               note->case_secret, SH_KEY_LEN,
				               canon, strlen(canon));
				note->has_case_key = 1;
				note->n_others = sh_other_persons_keys(
				    note->case_secret, sc->persons,
				    sc->n_persons, note->others);
			}
		}
		sh_wipe(canon, sizeof(canon));
	}
	if (sealed_has_content(sc)) {
		size_t plen = seinhuis__sealed_content__get_packed_size(sc);
		uint8_t *plain = sh_arena_alloc(a, plen);
		seinhuis__sealed_content__pack(sc, plain);
		/* associated data: message id || sender "|" recipient */
		size_t ls = strlen(sig->sender), lr = strlen(sig->recipient);
		size_t adlen = SH_ID_LEN + ls + 1 + lr;
		uint8_t *ad = sh_arena_alloc(a, adlen);
		memcpy(ad, msg_id, SH_ID_LEN);
		memcpy(ad + SH_ID_LEN, sig->sender, ls);
		ad[SH_ID_LEN + ls] = '|';
		memcpy(ad + SH_ID_LEN + ls + 1, sig->recipient, lr);
		uint8_t *sealed = sh_arena_alloc(a, plen + SH_SEAL_OVERHEAD);
		/* the nonce: the fresh message id's last 12 bytes (80 of
		 * their bits random; crypto.c, sh_random_id), saving a second
		 * call of the random generator per signal */
		e = sh_seal_nonce(sealed, keys->seal_key, msg_id + 4, ad, adlen,
		                  plain, plen);
		if (e != SH_OK)
			goto err;
		ProtobufCBinaryData *bd =
		    (ProtobufCBinaryData *)((char *)payload + sf->offset);
		bd->data = sealed;
		bd->len = plen + SH_SEAL_OVERHEAD;
	}

	size_t slen = seinhuis__signal__get_packed_size(sig);
	uint8_t *tosign = sh_arena_alloc(a, SH_SIG_DOMAIN_LEN + slen);
	memcpy(tosign, sh_sig_domain, SH_SIG_DOMAIN_LEN);
	seinhuis__signal__pack(sig, tosign + SH_SIG_DOMAIN_LEN);
	uint8_t signature[SH_SIG_LEN];
	if (sign && (e = sh_ed25519_sign(signature, self->sign_sec, tosign,
	                                 SH_SIG_DOMAIN_LEN + slen)) != SH_OK)
		goto err;
	Seinhuis__Envelope env = SEINHUIS__ENVELOPE__INIT;
	env.format_version = SH_FORMAT_VERSION;
	env.signal.data = tosign + SH_SIG_DOMAIN_LEN;
	env.signal.len = slen;
	if (sign) {
		env.signature.data = signature;
		env.signature.len = SH_SIG_LEN;
	}
	size_t elen = seinhuis__envelope__get_packed_size(&env);
	size_t at = env_out->len;
	sh_buf_add(env_out, NULL, elen);
	seinhuis__envelope__pack(&env, env_out->data + at);
	if (note) {
		sh_copy_str(note->legal_basis, sizeof(note->legal_basis),
		            sig->legal_basis ? sig->legal_basis : "");
		sh_copy_str(note->consent_ref, sizeof(note->consent_ref),
		            sig->consent_ref ? sig->consent_ref : "");
		/* what the outbox record keeps to check the stored signal by,
		 * and the batch leaf is made from */
		sh_sha256(note->signal_sha256, env.signal.data, env.signal.len);
	}
	err_field[0] = '\0';
err:
	return e; /* the caller resets the arena: wiped, let go */
}

/* build_in in the caller's arena, or in one of its own (the bench, tests
 * and tools, which build now and then); either way wiped after. */
static sh_err build(const sh_identity *self, const sh_card *peer,
                    const sh_pair_keys *keys, Seinhuis__SignalType type,
                    Seinhuis__Field **fields, size_t nfields,
                    uint8_t msg_id[SH_ID_LEN], sh_buf *env_out, char *err_field,
                    size_t err_len, int sign, sh_build_note *note, sh_arena *a)
{
	sh_arena own;
	if (!a) {
		sh_arena_init(&own, 16u << 10);
		a = &own;
	}
	sh_err e = build_in(self, peer, keys, type, fields, nfields, msg_id,
	                    env_out, err_field, err_len, sign, note, a);
	if (a == &own)
		sh_arena_free(&own);
	else
		sh_arena_reset(a);
	return e;
}

sh_err sh_wire_build(const sh_identity *self, const sh_card *peer,
                     const sh_pair_keys *keys, Seinhuis__SignalType type,
                     Seinhuis__Field **fields, size_t nfields,
                     uint8_t msg_id[SH_ID_LEN], sh_buf *env_out,
                     char *err_field, size_t err_len)
{
	return build(self, peer, keys, type, fields, nfields, msg_id, env_out,
	             err_field, err_len, 1, NULL, NULL);
}

sh_err sh_wire_build_unsigned(const sh_identity *self, const sh_card *peer,
                              const sh_pair_keys *keys,
                              Seinhuis__SignalType type,
                              Seinhuis__Field **fields, size_t nfields,
                              uint8_t msg_id[SH_ID_LEN], sh_buf *env_out,
                              char *err_field, size_t err_len)
{
	return build(self, peer, keys, type, fields, nfields, msg_id, env_out,
	             err_field, err_len, 0, NULL, NULL);
}

sh_err sh_wire_build_noted(const sh_identity *self, const sh_card *peer,
                           const sh_pair_keys *keys, Seinhuis__SignalType type,
                           Seinhuis__Field **fields, size_t nfields,
                           uint8_t msg_id[SH_ID_LEN], sh_buf *env_out,
                           char *err_field, size_t err_len, sh_build_note *note,
                           sh_arena *a)
{
	const uint8_t *secret = note->case_secret;
	const char *canon = note->canon;
	sh_err canon_e = note->canon_e;
	memset(note, 0, sizeof(*note));
	note->case_secret = secret;
	note->canon = canon;
	note->canon_e = canon_e;
	sh_err e = build(self, peer, keys, type, fields, nfields, msg_id,
	                 env_out, err_field, err_len, 0, note, a);
	if (e != SH_OK) {
		sh_wipe(note->case_key, sizeof(note->case_key));
		sh_wipe(note->others, sizeof(note->others));
	}
	return e;
}

/* ------------------------------------------------- batch signatures */

const char sh_batch_domain[] = "seinhuis/batch/v1"; /* + its NUL: 18 bytes */
#define SH_BATCH_DOMAIN_LEN 18
_Static_assert(SH_BATCH_STMT_MAX ==
                   SH_BATCH_DOMAIN_LEN + 2 * (SH_PARTNER_MAX + 1) + 8 + 32,
               "SH_BATCH_STMT_MAX holds the longest batch statement");

/* The statement a batch signature covers (see PeerFrame in the proto),
 * written to out; its length, or 0 if a partner id is longer than a card
 * holds. A buffer on the stack, not an sh_buf: a recipient makes one for
 * every signal it verifies. */
static size_t batch_statement(uint8_t out[SH_BATCH_STMT_MAX],
                              const char *sender, const char *recipient,
                              uint64_t count, const uint8_t root[32])
{
	size_t ls = strlen(sender) + 1, lr = strlen(recipient) + 1, n = 0;
	if (ls > SH_PARTNER_MAX + 1 || lr > SH_PARTNER_MAX + 1)
		return 0;
	memcpy(out, sh_batch_domain, SH_BATCH_DOMAIN_LEN);
	n += SH_BATCH_DOMAIN_LEN;
	memcpy(out + n, sender, ls);
	n += ls;
	memcpy(out + n, recipient, lr);
	n += lr;
	for (int i = 0; i < 8; i++)
		out[n++] = (uint8_t)(count >> (56 - 8 * i));
	memcpy(out + n, root, 32);
	return n + 32;
}

static void batch_leaf(uint8_t out[32], const uint8_t *signal, size_t len,
                       const uint8_t *known)
{
	uint8_t h[32];
	if (!known)
		sh_sha256(h, signal, len);
	sh_merkle_leaf(out, known ? known : h, sizeof(h));
}

/* Ed25519 over the statement, by `pub`; a memo remembers the last one
 * that verified (key, signature and statement, compared byte for byte), so
 * the other signals of its batch cost no second check. */
static int batch_sig_ok(const uint8_t sig[SH_SIG_LEN], const uint8_t pub[32],
                        const uint8_t *stmt, size_t len, sh_sig_memo *memo)
{
	if (len == 0 || len > SH_BATCH_STMT_MAX)
		return 0;
	if (memo && memo->valid && memo->stmt_len == len &&
	    memcmp(memo->pub, pub, 32) == 0 &&
	    memcmp(memo->sig, sig, SH_SIG_LEN) == 0 &&
	    memcmp(memo->stmt, stmt, len) == 0)
		return 1;
	if (!sh_ed25519_verify(sig, pub, stmt, len))
		return 0;
	if (memo) {
		memcpy(memo->pub, pub, 32);
		memcpy(memo->sig, sig, SH_SIG_LEN);
		memcpy(memo->stmt, stmt, len);
		memo->stmt_len = len;
		memo->valid = 1;
	}
	return 1;
}

/* The hashes of a batch's tree, every node once: level l holds the nodes
 * over 2^l leaves, and, when its level below has an odd count, last the
 * node over the leaves left over at the right edge, which is that last
 * node below carried up unchanged. That is RFC 6962's tree: MTH of an
 * incomplete range [b, n) splits it at the largest power of two, whose
 * left part is complete, and its right part ends at n again, so the
 * right edge's nodes are the only incomplete ones. An audit path and the
 * root are then lookups; before, each signal's path hashed the right
 * edge's incomplete subtrees again from the complete ones (sh_merkle_range
 * per sibling), some three node hashes a signal at the recipient. */
#define TREE_LEVELS 14 /* SH_BATCH_MAX leaves: levels 0 to 12 */
_Static_assert(SH_BATCH_MAX <= (1u << (TREE_LEVELS - 2)),
               "a batch's tree has room for its levels");
typedef struct {
	size_t n;
	uint8_t (*level[TREE_LEVELS])[32];
	size_t count[TREE_LEVELS];
} batch_tree;

/* Leaves given (count[0] = n >= 1); fills the levels above them, up to
 * the root's, whose count is 1. n <= SH_BATCH_MAX. */
static void tree_grow(batch_tree *t)
{
	for (unsigned l = 1; l < TREE_LEVELS && t->count[l - 1] > 1; l++) {
		size_t below = t->count[l - 1];
		t->count[l] = (below + 1) / 2;
		t->level[l] = sh_xmalloc(t->count[l] * 32);
		for (size_t i = 0; i < below / 2; i++)
			sh_merkle_node(t->level[l][i], t->level[l - 1][2 * i],
			               t->level[l - 1][2 * i + 1]);
		if (below % 2)
			memcpy(t->level[l][below / 2],
			       t->level[l - 1][below - 1], 32);
	}
}

static void tree_root(const batch_tree *t, uint8_t root[32])
{
	unsigned l = 0;
	while (l + 1 < TREE_LEVELS && t->count[l] > 1)
		l++;
	memcpy(root, t->level[l][0], 32);
}

/* RFC 6962 PATH(m, D[n]), the innermost hash first (as
 * sh_merkle_inclusion_proof gives it): per level the sibling, if there
 * is one (a node carried up has none there). */
static size_t tree_path(const batch_tree *t, size_t m,
                        uint8_t path[SH_MERKLE_MAX_PATH][32])
{
	size_t len = 0;
	for (unsigned l = 0; l < TREE_LEVELS && t->count[l] > 1; l++, m /= 2)
		if ((m ^ 1) < t->count[l])
			memcpy(path[len++], t->level[l][m ^ 1], 32);
	return len;
}

static void tree_free(batch_tree *t)
{
	for (unsigned l = 0; l < TREE_LEVELS; l++)
		free(t->level[l]);
}

sh_err sh_batch_build(const sh_identity *self, const char *recipient,
                      const ProtobufCBinaryData *signals, size_t n,
                      sh_buf *frame_out)
{
	return sh_batch_build_h(self, recipient, signals, NULL, NULL, n,
	                        frame_out);
}

int sh_envelope_signal_view(const uint8_t *env, size_t n,
                            ProtobufCBinaryData *signal)
{
	/* 08 <version> 12 <length, shortest form> <signal> */
	if (n < 4 || env[0] != 0x08 || env[1] != SH_FORMAT_VERSION ||
	    env[2] != 0x12)
		return 0;
	size_t o = 3;
	uint64_t len;
	if (sh_pb_varint_get(env, n, &o, 5, &len) < 0 ||
	    (o - 3 > 1 && env[o - 1] == 0)) /* not the shortest form */
		return 0;
	if (len == 0 || len != n - o)
		return 0;
	signal->data = (uint8_t *)env + o;
	signal->len = len;
	return 1;
}

sh_err sh_batch_build_h(const sh_identity *self, const char *recipient,
                        const ProtobufCBinaryData *signals,
                        const uint8_t *const *hash,
                        const ProtobufCBinaryData *packed_in, size_t n,
                        sh_buf *frame_out)
{
	if (n == 0 || n > SH_BATCH_MAX)
		return SH_ERR_USAGE;
	batch_tree t = {0};
	t.n = t.count[0] = n;
	t.level[0] = sh_xmalloc(n * 32);
	/* the entries: Envelopes with the signal only, packed one after the
	 * other into one buffer */
	Seinhuis__Envelope env = SEINHUIS__ENVELOPE__INIT;
	env.format_version = SH_FORMAT_VERSION;
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		env.signal = signals[i];
		if (!packed_in || !packed_in[i].len)
			total += seinhuis__envelope__get_packed_size(&env);
		batch_leaf(t.level[0][i], signals[i].data, signals[i].len,
		           hash ? hash[i] : NULL);
	}
	uint8_t *packed = sh_xmalloc(total ? total : 1);
	ProtobufCBinaryData *entries = sh_xcalloc(n, sizeof(*entries));
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		if (packed_in && packed_in[i].len) {
			entries[i] = packed_in[i];
			continue;
		}
		env.signal = signals[i];
		entries[i].data = packed + at;
		entries[i].len = seinhuis__envelope__pack(&env, packed + at);
		at += entries[i].len;
	}
	tree_grow(&t);
	uint8_t root[32], sig[SH_SIG_LEN], stmt[SH_BATCH_STMT_MAX];
	tree_root(&t, root);
	size_t slen =
	    batch_statement(stmt, self->card.partner, recipient, n, root);
	sh_err e = slen ? sh_ed25519_sign(sig, self->sign_sec, stmt, slen)
	                : SH_ERR_USAGE;
	if (e == SH_OK) {
		Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
		f.format_version = SH_FRAME_BATCH_VERSION;
		f.n_signals = n;
		f.signals = entries;
		f.batch_signature.data = sig;
		f.batch_signature.len = SH_SIG_LEN;
		f.sent_ms = sh_now_ms();
		size_t len = seinhuis__peer_frame__get_packed_size(&f);
		size_t old = frame_out->len;
		sh_buf_add(frame_out, NULL, len);
		seinhuis__peer_frame__pack(&f, frame_out->data + old);
	}
	free(entries);
	free(packed);
	tree_free(&t);
	return e;
}

void sh_frame_stamp(sh_buf *frame, int64_t ms)
{
	uint8_t v[11];
	size_t n = 0;
	uint64_t x = (uint64_t)ms;
	v[n++] = 13u << 3; /* field 13, varint */
	do {
		uint8_t b = (uint8_t)(x & 0x7f);
		x >>= 7;
		v[n++] = b | (x ? 0x80 : 0);
	} while (x);
	sh_buf_add(frame, v, n);
}

sh_err sh_batch_verify(const sh_identity *self, const sh_card *from,
                       const Seinhuis__PeerFrame *f, sh_buf *proofs,
                       sh_sig_memo *memo)
{
	return sh_batch_verify_a(self, from, f, proofs, memo, NULL);
}

sh_err sh_batch_verify_a(const sh_identity *self, const sh_card *from,
                         const Seinhuis__PeerFrame *f, sh_buf *proofs,
                         sh_sig_memo *memo, sh_arena *a)
{
	size_t n = f->n_signals;
	if (f->format_version != SH_FRAME_BATCH_VERSION)
		return SH_ERR_WIRE_VERSION;
	if (n == 0 || n > SH_BATCH_MAX)
		return SH_ERR_WIRE_DECODE;
	Seinhuis__Envelope **envs = a ? sh_arena_alloc(a, n * sizeof(*envs))
	                              : sh_xcalloc(n, sizeof(*envs));
	if (a)
		memset(envs, 0, n * sizeof(*envs));
	batch_tree t = {0};
	t.n = t.count[0] = n;
	t.level[0] = sh_xmalloc(n * 32);
	sh_err e = SH_OK;
	for (size_t i = 0; i < n && e == SH_OK; i++) {
		envs[i] = seinhuis__envelope__unpack(
		    pc_of(a), f->signals[i].len, f->signals[i].data);
		/* an entry carries its signal only: the frame signs it */
		if (!envs[i] || envs[i]->signature.len ||
		    envs[i]->batch_count || envs[i]->batch_index ||
		    envs[i]->n_batch_path)
			e = SH_ERR_WIRE_DECODE;
		else
			batch_leaf(t.level[0][i], envs[i]->signal.data,
			           envs[i]->signal.len, NULL);
	}
	uint8_t root[32], stmt[SH_BATCH_STMT_MAX];
	if (e == SH_OK && f->batch_signature.len != SH_SIG_LEN)
		e = SH_ERR_SIGNATURE;
	if (e == SH_OK) {
		tree_grow(&t);
		tree_root(&t, root);
	}
	if (e == SH_OK) {
		size_t slen = batch_statement(stmt, from->partner,
		                              self->card.partner, n, root);
		if (!batch_sig_ok(f->batch_signature.data, from->sign_pub, stmt,
		                  slen, memo))
			e = SH_ERR_SIGNATURE;
	}
	/* Each signal's proof: the envelope as it is stored. */
	for (size_t i = 0; i < n && e == SH_OK; i++) {
		uint8_t path[SH_MERKLE_MAX_PATH][32];
		ProtobufCBinaryData bd[SH_MERKLE_MAX_PATH];
		size_t plen = tree_path(&t, i, path);
		for (size_t k = 0; k < plen; k++) {
			bd[k].data = path[k];
			bd[k].len = 32;
		}
		Seinhuis__Envelope *pe = envs[i];
		pe->signature = f->batch_signature;
		pe->batch_index = (uint32_t)i;
		pe->batch_count = (uint32_t)n;
		pe->n_batch_path = plen;
		ProtobufCBinaryData *keep = pe->batch_path;
		pe->batch_path = bd;
		size_t old = proofs[i].len;
		sh_buf_add(&proofs[i], NULL,
		           seinhuis__envelope__get_packed_size(pe));
		seinhuis__envelope__pack(pe, proofs[i].data + old);
		/* give the unpacked message back what it owns */
		pe->signature.data = NULL;
		pe->signature.len = 0;
		pe->batch_path = keep;
		pe->n_batch_path = 0;
	}
	if (!a) {
		for (size_t i = 0; i < n; i++)
			msg_free(envs[i], NULL);
		free(envs);
	}
	tree_free(&t);
	return e;
}

/* Whether an envelope's signature (alone or of its batch) is `from`'s. */
static int envelope_signed(const sh_identity *self, const sh_card *from,
                           const Seinhuis__Envelope *env, sh_sig_memo *memo)
{
	if (env->signature.len != SH_SIG_LEN)
		return 0;
	if (env->batch_count == 0) {
		if (env->n_batch_path || env->batch_index)
			return 0;
		sh_buf tbs = {0};
		sh_buf_add(&tbs, sh_sig_domain, SH_SIG_DOMAIN_LEN);
		sh_buf_add(&tbs, env->signal.data, env->signal.len);
		int ok = sh_ed25519_verify(env->signature.data, from->sign_pub,
		                           tbs.data, tbs.len);
		sh_buf_free(&tbs);
		return ok;
	}
	if (env->batch_count > SH_BATCH_MAX ||
	    env->batch_index >= env->batch_count ||
	    env->n_batch_path > SH_MERKLE_MAX_PATH)
		return 0;
	uint8_t path[SH_MERKLE_MAX_PATH][32], leaf[32], root[32];
	for (size_t k = 0; k < env->n_batch_path; k++) {
		if (env->batch_path[k].len != 32)
			return 0;
		memcpy(path[k], env->batch_path[k].data, 32);
	}
	batch_leaf(leaf, env->signal.data, env->signal.len, NULL);
	if (!sh_merkle_inclusion_root(env->batch_index, env->batch_count, leaf,
	                              (const uint8_t(*)[32])path,
	                              env->n_batch_path, root))
		return 0;
	uint8_t stmt[SH_BATCH_STMT_MAX];
	size_t slen = batch_statement(stmt, from->partner, self->card.partner,
	                              env->batch_count, root);
	return batch_sig_ok(env->signature.data, from->sign_pub, stmt, slen,
	                    memo);
}

int sh_wire_signed_by(const sh_identity *self, const sh_card *from,
                      const uint8_t *envb, size_t envlen)
{
	Seinhuis__Envelope *env =
	    seinhuis__envelope__unpack(NULL, envlen, envb);
	int ok = env && envelope_signed(self, from, env, NULL);
	if (env)
		seinhuis__envelope__free_unpacked(env, NULL);
	return ok;
}

sh_err sh_wire_verify(const sh_identity *self, const sh_card *from,
                      const uint8_t *envb, size_t envlen,
                      Seinhuis__Signal **sig_out, uint8_t id_out[SH_ID_LEN])
{
	return sh_wire_verify_memo(self, from, envb, envlen, NULL, sig_out,
	                           id_out);
}

sh_err sh_wire_decode_a(const uint8_t *envb, size_t envlen, sh_arena *a,
                        sh_wire_decoded *out, uint8_t id_out[SH_ID_LEN])
{
	out->env = seinhuis__envelope__unpack(pc_of(a), envlen, envb);
	out->sig =
	    out->env ? seinhuis__signal__unpack(pc_of(a), out->env->signal.len,
	                                        out->env->signal.data)
	             : NULL;
	if (!out->sig || out->sig->message_id.len != SH_ID_LEN)
		return SH_ERR_WIRE_DECODE;
	memcpy(id_out, out->sig->message_id.data, SH_ID_LEN);
	return SH_OK;
}

sh_err sh_wire_verify_decoded(const sh_identity *self, const sh_card *from,
                              const sh_wire_decoded *dec, sh_sig_memo *memo,
                              int proven, Seinhuis__Signal **sig_out,
                              uint8_t id_out[SH_ID_LEN])
{
	const Seinhuis__Envelope *env = dec->env;
	Seinhuis__Signal *s = dec->sig;
	*sig_out = NULL;
	if (!env)
		return SH_ERR_WIRE_DECODE;
	if (env->format_version != SH_FORMAT_VERSION)
		return SH_ERR_WIRE_VERSION;
	/* Decoded first so that a refusal can name the message id; nothing
	 * in the signal is trusted until the signature has verified. */
	if (!s || s->message_id.len != SH_ID_LEN)
		return SH_ERR_WIRE_DECODE;
	memcpy(id_out, s->message_id.data, SH_ID_LEN);
	if (!proven && !envelope_signed(self, from, env, memo))
		return SH_ERR_SIGNATURE;
	if (s->format_version != SH_FORMAT_VERSION)
		return SH_ERR_WIRE_VERSION;
	/* nothing unsigned rides along into the inbox: the envelope is kept
	 * as received */
	if (env->base.n_unknown_fields)
		return SH_ERR_FIELD_UNKNOWN;
	if (strcmp(s->sender, from->partner) != 0)
		return SH_ERR_SENDER;
	if (strcmp(s->recipient, self->card.partner) != 0)
		return SH_ERR_RECIPIENT;
	const char *member = payload_member(s->type);
	const ProtobufCFieldDescriptor *pf =
	    member ? sh_pb_field(&seinhuis__signal__descriptor, member) : NULL;
	if (!pf || (uint32_t)s->payload_case != pf->id)
		return SH_ERR_TYPE;
	if (s->subject.len != 0 && s->subject.len != SH_PSEUDO_LEN)
		return SH_ERR_WIRE_DECODE;
	*sig_out = s;
	return SH_OK;
}

sh_err sh_wire_verify_memo(const sh_identity *self, const sh_card *from,
                           const uint8_t *envb, size_t envlen,
                           sh_sig_memo *memo, Seinhuis__Signal **sig_out,
                           uint8_t id_out[SH_ID_LEN])
{
	sh_wire_decoded dec;
	uint8_t id[SH_ID_LEN]; /* id_out only as verifying sets it */
	sh_wire_decode_a(envb, envlen, NULL, &dec, id);
	sh_err e =
	    sh_wire_verify_decoded(self, from, &dec, memo, 0, sig_out, id_out);
	if (e != SH_OK)
		msg_free(dec.sig, NULL);
	msg_free(dec.env, NULL);
	return e;
}

static const ProtobufCMessage *payload_of(const Seinhuis__Signal *s)
{
	const char *member = payload_member(s->type);
	if (!member)
		return NULL;
	const ProtobufCFieldDescriptor *pf =
	    sh_pb_field(&seinhuis__signal__descriptor, member);
	if (!pf || (uint32_t)s->payload_case != pf->id)
		return NULL;
	return *(const ProtobufCMessage *const *)((const char *)s + pf->offset);
}

/* Name/value pairs as they are collected: from malloc (the caller frees
 * them with sh_fields_free) or, with an arena, in it. */
typedef struct {
	Seinhuis__Field **v;
	size_t n, cap;
	sh_arena *a;
} field_list;

static void add_field(field_list *l, const char *name, const char *value)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		if (l->a) {
			Seinhuis__Field **v =
			    sh_arena_alloc(l->a, cap * sizeof(*v));
			if (l->n)
				memcpy(v, l->v, l->n * sizeof(*v));
			l->v = v;
		} else {
			l->v = realloc(l->v, cap * sizeof(*l->v));
			if (!l->v)
				abort();
		}
		l->cap = cap;
	}
	Seinhuis__Field *f =
	    l->a ? sh_arena_alloc(l->a, sizeof(*f)) : sh_xmalloc(sizeof(*f));
	seinhuis__field__init(f);
	f->name = l->a ? sh_arena_strdup(l->a, name) : sh_strdup(name);
	f->value = l->a ? sh_arena_strdup(l->a, value) : sh_strdup(value);
	l->v[l->n++] = f;
}

static void clear_fields(const Seinhuis__Signal *s, field_list *l,
                         int skip_zero_ints);

size_t sh_wire_clear_fields(const Seinhuis__Signal *s, Seinhuis__Field ***out)
{
	field_list l = {0};
	clear_fields(s, &l, 0);
	*out = l.v;
	return l.n;
}

/* skip_zero_ints: proto3 cannot tell an integer 0 from one not given
 * (unless the field is in a oneof, with presence), so for the policy check
 * a 0 of a field without presence reads as absent. */
static void clear_fields(const Seinhuis__Signal *s, field_list *l,
                         int skip_zero_ints)
{
	if (s->legal_basis[0])
		add_field(l, "legal_basis", s->legal_basis);
	if (s->consent_ref[0])
		add_field(l, "consent_ref", s->consent_ref);
	const ProtobufCMessage *p = payload_of(s);
	if (!p)
		return;
	const ProtobufCMessageDescriptor *d = p->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *at = (const char *)p + f->offset;
		char num[32];
		switch (f->type) {
		case PROTOBUF_C_TYPE_STRING:
			if (*(char *const *)at && **(char *const *)at)
				add_field(l, f->name, *(char *const *)at);
			break;
		case PROTOBUF_C_TYPE_INT64:
			if ((skip_zero_ints ||
			     (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) &&
			    !int_given(p, f, *(const int64_t *)at))
				break;
			snprintf(num, sizeof(num), "%lld",
			         (long long)*(const int64_t *)at);
			add_field(l, f->name, num);
			break;
		case PROTOBUF_C_TYPE_INT32:
			if ((skip_zero_ints ||
			     (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) &&
			    !int_given(p, f, *(const int32_t *)at))
				break;
			snprintf(num, sizeof(num), "%d", *(const int32_t *)at);
			add_field(l, f->name, num);
			break;
		default: break; /* sealed bytes are never shown in clear */
		}
	}
}

void sh_fields_free(Seinhuis__Field **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		seinhuis__field__free_unpacked(f[i], NULL);
	free(f);
}

/* The first text field, at any depth of a message's wire bytes, that
 * holds a NUL byte. protobuf-c hands a text field over as a C string, so
 * whatever follows a NUL would pass the catalogue's checks unseen and be
 * kept as received. 1 with its schema name in *name, 0 if there is none,
 * -1 if the bytes do not parse. Fields the schema does not know are
 * skipped here: they are refused where each part is checked. */
static int nul_in_text(const ProtobufCMessageDescriptor *d, const uint8_t *p,
                       size_t n, unsigned depth, const char **name)
{
	size_t off = 0, at;
	uint32_t num;
	unsigned wt;
	uint64_t len;
	if (depth > 8)
		return -1;
	while (off < n) {
		if (sh_pb_field_next(p, n, &off, &num, &wt, &len, &at) < 0)
			return -1;
		const ProtobufCFieldDescriptor *f =
		    wt == 2 ? protobuf_c_message_descriptor_get_field(d, num)
		            : NULL;
		if (f && f->type == PROTOBUF_C_TYPE_STRING &&
		    memchr(p + at, 0, len)) {
			*name = f->name;
			return 1;
		}
		if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
			int r = nul_in_text(f->descriptor, p + at, len,
			                    depth + 1, name);
			if (r)
				return r;
		}
	}
	return 0;
}

int sh_wire_text_nul(const uint8_t *envb, size_t envlen, const char **name)
{
	const ProtobufCFieldDescriptor *sf =
	    sh_pb_field(&seinhuis__envelope__descriptor, "signal");
	size_t off = 0, at;
	uint32_t num;
	unsigned wt;
	uint64_t len;
	*name = "";
	while (off < envlen) {
		if (sh_pb_field_next(envb, envlen, &off, &num, &wt, &len, &at) <
		    0)
			return -1;
		if (sf && wt == 2 && num == sf->id)
			return nul_in_text(&seinhuis__signal__descriptor,
			                   envb + at, (size_t)len, 0, name);
	}
	return 0;
}

sh_err sh_wire_open(const Seinhuis__Signal *s, const sh_pair_keys *keys,
                    Seinhuis__SealedContent **out)
{
	return sh_wire_open_a(s, keys, NULL, out);
}

sh_err sh_wire_open_a(const Seinhuis__Signal *s, const sh_pair_keys *keys,
                      sh_arena *a, Seinhuis__SealedContent **out)
{
	*out = NULL;
	const ProtobufCMessage *p = payload_of(s);
	if (!p)
		return SH_ERR_TYPE;
	const ProtobufCFieldDescriptor *sf =
	    sh_pb_field(p->descriptor, "sealed");
	if (!sf)
		return SH_ERR_NOTFOUND;
	const ProtobufCBinaryData *bd =
	    (const ProtobufCBinaryData *)((const char *)p + sf->offset);
	if (bd->len == 0)
		return SH_ERR_NOTFOUND;
	if (bd->len < SH_SEAL_OVERHEAD)
		return SH_ERR_SEAL;
	size_t plen = bd->len - SH_SEAL_OVERHEAD;
	uint8_t *plain = a ? sh_arena_alloc(a, plen) : sh_xmalloc(plen);
	/* associated data: message id, then "sender|recipient" */
	size_t ls = strlen(s->sender), lr = strlen(s->recipient);
	size_t adlen = s->message_id.len + ls + 1 + lr;
	uint8_t *ad = a ? sh_arena_alloc(a, adlen) : sh_xmalloc(adlen);
	if (s->message_id.len)
		memcpy(ad, s->message_id.data, s->message_id.len);
	memcpy(ad + s->message_id.len, s->sender, ls);
	ad[s->message_id.len + ls] = '|';
	memcpy(ad + s->message_id.len + ls + 1, s->recipient, lr);
	sh_err e = sh_open(plain, keys->seal_key, ad, adlen, bd->data, bd->len);
	if (!a)
		free(ad);
	const char *nul;
	if (e == SH_OK && nul_in_text(&seinhuis__sealed_content__descriptor,
	                              plain, plen, 0, &nul) > 0)
		e = SH_ERR_FIELD_FORMAT; /* a NUL in a sealed text field */
	if (e == SH_OK) {
		*out = seinhuis__sealed_content__unpack(pc_of(a), plen, plain);
		if (!*out)
			e = SH_ERR_SEAL;
	}
	/* the opened bytes at once; what was unpacked from them is wiped by
	 * the caller (or the arena's reset) */
	sh_wipe(plain, plen);
	if (!a)
		free(plain);
	return e;
}

/* ------------------------------------------- fields for the policy */

/* Strip "person2." .. "person8." from a name; *idx gets the person index. */
static const char *person_name(const char *name, size_t *idx)
{
	*idx = 0;
	if (strncmp(name, "person", 6) == 0 && name[6] >= '2' &&
	    name[6] <= '8' && name[7] == '.') {
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
	if (strcmp(name, "legal_basis") == 0 ||
	    strcmp(name, "consent_ref") == 0)
		return SH_FIELD_CLEAR;
	const ProtobufCFieldDescriptor *pf =
	    sh_pb_field(&seinhuis__signal__descriptor, member);
	int sealable = sh_pb_field(pf->descriptor, "sealed") != NULL;
	if (strcmp(name, "description") == 0 ||
	    strcmp(name, "reporter_contact") == 0)
		return sealable ? SH_FIELD_PERSONAL : SH_FIELD_NONE;
	size_t idx;
	const char *pname = person_name(name, &idx);
	if (sh_pb_field(&seinhuis__person__descriptor, pname))
		return sealable ? SH_FIELD_PERSONAL : SH_FIELD_NONE;
	if (idx != 0 || strcmp(name, "sealed") == 0)
		return SH_FIELD_NONE;
	const ProtobufCFieldDescriptor *f = sh_pb_field(pf->descriptor, name);
	if (!f || f->type == PROTOBUF_C_TYPE_MESSAGE ||
	    f->type == PROTOBUF_C_TYPE_BYTES)
		return SH_FIELD_NONE;
	return SH_FIELD_CLEAR;
}

static void add_person_fields(field_list *l, const Seinhuis__Person *p,
                              size_t idx)
{
	const ProtobufCMessageDescriptor *d = p->base.descriptor;
	for (unsigned j = 0; j < d->n_fields; j++) {
		const char *v =
		    *(char *const *)((const char *)p + d->fields[j].offset);
		if (!v || !*v)
			continue;
		char name[64];
		if (idx == 0)
			add_field(l, d->fields[j].name, v);
		else {
			snprintf(name, sizeof(name), "person%zu.%s", idx + 1,
			         d->fields[j].name);
			add_field(l, name, v);
		}
	}
}

static sh_err fields(const Seinhuis__Signal *s,
                     const Seinhuis__SealedContent *sc, field_list *l)
{
	clear_fields(s, l, 1);
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
		add_person_fields(l, sc->persons[i], i);
	}
	if (sc->description[0])
		add_field(l, "description", sc->description);
	if (sc->reporter_contact[0])
		add_field(l, "reporter_contact", sc->reporter_contact);
	return SH_OK;
}

const char *sh_wire_unknown_part(const Seinhuis__Signal *s,
                                 const Seinhuis__SealedContent *sc, char *buf,
                                 size_t n)
{
	const ProtobufCMessage *p = payload_of(s), *m = NULL;
	char part[40] = "";
	if (s->base.n_unknown_fields)
		m = &s->base, snprintf(part, sizeof(part), "the signal");
	else if (p && p->n_unknown_fields)
		m = p, snprintf(part, sizeof(part), "its payload");
	else if (sc && sc->n_persons > 8) {
		snprintf(buf, n,
		         "the sealed part names %zu persons (at most 8)",
		         sc->n_persons);
		return buf;
	} else if (sc && sc->base.n_unknown_fields)
		m = &sc->base, snprintf(part, sizeof(part), "the sealed part");
	for (size_t i = 0; !m && sc && i < sc->n_persons; i++)
		if (sc->persons[i]->base.n_unknown_fields)
			m = &sc->persons[i]->base,
			snprintf(part, sizeof(part), "sealed person %zu",
			         i + 1);
	if (!m)
		snprintf(buf, n,
		         "the signal carries fields this daemon does not know");
	else
		snprintf(buf, n,
		         "%s carries field number %u, which this daemon does "
		         "not know (sent by a newer version?)",
		         part, (unsigned)m->unknown_fields[0].tag);
	return buf;
}

sh_err sh_wire_fields(const Seinhuis__Signal *s,
                      const Seinhuis__SealedContent *sc, Seinhuis__Field ***out,
                      size_t *nout)
{
	return sh_wire_fields_a(s, sc, NULL, out, nout);
}

sh_err sh_wire_fields_a(const Seinhuis__Signal *s,
                        const Seinhuis__SealedContent *sc, sh_arena *a,
                        Seinhuis__Field ***out, size_t *nout)
{
	field_list l = {.a = a};
	sh_err e = fields(s, sc, &l);
	*out = l.v;
	*nout = l.n;
	return e;
}

sh_err sh_wire_peek_id(const uint8_t *envb, size_t envlen,
                       uint8_t id_out[SH_ID_LEN])
{
	sh_wire_decoded dec;
	sh_err e = sh_wire_decode_a(envb, envlen, NULL, &dec, id_out);
	msg_free(dec.sig, NULL);
	msg_free(dec.env, NULL);
	return e;
}
