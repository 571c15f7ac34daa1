/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECC sections of PKA tokens (see tok_ecc.h).
 *
 * Private X'20':  4 wrapping (X'00' clear, X'01' AESKW) | 5 hash (X'00'
 *   clear, X'02' SHA-256) | 8 key usage | 9 curve type | 10 key format
 *   (X'40' clear, X'08' internal) | 11 key source | 12 p bits | 14 IBM AD
 *   length (0) | 16 MKVP (8) | 24 OPK (48) | 72 AD length (0) | 74 data
 *   length | 76 d (clear, field bytes; none in a skeleton) or payload.
 * Public X'21':  8 curve type | 10 p bits | 12 q length | 14 q.
 * Every other byte is zero.
 */
#include "tok_ecc.h"

#include <string.h>

#include <openssl/crypto.h>

#include "csu_mu.h"

#define WRAP_CLEAR 0x00u
#define WRAP_AESKW 0x01u
#define HASH_NONE 0x00u
#define HASH_SHA256 0x02u
#define FORMAT_CLEAR 0x40u
#define FORMAT_INTERNAL 0x08u
#define OPK_OFF 24u
#define MKVP_OFF 16u

static bool usage_valid(uint8_t u)
{
    return u == PKA_USAGE_SIG_ONLY || u == PKA_USAGE_KEY_MGMT || u == PKA_USAGE_KM_ONLY;
}

csu_err ecc_check_point_length(const struct pka_key *k)
{
    const struct pka_curve *c = pka_curve_find(k->ecc.curve_type, k->ecc.p_bits);
    if (!c)
        return CSU_E_ECC_CURVE;
    if (k->ecc.q_len != 1u + 2u * c->bytes || k->ecc.q[0] != 0x04)
        return CSU_E_PKA_FIELD;
    return CSU_OK;
}

/* ---- public X'21' ----------------------------------------------------------- */

size_t ecc_public_len(const struct pka_key *k)
{
    return ECC_PUBLIC_FIXED + k->ecc.q_len;
}

void ecc_public_write(uint8_t *out, const struct pka_key *k)
{
    size_t len = ecc_public_len(k);
    memset(out, 0, len);
    pka_section_header_write(out, PKA_SEC_ECC_PUBLIC, len);
    out[8] = k->ecc.curve_type;
    csu_store_be16(out + 10, k->ecc.p_bits);
    csu_store_be16(out + 12, (uint16_t)k->ecc.q_len);
    memcpy(out + 14, k->ecc.q, k->ecc.q_len);
}

csu_err ecc_public_parse(const uint8_t *sec, size_t len, struct pka_key *k)
{
    if (len < ECC_PUBLIC_FIXED || !pka_all_zero(sec + 4, 4) || sec[9] != 0)
        return CSU_E_PKA_FIELD;
    k->ecc.curve_type = sec[8];
    k->ecc.p_bits = csu_load_be16(sec + 10);
    if (!pka_curve_find(k->ecc.curve_type, k->ecc.p_bits))
        return CSU_E_ECC_CURVE;
    size_t q_len = csu_load_be16(sec + 12);
    if (ECC_PUBLIC_FIXED + q_len != len || q_len > PKA_ECC_Q_MAX)
        return CSU_E_PKA_FIELD;
    k->ecc.q_len = q_len;
    memcpy(k->ecc.q, sec + 14, q_len);
    return q_len == 0 ? CSU_OK : ecc_check_point_length(k);
}

/* ---- private X'20' ---------------------------------------------------------- */

static size_t field_bytes(const struct pka_key *k)
{
    const struct pka_curve *c = pka_curve_find(k->ecc.curve_type, k->ecc.p_bits);
    return c ? c->bytes : 0;
}

static void private_fixed_write(uint8_t *s, const struct pka_key *k, size_t len, bool internal)
{
    memset(s, 0, ECC_PRIVATE_FIXED);
    pka_section_header_write(s, PKA_SEC_ECC_PRIVATE, len);
    s[4] = internal ? WRAP_AESKW : WRAP_CLEAR;
    s[5] = internal ? HASH_SHA256 : HASH_NONE;
    s[8] = k->usage;
    s[9] = k->ecc.curve_type;
    s[10] = internal ? FORMAT_INTERNAL : FORMAT_CLEAR;
    s[11] = k->key_source;
    csu_store_be16(s + 12, k->ecc.p_bits);
    csu_store_be16(s + 74, (uint16_t)(len - ECC_PRIVATE_FIXED));
}

size_t ecc_clear_len(const struct pka_key *k, bool skeleton)
{
    return ECC_PRIVATE_FIXED + (skeleton ? 0 : k->ecc.d_len);
}

