/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card halves of the fixed-length symmetric key verbs (host halves in
 * csu/verb_symkey.c): CSNBKTB, CSNBKGN, CSNBCKM, CSNBCKI, CSNBKPI,
 * CSNBKYT (and CSNBKYTX, which is CSNBKYT with a KEK), CSNBKTC.  Tokens: tok_fixed.h; CVs: tok_cv.h; wrapping under
 * the master keys: wrap_fixed.h.  Block numbering per verb is documented
 * in the host half.  Every frame is hostile: each block's length is
 * checked here again.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "card_mk.h"
#include "csu_rules.h"
#include "tok_cv.h"
#include "tok_fixed.h"
#include "wrap_fixed.h"

#define KW 8 /* keyword parameter width */

/* ---- shared helpers ------------------------------------------------------ */

/* The block @p tag when it holds exactly @p len bytes, else NULL. */
static const uint8_t *block_exact(const struct fw_ctx *ctx, uint16_t tag, size_t len)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, tag);
    return b && b->length == len ? b->data : NULL;
}

/* Copy and parse the 64-byte token in block @p tag. */
static csu_err token_in(const struct fw_ctx *ctx, uint16_t tag, uint8_t tok[TOK_FIXED_LEN], struct tok_fixed *info)
{
    const uint8_t *p = block_exact(ctx, tag, TOK_FIXED_LEN);
    if (!p)
        return CSU_E_LENGTH;
    memcpy(tok, p, TOK_FIXED_LEN);
    return tok_fixed_parse(tok, TOK_FIXED_LEN, info);
}

static csu_err token_out(struct fw_ctx *ctx, unsigned n, const uint8_t tok[TOK_FIXED_LEN])
{
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(n), TOK_FIXED_LEN);
    if (!out)
        return CSU_E_NOMEM;
    memcpy(out, tok, TOK_FIXED_LEN);
    return CSU_OK;
}

/* A key under the old master key was used: success with 0/10001 (reference §5.3). */
static void note_old_mk(struct fw_ctx *ctx, bool old)
{
    if (old)
        ctx->rep.reason_code = 10001;
}

/* Random DES key with odd parity whose 8-byte parts all differ (no replicated halves). */
static csu_err des_random_key(struct fw_ctx *ctx, uint8_t *key, size_t len)
{
    for (int tries = 0; tries < 16; tries++) {
        csu_err err = card_drbg_generate(ctx->worker->drbg, key, len, NULL, 0);
        if (err != CSU_OK)
            return err;
        des_fix_parity(key, len);
        bool distinct = true;
        for (size_t i = 8; i < len; i += 8)
            for (size_t j = 0; j < i; j += 8)
                distinct &= CRYPTO_memcmp(key + i, key + j, 8) != 0;
        if (distinct)
            return CSU_OK;
    }
    return CSU_E_CRYPTO;
}

/* Length keywords of CSNBKGN's key_length and CSNBKTB's rule array. */
struct len_word {
    const char *word;
    size_t len;
    enum cv_form form;
};

static const struct len_word len_words[] = {
    {"SINGLE", 8, CV_FORM_PLAIN},     {"KEYLN8", 8, CV_FORM_PLAIN},     {"DOUBLE", 16, CV_FORM_PLAIN},
    {"KEYLN16", 16, CV_FORM_PLAIN},   {"DOUBLE-O", 16, CV_FORM_DIFFERENT}, {"TRIPLE", 24, CV_FORM_PLAIN},
    {"KEYLN24", 24, CV_FORM_PLAIN},   {"TRIPLE-O", 24, CV_FORM_DIFFERENT}, {"KEYLN32", 32, CV_FORM_PLAIN},
};

/* The length keyword @p kw (blank: *len = 0), or CSU_E_KEY_LENGTH (8/43). */
static csu_err length_keyword(const uint8_t kw[KW], size_t *len, enum cv_form *form)
{
    *len = 0;
    *form = CV_FORM_PLAIN;
    if (cv_keyword_is(kw, KW, ""))
        return CSU_OK;
    for (size_t i = 0; i < sizeof(len_words) / sizeof(len_words[0]); i++)
        if (cv_keyword_is(kw, KW, len_words[i].word)) {
            *len = len_words[i].len;
            *form = len_words[i].form;
            return CSU_OK;
        }
    return CSU_E_KEY_LENGTH;
}

static bool aes_length_ok(size_t len, enum cv_form form)
{
    return (len == 16 || len == 24 || len == 32) && form == CV_FORM_PLAIN;
}

/* DES skeleton for a key-type keyword, a length and a form. */
static csu_err des_skeleton(const uint8_t type_kw[KW], size_t len, enum cv_form form, bool external,
                            uint8_t tok[TOK_FIXED_LEN])
{
    const struct cv_type *t = cv_type_find(type_kw);
    if (!t)
        return CSU_E_KEY_TYPE;
    if (len == 0 || len > 24)
        return CSU_E_KEY_LENGTH;
    uint8_t left[CV_LEN], right[CV_LEN];
    csu_err err = cv_default(t, len, form, left, right);
    if (err == CSU_OK)
        tok_fixed_build_des(tok, external, left, right);
    return err;
}

