/*
 * store.c - the durable queues of a daemon, in one LMDB environment.
 *
 * Tables (LMDB named databases):
 *   meta       "schema" -> "3", "partner" -> own partner id, the next
 *              outbox and inbox sequence numbers, and "committed_ms":
 *              when LMDB last committed turns (a checkpoint, or an open
 *              that replayed the journal): in a restored backup, the time
 *              it holds everything up to (sh_store_committed_before).
 *              "recover/<partner>": the time from which this daemon
 *              asked that partner to send again what it delivered here
 *              (seinctl recover), until it answers
 *              (sh_store_recover_set).
 *              "print/<message id>": when a meldcode report was taken
 *              from Veilig Thuis's inbox (u64 ms), then the report's
 *              print, the tags its notices are compared with after its
 *              sealed part is gone (sh_store_print_put; policy.h,
 *              sh_print_make); removed after keep_taken.
 *   outbox     u64 sequence (big-endian, so FIFO) -> OutboxRecord. A signal
 *              is here, state pending, before its sender hears "accepted";
 *              it turns delivered or failed on receipt. Since schema 3
 *              the record is stored without its envelope, which waits in
 *              `outbox_env` while it is pending (below).
 *   outbox_env u64 outbox sequence -> the envelope of a pending record,
 *              deleted when the record settles, except that a delivered
 *              one's is kept for the resend window
 *              (sh_store_set_resend_window): until its signal is that old,
 *              the recipient may ask for it again after restoring a backup
 *              (sh_store_outbox_requeue); sh_store_outbox_env_expire drops
 *              it after. The records stay small
 *              from the start, so a page of `outbox` holds some 30 of
 *              them; with the envelope inside, a page was split while it
 *              held a few pending records of a kilobyte and kept only
 *              those few once they had shrunk (LMDB does not merge pages
 *              whose records shrink), 680 bytes a record in all. A record
 *              of schema 2 with its envelope inside is still read, and
 *              loses it when it settles. The store API hides the split:
 *              a record read has its envelope, a record written gives it
 *              up.
 *   outbox_id  message id -> u64 outbox sequence, for receipts.
 *   inbox      u64 arrival sequence -> InboxRecord, the team's work queue.
 *   seen       message id -> u64 inbox sequence (0 once the team took it,
 *              or it was removed by retention or revocation, and from the
 *              start for a status feedback, which is attached to its
 *              outbox record and never enters the inbox).
 *              The exactly-once rule rests here: an id is added to the
 *              inbox only if it is not in `seen`, in the same transaction.
 *   natkeys    u64 sequence -> natural key (32) || message id (16)
 *              [|| digest of the signal's content, since schema 4], in the
 *              order put; found through an index in memory (below,
 *              "natural keys"). Schema 1's `natkey` (natural key -> id)
 *              is moved here at open and left empty.
 *   consent_idx
 *              (sender, consent reference) -> the signals sent under it
 *              that are waiting in `inbox` or held in `quarantine`, so
 *              that a consent revocation looks up what it removes instead
 *              of reading the whole inbox (schema 5; built at open for an
 *              older store). See "consent index" below.
 *   cases      case key -> CaseRecord (debt-help team): who claimed the
 *              case and its outreach steps (cases.c). Created on open, so
 *              a data directory of an older version opens and gains it.
 *   audit, audit_nodes, audit_heads, audit_state
 *              the audit log (audit.c). They live in this environment so
 *              that an event commits in the same transaction as the change
 *              it records; this file only opens them.
 *
 * Durability: the daemon opens one turn per turn of its event loop and
 * puts everything that arrived in it into the store (signals from
 * seinctl, batches from peers, receipts). sh_store_commit ends the turn
 * with one journal record of its changes and one fdatasync (journal.c),
 * so one flush covers many signals: group commit. Nothing is
 * acknowledged, to a client or a peer, before that has returned. The
 * LMDB write transaction under the turns commits with LMDB's full sync at
 * each checkpoint (sh_store_checkpoint); after a crash, sh_store_open
 * replays the journal's turns since the last one.
 *
 * Every record read back is decoded and checked before use; a record that
 * does not decode is reported as STORE_CORRUPT with its table and key, and
 * sh_store_check() runs that check over everything at start-up so that a
 * damaged data directory stops the daemon instead of losing signals.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "store.h"

/* Schema 2: natural keys in `natkeys`, in the order put (schema 1 kept
 * them in `natkey`, keyed by their hash; moved over at open). Schema 3:
 * a pending outbox record's envelope in `outbox_env` (nothing to move: a
 * schema 2 record keeps its envelope inside until it settles; the number
 * keeps older builds from opening a store whose pending records they
 * would find without one). Schema 4: a natural key's record in `natkeys`
 * may carry a digest of its signal's content after the message id
 * (sh_store_natkey_put2), which builds of schema 3 would take for a
 * damaged record; records without one are still read. Schema 5: the
 * consent index `consent_idx`, built at open from the inbox and the
 * quarantine of an older store; the number keeps older builds, which do
 * not keep it, from opening the store and leaving it incomplete. */
#define SCHEMA "5"

/* Tables as the journal numbers them (the order they are opened in). */
#define SH_STORE_TABLES 17
#define SH_STORE_MAXDBI 64

struct sh_store {
	MDB_env *env;
	MDB_dbi meta, outbox, outbox_id, inbox, seen, quarantine, consent,
	    revoked, natkey, cases, natkeys, outbox_env, consent_idx;
	MDB_dbi audit[4]; /* entries, nodes, heads, state (audit.c) */
	MDB_txn *txn;     /* the write transaction, open across turns until
	                     the next checkpoint (see journal.c) */
	int turn;         /* a turn's writes are going into txn */
	sh_journal *jr;
	sh_buf jrec;       /* this turn's journal record (jnote) */
	uint64_t jgen;     /* the journal's generation (meta journal_gen) */
	size_t jturns;     /* turns in txn and the journal since then */
	int64_t jfirst;    /* when the first of them was written */
	uint32_t ckpt_ms;  /* checkpoint interval */
	int64_t resend_ms; /* delivered envelopes kept this long; 0: none */
	int64_t committed_before; /* meta committed_ms at open (0: none) */
	size_t jmax;              /* journal bytes that make one due at once */
	size_t replayed;          /* turns replayed from the journal at open */
	const char *replay_why;
	sh_err broken;              /* the transaction could not be rebuilt */
	int64_t ckpt_retry_at;      /* a checkpoint failed: not before then */
	const char *ckpt_cause;     /* and that failure in words */
	int64_t ckpt_failing_since; /* Unix ms of the first of them, or 0 */
	int64_t ckpt_backoff;       /* ms to the next try: 1 s, doubling */
	int jfull; /* the last turn that wrote found no room for its record */
	MDB_dbi tabs[SH_STORE_TABLES];   /* journal table number -> dbi */
	uint8_t tab_of[SH_STORE_MAXDBI]; /* dbi -> journal table number */
	sh_store_txn_fn txn_hook;
	void *txn_hook_ctx;
	sh_store_precommit_fn precommit;
	void *precommit_ctx;
	uint64_t next_out, next_in;
	uint64_t txn_next_out, txn_next_in;
	sh_store_counts counts, txn_counts;
	int seq_dirty;
	/* natural keys: the index in memory (see "natural keys" below), the
	 * next sequence of `natkeys`, and this turn's changes to the index,
	 * undone if the turn is */
	struct nk_slot *nk;
	size_t nk_cap, nk_used, nk_live;
	uint64_t nk_next, txn_nk_next;
	/* keys below sequence nk_form2 may be of the form before 2026-12-05
	 * (meta natkey_form2: the first sequence that a build writing only
	 * the normalised form gave); nk_old of them are in the index */
	uint64_t nk_form2;
	size_t nk_old;
	/* keys below sequence nk_form3 were put by a build of store schema 3
	 * or before (meta natkey_form3: the first sequence a build writing
	 * only keys with the resident gave), of form 2 or 1; nk_pre3 of them
	 * are in the index. None: the sender skips the form-2 key. */
	uint64_t nk_form3;
	size_t nk_pre3;
	struct nk_undo *nku;
	size_t nnku, capnku;
};

