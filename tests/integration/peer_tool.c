/*
 * peer_tool.c - a test partner that speaks the peer protocol directly,
 * without a daemon, so that tests can send what a well-behaved daemon
 * never would: a tampered signature, a signal for another recipient, a
 * wrong format version, garbage, an oversized frame, or a replay; and
 * batch-signed frames with a wrong signature, a changed signal or a proof
 * with a wrong audit path.
 *
 *   peer_tool KEYDIR PEER_CARD MODE
 *
 * It connects with the identity in KEYDIR over CURVE to the partner on
 * PEER_CARD, sends one frame built for MODE, and prints each receipt that
 * comes back as "RECEIPT <id> <status> <rule>", or "NO-RECEIPT" if none
 * comes within 3 seconds. The first line is "SENT <id>" (the message id,
 * or "-" when the frame carries none); batch modes print one such line per
 * signal in the frame.
 *
 * Mode "feedback" sends a status_feedback (status contact_made) about the
 * signal id in $PEER_FEEDBACK_ID, under the basis in $PEER_FEEDBACK_BASIS
 * (default legal_task) and, if set, consent $PEER_FEEDBACK_CONSENT: what
 * a municipality's daemon sends, but without its checks. With
 * PEER_FEEDBACK_COPIES=2 the frame carries it twice, as a re-send would;
 * PEER_CREATED_SHIFT_MS moves its creation time, as for a notice.
 * Mode "notice" sends a vt_notice (legal_task) about the report with the
 * id in $PEER_NOTICE_ID, of status $PEER_NOTICE_STATUS (received), created
 * $PEER_CREATED_SHIFT_MS ms from now (0; negative: earlier), re-signed:
 * what a Veilig Thuis daemon sends, at the time of its choosing, so that
 * a test can make an older notice arrive after a newer one; with
 * $PEER_NOTICE_NEXT_STEP, that text as its next_step.
 * PEER_WAIT_MS: how long to wait for an answer (3000).
 * PEER_MUNICIPALITY: a municipality_code in the arrears signal of the
 * single-signal modes (valid, policy, ...).
 * Mode "clear-surname" sends the arrears signal of "valid" with the
 * resident's surname in creditor_contact, which travels unsealed: what a
 * sender without the policy check could let through.
 *
 * Witness modes (witness.c) send a frame of tree heads alone and print
 * the answer as "WITNESS head <size|-> witnessed <size>... | -" (the
 * daemon's own newest head, and the ones of ours it kept before):
 *   witness         a head of our own log, signed with our key: of
 *                   $PEER_HEAD_SIZE entries (100), signed at $PEER_HEAD_MS
 *                   (now), its root all $PEER_HEAD_FILL bytes (1);
 *   witness-bad     the same with its signature broken;
 *   witness-forged  a head of the daemon's log over a million entries,
 *                   as if it kept it, signed with our key;
 *   witness-forged-key  the same naming the daemon's signing key, with a
 *                   signature that is not the daemon's.
 *
 * Mode "receive-unknown" is the other side: peer_tool binds the endpoint
 * of its own card as the partner the daemon on PEER_CARD sends to, and
 * answers each signal it has not seen with a receipt of a status no
 * version has (a later version's), printing "UNKNOWN <n>"; when one comes
 * again it answers it delivered, printing "AGAIN <n>". It stops once
 * PEER_EXPECT (1) signals came again, or no frame came for PEER_WAIT_MS
 * (3000), and prints "ANSWERED <n>, AGAIN <n>". Frames without signals
 * (tree heads) are not answered.
 * Mode "receive-reject" is the same recipient, refusing: it answers every
 * signal REJECTED with rule $PEER_REJECT_RULE (FIELD_VALUE) and detail
 * $PEER_REJECT_DETAIL (a partner's free text, as another organisation's
 * software may write it), printing "REJECTED <n>"; it stops once
 * PEER_EXPECT (1) signals were refused, or no frame came for PEER_WAIT_MS.
 * Mode "answer-recover" is the partner asked by seinctl recover: it binds
 * the same endpoint, and answers the first request to send again with
 * nothing to send (resend_count 0) and the revoked consent references
 * of the lengths in $PEER_REVOKED_LENGTHS (comma-separated, "16,3,20";
 * bytes 0x5a), printing "RECOVER-ANSWERED <n>" with their number, or
 * "NO-FRAME" if no request came within PEER_WAIT_MS; it stops once no
 * frame came for a second after that.
 *
 * Bounds (it_peer_bounds.sh):
 *   v1-many     one frame of version 1 (signed signal by signal) holding
 *               $PEER_SIGNALS (1025) valid signals; "SENT <n> signals"
 *   dup-claim   $PEER_COPIES (3) copies of a frame with one signal of
 *               message id $PEER_DUP_ID (32 hex digits), claiming sender
 *               $PEER_DUP_SENDER and recipient $PEER_DUP_RECIPIENT (as
 *               built: ours, the peer's), unsigned unless
 *               PEER_DUP_SIGNED=1; the receipts of each copy are printed
 *   receipt-flood  binds the endpoint of its own card as the partner
 *               the daemon on PEER_CARD sends to; once a frame of
 *               signals came, it sends $PEER_FLOOD_FRAMES (20) frames of
 *               $PEER_FLOOD_RECEIPTS (50000) DELIVERED receipts for
 *               random ids down that connection ("FLOODED <f> x <r>"),
 *               then answers the signals that came DELIVERED
 *               ("ANSWERED <n>"), and so each copy sent again until
 *               none came for 3 s; "NO-FRAME" if none came in PEER_WAIT_MS
 *   recover-flood  asks the daemon on PEER_CARD, as a restored recipient
 *               does, to send again what it delivered to us: $PEER_ASKS
 *               (12) requests, one every $PEER_ASK_MS (300), each from
 *               another time (as many restores would), reading the
 *               answers until none came for 2 s; prints "RECOVER-FLOOD
 *               asked <n> answered <n> deferred <n> retry <min>..<max>"
 *               (the answers' counts and the deferrals' retry_after_ms)
 * Bulk modes send PEER_BULK_N (1000) valid signals in frames of
 * PEER_BULK_FRAME (1000), a frame once the one before is answered (after
 * a deferral over peer_rate, again when the daemon says), and print
 * "BULK sending" once the first frame is built, then "BULK <kind> sent
 * <n> receipts <n> delivered <n> slowest <ms>": the longest a frame
 * waited for its answers. PEER_WAIT_MS: 120000.
 *   bulk-arrears     the arrears signal of "valid";
 *   bulk-referral    referrals under consent $PEER_BULK_CONSENT;
 *   bulk-revocation  consent revocations: of $PEER_BULK_CONSENT first,
 *                    if set, the others of references unique to the run.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "audit.h"
#include "seinhuis.h"

static void die(const char *what, const char *why)
{
	fprintf(stderr, "peer_tool: %s: %s\n", what, why);
	exit(2);
}

static int policy_break;
static int clear_surname;
static int feedback_mode;
static int notice_mode;

/* A signal of the given type with the n fields of kv, built and signed
 * for peer as a daemon would. */
