/* SPDX-License-Identifier: Apache-2.0 */
/* The card's table of multi-part operation contexts (interface and vector
 * layout in card_ctx.h, design in docs/hash.md). */
#include "card_ctx.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "csu_mu.h"

#define NONE UINT32_MAX
#define MAC_KEY_LEN 32
#define HANDLE_LEN 16
#define TAG_LEN 16
#define MACED_LEN 36 /* bytes 0..35 of a vector are covered by the tag */
#define FORMAT_VERSION 1u
static const uint8_t magic[4] = {'C', 'S', 'C', 'V'};

enum slot_state { SLOT_FREE = 0, SLOT_IDLE, SLOT_BUSY };

struct entry {
    void *obj;
    card_ctx_free_fn free_obj;
    uint8_t handle[HANDLE_LEN];
    uint64_t sequence;
    uint64_t last_used; /* seconds on the table's clock */
    uint8_t kind;
    uint8_t variant;
    uint8_t state;      /* enum slot_state */
    uint32_t prev, next; /* idle: LRU list (head = most recent); free: free list (next) */
};

struct card_ctx_table {
    pthread_mutex_t lock; /* guards everything below */
    struct entry *entries;
    unsigned max_entries;
    unsigned idle_seconds;
    uint64_t (*now)(void);
    uint32_t lru_head, lru_tail, free_head;
    unsigned count;
    EVP_MAC_CTX *mac_template; /* HMAC-SHA-256 keyed at creation; duplicated per use */
};

static uint64_t monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec;
}

/* ---- lists (caller holds the lock) --------------------------------------- */

static void lru_unlink(struct card_ctx_table *t, uint32_t i)
{
    struct entry *e = &t->entries[i];
    if (e->prev != NONE)
        t->entries[e->prev].next = e->next;
    else
        t->lru_head = e->next;
    if (e->next != NONE)
        t->entries[e->next].prev = e->prev;
    else
        t->lru_tail = e->prev;
    e->prev = e->next = NONE;
}

static void lru_push_head(struct card_ctx_table *t, uint32_t i)
{
    struct entry *e = &t->entries[i];
    e->prev = NONE;
    e->next = t->lru_head;
    if (t->lru_head != NONE)
        t->entries[t->lru_head].prev = i;
    t->lru_head = i;
    if (t->lru_tail == NONE)
        t->lru_tail = i;
}

/* Free a slot that is off the LRU list: its object, its handle, its place. */
static void slot_release(struct card_ctx_table *t, uint32_t i)
{
    struct entry *e = &t->entries[i];
    if (e->obj && e->free_obj)
        e->free_obj(e->obj);
    OPENSSL_cleanse(e, sizeof(*e));
    e->state = SLOT_FREE;
    e->prev = NONE;
    e->next = t->free_head;
    t->free_head = i;
    t->count--;
}

/* Free idle entries unused for longer than the limit (oldest first). */
static void expire_idle(struct card_ctx_table *t, uint64_t now)
{
    while (t->lru_tail != NONE && now - t->entries[t->lru_tail].last_used > t->idle_seconds) {
        uint32_t i = t->lru_tail;
        lru_unlink(t, i);
        slot_release(t, i);
    }
}

/* A free slot, evicting the least recently used idle entry when full. */
static uint32_t slot_acquire(struct card_ctx_table *t)
{
    if (t->free_head == NONE && t->lru_tail != NONE) {
        uint32_t victim = t->lru_tail;
        lru_unlink(t, victim);
        slot_release(t, victim);
    }
    uint32_t i = t->free_head;
    if (i != NONE) {
        t->free_head = t->entries[i].next;
        t->entries[i].next = NONE;
        t->count++;
    }
    return i;
}

/* ---- vectors --------------------------------------------------------------- */

/* tag = HMAC-SHA-256(table key, vector[0..35]) truncated to 16 bytes. */
static bool compute_tag(struct card_ctx_table *t, const uint8_t *vec, uint8_t tag[TAG_LEN])
{
    uint8_t full[EVP_MAX_MD_SIZE];
    size_t full_len = 0;
    EVP_MAC_CTX *m = EVP_MAC_CTX_dup(t->mac_template);
    bool ok = m && EVP_MAC_update(m, vec, MACED_LEN) && EVP_MAC_final(m, full, &full_len, sizeof(full)) &&
              full_len >= TAG_LEN;
    if (ok)
        memcpy(tag, full, TAG_LEN);
    OPENSSL_cleanse(full, sizeof(full));
    EVP_MAC_CTX_free(m);
    return ok;
}

