/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNBKTB2, CSNBKGN2, CSNBKPI2, CSNBKYT2 and CSNBKTC2 end to end through
 * libcsulcca and an in-process card (CSU_CARD=inproc:<mkdtemp dir>), with
 * the calling patterns of real clients (client-calling-patterns P4, P6)
 * and the check values recomputed independently with OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cca_test.h"
#include "csulincl.h"

#define WORDS CCA_WORDS /* keeps the long initialisers below on one line */

#define BUF 2500

static char card_dir[64] = "/tmp/csu-symkey2-XXXXXX";
static char empty_dir[64] = "/tmp/csu-symkey2-nomk-XXXXXX";
static const uint8_t mk_part1[32] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x10, 0x32, 0x54,
                                     0x76, 0x98, 0xBA, 0xDC, 0xFE, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
                                     0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x00};
static const uint8_t mk_part2[32] = {0xA5, 0x5A, 0xA5, 0x5A, 0xA5, 0x5A, 0xA5, 0x5A, 1, 2, 3, 4, 5, 6, 7, 8,
                                     9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};

static const uint8_t krn_skeleton[56] = {
    0x01, 0x00, 0x00, 0x38, 0x05, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x01, 0x00, 0x00, 0x1A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x02, 0xC0, 0x00, 0xFF, 0x00,
    0x03, 0x08, 0xC8, 0x00, 0x00, 0x00, 0x00};

/* ---- helpers ------------------------------------------------------------ */

/* CSNBMKP @p list ("AES-MK SET"), which must answer rc 0. */
static void mkp(const char *list)
{
    long rs;
    assert_int_equal(cca_mkp(list, NULL, &rs), 0);
}

/* CSNBKTB2 with the given keywords into a 2500-byte buffer; returns the length. */
static long ktb2(unsigned char *tok, long *rc, long *rs, const char *const *words, size_t n)
{
    unsigned char ra[8 * 20];
    long count = cca_rules_of(ra, words, n), zero = 0, len = BUF;
    memset(tok, 0, BUF);
    CSNBKTB2(rc, rs, &zero, NULL, &count, ra, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len,
             tok);
    return len;
}

/* CSNBKGN2 OP/OPOP of @p bits; the skeleton already in @p tok (length BUF). */
static long kgn2(const char *alg, long bits, unsigned char *tok, long *rc, long *rs)
{
    unsigned char ra[16];
    long count = cca_rules_of(ra, (const char *const[]){alg, "OP"}, 2), zero = 0, len = BUF;
    CSNBKGN2(rc, rs, &zero, NULL, &count, ra, &bits, (unsigned char *)"TOKEN   ", (unsigned char *)"        ", &zero,
             NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len, tok, &zero, NULL);
    return len;
}

/* CSNBKYT2: returns the pattern length (GENERATE) and fills @p vp. */
static long kyt2(const char *const *words, size_t n, unsigned char *tok, long tok_len, unsigned char *vp,
                 long vp_len, long *rc, long *rs)
{
    unsigned char ra[24];
    long count = cca_rules_of(ra, words, n), zero = 0;
    CSNBKYT2(rc, rs, NULL, NULL, &count, ra, &tok_len, tok, &zero, NULL, &zero, NULL, &vp_len, vp);
    return vp_len;
}

static long kpi2(const char *const *words, size_t n, long bits, const uint8_t *part, unsigned char *tok,
                 long *rc, long *rs)
{
    unsigned char ra[24];
    long count = cca_rules_of(ra, words, n), len = BUF;
    CSNBKPI2(rc, rs, NULL, NULL, &count, ra, &bits, (unsigned char *)part, &len, tok);
    return len;
}

static long ktc2(const char *const *words, size_t n, unsigned char *tok, long len, long *rc, long *rs)
{
    unsigned char ra[16];
    long count = cca_rules_of(ra, words, n);
    CSNBKTC2(rc, rs, NULL, NULL, &count, ra, &len, tok);
    return len;
}

/* SHA-256(prefix || key), first @p out_len bytes. */
static void sha256_trunc(const uint8_t *prefix, size_t plen, const uint8_t *key, size_t klen, uint8_t *out,
                         size_t out_len)
{
    uint8_t md[32];
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    assert_non_null(c);
    assert_int_equal(EVP_DigestInit_ex(c, EVP_sha256(), NULL), 1);
    EVP_DigestUpdate(c, prefix, plen);
    EVP_DigestUpdate(c, key, klen);
    EVP_DigestFinal_ex(c, md, NULL);
    EVP_MD_CTX_free(c);
    memcpy(out, md, out_len);
}

