/*
 * seinkey.c - the key tool: creates a partner identity, prints its public
 * card, and manages the trust store of partner cards.
 *
 *   seinkey init  --dir KEYDIR --partner ID --name NAME --role ROLE
 *                 --endpoint tcp://HOST:PORT [--municipalities 0363,0599]
 *   seinkey card  --dir KEYDIR [--endpoint URL] [--name NAME]
 *                 [--municipalities CODES]
 *   seinkey show  CARD...
 *   seinkey trust --trustdir DIR [--new-keys] CARD...
 *   seinkey list  --trustdir DIR
 *   seinkey rotate --dir KEYDIR --overlap 7d
 *
 * With -c CONF, KEYDIR and the trust store come from the daemon's
 * configuration. Secret key files are created 0600 and never overwritten
 * (identity.c); a card is validated before it is trusted (card.c).
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "seinhuis.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: seinkey [-c CONF] COMMAND ...   (-h, --help; -V, "
	    "--version)\n"
	    "  init  --dir KEYDIR --partner ID --name NAME --role ROLE\n"
	    "        --endpoint tcp://HOST:PORT [--municipalities CODES]\n"
	    "                       create a partner identity (refuses to "
	    "overwrite)\n"
	    "  card  --dir KEYDIR   print the public partner card\n"
	    "        [--endpoint tcp://HOST:PORT] [--name NAME] "
	    "[--municipalities CODES]\n"
	    "                       change what it says, keeping the keys "
	    "(a move)\n"
	    "  show  CARD...        check partner cards and print their key "
	    "fingerprints,\n"
	    "                       without trusting them (compare with the "
	    "partner)\n"
	    "  trust --trustdir DIR [--new-keys] CARD...  add partner cards "
	    "to the trust\n"
	    "                       store (--new-keys: accept other keys "
	    "for a trusted\n"
	    "                       partner that are not a signed "
	    "rotation)\n"
	    "  list  --trustdir DIR list the trusted partners (and previous "
	    "keys\n"
	    "                       still accepted after their key rotation, "
	    "earlier\n"
	    "                       signing keys kept), then the revoked "
	    "ones\n"
	    "  rotate --dir KEYDIR --overlap N(s|m|h|d)\n"
	    "                       new CURVE and signing keys; the previous "
	    "ones\n"
	    "                       stay accepted by partners for the overlap\n"
	    "  revoke --trustdir DIR PARTNER  remove a partner's card (kept "
	    "in\n"
	    "                       earlier/ to verify its stored signals); "
	    "a running\n"
	    "                       daemon drops its connections within "
	    "seconds\n"
	    "roles: municipality_debt municipality_team landlord energy water\n"
	    "       health_insurer veilig_thuis professional\n");
}

static void utc_text(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", (long long)t);
}

static const char *conf_path;

/* --dir and --trustdir: paths are built from them in fixed buffers, so one
 * longer than seinhuisd.conf allows for keydir/trustdir is refused, not
 * cut short. */
static const char *dir_arg(const char *opt, const char *v)
{
	if (!*v || strlen(v) >= SH_KEYDIR_MAX) {
		fprintf(stderr,
		        "seinkey: --%s must be a path of 1 to %d characters\n",
		        opt, SH_KEYDIR_MAX - 1);
		exit(2);
	}
	return v;
}
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

/* Keys written by root into a key directory that belongs to the daemon's
 * user would be unreadable for the daemon: refused, naming the user. */
