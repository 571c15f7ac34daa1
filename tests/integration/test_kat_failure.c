/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration 2: a forced known-answer-test failure (--fail-kat RSA).
 *
 * The card must stay failed: STATCCA, CSNBRNG and CSNBRNGL answer 12/338
 * for as long as we look (2 s), STATPOST answers FAILED and names RSA,
 * STATDIAG answers and shows the error log entry, and the daemon keeps
 * running (and stops cleanly on SIGTERM).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "daemon_util.h"

/* The in-process card with CSU_CARD_FAIL_KAT=RSA (child process). */
static int inproc_child(void)
{
    it_begin("kat_failure-inproc", 40);
    unsigned char e[IT_MAX_ELEMENTS][8], rnd[32];
    long rc, rs;
    long n = it_query("STATPOST", &rc, &rs, e);
    CHECK(rc == 0 && n == 2 && memcmp(e[0], "FAILED  ", 8) == 0 && memcmp(e[1], "RSA     ", 8) == 0,
          "inproc STATPOST: %ld/%ld, %ld elements '%.8s' '%.8s'", rc, rs, n, e[0], e[1]);
    it_query("STATCCA", &rc, &rs, e);
    CHECK_CODES(rc, rs, 12, 338, "inproc STATCCA on a failed card");
    it_rngl(32, rnd, &rc, &rs);
    CHECK_CODES(rc, rs, 12, 338, "inproc CSNBRNGL on a failed card");
    n = it_query("STATDIAG", &rc, &rs, e);
    CHECK(rc == 0 && n == 17, "inproc STATDIAG: %ld/%ld, %ld elements", rc, rs, n);
    it_finish();
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--inproc") == 0)
        return inproc_child();
    it_begin("kat_failure", 50);
    struct it_daemon d;
    it_daemon_init(&d);
    char spec[200];
    snprintf(spec, sizeof(spec), "unix:%s", d.sock);
    it_setenv("CSU_CARD", spec);

    const char *const args[] = {"--workers", "2", "--fail-kat", "RSA", NULL};
    REQUIRE(it_daemon_start(&d, args, 10000) == 0, "csucard did not start");
    REQUIRE(it_wait_post("FAILED", 10000), "STATPOST never said FAILED");

    unsigned char e[IT_MAX_ELEMENTS][8];
    char text[9];
    long rc, rs, n;

    n = it_query("STATPOST", &rc, &rs, e);
    CHECK_CODES(rc, rs, 0, 0, "STATPOST");
    CHECK(n == 2, "STATPOST: %ld elements", n);
    if (rc == 0 && n == 2) {
        CHECK(memcmp(e[0], "FAILED  ", 8) == 0, "STATPOST element 1: '%.8s'", e[0]);
        CHECK(memcmp(e[1], "RSA     ", 8) == 0, "STATPOST element 2: '%.8s'", e[1]);
    }

    /* Failed for good: look for 2 s. */
    unsigned char form[8] = {'R', 'A', 'N', 'D', 'O', 'M', ' ', ' '};
    unsigned char rnd[32];
    int rounds = 0, wrong = 0;
    int64_t t0 = it_now_ns();
    while (it_now_ns() - t0 < 2000000000LL) {
        rounds++;
        it_query("STATCCA", &rc, &rs, e);
        if (rc != 12 || rs != 338) {
            wrong++;
            it_log("STATCCA on a failed card: %ld/%ld\n", rc, rs);
        }
        CSNBRNG(&rc, &rs, NULL, NULL, form, rnd);
        if (rc != 12 || rs != 338) {
            wrong++;
            it_log("CSNBRNG on a failed card: %ld/%ld\n", rc, rs);
        }
        it_rngl(32, rnd, &rc, &rs);
        if (rc != 12 || rs != 338) {
            wrong++;
            it_log("CSNBRNGL on a failed card: %ld/%ld\n", rc, rs);
        }
        static const char *const others[] = {"STATCCAE", "STATAES", "STATCARD", "STATEID", "TIMEDATE"};
        it_query(others[rounds % 5], &rc, &rs, e);
        if (rc != 12 || rs != 338) {
            wrong++;
            it_log("CSUACFQ %s on a failed card: %ld/%ld\n", others[rounds % 5], rc, rs);
        }
        it_sleep_ms(50);
    }
    it_log("%d rounds over 2 s of STATCCA/CSNBRNG/CSNBRNGL/other CSUACFQ: %d not 12/338\n", rounds, wrong);
    CHECK(wrong == 0, "%d calls on the failed card did not answer 12/338", wrong);
    CHECK(rounds >= 10, "only %d rounds in 2 s", rounds);

    n = it_query("STATPOST", &rc, &rs, e);
    CHECK(rc == 0 && n == 2 && memcmp(e[0], "FAILED  ", 8) == 0 && memcmp(e[1], "RSA     ", 8) == 0,
          "STATPOST after 2 s: %ld/%ld, %ld elements '%.8s' '%.8s'", rc, rs, n, e[0], e[1]);

    n = it_query("STATDIAG", &rc, &rs, e);
    CHECK_CODES(rc, rs, 0, 0, "STATDIAG on a failed card");
    CHECK(n == 17, "STATDIAG: %ld elements", n);
    if (rc == 0 && n == 17) {
        CHECK(strcmp(it_element(e, 2, text), "1") == 0, "STATDIAG element 3 (error log): '%.8s'", e[2]);
        /* The last commands are recorded, with the failed ones' return code. */
        CHECK(strcmp(it_element(e, 7, text), "CSUACFQ") == 0, "STATDIAG element 8 (last command): '%.8s'",
              e[7]);
        it_log("STATDIAG: battery %.1s latch %.1s errlog %.1s, last commands %.8s %.8s, rc %.8s %.8s\n", e[0], e[1],
               e[2], e[7], e[8], e[12], e[13]);
    }

    /* A request with an unknown keyword on a failed card: STATPOST-only
     * service must not make parsing errors disappear. */
    n = it_query("BOGUS", &rc, &rs, e);
    CHECK_CODES(rc, rs, 8, 33, "CSUACFQ BOGUS on a failed card");

    CHECK(waitpid(d.pid, NULL, WNOHANG) == 0, "the daemon exited on its own");

    /* The same through the in-process card. */
    char env_card[220], env_kat[] = "CSU_CARD_FAIL_KAT=RSA";
    snprintf(env_card, sizeof(env_card), "CSU_CARD=inproc:%s/inproc-state", d.dir);
    char *env[] = {env_card, env_kat, NULL};
    char *child_argv[] = {argv[0], "--inproc", NULL};
    pid_t pid = it_spawn_self(child_argv, env, NULL);
    REQUIRE(pid > 0, "cannot spawn the inproc child");
    int child_status = -1;
    REQUIRE(it_wait_exit(pid, 30000, &child_status), "inproc child did not finish");
    CHECK(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0, "inproc child status 0x%x", child_status);
    int status = -1;
    CHECK(it_daemon_stop(&d, SIGTERM, 10000, &status), "daemon did not stop on SIGTERM");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon exit status 0x%x", status);
    if (it_failures)
        it_daemon_dump_log(&d);
    it_finish();
}
