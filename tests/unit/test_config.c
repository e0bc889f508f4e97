/*
 * test_config.c - the configuration parser (config.c).
 *
 * A full file sets every key; a minimal file gets the defaults. Every
 * refusal is checked for its error and for the line number it reports,
 * because "line N" is what an operator follows to the mistake.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "route.h"
#include "seinhuis.h"

#define REQUIRED                                                               \
	"keydir = /etc/seinhuis/keys\n"                                        \
	"trustdir = /etc/seinhuis/trust\n"                                     \
	"datadir = /var/lib/seinhuis\n"                                        \
	"listen = tcp://0.0.0.0:7100\n"                                        \
	"control = /run/seinhuis/control.sock\n"

/* The 1-based line at which `line` would be appended to text. */
static int next_line(const char *text)
{
	int n = 1;
	for (const char *p = text; *p; p++)
		if (*p == '\n')
			n++;
	return n;
}

static sh_err parse(sh_config *cfg, const char *text, char *why, size_t wl)
{
	why[0] = '\0';
	return sh_config_parse(cfg, text, strlen(text), why, wl);
}

static void test_full(void)
{
	static const char text[] = "# Seinhuis daemon configuration\r\n"
	                           "\n"
	                           "   # an indented comment\n"
	                           "keydir=/srv/sh/keys\n"
	                           "  trustdir   =   /srv/sh/trust  \n"
	                           "datadir = /srv/sh/data\r\n"
	                           "listen = tcp://127.0.0.1:7200\n"
	                           "control = /run/sh/ctl.sock\n"
	                           "control_group = seinhuis\n"
	                           "map_size = 2G\n"
	                           "max_message = 8M\n"
	                           "log_level = debug\n"
	                           "log_syslog = yes\n"
	                           "retry_min_ms = 250\n"
	                           "retry_max_ms = 60000\n"
	                           "checkpoint_ms = 250\n"
	                           "helper_thread = no\n"
	                           "resend_window = 86400\n"
	                           "resend_step = 250\n"
	                           "window = 100\n"
	                           "batch_max = 50"; /* no final newline */
	sh_config cfg;
	char why[600];
	CHECK_ERR(parse(&cfg, text, why, sizeof(why)), SH_OK);
	CHECK_STR(cfg.keydir, "/srv/sh/keys");
	CHECK_STR(cfg.trustdir, "/srv/sh/trust");
	CHECK_STR(cfg.datadir, "/srv/sh/data");
	CHECK_STR(cfg.listen, "tcp://127.0.0.1:7200");
	CHECK_STR(cfg.control, "/run/sh/ctl.sock");
	CHECK_STR(cfg.control_group, "seinhuis");
	CHECK_INT(cfg.map_size, (size_t)2 << 30);
	CHECK_INT(cfg.max_message, (size_t)8 << 20);
	CHECK_INT(cfg.log_level, SH_LOG_DEBUG);
	CHECK_INT(cfg.log_syslog, 1);
	CHECK_INT(cfg.retry_min_ms, 250);
	CHECK_INT(cfg.checkpoint_ms, 250);
	CHECK_INT(cfg.helper_thread, SH_HELPER_NO);
	CHECK_INT(cfg.resend_window_s, 86400);
	CHECK_INT(cfg.resend_step, 250);
	CHECK_INT(cfg.retry_max_ms, 60000);
	CHECK_INT(cfg.window, 100);
	CHECK_INT(cfg.batch_max, 50);
}

