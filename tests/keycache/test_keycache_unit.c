/* SPDX-License-Identifier: Apache-2.0 */
/*
 * card_keycache on its own: LRU order, the entry and byte bounds, the
 * master-key fingerprint check, flush per register set, an insert made by a
 * request during which its set was flushed is dropped, EVP_PKEY references
 * outlive eviction (no use after free under ASan), counters.
 */
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

int main(void)
{
    lru_and_bounds();
    flushes();
    pkey_references();
    printf("keycache unit: ok\n");
    return 0;
}
