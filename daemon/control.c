/*
 * control.c - the daemon's local control socket.
 *
 * A stream socket on a path in the file system, mode 0600 (0660 with a
 * control_group), so only the daemon's user (and that group) can connect;
 * the peer's credentials (SO_PEERCRED) are checked again on accept. Each
 * request is a length-prefixed CtlRequest (ctlclient.c); replies come in
 * the order of the requests.
 *
 * Requests that write (send, ack) join the loop turn's shared write
 * transaction; their replies wait in the deferred list and go out only
 * after the commit, so "accepted" always means "on disk". If the commit
 * fails (storage full), those replies become errors naming the rule.
 * Requests that only read are answered from a read transaction.
 *
 * Bounds: each local user has at most CTL_CONNS_PER_UID connections open,
 * and a connection whose replies are not read takes no further requests
 * once CTL_OUT_MAX of them wait (back-pressure, sh_control_events).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "auditd.h"
#include "cases.h"
#include "daemon.h"

static void list_page_start(sh_daemon *d);
static void partial_start(sh_daemon *d);
static void unnoted_start(sh_daemon *d);

sh_err sh_control_start(sh_daemon *d, char *why, size_t wl)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	const char *path = d->cfg.control;
	gid_t gid;
	sh_err e = sh_control_group_check(&d->cfg, &gid, why, wl);
	if (e != SH_OK)
		return e;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(why, wl, "%s exists and is not a socket",
			         path);
			return SH_ERR_CONFIG;
		}
		/* A socket a process still listens on is not stale: it is
		 * the control socket of a running seinhuisd (of another data
		 * directory: one of the same would hold the journal's lock).
		 * Removing it would leave that daemon unreachable for
		 * seinctl, also when this start fails later. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		strcpy(sa.sun_path, path);
		int live = probe >= 0 && connect(probe, (struct sockaddr *)&sa,
		                                 sizeof(sa)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			snprintf(why, wl,
			         "%s is the control socket of a running "
			         "process (another seinhuisd?): give each "
			         "daemon a control path of its own",
			         path);
			return SH_ERR_CONFIG;
		}
		unlink(path); /* stale socket of an earlier run */
	}
	strcpy(sa.sun_path, path);
	d->ctl_listen =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->ctl_listen < 0)
		return snprintf(why, wl, "socket: %s", strerror(errno)),
		       SH_ERR_SYS;
	mode_t old = umask(0177);
	int rc = bind(d->ctl_listen, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(d->ctl_listen, 64) < 0) {
		snprintf(why, wl, "cannot listen on %s: %s", path,
		         strerror(errno));
		return SH_ERR_SYS;
	}
	if (gid != (gid_t)-1 &&
	    (chown(path, (uid_t)-1, gid) < 0 || chmod(path, 0660) < 0)) {
		snprintf(why, wl, "cannot give %s to group %s: %s", path,
		         d->cfg.control_group, strerror(errno));
		return SH_ERR_SYS;
	}
	list_page_start(d);
	partial_start(d);
	unnoted_start(d);
	return SH_OK;
}

static void window_free(sh_daemon *d);

void sh_control_stop(sh_daemon *d)
{
	window_free(d);
	while (d->conns) {
		sh_ctl_conn *c = d->conns;
		d->conns = c->next;
		close(c->fd);
		sh_buf_free(&c->in);
		sh_buf_free(&c->out);
		free(c);
	}
	if (d->ctl_listen >= 0) {
		close(d->ctl_listen);
		unlink(d->cfg.control);
	}
	d->ctl_listen = -1;
}

/* The daemon's user, root, or a member of control_group as the roles
 * count members (roles.c): primary group, the calling process's
 * supplementary groups, or the group database. */
static int caller_allowed(sh_daemon *d, int fd, uid_t uid, gid_t gid)
{
	if (uid == geteuid() || uid == 0)
		return 1;
	return d->cfg.control_group[0] &&
	       sh_in_group(d->cfg.control_group, fd, uid, gid);
}

/* Connections one local user may have open at once; further ones are
 * closed as they come (told why, if they read). Each may buffer a request
 * of up to SH_CTL_MAX_FRAME. */
#define CTL_CONNS_PER_UID 64
/* accept4 out of descriptors (EMFILE, ENFILE): the listening socket is
 * left alone this long, instead of being readable in every turn */
#define CTL_ACCEPT_PAUSE_MS 250
#define CTL_LOG_EVERY_MS    60000

static size_t conns_of(const sh_daemon *d, uid_t uid)
{
	size_t n = 0;
	for (const sh_ctl_conn *c = d->conns; c; c = c->next)
		n += !c->closing && c->uid == uid;
	return n;
}

static int log_due(int64_t *last, int64_t now)
{
	if (*last && now - *last < CTL_LOG_EVERY_MS)
		return 0;
	*last = now;
	return 1;
}

static void refuse_over_cap(sh_daemon *d, int fd, uid_t uid)
{
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	char text[160];
	sh_buf b = {0};
	snprintf(text, sizeof(text),
	         "this user has %d control connections open, the most "
	         "allowed; close some and try again",
	         CTL_CONNS_PER_UID);
	r.rule = (char *)sh_err_rule(SH_ERR_DENIED);
	r.error = text;
	sh_frame_append(&b, &r.base);
	/* the answer to its first request, if the socket takes it now */
	if (write(fd, b.data, b.len) < 0) {
		/* closed all the same */
	}
	sh_buf_free(&b);
	close(fd);
	d->ctl_cap_refused++;
	if (log_due(&d->ctl_cap_logged, sh_mono_ms())) {
		sh_daemon_warn(d,
		               "control: local user %d has %d connections "
		               "open, the most allowed; further ones are "
		               "closed (%lu closed since the last such line)",
		               (int)uid, CTL_CONNS_PER_UID, d->ctl_cap_refused);
		d->ctl_cap_refused = 0;
	}
}

static void accept_pause(sh_daemon *d, int err)
{
	int64_t now = sh_mono_ms();
	d->ctl_accept_paused_until = now + CTL_ACCEPT_PAUSE_MS;
	if (log_due(&d->ctl_accept_logged, now))
		sh_daemon_warn(d,
		               "control: cannot accept a connection (%s); new "
		               "connections wait, %d ms at a time, until "
		               "descriptors are free (see LimitNOFILE)",
		               strerror(err), CTL_ACCEPT_PAUSE_MS);
}

int sh_control_accepting(sh_daemon *d)
{
	return sh_mono_ms() >= d->ctl_accept_paused_until;
}

void sh_control_accept(sh_daemon *d)
{
	for (;;) {
		int fd = accept4(d->ctl_listen, NULL, NULL,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0 && (errno == EMFILE || errno == ENFILE ||
		               errno == ENOBUFS || errno == ENOMEM))
			accept_pause(d, errno);
		if (fd < 0)
			return;
		struct ucred cr;
		socklen_t len = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
			sh_daemon_warn(d,
			               "control: refused a caller whose "
			               "credentials cannot be read: %s",
			               strerror(errno));
			close(fd);
			continue;
		}
		if (!caller_allowed(d, fd, cr.uid, cr.gid)) {
			sh_daemon_warn(d, "control: refused local user %d",
			               (int)cr.uid);
			sh_audit_caller_refused(d, cr.uid);
			close(fd);
			continue;
		}
		if (conns_of(d, cr.uid) >= CTL_CONNS_PER_UID) {
			refuse_over_cap(d, fd, cr.uid);
			continue;
		}
		sh_ctl_conn *c = sh_xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->uid = cr.uid;
		c->gid = cr.gid;
		c->pid = cr.pid;
		c->roles = sh_roles_of(&d->cfg, fd, cr.uid, cr.gid);
		c->next = d->conns;
		d->conns = c;
	}
}

/* ------------------------------------------------------------ replies */

/* ------------------------------------------------------------- send */

/* Check a signal about to be sent under consent against the register:
 * the consent is for its recipient, for the purpose the catalogue gives
 * it (a type's purpose, or the value of its purpose_field: one consent
 * per purpose of a referral), valid today and given by its resident. */
static sh_err consent_valid(sh_daemon *d, sh_peer *p, const sh_type_rule *t,
                            Seinhuis__Field **fields, size_t n,
                            const char *ref_hex, const uint8_t *subject,
                            size_t subject_len, char *detail, size_t dl)
{
	const char *need = sh_consent_purpose(t, fields, n);
	uint8_t ref[16];
	Seinhuis__ConsentRecord *c = NULL;
	char today[11];
	sh_today(today);
	if (sh_unhex(ref, sizeof(ref), ref_hex) < 0)
		return snprintf(detail, dl,
		                "consent_ref must be 32 hex digits"),
		       SH_ERR_CONSENT;
	MDB_txn *txn = sh_store_read_begin(d->store);
	sh_err e =
	    txn ? sh_store_consent_get(d->store, txn, ref, &c) : SH_ERR_STORE;
	sh_store_read_end(d->store, txn);
	if (e == SH_ERR_NOTFOUND)
		return snprintf(detail, dl,
		                "no consent with this reference in the "
		                "register"),
		       SH_ERR_CONSENT;
	if (e)
		return snprintf(detail, dl, "%s", sh_err_str(e)), e;
	if (c->revoked_ms)
		e = SH_ERR_CONSENT_REVOKED,
		snprintf(detail, dl, "the consent was revoked");
	else if (strcmp(c->recipient, p->card.partner) != 0)
		e = SH_ERR_CONSENT,
		snprintf(detail, dl, "the consent is for another recipient");
	else if (t->purpose_field[0] &&
	         !sh_consent_purpose_usable(t, c->purpose))
		/* granted for the whole type (before the catalogue tied a
		 * consent to the signal's purpose field): it does not say
		 * which purpose the resident agreed to, so it covers none */
		e = SH_ERR_CONSENT,
		snprintf(detail, dl,
		         "the consent is for purpose '%s', which covers no %s "
		         "signal: a consent for one is for the %s it gives "
		         "(this one needs '%s'; grant a consent for it)",
		         c->purpose, sh_signal_type_name(t->type),
		         t->purpose_field, need);
	else if (strcmp(c->purpose, need) != 0)
		e = SH_ERR_CONSENT,
		snprintf(detail, dl,
		         "the consent is for purpose '%s', this signal "
		         "needs '%s'",
		         c->purpose, need);
	else if (strcmp(today, c->valid_from) < 0 ||
	         (c->valid_until[0] && strcmp(today, c->valid_until) > 0))
		e = SH_ERR_CONSENT,
		snprintf(detail, dl, "the consent is not valid today");
	else if (subject_len &&
	         (c->subject.len != subject_len ||
	          memcmp(c->subject.data, subject, subject_len) != 0))
		e = SH_ERR_CONSENT,
		snprintf(detail, dl,
		         "the consent was given by another resident");
	seinhuis__consent_record__free_unpacked(c, NULL);
	return e;
}

/* A status_feedback answers one signal in this daemon's inbox that the
 * partner it goes to sent, under the legal basis the catalogue gives that
 * signal's type (its feedback = consent | legal_task | none), and under
 * consent only with a consent of the resident that signal is about: the
 * checks `case step --feedback` makes, for a request made by hand or from
 * a file. The signal's subject goes to *subject for the consent check. */
static sh_err feedback_target(sh_daemon *d, sh_peer *p,
                              Seinhuis__Field **fields, size_t n,
                              const char *basis, uint8_t *subject,
                              int *have_subject, char *detail, size_t dl)
{
	uint8_t id[SH_ID_LEN];
	Seinhuis__InboxRecord *rec = NULL;
	*have_subject = 0;
	sh_err e = sh_answered_get(d, fields, n, "signal_id", "signal", id,
	                           &rec, detail, dl);
	const char *sid = sh_field_value(fields, n, "signal_id");
	if (e == SH_ERR_NOTFOUND)
		return snprintf(detail, dl,
		                "signal %.32s is not in the inbox: feedback "
		                "answers a signal still in it",
		                sid),
		       SH_ERR_FEEDBACK;
	if (e)
		return e;
	const sh_type_rule *rt = sh_catalogue_type(&d->cat, rec->type);
	const char *fb = rt ? rt->feedback : "none";
	if (strcmp(rec->sender, p->card.partner) != 0) {
		snprintf(detail, dl,
		         "signal %.32s came from another partner than '%s'",
		         sid, p->card.partner);
		e = SH_ERR_FEEDBACK;
	} else if (strcmp(fb, basis) != 0) {
		snprintf(detail, dl,
		         "the catalogue's [%s] entry says feedback = %s; this "
		         "feedback gives legal_basis %s",
		         sh_signal_type_name(rec->type), fb, basis);
		e = SH_ERR_FEEDBACK;
	} else {
		Seinhuis__Envelope *env = seinhuis__envelope__unpack(
		    NULL, rec->envelope.len, rec->envelope.data);
		Seinhuis__Signal *sg =
		    env ? seinhuis__signal__unpack(NULL, env->signal.len,
		                                   env->signal.data)
		        : NULL;
		if (!sg) {
			e = SH_ERR_STORE_CORRUPT;
		} else if (sg->subject.len == SH_PSEUDO_LEN) {
			memcpy(subject, sg->subject.data, SH_PSEUDO_LEN);
			*have_subject = 1;
		}
		if (sg)
			seinhuis__signal__free_unpacked(sg, NULL);
		if (env)
			seinhuis__envelope__free_unpacked(env, NULL);
		if (e == SH_OK && !*have_subject &&
		    strcmp(basis, "consent") == 0) {
			snprintf(detail, dl,
			         "signal %.32s names no resident, so no "
			         "consent can cover feedback on it",
			         sid);
			e = SH_ERR_FEEDBACK;
		}
	}
	seinhuis__inbox_record__free_unpacked(rec, NULL);
	return e;
}

/* The next part of a natural key: "|" and the text, the bytes that
 * sh_buf_printf(k, "|%s", s) gave (the stored keys of earlier signals must
 * still match). Not printf: this runs for every part of every signal, and
 * formatting cost about as much as hashing the key. */
/* The natural key before 2026-12-05 (late): the values as given, after
 * '|'. Still looked up, so that a row sent before the change is not sent
 * again; no longer written. */
static void natkey_part(sh_buf *k, const char *s)
{
	sh_buf_add(k, "|", 1);
	sh_buf_add(k, s, strlen(s));
}

/* The natural key's values in the form that two ways of writing one row
 * share: no spaces, ASCII letters in lower case ("9901 WA" and "9901wa");
 * a house number together with its addition, letters and digits only
 * ("12-a", "12 A" and "12a"), so that flats 12A and 12B differ. Each
 * value after its length, so that no value can shift the next. */
/* "|", the length of v in decimal, ":", and v. */
static void natkey_lenpart(sh_buf *k, const char *v, size_t o)
{
	char len[24], *e = len + sizeof(len), *q = e;
	*--q = ':';
	size_t m = o;
	do
		*--q = (char)('0' + m % 10);
	while ((m /= 10) != 0);
	*--q = '|';
	sh_buf_add(k, q, (size_t)(e - q));
	sh_buf_add(k, v, o);
}

/* The value of the type's field at position i (sh_type_values' vals,
 * or by name past them). */
