/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration 8c: connection churn.
 *
 * 4 threads open and at once close 1,000 connections each (what a health
 * check or a second daemon's "socket in use?" probe does) while a normal
 * client makes CSNBRNGL calls.  The daemon must survive, answer every call
 * and exit 0 on SIGTERM.
 *
 * Today server.c's accept_all() writes c->busy after it has put the new
 * connection into the shared epoll set; when the peer has already closed,
 * another worker gets the event and frees the connection first (ASan:
 * heap-use-after-free in accept_all).  ASan builds catch it in nearly every
 * run; it is reported as KNOWN BUG accept-uaf (fails with IT_STRICT=1).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_util.h"

#define CHURN_THREADS 4
#define CHURN_EACH 1000

static const char *sock_path;
static atomic_long churned, refused;

static void *churn_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < CHURN_EACH; i++) {
        int fd = it_connect_unix(sock_path); /* then closed at once */
        atomic_fetch_add(fd >= 0 ? &churned : &refused, 1);
        if (fd >= 0)
            close(fd);
    }
    return NULL;
}

int main(void)
{
    it_begin("connection_churn", 50);
    struct it_daemon d;
    it_daemon_init(&d);
    char spec[200];
    snprintf(spec, sizeof(spec), "unix:%s", d.sock);
    it_setenv("CSU_CARD", spec);
    const char *const args[] = {"--workers", "2", NULL};
    REQUIRE(it_daemon_start(&d, args, 10000) == 0, "csucard did not start");
    REQUIRE(it_wait_post("PASSED", 10000), "POST did not pass");
    sock_path = d.sock;

    pthread_t t[CHURN_THREADS];
    int64_t t0 = it_now_ns();
    for (int i = 0; i < CHURN_THREADS; i++)
        REQUIRE(pthread_create(&t[i], NULL, churn_main, NULL) == 0, "pthread_create");
    long calls = 0, good = 0;
    unsigned char out[32];
    long rc, rs;
    while (atomic_load(&churned) + atomic_load(&refused) < CHURN_THREADS * CHURN_EACH &&
           it_now_ns() - t0 < 20000000000LL) {
        it_rngl(32, out, &rc, &rs);
        calls++;
        good += rc == 0 && rs == 0;
    }
    for (int i = 0; i < CHURN_THREADS; i++)
        pthread_join(t[i], NULL);
    double secs = (double)(it_now_ns() - t0) / 1e9;
    it_log("%ld connections opened and closed (%ld refused) in %.2f s; meanwhile %ld of %ld CSNBRNGL calls good\n",
           atomic_load(&churned), atomic_load(&refused), secs, good, calls);
    it_sleep_ms(200); /* let the daemon finish with the last of them */

    CHECK(waitpid(d.pid, NULL, WNOHANG) == 0, "the daemon died during the churn");
    CHECK(atomic_load(&refused) == 0, "%ld connections refused", atomic_load(&refused));
    CHECK(good == calls, "%ld of %ld calls failed during the churn", calls - good, calls);
    it_rngl(32, out, &rc, &rs);
    CHECK_CODES(rc, rs, 0, 0, "CSNBRNGL after the churn");
    int status = -1;
    CHECK(it_daemon_stop(&d, SIGTERM, 10000, &status), "daemon did not stop on SIGTERM");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon exit status 0x%x", status);
    if (it_failures)
        it_daemon_dump_log(&d);
    it_finish();
}
