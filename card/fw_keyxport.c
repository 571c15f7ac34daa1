/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card halves of CSNDSYX, CSNDSYI and CSNDSYI2 (host halves and block
 * numbering in csu/verb_keyxport.c; decisions in docs/key-transport.md):
 * a symmetric key leaves the card enciphered under an RSA public key and
 * enters another card through the matching private key.
 *
 *   PKCS-1.2, PKCSOAEP, ZERO-PAD  the clear key as an RSA block (opaque);
 *                                 DES and AES DATA (v4) tokens
 *   CKM-RAKW   PKCS#11 CKM_RSA_AES_KEY_WRAP: RSA-OAEP(ephemeral AES-256
 *              key) ‖ AES-KWP(ephemeral key, clear key); v5 AES CIPHER keys
 *   PKOAEP2    an external v5 token whose payload is RSA-OAEP of
 *              SHA-256(associated data) ‖ key bit length (2) ‖ key;
 *              v5 AES and HMAC keys
 *
 * Tokens are read and written only through tok_fixed/wrap_fixed (DES, AES
 * v4), tok_var/wrap_var (v5) and tok_pka/pka_keygen (RSA).  Every clear key
 * is wiped before the handler returns.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "card_mk.h"
#include "csu_keyid.h"
#include "csu_mu.h"
#include "csu_rules.h"
#include "pka_keygen.h"
#include "tok_cv.h"
#include "tok_fixed.h"
#include "tok_var.h"
#include "wrap_fixed.h"
#include "wrap_var.h"

#define REASON_OLD_MK 10001u
/* CV bit 17 (IBM numbering): the key may be exported (reference §3.4). */
#define CV_XPORT_BYTE 2u
#define CV_XPORT_MASK 0x40u
/* CKM-RAKW: the ephemeral key is AES-256; KWP adds at most 15 bytes. */
#define EPHEMERAL_LEN 32u
#define KWP_MAX (WRAPV_MAX_KEY + 16u)
/* PKOAEP2 message: SHA-256 of the associated data, key bit length, key. */
#define AD_HASH_LEN 32u
#define PKOAEP2_HEAD (AD_HASH_LEN + 2u)

/* ---- rule arrays ---------------------------------------------------------------- */

enum { G_ALG, G_METHOD, G_HASH, G_WRAP };
enum { ALG_DES = 1, ALG_AES, ALG_HMAC };
enum { M_OAEP = 1, M_PKCS12, M_ZERO_PAD, M_PKOAEP2, M_RAKW, M_NOT_SERVED };
enum { H_SHA1 = 1, H_SHA256 };

#define ALG_WORDS {"DES", G_ALG, ALG_DES}, {"AES", G_ALG, ALG_AES}
#define HASH_WORDS {"SHA-1", G_HASH, H_SHA1}, {"SHA-256", G_HASH, H_SHA256}
/* DES wrapping-method keywords: this card has one DES wrapping scheme, so they change nothing. */
#define WRAP_WORDS                                                                                  \
    {"USECONFG", G_WRAP, 1}, {"WRAP-ECB", G_WRAP, 2}, {"WRAP-ENH", G_WRAP, 3}, {"WRAPENH2", G_WRAP, 4}, \
        {"WRAPENH3", G_WRAP, 5}

