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
 *
 * A signal accepted while its partner is connected usually goes out in the
 * next loop turn; its entry keeps a copy of the envelope until then, so
 * that the first send does not read back (and decode) the record that was
 * just written. The copy travels with the deferred enqueue and joins the
 * entry only if the turn's commit succeeds, so nothing is sent from memory
 * that is not on disk. It is dropped, wiped, once the signal was handed to
 * ZeroMQ (or its partner disconnects): resends after a timeout or a
 * reconnect, and everything after a restart, read the store. All kept copies
 * together stay within SH_OUTQ_ENV_MAX; beyond that a signal is sent from the
 * store as before.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

_Static_assert(sizeof(((sh_outq_env *)0)->legal_basis) ==
                   sizeof(((sh_build_note *)0)->legal_basis),
               "legal_basis is copied whole");

static size_t env_size(const sh_outq_env *env)
{
	return sizeof(*env) + env->len;
}

sh_outq_env *sh_outq_env_keep(sh_daemon *d, const sh_peer *p,
                              const uint8_t *env, size_t len,
                              Seinhuis__SignalType type,
                              const sh_build_note *note)
{
	size_t size = sizeof(sh_outq_env) + len;
	if (!p->connected || d->env_kept + size > SH_OUTQ_ENV_MAX)
		return NULL;
	sh_outq_env *k = sh_xmalloc(size);
	k->type = type;
	k->has_subject = note->has_subject;
	memcpy(k->subject, note->subject, SH_PSEUDO_LEN);
	memcpy(k->legal_basis, note->legal_basis, sizeof(k->legal_basis));
	memcpy(k->signal_sha256, note->signal_sha256, 32);
	k->len = len;
	memcpy(k->data, env, len);
	d->env_kept += size;
	return k;
}

void sh_outq_env_drop(sh_daemon *d, sh_outq_env **env)
{
	if (!*env)
		return;
	size_t size = env_size(*env);
	d->env_kept -= size;
	/* its personal part is sealed, but what carried a signal is wiped */
	sh_wipe(*env, size);
	free(*env);
	*env = NULL;
}

void sh_outq_env_drop_peer(sh_daemon *d, sh_peer *p)
{
	/* entries before the cursor were sent and keep none */
	for (sh_outq_entry *e = p->cursor; e; e = e->next)
		sh_outq_env_drop(d, &e->env);
}

sh_outq_entry *sh_outq_append(sh_daemon *d, sh_peer *p, uint64_t seq,
                              const uint8_t id[SH_ID_LEN], sh_outq_env *env)
{
	sh_outq_entry *e = sh_xcalloc(1, sizeof(*e));
	e->seq = seq;
	memcpy(e->id, id, SH_ID_LEN);
	e->env = env;
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
	return e;
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
	/* one marked and not yet failed (its partner left the trust store,
	 * or a receipt settled it first) is no longer waited for */
	if (e->corrupt)
		d->corrupt_waiting--;
	sh_idmap_del(&d->pending, e->id);
	sh_outq_env_drop(d, &e->env);
	free(e);
}

void sh_outq_drop_peer(sh_daemon *d, sh_peer *p)
{
	for (sh_outq_entry *e = p->head, *next; e; e = next) {
		next = e->next; /* read before it is freed */
		sh_outq_remove(d, e);
	}
}

void sh_outq_settled(sh_daemon *d, sh_peer *p, const uint8_t id[SH_ID_LEN],
                     int delivered, int ok)
{
	/* Not a pointer kept since the receipt: a partner removed from the
	 * trust store later in the same turn had its queue freed then. */
	sh_outq_entry *e = sh_idmap_get(&d->pending, id);
	if (!e || e->peer != p || !e->settling)
		return;
	if (!ok) {
		e->settling = 0; /* settled when the receipt comes again */
		return;
	}
	/* a recover's re-sent signal was counted when it was delivered the
	 * first time */
	if (!delivered)
		p->rejected_out++;
	else if (!e->resent)
		p->delivered++;
	sh_outq_remove(d, e);
}

void sh_outq_rewind(sh_peer *p)
{
	for (sh_outq_entry *e = p->head; e && e != p->cursor; e = e->next)
		e->sent_at = 0;
	p->cursor = p->head;
	p->inflight = 0;
}

/* The partner did not take a frame (it was over its peer_rate): the
 * signals from the frame's first one on become unsent again, and the
 * cursor goes back to it. Signals sent before it stay in flight: their
 * receipts are still coming. Returns how many were rewound; 0 when that
 * signal is not in flight to this partner (settled, or rewound already by
 * an earlier deferral). */
size_t sh_outq_rewind_from(sh_daemon *d, sh_peer *p,
                           const uint8_t id[SH_ID_LEN])
{
	sh_outq_entry *from = sh_idmap_get(&d->pending, id);
	if (!from || from->peer != p || !from->sent_at)
		return 0;
	size_t n = 0;
	for (sh_outq_entry *e = from; e && e != p->cursor; e = e->next) {
		if (e->sent_at) {
			e->sent_at = 0;
			p->inflight--;
			n++;
		}
	}
	p->cursor = from;
	return n;
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
	/* Pending with attempts recorded: settled (delivered) before, and
	 * pending again for a recover (sh_store_outbox_requeue_from keeps
	 * them); a record pending since acceptance has none stored. Counted
	 * in delivered once, as before the restart (sh_outq_settled). */
	sh_outq_append(c->d, p, seq, r->message_id.data, NULL)->resent =
	    r->attempts > 0;
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
