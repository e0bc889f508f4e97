/*
 * audit_tamper.c - alters a stopped daemon's audit log the way someone
 * with access to the data directory might, so that tests can show that
 * `seinctl audit verify` notices. It opens the LMDB environment directly
 * and changes only the `audit` table (the entries), never the stored tree.
 *
 *   audit_tamper DATADIR count            print the number of entries
 *   audit_tamper DATADIR flip INDEX [OFF] change one byte of an entry (at
 *                                         byte OFF; default: the middle)
 *   audit_tamper DATADIR delete INDEX     remove an entry
 *   audit_tamper DATADIR garble INDEX     an entry made one byte no decoder
 *                                         reads
 *   audit_tamper DATADIR swap A B         exchange two entries' contents
 *
 * and, as someone without the daemon's signing key would who rewrites the
 * log consistently (the stored tree, the right edge, every head and the
 * audit-head file beside the store), so that only the key shows it:
 *
 *   audit_tamper DATADIR resign INDEX     give entry INDEX another detail,
 *                                         recompute the tree, sign every
 *                                         head again with a fresh key
 *
 * and, for the start-up check of the store (fault_corrupt.sh), one
 * change outside the audit log:
 *
 *   audit_tamper DATADIR seen-drop HEXID  remove an inbox signal's entry
 *                                         from the seen index
 *   audit_tamper DATADIR meta-time KEY MS set a time the store keeps in its
 *                                         meta table (audit_explained)
 *   audit_tamper DATADIR state-del KEY    remove a value the audit log
 *                                         keeps beside the tree (its
 *                                         state table: rolled-back)
 *
 * and, for the order of an inbox listing (it_meldcode.sh), the acute mark
 * an inbox record keeps:
 *
 *   audit_tamper DATADIR inbox-mark all|HEXID unnoted|yes|not
 *                                         unnoted: as a version before the
 *                                         mark wrote its records
 *   audit_tamper DATADIR inbox-marks      each record's id and mark
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

static void die(const char *what, int rc)
{
	fprintf(stderr, "audit_tamper: %s: %s\n", what,
	        rc ? mdb_strerror(rc) : "usage");
	exit(2);
}

static void key_of(unsigned char k[8], unsigned long long v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		k[i] = (unsigned char)v;
}

struct resign {
	MDB_txn *txn;
	MDB_dbi nodes;
	int rc;
};

/* A complete subtree: stored from level 4 on, as audit.c keeps them. */
static void put_node(void *ctx, unsigned level, uint64_t index,
                     const uint8_t hash[32])
{
	struct resign *c = ctx;
	unsigned char k[9];
	if (level < 4 || c->rc)
		return;
	k[0] = (unsigned char)level;
	key_of(k + 1, index);
	MDB_val kv = {9, k}, v = {32, (void *)hash};
	c->rc = mdb_put(c->txn, c->nodes, &kv, &v, 0);
}

