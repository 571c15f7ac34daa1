/* SPDX-License-Identifier: Apache-2.0 */
/*
 * card_keycache on its own: LRU order, the entry and byte bounds, the
 * master-key fingerprint check, flush per register set, an insert made by a
 * request during which its set was flushed is dropped, EVP_PKEY references
 * outlive eviction (no use after free under ASan), counters; prepared
 * operations (templates: which offers are kept, copies sign, copies outlive
 * their entry, 16 threads racing over 64 keys in 8 entries); the per-thread
 * token-digest memo (always the SHA-256 of the very bytes given).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "card_keycache.h"

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                  \
        }                                                                             \
    } while (0)

static const uint8_t mk1[32] = {1}, mk2[32] = {2};

static struct kc_id id_of(unsigned n, unsigned set, const uint8_t *mk)
{
    uint8_t tok[64] = {0};
    memcpy(tok, &n, sizeof(n));
    struct kc_id id;
    CHECK(card_keycache_id(KC_FIXED, set, tok, sizeof(tok), mk, 32, &id) == CSU_OK);
    return id;
}

static void put(unsigned n, unsigned set)
{
    uint8_t key[16];
    memset(key, (int)n, sizeof(key));
    struct kc_id id = id_of(n, set, mk1);
    card_keycache_put(&id, &(struct kc_value){.secret = key, .secret_len = sizeof(key)});
}

static bool has(unsigned n, unsigned set, const uint8_t *mk)
{
    uint8_t key[32];
    size_t len = 0;
    struct kc_id id = id_of(n, set, mk);
    bool hit = card_keycache_get(&id, key, sizeof(key), &len, NULL, 0, NULL, NULL);
    if (hit) {
        CHECK(len == 16);
        for (size_t i = 0; i < len; i++)
            CHECK(key[i] == (uint8_t)n);
    }
    return hit;
}

static void lru_and_bounds(void)
{
    struct card_keycache *kc;
    CHECK(card_keycache_new(4, 1 << 20, &kc) == CSU_OK && kc);
    struct kc_binding saved;
    card_keycache_bind(kc, &saved);
    for (unsigned i = 1; i <= 4; i++)
        put(i, 0);
    CHECK(has(1, 0, mk1)); /* 1 becomes the most recent: 2 is the oldest */
    put(5, 0);
    CHECK(!has(2, 0, mk1) && has(1, 0, mk1) && has(3, 0, mk1) && has(5, 0, mk1));
    CHECK(!has(1, 0, mk2)); /* another master key: never served */
    struct kc_stats st;
    card_keycache_stats(kc, &st);
    CHECK(st.entries == 4 && st.evictions == 1 && st.max_entries == 4);
    card_keycache_unbind(&saved);
    CHECK(!has(1, 0, mk1)); /* unbound: no cache */
    card_keycache_free(kc);

    CHECK(card_keycache_new(100, 3 * 300, &kc) == CSU_OK); /* room for three 16-byte keys */
    card_keycache_bind(kc, &saved);
    for (unsigned i = 1; i <= 5; i++)
        put(i, 0);
    card_keycache_stats(kc, &st);
    CHECK(st.entries == 3 && st.bytes <= 900 && !has(2, 0, mk1) && has(5, 0, mk1));
    card_keycache_unbind(&saved);
    card_keycache_free(kc);

    CHECK(card_keycache_new(0, 100, &kc) == CSU_OK && !kc); /* 0: off */
}

static void flushes(void)
{
    struct card_keycache *kc;
    CHECK(card_keycache_new(16, 1 << 20, &kc) == CSU_OK);
    struct kc_binding saved;
    card_keycache_bind(kc, &saved);
    put(1, 2), put(2, 3), put(3, 0);
    card_keycache_flush(kc, 2);
    CHECK(!has(1, 2, mk1) && has(2, 3, mk1) && has(3, 0, mk1));
    put(4, 2); /* this request saw set 2 flushed: its entry is not kept */
    CHECK(!has(4, 2, mk1));
    put(5, 3); /* another set: kept */
    CHECK(has(5, 3, mk1));
    card_keycache_unbind(&saved);
    card_keycache_bind(kc, &saved); /* a new request */
    put(4, 2);
    CHECK(has(4, 2, mk1));
    card_keycache_flush(kc, KC_ALL_SETS);
    struct kc_stats st;
    card_keycache_stats(kc, &st);
    CHECK(st.entries == 0 && st.bytes == 0 && st.flushed == 5);
    card_keycache_unbind(&saved);
    card_keycache_free(kc);
}

