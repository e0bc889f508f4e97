/*
 * seinbench.c - figures for Seinhuis: what the layers underneath can do on
 * this machine, and what two daemons do end to end.
 *
 *   seinbench raw-curve --size 512 --count N [--port P]
 *       ZeroMQ CURVE PUSH -> PULL on tcp://127.0.0.1 inside one process
 *       (a receiving thread, one context per side as in the daemons);
 *       three repetitions, the median is the figure.
 *   seinbench raw-lmdb --dir DIR [--seconds S]
 *       LMDB durable commits (default sync) on a fresh environment in a new
 *       directory under DIR: one 600-byte record per transaction, then
 *       batches of 256 records per transaction.
 *   seinbench crypto [--count N]
 *       the CPU cost per signal of what the daemons do to it: build (seal
 *       and sign) at the sender, verify and open at the recipient; and the
 *       bare Ed25519 calls with the key object built per call (as
 *       libseinhuis does) and built once.
 *   seinbench e2e --from SOCK --to-partner ID --recv SOCK --count N
 *       N arrears signals submitted through the sender's control socket,
 *       pipelined; timed from the first submission until the sender's
 *       STATUS counts them all delivered (committed in the recipient's
 *       inbox and the receipt back).
 *   seinbench latency --from SOCK --to-partner ID --recv SOCK --rate R
 *       --seconds S
 *       signals offered at a fixed rate; each submission time is matched,
 *       by message id, with the recipient's InboxItem.received_us.
 *   seinbench scale-setup --dir DIR --partners N --trustdir DIR
 *       N load-partner identities (landlords) under DIR, made as seinkey
 *       makes them; their cards written into the daemon's trust dir.
 *   seinbench scale --dir DIR --server CARD --partners N --per-partner M
 *       N of them at once, one CURVE DEALER each, sending M signed and
 *       sealed arrears signals each to the daemon of CARD; throughput,
 *       delivery time per signal (send to receipt), per-partner medians
 *       and their fairness, the daemon's memory (--pid).
 *   seinbench inbox-fill --dir DIR --server CARD --datadir DIR --count N
 *       N signals put into a stopped daemon's inbox with the store API.
 *   seinbench natkey-fill --card CARD --datadir DIR --count N
 *       N natural keys put into a stopped sender's store: its history.
 *
 * Each figure is printed as one plain line "name value"; every other line
 * starts with '#'. run.sh collects the figures. This is not a test: it
 * exits 1 only when a measurement could not be made.
 */
#define _GNU_SOURCE /* ppoll */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "seinhuis.h"
#include "store.h"

/* ------------------------------------------------------------ helpers */

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t real_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double tv_us(const struct timeval *t)
{
	return (double)t->tv_sec * 1e6 + (double)t->tv_usec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values, q in (0, 1]. */
static double percentile(const double *v, size_t n, double q)
{
	size_t k = (size_t)(q * (double)n);
	if ((double)k < q * (double)n)
		k++;
	if (k == 0)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static void figure(const char *name, double value)
{
	if (value > -10 && value < 10)
		printf("%s %.6f\n", name, value); /* ratios */
	else
		printf("%s %.3f\n", name, value);
	fflush(stdout);
}

/* ------------------------------------------------------------ options */

#define MAX_OPTS 16
static const char *opt_name[MAX_OPTS], *opt_val[MAX_OPTS];
static int n_opts;

static int parse_opts(int argc, char **argv, const char *const *known)
{
	for (int i = 2; i < argc; i += 2) {
		size_t k = 0;
		while (known[k] && strcmp(argv[i], known[k]) != 0)
			k++;
		if (!known[k]) {
			fprintf(stderr, "seinbench %s: unknown option '%s'\n",
			        argv[1], argv[i]);
			return -1;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "seinbench %s: %s needs a value\n",
			        argv[1], argv[i]);
			return -1;
		}
		if (n_opts == MAX_OPTS) {
			fprintf(stderr, "seinbench: too many options\n");
			return -1;
		}
		opt_name[n_opts] = argv[i];
		opt_val[n_opts++] = argv[i + 1];
	}
	return 0;
}

static const char *opt_str(const char *name, const char *dflt)
{
	const char *v = dflt;
	for (int i = 0; i < n_opts; i++)
		if (strcmp(opt_name[i], name) == 0)
			v = opt_val[i];
	return v;
}

static int opt_num(const char *name, double dflt, double min, double max,
                   double *out)
{
	const char *s = opt_str(name, NULL);
	if (!s) {
		*out = dflt;
		return 0;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max)) {
		fprintf(stderr,
		        "seinbench: %s must be a number from %g to %g\n", name,
		        min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int opt_need(const char *name, const char **out)
{
	*out = opt_str(name, NULL);
	if (!*out || !**out) {
		fprintf(stderr, "seinbench: %s is required\n", name);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- raw CURVE */

struct curve_rx {
	void *sock;
	long count, got;
	int64_t t_end;
	atomic_int warm; /* 1 warm-up message arrived, -1 it did not */
};

static void *curve_rx_main(void *arg)
{
	struct curve_rx *rx = arg;
	zmq_msg_t m;
	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, rx->sock, 0) < 0) {
		atomic_store(&rx->warm, -1);
	} else {
		atomic_store(&rx->warm, 1);
		while (rx->got < rx->count &&
		       zmq_msg_recv(&m, rx->sock, 0) >= 0)
			rx->got++;
	}
	rx->t_end = mono_ns();
	zmq_msg_close(&m);
	return NULL;
}

static int zopt(void *s, int opt, const void *v, size_t n)
{
	if (zmq_setsockopt(s, opt, v, n) == 0)
		return 0;
	fprintf(stderr, "seinbench: zmq_setsockopt(%d): %s\n", opt,
	        zmq_strerror(errno));
	return -1;
}

/* One timed transfer of count messages; returns messages/s or -1. */
static double curve_once(long size, long count, int port)
{
	char spub[41], ssec[41], cpub[41], csec[41], ep[128];
	int one = 1, zero = 0, tmo = 10000;
	double rate = -1;
	uint8_t *buf = NULL;
	struct curve_rx rx = {.count = count};
	atomic_init(&rx.warm, 0);

	if (zmq_curve_keypair(spub, ssec) || zmq_curve_keypair(cpub, csec)) {
		fprintf(stderr, "seinbench: zmq_curve_keypair: %s\n",
		        zmq_strerror(errno));
		return -1;
	}
	void *rctx = zmq_ctx_new(), *sctx = zmq_ctx_new();
	void *pull = rctx ? zmq_socket(rctx, ZMQ_PULL) : NULL;
	void *push = sctx ? zmq_socket(sctx, ZMQ_PUSH) : NULL;
	if (!pull || !push) {
		fprintf(stderr, "seinbench: cannot create sockets: %s\n",
		        zmq_strerror(errno));
		goto out;
	}
	if (zopt(pull, ZMQ_CURVE_SERVER, &one, sizeof(one)) ||
	    zopt(pull, ZMQ_CURVE_SECRETKEY, ssec, 40) ||
	    zopt(pull, ZMQ_RCVTIMEO, &tmo, sizeof(tmo)) ||
	    zopt(pull, ZMQ_LINGER, &zero, sizeof(zero)) ||
	    zopt(push, ZMQ_CURVE_SERVERKEY, spub, 40) ||
	    zopt(push, ZMQ_CURVE_PUBLICKEY, cpub, 40) ||
	    zopt(push, ZMQ_CURVE_SECRETKEY, csec, 40) ||
	    zopt(push, ZMQ_SNDTIMEO, &tmo, sizeof(tmo)) ||
	    zopt(push, ZMQ_LINGER, &zero, sizeof(zero)))
		goto out;
	if (port > 0)
		snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", port);
	else
		snprintf(ep, sizeof(ep), "tcp://127.0.0.1:*");
	size_t eplen = sizeof(ep);
	if (zmq_bind(pull, ep) != 0 ||
	    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &eplen) != 0 ||
	    zmq_connect(push, ep) != 0) {
		fprintf(stderr, "seinbench: cannot bind or connect %s: %s\n",
		        ep, zmq_strerror(errno));
		goto out;
	}
	buf = sh_xmalloc((size_t)size);
	for (long i = 0; i < size; i++)
		buf[i] = (uint8_t)(i * 31 + 7);
	rx.sock = pull;
	pthread_t th;
	if (pthread_create(&th, NULL, curve_rx_main, &rx) != 0) {
		fprintf(stderr,
		        "seinbench: cannot start the receiver thread\n");
		goto out;
	}
	/* Warm-up: the handshake is done once one message has arrived. */
	int ok = zmq_send(push, buf, (size_t)size, 0) == (int)size;
	for (int i = 0; ok && i < 100000 && atomic_load(&rx.warm) == 0; i++)
		usleep(100);
	ok = ok && atomic_load(&rx.warm) == 1;
	int64_t t0 = mono_ns();
	long sent = 0;
	while (ok && sent < count &&
	       zmq_send(push, buf, (size_t)size, 0) == (int)size)
		sent++;
	pthread_join(th, NULL);
	if (!ok || rx.got < count) {
		fprintf(stderr,
		        "seinbench: raw-curve: %ld of %ld messages arrived "
		        "(sent %ld)\n",
		        rx.got, count, sent);
		goto out;
	}
	rate = (double)rx.got / ((double)(rx.t_end - t0) / 1e9);
out:
	free(buf);
	if (push)
		zmq_close(push);
	if (pull)
		zmq_close(pull);
	if (sctx)
		zmq_ctx_term(sctx);
	if (rctx)
		zmq_ctx_term(rctx);
	return rate;
}

static int cmd_raw_curve(int argc, char **argv)
{
	static const char *const known[] = {"--size", "--count", "--port",
	                                    NULL};
	double size, count, port;
	if (parse_opts(argc, argv, known) ||
	    opt_num("--size", 512, 1, 16 << 20, &size) ||
	    opt_num("--count", 200000, 1, 1e8, &count) ||
	    opt_num("--port", 0, 0, 65535, &port))
		return 2;
	if (!zmq_has("curve")) {
		fprintf(stderr, "seinbench: this libzmq has no CURVE\n");
		return 1;
	}
	double r[3];
	for (int i = 0; i < 3; i++) {
		r[i] = curve_once((long)size, (long)count, (int)port);
		if (r[i] < 0)
			return 1;
		printf("# raw-curve repetition %d: %.0f msgs/s\n", i + 1, r[i]);
	}
	qsort(r, 3, sizeof(r[0]), cmp_double);
	printf("# raw-curve: %ld messages of %ld bytes, PUSH -> PULL, CURVE, "
	       "one context (one I/O thread) per side; median of 3\n",
	       (long)count, (long)size);
	figure("raw_curve_msgs_per_s", r[1]);
	figure("raw_curve_mbytes_per_s", r[1] * size / 1e6);
	return 0;
}

/* ----------------------------------------------------------- raw LMDB */

#define LMDB_RECORD 600

static int lmdb_phase(MDB_env *env, MDB_dbi dbi, uint64_t *seq, int per_txn,
                      double seconds, const char *what)
{
	uint8_t val[LMDB_RECORD];
	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)(i * 13 + 5);
	int64_t t0 = mono_ns(), end = t0 + (int64_t)(seconds * 1e9);
	long commits = 0;
	int rc = 0;
	while (commits < 10000000 && mono_ns() < end) {
		MDB_txn *txn;
		if ((rc = mdb_txn_begin(env, NULL, 0, &txn)))
			break;
		for (int i = 0; i < per_txn && !rc; i++) {
			uint8_t kb[8];
			uint64_t s = (*seq)++;
			for (int j = 7; j >= 0; j--, s >>= 8)
				kb[j] = (uint8_t)s;
			memcpy(val, kb, 8); /* no two records alike */
			MDB_val k = {8, kb}, v = {sizeof(val), val};
			rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND);
		}
		if (rc) {
			mdb_txn_abort(txn);
			break;
		}
		if ((rc = mdb_txn_commit(txn)))
			break;
		commits++;
	}
	if (rc) {
		fprintf(stderr, "seinbench: raw-lmdb: %s\n", mdb_strerror(rc));
		return -1;
	}
	double secs = (double)(mono_ns() - t0) / 1e9;
	char name[80];
	printf("# raw-lmdb %s: %ld commits of %d x %d-byte records in %.2f s\n",
	       what, commits, per_txn, LMDB_RECORD, secs);
	snprintf(name, sizeof(name), "lmdb_%s_commits_per_s", what);
	figure(name, (double)commits / secs);
	snprintf(name, sizeof(name), "lmdb_%s_records_per_s", what);
	figure(name, (double)commits * per_txn / secs);
	return 0;
}

