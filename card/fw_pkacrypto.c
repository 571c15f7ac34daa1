/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card halves of CSNDDSG, CSNDDSV, CSNDPKE and CSNDPKD (host halves in
 * csu/verb_pkacrypto.c; decisions in docs/pka-crypto.md).  Blocks:
 *   CSNDDSG  IN(1) key token, IN(2) hash, OUT_CAPACITY
 *            -> OUT(1) signature, OUT(2) u32 signature bit length
 *   CSNDDSV  IN(1) key token, IN(2) hash, IN(3) signature
 *   CSNDPKE  IN(1) clear data, IN(2) key token, OUT_CAPACITY -> OUT(1) ciphertext
 *   CSNDPKD  IN(1) ciphertext, IN(2) key token, OUT_CAPACITY -> OUT(1) clear data
 * Keys come from PKA tokens (tok_pka.h) and become EVP_PKEYs through
 * pka_to_evp; the parsed key is wiped as soon as the EVP_PKEY exists.
 * Internal (master-key protected) private keys go through the card's key
 * cache (card_keycache.h): a hit skips the unwrap and the EVP_PKEY build,
 * and keeps OpenSSL's per-key set-up (RSA blinding, Montgomery contexts).
 * CSNDDSG also keeps its initialized signing contexts in the entry (one per
 * op_slot) and signs with a copy of it: building one costs more than the
 * rest of the verb's work on the card.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "card_keycache.h"
#include "card_mk.h"
#include "csu_mu.h"
#include "csu_rules.h"
#include "pka_iso9796.h"
#include "pka_keygen.h"

#define WARN_OLD_MK 10001u
#define SIG_MAX (2u * PKA_RSA_MAX_BYTES)
#define PSS_SALT_FIELD 4u

/* ---- keys ------------------------------------------------------------------- */


/* What a verb needs of its key. */
enum key_need { NEED_PUBLIC, NEED_SIGN, NEED_DECRYPT };

/* Prepared operations a cached key keeps (card_keycache_get_op); OP_NONE: the verb builds its own. */
enum op_slot {
    OP_SIGN,     /**< EVP_PKEY_sign_init only: ECDSA, RSA PKCS-1.1 (PKCS #1 v1.5 padding is the default) */
    OP_SIGN_RAW, /**< EVP_PKEY_sign_init, RSA_NO_PADDING: PKCS-1.0, ZERO-PAD */
    OP_NONE = KC_OPS,
};

struct loaded_key {
    EVP_PKEY *pk;
    enum pka_alg alg;
    size_t bytes;     /**< RSA modulus bytes; ECC field bytes */
    unsigned bits;    /**< RSA modulus bits; ECC field bits */
    bool old;         /**< under the old master key: answer 0/10001 */
    bool no_private;  /**< a private operation asked of a public token */
    bool cached;      /**< a key-cache entry holds pk: id (master-key fingerprint filled) names it */
    struct kc_id id;
    enum op_slot op_slot; /**< the slot op was copied from */
    EVP_PKEY_CTX *op;     /**< a copy of the entry's prepared operation, or NULL */
    uint8_t n[PKA_RSA_MAX_BYTES]; /**< RSA modulus (public), for range checks */
};

static csu_err usage_allows(const struct pka_key *k, enum key_need need)
{
    if (need == NEED_SIGN && k->usage == PKA_USAGE_KM_ONLY)
        return CSU_E_KEY_USE;
    if (need == NEED_DECRYPT && k->usage == PKA_USAGE_SIG_ONLY)
        return CSU_E_KEY_USE;
    return CSU_OK;
}

static void describe(const struct pka_key *k, struct loaded_key *lk)
{
    lk->alg = k->alg;
    if (k->alg == PKA_ALG_RSA) {
        lk->bytes = k->rsa.n_len;
        lk->bits = k->rsa.bits;
        memcpy(lk->n, k->rsa.n, k->rsa.n_len);
        return;
    }
    const struct pka_curve *c = pka_curve_find(k->ecc.curve_type, k->ecc.p_bits);
    lk->bytes = c ? c->bytes : 0;
    lk->bits = k->ecc.p_bits;
}

/* Public facts of a cached private key: what load_key needs besides the EVP_PKEY. */
struct cached_facts {
    uint8_t mkvp[PKA_MKVP_LEN];
    uint8_t usage;
    enum pka_alg alg;
    size_t bytes;
    unsigned bits;
    uint8_t n[PKA_RSA_MAX_BYTES];
};

/* Bytes an EVP_PKEY of this key holds, roughly (private parts, blinding, Montgomery contexts). */
static size_t evp_cost(const struct loaded_key *lk)
{
    return lk->alg == PKA_ALG_RSA ? 4096u + 12u * lk->bytes : 2048u;
}

/* Records which master key a token named, for the cache entry made after the parse. */
struct recording_lookup {
    struct card *card;
    uint8_t vp[PKA_MKVP_LEN];
    uint8_t fp[32];
    bool found;
};

