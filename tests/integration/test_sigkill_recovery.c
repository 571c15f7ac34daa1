/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration 4: the daemon is SIGKILLed under load and restarted.
 *
 * 8 threads loop on CSNBRNGL.  Five times: SIGKILL the daemon; every thread
 * must see 12/338 within 1 s of the kill (measured per thread: kill to the
 * return of its first failed call), nothing else (no other code, no crash,
 * no SIGPIPE: SIGPIPE is left at its default action, which would kill the
 * test); then the daemon is restarted on the same state directory and
 * socket path, and every thread must succeed again within 1 s of the
 * restart (spawn to the return of its first good call), in the same
 * process.  At the end the daemon gets SIGTERM under the same load: it must
 * exit 0 and remove its socket, and the threads see only 0/0 and 12/338.  After an error a thread waits 1 ms before its next call, as a
 * retrying client would.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "daemon_util.h"

#define THREADS 8
#define CYCLES 5
#define LIMIT_NS 1000000000LL

struct worker {
    pthread_t thread;
    _Atomic int64_t first_err; /* this cycle: return of the first failed call */
    _Atomic int64_t first_ok;  /* this cycle: first good call after first_err */
    atomic_long ok, err_338, other;
    atomic_long last_other_rc, last_other_rs;
};

static struct worker workers[THREADS];
static atomic_bool stop_workers;

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    unsigned char buf[32];
    while (!atomic_load(&stop_workers)) {
        long rc, rs;
        it_rngl(sizeof(buf), buf, &rc, &rs);
        int64_t now = it_now_ns();
        if (rc == 0 && rs == 0) {
            atomic_fetch_add(&w->ok, 1);
            if (atomic_load(&w->first_err) != 0 && atomic_load(&w->first_ok) == 0)
                atomic_store(&w->first_ok, now);
            continue;
        }
        if (rc == 12 && rs == 338) {
            atomic_fetch_add(&w->err_338, 1);
            int64_t zero = 0;
            atomic_compare_exchange_strong(&w->first_err, &zero, now);
        } else {
            atomic_fetch_add(&w->other, 1);
            atomic_store(&w->last_other_rc, rc);
            atomic_store(&w->last_other_rs, rs);
        }
        it_sleep_ms(1);
    }
    return NULL;
}

/* Wait until every worker's @p field is set, at most @p timeout_ms. */
static bool wait_all(_Atomic int64_t *(*field)(struct worker *), int timeout_ms)
{
    int64_t deadline = it_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        int done = 0;
        for (int t = 0; t < THREADS; t++)
            done += atomic_load(field(&workers[t])) != 0;
        if (done == THREADS)
            return true;
        if (it_now_ns() >= deadline)
            return false;
        it_sleep_ms(1);
    }
}

static _Atomic int64_t *field_err(struct worker *w)
{
    return &w->first_err;
}

static _Atomic int64_t *field_ok(struct worker *w)
{
    return &w->first_ok;
}

