/*
 * test_journal - the store's redo journal (daemon/journal.c) and the crash
 * recovery built on it (daemon/store.c).
 *
 * Records: several records come back in order and byte for byte; the
 * file sh_journal_append writes has exactly the documented layout (a
 * record built here by hand from it is the same bytes); the walk stops
 * after the last whole record of the generation asked for: at a record
 * cut short, one with a flipped byte, one of another generation, one with
 * the wrong number, a nonzero reserved word, or zeros. sh_journal_ops
 * refuses every kind of malformed operation with STORE_CORRUPT and a
 * reason, and never hands one on. CRC-32C gives the known answer and
 * agrees with a plain bitwise implementation at every length and
 * alignment. After sh_journal_reset a replay sees only the new records,
 * although the old generation's bytes are still behind them.
 *
 * Store: a child process makes turns and exits without closing (nothing
 * reached LMDB); the parent's open replays exactly those turns, every key
 * is there and sh_store_check passes; after a checkpoint in the child
 * only the later turns are replayed; a journal cut in the last record, or
 * with a byte of it flipped, loses that turn and only that one. An
 * aborted turn is undone and the turns before it are kept, in memory and
 * after reopening. A second process cannot open a store that is open.
 */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "journal.h"
#include "store.h"

#define PARTNER "gemeente-test"
#define MAP     (64u << 20)
#define NTABLES 14 /* the store's tables, as store.c numbers them */

static char *root_dir;
static unsigned dir_seq;

static void new_dir(char *out, size_t n, const char *tag)
{
	snprintf(out, n, "%s/%s%u", root_dir, tag, dir_seq++);
	if (sh_mkdir_p(out, 0700) != SH_OK) {
		printf("cannot make %s\n", out);
		exit(2);
	}
}

/* The whole of a (binary) file; exits if it cannot be read. */
static uint8_t *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0) {
		printf("cannot read %s: %s\n", path, strerror(errno));
		exit(2);
	}
	size_t n = (size_t)sb.st_size, got = 0;
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		exit(2);
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r <= 0) {
			printf("cannot read %s\n", path);
			exit(2);
		}
		got += (size_t)r;
	}
	close(fd);
	*len = n;
	return p;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A record as journal.c documents it, built here from that text alone:
 * "SHJ1", payload length, base, number, CRC-32C over the three and the
 * payload, a zero word; then the payload. */
static void hand_record(sh_buf *out, uint64_t base, uint64_t seq,
                        const uint8_t *payload, size_t plen)
{
	uint8_t h[SH_JOURNAL_HDR];
	memcpy(h, "SHJ1", 4);
	put_le32(h + 4, (uint32_t)plen);
	put_le64(h + 8, base);
	put_le64(h + 16, seq);
	uint32_t crc = sh_crc32c(0, h + 4, 20);
	crc = sh_crc32c(crc, payload, plen);
	put_le32(h + 24, crc);
	put_le32(h + 28, 0);
	sh_buf_add(out, h, sizeof(h));
	if (plen)
		sh_buf_add(out, payload, plen);
}

/* One operation of a payload, as journal.h describes the layout. */
static void add_op(sh_buf *p, int op, unsigned table, const void *key,
                   size_t klen, const void *val, size_t vlen)
{
	uint8_t h[SH_JOP_HDR];
	h[0] = (uint8_t)op;
	h[1] = (uint8_t)table;
	h[2] = (uint8_t)klen;
	h[3] = (uint8_t)(klen >> 8);
	put_le32(h + 4, (uint32_t)vlen);
	sh_buf_add(p, h, sizeof(h));
	if (klen)
		sh_buf_add(p, key, klen);
	if (vlen)
		sh_buf_add(p, val, vlen);
}

/* What a walk handed to its callback. */
#define MAXREC 16
typedef struct {
	size_t n;
	const uint8_t *p[MAXREC];
	size_t len[MAXREC];
	uint8_t copy[MAXREC][64]; /* first bytes, for sh_journal_replay */
	size_t fail_at;           /* return SH_ERR_STORE at this call (1-) */
} seen_t;

static sh_err on_record(void *ctx, const uint8_t *p, size_t len)
{
	seen_t *s = ctx;
	if (s->n < MAXREC) {
		s->p[s->n] = p;
		s->len[s->n] = len;
		memcpy(s->copy[s->n], p, len < 64 ? len : 64);
	}
	s->n++;
	return s->fail_at && s->n == s->fail_at ? SH_ERR_STORE : SH_OK;
}

/* Parse buf[0..len) for generation base; count and end returned. */
static size_t walk(const uint8_t *buf, size_t len, uint64_t base, size_t *end,
                   seen_t *s)
{
	seen_t local;
	size_t count = 99;
	static const uint8_t none[64];
	if (!s)
		s = &local;
	memset(s, 0, sizeof(*s));
	/* records not returned read as zeros, and fail the checks on them */
	for (size_t i = 0; i < MAXREC; i++)
		s->p[i] = none;
	*end = 12345;
	CHECK_ERR(sh_journal_parse(buf, len, base, on_record, s, &count, end),
	          SH_OK);
	CHECK_INT(s->n, count);
	return count;
}

/* ------------------------------------------------------------ CRC-32C */

static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
	}
	return ~c;
}

static void crc_known(void)
{
	const uint8_t *digits = (const uint8_t *)"123456789";
	CHECK_INT(sh_crc32c(0, digits, 9), 0xE3069283u);
	/* in pieces: the result of one call continues the next */
	CHECK_INT(sh_crc32c(sh_crc32c(0, digits, 4), digits + 4, 5),
	          0xE3069283u);
	CHECK_INT(sh_crc32c(0, digits, 0), 0);
	/* 32 bytes of zeros and of 0xff: the published iSCSI test vectors */
	uint8_t z[32], ff[32];
	memset(z, 0, sizeof(z));
	memset(ff, 0xff, sizeof(ff));
	CHECK_INT(sh_crc32c(0, z, 32), 0x8A9136AAu);
	CHECK_INT(sh_crc32c(0, ff, 32), 0x62A8AB43u);
	/* every length 0..80 at every alignment 0..7 (the 8-byte steps of
	 * the SSE 4.2 path and its byte tail) */
	uint8_t buf[96];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	int bad = 0;
	for (size_t a = 0; a < 8; a++)
		for (size_t n = 0; n <= 80; n++)
			if (sh_crc32c(0, buf + a, n) != crc_bitwise(buf + a, n))
				bad++;
	CHECK_INT(bad, 0);
}

/* ------------------------------------------------------------ records */

/* Three records through sh_journal_append on a real file, generation 7. */
static const char *const PAYLOADS[3] = {"first record", "",
                                        "the third record, the longest"};

static uint8_t *appended(char *jpath, size_t n, size_t *flen)
{
	char dir[600], why[600];
	sh_journal *j = NULL;
	new_dir(dir, sizeof(dir), "rec");
	snprintf(jpath, n, "%s/journal", dir);
	if (!CHECK_ERR(sh_journal_open(&j, jpath, why, sizeof(why)), SH_OK)) {
		printf("     %s\n", why);
		exit(2);
	}
	sh_journal_reset(j, 7);
	size_t total = 0;
	for (int i = 0; i < 3; i++) {
		sh_buf r = {0};
		uint8_t hdr[SH_JOURNAL_HDR] = {0};
		sh_buf_add(&r, hdr, sizeof(hdr));
		sh_buf_add(&r, PAYLOADS[i], strlen(PAYLOADS[i]));
		CHECK_ERR(sh_journal_append(j, r.data, r.len), SH_OK);
		total += r.len;
		CHECK_INT(sh_journal_bytes(j), total);
		sh_buf_free(&r);
	}
	sh_journal_close(&j);
	CHECK(j == NULL);
	return read_all(jpath, flen);
}

static void records(void)
{
	char jpath[700];
	size_t flen, end;
	seen_t s;
	uint8_t *f = appended(jpath, sizeof(jpath), &flen);
	size_t len[3], off[3], total = 0;
	for (int i = 0; i < 3; i++) {
		off[i] = total;
		len[i] = SH_JOURNAL_HDR + strlen(PAYLOADS[i]);
		total += len[i];
	}
	/* The file is grown ahead with zeros. */
	CHECK(flen > total);
	if (!f || flen <= total) {
		free(f);
		return;
	}

	/* The documented layout, byte for byte. */
	sh_buf hand = {0};
	for (int i = 0; i < 3; i++)
		hand_record(&hand, 7, (uint64_t)i, (const uint8_t *)PAYLOADS[i],
		            strlen(PAYLOADS[i]));
	CHECK_INT(hand.len, total);
	CHECK_MEM(hand.data, f, total);

	check_case("all three records");
	CHECK_INT(walk(f, flen, 7, &end, &s), 3);
	CHECK_INT(end, total);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(s.len[i], strlen(PAYLOADS[i]));
		CHECK(s.p[i] == f + off[i] + SH_JOURNAL_HDR);
		CHECK_MEM(s.p[i], PAYLOADS[i], strlen(PAYLOADS[i]));
	}
	/* the same with no zeros after them, and with no callback */
	CHECK_INT(walk(f, total, 7, &end, NULL), 3);
	CHECK_INT(end, total);
	size_t count = 0;
	end = 0;
	CHECK_ERR(sh_journal_parse(f, flen, 7, NULL, NULL, &count, &end),
	          SH_OK);
	CHECK_INT(count, 3);
	CHECK_INT(end, total);

	check_case("a callback's error stops the walk and is returned");
	memset(&s, 0, sizeof(s));
	s.fail_at = 2;
	CHECK_ERR(sh_journal_parse(f, flen, 7, on_record, &s, &count, &end),
	          SH_ERR_STORE);
	CHECK_INT(s.n, 2);

	check_case("cut in the third record's payload");
	CHECK_INT(walk(f, off[2] + SH_JOURNAL_HDR + 10, 7, &end, NULL), 2);
	CHECK_INT(end, off[2]);
	check_case("cut one byte before the third record's end");
	CHECK_INT(walk(f, total - 1, 7, &end, NULL), 2);
	CHECK_INT(end, off[2]);
	check_case("cut in the third record's header");
	CHECK_INT(walk(f, off[2] + 20, 7, &end, NULL), 2);
	CHECK_INT(end, off[2]);
	check_case("cut in the first header; nothing at all");
	CHECK_INT(walk(f, 31, 7, &end, NULL), 0);
	CHECK_INT(end, 0);
	CHECK_INT(walk(f, 0, 7, &end, NULL), 0);
	CHECK_INT(end, 0);

	/* A flipped byte anywhere in the third record but its magic. */
	uint8_t *g = malloc(flen);
	static const size_t at[] = {4, 8, 16, 24, 28, 32, 40, 60};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memcpy(g, f, flen);
		g[off[2] + at[i]] ^= 0x01;
		check_case("third record, byte %zu flipped", at[i]);
		CHECK_INT(walk(g, flen, 7, &end, NULL), 2);
		CHECK_INT(end, off[2]);
	}
	/* Damage with whole records after it is no torn write: the walk
	 * reports it instead of leaving the later records out silently. */
	check_case("first record's payload flipped, whole records after it");
	memcpy(g, f, flen);
	g[SH_JOURNAL_HDR + 3] ^= 0x80;
	{
		size_t cnt = 99, e2 = 99;
		CHECK_ERR(sh_journal_parse(g, flen, 7, NULL, NULL, &cnt, &e2),
		          SH_ERR_STORE_CORRUPT);
		CHECK_INT(cnt, 0);
	}
	check_case("second record's CRC flipped (its payload is empty), "
	           "whole record after it");
	memcpy(g, f, flen);
	g[off[1] + 24] ^= 0x10;
	{
		size_t cnt = 99, e2 = 99;
		CHECK_ERR(sh_journal_parse(g, flen, 7, NULL, NULL, &cnt, &e2),
		          SH_ERR_STORE_CORRUPT);
		CHECK_INT(cnt, 1);
	}
	check_case("magic changed");
	memcpy(g, f, flen);
	g[off[1] + 3] = '2';
	CHECK_INT(walk(g, flen, 7, &end, NULL), 1);
	CHECK_INT(end, off[1]);
	check_case("reserved word not zero (the CRC does not cover it)");
	memcpy(g, f, flen);
	put_le32(g + off[1] + 28, 1);
	CHECK_INT(walk(g, flen, 7, &end, NULL), 1);

	check_case("another generation asked for");
	CHECK_INT(walk(f, flen, 6, &end, NULL), 0);
	CHECK_INT(walk(f, flen, 8, &end, NULL), 0);
	CHECK_INT(end, 0);
	free(g);
	free(f);
	sh_buf_free(&hand);

	/* Hand-built sequences. */
	const uint8_t pa[] = "alpha", pb[] = "bravo!", pc[] = "charlie";
	sh_buf b = {0};
	/* Records (generation, number) in a row, the generation asked for,
	 * and how many of them the walk must return. */
	static const struct {
		const char *what;
		uint64_t gen[3], seq[3];
		size_t n, ask, want;
	} seqs[] = {
	    {"a record of an older generation in the middle",
	     {9, 8, 9},
	     {0, 1, 1},
	     3,
	     9,
	     1},
	    {"the same, the older generation asked for",
	     {9, 8, 9},
	     {0, 1, 1},
	     3,
	     8,
	     0},
	    {"a later generation after the first record",
	     {9, 10},
	     {0, 1},
	     2,
	     9,
	     1},
	    {"numbers 0, 2: a gap", {9, 9}, {0, 2}, 2, 9, 1},
	    {"numbers 0, 0: a repeat", {9, 9}, {0, 0}, 2, 9, 1},
	    {"the first record numbered 1", {9, 9}, {1, 2}, 2, 9, 0},
	};
	const uint8_t *pay[3] = {pa, pb, pc};
	const size_t plen[3] = {5, 6, 7};
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		check_case("%s", seqs[i].what);
		b.len = 0;
		for (size_t r = 0; r < seqs[i].n; r++)
			hand_record(&b, seqs[i].gen[r], seqs[i].seq[r], pay[r],
			            plen[r]);
		CHECK_INT(walk(b.data, b.len, seqs[i].ask, &end, NULL),
		          seqs[i].want);
		size_t want_end = 0;
		for (size_t r = 0; r < seqs[i].want; r++)
			want_end += SH_JOURNAL_HDR + plen[r];
		CHECK_INT(end, want_end);
	}
	b.len = 0;
	check_case("base 0, numbers 0 1 2 then a zeroed tail");
	hand_record(&b, 0, 0, pa, 5);
	hand_record(&b, 0, 1, pb, 6);
	hand_record(&b, 0, 2, pc, 7);
	size_t three = b.len;
	uint8_t zeros[200] = {0};
	sh_buf_add(&b, zeros, sizeof(zeros));
	CHECK_INT(walk(b.data, b.len, 0, &end, &s), 3);
	CHECK_INT(end, three);
	CHECK_MEM(s.p[2], pc, 7);
	check_case("only zeros, for base 0");
	CHECK_INT(walk(zeros, sizeof(zeros), 0, &end, NULL), 0);
	CHECK_INT(end, 0);
	check_case("a length past the end of the buffer");
	b.len = 0;
	hand_record(&b, 9, 0, pa, 5);
	hand_record(&b, 9, 1, pb, 6);
	put_le32(b.data + SH_JOURNAL_HDR + 5 + 4, 0xffffffffu);
	CHECK_INT(walk(b.data, b.len, 9, &end, NULL), 1);
	CHECK_INT(end, SH_JOURNAL_HDR + 5);
	sh_buf_free(&b);
	check_case("%s", "");
}

/* ------------------------------------------------------------ ops */