static csu_err find_mk_recorded(void *arg, const uint8_t vp[PKA_MKVP_LEN], uint8_t key[PKA_MK_LEN], bool *old)
{
    struct recording_lookup *r = arg;
    csu_err err = card_mk_find_apka(r->card, vp, key, old);
    if (err == CSU_OK) {
        memcpy(r->vp, vp, PKA_MKVP_LEN);
        r->found = card_keycache_mk_fp(MK_APKA, key, PKA_MK_LEN, r->fp) == CSU_OK;
    }
    return err;
}

/*
 * A cached private key for the token with id @p id: its master key is
 * looked up again (12/764, 8/48 and the old flag are fresh) and must be
 * the one the entry was made under.  Returns false to take the full path.
 */
static bool load_cached(struct fw_ctx *ctx, const struct kc_id *id, enum key_need need, enum op_slot slot,
                        struct loaded_key *lk, csu_err *err)
{
    struct cached_facts f;
    uint8_t fp[32], mk[PKA_MK_LEN], now[32];
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *op = NULL;
    if (!card_keycache_get_op(id, &f, sizeof(f), &pk, fp, slot, &op))
        return false;
    *err = card_mk_find_apka(ctx->card, f.mkvp, mk, &lk->old);
    bool same = *err != CSU_OK || (card_keycache_mk_fp(MK_APKA, mk, sizeof(mk), now) == CSU_OK &&
                                   CRYPTO_memcmp(now, fp, sizeof(fp)) == 0);
    OPENSSL_cleanse(mk, sizeof(mk));
    if (same && *err == CSU_OK) {
        struct pka_key usage_only = {.usage = f.usage};
        *err = usage_allows(&usage_only, need);
        lk->alg = f.alg, lk->bytes = f.bytes, lk->bits = f.bits;
        memcpy(lk->n, f.n, sizeof(lk->n));
    }
    if (!same || *err != CSU_OK) {
        EVP_PKEY_CTX_free(op);
        EVP_PKEY_free(pk);
        return same; /* an error is the answer; another MK: parse from scratch */
    }
    lk->pk = pk, lk->op = op, lk->op_slot = slot, lk->cached = true;
    lk->id = *id;
    memcpy(lk->id.mk_fp, fp, sizeof(fp));
    return true;
}

static void cache_loaded(const struct kc_id *id, const struct recording_lookup *r, const struct pka_key *k,
                         struct loaded_key *lk)
{
    struct cached_facts f = {.usage = k->usage, .alg = lk->alg, .bytes = lk->bytes, .bits = lk->bits};
    memcpy(f.mkvp, r->vp, sizeof(f.mkvp));
    memcpy(f.n, lk->n, sizeof(f.n));
    lk->id = *id;
    memcpy(lk->id.mk_fp, r->fp, sizeof(lk->id.mk_fp));
    lk->cached = true; /* if the put is dropped, templates offered for it are dropped too */
    card_keycache_put(&lk->id,
                      &(struct kc_value){.info = &f, .info_len = sizeof(f), .pkey = lk->pk, .cost = evp_cost(lk)});
}

/*
 * Parse the token in @p tag and make its EVP_PKEY (private part only for
 * private operations, or always for an internal token, which is cached).
 * A private operation on a public token sets lk->no_private and returns
 * CSU_OK (the verb answers 8/2038).  On a cache hit, lk->op is a copy of
 * the entry's template in @p slot, when it has one.
 */
static csu_err load_key(struct fw_ctx *ctx, uint16_t tag, enum key_need need, enum op_slot slot,
                        struct loaded_key *lk)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, tag);
    if (!b)
        return CSU_E_LENGTH;
    struct kc_id id;
    csu_err err = CSU_OK;
    bool cacheable = card_keycache_active() && b->length > PKA_HDR_LEN && b->data[0] == PKA_TOKEN_INTERNAL &&
                     card_keycache_id(KC_PKA, MK_APKA, b->data, b->length, NULL, 0, &id) == CSU_OK;
    if (cacheable && load_cached(ctx, &id, need, slot, lk, &err))
        return err;
    struct recording_lookup rec = {.card = ctx->card};
    struct pka_mk_lookup mk = {find_mk_recorded, &rec};
    struct pka_key k;
    err = pka_token_parse(b->data, b->length, &mk, &k, &lk->old);
    bool has_private = err == CSU_OK && (k.kind == PKA_KIND_CLEAR || k.kind == PKA_KIND_INTERNAL);
    bool keep = cacheable && err == CSU_OK && k.kind == PKA_KIND_INTERNAL && rec.found;
    if (err == CSU_OK && k.kind == PKA_KIND_SKELETON)
        err = CSU_E_PKA_FIELD; /* no key at all */
    lk->no_private = err == CSU_OK && need != NEED_PUBLIC && !has_private;
    if (err == CSU_OK && has_private)
        err = usage_allows(&k, need);
    if (err == CSU_OK && !lk->no_private) {
        describe(&k, lk);
        err = pka_to_evp(&k, need != NEED_PUBLIC || keep, &lk->pk);
    }
    if (err == CSU_OK && keep)
        cache_loaded(&id, &rec, &k, lk);
    pka_key_clear(&k);
    return err;
}

static void unload_key(struct loaded_key *lk)
{
    EVP_PKEY_CTX_free(lk->op);
    EVP_PKEY_free(lk->pk);
    lk->op = NULL;
    lk->pk = NULL;
}

