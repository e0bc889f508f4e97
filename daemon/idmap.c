/*
 * idmap.c - a map from message id to send-queue entry, for the daemon's
 * in-memory send queues (outq.c): open addressing with linear probing and
 * tombstones. A message id's last 8 bytes are random (its first 6 are
 * its creation time), so they are the hash.
 * The capacity is a power of two, because slots are found with a mask.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static size_t id_hash(const uint8_t id[SH_ID_LEN])
{
	uint64_t h;
	memcpy(&h, id + SH_ID_LEN - sizeof(h), sizeof(h)); /* random part */
	return (size_t)h;
}

#define TOMB ((sh_outq_entry *)(uintptr_t)1)

void sh_idmap_init(sh_idmap *m)
{
	m->cap = 1024;
	m->n = m->used = 0;
	m->slots = sh_xcalloc(m->cap, sizeof(*m->slots));
}

void sh_idmap_free(sh_idmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = m->used = 0;
}

static void idmap_grow(sh_idmap *m)
{
	sh_idmap old = *m;
	/* Slots are found with a mask: the capacity stays a power of two. */
	m->cap = 1024;
	while (m->cap < old.n * 4)
		m->cap *= 2;
	m->slots = sh_xcalloc(m->cap, sizeof(*m->slots));
	m->n = m->used = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i] && old.slots[i] != TOMB)
			sh_idmap_put(m, old.slots[i]);
	free(old.slots);
}

void sh_idmap_put(sh_idmap *m, sh_outq_entry *e)
{
	if ((m->used + 1) * 4 > m->cap * 3)
		idmap_grow(m);
	size_t i = id_hash(e->id) & (m->cap - 1);
	while (m->slots[i] && m->slots[i] != TOMB)
		i = (i + 1) & (m->cap - 1);
	if (!m->slots[i])
		m->used++;
	m->slots[i] = e;
	m->n++;
}

static size_t idmap_find(const sh_idmap *m, const uint8_t id[SH_ID_LEN])
{
	size_t i = id_hash(id) & (m->cap - 1);
	for (size_t probes = 0; probes < m->cap && m->slots[i];
	     probes++, i = (i + 1) & (m->cap - 1))
		if (m->slots[i] != TOMB &&
		    memcmp(m->slots[i]->id, id, SH_ID_LEN) == 0)
			return i;
	return SIZE_MAX;
}

sh_outq_entry *sh_idmap_get(const sh_idmap *m, const uint8_t id[SH_ID_LEN])
{
	size_t i = idmap_find(m, id);
	return i == SIZE_MAX ? NULL : m->slots[i];
}

void sh_idmap_del(sh_idmap *m, const uint8_t id[SH_ID_LEN])
{
	size_t i = idmap_find(m, id);
	if (i != SIZE_MAX) {
		m->slots[i] = TOMB;
		m->n--;
	}
}