/* ---- CSNBKTB ------------------------------------------------------------- */

enum { KTB_G_TYPE, KTB_G_KEY, KTB_G_CV, KTB_G_ALG, KTB_G_LEN, KTB_G_PART };

static const struct csu_keyword ktb_words[] = {
    {"INTERNAL", KTB_G_TYPE, 0}, {"EXTERNAL", KTB_G_TYPE, 1}, {"NO-KEY", KTB_G_KEY, 0}, {"KEY", KTB_G_KEY, 1},
    {"NO-CV", KTB_G_CV, 0},      {"CV", KTB_G_CV, 1},         {"DES", KTB_G_ALG, 0},    {"AES", KTB_G_ALG, 1},
    {"SINGLE", KTB_G_LEN, 0},    {"KEYLN8", KTB_G_LEN, 1},    {"DOUBLE", KTB_G_LEN, 2}, {"KEYLN16", KTB_G_LEN, 3},
    {"DOUBLE-O", KTB_G_LEN, 4},  {"TRIPLE", KTB_G_LEN, 5},    {"KEYLN24", KTB_G_LEN, 6}, {"TRIPLE-O", KTB_G_LEN, 7},
    {"KEYLN32", KTB_G_LEN, 8},   {"KEY-PART", KTB_G_PART, 1},
};

static const struct csu_rule_spec ktb_spec = {ktb_words, sizeof(ktb_words) / sizeof(ktb_words[0]), 1, 6,
                                              1u << KTB_G_TYPE};

struct ktb_req {
    bool external, with_key, with_cv, key_part, has_len;
    size_t len;
    enum cv_form form;
};

static csu_err ktb_aes(const struct fw_ctx *ctx, const struct ktb_req *q, uint8_t tok[TOK_FIXED_LEN])
{
    const uint8_t *type = block_exact(ctx, CSU_TAG_IN(1), KW);
    if (q->external || q->with_cv || q->key_part)
        return CSU_E_RULE_CONFLICT; /* AES fixed-length tokens are internal DATA keys without CV */
    if (!cv_keyword_is(type, KW, "DATA") && !cv_keyword_is(type, KW, "AESDATA"))
        return CSU_E_KEY_TYPE;
    size_t len = q->has_len ? q->len : 32;
    if (!aes_length_ok(len, q->form))
        return CSU_E_KEY_LENGTH;
    tok_fixed_build_aes(tok, len);
    return CSU_OK;
}

/* The CV pair: the caller's (CV keyword) or the key type's default. */
static csu_err ktb_des_cv(const struct fw_ctx *ctx, const struct ktb_req *q, size_t *len, uint8_t left[CV_LEN],
                          uint8_t right[CV_LEN])
{
    const uint8_t *type = block_exact(ctx, CSU_TAG_IN(1), KW);
    if (cv_keyword_is(type, KW, "CLRDES") || cv_keyword_is(type, KW, "CLRAES"))
        return CSU_E_UNAVAILABLE; /* clear-key tokens are not built by this card */
    bool use_cv = cv_keyword_is(type, KW, "USE-CV");
    if (use_cv && !q->with_cv)
        return CSU_E_RULE_MISSING;
    if (!use_cv && !cv_type_find(type))
        return CSU_E_KEY_TYPE;
    if (!q->with_cv) {
        *len = q->has_len ? q->len : 8;
        uint8_t skel[TOK_FIXED_LEN];
        csu_err err = des_skeleton(type, *len, q->form, false, skel);
        memcpy(left, skel + TOK_OFF_CV_LEFT, CV_LEN);
        memcpy(right, skel + TOK_OFF_CV_RIGHT, CV_LEN);
        return err;
    }
    const uint8_t *cv = block_exact(ctx, CSU_TAG_IN(3), 2 * CV_LEN);
    if (!cv)
        return CSU_E_NULL_POINTER;
    memcpy(left, cv, CV_LEN);
    memcpy(right, cv + CV_LEN, CV_LEN);
    *len = cv_key_length(left);
    if (*len == 0 || !cv_parity_ok(left) || !cv_parity_ok(right))
        return CSU_E_CV;
    return q->has_len && q->len != *len ? CSU_E_TYPE_LENGTH : CSU_OK;
}

static csu_err ktb_des(const struct fw_ctx *ctx, const struct ktb_req *q, uint8_t tok[TOK_FIXED_LEN])
{
    uint8_t left[CV_LEN], right[CV_LEN];
    size_t len = 0;
    csu_err err = ktb_des_cv(ctx, q, &len, left, right);
    if (err != CSU_OK)
        return err;
    if (q->key_part) {
        cv_set_key_part(left, true);
        if (len > 8)
            cv_set_key_part(right, true);
    }
    tok_fixed_build_des(tok, q->external, left, right);
    /* The right CV of a single-length key must be zero: recheck what the caller gave. */
    struct tok_fixed info;
    return tok_fixed_parse(tok, TOK_FIXED_LEN, &info) == CSU_OK ? CSU_OK : CSU_E_CV;
}

