/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for the PKA unit tests and the fuzz target: two fixed APKA master
 * keys (current and old) with a lookup in the card's shape, and token
 * building under the current one.
 */
#ifndef PKA_TEST_UTIL_H
#define PKA_TEST_UTIL_H

#include <string.h>

#include "card_mk.h"
#include "tok_pka.h"

static const uint8_t test_mk_current[PKA_MK_LEN] = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
static const uint8_t test_mk_old[PKA_MK_LEN] = {
    0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f,
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};

static inline csu_err test_mk_find(void *arg, const uint8_t vp[PKA_MKVP_LEN], uint8_t key[PKA_MK_LEN], bool *old)
{
    (void)arg;
    uint8_t v[MK_VP_LEN];
    card_mk_vp(MK_APKA, test_mk_current, v);
    if (memcmp(v, vp, MK_VP_LEN) == 0) {
        memcpy(key, test_mk_current, PKA_MK_LEN);
        *old = false;
        return CSU_OK;
    }
    card_mk_vp(MK_APKA, test_mk_old, v);
    if (memcmp(v, vp, MK_VP_LEN) == 0) {
        memcpy(key, test_mk_old, PKA_MK_LEN);
        *old = true;
        return CSU_OK;
    }
    return CSU_E_MKVP;
}

static const struct pka_mk_lookup test_lookup = {test_mk_find, NULL};

static inline void test_mk(struct pka_mk *mk, bool old)
{
    memcpy(mk->key, old ? test_mk_old : test_mk_current, PKA_MK_LEN);
    card_mk_vp(MK_APKA, mk->key, mk->vp);
}

#endif
