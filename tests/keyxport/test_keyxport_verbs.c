/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNDSYX / CSNDSYI / CSNDSYI2 through libcsulcca with two in-process cards:
 * CRP01 (CSU_CARD) exports, CRP02 (CSU_CARD_CRP02, selected with CSUACRA)
 * imports; each has its own random master keys.  The RSA key is made by
 * OpenSSL here and imported into CRP02 (CSNDPKB RSA-CRT + CSNDPKI), so the
 * test can decrypt exports itself; imported keys are checked by using them
 * on CRP02 against OpenSSL computing with the known clear key.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "cca_test.h"
#include "csulincl.h"

#define BUF 2500
#define CODE(rc, rs) ((rc) * 10000 + (rs))

static char dir1[] = "/tmp/csu-kx1-XXXXXX", dir2[] = "/tmp/csu-kx2-XXXXXX";

static const unsigned char des_key[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                                          0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10};
static const unsigned char aes_key[32] = {0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae,
                                          0xf0, 0x85, 0x7d, 0x77, 0x81, 0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61,
                                          0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4};
static unsigned char hmac_key[48];

/* State shared by the tests: the RSA key (OpenSSL and CCA forms). */
static EVP_PKEY *rsa;         /* 2048-bit, made by OpenSSL */
static unsigned char rsa_priv2[BUF], rsa_pub[BUF], rsa_sig2[BUF], small_pub[BUF];
static long rsa_priv2_len, rsa_pub_len, rsa_sig2_len, small_pub_len;

/* Route this thread's calls to card 1 (CRP01) or card 2 (CRP02). */
static void use_card(int card)
{
    long rc, rs, n, len = 5;
    unsigned char rules[8];
    n = cca_rules(rules, "DEVICE");
    CSUACRD(&rc, &rs, NULL, NULL, &n, rules, &len, (unsigned char *)"CRP02");
    if (card == 2) {
        CSUACRA(&rc, &rs, NULL, NULL, &n, rules, &len, (unsigned char *)"CRP02");
        assert_int_equal(CODE(rc, rs), 0);
    }
}

/* ---- RSA keys ------------------------------------------------------------------ */

static void put16(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static size_t bn_param(const EVP_PKEY *pk, const char *name, unsigned char *out)
{
    BIGNUM *bn = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(pk, name, &bn), 1);
    size_t n = (size_t)BN_bn2bin(bn, out);
    BN_free(bn);
    return n;
}

/* The OpenSSL key as an internal RSA-CRT token of @p usage on the current card. */
static long import_rsa(EVP_PKEY *pk, const char *usage, unsigned char *tok)
{
    static const char *const names[7] = {OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
                                         OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,
                                         OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
                                         OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    unsigned char kvs[BUF] = {0}, ext[BUF], importer[64] = {0}, rules[16];
    size_t off = 18;
    for (int i = 0; i < 7; i++) {
        size_t n = bn_param(pk, names[i], kvs + off);
        off += n;
        if (i < 2)
            put16(kvs + 2 + 2 * i, n);
        else
            put16(kvs + 8 + 2 * (i - 2), n);
    }
    char list[32];
    snprintf(list, sizeof(list), "RSA-CRT %s", usage);
    long rc, rs, n = cca_rules(rules, list), kvs_len = (long)off, ext_len = BUF;
    CSNDPKB(&rc, &rs, NULL, NULL, &n, rules, &kvs_len, kvs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, &ext_len, ext);
    assert_int_equal(CODE(rc, rs), 0);
    long zero = 0, len = BUF;
    CSNDPKI(&rc, &rs, NULL, NULL, &zero, NULL, &ext_len, ext, importer, &len, tok);
    assert_int_equal(CODE(rc, rs), 0);
    return len;
}

static long public_of(unsigned char *priv, long priv_len, unsigned char *pub)
{
    long rc, rs, zero = 0, len = BUF;
    CSNDPKX(&rc, &rs, NULL, NULL, &zero, NULL, &priv_len, priv, &len, pub);
    assert_int_equal(CODE(rc, rs), 0);
    return len;
}

/* ---- symmetric keys on a card ------------------------------------------------------ */

static void fixed_key(const char *alg, const unsigned char *key, long len, unsigned char tok[64])
{
    unsigned char rules[8];
    long rc, rs, n = cca_rules(rules, alg);
    memset(tok, 0, 64);
    CSNBCKM(&rc, &rs, NULL, NULL, &n, rules, &len, (unsigned char *)key, tok);
    assert_int_equal(CODE(rc, rs), 0);
}

/* A v5 key under the AES MK: CSNBKTB2 skeleton, CSNBKPI2 FIRST (MIN1PART) and COMPLETE. */
static long v5_key(const char *skeleton, const char *alg, const unsigned char *key, long key_len, unsigned char *tok)
{
    unsigned char rules[8 * 12];
    long rc, rs, zero = 0, len = BUF, n = cca_rules(rules, skeleton);
    memset(tok, 0, BUF);
    CSNBKTB2(&rc, &rs, NULL, NULL, &n, rules, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len,
             tok);
    assert_int_equal(CODE(rc, rs), 0);
    char list[32];
    snprintf(list, sizeof(list), "%s FIRST MIN1PART", alg);
    n = cca_rules(rules, list);
    long bits = key_len * 8;
    len = BUF;
    CSNBKPI2(&rc, &rs, NULL, NULL, &n, rules, &bits, (unsigned char *)key, &len, tok);
    assert_int_equal(CODE(rc, rs), 0);
    snprintf(list, sizeof(list), "%s COMPLETE", alg);
    n = cca_rules(rules, list);
    bits = 0;
    len = BUF;
    CSNBKPI2(&rc, &rs, NULL, NULL, &n, rules, &bits, NULL, &len, tok);
    assert_int_equal(CODE(rc, rs), 0);
    return len;
}

/* ---- the verbs ------------------------------------------------------------------------ */

static long syx(const char *list, unsigned char *src, long src_len, unsigned char *pub, long pub_len,
                unsigned char *out, long *out_len)
{
    unsigned char rules[8 * 6];
    long rc = -1, rs = -1, n = cca_rules(rules, list);
    CSNDSYX(&rc, &rs, NULL, NULL, &n, rules, &src_len, src, &pub_len, pub, out_len, out);
    return CODE(rc, rs);
}

static long syi(const char *list, unsigned char *in, long in_len, unsigned char *priv, long priv_len,
                unsigned char *tok, long *tok_len)
{
    unsigned char rules[8 * 6];
    long rc = -1, rs = -1, n = cca_rules(rules, list);
    CSNDSYI(&rc, &rs, NULL, NULL, &n, rules, &in_len, in, &priv_len, priv, tok_len, tok);
    return CODE(rc, rs);
}

static long syi2(const char *list, unsigned char *in, long in_len, unsigned char *priv, long priv_len,
                 unsigned char *name, unsigned char *tok, long *tok_len)
{
    unsigned char rules[8 * 6];
    long rc = -1, rs = -1, n = cca_rules(rules, list), name_len = name ? 64 : 0;
    CSNDSYI2(&rc, &rs, NULL, NULL, &n, rules, &in_len, in, &priv_len, priv, &name_len, name, tok_len, tok);
    return CODE(rc, rs);
}

/* ---- does the imported key work? (card 2 against OpenSSL) ------------------------------ */

static void check_des(unsigned char tok[64], const unsigned char *key)
{
    unsigned char pt[16] = "sixteen bytes!!", iv[8] = {0}, cv[18] = {0}, ct[16], want[16], rules[8];
    long rc, rs, n = cca_rules(rules, "CBC"), len = 16, pad = 0;
    CSNBENC(&rc, &rs, NULL, NULL, tok, &len, pt, iv, &n, rules, &pad, cv, ct);
    assert_int_equal(CODE(rc, rs), 0);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int out = 0;
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_des_ede_cbc(), NULL, key, iv), 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    assert_int_equal(EVP_EncryptUpdate(c, want, &out, pt, 16), 1);
    EVP_CIPHER_CTX_free(c);
    assert_memory_equal(ct, want, 16);
}