/* KEY: the caller's already enciphered key value goes into the token. */
static csu_err ktb_key_value(struct fw_ctx *ctx, const struct ktb_req *q, uint8_t tok[TOK_FIXED_LEN])
{
    struct tok_fixed info;
    csu_err err = tok_fixed_parse(tok, TOK_FIXED_LEN, &info);
    size_t n = info.kind == TOK_AES_INTERNAL ? TOK_AES_KEY_FIELD : info.key_len;
    const uint8_t *value = block_exact(ctx, CSU_TAG_IN(2), n);
    if (err != CSU_OK)
        return err;
    if (!value)
        return CSU_E_LENGTH;
    if (!q->external)
        return wrap_fixed_adopt(ctx->card, tok, value, n);
    memcpy(tok + TOK_OFF_KEY_A, value, n >= 8 ? 8 : 0);
    memcpy(tok + TOK_OFF_KEY_B, value + 8, n >= 16 ? 8 : 0);
    memcpy(tok + TOK_OFF_KEY_C, value + 16, n >= 24 ? 8 : 0);
    tok[TOK_OFF_FLAGS] |= TOK_FLAG_KEY;
    tok_fixed_seal(tok);
    return CSU_OK;
}

csu_err fw_csnbktb(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&ktb_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    if (!block_exact(ctx, CSU_TAG_IN(1), KW))
        return CSU_E_LENGTH;
    struct ktb_req q = {.external = r.value[KTB_G_TYPE] == 1,
                        .with_key = csu_rules_value(&r, KTB_G_KEY, 0) == 1,
                        .with_cv = csu_rules_value(&r, KTB_G_CV, 0) == 1,
                        .key_part = csu_rules_value(&r, KTB_G_PART, 0) == 1,
                        .has_len = (r.present & (1u << KTB_G_LEN)) != 0};
    if (q.has_len) {
        q.len = len_words[r.value[KTB_G_LEN]].len;
        q.form = len_words[r.value[KTB_G_LEN]].form;
    }
    uint8_t tok[TOK_FIXED_LEN];
    err = csu_rules_value(&r, KTB_G_ALG, 0) == 1 ? ktb_aes(ctx, &q, tok) : ktb_des(ctx, &q, tok);
    if (err == CSU_OK && q.with_key)
        err = ktb_key_value(ctx, &q, tok);
    if (err == CSU_OK)
        err = token_out(ctx, 1, tok);
    return err;
}

/* ---- CSNBKGN ------------------------------------------------------------- */

/*
 * key_form (reference §1.4): first two characters for key 1, last two for
 * key 2.  OP: internal, under the master key; IM: external, under an
 * IMPORTER (KEK_key_identifier_n); EX: external, under an EXPORTER.  gks:
 * the key-generate bit the KEK's CV must carry for this form (tok_cv.h).
 */
enum kgn_dest { KGN_OP, KGN_IM, KGN_EX };

struct kgn_form {
    const char *word;
    unsigned count;
    enum kgn_dest dest[2];
    uint8_t gks;
};

static const struct kgn_form kgn_forms[] = {
    {"OP", 1, {KGN_OP, KGN_OP}, 0},          {"IM", 1, {KGN_IM, KGN_OP}, CV_GKS_SAME},
    {"EX", 1, {KGN_EX, KGN_OP}, CV_GKS_SAME}, {"OPOP", 2, {KGN_OP, KGN_OP}, 0},
    {"OPIM", 2, {KGN_OP, KGN_IM}, CV_GKS_OP}, {"OPEX", 2, {KGN_OP, KGN_EX}, CV_GKS_OP},
    {"IMEX", 2, {KGN_IM, KGN_EX}, CV_GKS_IMEX}, {"EXEX", 2, {KGN_EX, KGN_EX}, CV_GKS_SAME},
    {"IMIM", 2, {KGN_IM, KGN_IM}, CV_GKS_SAME},
};

static const struct kgn_form *kgn_form(const uint8_t form[4])
{
    for (size_t i = 0; i < sizeof(kgn_forms) / sizeof(kgn_forms[0]); i++)
        if (cv_keyword_is(form, 4, kgn_forms[i].word))
            return &kgn_forms[i];
    return NULL;
}

/* A DES TOKEN skeleton for key form @p dest: OP needs an internal one; IM/EX take either, made external. */
static csu_err kgn_des_token(const uint8_t gen[TOK_FIXED_LEN], const struct tok_fixed *info, enum kgn_dest dest,
                             uint8_t tok[TOK_FIXED_LEN])
{
    if (dest == KGN_OP && info->kind == TOK_DES_EXTERNAL)
        return CSU_E_GENERATED_ID;
    memcpy(tok, gen, TOK_FIXED_LEN);
    tok_fixed_strip_key(tok, info);
    tok[TOK_OFF_TYPE] = dest == KGN_OP ? TOK_TYPE_INTERNAL : TOK_TYPE_EXTERNAL;
    tok_fixed_seal(tok);
    return CSU_OK;
}

