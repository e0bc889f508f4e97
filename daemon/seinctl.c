/*
 * seinctl.c - the control and admin tool: talks to its own daemon over the
 * local control socket (ctlclient.c) and prints what it says, for people
 * or, with --json, for scripts.
 *
 * The socket is found from -s PATH, else from the daemon's configuration
 * (-c FILE, key `control`), else $SEINHUIS_CONTROL, else the packaged
 * default /run/seinhuis/control.sock. Exit status: 0 success, 1 the daemon
 * refused (the rule is printed), 2 bad usage, 3 daemon unreachable.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "policy.h"
#include "seinctl_audit.h"
#include "seinctl_cases.h"
#include "seinhuis.h"

#define DEFAULT_SOCKET "/run/seinhuis/control.sock"
#define TIMEOUT_MS     30000

static int json_out;

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: seinctl [-c CONF | -s SOCKET] [--json] COMMAND ...\n"
	    "commands:\n"
	    "  send --type TYPE [--to PARTNER] [--file JSON] [NAME=VALUE ...]\n"
	    "                         submit a signal; fields as NAME=VALUE or "
	    "a\n"
	    "                         JSON object (or array of objects) in a "
	    "file;\n"
	    "                         without --to it is routed by postcode\n"
	    "  import FILE --type TYPE [--to PARTNER] [--set NAME=VALUE]... "
	    "[--quiet]\n"
	    "         [--ignore-column NAME|NUMBER]...\n"
	    "                         send every row of a CSV export (UTF-8 "
	    "or\n"
	    "                         Windows-1252, ';' or ','; header = field "
	    "names);\n"
	    "                         without --to, each row is routed by "
	    "postcode\n"
	    "  outbox [--state pending|delivered|failed] [--limit N]\n"
	    "  inbox                  a debt-help team's cases "
	    "(municipality_debt;\n"
	    "                         other roles: the signals)\n"
	    "  inbox --signals [--limit N] | inbox list [--limit N]\n"
	    "                         the signals one by one\n"
	    "  inbox show ID\n"
	    "  inbox watch [--timeout S] [--count N]\n"
	    "  inbox ack ID           the team has taken the signal\n"
	    "  status                 peers, queue depths, last errors, "
	    "version\n"
	    "  check [--pending-warn AGE] [--pending-crit AGE]\n"
	    "                         health in one line for monitoring "
	    "(exit 0 OK,\n"
	    "                         1 WARNING, 2 CRITICAL, 3 UNKNOWN)\n"
	    "  recover --since T|backup [--partner P]\n"
	    "                         after restoring a backup of the store: "
	    "ask\n"
	    "                         partners to send again what they "
	    "delivered\n"
	    "                         since T (administrators)\n"
	    "  quarantine list        signals that broke the catalogue "
	    "(recipient)\n"
	    "  quarantine remove ID   remove one of them (administrators)\n"
	    "  consent grant --to PARTNER --purpose P [--from DATE] [--until "
	    "DATE]\n"
	    "                         resident's identifiers as NAME=VALUE "
	    "lines on\n"
	    "                         standard input; prints the consent "
	    "reference\n"
	    "  consent revoke REF     withdraw it; the recipient is told\n"
	    "  consent list\n"
	    "  case list | case show CASE\n"
	    "                         cases: signals per household, owner, "
	    "steps\n"
	    "  claim CASE [--release] [--force]   (also: case claim CASE ...)\n"
	    "                         take a case (one owner; --force: admin)\n"
	    "  case step CASE STEP [--feedback [--consent REF]...]\n"
	    "                         record contact_attempted, "
	    "in_conversation,\n"
	    "                         help_accepted, help_declined or closed;\n"
	    "                         --feedback tells the case's creditors\n"
	    "         [--how HOW] [--reached yes|no] [--part PART] [--at "
	    "TIME]\n"
	    "         [--crisis]"
	    " [--warm-handover]   what the national statistics count;\n"
	    "                         HOW phone, visit, letter, email, "
	    "text_message,\n"
	    "                         other; PART morning, afternoon, "
	    "evening\n"
	    "  case monitor [--since TIME] [--until TIME] [--municipality "
	    "CODE]\n"
	    "         [--format text|csv [--attempts]]   those figures for "
	    "a period\n"
	    "  export --format json|csv [--out FILE] [--case CASE] [--excel]\n"
	    "         [--reveal --reason TEXT]   cases for case management\n"
	    "  inbox reveal ID --reason TEXT\n"
	    "                         open the personal data (caseworkers; "
	    "audited)\n"
	    "  audit list [FILTERS] [--limit N]   audit entries "
	    "(administrators)\n"
	    "  audit export [FILTERS] [--format jsonl|csv]\n"
	    "  audit verify           recompute the tree, check every signed "
	    "head\n"
	    "  audit head             sign a tree head now; print it (JSON)\n"
	    "  audit prove --index N [--size S]    inclusion proof (JSON)\n"
	    "  audit prove --old HEAD.json|--old-size M [--size S]\n"
	    "                         consistency proof (JSON)\n"
	    "  audit check-proof FILE [--old HEAD.json] [--card CARD]  "
	    "offline\n"
	    "                         (without --card: exit 5, not tied to "
	    "any partner)\n"
	    "  audit subject [--with-meldcode]\n"
	    "                         a resident's records; identifiers on "
	    "stdin\n"
	    "  report [--by week|month] [--since T] [--until T] [--csv]\n"
	    "         [--from EXPORT.jsonl]   figures from the audit log\n"
	    "  FILTERS: --since T --until T --partner P --type T --event E\n"
	    "           --id MESSAGE-ID --case-key HEX (T: "
	    "YYYY-MM-DD[THH:MM[:SS]] or @SECONDS)\n"
	    "signal types: arrears, meldcode_report, vt_notice, "
	    "status_feedback,\n"
	    "  referral, consent_revocation\n");
}

void seinctl_fmt_time(char *out, size_t n, int64_t ms)
{
	sh_fmt_nl(out, n, ms); /* Dutch local time, whatever TZ says */
}

int seinctl_inbox_rest(const char *sock, Seinhuis__CtlRequest *q,
                       Seinhuis__CtlReply *r)
{
	uint32_t want = q->limit;
	while (r->next_index && (!want || r->n_inbox < want)) {
		Seinhuis__CtlReply *more;
		q->start_index = r->next_index;
		q->acute_until = r->acute_until;
		if (want)
			q->limit = want - (uint32_t)r->n_inbox;
		int rc = seinctl_call(sock, q, &more);
		if (rc)
			return rc;
		if (more->n_inbox) {
			r->inbox =
			    realloc(r->inbox, (r->n_inbox + more->n_inbox) *
			                          sizeof(*r->inbox));
			if (!r->inbox)
				abort();
			memcpy(r->inbox + r->n_inbox, more->inbox,
			       more->n_inbox * sizeof(*r->inbox));
		}
		r->n_inbox += more->n_inbox;
		r->next_index = more->next_index;
		r->acute_until = more->acute_until;
		r->late_acute += more->late_acute;
		r->late_acute_unlisted = more->late_acute_unlisted;
		more->n_inbox = 0; /* the items now belong to r */
		seinhuis__ctl_reply__free_unpacked(more, NULL);
	}
	return 0;
}

/* For check, a configuration that cannot be read is the plugin's
 * UNKNOWN (3, with its status line), not a CRITICAL daemon. */