static void u64be(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

static uint64_t be64(const uint8_t in[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

static sh_err mdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS: return SH_OK;
	case MDB_MAP_FULL: return SH_ERR_STORE_FULL;
	case MDB_NOTFOUND: return SH_ERR_NOTFOUND;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH: return SH_ERR_STORE_CORRUPT;
	default: return SH_ERR_STORE;
	}
}

static void turn_abort(sh_store *st);
static void nk_undo_turn(sh_store *st);
static sh_err natkey_del(sh_store *st, const uint8_t key[SH_KEY_LEN],
                         const uint8_t *owner);
static sh_err natkeys_open(sh_store *st, MDB_txn *txn, const char *dir,
                           char *why, size_t wl);
static sh_err checkpoint(sh_store *st, int force);
static int consent_idx_build(sh_store *st, MDB_txn *txn);
static int ci_has_quarantine(sh_store *st, MDB_txn *txn,
                             const Seinhuis__QuarantineRecord *r);
static int ci_has_inbox(sh_store *st, MDB_txn *txn, const uint8_t seq[8],
                        const Seinhuis__InboxRecord *r);
static int ci_inbox_del(sh_store *st, const uint8_t seq[8]);
static int ci_inbox_put(sh_store *st, MDB_txn *txn, const uint8_t seq[8],
                        const char *sender, const char *ref, const uint8_t *id,
                        size_t idlen, Seinhuis__SignalType type);
static int ci_quarantine(sh_store *st, MDB_txn *txn,
                         const Seinhuis__QuarantineRecord *r, int put);
static sh_err apply_record(void *ctx, const uint8_t *p, size_t n);
static sh_err new_generation(sh_store *st, MDB_txn *txn, uint64_t *gen,
                             int stamp);

static sh_err meta_get_u64(MDB_txn *txn, MDB_dbi dbi, const char *k,
                           uint64_t *v)
{
	MDB_val key = {strlen(k), (void *)k}, val;
	int rc = mdb_get(txn, dbi, &key, &val);
	if (rc == MDB_NOTFOUND) {
		*v = 1;
		return SH_OK;
	}
	if (rc)
		return mdb_err(rc);
	if (val.mv_size != 8)
		return SH_ERR_STORE_CORRUPT;
	*v = be64(val.mv_data);
	return SH_OK;
}

/* The store being opened: a SIGBUS while LMDB reads a damaged page ends
 * the start from main (seinhuisd.c, on_bus) with it half open; held here
 * it is not lost memory to a leak checker, only memory not freed. */
static sh_store *volatile opening; /* (volatile: written, never read) */

/* Pages of data.mdb its meta page counts but the file does not hold:
 * from `from` to `last`. LMDB does not write a page that one write
 * transaction took from the end and gave back (a record added and removed
 * before a checkpoint): such a page is in its freelist, nothing points to
 * it, and the file is whole without it. Whether all of them are free is
 * read in a child process, with an environment of its own: were the
 * freelist's own pages cut off (a truncated file), LMDB would read past
 * the end of the map there, which ends the child (SIGBUS), not the
 * daemon. Returns 1 if every such page is free; 0 if not, or unknown. */
#define TAIL_PAGES_MAX 4096
#define TAIL_BUS       3
static void tail_bus(int sig)
{
	(void)sig;
	_exit(TAIL_BUS);
}

static int tail_pages_free(const char *dir, size_t map_size, uint64_t from,
                           uint64_t last)
{
	if (from > last || last - from >= TAIL_PAGES_MAX)
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		/* a read past the end ends the child with TAIL_BUS (not the
		 * daemon's handler, which reports a damaged page), and it is
		 * never left hanging */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = tail_bus;
		sigaction(SIGBUS, &sa, NULL);
		alarm(60);
		static unsigned char seen[TAIL_PAGES_MAX];
		MDB_env *env;
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_val k, v;
		uint64_t n = last - from + 1, found = 0;
		/* MDB_NOLOCK: no slot in the reader table, which a child
		 * that ends without closing would leave behind, keeping
		 * every page freed from then on from being used again (the
		 * parent writes nothing meanwhile) */
		if (mdb_env_create(&env) ||
		    mdb_env_set_mapsize(env, map_size) ||
		    mdb_env_set_maxdbs(env, 32) ||
		    mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS | MDB_NOLOCK,
		                 0600) ||
		    mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) ||
		    mdb_cursor_open(txn, 0, &cur)) /* 0: the freelist */
			_exit(1);
		/* each record: the pages one transaction freed, a count and
		 * then the page numbers */
		while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
			const size_t *ids = v.mv_data;
			size_t cnt = v.mv_size / sizeof(size_t);
			if (!cnt || ids[0] > cnt - 1)
				_exit(1);
			for (size_t i = 1; i <= ids[0]; i++)
				if (ids[i] >= from && ids[i] <= last &&
				    !seen[ids[i] - from]) {
					seen[ids[i] - from] = 1;
					found++;
				}
		}
		_exit(found == n ? 0 : 1);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == TAIL_BUS)
		sh_info("store: %s: data.mdb's freelist lies partly past the "
		        "end of the file: the file is cut short",
		        dir);
	else if (WIFSIGNALED(status))
		sh_info("store: %s: the process reading data.mdb's freelist "
		        "was stopped (signal %d)",
		        dir, WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

sh_err sh_store_open(sh_store **out, const char *dir, size_t map_size,
                     const char *partner, char *why, size_t wl)
{
	sh_store *st = opening = sh_xcalloc(1, sizeof(*st));
	MDB_txn *txn = NULL;
	st->ckpt_ms = SH_STORE_CHECKPOINT_MS;
	/* Until a checkpoint, pages the turns free cannot be used again and
	 * new ones come from the end of the map: on a small map, a long
	 * stretch of turns would fill it with pages about to be free. So a
	 * checkpoint is also due once the journal holds a 64th of the map. */
	st->jmax = map_size / 64 < SH_STORE_JOURNAL_MAX ? map_size / 64
	                                                : SH_STORE_JOURNAL_MAX;
	int rc;
	sh_err e;
	int advised = 0; /* the message says what to do (else STORE_DAMAGED) */

	*out = NULL;
	if (sh_mkdir_p(dir, 0700) != SH_OK) {
		snprintf(why, wl, "%s: cannot create data directory: %s", dir,
		         strerror(errno));
		free(st);
		opening = NULL;
		return SH_ERR_STORE;
	}
	/* A data store, once created, is marked by a file beside it, so that
	 * a lost data.mdb is noticed instead of silently starting empty. */
	char data_path[1100], marker[1100];
	struct stat dst;
	snprintf(data_path, sizeof(data_path), "%s/data.mdb", dir);
	snprintf(marker, sizeof(marker), "%s/STORE", dir);
	int have_data = stat(data_path, &dst) == 0;
	int have_marker = access(marker, F_OK) == 0;
	if (!have_data && have_marker) {
		snprintf(
		    why, wl,
		    "%s: data.mdb is missing, but this directory held a data "
		    "store (see the file STORE). seinhuisd will not start "
		    "with an empty store: restore data.mdb from the last "
		    "backup, or, to start afresh on purpose, move the "
		    "directory aside",
		    dir);
		e = SH_ERR_STORE_CORRUPT;
		advised = 1;
		goto err;
	}
	/* The journal first: its lock keeps a second process out. */
	char jpath[1100];
	snprintf(jpath, sizeof(jpath), "%s/journal", dir);
	if ((e = sh_journal_open(&st->jr, jpath, why, wl)) != SH_OK)
		goto err;
	if ((rc = mdb_env_create(&st->env)) ||
	    (rc = mdb_env_set_mapsize(st->env, map_size)) ||
	    (rc = mdb_env_set_maxdbs(st->env, 32)) ||
	    (rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600))) {
		if (rc == EACCES || rc == EPERM || rc == EROFS)
			/* the files are not the daemon's to write: their
			 * owner or mode, or a read-only mount, not damage */
			snprintf(why, wl,
			         "%s: cannot open the data store: %s. The "
			         "daemon's user must own the directory and "
			         "its files and may write them (as "
			         "deploy/install.sh leaves them: mode 0600, "
			         "on a file system mounted read-write); "
			         "nothing needs restoring for this",
			         dir, mdb_strerror(rc));
		else
			snprintf(why, wl,
			         "%s: cannot open the data store: %s. If the "
			         "files were damaged or truncated, stop, keep "
			         "a copy of the directory, and restore "
			         "data.mdb from the last backup",
			         dir, mdb_strerror(rc));
		e = mdb_err(rc) == SH_ERR_STORE_CORRUPT ? SH_ERR_STORE_CORRUPT
		                                        : SH_ERR_STORE;
		advised = 1;
		goto err;
	}
	/* LMDB maps the file: reading a page past its end would kill the
	 * process (SIGBUS). A file shorter than the pages its meta page
	 * counts is truncated, and is refused before anything is read,
	 * unless the pages it lacks are all free (tail_pages_free). */
	if (have_data) {
		MDB_envinfo info;
		MDB_stat ms = {.ms_psize = 4096};
		struct stat now;
		uint64_t need = 0, held = 0;
		if (mdb_env_info(st->env, &info) == 0 &&
		    mdb_env_stat(st->env, &ms) == 0 &&
		    stat(data_path, &now) == 0) {
			need = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
			held = (uint64_t)now.st_size;
		}
		if (held < need &&
		    tail_pages_free(dir, map_size, held / ms.ms_psize,
		                    info.me_last_pgno)) {
			/* made whole (zeros: nothing reads a free page),
			 * so that what copies the file finds every page */
			int ext = truncate(data_path, (off_t)need) == 0;
			sh_info(
			    "store: %s: data.mdb ended %llu page(s) before "
			    "the last its meta page counts; all of them "
			    "are free (never written: LMDB writes a page "
			    "when it uses it)%s",
			    dir,
			    (unsigned long long)((need - held) / ms.ms_psize),
			    ext ? "; the file is extended to hold them" : "");
		} else if (held < need) {
			snprintf(why, wl,
			         "%s: data.mdb is truncated (%llu bytes; its "
			         "pages need %llu). seinhuisd will not start "
			         "on it: keep a copy of the directory and "
			         "restore data.mdb from the last backup",
			         dir, (unsigned long long)held,
			         (unsigned long long)need);
			e = SH_ERR_STORE_CORRUPT;
			advised = 1;
			goto err;
		}
	}
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &st->meta)) ||
	    (rc = mdb_dbi_open(txn, "outbox", MDB_CREATE, &st->outbox)) ||
	    (rc = mdb_dbi_open(txn, "outbox_id", MDB_CREATE, &st->outbox_id)) ||
	    (rc = mdb_dbi_open(txn, "inbox", MDB_CREATE, &st->inbox)) ||
	    (rc = mdb_dbi_open(txn, "seen", MDB_CREATE, &st->seen)) ||
	    (rc = mdb_dbi_open(txn, "quarantine", MDB_CREATE,
	                       &st->quarantine)) ||
	    (rc = mdb_dbi_open(txn, "consent", MDB_CREATE, &st->consent)) ||
	    (rc = mdb_dbi_open(txn, "revoked", MDB_CREATE, &st->revoked)) ||
	    (rc = mdb_dbi_open(txn, "natkey", MDB_CREATE, &st->natkey)) ||
	    (rc = mdb_dbi_open(txn, "cases", MDB_CREATE, &st->cases)) ||
	    (rc = mdb_dbi_open(txn, "natkeys", MDB_CREATE, &st->natkeys)) ||
	    (rc = mdb_dbi_open(txn, "outbox_env", MDB_CREATE,
	                       &st->outbox_env)) ||
	    (rc = mdb_dbi_open(txn, "consent_idx", MDB_CREATE,
	                       &st->consent_idx)) ||
	    (rc = mdb_dbi_open(txn, "audit", MDB_CREATE, &st->audit[0])) ||
	    (rc =
	         mdb_dbi_open(txn, "audit_nodes", MDB_CREATE, &st->audit[1])) ||
	    (rc =
	         mdb_dbi_open(txn, "audit_heads", MDB_CREATE, &st->audit[2])) ||
	    (rc =
	         mdb_dbi_open(txn, "audit_state", MDB_CREATE, &st->audit[3]))) {
		snprintf(why, wl, "%s: cannot open the store's tables: %s", dir,
		         mdb_strerror(rc));
		e = mdb_err(rc) == SH_ERR_STORE_CORRUPT ? SH_ERR_STORE_CORRUPT
		                                        : SH_ERR_STORE;
		goto err;
	}
	MDB_dbi order[SH_STORE_TABLES] = {
	    st->meta,       st->outbox,     st->outbox_id, st->inbox,
	    st->seen,       st->quarantine, st->consent,   st->revoked,
	    st->natkey,     st->cases,      st->audit[0],  st->audit[1],
	    st->audit[2],   st->audit[3],   st->natkeys,   st->outbox_env,
	    st->consent_idx};
	memset(st->tab_of, 0xff, sizeof(st->tab_of));
	for (unsigned i = 0; i < SH_STORE_TABLES; i++) {
		st->tabs[i] = order[i];
		if (order[i] < SH_STORE_MAXDBI)
			st->tab_of[order[i]] = (uint8_t)i;
	}
	MDB_val k = {6, "schema"}, v;
	char schema_was = SCHEMA[0]; /* a new store has its index */
	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		MDB_val sv = {strlen(SCHEMA), SCHEMA};
		MDB_val pk = {7, "partner"},
		        pv = {strlen(partner), (void *)partner};
		if ((rc = mdb_put(txn, st->meta, &k, &sv, 0)) ||
		    (rc = mdb_put(txn, st->meta, &pk, &pv, 0))) {
			snprintf(why, wl, "%s: cannot initialise the store: %s",
			         dir, mdb_strerror(rc));
			e = mdb_err(rc);
			goto err;
		}
	} else if (rc) {
		snprintf(why, wl, "%s: cannot read the store: %s", dir,
		         mdb_strerror(rc));
		e = mdb_err(rc);
		goto err;
	} else {
		if (v.mv_size != 1 || *(const char *)v.mv_data < '1' ||
		    *(const char *)v.mv_data > SCHEMA[0]) {
			snprintf(why, wl,
			         "%s: the store has schema '%.*s'; this "
			         "seinhuisd reads schemas 1 to " SCHEMA
			         ": a store written by a newer seinhuisd is "
			         "read by that version (or restore a backup "
			         "made by this one)",
			         dir, (int)(v.mv_size > 16 ? 16 : v.mv_size),
			         (const char *)v.mv_data);
			e = SH_ERR_STORE_CORRUPT;
			advised = 1;
			goto err;
		}
		schema_was = *(const char *)v.mv_data;
		MDB_val pk = {7, "partner"}, pv;
		if (mdb_get(txn, st->meta, &pk, &pv) ||
		    pv.mv_size != strlen(partner) ||
		    memcmp(pv.mv_data, partner, pv.mv_size)) {
			snprintf(
			    why, wl,
			    "%s: this data directory belongs to another "
			    "partner "
			    "than '%s'; check datadir in the configuration",
			    dir, partner);
			e = SH_ERR_STORE;
			goto err;
		}
	}
	/* Turns that were acknowledged after LMDB's last commit (a crash
	 * before the next checkpoint): from the journal, in order, those of
	 * the generation LMDB names (none in a store that never had one). */
	uint64_t gen;
	MDB_val gk = {11, "journal_gen"}, gv;
	rc = mdb_get(txn, st->meta, &gk, &gv);
	if (rc == 0 && gv.mv_size == 8) {
		st->txn = txn;
		e = sh_journal_replay(st->jr, be64(gv.mv_data), SIZE_MAX,
		                      apply_record, st, &st->replayed);
		st->txn = NULL;
	} else {
		e = rc == MDB_NOTFOUND ? SH_OK : SH_ERR_STORE_CORRUPT;
	}
	if (e != SH_OK) {
		snprintf(why, wl,
		         "%s: the journal cannot be replayed: %s. Keep a copy "
		         "of the directory; moving the file 'journal' aside "
		         "starts from data.mdb alone, without the turns "
		         "acknowledged after its last commit",
		         dir,
		         st->replay_why ? st->replay_why
		         : e == SH_ERR_STORE_CORRUPT
		             ? "a record in it is damaged, and whole records "
		               "follow it (or the store's generation entry is)"
		         : e == SH_ERR_STORE ? "it cannot be read"
		                             : "LMDB refused a change in it");
		advised = 1;
		goto err;
	}
	if ((e = natkeys_open(st, txn, dir, why, wl)) != SH_OK)
		goto err;
	/* after the journal's turns, which an older build wrote without the
	 * index; natkeys_open wrote the schema, committed with it below */
	if (schema_was < '5' && (rc = consent_idx_build(st, txn))) {
		snprintf(why, wl, "%s: cannot build the consent index: %s", dir,
		         mdb_strerror(rc));
		e = mdb_err(rc);
		goto err;
	}
	/* when turns were last committed, before this open (a restored
	 * backup's: the time it holds everything up to) */
	MDB_val ck = {12, "committed_ms"}, cv;
	if (mdb_get(txn, st->meta, &ck, &cv) == 0 && cv.mv_size == 8)
		st->committed_before = (int64_t)be64(cv.mv_data);
	/* a new generation for what is written from now on (turns replayed
	 * from the journal are committed now) */
	if ((e = new_generation(st, txn, &gen, st->replayed > 0)) != SH_OK) {
		snprintf(why, wl, "%s: cannot start a journal generation: %s",
		         dir, sh_err_str(e));
		goto err;
	}
	if ((e = meta_get_u64(txn, st->meta, "next_out", &st->next_out)) ||
	    (e = meta_get_u64(txn, st->meta, "next_in", &st->next_in))) {
		snprintf(why, wl, "%s: the store's counters are damaged", dir);
		goto err;
	}
	if ((rc = mdb_txn_commit(txn))) {
		txn = NULL;
		snprintf(why, wl, "%s: cannot initialise the store: %s", dir,
		         mdb_strerror(rc));
		e = mdb_err(rc);
		goto err;
	}
	txn = NULL;
	st->jgen = gen;
	sh_journal_reset(st->jr, gen);
	if (!have_marker) {
		char text[200];
		int n =
		    snprintf(text, sizeof(text),
		             "This directory holds the Seinhuis data store of "
		             "partner '%s' (data.mdb).\n",
		             partner);
		if (sh_write_replace(marker, 0600, text, (size_t)n) != SH_OK) {
			snprintf(why, wl,
			         "%s: cannot write the STORE marker: %s", dir,
			         strerror(errno));
			e = SH_ERR_STORE;
			goto err;
		}
	}
	*out = st;
	opening = NULL;
	return SH_OK;
err:
	opening = NULL;
	if (e == SH_ERR_STORE_CORRUPT && !advised) {
		/* a damaged page met while opening the tables or reading
		 * them (LMDB's PAGE_NOTFOUND, CORRUPTED) */
		size_t n = strlen(why);
		snprintf(why + n, wl - n, ". " SH_STORE_DAMAGED);
	}
	if (txn)
		mdb_txn_abort(txn);
	if (st->env)
		mdb_env_close(st->env);
	sh_journal_close(&st->jr);
	free(st->nk);
	free(st);
	return e;
}

void sh_store_close(sh_store **stp)
{
	sh_store *st = *stp;
	if (!st)
		return;
	if (st->turn)
		turn_abort(st);
	(void)checkpoint(st, 1); /* what fails stays in the journal */
	if (st->txn)
		mdb_txn_abort(st->txn);
	mdb_env_close(st->env);
	sh_journal_close(&st->jr);
	sh_buf_free(&st->jrec);
	free(st->nk);
	free(st->nku);
	free(st);
	*stp = NULL;
}

/* The inbox's id -> sequence pairs, checked against the seen index a
 * chunk at a time in id order: looked up in the order of the index's own
 * keys, each look-up walks pages the one before it just read, where one
 * look-up per record in sequence order walks the whole index at random
 * (1.0 of 1.8 s for 1,000,000 signals). */
struct seen_pair {
	uint8_t id[SH_ID_LEN];
	uint64_t seq;
};
size_t sh_store_seen_chunk = (size_t)1 << 20; /* 24 MiB of pairs */

static int seen_pair_cmp(const void *a, const void *b)
{
	return memcmp(((const struct seen_pair *)a)->id,
	              ((const struct seen_pair *)b)->id, SH_ID_LEN);
}

/* 1 if the index points back to every record of the chunk; else 0, with
 * *bad_seq a record whose id is missing or names another record. */
static int seen_check_chunk(MDB_txn *txn, MDB_dbi seen, struct seen_pair *p,
                            size_t n, uint64_t *bad_seq)
{
	MDB_cursor *cur;
	if (n == 0)
		return 1;
	qsort(p, n, sizeof(*p), seen_pair_cmp);
	if (mdb_cursor_open(txn, seen, &cur) != 0) {
		*bad_seq = p[0].seq;
		return 0;
	}
	/* a merge: step through the index while its keys are smaller, and
	 * seek (a walk from the root) only over a gap of more than a few */
	MDB_val k = {0, NULL}, v;
	int at = 0; /* the cursor is on a key (k, v) */
	for (size_t i = 0; i < n; i++) {
		int c = at ? memcmp(k.mv_data, p[i].id, SH_ID_LEN) : 1;
		for (int steps = 0; at && c < 0 && steps < 8; steps++) {
			at = mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0 &&
			     k.mv_size == SH_ID_LEN;
			c = at ? memcmp(k.mv_data, p[i].id, SH_ID_LEN) : 1;
		}
		if (!at || c < 0) {
			k.mv_size = SH_ID_LEN;
			k.mv_data = p[i].id;
			at = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) == 0 &&
			     k.mv_size == SH_ID_LEN;
			c = at ? memcmp(k.mv_data, p[i].id, SH_ID_LEN) : 1;
		}
		if (c != 0 || v.mv_size != 8 || be64(v.mv_data) != p[i].seq) {
			mdb_cursor_close(cur);
			*bad_seq = p[i].seq;
			return 0;
		}
	}
	mdb_cursor_close(cur);
	return 1;
}

/* sh_store_check: a cursor over dbi at its first record; LMDB's code for
 * that record, or the open's (then *cur is NULL). */
static int check_first(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cur, MDB_val *k,
                       MDB_val *v)
{
	int rc = mdb_cursor_open(txn, dbi, cur);
	if (rc) {
		*cur = NULL;
		return rc;
	}
	return mdb_cursor_get(*cur, k, v, MDB_FIRST);
}

/* sh_store_check: a walk over table that ended with LMDB's rc; why and
 * SH_ERR_STORE_CORRUPT if that was an error, not the end. */
static sh_err check_walked(int rc, const char *table, char *why, size_t wl)
{
	if (rc == 0 || rc == MDB_NOTFOUND)
		return SH_OK;
	snprintf(why, wl, "%s: %s", table, mdb_strerror(rc));
	return SH_ERR_STORE_CORRUPT;
}