/* The floor under the daemon's journal (journal.c): 1 KiB written into a
 * file grown ahead with zeros, then fdatasync, one after the other. */
static int fsync_phase(const char *dir, double seconds)
{
	char file[1100];
	snprintf(file, sizeof(file), "%s/appends", dir);
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	static uint8_t block[65536];
	const size_t rec = 1024, span = 16u << 20;
	int ok = fd >= 0;
	for (size_t off = 0; ok && off < span; off += sizeof(block))
		ok = pwrite(fd, block, sizeof(block), (off_t)off) ==
		     (ssize_t)sizeof(block);
	ok = ok && fsync(fd) == 0;
	int64_t t0 = mono_ns(), end = t0 + (int64_t)(seconds * 1e9);
	long n = 0;
	for (size_t off = 0; ok && mono_ns() < end; n++) {
		memset(block, (int)(n & 0xff), rec);
		ok = pwrite(fd, block, rec, (off_t)off) == (ssize_t)rec &&
		     fdatasync(fd) == 0;
		off = off + rec >= span ? 0 : off + rec;
	}
	if (fd >= 0)
		close(fd);
	unlink(file);
	if (!ok) {
		fprintf(stderr, "seinbench: raw appends: %s\n",
		        strerror(errno));
		return -1;
	}
	double secs = (double)(mono_ns() - t0) / 1e9;
	printf("# raw appends: %ld of %zu bytes, each followed by fdatasync, "
	       "in %.2f s\n",
	       n, rec, secs);
	figure("fsync_appends_per_s", (double)n / secs);
	return 0;
}

static int cmd_raw_lmdb(int argc, char **argv)
{
	static const char *const known[] = {"--dir", "--seconds", NULL};
	const char *dir;
	double seconds;
	if (parse_opts(argc, argv, known) || opt_need("--dir", &dir) ||
	    opt_num("--seconds", 2, 0.1, 60, &seconds))
		return 2;
	char path[1024], file[1100];
	snprintf(path, sizeof(path), "%s/seinbench-lmdb.XXXXXX", dir);
	if (!mkdtemp(path)) {
		fprintf(stderr,
		        "seinbench: cannot create a directory in %s: %s\n", dir,
		        strerror(errno));
		return 1;
	}
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	uint64_t seq = 1;
	int rc, ret = 1;
	/* Flags 0: LMDB's default full sync on every commit, as the daemon. */
	if ((rc = mdb_env_create(&env)) ||
	    (rc = mdb_env_set_mapsize(env, (size_t)2 << 30)) ||
	    (rc = mdb_env_set_maxdbs(env, 4)) ||
	    (rc = mdb_env_open(env, path, MDB_NOTLS, 0600)) ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, "bench", MDB_CREATE, &dbi)) ||
	    (rc = mdb_txn_commit(txn))) {
		fprintf(stderr, "seinbench: raw-lmdb: cannot open %s: %s\n",
		        path, mdb_strerror(rc));
		goto out;
	}
	printf("# raw-lmdb in %s (default sync: no MDB_NOSYNC/NOMETASYNC)\n",
	       path);
	if (lmdb_phase(env, dbi, &seq, 1, seconds, "single") == 0 &&
	    lmdb_phase(env, dbi, &seq, 256, seconds, "batch256") == 0 &&
	    fsync_phase(path, seconds) == 0)
		ret = 0;
out:
	if (env)
		mdb_env_close(env);
	snprintf(file, sizeof(file), "%s/data.mdb", path);
	unlink(file);
	snprintf(file, sizeof(file), "%s/lock.mdb", path);
	unlink(file);
	rmdir(path);
	return ret;
}

/* ------------------------------------------- pipelined control client */

typedef struct {
	int fd;
	sh_buf out, in;
	size_t out_off, in_off;
} conn;

