/* SPDX-License-Identifier: Apache-2.0 */
/* RSA sections of PKA tokens (see tok_rsa.h; layouts in docs/tokens-pka.md). */
#include "tok_rsa.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "csu_mu.h"

#define COMPONENT_MAX (PKA_RSA_MAX_BYTES / 2 + 8)
#define KEY_FORMAT_CLEAR 0x40u
#define KEY_FORMAT_INTERNAL 0x08u
#define AD_VERSION 0x03u
#define HASH_TYPE_SHA256 0x02u

/* A byte range of a section that must be zero. */
struct zero_range {
    uint8_t off, len;
};

static bool ranges_zero(const uint8_t *sec, const struct zero_range *r, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++)
        ok &= pka_all_zero(sec + r[i].off, r[i].len);
    return ok;
}

static bool usage_valid(uint8_t u)
{
    return u == PKA_USAGE_SIG_ONLY || u == PKA_USAGE_KEY_MGMT || u == PKA_USAGE_KM_ONLY;
}

csu_err rsa_check_modulus(const uint8_t *n, size_t n_len, unsigned bits)
{
    if (bits < PKA_RSA_MIN_BITS || bits > PKA_RSA_MAX_BITS || n_len != (bits + 7) / 8 || n[0] == 0)
        return CSU_E_RSA_MODULUS;
    unsigned top = 32 - (unsigned)__builtin_clz(n[0]); /* significant bits of n[0] */
    if (top + 8 * (n_len - 1) != bits || !(n[n_len - 1] & 1))
        return CSU_E_RSA_MODULUS;
    return CSU_OK;
}

csu_err rsa_check_exponent(const uint8_t *e, size_t e_len, bool skeleton, unsigned bits)
{
    static const uint8_t e3[] = {0x03}, f4[] = {0x01, 0x00, 0x01};
    if (skeleton) {
        if (e_len == 0)
            return bits <= PKA_RSA_RANDOM_E_MAX_BITS ? CSU_OK : CSU_E_RSA_EXPONENT;
        bool known = (e_len == 1 && memcmp(e, e3, 1) == 0) || (e_len == 3 && memcmp(e, f4, 3) == 0);
        return known ? CSU_OK : CSU_E_RSA_EXPONENT;
    }
    if (e_len < 1 || e_len > PKA_RSA_MAX_BYTES || e[0] == 0 || !(e[e_len - 1] & 1) || (e_len == 1 && e[0] == 1))
        return CSU_E_RSA_EXPONENT;
    return CSU_OK;
}

/* ---- public section X'04' -------------------------------------------------
 *  0 X'04' | 1 X'00' | 2 length | 4 reserved | 6 e length | 8 modulus bits |
 *  10 modulus bytes (0 when the private section carries n) | 12 e | n
 */

size_t rsa_public_len(const struct pka_key *k, bool with_n)
{
    return RSA_PUBLIC_FIXED + k->rsa.e_len + (with_n ? k->rsa.n_len : 0);
}

void rsa_public_write(uint8_t *out, const struct pka_key *k, bool with_n)
{
    size_t n_len = with_n ? k->rsa.n_len : 0;
    pka_section_header_write(out, PKA_SEC_RSA_PUBLIC, rsa_public_len(k, with_n));
    csu_store_be16(out + 4, 0);
    csu_store_be16(out + 6, (uint16_t)k->rsa.e_len);
    csu_store_be16(out + 8, k->rsa.bits);
    csu_store_be16(out + 10, (uint16_t)n_len);
    memcpy(out + 12, k->rsa.e, k->rsa.e_len);
    memcpy(out + 12 + k->rsa.e_len, k->rsa.n, n_len);
}

