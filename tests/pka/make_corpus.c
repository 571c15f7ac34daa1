/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the seed corpus of fuzz_tok_pka.c: one token of every shape the
 * parser accepts, internal ones under pka_test_util.h's current master key.
 *     build/tests/pka/pka_make_corpus tests/pka/corpus
 */
#include <stdio.h>
#include <string.h>

#include "pka_keygen.h"
#include "pka_test_util.h"
static struct card_drbg *drbg;
static void save(const char *dir, const char *name, const struct pka_key *k, enum pka_build form) {
    uint8_t t[8192]; size_t len; struct pka_mk mk; test_mk(&mk, false);
    if (pka_token_build(k, form, &mk, drbg, t, sizeof t, &len) != CSU_OK) { printf("fail %s\n", name); return; }
    char p[512]; snprintf(p, sizeof p, "%s/%s", dir, name); FILE *f = fopen(p, "wb"); fwrite(t, 1, len, f); fclose(f);
}
int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s DIR\n", argv[0]); return 2; }
    card_drbg_open("seed", 4, &drbg);
    struct pka_key r = {.alg = PKA_ALG_RSA, .usage = 0x80, .key_source = 0x24}, m, e = {.alg = PKA_ALG_ECC, .key_source = 0x24}, b;
    r.rsa.bits = 512; r.rsa.crt = true; r.rsa.e[0] = 1; r.rsa.e[1] = 0; r.rsa.e[2] = 1; r.rsa.e_len = 3;
    m = r; m.rsa.crt = false; m.rsa.e[0] = 3; m.rsa.e_len = 1;
    e.ecc.p_bits = 256; b = e; b.ecc.curve_type = 1; b.ecc.p_bits = 384;
    pka_generate(&r); pka_generate(&m); pka_generate(&e); pka_generate(&b);
    save(argv[1], "rsa512_crt_internal", &r, PKA_BUILD_INTERNAL);
    save(argv[1], "rsa512_me_internal", &m, PKA_BUILD_INTERNAL);
    save(argv[1], "rsa512_crt_clear", &r, PKA_BUILD_CLEAR);
    save(argv[1], "rsa512_me_clear", &m, PKA_BUILD_CLEAR);
    save(argv[1], "rsa512_public", &r, PKA_BUILD_PUBLIC);
    save(argv[1], "p256_internal", &e, PKA_BUILD_INTERNAL);
    save(argv[1], "bp384_clear", &b, PKA_BUILD_CLEAR);
    save(argv[1], "p256_public", &e, PKA_BUILD_PUBLIC);
    memset(e.name, ' ', 64); memcpy(e.name, "SEED.NAMED", 10); e.has_name = true;
    save(argv[1], "p256_internal_named", &e, PKA_BUILD_INTERNAL);
    r.rsa.n_len = 0; save(argv[1], "rsa_skeleton", &r, PKA_BUILD_SKELETON);
    b.ecc.q_len = 0; save(argv[1], "ecc_skeleton", &b, PKA_BUILD_SKELETON);
    return 0;
}
