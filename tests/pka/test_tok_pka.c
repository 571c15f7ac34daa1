/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the PKA token sections (card/tok_pka.c, tok_rsa.c,
 * tok_ecc.c): builders checked field by field against reference §3.7,
 * parse round trips, every rejection class, and exhaustive single-bit
 * flips over internal tokens (every one must be refused).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "csu_mu.h"
#include "pka_keygen.h"
#include "pka_test_util.h"
#include "tok_ecc.h"
#include "tok_rsa.h"

#define BUF 4096

static struct card_drbg *drbg;
static struct pka_key rsa1024_crt, rsa1024_me, ecc_p256, ecc_p521;

static void gen_rsa(struct pka_key *k, unsigned bits, bool crt)
{
    memset(k, 0, sizeof(*k));
    k->alg = PKA_ALG_RSA;
    k->rsa.bits = (uint16_t)bits;
    k->rsa.crt = crt;
    k->rsa.e[0] = 0x01, k->rsa.e[1] = 0x00, k->rsa.e[2] = 0x01, k->rsa.e_len = 3;
    k->usage = PKA_USAGE_KEY_MGMT;
    k->key_source = PKA_SOURCE_RANDOM;
    assert_int_equal(pka_generate(k), CSU_OK);
}

static void gen_ecc(struct pka_key *k, uint8_t type, unsigned bits)
{
    memset(k, 0, sizeof(*k));
    k->alg = PKA_ALG_ECC;
    k->ecc.curve_type = type;
    k->ecc.p_bits = (uint16_t)bits;
    k->usage = PKA_USAGE_SIG_ONLY;
    k->key_source = PKA_SOURCE_RANDOM;
    assert_int_equal(pka_generate(k), CSU_OK);
}

static int setup(void **state)
{
    (void)state;
    if (card_drbg_open("pka unit", 8, &drbg) != CSU_OK)
        return -1;
    gen_rsa(&rsa1024_crt, 1024, true);
    gen_rsa(&rsa1024_me, 1024, false);
    gen_ecc(&ecc_p256, 0x00, 256);
    gen_ecc(&ecc_p521, 0x00, 521);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    card_drbg_close(drbg);
    return 0;
}

static size_t build(const struct pka_key *k, enum pka_build form, bool old_mk, uint8_t *out)
{
    struct pka_mk mk;
    test_mk(&mk, old_mk);
    size_t len = 0;
    assert_int_equal(pka_token_build(k, form, &mk, drbg, out, BUF, &len), CSU_OK);
    assert_int_equal(csu_load_be16(out + 2), len);
    return len;
}

static csu_err parse(const uint8_t *tok, size_t len, struct pka_key *k)
{
    bool old;
    return pka_token_parse(tok, len, &test_lookup, k, &old);
}

static void set_name(struct pka_key *k, const char *name)
{
    memset(k->name, ' ', PKA_NAME_LEN);
    memcpy(k->name, name, strlen(name));
    k->has_name = true;
}

/* ---- builders, field by field ------------------------------------------- */

static void test_rsa_public_layout(void **state)
{
    (void)state;
    uint8_t t[BUF];
    size_t len = build(&rsa1024_crt, PKA_BUILD_PUBLIC, false, t);
    assert_int_equal(len, 8 + 12 + 3 + 128);
    assert_int_equal(t[0], 0x1E);
    assert_int_equal(t[1], 0x00);
    assert_true(pka_all_zero(t + 4, 4));
    assert_int_equal(t[8], 0x04);
    assert_int_equal(t[9], 0x00);
    assert_int_equal(csu_load_be16(t + 10), 12 + 3 + 128);
    assert_int_equal(csu_load_be16(t + 14), 3);    /* e length */
    assert_int_equal(csu_load_be16(t + 16), 1024); /* modulus bits */
    assert_int_equal(csu_load_be16(t + 18), 128);  /* modulus bytes: clients read offset 18 */
    assert_memory_equal(t + 20, "\x01\x00\x01", 3); /* e at +12 of the section */
    assert_memory_equal(t + 23, rsa1024_crt.rsa.n, 128);
    struct pka_key k;
    assert_int_equal(parse(t, len, &k), CSU_OK);
    assert_int_equal(k.kind, PKA_KIND_PUBLIC);
    assert_memory_equal(k.rsa.n, rsa1024_crt.rsa.n, 128);
}

