/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key storage under load and faults (reliability goals C1, C2, C6, C7 and
 * the issue-4 cache test), on keystore/ directly:
 *  1. P processes x T threads create/read/rewrite/delete; each thread owns
 *     its labels and logs every operation after it returned OK; the audit
 *     replays the logs: every label is present with exactly the last logged
 *     token (intact) or absent when last deleted.  KS_STRESS_LABELS scales
 *     it (default 4 x 8 threads x 400 labels; 50000 total for the issue run).
 *  2. SIGKILL of a writer at random moments, many times; every logged label
 *     present and intact, every present label intact; other writers go on.
 *  3. Cache modes across processes: static (IBM) stale, N fresh, default
 *     (revalidate) fresh.
 *  4. fork: children of a process with an open store read and write.
 *  5. Map growth from a 1 MiB map by 4 writer processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keystore.h"

#define CHECK(c)                                                                       \
    do {                                                                               \
        if (!(c)) {                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);      \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

static char dir[] = "/tmp/ks_stress_XXXXXX";
static int procs = 4, threads = 8, labels_per_thread = 400;

static void mk_label(uint8_t l[KS_LABEL_LEN], int p, int t, int i)
{
    char s[40];
    memset(l, ' ', KS_LABEL_LEN);
    int n = snprintf(s, sizeof(s), "P%d.T%d.L%d", p, t, i);
    memcpy(l, s, (size_t)n);
}

/* A token whose content says which label and version it is (len 64..600). */
static size_t mk_token(uint8_t *tok, const uint8_t *label, unsigned version)
{
    size_t len = 64 + (version * 37u) % 540u;
    tok[0] = 0x01;
    for (size_t i = 1; i < len; i++)
        tok[i] = (uint8_t)(label[i % 16] * 31u + version * 7u + i);
    return len;
}

struct worker {
    int p, t;
    FILE *log;
    pthread_mutex_t *log_lock;
    unsigned seed;
};

static void log_op(struct worker *w, int i, char op, unsigned version)
{
    pthread_mutex_lock(w->log_lock);
    fprintf(w->log, "%d %d %d %c %u\n", w->p, w->t, i, op, version);
    fflush(w->log);
    pthread_mutex_unlock(w->log_lock);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    static __thread uint8_t tok[KS_MAX_TOKEN], out[KS_MAX_TOKEN];
    unsigned *ver = calloc((size_t)labels_per_thread, sizeof(unsigned));
    CHECK(ver);
    uint8_t l[KS_LABEL_LEN];
    for (int i = 0; i < labels_per_thread; i++) { /* create everything, then churn */
        mk_label(l, w->p, w->t, i);
        ver[i] = 1;
        size_t n = mk_token(tok, l, 1);
        CHECK(ks_create(KS_AES, l, tok, n) == KS_OK);
        log_op(w, i, 'C', 1);
    }
    for (int k = 0; k < labels_per_thread * 2; k++) {
        int i = (int)(rand_r(&w->seed) % (unsigned)labels_per_thread);
        mk_label(l, w->p, w->t, i);
        size_t n, m;
        switch (rand_r(&w->seed) % 4) {
        case 0: /* read */
            if (ver[i] == 0) {
                CHECK(ks_read(KS_AES, l, out, sizeof(out), &m) == KS_NOT_FOUND);
            } else {
                CHECK(ks_read(KS_AES, l, out, sizeof(out), &m) == KS_OK);
                n = mk_token(tok, l, ver[i]);
                CHECK(m == n && memcmp(out, tok, n) == 0);
            }
            break;
        case 1:
        case 2: /* rewrite (or re-create) */
            n = mk_token(tok, l, ver[i] + 1);
            if (ver[i] == 0)
                CHECK(ks_create(KS_AES, l, tok, n) == KS_OK);
            else
                CHECK(ks_write(KS_AES, l, tok, n, false) == KS_OK);
            ver[i]++;
            log_op(w, i, 'W', ver[i]);
            break;
        default: /* delete */
            if (ver[i] == 0)
                break;
            CHECK(ks_delete(KS_AES, l, true) == KS_OK);
            log_op(w, i, 'D', ++ver[i]);
            ver[i] = 0;
            break;
        }
    }
    free(ver);
    return NULL;
}

static void run_process(int p, const char *logpath)
{
    FILE *log = fopen(logpath, "w");
    CHECK(log);
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_t th[64];
    struct worker w[64];
    for (int t = 0; t < threads; t++) {
        w[t] = (struct worker){p, t, log, &lock, (unsigned)(p * 1000 + t + 1)};
        CHECK(pthread_create(&th[t], NULL, worker_main, &w[t]) == 0);
    }
    for (int t = 0; t < threads; t++)
        pthread_join(th[t], NULL);
    fclose(log);
}

/* Replay logs: the last logged op of each label decides its expected state. */
static void audit(void)
{
    size_t total = (size_t)procs * threads * labels_per_thread;
    unsigned *expect = calloc(total, sizeof(unsigned));
    CHECK(expect);
    for (int p = 0; p < procs; p++) {
        char path[300];
        snprintf(path, sizeof(path), "%s/log.%d", dir, p);
        FILE *f = fopen(path, "r");
        CHECK(f);
        int pp, t, i;
        char op;
        unsigned v;
        while (fscanf(f, "%d %d %d %c %u", &pp, &t, &i, &op, &v) == 5)
            expect[((size_t)pp * threads + t) * labels_per_thread + i] = op == 'D' ? 0 : v;
        fclose(f);
    }
    ks_close_all();
    setenv("CSUCACHE", "N", 1);
    static uint8_t tok[KS_MAX_TOKEN], out[KS_MAX_TOKEN];
    size_t present = 0;
    for (size_t k = 0; k < total; k++) {
        uint8_t l[KS_LABEL_LEN];
        mk_label(l, (int)(k / ((size_t)threads * labels_per_thread)), (int)(k / labels_per_thread % threads),
                 (int)(k % labels_per_thread));
        size_t m;
        ks_err e = ks_read(KS_AES, l, out, sizeof(out), &m);
        if (expect[k] == 0) {
            CHECK(e == KS_NOT_FOUND);
        } else {
            CHECK(e == KS_OK);
            size_t n = mk_token(tok, l, expect[k]);
            CHECK(m == n && memcmp(out, tok, n) == 0);
            present++;
        }
    }
    size_t count = 0;
    CHECK(ks_count(KS_AES, &count) == KS_OK);
    CHECK(count == present); /* no phantom records */
    unsetenv("CSUCACHE");
    ks_close_all();
    free(expect);
    printf("stress audit: %zu labels, %zu present, all intact\n", total, present);
}

static void test_stress(void)
{
    pid_t pid[64];
    for (int p = 0; p < procs; p++) {
        char path[300];
        snprintf(path, sizeof(path), "%s/log.%d", dir, p);
        if ((pid[p] = fork()) == 0) {
            run_process(p, path);
            _exit(0);
        }
    }
    for (int p = 0; p < procs; p++) {
        int st;
        CHECK(waitpid(pid[p], &st, 0) == pid[p] && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    audit();
}

/* Writer for the kill test: unique labels K<run>.<n>, logged after OK. */
static void kill_writer(int run, const char *logpath)
{
    int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
    CHECK(fd >= 0);
    static uint8_t tok[KS_MAX_TOKEN];
    for (int n = 0;; n++) {
        uint8_t l[KS_LABEL_LEN];
        char s[32];
        memset(l, ' ', sizeof(l));
        memcpy(l, s, (size_t)snprintf(s, sizeof(s), "K%d.N%d", run, n));
        size_t len = mk_token(tok, l, (unsigned)n);
        CHECK(ks_create(KS_AES, l, tok, len) == KS_OK);
        char line[40];
        int m = snprintf(line, sizeof(line), "%d %d\n", run, n);
        CHECK(write(fd, line, (size_t)m) == m);
    }
}

static bool check_intact(void *arg, const struct ks_record *r, bool intact)
{
    (void)arg;
    CHECK(intact);
    if (r->label[0] == 'K') {
        static uint8_t tok[KS_MAX_TOKEN];
        int run, n;
        CHECK(sscanf((const char *)r->label, "K%d.N%d", &run, &n) == 2);
        size_t len = mk_token(tok, r->label, (unsigned)n);
        CHECK(r->token_len == len && memcmp(r->token, tok, len) == 0);
    }
    return true;
}

static void test_sigkill(int iterations)
{
    char logpath[300];
    snprintf(logpath, sizeof(logpath), "%s/kill.log", dir);
    unsigned seed = 12345;
    for (int run = 0; run < iterations; run++) {
        pid_t pid = fork();
        if (pid == 0) {
            kill_writer(run, logpath);
            _exit(0);
        }
        usleep(1000 + rand_r(&seed) % 20000);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    /* audit: each logged label present and intact; all records intact */
    ks_close_all();
    setenv("CSUCACHE", "N", 1);
    FILE *f = fopen(logpath, "r");
    CHECK(f);
    int run, n;
    size_t logged = 0;
    static uint8_t out[KS_MAX_TOKEN], tok[KS_MAX_TOKEN];
    while (fscanf(f, "%d %d", &run, &n) == 2) {
        uint8_t l[KS_LABEL_LEN];
        char s[32];
        memset(l, ' ', sizeof(l));
        memcpy(l, s, (size_t)snprintf(s, sizeof(s), "K%d.N%d", run, n));
        size_t m, len = mk_token(tok, l, (unsigned)n);
        CHECK(ks_read(KS_AES, l, out, sizeof(out), &m) == KS_OK && m == len && memcmp(out, tok, len) == 0);
        logged++;
    }
    fclose(f);
    size_t visited = 0;
    CHECK(ks_scan(KS_AES, NULL, SIZE_MAX, check_intact, NULL, &visited) == KS_OK);
    /* the store still takes writes */
    uint8_t l[KS_LABEL_LEN];
    memset(l, ' ', sizeof(l));
    memcpy(l, "AFTER.KILL", 10);
    CHECK(ks_create(KS_AES, l, NULL, 0) == KS_OK);
    unsetenv("CSUCACHE");
    ks_close_all();
    printf("sigkill: %d kills, %zu logged creates present and intact, %zu records scanned\n", iterations, logged,
           visited);
}

/* Process A caches; process B rewrites; what does A see in each mode? */
static void cache_case(const char *mode, bool expect_stale)
{
    if (mode)
        setenv("CSUCACHE", mode, 1);
    else
        unsetenv("CSUCACHE");
    ks_close_all();
    uint8_t l[KS_LABEL_LEN], t1[64], t2[64], out[64];
    memset(l, ' ', sizeof(l));
    memcpy(l, "CACHE.X", 7);
    memset(t1, 0x31, 64);
    memset(t2, 0x32, 64);
    t1[0] = t2[0] = 1;
    ks_err e = ks_write(KS_AES, l, t1, 64, false);
    if (e == KS_NOT_FOUND)
        e = ks_create(KS_AES, l, t1, 64);
    CHECK(e == KS_OK);
    size_t n;
    CHECK(ks_read(KS_AES, l, out, 64, &n) == KS_OK && memcmp(out, t1, 64) == 0); /* A caches */
    pid_t pid = fork();
    if (pid == 0) { /* B: a separate process, its own environment */
        ks_close_all();
        CHECK(ks_write(KS_AES, l, t2, 64, false) == KS_OK);
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(ks_read(KS_AES, l, out, 64, &n) == KS_OK);
    bool stale = memcmp(out, t1, 64) == 0;
    printf("cache mode %-8s: %s\n", mode ? mode : "(unset)", stale ? "STALE (old record)" : "fresh");
    CHECK(stale == expect_stale);
    unsetenv("CSUCACHE");
    ks_close_all();
}

static void test_fork(int children)
{
    uint8_t l[KS_LABEL_LEN], tok[64], out[64];
    memset(tok, 0x44, 64);
    tok[0] = 1;
    memset(l, ' ', sizeof(l));
    memcpy(l, "FORK.PARENT", 11);
    CHECK(ks_create(KS_AES, l, tok, 64) == KS_OK);
    size_t n;
    CHECK(ks_read(KS_AES, l, out, 64, &n) == KS_OK); /* the store is open and cached here */
    for (int c = 0; c < children; c++) {
        pid_t pid = fork();
        if (pid == 0) {
            uint8_t cl[KS_LABEL_LEN];
            char s[24];
            memset(cl, ' ', sizeof(cl));
            memcpy(cl, s, (size_t)snprintf(s, sizeof(s), "FORK.C%d", c));
            CHECK(ks_read(KS_AES, l, out, 64, &n) == KS_OK && memcmp(out, tok, 64) == 0);
            CHECK(ks_create(KS_AES, cl, tok, 64) == KS_OK);
            _exit(0);
        }
        int st;
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    tok[5] = 9;
    CHECK(ks_write(KS_AES, l, tok, 64, false) == KS_OK);
    CHECK(ks_read(KS_AES, l, out, 64, &n) == KS_OK && memcmp(out, tok, 64) == 0);
    memset(l, ' ', sizeof(l));
    memcpy(l, "FORK.*", 6);
    size_t count = 0;
    CHECK(ks_delete_matching(KS_AES, l, true, &count) == KS_OK && count == (size_t)children + 1);
    printf("fork: %d children read and wrote, parent fine\n", children);
}

static void test_map_growth(int writers, int per_writer)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/grow.key", dir);
    setenv("CSUAESDS", path, 1);
    setenv("CSUKSMAPSIZE", "1048576", 1);
    ks_close_all();
    uint8_t vp[8] = {0};
    CHECK(ks_init(KS_AES, vp) == KS_OK);
    ks_close_all();
    pid_t pid[16];
    for (int w = 0; w < writers; w++) {
        if ((pid[w] = fork()) == 0) {
            static uint8_t tok[KS_MAX_TOKEN];
            memset(tok, w + 1, sizeof(tok));
            tok[0] = 1;
            for (int i = 0; i < per_writer; i++) {
                uint8_t l[KS_LABEL_LEN];
                char s[24];
                memset(l, ' ', sizeof(l));
                memcpy(l, s, (size_t)snprintf(s, sizeof(s), "G%d.N%d", w, i));
                CHECK(ks_create(KS_AES, l, tok, KS_MAX_TOKEN) == KS_OK);
            }
            _exit(0);
        }
    }
    for (int w = 0; w < writers; w++) {
        int st;
        CHECK(waitpid(pid[w], &st, 0) == pid[w] && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    size_t n = 0;
    CHECK(ks_count(KS_AES, &n) == KS_OK && n == (size_t)writers * per_writer);
    unsetenv("CSUKSMAPSIZE");
    ks_close_all();
    printf("map growth: %d writers x %d x 8 KiB from a 1 MiB map, all present\n", writers, per_writer);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    const char *v = getenv("KS_STRESS_LABELS"); /* total labels; the run: 50000 */
    if (v && atoi(v) > 0)
        labels_per_thread = atoi(v) / (procs * threads);
    char path[300];
    snprintf(path, sizeof(path), "%s/aes.key", dir);
    setenv("CSUAESDS", path, 1);
    uint8_t vp[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    CHECK(ks_init(KS_AES, vp) == KS_OK);
    time_t t0 = time(NULL);
    test_stress();
    test_sigkill(v ? 200 : 40);
    cache_case("S", true);
    cache_case("N", false);
    cache_case("n", false);
    cache_case(NULL, false);
    test_fork(v ? 100 : 20);
    test_map_growth(4, v ? 3200 : 400);
    printf("keystore stress: all passed in %ld s\n", (long)(time(NULL) - t0));
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
