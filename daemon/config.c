/*
 * config.c - the daemon's configuration file.
 *
 * The format is deliberately plain: one "key = value" per line, '#' starts
 * a comment line (only at the start of a line: Z85 keys contain '#'),
 * blank lines are ignored. Every key is known; an unknown key, a
 * repeated key or a value of the wrong form stops the daemon at start-up
 * with the line number and the rule broken (a typo must never silently turn
 * a setting off). The same line parser reads partner cards (card.c).
 *
 * The documented keys and their defaults are in seinhuisd.conf(5) under
 * deploy/.
 */
#include <ctype.h>
#include <errno.h>
#include <arpa/inet.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "seinhuis.h"

int sh_control_byte(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return (unsigned char)*v;
	return -1;
}

size_t sh_utf8_bom_len(const char *text, size_t len)
{
	return len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

sh_err sh_kv_parse(const char *text, size_t len, sh_kv_fn fn, void *ctx,
                   char *why, size_t whylen)
{
	size_t pos = 0;
	int lineno = 0;
	char line[2048];

	if (memchr(text, '\0', len))
		return snprintf(why, whylen, "the file contains a NUL byte"),
		       SH_ERR_CONFIG;
	pos = sh_utf8_bom_len(text, len);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		if (n >= sizeof(line)) {
			snprintf(why, whylen,
			         "line %d: longer than %zu characters", lineno,
			         sizeof(line) - 1);
			return SH_ERR_CONFIG;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		char *l = sh_trim(line);
		if (*l == '\0' || *l == '#')
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			snprintf(why, whylen, "line %d: expected 'key = value'",
			         lineno);
			return SH_ERR_CONFIG;
		}
		*eq = '\0';
		char *key = sh_trim(l), *value = sh_trim(eq + 1);
		if (*key == '\0') {
			snprintf(why, whylen, "line %d: the key is empty",
			         lineno);
			return SH_ERR_CONFIG;
		}
		for (char *k = key; *k; k++)
			if (!(islower((unsigned char)*k) ||
			      isdigit((unsigned char)*k) || *k == '_')) {
				snprintf(
				    why, whylen,
				    "line %d: a key has only a-z, 0-9 and _",
				    lineno);
				return SH_ERR_CONFIG;
			}
		/* A value is printed back (seinkey show and list, the log): a
		 * control character in it could move the cursor or rewrite
		 * the line an operator compares. Tabs and spaces around key
		 * and value are trimmed as before; inside a value, none. */
		char sub[512] = "";
		int ctl = sh_control_byte(value);
		/* (fn, given no value, says whether it knows the key: the
		 * parse stops here either way) */
		sh_err e = ctl >= 0 ? fn(ctx, key, "", sub, sizeof(sub))
		                    : fn(ctx, key, value, sub, sizeof(sub));
		/* an unknown key is not repeated: a line such as "<someone's
		 * BSN> = 1" would put it in the log */
		if (e != SH_OK &&
		    strncmp(sub, SH_KV_UNKNOWN, strlen(SH_KV_UNKNOWN)) == 0) {
			snprintf(why, whylen, "line %d: %s", lineno, sub);
			return e;
		}
		if (ctl >= 0) {
			snprintf(why, whylen,
			         "line %d: %s: holds a control character (byte "
			         "0x%02x): a value is printable text",
			         lineno, key, (unsigned)ctl);
			return SH_ERR_CONFIG;
		}
		if (e != SH_OK) {
			snprintf(why, whylen, "line %d: %s: %s", lineno, key,
			         sub);
			return e;
		}
	}
	return SH_OK;
}

sh_err sh_endpoint_check(const char *v, char *why, size_t wl)
{
	static const char form[] = "tcp://HOST:PORT, e.g. tcp://127.0.0.1:7100";
	if (strncmp(v, "tcp://", 6) != 0) {
		snprintf(why, wl, "must be a tcp:// endpoint: %s", form);
		return SH_ERR_CONFIG;
	}
	const char *host = v + 6, *colon = strrchr(host, ':');
	if (*host == '[' || (colon && memchr(host, ':', colon - host))) {
		snprintf(why, wl,
		         "IPv6 addresses are not supported: give an IPv4 "
		         "address or a host name (%s)",
		         form);
		return SH_ERR_CONFIG;
	}
	if (!colon || colon == host) {
		snprintf(why, wl, "must be %s: %s", form,
		         colon ? "the HOST is missing"
		               : "the :PORT is missing");
		return SH_ERR_CONFIG;
	}
	int star = colon == host + 1 && *host == '*';
	for (const char *h = host; h < colon && !star; h++)
		if (!isalnum((unsigned char)*h) && !strchr(".-_", *h)) {
			snprintf(why, wl,
			         "must be %s: the HOST has a character other "
			         "than a letter, digit, '.', '-' or '_'",
			         form);
			return SH_ERR_CONFIG;
		}
	const char *p = colon + 1;
	size_t nd = strspn(p, "0123456789");
	long port = nd && nd <= 5 && p[nd] == '\0' ? strtol(p, NULL, 10) : -1;
	if (port < 1 || port > 65535) {
		snprintf(why, wl,
		         "must be %s: the PORT must be a number from 1 to "
		         "65535, not '%.16s'",
		         form, p);
		return SH_ERR_CONFIG;
	}
	return SH_OK;
}

