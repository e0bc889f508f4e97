/*
 * ctlclient.c - the client side of the control socket, shared by seinctl,
 * the tests and the benchmark, and the framing the daemon uses too.
 *
 * The socket is a local stream socket; each request and reply is one
 * length-prefixed protobuf message. Requests may be pipelined: the daemon
 * answers them in order, which is how a bulk sender keeps many signals in
 * one group commit.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "seinhuis.h"

void sh_frame_append(sh_buf *out, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t hdr[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16),
	                  (uint8_t)(n >> 8), (uint8_t)n};
	sh_buf_add(out, hdr, 4);
	size_t at = out->len;
	sh_buf_add(out, NULL, n);
	protobuf_c_message_pack(m, out->data + at);
}

/* ------------------------------------------- decoding a SEND directly */

/* A varint of at most four bytes (values under 2^28): longer ones, which
 * protobuf-c reads its own way, are left to it. */
static int varint4(const uint8_t *p, size_t n, size_t *o, uint32_t *v)
{
	uint64_t x;
	if (sh_pb_varint_get(p, n, o, 4, &x) < 0)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* A length-delimited part at *o: its bytes in [*at, *at + *len). */
static int part(const uint8_t *p, size_t n, size_t *o, size_t *at, size_t *len)
{
	uint32_t l;
	if (varint4(p, n, o, &l) < 0 || l > n - *o)
		return -1;
	*at = *o;
	*len = l;
	*o += l;
	return 0;
}

static char *arena_str(sh_arena *a, const uint8_t *p, size_t len)
{
	char *s = sh_arena_alloc(a, len + 1);
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/* A Field: name (1) and value (2), each at most once, nothing else. */
static Seinhuis__Field *fast_field(sh_arena *a, const uint8_t *p, size_t n)
{
	Seinhuis__Field *f = sh_arena_alloc(a, sizeof(*f));
	seinhuis__field__init(f);
	size_t o = 0, at = 0, len = 0;
	unsigned seen = 0;
	while (o < n) {
		uint32_t tag;
		if (varint4(p, n, &o, &tag) < 0)
			return NULL;
		unsigned num = tag >> 3;
		if ((tag & 7) != 2 || (num != 1 && num != 2) ||
		    (seen & 1u << num) || part(p, n, &o, &at, &len) < 0)
			return NULL;
		seen |= 1u << num;
		char *s = arena_str(a, p + at, len);
		if (num == 1)
			f->name = s;
		else
			f->value = s;
	}
	return f;
}

static Seinhuis__CtlRequest *fast_send(sh_arena *a, const uint8_t *p, size_t n)
{
	size_t o = 0, at = 0, len = 0, nf = 0;
	size_t type_at = 0, type_len = 0, rcpt_at = 0, rcpt_len = 0;
	uint32_t op = 0;
	unsigned seen = 0;
	while (o < n) {
		uint32_t tag;
		if (varint4(p, n, &o, &tag) < 0)
			return NULL;
		unsigned num = tag >> 3;
		if (num == 1 && (tag & 7) == 0 && !(seen & 2)) {
			if (varint4(p, n, &o, &op) < 0)
				return NULL;
		} else if (num >= 2 && num <= 4 && (tag & 7) == 2 &&
		           (num == 4 || !(seen & 1u << num))) {
			if (part(p, n, &o, &at, &len) < 0)
				return NULL;
			if (num == 2)
				type_at = at, type_len = len;
			else if (num == 3)
				rcpt_at = at, rcpt_len = len;
			else
				nf++;
		} else {
			return NULL;
		}
		seen |= 1u << num;
	}
	if (op != SEINHUIS__CTL_REQUEST__OP__SEND)
		return NULL;
	Seinhuis__CtlRequest *q = sh_arena_alloc(a, sizeof(*q));
	seinhuis__ctl_request__init(q);
	q->op = SEINHUIS__CTL_REQUEST__OP__SEND;
	if (seen & 1u << 2)
		q->type = arena_str(a, p + type_at, type_len);
	if (seen & 1u << 3)
		q->recipient = arena_str(a, p + rcpt_at, rcpt_len);
	if (nf) {
		q->fields = sh_arena_alloc(a, nf * sizeof(*q->fields));
		q->n_fields = nf;
	}
	/* again, for the fields, now that their number is known */
	size_t k = 0;
	for (o = 0; o < n;) {
		uint32_t tag = 0, v;
		(void)varint4(p, n, &o, &tag);
		if (tag >> 3 == 1) {
			(void)varint4(p, n, &o, &v);
			continue;
		}
		(void)part(p, n, &o, &at, &len);
		if (tag >> 3 == 4 &&
		    !(q->fields[k++] = fast_field(a, p + at, len)))
			return NULL;
	}
	return q;
}

Seinhuis__CtlRequest *sh_ctl_request_decode(sh_arena *a, const uint8_t *body,
                                            size_t len, int *fast)
{
	Seinhuis__CtlRequest *q = fast_send(a, body, len);
	if (fast)
		*fast = q != NULL;
	return q ? q : seinhuis__ctl_request__unpack(&a->pc, len, body);
}

int sh_frame_peek(const uint8_t *buf, size_t len, const uint8_t **body,
                  size_t *bodylen, size_t *framelen)
{
	if (len < 4)
		return 0;
	size_t n = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 |
	           (size_t)buf[2] << 8 | buf[3];
	if (n > SH_CTL_MAX_FRAME)
		return -1;
	if (len < 4 + n)
		return 0;
	*body = buf + 4;
	*bodylen = n;
	*framelen = 4 + n;
	return 1;
}

sh_err sh_ctl_connect(const char *path, int *fd, char *why, size_t wl)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(why, wl, "control socket path too long");
		return SH_ERR_USAGE;
	}
	strcpy(sa.sun_path, path);
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0 || connect(*fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(why, wl,
		         "cannot reach the daemon at %s: %s (is seinhuisd "
		         "running, and are you allowed to use it?)",
		         path, strerror(errno));
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return SH_ERR_CONNECT;
	}
	return SH_OK;
}

