/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LMDB environments of the three stores: one per store file per process,
 * opened lazily, reopened in a forked child, map grown on demand, stale
 * readers cleared (reliability-targets §3.7).  Error mapping lives here.
 *
 * Reads run in a per-thread kept read transaction (docs/keystore.md,
 * "Read transactions"): mdb_txn_renew before the read and mdb_txn_reset
 * after it, instead of mdb_txn_begin/abort, which take LMDB's reader-table
 * mutex and scan the table for a free slot on every read.  A reset
 * transaction keeps its reader slot (MDB_NOTLS: the slot belongs to the
 * transaction, not the thread) but pins no snapshot, so writers never wait
 * for it and the file never grows because of it.  A process killed while
 * holding one leaves a slot with its dead pid, which mdb_reader_check clears
 * like any stale reader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_internal.h"

#define KS_MAXREADERS 1024
#define KS_DEFAULT_MAP (UINT64_C(1) << 30) /* 1 GiB of address space; the file grows as written */
#define KS_READER_CHECK_EVERY 1000
#define KS_MAX_RETRIES 64
/* Kept read transactions per store per process: each holds one of the
 * KS_MAXREADERS slots shared by every process, so threads past this many
 * use a transaction of their own per read instead. */
#define KS_KEPT_MAX 32

static const char *const path_var[KS_STORE_COUNT] = {"CSUDESDS", "CSUAESDS", "CSUPKADS"};
static const char *const path_default[KS_STORE_COUNT] = {"/opt/IBM/CCA/keys/des.key", "/opt/IBM/CCA/keys/aes.key",
                                                         "/opt/IBM/CCA/keys/pka.key"};

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ks_env *envs[KS_STORE_COUNT]; /* written under open_lock, read with acquire */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
/* This process's id without a getpid() system call per read: set once and
 * again in a forked child (pthread_atfork), which must not use the parent's
 * environments. */
static pid_t self_pid;

/* One thread's kept read transaction on one environment. */
struct ks_kept {
    struct ks_kept *next; /* in env->kept */
    struct ks_env *env;   /* NULL once that environment is closed: txn went with it */
    MDB_txn *txn;         /* NULL until the first read */
    bool busy;            /* a read is running in it (a nested read gets its own) */
};
struct kept_set {
    struct ks_kept *k[KS_STORE_COUNT];
};
/* Guards every env->kept list and ks_kept.env; taken only to create, drop or
 * close, never per read. */
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t kept_key; /* thread exit: release the thread's kept transactions */
static __thread struct kept_set *my_kept;

