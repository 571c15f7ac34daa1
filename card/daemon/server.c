/* SPDX-License-Identifier: Apache-2.0 */
/* The card's Unix-socket server (model described in server.h). */
#include "server.h"

#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "card_internal.h"
#include "csu_wire.h"
#include "log.h"

#define WRITE_TIMEOUT_MS 5000

struct conn {
    int fd;
    uid_t uid;
    pid_t pid;
    uint8_t *buf;
    size_t cap;      /* allocated bytes of buf */
    size_t have;     /* bytes received of the current frame */
    size_t need;     /* whole frame length once the header is in, else 0 */
    time_t started;  /* when the current partial frame began */
    bool busy;       /* owned by a worker (event being handled) */
    struct conn *prev, *next;
};

struct server {
    struct card *card;
    char *socket_path;
    int listen_fd;
    int epoll_fd;
    int stop_fd; /* eventfd: readable once stopping */
    unsigned worker_count;
    pthread_t *workers;
    pthread_mutex_t lock; /* guards the connection list and counts */
    struct conn *conns;
    unsigned conn_count;
    _Atomic time_t last_sweep;
    atomic_bool spinning; /* one worker at a time polls (see hold_connection) */
    atomic_uint shared_polls; /* requests left to serve with spin_for_event (see there) */
};

/* epoll data for the two non-connection descriptors. */
static char listen_marker, stop_marker;

static void conn_list_add(struct server *s, struct conn *c)
{
    pthread_mutex_lock(&s->lock);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->conn_count++;
    pthread_mutex_unlock(&s->lock);
}

static void conn_close(struct server *s, struct conn *c)
{
    pthread_mutex_lock(&s->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->conn_count--;
    pthread_mutex_unlock(&s->lock);
    close(c->fd); /* also removes it from the epoll set */
    csu_wire_free(c->buf, c->cap);
    free(c);
}

/* Give the connection back to the epoll set for its next request; close it
 * when the set will not take it back (no event would ever come for it). */
static void conn_rearm(struct server *s, struct conn *c)
{
    pthread_mutex_lock(&s->lock);
    c->busy = false;
    pthread_mutex_unlock(&s->lock);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.ptr = c};
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        conn_close(s, c);
}

static void accept_all(struct server *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            break;
        struct ucred cred = {0};
        socklen_t len = sizeof(cred);
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
        pthread_mutex_lock(&s->lock);
        bool full = s->conn_count >= SERVER_MAX_CONNECTIONS;
        pthread_mutex_unlock(&s->lock);
        struct conn *c = full ? NULL : calloc(1, sizeof(*c));
        if (!c) {
            log_msg(LOG_WARN, "refusing connection from uid %u pid %d: %s", (unsigned)cred.uid, (int)cred.pid,
                    full ? "too many connections" : "out of memory");
            close(fd);
            continue;
        }
        *c = (struct conn){.fd = fd, .uid = cred.uid, .pid = cred.pid};
        log_msg(LOG_INFO, "connection from uid %u pid %d", (unsigned)cred.uid, (int)cred.pid);
        conn_list_add(s, c);
        /* Once added, another worker may own (and even free) c: do not touch it after. */
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.ptr = c};
        if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0)
            conn_close(s, c);
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = &listen_marker};
    epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->listen_fd, &ev);
}

static bool send_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            if (poll(&pfd, 1, WRITE_TIMEOUT_MS) > 0)
                continue;
        }
        return false;
    }
    return true;
}

/* Bytes a connection buffer holds at least: a whole small request in one recv. */
#define READ_CHUNK 4096u

/* Make room for @p total bytes; the frame length was checked against the limit. */
static bool conn_reserve(struct conn *c, size_t total)
{
    if (total < READ_CHUNK)
        total = READ_CHUNK;
    if (total <= c->cap)
        return true;
    uint8_t *p = malloc(total);
    if (!p)
        return false;
    if (c->have)
        memcpy(p, c->buf, c->have);
    csu_wire_free(c->buf, c->cap);
    c->buf = p;
    c->cap = total;
    return true;
}

