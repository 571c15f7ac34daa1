/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKA card halves (card/fw_pka.c) driven with request frames through
 * card_process on a fresh state directory: what the host library cannot
 * provoke or check from outside.  No APKA master key (12/764; CLEAR still
 * works), a failing pairwise-consistency test (16/336 and no output block),
 * hostile structures and capacities, RTNMK (8/707 without a full NMK; the
 * re-enciphered token answers 8/48 until SET), keywords not served (8/335).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "csu_mu.h"
#include "csu_rules.h"
#include "csu_wire.h"
#include "pka_keygen.h"
#include "card_fixture.h" /* struct fixture, setup, teardown: a card on a fresh directory */

struct result {
    uint32_t rc, rs;
    unsigned blocks;
    size_t len;
    uint8_t out[4096];
};

struct in_block {
    uint16_t tag;
    const void *p;
    size_t n;
};

static void run(struct fixture *f, uint16_t op, const char *words, const struct in_block *in, int nin,
                uint32_t cap, struct result *r)
{
    uint8_t rules[64];
    uint16_t count = 0;
    for (const char *w = words; w && *w; count++) { /* blank-separated keywords */
        const char *end = strchr(w, ' ');
        size_t n = end ? (size_t)(end - w) : strlen(w);
        char word[9] = {0};
        memcpy(word, w, n);
        csu_rules_put_word(rules + 8 * count, word);
        w = end ? end + 1 : w + n;
    }
    struct csu_wire_msg req = {.op = op, .rule_count = count, .rules = rules};
    uint8_t c[4];
    csu_store_be32(c, cap);
    csu_wire_add_block(&req, CSU_TAG_OUT_CAPACITY, c, 4);
    for (int i = 0; i < nin; i++)
        csu_wire_add_block(&req, in[i].tag, in[i].p, in[i].n);
    uint8_t *frame, *reply;
    size_t frame_len, reply_len;
    assert_int_equal(csu_wire_encode(&req, false, &frame, &frame_len), CSU_OK);
    assert_int_equal(card_process(f->w, frame, frame_len, &reply, &reply_len), CSU_OK);
    struct csu_wire_msg rep;
    assert_int_equal(csu_wire_decode_reply(reply, reply_len, &rep), CSU_OK);
    r->rc = rep.return_code;
    r->rs = rep.reason_code;
    r->blocks = rep.block_count;
    const struct csu_wire_block *b = csu_wire_find(&rep, CSU_TAG_OUT(1));
    r->len = b ? b->length : 0;
    if (b)
        memcpy(r->out, b->data, b->length);
    csu_wire_free(frame, frame_len);
    csu_wire_free(reply, reply_len);
}

static void expect(const struct result *r, uint32_t rc, uint32_t rs)
{
    if (r->rc != rc || r->rs != rs)
        fail_msg("expected %u/%u, got %u/%u", rc, rs, r->rc, r->rs);
}

static const uint8_t p256_kvs[8] = {0x00, 0x00, 0x01, 0x00, 0, 0, 0, 0};

static void skeleton(struct fixture *f, struct result *r)
{
    struct in_block kvs = {CSU_TAG_IN(1), p256_kvs, sizeof(p256_kvs)};
    run(f, CSU_OP_CSNDPKB, "ECC-PAIR", &kvs, 1, 2500, r);
    expect(r, 0, 0);
}

static void mk(struct fixture *f, const char *action)
{
    struct result r;
    char words[32];
    snprintf(words, sizeof(words), "APKA-MK %s", action);
    run(f, CSU_OP_CSNBMKP, words, NULL, 0, 0, &r);
    expect(&r, 0, 0);
}