static const char *socket_from_config(const char *conf, int for_check)
{
	static sh_config cfg;
	char why[1024];
	if (sh_config_load(&cfg, conf, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinctl: %s\n", why);
		if (for_check) {
			printf("SEINHUIS UNKNOWN - the configuration given "
			       "with -c cannot be read\n");
			exit(3);
		}
		exit(2);
	}
	return cfg.control;
}

/* One request, one reply. With why, nothing is printed: an unreachable
 * daemon (3) or a refusal (1) is described in why. Without it, a refusal
 * is printed (as JSON with --json) and answered with 1, an unreachable
 * daemon with 3. Shared with the audit and check commands. */
int seinctl_call_why(const char *sock, Seinhuis__CtlRequest *req,
                     Seinhuis__CtlReply **rep, char *why, size_t why_n)
{
	int fd;
	char buf[512];
	*rep = NULL;
	if (sh_ctl_connect(sock, &fd, buf, sizeof(buf)) != SH_OK) {
		if (why)
			snprintf(why, why_n, "%s", buf);
		else
			fprintf(stderr, "seinctl: %s\n", buf);
		return 3;
	}
	sh_err e = sh_ctl_call(fd, req, rep, TIMEOUT_MS);
	close(fd);
	if (e != SH_OK) {
		*rep = NULL;
		/* connected, then closed: the daemon cuts off a caller it
		 * does not allow on its socket */
		const char *text =
		    e == SH_ERR_CONNECT
		        ? "the daemon closed the connection (it does so to a "
		          "local user it does not allow: not its own user, "
		          "root or a member of control_group; its log names "
		          "the user), or it stopped"
		    : e == SH_ERR_WIRE_SIZE
		        ? "its reply is larger than 16 MiB (the control "
		          "frame limit), more than seinctl reads"
		        : sh_err_str(e);
		if (why)
			snprintf(why, why_n, "no answer from the daemon: %s",
			         text);
		else
			fprintf(stderr,
			        "seinctl: no answer from the daemon: %s\n",
			        text);
		return 3;
	}
	if (!(*rep)->ok) {
		if (why) {
			snprintf(why, why_n, "refused: %s: %s", (*rep)->rule,
			         (*rep)->error);
		} else if (json_out) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "ok",
			                       json_object_new_boolean(0));
			json_object_object_add(
			    o, "rule", json_object_new_string((*rep)->rule));
			json_object_object_add(
			    o, "error", json_object_new_string((*rep)->error));
			printf("%s\n", json_object_to_json_string_ext(
			                   o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		} else {
			fprintf(stderr, "seinctl: refused: %s: %s\n",
			        (*rep)->rule, (*rep)->error);
		}
		seinhuis__ctl_reply__free_unpacked(*rep, NULL);
		*rep = NULL;
		return 1;
	}
	return 0;
}

int seinctl_call(const char *sock, Seinhuis__CtlRequest *req,
                 Seinhuis__CtlReply **rep)
{
	return seinctl_call_why(sock, req, rep, NULL, 0);
}

static int call(const char *sock, Seinhuis__CtlRequest *req,
                Seinhuis__CtlReply **rep)
{
	return seinctl_call(sock, req, rep);
}

void seinctl_print_json(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(
	                   o, JSON_C_TO_STRING_PRETTY |
	                          JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* ------------------------------------------------------------- send */

static void add_field(Seinhuis__CtlRequest *q, const char *name,
                      const char *value)
{
	q->fields = realloc(q->fields, (q->n_fields + 1) * sizeof(*q->fields));
	Seinhuis__Field *f = sh_xmalloc(sizeof(*f));
	seinhuis__field__init(f);
	f->name = sh_strdup(name);
	f->value = sh_strdup(value);
	q->fields[q->n_fields++] = f;
}

/* Values may be a resident's data: wiped before they are freed. */
static void clear_fields(Seinhuis__CtlRequest *q)
{
	for (size_t i = 0; i < q->n_fields; i++) {
		sh_wipe(q->fields[i]->value, strlen(q->fields[i]->value));
		free(q->fields[i]->name);
		free(q->fields[i]->value);
		free(q->fields[i]);
	}
	free(q->fields);
	q->fields = NULL;
	q->n_fields = 0;
}

/* Fill a request from one JSON object: string or number values. */
/* An item of send --file into q; -1 with the reason in why (the rule is
 * FIELD_FORMAT) if it is not an object of string or integer values. */
static int fields_from_json(Seinhuis__CtlRequest *q, json_object *o, char *type,
                            char *to, char *why, size_t wl)
{
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, wl, "expected a JSON object");
		return -1;
	}
	size_t pos = 0;
	json_object_object_foreach(o, key, val)
	{
		const char *v;
		pos++;
		if (json_object_is_type(val, json_type_string)) {
			v = json_object_get_string(val);
			/* "\u0000" is valid JSON, but a value cut at it would
			 * be sent as its first part only */
			if (strlen(v) !=
			    (size_t)json_object_get_string_len(val)) {
				/* named only if a signal knows it: a key
				 * of a field name's form may be a name */
				int known = sh_field_known(NULL, key);
				snprintf(why, wl,
				         "the value of its field #%zu%s%s%s "
				         "holds a NUL character (\\u0000), "
				         "which no field may hold",
				         pos, known ? " ('" : "",
				         known ? key : "", known ? "')" : "");
				return -1;
			}
		} else if (json_object_is_type(val, json_type_int))
			v = json_object_get_string(val);
		else {
			/* by its place: a key may be data too */
			snprintf(why, wl,
			         "the value of its field #%zu must be a string "
			         "or an integer",
			         pos);
			return -1;
		}
		if (strcmp(key, "type") == 0)
			snprintf(type, 64, "%s", v);
		else if (strcmp(key, "to") == 0)
			snprintf(to, 80, "%s", v);
		else
			add_field(q, key, v);
	}
	return 0;
}

static int cmd_send(const char *sock, int argc, char **argv)
{
	char type[64] = "", to[80] = "";
	const char *file = NULL;
	static struct option opts[] = {{"type", required_argument, 0, 't'},
	                               {"to", required_argument, 0, 'r'},
	                               {"file", required_argument, 0, 'f'},
	                               {0, 0, 0, 0}};
	int opt;
	optind = 0; /* 0: glibc re-initialises getopt, permutation included */
	while ((opt = getopt_long(argc, argv, "+t:r:f:", opts, NULL)) != -1) {
		switch (opt) {
		case 't': snprintf(type, sizeof(type), "%s", optarg); break;
		case 'r': snprintf(to, sizeof(to), "%s", optarg); break;
		case 'f': file = optarg; break;
		default:
			sh_opt_refused("seinctl send", argc, argv,
			               "+t:r:f:", opts);
			return 2;
		}
	}
	json_object *items = NULL;
	if (file) {
		items = json_object_from_file(file);
		if (!items) {
			fprintf(stderr, "seinctl: %s: not valid JSON: %s\n",
			        file, json_util_get_last_err());
			return 2;
		}
		if (!json_object_is_type(items, json_type_array)) {
			json_object *arr = json_object_new_array();
			json_object_array_add(arr, items);
			items = arr;
		}
	} else {
		items = json_object_new_array();
		json_object_array_add(items, json_object_new_object());
	}
	for (int a = optind; a < argc; a++) {
		const char *eq = strchr(argv[a], '=');
		if (!eq || eq == argv[a]) {
			/* not repeated: it may be a value */
			fprintf(stderr,
			        "seinctl: argument %d after the options is not "
			        "NAME=VALUE (fields are given as NAME=VALUE)\n",
			        a - optind + 1);
			json_object_put(items);
			return 2;
		}
	}
	if (!file && !type[0]) {
		fprintf(stderr,
		        "seinctl: send needs --type (or \"type\" in the "
		        "JSON); without --to the daemon routes by "
		        "postcode\n");
		json_object_put(items);
		return 2;
	}
	int fd, rc = 0;
	char why[512];
	if (sh_ctl_connect(sock, &fd, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinctl: %s\n", why);
		json_object_put(items);
		return 3;
	}
	size_t n = json_object_array_length(items), accepted = 0, refused = 0;
	json_object *results = json_object_new_array();
	/* An item of the file that is not a signal's form is refused alone
	 * (its reason kept here), the others sent. */
	char **local = sh_xcalloc(n ? n : 1, sizeof(*local));
	const char **local_rule = sh_xcalloc(n ? n : 1, sizeof(*local_rule));
	/* Pipeline: send every request, then read the replies in order. */
	size_t upto = 0;
	for (size_t i = 0; i < n; i++, upto = i) {
		Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
		char ty[64], rcpt[80];
		snprintf(ty, sizeof(ty), "%s", type);
		snprintf(rcpt, sizeof(rcpt), "%s", to);
		q.op = SEINHUIS__CTL_REQUEST__OP__SEND;
		if (fields_from_json(&q, json_object_array_get_idx(items, i),
		                     ty, rcpt, why, sizeof(why)) < 0) {
			clear_fields(&q);
			local[i] = sh_strdup(why);
			local_rule[i] = "FIELD_FORMAT";
			continue;
		}
		for (int a = optind; a < argc; a++) {
			char *eq = strchr(argv[a], '=');
			*eq = '\0';
			add_field(&q, argv[a], eq + 1);
			*eq = '=';
		}
		if (!ty[0]) {
			clear_fields(&q);
			local[i] = sh_strdup("the item has no \"type\" and no "
			                     "--type was given");
			local_rule[i] = "FIELD_MISSING";
			continue;
		}
		q.type = ty;
		q.recipient = rcpt;
		/* as import does: sent, a signal larger than one control
		 * request may be would make the daemon close the connection,
		 * and the signals after it would be lost */
		if (protobuf_c_message_get_packed_size(&q.base) >
		    SH_CTL_MAX_FRAME) {
			clear_fields(&q);
			local[i] = sh_strdup("the signal is larger than one "
			                     "control request may be (16 MiB)");
			local_rule[i] = "WIRE_SIZE";
			continue;
		}
		sh_err e = sh_ctl_send(fd, &q);
		clear_fields(&q);
		if (e) {
			rc = 3;
			break;
		}
	}
	for (size_t i = 0; i < upto; i++) {
		Seinhuis__CtlReply *r = NULL;
		json_object *o = json_object_new_object();
		if (local[i]) {
			json_object_object_add(o, "ok",
			                       json_object_new_boolean(0));
			json_object_object_add(
			    o, "rule", json_object_new_string(local_rule[i]));
			json_object_object_add(
			    o, "error", json_object_new_string(local[i]));
			refused++;
			if (!json_out)
				fprintf(
				    stderr,
				    "signal %zu refused: %s: item %zu: %s\n",
				    i + 1, local_rule[i], i + 1, local[i]);
			json_object_array_add(results, o);
			continue;
		}
		if (sh_ctl_recv(fd, &r, TIMEOUT_MS) != SH_OK) {
			fprintf(stderr,
			        "seinctl: no answer from the daemon for "
			        "signal %zu; it may or may not be accepted\n",
			        i + 1);
			json_object_put(o);
			rc = 3;
			break;
		}
		json_object_object_add(o, "ok", json_object_new_boolean(r->ok));
		if (r->ok) {
			accepted++;
			json_object_object_add(
			    o, "message_id",
			    json_object_new_string(r->message_id));
			if (!json_out)
				printf("accepted %s\n", r->message_id);
		} else {
			refused++;
			json_object_object_add(o, "rule",
			                       json_object_new_string(r->rule));
			json_object_object_add(
			    o, "error", json_object_new_string(r->error));
			if (!json_out)
				fprintf(stderr, "signal %zu refused: %s: %s\n",
				        i + 1, r->rule, r->error);
		}
		json_object_array_add(results, o);
		seinhuis__ctl_reply__free_unpacked(r, NULL);
	}
	for (size_t i = 0; i < n; i++)
		free(local[i]);
	free(local);
	free(local_rule);
	close(fd);
	if (json_out)
		seinctl_print_json(results);
	else
		json_object_put(results);
	json_object_put(items);
	if (!json_out && n > 1)
		printf("%zu accepted, %zu refused\n", accepted, refused);
	if (rc)
		return rc;
	return refused ? 1 : 0;
}

/* ----------------------------------------------------------- listings */

static int cmd_outbox(const char *sock, int argc, char **argv)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	static struct option opts[] = {{"state", required_argument, 0, 's'},
	                               {"limit", required_argument, 0, 'l'},
	                               {0, 0, 0, 0}};
	int opt;
	uint32_t limit = 0;
	q.op = SEINHUIS__CTL_REQUEST__OP__OUTBOX;
	optind = 0; /* 0: glibc re-initialises getopt, permutation included */
	while ((opt = getopt_long(argc, argv, "s:l:", opts, NULL)) != -1) {
		if (opt == 's')
			q.state = optarg;
		else if (opt == 'l' &&
		         sh_parse_u32(optarg, 1, 10000000, &limit) == 0)
			q.limit = limit;
		else if (opt == '?') {
			sh_opt_refused("seinctl outbox", argc, argv,
			               "s:l:", opts);
			return 2;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "seinctl: outbox: an unexpected argument "
		                "after the options (a state goes with "
		                "--state)\n");
		return 2;
	}
	Seinhuis__CtlReply *r;
	int rc = call(sock, &q, &r);
	if (rc)
		return rc;
	/* the daemon stops at the limit (1000 unless given) or at a reply
	 * of some megabytes, newest first */
	if (r->next_index || r->n_outbox >= (q.limit ? q.limit : 1000))
		fprintf(stderr,
		        "seinctl: outbox: the listing stops at %zu signals, "
		        "newest first; there may be more (--state or --limit "
		        "choose)\n",
		        r->n_outbox);
	if (json_out) {
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < r->n_outbox; i++) {
			Seinhuis__OutboxItem *it = r->outbox[i];
			json_object *o = json_object_new_object();
			json_object_object_add(
			    o, "message_id",
			    json_object_new_string(it->message_id));
			json_object_object_add(
			    o, "recipient",
			    json_object_new_string(it->recipient));
			json_object_object_add(
			    o, "type", json_object_new_string(it->type));
			json_object_object_add(
			    o, "state", json_object_new_string(it->state));
			json_object_object_add(
			    o, "attempts", json_object_new_int64(it->attempts));
			json_object_object_add(
			    o, "created_ms",
			    json_object_new_int64(it->created_ms));
			json_object_object_add(
			    o, "done_ms", json_object_new_int64(it->done_ms));
			if (it->rule[0]) {
				json_object_object_add(
				    o, "rule",
				    json_object_new_string(it->rule));
				json_object_object_add(
				    o, "detail",
				    json_object_new_string(it->detail));
			}
			if (it->feedback_status[0]) {
				json_object *fb = json_object_new_object();
				json_object_object_add(
				    fb, "status",
				    json_object_new_string(
				        it->feedback_status));
				json_object_object_add(
				    fb, "time_ms",
				    json_object_new_int64(it->feedback_ms));
				json_object_object_add(o, "feedback", fb);
			}
			json_object_array_add(arr, o);
		}
		seinctl_print_json(arr);
	} else {
		printf("%-32s  %-24s  %-18s  %-9s  %3s  %-19s  %s\n",
		       "MESSAGE ID", "RECIPIENT", "TYPE", "STATE", "TRY",
		       "CREATED", "REASON");
		for (size_t i = 0; i < r->n_outbox; i++) {
			Seinhuis__OutboxItem *it = r->outbox[i];
			char when[32];
			seinctl_fmt_time(when, sizeof(when), it->created_ms);
			char fbwhen[32] = "";
			if (it->feedback_status[0])
				seinctl_fmt_time(fbwhen, sizeof(fbwhen),
				                 it->feedback_ms);
			printf("%-32s  %-24s  %-18s  %-9s  %3u  %-19s  "
			       "%s%s%s%s%s%s%s\n",
			       it->message_id, it->recipient, it->type,
			       it->state, it->attempts, when, it->rule,
			       it->rule[0] ? ": " : "", it->detail,
			       it->feedback_status[0] ? "feedback: " : "",
			       it->feedback_status,
			       it->feedback_status[0] ? " at " : "", fbwhen);
		}
		printf("%zu signals\n", r->n_outbox);
	}
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
}

