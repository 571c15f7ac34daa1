/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card halves of the variable-length symmetric key verbs (host halves and
 * the block numbering in csu/verb_symkey2.c): CSNBKTB2, CSNBKGN2, CSNBKPI2,
 * CSNBKYT2, CSNBKTC2.  Tokens: tok_var.h; wrapping: wrap_var.h; our
 * choices: docs/tokens-v5.md.  Every block is re-validated here: the
 * request frame is hostile.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "card_mk.h"
#include "csu_keyid.h"
#include "csu_mu.h"
#include "tok_var.h"
#include "wrap_var.h"

/* The reason code of "a key under the old master key was used" (0/10001). */
#define REASON_OLD_MK 10001u

/* ---- request blocks ------------------------------------------------------ */

static const struct csu_wire_block *in_block(const struct fw_ctx *ctx, unsigned n)
{
    return csu_wire_find(ctx->req, CSU_TAG_IN(n));
}

/* A u32 input; @p dflt when absent, CSU_E_FRAME when malformed. */
static csu_err in_u32(const struct fw_ctx *ctx, unsigned n, uint32_t dflt, uint32_t *v)
{
    const struct csu_wire_block *b = in_block(ctx, n);
    *v = dflt;
    if (!b)
        return CSU_OK;
    if (b->length != 4)
        return CSU_E_FRAME;
    *v = csu_load_be32(b->data);
    return CSU_OK;
}

/* The token in input block @p n; absent is a NULL key identifier. */
static csu_err in_token(const struct fw_ctx *ctx, unsigned n, struct tokv *t)
{
    const struct csu_wire_block *b = in_block(ctx, n);
    if (!b)
        return CSU_E_NULL_POINTER;
    return tokv_parse(b->data, b->length, t);
}

/* Serialise @p t into output @p tag if the caller's @p capacity takes it. */
static csu_err emit_token(struct fw_ctx *ctx, uint16_t tag, const struct tokv *t, uint32_t capacity)
{
    size_t len = tokv_length(t);
    if (len > capacity)
        return CSU_E_LENGTH;
    uint8_t *out = fw_output(ctx, tag, len);
    if (!out)
        return CSU_E_NOMEM;
    return tokv_build(t, out, len, &len);
}

/* Optional key name (0 or 64 bytes, a valid label) and user AD (<= 255). */
static csu_err apply_name_uad(const struct fw_ctx *ctx, unsigned name_in, unsigned uad_in, struct tokv *t)
{
    const struct csu_wire_block *name = in_block(ctx, name_in), *uad = in_block(ctx, uad_in);
    if (name && name->length > 0) {
        if (name->length != TOKV_NAME_LEN)
            return CSU_E_LENGTH;
        csu_err err = csu_label_check(name->data);
        if (err != CSU_OK)
            return err;
        t->name_len = TOKV_NAME_LEN;
        memcpy(t->name, name->data, TOKV_NAME_LEN);
    }
    if (uad && uad->length > 0) {
        if (uad->length > sizeof(t->uad))
            return CSU_E_LENGTH;
        t->uad_len = (uint8_t)uad->length;
        memcpy(t->uad, uad->data, uad->length);
    }
    return CSU_OK;
}

/* A clear key or key part of @p bits from input block @p n. */
static csu_err in_key(const struct fw_ctx *ctx, unsigned n, uint8_t alg, uint32_t bits, struct wrapv_key *key)
{
    if (!tokv_key_bits_valid(alg, bits))
        return CSU_E_CLEAR_BITS;
    const struct csu_wire_block *b = in_block(ctx, n);
    if (!b)
        return CSU_E_NULL_POINTER;
    if (b->length != bits / 8u)
        return CSU_E_LENGTH;
    key->bits = bits;
    memcpy(key->bytes, b->data, b->length);
    return CSU_OK;
}

/* ---- AES master key -------------------------------------------------------- */

static csu_err mk_current(struct fw_ctx *ctx, uint8_t mk[WRAPV_MK_LEN], uint8_t vp[MK_VP_LEN])
{
    pthread_mutex_lock(&ctx->card->lock);
    csu_err err = card_mk_current(&ctx->card->state, MK_AES, mk, vp);
    pthread_mutex_unlock(&ctx->card->lock);
    return err;
}

