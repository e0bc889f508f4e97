/*
 * journal.c - the store's redo journal.
 *
 * A turn of the event loop used to end with an LMDB commit, and nothing
 * was acknowledged before it returned. A durable LMDB commit writes every
 * page the turn touched (the tables' leaves and branches: some ten runs of
 * pages for one signal), flushes them, then writes and flushes a meta
 * page: two flushes and ten separate writes, about half a millisecond on
 * the disks we measured, on both sides of every exchange.
 *
 * Now a turn ends with one record appended here and one fdatasync: the
 * turn's changes (each put and delete in the order made, with its table,
 * key and value) in one contiguous write. The LMDB write transaction stays
 * open across turns and is committed, with LMDB's full sync, every
 * checkpoint_ms or when the journal grows past its limit (store.c: a
 * checkpoint). After a checkpoint the journal starts again at its start.
 *
 * Generations. Each record carries the generation it belongs to, a
 * random 64-bit number that store.c draws at every checkpoint and at open
 * and commits in LMDB's meta table with that commit; and its number
 * within the generation. After a crash, store.c replays the records of
 * the generation LMDB names, in order, from the start of the file, and
 * stops at the first that is not one: a torn or unfinished record (only a
 * record whose fdatasync returned was ever acknowledged, and records are
 * written one after the other), a zeroed stretch, or a record of an older
 * generation (already in LMDB: its checkpoint committed). The number is
 * random so that bytes inside a payload (a peer's envelope) can never pass
 * for a record of the current generation. A record whose CRC fails with a
 * whole record after it is damage, not a torn write, and is reported.
 * Replaying makes the same puts and deletes in the same order on the same
 * state, so the result is the state after the last acknowledged turn.
 *
 * Record: magic "SHJ1", payload length (u32), generation (u64), number
 * (u64),
 * CRC-32C over the three and the payload (u32), zero (u32); then the
 * payload. All little-endian. The file is grown ahead of the records with
 * written zeros, so that an append does not change its size and the flush
 * has no inode to write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"

#define GROW_MIN (4u << 20)

struct sh_journal {
	int fd;
	uint64_t gen, seq; /* generation, number of the next record */
	uint64_t off;      /* where the next record goes */
	uint64_t size;     /* file size (zeros past off) */
};

static const uint8_t MAGIC[4] = {'S', 'H', 'J', '1'};

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* ------------------------------------------------------------ CRC-32C */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc_soft(uint32_t crc, const uint8_t *p, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, crc_init);
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The SSE 4.2 instruction computes the same polynomial, 8 bytes a step. */
__attribute__((target("sse4.2"))) static uint32_t
crc_hw(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = crc;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		n -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	while (n--)
		c32 = __builtin_ia32_crc32qi(c32, *p++);
	return c32;
}

static int crc_hw_ok;

static void crc_probe(void)
{
	__builtin_cpu_init();
	crc_hw_ok = __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

uint32_t sh_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, crc_probe);
	int hw = crc_hw_ok;
	crc = ~crc;
	crc = hw ? crc_hw(crc, p, n) : crc_soft(crc, p, n);
	return ~crc;
}
#else
uint32_t sh_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	return ~crc_soft(~crc, p, n);
}
#endif

/* ------------------------------------------------------------ records */

static uint32_t record_crc(const uint8_t *hdr, const uint8_t *payload,
                           size_t len)
{
	return sh_crc32c(sh_crc32c(0, hdr + 4, 20), payload, len);
}

/* Header of the record expected next (generation gen, number seq) with
 * at most `room` bytes of payload after it? Its length in *len. */
static int header_ok(const uint8_t *h, uint64_t gen, uint64_t seq,
                     uint64_t room, size_t *len)
{
	uint32_t n = rd32(h + 4);
	if (memcmp(h, MAGIC, 4) || rd64(h + 8) != gen || rd64(h + 16) != seq ||
	    rd32(h + 28) != 0 || n > SH_JOURNAL_MAX_RECORD || n > room)
		return 0;
	*len = n;
	return 1;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off);

/* Where the records are read from: bytes in memory, or the file. */
typedef struct {
	const uint8_t *mem;
	uint64_t size;
	int fd;
	uint8_t *buf; /* payloads read from the file */
	size_t cap;
} source;

/* Bytes [off, off + n) of the source (within its size), or NULL on a read
 * error. Headers are read into `hdr`, payloads into the source's buffer. */