/* A fork while another thread opens a store must not leave a lock held in the child. */
static void fork_prepare(void)
{
    pthread_mutex_lock(&open_lock);
    pthread_mutex_lock(&kept_lock);
}
static void fork_parent(void)
{
    pthread_mutex_unlock(&kept_lock);
    pthread_mutex_unlock(&open_lock);
}
static void fork_child(void)
{
    self_pid = getpid();
    fork_parent();
}
static void kept_thread_exit(void *p);
static void install_atfork(void)
{
    self_pid = getpid();
    pthread_key_create(&kept_key, kept_thread_exit);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

ks_err ks_map_rc(int rc)
{
    if (rc == 0)
        return KS_OK;
    if (rc >= KS_BODY(0) && rc < KS_BODY(KS_ERR_COUNT_))
        return (ks_err)(rc - KS_BODY(0));
    switch (rc) {
    case MDB_NOTFOUND: return KS_NOT_FOUND;
    case MDB_KEYEXIST: return KS_EXISTS;
    case ENOMEM: return KS_NOMEM;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
        return KS_IO; /* a damaged file is an environment problem */
    case ENOENT: return KS_NOT_INIT;
    case MDB_BAD_VALSIZE: return KS_LENGTH;
    default: return KS_IO;
    }
}

ks_err ks_store_path(enum ks_store s, char *buf, size_t cap)
{
    if ((unsigned)s >= KS_STORE_COUNT)
        return KS_UNSET;
    const char *v = getenv(path_var[s]);
    const char *p = (v && *v) ? v : path_default[s];
    size_t n = strlen(p);
    if (n + sizeof("-lock") > cap || n + sizeof("-lock") > PATH_MAX)
        return KS_UNSET;
    memcpy(buf, p, n + 1);
    return KS_OK;
}

/*
 * Detach every thread's kept transaction from @p e; with @p close_env abort
 * them (they are reset: no thread is reading while a store is closed).  In a
 * forked child they are the parent's and are left alone.
 */
static void kept_detach_all(struct ks_env *e, bool close_env)
{
    pthread_mutex_lock(&kept_lock);
    for (struct ks_kept *k = e->kept; k; k = k->next) {
        if (close_env && k->txn)
            mdb_txn_abort(k->txn);
        k->txn = NULL;
        k->env = NULL; /* the owning thread frees k on its next read or at exit */
    }
    e->kept = NULL;
    e->kept_count = 0;
    pthread_mutex_unlock(&kept_lock);
}

static void env_free(struct ks_env *e, bool close_env)
{
    if (!e)
        return;
    kept_detach_all(e, close_env);
    if (close_env && e->env)
        mdb_env_close(e->env);
    ks_cache_free(e->cache);
    pthread_rwlock_destroy(&e->resize);
    free(e);
}

static uint64_t initial_mapsize(void)
{
    const char *v = getenv("CSUKSMAPSIZE"); /* bytes; for tests of map growth */
    char *end = NULL;
    unsigned long long n = v ? strtoull(v, &end, 10) : 0;
    return (v && end && *end == '\0' && n >= 65536) ? (uint64_t)n : KS_DEFAULT_MAP;
}

/* Open the LMDB environment and its two databases. */
static int env_open(struct ks_env *e, bool create)
{
    int rc = mdb_env_create(&e->env);
    if (rc)
        return rc;
    mdb_env_set_maxreaders(e->env, KS_MAXREADERS);
    mdb_env_set_maxdbs(e->env, 2);
    mdb_env_set_mapsize(e->env, (size_t)initial_mapsize());
    for (int attempt = 0;; attempt++) {
        rc = mdb_env_open(e->env, e->path, MDB_NOSUBDIR | MDB_NOTLS, 0660);
        if (rc != EAGAIN && rc != EINTR && rc != EBUSY)
            break;
        if (attempt == 20)
            return rc;
        usleep(1000u << (attempt < 6 ? attempt : 6)); /* transient: lock file being created */
    }
    if (rc)
        return rc;
    int dead = 0;
    mdb_reader_check(e->env, &dead);
    MDB_txn *t;
    rc = mdb_txn_begin(e->env, NULL, create ? 0 : MDB_RDONLY, &t);
    if (rc == MDB_MAP_RESIZED) {
        mdb_env_set_mapsize(e->env, 0);
        rc = mdb_txn_begin(e->env, NULL, create ? 0 : MDB_RDONLY, &t);
    }
    if (rc)
        return rc;
    unsigned flags = create ? MDB_CREATE : 0;
    rc = mdb_dbi_open(t, "records", flags, &e->recs);
    if (!rc)
        rc = mdb_dbi_open(t, "meta", flags, &e->meta);
    if (rc) {
        mdb_txn_abort(t);
        return rc == MDB_NOTFOUND ? KS_BODY(KS_NOT_INIT) : rc;
    }
    return mdb_txn_commit(t); /* also for a read txn: an abort would close the handles */
}

static ks_err env_open_locked(enum ks_store s, bool create, struct ks_env **out);

/* The store's environment when it is open for this process and its variable
 * still names the same file: no lock, no system call (every read comes here). */
static struct ks_env *env_current(enum ks_store s)
{
    struct ks_env *e = __atomic_load_n(&envs[s], __ATOMIC_ACQUIRE);
    if (!e || e->pid != self_pid)
        return NULL;
    const char *v = getenv(path_var[s]);
    return strcmp(e->path, (v && *v) ? v : path_default[s]) == 0 ? e : NULL;
}

static ks_err env_get(enum ks_store s, bool create, struct ks_env **out)
{
    if ((unsigned)s >= KS_STORE_COUNT)
        return KS_UNSET;
    pthread_once(&atfork_once, install_atfork);
    if ((*out = env_current(s)) != NULL)
        return KS_OK;
    pthread_mutex_lock(&open_lock);
    ks_err err = env_open_locked(s, create, out);
    pthread_mutex_unlock(&open_lock);
    return err;
}

static ks_err env_open_locked(enum ks_store s, bool create, struct ks_env **out)
{
    char path[PATH_MAX];
    ks_err err = ks_store_path(s, path, sizeof(path));
    if (err)
        return err;
    struct ks_env *e = envs[s];
    if (e && (e->pid != self_pid || strcmp(e->path, path) != 0)) {
        /* A forked child must not touch its parent's environment (LMDB): leave it be.
         * A changed variable (tests, tools) closes the old one. */
        __atomic_store_n(&envs[s], NULL, __ATOMIC_RELEASE);
        env_free(e, e->pid == self_pid);
        e = NULL;
    }
    if (!e) {
        struct stat st;
        if (!create && stat(path, &st) != 0)
            return getenv(path_var[s]) ? KS_NOT_INIT : KS_UNSET;
        e = calloc(1, sizeof(*e));
        if (!e)
            return KS_NOMEM;
        pthread_rwlock_init(&e->resize, NULL);
        e->pid = self_pid;
        e->store = s;
        memcpy(e->path, path, strlen(path) + 1);
        e->cache = ks_cache_new(s);
        int rc = env_open(e, create);
        if (rc) {
            env_free(e, true);
            return ks_map_rc(rc);
        }
        __atomic_store_n(&envs[s], e, __ATOMIC_RELEASE);
    }
    *out = e;
    return KS_OK;
}

ks_err ks_env_get(enum ks_store s, struct ks_env **out) { return env_get(s, false, out); }
ks_err ks_env_create(enum ks_store s, struct ks_env **out) { return env_get(s, true, out); }

void ks_close_all(void)
{
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&open_lock);
    for (int s = 0; s < KS_STORE_COUNT; s++) {
        struct ks_env *e = envs[s];
        __atomic_store_n(&envs[s], NULL, __ATOMIC_RELEASE);
        if (e)
            env_free(e, e->pid == self_pid);
    }
    pthread_mutex_unlock(&open_lock);
}

