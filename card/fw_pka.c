/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card halves of CSNDPKB, CSNDPKG, CSNDPKI, CSNDPKX and CSNDKTC (host
 * halves in csu/verb_pka.c).  Blocks, numbered as the host numbers them:
 *   CSNDPKB  IN(1) key-values structure (the caller's buffer; the real
 *            length comes from its fields), IN(2) key name (64)
 *   CSNDPKG  IN(1) regeneration data, IN(2) skeleton token
 *   CSNDPKI  IN(1) source token          CSNDPKX  IN(1) source token
 *   CSNDKTC  IN(1) token
 * each with CSU_TAG_OUT_CAPACITY and one output, OUT(1), the token.
 * Token formats in tok_pka.h and docs/tokens-pka.md.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "card_mk.h"
#include "csu_keyid.h"
#include "csu_mu.h"
#include "pka_keygen.h"
#include "tok_ecc.h"
#include "tok_rsa.h"

#define WARN_OLD_MK 10001u

/* ---- master keys ----------------------------------------------------------- */

static csu_err current_mk(struct card *card, struct pka_mk *mk)
{
    pthread_mutex_lock(&card->lock);
    csu_err err = card_mk_current(&card->state, MK_APKA, mk->key, mk->vp);
    pthread_mutex_unlock(&card->lock);
    return err;
}

/* The APKA new-master-key register, for RTNMK (it must be full). */
static csu_err new_mk(struct card *card, struct pka_mk *mk)
{
    pthread_mutex_lock(&card->lock);
    const struct card_mk_set *set = &card->state.mk[MK_APKA];
    csu_err err = set->nmk_state == NMK_FULL ? CSU_OK : CSU_E_MK_STATE;
    if (err == CSU_OK)
        memcpy(mk->key, set->nmk, PKA_MK_LEN);
    pthread_mutex_unlock(&card->lock);
    if (err == CSU_OK)
        card_mk_vp(MK_APKA, mk->key, mk->vp);
    return err;
}

/* ---- tokens in and out --------------------------------------------------------- */

static csu_err read_token(struct fw_ctx *ctx, uint16_t tag, struct pka_key *k, bool *old)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, tag);
    if (!b)
        return CSU_E_LENGTH;
    struct pka_mk_lookup mk = {card_mk_find_apka, ctx->card};
    return pka_token_parse(b->data, b->length, &mk, k, old);
}

/*
 * Build the token into OUT(1) if it fits the caller's capacity, in place:
 * the length is known before the (for internal tokens, costly) build, and
 * a reply with rc 8 drops the block, wiped.
 */
static csu_err emit_token(struct fw_ctx *ctx, const struct pka_key *k, enum pka_build form, const struct pka_mk *mk)
{
    size_t len = pka_token_len(k, form), built = 0;
    if (len > PKA_TOKEN_MAX)
        return CSU_E_INTERNAL;
    if (len > fw_out_capacity(ctx))
        return CSU_E_LENGTH;
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), len);
    if (!out)
        return CSU_E_NOMEM;
    csu_err err = pka_token_build(k, form, mk, ctx->worker->drbg, out, len, &built);
    return err == CSU_OK && built != len ? CSU_E_INTERNAL : err;
}

static csu_err emit_internal(struct fw_ctx *ctx, const struct pka_key *k)
{
    struct pka_mk mk;
    csu_err err = current_mk(ctx->card, &mk);
    if (err == CSU_OK)
        err = emit_token(ctx, k, PKA_BUILD_INTERNAL, &mk);
    OPENSSL_cleanse(&mk, sizeof(mk));
    return err;
}

/* ---- CSNDPKB ------------------------------------------------------------------- */

enum pkb_type { PKB_RSA_PUBL, PKB_RSA_CRT, PKB_RSA_ME, PKB_ECC_PAIR, PKB_ECC_PUBL, PKB_NOT_SERVED };
enum { PKB_G_TYPE, PKB_G_USAGE, PKB_G_ECC_USE, PKB_G_ECC_VER, PKB_G_XPRTCPAC };