json_object *seinctl_inbox_json(const Seinhuis__InboxItem *it)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "message_id",
	                       json_object_new_string(it->message_id));
	json_object_object_add(o, "sender", json_object_new_string(it->sender));
	json_object_object_add(o, "type", json_object_new_string(it->type));
	json_object_object_add(o, "created_ms",
	                       json_object_new_int64(it->created_ms));
	json_object_object_add(o, "received_ms",
	                       json_object_new_int64(it->received_ms));
	json_object_object_add(o, "received_us",
	                       json_object_new_int64(it->received_us));
	json_object_object_add(o, "subject",
	                       json_object_new_string(it->subject));
	json_object_object_add(o, "case_key",
	                       json_object_new_string(it->case_key));
	if (it->consent_ref[0])
		json_object_object_add(o, "consent_ref",
		                       json_object_new_string(it->consent_ref));
	if (it->signature[0])
		json_object_object_add(o, "signature",
		                       json_object_new_string(it->signature));
	if (it->signing_key[0])
		json_object_object_add(o, "signing_key",
		                       json_object_new_string(it->signing_key));
	json_object *f = json_object_new_object();
	for (size_t i = 0; i < it->n_fields; i++)
		json_object_object_add(
		    f, it->fields[i]->name,
		    json_object_new_string(it->fields[i]->value));
	json_object_object_add(o, "fields", f);
	return o;
}

const char *seinctl_field_of(const Seinhuis__InboxItem *it, const char *name)
{
	for (size_t i = 0; i < it->n_fields; i++)
		if (strcmp(it->fields[i]->name, name) == 0)
			return it->fields[i]->value;
	return "";
}

static void inbox_header(void)
{
	printf("%-32s  %-24s  %-18s  %-19s  %-16s  %12s  %s\n", "MESSAGE ID",
	       "FROM", "TYPE", "RECEIVED", "KIND", "AMOUNT", "URGENCY");
}

static void inbox_line(const Seinhuis__InboxItem *it)
{
	char rcv[32], amount[32] = "";
	seinctl_fmt_time(rcv, sizeof(rcv), it->received_ms);
	const char *cents = seinctl_field_of(it, "amount_cents");
	if (cents[0]) {
		long long v = atoll(cents);
		snprintf(amount, sizeof(amount), "EUR %lld.%02lld", v / 100,
		         v % 100);
	}
	const char *kind = seinctl_field_of(it, "arrears_kind");
	if (!kind[0])
		kind = seinctl_field_of(it, "concern_category");
	if (!kind[0])
		kind = seinctl_field_of(it, "status");
	printf("%-32s  %-24s  %-18s  %-19s  %-16s  %12s  %s\n", it->message_id,
	       it->sender, it->type, rcv, kind, amount,
	       seinctl_field_of(it, "urgency"));
}

/* inbox watch [--timeout S] [--count N]: each signal as it is committed
 * to the inbox (one line, or one JSON object per line with --json), until
 * S seconds have passed or N signals were shown; without either, until
 * interrupted. One connection; each wait continues where the last one
 * ended, so nothing committed meanwhile is missed. */
static int inbox_watch(const char *sock, int argc, char **argv)
{
	uint32_t secs = 0, count = 0;
	for (int a = 2; a < argc; a++) {
		if (strcmp(argv[a], "--timeout") == 0 && a + 1 < argc &&
		    sh_parse_u32(argv[a + 1], 1, 31536000, &secs) == 0) {
			a++;
		} else if (strcmp(argv[a], "--count") == 0 && a + 1 < argc &&
		           sh_parse_u32(argv[a + 1], 1, 10000000, &count) ==
		               0) {
			a++;
		} else {
			usage(stderr);
			return 2;
		}
	}
	int fd;
	char why[512];
	if (sh_ctl_connect(sock, &fd, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinctl: %s\n", why);
		return 3;
	}
	int64_t end = secs ? sh_mono_ms() + (int64_t)secs * 1000 : 0;
	uint64_t from = 0;
	uint32_t shown = 0;
	int rc = 0;
	if (!json_out) {
		inbox_header();
		fflush(stdout);
	}
	while (!count || shown < count) {
		int64_t left = end ? end - sh_mono_ms() : 30000;
		if (left <= 0)
			break;
		Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
		Seinhuis__CtlReply *r = NULL;
		q.op = SEINHUIS__CTL_REQUEST__OP__INBOX_WAIT;
		q.start_index = from;
		q.wait_ms = (uint32_t)(left < 30000 ? left : 30000);
		if (count)
			q.limit = count - shown;
		sh_err e = sh_ctl_call(fd, &q, &r, (int)q.wait_ms + TIMEOUT_MS);
		if (e != SH_OK) {
			fprintf(stderr,
			        "seinctl: no answer from the daemon: %s\n",
			        sh_err_str(e));
			rc = 3;
			break;
		}
		if (!r->ok) {
			fprintf(stderr, "seinctl: refused: %s: %s\n", r->rule,
			        r->error);
			seinhuis__ctl_reply__free_unpacked(r, NULL);
			rc = 1;
			break;
		}
		for (size_t i = 0; i < r->n_inbox; i++) {
			if (json_out) {
				json_object *o =
				    seinctl_inbox_json(r->inbox[i]);
				printf(
				    "%s\n",
				    json_object_to_json_string_ext(
				        o, JSON_C_TO_STRING_PLAIN |
				               JSON_C_TO_STRING_NOSLASHESCAPE));
				json_object_put(o);
			} else {
				inbox_line(r->inbox[i]);
			}
		}
		shown += (uint32_t)r->n_inbox;
		from = r->next_index;
		seinhuis__ctl_reply__free_unpacked(r, NULL);
		fflush(stdout);
	}
	close(fd);
	return rc;
}

/* An acute report that arrived while a long listing was read, after its
 * first pass (the acute reports) had passed: the daemon lists it in the
 * second pass, where it finds it, and marks it acute. It is moved up to
 * the other acute reports (in arrival order, as they are), and stderr
 * says that it came meanwhile; also when it lies beyond --limit and is
 * not shown, so that it is never left out unsaid. */
static void acute_arrived(Seinhuis__CtlReply *r)
{
	size_t n = r->n_inbox, k = 0;
	if (n) { /* an empty page has no array at all */
		Seinhuis__InboxItem **v = sh_xmalloc(n * sizeof(*v));
		for (int acute = 1; acute >= 0; acute--)
			for (size_t i = 0; i < n; i++)
				if (r->inbox[i]->acute == acute)
					v[k++] = r->inbox[i];
		memcpy(r->inbox, v, n * sizeof(*v));
		free(v);
	}
	uint32_t m = r->late_acute;
	if (m)
		fprintf(stderr,
		        "seinctl: note: %u acute report%s arrived while this "
		        "list was being read; %s listed with the acute reports "
		        "at the top\n",
		        m, m == 1 ? "" : "s", m == 1 ? "it is" : "they are");
	m = r->late_acute_unlisted;
	if (m)
		fprintf(stderr,
		        "seinctl: note: %u acute report%s arrived while this "
		        "list was being read and %s beyond the %zu signals "
		        "it shows (its limit); list again to see %s first\n",
		        m, m == 1 ? "" : "s", m == 1 ? "is" : "are", n,
		        m == 1 ? "it" : "them");
}

/* What a request that acted on one signal did: "VERB ID", or with --json
 * {"ok":true,"message_id":ID}. */
static void print_done(const char *verb, const char *id)
{
	if (json_out) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		json_object_object_add(o, "message_id",
		                       json_object_new_string(id));
		seinctl_print_json(o);
	} else {
		printf("%s %s\n", verb, id);
	}
}

/* One clear field of inbox show: a value a partner sent may hold line
 * breaks (a quoted CSV cell): its further lines are indented under the
 * value, so that none reads as a field of its own ("urgency  eviction"),
 * and a carriage return or another control character shows as '?'. */
static void show_field(const char *name, const char *v)
{
	printf("%-20s ", name);
	for (; *v; v++) {
		if (*v == '\n')
			printf("\n%-20s ", "");
		else
			putchar((unsigned char)*v < 0x20 || *v == 0x7f ? '?'
			                                               : *v);
	}
	putchar('\n');
}

