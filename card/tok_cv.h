/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file tok_cv.h
 * DES control vectors (reference §3.4): the key-type keywords and their
 * default CVs, the key-form bits that give a fixed-length token its key
 * length, the KEY-PART bit, and CV parity.
 *
 * Bit numbering is IBM's: bit 0 is the most significant bit of byte 0.
 * Every CV byte has even parity; bit 7 of each byte is its parity bit.
 */
#ifndef TOK_CV_H
#define TOK_CV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"

#define CV_LEN 8

/** Key-form variants for double and triple keys (CSNBKGN/CSNBKTB keywords). */
enum cv_form {
    CV_FORM_PLAIN = 0, /**< SINGLE, DOUBLE, TRIPLE */
    CV_FORM_DIFFERENT, /**< DOUBLE-O, TRIPLE-O: parts guaranteed different */
};

/** One row of the default-CV table. */
struct cv_type {
    const char *name; /**< key-type keyword, without padding */
    uint64_t single;  /**< CV of a single-length key (0: not allowed) */
    uint64_t dleft;   /**< CV of the left half of a double-length key (0: not allowed) */
    uint64_t dright;  /**< CV of the right half of a double-length key */
    uint64_t triple;  /**< CV of both halves of a triple-length key (0: not allowed) */
};

/**
 * The table row for an 8-byte key-type keyword (blank or NUL padded,
 * case-insensitive), or NULL when it names no DES key type.
 */
const struct cv_type *cv_type_find(const uint8_t keyword[8]);

/** The table row whose default CV (any length) equals @p left, or NULL. */
const struct cv_type *cv_type_by_cv(const uint8_t left[CV_LEN]);

/**
 * The default CV pair (left, right) of @p t for a key of @p key_len bytes
 * (8, 16, 24) and @p form.
 * @return CSU_OK; CSU_E_TYPE_LENGTH (8/160) when the type does not allow the
 *         length; CSU_E_KEY_LENGTH (8/43) for any other length.
 */
csu_err cv_default(const struct cv_type *t, size_t key_len, enum cv_form form, uint8_t left[CV_LEN],
                   uint8_t right[CV_LEN]);

/**
 * Key length a CV's key-form bits (40-42 of the left half) announce:
 * 000 → 8, 010/110 → 16, 011/111 → 24.  An all-zero CV is the legacy DATA
 * CV and gives 8.  @return 0 for the right-half or reserved forms.
 */
size_t cv_key_length(const uint8_t left[CV_LEN]);

/** True when the CV carries the KEY-PART bit (bit 44). */
bool cv_is_key_part(const uint8_t left[CV_LEN]);

/** Set or clear the KEY-PART bit of one CV half and restore its parity. */
void cv_set_key_part(uint8_t cv[CV_LEN], bool on);

/** The two classes of DES key-encrypting keys (CV bits 8-14). */
enum cv_kek { CV_KEK_EXPORTER, CV_KEK_IMPORTER };

/*
 * Key-generate bits of a KEK's CV (the "gks" bits 18-20, byte 2 of the
 * CV): which CSNBKGN key forms may encipher a key under this KEK.  The
 * reference names the field, not each bit; our assignment follows the
 * keyword order of IBM's CSNBKTB (docs/tokens-fixed.md):
 *   EXPORTER: bit 18 OPEX, bit 19 IMEX, bit 20 EXEX;
 *   IMPORTER: bit 18 OPIM, bit 19 IMEX, bit 20 IMIM.
 * The default EXPORTER and IMPORTER CVs have all three on.
 */
#define CV_GKS_OP 0x20u   /**< bit 18: OPEX (EXPORTER) / OPIM (IMPORTER) */
#define CV_GKS_IMEX 0x10u /**< bit 19: IMEX */
#define CV_GKS_SAME 0x08u /**< bit 20: EXEX (EXPORTER) / IMIM (IMPORTER); also the single EX / IM forms */

/**
 * True when @p cv (one half of a KEK's CV) is of class @p kind and has
 * every key-generate bit of @p gks on (@p gks 0: the class alone).
 */
bool cv_kek_allows(const uint8_t cv[CV_LEN], enum cv_kek kind, uint8_t gks);

/** True when every byte of @p cv has even parity. */
bool cv_parity_ok(const uint8_t cv[CV_LEN]);

/** Give every byte of @p cv even parity (bit 7 of each byte adjusted). */
void cv_fix_parity(uint8_t cv[CV_LEN]);

/** True when every byte of @p key has odd parity (DES convention). */
bool des_parity_ok(const uint8_t *key, size_t len);

/** Give every byte of @p key odd parity. */
void des_fix_parity(uint8_t *key, size_t len);

/**
 * True when the @p width-byte keyword parameter @p kw spells @p name,
 * blank or NUL padded, case-insensitive (as csu_rules compares).
 */
bool cv_keyword_is(const uint8_t *kw, size_t width, const char *name);

#endif /* TOK_CV_H */