csu_err rsa_public_parse(const uint8_t *sec, size_t len, struct pka_key *k)
{
    if (len < RSA_PUBLIC_FIXED || !pka_all_zero(sec + 4, 2))
        return CSU_E_PKA_FIELD;
    size_t e_len = csu_load_be16(sec + 6), n_len = csu_load_be16(sec + 10);
    k->rsa.bits = csu_load_be16(sec + 8);
    if (e_len > PKA_RSA_MAX_BYTES)
        return CSU_E_RSA_EXPONENT;
    if (n_len > PKA_RSA_MAX_BYTES || k->rsa.bits < PKA_RSA_MIN_BITS || k->rsa.bits > PKA_RSA_MAX_BITS)
        return CSU_E_RSA_MODULUS;
    if (RSA_PUBLIC_FIXED + e_len + n_len != len)
        return CSU_E_PKA_FIELD;
    k->rsa.e_len = e_len;
    k->rsa.n_len = n_len;
    memcpy(k->rsa.e, sec + 12, e_len);
    memcpy(k->rsa.n, sec + 12 + e_len, n_len);
    return CSU_OK;
}

/* ---- clear private sections X'08' (CRT) and X'09' (ME) ----------------------
 * X'08':  4 SHA-1(p‖q‖dp‖dq‖U) | 28 key format X'40' | 29 key source |
 *         50 key usage | 54 p len | 56 q len | 58 dp len | 60 dq len |
 *         62 U len | 64 n len | 70 pad length (0) | 132 p q dp dq U | n
 * X'09':  4 SHA-1(d) | 28 X'40' | 29 source | 50 usage | 54 d len |
 *         56 n len | 60 d | n
 * Every other byte is zero.  A skeleton has all lengths 0 and no hash.
 */

static size_t crt_material_len(const struct pka_key *k)
{
    return k->rsa.p_len + k->rsa.q_len + k->rsa.dp_len + k->rsa.dq_len + k->rsa.u_len;
}

/* The private material in payload order: p‖q‖dp‖dq‖U (CRT) or d (ME). */
static size_t material_write(const struct pka_key *k, uint8_t *out)
{
    if (!k->rsa.crt) {
        memcpy(out, k->rsa.d, k->rsa.d_len);
        return k->rsa.d_len;
    }
    const uint8_t *part[] = {k->rsa.p, k->rsa.q, k->rsa.dp, k->rsa.dq, k->rsa.u};
    const size_t len[] = {k->rsa.p_len, k->rsa.q_len, k->rsa.dp_len, k->rsa.dq_len, k->rsa.u_len};
    size_t off = 0;
    for (int i = 0; i < 5; i++) {
        memcpy(out + off, part[i], len[i]);
        off += len[i];
    }
    return off;
}

/* Split material into the key's components; lengths are already set. */
static void material_read(struct pka_key *k, const uint8_t *in)
{
    if (!k->rsa.crt) {
        memcpy(k->rsa.d, in, k->rsa.d_len);
        return;
    }
    uint8_t *part[] = {k->rsa.p, k->rsa.q, k->rsa.dp, k->rsa.dq, k->rsa.u};
    const size_t len[] = {k->rsa.p_len, k->rsa.q_len, k->rsa.dp_len, k->rsa.dq_len, k->rsa.u_len};
    size_t off = 0;
    for (int i = 0; i < 5; i++) {
        memcpy(part[i], in + off, len[i]);
        off += len[i];
    }
}

static size_t private_material_len(const struct pka_key *k)
{
    return k->rsa.crt ? crt_material_len(k) : k->rsa.d_len;
}

static void material_sha1(const struct pka_key *k, uint8_t md[20])
{
    uint8_t buf[PKA_MATERIAL_MAX];
    unsigned md_len = 0;
    size_t n = material_write(k, buf);
    EVP_Digest(buf, n, md, &md_len, EVP_sha1(), NULL);
    OPENSSL_cleanse(buf, sizeof(buf));
}

size_t rsa_clear_len(const struct pka_key *k, bool skeleton)
{
    size_t fixed = k->rsa.crt ? RSA_CLEAR_CRT_FIXED : RSA_CLEAR_ME_FIXED;
    return skeleton ? fixed : fixed + private_material_len(k) + k->rsa.n_len;
}

