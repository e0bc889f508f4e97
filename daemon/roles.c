/*
 * roles.c - who may do what on the control socket.
 *
 * Getting onto the socket is control.c's check (the daemon's user, root,
 * or control_group). Once there, a caller has roles, from the peer
 * credentials of the local socket (SO_PEERCRED, and SO_PEERGROUPS for the
 * caller's supplementary groups) and the group database:
 *   administrator  member of admin_group: may see status and outbox,
 *                  query, export, verify and prove the audit log, look up
 *                  a resident's entries (audit subject), make reports,
 *                  list and remove quarantined signals;
 *                  may not read the inbox or reveal personal data.
 *   caseworker     member of caseworker_group: may see status and outbox,
 *                  send signals, read and act on the inbox and reveal
 *                  personal data; may not query the audit log.
 *   maintenance    the daemon's own user and root hold both roles: they
 *                  can read the keys and the data directory anyway.
 * A caller who is a member of both groups holds both roles; the
 * configuration refuses one group for both. With neither admin_group nor
 * caseworker_group configured, roles are off and every caller allowed on
 * the socket holds both (as before roles existed). With only one
 * configured, the other role is held by maintenance alone.
 *   monitor        member of monitor_group: may ask the status (seinctl
 *                  status and check, for a monitoring system) and nothing
 *                  else. Only with roles on (admin_group or
 *                  caseworker_group set): without them every caller on
 *                  the socket holds both roles, and the daemon warns at
 *                  start that monitor_group does not restrict anyone.
 * A request the caller's roles do not cover is refused with DENIED, a
 * sentence that says which role it needs, and an access_denied audit
 * entry. Operations added later default to "any role".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auditd.h"

sh_err sh_roles_check(const sh_config *cfg, char *why, size_t wl)
{
	const char *names[3] = {cfg->admin_group, cfg->caseworker_group,
	                        cfg->monitor_group};
	const char *keys[3] = {"admin_group", "caseworker_group",
	                       "monitor_group"};
	for (int i = 0; i < 3; i++)
		if (names[i][0] && !getgrnam(names[i])) {
			snprintf(why, wl, "%s '%s' does not exist", keys[i],
			         names[i]);
			return SH_ERR_CONFIG;
		}
	if (cfg->monitor_group[0] && !cfg->admin_group[0] &&
	    !cfg->caseworker_group[0])
		sh_warn("monitor_group '%s' restricts no one: without "
		        "admin_group or caseworker_group every caller allowed "
		        "on the control socket holds every role",
		        cfg->monitor_group);
	return SH_OK;
}

sh_err sh_control_group_check(const sh_config *cfg, gid_t *gid, char *why,
                              size_t wl)
{
	*gid = (gid_t)-1;
	if (!cfg->control_group[0])
		return SH_OK;
	struct group *g = getgrnam(cfg->control_group);
	if (!g) {
		snprintf(why, wl, "control_group '%s' does not exist",
		         cfg->control_group);
		return SH_ERR_CONFIG;
	}
	*gid = g->gr_gid;
	/* chown to a group needs the process to be in it (its effective or
	 * a supplementary group, set from the group database at login or by
	 * systemd at start) */
	int n = getgroups(0, NULL);
	gid_t *groups = sh_xcalloc(n > 0 ? (size_t)n : 1, sizeof(*groups));
	n = n > 0 ? getgroups(n, groups) : 0;
	int in = getegid() == g->gr_gid;
	for (int i = 0; !in && i < n; i++)
		in = groups[i] == g->gr_gid;
	free(groups);
	if (in)
		return SH_OK;
	char user[64];
	sh_user_name(geteuid(), user, sizeof(user));
	snprintf(why, wl,
	         "control_group '%s': the daemon's user '%s' is not a member, "
	         "so it cannot give the control socket to that group; add it "
	         "(usermod -a -G %s %s) and start the daemon again, or "
	         "choose a group it is in",
	         cfg->control_group, user, cfg->control_group, user);
	return SH_ERR_CONFIG;
}

void sh_user_name(uid_t uid, char *out, size_t n)
{
	/* Every control request is audited with its caller's name, and
	 * getpwuid reads the password file each time: the last answer is
	 * kept for a second. */
	static uid_t last_uid;
	static char last[64];
	static int64_t last_at;
	int64_t now = sh_mono_ms();
	if (last_at && uid == last_uid && now - last_at < 1000) {
		snprintf(out, n, "%s", last);
		return;
	}
	struct passwd *pw = getpwuid(uid);
	if (pw && pw->pw_name)
		snprintf(last, sizeof(last), "%s", pw->pw_name);
	else
		snprintf(last, sizeof(last), "#%u", (unsigned)uid);
	last_uid = uid;
	last_at = now;
	snprintf(out, n, "%s", last);
}

/* Is the caller in the group: primary group, supplementary groups of the
 * calling process, or listed as a member in the group database. */
int sh_in_group(const char *group, int fd, uid_t uid, gid_t gid)
{
	struct group *g = getgrnam(group);
	if (!g)
		return 0;
	gid_t want = g->gr_gid;
	if (gid == want)
		return 1;
	struct passwd *pw = getpwuid(uid);
	if (pw)
		for (char **m = g->gr_mem; m && *m; m++)
			if (strcmp(*m, pw->pw_name) == 0)
				return 1;
#ifdef SO_PEERGROUPS
	/* up to 256 groups at once; more (ERANGE gives the size) on the
	 * heap */
	gid_t small[256], *groups = small;
	socklen_t len = sizeof(small);
	int rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	if (rc < 0 && errno == ERANGE && len > sizeof(small)) {
		groups = sh_xmalloc(len);
		rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	}
	int found = 0;
	for (size_t i = 0; rc == 0 && i < len / sizeof(gid_t) && !found; i++)
		found = groups[i] == want;
	if (groups != small)
		free(groups);
	if (found)
		return 1;
#else
	(void)fd;
#endif
	return 0;
}