sh_err sh_store_check(sh_store *st, char *why, size_t wl)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;
	sh_err e = SH_OK;
	sh_store_counts c = {0};
	uint64_t max_out = 0, max_in = 0;

	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)))
		return snprintf(why, wl, "cannot read the store: %s",
		                mdb_strerror(rc)),
		       mdb_err(rc);
	/* outbox: every record decodes and its id index points back. */
	for (rc = check_first(txn, st->outbox, &cur, &k, &v); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8) {
			snprintf(why, wl, "outbox: a key has the wrong size");
			e = SH_ERR_STORE_CORRUPT;
			break;
		}
		uint64_t seq = be64(k.mv_data);
		Seinhuis__OutboxRecord *r =
		    seinhuis__outbox_record__unpack(NULL, v.mv_size, v.mv_data);
		int no_env = 0;
		if (r && r->state == SEINHUIS__OUT_STATE__OUT_PENDING &&
		    r->envelope.len == 0) {
			MDB_val ev;
			no_env = mdb_get(txn, st->outbox_env, &k, &ev) != 0 ||
			         ev.mv_size == 0;
		}
		if (!r || r->message_id.len != SH_ID_LEN || no_env) {
			if (no_env)
				snprintf(why, wl,
				         "outbox: pending record %llu has no "
				         "envelope",
				         (unsigned long long)seq);
			else
				snprintf(why, wl,
				         "outbox: record %llu does not decode",
				         (unsigned long long)seq);
			if (r)
				seinhuis__outbox_record__free_unpacked(r, NULL);
			e = SH_ERR_STORE_CORRUPT;
			break;
		}
		MDB_val ik = {SH_ID_LEN, r->message_id.data}, iv;
		if (mdb_get(txn, st->outbox_id, &ik, &iv) || iv.mv_size != 8 ||
		    be64(iv.mv_data) != seq) {
			snprintf(
			    why, wl,
			    "outbox: record %llu is missing from its index",
			    (unsigned long long)seq);
			e = SH_ERR_STORE_CORRUPT;
		}
		if (r->state == SEINHUIS__OUT_STATE__OUT_PENDING)
			c.outbox_pending++;
		else if (r->state == SEINHUIS__OUT_STATE__OUT_DELIVERED)
			c.outbox_delivered++;
		else
			c.outbox_failed++;
		seinhuis__outbox_record__free_unpacked(r, NULL);
		if (seq > max_out)
			max_out = seq;
		if (e)
			break;
	}
	if (cur)
		mdb_cursor_close(cur);
	if (e == SH_OK)
		e = check_walked(rc, "outbox", why, wl);
	struct seen_pair *pairs = NULL;
	size_t npairs = 0;
	if (e == SH_OK) {
		MDB_stat is;
		size_t chunk = sh_store_seen_chunk ? sh_store_seen_chunk : 1;
		size_t cap =
		    mdb_stat(txn, st->inbox, &is) == 0 && is.ms_entries < chunk
		        ? is.ms_entries + 1
		        : chunk;
		pairs = sh_xmalloc(cap * sizeof(*pairs));
		for (rc = check_first(txn, st->inbox, &cur, &k, &v); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			uint64_t seq = k.mv_size == 8 ? be64(k.mv_data) : 0;
			Seinhuis__InboxRecord *r =
			    k.mv_size == 8 ? seinhuis__inbox_record__unpack(
			                         NULL, v.mv_size, v.mv_data)
			                   : NULL;
			if (!r || r->message_id.len != SH_ID_LEN ||
			    r->envelope.len == 0) {
				snprintf(why, wl,
				         "inbox: record %llu does not decode",
				         (unsigned long long)seq);
				if (r)
					seinhuis__inbox_record__free_unpacked(
					    r, NULL);
				e = SH_ERR_STORE_CORRUPT;
				break;
			}
			if (!ci_has_inbox(st, txn, k.mv_data, r)) {
				snprintf(
				    why, wl,
				    "inbox: record %llu is missing from the "
				    "consent index",
				    (unsigned long long)seq);
				seinhuis__inbox_record__free_unpacked(r, NULL);
				e = SH_ERR_STORE_CORRUPT;
				break;
			}
			memcpy(pairs[npairs].id, r->message_id.data, SH_ID_LEN);
			pairs[npairs++].seq = seq;
			if (npairs == cap) {
				uint64_t bad;
				if (!seen_check_chunk(txn, st->seen, pairs,
				                      npairs, &bad)) {
					snprintf(
					    why, wl,
					    "inbox: record %llu is missing "
					    "from the seen index",
					    (unsigned long long)bad);
					e = SH_ERR_STORE_CORRUPT;
				}
				npairs = 0;
			}
			seinhuis__inbox_record__free_unpacked(r, NULL);
			c.inbox_depth++;
			if (seq > max_in)
				max_in = seq;
			if (e)
				break;
		}
		if (cur)
			mdb_cursor_close(cur);
		if (e == SH_OK)
			e = check_walked(rc, "inbox", why, wl);
		uint64_t bad;
		if (e == SH_OK &&
		    !seen_check_chunk(txn, st->seen, pairs, npairs, &bad)) {
			snprintf(why, wl,
			         "inbox: record %llu is missing from the seen "
			         "index",
			         (unsigned long long)bad);
			e = SH_ERR_STORE_CORRUPT;
		}
	}
	free(pairs);
	if (e == SH_OK) {
		/* cases: every record decodes and sits under its own key */
		for (rc = check_first(txn, st->cases, &cur, &k, &v); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			Seinhuis__CaseRecord *r = seinhuis__case_record__unpack(
			    NULL, v.mv_size, v.mv_data);
			int ok = r && k.mv_size == SH_KEY_LEN &&
			         r->case_key.len == SH_KEY_LEN &&
			         memcmp(r->case_key.data, k.mv_data,
			                SH_KEY_LEN) == 0;
			if (r)
				seinhuis__case_record__free_unpacked(r, NULL);
			if (!ok) {
				snprintf(why, wl,
				         "cases: a record does not decode");
				e = SH_ERR_STORE_CORRUPT;
				break;
			}
		}
		if (cur)
			mdb_cursor_close(cur);
		if (e == SH_OK)
			e = check_walked(rc, "cases", why, wl);
	}
	if (e == SH_OK) {
		/* quarantine: every record decodes, sits under its signal's
		 * id and, if a consent revocation would take it out, is in
		 * the consent index (else a revocation would miss it, and it
		 * could be delivered under a consent that was withdrawn) */
		for (rc = check_first(txn, st->quarantine, &cur, &k, &v);
		     rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			Seinhuis__QuarantineRecord *r =
			    seinhuis__quarantine_record__unpack(NULL, v.mv_size,
			                                        v.mv_data);
			char idhex[2 * SH_ID_LEN + 1] = "?";
			if (k.mv_size == SH_ID_LEN)
				sh_hex(idhex, k.mv_data, SH_ID_LEN);
			if (!r || k.mv_size != SH_ID_LEN ||
			    r->message_id.len != SH_ID_LEN ||
			    memcmp(r->message_id.data, k.mv_data, SH_ID_LEN)) {
				snprintf(why, wl,
				         "quarantine: the record of signal %s "
				         "does not decode",
				         idhex);
				e = SH_ERR_STORE_CORRUPT;
			} else if (!ci_has_quarantine(st, txn, r)) {
				snprintf(
				    why, wl,
				    "quarantine: signal %s is missing from "
				    "the consent index",
				    idhex);
				e = SH_ERR_STORE_CORRUPT;
			}
			if (r)
				seinhuis__quarantine_record__free_unpacked(
				    r, NULL);
			if (e)
				break;
		}
		if (cur)
			mdb_cursor_close(cur);
		if (e == SH_OK)
			e = check_walked(rc, "quarantine", why, wl);
	}
	if (e == SH_OK) {
		MDB_stat ms;
		mdb_stat(txn, st->seen, &ms);
		c.seen = ms.ms_entries;
		if (max_out >= st->next_out || max_in >= st->next_in) {
			snprintf(why, wl,
			         "meta: sequence counters are behind the data");
			e = SH_ERR_STORE_CORRUPT;
		}
	}
	mdb_txn_abort(txn);
	if (e == SH_OK)
		st->counts = c;
	return e;
}

static void txn_ended(sh_store *st, int committed)
{
	if (st->txn_hook)
		st->txn_hook(st->txn_hook_ctx, committed);
}

/* ------------------------------------------------------------ journal */

/* Note a change of this turn in its journal record (st->jrec, after room
 * for the record's header). */
static void jnote(sh_store *st, int op, MDB_dbi dbi, const MDB_val *k,
                  const MDB_val *v)
{
	uint8_t h[SH_JOP_HDR];
	size_t vlen = op == SH_JOP_PUT ? v->mv_size : 0;
	h[0] = (uint8_t)op;
	h[1] = st->tab_of[dbi]; /* checked by jput and jdel */
	h[2] = (uint8_t)k->mv_size;
	h[3] = (uint8_t)(k->mv_size >> 8);
	for (int i = 0; i < 4; i++)
		h[4 + i] = (uint8_t)(vlen >> (8 * i));
	sh_buf_add(&st->jrec, h, sizeof(h));
	sh_buf_add(&st->jrec, k->mv_data, k->mv_size);
	if (vlen)
		sh_buf_add(&st->jrec, v->mv_data, vlen);
}

/* A put with MDB_RESERVE is noted once its value is filled in
 * (sh_store_filled), so the record gets the bytes written. */
static int jput(sh_store *st, MDB_dbi dbi, MDB_val *k, MDB_val *v,
                unsigned flags)
{
	/* only what the journal can say: a known table, a key of at most
	 * 511 bytes (LMDB's limit), a value under 4 GiB */
	if (dbi >= SH_STORE_MAXDBI || st->tab_of[dbi] == 0xff ||
	    k->mv_size > 0xffff || v->mv_size > 0xffffffffu)
		return EINVAL;
	int rc = mdb_put(st->txn, dbi, k, v, flags);
	if (rc == 0 && !(flags & MDB_RESERVE))
		jnote(st, SH_JOP_PUT, dbi, k, v);
	return rc;
}

static int jdel(sh_store *st, MDB_dbi dbi, MDB_val *k)
{
	if (dbi >= SH_STORE_MAXDBI || st->tab_of[dbi] == 0xff ||
	    k->mv_size > 0xffff)
		return EINVAL;
	int rc = mdb_del(st->txn, dbi, k, NULL);
	if (rc == 0)
		jnote(st, SH_JOP_DEL, dbi, k, NULL);
	return rc;
}

int sh_store_put(sh_store *st, MDB_dbi dbi, MDB_val *k, MDB_val *v,
                 unsigned flags)
{
	if (!st->turn)
		return EINVAL;
	return jput(st, dbi, k, v, flags);
}

void sh_store_filled(sh_store *st, MDB_dbi dbi, const MDB_val *k,
                     const MDB_val *v)
{
	if (st->turn && dbi < SH_STORE_MAXDBI && st->tab_of[dbi] != 0xff)
		jnote(st, SH_JOP_PUT, dbi, k, v);
}

int sh_store_del(sh_store *st, MDB_dbi dbi, MDB_val *k)
{
	if (!st->turn)
		return EINVAL;
	return jdel(st, dbi, k);
}

/* Append this turn's record durably. */
static sh_err journal_turn(sh_store *st)
{
	st->jfull = 0;
	if (st->jrec.len - SH_JOURNAL_HDR > SH_JOURNAL_MAX_RECORD)
		return SH_ERR_STORE_FULL;
	sh_err e = sh_journal_append(st->jr, st->jrec.data, st->jrec.len);
	st->jfull = e == SH_ERR_STORE_FULL; /* ENOSPC or EDQUOT */
	return e;
}

static sh_err apply_op(void *ctx, int op, unsigned table, const uint8_t *key,
                       size_t klen, const uint8_t *val, size_t vlen)
{
	sh_store *st = ctx;
	MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
	int rc = op == SH_JOP_PUT ? mdb_put(st->txn, st->tabs[table], &k, &v, 0)
	                          : mdb_del(st->txn, st->tabs[table], &k, NULL);
	return rc == 0 || (op == SH_JOP_DEL && rc == MDB_NOTFOUND)
	           ? SH_OK
	           : mdb_err(rc);
}

static sh_err apply_record(void *ctx, const uint8_t *p, size_t n)
{
	sh_store *st = ctx;
	const char *why = "";
	sh_err e = sh_journal_ops(p, n, SH_STORE_TABLES, apply_op, st, &why);
	if (e == SH_ERR_STORE_CORRUPT)
		st->replay_why = why;
	return e;
}

/* Draw the journal generation of what follows the commit of `txn`, and
 * put it in the meta table, in that transaction (not in the journal: it
 * takes effect with the commit). Every open and checkpoint commit thus
 * changes the store and names a generation no record of an earlier one
 * can have, however few changes the turns made. */
static sh_err new_generation(sh_store *st, MDB_txn *txn, uint64_t *gen,
                             int stamp)
{
	uint8_t b[8], t[8];
	if (sh_random(b, sizeof(b)) != SH_OK)
		return SH_ERR_CRYPTO;
	MDB_val k = {11, "journal_gen"}, v = {8, b};
	int rc = mdb_put(txn, st->meta, &k, &v, 0);
	if (rc)
		return mdb_err(rc);
	/* turns committed: the time the store holds them up to */
	MDB_val ck = {12, "committed_ms"}, cv = {8, t};
	u64be(t, (uint64_t)sh_now_ms());
	if (stamp && (rc = mdb_put(txn, st->meta, &ck, &cv, 0)))
		return mdb_err(rc);
	*gen = be64(b);
	return SH_OK;
}

/* A write transaction holding what LMDB has committed plus every turn the
 * journal holds (after an abort, or a checkpoint that failed). */
static sh_err rebuild(sh_store *st)
{
	size_t n = 0;
	int rc = mdb_txn_begin(st->env, NULL, 0, &st->txn);
	if (rc) {
		st->txn = NULL;
		return mdb_err(rc);
	}
	sh_err e = sh_journal_replay(st->jr, st->jgen, st->jturns, apply_record,
	                             st, &n);
	if (e != SH_OK || n != st->jturns) {
		mdb_txn_abort(st->txn);
		st->txn = NULL;
		return e != SH_OK ? e : SH_ERR_STORE;
	}
	return SH_OK;
}

#define CKPT_BACKOFF_MAX 8000

static sh_err checkpoint(sh_store *st, int force)
{
	if (st->turn || !st->txn ||
	    (!force && sh_mono_ms() < st->ckpt_retry_at))
		return SH_OK;
	if (!st->jturns) {
		mdb_txn_abort(st->txn);
		st->txn = NULL;
		return SH_OK;
	}
	uint64_t gen;
	sh_err ge = new_generation(st, st->txn, &gen, 1);
	int rc = ge == SH_OK ? mdb_txn_commit(st->txn) : 0;
	if (ge != SH_OK)
		mdb_txn_abort(st->txn);
	st->txn = NULL;
	if (ge != SH_OK || rc) {
		/* Still in the journal: carry on from it, try again in a
		 * second, then less often (each try replays the journal: on a
		 * full disk, a cost for nothing) up to every CKPT_BACKOFF_MAX
		 * ms. */
		sh_err e = rebuild(st);
		if (e != SH_OK)
			st->broken = e;
		st->ckpt_backoff = !st->ckpt_backoff ? 1000
		                   : st->ckpt_backoff * 2 > CKPT_BACKOFF_MAX
		                       ? CKPT_BACKOFF_MAX
		                       : st->ckpt_backoff * 2;
		st->ckpt_retry_at = sh_mono_ms() + st->ckpt_backoff;
		st->ckpt_cause = rc ? mdb_strerror(rc) : sh_err_str(ge);
		if (!st->ckpt_failing_since)
			st->ckpt_failing_since = sh_now_ms();
		return ge != SH_OK ? ge : mdb_err(rc);
	}
	st->ckpt_failing_since = 0;
	st->ckpt_backoff = 0;
	st->jgen = gen;
	sh_journal_reset(st->jr, gen);
	st->jturns = 0;
	return SH_OK;
}

sh_err sh_store_broken(const sh_store *st)
{
	return st->broken;
}

void sh_store_set_checkpoint_ms(sh_store *st, uint32_t ms)
{
	st->ckpt_ms = ms;
}

void sh_store_set_resend_window(sh_store *st, int64_t ms)
{
	st->resend_ms = ms > 0 ? ms : 0;
}

int64_t sh_store_committed_before(const sh_store *st)
{
	return st->committed_before;
}

size_t sh_store_replayed(const sh_store *st)
{
	return st->replayed;
}

/* meta "recover/<partner>" -> u64 since (Unix ms), big-endian */
static int recover_key(char *key, size_t n, const char *partner)
{
	int len = snprintf(key, n, "recover/%s", partner);
	return len > 0 && (size_t)len < n ? len : -1;
}

sh_err sh_store_meta_time_set(sh_store *st, const char *key, int64_t ms)
{
	size_t len = strlen(key);
	if (!st->turn || !len)
		return SH_ERR_STORE;
	MDB_val k = {len, (void *)key};
	if (ms <= 0) {
		int rc = jdel(st, st->meta, &k);
		return rc == MDB_NOTFOUND ? SH_OK : mdb_err(rc);
	}
	uint8_t b[8];
	u64be(b, (uint64_t)ms);
	MDB_val v = {8, b};
	return mdb_err(jput(st, st->meta, &k, &v, 0));
}

int64_t sh_store_meta_time_get(sh_store *st, MDB_txn *txn, const char *key)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	if (!k.mv_size || mdb_get(txn, st->meta, &k, &v) != 0 || v.mv_size != 8)
		return 0;
	int64_t ms = (int64_t)be64(v.mv_data);
	return ms > 0 ? ms : 0;
}

