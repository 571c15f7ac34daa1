/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ISO/IEC 9796-1 (1991) signature formatting for the CSNDDSG/CSNDDSV
 * keyword ISO-9796 (docs/pka-crypto.md, "ISO-9796").  The "message" of the
 * standard is the caller's hash, a whole number of bytes.
 *
 * The representative IR of a z-byte message for a modulus of `bits` bits
 * (ks = bits - 1 signature bits, t = ceil((ks - 1) / 16)):
 *   MR  = for the t rightmost bytes of ... m_z..m_1 m_z..m_1 (the message
 *         repeated), each byte x preceded by its shadow S(x) = pi(x_hi) pi(x_lo);
 *         the z-th shadow byte from the right XOR r (r = 1 + pad bits);
 *   IR  = 1 || (MR mod 2^(ks-1)), then the last byte x = x_hi x_lo -> x_lo 6.
 * Signature: s = IR^d mod n, sent as min(s, n - s).  Verification takes
 * Sigma^e mod n or n minus it, whichever is the representative of the hash.
 *
 * The RSA operations are OpenSSL EVP with RSA_NO_PADDING; the subtraction
 * n - x is OpenSSL BIGNUM.  Nothing here is secret (the hash, the
 * representative and the signature are public); the comparisons use
 * CRYPTO_memcmp all the same.
 */
#ifndef PKA_ISO9796_H
#define PKA_ISO9796_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "csu_err.h"

#define ISO9796_MIN_BITS 32u
#define ISO9796_MAX_BITS 4096u

/*
 * Longest message (bytes) for a modulus of @p bits bits: ISO's limit
 * floor((ks + 3) / 16) and CCA's "at most one-half of the number of bytes
 * required to contain the modulus" -- the same for whole-byte moduli.
 * 0 when @p bits is outside ISO9796_MIN_BITS..ISO9796_MAX_BITS.
 */
size_t iso9796_capacity(unsigned bits);

/*
 * The representative IR, (bits + 7) / 8 bytes big-endian, of the message
 * @p m (@p m_len bytes whose top @p pad_bits bits are the standard's padding
 * zeros; CCA always passes 0).  CSU_E_LENGTH: empty or too long for the
 * modulus, pad_bits > 7 or its bits not zero, bits out of range.
 */
csu_err iso9796_format(const uint8_t *m, size_t m_len, unsigned pad_bits, unsigned bits, uint8_t *ir);

/*
 * @p rec (k bytes) is Sigma^e mod n for a modulus @p n (k bytes, odd e):
 * true when rec or n - rec is the representative of @p m (pad bits 0).
 */
bool iso9796_matches(const uint8_t *m, size_t m_len, unsigned bits, const uint8_t *n, const uint8_t *rec);

/*
 * Sign @p m with the RSA private key @p pk (modulus @p n, @p bits bits):
 * @p sig receives k bytes, min(IR^d, n - IR^d).  CSU_E_LENGTH for a message
 * the modulus cannot carry, CSU_E_CRYPTO when OpenSSL fails.
 */
csu_err iso9796_sign(EVP_PKEY *pk, const uint8_t *n, unsigned bits, const uint8_t *m, size_t m_len, uint8_t *sig);

/*
 * Verify @p sig over @p m with the RSA key @p pk (public part used):
 * CSU_E_LENGTH for a message the modulus cannot carry, else CSU_OK with
 * *valid (a signature not k bytes long, or not below n, is not valid).
 */
csu_err iso9796_verify(EVP_PKEY *pk, const uint8_t *n, unsigned bits, const uint8_t *m, size_t m_len,
                       const uint8_t *sig, size_t sig_len, bool *valid);

#endif