/* A generated internal AES CIPHER key of @p bits (KRN skeleton). */
static long aes_key(unsigned char *tok, long bits)
{
    long rc, rs;
    memset(tok, 0, BUF);
    memcpy(tok, krn_skeleton, sizeof(krn_skeleton));
    long len = kgn2("AES", bits, tok, &rc, &rs);
    assert_int_equal(rc, 0);
    assert_int_equal(rs, 0);
    return len;
}

/* ---- setup --------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    if (!cca_card_open(card_dir) || !mkdtemp(empty_dir)) /* CRP01 (CSU_CARD), then CRP02's directory */
        return -1;
    char spec[128];
    snprintf(spec, sizeof(spec), "inproc:%s", empty_dir);
    setenv("CSU_CARD_CRP02", spec, 1);
    return cca_mk_from_parts("AES-MK", mk_part1, mk_part2) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int rc1 = cca_remove_dir(card_dir), rc2 = cca_remove_dir(empty_dir);
    return rc1 == 0 && rc2 == 0 ? 0 : -1;
}

/* ---- CSNBKTB2 ------------------------------------------------------------ */

static void test_ktb2_krn_skeleton(void **state)
{
    (void)state;
    unsigned char tok[BUF];
    long rc, rs;
    long len = ktb2(tok, &rc, &rs, WORDS("INTERNAL", "NO-KEY", "AES", "CIPHER", "ANY-MODE", "NOEX-SYM", "NOEXAASY",
                                         "NOEXUASY", "XPRTCPAC", "NOEX-RAW", "NOEX-DES", "NOEX-AES", "NOEX-RSA"));
    assert_int_equal(rc, 0);
    assert_int_equal(rs, 0);
    assert_int_equal(len, 56);
    assert_memory_equal(tok, krn_skeleton, 56);
}

/* client-calling-patterns #11: all length pointers 0, data NULL, target length 2500. */
static void test_ktb2_ock_hmac_skeletons(void **state)
{
    (void)state;
    unsigned char tok[BUF];
    long rc, rs;
    assert_int_equal(ktb2(tok, &rc, &rs, WORDS("INTERNAL", "HMAC", "MAC", "GENERATE")), 56);
    assert_int_equal(rc, 0);
    assert_int_equal(tok[41], 0x03);
    assert_int_equal(tok[45], 0xC0); /* GENERATE: generate and verify */
    assert_int_equal(tok[47], 0xF8); /* no hash keyword: every hash */
    assert_int_equal(ktb2(tok, &rc, &rs, WORDS("INTERNAL", "NO-KEY", "HMAC", "MAC", "GENERATE")), 56);
    assert_int_equal(rc, 0);
}

static void test_ktb2_key_clr_name_uad(void **state)
{
    (void)state;
    unsigned char ra[32], tok[BUF], key[32], uad[10] = "user-data", name[64];
    memset(name, ' ', 64);
    memcpy(name, "MY.AES.KEY", 10);
    memset(key, 0x42, sizeof(key));
    long rc, rs, count = cca_rules_of(ra, WORDS("INTERNAL", "AES", "KEY-CLR", "CIPHER")), bits = 192, nl = 64, ul = 9,
                 zero = 0, len = BUF;
    CSNBKTB2(&rc, &rs, NULL, NULL, &count, ra, &bits, key, &nl, name, &ul, uad, &zero, NULL, &zero, NULL, &len, tok);
    assert_int_equal(rc, 0);
    assert_int_equal(len, 56 + 64 + 9 + 24);
    assert_int_equal(tok[8], 0x01); /* clear key */
    assert_memory_equal(tok + 56, name, 64);
    assert_memory_equal(tok + 56 + 64 + 9, key, 24);
    /* Its check value is the clear key's. */
    uint8_t vp[8], want[8];
    assert_int_equal(kyt2(WORDS("GENERATE", "AES", "SHA-256"), tok, BUF, vp, 8, &rc, &rs), 8);
    assert_int_equal(rc, 0);
    sha256_trunc((const uint8_t[]){0x01}, 1, key, 24, want, 8);
    assert_memory_equal(vp, want, 8);
    /* Errors: bad bit length, bad name, short buffer (output untouched). */
    bits = 100;
    CSNBKTB2(&rc, &rs, NULL, NULL, &count, ra, &bits, key, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len,
             tok);
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 2114);
    bits = 128;
    name[0] = '9';
    CSNBKTB2(&rc, &rs, NULL, NULL, &count, ra, &bits, key, &nl, name, &zero, NULL, &zero, NULL, &zero, NULL, &len,
             tok);
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 32);
    memset(tok, 0xEE, BUF);
    len = 71;
    CSNBKTB2(&rc, &rs, NULL, NULL, &count, ra, &bits, key, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len,
             tok);
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 72);
    assert_int_equal(len, 71);
    assert_int_equal(tok[0], 0xEE);
    len = 72;
    CSNBKTB2(&rc, &rs, NULL, NULL, &count, ra, &bits, key, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len,
             tok);
    assert_int_equal(rc, 0);
    assert_int_equal(len, 72);
}