void ecc_clear_write(uint8_t *out, const struct pka_key *k, bool skeleton)
{
    struct pka_key shown = {.usage = k->usage, .key_source = skeleton ? PKA_SOURCE_EXTERNAL : k->key_source};
    shown.ecc.curve_type = k->ecc.curve_type;
    shown.ecc.p_bits = k->ecc.p_bits;
    private_fixed_write(out, &shown, ecc_clear_len(k, skeleton), false);
    if (!skeleton)
        memcpy(out + ECC_PRIVATE_FIXED, k->ecc.d, k->ecc.d_len);
}

size_t ecc_internal_len(const struct pka_key *k)
{
    return ECC_PRIVATE_FIXED + pka_payload_len(field_bytes(k));
}

csu_err ecc_internal_write(uint8_t *tok, size_t off, const struct pka_key *k, struct pka_protect *pr)
{
    size_t m = field_bytes(k);
    if (m == 0 || k->ecc.d_len != m)
        return CSU_E_INTERNAL;
    private_fixed_write(tok + off, k, ecc_internal_len(k), true);
    *pr = (struct pka_protect){.section_id = PKA_SEC_ECC_PRIVATE, .opk_off = off + OPK_OFF,
                               .mkvp_off = off + MKVP_OFF, .payload_off = off + ECC_PRIVATE_FIXED,
                               .payload_len = pka_payload_len(m), .material_len = m};
    memcpy(pr->material, k->ecc.d, m);
    return CSU_OK;
}

/* Fixed fields common to both forms: format, wrapping, curve, usage, zeros. */
static csu_err private_fixed_parse(const uint8_t *s, bool internal, struct pka_key *k)
{
    if (!pka_all_zero(s + 6, 2) || !pka_all_zero(s + 14, 2) || !pka_all_zero(s + 72, 2))
        return CSU_E_PKA_FIELD;
    if (s[4] != (internal ? WRAP_AESKW : WRAP_CLEAR) || s[5] != (internal ? HASH_SHA256 : HASH_NONE) ||
        s[10] != (internal ? FORMAT_INTERNAL : FORMAT_CLEAR) || !usage_valid(s[8]))
        return CSU_E_PKA_FIELD;
    if (!pka_curve_find(s[9], csu_load_be16(s + 12)))
        return CSU_E_ECC_CURVE;
    if (s[9] != k->ecc.curve_type || csu_load_be16(s + 12) != k->ecc.p_bits)
        return CSU_E_PKA_FIELD; /* private and public sections disagree */
    k->usage = s[8];
    k->key_source = s[11];
    return CSU_OK;
}

static csu_err clear_parse(const uint8_t *s, size_t len, struct pka_key *k)
{
    size_t d_len = csu_load_be16(s + 74);
    if (!pka_all_zero(s + MKVP_OFF, PKA_MKVP_LEN + PKA_OPK_FIELD_LEN) || ECC_PRIVATE_FIXED + d_len != len)
        return CSU_E_PKA_FIELD;
    if (d_len == 0) {
        if (k->key_source != PKA_SOURCE_EXTERNAL)
            return CSU_E_PKA_FIELD;
        k->kind = PKA_KIND_SKELETON;
        return CSU_OK;
    }
    if (d_len != field_bytes(k))
        return CSU_E_PKA_FIELD;
    k->ecc.d_len = d_len;
    memcpy(k->ecc.d, s + ECC_PRIVATE_FIXED, d_len);
    k->kind = PKA_KIND_CLEAR;
    return CSU_OK;
}

csu_err ecc_private_parse(const uint8_t *tok, size_t off, size_t len, bool internal, struct pka_key *k,
                          struct pka_protect *pr)
{
    const uint8_t *s = tok + off;
    if (len < ECC_PRIVATE_FIXED)
        return CSU_E_PKA_FIELD;
    csu_err err = private_fixed_parse(s, internal, k);
    if (err != CSU_OK)
        return err;
    if (!internal)
        return clear_parse(s, len, k);
    size_t m = field_bytes(k), payload = csu_load_be16(s + 74);
    if (payload != pka_payload_len(m) || ECC_PRIVATE_FIXED + payload != len)
        return CSU_E_PKA_FIELD;
    *pr = (struct pka_protect){.section_id = PKA_SEC_ECC_PRIVATE, .opk_off = off + OPK_OFF,
                               .mkvp_off = off + MKVP_OFF, .payload_off = off + ECC_PRIVATE_FIXED,
                               .payload_len = payload, .material_len = m};
    return CSU_OK;
}

csu_err ecc_internal_material(const struct pka_protect *pr, struct pka_key *k)
{
    if (pr->material_len != field_bytes(k) || pr->material_len > sizeof(k->ecc.d))
        return CSU_E_PKA_FIELD;
    k->ecc.d_len = pr->material_len;
    memcpy(k->ecc.d, pr->material, pr->material_len);
    return CSU_OK;
}