static void pkey_references(void)
{
    struct card_keycache *kc;
    CHECK(card_keycache_new(1, 1 << 20, &kc) == CSU_OK);
    struct kc_binding saved;
    card_keycache_bind(kc, &saved);
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CHECK(pk);
    struct kc_id id = id_of(7, 3, mk1);
    int facts = 42, got = 0;
    card_keycache_put(&id, &(struct kc_value){.info = &facts, .info_len = sizeof(facts), .pkey = pk, .cost = 2048});
    EVP_PKEY_free(pk); /* the cache holds its own reference */
    EVP_PKEY *mine = NULL;
    uint8_t fp[32];
    struct kc_id probe = id_of(7, 3, NULL);
    CHECK(card_keycache_get(&probe, NULL, 0, NULL, &got, sizeof(got), &mine, fp) && mine && got == 42);
    CHECK(memcmp(fp, id.mk_fp, 32) == 0);
    put(8, 0); /* evicts the key while this "request" still uses it */
    uint8_t sig[128];
    size_t sig_len = sizeof(sig);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
    CHECK(c && EVP_PKEY_sign_init(c) == 1 && EVP_PKEY_sign(c, sig, &sig_len, (const uint8_t *)"0123456789abcdef0123456789abcdef", 32) == 1);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(mine);
    card_keycache_unbind(&saved);
    card_keycache_free(kc);
}

/* ---- prepared operations ---------------------------------------------------------- */

static const uint8_t tbs[32] = "0123456789abcdef0123456789abcdef";

static EVP_PKEY_CTX *sign_template(EVP_PKEY *pk)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    CHECK(c && EVP_PKEY_sign_init(c) == 1);
    return c;
}

/* Sign with @p c (consumed) and verify with a context of its own on @p pk. */
static bool signs(EVP_PKEY_CTX *c, EVP_PKEY *pk)
{
    uint8_t sig[128];
    size_t sig_len = sizeof(sig);
    bool ok = c && EVP_PKEY_sign(c, sig, &sig_len, tbs, sizeof(tbs)) == 1;
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_CTX *v = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    ok = ok && v && EVP_PKEY_verify_init(v) == 1 && EVP_PKEY_verify(v, sig, sig_len, tbs, sizeof(tbs)) == 1;
    EVP_PKEY_CTX_free(v);
    return ok;
}

static void put_key(const struct kc_id *id, EVP_PKEY *pk)
{
    int facts = 7;
    card_keycache_put(id, &(struct kc_value){.info = &facts, .info_len = sizeof(facts), .pkey = pk, .cost = 2048});
}

/* A hit on @p probe (fingerprint unknown, as fw_pkacrypto asks); *op: the slot's copy or NULL. */
static bool get_op(unsigned n, unsigned slot, EVP_PKEY **pk, EVP_PKEY_CTX **op)
{
    struct kc_id probe = id_of(n, 3, NULL);
    int facts = 0;
    uint8_t fp[32];
    *pk = NULL;
    bool hit = card_keycache_get_op(&probe, &facts, sizeof(facts), pk, fp, slot, op);
    CHECK(!hit || (facts == 7 && *pk));
    CHECK(hit || !*op);
    return hit;
}

