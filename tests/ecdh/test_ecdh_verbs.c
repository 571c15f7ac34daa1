/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNDEDH end to end through libcsulcca with an in-process card: two
 * parties agree on AES, HMAC and DES keys on every supported curve;
 * PASSTHRU equals OpenSSL's Z; DERIV01 / DERIV02 keys equal EVP_KDF
 * SSKDF / X963KDF computed here (proved by enciphering with the token and
 * with the independently derived key); rejection classes.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "ecdh_util.h"

static const unsigned char party[] = "ALICE...BOB.....nonce-0123456789";
#define PARTY_LEN 32L

/* A v5 skeleton from CSNBKTB2 (e.g. "INTERNAL AES NO-KEY CIPHER"). */
static long v5_skeleton(const char *list, unsigned char *tok)
{
    long rc, rs, count, zero = 0, len = 725;
    unsigned char rules[64];
    count = cca_rules(rules, list);
    CSNBKTB2(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL,
             &len, tok);
    assert_int_equal(rc, 0);
    return len;
}

/* A fixed-length skeleton from CSNBKTB (type "DATA", rules e.g. "INTERNAL DES DOUBLE"). */
static void fixed_skeleton(const char *list, unsigned char tok[64])
{
    long rc, rs, count;
    unsigned char rules[40], type[9] = "DATA    ";
    count = cca_rules(rules, list);
    memset(tok, 0, 64);
    CSNBKTB(&rc, &rs, NULL, NULL, tok, type, &count, rules, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(rc, 0);
}

/* AES-CBC (IV zero) of 32 bytes with an AES token, through CSNBSAE. */
static void sae(unsigned char *tok, long tok_len, unsigned char ct[32])
{
    long rc, rs, count, zero = 0, blk = 16, ivl = 16, tl = 32, ol = 32;
    unsigned char rules[24], iv[16] = {0}, pt[32];
    memset(pt, 0x5A, sizeof(pt));
    count = cca_rules(rules, "AES CBC KEYIDENT");
    CSNBSAE(&rc, &rs, NULL, NULL, &count, rules, &tok_len, tok, &zero, NULL, &blk, &ivl, iv, &zero, NULL, &tl, pt,
            &ol, ct, &zero, NULL);
    assert_int_equal(rc * 10000 + rs, 0);
}

/* The same with a clear key through EVP. */
static void evp_aes(const unsigned char *key, size_t len, unsigned char ct[32])
{
    const EVP_CIPHER *c = len == 16 ? EVP_aes_128_cbc() : len == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
    unsigned char iv[16] = {0}, pt[32];
    int n = 0;
    memset(pt, 0x5A, sizeof(pt));
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    assert_int_equal(EVP_EncryptInit_ex(x, c, NULL, key, iv), 1);
    EVP_CIPHER_CTX_set_padding(x, 0);
    assert_int_equal(EVP_EncryptUpdate(x, ct, &n, pt, 32), 1);
    EVP_CIPHER_CTX_free(x);
}

/* @p len bytes of EVP_KDF @p name over Z with the party info. */
static void evp_kdf(const char *name, const char *digest, const unsigned char *z, size_t z_len, unsigned char *out,
                    size_t len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
    EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0),
                      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, z_len),
                      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)party, PARTY_LEN),
                      OSSL_PARAM_construct_end()};
    assert_int_equal(EVP_KDF_derive(c, out, len, p), 1);
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(kdf);
}

/* Two parties with keys the test knows (internal tokens and public tokens). */
struct pair {
    EVP_PKEY *pk[2];
    unsigned char priv[2][TOK_BUF], pub[2][TOK_BUF];
    long priv_len[2], pub_len[2];
};