static void test_rsa_crt_internal_layout(void **state)
{
    (void)state;
    uint8_t t[BUF], vp[8];
    size_t len = build(&rsa1024_crt, PKA_BUILD_INTERNAL, false, t);
    const uint8_t *s = t + 8;
    size_t m = rsa1024_crt.rsa.p_len + rsa1024_crt.rsa.q_len + rsa1024_crt.rsa.dp_len + rsa1024_crt.rsa.dq_len +
               rsa1024_crt.rsa.u_len;
    size_t payload = pka_payload_len(m);
    assert_int_equal(t[0], 0x1F);
    assert_int_equal(s[0], 0x31);
    assert_int_equal(csu_load_be16(s + 2), 134 + 128 + payload);
    assert_int_equal(csu_load_be16(s + 4), 134);
    assert_int_equal(csu_load_be16(s + 6), payload);
    assert_int_equal(s[10], 0x03);
    assert_int_equal(s[11], 0x08); /* internal */
    assert_int_equal(s[12], PKA_SOURCE_RANDOM);
    assert_int_equal(s[14], 0x02);
    assert_int_equal(s[50], PKA_USAGE_KEY_MGMT);
    assert_int_equal(csu_load_be16(s + 52), rsa1024_crt.rsa.p_len);
    assert_int_equal(csu_load_be16(s + 54), rsa1024_crt.rsa.q_len);
    assert_int_equal(csu_load_be16(s + 62), 128);
    card_mk_vp(MK_APKA, test_mk_current, vp);
    assert_memory_equal(s + 116, vp, 8);
    assert_true(pka_all_zero(s + 124, 10));
    assert_memory_equal(s + 134, rsa1024_crt.rsa.n, 128);
    /* no clear prime anywhere in the token */
    for (size_t i = 0; i + rsa1024_crt.rsa.p_len <= len; i++)
        assert_false(memcmp(t + i, rsa1024_crt.rsa.p, rsa1024_crt.rsa.p_len) == 0);
    const uint8_t *pub = s + csu_load_be16(s + 2);
    assert_int_equal(pub[0], 0x04);
    assert_int_equal(csu_load_be16(pub + 10), 0); /* n lives in the private section */
    struct pka_key k;
    assert_int_equal(parse(t, len, &k), CSU_OK);
    assert_int_equal(k.kind, PKA_KIND_INTERNAL);
    assert_true(k.rsa.crt);
    assert_int_equal(k.rsa.bits, 1024);
    assert_memory_equal(k.rsa.p, rsa1024_crt.rsa.p, k.rsa.p_len);
    assert_memory_equal(k.rsa.u, rsa1024_crt.rsa.u, k.rsa.u_len);
    assert_memory_equal(k.rsa.e, rsa1024_crt.rsa.e, 3);
}

static void test_rsa_me_internal_layout(void **state)
{
    (void)state;
    uint8_t t[BUF], vp[8];
    size_t len = build(&rsa1024_me, PKA_BUILD_INTERNAL, false, t);
    const uint8_t *s = t + 8;
    assert_int_equal(s[0], 0x30);
    assert_int_equal(csu_load_be16(s + 2), 122 + 128 + pka_payload_len(128));
    assert_int_equal(csu_load_be16(s + 4), 122);
    assert_int_equal(csu_load_be16(s + 52), 128);
    assert_int_equal(csu_load_be16(s + 54), 128);
    card_mk_vp(MK_APKA, test_mk_current, vp);
    assert_memory_equal(s + 104, vp, 8);
    assert_memory_equal(s + 122, rsa1024_me.rsa.n, 128);
    struct pka_key k;
    assert_int_equal(parse(t, len, &k), CSU_OK);
    assert_false(k.rsa.crt);
    assert_memory_equal(k.rsa.d, rsa1024_me.rsa.d, 128);
}