/* ---- shared helpers ------------------------------------------------------------ */

/* Leave no OpenSSL error behind; the usual empty queue costs a peek (~15 ns), not a clear (~85 ns). */
static void clear_openssl_errors(void)
{
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

static const EVP_MD *md_of(uint32_t hash)
{
    static const char *const names[] = {NULL, "SHA1", "SHA224", "SHA256", "SHA384", "SHA512"};
    return hash > 0 && hash < sizeof(names) / sizeof(names[0]) ? EVP_get_digestbyname(names[hash]) : NULL;
}

/* An output block, checked against the caller's capacity. */
static csu_err emit(struct fw_ctx *ctx, uint16_t tag, const uint8_t *data, size_t len)
{
    uint8_t *out = fw_output(ctx, tag, len);
    if (!out)
        return CSU_E_NOMEM;
    memcpy(out, data, len);
    return CSU_OK;
}

/* @p block (k bytes, big-endian) is below the modulus: public values only. */
static bool below_modulus(const struct loaded_key *lk, const uint8_t *block)
{
    for (size_t i = 0; i < lk->bytes; i++) /* public values: an early exit leaks nothing */
        if (block[i] != lk->n[i])
            return block[i] < lk->n[i];
    return false;
}

/* EVP context for one operation with the padding and digests it needs. */
static EVP_PKEY_CTX *op_ctx(EVP_PKEY *pk, int (*init)(EVP_PKEY_CTX *), int padding, const EVP_MD *md,
                            bool oaep)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    bool ok = c && init(c) == 1;
    /* the digest first: X9.31 padding is refused while the default digest has no X9.31 id */
    if (ok && md && !oaep)
        ok = EVP_PKEY_CTX_set_signature_md(c, md) == 1;
    if (ok && padding)
        ok = EVP_PKEY_CTX_set_rsa_padding(c, padding) == 1;
    if (ok && md && oaep) /* OAEP digests need OAEP padding set first */
        ok = EVP_PKEY_CTX_set_rsa_oaep_md(c, md) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) == 1;
    if (ok && padding == RSA_PKCS1_PSS_PADDING)
        ok = EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) == 1;
    if (!ok) {
        EVP_PKEY_CTX_free(c);
        return NULL;
    }
    return c;
}

/*
 * The signing context of @p slot (padding @p padding, no digest): the
 * cache's copy when load_key got one, else a new one, of which a copy is
 * offered to the cache as the slot's template when a cache entry holds the
 * key.  The template is copied before this call's context is used.
 */
static EVP_PKEY_CTX *sign_ctx(struct loaded_key *lk, enum op_slot slot, int padding)
{
    EVP_PKEY_CTX *c = lk->op;
    lk->op = NULL;
    if (c && lk->op_slot == slot)
        return c;
    EVP_PKEY_CTX_free(c); /* another slot than the verb asked for: not expected, but never misused */
    c = op_ctx(lk->pk, EVP_PKEY_sign_init, padding, NULL, false);
    if (c && lk->cached && slot != OP_NONE)
        card_keycache_put_op(&lk->id, slot, EVP_PKEY_CTX_dup(c));
    return c;
}

/* ---- digital signatures: rule arrays --------------------------------------------- */

enum { G_ALG, G_FMT, G_HASH, G_INPUT, G_MATCH };
enum sig_alg { ALG_RSA = 1, ALG_ECDSA, ALG_NOT_SERVED };
enum sig_fmt { FMT_PKCS10 = 1, FMT_PKCS11, FMT_ZERO_PAD, FMT_X931, FMT_ISO9796, FMT_PSS };
enum hash_kw { H_SHA1 = 1, H_SHA224, H_SHA256, H_SHA384, H_SHA512, H_NOT_SERVED };
enum { INPUT_HASH = 1, INPUT_MESSAGE, MATCH_EXACT, MATCH_NOT_EXACT };

#define SIG_WORDS_COMMON                                                                                      \
    {"RSA", G_ALG, ALG_RSA}, {"ECDSA", G_ALG, ALG_ECDSA}, {"EDDSA", G_ALG, ALG_NOT_SERVED},                  \
        {"EC-SDSA", G_ALG, ALG_NOT_SERVED}, {"CRDL-DSA", G_ALG, ALG_NOT_SERVED},                             \
        {"PKCS-1.0", G_FMT, FMT_PKCS10}, {"PKCS-1.1", G_FMT, FMT_PKCS11}, {"ZERO-PAD", G_FMT, FMT_ZERO_PAD}, \
        {"X9.31", G_FMT, FMT_X931}, {"ISO-9796", G_FMT, FMT_ISO9796}, {"PKCS-PSS", G_FMT, FMT_PSS},          \
        {"SHA-1", G_HASH, H_SHA1}, {"SHA-224", G_HASH, H_SHA224}, {"SHA-256", G_HASH, H_SHA256},             \
        {"SHA-384", G_HASH, H_SHA384}, {"SHA-512", G_HASH, H_SHA512}, {"MD5", G_HASH, H_NOT_SERVED},         \
        {"RPMD-160", G_HASH, H_NOT_SERVED}, {"HASH", G_INPUT, INPUT_HASH}, {"MESSAGE", G_INPUT, INPUT_MESSAGE}