typedef struct {
	size_t n;
	int op[8];
	unsigned table[8];
	size_t klen[8], vlen[8];
	const uint8_t *key[8], *val[8];
	int bad; /* something the contract rules out reached the callback */
} ops_t;

static sh_err on_op(void *ctx, int op, unsigned table, const uint8_t *key,
                    size_t klen, const uint8_t *val, size_t vlen)
{
	ops_t *o = ctx;
	if ((op != SH_JOP_PUT && op != SH_JOP_DEL) || table >= NTABLES ||
	    klen == 0 || (op == SH_JOP_DEL && vlen))
		o->bad = 1;
	if (o->n < 8) {
		o->op[o->n] = op;
		o->table[o->n] = table;
		o->key[o->n] = key;
		o->klen[o->n] = klen;
		o->val[o->n] = val;
		o->vlen[o->n] = vlen;
	}
	o->n++;
	return SH_OK;
}

/* A valid put first, then the bytes of `bad`: refused with a reason. */
static void refused(const char *what, const uint8_t *bad, size_t badlen)
{
	sh_buf p = {0};
	ops_t o;
	const char *why = NULL;
	check_case("ops: %s", what);
	add_op(&p, SH_JOP_PUT, 1, "k", 1, "v", 1);
	sh_buf_add(&p, bad, badlen);
	memset(&o, 0, sizeof(o));
	CHECK_ERR(sh_journal_ops(p.data, p.len, NTABLES, on_op, &o, &why),
	          SH_ERR_STORE_CORRUPT);
	CHECK(why != NULL && why[0] != '\0');
	CHECK(!o.bad);
	CHECK(o.n <= 1);
	/* alone, too */
	why = NULL;
	memset(&o, 0, sizeof(o));
	CHECK_ERR(sh_journal_ops(bad, badlen, NTABLES, on_op, &o, &why),
	          SH_ERR_STORE_CORRUPT);
	CHECK(why != NULL && why[0] != '\0');
	CHECK_INT(o.n, 0);
	sh_buf_free(&p);
}

static void ops(void)
{
	sh_buf p = {0};
	ops_t o;
	const char *why = NULL;
	uint8_t bigkey[511];
	memset(bigkey, 'K', sizeof(bigkey));

	check_case("ops: four valid operations");
	add_op(&p, SH_JOP_PUT, 0, "schema", 6, "1", 1);
	add_op(&p, SH_JOP_DEL, NTABLES - 1, "gone", 4, NULL, 0);
	add_op(&p, SH_JOP_PUT, 7, "sender|ref", 10, NULL, 0); /* empty value */
	add_op(&p, SH_JOP_PUT, 8, bigkey, sizeof(bigkey), "value", 5);
	memset(&o, 0, sizeof(o));
	CHECK_ERR(sh_journal_ops(p.data, p.len, NTABLES, on_op, &o, &why),
	          SH_OK);
	CHECK_INT(o.n, 4);
	CHECK(!o.bad);
	CHECK_INT(o.op[0], SH_JOP_PUT);
	CHECK_INT(o.table[0], 0);
	CHECK_INT(o.klen[0], 6);
	CHECK_MEM(o.key[0], "schema", 6);
	CHECK_INT(o.vlen[0], 1);
	CHECK_MEM(o.val[0], "1", 1);
	CHECK(o.key[0] == p.data + SH_JOP_HDR);
	CHECK_INT(o.op[1], SH_JOP_DEL);
	CHECK_INT(o.table[1], NTABLES - 1);
	CHECK_INT(o.vlen[1], 0);
	CHECK_MEM(o.key[1], "gone", 4);
	CHECK_INT(o.op[2], SH_JOP_PUT);
	CHECK_INT(o.vlen[2], 0);
	CHECK_INT(o.klen[3], sizeof(bigkey));
	CHECK_MEM(o.val[3], "value", 5);
	CHECK(o.val[3] + 5 == p.data + p.len);
	check_case("ops: an empty payload");
	memset(&o, 0, sizeof(o));
	CHECK_ERR(sh_journal_ops(p.data, 0, NTABLES, on_op, &o, &why), SH_OK);
	CHECK_INT(o.n, 0);
	check_case("ops: table 13 with only 13 tables");
	memset(&o, 0, sizeof(o));
	why = NULL;
	CHECK_ERR(sh_journal_ops(p.data, p.len, NTABLES - 1, on_op, &o, &why),
	          SH_ERR_STORE_CORRUPT);
	CHECK(why && *why);
	CHECK(o.n <= 1);
	CHECK(o.n == 0 || o.table[0] == 0);
	sh_buf_free(&p);

	sh_buf b = {0};
	add_op(&b, SH_JOP_PUT, 2, "key", 3, "value", 5);
	size_t full = b.len;
	refused("header cut short", b.data, 5);
	refused("header only", b.data, SH_JOP_HDR);
	refused("key cut short", b.data, SH_JOP_HDR + 2);
	refused("value cut short", b.data, full - 1);
	uint8_t t[64];
	memcpy(t, b.data, full);
	put_le32(t + 4, 0xffffffffu); /* value length near 4 GiB */
	refused("value length 0xffffffff", t, full);
	memcpy(t, b.data, full);
	t[2] = 0xff; /* key length 0x00ff, past the end */
	refused("key length past the end", t, full);
	static const int kinds[] = {0, 3, 4, 0x81, 0xff};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char what[64];
		memcpy(t, b.data, full);
		t[0] = (uint8_t)kinds[i];
		snprintf(what, sizeof(what), "operation kind %d", kinds[i]);
		refused(what, t, full);
	}
	static const unsigned tables[] = {NTABLES, NTABLES + 1, 0xff};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char what[64];
		memcpy(t, b.data, full);
		t[1] = (uint8_t)tables[i];
		snprintf(what, sizeof(what), "table %u", tables[i]);
		refused(what, t, full);
	}
	b.len = 0;
	add_op(&b, SH_JOP_PUT, 2, NULL, 0, "value", 5);
	refused("an empty key", b.data, b.len);
	b.len = 0;
	add_op(&b, SH_JOP_DEL, 2, NULL, 0, NULL, 0);
	refused("a delete with an empty key", b.data, b.len);
	b.len = 0;
	add_op(&b, SH_JOP_DEL, 2, "key", 3, "v", 1);
	refused("a delete with a value", b.data, b.len);
	sh_buf_free(&b);
	check_case("%s", "");
}

/* ------------------------------------------------------------ reset */

static void reset_generation(void)
{
	char dir[600], jpath[700], why[600];
	sh_journal *j = NULL;
	uint8_t payload[50];
	new_dir(dir, sizeof(dir), "reset");
	snprintf(jpath, sizeof(jpath), "%s/journal", dir);
	CHECK_ERR(sh_journal_open(&j, jpath, why, sizeof(why)), SH_OK);
	if (!j)
		return;
	/* generation 5: three records of one size */
	sh_journal_reset(j, 5);
	for (int i = 0; i < 3; i++) {
		uint8_t r[SH_JOURNAL_HDR + sizeof(payload)];
		memset(payload, 'a' + i, sizeof(payload));
		memcpy(r + SH_JOURNAL_HDR, payload, sizeof(payload));
		CHECK_ERR(sh_journal_append(j, r, sizeof(r)), SH_OK);
	}
	/* generation 9: one record of the same size, so that the old second
	 * record starts exactly where the new one ends */
	sh_journal_reset(j, 9);
	CHECK_INT(sh_journal_bytes(j), 0);
	uint8_t r[SH_JOURNAL_HDR + sizeof(payload)];
	memset(r + SH_JOURNAL_HDR, 'N', sizeof(payload));
	CHECK_ERR(sh_journal_append(j, r, sizeof(r)), SH_OK);
	CHECK_INT(sh_journal_bytes(j), sizeof(r));

	size_t flen, end;
	seen_t s;
	uint8_t *f = read_all(jpath, &flen);
	check_case("reset: the new record overwrote the first old one");
	CHECK_INT(get_le64(f + 8), 9);
	/* generation 5's second and third records are still there */
	CHECK_MEM(f + sizeof(r), "SHJ1", 4);
	CHECK_INT(get_le64(f + sizeof(r) + 8), 5);
	CHECK_INT(get_le64(f + sizeof(r) + 16), 1);
	CHECK_INT(walk(f, flen, 9, &end, &s), 1);
	CHECK_INT(end, sizeof(r));
	CHECK_INT(s.len[0], sizeof(payload));
	CHECK_INT(s.p[0][0], 'N');
	CHECK_INT(walk(f, flen, 5, &end, NULL), 0);
	free(f);
	sh_journal_close(&j);

	/* The same through sh_journal_replay on the file, reopened; then the
	 * next append goes after the replayed record, numbered 1. */
	CHECK_ERR(sh_journal_open(&j, jpath, why, sizeof(why)), SH_OK);
	if (!j)
		return;
	size_t count = 99;
	memset(&s, 0, sizeof(s));
	CHECK_ERR(sh_journal_replay(j, 9, SIZE_MAX, on_record, &s, &count),
	          SH_OK);
	CHECK_INT(count, 1);
	CHECK_INT(s.n, 1);
	CHECK_INT(s.len[0], sizeof(payload));
	CHECK_INT(s.copy[0][0], 'N');
	CHECK_INT(sh_journal_bytes(j), sizeof(r));
	memset(r + SH_JOURNAL_HDR, 'M', sizeof(payload));
	CHECK_ERR(sh_journal_append(j, r, sizeof(r)), SH_OK);
	f = read_all(jpath, &flen);
	CHECK_INT(walk(f, flen, 9, &end, &s), 2);
	CHECK_INT(end, 2 * sizeof(r));
	CHECK_INT(s.p[1][0], 'M');
	/* the old third record, behind them, is still of generation 5 */
	CHECK_INT(get_le64(f + 2 * sizeof(r) + 8), 5);
	free(f);
	/* A replay of a generation that is not there: nothing, and the next
	 * append starts at the beginning. */
	memset(&s, 0, sizeof(s));
	CHECK_ERR(sh_journal_replay(j, 4, SIZE_MAX, on_record, &s, &count),
	          SH_OK);
	CHECK_INT(count, 0);
	CHECK_INT(s.n, 0);
	CHECK_INT(sh_journal_bytes(j), 0);
	/* A callback's error is returned by the replay. */
	memset(&s, 0, sizeof(s));
	s.fail_at = 1;
	CHECK_ERR(sh_journal_replay(j, 9, SIZE_MAX, on_record, &s, &count),
	          SH_ERR_STORE);
	sh_journal_close(&j);

	check_case("journal lock: a second open in this process");
	sh_journal *j1 = NULL, *j2 = NULL;
	CHECK_ERR(sh_journal_open(&j1, jpath, why, sizeof(why)), SH_OK);
	why[0] = '\0';
	CHECK_ERR(sh_journal_open(&j2, jpath, why, sizeof(why)), SH_ERR_STORE);
	CHECK(j2 == NULL);
	CHECK_HAS(why, "in use");
	sh_journal_close(&j1);
	CHECK_ERR(sh_journal_open(&j2, jpath, why, sizeof(why)), SH_OK);
	sh_journal_close(&j2);
	check_case("%s", "");
}

/* ------------------------------------------------------------ store */

static void natkey(uint8_t k[SH_KEY_LEN], unsigned i)
{
	for (unsigned b = 0; b < SH_KEY_LEN; b++)
		k[b] = (uint8_t)(0x40 + i * 3 + b);
}

static void msgid(uint8_t id[SH_ID_LEN], unsigned i, uint8_t kind)
{
	memset(id, 0, SH_ID_LEN);
	id[0] = kind;
	id[14] = (uint8_t)(i >> 8);
	id[15] = (uint8_t)i;
}

static sh_store *store_open(const char *dir, char *why, size_t wl)
{
	sh_store *st = NULL;
	if (sh_store_open(&st, dir, MAP, PARTNER, why, wl) != SH_OK)
		return NULL;
	return st;
}

/* Turn i: a natural key, an outbox record and an inbox signal, each with
 * keys of its own. Returns 0 when every step succeeded. */
static int one_turn(sh_store *st, unsigned i)
{
	uint8_t k[SH_KEY_LEN], id[SH_ID_LEN], oid[SH_ID_LEN], iid[SH_ID_LEN];
	uint8_t env[40];
	uint64_t seq;
	natkey(k, i);
	msgid(id, i, 0xA0);
	msgid(oid, i, 0xB0);
	msgid(iid, i, 0xC0);
	memset(env, (int)(0x30 + i), sizeof(env));
	Seinhuis__OutboxRecord rec = SEINHUIS__OUTBOX_RECORD__INIT;
	rec.message_id.data = oid;
	rec.message_id.len = SH_ID_LEN;
	rec.recipient = "woningcorporatie-test";
	rec.type = SEINHUIS__SIGNAL_TYPE__ARREARS;
	rec.state = SEINHUIS__OUT_STATE__OUT_PENDING;
	rec.created_ms = 1790000000000 + i;
	rec.envelope.data = env;
	rec.envelope.len = sizeof(env);
	if (sh_store_begin(st) != SH_OK)
		return 1;
	if (sh_store_natkey_put(st, k, id) != SH_OK ||
	    sh_store_outbox_add(st, &rec, &seq) != SH_OK ||
	    sh_store_inbox_add(
	        st, iid, "woningcorporatie-test",
	        SEINHUIS__SIGNAL_TYPE__ARREARS, env, sizeof(env), NULL, NULL,
	        NULL, SEINHUIS__ACUTE_MARK__ACUTE_NOT, NULL) != SH_OK) {
		sh_store_abort(st);
		return 2;
	}
	return sh_store_commit(st) == SH_OK ? 0 : 3;
}

/* Are turn i's keys there (1), absent (0), or half there (-1)? */
static int turn_present(sh_store *st, unsigned i)
{
	uint8_t k[SH_KEY_LEN], id[SH_ID_LEN], want[SH_ID_LEN];
	uint8_t oid[SH_ID_LEN], iid[SH_ID_LEN];
	uint64_t seq;
	natkey(k, i);
	msgid(want, i, 0xA0);
	msgid(oid, i, 0xB0);
	msgid(iid, i, 0xC0);
	MDB_txn *txn = sh_store_read_begin(st);
	if (!txn)
		return -2;
	sh_err a = sh_store_natkey_get(st, txn, k, id);
	sh_err b = sh_store_outbox_find(st, txn, oid, &seq, NULL);
	int c = sh_store_seen(st, txn, iid);
	sh_store_read_end(st, txn);
	if (a == SH_OK && memcmp(id, want, SH_ID_LEN) != 0)
		return -1;
	if (a == SH_OK && b == SH_OK && c)
		return 1;
	if (a == SH_ERR_NOTFOUND && b == SH_ERR_NOTFOUND && !c)
		return 0;
	return -1;
}

/* In a child process: open the store in dir, make turns first..last-1
 * (a checkpoint after turn `ckpt` when ckpt < last), then _exit without
 * closing: a crash as far as the store is concerned. Returns the child's
 * exit status (0: every step succeeded). */
typedef int (*turn_fn)(sh_store *st, unsigned i);

static int crash_child_with(const char *dir, unsigned first, unsigned last,
                            unsigned ckpt, turn_fn turn)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		char why[1024];
		alarm(20); /* a store that blocks fails instead of hanging */
		sh_store *st = store_open(dir, why, sizeof(why));
		if (!st) {
			printf("child: cannot open the store: %s\n", why);
			fflush(stdout);
			_exit(10);
		}
		for (unsigned i = first; i < last; i++) {
			int rc = turn(st, i);
			if (rc)
				_exit(20 + rc);
			if (i == ckpt && sh_store_checkpoint(st) != SH_OK)
				_exit(30);
		}
		_exit(0);
	}
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static int crash_child(const char *dir, unsigned first, unsigned last,
                       unsigned ckpt)
{
	return crash_child_with(dir, first, last, ckpt, one_turn);
}

