/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file pka_keygen.h
 * The bridge between PKA tokens' clear keys (struct pka_key) and OpenSSL:
 * key generation, the pairwise-consistency test (PCT) every generated key
 * passes before it is returned, and the consistency check of keys that
 * arrive in the clear (CSNDPKB, CSNDPKI).  OpenSSL 3 EVP interfaces only.
 */
#ifndef PKA_KEYGEN_H
#define PKA_KEYGEN_H

#include <openssl/evp.h>

#include "tok_pka.h"

/**
 * An EVP_PKEY from @p k: the public key, and the private key too when
 * @p with_private (CRT keys get d computed from p, q and e).
 * @return CSU_OK; CSU_E_PKA_FIELD when OpenSSL refuses the numbers (e.g. a
 *         point not on the curve); CSU_E_ECC_CURVE; CSU_E_NOMEM.
 */
csu_err pka_to_evp(const struct pka_key *k, bool with_private, EVP_PKEY **out);

/**
 * Pairwise-consistency test: sign and verify (SHA-256; RSA PKCS#1 v1.5,
 * ECDSA) and, for RSA, raw encrypt and decrypt of a random value with the
 * ciphertext required to differ from the plaintext.
 * @return CSU_OK or CSU_E_PCT.
 */
csu_err pka_pct(EVP_PKEY *pk);

/**
 * Generate a key pair with the attributes of skeleton @p k (RSA: bits,
 * e or none for a random odd 64-bit e, CRT or ME form; ECC: curve), run the
 * PCT and fill @p k's key fields.  kind and key_source are the caller's.
 * @return CSU_OK; CSU_E_PCT (no key is left in @p k); CSU_E_CRYPTO;
 *         CSU_E_ECC_CURVE.
 */
csu_err pka_generate(struct pka_key *k);

/**
 * Check a key that arrived in the clear: public keys must load into
 * OpenSSL (EC points on the curve), private keys must also pass the
 * pairwise test.  @return CSU_OK or CSU_E_PKA_FIELD.
 */
csu_err pka_check_key(const struct pka_key *k);

/** Test hook: while set, every PCT fails (its signature is corrupted). */
void pka_pct_fault(bool on);

#endif /* PKA_KEYGEN_H */
