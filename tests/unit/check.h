/*
 * check.h - the unit tests' own assertion helpers.
 *
 * Each test program includes this once. A failed check prints where it
 * failed and what it saw, and the program carries on, so that one run
 * shows every failure. Everything goes to standard output, in order, so
 * that the closing line of check_done(), "N passed, M failed", is the
 * last line; check_done() also gives the exit status: non-zero if any
 * check failed.
 */
#ifndef SH_UNIT_CHECK_H
#define SH_UNIT_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "seinhuis.h"

static int check_passed_n, check_failed_n;
/* What the checks that follow are about, for table-driven tests. */
static char check_case_text[256];

static inline void check_case(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline void check_case(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(check_case_text, sizeof(check_case_text), fmt, ap);
	va_end(ap);
}

static inline int check_note(int ok, const char *file, int line,
                             const char *what)
{
	if (ok) {
		check_passed_n++;
	} else {
		check_failed_n++;
		fprintf(stdout, "FAIL %s:%d: %s\n", file, line, what);
		if (check_case_text[0])
			fprintf(stdout, "     case: %s\n", check_case_text);
	}
	return ok;
}

static inline int check_int(long long got, long long want, const char *file,
                            int line, const char *what)
{
	if (!check_note(got == want, file, line, what))
		fprintf(stdout, "     got %lld, want %lld\n", got, want);
	return got == want;
}

static inline int check_err(sh_err got, sh_err want, const char *file, int line,
                            const char *what)
{
	if (!check_note(got == want, file, line, what))
		fprintf(stdout, "     got %s, want %s\n", sh_err_rule(got),
		        sh_err_rule(want));
	return got == want;
}

static inline int check_str(const char *got, const char *want, const char *file,
                            int line, const char *what)
{
	int ok = got && want && strcmp(got, want) == 0;
	if (!check_note(ok, file, line, what))
		fprintf(stdout, "     got \"%s\", want \"%s\"\n",
		        got ? got : "(null)", want ? want : "(null)");
	return ok;
}

static inline int check_has(const char *hay, const char *needle,
                            const char *file, int line, const char *what)
{
	int ok = hay && needle && strstr(hay, needle) != NULL;
	if (!check_note(ok, file, line, what))
		fprintf(stdout, "     \"%s\" does not contain \"%s\"\n",
		        hay ? hay : "(null)", needle ? needle : "(null)");
	return ok;
}

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed_n, check_failed_n);
	return check_failed_n ? 1 : 0;
}

/* Plain truth. */
#define CHECK(cond) check_note(!!(cond), __FILE__, __LINE__, #cond)
/* Integers of any kind, compared as long long. */
#define CHECK_INT(got, want)                                                   \
	check_int((long long)(got), (long long)(want), __FILE__, __LINE__,     \
	          #got " == " #want)
/* An sh_err, reported by rule name. */
#define CHECK_ERR(got, want)                                                   \
	check_err((got), (want), __FILE__, __LINE__, #got " -> " #want)
#define CHECK_STR(got, want)                                                   \
	check_str((got), (want), __FILE__, __LINE__, #got " eq " #want)
/* hay contains needle. */
#define CHECK_HAS(hay, needle)                                                 \
	check_has((hay), (needle), __FILE__, __LINE__,                         \
	          #hay " contains " #needle)
#define CHECK_MEM(a, b, n)                                                     \
	check_note(memcmp((a), (b), (n)) == 0, __FILE__, __LINE__,             \
	           #a " and " #b " hold the same " #n " bytes")
#define CHECK_MEM_NE(a, b, n)                                                  \
	check_note(memcmp((a), (b), (n)) != 0, __FILE__, __LINE__,             \
	           #a " and " #b " differ in " #n " bytes")

#endif