sh_err sh_store_recover_set(sh_store *st, const char *partner, int64_t since_ms)
{
	char key[128];
	if (recover_key(key, sizeof(key), partner) < 0)
		return SH_ERR_STORE;
	return sh_store_meta_time_set(st, key, since_ms);
}

int64_t sh_store_recover_get(sh_store *st, MDB_txn *txn, const char *partner)
{
	char key[128];
	if (recover_key(key, sizeof(key), partner) < 0)
		return 0;
	return sh_store_meta_time_get(st, txn, key);
}

/* ----------------------------------------------------- report prints */

#define PRINT_PREFIX "print/"

static void print_key(char key[sizeof(PRINT_PREFIX) + 2 * SH_ID_LEN],
                      const uint8_t id[SH_ID_LEN])
{
	memcpy(key, PRINT_PREFIX, sizeof(PRINT_PREFIX) - 1);
	sh_hex(key + sizeof(PRINT_PREFIX) - 1, id, SH_ID_LEN);
}

sh_err sh_store_print_put(sh_store *st, const uint8_t id[SH_ID_LEN],
                          int64_t kept_ms, const uint8_t *print, size_t n)
{
	if (!st->turn)
		return SH_ERR_STORE;
	char key[sizeof(PRINT_PREFIX) + 2 * SH_ID_LEN];
	print_key(key, id);
	uint8_t *b = sh_xmalloc(8 + n);
	u64be(b, (uint64_t)kept_ms);
	if (n)
		memcpy(b + 8, print, n);
	MDB_val k = {sizeof(key) - 1, key}, v = {8 + n, b};
	int rc = jput(st, st->meta, &k, &v, 0);
	free(b);
	return mdb_err(rc);
}

sh_err sh_store_print_get(sh_store *st, MDB_txn *txn,
                          const uint8_t id[SH_ID_LEN], uint8_t **print,
                          size_t *n)
{
	char key[sizeof(PRINT_PREFIX) + 2 * SH_ID_LEN];
	print_key(key, id);
	MDB_val k = {sizeof(key) - 1, key}, v;
	*print = NULL;
	*n = 0;
	int rc = mdb_get(txn, st->meta, &k, &v);
	if (rc)
		return mdb_err(rc);
	if (v.mv_size < 8)
		return SH_ERR_STORE_CORRUPT;
	*n = v.mv_size - 8;
	*print = sh_xmalloc(*n + 1);
	if (*n)
		memcpy(*print, (const uint8_t *)v.mv_data + 8, *n);
	return SH_OK;
}

sh_err sh_store_print_expire(sh_store *st, int64_t before_ms, size_t max,
                             size_t *removed)
{
	*removed = 0;
	if (!st->turn)
		return SH_ERR_STORE;
	char(*keys)[sizeof(PRINT_PREFIX) + 2 * SH_ID_LEN] = NULL;
	size_t nk = 0;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(st->txn, st->meta, &cur);
	if (rc)
		return mdb_err(rc);
	MDB_val k = {sizeof(PRINT_PREFIX) - 1, (void *)PRINT_PREFIX}, v;
	keys = sh_xmalloc((max ? max : 1) * sizeof(*keys));
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && nk < max; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < sizeof(PRINT_PREFIX) - 1 ||
		    memcmp(k.mv_data, PRINT_PREFIX, sizeof(PRINT_PREFIX) - 1))
			break;
		/* a record too short to say when it was kept goes too */
		if (k.mv_size == sizeof(*keys) - 1 &&
		    (v.mv_size < 8 || (int64_t)be64(v.mv_data) < before_ms)) {
			memcpy(keys[nk], k.mv_data, k.mv_size);
			keys[nk++][k.mv_size] = '\0';
		}
	}
	mdb_cursor_close(cur);
	sh_err e = rc == 0 || rc == MDB_NOTFOUND ? SH_OK : mdb_err(rc);
	for (size_t i = 0; e == SH_OK && i < nk; i++) {
		MDB_val dk = {sizeof(*keys) - 1, keys[i]};
		rc = jdel(st, st->meta, &dk);
		if (rc && rc != MDB_NOTFOUND)
			e = mdb_err(rc);
		else
			(*removed)++;
	}
	free(keys);
	return e;
}

int sh_store_journal_full(const sh_store *st)
{
	return st->jfull;
}

int64_t sh_store_checkpoint_failing(const sh_store *st, const char **cause)
{
	if (cause)
		*cause = st->ckpt_failing_since && st->ckpt_cause
		             ? st->ckpt_cause
		             : "";
	return st->ckpt_failing_since;
}

sh_err sh_store_checkpoint(sh_store *st)
{
	return checkpoint(st, 0);
}

int64_t sh_store_checkpoint_due(const sh_store *st)
{
	if (!st->jturns || st->turn)
		return INT64_MAX;
	int64_t due =
	    sh_journal_bytes(st->jr) >= st->jmax ? 0 : st->jfirst + st->ckpt_ms;
	return due > st->ckpt_retry_at ? due : st->ckpt_retry_at;
}

/* ------------------------------------------------------------ turns */

sh_err sh_store_begin(sh_store *st)
{
	if (st->turn)
		return SH_OK;
	if (st->broken)
		return st->broken;
	if (!st->txn) {
		int rc = mdb_txn_begin(st->env, NULL, 0, &st->txn);
		if (rc) {
			st->txn = NULL;
			return mdb_err(rc);
		}
	}
	st->turn = 1;
	st->jrec.len = 0;
	static const uint8_t room[SH_JOURNAL_HDR];
	sh_buf_add(&st->jrec, room, sizeof(room));
	st->txn_next_out = st->next_out;
	st->txn_next_in = st->next_in;
	st->txn_counts = st->counts;
	st->seq_dirty = 0;
	st->txn_nk_next = st->nk_next;
	st->nnku = 0;
	return SH_OK;
}

MDB_txn *sh_store_txn(sh_store *st)
{
	return st->txn;
}

int sh_store_in_txn(const sh_store *st)
{
	return st->turn;
}

/* The turn failed: LMDB holds its partial writes in the same transaction
 * as earlier turns that were acknowledged. Drop the transaction and build
 * it again from the journal; then commit that (a checkpoint), so that a
 * store that ran full gets the room its commits free. */
static void turn_abort(sh_store *st)
{
	st->turn = 0;
	st->jrec.len = 0;
	nk_undo_turn(st);
	if (st->txn) {
		mdb_txn_abort(st->txn);
		st->txn = NULL;
	}
	if (st->jturns) {
		sh_err e = rebuild(st);
		if (e == SH_OK)
			(void)sh_store_checkpoint(st);
		else
			st->broken = e;
	}
	txn_ended(st, 0);
}

sh_err sh_store_commit(sh_store *st)
{
	int rc = 0;
	if (!st->turn)
		return SH_OK;
	if (st->precommit) {
		sh_err e = st->precommit(st->precommit_ctx, st->txn);
		if (e != SH_OK) {
			st->jfull = 0;
			turn_abort(st);
			return e;
		}
	}
	if (st->seq_dirty) {
		uint8_t b[8];
		MDB_val k = {8, "next_out"}, v = {8, b};
		u64be(b, st->txn_next_out);
		rc = jput(st, st->meta, &k, &v, 0);
		if (!rc) {
			MDB_val k2 = {7, "next_in"};
			u64be(b, st->txn_next_in);
			rc = jput(st, st->meta, &k2, &v, 0);
		}
	}
	if (!rc && st->txn_nk_next != st->nk_next) {
		/* natural keys put: how far this build wrote (natkeys_open) */
		uint8_t b[8];
		MDB_val k = {9, "natkey_hw"}, v = {8, b};
		u64be(b, st->txn_nk_next);
		rc = jput(st, st->meta, &k, &v, 0);
	}
	if (rc) {
		st->jfull = 0;
		turn_abort(st);
		return mdb_err(rc);
	}
	if (st->jrec.len > SH_JOURNAL_HDR) {
		sh_err e = journal_turn(st);
		if (e != SH_OK) {
			turn_abort(st);
			return e;
		}
		if (st->jturns++ == 0)
			st->jfirst = sh_mono_ms();
		if (st->jrec.cap > (8u << 20))
			sh_buf_free(&st->jrec); /* a bulk turn's room */
		st->turn = 0;
		txn_ended(st, 1);
	} else {
		st->turn = 0; /* nothing written */
		txn_ended(st, 1);
	}
	st->next_out = st->txn_next_out;
	st->next_in = st->txn_next_in;
	st->counts = st->txn_counts;
	st->nk_next = st->txn_nk_next;
	st->nnku = 0;
	/* a journal past its limit is checkpointed at once (a failure is
	 * tried again at the next turn: what it holds is durable) */
	if (sh_journal_bytes(st->jr) >= st->jmax &&
	    sh_store_checkpoint_due(st) <= sh_mono_ms())
		(void)sh_store_checkpoint(st);
	return SH_OK;
}

void sh_store_abort(sh_store *st)
{
	if (st->turn) {
		st->jfull = 0; /* failed in the turn (the map full, ...) */
		turn_abort(st);
	}
}

void sh_store_set_txn_hook(sh_store *st, sh_store_txn_fn fn, void *ctx)
{
	st->txn_hook = fn;
	st->txn_hook_ctx = ctx;
}

void sh_store_set_precommit_hook(sh_store *st, sh_store_precommit_fn fn,
                                 void *ctx)
{
	st->precommit = fn;
	st->precommit_ctx = ctx;
}

void sh_store_audit_tables(sh_store *st, MDB_dbi dbi[4])
{
	memcpy(dbi, st->audit, sizeof(st->audit));
}

MDB_txn *sh_store_read_begin(sh_store *st)
{
	MDB_txn *txn;
	if (st->txn)
		return st->txn; /* read our own writes */
	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn))
		return NULL;
	return txn;
}

void sh_store_read_end(sh_store *st, MDB_txn *txn)
{
	if (txn && txn != st->txn)
		mdb_txn_abort(txn);
}

static void count_state(sh_store_counts *c, Seinhuis__OutState s, int d)
{
	if (s == SEINHUIS__OUT_STATE__OUT_PENDING)
		c->outbox_pending += (uint64_t)d;
	else if (s == SEINHUIS__OUT_STATE__OUT_DELIVERED)
		c->outbox_delivered += (uint64_t)d;
	else if (s == SEINHUIS__OUT_STATE__OUT_FAILED)
		c->outbox_failed += (uint64_t)d;
}

static sh_err put_record(sh_store *st, MDB_dbi dbi, uint64_t seq,
                         const ProtobufCMessage *m, unsigned flags)
{
	uint8_t kb[8];
	u64be(kb, seq);
	size_t n = protobuf_c_message_get_packed_size(m);
	MDB_val k = {8, kb}, v = {n, NULL};
	int rc = jput(st, dbi, &k, &v, flags | MDB_RESERVE);
	if (rc)
		return mdb_err(rc);
	protobuf_c_message_pack(m, v.mv_data);
	jnote(st, SH_JOP_PUT, dbi, &k, &v);
	return SH_OK;
}

/* Zeros a pending record carries (field 17, 3 bytes of tag and length
 * with them) for what settling adds: done_ms (7 bytes until 2109) and
 * attempts (2 bytes up to 16383), less nothing: the state keeps its
 * size. So a settled record is no larger than the pending one was and
 * LMDB rewrites it where it is, instead of splitting a full page in two
 * (which left the table's pages half full). */
#define SH_OUTBOX_ROOM 6

/* Does a record settled in this state at done_ms keep its envelope (the
 * resend window)? */
static int keeps_env(const sh_store *st, Seinhuis__OutState state,
                     int64_t created_ms, int64_t done_ms)
{
	return state == SEINHUIS__OUT_STATE__OUT_DELIVERED && st->resend_ms &&
	       created_ms + st->resend_ms > done_ms;
}

/* Write outbox record seq: its envelope, if it has one, into
 * `outbox_env` and the rest into `outbox`; a record without one (settled)
 * takes any envelope of seq out of `outbox_env`. flags: MDB_APPEND for a
 * new record (both tables grow at their right edge). */
static sh_err put_outbox(sh_store *st, uint64_t seq,
                         const Seinhuis__OutboxRecord *rec, unsigned flags)
{
	static uint8_t zeros[SH_OUTBOX_ROOM];
	Seinhuis__OutboxRecord r = *rec;
	/* a pending record keeps room for what settling adds */
	r.room.data =
	    r.state == SEINHUIS__OUT_STATE__OUT_PENDING ? zeros : NULL;
	r.room.len = r.room.data ? sizeof(zeros) : 0;
	uint8_t kb[8];
	u64be(kb, seq);
	MDB_val k = {8, kb};
	int rc;
	if (r.envelope.len) {
		MDB_val v = {r.envelope.len, r.envelope.data};
		if ((rc = jput(st, st->outbox_env, &k, &v, flags)))
			return mdb_err(rc);
		r.envelope.data = NULL;
		r.envelope.len = 0;
	} else if (r.state == SEINHUIS__OUT_STATE__OUT_PENDING ||
	           keeps_env(st, r.state, r.created_ms,
	                     r.done_ms ? r.done_ms : sh_now_ms())) {
		/* pending again (requeued), or delivered within the resend
		 * window: the envelope stays where it is */
	} else if ((rc = jdel(st, st->outbox_env, &k)) && rc != MDB_NOTFOUND) {
		return mdb_err(rc);
	}
	return put_record(st, st->outbox, seq, &r.base, flags);
}

/* A record read whose envelope is in `outbox_env`: given a copy of it
 * (freed with the record). */
static sh_err attach_env(sh_store *st, MDB_txn *txn, const MDB_val *k,
                         Seinhuis__OutboxRecord *r)
{
	if (r->envelope.len || r->state != SEINHUIS__OUT_STATE__OUT_PENDING)
		return SH_OK;
	MDB_val kk = *k, v;
	int rc = mdb_get(txn, st->outbox_env, &kk, &v);
	if (rc == MDB_NOTFOUND || (rc == 0 && v.mv_size == 0))
		return SH_OK; /* the readers (and sh_store_check) name it */
	if (rc)
		return mdb_err(rc);
	r->envelope.data = malloc(v.mv_size);
	if (!r->envelope.data)
		return SH_ERR_NOMEM;
	memcpy(r->envelope.data, v.mv_data, v.mv_size);
	r->envelope.len = v.mv_size;
	return SH_OK;
}

sh_err sh_store_outbox_env_copy(sh_store *st, MDB_txn *txn, uint64_t seq,
                                uint8_t **env, size_t *len)
{
	uint8_t kb[8];
	u64be(kb, seq);
	MDB_val k = {8, kb}, v;
	*env = NULL;
	*len = 0;
	int rc = mdb_get(txn, st->outbox_env, &k, &v);
	if (rc == 0 && v.mv_size == 0)
		rc = MDB_NOTFOUND;
	if (rc)
		return mdb_err(rc);
	*env = sh_xmalloc(v.mv_size);
	memcpy(*env, v.mv_data, v.mv_size);
	*len = v.mv_size;
	return SH_OK;
}