static const char *nk_value(const sh_type_rule *tr, const char *const *vals,
                            Seinhuis__Field **fields, size_t n, size_t i)
{
	return i < SH_TYPE_VALUES
	           ? vals[i]
	           : sh_field_value(fields, n, tr->fields[i].name);
}

static void natkey_part2(sh_buf *k, const sh_type_rule *tr,
                         const char *const *vals, size_t at,
                         Seinhuis__Field **fields, size_t n)
{
	char v[512];
	size_t o = 0;
	int house = strcmp(tr->fields[at].name, "house_number") == 0;
	const char *add =
	    house ? sh_field_value(fields, n, "house_number_addition") : NULL;
	const char *parts[2] = {nk_value(tr, vals, fields, n, at), add};
	for (int p = 0; p < 2; p++)
		if (parts[p])
			o += sh_key_fold(v + o, sizeof(v) - o, parts[p],
			                 strlen(parts[p]), house);
	natkey_lenpart(k, v, o);
	sh_wipe(v, o);
}

/* A signal on its way in: what sh_daemon_submit works out before it
 * touches the store. The first part (resolve, policy, natural key, build)
 * reads only the request, catalogue, cards and pair keys, and may run on
 * the helper thread (prep.c); the rest runs on the main thread, in order. */
typedef struct {
	/* op_send's resolution of type and recipient */
	sh_err refuse_e;
	char refuse_msg[384]; /* two partner ids and words */
	sh_peer *p;
	Seinhuis__SignalType t;
	/* the policy check */
	int checked;
	sh_err policy_e;
	char field[128], detail[300];
	/* the natural key, hashed (natkey_hash): natkey in the form with the
	 * resident (3), the one written; natkey2 in the form of store schema
	 * 3 and before (2); natkey_old in the form before
	 * 2026-12-05 (1), while the store may hold keys of that form
	 * (have_natkey_old); natkey2 too only while it may hold keys of form 2
	 * (have_natkey2) */
	int have_natkey, have_natkey2, have_natkey_old;
	uint8_t natkey[SH_KEY_LEN], natkey2[SH_KEY_LEN], natkey_old[SH_KEY_LEN];
	/* the resident's canonical identity (form 3's, and the build's:
	 * note.canon), or the field at fault (canon_e) */
	char canon[SH_CANON_MAX];
	sh_err canon_e;
	/* the digest of the signal's content kept with its key (natkey_digest)
	 */
	uint8_t digest[SH_NK_DIGEST_MAX];
	size_t dlen;
	/* the built, sealed signal */
	int built;
	sh_err build_e;
	char build_field[128];
	uint8_t id[SH_ID_LEN];
	sh_buf env;
	sh_build_note note;
	/* the request's fields, with municipality_code added when the signal
	 * was routed by postcode and the request gave none (send_resolve) */
	Seinhuis__Field **fields;
	size_t nfields;
	Seinhuis__Field **own_fields; /* fields, if made here: freed */
	Seinhuis__Field muni_field;
	char muni[8];
} sh_submit_prep;

static void submit_init(sh_submit_prep *s, sh_peer *p, Seinhuis__SignalType t)
{
	memset(s, 0, sizeof(*s));
	s->p = p;
	s->t = t;
}

/* Wipes what a preparation holds (the note's keys, the envelope). */
static void submit_drop(sh_submit_prep *s)
{
	sh_wipe(&s->note, sizeof(s->note));
	sh_wipe(s->canon, sizeof(s->canon));
	sh_wipe(s->natkey, sizeof(s->natkey));
	sh_wipe(s->natkey2, sizeof(s->natkey2));
	sh_wipe(s->natkey_old, sizeof(s->natkey_old));
	sh_buf_free(&s->env);
	free(s->own_fields);
	s->own_fields = NULL;
}

/* The natural key of s, hashed into out, in one of its forms:
 *   3  "natural3": the normalised values (as 2), then the resident's
 *      canonical identity (pseudonym.c; s->canon, which submit_check
 *      works out first; empty when the row gives none that is complete,
 *      and then the build refuses the row). Written
 *      since store schema 4: two residents at one address (rooms let
 *      separately, no creditor reference) have two keys, and the second
 *      is no longer skipped as sent before.
 *   2  "natural2": the normalised values alone, written by builds of
 *      store schema 3 and before (from 2026-12-05, late). Such a key
 *      names no resident; a match is "sent before" only for the resident
 *      its signal was about (natkey_prev_same).
 *   1  "natural": the values as given (before 2026-12-05), looked up
 *      while the store may hold keys of that form; as 2 otherwise.
 * The identity is inside the keyed hash (case_secret): nothing of it is
 * stored. */
static void natkey_hash(sh_daemon *d, const sh_submit_prep *s,
                        const sh_type_rule *tr, const char *const *vals,
                        Seinhuis__Field **fields, size_t n, int form,
                        uint8_t out[SH_KEY_LEN])
{
	static const char *const prefix[] = {"", "natural", "natural2",
	                                     "natural3"};
	sh_buf k = {0};
	sh_buf_add(&k, prefix[form], strlen(prefix[form]));
	natkey_part(&k, sh_signal_type_name(s->t));
	natkey_part(&k, s->p->card.partner);
	/* the fields the catalogue's natural_key names, in its order */
	for (size_t i = 0; i < tr->n_natural; i++) {
		size_t at = tr->natural_at[i];
		if (form == 1) {
			const char *v = nk_value(tr, vals, fields, n, at);
			natkey_part(&k, v ? v : "");
		} else {
			natkey_part2(&k, tr, vals, at, fields, n);
		}
	}
	if (form == 3) {
		/* (canon_e: canon names the field at fault) */
		const char *canon = s->canon_e == SH_OK ? s->canon : "";
		natkey_lenpart(&k, canon, strlen(canon));
	}
	sh_hmac_sha256(out, d->case_secret, SH_KEY_LEN, k.data, k.len);
	sh_wipe(k.data, k.len);
	sh_buf_free(&k);
}

/* The digest of a signal's content, kept with its natural key (store
 * schema 4), so that a row sent before whose content has changed since (an
 * urgency raised to eviction) is reported as differing, not skipped
 * without a word. Per field of the type's catalogue entry, in its order, 4
 * bytes of SipHash-2-4, under a key drawn from case_secret by an HMAC of
 * the type, the recipient and the type's field names, of the field's name
 * and its value (without spaces, ASCII letters in lower case;
 * a house number and its addition letters and digits only, as the natural
 * key has them; "" when absent), after 4 bytes of the same over the list of
 * names (a catalogue with other fields since: nothing compared). Keyed: it
 * reveals no value to whoever reads the store; 4 bytes a field say which
 * fields differ (a change missed once in 2^32), never what they hold. */
#define NK_TAG 4
_Static_assert((SH_NK_DIGEST_MAX - NK_TAG) / NK_TAG <= SH_TYPE_VALUES,
               "a digest's fields have their values in sh_type_values");
static void natkey_digest(sh_daemon *d, sh_submit_prep *s,
                          const sh_type_rule *tr, const char *const *vals)
{
	size_t nf = tr->nfields;
	if (nf > (SH_NK_DIGEST_MAX - NK_TAG) / NK_TAG)
		nf = (SH_NK_DIGEST_MAX - NK_TAG) / NK_TAG;
	/* one HMAC gives the key of the per-field tags, which are
	 * SipHash-2-4 (libsodium's crypto_shorthash): a keyed hash made for
	 * short inputs, some 50 ns a field instead of an HMAC's 1 us */
	sh_buf k = {0};
	uint8_t mac[32], tag[crypto_shorthash_BYTES];
	sh_buf_add(&k, "content2", 8);
	natkey_part(&k, sh_signal_type_name(s->t));
	natkey_part(&k, s->p->card.partner);
	for (size_t i = 0; i < nf; i++)
		natkey_part(&k, tr->fields[i].name);
	/* the same for every signal of a type to a partner: kept */
	sh_hmac_sha256_kept(mac, d->case_secret, SH_KEY_LEN, k.data, k.len);
	memcpy(s->digest, mac, NK_TAG);
	/* the tags' key: the rest of the MAC (past the 4 bytes kept) */
	const uint8_t *tkey = mac + 16;
	for (size_t i = 0; i < nf; i++) { /* nf <= SH_TYPE_VALUES */
		const char *name = tr->fields[i].name;
		const char *v = vals[i];
		int house = sh_same_name(name, "house_number") ||
		            sh_same_name(name, "house_number_addition");
		size_t nl = strlen(name), vl = v ? strlen(v) : 0;
		k.len = 0;
		sh_buf_add(&k, NULL, nl + 2 + vl); /* "|name|", value's room */
		char *o = (char *)k.data;
		*o++ = '|';
		memcpy(o, name, nl);
		o += nl;
		*o++ = '|';
		o += vl ? sh_key_fold(o, vl, v, vl, house) : 0;
		k.len = (size_t)(o - (char *)k.data);
		crypto_shorthash(tag, k.data, k.len, tkey);
		memcpy(s->digest + NK_TAG + i * NK_TAG, tag, NK_TAG);
	}
	sh_wipe(tag, sizeof(tag));
	s->dlen = NK_TAG + nf * NK_TAG;
	sh_wipe(k.data, k.len);
	sh_wipe(mac, sizeof(mac));
	sh_buf_free(&k);
}

/* The fields whose tags differ between the digest kept (old) and s's,
 * by name into out; 0 when nothing can be compared (no digest kept, as
 * with keys of earlier builds, or one over other fields) or nothing
 * differs. */
static int natkey_differs(const sh_type_rule *tr, const sh_submit_prep *s,
                          const uint8_t *old, size_t olen, char *out, size_t ol)
{
	out[0] = '\0';
	if (!olen || olen != s->dlen || memcmp(old, s->digest, NK_TAG) != 0)
		return 0;
	int nd = 0;
	for (size_t i = 0; (i + 1) * NK_TAG < s->dlen; i++) {
		size_t o = NK_TAG + i * NK_TAG;
		if (memcmp(old + o, s->digest + o, NK_TAG) == 0)
			continue;
		size_t l = strlen(out);
		snprintf(out + l, ol - l, "%s%s", nd ? ", " : "",
		         tr->fields[i].name);
		nd++;
	}
	return nd;
}

/* The policy check and the natural key's hash. */
static void submit_check(sh_daemon *d, sh_submit_prep *s,
                         Seinhuis__Field **fields, size_t n)
{
	char today[11];
	sh_today(today);
	s->checked = 1;
	s->policy_e = sh_policy_check(
	    &d->cat, s->t, d->self.card.role, s->p->card.role, fields, n, today,
	    s->field, sizeof(s->field), s->detail, sizeof(s->detail));
	if (s->policy_e)
		return;
	/* A signal already sent with the same natural key (a re-imported
	 * row) is not sent again. The key is hashed: no values are stored. */
	const sh_type_rule *tr = sh_catalogue_type(&d->cat, s->t);
	if (tr && tr->natural_key[0]) {
		const char *vals[SH_TYPE_VALUES];
		sh_type_values(tr, fields, n, vals);
		/* the resident's canonical identity, for the key of form 3
		 * and then for the build (its pseudonym and case key): the
		 * same person's fields, worked out once */
		Seinhuis__Person person;
		sh_person_from_fields(&person, fields, n);
		s->canon_e =
		    sh_canonical_identity(&person, s->canon, sizeof(s->canon));
		s->note.canon = s->canon;
		s->note.canon_e = s->canon_e;
		natkey_hash(d, s, tr, vals, fields, n, 3, s->natkey);
		if (d->natkey_pre3) {
			natkey_hash(d, s, tr, vals, fields, n, 2, s->natkey2);
			s->have_natkey2 = 1;
		}
		natkey_digest(d, s, tr, vals);
		s->have_natkey = 1;
		if (d->natkey_old) {
			natkey_hash(d, s, tr, vals, fields, n, 1,
			            s->natkey_old);
			s->have_natkey_old = 1;
		}
	}
}

/* Build and seal the signal (the pair keys must be ready). */
static void submit_build(sh_daemon *d, sh_submit_prep *s,
                         Seinhuis__Field **fields, size_t n, sh_arena *a)
{
	s->built = 1;
	s->note.case_secret = sh_audit_case_secret(d);
	s->build_e = sh_wire_build_noted(
	    &d->self, &s->p->card, &s->p->keys, s->t, fields, n, s->id, &s->env,
	    s->build_field, sizeof(s->build_field), &s->note, a);
}

/* A field of the resident's canonical identity refused by the build: what
 * is wrong with it, into detail (left as it is when there is no more to
 * say than the rule's words). */
static void identity_why(Seinhuis__Field **fields, size_t n, const char *field,
                         char *detail, size_t dl)
{
	Seinhuis__Person person;
	sh_person_from_fields(&person, fields, n);
	const char *why = sh_canonical_why(&person, field);
	if (why)
		snprintf(detail, dl, "%s", why);
}

/* ------------------------------------------ natural keys of earlier builds
 *
 * Builds of store schema 3 and before hashed a natural key without the
 * resident (forms 2 and 1, natkey_hash): two residents at one address,
 * same kind and start date, no creditor reference, had one key, and the
 * second was skipped as sent before though nothing was ever sent for him.
 * Such keys are still in the stores those builds wrote, and their values
 * cannot be hashed again (only the keyed hash is kept). Upgrade safety
 * needs both: a row of last month's file sent by the earlier build must
 * still be skipped (its key of form 2 is found, as before), and a row of
 * another resident matching that key must be sent. So a match of an old
 * key is told apart by the resident its signal was about: the accepted
 * entry of that signal in the audit log (written in the same transaction
 * as the key) carries this daemon's resident key (case_key: the keyed
 * hash of the canonical identity, sh_audit_case_key), which is compared
 * with the row's. The log is read once, at the first such match of a
 * run, into a table of (message id, resident key) of accepted signals of
 * types with a natural key; nothing of it is stored. Where the resident
 * of the earlier signal cannot be known (no audit log, no accepted entry,
 * or one without a resident key, the row's identity incomplete), the
 * match counts as sent before, as it did: never sent twice. Keys written
 * now are of form 3 and name the resident themselves. */

struct nk_res {
	uint8_t id[SH_ID_LEN];
	uint8_t resident[16]; /* the first 16 bytes of the resident key */
};

struct sh_nk_residents {
	struct nk_res *e;
	size_t n, cap;
};

static int nk_res_cmp(const void *a, const void *b)
{
	return memcmp(a, b, SH_ID_LEN);
}

struct nk_res_scan {
	sh_daemon *d;
	struct sh_nk_residents *r;
};

static int nk_res_collect(void *ctx, uint64_t index, const uint8_t *bytes,
                          size_t len, const Seinhuis__AuditEntry *e)
{
	struct nk_res_scan *sc = ctx;
	(void)index, (void)bytes, (void)len;
	if (!e || e->event != SEINHUIS__AUDIT_EVENT__AUDIT_ACCEPTED ||
	    e->message_id.len != SH_ID_LEN || e->case_key.len != 32)
		return 0;
	const sh_type_rule *tr = sh_catalogue_type(&sc->d->cat, e->type);
	if (!tr || !tr->natural_key[0])
		return 0;
	struct sh_nk_residents *r = sc->r;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->e = realloc(r->e, r->cap * sizeof(*r->e));
		if (!r->e)
			abort();
	}
	memcpy(r->e[r->n].id, e->message_id.data, SH_ID_LEN);
	memcpy(r->e[r->n].resident, e->case_key.data, 16);
	r->n++;
	return 0;
}

