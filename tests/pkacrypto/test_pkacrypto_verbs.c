/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNDDSG, CSNDDSV, CSNDPKE and CSNDPKD end to end through libcsulcca with
 * an in-process card.  Signatures made with generated keys are verified by
 * the verb (private and public tokens) and, independently, by OpenSSL on
 * the public key CSNDPKX extracts; data OpenSSL encrypts under that public
 * key decrypts with CSNDPKD.  Then every rejection class of docs/pka-crypto.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "pkacrypto_util.h"

static unsigned char rsa_key[TOK_BUF], rsa_pub[TOK_BUF], ecc_key[TOK_BUF], ecc_pub[TOK_BUF];
static long rsa_key_len, rsa_pub_len, ecc_key_len, ecc_pub_len;

static const unsigned char sha256_prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                              0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const char message[] = "libcsulcca sign and verify";

/* ---- OpenSSL views of the extracted public tokens -------------------------------- */

/* OpenSSL's verdict on @p sig over @p tbs with @p padding / @p md (0/NULL: defaults). */
static int openssl_verify(EVP_PKEY *pk, int padding, const char *md, int salt, const unsigned char *sig,
                          size_t sig_len, const unsigned char *tbs, size_t tbs_len)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    assert_int_equal(EVP_PKEY_verify_init(c), 1);
    if (md) /* before the padding: X9.31 needs a digest with an X9.31 id */
        assert_int_equal(EVP_PKEY_CTX_set_signature_md(c, EVP_get_digestbyname(md)), 1);
    if (padding)
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, padding), 1);
    if (padding == RSA_PKCS1_PSS_PADDING)
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(c, salt), 1);
    int ok = EVP_PKEY_verify(c, sig, sig_len, tbs, tbs_len);
    EVP_PKEY_CTX_free(c);
    return ok;
}

static void sha256(const void *m, size_t n, unsigned char out[32])
{
    unsigned len;
    assert_int_equal(EVP_Digest(m, n, out, &len, EVP_sha256(), NULL), 1);
}

/* ---- RSA signatures ------------------------------------------------------------------ */

static void sign_both_ways(const char *rules, const unsigned char *data, long data_len, unsigned char *sig,
                           long *sig_len)
{
    long bits = 0;
    *sig_len = 512; /* the caller's buffer, as openCryptoki passes it */
    assert_int_equal(dsg(rules, rsa_key, TOK_BUF, data, data_len, sig, sig_len, &bits), 0);
    assert_int_equal(*sig_len, 256);
    assert_int_equal(bits, 2048);
    assert_int_equal(dsv(rules, rsa_key, TOK_BUF, data, data_len, sig, *sig_len), 0);
    assert_int_equal(dsv(rules, rsa_pub, TOK_BUF, data, data_len, sig, *sig_len), 0);
    sig[100] ^= 0x40;
    assert_int_equal(dsv(rules, rsa_pub, TOK_BUF, data, data_len, sig, *sig_len), 40429);
    sig[100] ^= 0x40;
}

static void test_rsa_pkcs11(void **state)
{
    (void)state;
    unsigned char data[51], sig[512];
    long sig_len;
    memcpy(data, sha256_prefix, sizeof(sha256_prefix));
    sha256(message, sizeof(message), data + sizeof(sha256_prefix));
    sign_both_ways("PKCS-1.1", data, sizeof(data), sig, &sig_len);
    EVP_PKEY *pk = cca_rsa_public(rsa_pub);
    assert_non_null(pk);
    assert_int_equal(openssl_verify(pk, RSA_PKCS1_PADDING, "SHA256", 0, sig, 256, data + 19, 32), 1);
    /* default method (rule count 0) is PKCS-1.1 */
    long bits, len = 512;
    unsigned char sig2[512];
    assert_int_equal(dsg("", rsa_key, TOK_BUF, data, sizeof(data), sig2, &len, &bits), 0);
    assert_memory_equal(sig, sig2, 256); /* deterministic */
    /* raw data (CKM_RSA_PKCS): k - 11 bytes fit, k - 10 do not */
    unsigned char raw[246];
    memset(raw, 0xA5, sizeof(raw));
    sign_both_ways("PKCS-1.1", raw, 245, sig, &sig_len);
    assert_int_equal(openssl_verify(pk, RSA_PKCS1_PADDING, NULL, 0, sig, 256, raw, 245), 1);
    len = 512;
    assert_int_equal(dsg("PKCS-1.1", rsa_key, TOK_BUF, raw, 246, sig, &len, &bits), 80072);
    EVP_PKEY_free(pk);
}

