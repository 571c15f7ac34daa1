/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kept read transactions (keystore/ks_lmdb.c, docs/keystore.md "Read
 * transactions"): each thread renews and resets one read transaction per
 * store instead of beginning and aborting one per read.  Checks that:
 *  1. between reads a kept transaction holds a reader slot but pins no
 *     snapshot (LMDB's reader table shows txnid "-");
 *  2. a reader process SIGKILLed while idle or in the middle of a read
 *     (snapshot pinned) leaves a stale slot that does not block writers and
 *     that the store's stale-reader cleanup clears: at open and after every
 *     1000 commits of a writer;
 *  3. threads past the per-process cap read correctly, and every thread's
 *     slot is given back when it exits;
 *  4. another process growing the map: the kept transaction's renew answers
 *     MDB_MAP_RESIZED, the reader adopts the size and reads the new records;
 *  5. a record damaged by another process while this one holds a kept
 *     transaction (and a cached copy) reads as KS_BAD_RECORD, cache on or off.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ks_internal.h"

#define CHECK(c)                                                                  \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

static char dir[] = "/tmp/ks_kept_XXXXXX";

static void mk_label(uint8_t l[KS_LABEL_LEN], const char *fmt, int i)
{
    char s[40];
    memset(l, ' ', KS_LABEL_LEN);
    memcpy(l, s, (size_t)snprintf(s, sizeof(s), fmt, i));
}

static void use_store(const char *name, const char *mapsize)
{
    char p[300];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    setenv("CSUAESDS", p, 1);
    if (mapsize)
        setenv("CSUKSMAPSIZE", mapsize, 1);
    else
        unsetenv("CSUKSMAPSIZE");
    ks_close_all();
    uint8_t vp[8] = {7, 7, 7, 7, 7, 7, 7, 7};
    CHECK(ks_init(KS_AES, vp) == KS_OK);
}

/* ---- LMDB's reader table ------------------------------------------------ */

struct readers {
    pid_t pid;
    int idle, active; /* slots of pid: reset (txnid "-") / reading a snapshot */
};

static int reader_line(const char *msg, void *ctx)
{
    struct readers *r = ctx;
    int pid;
    char thread[32], txnid[32];
    if (sscanf(msg, "%d %31s %31s", &pid, thread, txnid) == 3 && pid == r->pid) {
        if (strcmp(txnid, "-") == 0)
            r->idle++;
        else
            r->active++;
    }
    return 0;
}

static struct readers readers_of(pid_t pid)
{
    struct ks_env *e;
    CHECK(ks_env_get(KS_AES, &e) == KS_OK);
    struct readers r = {pid, 0, 0};
    mdb_reader_list(e->env, reader_line, &r);
    return r;
}

/* ---- 1. idle kept transactions pin nothing ------------------------------ */

static void test_idle_pins_nothing(void)
{
    use_store("idle.key", NULL);
    uint8_t l[KS_LABEL_LEN], tok[64] = {1}, out[64];
    size_t n;
    mk_label(l, "IDLE.K%d", 0);
    CHECK(ks_create(KS_AES, l, tok, 64) == KS_OK);
    setenv("CSUCACHE", "N", 1);
    ks_close_all();
    CHECK(ks_read(KS_AES, l, out, sizeof(out), &n) == KS_OK && n == 64);
    struct readers r = readers_of(getpid());
    CHECK(r.idle == 1 && r.active == 0);
    CHECK(ks_read(KS_AES, l, out, sizeof(out), &n) == KS_OK); /* renewed: still one slot */
    r = readers_of(getpid());
    CHECK(r.idle == 1 && r.active == 0);
    unsetenv("CSUCACHE");
    printf("idle: one slot per thread and store, txnid '-' between reads\n");
}

/* ---- 2. readers killed holding a kept transaction ----------------------- */

static int hold_fd = -1;

/* In the middle of a scan (snapshot pinned): tell the parent, then wait to be killed. */
static bool hold_forever(void *arg, const struct ks_record *rec, bool intact)
{
    (void)arg, (void)rec, (void)intact;
    CHECK(write(hold_fd, "x", 1) == 1);
    for (;;)
        pause();
    return true;
}

/* A child that reads (idle) or parks inside a read (active), then is SIGKILLed. */
static pid_t reader_killed(bool mid_read)
{
    int fd[2];
    CHECK(pipe(fd) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        hold_fd = fd[1];
        uint8_t l[KS_LABEL_LEN], out[64];
        size_t n;
        mk_label(l, "KILL.K%d", 0);
        CHECK(ks_read(KS_AES, l, out, sizeof(out), &n) == KS_OK); /* the thread's kept txn, now reset */
        if (mid_read)
            ks_scan(KS_AES, NULL, SIZE_MAX, hold_forever, NULL, NULL);
        CHECK(write(fd[1], "x", 1) == 1);
        for (;;)
            pause();
    }
    close(fd[1]);
    char c;
    CHECK(read(fd[0], &c, 1) == 1);
    close(fd[0]);
    struct readers r = readers_of(pid);
    CHECK(r.idle + r.active == 1);
    CHECK(r.active == (mid_read ? 1 : 0)); /* mid-read: the kept txn is renewed, snapshot pinned */
    kill(pid, SIGKILL);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st));
    r = readers_of(pid);
    CHECK(r.idle + r.active == 1); /* the dead process's slot is still there */
    return pid;
}

