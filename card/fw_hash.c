/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card half of CSNBOWH, One-Way Hash (host half in csu/verb_hash.c, design
 * in docs/hash.md).
 *
 * Request: the rule array; CSU_TAG_IN(1) the text (absent: empty);
 * CSU_TAG_IN(2) the first bytes of the caller's chaining vector (MIDDLE,
 * LAST); CSU_TAG_IN(3) u32 the caller's chaining_vector_length;
 * CSU_TAG_OUT_CAPACITY u32 the caller's hash_length.
 * Reply: CSU_TAG_OUT(1) the digest (ONLY, LAST); CSU_TAG_OUT(2) the new
 * chaining vector, OWH_VECTOR_LEN bytes (FIRST, MIDDLE).
 *
 * ONLY hashes in one EVP_Digest call and keeps nothing.  FIRST starts an
 * EVP_MD_CTX and stores it in the card's context table (card_ctx.h); the
 * chaining vector carries the sealed handle.  MIDDLE and LAST check it out,
 * feed it, and check it back in (MIDDLE) or finish and drop it (LAST).
 */
#include <string.h>

#include <openssl/evp.h>

#include "card_ctx.h"
#include "card_internal.h"
#include "csu_mu.h"
#include "csu_rules.h"

/* The chaining-vector area written back: IBM's 128-byte work area (the
 * sealed handle, then zeros).  SHA-3 callers must offer 256 as on IBM's
 * cards, but only these bytes are used. */
#define OWH_VECTOR_LEN 128u


enum owh_alg {
    ALG_SHA1,
    ALG_SHA224,
    ALG_SHA256,
    ALG_SHA384,
    ALG_SHA512,
    ALG_SHA3_224,
    ALG_SHA3_256,
    ALG_SHA3_384,
    ALG_SHA3_512,
    ALG_MD5,
    ALG_RIPEMD160,
    ALG_COUNT_
};

enum owh_segment { SEG_ONLY, SEG_FIRST, SEG_MIDDLE, SEG_LAST };

enum { GROUP_ALG, GROUP_SEGMENT };

static const struct csu_keyword owh_words[] = {
    {"SHA-1", GROUP_ALG, ALG_SHA1},         {"SHA-224", GROUP_ALG, ALG_SHA224},
    {"SHA-256", GROUP_ALG, ALG_SHA256},     {"SHA-384", GROUP_ALG, ALG_SHA384},
    {"SHA-512", GROUP_ALG, ALG_SHA512},     {"SHA3-224", GROUP_ALG, ALG_SHA3_224},
    {"SHA3-256", GROUP_ALG, ALG_SHA3_256},  {"SHA3-384", GROUP_ALG, ALG_SHA3_384},
    {"SHA3-512", GROUP_ALG, ALG_SHA3_512},  {"MD5", GROUP_ALG, ALG_MD5},
    {"RPMD-160", GROUP_ALG, ALG_RIPEMD160}, {"ONLY", GROUP_SEGMENT, SEG_ONLY},
    {"FIRST", GROUP_SEGMENT, SEG_FIRST},    {"MIDDLE", GROUP_SEGMENT, SEG_MIDDLE},
    {"LAST", GROUP_SEGMENT, SEG_LAST},
};

static const struct csu_rule_spec owh_spec = {
    .words = owh_words,
    .word_count = sizeof(owh_words) / sizeof(owh_words[0]),
    .min_count = 1,
    .max_count = 2,
    .required_groups = 1u << GROUP_ALG,
};

/* OpenSSL name and the chaining-vector size IBM documents (reference §1.4). */
static const struct {
    const char *openssl_name;
    uint16_t vector_min;
} alg_info[ALG_COUNT_] = {
    [ALG_SHA1] = {"SHA1", 128},           [ALG_SHA224] = {"SHA224", 128},
    [ALG_SHA256] = {"SHA256", 128},       [ALG_SHA384] = {"SHA384", 128},
    [ALG_SHA512] = {"SHA512", 128},       [ALG_SHA3_224] = {"SHA3-224", 256},
    [ALG_SHA3_256] = {"SHA3-256", 256},   [ALG_SHA3_384] = {"SHA3-384", 256},
    [ALG_SHA3_512] = {"SHA3-512", 256},   [ALG_MD5] = {"MD5", 128},
    [ALG_RIPEMD160] = {"RIPEMD160", 128},
};