static void test_rsa_other_formats(void **state)
{
    (void)state;
    unsigned char hash[32], data[4 + 32], sig[512], rec[512];
    long sig_len;
    sha256(message, sizeof(message), hash);
    EVP_PKEY *pk = cca_rsa_public(rsa_pub);
    assert_non_null(pk);
    /* PKCS-PSS, salt 32 and 0 */
    for (unsigned salt = 0; salt <= 32; salt += 32) {
        memset(data, 0, 4);
        data[3] = (unsigned char)salt;
        memcpy(data + 4, hash, 32);
        sign_both_ways("PKCS-PSS SHA-256", data, sizeof(data), sig, &sig_len);
        assert_int_equal(openssl_verify(pk, RSA_PKCS1_PSS_PADDING, "SHA256", (int)salt, sig, 256, hash, 32), 1);
    }
    /* exact salt match: a signature with salt 0 does not verify as salt 32 */
    data[3] = 0;
    long bits, len = 512;
    assert_int_equal(dsg("PKCS-PSS SHA-256", rsa_key, TOK_BUF, data, sizeof(data), sig, &len, &bits), 0);
    data[3] = 32;
    assert_int_equal(dsv("PKCS-PSS SHA-256", rsa_pub, TOK_BUF, data, sizeof(data), sig, 256), 40429);
    /* X9.31 */
    sign_both_ways("X9.31 SHA-256", hash, 32, sig, &sig_len);
    assert_int_equal(openssl_verify(pk, RSA_X931_PADDING, "SHA256", 0, sig, 256, hash, 32), 1);
    /* ZERO-PAD and PKCS-1.0: the raw public operation gives the padded block back */
    const char *fmts[] = {"ZERO-PAD", "PKCS-1.0"};
    for (int i = 0; i < 2; i++) {
        sign_both_ways(fmts[i], hash, 32, sig, &sig_len);
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        size_t rec_len = sizeof(rec);
        assert_int_equal(EVP_PKEY_verify_recover_init(c), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING), 1);
        assert_int_equal(EVP_PKEY_verify_recover(c, rec, &rec_len, sig, 256), 1);
        EVP_PKEY_CTX_free(c);
        assert_int_equal(rec_len, 256);
        assert_memory_equal(rec + 224, hash, 32);
        for (int j = 0; j < 224; j++)
            assert_int_equal(rec[j], 0);
    }
    /* a PKCS-1.1 signature is not a PSS one */
    unsigned char di[51];
    memcpy(di, sha256_prefix, 19);
    memcpy(di + 19, hash, 32);
    len = 512;
    assert_int_equal(dsg("PKCS-1.1", rsa_key, TOK_BUF, di, 51, sig, &len, &bits), 0);
    assert_int_equal(dsv("PKCS-PSS SHA-256", rsa_pub, TOK_BUF, data, sizeof(data), sig, 256), 40429);
    assert_int_equal(dsv("PKCS-1.1", rsa_pub, TOK_BUF, di, 51, sig, 255), 40429); /* wrong length */
    EVP_PKEY_free(pk);
}

/* ---- ECDSA ------------------------------------------------------------------------------ */