/* The skeleton a generated key goes into, from key_type and the generated identifier. */
static csu_err kgn_skeleton(const uint8_t type[KW], const uint8_t gen[TOK_FIXED_LEN], size_t len, enum cv_form form,
                            enum kgn_dest dest, uint8_t tok[TOK_FIXED_LEN], size_t *key_len)
{
    bool aes_token = cv_keyword_is(type, KW, "AESTOKEN"), token = cv_keyword_is(type, KW, "TOKEN");
    struct tok_fixed info = {0};
    if (aes_token || token) {
        if (tok_fixed_parse(gen, TOK_FIXED_LEN, &info) != CSU_OK || (aes_token && info.kind != TOK_AES_INTERNAL))
            return CSU_E_GENERATED_ID;
    }
    if (aes_token || (token && info.kind == TOK_AES_INTERNAL) || cv_keyword_is(type, KW, "AESDATA")) {
        if (dest != KGN_OP)
            return CSU_E_KEY_FORM; /* there are no external fixed-length AES tokens (reference §3.5) */
        *key_len = len ? len : (info.key_len ? info.key_len : 32); /* blank key_length: the skeleton's */
        if (!aes_length_ok(*key_len, form))
            return CSU_E_KEY_LENGTH;
        tok_fixed_build_aes(tok, *key_len);
        return CSU_OK;
    }
    if (token) {
        if (len && len != info.key_len)
            return CSU_E_TYPE_LENGTH;
        *key_len = info.key_len;
        return kgn_des_token(gen, &info, dest, tok);
    }
    *key_len = len;
    return des_skeleton(type, len, form, dest != KGN_OP, tok);
}

static csu_err kgn_random_key(struct fw_ctx *ctx, const uint8_t tok[TOK_FIXED_LEN], uint8_t *key, size_t len)
{
    if (tok[TOK_OFF_VERSION] == TOK_VERSION_AES)
        return card_drbg_generate(ctx->worker->drbg, key, len, NULL, 0);
    return des_random_key(ctx, key, len);
}

/* Key @p i (0, 1) into its token: under the master key, or under its KEK (IN5 / IN6). */
static csu_err kgn_wrap(struct fw_ctx *ctx, const struct kgn_form *f, unsigned i, uint8_t tok[TOK_FIXED_LEN],
                        const uint8_t *key, size_t len)
{
    if (f->dest[i] == KGN_OP)
        return wrap_fixed_wrap(ctx->card, tok, key, len);
    const uint8_t *kek_tok = block_exact(ctx, CSU_TAG_IN(5 + i), TOK_FIXED_LEN);
    if (!kek_tok)
        return CSU_E_LENGTH;
    uint8_t kek[WRAP_KEK_LEN];
    bool old = false;
    enum cv_kek kind = f->dest[i] == KGN_IM ? CV_KEK_IMPORTER : CV_KEK_EXPORTER;
    csu_err err = wrap_fixed_kek(ctx->card, kek_tok, kind, f->gks, kek, &old);
    if (err == CSU_OK)
        err = wrap_fixed_wrap_external(tok, kek, key, len);
    if (err == CSU_OK)
        note_old_mk(ctx, old);
    OPENSSL_cleanse(kek, sizeof(kek));
    return err;
}

/* The skeleton of key @p i (0, 1): key_type IN3/IN4, generated identifier IN7/IN8. */
static csu_err kgn_key_skeleton(const struct fw_ctx *ctx, const struct kgn_form *f, unsigned i, size_t len,
                                enum cv_form cvf, uint8_t tok[TOK_FIXED_LEN], size_t *key_len)
{
    const uint8_t *type = block_exact(ctx, CSU_TAG_IN(3 + i), KW), *gen = block_exact(ctx, CSU_TAG_IN(7 + i), 64);
    if (!type || !gen)
        return CSU_E_LENGTH;
    return kgn_skeleton(type, gen, len, cvf, f->dest[i], tok, key_len);
}

csu_err fw_csnbkgn(struct fw_ctx *ctx)
{
    const uint8_t *form = block_exact(ctx, CSU_TAG_IN(1), 4), *klen = block_exact(ctx, CSU_TAG_IN(2), KW);
    if (!form || !klen)
        return CSU_E_LENGTH;
    const struct kgn_form *f = kgn_form(form);
    size_t len, len1, len2 = 0;
    enum cv_form cvf;
    csu_err err = f ? length_keyword(klen, &len, &cvf) : CSU_E_KEY_FORM;
    uint8_t tok[2][TOK_FIXED_LEN], key[WRAP_MAX_KEY];
    if (err == CSU_OK)
        err = kgn_key_skeleton(ctx, f, 0, len, cvf, tok[0], &len1);
    if (err == CSU_OK && f->count == 2) {
        err = kgn_key_skeleton(ctx, f, 1, len, cvf, tok[1], &len2);
        if (err == CSU_OK && (len2 != len1 || tok[1][TOK_OFF_VERSION] != tok[0][TOK_OFF_VERSION]))
            err = CSU_E_TYPE_LENGTH;
    }
    if (err == CSU_OK)
        err = kgn_random_key(ctx, tok[0], key, len1);
    for (unsigned i = 0; err == CSU_OK && i < f->count; i++)
        err = kgn_wrap(ctx, f, i, tok[i], key, len1); /* the same key in both tokens */
    OPENSSL_cleanse(key, sizeof(key));
    for (unsigned i = 0; err == CSU_OK && i < f->count; i++)
        err = token_out(ctx, 1 + i, tok[i]);
    return err;
}

