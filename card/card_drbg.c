/* SPDX-License-Identifier: Apache-2.0 */
/* Hash_DRBG (SHA-256) through OpenSSL's EVP_RAND. */
#include "card_drbg.h"

#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

struct card_drbg {
    EVP_RAND_CTX *test_parent; /* TEST-RAND for known-answer tests, else NULL */
    EVP_RAND_CTX *ctx;
    size_t max_request;
};

#define DRBG_STRENGTH 256u

static EVP_RAND_CTX *new_rand(const char *name, EVP_RAND_CTX *parent)
{
    EVP_RAND *rand = EVP_RAND_fetch(NULL, name, NULL);
    if (!rand)
        return NULL;
    EVP_RAND_CTX *ctx = EVP_RAND_CTX_new(rand, parent);
    EVP_RAND_free(rand);
    return ctx;
}

/* OpenSSL substitutes its own personalisation string for a NULL one, which
 * would break the CAVS answers: an empty string stays empty (non-NULL, 0). */
static const uint8_t empty[1];

static csu_err instantiate_hash_drbg(struct card_drbg *d, EVP_RAND_CTX *parent, int prediction_resistance,
                                     const uint8_t *pers, size_t pers_len)
{
    if (!pers)
        pers = empty;
    d->ctx = new_rand("HASH-DRBG", parent);
    if (!d->ctx)
        return CSU_E_CRYPTO;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_DRBG_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!EVP_RAND_instantiate(d->ctx, DRBG_STRENGTH, prediction_resistance, pers, pers_len, params))
        return CSU_E_CRYPTO;
    OSSL_PARAM query[] = {
        OSSL_PARAM_construct_size_t(OSSL_RAND_PARAM_MAX_REQUEST, &d->max_request),
        OSSL_PARAM_construct_end(),
    };
    if (!EVP_RAND_CTX_get_params(d->ctx, query))
        return CSU_E_CRYPTO;
    return d->max_request > 0 ? CSU_OK : CSU_E_CRYPTO;
}

csu_err card_drbg_open(const void *personalisation, size_t pers_len, struct card_drbg **out)
{
    struct card_drbg *d = calloc(1, sizeof(*d));
    if (!d)
        return CSU_E_NOMEM;
    csu_err err = instantiate_hash_drbg(d, NULL, 0, personalisation, pers_len);
    if (err == CSU_OK) {
        /* Reseed from the OS every 2^16 requests (a bare EVP_RAND_CTX defaults to 256; hourly reseed stays). */
        unsigned int reseed_requests = 65536;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_uint(OSSL_DRBG_PARAM_RESEED_REQUESTS, &reseed_requests),
            OSSL_PARAM_construct_end(),
        };
        if (!EVP_RAND_CTX_set_params(d->ctx, params))
            err = CSU_E_CRYPTO;
    }
    if (err != CSU_OK) {
        card_drbg_close(d);
        return err;
    }
    *out = d;
    return CSU_OK;
}

/* Hand the next entropy input to the TEST-RAND parent.  OpenSSL 3.0's
 * TEST-RAND gives its seed from the start of the buffer on every request
 * (get_seed ignores entropy_pos), so each reseed / PR generate sets it anew. */
static csu_err set_test_entropy(EVP_RAND_CTX *parent, const uint8_t *entropy, size_t entropy_len)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_RAND_PARAM_TEST_ENTROPY, (void *)entropy, entropy_len),
        OSSL_PARAM_construct_end(),
    };
    return EVP_RAND_CTX_set_params(parent, params) ? CSU_OK : CSU_E_CRYPTO;
}

/* Test instance: entropy required; live instance: entropy must be absent. */
static csu_err check_entropy_arg(const struct card_drbg *d, const uint8_t *entropy, size_t entropy_len)
{
    if (d->test_parent)
        return entropy ? (entropy_len > 0 ? CSU_OK : CSU_E_LENGTH) : CSU_E_NULL_POINTER;
    return entropy == NULL && entropy_len == 0 ? CSU_OK : CSU_E_LENGTH;
}