/* Send the pieces of a reply with sendmsg (no copy into one buffer), waiting
 * up to WRITE_TIMEOUT_MS whenever the socket buffer is full. */
static bool send_gather(int fd, const struct csu_wire_gather *g)
{
    struct iovec iov[CSU_WIRE_IOV_MAX];
    for (unsigned i = 0; i < g->count; i++)
        iov[i] = (struct iovec){(void *)g->piece[i].base, g->piece[i].len};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = g->count};
    while (m.msg_iovlen > 0) {
        ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            if (poll(&pfd, 1, WRITE_TIMEOUT_MS) > 0)
                continue;
        }
        if (w <= 0)
            return false;
        size_t sent = (size_t)w;
        while (m.msg_iovlen > 0 && sent >= m.msg_iov->iov_len) { /* drop the pieces sent */
            sent -= m.msg_iov->iov_len;
            m.msg_iov++;
            m.msg_iovlen--;
        }
        if (m.msg_iovlen > 0) {
            m.msg_iov->iov_base = (uint8_t *)m.msg_iov->iov_base + sent;
            m.msg_iov->iov_len -= sent;
        }
    }
    return true;
}

/* Run the complete frame at the front of c->buf and send the reply; keep
 * what follows it (a client that pipelines) for the next round. */
static bool serve_frame(struct card_worker *w, struct conn *c)
{
    struct card_reply r;
    if (card_process_gather(w, c->buf, c->need, &r) != CSU_OK)
        return false;
    bool ok = send_gather(c->fd, &r.gather);
    card_reply_release(&r);
    size_t rest = c->have - c->need;
    memmove(c->buf, c->buf + c->need, rest);
    OPENSSL_cleanse(c->buf + rest, c->need); /* requests can carry key material */
    c->have = rest;
    c->need = 0;
    if (rest)
        c->started = time(NULL);
    return ok;
}

/* A frame whose header is unusable: answer 16/556, then drop the stream. */
static void refuse_stream(struct card_worker *w, struct conn *c)
{
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    if (card_process(w, c->buf, c->have, &reply, &reply_len) == CSU_OK)
        send_all(c->fd, reply, reply_len);
    csu_wire_free(reply, reply_len);
}

/* Serve every complete frame in the buffer.  @return false to close. */
static bool serve_buffered(struct card_worker *w, struct conn *c)
{
    for (;;) {
        if (!c->need) {
            if (c->have < CSU_WIRE_REQ_HEADER)
                return true;
            if (csu_wire_frame_length(c->buf, c->have, false, &c->need) != CSU_OK) {
                refuse_stream(w, c);
                return false;
            }
        }
        if (c->have < c->need)
            return conn_reserve(c, c->need);
        if (!serve_frame(w, c))
            return false;
    }
}

static long elapsed_ns(const struct timespec *since)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - since->tv_sec) * 1000000000L + (t.tv_nsec - since->tv_nsec);
}

/*
 * A large request (a 64 KiB encipher) comes in pieces of at most about
 * 32 KiB from the socket, the rest a few microseconds behind the first.
 * Re-arming and taking the next event for each piece costs a trip through
 * epoll (and a wake-up when the worker has gone to sleep meanwhile), so the
 * worker polls for the rest of a started frame for up to READ_SPIN_NS; a
 * frame still incomplete then (a slow or stalled sender) waits for its next
 * event as before.
 */
#define READ_SPIN_NS 50000L

