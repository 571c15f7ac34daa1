/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file tok_pka.h
 * PKA key tokens (reference §3.7): the clear key they carry, the token
 * header, section walking, the key-name section and the protection of
 * internal private sections.  docs/tokens-pka.md describes the layouts and
 * the decisions taken where IBM's are unknown.
 *
 * A token is an 8-byte header {id X'1E'|X'1F', version X'00', length u16,
 * 4 zero bytes} and sections {id, version X'00', length u16, ...}: the
 * private section (if any), the public section, an optional key-name
 * section X'10'.  Numbers are big-endian.
 *
 * Internal private sections (RSA X'30'/X'31', ECC X'20' format X'08') are
 * protected by a random 32-byte object-protection key (OPK) per token:
 *   OPK field (48 bytes) = AES-KW_APKA-MK( 8-byte label ‖ OPK )
 *   payload             = AES-KWP_OPK( SHA-256(token bytes outside the
 *                         payload) ‖ private key material )
 * so any change to any byte of the token fails an unwrap or the hash
 * compare, and the key is never used.
 *
 * Thread safety: all functions are reentrant; the MK lookup callback is
 * called with no lock held.
 */
#ifndef TOK_PKA_H
#define TOK_PKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card_drbg.h"
#include "csu_err.h"

#define PKA_HDR_LEN 8u
#define PKA_TOKEN_EXTERNAL 0x1Eu
#define PKA_TOKEN_INTERNAL 0x1Fu
#define PKA_TOKEN_MAX 65535u /* the header's u16 length */
#define PKA_MAX_SECTIONS 4u

/* Section identifiers this card reads and writes. */
#define PKA_SEC_KEY_NAME 0x10u
#define PKA_SEC_RSA_PUBLIC 0x04u
#define PKA_SEC_RSA_CRT_CLEAR 0x08u /* external, key format X'40' */
#define PKA_SEC_RSA_ME_CLEAR 0x09u  /* external, key format X'40' */
#define PKA_SEC_RSA_ME_AES 0x30u    /* internal, OPK under the APKA MK */
#define PKA_SEC_RSA_CRT_AES 0x31u   /* internal, OPK under the APKA MK */
#define PKA_SEC_ECC_PRIVATE 0x20u
#define PKA_SEC_ECC_PUBLIC 0x21u

#define PKA_NAME_LEN 64u
#define PKA_NAME_SECTION_LEN 68u
#define PKA_MKVP_LEN 8u
#define PKA_MK_LEN 32u
#define PKA_OPK_LEN 32u
#define PKA_OPK_FIELD_LEN 48u
#define PKA_HASH_LEN 32u

/* Key usage byte (RSA offset 50, ECC offset 8). */
#define PKA_USAGE_SIG_ONLY 0x00u
#define PKA_USAGE_KEY_MGMT 0x80u
#define PKA_USAGE_KM_ONLY 0xC0u

/* Key source byte. */
#define PKA_SOURCE_EXTERNAL 0x00u
#define PKA_SOURCE_IMPORTED_CLEAR 0x21u
#define PKA_SOURCE_RANDOM 0x24u

#define PKA_RSA_MIN_BITS 512u
#define PKA_RSA_MAX_BITS 4096u
#define PKA_RSA_MAX_BYTES 512u
#define PKA_RSA_RANDOM_E_MAX_BITS 2048u
#define PKA_ECC_MAX_BYTES 66u
#define PKA_ECC_Q_MAX (1u + 2u * PKA_ECC_MAX_BYTES)
/** Largest private-key material a payload carries (RSA-4096 CRT is 5 x 256). */
#define PKA_MATERIAL_MAX 2600u

enum pka_alg { PKA_ALG_RSA = 1, PKA_ALG_ECC = 2 };

/** What a token holds. */
enum pka_kind {
    PKA_KIND_PUBLIC = 1,   /**< public key only (external) */
    PKA_KIND_SKELETON = 2, /**< key attributes, no key (CSNDPKB for CSNDPKG) */
    PKA_KIND_CLEAR = 3,    /**< clear private key (external, key format X'40') */
    PKA_KIND_INTERNAL = 4, /**< private key under the APKA master key */
};