void sh_natkey_residents_free(sh_daemon *d)
{
	if (!d->nk_residents)
		return;
	free(d->nk_residents->e);
	free(d->nk_residents);
	d->nk_residents = NULL;
}

/* Whether the earlier signal prev, found by a key of form 2 or 1, counts
 * as sent before for the row `fields`: 0 only when it is known to have
 * been about another resident (above). */
static int natkey_prev_same(sh_daemon *d, const uint8_t prev[SH_ID_LEN],
                            Seinhuis__Field **fields, size_t n)
{
	sh_audit *log = sh_audit_log(d);
	if (!log)
		return 1;
	if (!d->nk_residents) {
		int64_t t0 = sh_mono_ms();
		struct sh_nk_residents *r = sh_xcalloc(1, sizeof(*r));
		struct nk_res_scan sc = {d, r};
		if (sh_audit_scan(log, sh_store_txn(d->store), 0,
		                  nk_res_collect, &sc) != SH_OK)
			r->n = 0; /* nothing known: every match counts */
		qsort(r->e, r->n, sizeof(*r->e), nk_res_cmp);
		d->nk_residents = r;
		sh_info("natural keys: the store holds keys of an earlier "
		        "build, which name no resident; %zu accepted signals "
		        "read from the audit log to tell residents apart "
		        "(%lld ms)",
		        r->n, (long long)(sh_mono_ms() - t0));
	}
	const struct sh_nk_residents *r = d->nk_residents;
	const struct nk_res *hit =
	    r->n ? bsearch(prev, r->e, r->n, sizeof(*r->e), nk_res_cmp) : NULL;
	if (!hit)
		return 1;
	Seinhuis__Person person;
	uint8_t ck[32];
	sh_person_from_fields(&person, fields, n);
	if (!sh_audit_case_key(d, &person, ck))
		return 1;
	int same = memcmp(ck, hit->resident, sizeof(hit->resident)) == 0;
	sh_wipe(ck, sizeof(ck));
	return same;
}

/* Note a signal accepted under a consent in the consent's record, in the
 * turn: the retention sweep keeps an ended consent while the outbox still
 * holds a signal sent under it (seinhuisd.c, consent_retention). The ids
 * whose outbox record is gone already are dropped on the way. */
static sh_err consent_note_signal(sh_daemon *d, const char *ref_hex,
                                  const uint8_t id[SH_ID_LEN])
{
	uint8_t ref[16];
	Seinhuis__ConsentRecord *c = NULL;
	MDB_txn *txn = sh_store_txn(d->store);
	if (sh_unhex(ref, sizeof(ref), ref_hex) < 0 || !txn)
		return SH_ERR_STORE; /* (checked before: consent_valid) */
	sh_err e = sh_store_consent_get(d->store, txn, ref, &c);
	if (e != SH_OK)
		return e;
	ProtobufCBinaryData *ids =
	    sh_xmalloc((c->n_signal_ids + 1) * sizeof(*ids));
	size_t n = 0;
	for (size_t i = 0; i < c->n_signal_ids; i++) {
		uint64_t seq;
		if (c->signal_ids[i].len == SH_ID_LEN &&
		    sh_store_outbox_find(d->store, txn, c->signal_ids[i].data,
		                         &seq, NULL) == SH_OK)
			ids[n++] = c->signal_ids[i];
	}
	ids[n++] = (ProtobufCBinaryData){SH_ID_LEN, (uint8_t *)id};
	ProtobufCBinaryData *had = c->signal_ids;
	size_t nhad = c->n_signal_ids;
	c->signal_ids = ids;
	c->n_signal_ids = n;
	e = sh_store_consent_put(d->store, c);
	c->signal_ids = had; /* (what free_unpacked frees) */
	c->n_signal_ids = nhad;
	free(ids);
	seinhuis__consent_record__free_unpacked(c, NULL);
	return e;
}

/* The rest, on the main thread: pair keys, the natural-key look-up,
 * building if not done, consent, outbox entry. Drops s. */
static sh_err submit_finish(sh_daemon *d, sh_submit_prep *s,
                            Seinhuis__Field **fields, size_t n, char *idhex,
                            char *field, size_t fl, char *detail, size_t dl)
{
	sh_peer *p = s->p;
	Seinhuis__SignalType t = s->t;
	sh_err e;
	detail[0] = '\0';
	if (!s->checked)
		submit_check(d, s, fields, n);
	if ((e = s->policy_e) != SH_OK) {
		snprintf(field, fl, "%s", s->field);
		snprintf(detail, dl, "%s", s->detail);
		goto out;
	}
	if ((e = sh_peer_keys(d, p)) != SH_OK) {
		snprintf(field, fl, "recipient");
		goto out;
	}
	if (s->have_natkey) {
		if ((e = sh_daemon_txn(d)) != SH_OK)
			goto out;
		/* prepared without the old form, which the store may hold
		 * again (a turn that removed its last keys undone) */
		const sh_type_rule *tr = sh_catalogue_type(&d->cat, t);
		const char *vals[SH_TYPE_VALUES];
		int want_old = !s->have_natkey_old &&
		               sh_store_natkey_old_live(d->store),
		    want_pre3 =
		        !s->have_natkey2 && sh_store_natkey_pre3_live(d->store);
		if (want_old || want_pre3)
			sh_type_values(tr, fields, n, vals);
		if (want_old) {
			natkey_hash(d, s, tr, vals, fields, n, 1,
			            s->natkey_old);
			s->have_natkey_old = 1;
		}
		if (want_pre3) {
			natkey_hash(d, s, tr, vals, fields, n, 2, s->natkey2);
			s->have_natkey2 = 1;
		}
		uint8_t prev[SH_ID_LEN], odig[SH_NK_DIGEST_MAX];
		size_t olen = 0;
		MDB_txn *txn = sh_store_txn(d->store);
		/* A key of form 2 or 1 was put by an earlier build and names
		 * no resident: it counts only if its signal was about this
		 * row's resident (natkey_prev_same). */
		int dup = sh_store_natkey_get2(d->store, txn, s->natkey, prev,
		                               odig, &olen) == SH_OK;
		if (!dup && s->have_natkey2 &&
		    sh_store_natkey_get(d->store, txn, s->natkey2, prev) ==
		        SH_OK)
			dup = natkey_prev_same(d, prev, fields, n);
		if (!dup && s->have_natkey_old &&
		    sh_store_natkey_get(d->store, txn, s->natkey_old, prev) ==
		        SH_OK)
			dup = natkey_prev_same(d, prev, fields, n);
		if (dup) {
			char phex[33];
			sh_hex(phex, prev, SH_ID_LEN);
			char diff[200];
			snprintf(field, fl, "natural_key");
			/* (read by seinctl import: keep the words) */
			if (natkey_differs(sh_catalogue_type(&d->cat, t), s,
			                   odig, olen, diff, sizeof(diff)))
				snprintf(detail, dl,
				         "already accepted as %s, but differs "
				         "from what was sent in: %s",
				         phex, diff);
			else
				snprintf(detail, dl, "already accepted as %s",
				         phex);
			e = SH_ERR_DUPLICATE;
			goto out;
		}
	}
	if (!s->built)
		submit_build(d, s, fields, n, &d->build_arena);
	e = s->build_e;
	if (e != SH_OK) {
		snprintf(field, fl, "%s", s->build_field);
		if (e == SH_ERR_FIELD_VALUE)
			identity_why(fields, n, field, detail, dl);
	}
	/* A signal is sent in a frame of its own at the least: one that does
	 * not fit max_message would be dropped by the partner (and sent
	 * again, for ever). Sizes only in the detail: no value of it. */
	if (e == SH_OK && s->env.len > d->cfg.max_message - SH_FRAME_OVERHEAD) {
		e = SH_ERR_WIRE_SIZE;
		snprintf(field, fl, "signal");
		snprintf(detail, dl,
		         "sealed, it takes %zu bytes; a frame to a partner "
		         "holds at most %zu (max_message %zu less %d)",
		         s->env.len, d->cfg.max_message - SH_FRAME_OVERHEAD,
		         d->cfg.max_message, SH_FRAME_OVERHEAD);
	}
	const uint8_t *subject = s->note.subject;
	int have_subject = s->note.has_subject;
	uint8_t answered[SH_PSEUDO_LEN];
	if (e == SH_OK && t == SEINHUIS__SIGNAL_TYPE__STATUS_FEEDBACK) {
		snprintf(field, fl, "signal_id");
		e = feedback_target(d, p, fields, n, s->note.legal_basis,
		                    answered, &have_subject, detail, dl);
		subject = answered;
		/* The feedback names no resident on the wire, but its audit
		 * entries carry the pseudonym of the resident it tells the
		 * creditor about: `audit subject` lists it among the
		 * disclosures made about them. */
		if (e == SH_OK && have_subject) {
			memcpy(s->note.subject, answered, SH_PSEUDO_LEN);
			s->note.has_subject = 1;
		}
	}
	if (e == SH_OK && t == SEINHUIS__SIGNAL_TYPE__VT_NOTICE) {
		snprintf(field, fl, "report_id");
		e = sh_notice_target(d, p, fields, n, detail, dl);
		char today[11];
		sh_today(today);
		if (e == SH_OK)
			e = sh_notice_screen(d, fields, n, today, field, fl,
			                     detail, dl);
	}
	if (e == SH_OK && strcmp(s->note.legal_basis, "consent") == 0 &&
	    t != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION) {
		snprintf(field, fl, "consent_ref");
		e = consent_valid(d, p, sh_catalogue_type(&d->cat, t), fields,
		                  n, s->note.consent_ref, subject,
		                  have_subject ? SH_PSEUDO_LEN : 0, detail, dl);
	}
	if (e == SH_OK)
		e = sh_daemon_txn(d);
	if (e)
		goto out;
	Seinhuis__OutboxRecord rec = SEINHUIS__OUTBOX_RECORD__INIT;
	rec.message_id.data = s->id;
	rec.message_id.len = SH_ID_LEN;
	rec.recipient = p->card.partner;
	rec.type = t;
	rec.state = SEINHUIS__OUT_STATE__OUT_PENDING;
	rec.created_ms = sh_now_ms();
	rec.envelope.data = s->env.data;
	rec.envelope.len = s->env.len;
	rec.signal_sha256.data = s->note.signal_sha256;
	rec.signal_sha256.len = sizeof(s->note.signal_sha256);
	if (s->have_natkey) {
		rec.natural_key.data = s->natkey;
		rec.natural_key.len = SH_KEY_LEN;
	}
	uint64_t seq;
	e = sh_store_outbox_add(d->store, &rec, &seq);
	if (e == SH_OK && s->have_natkey)
		e = sh_store_natkey_put2(d->store, s->natkey, s->id, s->digest,
		                         s->dlen);
	if (e == SH_OK && strcmp(s->note.legal_basis, "consent") == 0 &&
	    t != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION)
		e = consent_note_signal(d, s->note.consent_ref, s->id);
	if (e) {
		sh_daemon_txn_fail(d, e);
		snprintf(field, fl, "store");
		goto out;
	}
	sh_audit_note_accepted(d, s->id, p, t, &s->note);
	sh_defer *df = sh_defer_add(d, DEFER_ENQUEUE);
	df->peer = p;
	df->seq = seq;
	memcpy(df->id, s->id, SH_ID_LEN);
	/* kept for the first send, if the commit succeeds (finish_turn) */
	df->env = sh_outq_env_keep(d, p, s->env.data, s->env.len, t, &s->note);
	sh_hex(idhex, s->id, SH_ID_LEN);
out:
	submit_drop(s);
	return e;
}

/* Policy check, build, consent check and outbox entry, in the turn's
 * transaction. Used for signals from seinctl and from the daemon itself. */
sh_err sh_daemon_submit(sh_daemon *d, sh_peer *p, Seinhuis__SignalType t,
                        Seinhuis__Field **fields, size_t n, char *idhex,
                        char *field, size_t fl, char *detail, size_t dl)
{
	sh_submit_prep s;
	submit_init(&s, p, t);
	return submit_finish(d, &s, fields, n, idhex, field, fl, detail, dl);
}

static int type_has_field(const sh_type_rule *tr, const char *name)
{
	for (size_t i = 0; i < tr->nfields; i++)
		if (strcmp(tr->fields[i].name, name) == 0)
			return 1;
	return 0;
}

static int four_digits(const char *v)
{
	return strlen(v) == 4 && strspn(v, "0123456789") == 4;
}

/* The municipality of a signal to s->p: the one its postcode lies in (by
 * the postcode table, if one is loaded), and municipality_code if given.
 * A given code the postcode contradicts is refused (the statistics would
 * count the resident elsewhere), and so, when the recipient was named and
 * its card lists the municipalities it serves, is a signal of another one
 * (personal data for a municipality's team that does not serve the
 * resident). Where the type has the field and none is given, the code the
 * postcode lies in is filled in, so that a team acting for several
 * municipalities can tell them apart (seinctl case monitor
 * --municipality). A code not of four digits, or given twice, is the
 * policy check's (FIELD_FORMAT). A refusal goes into s. */
static void signal_muni(sh_daemon *d, const Seinhuis__CtlRequest *q,
                        sh_submit_prep *s, int named)
{
	const sh_card *card = &s->p->card;
	const char *pc = sh_field_value(q->fields, q->n_fields, "postcode");
	const char *muni =
	    pc && d->routes.n ? sh_routes_find(&d->routes, pc) : NULL;
	const char *given = NULL;
	for (size_t i = 0; i < q->n_fields; i++)
		if (strcmp(q->fields[i]->name, "municipality_code") == 0 &&
		    q->fields[i]->value[0]) {
			given = q->fields[i]->value;
			if (four_digits(given) && muni && strcmp(given, muni)) {
				s->refuse_e = SH_ERR_ROUTE;
				snprintf(s->refuse_msg, sizeof(s->refuse_msg),
				         "field 'municipality_code': the "
				         "postcode lies in municipality %.4s, "
				         "not in the one given",
				         muni);
				return;
			}
		}
	const char *mc = given && four_digits(given) ? given : muni;
	if (named && card->municipalities[0] && mc &&
	    !sh_card_serves(card, mc)) {
		s->refuse_e = SH_ERR_ROUTE;
		snprintf(s->refuse_msg, sizeof(s->refuse_msg),
		         "field '%s': the resident's municipality is %.4s, "
		         "and partner %.64s serves %.100s",
		         mc == given ? "municipality_code" : "postcode", mc,
		         card->partner, card->municipalities);
		return;
	}
	const sh_type_rule *tr = sh_catalogue_type(&d->cat, s->t);
	if (given || !muni || !tr || !type_has_field(tr, "municipality_code") ||
	    strlen(muni) >= sizeof(s->muni))
		return;
	size_t n = q->n_fields, k = 0;
	Seinhuis__Field **f = sh_xmalloc((n + 1) * sizeof(*f));
	for (size_t i = 0; i < n; i++) /* an empty one is left out */
		if (strcmp(q->fields[i]->name, "municipality_code") != 0)
			f[k++] = q->fields[i];
	snprintf(s->muni, sizeof(s->muni), "%s", muni);
	seinhuis__field__init(&s->muni_field);
	s->muni_field.name = "municipality_code";
	s->muni_field.value = s->muni;
	f[k++] = &s->muni_field;
	s->own_fields = s->fields = f;
	s->nfields = k;
}

