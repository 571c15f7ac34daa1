/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file card_seal.h
 * The card's device key and what it seals: the master-key registers at rest.
 *
 * A real coprocessor keeps the key that protects its master keys in
 * battery-backed RAM inside the tamper boundary, and zeroizing the card
 * erases it.  The emulated card keeps that key in its own file beside the
 * state, STATEDIR/bbram.key (32 random bytes, mode 0600, made on the first
 * save), so the state file never holds a master key in the clear: a copy of
 * card.state alone (a backup, a log attachment) gives no key away, and
 * erasing bbram.key is the zeroize the tamper work will call.
 *
 * Sealing is AES-256-GCM under the device key with a fresh 12-byte nonce per
 * seal; the caller's associated data binds the sealed bytes to their place
 * (the card's serial number), so a sealed block moved to another card's
 * state does not open.
 */
#ifndef CARD_SEAL_H
#define CARD_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"

#define CARD_SEAL_KEY_FILE "bbram.key"
#define CARD_SEAL_NONCE 12u
#define CARD_SEAL_TAG 16u
/** Bytes a seal adds: nonce before, tag after. */
#define CARD_SEAL_OVERHEAD (CARD_SEAL_NONCE + CARD_SEAL_TAG)

/**
 * Seal @p len bytes into @p out (len + CARD_SEAL_OVERHEAD bytes) under the
 * device key of @p dir, making the key first if the card has none.
 * CSU_E_DEV_NAME: the key file cannot be read or made; CSU_E_CRYPTO.
 */
csu_err card_seal(const char *dir, const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out);

/**
 * Open what card_seal made: @p len bytes in, len - CARD_SEAL_OVERHEAD out.
 * CSU_E_DEV_NAME: no device key (never made, or erased); CSU_E_CRYPTO: the
 * bytes, the associated data or the key differ from the seal's.  @p out is
 * wiped on failure.
 */
csu_err card_unseal(const char *dir, const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                    uint8_t *out);

#endif
