/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the CSNDDSG/DSV/PKE/PKD tests: an in-process card with
 * an APKA master key, rule arrays, and PKA tokens built through the verbs
 * (CSNDPKB, CSNDPKG, CSNDPKI, CSNDPKX) the way clients build them.
 */
#ifndef PKACRYPTO_UTIL_H
#define PKACRYPTO_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cca_test.h"
#include "csulincl.h"

#define TOK_BUF 2500

static char card_dir[64];

/* A fresh in-process card with a random APKA master key (0 on success). */
static inline int card_start(const char *tag)
{
    snprintf(card_dir, sizeof(card_dir), "/tmp/csu-%s-XXXXXX", tag);
    return cca_card_open(card_dir) && cca_mk_random("APKA-MK") == 0 ? 0 : -1;
}

static inline void card_stop(void)
{
    if (cca_remove_dir(card_dir) != 0)
        fprintf(stderr, "could not remove %s\n", card_dir);
}

/* CSNDPKB with a 2500-byte token buffer; returns rc, the length in *len. */
static inline long pkb(const char *list, const unsigned char *kvs, long kvs_len, unsigned char *tok, long *len, long *rs)
{
    long rc, count;
    unsigned char rules[40];
    count = cca_rules(rules, list);
    *len = TOK_BUF;
    CSNDPKB(&rc, rs, NULL, NULL, &count, rules, &kvs_len, (unsigned char *)kvs, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, len, tok);
    return rc;
}

