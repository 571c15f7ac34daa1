/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers of the CSNDEDH tests: a card with APKA, AES and SYM master keys
 * (on top of tests/pkacrypto/pkacrypto_util.h), ECC keys the test knows
 * (made with OpenSSL, imported with CSNDPKB ECC-PAIR + CSNDPKI), public
 * tokens written byte by byte (so the card, not CSNDPKB, judges a bad
 * point), and a CSNDEDH call returning rc*10000+rs.
 */
#ifndef ECDH_UTIL_H
#define ECDH_UTIL_H

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "../pkacrypto/pkacrypto_util.h"

struct curve {
    unsigned char type; /* X'00' prime, X'01' Brainpool */
    unsigned bits;
    unsigned bytes;
    const char *name;   /* OpenSSL group */
};

static const struct curve curves[] = {
    {0, 256, 32, "prime256v1"},      {0, 384, 48, "secp384r1"},       {0, 521, 66, "secp521r1"},
    {1, 256, 32, "brainpoolP256r1"}, {1, 384, 48, "brainpoolP384r1"}, {1, 512, 64, "brainpoolP512r1"},
};

/* A card with every master key this verb needs (0 on success). */
static inline int card_start_all(const char *tag)
{
    if (card_start(tag) != 0)
        return -1;
    return cca_mk_random("AES-MK") == 0 && cca_mk_random("SYM-MK") == 0 ? 0 : -1;
}

/* An uncompressed point of @p pk into @p q (1 + 2 * bytes). */
static inline long point_of(EVP_PKEY *pk, unsigned char *q, size_t cap)
{
    size_t len = 0;
    if (EVP_PKEY_set_utf8_string_param(pk, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "uncompressed") != 1 ||
        EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, q, cap, &len) != 1)
        return -1;
    return (long)len;
}

/* An ECC public token written byte by byte: X'1E' header + X'21' section. */
static inline long raw_public_token(const struct curve *c, const unsigned char *q, size_t q_len, unsigned char *tok)
{
    size_t sec = 14 + q_len, total = 8 + sec;
    memset(tok, 0, total);
    tok[0] = 0x1E;
    put16(tok + 2, total);
    tok[8] = 0x21;
    put16(tok + 10, sec);
    tok[16] = c->type;
    put16(tok + 18, c->bits);
    put16(tok + 20, q_len);
    memcpy(tok + 22, q, q_len);
    return (long)total;
}

/* d (big-endian, any length up to the field) and its point Q = d·G. */
static inline long point_from_d(const struct curve *c, const unsigned char *d, size_t d_len, unsigned char *q)
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(OBJ_txt2nid(c->name));
    BIGNUM *bn = BN_bin2bn(d, (int)d_len, NULL);
    EC_POINT *p = g ? EC_POINT_new(g) : NULL;
    size_t len = 0;
    if (p && bn && EC_POINT_mul(g, p, bn, NULL, NULL, NULL) == 1)
        len = EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, q, 1 + 2 * c->bytes, NULL);
    EC_POINT_free(p);
    BN_free(bn);
    EC_GROUP_free(g);
    return len ? (long)len : -1;
}

/* A clear external ECC-PAIR token of d (CSNDPKB); returns its length or -rc. */
static inline long clear_pair_token(const struct curve *c, const unsigned char *d, size_t d_len, const char *usage,
                                    unsigned char *tok, long *rs)
{
    unsigned char kvs[300] = {c->type, 0}, q[140];
    while (d_len > 0 && *d == 0)
        d++, d_len--;
    long q_len = point_from_d(c, d, d_len, q);
    if (q_len < 0)
        return -16;
    put16(kvs + 2, c->bits);
    put16(kvs + 4, d_len);
    put16(kvs + 6, (size_t)q_len);
    memcpy(kvs + 8, d, d_len);
    memcpy(kvs + 8 + d_len, q, (size_t)q_len);
    char list[40];
    snprintf(list, sizeof(list), "ECC-PAIR %s", usage);
    long len, rc = pkb(list, kvs, 8 + (long)d_len + q_len, tok, &len, rs);
    return rc == 0 ? len : -rc;
}

/* An internal token of d: CSNDPKB ECC-PAIR then CSNDPKI. */
static inline long import_pair(const struct curve *c, const unsigned char *d, size_t d_len, unsigned char *tok)
{
    unsigned char ext[TOK_BUF], importer[64] = {0};
    long rs, ext_len = clear_pair_token(c, d, d_len, "KEY-MGMT", ext, &rs);
    if (ext_len < 0)
        return ext_len;
    long rc, count = 0, len = TOK_BUF;
    CSNDPKI(&rc, &rs, NULL, NULL, &count, NULL, &ext_len, ext, importer, &len, tok);
    return rc == 0 ? len : -rc;
}

/* d of an OpenSSL key, left-padded to the field length. */
static inline void private_of(EVP_PKEY *pk, unsigned char *d, size_t bytes)
{
    BIGNUM *bn = NULL;
    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &bn);
    BN_bn2binpad(bn, d, (int)bytes);
    BN_clear_free(bn);
}

struct edh_args {
    const char *rules;
    unsigned char *priv;
    long priv_len;
    unsigned char *pub;
    long pub_len;
    const unsigned char *party;
    long party_len;
    long key_bits;
    unsigned char *out; /* skeleton in, token (or Z) out */
    long out_len;
};

static inline long edh(struct edh_args *a)
{
    long rc, rs, count, zero = 0;
    unsigned char rules[64];
    count = cca_rules(rules, a->rules);
    CSNDEDH(&rc, &rs, NULL, NULL, &count, rules, &a->priv_len, a->priv, &zero, NULL, &a->pub_len, a->pub, &zero,
            NULL, &a->party_len, (unsigned char *)a->party, &a->key_bits, &zero, NULL, &zero, NULL, &zero, NULL,
            &zero, NULL, &zero, NULL, &zero, NULL, &a->out_len, a->out);
    return rc * 10000 + rs;
}

/* Z computed by OpenSSL alone. */
static inline size_t openssl_z(EVP_PKEY *mine, EVP_PKEY *peer, unsigned char *z, size_t cap)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
    size_t len = cap;
    if (!c || EVP_PKEY_derive_init(c) != 1 || EVP_PKEY_derive_set_peer(c, peer) != 1 ||
        EVP_PKEY_derive(c, z, &len) != 1)
        len = 0;
    EVP_PKEY_CTX_free(c);
    return len;
}

#endif
