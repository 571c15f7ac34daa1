/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unix-socket transport: one connection per thread, so threads never wait
 * on each other; connections are made on first use and remade after a
 * failure, a fork, or a daemon restart.
 */
#include "csu_transport.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "csu_wire.h"

/* How long a call waits for the card's reply before giving up (ms).  Long
 * enough for the slowest verb (RSA-4096 key generation). */
#define REPLY_TIMEOUT_MS 120000

struct unix_transport {
    struct csu_transport base;
    struct sockaddr_un addr;
    pthread_key_t conn_key;
};

/* A thread's connection; pid tells a forked child not to use its parent's. */
struct unix_conn {
    int fd;
    pid_t pid;
};

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
        c->pid = getpid();
        if (pthread_setspecific(u->conn_key, c) != 0) {
            free(c);
            return NULL;
        }
    }
    if (c->pid != getpid()) { /* forked: the parent owns that connection */
        conn_drop(c);
        c->pid = getpid();
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
    if (rc < 0) {
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

static bool recv_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = poll(&pfd, 1, REPLY_TIMEOUT_MS);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return false;
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

static csu_err recv_reply(int fd, uint8_t **reply, size_t *reply_len)
{
    uint8_t hdr[CSU_WIRE_REP_HEADER];
    if (!recv_all(fd, hdr, sizeof(hdr)))
        return CSU_E_CARD_UNREACHABLE;
    size_t total;
    csu_err err = csu_wire_frame_length(hdr, sizeof(hdr), true, &total);
    if (err != CSU_OK)
        return err;
    uint8_t *buf = malloc(total);
    if (!buf)
        return CSU_E_NOMEM;
    memcpy(buf, hdr, sizeof(hdr));
    if (!recv_all(fd, buf + sizeof(hdr), total - sizeof(hdr))) {
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
        csu_err err = recv_reply(c->fd, reply, reply_len);
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