/* A turn whose journal record has puts reserved in LMDB (MDB_RESERVE,
 * noted once filled in) that the same turn then deletes or overwrites: an inbox
 * signal added and removed, an outbox record added and then marked delivered;
 * and a natural key. */
static int late_turn(sh_store *st, unsigned i)
{
	uint8_t k[SH_KEY_LEN], id[SH_ID_LEN], oid[SH_ID_LEN], iid[SH_ID_LEN];
	uint8_t env[40];
	uint64_t oseq, iseq;
	natkey(k, i);
	msgid(id, i, 0xA0);
	msgid(oid, i, 0xB0);
	msgid(iid, i, 0xC0);
	memset(env, 0x55, sizeof(env));
	Seinhuis__OutboxRecord rec = SEINHUIS__OUTBOX_RECORD__INIT;
	rec.message_id.data = oid;
	rec.message_id.len = SH_ID_LEN;
	rec.recipient = "woningcorporatie-test";
	rec.type = SEINHUIS__SIGNAL_TYPE__ARREARS;
	rec.state = SEINHUIS__OUT_STATE__OUT_PENDING;
	rec.envelope.data = env;
	rec.envelope.len = sizeof(env);
	if (sh_store_begin(st) != SH_OK)
		return 1;
	iseq = sh_store_inbox_next(st);
	if (sh_store_natkey_put(st, k, id) != SH_OK ||
	    sh_store_inbox_add(
	        st, iid, "woningcorporatie-test",
	        SEINHUIS__SIGNAL_TYPE__ARREARS, env, sizeof(env), NULL, NULL,
	        NULL, SEINHUIS__ACUTE_MARK__ACUTE_NOT, NULL) != SH_OK ||
	    sh_store_inbox_remove(st, iseq, iid) != SH_OK ||
	    sh_store_outbox_add(st, &rec, &oseq) != SH_OK) {
		sh_store_abort(st);
		return 2;
	}
	rec.state = SEINHUIS__OUT_STATE__OUT_DELIVERED;
	rec.envelope.len = 0;
	rec.envelope.data = NULL;
	rec.done_ms = 1790000000123;
	if (sh_store_outbox_replace(st, oseq, SEINHUIS__OUT_STATE__OUT_PENDING,
	                            &rec) != SH_OK) {
		sh_store_abort(st);
		return 4;
	}
	return sh_store_commit(st) == SH_OK ? 0 : 3;
}

/* Turns 0 and 1 as one_turn makes them, turn 2 as late_turn. */
static int mixed_turn(sh_store *st, unsigned i)
{
	return i == 2 ? late_turn(st, i) : one_turn(st, i);
}

/* Open dir, expect `replayed` turns replayed and turns [0, present) there
 * and [present, upto) absent; check the store; close. */
static void expect_store(const char *dir, size_t replayed, unsigned present,
                         unsigned upto)
{
	char why[1024];
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL)) {
		printf("     %s\n", why);
		return;
	}
	CHECK_INT(sh_store_replayed(st), replayed);
	for (unsigned i = 0; i < upto; i++)
		if (!CHECK_INT(turn_present(st, i), i < present ? 1 : 0))
			printf("     turn %u\n", i);
	why[0] = '\0';
	if (!CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK))
		printf("     %s\n", why);
	sh_store_counts c;
	sh_store_counts_get(st, &c);
	CHECK_INT(c.outbox_pending, present);
	CHECK_INT(c.inbox_depth, present);
	CHECK_INT(c.seen, present);
	sh_store_close(&st);
}

/* The records of the journal in dir: their offsets and sizes. */
static size_t journal_records(const char *dir, size_t off[], size_t len[],
                              size_t max)
{
	char jpath[700];
	size_t flen, end, count;
	seen_t s;
	snprintf(jpath, sizeof(jpath), "%s/journal", dir);
	uint8_t *f = read_all(jpath, &flen);
	uint64_t base = flen >= SH_JOURNAL_HDR ? get_le64(f + 8) : 0;
	count = walk(f, flen, base, &end, &s);
	for (size_t i = 0; i < count && i < max && i < MAXREC; i++) {
		off[i] = (size_t)(s.p[i] - f) - SH_JOURNAL_HDR;
		len[i] = SH_JOURNAL_HDR + s.len[i];
	}
	free(f);
	return count;
}

static void crash_recovery(void)
{
	char dir[600], jpath[700];

	check_case("crash: five turns, none checkpointed");
	new_dir(dir, sizeof(dir), "crash");
	CHECK_INT(crash_child(dir, 0, 5, 99), 0);
	expect_store(dir, 5, 5, 6);
	/* that open committed them: nothing to replay a second time */
	check_case("crash: reopened after the replay");
	expect_store(dir, 0, 5, 6);
	/* a second crash on the same store: only its own turns */
	check_case("crash: three more turns, crash again");
	CHECK_INT(crash_child(dir, 5, 8, 99), 0);
	expect_store(dir, 3, 8, 9);

	check_case("crash: checkpoint after three of six turns");
	new_dir(dir, sizeof(dir), "ckpt");
	CHECK_INT(crash_child(dir, 0, 6, 2), 0);
	expect_store(dir, 3, 6, 7);

	check_case("crash: the journal cut in its last record");
	new_dir(dir, sizeof(dir), "torn");
	CHECK_INT(crash_child(dir, 0, 4, 99), 0);
	size_t off[8] = {0}, len[8] = {0};
	CHECK_INT(journal_records(dir, off, len, 8), 4);
	snprintf(jpath, sizeof(jpath), "%s/journal", dir);
	CHECK(truncate(jpath, (off_t)(off[3] + len[3] / 2)) == 0);
	expect_store(dir, 3, 3, 4);
	/* and the store goes on from there: the lost turn can be made */
	check_case("crash: after the cut journal, the lost turn again");
	CHECK_INT(crash_child(dir, 3, 5, 99), 0);
	expect_store(dir, 2, 5, 6);

	check_case("crash: a byte of the last record's payload flipped");
	new_dir(dir, sizeof(dir), "flip");
	CHECK_INT(crash_child(dir, 0, 4, 99), 0);
	CHECK_INT(journal_records(dir, off, len, 8), 4);
	snprintf(jpath, sizeof(jpath), "%s/journal", dir);
	int fd = open(jpath, O_RDWR);
	uint8_t byte = 0;
	off_t where = (off_t)(off[3] + SH_JOURNAL_HDR + 20);
	CHECK(fd >= 0 && pread(fd, &byte, 1, where) == 1);
	byte ^= 0x10;
	CHECK(fd >= 0 && pwrite(fd, &byte, 1, where) == 1);
	if (fd >= 0)
		close(fd);
	expect_store(dir, 3, 3, 4);

	check_case("crash: puts reserved and then deleted in the same turn");
	new_dir(dir, sizeof(dir), "late");
	CHECK_INT(crash_child_with(dir, 0, 3, 99, mixed_turn), 0);
	{
		char w[1024];
		sh_store *ls = store_open(dir, w, sizeof(w));
		if (CHECK(ls != NULL)) {
			uint8_t oid[SH_ID_LEN], iid[SH_ID_LEN], k[SH_KEY_LEN];
			uint8_t id[SH_ID_LEN];
			uint64_t seq = 0;
			Seinhuis__OutboxRecord *r = NULL;
			Seinhuis__InboxRecord *ir = NULL;
			CHECK_INT(sh_store_replayed(ls), 3);
			CHECK_INT(turn_present(ls, 0), 1);
			CHECK_INT(turn_present(ls, 1), 1);
			msgid(oid, 2, 0xB0);
			msgid(iid, 2, 0xC0);
			natkey(k, 2);
			MDB_txn *txn = sh_store_read_begin(ls);
			CHECK_ERR(sh_store_natkey_get(ls, txn, k, id), SH_OK);
			/* seen, but no longer in the inbox */
			CHECK(sh_store_seen(ls, txn, iid));
			CHECK_ERR(sh_store_inbox_get(ls, txn, iid, &ir),
			          SH_ERR_NOTFOUND);
			/* the record as it was at the end of the turn */
			if (CHECK_ERR(
			        sh_store_outbox_find(ls, txn, oid, &seq, &r),
			        SH_OK)) {
				CHECK_INT(r->state,
				          SEINHUIS__OUT_STATE__OUT_DELIVERED);
				CHECK_INT(r->envelope.len, 0);
				CHECK_INT(r->done_ms, 1790000000123);
				seinhuis__outbox_record__free_unpacked(r, NULL);
			}
			sh_store_read_end(ls, txn);
			w[0] = '\0';
			if (!CHECK_ERR(sh_store_check(ls, w, sizeof(w)), SH_OK))
				printf("     %s\n", w);
			sh_store_counts c;
			sh_store_counts_get(ls, &c);
			CHECK_INT(c.outbox_pending, 2);
			CHECK_INT(c.outbox_delivered, 1);
			CHECK_INT(c.inbox_depth, 2);
			CHECK_INT(c.seen, 3);
			sh_store_close(&ls);
		}
	}

	check_case("crash: the journal removed after a clean close");
	new_dir(dir, sizeof(dir), "clean");
	char why[1024];
	sh_store *st = store_open(dir, why, sizeof(why));
	if (CHECK(st != NULL)) {
		for (unsigned i = 0; i < 3; i++)
			CHECK_INT(one_turn(st, i), 0);
		sh_store_close(&st);
	}
	snprintf(jpath, sizeof(jpath), "%s/journal", dir);
	CHECK(unlink(jpath) == 0);
	expect_store(dir, 0, 3, 4);
	check_case("%s", "");
}

/* ------------------------------------------------------------ abort */

static int natkey_is(sh_store *st, unsigned i, uint8_t kind)
{
	uint8_t k[SH_KEY_LEN], id[SH_ID_LEN], want[SH_ID_LEN];
	natkey(k, i);
	msgid(want, i, kind);
	MDB_txn *txn = sh_store_read_begin(st);
	sh_err e = sh_store_natkey_get(st, txn, k, id);
	sh_store_read_end(st, txn);
	if (e == SH_ERR_NOTFOUND)
		return 0;
	return e == SH_OK && memcmp(id, want, SH_ID_LEN) == 0 ? 1 : -1;
}

static sh_err put_natkey(sh_store *st, unsigned i, uint8_t kind)
{
	uint8_t k[SH_KEY_LEN], id[SH_ID_LEN];
	natkey(k, i);
	msgid(id, i, kind);
	return sh_store_natkey_put(st, k, id);
}

/* ------------------------------------------------------- natural keys */

/* Key i of many: spread over the whole index (the natkey() keys differ in
 * their first byte only a little). Keys with the same `tag` share their
 * first 8 bytes, the index's tag, and differ after it. */
static void many_key(uint8_t k[SH_KEY_LEN], unsigned i, unsigned tag)
{
	uint8_t seed[8];
	for (int b = 0; b < 4; b++)
		seed[b] = (uint8_t)(i >> (8 * b));
	for (int b = 0; b < 4; b++)
		seed[4 + b] = (uint8_t)(tag >> (8 * b));
	sh_sha256(k, seed, sizeof(seed));
	if (tag) {
		memset(k, 0, 8);
		k[0] = (uint8_t)tag;
	}
}

/* How many of keys [from, to) the store finds, with the id each was put
 * with (msgid(i, kind)); -1 if one is found with another id. */
static int found_keys(sh_store *st, unsigned from, unsigned to, unsigned tag,
                      uint8_t kind)
{
	int n = 0;
	MDB_txn *txn = sh_store_read_begin(st);
	for (unsigned i = from; i < to; i++) {
		uint8_t k[SH_KEY_LEN], id[SH_ID_LEN], want[SH_ID_LEN];
		many_key(k, i, tag);
		msgid(want, i, kind);
		sh_err e = sh_store_natkey_get(st, txn, k, id);
		if (e == SH_OK && memcmp(id, want, SH_ID_LEN) != 0) {
			n = -1;
			break;
		}
		n += e == SH_OK;
	}
	sh_store_read_end(st, txn);
	return n;
}

static sh_err put_keys(sh_store *st, unsigned from, unsigned to, unsigned tag,
                       uint8_t kind)
{
	sh_err e = SH_OK;
	for (unsigned i = from; i < to && e == SH_OK; i++) {
		uint8_t k[SH_KEY_LEN], id[SH_ID_LEN];
		many_key(k, i, tag);
		msgid(id, i, kind);
		e = sh_store_natkey_put(st, k, id);
	}
	return e;
}

/* One turn that puts keys [from, to) and commits. */
static sh_err put_turn(sh_store *st, unsigned from, unsigned to, unsigned tag,
                       uint8_t kind)
{
	sh_err e = sh_store_begin(st);
	if (e == SH_OK)
		e = put_keys(st, from, to, tag, kind);
	if (e != SH_OK) {
		sh_store_abort(st);
		return e;
	}
	return sh_store_commit(st);
}

/* The store's LMDB environment opened directly, with a transaction
 * (read-only with MDB_RDONLY): for what an older seinhuisd wrote, damage,
 * or the stored bytes themselves. */
static int raw_begin(const char *dir, unsigned flags, MDB_env **env,
                     MDB_txn **txn)
{
	*txn = NULL;
	int rc = mdb_env_create(env);
	if (rc) {
		*env = NULL;
		return rc;
	}
	if (!(rc = mdb_env_set_mapsize(*env, MAP)) &&
	    !(rc = mdb_env_set_maxdbs(*env, 32)) &&
	    !(rc = mdb_env_open(*env, dir, MDB_NOTLS | flags, 0600)))
		rc = mdb_txn_begin(*env, NULL, flags, txn);
	return rc;
}

/* Commits a write transaction that got this far without an error (else
 * drops it) and closes the environment; the first error. */
static int raw_end(MDB_env *env, MDB_txn *txn, int rc)
{
	if (txn && !rc)
		rc = mdb_txn_commit(txn);
	else if (txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	return rc;
}

/* A schema 1 store: the keys in `natkey` (key -> id), written with LMDB
 * directly, as an older seinhuisd left them. */
static void legacy_keys(const char *dir, unsigned n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, nk;
	int rc = raw_begin(dir, 0, &env, &txn);
	if (!rc)
		rc = mdb_dbi_open(txn, "meta", 0, &meta);
	if (!rc)
		rc = mdb_dbi_open(txn, "natkey", MDB_CREATE, &nk);
	for (unsigned i = 0; i < n && !rc; i++) {
		uint8_t k[SH_KEY_LEN], id[SH_ID_LEN];
		many_key(k, i, 0);
		msgid(id, i, 0xE0);
		MDB_val kv = {SH_KEY_LEN, k}, vv = {SH_ID_LEN, id};
		rc = mdb_put(txn, nk, &kv, &vv, 0);
	}
	MDB_val sk = {6, "schema"}, sv = {1, "1"};
	if (!rc)
		rc = mdb_put(txn, meta, &sk, &sv, 0);
	CHECK_INT(raw_end(env, txn, rc), 0);
}

/* What the legacy table and the schema entry hold now. */
static void legacy_after(const char *dir, size_t *left, char schema[2])
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, nk;
	MDB_stat ms;
	MDB_val sk = {6, "schema"}, sv;
	*left = (size_t)-1;
	schema[0] = '?';
	schema[1] = '\0';
	int rc = raw_begin(dir, MDB_RDONLY, &env, &txn);
	CHECK_INT(rc, 0);
	if (!rc && !mdb_dbi_open(txn, "natkey", 0, &nk) &&
	    !mdb_stat(txn, nk, &ms))
		*left = ms.ms_entries;
	if (!rc && !mdb_dbi_open(txn, "meta", 0, &meta) &&
	    !mdb_get(txn, meta, &sk, &sv) && sv.mv_size == 1)
		schema[0] = *(const char *)sv.mv_data;
	raw_end(env, txn, 1); /* read only: dropped */
}

