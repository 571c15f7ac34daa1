/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file csu_err.h
 * Internal error values shared by the host library and the card, and their
 * single mapping to CCA return/reason codes.
 *
 * Internal code returns a csu_err; only the exported verb boundary (host) and
 * the reply encoder (card) turn it into a CCA return/reason pair, through the
 * one table in csu_err.c.  docs/codes.md lists the same table for users.
 * Values named CSU_W_* are outcomes with return code 4 (a verification
 * that failed, no records matched): like errors, they carry no output.
 */
#ifndef CSU_ERR_H
#define CSU_ERR_H

/** Internal error values.  Keep in step with the table in csu_err.c. */
typedef enum csu_err {
    CSU_OK = 0,
    CSU_E_NULL_POINTER,     /**< required pointer is NULL             8/184  */
    CSU_E_RULE_COUNT,       /**< rule_array_count out of range        8/35   */
    CSU_E_RULE_KEYWORD,     /**< keyword unknown to the verb          8/33   */
    CSU_E_RULE_CONFLICT,    /**< two keywords of one group            8/34   */
    CSU_E_RULE_MISSING,     /**< required keyword absent              8/129  */
    CSU_E_LENGTH,           /**< length invalid / buffer too small    8/72   */
    CSU_E_DATA,             /**< verb data invalid (e.g. clock text)  8/85   */
    CSU_E_COMMAND_DATA,     /**< command data invalid (token, parts)  8/385  */
    CSU_E_MKVP,             /**< key under neither current nor old MK 8/48   */
    CSU_E_MK_WEAK,          /**< new master key is a weak DES key     8/703  */
    CSU_E_MK_SAME,          /**< new MK's VP equals current or old    8/704  */
    CSU_E_MK_STATE,         /**< MK registers not in required state   8/707  */
    CSU_E_TVV_INTERNAL, /**< internal token validation value wrong (8/29) */
    CSU_E_TVV_EXTERNAL, /**< external token validation value wrong (8/12) */
    CSU_E_LABEL_FORMAT, /**< key label format invalid (8/32) */
    CSU_E_LABEL_NOT_FOUND, /**< no record with that key label (8/30) */
    CSU_E_KEYSTORE_UNSET, /**< key-storage file not designated (8/6007) */
    CSU_E_KEY_LENGTH, /**< key length keyword or token length invalid (8/43) */
    CSU_E_TOKEN_VERSION, /**< token version not supported (8/49) */
    CSU_E_KEY_TYPE, /**< key type keyword invalid (8/61) */
    CSU_E_TOKEN_HEADER, /**< token header invalid (8/63) */
    CSU_E_KEY_USE, /**< key not permitted for this operation (8/64) */
    CSU_E_TOKEN_CONSISTENCY, /**< token failed consistency check (8/65) */
    CSU_E_CV, /**< control vector violation (8/39) */
    CSU_E_KEY_FORM, /**< key_form keyword invalid (8/41) */
    CSU_E_TOKEN_NULL, /**< null token presented (8/180) */
    CSU_E_TOKEN_TYPE, /**< token invalid: bad first byte or wrong token type (8/181) */
    CSU_E_GENERATED_ID, /**< generated key identifier invalid (8/155) */
    CSU_E_TYPE_LENGTH, /**< key type and key length inconsistent (8/160) */
    CSU_E_KEY_INCOMPLETE, /**< key cannot be completed (8/439) */
    CSU_E_KEY_COMPLETE, /**< key part cannot be added: key complete (8/441) */
    CSU_E_REPLICATED, /**< DES key with replicated halves not allowed (8/442) */
    CSU_E_PKA_FIELD, /**< PKA token has an invalid field (8/770) */
    CSU_E_PKA_SECTION, /**< section identifier in token invalid (8/763) */
    CSU_E_RSA_MODULUS, /**< RSA modulus length invalid (8/760) */
    CSU_E_RSA_EXPONENT, /**< RSA exponent length invalid (8/761) */
    CSU_E_KVS_LENGTH, /**< length in key-value structure invalid (8/762) */
    CSU_E_ECC_CURVE, /**< ECC curve not supported (8/874) */
    CSU_E_AES_BITS, /**< AES token clear key bit length invalid (8/2098) */
    CSU_E_AES_ENC_LENGTH, /**< AES token encrypted key length invalid (8/2099) */
    CSU_E_PAYLOAD, /**< token payload invalid (8/2113) */
    CSU_E_CLEAR_BITS, /**< clear key bit length out of range (8/2114) */
    CSU_E_NEED_SKELETON, /**< first key part needs a skeleton token (8/2115) */
    CSU_E_LRC, /**< AES token LRC does not match the key (8/3013) */
    CSU_E_PCT, /**< pairwise-consistency test of a generated key pair failed (16/336) */
    CSU_E_ALGORITHM_MISMATCH, /**< algorithm specified inconsistently (8/2089) */
    CSU_E_TEXT_BLOCK, /**< text length not a multiple of the block size (8/51) */
    CSU_E_PAD_CHAR, /**< pad character invalid (8/54) */
    CSU_E_RSA_BLOCK, /**< recovered encryption block invalid (8/66) */
    CSU_E_TEXT_LIMIT, /**< text length exceeds the limit (8/153) */
    CSU_E_RECORD_CHECK, /**< key-storage record check failed (8/192) */
    CSU_E_X923_CONTINUE, /**< X9.23 padding with CONTINUE (8/205) */
    CSU_E_PAD_COUNT, /**< pad count in deciphered data invalid (8/706) */
    CSU_E_CHAIN_VECTOR, /**< chaining vector contents invalid (8/2036) */
    CSU_E_NO_PRIVATE_KEY, /**< no RSA private-key information (8/2038) */
    CSU_E_GCM_TAG, /**< GCM authentication tag does not match (8/2947) */
    CSU_E_LABEL_EXISTS, /**< record with that key label already exists (8/44) */
    CSU_E_KEYSTORE_MISSING, /**< key-storage file not found or not initialised (8/6008) */
    CSU_E_KEYSTORE_IO, /**< key-storage file I/O error (12/197) */
    CSU_W_NO_MATCH, /**< no key records matched (4/158) */
    CSU_W_VERIFY_FAILED, /**< verification failed (4/1) */
    CSU_W_SIGNATURE_INVALID, /**< digital signature not verified (4/429) */
    CSU_E_ECC_CURVE_MISMATCH, /**< keys on different curves (8/2158) */
    CSU_E_UNAVAILABLE,      /**< verb not available here              8/335  */
    CSU_E_DEV_ALLOCATED,    /**< a device is already allocated        8/6000 */
    CSU_E_DEV_NONE,         /**< no device allocated                  8/6001 */
    CSU_E_DEV_ALLOCATED_OTHER, /**< another device is allocated      8/6012 */
    CSU_E_DEV_UNKNOWN,      /**< no such device                       8/6002 */
    CSU_E_DEV_NAME_LENGTH,  /**< resource name length invalid         8/6013 */
    CSU_E_DEV_NAME,         /**< resource name invalid                8/6014 */
    CSU_E_CARD_UNREACHABLE, /**< daemon absent / connection lost      12/338 */
    CSU_E_CARD_NOT_READY,   /**< POST still running                   12/338 */
    CSU_E_CARD_FAILED,      /**< POST failed: card in error state     12/338 */
    CSU_E_MK_NOT_LOADED,    /**< master key not loaded                12/764 */
    CSU_E_NOMEM,            /**< memory exhausted                     12/324 */
    CSU_E_FRAME,            /**< malformed request frame (card side)  16/556 */
    CSU_E_REPLY,            /**< malformed reply frame (host side)    16/337 */
    CSU_E_CRYPTO,           /**< crypto component failure             16/336 */
    CSU_E_INTERNAL,         /**< unexpected internal state            16/336 */
    CSU_E_COUNT_
} csu_err;

/** CCA return/reason pair. */
struct csu_cca_code {
    long return_code;
    long reason_code;
};

/** The CCA return/reason pair for @p err (16/336 for an unknown value). */
struct csu_cca_code csu_err_to_cca(csu_err err);

/** A short English description of @p err, for logs. */
const char *csu_strerror(csu_err err);

#endif /* CSU_ERR_H */
