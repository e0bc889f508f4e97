/*
 * failio.c - preloaded, makes one file operation fail with ENOSPC, as a
 * full disk would (it_keys.sh): a rename onto the path in FAIL_RENAME_TO,
 * or the creation (open with O_CREAT) of the path in FAIL_CREATE.
 * Everything else goes through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static int is(const char *var, const char *path)
{
	const char *v = getenv(var);
	return v && *v && path && strcmp(v, path) == 0;
}

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
		                                                  "rename");
	if (is("FAIL_RENAME_TO", to)) {
		errno = ENOSPC;
		return -1;
	}
	return real(from, to);
}

#define WRAP(name)                                                             \
	int name(const char *path, int flags, ...)                             \
	{                                                                      \
		static int (*real)(const char *, int, ...);                    \
		if (!real)                                                     \
			real = (int (*)(const char *, int, ...))dlsym(         \
			    RTLD_NEXT, #name);                                 \
		mode_t mode = 0;                                               \
		if (flags & (O_CREAT | O_TMPFILE)) {                           \
			va_list ap;                                            \
			va_start(ap, flags);                                   \
			mode = va_arg(ap, mode_t);                             \
			va_end(ap);                                            \
		}                                                              \
		if ((flags & O_CREAT) && is("FAIL_CREATE", path)) {            \
			errno = ENOSPC;                                        \
			return -1;                                             \
		}                                                              \
		return real(path, flags, mode);                                \
	}
WRAP(open)
WRAP(open64)
