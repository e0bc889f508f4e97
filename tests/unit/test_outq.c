/*
 * test_outq.c - the send queues (daemon/outq.c) when a partner is removed
 * from the trust store in the turn in which one of its signals is settled.
 *
 * A receipt, or the failing of a damaged signal (sh_peer_fail_corrupt),
 * leaves a DEFER_DONE that the end of the turn carries out. trust_reload
 * may drop the partner's queue in between. DEFER_DONE once kept a pointer
 * to the entry and read and freed it after it had been freed with the
 * queue; it now finds the entry by message id (sh_outq_settled) and lets
 * one that is gone be. Entries marked as not to be sent that leave the
 * queue another way than by being failed no longer leave corrupt_waiting
 * counting them, which made every later turn scan every queue. Run under
 * ASan (-DSEINHUIS_SANITIZE=ON) a use of a freed entry stops it.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "daemon.h"

/* outq.c's sh_outq_load_partner needs it (not used here) */
sh_peer *sh_peer_find(sh_daemon *d, const char *partner)
{
	(void)d;
	(void)partner;
	return NULL;
}

static void id_of(uint8_t id[SH_ID_LEN], int n)
{
	memset(id, 0, SH_ID_LEN);
	id[0] = (uint8_t)n;
	id[1] = 0x5a;
}

int main(void)
{
	sh_daemon *d = calloc(1, sizeof(*d));
	sh_peer *peers = calloc(2, sizeof(*peers));
	sh_peer *a = &peers[0], *b = &peers[1];
	uint8_t id[SH_ID_LEN];
	sh_idmap_init(&d->pending);

	/* a: three signals, the second damaged and being failed in this
	 * turn, the third settled by a receipt; b: one, settled */
	sh_outq_entry *ea[3];
	for (int i = 0; i < 3; i++) {
		id_of(id, 10 + i);
		ea[i] = sh_outq_append(d, a, (uint64_t)(i + 1), id, NULL);
	}
	id_of(id, 20);
	sh_outq_entry *eb = sh_outq_append(d, b, 4, id, NULL);
	CHECK_INT(d->pending.n, 4);
	ea[1]->corrupt = SH_OUTQ_BAD_RECORD;
	d->corrupt_waiting++;
	/* sh_peer_fail_corrupt: settled, its mark taken off */
	ea[1]->settling = 1;
	ea[1]->corrupt = 0;
	d->corrupt_waiting--;
	ea[2]->settling = 1;
	uint8_t id1[SH_ID_LEN], id2[SH_ID_LEN];
	memcpy(id1, ea[1]->id, SH_ID_LEN);
	memcpy(id2, ea[2]->id, SH_ID_LEN);

	/* one more of a's, marked damaged and not failed yet */
	id_of(id, 13);
	sh_outq_entry *marked = sh_outq_append(d, a, 5, id, NULL);
	marked->corrupt = SH_OUTQ_BAD_ENVELOPE;
	d->corrupt_waiting++;

	/* trust_reload: a removed, its queue dropped */
	sh_outq_drop_peer(d, a);
	a->removed = 1;
	CHECK(a->head == NULL && a->tail == NULL && a->cursor == NULL);
	CHECK_INT(a->queued, 0);
	CHECK_INT(d->pending.n, 1);
	CHECK_INT(d->corrupt_waiting, 0); /* the marked one went too */

	/* finish_turn: the DEFER_DONEs of a's signals find nothing */
	sh_outq_settled(d, a, id1, 0, 1);
	sh_outq_settled(d, a, id2, 1, 1);
	sh_outq_settled(d, a, id2, 1, 0); /* as if the commit failed */
	CHECK_INT(a->rejected_out, 0);
	CHECK_INT(a->delivered, 0);
	CHECK_INT(d->pending.n, 1);

	/* b's own settles as before: a failed commit leaves it queued... */
	eb->settling = 1;
	sh_outq_settled(d, b, eb->id, 1, 0);
	CHECK_INT(eb->settling, 0);
	CHECK_INT(b->queued, 1);
	/* ... an entry not being settled is not touched (a DONE of an
	 * earlier entry of the same id) ... */
	sh_outq_settled(d, b, eb->id, 1, 1);
	CHECK_INT(b->queued, 1);
	/* ... another partner's DONE for its id does nothing ... */
	eb->settling = 1;
	sh_outq_settled(d, a, eb->id, 1, 1);
	CHECK_INT(b->queued, 1);
	/* ... and a committed one removes and counts it */
	sh_outq_settled(d, b, eb->id, 1, 1);
	CHECK_INT(b->queued, 0);
	CHECK_INT(b->delivered, 1);
	CHECK_INT(d->pending.n, 0);

	/* a marked entry settled by a receipt (it was in flight before it
	 * was found damaged on a resend) no longer counts as waiting */
	id_of(id, 30);
	sh_outq_entry *c = sh_outq_append(d, b, 6, id, NULL);
	c->corrupt = SH_OUTQ_BAD_ENVELOPE;
	d->corrupt_waiting++;
	c->settling = 1;
	sh_outq_settled(d, b, id, 1, 1);
	CHECK_INT(d->corrupt_waiting, 0);
	CHECK_INT(b->delivered, 2);

	/* a recover's re-sent signal is not counted delivered twice; a
	 * rejected one is counted rejected */
	id_of(id, 31);
	c = sh_outq_append(d, b, 7, id, NULL);
	c->resent = 1;
	c->settling = 1;
	sh_outq_settled(d, b, id, 1, 1);
	CHECK_INT(b->delivered, 2);
	id_of(id, 32);
	c = sh_outq_append(d, b, 8, id, NULL);
	c->settling = 1;
	sh_outq_settled(d, b, id, 0, 1);
	CHECK_INT(b->rejected_out, 1);
	CHECK_INT(d->pending.n, 0);

	sh_idmap_free(&d->pending);
	free(peers);
	free(d);
	return check_done();
}