static const struct csu_keyword dsg_words[] = {SIG_WORDS_COMMON};
static const struct csu_keyword dsv_words[] = {SIG_WORDS_COMMON, {"EXMATCH", G_MATCH, MATCH_EXACT},
                                               {"NEXMATCH", G_MATCH, MATCH_NOT_EXACT}};
static const struct csu_rule_spec dsg_spec = {dsg_words, sizeof(dsg_words) / sizeof(dsg_words[0]), 0, 8, 0};
static const struct csu_rule_spec dsv_spec = {dsv_words, sizeof(dsv_words) / sizeof(dsv_words[0]), 0, 9, 0};

struct sig_plan {
    enum pka_alg alg;
    uint32_t fmt;
    uint32_t hash;
};

/*
 * The method the rule array and the key's algorithm select.  RSA defaults
 * to PKCS-1.1 (docs/pka-crypto.md); a formatting method with ECDSA is 8/34;
 * an algorithm keyword that contradicts the key is 8/2089.
 */
static csu_err sig_plan(const struct csu_rule_result *r, enum pka_alg key_alg, struct sig_plan *p)
{
    uint32_t alg = csu_rules_value(r, G_ALG, key_alg == PKA_ALG_RSA ? ALG_RSA : ALG_ECDSA);
    p->fmt = csu_rules_value(r, G_FMT, 0);
    p->hash = csu_rules_value(r, G_HASH, 0);
    if (alg == ALG_NOT_SERVED || p->hash == H_NOT_SERVED ||
        csu_rules_value(r, G_INPUT, INPUT_HASH) != INPUT_HASH ||
        csu_rules_value(r, G_MATCH, MATCH_EXACT) != MATCH_EXACT)
        return CSU_E_UNAVAILABLE;
    if (alg == ALG_ECDSA && p->fmt != 0)
        return CSU_E_RULE_CONFLICT;
    if ((alg == ALG_RSA) != (key_alg == PKA_ALG_RSA))
        return CSU_E_ALGORITHM_MISMATCH;
    p->alg = key_alg;
    if (alg == ALG_RSA && p->fmt == 0)
        p->fmt = FMT_PKCS11;
    if ((p->fmt == FMT_PSS || p->fmt == FMT_X931) && p->hash == 0)
        return CSU_E_RULE_MISSING;
    if (p->fmt == FMT_X931 && p->hash == H_SHA224)
        return CSU_E_RULE_CONFLICT; /* X9.31 has no hash identifier for SHA-224 */
    return CSU_OK;
}

/*
 * The prepared operation CSNDDSG will use, from the rule array alone (the
 * key is not loaded yet): sign_ctx checks it against the plan's.
 */
static enum op_slot dsg_slot_of_rules(const struct csu_rule_result *r)
{
    uint32_t fmt = csu_rules_value(r, G_FMT, 0);
    if (fmt == 0 || fmt == FMT_PKCS11)
        return OP_SIGN;
    return fmt == FMT_PKCS10 || fmt == FMT_ZERO_PAD ? OP_SIGN_RAW : OP_NONE;
}

/* PKCS-PSS data: a 4-byte big-endian salt length, then the hash. */
static csu_err pss_split(const struct csu_wire_block *data, const EVP_MD *md, unsigned bits, int *salt)
{
    size_t h = (size_t)EVP_MD_get_size(md);
    if (data->length != PSS_SALT_FIELD + h)
        return CSU_E_LENGTH;
    uint32_t s = csu_load_be32(data->data);
    size_t em_len = (bits - 1 + 7) / 8;
    /* salt 0 or at least the hash length (smaller salts need an ACP), and it must fit */
    if ((s != 0 && s < h) || em_len < h + 2 || s > em_len - h - 2)
        return CSU_E_LENGTH;
    *salt = (int)s;
    return CSU_OK;
}

/* ---- CSNDDSG ----------------------------------------------------------------------- */

/* The k-byte block PKCS-1.0 (type 00) and ZERO-PAD sign: the data left-padded with zeros. */
static csu_err zero_block(const struct loaded_key *lk, uint32_t fmt, const struct csu_wire_block *data,
                          uint8_t *block)
{
    size_t max = fmt == FMT_PKCS10 ? lk->bytes - 11 : lk->bytes;
    if (data->length > max)
        return CSU_E_LENGTH;
    memset(block, 0, lk->bytes - data->length);
    memcpy(block + lk->bytes - data->length, data->data, data->length);
    return below_modulus(lk, block) ? CSU_OK : CSU_E_LENGTH;
}