static void resign(MDB_env *env, const char *datadir, unsigned long long idx)
{
	MDB_txn *txn;
	MDB_dbi ent, nodes, heads, state;
	MDB_cursor *cur, *hcur;
	MDB_val k, v, hk, hv;
	unsigned char kb[8];
	uint8_t pub[32], sec[32], leaf[32], root[32];
	sh_merkle_frontier f = {0};
	int rc, hrc;
	if (sh_ed25519_keygen(pub, sec) != SH_OK)
		die("keygen", 0);
	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, "audit", 0, &ent)) ||
	    (rc = mdb_dbi_open(txn, "audit_nodes", 0, &nodes)) ||
	    (rc = mdb_dbi_open(txn, "audit_heads", 0, &heads)) ||
	    (rc = mdb_dbi_open(txn, "audit_state", 0, &state)))
		die("audit tables", rc);
	key_of(kb, idx);
	k.mv_size = 8, k.mv_data = kb;
	if ((rc = mdb_get(txn, ent, &k, &v)))
		die("entry", rc);
	Seinhuis__AuditEntry *e =
	    seinhuis__audit_entry__unpack(NULL, v.mv_size, v.mv_data);
	if (!e)
		die("the entry does not decode", 0);
	if (e->detail != protobuf_c_empty_string)
		free(e->detail);
	e->detail = strdup("rewritten"); /* free_unpacked frees it */
	MDB_val nv = {seinhuis__audit_entry__get_packed_size(e), NULL};
	nv.mv_data = malloc(nv.mv_size);
	seinhuis__audit_entry__pack(e, nv.mv_data);
	seinhuis__audit_entry__free_unpacked(e, NULL);
	if ((rc = mdb_put(txn, ent, &k, &nv, 0)))
		die("put", rc);
	free(nv.mv_data);
	struct resign c = {txn, nodes, 0};
	uint64_t last_size = 0;
	int64_t last_ms = 0;
	uint8_t last_root[32];
	if ((rc = mdb_cursor_open(txn, ent, &cur)) ||
	    (rc = mdb_cursor_open(txn, heads, &hcur)))
		die("cursor", rc);
	hrc = mdb_cursor_get(hcur, &hk, &hv, MDB_FIRST);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		sh_merkle_leaf(leaf, v.mv_data, v.mv_size);
		sh_merkle_push(&f, leaf, put_node, &c);
		if (c.rc)
			die("node", c.rc);
		key_of(kb, f.size);
		if (hrc != 0 || memcmp(hk.mv_data, kb, 8) != 0)
			continue;
		Seinhuis__SignedTreeHead *h =
		    seinhuis__signed_tree_head__unpack(NULL, hv.mv_size,
		                                       hv.mv_data);
		if (!h || h->root_hash.len != 32)
			die("a head does not decode", 0);
		uint8_t sig[64];
		/* the head's own key and signature, given back before it is
		 * freed */
		ProtobufCBinaryData own_key = h->sign_key,
		                    own_sig = h->signature;
		sh_merkle_root(&f, root);
		memcpy(h->root_hash.data, root, 32);
		h->sign_key.data = pub, h->sign_key.len = 32;
		sh_buf tbs = {0};
		sh_tree_head_tbs(h, &tbs);
		if (sh_ed25519_sign(sig, sec, tbs.data, tbs.len) != SH_OK)
			die("sign", 0);
		sh_buf_free(&tbs);
		h->signature.data = sig, h->signature.len = 64;
		MDB_val hn = {seinhuis__signed_tree_head__get_packed_size(h),
		              NULL};
		hn.mv_data = malloc(hn.mv_size);
		seinhuis__signed_tree_head__pack(h, hn.mv_data);
		last_ms = h->timestamp_ms;
		memcpy(last_root, root, 32);
		h->sign_key = own_key, h->signature = own_sig;
		seinhuis__signed_tree_head__free_unpacked(h, NULL);
		MDB_val hkey = {8, kb};
		if ((rc = mdb_put(txn, heads, &hkey, &hn, 0)))
			die("put head", rc);
		free(hn.mv_data);
		last_size = f.size;
		/* the cursor is at the head written: on to the next */
		mdb_cursor_close(hcur);
		if ((rc = mdb_cursor_open(txn, heads, &hcur)))
			die("cursor", rc);
		hk.mv_size = 8, hk.mv_data = kb;
		hrc = mdb_cursor_get(hcur, &hk, &hv, MDB_SET_RANGE);
		if (hrc == 0)
			hrc = mdb_cursor_get(hcur, &hk, &hv, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	mdb_cursor_close(hcur);
	/* the right edge below level 4, smallest first, after the size */
	uint8_t edge[8 + 4 * 32];
	size_t n = 8;
	key_of(edge, f.size);
	for (unsigned l = 0; l < 4; l++)
		if ((f.size >> l) & 1) {
			memcpy(edge + n, f.hash[l], 32);
			n += 32;
		}
	MDB_val ek = {4, "edge"}, ev = {n, edge};
	if ((rc = mdb_put(txn, state, &ek, &ev, 0)) ||
	    (rc = mdb_txn_commit(txn)))
		die("commit", rc);
	/* the last head, in the file beside the store */
	if (last_size) {
		char path[4200], hex[65];
		sh_hex(hex, last_root, 32);
		snprintf(path, sizeof(path), "%s/audit-head", datadir);
		FILE *fh = fopen(path, "w");
		if (!fh ||
		    fprintf(fh, "%llu %s %lld\n", (unsigned long long)last_size,
		            hex, (long long)last_ms) < 0 ||
		    fclose(fh) != 0)
			die("audit-head", 0);
	}
	sh_wipe(sec, sizeof(sec));
}