static const struct csu_keyword syx_words[] = {
    ALG_WORDS, {"HMAC", G_ALG, ALG_HMAC}, {"PKCSOAEP", G_METHOD, M_OAEP}, {"PKCS-1.2", G_METHOD, M_PKCS12},
    {"ZERO-PAD", G_METHOD, M_ZERO_PAD}, {"PKOAEP2", G_METHOD, M_PKOAEP2}, {"CKM-RAKW", G_METHOD, M_RAKW},
    {"AESKW", G_METHOD, M_NOT_SERVED}, {"AESKWCV", G_METHOD, M_NOT_SERVED}, HASH_WORDS,
};
static const struct csu_keyword syi_words[] = {
    ALG_WORDS, {"PKCSOAEP", G_METHOD, M_OAEP}, {"PKCS-1.2", G_METHOD, M_PKCS12}, {"ZERO-PAD", G_METHOD, M_ZERO_PAD},
    {"PKA92", G_METHOD, M_NOT_SERVED}, HASH_WORDS, WRAP_WORDS,
};
static const struct csu_keyword syi2_words[] = {
    ALG_WORDS, {"HMAC", G_ALG, ALG_HMAC}, {"PKOAEP2", G_METHOD, M_PKOAEP2}, {"CKM-RAKW", G_METHOD, M_RAKW},
    {"AESKW", G_METHOD, M_NOT_SERVED}, {"AESKWCV", G_METHOD, M_NOT_SERVED}, HASH_WORDS, WRAP_WORDS,
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
static const struct csu_rule_spec syx_spec = {syx_words, COUNT(syx_words), 1, 3, 1u << G_METHOD};
static const struct csu_rule_spec syi_spec = {syi_words, COUNT(syi_words), 1, 5, 1u << G_METHOD};
static const struct csu_rule_spec syi2_spec = {syi2_words, COUNT(syi2_words), 2, 4, (1u << G_ALG) | (1u << G_METHOD)};

/* What each method serves: algorithms (bit per ALG_*), hash keyword, RSA padding. */
static const struct {
    uint8_t algs;
    bool takes_hash;
    uint32_t default_hash;
    int padding;
} methods[] = {
    [M_OAEP] = {(1u << ALG_DES) | (1u << ALG_AES), true, H_SHA1, RSA_PKCS1_OAEP_PADDING},
    [M_PKCS12] = {(1u << ALG_DES) | (1u << ALG_AES), false, 0, RSA_PKCS1_PADDING},
    [M_ZERO_PAD] = {(1u << ALG_DES) | (1u << ALG_AES), false, 0, RSA_NO_PADDING},
    [M_PKOAEP2] = {(1u << ALG_AES) | (1u << ALG_HMAC), true, H_SHA256, RSA_PKCS1_OAEP_PADDING},
    [M_RAKW] = {1u << ALG_AES, true, H_SHA1, RSA_PKCS1_OAEP_PADDING},
};

struct plan {
    uint32_t alg;
    uint32_t method;
    uint32_t hash;     /**< H_*, 0 without OAEP */
    bool hash_given;   /**< a hash keyword was in the rule array */
    const EVP_MD *md;  /**< OAEP (and MGF1) hash */
};

static const EVP_MD *md_of(uint32_t hash)
{
    return hash == H_SHA1 ? EVP_sha1() : hash == H_SHA256 ? EVP_sha256() : NULL;
}

/* Parse @p spec; a method that does not serve the algorithm, or takes no hash, is 8/34. */
static csu_err plan_of(const struct csu_rule_spec *spec, const struct fw_ctx *ctx, struct plan *p)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    p->method = r.value[G_METHOD];
    if (p->method == M_NOT_SERVED)
        return CSU_E_UNAVAILABLE; /* AESKW, AESKWCV, PKA92: AES/DES key-encrypting keys, not served */
    p->alg = csu_rules_value(&r, G_ALG, ALG_DES);
    p->hash_given = (r.present & (1u << G_HASH)) != 0;
    if (!(methods[p->method].algs & (1u << p->alg)) || (p->hash_given && !methods[p->method].takes_hash))
        return CSU_E_RULE_CONFLICT;
    p->hash = csu_rules_value(&r, G_HASH, methods[p->method].default_hash);
    p->md = md_of(p->hash);
    return CSU_OK;
}

/* ---- RSA keys --------------------------------------------------------------------- */

struct rsa_key {
    EVP_PKEY *pk;
    size_t bytes;                 /**< modulus bytes k */
    uint8_t kvp[TOKV_KVP_LEN];    /**< first 16 bytes of SHA-256(n): names the key in PKOAEP2 tokens */
    bool old;                     /**< private key under the old APKA master key */
};

/*
 * The RSA key of the token in @p tag.  Import needs the private key, and a
 * key whose usage is SIG-ONLY may not recover keys (8/64).
 */
static csu_err load_rsa(struct fw_ctx *ctx, uint16_t tag, bool private, struct rsa_key *rk)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, tag);
    if (!b)
        return CSU_E_NULL_POINTER;
    struct pka_mk_lookup mk = {card_mk_find_apka, ctx->card};
    struct pka_key k;
    csu_err err = pka_token_parse(b->data, b->length, &mk, &k, &rk->old);
    if (err == CSU_OK && k.alg != PKA_ALG_RSA)
        err = CSU_E_ALGORITHM_MISMATCH;
    else if (err == CSU_OK && k.kind == PKA_KIND_SKELETON)
        err = CSU_E_PKA_FIELD;
    else if (err == CSU_OK && private && k.kind != PKA_KIND_CLEAR && k.kind != PKA_KIND_INTERNAL)
        err = CSU_E_NO_PRIVATE_KEY;
    else if (err == CSU_OK && private && k.usage == PKA_USAGE_SIG_ONLY)
        err = CSU_E_KEY_USE;
    if (err == CSU_OK) {
        uint8_t h[32];
        rk->bytes = k.rsa.n_len;
        err = EVP_Digest(k.rsa.n, k.rsa.n_len, h, NULL, EVP_sha256(), NULL) == 1 ? CSU_OK : CSU_E_CRYPTO;
        memcpy(rk->kvp, h, sizeof(rk->kvp));
    }
    if (err == CSU_OK)
        err = pka_to_evp(&k, private, &rk->pk);
    pka_key_clear(&k);
    return err;
}