static void test_ecc_internal_layout(void **state)
{
    (void)state;
    uint8_t t[BUF], vp[8];
    size_t len = build(&ecc_p256, PKA_BUILD_INTERNAL, false, t);
    const uint8_t *s = t + 8;
    assert_int_equal(s[0], 0x20);
    assert_int_equal(s[4], 0x01); /* AESKW */
    assert_int_equal(s[5], 0x02);
    assert_int_equal(s[8], PKA_USAGE_SIG_ONLY);
    assert_int_equal(s[9], 0x00);
    assert_int_equal(s[10], 0x08);
    assert_int_equal(s[11], PKA_SOURCE_RANDOM);
    assert_int_equal(csu_load_be16(s + 12), 256);
    card_mk_vp(MK_APKA, test_mk_current, vp);
    assert_memory_equal(s + 16, vp, 8);
    assert_int_equal(csu_load_be16(s + 74), pka_payload_len(32));
    const uint8_t *pub = s + csu_load_be16(s + 2);
    assert_int_equal(pub[0], 0x21);
    assert_int_equal(pub[8], 0x00);
    assert_int_equal(csu_load_be16(pub + 10), 256);
    assert_int_equal(csu_load_be16(pub + 12), 65); /* q length at +12 */
    assert_memory_equal(pub + 14, ecc_p256.ecc.q, 65);
    assert_int_equal(pub[14], 0x04);
    struct pka_key k;
    assert_int_equal(parse(t, len, &k), CSU_OK);
    assert_int_equal(k.kind, PKA_KIND_INTERNAL);
    assert_memory_equal(k.ecc.d, ecc_p256.ecc.d, 32);
}

static void test_clear_and_skeleton_round_trip(void **state)
{
    (void)state;
    const struct pka_key *keys[] = {&rsa1024_crt, &rsa1024_me, &ecc_p256, &ecc_p521};
    for (size_t i = 0; i < 4; i++) {
        uint8_t t[BUF];
        struct pka_key k, copy = *keys[i];
        size_t len = build(keys[i], PKA_BUILD_CLEAR, false, t);
        assert_int_equal(t[0], 0x1E);
        if (copy.alg == PKA_ALG_RSA)
            assert_int_equal(t[8 + 28], 0x40);
        else
            assert_int_equal(t[8 + 10], 0x40);
        assert_int_equal(parse(t, len, &k), CSU_OK);
        assert_int_equal(k.kind, PKA_KIND_CLEAR);
        assert_int_equal(pka_check_key(&k), CSU_OK);
        /* skeleton: attributes only */
        memset(&copy.rsa.n, 0, sizeof(copy.rsa.n));
        copy.rsa.n_len = 0;
        copy.ecc.q_len = 0;
        len = build(&copy, PKA_BUILD_SKELETON, false, t);
        assert_int_equal(parse(t, len, &k), CSU_OK);
        assert_int_equal(k.kind, PKA_KIND_SKELETON);
        assert_int_equal(k.alg, copy.alg);
    }
}

