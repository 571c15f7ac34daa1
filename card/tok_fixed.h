/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file tok_fixed.h
 * The 64-byte fixed-length symmetric key tokens (reference §3.2, §3.3,
 * §3.5): DES internal (X'01', versions X'00' and X'01'), DES external
 * (X'02', versions X'00' and X'01') and the AES DATA token (X'01', version
 * X'04').  One parser, used by every verb that reads such a token and by
 * the fuzz target tests/symkey/fuzz_tok_fixed.c; builders for skeletons.
 *
 * The parser checks structure only (type, version, TVV, field
 * consistency); whether the key is under a known master key is
 * wrap_fixed.h's business.  docs/tokens-fixed.md describes the layout.
 */
#ifndef TOK_FIXED_H
#define TOK_FIXED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"
#include "tok_cv.h"

#define TOK_FIXED_LEN 64

/* Byte offsets shared by all three formats. */
#define TOK_OFF_TYPE 0
#define TOK_OFF_VERSION 4
#define TOK_OFF_FLAGS 6
#define TOK_OFF_MKVP 8
#define TOK_OFF_TVV 60
/* DES formats. */
#define TOK_OFF_KEY_A 16
#define TOK_OFF_KEY_B 24
#define TOK_OFF_CV_LEFT 32
#define TOK_OFF_CV_RIGHT 40
#define TOK_OFF_KEY_C 48
#define TOK_OFF_LEN_IND 59 /**< version X'01' only: X'10' double, X'20' triple */
/* AES version X'04'. */
#define TOK_OFF_AES_LRC 7
#define TOK_OFF_AES_KEY 16
#define TOK_AES_KEY_FIELD 32
#define TOK_OFF_AES_CV 48
#define TOK_OFF_AES_BITS 56
#define TOK_OFF_AES_ENC_LEN 58

#define TOK_TYPE_INTERNAL 0x01
#define TOK_TYPE_EXTERNAL 0x02
#define TOK_VERSION_DES 0x00
#define TOK_VERSION_DES_ZERO_CV 0x01
#define TOK_VERSION_AES 0x04
/** Flag byte 1: an enciphered key (and, internal, its MKVP) is present. */
#define TOK_FLAG_KEY 0x80

enum tok_fixed_kind { TOK_DES_INTERNAL, TOK_DES_EXTERNAL, TOK_AES_INTERNAL };

/** What a parsed token holds. */
struct tok_fixed {
    enum tok_fixed_kind kind;
    uint8_t version;
    bool has_key;       /**< enciphered key present (flag X'80') */
    size_t key_len;     /**< DES 8/16/24; AES bits/8, 0 for a skeleton without length */
    uint8_t cv_left[CV_LEN];  /**< DES: control vector of the left half (or zero) */
    uint8_t cv_right[CV_LEN]; /**< DES: control vector of the right half (or zero) */
};

/** Sum modulo 2^32 of the fifteen big-endian words of bytes 0-59 (§3.3). */
uint32_t tok_fixed_tvv(const uint8_t tok[TOK_FIXED_LEN]);

/** Write the TVV into bytes 60-63 (call after every change to bytes 0-59). */
void tok_fixed_seal(uint8_t tok[TOK_FIXED_LEN]);

/**
 * Parse and check a fixed-length token.
 * @param len bytes available at @p buf (at least 64 needed).
 * @return CSU_OK;
 *         CSU_E_LENGTH (8/72) fewer than 64 bytes;
 *         CSU_E_TOKEN_NULL (8/180) first byte X'00';
 *         CSU_E_TOKEN_TYPE (8/181) first byte neither X'01' nor X'02';
 *         CSU_E_TOKEN_VERSION (8/49) version not one of the above;
 *         CSU_E_TVV_INTERNAL (8/29) / CSU_E_TVV_EXTERNAL (8/12);
 *         CSU_E_TOKEN_CONSISTENCY (8/65) DES key-form bits or halves inconsistent;
 *         CSU_E_AES_BITS (8/2098) AES bit length not 0/128/192/256, or a
 *         version X'01' DES length indicator other than X'10'/X'20';
 *         CSU_E_AES_ENC_LENGTH (8/2099) AES encrypted length not 0/32 or
 *         not matching the key flag; CSU_E_CV (8/39) AES CV not zero.
 */
csu_err tok_fixed_parse(const uint8_t *buf, size_t len, struct tok_fixed *out);

/**
 * Build a DES skeleton (no key): version X'00', the given CV halves
 * (@p right zero for single-length keys), TVV set.
 * @param external true for X'02', false for X'01'.
 */
void tok_fixed_build_des(uint8_t tok[TOK_FIXED_LEN], bool external, const uint8_t left[CV_LEN],
                         const uint8_t right[CV_LEN]);

/**
 * Build an AES DATA skeleton (version X'04', no key) for a key of
 * @p key_len bytes (16, 24, 32), TVV set.
 */
void tok_fixed_build_aes(uint8_t tok[TOK_FIXED_LEN], size_t key_len);

/** True when @p tok's MKVP field equals @p vp (constant time). */
bool tok_fixed_mkvp_is(const uint8_t tok[TOK_FIXED_LEN], const uint8_t vp[8]);

/**
 * Turn a parsed token into a skeleton of itself: key fields, MKVP, key
 * flag (and AES LRC and encrypted length) cleared, everything else kept,
 * TVV resealed.
 */
void tok_fixed_strip_key(uint8_t tok[TOK_FIXED_LEN], const struct tok_fixed *info);

#endif /* TOK_FIXED_H */