/** The clear contents of a PKA token.  Wipe with pka_key_clear(). */
struct pka_key {
    enum pka_alg alg;
    enum pka_kind kind;
    uint8_t usage;      /**< PKA_USAGE_* */
    uint8_t key_source; /**< PKA_SOURCE_* */
    bool has_name;
    uint8_t name[PKA_NAME_LEN];
    struct {
        bool crt;      /**< private form: CRT (X'08'/X'31') or ME (X'09'/X'30') */
        uint16_t bits; /**< modulus bits */
        size_t e_len, n_len;
        uint8_t e[PKA_RSA_MAX_BYTES];
        uint8_t n[PKA_RSA_MAX_BYTES];
        /* CRT: p, q, dp, dq, U; ME: d (n_len bytes) */
        size_t p_len, q_len, dp_len, dq_len, u_len, d_len;
        uint8_t p[PKA_RSA_MAX_BYTES / 2 + 8], q[PKA_RSA_MAX_BYTES / 2 + 8];
        uint8_t dp[PKA_RSA_MAX_BYTES / 2 + 8], dq[PKA_RSA_MAX_BYTES / 2 + 8];
        uint8_t u[PKA_RSA_MAX_BYTES / 2 + 8];
        uint8_t d[PKA_RSA_MAX_BYTES];
    } rsa;
    struct {
        uint8_t curve_type; /**< X'00' prime (NIST), X'01' Brainpool */
        uint16_t p_bits;
        size_t d_len, q_len;
        uint8_t d[PKA_ECC_MAX_BYTES];
        uint8_t q[PKA_ECC_Q_MAX]; /**< X'04' ‖ x ‖ y */
    } ecc;
};

void pka_key_clear(struct pka_key *k);

/** A curve this card supports. */
struct pka_curve {
    uint8_t type;
    uint16_t bits;
    uint8_t bytes;      /**< field (and private key) bytes */
    const char *name;   /**< OpenSSL group name */
};

/** The curve of @p type and @p bits, or NULL (the caller answers 8/874). */
const struct pka_curve *pka_curve_find(uint8_t type, uint16_t bits);

/* ---- header and sections ------------------------------------------------ */

struct pka_section {
    uint8_t id;
    size_t off; /**< token offset of the section's first byte */
    size_t len; /**< section length, header included */
};

struct pka_view {
    const uint8_t *tok;
    size_t len;
    uint8_t token_id;
    unsigned count;
    struct pka_section sec[PKA_MAX_SECTIONS];
};

/**
 * Walk a token's header and sections without interpreting them.
 * @return CSU_OK; CSU_E_TOKEN_NULL (first byte X'00'), CSU_E_TOKEN_TYPE
 *         (not X'1E'/X'1F'), CSU_E_TOKEN_VERSION, CSU_E_LENGTH (header
 *         length differs from @p len), CSU_E_PKA_SECTION (a section id this
 *         card does not know for that token id), CSU_E_PKA_FIELD (reserved
 *         bytes, section version, section lengths, duplicate or too many
 *         sections).
 */
csu_err pka_walk(const uint8_t *tok, size_t len, struct pka_view *v);

/** The section with @p id, or NULL. */
const struct pka_section *pka_view_find(const struct pka_view *v, uint8_t id);

/** Write a token header for @p total bytes. */
void pka_header_write(uint8_t *out, uint8_t token_id, size_t total);

/** Write a section header {id, X'00', len}. */
void pka_section_header_write(uint8_t *out, uint8_t id, size_t len);

/** Key-name section: parse (the label's syntax is checked: 8/770) and write. */
csu_err pka_name_parse(const uint8_t *sec, size_t len, struct pka_key *k);
void pka_name_write(uint8_t *out, const struct pka_key *k);

/** True when @p n bytes at @p p are all zero (constant time in the data). */
bool pka_all_zero(const uint8_t *p, size_t n);

/* ---- protection of internal private sections ----------------------------- */

/**
 * Where the protected fields of an internal private section lie (token
 * offsets), and the clear material its payload carries.  Filled by the
 * section's writer or parser (tok_rsa.c, tok_ecc.c).
 */
struct pka_protect {
    uint8_t section_id;
    size_t opk_off;     /**< 48-byte wrapped OPK */
    size_t mkvp_off;    /**< 8-byte MKVP (rest of a 16-byte field must be zero) */
    size_t payload_off;
    size_t payload_len;
    size_t material_len;
    uint8_t material[PKA_MATERIAL_MAX];
};