static void test_defaults(void)
{
	sh_config cfg;
	char why[600];
	/* Fill with junk first: parse must start from the defaults. */
	memset(&cfg, 0x5a, sizeof(cfg));
	CHECK_ERR(parse(&cfg, REQUIRED, why, sizeof(why)), SH_OK);
	CHECK_STR(cfg.keydir, "/etc/seinhuis/keys");
	CHECK_STR(cfg.control, "/run/seinhuis/control.sock");
	CHECK_STR(cfg.control_group, "");
	CHECK_STR(cfg.path, "");
	CHECK_INT(cfg.map_size, (size_t)1 << 30);
	CHECK_INT(cfg.max_message, (size_t)4 << 20);
	CHECK_INT(cfg.log_level, SH_LOG_INFO);
	CHECK_INT(cfg.log_syslog, 0);
	CHECK_INT(cfg.retry_min_ms, 500);
	CHECK_INT(cfg.retry_max_ms, 30000);
	CHECK_INT(cfg.checkpoint_ms, 1000);
	CHECK_INT(cfg.helper_thread, SH_HELPER_AUTO);
	CHECK_INT(cfg.resend_window_s, 14 * 86400);
	CHECK_INT(cfg.resend_step, 5000);
	CHECK(cfg.retry_min_ms <= cfg.retry_max_ms);
	CHECK_INT(cfg.window, 8192);
	CHECK_INT(cfg.batch_max, 256);

	/* log_syslog = no and the other log levels. */
	static const struct {
		const char *text;
		int level;
	} lv[] = {{"error", SH_LOG_ERROR},
	          {"warn", SH_LOG_WARN},
	          {"info", SH_LOG_INFO},
	          {"DEBUG", SH_LOG_DEBUG}};
	for (size_t i = 0; i < sizeof(lv) / sizeof(lv[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text),
		         REQUIRED "log_level = %s\nlog_syslog = no\n",
		         lv[i].text);
		check_case("log_level = %s", lv[i].text);
		CHECK_ERR(parse(&cfg, text, why, sizeof(why)), SH_OK);
		CHECK_INT(cfg.log_level, lv[i].level);
		CHECK_INT(cfg.log_syslog, 0);
	}
	check_case("%s", "");
}

/* Values on the edge of their ranges are accepted. */
static void test_bounds_accepted(void)
{
	static const struct {
		const char *line;
		size_t off;
		unsigned long long want;
	} ok[] = {
	    {"map_size = 1M", offsetof(sh_config, map_size), 1u << 20},
	    {"map_size = 1048576", offsetof(sh_config, map_size), 1u << 20},
	    {"map_size = 16384G", offsetof(sh_config, map_size), 1ULL << 44},
	    {"max_message = 4K", offsetof(sh_config, max_message), 4096},
	    {"max_message = 4096", offsetof(sh_config, max_message), 4096},
	    {"max_message = 64M", offsetof(sh_config, max_message), 64u << 20},
	    {"max_message = 65536k", offsetof(sh_config, max_message),
	     64u << 20},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[1024], why[600];
		sh_config cfg;
		snprintf(text, sizeof(text), REQUIRED "%s\n", ok[i].line);
		check_case("%s", ok[i].line);
		CHECK_ERR(parse(&cfg, text, why, sizeof(why)), SH_OK);
		size_t got;
		memcpy(&got, (char *)&cfg + ok[i].off, sizeof(got));
		CHECK_INT(got, ok[i].want);
	}
	static const struct {
		const char *lines;
		uint32_t min, max, window, batch;
	} u[] = {
	    {"retry_min_ms = 10\nretry_max_ms = 100", 10, 100, 8192, 256},
	    {"retry_min_ms = 600000\nretry_max_ms = 3600000", 600000, 3600000,
	     8192, 256},
	    {"retry_min_ms = 700\nretry_max_ms = 700", 700, 700, 8192, 256},
	    {"window = 1\nbatch_max = 1", 500, 30000, 1, 1},
	    {"window = 1000000\nbatch_max = 1024", 500, 30000, 1000000, 1024},
	};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		char text[1024], why[600];
		sh_config cfg;
		snprintf(text, sizeof(text), REQUIRED "%s\n", u[i].lines);
		check_case("%s", u[i].lines);
		CHECK_ERR(parse(&cfg, text, why, sizeof(why)), SH_OK);
		CHECK_INT(cfg.retry_min_ms, u[i].min);
		CHECK_INT(cfg.retry_max_ms, u[i].max);
		CHECK_INT(cfg.window, u[i].window);
		CHECK_INT(cfg.batch_max, u[i].batch);
	}
	/* listen: tcp://HOST:PORT with PORT 1 to 65535, HOST '*', an IPv4
	 * address, a host or interface name */
	static const char *listen_ok[] = {
	    "tcp://*:7100", "tcp://127.0.0.1:1", "tcp://127.0.0.1:65535",
	    "tcp://seinhuis.gemeente-voorbeeld.example:7100",
	    "tcp://eth0:7100"};
	for (size_t i = 0; i < sizeof(listen_ok) / sizeof(listen_ok[0]); i++) {
		char text[1024], why[600];
		sh_config cfg;
		snprintf(text, sizeof(text),
		         "keydir = /k\ntrustdir = /t\ndatadir = /d\ncontrol = "
		         "/c\nlisten = %s\n",
		         listen_ok[i]);
		check_case("%s", listen_ok[i]);
		CHECK_ERR(parse(&cfg, text, why, sizeof(why)), SH_OK);
		CHECK_STR(cfg.listen, listen_ok[i]);
	}
	check_case("%s", "");
}

