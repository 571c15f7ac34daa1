/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card half of CSNDEDH, ECC Diffie-Hellman (host half in csu/verb_ecdh.c;
 * keyword semantics and every choice we made in docs/ecdh.md).  Blocks:
 *   IN(1) private key token (ECC, X'1F' internal, or X'1E' clear with DERIV01)
 *   IN(2) public key token (ECC public X'1E', or any token holding Q)
 *   IN(3) party identifier (shared info), IN(4) u32 key_bit_length,
 *   IN(5) output skeleton (DERIV01/DERIV02): v5 AES/HMAC, DES or AES v4
 *   OUT_CAPACITY -> OUT(1) the derived key token, or Z (PASSTHRU)
 * Z = x-coordinate of d·Q (EVP_PKEY_derive, field length); DERIV01 is the
 * SP 800-56A single-step KDF (EVP_KDF "SSKDF"), DERIV02 ANSI X9.63 (EVP_KDF
 * "X963KDF"), both with the party identifier as OtherInfo / SharedInfo.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>

#include "card_mk.h"
#include "csu_mu.h"
#include "csu_rules.h"
#include "pka_keygen.h"
#include "tok_fixed.h"
#include "tok_var.h"
#include "wrap_fixed.h"
#include "wrap_var.h"

#define WARN_OLD_MK 10001u
#define PARTY_MIN 8u  /* DERIV01/DERIV02 party identifier bounds (docs/ecdh.md) */
#define PARTY_MAX 64u

/* ---- rule array -------------------------------------------------------------- */

enum { G_SCHEME, G_DERIV, G_KEYTYPE, G_HASH };
enum { SCHEME_ECDH = 1, SCHEME_NOT_SERVED };
enum deriv { DERIV01 = 1, DERIV02, PASSTHRU };
enum out_alg { OUT_ANY = 0, OUT_AES, OUT_DES, OUT_HMAC };

static const struct csu_keyword edh_words[] = {
    {"ECDH", G_SCHEME, SCHEME_ECDH},   {"QSA-ECDH", G_SCHEME, SCHEME_NOT_SERVED},
    {"DERIV01", G_DERIV, DERIV01},     {"DERIV02", G_DERIV, DERIV02},
    {"PASSTHRU", G_DERIV, PASSTHRU},   {"KEY-AES", G_KEYTYPE, OUT_AES},
    {"KEY-DES", G_KEYTYPE, OUT_DES},   {"KEY-HMAC", G_KEYTYPE, OUT_HMAC},
    {"SHA-224", G_HASH, 224},          {"SHA-256", G_HASH, 256},
    {"SHA-384", G_HASH, 384},          {"SHA-512", G_HASH, 512},
};
static const struct csu_rule_spec edh_spec = {edh_words, sizeof(edh_words) / sizeof(edh_words[0]), 1, 4,
                                              1u << G_DERIV};

struct edh_plan {
    enum deriv deriv;
    enum out_alg want; /**< output algorithm the rule array names (OUT_ANY: the skeleton's) */
    const char *digest;
    uint32_t key_bits;
    const struct csu_wire_block *party;
};

static const char *digest_name(uint32_t bits)
{
    switch (bits) {
    case 224: return "SHA2-224";
    case 384: return "SHA2-384";
    case 512: return "SHA2-512";
    default: return "SHA2-256"; /* the default of both derivations (docs/ecdh.md) */
    }
}

/* A u32 input block; CSU_E_FRAME when malformed, CSU_E_NULL_POINTER when absent. */
static csu_err in_u32(const struct fw_ctx *ctx, unsigned n, uint32_t *v)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_IN(n));
    if (!b)
        return CSU_E_NULL_POINTER;
    if (b->length != 4)
        return CSU_E_FRAME;
    *v = csu_load_be32(b->data);
    return CSU_OK;
}

/*
 * The plan the rule array selects.  PASSTHRU returns Z as it is: an output
 * key type or a hash with it contradicts it (8/34); QSA-ECDH (hybrid) is
 * not served (8/33, as an unknown keyword).
 */
