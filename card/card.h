/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file card.h
 * The emulated coprocessor's firmware, as a library.
 *
 * The daemon (card/daemon/) and the host library's in-process transport
 * both drive a card through this interface: open it on a state directory,
 * give every serving thread its own worker, and hand each worker request
 * frames.  card_process() is thread-safe across workers; one worker must not
 * be used by two threads at once.
 *
 * Life cycle: card_open() creates the state directory (0700) if needed,
 * loads the persistent state and starts the power-on self-test.  Until POST
 * passes every request is answered 12/338 (CSUACFQ STATDIAG excepted, which
 * reports the POST state); if a known-answer test fails the card stays in
 * the failed state until it is reopened.
 */
#ifndef CARD_H
#define CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"

struct card;
struct card_worker;

enum card_post_state {
    CARD_POST_RUNNING = 0,
    CARD_POST_PASSED = 1,
    CARD_POST_FAILED = 2,
};

struct card_options {
    const char *state_dir;  /**< required; created 0700 if missing */
    unsigned post_seconds;  /**< extra POST delay, standing for a real card's minutes */
    const char *fail_kat;   /**< test hook: name of a KAT to make fail, or NULL */
    bool post_async;        /**< true: POST runs in a thread, open returns at once */
    /**
     * Key cache bounds (docs/key-cache.md).  key_cache_set false: taken from
     * the environment variable CSU_CARD_KEY_CACHE ("off", "ENTRIES" or
     * "ENTRIES,BYTES"), else the defaults (1024 entries, 16 MiB).  Either
     * bound 0 switches the cache off.
     */
    bool key_cache_set;
    size_t key_cache_entries;
    size_t key_cache_bytes;
};

/**
 * Open a card.
 * @return CSU_OK; CSU_E_DEV_NAME if the state directory cannot be created or
 *         used; CSU_E_NOMEM.  A failing KAT is not an open error: the card
 *         opens in the failed state.
 */
csu_err card_open(const struct card_options *opts, struct card **out);

/** Stop POST if running, flush state, wipe and free.  No worker may be busy. */
void card_close(struct card *card);

/** Current POST state, and the failed test's name when failed (else ""). */
enum card_post_state card_post_state(struct card *card, const char **failed_test);

/** Block until POST has finished (passed or failed). */
void card_wait_post(struct card *card);

/** A serving context with its own DRBG instance. */
csu_err card_worker_open(struct card *card, struct card_worker **out);
void card_worker_close(struct card_worker *w);

/**
 * Execute one request frame and build the reply frame.  A malformed request
 * still gets a reply (16/556); only memory exhaustion leaves no reply.
 * @param[out] reply newly allocated; free with csu_wire_free().
 * @return CSU_OK when a reply was produced, CSU_E_NOMEM otherwise.
 */
csu_err card_process(struct card_worker *w, const uint8_t *request, size_t request_len, uint8_t **reply,
                     size_t *reply_len);

#endif /* CARD_H */