static void test_name_section(void **state)
{
    (void)state;
    uint8_t t[BUF];
    struct pka_key named = ecc_p256, k;
    set_name(&named, "MY.ECC.KEY");
    size_t len = build(&named, PKA_BUILD_INTERNAL, false, t);
    const uint8_t *name = t + len - 68;
    assert_int_equal(name[0], 0x10);
    assert_int_equal(csu_load_be16(name + 2), 68);
    assert_memory_equal(name + 4, named.name, 64);
    assert_int_equal(parse(t, len, &k), CSU_OK);
    assert_true(k.has_name);
    assert_memory_equal(k.name, named.name, 64);
    /* a malformed label in the section is an invalid field (rebuild so the hash matches) */
    named.name[0] = '1';
    len = build(&named, PKA_BUILD_PUBLIC, false, t);
    assert_int_equal(parse(t, len, &k), CSU_E_PKA_FIELD);
}

/* ---- rejection classes ---------------------------------------------------- */

static void test_reject_header(void **state)
{
    (void)state;
    uint8_t t[BUF];
    struct pka_key k;
    size_t len = build(&ecc_p256, PKA_BUILD_INTERNAL, false, t);
    t[0] = 0x1D;
    assert_int_equal(parse(t, len, &k), CSU_E_TOKEN_TYPE);
    t[0] = 0x00;
    assert_int_equal(parse(t, len, &k), CSU_E_TOKEN_NULL);
    t[0] = 0x1F;
    t[1] = 0x01;
    assert_int_equal(parse(t, len, &k), CSU_E_TOKEN_VERSION);
    t[1] = 0x00;
    t[5] = 0x01;
    assert_int_equal(parse(t, len, &k), CSU_E_PKA_FIELD);
    t[5] = 0x00;
    assert_int_equal(parse(t, len - 1, &k), CSU_E_LENGTH);
    assert_int_equal(parse(t, 4, &k), CSU_E_LENGTH);
    assert_int_equal(parse(t, len, &k), CSU_OK);
}

static void test_reject_sections(void **state)
{
    (void)state;
    uint8_t t[BUF];
    struct pka_key k;
    size_t len = build(&rsa1024_crt, PKA_BUILD_PUBLIC, false, t);
    t[8] = 0x05; /* unknown section id */
    assert_int_equal(parse(t, len, &k), CSU_E_PKA_SECTION);
    t[8] = 0x30; /* internal-only section in an external token */
    assert_int_equal(parse(t, len, &k), CSU_E_PKA_SECTION);
    t[8] = 0x04;
    t[9] = 0x01; /* section version */
    assert_int_equal(parse(t, len, &k), CSU_E_PKA_FIELD);
    t[9] = 0x00;
    csu_store_be16(t + 10, (uint16_t)(len - 8 + 1)); /* section longer than the token */
    assert_int_equal(parse(t, len, &k), CSU_E_PKA_FIELD);
    csu_store_be16(t + 10, 3); /* shorter than a section header */
    assert_int_equal(parse(t, len, &k), CSU_E_PKA_FIELD);
    csu_store_be16(t + 10, (uint16_t)(len - 8));
    csu_store_be16(t + 16, 1000); /* modulus bits disagree with n */
    assert_int_equal(parse(t, len, &k), CSU_E_RSA_MODULUS);
    csu_store_be16(t + 16, 300); /* out of range */
    assert_int_equal(parse(t, len, &k), CSU_E_RSA_MODULUS);
    csu_store_be16(t + 16, 1024);
    t[22] = 0x00; /* e even */
    assert_int_equal(parse(t, len, &k), CSU_E_RSA_EXPONENT);
    t[22] = 0x01;
    assert_int_equal(parse(t, len, &k), CSU_OK);
    /* ECC: unknown curve */
    len = build(&ecc_p256, PKA_BUILD_PUBLIC, false, t);
    csu_store_be16(t + 18, 255);
    assert_int_equal(parse(t, len, &k), CSU_E_ECC_CURVE);
    csu_store_be16(t + 18, 256);
    t[16] = 0x02; /* Edwards: not served */
    assert_int_equal(parse(t, len, &k), CSU_E_ECC_CURVE);
}