static void build_fields(const sh_identity *self, const sh_card *peer,
                         Seinhuis__SignalType type, const char *kv[][2],
                         size_t n, sh_buf *env, uint8_t id[SH_ID_LEN])
{
	sh_pair_keys keys;
	if (sh_pair_keys_derive(&keys, self, peer) != SH_OK)
		die("keys", "cannot derive pair keys");
	Seinhuis__Field f[16], *fp[16];
	if (n > 16)
		die("build", "too many fields");
	for (size_t i = 0; i < n; i++) {
		seinhuis__field__init(&f[i]);
		f[i].name = (char *)kv[i][0];
		f[i].value = (char *)kv[i][1];
		fp[i] = &f[i];
	}
	char field[128];
	sh_err e = sh_wire_build(self, peer, &keys, type, fp, n, id, env, field,
	                         sizeof(field));
	if (e != SH_OK)
		die("build", sh_err_str(e));
}

static void build_feedback(const sh_identity *self, const sh_card *peer,
                           sh_buf *env, uint8_t id[SH_ID_LEN])
{
	const char *ref = getenv("PEER_FEEDBACK_ID");
	const char *basis = getenv("PEER_FEEDBACK_BASIS");
	const char *consent = getenv("PEER_FEEDBACK_CONSENT");
	const char *kv[4][2] = {{"signal_id", ref ? ref : ""},
	                        {"status", "contact_made"},
	                        {"legal_basis", basis ? basis : "legal_task"},
	                        {"consent_ref", consent ? consent : ""}};
	build_fields(self, peer, SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK, kv,
	             consent && consent[0] ? 4 : 3, env, id);
}

static void build_notice(const sh_identity *self, const sh_card *peer,
                         sh_buf *env, uint8_t id[SH_ID_LEN])
{
	const char *ref = getenv("PEER_NOTICE_ID");
	const char *status = getenv("PEER_NOTICE_STATUS");
	const char *next = getenv("PEER_NOTICE_NEXT_STEP");
	const char *kv[5][2] = {{"report_id", ref ? ref : ""},
	                        {"status", status ? status : "received"},
	                        {"legal_basis", "legal_task"},
	                        {"contact_point", "VT advice line"},
	                        {"next_step", next ? next : ""}};
	build_fields(self, peer, SEINHUIS__SIGNAL_TYPE__VT_NOTICE, kv,
	             next && next[0] ? 5 : 4, env, id);
}

static void build(const sh_identity *self, const sh_card *peer,
                  const char *recipient_override, sh_buf *env,
                  uint8_t id[SH_ID_LEN])
{
	sh_card target = *peer;
	if (recipient_override)
		snprintf(target.partner, sizeof(target.partner), "%s",
		         recipient_override);
	const char *kv[14][2] = {{"arrears_kind", "rent"},
	                         {"amount_cents", "45000"},
	                         {"legal_basis", "legal_duty"},
	                         {"arrears_since", "2026-09-01"},
	                         {"contact_attempt_date", "2026-10-01"},
	                         {"reminder_date", "2026-10-15"},
	                         {"urgency", "none"},
	                         {"creditor_contact", "incasso desk"},
	                         {"surname", "Testpersoon"},
	                         {"street", "Proefstraat"},
	                         {"postcode", "9999 ZZ"},
	                         {"house_number", "1"},
	                         {"place", "Teststad"}};
	/* "policy" mode leaves out a field the catalogue requires (the wire
	 * format does not); the recipient must quarantine it. */
	size_t nkv = policy_break ? 12 : 13;
	/* "clear-surname" names the resident in creditor_contact, which
	 * travels unsealed: the recipient must quarantine it
	 * (PERSONAL_DATA) */
	if (clear_surname)
		kv[7][1] = "incasso desk, huurder Testpersoon";
	/* $PEER_MUNICIPALITY: a municipality_code, as a sender without the
	 * recipient's card check would send it */
	const char *muni = getenv("PEER_MUNICIPALITY");
	if (muni && muni[0]) {
		kv[nkv][0] = "municipality_code";
		kv[nkv][1] = muni;
		nkv++;
	}
	build_fields(self, &target, SEINHUIS__SIGNAL_TYPE__ARREARS, kv, nkv,
	             env, id);
}

/* Change a built envelope's signal (shift created_ms, or append an unknown
 * field 99) and sign it again with the sender's key, as a misbehaving but
 * trusted partner could. */
/* resign(): 1 changes a byte of the subject pseudonym, 2 leaves it out */
static int subject_edit;
/* resign(): a NUL in place of the space of creditor_contact "incasso desk"
 * (its text up to the NUL passes every check) */
static int nul_edit;
/* resign(), mode dup-claim: the message id (hex), sender and recipient
 * given (NULL: as built), and no signature unless claim_signed */
static const char *claim_id, *claim_sender, *claim_recipient;
static int claim_mode, claim_signed;

static void resign(const sh_identity *self, sh_buf *env, int64_t shift_ms,
                   int unknown_field)
{
	Seinhuis__Envelope *ev =
	    seinhuis__envelope__unpack(NULL, env->len, env->data);
	Seinhuis__Signal *sg =
	    ev ? seinhuis__signal__unpack(NULL, ev->signal.len, ev->signal.data)
	       : NULL;
	if (!sg)
		die("resign", "cannot decode own signal");
	sg->created_ms += shift_ms;
	if (subject_edit == 1 && sg->subject.len)
		sg->subject.data[0] ^= 0x01;
	if (subject_edit == 2)
		sg->subject.len = 0;
	uint8_t cid[SH_ID_LEN];
	if (claim_id && strlen(claim_id) == 2 * SH_ID_LEN &&
	    sh_unhex(cid, SH_ID_LEN, claim_id) == 0)
		memcpy(sg->message_id.data, cid, SH_ID_LEN);
	else if (claim_id)
		die("PEER_DUP_ID", "32 hex digits");
	char *own_sender = sg->sender, *own_recipient = sg->recipient;
	if (claim_sender)
		sg->sender = (char *)claim_sender;
	if (claim_recipient)
		sg->recipient = (char *)claim_recipient;
	sh_buf sb = {0}, tosign = {0};
	sh_buf_add(&sb, NULL, seinhuis__signal__get_packed_size(sg));
	seinhuis__signal__pack(sg, sb.data);
	sg->sender = own_sender; /* freed with sg */
	sg->recipient = own_recipient;
	if (unknown_field)
		sh_buf_add(&sb, "\x98\x06\x01", 3);
	for (size_t i = 0; nul_edit && i + 12 <= sb.len; i++)
		if (memcmp(sb.data + i, "incasso desk", 12) == 0)
			sb.data[i + 7] = 0;
	sh_buf_add(&tosign, sh_sig_domain, SH_SIG_DOMAIN_LEN);
	sh_buf_add(&tosign, sb.data, sb.len);
	uint8_t signature[SH_SIG_LEN];
	if (sh_ed25519_sign(signature, self->sign_sec, tosign.data,
	                    tosign.len) != SH_OK)
		die("resign", "cannot sign");
	Seinhuis__Envelope ne = SEINHUIS__ENVELOPE__INIT;
	ne.format_version = SH_FORMAT_VERSION;
	ne.signal.data = sb.data;
	ne.signal.len = sb.len;
	ne.signature.data = signature;
	ne.signature.len = claim_mode && !claim_signed ? 0 : SH_SIG_LEN;
	env->len = 0;
	sh_buf_add(env, NULL, seinhuis__envelope__get_packed_size(&ne));
	seinhuis__envelope__pack(&ne, env->data);
	seinhuis__signal__free_unpacked(sg, NULL);
	seinhuis__envelope__free_unpacked(ev, NULL);
	sh_buf_free(&sb);
	sh_buf_free(&tosign);
}

