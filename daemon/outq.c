/*
 * outq.c - the in-memory view of each peer's pending outbox.
 *
 * The outbox in LMDB is the truth; this is an index over its pending
 * records so that the event loop can decide cheaply what to send next and
 * what a receipt settles. Each peer has a FIFO of entries in outbox order
 * and a cursor: entries before the cursor were handed to ZeroMQ and await
 * a receipt, entries from the cursor on are still to be sent. A retry is a
 * rewind: every entry becomes unsent again and the cursor goes back to the
 * head, so a lost connection or a lost batch costs a resend, never a
 * signal. A receipt removes its entry wherever it is in the list.
 *
 * On start-up the whole index is rebuilt from the pending outbox records,
 * which is how signals accepted before a crash are sent after it.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

void sh_outq_append(sh_daemon *d, sh_peer *p, uint64_t seq,
                    const uint8_t id[SH_ID_LEN])
{
	sh_outq_entry *e = sh_xcalloc(1, sizeof(*e));
	e->seq = seq;
	memcpy(e->id, id, SH_ID_LEN);
	e->peer = p;
	e->prev = p->tail;
	if (p->tail)
		p->tail->next = e;
	else
		p->head = e;
	p->tail = e;
	if (!p->cursor)
		p->cursor = e;
	p->queued++;
	sh_idmap_put(&d->pending, e);
}

void sh_outq_remove(sh_daemon *d, sh_outq_entry *e)
{
	sh_peer *p = e->peer;
	if (p->cursor == e)
		p->cursor = e->next;
	if (e->sent_at)
		p->inflight--;
	if (e->prev)
		e->prev->next = e->next;
	else
		p->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		p->tail = e->prev;
	p->queued--;
	sh_idmap_del(&d->pending, e->id);
	free(e);
}

void sh_outq_rewind(sh_peer *p)
{
	for (sh_outq_entry *e = p->head; e && e != p->cursor; e = e->next)
		e->sent_at = 0;
	p->cursor = p->head;
	p->inflight = 0;
}

struct load_ctx {
	sh_daemon *d;
	size_t loaded, orphaned;
	const char *only; /* load only this partner's records */
};

static int load_one(void *vctx, uint64_t seq, const Seinhuis__OutboxRecord *r)
{
	struct load_ctx *c = vctx;
	if (r->state != SEINHUIS__OUT_STATE__OUT_PENDING ||
	    (c->only && strcmp(r->recipient, c->only) != 0))
		return 0;
	sh_peer *p = sh_peer_find(c->d, r->recipient);
	if (!p) {
		/* The partner was removed from the trust store: keep the
		 * record, report it; it is sent if the partner returns. */
		c->orphaned++;
		return 0;
	}
	sh_outq_append(c->d, p, seq, r->message_id.data);
	c->loaded++;
	return 0;
}

sh_err sh_outq_load_partner(sh_daemon *d, const char *partner)
{
	struct load_ctx c = {d, 0, 0, partner};
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		return SH_ERR_STORE;
	sh_err e = sh_store_outbox_scan(d->store, txn, 0, load_one, &c);
	sh_store_read_end(d->store, txn);
	if (c.loaded)
		sh_info("outbox: %zu pending signals for %s queued again",
		        c.loaded, partner);
	return e;
}

sh_err sh_outq_load(sh_daemon *d)
{
	struct load_ctx c = {d, 0, 0, NULL};
	MDB_txn *txn = sh_store_read_begin(d->store);
	if (!txn)
		return SH_ERR_STORE;
	sh_err e = sh_store_outbox_scan(d->store, txn, 0, load_one, &c);
	sh_store_read_end(d->store, txn);
	if (c.loaded)
		sh_info("outbox: %zu pending signals queued for sending",
		        c.loaded);
	if (c.orphaned)
		sh_warn(
		    "outbox: %zu pending signals are for partners no longer "
		    "in the trust store; they wait until the partner is "
		    "trusted again",
		    c.orphaned);
	return e;
}
