/* SPDX-License-Identifier: Apache-2.0 */
/* The card's cache of unwrapped keys (card_keycache.h, docs/key-cache.md). */
#include "card_keycache.h"
#include "card_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define ENTRY_OVERHEAD 256u /* struct, allocations, hash slot: charged to every entry */
#define OP_COST 1024u       /* an EVP_PKEY_CTX template with its provider context, roughly */

struct kc_entry {
    struct kc_id id;
    struct kc_entry *next_in_bucket;
    struct kc_entry *newer, *older; /* LRU list: head is the most recent */
    uint8_t *secret;
    size_t secret_len;
    void *info;
    size_t info_len;
    EVP_PKEY *pkey;
    EVP_PKEY_CTX *ops[KC_OPS]; /* templates on pkey: copied under the lock, never used */
    size_t cost;
};

struct card_keycache {
    pthread_mutex_t lock; /* guards everything below; never held during cryptography */
    struct kc_entry **buckets;
    size_t bucket_mask;
    struct kc_entry *newest, *oldest;
    size_t max_entries, max_bytes;
    size_t entries, bytes;
    uint64_t gen[KC_SETS]; /* bumped by every flush of the set */
    uint64_t hits, misses, inserts, evictions, flushed;
    size_t templates;
    uint64_t op_copies;
};

static _Thread_local struct kc_binding bound;

/*
 * The master keys card_mk_find handed out during this thread's request,
 * one per register set, with the fingerprints stored beside the registers
 * (card_mk_register_changed): card_keycache_mk_fp of the same bytes then
 * costs a 32-byte compare instead of a SHA-256 (~0.13 us).  Only while a
 * request is bound; wiped at bind and unbind, so no master key outlives
 * its request here.
 */
static _Thread_local struct mk_note {
    size_t len; /* 0: empty */
    uint8_t key[32];
    uint8_t fp[32];
} mk_notes[KC_SETS];

/*
 * A thread's last few token digests.  A caller that sends the same token
 * again (the case the cache exists for) skips the SHA-256 of it: ~0.2 us
 * for a P-256 token, ~0.6 us for RSA-2048.  The whole token is kept and
 * compared, so a token differing in any byte is hashed afresh.  Tokens are
 * wrapped keys that travel in the clear (cacheable tokens are only ones
 * protected under a master key); still wiped when the thread ends.
 */
#define MEMO_TOKENS 4u
#define MEMO_TOKEN_MAX 2048u

struct digest_memo {
    struct {
        size_t len;
        uint8_t digest[32];
        uint8_t tok[MEMO_TOKEN_MAX];
    } slot[MEMO_TOKENS];
    unsigned next;
};

static pthread_once_t memo_once = PTHREAD_ONCE_INIT;
static pthread_key_t memo_key;
static bool memo_key_ok;
static _Thread_local struct digest_memo *memo; /* also reachable from here, for leak checkers */

/* ---- life cycle --------------------------------------------------------- */

csu_err card_keycache_new(size_t max_entries, size_t max_bytes, struct card_keycache **out)
{
    *out = NULL;
    if (max_entries == 0 || max_bytes == 0)
        return CSU_OK; /* switched off */
    size_t buckets = 16;
    while (buckets < 2 * max_entries && buckets < ((size_t)1 << 24))
        buckets <<= 1;
    struct card_keycache *kc = calloc(1, sizeof(*kc));
    if (kc)
        kc->buckets = calloc(buckets, sizeof(*kc->buckets));
    if (!kc || !kc->buckets) {
        free(kc);
        return CSU_E_NOMEM;
    }
    pthread_mutex_init(&kc->lock, NULL);
    kc->bucket_mask = buckets - 1;
    kc->max_entries = max_entries;
    kc->max_bytes = max_bytes;
    *out = kc;
    return CSU_OK;
}