static void test_ktb2_rule_errors(void **state)
{
    (void)state;
    unsigned char tok[BUF];
    long rc = 0, rs = 0;
    ktb2(tok, &rc, &rs, WORDS("INTERNAL", "AES", "CIPHER", "PINPROT"));
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 33);
    ktb2(tok, &rc, &rs, WORDS("INTERNAL", "AES", "CIPHER", "XPRT-SYM", "NOEX-SYM"));
    assert_int_equal(rs, 34);
    ktb2(tok, &rc, &rs, WORDS("INTERNAL", "AES"));
    assert_int_equal(rs, 129);
    long count = -1, len = BUF;
    CSNBKTB2(&rc, &rs, NULL, NULL, &count, tok, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &len, tok);
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 35);
    count = 3;
    CSNBKTB2(&rc, &rs, NULL, NULL, &count, tok, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &len,
             NULL);
    assert_int_equal(rs, 184);
    CSNBKTB2(NULL, &rs, NULL, NULL, &count, tok, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &len,
             tok); /* nowhere to report: returns */
}

/* ---- CSNBKGN2 + CSNBKYT2 -------------------------------------------------- */

static void test_kgn2_aes_lengths_and_kyt2(void **state)
{
    (void)state;
    static const long bits[] = {128, 192, 256};
    static const long lens[] = {120, 128, 136};
    unsigned char tok[BUF];
    for (size_t i = 0; i < 3; i++) {
        long len = aes_key(tok, bits[i]);
        assert_int_equal(len, lens[i]);
        assert_int_equal(tok[8], 0x03);
        assert_int_equal(tok[26], 0x02);
        long rc, rs;
        uint8_t vp[16] = {0};
        assert_int_equal(kyt2(WORDS("GENERATE"), tok, len, vp, 16, &rc, &rs), 8);
        assert_int_equal(rc, 0);
        assert_int_equal(rs, 0);
        kyt2(WORDS("VERIFY", "AES", "SHA-256"), tok, len, vp, 8, &rc, &rs);
        assert_int_equal(rc, 0);
        assert_int_equal(rs, 0);
        vp[3] ^= 1;
        kyt2(WORDS("VERIFY"), tok, len, vp, 8, &rc, &rs);
        assert_int_equal(rc, 4);
        assert_int_equal(rs, 1);
        kyt2(WORDS("GENERATE"), tok, len, vp, 7, &rc, &rs);
        assert_int_equal(rc, 8);
        assert_int_equal(rs, 72);
        kyt2(WORDS("GENERATE", "SHAVP1"), tok, len, vp, 16, &rc, &rs);
        assert_int_equal(rc, 8);
        assert_int_equal(rs, 34);
        kyt2(WORDS("GENERATE", "ENC-ZERO"), tok, len, vp, 16, &rc, &rs);
        assert_int_equal(rc, 8);
        assert_int_equal(rs, 33);
    }
    /* A V1 skeleton: 136 bytes whatever the key length. */
    long rc, rs;
    memset(tok, 0, BUF);
    ktb2(tok, &rc, &rs, WORDS("INTERNAL", "AES", "CIPHER", "V1PYLD"));
    assert_int_equal(rc, 0);
    assert_int_equal(kgn2("AES", 128, tok, &rc, &rs), 136);
    assert_int_equal(rc, 0);
}

