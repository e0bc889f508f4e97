/*
 * seinctl_audit.h - seinctl's audit log commands (seinctl_audit.c):
 * audit list|export|verify|head|prove|check-proof|subject, report, and
 * inbox reveal. Each takes the command's own arguments (argv[0] is the
 * command word) and returns seinctl's exit status.
 */
#ifndef SEINHUIS_SEINCTL_AUDIT_H
#define SEINHUIS_SEINCTL_AUDIT_H

#include "seinhuis.h"

/* seinctl.c: one control request and its reply; refusals printed. */
int seinctl_call(const char *sock, Seinhuis__CtlRequest *req,
                 Seinhuis__CtlReply **rep);

int seinctl_audit(const char *sock, int json, int argc, char **argv);
int seinctl_report(const char *sock, int json, int argc, char **argv);
/* argv: "inbox" "reveal" ID --reason TEXT */
int seinctl_inbox_reveal(const char *sock, int json, int argc, char **argv);

#endif
