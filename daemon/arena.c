/*
 * arena.c - a bump allocator for what one received signal or frame
 * decodes.
 *
 * A signal received from a partner is decoded several times over (its
 * envelope, its signal, its opened sealed content, the fields for the
 * policy check), each into some dozens of small blocks that live only
 * while that signal is handled. From malloc, taking and giving them back
 * cost the recipient about a fifth of its CPU time. An arena hands them
 * out of one chunk by moving a pointer, and lets them all go at once.
 *
 * What it holds includes opened sealed content, which is personal data:
 * sh_arena_reset wipes every byte that was handed out before the memory is
 * used again or goes back to malloc, as sh_buf does for its buffers. A
 * block of more than a quarter of the chunk (a large sealed part) comes
 * from malloc on its own and is wiped and freed on reset. When the chunk
 * runs out, further blocks come from malloc the same way, and the next
 * reset grows the chunk to what was needed, up to SH_ARENA_MAX, so that a
 * steady stream of signals costs no malloc at all.
 *
 * As a ProtobufCAllocator (a->pc) its free is a no-op: a message unpacked
 * into the arena may be given to *_free_unpacked with &a->pc, and need not
 * be; it is gone at the next reset.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "seinhuis.h"

#define SH_ARENA_ALIGN 16
#define SH_ARENA_MAX   ((size_t)1 << 20)

/* A block from malloc, wiped and freed on reset; its bytes follow the
 * header, which keeps them aligned as the chunk's are. */
struct sh_arena_big {
	struct sh_arena_big *next;
	size_t n;
};
_Static_assert(sizeof(struct sh_arena_big) % SH_ARENA_ALIGN == 0,
               "arena: a big block's header keeps its bytes aligned");

static void *pc_alloc(void *data, size_t n)
{
	return sh_arena_alloc(data, n);
}

static void pc_free(void *data, void *p)
{
	(void)data;
	(void)p; /* let go at the next reset */
}

void sh_arena_init(sh_arena *a, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->pc.alloc = pc_alloc;
	a->pc.free = pc_free;
	a->pc.allocator_data = a;
	a->want = cap < 1024 ? 1024 : cap > SH_ARENA_MAX ? SH_ARENA_MAX : cap;
}

static void *big_alloc(sh_arena *a, size_t n)
{
	struct sh_arena_big *b = sh_xmalloc(sizeof(*b) + n);
	b->next = a->big;
	b->n = n;
	a->big = b;
	return b + 1;
}

void *sh_arena_alloc(sh_arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - SH_ARENA_ALIGN - sizeof(struct sh_arena_big))
		return NULL;
	size_t r = (n + SH_ARENA_ALIGN - 1) & ~(size_t)(SH_ARENA_ALIGN - 1);
	if (!a->chunk) {
		a->chunk = sh_xmalloc(a->want);
		a->cap = a->want;
		a->used = 0;
	}
	if (r > a->cap / 4)
		return big_alloc(a, n);
	if (r > a->cap - a->used) {
		a->spilled += r; /* the next reset makes room for it */
		return big_alloc(a, n);
	}
	void *p = a->chunk + a->used;
	a->used += r;
	return p;
}

char *sh_arena_strdup(sh_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = sh_arena_alloc(a, n);
	if (p)
		memcpy(p, s, n);
	return p;
}

void sh_arena_reset(sh_arena *a)
{
	if (a->used)
		sh_wipe(a->chunk, a->used);
	a->used = 0;
	while (a->big) {
		struct sh_arena_big *b = a->big;
		a->big = b->next;
		sh_wipe(b + 1, b->n);
		free(b);
	}
	if (a->spilled) {
		size_t want = a->cap + a->spilled;
		want = want > SH_ARENA_MAX / 2 ? SH_ARENA_MAX : 2 * want;
		a->spilled = 0;
		if (want > a->cap) {
			/* wiped above; the next alloc takes a larger one */
			free(a->chunk);
			a->chunk = NULL;
			a->cap = 0;
			a->want = want;
		}
	}
}

void sh_arena_free(sh_arena *a)
{
	sh_arena_reset(a);
	free(a->chunk);
	a->chunk = NULL;
	a->cap = 0;
}