/* ---- CSNBCKM, CSNBCKI ---------------------------------------------------- */

static const struct csu_keyword ckm_words[] = {{"DES", 0, 0}, {"AES", 0, 1}};
static const struct csu_rule_spec ckm_spec = {ckm_words, 2, 0, 1, 0};

/* A DATA token of @p key (DES 8/16/24 or AES 16/24/32) under the current master key. */
static csu_err import_clear(struct fw_ctx *ctx, bool aes, const uint8_t *key, size_t len,
                            uint8_t tok[TOK_FIXED_LEN])
{
    static const uint8_t data[KW] = "DATA    ";
    csu_err err;
    if (aes) {
        if (!aes_length_ok(len, CV_FORM_PLAIN))
            return CSU_E_LENGTH;
        tok_fixed_build_aes(tok, len);
        err = CSU_OK;
    } else {
        err = len == 8 || len == 16 || len == 24 ? des_skeleton(data, len, CV_FORM_PLAIN, false, tok)
                                                  : CSU_E_LENGTH;
    }
    return err == CSU_OK ? wrap_fixed_wrap(ctx->card, tok, key, len) : err;
}

csu_err fw_csnbckm(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&ckm_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    if (!b)
        return CSU_E_LENGTH;
    uint8_t tok[TOK_FIXED_LEN];
    err = import_clear(ctx, csu_rules_value(&r, 0, 0) == 1, b->data, b->length, tok);
    return err == CSU_OK ? token_out(ctx, 1, tok) : err;
}

csu_err fw_csnbcki(struct fw_ctx *ctx)
{
    const uint8_t *clear = block_exact(ctx, CSU_TAG_IN(1), 8);
    if (!clear)
        return CSU_E_LENGTH;
    uint8_t tok[TOK_FIXED_LEN];
    struct tok_fixed info;
    /* An internal single-length DES token as target gives its CV; no target: DATA. */
    csu_err err = csu_wire_find(ctx->req, CSU_TAG_IN(2)) ? token_in(ctx, CSU_TAG_IN(2), tok, &info) : CSU_E_TOKEN_NULL;
    if (err == CSU_OK) {
        if (info.kind != TOK_DES_INTERNAL || info.key_len != 8)
            return CSU_E_KEY_USE;
        tok_fixed_strip_key(tok, &info);
        err = wrap_fixed_wrap(ctx->card, tok, clear, 8);
    } else if (err == CSU_E_TOKEN_NULL) {
        err = import_clear(ctx, false, clear, 8, tok);
    }
    return err == CSU_OK ? token_out(ctx, 1, tok) : err;
}

/* ---- CSNBKPI ------------------------------------------------------------- */

enum kpi_action { KPI_FIRST, KPI_MIDDLE, KPI_LAST, KPI_COMPLETE };

static const struct csu_keyword kpi_words[] = {
    {"FIRST", 0, KPI_FIRST}, {"MIDDLE", 0, KPI_MIDDLE}, {"ADD-PART", 0, KPI_MIDDLE},
    {"LAST", 0, KPI_LAST},   {"COMPLETE", 0, KPI_COMPLETE}, {"DES", 1, 0},
};
static const struct csu_rule_spec kpi_spec = {kpi_words, sizeof(kpi_words) / sizeof(kpi_words[0]), 1, 2, 1u};

/* Clear the KEY-PART bit of both CV halves: the key is complete. */
static void kpi_complete_cv(uint8_t tok[TOK_FIXED_LEN], struct tok_fixed *info)
{
    cv_set_key_part(info->cv_left, false);
    memcpy(tok + TOK_OFF_CV_LEFT, info->cv_left, CV_LEN);
    if (info->key_len > 8) {
        cv_set_key_part(info->cv_right, false);
        memcpy(tok + TOK_OFF_CV_RIGHT, info->cv_right, CV_LEN);
    }
}

/* A DOUBLE-O / TRIPLE-O CV (key-form bit 40 set) forbids replicated parts. */
static bool kpi_replicated(const struct tok_fixed *info, const uint8_t *key)
{
    if (info->key_len == 8 || !(info->cv_left[5] & 0x80u))
        return false;
    bool same = CRYPTO_memcmp(key, key + 8, 8) == 0;
    if (info->key_len == 24)
        same = same || CRYPTO_memcmp(key + 8, key + 16, 8) == 0 || CRYPTO_memcmp(key, key + 16, 8) == 0;
    return same;
}

/* The order rules: parts only into a KEY-PART token; FIRST only into one without a key. */
static csu_err kpi_check_state(enum kpi_action a, const struct tok_fixed *info)
{
    if (info->kind == TOK_AES_INTERNAL)
        return CSU_E_KEY_USE;
    if (info->kind != TOK_DES_INTERNAL)
        return CSU_E_TOKEN_HEADER;
    if (!cv_is_key_part(info->cv_left))
        return info->has_key ? CSU_E_KEY_COMPLETE : CSU_E_CV;
    if (a == KPI_FIRST)
        return info->has_key ? CSU_E_KEY_USE : CSU_OK;
    return info->has_key ? CSU_OK : CSU_E_KEY_INCOMPLETE;
}