static void ecdsa_case(unsigned char type, unsigned bits, const char *group, size_t bytes)
{
    unsigned char key[TOK_BUF], pub[TOK_BUF], hash[32], sig[512];
    long key_len = ecc_generate(type, bits, "SIG-ONLY", key);
    assert_true(key_len > 0);
    assert_true(public_of(key, key_len, pub) > 0);
    sha256(message, sizeof(message), hash);
    long sig_len = 512, sig_bits = 0;
    assert_int_equal(dsg("ECDSA", key, key_len, hash, 32, sig, &sig_len, &sig_bits), 0);
    assert_int_equal(sig_len, (long)(2 * bytes));
    assert_int_equal(sig_bits, (long)(16 * bytes));
    assert_int_equal(dsv("ECDSA", pub, TOK_BUF, hash, 32, sig, sig_len), 0);
    assert_int_equal(dsv("", key, key_len, hash, 32, sig, sig_len), 0); /* private token, no keyword */
    /* OpenSSL on the extracted key, r ‖ s -> DER */
    ECDSA_SIG *s = ECDSA_SIG_new();
    ECDSA_SIG_set0(s, BN_bin2bn(sig, (int)bytes, NULL), BN_bin2bn(sig + bytes, (int)bytes, NULL));
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG(s, &der);
    EVP_PKEY *pk = cca_ecc_public(pub, group);
    assert_non_null(pk);
    assert_int_equal(openssl_verify(pk, 0, NULL, 0, der, (size_t)der_len, hash, 32), 1);
    EVP_PKEY_free(pk);
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    hash[0] ^= 1;
    assert_int_equal(dsv("ECDSA", pub, TOK_BUF, hash, 32, sig, sig_len), 40429);
    assert_int_equal(dsv("ECDSA", pub, TOK_BUF, hash, 32, sig, sig_len - 1), 40429);
}

static void test_ecdsa(void **state)
{
    (void)state;
    ecdsa_case(0x00, 256, "prime256v1", 32);
    ecdsa_case(0x00, 384, "secp384r1", 48);
    ecdsa_case(0x00, 521, "secp521r1", 66);
    ecdsa_case(0x01, 256, "brainpoolP256r1", 32);
}

/* ---- encryption --------------------------------------------------------------------------- */

static void openssl_encrypt(int padding, const char *md, const unsigned char *m, size_t m_len, unsigned char *ct)
{
    EVP_PKEY *pk = cca_rsa_public(rsa_pub);
    assert_non_null(pk);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    size_t ct_len = 256;
    assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, padding), 1);
    if (md) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_get_digestbyname(md)), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_get_digestbyname(md)), 1);
    }
    assert_int_equal(EVP_PKEY_encrypt(c, ct, &ct_len, m, m_len), 1);
    assert_int_equal(ct_len, 256);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(pk);
}

static void test_encrypt_decrypt(void **state)
{
    (void)state;
    static const struct {
        const char *rules, *md;
        int padding;
        long max;
    } cases[] = {{"PKCS-1.2", NULL, RSA_PKCS1_PADDING, 245},
                 {"PKCSOAEP SHA-1", "SHA1", RSA_PKCS1_OAEP_PADDING, 214},
                 {"PKCSOAEP", "SHA1", RSA_PKCS1_OAEP_PADDING, 214},
                 {"PKCSOAEP SHA-256", "SHA256", RSA_PKCS1_OAEP_PADDING, 190}};
    unsigned char m[256], ct[512], out[512];
    for (size_t i = 0; i < sizeof(m); i++)
        m[i] = (unsigned char)(i * 7 + 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long ct_len = 512, out_len = 512;
        assert_int_equal(pke(cases[i].rules, rsa_pub, TOK_BUF, m, 32, ct, &ct_len), 0);
        assert_int_equal(ct_len, 256);
        assert_int_equal(pkd(cases[i].rules, rsa_key, TOK_BUF, ct, ct_len, out, &out_len), 0);
        assert_int_equal(out_len, 32);
        assert_memory_equal(out, m, 32);
        openssl_encrypt(cases[i].padding, cases[i].md, m, (size_t)cases[i].max, ct);
        out_len = 512;
        assert_int_equal(pkd(cases[i].rules, rsa_key, TOK_BUF, ct, 256, out, &out_len), 0);
        assert_int_equal(out_len, cases[i].max);
        assert_memory_equal(out, m, (size_t)cases[i].max);
        ct_len = 512;
        assert_int_equal(pke(cases[i].rules, rsa_key, TOK_BUF, m, cases[i].max + 1, ct, &ct_len), 80072);
        ct[0] ^= 0x80; /* any corruption is one code */
        out_len = 512;
        assert_int_equal(pkd(cases[i].rules, rsa_key, TOK_BUF, ct, 256, out, &out_len), 80066);
        assert_int_equal(out_len, 512); /* untouched */
    }
    /* ZERO-PAD: the whole k-byte block comes back */
    long ct_len = 512, out_len = 512;
    assert_int_equal(pke("ZERO-PAD", rsa_pub, TOK_BUF, m, 100, ct, &ct_len), 0);
    assert_int_equal(pkd("ZERO-PAD", rsa_key, TOK_BUF, ct, ct_len, out, &out_len), 0);
    assert_int_equal(out_len, 256);
    assert_memory_equal(out + 156, m, 100);
    /* recovered data larger than the caller's buffer */
    out_len = 10;
    openssl_encrypt(RSA_PKCS1_PADDING, NULL, m, 32, ct);
    assert_int_equal(pkd("PKCS-1.2", rsa_key, TOK_BUF, ct, 256, out, &out_len), 80072);
    /* a ciphertext of the wrong length is one more bad block */
    out_len = 512;
    assert_int_equal(pkd("PKCS-1.2", rsa_key, TOK_BUF, ct, 255, out, &out_len), 80066);
}

