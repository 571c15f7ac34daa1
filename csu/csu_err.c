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
