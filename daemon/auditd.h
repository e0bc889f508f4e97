/*
 * auditd.h - the audit log inside seinhuisd: the hooks the event loop,
 * the peer transport and the control socket call (auditd.c), the roles of
 * local callers (roles.c) and the audit log's control operations
 * (auditctl.c). The design is in audit.c.
 */
#ifndef SEINHUIS_AUDITD_H
#define SEINHUIS_AUDITD_H

#include "audit.h"
#include "daemon.h"

/* ----------------------------------------------------------- roles.c */

enum {
	SH_ROLE_ADMIN = 1,       /* query and verify the audit log */
	SH_ROLE_CASEWORKER = 2,  /* work the inbox, reveal, send */
	SH_ROLE_MAINTENANCE = 4, /* the daemon's own user or root: both */
	SH_ROLE_OPEN = 8,        /* no role groups configured: both */
	SH_ROLE_MONITOR = 16,    /* monitor_group: the status only */
};
#define SH_ROLES_ALL (SH_ROLE_ADMIN | SH_ROLE_CASEWORKER)
/* An administrator by configuration (admin_group), or root or the
 * daemon's own user. Without role groups everyone holds both roles; that
 * alone makes no caseworker the owner of another's case. */
static inline int sh_admin_proper(unsigned roles)
{
	return (roles & SH_ROLE_MAINTENANCE) ||
	       ((roles & SH_ROLE_ADMIN) && !(roles & SH_ROLE_OPEN));
}

/* Check at start-up that the configured role groups exist. */
sh_err sh_roles_check(const sh_config *cfg, char *why, size_t whylen);
/* control_group, if set: it exists and this process is a member (the
 * daemon gives it the control socket, which needs that); its gid in *gid,
 * (gid_t)-1 without one. */
sh_err sh_control_group_check(const sh_config *cfg, gid_t *gid, char *why,
                              size_t whylen);
/* The roles of a caller on an accepted control connection. */
unsigned sh_roles_of(const sh_config *cfg, int fd, uid_t uid, gid_t gid);
/* 1 if the caller on local socket fd is in group: its primary group, a
 * supplementary group of the calling process, or a member in the group
 * database. */
int sh_in_group(const char *group, int fd, uid_t uid, gid_t gid);
const char *sh_roles_name(unsigned roles);
/* The roles that may run an operation. */
unsigned sh_roles_needed(Seinhuis__CtlRequest__Op op);
const char *sh_ctl_op_name(Seinhuis__CtlRequest__Op op);
/* Login name of a uid, or "#uid". */
void sh_user_name(uid_t uid, char *out, size_t outlen);

/* ---------------------------------------------------------- auditd.c */

typedef struct sh_auditd sh_auditd;

/* Open the log (fatal on error), then record the configuration, keys and
 * trust store as loaded, and commit. */
sh_err sh_audit_start(sh_daemon *d, char *why, size_t whylen);
/* Record a clean stop, sign a last head, commit, close. */
void sh_audit_stop(sh_daemon *d);
sh_audit *sh_audit_log(sh_daemon *d);
/* seinhuisd -t: verify the whole log and print the result. An error if
 * the log cannot be opened or read (the daemon would not start);
 * *failed set (and SH_OK) if it reads but fails verification, which the
 * daemon starts with. */
sh_err sh_audit_check_offline(sh_daemon *d, int *failed);
/* Record the signals handed to the network in the turns before, sign a
 * head when one is due. May open the turn's transaction, so that these
 * entries share its one commit; the loop calls it at the end of a turn
 * that commits anyway, or when sh_audit_due says so (seinhuisd.c). */
void sh_audit_tick(sh_daemon *d);
/* When sh_audit_tick must run at the latest (monotonic ms): the oldest
 * waiting "sent" entry lazy_ms after it came, or a tree head due. */
int64_t sh_audit_due(const sh_daemon *d, int64_t lazy_ms);
/* A head is due now, not at the next audit_head_interval: after a reveal
 * or a subject look-up, so that it goes to the partners connected (who
 * keep it: witness.c) at once, and the entry is anchored outside this
 * machine as early as the connections allow. */
void sh_audit_head_soon(sh_daemon *d);

/* Hooks. Each appends within the turn's transaction; when that fails the
 * transaction is failed too, so no change commits without its entry. */
/* rec: the signal's outbox record as just sent (its type, pseudonym and
 * legal basis are kept for the entry, so that the entry does not read the
 * outbox again), or NULL (then the entry reads it). */
void sh_audit_sent(sh_daemon *d, sh_peer *p, const uint8_t id[SH_ID_LEN],
                   const Seinhuis__OutboxRecord *rec);
/* The same, with the signal's type, pseudonym (NULL: none) and legal basis
 * known already (kept since it was built): nothing is decoded. */
void sh_audit_sent_known(sh_daemon *d, sh_peer *p, const uint8_t id[SH_ID_LEN],
                         Seinhuis__SignalType type, const uint8_t *subject,
                         const char *legal_basis);
/* The keys of a delivered signal for its audit entries, made by the
 * recipient while the sealed part was open: the resident key of its first
 * person (sh_audit_case_key) and the inbox's case key of the household;
 * and, for a status feedback, whether it was older than the answer noted
 * on the outbox record already (delivered, not noted: cases.c); and the
 * sender's signing key its signature verified under (the card's, or the
 * previous one during an overlap), noted in the inbox record and named in
 * the delivered entry. */