static EVP_PKEY_CTX *rsa_ctx(const struct rsa_key *rk, bool encrypt, int padding, const EVP_MD *md)
{
    unsigned int no_implicit = 0;
    OSSL_PARAM params[] = {OSSL_PARAM_uint("implicit-rejection", &no_implicit), OSSL_PARAM_END};
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, rk->pk, NULL);
    bool ok = c && (encrypt ? EVP_PKEY_encrypt_init(c) : EVP_PKEY_decrypt_init(c)) == 1 &&
              EVP_PKEY_CTX_set_rsa_padding(c, padding) == 1;
    if (ok && padding == RSA_PKCS1_OAEP_PADDING)
        ok = EVP_PKEY_CTX_set_rsa_oaep_md(c, md) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) == 1;
    /* A bad PKCS#1 v1.5 block is reported (8/66), not replaced by a synthetic key. */
    if (ok && !encrypt && padding == RSA_PKCS1_PADDING)
        ok = EVP_PKEY_CTX_set_params(c, params) == 1;
    if (!ok) {
        EVP_PKEY_CTX_free(c);
        return NULL;
    }
    return c;
}

/* Encipher @p m under the method's padding into @p out (rk->bytes bytes). */
static csu_err rsa_encipher(const struct rsa_key *rk, const struct plan *p, const uint8_t *m, size_t m_len,
                            uint8_t *out)
{
    uint8_t block[PKA_RSA_MAX_BYTES];
    int padding = methods[p->method].padding;
    if (padding == RSA_NO_PADDING) { /* ZERO-PAD: right-aligned, zeros to the left (below n: leading zero) */
        memset(block, 0, rk->bytes - m_len);
        memcpy(block + rk->bytes - m_len, m, m_len);
        m = block, m_len = rk->bytes;
    }
    size_t out_len = rk->bytes;
    EVP_PKEY_CTX *c = rsa_ctx(rk, true, padding, p->md);
    csu_err err = c && EVP_PKEY_encrypt(c, out, &out_len, m, m_len) == 1 && out_len == rk->bytes ? CSU_OK
                                                                                                 : CSU_E_CRYPTO;
    EVP_PKEY_CTX_free(c);
    OPENSSL_cleanse(block, sizeof(block));
    return err;
}

/*
 * Recover the message of an RSA block.  Every failure (length, range,
 * padding) is the same false, so the verb answers 8/66 without saying why.
 */
static bool rsa_decipher(const struct rsa_key *rk, const struct plan *p, const uint8_t *ct, size_t ct_len,
                         uint8_t *out, size_t *out_len)
{
    EVP_PKEY_CTX *c = ct_len == rk->bytes ? rsa_ctx(rk, false, methods[p->method].padding, p->md) : NULL;
    *out_len = PKA_RSA_MAX_BYTES;
    bool ok = c && EVP_PKEY_decrypt(c, out, out_len, ct, ct_len) == 1;
    EVP_PKEY_CTX_free(c);
    return ok;
}

/* Bytes of RSA block a method spends besides its message (8/760 when the modulus is too small). */
static csu_err modulus_fits(const struct rsa_key *rk, const struct plan *p, size_t message_len)
{
    size_t overhead = 1; /* ZERO-PAD: a leading zero byte keeps the block below n */
    if (methods[p->method].padding == RSA_PKCS1_PADDING)
        overhead = 11;
    else if (methods[p->method].padding == RSA_PKCS1_OAEP_PADDING)
        overhead = 2u * (size_t)EVP_MD_get_size(p->md) + 2u;
    return rk->bytes >= message_len + overhead ? CSU_OK : CSU_E_RSA_MODULUS;
}

/* ---- AES key wrap with padding (RFC 5649, SP 800-38F KWP) ---------------------------- */

static const EVP_CIPHER *kwp_cipher(size_t kek_len)
{
    return kek_len == 16 ? EVP_aes_128_wrap_pad() : kek_len == 24 ? EVP_aes_192_wrap_pad()
                                                  : kek_len == 32 ? EVP_aes_256_wrap_pad() : NULL;
}