sh_err sh_store_outbox_add(sh_store *st, Seinhuis__OutboxRecord *rec,
                           uint64_t *seq_out)
{
	if (!st->turn)
		return SH_ERR_STORE;
	uint64_t seq = st->txn_next_out;
	uint8_t sb[8];
	u64be(sb, seq);
	MDB_val ik = {SH_ID_LEN, rec->message_id.data}, iv = {8, sb};
	int rc = jput(st, st->outbox_id, &ik, &iv, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return SH_ERR_DUPLICATE;
	if (rc)
		return mdb_err(rc);
	sh_err e = put_outbox(st, seq, rec, MDB_APPEND);
	if (e)
		return e;
	st->txn_next_out = seq + 1;
	st->seq_dirty = 1;
	count_state(&st->txn_counts, rec->state, 1);
	*seq_out = seq;
	return SH_OK;
}

/* Outbox record seq, with its envelope. One that is there but does not
 * decode is SH_ERR_STORE_CORRUPT with *undecodable = 1, logged unless
 * quiet. */
static sh_err get_outbox_q(sh_store *st, MDB_txn *txn, uint64_t seq,
                           Seinhuis__OutboxRecord **rec, int quiet,
                           int *undecodable)
{
	uint8_t kb[8];
	u64be(kb, seq);
	MDB_val k = {8, kb}, v;
	*rec = NULL;
	*undecodable = 0;
	int rc = mdb_get(txn, st->outbox, &k, &v);
	if (rc)
		return mdb_err(rc);
	*rec = seinhuis__outbox_record__unpack(NULL, v.mv_size, v.mv_data);
	if (!*rec || (*rec)->message_id.len != SH_ID_LEN) {
		if (*rec)
			seinhuis__outbox_record__free_unpacked(*rec, NULL);
		*rec = NULL;
		*undecodable = 1;
		if (!quiet)
			sh_error("store: outbox record %llu does not decode",
			         (unsigned long long)seq);
		return SH_ERR_STORE_CORRUPT;
	}
	sh_err e = attach_env(st, txn, &k, *rec);
	if (e) {
		seinhuis__outbox_record__free_unpacked(*rec, NULL);
		*rec = NULL;
	}
	return e;
}

static sh_err get_outbox(sh_store *st, MDB_txn *txn, uint64_t seq,
                         Seinhuis__OutboxRecord **rec)
{
	int undecodable;
	return get_outbox_q(st, txn, seq, rec, 0, &undecodable);
}

sh_err sh_store_outbox_read(sh_store *st, MDB_txn *txn, uint64_t seq,
                            Seinhuis__OutboxRecord **rec, int *undecodable)
{
	return get_outbox_q(st, txn, seq, rec, 1, undecodable);
}

sh_err sh_store_outbox_fail_damaged(sh_store *st, uint64_t seq,
                                    const uint8_t id[SH_ID_LEN],
                                    const char *recipient,
                                    Seinhuis__OutState state, uint32_t attempts,
                                    int64_t done_ms, const char *rule,
                                    const char *detail)
{
	if (!st->turn)
		return SH_ERR_STORE;
	Seinhuis__OutboxRecord *old;
	int undecodable;
	sh_err e = get_outbox_q(st, st->txn, seq, &old, 1, &undecodable);
	if (e == SH_OK) {
		/* it decodes (again): not this function's to replace */
		seinhuis__outbox_record__free_unpacked(old, NULL);
		return SH_ERR_USAGE;
	}
	if (!undecodable)
		return e;
	/* Its place in the outbox's order: accepted as its predecessor was,
	 * as far as anyone can tell (retention reads the records in order
	 * and stops at the first one too young to go). */
	int64_t created =
	    seq > 1 ? sh_store_outbox_created(st, st->txn, seq - 1) : 0;
	Seinhuis__OutboxRecord r = SEINHUIS__OUTBOX_RECORD__INIT;
	r.message_id.data = (uint8_t *)id;
	r.message_id.len = SH_ID_LEN;
	r.recipient = (char *)recipient;
	r.state = state;
	r.created_ms = created ? created : done_ms;
	r.done_ms = done_ms;
	r.attempts = attempts;
	if (state == SEINHUIS__OUT_STATE__OUT_FAILED) {
		r.rule = (char *)rule;
		r.detail = (char *)detail;
	}
	if ((e = put_outbox(st, seq, &r, 0)) != SH_OK)
		return e;
	/* it was pending when counted (damaged since) */
	count_state(&st->txn_counts, SEINHUIS__OUT_STATE__OUT_PENDING, -1);
	count_state(&st->txn_counts, state, 1);
	return SH_OK;
}

sh_err sh_store_outbox_find(sh_store *st, MDB_txn *txn,
                            const uint8_t id[SH_ID_LEN], uint64_t *seq,
                            Seinhuis__OutboxRecord **rec)
{
	MDB_val k = {SH_ID_LEN, (void *)id}, v;
	int rc = mdb_get(txn, st->outbox_id, &k, &v);
	if (rc)
		return mdb_err(rc);
	if (v.mv_size != 8)
		return SH_ERR_STORE_CORRUPT;
	*seq = be64(v.mv_data);
	return rec ? get_outbox(st, txn, *seq, rec) : SH_OK;
}

sh_err sh_store_outbox_envelope(sh_store *st, MDB_txn *txn, uint64_t seq,
                                Seinhuis__OutboxRecord **rec)
{
	return get_outbox(st, txn, seq, rec);
}

sh_err sh_store_outbox_put(sh_store *st, uint64_t seq,
                           const Seinhuis__OutboxRecord *rec)
{
	Seinhuis__OutboxRecord *old;
	if (!st->turn)
		return SH_ERR_STORE;
	sh_err e = get_outbox(st, st->txn, seq, &old);
	if (e)
		return e;
	count_state(&st->txn_counts, old->state, -1);
	seinhuis__outbox_record__free_unpacked(old, NULL);
	if ((e = put_outbox(st, seq, rec, 0)) != SH_OK)
		return e;
	count_state(&st->txn_counts, rec->state, 1);
	return SH_OK;
}

sh_err sh_store_outbox_replace(sh_store *st, uint64_t seq,
                               Seinhuis__OutState old_state,
                               const Seinhuis__OutboxRecord *rec)
{
	if (!st->turn)
		return SH_ERR_STORE;
	sh_err e = put_outbox(st, seq, rec, 0);
	if (e != SH_OK)
		return e;
	count_state(&st->txn_counts, old_state, -1);
	count_state(&st->txn_counts, rec->state, 1);
	return SH_OK;
}

/* ------------------------------------------- settling without decoding */

/* One field of a record in protobuf's wire format: its number and the
 * bytes it takes (tag included). */
typedef struct {
	uint32_t num;
	size_t at, len;
	uint64_t value; /* a varint's value */
} wire_field;

/* Split a record into its fields, in order; -1 if it does not parse, has
 * more than max fields, or its numbers do not ascend (protobuf-c writes
 * them ascending, each once: anything else takes the decoding path). */
static int wire_split(const uint8_t *p, size_t n, wire_field *f, size_t max,
                      size_t *nf)
{
	size_t off = 0, k = 0;
	while (off < n) {
		size_t at = off, data;
		uint32_t num;
		unsigned wt;
		uint64_t v;
		if (k == max ||
		    sh_pb_field_next(p, n, &off, &num, &wt, &v, &data) < 0 ||
		    (k && num <= f[k - 1].num))
			return -1;
		f[k++] = (wire_field){num, at, off - at, v};
	}
	*nf = k;
	return 0;
}

sh_err sh_store_outbox_settle(sh_store *st, uint64_t seq,
                              const uint8_t id[SH_ID_LEN],
                              Seinhuis__OutState state, uint32_t attempts,
                              int64_t done_ms, Seinhuis__SignalType *type,
                              int *settled)
{
	*settled = 0;
	if (!st->turn)
		return SH_ERR_STORE;
	uint8_t kb[8];
	u64be(kb, seq);
	MDB_val k = {8, kb}, v;
	int rc = mdb_get(st->txn, st->outbox, &k, &v);
	if (rc)
		return SH_OK; /* the decoding path reports it */
	const uint8_t *p = v.mv_data;
	wire_field f[24];
	size_t nf, i;
	if (wire_split(p, v.mv_size, f, 24, &nf) < 0)
		return SH_OK;
	/* field 1: message id; 3: type; 4: state (pending, else nothing to
	 * settle here) */
	int pending = 0;
	int64_t created_ms = 0;
	*type = SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED;
	for (i = 0; i < nf; i++) {
		const wire_field *w = &f[i];
		if (w->num == 6 && p[w->at] == 0x30)
			created_ms = (int64_t)w->value;
		if (w->num == 1 &&
		    (w->len != 2 + SH_ID_LEN || p[w->at] != 0x0a ||
		     p[w->at + 1] != SH_ID_LEN ||
		     memcmp(p + w->at + 2, id, SH_ID_LEN) != 0))
			return SH_OK;
		if (w->num == 3) {
			if (p[w->at] != 0x18)
				return SH_OK;
			*type = (Seinhuis__SignalType)w->value;
		}
		if (w->num == 4) {
			if (p[w->at] != 0x20 ||
			    w->value != SEINHUIS__OUT_STATE__OUT_PENDING)
				return SH_OK;
			pending = 1;
		}
	}
	if (!pending || f[0].num != 1)
		return SH_OK;
	/* The new record: the old one's fields in order, without the
	 * envelope (10) and the room (17), with state (4), attempts (5) and
	 * done_ms (7) new; zero values left out, as protobuf-c does. */
	struct {
		uint32_t num, tag;
		uint64_t v;
	} put[3] = {{4, 0x20, (uint64_t)state},
	            {5, 0x28, attempts},
	            {7, 0x38, (uint64_t)done_ms}};
	uint8_t out[1024];
	size_t o = 0, np = 0;
	for (i = 0; i <= nf; i++) {
		uint32_t num = i < nf ? f[i].num : UINT32_MAX;
		for (; np < 3 && put[np].num <= num; np++) {
			if (put[np].v == 0)
				continue;
			out[o++] = (uint8_t)put[np].tag;
			o += sh_pb_varint_put(out + o, put[np].v);
		}
		if (i == nf || num == 4 || num == 5 || num == 7 || num == 10 ||
		    num == 17)
			continue;
		if (o + f[i].len + 40 > sizeof(out))
			return SH_OK; /* larger than a settled record is */
		memcpy(out + o, p + f[i].at, f[i].len);
		o += f[i].len;
	}
	MDB_val nv = {o, out};
	if ((rc = jput(st, st->outbox, &k, &nv, 0)))
		return mdb_err(rc);
	/* the envelope (schema 3: beside the record) goes, unless it is
	 * kept for the resend window */
	if (!keeps_env(st, state, created_ms, done_ms) &&
	    (rc = jdel(st, st->outbox_env, &k)) && rc != MDB_NOTFOUND)
		return mdb_err(rc);
	count_state(&st->txn_counts, SEINHUIS__OUT_STATE__OUT_PENDING, -1);
	count_state(&st->txn_counts, state, 1);
	*settled = 1;
	return SH_OK;
}

sh_err sh_store_outbox_remove(sh_store *st, uint64_t seq,
                              const Seinhuis__OutboxRecord *rec)
{
	if (!st->turn || rec->state == SEINHUIS__OUT_STATE__OUT_PENDING ||
	    rec->message_id.len != SH_ID_LEN)
		return SH_ERR_STORE;
	uint8_t kb[8];
	u64be(kb, seq);
	MDB_val k = {8, kb}, ik = {SH_ID_LEN, rec->message_id.data};
	int rc = jdel(st, st->outbox, &k);
	if (rc)
		return mdb_err(rc);
	/* settling took its envelope out of `outbox_env`; one left beside
	 * it (a damaged store) goes too, and so do its id index and its
	 * natural key */
	if ((rc = jdel(st, st->outbox_env, &k)) && rc != MDB_NOTFOUND)
		return mdb_err(rc);
	if ((rc = jdel(st, st->outbox_id, &ik)) && rc != MDB_NOTFOUND)
		return mdb_err(rc);
	if (rec->natural_key.len == SH_KEY_LEN) {
		sh_err e =
		    natkey_del(st, rec->natural_key.data, rec->message_id.data);
		if (e)
			return e;
	}
	count_state(&st->txn_counts, rec->state, -1);
	return SH_OK;
}

/* ------------------------------------------ the resend window (recover) */

/* The outbox record of an `outbox_env` entry: 1 and *r (the caller frees
 * it); 0 if there is none (an envelope left behind); -1 if it does not
 * decode (logged; sh_store_check refuses such a store at start-up). */
static int env_record(sh_store *st, uint64_t seq, Seinhuis__OutboxRecord **r)
{
	uint8_t kb[8];
	u64be(kb, seq);
	MDB_val k = {8, kb}, v;
	*r = NULL;
	if (mdb_get(st->txn, st->outbox, &k, &v))
		return 0;
	*r = seinhuis__outbox_record__unpack(NULL, v.mv_size, v.mv_data);
	if (*r)
		return 1;
	sh_error("store: outbox record %llu does not decode",
	         (unsigned long long)seq);
	return -1;
}

sh_err sh_store_outbox_requeue_from(sh_store *st, const char *recipient,
                                    int64_t since_ms, int64_t min_created_ms,
                                    uint64_t from, size_t max, sh_outbox_fn fn,
                                    void *ctx, size_t *n, uint64_t *next)
{
	*n = 0;
	if (next)
		*next = 0;
	if (!st->turn || !max)
		return SH_ERR_STORE;
	/* the sequence numbers of this step, found with a cursor and taken
	 * with it closed (the records are rewritten) */
	uint64_t *seqs = NULL;
	size_t ns = 0, cap = 0;
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t fb[8];
	u64be(fb, from);
	int rc = mdb_cursor_open(st->txn, st->outbox_env, &cur);
	if (rc)
		return mdb_err(rc);
	k.mv_size = 8;
	k.mv_data = fb;
	sh_err e = SH_OK;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8)
			continue;
		if (ns == max) {
			if (next)
				*next = be64(k.mv_data);
			break;
		}
		if (ns == cap) {
			cap = cap ? 2 * cap : 256;
			uint64_t *g = realloc(seqs, cap * sizeof(*seqs));
			if (!g) {
				e = SH_ERR_NOMEM;
				break;
			}
			seqs = g;
		}
		seqs[ns++] = be64(k.mv_data);
	}
	mdb_cursor_close(cur);
	if (e == SH_OK && rc != 0 && rc != MDB_NOTFOUND)
		e = mdb_err(rc);
	for (size_t i = 0; e == SH_OK && i < ns; i++) {
		Seinhuis__OutboxRecord *r;
		if (env_record(st, seqs[i], &r) != 1)
			continue;
		if (r->state == SEINHUIS__OUT_STATE__OUT_DELIVERED &&
		    r->message_id.len == SH_ID_LEN && r->done_ms >= since_ms &&
		    r->created_ms >= min_created_ms &&
		    strcmp(r->recipient, recipient) == 0 &&
		    fn(ctx, seqs[i], r)) {
			r->state = SEINHUIS__OUT_STATE__OUT_PENDING;
			r->done_ms = 0;
			e = put_outbox(st, seqs[i], r, 0);
			if (e == SH_OK) {
				count_state(&st->txn_counts,
				            SEINHUIS__OUT_STATE__OUT_DELIVERED,
				            -1);
				count_state(&st->txn_counts,
				            SEINHUIS__OUT_STATE__OUT_PENDING,
				            1);
				(*n)++;
			}
		}
		seinhuis__outbox_record__free_unpacked(r, NULL);
	}
	free(seqs);
	return e;
}

sh_err sh_store_outbox_requeue(sh_store *st, const char *recipient,
                               int64_t since_ms, int64_t min_created_ms,
                               sh_outbox_fn fn, void *ctx, size_t *n)
{
	return sh_store_outbox_requeue_from(st, recipient, since_ms,
	                                    min_created_ms, 0, SIZE_MAX, fn,
	                                    ctx, n, NULL);
}

sh_err sh_store_outbox_env_expire(sh_store *st, int64_t now_ms, size_t max,
                                  size_t *dropped, int *more)
{
	*dropped = 0;
	*more = 0;
	if (!st->turn)
		return SH_ERR_STORE;
	/* Which to drop, found with a cursor (at most max of them; the scan
	 * stops at the first young one), then dropped with it closed: what
	 * is held is bounded by max, not by the envelopes kept. */
	uint64_t *drop = malloc((max ? max : 1) * sizeof(*drop));
	if (!drop)
		return SH_ERR_NOMEM;
	size_t nd = 0;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = mdb_cursor_open(st->txn, st->outbox_env, &cur);
	if (rc) {
		free(drop);
		return mdb_err(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8)
			continue;
		uint64_t seq = be64(k.mv_data);
		Seinhuis__OutboxRecord *r;
		/* without its record: dropped; not decoding: left */
		int got = env_record(st, seq, &r), younger = 0, gone = !got;
		if (got == 1) {
			/* kept in the order accepted: after a young one, the
			 * rest are younger; a pending one is still to be
			 * delivered */
			younger =
			    keeps_env(st, r->state, r->created_ms, now_ms);
			gone = r->state != SEINHUIS__OUT_STATE__OUT_PENDING &&
			       !younger;
			seinhuis__outbox_record__free_unpacked(r, NULL);
		}
		if (younger)
			break;
		if (!gone)
			continue;
		if (nd == max) {
			*more = 1;
			break;
		}
		drop[nd++] = seq;
	}
	mdb_cursor_close(cur);
	sh_err e = rc == 0 || rc == MDB_NOTFOUND ? SH_OK : mdb_err(rc);
	for (size_t i = 0; e == SH_OK && i < nd; i++) {
		uint8_t kb[8];
		u64be(kb, drop[i]);
		MDB_val dk = {8, kb};
		rc = jdel(st, st->outbox_env, &dk);
		if (rc && rc != MDB_NOTFOUND)
			e = mdb_err(rc);
		else
			(*dropped)++;
	}
	free(drop);
	return e;
}