/* op_send's first part: the type and the recipient (by name, or routed by
 * the resident's postcode). Reads tables only; a refusal is kept in s. */
static void send_resolve(sh_daemon *d, const Seinhuis__CtlRequest *q,
                         sh_submit_prep *s)
{
	Seinhuis__SignalType t = sh_signal_type_parse(q->type);
	submit_init(s, NULL, t);
	s->fields = q->fields;
	s->nfields = q->n_fields;
#define REFUSE(code, ...)                                                      \
	do {                                                                   \
		s->refuse_e = (code);                                          \
		snprintf(s->refuse_msg, sizeof(s->refuse_msg), __VA_ARGS__);   \
		return;                                                        \
	} while (0)
	if (t == SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED ||
	    t == SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION) {
		/* the name is repeated only if it is a type's: it may be
		 * anything a client sent */
		char types[96] = ""; /* the five types take 62 */
		for (size_t i = 0; i < d->cat.ntypes; i++) {
			Seinhuis__SignalType k = d->cat.types[i].type;
			if (k == SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION)
				continue;
			size_t l = strlen(types);
			snprintf(types + l, sizeof(types) - l, "%s%s",
			         l ? ", " : "", sh_signal_type_name(k));
		}
		REFUSE(SH_ERR_TYPE,
		       "the signal type %s%s%s is not one that can be sent "
		       "(the catalogue's: %s)",
		       t ? "'" : "", t ? sh_signal_type_name(t) : "given",
		       t ? "'" : "", types);
	}
	sh_peer *p = NULL;
	int named = 0;
	if (!q->recipient[0] || strcmp(q->recipient, "auto") == 0) {
		/* Route by the resident's postcode to the municipality. */
		const sh_type_rule *tr = sh_catalogue_type(&d->cat, t);
		const char *pc =
		    sh_field_value(q->fields, q->n_fields, "postcode");
		const char *muni = pc ? sh_routes_find(&d->routes, pc) : NULL;
		char role[32] = "";
		if (tr)
			sscanf(tr->recipients, "%31s", role);
		const sh_card *also = NULL;
		const sh_card *card =
		    muni ? sh_route_partner(&d->trust, role, muni, &also)
		         : NULL;
		char norm[7];
		if (pc && sh_postcode_norm(pc, norm, 0) < 0)
			/* A malformed postcode is the field's fault, not the
			 * table's: say so with the catalogue's rule. */
			REFUSE(SH_ERR_FIELD_FORMAT,
			       "field 'postcode': must be a Dutch postcode: "
			       "four digits and two letters");
		if (!muni)
			REFUSE(SH_ERR_ROUTE, "field 'postcode': %s",
			       !d->routes.n ? "no postcode table is loaded "
			                      "(postcode_table); give --to"
			       : pc         ? "the postcode table names no "
			                      "municipality for it"
			                    : "needed to route the signal");
		if (!card)
			REFUSE(SH_ERR_ROUTE,
			       "municipality %s has no trusted %s partner card",
			       muni, role);
		if (also) {
			/* named in a fixed order, whatever the directory's */
			int swap = strcmp(card->partner, also->partner) > 0;
			REFUSE(SH_ERR_ROUTE,
			       "municipality %s is served by two trusted %s "
			       "cards, '%s' and '%s': give --to, or have "
			       "one no longer list it",
			       muni, role, (swap ? also : card)->partner,
			       (swap ? card : also)->partner);
		}
		p = sh_peer_find(d, card->partner);
	} else {
		p = sh_peer_find(d, q->recipient);
		named = 1;
	}
	if (!p)
		/* not repeated: a CSV column "to" may hold anything */
		REFUSE(SH_ERR_UNTRUSTED,
		       "the recipient given (--to, or the row's column "
		       "'to') is not a partner in the trust store; "
		       "'seinkey list' shows the partners");
#undef REFUSE
	s->p = p;
	signal_muni(d, q, s, named);
}

/* All that can be done of a send request before the store (see prep.c):
 * resolve, check, and build if the pair keys are ready. */
static void send_prepare(sh_daemon *d, const Seinhuis__CtlRequest *q,
                         sh_submit_prep *s, sh_arena *build)
{
	send_resolve(d, q, s);
	if (s->refuse_e)
		return;
	submit_check(d, s, s->fields, s->nfields);
	/* The main thread commits right after: it builds then, after the
	 * natural-key look-up (a re-sent row costs no build). The helper
	 * builds ahead: the natural keys' index is the main thread's
	 * (store.c), so a re-imported row is built here and then skipped. */
	if (!build || s->policy_e || !s->p->keys_ready)
		return;
	submit_build(d, s, s->fields, s->nfields, build);
}

/* pre: what send_prepare made of q, or NULL (done here, then). */
static void op_send(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q,
                    sh_submit_prep *pre)
{
	sh_submit_prep own;
	if (!pre) {
		send_resolve(d, q, &own);
		pre = &own;
	}
	if (pre->refuse_e) {
		sh_ctl_refuse(d, c, pre->refuse_e, "%s", pre->refuse_msg);
		submit_drop(pre);
		return;
	}
	char idhex[33], field[128], detail[300];
	if (sh_daemon_store_full(d) || !sh_daemon_write_ok(d)) {
		sh_ctl_refuse(d, c, SH_ERR_STORE_FULL,
		              "%s; nothing was accepted",
		              sh_err_str(SH_ERR_STORE_FULL));
		submit_drop(pre);
		return;
	}
	sh_err e = submit_finish(d, pre, pre->fields, pre->nfields, idhex,
	                         field, sizeof(field), detail, sizeof(detail));
	if (e) {
		sh_ctl_refuse(d, c, e, "field '%s': %s", field,
		              detail[0] ? detail : sh_err_str(e));
		return;
	}
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.message_id = idhex;
	sh_ctl_reply(d, c, &r, 1);
}

/* Which of the request's field names its type does not have, by place:
 * seinctl import checks a file's header with it before sending a row.
 * Names only, no values; nothing is sent, nothing recorded. */
static void op_fields_check(sh_daemon *d, sh_ctl_conn *c,
                            const Seinhuis__CtlRequest *q)
{
	const sh_type_rule *t =
	    sh_catalogue_type(&d->cat, sh_signal_type_parse(q->type));
	if (!t) {
		sh_ctl_refuse(d, c, SH_ERR_TYPE,
		              "the signal type given is not one in the "
		              "catalogue");
		return;
	}
	uint32_t *unknown = sh_xmalloc((q->n_fields + 1) * sizeof(*unknown));
	size_t n = 0;
	for (size_t i = 0; i < q->n_fields; i++)
		if (!sh_type_has_field(t, q->fields[i]->name))
			unknown[n++] = (uint32_t)(i + 1);
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.n_unknown_fields = n;
	r.unknown_fields = unknown;
	sh_ctl_reply(d, c, &r, 0);
	free(unknown);
}

/* ----------------------------------------------------------- consent */

static void op_consent_grant(sh_daemon *d, sh_ctl_conn *c,
                             Seinhuis__CtlRequest *q)
{
	sh_peer *p = sh_peer_find(d, q->recipient);
	char today[11];
	sh_today(today);
	if (!p) {
		sh_ctl_refuse(d, c, SH_ERR_UNTRUSTED,
		              "the recipient given (--to) is not a partner in "
		              "the trust store; 'seinkey list' shows the "
		              "partners");
		return;
	}
	if (!sh_partner_id_valid(q->purpose)) {
		sh_ctl_refuse(d, c, SH_ERR_USAGE,
		              "purpose is one word, e.g. referral");
		return;
	}
	/* A consent no signal could use (a purpose mistyped, or one for
	 * which this daemon sends the partner nothing under consent) would
	 * only surface later as a CONSENT refusal. The purposes usable: of
	 * the catalogue's types this daemon may send that partner under
	 * consent. */
	char usable[400] = "";
	int known = 0;
	for (size_t i = 0; i < d->cat.ntypes; i++) {
		const sh_type_rule *t = &d->cat.types[i];
		/* (a revocation goes under the consent it revokes) */
		if (t->type == SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION ||
		    !sh_role_in(t->bases, "consent") ||
		    !sh_role_in(t->senders, d->self.card.role) ||
		    !sh_role_in(t->recipients, p->card.role))
			continue;
		known |= sh_consent_purpose_usable(t, q->purpose);
		sh_consent_purposes_add(t, usable, sizeof(usable));
	}
	if (!known) {
		sh_ctl_refuse(d, c, SH_ERR_CONSENT,
		              "--purpose: no signal this daemon may send "
		              "'%s' uses a consent for the purpose given "
		              "(the catalogue's purposes for it: %s)",
		              p->card.partner, usable[0] ? usable : "none");
		return;
	}
	const char *from = q->valid_from[0] ? q->valid_from : today;
	int from_ok = sh_date_ok(from);
	int until_ok =
	    !q->valid_until[0] ||
	    (sh_date_ok(q->valid_until) && strcmp(q->valid_until, from) >= 0);
	if (!from_ok || !until_ok) {
		sh_ctl_refuse(d, c, SH_ERR_USAGE,
		              "--%s: dates are calendar dates YYYY-MM-DD, and "
		              "the end is not before the start",
		              from_ok ? "until" : "from");
		return;
	}
	Seinhuis__Person person;
	char why[160];
	sh_err e = sh_consent_identifiers(&d->cat, q->fields, q->n_fields,
	                                  today, &person, why, sizeof(why));
	if (e != SH_OK) {
		sh_ctl_refuse(d, c, e, "%s", why);
		return;
	}
	char canon[300];
	e = sh_canonical_identity(&person, canon, sizeof(canon));
	if (e) {
		const char *bad = sh_canonical_why(&person, canon);
		sh_ctl_refuse(d, c, e, "field '%s': %s", canon,
		              bad ? bad : sh_err_str(e));
		return;
	}
	if ((e = sh_peer_keys(d, p)) != SH_OK) {
		sh_wipe(canon, sizeof(canon));
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
		return;
	}
	uint8_t ref[16], subject[SH_PSEUDO_LEN], resident[32];
	sh_pseudonym(subject, p->keys.pseudo_key, canon);
	int have_resident = d->auditd != NULL;
	if (have_resident)
		sh_audit_case_key_canon(d, canon, resident);
	sh_wipe(canon, sizeof(canon));
	if ((e = sh_random(ref, sizeof(ref))) || (e = sh_daemon_txn(d))) {
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
		return;
	}
	Seinhuis__ConsentRecord rec = SEINHUIS__CONSENT_RECORD__INIT;
	rec.ref.data = ref;
	rec.ref.len = sizeof(ref);
	rec.recipient = p->card.partner;
	rec.subject.data = subject;
	rec.subject.len = sizeof(subject);
	rec.purpose = q->purpose;
	rec.valid_from = (char *)from;
	rec.valid_until = q->valid_until;
	rec.granted_ms = sh_now_ms();
	rec.signals_noted = !d->consent_unnoted; /* (consent_note_signal) */
	if ((e = sh_store_consent_put(d->store, &rec)) != SH_OK) {
		sh_daemon_txn_fail(d, e);
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
		return;
	}
	char refhex[33];
	sh_hex(refhex, ref, sizeof(ref));
	char what[120];
	snprintf(what, sizeof(what), "purpose %s", q->purpose);
	if ((e = sh_audit_consent(
	         d, c, SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_GRANTED, ref,
	         p->card.partner, subject, have_resident ? resident : NULL,
	         "granted", what)) != SH_OK) {
		sh_daemon_txn_fail(d, e);
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
		return;
	}
	sh_info("consent %s granted for %s, purpose %s, by local user %d",
	        refhex, p->card.partner, q->purpose, (int)c->uid);
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.message_id = refhex;
	sh_ctl_reply(d, c, &r, 1);
}

static void op_consent_revoke(sh_daemon *d, sh_ctl_conn *c,
                              Seinhuis__CtlRequest *q)
{
	uint8_t ref[16];
	Seinhuis__ConsentRecord *rec = NULL;
	if (sh_unhex(ref, sizeof(ref), q->message_id) < 0) {
		sh_ctl_refuse(d, c, SH_ERR_USAGE,
		              "a consent reference is 32 hex digits");
		return;
	}
	for (char *r = q->message_id; *r; r++) /* one form, as granted */
		*r = (char)tolower((unsigned char)*r);
	sh_err e = sh_daemon_txn(d);
	if (e == SH_OK)
		e = sh_store_consent_get(d->store, sh_store_txn(d->store), ref,
		                         &rec);
	if (e) {
		if (e != SH_ERR_NOTFOUND)
			sh_daemon_txn_fail(d, e);
		sh_ctl_refuse(
		    d, c, e, e == SH_ERR_NOTFOUND ? "no consent %s" : "%s",
		    e == SH_ERR_NOTFOUND ? q->message_id : sh_err_str(e));
		return;
	}
	if (rec->revoked_ms) {
		seinhuis__consent_record__free_unpacked(rec, NULL);
		sh_ctl_refuse(d, c, SH_ERR_CONSENT_REVOKED,
		              "consent %s was revoked "
		              "before",
		              q->message_id);
		return;
	}
	sh_peer *p = sh_peer_find(d, rec->recipient);
	char idhex[33] = "", field[64] = "", detail[300] = "", today[11];
	sh_today(today);
	/* The notice that tells the recipient, so that it stops delivering. */
	Seinhuis__Field f[3], *fp[3];
	const char *kv[3][2] = {{"legal_basis", "consent"},
	                        {"consent_ref", q->message_id},
	                        {"revoked_on", today}};
	for (int i = 0; i < 3; i++) {
		seinhuis__field__init(&f[i]);
		f[i].name = (char *)kv[i][0];
		f[i].value = (char *)kv[i][1];
		fp[i] = &f[i];
	}
	/* A notice the catalogue refuses is refused before anything is
	 * written: the revocation alone fails, naming the rule, and the
	 * other requests of this turn stand. */
	if (p && (e = sh_policy_check(
	              &d->cat, SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION,
	              d->self.card.role, p->card.role, fp, 3, today, field,
	              sizeof(field), detail, sizeof(detail))) != SH_OK) {
		sh_ctl_refuse(d, c, e,
		              "the revocation cannot be sent to %s (field "
		              "'%s': %s); the consent is not revoked",
		              rec->recipient, field,
		              detail[0] ? detail : sh_err_str(e));
		seinhuis__consent_record__free_unpacked(rec, NULL);
		return;
	}
	rec->revoked_ms = sh_now_ms();
	e = sh_store_consent_put(d->store, rec);
	if (e == SH_OK)
		e = sh_audit_consent(
		    d, c, SEINHUIS__AUDIT_EVENT__AUDIT_CONSENT_REVOKED, ref,
		    rec->recipient,
		    rec->subject.len == SH_PSEUDO_LEN ? rec->subject.data
		                                      : NULL,
		    NULL, "revoked", "");
	if (e == SH_OK && p) {
		e = sh_daemon_submit(
		    d, p, SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION, fp, 3,
		    idhex, field, sizeof(field), detail, sizeof(detail));
	}
	/* What waits under it and was not sent yet is failed now, in this
	 * turn (CONSENT_REVOKED); one sent already awaits its receipt, and
	 * the revocation, sent after it, removes it at the recipient. */
	if (e == SH_OK && p)
		e = sh_peer_fail_consent(d, p, ref);
	seinhuis__consent_record__free_unpacked(rec, NULL);
	if (e) {
		sh_daemon_txn_fail(d, e);
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
		return;
	}
	sh_info("consent %s revoked by local user %d; revocation %s sent",
	        q->message_id, (int)c->uid, idhex[0] ? idhex : "not");
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.message_id = idhex;
	sh_ctl_reply(d, c, &r, 1);
}

