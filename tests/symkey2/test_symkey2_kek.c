/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNBKGN2's key forms under AES EXPORTER / IMPORTER keys (EX, IM, OPEX,
 * OPIM, EXEX, IMEX, IMIM) and CSNBKYT2 on external tokens, end to end
 * through libcsulcca on an in-process card with AES key storage.  The KEK
 * is entered from known clear parts (CSNBKPI2), so the external token is
 * checked outside the library: KVP type X'02' with Trunc64(SHA-256(X'01' ‖
 * KEK)), and the AESKW payload unwrapped with OpenSSL to the key whose
 * check value the internal copy has.  Also: the KEK's type and usage
 * enforced, tampered external tokens refused, KEKs by label.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "cca_test.h"
#include "csulincl.h"

#define BUF 2500

#define EXPECT(rc_, rs_, rc, rs)                                                                        \
    do {                                                                                                \
        if ((rc) != (rc_) || (rs) != (rs_))                                                             \
            fail_msg("line %d: got %ld/%ld, expected %d/%d", __LINE__, (long)(rc), (long)(rs), rc_, rs_); \
    } while (0)

static const uint8_t clear_kek[32] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xA9, 0xBA,
                                      0xCB, 0xDC, 0xED, 0xFE, 0x0F, 0x01, 0x12, 0x23, 0x34, 0x45, 0x56,
                                      0x67, 0x78, 0x89, 0x9A, 0xAB, 0xBC, 0xCD, 0xDE, 0xEF, 0xF0};
static unsigned char exporter[BUF], importer[BUF], cipher[BUF];
static long exporter_len, importer_len, cipher_len;

/* CSNBMKP @p list ("SYM-MK SET"), which must answer 0/0. */
static void mkp(const char *list)
{
    long rs, rc = cca_mkp(list, NULL, &rs);
    EXPECT(0, 0, rc, rs);
}

/* An internal AES key of @p type holding @p key (KTB2 skeleton, KPI2 FIRST MIN1PART, COMPLETE). */
static long key_from_clear(const char *type, const uint8_t key[32], unsigned char *tok)
{
    unsigned char ra[8 * 5];
    long rc, rs, zero = 0, len = BUF, bits = 256;
    long count = cca_rules_of(ra, (const char *const[]){"INTERNAL", "AES", "NO-KEY", type}, 4);
    memset(tok, 0, BUF);
    CSNBKTB2(&rc, &rs, &zero, NULL, &count, ra, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len,
             tok);
    EXPECT(0, 0, rc, rs);
    count = cca_rules_of(ra, (const char *const[]){"AES", "FIRST", "MIN1PART"}, 3);
    len = BUF;
    CSNBKPI2(&rc, &rs, NULL, NULL, &count, ra, &bits, (unsigned char *)key, &len, tok);
    EXPECT(0, 0, rc, rs);
    count = cca_rules_of(ra, (const char *const[]){"AES", "COMPLETE"}, 2);
    len = BUF;
    CSNBKPI2(&rc, &rs, NULL, NULL, &count, ra, &zero, NULL, &len, tok);
    EXPECT(0, 0, rc, rs);
    return len;
}

static void setup_keys(void **state)
{
    (void)state;
    static const char *const mk_steps[] = {"SYM-MK CLEAR",  "SYM-MK RANDOM",  "SYM-MK SET",
                                           "ASYM-MK CLEAR", "ASYM-MK RANDOM", "ASYM-MK SET",
                                           "AES-MK CLEAR",  "AES-MK RANDOM",  "AES-MK SET",
                                           "APKA-MK CLEAR", "APKA-MK RANDOM", "APKA-MK SET"};
    static const char *const stores[] = {"DES", "AES", "PKA"};
    for (size_t i = 0; i < sizeof(mk_steps) / sizeof(mk_steps[0]); i++)
        mkp(mk_steps[i]);
    for (size_t i = 0; i < 3; i++) {
        unsigned char ra[16];
        long rc, rs, zero = 0, n = cca_rules_of(ra, (const char *const[]){"CURRENT", stores[i]}, 2);
        CSNBKSI(&rc, &rs, NULL, NULL, &n, ra, &zero, NULL, &zero, NULL, NULL);
        EXPECT(0, 0, rc, rs);
    }
    exporter_len = key_from_clear("EXPORTER", clear_kek, exporter);
    importer_len = key_from_clear("IMPORTER", clear_kek, importer);
    cipher_len = key_from_clear("CIPHER", clear_kek, cipher);
}