int64_t sh_store_outbox_created(sh_store *st, MDB_txn *txn, uint64_t seq)
{
	uint8_t kb[8];
	u64be(kb, seq);
	MDB_val k = {8, kb}, v;
	if (!txn || mdb_get(txn, st->outbox, &k, &v))
		return 0;
	Seinhuis__OutboxRecord *r =
	    seinhuis__outbox_record__unpack(NULL, v.mv_size, v.mv_data);
	if (!r)
		return 0;
	int64_t at = r->created_ms;
	seinhuis__outbox_record__free_unpacked(r, NULL);
	return at;
}

sh_err sh_store_outbox_scan(sh_store *st, MDB_txn *txn, int newest_first,
                            sh_outbox_fn fn, void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, st->outbox, &cur);
	if (rc)
		return mdb_err(rc);
	sh_err e = SH_OK;
	MDB_cursor_op first = newest_first ? MDB_LAST : MDB_FIRST;
	MDB_cursor_op next = newest_first ? MDB_PREV : MDB_NEXT;
	for (rc = mdb_cursor_get(cur, &k, &v, first); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, next)) {
		Seinhuis__OutboxRecord *r =
		    k.mv_size == 8 ? seinhuis__outbox_record__unpack(
		                         NULL, v.mv_size, v.mv_data)
		                   : NULL;
		if (!r) {
			e = SH_ERR_STORE_CORRUPT;
			break;
		}
		if ((e = attach_env(st, txn, &k, r)) != SH_OK) {
			seinhuis__outbox_record__free_unpacked(r, NULL);
			break;
		}
		int stop = fn(ctx, be64(k.mv_data), r);
		seinhuis__outbox_record__free_unpacked(r, NULL);
		if (stop)
			break;
	}
	mdb_cursor_close(cur);
	return e;
}

sh_err sh_store_inbox_add(sh_store *st, const uint8_t id[SH_ID_LEN],
                          const char *sender, Seinhuis__SignalType type,
                          const uint8_t *env, size_t envlen,
                          const uint8_t *case_key, const uint8_t *resident_key,
                          const char *consent_ref, Seinhuis__AcuteMark acute,
                          const uint8_t *signing_key)
{
	if (!st->turn)
		return SH_ERR_STORE;
	uint64_t seq = st->txn_next_in;
	uint8_t sb[8];
	u64be(sb, seq);
	MDB_val ik = {SH_ID_LEN, (void *)id}, iv = {8, sb};
	int rc = jput(st, st->seen, &ik, &iv, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return SH_ERR_DUPLICATE;
	if (rc)
		return mdb_err(rc);
	Seinhuis__InboxRecord r = SEINHUIS__INBOX_RECORD__INIT;
	r.message_id.data = (uint8_t *)id;
	r.message_id.len = SH_ID_LEN;
	r.sender = (char *)sender;
	r.type = type;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.received_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	r.received_ms = r.received_us / 1000;
	r.envelope.data = (uint8_t *)env;
	r.envelope.len = envlen;
	if (case_key) {
		r.case_key.data = (uint8_t *)case_key;
		r.case_key.len = SH_KEY_LEN;
	}
	if (resident_key) {
		r.resident_key.data = (uint8_t *)resident_key;
		r.resident_key.len = SH_KEY_LEN;
	}
	if (consent_ref)
		r.consent_ref = (char *)consent_ref;
	r.acute = acute;
	if (signing_key) {
		r.signing_key.data = (uint8_t *)signing_key;
		r.signing_key.len = SH_KEY_LEN;
	}
	sh_err e = put_record(st, st->inbox, seq, &r.base, MDB_APPEND);
	if (e)
		return e;
	if ((rc = ci_inbox_put(st, st->txn, sb, sender, consent_ref, id,
	                       SH_ID_LEN, type)))
		return mdb_err(rc);
	st->txn_next_in = seq + 1;
	st->seq_dirty = 1;
	st->txn_counts.inbox_depth++;
	st->txn_counts.seen++;
	return SH_OK;
}

sh_err sh_store_seen_settled(sh_store *st, const uint8_t id[SH_ID_LEN])
{
	if (!st->turn)
		return SH_ERR_STORE;
	uint8_t zero[8] = {0};
	MDB_val k = {SH_ID_LEN, (void *)id}, v = {8, zero};
	int rc = jput(st, st->seen, &k, &v, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return SH_ERR_DUPLICATE;
	if (rc)
		return mdb_err(rc);
	st->txn_counts.seen++;
	return SH_OK;
}

sh_err sh_store_inbox_scan(sh_store *st, MDB_txn *txn, sh_inbox_fn fn,
                           void *ctx)
{
	return sh_store_inbox_scan_from(st, txn, 0, fn, ctx);
}

uint64_t sh_store_inbox_next(const sh_store *st)
{
	return st->next_in;
}

sh_err sh_store_inbox_scan_from(sh_store *st, MDB_txn *txn, uint64_t from,
                                sh_inbox_fn fn, void *ctx)
{
	MDB_cursor *cur;
	uint8_t fb[8];
	u64be(fb, from);
	MDB_val k = {8, fb}, v;
	int rc = mdb_cursor_open(txn, st->inbox, &cur);
	if (rc)
		return mdb_err(rc);
	sh_err e = SH_OK;
	for (rc = mdb_cursor_get(cur, &k, &v, from ? MDB_SET_RANGE : MDB_FIRST);
	     rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Seinhuis__InboxRecord *r = k.mv_size == 8
		                               ? seinhuis__inbox_record__unpack(
		                                     NULL, v.mv_size, v.mv_data)
		                               : NULL;
		if (!r) {
			e = SH_ERR_STORE_CORRUPT;
			break;
		}
		int stop = fn(ctx, be64(k.mv_data), r);
		seinhuis__inbox_record__free_unpacked(r, NULL);
		if (stop)
			break;
	}
	mdb_cursor_close(cur);
	return e;
}

sh_err sh_store_inbox_get(sh_store *st, MDB_txn *txn,
                          const uint8_t id[SH_ID_LEN],
                          Seinhuis__InboxRecord **rec)
{
	MDB_val k = {SH_ID_LEN, (void *)id}, v;
	int rc = mdb_get(txn, st->seen, &k, &v);
	if (rc)
		return mdb_err(rc);
	if (v.mv_size != 8)
		return SH_ERR_STORE_CORRUPT;
	uint64_t seq = be64(v.mv_data);
	if (seq == 0)
		return SH_ERR_NOTFOUND; /* taken by the team already */
	MDB_val ik = {8, v.mv_data}, iv;
	if ((rc = mdb_get(txn, st->inbox, &ik, &iv)))
		return mdb_err(rc);
	*rec = seinhuis__inbox_record__unpack(NULL, iv.mv_size, iv.mv_data);
	return *rec ? SH_OK : SH_ERR_STORE_CORRUPT;
}

sh_err sh_store_inbox_ack(sh_store *st, const uint8_t id[SH_ID_LEN])
{
	if (!st->turn)
		return SH_ERR_STORE;
	MDB_val k = {SH_ID_LEN, (void *)id}, v;
	int rc = mdb_get(st->txn, st->seen, &k, &v);
	if (rc)
		return mdb_err(rc);
	if (v.mv_size != 8)
		return SH_ERR_STORE_CORRUPT;
	uint8_t kb[8];
	memcpy(kb, v.mv_data, 8);
	if (be64(kb) == 0)
		return SH_ERR_NOTFOUND;
	MDB_val ik = {8, kb};
	if ((rc = ci_inbox_del(st, kb)) || (rc = jdel(st, st->inbox, &ik)))
		return mdb_err(rc);
	uint8_t zero[8] = {0};
	MDB_val zv = {8, zero};
	if ((rc = jput(st, st->seen, &k, &zv, 0)))
		return mdb_err(rc);
	st->txn_counts.inbox_depth--;
	return SH_OK;
}

void sh_store_counts_get(sh_store *st, sh_store_counts *c)
{
	*c = st->turn ? st->txn_counts : st->counts;
}

sh_err sh_store_inbox_remove(sh_store *st, uint64_t seq,
                             const uint8_t id[SH_ID_LEN])
{
	if (!st->turn)
		return SH_ERR_STORE;
	uint8_t kb[8], zero[8] = {0};
	u64be(kb, seq);
	MDB_val k = {8, kb}, ik = {SH_ID_LEN, (void *)id}, zv = {8, zero};
	int rc = ci_inbox_del(st, kb);
	if (!rc)
		rc = jdel(st, st->inbox, &k);
	if (rc)
		return mdb_err(rc);
	if ((rc = jput(st, st->seen, &ik, &zv, 0)))
		return mdb_err(rc);
	st->txn_counts.inbox_depth--;
	return SH_OK;
}

static sh_err put_by_key(sh_store *st, MDB_dbi dbi, const void *key,
                         size_t klen, const ProtobufCMessage *m)
{
	if (!st->turn)
		return SH_ERR_STORE;
	size_t n = protobuf_c_message_get_packed_size(m);
	MDB_val k = {klen, (void *)key}, v = {n, NULL};
	int rc = jput(st, dbi, &k, &v, MDB_RESERVE);
	if (rc)
		return mdb_err(rc);
	protobuf_c_message_pack(m, v.mv_data);
	jnote(st, SH_JOP_PUT, dbi, &k, &v);
	return SH_OK;
}

sh_err sh_store_quarantine_add(sh_store *st,
                               const Seinhuis__QuarantineRecord *rec)
{
	sh_err e = put_by_key(st, st->quarantine, rec->message_id.data,
	                      rec->message_id.len, &rec->base);
	return e ? e : mdb_err(ci_quarantine(st, st->txn, rec, 1));
}

sh_err sh_store_quarantine_find(sh_store *st, MDB_txn *txn,
                                const uint8_t id[SH_ID_LEN],
                                Seinhuis__QuarantineRecord **rec)
{
	MDB_val k = {SH_ID_LEN, (void *)id}, v;
	int rc = mdb_get(txn, st->quarantine, &k, &v);
	if (rc)
		return mdb_err(rc);
	*rec = seinhuis__quarantine_record__unpack(NULL, v.mv_size, v.mv_data);
	return *rec ? SH_OK : SH_ERR_STORE_CORRUPT;
}

sh_err sh_store_quarantine_del(sh_store *st, const uint8_t id[SH_ID_LEN])
{
	if (!st->turn)
		return SH_ERR_STORE;
	MDB_val k = {SH_ID_LEN, (void *)id}, v;
	int rc = mdb_get(st->txn, st->quarantine, &k, &v);
	Seinhuis__QuarantineRecord *r =
	    rc ? NULL
	       : seinhuis__quarantine_record__unpack(NULL, v.mv_size,
	                                             v.mv_data);
	/* one that does not decode is removed all the same; an index entry
	 * left by it is passed over by sh_store_consent_signals */
	if (r) {
		rc = ci_quarantine(st, st->txn, r, 0);
		seinhuis__quarantine_record__free_unpacked(r, NULL);
	}
	if (!rc)
		rc = jdel(st, st->quarantine, &k);
	return mdb_err(rc);
}

sh_err sh_store_quarantine_scan(sh_store *st, MDB_txn *txn, sh_quarantine_fn fn,
                                void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, st->quarantine, &cur);
	if (rc)
		return mdb_err(rc);
	sh_err e = SH_OK;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Seinhuis__QuarantineRecord *r =
		    seinhuis__quarantine_record__unpack(NULL, v.mv_size,
		                                        v.mv_data);
		if (!r) {
			e = SH_ERR_STORE_CORRUPT;
			break;
		}
		int stop = fn(ctx, r);
		seinhuis__quarantine_record__free_unpacked(r, NULL);
		if (stop)
			break;
	}
	mdb_cursor_close(cur);
	/* a walk cut short by LMDB is not the whole quarantine */
	if (e == SH_OK && rc != 0 && rc != MDB_NOTFOUND)
		e = mdb_err(rc);
	return e;
}

/* ------------------------------------------------------ consent index
 *
 * `consent_idx` holds, for each signal that a consent revocation would
 * take out (one with a consent reference, not itself a revocation),
 *   H || 'i' || u64 inbox sequence -> message id   while in the inbox,
 *   H || 'q' || message id -> ""                    while quarantined,
 * where H is the SHA-256 of the sender's partner id, a NUL, and the
 * reference in lower case (a revocation names it in any case). A
 * revocation reads the keys under its H (sh_store_consent_signals): its
 * cost is what it removes, not the inbox. The entries change in the same
 * turn as the records (inbox add, take, removal; quarantine add, removal),
 * so the journal replays them together; the table is built at open for a
 * store of schema 4 or before. */
#define CI_H   32
#define CI_KEY (CI_H + 1 + SH_ID_LEN)

static void ci_hash(uint8_t h[CI_H], const char *sender, const char *ref)
{
	size_t n = strlen(ref);
	char small[64] = "", *low = n < sizeof(small) ? small : sh_xmalloc(n);
	for (size_t i = 0; i < n; i++) /* as strcasecmp: ASCII letters */
		low[i] = ref[i] >= 'A' && ref[i] <= 'Z'
		             ? (char)(ref[i] - 'A' + 'a')
		             : ref[i];
	sh_sha256_2(h, sender, strlen(sender) + 1, low, n);
	if (low != small)
		free(low);
}

static int ci_wanted(const char *sender, const char *ref, size_t idlen,
                     Seinhuis__SignalType type)
{
	return sender && ref && *ref && idlen == SH_ID_LEN &&
	       type != SEINHUIS__SIGNAL_TYPE__CONSENT_REVOCATION;
}

/* The key of a signal: kind 'i' with the sequence, 'q' with the id. */
static size_t ci_key(uint8_t key[CI_KEY], const char *sender, const char *ref,
                     char kind, const uint8_t *tail)
{
	ci_hash(key, sender, ref);
	key[CI_H] = (uint8_t)kind;
	size_t tl = kind == 'i' ? 8 : SH_ID_LEN;
	memcpy(key + CI_H + 1, tail, tl);
	return CI_H + 1 + tl;
}

/* A put through the turn (journaled) or, at open, into txn itself. */
static int ci_put(sh_store *st, MDB_txn *txn, MDB_val *k, MDB_val *v)
{
	return txn == st->txn && st->turn
	           ? jput(st, st->consent_idx, k, v, 0)
	           : mdb_put(txn, st->consent_idx, k, v, 0);
}

static int ci_inbox_put(sh_store *st, MDB_txn *txn, const uint8_t seq[8],
                        const char *sender, const char *ref, const uint8_t *id,
                        size_t idlen, Seinhuis__SignalType type)
{
	if (!ci_wanted(sender, ref, idlen, type))
		return 0;
	uint8_t key[CI_KEY];
	MDB_val k = {ci_key(key, sender, ref, 'i', seq), key},
	        v = {SH_ID_LEN, (void *)id};
	return ci_put(st, txn, &k, &v);
}

/* sh_store_check: inbox record seq has its entry (or needs none). */
static int ci_has_inbox(sh_store *st, MDB_txn *txn, const uint8_t seq[8],
                        const Seinhuis__InboxRecord *r)
{
	if (!ci_wanted(r->sender, r->consent_ref, r->message_id.len, r->type))
		return 1;
	uint8_t key[CI_KEY];
	MDB_val k = {ci_key(key, r->sender, r->consent_ref, 'i', seq), key}, v;
	return mdb_get(txn, st->consent_idx, &k, &v) == 0 &&
	       v.mv_size == SH_ID_LEN &&
	       memcmp(v.mv_data, r->message_id.data, SH_ID_LEN) == 0;
}

/* Before inbox record seq goes: its entry. A record that does not decode
 * is removed all the same (an entry it left is passed over later). */