/* client-calling-patterns #12 and #13: HMAC keygen and clear-key import. */
static void test_ock_hmac_keygen(void **state)
{
    (void)state;
    static const long bits[] = {80, 160, 256, 1024, 2048};
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        unsigned char tok[BUF];
        long rc, rs;
        ktb2(tok, &rc, &rs, WORDS("INTERNAL", "HMAC", "MAC", "GENERATE")); /* zeros after the skeleton */
        assert_int_equal(rc, 0);
        long len = kgn2("HMAC", bits[i], tok, &rc, &rs);
        assert_int_equal(rc, 0);
        assert_int_equal(rs, 0);
        assert_int_equal(len, 56 + 40 + (bits[i] / 8 + 7) / 8 * 8 + 8);
        assert_int_equal((tok[2] << 8) | tok[3], len);
        uint8_t vp[16];
        assert_int_equal(kyt2(WORDS("GENERATE", "HMAC", "SHAVP1"), tok, BUF, vp, 16, &rc, &rs), 16);
        assert_int_equal(rc, 0);
        kyt2(WORDS("VERIFY", "HMAC"), tok, BUF, vp, 16, &rc, &rs);
        assert_int_equal(rc, 0);
    }
    unsigned char tok[BUF];
    long rc, rs;
    ktb2(tok, &rc, &rs, WORDS("INTERNAL", "HMAC", "MAC", "GENERATE"));
    kgn2("HMAC", 72, tok, &rc, &rs);
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 2114);
    kgn2("AES", 128, tok, &rc, &rs); /* an HMAC skeleton for an AES key */
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 155);
}

static void test_ock_hmac_import(void **state)
{
    (void)state;
    static const long sizes[] = {10, 32, 64, 256};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint8_t key[256];
        RAND_bytes(key, (int)sizes[i]);
        unsigned char tok[BUF];
        long rc, rs;
        ktb2(tok, &rc, &rs, WORDS("INTERNAL", "NO-KEY", "HMAC", "MAC", "GENERATE"));
        assert_int_equal(rc, 0);
        kpi2(WORDS("HMAC", "FIRST", "MIN1PART"), sizes[i] * 8, key, tok, &rc, &rs);
        assert_int_equal(rc, 0);
        long len = kpi2(WORDS("HMAC", "COMPLETE"), 0, NULL, tok, &rc, &rs);
        assert_int_equal(rc, 0);
        assert_int_equal(rs, 0);
        assert_int_equal((tok[2] << 8) | tok[3], len);
        uint8_t vp[16], want[16];
        assert_int_equal(kyt2(WORDS("GENERATE", "HMAC", "SHAVP1"), tok, BUF, vp, 16, &rc, &rs), 16);
        assert_int_equal(rc, 0);
        uint8_t prefix[5] = {0x03, 0x00, 0x02, (uint8_t)((sizes[i] * 8) >> 8), (uint8_t)(sizes[i] * 8)};
        sha256_trunc(prefix, 5, key, (size_t)sizes[i], want, 16);
        assert_memory_equal(vp, want, 16);
    }
}

