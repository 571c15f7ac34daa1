/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file wrap_var.h
 * Wrapping the key of a version X'05' token under the AES master key
 * (key material state X'03', method AESKW, hash SHA-256).
 *
 * payload = AES-256 key wrap (SP 800-38F KW, RFC 3394) under the master key of
 *   0-1   key bit length
 *   2     payload format version (byte 28 of the token)
 *   3     algorithm (byte 41)
 *   4     hash algorithm: X'02' SHA-256
 *   5-7   zero
 *   8-39  SHA-256 of every token byte before the payload, with the total
 *         length, AD length and payload length already final
 *   40-   the key, zero padded to a multiple of 8 bytes (V0) or, for AES
 *         with payload version 1, to 32 bytes
 * so AES-128/192/256 give V0 payloads of 512/576/640 bits and V1 always 640.
 * Any change to any token byte fails the unwrap's integrity check or the
 * hash compare: 8/2113, never a usable key.
 */
#ifndef WRAP_VAR_H
#define WRAP_VAR_H

#include <stdint.h>

#include "csu_err.h"
#include "tok_var.h"

#define WRAPV_MK_LEN 32u
#define WRAPV_MKVP_LEN 8u
#define WRAPV_MAX_KEY 256u /**< bytes: HMAC keys up to 2048 bits */

/** A clear key on its way in or out of a token.  Wipe with OPENSSL_cleanse. */
struct wrapv_key {
    unsigned bits;
    uint8_t bytes[WRAPV_MAX_KEY];
};

/** Payload bits a wrapped key of @p bits gets (0 if @p bits is invalid). */
unsigned wrapv_payload_bits(uint8_t alg, uint8_t pfv, unsigned bits);

/**
 * Wrap @p key into @p t under @p mk: sets the key material state, KVP
 * (@p mkvp), wrap method, hash and payload of @p t.  The token's id must
 * be internal; its AD (usage, management fields, name, user data) is bound.
 * @return CSU_OK, CSU_E_CLEAR_BITS (8/2114) key length invalid for the
 *         algorithm, CSU_E_CRYPTO, CSU_E_NOMEM.
 */
csu_err wrapv_seal(struct tokv *t, const uint8_t mk[WRAPV_MK_LEN], const uint8_t mkvp[WRAPV_MKVP_LEN],
                   const struct wrapv_key *key);

/**
 * Unwrap the key of @p t (state X'03') with @p mk and check it belongs to
 * exactly this token.  @return CSU_OK, CSU_E_PAYLOAD (8/2113) on any
 * mismatch (nothing is returned then), CSU_E_NOMEM.
 */
csu_err wrapv_open(const struct tokv *t, const uint8_t mk[WRAPV_MK_LEN], struct wrapv_key *key);

/*
 * External tokens (key material state X'02', id X'02'): the same payload
 * and checks, AESKW under an AES key-encrypting key of 128, 192 or 256
 * bits (an EXPORTER or IMPORTER token's key) instead of the master key;
 * KVP type X'02', KVP = wrapv_kek_vp of the KEK.
 */

/** KEK verification pattern: Trunc64(SHA-256(X'01' || KEK)).  CSU_OK, CSU_E_KEY_LENGTH, CSU_E_CRYPTO. */
csu_err wrapv_kek_vp(const struct wrapv_key *kek, uint8_t vp[WRAPV_MKVP_LEN]);

/**
 * Wrap @p key into the external token @p t under @p kek: state X'02',
 * KVP, method, hash and payload.  @return as wrapv_seal; CSU_E_KEY_LENGTH
 * for a KEK that is not 128/192/256 bits.
 */
csu_err wrapv_seal_kek(struct tokv *t, const struct wrapv_key *kek, const struct wrapv_key *key);

/**
 * Unwrap the key of the external token @p t (state X'02', AESKW) with
 * @p kek.  @return CSU_OK; CSU_E_PAYLOAD (8/2113) when the KVP is not the
 * KEK's or on any integrity mismatch; CSU_E_KEY_LENGTH; CSU_E_NOMEM.
 */
csu_err wrapv_open_kek(const struct tokv *t, const struct wrapv_key *kek, struct wrapv_key *key);

#endif /* WRAP_VAR_H */