static const uint8_t *get(source *s, uint64_t off, size_t n, uint8_t *hdr)
{
	if (s->mem)
		return s->mem + off;
	uint8_t *to = hdr;
	if (!to) {
		if (n > s->cap) {
			free(s->buf);
			s->cap = n;
			s->buf = malloc(n ? n : 1);
			if (!s->buf)
				abort();
		}
		to = s->buf;
	}
	return read_at(s->fd, to, n, off) == 0 ? to : NULL;
}

/* Is there a whole record of generation gen, number seq, at off? */
static int whole_record_at(source *s, uint64_t off, uint64_t gen, uint64_t seq)
{
	uint8_t hb[SH_JOURNAL_HDR];
	size_t plen;
	if (s->size - off < SH_JOURNAL_HDR)
		return 0;
	const uint8_t *h = get(s, off, SH_JOURNAL_HDR, hb);
	if (!h ||
	    !header_ok(h, gen, seq, s->size - off - SH_JOURNAL_HDR, &plen))
		return 0;
	const uint8_t *p = get(s, off + SH_JOURNAL_HDR, plen, NULL);
	return p && record_crc(h, p, plen) == rd32(h + 24);
}

/* The walk shared by parse and replay. A record whose header is the one
 * expected but whose CRC fails ends the walk as a torn write, unless a
 * whole next record follows it: then the journal was damaged after it was
 * written (SH_ERR_STORE_CORRUPT), and nothing may be left out silently. */
static sh_err walk(source *s, uint64_t gen, size_t limit, sh_journal_fn fn,
                   void *ctx, size_t *count, uint64_t *end)
{
	uint8_t hb[SH_JOURNAL_HDR];
	uint64_t off = 0;
	size_t n = 0, plen;
	*count = 0;
	*end = 0;
	while (n < limit && s->size - off >= SH_JOURNAL_HDR) {
		const uint8_t *h = get(s, off, SH_JOURNAL_HDR, hb);
		if (!h)
			return SH_ERR_STORE;
		if (!header_ok(h, gen, n, s->size - off - SH_JOURNAL_HDR,
		               &plen))
			break;
		const uint8_t *p = get(s, off + SH_JOURNAL_HDR, plen, NULL);
		if (!p)
			return SH_ERR_STORE;
		if (record_crc(h, p, plen) != rd32(h + 24)) {
			if (whole_record_at(s, off + SH_JOURNAL_HDR + plen, gen,
			                    n + 1))
				return SH_ERR_STORE_CORRUPT;
			break;
		}
		if (fn) {
			sh_err e = fn(ctx, p, plen);
			if (e != SH_OK)
				return e;
		}
		off += SH_JOURNAL_HDR + plen;
		*count = ++n;
		*end = off;
	}
	return SH_OK;
}

sh_err sh_journal_parse(const uint8_t *buf, size_t len, uint64_t gen,
                        sh_journal_fn fn, void *ctx, size_t *count, size_t *end)
{
	static const uint8_t none[1];
	source s = {len ? buf : none, len, -1, NULL, 0};
	uint64_t e64 = 0;
	sh_err e = walk(&s, gen, SIZE_MAX, fn, ctx, count, &e64);
	*end = (size_t)e64;
	return e;
}

sh_err sh_journal_ops(const uint8_t *p, size_t n, unsigned ntables,
                      sh_journal_op_fn fn, void *ctx, const char **why)
{
	size_t off = 0;
	while (off < n) {
		if (n - off < SH_JOP_HDR) {
			*why = "an operation is cut short";
			return SH_ERR_STORE_CORRUPT;
		}
		const uint8_t *h = p + off;
		int op = h[0];
		unsigned table = h[1];
		size_t klen = (size_t)h[2] | (size_t)h[3] << 8;
		size_t vlen = rd32(h + 4);
		if ((op != SH_JOP_PUT && op != SH_JOP_DEL) ||
		    table >= ntables) {
			*why = "an operation has an unknown kind or table";
			return SH_ERR_STORE_CORRUPT;
		}
		if (klen == 0 || (op == SH_JOP_DEL && vlen != 0)) {
			*why = "an operation has an empty key, or a delete a "
			       "value";
			return SH_ERR_STORE_CORRUPT;
		}
		if (n - off - SH_JOP_HDR < klen ||
		    n - off - SH_JOP_HDR - klen < vlen) {
			*why = "an operation runs past its record";
			return SH_ERR_STORE_CORRUPT;
		}
		if (fn) {
			sh_err e = fn(ctx, op, table, h + SH_JOP_HDR, klen,
			              h + SH_JOP_HDR + klen, vlen);
			if (e != SH_OK)
				return e;
		}
		off += SH_JOP_HDR + klen + vlen;
	}
	return SH_OK;
}