static csu_err edh_plan(const struct fw_ctx *ctx, struct edh_plan *p)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&edh_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    if (csu_rules_value(&r, G_SCHEME, SCHEME_ECDH) != SCHEME_ECDH)
        return CSU_E_RULE_KEYWORD;
    p->deriv = (enum deriv)r.value[G_DERIV];
    p->want = (enum out_alg)csu_rules_value(&r, G_KEYTYPE, OUT_ANY);
    p->digest = digest_name(csu_rules_value(&r, G_HASH, 256));
    if (p->deriv == PASSTHRU && (r.present & ((1u << G_KEYTYPE) | (1u << G_HASH))))
        return CSU_E_RULE_CONFLICT;
    p->party = csu_wire_find(ctx->req, CSU_TAG_IN(3));
    size_t party_len = p->party ? p->party->length : 0;
    if (p->deriv != PASSTHRU && (party_len < PARTY_MIN || party_len > PARTY_MAX))
        return CSU_E_LENGTH;
    return in_u32(ctx, 4, &p->key_bits);
}

/* ---- the two ECC keys ------------------------------------------------------------- */


struct edh_keys {
    EVP_PKEY *priv, *pub;
    uint8_t curve_type;
    uint16_t p_bits;
    bool old; /**< a token under the old APKA master key: answer 0/10001 */
};

static csu_err parse_ecc(struct fw_ctx *ctx, unsigned n, struct pka_key *k, bool *old)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_IN(n));
    if (!b)
        return CSU_E_NULL_POINTER;
    struct pka_mk_lookup mk = {card_mk_find_apka, ctx->card};
    csu_err err = pka_token_parse(b->data, b->length, &mk, k, old);
    if (err == CSU_OK && k->alg != PKA_ALG_ECC)
        err = CSU_E_ALGORITHM_MISMATCH;
    if (err == CSU_OK && k->kind == PKA_KIND_SKELETON)
        err = CSU_E_PKA_FIELD; /* no key at all */
    return err;
}

/*
 * The private key: internal, or clear with DERIV01 only (IBM's
 * restriction); its usage must allow key management (SIG-ONLY: 8/64).
 */
static csu_err load_private(struct fw_ctx *ctx, enum deriv deriv, struct edh_keys *ks)
{
    struct pka_key k;
    bool old = false;
    csu_err err = parse_ecc(ctx, 1, &k, &old);
    if (err == CSU_OK && k.kind == PKA_KIND_PUBLIC)
        err = CSU_E_NO_PRIVATE_KEY;
    if (err == CSU_OK && k.kind == PKA_KIND_CLEAR && deriv != DERIV01)
        err = CSU_E_KEY_USE;
    if (err == CSU_OK && k.usage == PKA_USAGE_SIG_ONLY)
        err = CSU_E_KEY_USE;
    if (err == CSU_OK) {
        ks->curve_type = k.ecc.curve_type;
        ks->p_bits = k.ecc.p_bits;
        ks->old |= old;
        err = pka_to_evp(&k, true, &ks->priv);
    }
    pka_key_clear(&k);
    return err;
}

/* The other party's public key Q, on the private key's curve. */
static csu_err load_public(struct fw_ctx *ctx, struct edh_keys *ks)
{
    struct pka_key k;
    bool old = false;
    csu_err err = parse_ecc(ctx, 2, &k, &old);
    if (err == CSU_OK && (k.ecc.curve_type != ks->curve_type || k.ecc.p_bits != ks->p_bits))
        err = CSU_E_ECC_CURVE_MISMATCH; /* the two keys are on different curves */
    if (err == CSU_OK && k.ecc.q_len == 0)
        err = CSU_E_PKA_FIELD;
    if (err == CSU_OK) {
        ks->old |= old;
        err = pka_to_evp(&k, false, &ks->pub); /* a point off the curve: 8/770 */
    }
    pka_key_clear(&k);
    return err;
}

static void unload_keys(struct edh_keys *ks)
{
    EVP_PKEY_free(ks->priv);
    EVP_PKEY_free(ks->pub);
    ks->priv = ks->pub = NULL;
}

