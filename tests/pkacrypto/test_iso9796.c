/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNDDSG/CSNDDSV ISO-9796 (ISO/IEC 9796-1; card/pka_iso9796.c).
 *
 * 1. The formatter against known answers: the three worked examples of
 *    ISO/IEC 9796:1991 annex B (as published in Bouncy Castle's ISO9796Test:
 *    e = 3, a 513-bit and a 512-bit modulus, the signatures Sigma), and two
 *    representatives derived by hand from the standard's steps (below).
 * 2. The verbs with an RSA-2048 key OpenSSL generated and CSNDPKI imported:
 *    the signature is checked outside the library with OpenSSL's raw public
 *    operation (RSA_NO_PADDING) and the checker; a signature OpenSSL makes
 *    from the representative verifies with CSNDDSV; then the rejections.
 *
 * Hand-derived representatives, modulus 1024 bits (ks = 1023, t = 64 bytes,
 * k = 128 bytes), pi = E 3 5 8 9 4 2 F 0 D B 6 7 A C 1 (nibble 0..F):
 *  m = 00:    shadow S(00) = EE, MR = (EE 00) x 64; r = 1 XORed onto the
 *             1st shadow byte from the right (byte 126): EF; forcing: byte 0
 *             EE -> (EE & 7F) | 40 = 6E; last byte 00 -> 0 6 = 06.
 *             IR = 6E 00 (EE 00) x 62 EF 06.
 *  m = 12 34: S(12) = 35, S(34) = 89, MR = (35 12 89 34) x 32; r onto the
 *             2nd shadow byte from the right (byte 124): 35 -> 34; byte 0
 *             35 -> 75; last byte 34 -> 4 6 = 46.
 *             IR = 75 12 89 34 (35 12 89 34) x 30 34 12 89 46.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "pka_iso9796.h"
#include "pkacrypto_util.h"

static unsigned char imported[TOK_BUF], imported_pub[TOK_BUF], ecc_key[TOK_BUF];
static long imported_len, imported_pub_len, ecc_key_len;
static EVP_PKEY *ossl_key; /* the imported key, as OpenSSL holds it */
static unsigned char n2048[256];

/* ---- helpers --------------------------------------------------------------------------- */

/* OpenSSL's raw RSA (RSA_NO_PADDING): private (sign) or public (verify_recover). */
static int raw_rsa(EVP_PKEY *pk, bool private_op, const unsigned char *in, size_t k, unsigned char *out)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    size_t out_len = k;
    int ok = (private_op ? EVP_PKEY_sign_init(c) : EVP_PKEY_verify_recover_init(c)) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1;
    if (ok && private_op)
        ok = EVP_PKEY_sign(c, out, &out_len, in, k) == 1;
    else if (ok)
        ok = EVP_PKEY_verify_recover(c, out, &out_len, in, k) == 1;
    ok = ok && out_len == k;
    EVP_PKEY_CTX_free(c);
    ERR_clear_error();
    return ok;
}

/* out = n - x, k bytes. */
static void n_minus(const unsigned char *n, const unsigned char *x, size_t k, unsigned char *out)
{
    BIGNUM *bn = BN_bin2bn(n, (int)k, NULL), *bx = BN_bin2bn(x, (int)k, NULL), *d = BN_new();
    assert_int_equal(BN_sub(d, bn, bx), 1);
    assert_int_equal(BN_bn2binpad(d, out, (int)k), (int)k);
    BN_free(bn);
    BN_free(bx);
    BN_free(d);
}

static void sha256(const char *text, unsigned char out[32])
{
    unsigned out_len;
    assert_int_equal(EVP_Digest(text, strlen(text), out, &out_len, EVP_sha256(), NULL), 1);
}

/* ---- 1. the formatter -------------------------------------------------------------------- */

struct annex_b {
    const char *n, *d, *m, *sigma;
    unsigned pad_bits;
};

/* ISO/IEC 9796:1991 annex B, e = 3 (as in Bouncy Castle's ISO9796Test: msg1/sig1, msg2/sig2, msg3/sig3). */
static const char N1[] = "0100000000000000000000000000000000BBA2D15DBB303C8A21C5EBBCBAE52B7125087920DD7CDF358EA119FD66F"
                         "B064012EC8CE692F0A0B8E8321B041ACD40B7";
static const char D1[] = "2AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAC9F0783A49DD5F6C5AF651F4C9D0DC9281C96A3F16A85F9572D7CC3F2D0F2"
                         "5A9DBF1149E4CDC32273FAADD3FDA5DCDA7";
