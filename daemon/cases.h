/*
 * cases.h - the debt-help team's cases (claims, outreach steps) and the
 * status feedback to creditors. See cases.c for the design.
 */
#ifndef SEINHUIS_CASES_H
#define SEINHUIS_CASES_H

#include "daemon.h"

/* CASE_LIST, CASE_CLAIM, CASE_STEP; roles were checked before. */
void sh_cases_dispatch(sh_daemon *d, sh_ctl_conn *c, Seinhuis__CtlRequest *q);
/* Retention, in the sweep's write transaction: remove the case records
 * that are past their keep period (see cases.c), audited. */
sh_err sh_cases_retention(sh_daemon *d, int64_t now_ms);
/* At delivery, in the delivering transaction: a status_feedback signal
 * must refer to a signal in this partner's outbox, sent to p, whose type's
 * catalogue entry allows feedback under the signal's basis; then the
 * status is attached to that outbox record, unless the answer noted there
 * was created after it (*not_noted set). SH_OK for other types. */
sh_err sh_feedback_deliver(sh_daemon *d, sh_peer *p, const Seinhuis__Signal *s,
                           char *detail, size_t dl, int *not_noted);
/* A Veilig Thuis notice delivered to the reporter: its status is noted on
 * the outbox record of the report it answers (if this daemon sent that
 * report to that partner), so the reporter's outbox shows where the
 * report stands. A notice about another reporter's report (a hand-over)
 * is only delivered. Within the delivering write transaction. */
sh_err sh_notice_attach(sh_daemon *d, sh_peer *p, const Seinhuis__Signal *s);
/* At delivery, before the inbox: a notice to a daemon that is not a
 * municipality_team (which takes hand-overs of others' reports) must
 * answer a meldcode_report in this daemon's outbox sent to p; else
 * SH_ERR_ROUTE, naming the rule in detail. While the outbox keeps the
 * report's envelope (resend_window), at a municipality_team too, the
 * notice's clear fields may not hold its persons' data: else
 * SH_ERR_PERSONAL ("field 'next_step': holds ..."). SH_OK for other
 * types. */
sh_err sh_notice_check(sh_daemon *d, sh_peer *p, const Seinhuis__Signal *s,
                       char *detail, size_t dl);
/* Before an answer to a partner's signal is accepted (a status_feedback's
 * signal_id, a notice's report_id): the inbox record of the signal whose
 * id field `name` of fields gives, in the turn's transaction (id set to
 * it). SH_ERR_FIELD_FORMAT, with "a WHAT id is 32 hex digits" in detail,
 * if the field is no message id; SH_ERR_NOTFOUND if the signal is not in
 * the inbox. The caller checks its sender and type and frees *rec. */
sh_err sh_answered_get(sh_daemon *d, Seinhuis__Field **fields, size_t n,
                       const char *name, const char *what,
                       uint8_t id[SH_ID_LEN], Seinhuis__InboxRecord **rec,
                       char *detail, size_t dl);
/* At Veilig Thuis, before a notice to p is accepted: unless p is a
 * municipality_team (a hand-over), report_id must be a meldcode_report
 * in this daemon's inbox that p sent, or one taken from the inbox (its
 * sender is no longer known here: p's daemon checks it, sh_notice_check).
 * Else SH_ERR_ROUTE, naming the rule in detail. In the turn's
 * transaction. */
sh_err sh_notice_target(sh_daemon *d, sh_peer *p, Seinhuis__Field **fields,
                        size_t n, char *detail, size_t dl);
/* At Veilig Thuis, before a notice is accepted: its clear fields
 * (next_step, contact_point) against the persons of the meldcode report
 * it answers, while that report is in the inbox (its sealed part opened
 * with the reporter's pair keys), and after it was taken against the
 * print kept then (sh_report_print_keep). A notice has no
 * sealed part of its own, so this is what keeps the reported resident's
 * name or street out of its clear text (the reporter's daemon checks the
 * same against its outbox copy: sh_notice_check). SH_ERR_PERSONAL with
 * the field in field and the kind of value (never the value) in detail;
 * SH_OK when neither the report nor its print is here. */
/* When Veilig Thuis's team takes a meldcode report (inbox ack): its
 * print (sh_print_make under d->print_key), kept in the store until
 * keep_taken, so that its notices are still compared with its persons
 * once its sealed part is gone (sh_notice_screen). SH_OK, with a
 * warning, if the report does not open; SH_OK for other types. In the
 * turn. */
sh_err sh_report_print_keep(sh_daemon *d, const Seinhuis__InboxRecord *rec,
                            const uint8_t id[SH_ID_LEN]);
sh_err sh_notice_screen(sh_daemon *d, Seinhuis__Field **fields, size_t n,
                        const char *today, char *field, size_t fl, char *detail,
                        size_t dl);

#endif