static csu_err rsa_sign(struct loaded_key *lk, const struct sig_plan *p, const struct csu_wire_block *data,
                        uint8_t *sig, size_t *sig_len)
{
    const EVP_MD *md = md_of(p->hash);
    const uint8_t *tbs = data->data;
    size_t tbs_len = data->length;
    uint8_t block[PKA_RSA_MAX_BYTES];
    int padding = RSA_PKCS1_PADDING, salt = 0;
    enum op_slot slot = OP_NONE;
    csu_err err = CSU_OK;
    if (p->fmt == FMT_ISO9796) { /* ISO/IEC 9796-1 on the hash, any hash method (pka_iso9796.h) */
        *sig_len = lk->bytes;
        return iso9796_sign(lk->pk, lk->n, lk->bits, data->data, data->length, sig);
    }
    if (p->fmt == FMT_PKCS11) { /* type-01 padding around whatever bytes came (P5 #18) */
        err = tbs_len <= lk->bytes - 11 ? CSU_OK : CSU_E_LENGTH;
        md = NULL, slot = OP_SIGN;
    } else if (p->fmt == FMT_PKCS10 || p->fmt == FMT_ZERO_PAD) {
        err = zero_block(lk, p->fmt, data, block);
        tbs = block, tbs_len = lk->bytes, padding = RSA_NO_PADDING, md = NULL, slot = OP_SIGN_RAW;
    } else if (p->fmt == FMT_PSS) {
        err = pss_split(data, md, lk->bits, &salt);
        tbs += PSS_SALT_FIELD, tbs_len -= PSS_SALT_FIELD, padding = RSA_PKCS1_PSS_PADDING;
    } else { /* X9.31: exactly one hash of the keyword's algorithm */
        err = tbs_len == (size_t)EVP_MD_get_size(md) ? CSU_OK : CSU_E_LENGTH;
        padding = RSA_X931_PADDING;
    }
    EVP_PKEY_CTX *c = NULL;
    if (err == CSU_OK)
        c = slot != OP_NONE ? sign_ctx(lk, slot, padding) : op_ctx(lk->pk, EVP_PKEY_sign_init, padding, md, false);
    if (err == CSU_OK && !c)
        err = CSU_E_CRYPTO;
    if (err == CSU_OK && padding == RSA_PKCS1_PSS_PADDING && EVP_PKEY_CTX_set_rsa_pss_saltlen(c, salt) != 1)
        err = CSU_E_CRYPTO;
    if (err == CSU_OK && EVP_PKEY_sign(c, sig, sig_len, tbs, tbs_len) != 1)
        err = CSU_E_CRYPTO;
    EVP_PKEY_CTX_free(c);
    return err;
}

/*
 * One DER INTEGER at *@p p (before @p end), as ECDSA_SIG's encoder writes
 * it (positive, minimal), right-aligned into the @p n bytes of @p out.
 */
static bool der_integer(const uint8_t **p, const uint8_t *end, uint8_t *out, size_t n)
{
    if (end - *p < 2 || (*p)[0] != 0x02)
        return false;
    size_t len = (*p)[1];
    const uint8_t *v = *p + 2;
    if (len == 0 || len > 0x7f || (size_t)(end - v) < len || (v[0] & 0x80))
        return false;
    *p = v + len;
    for (; len > 0 && *v == 0; v++, len--) /* public values: a data-dependent loop leaks nothing */
        ;
    if (len > n)
        return false;
    memset(out, 0, n - len);
    memcpy(out + n - len, v, len);
    return true;
}

/*
 * ECDSA-Sig-Value (SEQUENCE of two INTEGERs, DER, at most 2 * 67 + 8
 * bytes) to r ‖ s, each @p n bytes.  Done here rather than through
 * d2i_ECDSA_SIG: no allocations, no big numbers.
 */
static bool der_to_rs(const uint8_t *der, size_t der_len, uint8_t *sig, size_t n)
{
    if (der_len < 2 || der[0] != 0x30)
        return false;
    size_t hdr = der[1] == 0x81 ? 3 : 2;
    size_t body = der[1] == 0x81 && der_len > 2 ? der[2] : der[1];
    if ((der[1] & 0x80 && der[1] != 0x81) || hdr + body != der_len)
        return false;
    const uint8_t *p = der + hdr, *end = der + der_len;
    return der_integer(&p, end, sig, n) && der_integer(&p, end, sig + n, n) && p == end;
}

