/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key storage benchmark (issue 4), one run: read by label with the cache
 * (default revalidating mode and static mode) and with CSUCACHE=N, beside a
 * bare LMDB read of the same records (txn begin + mdb_get + abort, and
 * mdb_get alone in one open txn); create rate; wildcard list time.
 * Usage: bench_keystore [records ...]   (default 10000)
 * Records are loaded with one bulk LMDB transaction in the store's own
 * format (through the public create for the create-rate sample).
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ks_internal.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void label_of(uint8_t l[KS_LABEL_LEN], size_t i)
{
    char s[32];
    memset(l, ' ', KS_LABEL_LEN);
    memcpy(l, s, (size_t)snprintf(s, sizeof(s), "BENCH.K%zu", i));
}

static void bulk_load(const char *path, size_t from, size_t n)
{
    MDB_env *env;
    MDB_txn *t;
    MDB_dbi dbi;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 2);
    mdb_env_set_mapsize(env, (size_t)1 << 32);
    if (mdb_env_open(env, path, MDB_NOSUBDIR, 0660) || mdb_txn_begin(env, NULL, 0, &t) ||
        mdb_dbi_open(t, "records", 0, &dbi)) {
        fprintf(stderr, "bulk load failed\n");
        exit(1);
    }
    static struct ks_record r;
    static uint8_t buf[KS_REC_HDR + 64];
    r.token_len = 64;
    memset(r.token, 0x5A, 64);
    r.token[0] = 1;
    r.created = r.updated = (uint64_t)time(NULL);
    r.seq = 1;
    for (size_t i = from; i < n; i++) {
        label_of(r.label, i);
        size_t len = ks_record_encode(&r, buf);
        MDB_val k = {KS_LABEL_LEN, r.label}, v = {len, buf};
        mdb_put(t, dbi, &k, &v, 0);
    }
    mdb_txn_commit(t);
    mdb_env_close(env);
}

/* Bare LMDB reads of the same records in the same run. */
static void bare(const char *path, size_t n, size_t reads, double *per_txn, double *per_get)
{
    MDB_env *env;
    MDB_txn *t;
    MDB_dbi dbi;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 2);
    mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOTLS | MDB_RDONLY, 0660);
    mdb_txn_begin(env, NULL, MDB_RDONLY, &t);
    mdb_dbi_open(t, "records", 0, &dbi);
    mdb_txn_commit(t);
    uint8_t l[KS_LABEL_LEN], out[64];
    double t0 = now();
    for (size_t i = 0; i < reads; i++) {
        label_of(l, (i * 7919) % n);
        MDB_val k = {KS_LABEL_LEN, l}, v;
        mdb_txn_begin(env, NULL, MDB_RDONLY, &t);
        if (mdb_get(t, dbi, &k, &v) == 0)
            memcpy(out, (uint8_t *)v.mv_data + KS_REC_HDR, 64);
        mdb_txn_abort(t);
    }
    *per_txn = (now() - t0) / reads * 1e9;
    mdb_txn_begin(env, NULL, MDB_RDONLY, &t);
    t0 = now();
    for (size_t i = 0; i < reads; i++) {
        label_of(l, (i * 7919) % n);
        MDB_val k = {KS_LABEL_LEN, l}, v;
        if (mdb_get(t, dbi, &k, &v) == 0)
            memcpy(out, (uint8_t *)v.mv_data + KS_REC_HDR, 64);
    }
    *per_get = (now() - t0) / reads * 1e9;
    mdb_txn_abort(t);
    mdb_env_close(env);
}

static double by_label(const char *mode, size_t n, size_t reads, size_t hot)
{
    if (mode)
        setenv("CSUCACHE", mode, 1);
    else
        unsetenv("CSUCACHE");
    ks_close_all();
    uint8_t l[KS_LABEL_LEN], out[KS_MAX_TOKEN];
    size_t len;
    for (size_t i = 0; i < hot; i++) { /* warm the cache with the working set */
        label_of(l, (i * 7919) % n);
        ks_read(KS_AES, l, out, sizeof(out), &len);
    }
    double t0 = now();
    for (size_t i = 0; i < reads; i++) {
        label_of(l, ((i % hot) * 7919) % n);
        if (ks_read(KS_AES, l, out, sizeof(out), &len) != KS_OK)
            exit(2);
    }
    return (now() - t0) / reads * 1e9;
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/bench_ks_XXXXXX", path[300];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof(path), "%s/aes.key", dir);
    setenv("CSUAESDS", path, 1);
    setenv("CSUAESLD", dir, 1);
    uint8_t vp[8] = {0};
    ks_init(KS_AES, vp);
    /* create rate through the API (each create is one durable commit) */
    uint8_t l[KS_LABEL_LEN], tok[64] = {1};
    double t0 = now();
    for (int i = 0; i < 500; i++) {
        char s[24];
        memset(l, ' ', sizeof(l));
        memcpy(l, s, (size_t)snprintf(s, sizeof(s), "CREATE.K%d", i));
        ks_create(KS_AES, l, tok, 64);
    }
    double create_rate = 500 / (now() - t0);
    ks_close_all();
    printf("| records | cached (revalidate) ns | cached (static) ns | CSUCACHE=N ns | bare txn+mdb_get ns | bare mdb_get ns | list all s |\n");
    printf("|---|---|---|---|---|---|---|\n");
    size_t done = 0;
    for (int a = 1; a < argc || (argc == 1 && a == 1); a++) {
        size_t n = argc > 1 ? strtoul(argv[a], NULL, 10) : 10000;
        ks_close_all();
        bulk_load(path, done, n);
        done = n;
        size_t reads = 200000, hot = n < 1000 ? n : 1000;
        double bt, bg;
        bare(path, n, reads, &bt, &bg);
        double rv = by_label(NULL, n, reads, hot), st = by_label("S", n, reads, hot);
        double off = by_label("N", n, reads, n);
        uint8_t pat[KS_LABEL_LEN];
        memset(pat, ' ', sizeof(pat));
        pat[0] = '*';
        char lp[512];
        size_t count;
        t0 = now();
        ks_list(KS_AES, pat, NULL, lp, sizeof(lp), &count);
        double list = now() - t0;
        unlink(lp);
        printf("| %zu | %.0f | %.0f | %.0f | %.0f | %.0f | %.3f |\n", n, rv, st, off, bt, bg, list);
    }
    printf("create rate (durable commit each): %.0f records/s\n", create_rate);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}
