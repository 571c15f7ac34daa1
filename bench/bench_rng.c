/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_rng: what a CSNBRNGL(RANDOM, 32 bytes) call costs, against what it
 * cannot cost less than.  A benchmark, not a test (not in ctest), but it
 * exits non-zero when a cost floor is missed, so it can be run as a check.
 *
 *   (a) CSNBRNGL through the Unix socket to a csucard daemon (--workers 2)
 *   (b) CSNBRNGL through the in-process card (inproc)
 *   (c) baseline: a bare 64-byte request / 64-byte reply ping-pong over a
 *       Unix stream socketpair to a forked echo child (one per thread), so
 *       it crosses processes as a daemon call does
 *   (d) baseline: OpenSSL RAND_bytes(32)
 *
 * each with 1 and 2 calling threads.  Floors: socket cost / ping-pong cost
 * <= 2.0 and inproc cost / RAND_bytes cost <= 3.0, compared at the same
 * thread count; the floors line shows the worse of the two thread counts.
 *
 * CSU_CARD is read once per process, so every measurement runs in a
 * forked child with its own environment and reports through a pipe; the
 * parent never calls a verb.  The parent starts the daemon (state and
 * socket in a mkdtemp directory), waits for its socket and for POST
 * (CSUACFQ STATCCA returning 0), and stops it with SIGTERM at the end.
 *
 * One calling thread against one server is bimodal (seen on a 2-vCPU KVM
 * guest): whether the scheduler leaves both ends on one CPU or splits them
 * (then every call pays two cross-CPU wake-ups, several times the software
 * cost) is decided at start and sticks.  So the 1-thread rows pin both ends (this process
 * and its echo child, or every daemon thread) to one CPU: a deterministic
 * cost, not a placement lottery.  --no-pin leaves placement to the
 * scheduler.  2-thread rows are never pinned.
 *
 * Wall-clock rates are only as good as the machine is quiet: every row also
 * notes how much CPU other processes took during its window, and a warning
 * precedes the floors line when that was more than WARN_FOREIGN of the
 * machine.  --rounds N runs all rows N times, interleaved, and keeps each
 * row's best round, which rejects most outside interference.
 *
 *   usage: bench_rng [--seconds N] [--rounds N] [--cpu] [--no-pin] [--csucard PATH | PATH]
 *   exit:  0 floors met, 1 a floor missed, 2 could not measure
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "bench_daemon.h"
#include "csulincl.h"

#define MAX_THREADS 2
#define RANDOM_BYTES 32
#define PING_BYTES 64
#define WARMUP_SECONDS 0.5     /* at least this long ... */
#define WARMUP_CALLS 100       /* ... and this many calls on every thread */
#define WARMUP_LIMIT_SECONDS 120.0
#define READY_LIMIT_SECONDS 60.0
#define SOCKET_FLOOR 2.0
#define INPROC_FLOOR 3.0
#define WARN_FOREIGN 0.10 /* other processes' share of all CPUs that makes a row suspect */

enum kind { K_SOCKET, K_INPROC, K_PINGPONG, K_RAND, K_COUNT, K_READY = K_COUNT };

static const char *const kind_names[K_COUNT] = {
    [K_SOCKET] = "CSNBRNGL 32 B, unix socket (csucard --workers 2)",
    [K_INPROC] = "CSNBRNGL 32 B, inproc card",
    [K_PINGPONG] = "baseline: 64 B ping-pong, socketpair to a forked echo child",
    [K_RAND] = "baseline: OpenSSL RAND_bytes(32)",
};

/* What a measuring child sends back to the parent. */
struct result {
    int ok;
    long long calls;
    double seconds;     /* measured window */
    double client_cpu;  /* CPU seconds of the measuring process in the window */
    double server_cpu;  /* CPU seconds of the daemon / echo children in the window, -1 unknown */
    double system_cpu;  /* busy CPU seconds of the whole machine in the window, -1 unknown */
    char error[240];
};

/* ---- small helpers ------------------------------------------------------ */

static void set_error(struct result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
    r->ok = 0;
}