/**
 * AES-256 key wrap of @p in into @p out (@p cap bytes): RFC 3394 (AES-KW,
 * @p in_len a multiple of 8, at least 16) or, with @p pad, RFC 5649
 * (AES-KWP, any length from 1), with OpenSSL's AES-256-WRAP /
 * AES-256-WRAP-PAD ciphers (fetched once).  Used to seal internal sections;
 * exported for the unit tests (RFC 3394 vector, refused lengths).
 * @return false on a length out of range or an OpenSSL failure.
 */
bool pka_aes_wrap(const uint8_t key[32], bool pad, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                  size_t *out_len);

/** Wrapped payload length for @p material_len bytes of key material. */
size_t pka_payload_len(size_t material_len);

/** APKA master key for wrapping (current) or unwrapping (found by MKVP). */
struct pka_mk {
    uint8_t key[PKA_MK_LEN];
    uint8_t vp[PKA_MKVP_LEN];
};

/**
 * Finds the APKA master key a token's MKVP names (the card passes
 * card_mk_find under its lock; unit tests pass their own).
 * @return CSU_OK, CSU_E_MKVP, CSU_E_MK_NOT_LOADED.
 */
typedef csu_err (*pka_mk_lookup_fn)(void *arg, const uint8_t vp[PKA_MKVP_LEN], uint8_t key[PKA_MK_LEN],
                                    bool *old);

struct pka_mk_lookup {
    pka_mk_lookup_fn find;
    void *arg;
};

/**
 * Fill in the OPK field, the MKVP and the payload of a token whose other
 * bytes are final: a fresh OPK from @p drbg, wrapped under @p mk.
 * @return CSU_OK, CSU_E_CRYPTO.
 */
csu_err pka_protect_seal(uint8_t *tok, size_t len, struct pka_protect *pr, const struct pka_mk *mk,
                         struct card_drbg *drbg);

/**
 * Recover the material of an internal private section: find the master key
 * by MKVP, unwrap the OPK, unwrap the payload and compare the hash of the
 * rest of the token (CRYPTO_memcmp).
 * @param[out] old true when the token is under the old master key.
 * @return CSU_OK; CSU_E_MKVP, CSU_E_MK_NOT_LOADED; CSU_E_PKA_FIELD (any
 *         unwrap or hash failure).
 */
csu_err pka_protect_open(const uint8_t *tok, size_t len, struct pka_protect *pr, const struct pka_mk_lookup *mk,
                         bool *old);

/* ---- whole tokens --------------------------------------------------------- */

/**
 * Parse a PKA token into @p k.  Internal tokens are fully verified (master
 * key found through @p mk, OPK and payload unwrapped, hash compared); clear
 * external tokens are checked field by field.  Keys are not checked for
 * mathematical consistency here (pka_keygen.h does that).
 * @param[out] old true when an internal token is under the old master key.
 * @return CSU_OK or the walker's, the section parsers' or the lookup's code.
 */
csu_err pka_token_parse(const uint8_t *tok, size_t len, const struct pka_mk_lookup *mk, struct pka_key *k,
                        bool *old);

/** Shapes pka_token_build writes. */
enum pka_build {
    PKA_BUILD_PUBLIC,   /**< X'1E' + public section (RSA with n) */
    PKA_BUILD_SKELETON, /**< X'1E' + private section without key + public section */
    PKA_BUILD_CLEAR,    /**< X'1E' + clear private section (format X'40') + public */
    PKA_BUILD_INTERNAL, /**< X'1F' + protected private section + public */
};

/** Length of the token pka_token_build writes (PKA_TOKEN_MAX and up: too long). */
size_t pka_token_len(const struct pka_key *k, enum pka_build form);

/**
 * Build a token of shape @p form from @p k (plus its key-name section).
 * @param mk, drbg needed for PKA_BUILD_INTERNAL only.
 * @param cap  bytes available at @p out; CSU_E_LENGTH when too small.
 * @return CSU_OK, CSU_E_LENGTH, CSU_E_CRYPTO, CSU_E_INTERNAL (a key that
 *         does not fit the shape).
 */
csu_err pka_token_build(const struct pka_key *k, enum pka_build form, const struct pka_mk *mk,
                        struct card_drbg *drbg, uint8_t *out, size_t cap, size_t *len);

#endif /* TOK_PKA_H */