static void test_killed_readers(void)
{
    use_store("kill.key", NULL);
    uint8_t l[KS_LABEL_LEN], tok[64] = {1};
    mk_label(l, "KILL.K%d", 0);
    CHECK(ks_create(KS_AES, l, tok, 64) == KS_OK);
    setenv("CSUCACHE", "N", 1);
    ks_close_all();

    /* Cleanup at open. */
    pid_t idle = reader_killed(false), active = reader_killed(true);
    ks_close_all(); /* the next open runs the stale-reader check */
    CHECK(readers_of(idle).idle + readers_of(idle).active == 0);
    CHECK(readers_of(active).idle + readers_of(active).active == 0);

    /* Cleanup by a writer (every 1000 commits), which the stale reader never blocks. */
    active = reader_killed(true);
    for (int i = 0; i < 1000; i++) {
        tok[1] = (uint8_t)i;
        CHECK(ks_write(KS_AES, l, tok, 64, false) == KS_OK);
    }
    struct readers r = readers_of(active);
    CHECK(r.idle + r.active == 0);
    unsetenv("CSUCACHE");
    printf("killed readers: idle and mid-read slots cleared at open and by a writer's periodic check\n");
}

/* ---- 3. many threads ---------------------------------------------------- */

#define THREADS 48 /* more than the per-process cap of kept transactions */
#define THREAD_LABELS 64

static void *thread_reads(void *arg)
{
    int t = (int)(intptr_t)arg;
    uint8_t l[KS_LABEL_LEN], out[64];
    for (int k = 0; k < 2000; k++) {
        int i = (t * 7 + k) % THREAD_LABELS;
        size_t n;
        mk_label(l, "THR.K%d", i);
        CHECK(ks_read(KS_AES, l, out, sizeof(out), &n) == KS_OK && n == 64 && out[1] == (uint8_t)i);
    }
    return NULL;
}

static void test_threads(void)
{
    use_store("thr.key", NULL);
    uint8_t l[KS_LABEL_LEN], tok[64] = {1};
    for (int i = 0; i < THREAD_LABELS; i++) {
        mk_label(l, "THR.K%d", i);
        tok[1] = (uint8_t)i;
        CHECK(ks_create(KS_AES, l, tok, 64) == KS_OK);
    }
    setenv("CSUCACHE", "N", 1);
    ks_close_all();
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, thread_reads, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_join(th[t], NULL) == 0);
    struct readers r = readers_of(getpid());
    CHECK(r.idle == 0 && r.active == 0); /* every exited thread gave its slot back */
    unsetenv("CSUCACHE");
    printf("threads: %d threads read, all slots returned at thread exit\n", THREADS);
}

/* ---- 4. map grown by another process ------------------------------------ */

