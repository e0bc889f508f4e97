/*
 * fuzz_envelope - one Envelope as the daemon receives it from a trusted
 * peer: sh_wire_verify, then sh_wire_clear_fields and sh_wire_open on what
 * verifies (common.c explains the re-signing that lets mutated signals past
 * the signature check).
 *
 * Receiver: fixture fuzz-alpha; sender: fixture fuzz-beta. Also
 * sh_envelope_signal_view on the same bytes (below).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* sh_envelope_signal_view (the sender's frames take envelopes it accepts
 * as they are) accepts only what protobuf-c decodes to an Envelope of
 * version 1 with the signal alone, and packs back to the same bytes. */
static void signal_view(const uint8_t *data, size_t size)
{
	ProtobufCBinaryData v;
	if (!sh_envelope_signal_view(data, size, &v))
		return;
	Seinhuis__Envelope *e = seinhuis__envelope__unpack(NULL, size, data);
	if (!e || e->format_version != SH_FORMAT_VERSION ||
	    e->signal.len != v.len || memcmp(e->signal.data, v.data, v.len) ||
	    seinhuis__envelope__get_packed_size(e) != size)
		fuzz_fail("fuzz_envelope", "signal view of another envelope");
	uint8_t *b = malloc(size);
	seinhuis__envelope__pack(e, b);
	if (memcmp(b, data, size) != 0)
		fuzz_fail("fuzz_envelope",
		          "signal view of non-canonical bytes");
	free(b);
	seinhuis__envelope__free_unpacked(e, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	signal_view(data, size);
	fuzz_receive_envelope(data, size);
	return 0;
}