static bool write_token(struct card_ctx_table *t, uint32_t slot, uint8_t token[CARD_CTX_TOKEN_LEN])
{
    const struct entry *e = &t->entries[slot];
    memcpy(token, magic, 4);
    token[4] = FORMAT_VERSION;
    token[5] = e->kind;
    token[6] = e->variant;
    token[7] = 0;
    csu_store_be32(token + 8, slot);
    csu_store_be32(token + 12, (uint32_t)(e->sequence >> 32));
    csu_store_be32(token + 16, (uint32_t)e->sequence);
    memcpy(token + 20, e->handle, HANDLE_LEN);
    return compute_tag(t, token, token + MACED_LEN);
}

/* ---- table ----------------------------------------------------------------- */

static EVP_MAC_CTX *mac_template_new(const uint8_t key[MAC_KEY_LEN])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context keeps its own reference */
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    if (ctx && !EVP_MAC_init(ctx, key, MAC_KEY_LEN, params)) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

static bool random_bytes(struct card_drbg *drbg, uint8_t *out, size_t len)
{
    if (drbg)
        return card_drbg_generate(drbg, out, len, NULL, 0) == CSU_OK;
    return RAND_priv_bytes(out, (int)len) == 1;
}

csu_err card_ctx_table_new(const struct card_ctx_limits *limits, struct card_drbg *drbg,
                           struct card_ctx_table **out)
{
    struct card_ctx_table *t = calloc(1, sizeof(*t));
    if (!t)
        return CSU_E_NOMEM;
    t->max_entries = limits && limits->max_entries ? limits->max_entries : CARD_CTX_DEFAULT_MAX_ENTRIES;
    t->idle_seconds = limits && limits->idle_seconds ? limits->idle_seconds : CARD_CTX_DEFAULT_IDLE_SECONDS;
    t->now = limits && limits->now ? limits->now : monotonic_seconds;
    t->entries = calloc(t->max_entries, sizeof(*t->entries));
    if (!t->entries || t->max_entries >= NONE) {
        free(t->entries);
        free(t);
        return CSU_E_NOMEM;
    }
    t->lru_head = t->lru_tail = NONE;
    t->free_head = 0;
    for (uint32_t i = 0; i < t->max_entries; i++) {
        t->entries[i].prev = NONE;
        t->entries[i].next = i + 1 < t->max_entries ? i + 1 : NONE;
    }
    uint8_t key[MAC_KEY_LEN];
    if (random_bytes(drbg, key, sizeof(key)))
        t->mac_template = mac_template_new(key);
    OPENSSL_cleanse(key, sizeof(key));
    if (!t->mac_template) {
        free(t->entries);
        free(t);
        return CSU_E_CRYPTO;
    }
    pthread_mutex_init(&t->lock, NULL);
    *out = t;
    return CSU_OK;
}

void card_ctx_table_free(struct card_ctx_table *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->max_entries; i++) {
        struct entry *e = &t->entries[i];
        if (e->state != SLOT_FREE && e->obj && e->free_obj)
            e->free_obj(e->obj);
    }
    OPENSSL_cleanse(t->entries, (size_t)t->max_entries * sizeof(*t->entries));
    free(t->entries);
    EVP_MAC_CTX_free(t->mac_template); /* cleanses the key */
    pthread_mutex_destroy(&t->lock);
    free(t);
}

unsigned card_ctx_count(struct card_ctx_table *t)
{
    pthread_mutex_lock(&t->lock);
    unsigned n = t->count;
    pthread_mutex_unlock(&t->lock);
    return n;
}

/* The card's table, made in card_open and freed in card_close. */
struct card_ctx_table *card_ctx_table_of(struct card *card, struct card_drbg *drbg)
{
    (void)drbg;
    return card->ctx_table;
}

/* ---- sequences ------------------------------------------------------------- */

