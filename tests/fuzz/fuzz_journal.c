/*
 * fuzz_journal - the store's redo journal as sh_store_open reads it back
 * after a crash: sh_journal_parse (the walk sh_journal_replay makes over
 * the file) and sh_journal_ops on every record it returns.
 *
 * The input is a journal file. It is walked for a few generations: base
 * 0, the generation in the first record's header (bytes 8..15, the one a
 * store whose LMDB names it would ask for) and the first 8 bytes read as
 * one. Invariants:
 *  - each record handed on starts where the previous one ended, lies
 *    inside the input and has the header of record number i of that
 *    generation; count and end are the number and total size of them,
 *    end <= size;
 *  - the walk agrees, record for record, with one written here from the
 *    layout journal.c documents (magic, length, base, number, CRC-32C,
 *    zero word);
 *  - the walk returns STORE_CORRUPT exactly when it stopped at a record
 *    whose CRC alone is wrong and a whole next record follows it (damage,
 *    not a torn write), OK otherwise;
 *  - a callback's error stops the walk at once and is returned;
 *  - sh_journal_ops hands on only puts and deletes on tables below 14
 *    with a non-empty key (a delete without a value), each operation
 *    where the previous one ended and inside the payload; it returns OK
 *    exactly when they cover the payload, otherwise STORE_CORRUPT with a
 *    reason; the same without a callback.
 * A mutated record almost never has the right CRC, so the input is also
 * walked once with the CRC of every record whose only fault it is put
 * right (as the envelope targets re-sign): then mutated payloads reach
 * sh_journal_ops through the walk. The whole input also goes to
 * sh_journal_ops as one payload.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "journal.h"

#define NTABLES 14 /* the store's tables (store.c SH_STORE_TABLES) */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void set32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Record number n of generation base at off: its payload length, or -1
 * (crc_ok: whether its CRC is right). */
static long ref_record(const uint8_t *buf, size_t len, size_t off,
                       uint64_t base, size_t n, int *crc_ok)
{
	if (len - off < SH_JOURNAL_HDR)
		return -1;
	const uint8_t *h = buf + off;
	uint32_t plen = get32(h + 4);
	if (memcmp(h, "SHJ1", 4) != 0 || get64(h + 8) != base ||
	    get64(h + 16) != n || get32(h + 28) != 0 ||
	    plen > SH_JOURNAL_MAX_RECORD || plen > len - off - SH_JOURNAL_HDR)
		return -1;
	uint32_t crc =
	    sh_crc32c(sh_crc32c(0, h + 4, 20), h + SH_JOURNAL_HDR, plen);
	*crc_ok = crc == get32(h + 24);
	return (long)plen;
}

/* The walk as journal.c's comment describes the records. With `fix`
 * (a copy of buf), a record whose CRC alone is wrong gets the right one
 * there and counts. Without, *damaged says whether the walk stopped at a
 * record whose CRC is wrong with a whole record after it. */
static size_t ref_walk(const uint8_t *buf, size_t len, uint64_t base,
                       uint8_t *fix, size_t *end, int *damaged)
{
	size_t off = 0, n = 0;
	int ok;
	long plen;
	*end = 0;
	if (damaged)
		*damaged = 0;
	while ((plen = ref_record(buf, len, off, base, n, &ok)) >= 0) {
		if (!ok) {
			if (!fix) {
				int ok2 = 0;
				size_t next =
				    off + SH_JOURNAL_HDR + (size_t)plen;
				if (damaged &&
				    ref_record(buf, len, next, base, n + 1,
				               &ok2) >= 0 &&
				    ok2)
					*damaged = 1;
				break;
			}
			set32(fix + off + 24,
			      sh_crc32c(sh_crc32c(0, buf + off + 4, 20),
			                buf + off + SH_JOURNAL_HDR,
			                (size_t)plen));
		}
		off += SH_JOURNAL_HDR + (size_t)plen;
		n++;
		*end = off;
	}
	return n;
}

/* ------------------------------------------------------------ ops */

typedef struct {
	const uint8_t *p;
	size_t n;
	size_t at; /* where the next operation must start */
} ops_t;

static sh_err on_op(void *ctx, int op, unsigned table, const uint8_t *key,
                    size_t klen, const uint8_t *val, size_t vlen)
{
	ops_t *o = ctx;
	if (op != SH_JOP_PUT && op != SH_JOP_DEL)
		fuzz_fail("journal", "an operation of another kind handed on");
	if (table >= NTABLES)
		fuzz_fail("journal", "an operation on a table past the last");
	if (klen == 0)
		fuzz_fail("journal", "an operation with an empty key");
	if (op == SH_JOP_DEL && vlen != 0)
		fuzz_fail("journal", "a delete with a value");
	if (o->n - o->at < SH_JOP_HDR || key != o->p + o->at + SH_JOP_HDR)
		fuzz_fail("journal", "an operation not where the last ended");
	size_t room = o->n - o->at - SH_JOP_HDR;
	if (klen > room || vlen > room - klen)
		fuzz_fail("journal", "an operation past its payload");
	if (vlen && val != key + klen)
		fuzz_fail("journal", "a value not after its key");
	o->at += SH_JOP_HDR + klen + vlen;
	return SH_OK;
}