struct consent_ctx {
	Seinhuis__CtlReply *r;
};

static int consent_one(void *vctx, const Seinhuis__ConsentRecord *rec)
{
	struct consent_ctx *cc = vctx;
	Seinhuis__ConsentItem *it = sh_xmalloc(sizeof(*it));
	seinhuis__consent_item__init(it);
	char hex[65];
	sh_hex(hex, rec->ref.data, rec->ref.len > 16 ? 16 : rec->ref.len);
	it->ref = sh_strdup(hex);
	sh_hex(hex, rec->subject.data,
	       rec->subject.len > 32 ? 32 : rec->subject.len);
	it->subject = sh_strdup(hex);
	it->recipient = sh_strdup(rec->recipient);
	it->purpose = sh_strdup(rec->purpose);
	it->valid_from = sh_strdup(rec->valid_from);
	it->valid_until = sh_strdup(rec->valid_until);
	it->granted_ms = rec->granted_ms;
	it->revoked_ms = rec->revoked_ms;
	cc->r->consents =
	    realloc(cc->r->consents,
	            (cc->r->n_consents + 1) * sizeof(*cc->r->consents));
	cc->r->consents[cc->r->n_consents++] = it;
	return 0;
}

static void op_consent_list(sh_daemon *d, sh_ctl_conn *c)
{
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	struct consent_ctx cc = {&r};
	MDB_txn *txn = sh_store_read_begin(d->store);
	sh_err e = txn ? sh_store_consent_scan(d->store, txn, consent_one, &cc)
	               : SH_ERR_STORE;
	sh_store_read_end(d->store, txn);
	if (e == SH_OK) {
		r.ok = 1;
		sh_ctl_reply(d, c, &r, 0);
	} else {
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	}
	for (size_t i = 0; i < r.n_consents; i++)
		seinhuis__consent_item__free_unpacked(r.consents[i], NULL);
	free(r.consents);
}

static int quarantine_one(void *vctx, const Seinhuis__QuarantineRecord *rec)
{
	Seinhuis__CtlReply *r = vctx;
	Seinhuis__QuarantineItem *it = sh_xmalloc(sizeof(*it));
	seinhuis__quarantine_item__init(it);
	char hex[33] = "";
	if (rec->message_id.len == SH_ID_LEN)
		sh_hex(hex, rec->message_id.data, SH_ID_LEN);
	it->message_id = sh_strdup(hex);
	it->sender = sh_strdup(rec->sender);
	it->type = sh_strdup(sh_signal_type_name(rec->type));
	it->received_ms = rec->received_ms;
	it->rule = sh_strdup(rec->rule);
	it->detail = sh_strdup(rec->detail);
	r->quarantine = realloc(r->quarantine,
	                        (r->n_quarantine + 1) * sizeof(*r->quarantine));
	r->quarantine[r->n_quarantine++] = it;
	return r->n_quarantine >= 100000;
}

static void op_quarantine_list(sh_daemon *d, sh_ctl_conn *c)
{
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	MDB_txn *txn = sh_store_read_begin(d->store);
	sh_err e =
	    txn ? sh_store_quarantine_scan(d->store, txn, quarantine_one, &r)
	        : SH_ERR_STORE;
	sh_store_read_end(d->store, txn);
	if (e == SH_OK) {
		r.ok = 1;
		sh_ctl_reply(d, c, &r, 0);
	} else {
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	}
	for (size_t i = 0; i < r.n_quarantine; i++)
		seinhuis__quarantine_item__free_unpacked(r.quarantine[i], NULL);
	free(r.quarantine);
}

/* QUARANTINE_REMOVE: an administrator removes one quarantined signal
 * (its envelope holds the resident's sealed data); audited as a
 * quarantined entry with outcome "removed", with the user and role. */
static void op_quarantine_remove(sh_daemon *d, sh_ctl_conn *c,
                                 Seinhuis__CtlRequest *q)
{
	uint8_t id[SH_ID_LEN];
	if (sh_unhex(id, SH_ID_LEN, q->message_id) < 0)
		return sh_ctl_refuse(d, c, SH_ERR_USAGE,
		                     "a message id is 32 hex digits");
	Seinhuis__QuarantineRecord *rec = NULL;
	sh_err e = sh_daemon_txn(d);
	if (e == SH_OK)
		e = sh_store_quarantine_find(d->store, sh_store_txn(d->store),
		                             id, &rec);
	if (e == SH_ERR_NOTFOUND)
		return sh_ctl_refuse(d, c, e, "no signal %s in quarantine",
		                     q->message_id);
	if (e == SH_OK)
		e = sh_store_quarantine_del(d->store, id);
	if (e == SH_OK) {
		char name[80];
		Seinhuis__AuditEntry en = SEINHUIS__AUDIT_ENTRY__INIT;
		en.event = SEINHUIS__AUDIT_EVENT__AUDIT_QUARANTINED;
		en.outcome = "removed";
		en.message_id.data = id;
		en.message_id.len = SH_ID_LEN;
		en.partner = rec->sender;
		en.type = rec->type;
		en.detail =
		    "removed from quarantine by seinctl quarantine remove";
		sh_audit_set_caller(&en, c, name, sizeof(name));
		e = sh_audit_record(d, &en);
	}
	if (rec)
		seinhuis__quarantine_record__free_unpacked(rec, NULL);
	if (e) {
		sh_daemon_txn_fail(d, e);
		return sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	}
	sh_info("quarantine: %s removed by local user %d", q->message_id,
	        (int)c->uid);
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.message_id = q->message_id;
	sh_ctl_reply(d, c, &r, 1);
}

/* ----------------------------------------------------------- outbox */

static const char *out_state_name(Seinhuis__OutState s)
{
	switch (s) {
	case SEINHUIS__OUT_STATE__OUT_PENDING: return "pending";
	case SEINHUIS__OUT_STATE__OUT_DELIVERED: return "delivered";
	case SEINHUIS__OUT_STATE__OUT_FAILED: return "failed";
	default: return "unknown";
	}
}

/* A reply stays well inside one control frame (SH_CTL_MAX_FRAME); a
 * longer inbox listing comes in pages, continued from next_index.
 *
 * For tests only: SEINHUIS_TEST_LIST_PAGE_BYTES in the daemon's
 * environment at start makes the pages (also CASE_LIST's, cases.c) smaller (1
 * to LIST_PAGE_BYTES bytes; a page holds at least one signal, so 1 gives a page
 * a signal), so that a test of a few signals crosses page boundaries. It is no
 * configuration setting: a value outside that range is ignored with a
 * warning, and a daemon that uses one says so in its log. */
#define LIST_PAGE_BYTES (4u << 20)

static void list_page_start(sh_daemon *d)
{
	d->list_page_bytes = LIST_PAGE_BYTES;
	const char *v = getenv("SEINHUIS_TEST_LIST_PAGE_BYTES");
	if (!v || !v[0])
		return;
	uint32_t n;
	if (sh_parse_u32(v, 1, LIST_PAGE_BYTES, &n) != 0) {
		sh_warn("SEINHUIS_TEST_LIST_PAGE_BYTES is not a number from 1 "
		        "to %u: ignored; inbox listings come in pages of %u "
		        "bytes",
		        LIST_PAGE_BYTES, LIST_PAGE_BYTES);
		return;
	}
	d->list_page_bytes = n;
	sh_warn("SEINHUIS_TEST_LIST_PAGE_BYTES=%u: inbox listings come in "
	        "pages of %u bytes instead of %u (a setting for tests), case "
	        "listings too",
	        n, n, LIST_PAGE_BYTES);
}

struct list_ctx {
	Seinhuis__CtlReply *r;
	const char *state;
	size_t limit;
	sh_daemon *d;
	size_t bytes;
};

static int outbox_one(void *vctx, uint64_t seq,
                      const Seinhuis__OutboxRecord *rec)
{
	struct list_ctx *c = vctx;
	const char *st = out_state_name(rec->state);
	if (c->state[0] && strcmp(c->state, st) != 0)
		return 0;
	Seinhuis__OutboxItem *it = sh_xmalloc(sizeof(*it));
	seinhuis__outbox_item__init(it);
	char idhex[33];
	sh_hex(idhex, rec->message_id.data, SH_ID_LEN);
	it->message_id = sh_strdup(idhex);
	it->recipient = sh_strdup(rec->recipient);
	it->type = sh_strdup(sh_signal_type_name(rec->type));
	it->state = sh_strdup(st);
	it->attempts = rec->attempts;
	sh_outq_entry *e = sh_idmap_get(&c->d->pending, rec->message_id.data);
	if (e && e->attempts > it->attempts)
		it->attempts = e->attempts;
	it->created_ms = rec->created_ms;
	it->done_ms = rec->done_ms;
	it->rule = sh_strdup(rec->rule);
	it->detail = sh_strdup(rec->detail);
	it->feedback_status = sh_strdup(rec->feedback_status);
	it->feedback_ms = rec->feedback_ms;
	c->r->outbox =
	    realloc(c->r->outbox, (c->r->n_outbox + 1) * sizeof(*c->r->outbox));
	c->r->outbox[c->r->n_outbox++] = it;
	c->bytes += seinhuis__outbox_item__get_packed_size(it);
	if (c->bytes >= 3 * LIST_PAGE_BYTES) {
		c->r->next_index = seq ? seq : 1; /* cut short: newest first */
		return 1;
	}
	return c->r->n_outbox >= c->limit;
}

static size_t limit_of(const Seinhuis__CtlRequest *q)
{
	return q->limit ? q->limit : 1000;
}

static void free_reply_lists(Seinhuis__CtlReply *r)
{
	for (size_t i = 0; i < r->n_outbox; i++)
		seinhuis__outbox_item__free_unpacked(r->outbox[i], NULL);
	free(r->outbox);
	for (size_t i = 0; i < r->n_inbox; i++)
		seinhuis__inbox_item__free_unpacked(r->inbox[i], NULL);
	free(r->inbox);
	r->outbox = NULL;
	r->inbox = NULL;
	r->n_outbox = r->n_inbox = 0;
}

static void op_outbox(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	if (q->state[0] && strcmp(q->state, "pending") &&
	    strcmp(q->state, "delivered") && strcmp(q->state, "failed"))
		return sh_ctl_refuse(
		    d, c, SH_ERR_USAGE,
		    "state must be pending, delivered or failed");
	struct list_ctx lc = {&r, q->state, limit_of(q), d, 0};
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		return sh_ctl_refuse(d, c, SH_ERR_STORE,
		                     "cannot read the store");
	sh_err e = sh_store_outbox_scan(d->store, txn, 1, outbox_one, &lc);
	sh_store_read_end(d->store, txn);
	if (e) {
		free_reply_lists(&r);
		return sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	}
	r.ok = 1;
	sh_ctl_reply(d, c, &r, 0);
	free_reply_lists(&r);
}

/* ------------------------------------------------------------ inbox */

/* Whether a stored signal still proves its sender, checked now against
 * the signing keys the trust store has known for the sender (its card,
 * and the cards seinkey trust replaced: keyhist.c): signed alone, or by
 * its batch's signature with its audit path; and by which key. The key
 * noted at receipt is tried first. it->signing_key: that key's
 * fingerprint. */
static void signature_note(sh_daemon *d, const Seinhuis__InboxRecord *rec,
                           Seinhuis__InboxItem *it)
{
	char out[768], how[120] = "", by[160] = "";
	sh_peer *p = sh_peer_find(d, rec->sender);
	Seinhuis__Envelope *env = seinhuis__envelope__unpack(
	    NULL, rec->envelope.len, rec->envelope.data);
	const uint8_t *noted =
	    rec->signing_key.len == SH_KEY_LEN ? rec->signing_key.data : NULL;
	if (env && env->batch_count)
		snprintf(how, sizeof(how),
		         "batch signature, signal %u of %u, audit path of %zu "
		         "hash%s",
		         env->batch_index + 1, env->batch_count,
		         env->n_batch_path, env->n_batch_path == 1 ? "" : "es");
	else if (env)
		snprintf(how, sizeof(how), "signed alone");
	/* a sender no longer trusted (revoked): by the cards that
	 * seinkey revoke kept in earlier/ */
	sh_keyhist *h = sh_xmalloc(sizeof(*h));
	sh_card *from = sh_xmalloc(sizeof(*from));
	int known = 0;
	h->why[0] = '\0';
	if (env && p) {
		*from = p->card;
		sh_keyhist_load(h, d->cfg.trustdir, from);
		known = 1;
	} else if (env) {
		known =
		    sh_keyhist_load_kept(h, d->cfg.trustdir, rec->sender, from);
	}
	if (!env) {
		snprintf(out, sizeof(out),
		         "not checked: the envelope does not "
		         "decode");
	} else if (!known) {
		snprintf(out, sizeof(out),
		         "not checked: the sender is no longer in the trust "
		         "store, and its " SH_EARLIER_CARDS "/ keeps none of "
		         "its cards%s%.200s",
		         h->why[0] ? "; " : "", h->why);
	} else {
		const sh_sign_key *k =
		    sh_keyhist_signer(h, &d->self, from, rec->envelope.data,
		                      rec->envelope.len, noted);
		char fp[17];
		int noted_ok = 0;
		if (!k && noted) {
			sh_card nc = *from;
			memcpy(nc.sign_pub, noted, SH_KEY_LEN);
			noted_ok =
			    sh_wire_signed_by(&d->self, &nc, rec->envelope.data,
			                      rec->envelope.len);
		}
		if (k) {
			sh_sign_key_note(by, sizeof(by), k);
			sh_key_fingerprint(fp, k->key);
			it->signing_key = sh_strdup(fp);
			snprintf(out, sizeof(out), "verified: %s, %s", how, by);
		} else if (noted_ok) {
			/* the key noted at receipt signed it, but the trust
			 * store no longer names that key (a card replaced
			 * by hand, not by seinkey trust) */
			sh_key_fingerprint(fp, noted);
			snprintf(out, sizeof(out),
			         "not proven: %s, by key %s as noted at "
			         "receipt, which no card in the trust store or "
			         "its " SH_EARLIER_CARDS "/ names%s%.200s",
			         how, fp, h->why[0] ? "; " : "", h->why);
		} else {
			snprintf(out, sizeof(out),
			         "DOES NOT VERIFY: %s (under none of the %zu "
			         "signing keys known for %s)%s%.200s",
			         how, h->n, from->partner,
			         h->why[0] ? "; " : "", h->why);
		}
	}
	free(h);
	free(from);
	if (env)
		seinhuis__envelope__free_unpacked(env, NULL);
	it->signature = sh_strdup(out);
}

