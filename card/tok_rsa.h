/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file tok_rsa.h
 * RSA sections of PKA tokens (reference §3.7): public X'04', the clear
 * external private sections CSNDPKB builds (CRT X'08' and ME X'09', key
 * format X'40'), and the internal sections under the APKA master key (ME
 * X'30', CRT X'31').  Offsets in docs/tokens-pka.md.  Parsers check every
 * length against the section before use; writers assume the lengths
 * returned by the matching *_len function are available.
 */
#ifndef TOK_RSA_H
#define TOK_RSA_H

#include "tok_pka.h"

#define RSA_PUBLIC_FIXED 12u
#define RSA_CLEAR_CRT_FIXED 132u
#define RSA_CLEAR_ME_FIXED 60u
#define RSA_ME_AES_FIXED 122u
#define RSA_CRT_AES_FIXED 134u

/**
 * Check a modulus against its bit length: 512-4096 bits, no leading zero
 * byte, exactly @p bits significant bits, odd.  CSU_E_RSA_MODULUS otherwise.
 */
csu_err rsa_check_modulus(const uint8_t *n, size_t n_len, unsigned bits);

/**
 * Check a public exponent: 1-512 bytes, no leading zero byte, odd, > 1.
 * A skeleton's exponent may also be empty (the card picks one; modulus
 * <= 2048 bits) and otherwise must be 3 or 65537.  CSU_E_RSA_EXPONENT.
 */
csu_err rsa_check_exponent(const uint8_t *e, size_t e_len, bool skeleton, unsigned bits);

/* Public section X'04'; @p with_n: the modulus is in this section. */
size_t rsa_public_len(const struct pka_key *k, bool with_n);
void rsa_public_write(uint8_t *out, const struct pka_key *k, bool with_n);
/** Sets bits, e and (if present) n; n_len 0 when the section carries none. */
csu_err rsa_public_parse(const uint8_t *sec, size_t len, struct pka_key *k);

/* Clear external private sections X'08' (k->rsa.crt) and X'09'. */
size_t rsa_clear_len(const struct pka_key *k, bool skeleton);
void rsa_clear_write(uint8_t *out, const struct pka_key *k, bool skeleton);
/** Sets kind (SKELETON when it holds no key, else CLEAR), usage, source, private parts and n. */
csu_err rsa_clear_parse(const uint8_t *sec, size_t len, struct pka_key *k);

/* Internal private sections X'31' (k->rsa.crt) and X'30'. */
size_t rsa_internal_len(const struct pka_key *k);
/**
 * Write the section at @p tok + @p off except its OPK, MKVP and payload;
 * fill @p pr (positions and the material to seal).
 */
csu_err rsa_internal_write(uint8_t *tok, size_t off, const struct pka_key *k, struct pka_protect *pr);
/** Parse the fixed fields and n; fill @p pr's positions for pka_protect_open. */
csu_err rsa_internal_parse(const uint8_t *tok, size_t off, size_t len, struct pka_key *k, struct pka_protect *pr);
/** Copy the opened material into @p k's private parts (lengths from the fields). */
csu_err rsa_internal_material(const struct pka_protect *pr, struct pka_key *k);

#endif /* TOK_RSA_H */