static int cmd_inbox(const char *sock, int argc, char **argv)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	const char *sub = argc > 1 ? argv[1] : "";
	uint32_t limit = 0;
	/* Plain `inbox` on a debt-help team's daemon lists cases; the
	 * signals one by one stay behind --signals (or `inbox list`). */
	if (!sub[0] || strcmp(sub, "cases") == 0) {
		Seinhuis__CtlRequest sq = SEINHUIS__CTL_REQUEST__INIT;
		Seinhuis__CtlReply *sr;
		sq.op = SEINHUIS__CTL_REQUEST__OP__STATUS;
		int rc = call(sock, &sq, &sr);
		if (rc)
			return rc;
		int debt = sr->status &&
		           strcmp(sr->status->role, "municipality_debt") == 0;
		seinhuis__ctl_reply__free_unpacked(sr, NULL);
		if (debt || sub[0]) {
			if (argc <= 2)
				return seinctl_case_list(sock, json_out);
			fprintf(stderr,
			        "seinctl: 'inbox' on a debt-help team's daemon "
			        "lists cases and takes no options; 'inbox list "
			        "[--limit N] ...' lists the signals\n");
			return 2;
		}
		sub = "list";
	} else if (strcmp(sub, "--signals") == 0) {
		sub = "list";
	}
	if (strcmp(sub, "reveal") == 0)
		return seinctl_inbox_reveal(sock, json_out, argc, argv);
	if (strcmp(sub, "watch") == 0)
		return inbox_watch(sock, argc, argv);
	if (strcmp(sub, "list") == 0) {
		q.op = SEINHUIS__CTL_REQUEST__OP__INBOX_LIST;
		for (int a = 2; a < argc; a++) {
			if (strcmp(argv[a], "--limit") == 0 && a + 1 < argc &&
			    sh_parse_u32(argv[a + 1], 1, 10000000, &limit) ==
			        0) {
				q.limit = limit;
				a++;
			} else {
				fprintf(
				    stderr,
				    "seinctl: inbox list takes only --limit "
				    "N, a number from 1 to 10000000 "
				    "(argument %d after 'inbox' is not "
				    "that)\n",
				    a);
				return 2;
			}
		}
	} else if ((strcmp(sub, "show") == 0 || strcmp(sub, "ack") == 0) &&
	           argc == 3) {
		q.op = sub[0] == 's' ? SEINHUIS__CTL_REQUEST__OP__INBOX_SHOW
		                     : SEINHUIS__CTL_REQUEST__OP__INBOX_ACK;
		q.message_id = argv[2];
	} else {
		/* (the argument is not repeated: it may be data) */
		fprintf(stderr,
		        "seinctl: inbox takes list [--limit N], --signals "
		        "[--limit N], show ID, ack ID, watch or reveal ID; "
		        "what follows 'inbox' here is none of them\n");
		return 2;
	}
	Seinhuis__CtlReply *r;
	int rc = call(sock, &q, &r);
	if (rc)
		return rc;
	/* A long listing comes in pages: gather them. */
	if (q.op == SEINHUIS__CTL_REQUEST__OP__INBOX_LIST &&
	    (rc = seinctl_inbox_rest(sock, &q, r)) != 0) {
		seinhuis__ctl_reply__free_unpacked(r, NULL);
		return rc;
	}
	if (q.op == SEINHUIS__CTL_REQUEST__OP__INBOX_LIST) {
		acute_arrived(r);
		/* the daemon stops at the limit (1000 unless given) without
		 * saying so: a team must not take the count for the inbox */
		if (r->n_inbox >= (limit ? limit : 1000))
			fprintf(
			    stderr,
			    "seinctl: inbox list: the listing stops at %zu "
			    "signals (its limit), in the order above; there "
			    "may be more ('seinctl status' counts them; "
			    "--limit N lists more)\n",
			    r->n_inbox);
	}
	if (q.op == SEINHUIS__CTL_REQUEST__OP__INBOX_ACK) {
		print_done("taken", r->message_id);
	} else if (json_out) {
		if (q.op == SEINHUIS__CTL_REQUEST__OP__INBOX_SHOW &&
		    r->n_inbox == 1) {
			seinctl_print_json(seinctl_inbox_json(r->inbox[0]));
		} else {
			json_object *arr = json_object_new_array();
			for (size_t i = 0; i < r->n_inbox; i++)
				json_object_array_add(
				    arr, seinctl_inbox_json(r->inbox[i]));
			seinctl_print_json(arr);
		}
	} else if (q.op == SEINHUIS__CTL_REQUEST__OP__INBOX_SHOW) {
		const Seinhuis__InboxItem *it = r->inbox[0];
		char c[32], rcv[32];
		seinctl_fmt_time(c, sizeof(c), it->created_ms);
		seinctl_fmt_time(rcv, sizeof(rcv), it->received_ms);
		printf("message id   %s\nfrom         %s\ntype         %s\n"
		       "created      %s\nreceived     %s\nsubject      %s\n",
		       it->message_id, it->sender, it->type, c, rcv,
		       it->subject[0] ? it->subject : "-");
		printf("case key     %s\n",
		       it->case_key[0] ? it->case_key : "-");
		printf("signature    %s\n",
		       it->signature[0] ? it->signature : "-");
		for (size_t i = 0; i < it->n_fields; i++)
			show_field(it->fields[i]->name, it->fields[i]->value);
		printf("%s\n", it->subject[0]
		                   ? "(personal data stays sealed; it is "
		                     "opened only by reveal)"
		                   : "(it names no resident)");
	} else {
		inbox_header();
		for (size_t i = 0; i < r->n_inbox; i++)
			inbox_line(r->inbox[i]);
		printf("%zu signals\n", r->n_inbox);
	}
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? (double)part * 100.0 / (double)whole : 0.0;
}

/* recover --since T [--partner P]: after restoring a backup of the
 * store, ask partners to send again what they delivered since T. */
static int cmd_recover(const char *sock, int argc, char **argv)
{
	static struct option opts[] = {{"since", required_argument, 0, 'S'},
	                               {"partner", required_argument, 0, 'p'},
	                               {0, 0, 0, 0}};
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	q.op = SEINHUIS__CTL_REQUEST__OP__RECOVER;
	int opt, have_since = 0;
	optind = 0; /* 0: glibc re-initialises getopt */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'S':
			if (!optarg) { /* required_argument: never */
				usage(stderr);
				return 2;
			}
			if (strcmp(optarg, "backup") == 0) {
				q.since_backup = 1;
			} else if (seinctl_parse_time(optarg, &q.since_us) <
			               0 ||
			           q.since_us <= 0) {
				fprintf(stderr,
				        "seinctl: --since: give YYYY-MM-DD, "
				        "YYYY-MM-DDTHH:MM[:SS] (Dutch time), "
				        "@UNIX-SECONDS or backup (a real date, "
				        "1970 to 9999)\n");
				return 2;
			}
			have_since = 1;
			break;
		case 'p': q.partner = optarg; break;
		default:
			sh_opt_refused("seinctl recover", argc, argv, "", opts);
			fprintf(stderr, "usage: seinctl recover --since "
			                "T|backup [--partner P]\n");
			return 2;
		}
	}
	if (!have_since || optind != argc) {
		fprintf(
		    stderr,
		    "usage: seinctl recover --since T|backup [--partner P]\n"
		    "  T: when the backup that was restored was made; "
		    "backup: when the\n"
		    "  store the daemon started with was last committed, "
		    "less five minutes\n");
		return 2;
	}
	Seinhuis__CtlReply *r;
	int rc = call(sock, &q, &r);
	if (rc)
		return rc;
	char since[32];
	seinctl_fmt_time(since, sizeof(since), r->since_ms);
	if (json_out) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "partners",
		                       json_object_new_int64(r->partners));
		json_object_object_add(o, "since_ms",
		                       json_object_new_int64(r->since_ms));
		seinctl_print_json(o);
	} else {
		printf("recover: asked %u partner(s) to send again what they "
		       "delivered since %s; their answers show in seinctl "
		       "status\n",
		       r->partners, since);
	}
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
}

