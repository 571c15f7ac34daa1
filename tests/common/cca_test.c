/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the end-to-end tests: see cca_test.h. */
#include "cca_test.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "csulincl.h"

#define RULE_WIDTH 8

/* ---- rule arrays ------------------------------------------------------------------ */

static void put_word(unsigned char *out, const char *w, size_t len)
{
    memset(out, ' ', RULE_WIDTH);
    memcpy(out, w, len);
}

long cca_rules(unsigned char *out, const char *list)
{
    long count = 0;
    for (const char *w = list; w && *w; count++) {
        const char *end = strchr(w, ' ');
        size_t len = end ? (size_t)(end - w) : strlen(w);
        put_word(out + RULE_WIDTH * count, w, len);
        w = end ? end + 1 : w + len;
    }
    return count;
}

long cca_rules_of(unsigned char *out, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_word(out + RULE_WIDTH * i, list[i], strlen(list[i]));
    return (long)n;
}

/* ---- the card ----------------------------------------------------------------------- */

bool cca_card_open(char *dir_template)
{
    char spec[512];
    if (!mkdtemp(dir_template) || (size_t)snprintf(spec, sizeof(spec), "inproc:%s", dir_template) >= sizeof(spec))
        return false;
    setenv("CSU_CARD", spec, 1);
    unsetenv("CSU_DEFAULT_ADAPTER");
    return true;
}

void cca_key_stores(const char *dir)
{
    static const char *const vars[][2] = {{"CSUDESDS", "des.key"}, {"CSUAESDS", "aes.key"},
                                          {"CSUPKADS", "pka.key"}, {"CSUDESLD", "deslist"},
                                          {"CSUAESLD", "aeslist"}, {"CSUPKALD", "pkalist"}};
    char value[512];
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        snprintf(value, sizeof(value), "%s/%s", dir, vars[i][1]);
        setenv(vars[i][0], value, 1);
    }
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int cca_remove_dir(const char *dir)
{
    return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

long cca_mkp(const char *list, const unsigned char *part, long *rs)
{
    unsigned char rules[4 * RULE_WIDTH];
    long rc = -1, count = cca_rules(rules, list);
    *rs = -1;
    CSNBMKP(&rc, rs, NULL, NULL, &count, rules, (unsigned char *)part);
    return rc;
}

/* CSNBMKP "<set> <steps[i]>" with key part parts[i] (parts NULL: none), in order; 0 when every step answers rc 0. */
static int mk_steps(const char *set, const char *const *steps, const unsigned char *const *parts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char list[32];
        long rs;
        snprintf(list, sizeof(list), "%s %s", set, steps[i]);
        if (cca_mkp(list, parts ? parts[i] : NULL, &rs) != 0)
            return -1;
    }
    return 0;
}

int cca_mk_random(const char *set)
{
    static const char *const steps[] = {"RANDOM", "SET"};
    return mk_steps(set, steps, NULL, 2);
}

int cca_mk_from_parts(const char *set, const unsigned char *first, const unsigned char *last)
{
    static const char *const steps[] = {"CLEAR", "FIRST", "LAST", "SET"};
    const unsigned char *const parts[] = {NULL, first, last, NULL};
    return mk_steps(set, steps, parts, 4);
}

/* ---- data ---------------------------------------------------------------------------- */

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t cca_unhex(const char *h, unsigned char *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(h[2 * i]), lo = nibble(h[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return i;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return n;
}

/* ---- OpenSSL views of keys ----------------------------------------------------------- */

/* EVP_PKEY_fromdata of @p params for algorithm @p alg; NULL on refusal. */
static EVP_PKEY *key_from_params(const char *alg, int selection, OSSL_PARAM *params)
{
    EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, alg, NULL) : NULL;
    EVP_PKEY *pk = NULL;
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &pk, selection, params) != 1)
        pk = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pk;
}

/* RSA from n, e and (when not NULL) d. */
static EVP_PKEY *rsa_from_bn(const BIGNUM *n, const BIGNUM *e, const BIGNUM *d)
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *p = NULL;
    if (b && n && e && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
        OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e) == 1 &&
        (!d || OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_D, d) == 1))
        p = OSSL_PARAM_BLD_to_param(b);
    EVP_PKEY *pk = key_from_params("RSA", d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, p);
    OSSL_PARAM_free(p);
    OSSL_PARAM_BLD_free(b);
    return pk;
}

EVP_PKEY *cca_rsa_public(const unsigned char *pub)
{
    size_t e_len = (size_t)(pub[14] << 8 | pub[15]), n_len = (size_t)(pub[18] << 8 | pub[19]);
    BIGNUM *e = BN_bin2bn(pub + 20, (int)e_len, NULL), *n = BN_bin2bn(pub + 20 + e_len, (int)n_len, NULL);
    EVP_PKEY *pk = rsa_from_bn(n, e, NULL);
    BN_free(e);
    BN_free(n);
    return pk;
}

EVP_PKEY *cca_ecc_public(const unsigned char *pub, const char *group)
{
    size_t q_len = (size_t)(pub[20] << 8 | pub[21]);
    OSSL_PARAM params[] = {OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
                           OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)(pub + 22), q_len),
                           OSSL_PARAM_END};
    return key_from_params("EC", EVP_PKEY_PUBLIC_KEY, params);
}

EVP_PKEY *cca_rsa_from_hex(const char *n, const char *e, const char *d)
{
    BIGNUM *bn = NULL, *be = NULL, *bd = NULL;
    EVP_PKEY *pk = NULL;
    if (BN_hex2bn(&bn, n) > 0 && BN_hex2bn(&be, e) > 0 && BN_hex2bn(&bd, d) > 0)
        pk = rsa_from_bn(bn, be, bd);
    BN_free(bn);
    BN_free(be);
    BN_clear_free(bd);
    return pk;
}
