/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AESKW wrapping of version X'05' token keys under the AES master key
 * (payload layout in wrap_var.h, decisions in docs/tokens-v5.md).
 */
#include "wrap_var.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "card_keycache.h"
#include "csu_mu.h"
#include "spec_masterkey.h"

#define PLAIN_HEADER 8u
#define PLAIN_HASH 32u
#define PLAIN_KEY_OFFSET (PLAIN_HEADER + PLAIN_HASH)
#define KW_ICV 8u
#define V1_AES_KEY_FIELD 32u
#define PLAIN_MAX (PLAIN_KEY_OFFSET + WRAPV_MAX_KEY)

/* Bytes the key takes inside the wrapped plaintext. */
static size_t key_field_len(uint8_t alg, uint8_t pfv, unsigned bits)
{
    if (pfv == 1 && alg == TOKV_ALG_AES)
        return V1_AES_KEY_FIELD;
    return ((bits / 8u) + 7u) / 8u * 8u;
}

unsigned wrapv_payload_bits(uint8_t alg, uint8_t pfv, unsigned bits)
{
    if (!tokv_key_bits_valid(alg, bits) || pfv > 1 || (pfv == 1 && alg != TOKV_ALG_AES))
        return 0;
    return (unsigned)(PLAIN_KEY_OFFSET + key_field_len(alg, pfv, bits) + KW_ICV) * 8u;
}