static int cmd_status(const char *sock)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	q.op = SEINHUIS__CTL_REQUEST__OP__STATUS;
	Seinhuis__CtlReply *r;
	int rc = call(sock, &q, &r);
	if (rc)
		return rc;
	const Seinhuis__DaemonStatus *s = r->status;
	if (!s) {
		fprintf(stderr, "seinctl: the daemon sent no status\n");
		seinhuis__ctl_reply__free_unpacked(r, NULL);
		return 1;
	}
	if (json_out) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "partner",
		                       json_object_new_string(s->partner));
		json_object_object_add(o, "role",
		                       json_object_new_string(s->role));
		json_object_object_add(o, "version",
		                       json_object_new_string(s->version));
		json_object_object_add(o, "started_ms",
		                       json_object_new_int64(s->started_ms));
		json_object_object_add(
		    o, "outbox_pending",
		    json_object_new_int64((int64_t)s->outbox_pending));
		json_object_object_add(
		    o, "outbox_failed",
		    json_object_new_int64((int64_t)s->outbox_failed));
		json_object_object_add(
		    o, "inbox_depth",
		    json_object_new_int64((int64_t)s->inbox_depth));
		json_object_object_add(
		    o, "inbox_watches",
		    json_object_new_int64((int64_t)s->inbox_watches));
		json_object_object_add(
		    o, "accepted", json_object_new_int64((int64_t)s->accepted));
		json_object_object_add(
		    o, "delivered_out",
		    json_object_new_int64((int64_t)s->delivered_out));
		json_object_object_add(
		    o, "received", json_object_new_int64((int64_t)s->received));
		json_object_object_add(
		    o, "duplicates",
		    json_object_new_int64((int64_t)s->duplicates));
		json_object_object_add(
		    o, "rejected_in",
		    json_object_new_int64((int64_t)s->rejected_in));
		json_object_object_add(
		    o, "refused_peers",
		    json_object_new_int64((int64_t)s->refused_peers));
		json_object_object_add(
		    o, "store_used_bytes",
		    json_object_new_int64((int64_t)s->store_used_bytes));
		json_object_object_add(
		    o, "store_map_bytes",
		    json_object_new_int64((int64_t)s->store_map_bytes));
		json_object_object_add(
		    o, "store_kept_bytes",
		    json_object_new_int64((int64_t)s->store_kept_bytes));
		json_object_object_add(
		    o, "store_committed_ms",
		    json_object_new_int64(s->store_committed_ms));
		json_object_object_add(
		    o, "store_refusing",
		    json_object_new_boolean(s->store_refusing));
		json_object_object_add(
		    o, "audit_rolled_back_ms",
		    json_object_new_int64(s->audit_rolled_back_ms));
		json_object_object_add(
		    o, "keys_replaced",
		    json_object_new_boolean(s->keys_replaced));
		json_object_object_add(
		    o, "keys_replaced_until_ms",
		    json_object_new_int64(s->keys_replaced_until_ms));
		json_object_object_add(
		    o, "checkpoint_failing_ms",
		    json_object_new_int64(s->checkpoint_failing_ms));
		json_object_object_add(
		    o, "checkpoint_error",
		    json_object_new_string(s->checkpoint_error));
		json_object *peers = json_object_new_array();
		for (size_t i = 0; i < s->n_peers; i++) {
			const Seinhuis__PeerStatus *p = s->peers[i];
			json_object *po = json_object_new_object();
			json_object_object_add(
			    po, "partner", json_object_new_string(p->partner));
			json_object_object_add(po, "role",
			                       json_object_new_string(p->role));
			json_object_object_add(
			    po, "endpoint",
			    json_object_new_string(p->endpoint));
			json_object_object_add(
			    po, "connected",
			    json_object_new_boolean(p->connected));
			json_object_object_add(po, "link",
			                       json_object_new_string(p->link));
			json_object_object_add(
			    po, "last_inbound_ms",
			    json_object_new_int64(p->last_inbound_ms));
			json_object_object_add(
			    po, "received",
			    json_object_new_int64((int64_t)p->received));
			json_object_object_add(
			    po, "rejected",
			    json_object_new_int64((int64_t)p->rejected));
			json_object_object_add(
			    po, "duplicates",
			    json_object_new_int64((int64_t)p->duplicates));
			json_object_object_add(
			    po, "rate_limited",
			    json_object_new_int64((int64_t)p->rate_limited));
			json_object_object_add(
			    po, "deferred",
			    json_object_new_int64((int64_t)p->deferred));
			json_object_object_add(
			    po, "recover_since_ms",
			    json_object_new_int64(p->recover_since_ms));
			json_object_object_add(
			    po, "recover_answered_ms",
			    json_object_new_int64(p->recover_answered_ms));
			json_object_object_add(
			    po, "recover_count",
			    json_object_new_int64((int64_t)p->recover_count));
			json_object_object_add(
			    po, "recover_deferred_until_ms",
			    json_object_new_int64(
			        p->recover_deferred_until_ms));
			json_object_object_add(
			    po, "pending",
			    json_object_new_int64((int64_t)p->pending));
			json_object_object_add(
			    po, "inflight",
			    json_object_new_int64((int64_t)p->inflight));
			json_object_object_add(
			    po, "retry_ms", json_object_new_int64(p->retry_ms));
			json_object_object_add(
			    po, "last_receipt_ms",
			    json_object_new_int64(p->last_receipt_ms));
			json_object_object_add(
			    po, "oldest_pending_ms",
			    json_object_new_int64(p->oldest_pending_ms));
			json_object_object_add(
			    po, "witnessed_size",
			    json_object_new_int64((int64_t)p->witnessed_size));
			json_object_object_add(
			    po, "witnessed_ms",
			    json_object_new_int64(p->witnessed_ms));
			json_object_object_add(
			    po, "clock_offset_ms",
			    json_object_new_int64(p->clock_offset_ms));
			json_object_object_add(
			    po, "clock_read_ms",
			    json_object_new_int64(p->clock_read_ms));
			json_object_object_add(
			    po, "last_error",
			    json_object_new_string(p->last_error));
			json_object_array_add(peers, po);
		}
		json_object_object_add(o, "peers", peers);
		json_object *errs = json_object_new_array();
		for (size_t i = 0; i < s->n_last_errors; i++)
			json_object_array_add(
			    errs, json_object_new_string(s->last_errors[i]));
		json_object_object_add(o, "last_errors", errs);
		seinctl_print_json(o);
	} else {
		char since[32];
		seinctl_fmt_time(since, sizeof(since), s->started_ms);
		printf(
		    "partner      %s (%s)\nversion      %s\nrunning since %s\n"
		    "outbox       %llu pending, %llu failed\n"
		    "inbox        %llu waiting, %u inbox watch%s open\n"
		    "since start  %llu accepted, %llu delivered to partners, "
		    "%llu "
		    "received, %llu duplicates ignored, %llu refused\n"
		    "handshakes   %llu refused (unknown or expired key)\n"
		    "store        %.1f MB of %.1f MB in use (%.0f%%), %.0f%% "
		    "with the room kept for what it holds; new signals are "
		    "refused from 75%%\n",
		    s->partner, s->role, s->version, since,
		    (unsigned long long)s->outbox_pending,
		    (unsigned long long)s->outbox_failed,
		    (unsigned long long)s->inbox_depth, s->inbox_watches,
		    s->inbox_watches == 1 ? "" : "es",
		    (unsigned long long)s->accepted,
		    (unsigned long long)s->delivered_out,
		    (unsigned long long)s->received,
		    (unsigned long long)s->duplicates,
		    (unsigned long long)s->rejected_in,
		    (unsigned long long)s->refused_peers,
		    (double)s->store_used_bytes / 1048576.0,
		    (double)s->store_map_bytes / 1048576.0,
		    pct(s->store_used_bytes, s->store_map_bytes),
		    pct(s->store_kept_bytes, s->store_map_bytes));
		if (s->store_refusing)
			printf("             new signals are refused now "
			       "(STORAGE_FULL): raise map_size and restart\n");
		if (s->checkpoint_failing_ms > 0) {
			char at[32];
			seinctl_fmt_time(at, sizeof(at),
			                 s->checkpoint_failing_ms);
			printf("             checkpoints fail since %s (%s): "
			       "what was accepted is in the journal; new "
			       "signals are refused once it cannot grow\n",
			       at, s->checkpoint_error);
		}
		if (s->store_committed_ms > 0) {
			char at[32];
			seinctl_fmt_time(at, sizeof(at), s->store_committed_ms);
			printf(
			    "             last committed %s before this start "
			    "(after a restore: the backup's time)\n",
			    at);
		}
		if (s->keys_replaced) {
			char at[32] = "(not known)";
			if (s->keys_replaced_until_ms > 0)
				seinctl_fmt_time(at, sizeof(at),
				                 s->keys_replaced_until_ms);
			printf("keys         replaced in the key directory "
			       "(seinkey rotate): restart seinhuisd; partners "
			       "accept the keys it runs with until %s\n",
			       at);
		}
		/* OVER RATE: their signals we dropped over our peer_rate /
		 * ours they deferred over theirs */
		printf("\n%-24s  %-17s  %-4s  %8s  %6s  %9s  %7s  %11s  "
		       "%-19s  %s\n",
		       "PARTNER", "ROLE", "LINK", "PENDING", "OLDEST",
		       "IN FLIGHT", "RETRY", "OVER RATE", "LAST HEARD FROM",
		       "LAST ERROR");
		struct timespec now_ts;
		clock_gettime(CLOCK_REALTIME, &now_ts);
		for (size_t i = 0; i < s->n_peers; i++) {
			const Seinhuis__PeerStatus *p = s->peers[i];
			char heard[32];
			seinctl_fmt_time(heard, sizeof(heard),
			                 p->last_inbound_ms);
			char rate[32];
			snprintf(rate, sizeof(rate), "%llu/%llu",
			         (unsigned long long)p->rate_limited,
			         (unsigned long long)p->deferred);
			char oldest[24] = "-";
			if (p->pending && p->oldest_pending_ms > 0) {
				/* to the ms: a signal of this very second is 0
				 * old, not less */
				int64_t age = (int64_t)now_ts.tv_sec * 1000 +
				              now_ts.tv_nsec / 1000000 -
				              p->oldest_pending_ms;
				seinctl_fmt_dur(oldest, sizeof(oldest),
				                age > 0 ? age : 0);
			}
			printf("%-24s  %-17s  %-4s  %8llu  %6s  %9llu  %5ums  "
			       "%11s  %-19s  %s\n",
			       p->partner, p->role, p->link,
			       (unsigned long long)p->pending, oldest,
			       (unsigned long long)p->inflight, p->retry_ms,
			       rate, heard, p->last_error);
		}
		int clk = 0;
		for (size_t i = 0; i < s->n_peers; i++) {
			const Seinhuis__PeerStatus *p = s->peers[i];
			int64_t off = p->clock_offset_ms;
			char at[32];
			if (!p->clock_read_ms || (off < 10000 && off > -10000))
				continue;
			if (!clk++)
				printf(
				    "\nclocks of partners that differ from "
				    "ours by 10 s or more (from the times on "
				    "their frames):\n");
			seinctl_fmt_time(at, sizeof(at), p->clock_read_ms);
			printf("  %-24s  %lld s %s ours (read %s)\n",
			       p->partner,
			       (long long)((off < 0 ? -off : off) / 1000),
			       off < 0 ? "behind" : "ahead of", at);
		}
		int wit = 0;
		for (size_t i = 0; i < s->n_peers; i++) {
			const Seinhuis__PeerStatus *p = s->peers[i];
			char at[32];
			if (!p->witnessed_ms)
				continue;
			if (!wit++)
				printf(
				    "\naudit logs of partners, as witnessed "
				    "here (their newest signed tree head):\n");
			seinctl_fmt_time(at, sizeof(at), p->witnessed_ms);
			printf("  %-24s  %llu entries, signed %s\n", p->partner,
			       (unsigned long long)p->witnessed_size, at);
		}
		int head = 0;
		for (size_t i = 0; i < s->n_peers; i++) {
			const Seinhuis__PeerStatus *p = s->peers[i];
			char from[32], at[32];
			if (!p->recover_since_ms)
				continue;
			if (!head++)
				printf(
				    "\nrecover (asked to send again what they "
				    "delivered since):\n");
			seinctl_fmt_time(from, sizeof(from),
			                 p->recover_since_ms);
			seinctl_fmt_time(at, sizeof(at),
			                 p->recover_answered_ms);
			if (p->recover_answered_ms > 0)
				printf("  %-24s  since %s: %llu signal(s) sent "
				       "again (answered %s)\n",
				       p->partner, from,
				       (unsigned long long)p->recover_count,
				       at);
			else if (p->recover_deferred_until_ms > 0) {
				char again[32];
				seinctl_fmt_time(again, sizeof(again),
				                 p->recover_deferred_until_ms);
				printf("  %-24s  since %s: it answered another "
				       "request lately and takes this one "
				       "after its recover_interval; asked "
				       "again %s\n",
				       p->partner, from, again);
			} else
				printf("  %-24s  since %s: %s\n", p->partner,
				       from,
				       p->recover_answered_ms < 0
				           ? "no answer, given up"
				           : "waiting for its answer");
		}
		if (s->n_last_errors) {
			printf("\nlast errors:\n");
			for (size_t i = 0; i < s->n_last_errors; i++)
				printf("  %s\n", s->last_errors[i]);
		}
	}
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
}