static bool conn_read_rest(struct card_worker *w, struct conn *c)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (c->need > c->have) {
        if (!conn_reserve(c, c->need))
            return false;
        ssize_t r = recv(c->fd, c->buf + c->have, c->cap - c->have, MSG_DONTWAIT);
        if (r == 0)
            return false;
        if (r < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return false;
            if (elapsed_ns(&start) >= READ_SPIN_NS)
                return true;
            sched_yield();
            continue;
        }
        c->have += (size_t)r;
        if (!serve_buffered(w, c))
            return false;
        if (elapsed_ns(&start) >= READ_SPIN_NS)
            return true; /* a sender streaming without pause must not keep this worker */
    }
    return true;
}

/*
 * One recv of what the connection has (a small request arrives whole), then
 * serve the complete frames.  A frame still incomplete waits for the next
 * event: the connection is re-armed, and level-triggered readiness fires
 * again at once if more bytes are already there.
 * @return false when the connection must be closed.
 */
static bool conn_read(struct card_worker *w, struct conn *c)
{
    if (!conn_reserve(c, c->need))
        return false;
    ssize_t r = recv(c->fd, c->buf + c->have, c->cap - c->have, 0);
    if (r == 0)
        return false;
    if (r < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (c->have == 0)
        c->started = time(NULL);
    c->have += (size_t)r;
    return serve_buffered(w, c) && conn_read_rest(w, c);
}

/*
 * Shut down connections stalled half-way through a frame; their owner closes
 * them.  Runs at most once a second, from whichever worker passes by, busy
 * or idle.  A connection's buffer fields are written only while it is busy,
 * and busy is read under the lock, so reading them when not busy is safe.
 */
static void sweep_stalled(struct server *s)
{
    time_t now = time(NULL);
    time_t last = atomic_load_explicit(&s->last_sweep, memory_order_relaxed);
    if (now == last || !atomic_compare_exchange_strong(&s->last_sweep, &last, now))
        return;
    pthread_mutex_lock(&s->lock);
    for (struct conn *c = s->conns; c; c = c->next)
        if (!c->busy && c->have > 0 && now - c->started >= SERVER_STALL_SECONDS) {
            log_msg(LOG_WARN, "closing stalled connection of uid %u", (unsigned)c->uid);
            shutdown(c->fd, SHUT_RDWR);
        }
    pthread_mutex_unlock(&s->lock);
}

/*
 * Spin, then block.  A worker that has just replied keeps the connection
 * for up to SPIN_NS and polls it directly (recv with MSG_DONTWAIT) for the
 * caller's next request, and the shared epoll set every few polls for
 * anything else; then it re-arms the connection and sleeps in epoll_wait.
 * A caller making call after call sends its next request within
 * microseconds: reading it straight from the socket saves the epoll round
 * (wait, re-arm) on every request, and a sleeping worker would cost a
 * wake-up (10-15 us on an idle virtual CPU).  At most one worker spins at a
 * time, the others sleep, so an idle card burns no CPU once SPIN_NS has
 * passed and a busy one never more than one CPU for polling; an event for
 * another connection ends the spin at once (the held connection is re-armed
 * first), so the threading model of server.h is unchanged.
 */
#define SPIN_NS 60000L
#define POLLS_PER_EPOLL 8u

/*
 * Holding one connection suits one busy caller.  With several, the one
 * spinning worker would switch connections on every request and the other
 * callers' requests would wake sleeping workers, so when another
 * connection's request ends a hold, the next SHARED_POLL_REQUESTS requests
 * are followed by polling the shared epoll set instead (spin_for_event):
 * whichever connection speaks next is taken without a wake-up.
 */
#define SHARED_POLL_REQUESTS 256u

enum hold_end { HOLD_IDLE, HOLD_EVENT, HOLD_CLOSED };

/* Poll the shared epoll set for up to SPIN_NS; the event count (0: none). */
static int spin_for_event(struct server *s, struct epoll_event *ev)
{
    bool expected = false;
    if (!atomic_compare_exchange_strong(&s->spinning, &expected, true))
        return 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int n;
    for (unsigned polls = 1; (n = epoll_wait(s->epoll_fd, ev, 1, 0)) == 0; polls++)
        if (polls % POLLS_PER_EPOLL == 0) {
            if (elapsed_ns(&start) >= SPIN_NS)
                break;
            sched_yield();
        }
    atomic_store(&s->spinning, false);
    return n;
}

/* True while requests should be followed by spin_for_event, counting this one. */
static bool shared_polling(struct server *s)
{
    unsigned left = atomic_load_explicit(&s->shared_polls, memory_order_relaxed);
    while (left > 0 && !atomic_compare_exchange_weak(&s->shared_polls, &left, left - 1))
        ;
    return left > 0;
}

/* One direct poll of the held connection: bytes came (and every whole frame
 * among them was served), nothing yet, or it must be closed. */
enum poll_result { POLL_PROGRESS, POLL_NOTHING, POLL_CLOSE };

static enum poll_result poll_held(struct card_worker *w, struct conn *c)
{
    if (!conn_reserve(c, c->need))
        return POLL_CLOSE;
    ssize_t r = recv(c->fd, c->buf + c->have, c->cap - c->have, MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return POLL_NOTHING;
    if (r <= 0)
        return POLL_CLOSE;
    if (c->have == 0)
        c->started = time(NULL);
    c->have += (size_t)r;
    return serve_buffered(w, c) && conn_read_rest(w, c) ? POLL_PROGRESS : POLL_CLOSE;
}

/*
 * Hold @p c (just served, not re-armed) and serve what it sends next, as
 * above; on return it is re-armed or closed.  HOLD_EVENT: another event was
 * taken from the epoll set into @p ev and must be handled.
 */
static enum hold_end hold_connection(struct server *s, struct card_worker *w, struct conn *c,
                                     struct epoll_event *ev)
{
    bool expected = false;
    if (!atomic_compare_exchange_strong(&s->spinning, &expected, true)) {
        conn_rearm(s, c); /* another worker is spinning: sleep */
        return HOLD_IDLE;
    }
    enum hold_end end = HOLD_IDLE;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    /* The epoll set is looked at every POLLS_PER_EPOLL polls whether or not
     * the held connection sent anything, so a caller sending back to back
     * cannot keep the others waiting. */
    for (unsigned polls = 1;; polls++) {
        if (polls % POLLS_PER_EPOLL == 0) {
            if (epoll_wait(s->epoll_fd, ev, 1, 0) > 0) {
                end = HOLD_EVENT;
                if (ev->data.ptr != &stop_marker && ev->data.ptr != &listen_marker)
                    atomic_store(&s->shared_polls, SHARED_POLL_REQUESTS);
                break;
            }
            if (elapsed_ns(&start) >= SPIN_NS)
                break;
            sched_yield();
        }
        enum poll_result r = poll_held(w, c);
        if (r == POLL_CLOSE) {
            end = HOLD_CLOSED;
            break;
        }
        if (r == POLL_PROGRESS) /* the caller is active: hold it another SPIN_NS */
            clock_gettime(CLOCK_MONOTONIC, &start);
    }
    atomic_store(&s->spinning, false);
    if (end == HOLD_CLOSED)
        conn_close(s, c);
    else
        conn_rearm(s, c);
    return end;
}

static void *worker_main(void *arg)
{
    struct server *s = arg;
    struct card_worker *w;
    if (card_worker_open(s->card, &w) != CSU_OK) {
        log_msg(LOG_ERROR, "cannot start a card worker");
        return NULL;
    }
    struct epoll_event ev;
    bool have_event = false;
    for (;;) {
        if (!have_event) {
            int n = epoll_wait(s->epoll_fd, &ev, 1, 1000);
            if (n < 0 && errno != EINTR)
                break;
            sweep_stalled(s);
            if (n <= 0)
                continue;
        }
        have_event = false;
        if (ev.data.ptr == &stop_marker)
            break;
        if (ev.data.ptr == &listen_marker) {
            accept_all(s);
            continue;
        }
        struct conn *c = ev.data.ptr;
        pthread_mutex_lock(&s->lock);
        c->busy = true;
        pthread_mutex_unlock(&s->lock);
        if (!conn_read(w, c)) {
            conn_close(s, c);
            continue;
        }
        if (shared_polling(s)) {
            conn_rearm(s, c);
            have_event = spin_for_event(s, &ev) > 0;
        } else {
            have_event = hold_connection(s, w, c, &ev) == HOLD_EVENT;
        }
        sweep_stalled(s);
    }
    card_worker_close(w);
    return NULL;
}

/* A live daemon answers on the socket: then it is not ours to remove. */
static bool socket_in_use_addr(const struct sockaddr_un *addr)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool used = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
    close(fd);
    return used;
}

bool server_socket_in_use(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path))
        return false;
    strcpy(addr.sun_path, path);
    return socket_in_use_addr(&addr);
}