static void test_reject_mkvp_and_old(void **state)
{
    (void)state;
    uint8_t t[BUF];
    struct pka_key k;
    bool old = false;
    size_t len = build(&ecc_p256, PKA_BUILD_INTERNAL, true, t);
    assert_int_equal(pka_token_parse(t, len, &test_lookup, &k, &old), CSU_OK);
    assert_true(old);
    len = build(&rsa1024_crt, PKA_BUILD_INTERNAL, false, t);
    assert_int_equal(pka_token_parse(t, len, &test_lookup, &k, &old), CSU_OK);
    assert_false(old);
    t[8 + 116] ^= 0xFF; /* MKVP of neither key */
    assert_int_equal(parse(t, len, &k), CSU_E_MKVP);
}

/* Changing one byte in each section of an internal token is refused. */
static void test_reject_tampered_sections(void **state)
{
    (void)state;
    uint8_t t[BUF];
    struct pka_key named = rsa1024_crt, k;
    set_name(&named, "TAMPER.TEST");
    size_t len = build(&named, PKA_BUILD_INTERNAL, false, t);
    size_t priv_len = csu_load_be16(t + 10);
    size_t pub = 8 + priv_len, pub_len = csu_load_be16(t + pub + 2);
    const size_t where[] = {8 + 50,             /* private: usage */
                            8 + 70,             /* private: OPK */
                            8 + 140,            /* private: modulus */
                            8 + priv_len - 5,   /* private: payload */
                            pub + 12,           /* public: e */
                            pub + pub_len + 10, /* name */
                            len - 1};
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        t[where[i]] ^= 0x20;
        csu_err err = parse(t, len, &k);
        assert_int_not_equal(err, CSU_OK);
        t[where[i]] ^= 0x20;
    }
    assert_int_equal(parse(t, len, &k), CSU_OK);
}

static void test_reject_clear_fields(void **state)
{
    (void)state;
    uint8_t t[BUF];
    struct pka_key k;
    size_t len = build(&rsa1024_crt, PKA_BUILD_CLEAR, false, t);
    t[8 + 4] ^= 1; /* SHA-1 of the components */
    assert_int_equal(parse(t, len, &k), CSU_E_PKA_FIELD);
    t[8 + 4] ^= 1;
    t[8 + 28] = 0x42; /* encrypted external: not served */
    assert_int_equal(parse(t, len, &k), CSU_E_PKA_FIELD);
    t[8 + 28] = 0x40;
    t[8 + 50] = 0x40; /* usage */
    assert_int_equal(parse(t, len, &k), CSU_E_PKA_FIELD);
    t[8 + 50] = PKA_USAGE_KEY_MGMT;
    t[8 + 140] ^= 0x01; /* a prime: SHA-1 no longer matches */
    assert_int_equal(parse(t, len, &k), CSU_E_PKA_FIELD);
}

/* ---- exhaustive single-bit flips ----------------------------------------------- */

static void flip_all_bits(const struct pka_key *key, const char *what)
{
    uint8_t t[BUF];
    struct pka_key named = *key, k;
    set_name(&named, "FLIP.TEST");
    size_t len = build(&named, PKA_BUILD_INTERNAL, false, t);
    size_t tried = 0, refused = 0;
    for (size_t i = 0; i < len; i++) {
        if (i == 2 || i == 3) /* the header length field */
            continue;
        for (int b = 0; b < 8; b++) {
            t[i] ^= (uint8_t)(1u << b);
            tried++;
            refused += parse(t, len, &k) != CSU_OK;
            t[i] ^= (uint8_t)(1u << b);
        }
    }
    printf("%s: %zu-byte token, %zu of %zu single-bit flips refused\n", what, len, refused, tried);
    assert_int_equal(refused, tried);
    assert_int_equal(parse(t, len, &k), CSU_OK);
}

static void test_bit_flips_ecc_p256(void **state)
{
    (void)state;
    flip_all_bits(&ecc_p256, "ECC P-256");
}

