/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ISO/IEC 9796-1 formatting for CSNDDSG/CSNDDSV ISO-9796 (pka_iso9796.h,
 * docs/pka-crypto.md).  Step names follow the standard: padding (none here:
 * CCA hashes are whole bytes, r = 1), extension, redundancy, truncation and
 * forcing, then the RSA operation and min(s, n - s).
 */
#include "pka_iso9796.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>

#define K_MAX (ISO9796_MAX_BITS / 8u)
/* MR is 2t bytes, t = ceil((ks - 1) / 16); it can be one byte longer than the modulus. */
#define MR_MAX (K_MAX + 2u)

/* The standard's nibble permutation pi, used by the shadow function S. */
static const uint8_t pi[16] = {0xE, 0x3, 0x5, 0x8, 0x9, 0x4, 0x2, 0xF, 0x0, 0xD, 0xB, 0x6, 0x7, 0xA, 0xC, 0x1};

static uint8_t shadow(uint8_t x)
{
    return (uint8_t)(pi[x >> 4] << 4 | pi[x & 0x0F]);
}

static size_t modulus_bytes(unsigned bits)
{
    return (bits + 7u) / 8u;
}

size_t iso9796_capacity(unsigned bits)
{
    if (bits < ISO9796_MIN_BITS || bits > ISO9796_MAX_BITS)
        return 0;
    size_t iso = (bits + 2u) / 16u; /* floor((ks + 3) / 16), ks = bits - 1 */
    size_t cca = modulus_bytes(bits) / 2u;
    return iso < cca ? iso : cca;
}

/* Keep the ks - 1 = bits - 2 low bits of the k-byte block and put a 1 bit above them. */
static void truncate_and_force(uint8_t *ir, size_t k, unsigned bits)
{
    for (size_t p = bits - 1u; p < 8u * k; p++)
        ir[k - 1u - p / 8u] &= (uint8_t)~(1u << (p % 8u));
    size_t top = bits - 2u;
    ir[k - 1u - top / 8u] |= (uint8_t)(1u << (top % 8u));
}

csu_err iso9796_format(const uint8_t *m, size_t m_len, unsigned pad_bits, unsigned bits, uint8_t *ir)
{
    if (!m || m_len == 0 || m_len > iso9796_capacity(bits) || pad_bits > 7u || (m[0] >> (8u - pad_bits)) != 0)
        return CSU_E_LENGTH;
    size_t k = modulus_bytes(bits), t = (bits + 13u) / 16u;
    size_t len = 2u * t > k ? 2u * t : k;
    uint8_t mr[MR_MAX] = {0};
    uint8_t *end = mr + len; /* MR is right-aligned: its last byte is m_1 */
    /* extension and redundancy: the message repeated over t bytes, each byte after its shadow */
    for (size_t j = 0; j < t; j++) {
        uint8_t x = m[m_len - 1u - j % m_len];
        end[-1 - 2 * (ptrdiff_t)j] = x;
        end[-2 - 2 * (ptrdiff_t)j] = shadow(x);
    }
    end[-2 * (ptrdiff_t)m_len] ^= (uint8_t)(pad_bits + 1u); /* r marks where the message starts */
    memcpy(ir, end - k, k);
    truncate_and_force(ir, k, bits);
    ir[k - 1u] = (uint8_t)(ir[k - 1u] << 4 | 0x06); /* m_1 = hi lo -> lo 6 */
    return CSU_OK;
}

/* out = n - x (k bytes each, x < n), through OpenSSL BIGNUM. */
static bool complement(const uint8_t *n, const uint8_t *x, size_t k, uint8_t *out)
{
    BIGNUM *bn = BN_bin2bn(n, (int)k, NULL), *bx = BN_bin2bn(x, (int)k, NULL), *d = BN_new();
    bool ok = bn && bx && d && BN_sub(d, bn, bx) == 1 && !BN_is_negative(d) &&
              BN_bn2binpad(d, out, (int)k) == (int)k;
    BN_free(bn);
    BN_free(bx);
    BN_free(d);
    return ok;
}

bool iso9796_matches(const uint8_t *m, size_t m_len, unsigned bits, const uint8_t *n, const uint8_t *rec)
{
    uint8_t ir[K_MAX], alt[K_MAX];
    size_t k = modulus_bytes(bits);
    if (iso9796_format(m, m_len, 0, bits, ir) != CSU_OK || !complement(n, rec, k, alt))
        return false;
    /* both compared, no early exit: one of rec and n - rec is even, only an even one can match */
    int direct = CRYPTO_memcmp(rec, ir, k), other = CRYPTO_memcmp(alt, ir, k);
    return (direct == 0) | (other == 0);
}

/* An RSA context without padding, initialised by @p init. */
static EVP_PKEY_CTX *raw_rsa(EVP_PKEY *pk, int (*init)(EVP_PKEY_CTX *))
{
    EVP_PKEY_CTX *c = pk ? EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL) : NULL;
    if (c && init(c) == 1 && EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1)
        return c;
    EVP_PKEY_CTX_free(c);
    return NULL;
}

csu_err iso9796_sign(EVP_PKEY *pk, const uint8_t *n, unsigned bits, const uint8_t *m, size_t m_len, uint8_t *sig)
{
    uint8_t ir[K_MAX], alt[K_MAX];
    csu_err err = iso9796_format(m, m_len, 0, bits, ir);
    if (err != CSU_OK)
        return err;
    size_t k = modulus_bytes(bits), s_len = k;
    EVP_PKEY_CTX *c = raw_rsa(pk, EVP_PKEY_sign_init); /* IR < 2^(bits-1) <= n: a valid input */
    bool ok = c && EVP_PKEY_sign(c, sig, &s_len, ir, k) == 1 && s_len == k && complement(n, sig, k, alt);
    EVP_PKEY_CTX_free(c);
    if (ok && memcmp(alt, sig, k) < 0) /* same length, big-endian: memcmp orders the numbers */
        memcpy(sig, alt, k);
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

csu_err iso9796_verify(EVP_PKEY *pk, const uint8_t *n, unsigned bits, const uint8_t *m, size_t m_len,
                       const uint8_t *sig, size_t sig_len, bool *valid)
{
    *valid = false;
    if (!m || m_len == 0 || m_len > iso9796_capacity(bits))
        return CSU_E_LENGTH;
    size_t k = modulus_bytes(bits), rec_len = k;
    if (sig_len != k)
        return CSU_OK;
    uint8_t rec[K_MAX];
    EVP_PKEY_CTX *c = raw_rsa(pk, EVP_PKEY_verify_recover_init);
    /* OpenSSL refuses a signature that is not below n */
    bool ok = c && EVP_PKEY_verify_recover(c, rec, &rec_len, sig, sig_len) == 1 && rec_len == k;
    EVP_PKEY_CTX_free(c);
    *valid = ok && iso9796_matches(m, m_len, bits, n, rec);
    return CSU_OK;
}