/* A bad line appended after a comment, a blank line and the required
 * keys; the error must name that line and the key. */
static void test_line_errors(void)
{
	static const struct {
		const char *line;
		const char *key;  /* expected in why; NULL: none */
		const char *rule; /* expected in why */
	} bad[] = {
	    {"keydri = /x", NULL,
	     "unknown key (not repeated: it may be data); "
	     "did you mean keydir? (see seinhuisd.conf(5))"},
	    {"bsn_123456782 = Jansen\tMolenweg", NULL,
	     "unknown key (not repeated: it may be data)"},
	    {"bsn_123456782 = 1", NULL,
	     "unknown key (not repeated: it may be data) (see "
	     "seinhuisd.conf(5))"},
	    {"recover_intervall = 5", NULL, "did you mean recover_interval?"},
	    {"log_levl = debug", NULL, "did you mean log_level?"},
	    {"keydir = /again", "keydir", "given twice"},
	    {"postcode_table = postcodes.csv", "postcode_table",
	     "must be an absolute path"},
	    {"catalogue = ./catalogue.conf", "catalogue",
	     "must be an absolute path"},
	    {"listen = tcp://127.0.0.1:1", "listen", "given twice"},
	    {"Keydir = /x", NULL, "a-z"},
	    {"log-level = info", NULL, "a-z"},
	    {"= value", NULL, "key is empty"},
	    {"just some words", NULL, "expected 'key = value'"},
	    {"map_size 1G", NULL, "expected 'key = value'"},
	    {"map_size = 512K", "map_size", "from 1M to 16384G"},
	    {"map_size = 1048575", "map_size", "from 1M to 16384G"},
	    {"map_size = abc", "map_size", "size"},
	    {"map_size = -1G", "map_size", "size"},
	    {"map_size = 1T", "map_size", "suffix K, M or G (no T)"},
	    {"map_size = 10MB", "map_size", "size"},
	    {"map_size = 1.5G", "map_size", "size"},
	    {"map_size = 16385G", "map_size", "from 1M to 16384G"},
	    {"map_size = 99999999999999999999999", "map_size", "size"},
	    {"map_size =", "map_size", "size"},
	    {"max_message = 4095", "max_message", "4K to 64M"},
	    {"max_message = 1K", "max_message", "4K to 64M"},
	    {"max_message = 65M", "max_message", "4K to 64M"},
	    {"max_message = 2G", "max_message", "4K to 64M"},
	    {"log_level = verbose", "log_level", "error, warn, info or debug"},
	    {"log_syslog = true", "log_syslog", "yes or no"},
	    {"log_syslog = YES", "log_syslog", "yes or no"},
	    {"retry_min_ms = 9", "retry_min_ms", "10 to 600000"},
	    {"retry_min_ms = 600001", "retry_min_ms", "10 to 600000"},
	    {"retry_min_ms = abc", "retry_min_ms", "10 to 600000"},
	    {"retry_min_ms = -100", "retry_min_ms", "10 to 600000"},
	    {"retry_min_ms = +100", "retry_min_ms", "10 to 600000"},
	    {"retry_min_ms = 100.5", "retry_min_ms", "10 to 600000"},
	    {"retry_min_ms = 1e3", "retry_min_ms", "10 to 600000"},
	    {"retry_min_ms = 100 ms", "retry_min_ms", "10 to 600000"},
	    {"checkpoint_ms = 9", "checkpoint_ms", "10 to 600000"},
	    {"checkpoint_ms = 600001", "checkpoint_ms", "10 to 600000"},
	    {"checkpoint_ms = 1s", "checkpoint_ms", "10 to 600000"},
	    {"checkpoint_ms = -1", "checkpoint_ms", "10 to 600000"},
	    {"checkpoint_ms =", "checkpoint_ms", "10 to 600000"},
	    {"helper_thread = 2", "helper_thread", "auto, yes or no"},
	    {"resend_window = 31536001", "resend_window", "0 to 31536000"},
	    {"resend_window = 14d", "resend_window", "0 to 31536000"},
	    {"resend_step = 0", "resend_step", "1 to 1000000"},
	    {"resend_step = 1000001", "resend_step", "1 to 1000000"},
	    {"resend_step = many", "resend_step", "1 to 1000000"},
	    {"helper_thread = true", "helper_thread", "auto, yes or no"},
	    {"retry_max_ms = 99", "retry_max_ms", "100 to 3600000"},
	    {"retry_max_ms = 99999999999999999999", "retry_max_ms",
	     "100 to 3600000"},
	    {"window = 0", "window", "1 to 1000000"},
	    {"window = 1000001", "window", "1 to 1000000"},
	    {"batch_max = 0", "batch_max", "1 to 1024"},
	    {"batch_max = 1025", "batch_max", "1 to 1024"},
	    {"control_group =", "control_group", "group name"},
	    /* at parse time, as admin_group is: not first at start-up */
	    {"control_group = no such group!", "control_group",
	     "must be a group name (letters, digits, _ - .)"},
	    {"control_group = -wheel", "control_group", "group name"},
	    {"map_size = +1G", "map_size", "from 1M to 16384G"},
	    /* a value is printed back: no control character inside it */
	    {"control_group = sein\x1b[2Khuis", "control_group",
	     "holds a control character (byte 0x1b)"},
	    {"postcode_table = /etc/a\tb.csv", "postcode_table", "(byte 0x09)"},
	    {"log_level = info\rwarn", "log_level", "(byte 0x0d)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[2048], why[600], want[32];
		sh_config cfg;
		const char *head = "# Seinhuis\n\n" REQUIRED;
		snprintf(text, sizeof(text), "%s%s\n# end\n", head,
		         bad[i].line);
		snprintf(want, sizeof(want), "line %d:", next_line(head));
		check_case("%s", bad[i].line);
		CHECK_ERR(parse(&cfg, text, why, sizeof(why)), SH_ERR_CONFIG);
		CHECK_HAS(why, want);
		if (bad[i].key)
			CHECK_HAS(why, bad[i].key);
		CHECK_HAS(why, bad[i].rule);
		/* an unknown key is not repeated (it may be someone's data) */
		CHECK(strstr(why, "123456782") == NULL);
		CHECK(strstr(why, "keydri ") == NULL &&
		      strstr(why, "keydri:") == NULL);
	}

	/* Tabs around the key, the '=' and the value, and a Windows line
	 * end, are whitespace as before. */
	{
		char why[600];
		sh_config cfg;
		check_case("tabs and CR around a value");
		CHECK_ERR(parse(&cfg, REQUIRED "\tmap_size\t=\t2G\t\r\n", why,
		                sizeof(why)),
		          SH_OK);
		CHECK(cfg.map_size == (size_t)2 << 30);
		check_case("%s", "");
	}

	/* Path-like values: wrong scheme, too long. */
	char longpath[700];
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	static const char *keys[] = {"keydir", "trustdir", "datadir"};
	for (size_t i = 0; i < 3; i++) {
		char text[2048], why[600];
		sh_config cfg;
		/* The required line for this key is replaced by a bad one. */
		snprintf(text, sizeof(text), "%s = %s\n%s", keys[i], longpath,
		         REQUIRED);
		char *dup = strstr(text + 1, keys[i]);
		/* Remove the second (good) line for this key. */
		char *eol = strchr(dup, '\n');
		memmove(dup, eol + 1, strlen(eol + 1) + 1);
		check_case("%s too long", keys[i]);
		CHECK_ERR(parse(&cfg, text, why, sizeof(why)), SH_ERR_CONFIG);
		CHECK_HAS(why, "line 1:");
		CHECK_HAS(why, keys[i]);
	}
	static const struct {
		const char *line;
		const char *rule;
	} misc[] = {
	    {"listen = udp://127.0.0.1:7100", "tcp://"},
	    {"listen = 127.0.0.1:7100", "tcp://"},
	    {"listen = tcp://127.0.0.1:88641",
	     "the PORT must be a number from 1 to 65535, not '88641'"},
	    {"listen = tcp://127.0.0.1:0", "PORT must be a number from 1 to"},
	    {"listen = tcp://127.0.0.1:71x", "PORT must be a number from 1"},
	    {"listen = tcp://127.0.0.1", "the :PORT is missing"},
	    {"listen = tcp://:7100", "the HOST is missing"},
	    {"listen = tcp://[::1]:7100",
	     "IPv6 addresses are not supported: give an IPv4 address or a "
	     "host name"},
	    {"listen = tcp://::1:7100", "IPv6 addresses are not supported"},
	    {"control = /run/"
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     ".sock",
	     "107 characters"},
	};
	for (size_t i = 0; i < sizeof(misc) / sizeof(misc[0]); i++) {
		char text[2048], why[600];
		sh_config cfg;
		snprintf(text, sizeof(text),
		         "keydir = /k\ntrustdir = /t\ndatadir = /d\n%s\n",
		         misc[i].line);
		check_case("%s", misc[i].line);
		CHECK_ERR(parse(&cfg, text, why, sizeof(why)), SH_ERR_CONFIG);
		CHECK_HAS(why, "line 4:");
		CHECK_HAS(why, misc[i].rule);
	}
	check_case("%s", "");

	/* A line too long for the parser names its line too. */
	size_t n = 3000;
	char *big = malloc(n + 64);
	snprintf(big, n + 64, "keydir = /k\n# ");
	size_t at = strlen(big);
	memset(big + at, 'x', n);
	big[at + n] = '\0';
	char why[600];
	sh_config cfg;
	CHECK_ERR(parse(&cfg, big, why, sizeof(why)), SH_ERR_CONFIG);
	CHECK_HAS(why, "line 2:");
	free(big);

	/* A NUL byte inside the text. */
	static const char withnul[] = REQUIRED "window = 1\0 0\n";
	CHECK_ERR(sh_config_parse(&cfg, withnul, sizeof(withnul) - 1, why,
	                          sizeof(why)),
	          SH_ERR_CONFIG);
	CHECK_HAS(why, "NUL");
}

static void test_missing_required(void)
{
	static const char *req[] = {"keydir", "trustdir", "datadir", "listen",
	                            "control"};
	for (size_t i = 0; i < 5; i++) {
		char text[1024], why[600], want[64];
		sh_config cfg;
		snprintf(text, sizeof(text), "%s", REQUIRED);
		/* Drop the line of this key. */
		char *at = strstr(text, req[i]);
		char *eol = strchr(at, '\n');
		memmove(at, eol + 1, strlen(eol + 1) + 1);
		CHECK(strstr(text, req[i]) == NULL);
		snprintf(want, sizeof(want), "'%s'", req[i]);
		check_case("without %s", req[i]);
		CHECK_ERR(parse(&cfg, text, why, sizeof(why)), SH_ERR_CONFIG);
		CHECK_HAS(why, want);
		CHECK_HAS(why, "missing");
	}
	check_case("%s", "");
	/* An empty file misses the first of them. */
	char why[600];
	sh_config cfg;
	CHECK_ERR(parse(&cfg, "", why, sizeof(why)), SH_ERR_CONFIG);
	CHECK_HAS(why, "'keydir'");
	CHECK_ERR(parse(&cfg, "# only a comment\n\n", why, sizeof(why)),
	          SH_ERR_CONFIG);
	CHECK_HAS(why, "missing");
}

static void test_retry_order(void)
{
	char why[600];
	sh_config cfg;
	CHECK_ERR(parse(&cfg,
	                REQUIRED "retry_min_ms = 5000\nretry_max_ms = 1000\n",
	                why, sizeof(why)),
	          SH_ERR_CONFIG);
	CHECK_HAS(why, "retry_min_ms");
	CHECK_HAS(why, "retry_max_ms");
	/* Against the default maximum (30000 ms) too. */
	CHECK_ERR(
	    parse(&cfg, REQUIRED "retry_min_ms = 40000\n", why, sizeof(why)),
	    SH_ERR_CONFIG);
	CHECK_HAS(why, "retry_min_ms");
	/* And a maximum below the default minimum (500 ms). */
	CHECK_ERR(
	    parse(&cfg, REQUIRED "retry_max_ms = 200\n", why, sizeof(why)),
	    SH_ERR_CONFIG);
	CHECK_HAS(why, "retry_max_ms");
}

static void test_sizes(void)
{
	static const struct {
		const char *s;
		unsigned long long want;
	} ok[] = {
	    {"0", 0},           {"4096", 4096},       {"16k", 16384},
	    {"16K", 16384},     {"64M", 64ULL << 20}, {"64m", 64ULL << 20},
	    {"1G", 1ULL << 30}, {"3g", 3ULL << 30}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t got = 12345;
		check_case("sh_parse_size(\"%s\")", ok[i].s);
		CHECK_INT(sh_parse_size(ok[i].s, &got), 0);
		CHECK_INT(got, ok[i].want);
	}
	static const char *bad[] = {"",     "K",    "-1",
	                            "1KB",  "1 K",  "1T",
	                            "0x10", "1.0M", "17592186044417",
	                            "+16K", " 16K", "+0"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t got = 777;
		check_case("sh_parse_size(\"%s\")", bad[i]);
		CHECK_INT(sh_parse_size(bad[i], &got), -1);
		CHECK_INT(got, 777);
	}
	uint32_t u = 9;
	check_case("%s", "sh_parse_u32");
	CHECK(sh_parse_u32("42", 1, 100, &u) == 0 && u == 42);
	CHECK(sh_parse_u32("1", 1, 100, &u) == 0 && u == 1);
	CHECK(sh_parse_u32("100", 1, 100, &u) == 0 && u == 100);
	CHECK(sh_parse_u32("4294967295", 0, UINT32_MAX, &u) == 0 &&
	      u == UINT32_MAX);
	u = 9;
	CHECK(sh_parse_u32("0", 1, 100, &u) < 0);
	CHECK(sh_parse_u32("101", 1, 100, &u) < 0);
	CHECK(sh_parse_u32("4294967296", 0, UINT32_MAX, &u) < 0);
	CHECK(sh_parse_u32(" 5", 1, 100, &u) < 0);
	CHECK(sh_parse_u32("5 ", 1, 100, &u) < 0);
	CHECK(sh_parse_u32("", 1, 100, &u) < 0);
	CHECK_INT(u, 9);
	check_case("%s", "");
}

static void test_load(void)
{
	char *dir = fx_tmpdir("config");
	char path[1024], why[1200];
	sh_config cfg;
	fx_path(path, sizeof(path), dir, "seinhuisd.conf");
	CHECK_INT(fx_write(path, REQUIRED "window = 77\n", 0644), 0);
	CHECK_ERR(sh_config_load(&cfg, path, why, sizeof(why)), SH_OK);
	CHECK_STR(cfg.path, path);
	CHECK_INT(cfg.window, 77);

	/* A file saved by a Windows editor: a byte order mark before a
	 * comment line, and CRLF line ends. */
	CHECK_INT(fx_write(path,
	                   "\xef\xbb\xbf# seinhuisd.conf\r\n" REQUIRED
	                   "window = 78\r\n",
	                   0644),
	          0);
	CHECK_ERR(sh_config_load(&cfg, path, why, sizeof(why)), SH_OK);
	CHECK_INT(cfg.window, 78);

	/* A refusal from a file names the file and the line. */
	CHECK_INT(fx_write(path, REQUIRED "windows = 77\n", 0644), 0);
	CHECK_ERR(sh_config_load(&cfg, path, why, sizeof(why)), SH_ERR_CONFIG);
	CHECK_HAS(why, path);
	CHECK_HAS(why, "line 6:");

	fx_path(path, sizeof(path), dir, "absent.conf");
	CHECK_ERR(sh_config_load(&cfg, path, why, sizeof(why)), SH_ERR_CONFIG);
	CHECK_HAS(why, path);
	CHECK_HAS(why, "no such file");

	/* One over the limit: said so, not "Success" from a stale errno. */
	fx_path(path, sizeof(path), dir, "big.conf");
	size_t big = (1u << 20) + 1;
	char *text = malloc(big + 1);
	if (CHECK(text != NULL)) {
		memset(text, '#', big);
		text[big] = '\0';
		CHECK_INT(fx_write(path, text, 0644), 0);
		free(text);
		errno = 0;
		CHECK_ERR(sh_config_load(&cfg, path, why, sizeof(why)),
		          SH_ERR_CONFIG);
		CHECK_HAS(why, "larger than 1 MiB");
	}
	fx_rm_rf(dir);
	free(dir);
}

/*
 * The sample configuration shipped in deploy/ must parse, and each of its
 * commented-out "#key = value" lines, which document a default, must
 * name the default the parser really applies: uncommenting them all may
 * change nothing.
 */
static void test_sample(const char *path)
{
	size_t len = 0;
	char *text = fx_read(path, &len);
	char why[600];
	sh_config as_is, uncommented;
	if (!CHECK(text != NULL)) {
		printf("     cannot read %s\n", path);
		return;
	}
	CHECK_ERR(sh_config_parse(&as_is, text, len, why, sizeof(why)), SH_OK);

	sh_buf b = {0};
	int defaults = 0;
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
		size_t key = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_");
		if (line[0] == '#' && key > 0 &&
		    strncmp(line + 1 + key, " = ", 3) == 0) {
			sh_buf_add(&b, line + 1, n - 1);
			defaults++;
		} else {
			sh_buf_add(&b, line, n);
		}
		line += n;
	}
	CHECK(defaults > 0);
	CHECK_ERR(sh_config_parse(&uncommented, (const char *)b.data, b.len,
	                          why, sizeof(why)),
	          SH_OK);
	CHECK_INT(uncommented.map_size, as_is.map_size);
	CHECK_INT(uncommented.max_message, as_is.max_message);
	CHECK_INT(uncommented.log_level, as_is.log_level);
	CHECK_INT(uncommented.log_syslog, as_is.log_syslog);
	CHECK_INT(uncommented.retry_min_ms, as_is.retry_min_ms);
	CHECK_INT(uncommented.retry_max_ms, as_is.retry_max_ms);
	CHECK_INT(uncommented.window, as_is.window);
	CHECK_INT(uncommented.batch_max, as_is.batch_max);
	CHECK_STR(uncommented.control_group, as_is.control_group);
	sh_buf_free(&b);
	free(text);
}