static void test_bit_flips_rsa1024(void **state)
{
    (void)state;
    flip_all_bits(&rsa1024_crt, "RSA-1024 CRT");
    flip_all_bits(&rsa1024_me, "RSA-1024 ME");
}

/* ---- the AES key wraps that seal internal sections --------------------------- */

/* RFC 3394 §4.6: 256 bits of key data under a 256-bit KEK; then the lengths each mode refuses. */
static void test_aes_wrap_vector_and_rejects(void **state)
{
    (void)state;
    uint8_t kek[32], data[32], out[64];
    const uint8_t want[40] = {0x28, 0xC9, 0xF4, 0x04, 0xC4, 0xB8, 0x10, 0xF4, 0xCB, 0xCC, 0xB3, 0x5C, 0xFB, 0x87,
                              0xF8, 0x26, 0x3F, 0x57, 0x86, 0xE2, 0xD8, 0x0E, 0xD3, 0x26, 0xCB, 0xC7, 0xF0, 0xE7,
                              0x1A, 0x99, 0xF4, 0x3B, 0xFB, 0x98, 0x8B, 0x9B, 0x7A, 0x02, 0xDD, 0x21};
    /* KEK 000102..1F; key data 00112233..EEFF ‖ 00010203..0E0F */
    for (int i = 0; i < 32; i++) {
        kek[i] = (uint8_t)i;
        data[i] = (uint8_t)(i < 16 ? 0x11 * i : i - 16);
    }
    size_t n = 0;
    assert_true(pka_aes_wrap(kek, false, data, 32, out, sizeof(out), &n));
    assert_int_equal(n, 40);
    assert_memory_equal(out, want, 40);
    /* lengths outside each mode, and an output that does not fit */
    assert_false(pka_aes_wrap(kek, false, data, 8, out, sizeof(out), &n));
    assert_false(pka_aes_wrap(kek, false, data, 20, out, sizeof(out), &n));
    assert_false(pka_aes_wrap(kek, true, data, 0, out, sizeof(out), &n));
    assert_false(pka_aes_wrap(kek, false, data, 32, out, 39, &n));
    assert_false(pka_aes_wrap(kek, true, data, 20, out, 31, &n));
    assert_int_equal(n, 0);
    assert_true(pka_aes_wrap(kek, true, data, 20, out, 32, &n));
    assert_int_equal(n, 32);
}

/* ---- keys and the pairwise-consistency test -------------------------------------- */

static void test_pct(void **state)
{
    (void)state;
    EVP_PKEY *pk = NULL;
    assert_int_equal(pka_to_evp(&rsa1024_crt, true, &pk), CSU_OK);
    assert_int_equal(pka_pct(pk), CSU_OK);
    EVP_PKEY_free(pk);
    /* a mismatched pair (other modulus) fails the PCT and the clear-key check */
    struct pka_key bad = rsa1024_me;
    memcpy(bad.rsa.n, rsa1024_crt.rsa.n, 128);
    bad.kind = PKA_KIND_CLEAR;
    assert_int_equal(pka_to_evp(&bad, true, &pk), CSU_OK);
    assert_int_equal(pka_pct(pk), CSU_E_PCT);
    EVP_PKEY_free(pk);
    assert_int_equal(pka_check_key(&bad), CSU_E_PKA_FIELD);
    /* the fault hook makes generation fail with no key left behind */
    struct pka_key k = {.alg = PKA_ALG_ECC};
    k.ecc.p_bits = 256;
    struct pka_key r = {.alg = PKA_ALG_RSA};
    r.rsa.bits = 1024, r.rsa.crt = true, r.rsa.e[0] = 3, r.rsa.e_len = 1;
    pka_pct_fault(true);
    assert_int_equal(pka_generate(&k), CSU_E_PCT);
    assert_int_equal(pka_generate(&r), CSU_E_PCT);
    pka_pct_fault(false);
    assert_true(pka_all_zero(k.ecc.d, sizeof(k.ecc.d)));
    assert_true(pka_all_zero(r.rsa.p, sizeof(r.rsa.p)) && pka_all_zero(r.rsa.n, sizeof(r.rsa.n)));
    /* the kept keygen context that just failed its PCT still gives good keys */
    assert_int_equal(pka_generate(&k), CSU_OK);
    k.kind = PKA_KIND_CLEAR;
    assert_int_equal(pka_check_key(&k), CSU_OK);
    /* an EC point off the curve */
    struct pka_key off = ecc_p256;
    off.kind = PKA_KIND_PUBLIC;
    off.ecc.q[64] ^= 1;
    assert_int_not_equal(pka_check_key(&off), CSU_OK);
}