sh_err sh_ctl_send(int fd, const Seinhuis__CtlRequest *req)
{
	sh_buf b = {0};
	sh_frame_append(&b, &req->base);
	size_t off = 0;
	sh_err e = SH_OK;
	while (off < b.len) {
		/* MSG_NOSIGNAL: a daemon that closed the connection (a refused
		 * caller) is an error to report, not a SIGPIPE that kills us.
		 */
		ssize_t w = send(fd, b.data + off, b.len - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			e = SH_ERR_CONNECT;
			break;
		}
		off += (size_t)w;
	}
	sh_buf_free(&b);
	return e;
}

static sh_err read_full(int fd, uint8_t *p, size_t n, int timeout_ms)
{
	while (n > 0) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int r = poll(&pfd, 1, timeout_ms);
		if (r == 0)
			return SH_ERR_TIMEOUT;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return SH_ERR_CONNECT;
		}
		ssize_t got = read(fd, p, n);
		if (got <= 0) {
			if (got < 0 && errno == EINTR)
				continue;
			return SH_ERR_CONNECT;
		}
		p += got;
		n -= (size_t)got;
	}
	return SH_OK;
}

sh_err sh_ctl_recv(int fd, Seinhuis__CtlReply **reply, int timeout_ms)
{
	uint8_t hdr[4];
	sh_err e = read_full(fd, hdr, 4, timeout_ms);
	if (e)
		return e;
	size_t n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	           (size_t)hdr[2] << 8 | hdr[3];
	if (n > SH_CTL_MAX_FRAME)
		return SH_ERR_WIRE_SIZE; /* a reply too large to read */
	uint8_t *body = sh_xmalloc(n);
	if ((e = read_full(fd, body, n, timeout_ms)) == SH_OK) {
		*reply = seinhuis__ctl_reply__unpack(NULL, n, body);
		if (!*reply)
			e = SH_ERR_CONTROL;
	}
	free(body);
	return e;
}

sh_err sh_ctl_call(int fd, const Seinhuis__CtlRequest *req,
                   Seinhuis__CtlReply **reply, int timeout_ms)
{
	sh_err e = sh_ctl_send(fd, req);
	/* a daemon that closed the connection at once (a caller over its
	 * connection cap) may have left its reason in the socket */
	if (e && sh_ctl_recv(fd, reply, 0) == SH_OK)
		return SH_OK;
	return e ? e : sh_ctl_recv(fd, reply, timeout_ms);
}