static const struct csu_keyword pkb_words[] = {
    {"RSA-PUBL", PKB_G_TYPE, PKB_RSA_PUBL},      {"RSA-CRT", PKB_G_TYPE, PKB_RSA_CRT},
    {"RSA-AESC", PKB_G_TYPE, PKB_RSA_CRT},       {"RSA-AESM", PKB_G_TYPE, PKB_RSA_ME},
    {"RSA-PRIV", PKB_G_TYPE, PKB_RSA_ME},        {"ECC-PAIR", PKB_G_TYPE, PKB_ECC_PAIR},
    {"ECC-PUBL", PKB_G_TYPE, PKB_ECC_PUBL},      {"QSA-PAIR", PKB_G_TYPE, PKB_NOT_SERVED},
    {"QSA-PUBL", PKB_G_TYPE, PKB_NOT_SERVED},    {"SIG-ONLY", PKB_G_USAGE, PKA_USAGE_SIG_ONLY},
    {"KEY-MGMT", PKB_G_USAGE, PKA_USAGE_KEY_MGMT}, {"KM-ONLY", PKB_G_USAGE, PKA_USAGE_KM_ONLY},
    {"U-DIGSIG", PKB_G_ECC_USE, 0},              {"U-DATENC", PKB_G_ECC_USE, 0},
    {"ECC-VER1", PKB_G_ECC_VER, 0},              {"XPRTCPAC", PKB_G_XPRTCPAC, 0},
};
static const struct csu_rule_spec pkb_spec = {pkb_words, sizeof(pkb_words) / sizeof(pkb_words[0]), 1, 5,
                                              1u << PKB_G_TYPE};
/* Keywords known but not served here: QSA, ECC usage/version, XPRTCPAC. */
#define PKB_NOT_SERVED_GROUPS ((1u << PKB_G_ECC_USE) | (1u << PKB_G_ECC_VER) | (1u << PKB_G_XPRTCPAC))

/* A big-endian number from a key-values structure, leading zero bytes dropped. */
static void take_number(const uint8_t *p, size_t n, uint8_t *out, size_t *out_len)
{
    while (n > 0 && *p == 0)
        p++, n--;
    memcpy(out, p, n);
    *out_len = n;
}

/* Bounded reader over the caller's structure: fields must lie inside it. */
struct kvs {
    const uint8_t *p;
    size_t len, off;
};

static bool kvs_take(struct kvs *s, size_t n, size_t max, uint8_t *out, size_t *out_len)
{
    if (n > max || !csu_mu_fits(s->len, s->off, n))
        return false;
    take_number(s->p + s->off, n, out, out_len);
    s->off += n;
    return true;
}

/* Modulus bits: 0 in the structure means "from the modulus". */
static csu_err rsa_kvs_bits(struct pka_key *k, unsigned given)
{
    if (k->rsa.n_len == 0) { /* skeleton */
        k->rsa.bits = (uint16_t)given;
        return (given < PKA_RSA_MIN_BITS || given > PKA_RSA_MAX_BITS) ? CSU_E_RSA_MODULUS : CSU_OK;
    }
    unsigned top = 32 - (unsigned)__builtin_clz(k->rsa.n[0]);
    unsigned bits = top + 8 * ((unsigned)k->rsa.n_len - 1);
    if (given != 0 && given != bits)
        return CSU_E_RSA_MODULUS;
    k->rsa.bits = (uint16_t)bits;
    return rsa_check_modulus(k->rsa.n, k->rsa.n_len, bits);
}

/*
 * RSA key-values structure (reference §3.9; client patterns P5):
 *   ME form (RSA-PUBL, RSA-PRIV, RSA-AESM): 0 bits | 2 n len | 4 e len |
 *       6 d len | 8 n, e, d
 *   CRT form (RSA-CRT, RSA-AESC): 0 bits | 2 n len | 4 e len | 6 0 | 8 p |
 *       10 q | 12 dp | 14 dq | 16 U lengths | 18 n, e, p, q, dp, dq, U
 */