/* The postcode table (route.c): quotes around a whole value are taken
 * off; a quote anywhere else is refused, not cut off with what follows. */
static void test_postcode_quotes(void)
{
	static const struct {
		const char *text;
		int ok;
	} cases[] = {
	    {"\"1011AB\";\"GM0363\"\n", 1},
	    {"1011AB;0363\n", 1},
	    {"1011AB\"x;0363\"junk\n", 0},
	    {"\"1011AB;0363\n", 0},
	    {"1011AB;\"0363\" x\n", 0},
	    {"1011AB;03\"63\n", 0},
	    {"\xef\xbb\xbf\"PC6\";\"Gemeente2024\"\n\"1011AB\";\"GM0363\"\n",
	     1},
	};
	char why[300];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case("postcode table: %s", cases[i].text);
		sh_routes r;
		sh_err e = sh_routes_parse(
		    &r, cases[i].text, strlen(cases[i].text), why, sizeof(why));
		if (cases[i].ok) {
			if (CHECK_ERR(e, SH_OK)) {
				const char *m = sh_routes_find(&r, "1011 AB");
				CHECK(m && strcmp(m, "0363") == 0);
				sh_routes_free(&r);
			}
		} else {
			CHECK_ERR(e, SH_ERR_CONFIG);
			CHECK_HAS(why, "line 1");
		}
	}
	check_case("%s", "");
}