static void test_all_curves(void **state)
{
    (void)state;
    const uint8_t types[] = {0, 0, 0, 1, 1, 1};
    const unsigned bits[] = {256, 384, 521, 256, 384, 512};
    for (int i = 0; i < 6; i++) {
        struct pka_key key, k;
        uint8_t t[BUF];
        gen_ecc(&key, types[i], bits[i]);
        size_t len = build(&key, PKA_BUILD_INTERNAL, false, t);
        assert_int_equal(parse(t, len, &k), CSU_OK);
        assert_int_equal(pka_check_key(&k), CSU_OK);
    }
}

/* Workers generate at once: each takes its own kept keygen context. */
#define GEN_THREADS 4
#define GEN_KEYS 40

static void *generate_many(void *arg)
{
    struct pka_key *keys = arg;
    for (int i = 0; i < GEN_KEYS; i++) {
        keys[i] = (struct pka_key){.alg = PKA_ALG_ECC, .kind = PKA_KIND_CLEAR};
        keys[i].ecc.p_bits = (i % 2) ? 256 : 384;
        if (pka_generate(&keys[i]) != CSU_OK || pka_check_key(&keys[i]) != CSU_OK)
            return arg; /* non-NULL: failed */
    }
    return NULL;
}

static void test_generate_concurrently(void **state)
{
    (void)state;
    static struct pka_key keys[GEN_THREADS][GEN_KEYS];
    pthread_t t[GEN_THREADS];
    for (int i = 0; i < GEN_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, generate_many, keys[i]), 0);
    for (int i = 0; i < GEN_THREADS; i++) {
        void *failed = NULL;
        assert_int_equal(pthread_join(t[i], &failed), 0);
        assert_null(failed);
    }
    const struct pka_key *all = &keys[0][0];
    for (int i = 0; i < GEN_THREADS * GEN_KEYS; i++)
        for (int j = 0; j < i; j++)
            assert_false(all[i].ecc.d_len == all[j].ecc.d_len && memcmp(all[i].ecc.d, all[j].ecc.d, all[i].ecc.d_len) == 0);
    pka_key_clear(&keys[0][0]);
    OPENSSL_cleanse(keys, sizeof(keys));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa_public_layout),
        cmocka_unit_test(test_rsa_crt_internal_layout),
        cmocka_unit_test(test_rsa_me_internal_layout),
        cmocka_unit_test(test_ecc_internal_layout),
        cmocka_unit_test(test_clear_and_skeleton_round_trip),
        cmocka_unit_test(test_name_section),
        cmocka_unit_test(test_reject_header),
        cmocka_unit_test(test_reject_sections),
        cmocka_unit_test(test_reject_mkvp_and_old),
        cmocka_unit_test(test_reject_tampered_sections),
        cmocka_unit_test(test_reject_clear_fields),
        cmocka_unit_test(test_bit_flips_ecc_p256),
        cmocka_unit_test(test_bit_flips_rsa1024),
        cmocka_unit_test(test_pct),
        cmocka_unit_test(test_all_curves),
        cmocka_unit_test(test_generate_concurrently),
        cmocka_unit_test(test_aes_wrap_vector_and_rejects),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