/* A record of 5 bytes in `natkeys`, after the others. */
static void damage_natkeys(const char *dir)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi nk;
	uint8_t kb[8] = {0x7f, 0, 0, 0, 0, 0, 0, 1};
	MDB_val kv = {8, kb}, vv = {5, "short"};
	int rc = raw_begin(dir, 0, &env, &txn);
	if (!rc)
		rc = mdb_dbi_open(txn, "natkeys", 0, &nk);
	if (!rc)
		rc = mdb_put(txn, nk, &kv, &vv, 0);
	CHECK_INT(raw_end(env, txn, rc), 0);
}

/* The store's meta entry natkey_form2 taken out, as a store last opened
 * by a build before it has none. */
static void drop_form2(const char *dir)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	MDB_val k = {12, "natkey_form2"};
	int rc = raw_begin(dir, 0, &env, &txn);
	if (!rc)
		rc = mdb_dbi_open(txn, "meta", 0, &meta);
	if (!rc)
		rc = mdb_del(txn, meta, &k, NULL);
	CHECK_INT(raw_end(env, txn, rc), 0);
}

/* A key put at sequence seq of `natkeys` with LMDB directly, as a build
 * older than natkey_hw would (a data directory taken back to one). */
static void foreign_key(const char *dir, uint64_t seq, unsigned i)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi nk;
	uint8_t kb[8], vb[SH_KEY_LEN + SH_ID_LEN];
	for (int b = 0; b < 8; b++)
		kb[b] = (uint8_t)(seq >> (56 - 8 * b));
	many_key(vb, i, 0);
	msgid(vb + SH_KEY_LEN, i, 0xC1);
	MDB_val kv = {8, kb}, vv = {sizeof(vb), vb};
	int rc = raw_begin(dir, 0, &env, &txn);
	if (!rc)
		rc = mdb_dbi_open(txn, "natkeys", 0, &nk);
	if (!rc)
		rc = mdb_put(txn, nk, &kv, &vv, 0);
	CHECK_INT(raw_end(env, txn, rc), 0);
}

/* The natural keys' table is kept in the order put and found through an
 * index in memory (store.c): every key put is found with its id, through
 * the index's growth, tag collisions, deletes, an aborted turn, reopening
 * (the index built again), and the move of a schema 1 table. */
static void natural_keys(void)
{
	char dir[600], w[512];
	uint8_t k[SH_KEY_LEN];
	check_case("%s", "natural keys");
	new_dir(dir, sizeof(dir), "natkeys");
	sh_store *st = store_open(dir, w, sizeof(w));
	if (!CHECK(st != NULL)) {
		printf("  %s\n", w);
		return;
	}
	/* 5,000 keys in two turns: the index grows past its first size */
	CHECK_ERR(put_turn(st, 0, 2500, 0, 0xA1), SH_OK);
	CHECK_ERR(put_turn(st, 2500, 5000, 0, 0xA1), SH_OK);
	CHECK_INT(found_keys(st, 0, 5000, 0, 0xA1), 5000);
	/* a new store holds no key of the form before 2026-12-05 */
	CHECK_INT(sh_store_natkey_old_live(st), 0);
	CHECK_INT(found_keys(st, 5000, 6000, 0, 0xA1), 0);
	/* 40 keys with one tag (first 8 bytes), found each with its own id */
	CHECK_ERR(put_turn(st, 0, 40, 7, 0xA2), SH_OK);
	CHECK_INT(found_keys(st, 0, 40, 7, 0xA2), 40);
	CHECK_INT(found_keys(st, 40, 80, 7, 0xA2), 0);
	/* a key put again keeps one entry, with the later id */
	CHECK_ERR(put_turn(st, 10, 11, 7, 0xA3), SH_OK);
	CHECK_INT(found_keys(st, 10, 11, 7, 0xA3), 1);
	CHECK_INT(found_keys(st, 0, 10, 7, 0xA2) +
	              found_keys(st, 11, 40, 7, 0xA2),
	          39);
	/* deletes: one key of the shared tag, 1,000 others */
	CHECK_ERR(sh_store_begin(st), SH_OK);
	many_key(k, 20, 7);
	CHECK_ERR(sh_store_natkey_del(st, k), SH_OK);
	CHECK_ERR(sh_store_natkey_del(st, k), SH_OK); /* gone: no error */
	for (unsigned i = 1000; i < 2000; i++) {
		many_key(k, i, 0);
		CHECK_ERR(sh_store_natkey_del(st, k), SH_OK);
	}
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_INT(found_keys(st, 0, 10, 7, 0xA2) +
	              found_keys(st, 11, 40, 7, 0xA2),
	          38);
	CHECK_INT(found_keys(st, 0, 5000, 0, 0xA1), 4000);
	/* an aborted turn leaves the index as it was: its puts are not
	 * found, its deletes are undone, and the next put appends */
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(put_keys(st, 6000, 6500, 0, 0xA4), SH_OK);
	for (unsigned i = 0; i < 500; i++) {
		many_key(k, i, 0);
		CHECK_ERR(sh_store_natkey_del(st, k), SH_OK);
	}
	CHECK_INT(found_keys(st, 6000, 6500, 0, 0xA4), 500);
	CHECK_INT(found_keys(st, 0, 500, 0, 0xA1), 0);
	sh_store_abort(st);
	CHECK_INT(found_keys(st, 6000, 6500, 0, 0xA4), 0);
	CHECK_INT(found_keys(st, 0, 500, 0, 0xA1), 500);
	CHECK_ERR(put_turn(st, 6000, 6100, 0, 0xA5), SH_OK);
	CHECK_INT(found_keys(st, 6000, 6100, 0, 0xA5), 100);
	/* a deleted key put again is found with its new id */
	CHECK_ERR(put_turn(st, 1500, 1501, 0, 0xA6), SH_OK);
	CHECK_INT(found_keys(st, 1500, 1501, 0, 0xA6), 1);
	sh_store_close(&st);

	/* reopened: the index is built from the table as it was left */
	st = store_open(dir, w, sizeof(w));
	if (CHECK(st != NULL)) {
		CHECK_INT(found_keys(st, 0, 1500, 0, 0xA1), 1000);
		CHECK_INT(found_keys(st, 1501, 5000, 0, 0xA1), 3000);
		CHECK_INT(found_keys(st, 1500, 1501, 0, 0xA6), 1);
		CHECK_INT(found_keys(st, 6000, 6100, 0, 0xA5), 100);
		CHECK_INT(found_keys(st, 6100, 6500, 0, 0xA4), 0);
		CHECK_INT(found_keys(st, 0, 10, 7, 0xA2) +
		              found_keys(st, 11, 40, 7, 0xA2),
		          38);
		CHECK_INT(found_keys(st, 10, 11, 7, 0xA3), 1);
		/* and appends after what is there */
		CHECK_ERR(put_turn(st, 7000, 7010, 0, 0xA7), SH_OK);
		CHECK_INT(found_keys(st, 7000, 7010, 0, 0xA7), 10);
		CHECK_INT(sh_store_natkey_old_live(st), 0);
		sh_store_close(&st);
	}

	/* A store last opened by a build before natkey_form2 (which may
	 * have written keys of the old form): every key it holds counts as
	 * old, keys put now do not, and the sender looks up the old form
	 * until the last old key is removed (an aborted turn's removal
	 * undone); then no longer, also after reopening. */
	new_dir(dir, sizeof(dir), "natkeyform");
	st = store_open(dir, w, sizeof(w));
	if (!CHECK(st != NULL))
		return;
	CHECK_ERR(put_turn(st, 0, 100, 0, 0xB1), SH_OK);
	CHECK_INT(sh_store_natkey_old_live(st), 0);
	sh_store_close(&st);
	drop_form2(dir);
	st = store_open(dir, w, sizeof(w));
	if (!CHECK(st != NULL)) {
		printf("  %s\n", w);
		return;
	}
	CHECK_INT(sh_store_natkey_old_live(st), 1);
	CHECK_ERR(put_turn(st, 100, 110, 0, 0xB2), SH_OK);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	for (unsigned i = 0; i < 100; i++) {
		many_key(k, i, 0);
		CHECK_ERR(sh_store_natkey_del(st, k), SH_OK);
	}
	CHECK_INT(sh_store_natkey_old_live(st), 0);
	sh_store_abort(st);
	CHECK_INT(sh_store_natkey_old_live(st), 1);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	for (unsigned i = 0; i < 99; i++) {
		many_key(k, i, 0);
		CHECK_ERR(sh_store_natkey_del(st, k), SH_OK);
	}
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_INT(sh_store_natkey_old_live(st), 1); /* key 99 is left */
	CHECK_ERR(sh_store_begin(st), SH_OK);
	many_key(k, 99, 0);
	CHECK_ERR(sh_store_natkey_del(st, k), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_INT(sh_store_natkey_old_live(st), 0);
	CHECK_INT(found_keys(st, 100, 110, 0, 0xB2), 10);
	sh_store_close(&st);
	st = store_open(dir, w, sizeof(w));
	if (CHECK(st != NULL)) {
		CHECK_INT(sh_store_natkey_old_live(st), 0);
		CHECK_INT(found_keys(st, 100, 110, 0, 0xB2), 10);
		sh_store_close(&st);
	}
	/* taken back to an older build, which put a key after this build's
	 * last one (at sequence 111): every key counts as old again */
	foreign_key(dir, 111, 500);
	st = store_open(dir, w, sizeof(w));
	if (CHECK(st != NULL)) {
		CHECK_INT(sh_store_natkey_old_live(st), 1);
		CHECK_INT(found_keys(st, 500, 501, 0, 0xC1), 1);
		/* every key removed: after reopening, keys numbered from 1
		 * again are not taken for old ones */
		CHECK_ERR(sh_store_begin(st), SH_OK);
		for (unsigned i = 100; i < 110; i++) {
			many_key(k, i, 0);
			CHECK_ERR(sh_store_natkey_del(st, k), SH_OK);
		}
		many_key(k, 500, 0);
		CHECK_ERR(sh_store_natkey_del(st, k), SH_OK);
		CHECK_ERR(sh_store_commit(st), SH_OK);
		CHECK_INT(sh_store_natkey_old_live(st), 0);
		sh_store_close(&st);
	}
	st = store_open(dir, w, sizeof(w));
	if (CHECK(st != NULL)) {
		CHECK_ERR(put_turn(st, 600, 610, 0, 0xB3), SH_OK);
		CHECK_INT(sh_store_natkey_old_live(st), 0);
		sh_store_close(&st);
	}
	st = store_open(dir, w, sizeof(w));
	if (CHECK(st != NULL)) {
		CHECK_INT(sh_store_natkey_old_live(st), 0);
		CHECK_INT(found_keys(st, 600, 610, 0, 0xB3), 10);
		sh_store_close(&st);
	}

	/* a schema 1 store: its keys are moved over at open */
	new_dir(dir, sizeof(dir), "natkey1");
	st = store_open(dir, w, sizeof(w));
	if (!CHECK(st != NULL))
		return;
	sh_store_close(&st);
	legacy_keys(dir, 300);
	size_t left;
	char schema[2];
	legacy_after(dir, &left, schema);
	CHECK_INT(left, 300);
	CHECK_STR(schema, "1");
	st = store_open(dir, w, sizeof(w));
	if (CHECK(st != NULL)) {
		/* schema 1's keys are of the old form, though this build
		 * opened the store before they were written */
		CHECK_INT(sh_store_natkey_old_live(st), 1);
		CHECK_INT(found_keys(st, 0, 300, 0, 0xE0), 300);
		CHECK_INT(found_keys(st, 300, 400, 0, 0xE0), 0);
		CHECK_ERR(put_turn(st, 300, 310, 0, 0xE1), SH_OK);
		CHECK_INT(found_keys(st, 300, 310, 0, 0xE1), 10);
		sh_store_close(&st);
	}
	legacy_after(dir, &left, schema);
	CHECK_INT(left, 0);
	CHECK_STR(schema, "5"); /* schema 1 opens as the newest */
	st = store_open(dir, w, sizeof(w));
	if (CHECK(st != NULL)) {
		CHECK_INT(found_keys(st, 0, 300, 0, 0xE0), 300);
		CHECK_INT(found_keys(st, 300, 310, 0, 0xE1), 10);
		sh_store_close(&st);
	}
	/* a damaged record in the table stops the open, with the reason */
	damage_natkeys(dir);
	st = NULL;
	CHECK_ERR(sh_store_open(&st, dir, MAP, PARTNER, w, sizeof(w)),
	          SH_ERR_STORE_CORRUPT);
	CHECK(strstr(w, "natural-key table") != NULL);
	CHECK(st == NULL);
	check_case("%s", "");
}

/* ------------------------------------------------------- generations */

/* A turn whose changes cancel out: a natural key put, then deleted. */
static int noop_turn(sh_store *st, unsigned i)
{
	uint8_t k[SH_KEY_LEN];
	natkey(k, 100 + i);
	if (sh_store_begin(st) != SH_OK)
		return 1;
	if (put_natkey(st, 100 + i, 0xD0) != SH_OK ||
	    sh_store_natkey_del(st, k) != SH_OK) {
		sh_store_abort(st);
		return 2;
	}
	return sh_store_commit(st) == SH_OK ? 0 : 3;
}

/* Replaying turns that change nothing must still end their generation:
 * else every later open replays them again, and after the next crash they
 * are replayed after (and undo) newer acknowledged turns. Each open and
 * checkpoint draws a new generation and commits it in meta. */
static void generations(void)
{
	char dir[600];
	new_dir(dir, sizeof(dir), "gen");
	check_case("turns that cancel out, then a crash");
	CHECK_INT(crash_child_with(dir, 0, 2, 99, noop_turn), 0);
	expect_store(dir, 2, 0, 0);
	check_case("the next open replays nothing");
	expect_store(dir, 0, 0, 0);
	check_case("acknowledged turns after that, a crash: all there");
	CHECK_INT(crash_child(dir, 0, 2, 99), 0);
	expect_store(dir, 2, 2, 2);
	check_case("a checkpoint of turns that cancel out");
	CHECK_INT(crash_child_with(dir, 0, 1, 0, noop_turn), 0);
	expect_store(dir, 0, 2, 2);
}

static void abort_rebuild(void)
{
	char dir[600], why[1024];
	new_dir(dir, sizeof(dir), "abort");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	check_case("abort: turn 1 commits A, turn 2 writes B and aborts");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(put_natkey(st, 1, 0xA0), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(put_natkey(st, 2, 0xA0), SH_OK);
	CHECK_INT(natkey_is(st, 2, 0xA0), 1); /* seen within the turn */
	sh_store_abort(st);
	CHECK(!sh_store_in_txn(st));
	CHECK_INT(natkey_is(st, 1, 0xA0), 1);
	CHECK_INT(natkey_is(st, 2, 0xA0), 0);

	check_case("abort: a changed value goes back to the committed one");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(put_natkey(st, 3, 0xA0), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(put_natkey(st, 3, 0xEE), SH_OK);
	CHECK_ERR(put_natkey(st, 4, 0xA0), SH_OK);
	uint8_t k1[SH_KEY_LEN];
	natkey(k1, 1);
	CHECK_ERR(sh_store_natkey_del(st, k1), SH_OK);
	CHECK_INT(natkey_is(st, 1, 0xA0), 0);
	sh_store_abort(st);
	CHECK_INT(natkey_is(st, 1, 0xA0), 1);
	CHECK_INT(natkey_is(st, 3, 0xA0), 1);
	CHECK_INT(natkey_is(st, 4, 0xA0), 0);

	check_case("abort: the first turn after a checkpoint");
	CHECK_ERR(sh_store_checkpoint(st), SH_OK);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(put_natkey(st, 5, 0xA0), SH_OK);
	sh_store_abort(st);
	CHECK_INT(natkey_is(st, 5, 0xA0), 0);
	CHECK_INT(natkey_is(st, 3, 0xA0), 1);

	check_case("abort: turns go on after it");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(put_natkey(st, 6, 0xA0), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_INT(natkey_is(st, 6, 0xA0), 1);
	why[0] = '\0';
	if (!CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK))
		printf("     %s\n", why);
	sh_store_close(&st);

	check_case("abort: after reopening");
	st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL)) {
		printf("     %s\n", why);
		return;
	}
	CHECK_INT(sh_store_replayed(st), 0);
	CHECK_INT(natkey_is(st, 1, 0xA0), 1);
	CHECK_INT(natkey_is(st, 2, 0xA0), 0);
	CHECK_INT(natkey_is(st, 3, 0xA0), 1);
	CHECK_INT(natkey_is(st, 4, 0xA0), 0);
	CHECK_INT(natkey_is(st, 5, 0xA0), 0);
	CHECK_INT(natkey_is(st, 6, 0xA0), 1);
	sh_store_close(&st);
	check_case("%s", "");
}

/* ------------------------------------------------------------ seen check */

/* sh_store_check merges the inbox with the seen index a chunk of id/seq
 * pairs at a time (2^20 in the daemon). With chunks of 3, ten signals take
 * four chunks, the last one short; a signal missing from the index is
 * named by its record in whichever chunk it falls. */
static void seen_chunks(void)
{
	char dir[600], why[1024] = "";
	size_t keep = sh_store_seen_chunk;
	new_dir(dir, sizeof(dir), "seen-chunks");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	for (unsigned i = 0; i < 10; i++)
		CHECK_INT(one_turn(st, i), 0);
	sh_store_seen_chunk = 3;
	if (!CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK))
		printf("     %s\n", why);
	sh_store_close(&st);

	/* drop the seen entry of turn 4's signal (inbox record 5, in the
	 * second chunk) behind the store's back */
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t iid[SH_ID_LEN];
	msgid(iid, 4, 0xC0);
	MDB_val k = {SH_ID_LEN, iid};
	CHECK_INT(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 32);
	mdb_env_set_mapsize(env, MAP);
	CHECK_INT(mdb_env_open(env, dir, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "seen", 0, &dbi), 0);
	CHECK_INT(mdb_del(txn, dbi, &k, NULL), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	st = store_open(dir, why, sizeof(why));
	if (CHECK(st != NULL)) {
		CHECK_ERR(sh_store_check(st, why, sizeof(why)),
		          SH_ERR_STORE_CORRUPT);
		CHECK_STR(why,
		          "inbox: record 5 is missing from the seen index");
		sh_store_seen_chunk = 100; /* one chunk: the same finding */
		CHECK_ERR(sh_store_check(st, why, sizeof(why)),
		          SH_ERR_STORE_CORRUPT);
		CHECK_STR(why,
		          "inbox: record 5 is missing from the seen index");
		sh_store_close(&st);
	}
	sh_store_seen_chunk = keep;
}

/* ------------------------------------------------------------ lock */

static void second_opener(void)
{
	char dir[600], why[1024];
	int fds[2];
	new_dir(dir, sizeof(dir), "lock");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	CHECK_INT(one_turn(st, 0), 0);
	if (pipe(fds) < 0) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		/* The parent's store is not touched here (its journal fd is
		 * shared, its LMDB environment must not be used after fork):
		 * only a second open of the directory. */
		sh_store *st2 = NULL;
		char w[1024] = "";
		close(fds[0]);
		alarm(20); /* if the open is not refused, LMDB's writer lock
		              would block it: fail, do not hang */
		sh_err e = sh_store_open(&st2, dir, MAP, PARTNER, w, sizeof(w));
		size_t n = strlen(w);
		if (write(fds[1], w, n) != (ssize_t)n)
			_exit(3);
		_exit(e == SH_OK ? 1 : 0);
	}
	close(fds[1]);
	char got[1100];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(got) - 1 &&
	       (r = read(fds[0], got + n, sizeof(got) - 1 - n)) > 0)
		n += (size_t)r;
	got[n] = '\0';
	close(fds[0]);
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	check_case("second opener: refused");
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
	CHECK_HAS(got, "in use");
	/* the first store is unharmed */
	CHECK_INT(turn_present(st, 0), 1);
	CHECK_INT(one_turn(st, 1), 0);
	sh_store_close(&st);
	/* once closed, another process may open it */
	check_case("second opener: after close");
	expect_store(dir, 0, 2, 3);
	check_case("%s", "");
}