static csu_err kpi_apply(struct fw_ctx *ctx, enum kpi_action a, uint8_t tok[TOK_FIXED_LEN], struct tok_fixed *info)
{
    uint8_t key[WRAP_MAX_KEY] = {0};
    bool old = false;
    csu_err err = CSU_OK;
    if (a != KPI_FIRST)
        err = wrap_fixed_unwrap(ctx->card, tok, info, key, &old);
    if (err == CSU_OK && a != KPI_COMPLETE) {
        const uint8_t *part = block_exact(ctx, CSU_TAG_IN(1), info->key_len);
        if (!part)
            err = CSU_E_LENGTH;
        for (size_t i = 0; part && i < info->key_len; i++)
            key[i] ^= part[i];
    }
    if (err == CSU_OK && (a == KPI_LAST || a == KPI_COMPLETE)) {
        if (kpi_replicated(info, key))
            err = CSU_E_REPLICATED;
        kpi_complete_cv(tok, info);
    }
    if (err == CSU_OK) {
        tok_fixed_strip_key(tok, info);
        err = wrap_fixed_wrap(ctx->card, tok, key, info->key_len);
    }
    OPENSSL_cleanse(key, sizeof(key));
    if (err == CSU_OK)
        note_old_mk(ctx, old);
    return err;
}

csu_err fw_csnbkpi(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&kpi_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    enum kpi_action a = (enum kpi_action)r.value[0];
    uint8_t tok[TOK_FIXED_LEN];
    struct tok_fixed info;
    err = token_in(ctx, CSU_TAG_IN(2), tok, &info);
    if (err == CSU_OK)
        err = kpi_check_state(a, &info);
    if (err == CSU_OK)
        err = kpi_apply(ctx, a, tok, &info);
    return err == CSU_OK ? token_out(ctx, 1, tok) : err;
}

/* ---- CSNBKYT ------------------------------------------------------------- */

enum { KYT_G_ACTION, KYT_G_KEY, KYT_G_MK, KYT_G_METHOD };
enum kyt_key { KYT_ENC, KYT_CLR, KYT_CLRD, KYT_CLRT, KYT_A128, KYT_A192, KYT_A256, KYT_KM, KYT_NKM, KYT_OKM };
enum kyt_method { KYT_DEFAULT, KYT_ENC_ZERO, KYT_SHA1, KYT_SHA256 };

static const struct csu_keyword kyt_words[] = {
    {"GENERATE", KYT_G_ACTION, 0}, {"VERIFY", KYT_G_ACTION, 1},  {"KEY-ENC", KYT_G_KEY, KYT_ENC},
    {"KEY-ENCD", KYT_G_KEY, KYT_ENC}, {"KEY-ENCT", KYT_G_KEY, KYT_ENC}, {"KEY-CLR", KYT_G_KEY, KYT_CLR},
    {"KEY-CLRD", KYT_G_KEY, KYT_CLRD}, {"KEY-CLRT", KYT_G_KEY, KYT_CLRT}, {"CLR-A128", KYT_G_KEY, KYT_A128},
    {"CLR-A192", KYT_G_KEY, KYT_A192}, {"CLR-A256", KYT_G_KEY, KYT_A256}, {"KEY-KM", KYT_G_KEY, KYT_KM},
    {"KEY-NKM", KYT_G_KEY, KYT_NKM}, {"KEY-OKM", KYT_G_KEY, KYT_OKM}, {"SYM-MK", KYT_G_MK, MK_SYM},
    {"ASYM-MK", KYT_G_MK, MK_ASYM}, {"AES-MK", KYT_G_MK, MK_AES},    {"APKA-MK", KYT_G_MK, MK_APKA},
    {"ENC-ZERO", KYT_G_METHOD, KYT_ENC_ZERO}, {"SHA-1", KYT_G_METHOD, KYT_SHA1},
    {"SHA-256", KYT_G_METHOD, KYT_SHA256},
};
static const struct csu_rule_spec kyt_spec = {kyt_words, sizeof(kyt_words) / sizeof(kyt_words[0]), 1, 5,
                                              1u << KYT_G_ACTION};

/* What is being tested: a clear value, DES or AES, of len bytes. */
struct kyt_subject {
    uint8_t key[32];
    size_t len;
    bool aes;
    bool master; /* a master-key register: the SHA methods hash X'01' || register */
};

static csu_err kyt_mk_register(struct fw_ctx *ctx, enum kyt_key which, enum mk_set set, struct kyt_subject *s)
{
    struct card_mk_set *m = &ctx->card->state.mk[set];
    csu_err err = CSU_OK;
    pthread_mutex_lock(&ctx->card->lock);
    const uint8_t *reg = which == KYT_KM ? (m->cmk_valid ? m->cmk : NULL)
                         : which == KYT_NKM ? (m->nmk_state == NMK_FULL ? m->nmk : NULL)
                                            : (m->omk_valid ? m->omk : NULL);
    if (reg) {
        s->len = mk_set_length(set);
        memcpy(s->key, reg, s->len);
    } else {
        err = CSU_E_MK_NOT_LOADED;
    }
    pthread_mutex_unlock(&ctx->card->lock);
    s->aes = set == MK_AES || set == MK_APKA;
    s->master = true;
    return err;
}