static csu_err mk_find(struct fw_ctx *ctx, const uint8_t vp[MK_VP_LEN], uint8_t mk[WRAPV_MK_LEN], bool *old)
{
    pthread_mutex_lock(&ctx->card->lock);
    csu_err err = card_mk_find(&ctx->card->state, MK_AES, vp, mk, old);
    pthread_mutex_unlock(&ctx->card->lock);
    return err;
}

/* The new-master-key register, for RTNMK: it must be full. */
static csu_err mk_new(struct fw_ctx *ctx, uint8_t mk[WRAPV_MK_LEN], uint8_t vp[MK_VP_LEN])
{
    csu_err err = CSU_OK;
    pthread_mutex_lock(&ctx->card->lock);
    const struct card_mk_set *m = &ctx->card->state.mk[MK_AES];
    if (m->nmk_state != NMK_FULL) {
        err = CSU_E_MK_STATE;
    } else {
        memcpy(mk, m->nmk, WRAPV_MK_LEN);
        card_mk_vp(MK_AES, mk, vp);
    }
    pthread_mutex_unlock(&ctx->card->lock);
    return err;
}

/* Wrap @p key into @p t under the current master key. */
static csu_err seal_current(struct fw_ctx *ctx, struct tokv *t, const struct wrapv_key *key)
{
    uint8_t mk[WRAPV_MK_LEN], vp[MK_VP_LEN];
    csu_err err = mk_current(ctx, mk, vp);
    if (err == CSU_OK)
        err = wrapv_seal(t, mk, vp, key);
    OPENSSL_cleanse(mk, sizeof(mk));
    return err;
}

/*
 * The clear key of a token: a clear token's payload, or the unwrapped key
 * of an internal one (@p old set when that took the old master key).
 */
static csu_err token_key(struct fw_ctx *ctx, const struct tokv *t, struct wrapv_key *key, bool *old)
{
    *old = false;
    switch (t->kms) {
    case TOKV_KMS_CLEAR:
        key->bits = t->payload_bits;
        memcpy(key->bytes, t->payload, t->payload_bits / 8u);
        return CSU_OK;
    case TOKV_KMS_MK: {
        uint8_t mk[WRAPV_MK_LEN];
        csu_err err = mk_find(ctx, t->kvp, mk, old);
        if (err == CSU_OK)
            err = wrapv_open(t, mk, key);
        OPENSSL_cleanse(mk, sizeof(mk));
        return err;
    }
    case TOKV_KMS_KEK: /* under a transport key: only CSNBKYT2 opens it, with its KEK (kyt2_external_key) */
        return CSU_E_KEY_USE;
    default:
        return CSU_E_TOKEN_NULL; /* a skeleton holds no key */
    }
}

static void warn_if_old(struct fw_ctx *ctx, bool old)
{
    if (old)
        ctx->rep.reason_code = REASON_OLD_MK;
}

/* ---- CSNBKTB2 ---------------------------------------------------------------- */

csu_err fw_csnbktb2(struct fw_ctx *ctx)
{
    struct tokv_request rq;
    struct wrapv_key key = {0};
    uint32_t bits = 0, capacity = fw_out_capacity(ctx);
    csu_err err = tokv_ktb2_parse(ctx->req->rule_count, ctx->req->rules, &rq);
    if (err == CSU_OK)
        err = apply_name_uad(ctx, 3, 4, &rq.tok);
    if (err == CSU_OK && rq.key_clear)
        err = in_u32(ctx, 1, 0, &bits);
    if (err == CSU_OK && rq.key_clear)
        err = in_key(ctx, 2, rq.tok.alg, bits, &key);
    if (err == CSU_OK && rq.key_clear) {
        rq.tok.kms = TOKV_KMS_CLEAR;
        rq.tok.payload_bits = (uint16_t)key.bits;
        memcpy(rq.tok.payload, key.bytes, key.bits / 8u);
    }
    if (err == CSU_OK)
        err = emit_token(ctx, CSU_TAG_OUT(1), &rq.tok, capacity);
    OPENSSL_cleanse(&key, sizeof(key));
    tokv_wipe(&rq.tok);
    return err;
}

/* ---- CSNBKGN2 ---------------------------------------------------------------- */

enum { KGN2_G_ALG = 0, KGN2_G_FORM = 1 };

