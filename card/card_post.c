/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Power-on self-test: known-answer tests of every algorithm family the card
 * offers, run before the card serves its first request.  Vectors and their
 * sources are in card_post_vectors.h.
 *
 * The test hook `fail_kat` names one test whose expected answer is
 * corrupted by one bit, so that the real comparison fails (not a skipped
 * test that merely reports failure).
 */
#include "card_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "card_post_vectors.h"

/* A hex vector decoded to bytes; freed with buf_free. */
struct buf {
    uint8_t *p;
    size_t n;
};

static bool buf_hex(const char *hex, struct buf *b)
{
    long n = 0;
    b->p = OPENSSL_hexstr2buf(hex, &n);
    b->n = (size_t)n;
    return b->p != NULL;
}

static void buf_free(struct buf *b)
{
    OPENSSL_clear_free(b->p, b->n);
    b->p = NULL;
}

/* Compare @p got with the expected hex answer (corrupted when @p corrupt). */
static bool answer_matches(const uint8_t *got, size_t got_len, const char *expected_hex, bool corrupt)
{
    struct buf want;
    if (!buf_hex(expected_hex, &want))
        return false;
    if (corrupt)
        want.p[0] ^= 0x01;
    bool ok = got_len == want.n && CRYPTO_memcmp(got, want.p, want.n) == 0;
    buf_free(&want);
    return ok;
}

static bool kat_sha256(bool corrupt)
{
    struct buf msg;
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!buf_hex(KAT_SHA256_MSG, &msg))
        return false;
    bool ok = EVP_Digest(msg.p, msg.n, md, &md_len, EVP_sha256(), NULL) &&
              answer_matches(md, md_len, KAT_SHA256_MD, corrupt);
    buf_free(&msg);
    return ok;
}

static bool kat_hmac(bool corrupt)
{
    struct buf key, msg;
    uint8_t mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    if (!buf_hex(KAT_HMAC_KEY, &key))
        return false;
    if (!buf_hex(KAT_HMAC_MSG, &msg)) {
        buf_free(&key);
        return false;
    }
    bool ok = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key.p, key.n, msg.p, msg.n, mac, sizeof(mac),
                        &mac_len) != NULL &&
              answer_matches(mac, mac_len, KAT_HMAC_MAC, corrupt);
    buf_free(&key);
    buf_free(&msg);
    return ok;
}

/* One ECB pass of @p cipher over @p in, no padding. */
static bool ecb(const EVP_CIPHER *cipher, bool encrypt, const struct buf *key, const uint8_t *in, size_t n,
                uint8_t *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len1 = 0, len2 = 0;
    bool ok = ctx && EVP_CipherInit_ex(ctx, cipher, NULL, key->p, NULL, encrypt) &&
              EVP_CIPHER_CTX_set_padding(ctx, 0) && EVP_CipherUpdate(ctx, out, &len1, in, (int)n) &&
              EVP_CipherFinal_ex(ctx, out + len1, &len2) && (size_t)(len1 + len2) == n;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* Encrypt KAT, then decrypt KAT back to the plaintext. */
static bool kat_block_cipher(const EVP_CIPHER *cipher, const char *key_hex, const char *pt_hex, const char *ct_hex,
                             bool corrupt)
{
    struct buf key = {0}, pt = {0}, ct = {0};
    uint8_t out[64];
    bool ok = buf_hex(key_hex, &key) && buf_hex(pt_hex, &pt) && buf_hex(ct_hex, &ct) && pt.n <= sizeof(out) &&
              ecb(cipher, true, &key, pt.p, pt.n, out) && answer_matches(out, pt.n, ct_hex, corrupt) &&
              ecb(cipher, false, &key, ct.p, ct.n, out) && answer_matches(out, ct.n, pt_hex, false);
    buf_free(&key);
    buf_free(&pt);
    buf_free(&ct);
    OPENSSL_cleanse(out, sizeof(out));
    return ok;
}

static bool kat_aes(bool corrupt)
{
    return kat_block_cipher(EVP_aes_128_ecb(), KAT_AES_KEY, KAT_AES_PT, KAT_AES_CT, corrupt);
}

static bool kat_tdes(bool corrupt)
{
    return kat_block_cipher(EVP_des_ede3_ecb(), KAT_TDES_KEY, KAT_TDES_PT, KAT_TDES_CT, corrupt);
}

static EVP_PKEY *rsa_kat_key(void)
{
    BIGNUM *n = NULL, *e = NULL, *d = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    if (bld && ctx && BN_hex2bn(&n, KAT_RSA_N) && BN_hex2bn(&e, KAT_RSA_E) && BN_hex2bn(&d, KAT_RSA_D) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) && (params = OSSL_PARAM_BLD_to_param(bld)) &&
        EVP_PKEY_fromdata_init(ctx) > 0)
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    BN_free(n);
    BN_free(e);
    BN_clear_free(d);
    return pkey;
}