static csu_err kyt_subject(struct fw_ctx *ctx, const struct csu_rule_result *r, struct kyt_subject *s)
{
    static const size_t clear_len[] = {[KYT_CLR] = 8, [KYT_CLRD] = 16, [KYT_CLRT] = 24,
                                       [KYT_A128] = 16, [KYT_A192] = 24, [KYT_A256] = 32};
    enum kyt_key which = (enum kyt_key)csu_rules_value(r, KYT_G_KEY, KYT_ENC);
    memset(s, 0, sizeof(*s));
    if (which >= KYT_KM)
        return kyt_mk_register(ctx, which, (enum mk_set)csu_rules_value(r, KYT_G_MK, MK_SYM), s);
    if (which != KYT_ENC) {
        const uint8_t *clear = block_exact(ctx, CSU_TAG_IN(1), clear_len[which]);
        if (!clear)
            return CSU_E_LENGTH;
        s->len = clear_len[which];
        s->aes = which >= KYT_A128;
        memcpy(s->key, clear, s->len);
        return CSU_OK;
    }
    uint8_t tok[TOK_FIXED_LEN];
    struct tok_fixed info;
    bool old = false;
    csu_err err = token_in(ctx, CSU_TAG_IN(1), tok, &info);
    if (err == CSU_OK && !info.has_key)
        err = CSU_E_KEY_USE;
    /* CSNBKYTX: an external token is tested under its KEK (IN4); CSNBKYT sends none: 8/64. */
    const uint8_t *kek = block_exact(ctx, CSU_TAG_IN(4), TOK_FIXED_LEN);
    if (err == CSU_OK && info.kind == TOK_DES_EXTERNAL && kek)
        err = wrap_fixed_unwrap_external(ctx->card, tok, &info, kek, s->key, &old);
    else if (err == CSU_OK)
        err = wrap_fixed_unwrap(ctx->card, tok, &info, s->key, &old);
    s->len = info.key_len;
    s->aes = info.kind == TOK_AES_INTERNAL;
    if (err == CSU_OK)
        note_old_mk(ctx, old);
    return err;
}