/* ECDSA over the caller's hash; the signature is r ‖ s, each the field's length. */
static csu_err ecdsa_sign(struct loaded_key *lk, const struct csu_wire_block *data, uint8_t *sig, size_t *sig_len)
{
    uint8_t der[SIG_MAX];
    size_t der_len = sizeof(der);
    EVP_PKEY_CTX *c = sign_ctx(lk, OP_SIGN, 0);
    bool ok = c && EVP_PKEY_sign(c, der, &der_len, data->data, data->length) == 1 &&
              der_to_rs(der, der_len, sig, lk->bytes);
    EVP_PKEY_CTX_free(c);
    *sig_len = 2 * lk->bytes;
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

static size_t signature_length(const struct loaded_key *lk)
{
    return lk->alg == PKA_ALG_RSA ? lk->bytes : 2 * lk->bytes;
}

static csu_err dsg_emit(struct fw_ctx *ctx, const struct loaded_key *lk, const uint8_t *sig, size_t sig_len)
{
    uint8_t bits[4];
    csu_store_be32(bits, (uint32_t)(lk->alg == PKA_ALG_RSA ? lk->bits : 8 * sig_len));
    csu_err err = emit(ctx, CSU_TAG_OUT(1), sig, sig_len);
    return err == CSU_OK ? emit(ctx, CSU_TAG_OUT(2), bits, sizeof(bits)) : err;
}

csu_err fw_csnddsg(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&dsg_spec, ctx->req->rule_count, ctx->req->rules, &r);
    const struct csu_wire_block *data = csu_wire_find(ctx->req, CSU_TAG_IN(2));
    if (err == CSU_OK && (!data || data->length == 0))
        err = CSU_E_LENGTH;
    if (err != CSU_OK)
        return err;
    struct loaded_key lk = {0};
    struct sig_plan plan;
    uint8_t sig[SIG_MAX];
    size_t sig_len = sizeof(sig);
    err = load_key(ctx, CSU_TAG_IN(1), NEED_SIGN, dsg_slot_of_rules(&r), &lk);
    if (err == CSU_OK && lk.no_private)
        err = CSU_E_NO_PRIVATE_KEY;
    else if (err == CSU_OK && (err = sig_plan(&r, lk.alg, &plan)) == CSU_OK) {
        if (signature_length(&lk) > fw_out_capacity(ctx))
            err = CSU_E_LENGTH; /* before the expensive part */
        else if (plan.alg == PKA_ALG_RSA)
            err = rsa_sign(&lk, &plan, data, sig, &sig_len);
        else
            err = ecdsa_sign(&lk, data, sig, &sig_len);
        if (err == CSU_OK)
            err = dsg_emit(ctx, &lk, sig, sig_len);
        if (err == CSU_OK && lk.old)
            ctx->rep.reason_code = WARN_OLD_MK;
    }
    unload_key(&lk);
    clear_openssl_errors();
    return err;
}

/* ---- CSNDDSV ----------------------------------------------------------------------- */

/* PKCS-1.1, PKCS-1.0, ZERO-PAD: recover the block and compare in constant time. */
static bool rsa_recover_compare(const struct loaded_key *lk, uint32_t fmt, const struct csu_wire_block *data,
                                const struct csu_wire_block *sig)
{
    uint8_t rec[PKA_RSA_MAX_BYTES], want[PKA_RSA_MAX_BYTES];
    size_t rec_len = sizeof(rec), want_len = data->length;
    bool pkcs11 = fmt == FMT_PKCS11;
    if (pkcs11 ? data->length > lk->bytes - 11 : zero_block(lk, fmt, data, want) != CSU_OK)
        return false;
    if (pkcs11)
        memcpy(want, data->data, data->length);
    else
        want_len = lk->bytes;
    EVP_PKEY_CTX *c = op_ctx(lk->pk, EVP_PKEY_verify_recover_init, pkcs11 ? RSA_PKCS1_PADDING : RSA_NO_PADDING,
                             NULL, false);
    bool ok = c && EVP_PKEY_verify_recover(c, rec, &rec_len, sig->data, sig->length) == 1;
    EVP_PKEY_CTX_free(c);
    ok = ok && rec_len == want_len;
    return ok && CRYPTO_memcmp(rec, want, want_len) == 0;
}

/* PKCS-PSS (exact salt length) and X9.31 through OpenSSL's verifiers. */
static csu_err rsa_verify_md(const struct loaded_key *lk, const struct sig_plan *p, const struct csu_wire_block *data,
                             const struct csu_wire_block *sig, bool *valid)
{
    const EVP_MD *md = md_of(p->hash);
    int salt = 0;
    const uint8_t *tbs = data->data;
    size_t tbs_len = data->length;
    csu_err err = CSU_OK;
    if (p->fmt == FMT_PSS) {
        err = pss_split(data, md, lk->bits, &salt);
        tbs += PSS_SALT_FIELD, tbs_len -= PSS_SALT_FIELD;
    } else if (tbs_len != (size_t)EVP_MD_get_size(md)) {
        err = CSU_E_LENGTH;
    }
    int padding = p->fmt == FMT_PSS ? RSA_PKCS1_PSS_PADDING : RSA_X931_PADDING;
    EVP_PKEY_CTX *c = err == CSU_OK ? op_ctx(lk->pk, EVP_PKEY_verify_init, padding, md, false) : NULL;
    if (err == CSU_OK && (!c || (p->fmt == FMT_PSS && EVP_PKEY_CTX_set_rsa_pss_saltlen(c, salt) != 1)))
        err = CSU_E_CRYPTO;
    *valid = err == CSU_OK && EVP_PKEY_verify(c, sig->data, sig->length, tbs, tbs_len) == 1;
    EVP_PKEY_CTX_free(c);
    return err;
}

/* r ‖ s -> DER, then OpenSSL's ECDSA verify over the caller's hash. */
static bool ecdsa_verify(const struct loaded_key *lk, const struct csu_wire_block *data,
                         const struct csu_wire_block *sig)
{
    if (sig->length != 2 * lk->bytes)
        return false;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig->data, (int)lk->bytes, NULL);
    BIGNUM *sv = BN_bin2bn(sig->data + lk->bytes, (int)lk->bytes, NULL);
    bool ok = s && r && sv && ECDSA_SIG_set0(s, r, sv) == 1;
    if (!ok) {
        BN_free(r);
        BN_free(sv);
    }
    uint8_t *der = NULL;
    int der_len = ok ? i2d_ECDSA_SIG(s, &der) : -1;
    EVP_PKEY_CTX *c = der_len > 0 ? op_ctx(lk->pk, EVP_PKEY_verify_init, 0, NULL, false) : NULL;
    ok = c && EVP_PKEY_verify(c, der, (size_t)der_len, data->data, data->length) == 1;
    EVP_PKEY_CTX_free(c);
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    return ok;
}

