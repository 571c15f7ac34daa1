/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file wrap_fixed.h
 * Wrapping the keys of fixed-length tokens under the card's master keys
 * (docs/tokens-fixed.md):
 *
 *  - DES: each 8-byte key part is enciphered with 3-key TDES-ECB under
 *    (SYM master key XOR the CV of its half replicated over 24 bytes);
 *    part A and C use the left CV, part B the right.  A changed CV
 *    therefore unwraps to a different key.  MKVP = card_mk_vp(MK_SYM).
 *  - AES version X'04': the 32-byte key field (clear key left-justified,
 *    zero padded) is AES-256-CBC enciphered (IV zero, no padding) under the
 *    AES master key; byte 7 = XOR of the clear key bytes (LRC), checked
 *    after unwrapping.  MKVP = card_mk_vp(MK_AES).
 *
 * The card-level functions take card->lock themselves and wipe every copy
 * of a master key before they return.  Keys returned to the caller must be
 * wiped by it (OPENSSL_cleanse).
 */
#ifndef WRAP_FIXED_H
#define WRAP_FIXED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card_internal.h"
#include "tok_fixed.h"

#define WRAP_MAX_KEY 32

/**
 * Encipher (@p encrypt) or decipher @p len bytes (8, 16 or 24) of DES key
 * parts under @p kek (24 bytes) XOR the CVs, as described above.
 * @return CSU_OK, CSU_E_LENGTH, CSU_E_CRYPTO.
 */
csu_err wrap_des_parts(const uint8_t kek[24], const uint8_t left[CV_LEN], const uint8_t right[CV_LEN],
                       const uint8_t *in, uint8_t *out, size_t len, bool encrypt);

/** AES-256-CBC (IV zero) of one 32-byte key field.  CSU_OK or CSU_E_CRYPTO. */
csu_err wrap_aes_field(const uint8_t mk[32], const uint8_t in[32], uint8_t out[32], bool encrypt);

/** LRC of a clear AES key: XOR of its bytes. */
uint8_t wrap_lrc(const uint8_t *key, size_t len);

/**
 * The clear key of an internal token holding a key (@p info from
 * tok_fixed_parse, has_key true, kind not TOK_DES_EXTERNAL).
 * @param[out] key @p info->key_len bytes (buffer of WRAP_MAX_KEY).
 * @param[out] old true when the token is under the old master key (the
 *             verb then answers 0/10001).
 * @return CSU_OK; CSU_E_MK_NOT_LOADED (12/764); CSU_E_MKVP (8/48);
 *         CSU_E_LRC (8/3013) AES LRC mismatch; CSU_E_KEY_USE (8/64) for a
 *         token without an internal key; CSU_E_CRYPTO.
 */
csu_err wrap_fixed_unwrap(struct card *card, const uint8_t tok[TOK_FIXED_LEN], const struct tok_fixed *info,
                          uint8_t key[WRAP_MAX_KEY], bool *old);

/**
 * Put @p key (@p key_len bytes) into the internal skeleton or token @p tok
 * under the current master key: key field, MKVP, flag X'80', AES LRC and
 * lengths, TVV.  The DES CVs already in @p tok are used; DES @p key_len
 * must agree with them.
 * @return CSU_OK; CSU_E_MK_NOT_LOADED; CSU_E_KEY_LENGTH; CSU_E_CRYPTO.
 */
csu_err wrap_fixed_wrap(struct card *card, uint8_t tok[TOK_FIXED_LEN], const uint8_t *key, size_t key_len);

/**
 * CSNBKTB KEY INTERNAL: adopt an already enciphered key value (@p len bytes
 * as the token's key field holds them: DES parts A, B, C; AES the 32-byte
 * field) into the internal skeleton @p tok, with the current master key's
 * MKVP; for AES the key is deciphered once to set the LRC.
 * @return CSU_OK; CSU_E_MK_NOT_LOADED; CSU_E_LENGTH; CSU_E_LRC (AES field
 *         not a key of the skeleton's length under the current MK); CSU_E_CRYPTO.
 */
