/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNBOWH rejection classes, expiry and concurrency, end to end through
 * libcsulcca on an in-process card (CSU_CARD=inproc:<mkdtemp dir>):
 *   forged, modified, replayed and stale chaining vectors 8/2036 (and a
 *   refused call leaves the real sequence usable); LAST or MIDDLE without
 *   FIRST 8/2036; a vector of another algorithm 8/2036; FIRST/MIDDLE not
 *   whole blocks 8/51; unknown keyword 8/33; two algorithms or two segments
 *   8/34; bad counts 8/35; no algorithm 8/129; NULL pointers 8/184; hash or
 *   chaining vector too small, negative lengths 8/72 (outputs untouched);
 *   a table full of abandoned sequences still serves new ones (LRU
 *   eviction); 8 threads running interleaved sequences.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <pthread.h>

#include "hash_test_util.h"

static char state_dir[128];

#define EXPECT(rc_, rs_, rc, rs)                                                                          \
    do {                                                                                                  \
        if ((rc) != (rc_) || (rs) != (rs_))                                                               \
            fail_msg("line %d: got %ld/%ld, expected %d/%d", __LINE__, (long)(rc), (long)(rs), rc_, rs_); \
    } while (0)

#define TOKEN_LEN 52 /* sealed part of a vector (card/card_ctx.h) */

static unsigned char text[4096];

/* FIRST of SHA-256 over two blocks; the vector in @p cv. */
static void start_sha256(unsigned char cv[CV_LEN])
{
    long rc, rs;
    ht_owh("SHA-256", "FIRST", text, 128, cv, CV_LEN, NULL, NULL, &rc, &rs);
    EXPECT(0, 0, rc, rs);
}