/*
 * Key forms (reference §1.4): first two characters key 1, last two key 2.
 * OP: internal, under the AES master key; IM / EX: external, under the
 * AES IMPORTER / EXPORTER given as KEK_key_identifier_n (IN 12 / 13).
 */
enum kgn2_dest { DEST_OP, DEST_IM, DEST_EX };
static const struct {
    unsigned count;
    enum kgn2_dest dest[2];
} kgn2_forms[] = {
    {1, {DEST_OP, DEST_OP}}, {2, {DEST_OP, DEST_OP}}, {1, {DEST_EX, DEST_OP}}, {1, {DEST_IM, DEST_OP}},
    {2, {DEST_OP, DEST_EX}}, {2, {DEST_OP, DEST_IM}}, {2, {DEST_EX, DEST_EX}}, {2, {DEST_IM, DEST_EX}},
    {2, {DEST_IM, DEST_IM}},
};

static const struct csu_keyword kgn2_words[] = {
    {"AES", KGN2_G_ALG, TOKV_ALG_AES}, {"HMAC", KGN2_G_ALG, TOKV_ALG_HMAC}, {"OP", KGN2_G_FORM, 0},
    {"OPOP", KGN2_G_FORM, 1},          {"EX", KGN2_G_FORM, 2},              {"IM", KGN2_G_FORM, 3},
    {"OPEX", KGN2_G_FORM, 4},          {"OPIM", KGN2_G_FORM, 5},            {"EXEX", KGN2_G_FORM, 6},
    {"IMEX", KGN2_G_FORM, 7},          {"IMIM", KGN2_G_FORM, 8},
};
static const struct csu_rule_spec kgn2_spec = {kgn2_words, sizeof(kgn2_words) / sizeof(kgn2_words[0]), 2, 2,
                                               (1u << KGN2_G_ALG) | (1u << KGN2_G_FORM)};

/* key_type_1/2: TOKEN (skeleton supplied) or a key type. */
#define KEY_TYPE_TOKEN 0xFFFFu
static const struct csu_keyword key_type_words[] = {
    {"TOKEN", 0, KEY_TYPE_TOKEN}, {"CIPHER", 0, TOKV_CIPHER},     {"MAC", 0, TOKV_MAC},
    {"EXPORTER", 0, TOKV_EXPORTER}, {"IMPORTER", 0, TOKV_IMPORTER},
};
static const struct csu_rule_spec key_type_spec = {key_type_words, 5, 1, 1, 1u};

/*
 * The token generated key @p i (1 or 2) goes into, before the key.  A
 * supplied skeleton must be internal for OP; IM/EX take an internal or
 * external one and make it external.
 */
static csu_err kgn2_skeleton(const struct fw_ctx *ctx, unsigned i, uint8_t alg, enum kgn2_dest dest, struct tokv *t)
{
    const struct csu_wire_block *kt = in_block(ctx, 1 + i); /* IN(2) / IN(3) */
    struct csu_rule_result r;
    if (!kt || kt->length != CSU_RULE_WORD)
        return CSU_E_NULL_POINTER;
    if (csu_rules_parse(&key_type_spec, 1, kt->data, &r) != CSU_OK)
        return CSU_E_KEY_TYPE;
    csu_err err;
    if (r.value[0] == KEY_TYPE_TOKEN) {
        err = in_token(ctx, 7 + i, t); /* IN(8) / IN(9) */
        if (err == CSU_E_NULL_POINTER || err == CSU_E_TOKEN_NULL)
            return CSU_E_GENERATED_ID;
        if (err == CSU_OK && (t->kms != TOKV_KMS_NONE || t->alg != alg ||
                              (dest == DEST_OP && t->id != TOKV_ID_INTERNAL)))
            err = CSU_E_GENERATED_ID;
    } else {
        err = tokv_default_skeleton(alg, (uint16_t)r.value[0], t);
    }
    t->id = dest == DEST_OP ? TOKV_ID_INTERNAL : TOKV_ID_EXTERNAL;
    if (err == CSU_OK)
        err = apply_name_uad(ctx, 3 + i, 5 + i, t); /* names IN(4)/(5), user AD IN(6)/(7) */
    if (err == CSU_OK)
        tokv_set_parts(t, 0); /* a generated key is complete */
    return err;
}

/*
 * The clear key of an AES key-encrypting key (input block @p n): an
 * internal, complete AES @p type token (EXPORTER or IMPORTER) whose KUF1
 * allows export / import.  Anything else is 8/39, the fixed-length
 * tokens' "control vector does not permit" (docs/tokens-v5.md).
 */
