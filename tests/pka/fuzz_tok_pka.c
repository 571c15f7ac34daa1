/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the PKA token parser (card/tok_pka.c, tok_rsa.c,
 * tok_ecc.c): any bytes as a token, parsed with a fixed pair of APKA master
 * keys (pka_test_util.h) so that seeds built under them reach the unwrap
 * and hash checks.  A token that parses is rebuilt in its own shape
 * (external shapes need no randomness) and must parse again.
 * Seeds in corpus/, written by make_corpus.c under the same master keys.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pka_test_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum pka_build shape(enum pka_kind kind)
{
    switch (kind) {
    case PKA_KIND_PUBLIC: return PKA_BUILD_PUBLIC;
    case PKA_KIND_SKELETON: return PKA_BUILD_SKELETON;
    default: return PKA_BUILD_CLEAR;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pka_key k, again;
    static uint8_t out[8192];
    bool old = false;
    if (pka_token_parse(data, size, &test_lookup, &k, &old) != CSU_OK)
        return 0;
    if (k.kind != PKA_KIND_INTERNAL) {
        size_t len = 0;
        if (pka_token_build(&k, shape(k.kind), NULL, NULL, out, sizeof(out), &len) != CSU_OK ||
            pka_token_parse(out, len, &test_lookup, &again, &old) != CSU_OK || again.kind != k.kind)
            abort(); /* what parses must rebuild into what parses */
    }
    pka_key_clear(&k);
    pka_key_clear(&again);
    return 0;
}