static csu_err dsv_check(const struct loaded_key *lk, const struct sig_plan *p, const struct csu_wire_block *data,
                         const struct csu_wire_block *sig, bool *valid)
{
    *valid = false;
    if (p->alg == PKA_ALG_ECC) {
        *valid = ecdsa_verify(lk, data, sig);
        return CSU_OK;
    }
    if (sig->length != lk->bytes)
        return CSU_OK; /* a signature is exactly k bytes: anything else does not verify */
    if (p->fmt == FMT_PSS || p->fmt == FMT_X931)
        return rsa_verify_md(lk, p, data, sig, valid);
    if (p->fmt == FMT_ISO9796) /* a hash too long for the modulus is 8/72, as in CSNDDSG */
        return iso9796_verify(lk->pk, lk->n, lk->bits, data->data, data->length, sig->data, sig->length, valid);
    *valid = rsa_recover_compare(lk, p->fmt, data, sig);
    return CSU_OK;
}

csu_err fw_csnddsv(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&dsv_spec, ctx->req->rule_count, ctx->req->rules, &r);
    const struct csu_wire_block *data = csu_wire_find(ctx->req, CSU_TAG_IN(2));
    const struct csu_wire_block *sig = csu_wire_find(ctx->req, CSU_TAG_IN(3));
    if (err == CSU_OK && (!data || data->length == 0 || !sig || sig->length == 0))
        err = CSU_E_LENGTH;
    if (err != CSU_OK)
        return err;
    struct loaded_key lk = {0};
    struct sig_plan plan;
    bool valid = false;
    err = load_key(ctx, CSU_TAG_IN(1), NEED_PUBLIC, OP_NONE, &lk);
    if (err == CSU_OK)
        err = sig_plan(&r, lk.alg, &plan);
    if (err == CSU_OK)
        err = dsv_check(&lk, &plan, data, sig, &valid);
    if (err == CSU_OK && !valid)
        err = CSU_W_SIGNATURE_INVALID;
    else if (err == CSU_OK && lk.old)
        ctx->rep.reason_code = WARN_OLD_MK;
    unload_key(&lk);
    clear_openssl_errors();
    return err;
}

/* ---- CSNDPKE / CSNDPKD: rule arrays ----------------------------------------------- */

enum { E_FMT, E_HASH };
enum enc_fmt { ENC_PKCS12 = 1, ENC_ZERO_PAD, ENC_OAEP, ENC_NOT_SERVED };
static const struct csu_keyword enc_words[] = {
    {"PKCS-1.2", E_FMT, ENC_PKCS12}, {"ZERO-PAD", E_FMT, ENC_ZERO_PAD}, {"PKCSOAEP", E_FMT, ENC_OAEP},
    {"MRP", E_FMT, ENC_NOT_SERVED},  {"SHA-1", E_HASH, H_SHA1},         {"SHA-256", E_HASH, H_SHA256},
};
static const struct csu_rule_spec enc_spec = {enc_words, sizeof(enc_words) / sizeof(enc_words[0]), 1, 2,
                                              1u << E_FMT};

struct enc_plan {
    int padding;
    const EVP_MD *md; /**< OAEP only (MGF1 uses the same hash) */
};

/* PKCSOAEP takes SHA-1 (default) or SHA-256; the others take no hash keyword (8/34). */
static csu_err enc_plan(struct fw_ctx *ctx, struct enc_plan *p)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&enc_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    uint32_t fmt = r.value[E_FMT];
    if (fmt == ENC_NOT_SERVED)
        return CSU_E_UNAVAILABLE;
    if (fmt != ENC_OAEP && (r.present & (1u << E_HASH)))
        return CSU_E_RULE_CONFLICT;
    static const int paddings[] = {0, RSA_PKCS1_PADDING, RSA_NO_PADDING, RSA_PKCS1_OAEP_PADDING};
    p->padding = paddings[fmt];
    p->md = fmt == ENC_OAEP ? md_of(csu_rules_value(&r, E_HASH, H_SHA1)) : NULL;
    return CSU_OK;
}

static csu_err rsa_key_only(const struct loaded_key *lk)
{
    return lk->alg == PKA_ALG_RSA ? CSU_OK : CSU_E_ALGORITHM_MISMATCH;
}

/* ---- CSNDPKE ----------------------------------------------------------------------- */

static size_t enc_max(const struct loaded_key *lk, const struct enc_plan *p)
{
    size_t k = lk->bytes, h = p->md ? (size_t)EVP_MD_get_size(p->md) : 0;
    size_t overhead = p->padding == RSA_PKCS1_PADDING ? 11 : p->padding == RSA_NO_PADDING ? 0 : 2 * h + 2;
    return k > overhead ? k - overhead : 0;
}

