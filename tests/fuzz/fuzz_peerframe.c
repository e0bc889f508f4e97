/*
 * fuzz_peerframe - one ZeroMQ frame from a trusted peer, decoded as
 * peer.c's handle_frame does: a PeerFrame of the known format version,
 * whose signals each go through the receiving path of fuzz_envelope.
 * Receipts on the inbound socket are ignored by the daemon (it only logs
 * that there were some); their message ids are turned into hex as a
 * receipt's id is for a log line.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_world();
	Seinhuis__PeerFrame *f = seinhuis__peer_frame__unpack(NULL, size, data);
	if (!f)
		return 0;
	if (f->format_version != SH_FORMAT_VERSION) {
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
	for (size_t i = 0; i < f->n_signals; i++)
		fuzz_receive_envelope(f->signals[i].data, f->signals[i].len);
	seinhuis__peer_frame__free_unpacked(f, NULL);
	return 0;
}