/* The signal an inbox record holds, decoded; NULL if it does not decode.
 * (Its bytes fields are copies: the envelope is freed here.) */
static Seinhuis__Signal *inbox_signal(const Seinhuis__InboxRecord *rec)
{
	Seinhuis__Envelope *env = seinhuis__envelope__unpack(
	    NULL, rec->envelope.len, rec->envelope.data);
	Seinhuis__Signal *s = env ? seinhuis__signal__unpack(
	                                NULL, env->signal.len, env->signal.data)
	                          : NULL;
	if (env)
		seinhuis__envelope__free_unpacked(env, NULL);
	return s;
}

static Seinhuis__InboxItem *inbox_item(const Seinhuis__InboxRecord *rec)
{
	Seinhuis__InboxItem *it = sh_xmalloc(sizeof(*it));
	seinhuis__inbox_item__init(it);
	char hex[65];
	sh_hex(hex, rec->message_id.data, SH_ID_LEN);
	it->message_id = sh_strdup(hex);
	it->sender = sh_strdup(rec->sender);
	it->type = sh_strdup(sh_signal_type_name(rec->type));
	it->received_ms = rec->received_ms;
	it->received_us = rec->received_us;
	if (rec->case_key.len == SH_KEY_LEN) {
		sh_hex(hex, rec->case_key.data, SH_KEY_LEN);
		it->case_key = sh_strdup(hex);
	}
	it->consent_ref = sh_strdup(rec->consent_ref);
	Seinhuis__Signal *s = inbox_signal(rec);
	if (s) {
		it->created_ms = s->created_ms;
		if (s->subject.len == SH_PSEUDO_LEN) {
			sh_hex(hex, s->subject.data, SH_PSEUDO_LEN);
			it->subject = sh_strdup(hex);
		}
		it->legal_basis = sh_strdup(s->legal_basis);
		it->n_fields = sh_wire_clear_fields(s, &it->fields);
		seinhuis__signal__free_unpacked(s, NULL);
	}
	return it;
}

static int inbox_one(void *vctx, uint64_t seq, const Seinhuis__InboxRecord *rec)
{
	struct list_ctx *c = vctx;
	if (c->r->n_inbox >= c->limit)
		return 1;
	if (c->bytes >=
	    (c->d->list_page_bytes ? c->d->list_page_bytes : LIST_PAGE_BYTES)) {
		c->r->next_index = seq; /* more from here */
		return 1;
	}
	c->r->inbox =
	    realloc(c->r->inbox, (c->r->n_inbox + 1) * sizeof(*c->r->inbox));
	Seinhuis__InboxItem *it = inbox_item(rec);
	c->bytes += seinhuis__inbox_item__get_packed_size(it);
	c->r->inbox[c->r->n_inbox++] = it;
	return 0;
}

/* An acute meldcode report (acute unsafety: Veilig Thuis acts the same
 * day) must not wait below the structural ones that arrived before it.
 * On a daemon whose role receives meldcode reports, INBOX_LIST lists in
 * two passes over the inbox: the acute reports, then all the others,
 * each oldest first. The daemon orders, not seinctl, so that a limit and
 * the pages of a long list take the first signals of that order across
 * the whole inbox, and every listing (text, JSON, other tools) has the
 * same order. A page's next_index says where the next one continues:
 * the sequence number, with INBOX_REST set in the second pass. Other
 * daemons receive no signal that can be acute: one pass, arrival order,
 * with no report to decode. (INBOX_WAIT stays in the order of commits.)
 *
 * Each page is read in a transaction of its own, so an acute report can
 * arrive while a long listing is read. One that arrives during the first
 * pass comes after it in the inbox and is found there. One that arrives
 * once the first pass is over would be left out of both passes: so the
 * page that starts the second pass tells (acute_until) where the first
 * one ended, the caller passes that back, and the second pass lists an
 * acute report from there on where it finds it, marked acute and counted
 * in late_acute (seinctl then shows it with the other acute reports, and
 * says that it arrived meanwhile). late_acute_unlisted counts those
 * beyond the page's last signal, so that a listing cut short by a limit
 * can say that an acute report arrived that it does not show. */
#define INBOX_REST (UINT64_C(1) << 63)

static int acute_first(const sh_daemon *d)
{
	const sh_type_rule *t =
	    sh_catalogue_type(&d->cat, SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT);
	return t && sh_role_in(t->recipients, d->self.card.role);
}

/* The mark noted at receipt; a record of a version before the mark was
 * kept has none, and its report is decoded to know. */
static int inbox_acute(const Seinhuis__InboxRecord *rec)
{
	if (rec->type != SEINHUIS__SIGNAL_TYPE__MELDCODE_REPORT)
		return 0;
	if (rec->acute != SEINHUIS__ACUTE_MARK__ACUTE_UNNOTED)
		return rec->acute == SEINHUIS__ACUTE_MARK__ACUTE_YES;
	Seinhuis__Signal *s = inbox_signal(rec);
	int acute = s && sh_signal_acute(s) == SEINHUIS__ACUTE_MARK__ACUTE_YES;
	if (s)
		seinhuis__signal__free_unpacked(s, NULL);
	return acute;
}

struct order_ctx {
	struct list_ctx lc;
	int rest;             /* 0: the acute reports; 1: the others */
	uint64_t acute_until; /* the first pass ended below this (0: unknown) */
	uint64_t stop;        /* the signal this page stopped at (0: none) */
};

static int ordered_one(void *vctx, uint64_t seq,
                       const Seinhuis__InboxRecord *rec)
{
	struct order_ctx *o = vctx;
	int acute = inbox_acute(rec);
	int late = o->rest && acute && o->acute_until && seq >= o->acute_until;
	if (!o->rest)
		o->acute_until = seq + 1;
	if (acute == o->rest && !late)
		return 0; /* listed in the other pass */
	size_t n = o->lc.r->n_inbox;
	if (inbox_one(&o->lc, seq, rec)) {
		o->stop = seq;
		if (o->rest && o->lc.r->next_index)
			o->lc.r->next_index |= INBOX_REST;
		return 1;
	}
	o->lc.r->inbox[n]->acute = acute;
	o->lc.r->late_acute += (uint32_t)late;
	return 0;
}

/* Late acute reports (see above) beyond where a page of the second pass
 * stopped: new arrivals only, which carry the mark. */
static int late_one(void *vctx, uint64_t seq, const Seinhuis__InboxRecord *rec)
{
	(void)seq;
	uint32_t *n = vctx;
	*n += (uint32_t)inbox_acute(rec);
	return 0;
}

static void op_inbox_list(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	struct order_ctx o = {{&r, "", limit_of(q), d, 0},
	                      (q->start_index & INBOX_REST) != 0,
	                      q->acute_until,
	                      0};
	uint64_t from = q->start_index & ~INBOX_REST;
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		return sh_ctl_refuse(d, c, SH_ERR_STORE,
		                     "cannot read the store");
	sh_err e = SH_OK;
	if (!acute_first(d)) {
		e = sh_store_inbox_scan_from(d->store, txn, from, inbox_one,
		                             &o.lc);
	} else {
		if (!o.rest) /* the first pass reads on to the end from here */
			o.acute_until = from;
		/* the second pass starts from the first signal again */
		for (; e == SH_OK && o.rest < 2; o.rest++, from = 0) {
			e = sh_store_inbox_scan_from(d->store, txn, from,
			                             ordered_one, &o);
			if (o.stop || r.n_inbox >= o.lc.limit)
				break; /* the page is full */
		}
		if (e == SH_OK && o.rest == 1) {
			r.acute_until = o.acute_until;
			if (o.stop && o.acute_until)
				e = sh_store_inbox_scan_from(
				    d->store, txn,
				    o.stop > o.acute_until ? o.stop
				                           : o.acute_until,
				    late_one, &r.late_acute_unlisted);
		}
	}
	sh_store_read_end(d->store, txn);
	if (e) {
		free_reply_lists(&r);
		return sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	}
	r.ok = 1;
	sh_ctl_reply(d, c, &r, 0);
	free_reply_lists(&r);
}

/* INBOX_WAIT: a team's tool (seinctl inbox watch) learns of new signals
 * as soon as they are committed, without polling. The request is parked
 * here and answered by sh_control_waiters after a turn's commit, so what
 * it lists is on disk; the connection's later requests wait behind it. */
#define WAIT_DEFAULT_MS 30000
#define WAIT_MAX_MS     600000

static void op_inbox_wait(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	if (q->wait_ms > WAIT_MAX_MS)
		return sh_ctl_refuse(d, c, SH_ERR_USAGE,
		                     "wait_ms is at most %d (ten minutes)",
		                     WAIT_MAX_MS);
	c->waiting = 1;
	c->wait_from =
	    q->start_index ? q->start_index : sh_store_inbox_next(d->store);
	c->wait_until =
	    sh_mono_ms() + (q->wait_ms ? (int64_t)q->wait_ms : WAIT_DEFAULT_MS);
	c->wait_limit = (uint32_t)limit_of(q);
}

struct wait_ctx {
	struct list_ctx lc;
	uint64_t next;
};

static int wait_one(void *vctx, uint64_t seq, const Seinhuis__InboxRecord *rec)
{
	struct wait_ctx *w = vctx;
	int stop = inbox_one(&w->lc, seq, rec);
	if (!stop)
		w->next = seq + 1;
	return stop;
}

void sh_control_waiters(sh_daemon *d)
{
	MDB_txn *txn = NULL;
	int64_t now = sh_mono_ms();
	uint64_t next_in = sh_store_inbox_next(d->store);
	for (sh_ctl_conn *c = d->conns; c; c = c->next) {
		if (!c->waiting || c->closing)
			continue;
		if (c->wait_from >= next_in && now < c->wait_until)
			continue; /* nothing new, time left */
		if (!txn && !(txn = sh_store_read_begin(d->store)))
			return;
		Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
		struct wait_ctx w = {{&r, "", c->wait_limit, d, 0},
		                     c->wait_from};
		sh_err e = c->wait_from < next_in
		               ? sh_store_inbox_scan_from(
		                     d->store, txn, c->wait_from, wait_one, &w)
		               : SH_OK;
		/* signals taken meanwhile leave gaps; skip past them */
		if (e == SH_OK && r.n_inbox == 0 && now < c->wait_until) {
			c->wait_from = next_in;
			continue;
		}
		if (e == SH_OK && r.n_inbox == 0)
			w.next =
			    next_in > c->wait_from ? next_in : c->wait_from;
		c->waiting = 0;
		if (e) {
			r.ok = 0;
			r.rule = (char *)sh_err_rule(e);
			r.error = (char *)sh_err_str(e);
		} else {
			r.ok = 1;
			r.next_index = w.next;
		}
		sh_frame_append(&c->out, &r.base);
		free_reply_lists(&r);
	}
	if (txn)
		sh_store_read_end(d->store, txn);
}

long sh_control_wait_timeout(sh_daemon *d)
{
	long best = -1;
	int64_t now = sh_mono_ms();
	if (d->ctl_accept_paused_until > now)
		best = (long)(d->ctl_accept_paused_until - now);
	for (sh_ctl_conn *c = d->conns; c; c = c->next) {
		if (!c->waiting || c->closing)
			continue;
		long left =
		    c->wait_until > now ? (long)(c->wait_until - now) : 0;
		if (best < 0 || left < best)
			best = left;
	}
	return best;
}

static int parse_id(const char *hex, uint8_t id[SH_ID_LEN])
{
	return sh_unhex(id, SH_ID_LEN, hex);
}

static void op_inbox_show(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	uint8_t id[SH_ID_LEN];
	if (parse_id(q->message_id, id) < 0)
		return sh_ctl_refuse(d, c, SH_ERR_USAGE,
		                     "a message id is 32 hex digits");
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		return sh_ctl_refuse(d, c, SH_ERR_STORE,
		                     "cannot read the store");
	Seinhuis__InboxRecord *rec = NULL;
	sh_err e = sh_store_inbox_get(d->store, txn, id, &rec);
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	if (e == SH_OK) {
		r.ok = 1;
		r.n_inbox = 1;
		r.inbox = sh_xmalloc(sizeof(*r.inbox));
		r.inbox[0] = inbox_item(rec);
		signature_note(d, rec, r.inbox[0]);
		seinhuis__inbox_record__free_unpacked(rec, NULL);
	}
	sh_store_read_end(d->store, txn);
	if (e == SH_ERR_NOTFOUND)
		return sh_ctl_refuse(d, c, e, "no signal %s in the inbox",
		                     q->message_id);
	if (e)
		return sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	sh_ctl_reply(d, c, &r, 0);
	free_reply_lists(&r);
}

static void op_inbox_ack(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	uint8_t id[SH_ID_LEN];
	if (parse_id(q->message_id, id) < 0)
		return sh_ctl_refuse(d, c, SH_ERR_USAGE,
		                     "a message id is 32 hex digits");
	if (!sh_daemon_write_ok(d)) {
		sh_ctl_refuse(d, c, SH_ERR_STORE_FULL,
		              "%s; try again in a moment",
		              sh_err_str(SH_ERR_STORE_FULL));
		return;
	}
	sh_err e = sh_daemon_txn(d);
	/* A signal of a claimed case is its owner's to take (or an
	 * administrator's): taking it removes its sealed part, the contact
	 * data the owner works from. */
	Seinhuis__InboxRecord *rec = NULL;
	Seinhuis__CaseRecord *cr = NULL;
	if (e == SH_OK &&
	    sh_store_inbox_get(d->store, sh_store_txn(d->store), id, &rec) ==
	        SH_OK &&
	    rec->case_key.len == SH_KEY_LEN && !sh_admin_proper(c->roles) &&
	    sh_store_case_get(d->store, sh_store_txn(d->store),
	                      rec->case_key.data, &cr) == SH_OK &&
	    cr->owner[0]) {
		char user[64];
		sh_user_name(c->uid, user, sizeof(user));
		if (strcmp(cr->owner, user) != 0) {
			char key[2 * SH_KEY_LEN + 1];
			sh_hex(key, rec->case_key.data, SH_KEY_LEN);
			e = SH_ERR_CASE_OWNER;
			sh_ctl_refuse(d, c, e,
			              "signal %s is in case %.16s, claimed by "
			              "'%s': only they take its signals (they "
			              "may release the case; an administrator "
			              "may force the claim)",
			              q->message_id, key, cr->owner);
		}
	}
	/* a meldcode report leaves its print, for the notices that follow */
	if (e == SH_OK && rec)
		e = sh_report_print_keep(d, rec, id);
	if (rec)
		seinhuis__inbox_record__free_unpacked(rec, NULL);
	if (cr)
		seinhuis__case_record__free_unpacked(cr, NULL);
	if (e == SH_ERR_CASE_OWNER)
		return;
	if (e == SH_OK)
		e = sh_store_inbox_ack(d->store, id);
	if (e == SH_ERR_NOTFOUND)
		return sh_ctl_refuse(
		    d, c, e, "no signal %s in the inbox%s", q->message_id,
		    sh_store_seen(d->store, sh_store_txn(d->store), id)
		        ? " (it was delivered, and has been taken or removed "
		          "since)"
		        : "");
	if (e) {
		sh_daemon_txn_fail(d, e);
		return sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
	}
	sh_info("inbox: %s taken by local user %d", q->message_id, (int)c->uid);
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.message_id = q->message_id;
	sh_ctl_reply(d, c, &r, 1);
}