static void test_map_resized(void)
{
    use_store("grow.key", "1048576");
    uint8_t l[KS_LABEL_LEN], out[KS_MAX_TOKEN];
    static uint8_t tok[KS_MAX_TOKEN];
    memset(tok, 0x5A, sizeof(tok));
    tok[0] = 1;
    size_t n;
    mk_label(l, "GROW.K%d", 0);
    CHECK(ks_create(KS_AES, l, tok, 64) == KS_OK);
    setenv("CSUCACHE", "N", 1);
    ks_close_all();
    CHECK(ks_read(KS_AES, l, out, sizeof(out), &n) == KS_OK); /* kept txn, 1 MiB map */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        ks_close_all();
        for (int i = 1; i <= 400; i++) { /* 3.2 MiB: the map must grow */
            mk_label(l, "GROW.K%d", i);
            CHECK(ks_create(KS_AES, l, tok, KS_MAX_TOKEN) == KS_OK);
        }
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    for (int i = 400; i >= 0; i -= 50) {
        mk_label(l, "GROW.K%d", i);
        CHECK(ks_read(KS_AES, l, out, sizeof(out), &n) == KS_OK && n == (i ? KS_MAX_TOKEN : 64));
    }
    struct readers r = readers_of(getpid());
    CHECK(r.idle == 1 && r.active == 0); /* the same transaction renewed, not a second slot */
    unsetenv("CSUCACHE");
    printf("map resized by another process: kept transaction renewed on the new size\n");
}

/* ---- 5. damage seen through a kept transaction -------------------------- */

/* Another process flips one token bit of @p l's record with raw LMDB, as damage would. */
static void damage_in_child(const uint8_t *l)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        MDB_env *env;
        MDB_dbi dbi;
        MDB_txn *t;
        CHECK(mdb_env_create(&env) == 0);
        mdb_env_set_maxdbs(env, 2);
        mdb_env_set_maxreaders(env, 1024);
        CHECK(mdb_env_open(env, getenv("CSUAESDS"), MDB_NOSUBDIR, 0600) == 0);
        CHECK(mdb_txn_begin(env, NULL, 0, &t) == 0);
        CHECK(mdb_dbi_open(t, "records", 0, &dbi) == 0);
        MDB_val k = {KS_LABEL_LEN, (void *)l}, v;
        CHECK(mdb_get(t, dbi, &k, &v) == 0);
        uint8_t copy[KS_REC_HDR + 64];
        CHECK(v.mv_size == sizeof(copy));
        memcpy(copy, v.mv_data, v.mv_size);
        copy[KS_REC_HDR + 9] ^= 0x10;
        MDB_val nv = {v.mv_size, copy};
        CHECK(mdb_put(t, dbi, &k, &nv, 0) == 0 && mdb_txn_commit(t) == 0);
        mdb_env_close(env);
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void damage_case(const char *mode)
{
    if (mode)
        setenv("CSUCACHE", mode, 1);
    else
        unsetenv("CSUCACHE");
    ks_close_all();
    uint8_t l[KS_LABEL_LEN], tok[64], out[64];
    size_t n;
    mk_label(l, "DMG.K%d", mode ? 1 : 0);
    memset(tok, 0x33, sizeof(tok));
    tok[0] = 1;
    CHECK(ks_create(KS_AES, l, tok, 64) == KS_OK);
    CHECK(ks_read(KS_AES, l, out, sizeof(out), &n) == KS_OK && memcmp(out, tok, 64) == 0);
    CHECK(ks_read(KS_AES, l, out, sizeof(out), &n) == KS_OK); /* cached (default) / kept txn (N) */
    damage_in_child(l);
    CHECK(ks_read(KS_AES, l, out, sizeof(out), &n) == KS_BAD_RECORD);
    CHECK(ks_read(KS_AES, l, out, sizeof(out), &n) == KS_BAD_RECORD); /* a bad record is never cached */
    CHECK(ks_write(KS_AES, l, tok, 64, false) == KS_OK);             /* and may be overwritten */
    CHECK(ks_read(KS_AES, l, out, sizeof(out), &n) == KS_OK && memcmp(out, tok, 64) == 0);
    printf("damage by another process, cache %s: KS_BAD_RECORD on the next read\n", mode ? mode : "on");
}

static void test_damage(void)
{
    use_store("dmg.key", NULL);
    damage_case(NULL);
    damage_case("N");
    unsetenv("CSUCACHE");
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_idle_pins_nothing();
    test_killed_readers();
    test_threads();
    test_map_resized();
    test_damage();
    ks_close_all();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    printf("keystore kept transactions: all passed\n");
    return system(cmd) == 0 ? 0 : 1;
}