/* Batch-signed frames, as daemons send them (one signature over the
 * Merkle root of three signals), right and wrong:
 *   valid      the frame as sh_batch_build makes it
 *   bad-signature  its batch signature with one bit flipped
 *   altered    one signal changed after the frame was signed
 *   proof      the second signal's proof (signature, leaf, audit path, as
 *              the recipient stores it) sent alone in a plain frame
 *   bad-path   the same with one bit of its audit path flipped
 *   valid-then-bad  the valid frame, and once its receipts came the same
 *              frame again with its batch signature broken (to *again):
 *              a re-send, on a connection opened before its sender's
 *              key expired, of signals that were delivered; its answers
 *              are printed as "AGAIN <id> <status> <rule>"
 * The frame goes to *frame; the ids of the signals it carries to ids.
 * Returns how many. */
/* A tree head of partner's log over size entries, its root all fill
 * bytes, signed at at with sec; sign_key says pub. */
static void make_head(sh_buf *out, const char *partner, uint64_t size,
                      int64_t at, int fill, const uint8_t pub[32],
                      const uint8_t sec[32], int break_sig)
{
	uint8_t root[32], sig[SH_SIG_LEN];
	memset(root, fill, sizeof(root));
	Seinhuis__SignedTreeHead h = SEINHUIS__SIGNED_TREE_HEAD__INIT;
	h.partner = (char *)partner;
	h.tree_size = size;
	h.root_hash.data = root;
	h.root_hash.len = 32;
	h.timestamp_ms = at;
	h.sign_key.data = (uint8_t *)pub;
	h.sign_key.len = 32;
	sh_buf tbs = {0};
	sh_tree_head_tbs(&h, &tbs);
	if (sh_ed25519_sign(sig, sec, tbs.data, tbs.len) != SH_OK)
		die("head", "cannot sign");
	sh_buf_free(&tbs);
	if (break_sig)
		sig[0] ^= 1;
	h.signature.data = sig;
	h.signature.len = SH_SIG_LEN;
	out->len = 0;
	sh_buf_add(out, NULL, seinhuis__signed_tree_head__get_packed_size(&h));
	seinhuis__signed_tree_head__pack(&h, out->data);
}

/* Print frame r's receipts, a line each: "TAG <id> <status> <rule>".
 * Returns how many. */
static int print_receipts(const Seinhuis__PeerFrame *r, const char *tag)
{
	static const char *st[] = {"UNSPECIFIED", "DELIVERED", "DUPLICATE",
	                           "REJECTED"};
	int n = 0;
	for (size_t i = 0; r && i < r->n_receipts; i++, n++) {
		char rid[33] = "-";
		if (r->receipts[i]->message_id.len == SH_ID_LEN)
			sh_hex(rid, r->receipts[i]->message_id.data, SH_ID_LEN);
		unsigned k = (unsigned)r->receipts[i]->status;
		printf("%s %s %s %s\n", tag, rid, k < 4 ? st[k] : "?",
		       r->receipts[i]->rule[0] ? r->receipts[i]->rule : "-");
	}
	return n;
}

static long long env_num(const char *name, long long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoll(v, NULL, 10) : dflt;
}

/* The next frame on DEALER socket s, decoded into *f (NULL if it does not
 * decode); -1 when none came (time-out). */
static int recv_frame(void *s, Seinhuis__PeerFrame **f)
{
	zmq_msg_t m;
	zmq_msg_init(&m);
	int rc = zmq_msg_recv(&m, s, 0) < 0 ? -1 : 0;
	*f = rc ? NULL
	        : seinhuis__peer_frame__unpack(NULL, zmq_msg_size(&m),
	                                       zmq_msg_data(&m));
	zmq_msg_close(&m);
	return rc;
}

/* A DEALER socket of ctx to the daemon on peer's card, over CURVE as self,
 * connected; receives time out after timeout_ms (-1: never). */
static void *dealer_to(void *ctx, const sh_identity *self, const sh_card *peer,
                       int timeout_ms)
{
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
	zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, peer->curve_z85, 40);
	zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, self->card.curve_z85, 40);
	zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, self->curve_sec_z85, 40);
	if (zmq_connect(s, peer->endpoint) != 0)
		die("connect", zmq_strerror(zmq_errno()));
	return s;
}

static void print_head_size(const ProtobufCBinaryData *b)
{
	Seinhuis__SignedTreeHead *h =
	    b->len ? seinhuis__signed_tree_head__unpack(NULL, b->len, b->data)
	           : NULL;
	if (h)
		printf("%llu", (unsigned long long)h->tree_size);
	else
		printf("-");
	if (h)
		seinhuis__signed_tree_head__free_unpacked(h, NULL);
}

static int batch_mode(const sh_identity *self, const sh_card *peer,
                      const char *how, sh_buf *frame, sh_buf *again,
                      uint8_t ids[3][SH_ID_LEN])
{
	sh_buf envs[3] = {{0}}, bf = {0};
	Seinhuis__Envelope *ev[3];
	ProtobufCBinaryData sigs[3];
	for (int i = 0; i < 3; i++) {
		build(self, peer, NULL, &envs[i], ids[i]);
		ev[i] =
		    seinhuis__envelope__unpack(NULL, envs[i].len, envs[i].data);
		if (!ev[i])
			die("batch", "cannot decode own envelope");
		sigs[i] = ev[i]->signal;
	}
	if (sh_batch_build(self, peer->partner, sigs, 3, &bf) != SH_OK)
		die("batch", "cannot build the frame");
	Seinhuis__PeerFrame *f =
	    seinhuis__peer_frame__unpack(NULL, bf.len, bf.data);
	if (!f)
		die("batch", "cannot decode own frame");
	int n = 3;
	if (strcmp(how, "valid") == 0) {
		;
	} else if (strcmp(how, "valid-then-bad") == 0) {
		f->batch_signature.data[10] ^= 0x01;
		sh_buf_add(again, NULL,
		           seinhuis__peer_frame__get_packed_size(f));
		seinhuis__peer_frame__pack(f, again->data);
		f->batch_signature.data[10] ^= 0x01;
	} else if (strcmp(how, "bad-signature") == 0) {
		f->batch_signature.data[10] ^= 0x01;
	} else if (strcmp(how, "altered") == 0) {
		/* the entry's last bytes are its signal's */
		f->signals[1].data[f->signals[1].len - 1] ^= 0x01;
	} else if (strcmp(how, "proof") == 0 || strcmp(how, "bad-path") == 0) {
		/* the recipient's view: self's card as sender, peer's as us */
		sh_identity as_peer;
		memset(&as_peer, 0, sizeof(as_peer));
		as_peer.card = *peer;
		sh_buf proofs[3] = {{0}};
		if (sh_batch_verify(&as_peer, &self->card, f, proofs, NULL) !=
		    SH_OK)
			die("batch", "own frame does not verify");
		Seinhuis__Envelope *pe = seinhuis__envelope__unpack(
		    NULL, proofs[1].len, proofs[1].data);
		if (!pe || pe->n_batch_path == 0)
			die("batch", "no audit path");
		if (how[0] == 'b')
			pe->batch_path[0].data[3] ^= 0x20;
		sh_buf one = {0};
		sh_buf_add(&one, NULL, seinhuis__envelope__get_packed_size(pe));
		seinhuis__envelope__pack(pe, one.data);
		Seinhuis__PeerFrame plain = SEINHUIS__PEER_FRAME__INIT;
		ProtobufCBinaryData sig = {one.len, one.data};
		plain.format_version = SH_FORMAT_VERSION;
		plain.n_signals = 1;
		plain.signals = &sig;
		sh_buf_add(frame, NULL,
		           seinhuis__peer_frame__get_packed_size(&plain));
		seinhuis__peer_frame__pack(&plain, frame->data);
		memcpy(ids[0], ids[1], SH_ID_LEN);
		n = 1;
		sh_buf_free(&one);
		seinhuis__envelope__free_unpacked(pe, NULL);
		for (int i = 0; i < 3; i++)
			sh_buf_free(&proofs[i]);
	} else {
		die("mode", "unknown batch mode");
	}
	if (n == 3) {
		sh_buf_add(frame, NULL,
		           seinhuis__peer_frame__get_packed_size(f));
		seinhuis__peer_frame__pack(f, frame->data);
	}
	seinhuis__peer_frame__free_unpacked(f, NULL);
	for (int i = 0; i < 3; i++) {
		seinhuis__envelope__free_unpacked(ev[i], NULL);
		sh_buf_free(&envs[i]);
	}
	sh_buf_free(&bf);
	return n;
}

