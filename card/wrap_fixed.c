/* SPDX-License-Identifier: Apache-2.0 */
/* Wrapping fixed-length token keys under the master keys (wrap_fixed.h). */
#include "wrap_fixed.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "card_keycache.h"
#include "card_mk.h"
#include "csu_mu.h"

/* One cipher pass: ECB or CBC (IV zero), no padding, @p len a block multiple. */
static csu_err cipher_run(const EVP_CIPHER *c, const uint8_t *key, const uint8_t *in, uint8_t *out, size_t len,
                          bool encrypt)
{
    static const uint8_t zero_iv[16];
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    bool ok = ctx && EVP_CipherInit_ex(ctx, c, NULL, key, zero_iv, encrypt ? 1 : 0) == 1 &&
              EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 && EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 &&
              EVP_CipherFinal_ex(ctx, out + n, &fin) == 1 && (size_t)(n + fin) == len;
    EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

csu_err wrap_des_parts(const uint8_t kek[24], const uint8_t left[CV_LEN], const uint8_t right[CV_LEN],
                       const uint8_t *in, uint8_t *out, size_t len, bool encrypt)
{
    if (len != 8 && len != 16 && len != 24)
        return CSU_E_LENGTH;
    csu_err err = CSU_OK;
    uint8_t variant[24];
    for (size_t part = 0; part < len / 8 && err == CSU_OK; part++) {
        const uint8_t *cv = part == 1 ? right : left; /* A and C: left CV, B: right CV */
        for (size_t i = 0; i < sizeof(variant); i++)
            variant[i] = (uint8_t)(kek[i] ^ cv[i % CV_LEN]);
        err = cipher_run(EVP_des_ede3_ecb(), variant, in + 8 * part, out + 8 * part, 8, encrypt);
    }
    OPENSSL_cleanse(variant, sizeof(variant));
    return err;
}

csu_err wrap_aes_field(const uint8_t mk[32], const uint8_t in[32], uint8_t out[32], bool encrypt)
{
    return cipher_run(EVP_aes_256_cbc(), mk, in, out, TOK_AES_KEY_FIELD, encrypt);
}

uint8_t wrap_lrc(const uint8_t *key, size_t len)
{
    uint8_t lrc = 0;
    for (size_t i = 0; i < len; i++)
        lrc ^= key[i];
    return lrc;
}

static enum mk_set token_mk_set(enum tok_fixed_kind kind)
{
    return kind == TOK_AES_INTERNAL ? MK_AES : MK_SYM;
}

/* DES key parts live at 16 (A), 24 (B) and 48 (C): gather them into one buffer. */
static void des_parts_get(const uint8_t *tok, uint8_t parts[24])
{
    memcpy(parts, tok + TOK_OFF_KEY_A, 8);
    memcpy(parts + 8, tok + TOK_OFF_KEY_B, 8);
    memcpy(parts + 16, tok + TOK_OFF_KEY_C, 8);
}

static void des_parts_put(uint8_t *tok, const uint8_t parts[24], size_t len)
{
    memset(tok + TOK_OFF_KEY_A, 0, 16);
    memset(tok + TOK_OFF_KEY_C, 0, 8);
    memcpy(tok + TOK_OFF_KEY_A, parts, len >= 8 ? 8 : 0);
    memcpy(tok + TOK_OFF_KEY_B, parts + 8, len >= 16 ? 8 : 0);
    memcpy(tok + TOK_OFF_KEY_C, parts + 16, len >= 24 ? 8 : 0);
}

/* Unwrap with a master key already found; no lock needed. */
static csu_err unwrap_with(const uint8_t *mk, const uint8_t *tok, const struct tok_fixed *info,
                           uint8_t key[WRAP_MAX_KEY])
{
    csu_err err;
    if (info->kind == TOK_AES_INTERNAL) {
        uint8_t field[TOK_AES_KEY_FIELD];
        err = wrap_aes_field(mk, tok + TOK_OFF_AES_KEY, field, false);
        /* The LRC covers the key, and the padding must be zero: both show a wrong key or tampering. */
        uint8_t pad = 0;
        for (size_t i = info->key_len; i < sizeof(field); i++)
            pad |= field[i];
        if (err == CSU_OK && (pad != 0 || wrap_lrc(field, info->key_len) != tok[TOK_OFF_AES_LRC]))
            err = CSU_E_LRC;
        if (err == CSU_OK)
            memcpy(key, field, info->key_len);
        OPENSSL_cleanse(field, sizeof(field));
        return err;
    }
    uint8_t parts[24];
    des_parts_get(tok, parts);
    err = wrap_des_parts(mk, info->cv_left, info->cv_right, parts, key, info->key_len, false);
    OPENSSL_cleanse(parts, sizeof(parts));
    return err;
}

/* Wrap with a given master key and its pattern; no lock needed. */
static csu_err wrap_with(const uint8_t *mk, const uint8_t vp[MK_VP_LEN], uint8_t *tok, const struct tok_fixed *info,
                         const uint8_t *key)
{
    csu_err err;
    if (info->kind == TOK_AES_INTERNAL) {
        uint8_t field[TOK_AES_KEY_FIELD] = {0};
        memcpy(field, key, info->key_len);
        err = wrap_aes_field(mk, field, tok + TOK_OFF_AES_KEY, true);
        OPENSSL_cleanse(field, sizeof(field));
        tok[TOK_OFF_AES_LRC] = wrap_lrc(key, info->key_len);
        csu_store_be16(tok + TOK_OFF_AES_BITS, (uint16_t)(info->key_len * 8));
        csu_store_be16(tok + TOK_OFF_AES_ENC_LEN, TOK_AES_KEY_FIELD);
    } else {
        uint8_t parts[24] = {0};
        err = wrap_des_parts(mk, info->cv_left, info->cv_right, key, parts, info->key_len, true);
        des_parts_put(tok, parts, info->key_len);
    }
    tok[TOK_OFF_FLAGS] |= TOK_FLAG_KEY;
    memcpy(tok + TOK_OFF_MKVP, vp, MK_VP_LEN);
    tok_fixed_seal(tok);
    return err;
}

/*
 * Unwrap through the key cache: the master key was found (so 12/764, 8/48
 * and the old flag are fresh); the cache only saves the decipher and checks.
 */
static csu_err unwrap_cached(enum mk_set set, const uint8_t *mk, const uint8_t *tok, const struct tok_fixed *info,
                             uint8_t key[WRAP_MAX_KEY])
{
    struct kc_id id;
    size_t len = 0;
    bool cacheable = card_keycache_active() &&
                     card_keycache_id(KC_FIXED, set, tok, TOK_FIXED_LEN, mk, mk_set_length(set), &id) == CSU_OK;
    if (cacheable && card_keycache_get(&id, key, WRAP_MAX_KEY, &len, NULL, 0, NULL, NULL)) {
        if (len == info->key_len)
            return CSU_OK;
        OPENSSL_cleanse(key, WRAP_MAX_KEY); /* cannot happen for the same token bytes */
    }
    csu_err err = unwrap_with(mk, tok, info, key);
    if (err == CSU_OK && cacheable)
        card_keycache_put(&id, &(struct kc_value){.secret = key, .secret_len = info->key_len});
    return err;
}

csu_err wrap_fixed_unwrap(struct card *card, const uint8_t tok[TOK_FIXED_LEN], const struct tok_fixed *info,
                          uint8_t key[WRAP_MAX_KEY], bool *old)
{
    if (!info->has_key || info->kind == TOK_DES_EXTERNAL)
        return CSU_E_KEY_USE;
    uint8_t mk[32];
    enum mk_set set = token_mk_set(info->kind);
    pthread_mutex_lock(&card->lock);
    csu_err err = card_mk_find(&card->state, set, tok + TOK_OFF_MKVP, mk, old);
    pthread_mutex_unlock(&card->lock);
    if (err == CSU_OK)
        err = unwrap_cached(set, mk, tok, info, key);
    OPENSSL_cleanse(mk, sizeof(mk));
    return err;
}

csu_err wrap_fixed_wrap(struct card *card, uint8_t tok[TOK_FIXED_LEN], const uint8_t *key, size_t key_len)
{
    struct tok_fixed info;
    csu_err err = tok_fixed_parse(tok, TOK_FIXED_LEN, &info);
    if (err != CSU_OK)
        return err;
    if (info.kind == TOK_DES_EXTERNAL)
        return CSU_E_KEY_USE;
    if (info.kind == TOK_AES_INTERNAL && (key_len == 16 || key_len == 24 || key_len == 32))
        info.key_len = key_len;
    if (info.key_len != key_len)
        return CSU_E_KEY_LENGTH;
    uint8_t mk[32], vp[MK_VP_LEN];
    pthread_mutex_lock(&card->lock);
    err = card_mk_current(&card->state, token_mk_set(info.kind), mk, vp);
    pthread_mutex_unlock(&card->lock);
    if (err == CSU_OK)
        err = wrap_with(mk, vp, tok, &info, key);
    OPENSSL_cleanse(mk, sizeof(mk));
    return err;
}

csu_err wrap_fixed_adopt(struct card *card, uint8_t tok[TOK_FIXED_LEN], const uint8_t *value, size_t len)
{
    struct tok_fixed info;
    csu_err err = tok_fixed_parse(tok, TOK_FIXED_LEN, &info);
    if (err != CSU_OK)
        return err;
    bool aes = info.kind == TOK_AES_INTERNAL;
    if (info.kind == TOK_DES_EXTERNAL || len != (aes ? TOK_AES_KEY_FIELD : info.key_len))
        return CSU_E_LENGTH;
    uint8_t mk[32], vp[MK_VP_LEN], key[WRAP_MAX_KEY];
    pthread_mutex_lock(&card->lock);
    err = card_mk_current(&card->state, token_mk_set(info.kind), mk, vp);
    pthread_mutex_unlock(&card->lock);
    if (err == CSU_OK && aes) {
        memcpy(tok + TOK_OFF_AES_KEY, value, TOK_AES_KEY_FIELD);
        tok[TOK_OFF_AES_LRC] = 0;
        uint8_t field[TOK_AES_KEY_FIELD];
        err = wrap_aes_field(mk, value, field, false);
        tok[TOK_OFF_AES_LRC] = wrap_lrc(field, info.key_len);
        OPENSSL_cleanse(field, sizeof(field));
        csu_store_be16(tok + TOK_OFF_AES_ENC_LEN, TOK_AES_KEY_FIELD);
        info.has_key = true;
        if (err == CSU_OK) /* the padding beyond the key must decipher to zero */
            err = unwrap_with(mk, tok, &info, key);
    } else if (err == CSU_OK) {
        uint8_t parts[24] = {0};
        memcpy(parts, value, len);
        des_parts_put(tok, parts, len);
    }
    if (err == CSU_OK) {
        tok[TOK_OFF_FLAGS] |= TOK_FLAG_KEY;
        memcpy(tok + TOK_OFF_MKVP, vp, MK_VP_LEN);
        tok_fixed_seal(tok);
    }
    OPENSSL_cleanse(mk, sizeof(mk));
    OPENSSL_cleanse(key, sizeof(key));
    return err;
}

/* Under the lock: the source register's key and the target's key and pattern. */
static csu_err rewrap_keys(const struct card_state *st, const uint8_t *tok, enum mk_set set, enum wrap_target target,
                           uint8_t src[32], uint8_t dst[32], uint8_t dst_vp[MK_VP_LEN], bool *needed)
{
    const struct card_mk_set *m = &st->mk[set];
    bool old = false;
    *needed = false;
    if (target == WRAP_TO_NEW) {
        if (!m->cmk_valid)
            return CSU_E_MK_NOT_LOADED;
        if (m->nmk_state != NMK_FULL)
            return CSU_E_MK_STATE;
        card_mk_vp(set, m->nmk, dst_vp);
        if (tok_fixed_mkvp_is(tok, dst_vp))
            return CSU_OK; /* already under the new register */
        memcpy(dst, m->nmk, mk_set_length(set));
        csu_err err = card_mk_find(st, set, tok + TOK_OFF_MKVP, src, &old);
        if (err == CSU_OK && old)
            err = CSU_E_MKVP; /* RTNMK starts from the current register only */
        *needed = err == CSU_OK;
        return err;
    }
    csu_err err = card_mk_find(st, set, tok + TOK_OFF_MKVP, src, &old);
    if (err != CSU_OK || !old)
        return err;
    *needed = true;
    return card_mk_current(st, set, dst, dst_vp);
}

csu_err wrap_fixed_rewrap(struct card *card, uint8_t tok[TOK_FIXED_LEN], const struct tok_fixed *info,
                          enum wrap_target target, bool *changed)
{
    *changed = false;
    if (!info->has_key || info->kind == TOK_DES_EXTERNAL)
        return CSU_E_KEY_USE;
    uint8_t src[32], dst[32], vp[MK_VP_LEN], key[WRAP_MAX_KEY];
    bool needed = false;
    pthread_mutex_lock(&card->lock);
    csu_err err = rewrap_keys(&card->state, tok, token_mk_set(info->kind), target, src, dst, vp, &needed);
    pthread_mutex_unlock(&card->lock);
    if (err == CSU_OK && needed) {
        uint8_t out[TOK_FIXED_LEN];
        memcpy(out, tok, TOK_FIXED_LEN);
        err = unwrap_with(src, tok, info, key);
        if (err == CSU_OK)
            err = wrap_with(dst, vp, out, info, key);
        if (err == CSU_OK) {
            memcpy(tok, out, TOK_FIXED_LEN);
            *changed = true;
        }
    }
    OPENSSL_cleanse(src, sizeof(src));
    OPENSSL_cleanse(dst, sizeof(dst));
    OPENSSL_cleanse(key, sizeof(key));
    return err;
}

/* ---- external tokens: under a key-encrypting key ------------------------- */

/* A KEK of 8/16/24 bytes as the 24-byte TDES key: K,K,K or K1,K2,K1 or as is. */
static void kek_expand(const uint8_t *key, size_t len, uint8_t kek[WRAP_KEK_LEN])
{
    for (size_t i = 0; i < WRAP_KEK_LEN; i++)
        kek[i] = key[i < len ? i : i % (len == 8 ? 8 : 16)];
}

csu_err wrap_fixed_kek(struct card *card, const uint8_t kek_tok[TOK_FIXED_LEN], enum cv_kek kind, uint8_t gks,
                       uint8_t kek[WRAP_KEK_LEN], bool *old)
{
    struct tok_fixed info;
    *old = false;
    csu_err err = tok_fixed_parse(kek_tok, TOK_FIXED_LEN, &info);
    if (err != CSU_OK)
        return err;
    /* Only an operational DES key whose CV (both halves) says "KEK of this class, for this form". */
    bool right_ok = info.key_len == 8 || cv_kek_allows(info.cv_right, kind, gks);
    if (info.kind != TOK_DES_INTERNAL || !cv_kek_allows(info.cv_left, kind, gks) || !right_ok)
        return CSU_E_CV;
    if (!info.has_key)
        return CSU_E_KEY_USE;
    uint8_t key[WRAP_MAX_KEY];
    err = wrap_fixed_unwrap(card, kek_tok, &info, key, old);
    if (err == CSU_OK)
        kek_expand(key, info.key_len, kek);
    OPENSSL_cleanse(key, sizeof(key));
    return err;
}

csu_err wrap_fixed_wrap_external(uint8_t tok[TOK_FIXED_LEN], const uint8_t kek[WRAP_KEK_LEN], const uint8_t *key,
                                 size_t key_len)
{
    struct tok_fixed info;
    csu_err err = tok_fixed_parse(tok, TOK_FIXED_LEN, &info);
    if (err != CSU_OK)
        return err;
    if (info.kind != TOK_DES_EXTERNAL)
        return CSU_E_KEY_USE;
    if (info.key_len != key_len)
        return CSU_E_KEY_LENGTH;
    uint8_t parts[24] = {0};
    err = wrap_des_parts(kek, info.cv_left, info.cv_right, key, parts, key_len, true);
    if (err == CSU_OK) {
        des_parts_put(tok, parts, key_len);
        memset(tok + TOK_OFF_MKVP, 0, MK_VP_LEN);
        tok[TOK_OFF_FLAGS] |= TOK_FLAG_KEY;
        tok_fixed_seal(tok);
    }
    OPENSSL_cleanse(parts, sizeof(parts));
    return err;
}

csu_err wrap_fixed_unwrap_external(struct card *card, const uint8_t tok[TOK_FIXED_LEN], const struct tok_fixed *info,
                                   const uint8_t kek_tok[TOK_FIXED_LEN], uint8_t key[WRAP_MAX_KEY], bool *old)
{
    if (info->kind != TOK_DES_EXTERNAL || !info->has_key)
        return CSU_E_KEY_USE;
    /* A key under an EXPORTER is tested with it (our copy), one under an IMPORTER likewise. */
    enum cv_kek kind = cv_kek_allows(kek_tok + TOK_OFF_CV_LEFT, CV_KEK_IMPORTER, 0) ? CV_KEK_IMPORTER
                                                                                     : CV_KEK_EXPORTER;
    uint8_t kek[WRAP_KEK_LEN], parts[24];
    csu_err err = wrap_fixed_kek(card, kek_tok, kind, 0, kek, old);
    des_parts_get(tok, parts);
    if (err == CSU_OK)
        err = wrap_des_parts(kek, info->cv_left, info->cv_right, parts, key, info->key_len, false);
    OPENSSL_cleanse(kek, sizeof(kek));
    OPENSSL_cleanse(parts, sizeof(parts));
    return err;
}