static void check_ops(const uint8_t *p, size_t n)
{
	ops_t o = {p, n, 0};
	const char *why = NULL;
	sh_err e = sh_journal_ops(p, n, NTABLES, on_op, &o, &why);
	fuzz_trace("sh_journal_ops", e);
	if (e == SH_OK) {
		if (o.at != n)
			fuzz_fail("journal",
			          "operations accepted that do not cover the "
			          "payload");
	} else if (e == SH_ERR_STORE_CORRUPT) {
		if (!why || !*why)
			fuzz_fail("journal", "refused without a reason");
		if (o.at >= n)
			fuzz_fail("journal",
			          "refused although every operation was whole");
	} else {
		fuzz_fail("journal", "sh_journal_ops: neither OK nor CORRUPT");
	}
	const char *why2 = NULL;
	if (sh_journal_ops(p, n, NTABLES, NULL, NULL, &why2) != e)
		fuzz_fail("journal", "another verdict without a callback");
}

/* ------------------------------------------------------------ records */

typedef struct {
	const uint8_t *buf;
	size_t len;
	uint64_t base;
	size_t records, sum; /* handed on so far, their total size */
	size_t stop_at;      /* SH_ERR_STORE at this record (1-); 0 never */
	int ops;             /* run sh_journal_ops on each */
} walk_t;

static sh_err on_record(void *ctx, const uint8_t *p, size_t plen)
{
	walk_t *w = ctx;
	if (w->stop_at && w->records >= w->stop_at)
		fuzz_fail("journal", "the walk went on after an error");
	if (w->len - w->sum < SH_JOURNAL_HDR ||
	    p != w->buf + w->sum + SH_JOURNAL_HDR)
		fuzz_fail("journal", "a record not where the last ended");
	if (plen > w->len - w->sum - SH_JOURNAL_HDR)
		fuzz_fail("journal", "a record past the end of the input");
	const uint8_t *h = p - SH_JOURNAL_HDR;
	if (memcmp(h, "SHJ1", 4) != 0 || get32(h + 4) != plen ||
	    get64(h + 8) != w->base || get64(h + 16) != w->records)
		fuzz_fail("journal", "a record with another header handed on");
	w->sum += SH_JOURNAL_HDR + plen;
	w->records++;
	if (w->ops)
		check_ops(p, plen);
	if (w->stop_at && w->records == w->stop_at)
		return SH_ERR_STORE;
	return SH_OK;
}

static void walk(const uint8_t *buf, size_t len, uint64_t base)
{
	walk_t w = {buf, len, base, 0, 0, 0, 1};
	size_t count = (size_t)-1, end = (size_t)-1;
	sh_err e =
	    sh_journal_parse(buf, len, base, on_record, &w, &count, &end);
	fuzz_trace("sh_journal_parse", e);
	size_t ref_end;
	int damaged;
	size_t ref_n = ref_walk(buf, len, base, NULL, &ref_end, &damaged);
	if (e != (damaged ? SH_ERR_STORE_CORRUPT : SH_OK))
		fuzz_fail("journal", "damage in the middle not reported, or "
		                     "reported where there is none");
	if (count != w.records)
		fuzz_fail("journal", "count is not the records handed on");
	if (end != w.sum || end > len)
		fuzz_fail("journal", "end is not the records' total size");
	if (ref_n != count || ref_end != end)
		fuzz_fail("journal", "the walk differs from the layout");
	if (count && get64(buf + 8) != base)
		fuzz_fail("journal", "a first record of another generation");
	/* without a callback: the same */
	size_t c2, e2;
	if (sh_journal_parse(buf, len, base, NULL, NULL, &c2, &e2) != e ||
	    c2 != count || e2 != end)
		fuzz_fail("journal", "another walk without a callback");
	/* an error from the callback stops the walk there */
	if (count) {
		walk_t s = {buf, len, base, 0, 0, count / 2 + 1, 0};
		e = sh_journal_parse(buf, len, base, on_record, &s, &c2, &e2);
		if (e != SH_ERR_STORE || s.records != s.stop_at)
			fuzz_fail("journal",
			          "a callback's error not returned at once");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t bases[3];
	size_t nb = 0;
	bases[nb++] = 0;
	if (size >= 16 && get64(data + 8) != 0)
		bases[nb++] = get64(data + 8);
	if (size >= 8) {
		uint64_t b = get64(data);
		int again = 0;
		for (size_t i = 0; i < nb; i++)
			again |= bases[i] == b;
		if (!again)
			bases[nb++] = b;
	}
	for (size_t i = 0; i < nb; i++)
		walk(data, size, bases[i]);

	/* The records whose only fault is their CRC, put right. */
	if (size >= 16) {
		uint8_t *copy = malloc(size);
		if (!copy)
			abort();
		memcpy(copy, data, size);
		uint64_t base = get64(data + 8);
		size_t end, end0;
		size_t fixed = ref_walk(data, size, base, copy, &end, NULL);
		if (fixed < ref_walk(data, size, base, NULL, &end0, NULL))
			fuzz_fail("journal", "repairing CRCs lost records");
		size_t count = 0, pend = 0;
		if (sh_journal_parse(copy, size, base, NULL, NULL, &count,
		                     &pend) != SH_OK ||
		    count != fixed || pend != end)
			fuzz_fail("journal", "repaired records not all read");
		walk(copy, size, base);
		free(copy);
	}

	/* The input as one payload. */
	check_ops(data, size);
	return 0;
}
