/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-process record cache: a bounded LRU of label -> token, one per
 * store.  Modes (CSUCACHE, docs/keystore.md "The process cache"):
 *  - revalidate (default): an entry remembers the transaction id it was
 *    read at; it is used only while the store's last committed transaction
 *    id (one read of LMDB's meta page, no transaction) is still that id.
 *  - static (CSUCACHE=S...): IBM's behaviour, entries are used until this
 *    process changes or evicts them; other processes' updates are unseen.
 *  - off (CSUCACHE=N... / n...): nothing is cached.
 * Entries hold wrapped tokens only; they are wiped when dropped anyway.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "ks_internal.h"

#define CACHE_ENTRIES 4096u
#define CACHE_BUCKETS 8192u /* power of two, 2x entries */

struct entry {
    uint8_t label[KS_LABEL_LEN];
    uint64_t txnid;
    struct entry *hnext;       /* bucket chain */
    struct entry *prev, *next; /* LRU list, most recent first */
    size_t len;
    uint8_t *token;
};

struct ks_cache {
    pthread_mutex_t lock;
    enum ks_cache_mode mode;
    size_t count;
    struct entry *head, *tail;
    struct entry *bucket[CACHE_BUCKETS];
    struct ks_cache_stats stats;
};

enum ks_cache_mode ks_cache_mode_parse(const char *v)
{
    if (v && (v[0] == 'N' || v[0] == 'n'))
        return KS_CACHE_OFF;
    if (v && (v[0] == 'S' || v[0] == 's'))
        return KS_CACHE_STATIC;
    return KS_CACHE_REVALIDATE;
}

enum ks_cache_mode ks_cache_mode(void) { return ks_cache_mode_parse(getenv("CSUCACHE")); }

struct ks_cache *ks_cache_new(enum ks_store s)
{
    (void)s;
    struct ks_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL; /* no cache: every read goes to the file */
    pthread_mutex_init(&c->lock, NULL);
    c->mode = ks_cache_mode();
    return c;
}

static void entry_free(struct entry *e)
{
    OPENSSL_cleanse(e->token, e->len);
    free(e->token);
    free(e);
}

void ks_cache_free(struct ks_cache *c)
{
    if (!c)
        return;
    ks_cache_clear(c);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static uint32_t hash_label(const uint8_t *l)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a over 8-byte words: labels are 64 bytes */
    for (int i = 0; i < KS_LABEL_LEN; i += 8) {
        uint64_t w;
        memcpy(&w, l + i, 8);
        h = (h ^ w) * 1099511628211u;
        h ^= h >> 29;
    }
    return (uint32_t)h & (CACHE_BUCKETS - 1);
}

static struct entry **slot_of(struct ks_cache *c, const uint8_t *label)
{
    struct entry **p = &c->bucket[hash_label(label)];
    while (*p && memcmp((*p)->label, label, KS_LABEL_LEN) != 0)
        p = &(*p)->hnext;
    return p;
}

static void lru_unlink(struct ks_cache *c, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(struct ks_cache *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static void remove_entry(struct ks_cache *c, struct entry **slot)
{
    struct entry *e = *slot;
    *slot = e->hnext;
    lru_unlink(c, e);
    c->count--;
    entry_free(e);
}

bool ks_cache_get(struct ks_cache *c, const uint8_t label[KS_LABEL_LEN], uint64_t last_txnid, uint8_t *buf,
                  size_t cap, size_t *len, ks_err *err)
{
    if (!c || c->mode == KS_CACHE_OFF)
        return false;
    pthread_mutex_lock(&c->lock);
    struct entry *e = *slot_of(c, label);
    bool fresh = e && (c->mode == KS_CACHE_STATIC || e->txnid == last_txnid);
    if (fresh) {
        c->stats.hits++;
        if (e->len > cap) {
            *err = KS_LENGTH;
        } else {
            memcpy(buf, e->token, e->len);
            *len = e->len;
            *err = KS_OK;
        }
        if (c->head != e) {
            lru_unlink(c, e);
            lru_push_front(c, e);
        }
    } else {
        c->stats.misses++;
        c->stats.revalidated += e != NULL;
    }
    pthread_mutex_unlock(&c->lock);
    return fresh;
}

void ks_cache_put(struct ks_cache *c, const uint8_t label[KS_LABEL_LEN], const uint8_t *token, size_t len,
                  uint64_t txnid)
{
    if (!c || c->mode == KS_CACHE_OFF)
        return;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return;
    memcpy(copy, token, len);
    pthread_mutex_lock(&c->lock);
    struct entry **slot = slot_of(c, label);
    struct entry *e = *slot;
    if (e && e->txnid > txnid) {
        /* a newer version is already cached (a concurrent write of this process) */
        pthread_mutex_unlock(&c->lock);
        OPENSSL_cleanse(copy, len);
        free(copy);
        return;
    }
    if (e) {
        OPENSSL_cleanse(e->token, e->len);
        free(e->token);
        lru_unlink(c, e);
    } else {
        e = calloc(1, sizeof(*e));
        if (!e) {
            pthread_mutex_unlock(&c->lock);
            free(copy);
            return;
        }
        memcpy(e->label, label, KS_LABEL_LEN);
        e->hnext = *slot;
        *slot = e;
        c->count++;
    }
    e->token = copy;
    e->len = len;
    e->txnid = txnid;
    lru_push_front(c, e);
    if (c->count > CACHE_ENTRIES)
        remove_entry(c, slot_of(c, c->tail->label));
    pthread_mutex_unlock(&c->lock);
}

void ks_cache_drop(struct ks_cache *c, const uint8_t label[KS_LABEL_LEN])
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    struct entry **slot = slot_of(c, label);
    if (*slot)
        remove_entry(c, slot);
    pthread_mutex_unlock(&c->lock);
}

void ks_cache_clear(struct ks_cache *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    while (c->head)
        remove_entry(c, slot_of(c, c->head->label));
    pthread_mutex_unlock(&c->lock);
}

void ks_cache_get_stats(struct ks_cache *c, struct ks_cache_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    pthread_mutex_unlock(&c->lock);
}