/* tcp://HOST:PORT, as sh_endpoint_check passed it, into HOST and PORT;
 * whether HOST is '*' or an IPv4 address (into *a) is the caller's. */
static int endpoint_split(const char *ep, char *host, size_t hl, unsigned *port)
{
	if (strncmp(ep, "tcp://", 6) != 0)
		return -1;
	const char *h = ep + 6, *colon = strrchr(h, ':');
	if (!colon || (size_t)(colon - h) >= hl)
		return -1;
	memcpy(host, h, (size_t)(colon - h));
	host[colon - h] = '\0';
	*port = (unsigned)strtoul(colon + 1, NULL, 10);
	return 0;
}

int sh_endpoint_mismatch(const char *listen, const char *card, char *fix,
                         size_t fl, char *why, size_t wl)
{
	char lh[256], ch[256];
	unsigned lp, cp;
	struct in_addr la, ca;
	if (endpoint_split(listen, lh, sizeof(lh), &lp) ||
	    endpoint_split(card, ch, sizeof(ch), &cp))
		return 0;
	/* listen on one address, the card another: only when both are
	 * written as addresses (a host name would need DNS, and '*' and
	 * 0.0.0.0 take every address) */
	int other_ip = inet_pton(AF_INET, lh, &la) == 1 &&
	               la.s_addr != htonl(INADDR_ANY) &&
	               inet_pton(AF_INET, ch, &ca) == 1 &&
	               la.s_addr != ca.s_addr;
	if (lp == cp && !other_ip)
		return 0;
	snprintf(why, wl, "%s%s%s", lp != cp ? "another port" : "",
	         lp != cp && other_ip ? " and " : "",
	         other_ip ? "another address" : "");
	snprintf(fix, fl, "tcp://%s:%u", other_ip ? lh : ch, lp);
	return 1;
}

int sh_listen_err(const char *listen, int err, char *why, size_t wl)
{
	char host[256];
	unsigned port;
	if (endpoint_split(listen, host, sizeof(host), &port))
		return 0;
	switch (err) {
	case EADDRINUSE:
		snprintf(why, wl,
		         "port %u is in use (by another program, or a "
		         "seinhuisd already running; as root, ss -ltnp "
		         "'sport = :%u' names it)",
		         port, port);
		return 1;
	case EADDRNOTAVAIL:
		snprintf(why, wl,
		         "%s is not an address of this machine: give one of "
		         "its addresses, or tcp://*:%u for all",
		         host, port);
		return 1;
	case ENODEV:
		/* ZeroMQ binds an address or an interface; a host name is
		 * not looked up, and is taken for an interface */
		snprintf(why, wl,
		         "'%.100s' is neither an IPv4 address nor a network "
		         "interface of this machine (listen takes no host "
		         "names): give one of its addresses, or tcp://*:%u "
		         "for all",
		         host, port);
		return 1;
	case EACCES:
		snprintf(why, wl,
		         "port %u is a privileged port (below 1024, or below "
		         "net.ipv4.ip_unprivileged_port_start), which the "
		         "daemon's user may not listen on: choose a higher one",
		         port);
		return 1;
	}
	return 0;
}

int sh_listen_try(const char *listen, char *why, size_t wl)
{
	char host[256];
	unsigned port;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	if (endpoint_split(listen, host, sizeof(host), &port))
		return 0;
	sa.sin_port = htons((uint16_t)port);
	if (strcmp(host, "*") == 0)
		sa.sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		if (if_nametoindex(host) == 0) {
			/* as zmq_bind will fail (ENODEV) */
			char sub[600];
			sh_listen_err(listen, ENODEV, sub, sizeof(sub));
			snprintf(why, wl, "cannot listen on %s: %s", listen,
			         sub);
			return 2;
		}
		snprintf(why, wl,
		         "%s names an interface, not an address: whether "
		         "port %u is free was not tried",
		         listen, port);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0) {
		snprintf(why, wl, "whether port %u is free was not tried: %s",
		         port, strerror(errno));
		return -1;
	}
	/* as ZeroMQ binds: a connection of an earlier run in TIME_WAIT does
	 * not count, a listener (of any address, for '*') does */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)), err = errno;
	close(fd);
	if (rc == 0)
		return 0;
	char sub[400];
	if (!sh_listen_err(listen, err, sub, sizeof(sub)))
		snprintf(sub, sizeof(sub), "%s", strerror(err));
	snprintf(why, wl, "cannot listen on %s: %s", listen, sub);
	return 1;
}

