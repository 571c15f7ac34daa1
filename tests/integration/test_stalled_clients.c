/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration 8: stalled clients do not stop the service.
 *
 * 200 local connections each send half a request header (8 of 16 bytes)
 * and stall; 20 more send a whole header announcing a body and stall
 * half-way through it.  A normal client's 100 CSNBRNGL calls must each take
 * less than 100 ms.  Run with one serving thread (the hardest case: a
 * worker that blocked on a stalled connection would stop everything) and
 * with the default (one per CPU).  The stalled connections are still open
 * afterwards (they are closed only after SERVER_STALL_SECONDS), the daemon
 * still accepts new connections, and SIGTERM with them open exits 0.
 * Loopback only: Unix sockets in a private temporary directory.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_util.h"

#define HALF_HEADERS 200
#define MID_BODY 20
#define CALLS 100
#define LIMIT_MS 100.0

static int stalled_connection(const char *sock, const unsigned char *bytes, size_t len)
{
    int fd = it_connect_unix(sock);
    if (fd < 0)
        return -1;
    if (send(fd, bytes, len, MSG_NOSIGNAL) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    return fd;
}

/* True while the daemon has not closed @p fd (no EOF, no error pending). */
static bool still_open(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 0) == 0)
        return true;
    char c;
    ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void run(const char *label, const char *const args[])
{
    struct it_daemon d;
    it_daemon_init(&d);
    char spec[200];
    snprintf(spec, sizeof(spec), "unix:%s", d.sock);
    it_setenv("CSU_CARD", spec);
    REQUIRE(it_daemon_start(&d, args, 10000) == 0, "%s: csucard did not start", label);
    REQUIRE(it_wait_post("PASSED", 10000), "%s: POST did not pass", label);

    /* A request header: "CSRQ", version 1, op CSNBRNGL, flags 0, body 64. */
    static const unsigned char header[16] = {'C', 'S', 'R', 'Q', 0, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 64};
    unsigned char mid_body[16 + 10] = {0};
    memcpy(mid_body, header, 16);
    int fds[HALF_HEADERS + MID_BODY];
    int opened = 0;
    for (int i = 0; i < HALF_HEADERS + MID_BODY; i++) {
        fds[i] = i < HALF_HEADERS ? stalled_connection(d.sock, header, 8)
                                  : stalled_connection(d.sock, mid_body, sizeof(mid_body));
        opened += fds[i] >= 0;
    }
    CHECK(opened == HALF_HEADERS + MID_BODY, "%s: only %d of %d stalled connections made", label, opened,
          HALF_HEADERS + MID_BODY);

    /* The normal client. */
    double ms[CALLS];
    int errors = 0;
    for (int i = 0; i < CALLS; i++) {
        unsigned char out[32];
        long rc, rs;
        int64_t t0 = it_now_ns();
        it_rngl(32, out, &rc, &rs);
        ms[i] = it_ms(it_now_ns() - t0);
        if (rc != 0 || rs != 0) {
            errors++;
            it_log("%s: call %d: %ld/%ld\n", label, i, rc, rs);
        }
        CHECK(ms[i] < LIMIT_MS, "%s: call %d took %.1f ms", label, i, ms[i]);
    }
    CHECK(errors == 0, "%s: %d of %d calls failed", label, errors, CALLS);
    qsort(ms, CALLS, sizeof(ms[0]), cmp_double);
    double sum = 0;
    for (int i = 0; i < CALLS; i++)
        sum += ms[i];
    it_log("%s: %d stalled connections open; %d CSNBRNGL calls: mean %.3f ms, median %.3f ms, p99 %.3f ms, max "
           "%.3f ms, %d errors\n",
           label, opened, CALLS, sum / CALLS, ms[CALLS / 2], ms[CALLS * 99 / 100], ms[CALLS - 1], errors);

    /* Other clients still get in, and the stalled ones were not dropped early. */
    unsigned char e[IT_MAX_ELEMENTS][8];
    long rc, rs;
    it_query("STATCCA", &rc, &rs, e);
    CHECK_CODES(rc, rs, 0, 0, "STATCCA with stalled connections open");
    CHECK(it_socket_accepts(d.sock), "%s: a new connection is refused", label);
    int open_now = 0;
    for (int i = 0; i < HALF_HEADERS + MID_BODY; i++)
        open_now += fds[i] >= 0 && still_open(fds[i]);
    CHECK(open_now == opened, "%s: %d of %d stalled connections closed within a second", label, opened - open_now,
          opened);

    /* SIGTERM with the stalled connections still open. */
    int status = -1;
    CHECK(it_daemon_stop(&d, SIGTERM, 10000, &status), "%s: daemon did not stop on SIGTERM", label);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: daemon exit status 0x%x", label, status);
    for (int i = 0; i < HALF_HEADERS + MID_BODY; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (it_failures)
        it_daemon_dump_log(&d);
}

/* Each configuration runs in a fresh process: the library keeps the card a
 * process first used. */
int main(int argc, char **argv)
{
    const char *const one_worker[] = {"--workers", "1", NULL};
    if (argc == 3 && strcmp(argv[1], "--phase") == 0) {
        bool one = strcmp(argv[2], "1") == 0;
        it_begin(one ? "stalled_clients-1-worker" : "stalled_clients-default", 50);
        run(one ? "1 worker" : "default workers", one ? one_worker : NULL);
        it_finish();
    }
    it_begin("stalled_clients", 55);
    static const char *const phases[] = {"1", "default"};
    for (int i = 0; i < 2; i++) {
        char *child_argv[] = {argv[0], "--phase", (char *)phases[i], NULL};
        pid_t pid = it_spawn_self(child_argv, NULL, NULL);
        REQUIRE(pid > 0, "cannot spawn phase %s", phases[i]);
        int status = -1;
        REQUIRE(it_wait_exit(pid, 50000, &status), "phase %s did not finish", phases[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "phase %s: status 0x%x", phases[i], status);
    }
    it_finish();
}