static int conn_open(conn *c, const char *path)
{
	char why[600];
	memset(c, 0, sizeof(*c));
	if (sh_ctl_connect(path, &c->fd, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinbench: %s\n", why);
		return -1;
	}
	int fl = fcntl(c->fd, F_GETFL);
	if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		fprintf(stderr, "seinbench: fcntl: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void conn_close(conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	sh_buf_free(&c->out);
	sh_buf_free(&c->in);
}

static size_t conn_unsent(const conn *c)
{
	return c->out.len - c->out_off;
}

static void conn_queue(conn *c, const Seinhuis__CtlRequest *q)
{
	if (c->out_off > 0 && c->out_off == c->out.len)
		c->out.len = c->out_off = 0;
	sh_frame_append(&c->out, &q->base);
}

/* Write what the socket takes now. -1 when the daemon is gone. */
static int conn_flush(conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t w = write(c->fd, c->out.data + c->out_off,
		                  c->out.len - c->out_off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			fprintf(stderr, "seinbench: control socket: %s\n",
			        strerror(errno));
			return -1;
		}
		c->out_off += (size_t)w;
	}
	if (c->out_off == c->out.len) {
		c->out.len = c->out_off = 0;
	} else if (c->out_off > (1u << 20)) {
		memmove(c->out.data, c->out.data + c->out_off, conn_unsent(c));
		c->out.len -= c->out_off;
		c->out_off = 0;
	}
	return 0;
}

/* Read what the socket holds now. -1 when the daemon is gone. */
static int conn_fill(conn *c)
{
	if (c->in_off > 0) {
		memmove(c->in.data, c->in.data + c->in_off,
		        c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
	for (int i = 0; i < 256; i++) {
		const size_t chunk = 65536;
		sh_buf_add(&c->in, NULL, chunk);
		ssize_t r = read(c->fd, c->in.data + c->in.len - chunk, chunk);
		c->in.len -= chunk - (r > 0 ? (size_t)r : 0);
		if (r == 0) {
			fprintf(stderr,
			        "seinbench: the daemon closed the control "
			        "connection\n");
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			fprintf(stderr, "seinbench: control socket: %s\n",
			        strerror(errno));
			return -1;
		}
		if ((size_t)r < chunk)
			return 0;
	}
	return 0;
}

/* Next whole reply, if one has arrived: 1 yes, 0 not yet, -1 bad frame. */
static int conn_next(conn *c, Seinhuis__CtlReply **rep)
{
	const uint8_t *body;
	size_t blen, flen;
	if (c->in.len - c->in_off < 4)
		return 0;
	int r = sh_frame_peek(c->in.data + c->in_off, c->in.len - c->in_off,
	                      &body, &blen, &flen);
	if (r < 0)
		fprintf(stderr, "seinbench: reply frame larger than %u bytes\n",
		        SH_CTL_MAX_FRAME);
	if (r <= 0)
		return r;
	c->in_off += flen;
	*rep = seinhuis__ctl_reply__unpack(NULL, blen, body);
	if (!*rep) {
		fprintf(stderr, "seinbench: a reply does not decode\n");
		return -1;
	}
	return 1;
}

/* Wait up to timeout_ms for the socket; flush and fill. -1 on failure. */
static int conn_wait(conn *c, int timeout_ms)
{
	struct pollfd p = {c->fd,
	                   (short)(POLLIN | (conn_unsent(c) ? POLLOUT : 0)), 0};
	int r = poll(&p, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if ((p.revents & POLLOUT) && conn_flush(c) < 0)
		return -1;
	if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && conn_fill(c) < 0)
		return -1;
	return 0;
}

/* One request and its reply, with nothing else outstanding. */
static int conn_call(conn *c, const Seinhuis__CtlRequest *q,
                     Seinhuis__CtlReply **rep, int timeout_ms)
{
	int64_t end = mono_ns() + (int64_t)timeout_ms * 1000000;
	conn_queue(c, q);
	if (conn_flush(c) < 0)
		return -1;
	for (;;) {
		int r = conn_next(c, rep);
		if (r != 0)
			return r > 0 ? 0 : -1;
		int64_t left = (end - mono_ns()) / 1000000;
		if (left <= 0) {
			fprintf(stderr,
			        "seinbench: no reply from the daemon\n");
			return -1;
		}
		if (conn_wait(c, (int)left) < 0)
			return -1;
	}
}

typedef struct {
	uint64_t delivered_out, outbox_failed, outbox_pending, inbox_depth,
	    accepted, received, duplicates, rejected_in;
} snap;

static int get_status(conn *c, snap *s)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	Seinhuis__CtlReply *r;
	q.op = SEINHUIS__CTL_REQUEST__OP__STATUS;
	if (conn_call(c, &q, &r, 30000) < 0)
		return -1;
	if (!r->ok || !r->status) {
		fprintf(stderr, "seinbench: STATUS refused: %s\n", r->error);
		seinhuis__ctl_reply__free_unpacked(r, NULL);
		return -1;
	}
	const Seinhuis__DaemonStatus *d = r->status;
	s->delivered_out = d->delivered_out;
	s->outbox_failed = d->outbox_failed;
	s->outbox_pending = d->outbox_pending;
	s->inbox_depth = d->inbox_depth;
	s->accepted = d->accepted;
	s->received = d->received;
	s->duplicates = d->duplicates;
	s->rejected_in = d->rejected_in;
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
}

static void print_errors(conn *c)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	Seinhuis__CtlReply *r;
	q.op = SEINHUIS__CTL_REQUEST__OP__STATUS;
	if (conn_call(c, &q, &r, 10000) < 0)
		return;
	if (r->status) {
		for (size_t i = 0; i < r->status->n_last_errors; i++)
			fprintf(stderr, "seinbench:   daemon error: %s\n",
			        r->status->last_errors[i]);
		for (size_t i = 0; i < r->status->n_peers; i++)
			fprintf(
			    stderr,
			    "seinbench:   peer %s connected=%d pending=%" PRIu64
			    " inflight=%" PRIu64 " last_error=%s\n",
			    r->status->peers[i]->partner,
			    (int)r->status->peers[i]->connected,
			    r->status->peers[i]->pending,
			    r->status->peers[i]->inflight,
			    r->status->peers[i]->last_error);
	}
	seinhuis__ctl_reply__free_unpacked(r, NULL);
}

/* Poll the sender's STATUS until delivered + failed reaches target.
 * *t_done is the monotonic time of the poll that saw it. */
/* How long the daemons may show no progress at all before the benchmark
 * gives up (a stuck daemon must not hold the run for the whole timeout). */
#define STALL_S 30

static int wait_settled(conn *c, uint64_t target, int timeout_s,
                        int64_t *t_done, snap *last)
{
	int64_t end = mono_ns() + (int64_t)timeout_s * 1000000000;
	int64_t moved = mono_ns();
	uint64_t seen = 0;
	for (long polls = 0; polls < 10000000; polls++) {
		if (get_status(c, last) < 0)
			return -1;
		uint64_t done = last->delivered_out + last->outbox_failed;
		if (done >= target) {
			if (t_done)
				*t_done = mono_ns();
			return 0;
		}
		if (done != seen) {
			seen = done;
			moved = mono_ns();
		}
		if (mono_ns() > end ||
		    mono_ns() - moved > (int64_t)STALL_S * 1000000000)
			break;
		usleep(2000);
	}
	fprintf(stderr,
	        "seinbench: the sender counts %" PRIu64
	        " delivered and %" PRIu64 " failed of %" PRIu64
	        ", and no progress for a while\n",
	        last->delivered_out, last->outbox_failed, target);
	print_errors(c);
	return -1;
}

/* ----------------------------------------------------- arrears signal */

#define NFIELDS 16
/* a desk's contact, long; no postcode or e-mail address, which a field
 * that travels unsealed may not hold (PERSONAL_DATA) */
#define CREDITOR_CONTACT                                                       \
	"Woonstichting De Fictieve Haven, team huurachterstand en incasso, "   \
	"Postbus 0000 te Teststad, telefoon 010-0000000 (werkdagen "           \
	"9-17 uur), of via het klantportaal van de woonstichting"

typedef struct {
	Seinhuis__CtlRequest req;
	Seinhuis__Field f[NFIELDS];
	Seinhuis__Field *fp[NFIELDS];
	char amount[24], ref[40], surname[40], house[16];
} arrears_req;

static void arrears_init(arrears_req *a, const char *to)
{
	static const char *const fixed[NFIELDS][2] = {
	    {"arrears_kind", "rent"},
	    {"amount_cents", NULL},
	    {"arrears_since", "2025-09-01"},
	    {"contact_attempt_date", "2025-10-02"},
	    {"reminder_date", "2025-10-16"},
	    {"urgency", "eviction"},
	    {"creditor_reference", NULL},
	    {"creditor_contact", CREDITOR_CONTACT},
	    {"municipality_code", "0599"},
	    {"legal_basis", "legal_duty"},
	    {"initials", "T.J."},
	    {"surname", NULL},
	    {"street", "Fictieve Bloemenlaan"},
	    {"house_number", NULL},
	    {"postcode", "1234 AB"},
	    {"place", "Teststad"},
	};
	memset(a, 0, sizeof(*a));
	seinhuis__ctl_request__init(&a->req);
	a->req.op = SEINHUIS__CTL_REQUEST__OP__SEND;
	a->req.type = (char *)"arrears";
	a->req.recipient = (char *)to;
	for (int i = 0; i < NFIELDS; i++) {
		seinhuis__field__init(&a->f[i]);
		a->f[i].name = (char *)fixed[i][0];
		if (fixed[i][1])
			a->f[i].value = (char *)fixed[i][1];
		a->fp[i] = &a->f[i];
	}
	a->f[1].value = a->amount;
	a->f[6].value = a->ref;
	a->f[11].value = a->surname;
	a->f[13].value = a->house;
	a->req.n_fields = NFIELDS;
	a->req.fields = a->fp;
}

/* Number n: a different fictional resident and claim each time. */
static void arrears_set(arrears_req *a, uint64_t n)
{
	snprintf(a->amount, sizeof(a->amount), "%" PRIu64, 25000 + n % 500000);
	snprintf(a->ref, sizeof(a->ref), "WBV-HUUR-2026-%08" PRIu64,
	         n % 100000000);
	snprintf(a->surname, sizeof(a->surname), "Testpersoon-%" PRIu64, n);
	snprintf(a->house, sizeof(a->house), "%" PRIu64, 1 + n % 999);
}

static size_t arrears_bytes(const arrears_req *a)
{
	size_t n = 0;
	for (int i = 0; i < NFIELDS; i++)
		n += strlen(a->f[i].name) + strlen(a->f[i].value);
	return n;
}

/* One signal, waited for until delivered: the connection and the CURVE
 * handshake between the daemons are made before anything is timed. */
static int warm_up(conn *s, arrears_req *a, uint64_t n)
{
	snap b;
	Seinhuis__CtlReply *r;
	if (get_status(s, &b) < 0)
		return -1;
	arrears_set(a, n);
	if (conn_call(s, &a->req, &r, 30000) < 0)
		return -1;
	if (!r->ok) {
		fprintf(stderr,
		        "seinbench: the sender refused the signal: %s: %s\n",
		        r->rule, r->error);
		seinhuis__ctl_reply__free_unpacked(r, NULL);
		return -1;
	}
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return wait_settled(s, b.delivered_out + b.outbox_failed + 1, 60, NULL,
	                    &b);
}

struct exchange_opts {
	const char *from, *to, *recv;
};

static int open_pair(const struct exchange_opts *o, conn *s, conn *r)
{
	s->fd = r->fd = -1;
	if (conn_open(s, o->from) < 0)
		return -1;
	if (conn_open(r, o->recv) < 0) {
		conn_close(s);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- crypto */

/* A throw-away identity in memory: no files, no CURVE keys. */
static int make_identity(sh_identity *id, const char *partner, const char *role)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->card.partner, sizeof(id->card.partner), "%s", partner);
	snprintf(id->card.name, sizeof(id->card.name), "Fictional %s", partner);
	snprintf(id->card.role, sizeof(id->card.role), "%s", role);
	if (sh_ed25519_keygen(id->card.sign_pub, id->sign_sec) != SH_OK ||
	    sh_x25519_keygen(id->card.seal_pub, id->seal_sec) != SH_OK) {
		fprintf(stderr, "seinbench: key generation failed\n");
		return -1;
	}
	return 0;
}

/* Ed25519 with the key object built once, as a daemon could keep it. */
static int sign_cached(EVP_PKEY *pk, uint8_t sig[64], const void *m, size_t n)
{
	size_t len = 64;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, pk) == 1 &&
	         EVP_DigestSign(md, sig, &len, m, n) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static int verify_cached(EVP_PKEY *pk, const uint8_t sig[64], const void *m,
                         size_t n)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
	         EVP_DigestVerify(md, sig, 64, m, n) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static double us_per(int64_t t0, long n)
{
	return (double)(mono_ns() - t0) / 1e3 / (double)n;
}

static int cmd_crypto(int argc, char **argv)
{
	static const char *const known[] = {"--count", NULL};
	double count_d;
	if (parse_opts(argc, argv, known) ||
	    opt_num("--count", 2000, 1, 1e7, &count_d))
		return 2;
	long n = (long)count_d;
	sh_identity snd, rcv;
	sh_pair_keys ks, kr;
	arrears_req a;
	sh_buf env = {0};
	uint8_t id[SH_ID_LEN], sig[SH_SIG_LEN];
	char field[128];
	int ret = 1;
	EVP_PKEY *sk = NULL, *pk = NULL;
	Seinhuis__Signal *sg = NULL;
	Seinhuis__SealedContent *sc = NULL;

	if (make_identity(&snd, "bench-landlord", "landlord") < 0 ||
	    make_identity(&rcv, "bench-gemeente", "municipality_debt") < 0 ||
	    sh_pair_keys_derive(&ks, &snd, &rcv.card) != SH_OK ||
	    sh_pair_keys_derive(&kr, &rcv, &snd.card) != SH_OK) {
		fprintf(stderr,
		        "seinbench: crypto: cannot set up identities\n");
		return 1;
	}
	arrears_init(&a, rcv.card.partner);
	arrears_set(&a, 0);
	printf("# crypto: %ld operations each, one thread, arrears signal of "
	       "%zu bytes of fields\n",
	       n, arrears_bytes(&a));

	/* What op_send does per signal: build, seal and sign. */
	int64_t t0 = mono_ns();
	for (long i = 0; i < n; i++) {
		arrears_set(&a, (uint64_t)i);
		env.len = 0;
		if (sh_wire_build(&snd, &rcv.card, &ks,
		                  SEINHUIS__SIGNAL_TYPE__ARREARS, a.req.fields,
		                  a.req.n_fields, id, &env, field,
		                  sizeof(field)) != SH_OK) {
			fprintf(stderr,
			        "seinbench: crypto: build refused (%s)\n",
			        field);
			goto out;
		}
	}
	double build_us = us_per(t0, n);
	printf("# crypto: envelope of %zu bytes\n", env.len);

	/* What handle_frame does per signal: verify, then open the seal. */
	t0 = mono_ns();
	for (long i = 0; i < n; i++) {
		if (sh_wire_verify(&rcv, &snd.card, env.data, env.len, &sg,
		                   id) != SH_OK) {
			fprintf(stderr, "seinbench: crypto: verify failed\n");
			goto out;
		}
		if (i + 1 < n)
			seinhuis__signal__free_unpacked(sg, NULL);
	}
	double verify_us = us_per(t0, n);
	t0 = mono_ns();
	for (long i = 0; i < n; i++) {
		if (sh_wire_open(sg, &kr, &sc) != SH_OK) {
			fprintf(stderr, "seinbench: crypto: open failed\n");
			goto out;
		}
		seinhuis__sealed_content__free_unpacked(sc, NULL);
		sc = NULL;
	}
	double open_us = us_per(t0, n);

	/* The bare primitive over the same bytes: as libseinhuis calls it
	 * (libsodium, crypto.c), and OpenSSL 3's with its key objects made
	 * once, for comparison (what crypto.c used before 2026-12-04). */
	t0 = mono_ns();
	for (long i = 0; i < n; i++)
		if (sh_ed25519_sign(sig, snd.sign_sec, env.data, env.len) !=
		    SH_OK)
			goto out;
	double sign_us = us_per(t0, n);
	t0 = mono_ns();
	for (long i = 0; i < n; i++)
		if (!sh_ed25519_verify(sig, snd.card.sign_pub, env.data,
		                       env.len))
			goto out;
	double ver_us = us_per(t0, n);
	sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, snd.sign_sec,
	                                  32);
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
	                                 snd.card.sign_pub, 32);
	if (!sk || !pk)
		goto out;
	t0 = mono_ns();
	for (long i = 0; i < n; i++)
		if (sign_cached(sk, sig, env.data, env.len) < 0)
			goto out;
	double sign_c_us = us_per(t0, n);
	t0 = mono_ns();
	for (long i = 0; i < n; i++)
		if (verify_cached(pk, sig, env.data, env.len) < 0)
			goto out;
	double ver_c_us = us_per(t0, n);

	/* What the daemons do now: the outbox keeps signals unsigned
	 * (build + seal), a frame of up to batch_max signals is signed once
	 * over their Merkle root, and the recipient verifies the frame once
	 * and each signal's proof (hashes) against that signature. */
	enum { BATCH = 256 };
	ProtobufCBinaryData *bsig = sh_xcalloc(BATCH, sizeof(*bsig));
	Seinhuis__Envelope **benv = sh_xcalloc(BATCH, sizeof(*benv));
	sh_buf frame = {0}, *proofs = sh_xcalloc(BATCH, sizeof(*proofs));
	Seinhuis__PeerFrame *pf = NULL;
	long rounds = n / BATCH > 0 ? n / BATCH : 1;
	t0 = mono_ns();
	for (long i = 0; i < rounds * BATCH; i++) {
		arrears_set(&a, (uint64_t)i);
		env.len = 0;
		if (sh_wire_build_unsigned(&snd, &rcv.card, &ks,
		                           SEINHUIS__SIGNAL_TYPE__ARREARS,
		                           a.req.fields, a.req.n_fields, id,
		                           &env, field, sizeof(field)) != SH_OK)
			goto batch_out;
		if (i < BATCH) {
			benv[i] =
			    seinhuis__envelope__unpack(NULL, env.len, env.data);
			if (!benv[i])
				goto batch_out;
			bsig[i] = benv[i]->signal;
		}
	}
	double build_unsigned_us = us_per(t0, rounds * BATCH);
	t0 = mono_ns();
	for (long r = 0; r < rounds; r++) {
		frame.len = 0;
		if (sh_batch_build(&snd, rcv.card.partner, bsig, BATCH,
		                   &frame) != SH_OK)
			goto batch_out;
	}
	double batch_sign_us = us_per(t0, rounds * BATCH);
	pf = seinhuis__peer_frame__unpack(NULL, frame.len, frame.data);
	if (!pf)
		goto batch_out;
	t0 = mono_ns();
	for (long r = 0; r < rounds; r++) {
		sh_sig_memo memo = {0};
		for (size_t k = 0; k < BATCH; k++)
			proofs[k].len = 0;
		if (sh_batch_verify(&rcv, &snd.card, pf, proofs, &memo) !=
		    SH_OK)
			goto batch_out;
		for (size_t k = 0; k < BATCH; k++) {
			Seinhuis__Signal *ps = NULL;
			if (sh_wire_verify_memo(&rcv, &snd.card, proofs[k].data,
			                        proofs[k].len, &memo, &ps,
			                        id) != SH_OK)
				goto batch_out;
			seinhuis__signal__free_unpacked(ps, NULL);
		}
	}
	double batch_verify_us = us_per(t0, rounds * BATCH);
	figure("crypto_wire_build_unsigned_us", build_unsigned_us);
	figure("crypto_batch256_sign_per_signal_us", batch_sign_us);
	figure("crypto_batch256_verify_per_signal_us", batch_verify_us);
	printf("# crypto: with batch signatures (frames of %d), one core "
	       "builds at most %.0f signals/s and receives (verify + open) "
	       "at most %.0f signals/s\n",
	       BATCH, 1e6 / (build_unsigned_us + batch_sign_us),
	       1e6 / (batch_verify_us + open_us));
	figure("crypto_batch_sender_ceiling_per_s",
	       1e6 / (build_unsigned_us + batch_sign_us));
	figure("crypto_batch_recipient_ceiling_per_s",
	       1e6 / (batch_verify_us + open_us));
	ret = 0;