/* ---- rejection classes ----------------------------------------------------------------------- */

static void test_key_usage(void **state)
{
    (void)state;
    unsigned char km[TOK_BUF], sig_only[TOK_BUF], data[32] = {1}, out[512];
    long km_len = rsa_generate(1024, "KM-ONLY", km), so_len = rsa_generate(1024, "SIG-ONLY", sig_only);
    assert_true(km_len > 0 && so_len > 0);
    long len = 512, bits;
    assert_int_equal(dsg("PKCS-1.1", km, km_len, data, 32, out, &len, &bits), 80064);
    len = 512;
    assert_int_equal(pkd("PKCS-1.2", sig_only, so_len, out, 128, out, &len), 80064);
    /* a public token cannot sign or decrypt */
    len = 512;
    assert_int_equal(dsg("PKCS-1.1", rsa_pub, TOK_BUF, data, 32, out, &len, &bits), 82038);
    len = 512;
    assert_int_equal(pkd("PKCS-1.2", rsa_pub, TOK_BUF, out, 256, out, &len), 82038);
    /* algorithm keyword against the key's algorithm */
    len = 512;
    assert_int_equal(dsg("ECDSA", rsa_key, TOK_BUF, data, 32, out, &len, &bits), 82089);
    len = 512;
    assert_int_equal(dsg("RSA PKCS-1.1", ecc_key, ecc_key_len, data, 32, out, &len, &bits), 82089);
    len = 512;
    assert_int_equal(pke("PKCS-1.2", ecc_pub, ecc_pub_len, data, 32, out, &len), 82089);
}