/* ------------------------------------------------------------- import */

/* Requests in flight at most (the daemon answers them in order, a group
 * commit at a time), and how many are written with one system call. */
#define IMPORT_WINDOW 8192
#define IMPORT_BURST  256

struct import_state {
	int fd;
	size_t outstanding, head;
	int rows[IMPORT_WINDOW];
	sh_buf out; /* encoded requests not yet written (wiped once written) */
	size_t out_frames;
	sh_buf in; /* replies read, not yet taken; from in_off */
	size_t in_off;
	char **header;
	size_t ncols;
	size_t accepted, refused, skipped, printed;
	/* of the skipped, those whose content differs from what was sent
	 * (the daemon names the fields), and how many of them were listed */
	size_t differs, dprinted;
	int quiet, tty;
	/* rows read as Windows-1252 in a file whose other rows are UTF-8:
	 * the first of them by number, and how many */
	int converted[200];
	size_t nconverted;
};

/* In a file of both encodings, which rows were converted: by number,
 * never by value. */
static void report_converted(const struct import_state *st, const char *file)
{
	if (!st->nconverted)
		return;
	size_t listed = st->nconverted < 200 ? st->nconverted : 200;
	fprintf(stderr,
	        "%s: %zu row%s read as Windows-1252 (converted), the others "
	        "as UTF-8: row%s",
	        file, st->nconverted, st->nconverted == 1 ? "" : "s",
	        st->nconverted == 1 ? "" : "s");
	for (size_t i = 0; i < listed; i++)
		fprintf(stderr, "%s %d", i ? "," : "", st->converted[i]);
	if (listed < st->nconverted)
		fprintf(stderr, " and %zu more", st->nconverted - listed);
	fprintf(stderr, "\n");
}

static void report_row(struct import_state *st, int row, const char *rule,
                       const char *error)
{
	st->refused++;
	if (st->printed++ >= 200) {
		if (st->printed == 201)
			fprintf(stderr,
			        "(further refusals are counted, not listed)\n");
		return;
	}
	/* error reads "field 'NAME': ..."; name the column too */
	char name[64] = "";
	const char *col = "-";
	char colbuf[24];
	if (sscanf(error, "field '%63[^']'", name) == 1)
		for (size_t i = 0; i < st->ncols; i++)
			if (strcmp(st->header[i], name) == 0) {
				snprintf(colbuf, sizeof(colbuf), "%zu", i + 1);
				col = colbuf;
			}
	fprintf(stderr, "row %d, column %s: %s: %s\n", row, col, rule, error);
}

/* Write the requests encoded so far in one go. */
static int import_flush(struct import_state *st)
{
	size_t off = 0;
	int rc = 0;
	while (off < st->out.len) {
		/* MSG_NOSIGNAL: a daemon gone is an error, not a SIGPIPE */
		ssize_t w = send(st->fd, st->out.data + off, st->out.len - off,
		                 MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		off += (size_t)w;
	}
	sh_wipe(st->out.data, st->out.len);
	st->out.len = 0;
	st->out_frames = 0;
	return rc;
}

/* The next reply: from what was read before, else from one read of as
 * much as has arrived (many replies a system call). */
static Seinhuis__CtlReply *import_next(struct import_state *st)
{
	for (;;) {
		const uint8_t *body;
		size_t blen, flen;
		int k =
		    sh_frame_peek(st->in.data + st->in_off,
		                  st->in.len - st->in_off, &body, &blen, &flen);
		if (k < 0)
			return NULL;
		if (k > 0) {
			st->in_off += flen;
			return seinhuis__ctl_reply__unpack(NULL, blen, body);
		}
		if (st->in_off) {
			memmove(st->in.data, st->in.data + st->in_off,
			        st->in.len - st->in_off);
			st->in.len -= st->in_off;
			st->in_off = 0;
		}
		struct pollfd pfd = {st->fd, POLLIN, 0};
		int pr = poll(&pfd, 1, TIMEOUT_MS);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return NULL;
		size_t have = st->in.len;
		sh_buf_add(&st->in, NULL, 65536);
		ssize_t got = read(st->fd, st->in.data + have, 65536);
		if (got < 0 && errno == EINTR)
			got = 0;
		else if (got <= 0)
			return NULL;
		st->in.len = have + (size_t)got;
	}
}

static int import_reply(struct import_state *st)
{
	Seinhuis__CtlReply *r;
	if ((st->out.len && import_flush(st) < 0) || !(r = import_next(st))) {
		fprintf(stderr,
		        "seinctl: no answer from the daemon; rows from "
		        "row %d on may or may not be accepted (re-import: rows "
		        "sent before are skipped)\n",
		        st->rows[st->head]);
		return -1;
	}
	int row = st->rows[st->head];
	st->head = (st->head + 1) % IMPORT_WINDOW;
	st->outstanding--;
	if (r->ok)
		st->accepted++;
	else if (strcmp(r->rule, "DUPLICATE") == 0) {
		st->skipped++;
		/* "field 'natural_key': already accepted as ID, but differs
		 * from what was sent in: NAMES" (control.c): field names
		 * and an id, never a value */
		static const char mark[] = ", but differs from what was "
		                           "sent in: ";
		const char *m = r->error ? strstr(r->error, mark) : NULL;
		char id[33];
		if (m && sscanf(r->error,
		                "field 'natural_key': already accepted as %32s",
		                id) == 1) {
			id[strcspn(id, ",")] = '\0';
			st->differs++;
			if (st->dprinted++ < 200)
				fprintf(
				    stderr,
				    "row %d: sent before as %s, but differs "
				    "from what was sent in: %s (not sent "
				    "again)\n",
				    row, id, m + sizeof(mark) - 1);
			else if (st->dprinted == 201)
				fprintf(stderr, "(further rows that differ are "
				                "counted, not listed)\n");
		}
	} else
		report_row(st, row, r->rule, r->error);
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
}

static void progress(struct import_state *st, size_t rows, int done)
{
	if (st->quiet || !st->tty)
		return;
	fprintf(stderr, "\r%zu rows: %zu accepted, %zu refused, %zu skipped%s",
	        rows, st->accepted, st->refused, st->skipped, done ? "\n" : "");
}

/* Which columns name a field of the type, asked of the daemon by name
 * alone (FIELDS_CHECK), before a row is sent: known[i] for those, and
 * for the recipient's column (to_col); a name not of a field name's form
 * is no field and is not asked (it may be data). set_unknown[k] for a
 * --set name the type lacks. Returns known (the caller frees it), or
 * NULL if the daemon cannot say (one older than FIELDS_CHECK: each row's
 * check decides). */
static unsigned char *import_known(const char *sock, const char *type,
                                   const sh_csv *csv,
                                   const unsigned char *ignored, size_t to_col,
                                   char **sets, size_t nsets,
                                   unsigned char *set_unknown)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	Seinhuis__CtlReply *r = NULL;
	size_t *col = sh_xmalloc((csv->ncols + nsets + 1) * sizeof(*col));
	unsigned char *known = calloc(csv->ncols + 1, 1);
	char why[512];
	if (!known)
		abort();
	q.op = SEINHUIS__CTL_REQUEST__OP__FIELDS_CHECK;
	q.type = (char *)type;
	for (size_t i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i], '=');
		*eq = '\0';
		col[q.n_fields] = SIZE_MAX - i;
		add_field(&q, sets[i], "");
		*eq = '=';
	}
	for (size_t i = 0; i < csv->ncols; i++) {
		if (ignored[i] || i == to_col ||
		    !sh_field_name_ok(csv->header[i]))
			continue;
		col[q.n_fields] = i;
		known[i] = 1; /* until the daemon says otherwise */
		add_field(&q, csv->header[i], "");
	}
	if (to_col != SIZE_MAX)
		known[to_col] = 1;
	if (seinctl_call_why(sock, &q, &r, why, sizeof(why)) == 0) {
		for (size_t k = 0; k < r->n_unknown_fields; k++) {
			size_t f = r->unknown_fields[k] - 1;
			if (f >= q.n_fields)
				continue;
			if (col[f] < csv->ncols)
				known[col[f]] = 0;
			else
				set_unknown[SIZE_MAX - col[f]] = 1;
		}
	} else {
		free(known);
		known = NULL;
	}
	if (r)
		seinhuis__ctl_reply__free_unpacked(r, NULL);
	clear_fields(&q);
	free(col);
	return known;
}

/* Once row 1 is a header: each column that names no field of the type,
 * and each --set name the type lacks, refused on a line of its own; a
 * column is named by its number, and by its name only if that cannot be
 * a resident's data (sh_csv_column_label). Returns 1 if the file is
 * refused. */
static int import_unknown(const char *file, const char *type, const sh_csv *csv,
                          const unsigned char *known,
                          const unsigned char *ignored, char **sets,
                          size_t nsets, const unsigned char *set_unknown)
{
	int refused = 0;
	for (size_t k = 0; k < nsets; k++)
		if (set_unknown[k]) {
			/* its name as a column's would be shown (it may be
			 * data typed in the wrong place) */
			char name[64];
			size_t nl = strcspn(sets[k], "=");
			snprintf(name, sizeof(name), "%.*s",
			         (int)(nl < sizeof(name) ? nl : 0), sets[k]);
			refused = 1;
			if (sh_csv_name_showable(name))
				fprintf(stderr,
				        "seinctl: %s: refused, no row sent: "
				        "--set %s: not a field of %s\n",
				        file, name, type);
			else
				fprintf(stderr,
				        "seinctl: %s: refused, no row sent: "
				        "--set number %zu: not a field of %s "
				        "(its name is not repeated here: it "
				        "may be a resident's data)\n",
				        file, k + 1, type);
		}
	for (size_t i = 0; i < csv->ncols; i++) {
		if (ignored[i] || known[i])
			continue;
		char label[96], num[24];
		int shown = sh_csv_column_label(csv, i, label, sizeof(label));
		snprintf(num, sizeof(num), "%zu", i + 1);
		refused = 1;
		fprintf(
		    stderr,
		    "seinctl: %s: refused, no row sent: CSV: line %d: %s is "
		    "not a field of %s%s: remove the column, or give "
		    "--ignore-column %s to import without it\n",
		    file, csv->header_line, label, type,
		    shown ? ""
		          : " (its name is not repeated here: it may "
		            "be a resident's data)",
		    shown ? csv->header[i] : num);
	}
	return refused;
}