static int ci_inbox_del(sh_store *st, const uint8_t seq[8])
{
	MDB_val ik = {8, (void *)seq}, iv;
	int rc = mdb_get(st->txn, st->inbox, &ik, &iv);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : rc; /* the del reports it */
	Seinhuis__InboxRecord *r =
	    seinhuis__inbox_record__unpack(NULL, iv.mv_size, iv.mv_data);
	if (!r)
		return 0;
	if (ci_wanted(r->sender, r->consent_ref, r->message_id.len, r->type)) {
		uint8_t key[CI_KEY];
		MDB_val k = {ci_key(key, r->sender, r->consent_ref, 'i', seq),
		             key};
		rc = jdel(st, st->consent_idx, &k);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	seinhuis__inbox_record__free_unpacked(r, NULL);
	return rc;
}

/* The consent reference inside a quarantined signal's envelope (kept as
 * it arrived), from malloc; NULL for none. */
static char *q_consent_ref(const Seinhuis__QuarantineRecord *r)
{
	sh_wire_decoded dec;
	uint8_t id[SH_ID_LEN];
	sh_wire_decode_a(r->envelope.data, r->envelope.len, NULL, &dec, id);
	char *ref = dec.sig && dec.sig->consent_ref && *dec.sig->consent_ref
	                ? sh_strdup(dec.sig->consent_ref)
	                : NULL;
	if (dec.sig)
		seinhuis__signal__free_unpacked(dec.sig, NULL);
	if (dec.env)
		seinhuis__envelope__free_unpacked(dec.env, NULL);
	return ref;
}

/* The key of quarantined record r's entry into key, and its length; 0 if
 * it needs none. */
static size_t ci_quarantine_key(uint8_t key[CI_KEY],
                                const Seinhuis__QuarantineRecord *r)
{
	if (!ci_wanted(r->sender, "-", r->message_id.len, r->type))
		return 0;
	char *ref = q_consent_ref(r);
	size_t n =
	    ref ? ci_key(key, r->sender, ref, 'q', r->message_id.data) : 0;
	free(ref);
	return n;
}

/* sh_store_check: quarantined record r has its entry (or needs none). */
static int ci_has_quarantine(sh_store *st, MDB_txn *txn,
                             const Seinhuis__QuarantineRecord *r)
{
	uint8_t key[CI_KEY];
	MDB_val k = {ci_quarantine_key(key, r), key}, v;
	return k.mv_size == 0 || mdb_get(txn, st->consent_idx, &k, &v) == 0;
}

/* A quarantined signal's entry put (put 1) or removed (0). */
static int ci_quarantine(sh_store *st, MDB_txn *txn,
                         const Seinhuis__QuarantineRecord *r, int put)
{
	uint8_t key[CI_KEY];
	MDB_val k = {ci_quarantine_key(key, r), key}, v = {0, ""};
	if (k.mv_size == 0)
		return 0;
	int rc = put ? ci_put(st, txn, &k, &v) : jdel(st, st->consent_idx, &k);
	return rc == MDB_NOTFOUND && !put ? 0 : rc;
}

/* At open, for a store of schema 4 or before: the index from the inbox
 * and the quarantine, in the open's transaction. */
static int consent_idx_build(sh_store *st, MDB_txn *txn)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t n = 0;
	int rc = mdb_drop(txn, st->consent_idx, 0);
	if (!rc)
		rc = mdb_cursor_open(txn, st->inbox, &cur);
	while (!rc && (rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		Seinhuis__InboxRecord *r = k.mv_size == 8
		                               ? seinhuis__inbox_record__unpack(
		                                     NULL, v.mv_size, v.mv_data)
		                               : NULL;
		if (!r) {
			rc = MDB_CORRUPTED; /* as sh_store_check would */
			break;
		}
		uint8_t seq[8];
		memcpy(seq, k.mv_data, 8);
		rc = ci_inbox_put(st, txn, seq, r->sender, r->consent_ref,
		                  r->message_id.data, r->message_id.len,
		                  r->type);
		seinhuis__inbox_record__free_unpacked(r, NULL);
		n++;
	}
	mdb_cursor_close(cur);
	cur = NULL;
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (!rc)
		rc = mdb_cursor_open(txn, st->quarantine, &cur);
	while (!rc && (rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		Seinhuis__QuarantineRecord *r =
		    seinhuis__quarantine_record__unpack(NULL, v.mv_size,
		                                        v.mv_data);
		if (!r) {
			rc = MDB_CORRUPTED;
			break;
		}
		rc = ci_quarantine(st, txn, r, 1);
		seinhuis__quarantine_record__free_unpacked(r, NULL);
		n++;
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (!rc && n)
		sh_info("store: consent index built from %zu inbox and "
		        "quarantine records (store schema " SCHEMA ")",
		        n);
	return rc;
}

sh_err sh_store_consent_signals(sh_store *st, MDB_txn *txn, const char *sender,
                                const char *ref, sh_consent_sig_fn fn,
                                void *ctx)
{
	uint8_t h[CI_H];
	if (!ci_wanted(sender, ref, SH_ID_LEN,
	               SEINHUIS__SIGNAL_TYPE__SIGNAL_UNSPECIFIED))
		return SH_OK;
	ci_hash(h, sender, ref);
	MDB_cursor *cur;
	MDB_val k = {CI_H, h}, v;
	int rc = mdb_cursor_open(txn, st->consent_idx, &cur);
	if (rc)
		return mdb_err(rc);
	sh_err e = SH_OK;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size > CI_H + 1 && memcmp(k.mv_data, h, CI_H) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kb = k.mv_data;
		/* each entry checked against its record: one that is no
		 * longer there, or not of this sender and reference (only
		 * if the index were damaged), is passed over */
		if (kb[CI_H] == 'i' && k.mv_size == CI_H + 1 + 8 &&
		    v.mv_size == SH_ID_LEN) {
			MDB_val ik = {8, (void *)(kb + CI_H + 1)}, iv;
			Seinhuis__InboxRecord *r =
			    mdb_get(txn, st->inbox, &ik, &iv) == 0
			        ? seinhuis__inbox_record__unpack(
			              NULL, iv.mv_size, iv.mv_data)
			        : NULL;
			int ok = r &&
			         ci_wanted(r->sender, r->consent_ref,
			                   r->message_id.len, r->type) &&
			         strcmp(r->sender, sender) == 0 &&
			         strcasecmp(r->consent_ref, ref) == 0 &&
			         memcmp(r->message_id.data, v.mv_data,
			                SH_ID_LEN) == 0;
			int stop = ok && fn(ctx, be64(kb + CI_H + 1),
			                    r->message_id.data, r->type);
			if (r)
				seinhuis__inbox_record__free_unpacked(r, NULL);
			if (stop)
				break;
		} else if (kb[CI_H] == 'q' && k.mv_size == CI_KEY) {
			Seinhuis__QuarantineRecord *r = NULL;
			if (sh_store_quarantine_find(st, txn, kb + CI_H + 1,
			                             &r) != SH_OK)
				continue;
			char *qref = ci_wanted(r->sender, "-",
			                       r->message_id.len, r->type)
			                 ? q_consent_ref(r)
			                 : NULL;
			int ok = qref && strcmp(r->sender, sender) == 0 &&
			         strcasecmp(qref, ref) == 0;
			int stop =
			    ok && fn(ctx, 0, r->message_id.data, r->type);
			free(qref);
			seinhuis__quarantine_record__free_unpacked(r, NULL);
			if (stop)
				break;
		}
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		e = mdb_err(rc);
	mdb_cursor_close(cur);
	return e;
}

sh_err sh_store_consent_put(sh_store *st, const Seinhuis__ConsentRecord *rec)
{
	return put_by_key(st, st->consent, rec->ref.data, rec->ref.len,
	                  &rec->base);
}

sh_err sh_store_consent_del(sh_store *st, const uint8_t ref[16])
{
	if (!st->turn)
		return SH_ERR_STORE;
	MDB_val k = {16, (void *)ref};
	return mdb_err(jdel(st, st->consent, &k));
}

sh_err sh_store_consent_get(sh_store *st, MDB_txn *txn, const uint8_t ref[16],
                            Seinhuis__ConsentRecord **rec)
{
	MDB_val k = {16, (void *)ref}, v;
	int rc = mdb_get(txn, st->consent, &k, &v);
	if (rc)
		return mdb_err(rc);
	*rec = seinhuis__consent_record__unpack(NULL, v.mv_size, v.mv_data);
	return *rec ? SH_OK : SH_ERR_STORE_CORRUPT;
}

sh_err sh_store_consent_scan(sh_store *st, MDB_txn *txn, sh_consent_fn fn,
                             void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, st->consent, &cur);
	if (rc)
		return mdb_err(rc);
	sh_err e = SH_OK;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Seinhuis__ConsentRecord *r = seinhuis__consent_record__unpack(
		    NULL, v.mv_size, v.mv_data);
		if (!r) {
			e = SH_ERR_STORE_CORRUPT;
			break;
		}
		int stop = fn(ctx, r);
		seinhuis__consent_record__free_unpacked(r, NULL);
		if (stop)
			break;
	}
	mdb_cursor_close(cur);
	return e;
}

/* "sender|ref", the reference in lower case (case 'l'), upper case ('u')
 * or as given ('='): senders before 2026-12-06 sent it as typed, and the
 * revoked table kept it so. */
static int revoked_key(char *key, size_t kl, const char *sender,
                       const char *ref_hex, char how)
{
	int n = snprintf(key, kl, "%s|%s", sender, ref_hex);
	if (n <= 0 || (size_t)n >= kl)
		return -1;
	for (char *r = key + strlen(sender) + 1; how != '=' && *r; r++)
		*r = (char)(how == 'l' ? tolower((unsigned char)*r)
		                       : toupper((unsigned char)*r));
	return n;
}

sh_err sh_store_revoked_add(sh_store *st, const char *sender,
                            const char *ref_hex)
{
	char key[128];
	int n = revoked_key(key, sizeof(key), sender, ref_hex, 'l');
	if (!st->turn || n < 0)
		return SH_ERR_STORE;
	MDB_val k = {(size_t)n, key}, v = {0, ""};
	return mdb_err(jput(st, st->revoked, &k, &v, 0));
}

int sh_store_revoked_has(sh_store *st, MDB_txn *txn, const char *sender,
                         const char *ref_hex)
{
	char key[128];
	for (const char *how = "lu="; *how; how++) {
		int n = revoked_key(key, sizeof(key), sender, ref_hex, *how);
		if (n < 0)
			return 0;
		MDB_val k = {(size_t)n, key}, v;
		if (mdb_get(txn, st->revoked, &k, &v) == 0)
			return 1;
	}
	return 0;
}

sh_err sh_store_revoked_scan(sh_store *st, MDB_txn *txn, const char *sender,
                             size_t max,
                             int (*fn)(void *ctx, const uint8_t ref[16]),
                             void *ctx)
{
	char prefix[SH_PARTNER_MAX + 2];
	int pl = snprintf(prefix, sizeof(prefix), "%s|", sender);
	if (pl <= 0 || (size_t)pl >= sizeof(prefix))
		return SH_OK; /* no such partner id: nothing revoked */
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, st->revoked, &cur);
	if (rc)
		return mdb_err(rc);
	MDB_val k = {(size_t)pl, prefix}, v;
	size_t n = 0;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && n < max && k.mv_size > (size_t)pl &&
	     memcmp(k.mv_data, prefix, (size_t)pl) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char hex[33];
		uint8_t ref[16];
		if (k.mv_size != (size_t)pl + 32)
			continue;
		memcpy(hex, (const char *)k.mv_data + pl, 32);
		hex[32] = 0;
		if (sh_unhex(ref, sizeof(ref), hex) < 0)
			continue;
		n++;
		if (fn(ctx, ref))
			break;
	}
	mdb_cursor_close(cur);
	return SH_OK;
}

int sh_store_seen(sh_store *st, MDB_txn *txn, const uint8_t id[SH_ID_LEN])
{
	MDB_val k = {SH_ID_LEN, (void *)id}, v;
	return mdb_get(txn, st->seen, &k, &v) == 0;
}

/* --------------------------------------------------------- natural keys
 *
 * `natkeys` holds the natural keys in the order they were put: u64
 * sequence (big-endian) -> key (32 bytes) || message id (16). Each put is
 * an append at the table's right edge. Keyed by the key itself (schema 1),
 * every put landed on a random leaf: a cold descent for the look-up before
 * it, and most leaves of the table dirtied and written again at every
 * checkpoint, a cost that grew with the sender's history.
 *
 * What finds a key is an index in memory, built at open from the table:
 * open addressing with linear probing over (tag, sequence) slots, the tag
 * being the key's first 8 bytes (the key is a keyed hash: uniform). A tag
 * only points: every match is read back from the table and compared whole.
 * The index follows the write transaction: a turn's changes to it are
 * logged and undone if the turn is; turns that committed stay in it
 * (also in the transaction that a failed checkpoint rebuilds from the
 * journal). Look-ups through another transaction than the store's write
 * transaction (a reader's) see no key put since that one began, and may
 * miss one deleted since; only the main thread uses the index. */

struct nk_slot {
	uint64_t tag, seq; /* tag NK_EMPTY: never used; NK_GONE: deleted */
};

#define NK_EMPTY 0
#define NK_GONE  1
#define NK_VLEN  (SH_KEY_LEN + SH_ID_LEN)
/* a record's size: the key and id, and a digest of at most
 * SH_NK_DIGEST_MAX bytes (schema 4) */
#define NK_VLEN_OK(n) ((n) >= NK_VLEN && (n) <= NK_VLEN + SH_NK_DIGEST_MAX)

static uint64_t nk_tag(const uint8_t key[SH_KEY_LEN])
{
	uint64_t t;
	memcpy(&t, key, sizeof(t));
	return t < 2 ? t + 2 : t;
}

static void nk_place(struct nk_slot *tab, size_t cap, uint64_t tag,
                     uint64_t seq)
{
	size_t m = cap - 1, i = (size_t)tag & m;
	while (tab[i].tag != NK_EMPTY && tab[i].tag != NK_GONE)
		i = (i + 1) & m;
	tab[i].tag = tag;
	tab[i].seq = seq;
}

static void nk_insert(sh_store *st, uint64_t tag, uint64_t seq)
{
	if ((st->nk_used + 1) * 4 > st->nk_cap * 3) {
		size_t cap = st->nk_cap ? st->nk_cap : 1024;
		while ((st->nk_live + 1) * 2 > cap)
			cap *= 2;
		struct nk_slot *tab = sh_xcalloc(cap, sizeof(*tab));
		for (size_t i = 0; i < st->nk_cap; i++)
			if (st->nk[i].tag > NK_GONE)
				nk_place(tab, cap, st->nk[i].tag,
				         st->nk[i].seq);
		free(st->nk);
		st->nk = tab;
		st->nk_cap = cap;
		st->nk_used = st->nk_live;
	}
	size_t m = st->nk_cap - 1, i = (size_t)tag & m;
	while (st->nk[i].tag > NK_GONE)
		i = (i + 1) & m;
	if (st->nk[i].tag == NK_EMPTY)
		st->nk_used++;
	st->nk[i].tag = tag;
	st->nk[i].seq = seq;
	st->nk_live++;
	if (seq < st->nk_form2)
		st->nk_old++;
	if (seq < st->nk_form3)
		st->nk_pre3++;
}

static void nk_remove(sh_store *st, uint64_t tag, uint64_t seq)
{
	if (!st->nk_cap)
		return;
	size_t m = st->nk_cap - 1;
	for (size_t i = (size_t)tag & m; st->nk[i].tag != NK_EMPTY;
	     i = (i + 1) & m)
		if (st->nk[i].tag == tag && st->nk[i].seq == seq) {
			st->nk[i].tag = NK_GONE;
			st->nk_live--;
			if (seq < st->nk_form2)
				st->nk_old--;
			if (seq < st->nk_form3)
				st->nk_pre3--;
			return;
		}
}

/* A change to the index in this turn: added (undo: remove), or removed
 * (undo: add again). */
struct nk_undo {
	uint64_t tag, seq;
	int added;
};

static void nk_log(sh_store *st, uint64_t tag, uint64_t seq, int added)
{
	if (st->nnku == st->capnku) {
		st->capnku = st->capnku ? st->capnku * 2 : 256;
		st->nku = realloc(st->nku, st->capnku * sizeof(*st->nku));
		if (!st->nku)
			abort();
	}
	st->nku[st->nnku++] = (struct nk_undo){tag, seq, added};
}