/* ----------------------------------------------------------- status */

/* --since backup: the store's last commit before this start, less this
 * (the partners' clocks may differ from ours) */
#define SH_RECOVER_MARGIN_MS 300000

/* RECOVER: after a backup of this store was restored, ask partners to send
 * again what they delivered here since then (peer.c, "recover"). */
static void op_recover(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q)
{
	int64_t since = q->since_us / 1000, now = sh_now_ms();
	if (q->since_backup) {
		int64_t at = sh_store_committed_before(d->store);
		if (at <= 0) {
			sh_ctl_refuse(d, c, SH_ERR_NOTFOUND,
			              "the store does not record when it was "
			              "last committed before this start (made "
			              "by an older version): give --since a "
			              "time");
			return;
		}
		since = at - SH_RECOVER_MARGIN_MS;
	} else if (q->since_us <= 0) {
		sh_ctl_refuse(d, c, SH_ERR_USAGE,
		              "recover needs a time (--since): when the backup "
		              "that was restored was made");
		return;
	}
	if (since > now + 60000) {
		sh_ctl_refuse(d, c, SH_ERR_USAGE,
		              "--since lies in the future: give the time the "
		              "restored backup was made");
		return;
	}
	sh_peer *only = NULL;
	if (q->partner[0] && !(only = sh_peer_find(d, q->partner))) {
		/* not repeated: the text given may be data */
		sh_ctl_refuse(d, c, SH_ERR_NOTFOUND,
		              "the partner given (--partner) is not in the "
		              "trust store; 'seinkey list' shows the partners");
		return;
	}
	char when[40], detail[120];
	sh_fmt_utc(when, sizeof(when), since);
	snprintf(detail, sizeof(detail),
	         "asked to send again what was delivered here since %s", when);
	uint32_t asked = 0;
	sh_err e = SH_OK;
	for (size_t i = 0; e == SH_OK && i < d->npeers; i++) {
		sh_peer *p = &d->peers[i];
		if (p->removed || (only && p != only))
			continue;
		e = sh_audit_resend(d, c, p->card.partner, "asked", detail);
		if (e == SH_OK)
			e = sh_store_recover_set(d->store, p->card.partner,
			                         since);
		asked++;
	}
	if (e != SH_OK) {
		sh_daemon_txn_fail(d, e);
		sh_ctl_refuse(d, c, e, "%s", sh_err_str(e));
		return;
	}
	/* kept in the store until each partner answers (peer.c); asked
	 * once this turn has committed */
	for (size_t i = 0; i < d->npeers; i++) {
		sh_peer *p = &d->peers[i];
		if (p->removed || (only && p != only))
			continue;
		sh_defer *df = sh_defer_add(d, DEFER_RECOVER_ASK);
		df->peer = p;
		df->at = since;
	}
	sh_info("recover: local user %d asked %u partner(s) to send again what "
	        "they delivered since %s",
	        (int)c->uid, asked, when);
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	r.ok = 1;
	r.partners = asked;
	r.since_ms = since;
	sh_ctl_reply(d, c, &r, 1);
}

static void op_status(sh_daemon *d, sh_ctl_conn *c)
{
	Seinhuis__CtlReply r = SEINHUIS__CTL_REPLY__INIT;
	Seinhuis__DaemonStatus st = SEINHUIS__DAEMON_STATUS__INIT;
	sh_store_counts sc;
	sh_store_counts_get(d->store, &sc);
	st.partner = d->self.card.partner;
	st.role = d->self.card.role;
	st.version = SH_VERSION;
	st.started_ms = d->started_ms;
	st.outbox_pending = sc.outbox_pending;
	st.outbox_failed = sc.outbox_failed;
	st.inbox_depth = sc.inbox_depth;
	st.accepted = d->accepted;
	st.received = d->received;
	st.duplicates = d->duplicates;
	st.rejected_in = d->rejected_in;
	st.refused_peers = d->refused_peers;
	double need, used = sh_daemon_store_usage(d, 0, &need);
	st.store_map_bytes = d->cfg.map_size;
	st.store_used_bytes = (uint64_t)(used * (double)d->cfg.map_size);
	st.store_kept_bytes = (uint64_t)(need * (double)d->cfg.map_size);
	st.store_committed_ms = sh_store_committed_before(d->store);
	st.store_refusing = sh_daemon_store_refusing(d, need);
	st.audit_rolled_back_ms = d->audit_rolled_back_ms;
	st.keys_replaced = d->keys_replaced;
	st.keys_replaced_until_ms =
	    d->keys_replaced ? d->keys_replaced_until * 1000 : 0;
	st.last_failed_ms = d->last_failed_ms;
	st.last_quarantined_ms = d->last_quarantined_ms;
	st.checkpoint_failing_ms = sh_store_checkpoint_failing(d->store, NULL);
	st.checkpoint_error = st.checkpoint_failing_ms ? d->ckpt_cause : "";
	for (const sh_ctl_conn *w = d->conns; w; w = w->next)
		st.inbox_watches += w->waiting && !w->closing;
	Seinhuis__PeerStatus *ps = sh_xcalloc(d->npeers, sizeof(*ps));
	Seinhuis__PeerStatus **pp = sh_xcalloc(d->npeers, sizeof(*pp));
	uint64_t delivered = 0;
	size_t np = 0;
	MDB_txn *txn = sh_store_read_begin(d->store);
	for (size_t i = 0; i < d->npeers; i++) {
		sh_peer *p = &d->peers[i];
		if (p->removed)
			continue;
		Seinhuis__PeerStatus *pst = &ps[np];
		seinhuis__peer_status__init(pst);
		pst->partner = p->card.partner;
		pst->role = p->card.role;
		pst->endpoint = p->card.endpoint;
		pst->connected = p->connected;
		pst->pending = p->queued;
		pst->inflight = p->inflight;
		pst->last_receipt_ms = p->last_receipt_ms;
		pst->last_error = p->last_error;
		pst->retry_ms = p->rto_ms;
		pst->link = p->connected ? "up" : p->dealer ? "down" : "idle";
		pst->last_inbound_ms = p->last_inbound_ms;
		pst->received = p->received;
		pst->rejected = p->rejected_in;
		pst->duplicates = p->duplicates;
		pst->rate_limited = p->rate_limited;
		pst->deferred = p->deferred;
		pst->recover_since_ms = p->recover_since_ms;
		pst->recover_answered_ms = p->recover_answered_ms;
		pst->recover_count = p->recover_count;
		pst->recover_deferred_until_ms = p->recover_deferred_until_ms;
		sh_witness_status(d, txn, p);
		pst->witnessed_size = p->wit_size;
		pst->witnessed_ms = p->wit_ms;
		pst->clock_offset_ms = sh_peer_clock_offset(p);
		pst->clock_read_ms = p->clk_read_ms;
		if (p->head)
			pst->oldest_pending_ms = sh_store_outbox_created(
			    d->store, txn, p->head->seq);
		pp[np++] = pst;
		delivered += p->delivered;
	}
	sh_store_read_end(d->store, txn);
	st.delivered_out = delivered;
	st.n_peers = np;
	st.peers = pp;
	char *errs[8];
	size_t ne = 0;
	for (int i = 0; i < 8; i++) {
		int k = (d->last_error_pos + i) % 8;
		if (d->last_errors[k][0])
			errs[ne++] = d->last_errors[k];
	}
	st.n_last_errors = ne;
	st.last_errors = errs;
	r.ok = 1;
	r.status = &st;
	sh_ctl_reply(d, c, &r, 0);
	free(ps);
	free(pp);
}

/* ---------------------------------------------------------- reading */

/* One decoded request: roles, the operation, its audit entry. pre: the
 * prepared send, or NULL. */
static void dispatch_q(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q,
                       sh_submit_prep *pre)
{
	if (!sh_audit_ctl_before(d, c, q)) { /* roles; audit operations */
		if (pre)
			submit_drop(pre);
		return;
	}
	switch (q->op) {
	case SEINHUIS__CTL_REQUEST__OP__SEND: op_send(d, c, q, pre); break;
	case SEINHUIS__CTL_REQUEST__OP__FIELDS_CHECK:
		op_fields_check(d, c, q);
		break;
	case SEINHUIS__CTL_REQUEST__OP__OUTBOX: op_outbox(d, c, q); break;
	case SEINHUIS__CTL_REQUEST__OP__INBOX_LIST:
		op_inbox_list(d, c, q);
		break;
	case SEINHUIS__CTL_REQUEST__OP__INBOX_SHOW:
		op_inbox_show(d, c, q);
		break;
	case SEINHUIS__CTL_REQUEST__OP__INBOX_WAIT:
		op_inbox_wait(d, c, q);
		break;
	case SEINHUIS__CTL_REQUEST__OP__INBOX_ACK: op_inbox_ack(d, c, q); break;
	case SEINHUIS__CTL_REQUEST__OP__STATUS: op_status(d, c); break;
	case SEINHUIS__CTL_REQUEST__OP__RECOVER: op_recover(d, c, q); break;
	case SEINHUIS__CTL_REQUEST__OP__QUARANTINE_LIST:
		op_quarantine_list(d, c);
		break;
	case SEINHUIS__CTL_REQUEST__OP__QUARANTINE_REMOVE:
		op_quarantine_remove(d, c, q);
		break;
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_GRANT:
		op_consent_grant(d, c, q);
		break;
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_REVOKE:
		op_consent_revoke(d, c, q);
		break;
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_LIST:
		op_consent_list(d, c);
		break;
	case SEINHUIS__CTL_REQUEST__OP__CASE_LIST:
	case SEINHUIS__CTL_REQUEST__OP__CASE_CLAIM:
	case SEINHUIS__CTL_REQUEST__OP__CASE_STEP:
		sh_cases_dispatch(d, c, q);
		break;
	default:
		sh_ctl_refuse(d, c, SH_ERR_CONTROL,
		              "unknown control operation %d", (int)q->op);
	}
	sh_audit_ctl_after(d, c, q); /* records what a send or ack did */
}

static void refuse_undecoded(sh_daemon *d, sh_ctl_conn *c)
{
	sh_ctl_refuse(d, c, SH_ERR_CONTROL,
	              "the request is not a valid control message");
}

static void dispatch(sh_daemon *d, sh_ctl_conn *c, const uint8_t *body,
                     size_t len)
{
	/* decoded into an arena: a request's dozens of small blocks (field
	 * names and values, some personal) cost no malloc, and are wiped at
	 * once after it */
	Seinhuis__CtlRequest *q =
	    sh_ctl_request_decode(&d->ctl_arena, body, len, NULL);
	if (q)
		dispatch_q(d, c, q, NULL);
	else
		refuse_undecoded(d, c);
	sh_arena_reset(&d->ctl_arena);
}

/* A window of requests read together, each decoded into its own arena and,
 * if it is a send, prepared (send_prepare) by either thread (prep.c). */
typedef struct {
	const uint8_t *body;
	size_t blen, flen;
	sh_arena arena;
	Seinhuis__CtlRequest *q;
	int is_send;
	sh_submit_prep send;
} ctl_slot;

struct sh_ctl_window {
	ctl_slot slot[SH_PREP_MAX];
};

static void prepare_slot(sh_daemon *d, void *ctx, size_t i, sh_arena *build)
{
	struct sh_ctl_window *w = ctx;
	ctl_slot *s = &w->slot[i];
	s->q = sh_ctl_request_decode(&s->arena, s->body, s->blen, NULL);
	s->is_send = s->q && s->q->op == SEINHUIS__CTL_REQUEST__OP__SEND;
	if (s->is_send)
		send_prepare(d, s->q, &s->send, build);
}

static void slot_clear(ctl_slot *s)
{
	if (s->is_send)
		submit_drop(&s->send);
	s->is_send = 0;
	s->q = NULL;
	sh_arena_reset(&s->arena);
}

static struct sh_ctl_window *window_of(sh_daemon *d)
{
	if (!d->ctl_window) {
		d->ctl_window = sh_xcalloc(1, sizeof(*d->ctl_window));
		for (size_t i = 0; i < SH_PREP_MAX; i++)
			sh_arena_init(&d->ctl_window->slot[i].arena, 8u << 10);
	}
	return d->ctl_window;
}

static void window_free(sh_daemon *d)
{
	sh_prep_free(d);
	if (!d->ctl_window)
		return;
	for (size_t i = 0; i < SH_PREP_MAX; i++)
		sh_arena_free(&d->ctl_window->slot[i].arena);
	free(d->ctl_window);
	d->ctl_window = NULL;
}

/* Fewer requests than this waiting are taken one at a time, as they come;
 * a window needs the pair keys of every partner first. */
#define CTL_WINDOW_MIN 8

static void ready_keys(sh_daemon *d)
{
	for (size_t i = 0; i < d->npeers; i++)
		if (!d->peers[i].removed && !d->peers[i].keys_ready)
			sh_peer_keys(d, &d->peers[i]);
}

/* Back-pressure: a connection whose replies not yet written (in out, and
 * waiting for the turn's commit) reach CTL_OUT_MAX takes no further
 * request, and is not read, until the client has read them below it; a
 * client that sends and never reads holds about that much, and its
 * requests wait in its socket. The bound is looked at before each
 * request, so one reply (an inbox page, LIST_PAGE_BYTES) may pass it. A
 * parked INBOX_WAIT is read no further once CTL_IN_PARKED of its later
 * requests wait behind it. */
#define CTL_OUT_MAX   (1u << 20)
#define CTL_IN_PARKED (1u << 20)

static int out_full(const sh_ctl_conn *c)
{
	return c->out.len - c->out_off + c->pending >= CTL_OUT_MAX;
}

/* it takes no request now */
static int held(const sh_ctl_conn *c)
{
	return c->closing || c->waiting || out_full(c);
}

short sh_control_events(const sh_ctl_conn *c)
{
	short ev = c->out.len ? POLLOUT : 0;
	if (!(c->waiting && c->in.len >= CTL_IN_PARKED) && !out_full(c) &&
	    !c->in_stalled)
		ev |= POLLIN;
	return ev;
}