static double self_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* utime + stime of another process (all its threads), or -1. */
static double proc_cpu_seconds(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p)
        return -1;
    unsigned long long utime = 0, stime = 0;
    /* after ')': state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Busy CPU seconds of the whole machine since boot (/proc/stat), or -1. */
static double system_cpu_seconds(void)
{
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return -1;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7]);
    fclose(f);
    if (n != 8)
        return -1;
    /* user nice system [idle iowait] irq softirq steal */
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

static bool write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads exactly n bytes; false on error or end of file. */
static bool read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* ---- the calls being measured ------------------------------------------- */

static bool call_rngl(char *why, size_t why_len)
{
    long rc = -1, rs = -1, rule_count = 1, reserved_length = 0, length = RANDOM_BYTES;
    unsigned char rules[8] = {'R', 'A', 'N', 'D', 'O', 'M', ' ', ' '};
    unsigned char out[RANDOM_BYTES];
    CSNBRNGL(&rc, &rs, NULL, NULL, &rule_count, rules, &reserved_length, NULL, &length, out);
    if (rc != 0 || length != RANDOM_BYTES) {
        snprintf(why, why_len, "CSNBRNGL: return code %ld, reason code %ld, length %ld", rc, rs, length);
        return false;
    }
    return true;
}

static bool call_rand(char *why, size_t why_len)
{
    unsigned char out[RANDOM_BYTES];
    if (RAND_bytes(out, sizeof(out)) != 1) {
        snprintf(why, why_len, "RAND_bytes failed");
        return false;
    }
    return true;
}

static bool call_ping(int fd, char *why, size_t why_len)
{
    unsigned char buf[PING_BYTES];
    memset(buf, 0x5a, sizeof(buf));
    if (!write_all(fd, buf, sizeof(buf)) || !read_all(fd, buf, sizeof(buf))) {
        snprintf(why, why_len, "ping-pong: %s", errno ? strerror(errno) : "echo child went away");
        return false;
    }
    return true;
}

/* The echo child: answer every 64-byte request with 64 bytes until EOF. */
static void echo_main(int fd)
{
    unsigned char buf[PING_BYTES];
    while (read_all(fd, buf, sizeof(buf)) && write_all(fd, buf, sizeof(buf)))
        ;
    _exit(0);
}

/* ---- the measuring child -------------------------------------------------- */

enum { PHASE_RUN, PHASE_STOP };
static atomic_int phase = PHASE_RUN;

struct worker {
    alignas(64) atomic_llong calls; /* own cache line: no false sharing */
    enum kind kind;
    int fd;                         /* ping-pong: this thread's socket */
    pthread_t thread;
    atomic_bool failed;
    char why[200];
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    long long n = 0;
    while (atomic_load_explicit(&phase, memory_order_relaxed) == PHASE_RUN) {
        bool ok;
        switch (w->kind) {
        case K_SOCKET:
        case K_INPROC: ok = call_rngl(w->why, sizeof(w->why)); break;
        case K_PINGPONG: ok = call_ping(w->fd, w->why, sizeof(w->why)); break;
        default: ok = call_rand(w->why, sizeof(w->why)); break;
        }
        if (!ok) {
            atomic_store(&w->failed, true);
            break;
        }
        atomic_store_explicit(&w->calls, ++n, memory_order_relaxed);
    }
    return NULL;
}

static long long total_calls(struct worker *w, int threads)
{
    long long sum = 0;
    for (int i = 0; i < threads; i++)
        sum += atomic_load_explicit(&w[i].calls, memory_order_relaxed);
    return sum;
}

static const char *failure(struct worker *w, int threads)
{
    for (int i = 0; i < threads; i++)
        if (atomic_load(&w[i].failed))
            return w[i].why;
    return NULL;
}

static double server_cpu(const pid_t *pids, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double s = proc_cpu_seconds(pids[i]);
        if (s < 0)
            return -1;
        sum += s;
    }
    return n ? sum : -1;
}

