/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file csu_keyid.h
 * Key identifiers on the host side: a 64-byte label or a key token
 * (reference §1.2), and the real length of a token in a caller's buffer
 * (clients pass the buffer size, e.g. 2500, where the token length belongs).
 */
#ifndef CSU_KEYID_H
#define CSU_KEYID_H

#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"

#define CSU_LABEL_LEN 64
#define CSU_FIXED_TOKEN_LEN 64

enum csu_keyid_kind {
    CSU_KEYID_NULL,         /**< X'00' null token */
    CSU_KEYID_INTERNAL,     /**< X'01' internal symmetric */
    CSU_KEYID_EXTERNAL,     /**< X'02' external symmetric */
    CSU_KEYID_PKA_EXTERNAL, /**< X'1E' */
    CSU_KEYID_PKA_INTERNAL, /**< X'1F' */
    CSU_KEYID_LABEL,        /**< X'20'-X'FE' */
    CSU_KEYID_INVALID,      /**< anything else (8/181) */
};

/** Classify a key identifier by its first byte. */
enum csu_keyid_kind csu_keyid_kind(uint8_t first_byte);

/**
 * The length of the token at @p buf, read from its header, checked against
 * the @p buf_len bytes the caller said it passed:
 * fixed-length symmetric tokens (version byte 4 != X'05') are 64 bytes;
 * variable-length (version X'05') and PKA tokens carry it in bytes 2-3.
 * A null token is 64 bytes when so much was passed, else its header length.
 * @return CSU_OK, CSU_E_LENGTH (shorter than announced or than a header),
 *         CSU_E_TOKEN_TYPE (first byte not a token).
 */
csu_err csu_token_length(const uint8_t *buf, size_t buf_len, size_t *len);

/**
 * Check a 64-byte label's syntax (reference §4.1): 1-7 dot-separated
 * tokens of 1-8 characters A-Z 0-9 # $ @, not starting with a digit,
 * blank padded.  @return CSU_OK or CSU_E_LABEL_FORMAT.
 */
csu_err csu_label_check(const uint8_t label[CSU_LABEL_LEN]);

/**
 * The token a key identifier designates.  A token is returned in place;
 * a label is looked up in key storage (not available yet: a well-formed
 * label answers 8/6007 "key-storage file not designated").
 * @param id_len bytes the caller passed (64 for the fixed-length verbs).
 */
csu_err csu_keyid_token(const uint8_t *id, size_t id_len, const uint8_t **token, size_t *token_len);

#endif