static int cmd_import(const char *sock, int argc, char **argv)
{
	static struct option opts[] = {
	    {"type", required_argument, 0, 't'},
	    {"to", required_argument, 0, 'r'},
	    {"set", required_argument, 0, 's'},
	    {"quiet", no_argument, 0, 'q'},
	    {"ignore-column", required_argument, 0, 'I'},
	    {0, 0, 0, 0}};
	const char *type = NULL, *to = "";
	char *sets[32], *ignores[32];
	size_t nsets = 0, nignores = 0;
	struct import_state st;
	int opt;
	memset(&st, 0, sizeof(st));
	optind = 0; /* 0: glibc re-initialises getopt, permutation included */
	while ((opt = getopt_long(argc, argv, "t:r:s:q", opts, NULL)) != -1) {
		switch (opt) {
		case 't': type = optarg; break;
		case 'r': to = optarg; break;
		case 's':
			if (nsets == 32 || !strchr(optarg, '=') ||
			    optarg[0] == '=') {
				fprintf(
				    stderr,
				    "seinctl: --set NAME=VALUE, at most 32\n");
				return 2;
			}
			sets[nsets++] = optarg;
			break;
		case 'q': st.quiet = 1; break;
		case 'I':
			if (nignores == 32) {
				fprintf(stderr,
				        "seinctl: --ignore-column NAME or "
				        "NUMBER, at most 32\n");
				return 2;
			}
			ignores[nignores++] = optarg;
			break;
		default:
			sh_opt_refused("seinctl import", argc, argv, "t:r:s:q",
			               opts);
			return 2;
		}
	}
	if (!type || optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	const char *file = argv[optind];
	char *data, why[512];
	size_t len;
	sh_err e = sh_read_file(file, (size_t)1 << 30, &data, &len);
	if (e) {
		fprintf(stderr, "seinctl: %s: cannot read: %s\n", file,
		        e == SH_ERR_NOTFOUND ? "no such file"
		                             : strerror(errno));
		return 2;
	}
	sh_csv csv;
	e = sh_csv_open_flags(&csv, (const uint8_t *)data, len,
	                      SH_CSV_NAMES_LATER, why, sizeof(why));
	sh_wipe(data, len);
	free(data);
	if (e) {
		/* refused as a whole: the rule as in a row's refusal */
		fprintf(stderr, "seinctl: %s: refused, no row sent: CSV: %s\n",
		        file, why);
		return 1;
	}
	/* Columns left out (--ignore-column, by number, or by name as the
	 * header gives it, in any case) and the recipient's column are not
	 * fields. */
	size_t to_col = SIZE_MAX, rows = 0;
	unsigned char *skip = calloc(csv.ncols, 1);
	unsigned char *ignored = calloc(csv.ncols, 1);
	unsigned char set_unknown[32] = {0};
	if (!skip || !ignored)
		abort();
	for (size_t k = 0; k < nignores; k++) {
		if (!ignores[k][0] ||
		    strspn(ignores[k], "0123456789") != strlen(ignores[k]))
			continue;
		unsigned long n = strtoul(ignores[k], NULL, 10);
		if (n < 1 || n > csv.ncols) {
			/* a number of more digits than a column's is not
			 * repeated (a BSN, say, in the wrong place) */
			if (strlen(ignores[k]) <= 4)
				fprintf(stderr,
				        "seinctl: --ignore-column %s: the file "
				        "has columns 1 to %zu\n",
				        ignores[k], csv.ncols);
			else
				fprintf(stderr,
				        "seinctl: --ignore-column number %zu "
				        "(of %zu digits, not repeated): the "
				        "file has columns 1 to %zu\n",
				        k + 1, strlen(ignores[k]), csv.ncols);
			sh_csv_close(&csv);
			free(skip);
			free(ignored);
			return 2;
		}
		ignored[n - 1] = 1;
	}
	for (size_t i = 0; i < csv.ncols; i++) {
		for (size_t k = 0; k < nignores; k++)
			ignored[i] |=
			    strcasecmp(csv.header[i], ignores[k]) == 0;
		skip[i] = ignored[i];
		if (!skip[i] && to_col == SIZE_MAX &&
		    strcmp(csv.header[i], "to") == 0)
			to_col = i, skip[i] = 1;
	}
	/* Is row 1 a header? A file exported without one names its columns
	 * with its first row's cells: refused without repeating them. */
	unsigned char *known = import_known(sock, type, &csv, ignored, to_col,
	                                    sets, nsets, set_unknown);
	int refused =
	    sh_csv_header_check(&csv, known, ignored, type, why, sizeof(why));
	if (refused)
		fprintf(stderr, "seinctl: %s: refused, no row sent: CSV: %s\n",
		        file, why);
	else if (known)
		refused = import_unknown(file, type, &csv, known, ignored, sets,
		                         nsets, set_unknown);
	free(known);
	free(ignored);
	if (refused) {
		sh_csv_close(&csv);
		free(skip);
		return 1;
	}
	/* Each row is UTF-8 or, if it is not, Windows-1252: a file of one
	 * encoding is named by it, one of both says how many rows were
	 * converted (listed by number after the rows). */
	int mixed = csv.rows_cp1252 && !csv.cp1252;
	if (!st.quiet && mixed)
		fprintf(stderr,
		        "%s: UTF-8, %zu row%s Windows-1252 (converted, listed "
		        "at the end), separator '%c', %zu columns\n",
		        file, csv.rows_cp1252, csv.rows_cp1252 == 1 ? "" : "s",
		        csv.sep, csv.ncols);
	else if (!st.quiet)
		fprintf(stderr, "%s: %s, separator '%c', %zu columns\n", file,
		        csv.cp1252 ? "Windows-1252 (converted)" : "UTF-8",
		        csv.sep, csv.ncols);
	st.header = csv.header;
	st.ncols = csv.ncols;
	st.tty = isatty(2);
	if (sh_ctl_connect(sock, &st.fd, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "seinctl: %s\n", why);
		sh_csv_close(&csv);
		free(skip);
		return 3;
	}
	sh_buf_add(&st.in, NULL, 65536); /* never a null buffer */
	st.in.len = 0;
	int rc = 0;
	sh_csv_row row;
	int got;
	while ((got = sh_csv_next(&csv, &row, why, sizeof(why))) != 0) {
		rows++;
		if (got < 0) {
			int line = 0;
			sscanf(why, "line %d", &line);
			report_row(&st, line, csv.rule, why);
			continue;
		}
		if (mixed && row.cp1252 &&
		    st.nconverted++ <
		        sizeof(st.converted) / sizeof(st.converted[0]))
			st.converted[st.nconverted - 1] = row.line;
		Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
		q.op = SEINHUIS__CTL_REQUEST__OP__SEND;
		q.type = (char *)type;
		q.recipient = (char *)to;
		for (size_t i = 0; i < nsets; i++) {
			char *eq = strchr(sets[i], '=');
			*eq = '\0';
			add_field(&q, sets[i], eq + 1);
			*eq = '=';
		}
		for (size_t i = 0; i < row.n; i++) {
			char *v = sh_trim(row.cols[i]);
			if (i == to_col) {
				if (*v)
					q.recipient = v;
			} else if (*v && !skip[i]) {
				add_field(&q, csv.header[i], v);
			}
		}
		/* A row larger than one control request may be is refused
		 * here: sent, it would make the daemon close the connection
		 * and lose the rows after it. */
		int too_big = protobuf_c_message_get_packed_size(&q.base) >
		              SH_CTL_MAX_FRAME;
		if (too_big)
			report_row(&st, row.line, "WIRE_SIZE",
			           "the row is larger than one control request "
			           "may be (16 MiB)");
		while (!too_big && st.outstanding >= IMPORT_WINDOW && rc == 0)
			rc = import_reply(&st) < 0 ? 3 : 0;
		if (rc == 0 && !too_big) {
			sh_frame_append(&st.out, &q.base);
			if (++st.out_frames >= IMPORT_BURST &&
			    import_flush(&st) < 0)
				rc = 3;
		}
		clear_fields(&q);
		sh_csv_row_free(&row);
		if (rc)
			break;
		if (too_big)
			continue;
		st.rows[(st.head + st.outstanding) % IMPORT_WINDOW] = row.line;
		st.outstanding++;
		if (rows % 1000 == 0)
			progress(&st, rows, 0);
	}
	while (st.outstanding > 0 && rc == 0)
		rc = import_reply(&st) < 0 ? 3 : 0;
	progress(&st, rows, 1);
	report_converted(&st, file);
	if (csv.empty_rows)
		fprintf(
		    stderr,
		    "%s: %zu empty row%s skipped (every cell empty, as a "
		    "spreadsheet saves an empty row; not counted as rows)\n",
		    file, csv.empty_rows, csv.empty_rows == 1 ? "" : "s");
	close(st.fd);
	if (st.out.data)
		sh_wipe(st.out.data, st.out.cap);
	sh_buf_free(&st.out);
	sh_buf_free(&st.in);
	sh_csv_close(&csv);
	free(skip);
	if (json_out)
		printf("{\"rows\": %zu, \"accepted\": %zu, \"refused\": %zu, "
		       "\"skipped\": %zu, \"differs\": %zu}\n",
		       rows, st.accepted, st.refused, st.skipped, st.differs);
	else if (st.differs)
		printf("%s: %zu rows: %zu accepted, %zu refused, %zu skipped "
		       "(sent before), of which %zu differ%s\n",
		       file, rows, st.accepted, st.refused, st.skipped,
		       st.differs, st.differs == 1 ? "s" : "");
	else
		printf("%s: %zu rows: %zu accepted, %zu refused, %zu skipped "
		       "(sent "
		       "before)\n",
		       file, rows, st.accepted, st.refused, st.skipped);
	if (st.differs)
		fprintf(stderr,
		        "seinctl: %zu row%s sent before now differ%s from what "
		        "was sent (listed above by row, with the id of the "
		        "signal sent): not sent again, so the recipient has "
		        "only the earlier signal\n",
		        st.differs, st.differs == 1 ? "" : "s",
		        st.differs == 1 ? "s" : "");
	if (rc)
		return rc;
	return st.refused ? 1 : st.differs ? 4 : 0;
}

static int cmd_quarantine(const char *sock, int argc, char **argv)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	Seinhuis__CtlReply *r;
	int rc;
	if (argc == 3 && strcmp(argv[1], "remove") == 0) {
		q.op = SEINHUIS__CTL_REQUEST__OP__QUARANTINE_REMOVE;
		q.message_id = argv[2];
		if ((rc = call(sock, &q, &r)) != 0)
			return rc;
		print_done("removed", r->message_id);
		seinhuis__ctl_reply__free_unpacked(r, NULL);
		return 0;
	}
	if (argc != 2 || strcmp(argv[1], "list") != 0) {
		usage(stderr);
		return 2;
	}
	q.op = SEINHUIS__CTL_REQUEST__OP__QUARANTINE_LIST;
	rc = call(sock, &q, &r);
	if (rc)
		return rc;
	json_object *arr = json_object_new_array();
	if (!json_out)
		printf("%-32s  %-24s  %-15s  %-19s  %s\n", "MESSAGE ID", "FROM",
		       "TYPE", "RECEIVED", "RULE BROKEN");
	for (size_t i = 0; i < r->n_quarantine; i++) {
		const Seinhuis__QuarantineItem *it = r->quarantine[i];
		if (json_out) {
			json_object *o = json_object_new_object();
			json_object_object_add(
			    o, "message_id",
			    json_object_new_string(it->message_id));
			json_object_object_add(
			    o, "sender", json_object_new_string(it->sender));
			json_object_object_add(
			    o, "type", json_object_new_string(it->type));
			json_object_object_add(
			    o, "received_ms",
			    json_object_new_int64(it->received_ms));
			json_object_object_add(
			    o, "rule", json_object_new_string(it->rule));
			json_object_object_add(
			    o, "detail", json_object_new_string(it->detail));
			json_object_array_add(arr, o);
		} else {
			char when[32];
			seinctl_fmt_time(when, sizeof(when), it->received_ms);
			printf("%-32s  %-24s  %-15s  %-19s  %s: %s\n",
			       it->message_id, it->sender, it->type, when,
			       it->rule, it->detail);
		}
	}
	if (json_out)
		seinctl_print_json(arr);
	else {
		json_object_put(arr);
		printf("%zu signals in quarantine\n", r->n_quarantine);
	}
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
}