static csu_err kek_key(struct fw_ctx *ctx, unsigned n, uint16_t type, struct wrapv_key *kek, bool *old)
{
    struct tokv t;
    uint16_t use = type == TOKV_EXPORTER ? TOKV_KUF1_EXPORT : TOKV_KUF1_IMPORT;
    csu_err err = in_token(ctx, n, &t);
    if (err == CSU_OK && (t.id != TOKV_ID_INTERNAL || t.alg != TOKV_ALG_AES || t.key_type != type ||
                          t.kuf_count < 1 || (t.kuf[0] & use) != use))
        err = CSU_E_CV;
    if (err == CSU_OK && (t.kms != TOKV_KMS_MK || !tokv_is_complete(&t)))
        err = CSU_E_KEY_USE;
    if (err == CSU_OK)
        err = token_key(ctx, &t, kek, old);
    tokv_wipe(&t);
    return err;
}

/* Wrap the generated key into token @p i (0, 1): under the master key, or its KEK (IN 12 / 13). */
static csu_err kgn2_seal(struct fw_ctx *ctx, enum kgn2_dest dest, unsigned i, struct tokv *t,
                         const struct wrapv_key *key)
{
    if (dest == DEST_OP)
        return seal_current(ctx, t, key);
    struct wrapv_key kek = {0};
    bool old = false;
    csu_err err = kek_key(ctx, 12 + i, dest == DEST_EX ? TOKV_EXPORTER : TOKV_IMPORTER, &kek, &old);
    if (err == CSU_OK)
        err = wrapv_seal_kek(t, &kek, key);
    if (err == CSU_OK)
        warn_if_old(ctx, old);
    OPENSSL_cleanse(&kek, sizeof(kek));
    return err;
}

csu_err fw_csnbkgn2(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&kgn2_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    uint8_t alg = (uint8_t)r.value[KGN2_G_ALG];
    unsigned count = kgn2_forms[r.value[KGN2_G_FORM]].count;
    const enum kgn2_dest *dest = kgn2_forms[r.value[KGN2_G_FORM]].dest;
    struct tokv tok[2];
    struct wrapv_key key = {0};
    uint32_t bits = 0, capacity[2] = {0, 0};
    err = in_u32(ctx, 1, 0, &bits);
    for (unsigned i = 0; err == CSU_OK && i < count; i++) {
        err = in_u32(ctx, 10 + i, 0, &capacity[i]);
        if (err == CSU_OK)
            err = kgn2_skeleton(ctx, i + 1, alg, dest[i], &tok[i]);
    }
    if (err == CSU_OK && !tokv_key_bits_valid(alg, bits))
        err = CSU_E_CLEAR_BITS;
    if (err == CSU_OK) {
        key.bits = bits;
        err = card_drbg_generate(ctx->worker->drbg, key.bytes, bits / 8u, NULL, 0);
    }
    for (unsigned i = 0; err == CSU_OK && i < count; i++)
        err = kgn2_seal(ctx, dest[i], i, &tok[i], &key); /* the same key in both tokens */
    for (unsigned i = 0; err == CSU_OK && i < count; i++)
        err = emit_token(ctx, CSU_TAG_OUT(1 + i), &tok[i], capacity[i]);
    OPENSSL_cleanse(&key, sizeof(key));
    return err;
}

/* ---- CSNBKPI2 ---------------------------------------------------------------- */

enum { KPI2_G_ALG = 0, KPI2_G_ACTION = 1, KPI2_G_MIN = 2 };
enum { KPI2_FIRST = 1, KPI2_ADD = 2, KPI2_COMPLETE = 3 };
/* Parts the key still needs before COMPLETE, as KMF2 records them (tok_var.h). */
#define KPI2_DEFAULT_MIN 2u

static const struct csu_keyword kpi2_words[] = {
    {"AES", KPI2_G_ALG, TOKV_ALG_AES},        {"HMAC", KPI2_G_ALG, TOKV_ALG_HMAC},
    {"FIRST", KPI2_G_ACTION, KPI2_FIRST},     {"ADD-PART", KPI2_G_ACTION, KPI2_ADD},
    {"COMPLETE", KPI2_G_ACTION, KPI2_COMPLETE}, {"MIN1PART", KPI2_G_MIN, 1},
    {"MIN2PART", KPI2_G_MIN, 2},              {"MIN3PART", KPI2_G_MIN, 3},
};
static const struct csu_rule_spec kpi2_spec = {kpi2_words, sizeof(kpi2_words) / sizeof(kpi2_words[0]), 2, 3,
                                               (1u << KPI2_G_ALG) | (1u << KPI2_G_ACTION)};

