/*
 * fuzz_envelope - one Envelope as the daemon receives it from a trusted
 * peer: sh_wire_verify, then sh_wire_clear_fields and sh_wire_open on what
 * verifies (common.c explains the re-signing that lets mutated signals past
 * the signature check).
 *
 * Receiver: fixture fuzz-alpha; sender: fixture fuzz-beta.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_receive_envelope(data, size);
	return 0;
}