int sh_parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	/* digits first: strtoull would take a sign, and spaces */
	if (!isdigit((unsigned char)*s))
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	unsigned long long mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1ULL << 10, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1ULL << 20, end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1ULL << 30, end++;
	if (*end != '\0' || v > (1ULL << 44) / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

int sh_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int sh_test_u32(const char *name, uint32_t min, uint32_t max, uint32_t *out)
{
	const char *v = getenv(name);
	if (!v || !v[0])
		return 0;
	if (sh_parse_u32(v, min, max, out) != 0) {
		sh_warn("%s is not a number from %u to %u: ignored", name, min,
		        max);
		return 0;
	}
	return 1;
}

int sh_parse_duration(const char *v, int64_t max_s, int64_t *out)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)*v))
		return -1;
	long long n = strtoll(v, &end, 10);
	long long unit = 0;
	if (errno || n < 1 || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -1;
	}
	if (n > max_s / unit)
		return -1;
	*out = n * unit;
	return 0;
}

struct cfg_ctx {
	sh_config *cfg;
	uint64_t seen;
};

static sh_err set_path(char *dst, size_t dlen, const char *v, char *why,
                       size_t wl)
{
	if (*v == '\0' || strlen(v) >= dlen) {
		snprintf(why, wl, "must be a path of 1 to %zu characters",
		         dlen - 1);
		return SH_ERR_CONFIG;
	}
	/* A relative path would name another file for each working
	 * directory: the daemon's under systemd (/), and a seinhuisd -t or
	 * seinkey -c run by hand elsewhere, where -t would make and pass
	 * an empty data store of its own. */
	if (*v != '/') {
		snprintf(why, wl,
		         "must be an absolute path (beginning with '/'), "
		         "not one relative to the working directory");
		return SH_ERR_CONFIG;
	}
	strcpy(dst, v);
	return SH_OK;
}

/* A group name as useradd(8) takes it: letters, digits, '_', '-', '.',
 * not starting with '-'. Whether it exists is checked at start-up. */
static sh_err set_group(char *dst, size_t dlen, const char *v, char *why,
                        size_t wl)
{
	size_t n = strlen(v);
	int ok = n > 0 && n < dlen && v[0] != '-';
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)v[i]) || strchr("_-.", v[i]);
	if (!ok) {
		snprintf(why, wl,
		         "must be a group name (letters, digits, _ - .)");
		return SH_ERR_CONFIG;
	}
	strcpy(dst, v);
	return SH_OK;
}