csu_err wrap_fixed_adopt(struct card *card, uint8_t tok[TOK_FIXED_LEN], const uint8_t *value, size_t len);

/*
 * External DES tokens (X'02'): the key parts are enciphered exactly as in
 * an internal token, with the clear key-encrypting key in place of the
 * master key (KEK XOR the CV of each half).  A double-length KEK is used
 * as K1,K2,K1, a single one as K,K,K.  Bytes 8-15 stay zero (no MKVP).
 */
#define WRAP_KEK_LEN 24

/**
 * The clear key of the DES KEK in the 64-byte internal token @p kek_tok,
 * expanded to 24 bytes, after checking that both CV halves are of class
 * @p kind with the key-generate bits @p gks on (tok_cv.h; 0: class only).
 * @param[out] old true when the KEK is under the old master key.
 * @return CSU_OK; tok_fixed_parse's codes; CSU_E_CV (8/39) not an internal
 *         DES KEK of that class and those bits (a DATA key, an AES
 *         token, an external token, an EXPORTER where an IMPORTER is
 *         needed); CSU_E_KEY_USE for a skeleton; wrap_fixed_unwrap's codes.
 */
csu_err wrap_fixed_kek(struct card *card, const uint8_t kek_tok[TOK_FIXED_LEN], enum cv_kek kind, uint8_t gks,
                       uint8_t kek[WRAP_KEK_LEN], bool *old);

/**
 * Put @p key into the external DES skeleton or token @p tok under @p kek
 * (from wrap_fixed_kek): key parts, flag X'80', MKVP field zero, TVV.
 * @return CSU_OK; tok_fixed_parse's codes; CSU_E_KEY_USE (not an external
 *         DES token); CSU_E_KEY_LENGTH (@p key_len disagrees with the CV).
 */
csu_err wrap_fixed_wrap_external(uint8_t tok[TOK_FIXED_LEN], const uint8_t kek[WRAP_KEK_LEN], const uint8_t *key,
                                 size_t key_len);

/**
 * The clear key of the external DES token @p tok (@p info from
 * tok_fixed_parse, has_key true) under the KEK token @p kek_tok, which
 * must be an internal EXPORTER or IMPORTER (any key-generate bits).
 * @param[out] old true when the KEK is under the old master key.
 * @return CSU_OK; CSU_E_KEY_USE (not an external token with a key);
 *         wrap_fixed_kek's codes; CSU_E_CRYPTO.
 */
csu_err wrap_fixed_unwrap_external(struct card *card, const uint8_t tok[TOK_FIXED_LEN], const struct tok_fixed *info,
                                   const uint8_t kek_tok[TOK_FIXED_LEN], uint8_t key[WRAP_MAX_KEY], bool *old);

/** Which register CSNBKTC re-enciphers to. */
enum wrap_target { WRAP_TO_CURRENT, WRAP_TO_NEW };

/**
 * CSNBKTC's work on an internal token holding a key, under one hold of the
 * card lock: RTCMK (WRAP_TO_CURRENT) re-enciphers a token under the old MK
 * to the current one and leaves a current token alone; RTNMK
 * (WRAP_TO_NEW) re-enciphers a current token to the new MK register and
 * leaves a token already under it alone.
 * @param[out] changed true when @p tok was re-enciphered.
 * @return CSU_OK; CSU_E_MK_NOT_LOADED (no current MK); CSU_E_MK_STATE
 *         (8/707: RTNMK with the new register not full); CSU_E_MKVP (8/48);
 *         CSU_E_LRC; CSU_E_CRYPTO.
 */
csu_err wrap_fixed_rewrap(struct card *card, uint8_t tok[TOK_FIXED_LEN], const struct tok_fixed *info,
                          enum wrap_target target, bool *changed);

#endif /* WRAP_FIXED_H */