static void check_aes(unsigned char *tok, long tok_len, const unsigned char *key)
{
    /* CBC with a zero IV over one block: the ECB encryption of the block */
    unsigned char pt[16] = "AES block here!", ct[32], want[16], rules[24], iv[16] = {0}, chain[32];
    long rc, rs, n = cca_rules(rules, "AES KEYIDENT INITIAL"), zero = 0, block = 16, iv_len = 16, chain_len = 32;
    long in_len = 16, out_len = 32;
    CSNBSAE(&rc, &rs, NULL, NULL, &n, rules, &tok_len, tok, &zero, NULL, &block, &iv_len, iv, &chain_len, chain,
            &in_len, pt, &out_len, ct, &zero, NULL);
    assert_int_equal(CODE(rc, rs), 0);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int out = 0;
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_ecb(), NULL, key, NULL), 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    assert_int_equal(EVP_EncryptUpdate(c, want, &out, pt, 16), 1);
    EVP_CIPHER_CTX_free(c);
    assert_int_equal(out_len, 16);
    assert_memory_equal(ct, want, 16);
}

static void check_hmac(unsigned char *tok, long tok_len)
{
    unsigned char text[] = "hello", mac[32], want[32], rules[16];
    unsigned int want_len = 0;
    long rc, rs, n = cca_rules(rules, "HMAC SHA-256"), tl = 5, ml = 32;
    CSNBHMG(&rc, &rs, NULL, NULL, &n, rules, &tok_len, tok, &tl, text, NULL, NULL, &ml, mac);
    assert_int_equal(CODE(rc, rs), 0);
    HMAC(EVP_sha256(), hmac_key, sizeof(hmac_key), text, 5, want, &want_len);
    assert_memory_equal(mac, want, 32);
}

/* ---- OpenSSL on the test side ------------------------------------------------------------ */

static size_t ossl_decrypt(int padding, const EVP_MD *md, const unsigned char *ct, size_t ct_len,
                           unsigned char *out)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(rsa, NULL);
    size_t len = 512;
    assert_int_equal(EVP_PKEY_decrypt_init(c), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, padding), 1);
    if (md) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(c, md), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(c, md), 1);
    }
    assert_int_equal(EVP_PKEY_decrypt(c, out, &len, ct, ct_len), 1);
    EVP_PKEY_CTX_free(c);
    return len;
}

static size_t ossl_encrypt(int padding, const EVP_MD *md, const unsigned char *m, size_t m_len, unsigned char *out)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(rsa, NULL);
    size_t len = 512;
    assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, padding), 1);
    if (md) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(c, md), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(c, md), 1);
    }
    assert_int_equal(EVP_PKEY_encrypt(c, out, &len, m, m_len), 1);
    EVP_PKEY_CTX_free(c);
    return len;
}

static size_t aes_unwrap_pad(const unsigned char *kek, const unsigned char *in, size_t in_len, unsigned char *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_wrap_pad(), NULL, kek, NULL), 1);
    assert_int_equal(EVP_DecryptUpdate(c, out, &n, in, (int)in_len), 1);
    EVP_CIPHER_CTX_free(c);
    return (size_t)n;
}

#include "keyxport_cases.h"
