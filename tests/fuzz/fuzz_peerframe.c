/*
 * fuzz_peerframe - one ZeroMQ frame from a trusted peer, decoded as
 * peer.c's handle_frame does: a PeerFrame of the known format version,
 * whose signals each go through the receiving path of fuzz_envelope; a
 * batch-signed frame first through sh_batch_verify, its signals then as
 * the proofs that it gives them.
 * Receipts on the inbound socket are ignored by the daemon (it only logs
 * that there were some); their message ids are turned into hex as a
 * receipt's id is for a log line.
 */
#include <stdlib.h>

#include "audit.h"
#include "fuzz.h"

/* sh_batch_verify on the frame, then each signal's proof as an envelope.
 * A mutated frame almost never keeps a valid batch signature; since a
 * trusted peer can sign anything, a frame refused for its signature only
 * is signed again over the same entries' signals (sh_batch_build), and
 * must then verify. */
static void verify_batch(const Seinhuis__PeerFrame *f, int again)
{
	const fuzz_world_t *w = fuzz_world();
	size_t n = f->n_signals;
	sh_buf *proofs = calloc(n ? n : 1, sizeof(*proofs));
	if (!proofs)
		abort();
	sh_sig_memo memo = {0};
	sh_err e =
	    sh_batch_verify(&w->recipient, &w->sender.card, f, proofs, &memo);
	fuzz_trace("sh_batch_verify", e);
	/* as the daemon does it, the entries decoded into its frame arena:
	 * the same answer and the same proofs */
	static sh_arena fa;
	static int fa_ready;
	if (!fa_ready) {
		sh_arena_init(&fa, 256u << 10);
		fa_ready = 1;
	}
	sh_buf *ap = calloc(n ? n : 1, sizeof(*ap));
	if (!ap)
		abort();
	sh_sig_memo am = {0};
	sh_err ae =
	    sh_batch_verify_a(&w->recipient, &w->sender.card, f, ap, &am, &fa);
	if (ae != e)
		fuzz_fail("peerframe", "sh_batch_verify_a disagrees");
	for (size_t i = 0; e == SH_OK && i < n; i++)
		if (ap[i].len != proofs[i].len ||
		    memcmp(ap[i].data, proofs[i].data, ap[i].len) != 0)
			fuzz_fail("peerframe", "sh_batch_verify_a gives other "
			                       "proofs");
	for (size_t i = 0; i < n; i++)
		sh_buf_free(&ap[i]);
	free(ap);
	sh_arena_reset(&fa);
	if (e == SH_OK) {
		for (size_t i = 0; i < n; i++) {
			/* every proof of a verified batch verifies alone */
			if (!sh_wire_signed_by(&w->recipient, &w->sender.card,
			                       proofs[i].data, proofs[i].len))
				fuzz_fail("peerframe", "a proof of a verified "
				                       "batch does not verify");
			fuzz_receive_envelope(proofs[i].data, proofs[i].len);
		}
	} else if (e == SH_ERR_SIGNATURE && again) {
		fuzz_fail("peerframe", "a freshly signed batch is refused");
	} else if (e == SH_ERR_SIGNATURE) {
		Seinhuis__Envelope **envs = calloc(n, sizeof(*envs));
		ProtobufCBinaryData *sigs = calloc(n, sizeof(*sigs));
		if (!envs || !sigs)
			abort();
		for (size_t i = 0; i < n; i++) {
			envs[i] = seinhuis__envelope__unpack(
			    NULL, f->signals[i].len, f->signals[i].data);
			if (!envs[i])
				fuzz_fail("peerframe",
				          "signature refused on an "
				          "undecodable entry");
			sigs[i] = envs[i]->signal;
		}
		sh_buf b = {0};
		if (sh_batch_build(&w->sender, FUZZ_RECIPIENT, sigs, n, &b) !=
		    SH_OK)
			fuzz_fail("peerframe", "cannot sign the batch again");
		Seinhuis__PeerFrame *g =
		    seinhuis__peer_frame__unpack(NULL, b.len, b.data);
		if (!g)
			fuzz_fail("peerframe", "a built batch does not decode");
		verify_batch(g, 1);
		seinhuis__peer_frame__free_unpacked(g, NULL);
		sh_buf_free(&b);
		for (size_t i = 0; i < n; i++)
			seinhuis__envelope__free_unpacked(envs[i], NULL);
		free(envs);
		free(sigs);
	}
	for (size_t i = 0; i < n; i++)
		sh_buf_free(&proofs[i]);
	free(proofs);
}

static void receive_batch(const Seinhuis__PeerFrame *f)
{
	verify_batch(f, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_world();
	Seinhuis__PeerFrame *f = seinhuis__peer_frame__unpack(NULL, size, data);
	if (!f)
		return 0;
	if (f->format_version != SH_FORMAT_VERSION &&
	    f->format_version != SH_FRAME_BATCH_VERSION) {
		seinhuis__peer_frame__free_unpacked(f, NULL);
		return 0;
	}
	for (size_t i = 0; i < f->n_receipts; i++) {
		const Seinhuis__Receipt *r = f->receipts[i];
		if (r->message_id.len == SH_ID_LEN) {
			char hex[2 * SH_ID_LEN + 1];
			sh_hex(hex, r->message_id.data, SH_ID_LEN);
		}
	}
	/* tree heads a partner hands over (witness.c): decoded and checked
	 * against both cards, as the daemon checks its own and a partner's */
	for (size_t i = 0; i <= f->n_witnessed_head && i <= 2; i++) {
		const ProtobufCBinaryData *b =
		    i ? &f->witnessed_head[i - 1] : &f->audit_head;
		if (!b->len)
			continue;
		Seinhuis__SignedTreeHead *h =
		    seinhuis__signed_tree_head__unpack(NULL, b->len, b->data);
		if (!h)
			continue;
		const fuzz_world_t *w = fuzz_world();
		(void)sh_tree_head_signed_by(h, &w->recipient.card);
		(void)sh_tree_head_signed_by(h, &w->sender.card);
		seinhuis__signed_tree_head__free_unpacked(h, NULL);
	}
	if (f->format_version == SH_FRAME_BATCH_VERSION)
		receive_batch(f);
	else
		for (size_t i = 0; i < f->n_signals; i++)
			fuzz_receive_envelope(f->signals[i].data,
			                      f->signals[i].len);
	seinhuis__peer_frame__free_unpacked(f, NULL);
	return 0;
}