static void pair_make(const struct curve *c, struct pair *p)
{
    for (int i = 0; i < 2; i++) {
        unsigned char d[66], q[140];
        p->pk[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", c->name);
        assert_non_null(p->pk[i]);
        private_of(p->pk[i], d, c->bytes);
        p->priv_len[i] = import_pair(c, d, c->bytes, p->priv[i]);
        assert_true(p->priv_len[i] > 0);
        long q_len = point_of(p->pk[i], q, sizeof(q));
        long rs;
        p->pub_len[i] = ecc_public_token(c->type, c->bits, q, q_len, p->pub[i], &rs);
        assert_true(p->pub_len[i] > 0);
    }
}

static void pair_free(struct pair *p)
{
    EVP_PKEY_free(p->pk[0]);
    EVP_PKEY_free(p->pk[1]);
}

static struct edh_args args_of(struct pair *p, int me, const char *rules, long bits, unsigned char *out, long out_len)
{
    struct edh_args a = {rules, p->priv[me], p->priv_len[me], p->pub[1 - me], p->pub_len[1 - me], party, PARTY_LEN,
                         bits, out, out_len};
    return a;
}

/* Both parties, generated keys (CSNDPKG), every curve: the same AES key. */
static void test_two_parties_every_curve(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
        unsigned char key[2][TOK_BUF], pub[2][TOK_BUF], tok[2][725], ct[2][32];
        long key_len[2], pub_len[2], tok_len[2];
        for (int s = 0; s < 2; s++) {
            key_len[s] = ecc_generate(curves[i].type, (unsigned)curves[i].bits, "KEY-MGMT", key[s]);
            assert_true(key_len[s] > 0);
            pub_len[s] = public_of(key[s], key_len[s], pub[s]);
            assert_true(pub_len[s] > 0);
        }
        for (int s = 0; s < 2; s++) {
            v5_skeleton("INTERNAL AES NO-KEY CIPHER", tok[s]);
            struct edh_args a = {"DERIV01 KEY-AES", key[s], key_len[s], pub[1 - s], pub_len[1 - s], party, PARTY_LEN,
                                 256, tok[s], 725};
            assert_int_equal(edh(&a), 0);
            tok_len[s] = a.out_len;
            assert_true(tok_len[s] < 725);
            sae(tok[s], tok_len[s], ct[s]);
        }
        assert_memory_equal(ct[0], ct[1], 32);
    }
}

/* PASSTHRU returns OpenSSL's Z, on every curve. */
static void test_passthru_equals_openssl(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
        struct pair p;
        pair_make(&curves[i], &p);
        unsigned char z[200], expect[200];
        memset(z, 0xEE, sizeof(z));
        struct edh_args a = args_of(&p, 0, "PASSTHRU", 0, z, sizeof(z));
        assert_int_equal(edh(&a), 0);
        size_t n = openssl_z(p.pk[0], p.pk[1], expect, sizeof(expect));
        assert_int_equal(n, curves[i].bytes);
        assert_int_equal(a.out_len, (long)n);
        assert_memory_equal(z, expect, n);
        assert_int_equal(z[n], 0xEE); /* nothing written past Z */
        pair_free(&p);
    }
}

/* DERIV01 = SSKDF, DERIV02 = X963KDF (hash by keyword), v5 and v4 AES tokens. */
static void test_derivations_equal_evp_kdf(void **state)
{
    (void)state;
    static const struct {
        const char *rules, *kdf, *digest;
        long bits;
        bool v4;
    } cases[] = {
        {"DERIV01", "SSKDF", "SHA2-256", 256, false},
        {"DERIV01 KEY-AES", "SSKDF", "SHA2-256", 128, false},
        {"DERIV01 SHA-512", "SSKDF", "SHA2-512", 192, false},
        {"DERIV02", "X963KDF", "SHA2-256", 256, false},
        {"DERIV02 SHA-384", "X963KDF", "SHA2-384", 256, false},
        {"DERIV02 SHA-224 KEY-AES", "X963KDF", "SHA2-224", 128, false},
        {"DERIV01 KEY-AES", "SSKDF", "SHA2-256", 256, true},
        {"DERIV02 SHA-512", "X963KDF", "SHA2-512", 256, true},
    };
    struct pair p;
    pair_make(&curves[1], &p); /* P-384 */
    unsigned char z[48];
    assert_int_equal(openssl_z(p.pk[0], p.pk[1], z, sizeof(z)), 48);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char tok[725], key[32], ct[32], expect[32];
        long len = 725;
        if (cases[i].v4)
            fixed_skeleton("INTERNAL AES", tok), len = 64;
        else
            v5_skeleton("INTERNAL AES NO-KEY CIPHER", tok);
        struct edh_args a = args_of(&p, 1, cases[i].rules, cases[i].bits, tok, len);
        assert_int_equal(edh(&a), 0);
        sae(tok, a.out_len, ct);
        evp_kdf(cases[i].kdf, cases[i].digest, z, sizeof(z), key, (size_t)cases[i].bits / 8);
        evp_aes(key, (size_t)cases[i].bits / 8, expect);
        assert_memory_equal(ct, expect, 32);
    }
    pair_free(&p);
}