static bool kwp(const uint8_t *kek, size_t kek_len, bool wrap, const uint8_t *in, size_t in_len, uint8_t *out,
                size_t *out_len)
{
    const EVP_CIPHER *cipher = kwp_cipher(kek_len);
    EVP_CIPHER_CTX *c = cipher ? EVP_CIPHER_CTX_new() : NULL;
    int n = 0, fin = 0;
    if (c)
        EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    bool ok = c && in_len <= INT32_MAX && EVP_CipherInit_ex(c, cipher, NULL, kek, NULL, wrap ? 1 : 0) == 1 &&
              EVP_CipherUpdate(c, out, &n, in, (int)in_len) == 1 && n > 0 &&
              EVP_CipherFinal_ex(c, out + n, &fin) == 1;
    *out_len = ok ? (size_t)(n + fin) : 0;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* ---- symmetric keys out of tokens ------------------------------------------------------ */

struct sym_key {
    uint32_t alg;     /**< ALG_* */
    bool v5;
    struct tokv tok;  /**< v5: the token (its associated data travels with PKOAEP2) */
    unsigned bits;
    size_t len;
    uint8_t bytes[WRAPV_MAX_KEY];
    bool old;
};

static void sym_key_wipe(struct sym_key *sk)
{
    OPENSSL_cleanse(sk, sizeof(*sk));
}

static bool method_is_v5(uint32_t method)
{
    return method == M_PKOAEP2 || method == M_RAKW;
}

/* DES and AES DATA (v4) tokens: DES only when CV bit 17 (export allowed) is on. */
static csu_err load_fixed(struct fw_ctx *ctx, const struct csu_wire_block *b, const struct plan *p,
                          struct sym_key *sk)
{
    struct tok_fixed info;
    csu_err err = tok_fixed_parse(b->data, b->length, &info);
    if (err != CSU_OK)
        return err;
    if (info.kind == TOK_DES_EXTERNAL)
        return CSU_E_TOKEN_TYPE; /* an external key is not operational here */
    sk->alg = info.kind == TOK_AES_INTERNAL ? ALG_AES : ALG_DES;
    if (sk->alg != p->alg)
        return CSU_E_ALGORITHM_MISMATCH;
    if (method_is_v5(p->method) || !info.has_key)
        return CSU_E_KEY_USE;
    /* Version X'01' (zero-CV DATA) keys predate the export bit: exportable. */
    if (sk->alg == ALG_DES && info.version == TOK_VERSION_DES && !(info.cv_left[CV_XPORT_BYTE] & CV_XPORT_MASK))
        return CSU_E_KEY_USE;
    sk->len = info.key_len;
    sk->bits = (unsigned)(8u * info.key_len);
    return wrap_fixed_unwrap(ctx->card, b->data, &info, sk->bytes, &sk->old);
}

/* v5 AES and HMAC tokens under the AES master key, complete, XPRTUASY on and NOEX-RSA off. */
static csu_err load_v5(struct fw_ctx *ctx, const struct csu_wire_block *b, const struct plan *p, struct sym_key *sk)
{
    struct tokv *t = &sk->tok;
    csu_err err = tokv_parse(b->data, b->length, t);
    if (err != CSU_OK)
        return err;
    sk->v5 = true;
    sk->alg = t->alg == TOKV_ALG_HMAC ? ALG_HMAC : ALG_AES;
    if (sk->alg != p->alg)
        return CSU_E_ALGORITHM_MISMATCH;
    bool exportable = t->kmf_count > 0 && (t->kmf[0] & TOKV_KMF1_XPRTUASY) && !(t->kmf[0] & TOKV_KMF1_NOEX_RSA);
    if (!method_is_v5(p->method) || (p->method == M_RAKW && t->key_type != TOKV_CIPHER) ||
        t->kms != TOKV_KMS_MK || !tokv_is_complete(t) || !exportable)
        return CSU_E_KEY_USE;
    uint8_t mk[WRAPV_MK_LEN];
    struct wrapv_key key;
    err = card_mk_find_locked(ctx->card, MK_AES, t->kvp, mk, &sk->old);
    if (err == CSU_OK)
        err = wrapv_open(t, mk, &key);
    if (err == CSU_OK) {
        sk->bits = key.bits;
        sk->len = (key.bits + 7u) / 8u;
        memcpy(sk->bytes, key.bytes, sk->len);
    }
    OPENSSL_cleanse(mk, sizeof(mk));
    OPENSSL_cleanse(&key, sizeof(key));
    return err;
}

static csu_err load_source(struct fw_ctx *ctx, const struct plan *p, struct sym_key *sk)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    if (!b)
        return CSU_E_NULL_POINTER;
    if (b->length > 4 && b->data[0] != 0 && b->data[4] == TOKV_VERSION)
        return load_v5(ctx, b, p, sk);
    return load_fixed(ctx, b, p, sk);
}