/* KRN's 4-call import: FIRST+MIN3PART R, ADD-PART K, ADD-PART R, COMPLETE. */
static void test_kpi2_krn_sequence(void **state)
{
    (void)state;
    static const long bits[] = {128, 192, 256};
    for (size_t i = 0; i < 3; i++) {
        uint8_t k[32], r[32];
        RAND_bytes(k, sizeof(k));
        RAND_bytes(r, sizeof(r));
        unsigned char tok[BUF];
        memset(tok, 0, BUF);
        memcpy(tok, krn_skeleton, sizeof(krn_skeleton));
        long rc, rs;
        kpi2(WORDS("AES", "FIRST", "MIN3PART"), bits[i], r, tok, &rc, &rs);
        assert_int_equal(rc, 0);
        kpi2(WORDS("AES", "COMPLETE"), 0, NULL, tok, &rc, &rs); /* two parts missing */
        assert_int_equal(rc, 8);
        assert_int_equal(rs, 439);
        kpi2(WORDS("AES", "ADD-PART"), bits[i], k, tok, &rc, &rs);
        assert_int_equal(rc, 0);
        kpi2(WORDS("AES", "COMPLETE"), 0, NULL, tok, &rc, &rs); /* one part missing */
        assert_int_equal(rs, 439);
        kpi2(WORDS("AES", "ADD-PART"), bits[i], r, tok, &rc, &rs);
        assert_int_equal(rc, 0);
        long len = kpi2(WORDS("AES", "COMPLETE"), 0, NULL, tok, &rc, &rs);
        assert_int_equal(rc, 0);
        assert_int_equal(len, 56 + 40 + bits[i] / 8 + 8);
        uint8_t vp[8], want[8];
        kyt2(WORDS("GENERATE", "AES", "SHA-256"), tok, len, vp, 8, &rc, &rs);
        assert_int_equal(rc, 0);
        sha256_trunc((const uint8_t[]){0x01}, 1, k, (size_t)bits[i] / 8, want, 8);
        assert_memory_equal(vp, want, 8);
        /* Complete now: no more parts, no second FIRST, no second COMPLETE. */
        kpi2(WORDS("AES", "ADD-PART"), bits[i], r, tok, &rc, &rs);
        assert_int_equal(rs, 441);
        kpi2(WORDS("AES", "COMPLETE"), 0, NULL, tok, &rc, &rs);
        assert_int_equal(rs, 439);
        kpi2(WORDS("AES", "FIRST"), bits[i], r, tok, &rc, &rs);
        assert_int_equal(rs, 2115);
    }
    unsigned char tok[BUF];
    long rc, rs;
    memcpy(tok, krn_skeleton, sizeof(krn_skeleton));
    kpi2(WORDS("AES", "ADD-PART"), 128, krn_skeleton, tok, &rc, &rs);
    assert_int_equal(rs, 439);
    kpi2(WORDS("HMAC", "FIRST"), 128, krn_skeleton, tok, &rc, &rs);
    assert_int_equal(rs, 34);
    kpi2(WORDS("AES", "FIRST"), 120, krn_skeleton, tok, &rc, &rs);
    assert_int_equal(rs, 2114);
    kpi2(WORDS("AES", "FIRST"), 128, NULL, tok, &rc, &rs);
    assert_int_equal(rs, 184);
    kpi2(WORDS("AES", "ADD-PART", "MIN2PART"), 128, krn_skeleton, tok, &rc, &rs);
    assert_int_equal(rs, 34);
}

static void test_kgn2_forms(void **state)
{
    (void)state;
    unsigned char ra[16], tok1[BUF], tok2[BUF];
    long rc, rs, zero = 0, bits = 256, len1 = BUF, len2 = BUF;
    long count = cca_rules_of(ra, WORDS("AES", "OPOP"));
    memset(tok1, 0, BUF);
    memset(tok2, 0, BUF);
    CSNBKGN2(&rc, &rs, NULL, NULL, &count, ra, &bits, (unsigned char *)"CIPHER  ", (unsigned char *)"MAC     ",
             &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len1, tok1, &len2, tok2);
    assert_int_equal(rc, 0);
    assert_int_equal(len1, 136);
    assert_int_equal(len2, 136);
    assert_int_equal(tok1[43], 0x01);
    assert_int_equal(tok2[43], 0x02);
    uint8_t vp1[8], vp2[8];
    kyt2(WORDS("GENERATE"), tok1, len1, vp1, 8, &rc, &rs);
    assert_int_equal(rc, 0);
    kyt2(WORDS("GENERATE"), tok2, len2, vp2, 8, &rc, &rs);
    assert_int_equal(rc, 0);
    assert_memory_equal(vp1, vp2, 8); /* one key, two tokens */
    count = cca_rules_of(ra, WORDS("AES", "EX"));
    CSNBKGN2(&rc, &rs, NULL, NULL, &count, ra, &bits, (unsigned char *)"CIPHER  ", (unsigned char *)"        ",
             &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len1, tok1, &zero, NULL);
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 184); /* EX needs KEK_key_identifier_1 (test_symkey2_kek.c has the KEK forms) */
    count = cca_rules_of(ra, WORDS("AES", "XX"));
    CSNBKGN2(&rc, &rs, NULL, NULL, &count, ra, &bits, (unsigned char *)"CIPHER  ", (unsigned char *)"        ",
             &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len1, tok1, &zero, NULL);
    assert_int_equal(rs, 33);
    count = cca_rules_of(ra, WORDS("HMAC", "OP"));
    CSNBKGN2(&rc, &rs, NULL, NULL, &count, ra, &bits, (unsigned char *)"CIPHER  ", (unsigned char *)"        ",
             &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len1, tok1, &zero, NULL);
    assert_int_equal(rs, 61);
    /* Output too small: 8/72, buffer untouched. */
    count = cca_rules_of(ra, WORDS("AES", "OP"));
    memset(tok1, 0, BUF); /* a null token: build a fresh one */
    tok1[5] = 0xEE;
    len1 = 135;
    CSNBKGN2(&rc, &rs, NULL, NULL, &count, ra, &bits, (unsigned char *)"CIPHER  ", (unsigned char *)"        ",
             &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len1, tok1, &zero, NULL);
    assert_int_equal(rs, 72);
    assert_int_equal(len1, 135);
    assert_int_equal(tok1[0], 0);
    assert_int_equal(tok1[5], 0xEE);
}

