/*
 * journal.h - the store's redo journal (journal.c): what makes a turn of
 * the event loop durable before LMDB commits it.
 */
#ifndef SEINHUIS_JOURNAL_H
#define SEINHUIS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "seinhuis.h"

/* A record: this header, then `len` bytes of payload. */
#define SH_JOURNAL_HDR 32
/* Largest payload a record may have (a reader refuses more). */
#define SH_JOURNAL_MAX_RECORD (256u << 20)

typedef struct sh_journal sh_journal;

/* Open (create, mode 0600) the journal file at `path` and lock it: a
 * second process opening the same data store is refused. */
sh_err sh_journal_open(sh_journal **j, const char *path, char *why,
                       size_t whylen);
void sh_journal_close(sh_journal **j);

/* Called for each record's payload, in order. A non-OK return stops the
 * walk and is returned. */
typedef sh_err (*sh_journal_fn)(void *ctx, const uint8_t *payload, size_t len);

/* Walk the records of generation `gen` from the start of the file, up
 * to the first that is not one (torn or never finished, of another
 * generation, or past the end), or `limit` records (SIZE_MAX: all).
 * *count gets the number of records and the next append goes after the
 * last of them. SH_ERR_STORE if the file cannot be read;
 * SH_ERR_STORE_CORRUPT if a record is damaged but a whole one follows it. */
sh_err sh_journal_replay(sh_journal *j, uint64_t gen, size_t limit,
                         sh_journal_fn fn, void *ctx, size_t *count);
/* The same walk over bytes in memory (the fuzz target uses it), without a
 * limit: *end gets the offset after the last whole record. */
sh_err sh_journal_parse(const uint8_t *buf, size_t len, uint64_t gen,
                        sh_journal_fn fn, void *ctx, size_t *count,
                        size_t *end);

/* Start generation `gen`: the next record is written at the start of the
 * file, over the previous generation's (which a reader then ignores). */
void sh_journal_reset(sh_journal *j, uint64_t gen);

/* Append one record and wait until it is on disk (fdatasync). `rec` holds
 * SH_JOURNAL_HDR bytes of room for the header, then the payload; the
 * header is filled in here. On failure nothing counts as written and the
 * next append goes to the same place. ENOSPC is SH_ERR_STORE_FULL. */
sh_err sh_journal_append(sh_journal *j, uint8_t *rec, size_t total);

/* Bytes written in the current generation. */
size_t sh_journal_bytes(const sh_journal *j);

/* CRC-32C (Castagnoli), as the records use it. */
uint32_t sh_crc32c(uint32_t crc, const uint8_t *p, size_t n);

/* The changes in a payload: a sequence of operations on the store's
 * tables. Layout of one: op (1 byte: SH_JOP_PUT or SH_JOP_DEL), table
 * (1 byte), key length (2 bytes, little-endian), value length (4 bytes,
 * little-endian, 0 for a delete), key, value. */
enum { SH_JOP_PUT = 1, SH_JOP_DEL = 2 };
#define SH_JOP_HDR 8
typedef sh_err (*sh_journal_op_fn)(void *ctx, int op, unsigned table,
                                   const uint8_t *key, size_t klen,
                                   const uint8_t *val, size_t vlen);
/* Calls fn for each operation of a payload; SH_ERR_STORE_CORRUPT (and
 * *why) if the payload does not consist of whole, valid operations on
 * tables below `ntables`. */
sh_err sh_journal_ops(const uint8_t *p, size_t n, unsigned ntables,
                      sh_journal_op_fn fn, void *ctx, const char **why);

#endif
