/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNBKGN's key forms under DES key-encrypting keys (IM, EX, OPIM, OPEX,
 * IMEX, EXEX, IMIM) and CSNBKYTX, end to end through libcsulcca on an
 * in-process card with DES key storage: every form, both copies of one
 * key holding the same check value, the external wrapping recomputed with
 * OpenSSL from a KEK of known clear value, the KEK's control vector
 * enforced (class and key-generate bits), tampered external tokens, KEKs
 * given by label.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cca_test.h"
#include "csulincl.h"

#define W 8

#define EXPECT(rc_, rs_, rc, rs)                                                                        \
    do {                                                                                                \
        if ((rc) != (rc_) || (rs) != (rs_))                                                             \
            fail_msg("line %d: got %ld/%ld, expected %d/%d", __LINE__, (long)(rc), (long)(rs), rc_, rs_); \
    } while (0)

static void word(unsigned char *out, const char *w, size_t width)
{
    memset(out, ' ', width);
    memcpy(out, w, strlen(w));
}

static void reseal(unsigned char *t)
{
    uint32_t s = 0;
    for (int i = 0; i < 60; i += 4)
        s += (uint32_t)t[i] << 24 | (uint32_t)t[i + 1] << 16 | (uint32_t)t[i + 2] << 8 | t[i + 3];
    t[60] = (unsigned char)(s >> 24), t[61] = (unsigned char)(s >> 16), t[62] = (unsigned char)(s >> 8);
    t[63] = (unsigned char)s;
}

/* CSNBKGN with a 4-character form, one length, two types and two KEKs. */
static void kgn(const char *form, const char *len, const char *t1, const char *t2, unsigned char *kek1,
                unsigned char *kek2, unsigned char gen1[64], unsigned char gen2[64], long *rc, long *rs)
{
    unsigned char f[4], kl[W], k1[W], k2[W], zero[64] = {0};
    word(f, form, 4);
    word(kl, len, W);
    word(k1, t1, W);
    word(k2, t2, W);
    if (gen1[0] < 0x20) /* a token buffer, not a label: start from a null token */
        memset(gen1, 0, 64);
    if (gen2 && gen2[0] < 0x20)
        memset(gen2, 0, 64);
    CSNBKGN(rc, rs, NULL, NULL, f, kl, k1, k2, kek1 ? kek1 : zero, kek2 ? kek2 : zero, gen1, gen2 ? gen2 : zero);
}

/* CSNBKYTX GENERATE: the random number @p r and SHA-1 pattern @p p of a token (internal or external). */
static void pattern(unsigned char *tok, unsigned char *kek, unsigned char r[8], unsigned char p[8])
{
    unsigned char rules[2 * W];
    long n = 2, rc = -1, rs = -1;
    cca_rules_of(rules, (const char *const[]){"GENERATE", "KEY-ENC"}, 2);
    CSNBKYTX(&rc, &rs, NULL, NULL, &n, rules, tok, r, p, kek);
    EXPECT(0, 0, rc, rs);
}

/* CSNBKYTX VERIFY of (r, p) against a token: rc * 10000 + rs (0 when it holds the same key). */
static long verify_rp(unsigned char *tok, unsigned char *kek, const unsigned char r[8], const unsigned char p[8])
{
    unsigned char rules[2 * W], v1[8], v2[8];
    long n = 2, rc = -1, rs = -1;
    memcpy(v1, r, 8);
    memcpy(v2, p, 8);
    cca_rules_of(rules, (const char *const[]){"VERIFY", "KEY-ENC"}, 2);
    CSNBKYTX(&rc, &rs, NULL, NULL, &n, rules, tok, v1, v2, kek);
    return rc * 10000 + rs;
}