static void test_no_master_key(void **state)
{
    struct fixture *f = *state;
    struct result sk, r;
    skeleton(f, &sk);
    struct in_block in = {CSU_TAG_IN(2), sk.out, sk.len};
    run(f, CSU_OP_CSNDPKG, "MASTER", &in, 1, 2500, &r);
    expect(&r, 12, 764);
    assert_int_equal(r.blocks, 0);
    /* CLEAR needs no master key: an external token with a clear d */
    run(f, CSU_OP_CSNDPKG, "CLEAR", &in, 1, 2500, &r);
    expect(&r, 0, 0);
    assert_int_equal(r.out[0], 0x1E);
    assert_int_equal(r.out[8], 0x20);
    assert_int_equal(r.out[8 + 10], 0x40);
}

static void test_pct_failure(void **state)
{
    struct fixture *f = *state;
    mk(f, "RANDOM");
    mk(f, "SET");
    struct result sk, r;
    skeleton(f, &sk);
    struct in_block in = {CSU_TAG_IN(2), sk.out, sk.len};
    pka_pct_fault(true);
    run(f, CSU_OP_CSNDPKG, "MASTER", &in, 1, 2500, &r);
    pka_pct_fault(false);
    expect(&r, 16, 336);
    assert_int_equal(r.blocks, 0); /* no token */
    run(f, CSU_OP_CSNDPKG, "MASTER", &in, 1, 2500, &r);
    expect(&r, 0, 0);
    assert_int_equal(r.out[0], 0x1F);
}

static void test_hostile_requests(void **state)
{
    struct fixture *f = *state;
    struct result r, sk;
    /* n length pointing past the structure */
    const uint8_t rsa_kvs[12] = {0x04, 0x00, 0x01, 0x00, 0x00, 0x03, 0, 0, 1, 0, 1, 0};
    struct in_block kvs = {CSU_TAG_IN(1), rsa_kvs, sizeof(rsa_kvs)};
    run(f, CSU_OP_CSNDPKB, "RSA-PUBL", &kvs, 1, 2500, &r);
    expect(&r, 8, 762);
    struct in_block short_kvs = {CSU_TAG_IN(1), p256_kvs, 4};
    run(f, CSU_OP_CSNDPKB, "ECC-PAIR", &short_kvs, 1, 2500, &r);
    expect(&r, 8, 72);
    /* output capacity too small: 8/72 and nothing sent */
    struct in_block ecc = {CSU_TAG_IN(1), p256_kvs, sizeof(p256_kvs)};
    run(f, CSU_OP_CSNDPKB, "ECC-PAIR", &ecc, 1, 20, &r);
    expect(&r, 8, 72);
    assert_int_equal(r.blocks, 0);
    run(f, CSU_OP_CSNDPKB, "QSA-PAIR", &ecc, 1, 2500, &r);
    expect(&r, 8, 335);
    run(f, CSU_OP_CSNDPKB, "ECC-PAIR XPRTCPAC", &ecc, 1, 2500, &r);
    expect(&r, 8, 335);
    run(f, CSU_OP_CSNDPKB, "ECC-PAIR NOSUCH", &ecc, 1, 2500, &r);
    expect(&r, 8, 33);
    run(f, CSU_OP_CSNDPKB, "ECC-PAIR RSA-CRT", &ecc, 1, 2500, &r);
    expect(&r, 8, 34);
    run(f, CSU_OP_CSNDPKB, "SIG-ONLY", &ecc, 1, 2500, &r);
    expect(&r, 8, 129);
    const uint8_t bad_curve[8] = {0x00, 0x00, 0x00, 0xE0, 0, 0, 0, 0};
    struct in_block bc = {CSU_TAG_IN(1), bad_curve, sizeof(bad_curve)};
    run(f, CSU_OP_CSNDPKB, "ECC-PAIR", &bc, 1, 2500, &r);
    expect(&r, 8, 874);
    /* RSA skeleton sizes and exponents */
    uint8_t rsa_sk[21] = {0x01, 0x00, 0, 0, 0, 3, [18] = 0x01, 0x00, 0x01};
    struct in_block rs = {CSU_TAG_IN(1), rsa_sk, sizeof(rsa_sk)};
    run(f, CSU_OP_CSNDPKB, "RSA-CRT", &rs, 1, 2500, &r);
    expect(&r, 8, 760); /* 256 bits */
    rsa_sk[0] = 0x08;
    rsa_sk[20] = 0x03; /* e = 65539: not 3 or 65537 */
    run(f, CSU_OP_CSNDPKB, "RSA-CRT", &rs, 1, 2500, &r);
    expect(&r, 8, 761);
    const uint8_t rsa_big_random_e[18] = {0x0C, 0x00};
    struct in_block rb = {CSU_TAG_IN(1), rsa_big_random_e, sizeof(rsa_big_random_e)};
    run(f, CSU_OP_CSNDPKB, "RSA-CRT", &rb, 1, 2500, &r);
    expect(&r, 8, 761); /* random e only up to 2048 bits */
    /* verbs' keywords */
    skeleton(f, &sk);
    struct in_block in = {CSU_TAG_IN(2), sk.out, sk.len};
    run(f, CSU_OP_CSNDPKG, "XPORT", &in, 1, 2500, &r);
    expect(&r, 8, 335);
    struct in_block regen[2] = {{CSU_TAG_IN(1), "seed", 4}, {CSU_TAG_IN(2), sk.out, sk.len}};
    run(f, CSU_OP_CSNDPKG, "MASTER", regen, 2, 2500, &r);
    expect(&r, 8, 335);
    struct in_block src = {CSU_TAG_IN(1), sk.out, sk.len};
    run(f, CSU_OP_CSNDPKX, "RSA", &src, 1, 2500, &r);
    expect(&r, 8, 35);
    run(f, CSU_OP_CSNDPKX, NULL, &src, 1, 2500, &r);
    expect(&r, 8, 770); /* a skeleton has no key to extract */
    run(f, CSU_OP_CSNDKTC, "RTCMK ECC", &src, 1, 2500, &r);
    expect(&r, 8, 63); /* external token: not under a master key */
    run(f, CSU_OP_CSNDPKI, NULL, &src, 1, 2500, &r);
    expect(&r, 8, 770); /* nothing to import */
}

