/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNDPKB, CSNDPKG, CSNDPKI, CSNDPKX and CSNDKTC end to end through
 * libcsulcca with an in-process card (CSU_CARD=inproc:<mkdtemp dir>, APKA
 * master key from CSNBMKP RANDOM + SET).  Public keys extracted with
 * CSNDPKX are loaded into OpenSSL (EVP_PKEY_fromdata) and their parameters
 * compared.  Client calling patterns P5/P6 are followed literally: lengths
 * of 2500 where buffers are meant, NULL reserved lengths, rule count 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdbool.h>

#include "cca_test.h"
#include "csulincl.h"

#define BUF 2500

static long pkb(const char *list, const unsigned char *kvs, long kvs_len, unsigned char *tok, long *rc, long *rs)
{
    long count, len = BUF;
    unsigned char rules[40];
    count = cca_rules(rules, list);
    CSNDPKB(rc, rs, NULL, NULL, &count, rules, &kvs_len, (unsigned char *)kvs, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, &len, tok);
    return len;
}

/* Skeleton -> PKG MASTER; returns the internal token's length. */
static long generate(const char *type, const unsigned char *kvs, long kvs_len, unsigned char *key)
{
    long rc, rs, count, zero = 0, sk_len = BUF, key_len = BUF;
    unsigned char skeleton[BUF] = {0}, rules[8], transport[64] = {0};
    pkb(type, kvs, kvs_len, skeleton, &rc, &rs);
    assert_int_equal(rc, 0);
    count = cca_rules(rules, "MASTER");
    memset(key, 0, BUF);
    CSNDPKG(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &sk_len, skeleton, transport, &key_len, key);
    if (rc != 0)
        fail_msg("CSNDPKG %s: %ld/%ld", type, rc, rs);
    assert_int_equal(key[0], 0x1F);
    return key_len;
}

static long pkx(unsigned char *key, long key_len, unsigned char *pub, long *rc, long *rs)
{
    long count = 0, pub_len = BUF;
    CSNDPKX(rc, rs, NULL, NULL, &count, NULL, &key_len, key, &pub_len, pub);
    return pub_len;
}

static void check_rsa(const char *type, unsigned bits, unsigned long e_want)
{
    unsigned char kvs[24] = {(unsigned char)(bits >> 8), (unsigned char)bits}, key[BUF], pub[BUF];
    bool crt = strcmp(type, "RSA-AESM") != 0;
    size_t e_off = crt ? 18 : 8;
    long e_len = e_want == 3 ? 1 : e_want == 65537 ? 3 : 0;
    kvs[5] = (unsigned char)e_len;
    if (e_want == 3)
        kvs[e_off] = 3;
    else if (e_want == 65537)
        kvs[e_off] = 1, kvs[e_off + 2] = 1;
    long key_len = generate(type, kvs, (long)e_off + e_len, key), rc, rs;
    assert_int_equal(key[8], crt ? 0x31 : 0x30);
    pkx(key, key_len, pub, &rc, &rs);
    assert_int_equal(rc, 0);
    assert_int_equal(pub[0], 0x1E);
    assert_int_equal(pub[8], 0x04);
    EVP_PKEY *pk = cca_rsa_public(pub);
    assert_non_null(pk);
    assert_int_equal(EVP_PKEY_get_bits(pk), (int)bits);
    BIGNUM *e = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e), 1);
    if (e_want)
        assert_int_equal(BN_get_word(e), e_want);
    else
        assert_int_equal(BN_num_bits(e), 64); /* random: odd, 64 bits */
    assert_true(BN_is_odd(e));
    BN_free(e);
    EVP_PKEY_free(pk);
}

static void test_rsa_generate(void **state)
{
    (void)state;
    check_rsa("RSA-CRT", 1024, 65537);
    check_rsa("RSA-AESC", 2048, 65537);
    check_rsa("RSA-CRT", 1024, 3);
    check_rsa("RSA-AESM", 2048, 3);
    check_rsa("RSA-CRT", 1024, 0);
}

static void test_rsa_4096(void **state)
{
    (void)state;
    check_rsa("RSA-CRT", 4096, 65537); /* the largest token still fits 2500 bytes */
}