static const char N2[] = "FFFFFF7FA27087C35EBEAD78412D2BDFFE0301EDD494DF13458974EA89B364708F7D0F5A00A50779DDF9F7D4CB80B"
                         "8891324DA251A860C4EC9EF288104B3858D";
static const char D2[] = "2AAAAA9545BD6BF5E51FC7940ADCDCA5550080524E18CFD88B96E8D1C19DE6121B13FAC0EB0495D47928E047724D9"
                         "1D1740F6968457CE53EC8E24C9362CE84B5";
static const struct annex_b examples[] = {
    {N1, D1, "0CBBAA99887766554433221100",
     "309F873D8DED8379490F6097EAAFDABC137D3EBFD8F25AB5F138D56A719CDC526BDD022EA65DABAB920A81013A85D092E04D3E421CAAB7"
     "17C90D89EA45A8D23A",
     4},
    {N1, D1, "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210",
     "319BB9BECB49F3ED1BCA26D0FCF09B0B0A508E4D0BD43B350F959B72CD25B3AF47D608FDCD248EADA74FBE19990DBEB9BF0DA4B4E12002"
     "43A14E5CAB3F7E610C",
     0},
    {N2, D2, "0112233445566778899AABBCCD",
     "58E59FFB4B1FB1BCDBF8D1FE9AFA3730C78A318A1134F5791B7313D480FF07AC319B068EDF8F212945CB09CF33DF30ACE54F4A063FCCA0"
     "B732F4B662DC4E2454",
     4},
};

static void test_annex_b_examples(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
        const struct annex_b *x = &examples[i];
        EVP_PKEY *pk = cca_rsa_from_hex(x->n, "03", x->d);
        assert_non_null(pk);
        unsigned bits = (unsigned)EVP_PKEY_get_bits(pk);
        size_t k = (bits + 7) / 8;
        unsigned char n[80] = {0}, m[64], sigma[80] = {0}, ir[80], s[80], alt[80];
        assert_int_equal(cca_unhex(x->n, n), k);
        size_t m_len = cca_unhex(x->m, m), sig_len = cca_unhex(x->sigma, sigma);
        assert_int_equal(m_len, strlen(x->m) / 2);
        assert_int_equal(sig_len, strlen(x->sigma) / 2);
        memmove(sigma + (k - sig_len), sigma, sig_len); /* right-align Sigma in k bytes */
        memset(sigma, 0, k - sig_len);
        assert_int_equal(iso9796_format(m, m_len, x->pad_bits, bits, ir), CSU_OK);
        /* Sigma = min(IR^d, n - IR^d) */
        assert_true(raw_rsa(pk, true, ir, k, s));
        n_minus(n, s, k, alt);
        assert_memory_equal(memcmp(s, alt, k) < 0 ? s : alt, sigma, k);
        /* and Sigma^e is IR or n - IR */
        assert_true(raw_rsa(pk, false, sigma, k, s));
        n_minus(n, s, k, alt);
        assert_true(memcmp(s, ir, k) == 0 || memcmp(alt, ir, k) == 0);
        if (x->pad_bits == 0) { /* CCA's case: the module's own sign and verify give the same Sigma */
            bool valid = false;
            assert_int_equal(iso9796_sign(pk, n, bits, m, m_len, s), CSU_OK);
            assert_memory_equal(s, sigma, k);
            assert_int_equal(iso9796_verify(pk, n, bits, m, m_len, sigma, k, &valid), CSU_OK);
            assert_true(valid);
            /* Sigma is 64 bytes with k = 65: the same number without its leading zero is not k bytes */
            assert_int_equal(sigma[0], 0);
            assert_int_equal(iso9796_verify(pk, n, bits, m, m_len, sigma + 1, k - 1, &valid), CSU_OK);
            assert_false(valid);
            m[5] ^= 1;
            assert_int_equal(iso9796_verify(pk, n, bits, m, m_len, sigma, k, &valid), CSU_OK);
            assert_false(valid);
        }
        EVP_PKEY_free(pk);
    }
    ERR_clear_error();
}

