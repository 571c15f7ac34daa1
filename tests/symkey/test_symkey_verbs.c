/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End-to-end tests of the fixed-length symmetric key verbs through
 * libcsulcca on an in-process card (CSU_CARD=inproc:<mkdtemp dir>), master
 * keys loaded with CSNBMKP.  The tests run in order on one card:
 *   no master key (12/764) → load SYM and AES master keys → CSNBKTB
 *   layouts → CSNBKGN (AES skeleton path, DES with openCryptoki's quirks)
 *   → CSNBCKM known check values (SP 800-67 TDES key, FIPS-197 AES key,
 *   computed here independently with OpenSSL) → CSNBKYT methods →
 *   CSNBKPI → every rejection class → master-key change (0/10001, RTCMK,
 *   RTNMK, 8/48 after a second SET).
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "csulincl.h"

#include "cca_test.h"

#define W 8
static char state_dir[128];

/* ---- helpers ------------------------------------------------------------- */

/* One blank-padded word; "" gives a blank one (cca_rules would write none). */
static void word(unsigned char out[W], const char *w)
{
    cca_rules_of(out, &w, 1);
}

#define RULES(...)                                                                                      \
    const char *const rule_list_[] = {__VA_ARGS__};                                                     \
    long rule_count = (long)(sizeof(rule_list_) / sizeof(rule_list_[0]));                               \
    unsigned char rules[8 * W];                                                                         \
    cca_rules_of(rules, rule_list_, (size_t)rule_count)

#define EXPECT(rc_, rs_, rc, rs)                                                                        \
    do {                                                                                                \
        if ((rc) != (rc_) || (rs) != (rs_))                                                             \
            fail_msg("line %d: got %ld/%ld, expected %d/%d", __LINE__, (long)(rc), (long)(rs), rc_, rs_); \
    } while (0)

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* TVV computed here, independently of card/tok_fixed.c. */
static uint32_t tvv(const unsigned char *t)
{
    uint32_t s = 0;
    for (int i = 0; i < 60; i += 4)
        s += be32(t + i);
    return s;
}

static void reseal(unsigned char *t)
{
    uint32_t v = tvv(t);
    t[60] = (unsigned char)(v >> 24), t[61] = (unsigned char)(v >> 16), t[62] = (unsigned char)(v >> 8),
    t[63] = (unsigned char)v;
}

/* CSNBMKP "<set> <action>"; the caller checks *rc and *rs. */
static void mkp(const char *set, const char *action, long *rc, long *rs)
{
    char list[32];
    snprintf(list, sizeof(list), "%s %s", set, action);
    *rc = cca_mkp(list, NULL, rs);
}

static void ktb(unsigned char tok[64], const char *type, const char *const *rl, long n, long *rc, long *rs)
{
    unsigned char rules[8 * W], kt[W];
    cca_rules_of(rules, rl, (size_t)n);
    word(kt, type);
    CSNBKTB(rc, rs, NULL, NULL, tok, kt, &n, rules, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
}

/* CSNBKGN the way openCryptoki calls it: form 'OP  ', key_type_2 NULs, KEKs and ids zero. */
static void kgn_op(const char *len, const char *type, unsigned char gen[64], long *rc, long *rs)
{
    unsigned char form[4] = {'O', 'P', ' ', ' '}, kl[W], t1[W], t2[W] = {0}, kek1[64] = {0}, kek2[64] = {0},
                  gen2[64] = {0};
    word(kl, len);
    word(t1, type);
    CSNBKGN(rc, rs, NULL, NULL, form, kl, t1, t2, kek1, kek2, gen, gen2);
}

static void kyt(const char *const *rl, long n, unsigned char *id, unsigned char v1[8], unsigned char v2[8], long *rc,
                long *rs)
{
    unsigned char rules[8 * W];
    cca_rules_of(rules, rl, (size_t)n);
    CSNBKYT(rc, rs, NULL, NULL, &n, rules, id, v1, v2);
}

static void ktc(const char *const *rl, long n, unsigned char tok[64], long *rc, long *rs)
{
    unsigned char rules[8 * W];
    cca_rules_of(rules, rl, (size_t)n);
    CSNBKTC(rc, rs, NULL, NULL, &n, rules, tok);
}

static void ckm(const char *alg, const unsigned char *key, long len, unsigned char tok[64], long *rc, long *rs)
{
    RULES(alg);
    CSNBCKM(rc, rs, NULL, NULL, &rule_count, rules, &len, (unsigned char *)key, tok);
}

static void ecb_zero(const EVP_CIPHER *c, const unsigned char *key, unsigned char out[16])
{
    static const unsigned char zero[16];
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    assert_non_null(ctx);
    assert_int_equal(EVP_EncryptInit_ex(ctx, c, NULL, key, NULL), 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    assert_int_equal(EVP_EncryptUpdate(ctx, out, &n, zero, EVP_CIPHER_get_block_size(c)), 1);
    EVP_CIPHER_CTX_free(ctx);
}

static const unsigned char sp800_67_key[24] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                                               0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x01,
                                               0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x01, 0x23};

static void fips197_key(unsigned char k[32])
{
    for (int i = 0; i < 32; i++)
        k[i] = (unsigned char)i;
}

/* A DES DATA token (KEYLN24) and an AES-256 token, generated. */
static void gen_des(unsigned char tok[64])
{
    long rc, rs;
    memset(tok, 0, 64);
    kgn_op("KEYLN24", "DATA", tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
}

static void gen_aes(unsigned char tok[64])
{
    long rc, rs;
    static const char *const sk[] = {"INTERNAL", "AES", "NO-KEY", "KEYLN32"};
    ktb(tok, "DATA", sk, 4, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    kgn_op("", "AESTOKEN", tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
}

/* Key Test GENERATE then VERIFY (default method): returns the VERIFY codes. */
static void kyt_roundtrip(unsigned char tok[64], long *rc, long *rs)
{
    static const char *const gen[] = {"GENERATE", "KEY-ENC"}, *const ver[] = {"VERIFY", "KEY-ENC"};
    unsigned char v1[8] = {0}, v2[8] = {0};
    kyt(gen, 2, tok, v1, v2, rc, rs);
    if (*rc >= 8)
        return;
    long rc2, rs2;
    kyt(ver, 2, tok, v1, v2, &rc2, &rs2);
    if (rc2 != 0 || (rs2 != 0 && rs2 != 10001))
        *rc = rc2, *rs = rs2;
}

/* ---- tests, in order ----------------------------------------------------- */

static void no_master_key(void **state)
{
    (void)state;
    long rc, rs;
    unsigned char tok[64];
    memset(tok, 0xA5, sizeof(tok));
    tok[0] = 0;
    ckm("DES", sp800_67_key, 24, tok, &rc, &rs);
    EXPECT(12, 764, rc, rs);
    assert_int_equal(tok[1], 0xA5); /* output untouched */
}

static void load_master_keys(void **state)
{
    (void)state;
    long rc, rs;
    static const char *const sets[] = {"SYM-MK", "AES-MK"};
    for (int i = 0; i < 2; i++) {
        mkp(sets[i], "CLEAR", &rc, &rs);
        EXPECT(0, 0, rc, rs);
        mkp(sets[i], "RANDOM", &rc, &rs);
        EXPECT(0, 0, rc, rs);
        mkp(sets[i], "SET", &rc, &rs);
        EXPECT(0, 0, rc, rs);
    }
}

static void ktb_aes_skeleton(void **state)
{
    (void)state;
    long rc, rs;
    unsigned char tok[64];
    static const char *const r32[] = {"INTERNAL", "AES", "NO-KEY", "KEYLN32"};
    static const char *const r16[] = {"INTERNAL", "AES", "NO-KEY", "KEYLN16"};
    ktb(tok, "DATA", r32, 4, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(tok[0], 0x01);
    assert_int_equal(tok[4], 0x04);
    assert_int_equal(tok[6], 0x00); /* no key, no MKVP */
    for (int i = 8; i < 56; i++)
        assert_int_equal(tok[i], 0);
    assert_int_equal(tok[56] << 8 | tok[57], 256);
    assert_int_equal(tok[58] << 8 | tok[59], 0);
    assert_int_equal(be32(tok + 60), tvv(tok));
    ktb(tok, "DATA", r16, 4, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(tok[56] << 8 | tok[57], 128);
    static const char *const ext[] = {"EXTERNAL", "AES"};
    ktb(tok, "DATA", ext, 2, &rc, &rs);
    EXPECT(8, 34, rc, rs);
    ktb(tok, "MAC", r16, 4, &rc, &rs);
    EXPECT(8, 61, rc, rs);
}

static void ktb_des_layout(void **state)
{
    (void)state;
    long rc, rs;
    unsigned char tok[64];
    static const unsigned char mac_l[8] = {0x00, 0x05, 0x4D, 0x00, 0x03, 0x41, 0x00, 0x00};
    static const unsigned char mac_r[8] = {0x00, 0x05, 0x4D, 0x00, 0x03, 0x21, 0x00, 0x00};
    static const char *const dbl[] = {"INTERNAL", "DOUBLE"};
    ktb(tok, "MAC", dbl, 2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(tok[0], 0x01);
    assert_int_equal(tok[4], 0x00);
    assert_memory_equal(tok + 32, mac_l, 8);
    assert_memory_equal(tok + 40, mac_r, 8);
    assert_int_equal(be32(tok + 60), tvv(tok));
    static const char *const ext[] = {"EXTERNAL", "DES", "KEYLN16"};
    ktb(tok, "EXPORTER", ext, 3, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(tok[0], 0x02);
    assert_int_equal(tok[33], 0x41);
    static const char *const single[] = {"INTERNAL", "SINGLE"};
    ktb(tok, "EXPORTER", single, 2, &rc, &rs); /* key type and length inconsistent */
    EXPECT(8, 160, rc, rs);
    ktb(tok, "NOSUCH", single, 2, &rc, &rs);
    EXPECT(8, 61, rc, rs);
    static const char *const bad[] = {"INTERNAL", "BOGUS"};
    ktb(tok, "DATA", bad, 2, &rc, &rs);
    EXPECT(8, 33, rc, rs);
    static const char *const none[] = {"DES"};
    ktb(tok, "DATA", none, 1, &rc, &rs);
    EXPECT(8, 129, rc, rs);
    static const char *const both[] = {"INTERNAL", "EXTERNAL"};
    ktb(tok, "DATA", both, 2, &rc, &rs);
    EXPECT(8, 34, rc, rs);
    ktb(tok, "DATA", single, 0, &rc, &rs);
    EXPECT(8, 35, rc, rs);
}

static void kgn_aes_from_skeleton(void **state)
{
    (void)state;
    long rc, rs;
    unsigned char tok[64], v1[8], v2[8];
    gen_aes(tok);
    assert_int_equal(tok[6] & 0x80, 0x80);
    assert_int_equal(tok[56] << 8 | tok[57], 256);
    assert_int_equal(tok[58] << 8 | tok[59], 32);
    assert_int_equal(be32(tok + 60), tvv(tok));
    /* The token's MKVP is the AES master key's pattern (Key Test KEY-KM AES-MK). */
    static const char *const km[] = {"GENERATE", "KEY-KM", "AES-MK"};
    kyt(km, 3, NULL, v1, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(tok + 8, v2, 8);
    /* KEYLN16 overrides a KEYLN32 skeleton. */
    static const char *const sk[] = {"INTERNAL", "AES", "NO-KEY", "KEYLN32"};
    ktb(tok, "DATA", sk, 4, &rc, &rs);
    kgn_op("KEYLN16", "AESTOKEN", tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(tok[56] << 8 | tok[57], 128);
    kyt_roundtrip(tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    /* AESTOKEN without a skeleton: generated identifier invalid. */
    unsigned char zero[64] = {0};
    kgn_op("KEYLN16", "AESTOKEN", zero, &rc, &rs);
    EXPECT(8, 155, rc, rs);
    kgn_op("SINGLE", "AESDATA", zero, &rc, &rs);
    EXPECT(8, 43, rc, rs);
}

static void kgn_des_quirks(void **state)
{
    (void)state;
    long rc, rs;
    unsigned char tok[64] = {0};
    static const unsigned char data8[8] = {0x00, 0x00, 0x7D, 0x00, 0x03, 0x00, 0x00, 0x00};
    kgn_op("KEYLN8", "DATA", tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(tok[0], 0x01);
    assert_int_equal(tok[6] & 0x80, 0x80);
    assert_memory_equal(tok + 32, data8, 8);
    assert_int_equal(be32(tok + 60), tvv(tok));
    kyt_roundtrip(tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    memset(tok, 0, 64);
    kgn_op("KEYLN24", "DATA", tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(tok[37], 0x60);
    /* Bad form, length, type. */
    unsigned char form[4] = {'Z', 'Z', ' ', ' '}, kl[W], t1[W], t2[W] = {0}, z[64] = {0}, g2[64] = {0};
    word(kl, "KEYLN8");
    word(t1, "DATA");
    CSNBKGN(&rc, &rs, NULL, NULL, form, kl, t1, t2, z, z, tok, g2);
    EXPECT(8, 41, rc, rs);
    kgn_op("KEYLN99", "DATA", tok, &rc, &rs);
    EXPECT(8, 43, rc, rs);
    kgn_op("KEYLN8", "NOTATYPE", tok, &rc, &rs);
    EXPECT(8, 61, rc, rs);
    /* OPOP: one key, two tokens: same ENC-ZERO check value. */
    unsigned char opop[4] = {'O', 'P', 'O', 'P'}, a[64] = {0}, b[64] = {0}, t2b[W];
    word(kl, "KEYLN16");
    word(t2b, "DATA");
    CSNBKGN(&rc, &rs, NULL, NULL, opop, kl, t1, t2b, z, z, a, b);
    EXPECT(0, 0, rc, rs);
    unsigned char va[8], vb[8], v1[8];
    static const char *const ez[] = {"GENERATE", "KEY-ENC", "ENC-ZERO"};
    kyt(ez, 3, a, v1, va, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    kyt(ez, 3, b, v1, vb, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(va, vb, 8);
}

static void ckm_known_check_values(void **state)
{
    (void)state;
    long rc, rs;
    unsigned char tok[64] = {0}, v1[8] = {0}, v2[8] = {0}, kcv[16];
    /* TDES: SP 800-67 key; ENC-ZERO = leftmost 4 bytes of E_K(0^64). */
    ckm("DES", sp800_67_key, 24, tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(tok[37], 0x60);
    ecb_zero(EVP_des_ede3_ecb(), sp800_67_key, kcv);
    static const char *const ver[] = {"VERIFY", "KEY-ENC", "ENC-ZERO"};
    static const char *const gen[] = {"GENERATE", "KEY-ENC", "ENC-ZERO"};
    memcpy(v2, kcv, 4);
    kyt(ver, 3, tok, v1, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    kyt(gen, 3, tok, v1, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(v2, kcv, 4);
    v2[0] ^= 1;
    kyt(ver, 3, tok, v1, v2, &rc, &rs);
    EXPECT(4, 1, rc, rs);
    /* The clear key's own check value (KEY-CLRT) agrees with the token's. */
    static const char *const clrt[] = {"GENERATE", "KEY-CLRT", "ENC-ZERO"};
    kyt(clrt, 3, (unsigned char *)sp800_67_key, v1, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(v2, kcv, 4);
    /* AES-256: FIPS-197 key; SHA-256 pattern = Trunc64(SHA-256(X'01' || K)), computed here. */
    unsigned char k[32], in[33], md[32];
    fips197_key(k);
    ckm("AES", k, 32, tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    in[0] = 0x01;
    memcpy(in + 1, k, 32);
    assert_int_equal(EVP_Digest(in, 33, md, NULL, EVP_sha256(), NULL), 1);
    static const char *const ga[] = {"GENERATE", "KEY-ENC"};
    kyt(ga, 2, tok, v1, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(v2, md, 8);
    ecb_zero(EVP_aes_256_ecb(), k, kcv);
    memset(v2, 0, 8);
    memcpy(v2, kcv, 4);
    kyt(ver, 3, tok, v1, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    /* AES 16/24 and DES 8 are accepted; other lengths are not. */
    ckm("AES", k, 16, tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(tok[56] << 8 | tok[57], 128);
    ckm("AES", k, 24, tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    ckm("DES", sp800_67_key, 8, tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    unsigned char keep[64];
    memcpy(keep, tok, 64);
    ckm("AES", k, 20, tok, &rc, &rs);
    EXPECT(8, 72, rc, rs);
    assert_memory_equal(keep, tok, 64);
    ckm("RSA", k, 16, tok, &rc, &rs);
    EXPECT(8, 33, rc, rs);
}

static void kyt_methods(void **state)
{
    (void)state;
    long rc, rs;
    unsigned char tok[64], v1[8], v2[8];
    gen_des(tok);
    static const char *const gen[] = {"GENERATE", "KEY-ENCD"}, *const ver[] = {"VERIFY", "KEY-ENCD"};
    kyt(gen, 2, tok, v1, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    kyt(ver, 2, tok, v1, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    v1[3] ^= 0x10; /* another random number: another pattern */
    kyt(ver, 2, tok, v1, v2, &rc, &rs);
    EXPECT(4, 1, rc, rs);
    /* Master key SHA-1 method: value_1 = MKVP (as tokens carry it). */
    static const char *const km[] = {"GENERATE", "KEY-KM", "SYM-MK"}, *const kmv[] = {"VERIFY", "KEY-KM"};
    kyt(km, 3, NULL, v1, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(v1, tok + 8, 8);
    kyt(kmv, 2, NULL, v1, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    v2[7] ^= 1;
    kyt(kmv, 2, NULL, v1, v2, &rc, &rs);
    EXPECT(4, 1, rc, rs);
    static const char *const nkm[] = {"GENERATE", "KEY-NKM", "SYM-MK"};
    kyt(nkm, 3, NULL, v1, v2, &rc, &rs);
    EXPECT(12, 764, rc, rs);
    static const char *const conflict[] = {"GENERATE", "KEY-KM", "ENC-ZERO"};
    kyt(conflict, 3, NULL, v1, v2, &rc, &rs);
    EXPECT(8, 34, rc, rs);
    static const char *const sel[] = {"GENERATE", "KEY-ENC", "AES-MK"};
    kyt(sel, 3, tok, v1, v2, &rc, &rs);
    EXPECT(8, 34, rc, rs);
    static const char *const one[] = {"KEY-ENC"};
    kyt(one, 1, tok, v1, v2, &rc, &rs);
    EXPECT(8, 129, rc, rs);
    long six = 6;
    unsigned char r6[6 * W];
    memset(r6, ' ', sizeof(r6));
    CSNBKYT(&rc, &rs, NULL, NULL, &six, r6, tok, v1, v2);
    EXPECT(8, 35, rc, rs);
    CSNBKYT(&rc, &rs, NULL, NULL, &six, r6, tok, v1, NULL);
    EXPECT(8, 35, rc, rs);
    static const char *const g2[] = {"GENERATE", "KEY-ENC"};
    unsigned char r2[2 * W];
    cca_rules_of(r2, g2, 2);
    long two = 2;
    CSNBKYT(&rc, &rs, NULL, NULL, &two, r2, tok, v1, NULL);
    EXPECT(8, 184, rc, rs);
}

static void kpi_parts(void **state)
{
    (void)state;
    long rc, rs;
    unsigned char tok[64], p1[16], p2[16], p3[16], key[24], kcv[16], v1[8], v2[8];
    static const char *const sk[] = {"INTERNAL", "DES", "DOUBLE", "KEY-PART"};
    ktb(tok, "DATA", sk, 4, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(tok[37] & 0x08, 0x08);
    for (int i = 0; i < 16; i++)
        p1[i] = (unsigned char)(0x13 * i + 1), p2[i] = (unsigned char)(0x5B * i + 7),
        p3[i] = (unsigned char)(0x27 * i + 3);
    static const char *const acts[] = {"FIRST", "MIDDLE", "LAST"};
    unsigned char *parts[] = {p1, p2, p3};
    for (int a = 0; a < 3; a++) {
        unsigned char r[W];
        long one = 1;
        word(r, acts[a]);
        CSNBKPI(&rc, &rs, NULL, NULL, &one, r, parts[a], tok);
        EXPECT(0, 0, rc, rs);
    }
    assert_int_equal(tok[37] & 0x08, 0);
    assert_int_equal(be32(tok + 60), tvv(tok));
    for (int i = 0; i < 16; i++)
        key[i] = (unsigned char)(p1[i] ^ p2[i] ^ p3[i]);
    memcpy(key + 16, key, 8);
    ecb_zero(EVP_des_ede3_ecb(), key, kcv);
    static const char *const ver[] = {"VERIFY", "KEY-ENC", "ENC-ZERO"};
    memset(v2, 0, 8);
    memcpy(v2, kcv, 4);
    kyt(ver, 3, tok, v1, v2, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    unsigned char r[W];
    long one = 1;
    word(r, "MIDDLE");
    CSNBKPI(&rc, &rs, NULL, NULL, &one, r, p1, tok);
    EXPECT(8, 441, rc, rs);
    /* COMPLETE on a skeleton that has no key yet. */
    ktb(tok, "DATA", sk, 4, &rc, &rs);
    word(r, "COMPLETE");
    CSNBKPI(&rc, &rs, NULL, NULL, &one, r, NULL, tok);
    EXPECT(8, 439, rc, rs);
    /* DOUBLE-O: replicated halves refused at LAST. */
    static const char *const sko[] = {"INTERNAL", "DES", "DOUBLE-O", "KEY-PART"};
    ktb(tok, "DATA", sko, 4, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    unsigned char rep[16];
    memcpy(rep, p1, 8);
    memcpy(rep + 8, p1, 8);
    word(r, "FIRST");
    CSNBKPI(&rc, &rs, NULL, NULL, &one, r, rep, tok);
    EXPECT(0, 0, rc, rs);
    word(r, "COMPLETE");
    CSNBKPI(&rc, &rs, NULL, NULL, &one, r, NULL, tok);
    EXPECT(8, 442, rc, rs);
}

static void rejections(void **state)
{
    (void)state;
    long rc, rs;
    unsigned char good[64], aes[64], t[64], v1[8] = {0}, v2[8] = {0};
    gen_des(good);
    gen_aes(aes);
    static const char *const gen[] = {"GENERATE", "KEY-ENC"};
    memcpy(t, good, 64);
    t[0] = 0xFF;
    kyt(gen, 2, t, v1, v2, &rc, &rs);
    EXPECT(8, 181, rc, rs); /* wrong token identifier */
    memcpy(t, good, 64);
    t[4] = 0x09;
    reseal(t);
    kyt(gen, 2, t, v1, v2, &rc, &rs);
    EXPECT(8, 49, rc, rs); /* version */
    memcpy(t, good, 64);
    t[20] ^= 0x01;
    kyt(gen, 2, t, v1, v2, &rc, &rs);
    EXPECT(8, 29, rc, rs); /* internal TVV */
    memcpy(t, good, 64);
    t[0] = 0x02; /* the sum changes by X'01000000': TVV wrong */
    kyt(gen, 2, t, v1, v2, &rc, &rs);
    EXPECT(8, 12, rc, rs); /* external TVV */
    memcpy(t, good, 64);
    t[9] ^= 0x40;
    reseal(t);
    kyt(gen, 2, t, v1, v2, &rc, &rs);
    EXPECT(8, 48, rc, rs); /* MKVP of no master key */
    memset(t, 0, 64);
    kyt(gen, 2, t, v1, v2, &rc, &rs);
    EXPECT(8, 180, rc, rs); /* null token */
    /* Tampered AES key field (128-bit key: the padding block shows it). */
    unsigned char a16[64] = {0}; /* target: a null token, not stack bytes that may read as a label */
    unsigned char k[32];
    fips197_key(k);
    ckm("AES", k, 16, a16, &rc, &rs);
    memcpy(t, a16, 64);
    t[16] ^= 0x80;
    reseal(t);
    kyt(gen, 2, t, v1, v2, &rc, &rs);
    EXPECT(8, 3013, rc, rs);
    memcpy(t, a16, 64);
    t[56] = 0, t[57] = 100;
    reseal(t);
    kyt(gen, 2, t, v1, v2, &rc, &rs);
    EXPECT(8, 2098, rc, rs);
    memcpy(t, a16, 64);
    t[59] = 16;
    reseal(t);
    kyt(gen, 2, t, v1, v2, &rc, &rs);
    EXPECT(8, 2099, rc, rs);
    /* Wrong key type for the verb: KPI on an AES token, KTC DES keyword on an AES token. */
    unsigned char r[W], part[16] = {0};
    long one = 1;
    word(r, "MIDDLE");
    memcpy(t, aes, 64);
    CSNBKPI(&rc, &rs, NULL, NULL, &one, r, part, t);
    EXPECT(8, 64, rc, rs);
    assert_memory_equal(t, aes, 64);
    static const char *const ktc_des[] = {"RTCMK", "DES"};
    ktc(ktc_des, 2, t, &rc, &rs);
    EXPECT(8, 64, rc, rs);
    /* A label: no key storage yet. */
    memset(t, ' ', 64);
    memcpy(t, "MY.KEY", 6);
    kyt(gen, 2, t, v1, v2, &rc, &rs);
    EXPECT(8, 6007, rc, rs);
    kyt(gen, 2, NULL, v1, v2, &rc, &rs);
    EXPECT(8, 184, rc, rs);
}

static void master_key_change(void **state)
{
    (void)state;
    long rc, rs;
    unsigned char des[64], aes[64], des_stale[64], aes_stale[64], before[64];
    gen_des(des);
    gen_aes(aes);
    memcpy(des_stale, des, 64);
    memcpy(aes_stale, aes, 64);
    static const char *const rtc_des[] = {"RTCMK"}, *const rtc_aes[] = {"RTCMK", "AES"};
    /* Current tokens come back unchanged with 0/0. */
    memcpy(before, des, 64);
    ktc(rtc_des, 1, des, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(before, des, 64);
    /* New master keys: old tokens work with 0/10001. */
    static const char *const sets[] = {"SYM-MK", "AES-MK"};
    for (int i = 0; i < 2; i++) {
        mkp(sets[i], "RANDOM", &rc, &rs);
        EXPECT(0, 0, rc, rs);
        mkp(sets[i], "SET", &rc, &rs);
        EXPECT(0, 0, rc, rs);
    }
    kyt_roundtrip(des, &rc, &rs);
    EXPECT(0, 10001, rc, rs);
    kyt_roundtrip(aes, &rc, &rs);
    EXPECT(0, 10001, rc, rs);
    ktc(rtc_des, 1, des, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_not_equal(before + 8, des + 8, 8);
    assert_int_equal(be32(des + 60), tvv(des));
    ktc(rtc_aes, 2, aes, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    kyt_roundtrip(des, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    kyt_roundtrip(aes, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    /* RTNMK: to the new register, unusable until SET. */
    mkp("SYM-MK", "RANDOM", &rc, &rs);
    EXPECT(0, 0, rc, rs);
    static const char *const rtn[] = {"RTNMK", "DES"};
    unsigned char next[64];
    memcpy(next, des, 64);
    ktc(rtn, 2, next, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_not_equal(next + 8, des + 8, 8);
    kyt_roundtrip(next, &rc, &rs);
    EXPECT(8, 48, rc, rs);
    mkp("SYM-MK", "SET", &rc, &rs);
    EXPECT(0, 0, rc, rs);
    kyt_roundtrip(next, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    /* The DES token not re-enciphered twice is now under no register: 8/48. */
    kyt_roundtrip(des_stale, &rc, &rs);
    EXPECT(8, 48, rc, rs);
    memcpy(before, des_stale, 64);
    ktc(rtc_des, 1, des_stale, &rc, &rs);
    EXPECT(8, 48, rc, rs);
    assert_memory_equal(before, des_stale, 64);
    /* The AES stale one is still under the old register; after a second SET it is not. */
    mkp("AES-MK", "RANDOM", &rc, &rs);
    mkp("AES-MK", "SET", &rc, &rs);
    EXPECT(0, 0, rc, rs);
    kyt_roundtrip(aes_stale, &rc, &rs);
    EXPECT(8, 48, rc, rs);
    kyt_roundtrip(aes, &rc, &rs);
    EXPECT(0, 10001, rc, rs);
}

/* ---- main ---------------------------------------------------------------- */

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(state_dir, sizeof(state_dir), "%s/csu-symkey-XXXXXX", tmp && *tmp && strlen(tmp) < 60 ? tmp : "/tmp");
    if (!cca_card_open(state_dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_master_key),     cmocka_unit_test(load_master_keys),
        cmocka_unit_test(ktb_aes_skeleton),  cmocka_unit_test(ktb_des_layout),
        cmocka_unit_test(kgn_aes_from_skeleton), cmocka_unit_test(kgn_des_quirks),
        cmocka_unit_test(ckm_known_check_values), cmocka_unit_test(kyt_methods),
        cmocka_unit_test(kpi_parts),         cmocka_unit_test(rejections),
        cmocka_unit_test(master_key_change),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    cca_remove_dir(state_dir);
    return failed;
}