static int cmd_consent(const char *sock, int argc, char **argv)
{
	Seinhuis__CtlRequest q = SEINHUIS__CTL_REQUEST__INIT;
	const char *sub = argc > 1 ? argv[1] : "";
	char line[512];
	if (strcmp(sub, "grant") == 0) {
		static struct option opts[] = {
		    {"to", required_argument, 0, 't'},
		    {"purpose", required_argument, 0, 'p'},
		    {"from", required_argument, 0, 'f'},
		    {"until", required_argument, 0, 'u'},
		    {0, 0, 0, 0}};
		int opt;
		q.op = SEINHUIS__CTL_REQUEST__OP__CONSENT_GRANT;
		optind = 2;
		while ((opt = getopt_long(argc, argv, "t:p:f:u:", opts,
		                          NULL)) != -1) {
			switch (opt) {
			case 't': q.recipient = optarg; break;
			case 'p': q.purpose = optarg; break;
			case 'f': q.valid_from = optarg; break;
			case 'u': q.valid_until = optarg; break;
			default:
				sh_opt_refused("seinctl consent grant", argc,
				               argv, "t:p:f:u:", opts);
				return 2;
			}
		}
		if (!q.recipient[0] || !q.purpose[0] || optind != argc) {
			usage(stderr);
			return 2;
		}
		/* Identifiers come on stdin, never on the command line, so
		 * that they do not show in the process list. */
		int lineno = 0;
		while (fgets(line, sizeof(line), stdin)) {
			lineno++;
			/* a line longer than the buffer would be read as
			 * two: refused as a whole */
			if (!strchr(line, '\n') && !feof(stdin)) {
				fprintf(stderr,
				        "seinctl: stdin line %d: longer than "
				        "%zu bytes\n",
				        lineno, sizeof(line) - 2);
				sh_wipe(line, sizeof(line));
				clear_fields(&q);
				return 2;
			}
			char *l = sh_trim(line), *eq = strchr(l, '=');
			if (!*l || *l == '#')
				continue;
			if (!eq) {
				fprintf(stderr,
				        "seinctl: stdin line %d: identifiers "
				        "are NAME=VALUE lines\n",
				        lineno);
				sh_wipe(line, sizeof(line));
				clear_fields(&q);
				return 2;
			}
			*eq = '\0';
			add_field(&q, sh_trim(l), sh_trim(eq + 1));
		}
		sh_wipe(line, sizeof(line));
	} else if (strcmp(sub, "revoke") == 0 && argc == 3) {
		q.op = SEINHUIS__CTL_REQUEST__OP__CONSENT_REVOKE;
		q.message_id = argv[2];
	} else if (strcmp(sub, "list") == 0 && argc == 2) {
		q.op = SEINHUIS__CTL_REQUEST__OP__CONSENT_LIST;
	} else {
		usage(stderr);
		return 2;
	}
	Seinhuis__CtlReply *r;
	int rc = call(sock, &q, &r);
	clear_fields(&q);
	if (rc)
		return rc;
	if (q.op == SEINHUIS__CTL_REQUEST__OP__CONSENT_GRANT) {
		printf(json_out ? "{\"consent_ref\": \"%s\"}\n"
		                : "consent %s\n",
		       r->message_id);
	} else if (q.op == SEINHUIS__CTL_REQUEST__OP__CONSENT_REVOKE) {
		if (json_out)
			printf("{\"revocation\": \"%s\"}\n", r->message_id);
		else if (r->message_id[0])
			printf("revoked; revocation signal %s\n",
			       r->message_id);
		else
			printf("revoked; no revocation signal sent (the "
			       "partner is no longer in the trust store)\n");
	} else {
		json_object *arr = json_object_new_array();
		if (!json_out)
			printf("%-32s  %-24s  %-16s  %-10s  %-10s  %s\n",
			       "CONSENT", "RECIPIENT", "PURPOSE", "FROM",
			       "UNTIL", "STATE");
		for (size_t i = 0; i < r->n_consents; i++) {
			const Seinhuis__ConsentItem *it = r->consents[i];
			if (json_out) {
				json_object *o = json_object_new_object();
				json_object_object_add(
				    o, "ref", json_object_new_string(it->ref));
				json_object_object_add(
				    o, "recipient",
				    json_object_new_string(it->recipient));
				json_object_object_add(
				    o, "subject",
				    json_object_new_string(it->subject));
				json_object_object_add(
				    o, "purpose",
				    json_object_new_string(it->purpose));
				json_object_object_add(
				    o, "valid_from",
				    json_object_new_string(it->valid_from));
				json_object_object_add(
				    o, "valid_until",
				    json_object_new_string(it->valid_until));
				json_object_object_add(
				    o, "revoked_ms",
				    json_object_new_int64(it->revoked_ms));
				json_object_array_add(arr, o);
			} else {
				/* as the daemon decides it (consent_valid) */
				char today[11];
				sh_today(today);
				const char *state =
				    it->revoked_ms ? "revoked"
				    : strcmp(today, it->valid_from) < 0
				        ? "not yet"
				    : it->valid_until[0] &&
				            strcmp(today, it->valid_until) > 0
				        ? "expired"
				        : "valid";
				printf(
				    "%-32s  %-24s  %-16s  %-10s  %-10s  %s\n",
				    it->ref, it->recipient, it->purpose,
				    it->valid_from,
				    it->valid_until[0] ? it->valid_until : "-",
				    state);
			}
		}
		if (json_out)
			seinctl_print_json(arr);
		else
			json_object_put(arr);
	}
	seinhuis__ctl_reply__free_unpacked(r, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const char *sock = getenv("SEINHUIS_CONTROL");
	const char *conf = NULL, *sockopt = NULL;
	static struct option opts[] = {{"json", no_argument, 0, 'j'},
	                               {"config", required_argument, 0, 'c'},
	                               {"socket", required_argument, 0, 's'},
	                               {"help", no_argument, 0, 'h'},
	                               {"version", no_argument, 0, 'V'},
	                               {0, 0, 0, 0}};
	int opt;
	opterr = 0; /* a refused option is not repeated: sh_opt_refused */
	/* --json may also follow the command: take it out wherever it is. */
	for (int a = 1; a < argc; a++)
		if (strcmp(argv[a], "--json") == 0) {
			json_out = 1;
			memmove(&argv[a], &argv[a + 1],
			        (size_t)(argc - a) * sizeof(*argv));
			argc--;
			a--;
		}
	while ((opt = getopt_long(argc, argv, "+jc:s:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': json_out = 1; break;
		case 'c': conf = optarg; break;
		case 's': sockopt = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("seinctl %s\n", SH_VERSION); return 0;
		default:
			sh_opt_refused("seinctl", argc, argv, "+jc:s:hV", opts);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (sockopt)
		sock = sockopt;
	else if (conf)
		sock = socket_from_config(conf,
		                          strcmp(argv[optind], "check") == 0);
	if (!sock || !*sock)
		sock = DEFAULT_SOCKET;
	sh_log_init("seinctl", SH_LOG_WARN, 0);
	const char *cmd = argv[optind];
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	if (strcmp(cmd, "send") == 0)
		return cmd_send(sock, sub_argc, sub_argv);
	if (strcmp(cmd, "outbox") == 0)
		return cmd_outbox(sock, sub_argc, sub_argv);
	if (strcmp(cmd, "inbox") == 0)
		return cmd_inbox(sock, sub_argc, sub_argv);
	if (strcmp(cmd, "status") == 0 && sub_argc == 1)
		return cmd_status(sock);
	if (strcmp(cmd, "status") == 0) {
		fprintf(stderr, "seinctl: status takes no arguments\n");
		return 2;
	}
	if (strcmp(cmd, "import") == 0)
		return cmd_import(sock, sub_argc, sub_argv);
	if (strcmp(cmd, "recover") == 0)
		return cmd_recover(sock, sub_argc, sub_argv);
	if (strcmp(cmd, "check") == 0) {
		/* one JSON object, the check's: a refusal goes to stderr */
		int json = json_out;
		json_out = 0;
		return seinctl_check(sock, json, sub_argc, sub_argv);
	}
	if (strcmp(cmd, "quarantine") == 0)
		return cmd_quarantine(sock, sub_argc, sub_argv);
	if (strcmp(cmd, "consent") == 0)
		return cmd_consent(sock, sub_argc, sub_argv);
	if (strcmp(cmd, "audit") == 0)
		return seinctl_audit(sock, json_out, sub_argc, sub_argv);
	if (strcmp(cmd, "case") == 0)
		return seinctl_case(sock, json_out, sub_argc, sub_argv);
	if (strcmp(cmd, "claim") == 0)
		return seinctl_claim(sock, json_out, sub_argc, sub_argv);
	if (strcmp(cmd, "export") == 0)
		return seinctl_export(sock, json_out, sub_argc, sub_argv);
	if (strcmp(cmd, "report") == 0)
		return seinctl_report(sock, json_out, sub_argc, sub_argv);
	/* not repeated: a word typed first may be a name */
	fprintf(stderr, "seinctl: the command given is not known (not "
	                "repeated: it may be data)\n");
	usage(stderr);
	return 2;
}