batch_out:
	if (pf)
		seinhuis__peer_frame__free_unpacked(pf, NULL);
	for (size_t k = 0; k < BATCH; k++) {
		sh_buf_free(&proofs[k]);
		if (benv[k])
			seinhuis__envelope__free_unpacked(benv[k], NULL);
	}
	free(proofs);
	free(benv);
	free(bsig);
	sh_buf_free(&frame);
	if (ret)
		goto out;

	figure("crypto_wire_build_us", build_us);
	figure("crypto_wire_verify_us", verify_us);
	figure("crypto_wire_open_us", open_us);
	figure("crypto_ed25519_sign_us", sign_us);
	figure("crypto_ed25519_sign_openssl_us", sign_c_us);
	figure("crypto_ed25519_verify_us", ver_us);
	figure("crypto_ed25519_verify_openssl_us", ver_c_us);
	printf("# crypto: signed one by one (the format still accepted), one "
	       "core builds at most %.0f signals/s and receives (verify + "
	       "open) at most %.0f signals/s\n",
	       1e6 / build_us, 1e6 / (verify_us + open_us));
	figure("crypto_sender_ceiling_per_s", 1e6 / build_us);
	figure("crypto_recipient_ceiling_per_s", 1e6 / (verify_us + open_us));
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "seinbench: crypto: a primitive failed\n");
	EVP_PKEY_free(sk);
	EVP_PKEY_free(pk);
	if (sg)
		seinhuis__signal__free_unpacked(sg, NULL);
	sh_buf_free(&env);
	sh_identity_wipe(&snd);
	sh_identity_wipe(&rcv);
	return ret;
}

/* ---------------------------------------------------------------- e2e */

/* The window is at most 4096: the daemon handles at most 4096 frames per
 * read of a control connection and looks at the rest only when more bytes
 * arrive, so a client with more small frames outstanding can wait for
 * ever (control.c, sh_control_read). */
static int cmd_e2e(int argc, char **argv)
{
	static const char *const known[] = {
	    "--from",    "--to-partner", "--recv",      "--count", "--window",
	    "--timeout", "--curve-rate", "--lmdb-rate", NULL};
	struct exchange_opts o;
	double count_d, window_d, timeout_d, curve_rate, lmdb_rate;
	if (parse_opts(argc, argv, known) || opt_need("--from", &o.from) ||
	    opt_need("--to-partner", &o.to) || opt_need("--recv", &o.recv) ||
	    opt_num("--count", 20000, 1, 1e7, &count_d) ||
	    opt_num("--window", 2048, 1, 4096, &window_d) ||
	    opt_num("--timeout", 600, 1, 86400, &timeout_d) ||
	    opt_num("--curve-rate", 0, 0, 1e12, &curve_rate) ||
	    opt_num("--lmdb-rate", 0, 0, 1e12, &lmdb_rate))
		return 2;
	long count = (long)count_d, window = (long)window_d;
	conn s, r;
	arrears_req a;
	snap bs, br, es, er;
	int ret = 1;
	uint64_t seed = (uint64_t)real_us() % 1000000000 * 100;

	if (open_pair(&o, &s, &r) < 0)
		return 1;
	arrears_init(&a, o.to);
	arrears_set(&a, seed);
	printf(
	    "# e2e: %ld arrears signals (%zu bytes of fields each) to %s, up "
	    "to %ld requests outstanding\n",
	    count, arrears_bytes(&a), o.to, window);
	if (warm_up(&s, &a, seed) < 0 || get_status(&s, &bs) < 0 ||
	    get_status(&r, &br) < 0)
		goto out;

	long sent = 0, replied = 0, accepted = 0, refused = 0;
	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	int64_t t0 = mono_ns();
	int64_t limit = t0 + (int64_t)(timeout_d * 1e9);
	int64_t moved = t0;
	while (replied < count) {
		if (mono_ns() - moved > (int64_t)STALL_S * 1000000000) {
			fprintf(
			    stderr,
			    "seinbench: e2e: no reply for %d s (%ld of %ld); "
			    "is the sending daemon stuck?\n",
			    STALL_S, replied, count);
			print_errors(&r);
			goto out;
		}
		if (mono_ns() > limit) {
			fprintf(stderr,
			        "seinbench: e2e: %ld of %ld replies after "
			        "%.0f s\n",
			        replied, count, timeout_d);
			goto out;
		}
		while (sent < count && sent - replied < window &&
		       conn_unsent(&s) < (1u << 20)) {
			arrears_set(&a, seed + 1 + (uint64_t)sent);
			conn_queue(&s, &a.req);
			sent++;
		}
		if (conn_flush(&s) < 0 || conn_wait(&s, 1000) < 0)
			goto out;
		Seinhuis__CtlReply *rep;
		int g;
		while ((g = conn_next(&s, &rep)) == 1) {
			replied++;
			moved = mono_ns();
			if (rep->ok)
				accepted++;
			else if (refused++ < 3)
				fprintf(stderr, "seinbench: refused: %s: %s\n",
				        rep->rule, rep->error);
			seinhuis__ctl_reply__free_unpacked(rep, NULL);
		}
		if (g < 0)
			goto out;
	}
	int64_t t_acc = mono_ns(), t_done;
	getrusage(RUSAGE_SELF, &ru1);
	if (wait_settled(
	        &s, bs.delivered_out + bs.outbox_failed + (uint64_t)accepted,
	        (int)timeout_d, &t_done, &es) < 0 ||
	    get_status(&r, &er) < 0)
		goto out;

	double acc_s = (double)(t_acc - t0) / 1e9;
	double e2e_s = (double)(t_done - t0) / 1e9;
	double e2e_rate = (double)accepted / e2e_s;
	printf("# e2e: %ld accepted, %ld refused in %.3f s; all settled at the "
	       "sender after %.3f s\n",
	       accepted, refused, acc_s, e2e_s);
	printf("# e2e: sender delivered +%" PRIu64 ", failed +%" PRIu64
	       "; recipient inbox +%" PRIu64 ", received +%" PRIu64
	       ", duplicates +%" PRIu64 ", rejected +%" PRIu64 "\n",
	       es.delivered_out - bs.delivered_out,
	       es.outbox_failed - bs.outbox_failed,
	       er.inbox_depth - br.inbox_depth, er.received - br.received,
	       er.duplicates - br.duplicates, er.rejected_in - br.rejected_in);
	figure("e2e_accept_per_s", (double)accepted / acc_s);
	figure("e2e_signals_per_s", e2e_rate);
	figure("e2e_recipient_duplicates",
	       (double)(er.duplicates - br.duplicates));
	/* The submitting client's own CPU (until the last reply; it only
	 * polls for status after that): part of what the machine spends. */
	figure("e2e_client_cpu_us_per_signal",
	       (tv_us(&ru1.ru_utime) - tv_us(&ru0.ru_utime) +
	        tv_us(&ru1.ru_stime) - tv_us(&ru0.ru_stime)) /
	           (double)count);
	if (curve_rate > 0)
		figure("ratio_e2e_to_raw_curve", e2e_rate / curve_rate);
	if (lmdb_rate > 0)
		figure("ratio_e2e_to_lmdb_single_commit", e2e_rate / lmdb_rate);
	ret = refused || es.outbox_failed != bs.outbox_failed ? 1 : 0;
	if (ret)
		fprintf(stderr, "seinbench: e2e: some signals were refused or "
		                "failed\n");
out:
	conn_close(&s);
	conn_close(&r);
	return ret;
}

