/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file card_ctx.h
 * card_ctx: the card's table of live multi-part operation contexts (hash
 * today; HMAC, CMAC, GCM later), reached through handles carried in the
 * caller's chaining vector.  One table per card, shared by all workers.
 *
 * Why: OpenSSL's EVP API cannot export a digest or MAC context, and the
 * library must be stateless between calls, so the state stays in the card
 * and the chaining vector carries a sealed reference to it (docs/hash.md):
 *
 *   offset  len  field
 *     0      4   magic "CSCV"
 *     4      1   format version (1)
 *     5      1   kind (enum card_ctx_kind: which verb family owns it)
 *     6      1   variant (the owner's algorithm number)
 *     7      1   zero
 *     8      4   slot index, big-endian
 *    12      8   sequence number, big-endian (pieces done so far)
 *    20     16   handle: random, made when the sequence starts
 *    36     16   tag: HMAC-SHA-256 over bytes 0..35, truncated, under a
 *                key drawn when the table is created (card start)
 *
 * A vector is accepted only when its tag verifies, the slot holds a live,
 * idle entry with the same handle, kind and variant, and the sequence
 * number is the entry's current one.  So a forged, modified, replayed
 * (an earlier piece's vector) or stale (finished, expired, previous card
 * start) vector is refused: CARD_CTX_INVALID, CCA 8/2036.
 *
 * Life of an entry: card_ctx_store() (FIRST) → card_ctx_checkout() (each
 * later piece; the caller owns the object exclusively, no lock held while it
 * works) → card_ctx_checkin() (MIDDLE: the sequence number advances and a
 * new vector is written) or card_ctx_drop() (LAST, or any failure).
 *
 * Bounds: at most `max_entries` entries; when full, the least recently used
 * idle entry is evicted, and entries idle longer than `idle_seconds` are
 * freed, so abandoned sequences cannot exhaust the card.
 */
#ifndef CARD_CTX_H
#define CARD_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "card_internal.h"
#include "csu_err.h"

/** Bytes of a chaining vector the table reads and writes (see above). */
#define CARD_CTX_TOKEN_LEN 52
#define CARD_CTX_DEFAULT_MAX_ENTRIES 4096u
#define CARD_CTX_DEFAULT_IDLE_SECONDS 600u

/** Who owns an entry: a vector of one family is never accepted by another. */
enum card_ctx_kind {
    CARD_CTX_KIND_HASH = 1, /**< CSNBOWH (fw_hash.c), object: EVP_MD_CTX */
    CARD_CTX_KIND_HMAC = 2, /**< reserved: CSNBHMG/HMV, CSNBMGN2/MVR2 HMAC */
    CARD_CTX_KIND_CMAC = 3, /**< reserved: CSNBMGN2/MVR2 AES CMAC */
    CARD_CTX_KIND_GCM = 4,  /**< reserved: CSNBSAE/SAD GCM */
};

enum card_ctx_status {
    CARD_CTX_OK = 0,
    CARD_CTX_INVALID, /**< vector refused: 8/2036 */
    CARD_CTX_NOMEM,   /**< no memory, or every entry busy: 12/324 */
    CARD_CTX_CRYPTO,  /**< OpenSSL refused (randomness, HMAC): 16/336 */
};

struct card_ctx_table;

struct card_ctx_limits {
    unsigned max_entries;   /**< 0: CARD_CTX_DEFAULT_MAX_ENTRIES */
    unsigned idle_seconds;  /**< 0: CARD_CTX_DEFAULT_IDLE_SECONDS */
    uint64_t (*now)(void);  /**< seconds, monotonic; NULL: CLOCK_MONOTONIC (tests inject one) */
};

/** Frees an owner's object (EVP_MD_CTX_free, EVP_MAC_CTX_free, ...). */
typedef void (*card_ctx_free_fn)(void *obj);

/** An entry checked out by card_ctx_checkout(): the caller owns obj until checkin/drop. */
struct card_ctx_lease {
    void *obj;
    uint32_t slot;
    uint64_t sequence;
};

/**
 * A new table with a fresh MAC key (from @p drbg, or OpenSSL's private
 * generator when NULL).  @p limits may be NULL (defaults).
 */
csu_err card_ctx_table_new(const struct card_ctx_limits *limits, struct card_drbg *drbg,
                           struct card_ctx_table **out);

/** Free every entry's object and the table; wipes the MAC key. */
void card_ctx_table_free(struct card_ctx_table *t);

/**
 * The table of @p card (made by card_open with a fresh MAC key, freed by
 * card_close, so a reopened card never honours an old vector).  @p drbg is
 * unused and kept for the callers' signature.
 */
struct card_ctx_table *card_ctx_table_of(struct card *card, struct card_drbg *drbg);

/**
 * Store @p obj as a new sequence and write its first vector to @p token.
 * On success the table owns @p obj (freed with @p free_obj on eviction,
 * expiry or drop); on failure the caller still owns it.
 */
enum card_ctx_status card_ctx_store(struct card_ctx_table *t, struct card_drbg *drbg, uint8_t kind,
                                    uint8_t variant, void *obj, card_ctx_free_fn free_obj,
                                    uint8_t token[CARD_CTX_TOKEN_LEN]);

/**
 * Verify @p token (@p token_len bytes, at least CARD_CTX_TOKEN_LEN) for
 * @p kind and @p variant and take the entry out for exclusive use.  While
 * checked out the entry is neither evicted nor usable by another call.
 */
enum card_ctx_status card_ctx_checkout(struct card_ctx_table *t, uint8_t kind, uint8_t variant,
                                       const uint8_t *token, size_t token_len, struct card_ctx_lease *lease);

/** Return a checked-out entry, advance its sequence, write the next vector. */
enum card_ctx_status card_ctx_checkin(struct card_ctx_table *t, struct card_ctx_lease *lease,
                                      uint8_t token[CARD_CTX_TOKEN_LEN]);

/** End a checked-out sequence: free its object and its slot. */
void card_ctx_drop(struct card_ctx_table *t, struct card_ctx_lease *lease);

/** Live entries (idle and checked out), for tests and statistics. */
unsigned card_ctx_count(struct card_ctx_table *t);

/**
 * The csu_err of a table outcome: CARD_CTX_INVALID is CSU_E_CHAIN_VECTOR
 * (8/2036), CARD_CTX_NOMEM CSU_E_NOMEM, CARD_CTX_CRYPTO CSU_E_CRYPTO.
 */
csu_err card_ctx_reply(enum card_ctx_status status);

#endif /* CARD_CTX_H */