/* The card's endpoint against listen (sh_endpoint_mismatch): another port
 * always counts; another address only where both are written as IPv4
 * addresses and listen is not '*'. The fix keeps the card's host unless
 * the address differs. */
static void test_endpoint_mismatch(void)
{
	static const struct {
		const char *listen, *card, *why, *fix;
	} cases[] = {
	    {"tcp://127.0.0.1:7100", "tcp://127.0.0.1:7100", NULL, NULL},
	    {"tcp://*:7100", "tcp://seinhuis.example.nl:7100", NULL, NULL},
	    {"tcp://*:7100", "tcp://192.0.2.7:7100", NULL, NULL},
	    {"tcp://127.0.0.1:7100", "tcp://seinhuis.example.nl:7100", NULL,
	     NULL},
	    {"tcp://127.0.0.1:7101", "tcp://127.0.0.1:7100", "another port",
	     "tcp://127.0.0.1:7101"},
	    {"tcp://*:7101", "tcp://seinhuis.example.nl:7100", "another port",
	     "tcp://seinhuis.example.nl:7101"},
	    {"tcp://127.0.0.1:7100", "tcp://192.0.2.7:7100", "another address",
	     "tcp://127.0.0.1:7100"},
	    {"tcp://127.0.0.1:7101", "tcp://192.0.2.7:7100",
	     "another port and another address", "tcp://127.0.0.1:7101"},
	    /* 0.0.0.0 is every address, as '*': by port only, and never
	     * a fix that puts 0.0.0.0 on a card */
	    {"tcp://0.0.0.0:7100", "tcp://192.0.2.7:7100", NULL, NULL},
	    {"tcp://0.0.0.0:7101", "tcp://192.0.2.7:7100", "another port",
	     "tcp://192.0.2.7:7101"},
	};
	char why[100], fix[300];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case("listen %s, card %s", cases[i].listen,
		           cases[i].card);
		int m =
		    sh_endpoint_mismatch(cases[i].listen, cases[i].card, fix,
		                         sizeof(fix), why, sizeof(why));
		CHECK(m == (cases[i].why != NULL));
		if (m && cases[i].why) {
			CHECK(strcmp(why, cases[i].why) == 0);
			CHECK(strcmp(fix, cases[i].fix) == 0);
		}
	}
	check_case("%s", "");
}

/* listen with a host name: zmq_bind takes addresses and interfaces only
 * (a name is taken for an interface, ENODEV), so -t fails on it as the
 * start would, naming the rule; an interface is not tried. */
static void test_listen_names(void)
{
	char why[700];
	check_case("%s", "listen tcp://localhost:7100");
	CHECK(sh_listen_try("tcp://localhost:7100", why, sizeof(why)) == 2);
	CHECK_HAS(why, "neither an IPv4 address nor a network interface");
	check_case("%s", "listen tcp://lo:7100");
	CHECK(sh_listen_try("tcp://lo:7100", why, sizeof(why)) == -1);
	check_case("%s", "");
}

int main(int argc, char **argv)
{
	test_endpoint_mismatch();
	test_listen_names();
	test_postcode_quotes();
	test_full();
	test_defaults();
	test_bounds_accepted();
	test_line_errors();
	test_missing_required();
	test_retry_order();
	test_sizes();
	test_load();
	/* Optional: the path of deploy/seinhuisd.conf.sample. */
	if (argc > 1)
		test_sample(argv[1]);
	return check_done();
}