static void test_rtnmk(void **state)
{
    struct fixture *f = *state;
    struct result sk, key, r;
    skeleton(f, &sk);
    struct in_block in = {CSU_TAG_IN(2), sk.out, sk.len};
    run(f, CSU_OP_CSNDPKG, "MASTER", &in, 1, 2500, &key);
    expect(&key, 0, 0);
    struct in_block tok = {CSU_TAG_IN(1), key.out, key.len};
    run(f, CSU_OP_CSNDKTC, "RTNMK ECC", &tok, 1, 2500, &r);
    expect(&r, 8, 707); /* NMK empty */
    run(f, CSU_OP_CSNDKTC, "RTCMK RSA", &tok, 1, 2500, &r);
    expect(&r, 8, 34); /* algorithm keyword names another key type */
    mk(f, "RANDOM");
    run(f, CSU_OP_CSNDKTC, "RTNMK", &tok, 1, 2500, &r);
    expect(&r, 0, 0);
    struct in_block under_new = {CSU_TAG_IN(1), r.out, r.len};
    struct result x;
    run(f, CSU_OP_CSNDPKX, NULL, &under_new, 1, 2500, &x);
    expect(&x, 8, 48); /* NMK not yet current */
    mk(f, "SET");
    run(f, CSU_OP_CSNDPKX, NULL, &under_new, 1, 2500, &x);
    expect(&x, 0, 0);
    run(f, CSU_OP_CSNDPKX, NULL, &tok, 1, 2500, &x);
    expect(&x, 0, 10001); /* the original is under the old MK now */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_master_key),
        cmocka_unit_test(test_pct_failure),
        cmocka_unit_test(test_hostile_requests),
        cmocka_unit_test(test_rtnmk),
    };
    /* one card for all: the tests run in order and build on its MK state */
    return cmocka_run_group_tests(tests, setup, teardown);
}