/* FIRST: the skeleton receives the first part and the number of parts. */
static csu_err kpi2_first(struct fw_ctx *ctx, const struct csu_rule_result *r, struct tokv *t)
{
    if (t->kms != TOKV_KMS_NONE)
        return CSU_E_NEED_SKELETON;
    if (t->kmf_count < 2) /* nowhere to record completeness */
        return CSU_E_TOKEN_CONSISTENCY;
    unsigned parts = csu_rules_value(r, KPI2_G_MIN, tokv_parts(t));
    struct wrapv_key part = {0};
    uint32_t bits = 0;
    csu_err err = in_u32(ctx, 1, 0, &bits);
    if (err == CSU_OK)
        err = in_key(ctx, 2, t->alg, bits, &part);
    if (err == CSU_OK) {
        tokv_set_parts(t, parts ? parts : KPI2_DEFAULT_MIN);
        err = seal_current(ctx, t, &part);
    }
    OPENSSL_cleanse(&part, sizeof(part));
    return err;
}

/* XOR @p part into @p key (same length). */
static void xor_part(struct wrapv_key *key, const struct wrapv_key *part)
{
    for (unsigned i = 0; i < key->bits / 8u; i++)
        key->bytes[i] ^= part->bytes[i];
}

/* ADD-PART and COMPLETE: the token holds a key under construction. */
static csu_err kpi2_next(struct fw_ctx *ctx, uint32_t action, struct tokv *t)
{
    if (t->kms == TOKV_KMS_NONE)
        return CSU_E_KEY_INCOMPLETE;
    if (t->kms != TOKV_KMS_MK)
        return CSU_E_TOKEN_HEADER;
    unsigned parts = tokv_parts(t);
    if (action == KPI2_ADD && parts == 0)
        return CSU_E_KEY_COMPLETE;
    if (action == KPI2_COMPLETE && parts != 1)
        return CSU_E_KEY_INCOMPLETE;
    struct wrapv_key key = {0}, part = {0};
    bool old = false;
    uint32_t bits = 0;
    csu_err err = token_key(ctx, t, &key, &old);
    if (err == CSU_OK && action == KPI2_ADD) {
        err = in_u32(ctx, 1, 0, &bits);
        if (err == CSU_OK && bits != key.bits)
            err = CSU_E_CLEAR_BITS;
        if (err == CSU_OK)
            err = in_key(ctx, 2, t->alg, bits, &part);
        if (err == CSU_OK)
            xor_part(&key, &part);
    }
    if (err == CSU_OK) {
        tokv_set_parts(t, action == KPI2_COMPLETE ? 0 : (parts > 1 ? parts - 1 : 1));
        err = seal_current(ctx, t, &key);
    }
    if (err == CSU_OK)
        warn_if_old(ctx, old);
    OPENSSL_cleanse(&key, sizeof(key));
    OPENSSL_cleanse(&part, sizeof(part));
    return err;
}