/* ------------------------------------------------------------ latency */

typedef struct {
	uint8_t id[SH_ID_LEN];
	int64_t sub_us;
} lat_rec;

static int cmp_rec(const void *a, const void *b)
{
	return memcmp(((const lat_rec *)a)->id, ((const lat_rec *)b)->id,
	              SH_ID_LEN);
}

/* Take the replies that have arrived; the k-th reply answers the k-th
 * request. */
static int take_replies(conn *s, long *replied, long *accepted, long *refused,
                        const int64_t *sub_us, lat_rec *recs)
{
	Seinhuis__CtlReply *rep;
	int g;
	while ((g = conn_next(s, &rep)) == 1) {
		long k = (*replied)++;
		if (rep->ok && sh_unhex(recs[*accepted].id, SH_ID_LEN,
		                        rep->message_id) == 0) {
			recs[*accepted].sub_us = sub_us[k];
			(*accepted)++;
		} else if ((*refused)++ < 3) {
			fprintf(stderr, "seinbench: refused: %s: %s\n",
			        rep->rule, rep->error);
		}
		seinhuis__ctl_reply__free_unpacked(rep, NULL);
	}
	return g < 0 ? -1 : 0;
}

/* The recipient's commit, seen from outside: an INBOX_WAIT on the
 * recipient is answered right after the commit that put signals in its
 * inbox (control.c, sh_control_waiters), so the time its reply arrives
 * here is the commit's time plus one local socket hop. It is taken per
 * reply for each signal the reply lists. */
typedef struct {
	conn c;
	uint64_t next;
	lat_rec *seen; /* id and the time its commit was seen */
	size_t n, cap;
} watcher;

static void watch_queue(watcher *w)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	q.op = SEINHUIS__CTL_REQUEST__OP__INBOX_WAIT;
	q.start_index = w->next;
	q.wait_ms = 10000;
	q.limit = 100000;
	conn_queue(&w->c, &q);
}

/* Open the watch: learn where the inbox ends now, then wait from there. */
static int watch_open(watcher *w, const char *path)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	Seinhuis__CtlReply *rep = NULL;
	memset(w, 0, sizeof(*w));
	if (conn_open(&w->c, path) < 0)
		return -1;
	q.op = SEINHUIS__CTL_REQUEST__OP__INBOX_WAIT;
	q.wait_ms = 1;
	if (conn_call(&w->c, &q, &rep, 10000) < 0 || !rep->ok) {
		fprintf(stderr, "seinbench: INBOX_WAIT refused: %s\n",
		        rep ? rep->error : "no reply");
		if (rep)
			seinhuis__ctl_reply__free_unpacked(rep, NULL);
		return -1;
	}
	w->next = rep->next_index;
	seinhuis__ctl_reply__free_unpacked(rep, NULL);
	watch_queue(w);
	return conn_flush(&w->c);
}

/* Take the watch's replies that have arrived; wait again after each. */
static int watch_take(watcher *w)
{
	Seinhuis__CtlReply *rep;
	int g;
	while ((g = conn_next(&w->c, &rep)) == 1) {
		int64_t t = real_us();
		if (!rep->ok) {
			fprintf(stderr, "seinbench: INBOX_WAIT: %s\n",
			        rep->error);
			seinhuis__ctl_reply__free_unpacked(rep, NULL);
			return -1;
		}
		for (size_t i = 0; i < rep->n_inbox; i++) {
			if (w->n == w->cap) {
				w->cap = w->cap ? 2 * w->cap : 4096;
				w->seen =
				    realloc(w->seen, w->cap * sizeof(*w->seen));
				if (!w->seen)
					abort();
			}
			if (sh_unhex(w->seen[w->n].id, SH_ID_LEN,
			             rep->inbox[i]->message_id) == 0)
				w->seen[w->n++].sub_us = t;
		}
		w->next = rep->next_index;
		seinhuis__ctl_reply__free_unpacked(rep, NULL);
		watch_queue(w);
		if (conn_flush(&w->c) < 0)
			return -1;
	}
	return g < 0 ? -1 : 0;
}

/* Wait on the sender's connection and the watch together, up to
 * timeout_ns (ppoll: the watch's replies are timed as they come, not at
 * the next millisecond). */
static int wait_two(conn *s, watcher *w, int64_t timeout_ns)
{
	struct timespec ts = {(time_t)(timeout_ns / 1000000000),
	                      (long)(timeout_ns % 1000000000)};
	struct pollfd p[2] = {
	    {s->fd, (short)(POLLIN | (conn_unsent(s) ? POLLOUT : 0)), 0},
	    {w->c.fd, (short)(POLLIN | (conn_unsent(&w->c) ? POLLOUT : 0)), 0}};
	int r = ppoll(p, 2, &ts, NULL);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if ((p[0].revents & POLLOUT) && conn_flush(s) < 0)
		return -1;
	if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && conn_fill(s) < 0)
		return -1;
	if ((p[1].revents & POLLOUT) && conn_flush(&w->c) < 0)
		return -1;
	if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
	    (conn_fill(&w->c) < 0 || watch_take(w) < 0))
		return -1;
	return 0;
}