/* SHA-256 of the token bytes before the payload. */
static csu_err prefix_hash(const struct tokv *t, uint8_t md[PLAIN_HASH])
{
    uint8_t prefix[TOKV_MAX_LEN];
    size_t len;
    unsigned md_len = 0;
    csu_err err = tokv_write_prefix(t, prefix, sizeof(prefix), &len);
    if (err != CSU_OK)
        return CSU_E_INTERNAL;
    if (EVP_Digest(prefix, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != PLAIN_HASH)
        return CSU_E_CRYPTO;
    return CSU_OK;
}

/* The wrapping key: the AES master key (32 bytes) or an AES KEK (16, 24 or 32). */
struct wrap_with {
    const uint8_t *key;
    size_t len;
};

/*
 * AES key wrap (enc) or unwrap with integrity check (!enc) under @p w.
 * @p out must hold @p in_len + 8 bytes.  A failed unwrap is CSU_E_PAYLOAD.
 */
static csu_err aes_kw(bool enc, struct wrap_with w, const uint8_t *in, size_t in_len, uint8_t *out,
                      size_t *out_len)
{
    const EVP_CIPHER *kw = w.len == 16 ? EVP_aes_128_wrap() : w.len == 24 ? EVP_aes_192_wrap() : EVP_aes_256_wrap();
    if (w.len != 16 && w.len != 24 && w.len != 32)
        return CSU_E_INTERNAL;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return CSU_E_NOMEM;
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    int n = 0, m = 0;
    bool ok = EVP_CipherInit_ex(c, kw, NULL, w.key, NULL, enc ? 1 : 0) == 1 &&
              EVP_CipherUpdate(c, out, &n, in, (int)in_len) == 1 && EVP_CipherFinal_ex(c, out + n, &m) == 1;
    EVP_CIPHER_CTX_free(c); /* cleanses the key schedule */
    size_t want = enc ? in_len + KW_ICV : in_len - KW_ICV;
    if (ok && (size_t)(n + m) == want) {
        *out_len = want;
        return CSU_OK;
    }
    return enc ? CSU_E_CRYPTO : CSU_E_PAYLOAD;
}

/* The wrapping section: under the master key (KVP type 1) or a KEK (type 2), AESKW, SHA-256. */
static void set_wrapping(struct tokv *t, uint8_t kms, const uint8_t vp[WRAPV_MKVP_LEN], unsigned payload_bits)
{
    t->kms = kms;
    t->kvp_type = kms == TOKV_KMS_MK ? TOKV_KVP_AES_MK : TOKV_KVP_KEK;
    memset(t->kvp, 0, sizeof(t->kvp));
    memcpy(t->kvp, vp, WRAPV_MKVP_LEN);
    t->wrap_method = TOKV_WRAP_AESKW;
    t->wrap_hash = TOKV_HASH_SHA256;
    t->payload_bits = (uint16_t)payload_bits;
}

/* The payload (wrap_var.h) of @p key under @p w; the token's wrapping section is set first, so it is hashed. */
static csu_err seal_with(struct tokv *t, struct wrap_with w, uint8_t kms, const uint8_t vp[WRAPV_MKVP_LEN],
                         const struct wrapv_key *key)
{
    unsigned payload_bits = wrapv_payload_bits(t->alg, t->pfv, key->bits);
    if (payload_bits == 0)
        return CSU_E_CLEAR_BITS;
    if (t->id != (kms == TOKV_KMS_MK ? TOKV_ID_INTERNAL : TOKV_ID_EXTERNAL))
        return CSU_E_INTERNAL;
    set_wrapping(t, kms, vp, payload_bits);
    uint8_t plain[PLAIN_MAX] = {0};
    size_t plain_len = payload_bits / 8u - KW_ICV, wrapped_len = 0;
    csu_store_be16(plain, (uint16_t)key->bits);
    plain[2] = t->pfv;
    plain[3] = t->alg;
    plain[4] = TOKV_HASH_SHA256;
    csu_err err = prefix_hash(t, plain + PLAIN_HEADER);
    memcpy(plain + PLAIN_KEY_OFFSET, key->bytes, key->bits / 8u);
    if (err == CSU_OK)
        err = aes_kw(true, w, plain, plain_len, t->payload, &wrapped_len);
    OPENSSL_cleanse(plain, sizeof(plain));
    return err;
}

csu_err wrapv_seal(struct tokv *t, const uint8_t mk[WRAPV_MK_LEN], const uint8_t mkvp[WRAPV_MKVP_LEN],
                   const struct wrapv_key *key)
{
    return seal_with(t, (struct wrap_with){mk, WRAPV_MK_LEN}, TOKV_KMS_MK, mkvp, key);
}

/* The plaintext's header and padding as the token requires them. */
static bool plain_matches(const struct tokv *t, const uint8_t *plain, size_t plain_len, unsigned *bits)
{
    *bits = csu_load_be16(plain);
    if (plain[2] != t->pfv || plain[3] != t->alg || plain[4] != TOKV_HASH_SHA256 ||
        (plain[5] | plain[6] | plain[7]) != 0)
        return false;
    if (wrapv_payload_bits(t->alg, t->pfv, *bits) != t->payload_bits)
        return false; /* also rejects an invalid key length */
    uint8_t pad = 0;
    for (size_t i = PLAIN_KEY_OFFSET + *bits / 8u; i < plain_len; i++)
        pad |= plain[i];
    return pad == 0;
}

/* The unwrap proper: integrity check, hash compare, header and padding. */
static csu_err open_payload(const struct tokv *t, struct wrap_with w, uint8_t kms, struct wrapv_key *key)
{
    size_t wrapped_len = t->payload_bits / 8u;
    if (t->kms != kms || t->wrap_method != TOKV_WRAP_AESKW || t->payload_bits % 64u != 0 || wrapped_len < PLAIN_KEY_OFFSET + 2 * KW_ICV ||
        wrapped_len > PLAIN_MAX + KW_ICV)
        return CSU_E_PAYLOAD;
    uint8_t plain[PLAIN_MAX + KW_ICV], md[PLAIN_HASH];
    size_t plain_len = 0;
    unsigned bits = 0;
    csu_err err = aes_kw(false, w, t->payload, wrapped_len, plain, &plain_len);
    if (err == CSU_OK)
        err = prefix_hash(t, md);
    if (err == CSU_OK && (CRYPTO_memcmp(md, plain + PLAIN_HEADER, PLAIN_HASH) != 0 ||
                          !plain_matches(t, plain, plain_len, &bits)))
        err = CSU_E_PAYLOAD;
    if (err == CSU_OK) {
        key->bits = bits;
        memcpy(key->bytes, plain + PLAIN_KEY_OFFSET, bits / 8u);
    }
    OPENSSL_cleanse(plain, sizeof(plain));
    return err;
}

/* Cache identity of @p t (the whole token, re-serialized) under @p mk. */
static bool cache_id(const struct tokv *t, const uint8_t mk[WRAPV_MK_LEN], struct kc_id *id)
{
    uint8_t tok[TOKV_MAX_LEN];
    size_t len = 0;
    return card_keycache_active() && t->kms == TOKV_KMS_MK && tokv_build(t, tok, sizeof(tok), &len) == CSU_OK &&
           card_keycache_id(KC_V5, MK_AES, tok, len, mk, WRAPV_MK_LEN, id) == CSU_OK;
}

csu_err wrapv_open(const struct tokv *t, const uint8_t mk[WRAPV_MK_LEN], struct wrapv_key *key)
{
    struct kc_id id;
    size_t len = 0;
    bool cacheable = cache_id(t, mk, &id);
    if (cacheable && card_keycache_get(&id, key->bytes, sizeof(key->bytes), &len, &key->bits, sizeof(key->bits),
                                       NULL, NULL)) {
        if (len == key->bits / 8u)
            return CSU_OK;
        OPENSSL_cleanse(key, sizeof(*key)); /* cannot happen for the same token bytes */
    }
    csu_err err = open_payload(t, (struct wrap_with){mk, WRAPV_MK_LEN}, TOKV_KMS_MK, key);
    if (err == CSU_OK && cacheable)
        card_keycache_put(&id, &(struct kc_value){.secret = key->bytes, .secret_len = key->bits / 8u,
                                                  .info = &key->bits, .info_len = sizeof(key->bits)});
    return err;
}

/* ---- external tokens: under an AES key-encrypting key ---------------------- */

static bool kek_length_ok(const struct wrapv_key *kek)
{
    return kek->bits == 128 || kek->bits == 192 || kek->bits == 256;
}

csu_err wrapv_kek_vp(const struct wrapv_key *kek, uint8_t vp[WRAPV_MKVP_LEN])
{
    uint8_t in[1 + 32], md[32];
    unsigned md_len = 0;
    if (!kek_length_ok(kek))
        return CSU_E_KEY_LENGTH;
    in[0] = 0x01; /* as the AES MKVP: Trunc64(SHA-256(X'01' || key)), reference §3.6/§3.8 */
    memcpy(in + 1, kek->bytes, kek->bits / 8u);
    bool ok = EVP_Digest(in, 1 + kek->bits / 8u, md, &md_len, EVP_sha256(), NULL) == 1;
    memcpy(vp, md, WRAPV_MKVP_LEN);
    OPENSSL_cleanse(in, sizeof(in));
    OPENSSL_cleanse(md, sizeof(md));
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

csu_err wrapv_seal_kek(struct tokv *t, const struct wrapv_key *kek, const struct wrapv_key *key)
{
    uint8_t vp[WRAPV_MKVP_LEN];
    csu_err err = wrapv_kek_vp(kek, vp);
    if (err == CSU_OK)
        err = seal_with(t, (struct wrap_with){kek->bytes, kek->bits / 8u}, TOKV_KMS_KEK, vp, key);
    return err;
}

csu_err wrapv_open_kek(const struct tokv *t, const struct wrapv_key *kek, struct wrapv_key *key)
{
    uint8_t vp[WRAPV_MKVP_LEN];
    csu_err err = wrapv_kek_vp(kek, vp);
    if (err != CSU_OK)
        return err;
    /* The KVP names the KEK: another key cannot open the payload anyway, this says so early. */
    if (t->kms != TOKV_KMS_KEK || CRYPTO_memcmp(t->kvp, vp, WRAPV_MKVP_LEN) != 0)
        return CSU_E_PAYLOAD;
    return open_payload(t, (struct wrap_with){kek->bytes, kek->bits / 8u}, TOKV_KMS_KEK, key);
}