/* The stored bytes of outbox record `seq`, read with LMDB directly from a
 * closed store's directory; NULL if absent. */
static uint8_t *outbox_bytes(const char *dir, uint64_t seq, size_t *len)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t kb[8], *out = NULL;
	for (int i = 7; i >= 0; i--, seq >>= 8)
		kb[i] = (uint8_t)seq;
	MDB_val k = {8, kb}, v;
	if (raw_begin(dir, MDB_RDONLY, &env, &txn) == 0 &&
	    mdb_dbi_open(txn, "outbox", 0, &dbi) == 0 &&
	    mdb_get(txn, dbi, &k, &v) == 0) {
		out = malloc(v.mv_size + 1);
		memcpy(out, v.mv_data, v.mv_size);
		*len = v.mv_size;
	}
	raw_end(env, txn, 1); /* read only: dropped */
	return out;
}

/* sh_store_outbox_settle as a delivered receipt calls it: 1 settled, 0
 * left to the decoding path, -1 an error. */
static int settle_one(sh_store *st, uint64_t seq, const uint8_t id[SH_ID_LEN],
                      uint32_t attempts, int64_t done_ms,
                      Seinhuis__SignalType *type)
{
	int done = -1;
	sh_err e = sh_store_outbox_settle(st, seq, id,
	                                  SEINHUIS__OUT_STATE__OUT_DELIVERED,
	                                  attempts, done_ms, type, &done);
	return e == SH_OK ? done : -1;
}

/* sh_store_outbox_settle writes the bytes that decoding, changing and
 * packing the record would (the path it replaces), and leaves alone what
 * it cannot settle. */
static void settle_in_place(void)
{
	char dir[512], why[1024];
	new_dir(dir, sizeof(dir), "settle");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	uint8_t id[3][SH_ID_LEN], nk[SH_KEY_LEN], fid[SH_ID_LEN], sha[32];
	uint8_t env[700];
	uint64_t seq[3] = {0, 0, 0};
	for (unsigned i = 0; i < 3; i++)
		msgid(id[i], i, 0xD0);
	natkey(nk, 7);
	msgid(fid, 9, 0xE0);
	memset(sha, 0x33, sizeof(sha));
	for (size_t i = 0; i < sizeof(env); i++)
		env[i] = (uint8_t)(i * 7);
	/* 0: every field set; 1: as few as a pending record has; 2: damaged
	 * behind the store's back (below) */
	Seinhuis__OutboxRecord full = SEINHUIS__OUTBOX_RECORD__INIT;
	full.message_id.data = id[0];
	full.message_id.len = SH_ID_LEN;
	full.recipient = "gemeente-test";
	full.type = SEINHUIS__SIGNAL_TYPE__ARREARS;
	full.state = SEINHUIS__OUT_STATE__OUT_PENDING;
	full.attempts = 2;
	full.created_ms = 1790000000000;
	full.done_ms = 5;
	full.rule = "RULE_BEFORE";
	full.detail = "a detail";
	full.envelope.data = env;
	full.envelope.len = sizeof(env);
	full.natural_key.data = nk;
	full.natural_key.len = SH_KEY_LEN;
	full.feedback_status = "contact_made";
	full.feedback_ms = 1790000000999;
	full.feedback_id.data = fid;
	full.feedback_id.len = SH_ID_LEN;
	full.feedback_created_ms = 1790000000900;
	full.envelope_sha256.data = sha;
	full.envelope_sha256.len = sizeof(sha);
	Seinhuis__OutboxRecord few = SEINHUIS__OUTBOX_RECORD__INIT;
	few.message_id.data = id[1];
	few.message_id.len = SH_ID_LEN;
	few.recipient = "gemeente-test";
	few.type = SEINHUIS__SIGNAL_TYPE__ARREARS;
	few.state = SEINHUIS__OUT_STATE__OUT_PENDING;
	few.envelope.data = env;
	few.envelope.len = 100;
	Seinhuis__OutboxRecord third = few;
	third.message_id.data = id[2];

	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(sh_store_outbox_add(st, &full, &seq[0]), SH_OK);
	CHECK_ERR(sh_store_outbox_add(st, &few, &seq[1]), SH_OK);
	CHECK_ERR(sh_store_outbox_add(st, &third, &seq[2]), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);

	Seinhuis__SignalType type = 0;
	CHECK_ERR(sh_store_begin(st), SH_OK);
	/* another message's id: not settled, nothing changed */
	CHECK_INT(settle_one(st, seq[0], id[1], 3, 1790000000500, &type), 0);
	CHECK_INT(settle_one(st, seq[0], id[0], 3, 1790000000500, &type), 1);
	CHECK_INT(type, SEINHUIS__SIGNAL_TYPE__ARREARS);
	/* settled: a second receipt finds nothing pending */
	CHECK_INT(settle_one(st, seq[0], id[0], 4, 1790000000600, &type), 0);
	CHECK_INT(settle_one(st, seq[1], id[1], 1, 1790000000700, &type), 1);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	sh_store_counts c;
	sh_store_counts_get(st, &c);
	CHECK_INT(c.outbox_pending, 1);
	CHECK_INT(c.outbox_delivered, 2);
	sh_store_close(&st);

	/* what the decoding path would have written */
	full.state = few.state = SEINHUIS__OUT_STATE__OUT_DELIVERED;
	full.attempts = 3;
	full.done_ms = 1790000000500;
	full.envelope.len = few.envelope.len = 0;
	few.attempts = 1;
	few.done_ms = 1790000000700;
	const Seinhuis__OutboxRecord *want[2] = {&full, &few};
	for (unsigned i = 0; i < 2; i++) {
		check_case("record %u", i);
		size_t n = 0,
		       wn = seinhuis__outbox_record__get_packed_size(want[i]);
		uint8_t *w = malloc(wn), *got = outbox_bytes(dir, seq[i], &n);
		seinhuis__outbox_record__pack(want[i], w);
		if (CHECK(got != NULL)) {
			CHECK_INT(n, wn);
			CHECK(n == wn && memcmp(got, w, n) == 0);
		}
		free(got);
		free(w);
	}
	check_case("%s", "");

	/* record 2 damaged: a length that runs past its end. Not settled
	 * here (the decoding path reports it); a field number out of order
	 * is not settled either. */
	MDB_env *e;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t kb[8] = {0}, bad[3][40];
	size_t badn[3];
	kb[7] = (uint8_t)seq[2];
	/* id, then a length-delimited field 10 claiming 100 bytes */
	bad[0][0] = 0x0a, bad[0][1] = SH_ID_LEN;
	memcpy(bad[0] + 2, id[2], SH_ID_LEN);
	bad[0][18] = 0x20, bad[0][19] = 1, bad[0][20] = 0x52, bad[0][21] = 100;
	badn[0] = 22;
	/* state before id */
	bad[1][0] = 0x20, bad[1][1] = 1, bad[1][2] = 0x0a,
	bad[1][3] = SH_ID_LEN;
	memcpy(bad[1] + 4, id[2], SH_ID_LEN);
	badn[1] = 20;
	/* a varint that never ends */
	memcpy(bad[2], bad[0], 18);
	memset(bad[2] + 18, 0xff, 12);
	badn[2] = 30;
	for (unsigned b = 0; b < 3; b++) {
		check_case("damaged record %u", b);
		MDB_val k = {8, kb}, v = {badn[b], bad[b]};
		CHECK_INT(mdb_env_create(&e), 0);
		mdb_env_set_maxdbs(e, 32);
		mdb_env_set_mapsize(e, MAP);
		CHECK_INT(mdb_env_open(e, dir, 0, 0600), 0);
		CHECK_INT(mdb_txn_begin(e, NULL, 0, &txn), 0);
		CHECK_INT(mdb_dbi_open(txn, "outbox", 0, &dbi), 0);
		CHECK_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
		CHECK_INT(mdb_txn_commit(txn), 0);
		mdb_env_close(e);
		st = store_open(dir, why, sizeof(why));
		if (!CHECK(st != NULL))
			break;
		CHECK_ERR(sh_store_begin(st), SH_OK);
		CHECK_INT(settle_one(st, seq[2], id[2], 1, 1, &type), 0);
		sh_store_abort(st);
		sh_store_close(&st);
		size_t n = 0;
		uint8_t *got = outbox_bytes(dir, seq[2], &n);
		CHECK(got && n == badn[b] && memcmp(got, bad[b], n) == 0);
		free(got);
	}
	check_case("%s", "");
}

/* Entries and leaf pages of a table of a closed store; -1 entries if it
 * cannot be read. */
static void table_stat(const char *dir, const char *name, long *entries,
                       long *leaves)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_stat ms;
	*entries = *leaves = -1;
	if (raw_begin(dir, MDB_RDONLY, &env, &txn) == 0 &&
	    mdb_dbi_open(txn, name, 0, &dbi) == 0 &&
	    mdb_stat(txn, dbi, &ms) == 0) {
		*entries = (long)ms.ms_entries;
		*leaves = (long)ms.ms_leaf_pages;
	}
	raw_end(env, txn, 1);
}

/* A pending outbox record as the daemon makes it. */
static Seinhuis__OutboxRecord pending_rec(uint8_t id[SH_ID_LEN], unsigned i,
                                          const uint8_t *env, size_t envlen)
{
	Seinhuis__OutboxRecord r = SEINHUIS__OUTBOX_RECORD__INIT;
	msgid(id, i, 0xA0);
	r.message_id.data = id;
	r.message_id.len = SH_ID_LEN;
	r.recipient = "gemeente-test";
	r.type = SEINHUIS__SIGNAL_TYPE__ARREARS;
	r.state = SEINHUIS__OUT_STATE__OUT_PENDING;
	r.created_ms = 1790000000000 + i;
	r.envelope.data = (uint8_t *)env;
	r.envelope.len = envlen;
	return r;
}

/* 1 if outbox record seq reads back pending with exactly env. */
static int reads_envelope(sh_store *st, const uint8_t id[SH_ID_LEN],
                          const uint8_t *env, size_t envlen)
{
	uint64_t seq;
	Seinhuis__OutboxRecord *r = NULL;
	MDB_txn *txn = sh_store_read_begin(st);
	int ok = txn && sh_store_outbox_find(st, txn, id, &seq, &r) == SH_OK &&
	         r->state == SEINHUIS__OUT_STATE__OUT_PENDING &&
	         r->envelope.len == envlen &&
	         memcmp(r->envelope.data, env, envlen) == 0;
	if (r)
		seinhuis__outbox_record__free_unpacked(r, NULL);
	if (txn)
		sh_store_read_end(st, txn);
	return ok;
}

/* Schema 3: a pending record's envelope waits in `outbox_env`, and the
 * record stays small, with room for what settling adds, so that settled
 * records fill their pages (with the envelope inside, a page kept the few
 * records it had when it was split: 1,023 bytes a record here; without the
 * room, a settled record that grew split its full page in two: 126). A
 * schema 2 record with its envelope inside is still read and settled; a
 * pending record without an envelope is named by the check. */
