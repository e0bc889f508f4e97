/*
 * seinctl_audit.h - seinctl's audit log commands (seinctl_audit.c):
 * audit list|export|verify|head|prove|check-proof|subject, report, and
 * inbox reveal. Each takes the command's own arguments (argv[0] is the
 * command word) and returns seinctl's exit status.
 */
#ifndef SEINHUIS_SEINCTL_AUDIT_H
#define SEINHUIS_SEINCTL_AUDIT_H

#include <json-c/json.h>

#include "seinhuis.h"

/* seinctl.c, shared by its command files: one control request and its
 * reply (refusals printed); a JSON value printed and freed; a time in ms
 * as local "YYYY-MM-DD HH:MM:SS" ("-" for none); a clear field's value
 * of an inbox item ("" if absent). */
int seinctl_call(const char *sock, Seinhuis__CtlRequest *req,
                 Seinhuis__CtlReply **rep);
/* The same, printing nothing: why the call failed (3: no daemon or no
 * answer; 1: refused, with the rule) goes into why. */
int seinctl_call_why(const char *sock, Seinhuis__CtlRequest *req,
                     Seinhuis__CtlReply **rep, char *why, size_t why_n);
/* The rest of a paged INBOX_LIST whose first page is r: further pages
 * appended to r until the listing ends or q->limit (0: no limit) items
 * are there; seinctl's exit status. r->late_acute is then the sum over
 * the pages, acute_until and late_acute_unlisted the last page's. */
int seinctl_inbox_rest(const char *sock, Seinhuis__CtlRequest *q,
                       Seinhuis__CtlReply *r);
void seinctl_print_json(json_object *o);
/* An inbox item as `inbox list --json` prints it. */
json_object *seinctl_inbox_json(const Seinhuis__InboxItem *it);
void seinctl_fmt_time(char *out, size_t n, int64_t ms);
/* "2026-11-23", "2026-11-23T10:00[:00]" (local time) or "@SECONDS" as Unix
 * microseconds; -1 if it is none of these. */
int seinctl_parse_time(const char *s, int64_t *us);
const char *seinctl_field_of(const Seinhuis__InboxItem *it, const char *name);

int seinctl_audit(const char *sock, int json, int argc, char **argv);
int seinctl_report(const char *sock, int json, int argc, char **argv);
/* seinctl_check.c: the health in one line for a monitoring system; its
 * exit status is the monitoring plugin's (0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN). */
int seinctl_check(const char *sock, int json, int argc, char **argv);
/* A duration in ms as "850ms", "4.2s", "12m05s", "3h05m", "2d04h". */
void seinctl_fmt_dur(char *out, size_t n, int64_t ms);
/* argv: "inbox" "reveal" ID --reason TEXT */
int seinctl_inbox_reveal(const char *sock, int json, int argc, char **argv);

#endif