/* ---- bad tokens ------------------------------------------------------------ */

static void test_bad_key_identifiers(void **state)
{
    (void)state;
    unsigned char tok[BUF];
    long len = aes_key(tok, 128), rc, rs;
    uint8_t vp[8];
    unsigned char label[64];
    memset(label, ' ', 64);
    memcpy(label, "SOME.KEY", 8);
    kyt2(WORDS("GENERATE"), label, 64, vp, 8, &rc, &rs);
    assert_int_equal(rs, 6007);
    tok[0] = 0xFF;
    kyt2(WORDS("GENERATE"), tok, len, vp, 8, &rc, &rs);
    assert_int_equal(rs, 181);
    tok[0] = 0x01;
    kyt2(WORDS("GENERATE"), tok, len - 1, vp, 8, &rc, &rs); /* shorter than announced */
    assert_int_equal(rs, 72);
    tok[12] ^= 0x10; /* MKVP */
    kyt2(WORDS("GENERATE"), tok, len, vp, 8, &rc, &rs);
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 48);
    tok[12] ^= 0x10;
    tok[len - 1] ^= 0x01; /* payload */
    kyt2(WORDS("GENERATE"), tok, len, vp, 8, &rc, &rs);
    assert_int_equal(rs, 2113);
    tok[len - 1] ^= 0x01;
    tok[50] ^= 0x80; /* XPRT-SYM granted */
    kyt2(WORDS("GENERATE"), tok, len, vp, 8, &rc, &rs);
    assert_int_equal(rs, 2113);
    tok[50] ^= 0x80;
    unsigned char skeleton[56];
    memcpy(skeleton, krn_skeleton, sizeof(skeleton));
    kyt2(WORDS("GENERATE"), skeleton, 56, vp, 8, &rc, &rs);
    assert_int_equal(rs, 180);
    kyt2(WORDS("GENERATE"), tok, len, vp, 8, &rc, &rs);
    assert_int_equal(rc, 0);
}

/* Every single-bit change outside bytes 2-3, through the verbs: rc 8, never a key. */
static void test_bit_flips_end_to_end(void **state)
{
    (void)state;
    unsigned char good[BUF];
    long len = aes_key(good, 256);
    for (long byte = 0; byte < len; byte++) {
        if (byte == 2 || byte == 3)
            continue;
        for (int bit = 0; bit < 8; bit++) {
            unsigned char tok[BUF];
            memcpy(tok, good, (size_t)len);
            tok[byte] ^= (unsigned char)(1u << bit);
            long rc = -1, rs = -1;
            uint8_t vp[8];
            kyt2(WORDS("GENERATE"), tok, len, vp, 8, &rc, &rs);
            if (rc != 8)
                fail_msg("bit %d of byte %ld flipped: rc %ld rs %ld", bit, byte, rc, rs);
        }
    }
}

/* ---- master keys ------------------------------------------------------------ */

static void test_no_aes_master_key(void **state)
{
    (void)state;
    long rc, rs, nlen = 5;
    unsigned char ra[8], tok[BUF];
    long count = cca_rules_of(ra, WORDS("DEVICE"));
    CSUACRA(&rc, &rs, NULL, NULL, &count, ra, &nlen, (unsigned char *)"CRP02");
    assert_int_equal(rc, 0);
    memcpy(tok, krn_skeleton, sizeof(krn_skeleton));
    kgn2("AES", 128, tok, &rc, &rs);
    assert_int_equal(rc, 12);
    assert_int_equal(rs, 764);
    CSUACRD(&rc, &rs, NULL, NULL, &count, ra, &nlen, (unsigned char *)"CRP02");
    assert_int_equal(rc, 0);
}

