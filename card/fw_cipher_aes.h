/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file fw_cipher_aes.h
 * What the AES cipher verbs (fw_cipher_aes.c: CSNBSAE/CSNBSAD) and the AES
 * and HMAC MAC verbs (fw_cipher_aes_mac.c: CSNBMGN2/MVR2, CSNBHMG/HMV)
 * share: turning a key token into a clear key after the usage checks, and
 * the CCA codes that have no csu_err value yet.  docs/cipher-aes.md.
 */
#ifndef FW_CIPHER_AES_H
#define FW_CIPHER_AES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card_internal.h"
#include "wrap_var.h"

/* CCA reason codes without a csu_err value (requested from the lead). */
#define AES_RS_TEXT_TOO_LONG 153u  /**< 8/153 text longer than the verb's limit */
#define AES_RS_OLD_MK 10001u       /**< 0/10001 key under the old master key */

/** What the verb wants to do with the key. */
enum aes_key_use {
    AES_USE_ENCRYPT,  /**< CIPHER ENCRYPT (or v4 DATA, or a clear key) */
    AES_USE_DECRYPT,  /**< CIPHER DECRYPT */
    AES_USE_MAC_GEN,  /**< MAC GENERATE */
    AES_USE_MAC_VER,  /**< MAC GENERATE or VERIFY */
};

/** CIPHER key-usage field 2, high byte (docs/tokens-v5.md). */
enum aes_kuf_mode { AES_MODE_CBC = 0x00, AES_MODE_ECB = 0x01, AES_MODE_GCM = 0x04, AES_MODE_ANY = 0xFF };

/** Key-usage field 2 hash bits of an HMAC key. */
#define AES_KUF2_SHA1 0x8000u
#define AES_KUF2_SHA224 0x4000u
#define AES_KUF2_SHA256 0x2000u
#define AES_KUF2_SHA384 0x1000u
#define AES_KUF2_SHA512 0x0800u

/** The requirements a key token must meet. */
struct aes_key_need {
    enum aes_key_use use;
    uint8_t alg;         /**< TOKV_ALG_AES or TOKV_ALG_HMAC */
    uint8_t mode;        /**< CIPHER: enum aes_kuf_mode wanted (not ANY) */
    uint16_t hash_bit;   /**< HMAC: the AES_KUF2_SHA* bit wanted */
};

/** A clear key taken from a token; wipe with OPENSSL_cleanse. */
struct aes_clear_key {
    size_t len;
    uint8_t bytes[WRAPV_MAX_KEY];
};

/**
 * The clear key of token @p tok (@p len bytes, hostile) after checking it
 * may be used as @p need says: a v4 AES DATA token (encipher/decipher
 * only), or a v5 token of the right algorithm, key type and usage.
 * @param[out] old true when the key is under the old master key (0/10001).
 * @return CSU_OK; CSU_E_TOKEN_NULL (8/180); CSU_E_KEY_USE (8/64) wrong
 *   key type, algorithm, usage, mode or hash, or an incomplete key; the
 *   token parsers' and unwrappers' codes (8/49, 8/29, 8/48, 8/2113, ...).
 */
csu_err aes_key_from_token(struct fw_ctx *ctx, const uint8_t *tok, size_t len, const struct aes_key_need *need,
                           struct aes_clear_key *key, bool *old);


/** The request's block CSU_TAG_IN(@p n), or NULL. */
const struct csu_wire_block *aes_in(const struct fw_ctx *ctx, unsigned n);

/** A u32 block CSU_TAG_IN(@p n); @p dflt when absent; CSU_E_FRAME if malformed. */
csu_err aes_in_u32(const struct fw_ctx *ctx, unsigned n, uint32_t dflt, uint32_t *v);

#endif /* FW_CIPHER_AES_H */