static csu_err rsa_from_kvs(const uint8_t *p, size_t len, bool crt, struct pka_key *k)
{
    size_t hdr = crt ? 18 : 8;
    if (len < hdr)
        return CSU_E_LENGTH;
    const size_t comp_max = sizeof(k->rsa.p);
    struct kvs s = {p, len, hdr};
    size_t n_len = csu_load_be16(p + 2), e_len = csu_load_be16(p + 4);
    bool ok = kvs_take(&s, n_len, PKA_RSA_MAX_BYTES, k->rsa.n, &k->rsa.n_len) &&
              kvs_take(&s, e_len, PKA_RSA_MAX_BYTES, k->rsa.e, &k->rsa.e_len);
    size_t priv = 0;
    if (ok && crt) {
        uint8_t *dst[] = {k->rsa.p, k->rsa.q, k->rsa.dp, k->rsa.dq, k->rsa.u};
        size_t *dlen[] = {&k->rsa.p_len, &k->rsa.q_len, &k->rsa.dp_len, &k->rsa.dq_len, &k->rsa.u_len};
        for (int i = 0; ok && i < 5; i++) {
            size_t n = csu_load_be16(p + 8 + 2 * i);
            priv += n;
            ok = kvs_take(&s, n, comp_max, dst[i], dlen[i]) && (n == 0) == (*dlen[i] == 0);
        }
    } else if (ok) {
        priv = csu_load_be16(p + 6);
        ok = kvs_take(&s, priv, PKA_RSA_MAX_BYTES, k->rsa.d, &k->rsa.d_len);
    }
    bool all_parts = crt ? (k->rsa.p_len && k->rsa.q_len && k->rsa.dp_len && k->rsa.dq_len && k->rsa.u_len)
                         : k->rsa.d_len != 0;
    if (!ok || (priv != 0 && (k->rsa.n_len == 0 || !all_parts)))
        return CSU_E_KVS_LENGTH; /* fields outside the structure, or a partial key */
    k->rsa.crt = crt;
    bool skeleton = n_len == 0 && priv == 0;
    k->kind = skeleton ? PKA_KIND_SKELETON : priv ? PKA_KIND_CLEAR : PKA_KIND_PUBLIC;
    csu_err err = rsa_kvs_bits(k, csu_load_be16(p));
    if (err == CSU_OK)
        err = rsa_check_exponent(k->rsa.e, k->rsa.e_len, skeleton, k->rsa.bits);
    return err;
}

/* ECC key-values structure: 0 curve type | 1 0 | 2 p bits | 4 d len | 6 Q len | 8 d, Q. */
static csu_err ecc_from_kvs(const uint8_t *p, size_t len, struct pka_key *k)
{
    if (len < 8)
        return CSU_E_LENGTH;
    k->ecc.curve_type = p[0];
    k->ecc.p_bits = csu_load_be16(p + 2);
    const struct pka_curve *c = pka_curve_find(p[0], k->ecc.p_bits);
    if (!c)
        return CSU_E_ECC_CURVE;
    size_t d_len = csu_load_be16(p + 4), q_len = csu_load_be16(p + 6);
    if (d_len > c->bytes || !csu_mu_fits(len, 8, d_len + q_len) || (q_len != 0 && q_len != 1u + 2u * c->bytes))
        return CSU_E_KVS_LENGTH;
    size_t d_min = 0;
    uint8_t d[PKA_ECC_MAX_BYTES];
    take_number(p + 8, d_len, d, &d_min);
    memset(k->ecc.d, 0, c->bytes); /* d left-padded to the field length */
    memcpy(k->ecc.d + c->bytes - d_min, d, d_min);
    OPENSSL_cleanse(d, sizeof(d));
    k->ecc.d_len = d_len ? c->bytes : 0;
    memcpy(k->ecc.q, p + 8 + d_len, q_len);
    k->ecc.q_len = q_len;
    if (d_len != 0 && d_min == 0)
        return CSU_E_PKA_FIELD; /* d = 0 */
    if (q_len != 0 && k->ecc.q[0] != 0x04)
        return CSU_E_PKA_FIELD; /* only uncompressed points */
    k->kind = d_len ? PKA_KIND_CLEAR : q_len ? PKA_KIND_PUBLIC : PKA_KIND_SKELETON;
    return (d_len != 0 && q_len == 0) ? CSU_E_KVS_LENGTH : CSU_OK;
}