/* ------------------------------------------------------------ the file */

sh_err sh_journal_open(sh_journal **out, const char *path, char *why, size_t wl)
{
	*out = NULL;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, wl, "%s: cannot open the journal: %s", path,
		         strerror(errno));
		return SH_ERR_STORE;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		close(fd);
		if (err == EWOULDBLOCK) {
			snprintf(why, wl,
			         "%s: the data store is in use by another "
			         "process (a running seinhuisd?); one process "
			         "at a time",
			         path);
			return SH_ERR_STORE;
		}
		snprintf(why, wl, "%s: cannot lock the journal: %s", path,
		         strerror(err));
		return SH_ERR_STORE;
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(why, wl, "%s: the journal is not a regular file",
		         path);
		close(fd);
		return SH_ERR_STORE;
	}
	/* A new file's directory entry is not covered by fdatasync on the
	 * file: flush the directory once, so the journal itself survives a
	 * power loss after its first record. */
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		snprintf(why, wl, "%s: cannot flush the data directory: %s",
		         path, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		close(fd);
		return SH_ERR_STORE;
	}
	close(dfd);
	sh_journal *j = calloc(1, sizeof(*j));
	if (!j)
		abort();
	j->fd = fd;
	j->size = (uint64_t)sb.st_size;
	*out = j;
	return SH_OK;
}

void sh_journal_close(sh_journal **jp)
{
	sh_journal *j = *jp;
	if (!j)
		return;
	close(j->fd);
	free(j);
	*jp = NULL;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;
	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int write_at(int fd, const void *buf, size_t n, uint64_t off)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

sh_err sh_journal_replay(sh_journal *j, uint64_t gen, size_t limit,
                         sh_journal_fn fn, void *ctx, size_t *count)
{
	source s = {NULL, j->size, j->fd, NULL, 0};
	uint64_t end = 0;
	sh_err e = walk(&s, gen, limit, fn, ctx, count, &end);
	free(s.buf);
	if (e == SH_OK) {
		j->gen = gen;
		j->seq = *count;
		j->off = end;
	}
	return e;
}

void sh_journal_reset(sh_journal *j, uint64_t gen)
{
	j->gen = gen;
	j->seq = 0;
	j->off = 0;
}

size_t sh_journal_bytes(const sh_journal *j)
{
	return (size_t)j->off;
}

/* Grow the file with written zeros to hold `need` bytes. */
static int grow(sh_journal *j, uint64_t need)
{
	static const uint8_t zeros[65536];
	uint64_t to = j->size * 2 > GROW_MIN ? j->size * 2 : GROW_MIN;
	if (to > j->size + (64u << 20))
		to = j->size + (64u << 20);
	if (to < need)
		to = need + GROW_MIN;
	for (uint64_t at = j->size; at < to;) {
		size_t n =
		    to - at > sizeof(zeros) ? sizeof(zeros) : (size_t)(to - at);
		if (write_at(j->fd, zeros, n, at) < 0)
			return -1;
		at += n;
	}
	j->size = to;
	return 0;
}

sh_err sh_journal_append(sh_journal *j, uint8_t *rec, size_t total)
{
	size_t plen = total - SH_JOURNAL_HDR;
	memcpy(rec, MAGIC, 4);
	le32(rec + 4, (uint32_t)plen);
	le64(rec + 8, j->gen);
	le64(rec + 16, j->seq);
	le32(rec + 28, 0);
	le32(rec + 24, record_crc(rec, rec + SH_JOURNAL_HDR, plen));
	if ((j->off + total > j->size && grow(j, j->off + total) < 0) ||
	    write_at(j->fd, rec, total, j->off) < 0 || fdatasync(j->fd) < 0) {
		int err = errno;
		/* The record may be on disk whole although the flush failed:
		 * unmake it, as far as the disk still lets us, so that a
		 * replay never brings back a turn that was refused. */
		static const uint8_t zero[SH_JOURNAL_HDR];
		if (j->off + SH_JOURNAL_HDR <= j->size)
			(void)write_at(j->fd, zero, sizeof(zero), j->off);
		return err == ENOSPC || err == EDQUOT ? SH_ERR_STORE_FULL
		                                      : SH_ERR_STORE;
	}
	j->off += total;
	j->seq++;
	return SH_OK;
}
