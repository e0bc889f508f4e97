/*
 * seinkey.c - the key tool: creates a partner identity, prints its public
 * card, and manages the trust store of partner cards.
 *
 *   seinkey init  --dir KEYDIR --partner ID --name NAME --role ROLE
 *                 --endpoint tcp://HOST:PORT [--municipalities 0363,0599]
 *   seinkey card  --dir KEYDIR
 *   seinkey trust --trustdir DIR CARD...
 *   seinkey list  --trustdir DIR
 *
 * With -c CONF, KEYDIR and the trust store come from the daemon's
 * configuration. Secret key files are created 0600 and never overwritten
 * (identity.c); a card is validated before it is trusted (card.c).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "seinhuis.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: seinkey [-c CONF] COMMAND ...\n"
		"  init  --dir KEYDIR --partner ID --name NAME --role ROLE\n"
		"        --endpoint tcp://HOST:PORT [--municipalities CODES]\n"
		"                       create a partner identity (refuses to overwrite)\n"
		"  card  --dir KEYDIR   print the public partner card\n"
		"  trust --trustdir DIR CARD...  add partner cards to the trust store\n"
		"  list  --trustdir DIR list the trusted partners\n"
		"  revoke --trustdir DIR PARTNER  remove a partner's card; a running\n"
		"                       daemon drops its connections within seconds\n"
		"roles: municipality_debt municipality_team landlord energy water\n"
		"       health_insurer veilig_thuis professional\n");
}

static const char *conf_path;
static sh_config cfg;

static void need_conf(void)
{
	char why[1024];
	if (conf_path && !cfg.path[0] &&
	    sh_config_load(&cfg, conf_path, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinkey: %s\n", why);
		exit(2);
	}
}

static int cmd_init(int argc, char **argv)
{
	sh_card c;
	const char *dir = NULL;
	static struct option opts[] = {
	    {"dir", required_argument, 0, 'd'},
	    {"partner", required_argument, 0, 'p'},
	    {"name", required_argument, 0, 'n'},
	    {"role", required_argument, 0, 'r'},
	    {"endpoint", required_argument, 0, 'e'},
	    {"municipalities", required_argument, 0, 'm'},
	    {0, 0, 0, 0}};
	int opt;
	memset(&c, 0, sizeof(c));
	char text[4096];
	size_t len = 0;
	len += (size_t)snprintf(text + len, sizeof(text) - len, "seinhuis_card = 1\n");
	while ((opt = getopt_long(argc, argv, "d:p:n:r:e:m:", opts, NULL)) != -1) {
		const char *key = NULL;
		switch (opt) {
		case 'd': dir = optarg; continue;
		case 'p': key = "partner"; break;
		case 'n': key = "name"; break;
		case 'r': key = "role"; break;
		case 'e': key = "endpoint"; break;
		case 'm': key = "municipalities"; break;
		default: usage(stderr); return 2;
		}
		if (strchr(optarg, '\n') || strchr(optarg, '\r')) {
			fprintf(stderr, "seinkey: --%s may not hold a line break\n",
				key);
			return 2;
		}
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s = %s\n",
					key, optarg);
		if (len >= sizeof(text)) {
			fprintf(stderr, "seinkey: arguments too long\n");
			return 2;
		}
	}
	if (!dir) {
		need_conf();
		dir = cfg.path[0] ? cfg.keydir : NULL;
	}
	if (!dir || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* Validate the public fields through the card parser, with dummy
	 * keys, so that init and trust apply the very same rules. */
	len += (size_t)snprintf(
	    text + len, sizeof(text) - len,
	    "curve = 0000000000000000000000000000000000000000\n"
	    "sign = %064d\nseal = %064d\n", 0, 0);
	char why[1024];
	if (sh_card_parse(&c, text, len, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinkey: %s\n", why);
		return 2;
	}
	if (sh_identity_create(dir, &c, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinkey: %s\n", why);
		return 1;
	}
	printf("created identity '%s' (%s) in %s\n"
	       "  public card: %s/card  (give it to your partners)\n"
	       "  secret keys: curve.key sign.key seal.key (mode 0600; never share "
	       "or commit them)\n",
	       c.partner, c.role, dir, dir);
	return 0;
}

static int cmd_card(int argc, char **argv)
{
	const char *dir = NULL;
	static struct option opts[] = {{"dir", required_argument, 0, 'd'},
				       {0, 0, 0, 0}};
	int opt;
	while ((opt = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (opt != 'd') {
			usage(stderr);
			return 2;
		}
		dir = optarg;
	}
	if (!dir) {
		need_conf();
		dir = cfg.path[0] ? cfg.keydir : NULL;
	}
	if (!dir || optind != argc) {
		usage(stderr);
		return 2;
	}
	char path[1024], why[1024];
	sh_card c;
	snprintf(path, sizeof(path), "%s/card", dir);
	if (sh_card_load(&c, path, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinkey: %s\n", why);
		return 1;
	}
	sh_buf b = {0};
	sh_card_format(&c, &b);
	fwrite(b.data, 1, b.len, stdout);
	sh_buf_free(&b);
	return 0;
}

static const char *trustdir_arg(int argc, char **argv)
{
	static struct option opts[] = {{"trustdir", required_argument, 0, 't'},
				       {0, 0, 0, 0}};
	const char *dir = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (opt != 't') {
			usage(stderr);
			exit(2);
		}
		dir = optarg;
	}
	if (!dir) {
		need_conf();
		dir = cfg.path[0] ? cfg.trustdir : NULL;
	}
	if (!dir) {
		usage(stderr);
		exit(2);
	}
	return dir;
}

static int cmd_trust(int argc, char **argv)
{
	const char *dir = trustdir_arg(argc, argv);
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		char why[1024];
		sh_card c;
		if (sh_card_load(&c, argv[i], why, sizeof(why)) != SH_OK ||
		    sh_trust_add(dir, argv[i], why, sizeof(why)) != SH_OK) {
			fprintf(stderr, "seinkey: not trusted: %s\n", why);
			rc = 1;
			continue;
		}
		char fp[17];
		sh_key_fingerprint(fp, c.curve_pub);
		printf("trusted '%s' (%s) at %s, key %s\n", c.partner, c.role,
		       c.endpoint, fp);
	}
	return rc;
}

static int cmd_revoke(int argc, char **argv)
{
	const char *dir = trustdir_arg(argc, argv);
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	char why[1024];
	if (sh_trust_remove(dir, argv[optind], why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinkey: %s\n", why);
		return 1;
	}
	printf("revoked '%s': its card is removed from %s; a running daemon "
	       "drops its connections within seconds\n",
	       argv[optind], dir);
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	const char *dir = trustdir_arg(argc, argv);
	sh_trust t;
	char why[1024];
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (sh_trust_load(&t, dir, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinkey: %s\n", why);
		return 1;
	}
	printf("%-24s  %-18s  %-28s  %-16s  %s\n", "PARTNER", "ROLE", "ENDPOINT",
	       "KEY", "NAME");
	for (size_t i = 0; i < t.n; i++) {
		char fp[17];
		sh_key_fingerprint(fp, t.cards[i].curve_pub);
		printf("%-24s  %-18s  %-28s  %-16s  %s\n", t.cards[i].partner,
		       t.cards[i].role, t.cards[i].endpoint, fp, t.cards[i].name);
	}
	printf("%zu trusted partners\n", t.n);
	sh_trust_free(&t);
	return 0;
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "+c:hV")) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("seinkey %s\n", SH_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	sh_log_init("seinkey", SH_LOG_WARN, 0);
	const char *cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0; /* glibc: re-initialise getopt */
	if (strcmp(cmd, "init") == 0)
		return cmd_init(argc, argv);
	if (strcmp(cmd, "card") == 0)
		return cmd_card(argc, argv);
	if (strcmp(cmd, "trust") == 0)
		return cmd_trust(argc, argv);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(argc, argv);
	if (strcmp(cmd, "revoke") == 0)
		return cmd_revoke(argc, argv);
	fprintf(stderr, "seinkey: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
