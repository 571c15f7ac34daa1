/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file server.h
 * The card's Unix-socket server.
 *
 * Threading model: N worker threads share one epoll set holding the
 * listening socket and every connection, each registered one-shot.  The
 * worker that receives a connection's event owns it until it re-arms it:
 * it reads the request frame, runs it on its own card worker, writes the
 * reply and re-arms.  There is no hand-off between threads on the request
 * path, so a verb costs about what a bare socket round trip does.
 *
 * Spin, then block: a worker that has just replied keeps that connection for
 * up to 60 us and reads the caller's next request straight from the socket
 * (recv, MSG_DONTWAIT), polling the shared epoll set every few polls (with
 * a sched_yield) for anything else; at most one worker spins at a time.  A
 * caller's next request usually comes within microseconds, and reading it
 * directly saves the epoll round (wait, re-arm) per request; a sleeping
 * worker would cost a wake-up (10-15 us on an idle virtual CPU).  Any other
 * event ends the spin at once (the held connection is re-armed first); after
 * another caller's request did, the next requests are followed by polling
 * the shared epoll set instead (several busy callers), so
 * the model above is unchanged: any free worker serves any connection, a
 * slow verb (RSA-4096 keygen) holds only its own worker, and an idle card
 * stops polling after 60 us.  A worker that has the first piece of a large
 * frame polls up to 50 us for the rest before it re-arms the connection
 * (conn_read_rest).  The host side (csu_transport_unix.c) polls for its
 * reply about as long as the last one took, up to 1 ms.
 *
 * Load: a client thread has one request in flight (the protocol is
 * synchronous), so requests beyond what the workers can take wait, in
 * arrival order, in the kernel's ready list, a queue bounded by the
 * connection cap; their callers block in recv().  Nothing is dropped or
 * refused for load.  A connection that stalls half-way through a frame for
 * SERVER_STALL_SECONDS is closed; an idle one is kept.
 */
#ifndef CSUCARD_SERVER_H
#define CSUCARD_SERVER_H

#include <stdbool.h>

#include "card.h"

#define SERVER_STALL_SECONDS 10
#define SERVER_MAX_CONNECTIONS 4096

struct server;

/**
 * Bind @p socket_path (0660, its directory created 0750 if missing) and
 * start @p workers serving threads.
 * @return 0, or -1 with the reason logged (socket in use, bind failure...).
 */
int server_start(struct card *card, const char *socket_path, unsigned workers, struct server **out);

/** True when a live daemon already serves @p socket_path. */
bool server_socket_in_use(const char *socket_path);

/**
 * Stop accepting, let in-flight requests finish, join the workers, close
 * every connection and remove the socket.
 */
void server_stop(struct server *s);

#endif
