/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the version X'05' token parser (card/tok_var.c) and
 * the unwrap behind it (card/wrap_var.c).  Invariants checked on every
 * input: a token that parses serialises back to exactly the input bytes
 * (the wrap hashes that serialisation), and an MK-wrapped token only ever
 * unwraps to a key of a valid length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tok_var.h"
#include "wrap_var.h"

/* The master key the seed corpus's internal tokens are wrapped under. */
static const uint8_t fuzz_mk[WRAPV_MK_LEN] = {
    0x46, 0x55, 0x5A, 0x5A, 0x2D, 0x4D, 0x4B, 0x2D, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
    0x38, 0x39, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tokv t;
    if (tokv_parse(data, size, &t) != CSU_OK)
        return 0;
    uint8_t out[TOKV_MAX_LEN];
    size_t len = 0;
    if (tokv_build(&t, out, sizeof(out), &len) != CSU_OK || len != size || memcmp(out, data, size) != 0)
        abort();
    if (t.kms == TOKV_KMS_MK) {
        struct wrapv_key k;
        if (wrapv_open(&t, fuzz_mk, &k) == CSU_OK && !tokv_key_bits_valid(t.alg, k.bits))
            abort();
    }
    tokv_wipe(&t);
    return 0;
}
