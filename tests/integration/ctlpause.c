/*
 * ctlpause.c - a preloaded library that holds seinctl between two pages
 * of a listing, for the test of an acute report that arrives while a long
 * inbox listing is read (it_meldcode.sh):
 *
 *   LD_PRELOAD=libctlpause.so CTLPAUSE_SOCK=.../control.sock \
 *       CTLPAUSE_DIR=DIR CTLPAUSE_AT=N seinctl inbox list
 *
 * seinctl asks each page on a connection of its own. Each connect() to
 * CTLPAUSE_SOCK is counted; before the Nth, the library creates
 * DIR/paused and waits until DIR/go exists (at most 60 s), so the test
 * can change the inbox between the pages. At exit it writes the count of
 * connections to DIR/count (with CTLPAUSE_AT=0 it only counts: how many
 * pages a listing took). connect() is made with the system call itself,
 * as clockshift.c reads the clock. Not for the sanitizer builds (their
 * runtime must come first): the test skips there, when CTLPAUSE is not
 * set.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static unsigned long count;

static void touch(const char *dir, const char *name, const char *text)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (text && write(fd, text, strlen(text)) < 0) {
		/* the test sees a missing count */
	}
	close(fd);
}

__attribute__((destructor)) static void ctlpause_exit(void)
{
	const char *dir = getenv("CTLPAUSE_DIR");
	char n[32];
	snprintf(n, sizeof(n), "%lu\n", count);
	if (dir)
		touch(dir, "count", n);
}

int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	const char *sock = getenv("CTLPAUSE_SOCK");
	const char *dir = getenv("CTLPAUSE_DIR");
	const char *at = getenv("CTLPAUSE_AT");
	if (sock && dir && sa && sa->sa_family == AF_UNIX &&
	    strcmp(((const struct sockaddr_un *)sa)->sun_path, sock) == 0 &&
	    ++count == strtoul(at ? at : "0", NULL, 10)) {
		char go[4096];
		snprintf(go, sizeof(go), "%s/go", dir);
		touch(dir, "paused", NULL);
		struct timespec ts = {0, 50 * 1000 * 1000};
		for (int i = 0; i < 1200 && access(go, F_OK) != 0; i++)
			nanosleep(&ts, NULL);
	}
	return (int)syscall(SYS_connect, fd, sa, len);
}