/* Wipe an entry already unlinked.  Runs without the lock (EVP_PKEY_free may be slow). */
static void entry_wipe(struct kc_entry *e)
{
    if (e->secret) {
        OPENSSL_cleanse(e->secret, e->secret_len);
        free(e->secret);
    }
    free(e->info);
    for (unsigned i = 0; i < KC_OPS; i++)
        EVP_PKEY_CTX_free(e->ops[i]); /* each holds a reference to pkey */
    EVP_PKEY_free(e->pkey); /* the last reference clears the private key */
    OPENSSL_cleanse(e, sizeof(*e));
    free(e);
}

static void wipe_list(struct kc_entry *list)
{
    while (list) {
        struct kc_entry *next = list->next_in_bucket;
        entry_wipe(list);
        list = next;
    }
}

/* ---- token digests ------------------------------------------------------- */

/* Thread exit (key destructor, in the exiting thread). */
static void memo_free(void *m)
{
    if (m == memo)
        memo = NULL; /* a later use in this thread's exit makes a new one, never uses this */
    OPENSSL_cleanse(m, sizeof(struct digest_memo));
    free(m);
}

static void memo_key_make(void)
{
    memo_key_ok = pthread_key_create(&memo_key, memo_free) == 0;
}

/* The calling thread's memo, made on first use; NULL without one (then every token is hashed). */
static struct digest_memo *memo_get(void)
{
    if (memo)
        return memo;
    pthread_once(&memo_once, memo_key_make);
    struct digest_memo *m = memo_key_ok ? calloc(1, sizeof(*m)) : NULL;
    if (m && pthread_setspecific(memo_key, m) != 0) {
        free(m);
        m = NULL;
    }
    return memo = m;
}

static bool token_digest(const uint8_t *tok, size_t len, uint8_t digest[32])
{
    struct digest_memo *m = len > 0 && len <= MEMO_TOKEN_MAX ? memo_get() : NULL;
    for (unsigned i = 0; m && i < MEMO_TOKENS; i++)
        if (m->slot[i].len == len && memcmp(m->slot[i].tok, tok, len) == 0) { /* public bytes */
            memcpy(digest, m->slot[i].digest, 32);
            return true;
        }
    unsigned n = 0;
    if (EVP_Digest(tok, len, digest, &n, card_sha256(), NULL) != 1 || n != 32)
        return false;
    if (m) {
        unsigned i = m->next++ % MEMO_TOKENS;
        m->slot[i].len = len;
        memcpy(m->slot[i].tok, tok, len);
        memcpy(m->slot[i].digest, digest, 32);
    }
    return true;
}

/* ---- hash table and LRU list (lock held) --------------------------------- */

static size_t bucket_of(const struct card_keycache *kc, const struct kc_id *id)
{
    size_t h;
    memcpy(&h, id->digest, sizeof(h)); /* SHA-256 output: any bits are uniform */
    return (h ^ id->kind) & kc->bucket_mask;
}

