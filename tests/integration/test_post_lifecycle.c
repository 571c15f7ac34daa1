/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration 1: the card's power-on self-test as a client sees it.
 *
 *   - no daemon yet: CSUACFQ STATCCA answers 12/338 at once (< 1 s);
 *   - daemon started with --post-seconds 3: while POST runs STATCCA and
 *     CSNBRNGL answer 12/338, STATPOST answers RUNNING, STATDIAG answers;
 *   - polling STATCCA (IBM's FAQ pattern) succeeds once POST is done, not
 *     before the 3 s, and then STATCCA is 0/0 with 6 elements, element 4
 *     starting "7.5.52", and STATPOST says PASSED.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "daemon_util.h"

#define POST_SECONDS 3

int main(void)
{
    it_begin("post_lifecycle", 50);
    struct it_daemon d;
    it_daemon_init(&d);
    char spec[200];
    snprintf(spec, sizeof(spec), "unix:%s", d.sock);
    it_setenv("CSU_CARD", spec);

    unsigned char e[IT_MAX_ELEMENTS][8];
    char text[9];
    long rc, rs, n;

    /* ---- no daemon: unreachable, answered at once ---- */
    int64_t t0 = it_now_ns();
    it_query("STATCCA", &rc, &rs, e);
    int64_t dt = it_now_ns() - t0;
    CHECK_CODES(rc, rs, 12, 338, "STATCCA without a daemon");
    CHECK(dt < 1000000000, "STATCCA without a daemon took %.1f ms", it_ms(dt));
    it_log("no daemon: STATCCA %ld/%ld in %.3f ms\n", rc, rs, it_ms(dt));
    it_query("STATPOST", &rc, &rs, e);
    CHECK_CODES(rc, rs, 12, 338, "STATPOST without a daemon");
    unsigned char rnd[32];
    t0 = it_now_ns();
    it_rngl(32, rnd, &rc, &rs);
    dt = it_now_ns() - t0;
    CHECK_CODES(rc, rs, 12, 338, "CSNBRNGL without a daemon");
    CHECK(dt < 1000000000, "CSNBRNGL without a daemon took %.1f ms", it_ms(dt));

    /* ---- daemon in POST ---- */
    const char *const args[] = {"--workers", "2", "--post-seconds", "3", NULL};
    int64_t t_start = it_now_ns();
    REQUIRE(it_daemon_start(&d, args, 10000) == 0, "csucard did not start");
    it_log("daemon listening %.1f ms after spawn\n", it_ms(it_now_ns() - t_start));

    it_query("STATCCA", &rc, &rs, e);
    CHECK_CODES(rc, rs, 12, 338, "STATCCA during POST");
    n = it_query("STATPOST", &rc, &rs, e);
    CHECK_CODES(rc, rs, 0, 0, "STATPOST during POST");
    CHECK(n == 2, "STATPOST during POST: %ld elements", n);
    if (rc == 0 && n >= 2) {
        CHECK(memcmp(e[0], "RUNNING ", 8) == 0, "STATPOST element 1 during POST: '%.8s'", e[0]);
        CHECK(memcmp(e[1], "        ", 8) == 0, "STATPOST element 2 during POST: '%.8s'", e[1]);
    }
    n = it_query("STATDIAG", &rc, &rs, e);
    CHECK_CODES(rc, rs, 0, 0, "STATDIAG during POST");
    CHECK(n == 17, "STATDIAG during POST: %ld elements", n);
    it_rngl(32, rnd, &rc, &rs);
    CHECK_CODES(rc, rs, 12, 338, "CSNBRNGL during POST");
    unsigned char form[8] = {'R', 'A', 'N', 'D', 'O', 'M', ' ', ' '};
    CSNBRNG(&rc, &rs, NULL, NULL, form, rnd);
    CHECK_CODES(rc, rs, 12, 338, "CSNBRNG during POST");

    /* ---- the FAQ pattern: poll until CSUACFQ succeeds ---- */
    int polls = 0, not_ready = 0, unexpected = 0;
    int64_t t_ready = 0;
    while (it_now_ns() - t_start < 30 * 1000000000LL) {
        polls++;
        it_query("STATCCA", &rc, &rs, e);
        if (rc == 0 && rs == 0) {
            t_ready = it_now_ns();
            break;
        }
        if (rc == 12 && rs == 338)
            not_ready++;
        else {
            unexpected++;
            it_log("unexpected STATCCA answer while polling: %ld/%ld\n", rc, rs);
        }
        it_sleep_ms(100);
    }
    REQUIRE(t_ready != 0, "STATCCA never succeeded within 30 s");
    double post_s = (double)(t_ready - t_start) / 1e9;
    it_log("POST done: STATCCA 0/0 after %.3f s (%d polls, %d answered 12/338)\n", post_s, polls, not_ready);
    CHECK(unexpected == 0, "%d unexpected answers while polling", unexpected);
    CHECK(post_s >= POST_SECONDS - 0.05, "POST ended after %.3f s, before the %d s asked for", post_s,
          POST_SECONDS);
    CHECK(post_s < POST_SECONDS + 10, "POST took %.3f s", post_s);
    CHECK(not_ready >= 10, "only %d polls saw the card not ready", not_ready);

    /* ---- ready ---- */
    n = it_query("STATCCA", &rc, &rs, e);
    CHECK_CODES(rc, rs, 0, 0, "STATCCA after POST");
    CHECK(n == 6, "STATCCA after POST: %ld elements", n);
    if (rc == 0 && n == 6) {
        CHECK(memcmp(e[3], "7.5.52", 6) == 0, "STATCCA element 4: '%.8s'", e[3]);
        bool digits = true;
        for (int i = 0; i < 8; i++)
            digits = digits && isdigit(e[4][i]);
        CHECK(digits, "STATCCA element 5 (build date): '%.8s'", e[4]);
        CHECK(strcmp(it_element(e, 5, text), "DEFAULT") == 0, "STATCCA element 6 (role): '%.8s'", e[5]);
        for (int i = 0; i < 3; i++)
            CHECK(strcmp(it_element(e, i, text), "1") == 0, "STATCCA element %d: '%.8s'", i + 1, e[i]);
        it_log("STATCCA: '%.8s' '%.8s' '%.8s' '%.8s' '%.8s' '%.8s'\n", e[0], e[1], e[2], e[3], e[4], e[5]);
    }
    n = it_query("STATPOST", &rc, &rs, e);
    CHECK_CODES(rc, rs, 0, 0, "STATPOST after POST");
    CHECK(n == 2 && memcmp(e[0], "PASSED  ", 8) == 0 && memcmp(e[1], "        ", 8) == 0,
          "STATPOST after POST: %ld elements '%.8s' '%.8s'", n, e[0], e[1]);
    it_rngl(32, rnd, &rc, &rs);
    CHECK_CODES(rc, rs, 0, 0, "CSNBRNGL after POST");
    CSNBRNG(&rc, &rs, NULL, NULL, form, rnd);
    CHECK_CODES(rc, rs, 0, 0, "CSNBRNG after POST");

    int status = -1;
    CHECK(it_daemon_stop(&d, SIGTERM, 10000, &status), "daemon did not stop on SIGTERM");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon exit status 0x%x", status);
    if (it_failures)
        it_daemon_dump_log(&d);
    it_finish();
}
