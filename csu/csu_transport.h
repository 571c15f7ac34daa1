/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file csu_transport.h
 * How a request frame reaches a card and its reply comes back.
 *
 * One struct of operations hides the socket, the in-process card and test
 * doubles from the verbs.  A transport is shared by every thread of the
 * process: transact() must be callable concurrently, and one thread's call
 * must never wait for another's (the socket transport keeps a connection
 * per thread; the in-process transport a card worker per thread).
 *
 * Versioning: new members are only ever appended; callers check `version`
 * through csu_transport_transact() before using a member.
 */
#ifndef CSU_TRANSPORT_H
#define CSU_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"

#define CSU_TRANSPORT_MAGIC 0x43535554u /* "CSUT" */
#define CSU_TRANSPORT_VERSION 1u

struct csu_transport {
    uint32_t magic;
    uint32_t version;
    const char *kind; /**< "unix", "inproc", ... for logs */
    /**
     * Send one request frame and receive the whole reply frame.
     * @param[out] reply newly allocated; free with csu_wire_free().
     * @return CSU_OK, CSU_E_CARD_UNREACHABLE (no card, connection lost, or
     *         timed out), CSU_E_REPLY (reply header malformed), CSU_E_NOMEM.
     */
    csu_err (*transact)(struct csu_transport *t, const uint8_t *request, size_t request_len, uint8_t **reply,
                        size_t *reply_len);
    /** Release everything; no call may be in flight. */
    void (*finalize)(struct csu_transport *t);
};

/** Checked call of t->transact (NULL, bad magic or version: CSU_E_INTERNAL). */
csu_err csu_transport_transact(struct csu_transport *t, const uint8_t *request, size_t request_len,
                               uint8_t **reply, size_t *reply_len);

/**
 * Open a transport from a CSU_CARD-style string: "unix:PATH" or
 * "inproc:STATEDIR".
 * @return CSU_OK, CSU_E_DEV_NAME (malformed string), CSU_E_NOMEM, or the
 *         in-process card's open error.
 */
csu_err csu_transport_open(const char *spec, struct csu_transport **out);

csu_err csu_transport_unix_open(const char *path, struct csu_transport **out);
csu_err csu_transport_inproc_open(const char *state_dir, struct csu_transport **out);

/** Default when CSU_CARD is unset. */
#define CSU_CARD_DEFAULT "unix:/run/csulcca/card0.sock"

#endif /* CSU_TRANSPORT_H */
