/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key storage benchmark (issue 4), one run: read by label with the cache
 * (default revalidating mode and static mode) and with CSUCACHE=N, beside
 * bare LMDB reads of the same labels through the store's own environment:
 * what an application using LMDB directly does per read (mdb_txn_begin +
 * mdb_get + abort, or a kept transaction: renew + mdb_get + reset) and
 * mdb_get alone inside one open transaction (a lower bound: no per-read
 * transaction at all); create rate; wildcard list time.  Cached reads are
 * compared on their hot set, uncached reads on every record, each against
 * bare reads of the same label sequence.
 * Usage: bench_keystore [records ...]   (default 10000)
 * Records are loaded with one bulk LMDB transaction in the store's own
 * format (through the public create for the create-rate sample).
 */
#include <lmdb.h>
#include <stdbool.h>
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

/*
 * One measured configuration: reads of a label sequence, ns per read.  Every
 * configuration formats its label the same way (snprintf) and copies the
 * 64-byte token out, so the columns differ only in how the record is found.
 */
enum cfg {
    HOT_REVAL,   /* ks_read, cache on (revalidate), hot set */
    HOT_STATIC,  /* ks_read, CSUCACHE=S, hot set */
    HOT_GET,     /* bare mdb_get in one open read txn, hot set */
    HOT_RENEW,   /* bare mdb_txn_renew + mdb_get + mdb_txn_reset, hot set */
    ALL_OFF,     /* ks_read, CSUCACHE=N, every record */
    ALL_BEGIN,   /* bare mdb_txn_begin + mdb_get + mdb_txn_abort, every record */
    ALL_RENEW,   /* bare renew + mdb_get + reset, every record */
    ALL_GET,     /* bare mdb_get in one open read txn, every record */
    CFG_COUNT
};

struct seq {
    size_t n, hot; /* records; labels of the hot set */
    bool all;      /* every record (else the hot set) */
};

static size_t label_at(const struct seq *q, size_t i)
{
    return q->all ? (i * 7919) % q->n : ((i % q->hot) * 7919) % q->n;
}

static double by_label(const struct seq *q, size_t reads)
{
    uint8_t l[KS_LABEL_LEN], out[KS_MAX_TOKEN];
    size_t len;
    for (size_t i = 0; !q->all && i < q->hot; i++) { /* warm the cache with the working set */
        label_of(l, label_at(q, i));
        ks_read(KS_AES, l, out, sizeof(out), &len);
    }
    double t0 = now();
    for (size_t i = 0; i < reads; i++) {
        label_of(l, label_at(q, i));
        if (ks_read(KS_AES, l, out, sizeof(out), &len) != KS_OK)
            exit(2);
    }
    return (now() - t0) / reads * 1e9;
}

/* Bare LMDB reads of the same records through the store's own environment and database handle. */
enum bare_kind { BARE_GET, BARE_RENEW, BARE_BEGIN };

static double bare(struct ks_env *e, const struct seq *q, size_t reads, enum bare_kind kind)
{
    uint8_t l[KS_LABEL_LEN], out[64];
    MDB_txn *t;
    if (mdb_txn_begin(e->env, NULL, MDB_RDONLY, &t))
        exit(3);
    if (kind == BARE_RENEW)
        mdb_txn_reset(t);
    double t0 = now();
    for (size_t i = 0; i < reads; i++) {
        label_of(l, label_at(q, i));
        MDB_val k = {KS_LABEL_LEN, l}, v;
        if (kind == BARE_BEGIN && mdb_txn_begin(e->env, NULL, MDB_RDONLY, &t))
            exit(3);
        if (kind == BARE_RENEW && mdb_txn_renew(t))
            exit(3);
        if (mdb_get(t, e->recs, &k, &v) != 0)
            exit(3);
        memcpy(out, (uint8_t *)v.mv_data + KS_REC_HDR, 64);
        if (kind == BARE_BEGIN)
            mdb_txn_abort(t);
        if (kind == BARE_RENEW)
            mdb_txn_reset(t);
    }
    double ns = (now() - t0) / reads * 1e9;
    if (kind != BARE_BEGIN)
        mdb_txn_abort(t);
    return ns;
}

