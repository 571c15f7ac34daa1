/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file card_keycache.h
 * The card's cache of unwrapped, ready-to-use keys (docs/key-cache.md).
 *
 * Applications reuse a small set of keys; validating and unwrapping a
 * token (and, for RSA/ECC, building its EVP_PKEY with its blinding and
 * Montgomery set-up) on every call costs more than the operation itself.
 * The unwrap functions (wrap_fixed_unwrap, wrapv_open, the PKA key loader
 * of fw_pkacrypto.c) look here first; the cache is transparent behind
 * them: same answers, same codes, with or without it.
 *
 * Entries are found by SHA-256 of the whole token (any changed byte is a
 * different entry, validated from scratch) and the kind of unwrap, and are
 * bound to a fingerprint of the master key they were unwrapped under.  The
 * caller always looks the master key up first (card_mk_find: 12/764,
 * 8/48 and the old-register flag are decided fresh on every call); an
 * entry is served only when its fingerprint matches that key.
 *
 * Bounded by entries and bytes, least recently used out; every evicted or
 * flushed entry is wiped (clear key bytes cleansed; the cache's EVP_PKEY
 * reference dropped, so OpenSSL clears the private key once no request
 * still uses it).  CSNBMKP SET/CLEAR flushes the register set, zeroize
 * flushes all.  No cryptography runs under the cache lock.
 *
 * Binding: card_process binds the worker's thread to its card's cache for
 * one request (card_keycache_bind); the lookups use the bound cache, so
 * functions without a card parameter (wrapv_open) still find it.  An entry
 * made by a request during which its register set was flushed is not kept.
 */
#ifndef CARD_KEYCACHE_H
#define CARD_KEYCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "csu_err.h"

#define KC_SETS 4u /* SYM, ASYM, AES, APKA (enum mk_set) */
#define KC_ALL_SETS (-1)
#define KC_DEFAULT_ENTRIES 1024u
#define KC_DEFAULT_BYTES (16u * 1024u * 1024u)

struct card_keycache;

/** What an entry holds: one kind per unwrap path. */
enum kc_kind {
    KC_FIXED = 1, /**< DES / AES v4 clear key bytes (wrap_fixed_unwrap) */
    KC_V5 = 2,    /**< v5 AES / HMAC clear key (wrapv_open) */
    KC_PKA = 3,   /**< RSA / ECC private key as an EVP_PKEY (fw_pkacrypto.c) */
};

/** Lookup identity: token digest, kind, register set, master-key fingerprint. */
struct kc_id {
    uint8_t digest[32];
    uint8_t mk_fp[32];
    uint8_t kind;
    uint8_t set;
};

/** Counters for an operator (never key material). */
struct kc_stats {
    uint64_t hits, misses, inserts, evictions, flushed;
    size_t entries, bytes, max_entries, max_bytes;
    size_t templates;   /**< prepared operations held (card_keycache_put_op) */
    uint64_t op_copies; /**< hits that handed out a copy of one */
};

/**
 * A cache of at most @p max_entries entries and @p max_bytes bytes.
 * Either bound 0: no cache (*out = NULL, CSU_OK).
 * @return CSU_OK, CSU_E_NOMEM.
 */
csu_err card_keycache_new(size_t max_entries, size_t max_bytes, struct card_keycache **out);

/** Wipe and free every entry and the cache (NULL is fine). */
void card_keycache_free(struct card_keycache *kc);

/** Wipe the entries of register set @p set (enum mk_set), or all (KC_ALL_SETS). */
void card_keycache_flush(struct card_keycache *kc, int set);

/** Current counters; all zero for a NULL (switched off) cache. */
void card_keycache_stats(struct card_keycache *kc, struct kc_stats *st);

/** A thread's binding, saved and restored around one request. */
struct kc_binding {
    struct card_keycache *kc;
    uint64_t gen[KC_SETS];
};

/** Bind the calling thread to @p kc (may be NULL) for one request. */
void card_keycache_bind(struct card_keycache *kc, struct kc_binding *saved);
void card_keycache_unbind(const struct kc_binding *saved);

/** True when the calling thread is bound to a cache (skip digests otherwise). */
bool card_keycache_active(void);

/**
 * Fill @p id for a token (@p tok, @p len: the whole token) unwrapped under
 * @p mk (@p mk_len bytes; NULL when not known yet: fingerprint left zero)
 * of register set @p set.  CSU_OK or CSU_E_CRYPTO.
 */