static csu_err pke_encrypt(const struct loaded_key *lk, const struct enc_plan *p, const struct csu_wire_block *in,
                           uint8_t *out, size_t *out_len)
{
    uint8_t block[PKA_RSA_MAX_BYTES];
    const uint8_t *m = in->data;
    size_t m_len = in->length;
    if (m_len > enc_max(lk, p))
        return CSU_E_LENGTH;
    if (p->padding == RSA_NO_PADDING) { /* ZERO-PAD: left-padded to k, below n */
        memset(block, 0, lk->bytes - m_len);
        memcpy(block + lk->bytes - m_len, m, m_len);
        m = block, m_len = lk->bytes;
        if (!below_modulus(lk, block))
            return CSU_E_LENGTH;
    }
    EVP_PKEY_CTX *c = op_ctx(lk->pk, EVP_PKEY_encrypt_init, p->padding, p->md, true);
    csu_err err = c && EVP_PKEY_encrypt(c, out, out_len, m, m_len) == 1 ? CSU_OK : CSU_E_CRYPTO;
    EVP_PKEY_CTX_free(c);
    OPENSSL_cleanse(block, sizeof(block));
    return err;
}

csu_err fw_csndpke(struct fw_ctx *ctx)
{
    struct enc_plan plan;
    csu_err err = enc_plan(ctx, &plan);
    const struct csu_wire_block *in = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    if (err == CSU_OK && (!in || in->length == 0))
        err = CSU_E_LENGTH;
    if (err != CSU_OK)
        return err;
    struct loaded_key lk = {0};
    uint8_t ct[PKA_RSA_MAX_BYTES];
    size_t ct_len = sizeof(ct);
    err = load_key(ctx, CSU_TAG_IN(2), NEED_PUBLIC, OP_NONE, &lk);
    if (err == CSU_OK)
        err = rsa_key_only(&lk);
    if (err == CSU_OK && lk.bytes > fw_out_capacity(ctx))
        err = CSU_E_LENGTH;
    if (err == CSU_OK)
        err = pke_encrypt(&lk, &plan, in, ct, &ct_len);
    if (err == CSU_OK)
        err = emit(ctx, CSU_TAG_OUT(1), ct, ct_len);
    if (err == CSU_OK && lk.old)
        ctx->rep.reason_code = WARN_OLD_MK;
    unload_key(&lk);
    clear_openssl_errors();
    return err;
}

/* ---- CSNDPKD ----------------------------------------------------------------------- */

/*
 * Decrypt into a k-byte scratch buffer.  Every failure past the key checks
 * (length, range, padding of any kind) is the same false: the caller answers
 * 8/66 without knowing why.  OpenSSL's PKCS#1 v1.5 type 2 and OAEP decoders
 * are constant time; implicit rejection (OpenSSL >= 3.2) is switched off so a
 * bad padding is reported rather than replaced by a synthetic message.
 */
static bool pkd_decrypt(const struct loaded_key *lk, const struct enc_plan *p, const struct csu_wire_block *ct,
                        uint8_t *out, size_t *out_len)
{
    unsigned int no_implicit = 0;
    OSSL_PARAM params[] = {OSSL_PARAM_uint("implicit-rejection", &no_implicit), OSSL_PARAM_END};
    EVP_PKEY_CTX *c = ct->length == lk->bytes ? op_ctx(lk->pk, EVP_PKEY_decrypt_init, p->padding, p->md, true)
                                              : NULL;
    bool ok = c && (p->padding != RSA_PKCS1_PADDING || EVP_PKEY_CTX_set_params(c, params) == 1) &&
              EVP_PKEY_decrypt(c, out, out_len, ct->data, ct->length) == 1;
    EVP_PKEY_CTX_free(c);
    return ok;
}

csu_err fw_csndpkd(struct fw_ctx *ctx)
{
    struct enc_plan plan;
    csu_err err = enc_plan(ctx, &plan);
    const struct csu_wire_block *ct = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    if (err == CSU_OK && (!ct || ct->length == 0))
        err = CSU_E_LENGTH;
    if (err != CSU_OK)
        return err;
    struct loaded_key lk = {0};
    uint8_t m[PKA_RSA_MAX_BYTES];
    size_t m_len = sizeof(m);
    err = load_key(ctx, CSU_TAG_IN(2), NEED_DECRYPT, OP_NONE, &lk);
    if (err == CSU_OK && lk.no_private)
        err = CSU_E_NO_PRIVATE_KEY;
    else if (err == CSU_OK && (err = rsa_key_only(&lk)) == CSU_OK) {
        if (!pkd_decrypt(&lk, &plan, ct, m, &m_len))
            err = CSU_E_RSA_BLOCK;
        else if (m_len > fw_out_capacity(ctx))
            err = CSU_E_LENGTH;
        else
            err = emit(ctx, CSU_TAG_OUT(1), m, m_len);
        if (err == CSU_OK && lk.old && ctx->rep.return_code == 0)
            ctx->rep.reason_code = WARN_OLD_MK;
    }
    OPENSSL_cleanse(m, sizeof(m));
    unload_key(&lk);
    clear_openssl_errors();
    return err;
}