/* ---- output ------------------------------------------------------------------------------ */

static csu_err emit(struct fw_ctx *ctx, const uint8_t *data, size_t len)
{
    if (len > fw_out_capacity(ctx))
        return CSU_E_LENGTH;
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), len);
    if (!out)
        return CSU_E_NOMEM;
    memcpy(out, data, len);
    return CSU_OK;
}

static void warn_if_old(struct fw_ctx *ctx, bool old)
{
    if (old && ctx->rep.return_code == 0)
        ctx->rep.reason_code = REASON_OLD_MK;
}

/* SHA-256 of a v5 token's associated data (bytes 30 up to the payload), as serialised. */
static csu_err ad_hash(const struct tokv *t, uint8_t out[AD_HASH_LEN])
{
    uint8_t prefix[TOKV_MAX_LEN];
    size_t len;
    csu_err err = tokv_write_prefix(t, prefix, sizeof(prefix), &len);
    if (err == CSU_OK && EVP_Digest(prefix + TOKV_AD_OFFSET, len - TOKV_AD_OFFSET, out, NULL, EVP_sha256(), NULL) != 1)
        err = CSU_E_CRYPTO;
    return err;
}

/* ---- CSNDSYX ------------------------------------------------------------------------------- */

static csu_err export_opaque(struct fw_ctx *ctx, const struct plan *p, const struct sym_key *sk,
                             const struct rsa_key *rk)
{
    uint8_t ct[PKA_RSA_MAX_BYTES];
    csu_err err = modulus_fits(rk, p, sk->len);
    if (err == CSU_OK && rk->bytes > fw_out_capacity(ctx))
        err = CSU_E_LENGTH;
    if (err == CSU_OK)
        err = rsa_encipher(rk, p, sk->bytes, sk->len, ct);
    return err == CSU_OK ? emit(ctx, ct, rk->bytes) : err;
}

/* CKM_RSA_AES_KEY_WRAP: OAEP-wrapped ephemeral key, then the KWP-wrapped key. */
static csu_err export_rakw(struct fw_ctx *ctx, const struct plan *p, const struct sym_key *sk,
                           const struct rsa_key *rk)
{
    uint8_t eph[EPHEMERAL_LEN], out[PKA_RSA_MAX_BYTES + KWP_MAX];
    size_t wrapped_len = 0;
    csu_err err = modulus_fits(rk, p, EPHEMERAL_LEN);
    if (err == CSU_OK && rk->bytes + ((sk->len + 7u) / 8u) * 8u + 8u > fw_out_capacity(ctx))
        err = CSU_E_LENGTH;
    if (err == CSU_OK)
        err = card_drbg_generate(ctx->worker->drbg, eph, sizeof(eph), NULL, 0);
    if (err == CSU_OK)
        err = rsa_encipher(rk, p, eph, sizeof(eph), out);
    if (err == CSU_OK && !kwp(eph, sizeof(eph), true, sk->bytes, sk->len, out + rk->bytes, &wrapped_len))
        err = CSU_E_CRYPTO;
    if (err == CSU_OK)
        err = emit(ctx, out, rk->bytes + wrapped_len);
    OPENSSL_cleanse(eph, sizeof(eph));
    return err;
}

/* The external token PKOAEP2 makes of a v5 key: same attributes, payload under the RSA key. */
static void pkoaep2_external(const struct sym_key *sk, const struct plan *p, const struct rsa_key *rk,
                             struct tokv *x)
{
    *x = sk->tok;
    x->id = TOKV_ID_EXTERNAL;
    x->kms = TOKV_KMS_KEK;
    x->kvp_type = TOKV_KVP_KEK;
    memcpy(x->kvp, rk->kvp, TOKV_KVP_LEN);
    x->wrap_method = TOKV_WRAP_PKOAEP2;
    x->wrap_hash = p->hash == H_SHA1 ? 0x01 : 0x02; /* reference §3.6 byte 27 */
    x->payload_bits = (uint16_t)(8u * rk->bytes);
    OPENSSL_cleanse(x->payload, sizeof(x->payload));
}

