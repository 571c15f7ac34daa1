/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file tok_ecc.h
 * ECC sections of PKA tokens (reference §3.7): private X'20' (clear
 * external, key format X'40', wrapping X'00'; or internal, format X'08',
 * wrapping X'01' AESKW under the APKA master key) and public X'21'
 * (q length at +12, q = X'04' ‖ x ‖ y at +14).  Offsets in
 * docs/tokens-pka.md.
 */
#ifndef TOK_ECC_H
#define TOK_ECC_H

#include "tok_pka.h"

#define ECC_PRIVATE_FIXED 76u
#define ECC_PUBLIC_FIXED 14u

/** Check an uncompressed point's length for the key's curve (8/770). */
csu_err ecc_check_point_length(const struct pka_key *k);

size_t ecc_public_len(const struct pka_key *k);
void ecc_public_write(uint8_t *out, const struct pka_key *k);
/** Sets curve type, p bits and q (q_len 0 in a skeleton). */
csu_err ecc_public_parse(const uint8_t *sec, size_t len, struct pka_key *k);

/* Clear external private section (skeleton: no d). */
size_t ecc_clear_len(const struct pka_key *k, bool skeleton);
void ecc_clear_write(uint8_t *out, const struct pka_key *k, bool skeleton);

size_t ecc_internal_len(const struct pka_key *k);
csu_err ecc_internal_write(uint8_t *tok, size_t off, const struct pka_key *k, struct pka_protect *pr);

/**
 * Parse a private section X'20' of either form.  @p internal selects the
 * form the token header requires (format X'08' + wrapping X'01', else
 * format X'40' + wrapping X'00').  Clear: sets kind and d.  Internal: fills
 * @p pr for pka_protect_open.
 */
csu_err ecc_private_parse(const uint8_t *tok, size_t off, size_t len, bool internal, struct pka_key *k,
                          struct pka_protect *pr);
/** Copy the opened material (d) into @p k. */
csu_err ecc_internal_material(const struct pka_protect *pr, struct pka_key *k);

#endif /* TOK_ECC_H */