typedef struct {
	uint8_t resident[32], household[32];
	int have_resident, have_household;
	int not_noted;
	/* the resident keys of its further persons (a meldcode report's) */
	uint8_t others[SH_OTHER_PERSONS_MAX][32];
	size_t n_others;
	uint8_t sign_key[32];
	int have_sign_key;
} sh_inbound_keys;

/* s: the verified signal, or NULL; env: its envelope as received; keys:
 * for a delivered signal (NULL, or a key not had, when it names none). */
void sh_audit_inbound(sh_daemon *d, sh_peer *p, const Seinhuis__Signal *s,
                      const uint8_t *env, size_t envlen,
                      const uint8_t id[SH_ID_LEN], Seinhuis__ReceiptStatus rs,
                      sh_err why, const sh_inbound_keys *keys);
/* sh_daemon_submit accepted signal `id` for p: the accepted entry of the
 * SEND request being handled is made from this note (copied; wiped once
 * the request's entry is made). */
void sh_audit_note_accepted(sh_daemon *d, const uint8_t id[SH_ID_LEN],
                            const sh_peer *p, Seinhuis__SignalType type,
                            const sh_build_note *note);
/* The secret the audit log's case keys are made with, or NULL. */
const uint8_t *sh_audit_case_secret(const sh_daemon *d);
void sh_audit_frame_refused(sh_daemon *d, sh_peer *p, sh_err why);
/* seinctl recover: asked (recipient, c the caller), answered (recipient),
 * queued (sender); detail: the time asked from, and a count. */
sh_err sh_audit_resend(sh_daemon *d, const sh_ctl_conn *c, const char *partner,
                       const char *outcome, const char *detail);
/* The receipt r settled outbox signal `id` of type `type`. */
sh_err sh_audit_receipt(sh_daemon *d, sh_peer *p, Seinhuis__SignalType type,
                        const uint8_t id[SH_ID_LEN],
                        const Seinhuis__Receipt *r);
void sh_audit_peer_refused(sh_daemon *d, const uint8_t *curve_key,
                           const char *addr, size_t addrlen);
void sh_audit_caller_refused(sh_daemon *d, uid_t uid);
/* A partner's previous key used after its overlap ended (rule
 * KEY_EXPIRED); what: "CURVE handshake", "signature" or "overlap ended". */
void sh_audit_key_expired(sh_daemon *d, const sh_card *c, const char *what);
/* Around a control request: before returns 0 when it answered the request
 * itself (refused by role, or an audit operation); after records what a
 * send or an ack did, from the reply it queued. */
int sh_audit_ctl_before(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q);
void sh_audit_ctl_after(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q);
/* For events this daemon does not produce yet (quarantine, consent
 * granted, retention removal): record one about a signal. */
sh_err sh_audit_signal_event(sh_daemon *d, Seinhuis__AuditEvent ev,
                             const uint8_t id[SH_ID_LEN], const char *partner,
                             Seinhuis__SignalType type, const char *outcome,
                             const char *rule, const char *detail);
/* A consent granted or revoked (ev) by the caller c (NULL: by the daemon,
 * on a partner's answer): its reference, the partner it is for, the
 * resident's pseudonym for that partner and (when known) this daemon's
 * resident key. */
sh_err sh_audit_consent(sh_daemon *d, const sh_ctl_conn *c,
                        Seinhuis__AuditEvent ev, const uint8_t ref[16],
                        const char *partner, const uint8_t *subject,
                        const uint8_t *resident, const char *outcome,
                        const char *detail);

/* audit_keep (seinhuisd.conf), in the retention sweep's turn: entries
 * older than it removed in whole blocks of 16 (audit.c, removal), a
 * bounded number a sweep (*more set when more may wait), recorded as one
 * retention_removed entry and one log line. */
sh_err sh_audit_retention(sh_daemon *d, int64_t now_ms, int *more);

/* Helpers shared with auditctl.c. */
sh_err sh_audit_record(sh_daemon *d, Seinhuis__AuditEntry *e);
/* The log was found rolled back (against the head file's head at
 * start-up, partner NULL; or against one a partner keeps, witness.c): the
 * log_rolled_back entry saying so (detail), its index kept in the log's
 * state, so that the next start takes from it up to when heads are
 * explained (its time: never a time a head, the head file or the meta
 * table gives), and that time, into *at (ms), in the meta table
 * (audit_rolled_back, audit_explained; only compared with the entry), all
 * in the open turn. */
sh_err sh_audit_rolled_back(sh_daemon *d, const char *partner,
                            const char *detail, int64_t *at);
void sh_audit_set_caller(Seinhuis__AuditEntry *e, const sh_ctl_conn *c,
                         char *namebuf, size_t namelen);
/* This daemon's case key of a resident; 0 if the identity is incomplete. */
int sh_audit_case_key(sh_daemon *d, const Seinhuis__Person *p, uint8_t out[32]);
int sh_audit_case_key_canon(sh_daemon *d, const char *canonical,
                            uint8_t out[32]);
void sh_sealed_wipe_free(Seinhuis__SealedContent *sc);

/* --------------------------------------------------------- auditctl.c */

/* The audit operations and reveal; roles were checked before. */
void sh_auditctl_dispatch(sh_daemon *d, sh_ctl_conn *c,
                          Seinhuis__CtlRequest *q);
void sh_ctl_reply(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlReply *r,
                  int is_write);
void sh_ctl_refuse(sh_daemon *d, sh_ctl_conn *c, sh_err e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
