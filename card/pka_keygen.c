/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PKA key generation, pairwise-consistency test and clear-key checks (see
 * pka_keygen.h).  OpenSSL draws the key's randomness from its own DRBG
 * (seeded from the OS), as the card's Hash_DRBG is not an OpenSSL provider.
 */
#include "pka_keygen.h"

#include "card_internal.h" /* card_sha256 */

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "tok_ecc.h"

static atomic_bool pct_fault;

void pka_pct_fault(bool on)
{
    atomic_store(&pct_fault, on);
}

/* ---- pka_key -> EVP_PKEY ---------------------------------------------------- */

static BIGNUM *bn(const uint8_t *p, size_t n)
{
    BIGNUM *b = BN_secure_new();
    if (b && !BN_bin2bn(p, (int)n, b)) {
        BN_clear_free(b);
        return NULL;
    }
    return b;
}

/* d = e^-1 mod lcm(p-1, q-1), for importing a CRT key into OpenSSL. */
static BIGNUM *crt_private_exponent(const BIGNUM *e, const BIGNUM *p, const BIGNUM *q)
{
    BN_CTX *ctx = BN_CTX_secure_new();
    BIGNUM *p1 = BN_secure_new(), *q1 = BN_secure_new(), *g = BN_secure_new(), *l = BN_secure_new();
    BIGNUM *d = NULL;
    bool ok = ctx && p1 && q1 && g && l && BN_sub(p1, p, BN_value_one()) && BN_sub(q1, q, BN_value_one()) &&
              BN_gcd(g, p1, q1, ctx) && BN_mul(l, p1, q1, ctx) && BN_div(l, NULL, l, g, ctx);
    if (ok)
        d = BN_mod_inverse(BN_secure_new(), e, l, ctx);
    BN_clear_free(p1);
    BN_clear_free(q1);
    BN_clear_free(g);
    BN_clear_free(l);
    BN_CTX_free(ctx);
    return d;
}

static bool push_bn(OSSL_PARAM_BLD *b, const char *name, BIGNUM *v, BIGNUM **keep, int *n)
{
    keep[(*n)++] = v;
    return v && OSSL_PARAM_BLD_push_BN(b, name, v);
}

static bool rsa_params(const struct pka_key *k, bool with_private, OSSL_PARAM_BLD *b, BIGNUM **keep, int *n)
{
    const struct {
        const char *name;
        const uint8_t *p;
        size_t len;
    } crt[] = {{OSSL_PKEY_PARAM_RSA_FACTOR1, k->rsa.p, k->rsa.p_len},
               {OSSL_PKEY_PARAM_RSA_FACTOR2, k->rsa.q, k->rsa.q_len},
               {OSSL_PKEY_PARAM_RSA_EXPONENT1, k->rsa.dp, k->rsa.dp_len},
               {OSSL_PKEY_PARAM_RSA_EXPONENT2, k->rsa.dq, k->rsa.dq_len},
               {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, k->rsa.u, k->rsa.u_len}};
    bool ok = push_bn(b, OSSL_PKEY_PARAM_RSA_N, bn(k->rsa.n, k->rsa.n_len), keep, n) &&
              push_bn(b, OSSL_PKEY_PARAM_RSA_E, bn(k->rsa.e, k->rsa.e_len), keep, n);
    if (!ok || !with_private)
        return ok;
    if (!k->rsa.crt)
        return push_bn(b, OSSL_PKEY_PARAM_RSA_D, bn(k->rsa.d, k->rsa.d_len), keep, n);
    int first = *n;
    for (int i = 0; ok && i < 5; i++)
        ok = push_bn(b, crt[i].name, bn(crt[i].p, crt[i].len), keep, n);
    return ok && push_bn(b, OSSL_PKEY_PARAM_RSA_D, crt_private_exponent(keep[1], keep[first], keep[first + 1]),
                         keep, n);
}

static bool ecc_params(const struct pka_key *k, bool with_private, OSSL_PARAM_BLD *b, BIGNUM **keep, int *n)
{
    const struct pka_curve *c = pka_curve_find(k->ecc.curve_type, k->ecc.p_bits);
    bool ok = c && OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, c->name, 0) &&
              OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, k->ecc.q, k->ecc.q_len);
    if (ok && with_private)
        ok = push_bn(b, OSSL_PKEY_PARAM_PRIV_KEY, bn(k->ecc.d, k->ecc.d_len), keep, n);
    return ok;
}