/* Z: the x-coordinate of d·Q, left-padded to the field length. */
static csu_err shared_secret(const struct edh_keys *ks, uint8_t z[PKA_ECC_MAX_BYTES], size_t *z_len)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, ks->priv, NULL);
    size_t len = PKA_ECC_MAX_BYTES;
    bool ok = c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, ks->pub) == 1 &&
              EVP_PKEY_derive(c, z, &len) == 1;
    EVP_PKEY_CTX_free(c);
    *z_len = len;
    return ok ? CSU_OK : CSU_E_PKA_FIELD; /* the peer's key refused (e.g. not on the curve) */
}

/* ---- key derivation ----------------------------------------------------------------- */

/* @p out_len bytes from Z through SSKDF (DERIV01) or X963KDF (DERIV02). */
static csu_err derive(const struct edh_plan *p, const uint8_t *z, size_t z_len, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, p->deriv == DERIV01 ? "SSKDF" : "X963KDF", NULL);
    EVP_KDF_CTX *c = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)p->digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, z_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)p->party->data, p->party->length),
        OSSL_PARAM_construct_end(),
    };
    bool ok = c && EVP_KDF_derive(c, out, out_len, params) == 1;
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(kdf);
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

/* ---- output tokens -------------------------------------------------------------------- */

static uint8_t *emit(struct fw_ctx *ctx, size_t len, csu_err *err)
{
    if (len > fw_out_capacity(ctx)) {
        *err = CSU_E_LENGTH;
        return NULL;
    }
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), len);
    *err = out ? CSU_OK : CSU_E_NOMEM;
    return out;
}

/* What an output skeleton is, from its first bytes (the parsers check the rest). */
enum out_form { FORM_V5, FORM_FIXED };

static csu_err skeleton_form(const struct csu_wire_block *b, enum out_form *f)
{
    if (!b)
        return CSU_E_NULL_POINTER;
    if (b->length == 0 || b->data[0] == 0)
        return CSU_E_TOKEN_NULL;
    if (b->data[0] == TOKV_ID_EXTERNAL)
        return CSU_E_UNAVAILABLE; /* wrapped under an output KEK: not served (docs/ecdh.md) */
    if (b->data[0] != TOKV_ID_INTERNAL)
        return CSU_E_TOKEN_TYPE;
    *f = b->length > 4 && b->data[4] == TOKV_VERSION ? FORM_V5 : FORM_FIXED;
    return CSU_OK;
}

/* The current AES master key seals @p key into the v5 token @p t. */
static csu_err seal_v5(struct fw_ctx *ctx, struct tokv *t, const struct wrapv_key *key)
{
    uint8_t mk[WRAPV_MK_LEN], vp[MK_VP_LEN];
    pthread_mutex_lock(&ctx->card->lock);
    csu_err err = card_mk_current(&ctx->card->state, MK_AES, mk, vp);
    pthread_mutex_unlock(&ctx->card->lock);
    if (err == CSU_OK)
        err = wrapv_seal(t, mk, vp, key);
    OPENSSL_cleanse(mk, sizeof(mk));
    return err;
}

/* v5 AES or HMAC skeleton: the derived key sealed under the AES master key. */
static csu_err out_v5(struct fw_ctx *ctx, const struct edh_plan *p, const struct csu_wire_block *b,
                      const uint8_t *z, size_t z_len)
{
    struct tokv t = {0};
    struct wrapv_key key = {0};
    csu_err err = tokv_parse(b->data, b->length, &t);
    enum out_alg alg = t.alg == TOKV_ALG_HMAC ? OUT_HMAC : OUT_AES;
    if (err == CSU_OK && p->want != OUT_ANY && p->want != alg)
        err = CSU_E_ALGORITHM_MISMATCH;
    if (err == CSU_OK && !tokv_key_bits_valid(t.alg, p->key_bits))
        err = CSU_E_LENGTH;
    if (err == CSU_OK) {
        key.bits = p->key_bits;
        err = derive(p, z, z_len, key.bytes, p->key_bits / 8u);
    }
    if (err == CSU_OK) {
        tokv_set_parts(&t, 0); /* a derived key is complete */
        err = seal_v5(ctx, &t, &key);
    }
    uint8_t *out = err == CSU_OK ? emit(ctx, tokv_length(&t), &err) : NULL;
    if (out) {
        size_t len;
        err = tokv_build(&t, out, tokv_length(&t), &len);
    }
    OPENSSL_cleanse(&key, sizeof(key));
    tokv_wipe(&t);
    return err;
}