static bool digest_verify(EVP_PKEY *pkey, const struct buf *msg, const uint8_t *sig, size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1 &&
              EVP_DigestVerify(md, sig, sig_len, msg->p, msg->n) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static bool digest_sign(EVP_PKEY *pkey, const struct buf *msg, uint8_t *sig, size_t *sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1 &&
              EVP_DigestSign(md, sig, sig_len, msg->p, msg->n) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

/* PKCS#1 v1.5 is deterministic: signing must give NIST's signature, which must verify. */
static bool kat_rsa(bool corrupt)
{
    EVP_PKEY *pkey = rsa_kat_key();
    struct buf msg = {0};
    uint8_t sig[512];
    size_t sig_len = sizeof(sig);
    bool ok = pkey && buf_hex(KAT_RSA_MSG, &msg) && digest_sign(pkey, &msg, sig, &sig_len) &&
              answer_matches(sig, sig_len, KAT_RSA_SIG, corrupt) && digest_verify(pkey, &msg, sig, sig_len);
    if (ok) { /* a changed signature must not verify */
        sig[sig_len - 1] ^= 0x01;
        ok = !digest_verify(pkey, &msg, sig, sig_len);
    }
    buf_free(&msg);
    EVP_PKEY_free(pkey);
    return ok;
}

static EVP_PKEY *ec_kat_public_key(void)
{
    struct buf x = {0}, y = {0};
    uint8_t point[65];
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx && buf_hex(KAT_EC_QX, &x) && buf_hex(KAT_EC_QY, &y) && x.n == 32 && y.n == 32 &&
        EVP_PKEY_fromdata_init(ctx) > 0) {
        point[0] = 0x04; /* uncompressed */
        memcpy(point + 1, x.p, 32);
        memcpy(point + 33, y.p, 32);
        char group[] = "prime256v1";
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
            OSSL_PARAM_construct_end(),
        };
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    }
    buf_free(&x);
    buf_free(&y);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* NIST's (r, s) as the DER signature OpenSSL verifies. */
static bool ec_kat_signature(bool corrupt, uint8_t *der, size_t *der_len)
{
    BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    bool ok = sig && BN_hex2bn(&r, KAT_EC_R) && BN_hex2bn(&s, KAT_EC_S);
    if (ok && corrupt)
        ok = BN_add_word(s, 1);
    if (ok && ECDSA_SIG_set0(sig, r, s)) {
        r = s = NULL; /* owned by sig now */
        unsigned char *p = der;
        int n = i2d_ECDSA_SIG(sig, NULL);
        ok = n > 0 && (size_t)n <= *der_len && i2d_ECDSA_SIG(sig, &p) == n;
        *der_len = (size_t)n;
    } else {
        ok = false;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return ok;
}

/* Verify NIST's signature; then a sign/verify round with a fresh key. */
static bool kat_ecdsa(bool corrupt)
{
    EVP_PKEY *pub = ec_kat_public_key();
    EVP_PKEY *fresh = EVP_EC_gen("prime256v1");
    struct buf msg = {0};
    uint8_t sig[128];
    size_t sig_len = sizeof(sig);
    bool ok = pub && fresh && buf_hex(KAT_EC_MSG, &msg) && ec_kat_signature(corrupt, sig, &sig_len) &&
              digest_verify(pub, &msg, sig, sig_len);
    sig_len = sizeof(sig);
    ok = ok && digest_sign(fresh, &msg, sig, &sig_len) && digest_verify(fresh, &msg, sig, sig_len);
    buf_free(&msg);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(fresh);
    return ok;
}

static bool kat_drbg(bool corrupt)
{
    struct buf entropy = {0}, nonce = {0};
    struct card_drbg *d = NULL;
    uint8_t out[128];
    bool ok = buf_hex(KAT_DRBG_ENTROPY, &entropy) && buf_hex(KAT_DRBG_NONCE, &nonce) &&
              card_drbg_open_test(entropy.p, entropy.n, nonce.p, nonce.n, NULL, 0, &d) == CSU_OK &&
              card_drbg_generate(d, out, sizeof(out), NULL, 0) == CSU_OK &&
              card_drbg_generate(d, out, sizeof(out), NULL, 0) == CSU_OK &&
              answer_matches(out, sizeof(out), KAT_DRBG_OUT, corrupt);
    card_drbg_close(d);
    buf_free(&entropy);
    buf_free(&nonce);
    OPENSSL_cleanse(out, sizeof(out));
    return ok;
}

static const struct {
    const char *name;
    bool (*run)(bool corrupt);
} kats[] = {
    {"SHA256", kat_sha256}, {"HMAC256", kat_hmac}, {"AES", kat_aes},   {"TDES", kat_tdes},
    {"RSA", kat_rsa},       {"ECDSA", kat_ecdsa},  {"DRBG", kat_drbg},
};

const char *card_post_run(const char *fail_kat)
{
    for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
        bool corrupt = fail_kat && strcmp(fail_kat, kats[i].name) == 0;
        if (!kats[i].run(corrupt))
            return kats[i].name;
    }
    return NULL;
}