/* Give every inbox record (all), or the one of message id HEXID, the
 * acute mark `mark`; prints how many it changed. Without a mark, print
 * each record's id and mark instead. */
static void inbox_mark(MDB_env *env, const char *which, const char *mark)
{
	Seinhuis__AcuteMark m =
	    !mark                      ? SEINHUIS__ACUTE_MARK__ACUTE_UNNOTED
	    : strcmp(mark, "yes") == 0 ? SEINHUIS__ACUTE_MARK__ACUTE_YES
	    : strcmp(mark, "not") == 0 ? SEINHUIS__ACUTE_MARK__ACUTE_NOT
	                               : SEINHUIS__ACUTE_MARK__ACUTE_UNNOTED;
	if (mark && m == SEINHUIS__ACUTE_MARK__ACUTE_UNNOTED &&
	    strcmp(mark, "unnoted") != 0)
		die("inbox-mark: the mark is unnoted, yes or not", 0);
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, n = 0;
	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, "inbox", 0, &dbi)) ||
	    (rc = mdb_cursor_open(txn, dbi, &cur)))
		die("inbox table", rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Seinhuis__InboxRecord *r =
		    seinhuis__inbox_record__unpack(NULL, v.mv_size, v.mv_data);
		if (!r)
			die("an inbox record does not decode", 0);
		char hex[2 * SH_ID_LEN + 1] = "";
		if (r->message_id.len == SH_ID_LEN)
			sh_hex(hex, r->message_id.data, SH_ID_LEN);
		if (!mark) {
			static const char *names[] = {"unnoted", "not", "yes"};
			printf("%s %s\n", hex,
			       (unsigned)r->acute < 3 ? names[r->acute] : "?");
		} else if (strcmp(which, "all") == 0 ||
		           strcmp(which, hex) == 0) {
			r->acute = m;
			size_t len = seinhuis__inbox_record__get_packed_size(r);
			uint8_t *b = malloc(len ? len : 1);
			seinhuis__inbox_record__pack(r, b);
			/* the key is copied: a put that resizes the value
			 * moves what the cursor's key points to */
			unsigned char kb[8];
			if (k.mv_size != sizeof(kb))
				die("an inbox key is not 8 bytes", 0);
			memcpy(kb, k.mv_data, sizeof(kb));
			MDB_val kc = {sizeof(kb), kb}, nv = {len, b};
			if ((rc = mdb_put(txn, dbi, &kc, &nv, 0)))
				die("put", rc);
			free(b);
			n++;
		}
		seinhuis__inbox_record__free_unpacked(r, NULL);
	}
	mdb_cursor_close(cur);
	if ((rc = mdb_txn_commit(txn)))
		die("commit", rc);
	if (mark)
		printf("%d\n", n);
}