/* The algorithm a fixed-length token holds: AES for version X'04', else DES. */
static enum out_alg fixed_alg(const struct tok_fixed *info)
{
    return info->kind == TOK_AES_INTERNAL ? OUT_AES : OUT_DES;
}

/* Key bytes a fixed-length token of @p info takes for @p bits, 0 when invalid. */
static size_t fixed_key_len(const struct tok_fixed *info, uint32_t bits)
{
    bool ok = fixed_alg(info) == OUT_AES
                  ? (bits == 128 || bits == 192 || bits == 256) && (info->key_len == 0 || info->key_len == bits / 8)
                  : bits == 64 || bits == 128 || bits == 192;
    return ok ? bits / 8u : 0;
}

/* DES (X'01' v0/v1) or AES DATA (v4) skeleton: the derived key under the SYM / AES master key. */
static csu_err out_fixed(struct fw_ctx *ctx, const struct edh_plan *p, const struct csu_wire_block *b,
                         const uint8_t *z, size_t z_len)
{
    uint8_t tok[TOK_FIXED_LEN], key[WRAP_MAX_KEY];
    struct tok_fixed info;
    if (b->length != TOK_FIXED_LEN)
        return CSU_E_LENGTH;
    memcpy(tok, b->data, TOK_FIXED_LEN);
    csu_err err = tok_fixed_parse(tok, TOK_FIXED_LEN, &info);
    if (err == CSU_OK && p->want != OUT_ANY && p->want != fixed_alg(&info))
        err = CSU_E_ALGORITHM_MISMATCH;
    size_t len = err == CSU_OK ? fixed_key_len(&info, p->key_bits) : 0;
    if (err == CSU_OK && len == 0)
        err = CSU_E_LENGTH;
    if (err == CSU_OK)
        err = derive(p, z, z_len, key, len);
    if (err == CSU_OK && fixed_alg(&info) == OUT_DES)
        des_fix_parity(key, len); /* DES keys carry odd parity */
    if (err == CSU_OK)
        err = wrap_fixed_wrap(ctx->card, tok, key, len);
    OPENSSL_cleanse(key, sizeof(key));
    uint8_t *out = err == CSU_OK ? emit(ctx, TOK_FIXED_LEN, &err) : NULL;
    if (out)
        memcpy(out, tok, TOK_FIXED_LEN);
    return err;
}

/* ---- CSNDEDH ----------------------------------------------------------------------------- */

static csu_err edh_output(struct fw_ctx *ctx, const struct edh_plan *p, const uint8_t *z, size_t z_len)
{
    csu_err err;
    if (p->deriv == PASSTHRU) {
        uint8_t *out = emit(ctx, z_len, &err);
        if (out)
            memcpy(out, z, z_len);
        return err;
    }
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_IN(5));
    enum out_form form;
    err = skeleton_form(b, &form);
    if (err != CSU_OK)
        return err;
    return form == FORM_V5 ? out_v5(ctx, p, b, z, z_len) : out_fixed(ctx, p, b, z, z_len);
}

csu_err fw_csndedh(struct fw_ctx *ctx)
{
    struct edh_plan plan;
    csu_err err = edh_plan(ctx, &plan);
    if (err != CSU_OK)
        return err;
    struct edh_keys ks = {0};
    uint8_t z[PKA_ECC_MAX_BYTES];
    size_t z_len = 0;
    err = load_private(ctx, plan.deriv, &ks);
    if (err == CSU_OK)
        err = load_public(ctx, &ks);
    if (err == CSU_OK)
        err = shared_secret(&ks, z, &z_len);
    if (err == CSU_OK)
        err = edh_output(ctx, &plan, z, z_len);
    if (err == CSU_OK && ks.old)
        ctx->rep.reason_code = WARN_OLD_MK;
    OPENSSL_cleanse(z, sizeof(z));
    unload_keys(&ks);
    ERR_clear_error();
    return err;
}
