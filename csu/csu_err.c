/* SPDX-License-Identifier: Apache-2.0 */
/* The single internal-error -> CCA return/reason table (reference §2). */
#include "csu_err.h"

struct err_entry {
    long rc;
    long rs;
    const char *text;
};

static const struct err_entry err_table[CSU_E_COUNT_] = {
    [CSU_OK] = {0, 0, "success"},
    [CSU_E_NULL_POINTER] = {8, 184, "required pointer is NULL"},
    [CSU_E_RULE_COUNT] = {8, 35, "rule_array_count invalid"},
    [CSU_E_RULE_KEYWORD] = {8, 33, "rule-array keyword not valid"},
    [CSU_E_RULE_CONFLICT] = {8, 34, "rule-array keywords conflict"},
    [CSU_E_RULE_MISSING] = {8, 129, "required rule-array keyword missing"},
    [CSU_E_LENGTH] = {8, 72, "length invalid or buffer too small"},
    [CSU_E_DATA] = {8, 85, "date/time or verb data invalid"},
    [CSU_E_COMMAND_DATA] = {8, 385, "command data invalid"},
    [CSU_E_MKVP] = {8, 48, "key not enciphered under the current or old master key"},
    [CSU_E_MK_WEAK] = {8, 703, "new master key is a weak DES key"},
    [CSU_E_MK_SAME] = {8, 704, "new master key has the verification pattern of the current or old one"},
    [CSU_E_MK_STATE] = {8, 707, "master-key registers not in the required state"},
    [CSU_E_TVV_INTERNAL] = {8, 29, "internal token validation value wrong"},
    [CSU_E_TVV_EXTERNAL] = {8, 12, "external token validation value wrong"},
    [CSU_E_LABEL_FORMAT] = {8, 32, "key label format invalid"},
    [CSU_E_LABEL_NOT_FOUND] = {8, 30, "no record with that key label"},
    [CSU_E_KEYSTORE_UNSET] = {8, 6007, "key-storage file not designated"},
    [CSU_E_KEY_LENGTH] = {8, 43, "key length keyword or token length invalid"},
    [CSU_E_TOKEN_VERSION] = {8, 49, "token version not supported"},
    [CSU_E_KEY_TYPE] = {8, 61, "key type keyword invalid"},
    [CSU_E_TOKEN_HEADER] = {8, 63, "token header invalid"},
    [CSU_E_KEY_USE] = {8, 64, "key not permitted for this operation"},
    [CSU_E_TOKEN_CONSISTENCY] = {8, 65, "token failed consistency check"},
    [CSU_E_CV] = {8, 39, "control vector violation"},
    [CSU_E_KEY_FORM] = {8, 41, "key_form keyword invalid"},
    [CSU_E_TOKEN_NULL] = {8, 180, "null token presented"},
    [CSU_E_TOKEN_TYPE] = {8, 181, "token invalid: bad first byte or wrong token type"},
    [CSU_E_GENERATED_ID] = {8, 155, "generated key identifier invalid"},
    [CSU_E_TYPE_LENGTH] = {8, 160, "key type and key length inconsistent"},
    [CSU_E_KEY_INCOMPLETE] = {8, 439, "key cannot be completed"},
    [CSU_E_KEY_COMPLETE] = {8, 441, "key part cannot be added: key complete"},
    [CSU_E_REPLICATED] = {8, 442, "DES key with replicated halves not allowed"},
    [CSU_E_PKA_FIELD] = {8, 770, "PKA token has an invalid field"},
    [CSU_E_PKA_SECTION] = {8, 763, "section identifier in token invalid"},
    [CSU_E_RSA_MODULUS] = {8, 760, "RSA modulus length invalid"},
    [CSU_E_RSA_EXPONENT] = {8, 761, "RSA exponent length invalid"},
    [CSU_E_KVS_LENGTH] = {8, 762, "length in key-value structure invalid"},
    [CSU_E_ECC_CURVE] = {8, 874, "ECC curve not supported"},
    [CSU_E_AES_BITS] = {8, 2098, "AES token clear key bit length invalid"},
    [CSU_E_AES_ENC_LENGTH] = {8, 2099, "AES token encrypted key length invalid"},
    [CSU_E_PAYLOAD] = {8, 2113, "token payload invalid"},
    [CSU_E_CLEAR_BITS] = {8, 2114, "clear key bit length out of range"},
    [CSU_E_NEED_SKELETON] = {8, 2115, "first key part needs a skeleton token"},
    [CSU_E_LRC] = {8, 3013, "AES token LRC does not match the key"},
    [CSU_E_PCT] = {16, 336, "pairwise-consistency test of a generated key pair failed"},
    [CSU_E_ALGORITHM_MISMATCH] = {8, 2089, "algorithm specified inconsistently"},
    [CSU_E_TEXT_BLOCK] = {8, 51, "text length not a multiple of the block size"},
    [CSU_E_PAD_CHAR] = {8, 54, "pad character invalid"},
    [CSU_E_RSA_BLOCK] = {8, 66, "recovered encryption block invalid"},
    [CSU_E_TEXT_LIMIT] = {8, 153, "text length exceeds the limit"},
    [CSU_E_RECORD_CHECK] = {8, 192, "key-storage record check failed"},
    [CSU_E_X923_CONTINUE] = {8, 205, "X9.23 padding with CONTINUE"},
    [CSU_E_PAD_COUNT] = {8, 706, "pad count in deciphered data invalid"},
    [CSU_E_CHAIN_VECTOR] = {8, 2036, "chaining vector contents invalid"},
    [CSU_E_NO_PRIVATE_KEY] = {8, 2038, "no RSA private-key information"},
    [CSU_E_GCM_TAG] = {8, 2947, "GCM authentication tag does not match"},
    [CSU_E_LABEL_EXISTS] = {8, 44, "record with that key label already exists"},
    [CSU_E_KEYSTORE_MISSING] = {8, 6008, "key-storage file not found or not initialised"},
    [CSU_E_KEYSTORE_IO] = {12, 197, "key-storage file I/O error"},
    [CSU_W_NO_MATCH] = {4, 158, "no key records matched"},
    [CSU_W_VERIFY_FAILED] = {4, 1, "verification failed"},
    [CSU_W_SIGNATURE_INVALID] = {4, 429, "digital signature not verified"},
    [CSU_E_ECC_CURVE_MISMATCH] = {8, 2158, "ECC keys on different curves"},
    [CSU_E_UNAVAILABLE] = {8, 335, "function not available in this environment"},
    [CSU_E_DEV_ALLOCATED] = {8, 6000, "a device is already allocated"},
    [CSU_E_DEV_NONE] = {8, 6001, "no device allocated"},
    [CSU_E_DEV_ALLOCATED_OTHER] = {8, 6012, "another resource is already allocated"},
    [CSU_E_DEV_UNKNOWN] = {8, 6002, "no such device"},
    [CSU_E_DEV_NAME_LENGTH] = {8, 6013, "resource name length invalid"},
    [CSU_E_DEV_NAME] = {8, 6014, "resource name invalid"},
    [CSU_E_CARD_UNREACHABLE] = {12, 338, "card not reachable"},
    [CSU_E_CARD_NOT_READY] = {12, 338, "card power-on self-test in progress"},
    [CSU_E_CARD_FAILED] = {12, 338, "card power-on self-test failed"},
    [CSU_E_MK_NOT_LOADED] = {12, 764, "master key not loaded"},
    [CSU_E_NOMEM] = {12, 324, "insufficient memory"},
    [CSU_E_FRAME] = {16, 556, "request frame malformed"},
    [CSU_E_REPLY] = {16, 337, "reply frame malformed"},
    [CSU_E_CRYPTO] = {16, 336, "cryptographic component failure"},
    [CSU_E_INTERNAL] = {16, 336, "internal error"},
};

struct csu_cca_code csu_err_to_cca(csu_err err)
{
    if ((unsigned)err >= CSU_E_COUNT_)
        err = CSU_E_INTERNAL;
    return (struct csu_cca_code){err_table[err].rc, err_table[err].rs};
}

const char *csu_strerror(csu_err err)
{
    if ((unsigned)err >= CSU_E_COUNT_)
        return "unknown error";
    return err_table[err].text;
}