static void check_ecc(uint8_t type, unsigned bits, const char *group)
{
    unsigned char kvs[8] = {type, 0, (unsigned char)(bits >> 8), (unsigned char)bits}, key[BUF], pub[BUF];
    long key_len = generate("ECC-PAIR", kvs, sizeof(kvs), key), rc, rs;
    assert_int_equal(key[8], 0x20);
    pkx(key, key_len, pub, &rc, &rs);
    assert_int_equal(rc, 0);
    assert_int_equal(pub[16], type);
    assert_int_equal(pub[0], 0x1E);
    assert_int_equal(pub[8], 0x21);
    EVP_PKEY *pk = cca_ecc_public(pub, group);
    assert_non_null(pk);
    EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    assert_int_equal(EVP_PKEY_public_check(check), 1);
    EVP_PKEY_CTX_free(check);
    char name[64];
    assert_int_equal(EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), NULL), 1);
    assert_string_equal(name, group);
    assert_int_equal(EVP_PKEY_get_bits(pk), (int)bits);
    EVP_PKEY_free(pk);
}

static void test_ecc_generate(void **state)
{
    (void)state;
    check_ecc(0x00, 256, "prime256v1");
    check_ecc(0x00, 521, "secp521r1");
    check_ecc(0x01, 256, "brainpoolP256r1");
}

/* Big-endian component with leading zeros stripped, as openCryptoki sends them. */
static size_t put_bn(const BIGNUM *v, unsigned char *out)
{
    return (size_t)BN_bn2bin(v, out);
}

static void test_import_known_rsa_key(void **state)
{
    (void)state;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pk = NULL;
    assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024);
    assert_int_equal(EVP_PKEY_generate(ctx, &pk), 1);
    EVP_PKEY_CTX_free(ctx);
    const char *names[] = {OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
                           OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,
                           OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
                           OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    unsigned char kvs[BUF] = {0}, n[128], e[8];
    size_t off = 18, lens[7];
    for (int i = 0; i < 7; i++) {
        BIGNUM *v = NULL;
        assert_int_equal(EVP_PKEY_get_bn_param(pk, names[i], &v), 1);
        lens[i] = put_bn(v, kvs + off);
        if (i == 0)
            memcpy(n, kvs + off, lens[0]);
        if (i == 1)
            memcpy(e, kvs + off, lens[1]);
        off += lens[i];
        BN_clear_free(v);
    }
    EVP_PKEY_free(pk);
    /* bits 0 (from the modulus) | n len | e len | 0 | p q dp dq U lengths */
    kvs[2] = (unsigned char)(lens[0] >> 8), kvs[3] = (unsigned char)lens[0];
    kvs[5] = (unsigned char)lens[1];
    for (int i = 0; i < 5; i++)
        kvs[8 + 2 * i] = (unsigned char)(lens[2 + i] >> 8), kvs[9 + 2 * i] = (unsigned char)lens[2 + i];
    long rc, rs, count = 0, src_len, tgt_len = BUF;
    unsigned char clear[BUF] = {0}, importer[64] = {0}, key[BUF] = {0}, pub[BUF];
    src_len = pkb("RSA-CRT KEY-MGMT", kvs, BUF, clear, &rc, &rs); /* kvs length 2500 */
    assert_int_equal(rc, 0);
    assert_int_equal(clear[0], 0x1E);
    assert_int_equal(clear[8], 0x08);
    assert_int_equal(clear[8 + 28], 0x40);
    assert_int_equal(clear[8 + 50], 0x80);
    src_len = BUF; /* openCryptoki resets it */
    CSNDPKI(&rc, &rs, NULL, NULL, &count, NULL, &src_len, clear, importer, &tgt_len, key);
    assert_int_equal(rc, 0);
    assert_int_equal(key[0], 0x1F);
    assert_int_equal(key[8], 0x31);
    assert_int_equal(tgt_len, key[2] << 8 | key[3]);
    long pub_len = pkx(key, BUF, pub, &rc, &rs);
    assert_int_equal(rc, 0);
    assert_int_equal(pub_len, 8 + 12 + (long)lens[1] + (long)lens[0]);
    assert_int_equal(pub[16] << 8 | pub[17], 1024);
    assert_memory_equal(pub + 20, e, lens[1]);
    assert_memory_equal(pub + 20 + lens[1], n, lens[0]);
    /* the same modulus as a public key (P5 #15): n at 8, bits 0 */
    unsigned char pkvs[BUF] = {0}, ptok[BUF];
    pkvs[3] = 128, pkvs[5] = (unsigned char)lens[1];
    memcpy(pkvs + 8, n, 128);
    memcpy(pkvs + 8 + 128, e, lens[1]);
    long ptok_len = pkb("RSA-PUBL", pkvs, BUF, ptok, &rc, &rs);
    assert_int_equal(rc, 0);
    assert_int_equal(ptok_len, pub_len);
    assert_memory_equal(ptok, pub, (size_t)pub_len);
}

