/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration 3: concurrency against one daemon.
 *
 * 2 processes x 16 threads x 1,000 CSNBRNGL calls of 32 bytes: every call
 * must succeed, and no 32-byte output may repeat across all 32,000 (each
 * child process writes its outputs to a file; the parent sorts them all and
 * compares neighbours).  The children are this binary run again with
 * --child, so each is a fresh process with its own library state; they
 * start their threads together (ready/go files), so the loads overlap.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "daemon_util.h"

#define PROCESSES 2
#define THREADS 16
#define CALLS 1000
#define LEN 32

struct worker {
    pthread_t thread;
    pthread_barrier_t *start;
    unsigned char (*out)[LEN];
    long ok, errors;
    long first_rc, first_rs;
    int64_t max_ns; /* slowest call */
    int slowest_call;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    pthread_barrier_wait(w->start);
    for (int i = 0; i < CALLS; i++) {
        long rc, rs;
        int64_t t0 = it_now_ns();
        it_rngl(LEN, w->out[w->ok], &rc, &rs);
        int64_t dt = it_now_ns() - t0;
        if (dt > w->max_ns) {
            w->max_ns = dt;
            w->slowest_call = i;
        }
        if (rc == 0 && rs == 0) {
            w->ok++;
        } else {
            if (w->errors++ == 0) {
                w->first_rc = rc;
                w->first_rs = rs;
            }
        }
    }
    return NULL;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/*
 * Child: run the threads, write the outputs to @p path, a summary to stdout.
 * Start-up is fenced so that the two processes' loads overlap: the child
 * creates <path>.ready once its threads wait, and starts them when the
 * parent has created @p go.
 */
static int child(const char *path, const char *go)
{
    it_begin("concurrency-child", 55);
    static unsigned char out[THREADS][CALLS][LEN];
    struct worker w[THREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS + 1);
    for (int t = 0; t < THREADS; t++) {
        w[t] = (struct worker){.start = &start, .out = out[t]};
        if (pthread_create(&w[t].thread, NULL, worker_main, &w[t]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    }
    char ready[512];
    snprintf(ready, sizeof(ready), "%s.ready", path);
    FILE *r = fopen(ready, "w");
    if (!r)
        return 1;
    fclose(r);
    int64_t deadline = it_now_ns() + 30000000000LL;
    while (!exists(go) && it_now_ns() < deadline)
        it_sleep_ms(1);
    pthread_barrier_wait(&start);
    int64_t t0 = it_now_ns();
    for (int t = 0; t < THREADS; t++)
        pthread_join(w[t].thread, NULL);
    int64_t t1 = it_now_ns();
    pthread_barrier_destroy(&start);

    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    long ok = 0, errors = 0;
    int64_t max_ns = 0;
    int max_call = 0;
    for (int t = 0; t < THREADS; t++) {
        if (w[t].max_ns > max_ns) {
            max_ns = w[t].max_ns;
            max_call = w[t].slowest_call;
        }
        fwrite(out[t], LEN, (size_t)w[t].ok, f);
        ok += w[t].ok;
        errors += w[t].errors;
        if (w[t].errors)
            fprintf(stderr, "child thread %d: %ld errors, first %ld/%ld\n", t, w[t].errors, w[t].first_rc,
                    w[t].first_rs);
    }
    if (fclose(f) != 0)
        return 1;
    printf("ok %ld errors %ld start %lld end %lld max_ns %lld max_call %d\n", ok, errors, (long long)t0, (long long)t1,
           (long long)max_ns, max_call);
    return 0;
}

static int compare(const void *a, const void *b)
{
    return memcmp(a, b, LEN);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child") == 0)
        return child(argv[2], argv[3]);

    it_begin("concurrency", 55);
    struct it_daemon d;
    it_daemon_init(&d);
    char spec[200];
    snprintf(spec, sizeof(spec), "unix:%s", d.sock);
    it_setenv("CSU_CARD", spec);
    REQUIRE(it_daemon_start(&d, NULL, 10000) == 0, "csucard did not start");
    REQUIRE(it_wait_post("PASSED", 10000), "POST did not pass");

    char out_path[PROCESSES][200], sum_path[PROCESSES][200], env_card[220], go[200];
    snprintf(go, sizeof(go), "%s/go", d.dir);
    snprintf(env_card, sizeof(env_card), "CSU_CARD=%s", spec);
    char *env[] = {env_card, NULL};
    pid_t pid[PROCESSES];
    int64_t t0 = it_now_ns();
    for (int p = 0; p < PROCESSES; p++) {
        snprintf(out_path[p], sizeof(out_path[p]), "%s/random.%d", d.dir, p);
        snprintf(sum_path[p], sizeof(sum_path[p]), "%s/summary.%d", d.dir, p);
        char *child_argv[] = {argv[0], "--child", out_path[p], go, NULL};
        pid[p] = it_spawn_self(child_argv, env, sum_path[p]);
        REQUIRE(pid[p] > 0, "cannot spawn child %d", p);
    }
    for (int p = 0; p < PROCESSES; p++) {
        char ready[512];
        snprintf(ready, sizeof(ready), "%s.ready", out_path[p]);
        while (!exists(ready)) {
            REQUIRE(it_now_ns() - t0 < 20000000000LL, "child %d not ready within 20 s", p);
            REQUIRE(waitpid(pid[p], NULL, WNOHANG) == 0, "child %d exited before it was ready", p);
            it_sleep_ms(1);
        }
    }
    FILE *g = fopen(go, "w");
    REQUIRE(g != NULL, "cannot create %s", go);
    fclose(g);
    long long start[PROCESSES] = {0}, end[PROCESSES] = {0};
    long total_ok = 0, total_errors = 0;
    for (int p = 0; p < PROCESSES; p++) {
        int status = -1;
        REQUIRE(it_wait_exit(pid[p], 50000, &status), "child %d did not finish in 50 s", p);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d exit status 0x%x", p, status);
        char *sum = it_read_file(sum_path[p], NULL);
        long ok = -1, errors = -1;
        long long max_ns = 0;
        int max_call = -1;
        CHECK(sum && sscanf(sum, "ok %ld errors %ld start %lld end %lld max_ns %lld max_call %d", &ok, &errors,
                            &start[p], &end[p], &max_ns, &max_call) == 6,
              "child %d summary: %s", p, sum ? sum : "(none)");
        free(sum);
        CHECK(ok == THREADS * CALLS && errors == 0, "child %d: %ld ok, %ld errors", p, ok, errors);
        it_log("child %d: %ld calls ok, %ld errors, %.3f s, %.0f calls/s, slowest call %.1f ms (call #%d of its "
               "thread)\n",
               p, ok, errors, (double)(end[p] - start[p]) / 1e9, (double)ok / ((double)(end[p] - start[p]) / 1e9),
               (double)max_ns / 1e6, max_call);
        total_ok += ok > 0 ? ok : 0;
        total_errors += errors > 0 ? errors : 0;
    }
    int64_t t1 = it_now_ns();
    long long first = start[0] < start[1] ? start[0] : start[1];
    long long last = end[0] > end[1] ? end[0] : end[1];
    it_log("all: %ld calls ok, %ld errors; %.3f s of load (%.0f calls/s), %.3f s with process start-up\n",
           total_ok, total_errors, (double)(last - first) / 1e9, (double)total_ok / ((double)(last - first) / 1e9),
           (double)(t1 - t0) / 1e9);
    CHECK(start[0] < end[1] && start[1] < end[0], "the two processes did not overlap");

    /* No repeated output across both processes. */
    size_t count = 0;
    unsigned char *all = malloc((size_t)PROCESSES * THREADS * CALLS * LEN);
    REQUIRE(all != NULL, "out of memory");
    for (int p = 0; p < PROCESSES; p++) {
        size_t len = 0;
        char *data = it_read_file(out_path[p], &len);
        CHECK(data && len == (size_t)THREADS * CALLS * LEN, "child %d wrote %zu bytes", p, len);
        if (data && len <= (size_t)THREADS * CALLS * LEN) {
            memcpy(all + count * LEN, data, len - len % LEN);
            count += len / LEN;
        }
        free(data);
    }
    qsort(all, count, LEN, compare);
    size_t repeats = 0;
    for (size_t i = 1; i < count; i++)
        if (memcmp(all + (i - 1) * LEN, all + i * LEN, LEN) == 0)
            repeats++;
    static const unsigned char zero[LEN];
    size_t zeros = 0;
    for (size_t i = 0; i < count; i++)
        zeros += memcmp(all + i * LEN, zero, LEN) == 0;
    it_log("%zu outputs sorted: %zu repeated, %zu all-zero\n", count, repeats, zeros);
    CHECK(count == (size_t)PROCESSES * THREADS * CALLS, "%zu outputs collected", count);
    CHECK(repeats == 0, "%zu repeated 32-byte outputs", repeats);
    CHECK(zeros == 0, "%zu all-zero outputs", zeros);
    free(all);

    int status = -1;
    CHECK(it_daemon_stop(&d, SIGTERM, 10000, &status), "daemon did not stop on SIGTERM");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon exit status 0x%x", status);
    if (it_failures)
        it_daemon_dump_log(&d);
    it_finish();
}