/* Poll CSUACFQ STATCCA until it answers 0 (POST passed). */
static void wait_ready(struct result *r)
{
    double deadline = bench_now() + READY_LIMIT_SECONDS;
    long rc = -1, rs = -1;
    for (;;) {
        unsigned char rules[32][8];
        memset(rules, ' ', sizeof(rules));
        memcpy(rules[0], "STATCCA", 7);
        long count = 1, verb_data_length = 0;
        CSUACFQ(&rc, &rs, NULL, NULL, &count, (unsigned char *)rules, &verb_data_length, NULL);
        if (rc == 0) {
            r->ok = 1;
            return;
        }
        if (bench_now() > deadline) {
            set_error(r, "card not ready after %.0f s: CSUACFQ STATCCA return code %ld, reason code %ld",
                      READY_LIMIT_SECONDS, rc, rs);
            return;
        }
        bench_sleep(0.05);
    }
}

static void measure(enum kind kind, int threads, double seconds, pid_t daemon_pid, const cpu_set_t *pin,
                    struct result *r)
{
    static struct worker workers[MAX_THREADS];
    pid_t servers[MAX_THREADS];
    int server_count = 0;
    char why[200];
    /* Before any fork or thread: echo children and workers inherit it. */
    if (pin && sched_setaffinity(0, sizeof(*pin), pin) != 0) {
        set_error(r, "sched_setaffinity: %s", strerror(errno));
        return;
    }
    if (kind == K_SOCKET)
        servers[server_count++] = daemon_pid;
    /* Everything forked before any thread exists. */
    for (int i = 0; i < threads; i++) {
        workers[i].kind = kind;
        workers[i].fd = -1;
        if (kind != K_PINGPONG)
            continue;
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            set_error(r, "socketpair: %s", strerror(errno));
            return;
        }
        pid_t pid = fork();
        if (pid < 0) {
            set_error(r, "fork: %s", strerror(errno));
            return;
        }
        if (pid == 0) {
            for (int j = 0; j < i; j++)
                close(workers[j].fd);
            close(sv[0]);
            echo_main(sv[1]);
        }
        close(sv[1]);
        workers[i].fd = sv[0];
        servers[server_count++] = pid;
    }
    /* One call first: opens the transport (inproc: runs POST) so a failure
     * is reported plainly rather than as a stalled warm-up. */
    if ((kind == K_SOCKET || kind == K_INPROC) && !call_rngl(why, sizeof(why))) {
        set_error(r, "first call: %s", why);
        return;
    }
    for (int i = 0; i < threads; i++)
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            set_error(r, "pthread_create failed");
            _exit(3); /* threads are running: the parent reads a short result */
        }

    /* Warm-up: every thread connected / seeded and past its first calls. */
    double start = bench_now();
    const char *err = NULL;
    for (;;) {
        bench_sleep(0.01);
        if ((err = failure(workers, threads)) != NULL)
            break;
        bool warm = bench_now() - start >= WARMUP_SECONDS;
        for (int i = 0; warm && i < threads; i++)
            warm = atomic_load(&workers[i].calls) >= WARMUP_CALLS;
        if (warm)
            break;
        if (bench_now() - start > WARMUP_LIMIT_SECONDS) {
            err = "warm-up did not finish";
            break;
        }
    }

    long long c0 = 0, c1 = 0;
    double t0 = 0, t1 = 0, u0 = 0, u1 = 0, s0 = 0, s1 = 0, m0 = 0, m1 = 0;
    if (!err) {
        m0 = system_cpu_seconds();
        s0 = server_cpu(servers, server_count);
        u0 = self_cpu_seconds();
        t0 = bench_now();
        c0 = total_calls(workers, threads);
        double end = t0 + seconds;
        while (!err && bench_now() < end) {
            bench_sleep(end - bench_now() < 0.05 ? end - bench_now() : 0.05);
            err = failure(workers, threads);
        }
        c1 = total_calls(workers, threads);
        t1 = bench_now();
        u1 = self_cpu_seconds();
        s1 = server_cpu(servers, server_count);
        m1 = system_cpu_seconds();
    }
    atomic_store(&phase, PHASE_STOP);
    for (int i = 0; i < threads; i++)
        pthread_join(workers[i].thread, NULL);
    for (int i = 0; i < threads; i++)
        if (workers[i].fd >= 0)
            close(workers[i].fd); /* the echo child sees EOF and exits */
    for (int i = 0; i < server_count; i++)
        if (servers[i] != daemon_pid)
            waitpid(servers[i], NULL, 0);
    if (err) {
        set_error(r, "%s", err);
        return;
    }
    r->ok = 1;
    r->calls = c1 - c0;
    r->seconds = t1 - t0;
    r->client_cpu = u1 - u0;
    r->server_cpu = (s0 >= 0 && s1 >= 0) ? s1 - s0 : -1;
    r->system_cpu = (m0 >= 0 && m1 >= 0) ? m1 - m0 : -1;
    if (r->calls <= 0)
        set_error(r, "no call completed in %.2f s", r->seconds);
}