static int cmd_latency(int argc, char **argv)
{
	static const char *const known[] = {"--from", "--to-partner", "--recv",
	                                    "--rate", "--seconds",    NULL};
	struct exchange_opts o;
	double rate, seconds;
	if (parse_opts(argc, argv, known) || opt_need("--from", &o.from) ||
	    opt_need("--to-partner", &o.to) || opt_need("--recv", &o.recv) ||
	    opt_num("--rate", 1000, 1, 100000, &rate) ||
	    opt_num("--seconds", 5, 0.1, 600, &seconds))
		return 2;
	long total = (long)(rate * seconds);
	if (total < 1 || total > 1000000) {
		fprintf(stderr,
		        "seinbench: rate x seconds must be 1 to 1000000\n");
		return 2;
	}
	int64_t interval = (int64_t)(1e9 / rate);
	conn s, r;
	arrears_req a;
	snap bs, es;
	int ret = 1;
	uint64_t seed = (uint64_t)real_us() % 1000000000 * 100 + 50;
	int64_t *sub_us = sh_xcalloc((size_t)total, sizeof(*sub_us));
	lat_rec *recs = sh_xcalloc((size_t)total, sizeof(*recs));
	double *lat = NULL;
	Seinhuis__CtlReply *list = NULL;

	watcher w;
	memset(&w, 0, sizeof(w));
	w.c.fd = -1;
	if (open_pair(&o, &s, &r) < 0)
		goto out_free;
	arrears_init(&a, o.to);
	if (warm_up(&s, &a, seed) < 0 || get_status(&s, &bs) < 0 ||
	    watch_open(&w, o.recv) < 0)
		goto out;
	printf("# latency: %ld signals offered at %.0f/s to %s; the "
	       "recipient's commits are seen by a watch (INBOX_WAIT)\n",
	       total, rate, o.to);

	long sent = 0, replied = 0, accepted = 0, refused = 0, late = 0;
	int64_t start = mono_ns() + 20000000, t_first = 0, t_last = 0;
	int64_t moved = start;
	long last_replied = 0;
	int64_t limit = start + (int64_t)(seconds * 1e9) + 120 * 1000000000LL;
	while (sent < total || replied < sent) {
		int64_t now = mono_ns();
		if (replied != last_replied || replied == sent) {
			last_replied = replied;
			moved = now;
		}
		if (replied < sent &&
		    now - moved > (int64_t)STALL_S * 1000000000) {
			fprintf(
			    stderr,
			    "seinbench: latency: the sender answered nothing "
			    "for %d s; is the daemon stuck?\n",
			    STALL_S);
			goto out;
		}
		if (now > limit) {
			fprintf(stderr,
			        "seinbench: latency: %ld of %ld replies\n",
			        replied, sent);
			goto out;
		}
		if (sent < total) {
			int64_t due = start + sent * interval;
			/* Until the deadline, read replies and the watch as
			 * they come. */
			if (now < due) {
				if (wait_two(&s, &w, due - now) < 0 ||
				    take_replies(&s, &replied, &accepted,
				                 &refused, sub_us, recs) < 0)
					goto out;
				continue;
			}
			if (now - due > 1000000)
				late++;
			arrears_set(&a, seed + 1 + (uint64_t)sent);
			conn_queue(&s, &a.req);
			sub_us[sent++] = real_us();
			t_last = mono_ns();
			if (sent == 1)
				t_first = t_last;
			if (conn_flush(&s) < 0 || wait_two(&s, &w, 0) < 0)
				goto out;
		} else if (wait_two(&s, &w, 100000000) < 0) {
			goto out;
		}
		if (take_replies(&s, &replied, &accepted, &refused, sub_us,
		                 recs) < 0)
			goto out;
	}
	double offered =
	    t_last > t_first
	        ? (double)(sent - 1) / ((double)(t_last - t_first) / 1e9)
	        : 0;
	/* every accepted signal's commit seen by the watch (or 60 s) */
	int64_t watch_end = mono_ns() + 60 * 1000000000LL;
	while (w.n < (size_t)accepted && mono_ns() < watch_end)
		if (wait_two(&s, &w, 100000000) < 0)
			goto out;
	if (wait_settled(
	        &s, bs.delivered_out + bs.outbox_failed + (uint64_t)accepted,
	        120, NULL, &es) < 0)
		goto out;

	qsort(recs, (size_t)accepted, sizeof(*recs), cmp_rec);
	/* submission -> recipient commit (seen by the watch) */
	lat = sh_xcalloc(w.n + (size_t)accepted + 1, sizeof(*lat));
	size_t nc = 0;
	for (size_t i = 0; i < w.n; i++) {
		const lat_rec *m = bsearch(&w.seen[i], recs, (size_t)accepted,
		                           sizeof(*recs), cmp_rec);
		if (m)
			lat[nc++] =
			    (double)(w.seen[i].sub_us - m->sub_us) / 1000.0;
	}
	printf("# latency: %zu of %ld accepted signals seen committed in the "
	       "recipient's inbox by the watch\n",
	       nc, accepted);
	if (nc == 0) {
		fprintf(stderr, "seinbench: latency: the watch saw none of the "
		                "signals committed\n");
		goto out;
	}
	qsort(lat, nc, sizeof(*lat), cmp_double);
	figure("latency_offered_per_s", offered);
	figure("latency_p50_ms", percentile(lat, nc, 0.50));
	figure("latency_p90_ms", percentile(lat, nc, 0.90));
	figure("latency_p99_ms", percentile(lat, nc, 0.99));
	figure("latency_max_ms", lat[nc - 1]);
	/* submission -> the recipient handling it, before its commit (the
	 * inbox record's received_us): the part of the latency before the
	 * recipient's commit */
	/* (the whole inbox, page by page: earlier phases may have filled it) */
	size_t n = 0, listed = 0;
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	q.op = SEINHUIS__CTL_REQUEST__OP__INBOX_LIST;
	q.limit = 10000000;
	for (;;) {
		if (conn_call(&r, &q, &list, 120000) < 0)
			goto out;
		if (!list->ok) {
			fprintf(stderr, "seinbench: INBOX_LIST refused: %s\n",
			        list->error);
			goto out;
		}
		for (size_t i = 0; i < list->n_inbox; i++) {
			lat_rec key;
			const Seinhuis__InboxItem *it = list->inbox[i];
			if (sh_unhex(key.id, SH_ID_LEN, it->message_id) != 0)
				continue;
			const lat_rec *m = bsearch(&key, recs, (size_t)accepted,
			                           sizeof(*recs), cmp_rec);
			if (m && it->received_us > 0 && n < (size_t)accepted)
				lat[n++] =
				    (double)(it->received_us - m->sub_us) /
				    1000.0;
		}
		listed += list->n_inbox;
		uint64_t next = list->next_index;
		seinhuis__ctl_reply__free_unpacked(list, NULL);
		list = NULL;
		if (next == 0 || next == q.start_index)
			break;
		q.start_index = next;
	}
	printf("# latency: %ld accepted, %ld refused, %ld sent more than 1 ms "
	       "late; %zu found in the recipient's inbox (of %zu listed)\n",
	       accepted, refused, late, n, listed);
	if (n == 0) {
		fprintf(stderr, "seinbench: latency: none of the signals is in "
		                "the recipient's inbox\n");
		goto out;
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	figure("latency_handled_p50_ms", percentile(lat, n, 0.50));
	figure("latency_handled_p99_ms", percentile(lat, n, 0.99));
	ret =
	    (long)n == accepted && (long)nc == accepted && refused == 0 ? 0 : 1;
	if (ret)
		fprintf(stderr,
		        "seinbench: latency: %ld accepted but %zu "
		        "matched in the inbox, %zu seen committed\n",
		        accepted, n, nc);
out:
	if (list)
		seinhuis__ctl_reply__free_unpacked(list, NULL);
	conn_close(&s);
	conn_close(&r);
	conn_close(&w.c);
	free(w.seen);
out_free:
	free(lat);
	free(sub_us);
	free(recs);
	return ret;
}

/* ------------------------------------------------------------- scale */

/* The load generator: many partners in one process. Each load partner is
 * a real identity (keys and card made by libseinhuis, as seinkey makes
 * them), trusted by the daemon under test through its card in the trust
 * directory, with its own CURVE DEALER socket to the daemon's ROUTER. It
 * sends signed and sealed arrears signals in PeerFrames, as a daemon does,
 * and times each signal from the moment its frame is handed to ZeroMQ
 * until its receipt comes back (the recipient answers only after its
 * inbox commit). */

#define LG_PREFIX "lg-landlord-"

typedef struct {
	uint8_t id[SH_ID_LEN];
	int64_t sent_ns, done_ns;
} lg_sig;

typedef struct {
	sh_buf bytes;    /* the packed PeerFrame */
	size_t first, n; /* its signals: sigs[first .. first + n) */
	int64_t sent_ns; /* last (re)send; 0 = not sent */
	size_t open;     /* signals without a receipt */
} lg_frame;

typedef struct {
	sh_identity self;
	sh_pair_keys keys;
	void *dealer;
	lg_sig *sigs;
	size_t nsigs;
	lg_frame *frames;
	size_t nframes, next_frame, inflight, done, resends;
	size_t scan; /* receipts usually come in order: search from here */
} lg_partner;

static void lg_dir(char *out, size_t n, const char *base, size_t i)
{
	snprintf(out, n, "%s/" LG_PREFIX "%04zu", base, i + 1);
}

/* seinbench scale-setup: make N identities under DIR and put their cards
 * into the daemon's trust directory (as seinkey trust does, without
 * reloading the whole store for each card). Existing ones are kept. */
static int cmd_scale_setup(int argc, char **argv)
{
	static const char *const known[] = {"--dir", "--partners", "--trustdir",
	                                    NULL};
	const char *dir, *trustdir;
	double nd;
	if (parse_opts(argc, argv, known) || opt_need("--dir", &dir) ||
	    opt_need("--trustdir", &trustdir) ||
	    opt_num("--partners", 400, 1, 5000, &nd))
		return 2;
	char path[1024], why[512];
	int64_t t0 = mono_ns();
	size_t made = 0;
	for (size_t i = 0; i < (size_t)nd; i++) {
		sh_identity id;
		lg_dir(path, sizeof(path), dir, i);
		if (sh_identity_load(&id, path, why, sizeof(why)) != SH_OK) {
			sh_card c;
			memset(&c, 0, sizeof(c));
			snprintf(c.partner, sizeof(c.partner),
			         LG_PREFIX "%04zu", i + 1);
			snprintf(c.name, sizeof(c.name),
			         "Fictional load partner %zu", i + 1);
			snprintf(c.role, sizeof(c.role), "landlord");
			snprintf(c.endpoint, sizeof(c.endpoint),
			         "tcp://127.0.0.1:1");
			if (sh_identity_create(path, &c, why, sizeof(why)) !=
			        SH_OK ||
			    sh_identity_load(&id, path, why, sizeof(why)) !=
			        SH_OK) {
				fprintf(stderr, "seinbench: scale-setup: %s\n",
				        why);
				return 1;
			}
			made++;
		}
		sh_buf b = {0};
		sh_card_format(&id.card, &b);
		char cpath[1100];
		snprintf(cpath, sizeof(cpath), "%s/%s.card", trustdir,
		         id.card.partner);
		sh_err e = sh_write_replace(cpath, 0644, b.data, b.len);
		sh_buf_free(&b);
		sh_identity_wipe(&id);
		if (e != SH_OK) {
			fprintf(stderr, "seinbench: scale-setup: %s: %s\n",
			        cpath, strerror(errno));
			return 1;
		}
	}
	printf("# scale-setup: %zu load partners (%zu new) in %s, cards in "
	       "%s, %.1f s\n",
	       (size_t)nd, made, dir, trustdir, (double)(mono_ns() - t0) / 1e9);
	return 0;
}

/* One outgoing frame from signals [first, first + n) of a partner, as the
 * daemon sends it: each signal built and sealed unsigned
 * (sh_wire_build_unsigned), then one Ed25519 signature over the Merkle
 * root of the frame's signals (sh_batch_build). */
static int lg_build_frame(lg_partner *p, const sh_card *to, arrears_req *a,
                          uint64_t seed, size_t first, size_t n, lg_frame *f)
{
	ProtobufCBinaryData *sig = sh_xcalloc(n, sizeof(*sig));
	Seinhuis__Envelope **envs = sh_xcalloc(n, sizeof(*envs));
	sh_buf buf = {0};
	char field[128];
	int ret = -1;
	for (size_t i = 0; i < n; i++) {
		arrears_set(a, seed + first + i);
		buf.len = 0;
		if (sh_wire_build_unsigned(
		        &p->self, to, &p->keys, SEINHUIS__SIGNAL_TYPE__ARREARS,
		        a->req.fields, a->req.n_fields, p->sigs[first + i].id,
		        &buf, field, sizeof(field)) != SH_OK) {
			fprintf(stderr,
			        "seinbench: scale: build refused (field %s)\n",
			        field);
			goto out;
		}
		envs[i] = seinhuis__envelope__unpack(NULL, buf.len, buf.data);
		if (!envs[i]) {
			fprintf(stderr,
			        "seinbench: scale: envelope undecodable\n");
			goto out;
		}
		sig[i] = envs[i]->signal;
	}
	memset(f, 0, sizeof(*f));
	if (sh_batch_build(&p->self, to->partner, sig, n, &f->bytes) != SH_OK) {
		fprintf(stderr, "seinbench: scale: batch not signed\n");
		goto out;
	}
	f->first = first;
	f->n = n;
	ret = 0;
out:
	for (size_t i = 0; i < n; i++)
		if (envs[i])
			seinhuis__envelope__free_unpacked(envs[i], NULL);
	sh_buf_free(&buf);
	free(envs);
	free(sig);
	return ret;
}

static int lg_send(lg_partner *p, lg_frame *f)
{
	if (zmq_send(p->dealer, f->bytes.data, f->bytes.len, ZMQ_DONTWAIT) !=
	    (int)f->bytes.len)
		return errno == EAGAIN ? 0 : -1;
	f->sent_ns = mono_ns();
	for (size_t i = 0; i < f->n; i++)
		if (!p->sigs[f->first + i].done_ns)
			p->sigs[f->first + i].sent_ns = f->sent_ns;
	return 1;
}

/* Receipts from the daemon: settle the signals they name. */
static int lg_receipts(lg_partner *p, size_t *rejected)
{
	for (;;) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, p->dealer, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return errno == EAGAIN ? 0 : -1;
		}
		int64_t now = mono_ns();
		Seinhuis__PeerFrame *f = seinhuis__peer_frame__unpack(
		    NULL, zmq_msg_size(&m), zmq_msg_data(&m));
		zmq_msg_close(&m);
		if (!f) {
			fprintf(stderr, "seinbench: scale: a receipt frame "
			                "does not decode\n");
			return -1;
		}
		for (size_t r = 0; r < f->n_receipts; r++) {
			const Seinhuis__Receipt *rc = f->receipts[r];
			if (rc->message_id.len != SH_ID_LEN)
				continue;
			size_t k = p->scan, found = SIZE_MAX;
			for (size_t j = 0; j < p->nsigs; j++, k++) {
				if (k >= p->nsigs)
					k = 0;
				if (memcmp(p->sigs[k].id, rc->message_id.data,
				           SH_ID_LEN) == 0) {
					found = k;
					break;
				}
			}
			if (found == SIZE_MAX || p->sigs[found].done_ns)
				continue;
			if (rc->status ==
			    SEINHUIS__RECEIPT_STATUS__RECEIPT_REJECTED) {
				if ((*rejected)++ < 3)
					fprintf(stderr,
					        "seinbench: scale: rejected: "
					        "%s: %s\n",
					        rc->rule, rc->detail);
			}
			p->sigs[found].done_ns = now;
			p->scan = found + 1;
			p->done++;
			lg_frame *fr = &p->frames[found / p->frames[0].n];
			if (--fr->open == 0)
				p->inflight--;
		}
		seinhuis__peer_frame__free_unpacked(f, NULL);
	}
}