/* Frame a to the peer whose routing id is rid (a copy is sent). */
static void send_routed(void *s, zmq_msg_t *rid, const Seinhuis__PeerFrame *a)
{
	sh_buf b = {0};
	sh_buf_add(&b, NULL, seinhuis__peer_frame__get_packed_size(a));
	seinhuis__peer_frame__pack(a, b.data);
	zmq_msg_t r;
	zmq_msg_init(&r);
	zmq_msg_copy(&r, rid);
	zmq_msg_send(&r, s, ZMQ_SNDMORE);
	zmq_send(s, b.data, b.len, 0);
	sh_buf_free(&b);
}

/* Answer every signal of f on socket s, to the peer rid: a receipt of a
 * status no version has (4) for an id not seen before, which is noted in
 * seen, and DELIVERED for one seen before (sent again), which is counted
 * in *again. With reject_detail, each is answered REJECTED with it. */
static const char *reject_detail;
enum { MAXIDS = 1024 };

/* Room for n receipts, their pointers and their ids. */
static void receipt_arrays(size_t n, Seinhuis__Receipt **rs,
                           Seinhuis__Receipt ***rp, uint8_t (**ids)[SH_ID_LEN])
{
	*rs = calloc(n ? n : 1, sizeof(**rs));
	*rp = calloc(n ? n : 1, sizeof(**rp));
	*ids = calloc(n ? n : 1, SH_ID_LEN);
	if (!*rs || !*rp || !*ids)
		die("memory", "out of memory");
}

static size_t answer_frame(void *s, zmq_msg_t *rid,
                           const Seinhuis__PeerFrame *f,
                           uint8_t (*seen)[SH_ID_LEN], size_t *nseen,
                           int *delivered, size_t *again)
{
	size_t n = f->n_signals < MAXIDS ? f->n_signals : MAXIDS;
	Seinhuis__Receipt *rs, **rp;
	uint8_t(*ids)[SH_ID_LEN];
	receipt_arrays(n, &rs, &rp, &ids);
	for (size_t i = 0; i < n; i++) {
		if (sh_wire_peek_id(f->signals[i].data, f->signals[i].len,
		                    ids[i]) != SH_OK)
			die("frame", "a signal without a message id");
		size_t k = 0;
		while (k < *nseen && memcmp(seen[k], ids[i], SH_ID_LEN))
			k++;
		int st = 4;
		if (k < *nseen) {
			st = SEINHUIS__RECEIPT_STATUS__RECEIPT_DELIVERED;
			if (!delivered[k])
				(*again)++;
			delivered[k] = 1;
		} else if (*nseen < MAXIDS) {
			memcpy(seen[(*nseen)++], ids[i], SH_ID_LEN);
		}
		seinhuis__receipt__init(&rs[i]);
		rs[i].message_id.data = ids[i];
		rs[i].message_id.len = SH_ID_LEN;
		rs[i].status = (Seinhuis__ReceiptStatus)st;
		if (reject_detail) {
			const char *rule = getenv("PEER_REJECT_RULE");
			rs[i].status =
			    SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED;
			rs[i].rule = (char *)(rule ? rule : "FIELD_VALUE");
			rs[i].detail = (char *)reject_detail;
		}
		rp[i] = &rs[i];
	}
	Seinhuis__PeerFrame a = SEINHUIS__PEER_FRAME__INIT;
	a.format_version = SH_FORMAT_VERSION;
	a.n_receipts = n;
	a.receipts = rp;
	send_routed(s, rid, &a);
	free(rs);
	free(rp);
	free(ids);
	return n;
}

static void *bind_own(void *ctx, const sh_identity *self);

/* A frame on a ROUTER and who sent it: 0, or -1 (nothing to close) if
 * none came in time. */
static int recv_routed(void *s, zmq_msg_t *rid, zmq_msg_t *m)
{
	zmq_msg_init(rid);
	zmq_msg_init(m);
	if (zmq_msg_recv(rid, s, 0) >= 0 && zmq_msg_recv(m, s, 0) >= 0)
		return 0;
	zmq_msg_close(rid);
	zmq_msg_close(m);
	return -1;
}

/* Mode receive-unknown: until PEER_EXPECT (1) signals have each come
 * twice, or no frame comes for PEER_WAIT_MS. */
static int receive_unknown(const sh_identity *self)
{
	void *ctx = zmq_ctx_new();
	void *s = bind_own(ctx, self);
	int linger;
	size_t expect = (size_t)env_num("PEER_EXPECT", 1);
	static uint8_t seen[MAXIDS][SH_ID_LEN];
	static int delivered[MAXIDS];
	size_t nseen = 0, again = 0;
	/* Once every one came again, 2 s more for copies sent again before
	 * the answers arrived (answered delivered too), then stop. */
	int draining = 0;
	for (;;) {
		if (!draining &&
		    (reject_detail ? nseen >= expect : again >= expect)) {
			int drain = 2000;
			zmq_setsockopt(s, ZMQ_RCVTIMEO, &drain, sizeof(drain));
			draining = 1;
		}
		zmq_msg_t rid, m;
		if (recv_routed(s, &rid, &m) < 0) {
			if (!draining)
				printf("NO-FRAME\n");
			break;
		}
		Seinhuis__PeerFrame *f = seinhuis__peer_frame__unpack(
		    NULL, zmq_msg_size(&m), zmq_msg_data(&m));
		if (f && f->n_signals) {
			size_t before = nseen, was = again;
			answer_frame(s, &rid, f, seen, &nseen, delivered,
			             &again);
			if (nseen > before)
				printf("%s %zu\n",
				       reject_detail ? "REJECTED" : "UNKNOWN",
				       nseen - before);
			if (again > was)
				printf("AGAIN %zu\n", again - was);
			fflush(stdout);
		}
		if (f)
			seinhuis__peer_frame__free_unpacked(f, NULL);
		zmq_msg_close(&rid);
		zmq_msg_close(&m);
	}
	printf("ANSWERED %zu, AGAIN %zu\n", nseen, again);
	if (reject_detail)
		again = nseen; /* done once as many were refused */
	/* let the delivered receipts go out before the socket closes */
	linger = 2000;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(s);
	zmq_ctx_term(ctx);
	return again >= expect ? 0 : 1;
}