void rsa_clear_write(uint8_t *out, const struct pka_key *k, bool skeleton)
{
    size_t fixed = k->rsa.crt ? RSA_CLEAR_CRT_FIXED : RSA_CLEAR_ME_FIXED;
    size_t len = rsa_clear_len(k, skeleton);
    memset(out, 0, len);
    pka_section_header_write(out, k->rsa.crt ? PKA_SEC_RSA_CRT_CLEAR : PKA_SEC_RSA_ME_CLEAR, len);
    out[28] = KEY_FORMAT_CLEAR;
    out[29] = skeleton ? PKA_SOURCE_EXTERNAL : k->key_source;
    out[50] = k->usage;
    if (skeleton)
        return;
    material_sha1(k, out + 4);
    if (k->rsa.crt) {
        const size_t lens[] = {k->rsa.p_len, k->rsa.q_len, k->rsa.dp_len, k->rsa.dq_len, k->rsa.u_len,
                               k->rsa.n_len};
        for (int i = 0; i < 6; i++)
            csu_store_be16(out + 54 + 2 * i, (uint16_t)lens[i]);
    } else {
        csu_store_be16(out + 54, (uint16_t)k->rsa.d_len);
        csu_store_be16(out + 56, (uint16_t)k->rsa.n_len);
    }
    size_t m = material_write(k, out + fixed);
    memcpy(out + fixed + m, k->rsa.n, k->rsa.n_len);
}

/* Lengths of X'08': every component fits its buffer, n fits. */
static csu_err clear_crt_lengths(const uint8_t *sec, struct pka_key *k)
{
    size_t *dst[] = {&k->rsa.p_len, &k->rsa.q_len, &k->rsa.dp_len, &k->rsa.dq_len, &k->rsa.u_len};
    for (int i = 0; i < 5; i++) {
        *dst[i] = csu_load_be16(sec + 54 + 2 * i);
        if (*dst[i] > COMPONENT_MAX)
            return CSU_E_PKA_FIELD;
    }
    k->rsa.n_len = csu_load_be16(sec + 64);
    return k->rsa.n_len > PKA_RSA_MAX_BYTES ? CSU_E_RSA_MODULUS : CSU_OK;
}

static csu_err clear_me_lengths(const uint8_t *sec, struct pka_key *k)
{
    k->rsa.d_len = csu_load_be16(sec + 54);
    k->rsa.n_len = csu_load_be16(sec + 56);
    if (k->rsa.n_len > PKA_RSA_MAX_BYTES)
        return CSU_E_RSA_MODULUS;
    return k->rsa.d_len > PKA_RSA_MAX_BYTES ? CSU_E_PKA_FIELD : CSU_OK;
}

static const struct zero_range crt_clear_zero[] = {{24, 4}, {30, 20}, {51, 3}, {66, 6}, {72, 60}};
static const struct zero_range me_clear_zero[] = {{24, 4}, {30, 20}, {51, 3}, {58, 2}};

/* A skeleton carries no key: lengths, hash and source all zero. */
static csu_err clear_skeleton_check(const uint8_t *sec, struct pka_key *k)
{
    if (k->rsa.n_len != 0 || private_material_len(k) != 0 || !pka_all_zero(sec + 4, 20) ||
        sec[29] != PKA_SOURCE_EXTERNAL)
        return CSU_E_PKA_FIELD;
    k->kind = PKA_KIND_SKELETON;
    return CSU_OK;
}

