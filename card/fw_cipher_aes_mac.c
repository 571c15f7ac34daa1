/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card halves of CSNBMGN2 / CSNBMVR2 (AES CMAC on AES MAC keys, HMAC on
 * HMAC MAC keys) and CSNBHMG / CSNBHMV (HMAC with SHA-1/2 on HMAC MAC
 * keys).  Host halves in csu/verb_cipher_aes.c; docs/cipher-aes.md.
 *
 * Request blocks: IN 1 key token, 2 text, 3 chaining vector, 4 MAC to
 * verify, 5 MAC_length (u32), 6 chaining_vector_length (u32).
 * Reply: OUT 1 MAC (generate), 2 chaining vector.
 * A failed verify is 4/1; the compare is CRYPTO_memcmp over the full
 * requested length.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "card_ctx.h"
#include "csu_rules.h"
#include "fw_cipher_aes.h"
#include "tok_var.h"

#define MAC_MIN_LEN 4u
#define MAX_MAC 64u
#define MAC_CHAIN_LEN 128u /* openCryptoki's CCA_CHAIN_VECTOR_LEN */

enum { G_ALG, G_HASH, G_SEG, G_MODE };
enum mac_alg { A_AES, A_HMAC };
enum mac_hash { H_NONE, H_SHA1, H_SHA224, H_SHA256, H_SHA384, H_SHA512 };
enum mac_seg { S_ONLY, S_FIRST, S_MIDDLE, S_LAST };

/* Per hash: OpenSSL name, key-usage bit, MAC size, block size. */
static const struct {
    const char *name;
    uint16_t kuf_bit;
    unsigned size;
} hashes[] = {
    [H_NONE] = {NULL, 0, 16},
    [H_SHA1] = {"SHA1", AES_KUF2_SHA1, 20},
    [H_SHA224] = {"SHA224", AES_KUF2_SHA224, 28},
    [H_SHA256] = {"SHA256", AES_KUF2_SHA256, 32},
    [H_SHA384] = {"SHA384", AES_KUF2_SHA384, 48},
    [H_SHA512] = {"SHA512", AES_KUF2_SHA512, 64},
};

#define SEGMENT_WORDS                                                                                          \
    {"ONLY", G_SEG, S_ONLY}, {"FIRST", G_SEG, S_FIRST}, {"MIDDLE", G_SEG, S_MIDDLE}, {"LAST", G_SEG, S_LAST}
#define HASH_WORDS                                                                                             \
    {"SHA-1", G_HASH, H_SHA1}, {"SHA-224", G_HASH, H_SHA224}, {"SHA-256", G_HASH, H_SHA256},                    \
        {"SHA-384", G_HASH, H_SHA384}, {"SHA-512", G_HASH, H_SHA512}

static const struct csu_keyword hmg_words[] = {{"HMAC", G_ALG, A_HMAC}, HASH_WORDS, SEGMENT_WORDS};
static const struct csu_rule_spec hmg_spec = {hmg_words, sizeof(hmg_words) / sizeof(hmg_words[0]), 1, 3,
                                              1u << G_HASH};

static const struct csu_keyword mgn2_words[] = {{"AES", G_ALG, A_AES}, {"HMAC", G_ALG, A_HMAC},
                                                {"CMAC", G_MODE, 1}, HASH_WORDS, SEGMENT_WORDS};
static const struct csu_rule_spec mgn2_spec = {mgn2_words, sizeof(mgn2_words) / sizeof(mgn2_words[0]), 1, 4,
                                               1u << G_ALG};

/* One MAC call, parsed. */
struct mac_call {
    bool generate;
    uint32_t alg, hash, seg;
    uint32_t mac_len, chain_cap;
    const struct csu_wire_block *text, *chain_in, *mac_in;
    struct aes_clear_key key;
};