/* A ROUTER bound at our card's endpoint as the CURVE server, waiting
 * PEER_WAIT_MS (3000) for a frame. */
static void *bind_own(void *ctx, const sh_identity *self)
{
	void *s = zmq_socket(ctx, ZMQ_ROUTER);
	int one = 1, linger = 0, timeout = (int)env_num("PEER_WAIT_MS", 3000);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof(one));
	zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, self->curve_sec_z85, 40);
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	if (zmq_bind(s, self->card.endpoint) != 0)
		die("bind", zmq_strerror(zmq_errno()));
	printf("LISTENING\n");
	fflush(stdout);
	return s;
}

/* Mode answer-recover (see the top). */
static int answer_recover(const sh_identity *self)
{
	void *ctx = zmq_ctx_new();
	void *s = bind_own(ctx, self);
	const char *lens = getenv("PEER_REVOKED_LENGTHS");
	static uint8_t fill[64];
	ProtobufCBinaryData refs[16];
	size_t n = 0;
	memset(fill, 0x5a, sizeof(fill));
	for (const char *p = lens ? lens : "16,3,20"; *p && n < 16;) {
		char *end;
		unsigned long l = strtoul(p, &end, 10);
		if (end == p || l > sizeof(fill))
			die("PEER_REVOKED_LENGTHS", "lengths of 0 to 64");
		refs[n++] = (ProtobufCBinaryData){l, fill};
		p = *end == ',' ? end + 1 : end;
	}
	int rc = 1;
	for (;;) {
		zmq_msg_t rid, m;
		if (recv_routed(s, &rid, &m) < 0) {
			if (rc)
				printf("NO-FRAME\n");
			break;
		}
		Seinhuis__PeerFrame *f = seinhuis__peer_frame__unpack(
		    NULL, zmq_msg_size(&m), zmq_msg_data(&m));
		int64_t since = f && !f->resend_answer ? f->resend_since_ms : 0;
		if (f)
			seinhuis__peer_frame__free_unpacked(f, NULL);
		zmq_msg_close(&m);
		if (!since) { /* tree heads, signals: not what is waited for */
			zmq_msg_close(&rid);
			continue;
		}
		Seinhuis__PeerFrame a = SEINHUIS__PEER_FRAME__INIT;
		a.format_version = SH_FORMAT_VERSION;
		a.resend_answer = 1;
		a.resend_since_ms = since;
		a.n_revoked_consents = n;
		a.revoked_consents = refs;
		send_routed(s, &rid, &a);
		zmq_msg_close(&rid);
		printf("RECOVER-ANSWERED %zu\n", n);
		fflush(stdout);
		/* a daemon may drop what it has not read yet when the
		 * connection goes: stay until nothing came for a second (a
		 * request again, answered again) */
		int quiet = 1000;
		zmq_setsockopt(s, ZMQ_RCVTIMEO, &quiet, sizeof(quiet));
		rc = 0;
	}
	int linger = 2000; /* let the answer go out */
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(s);
	zmq_ctx_term(ctx);
	return rc;
}

/* Mode v1-many: one version 1 frame of $PEER_SIGNALS signals, each
 * signed alone, as builds before batch signing sent them. */
static void v1_many(const sh_identity *self, const sh_card *peer, sh_buf *frame)
{
	long long n = env_num("PEER_SIGNALS", 1025);
	if (n < 1 || n > 20000)
		die("PEER_SIGNALS", "1 to 20000");
	sh_buf *envs = calloc((size_t)n, sizeof(*envs));
	ProtobufCBinaryData *sigs = calloc((size_t)n, sizeof(*sigs));
	uint8_t id[SH_ID_LEN];
	if (!envs || !sigs)
		die("memory", "out of memory");
	for (long long i = 0; i < n; i++) {
		build(self, peer, NULL, &envs[i], id);
		sigs[i] = (ProtobufCBinaryData){envs[i].len, envs[i].data};
	}
	Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
	f.format_version = SH_FORMAT_VERSION;
	f.n_signals = (size_t)n;
	f.signals = sigs;
	sh_buf_add(frame, NULL, seinhuis__peer_frame__get_packed_size(&f));
	seinhuis__peer_frame__pack(&f, frame->data);
	for (long long i = 0; i < n; i++)
		sh_buf_free(&envs[i]);
	free(envs);
	free(sigs);
	printf("SENT %lld signals\n", n);
}

/* Mode receipt-flood (see the top). */
static int receipt_flood(const sh_identity *self)
{
	void *ctx = zmq_ctx_new();
	void *s = bind_own(ctx, self);
	int one = 1;
	zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	zmq_msg_t rid, m;
	Seinhuis__PeerFrame *f = NULL;
	while (!f) { /* tree heads are no signals: wait on */
		if (recv_routed(s, &rid, &m) < 0) {
			printf("NO-FRAME\n");
			zmq_close(s);
			zmq_ctx_term(ctx);
			return 1;
		}
		f = seinhuis__peer_frame__unpack(NULL, zmq_msg_size(&m),
		                                 zmq_msg_data(&m));
		zmq_msg_close(&m);
		if (f && !f->n_signals) {
			seinhuis__peer_frame__free_unpacked(f, NULL);
			f = NULL;
		}
		if (!f)
			zmq_msg_close(&rid);
	}
	size_t nf = (size_t)env_num("PEER_FLOOD_FRAMES", 20),
	       nr = (size_t)env_num("PEER_FLOOD_RECEIPTS", 50000);
	Seinhuis__Receipt *rs, **rp;
	uint8_t(*ids)[SH_ID_LEN];
	receipt_arrays(nr, &rs, &rp, &ids);
	for (size_t k = 0; k < nf; k++) {
		sh_random(ids, nr * SH_ID_LEN);
		for (size_t i = 0; i < nr; i++) {
			seinhuis__receipt__init(&rs[i]);
			rs[i].message_id =
			    (ProtobufCBinaryData){SH_ID_LEN, ids[i]};
			rs[i].status =
			    SEINHUIS__RECEIPT_STATUS__RECEIPT_DELIVERED;
			rp[i] = &rs[i];
		}
		Seinhuis__PeerFrame a = SEINHUIS__PEER_FRAME__INIT;
		a.format_version = SH_FORMAT_VERSION;
		a.n_receipts = nr;
		a.receipts = rp;
		send_routed(s, &rid, &a);
	}
	printf("FLOODED %zu x %zu\n", nf, nr);
	fflush(stdout);
	static uint8_t seen[MAXIDS][SH_ID_LEN];
	static int delivered[MAXIDS];
	size_t nseen = 0, again = 0;
	/* the signals that came: answered DELIVERED (seen as sent again) */
	for (size_t i = 0; i < f->n_signals && nseen < MAXIDS; i++)
		if (sh_wire_peek_id(f->signals[i].data, f->signals[i].len,
		                    seen[nseen]) == SH_OK)
			nseen++;
	printf("ANSWERED %zu\n",
	       answer_frame(s, &rid, f, seen, &nseen, delivered, &again));
	fflush(stdout);
	seinhuis__peer_frame__free_unpacked(f, NULL);
	zmq_msg_close(&rid);
	/* connected until it sends nothing for 3 s: an answer it has not
	 * read when the connection goes is lost, and it sends again */
	int quiet = 3000;
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &quiet, sizeof(quiet));
	while (recv_routed(s, &rid, &m) == 0) {
		f = seinhuis__peer_frame__unpack(NULL, zmq_msg_size(&m),
		                                 zmq_msg_data(&m));
		if (f && f->n_signals)
			answer_frame(s, &rid, f, seen, &nseen, delivered,
			             &again);
		if (f)
			seinhuis__peer_frame__free_unpacked(f, NULL);
		zmq_msg_close(&rid);
		zmq_msg_close(&m);
	}
	free(rs);
	free(rp);
	free(ids);
	int linger = 10000; /* let them all go out */
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(s);
	zmq_ctx_term(ctx);
	return 0;
}