/* The key the structure describes, checked against the token type asked for. */
static csu_err pkb_key(const struct csu_rule_result *r, const uint8_t *p, size_t len, struct pka_key *k)
{
    uint32_t type = r->value[PKB_G_TYPE];
    bool ecc = type == PKB_ECC_PAIR || type == PKB_ECC_PUBL;
    bool publ = type == PKB_RSA_PUBL || type == PKB_ECC_PUBL;
    k->alg = ecc ? PKA_ALG_ECC : PKA_ALG_RSA;
    k->usage = (uint8_t)csu_rules_value(r, PKB_G_USAGE, PKA_USAGE_SIG_ONLY);
    csu_err err = ecc ? ecc_from_kvs(p, len, k) : rsa_from_kvs(p, len, type == PKB_RSA_CRT, k);
    if (err != CSU_OK)
        return err;
    if (publ != (k->kind == PKA_KIND_PUBLIC))
        return CSU_E_KVS_LENGTH; /* a public token needs exactly a public key */
    k->key_source = k->kind == PKA_KIND_CLEAR ? PKA_SOURCE_IMPORTED_CLEAR : PKA_SOURCE_EXTERNAL;
    return k->kind == PKA_KIND_SKELETON ? CSU_OK : pka_check_key(k);
}

static csu_err pkb_name(struct fw_ctx *ctx, struct pka_key *k)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_IN(2));
    if (!b)
        return CSU_OK;
    if (b->length != PKA_NAME_LEN)
        return CSU_E_LENGTH;
    csu_err err = csu_label_check(b->data);
    if (err == CSU_OK) {
        memcpy(k->name, b->data, PKA_NAME_LEN);
        k->has_name = true;
    }
    return err;
}

csu_err fw_csndpkb(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&pkb_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    if ((r.present & PKB_NOT_SERVED_GROUPS) || r.value[PKB_G_TYPE] == PKB_NOT_SERVED)
        return CSU_E_UNAVAILABLE;
    const struct csu_wire_block *kvs = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    if (!kvs)
        return CSU_E_LENGTH;
    struct pka_key k = {0};
    err = pkb_key(&r, kvs->data, kvs->length, &k);
    if (err == CSU_OK)
        err = pkb_name(ctx, &k);
    if (err == CSU_OK) {
        enum pka_build form = k.kind == PKA_KIND_PUBLIC     ? PKA_BUILD_PUBLIC
                              : k.kind == PKA_KIND_SKELETON ? PKA_BUILD_SKELETON
                                                            : PKA_BUILD_CLEAR;
        err = emit_token(ctx, &k, form, NULL);
    }
    pka_key_clear(&k);
    return err;
}

/* ---- CSNDPKG ------------------------------------------------------------------- */

enum { PKG_MASTER, PKG_XPORT, PKG_CLEAR, PKG_RETAIN };
static const struct csu_keyword pkg_words[] = {
    {"MASTER", 0, PKG_MASTER}, {"XPORT", 0, PKG_XPORT}, {"CLEAR", 0, PKG_CLEAR}, {"RETAIN", 0, PKG_RETAIN}};
static const struct csu_rule_spec pkg_spec = {pkg_words, 4, 1, 1, 1u << 0};

csu_err fw_csndpkg(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&pkg_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    uint32_t form = r.value[0];
    const struct csu_wire_block *regen = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    if (form == PKG_XPORT || form == PKG_RETAIN || (regen && regen->length > 0))
        return CSU_E_UNAVAILABLE;
    struct pka_key k;
    struct pka_mk mk = {0};
    bool old = false;
    err = read_token(ctx, CSU_TAG_IN(2), &k, &old);
    if (err == CSU_OK && k.kind != PKA_KIND_SKELETON)
        err = CSU_E_PKA_FIELD;
    if (err == CSU_OK && form == PKG_MASTER) /* fail before the expensive part */
        err = current_mk(ctx->card, &mk);
    if (err == CSU_OK)
        err = pka_generate(&k);
    if (err == CSU_OK) {
        k.key_source = PKA_SOURCE_RANDOM;
        k.kind = form == PKG_MASTER ? PKA_KIND_INTERNAL : PKA_KIND_CLEAR;
        err = emit_token(ctx, &k, form == PKG_MASTER ? PKA_BUILD_INTERNAL : PKA_BUILD_CLEAR, &mk);
    }
    OPENSSL_cleanse(&mk, sizeof(mk));
    pka_key_clear(&k);
    return err;
}

/* ---- CSNDPKI ------------------------------------------------------------------- */

static const struct csu_keyword alg_words[] = {{"RSA", 1, PKA_ALG_RSA}, {"ECC", 1, PKA_ALG_ECC}};
static const struct csu_rule_spec pki_spec = {alg_words, 2, 0, 1, 0};