/* Keyword combinations: a hash only (and always) with HMAC, CMAC only with AES. */
static csu_err mac_rules(const struct csu_rule_spec *spec, struct fw_ctx *ctx, struct mac_call *c)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    c->alg = csu_rules_value(&r, G_ALG, A_HMAC);
    c->hash = csu_rules_value(&r, G_HASH, H_NONE);
    c->seg = csu_rules_value(&r, G_SEG, S_ONLY);
    if (c->alg == A_AES && (r.present & (1u << G_HASH)))
        return CSU_E_RULE_CONFLICT;
    if (c->alg == A_HMAC && (r.present & (1u << G_MODE)))
        return CSU_E_RULE_CONFLICT;
    if (c->alg == A_HMAC && c->hash == H_NONE)
        return CSU_E_RULE_MISSING;
    return CSU_OK;
}

static csu_err mac_inputs(struct fw_ctx *ctx, struct mac_call *c)
{
    c->text = aes_in(ctx, 2);
    c->chain_in = aes_in(ctx, 3);
    c->mac_in = aes_in(ctx, 4);
    csu_err err = aes_in_u32(ctx, 5, 0, &c->mac_len);
    if (err == CSU_OK)
        err = aes_in_u32(ctx, 6, 0, &c->chain_cap);
    if (err != CSU_OK)
        return err;
    /* FIRST/MIDDLE carry the full size (or a dummy MAC): checked where a MAC is made. */
    bool final = c->seg == S_ONLY || c->seg == S_LAST;
    if (final && (c->mac_len < MAC_MIN_LEN || c->mac_len > hashes[c->hash].size))
        return CSU_E_LENGTH;
    if (final && !c->generate && (!c->mac_in || c->mac_in->length != c->mac_len))
        return CSU_E_LENGTH;
    return CSU_OK;
}

static csu_err mac_key(struct fw_ctx *ctx, struct mac_call *c)
{
    const struct csu_wire_block *k = aes_in(ctx, 1);
    struct aes_key_need need = {c->generate ? AES_USE_MAC_GEN : AES_USE_MAC_VER,
                                c->alg == A_AES ? TOKV_ALG_AES : TOKV_ALG_HMAC, 0, hashes[c->hash].kuf_bit};
    bool old = false;
    csu_err err = aes_key_from_token(ctx, k ? k->data : NULL, k ? k->length : 0, &need, &c->key, &old);
    if (err == CSU_OK && old)
        ctx->rep.reason_code = AES_RS_OLD_MK;
    return err;
}

/* A fresh EVP_MAC context keyed for the call: CMAC with AES-n-CBC, or HMAC with the hash. */
static EVP_MAC_CTX *mac_open(const struct mac_call *c)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, c->alg == A_AES ? "CMAC" : "HMAC", NULL);
    EVP_MAC_CTX *x = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac);
    if (!x)
        return NULL;
    static const char *const cbc[] = {"AES-128-CBC", "AES-192-CBC", "AES-256-CBC"};
    OSSL_PARAM p[2];
    if (c->alg == A_AES) {
        if (c->key.len != 16 && c->key.len != 24 && c->key.len != 32) {
            EVP_MAC_CTX_free(x);
            return NULL;
        }
        p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)cbc[(c->key.len - 16) / 8], 0);
    } else {
        p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)hashes[c->hash].name, 0);
    }
    p[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(x, c->key.bytes, c->key.len, p) != 1) {
        EVP_MAC_CTX_free(x);
        return NULL;
    }
    return x;
}

/* The MAC of one whole message. */
static csu_err mac_compute(const struct mac_call *c, uint8_t out[MAX_MAC])
{
    EVP_MAC_CTX *x = mac_open(c);
    size_t n = 0;
    bool ok = x && (!c->text || c->text->length == 0 || EVP_MAC_update(x, c->text->data, c->text->length) == 1) &&
              EVP_MAC_final(x, out, &n, MAX_MAC) == 1 && n == hashes[c->hash].size;
    EVP_MAC_CTX_free(x);
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

/* Generate: the leftmost mac_len bytes.  Verify: constant-time compare, 4/1 on mismatch. */
static csu_err mac_finish(struct fw_ctx *ctx, const struct mac_call *c, const uint8_t full[MAX_MAC])
{
    if (c->generate) {
        uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), c->mac_len);
        if (!out)
            return CSU_E_NOMEM;
        memcpy(out, full, c->mac_len);
        return CSU_OK;
    }
    if (CRYPTO_memcmp(full, c->mac_in->data, c->mac_len) != 0)
        return CSU_W_VERIFY_FAILED;
    return CSU_OK;
}