/* LAST of SHA-256 over @p rest bytes after @p done; checks the digest. */
static void finish_sha256(unsigned char cv[CV_LEN], long done, long rest)
{
    unsigned char got[32], want[32];
    long rc, rs, hl = 32;
    ht_owh("SHA-256", "LAST", text + done, rest, cv, CV_LEN, got, &hl, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    ht_evp(ht_alg("SHA-256"), text, (size_t)(done + rest), want);
    assert_memory_equal(got, want, 32);
}

static void test_forged_and_modified_vectors(void **state)
{
    (void)state;
    unsigned char cv[CV_LEN], bad[CV_LEN], hash[32];
    long rc, rs, hl = 32;
    /* Never started: zeros, and random bytes. */
    memset(bad, 0, sizeof(bad));
    ht_owh("SHA-256", "LAST", "x", 1, bad, CV_LEN, hash, &hl, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
    ht_owh("SHA-256", "MIDDLE", text, 64, bad, CV_LEN, NULL, NULL, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
    for (int i = 0; i < CV_LEN; i++)
        bad[i] = (unsigned char)(i * 37 + 11);
    ht_owh("SHA-256", "LAST", "x", 1, bad, CV_LEN, hash, &hl, &rc, &rs);
    EXPECT(8, 2036, rc, rs);

    /* A live vector changed in any one byte: refused, and the real one still works. */
    start_sha256(cv);
    for (int i = 0; i < CV_LEN; i++) {
        memcpy(bad, cv, CV_LEN);
        bad[i] ^= 0x01;
        ht_owh("SHA-256", "MIDDLE", text + 128, 64, bad, CV_LEN, NULL, NULL, &rc, &rs);
        EXPECT(8, 2036, rc, rs);
        ht_owh("SHA-256", "LAST", "", 0, bad, CV_LEN, hash, &hl, &rc, &rs);
        EXPECT(8, 2036, rc, rs);
    }
    /* The same vector under another algorithm: refused, not consumed. */
    unsigned char h1[20];
    long hl1 = 20;
    ht_owh("SHA-1", "LAST", "", 0, cv, CV_LEN, h1, &hl1, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
    ht_owh("SHA3-256", "MIDDLE", text, 136, cv, CV_LEN_SHA3, NULL, NULL, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
    finish_sha256(cv, 128, 10);
}

static void test_replayed_and_stale_vectors(void **state)
{
    (void)state;
    unsigned char v1[CV_LEN], v2[CV_LEN], hash[32];
    long rc, rs, hl = 32;
    start_sha256(v1);
    memcpy(v2, v1, CV_LEN);
    ht_owh("SHA-256", "MIDDLE", text + 128, 64, v2, CV_LEN, NULL, NULL, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_not_equal(v1, v2, CV_LEN); /* every piece gets a new vector */
    /* Replaying the earlier vector: refused (it would fork the sequence). */
    ht_owh("SHA-256", "MIDDLE", text + 128, 64, v1, CV_LEN, NULL, NULL, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
    ht_owh("SHA-256", "LAST", "", 0, v1, CV_LEN, hash, &hl, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
    /* The current one goes on; after LAST it is stale. */
    unsigned char v3[CV_LEN];
    memcpy(v3, v2, CV_LEN);
    finish_sha256(v2, 192, 5);
    ht_owh("SHA-256", "LAST", "", 0, v3, CV_LEN, hash, &hl, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
    ht_owh("SHA-256", "MIDDLE", text, 64, v3, CV_LEN, NULL, NULL, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
}

static void test_whole_blocks(void **state)
{
    (void)state;
    unsigned char cv[CV_LEN_SHA3], keep[CV_LEN];
    long rc, rs;
    ht_owh("SHA-256", "FIRST", text, 63, cv, CV_LEN, NULL, NULL, &rc, &rs);
    EXPECT(8, 51, rc, rs);
    ht_owh("SHA-512", "FIRST", text, 64, cv, CV_LEN, NULL, NULL, &rc, &rs);
    EXPECT(8, 51, rc, rs);
    ht_owh("SHA3-256", "FIRST", text, 64, cv, CV_LEN_SHA3, NULL, NULL, &rc, &rs);
    EXPECT(8, 51, rc, rs);
    start_sha256(cv);
    memcpy(keep, cv, CV_LEN);
    ht_owh("SHA-256", "MIDDLE", text + 128, 65, cv, CV_LEN, NULL, NULL, &rc, &rs);
    EXPECT(8, 51, rc, rs);
    assert_memory_equal(keep, cv, CV_LEN); /* untouched, and still usable */
    finish_sha256(cv, 128, 65);
}

static void test_rule_arrays(void **state)
{
    (void)state;
    unsigned char hash[64];
    long hl = 64, rc, rs;
    ht_owh("SHA-999", "ONLY", "abc", 3, NULL, 0, hash, &hl, &rc, &rs);
    EXPECT(8, 33, rc, rs);
    ht_owh("SHA-256", "SOMETIME", "abc", 3, NULL, 0, hash, &hl, &rc, &rs);
    EXPECT(8, 33, rc, rs);
    ht_owh("SHA-256", "SHA-1", "abc", 3, NULL, 0, hash, &hl, &rc, &rs);
    EXPECT(8, 34, rc, rs);
    ht_owh("ONLY", "LAST", "abc", 3, NULL, 0, hash, &hl, &rc, &rs);
    EXPECT(8, 34, rc, rs);
    ht_owh("ONLY", NULL, "abc", 3, NULL, 0, hash, &hl, &rc, &rs);
    EXPECT(8, 129, rc, rs);
    unsigned char rules[3 * W];
    memset(rules, ' ', sizeof(rules));
    memcpy(rules, "SHA-256", 7);
    memcpy(rules + W, "ONLY", 4);
    memcpy(rules + 2 * W, "ONLY", 4);
    long tl = 3, cvl = 0;
    for (long count = -1; count <= 3; count += 4) { /* -1 and 3 */
        long c = count;
        CSNBOWH(&rc, &rs, NULL, NULL, &c, rules, &tl, (unsigned char *)"abc", &cvl, NULL, &hl, hash);
        EXPECT(8, 35, rc, rs);
    }
    long zero = 0;
    CSNBOWH(&rc, &rs, NULL, NULL, &zero, rules, &tl, (unsigned char *)"abc", &cvl, NULL, &hl, hash);
    EXPECT(8, 35, rc, rs);
}

static void test_null_pointers(void **state)
{
    (void)state;
    unsigned char rules[2 * W], cv[CV_LEN], hash[32];
    long count = ht_rules(rules, "SHA-256", "ONLY"), tl = 3, cvl = CV_LEN, hl = 32, rc, rs;
    unsigned char *abc = (unsigned char *)"abc";
    CSNBOWH(NULL, &rs, NULL, NULL, &count, rules, &tl, abc, &cvl, cv, &hl, hash); /* must not crash */
    CSNBOWH(&rc, NULL, NULL, NULL, &count, rules, &tl, abc, &cvl, cv, &hl, hash);
    CSNBOWH(&rc, &rs, NULL, NULL, NULL, rules, &tl, abc, &cvl, cv, &hl, hash);
    EXPECT(8, 184, rc, rs);
    CSNBOWH(&rc, &rs, NULL, NULL, &count, NULL, &tl, abc, &cvl, cv, &hl, hash);
    EXPECT(8, 184, rc, rs);
    CSNBOWH(&rc, &rs, NULL, NULL, &count, rules, NULL, abc, &cvl, cv, &hl, hash);
    EXPECT(8, 184, rc, rs);
    CSNBOWH(&rc, &rs, NULL, NULL, &count, rules, &tl, NULL, &cvl, cv, &hl, hash);
    EXPECT(8, 184, rc, rs);
    CSNBOWH(&rc, &rs, NULL, NULL, &count, rules, &tl, abc, &cvl, cv, NULL, hash);
    EXPECT(8, 184, rc, rs);
    CSNBOWH(&rc, &rs, NULL, NULL, &count, rules, &tl, abc, &cvl, cv, &hl, NULL);
    EXPECT(8, 184, rc, rs);
    /* Chained calls need the chaining vector and its length. */
    count = ht_rules(rules, "SHA-256", "FIRST");
    tl = 64;
    CSNBOWH(&rc, &rs, NULL, NULL, &count, rules, &tl, text, &cvl, NULL, &hl, hash);
    EXPECT(8, 184, rc, rs);
    CSNBOWH(&rc, &rs, NULL, NULL, &count, rules, &tl, text, NULL, cv, &hl, hash);
    EXPECT(8, 184, rc, rs);
    /* ONLY needs neither; a NULL text of length 0 is an empty text. */
    count = ht_rules(rules, "SHA-256", "ONLY");
    tl = 0;
    CSNBOWH(&rc, &rs, NULL, NULL, &count, rules, &tl, NULL, NULL, NULL, &hl, hash);
    EXPECT(0, 0, rc, rs);
}

static void test_lengths(void **state)
{
    (void)state;
    unsigned char hash[64], cv[CV_LEN_SHA3];
    long rc, rs, hl;
    for (size_t i = 0; i < HT_ALG_COUNT; i++) { /* one byte short: 8/72, hash untouched */
        memset(hash, 0xAB, sizeof(hash));
        hl = ht_algs[i].digest - 1;
        ht_owh(ht_algs[i].keyword, "ONLY", "abc", 3, NULL, 0, hash, &hl, &rc, &rs);
        EXPECT(8, 72, rc, rs);
        for (int k = 0; k < 64; k++)
            assert_int_equal(hash[k], 0xAB);
        assert_int_equal(hl, ht_algs[i].digest - 1);
    }
    /* LAST with a short hash buffer: refused, the sequence survives for a retry. */
    start_sha256(cv);
    hl = 31;
    ht_owh("SHA-256", "LAST", "tail", 4, cv, CV_LEN, hash, &hl, &rc, &rs);
    EXPECT(8, 72, rc, rs);
    finish_sha256(cv, 128, 4);
    /* Chaining vector smaller than the work area: 128, SHA-3 256. */
    ht_owh("SHA-256", "FIRST", text, 64, cv, CV_LEN - 1, NULL, NULL, &rc, &rs);
    EXPECT(8, 72, rc, rs);
    ht_owh("SHA3-256", "FIRST", text, 136, cv, CV_LEN, NULL, NULL, &rc, &rs);
    EXPECT(8, 72, rc, rs);
    ht_owh("SHA3-256", "FIRST", text, 136, cv, CV_LEN_SHA3, NULL, NULL, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    hl = 32;
    ht_owh("SHA3-256", "LAST", "", 0, cv, CV_LEN_SHA3, hash, &hl, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    /* Negative lengths. */
    hl = 32;
    ht_owh("SHA-256", "ONLY", "abc", -1, NULL, 0, hash, &hl, &rc, &rs);
    EXPECT(8, 72, rc, rs);
    hl = -5;
    ht_owh("SHA-256", "ONLY", "abc", 3, NULL, 0, hash, &hl, &rc, &rs);
    EXPECT(8, 72, rc, rs);
    ht_owh("SHA-256", "FIRST", text, 64, cv, -128, NULL, NULL, &rc, &rs);
    EXPECT(8, 72, rc, rs);
}

/* More abandoned sequences than the table holds (4096): the oldest are
 * evicted, the newest and every new sequence still work. */
static void test_abandoned_sequences_expire(void **state)
{
    (void)state;
    enum { TABLE = 4096, EXTRA = 50 };
    unsigned char oldest[CV_LEN], newest[CV_LEN], cv[CV_LEN];
    long rc, rs;
    start_sha256(oldest);
    for (int i = 0; i < TABLE + EXTRA; i++) {
        ht_owh("SHA-1", "FIRST", text, 64, cv, CV_LEN, NULL, NULL, &rc, &rs);
        EXPECT(0, 0, rc, rs);
    }
    memcpy(newest, cv, CV_LEN);
    unsigned char hash[32];
    long hl = 32;
    ht_owh("SHA-256", "LAST", "", 0, oldest, CV_LEN, hash, &hl, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
    start_sha256(cv);
    finish_sha256(cv, 128, 3);
    unsigned char want[20];
    hl = 20;
    ht_owh("SHA-1", "LAST", "", 0, newest, CV_LEN, hash, &hl, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    ht_evp(ht_alg("SHA-1"), text, 64, want);
    assert_memory_equal(hash, want, 20);
}

/* Threads each running their own FIRST..LAST sequences, interleaved on
 * the shared table, every digest checked against OpenSSL. */
struct worker_result {
    unsigned seed;
    int failures;
};

static void *sequence_worker(void *arg)
{
    struct worker_result *r = arg;
    for (int n = 0; n < 60; n++) {
        const struct ht_alg *a = &ht_algs[rand_r(&r->seed) % HT_ALG_COUNT];
        unsigned char cv[CV_LEN_SHA3], got[64], want[64];
        long rc, rs, hl = a->digest, done = 0;
        int pieces = (int)(rand_r(&r->seed) % 5);
        ht_owh(a->keyword, "FIRST", text, a->block, cv, a->vector, NULL, NULL, &rc, &rs);
        r->failures += rc != 0;
        done = a->block;
        for (int p = 0; p < pieces && rc == 0; p++) {
            ht_owh(a->keyword, "MIDDLE", text + done, a->block, cv, a->vector, NULL, NULL, &rc, &rs);
            r->failures += rc != 0;
            done += a->block;
        }
        long rest = (long)(rand_r(&r->seed) % 100);
        ht_owh(a->keyword, "LAST", text + done, rest, cv, a->vector, got, &hl, &rc, &rs);
        ht_evp(a, text, (size_t)(done + rest), want);
        r->failures += rc != 0 || memcmp(got, want, (size_t)a->digest) != 0;
    }
    return NULL;
}

static void test_concurrent_sequences(void **state)
{
    (void)state;
    enum { THREADS = 8 };
    pthread_t t[THREADS];
    struct worker_result r[THREADS];
    for (int i = 0; i < THREADS; i++) {
        r[i] = (struct worker_result){.seed = 1000u + (unsigned)i};
        assert_int_equal(pthread_create(&t[i], NULL, sequence_worker, &r[i]), 0);
    }
    int failures = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        failures += r[i].failures;
    }
    assert_int_equal(failures, 0);
}

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (unsigned char)(i * 13 + 5);
    ht_inproc_card(state_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ht_remove_dir(state_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forged_and_modified_vectors),
        cmocka_unit_test(test_replayed_and_stale_vectors),
        cmocka_unit_test(test_whole_blocks),
        cmocka_unit_test(test_rule_arrays),
        cmocka_unit_test(test_null_pointers),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_abandoned_sequences_expire),
        cmocka_unit_test(test_concurrent_sequences),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