static int open_listener(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (path[0] != '/' || strlen(path) >= sizeof(addr.sun_path)) {
        log_msg(LOG_ERROR, "socket path must be absolute and shorter than %zu bytes", sizeof(addr.sun_path));
        return -1;
    }
    strcpy(addr.sun_path, path);
    char *copy = strdup(path);
    if (copy) {
        mkdir(dirname(copy), 0750);
        free(copy);
    }
    if (socket_in_use_addr(&addr)) {
        log_msg(LOG_ERROR, "%s: another card is serving this socket", path);
        return -1;
    }
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    mode_t old = umask(0117); /* socket 0660 from the start */
    bool ok = fd >= 0 && bind(fd, (const struct sockaddr *)&addr, sizeof(addr)) == 0;
    umask(old);
    if (!ok || chmod(path, 0660) != 0 || listen(fd, SOMAXCONN) != 0) {
        log_msg(LOG_ERROR, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int add_to_epoll(int epoll_fd, int fd, uint32_t events, void *ptr)
{
    struct epoll_event ev = {.events = events, .data.ptr = ptr};
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

int server_start(struct card *card, const char *socket_path, unsigned workers, struct server **out)
{
    struct server *s = calloc(1, sizeof(*s));
    if (!s)
        return -1;
    s->card = card;
    s->socket_path = strdup(socket_path);
    s->listen_fd = open_listener(socket_path);
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->workers = calloc(workers, sizeof(*s->workers));
    pthread_mutex_init(&s->lock, NULL);
    if (!s->socket_path || s->listen_fd < 0 || s->epoll_fd < 0 || s->stop_fd < 0 || !s->workers ||
        add_to_epoll(s->epoll_fd, s->listen_fd, EPOLLIN | EPOLLONESHOT, &listen_marker) != 0 ||
        add_to_epoll(s->epoll_fd, s->stop_fd, EPOLLIN, &stop_marker) != 0) {
        server_stop(s);
        return -1;
    }
    for (unsigned i = 0; i < workers; i++) {
        if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0)
            break;
        s->worker_count++;
    }
    if (s->worker_count == 0) {
        server_stop(s);
        return -1;
    }
    log_msg(LOG_INFO, "serving %s with %u workers", socket_path, s->worker_count);
    *out = s;
    return 0;
}

void server_stop(struct server *s)
{
    if (s->stop_fd >= 0) {
        uint64_t one = 1;
        if (write(s->stop_fd, &one, sizeof(one)) < 0)
            log_msg(LOG_WARN, "stop signal: %s", strerror(errno));
    }
    for (unsigned i = 0; i < s->worker_count; i++)
        pthread_join(s->workers[i], NULL);
    while (s->conns)
        conn_close(s, s->conns);
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        unlink(s->socket_path);
    }
    if (s->epoll_fd >= 0)
        close(s->epoll_fd);
    if (s->stop_fd >= 0)
        close(s->stop_fd);
    pthread_mutex_destroy(&s->lock);
    free(s->workers);
    free(s->socket_path);
    free(s);
}
