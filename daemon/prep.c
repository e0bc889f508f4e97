/*
 * prep.c - a helper thread for the control socket's bulk of requests.
 *
 * Decoding a control request, checking a signal against the policy and
 * building and sealing it depend on the request, the catalogue, the
 * partner cards and the pair keys only: no store, no queue, no audit log.
 * When a turn has a window of requests waiting, the helper prepares them
 * from the end of the window while the main thread takes them from the
 * front, preparing each one the helper has not claimed and then
 * committing it (store, queue, audit, reply) in order. The two meet in the
 * middle; the main thread waits only for the one request the helper may
 * be working on there.
 *
 * What both threads read stays as it is during a window: the catalogue,
 * the trust store and the peer table change only between turns, and the
 * pair keys of every partner are derived before a window starts
 * (control.c). Each thread has its own build arena, random-id pool and
 * HMAC key states.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#define CLAIM_FREE   0
#define CLAIM_MAIN   1
#define CLAIM_HELPER 2

struct sh_prep {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake, idle;
	int stop;      /* under mu: the thread ends */
	unsigned job;  /* under mu: counts the jobs started */
	unsigned seen; /* under mu: the last job taken, or withdrawn */
	int busy;      /* under mu: the helper works on a job */
	sh_daemon *d;
	sh_prep_fn fn;
	void *ctx;
	size_t n;
	atomic_int quit; /* the job is over: claim nothing more */
	atomic_uchar claim[SH_PREP_MAX];
	atomic_uchar done[SH_PREP_MAX];
	sh_arena arena; /* the helper's build arena */
};

static void run_job(struct sh_prep *w)
{
	for (size_t j = w->n; j-- > 0;) {
		if (atomic_load_explicit(&w->quit, memory_order_acquire))
			break;
		unsigned char f = CLAIM_FREE;
		/* failing: the main thread got here; all before are its */
		if (!atomic_compare_exchange_strong(&w->claim[j], &f,
		                                    CLAIM_HELPER))
			break;
		w->fn(w->d, w->ctx, j, &w->arena);
		atomic_store_explicit(&w->done[j], 1, memory_order_release);
	}
}

static void *helper_main(void *arg)
{
	struct sh_prep *w = arg;
	/* Woken, the helper does not preempt the main thread on its CPU (it
	 * waits for the other one, or for the main thread to block): the
	 * main thread is the one the others wait for. */
	struct sched_param sp = {0};
	pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && w->job == w->seen)
			pthread_cond_wait(&w->wake, &w->mu);
		if (w->stop)
			break;
		w->seen = w->job;
		w->busy = 1;
		pthread_mutex_unlock(&w->mu);
		run_job(w);
		pthread_mutex_lock(&w->mu);
		w->busy = 0;
		pthread_cond_signal(&w->idle);
	}
	pthread_mutex_unlock(&w->mu);
	sh_arena_free(&w->arena);
	sh_crypto_forget();
	return NULL;
}

/* The helper, started on first use; NULL if it cannot be (the main thread
 * then prepares everything itself). */
static struct sh_prep *helper(sh_daemon *d)
{
	if (d->prep || d->prep_off)
		return d->prep;
	if (d->cfg.helper_thread == SH_HELPER_NO ||
	    (d->cfg.helper_thread == SH_HELPER_AUTO &&
	     sysconf(_SC_NPROCESSORS_ONLN) < 2)) {
		d->prep_off = 1; /* not an error: the main thread does it */
		return NULL;
	}
	struct sh_prep *w = sh_xcalloc(1, sizeof(*w));
	w->d = d;
	sh_arena_init(&w->arena, 16u << 10);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->idle, NULL);
	/* signals are the main thread's: the helper blocks them all */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, helper_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		sh_daemon_warn(d,
		               "control: no helper thread (%s); requests "
		               "are prepared on the main thread",
		               strerror(rc));
		sh_arena_free(&w->arena);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->wake);
		pthread_cond_destroy(&w->idle);
		free(w);
		d->prep_off = 1;
		return NULL;
	}
	d->prep = w;
	sh_info("control: a helper thread prepares bulk requests "
	        "(helper_thread)");
	return w;
}

void sh_prep_start(sh_daemon *d, sh_prep_fn fn, void *ctx, size_t n)
{
	if (n > SH_PREP_MAX)
		n = SH_PREP_MAX;
	d->prep_fn = fn;
	d->prep_ctx = ctx;
	struct sh_prep *w = helper(d);
	if (!w)
		return;
	for (size_t i = 0; i < n; i++) {
		atomic_init(&w->claim[i], CLAIM_FREE);
		atomic_init(&w->done[i], 0);
	}
	pthread_mutex_lock(&w->mu);
	w->fn = fn;
	w->ctx = ctx;
	w->n = n;
	atomic_store(&w->quit, 0);
	w->job++;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
}

void sh_prep_take(sh_daemon *d, size_t i)
{
	struct sh_prep *w = d->prep;
	if (!w) {
		d->prep_fn(d, d->prep_ctx, i, NULL);
		return;
	}
	unsigned char f = CLAIM_FREE;
	if (atomic_compare_exchange_strong(&w->claim[i], &f, CLAIM_MAIN)) {
		d->prep_fn(d, d->prep_ctx, i, NULL);
		return;
	}
	/* the helper has it: wait for the one it works on (a few
	 * microseconds), yielding the CPU when that takes longer */
	for (unsigned spin = 0;
	     !atomic_load_explicit(&w->done[i], memory_order_acquire); spin++)
		if (spin > 200)
			sched_yield();
}

void sh_prep_finish(sh_daemon *d)
{
	struct sh_prep *w = d->prep;
	if (!w)
		return;
	atomic_store_explicit(&w->quit, 1, memory_order_release);
	/* The next job starts on arrays the helper must no longer read. A
	 * job it has not taken yet is withdrawn (it takes jobs under mu, so
	 * it will not see this one); one it has taken is waited for. */
	pthread_mutex_lock(&w->mu);
	if (!w->busy)
		w->seen = w->job;
	while (w->busy)
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

int sh_prep_done(sh_daemon *d, size_t i)
{
	struct sh_prep *w = d->prep;
	if (!w)
		return 0; /* the main thread prepares only what it takes */
	return atomic_load(&w->claim[i]) == CLAIM_HELPER &&
	       atomic_load(&w->done[i]);
}

void sh_prep_free(sh_daemon *d)
{
	struct sh_prep *w = d->prep;
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->idle);
	free(w);
	d->prep = NULL;
}