static void test_rejections(void **state)
{
    (void)state;
    unsigned char data[51] = {0}, sig[512];
    memset(sig, 0xEE, sizeof(sig));
    long len = 255, bits = -1, rc, rs, count = 1, hl = 51;
    assert_int_equal(dsg("PKCS-1.1", rsa_key, TOK_BUF, data, 51, sig, &len, &bits), 80072); /* buffer < k */
    assert_int_equal(len, 255);
    assert_int_equal(bits, -1);
    assert_int_equal(sig[0], 0xEE); /* outputs untouched */
    len = 63; /* P-256: r ‖ s is 64 bytes */
    assert_int_equal(dsg("ECDSA", ecc_key, ecc_key_len, data, 32, sig, &len, &bits), 80072);
    len = 512;
    assert_int_equal(dsg("PKCS-1.1 FOO", rsa_key, TOK_BUF, data, 51, sig, &len, &bits), 80033);
    assert_int_equal(dsg("PKCS-1.1 ZERO-PAD", rsa_key, TOK_BUF, data, 51, sig, &len, &bits), 80034);
    assert_int_equal(dsg("ECDSA PKCS-1.1", ecc_key, ecc_key_len, data, 32, sig, &len, &bits), 80034);
    assert_int_equal(dsg("PKCS-PSS", rsa_key, TOK_BUF, data, 36, sig, &len, &bits), 80129);
    assert_int_equal(dsg("PKCS-PSS SHA-256", rsa_key, TOK_BUF, data, 35, sig, &len, &bits), 80072);
    assert_int_equal(dsg("PKCS-1.1 MD5", rsa_key, TOK_BUF, data, 51, sig, &len, &bits), 80335);
    assert_int_equal(dsv("PKCS-1.1 SHA-256 SHA-1", rsa_pub, TOK_BUF, data, 51, sig, 256), 80034);
    assert_int_equal(pke("PKCS-1.2 SHA-1", rsa_pub, TOK_BUF, data, 16, sig, &len), 80034);
    assert_int_equal(pke("", rsa_pub, TOK_BUF, data, 16, sig, &len), 80035);
    assert_int_equal(pke("PKCS-1.2 PKCSOAEP", rsa_pub, TOK_BUF, data, 16, sig, &len), 80034);
    /* NULL pointers: 8/184 */
    unsigned char rules[8];
    count = cca_rules(rules, "PKCS-1.1");
    long key_len = TOK_BUF;
    CSNDDSG(&rc, &rs, NULL, NULL, &count, rules, &key_len, rsa_key, &hl, NULL, &len, &bits, sig);
    assert_int_equal(rc * 10000 + rs, 80184);
    CSNDDSG(&rc, &rs, NULL, NULL, &count, rules, &key_len, rsa_key, &hl, data, &len, NULL, sig);
    assert_int_equal(rc * 10000 + rs, 80184);
    CSNDDSV(&rc, &rs, NULL, NULL, &count, rules, &key_len, rsa_key, &hl, data, &len, NULL);
    assert_int_equal(rc * 10000 + rs, 80184);
    CSNDDSG(NULL, &rs, NULL, NULL, &count, rules, &key_len, rsa_key, &hl, data, &len, &bits, sig); /* no crash */
    /* lengths */
    long bad = -1, big = 513;
    CSNDDSV(&rc, &rs, NULL, NULL, &count, rules, &key_len, rsa_key, &hl, data, &big, sig);
    assert_int_equal(rc * 10000 + rs, 80072);
    CSNDDSG(&rc, &rs, NULL, NULL, &count, rules, &key_len, rsa_key, &bad, data, &len, &bits, sig);
    assert_int_equal(rc * 10000 + rs, 80072);
    long one = 1, m_len = 16, out_len = 512;
    count = cca_rules(rules, "PKCS-1.2");
    CSNDPKE(&rc, &rs, NULL, NULL, &count, rules, &m_len, data, &one, data, &key_len, rsa_pub, &out_len, sig);
    assert_int_equal(rc * 10000 + rs, 80072); /* data_struct must be empty */
    count = -1;
    CSNDPKD(&rc, &rs, NULL, NULL, &count, rules, &m_len, data, NULL, NULL, &key_len, rsa_key, &out_len, sig);
    assert_int_equal(rc * 10000 + rs, 80035);
    /* a null token, a bad first byte */
    unsigned char null_tok[64] = {0}, bad_tok[64] = {0xFF};
    len = 512;
    assert_int_equal(dsg("PKCS-1.1", null_tok, 64, data, 51, sig, &len, &bits), 80180);
    assert_int_equal(dsg("PKCS-1.1", bad_tok, 64, data, 51, sig, &len, &bits), 80181);
}

static int setup(void **state)
{
    (void)state;
    if (card_start("pkacrypto") != 0)
        return -1;
    rsa_key_len = rsa_generate(2048, "KEY-MGMT", rsa_key);
    ecc_key_len = ecc_generate(0x00, 256, "KEY-MGMT", ecc_key);
    if (rsa_key_len <= 0 || ecc_key_len <= 0)
        return -1;
    rsa_pub_len = public_of(rsa_key, rsa_key_len, rsa_pub);
    ecc_pub_len = public_of(ecc_key, ecc_key_len, ecc_pub);
    return rsa_pub_len > 0 && ecc_pub_len > 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa_pkcs11),      cmocka_unit_test(test_rsa_other_formats),
        cmocka_unit_test(test_ecdsa),           cmocka_unit_test(test_encrypt_decrypt),
        cmocka_unit_test(test_key_usage),       cmocka_unit_test(test_rejections),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    card_stop();
    return rc;
}
