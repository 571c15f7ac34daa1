/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file card_mk.h
 * Master-key registers: loading (CSNBMKP), verification patterns, and the
 * lookup every wrapping operation makes (is this token under the current
 * or the old master key?).  All functions act on a card_state the caller
 * has locked.
 */
#ifndef CARD_MK_H
#define CARD_MK_H

#include "card_internal.h"
#include "spec_masterkey.h"

#define MK_VP_LEN 8

/**
 * Verification pattern of a register value (reference §3.8): the first 8
 * bytes of SHA-1(X'01' || key) for the 24-byte SYM and ASYM registers, of
 * SHA-256(X'01' || key) for the 32-byte AES and APKA registers.
 */
void card_mk_vp(enum mk_set set, const uint8_t *key, uint8_t vp[MK_VP_LEN]);

/**
 * Remake the stored patterns and key-cache fingerprints of @p m's current
 * and old registers (struct card_mk_set).  Every writer of cmk, omk,
 * cmk_valid or omk_valid calls it before the state is used again
 * (CSNBMKP SET, loading and resetting the state); card_mk_find and
 * card_mk_current read the stored values and hash nothing.
 */
void card_mk_register_changed(struct card_mk_set *m, enum mk_set set);

/**
 * True when every set's stored patterns and fingerprints are those of its
 * registers (recomputes them all, ~1 us: for card_state_save and tests).
 */
bool card_mk_patterns_ok(const struct card_state *st);

/**
 * One CSNBMKP step on @p st.
 * @param part key part (mk_set_length bytes) for FIRST/MIDDLE/LAST, else NULL.
 * @param drbg randomness for RANDOM.
 * @param[out] warning 0, or a reason code to return with return code 0
 *             (701 duplicate thirds, 702 part without odd parity).
 * @return CSU_OK, CSU_E_MK_STATE (8/707), CSU_E_MK_SAME (8/704),
 *         CSU_E_MK_WEAK (8/703), CSU_E_CRYPTO.
 */
csu_err card_mk_process(struct card_state *st, enum mk_set set, enum mkp_action action, const uint8_t *part,
                        struct card_drbg *drbg, long *warning);

/** The CSUACFQ state characters of a set: NMK '1'-'3', CMK and OMK '1'/'2'. */
void card_mk_states(const struct card_state *st, enum mk_set set, char states[3]);

/**
 * Find the register a token's verification pattern names.
 * @param[out] key the register value (mk_set_length bytes).
 * Compares with the patterns stored by card_mk_register_changed.  When the
 * calling thread is bound to a key cache, also tells it the register's
 * stored fingerprint (card_keycache_note_mk), so that card_keycache_mk_fp
 * of the key handed out costs a compare, not a hash.
 * @param[out] old true when it is the old master key (caller answers 0/10001).
 * @return CSU_OK; CSU_E_MK_NOT_LOADED (12/764) when no current master key;
 *         CSU_E_MKVP (8/48) when neither current nor old matches.
 */
csu_err card_mk_find(const struct card_state *st, enum mk_set set, const uint8_t vp[MK_VP_LEN], uint8_t *key,
                     bool *old);

/** card_mk_find on @p card's state, under the card's lock. */
csu_err card_mk_find_locked(struct card *card, enum mk_set set, const uint8_t vp[MK_VP_LEN], uint8_t *key,
                            bool *old);

/**
 * The APKA lookup PKA token parsing takes (pka_mk_lookup_fn): @p card is the
 * struct card; the key is 32 bytes.
 */
csu_err card_mk_find_apka(void *card, const uint8_t vp[MK_VP_LEN], uint8_t key[32], bool *old);

/** The current master key and its pattern, for wrapping new keys. */
csu_err card_mk_current(const struct card_state *st, enum mk_set set, uint8_t *key, uint8_t vp[MK_VP_LEN]);

#endif
