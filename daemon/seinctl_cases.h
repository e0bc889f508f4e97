/*
 * seinctl_cases.h - seinctl's case commands (seinctl_cases.c): the case
 * listing, case show|claim|step, claim and export. Each takes the
 * command's own arguments (argv[0] is the command word) and returns
 * seinctl's exit status.
 */
#ifndef SEINHUIS_SEINCTL_CASES_H
#define SEINHUIS_SEINCTL_CASES_H

#include "seinhuis.h"

/* The inbox as cases (municipality_debt). */
int seinctl_case_list(const char *sock, int json);
/* argv: "case" list|show|claim|step ... */
int seinctl_case(const char *sock, int json, int argc, char **argv);
/* argv: "claim" CASE [--release] [--force] */
int seinctl_claim(const char *sock, int json, int argc, char **argv);
/* argv: "export" --format json|csv [--out FILE] [--case CASE]
 * [--reveal --reason TEXT] */
int seinctl_export(const char *sock, int json, int argc, char **argv);

#endif
