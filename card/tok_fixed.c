/* SPDX-License-Identifier: Apache-2.0 */
/* Fixed-length symmetric key tokens: parse, TVV, skeletons (tok_fixed.h). */
#include "tok_fixed.h"

#include <string.h>

#include <openssl/crypto.h>

#include "csu_mu.h"

uint32_t tok_fixed_tvv(const uint8_t tok[TOK_FIXED_LEN])
{
    uint32_t sum = 0;
    for (size_t off = 0; off < TOK_OFF_TVV; off += 4)
        sum += csu_load_be32(tok + off); /* unsigned: wraps modulo 2^32 */
    return sum;
}

void tok_fixed_seal(uint8_t tok[TOK_FIXED_LEN])
{
    csu_store_be32(tok + TOK_OFF_TVV, tok_fixed_tvv(tok));
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static bool version_known(uint8_t type, uint8_t version)
{
    if (version == TOK_VERSION_DES || version == TOK_VERSION_DES_ZERO_CV)
        return true;
    return type == TOK_TYPE_INTERNAL && version == TOK_VERSION_AES;
}

/* Version X'00': the left CV's key-form bits give the length; the right CV must match it. */
static csu_err parse_des_v0(const uint8_t *t, struct tok_fixed *out)
{
    memcpy(out->cv_left, t + TOK_OFF_CV_LEFT, CV_LEN);
    memcpy(out->cv_right, t + TOK_OFF_CV_RIGHT, CV_LEN);
    out->key_len = cv_key_length(out->cv_left);
    if (out->key_len == 0)
        return CSU_E_TOKEN_CONSISTENCY;
    if (out->key_len == 8)
        return all_zero(out->cv_right, CV_LEN) ? CSU_OK : CSU_E_TOKEN_CONSISTENCY;
    /* A double key's right CV announces a right half (001/101); a triple key's equals the left form. */
    uint8_t lform = out->cv_left[5] & 0xE0u, rform = out->cv_right[5] & 0xE0u;
    bool ok = out->key_len == 16 ? (rform == 0x20u || rform == 0xA0u) : rform == lform;
    return ok ? CSU_OK : CSU_E_TOKEN_CONSISTENCY;
}

/* Version X'01': zero CVs (DATA), length in byte 59. */
static csu_err parse_des_v1(const uint8_t *t, struct tok_fixed *out)
{
    memset(out->cv_left, 0, CV_LEN);
    memset(out->cv_right, 0, CV_LEN);
    if (!all_zero(t + TOK_OFF_CV_LEFT, 2 * CV_LEN))
        return CSU_E_TOKEN_CONSISTENCY;
    switch (t[TOK_OFF_LEN_IND]) {
    case 0x10: out->key_len = 16; return CSU_OK;
    case 0x20: out->key_len = 24; return CSU_OK;
    default: return CSU_E_AES_BITS; /* 8/2098 also covers a bad DES v1 length flag (§2) */
    }
}

static csu_err parse_aes(const uint8_t *t, struct tok_fixed *out)
{
    uint16_t bits = csu_load_be16(t + TOK_OFF_AES_BITS);
    uint16_t enc = csu_load_be16(t + TOK_OFF_AES_ENC_LEN);
    if (bits != 0 && bits != 128 && bits != 192 && bits != 256)
        return CSU_E_AES_BITS;
    if (enc != (out->has_key ? TOK_AES_KEY_FIELD : 0))
        return CSU_E_AES_ENC_LENGTH;
    if (out->has_key && bits == 0)
        return CSU_E_AES_BITS;
    if (!all_zero(t + TOK_OFF_AES_CV, CV_LEN))
        return CSU_E_CV;
    out->key_len = bits / 8u;
    return CSU_OK;
}

csu_err tok_fixed_parse(const uint8_t *buf, size_t len, struct tok_fixed *out)
{
    if (!buf || len < TOK_FIXED_LEN)
        return CSU_E_LENGTH;
    uint8_t type = buf[TOK_OFF_TYPE], version = buf[TOK_OFF_VERSION];
    if (type == 0x00)
        return CSU_E_TOKEN_NULL;
    if (type != TOK_TYPE_INTERNAL && type != TOK_TYPE_EXTERNAL)
        return CSU_E_TOKEN_TYPE;
    if (!version_known(type, version))
        return CSU_E_TOKEN_VERSION;
    if (tok_fixed_tvv(buf) != csu_load_be32(buf + TOK_OFF_TVV))
        return type == TOK_TYPE_INTERNAL ? CSU_E_TVV_INTERNAL : CSU_E_TVV_EXTERNAL;
    memset(out, 0, sizeof(*out));
    out->version = version;
    out->has_key = (buf[TOK_OFF_FLAGS] & TOK_FLAG_KEY) != 0;
    if (version == TOK_VERSION_AES) {
        out->kind = TOK_AES_INTERNAL;
        return parse_aes(buf, out);
    }
    out->kind = type == TOK_TYPE_INTERNAL ? TOK_DES_INTERNAL : TOK_DES_EXTERNAL;
    return version == TOK_VERSION_DES ? parse_des_v0(buf, out) : parse_des_v1(buf, out);
}

void tok_fixed_build_des(uint8_t tok[TOK_FIXED_LEN], bool external, const uint8_t left[CV_LEN],
                         const uint8_t right[CV_LEN])
{
    memset(tok, 0, TOK_FIXED_LEN);
    tok[TOK_OFF_TYPE] = external ? TOK_TYPE_EXTERNAL : TOK_TYPE_INTERNAL;
    tok[TOK_OFF_VERSION] = TOK_VERSION_DES;
    memcpy(tok + TOK_OFF_CV_LEFT, left, CV_LEN);
    memcpy(tok + TOK_OFF_CV_RIGHT, right, CV_LEN);
    tok_fixed_seal(tok);
}

void tok_fixed_build_aes(uint8_t tok[TOK_FIXED_LEN], size_t key_len)
{
    memset(tok, 0, TOK_FIXED_LEN);
    tok[TOK_OFF_TYPE] = TOK_TYPE_INTERNAL;
    tok[TOK_OFF_VERSION] = TOK_VERSION_AES;
    csu_store_be16(tok + TOK_OFF_AES_BITS, (uint16_t)(key_len * 8));
    tok_fixed_seal(tok);
}

bool tok_fixed_mkvp_is(const uint8_t tok[TOK_FIXED_LEN], const uint8_t vp[8])
{
    return CRYPTO_memcmp(tok + TOK_OFF_MKVP, vp, 8) == 0;
}

/* Turn a token into a skeleton of itself: no key, no MKVP (TVV resealed). */
void tok_fixed_strip_key(uint8_t tok[TOK_FIXED_LEN], const struct tok_fixed *info)
{
    tok[TOK_OFF_FLAGS] &= (uint8_t)~TOK_FLAG_KEY;
    memset(tok + TOK_OFF_MKVP, 0, 8);
    if (info->kind == TOK_AES_INTERNAL) {
        tok[TOK_OFF_AES_LRC] = 0;
        memset(tok + TOK_OFF_AES_KEY, 0, TOK_AES_KEY_FIELD);
        tok[TOK_OFF_AES_ENC_LEN] = tok[TOK_OFF_AES_ENC_LEN + 1] = 0;
    } else {
        memset(tok + TOK_OFF_KEY_A, 0, 16);
        memset(tok + TOK_OFF_KEY_C, 0, 8);
    }
    tok_fixed_seal(tok);
}