static void test_master_key_change(void **state)
{
    (void)state;
    unsigned char a[BUF], b[BUF], before[BUF];
    long alen = aes_key(a, 256), blen, rc, rs;
    memset(b, 0, BUF);
    ktb2(b, &rc, &rs, WORDS("INTERNAL", "HMAC", "MAC", "GENERATE"));
    blen = kgn2("HMAC", 512, b, &rc, &rs);
    assert_int_equal(rc, 0);
    uint8_t vpa[8], vpb[16], vp[16];
    kyt2(WORDS("GENERATE"), a, alen, vpa, 8, &rc, &rs);
    kyt2(WORDS("GENERATE"), b, blen, vpb, 16, &rc, &rs);
    assert_int_equal(rc, 0);

    mkp("AES-MK RANDOM");
    mkp("AES-MK SET");
    kyt2(WORDS("GENERATE"), a, alen, vp, 8, &rc, &rs);
    assert_int_equal(rc, 0);
    assert_int_equal(rs, 10001);
    assert_memory_equal(vp, vpa, 8);
    kyt2(WORDS("VERIFY"), b, blen, vpb, 16, &rc, &rs);
    assert_int_equal(rc, 0);
    assert_int_equal(rs, 10001);

    memcpy(before, a, (size_t)alen);
    assert_int_equal(ktc2(WORDS("RTCMK", "AES"), a, alen, &rc, &rs), alen);
    assert_int_equal(rc, 0);
    assert_int_equal(rs, 0);
    assert_memory_not_equal(a + 10, before + 10, 8); /* new MKVP */
    kyt2(WORDS("GENERATE"), a, alen, vp, 8, &rc, &rs);
    assert_int_equal(rc, 0);
    assert_int_equal(rs, 0);
    assert_memory_equal(vp, vpa, 8);
    memcpy(before, a, (size_t)alen);
    ktc2(WORDS("RTCMK", "AES"), a, alen, &rc, &rs); /* already current: unchanged */
    assert_int_equal(rc, 0);
    assert_memory_equal(a, before, (size_t)alen);
    ktc2(WORDS("RTCMK", "HMAC"), a, alen, &rc, &rs); /* algorithm differs from the token's */
    assert_int_equal(rs, 34);

    /* RTNMK: to the new register, usable once it is set. */
    mkp("AES-MK RANDOM");
    ktc2(WORDS("AES", "RTNMK"), a, alen, &rc, &rs);
    assert_int_equal(rc, 0);
    mkp("AES-MK SET");
    kyt2(WORDS("GENERATE"), a, alen, vp, 8, &rc, &rs);
    assert_int_equal(rc, 0);
    assert_int_equal(rs, 0);
    assert_memory_equal(vp, vpa, 8);
    /* b was never re-enciphered: two changes later its master key is gone. */
    kyt2(WORDS("GENERATE"), b, blen, vp, 16, &rc, &rs);
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 48);
    ktc2(WORDS("RTCMK", "HMAC"), b, blen, &rc, &rs);
    assert_int_equal(rs, 48);
    ktc2(WORDS("RTNMK", "AES"), a, alen, &rc, &rs); /* new register empty */
    assert_int_equal(rs, 707);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ktb2_krn_skeleton),
        cmocka_unit_test(test_ktb2_ock_hmac_skeletons),
        cmocka_unit_test(test_ktb2_key_clr_name_uad),
        cmocka_unit_test(test_ktb2_rule_errors),
        cmocka_unit_test(test_kgn2_aes_lengths_and_kyt2),
        cmocka_unit_test(test_ock_hmac_keygen),
        cmocka_unit_test(test_ock_hmac_import),
        cmocka_unit_test(test_kpi2_krn_sequence),
        cmocka_unit_test(test_kgn2_forms),
        cmocka_unit_test(test_bad_key_identifiers),
        cmocka_unit_test(test_bit_flips_end_to_end),
        cmocka_unit_test(test_no_aes_master_key),
        cmocka_unit_test(test_master_key_change),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