csu_err rsa_clear_parse(const uint8_t *sec, size_t len, struct pka_key *k)
{
    k->rsa.crt = sec[0] == PKA_SEC_RSA_CRT_CLEAR;
    size_t fixed = k->rsa.crt ? RSA_CLEAR_CRT_FIXED : RSA_CLEAR_ME_FIXED;
    if (len < fixed)
        return CSU_E_PKA_FIELD;
    bool zeros = k->rsa.crt ? ranges_zero(sec, crt_clear_zero, 5) : ranges_zero(sec, me_clear_zero, 4);
    if (!zeros || sec[28] != KEY_FORMAT_CLEAR || !usage_valid(sec[50]))
        return CSU_E_PKA_FIELD;
    k->usage = sec[50];
    k->key_source = sec[29];
    csu_err err = k->rsa.crt ? clear_crt_lengths(sec, k) : clear_me_lengths(sec, k);
    if (err != CSU_OK)
        return err;
    size_t m = private_material_len(k);
    if (fixed + m + k->rsa.n_len != len)
        return CSU_E_PKA_FIELD;
    if (m == 0 && k->rsa.n_len == 0)
        return clear_skeleton_check(sec, k);
    bool complete = k->rsa.crt ? (k->rsa.p_len && k->rsa.q_len && k->rsa.dp_len && k->rsa.dq_len && k->rsa.u_len)
                               : k->rsa.d_len != 0;
    if (!complete || k->rsa.n_len == 0)
        return CSU_E_PKA_FIELD;
    material_read(k, sec + fixed);
    memcpy(k->rsa.n, sec + fixed + m, k->rsa.n_len);
    uint8_t md[20];
    material_sha1(k, md);
    bool hash_ok = CRYPTO_memcmp(md, sec + 4, 20) == 0;
    OPENSSL_cleanse(md, sizeof(md));
    if (!hash_ok)
        return CSU_E_PKA_FIELD;
    k->kind = PKA_KIND_CLEAR;
    return CSU_OK;
}

/* ---- internal private sections X'31' (CRT) and X'30' (ME) ---------------------
 * X'31': 4 AD length (134) | 6 payload length | 10 AD version X'03' |
 *        11 key format X'08' | 12 key source | 14 hash type X'02' |
 *        50 key usage | 52 p | 54 q | 56 dp | 58 dq | 60 U | 62 n lengths |
 *        68 OPK (48) | 116 MKVP (8 of 16) | 134 n | payload
 * X'30': 4 AD length (122) | 6 payload length | 10 X'03' | 11 X'08' |
 *        12 source | 14 X'02' | 50 usage | 52 n length | 54 d length |
 *        56 OPK (48) | 104 MKVP (8 of 16) | 122 n | payload
 * Every other byte is zero.
 */

struct internal_layout {
    uint8_t id;
    size_t fixed, opk, mkvp;
};

static const struct internal_layout crt_aes = {PKA_SEC_RSA_CRT_AES, RSA_CRT_AES_FIXED, 68, 116};
static const struct internal_layout me_aes = {PKA_SEC_RSA_ME_AES, RSA_ME_AES_FIXED, 56, 104};
static const struct zero_range crt_aes_zero[] = {{8, 2}, {13, 1}, {15, 35}, {51, 1}, {64, 4}, {124, 10}};
static const struct zero_range me_aes_zero[] = {{8, 2}, {13, 1}, {15, 35}, {51, 1}, {112, 10}};

size_t rsa_internal_len(const struct pka_key *k)
{
    const struct internal_layout *l = k->rsa.crt ? &crt_aes : &me_aes;
    return l->fixed + k->rsa.n_len + pka_payload_len(private_material_len(k));
}