static void test_hand_derived(void **state)
{
    (void)state;
    unsigned char ir[128], want[128];
    const unsigned char zero[1] = {0x00}, two[2] = {0x12, 0x34};
    assert_int_equal(iso9796_format(zero, 1, 0, 1024, ir), CSU_OK);
    want[0] = 0x6E, want[1] = 0x00;
    for (size_t i = 2; i < 126; i += 2)
        want[i] = 0xEE, want[i + 1] = 0x00;
    want[126] = 0xEF, want[127] = 0x06;
    assert_memory_equal(ir, want, 128);
    assert_int_equal(iso9796_format(two, 2, 0, 1024, ir), CSU_OK);
    for (size_t i = 0; i < 128; i += 4)
        want[i] = 0x35, want[i + 1] = 0x12, want[i + 2] = 0x89, want[i + 3] = 0x34;
    want[0] = 0x75, want[124] = 0x34, want[127] = 0x46;
    assert_memory_equal(ir, want, 128);
}

/* Structure at awkward sizes: MR longer than the modulus (2056), a 513-bit modulus, the limits. */
static void test_shape_and_limits(void **state)
{
    (void)state;
    /* 1021 and 2045: ISO's floor((ks + 3) / 16) is one below CCA's half of the modulus bytes */
    static const unsigned sizes[] = {512, 513, 520, 1021, 1023, 1024, 2045, 2048, 2056, 3072, 4095, 4096};
    static const size_t capacity[] = {32, 32, 32, 63, 64, 64, 127, 128, 128, 192, 256, 256};
    unsigned char m[260], ir[512];
    for (size_t i = 0; i < sizeof(m); i++)
        m[i] = (unsigned char)(0xA5 ^ i);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned bits = sizes[i];
        size_t k = (bits + 7) / 8;
        assert_int_equal(iso9796_capacity(bits), capacity[i]);
        assert_int_equal(iso9796_format(m, capacity[i], 0, bits, ir), CSU_OK);
        /* IR has exactly bits - 1 bits, i.e. bit bits-2 is its top bit; its last nibble is 6 */
        size_t top = bits - 2;
        assert_true(ir[k - 1 - top / 8] & (1u << (top % 8)));
        for (size_t p = bits - 1; p < 8 * k; p++)
            assert_false(ir[k - 1 - p / 8] & (1u << (p % 8)));
        assert_int_equal(ir[k - 1], (unsigned char)((m[capacity[i] - 1] & 0x0F) << 4 | 6));
        assert_int_equal(iso9796_format(m, capacity[i] + 1, 0, bits, ir), CSU_E_LENGTH);
    }
    assert_int_equal(iso9796_format(m, 0, 0, 1024, ir), CSU_E_LENGTH);
    assert_int_equal(iso9796_format(m, 4, 8, 1024, ir), CSU_E_LENGTH);
    m[0] = 0x80;
    assert_int_equal(iso9796_format(m, 4, 1, 1024, ir), CSU_E_LENGTH); /* pad bits must be zero */
    assert_int_equal(iso9796_capacity(4097), 0);
    assert_int_equal(iso9796_capacity(16), 0);
}

/* ---- 2. the verbs ------------------------------------------------------------------------ */

static void test_sign_checked_outside(void **state)
{
    (void)state;
    unsigned char hash[32], sig[512], sig2[512], rec[256], alt[256];
    long sig_len = 512, bits = 0, len2 = 512;
    sha256("ISO-9796 through the verb", hash);
    assert_int_equal(dsg("ISO-9796", imported, imported_len, hash, 32, sig, &sig_len, &bits), 0);
    assert_int_equal(sig_len, 256);
    assert_int_equal(bits, 2048);
    /* OpenSSL's raw public operation, then the checker */
    assert_true(raw_rsa(ossl_key, false, sig, 256, rec));
    assert_true(iso9796_matches(hash, 32, 2048, n2048, rec));
    n_minus(n2048, sig, 256, alt);
    assert_true(memcmp(sig, alt, 256) < 0); /* the smaller of s and n - s */
    /* deterministic; a hash keyword changes nothing ("any hash method is allowed") */
    assert_int_equal(dsg("RSA ISO-9796 SHA-256", imported, imported_len, hash, 32, sig2, &len2, &bits), 0);
    assert_memory_equal(sig, sig2, 256);
    rec[10] ^= 1;
    assert_false(iso9796_matches(hash, 32, 2048, n2048, rec));
}