csu_err fw_csnbkpi2(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    struct tokv t;
    csu_err err = csu_rules_parse(&kpi2_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    uint32_t action = r.value[KPI2_G_ACTION];
    if ((r.present & (1u << KPI2_G_MIN)) && action != KPI2_FIRST)
        return CSU_E_RULE_CONFLICT;
    err = in_token(ctx, 3, &t);
    if (err == CSU_OK && t.alg != r.value[KPI2_G_ALG])
        err = CSU_E_RULE_CONFLICT;
    if (err == CSU_OK && t.id != TOKV_ID_INTERNAL)
        err = CSU_E_TOKEN_HEADER;
    if (err == CSU_OK)
        err = action == KPI2_FIRST ? kpi2_first(ctx, &r, &t) : kpi2_next(ctx, action, &t);
    if (err == CSU_OK)
        err = emit_token(ctx, CSU_TAG_OUT(1), &t, fw_out_capacity(ctx));
    tokv_wipe(&t);
    return err;
}

/* ---- CSNBKYT2 ---------------------------------------------------------------- */

enum { KYT2_G_ACTION = 0, KYT2_G_ALG = 1, KYT2_G_METHOD = 2 };
enum { KYT2_GENERATE = 1, KYT2_VERIFY = 2 };
enum { METHOD_SHA256 = 1, METHOD_SHAVP1 = 2 };
#define KYT2_AES_VP_LEN 8u
#define KYT2_HMAC_VP_LEN 16u

static const struct csu_keyword kyt2_words[] = {
    {"GENERATE", KYT2_G_ACTION, KYT2_GENERATE}, {"VERIFY", KYT2_G_ACTION, KYT2_VERIFY},
    {"AES", KYT2_G_ALG, TOKV_ALG_AES},          {"HMAC", KYT2_G_ALG, TOKV_ALG_HMAC},
    {"SHA-256", KYT2_G_METHOD, METHOD_SHA256},  {"SHAVP1", KYT2_G_METHOD, METHOD_SHAVP1},
};
static const struct csu_rule_spec kyt2_spec = {kyt2_words, sizeof(kyt2_words) / sizeof(kyt2_words[0]), 1, 3,
                                               1u << KYT2_G_ACTION};

/*
 * The check value: SHA-256 method (AES) = Trunc64(SHA-256(X'01' || K));
 * SHAVP1 (HMAC) = Trunc128(SHA-256(X'03' || X'0002' || bitlen(2) || K)).
 */
static csu_err check_value(uint32_t method, const struct wrapv_key *key, uint8_t *vp, size_t *vp_len)
{
    uint8_t prefix[5] = {0x01}, md[32];
    size_t prefix_len = 1;
    if (method == METHOD_SHAVP1) {
        prefix[0] = 0x03;
        csu_store_be16(prefix + 1, 0x0002);
        csu_store_be16(prefix + 3, (uint16_t)key->bits);
        prefix_len = 5;
    }
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c)
        return CSU_E_NOMEM;
    bool ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(c, prefix, prefix_len) == 1 &&
              EVP_DigestUpdate(c, key->bytes, key->bits / 8u) == 1 && EVP_DigestFinal_ex(c, md, NULL) == 1;
    EVP_MD_CTX_free(c);
    *vp_len = method == METHOD_SHAVP1 ? KYT2_HMAC_VP_LEN : KYT2_AES_VP_LEN;
    memcpy(vp, md, *vp_len);
    OPENSSL_cleanse(md, sizeof(md));
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

/* The method the keywords and the token's algorithm select. */
static csu_err kyt2_method(const struct csu_rule_result *r, const struct tokv *t, uint32_t *method)
{
    uint32_t natural = t->alg == TOKV_ALG_HMAC ? METHOD_SHAVP1 : METHOD_SHA256;
    if (csu_rules_value(r, KYT2_G_ALG, t->alg) != t->alg)
        return CSU_E_RULE_CONFLICT;
    *method = csu_rules_value(r, KYT2_G_METHOD, natural);
    return *method == natural ? CSU_OK : CSU_E_RULE_CONFLICT;
}

/* VERIFY: rc 4/1 when the caller's pattern differs. */
static csu_err kyt2_verify(struct fw_ctx *ctx, const uint8_t *vp, size_t vp_len)
{
    const struct csu_wire_block *given = in_block(ctx, 2);
    if (!given)
        return CSU_E_NULL_POINTER;
    if (given->length < vp_len)
        return CSU_E_LENGTH;
    if (CRYPTO_memcmp(given->data, vp, vp_len) != 0) {
        ctx->rep.return_code = 4;
        ctx->rep.reason_code = 1;
    }
    return CSU_OK;
}

/* GENERATE: the pattern, if the caller's buffer takes it. */
static csu_err kyt2_emit(struct fw_ctx *ctx, const uint8_t *vp, size_t vp_len)
{
    if (vp_len > fw_out_capacity(ctx))
        return CSU_E_LENGTH;
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), vp_len);
    if (!out)
        return CSU_E_NOMEM;
    memcpy(out, vp, vp_len);
    return CSU_OK;
}