int main(void)
{
    it_begin("sigkill_recovery", 55);
    struct it_daemon d;
    it_daemon_init(&d);
    char spec[200];
    snprintf(spec, sizeof(spec), "unix:%s", d.sock);
    it_setenv("CSU_CARD", spec);
    const char *const args[] = {"--workers", "2", NULL};
    REQUIRE(it_daemon_start(&d, args, 10000) == 0, "csucard did not start");
    REQUIRE(it_wait_post("PASSED", 10000), "POST did not pass");

    for (int t = 0; t < THREADS; t++)
        REQUIRE(pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]) == 0, "pthread_create");

    double worst_err = 0, worst_ok = 0, sum_err = 0, sum_ok = 0, worst_listen = 0;
    for (int cycle = 1; cycle <= CYCLES; cycle++) {
        /* Load is flowing on every thread. */
        long before[THREADS];
        for (int t = 0; t < THREADS; t++)
            before[t] = atomic_load(&workers[t].ok);
        it_sleep_ms(300);
        for (int t = 0; t < THREADS; t++)
            CHECK(atomic_load(&workers[t].ok) > before[t], "cycle %d: thread %d made no progress before the kill",
                  cycle, t);
        for (int t = 0; t < THREADS; t++) {
            atomic_store(&workers[t].first_err, 0);
            atomic_store(&workers[t].first_ok, 0);
        }

        /* Kill. */
        int64_t t_kill = it_now_ns();
        kill(d.pid, SIGKILL);
        bool all_err = wait_all(field_err, 3000);
        int status = -1;
        CHECK(it_wait_exit(d.pid, 5000, &status), "killed daemon not reaped");
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "daemon status 0x%x", status);
        d.pid = 0;
        CHECK(all_err, "cycle %d: not every thread saw an error within 3 s of SIGKILL", cycle);
        double cycle_worst = 0;
        for (int t = 0; t < THREADS; t++) {
            int64_t fe = atomic_load(&workers[t].first_err);
            double ms = fe ? it_ms(fe - t_kill) : 99999;
            CHECK(fe == 0 || fe >= t_kill, "cycle %d: thread %d failed before the kill", cycle, t);
            CHECK(ms <= it_ms(LIMIT_NS), "cycle %d: thread %d saw 12/338 %.1f ms after SIGKILL", cycle, t, ms);
            cycle_worst = ms > cycle_worst ? ms : cycle_worst;
            sum_err += ms;
        }
        worst_err = cycle_worst > worst_err ? cycle_worst : worst_err;

        /* Down for a while: calls keep failing fast on the stale socket file. */
        it_sleep_ms(200);

        /* Restart on the same state directory and socket path. */
        int64_t t_restart = it_now_ns();
        d.pid = it_spawn_csucard(d.state, d.sock, d.log, args);
        REQUIRE(d.pid > 0, "cannot restart csucard");
        bool listening = it_wait_socket(d.sock, d.pid, 5000);
        double listen_ms = it_ms(it_now_ns() - t_restart);
        REQUIRE(listening, "cycle %d: restarted daemon does not listen", cycle);
        worst_listen = listen_ms > worst_listen ? listen_ms : worst_listen;
        bool all_ok = wait_all(field_ok, 5000);
        CHECK(all_ok, "cycle %d: not every thread recovered within 5 s of the restart", cycle);
        double cycle_worst_ok = 0;
        for (int t = 0; t < THREADS; t++) {
            int64_t fo = atomic_load(&workers[t].first_ok);
            double ms = fo ? it_ms(fo - t_restart) : 99999;
            CHECK(ms <= it_ms(LIMIT_NS), "cycle %d: thread %d succeeded again %.1f ms after the restart", cycle, t,
                  ms);
            cycle_worst_ok = ms > cycle_worst_ok ? ms : cycle_worst_ok;
            sum_ok += ms;
        }
        worst_ok = cycle_worst_ok > worst_ok ? cycle_worst_ok : worst_ok;
        it_log("cycle %d: slowest thread saw 12/338 %.1f ms after SIGKILL; restarted daemon listening after %.1f ms,"
               " slowest thread recovered %.1f ms after the restart\n",
               cycle, cycle_worst, listen_ms, cycle_worst_ok);
    }

    /* Finally a graceful stop under the same load: SIGTERM lets in-flight
     * requests finish, so the threads see only 0/0 and 12/338. */
    for (int t = 0; t < THREADS; t++) {
        atomic_store(&workers[t].first_err, 0);
        atomic_store(&workers[t].first_ok, 0);
    }
    int64_t t_term = it_now_ns();
    int status = -1;
    kill(d.pid, SIGTERM);
    bool exited = it_wait_exit(d.pid, 10000, &status);
    double term_ms = it_ms(it_now_ns() - t_term);
    CHECK(exited, "daemon did not exit within 10 s of SIGTERM under load");
    if (!exited) {
        kill(d.pid, SIGKILL);
        it_wait_exit(d.pid, 5000, NULL);
    }
    d.pid = 0;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon exit status 0x%x after SIGTERM under load", status);
    struct stat st;
    CHECK(lstat(d.sock, &st) != 0, "socket file left after SIGTERM");
    bool all_err = wait_all(field_err, 3000);
    CHECK(all_err, "not every thread saw 12/338 after SIGTERM");
    double term_worst = 0;
    for (int t = 0; t < THREADS; t++) {
        int64_t fe = atomic_load(&workers[t].first_err);
        double ms = fe ? it_ms(fe - t_term) : 99999;
        term_worst = ms > term_worst ? ms : term_worst;
    }
    CHECK(term_worst <= it_ms(LIMIT_NS), "a thread saw 12/338 only %.1f ms after SIGTERM", term_worst);
    it_log("SIGTERM under load: daemon exited %d after %.1f ms; slowest thread saw 12/338 %.1f ms after the signal\n",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, term_ms, term_worst);

    atomic_store(&stop_workers, true);
    long ok = 0, errs = 0, other = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(workers[t].thread, NULL);
        ok += atomic_load(&workers[t].ok);
        errs += atomic_load(&workers[t].err_338);
        other += atomic_load(&workers[t].other);
        CHECK(atomic_load(&workers[t].other) == 0, "thread %d: %ld answers other than 0/0 and 12/338 (last %ld/%ld)",
              t, atomic_load(&workers[t].other), atomic_load(&workers[t].last_other_rc),
              atomic_load(&workers[t].last_other_rs));
    }
    it_log("summary: %d cycles x %d threads; kill -> first 12/338: mean %.1f ms, max %.1f ms; restart -> first "
           "success: mean %.1f ms, max %.1f ms; daemon listening after max %.1f ms; %ld good calls, %ld 12/338, "
           "%ld other\n",
           CYCLES, THREADS, sum_err / (CYCLES * THREADS), worst_err, sum_ok / (CYCLES * THREADS), worst_ok,
           worst_listen, ok, errs, other);

    if (it_failures)
        it_daemon_dump_log(&d);
    it_finish();
}
