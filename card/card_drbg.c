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

static csu_err instantiate_hash_drbg(struct card_drbg *d, EVP_RAND_CTX *parent, const uint8_t *pers,
                                     size_t pers_len)
{
    /* OpenSSL substitutes its own personalisation string for a NULL one,
     * which would break the CAVS answers: an empty string stays empty. */
    static const uint8_t empty[1];
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
    if (!EVP_RAND_instantiate(d->ctx, DRBG_STRENGTH, 0, pers, pers_len, params))
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
    csu_err err = instantiate_hash_drbg(d, NULL, personalisation, pers_len);
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
            err = instantiate_hash_drbg(d, d->test_parent, pers, pers_len);
    }
    if (err != CSU_OK) {
        card_drbg_close(d);
        return err;
    }
    *out = d;
    return CSU_OK;
}

csu_err card_drbg_generate(struct card_drbg *d, uint8_t *out, size_t len, const uint8_t *adin, size_t adin_len)
{
    while (len > 0) {
        size_t n = len < d->max_request ? len : d->max_request;
        if (!EVP_RAND_generate(d->ctx, out, n, DRBG_STRENGTH, 0, adin, adin_len))
            return CSU_E_CRYPTO;
        out += n;
        len -= n;
    }
    return CSU_OK;
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