/* Digests fetched once: an explicit fetch per call would cost a method-store
 * lookup each time.  NULL when the provider lacks the algorithm. */
static EVP_MD *fetched[ALG_COUNT_];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
    for (unsigned a = 0; a < ALG_COUNT_; a++)
        fetched[a] = EVP_MD_fetch(NULL, alg_info[a].openssl_name, NULL);
}

static const EVP_MD *owh_md(unsigned alg)
{
    pthread_once(&fetch_once, fetch_all);
    return fetched[alg];
}

/* One request, parsed and checked. */
struct owh_call {
    unsigned alg;
    unsigned segment;
    const EVP_MD *md;
    size_t digest_len;
    const uint8_t *text;
    size_t text_len;
    const struct csu_wire_block *vector; /* NULL when absent */
};

static csu_err owh_parse(struct fw_ctx *ctx, struct owh_call *c)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&owh_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    c->alg = csu_rules_value(&r, GROUP_ALG, ALG_SHA1);
    c->segment = csu_rules_value(&r, GROUP_SEGMENT, SEG_ONLY);
    c->md = owh_md(c->alg);
    if (!c->md)
        return CSU_E_UNAVAILABLE; /* e.g. RIPEMD-160 without the legacy provider */
    c->digest_len = (size_t)EVP_MD_get_size(c->md);
    const struct csu_wire_block *text = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    c->text = text ? text->data : (const uint8_t *)"";
    c->text_len = text ? text->length : 0;
    c->vector = csu_wire_find(ctx->req, CSU_TAG_IN(2));
    return CSU_OK;
}

/* Lengths the caller declared, checked before any state changes (8/72). */
static csu_err owh_check_lengths(const struct fw_ctx *ctx, const struct owh_call *c)
{
    if (c->segment != SEG_ONLY) {
        uint32_t vector_len = 0;
        if (!csu_wire_get_u32(ctx->req, CSU_TAG_IN(3), &vector_len) || vector_len < alg_info[c->alg].vector_min)
            return CSU_E_LENGTH;
    }
    bool gives_hash = c->segment == SEG_ONLY || c->segment == SEG_LAST;
    if (gives_hash && fw_out_capacity(ctx) < c->digest_len)
        return CSU_E_LENGTH;
    return CSU_OK;
}

/* FIRST and MIDDLE pieces must be whole blocks (the caller's rule). */
static bool owh_whole_blocks(const struct owh_call *c)
{
    bool partial_allowed = c->segment == SEG_ONLY || c->segment == SEG_LAST;
    int block = EVP_MD_get_block_size(c->md);
    return partial_allowed || (block > 0 && c->text_len % (size_t)block == 0);
}

static void free_md_ctx(void *obj)
{
    EVP_MD_CTX_free(obj);
}

static csu_err owh_only(struct fw_ctx *ctx, const struct owh_call *c)
{
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), c->digest_len);
    if (!out)
        return CSU_E_NOMEM;
    unsigned int n = 0;
    if (!EVP_Digest(c->text, c->text_len, out, &n, c->md, NULL) || n != c->digest_len)
        return CSU_E_CRYPTO;
    return CSU_OK;
}

/* The reply's chaining vector: the table's sealed handle, then zeros. */
static uint8_t *owh_vector_output(struct fw_ctx *ctx)
{
    return fw_output(ctx, CSU_TAG_OUT(2), OWH_VECTOR_LEN); /* zero-filled */
}