/* Grow the map (factor 2) or adopt another process's size (new_size 0), with no txn active. */
static void resize_map(struct ks_env *e, bool grow)
{
    pthread_rwlock_wrlock(&e->resize);
    MDB_envinfo info;
    mdb_env_info(e->env, &info);
    mdb_env_set_mapsize(e->env, grow ? info.me_mapsize * 2 : 0);
    pthread_rwlock_unlock(&e->resize);
}

/* Begin a transaction with e->resize held shared; handles resize and reader exhaustion. */
static int txn_begin(struct ks_env *e, unsigned flags, MDB_txn **t)
{
    for (int attempt = 0;; attempt++) {
        pthread_rwlock_rdlock(&e->resize);
        int rc = mdb_txn_begin(e->env, NULL, flags, t);
        if (rc == 0)
            return 0;
        pthread_rwlock_unlock(&e->resize);
        if (attempt >= KS_MAX_RETRIES)
            return rc;
        if (rc == MDB_MAP_RESIZED) {
            resize_map(e, false);
        } else if (rc == MDB_READERS_FULL) {
            int dead = 0;
            mdb_reader_check(e->env, &dead);
            if (dead == 0)
                usleep(1000);
        } else {
            return rc;
        }
    }
}

ks_err ks_run_write(struct ks_env *e, ks_txn_body body, void *arg, uint64_t *txnid)
{
    for (int attempt = 0;; attempt++) {
        MDB_txn *t;
        int rc = txn_begin(e, 0, &t);
        if (rc)
            return ks_map_rc(rc);
        size_t id = mdb_txn_id(t);
        rc = body(e, t, arg);
        if (rc == 0)
            rc = mdb_txn_commit(t);
        else
            mdb_txn_abort(t);
        pthread_rwlock_unlock(&e->resize);
        if (rc == MDB_MAP_FULL && attempt < KS_MAX_RETRIES) {
            resize_map(e, true);
            continue;
        }
        if (rc == MDB_MAP_RESIZED && attempt < KS_MAX_RETRIES) {
            resize_map(e, false);
            continue;
        }
        if (rc == 0) {
            if (txnid)
                *txnid = id;
            if (__atomic_add_fetch(&e->commits, 1, __ATOMIC_RELAXED) % KS_READER_CHECK_EVERY == 0) {
                int dead = 0;
                mdb_reader_check(e->env, &dead);
            }
        }
        return ks_map_rc(rc);
    }
}