static csu_err export_pkoaep2(struct fw_ctx *ctx, const struct plan *p, const struct sym_key *sk,
                              const struct rsa_key *rk)
{
    struct tokv x;
    uint8_t msg[PKOAEP2_HEAD + WRAPV_MAX_KEY], tok[TOKV_MAX_LEN];
    size_t len = 0;
    csu_err err = modulus_fits(rk, p, PKOAEP2_HEAD + sk->len);
    if (err == CSU_OK) {
        pkoaep2_external(sk, p, rk, &x);
        err = tokv_length(&x) > fw_out_capacity(ctx) ? CSU_E_LENGTH : ad_hash(&x, msg);
    }
    if (err == CSU_OK) {
        csu_store_be16(msg + AD_HASH_LEN, (uint16_t)sk->bits);
        memcpy(msg + PKOAEP2_HEAD, sk->bytes, sk->len);
        err = rsa_encipher(rk, p, msg, PKOAEP2_HEAD + sk->len, x.payload);
    }
    if (err == CSU_OK)
        err = tokv_build(&x, tok, sizeof(tok), &len);
    if (err == CSU_OK)
        err = emit(ctx, tok, len);
    OPENSSL_cleanse(msg, sizeof(msg));
    return err;
}

csu_err fw_csndsyx(struct fw_ctx *ctx)
{
    struct plan p;
    csu_err err = plan_of(&syx_spec, ctx, &p);
    if (err != CSU_OK)
        return err;
    struct sym_key sk = {0};
    struct rsa_key rk = {0};
    err = load_source(ctx, &p, &sk);
    if (err == CSU_OK)
        err = load_rsa(ctx, CSU_TAG_IN(2), false, &rk);
    if (err == CSU_OK && p.method == M_RAKW)
        err = export_rakw(ctx, &p, &sk, &rk);
    else if (err == CSU_OK && p.method == M_PKOAEP2)
        err = export_pkoaep2(ctx, &p, &sk, &rk);
    else if (err == CSU_OK)
        err = export_opaque(ctx, &p, &sk, &rk);
    if (err == CSU_OK)
        warn_if_old(ctx, sk.old);
    sym_key_wipe(&sk);
    EVP_PKEY_free(rk.pk);
    ERR_clear_error();
    return err;
}

/* ---- CSNDSYI: DES and AES DATA keys from an RSA block ----------------------------------------- */

static bool length_valid(uint32_t alg, size_t len)
{
    return alg == ALG_DES ? (len == 8 || len == 16 || len == 24) : (len == 16 || len == 24 || len == 32);
}

/*
 * ZERO-PAD carries no length: the key is the shortest valid length that
 * holds every byte after the leading zeros (docs/key-transport.md).
 */
static bool zero_pad_key(uint32_t alg, uint8_t *m, size_t *m_len)
{
    size_t lead = 0;
    while (lead < *m_len && m[lead] == 0)
        lead++;
    size_t need = *m_len - lead;
    static const size_t sizes[2][3] = {{8, 16, 24}, {16, 24, 32}};
    for (size_t i = 0; i < 3; i++) {
        size_t n = sizes[alg == ALG_DES ? 0 : 1][i];
        if (n >= need && n <= *m_len) {
            memmove(m, m + *m_len - n, n);
            *m_len = n;
            return true;
        }
    }
    return false;
}

/* An internal DES DATA (default CV) or AES DATA (v4) token holding @p key. */
static csu_err build_fixed(struct fw_ctx *ctx, uint32_t alg, const uint8_t *key, size_t len,
                           uint8_t tok[TOK_FIXED_LEN])
{
    if (alg == ALG_AES) {
        tok_fixed_build_aes(tok, len);
    } else {
        uint8_t kw[8], left[CV_LEN], right[CV_LEN];
        memcpy(kw, "DATA    ", 8);
        const struct cv_type *data = cv_type_find(kw);
        csu_err err = data ? cv_default(data, len, CV_FORM_PLAIN, left, right) : CSU_E_INTERNAL;
        if (err != CSU_OK)
            return err;
        tok_fixed_build_des(tok, false, left, right);
    }
    return wrap_fixed_wrap(ctx->card, tok, key, len);
}

