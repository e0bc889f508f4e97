/*
 * fixture.h - scratch directories, files and partner identities for the
 * unit tests.
 *
 * Every test that touches the file system works under one mkdtemp()
 * directory and removes it at the end. Identities are made the way
 * `seinkey init` makes them: sh_identity_create() into a fresh directory,
 * then sh_identity_load() back from it.
 */
#ifndef SH_UNIT_FIXTURE_H
#define SH_UNIT_FIXTURE_H

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seinhuis.h"

/* A fresh directory under $TMPDIR (or /tmp); exits if it cannot be made. */
static inline char *fx_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char tmpl[512];
	snprintf(tmpl, sizeof(tmpl), "%s/sh-unit-%s-XXXXXX",
	         base && *base ? base : "/tmp", tag);
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		exit(2);
	}
	return sh_strdup(tmpl);
}

/* Remove a directory tree (no symlinks are followed). */
static inline void fx_rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			char sub[1024];
			if (snprintf(sub, sizeof(sub), "%s/%s", path,
				     de->d_name) >= (int)sizeof(sub))
				continue;
			fx_rm_rf(sub);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static inline void fx_path(char *out, size_t n, const char *dir,
                           const char *name)
{
	if (snprintf(out, n, "%s/%s", dir, name) >= (int)n)
		out[0] = '\0';
}

/* Whole file as a NUL-terminated string (caller frees); NULL if absent. */
static inline char *fx_read(const char *path, size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	if (sh_read_file(path, 1 << 20, &text, &n) != SH_OK)
		return NULL;
	if (len)
		*len = n;
	return text;
}

/* Replace a file's content, keeping (or setting) the given mode. */
static inline int fx_write(const char *path, const char *text, int mode)
{
	unlink(path);
	return sh_write_new(path, mode, text, strlen(text)) == SH_OK ? 0 : -1;
}

/* Create an identity in parent/partner and load it. Returns 0 on success. */
static inline int fx_identity(sh_identity *id, const char *parent,
                              const char *partner, const char *role,
                              char *dir_out, size_t dirlen)
{
	sh_card pub;
	char why[1024];
	memset(&pub, 0, sizeof(pub));
	snprintf(pub.partner, sizeof(pub.partner), "%s", partner);
	snprintf(pub.name, sizeof(pub.name), "Test partner %s", partner);
	snprintf(pub.role, sizeof(pub.role), "%s", role);
	snprintf(pub.endpoint, sizeof(pub.endpoint), "tcp://127.0.0.1:7100");
	snprintf(dir_out, dirlen, "%s/%s", parent, partner);
	if (sh_identity_create(dir_out, &pub, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "identity create %s: %s\n", partner, why);
		return -1;
	}
	if (sh_identity_load(id, dir_out, why, sizeof(why)) != SH_OK) {
		fprintf(stderr, "identity load %s: %s\n", partner, why);
		return -1;
	}
	return 0;
}

#endif