csu_err card_keycache_id(enum kc_kind kind, unsigned set, const uint8_t *tok, size_t len, const uint8_t *mk,
                         size_t mk_len, struct kc_id *id);

/**
 * The fingerprint of a master key as entries record it (not reversible):
 * SHA-256 of a domain string, the set and the key, or, for the very key
 * bytes card_mk_find handed out in this request, the fingerprint stored
 * beside its register (card_keycache_note_mk), which is that same hash.
 */
csu_err card_keycache_mk_fp(unsigned set, const uint8_t *mk, size_t mk_len, uint8_t fp[32]);

/** card_keycache_mk_fp always hashing: what card_mk_register_changed stores. */
csu_err card_keycache_mk_fp_hash(unsigned set, const uint8_t *mk, size_t mk_len, uint8_t fp[32]);

/**
 * Remember, until the end of the bound request, that @p mk (@p mk_len
 * bytes, at most 32) of set @p set has fingerprint @p fp (made when its
 * register changed).  Only card_mk_find / card_mk_current call it, under
 * the card lock, with the bytes they copy out; nothing when unbound.
 */
void card_keycache_note_mk(unsigned set, const uint8_t *mk, size_t mk_len, const uint8_t fp[32]);

/** What an entry carries: any of clear key bytes, public facts, an EVP_PKEY. */
struct kc_value {
    const uint8_t *secret; /**< clear key bytes (wiped on eviction) */
    size_t secret_len;
    const void *info; /**< public facts the caller needs again (usage, modulus, ...) */
    size_t info_len;
    EVP_PKEY *pkey; /**< the cache takes its own reference */
    size_t cost;    /**< estimated bytes of the key object, for the byte bound */
};

/**
 * Look @p id up in the bound cache.  On a hit copies the secret (at most
 * @p secret_cap bytes, else a miss) and the info into the caller's buffers
 * and gives a new reference to the EVP_PKEY (caller frees it with
 * EVP_PKEY_free).  The entry's master-key fingerprint must equal
 * @p id->mk_fp, unless @p mk_fp_out is given: then it is copied there for
 * a caller that learns which master key to look up from the info, and
 * that caller must compare it (CRYPTO_memcmp) before using anything.
 * @return true on a hit.
 */
bool card_keycache_get(const struct kc_id *id, uint8_t *secret, size_t secret_cap, size_t *secret_len, void *info,
                       size_t info_cap, EVP_PKEY **pkey, uint8_t *mk_fp_out);

/** Insert (or refresh) @p id with @p v into the bound cache; silently dropped when it cannot be kept. */
void card_keycache_put(const struct kc_id *id, const struct kc_value *v);

/*
 * Prepared operations.  An entry holding an EVP_PKEY may also keep, per
 * slot (the caller's numbering, < KC_OPS), one initialized operation
 * context on that EVP_PKEY (EVP_PKEY_sign_init plus its parameters): a
 * template.  A hit hands out a copy (EVP_PKEY_CTX_dup, ~0.1 us) instead of
 * the caller building a context (~1.1 us for P-256).  Templates are copied
 * only under the cache lock (OpenSSL does not promise that one context may
 * be duplicated from several threads at once) and never used for an
 * operation themselves; they go with their entry (freed on eviction, flush
 * or replacement; their EVP_PKEY reference with them).
 */
#define KC_OPS 2u

/**
 * card_keycache_get for an EVP_PKEY entry, plus a copy of the template in
 * slot @p op_slot into *@p op: NULL when the slot is empty (or
 * @p op_slot >= KC_OPS); the caller frees it with EVP_PKEY_CTX_free.
 */
bool card_keycache_get_op(const struct kc_id *id, void *info, size_t info_cap, EVP_PKEY **pkey, uint8_t *mk_fp_out,
                          unsigned op_slot, EVP_PKEY_CTX **op);

/**
 * Offer @p op as the template of slot @p op_slot of entry @p id (mk_fp
 * filled).  Always takes @p op: kept when the entry is still there with
 * that fingerprint and that very EVP_PKEY (EVP_PKEY_CTX_get0_pkey), the
 * slot is empty, its set was not flushed during this request and the byte
 * bound allows it; freed otherwise.
 */
void card_keycache_put_op(const struct kc_id *id, unsigned op_slot, EVP_PKEY_CTX *op);

#endif /* CARD_KEYCACHE_H */