csu_err pka_to_evp(const struct pka_key *k, bool with_private, EVP_PKEY **out)
{
    if (k->alg == PKA_ALG_ECC && !pka_curve_find(k->ecc.curve_type, k->ecc.p_bits))
        return CSU_E_ECC_CURVE;
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    BIGNUM *keep[10] = {0};
    int n = 0;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, k->alg == PKA_ALG_RSA ? "RSA" : "EC", NULL);
    bool ok = b && ctx &&
              (k->alg == PKA_ALG_RSA ? rsa_params(k, with_private, b, keep, &n) : ecc_params(k, with_private, b, keep, &n));
    csu_err err = ok ? CSU_OK : CSU_E_NOMEM;
    *out = NULL;
    if (ok && (params = OSSL_PARAM_BLD_to_param(b)) == NULL)
        err = CSU_E_NOMEM;
    if (err == CSU_OK && (EVP_PKEY_fromdata_init(ctx) != 1 ||
                          EVP_PKEY_fromdata(ctx, out, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                                            params) != 1))
        err = CSU_E_PKA_FIELD;
    OSSL_PARAM_free(params); /* secure-heap parts are cleansed */
    OSSL_PARAM_BLD_free(b);
    for (int i = 0; i < n; i++)
        BN_clear_free(keep[i]);
    EVP_PKEY_CTX_free(ctx);
    return err;
}

/* ---- pairwise-consistency test ------------------------------------------------ */

static const char pct_message[] = "csucard pairwise consistency test";
static uint8_t pct_digest[PKA_HASH_LEN]; /* SHA-256(pct_message), made once */
static bool pct_digest_ok;
static pthread_once_t pct_digest_once = PTHREAD_ONCE_INIT;

static bool pct_digest_compute(uint8_t out[PKA_HASH_LEN])
{
    unsigned n = 0;
    return EVP_Digest(pct_message, sizeof(pct_message), out, &n, card_sha256(), NULL) == 1 && n == PKA_HASH_LEN;
}

static void pct_digest_make(void)
{
    pct_digest_ok = pct_digest_compute(pct_digest);
}

/* RSA signs PKCS#1 v1.5 with SHA-256's DigestInfo; ECDSA signs the digest as is. */
static bool sign_setup(EVP_PKEY_CTX *c, bool rsa)
{
    return !rsa || (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
                    EVP_PKEY_CTX_set_signature_md(c, card_sha256()) == 1);
}

/*
 * Sign SHA-256(pct_message) and verify the signature, on one context and
 * with the digest made once: the signature scheme EVP_DigestSign uses,
 * without its two digest fetches and contexts per key (~2 us of a P-256 key).
 */
static bool sign_verify(EVP_PKEY_CTX *c, bool rsa)
{
    uint8_t sig[1024], local[PKA_HASH_LEN];
    size_t sig_len = sizeof(sig);
    pthread_once(&pct_digest_once, pct_digest_make);
    /* made once; made here if that once failed (pthread_once never retries) */
    const uint8_t *digest = pct_digest_ok ? pct_digest : pct_digest_compute(local) ? local : NULL;
    bool ok = digest && (size_t)EVP_PKEY_get_size(EVP_PKEY_CTX_get0_pkey(c)) <= sizeof(sig) &&
              EVP_PKEY_sign_init(c) == 1 && sign_setup(c, rsa) &&
              EVP_PKEY_sign(c, sig, &sig_len, digest, PKA_HASH_LEN) == 1;
    if (ok && atomic_load(&pct_fault))
        sig[sig_len / 2] ^= 0x01;
    return ok && EVP_PKEY_verify_init(c) == 1 && sign_setup(c, rsa) &&
           EVP_PKEY_verify(c, sig, sig_len, digest, PKA_HASH_LEN) == 1;
}

/* Raw RSA: c = m^e, m' = c^d; c must differ from m and m' equal m. */
static bool rsa_encrypt_decrypt(EVP_PKEY_CTX *ctx)
{
    size_t k = (size_t)EVP_PKEY_get_size(EVP_PKEY_CTX_get0_pkey(ctx)), c_len = PKA_RSA_MAX_BYTES,
           m2_len = PKA_RSA_MAX_BYTES;
    uint8_t m[PKA_RSA_MAX_BYTES], c[PKA_RSA_MAX_BYTES], m2[PKA_RSA_MAX_BYTES];
    bool ok = k >= 2 && k <= sizeof(m) && RAND_bytes(m, (int)k) == 1;
    if (ok)
        m[0] = 0x00, m[1] |= 0x01; /* below n, and far from 0 and 1 */
    ok = ok && EVP_PKEY_encrypt_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
         EVP_PKEY_encrypt(ctx, c, &c_len, m, k) == 1 && c_len == k && CRYPTO_memcmp(c, m, k) != 0 &&
         EVP_PKEY_decrypt_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
         EVP_PKEY_decrypt(ctx, m2, &m2_len, c, k) == 1 && m2_len == k && CRYPTO_memcmp(m2, m, k) == 0;
    OPENSSL_cleanse(m, sizeof(m));
    OPENSSL_cleanse(m2, sizeof(m2));
    return ok;
}