static csu_err owh_first(struct fw_ctx *ctx, const struct owh_call *c, struct card_ctx_table *table)
{
    uint8_t *vector = owh_vector_output(ctx);
    EVP_MD_CTX *md_ctx = vector ? EVP_MD_CTX_new() : NULL;
    if (!md_ctx)
        return CSU_E_NOMEM;
    if (!EVP_DigestInit_ex2(md_ctx, c->md, NULL) || !EVP_DigestUpdate(md_ctx, c->text, c->text_len)) {
        EVP_MD_CTX_free(md_ctx);
        return CSU_E_CRYPTO;
    }
    enum card_ctx_status st =
        card_ctx_store(table, ctx->worker->drbg, CARD_CTX_KIND_HASH, (uint8_t)c->alg, md_ctx, free_md_ctx, vector);
    if (st != CARD_CTX_OK)
        EVP_MD_CTX_free(md_ctx);
    return card_ctx_reply(st);
}

/* The bytes after the sealed handle are zeros as the card wrote them: any
 * change to the vector is refused, not only one the seal covers. */
static bool owh_padding_intact(const struct csu_wire_block *vector)
{
    uint8_t any = 0;
    for (size_t i = CARD_CTX_TOKEN_LEN; i < vector->length && i < OWH_VECTOR_LEN; i++)
        any |= vector->data[i];
    return any == 0;
}

static enum card_ctx_status owh_checkout(const struct owh_call *c, struct card_ctx_table *table,
                                         struct card_ctx_lease *lease)
{
    if (!c->vector || !owh_padding_intact(c->vector))
        return CARD_CTX_INVALID;
    return card_ctx_checkout(table, CARD_CTX_KIND_HASH, (uint8_t)c->alg, c->vector->data, c->vector->length,
                             lease);
}

static csu_err owh_middle(struct fw_ctx *ctx, const struct owh_call *c, struct card_ctx_table *table)
{
    struct card_ctx_lease lease;
    enum card_ctx_status st = owh_checkout(c, table, &lease);
    if (st != CARD_CTX_OK)
        return card_ctx_reply(st);
    uint8_t *vector = owh_vector_output(ctx);
    csu_err err = !vector ? CSU_E_NOMEM : !EVP_DigestUpdate(lease.obj, c->text, c->text_len) ? CSU_E_CRYPTO : CSU_OK;
    if (err != CSU_OK) { /* a half-fed context is useless: end the sequence */
        card_ctx_drop(table, &lease);
        return err;
    }
    return card_ctx_reply(card_ctx_checkin(table, &lease, vector));
}

static csu_err owh_last(struct fw_ctx *ctx, const struct owh_call *c, struct card_ctx_table *table)
{
    struct card_ctx_lease lease;
    enum card_ctx_status st = owh_checkout(c, table, &lease);
    if (st != CARD_CTX_OK)
        return card_ctx_reply(st);
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), c->digest_len);
    unsigned int n = 0;
    csu_err err = CSU_OK;
    if (!out)
        err = CSU_E_NOMEM;
    else if (!EVP_DigestUpdate(lease.obj, c->text, c->text_len) || !EVP_DigestFinal_ex(lease.obj, out, &n) ||
             n != c->digest_len)
        err = CSU_E_CRYPTO;
    card_ctx_drop(table, &lease);
    return err;
}

csu_err fw_csnbowh(struct fw_ctx *ctx)
{
    struct owh_call c;
    csu_err err = owh_parse(ctx, &c);
    if (err == CSU_OK)
        err = owh_check_lengths(ctx, &c);
    if (err != CSU_OK)
        return err;
    if (!owh_whole_blocks(&c))
        return CSU_E_TEXT_BLOCK; /* FIRST/MIDDLE must be whole blocks */
    if (c.segment == SEG_ONLY)
        return owh_only(ctx, &c);
    struct card_ctx_table *table = card_ctx_table_of(ctx->card, ctx->worker->drbg);
    if (!table)
        return CSU_E_NOMEM;
    switch (c.segment) {
    case SEG_FIRST:
        return owh_first(ctx, &c, table);
    case SEG_MIDDLE:
        return owh_middle(ctx, &c, table);
    default:
        return owh_last(ctx, &c, table);
    }
}