static csu_err open_test(const uint8_t *entropy, size_t entropy_len, const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *pers, size_t pers_len, int prediction_resistance, struct card_drbg **out)
{
    struct card_drbg *d = calloc(1, sizeof(*d));
    if (!d)
        return CSU_E_NOMEM;
    csu_err err = CSU_E_CRYPTO;
    d->test_parent = new_rand("TEST-RAND", NULL);
    if (d->test_parent) {
        unsigned int strength = DRBG_STRENGTH;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_octet_string(OSSL_RAND_PARAM_TEST_ENTROPY, (void *)entropy, entropy_len),
            OSSL_PARAM_construct_octet_string(OSSL_RAND_PARAM_TEST_NONCE, (void *)nonce, nonce_len),
            OSSL_PARAM_construct_uint(OSSL_RAND_PARAM_STRENGTH, &strength),
            OSSL_PARAM_construct_end(),
        };
        if (EVP_RAND_CTX_set_params(d->test_parent, params))
            err = instantiate_hash_drbg(d, d->test_parent, prediction_resistance, pers, pers_len);
    }
    if (err != CSU_OK) {
        card_drbg_close(d);
        return err;
    }
    *out = d;
    return CSU_OK;
}

csu_err card_drbg_open_test(const uint8_t *entropy, size_t entropy_len, const uint8_t *nonce, size_t nonce_len,
                            const uint8_t *pers, size_t pers_len, struct card_drbg **out)
{
    return open_test(entropy, entropy_len, nonce, nonce_len, pers, pers_len, 0, out);
}

csu_err card_drbg_open_test_pr(const uint8_t *entropy, size_t entropy_len, const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *pers, size_t pers_len, struct card_drbg **out)
{
    return open_test(entropy, entropy_len, nonce, nonce_len, pers, pers_len, 1, out);
}

csu_err card_drbg_reseed(struct card_drbg *d, const uint8_t *entropy, size_t entropy_len, const uint8_t *adin,
                         size_t adin_len)
{
    csu_err err = check_entropy_arg(d, entropy, entropy_len);
    if (err != CSU_OK)
        return err;
    if (d->test_parent && (err = set_test_entropy(d->test_parent, entropy, entropy_len)) != CSU_OK)
        return err;
    /* The entropy goes through the parent, not EVP_RAND_reseed's ent argument:
     * OpenSSL would reseed with ent and then again from the parent. */
    return EVP_RAND_reseed(d->ctx, 0, NULL, 0, adin_len ? adin : empty, adin_len) ? CSU_OK : CSU_E_CRYPTO;
}

static csu_err generate(struct card_drbg *d, uint8_t *out, size_t len, int prediction_resistance,
                        const uint8_t *entropy, size_t entropy_len, const uint8_t *adin, size_t adin_len)
{
    if (!adin_len)
        adin = empty;
    while (len > 0) {
        size_t n = len < d->max_request ? len : d->max_request;
        if (prediction_resistance && d->test_parent &&
            set_test_entropy(d->test_parent, entropy, entropy_len) != CSU_OK)
            return CSU_E_CRYPTO;
        if (!EVP_RAND_generate(d->ctx, out, n, DRBG_STRENGTH, prediction_resistance, adin, adin_len))
            return CSU_E_CRYPTO;
        out += n;
        len -= n;
    }
    return CSU_OK;
}

csu_err card_drbg_generate_pr(struct card_drbg *d, uint8_t *out, size_t len, const uint8_t *entropy,
                              size_t entropy_len, const uint8_t *adin, size_t adin_len)
{
    csu_err err = check_entropy_arg(d, entropy, entropy_len);
    return err != CSU_OK ? err : generate(d, out, len, 1, entropy, entropy_len, adin, adin_len);
}

csu_err card_drbg_generate(struct card_drbg *d, uint8_t *out, size_t len, const uint8_t *adin, size_t adin_len)
{
    return generate(d, out, len, 0, NULL, 0, adin, adin_len);
}

void card_drbg_close(struct card_drbg *d)
{
    if (!d)
        return;
    if (d->ctx) {
        EVP_RAND_uninstantiate(d->ctx);
        EVP_RAND_CTX_free(d->ctx);
    }
    if (d->test_parent) {
        EVP_RAND_uninstantiate(d->test_parent);
        EVP_RAND_CTX_free(d->test_parent);
    }
    free(d);
}