/* CSNBKGN2 AES <form> CIPHER keys of 256 bits with the given KEKs (NULL: none passed). */
static void kgn2(const char *form, unsigned char *kek1, long kek1_len, unsigned char *kek2, long kek2_len,
                 unsigned char *g1, long *len1, unsigned char *g2, long *len2, long *rc, long *rs)
{
    unsigned char ra[16];
    long count = cca_rules_of(ra, (const char *const[]){"AES", form}, 2), zero = 0, bits = 256;
    memset(g1, 0, BUF);
    memset(g2, 0, BUF);
    *len1 = *len2 = BUF;
    CSNBKGN2(rc, rs, NULL, NULL, &count, ra, &bits, (unsigned char *)"CIPHER  ", (unsigned char *)"CIPHER  ", &zero,
             NULL, &zero, NULL, &zero, NULL, &zero, NULL, kek1 ? &kek1_len : &zero, kek1, kek2 ? &kek2_len : &zero,
             kek2, len1, g1, len2, g2);
}

/* CSNBKYT2 GENERATE SHA-256 of a token (internal, or external with its KEK). */
static void kyt2(unsigned char *tok, long len, unsigned char *kek, long kek_len, uint8_t vp[8], long *rc, long *rs)
{
    unsigned char ra[16];
    long count = cca_rules_of(ra, (const char *const[]){"GENERATE", "AES"}, 2), zero = 0, vp_len = 8;
    CSNBKYT2(rc, rs, NULL, NULL, &count, ra, &len, tok, kek ? &kek_len : &zero, kek, &zero, NULL, &vp_len, vp);
}

static void sha256_01(const uint8_t *key, size_t len, uint8_t out[8])
{
    uint8_t in[33] = {0x01}, md[32];
    unsigned n = 0;
    memcpy(in + 1, key, len);
    assert_int_equal(EVP_Digest(in, 1 + len, md, &n, EVP_sha256(), NULL), 1);
    memcpy(out, md, 8);
}