/* VERIFY of @p want for the fixed random number R = 01..08. */
static long verify_with(unsigned char *tok, unsigned char *kek, const unsigned char want[8])
{
    static const unsigned char r[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    return verify_rp(tok, kek, r, want);
}

/* SHA-1(R || K) left 8 bytes, R = 01..08: the DES check value computed here (docs/tokens-fixed.md). */
static void sha1_pattern(const unsigned char *key, size_t len, unsigned char out[8])
{
    unsigned char in[8 + 24] = {1, 2, 3, 4, 5, 6, 7, 8}, md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    memcpy(in + 8, key, len);
    assert_int_equal(EVP_Digest(in, 8 + len, md, &md_len, EVP_sha1(), NULL), 1);
    memcpy(out, md, 8);
}

/* CSNBMKP @p list ("SYM-MK SET"), which must answer 0/0. */
static void mkp(const char *list)
{
    long rs, rc = cca_mkp(list, NULL, &rs);
    EXPECT(0, 0, rc, rs);
}

/* An internal double-length KEK (or other type) from two clear parts, CV default or @p cv. */
static void kek_from_parts(const char *type, const unsigned char *cv, const unsigned char p1[16],
                           const unsigned char p2[16], unsigned char tok[64])
{
    unsigned char rules[4 * W], kt[W];
    long n, rc, rs;
    word(kt, cv ? "USE-CV" : type, W);
    if (cv)
        n = 3, cca_rules_of(rules, (const char *const[]){"INTERNAL", "CV", "KEY-PART"}, 3);
    else
        n = 3, cca_rules_of(rules, (const char *const[]){"INTERNAL", "DOUBLE", "KEY-PART"}, 3);
    CSNBKTB(&rc, &rs, NULL, NULL, tok, kt, &n, rules, NULL, NULL, NULL, NULL, (unsigned char *)cv, NULL, NULL, NULL,
            NULL);
    EXPECT(0, 0, rc, rs);
    n = 1;
    cca_rules_of(rules, (const char *const[]){"FIRST"}, 1);
    CSNBKPI(&rc, &rs, NULL, NULL, &n, rules, (unsigned char *)p1, tok);
    EXPECT(0, 0, rc, rs);
    cca_rules_of(rules, (const char *const[]){"LAST"}, 1);
    CSNBKPI(&rc, &rs, NULL, NULL, &n, rules, (unsigned char *)p2, tok);
    EXPECT(0, 0, rc, rs);
}

static const unsigned char part1[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                                        0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10};
static const unsigned char part2[16] = {0x10, 0x10, 0x10, 0x10, 0x20, 0x20, 0x20, 0x20,
                                        0x40, 0x40, 0x40, 0x40, 0x08, 0x08, 0x08, 0x08};
static unsigned char exporter[64], importer[64];

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
        unsigned char rules[2 * W];
        long n = 2, rc, rs, zero = 0;
        cca_rules_of(rules, (const char *const[]){"CURRENT", stores[i]}, 2);
        CSNBKSI(&rc, &rs, NULL, NULL, &n, rules, &zero, NULL, &zero, NULL, NULL);
        EXPECT(0, 0, rc, rs);
    }
    kek_from_parts("EXPORTER", NULL, part1, part2, exporter);
    kek_from_parts("IMPORTER", NULL, part1, part2, importer);
}