static void outbox_envelopes(void)
{
	enum { N = 3000, TURN = 100 };
	char dir[512], why[1024];
	new_dir(dir, sizeof(dir), "outenv");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	static uint8_t env[900], ids[N + 2][SH_ID_LEN];
	static uint64_t seqs[N + 2];
	for (size_t i = 0; i < sizeof(env); i++)
		env[i] = (uint8_t)(i * 13 + 1);
	Seinhuis__SignalType type;
	/* as the daemon does: a turn accepts signals, a later one settles
	 * them */
	check_case("accept and settle %d", N);
	for (unsigned t = 0; t <= N / TURN; t++) {
		CHECK_ERR(sh_store_begin(st), SH_OK);
		for (unsigned i = t * TURN; t < N / TURN && i < (t + 1) * TURN;
		     i++) {
			Seinhuis__OutboxRecord r =
			    pending_rec(ids[i], i, env, sizeof(env));
			CHECK_ERR(sh_store_outbox_add(st, &r, &seqs[i]), SH_OK);
		}
		for (unsigned i = t ? (t - 1) * TURN : 0; t && i < t * TURN;
		     i++)
			CHECK_INT(settle_one(st, seqs[i], ids[i], 1,
			                     1790000001000 + i, &type),
			          1);
		CHECK_ERR(sh_store_commit(st), SH_OK);
	}
	/* one left pending */
	CHECK_ERR(sh_store_begin(st), SH_OK);
	Seinhuis__OutboxRecord p = pending_rec(ids[N], N, env, sizeof(env));
	CHECK_ERR(sh_store_outbox_add(st, &p, &seqs[N]), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_INT(reads_envelope(st, ids[N], env, sizeof(env)), 1);
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	sh_store_close(&st);
	long entries, leaves, envs, el;
	table_stat(dir, "outbox", &entries, &leaves);
	table_stat(dir, "outbox_env", &envs, &el);
	CHECK_INT(entries, N + 1);
	CHECK_INT(envs, 1);
	size_t n = 0;
	uint8_t *raw = outbox_bytes(dir, seqs[N], &n);
	CHECK(raw != NULL && n < 100); /* the record without its envelope */
	free(raw);
	printf("outbox: %ld records in %ld leaf pages, %ld bytes a record\n",
	       entries, leaves, entries > 0 ? leaves * 4096 / entries : -1);
	CHECK(entries > 0 && leaves * 4096 / entries < 100);

	/* settled: its envelope goes */
	check_case("settle the last");
	st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_INT(settle_one(st, seqs[N], ids[N], 1, 1790000009000, &type), 1);
	/* another pending one, whose envelope is then lost (below) */
	p = pending_rec(ids[N + 1], N + 1, env, 100);
	CHECK_ERR(sh_store_outbox_add(st, &p, &seqs[N + 1]), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	sh_store_close(&st);
	table_stat(dir, "outbox_env", &envs, &el);
	CHECK_INT(envs, 1);

	/* a pending record whose envelope is gone: named by the check */
	check_case("envelope lost");
	MDB_env *e;
	MDB_txn *txn;
	MDB_dbi dbi, out;
	uint8_t kb[8];
	for (int i = 7, s = 0; i >= 0; i--, s += 8)
		kb[i] = (uint8_t)(seqs[N + 1] >> s);
	MDB_val k = {8, kb};
	CHECK_INT(raw_begin(dir, 0, &e, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "outbox_env", 0, &dbi), 0);
	CHECK_INT(mdb_del(txn, dbi, &k, NULL), 0);
	CHECK_INT(raw_end(e, txn, 0), 0);
	st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	why[0] = 0;
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_ERR_STORE_CORRUPT);
	CHECK(strstr(why, "has no envelope") != NULL);
	sh_store_close(&st);

	/* a schema 2 record (envelope inside) in its place: read, checked
	 * and settled as before, and smaller once settled */
	check_case("schema 2 record");
	Seinhuis__OutboxRecord old = pending_rec(ids[N + 1], N + 1, env, 300);
	size_t on = seinhuis__outbox_record__get_packed_size(&old);
	uint8_t *ob = malloc(on);
	seinhuis__outbox_record__pack(&old, ob);
	MDB_val ov = {on, ob};
	CHECK_INT(raw_begin(dir, 0, &e, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "outbox", 0, &out), 0);
	CHECK_INT(mdb_put(txn, out, &k, &ov, 0), 0);
	CHECK_INT(raw_end(e, txn, 0), 0);
	free(ob);
	st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	CHECK_INT(reads_envelope(st, ids[N + 1], env, 300), 1);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_INT(
	    settle_one(st, seqs[N + 1], ids[N + 1], 2, 1790000009500, &type),
	    1);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	sh_store_close(&st);
	raw = outbox_bytes(dir, seqs[N + 1], &n);
	CHECK(raw != NULL && n < 100);
	free(raw);
	table_stat(dir, "outbox_env", &envs, &el);
	CHECK_INT(envs, 0);
	check_case("%s", "");
}

static int requeue_all(void *ctx, uint64_t seq, const Seinhuis__OutboxRecord *r)
{
	(void)seq;
	(void)r;
	(*(size_t *)ctx)++;
	return 1;
}

/* The resend window (recover): a record settled as delivered keeps its
 * envelope until its signal is that old, on the fast settling path and on
 * the decoding one; sh_store_outbox_requeue turns those delivered to one
 * partner since a time pending again, with their envelope, and only
 * those; sh_store_outbox_env_expire drops envelopes past the window and
 * never a pending record's. */
static void resend_window(void)
{
	char dir[512], why[1024];
	const int64_t t0 = 1790000000000;
	new_dir(dir, sizeof(dir), "resend");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	sh_store_set_resend_window(st, 10000);
	static const uint8_t env[400] = {9, 8, 7};
	uint8_t id[5][SH_ID_LEN];
	uint64_t seq[5];
	Seinhuis__SignalType type;
	long envs, el;
	size_t n = 0, calls = 0, dropped = 0;
	int more = 0;
	check_case("settle: kept within the window, dropped past it");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	for (unsigned i = 0; i < 5; i++) {
		Seinhuis__OutboxRecord r =
		    pending_rec(id[i], 600 + i, env, sizeof(env));
		r.created_ms = t0 + 1000 * (int64_t)i;
		if (i == 3)
			r.recipient = "other-partner";
		CHECK_ERR(sh_store_outbox_add(st, &r, &seq[i]), SH_OK);
	}
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_INT(settle_one(st, seq[0], id[0], 1, t0 + 5000, &type), 1);
	CHECK_INT(settle_one(st, seq[1], id[1], 1, t0 + 5000, &type), 1);
	/* created t0 + 2 s, settled 20 s later: past the window */
	CHECK_INT(settle_one(st, seq[2], id[2], 1, t0 + 20000, &type), 1);
	CHECK_INT(settle_one(st, seq[3], id[3], 1, t0 + 5000, &type), 1);
	/* the decoding path, as for a record settling can't take in place */
	Seinhuis__OutboxRecord *r4 = NULL;
	CHECK_ERR(sh_store_outbox_envelope(st, sh_store_txn(st), seq[4], &r4),
	          SH_OK);
	if (r4) {
		r4->state = SEINHUIS__OUT_STATE__OUT_DELIVERED;
		r4->done_ms = t0 + 6000;
		r4->envelope.len = 0;
		CHECK_ERR(sh_store_outbox_replace(
		              st, seq[4], SEINHUIS__OUT_STATE__OUT_PENDING, r4),
		          SH_OK);
		seinhuis__outbox_record__free_unpacked(r4, NULL);
	}
	CHECK_ERR(sh_store_commit(st), SH_OK);
	sh_store_close(&st);
	table_stat(dir, "outbox_env", &envs, &el);
	CHECK_INT(envs, 4); /* 0, 1, 3, 4 */

	check_case("requeue: one partner's, delivered since, with envelope");
	st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	sh_store_set_resend_window(st, 10000);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	/* not one created before t0 + 1 s (the sender's window and age) */
	CHECK_ERR(sh_store_outbox_requeue(st, "gemeente-test", t0 + 5000,
	                                  t0 + 1000, requeue_all, &calls, &n),
	          SH_OK);
	CHECK_INT(n, 2); /* 1, 4 */
	CHECK_ERR(sh_store_outbox_requeue(st, "gemeente-test", t0 + 5000, t0,
	                                  requeue_all, &calls, &n),
	          SH_OK);
	CHECK_INT(n, 1); /* 0: not 2 (no envelope), not 3 (other partner) */
	CHECK_INT(calls, 3);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_INT(reads_envelope(st, id[0], env, sizeof(env)), 1);
	CHECK_INT(reads_envelope(st, id[4], env, sizeof(env)), 1);
	CHECK_INT(reads_envelope(st, id[3], env, sizeof(env)), 0);
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	check_case("requeue: pending ones are not taken twice");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(sh_store_outbox_requeue(st, "gemeente-test", t0, t0,
	                                  requeue_all, &calls, &n),
	          SH_OK);
	CHECK_INT(n, 0);
	/* settled again, later: then not asked for from after that */
	CHECK_INT(settle_one(st, seq[0], id[0], 2, t0 + 6000, &type), 1);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(sh_store_outbox_requeue(st, "gemeente-test", t0 + 7000, t0,
	                                  requeue_all, &calls, &n),
	          SH_OK);
	CHECK_INT(n, 0);
	CHECK_ERR(sh_store_commit(st), SH_OK);

	check_case("expire: past the window dropped, pending kept");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	/* 0 (created t0) is past; 1 and 4 are pending; 3 (t0 + 3 s) is not */
	CHECK_ERR(
	    sh_store_outbox_env_expire(st, t0 + 10500, 100, &dropped, &more),
	    SH_OK);
	CHECK_INT(dropped, 1);
	CHECK_INT(more, 0);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_INT(reads_envelope(st, id[1], env, sizeof(env)), 1);
	check_case("expire: window 0 drops every delivered one");
	sh_store_set_resend_window(st, 0);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(
	    sh_store_outbox_env_expire(st, t0 + 10500, 100, &dropped, &more),
	    SH_OK);
	CHECK_INT(dropped, 1); /* 3 */
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	sh_store_close(&st);
	table_stat(dir, "outbox_env", &envs, &el);
	CHECK_INT(envs, 2); /* the pending 1 and 4 */
	check_case("%s", "");
}

/* sh_store_outbox_requeue_from in steps of 3 turns the same records
 * pending as one call would: 7 delivered to one partner, 2 to another and
 * 1 pending among them; each step's *next is where the next starts, the
 * last says 0, and a step never takes a record twice; a step undone with
 * its turn and made again takes the same ones. */
static int requeue_note(void *ctx, uint64_t seq,
                        const Seinhuis__OutboxRecord *r)
{
	(void)r;
	uint64_t *seen = ctx;
	for (size_t i = 1; i <= seen[0]; i++)
		if (seen[i] == seq)
			return 0; /* twice: not taken again */
	seen[++seen[0]] = seq;
	return 1;
}

static void requeue_steps(void)
{
	char dir[512], why[1024];
	const int64_t t0 = 1790000000000;
	new_dir(dir, sizeof(dir), "reqsteps");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	sh_store_set_resend_window(st, 3600000);
	static const uint8_t env[100] = {5};
	uint8_t id[10][SH_ID_LEN];
	uint64_t seq[10], seen[16] = {0};
	Seinhuis__SignalType type;
	CHECK_ERR(sh_store_begin(st), SH_OK);
	for (unsigned i = 0; i < 10; i++) {
		Seinhuis__OutboxRecord r =
		    pending_rec(id[i], 900 + i, env, sizeof(env));
		r.created_ms = t0;
		if (i == 2 || i == 6)
			r.recipient = "other-partner";
		CHECK_ERR(sh_store_outbox_add(st, &r, &seq[i]), SH_OK);
	}
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	for (unsigned i = 0; i < 10; i++)
		if (i != 4) /* 4 stays pending */
			CHECK_INT(
			    settle_one(st, seq[i], id[i], 1, t0 + 1000, &type),
			    1);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	check_case("requeue in steps of 3");
	uint64_t from = 0, next = 0;
	size_t n = 0, total = 0, steps = 0;
	do {
		/* a step whose turn fails is made again from the same place
		 * (peer.c): it takes what the failed one took; step 1 is
		 * made once undone, then again */
		for (int undone = steps == 1; undone >= 0; undone--) {
			uint64_t keep[16];
			memcpy(keep, seen, sizeof(keep));
			CHECK_ERR(sh_store_begin(st), SH_OK);
			CHECK_ERR(sh_store_outbox_requeue_from(
			              st, "gemeente-test", t0, t0, from, 3,
			              requeue_note, seen, &n, &next),
			          SH_OK);
			if (undone) {
				sh_store_abort(st);
				memcpy(seen, keep, sizeof(keep));
			} else {
				CHECK_ERR(sh_store_commit(st), SH_OK);
			}
		}
		CHECK(next == 0 || next > from);
		total += n;
		from = next;
	} while (next && ++steps < 10);
	CHECK_INT(steps, 3); /* 10 envelopes: 3 + 3 + 3 + 1 */
	CHECK_INT(total, 7);
	CHECK_INT(seen[0], 7);
	for (size_t i = 1; i <= seen[0]; i++)
		CHECK(seen[i] != seq[2] && seen[i] != seq[6] &&
		      seen[i] != seq[4]);
	check_case(
	    "requeue in steps: all pending now, a second pass takes none");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(sh_store_outbox_requeue_from(st, "gemeente-test", t0, t0, 0,
	                                       100, requeue_note, seen, &n,
	                                       &next),
	          SH_OK);
	CHECK_INT(n, 0);
	CHECK_INT(next, 0);
	CHECK_ERR(sh_store_outbox_requeue_from(st, "gemeente-test", t0, t0, 0,
	                                       0, requeue_note, seen, &n,
	                                       &next),
	          SH_ERR_STORE);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	sh_store_close(&st);
	check_case("%s", "");
}

/* sh_store_outbox_env_expire drops at most `max` a call and says there is
 * more; a pending record among old ones is passed over, and the scan stops
 * at the first young one. */
static void expire_capped(void)
{
	char dir[512], why[1024];
	const int64_t t0 = 1790000000000;
	new_dir(dir, sizeof(dir), "expcap");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	sh_store_set_resend_window(st, 10000);
	static const uint8_t env[200] = {1, 2, 3};
	uint8_t id[9][SH_ID_LEN];
	uint64_t seq[9];
	Seinhuis__SignalType type;
	size_t dropped = 0;
	int more = 0;
	long envs, el;
	CHECK_ERR(sh_store_begin(st), SH_OK);
	for (unsigned i = 0; i < 9; i++) {
		Seinhuis__OutboxRecord r =
		    pending_rec(id[i], 800 + i, env, sizeof(env));
		/* 0..6 old, 7 and 8 young */
		r.created_ms = t0 + (i < 7 ? 0 : 60000);
		CHECK_ERR(sh_store_outbox_add(st, &r, &seq[i]), SH_OK);
	}
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	for (unsigned i = 0; i < 9; i++)
		if (i != 3) /* 3 stays pending */
			CHECK_INT(
			    settle_one(st, seq[i], id[i], 1, t0 + 1000, &type),
			    1);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	check_case("expire: capped at max, more said");
	size_t total = 0;
	for (int round = 0; round < 3; round++) {
		CHECK_ERR(sh_store_begin(st), SH_OK);
		CHECK_ERR(sh_store_outbox_env_expire(st, t0 + 65000, 4,
		                                     &dropped, &more),
		          SH_OK);
		CHECK_ERR(sh_store_commit(st), SH_OK);
		total += dropped;
		if (round == 0) {
			CHECK_INT(dropped, 4);
			CHECK_INT(more, 1);
		} else if (round == 1) {
			CHECK_INT(dropped, 2); /* 5 and 6; 3 passed over */
			CHECK_INT(more, 0);
		} else {
			CHECK_INT(dropped, 0);
		}
	}
	CHECK_INT(total, 6);
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	sh_store_close(&st);
	table_stat(dir, "outbox_env", &envs, &el);
	CHECK_INT(envs, 3); /* pending 3, young 7 and 8 */
	check_case("%s", "");
}

/* sh_store_committed_before: 0 for a new store; after turns and a
 * checkpoint, that checkpoint's time at the next open; an open without
 * turns (seinhuisd -t on a restored backup) leaves it. */
static void committed_time(void)
{
	char dir[512], why[1024];
	static const uint8_t env[50] = {4};
	uint8_t id[SH_ID_LEN];
	uint64_t seq;
	new_dir(dir, sizeof(dir), "committed");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	CHECK_INT(sh_store_committed_before(st), 0);
	int64_t t0 = sh_now_ms();
	CHECK_ERR(sh_store_begin(st), SH_OK);
	Seinhuis__OutboxRecord r = pending_rec(id, 700, env, sizeof(env));
	CHECK_ERR(sh_store_outbox_add(st, &r, &seq), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_ERR(sh_store_checkpoint(st), SH_OK);
	int64_t t1 = sh_now_ms();
	sh_store_close(&st);
	for (int i = 0; i < 2; i++) {
		st = store_open(dir, why, sizeof(why));
		if (!CHECK(st != NULL))
			return;
		int64_t c = sh_store_committed_before(st);
		CHECK(c >= t0 && c <= t1);
		sh_store_close(&st);
	}
}

/* seinctl recover's request kept per partner in meta: read back after a
 * reopen, undone with an aborted turn, cleared by 0, and refused outside a
 * turn. */
static int64_t recover_of(sh_store *st, const char *partner)
{
	MDB_txn *txn = sh_store_read_begin(st);
	if (!txn)
		return -1;
	int64_t v = sh_store_recover_get(st, txn, partner);
	sh_store_read_end(st, txn);
	return v;
}

static int recover_turn(sh_store *st, unsigned i)
{
	char partner[32];
	snprintf(partner, sizeof(partner), "corp-%u", i);
	if (sh_store_begin(st) != SH_OK)
		return 1;
	if (sh_store_recover_set(st, partner, 1700000000000 + i) != SH_OK)
		return 2;
	return sh_store_commit(st) == SH_OK ? 0 : 3;
}

/* Prints of taken reports in meta: kept across a reopen, found by id,
 * expired by the time they were kept, at most max a call; the recover
 * requests beside them untouched. */
static void report_prints(void)
{
	char dir[512], why[1024];
	new_dir(dir, sizeof(dir), "prints");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	uint8_t id[4][SH_ID_LEN], *p = NULL;
	size_t n = 0, removed = 0;
	for (int i = 0; i < 4; i++)
		memset(id[i], 0x40 + i, SH_ID_LEN);
	check_case("prints: put only in a turn; three kept, and a recover");
	CHECK_ERR(sh_store_print_put(st, id[0], 100, (const uint8_t *)"a", 1),
	          SH_ERR_STORE);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	for (int i = 0; i < 3; i++)
		CHECK_ERR(sh_store_print_put(st, id[i], 100 * (i + 1),
		                             (const uint8_t *)"tags", 4),
		          SH_OK);
	CHECK_ERR(sh_store_recover_set(st, "corp-a", 50), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	sh_store_close(&st);
	st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	check_case("prints: found by id after a reopen, NOT_FOUND for another");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(sh_store_print_get(st, sh_store_txn(st), id[1], &p, &n),
	          SH_OK);
	CHECK(n == 4 && p && memcmp(p, "tags", 4) == 0);
	free(p);
	CHECK_ERR(sh_store_print_get(st, sh_store_txn(st), id[3], &p, &n),
	          SH_ERR_NOTFOUND);
	check_case("prints: expired by when they were kept, max a call");
	CHECK_ERR(sh_store_print_expire(st, 250, 1, &removed), SH_OK);
	CHECK(removed == 1);
	CHECK_ERR(sh_store_print_expire(st, 250, 10, &removed), SH_OK);
	CHECK(removed == 1);
	CHECK_ERR(sh_store_print_expire(st, 250, 10, &removed), SH_OK);
	CHECK(removed == 0);
	CHECK_ERR(sh_store_print_get(st, sh_store_txn(st), id[0], &p, &n),
	          SH_ERR_NOTFOUND);
	CHECK_ERR(sh_store_print_get(st, sh_store_txn(st), id[2], &p, &n),
	          SH_OK);
	free(p);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK(recover_of(st, "corp-a") == 50);
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	sh_store_close(&st);
}

static void recover_request(void)
{
	char dir[512], why[1024];
	new_dir(dir, sizeof(dir), "recover");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	check_case("recover request: none in a new store");
	CHECK(recover_of(st, "corp-a") == 0);
	CHECK_ERR(sh_store_recover_set(st, "corp-a", 1700000000123),
	          SH_ERR_STORE);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(sh_store_recover_set(st, "corp-a", 1700000000123), SH_OK);
	CHECK_ERR(sh_store_recover_set(st, "corp-b", 1700000000456), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	sh_store_close(&st);
	check_case("recover request: kept across a reopen, per partner");
	st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	CHECK(recover_of(st, "corp-a") == 1700000000123);
	CHECK(recover_of(st, "corp-b") == 1700000000456);
	CHECK(recover_of(st, "corp-c") == 0);
	check_case("recover request: an aborted clear leaves it");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(sh_store_recover_set(st, "corp-a", 0), SH_OK);
	CHECK(recover_of(st, "corp-a") == 0);
	sh_store_abort(st);
	CHECK(recover_of(st, "corp-a") == 1700000000123);
	check_case("recover request: cleared by 0, twice is harmless");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(sh_store_recover_set(st, "corp-a", 0), SH_OK);
	CHECK_ERR(sh_store_recover_set(st, "corp-a", 0), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	sh_store_close(&st);
	st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	CHECK(recover_of(st, "corp-a") == 0);
	CHECK(recover_of(st, "corp-b") == 1700000000456);
	sh_store_close(&st);
	check_case("recover request: a crash before the checkpoint keeps it");
	CHECK_INT(crash_child_with(dir, 1, 4, 99, recover_turn), 0);
	st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	CHECK_INT(sh_store_replayed(st), 3);
	CHECK(recover_of(st, "corp-1") == 1700000000001);
	CHECK(recover_of(st, "corp-3") == 1700000000003);
	CHECK(recover_of(st, "corp-b") == 1700000000456);
	sh_store_close(&st);
}

/* sh_store_natkey_get through a reader of its own */
static sh_err nk_lookup(sh_store *st, const uint8_t key[SH_KEY_LEN],
                        uint8_t id[SH_ID_LEN])
{
	MDB_txn *txn = sh_store_read_begin(st);
	if (!txn)
		return SH_ERR_STORE;
	sh_err e = sh_store_natkey_get(st, txn, key, id);
	sh_store_read_end(st, txn);
	return e;
}

/* Retention at the sender: sh_store_outbox_remove takes a settled record,
 * its id index and its natural key, and nothing else; it refuses a
 * pending record, and leaves a natural key that was given to a corrected
 * signal after the first one failed. Undone with its turn. */
static void outbox_remove(void)
{
	char dir[512], why[1024];
	new_dir(dir, sizeof(dir), "outrm");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	static const uint8_t env[300] = {1, 2, 3};
	uint8_t id[4][SH_ID_LEN], nk[3][SH_KEY_LEN], got[SH_ID_LEN];
	uint64_t seq[4];
	Seinhuis__SignalType type;
	Seinhuis__OutboxRecord r[4];
	for (unsigned i = 0; i < 3; i++)
		natkey(nk[i], 70 + i);
	check_case("set up: delivered, failed (key given on), pending");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	for (unsigned i = 0; i < 4; i++) {
		r[i] = pending_rec(id[i], 500 + i, env, sizeof(env));
		/* 0: key 0; 1 and 3: key 1 (3 is the corrected one); 2: key 2
		 */
		unsigned k = i == 3 ? 1 : i;
		r[i].natural_key.data = nk[k];
		r[i].natural_key.len = SH_KEY_LEN;
		CHECK_ERR(sh_store_outbox_add(st, &r[i], &seq[i]), SH_OK);
		if (i != 3)
			CHECK_ERR(sh_store_natkey_put(st, nk[k], id[i]), SH_OK);
	}
	CHECK_INT(settle_one(st, seq[0], id[0], 1, 1790000001000, &type), 1);
	/* 1 failed: its key is released and given to the corrected 3 */
	CHECK_ERR(sh_store_natkey_del(st, nk[1]), SH_OK);
	CHECK_ERR(sh_store_natkey_put(st, nk[1], id[3]), SH_OK);
	int done = 0;
	CHECK_ERR(sh_store_outbox_settle(st, seq[1], id[1],
	                                 SEINHUIS__OUT_STATE__OUT_FAILED, 1,
	                                 1790000001001, &type, &done),
	          SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);

	Seinhuis__OutboxRecord *rec[4] = {NULL, NULL, NULL, NULL};
	MDB_txn *txn = sh_store_read_begin(st);
	for (unsigned i = 0; txn && i < 3; i++)
		CHECK_ERR(
		    sh_store_outbox_find(st, txn, id[i], &seq[i], &rec[i]),
		    SH_OK);
	sh_store_read_end(st, txn);
	if (!CHECK(rec[0] && rec[1] && rec[2]))
		goto out;

	check_case("a pending record is refused");
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(sh_store_outbox_remove(st, seq[2], rec[2]), SH_ERR_STORE);

	check_case("an aborted removal leaves everything");
	CHECK_ERR(sh_store_outbox_remove(st, seq[0], rec[0]), SH_OK);
	CHECK_ERR(sh_store_natkey_get(st, sh_store_txn(st), nk[0], got),
	          SH_ERR_NOTFOUND);
	sh_store_abort(st);
	CHECK_ERR(nk_lookup(st, nk[0], got), SH_OK);
	CHECK(memcmp(got, id[0], SH_ID_LEN) == 0);

	check_case("delivered and failed removed");
	sh_store_counts before, after;
	sh_store_counts_get(st, &before);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(sh_store_outbox_remove(st, seq[0], rec[0]), SH_OK);
	CHECK_ERR(sh_store_outbox_remove(st, seq[1], rec[1]), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	sh_store_counts_get(st, &after);
	CHECK_INT(after.outbox_delivered + 1, before.outbox_delivered);
	CHECK_INT(after.outbox_failed + 1, before.outbox_failed);
	CHECK_INT(after.outbox_pending, before.outbox_pending);
	sh_store_close(&st);

	check_case("after reopening");
	st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		goto out;
	txn = sh_store_read_begin(st);
	uint64_t s2;
	CHECK_ERR(sh_store_outbox_find(st, txn, id[0], &s2, NULL),
	          SH_ERR_NOTFOUND);
	CHECK_ERR(sh_store_outbox_find(st, txn, id[1], &s2, NULL),
	          SH_ERR_NOTFOUND);
	CHECK_ERR(sh_store_outbox_find(st, txn, id[2], &s2, NULL), SH_OK);
	CHECK_ERR(sh_store_outbox_find(st, txn, id[3], &s2, NULL), SH_OK);
	sh_store_read_end(st, txn);
	CHECK_ERR(nk_lookup(st, nk[0], got), SH_ERR_NOTFOUND);
	/* the corrected signal keeps the key the failed one had */
	CHECK_ERR(nk_lookup(st, nk[1], got), SH_OK);
	CHECK(memcmp(got, id[3], SH_ID_LEN) == 0);
	CHECK_ERR(nk_lookup(st, nk[2], got), SH_OK);
	/* the check counts the records, as at the daemon's start */
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	sh_store_counts c;
	sh_store_counts_get(st, &c);
	CHECK_INT(c.outbox_delivered, 0);
	CHECK_INT(c.outbox_failed, 0);
	CHECK_INT(c.outbox_pending, 2);
	sh_store_close(&st);
out:
	for (unsigned i = 0; i < 4; i++)
		if (rec[i])
			seinhuis__outbox_record__free_unpacked(rec[i], NULL);
	if (st)
		sh_store_close(&st);
}

/* A store of a schema this build does not know (a newer build's) is
 * refused, naming it; nothing in it is changed. */
static void schema_unknown(void)
{
	char dir[512], why[1024];
	new_dir(dir, sizeof(dir), "schema");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	sh_store_close(&st);
	const char *bad[] = {"6", "0", "22"};
	for (unsigned i = 0; i < 3; i++) {
		check_case("schema '%s'", bad[i]);
		MDB_env *e;
		MDB_txn *txn;
		MDB_dbi meta;
		MDB_val k = {6, "schema"}, v = {strlen(bad[i]), (void *)bad[i]};
		CHECK_INT(raw_begin(dir, 0, &e, &txn), 0);
		CHECK_INT(mdb_dbi_open(txn, "meta", 0, &meta), 0);
		CHECK_INT(mdb_put(txn, meta, &k, &v, 0), 0);
		CHECK_INT(raw_end(e, txn, 0), 0);
		why[0] = 0;
		st = NULL;
		CHECK(sh_store_open(&st, dir, MAP, PARTNER, why, sizeof(why)) !=
		      SH_OK);
		char want[64];
		snprintf(want, sizeof(want), "has schema '%s'", bad[i]);
		CHECK(strstr(why, want) != NULL);
		if (st)
			sh_store_close(&st);
		size_t left;
		char schema[2];
		legacy_after(dir, &left, schema);
		CHECK_INT(schema[0],
		          bad[i][1] ? '?' : bad[i][0]); /* unchanged */
	}
	check_case("%s", "");
}

/* Schema 4: a key put with a digest of its signal's content gives it back,
 * after a reopen too (the index is built from the table), and one put
 * without (as builds of schema 3 put them all) gives none. */
static void natkey_digests(void)
{
	char dir[512], why[1024];
	check_case("%s", "natural keys with a content digest");
	new_dir(dir, sizeof(dir), "nkdigest");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	uint8_t k1[SH_KEY_LEN], k2[SH_KEY_LEN], id[SH_ID_LEN] = {9};
	uint8_t dg[SH_NK_DIGEST_MAX], got[SH_NK_DIGEST_MAX], gid[SH_ID_LEN];
	natkey(k1, 801);
	natkey(k2, 802);
	for (size_t i = 0; i < sizeof(dg); i++)
		dg[i] = (uint8_t)(i * 7 + 1);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(sh_store_natkey_put2(st, k1, id, dg, sizeof(dg)), SH_OK);
	CHECK_ERR(sh_store_natkey_put(st, k2, id), SH_OK);
	CHECK_ERR(sh_store_natkey_put2(st, k2, id, dg, SH_NK_DIGEST_MAX + 1),
	          SH_ERR_STORE);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	for (int round = 0; round < 2; round++) {
		size_t n = 99;
		MDB_txn *txn = sh_store_read_begin(st);
		CHECK_ERR(sh_store_natkey_get2(st, txn, k1, gid, got, &n),
		          SH_OK);
		CHECK_INT(n, sizeof(dg));
		CHECK(memcmp(got, dg, sizeof(dg)) == 0);
		CHECK(memcmp(gid, id, SH_ID_LEN) == 0);
		CHECK_ERR(sh_store_natkey_get2(st, txn, k2, gid, got, &n),
		          SH_OK);
		CHECK_INT(n, 0);
		sh_store_read_end(st, txn);
		sh_store_close(&st);
		if (round == 0 &&
		    !CHECK((st = store_open(dir, why, sizeof(why))) != NULL))
			return;
	}
}

/* Consent index (schema 5): a revocation's look-up finds exactly the
 * inbox and quarantine signals of the sender under the reference, in any
 * case, and none once they are taken or removed; after a crash (the
 * journal's turns replayed) and in a store of schema 4, whose index is
 * built at open. */
#define CI_REF "0123456789ABCDEF0123456789abcdef"
#define CI_S1  "woningcorporatie-test"
#define CI_S2  "energie-test"

struct ci_found {
	size_t inbox, quarantine;
	uint64_t seqs[16];
};

static int ci_note(void *ctx, uint64_t seq, const uint8_t id[SH_ID_LEN],
                   Seinhuis__SignalType type)
{
	struct ci_found *f = ctx;
	(void)id;
	(void)type;
	if (seq && f->inbox < 16)
		f->seqs[f->inbox] = seq;
	*(seq ? &f->inbox : &f->quarantine) += 1;
	return 0;
}

static struct ci_found ci_look(sh_store *st, const char *sender,
                               const char *ref)
{
	struct ci_found f = {0};
	MDB_txn *txn = sh_store_read_begin(st);
	CHECK_ERR(sh_store_consent_signals(st, txn, sender, ref, ci_note, &f),
	          SH_OK);
	sh_store_read_end(st, txn);
	return f;
}

static sh_err ci_inbox(sh_store *st, unsigned i, const char *sender,
                       const char *ref, Seinhuis__SignalType type)
{
	uint8_t id[SH_ID_LEN], env[24];
	msgid(id, i, 0xD0);
	memset(env, (int)i, sizeof(env));
	return sh_store_inbox_add(st, id, sender, type, env, sizeof(env), NULL,
	                          NULL, ref, SEINHUIS__ACUTE_MARK__ACUTE_NOT,
	                          NULL);
}

/* A quarantined signal whose envelope carries ref (NULL: none). */
static sh_err ci_quarantine_add(sh_store *st, unsigned i, const char *sender,
                                const char *ref)
{
	uint8_t id[SH_ID_LEN], sb[200], eb[300];
	msgid(id, i, 0xD1);
	Seinhuis__Signal s = SEINHUIS__SIGNAL__INIT;
	s.message_id.data = id;
	s.message_id.len = SH_ID_LEN;
	s.type = SEINHUIS__SIGNAL_TYPE__ARREARS;
	s.consent_ref = ref ? (char *)ref : "";
	Seinhuis__Envelope e = SEINHUIS__ENVELOPE__INIT;
	e.signal.data = sb;
	e.signal.len = seinhuis__signal__pack(&s, sb);
	Seinhuis__QuarantineRecord q = SEINHUIS__QUARANTINE_RECORD__INIT;
	q.message_id.data = id;
	q.message_id.len = SH_ID_LEN;
	q.sender = (char *)sender;
	q.type = s.type;
	q.rule = "CONDITION";
	q.detail = "test";
	q.envelope.data = eb;
	q.envelope.len = seinhuis__envelope__pack(&e, eb);
	return sh_store_quarantine_add(st, &q);
}

/* Turn i of a crash: one signal under the reference. */
static int ci_turn(sh_store *st, unsigned i)
{
	if (sh_store_begin(st) != SH_OK)
		return 1;
	if (ci_inbox(st, 100 + i, CI_S1, CI_REF,
	             SEINHUIS__SIGNAL_TYPE__ARREARS) != SH_OK) {
		sh_store_abort(st);
		return 2;
	}
	return sh_store_commit(st) == SH_OK ? 0 : 3;
}

/* A damaged store: the first consent index entry of kind 'i' (inbox) or
 * 'q' (quarantine) taken out behind the store's back. 0 on success. */
static int ci_drop_entry(const char *dir, char kind)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi idx;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t klen = kind == 'i' ? 32 + 1 + 8 : 32 + 1 + SH_ID_LEN;
	int rc = raw_begin(dir, 0, &env, &txn);
	if (!rc)
		rc = mdb_dbi_open(txn, "consent_idx", 0, &idx);
	if (!rc)
		rc = mdb_cursor_open(txn, idx, &cur);
	while (!rc && (rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
		if (k.mv_size == klen && ((uint8_t *)k.mv_data)[32] == kind) {
			rc = mdb_cursor_del(cur, 0);
			break;
		}
	if (cur)
		mdb_cursor_close(cur);
	return raw_end(env, txn, rc);
}

static void consent_index(void)
{
	char dir[512], why[1024];
	check_case("%s", "consent index");
	new_dir(dir, sizeof(dir), "consentidx");
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	const Seinhuis__SignalType AR = SEINHUIS__SIGNAL_TYPE__ARREARS;
	CHECK_ERR(sh_store_begin(st), SH_OK);
	CHECK_ERR(ci_inbox(st, 1, CI_S1, CI_REF, AR), SH_OK);
	CHECK_ERR(
	    ci_inbox(st, 2, CI_S1, "0123456789abcdef0123456789ABCDEF", AR),
	    SH_OK);
	CHECK_ERR(ci_inbox(st, 3, CI_S2, CI_REF, AR), SH_OK); /* other sender */
	CHECK_ERR(
	    ci_inbox(st, 4, CI_S1, "ffffffffffffffffffffffffffffffff", AR),
	    SH_OK);
	CHECK_ERR(ci_inbox(st, 5, CI_S1, CI_REF,
	                   SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION),
	          SH_OK); /* a revocation itself is not taken out */
	CHECK_ERR(ci_inbox(st, 6, CI_S1, NULL, AR), SH_OK);
	CHECK_ERR(ci_quarantine_add(st, 1, CI_S1, CI_REF), SH_OK);
	CHECK_ERR(ci_quarantine_add(st, 2, CI_S2, CI_REF), SH_OK);
	CHECK_ERR(ci_quarantine_add(st, 3, CI_S1, NULL), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	struct ci_found f =
	    ci_look(st, CI_S1, "0123456789abcdef0123456789ABCDEF");
	CHECK_INT(f.inbox, 2);
	CHECK_INT(f.quarantine, 1);
	CHECK(f.inbox == 2 && f.seqs[0] < f.seqs[1]); /* arrival order */
	f = ci_look(st, CI_S2, CI_REF);
	CHECK_INT(f.inbox, 1);
	CHECK_INT(f.quarantine, 1);
	/* taken, removed, released: gone from the index with them */
	uint8_t id[SH_ID_LEN];
	f = ci_look(st, CI_S1, CI_REF);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	msgid(id, 1, 0xD0);
	CHECK_ERR(sh_store_inbox_ack(st, id), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	CHECK_INT(ci_look(st, CI_S1, CI_REF).inbox, 1);
	CHECK_ERR(sh_store_begin(st), SH_OK);
	msgid(id, 2, 0xD0);
	CHECK_ERR(sh_store_inbox_remove(st, f.seqs[1], id), SH_OK);
	msgid(id, 1, 0xD1);
	CHECK_ERR(sh_store_quarantine_del(st, id), SH_OK);
	CHECK_ERR(sh_store_commit(st), SH_OK);
	f = ci_look(st, CI_S1, CI_REF);
	CHECK_INT(f.inbox + f.quarantine, 0);
	CHECK_INT(ci_look(st, CI_S2, CI_REF).inbox, 1);
	sh_store_close(&st);
	/* left: signals 3 and 4 in the inbox, 2 in quarantine (the look-up
	 * passes over an entry whose record is gone: none may be left) */
	long entries, leaves;
	table_stat(dir, "consent_idx", &entries, &leaves);
	CHECK_INT(entries, 3);
	/* a crash after turns that only the journal holds */
	CHECK_INT(crash_child_with(dir, 0, 3, 99, ci_turn), 0);
	if (!CHECK((st = store_open(dir, why, sizeof(why))) != NULL))
		return;
	CHECK_INT(ci_look(st, CI_S1, CI_REF).inbox, 3);
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	sh_store_close(&st);
	/* a quarantined signal's entry missing (a damaged store): the
	 * start-up check names the quarantine */
	CHECK_INT(ci_drop_entry(dir, 'q'), 0);
	if (!CHECK((st = store_open(dir, why, sizeof(why))) != NULL))
		return;
	why[0] = 0;
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_ERR_STORE_CORRUPT);
	CHECK(strstr(why, "quarantine: signal ") != NULL &&
	      strstr(why, " is missing from the consent index") != NULL);
	sh_store_close(&st);
	/* a store of schema 4: no index; built at open (which mends the
	 * entry taken out above) */
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, idx;
	MDB_val sk = {6, "schema"}, sv = {1, "4"};
	int rc = raw_begin(dir, 0, &env, &txn);
	if (!rc)
		rc = mdb_dbi_open(txn, "meta", 0, &meta);
	if (!rc)
		rc = mdb_dbi_open(txn, "consent_idx", 0, &idx);
	if (!rc)
		rc = mdb_drop(txn, idx, 1);
	if (!rc)
		rc = mdb_put(txn, meta, &sk, &sv, 0);
	CHECK_INT(raw_end(env, txn, rc), 0);
	if (!CHECK((st = store_open(dir, why, sizeof(why))) != NULL))
		return;
	f = ci_look(st, CI_S1, CI_REF);
	CHECK_INT(f.inbox, 3);
	CHECK_INT(f.quarantine, 0);
	f = ci_look(st, CI_S2, CI_REF);
	CHECK_INT(f.inbox, 1);
	CHECK_INT(f.quarantine, 1);
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
	sh_store_close(&st);
	/* an inbox signal's entry missing: the start-up check says so */
	CHECK_INT(ci_drop_entry(dir, 'i'), 0);
	if (!CHECK((st = store_open(dir, why, sizeof(why))) != NULL))
		return;
	why[0] = 0;
	CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_ERR_STORE_CORRUPT);
	CHECK(strstr(why, "inbox: record ") != NULL &&
	      strstr(why, " is missing from the consent index") != NULL);
	sh_store_close(&st);
	size_t left;
	char schema[2];
	legacy_after(dir, &left, schema);
	CHECK_STR(schema, "5");
	check_case("%s", "");
}

/* scratch_txn: a write transaction of LMDB's own on the store in dir that
 * puts (del 0) or deletes (1) n records of size bytes in table "scratch". */
static int scratch_txn(const char *dir, const char *prefix, int n, int del,
                       size_t size)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	char *val = calloc(1, size);
	int rc = raw_begin(dir, 0, &env, &txn);
	if (!rc)
		rc = mdb_dbi_open(txn, "scratch", MDB_CREATE, &dbi);
	for (int i = 0; !rc && i < n; i++) {
		char kb[32];
		snprintf(kb, sizeof(kb), "%s%04d", prefix, i);
		MDB_val k = {strlen(kb), kb}, v = {size, val};
		rc = del ? mdb_del(txn, dbi, &k, NULL)
		         : mdb_put(txn, dbi, &k, &v, 0);
	}
	free(val);
	return raw_end(env, txn, rc);
}

/* The pages at the end of data.mdb that are in LMDB's freelist. */
static size_t free_tail_pages(const char *dir, size_t *psize, size_t *pages)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	MDB_stat ms;
	struct stat fs;
	char path[600];
	static unsigned char is_free[1 << 16];
	memset(is_free, 0, sizeof(is_free));
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (raw_begin(dir, MDB_RDONLY, &env, &txn) || stat(path, &fs) ||
	    mdb_env_stat(env, &ms) || mdb_cursor_open(txn, 0, &cur)) {
		raw_end(env, txn, 1);
		return 0;
	}
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
		const size_t *ids = v.mv_data;
		for (size_t i = 1; i <= ids[0]; i++)
			if (ids[i] < sizeof(is_free))
				is_free[ids[i]] = 1;
	}
	mdb_cursor_close(cur);
	raw_end(env, txn, 1);
	*psize = ms.ms_psize;
	*pages = (size_t)fs.st_size / ms.ms_psize;
	size_t n = 0;
	while (n < *pages && *pages - 1 - n < sizeof(is_free) &&
	       is_free[*pages - 1 - n])
		n++;
	return n;
}

/* LMDB does not write a page that a write transaction took from the end
 * and gave back: the file can end before the last page its meta page
 * counts, all of them free. A kill -9 in such a state left a daemon that
 * refused to start ("data.mdb is truncated"). Made here by cutting the
 * free pages off the end; a file cut into pages in use is still refused,
 * and without the daemon being killed by a read past the map's end. */
static void free_tail(void)
{
	char dir[512], why[1024], path[600];
	check_case("%s", "a data.mdb that ends in free pages not written");
	new_dir(dir, sizeof(dir), "freetail");
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	sh_store *st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		return;
	CHECK_INT(one_turn(st, 1), 0);
	CHECK_ERR(sh_store_checkpoint(st), SH_OK);
	sh_store_close(&st);
	/* large records at the end, small writes after them, then the large
	 * ones removed and a few small writes more: the end is free */
	CHECK_INT(scratch_txn(dir, "s", 10, 0, 100), 0);
	CHECK_INT(scratch_txn(dir, "b", 20, 0, 5000), 0);
	CHECK_INT(scratch_txn(dir, "s", 10, 0, 100), 0);
	CHECK_INT(scratch_txn(dir, "s", 10, 0, 100), 0);
	CHECK_INT(scratch_txn(dir, "b", 20, 1, 5000), 0);
	for (int r = 0; r < 4; r++)
		CHECK_INT(scratch_txn(dir, "s", 10, 0, 100), 0);
	size_t psize = 0, pages = 0;
	size_t tail = free_tail_pages(dir, &psize, &pages);
	if (!CHECK(tail >= 2 && tail < pages))
		return;
	CHECK_INT(truncate(path, (off_t)((pages - tail) * psize)), 0);
	st = store_open(dir, why, sizeof(why));
	if (!CHECK(st != NULL))
		printf("     why: %s\n", why);
	else {
		struct stat fs0;
		/* made whole again: a copy of the file finds every page */
		CHECK(stat(path, &fs0) == 0 &&
		      (size_t)fs0.st_size >= pages * psize);
		CHECK_ERR(sh_store_check(st, why, sizeof(why)), SH_OK);
		CHECK_INT(one_turn(st, 2), 0);
		CHECK_ERR(sh_store_checkpoint(st), SH_OK);
		sh_store_close(&st);
		st = store_open(dir, why, sizeof(why));
		CHECK(st != NULL);
		if (st)
			sh_store_close(&st);
	}
	/* one page in use cut off too: refused, as truncated */
	tail = free_tail_pages(dir, &psize, &pages);
	CHECK_INT(truncate(path, (off_t)((pages - tail - 1) * psize)), 0);
	st = store_open(dir, why, sizeof(why));
	CHECK(st == NULL && strstr(why, "data.mdb is truncated") != NULL);
	if (st)
		sh_store_close(&st);
	/* and half of it: refused, the reading child killed, not us */
	struct stat fs;
	CHECK_INT(stat(path, &fs), 0);
	CHECK_INT(truncate(path, fs.st_size / 2 / (off_t)psize * (off_t)psize),
	          0);
	st = store_open(dir, why, sizeof(why));
	CHECK(st == NULL && strstr(why, "data.mdb is truncated") != NULL);
	if (st)
		sh_store_close(&st);
	check_case("%s", "");
}

int main(void)
{
	root_dir = fx_tmpdir("journal");
	crc_known();
	records();
	ops();
	reset_generation();
	crash_recovery();
	abort_rebuild();
	generations();
	second_opener();
	seen_chunks();
	settle_in_place();
	natural_keys();
	natkey_digests();
	outbox_envelopes();
	resend_window();
	committed_time();
	expire_capped();
	requeue_steps();
	recover_request();
	report_prints();
	outbox_remove();
	schema_unknown();
	consent_index();
	free_tail();
	fx_rm_rf(root_dir);
	free(root_dir);
	return check_done();
}