/* HMAC (v5) and DES (fixed) outputs: both parties derive the same key. */
static void test_hmac_and_des_outputs_agree(void **state)
{
    (void)state;
    struct pair p;
    pair_make(&curves[0], &p);
    unsigned char tok[2][725], mac[2][32];
    for (int s = 0; s < 2; s++) {
        v5_skeleton("INTERNAL HMAC NO-KEY MAC GENERATE", tok[s]);
        struct edh_args a = args_of(&p, s, "DERIV02 KEY-HMAC", 256, tok[s], 725);
        assert_int_equal(edh(&a), 0);
        long rc, rs, count, tl = 5, ml = 32;
        unsigned char rules[24], text[] = "hello";
        count = cca_rules(rules, "HMAC SHA-256");
        CSNBHMG(&rc, &rs, NULL, NULL, &count, rules, &a.out_len, tok[s], &tl, text, NULL, NULL, &ml, mac[s]);
        assert_int_equal(rc * 10000 + rs, 0);
    }
    assert_memory_equal(mac[0], mac[1], 32);
    unsigned char des[2][64], ct[2][8];
    for (int s = 0; s < 2; s++) {
        fixed_skeleton("INTERNAL DES DOUBLE", des[s]);
        struct edh_args a = args_of(&p, s, "DERIV01 KEY-DES", 128, des[s], 64);
        assert_int_equal(edh(&a), 0);
        assert_int_equal(a.out_len, 64);
        long rc, rs, count, tl = 8;
        unsigned char rules[8], iv[8] = {0}, cv[18] = {0}, text[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        long pad = 0;
        count = cca_rules(rules, "CBC");
        CSNBENC(&rc, &rs, NULL, NULL, des[s], &tl, text, iv, &count, rules, &pad, cv, ct[s]);
        assert_int_equal(rc * 10000 + rs, 0);
    }
    assert_memory_equal(ct[0], ct[1], 8);
    pair_free(&p);
}

/* Rejection classes; outputs untouched when rc >= 8. */
static void test_rejections(void **state)
{
    (void)state;
    struct pair p, q;
    pair_make(&curves[0], &p);
    pair_make(&curves[1], &q);
    unsigned char tok[725], keep[725];
    v5_skeleton("INTERNAL AES NO-KEY CIPHER", tok);
    memcpy(keep, tok, sizeof(tok));
    struct edh_args a = args_of(&p, 0, "DERIV01", 256, tok, 725);
    a.pub = q.pub[0], a.pub_len = q.pub_len[0]; /* P-256 private, P-384 public */
    assert_int_equal(edh(&a), 82158); /* curve mismatch */
    a = args_of(&p, 0, "DERIV01", 100, tok, 725);
    assert_int_equal(edh(&a), 80072); /* AES key of 100 bits */
    a = args_of(&p, 0, "DERIV03", 256, tok, 725);
    assert_int_equal(edh(&a), 80033);
    a = args_of(&p, 0, "DERIV01 DERIV02", 256, tok, 725);
    assert_int_equal(edh(&a), 80034);
    a = args_of(&p, 0, "KEY-AES", 256, tok, 725);
    assert_int_equal(edh(&a), 80129); /* no derivation keyword */
    a = args_of(&p, 0, "DERIV01 KEY-DES", 256, tok, 725);
    assert_int_equal(edh(&a), 82089); /* DES asked, AES skeleton */
    a = args_of(&p, 0, "PASSTHRU SHA-256", 0, tok, 725);
    assert_int_equal(edh(&a), 80034);
    a = args_of(&p, 0, "DERIV01", 256, tok, 725);
    a.party_len = 4;
    assert_int_equal(edh(&a), 80072); /* party identifier too short */
    a = args_of(&p, 0, "DERIV01", 256, tok, 725);
    a.out = NULL;
    assert_int_equal(edh(&a), 80184);
    a = args_of(&p, 0, "DERIV01", 256, tok, 725);
    a.priv = p.pub[0], a.priv_len = p.pub_len[0]; /* a public token as private key */
    assert_int_equal(edh(&a), 82038);
    unsigned char z[31];
    a = args_of(&p, 0, "PASSTHRU", 0, z, sizeof(z));
    assert_int_equal(edh(&a), 80072); /* Z needs 32 bytes */
    assert_memory_equal(tok, keep, sizeof(tok));
    /* SIG-ONLY keys do not agree keys */
    unsigned char sig[TOK_BUF];
    long sig_len = ecc_generate(0, 256, "SIG-ONLY", sig);
    assert_true(sig_len > 0);
    a = args_of(&p, 0, "DERIV01", 256, tok, 725);
    a.priv = sig, a.priv_len = sig_len;
    assert_int_equal(edh(&a), 80064);
    /* a clear private key: DERIV01 only */
    unsigned char d[32], clear[TOK_BUF];
    long rs;
    private_of(p.pk[0], d, 32);
    long clear_len = clear_pair_token(&curves[0], d, 32, "KEY-MGMT", clear, &rs);
    assert_true(clear_len > 0);
    a = args_of(&p, 0, "PASSTHRU", 0, z, sizeof(z));
    a.priv = clear, a.priv_len = clear_len;
    assert_int_equal(edh(&a), 80064);
    a = args_of(&p, 0, "DERIV01", 256, tok, 725);
    a.priv = clear, a.priv_len = clear_len;
    assert_int_equal(edh(&a), 0);
    /* a point not on the curve, in a public token the card reads as it is */
    unsigned char bad_q[65], bad[200];
    point_of(p.pk[1], bad_q, sizeof(bad_q));
    bad_q[64] ^= 1;
    long bad_len = raw_public_token(&curves[0], bad_q, 65, bad);
    v5_skeleton("INTERNAL AES NO-KEY CIPHER", tok);
    memcpy(keep, tok, sizeof(tok));
    a = args_of(&p, 0, "DERIV01", 256, tok, 725);
    a.pub = bad, a.pub_len = bad_len;
    assert_int_equal(edh(&a), 80770);
    assert_memory_equal(tok, keep, sizeof(tok));
    /* an output KEK: not served */
    long rc, count, zero = 0, one = 64, bits = 256, len = 725, plen = PARTY_LEN;
    unsigned char rules[8], kek[64];
    memset(kek, 0x01, sizeof(kek));
    count = cca_rules(rules, "DERIV01");
    CSNDEDH(&rc, &rs, NULL, NULL, &count, rules, &p.priv_len[0], p.priv[0], &zero, NULL, &p.pub_len[1], p.pub[1],
            &zero, NULL, &plen, (unsigned char *)party, &bits, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL,
            &zero, NULL, &one, kek, &len, tok);
    assert_int_equal(rc * 10000 + rs, 80335);
    pair_free(&p);
    pair_free(&q);
}

static int setup(void **state)
{
    (void)state;
    return card_start_all("ecdh");
}

static int teardown(void **state)
{
    (void)state;
    card_stop();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_parties_every_curve),   cmocka_unit_test(test_passthru_equals_openssl),
        cmocka_unit_test(test_derivations_equal_evp_kdf), cmocka_unit_test(test_hmac_and_des_outputs_agree),
        cmocka_unit_test(test_rejections),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
