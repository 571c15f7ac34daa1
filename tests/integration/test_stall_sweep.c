/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration 8b: the daemon's stall timeout (server.h: a connection that
 * stalls half-way through a frame for SERVER_STALL_SECONDS is closed; an
 * idle one is kept).
 *
 * Two daemons, watched for 13.5 s:
 *   A, idle (2 workers): 10 connections stalled in a request header and 5
 *     in a body must be closed between 9 and 13.5 s; a connection that never
 *     sent anything and one idle after a complete request (a raw frame,
 *     CSUACFQ STATCCA) must stay open.
 *   B, busy (1 worker, 2 client threads looping CSNBRNGL on it through
 *     CSUACRA CRP02): its 10 stalled connections must be closed as well, and
 *     the idle one kept.  Today the sweep only runs when a worker's
 *     epoll_wait times out, which never happens under steady load: reported
 *     as KNOWN BUG stall-sweep-under-load (fails with IT_STRICT=1).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_util.h"

#define STALL_SECONDS 10 /* SERVER_STALL_SECONDS in card/daemon/server.h */
#define WATCH_MS 13500
#define A_HALF 10
#define A_BODY 5
#define B_HALF 10
#define LOAD_THREADS 2

static int stalled(const char *sock, const unsigned char *bytes, size_t len)
{
    int fd = it_connect_unix(sock);
    if (fd >= 0 && send(fd, bytes, len, MSG_NOSIGNAL) != (ssize_t)len) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static bool read_full(int fd, unsigned char *p, size_t n)
{
    while (n > 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 5000) <= 0)
            return false;
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* A connection that made one complete request (raw CSUACFQ STATCCA) and then idles. */
static int idle_after_request(const char *sock)
{
    static const unsigned char frame[16 + 22] = {
        'C', 'S', 'R', 'Q', 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 22,   /* header: CSUACFQ, body 22 */
        0, 1, 'S', 'T', 'A', 'T', 'C', 'C', 'A', ' ',              /* one rule word */
        0, 1, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0,                        /* OUT_CAPACITY = 0 */
    };
    int fd = stalled(sock, frame, sizeof(frame));
    if (fd < 0)
        return -1;
    unsigned char hdr[20], body[1024];
    if (!read_full(fd, hdr, sizeof(hdr)) || memcmp(hdr, "CSRP", 4) != 0) {
        close(fd);
        return -1;
    }
    unsigned rc = (unsigned)hdr[8] << 24 | (unsigned)hdr[9] << 16 | (unsigned)hdr[10] << 8 | hdr[11];
    size_t len = (size_t)hdr[16] << 24 | (size_t)hdr[17] << 16 | (size_t)hdr[18] << 8 | hdr[19];
    if (rc != 0 || len > sizeof(body) || !read_full(fd, body, len)) {
        it_log("raw STATCCA: return code %u, body %zu\n", rc, len);
        close(fd);
        return -1;
    }
    return fd;
}

static bool closed_by_peer(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 0) == 0)
        return false;
    char c;
    ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);
    return !(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static atomic_bool stop_load;
static atomic_long load_ok, load_err;

static void *load_main(void *arg)
{
    (void)arg;
    unsigned char name[5] = {'C', 'R', 'P', '0', '2'}, rules[8] = {'D', 'E', 'V', 'I', 'C', 'E', ' ', ' '};
    long rc, rs, count = 1, len = 5;
    CSUACRA(&rc, &rs, NULL, NULL, &count, rules, &len, name);
    if (rc != 0) {
        it_log("load thread: CSUACRA CRP02 %ld/%ld\n", rc, rs);
        atomic_fetch_add(&load_err, 1);
        return NULL;
    }
    unsigned char out[32];
    while (!atomic_load(&stop_load)) {
        it_rngl(32, out, &rc, &rs);
        atomic_fetch_add(rc == 0 ? &load_ok : &load_err, 1);
    }
    return NULL;
}

struct watched {
    int fd;
    double closed_s; /* when first seen closed (s after opening), 0 if not */
};

int main(void)
{
    it_begin("stall_sweep", 50);
    struct it_daemon a, b;
    it_daemon_init(&a);
    it_daemon_init(&b);
    char spec_a[200], spec_b[200];
    snprintf(spec_a, sizeof(spec_a), "unix:%s", a.sock);
    snprintf(spec_b, sizeof(spec_b), "unix:%s", b.sock);
    it_setenv("CSU_CARD", spec_a);
    it_setenv("CSU_CARD_CRP02", spec_b);
    const char *const args_a[] = {"--workers", "2", NULL};
    const char *const args_b[] = {"--workers", "1", NULL};
    REQUIRE(it_daemon_start(&a, args_a, 10000) == 0, "daemon A did not start");
    REQUIRE(it_daemon_start(&b, args_b, 10000) == 0, "daemon B did not start");
    REQUIRE(it_wait_post("PASSED", 10000), "POST of A did not pass");
    long rc, rs, one = 1, five = 5;
    unsigned char device[8] = {'D', 'E', 'V', 'I', 'C', 'E', ' ', ' '}, crp02[5] = {'C', 'R', 'P', '0', '2'};
    CSUACRA(&rc, &rs, NULL, NULL, &one, device, &five, crp02);
    REQUIRE(rc == 0, "CSUACRA CRP02: %ld/%ld", rc, rs);
    REQUIRE(it_wait_post("PASSED", 10000), "POST of B did not pass");
    CSUACRD(&rc, &rs, NULL, NULL, &one, device, &five, crp02);
    REQUIRE(rc == 0, "CSUACRD CRP02: %ld/%ld", rc, rs);

    static const unsigned char header[16] = {'C', 'S', 'R', 'Q', 0, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 64};
    unsigned char mid_body[16 + 10] = {0};
    memcpy(mid_body, header, 16);

    struct watched a_stalled[A_HALF + A_BODY], b_stalled[B_HALF], a_idle[2], b_idle;
    int64_t t_open = it_now_ns();
    for (int i = 0; i < A_HALF + A_BODY; i++)
        a_stalled[i] = (struct watched){i < A_HALF ? stalled(a.sock, header, 8)
                                                   : stalled(a.sock, mid_body, sizeof(mid_body)), 0};
    for (int i = 0; i < B_HALF; i++)
        b_stalled[i] = (struct watched){stalled(b.sock, header, 8), 0};
    a_idle[0] = (struct watched){it_connect_unix(a.sock), 0};
    a_idle[1] = (struct watched){idle_after_request(a.sock), 0};
    b_idle = (struct watched){idle_after_request(b.sock), 0};
    for (int i = 0; i < A_HALF + A_BODY; i++)
        REQUIRE(a_stalled[i].fd >= 0, "cannot open stalled connection %d to A", i);
    for (int i = 0; i < B_HALF; i++)
        REQUIRE(b_stalled[i].fd >= 0, "cannot open stalled connection %d to B", i);
    REQUIRE(a_idle[0].fd >= 0 && a_idle[1].fd >= 0 && b_idle.fd >= 0, "cannot open the idle connections");

    pthread_t load[LOAD_THREADS];
    for (int t = 0; t < LOAD_THREADS; t++)
        REQUIRE(pthread_create(&load[t], NULL, load_main, NULL) == 0, "pthread_create");

    struct watched *all[A_HALF + A_BODY + B_HALF + 3];
    int n = 0;
    for (int i = 0; i < A_HALF + A_BODY; i++)
        all[n++] = &a_stalled[i];
    for (int i = 0; i < B_HALF; i++)
        all[n++] = &b_stalled[i];
    all[n++] = &a_idle[0];
    all[n++] = &a_idle[1];
    all[n++] = &b_idle;
    while (it_now_ns() - t_open < (int64_t)WATCH_MS * 1000000) {
        it_sleep_ms(100);
        double s = (double)(it_now_ns() - t_open) / 1e9;
        for (int i = 0; i < n; i++)
            if (all[i]->closed_s == 0 && closed_by_peer(all[i]->fd))
                all[i]->closed_s = s;
    }
    atomic_store(&stop_load, true);
    for (int t = 0; t < LOAD_THREADS; t++)
        pthread_join(load[t], NULL);

    double a_min = 1e9, a_max = 0;
    int a_closed = 0, b_closed = 0;
    for (int i = 0; i < A_HALF + A_BODY; i++) {
        double s = a_stalled[i].closed_s;
        if (s > 0) {
            a_closed++;
            a_min = s < a_min ? s : a_min;
            a_max = s > a_max ? s : a_max;
        }
        CHECK(s == 0 || s >= STALL_SECONDS - 1.0, "A: stalled connection %d closed early, after %.1f s", i, s);
    }
    for (int i = 0; i < B_HALF; i++)
        b_closed += b_stalled[i].closed_s > 0;
    it_log("A (idle): %d of %d stalled connections closed, after %.1f-%.1f s; idle ones open: %s, %s\n", a_closed,
           A_HALF + A_BODY, a_closed ? a_min : 0.0, a_max, a_idle[0].closed_s == 0 ? "yes" : "no",
           a_idle[1].closed_s == 0 ? "yes" : "no");
    it_log("B (busy, %ld calls, %ld errors): %d of %d stalled connections closed within %.1f s; idle one open: %s\n",
           atomic_load(&load_ok), atomic_load(&load_err), b_closed, B_HALF, WATCH_MS / 1000.0,
           b_idle.closed_s == 0 ? "yes" : "no");
    CHECK(a_closed == A_HALF + A_BODY, "A: %d of %d stalled connections still open after %.1f s",
          A_HALF + A_BODY - a_closed, A_HALF + A_BODY, WATCH_MS / 1000.0);
    CHECK(a_idle[0].closed_s == 0, "A: a connection that never sent anything was closed after %.1f s",
          a_idle[0].closed_s);
    CHECK(a_idle[1].closed_s == 0, "A: a connection idle after a complete request was closed after %.1f s",
          a_idle[1].closed_s);
    CHECK(b_idle.closed_s == 0, "B: a connection idle after a complete request was closed after %.1f s",
          b_idle.closed_s);
    CHECK(atomic_load(&load_err) == 0 && atomic_load(&load_ok) > 0, "B: load %ld ok, %ld errors",
          atomic_load(&load_ok), atomic_load(&load_err));
    CHECK(b_closed == B_HALF,
              "B: %d of %d stalled connections still open after %.1f s of steady load (server.c sweeps only on "
              "an idle epoll_wait timeout)",
              B_HALF - b_closed, B_HALF, WATCH_MS / 1000.0);

    for (int i = 0; i < n; i++)
        close(all[i]->fd);
    int status = -1;
    CHECK(it_daemon_stop(&a, SIGTERM, 10000, &status), "daemon A did not stop on SIGTERM");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon A exit status 0x%x", status);
    CHECK(it_daemon_stop(&b, SIGTERM, 10000, &status), "daemon B did not stop on SIGTERM");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon B exit status 0x%x", status);
    if (it_failures) {
        it_daemon_dump_log(&a);
        it_daemon_dump_log(&b);
    }
    it_finish();
}
