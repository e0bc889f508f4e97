/*
 * failsync.c - a preloaded library that makes one fdatasync on a daemon's
 * journal fail, for the test of a recipient turn that is not stored
 * (fault_turnfail.sh):
 *
 *   LD_PRELOAD=libfailsync.so FAILSYNC_FLAG=/path/flag seinhuisd ...
 *
 * Once the file $FAILSYNC_FLAG exists, the next fdatasync of a file named
 * "journal" (the store's journal, store.h) fails with EIO and the flag is
 * removed: one turn's commit fails, as on a disk error, and the daemon
 * goes on. The test creates the flag and waits for it to go. Every other
 * call is the C library's. Not for the sanitizer builds: their runtime
 * must come first in the list of libraries (as clockshift.c).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 1 if fd is the journal and the flag was there (and is removed now) */
static int fail_this(int fd)
{
	const char *flag = getenv("FAILSYNC_FLAG");
	if (!flag || access(flag, F_OK) != 0)
		return 0;
	char link[64], path[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n < 8)
		return 0;
	path[n] = '\0';
	if (strcmp(path + n - 8, "/journal") != 0)
		return 0;
	return unlink(flag) == 0; /* one shot, even with several threads */
}

int fdatasync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if (fail_this(fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}
