/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 16 threads hammer 64 keys (48 AES v4, 8 RSA-1024, 8 ECC P-256) through a
 * key cache of 8 entries (CSU_CARD_KEY_CACHE=8): every answer equals the one
 * computed single-threaded first, the cache never holds more than 8 entries,
 * and it evicted.  RSA keys sign with PKCS-1.1 and ZERO-PAD, ECC keys with
 * ECDSA: the entries' prepared signing contexts (both template slots) are
 * copied by some threads while others evict them.  Run under ASan
 * (-DENABLE_SANITIZERS=ON) it also shows no use after free and no leak of
 * the shared EVP_PKEYs and templates.
 */
#include <pthread.h>

#include "kc_util.h"

#define THREADS 16
#define KEYS 64
#define ROUNDS 40

struct key {
    unsigned char tok[TOK_BUF];
    long len;
    int kind; /* 0 AES, 1 RSA, 2 ECC */
    unsigned char want[1200];
    long want_len;
};

static struct key keys[KEYS];

static long call(struct key *k, unsigned char *out, long *n)
{
    if (k->kind == 0)
        return kc_aes_enc(k->tok, 64, out, n);
    long code = kc_sign(k->kind == 1, k->tok, k->len, out, n), more = 0;
    if (k->kind != 1 || code != 0)
        return code;
    code = kc_sign_with("RSA ZERO-PAD", 1, k->tok, k->len, out + *n, &more); /* the other template slot */
    *n += more;
    return code;
}

static void *hammer(void *arg)
{
    long id = (long)(intptr_t)arg, failures = 0;
    unsigned char out[1200];
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < KEYS; i++) {
            struct key *k = &keys[(i * 7 + id * 13 + r) % KEYS];
            long n = 0;
            if (call(k, out, &n) != 0 || n != k->want_len || memcmp(out, k->want, (size_t)n) != 0)
                failures++;
        }
    }
    return (void *)(intptr_t)failures;
}

int main(void)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/csu-kct-XXXXXX");
    CHECK(mkdtemp(dir));
    kc_env(dir, "8");
    kc_all_mks();
    for (int i = 0; i < KEYS; i++) {
        struct key *k = &keys[i];
        k->kind = i < 48 ? 0 : i < 56 ? 1 : 2;
        if (k->kind == 0) {
            kc_aes_v4((unsigned)i + 10, k->tok);
            k->len = 64;
        } else {
            k->len = k->kind == 1 ? rsa_generate(1024, "SIG-ONLY", k->tok) : ecc_generate(0x00, 256, "SIG-ONLY", k->tok);
            CHECK(k->len > 0);
        }
        CHECK(call(k, k->want, &k->want_len) == 0);
    }
    pthread_t th[THREADS];
    for (long i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, hammer, (void *)(intptr_t)i) == 0);
    long failures = 0;
    for (int i = 0; i < THREADS; i++) {
        void *f;
        CHECK(pthread_join(th[i], &f) == 0);
        failures += (long)(intptr_t)f;
    }
    struct kc_counts c = kc_counts();
    printf("threads: %d calls, %ld failures; hits %ld misses %ld evictions %ld entries %ld\n",
           THREADS * ROUNDS * KEYS, failures, c.v[KC_HITS], c.v[KC_MISSES], c.v[KC_EVICTIONS], c.v[KC_ENTRIES]);
    CHECK(failures == 0);
    CHECK(c.v[KC_MAX] == 8 && c.v[KC_ENTRIES] <= 8 && c.v[KC_EVICTIONS] > 0 && c.v[KC_HITS] > 0);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return 0;
}