/* Input limits. A request may be up to SH_CTL_MAX_FRAME (16 MiB) long, and
 * is buffered whole before it is decoded; without limits 64 connections
 * of one local user each holding a 16 MiB request half-sent made the
 * daemon hold a gigabyte. So:
 *  - a caller whose roles allow no large request (a monitor, or a member
 *    of control_group without a role) may send requests up to
 *    CTL_SMALL_REQUEST; the length header of a larger one is answered
 *    DENIED and the connection closed;
 *  - a larger request (a send or import of a large signal, an audit
 *    subject look-up of many identifiers) is read only while the large
 *    requests being read, together, stay within CTL_IN_TOTAL; the others
 *    wait, not read, and their buffer is sized to the request;
 *  - a request half-sent for CTL_PARTIAL_MS (the daemon reading it; not
 *    while it waits on the daemon) is answered and its connection closed;
 *  - a buffer of over CTL_IN_KEEP is freed once empty, and memory freed
 *    that way handed back to the system (malloc_trim).
 * Each refusal or cut-off is logged at warn, one line a minute, with the
 * user's number and how many, never data.
 *
 * For tests only: SEINHUIS_TEST_CTL_PARTIAL_MS in the daemon's environment
 * sets the half-sent time (100 to 30000 ms), logged at start. */
#define CTL_SMALL_REQUEST (64u << 10)
#define CTL_IN_TOTAL      (64u << 20)
#define CTL_PARTIAL_MS    30000
#define CTL_IN_KEEP       (1u << 20)

static void partial_start(sh_daemon *d)
{
	d->ctl_partial_ms = CTL_PARTIAL_MS;
	uint32_t n;
	if (!sh_test_u32("SEINHUIS_TEST_CTL_PARTIAL_MS", 100, CTL_PARTIAL_MS,
	                 &n))
		return;
	d->ctl_partial_ms = n;
	sh_warn("SEINHUIS_TEST_CTL_PARTIAL_MS=%u: a request half-sent for "
	        "%u ms instead of %d is cut off (a setting for tests)",
	        n, n, CTL_PARTIAL_MS);
}

/* For tests only: SEINHUIS_TEST_CONSENT_UNNOTED=1 in the daemon's
 * environment at start makes it grant consents as builds before
 * 2026-12-07 did, without signals_noted, so that a test can show how the
 * retention sweep treats such a record after an upgrade (it cannot know
 * which signals were sent under it: seinhuisd.c, c_sweep_one). Logged at
 * start; any other value is ignored with a warning. */
static void unnoted_start(sh_daemon *d)
{
	const char *v = getenv("SEINHUIS_TEST_CONSENT_UNNOTED");
	d->consent_unnoted = 0;
	if (!v || !v[0])
		return;
	if (strcmp(v, "1") != 0) {
		sh_warn("SEINHUIS_TEST_CONSENT_UNNOTED is not 1: ignored");
		return;
	}
	d->consent_unnoted = 1;
	sh_warn("SEINHUIS_TEST_CONSENT_UNNOTED=1: consents are granted "
	        "without noting the signals sent under them, as builds "
	        "before 2026-12-07 granted them (a setting for tests)");
}

static int large_allowed(const sh_ctl_conn *c)
{
	return (c->roles &
	        (SH_ROLES_ALL | SH_ROLE_MAINTENANCE | SH_ROLE_OPEN)) != 0;
}

/* The whole length of the request at the front of in if it has not all
 * come yet (a partial length header counts as a small one), else 0. A
 * header over SH_CTL_MAX_FRAME is sh_control_process's to refuse. */
static size_t head_partial(const sh_ctl_conn *c)
{
	if (c->in.len < 4)
		return c->in.len ? 4 : 0;
	const uint8_t *h = c->in.data;
	size_t n =
	    (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
	if (n > SH_CTL_MAX_FRAME || c->in.len >= 4 + n)
		return 0;
	return 4 + n;
}

static void in_release(sh_daemon *d, sh_ctl_conn *c)
{
	d->ctl_in_reserved -= c->in_reserved;
	c->in_reserved = 0;
	c->in_stalled = 0;
}

/* in's buffer exactly this large (it holds less), or freed (0) */
static void in_resize(sh_daemon *d, sh_ctl_conn *c, size_t cap)
{
	if (cap == 0) {
		d->ctl_trim |= c->in.cap > CTL_IN_KEEP;
		sh_buf_free(&c->in);
		return;
	}
	uint8_t *p = sh_xmalloc(cap);
	if (c->in.len)
		memcpy(p, c->in.data, c->in.len);
	size_t len = c->in.len;
	d->ctl_trim |= c->in.cap > CTL_IN_KEEP;
	sh_buf_free(&c->in);
	c->in.data = p;
	c->in.len = len;
	c->in.cap = cap;
}

/* A connection answered why (after its earlier replies, once the turn
 * commits) and closed: true if its log line is due, *n counting those
 * since the last one. */
static int closed_due(sh_ctl_conn *c, int64_t *logged, unsigned long *n)
{
	c->closing = 1;
	(*n)++;
	return log_due(logged, sh_mono_ms());
}

static void refuse_large(sh_daemon *d, sh_ctl_conn *c, size_t n)
{
	sh_ctl_refuse(d, c, SH_ERR_DENIED,
	              "a request larger than %u KiB needs the caseworker or "
	              "administrator role; the connection is closed",
	              CTL_SMALL_REQUEST >> 10);
	if (closed_due(c, &d->ctl_big_logged, &d->ctl_big_refused)) {
		sh_daemon_warn(d,
		               "control: local user %d (role %s) sent a "
		               "request of %zu bytes, more than the %u allowed "
		               "without the caseworker or administrator role; "
		               "refused and closed (%lu such since the last "
		               "such line)",
		               (int)c->uid, sh_roles_name(c->roles), n,
		               CTL_SMALL_REQUEST, d->ctl_big_refused);
		d->ctl_big_refused = 0;
	}
}

/* After what was read has been taken: the request at the front, if it is
 * half-sent, against the limits above. */
static void in_check(sh_daemon *d, sh_ctl_conn *c, int64_t now)
{
	if (c->closing)
		return;
	size_t need = head_partial(c);
	if (c->taken != c->since_taken || !need) {
		c->since_taken = c->taken; /* another request since */
		c->in_since = 0;
	}
	if (!need || need <= 4 + CTL_SMALL_REQUEST || need != c->in_reserved) {
		in_release(d, c);
		if (!c->in.len && c->in.cap > CTL_IN_KEEP)
			in_resize(d, c, 0);
	}
	if (!need)
		return;
	if (!c->in_since)
		c->in_since = now;
	if (need <= 4 + CTL_SMALL_REQUEST || c->in_reserved)
		return;
	if (!large_allowed(c))
		return refuse_large(d, c, need - 4);
	if (d->ctl_in_reserved + need > CTL_IN_TOTAL) {
		c->in_stalled = 1; /* read once others are done */
		return;
	}
	c->in_reserved = need;
	d->ctl_in_reserved += need;
	c->in_since = now; /* read from now on */
	if (c->in.cap < need)
		in_resize(d, c, need);
}

static void cut_off(sh_daemon *d, sh_ctl_conn *c)
{
	sh_ctl_refuse(d, c, SH_ERR_CONTROL,
	              "the request was not sent whole within %lld s; the "
	              "connection is closed",
	              (long long)(d->ctl_partial_ms / 1000));
	if (closed_due(c, &d->ctl_stale_logged, &d->ctl_stale_closed)) {
		sh_daemon_warn(d,
		               "control: local user %d left a request "
		               "half-sent for %lld ms; closed (%lu such since "
		               "the last such line)",
		               (int)c->uid, (long long)d->ctl_partial_ms,
		               d->ctl_stale_closed);
		d->ctl_stale_closed = 0;
	}
}

void sh_control_sweep(sh_daemon *d)
{
	int64_t now = sh_mono_ms();
	for (sh_ctl_conn *c = d->conns; c; c = c->next) {
		if (c->closing)
			continue;
		if (c->in_stalled || held(c)) {
			/* not read now: not the caller's time */
			if (c->in_since)
				c->in_since = now;
			if (c->in_stalled)
				in_check(d, c, now);
			continue;
		}
		in_check(d, c, now); /* also after requests taken here */
		if (!c->closing && c->in_since &&
		    now - c->in_since >= d->ctl_partial_ms)
			cut_off(d, c);
	}
}

int sh_control_has_frame(const sh_ctl_conn *c)
{
	const uint8_t *body;
	size_t blen, flen;
	return !held(c) &&
	       sh_frame_peek(c->in.data, c->in.len, &body, &blen, &flen) != 0;
}

/* A turn answers at most this many requests of one connection, and reads
 * more of them only while the turn is younger than CTL_TURN_MS: replies
 * wait for the turn's commit, so the bound is the latency a bulk import
 * can add; the rest are taken in the next turn without waiting. */
#define CTL_TURN_MAX 8192
#define CTL_TURN_MS  150

/* A length header over SH_CTL_MAX_FRAME: the request cannot be read, nor
 * anything after it. The caller is told why (after the replies before
 * it, once the turn commits) and the connection closed. */
static void refuse_oversized(sh_daemon *d, sh_ctl_conn *c)
{
	sh_ctl_refuse(d, c, SH_ERR_WIRE_SIZE,
	              "the request is larger than one control request may "
	              "be (16 MiB); it and anything after it on this "
	              "connection are not read, and the connection is closed");
	if (closed_due(c, &d->ctl_big_logged, &d->ctl_big_refused)) {
		sh_daemon_warn(d,
		               "control: local user %d sent a request larger "
		               "than 16 MiB; refused and closed (%lu such "
		               "since the last such line)",
		               (int)c->uid, d->ctl_big_refused);
		d->ctl_big_refused = 0;
	}
}

void sh_control_process(sh_daemon *d, sh_ctl_conn *c)
{
	size_t off = 0;
	while (c->turn_handled < CTL_TURN_MAX && !held(c)) {
		/* the whole requests waiting, up to a window */
		struct sh_ctl_window *w = window_of(d);
		size_t room = CTL_TURN_MAX - c->turn_handled, nf = 0, at = off;
		int bad = 0;
		if (room > SH_PREP_MAX)
			room = SH_PREP_MAX;
		while (nf < room) {
			ctl_slot *s = &w->slot[nf];
			int r = sh_frame_peek(c->in.data + at, c->in.len - at,
			                      &s->body, &s->blen, &s->flen);
			if (r < 0)
				bad = 1;
			if (r <= 0)
				break;
			at += s->flen;
			nf++;
		}
		if (nf == 0) {
			if (bad)
				refuse_oversized(d, c);
			break;
		}
		size_t i = 0;
		/* read by the helper too: set only between windows */
		d->natkey_old = sh_store_natkey_old_live(d->store);
		d->natkey_pre3 = sh_store_natkey_pre3_live(d->store);
		if (nf < CTL_WINDOW_MIN) {
			for (; i < nf && !held(c); i++) {
				dispatch(d, c, w->slot[i].body,
				         w->slot[i].blen);
				c->turn_handled++;
				c->taken++;
				off += w->slot[i].flen;
			}
			continue;
		}
		ready_keys(d);
		sh_prep_start(d, prepare_slot, w, nf);
		for (; i < nf && !held(c); i++) {
			ctl_slot *s = &w->slot[i];
			sh_prep_take(d, i);
			if (!s->q)
				refuse_undecoded(d, c);
			else
				dispatch_q(d, c, s->q,
				           s->is_send ? &s->send : NULL);
			s->is_send = 0; /* op_send dropped it */
			slot_clear(s);
			c->turn_handled++;
			c->taken++;
			off += s->flen;
		}
		sh_prep_finish(d);
		/* prepared by the helper, but not taken: read again later */
		for (; i < nf; i++)
			if (sh_prep_done(d, i))
				slot_clear(&w->slot[i]);
	}
	if (off) {
		memmove(c->in.data, c->in.data + off, c->in.len - off);
		c->in.len -= off;
	}
}

void sh_control_read(sh_daemon *d, sh_ctl_conn *c)
{
	uint8_t chunk[65536];
	size_t used = 0; /* bytes of chunk that read() wrote */
	int64_t start = sh_mono_ms();
	if (!(sh_control_events(c) & POLLIN)) {
		/* not asked to be read, yet woken (POLLHUP, POLLERR): the
		 * client hung up; what it would be answered, it cannot read */
		c->closing = 1;
		return;
	}
	while (!c->closing && c->turn_handled < CTL_TURN_MAX &&
	       (sh_control_events(c) & POLLIN)) {
		ssize_t n = read(c->fd, chunk, sizeof(chunk));
		if (n > 0 && (size_t)n > used)
			used = (size_t)n;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			c->closing = 1;
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break; /* nothing more waiting */
		sh_buf_add(&c->in, chunk, (size_t)n);
		size_t before = c->turn_handled;
		sh_control_process(d, c);
		in_check(d, c, sh_mono_ms());
		/* a client that sent a part of a request, or one waiting
		 * for its replies, sends no more now */
		if (c->turn_handled == before && (size_t)n < sizeof(chunk))
			break;
		if (sh_mono_ms() - start >= CTL_TURN_MS)
			break;
	}
	/* Only what was read: a one-request read (a signal at a time) wiped
	 * 64 KiB for a few hundred bytes. */
	sh_wipe(chunk, used);
}

void sh_control_turn_reset(sh_daemon *d)
{
	for (sh_ctl_conn *c = d->conns; c; c = c->next)
		c->turn_handled = 0;
}

void sh_control_write(sh_daemon *d, sh_ctl_conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t w = write(c->fd, c->out.data + c->out_off,
		                  c->out.len - c->out_off);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				c->closing = 1;
			break;
		}
		c->out_off += (size_t)w;
	}
	/* what was written goes once it is the larger part: a client that
	 * reads slowly while replies keep coming does not grow the buffer */
	if (c->out_off && c->out_off >= c->out.len - c->out_off) {
		memmove(c->out.data, c->out.data + c->out_off,
		        c->out.len - c->out_off);
		c->out.len -= c->out_off;
		c->out_off = 0;
	}
	/* a large reply (an inbox page) written: its buffer goes */
	if (!c->out.len && c->out.cap > CTL_IN_KEEP) {
		sh_buf_free(&c->out);
		d->ctl_trim = 1;
	}
}

void sh_control_reap(sh_daemon *d)
{
	for (sh_ctl_conn **pc = &d->conns; *pc;) {
		sh_ctl_conn *c = *pc;
		if (c->closing) {
			*pc = c->next;
			close(c->fd);
			in_release(d, c);
			d->ctl_trim |=
			    c->in.cap > CTL_IN_KEEP || c->out.cap > CTL_IN_KEEP;
			sh_buf_free(&c->in);
			sh_buf_free(&c->out);
			free(c);
		} else {
			pc = &c->next;
		}
	}
#ifdef __GLIBC__
	/* large buffers went back to malloc's heap: hand them back */
	if (d->ctl_trim)
		malloc_trim(0);
#endif
	d->ctl_trim = 0;
}