/* ---- multi-part: the sequence lives in the card context table (card_ctx.h) ---- */

/*
 * The table's object: the running EVP_MAC context and what it is bound to.
 * The kind (HMAC/CMAC) and variant (hash, generate or verify) are checked
 * by the table; the key is checked here: every piece presents its key token
 * again (usage checked again) and it must be the token the sequence began
 * with, so a VERIFY-only key's sequence cannot be finished as a generate.
 */
struct mac_seq {
    EVP_MAC_CTX *mac;
    uint8_t key_digest[32];
};

static void mac_seq_free(void *obj)
{
    struct mac_seq *q = obj;
    if (!q)
        return;
    EVP_MAC_CTX_free(q->mac);
    OPENSSL_clear_free(q, sizeof(*q));
}

static uint8_t seq_kind(const struct mac_call *c)
{
    return c->alg == A_AES ? CARD_CTX_KIND_CMAC : CARD_CTX_KIND_HMAC;
}

static uint8_t seq_variant(const struct mac_call *c)
{
    return (uint8_t)(c->hash | (c->generate ? 0x10u : 0u));
}

static csu_err token_digest(const struct fw_ctx *ctx, uint8_t out[32])
{
    const struct csu_wire_block *k = aes_in(ctx, 1);
    unsigned int n = 0;
    return k && EVP_Digest(k->data, k->length, out, &n, EVP_sha256(), NULL) == 1 ? CSU_OK : CSU_E_CRYPTO;
}

/* The chaining vector of the reply: the table's sealed reference, zero filled to the caller's size. */
static uint8_t *seq_vector_output(struct fw_ctx *ctx, const struct mac_call *c)
{
    size_t n = c->chain_cap < MAC_CHAIN_LEN ? c->chain_cap : MAC_CHAIN_LEN;
    uint8_t *v = fw_output(ctx, CSU_TAG_OUT(2), n);
    if (v)
        memset(v, 0, n);
    return v;
}

static bool update(EVP_MAC_CTX *x, const struct mac_call *c)
{
    return !c->text || c->text->length == 0 || EVP_MAC_update(x, c->text->data, c->text->length) == 1;
}

static csu_err seq_first(struct fw_ctx *ctx, const struct mac_call *c, struct card_ctx_table *table)
{
    struct mac_seq *q = OPENSSL_zalloc(sizeof(*q));
    if (!q)
        return CSU_E_NOMEM;
    q->mac = mac_open(c);
    csu_err err = q->mac ? token_digest(ctx, q->key_digest) : CSU_E_CRYPTO;
    if (err == CSU_OK && !update(q->mac, c))
        err = CSU_E_CRYPTO;
    uint8_t token[CARD_CTX_TOKEN_LEN];
    enum card_ctx_status st = CARD_CTX_OK;
    if (err == CSU_OK) {
        st = card_ctx_store(table, ctx->worker->drbg, seq_kind(c), seq_variant(c), q, mac_seq_free, token);
        if (st == CARD_CTX_OK)
            q = NULL; /* the table owns it now */
        err = card_ctx_reply(st);
    }
    mac_seq_free(q);
    if (err == CSU_OK && st == CARD_CTX_OK) {
        uint8_t *v = seq_vector_output(ctx, c);
        if (!v)
            return CSU_E_NOMEM; /* the entry expires unused */
        memcpy(v, token, CARD_CTX_TOKEN_LEN);
    }
    return err;
}

/* Take the sequence out of the table; a refused vector is 8/2036. */
static csu_err seq_checkout(struct fw_ctx *ctx, const struct mac_call *c, struct card_ctx_table *table,
                            struct card_ctx_lease *lease)
{
    enum card_ctx_status st = CARD_CTX_INVALID;
    if (c->chain_in)
        st = card_ctx_checkout(table, seq_kind(c), seq_variant(c), c->chain_in->data, c->chain_in->length, lease);
    if (st != CARD_CTX_OK) {
        return card_ctx_reply(st);
    }
    uint8_t digest[32];
    struct mac_seq *q = lease->obj;
    csu_err err = token_digest(ctx, digest);
    if (err == CSU_OK && CRYPTO_memcmp(digest, q->key_digest, sizeof(digest)) != 0) {
        card_ctx_drop(table, lease); /* a sequence tried with another key is ended */
        return CSU_E_CHAIN_VECTOR;
    }
    if (err != CSU_OK)
        card_ctx_drop(table, lease);
    return err;
}