/* Mode recover-flood (see the top). */
static int recover_flood(const sh_identity *self, const sh_card *peer)
{
	int asks = (int)env_num("PEER_ASKS", 12),
	    every = (int)env_num("PEER_ASK_MS", 300);
	if (asks < 1 || asks > 1000 || every < 10 || every > 60000)
		die("PEER_ASKS/PEER_ASK_MS", "1 to 1000 asks, 10 to 60000 ms");
	void *ctx = zmq_ctx_new();
	void *s = dealer_to(ctx, self, peer, -1);
	int asked = 0, answered = 0, deferred = 0;
	int64_t rmin = 0, rmax = 0, next = sh_mono_ms(), quiet_from = 0;
	int64_t base = sh_now_ms() - 86400000;
	for (;;) {
		int64_t now = sh_mono_ms();
		if (asked < asks && now >= next) {
			Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
			uint8_t buf[64];
			f.format_version = SH_FORMAT_VERSION;
			f.resend_since_ms = base + asked * 1000;
			f.sent_ms = sh_now_ms();
			size_t n = seinhuis__peer_frame__pack(&f, buf);
			if (zmq_send(s, buf, n, 0) < 0)
				die("send", zmq_strerror(zmq_errno()));
			asked++;
			next = now + every;
			quiet_from = now;
		}
		if (asked == asks && now - quiet_from > 2000)
			break;
		zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, 50) <= 0)
			continue;
		Seinhuis__PeerFrame *f;
		if (recv_frame(s, &f) < 0 || !f)
			continue;
		if (f->resend_answer) {
			answered++;
			quiet_from = sh_mono_ms();
		} else if (f->resend_since_ms && f->retry_after_ms) {
			deferred++;
			quiet_from = sh_mono_ms();
			if (!rmin || f->retry_after_ms < rmin)
				rmin = f->retry_after_ms;
			if (f->retry_after_ms > rmax)
				rmax = f->retry_after_ms;
		}
		seinhuis__peer_frame__free_unpacked(f, NULL);
	}
	printf("RECOVER-FLOOD asked %d answered %d deferred %d retry "
	       "%lld..%lld\n",
	       asked, answered, deferred, (long long)rmin, (long long)rmax);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return 0;
}

/* Bulk modes (see the top): one kind of valid signal, PEER_BULK_N of
 * them, in frames of PEER_BULK_FRAME, each frame sent once the answers
 * to the one before came (after a deferral, again when the daemon says). */
static void bulk_build(const sh_identity *self, const sh_card *peer,
                       const char *kind, size_t i, const char *consent,
                       unsigned long long tag, sh_buf *env,
                       uint8_t id[SH_ID_LEN])
{
	char ref[40], today[11];
	if (strcmp(kind, "arrears") == 0) {
		build(self, peer, NULL, env, id);
		return;
	}
	/* a revocation names $PEER_BULK_CONSENT first, then references
	 * of its own (unique to this run) */
	if (strcmp(kind, "revocation") == 0 && !(i == 0 && consent))
		snprintf(ref, sizeof(ref), "%016llx%016zx", tag, i);
	else
		snprintf(ref, sizeof(ref), "%s", consent ? consent : "");
	if (strcmp(kind, "referral") == 0) {
		const char *kv[7][2] = {
		    {"purpose", "debts"},  {"legal_basis", "consent"},
		    {"consent_ref", ref},  {"surname", "Testpersoon"},
		    {"house_number", "1"}, {"postcode", "9999 ZZ"},
		    {"place", "Teststad"}};
		build_fields(self, peer, SEINHUIS__SIGNAL_TYPE__REFERRAL, kv, 7,
		             env, id);
	} else if (strcmp(kind, "revocation") == 0) {
		sh_date_nl(sh_now_ms(), today);
		const char *kv[3][2] = {{"revoked_on", today},
		                        {"legal_basis", "consent"},
		                        {"consent_ref", ref}};
		build_fields(self, peer,
		             SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION, kv, 3,
		             env, id);
	} else {
		die("mode", "unknown bulk kind");
	}
}