csu_err rsa_internal_write(uint8_t *tok, size_t off, const struct pka_key *k, struct pka_protect *pr)
{
    const struct internal_layout *l = k->rsa.crt ? &crt_aes : &me_aes;
    size_t m = private_material_len(k), len = rsa_internal_len(k);
    if (m == 0 || m > PKA_MATERIAL_MAX)
        return CSU_E_INTERNAL;
    uint8_t *s = tok + off;
    pka_section_header_write(s, l->id, len);
    csu_store_be16(s + 4, (uint16_t)l->fixed);
    csu_store_be16(s + 6, (uint16_t)pka_payload_len(m));
    s[10] = AD_VERSION;
    s[11] = KEY_FORMAT_INTERNAL;
    s[12] = k->key_source;
    s[14] = HASH_TYPE_SHA256;
    s[50] = k->usage;
    if (k->rsa.crt) {
        const size_t lens[] = {k->rsa.p_len, k->rsa.q_len, k->rsa.dp_len, k->rsa.dq_len, k->rsa.u_len,
                               k->rsa.n_len};
        for (int i = 0; i < 6; i++)
            csu_store_be16(s + 52 + 2 * i, (uint16_t)lens[i]);
    } else {
        csu_store_be16(s + 52, (uint16_t)k->rsa.n_len);
        csu_store_be16(s + 54, (uint16_t)k->rsa.d_len);
    }
    memcpy(s + l->fixed, k->rsa.n, k->rsa.n_len);
    *pr = (struct pka_protect){.section_id = l->id, .opk_off = off + l->opk, .mkvp_off = off + l->mkvp,
                               .payload_off = off + l->fixed + k->rsa.n_len, .payload_len = pka_payload_len(m),
                               .material_len = m};
    material_write(k, pr->material);
    return CSU_OK;
}

static csu_err internal_lengths(const uint8_t *s, struct pka_key *k)
{
    if (k->rsa.crt) {
        csu_err err = clear_crt_lengths(s - 2, k); /* same order, two bytes earlier */
        if (err != CSU_OK)
            return err;
        bool complete = k->rsa.p_len && k->rsa.q_len && k->rsa.dp_len && k->rsa.dq_len && k->rsa.u_len;
        return complete ? CSU_OK : CSU_E_PKA_FIELD;
    }
    k->rsa.n_len = csu_load_be16(s + 52);
    k->rsa.d_len = csu_load_be16(s + 54);
    if (k->rsa.n_len > PKA_RSA_MAX_BYTES)
        return CSU_E_RSA_MODULUS;
    return (k->rsa.d_len == 0 || k->rsa.d_len > PKA_RSA_MAX_BYTES) ? CSU_E_PKA_FIELD : CSU_OK;
}

csu_err rsa_internal_parse(const uint8_t *tok, size_t off, size_t len, struct pka_key *k, struct pka_protect *pr)
{
    const uint8_t *s = tok + off;
    k->rsa.crt = s[0] == PKA_SEC_RSA_CRT_AES;
    const struct internal_layout *l = k->rsa.crt ? &crt_aes : &me_aes;
    if (len < l->fixed)
        return CSU_E_PKA_FIELD;
    bool zeros = k->rsa.crt ? ranges_zero(s, crt_aes_zero, 6) : ranges_zero(s, me_aes_zero, 5);
    if (!zeros || csu_load_be16(s + 4) != l->fixed || s[10] != AD_VERSION || s[11] != KEY_FORMAT_INTERNAL ||
        s[14] != HASH_TYPE_SHA256 || !usage_valid(s[50]))
        return CSU_E_PKA_FIELD;
    csu_err err = internal_lengths(s, k);
    if (err != CSU_OK)
        return err;
    size_t m = private_material_len(k), payload = csu_load_be16(s + 6);
    if (m > PKA_MATERIAL_MAX || payload != pka_payload_len(m) || l->fixed + k->rsa.n_len + payload != len)
        return CSU_E_PKA_FIELD;
    k->usage = s[50];
    k->key_source = s[12];
    memcpy(k->rsa.n, s + l->fixed, k->rsa.n_len);
    *pr = (struct pka_protect){.section_id = l->id, .opk_off = off + l->opk, .mkvp_off = off + l->mkvp,
                               .payload_off = off + l->fixed + k->rsa.n_len, .payload_len = payload,
                               .material_len = m};
    return CSU_OK;
}

csu_err rsa_internal_material(const struct pka_protect *pr, struct pka_key *k)
{
    if (pr->material_len != private_material_len(k))
        return CSU_E_PKA_FIELD;
    material_read(k, pr->material);
    return CSU_OK;
}
