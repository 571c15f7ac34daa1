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
    bool spin; /* the last reply came within SPIN_NS: poll before blocking */
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
        c->spin = true;
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

/* Read exactly n bytes (SO_RCVTIMEO bounds the wait). */
static bool recv_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* Bytes read at once: most replies arrive whole in one recv. */
#define FIRST_READ 4096u

/*
 * Spin, then block.  Sleeping in recv() and being woken costs two scheduler
 * round trips per call, and on an idle CPU (a virtual one especially) each
 * wake-up takes 10-15 us: more than a short verb itself.  So while replies
 * come fast, the caller polls the socket for up to SPIN_NS before it blocks;
 * a slow verb (RSA keygen, RSA-4096 sign) turns spinning off for the next
 * call, so a caller never burns more than SPIN_NS per call.  sched_yield()
 * between polls lets the card run when it shares this CPU.
 */
#define SPIN_NS 60000L

static long elapsed_ns(const struct timespec *since)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - since->tv_sec) * 1000000000L + (t.tv_nsec - since->tv_nsec);
}

/* Poll for the first bytes of the reply for up to SPIN_NS; 0 when none came. */
static ssize_t spin_recv(int fd, uint8_t *p, size_t n, const struct timespec *sent)
{
    for (;;) {
        ssize_t r = recv(fd, p, n, MSG_DONTWAIT);
        if (r > 0)
            return r;
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return 0; /* closed or failed: the blocking recv that follows says so */
        if (elapsed_ns(sent) >= SPIN_NS)
            return 0;
        sched_yield();
    }
}

/*
 * Receive one reply frame.  The card answers one request at a time on a
 * connection, so nothing beyond this frame can be in the stream; more bytes
 * than the frame announces mean the stream is broken.
 */
static csu_err recv_reply(struct unix_conn *c, const struct timespec *sent, uint8_t **reply, size_t *reply_len)
{
    int fd = c->fd;
    uint8_t first[FIRST_READ];
    size_t have = 0;
    if (c->spin) {
        ssize_t r = spin_recv(fd, first, sizeof(first), sent);
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
    if (!recv_all(fd, buf + have, total - have)) {
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
        c->spin = elapsed_ns(&sent) < SPIN_NS;
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