/* An algorithm keyword, when given, must name the token's algorithm. */
static csu_err check_alg(const struct csu_rule_result *r, const struct pka_key *k)
{
    uint32_t alg = csu_rules_value(r, 1, (uint32_t)k->alg);
    return alg == (uint32_t)k->alg ? CSU_OK : CSU_E_RULE_CONFLICT;
}

csu_err fw_csndpki(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&pki_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    struct pka_key k;
    bool old = false;
    err = read_token(ctx, CSU_TAG_IN(1), &k, &old);
    if (err == CSU_OK && k.kind == PKA_KIND_INTERNAL)
        err = CSU_E_TOKEN_HEADER; /* already internal: nothing to import */
    else if (err == CSU_OK && k.kind != PKA_KIND_CLEAR)
        err = CSU_E_PKA_FIELD; /* no private key to import */
    if (err == CSU_OK)
        err = check_alg(&r, &k);
    if (err == CSU_OK)
        err = pka_check_key(&k);
    if (err == CSU_OK) {
        k.key_source = PKA_SOURCE_IMPORTED_CLEAR;
        k.kind = PKA_KIND_INTERNAL;
        err = emit_internal(ctx, &k);
    }
    pka_key_clear(&k);
    return err;
}

/* ---- CSNDPKX ------------------------------------------------------------------- */

static const struct csu_rule_spec pkx_spec = {alg_words, 0, 0, 0, 0};

csu_err fw_csndpkx(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&pkx_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    struct pka_key k;
    bool old = false;
    err = read_token(ctx, CSU_TAG_IN(1), &k, &old);
    if (err == CSU_OK && k.kind == PKA_KIND_SKELETON)
        err = CSU_E_PKA_FIELD; /* no key to extract */
    if (err == CSU_OK) {
        k.has_name = false; /* the public token is header + public section only */
        err = emit_token(ctx, &k, PKA_BUILD_PUBLIC, NULL);
    }
    if (err == CSU_OK && old)
        ctx->rep.reason_code = WARN_OLD_MK;
    pka_key_clear(&k);
    return err;
}

/* ---- CSNDKTC ------------------------------------------------------------------- */

enum { KTC_RTCMK, KTC_RTNMK };
static const struct csu_keyword ktc_words[] = {
    {"RTCMK", 0, KTC_RTCMK}, {"RTNMK", 0, KTC_RTNMK}, {"RSA", 1, PKA_ALG_RSA}, {"ECC", 1, PKA_ALG_ECC}};
static const struct csu_rule_spec ktc_spec = {ktc_words, 4, 1, 2, 1u << 0};

/* Send the caller's token back as it came (already under the current MK). */
static csu_err echo_token(struct fw_ctx *ctx)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    if (b->length > fw_out_capacity(ctx))
        return CSU_E_LENGTH;
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), b->length);
    if (!out)
        return CSU_E_NOMEM;
    memcpy(out, b->data, b->length);
    return CSU_OK;
}

static csu_err ktc_check_token(struct fw_ctx *ctx)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    if (!b)
        return CSU_E_LENGTH;
    struct pka_view v;
    csu_err err = pka_walk(b->data, b->length, &v);
    if (err == CSU_OK && v.token_id != PKA_TOKEN_INTERNAL)
        err = CSU_E_TOKEN_HEADER; /* only internal tokens are under a master key */
    return err;
}

csu_err fw_csndktc(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&ktc_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err == CSU_OK)
        err = ktc_check_token(ctx);
    if (err != CSU_OK)
        return err;
    struct pka_key k;
    struct pka_mk mk = {0};
    bool old = false;
    err = read_token(ctx, CSU_TAG_IN(1), &k, &old);
    if (err == CSU_OK)
        err = check_alg(&r, &k);
    if (err == CSU_OK && r.value[0] == KTC_RTCMK && !old)
        err = echo_token(ctx);
    else if (err == CSU_OK && r.value[0] == KTC_RTCMK)
        err = emit_internal(ctx, &k);
    else if (err == CSU_OK && (err = new_mk(ctx->card, &mk)) == CSU_OK)
        err = emit_token(ctx, &k, PKA_BUILD_INTERNAL, &mk);
    OPENSSL_cleanse(&mk, sizeof(mk));
    pka_key_clear(&k);
    return err;
}
