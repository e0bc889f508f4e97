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
 *   audit_tamper DATADIR swap A B         exchange two entries' contents
 *
 * and, for the start-up check of the store (fault_corrupt.sh), one
 * change outside the audit log:
 *
 *   audit_tamper DATADIR seen-drop HEXID  remove an inbox signal's entry
 *                                         from the seen index
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