enum card_ctx_status card_ctx_store(struct card_ctx_table *t, struct card_drbg *drbg, uint8_t kind,
                                    uint8_t variant, void *obj, card_ctx_free_fn free_obj,
                                    uint8_t token[CARD_CTX_TOKEN_LEN])
{
    uint8_t handle[HANDLE_LEN];
    if (!random_bytes(drbg, handle, sizeof(handle)))
        return CARD_CTX_CRYPTO;
    pthread_mutex_lock(&t->lock);
    uint64_t now = t->now();
    expire_idle(t, now);
    uint32_t i = slot_acquire(t);
    enum card_ctx_status st = CARD_CTX_NOMEM; /* every entry checked out */
    if (i != NONE) {
        struct entry *e = &t->entries[i];
        *e = (struct entry){.obj = obj, .free_obj = free_obj, .last_used = now, .kind = kind,
                            .variant = variant, .state = SLOT_IDLE, .prev = NONE, .next = NONE};
        memcpy(e->handle, handle, HANDLE_LEN);
        lru_push_head(t, i);
        st = CARD_CTX_OK;
        if (!write_token(t, i, token)) {
            e->obj = NULL; /* the caller keeps it on failure */
            lru_unlink(t, i);
            slot_release(t, i);
            st = CARD_CTX_CRYPTO;
        }
    }
    pthread_mutex_unlock(&t->lock);
    OPENSSL_cleanse(handle, sizeof(handle));
    return st;
}

/* Format fields a vector must have before anything is looked up. */
static bool token_well_formed(const uint8_t *token, uint8_t kind, uint8_t variant)
{
    return memcmp(token, magic, 4) == 0 && token[4] == FORMAT_VERSION && token[5] == kind &&
           token[6] == variant && token[7] == 0;
}

enum card_ctx_status card_ctx_checkout(struct card_ctx_table *t, uint8_t kind, uint8_t variant,
                                       const uint8_t *token, size_t token_len, struct card_ctx_lease *lease)
{
    if (!token || token_len < CARD_CTX_TOKEN_LEN || !token_well_formed(token, kind, variant))
        return CARD_CTX_INVALID;
    uint32_t slot = csu_load_be32(token + 8);
    uint64_t sequence = (uint64_t)csu_load_be32(token + 12) << 32 | csu_load_be32(token + 16);
    pthread_mutex_lock(&t->lock);
    expire_idle(t, t->now());
    uint8_t tag[TAG_LEN];
    enum card_ctx_status st = CARD_CTX_INVALID;
    if (!compute_tag(t, token, tag))
        st = CARD_CTX_CRYPTO;
    else if (CRYPTO_memcmp(tag, token + MACED_LEN, TAG_LEN) == 0 && slot < t->max_entries) {
        struct entry *e = &t->entries[slot];
        if (e->state == SLOT_IDLE && e->kind == kind && e->variant == variant && e->sequence == sequence &&
            CRYPTO_memcmp(e->handle, token + 20, HANDLE_LEN) == 0) {
            lru_unlink(t, slot);
            e->state = SLOT_BUSY;
            *lease = (struct card_ctx_lease){.obj = e->obj, .slot = slot, .sequence = sequence};
            st = CARD_CTX_OK;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}

enum card_ctx_status card_ctx_checkin(struct card_ctx_table *t, struct card_ctx_lease *lease,
                                      uint8_t token[CARD_CTX_TOKEN_LEN])
{
    pthread_mutex_lock(&t->lock);
    struct entry *e = &t->entries[lease->slot];
    e->sequence = lease->sequence + 1;
    e->last_used = t->now();
    e->state = SLOT_IDLE;
    lru_push_head(t, lease->slot);
    enum card_ctx_status st = CARD_CTX_OK;
    if (!write_token(t, lease->slot, token)) {
        lru_unlink(t, lease->slot);
        slot_release(t, lease->slot);
        st = CARD_CTX_CRYPTO;
    }
    pthread_mutex_unlock(&t->lock);
    lease->obj = NULL;
    return st;
}

void card_ctx_drop(struct card_ctx_table *t, struct card_ctx_lease *lease)
{
    pthread_mutex_lock(&t->lock);
    slot_release(t, lease->slot); /* a checked-out entry is on no list */
    pthread_mutex_unlock(&t->lock);
    lease->obj = NULL;
}

csu_err card_ctx_reply(enum card_ctx_status status)
{
    switch (status) {
    case CARD_CTX_OK:
        return CSU_OK;
    case CARD_CTX_INVALID:
        return CSU_E_CHAIN_VECTOR;
    case CARD_CTX_NOMEM:
        return CSU_E_NOMEM;
    case CARD_CTX_CRYPTO:
        break;
    }
    return CSU_E_CRYPTO;
}
