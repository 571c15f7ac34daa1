/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file ks_internal.h
 * What the key-storage modules share: the per-process environment of a
 * store (ks_lmdb.c), the record codec (keystore.c) and the cache (ks_cache.c).
 */
#ifndef KS_INTERNAL_H
#define KS_INTERNAL_H

#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <sys/types.h>

#include "keystore.h"

/** Format version in the header record; records carry their own. */
#define KS_FORMAT_VERSION 1u
#define KS_RECORD_VERSION 1u

struct ks_cache;
struct ks_kept;

/** One open store in this process. */
struct ks_env {
    MDB_env *env;
    MDB_dbi recs; /**< "records": label -> record */
    MDB_dbi meta; /**< "meta": header, re-encipher cursor */
    pid_t pid;    /**< process that opened it: a forked child reopens */
    enum ks_store store;
    /* Held shared by every transaction, exclusively to change the map size
     * (LMDB allows mdb_env_set_mapsize only with no transaction active). */
    pthread_rwlock_t resize;
    unsigned commits; /**< for the periodic stale-reader check */
    /* Threads' kept read transactions on this environment (ks_lmdb.c, under
     * its kept_lock): reset between reads, renewed for the next one. */
    struct ks_kept *kept;
    unsigned kept_count;
    struct ks_cache *cache;
    char path[PATH_MAX];
};

/**
 * Logical outcomes a transaction body returns next to LMDB's codes: they
 * live above LMDB's range (MDB_LAST_ERRCODE is -30780, errno values > 0).
 */
#define KS_BODY(e) (100000 + (int)(e))

/** The environment of store @p s for this process, opened on first use. */
ks_err ks_env_get(enum ks_store s, struct ks_env **out);
/** Like ks_env_get, creating the file (CSNBKSI). */
ks_err ks_env_create(enum ks_store s, struct ks_env **out);

typedef int (*ks_txn_body)(struct ks_env *e, MDB_txn *txn, void *arg);

/**
 * Run @p body in a write transaction and commit, growing the map and
 * retrying on MDB_MAP_FULL, refreshing it on MDB_MAP_RESIZED.
 * @param[out] txnid the committed transaction's id (may be NULL).
 */
ks_err ks_run_write(struct ks_env *e, ks_txn_body body, void *arg, uint64_t *txnid);
/**
 * Run @p body in a read transaction. @param[out] txnid its snapshot id.
 * The transaction is the calling thread's kept one when it has one (renewed
 * here, reset after @p body: between reads it holds a reader slot but pins
 * no snapshot), else a fresh one.
 */
ks_err ks_run_read(struct ks_env *e, ks_txn_body body, void *arg, uint64_t *txnid);
/** The id of the last committed transaction of the store (no transaction). */
uint64_t ks_last_txnid(struct ks_env *e);

/** The ONE mapping of LMDB / errno / body codes to ks_err. */
ks_err ks_map_rc(int rc);

/* ---- record codec (keystore.c) ----------------------------------------- */
#define KS_REC_HDR 64 /**< fixed part before the token */
/** Encode @p rec into @p out (KS_REC_HDR + token_len bytes). */
size_t ks_record_encode(const struct ks_record *rec, uint8_t *out);
/** Decode a stored value; false when its structure or checksum is bad. */
bool ks_record_decode(const uint8_t label[KS_LABEL_LEN], const uint8_t *val, size_t len, struct ks_record *rec);

/* ---- cache (ks_cache.c) ------------------------------------------------ */
struct ks_cache *ks_cache_new(enum ks_store s);
void ks_cache_free(struct ks_cache *c);
enum ks_cache_mode ks_cache_mode(void);
/**
 * Look @p label up: true and the token copied when the entry may be used
 * (static mode: any entry; revalidate: only if @p last_txnid equals the
 * id the entry was read at).
 */
bool ks_cache_get(struct ks_cache *c, const uint8_t label[KS_LABEL_LEN], uint64_t last_txnid, uint8_t *buf,
                  size_t cap, size_t *len, ks_err *err);
/** Remember a token read or written at transaction @p txnid. */
void ks_cache_put(struct ks_cache *c, const uint8_t label[KS_LABEL_LEN], const uint8_t *token, size_t len,
                  uint64_t txnid);
/** Forget one label / everything. */
void ks_cache_drop(struct ks_cache *c, const uint8_t label[KS_LABEL_LEN]);
void ks_cache_clear(struct ks_cache *c);
void ks_cache_get_stats(struct ks_cache *c, struct ks_cache_stats *out);

#endif
