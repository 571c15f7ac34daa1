/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the fixed-length token parser (card/tok_fixed.c)
 * and the pure helpers that act on what it accepts: any input is parsed;
 * an accepted token is stripped to a skeleton, which must parse again,
 * and its CVs go through the key-length and key-part helpers.  The
 * unwrapping helpers run under a fixed all-zero test key so that the
 * cipher paths see hostile tokens too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tok_cv.h"
#include "tok_fixed.h"
#include "wrap_fixed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tok_fixed info;
    if (tok_fixed_parse(data, size, &info) != CSU_OK)
        return 0;
    uint8_t tok[TOK_FIXED_LEN], out[32];
    memcpy(tok, data, TOK_FIXED_LEN);
    if (info.kind == TOK_AES_INTERNAL) {
        static const uint8_t mk[32];
        (void)wrap_aes_field(mk, tok + TOK_OFF_AES_KEY, out, false);
        (void)wrap_lrc(out, info.key_len);
    } else {
        static const uint8_t kek[24];
        uint8_t parts[24] = {0};
        memcpy(parts, tok + TOK_OFF_KEY_A, 16);
        memcpy(parts + 16, tok + TOK_OFF_KEY_C, 8);
        (void)wrap_des_parts(kek, info.cv_left, info.cv_right, parts, out, info.key_len, false);
        (void)cv_is_key_part(info.cv_left);
        (void)cv_type_by_cv(info.cv_left);
    }
    tok_fixed_strip_key(tok, &info);
    struct tok_fixed again;
    if (tok_fixed_parse(tok, sizeof(tok), &again) != CSU_OK || again.has_key)
        abort(); /* a stripped valid token must stay valid and keyless */
    return 0;
}