static void templates(void)
{
    struct card_keycache *kc;
    CHECK(card_keycache_new(2, 1 << 20, &kc) == CSU_OK);
    struct kc_binding saved;
    card_keycache_bind(kc, &saved);
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CHECK(pk && other);
    struct kc_id id = id_of(1, 3, mk1), wrong_mk = id_of(1, 3, mk2), absent = id_of(9, 3, mk1);
    put_key(&id, pk);
    EVP_PKEY *got;
    EVP_PKEY_CTX *op;
    CHECK(get_op(1, 0, &got, &op) && !op); /* no template yet */
    EVP_PKEY_free(got);
    card_keycache_put_op(&id, 0, sign_template(other));    /* another key object: dropped */
    card_keycache_put_op(&wrong_mk, 0, sign_template(pk)); /* another master key: dropped */
    card_keycache_put_op(&absent, 0, sign_template(pk));   /* no such entry: dropped */
    card_keycache_put_op(&id, KC_OPS, sign_template(pk));  /* no such slot: dropped */
    struct kc_stats st;
    card_keycache_stats(kc, &st);
    CHECK(st.templates == 0 && st.bytes == 256 + sizeof(int) + 2048);
    card_keycache_put_op(&id, 1, sign_template(pk)); /* kept, charged to the byte bound */
    card_keycache_put_op(&id, 1, sign_template(pk)); /* slot taken: dropped */
    card_keycache_stats(kc, &st);
    CHECK(st.templates == 1 && st.bytes == 256 + sizeof(int) + 2048 + 1024);
    CHECK(get_op(1, 0, &got, &op) && !op); /* slot 0 still empty */
    EVP_PKEY_free(got);
    CHECK(get_op(1, KC_OPS, &got, &op) && !op);
    EVP_PKEY_free(got);
    CHECK(get_op(1, 1, &got, &op) && op && EVP_PKEY_CTX_get0_pkey(op) == pk);
    EVP_PKEY_CTX *second = NULL;
    EVP_PKEY *got2;
    CHECK(get_op(1, 1, &got2, &second) && second && second != op);
    card_keycache_stats(kc, &st);
    CHECK(st.op_copies == 2);
    put(2, 0), put(3, 0); /* evicts the entry and its template while both copies are out */
    card_keycache_stats(kc, &st);
    CHECK(st.templates == 0 && st.entries == 2);
    EVP_PKEY *gone;
    EVP_PKEY_CTX *none;
    CHECK(!get_op(1, 1, &gone, &none));
    EVP_PKEY_free(pk); /* the copies and got hold the last references */
    CHECK(signs(op, got) && signs(second, got2));
    EVP_PKEY_free(got);
    EVP_PKEY_free(got2);

    card_keycache_unbind(&saved); /* unbound: an offer is freed (no leak under ASan) */
    card_keycache_put_op(&id, 0, sign_template(other));
    card_keycache_bind(kc, &saved);
    put_key(&id, other);
    card_keycache_flush(kc, 3); /* this request saw its set flushed: no template kept */
    put_key(&id, other);
    card_keycache_put_op(&id, 0, sign_template(other));
    card_keycache_stats(kc, &st);
    CHECK(st.templates == 0);
    card_keycache_unbind(&saved);
    card_keycache_bind(kc, &saved);
    put_key(&id, other);
    card_keycache_put_op(&id, 0, sign_template(other));
    card_keycache_stats(kc, &st);
    CHECK(st.templates == 1);
    card_keycache_unbind(&saved);
    card_keycache_free(kc); /* frees the template with its entry (leak check under ASan) */
    EVP_PKEY_free(other);
}

/* 16 threads, 64 keys, 8 entries: hits copy templates while others evict them. */
#define RACE_THREADS 16
#define RACE_KEYS 64
#define RACE_ROUNDS 120

static struct card_keycache *race_kc;
static EVP_PKEY *race_keys[RACE_KEYS];

static void *race(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    long failures = 0;
    struct kc_binding saved;
    card_keycache_bind(race_kc, &saved);
    for (unsigned r = 0; r < RACE_ROUNDS; r++) {
        unsigned n = (r / 10u * 5u + seed % 10u) % RACE_KEYS; /* ~10 keys at a time for 8 entries */
        EVP_PKEY *pk = NULL;
        EVP_PKEY_CTX *op = NULL;
        if (!get_op(100 + n, 0, &pk, &op)) {
            struct kc_id id = id_of(100 + n, 3, mk1);
            put_key(&id, race_keys[n]);
            pk = race_keys[n];
            CHECK(EVP_PKEY_up_ref(pk) == 1);
            EVP_PKEY_CTX *c = sign_template(pk);
            card_keycache_put_op(&id, 0, EVP_PKEY_CTX_dup(c));
            op = c;
        } else if (!op) {
            op = sign_template(pk);
        }
        failures += !(EVP_PKEY_CTX_get0_pkey(op) == race_keys[n] && signs(op, pk));
        EVP_PKEY_free(pk);
    }
    card_keycache_unbind(&saved);
    return (void *)(intptr_t)failures;
}