static int bulk_mode(const sh_identity *self, const sh_card *peer,
                     const char *kind)
{
	size_t n = (size_t)env_num("PEER_BULK_N", 1000);
	size_t per = (size_t)env_num("PEER_BULK_FRAME", 1000);
	const char *consent = getenv("PEER_BULK_CONSENT");
	unsigned long long tag = (unsigned long long)sh_now_ms() << 20;
	if (consent && !*consent)
		consent = NULL;
	void *ctx = zmq_ctx_new();
	void *s =
	    dealer_to(ctx, self, peer, (int)env_num("PEER_WAIT_MS", 120000));
	size_t receipts = 0, delivered = 0, sent = 0;
	int64_t slowest = 0;
	for (size_t first = 0; first < n; first += per) {
		size_t m = n - first < per ? n - first : per;
		sh_buf *envs = calloc(m, sizeof(*envs));
		ProtobufCBinaryData *sigs = calloc(m, sizeof(*sigs));
		uint8_t id[SH_ID_LEN];
		if (!envs || !sigs)
			die("bulk", "out of memory");
		for (size_t i = 0; i < m; i++) {
			bulk_build(self, peer, kind, first + i, consent, tag,
			           &envs[i], id);
			sigs[i].data = envs[i].data;
			sigs[i].len = envs[i].len;
		}
		Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
		f.format_version = SH_FORMAT_VERSION;
		f.n_signals = m;
		f.signals = sigs;
		sh_buf fb = {0};
		sh_buf_add(&fb, NULL,
		           seinhuis__peer_frame__get_packed_size(&f));
		seinhuis__peer_frame__pack(&f, fb.data);
		size_t got = 0;
		if (first == 0) {
			printf("BULK sending\n");
			fflush(stdout);
		}
		int64_t t0 = sh_mono_ms();
		zmq_send(s, fb.data, fb.len, 0);
		while (got < m) {
			Seinhuis__PeerFrame *r;
			if (recv_frame(s, &r) < 0)
				break;
			if (r && r->deferred_from.len && !r->n_receipts) {
				/* over peer_rate: nothing of it stored */
				struct timespec ts = {
				    r->retry_after_ms / 1000,
				    (long)(r->retry_after_ms % 1000) * 1000000};
				nanosleep(&ts, NULL);
				t0 = sh_mono_ms();
				zmq_send(s, fb.data, fb.len, 0);
			}
			for (size_t i = 0; r && i < r->n_receipts; i++, got++)
				delivered +=
				    r->receipts[i]->status ==
				    SEINHUIS__RECEIPT_STATUS__RECEIPT_DELIVERED;
			if (r)
				seinhuis__peer_frame__free_unpacked(r, NULL);
		}
		if (sh_mono_ms() - t0 > slowest)
			slowest = sh_mono_ms() - t0;
		receipts += got;
		sent += m;
		for (size_t i = 0; i < m; i++)
			sh_buf_free(&envs[i]);
		free(envs);
		free(sigs);
		sh_buf_free(&fb);
		if (got < m)
			break;
	}
	/* the longest a frame waited for its answers, in ms */
	printf("BULK %s sent %zu receipts %zu delivered %zu slowest %lld\n",
	       kind, sent, receipts, delivered, (long long)slowest);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return receipts == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: peer_tool KEYDIR PEER_CARD MODE\n"
		                "modes: valid bad-signature wrong-recipient "
		                "wrong-version garbage oversize replay policy "
		                "unknown-field text-nul flood old future "
		                "wrong-subject "
		                "no-subject clear-surname\n"
		                "       batch-valid batch-bad-signature "
		                "batch-altered batch-proof batch-bad-path\n"
		                "       feedback (see PEER_FEEDBACK_*), "
		                "notice (see PEER_NOTICE_*)\n"
		                "       witness witness-bad witness-forged "
		                "witness-forged-key (see PEER_HEAD_*)\n"
		                "       receive-unknown receive-reject (as the "
		                "recipient), answer-recover\n"
		                "       v1-many dup-claim receipt-flood "
		                "recover-flood (see the top)\n"
		                "       bulk-arrears bulk-referral "
		                "bulk-revocation (see PEER_BULK_*)\n");
		return 2;
	}
	const char *mode = argv[3];
	char why[1024];
	sh_identity self;
	sh_card peer;
	if (sh_identity_load(&self, argv[1], why, sizeof(why)) != SH_OK)
		die("identity", why);
	if (sh_card_load(&peer, argv[2], why, sizeof(why)) != SH_OK)
		die("card", why);
	if (strcmp(mode, "receive-unknown") == 0)
		return receive_unknown(&self);
	if (strcmp(mode, "answer-recover") == 0)
		return answer_recover(&self);
	if (strcmp(mode, "receipt-flood") == 0)
		return receipt_flood(&self);
	if (strcmp(mode, "recover-flood") == 0)
		return recover_flood(&self, &peer);
	if (strncmp(mode, "bulk-", 5) == 0) {
		int rc = bulk_mode(&self, &peer, mode + 5);
		sh_identity_wipe(&self);
		return rc;
	}
	if (strcmp(mode, "receive-reject") == 0) {
		const char *dt = getenv("PEER_REJECT_DETAIL");
		reject_detail = dt ? dt : "";
		return receive_unknown(&self);
	}

	sh_buf env = {0}, frame = {0}, again = {0};
	uint8_t id[SH_ID_LEN] = {0}, bids[3][SH_ID_LEN];
	int have_id = 1, copies = 1, nbatch = 0;
	Seinhuis__PeerFrame f = SEINHUIS__PEER_FRAME__INIT;
	f.format_version = SH_FORMAT_VERSION;

	if (strcmp(mode, "flood") == 0) {
		/* 5,000 valid signals in frames of 100. All frames are built
		 * (signed and sealed) before the first is sent, so that they
		 * reach the recipient as fast as the wire takes them, however
		 * slow this build is (sanitizers, a loaded machine); then
		 * count the receipts that come back within 3 seconds. */
		void *fctx = zmq_ctx_new();
		void *fs = zmq_socket(fctx, ZMQ_DEALER);
		int lg = 0, tmo = 3000;
		zmq_setsockopt(fs, ZMQ_LINGER, &lg, sizeof(lg));
		zmq_setsockopt(fs, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
		zmq_setsockopt(fs, ZMQ_CURVE_SERVERKEY, peer.curve_z85, 40);
		zmq_setsockopt(fs, ZMQ_CURVE_PUBLICKEY, self.card.curve_z85,
		               40);
		zmq_setsockopt(fs, ZMQ_CURVE_SECRETKEY, self.curve_sec_z85, 40);
		enum { NFRAMES = 50, PER_FRAME = 100 };
		static sh_buf frames[NFRAMES];
		for (int fr = 0; fr < NFRAMES; fr++) {
			sh_buf envs[PER_FRAME];
			ProtobufCBinaryData sigs[PER_FRAME];
			for (int i = 0; i < PER_FRAME; i++) {
				memset(&envs[i], 0, sizeof(envs[i]));
				build(&self, &peer, NULL, &envs[i], id);
				sigs[i].data = envs[i].data;
				sigs[i].len = envs[i].len;
			}
			f.n_signals = PER_FRAME;
			f.signals = sigs;
			memset(&frames[fr], 0, sizeof(frames[fr]));
			sh_buf_add(&frames[fr], NULL,
			           seinhuis__peer_frame__get_packed_size(&f));
			seinhuis__peer_frame__pack(&f, frames[fr].data);
			for (int i = 0; i < PER_FRAME; i++)
				sh_buf_free(&envs[i]);
		}
		f.n_signals = 0;
		f.signals = NULL;
		if (zmq_connect(fs, peer.endpoint) != 0)
			die("connect", zmq_strerror(zmq_errno()));
		printf("FLOOD sending\n");
		fflush(stdout);
		size_t sent = 0, receipts = 0;
		for (int fr = 0; fr < NFRAMES; fr++) {
			zmq_send(fs, frames[fr].data, frames[fr].len, 0);
			sent += PER_FRAME;
			sh_buf_free(&frames[fr]);
		}
		for (;;) {
			zmq_msg_t m;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, fs, 0) < 0) {
				zmq_msg_close(&m);
				break;
			}
			Seinhuis__PeerFrame *r = seinhuis__peer_frame__unpack(
			    NULL, zmq_msg_size(&m), zmq_msg_data(&m));
			if (r) {
				receipts += r->n_receipts;
				seinhuis__peer_frame__free_unpacked(r, NULL);
			}
			zmq_msg_close(&m);
		}
		printf("FLOOD sent %zu receipts %zu\n", sent, receipts);
		zmq_close(fs);
		zmq_ctx_term(fctx);
		sh_identity_wipe(&self);
		return 0;
	}
	if (strncmp(mode, "batch-", 6) == 0) {
		nbatch =
		    batch_mode(&self, &peer, mode + 6, &frame, &again, bids);
	} else if (strncmp(mode, "witness", 7) == 0) {
		sh_buf head = {0};
		ProtobufCBinaryData forged;
		if (strcmp(mode, "witness") == 0 ||
		    strcmp(mode, "witness-bad") == 0) {
			make_head(&head, self.card.partner,
			          (uint64_t)env_num("PEER_HEAD_SIZE", 100),
			          env_num("PEER_HEAD_MS", sh_now_ms()),
			          (int)env_num("PEER_HEAD_FILL", 1),
			          self.card.sign_pub, self.sign_sec,
			          mode[7] == '-');
			f.audit_head.data = head.data;
			f.audit_head.len = head.len;
		} else if (strcmp(mode, "witness-forged") == 0 ||
		           strcmp(mode, "witness-forged-key") == 0) {
			make_head(&head, peer.partner, 1000000, sh_now_ms(), 7,
			          mode[14] ? peer.sign_pub : self.card.sign_pub,
			          self.sign_sec, 0);
			forged.data = head.data;
			forged.len = head.len;
			f.n_witnessed_head = 1;
			f.witnessed_head = &forged;
		} else {
			die("mode", "unknown witness mode");
		}
		sh_buf_add(&frame, NULL,
		           seinhuis__peer_frame__get_packed_size(&f));
		seinhuis__peer_frame__pack(&f, frame.data);
		sh_buf_free(&head);
		have_id = 0;
	} else if (strcmp(mode, "v1-many") == 0) {
		v1_many(&self, &peer, &frame);
		have_id = -1; /* its SENT line is printed */
	} else if (strcmp(mode, "garbage") == 0) {
		for (int i = 0; i < 200; i++)
			sh_buf_add(&frame, "\xff\x01\x7f", 3);
		have_id = 0;
	} else if (strcmp(mode, "oversize") == 0) {
		/* A frame larger than the daemon's max_message (tests set 64K).
		 */
		sh_buf_add(&frame, NULL, 2u << 20);
		memset(frame.data, 0x0a, frame.len);
		have_id = 0;
	} else {
		policy_break = strcmp(mode, "policy") == 0;
		clear_surname = strcmp(mode, "clear-surname") == 0;
		feedback_mode = strcmp(mode, "feedback") == 0;
		notice_mode = strcmp(mode, "notice") == 0;
		long long shift = env_num("PEER_CREATED_SHIFT_MS", 0);
		if (feedback_mode) {
			build_feedback(&self, &peer, &env, id);
			const char *c = getenv("PEER_FEEDBACK_COPIES");
			copies = c && strcmp(c, "2") == 0 ? 2 : 1;
			if (shift)
				resign(&self, &env, shift, 0);
		} else if (notice_mode) {
			build_notice(&self, &peer, &env, id);
			if (shift)
				resign(&self, &env, shift, 0);
		} else
			build(&self, &peer,
			      strcmp(mode, "wrong-recipient") == 0
			          ? "someone-else"
			          : NULL,
			      &env, id);
		if (strcmp(mode, "bad-signature") == 0) {
			/* The signature is the last field: flip its last byte.
			 */
			env.data[env.len - 1] ^= 0x01;
		} else if (strcmp(mode, "wrong-version") == 0) {
			f.format_version = 99;
			have_id = 0;
		} else if (strcmp(mode, "replay") == 0) {
			copies = 2;
		} else if (strcmp(mode, "wrong-subject") == 0 ||
		           strcmp(mode, "no-subject") == 0) {
			/* Properly signed, but the pseudonym beside the seal
			 * is not the sealed person's (or is missing). */
			subject_edit = mode[0] == 'w' ? 1 : 2;
			resign(&self, &env, 0, 0);
		} else if (strcmp(mode, "old") == 0 ||
		           strcmp(mode, "future") == 0) {
			/* The same signal, dated a year back (or an hour
			 * ahead), properly signed: a replay with a fresh id. */
			resign(&self, &env,
			       mode[0] == 'o' ? -365LL * 86400000 : 3600000, 0);
		} else if (strcmp(mode, "text-nul") == 0) {
			nul_edit = 1;
			resign(&self, &env, 0, 0);
		} else if (strcmp(mode, "dup-claim") == 0) {
			claim_mode = 1;
			claim_signed = env_num("PEER_DUP_SIGNED", 0) == 1;
			claim_id = getenv("PEER_DUP_ID");
			claim_sender = getenv("PEER_DUP_SENDER");
			claim_recipient = getenv("PEER_DUP_RECIPIENT");
			if (claim_sender && !*claim_sender)
				claim_sender = NULL;
			if (claim_recipient && !*claim_recipient)
				claim_recipient = NULL;
			resign(&self, &env, 0, 0);
			if (claim_id)
				sh_unhex(id, SH_ID_LEN, claim_id);
			copies = (int)env_num("PEER_COPIES", 3);
		} else if (strcmp(mode, "unknown-field") == 0) {
			/* Field number 99 appended to the signed signal,
			 * re-signed: a field this schema does not know,
			 * properly signed. */
			resign(&self, &env, 0, 1);
		} else if (strcmp(mode, "valid") != 0 && !feedback_mode &&
		           !notice_mode &&
		           strcmp(mode, "wrong-recipient") != 0 &&
		           strcmp(mode, "policy") != 0 && !clear_surname &&
		           strcmp(mode, "unknown-field") != 0 &&
		           strcmp(mode, "text-nul") != 0 &&
		           strcmp(mode, "old") != 0 &&
		           strcmp(mode, "wrong-subject") != 0 &&
		           strcmp(mode, "no-subject") != 0 &&
		           strcmp(mode, "future") != 0 && !claim_mode) {
			die("mode", "unknown mode");
		}
		ProtobufCBinaryData sig = {env.len, env.data};
		f.n_signals = 1;
		f.signals = &sig;
		sh_buf_add(&frame, NULL,
		           seinhuis__peer_frame__get_packed_size(&f));
		seinhuis__peer_frame__pack(&f, frame.data);
	}

	void *ctx = zmq_ctx_new();
	int got = 0, timeout = (int)env_num("PEER_WAIT_MS", 3000);
	void *s = dealer_to(ctx, &self, &peer, timeout);
	char idhex[33];
	sh_hex(idhex, id, SH_ID_LEN);
	for (int i = 0; i < nbatch; i++) {
		sh_hex(idhex, bids[i], SH_ID_LEN);
		printf("SENT %s\n", idhex);
	}
	if (!nbatch && have_id >= 0)
		printf("SENT %s\n", have_id ? idhex : "-");
	fflush(stdout);
	for (int c = 0; c < copies; c++)
		zmq_send(s, frame.data, frame.len, 0);

	for (int c = 0; c < copies; c++) {
		Seinhuis__PeerFrame *r;
		if (recv_frame(s, &r) < 0)
			break;
		if (r && (r->audit_head.len || r->n_witnessed_head)) {
			printf("WITNESS head ");
			print_head_size(&r->audit_head);
			printf(" witnessed");
			for (size_t i = 0; i < r->n_witnessed_head; i++) {
				printf(" ");
				print_head_size(&r->witnessed_head[i]);
			}
			if (!r->n_witnessed_head)
				printf(" -");
			printf("\n");
			got++;
		}
		got += print_receipts(r, "RECEIPT");
		if (r)
			seinhuis__peer_frame__free_unpacked(r, NULL);
	}
	if (!got)
		printf("NO-RECEIPT\n");
	if (again.len) { /* batch-valid-then-bad: the re-send */
		zmq_send(s, again.data, again.len, 0);
		Seinhuis__PeerFrame *r;
		if (recv_frame(s, &r) < 0 || !print_receipts(r, "AGAIN"))
			printf("AGAIN NO-RECEIPT\n");
		if (r)
			seinhuis__peer_frame__free_unpacked(r, NULL);
		sh_buf_free(&again);
	}
	zmq_close(s);
	zmq_ctx_term(ctx);
	sh_buf_free(&env);
	sh_buf_free(&frame);
	sh_identity_wipe(&self);
	return 0;
}