/* ---- kept read transactions ---------------------------------------------- */

static void kept_unlink(struct ks_kept *k)
{
    struct ks_env *e = k->env;
    for (struct ks_kept **p = &e->kept; *p; p = &(*p)->next) {
        if (*p == k) {
            *p = k->next;
            e->kept_count--;
            return;
        }
    }
}

/* Thread exit: give back this thread's reader slots. */
static void kept_thread_exit(void *p)
{
    struct kept_set *set = p;
    pthread_mutex_lock(&kept_lock);
    for (int s = 0; s < KS_STORE_COUNT; s++) {
        struct ks_kept *k = set->k[s];
        if (k && k->env) {
            if (k->txn && k->env->pid == self_pid)
                mdb_txn_abort(k->txn);
            kept_unlink(k);
        }
        free(k);
    }
    pthread_mutex_unlock(&kept_lock);
    free(set);
}

/* This thread's kept transaction holder for @p e, created on first use;
 * NULL when the process already keeps KS_KEPT_MAX or it is in use. */
static struct ks_kept *kept_get(struct ks_env *e)
{
    struct kept_set *set = my_kept;
    if (!set) {
        if (!(set = calloc(1, sizeof(*set))))
            return NULL;
        if (pthread_setspecific(kept_key, set) != 0) {
            free(set);
            return NULL;
        }
        my_kept = set;
    }
    struct ks_kept *k = set->k[e->store];
    if (k && k->env == e)
        return k->busy ? NULL : k;
    free(k); /* detached: its environment was closed (or was a forked parent's) */
    k = set->k[e->store] = NULL;
    pthread_mutex_lock(&kept_lock);
    if (e->kept_count < KS_KEPT_MAX && (k = calloc(1, sizeof(*k))) != NULL) {
        k->env = e;
        k->next = e->kept;
        e->kept = k;
        e->kept_count++;
        set->k[e->store] = k;
    }
    pthread_mutex_unlock(&kept_lock);
    return k;
}

/* Make @p k's transaction current, with e->resize held shared. */
static int kept_renew(struct ks_env *e, struct ks_kept *k)
{
    for (int attempt = 0; k->txn; attempt++) {
        pthread_rwlock_rdlock(&e->resize);
        int rc = mdb_txn_renew(k->txn);
        if (rc == 0)
            return 0;
        pthread_rwlock_unlock(&e->resize);
        if (rc == MDB_MAP_RESIZED && attempt < KS_MAX_RETRIES) {
            resize_map(e, false); /* the failed renew left it reset, still renewable */
            continue;
        }
        /* Anything else (MDB_BAD_RSLOT: the slot is no longer ours, e.g. another
         * process's stale-reader check cleared it) : start over with a new
         * transaction.  Not mdb_txn_abort: that would free the slot, which may
         * be someone else's by now; the small handle is left behind instead. */
        k->txn = NULL;
    }
    return txn_begin(e, MDB_RDONLY, &k->txn);
}

ks_err ks_run_read(struct ks_env *e, ks_txn_body body, void *arg, uint64_t *txnid)
{
    struct ks_kept *k = kept_get(e);
    MDB_txn *t = NULL;
    int rc = k ? kept_renew(e, k) : txn_begin(e, MDB_RDONLY, &t);
    if (rc)
        return ks_map_rc(rc);
    if (k) {
        t = k->txn;
        k->busy = true;
    }
    if (txnid)
        *txnid = mdb_txn_id(t);
    rc = body(e, t, arg);
    if (k) {
        mdb_txn_reset(t); /* keeps the reader slot, releases the snapshot */
        k->busy = false;
    } else {
        mdb_txn_abort(t);
    }
    pthread_rwlock_unlock(&e->resize);
    return ks_map_rc(rc);
}

uint64_t ks_last_txnid(struct ks_env *e)
{
    MDB_envinfo info;
    mdb_env_info(e->env, &info); /* reads the newer meta page: no lock, no reader slot */
    return info.me_last_txnid;
}