csu_err pka_pct(EVP_PKEY *pk)
{
    bool rsa = EVP_PKEY_is_a(pk, "RSA");
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    bool ok = c && sign_verify(c, rsa) && (!rsa || rsa_encrypt_decrypt(c));
    EVP_PKEY_CTX_free(c);
    return ok ? CSU_OK : CSU_E_PCT;
}

/* ---- generation ---------------------------------------------------------------- */

/* Big-endian bytes of a BIGNUM parameter, left-padded to @p pad (0: natural). */
static bool get_bn(EVP_PKEY *pk, const char *name, uint8_t *out, size_t cap, size_t pad, size_t *len)
{
    BIGNUM *v = NULL;
    bool ok = EVP_PKEY_get_bn_param(pk, name, &v) == 1;
    size_t n = ok ? (size_t)BN_num_bytes(v) : 0;
    size_t want = pad ? pad : n;
    ok = ok && n <= want && want <= cap && BN_bn2binpad(v, out, (int)want) == (int)want;
    BN_clear_free(v);
    *len = ok ? want : 0;
    return ok;
}

static bool rsa_from_evp(EVP_PKEY *pk, struct pka_key *k)
{
    size_t cap = sizeof(k->rsa.p);
    bool ok = get_bn(pk, OSSL_PKEY_PARAM_RSA_N, k->rsa.n, sizeof(k->rsa.n), 0, &k->rsa.n_len) &&
              get_bn(pk, OSSL_PKEY_PARAM_RSA_E, k->rsa.e, sizeof(k->rsa.e), 0, &k->rsa.e_len);
    if (ok && !k->rsa.crt)
        return get_bn(pk, OSSL_PKEY_PARAM_RSA_D, k->rsa.d, sizeof(k->rsa.d), k->rsa.n_len, &k->rsa.d_len);
    return ok && get_bn(pk, OSSL_PKEY_PARAM_RSA_FACTOR1, k->rsa.p, cap, 0, &k->rsa.p_len) &&
           get_bn(pk, OSSL_PKEY_PARAM_RSA_FACTOR2, k->rsa.q, cap, 0, &k->rsa.q_len) &&
           get_bn(pk, OSSL_PKEY_PARAM_RSA_EXPONENT1, k->rsa.dp, cap, k->rsa.p_len, &k->rsa.dp_len) &&
           get_bn(pk, OSSL_PKEY_PARAM_RSA_EXPONENT2, k->rsa.dq, cap, k->rsa.q_len, &k->rsa.dq_len) &&
           get_bn(pk, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, k->rsa.u, cap, k->rsa.p_len, &k->rsa.u_len);
}

static bool ecc_from_evp(EVP_PKEY *pk, struct pka_key *k)
{
    const struct pka_curve *c = pka_curve_find(k->ecc.curve_type, k->ecc.p_bits);
    return c && get_bn(pk, OSSL_PKEY_PARAM_PRIV_KEY, k->ecc.d, sizeof(k->ecc.d), c->bytes, &k->ecc.d_len) &&
           EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, k->ecc.q, sizeof(k->ecc.q),
                                           &k->ecc.q_len) == 1 &&
           ecc_check_point_length(k) == CSU_OK;
}

/* A random odd 64-bit public exponent (top bit set), for skeletons without e. */
static bool random_exponent(struct pka_key *k)
{
    if (RAND_bytes(k->rsa.e, 8) != 1)
        return false;
    k->rsa.e[0] |= 0x80;
    k->rsa.e[7] |= 0x01;
    k->rsa.e_len = 8;
    return true;
}

/*
 * EC keygen contexts kept for reuse, per curve.  EVP_PKEY_generate on a kept
 * context skips building the curve's group from its name, half the cost of a
 * P-256 key.  A context is taken out for one generation and put back after,
 * so concurrent workers never share one; each curve's stack grows to the
 * number of workers generating at once (at most EC_POOL_DEPTH are kept) and
 * lives as long as the process, like OpenSSL's own fetched algorithms.
 */
#define EC_POOL_CURVES 8 /* >= the curves of tok_pka.c (6 today); a curve beyond gets a fresh context each time */
#define EC_POOL_DEPTH 16

static struct {
    pthread_mutex_t lock;
    struct {
        const struct pka_curve *curve;
        unsigned count;
        EVP_PKEY_CTX *ctx[EC_POOL_DEPTH];
    } slot[EC_POOL_CURVES];
} ec_pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The curve's slot, claimed on first use; EC_POOL_CURVES when all are taken.  Lock held. */
static unsigned ec_pool_slot(const struct pka_curve *c)
{
    for (unsigned i = 0; i < EC_POOL_CURVES; i++) {
        if (ec_pool.slot[i].curve == NULL)
            ec_pool.slot[i].curve = c;
        if (ec_pool.slot[i].curve == c)
            return i;
    }
    return EC_POOL_CURVES;
}