static void nk_undo_turn(sh_store *st)
{
	while (st->nnku > 0) {
		struct nk_undo *u = &st->nku[--st->nnku];
		if (u->added)
			nk_remove(st, u->tag, u->seq);
		else
			nk_insert(st, u->tag, u->seq);
	}
	st->txn_nk_next = st->nk_next;
}

/* The sequence of `key` in `natkeys` as txn has it, with its message id
 * and (digest, when not NULL: SH_NK_DIGEST_MAX bytes) the digest put with
 * it, *dlen bytes (0: none). */
static sh_err nk_find_d(sh_store *st, MDB_txn *txn,
                        const uint8_t key[SH_KEY_LEN], uint64_t *seq,
                        uint8_t id[SH_ID_LEN], uint8_t *digest, size_t *dlen)
{
	if (!st->nk_cap)
		return SH_ERR_NOTFOUND;
	uint64_t tag = nk_tag(key);
	size_t m = st->nk_cap - 1;
	for (size_t i = (size_t)tag & m; st->nk[i].tag != NK_EMPTY;
	     i = (i + 1) & m) {
		if (st->nk[i].tag != tag)
			continue;
		uint8_t kb[8];
		u64be(kb, st->nk[i].seq);
		MDB_val k = {8, kb}, v;
		int rc = mdb_get(txn, st->natkeys, &k, &v);
		if (rc == MDB_NOTFOUND)
			continue;
		if (rc)
			return mdb_err(rc);
		if (!NK_VLEN_OK(v.mv_size))
			return SH_ERR_STORE_CORRUPT;
		if (memcmp(v.mv_data, key, SH_KEY_LEN) != 0)
			continue;
		*seq = st->nk[i].seq;
		if (id)
			memcpy(id, (const uint8_t *)v.mv_data + SH_KEY_LEN,
			       SH_ID_LEN);
		if (digest) {
			*dlen = v.mv_size - NK_VLEN;
			memcpy(digest, (const uint8_t *)v.mv_data + NK_VLEN,
			       *dlen);
		}
		return SH_OK;
	}
	return SH_ERR_NOTFOUND;
}

static sh_err nk_find(sh_store *st, MDB_txn *txn, const uint8_t key[SH_KEY_LEN],
                      uint64_t *seq, uint8_t id[SH_ID_LEN])
{
	return nk_find_d(st, txn, key, seq, id, NULL, NULL);
}

/* At open, after the journal's turns: schema 1's `natkey` (key -> id)
 * moved into `natkeys`, then the index built from it. */
static sh_err natkeys_open(sh_store *st, MDB_txn *txn, const char *dir,
                           char *why, size_t wl)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint64_t next = 1;
	int rc = mdb_cursor_open(txn, st->natkeys, &c);
	if (!rc) {
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
		if (rc == 0 && k.mv_size == 8)
			next = be64(k.mv_data) + 1;
		else if (rc == 0)
			rc = MDB_CORRUPTED;
		else if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	mdb_cursor_close(c);
	c = NULL;
	size_t moved = 0;
	if (!rc)
		rc = mdb_cursor_open(txn, st->natkey, &c);
	while (!rc && (rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
		if (k.mv_size != SH_KEY_LEN || v.mv_size != SH_ID_LEN) {
			rc = MDB_CORRUPTED;
			break;
		}
		uint8_t kb[8], vb[NK_VLEN];
		u64be(kb, next++);
		memcpy(vb, k.mv_data, SH_KEY_LEN);
		memcpy(vb + SH_KEY_LEN, v.mv_data, SH_ID_LEN);
		MDB_val nk = {8, kb}, nv = {sizeof(vb), vb};
		rc = mdb_put(txn, st->natkeys, &nk, &nv, MDB_APPEND);
		moved++;
	}
	mdb_cursor_close(c);
	c = NULL;
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (!rc && moved)
		rc = mdb_drop(txn, st->natkey, 0);
	if (!rc) {
		MDB_val sk = {6, "schema"}, sv = {strlen(SCHEMA), SCHEMA};
		rc = mdb_put(txn, st->meta, &sk, &sv, 0);
	}
	/* Where the normalised form began: the keys before it may be of the
	 * old form, which sh_store_natkey_old_live() tells the sender to look
	 * up too. natkey_form2 is that first sequence; natkey_hw the next
	 * sequence after the last key a build writing only the normalised
	 * form put (each turn that puts keys writes it). Keys beyond natkey_hw
	 * were put by an older build (a data directory taken back to one, or
	 * schema 1 keys moved now): then they all count as old. A new store
	 * starts at 1 and never looks up the old form; a store from before
	 * these entries counts all its keys as old until keep_sent removes
	 * them. */
	uint64_t form2 = next, hw = 0;
	int have_form2 = 0, have_hw = 0;
	if (!rc) {
		MDB_val fk = {12, "natkey_form2"}, hk = {9, "natkey_hw"}, fv;
		int r1 = mdb_get(txn, st->meta, &fk, &fv);
		if (r1 == 0 && fv.mv_size == 8) {
			form2 = be64(fv.mv_data);
			have_form2 = 1;
		}
		int r2 = r1 && r1 != MDB_NOTFOUND
		             ? r1
		             : mdb_get(txn, st->meta, &hk, &fv);
		if (r2 == 0 && fv.mv_size == 8) {
			hw = be64(fv.mv_data);
			have_hw = 1;
		}
		if ((r1 == 0 && !have_form2) || (r2 == 0 && !have_hw)) {
			snprintf(why, wl,
			         "%s: the store's entry natkey_form2 or "
			         "natkey_hw has the wrong size. Keep a copy of "
			         "the directory and restore data.mdb from the "
			         "last backup",
			         dir);
			return SH_ERR_STORE_CORRUPT;
		}
		if (r1 && r1 != MDB_NOTFOUND)
			rc = r1;
		else if (r2 && r2 != MDB_NOTFOUND)
			rc = r2;
	}
	if (moved || (have_hw && next > hw))
		form2 = next; /* keys an older build put */
	st->nk_form2 = form2;
	/* Where keys with the resident (form 3) began. A store without the
	 * entry was last written by a build that did not keep it: every key
	 * in it counts as possibly of form 2 until retention removes it. */
	uint64_t form3 = next;
	if (!rc) {
		MDB_val tk = {12, "natkey_form3"}, tv;
		int r3 = mdb_get(txn, st->meta, &tk, &tv);
		if (r3 == 0 && tv.mv_size != 8) {
			snprintf(why, wl,
			         "%s: the store's entry natkey_form3 has the "
			         "wrong size. Keep a copy of the directory and "
			         "restore data.mdb from the last backup",
			         dir);
			return SH_ERR_STORE_CORRUPT;
		}
		if (r3 == 0 && !moved && !(have_hw && next > hw))
			form3 = be64(tv.mv_data);
		else if (r3 != MDB_NOTFOUND && r3 != 0)
			rc = r3;
	}
	st->nk_form3 = form3 < form2 ? form2 : form3;
	if (!rc)
		rc = mdb_cursor_open(txn, st->natkeys, &c);
	while (!rc && (rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
		if (k.mv_size != 8 || !NK_VLEN_OK(v.mv_size)) {
			rc = MDB_CORRUPTED;
			break;
		}
		nk_insert(st, nk_tag(v.mv_data), be64(k.mv_data));
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		rc = 0;
	/* None of an earlier form left: a boundary past the next key comes
	 * down to it, so that a key put after every key was removed (numbered
	 * from 1 again) is not taken for one. It never moves up past a key
	 * that is kept: until 2026-12-07 it moved up to the next key at every
	 * open, so that after a second restart every key this build had put
	 * counted as of the old form, and each signal was hashed in that form
	 * too. A store with such a boundary counts its keys as old until they
	 * are gone, as one from before the entry. */
	if (!rc && st->nk_old == 0 && st->nk_form2 > next)
		st->nk_form2 = next;
	if (!rc && st->nk_pre3 == 0 && st->nk_form3 > next)
		st->nk_form3 = next;
	if (!rc) {
		uint8_t tb[8];
		MDB_val tk = {12, "natkey_form3"}, tv = {8, tb};
		u64be(tb, st->nk_form3);
		rc = mdb_put(txn, st->meta, &tk, &tv, 0);
	}
	if (!rc) {
		uint8_t fb[8];
		MDB_val fk = {12, "natkey_form2"}, fv = {8, fb};
		u64be(fb, st->nk_form2);
		rc = mdb_put(txn, st->meta, &fk, &fv, 0);
	}
	if (!rc) {
		uint8_t hb[8];
		MDB_val hk = {9, "natkey_hw"}, hv = {8, hb};
		u64be(hb, next);
		rc = mdb_put(txn, st->meta, &hk, &hv, 0);
	}
	if (rc) {
		if (rc == MDB_CORRUPTED)
			snprintf(why, wl,
			         "%s: the natural-key table holds a record of "
			         "the wrong size. Keep a copy of the directory "
			         "and restore data.mdb from the last backup",
			         dir);
		else
			snprintf(why, wl,
			         "%s: cannot read or convert the natural-key "
			         "table: %s",
			         dir, mdb_strerror(rc));
		return rc == MDB_CORRUPTED ? SH_ERR_STORE_CORRUPT : mdb_err(rc);
	}
	st->nk_next = st->txn_nk_next = next;
	if (moved)
		sh_info("store: %zu natural keys moved to the natkeys table "
		        "(schema 2)",
		        moved);
	return SH_OK;
}

sh_err sh_store_natkey_get(sh_store *st, MDB_txn *txn,
                           const uint8_t key[SH_KEY_LEN], uint8_t id[SH_ID_LEN])
{
	uint64_t seq;
	return nk_find(st, txn, key, &seq, id);
}

sh_err sh_store_natkey_get2(sh_store *st, MDB_txn *txn,
                            const uint8_t key[SH_KEY_LEN],
                            uint8_t id[SH_ID_LEN],
                            uint8_t digest[SH_NK_DIGEST_MAX], size_t *dlen)
{
	uint64_t seq;
	return nk_find_d(st, txn, key, &seq, id, digest, dlen);
}

int sh_store_natkey_old_live(const sh_store *st)
{
	return st->nk_old > 0;
}

int sh_store_natkey_pre3_live(const sh_store *st)
{
	return st->nk_pre3 > 0;
}

sh_err sh_store_natkey_put(sh_store *st, const uint8_t key[SH_KEY_LEN],
                           const uint8_t id[SH_ID_LEN])
{
	return sh_store_natkey_put2(st, key, id, NULL, 0);
}

sh_err sh_store_natkey_put2(sh_store *st, const uint8_t key[SH_KEY_LEN],
                            const uint8_t id[SH_ID_LEN], const uint8_t *digest,
                            size_t dlen)
{
	if (!st->turn || dlen > SH_NK_DIGEST_MAX)
		return SH_ERR_STORE;
	uint64_t seq;
	uint8_t kb[8], vb[NK_VLEN + SH_NK_DIGEST_MAX];
	sh_err e = nk_find(st, st->txn, key, &seq, NULL);
	if (e != SH_OK && e != SH_ERR_NOTFOUND)
		return e;
	int fresh = e == SH_ERR_NOTFOUND;
	if (fresh)
		seq = st->txn_nk_next;
	u64be(kb, seq);
	memcpy(vb, key, SH_KEY_LEN);
	memcpy(vb + SH_KEY_LEN, id, SH_ID_LEN);
	if (dlen)
		memcpy(vb + NK_VLEN, digest, dlen);
	MDB_val k = {8, kb}, v = {NK_VLEN + dlen, vb};
	int rc = jput(st, st->natkeys, &k, &v, fresh ? MDB_APPEND : 0);
	if (rc)
		return mdb_err(rc);
	if (fresh) {
		st->txn_nk_next++;
		nk_insert(st, nk_tag(key), seq);
		nk_log(st, nk_tag(key), seq, 1);
	}
	return SH_OK;
}

/* Delete `key` from `natkeys`; with `owner`, only while it still names
 * that message (a failed signal's key may have been given to a corrected
 * one since). */
static sh_err natkey_del(sh_store *st, const uint8_t key[SH_KEY_LEN],
                         const uint8_t *owner)
{
	if (!st->turn)
		return SH_ERR_STORE;
	uint64_t seq;
	uint8_t id[SH_ID_LEN];
	sh_err e = nk_find(st, st->txn, key, &seq, id);
	if (e == SH_ERR_NOTFOUND ||
	    (e == SH_OK && owner && memcmp(id, owner, SH_ID_LEN) != 0))
		return SH_OK;
	if (e != SH_OK)
		return e;
	uint8_t kb[8];
	u64be(kb, seq);
	MDB_val k = {8, kb};
	int rc = jdel(st, st->natkeys, &k);
	if (rc)
		return mdb_err(rc);
	nk_remove(st, nk_tag(key), seq);
	nk_log(st, nk_tag(key), seq, 0);
	return SH_OK;
}

sh_err sh_store_natkey_del(sh_store *st, const uint8_t key[SH_KEY_LEN])
{
	return natkey_del(st, key, NULL);
}

double sh_store_usage(sh_store *st)
{
	MDB_envinfo info;
	MDB_stat ms;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t free_pages = 0;
	if (mdb_env_info(st->env, &info) || mdb_env_stat(st->env, &ms) ||
	    mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn))
		return 0.0;
	/* the free list (database 0): each record lists freed page numbers,
	 * its first word the count */
	if (mdb_cursor_open(txn, 0, &cur) == 0) {
		while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0)
			if (v.mv_size >= sizeof(size_t))
				free_pages += *(const size_t *)v.mv_data;
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	double used = (double)(info.me_last_pgno + 1) - (double)free_pages;
	double total = (double)info.me_mapsize / ms.ms_psize;
	return total > 0 ? used / total : 0.0;
}

/* ------------------------------------------------------------ cases */

sh_err sh_store_case_put(sh_store *st, const Seinhuis__CaseRecord *rec)
{
	if (rec->case_key.len != SH_KEY_LEN)
		return SH_ERR_STORE;
	return put_by_key(st, st->cases, rec->case_key.data, rec->case_key.len,
	                  &rec->base);
}

sh_err sh_store_case_get(sh_store *st, MDB_txn *txn,
                         const uint8_t key[SH_KEY_LEN],
                         Seinhuis__CaseRecord **rec)
{
	MDB_val k = {SH_KEY_LEN, (void *)key}, v;
	int rc = mdb_get(txn, st->cases, &k, &v);
	if (rc)
		return mdb_err(rc);
	*rec = seinhuis__case_record__unpack(NULL, v.mv_size, v.mv_data);
	if (!*rec || (*rec)->case_key.len != SH_KEY_LEN) {
		if (*rec)
			seinhuis__case_record__free_unpacked(*rec, NULL);
		*rec = NULL;
		return SH_ERR_STORE_CORRUPT;
	}
	return SH_OK;
}

sh_err sh_store_case_del(sh_store *st, const uint8_t key[SH_KEY_LEN])
{
	if (!st->turn)
		return SH_ERR_STORE;
	MDB_val k = {SH_KEY_LEN, (void *)key};
	return mdb_err(jdel(st, st->cases, &k));
}

sh_err sh_store_case_scan(sh_store *st, MDB_txn *txn, sh_case_fn fn, void *ctx)
{
	return sh_store_case_scan_from(st, txn, NULL, fn, ctx);
}

sh_err sh_store_case_scan_from(sh_store *st, MDB_txn *txn,
                               const uint8_t from[SH_KEY_LEN], sh_case_fn fn,
                               void *ctx)
{
	MDB_cursor *cur;
	MDB_val k = {SH_KEY_LEN, (void *)from}, v;
	int rc = mdb_cursor_open(txn, st->cases, &cur);
	if (rc)
		return mdb_err(rc);
	sh_err e = SH_OK;
	for (rc = mdb_cursor_get(cur, &k, &v, from ? MDB_SET_RANGE : MDB_FIRST);
	     rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Seinhuis__CaseRecord *r =
		    seinhuis__case_record__unpack(NULL, v.mv_size, v.mv_data);
		if (!r || r->case_key.len != SH_KEY_LEN) {
			if (r)
				seinhuis__case_record__free_unpacked(r, NULL);
			e = SH_ERR_STORE_CORRUPT;
			break;
		}
		int stop = fn(ctx, r);
		seinhuis__case_record__free_unpacked(r, NULL);
		if (stop)
			break;
	}
	mdb_cursor_close(cur);
	return e;
}