static inline void put16(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

/* Leading zero bytes dropped (the vectors' numbers carry a sign byte). */
static inline const unsigned char *trim(const unsigned char *p, long *n)
{
    while (*n > 0 && *p == 0)
        p++, (*n)--;
    return p;
}

/* RSA-PUBL token from n and e (client pattern P5 #15). */
static inline long rsa_public_token(const unsigned char *n, long n_len, const unsigned char *e, long e_len,
                             unsigned char *tok, long *rs)
{
    unsigned char kvs[TOK_BUF] = {0}; /* the structure is passed as a 2500-byte buffer (P5 #15) */
    n = trim(n, &n_len);
    e = trim(e, &e_len);
    put16(kvs + 2, (size_t)n_len);
    put16(kvs + 4, (size_t)e_len);
    memcpy(kvs + 8, n, (size_t)n_len);
    memcpy(kvs + 8 + n_len, e, (size_t)e_len);
    long len, rc = pkb("RSA-PUBL", kvs, TOK_BUF, tok, &len, rs);
    return rc == 0 ? len : -rc;
}

/* An internal RSA-CRT token from its components: CSNDPKB RSA-CRT, then CSNDPKI. */
struct rsa_parts {
    const unsigned char *v[7]; /* n, e, p, q, dp, dq, u */
    long len[7];
};

static inline long rsa_import_token(struct rsa_parts *c, const char *usage, unsigned char *tok, long *rs)
{
    static unsigned char kvs[TOK_BUF];
    unsigned char ext[TOK_BUF], importer[64] = {0};
    memset(kvs, 0, sizeof(kvs));
    size_t off = 18;
    for (int i = 0; i < 7; i++) {
        c->v[i] = trim(c->v[i], &c->len[i]);
        memcpy(kvs + off, c->v[i], (size_t)c->len[i]);
        off += (size_t)c->len[i];
        if (i >= 2)
            put16(kvs + 8 + 2 * (i - 2), (size_t)c->len[i]);
    }
    put16(kvs + 2, (size_t)c->len[0]);
    put16(kvs + 4, (size_t)c->len[1]);
    char list[40];
    snprintf(list, sizeof(list), "RSA-CRT %s", usage);
    long ext_len, rc = pkb(list, kvs, TOK_BUF, ext, &ext_len, rs);
    if (rc != 0)
        return -rc;
    long count = 0, len = TOK_BUF;
    CSNDPKI(&rc, rs, NULL, NULL, &count, NULL, &ext_len, ext, importer, &len, tok);
    return rc == 0 ? len : -rc;
}

/* ECC-PUBL token from an uncompressed point (kvs: type, 0, p bits, d len 0, Q len, Q). */
static inline long ecc_public_token(unsigned char curve_type, unsigned bits, const unsigned char *q, long q_len,
                             unsigned char *tok, long *rs)
{
    unsigned char kvs[200] = {curve_type, 0};
    put16(kvs + 2, bits);
    put16(kvs + 6, (size_t)q_len);
    memcpy(kvs + 8, q, (size_t)q_len);
    long len, rc = pkb("ECC-PUBL", kvs, 8 + q_len, tok, &len, rs);
    return rc == 0 ? len : -rc;
}

/* Generate an internal key: skeleton (CSNDPKB) then CSNDPKG MASTER. */
static inline long generate_key(const char *type_usage, const unsigned char *kvs, long kvs_len, unsigned char *key)
{
    unsigned char skeleton[TOK_BUF] = {0}, rules[8], transport[64] = {0};
    long rs, sk_len, count, zero = 0, key_len = TOK_BUF;
    long rc = pkb(type_usage, kvs, kvs_len, skeleton, &sk_len, &rs);
    if (rc != 0)
        return -1;
    count = cca_rules(rules, "MASTER");
    CSNDPKG(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &sk_len, skeleton, transport, &key_len, key);
    return rc == 0 ? key_len : -1;
}

static inline long rsa_generate(unsigned bits, const char *usage, unsigned char *key)
{
    unsigned char kvs[24] = {(unsigned char)(bits >> 8), (unsigned char)bits, 0, 0, 0, 3};
    kvs[18] = 1, kvs[20] = 1; /* e = 65537 */
    char list[40];
    snprintf(list, sizeof(list), "RSA-CRT %s", usage);
    return generate_key(list, kvs, 21, key);
}

static inline long ecc_generate(unsigned char type, unsigned bits, const char *usage, unsigned char *key)
{
    unsigned char kvs[8] = {type, 0, (unsigned char)(bits >> 8), (unsigned char)bits};
    char list[40];
    snprintf(list, sizeof(list), "ECC-PAIR %s", usage);
    return generate_key(list, kvs, 8, key);
}

static inline long public_of(unsigned char *key, long key_len, unsigned char *pub)
{
    long rc, rs, count = 0, pub_len = TOK_BUF;
    CSNDPKX(&rc, &rs, NULL, NULL, &count, NULL, &key_len, key, &pub_len, pub);
    return rc == 0 ? pub_len : -1;
}

/* CSNDDSV with a rule list; returns rc*10000+rs for easy asserts. */
static inline long dsv(const char *list, unsigned char *key, long key_len, const unsigned char *data, long data_len,
                const unsigned char *sig, long sig_len)
{
    long rc, rs, count;
    unsigned char rules[80];
    count = cca_rules(rules, list);
    CSNDDSV(&rc, &rs, NULL, NULL, &count, rules, &key_len, key, &data_len, (unsigned char *)data, &sig_len,
            (unsigned char *)sig);
    return rc * 10000 + rs;
}

static inline long dsg(const char *list, unsigned char *key, long key_len, const unsigned char *data, long data_len,
               unsigned char *sig, long *sig_len, long *bits)
{
    long rc, rs, count;
    unsigned char rules[80];
    count = cca_rules(rules, list);
    CSNDDSG(&rc, &rs, NULL, NULL, &count, rules, &key_len, key, &data_len, (unsigned char *)data, sig_len, bits,
            sig);
    return rc * 10000 + rs;
}

static inline long pkd(const char *list, unsigned char *key, long key_len, const unsigned char *ct, long ct_len,
                unsigned char *out, long *out_len)
{
    long rc, rs, count, zero = 0;
    unsigned char rules[24];
    count = cca_rules(rules, list);
    CSNDPKD(&rc, &rs, NULL, NULL, &count, rules, &ct_len, (unsigned char *)ct, &zero, NULL, &key_len, key, out_len,
            out);
    return rc * 10000 + rs;
}

static inline long pke(const char *list, unsigned char *key, long key_len, const unsigned char *m, long m_len,
                unsigned char *out, long *out_len)
{
    long rc, rs, count;
    unsigned char rules[24];
    count = cca_rules(rules, list);
    CSNDPKE(&rc, &rs, NULL, NULL, &count, rules, &m_len, (unsigned char *)m, NULL, NULL, &key_len, key, out_len,
            out);
    return rc * 10000 + rs;
}

#endif
