/*
 * fuzz.h - what the fuzz targets, their stand-alone driver and the seed
 * generator share.
 *
 * Every target defines LLVMFuzzerTestOneInput. Built with -DSEINHUIS_FUZZ=ON
 * (clang) libFuzzer supplies main(); otherwise standalone.c does, and runs
 * the target over its seed corpus so that the seeds are regression tests in
 * the ordinary build.
 *
 * The targets that handle signals need two fixed partners whose keys are the
 * same when the seeds are made and when the seeds are read back: they are
 * the public test fixtures in tests/fuzz/fixtures/, loaded by fuzz_world().
 */
#ifndef SEINHUIS_FUZZ_H
#define SEINHUIS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "seinhuis.h"

/* Partner ids of the two fixture identities. */
#define FUZZ_RECIPIENT "fuzz-alpha" /* the daemon under test: receives */
#define FUZZ_SENDER    "fuzz-beta"  /* the trusted peer that sends */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Both fixture identities, their (symmetric) pair keys, and the signal
 * catalogue both daemons check signals against. */
typedef struct {
	sh_identity recipient; /* fuzz-alpha */
	sh_identity sender;    /* fuzz-beta */
	sh_pair_keys keys;     /* the same from either side */
	sh_catalogue cat;      /* deploy/catalogue.conf */
	uint8_t case_secret[SH_KEY_LEN];
} fuzz_world_t;

/* Directory holding fixtures/ and corpus/ (compiled in; SEINHUIS_FUZZ_DIR in
 * the environment overrides it). */
const char *fuzz_dir(void);

/* The catalogue the targets use: the shipped deploy/catalogue.conf
 * (compiled in; SEINHUIS_FUZZ_CATALOGUE in the environment overrides it). */
const char *fuzz_catalogue_path(void);

/* Word k (modulo their number) of a space-separated list, into buf; "" for
 * an empty list. Picks the roles a policy check runs with. */
const char *fuzz_pick_word(const char *list, unsigned long long k, char *buf,
                           size_t buflen);

/* Load a fixture identity (fixtures/<name>/): copy it to a fresh mkdtemp
 * directory with the secret files at mode 0600, load it there with
 * sh_identity_load, and remove the copy. Aborts on failure. */
void fuzz_load_identity(sh_identity *id, const char *name);

/* The two fixture identities, loaded on first use. */
const fuzz_world_t *fuzz_world(void);

/* The receiving daemon's handling of one envelope from its trusted peer
 * (peer.c handle_frame, check_and_deliver): sh_wire_peek_id,
 * sh_wire_verify, then on success
 * sh_wire_open, sh_wire_fields, sh_policy_check, sh_household, and
 * sh_wire_clear_fields as the inbox listing shows it. See common.c for the
 * re-signing and re-sealing this adds. */
void fuzz_receive_envelope(const uint8_t *env, size_t len);

/* With SEINHUIS_FUZZ_VERBOSE=1 in the environment, print a step's result
 * (to check which paths a seed reaches); otherwise nothing. */
void fuzz_trace(const char *step, sh_err e);

/* Stop the run: a broken invariant is a finding, not a refusal. */
void fuzz_fail(const char *target, const char *what) __attribute__((noreturn));

#endif