csu_err fw_csndsyi(struct fw_ctx *ctx)
{
    struct plan p;
    csu_err err = plan_of(&syi_spec, ctx, &p);
    const struct csu_wire_block *ct = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    if (err == CSU_OK && (!ct || ct->length == 0))
        err = CSU_E_LENGTH;
    if (err != CSU_OK)
        return err;
    struct rsa_key rk = {0};
    uint8_t m[PKA_RSA_MAX_BYTES], tok[TOK_FIXED_LEN];
    size_t m_len = 0;
    err = load_rsa(ctx, CSU_TAG_IN(2), true, &rk);
    if (err == CSU_OK && TOK_FIXED_LEN > fw_out_capacity(ctx))
        err = CSU_E_LENGTH;
    if (err == CSU_OK && !rsa_decipher(&rk, &p, ct->data, ct->length, m, &m_len))
        err = CSU_E_RSA_BLOCK;
    if (err == CSU_OK && p.method == M_ZERO_PAD && !zero_pad_key(p.alg, m, &m_len))
        err = CSU_E_RSA_BLOCK;
    if (err == CSU_OK && !length_valid(p.alg, m_len))
        err = CSU_E_RSA_BLOCK; /* same answer as a bad padding: nothing learnt from the length */
    if (err == CSU_OK)
        err = build_fixed(ctx, p.alg, m, m_len, tok);
    if (err == CSU_OK)
        err = emit(ctx, tok, TOK_FIXED_LEN);
    if (err == CSU_OK)
        warn_if_old(ctx, rk.old);
    OPENSSL_cleanse(m, sizeof(m));
    EVP_PKEY_free(rk.pk);
    ERR_clear_error();
    return err;
}

/* ---- CSNDSYI2: v5 tokens ------------------------------------------------------------------------ */

/* PKOAEP2: the external token's payload, checked against its associated data and the RSA key. */
static csu_err open_pkoaep2(const struct plan *p, const struct rsa_key *rk, const struct csu_wire_block *in,
                            struct tokv *t, struct wrapv_key *key)
{
    csu_err err = tokv_parse(in->data, in->length, t);
    if (err != CSU_OK)
        return err;
    if (t->id != TOKV_ID_EXTERNAL || t->kms != TOKV_KMS_KEK || t->wrap_method != TOKV_WRAP_PKOAEP2)
        return CSU_E_KEY_USE;
    if ((t->alg == TOKV_ALG_HMAC ? ALG_HMAC : ALG_AES) != p->alg)
        return CSU_E_ALGORITHM_MISMATCH;
    uint32_t hash = t->wrap_hash == 0x01 ? H_SHA1 : t->wrap_hash == 0x02 ? H_SHA256 : 0;
    if (hash == 0)
        return CSU_E_TOKEN_CONSISTENCY;
    if (p->hash_given && hash != p->hash)
        return CSU_E_RULE_CONFLICT;
    if (CRYPTO_memcmp(t->kvp, rk->kvp, TOKV_KVP_LEN) != 0)
        return CSU_E_MKVP; /* enciphered under another RSA key */
    struct plan tp = *p;
    tp.md = md_of(hash);
    uint8_t msg[PKA_RSA_MAX_BYTES], want[AD_HASH_LEN];
    size_t msg_len = 0;
    err = ad_hash(t, want);
    if (err == CSU_OK && !rsa_decipher(rk, &tp, t->payload, (t->payload_bits + 7u) / 8u, msg, &msg_len))
        err = CSU_E_RSA_BLOCK;
    size_t bits = msg_len >= PKOAEP2_HEAD ? csu_load_be16(msg + AD_HASH_LEN) : 0;
    if (err == CSU_OK && (msg_len < PKOAEP2_HEAD || (bits + 7u) / 8u != msg_len - PKOAEP2_HEAD ||
                          msg_len - PKOAEP2_HEAD > WRAPV_MAX_KEY || CRYPTO_memcmp(msg, want, AD_HASH_LEN) != 0))
        err = CSU_E_PAYLOAD; /* the associated data was changed, or the message is not ours */
    if (err == CSU_OK) {
        key->bits = (unsigned)bits;
        memcpy(key->bytes, msg + PKOAEP2_HEAD, msg_len - PKOAEP2_HEAD);
    }
    OPENSSL_cleanse(msg, sizeof(msg));
    return err;
}