/* Run one measurement (or the readiness wait) in a forked child. */
static bool run_child(enum kind kind, int threads, double seconds, const char *card, pid_t daemon_pid,
                      const cpu_set_t *pin, struct result *out)
{
    int p[2];
    memset(out, 0, sizeof(*out));
    if (pipe2(p, O_CLOEXEC) != 0) {
        set_error(out, "pipe: %s", strerror(errno));
        return false;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        set_error(out, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (pid == 0) {
        close(p[0]);
        struct result r = {0};
        if (card && setenv("CSU_CARD", card, 1) != 0)
            set_error(&r, "setenv: %s", strerror(errno));
        else if (kind == K_READY)
            wait_ready(&r);
        else
            measure(kind, threads, seconds, daemon_pid, pin, &r);
        _exit(write_all(p[1], &r, sizeof(r)) ? 0 : 3);
    }
    close(p[1]);
    bool got = read_all(p[0], out, sizeof(*out));
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!got) {
        if (WIFSIGNALED(status))
            set_error(out, "measuring child killed by signal %d", WTERMSIG(status));
        else
            set_error(out, "measuring child exited with status %d and no result", WEXITSTATUS(status));
    }
    return out->ok;
}

/* ---- the daemon ----------------------------------------------------------- */

/* ---- main ----------------------------------------------------------------- */

/* CPU seconds per call, both sides. */
static double cpu_per_call(const struct result *r)
{
    return (r->client_cpu + (r->server_cpu > 0 ? r->server_cpu : 0)) / (double)r->calls;
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--seconds N] [--rounds N] [--cpu] [--no-pin] [--csucard PATH | PATH]\n"
            "  --seconds N     measuring time per row (default 2; warm-up comes on top)\n"
            "  --rounds N      run every row N times, interleaved, keep each row's best (default 1)\n"
            "  --cpu           also print CPU time per call, caller and server side\n"
            "  --no-pin        let the scheduler place the 1-thread rows' two ends (default:\n"
            "                  both pinned to one CPU, see the comment at the top of bench_rng.c)\n"
            "  --csucard PATH  the daemon to start (default: csucard next to this program)\n"
            "exit: 0 floors met, 1 a floor missed, 2 could not measure\n",
            prog);
}