/* ENC-ZERO: the leftmost 4 bytes of the key enciphering a zero block (ICSF: 4-byte pattern). */
static csu_err kyt_enc_zero(const struct kyt_subject *s, uint8_t v2[8])
{
    static const uint8_t zero[16];
    uint8_t k[32], out[16];
    const EVP_CIPHER *c;
    if (s->aes) {
        memcpy(k, s->key, s->len);
        c = s->len == 16 ? EVP_aes_128_ecb() : s->len == 24 ? EVP_aes_192_ecb() : EVP_aes_256_ecb();
    } else {
        /* Single: K,K,K; double: K1,K2,K1; triple as is. */
        for (size_t i = 0; i < 24; i++)
            k[i] = s->key[i < s->len ? i : i % (s->len == 8 ? 8 : 16)];
        c = EVP_des_ede3_ecb();
    }
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    bool ok = ctx && EVP_EncryptInit_ex(ctx, c, NULL, k, NULL) == 1 && EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
              EVP_EncryptUpdate(ctx, out, &n, zero, EVP_CIPHER_get_block_size(c)) == 1;
    EVP_CIPHER_CTX_free(ctx);
    memset(v2, 0, 8);
    memcpy(v2, out, 4);
    OPENSSL_cleanse(k, sizeof(k));
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

/* The pattern (value_1, value_2) of a subject; value_1 is an input (DES random number) or output. */
static csu_err kyt_pattern(const struct kyt_subject *s, enum kyt_method method, uint8_t v1[8], uint8_t v2[8],
                           bool *uses_v1)
{
    *uses_v1 = false;
    if (method == KYT_ENC_ZERO)
        return s->master ? CSU_E_RULE_CONFLICT : kyt_enc_zero(s, v2);
    bool sha256 = s->aes;
    if ((method == KYT_SHA1 && sha256) || (method == KYT_SHA256 && !sha256))
        return CSU_E_RULE_CONFLICT;
    uint8_t in[1 + 8 + 32], md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    size_t n = 0;
    if (s->master || s->aes) {
        in[n++] = 0x01; /* MKVP / AES KVP method: Trunc(H(X'01' || K)) */
    } else {
        memcpy(in, v1, 8); /* DES keys: H(random number || K) */
        n = 8;
        *uses_v1 = true;
    }
    memcpy(in + n, s->key, s->len);
    n += s->len;
    bool ok = EVP_Digest(in, n, md, &md_len, sha256 ? EVP_sha256() : EVP_sha1(), NULL) == 1;
    if (s->master && !sha256) { /* SYM/ASYM MK: bytes 0-7 → value_1, 8-15 → value_2 (reference §1.4) */
        memcpy(v1, md, 8);
        memcpy(v2, md + 8, 8);
        *uses_v1 = true;
    } else {
        memcpy(v2, md, 8);
    }
    OPENSSL_cleanse(in, sizeof(in));
    OPENSSL_cleanse(md, sizeof(md));
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

static csu_err kyt_generate(struct fw_ctx *ctx, const struct kyt_subject *s, enum kyt_method method)
{
    uint8_t v1[8] = {0}, v2[8];
    bool uses_v1;
    csu_err err = s->master || s->aes || method == KYT_ENC_ZERO
                      ? CSU_OK
                      : card_drbg_generate(ctx->worker->drbg, v1, sizeof(v1), NULL, 0);
    if (err == CSU_OK)
        err = kyt_pattern(s, method, v1, v2, &uses_v1);
    uint8_t *o1 = err == CSU_OK && uses_v1 ? fw_output(ctx, CSU_TAG_OUT(1), 8) : NULL;
    uint8_t *o2 = err == CSU_OK ? fw_output(ctx, CSU_TAG_OUT(2), 8) : NULL;
    if (err == CSU_OK && (!o2 || (uses_v1 && !o1)))
        err = CSU_E_NOMEM;
    if (err == CSU_OK) {
        if (o1)
            memcpy(o1, v1, 8);
        memcpy(o2, v2, 8);
    }
    return err;
}

static csu_err kyt_verify(struct fw_ctx *ctx, const struct kyt_subject *s, enum kyt_method method)
{
    const uint8_t *in1 = block_exact(ctx, CSU_TAG_IN(2), 8), *in2 = block_exact(ctx, CSU_TAG_IN(3), 8);
    if (!in2)
        return CSU_E_LENGTH;
    uint8_t v1[8] = {0}, v2[8];
    bool uses_v1;
    bool des_random = !s->master && !s->aes && method != KYT_ENC_ZERO;
    if (des_random && !in1)
        return CSU_E_LENGTH;
    if (in1 && des_random)
        memcpy(v1, in1, 8);
    csu_err err = kyt_pattern(s, method, v1, v2, &uses_v1);
    if (err != CSU_OK)
        return err;
    size_t n = method == KYT_ENC_ZERO ? 4 : 8;
    int diff = CRYPTO_memcmp(v2, in2, n);
    if (uses_v1 && !des_random)
        diff |= in1 ? CRYPTO_memcmp(v1, in1, 8) : 1;
    if (diff != 0) {
        ctx->rep.return_code = 4; /* verification failed: 4/1 */
        ctx->rep.reason_code = 1;
    }
    return CSU_OK;
}

csu_err fw_csnbkyt(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&kyt_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    enum kyt_key which = (enum kyt_key)csu_rules_value(&r, KYT_G_KEY, KYT_ENC);
    if ((r.present & (1u << KYT_G_MK)) && which < KYT_KM)
        return CSU_E_RULE_CONFLICT; /* a master-key selector goes with KEY-KM/NKM/OKM only */
    enum kyt_method method = (enum kyt_method)csu_rules_value(&r, KYT_G_METHOD, KYT_DEFAULT);
    if (which == KYT_CLRT && method != KYT_ENC_ZERO)
        return CSU_E_RULE_CONFLICT; /* clear triple keys: ENC-ZERO only (IBM usage notes) */
    struct kyt_subject s;
    err = kyt_subject(ctx, &r, &s);
    if (err == CSU_OK)
        err = r.value[KYT_G_ACTION] == 0 ? kyt_generate(ctx, &s, method) : kyt_verify(ctx, &s, method);
    OPENSSL_cleanse(&s, sizeof(s));
    return err;
}

/* ---- CSNBKTC ------------------------------------------------------------- */

enum { KTC_G_ACTION, KTC_G_ALG };
static const struct csu_keyword ktc_words[] = {
    {"RTCMK", KTC_G_ACTION, WRAP_TO_CURRENT}, {"RTNMK", KTC_G_ACTION, WRAP_TO_NEW},
    {"DES", KTC_G_ALG, TOK_DES_INTERNAL},     {"AES", KTC_G_ALG, TOK_AES_INTERNAL},
};
static const struct csu_rule_spec ktc_spec = {ktc_words, 4, 1, 2, 1u << KTC_G_ACTION};

csu_err fw_csnbktc(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&ktc_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    uint8_t tok[TOK_FIXED_LEN];
    struct tok_fixed info;
    err = token_in(ctx, CSU_TAG_IN(1), tok, &info);
    if (err != CSU_OK)
        return err;
    if (info.kind == TOK_DES_EXTERNAL)
        return CSU_E_TOKEN_HEADER; /* only internal tokens are under a master key */
    if ((r.present & (1u << KTC_G_ALG)) && r.value[KTC_G_ALG] != (uint32_t)info.kind)
        return CSU_E_KEY_USE; /* algorithm keyword names the other token family */
    bool changed = false;
    if (info.has_key)
        err = wrap_fixed_rewrap(ctx->card, tok, &info, (enum wrap_target)r.value[KTC_G_ACTION], &changed);
    return err == CSU_OK ? token_out(ctx, 1, tok) : err;
}
