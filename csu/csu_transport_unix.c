/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unix-socket transport: one connection per thread, so threads never wait
 * on each other; connections are made on first use and remade after a
 * failure, a fork, or a daemon restart.
 */
#include "csu_transport.h"

#include <errno.h>
#include <sched.h>
#include <time.h>
#include <stdatomic.h>
#include <sys/time.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "csu_wire.h"

/* How long a call waits for the card's reply before giving up (ms).  Long
 * enough for the slowest verb (RSA-4096 key generation). */
#define REPLY_TIMEOUT_MS 120000

struct unix_transport {
    struct csu_transport base;
    struct sockaddr_un addr;
    pthread_key_t conn_key;
};

/* A thread's connection; the fork generation tells a forked child not to
 * use its parent's. */
struct unix_conn {
    int fd;
    unsigned generation;
    long last_ns; /* how long the last reply took: sets the next call's spin budget */
};

/* Bumped in every forked child (cheaper than getpid() on every call). */
static _Atomic unsigned fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void after_fork_in_child(void)
{
    fork_generation++;
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

static void conn_destroy(void *p)
{
    struct unix_conn *c = p;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

static void conn_drop(struct unix_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static struct unix_conn *thread_conn(struct unix_transport *u)
{
    struct unix_conn *c = pthread_getspecific(u->conn_key);
    if (!c) {
        c = malloc(sizeof(*c));
        if (!c)
            return NULL;
        c->fd = -1;
        c->generation = fork_generation;
        c->last_ns = 0;
        if (pthread_setspecific(u->conn_key, c) != 0) {
            free(c);
            return NULL;
        }
    }
    if (c->generation != fork_generation) { /* forked: the parent owns that connection */
        conn_drop(c);
        c->generation = fork_generation;
    }
    return c;
}

static csu_err conn_connect(struct unix_transport *u, struct unix_conn *c)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return CSU_E_CARD_UNREACHABLE;
    int rc;
    do
        rc = connect(fd, (const struct sockaddr *)&u->addr, sizeof(u->addr));
    while (rc < 0 && errno == EINTR);
    /* Timeouts on the socket itself: no poll() before every read. */
    struct timeval tv = {.tv_sec = REPLY_TIMEOUT_MS / 1000};
    if (rc < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
        close(fd);
        return CSU_E_CARD_UNREACHABLE;
    }
    c->fd = fd;
    return CSU_OK;
}

static bool send_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Bytes read at once: most replies arrive whole in one recv. */
#define FIRST_READ 4096u

/*
 * Spin, then block.  Sleeping in recv() and being woken costs two scheduler
 * round trips per call, and on an idle CPU (a virtual one especially) each
 * wake-up takes 10-15 us: more than a short verb, and 5-15 % of an RSA-2048
 * signature.  So the caller polls the socket before it blocks, for as long
 * as the last reply on this connection took plus a margin (at least
 * SPIN_MIN_NS, at most spin_max_ns()): a caller repeating one verb, the
 * usual pattern, spins about as long as the card needs and never sleeps.  A
 * verb slower than the cap (RSA-4096 sign, key generation) is waited for
 * asleep, and the next call spins only SPIN_MIN_NS.  sched_yield() between
 * polls lets the card, or another caller, run when it shares this CPU.
 * CSU_SPIN_US sets the cap (0: never spin), read once per process.
 */
#define SPIN_MIN_NS 60000L
#define SPIN_MAX_NS_DEFAULT 1000000L

static long spin_cap_ns = -1;
static pthread_once_t spin_cap_once = PTHREAD_ONCE_INIT;

static void read_spin_cap(void)
{
    const char *v = getenv("CSU_SPIN_US");
    char *end;
    long us = v && *v ? strtol(v, &end, 10) : -1;
    spin_cap_ns = us >= 0 && us <= 10000000L && v && *end == '\0' ? us * 1000L : SPIN_MAX_NS_DEFAULT;
}

static long spin_max_ns(void)
{
    pthread_once(&spin_cap_once, read_spin_cap);
    return spin_cap_ns;
}

/* How long to poll for this call's reply: the last reply's time and a
 * quarter more, floored at SPIN_MIN_NS; only SPIN_MIN_NS (or the cap, if
 * lower) after a reply slower than the cap.  The cap bounds the CPU a caller
 * burns per call. */
static long spin_budget_ns(const struct unix_conn *c)
{
    long cap = spin_max_ns();
    if (c->last_ns > cap)
        return cap < SPIN_MIN_NS ? cap : SPIN_MIN_NS;
    long want = c->last_ns + c->last_ns / 4;
    if (want < SPIN_MIN_NS)
        want = SPIN_MIN_NS;
    return want < cap ? want : cap;
}

static long elapsed_ns(const struct timespec *since)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - since->tv_sec) * 1000000000L + (t.tv_nsec - since->tv_nsec);
}

/* Poll for up to n bytes until @p deadline_ns after @p sent; 0 when none
 * came in time (or the socket failed: the blocking recv that follows says
 * which). */
