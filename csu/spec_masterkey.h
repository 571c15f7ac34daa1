/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file spec_masterkey.h
 * CSNBMKP's rule array, shared by its host half (csu/verb_masterkey.c,
 * which must know how many key-part bytes to send) and its card half
 * (card/fw_masterkey.c).  Reference §1.4 "Master keys" and §5.
 */
#ifndef SPEC_MASTERKEY_H
#define SPEC_MASTERKEY_H

#include "csu_rules.h"

/** Master-key register sets, in CSUACFQ/state order. */
enum mk_set { MK_SYM = 0, MK_ASYM, MK_AES, MK_APKA, MK_SET_COUNT };

/** CSNBMKP actions. */
enum mkp_action { MKP_CLEAR = 0, MKP_FIRST, MKP_MIDDLE, MKP_LAST, MKP_SET, MKP_RANDOM };

/** Rule groups of CSNBMKP. */
enum { MKP_GROUP_ADAPTER = 0, MKP_GROUP_SET = 1, MKP_GROUP_ACTION = 2 };

extern const struct csu_rule_spec csu_mkp_spec;

/** Register size of a set: 24 bytes (SYM, ASYM) or 32 (AES, APKA). */
static inline unsigned mk_set_length(enum mk_set set)
{
    return (set == MK_AES || set == MK_APKA) ? 32u : 24u;
}

/** True when the action reads key_part. */
static inline int mkp_action_takes_part(enum mkp_action a)
{
    return a == MKP_FIRST || a == MKP_MIDDLE || a == MKP_LAST;
}

#endif
