/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file card_drbg.h
 * The card's random bit generator: NIST SP 800-90A Hash_DRBG with SHA-256
 * (OpenSSL's EVP_RAND "HASH-DRBG"), never Dual_EC_DRBG.  One instance per
 * card worker, seeded from the operating system's entropy source with a
 * per-instance personalisation string.
 */
#ifndef CARD_DRBG_H
#define CARD_DRBG_H

#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"

struct card_drbg;

/** A live instance seeded from the OS.  CSU_E_CRYPTO if OpenSSL refuses. */
csu_err card_drbg_open(const void *personalisation, size_t pers_len, struct card_drbg **out);

/**
 * A deterministic instance for known-answer tests: entropy and nonce come
 * from the caller (OpenSSL's TEST-RAND parent), as in NIST CAVS.
 */
csu_err card_drbg_open_test(const uint8_t *entropy, size_t entropy_len, const uint8_t *nonce, size_t nonce_len,
                            const uint8_t *pers, size_t pers_len, struct card_drbg **out);

/**
 * As card_drbg_open_test, instantiated with prediction resistance: every
 * card_drbg_generate_pr call then draws fresh entropy (EntropyInputPR).
 */
csu_err card_drbg_open_test_pr(const uint8_t *entropy, size_t entropy_len, const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *pers, size_t pers_len, struct card_drbg **out);

/**
 * Reseed (SP 800-90A 9.2) with additional input @p adin (NULL or empty: none).
 * A test instance takes @p entropy (EntropyInputReseed, required) through its
 * TEST-RAND parent; a live instance draws fresh entropy from the OS and
 * requires @p entropy NULL / 0.  CSU_E_NULL_POINTER / CSU_E_LENGTH on misuse.
 */
csu_err card_drbg_reseed(struct card_drbg *d, const uint8_t *entropy, size_t entropy_len, const uint8_t *adin,
                         size_t adin_len);

/**
 * Generate with prediction resistance: the DRBG reseeds before producing
 * output.  A test instance takes @p entropy (EntropyInputPR, required; reused
 * for each chunk when @p len exceeds the maximum request); a live instance
 * draws from the OS and requires @p entropy NULL / 0.
 */
csu_err card_drbg_generate_pr(struct card_drbg *d, uint8_t *out, size_t len, const uint8_t *entropy,
                              size_t entropy_len, const uint8_t *adin, size_t adin_len);

/** Fill @p out; any length (split into the DRBG's maximum request). */
csu_err card_drbg_generate(struct card_drbg *d, uint8_t *out, size_t len, const uint8_t *adin, size_t adin_len);

/** Uninstantiate (zeroizes the working state) and free. */
void card_drbg_close(struct card_drbg *d);

#endif /* CARD_DRBG_H */