/* The verb sends min(s, n - s), s = IR^d made by OpenSSL: over hashes until both cases were seen. */
static void test_sign_sends_smaller(void **state)
{
    (void)state;
    unsigned char hash[32], ir[256], s[256], alt[256], sig[512];
    int folded = 0, direct = 0;
    for (unsigned i = 0; i < 64 && (folded < 2 || direct < 2); i++) {
        char text[32];
        snprintf(text, sizeof(text), "hash %u", i);
        sha256(text, hash);
        long sig_len = 512, bits;
        assert_int_equal(dsg("ISO-9796", imported, imported_len, hash, 32, sig, &sig_len, &bits), 0);
        assert_int_equal(iso9796_format(hash, 32, 0, 2048, ir), CSU_OK);
        assert_true(raw_rsa(ossl_key, true, ir, 256, s));
        n_minus(n2048, s, 256, alt);
        bool fold = memcmp(alt, s, 256) < 0;
        assert_memory_equal(sig, fold ? alt : s, 256);
        folded += fold, direct += !fold;
    }
    assert_true(folded >= 2 && direct >= 2);
}

static void test_verify_roundtrip(void **state)
{
    (void)state;
    unsigned char hash[32], sig[512], ir[256], s[256], alt[256];
    long sig_len = 512, bits;
    sha256("round trip", hash);
    assert_int_equal(dsg("ISO-9796", imported, imported_len, hash, 32, sig, &sig_len, &bits), 0);
    assert_int_equal(dsv("ISO-9796", imported, imported_len, hash, 32, sig, 256), 0);
    assert_int_equal(dsv("RSA ISO-9796", imported_pub, imported_pub_len, hash, 32, sig, 256), 0);
    /* a signature OpenSSL makes from the representative, either of s and n - s */
    assert_int_equal(iso9796_format(hash, 32, 0, 2048, ir), CSU_OK);
    assert_true(raw_rsa(ossl_key, true, ir, 256, s));
    n_minus(n2048, s, 256, alt);
    assert_int_equal(dsv("ISO-9796", imported_pub, imported_pub_len, hash, 32, s, 256), 0);
    assert_int_equal(dsv("ISO-9796", imported_pub, imported_pub_len, hash, 32, alt, 256), 0);
    assert_memory_equal(memcmp(s, alt, 256) < 0 ? s : alt, sig, 256);
    /* the same hash under another method does not verify */
    assert_int_equal(dsv("ZERO-PAD", imported_pub, imported_pub_len, hash, 32, sig, 256), 40429);
}

static void test_verify_rejects(void **state)
{
    (void)state;
    unsigned char hash[32], sig[512], ff[256];
    long sig_len = 512, bits;
    sha256("rejects", hash);
    assert_int_equal(dsg("ISO-9796", imported, imported_len, hash, 32, sig, &sig_len, &bits), 0);
    hash[31] ^= 0x01; /* wrong hash */
    assert_int_equal(dsv("ISO-9796", imported_pub, imported_pub_len, hash, 32, sig, 256), 40429);
    assert_int_equal(dsv("ISO-9796", imported_pub, imported_pub_len, hash, 31, sig, 256), 40429); /* shorter */
    hash[31] ^= 0x01;
    sig[100] ^= 0x40; /* tampered signature */
    assert_int_equal(dsv("ISO-9796", imported_pub, imported_pub_len, hash, 32, sig, 256), 40429);
    sig[100] ^= 0x40;
    assert_int_equal(dsv("ISO-9796", imported_pub, imported_pub_len, hash, 32, sig + 1, 255), 40429); /* not k */
    memset(ff, 0xFF, sizeof(ff)); /* not below n */
    assert_int_equal(dsv("ISO-9796", imported_pub, imported_pub_len, hash, 32, ff, 256), 40429);
    assert_int_equal(dsv("ISO-9796", imported_pub, imported_pub_len, hash, 32, sig, 256), 0);
}