static ssize_t spin_recv(int fd, uint8_t *p, size_t n, const struct timespec *sent, long deadline_ns)
{
    for (;;) {
        ssize_t r = recv(fd, p, n, MSG_DONTWAIT);
        if (r > 0)
            return r;
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return 0;
        if (elapsed_ns(sent) >= deadline_ns)
            return 0;
        sched_yield();
    }
}

/* Read exactly n bytes: polling while within the spin budget (the rest of a
 * large reply is usually already on its way), then blocking (SO_RCVTIMEO
 * bounds the wait). */
static bool recv_exact(int fd, uint8_t *p, size_t n, const struct timespec *sent, long budget_ns)
{
    while (n > 0) {
        ssize_t r = budget_ns > 0 ? spin_recv(fd, p, n, sent, budget_ns) : 0;
        if (r == 0) {
            budget_ns = 0;
            r = recv(fd, p, n, 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return false;
        }
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/*
 * Receive one reply frame.  The card answers one request at a time on a
 * connection, so nothing beyond this frame can be in the stream; more bytes
 * than the frame announces mean the stream is broken.
 */
static csu_err recv_reply(struct unix_conn *c, const struct timespec *sent, uint8_t **reply, size_t *reply_len)
{
    int fd = c->fd;
    long budget = spin_budget_ns(c);
    uint8_t first[FIRST_READ];
    size_t have = 0;
    if (budget > 0) {
        ssize_t r = spin_recv(fd, first, sizeof(first), sent, budget);
        have = r > 0 ? (size_t)r : 0;
    }
    while (have < CSU_WIRE_REP_HEADER) {
        ssize_t r = recv(fd, first + have, sizeof(first) - have, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return CSU_E_CARD_UNREACHABLE;
        have += (size_t)r;
    }
    size_t total;
    csu_err err = csu_wire_frame_length(first, have, true, &total);
    if (err == CSU_OK && have > total)
        err = CSU_E_REPLY;
    if (err != CSU_OK) {
        OPENSSL_cleanse(first, have);
        return err;
    }
    uint8_t *buf = malloc(total);
    if (!buf) {
        OPENSSL_cleanse(first, have);
        return CSU_E_NOMEM;
    }
    memcpy(buf, first, have);
    OPENSSL_cleanse(first, have);
    if (!recv_exact(fd, buf + have, total - have, sent, budget)) {
        csu_wire_free(buf, total);
        return CSU_E_CARD_UNREACHABLE;
    }
    *reply = buf;
    *reply_len = total;
    return CSU_OK;
}

static csu_err unix_transact(struct csu_transport *t, const uint8_t *request, size_t request_len, uint8_t **reply,
                             size_t *reply_len)
{
    struct unix_transport *u = (struct unix_transport *)t;
    pthread_once(&atfork_once, register_atfork);
    struct unix_conn *c = thread_conn(u);
    if (!c)
        return CSU_E_NOMEM;
    /* A connection left from before a daemon restart fails on send, before
     * the card saw anything: then one fresh connection is tried. */
    for (int attempt = 0; attempt < 2; attempt++) {
        bool fresh = c->fd < 0;
        if (fresh) {
            csu_err err = conn_connect(u, c);
            if (err != CSU_OK)
                return err;
        }
        if (!send_all(c->fd, request, request_len)) {
            conn_drop(c);
            if (fresh)
                return CSU_E_CARD_UNREACHABLE;
            continue;
        }
        struct timespec sent;
        clock_gettime(CLOCK_MONOTONIC, &sent);
        csu_err err = recv_reply(c, &sent, reply, reply_len);
        c->last_ns = elapsed_ns(&sent);
        if (err != CSU_OK)
            conn_drop(c); /* the stream is out of step: never reuse it */
        return err;
    }
    return CSU_E_CARD_UNREACHABLE;
}

static void unix_finalize(struct csu_transport *t)
{
    struct unix_transport *u = (struct unix_transport *)t;
    struct unix_conn *c = pthread_getspecific(u->conn_key);
    if (c) {
        pthread_setspecific(u->conn_key, NULL);
        conn_destroy(c);
    }
    pthread_key_delete(u->conn_key);
    free(u);
}

csu_err csu_transport_unix_open(const char *path, struct csu_transport **out)
{
    struct unix_transport *u = calloc(1, sizeof(*u));
    if (!u)
        return CSU_E_NOMEM;
    if (strlen(path) >= sizeof(u->addr.sun_path) || path[0] != '/') {
        free(u); /* relative or abstract names are refused: see docs/transport.md */
        return CSU_E_DEV_NAME;
    }
    u->addr.sun_family = AF_UNIX;
    strcpy(u->addr.sun_path, path);
    if (pthread_key_create(&u->conn_key, conn_destroy) != 0) {
        free(u);
        return CSU_E_NOMEM;
    }
    u->base = (struct csu_transport){CSU_TRANSPORT_MAGIC, CSU_TRANSPORT_VERSION, "unix", unix_transact,
                                     unix_finalize};
    *out = &u->base;
    return CSU_OK;
}