/* TDES-ECB decipher of one 8-byte part under (K1,K2,K1) XOR the CV, as docs/tokens-fixed.md describes. */
static void unwrap_part(const unsigned char kek16[16], const unsigned char cv[8], const unsigned char in[8],
                        unsigned char out[8])
{
    unsigned char k[24];
    for (int i = 0; i < 24; i++)
        k[i] = (unsigned char)(kek16[i % 16] ^ cv[i % 8]);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    assert_non_null(c);
    assert_int_equal(EVP_DecryptInit_ex(c, EVP_des_ede3_ecb(), NULL, k, NULL), 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    assert_int_equal(EVP_DecryptUpdate(c, out, &n, in, 8), 1);
    EVP_CIPHER_CTX_free(c);
}

/* OPEX: the external copy deciphers, outside the library, to the key whose pattern the internal copy has. */
static void opex_independent(void **state)
{
    (void)state;
    unsigned char op[64], ex[64], kek[16], key[16], want[8];
    long rc, rs;
    for (int i = 0; i < 16; i++)
        kek[i] = part1[i] ^ part2[i];
    kgn("OPEX", "DOUBLE", "DATA", "DATA", NULL, exporter, op, ex, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(op[0], 0x01);
    assert_int_equal(ex[0], 0x02);
    for (int i = 8; i < 16; i++)
        assert_int_equal(ex[i], 0); /* no MKVP in an external token */
    assert_int_equal(ex[6] & 0x80, 0x80);
    assert_memory_equal(op + 32, ex + 32, 16); /* same DATA CVs */
    unwrap_part(kek, ex + 32, ex + 16, key);
    unwrap_part(kek, ex + 40, ex + 24, key + 8);
    sha1_pattern(key, 16, want);
    assert_int_equal(verify_with(op, NULL, want), 0);
    assert_int_equal(verify_with(ex, exporter, want), 0);
    assert_int_equal(verify_with(ex, importer, want), 0); /* the same clear KEK, either class */
    want[0] ^= 1;
    assert_int_equal(verify_with(op, NULL, want), 40001);
}

/* Every key form: token types and one key in both tokens. */
static void every_form(void **state)
{
    (void)state;
    static const struct {
        const char *form;
        bool two;
        unsigned char *kek1, *kek2;
        unsigned char type1, type2;
    } forms[] = {
        {"EX", false, exporter, NULL, 2, 0},       {"IM", false, importer, NULL, 2, 0},
        {"OPEX", true, NULL, exporter, 1, 2},      {"OPIM", true, NULL, importer, 1, 2},
        {"IMEX", true, importer, exporter, 2, 2},  {"EXEX", true, exporter, exporter, 2, 2},
        {"IMIM", true, importer, importer, 2, 2},  {"OPOP", true, NULL, NULL, 1, 1},
    };
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        unsigned char g1[64], g2[64], r[8], p[8];
        long rc, rs;
        const char *len = f % 2 ? "TRIPLE" : "DOUBLE";
        kgn(forms[f].form, len, "DATA", "DATA", forms[f].kek1, forms[f].kek2, g1, forms[f].two ? g2 : NULL, &rc,
            &rs);
        if (rc != 0)
            fail_msg("%s: %ld/%ld", forms[f].form, rc, rs);
        assert_int_equal(g1[0], forms[f].type1);
        pattern(g1, forms[f].kek1, r, p);
        if (!forms[f].two)
            continue;
        assert_int_equal(g2[0], forms[f].type2);
        assert_int_equal(verify_rp(g2, forms[f].kek2, r, p), 0); /* both copies hold the same key */
        p[7] ^= 1;
        assert_int_equal(verify_rp(g2, forms[f].kek2, r, p), 40001);
    }
}

/* The KEK's CV: class (EXPORTER for EX, IMPORTER for IM) and key-generate bits; not a KEK at all: 8/39. */
static void kek_cv_enforced(void **state)
{
    (void)state;
    unsigned char g1[64], g2[64], data[64];
    long rc, rs;
    kgn("OPEX", "DOUBLE", "DATA", "DATA", NULL, importer, g1, g2, &rc, &rs);
    EXPECT(8, 39, rc, rs);
    kgn("OPIM", "DOUBLE", "DATA", "DATA", NULL, exporter, g1, g2, &rc, &rs);
    EXPECT(8, 39, rc, rs);
    kgn("IMEX", "DOUBLE", "DATA", "DATA", exporter, importer, g1, g2, &rc, &rs);
    EXPECT(8, 39, rc, rs);
    kgn("OP", "DOUBLE", "DATA", "", NULL, NULL, data, NULL, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    kgn("EX", "DOUBLE", "DATA", "", data, NULL, g1, NULL, &rc, &rs);
    EXPECT(8, 39, rc, rs);
    /* An EXPORTER without the OPEX bit (18): OPEX refused, EXEX (bit 20) still allowed. */
    static const unsigned char no_opex[16] = {0x00, 0x41, 0x5C, 0x00, 0x03, 0x41, 0x00, 0x00,
                                              0x00, 0x41, 0x5C, 0x00, 0x03, 0x21, 0x00, 0x00};
    unsigned char partial[64];
    kek_from_parts(NULL, no_opex, part1, part2, partial);
    kgn("OPEX", "DOUBLE", "DATA", "DATA", NULL, partial, g1, g2, &rc, &rs);
    EXPECT(8, 39, rc, rs);
    kgn("EXEX", "DOUBLE", "DATA", "DATA", partial, exporter, g1, g2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    /* No external fixed-length AES tokens: 8/41; an external KEK: 8/39; a null KEK: 8/180. */
    kgn("EX", "KEYLN32", "AESDATA", "", exporter, NULL, g1, NULL, &rc, &rs);
    EXPECT(8, 41, rc, rs);
    kgn("OPEX", "DOUBLE", "DATA", "DATA", NULL, exporter, g1, g2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    kgn("EX", "DOUBLE", "DATA", "", g2, NULL, g1, NULL, &rc, &rs);
    EXPECT(8, 39, rc, rs);
    unsigned char null_kek[64] = {0};
    kgn("EX", "DOUBLE", "DATA", "", null_kek, NULL, g1, NULL, &rc, &rs);
    EXPECT(8, 180, rc, rs);
}

/* A tampered external token: TVV 8/12; resealed, it no longer holds the key. */
static void tampered_external(void **state)
{
    (void)state;
    unsigned char op[64], ex[64], v[8], rules[2 * W], r[8], p[8], r0[8];
    long rc, rs, n = 2;
    kgn("OPEX", "DOUBLE", "DATA", "DATA", NULL, exporter, op, ex, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    pattern(op, NULL, r0, v);
    ex[20] ^= 0x01;
    cca_rules_of(rules, (const char *const[]){"GENERATE", "KEY-ENC"}, 2);
    CSNBKYTX(&rc, &rs, NULL, NULL, &n, rules, ex, r, p, exporter);
    EXPECT(8, 12, rc, rs);
    reseal(ex);
    CSNBKYTX(&rc, &rs, NULL, NULL, &n, rules, ex, r, p, exporter);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(verify_rp(ex, exporter, r0, v), 40001); /* a different key */
    /* CSNBKYT has no KEK: an external token is 8/64; CSNBKYTX with a DATA key as KEK 8/39. */
    ex[20] ^= 0x01;
    reseal(ex);
    cca_rules_of(rules, (const char *const[]){"GENERATE", "KEY-ENC"}, 2);
    CSNBKYT(&rc, &rs, NULL, NULL, &n, rules, ex, r, p);
    EXPECT(8, 64, rc, rs);
    CSNBKYTX(&rc, &rs, NULL, NULL, &n, rules, ex, r, p, op);
    EXPECT(8, 39, rc, rs);
}

/* KEKs by label (DES key storage, csu_keyid_resolve), for CSNBKGN and CSNBKYTX. */
static void kek_labels(void **state)
{
    (void)state;
    unsigned char label[64], op[64], ex[64], r[8], p[8];
    long rc, rs;
    word(label, "KEK.EXPORTER.ONE", 64);
    CSNBKRC(&rc, &rs, NULL, NULL, label);
    EXPECT(0, 0, rc, rs);
    kgn("OP", "DOUBLE", "EXPORTER", "", NULL, NULL, label, NULL, &rc, &rs); /* the KEK generated into the record */
    EXPECT(0, 0, rc, rs);
    kgn("OPEX", "DOUBLE", "DATA", "DATA", NULL, label, op, ex, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    pattern(op, NULL, r, p);
    assert_int_equal(verify_rp(ex, label, r, p), 0);
    unsigned char missing[64];
    word(missing, "KEK.NOT.THERE", 64);
    kgn("OPEX", "DOUBLE", "DATA", "DATA", NULL, missing, op, ex, &rc, &rs);
    EXPECT(8, 30, rc, rs);
}

int main(void)
{
    char dir[64] = "/tmp/csu-symkey-kek-XXXXXX";
    if (!cca_card_open(dir))
        return 1;
    cca_key_stores(dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(setup_keys),        cmocka_unit_test(opex_independent),
        cmocka_unit_test(every_form),        cmocka_unit_test(kek_cv_enforced),
        cmocka_unit_test(tampered_external), cmocka_unit_test(kek_labels),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (cca_remove_dir(dir) != 0)
        failed++;
    return failed;
}