unsigned sh_roles_of(const sh_config *cfg, int fd, uid_t uid, gid_t gid)
{
	if (uid == geteuid() || uid == 0)
		return SH_ROLES_ALL | SH_ROLE_MAINTENANCE;
	if (!cfg->admin_group[0] && !cfg->caseworker_group[0])
		return SH_ROLES_ALL | SH_ROLE_OPEN;
	unsigned r = 0;
	if (cfg->admin_group[0] && sh_in_group(cfg->admin_group, fd, uid, gid))
		r |= SH_ROLE_ADMIN;
	if (cfg->caseworker_group[0] &&
	    sh_in_group(cfg->caseworker_group, fd, uid, gid))
		r |= SH_ROLE_CASEWORKER;
	if (cfg->monitor_group[0] &&
	    sh_in_group(cfg->monitor_group, fd, uid, gid))
		r |= SH_ROLE_MONITOR;
	return r;
}

const char *sh_roles_name(unsigned r)
{
	if (r & SH_ROLE_MAINTENANCE)
		return "maintenance";
	if (r & SH_ROLE_OPEN)
		return "unrestricted";
	switch (r & SH_ROLES_ALL) {
	case SH_ROLE_ADMIN: return "admin";
	case SH_ROLE_CASEWORKER: return "caseworker";
	case SH_ROLES_ALL: return "admin+caseworker";
	default: return r & SH_ROLE_MONITOR ? "monitor" : "none";
	}
}

unsigned sh_roles_needed(Seinhuis__CtlRequest__Op op)
{
	switch (op) {
	case SEINHUIS__CTL_REQUEST__OP__SEND:
	case SEINHUIS__CTL_REQUEST__OP__FIELDS_CHECK:
	case SEINHUIS__CTL_REQUEST__OP__INBOX_LIST:
	case SEINHUIS__CTL_REQUEST__OP__INBOX_WAIT:
	case SEINHUIS__CTL_REQUEST__OP__INBOX_SHOW:
	case SEINHUIS__CTL_REQUEST__OP__INBOX_ACK:
	case SEINHUIS__CTL_REQUEST__OP__INBOX_REVEAL:
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_GRANT:
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_REVOKE:
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_LIST:
	case SEINHUIS__CTL_REQUEST__OP__CASE_LIST: return SH_ROLE_CASEWORKER;
	/* claim: a caseworker, or an administrator forcing it; step: the
	 * owner or an administrator (cases.c checks which) */
	case SEINHUIS__CTL_REQUEST__OP__CASE_CLAIM:
	case SEINHUIS__CTL_REQUEST__OP__CASE_STEP: return SH_ROLES_ALL;
	case SEINHUIS__CTL_REQUEST__OP__QUARANTINE_LIST:
	case SEINHUIS__CTL_REQUEST__OP__QUARANTINE_REMOVE:
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_LIST:
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_VERIFY:
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_HEAD:
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_PROVE:
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_SUBJECT:
	case SEINHUIS__CTL_REQUEST__OP__RECOVER: return SH_ROLE_ADMIN;
	/* partner ids, counts, times and errors: no personal data */
	case SEINHUIS__CTL_REQUEST__OP__STATUS:
		return SH_ROLES_ALL | SH_ROLE_MONITOR;
	default: return SH_ROLES_ALL;
	}
}

const char *sh_ctl_op_name(Seinhuis__CtlRequest__Op op)
{
	switch (op) {
	case SEINHUIS__CTL_REQUEST__OP__SEND: return "send";
	case SEINHUIS__CTL_REQUEST__OP__FIELDS_CHECK: return "fields_check";
	case SEINHUIS__CTL_REQUEST__OP__OUTBOX: return "outbox";
	case SEINHUIS__CTL_REQUEST__OP__INBOX_LIST: return "inbox_list";
	case SEINHUIS__CTL_REQUEST__OP__INBOX_WAIT: return "inbox_wait";
	case SEINHUIS__CTL_REQUEST__OP__INBOX_SHOW: return "inbox_show";
	case SEINHUIS__CTL_REQUEST__OP__INBOX_ACK: return "inbox_ack";
	case SEINHUIS__CTL_REQUEST__OP__INBOX_REVEAL: return "inbox_reveal";
	case SEINHUIS__CTL_REQUEST__OP__STATUS: return "status";
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_LIST: return "audit_list";
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_VERIFY: return "audit_verify";
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_HEAD: return "audit_head";
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_PROVE: return "audit_prove";
	case SEINHUIS__CTL_REQUEST__OP__AUDIT_SUBJECT: return "audit_subject";
	case SEINHUIS__CTL_REQUEST__OP__QUARANTINE_LIST:
		return "quarantine_list";
	case SEINHUIS__CTL_REQUEST__OP__QUARANTINE_REMOVE:
		return "quarantine_remove";
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_GRANT: return "consent_grant";
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_REVOKE: return "consent_revoke";
	case SEINHUIS__CTL_REQUEST__OP__CONSENT_LIST: return "consent_list";
	case SEINHUIS__CTL_REQUEST__OP__CASE_LIST: return "case_list";
	case SEINHUIS__CTL_REQUEST__OP__CASE_CLAIM: return "case_claim";
	case SEINHUIS__CTL_REQUEST__OP__CASE_STEP: return "case_step";
	case SEINHUIS__CTL_REQUEST__OP__RECOVER: return "recover";
	default: return "other";
	}
}