static void test_hash_lengths(void **state)
{
    (void)state;
    unsigned char data[129], sig[512];
    memset(data, 0x5A, sizeof(data));
    long len = 512, bits;
    /* RSA-2048: half of 256 bytes */
    assert_int_equal(dsg("ISO-9796", imported, imported_len, data, 128, sig, &len, &bits), 0);
    assert_int_equal(dsv("ISO-9796", imported_pub, imported_pub_len, data, 128, sig, 256), 0);
    assert_int_equal(dsg("ISO-9796", imported, imported_len, data, 1, sig, &len, &bits), 0);
    assert_int_equal(dsv("ISO-9796", imported_pub, imported_pub_len, data, 1, sig, 256), 0);
    memset(sig, 0xEE, sizeof(sig));
    len = 512, bits = -1;
    assert_int_equal(dsg("ISO-9796", imported, imported_len, data, 129, sig, &len, &bits), 80072);
    assert_int_equal(len, 512); /* outputs untouched */
    assert_int_equal(bits, -1);
    assert_int_equal(sig[0], 0xEE);
    assert_int_equal(dsv("ISO-9796", imported_pub, imported_pub_len, data, 129, sig, 256), 80072);
    /* RSA-1024 (generated internal key): a SHA-512 hash is exactly the limit */
    unsigned char key[TOK_BUF], pub[TOK_BUF];
    long key_len = rsa_generate(1024, "SIG-ONLY", key), pub_len = public_of(key, key_len, pub);
    assert_true(key_len > 0 && pub_len > 0);
    len = 512;
    assert_int_equal(dsg("ISO-9796 SHA-512", key, key_len, data, 64, sig, &len, &bits), 0);
    assert_int_equal(len, 128);
    assert_int_equal(bits, 1024);
    assert_int_equal(dsv("ISO-9796", pub, pub_len, data, 64, sig, 128), 0);
    assert_int_equal(dsg("ISO-9796", key, key_len, data, 65, sig, &len, &bits), 80072);
    /* a signature buffer below k */
    len = 127;
    assert_int_equal(dsg("ISO-9796", key, key_len, data, 20, sig, &len, &bits), 80072);
}

static void test_key_rules(void **state)
{
    (void)state;
    unsigned char data[32] = {1}, sig[512], km[TOK_BUF];
    long len = 512, bits;
    /* an ECC key: a formatting method with ECDSA is a rule conflict, as for the other methods */
    assert_int_equal(dsg("ISO-9796", ecc_key, ecc_key_len, data, 32, sig, &len, &bits), 80034);
    assert_int_equal(dsg("ECDSA ISO-9796", ecc_key, ecc_key_len, data, 32, sig, &len, &bits), 80034);
    assert_int_equal(dsv("ISO-9796", ecc_key, ecc_key_len, data, 32, sig, 64), 80034);
    /* two formatting methods */
    assert_int_equal(dsg("ISO-9796 PKCS-1.1", imported, imported_len, data, 32, sig, &len, &bits), 80034);
    /* a key-management-only key cannot sign; a public token has no private key */
    long km_len = rsa_generate(1024, "KM-ONLY", km);
    assert_true(km_len > 0);
    assert_int_equal(dsg("ISO-9796", km, km_len, data, 32, sig, &len, &bits), 80064);
    assert_int_equal(dsg("ISO-9796", imported_pub, imported_pub_len, data, 32, sig, &len, &bits), 82038);
}

/* ---- set-up: an RSA-2048 key from OpenSSL, imported as CCA clients import one ----------- */

static long import_ossl_key(void)
{
    static const char *names[] = {OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
                                  OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,
                                  OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
                                  OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    static unsigned char bufs[7][256];
    struct rsa_parts parts;
    for (int i = 0; i < 7; i++) {
        BIGNUM *b = NULL;
        if (EVP_PKEY_get_bn_param(ossl_key, names[i], &b) != 1)
            return -1;
        parts.len[i] = BN_bn2bin(b, bufs[i]);
        parts.v[i] = bufs[i];
        BN_free(b);
    }
    if (parts.len[0] != 256)
        return -1;
    memcpy(n2048, bufs[0], 256);
    long rs;
    return rsa_import_token(&parts, "SIG-ONLY", imported, &rs);
}

static int setup(void **state)
{
    (void)state;
    if (card_start("iso9796") != 0)
        return -1;
    ossl_key = EVP_RSA_gen(2048);
    if (!ossl_key || (imported_len = import_ossl_key()) <= 0)
        return -1;
    imported_pub_len = public_of(imported, imported_len, imported_pub);
    ecc_key_len = ecc_generate(0x00, 256, "SIG-ONLY", ecc_key);
    return imported_pub_len > 0 && ecc_key_len > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(ossl_key);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_annex_b_examples), cmocka_unit_test(test_hand_derived),
        cmocka_unit_test(test_shape_and_limits), cmocka_unit_test(test_sign_checked_outside),
        cmocka_unit_test(test_sign_sends_smaller),
        cmocka_unit_test(test_verify_roundtrip), cmocka_unit_test(test_verify_rejects),
        cmocka_unit_test(test_hash_lengths),     cmocka_unit_test(test_key_rules),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    card_stop();
    return rc;
}