int main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;
	if (argc < 3)
		die("audit_tamper DATADIR count|flip|delete|swap ...", 0);
	if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 16)) ||
	    (rc = mdb_env_set_mapsize(env, 256u << 20)) ||
	    (rc = mdb_env_open(env, argv[1], 0, 0600)))
		die("open", rc);
	const char *mode = argv[2];
	if (strcmp(mode, "resign") == 0) {
		if (argc < 4)
			die("missing index", 0);
		resign(env, argv[1], strtoull(argv[3], NULL, 10));
		mdb_env_close(env);
		printf("resign done\n");
		return 0;
	}
	if (strcmp(mode, "meta-time") == 0) {
		unsigned char b[8];
		if (argc < 5)
			die("meta-time needs a key and a time", 0);
		key_of(b, strtoull(argv[4], NULL, 10));
		MDB_val k = {strlen(argv[3]), argv[3]}, v = {8, b};
		if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
		    (rc = mdb_dbi_open(txn, "meta", 0, &dbi)) ||
		    (rc = mdb_put(txn, dbi, &k, &v, 0)) ||
		    (rc = mdb_txn_commit(txn)))
			die("meta-time", rc);
		mdb_env_close(env);
		return 0;
	}
	if (strcmp(mode, "state-del") == 0) {
		if (argc < 4)
			die("state-del needs a key", 0);
		MDB_val k = {strlen(argv[3]), argv[3]};
		if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
		    (rc = mdb_dbi_open(txn, "audit_state", 0, &dbi)) ||
		    (rc = mdb_del(txn, dbi, &k, NULL)) ||
		    (rc = mdb_txn_commit(txn)))
			die("state-del", rc);
		mdb_env_close(env);
		return 0;
	}
	if (strcmp(mode, "inbox-mark") == 0) {
		if (argc < 5)
			die("inbox-mark needs all or an id, and a mark", 0);
		inbox_mark(env, argv[3], argv[4]);
		mdb_env_close(env);
		printf("inbox-mark done\n");
		return 0;
	}
	if (strcmp(mode, "inbox-marks") == 0) {
		inbox_mark(env, "", NULL);
		mdb_env_close(env);
		return 0;
	}
	if (strcmp(mode, "seen-drop") == 0) {
		unsigned char id[16];
		if (argc < 4 || strlen(argv[3]) != 32)
			die("seen-drop needs a 32-digit hex id", 0);
		for (int i = 0; i < 16; i++) {
			unsigned int b;
			if (sscanf(argv[3] + 2 * i, "%2x", &b) != 1)
				die("seen-drop needs a 32-digit hex id", 0);
			id[i] = (unsigned char)b;
		}
		MDB_val k = {16, id};
		if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
		    (rc = mdb_dbi_open(txn, "seen", 0, &dbi)) ||
		    (rc = mdb_del(txn, dbi, &k, NULL)) ||
		    (rc = mdb_txn_commit(txn)))
			die("seen-drop", rc);
		mdb_env_close(env);
		return 0;
	}
	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, "audit", 0, &dbi)))
		die("audit table", rc);
	if (strcmp(mode, "count") == 0) {
		MDB_stat st;
		mdb_stat(txn, dbi, &st);
		printf("%zu\n", st.ms_entries);
		mdb_txn_abort(txn);
		mdb_env_close(env);
		return 0;
	}
	if (argc < 4)
		die("missing index", 0);
	unsigned char ka[8], kb[8];
	key_of(ka, strtoull(argv[3], NULL, 10));
	MDB_val k = {8, ka}, v;
	if ((rc = mdb_get(txn, dbi, &k, &v)))
		die("entry", rc);
	if (strcmp(mode, "flip") == 0) {
		unsigned char *copy = malloc(v.mv_size);
		memcpy(copy, v.mv_data, v.mv_size);
		size_t off =
		    argc > 4 ? strtoull(argv[4], NULL, 10) : v.mv_size / 2;
		if (off >= v.mv_size)
			die("offset beyond the entry", 0);
		copy[off] ^= 0x01;
		MDB_val nv = {v.mv_size, copy};
		if ((rc = mdb_put(txn, dbi, &k, &nv, 0)))
			die("put", rc);
		free(copy);
	} else if (strcmp(mode, "garble") == 0) {
		/* one byte that no decoder reads: a varint never ended */
		MDB_val nv = {1, "\xff"};
		if ((rc = mdb_put(txn, dbi, &k, &nv, 0)))
			die("put", rc);
	} else if (strcmp(mode, "delete") == 0) {
		if ((rc = mdb_del(txn, dbi, &k, NULL)))
			die("delete", rc);
	} else if (strcmp(mode, "swap") == 0 && argc == 5) {
		key_of(kb, strtoull(argv[4], NULL, 10));
		MDB_val k2 = {8, kb}, v2;
		if ((rc = mdb_get(txn, dbi, &k2, &v2)))
			die("second entry", rc);
		MDB_val a = {v.mv_size, malloc(v.mv_size)};
		MDB_val b = {v2.mv_size, malloc(v2.mv_size)};
		memcpy(a.mv_data, v.mv_data, v.mv_size);
		memcpy(b.mv_data, v2.mv_data, v2.mv_size);
		if ((rc = mdb_put(txn, dbi, &k, &b, 0)) ||
		    (rc = mdb_put(txn, dbi, &k2, &a, 0)))
			die("put", rc);
		free(a.mv_data);
		free(b.mv_data);
	} else {
		die("mode", 0);
	}
	if ((rc = mdb_txn_commit(txn)))
		die("commit", rc);
	mdb_env_close(env);
	printf("%s done\n", mode);
	return 0;
}