static void lru_unlink(struct card_keycache *kc, struct kc_entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        kc->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        kc->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push(struct card_keycache *kc, struct kc_entry *e)
{
    e->older = kc->newest;
    e->newer = NULL;
    if (kc->newest)
        kc->newest->newer = e;
    kc->newest = e;
    if (!kc->oldest)
        kc->oldest = e;
}

static struct kc_entry **slot_of(struct card_keycache *kc, const struct kc_id *id)
{
    struct kc_entry **p = &kc->buckets[bucket_of(kc, id)];
    while (*p && !((*p)->id.kind == id->kind && memcmp((*p)->id.digest, id->digest, sizeof(id->digest)) == 0))
        p = &(*p)->next_in_bucket;
    return p;
}

/* Unlink @p e from table and list; the caller wipes it after unlocking. */
static void detach(struct card_keycache *kc, struct kc_entry *e)
{
    struct kc_entry **p = slot_of(kc, &e->id);
    *p = e->next_in_bucket;
    lru_unlink(kc, e);
    kc->entries--;
    kc->bytes -= e->cost;
    for (unsigned i = 0; i < KC_OPS; i++)
        kc->templates -= e->ops[i] != NULL;
    e->next_in_bucket = NULL;
}

/* Detach @p e and chain it on @p dead (wiped later). */
static void retire(struct card_keycache *kc, struct kc_entry *e, struct kc_entry **dead)
{
    detach(kc, e);
    e->next_in_bucket = *dead;
    *dead = e;
}

/* ---- public operations ---------------------------------------------------- */

void card_keycache_free(struct card_keycache *kc)
{
    if (!kc)
        return;
    card_keycache_flush(kc, KC_ALL_SETS);
    pthread_mutex_destroy(&kc->lock);
    free(kc->buckets);
    OPENSSL_cleanse(kc, sizeof(*kc));
    free(kc);
}

void card_keycache_flush(struct card_keycache *kc, int set)
{
    if (!kc)
        return;
    struct kc_entry *dead = NULL;
    pthread_mutex_lock(&kc->lock);
    for (unsigned s = 0; s < KC_SETS; s++)
        if (set == KC_ALL_SETS || (unsigned)set == s)
            kc->gen[s]++;
    for (struct kc_entry *e = kc->oldest, *newer; e; e = newer) {
        newer = e->newer;
        if (set == KC_ALL_SETS || e->id.set == (unsigned)set) {
            retire(kc, e, &dead);
            kc->flushed++;
        }
    }
    pthread_mutex_unlock(&kc->lock);
    wipe_list(dead);
}

void card_keycache_stats(struct card_keycache *kc, struct kc_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (!kc)
        return;
    pthread_mutex_lock(&kc->lock);
    *st = (struct kc_stats){kc->hits,    kc->misses,  kc->inserts, kc->evictions,  kc->flushed, kc->entries,
                            kc->bytes,   kc->max_entries, kc->max_bytes, kc->templates, kc->op_copies};
    pthread_mutex_unlock(&kc->lock);
}

void card_keycache_bind(struct card_keycache *kc, struct kc_binding *saved)
{
    OPENSSL_cleanse(mk_notes, sizeof(mk_notes));
    *saved = bound;
    bound.kc = kc;
    if (!kc)
        return;
    pthread_mutex_lock(&kc->lock);
    memcpy(bound.gen, kc->gen, sizeof(bound.gen));
    pthread_mutex_unlock(&kc->lock);
}

void card_keycache_unbind(const struct kc_binding *saved)
{
    OPENSSL_cleanse(mk_notes, sizeof(mk_notes));
    bound = *saved;
}

bool card_keycache_active(void)
{
    return bound.kc != NULL;
}

void card_keycache_note_mk(unsigned set, const uint8_t *mk, size_t mk_len, const uint8_t fp[32])
{
    if (!bound.kc || set >= KC_SETS || mk_len == 0 || mk_len > sizeof(mk_notes[0].key))
        return;
    struct mk_note *n = &mk_notes[set];
    memcpy(n->key, mk, mk_len);
    memcpy(n->fp, fp, sizeof(n->fp));
    n->len = mk_len;
}

/* The noted fingerprint of exactly these key bytes, if any. */
static bool noted_fp(unsigned set, const uint8_t *mk, size_t mk_len, uint8_t fp[32])
{
    const struct mk_note *n = set < KC_SETS ? &mk_notes[set] : NULL;
    if (!n || n->len == 0 || n->len != mk_len || CRYPTO_memcmp(n->key, mk, mk_len) != 0)
        return false;
    memcpy(fp, n->fp, sizeof(n->fp));
    return true;
}

csu_err card_keycache_mk_fp(unsigned set, const uint8_t *mk, size_t mk_len, uint8_t fp[32])
{
    return noted_fp(set, mk, mk_len, fp) ? CSU_OK : card_keycache_mk_fp_hash(set, mk, mk_len, fp);
}

csu_err card_keycache_mk_fp_hash(unsigned set, const uint8_t *mk, size_t mk_len, uint8_t fp[32])
{
    static const char domain[] = "csucard key cache master key";
    uint8_t head[sizeof(domain) + 1];
    memcpy(head, domain, sizeof(domain));
    head[sizeof(domain)] = (uint8_t)set;
    unsigned n = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestInit_ex(md, card_sha256(), NULL) == 1 && EVP_DigestUpdate(md, head, sizeof(head)) == 1 &&
              EVP_DigestUpdate(md, mk, mk_len) == 1 && EVP_DigestFinal_ex(md, fp, &n) == 1 && n == 32;
    EVP_MD_CTX_free(md);
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

csu_err card_keycache_id(enum kc_kind kind, unsigned set, const uint8_t *tok, size_t len, const uint8_t *mk,
                         size_t mk_len, struct kc_id *id)
{
    memset(id, 0, sizeof(*id));
    id->kind = (uint8_t)kind;
    id->set = (uint8_t)set;
    if (!token_digest(tok, len, id->digest))
        return CSU_E_CRYPTO;
    return mk ? card_keycache_mk_fp(set, mk, mk_len, id->mk_fp) : CSU_OK;
}

/* What a lookup copies out on a hit (card_keycache_get, card_keycache_get_op). */
struct kc_want {
    uint8_t *secret;
    size_t secret_cap;
    size_t *secret_len;
    void *info;
    size_t info_cap;
    EVP_PKEY **pkey;
    uint8_t *mk_fp_out;
    unsigned op_slot;
    EVP_PKEY_CTX **op;
};

static bool entry_serves(const struct kc_entry *e, const struct kc_id *id, const struct kc_want *w)
{
    /* the same token under another key of the same VP is impossible in practice; refuse it anyway */
    return e && e->id.set == id->set &&
           (w->mk_fp_out || CRYPTO_memcmp(e->id.mk_fp, id->mk_fp, sizeof(id->mk_fp)) == 0) &&
           e->secret_len <= w->secret_cap && e->info_len <= w->info_cap && (!e->pkey || w->pkey) &&
           (!e->pkey || EVP_PKEY_up_ref(e->pkey) == 1);
}

/* Copies of a served entry (lock held).  A template is copied here, under the lock, so never by two threads at once. */
static void entry_copy_out(struct card_keycache *kc, const struct kc_entry *e, const struct kc_want *w)
{
    if (e->secret_len)
        memcpy(w->secret, e->secret, e->secret_len);
    if (w->secret_len)
        *w->secret_len = e->secret_len;
    if (e->info_len)
        memcpy(w->info, e->info, e->info_len);
    if (w->pkey)
        *w->pkey = e->pkey;
    if (w->mk_fp_out)
        memcpy(w->mk_fp_out, e->id.mk_fp, sizeof(e->id.mk_fp));
    if (w->op) {
        *w->op = w->op_slot < KC_OPS && e->ops[w->op_slot] ? EVP_PKEY_CTX_dup(e->ops[w->op_slot]) : NULL;
        kc->op_copies += *w->op != NULL;
    }
}

static bool lookup(const struct kc_id *id, const struct kc_want *w)
{
    struct card_keycache *kc = bound.kc;
    if (!kc)
        return false;
    pthread_mutex_lock(&kc->lock);
    struct kc_entry *e = *slot_of(kc, id);
    bool hit = entry_serves(e, id, w);
    if (hit) {
        entry_copy_out(kc, e, w);
        lru_unlink(kc, e);
        lru_push(kc, e);
        kc->hits++;
    } else {
        kc->misses++;
    }
    pthread_mutex_unlock(&kc->lock);
    return hit;
}

bool card_keycache_get(const struct kc_id *id, uint8_t *secret, size_t secret_cap, size_t *secret_len, void *info,
                       size_t info_cap, EVP_PKEY **pkey, uint8_t *mk_fp_out)
{
    return lookup(id, &(struct kc_want){secret, secret_cap, secret_len, info, info_cap, pkey, mk_fp_out, KC_OPS, NULL});
}

bool card_keycache_get_op(const struct kc_id *id, void *info, size_t info_cap, EVP_PKEY **pkey, uint8_t *mk_fp_out,
                          unsigned op_slot, EVP_PKEY_CTX **op)
{
    *op = NULL;
    return lookup(id, &(struct kc_want){NULL, 0, NULL, info, info_cap, pkey, mk_fp_out, op_slot, op});
}

void card_keycache_put_op(const struct kc_id *id, unsigned op_slot, EVP_PKEY_CTX *op)
{
    struct card_keycache *kc = bound.kc;
    if (kc && op && op_slot < KC_OPS && id->set < KC_SETS) {
        pthread_mutex_lock(&kc->lock);
        struct kc_entry *e = *slot_of(kc, id);
        bool keep = e && e->id.set == id->set && e->pkey && e->pkey == EVP_PKEY_CTX_get0_pkey(op) && !e->ops[op_slot] &&
                    CRYPTO_memcmp(e->id.mk_fp, id->mk_fp, sizeof(id->mk_fp)) == 0 &&
                    kc->gen[id->set] == bound.gen[id->set] && kc->bytes + OP_COST <= kc->max_bytes;
        if (keep) {
            e->ops[op_slot] = op;
            e->cost += OP_COST;
            kc->bytes += OP_COST;
            kc->templates++;
            op = NULL;
        }
        pthread_mutex_unlock(&kc->lock);
    }
    EVP_PKEY_CTX_free(op); /* not kept: freed outside the lock */
}

/* A new entry holding copies of @p v (and a reference to its key), or NULL. */
static struct kc_entry *entry_make(const struct kc_id *id, const struct kc_value *v)
{
    struct kc_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->id = *id;
    e->secret = v->secret_len ? malloc(v->secret_len) : NULL;
    e->info = v->info_len ? malloc(v->info_len) : NULL;
    if ((v->secret_len && !e->secret) || (v->info_len && !e->info) || (v->pkey && EVP_PKEY_up_ref(v->pkey) != 1)) {
        entry_wipe(e);
        return NULL;
    }
    if (v->secret_len)
        memcpy(e->secret, v->secret, v->secret_len);
    if (v->info_len)
        memcpy(e->info, v->info, v->info_len);
    e->secret_len = v->secret_len;
    e->info_len = v->info_len;
    e->pkey = v->pkey;
    e->cost = ENTRY_OVERHEAD + v->secret_len + v->info_len + v->cost;
    return e;
}

void card_keycache_put(const struct kc_id *id, const struct kc_value *v)
{
    struct card_keycache *kc = bound.kc;
    if (!kc || id->set >= KC_SETS)
        return;
    struct kc_entry *e = entry_make(id, v);
    if (!e)
        return;
    struct kc_entry *dead = NULL;
    pthread_mutex_lock(&kc->lock);
    if (kc->gen[id->set] != bound.gen[id->set] || e->cost > kc->max_bytes) {
        e->next_in_bucket = dead; /* flushed during this request, or too big: not kept */
        dead = e;
    } else {
        struct kc_entry *same = *slot_of(kc, id);
        if (same)
            retire(kc, same, &dead); /* replaced: another MK fingerprint, or a racing miss */
        while (kc->oldest && (kc->entries + 1 > kc->max_entries || kc->bytes + e->cost > kc->max_bytes)) {
            retire(kc, kc->oldest, &dead);
            kc->evictions++;
        }
        struct kc_entry **slot = &kc->buckets[bucket_of(kc, id)];
        e->next_in_bucket = *slot;
        *slot = e;
        lru_push(kc, e);
        kc->entries++;
        kc->bytes += e->cost;
        kc->inserts++;
    }
    pthread_mutex_unlock(&kc->lock);
    wipe_list(dead);
}