static int owner_ok(const char *dir)
{
	struct stat st;
	if (geteuid() != 0 || stat(dir, &st) < 0 || st.st_uid == 0)
		return 1;
	struct passwd *pw = getpwuid(st.st_uid);
	char who[64];
	if (pw)
		snprintf(who, sizeof(who), "%s", pw->pw_name);
	else
		snprintf(who, sizeof(who), "%u", (unsigned)st.st_uid);
	fprintf(stderr,
	        "seinkey: %s belongs to user '%s': run seinkey as that user "
	        "(runuser -u %s -- seinkey ...), or the daemon could not read "
	        "the keys written as root\n",
	        dir, who, who);
	return 0;
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
	unsigned given = 0; /* --partner, --name, --role, --endpoint */
	memset(&c, 0, sizeof(c));
	char text[4096];
	size_t len = 0;
	len += (size_t)snprintf(text + len, sizeof(text) - len,
	                        "seinhuis_card = 1\n");
	while ((opt = getopt_long(argc, argv, "d:p:n:r:e:m:", opts, NULL)) !=
	       -1) {
		const char *key = NULL;
		switch (opt) {
		case 'd': dir = dir_arg("dir", optarg); continue;
		case 'p': key = "partner", given |= 1; break;
		case 'n': key = "name", given |= 2; break;
		case 'r': key = "role", given |= 4; break;
		case 'e': key = "endpoint", given |= 8; break;
		case 'm': key = "municipalities"; break;
		default:
			sh_opt_refused("seinkey init", argc, argv,
			               "d:p:n:r:e:m:", opts);
			return 2;
		}
		if (strchr(optarg, '\n') || strchr(optarg, '\r')) {
			fprintf(stderr,
			        "seinkey: --%s may not hold a line break\n",
			        key);
			return 2;
		}
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%s = %s\n", key, optarg);
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
	static const char *const needed[] = {"partner", "name", "role",
	                                     "endpoint"};
	for (int i = 0; i < 4; i++)
		if (!(given & 1u << i)) {
			fprintf(stderr,
			        "seinkey: init needs --%s (--partner, --name, "
			        "--role and --endpoint are required)\n",
			        needed[i]);
			return 2;
		}
	/* Validate the public fields through the card parser, with dummy
	 * keys (the base points: keys of small order are refused), so that
	 * init and trust apply the very same rules. */
	len += (size_t)snprintf(text + len, sizeof(text) - len, "%s",
	                        SH_CARD_PLACEHOLDER_KEYS);
	char why[1024];
	if (sh_card_parse(&c, text, len, why, sizeof(why)) != SH_OK) {
		/* "line N: KEY: reason" of the card made from the options:
		 * named by the option instead */
		const char *r = why;
		if (strncmp(r, "line ", 5) == 0 && (r = strstr(r, ": ")))
			fprintf(stderr, "seinkey: --%s\n", r + 2);
		else
			fprintf(stderr, "seinkey: %s\n", why);
		return 2;
	}
	if (!owner_ok(dir))
		return 1;
	if (sh_identity_create(dir, &c, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinkey: %s\n", why);
		return 1;
	}
	printf("created identity '%s' (%s) in %s\n"
	       "  public card: %s/card  (give it to your partners)\n"
	       "  secret keys: curve.key sign.key seal.key (mode 0600; never "
	       "share "
	       "or commit them)\n",
	       c.partner, c.role, dir, dir);
	return 0;
}

/* card --endpoint/--name/--municipalities: the card changed, keys kept. */
static int card_update(const char *dir, const char *endpoint, const char *name,
                       const char *munis)
{
	const char *vals[3] = {endpoint, name, munis};
	static const char *const opt_names[3] = {"endpoint", "name",
	                                         "municipalities"};
	for (int i = 0; i < 3; i++)
		if (vals[i] &&
		    (strchr(vals[i], '\n') || strchr(vals[i], '\r'))) {
			fprintf(stderr,
			        "seinkey: --%s may not hold a line break\n",
			        opt_names[i]);
			return 2;
		}
	if (!owner_ok(dir))
		return 1;
	char why[1024];
	sh_card old, nw;
	sh_err e = sh_identity_card_update(dir, endpoint, name, munis, &old,
	                                   &nw, why, sizeof(why));
	if (e != SH_OK) {
		fprintf(stderr, "seinkey: card not changed: %s\n", why);
		return e == SH_ERR_USAGE ? 2 : 1;
	}
	printf("changed the card of '%s' in %s/card; its keys are the same\n",
	       nw.partner, dir);
	const char *was[3] = {old.endpoint, old.name, old.municipalities};
	const char *now[3] = {nw.endpoint, nw.name, nw.municipalities};
	for (int i = 0; i < 3; i++)
		if (vals[i])
			printf("  %-15s %s -> %s\n", opt_names[i],
			       was[i][0] ? was[i] : "(none)",
			       now[i][0] ? now[i] : "(none)");
	if (old.has_prev && !nw.has_prev)
		printf("  the previous keys' overlap is over: the card no "
		       "longer names them\n");
	else if (nw.has_prev)
		printf("  signed again with the previous signing key (the "
		       "rotation's overlap lasts)\n");
	printf("  give the card to your partners: seinkey trust FILE "
	       "replaces the old one,\n"
	       "  and their daemons use it within seconds, without a "
	       "restart\n");
	if (endpoint && strcmp(old.endpoint, nw.endpoint) != 0)
		printf("  this daemon listens where seinhuisd.conf's 'listen' "
		       "says: change it to match\n"
		       "  and restart seinhuisd (seinhuisd -t first)\n");
	return 0;
}

static int cmd_card(int argc, char **argv)
{
	const char *dir = NULL, *endpoint = NULL, *name = NULL, *munis = NULL;
	static struct option opts[] = {
	    {"dir", required_argument, 0, 'd'},
	    {"endpoint", required_argument, 0, 'e'},
	    {"name", required_argument, 0, 'n'},
	    {"municipalities", required_argument, 0, 'm'},
	    {0, 0, 0, 0}};
	int opt;
	while ((opt = getopt_long(argc, argv, "d:e:n:m:", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dir = dir_arg("dir", optarg); break;
		case 'e': endpoint = optarg; break;
		case 'n': name = optarg; break;
		case 'm': munis = optarg; break;
		default:
			sh_opt_refused("seinkey card", argc, argv,
			               "d:e:n:m:", opts);
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
	if (endpoint || name || munis)
		return card_update(dir, endpoint, name, munis);
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

/* --trustdir, and for trust (new_keys not NULL) --new-keys. */
static const char *trustdir_arg(int argc, char **argv, int *new_keys)
{
	static struct option opts[] = {{"trustdir", required_argument, 0, 't'},
	                               {"new-keys", no_argument, 0, 'n'},
	                               {0, 0, 0, 0}};
	const char *dir = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (opt == 'n' && new_keys) {
			*new_keys = 1;
			continue;
		}
		if (opt != 't') {
			sh_opt_refused("seinkey", argc, argv, "t:", opts);
			exit(2);
		}
		dir = dir_arg("trustdir", optarg);
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

/* The keys the trusted card of c's partner (if any) has and c changes,
 * said in *what ("" when none or a new partner). A change is refused
 * unless new_keys: the sealing key (a rotation keeps it), and the CURVE
 * and signing keys unless c is a rotation signed by the trusted ones. */
static int key_changes(const char *dir, const sh_card *c, int new_keys,
                       char *what, size_t wl, char *why, size_t whylen)
{
	sh_trust t;
	char sub[512];
	what[0] = '\0';
	if (sh_trust_load(&t, dir, sub, sizeof(sub)) != SH_OK)
		return 0; /* sh_trust_add says why */
	const sh_card *old = sh_trust_find(&t, c->partner);
	int cu = old && memcmp(old->curve_pub, c->curve_pub, 32) != 0;
	int si = old && memcmp(old->sign_pub, c->sign_pub, 32) != 0;
	int se = old && memcmp(old->seal_pub, c->seal_pub, 32) != 0;
	int rotation = old && c->has_prev &&
	               memcmp(old->curve_pub, c->prev_curve, 32) == 0 &&
	               memcmp(old->sign_pub, c->prev_sign, 32) == 0;
	int known = old != NULL;
	sh_trust_free(&t);
	if (!known)
		return 0;
	char keys[40];
	snprintf(keys, sizeof(keys), "%s%s%s", cu ? ", CURVE" : "",
	         si ? ", signing" : "", se ? ", sealing" : "");
	int unsigned_change = se || ((cu || si) && !rotation);
	if (unsigned_change && !new_keys) {
		char fp[17];
		sh_card_fingerprint(fp, c);
		snprintf(why, whylen,
		         "it changes keys of '%s', trusted here (%s), and is "
		         "not a rotation signed by the trusted keys (seinkey "
		         "rotate, which keeps the sealing key): if the partner "
		         "made new keys, compare the card fingerprint %s with "
		         "it by another channel, then trust the card with "
		         "--new-keys",
		         c->partner, keys + 2, fp);
		return -1;
	}
	if (!keys[0])
		snprintf(what, wl, "replaces its card, keys unchanged");
	else
		snprintf(what, wl, "replaces its card, keys changed: %s (%s)",
		         keys + 2,
		         unsigned_change ? "--new-keys, not signed by the "
		                           "trusted keys"
		                         : "a rotation signed by the trusted "
		                           "keys");
	return 0;
}

static int cmd_trust(int argc, char **argv)
{
	int new_keys = 0;
	const char *dir = trustdir_arg(argc, argv, &new_keys);
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	/* With -c this partner's own card is known: trusting it is
	 * refused here (without -c, the daemon leaves it out). */
	sh_card own;
	int own_known = 0;
	if (cfg.path[0]) {
		char path[1100], why[1024];
		snprintf(path, sizeof(path), "%s/card", cfg.keydir);
		own_known = sh_card_load(&own, path, why, sizeof(why)) == SH_OK;
	}
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		char why[1024], sub[512];
		sh_card c;
		if (sh_card_load(&c, argv[i], why, sizeof(why)) == SH_OK &&
		    own_known && sh_card_is_own(&c, &own, sub, sizeof(sub))) {
			snprintf(why, sizeof(why), "%.500s: %s", argv[i], sub);
			fprintf(stderr, "seinkey: not trusted: %s\n", why);
			rc = 1;
			continue;
		}
		char changed[160] = "";
		if (sh_card_load(&c, argv[i], why, sizeof(why)) == SH_OK &&
		    key_changes(dir, &c, new_keys, changed, sizeof(changed),
		                sub, sizeof(sub)) < 0) {
			fprintf(stderr, "seinkey: not trusted: %.500s: %s\n",
			        argv[i], sub);
			rc = 1;
			continue;
		}
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
		sh_card_fingerprint(fp, &c);
		printf("  card fingerprint %s%s%s\n", fp,
		       changed[0] ? "; " : "", changed);
		/* What the store kept: the previous keys only if it trusted
		 * them (sh_trust_add). The card may be in a file of another
		 * name (one copied in by hand, replaced). */
		if (c.has_prev) {
			sh_trust t;
			const sh_card *kept = NULL;
			char until[32];
			sh_key_fingerprint(fp, c.prev_curve);
			utc_text(c.prev_until, until, sizeof(until));
			if (sh_trust_load(&t, dir, why, sizeof(why)) == SH_OK)
				kept = sh_trust_find(&t, c.partner);
			int has_prev = kept && kept->has_prev;
			sh_trust_free(&t);
			if (has_prev)
				printf(
				    "  continues key %s, accepted until %s\n",
				    fp, until);
			else
				printf("  the previous key %s was not trusted "
				       "here: "
				       "no overlap, it is refused\n",
				       fp);
		}
	}
	return rc;
}

/* A card checked as trust would check it, and shown for comparing its
 * fingerprint with the partner's before it is trusted; nothing is written. */
static int cmd_show(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		char why[1024], fp[17], until[32];
		sh_card c;
		if (sh_card_load(&c, argv[i], why, sizeof(why)) != SH_OK) {
			fprintf(stderr, "seinkey: not a valid card: %s\n", why);
			rc = 1;
			continue;
		}
		sh_key_fingerprint(fp, c.curve_pub);
		printf("%s: partner '%s' (%s) at %s, key %s, name %s\n",
		       argv[i], c.partner, c.role, c.endpoint, fp, c.name);
		sh_card_fingerprint(fp, &c);
		printf("  card fingerprint %s (of its CURVE, signing and "
		       "sealing keys: compare it with the partner)\n",
		       fp);
		if (c.has_prev) {
			sh_key_fingerprint(fp, c.prev_curve);
			utc_text(c.prev_until, until, sizeof(until));
			printf("  continues key %s until %s\n", fp, until);
			if (!sh_card_overlap_ok(&c, sh_now_ms() / 1000)) {
				fprintf(stderr,
				        "seinkey: %s: trust would refuse it: "
				        "its previous keys would stay "
				        "accepted for more than a year\n",
				        argv[i]);
				rc = 1;
			}
		}
	}
	return rc;
}

static int cmd_revoke(int argc, char **argv)
{
	const char *dir = trustdir_arg(argc, argv, NULL);
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
	if (why[0]) {
		fprintf(stderr, "seinkey: warning: removed all the same: %s\n",
		        why);
		return 0;
	}
	printf("  its card is kept in %s/" SH_EARLIER_CARDS "/ (never trusted "
	       "again from there), so that the signals it\n"
	       "  signed still verify as its own; seinkey list shows it as "
	       "revoked\n",
	       dir);
	return 0;
}

/* The signing keys of a partner's history other than its card's own,
 * one line each: when superseded or revoked, and until when a card that
 * continued it accepted it. */
static void list_earlier(const sh_keyhist *h)
{
	int64_t now_s = sh_now_ms() / 1000;
	for (size_t i = 0; i < h->n; i++) {
		const sh_sign_key *k = &h->k[i];
		char fp[17], at[32], until[64] = "";
		if (k->current)
			continue;
		sh_key_fingerprint(fp, k->key);
		/* the later, as seinctl inbox show says it */
		int rev = k->revoked_s > k->superseded_s;
		int64_t t = rev ? k->revoked_s : k->superseded_s;
		utc_text(t, at, sizeof(at));
		char state[64];
		snprintf(state, sizeof(state), "%s %s",
		         rev ? "revoked at" : "superseded at",
		         t ? at : "a time not noted");
		if (k->until_s) {
			utc_text(k->until_s, at, sizeof(at));
			snprintf(until, sizeof(until), "; %s %s",
			         k->until_s > now_s ? "accepted until"
			                            : "expired at",
			         at);
		}
		printf("%-24s  earlier signing key %s %s%s\n", "", fp, state,
		       until);
	}
}

/* The partner ids that have cards in earlier/ (sh_earlier_each). */
struct kept_ids {
	char (*id)[SH_PARTNER_MAX + 1];
	size_t n;
};

static int kept_id(void *vctx, const char *path, const sh_card *c, char *why,
                   size_t wl)
{
	(void)path, (void)why, (void)wl;
	struct kept_ids *k = vctx;
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->id[i], c->partner) == 0)
			return 1;
	char(*nid)[SH_PARTNER_MAX + 1] =
	    realloc(k->id, (k->n + 1) * sizeof(*nid));
	if (!nid)
		return 1;
	k->id = nid;
	snprintf(k->id[k->n++], sizeof(k->id[0]), "%s", c->partner);
	return 1;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Partners with cards in earlier/ but none in the trust store: revoked
 * (or removed by hand), their keys kept to verify their stored signals. */
static size_t list_revoked(const char *dir, const sh_trust *t,
                           const sh_card *self)
{
	struct kept_ids k = {NULL, 0};
	char why[400];
	sh_earlier_each(dir, kept_id, &k, why, sizeof(why));
	if (why[0] && !t->n) /* else said with the first trusted partner */
		fprintf(stderr, "seinkey: warning: %s\n", why);
	if (k.n)
		qsort(k.id, k.n, sizeof(k.id[0]), id_cmp);
	size_t shown = 0;
	sh_keyhist *h = calloc(1, sizeof(*h));
	for (size_t i = 0; h && i < k.n; i++) {
		sh_card last;
		if (sh_trust_find(t, k.id[i]) ||
		    (self && strcmp(self->partner, k.id[i]) == 0) ||
		    !sh_keyhist_load_kept(h, dir, k.id[i], &last))
			continue;
		int64_t rev = 0;
		for (size_t j = 0; j < h->n; j++)
			if (h->k[j].revoked_s > rev)
				rev = h->k[j].revoked_s;
		char at[40] = "not in the trust store";
		if (rev) {
			utc_text(rev, at + 11, sizeof(at) - 11);
			memcpy(at, "revoked at ", 11);
		}
		printf("%-24s  %-18s  %s: not trusted; its keys below are "
		       "kept in " SH_EARLIER_CARDS "/ to verify its stored "
		       "signals\n",
		       k.id[i], last.role, at);
		list_earlier(h);
		shown++;
	}
	free(h);
	free(k.id);
	return shown;
}

static int cmd_list(int argc, char **argv)
{
	const char *dir = trustdir_arg(argc, argv, NULL);
	sh_trust t;
	char why[1024];
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* With -c, as the daemon loads it: without this partner's own card */
	sh_card self;
	char path[1100];
	snprintf(path, sizeof(path), "%s/card", cfg.keydir);
	int self_known =
	    cfg.path[0] && sh_card_load(&self, path, why, sizeof(why)) == SH_OK;
	if (sh_trust_load_as(&t, dir, self_known ? &self : NULL, why,
	                     sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinkey: %s\n", why);
		return 1;
	}
	for (size_t i = 0; i < t.nwarn; i++)
		fprintf(stderr, "seinkey: warning: %s\n", t.warn[i]);
	printf("%-24s  %-18s  %-28s  %-16s  %-16s  %s\n", "PARTNER", "ROLE",
	       "ENDPOINT", "KEY", "CARD", "NAME");
	sh_keyhist *h = sh_xmalloc(sizeof(*h));
	h->why[0] = '\0';
	for (size_t i = 0; i < t.n; i++) {
		char fp[17], cfp[17];
		sh_key_fingerprint(fp, t.cards[i].curve_pub);
		sh_card_fingerprint(cfp, &t.cards[i]);
		printf("%-24s  %-18s  %-28s  %-16s  %-16s  %s\n",
		       t.cards[i].partner, t.cards[i].role, t.cards[i].endpoint,
		       fp, cfp, t.cards[i].name);
		if (t.cards[i].has_prev) {
			char until[32];
			sh_key_fingerprint(fp, t.cards[i].prev_curve);
			utc_text(t.cards[i].prev_until, until, sizeof(until));
			printf("%-24s  previous key %s %s %s\n", "", fp,
			       t.cards[i].prev_until > sh_now_ms() / 1000
			           ? "accepted until"
			           : "expired at",
			       until);
		}
		sh_keyhist_load(h, dir, &t.cards[i]);
		if (h->why[0] && !i)
			fprintf(stderr, "seinkey: warning: %s\n", h->why);
		list_earlier(h);
	}
	free(h);
	printf("%zu trusted partners\n", t.n);
	size_t nrev = list_revoked(dir, &t, self_known ? &self : NULL);
	if (nrev)
		printf("%zu revoked partners (not trusted: earlier keys kept "
		       "for their stored signals)\n",
		       nrev);
	/* With -c: this daemon's own previous keys, if it rotated. */
	int64_t own_until;
	sh_card own;
	if (cfg.path[0] && sh_identity_previous(cfg.keydir, &own_until, &own)) {
		char fp[17], until[32];
		sh_key_fingerprint(fp, own.curve_pub);
		utc_text(own_until, until, sizeof(until));
		printf("own previous key %s (in %s/previous) %s %s\n", fp,
		       cfg.keydir,
		       own_until > sh_now_ms() / 1000 ? "accepted until"
		                                      : "expired at",
		       until);
	}
	sh_trust_free(&t);
	return 0;
}

static int cmd_rotate(int argc, char **argv)
{
	const char *dir = NULL, *overlap = NULL;
	static struct option opts[] = {{"dir", required_argument, 0, 'd'},
	                               {"overlap", required_argument, 0, 'o'},
	                               {0, 0, 0, 0}};
	int opt;
	while ((opt = getopt_long(argc, argv, "d:o:", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dir = dir_arg("dir", optarg); break;
		case 'o': overlap = optarg; break;
		default:
			sh_opt_refused("seinkey rotate", argc, argv,
			               "d:o:", opts);
			return 2;
		}
	}
	if (!dir) {
		need_conf();
		dir = cfg.path[0] ? cfg.keydir : NULL;
	}
	if (!dir || !overlap || optind != argc) {
		usage(stderr);
		return 2;
	}
	int64_t secs;
	if (sh_parse_duration(overlap, SH_OVERLAP_MAX_S, &secs) < 0) {
		/* the value is not repeated: it may be data */
		fprintf(stderr,
		        "seinkey: --overlap: the value given is not a number "
		        "and a unit s, m, h or d (e.g. 7d), at least 1s and at "
		        "most 366d\n");
		return 2;
	}
	if (!owner_ok(dir))
		return 1;
	char why[1024], fpo[17], fpn[17], until[32];
	sh_card c;
	int64_t end = sh_now_ms() / 1000 + secs;
	int resumed = 0;
	if (sh_identity_rotate(dir, end, &c, &resumed, why, sizeof(why)) !=
	    SH_OK) {
		fprintf(stderr, "seinkey: not rotated: %s\n", why);
		return 1;
	}
	if (resumed) {
		/* its own overlap, not --overlap's */
		end = c.prev_until;
		printf("finished the rotation that was cut short (its new keys "
		       "were complete); --overlap %s was not used\n",
		       overlap);
	}
	sh_key_fingerprint(fpo, c.prev_curve);
	sh_key_fingerprint(fpn, c.curve_pub);
	utc_text(end, until, sizeof(until));
	printf(
	    "rotated '%s': new key %s, previous key %s accepted until %s\n"
	    "  new card: %s/card (signed by the previous key; give it to "
	    "your partners,\n"
	    "  who add it with seinkey trust before the overlap ends)\n"
	    "  previous keys: %s/previous/ (mode 0600; removed by the daemon "
	    "when the overlap ends)\n"
	    "  restart seinhuisd to use the new keys\n",
	    c.partner, fpn, fpo, until, dir, dir);
	return 0;
}

int main(int argc, char **argv)
{
	int opt;
	/* secret keys pass through this process: never into a core dump */
	sh_no_core_dumps();
	static const struct option top[] = {{"help", no_argument, 0, 'h'},
	                                    {"version", no_argument, 0, 'V'},
	                                    {0, 0, 0, 0}};
	opterr = 0; /* a refused option is not repeated: sh_opt_refused */
	while ((opt = getopt_long(argc, argv, "+c:hV", top, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("seinkey %s\n", SH_VERSION); return 0;
		default:
			sh_opt_refused("seinkey", argc, argv, "+c:hV", top);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	sh_log_init("seinkey", SH_LOG_WARN, 0);
	need_conf(); /* -c: the whole file is checked, whatever is used */
	const char *cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0; /* glibc: re-initialise getopt */
	if (strcmp(cmd, "init") == 0)
		return cmd_init(argc, argv);
	if (strcmp(cmd, "card") == 0)
		return cmd_card(argc, argv);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(argc, argv);
	if (strcmp(cmd, "trust") == 0)
		return cmd_trust(argc, argv);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(argc, argv);
	if (strcmp(cmd, "revoke") == 0)
		return cmd_revoke(argc, argv);
	if (strcmp(cmd, "rotate") == 0)
		return cmd_rotate(argc, argv);
	/* not repeated: a word typed first may be a name */
	fprintf(stderr, "seinkey: the command given is not known (not "
	                "repeated: it may be data)\n");
	usage(stderr);
	return 2;
}