static sh_err cfg_kv(void *vctx, const char *key, const char *v, char *why,
                     size_t wl)
{
	struct cfg_ctx *c = vctx;
	sh_config *cfg = c->cfg;
	static const char *keys[] = {"keydir",           "trustdir",
	                             "datadir",          "listen",
	                             "control",          "control_group",
	                             "map_size",         "max_message",
	                             "log_level",        "log_syslog",
	                             "retry_min_ms",     "retry_max_ms",
	                             "window",           "batch_max",
	                             "catalogue",        "retention_interval",
	                             "postcode_table",   "admin_group",
	                             "caseworker_group", "audit_head_interval",
	                             "peer_rate",        "max_signal_age",
	                             "checkpoint_ms",    "helper_thread",
	                             "resend_window",    "resend_step",
	                             "monitor_group",    "audit_keep",
	                             "recover_interval"};
	size_t i, nkeys = sizeof(keys) / sizeof(keys[0]);
	for (i = 0; i < nkeys; i++)
		if (strcmp(key, keys[i]) == 0)
			break;
	if (i == nkeys) {
		const char *near = sh_nearest_word(key, keys, nkeys);
		snprintf(why, wl, "%s%s%s%s(see seinhuisd.conf(5))",
		         SH_KV_UNKNOWN, near ? "; did you mean " : " ",
		         near ? near : "", near ? "? " : "");
		return SH_ERR_CONFIG;
	}
	if (c->seen & (1ULL << i)) {
		snprintf(why, wl, "given twice");
		return SH_ERR_CONFIG;
	}
	c->seen |= 1ULL << i;

	switch (i) {
	case 0: return set_path(cfg->keydir, sizeof(cfg->keydir), v, why, wl);
	case 1:
		return set_path(cfg->trustdir, sizeof(cfg->trustdir), v, why,
		                wl);
	case 2: return set_path(cfg->datadir, sizeof(cfg->datadir), v, why, wl);
	case 3:
		if (strlen(v) >= sizeof(cfg->listen)) {
			snprintf(why, wl, "has at most %zu characters",
			         sizeof(cfg->listen) - 1);
			return SH_ERR_CONFIG;
		}
		if (sh_endpoint_check(v, why, wl) != SH_OK)
			return SH_ERR_CONFIG;
		strcpy(cfg->listen, v);
		return SH_OK;
	case 4:
		if (strlen(v) >= 108) {
			snprintf(why, wl,
			         "a socket path has at most 107 characters");
			return SH_ERR_CONFIG;
		}
		return set_path(cfg->control, sizeof(cfg->control), v, why, wl);
	case 5:
		return set_group(cfg->control_group, sizeof(cfg->control_group),
		                 v, why, wl);
	case 6:
		if (sh_parse_size(v, &cfg->map_size) < 0 ||
		    cfg->map_size < (1u << 20)) {
			snprintf(
			    why, wl,
			    "must be a size from 1M to 16384G: a number of "
			    "bytes, or with the suffix K, M or G (no T), "
			    "e.g. 1G");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 7:
		if (sh_parse_size(v, &cfg->max_message) < 0 ||
		    cfg->max_message < 4096 || cfg->max_message > (64u << 20)) {
			snprintf(why, wl, "must be a size from 4K to 64M");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 8:
		if ((cfg->log_level = sh_log_level_parse(v)) < 0) {
			snprintf(why, wl, "must be error, warn, info or debug");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 9:
		if (strcmp(v, "yes") && strcmp(v, "no")) {
			snprintf(why, wl, "must be yes or no");
			return SH_ERR_CONFIG;
		}
		cfg->log_syslog = strcmp(v, "yes") == 0;
		return SH_OK;
	case 10:
		if (sh_parse_u32(v, 10, 600000, &cfg->retry_min_ms) < 0) {
			snprintf(why, wl, "must be 10 to 600000 milliseconds");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 11:
		if (sh_parse_u32(v, 100, 3600000, &cfg->retry_max_ms) < 0) {
			snprintf(why, wl,
			         "must be 100 to 3600000 milliseconds");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 12:
		if (sh_parse_u32(v, 1, 1000000, &cfg->window) < 0) {
			snprintf(why, wl, "must be 1 to 1000000 signals");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 13:
		if (sh_parse_u32(v, 1, 1024, &cfg->batch_max) < 0) {
			snprintf(why, wl, "must be 1 to 1024 signals");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 14:
		return set_path(cfg->catalogue, sizeof(cfg->catalogue), v, why,
		                wl);
	case 15:
		if (sh_parse_u32(v, 1, 86400, &cfg->retention_interval_s) < 0) {
			snprintf(why, wl, "must be 1 to 86400 seconds");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 16:
		return set_path(cfg->postcode_table,
		                sizeof(cfg->postcode_table), v, why, wl);
	case 17:
	case 18:
		return set_group(i == 17 ? cfg->admin_group
		                         : cfg->caseworker_group,
		                 sizeof(cfg->admin_group), v, why, wl);
	case 19:
		if (sh_parse_u32(v, 1, 86400, &cfg->audit_head_interval) < 0) {
			snprintf(why, wl, "must be 1 to 86400 seconds");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 20:
		if (sh_parse_u32(v, 1, 10000000, &cfg->peer_rate) < 0) {
			snprintf(why, wl,
			         "must be 1 to 10000000 signals per second");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 21:
		if (sh_parse_u32(v, 60, 31536000, &cfg->max_signal_age_s) < 0) {
			snprintf(why, wl, "must be 60 to 31536000 seconds");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 22:
		if (sh_parse_u32(v, 10, 600000, &cfg->checkpoint_ms) < 0) {
			snprintf(why, wl, "must be 10 to 600000 milliseconds");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 23:
		if (strcmp(v, "auto") == 0)
			cfg->helper_thread = SH_HELPER_AUTO;
		else if (strcmp(v, "yes") == 0)
			cfg->helper_thread = SH_HELPER_YES;
		else if (strcmp(v, "no") == 0)
			cfg->helper_thread = SH_HELPER_NO;
		else {
			snprintf(why, wl, "must be auto, yes or no");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 24:
		if (sh_parse_u32(v, 0, 31536000, &cfg->resend_window_s) < 0) {
			snprintf(why, wl, "must be 0 to 31536000 seconds");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 26:
		return set_group(cfg->monitor_group, sizeof(cfg->monitor_group),
		                 v, why, wl);
	case 25:
		if (sh_parse_u32(v, 1, 1000000, &cfg->resend_step) < 0) {
			snprintf(why, wl, "must be 1 to 1000000 signals");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 28:
		if (sh_parse_u32(v, 0, 86400, &cfg->recover_interval_s) < 0) {
			snprintf(why, wl, "must be 0 to 86400 seconds");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	case 27:
		/* left out: kept for ever; 0 would remove every entry but
		 * the newest block at each sweep */
		if (strcmp(v, "forever") == 0) {
			cfg->audit_keep_s = 0;
			return SH_OK;
		}
		if (sh_parse_period(v, &cfg->audit_keep_s) < 0 ||
		    cfg->audit_keep_s == 0) {
			snprintf(why, wl,
			         "must be 'N seconds|minutes|hours|days|months|"
			         "years' with N from 1 (e.g. 7 years), or "
			         "forever");
			return SH_ERR_CONFIG;
		}
		return SH_OK;
	}
	return SH_ERR_CONFIG;
}

static void config_defaults(sh_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->map_size = (size_t)1 << 30;
	cfg->max_message = (size_t)4 << 20;
	cfg->log_level = SH_LOG_INFO;
	cfg->retry_min_ms = 500;
	cfg->retry_max_ms = 30000;
	cfg->checkpoint_ms = 1000; /* as SH_STORE_CHECKPOINT_MS */
	cfg->window = 8192;
	cfg->batch_max = 256;
	cfg->peer_rate = 20000;
	cfg->max_signal_age_s = 14 * 86400;
	cfg->resend_window_s = 14 * 86400;
	cfg->resend_step = 5000;
	cfg->recover_interval_s = 600;
	snprintf(cfg->catalogue, sizeof(cfg->catalogue),
	         "/etc/seinhuis/catalogue.conf");
	cfg->retention_interval_s = 3600;
	cfg->audit_head_interval = 300;
}

sh_err sh_config_parse(sh_config *cfg, const char *text, size_t len, char *why,
                       size_t whylen)
{
	struct cfg_ctx c = {cfg, 0};
	config_defaults(cfg);
	sh_err e = sh_kv_parse(text, len, cfg_kv, &c, why, whylen);
	if (e != SH_OK)
		return e;
	static const struct {
		int bit;
		const char *key;
	} req[] = {{0, "keydir"},
	           {1, "trustdir"},
	           {2, "datadir"},
	           {3, "listen"},
	           {4, "control"}};
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (!(c.seen & (1ULL << req[i].bit))) {
			snprintf(why, whylen, "required key '%s' is missing",
			         req[i].key);
			return SH_ERR_CONFIG;
		}
	if (cfg->retry_min_ms > cfg->retry_max_ms) {
		snprintf(why, whylen,
		         "retry_min_ms is larger than retry_max_ms");
		return SH_ERR_CONFIG;
	}
	if (cfg->admin_group[0] &&
	    strcmp(cfg->admin_group, cfg->caseworker_group) == 0) {
		snprintf(why, whylen,
		         "admin_group and caseworker_group must be "
		         "different groups: administrators may not "
		         "reveal personal data");
		return SH_ERR_CONFIG;
	}
	if (cfg->monitor_group[0] &&
	    (strcmp(cfg->monitor_group, cfg->admin_group) == 0 ||
	     strcmp(cfg->monitor_group, cfg->caseworker_group) == 0)) {
		snprintf(why, whylen,
		         "monitor_group must be a group of its own: its "
		         "members may ask the status only, not what an "
		         "administrator or a caseworker may");
		return SH_ERR_CONFIG;
	}
	return SH_OK;
}

sh_err sh_config_load(sh_config *cfg, const char *path, char *why,
                      size_t whylen)
{
	char *text;
	size_t len;
	const char *rw;
	sh_err e = sh_read_setting(path, 1 << 20, "1 MiB", &text, &len, &rw);
	if (e != SH_OK) {
		snprintf(why, whylen, "%s: cannot read: %s", path, rw);
		return SH_ERR_CONFIG;
	}
	char sub[600];
	e = sh_config_parse(cfg, text, len, sub, sizeof(sub));
	free(text);
	if (e != SH_OK) {
		snprintf(why, whylen, "%s: %s", path, sub);
		return e;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	return SH_OK;
}