/* The external copy, read outside the library: KVP, AESKW payload (key at plaintext offset 40). */
static void opex_independent(void **state)
{
    (void)state;
    unsigned char op[BUF], ex[BUF];
    long len1, len2, rc, rs;
    kgn2("OPEX", NULL, 0, exporter, exporter_len, op, &len1, ex, &len2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(op[0], 0x01);
    assert_int_equal(ex[0], 0x02);
    assert_int_equal(ex[8], 0x02); /* key material state: under a KEK */
    assert_int_equal(ex[9], 0x02); /* KVP type: KEK verification pattern */
    uint8_t kvp[8];
    sha256_01(clear_kek, 32, kvp);
    assert_memory_equal(ex + 10, kvp, 8);
    size_t pl = (size_t)(ex[38] << 8 | ex[39]) / 8, off = (size_t)len2 - pl;
    uint8_t plain[BUF];
    int n = 0, m = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    assert_non_null(c);
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_wrap(), NULL, clear_kek, NULL), 1);
    assert_int_equal(EVP_DecryptUpdate(c, plain, &n, ex + off, (int)pl), 1);
    assert_int_equal(EVP_DecryptFinal_ex(c, plain + n, &m), 1);
    EVP_CIPHER_CTX_free(c);
    assert_int_equal(plain[0] << 8 | plain[1], 256);
    uint8_t want[8], got[8];
    sha256_01(plain + 40, 32, want);
    kyt2(op, len1, NULL, 0, got, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(got, want, 8);
    kyt2(ex, len2, exporter, exporter_len, got, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(got, want, 8);
    kyt2(ex, len2, importer, importer_len, got, &rc, &rs); /* the same clear KEK as IMPORTER */
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(got, want, 8);
}

/* Every form: token ids, and one key in both tokens (same KYT2 pattern). */
static void every_form(void **state)
{
    (void)state;
    static const struct {
        const char *form;
        bool two;
        unsigned char *kek1, *kek2;
        uint8_t id1, id2;
    } forms[] = {
        {"EX", false, exporter, NULL, 2, 0},      {"IM", false, importer, NULL, 2, 0},
        {"OPEX", true, NULL, exporter, 1, 2},     {"OPIM", true, NULL, importer, 1, 2},
        {"IMEX", true, importer, exporter, 2, 2}, {"EXEX", true, exporter, exporter, 2, 2},
        {"IMIM", true, importer, importer, 2, 2}, {"OPOP", true, NULL, NULL, 1, 1},
    };
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        unsigned char g1[BUF], g2[BUF];
        long len1, len2, rc, rs;
        long k1 = forms[f].kek1 == exporter ? exporter_len : importer_len;
        long k2 = forms[f].kek2 == exporter ? exporter_len : importer_len;
        kgn2(forms[f].form, forms[f].kek1, k1, forms[f].kek2, k2, g1, &len1, g2, &len2, &rc, &rs);
        if (rc != 0)
            fail_msg("%s: %ld/%ld", forms[f].form, rc, rs);
        assert_int_equal(g1[0], forms[f].id1);
        uint8_t v1[8], v2[8];
        kyt2(g1, len1, forms[f].kek1, k1, v1, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        if (!forms[f].two)
            continue;
        assert_int_equal(g2[0], forms[f].id2);
        kyt2(g2, len2, forms[f].kek2, k2, v2, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        assert_memory_equal(v1, v2, 8);
    }
}

/* The KEK's type and usage: IMPORTER for IM, EXPORTER for EX; a CIPHER key is no KEK (8/39). */
static void kek_usage_enforced(void **state)
{
    (void)state;
    unsigned char g1[BUF], g2[BUF];
    long len1, len2, rc, rs;
    kgn2("OPEX", NULL, 0, importer, importer_len, g1, &len1, g2, &len2, &rc, &rs);
    EXPECT(8, 39, rc, rs);
    kgn2("IM", exporter, exporter_len, NULL, 0, g1, &len1, g2, &len2, &rc, &rs);
    EXPECT(8, 39, rc, rs);
    kgn2("EX", cipher, cipher_len, NULL, 0, g1, &len1, g2, &len2, &rc, &rs);
    EXPECT(8, 39, rc, rs);
    kgn2("EX", NULL, 0, NULL, 0, g1, &len1, g2, &len2, &rc, &rs);
    EXPECT(8, 184, rc, rs);
    /* KYT2 of an external token: no KEK 8/184; a CIPHER key as KEK 8/39. */
    kgn2("EX", exporter, exporter_len, NULL, 0, g1, &len1, g2, &len2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    uint8_t vp[8];
    kyt2(g1, len1, NULL, 0, vp, &rc, &rs);
    EXPECT(8, 184, rc, rs);
    kyt2(g1, len1, cipher, cipher_len, vp, &rc, &rs);
    EXPECT(8, 39, rc, rs);
}

/* Any change to an external token, or another KEK, is 8/2113. */
static void tampered_external(void **state)
{
    (void)state;
    unsigned char ex[BUF], g2[BUF], other[BUF];
    long len, len2, rc, rs;
    uint8_t vp[8], other_key[32];
    kgn2("EX", exporter, exporter_len, NULL, 0, ex, &len, g2, &len2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    static const size_t spots[] = {45, 50, 60, 100};
    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        ex[spots[i]] ^= 0x01;
        kyt2(ex, len, exporter, exporter_len, vp, &rc, &rs);
        if (rc != 8 || (rs != 2113 && rs != 65))
            fail_msg("byte %zu: %ld/%ld", spots[i], rc, rs);
        ex[spots[i]] ^= 0x01;
    }
    memcpy(other_key, clear_kek, 32);
    other_key[0] ^= 0x80;
    long other_len = key_from_clear("EXPORTER", other_key, other);
    kyt2(ex, len, other, other_len, vp, &rc, &rs);
    EXPECT(8, 2113, rc, rs);
    kyt2(ex, len, exporter, exporter_len, vp, &rc, &rs);
    EXPECT(0, 0, rc, rs);
}

/* KEKs by label (AES key storage) for CSNBKGN2 and CSNBKYT2. */
static void kek_labels(void **state)
{
    (void)state;
    unsigned char label[64], op[BUF], ex[BUF];
    long rc, rs, count = 0, len1, len2;
    memset(label, ' ', 64);
    memcpy(label, "AES.KEK.EXPORTER", 16);
    CSNBAKRC(&rc, &rs, NULL, NULL, &count, NULL, label, &exporter_len, exporter);
    EXPECT(0, 0, rc, rs);
    kgn2("OPEX", NULL, 0, label, 64, op, &len1, ex, &len2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    uint8_t v1[8], v2[8];
    kyt2(op, len1, NULL, 0, v1, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    kyt2(ex, len2, label, 64, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(v1, v2, 8);
    memcpy(label, "AES.KEK.MISSING ", 16);
    kgn2("OPEX", NULL, 0, label, 64, op, &len1, ex, &len2, &rc, &rs);
    EXPECT(8, 30, rc, rs);
}

int main(void)
{
    char dir[64] = "/tmp/csu-symkey2-kek-XXXXXX";
    if (!cca_card_open(dir))
        return 1;
    cca_key_stores(dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(setup_keys),         cmocka_unit_test(opex_independent),
        cmocka_unit_test(every_form),         cmocka_unit_test(kek_usage_enforced),
        cmocka_unit_test(tampered_external),  cmocka_unit_test(kek_labels),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (cca_remove_dir(dir) != 0)
        failed++;
    return failed;
}