/* An external token's key, under the KEK given in IN(3): the EXPORTER or IMPORTER whose copy it is. */
static csu_err kyt2_external_key(struct fw_ctx *ctx, const struct tokv *t, struct wrapv_key *key, bool *old)
{
    const struct csu_wire_block *b = in_block(ctx, 3);
    if (!b)
        return CSU_E_NULL_POINTER; /* the KEK identifier is required for an external token */
    struct wrapv_key kek = {0};
    bool importer = b->length > 43 && csu_load_be16(b->data + 42) == TOKV_IMPORTER;
    csu_err err = kek_key(ctx, 3, importer ? TOKV_IMPORTER : TOKV_EXPORTER, &kek, old);
    if (err == CSU_OK)
        err = wrapv_open_kek(t, &kek, key);
    OPENSSL_cleanse(&kek, sizeof(kek));
    return err;
}

csu_err fw_csnbkyt2(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    struct tokv t;
    struct wrapv_key key = {0};
    uint8_t vp[KYT2_HMAC_VP_LEN];
    size_t vp_len = 0;
    uint32_t method = 0;
    bool old = false;
    csu_err err = csu_rules_parse(&kyt2_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err == CSU_OK)
        err = in_token(ctx, 1, &t);
    if (err == CSU_OK)
        err = kyt2_method(&r, &t, &method);
    if (err == CSU_OK)
        err = t.kms == TOKV_KMS_KEK ? kyt2_external_key(ctx, &t, &key, &old) : token_key(ctx, &t, &key, &old);
    if (err == CSU_OK)
        err = check_value(method, &key, vp, &vp_len);
    if (err == CSU_OK)
        warn_if_old(ctx, old);
    if (err == CSU_OK)
        err = r.value[KYT2_G_ACTION] == KYT2_VERIFY ? kyt2_verify(ctx, vp, vp_len) : kyt2_emit(ctx, vp, vp_len);
    OPENSSL_cleanse(&key, sizeof(key));
    tokv_wipe(&t);
    return err;
}

/* ---- CSNBKTC2 ---------------------------------------------------------------- */

enum { KTC2_G_ALG = 0, KTC2_G_ACTION = 1 };
enum { KTC2_RTCMK = 1, KTC2_RTNMK = 2 };

static const struct csu_keyword ktc2_words[] = {
    {"AES", KTC2_G_ALG, TOKV_ALG_AES},
    {"HMAC", KTC2_G_ALG, TOKV_ALG_HMAC},
    {"RTCMK", KTC2_G_ACTION, KTC2_RTCMK},
    {"RTNMK", KTC2_G_ACTION, KTC2_RTNMK},
};
static const struct csu_rule_spec ktc2_spec = {ktc2_words, 4, 2, 2, (1u << KTC2_G_ALG) | (1u << KTC2_G_ACTION)};

/*
 * RTCMK: to the current MK, RTNMK: to the new MK; a token already there
 * comes back unchanged.  The key is unwrapped either way, so a damaged
 * token is never returned as if it were good.
 */
static csu_err ktc2_change(struct fw_ctx *ctx, uint32_t action, struct tokv *t)
{
    struct wrapv_key key = {0};
    uint8_t mk[WRAPV_MK_LEN], vp[MK_VP_LEN];
    bool old;
    csu_err err = token_key(ctx, t, &key, &old);
    if (err == CSU_OK)
        err = action == KTC2_RTCMK ? mk_current(ctx, mk, vp) : mk_new(ctx, mk, vp);
    if (err == CSU_OK && CRYPTO_memcmp(t->kvp, vp, MK_VP_LEN) != 0)
        err = wrapv_seal(t, mk, vp, &key);
    OPENSSL_cleanse(&key, sizeof(key));
    OPENSSL_cleanse(mk, sizeof(mk));
    return err;
}

csu_err fw_csnbktc2(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    struct tokv t;
    csu_err err = csu_rules_parse(&ktc2_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err == CSU_OK)
        err = in_token(ctx, 1, &t);
    if (err == CSU_OK && t.alg != r.value[KTC2_G_ALG])
        err = CSU_E_RULE_CONFLICT;
    /* Skeletons and clear keys have nothing under a master key: returned as they are. */
    if (err == CSU_OK && t.kms == TOKV_KMS_MK)
        err = ktc2_change(ctx, r.value[KTC2_G_ACTION], &t);
    if (err == CSU_OK)
        err = emit_token(ctx, CSU_TAG_OUT(1), &t, fw_out_capacity(ctx));
    tokv_wipe(&t);
    return err;
}