int main(int argc, char **argv)
{
    double seconds = 2;
    int rounds = 1;
    bool show_cpu = false, no_pin = false;
    const char *given = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            char *end;
            seconds = strtod(argv[++i], &end);
            if (*end || !(seconds > 0 && seconds <= 3600)) {
                usage(argv[0]);
                return 2;
            }
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > 100) {
                usage(argv[0]);
                return 2;
            }
            rounds = (int)n;
        } else if (strcmp(argv[i], "--cpu") == 0) {
            show_cpu = true;
        } else if (strcmp(argv[i], "--no-pin") == 0) {
            no_pin = true;
        } else if (strcmp(argv[i], "--csucard") == 0 && i + 1 < argc) {
            given = argv[++i];
        } else if (argv[i][0] != '-' && !given) {
            given = argv[i];
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    char csucard[PATH_MAX];
    if (!bench_find_csucard(given, csucard, sizeof(csucard)))
        return 2;

    char dir[] = "/tmp/bench_rng.XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_rng: mkdtemp: %s\n", strerror(errno));
        return 2;
    }
    char daemon_state[PATH_MAX], sock[PATH_MAX], log[PATH_MAX], inproc_state[PATH_MAX];
    char unix_card[PATH_MAX + 8], inproc_card[PATH_MAX + 8];
    snprintf(daemon_state, sizeof(daemon_state), "%s/daemon-state", dir);
    snprintf(inproc_state, sizeof(inproc_state), "%s/inproc-state", dir);
    snprintf(sock, sizeof(sock), "%s/card.sock", dir);
    snprintf(log, sizeof(log), "%s/csucard.log", dir);
    snprintf(unix_card, sizeof(unix_card), "unix:%s", sock);
    snprintf(inproc_card, sizeof(inproc_card), "inproc:%s", inproc_state);

    int status = 2;
    struct result res[K_COUNT][MAX_THREADS + 1];
    memset(res, 0, sizeof(res));
    pid_t daemon_pid = bench_daemon_start(csucard, daemon_state, sock, log, NULL, 0);
    if (daemon_pid < 0) {
        fprintf(stderr, "bench_rng: fork: %s\n", strerror(errno));
        goto out;
    }
    struct result ready;
    if (!bench_daemon_wait_socket(&daemon_pid, sock, READY_LIMIT_SECONDS)) {
        bench_show_log(log);
        goto out;
    }
    if (!run_child(K_READY, 0, 0, unix_card, 0, NULL, &ready)) {
        fprintf(stderr, "bench_rng: %s\n", ready.error);
        goto out;
    }

    /* 1-thread rows: both ends on the first CPU this program may use. */
    cpu_set_t all_cpus, one_cpu;
    CPU_ZERO(&one_cpu);
    if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus) != 0) {
        fprintf(stderr, "bench_rng: sched_getaffinity: %s\n", strerror(errno));
        goto out;
    }
    int pin_cpu = 0;
    while (pin_cpu < CPU_SETSIZE && !CPU_ISSET(pin_cpu, &all_cpus))
        pin_cpu++;
    CPU_SET(pin_cpu, &one_cpu);

    static const enum kind order[] = {K_SOCKET, K_INPROC, K_PINGPONG, K_RAND};
    for (int round = 0; round < rounds; round++)
        for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
            for (int t = 1; t <= MAX_THREADS; t++) {
                enum kind kind = order[k];
                const char *card = kind == K_SOCKET ? unix_card : kind == K_INPROC ? inproc_card : NULL;
                struct result r;
                const cpu_set_t *pin = (t == 1 && !no_pin) ? &one_cpu : NULL;
                if (pin && kind == K_SOCKET && !bench_set_process_affinity(daemon_pid, pin)) {
                    fprintf(stderr, "bench_rng: cannot pin csucard: %s\n", strerror(errno));
                    goto out;
                }
                bool ok = run_child(kind, t, seconds, card, daemon_pid, pin, &r);
                if (pin && kind == K_SOCKET)
                    bench_set_process_affinity(daemon_pid, &all_cpus);
                if (!ok) {
                    fprintf(stderr, "bench_rng: %s, %d thread%s: %s\n", kind_names[kind], t, t > 1 ? "s" : "",
                            r.error);
                    goto out;
                }
                struct result *best = &res[kind][t];
                if (!best->ok || r.calls / r.seconds > best->calls / best->seconds)
                    *best = r;
            }

    double worst_socket = 0, worst_inproc = 0, worst_foreign = 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("CSNBRNGL(RANDOM, 32 bytes) cost, %.1f s per row after warm-up, best of %d round%s, %ld CPUs",
           seconds, rounds, rounds > 1 ? "s" : "", cpus);
    if (no_pin)
        printf(", no pinning\n\n");
    else
        printf(", 1-thread rows: both ends pinned to CPU %d\n\n", pin_cpu);
    printf("| measurement | threads | calls/s | µs/call | cost ratio |\n");
    printf("|---|---:|---:|---:|---|\n");
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
        for (int t = 1; t <= MAX_THREADS; t++) {
            enum kind kind = order[k];
            const struct result *r = &res[kind][t];
            double rate = (double)r->calls / r->seconds;
            double us = 1e6 * r->seconds * t / (double)r->calls; /* per call, as a calling thread sees it */
            char ratio[64] = "baseline";
            if (kind == K_SOCKET || kind == K_INPROC) {
                const struct result *b = &res[kind == K_SOCKET ? K_PINGPONG : K_RAND][t];
                double base_us = 1e6 * b->seconds * t / (double)b->calls;
                double q = us / base_us;
                if (kind == K_SOCKET && q > worst_socket)
                    worst_socket = q;
                if (kind == K_INPROC && q > worst_inproc)
                    worst_inproc = q;
                snprintf(ratio, sizeof(ratio), "%.2f × %s", q, kind == K_SOCKET ? "ping-pong" : "RAND_bytes");
            }
            printf("| %s | %d | %.0f | %.2f | %s |\n", kind_names[kind], t, rate, us, ratio);
        }
    if (show_cpu) {
        printf("\nCPU time per call (µs): this benchmark's measuring process, the server side (daemon or echo\n"
               "children), their sum against the baseline's, and the share of all CPUs other processes\n"
               "took during the row (CPU time per call is far less sensitive to a busy machine than rates)\n\n");
        printf("| measurement | threads | caller CPU µs/call | server CPU µs/call | CPU cost ratio "
               "| other processes |\n");
        printf("|---|---:|---:|---:|---|---:|\n");
    }
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
        for (int t = 1; t <= MAX_THREADS; t++) {
            enum kind kind = order[k];
            const struct result *r = &res[kind][t];
            double foreign = -1;
            if (r->system_cpu >= 0) {
                double ours = r->client_cpu + (r->server_cpu > 0 ? r->server_cpu : 0);
                foreign = (r->system_cpu - ours) / (r->seconds * (double)cpus);
                if (foreign < 0)
                    foreign = 0;
                if (foreign > worst_foreign)
                    worst_foreign = foreign;
            }
            if (!show_cpu)
                continue;
            char server[32] = "-", other[32] = "?", ratio[64] = "baseline";
            if (r->server_cpu >= 0)
                snprintf(server, sizeof(server), "%.2f", 1e6 * r->server_cpu / (double)r->calls);
            if (foreign >= 0)
                snprintf(other, sizeof(other), "%.0f%%", 100 * foreign);
            if (kind == K_SOCKET || kind == K_INPROC) {
                const struct result *b = &res[kind == K_SOCKET ? K_PINGPONG : K_RAND][t];
                snprintf(ratio, sizeof(ratio), "%.2f × %s", cpu_per_call(r) / cpu_per_call(b),
                         kind == K_SOCKET ? "ping-pong" : "RAND_bytes");
            }
            printf("| %s | %d | %.2f | %s | %s | %s |\n", kind_names[kind], t,
                   1e6 * r->client_cpu / (double)r->calls, server, ratio, other);
        }
    if (worst_foreign > WARN_FOREIGN)
        printf("\nwarning: other processes took up to %.0f%% of the CPUs during a row: the rates are not reliable"
               "%s\n",
               100 * worst_foreign, rounds > 1 ? "" : " (--rounds 3 keeps each row's best of 3)");
    bool pass = worst_socket <= SOCKET_FLOOR && worst_inproc <= INPROC_FLOOR;
    printf("\nfloors: socket %.2f (≤ %.2f) inproc %.2f (≤ %.2f): %s\n", worst_socket, SOCKET_FLOOR, worst_inproc,
           INPROC_FLOOR, pass ? "PASS" : "FAIL");
    status = pass ? 0 : 1;

out:
    fflush(NULL);
    if (daemon_pid > 0 && !bench_daemon_stop(daemon_pid)) {
        fprintf(stderr, "bench_rng: csucard did not stop cleanly\n");
        bench_show_log(log);
        if (status == 0)
            status = 2;
    }
    bench_remove_tree(dir);
    return status;
}