/* CKM-RAKW: k bytes of RSA-OAEP (the ephemeral AES key), then AES-KWP of the key. */
static csu_err open_rakw(const struct plan *p, const struct rsa_key *rk, const struct csu_wire_block *in,
                         struct wrapv_key *key)
{
    uint8_t eph[PKA_RSA_MAX_BYTES], out[KWP_MAX];
    size_t eph_len = 0, out_len = 0;
    bool ok = in->length > rk->bytes && in->length - rk->bytes <= KWP_MAX &&
              rsa_decipher(rk, p, in->data, rk->bytes, eph, &eph_len) &&
              kwp(eph, eph_len, false, in->data + rk->bytes, in->length - rk->bytes, out, &out_len) &&
              out_len <= WRAPV_MAX_KEY;
    if (ok) {
        key->bits = (unsigned)(8u * out_len);
        memcpy(key->bytes, out, out_len);
    }
    OPENSSL_cleanse(eph, sizeof(eph));
    OPENSSL_cleanse(out, sizeof(out));
    return ok ? CSU_OK : CSU_E_RSA_BLOCK;
}

/*
 * CKM-RAKW carries no attributes: a v5 AES token in the target (a
 * skeleton from CSNBKTB2, or a label's record) gives them, else the
 * default AES CIPHER skeleton.
 */
static csu_err rakw_template(const struct fw_ctx *ctx, struct tokv *t)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_IN(4));
    if (!b || tokv_parse(b->data, b->length, t) != CSU_OK)
        return tokv_default_skeleton(TOKV_ALG_AES, TOKV_CIPHER, t);
    if (t->alg != TOKV_ALG_AES)
        return CSU_E_ALGORITHM_MISMATCH;
    uint8_t pfv = t->pfv;
    memset(t->kvp, 0, sizeof(t->kvp));
    t->kvp_type = TOKV_KVP_NONE, t->wrap_method = TOKV_WRAP_CLEAR, t->wrap_hash = TOKV_HASH_NONE;
    t->kms = TOKV_KMS_NONE, t->payload_bits = 0, t->pfv = pfv;
    tokv_set_parts(t, 0);
    return CSU_OK;
}

/* user_mod_data: a 64-byte key name for the new token (a valid label), or nothing. */
static csu_err apply_name(const struct fw_ctx *ctx, struct tokv *t)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_IN(3));
    if (!b || b->length == 0)
        return CSU_OK;
    if (b->length != TOKV_NAME_LEN)
        return CSU_E_LENGTH;
    csu_err err = csu_label_check(b->data);
    if (err == CSU_OK) {
        t->name_len = TOKV_NAME_LEN;
        memcpy(t->name, b->data, TOKV_NAME_LEN);
    }
    return err;
}

/* Wrap @p key into @p t (made internal) under the current AES master key and emit it. */
static csu_err seal_emit(struct fw_ctx *ctx, struct tokv *t, const struct wrapv_key *key)
{
    uint8_t mk[WRAPV_MK_LEN], vp[MK_VP_LEN], tok[TOKV_MAX_LEN];
    size_t len = 0;
    t->id = TOKV_ID_INTERNAL;
    pthread_mutex_lock(&ctx->card->lock);
    csu_err err = card_mk_current(&ctx->card->state, MK_AES, mk, vp);
    pthread_mutex_unlock(&ctx->card->lock);
    if (err == CSU_OK)
        err = wrapv_seal(t, mk, vp, key);
    if (err == CSU_OK)
        err = tokv_build(t, tok, sizeof(tok), &len);
    if (err == CSU_OK)
        err = emit(ctx, tok, len);
    OPENSSL_cleanse(mk, sizeof(mk));
    OPENSSL_cleanse(tok, sizeof(tok));
    return err;
}

csu_err fw_csndsyi2(struct fw_ctx *ctx)
{
    struct plan p;
    csu_err err = plan_of(&syi2_spec, ctx, &p);
    const struct csu_wire_block *in = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    if (err == CSU_OK && (!in || in->length == 0))
        err = CSU_E_LENGTH;
    if (err != CSU_OK)
        return err;
    struct rsa_key rk = {0};
    struct tokv t;
    struct wrapv_key key = {0};
    memset(&t, 0, sizeof(t));
    err = load_rsa(ctx, CSU_TAG_IN(2), true, &rk);
    if (err == CSU_OK && p.method == M_PKOAEP2)
        err = open_pkoaep2(&p, &rk, in, &t, &key);
    else if (err == CSU_OK)
        err = rakw_template(ctx, &t);
    if (err == CSU_OK && p.method == M_RAKW)
        err = open_rakw(&p, &rk, in, &key);
    if (err == CSU_OK)
        err = apply_name(ctx, &t);
    if (err == CSU_OK)
        err = seal_emit(ctx, &t, &key);
    if (err == CSU_OK)
        warn_if_old(ctx, rk.old);
    OPENSSL_cleanse(&key, sizeof(key));
    tokv_wipe(&t);
    EVP_PKEY_free(rk.pk);
    ERR_clear_error();
    return err;
}