static long status_vm_kb(const char *pid, const char *key)
{
	char path[64], line[256];
	long v = -1;
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	fclose(f);
	return v;
}

static long proc_fds(const char *pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	DIR *d = opendir(path);
	long n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* seinbench scale: N load partners send M signals each, all at once, to
 * the daemon whose card is --server; prints throughput, the overall and
 * per-partner median delivery time and the daemon's memory. */
static int cmd_scale(int argc, char **argv)
{
	static const char *const known[] = {
	    "--dir",   "--server",     "--partners", "--per-partner",
	    "--frame", "--inflight",   "--pid",      "--timeout",
	    "--tag",   "--curve-rate", NULL};
	const char *dir, *server, *pid, *tag;
	double nd, md, fd, infl, tmo, curve_rate;
	if (parse_opts(argc, argv, known) || opt_need("--dir", &dir) ||
	    opt_need("--server", &server) ||
	    opt_num("--partners", 400, 1, 5000, &nd) ||
	    opt_num("--per-partner", 50, 1, 1e6, &md) ||
	    opt_num("--frame", 16, 1, 1024, &fd) ||
	    opt_num("--inflight", 4096, 1, 1e6, &infl) ||
	    opt_num("--timeout", 300, 1, 86400, &tmo) ||
	    opt_num("--curve-rate", 0, 0, 1e12, &curve_rate))
		return 2;
	pid = opt_str("--pid", NULL);
	tag = opt_str("--tag", NULL);
	size_t np = (size_t)nd, per = (size_t)md, fsz = (size_t)fd;
	if (np == 0 || fsz == 0)
		return 2; /* opt_num keeps both at 1 or more */
	if (fsz > per)
		fsz = per;
	/* Frames each partner may have unanswered: the in-flight budget
	 * shared out, at least one frame each. */
	size_t win = (size_t)infl / (fsz * np);
	if (win < 1)
		win = 1;
	char why[512], path[1024];
	sh_card to;
	int ret = 1;
	void *ctx = NULL;
	lg_partner *ps = sh_xcalloc(np, sizeof(*ps));
	zmq_pollitem_t *items = sh_xcalloc(np, sizeof(*items));
	double *lat = NULL, *pmed = NULL;
	arrears_req a;
	uint64_t seed = (uint64_t)real_us() % 1000000000 * 100;

	if (sh_card_load(&to, server, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinbench: scale: %s\n", why);
		goto out;
	}
	arrears_init(&a, to.partner);
	/* Everything is built before the clock starts: the generator's own
	 * signing must not compete with the daemon under test. */
	int64_t tb = mono_ns();
	for (size_t i = 0; i < np; i++) {
		lg_partner *p = &ps[i];
		lg_dir(path, sizeof(path), dir, i);
		if (sh_identity_load(&p->self, path, why, sizeof(why)) !=
		        SH_OK ||
		    sh_pair_keys_derive(&p->keys, &p->self, &to) != SH_OK) {
			fprintf(stderr,
			        "seinbench: scale: %s (run scale-setup "
			        "first)\n",
			        why);
			goto out;
		}
		/* frame 0 is the warm-up: it waits for the handshake */
		p->nsigs = per + fsz;
		p->sigs = sh_xcalloc(p->nsigs, sizeof(*p->sigs));
		p->nframes = (p->nsigs + fsz - 1) / fsz;
		p->frames = sh_xcalloc(p->nframes, sizeof(*p->frames));
		for (size_t k = 0; k < p->nframes; k++) {
			size_t first = k * fsz;
			size_t n =
			    first + fsz > p->nsigs ? p->nsigs - first : fsz;
			if (lg_build_frame(p, &to, &a, seed + i * 1000000ULL,
			                   first, n, &p->frames[k]) < 0)
				goto out;
			p->frames[k].open = n;
		}
	}
	printf("# scale: %zu partners x %zu signals in frames of %zu, up to "
	       "%zu frames unanswered per partner; built in %.1f s\n",
	       np, per, fsz, win, (double)(mono_ns() - tb) / 1e9);

	ctx = zmq_ctx_new();
	zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, (int)np + 64);
	zmq_ctx_set(ctx, ZMQ_IO_THREADS, 1);
	int linger = 0, hwm = 0;
	for (size_t i = 0; i < np; i++) {
		lg_partner *p = &ps[i];
		p->dealer = zmq_socket(ctx, ZMQ_DEALER);
		if (!p->dealer ||
		    zopt(p->dealer, ZMQ_CURVE_SERVERKEY, to.curve_z85, 40) ||
		    zopt(p->dealer, ZMQ_CURVE_PUBLICKEY, p->self.card.curve_z85,
		         40) ||
		    zopt(p->dealer, ZMQ_CURVE_SECRETKEY, p->self.curve_sec_z85,
		         40) ||
		    zopt(p->dealer, ZMQ_LINGER, &linger, sizeof(linger)) ||
		    zopt(p->dealer, ZMQ_SNDHWM, &hwm, sizeof(hwm)) ||
		    zmq_connect(p->dealer, to.endpoint) != 0) {
			fprintf(stderr,
			        "seinbench: scale: socket %zu: %s (file "
			        "descriptors?)\n",
			        i + 1, zmq_strerror(errno));
			goto out;
		}
		items[i].socket = p->dealer;
		items[i].events = ZMQ_POLLIN;
	}

	/* Warm-up: one frame per partner, answered, before the clock starts
	 * (every CURVE handshake and ZAP check done). */
	size_t done = 0, rejected = 0, warm = np * fsz;
	int64_t t0 = mono_ns(), limit = t0 + (int64_t)(tmo * 1e9);
	int64_t resend_ns = 10 * 1000000000LL, last_move = t0;
	long peak_rss = 0;
	int64_t next_mem = t0;
	size_t target = warm, total = np * (per + fsz);
	size_t cap = 1; /* frames unanswered per partner: 1 while warming */
	for (;;) {
		if (done >= target) {
			if (target == total)
				break;
			target = total;
			cap = win;
			t0 = last_move = mono_ns();
			printf(
			    "# scale: %zu partners connected and answered in "
			    "the warm-up\n",
			    np);
		}
		int64_t now = mono_ns();
		if (now > limit || now - last_move > STALL_S * 1000000000LL) {
			fprintf(stderr,
			        "seinbench: scale: %zu of %zu receipts after "
			        "%.0f s\n",
			        done, total, (double)(now - t0) / 1e9);
			goto out;
		}
		for (size_t i = 0; i < np; i++) {
			lg_partner *p = &ps[i];
			size_t upto = target == total ? p->nframes : 1;
			while (p->inflight < cap && p->next_frame < upto) {
				int s = lg_send(p, &p->frames[p->next_frame]);
				if (s < 0)
					goto out;
				if (s == 0)
					break;
				p->next_frame++;
				p->inflight++;
			}
			/* no receipt for a while (the handshake was not done,
			 * or the frame was over the daemon's peer_rate): send
			 * it again; the daemon answers re-sent signals it has
			 * as duplicates */
			for (size_t k = 0; k < p->next_frame; k++) {
				lg_frame *f = &p->frames[k];
				if (f->open && now - f->sent_ns > resend_ns &&
				    lg_send(p, f) == 1)
					p->resends++;
			}
		}
		if (pid && now >= next_mem) {
			long r = status_vm_kb(pid, "VmRSS");
			if (r > peak_rss)
				peak_rss = r;
			next_mem = now + 100000000;
		}
		if (zmq_poll(items, (int)np, 50) < 0 && errno != EINTR) {
			fprintf(stderr, "seinbench: scale: zmq_poll: %s\n",
			        zmq_strerror(errno));
			goto out;
		}
		size_t before = done;
		done = 0;
		for (size_t i = 0; i < np; i++) {
			if ((items[i].revents & ZMQ_POLLIN) &&
			    lg_receipts(&ps[i], &rejected) < 0)
				goto out;
			done += ps[i].done;
		}
		if (done != before)
			last_move = mono_ns();
	}
	int64_t t1 = mono_ns();

	/* Delivery times: each signal from its last send to its receipt. */
	lat = sh_xcalloc(total, sizeof(*lat));
	pmed = sh_xcalloc(np, sizeof(*pmed));
	size_t n = 0, resends = 0;
	for (size_t i = 0; i < np; i++) {
		lg_partner *p = &ps[i];
		size_t first = n;
		for (size_t k = fsz; k < p->nsigs; k++)
			lat[n++] =
			    (double)(p->sigs[k].done_ns - p->sigs[k].sent_ns) /
			    1e6;
		qsort(lat + first, n - first, sizeof(*lat), cmp_double);
		pmed[i] = percentile(lat + first, n - first, 0.5);
		resends += p->resends;
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	qsort(pmed, np, sizeof(*pmed), cmp_double);
	total -= warm;
	double secs = (double)(t1 - t0) / 1e9, rate = (double)total / secs;
	double med = percentile(lat, n, 0.5), worst = pmed[np - 1];
	printf("# scale: %zu signals from %zu partners in %.2f s; %zu "
	       "rejected, %zu frames re-sent\n",
	       total, np, secs, rejected, resends);
	char name[96];
#define TAGGED(base)                                                           \
	(snprintf(name, sizeof(name), "%s%s%s", base, tag ? "_" : "",          \
	          tag ? tag : ""),                                             \
	 name)
	figure(TAGGED("scale_signals_per_s"), rate);
	figure(TAGGED("scale_delivery_p50_ms"), med);
	figure(TAGGED("scale_delivery_p99_ms"), percentile(lat, n, 0.99));
	figure(TAGGED("scale_partner_median_min_ms"), pmed[0]);
	figure(TAGGED("scale_partner_median_max_ms"), worst);
	figure(TAGGED("scale_fairness_ratio"), med > 0 ? worst / med : 0);
	if (curve_rate > 0)
		figure(TAGGED("scale_ratio_to_raw_curve"), rate / curve_rate);
	if (pid) {
		long hwm_kb = status_vm_kb(pid, "VmHWM");
		long rss_kb = status_vm_kb(pid, "VmRSS");
		long fds = proc_fds(pid);
		if (rss_kb > peak_rss)
			peak_rss = rss_kb;
		printf("# scale: daemon %s: VmHWM %ld kB, VmRSS %ld kB (peak "
		       "seen %ld kB), %ld open files\n",
		       pid, hwm_kb, rss_kb, peak_rss, fds);
		figure(TAGGED("scale_daemon_vmhwm_mb"), (double)hwm_kb / 1024);
		figure(TAGGED("scale_daemon_rss_mb"), (double)peak_rss / 1024);
		if (fds >= 0)
			figure(TAGGED("scale_daemon_fds"), (double)fds);
	}
#undef TAGGED
	ret = rejected ? 1 : 0;
out:
	for (size_t i = 0; i < np; i++) {
		lg_partner *p = &ps[i];
		if (p->dealer)
			zmq_close(p->dealer);
		for (size_t k = 0; k < p->nframes; k++)
			sh_buf_free(&p->frames[k].bytes);
		free(p->frames);
		free(p->sigs);
		sh_identity_wipe(&p->self);
		sh_wipe(&p->keys, sizeof(p->keys));
	}
	if (ctx)
		zmq_ctx_term(ctx);
	free(ps);
	free(items);
	free(lat);
	free(pmed);
	return ret;
}

/* seinbench inbox-fill: put N signals into a stopped daemon's inbox with
 * the store API, in transactions of 10,000: copies of one real envelope
 * from load partner 1 under new message ids, so that the daemon's seen
 * table and inbox have the size of a long-running recipient's. */
static int cmd_inbox_fill(int argc, char **argv)
{
	static const char *const known[] = {
	    "--dir", "--server", "--datadir", "--count", "--map-size", NULL};
	const char *dir, *server, *datadir;
	double cd, mapd;
	if (parse_opts(argc, argv, known) || opt_need("--dir", &dir) ||
	    opt_need("--server", &server) || opt_need("--datadir", &datadir) ||
	    opt_num("--count", 10000, 1, 1e8, &cd) ||
	    opt_num("--map-size", 4096, 16, 1 << 20, &mapd))
		return 2;
	char why[512], path[1024], field[128];
	sh_card to;
	lg_partner p;
	arrears_req a;
	sh_buf env = {0};
	sh_store *st = NULL;
	int ret = 1;
	memset(&p, 0, sizeof(p));
	lg_dir(path, sizeof(path), dir, 0);
	if (sh_card_load(&to, server, why, sizeof(why)) != SH_OK ||
	    sh_identity_load(&p.self, path, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinbench: inbox-fill: %s\n", why);
		return 1;
	}
	uint8_t id[SH_ID_LEN];
	arrears_init(&a, to.partner);
	arrears_set(&a, 1);
	if (sh_pair_keys_derive(&p.keys, &p.self, &to) != SH_OK ||
	    sh_wire_build(&p.self, &to, &p.keys, SEINHUIS__SIGNAL_TYPE__ARREARS,
	                  a.req.fields, a.req.n_fields, id, &env, field,
	                  sizeof(field)) != SH_OK) {
		fprintf(stderr, "seinbench: inbox-fill: cannot build\n");
		goto out;
	}
	if (sh_store_open(&st, datadir, (size_t)mapd << 20, to.partner, why,
	                  sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinbench: inbox-fill: %s\n", why);
		goto out;
	}
	long count = (long)cd, added = 0;
	int64_t t0 = mono_ns();
	while (added < count) {
		if (sh_store_begin(st) != SH_OK)
			goto out;
		for (int k = 0; k < 10000 && added < count; k++, added++) {
			if (sh_random(id, SH_ID_LEN) != SH_OK)
				goto out;
			sh_err e = sh_store_inbox_add(
			    st, id, p.self.card.partner,
			    SEINHUIS__SIGNAL_TYPE__ARREARS, env.data, env.len,
			    NULL, NULL, "", SEINHUIS__ACUTE_MARK__ACUTE_NOT,
			    NULL);
			if (e != SH_OK) {
				fprintf(
				    stderr,
				    "seinbench: inbox-fill: after %ld: %s\n",
				    added, sh_err_str(e));
				sh_store_abort(st);
				goto out;
			}
		}
		if (sh_store_commit(st) != SH_OK) {
			fprintf(stderr, "seinbench: inbox-fill: commit failed "
			                "(map size?)\n");
			goto out;
		}
	}
	printf("# inbox-fill: %ld signals of %zu bytes added to %s in %.1f s\n",
	       added, env.len, datadir, (double)(mono_ns() - t0) / 1e9);
	ret = 0;
out:
	if (st)
		sh_store_close(&st);
	sh_buf_free(&env);
	sh_identity_wipe(&p.self);
	sh_wipe(&p.keys, sizeof(p.keys));
	return ret;
}

/* seinbench natkey-fill: give a stopped sending daemon a history of N
 * natural keys (random keys and ids), as years of imports leave: each
 * later signal with a natural key is looked up among them and added. */
static int cmd_natkey_fill(int argc, char **argv)
{
	static const char *const known[] = {"--card", "--datadir", "--count",
	                                    "--map-size", NULL};
	const char *cardp, *datadir;
	double cd, mapd;
	if (parse_opts(argc, argv, known) || opt_need("--card", &cardp) ||
	    opt_need("--datadir", &datadir) ||
	    opt_num("--count", 100000, 1, 1e8, &cd) ||
	    opt_num("--map-size", 2048, 16, 1 << 20, &mapd))
		return 2;
	char why[512];
	sh_card own;
	sh_store *st = NULL;
	int ret = 1;
	if (sh_card_load(&own, cardp, why, sizeof(why)) != SH_OK ||
	    sh_store_open(&st, datadir, (size_t)mapd << 20, own.partner, why,
	                  sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinbench: natkey-fill: %s\n", why);
		return 1;
	}
	long count = (long)cd, added = 0;
	int64_t t0 = mono_ns();
	while (added < count) {
		if (sh_store_begin(st) != SH_OK)
			goto out;
		for (int k = 0; k < 20000 && added < count; k++, added++) {
			uint8_t key[SH_KEY_LEN], id[SH_ID_LEN];
			sh_err e = sh_random(key, sizeof(key));
			if (e == SH_OK)
				e = sh_random(id, sizeof(id));
			if (e == SH_OK)
				e = sh_store_natkey_put(st, key, id);
			if (e != SH_OK) {
				fprintf(
				    stderr,
				    "seinbench: natkey-fill: after %ld: %s\n",
				    added, sh_err_str(e));
				sh_store_abort(st);
				goto out;
			}
		}
		if (sh_store_commit(st) != SH_OK ||
		    sh_store_checkpoint(st) != SH_OK) {
			fprintf(stderr, "seinbench: natkey-fill: commit failed "
			                "(map size?)\n");
			goto out;
		}
	}
	printf("# natkey-fill: %ld natural keys added to %s in %.1f s\n", added,
	       datadir, (double)(mono_ns() - t0) / 1e9);
	ret = 0;
out:
	if (st)
		sh_store_close(&st);
	return ret;
}

/* --------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: seinbench COMMAND [--OPTION VALUE ...]\n"
	    "  raw-curve --size BYTES --count N [--port P]\n"
	    "      ZeroMQ CURVE PUSH->PULL on 127.0.0.1; median of 3\n"
	    "  raw-lmdb --dir DIR [--seconds S]\n"
	    "      LMDB durable commits: 1 and 256 records of 600 bytes per "
	    "transaction\n"
	    "  crypto [--count N]\n"
	    "      per-signal CPU cost: build (sign + seal), verify, open\n"
	    "  e2e --from SOCK --to-partner ID --recv SOCK [--count N]\n"
	    "      [--window W] [--timeout S] [--curve-rate R] [--lmdb-rate "
	    "R]\n"
	    "      signals/s end to end through two daemons\n"
	    "  latency --from SOCK --to-partner ID --recv SOCK [--rate R]\n"
	    "      [--seconds S]\n"
	    "      submit-to-inbox latency at a fixed offered rate\n"
	    "  scale-setup --dir DIR --partners N --trustdir DIR\n"
	    "      make N load-partner identities; trust their cards\n"
	    "  scale --dir DIR --server CARD --partners N [--per-partner M]\n"
	    "      [--frame F] [--inflight S] [--pid PID] [--tag T]\n"
	    "      N partners at once: throughput, delivery times, fairness,\n"
	    "      the daemon's memory\n"
	    "  inbox-fill --dir DIR --server CARD --datadir DIR --count N\n"
	    "      [--map-size MB]\n"
	    "      prefill a stopped daemon's inbox with N signals\n"
	    "  natkey-fill --card CARD --datadir DIR --count N [--map-size "
	    "MB]\n"
	    "      give a stopped sender a history of N natural keys\n"
	    "Figures are printed as 'name value' lines; other lines start "
	    "with '#'.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	sh_log_init("seinbench", SH_LOG_WARN, 0);
	if (strcmp(argv[1], "raw-curve") == 0)
		return cmd_raw_curve(argc, argv);
	if (strcmp(argv[1], "raw-lmdb") == 0)
		return cmd_raw_lmdb(argc, argv);
	if (strcmp(argv[1], "crypto") == 0)
		return cmd_crypto(argc, argv);
	if (strcmp(argv[1], "e2e") == 0)
		return cmd_e2e(argc, argv);
	if (strcmp(argv[1], "latency") == 0)
		return cmd_latency(argc, argv);
	if (strcmp(argv[1], "scale-setup") == 0)
		return cmd_scale_setup(argc, argv);
	if (strcmp(argv[1], "scale") == 0)
		return cmd_scale(argc, argv);
	if (strcmp(argv[1], "inbox-fill") == 0)
		return cmd_inbox_fill(argc, argv);
	if (strcmp(argv[1], "natkey-fill") == 0)
		return cmd_natkey_fill(argc, argv);
	fprintf(stderr, "seinbench: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
