/* SPDX-License-Identifier: Apache-2.0 */
/* CSNBMKP's keywords (see spec_masterkey.h).  Without a register-set
 * keyword CSNBMKP acts on SYM-MK, the set the verb originally served. */
#include "spec_masterkey.h"

static const struct csu_keyword mkp_words[] = {
    {"ADAPTER", MKP_GROUP_ADAPTER, 0}, {"ADAPTER1", MKP_GROUP_ADAPTER, 0},
    {"SYM-MK", MKP_GROUP_SET, MK_SYM},  {"ASYM-MK", MKP_GROUP_SET, MK_ASYM},
    {"AES-MK", MKP_GROUP_SET, MK_AES},  {"APKA-MK", MKP_GROUP_SET, MK_APKA},
    {"CLEAR", MKP_GROUP_ACTION, MKP_CLEAR}, {"FIRST", MKP_GROUP_ACTION, MKP_FIRST},
    {"MIDDLE", MKP_GROUP_ACTION, MKP_MIDDLE}, {"LAST", MKP_GROUP_ACTION, MKP_LAST},
    {"SET", MKP_GROUP_ACTION, MKP_SET}, {"RANDOM", MKP_GROUP_ACTION, MKP_RANDOM},
};

const struct csu_rule_spec csu_mkp_spec = {mkp_words, sizeof(mkp_words) / sizeof(mkp_words[0]), 1, 3,
                                           1u << MKP_GROUP_ACTION};
