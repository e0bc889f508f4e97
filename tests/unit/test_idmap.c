/*
 * test_idmap.c - the id map behind each peer's send queue (daemon/outq.c)
 * must find every entry through growth and deletions. An earlier version
 * grew to a capacity that was not a power of two and then looped for ever
 * once about 2,000 signals were pending.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "daemon.h"

int main(void)
{
	sh_idmap m;
	enum { N = 50000 };
	sh_outq_entry *e = calloc(N, sizeof(*e));
	sh_idmap_init(&m);
	for (size_t i = 0; i < N; i++) {
		sh_random(e[i].id, SH_ID_LEN);
		sh_idmap_put(&m, &e[i]);
		/* delete every third one right away: tombstones too */
		if (i % 3 == 0)
			sh_idmap_del(&m, e[i].id);
	}
	CHECK((m.cap & (m.cap - 1)) == 0);
	size_t found = 0, absent = 0;
	for (size_t i = 0; i < N; i++) {
		sh_outq_entry *g = sh_idmap_get(&m, e[i].id);
		if (i % 3 == 0)
			absent += g == NULL;
		else
			found += g == &e[i];
	}
	CHECK_INT(found, N - (N + 2) / 3);
	CHECK_INT(absent, (N + 2) / 3);
	CHECK_INT(m.n, N - (N + 2) / 3);
	sh_idmap_free(&m);
	free(e);
	return check_done();
}