static void template_races(void)
{
    CHECK(card_keycache_new(8, 1 << 20, &race_kc) == CSU_OK);
    for (int i = 0; i < RACE_KEYS; i++)
        CHECK((race_keys[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) != NULL);
    pthread_t th[RACE_THREADS];
    for (uintptr_t i = 0; i < RACE_THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, race, (void *)i) == 0);
    long failures = 0;
    for (int i = 0; i < RACE_THREADS; i++) {
        void *f;
        CHECK(pthread_join(th[i], &f) == 0);
        failures += (long)(intptr_t)f;
    }
    struct kc_stats st;
    card_keycache_stats(race_kc, &st);
    printf("template races: %d signatures, %ld failures; hits %llu, copies %llu, evictions %llu\n",
           RACE_THREADS * RACE_ROUNDS, failures, (unsigned long long)st.hits, (unsigned long long)st.op_copies,
           (unsigned long long)st.evictions);
    CHECK(failures == 0 && st.entries <= 8 && st.evictions > 0 && st.op_copies > 0 && st.templates <= 8);
    card_keycache_free(race_kc);
    for (int i = 0; i < RACE_KEYS; i++)
        EVP_PKEY_free(race_keys[i]);
}

/* ---- token digests ------------------------------------------------------------------- */

static void sha256_of(const uint8_t *p, size_t n, uint8_t out[32])
{
    unsigned len = 0;
    CHECK(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32);
}

static void digest_memo(void)
{
    static uint8_t tok[8][3000];
    static const size_t lens[] = {235, 235, 1093, 64, 2048, 2049, 3000, 1};
    uint8_t want[32];
    struct kc_id id;
    for (int i = 0; i < 8; i++)
        for (size_t j = 0; j < sizeof(tok[i]); j++)
            tok[i][j] = (uint8_t)(i * 37 + j * 11);
    for (int round = 0; round < 3; round++) /* more tokens than memo slots, and back again */
        for (int i = 0; i < 8; i++) {
            CHECK(card_keycache_id(KC_PKA, 3, tok[i], lens[i], NULL, 0, &id) == CSU_OK);
            sha256_of(tok[i], lens[i], want);
            CHECK(memcmp(id.digest, want, 32) == 0);
        }
    for (size_t at = 0; at < 235; at += 117) { /* one byte changed just after the original was hashed */
        CHECK(card_keycache_id(KC_PKA, 3, tok[0], 235, NULL, 0, &id) == CSU_OK);
        tok[0][at] ^= 0x01;
        CHECK(card_keycache_id(KC_PKA, 3, tok[0], 235, NULL, 0, &id) == CSU_OK);
        sha256_of(tok[0], 235, want);
        CHECK(memcmp(id.digest, want, 32) == 0);
        tok[0][at] ^= 0x01;
    }
    CHECK(card_keycache_id(KC_PKA, 3, tok[0], 234, NULL, 0, &id) == CSU_OK); /* a prefix is another token */
    sha256_of(tok[0], 234, want);
    CHECK(memcmp(id.digest, want, 32) == 0);
    CHECK(card_keycache_id(KC_PKA, 3, tok[0], 0, NULL, 0, &id) == CSU_OK);
    sha256_of(tok[0], 0, want);
    CHECK(memcmp(id.digest, want, 32) == 0);
}

int main(void)
{
    lru_and_bounds();
    flushes();
    pkey_references();
    templates();
    template_races();
    digest_memo();
    printf("keycache unit: ok\n");
    return 0;
}