static EVP_PKEY_CTX *ec_pool_take(const struct pka_curve *c)
{
    EVP_PKEY_CTX *ctx = NULL;
    pthread_mutex_lock(&ec_pool.lock);
    unsigned i = ec_pool_slot(c);
    if (i < EC_POOL_CURVES && ec_pool.slot[i].count > 0)
        ctx = ec_pool.slot[i].ctx[--ec_pool.slot[i].count];
    pthread_mutex_unlock(&ec_pool.lock);
    return ctx;
}

static void ec_pool_put(const struct pka_curve *c, EVP_PKEY_CTX *ctx)
{
    pthread_mutex_lock(&ec_pool.lock);
    unsigned i = ec_pool_slot(c);
    if (i < EC_POOL_CURVES && ec_pool.slot[i].count < EC_POOL_DEPTH) {
        ec_pool.slot[i].ctx[ec_pool.slot[i].count++] = ctx;
        ctx = NULL;
    }
    pthread_mutex_unlock(&ec_pool.lock);
    EVP_PKEY_CTX_free(ctx);
}

static EVP_PKEY_CTX *ec_keygen_ctx(const struct pka_curve *c)
{
    EVP_PKEY_CTX *ctx = ec_pool_take(c);
    if (ctx)
        return ctx;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_group_name(ctx, c->name) == 1)
        return ctx;
    EVP_PKEY_CTX_free(ctx);
    return NULL;
}

static EVP_PKEY_CTX *rsa_keygen_ctx(struct pka_key *k)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    BIGNUM *e = (k->rsa.e_len || random_exponent(k)) ? BN_bin2bn(k->rsa.e, (int)k->rsa.e_len, NULL) : NULL;
    bool ok = ctx && e && EVP_PKEY_keygen_init(ctx) == 1 &&
              EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, k->rsa.bits) == 1 &&
              EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) == 1;
    BN_free(e);
    if (!ok) {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* A fresh key pair for @p k's attributes (@p c: its curve, NULL for RSA). */
static EVP_PKEY *generate_pair(struct pka_key *k, const struct pka_curve *c)
{
    EVP_PKEY_CTX *ctx = c ? ec_keygen_ctx(c) : rsa_keygen_ctx(k);
    EVP_PKEY *pk = NULL;
    bool ok = ctx && EVP_PKEY_generate(ctx, &pk) == 1;
    if (ok && c)
        ec_pool_put(c, ctx); /* only a context that worked goes back */
    else
        EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        EVP_PKEY_free(pk);
        return NULL;
    }
    return pk;
}

csu_err pka_generate(struct pka_key *k)
{
    const struct pka_curve *c = NULL;
    if (k->alg == PKA_ALG_ECC && (c = pka_curve_find(k->ecc.curve_type, k->ecc.p_bits)) == NULL)
        return CSU_E_ECC_CURVE;
    EVP_PKEY *pk = generate_pair(k, c);
    csu_err err = pk ? pka_pct(pk) : CSU_E_CRYPTO;
    if (err == CSU_OK && !(k->alg == PKA_ALG_RSA ? rsa_from_evp(pk, k) : ecc_from_evp(pk, k)))
        err = CSU_E_CRYPTO;
    if (err == CSU_OK && k->alg == PKA_ALG_RSA)
        k->rsa.bits = (uint16_t)EVP_PKEY_get_bits(pk);
    EVP_PKEY_free(pk);
    if (err != CSU_OK) { /* no key material survives a failure */
        OPENSSL_cleanse(&k->rsa, sizeof(k->rsa));
        OPENSSL_cleanse(&k->ecc.d, sizeof(k->ecc.d));
    }
    return err;
}

csu_err pka_check_key(const struct pka_key *k)
{
    bool priv = k->kind == PKA_KIND_CLEAR || k->kind == PKA_KIND_INTERNAL;
    EVP_PKEY *pk = NULL;
    csu_err err = pka_to_evp(k, priv, &pk);
    if (err == CSU_OK && k->alg == PKA_ALG_ECC) {
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        if (!c || EVP_PKEY_public_check(c) != 1)
            err = CSU_E_PKA_FIELD;
        EVP_PKEY_CTX_free(c);
    }
    if (err == CSU_OK && priv && pka_pct(pk) != CSU_OK)
        err = CSU_E_PKA_FIELD;
    EVP_PKEY_free(pk);
    return err == CSU_E_NOMEM ? err : (err == CSU_OK ? CSU_OK : (err == CSU_E_ECC_CURVE ? err : CSU_E_PKA_FIELD));
}