static void test_errors(void **state)
{
    (void)state;
    long rc = 0, rs = 0, count = 1, len = BUF, small = 10;
    unsigned char rules[8], tok[BUF], kvs[8] = {0, 0, 1, 0};
    memset(tok, 0xA5, sizeof(tok));
    pkb("ECC-BAD", kvs, 8, tok, &rc, &rs);
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 33);
    count = cca_rules(rules, "ECC-PAIR");
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, NULL, kvs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, &small, tok);
    assert_int_equal(rc, 8); /* no key-values structure */
    assert_int_equal(rs, 72);
    long kvs_len = 8;
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, kvs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, &small, tok);
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 72);
    assert_int_equal(small, 10);
    assert_int_equal(tok[0], 0xA5); /* untouched */
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, kvs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, &len, NULL);
    assert_int_equal(rs, 184);
    unsigned char label[64];
    memset(label, ' ', 64);
    memcpy(label, "PKA.KEY.LABEL", 13);
    CSNDPKX(&rc, &rs, NULL, NULL, &(long){0}, NULL, &(long){64}, label, &len, tok);
    assert_int_equal(rs, 6007);
    CSNDPKB(NULL, &rs, NULL, NULL, &count, rules, &kvs_len, kvs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, &len, tok); /* no crash */
}

static void test_master_key_change(void **state)
{
    (void)state;
    unsigned char ekvs[8] = {0, 0, 1, 0}, rkvs[21] = {0x04, 0x00, 0, 0, 0, 3, [18] = 1, 0, 1};
    unsigned char ecc[BUF], rsa[BUF], ecc_copy[BUF], pub[BUF], rules[16];
    long ecc_len = generate("ECC-PAIR", ekvs, 8, ecc), rsa_len = generate("RSA-CRT", rkvs, 21, rsa);
    long rc, rs, count, len;
    memcpy(ecc_copy, ecc, (size_t)ecc_len);
    /* current: RTCMK returns it unchanged */
    count = cca_rules(rules, "RTCMK ECC");
    len = BUF;
    CSNDKTC(&rc, &rs, NULL, NULL, &count, rules, &len, ecc);
    assert_int_equal(rc, 0);
    assert_int_equal(rs, 0);
    assert_int_equal(len, ecc_len);
    assert_memory_equal(ecc, ecc_copy, (size_t)ecc_len);
    assert_int_equal(cca_mk_random("APKA-MK"), 0);
    pkx(ecc, ecc_len, pub, &rc, &rs);
    assert_int_equal(rc, 0);
    assert_int_equal(rs, 10001);
    pkx(rsa, rsa_len, pub, &rc, &rs);
    assert_int_equal(rs, 10001);
    CSNDKTC(&rc, &rs, NULL, NULL, &count, rules, &len, ecc);
    assert_int_equal(rc, 0);
    assert_int_equal(rs, 0);
    assert_memory_not_equal(ecc, ecc_copy, (size_t)ecc_len);
    count = cca_rules(rules, "RTCMK");
    len = rsa_len;
    CSNDKTC(&rc, &rs, NULL, NULL, &count, rules, &len, rsa);
    assert_int_equal(rc, 0);
    pkx(ecc, ecc_len, pub, &rc, &rs);
    assert_int_equal(rs, 0);
    pkx(rsa, rsa_len, pub, &rc, &rs);
    assert_int_equal(rs, 0);
    assert_int_equal(cca_mk_random("APKA-MK"), 0);
    pkx(ecc_copy, ecc_len, pub, &rc, &rs); /* never re-enciphered: lost */
    assert_int_equal(rc, 8);
    assert_int_equal(rs, 48);
    pkx(ecc, ecc_len, pub, &rc, &rs);
    assert_int_equal(rs, 10001);
}

static char dir[64] = "/tmp/csu-pka-verbs-XXXXXX";

static int setup(void **state)
{
    (void)state;
    if (!cca_card_open(dir))
        return -1;
    assert_int_equal(cca_mk_random("APKA-MK"), 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa_generate),      cmocka_unit_test(test_rsa_4096),
        cmocka_unit_test(test_ecc_generate),      cmocka_unit_test(test_import_known_rsa_key),
        cmocka_unit_test(test_errors),            cmocka_unit_test(test_master_key_change),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    if (cca_remove_dir(dir) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}