static csu_err seq_middle(struct fw_ctx *ctx, const struct mac_call *c, struct card_ctx_table *table)
{
    struct card_ctx_lease lease;
    csu_err err = seq_checkout(ctx, c, table, &lease);
    if (err != CSU_OK)
        return err;
    struct mac_seq *q = lease.obj;
    if (!update(q->mac, c)) { /* a half-fed context is useless: end the sequence */
        card_ctx_drop(table, &lease);
        return CSU_E_CRYPTO;
    }
    uint8_t token[CARD_CTX_TOKEN_LEN];
    enum card_ctx_status st = card_ctx_checkin(table, &lease, token);
    err = card_ctx_reply(st);
    if (err == CSU_OK && st == CARD_CTX_OK) {
        uint8_t *v = seq_vector_output(ctx, c);
        if (!v)
            return CSU_E_NOMEM;
        memcpy(v, token, CARD_CTX_TOKEN_LEN);
    }
    return err;
}

static csu_err seq_last(struct fw_ctx *ctx, const struct mac_call *c, struct card_ctx_table *table)
{
    struct card_ctx_lease lease;
    csu_err err = seq_checkout(ctx, c, table, &lease);
    if (err != CSU_OK)
        return err;
    struct mac_seq *q = lease.obj;
    uint8_t full[MAX_MAC];
    size_t n = 0;
    if (!update(q->mac, c) || EVP_MAC_final(q->mac, full, &n, MAX_MAC) != 1 || n != hashes[c->hash].size)
        err = CSU_E_CRYPTO;
    card_ctx_drop(table, &lease);
    if (err == CSU_OK)
        err = mac_finish(ctx, c, full);
    OPENSSL_cleanse(full, sizeof(full));
    return err;
}

static csu_err mac_run(struct fw_ctx *ctx, struct mac_call *c)
{
    if (c->seg == S_ONLY) {
        uint8_t full[MAX_MAC];
        csu_err err = mac_compute(c, full);
        if (err == CSU_OK)
            err = mac_finish(ctx, c, full);
        OPENSSL_cleanse(full, sizeof(full));
        return err;
    }
    if (c->seg != S_LAST && c->chain_cap < CARD_CTX_TOKEN_LEN)
        return CSU_E_LENGTH; /* no room for the next chaining vector */
    struct card_ctx_table *table = card_ctx_table_of(ctx->card, ctx->worker->drbg);
    if (!table)
        return CSU_E_NOMEM;
    switch (c->seg) {
    case S_FIRST:
        return seq_first(ctx, c, table);
    case S_MIDDLE:
        return seq_middle(ctx, c, table);
    default:
        return seq_last(ctx, c, table);
    }
}

static csu_err mac_verb(struct fw_ctx *ctx, const struct csu_rule_spec *spec, bool generate)
{
    struct mac_call *c = OPENSSL_zalloc(sizeof(*c));
    if (!c)
        return CSU_E_NOMEM;
    c->generate = generate;
    csu_err err = mac_rules(spec, ctx, c);
    if (err == CSU_OK)
        err = mac_inputs(ctx, c);
    if (err == CSU_OK)
        err = mac_key(ctx, c);
    if (err == CSU_OK)
        err = mac_run(ctx, c);
    OPENSSL_clear_free(c, sizeof(*c));
    return err;
}

csu_err fw_csnbmgn2(struct fw_ctx *ctx)
{
    return mac_verb(ctx, &mgn2_spec, true);
}

csu_err fw_csnbmvr2(struct fw_ctx *ctx)
{
    return mac_verb(ctx, &mgn2_spec, false);
}

csu_err fw_csnbhmg(struct fw_ctx *ctx)
{
    return mac_verb(ctx, &hmg_spec, true);
}

csu_err fw_csnbhmv(struct fw_ctx *ctx)
{
    return mac_verb(ctx, &hmg_spec, false);
}
