/*
 * test_arena.c - the bump allocator of the recipient's hot path
 * (daemon/arena.c): aligned, non-overlapping blocks; large blocks and
 * what does not fit the chunk from malloc (ASan and valgrind see that
 * they are given back); every byte handed out from the chunk wiped by a
 * reset, since opened sealed content lives there; the chunk grown to what
 * a signal needed, within its bound; and decoding through it as a
 * ProtobufCAllocator gives what malloc gives.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "seinhuis.h"

static int in_chunk(const sh_arena *a, const void *p)
{
	const uint8_t *c = a->chunk, *q = p;
	return c && q >= c && q < c + a->cap;
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_blocks(void)
{
	sh_arena a;
	uint8_t *p[40];
	sh_arena_init(&a, 4096);
	for (size_t i = 0; i < 40; i++) {
		p[i] = sh_arena_alloc(&a, i + 1);
		memset(p[i], 0xa5, i + 1);
		CHECK((uintptr_t)p[i] % 16 == 0);
		CHECK(in_chunk(&a, p[i]));
		if (i)
			CHECK(p[i] >= p[i - 1] + i);
	}
	size_t used = a.used;
	CHECK(used >= 40 * 16);
	/* every byte handed out is wiped by the reset */
	sh_arena_reset(&a);
	CHECK_INT(a.used, 0);
	for (size_t i = 0; i < 40; i++)
		CHECK(all_zero(p[i], i + 1));
	CHECK(all_zero(a.chunk, used));

	/* a block of more than a quarter of the chunk comes from malloc */
	uint8_t *big = sh_arena_alloc(&a, 2000);
	CHECK(big && !in_chunk(&a, big));
	CHECK((uintptr_t)big % 16 == 0);
	memset(big, 0x5a, 2000);
	CHECK_INT(a.used, 0);
	CHECK(a.big != NULL);
	sh_arena_reset(&a);
	CHECK(a.big == NULL);
	CHECK_INT(a.cap, 4096); /* not a reason to grow */

	/* what does not fit comes from malloc, and the next reset grows the
	 * chunk to hold it all */
	for (size_t i = 0; i < 16; i++)
		sh_arena_alloc(&a, 512);
	CHECK(a.spilled > 0);
	sh_arena_reset(&a);
	CHECK(a.spilled == 0);
	CHECK(a.want > 4096);
	uint8_t *q = sh_arena_alloc(&a, 512);
	CHECK(in_chunk(&a, q));
	CHECK(a.cap >= 16 * 512);
	sh_arena_reset(&a);

	/* growth is bounded */
	for (size_t round = 0; round < 8; round++) {
		for (size_t i = 0; i < 3000; i++)
			sh_arena_alloc(&a, 1000);
		sh_arena_reset(&a);
	}
	sh_arena_alloc(&a, 1);
	CHECK(a.cap <= (size_t)1 << 20);
	CHECK(sh_arena_alloc(&a, SIZE_MAX - 8) == NULL);

	char *dup = sh_arena_strdup(&a, "kerkstraat 12");
	CHECK_STR(dup, "kerkstraat 12");
	sh_arena_free(&a);
	CHECK(a.chunk == NULL && a.big == NULL);
	/* an arena that was never used frees cleanly */
	sh_arena_init(&a, 0);
	sh_arena_free(&a);
}

/* A message with strings, bytes and a repeated field, unpacked from the
 * same bytes into an arena and from malloc. */
static void test_protobuf(void)
{
	Seinhuis__SealedContent sc = SEINHUIS__SEALED_CONTENT__INIT;
	Seinhuis__Person p1 = SEINHUIS__PERSON__INIT,
	                 p2 = SEINHUIS__PERSON__INIT;
	Seinhuis__Person *ps[] = {&p1, &p2};
	p1.surname = "Bergsma";
	p1.postcode = "1234AB";
	p2.surname = "Jansen";
	sc.n_persons = 2;
	sc.persons = ps;
	sc.description = "a description of some length, more than a word";
	size_t n = seinhuis__sealed_content__get_packed_size(&sc);
	uint8_t *buf = malloc(n);
	seinhuis__sealed_content__pack(&sc, buf);

	sh_arena a;
	sh_arena_init(&a, 1024);
	for (int round = 0; round < 3; round++) {
		Seinhuis__SealedContent *m =
		    seinhuis__sealed_content__unpack(NULL, n, buf);
		Seinhuis__SealedContent *am =
		    seinhuis__sealed_content__unpack(&a.pc, n, buf);
		if (CHECK(m && am)) {
			CHECK_INT(am->n_persons, 2);
			CHECK_STR(am->persons[0]->surname, "Bergsma");
			CHECK_STR(am->persons[1]->surname, "Jansen");
			CHECK_STR(am->description, m->description);
			uint8_t *again = malloc(n);
			CHECK_INT(seinhuis__sealed_content__pack(am, again), n);
			CHECK_MEM(again, buf, n);
			free(again);
			CHECK(in_chunk(&a, am) || a.big);
		}
		/* a no-op through the arena's allocator */
		if (am)
			seinhuis__sealed_content__free_unpacked(am, &a.pc);
		if (m)
			seinhuis__sealed_content__free_unpacked(m, NULL);
		/* what does not decode leaves nothing behind either */
		CHECK(seinhuis__sealed_content__unpack(&a.pc, n - 3, buf) ==
		      NULL);
		size_t used = a.used;
		const uint8_t *chunk = a.chunk;
		sh_arena_reset(&a);
		if (chunk == a.chunk)
			CHECK(all_zero(chunk, used));
	}
	sh_arena_free(&a);
	free(buf);
}

int main(void)
{
	test_blocks();
	test_protobuf();
	return check_done();
}