/* Reopen the store with cache mode @p mode (read when the store is opened). */
static struct ks_env *reopen(const char *mode)
{
    if (mode)
        setenv("CSUCACHE", mode, 1);
    else
        unsetenv("CSUCACHE");
    ks_close_all();
    struct ks_env *e;
    if (ks_env_get(KS_AES, &e) != KS_OK)
        exit(4);
    return e;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define ROUNDS 7

/* All configurations, ROUNDS rounds interleaved (so load on the machine hits them alike); medians. */
static void measure(size_t n, size_t reads, double med[CFG_COUNT])
{
    struct seq hot = {n, n < 1000 ? n : 1000, false}, all = {n, n, true};
    double v[CFG_COUNT][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        struct ks_env *e = reopen(NULL);
        v[HOT_REVAL][r] = by_label(&hot, reads);
        v[HOT_GET][r] = bare(e, &hot, reads, BARE_GET);
        v[HOT_RENEW][r] = bare(e, &hot, reads, BARE_RENEW);
        reopen("S");
        v[HOT_STATIC][r] = by_label(&hot, reads);
        e = reopen("N");
        v[ALL_OFF][r] = by_label(&all, reads);
        v[ALL_BEGIN][r] = bare(e, &all, reads, BARE_BEGIN);
        v[ALL_RENEW][r] = bare(e, &all, reads, BARE_RENEW);
        v[ALL_GET][r] = bare(e, &all, reads, BARE_GET);
    }
    for (int c = 0; c < CFG_COUNT; c++) {
        qsort(v[c], ROUNDS, sizeof(double), cmp_double);
        med[c] = v[c][ROUNDS / 2];
    }
    reopen(NULL);
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
    size_t done = 0;
    for (int a = 1; a < argc || (argc == 1 && a == 1); a++) {
        size_t n = argc > 1 ? strtoul(argv[a], NULL, 10) : 10000;
        ks_close_all();
        bulk_load(path, done, n);
        done = n;
        double m[CFG_COUNT];
        measure(n, 100000, m);
        uint8_t pat[KS_LABEL_LEN];
        memset(pat, ' ', sizeof(pat));
        pat[0] = '*';
        char lp[512];
        size_t count;
        t0 = now();
        ks_list(KS_AES, pat, NULL, lp, sizeof(lp), &count);
        double list = now() - t0;
        unlink(lp);
        printf("\n%zu records (ns per read, median of %d interleaved rounds of 100,000 reads)\n", n, ROUNDS);
        printf("| cached, hot set of %zu | ns | bare, same labels | ns | cached / bare |\n|---|---|---|---|---|\n",
               n < 1000 ? n : (size_t)1000);
        printf("| revalidate (default) | %.0f | mdb_get in one open txn | %.0f | %.2f |\n", m[HOT_REVAL], m[HOT_GET],
               m[HOT_REVAL] / m[HOT_GET]);
        printf("| static (CSUCACHE=S) | %.0f | renew + mdb_get + reset | %.0f | %.2f |\n", m[HOT_STATIC],
               m[HOT_RENEW], m[HOT_STATIC] / m[HOT_RENEW]);
        printf("| uncached, every record | ns | bare, same labels | ns | uncached / bare |\n|---|---|---|---|---|\n");
        printf("| CSUCACHE=N | %.0f | begin + mdb_get + abort | %.0f | %.2f |\n", m[ALL_OFF], m[ALL_BEGIN],
               m[ALL_OFF] / m[ALL_BEGIN]);
        printf("| | | renew + mdb_get + reset | %.0f | %.2f |\n", m[ALL_RENEW], m[ALL_OFF] / m[ALL_RENEW]);
        printf("| | | mdb_get in one open txn | %.0f | %.2f |\n", m[ALL_GET], m[ALL_OFF] / m[ALL_GET]);
        printf("list all (%zu records): %.3f s\n", count, list);
    }
    printf("create rate (durable commit each): %.0f records/s\n", create_rate);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}
