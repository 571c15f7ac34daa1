/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PKA tokens (see tok_pka.h): header, section walk, key-name section, the
 * protection of internal private sections, and whole-token parse and build,
 * which dispatch to tok_rsa.c and tok_ecc.c for the key sections.
 */
#include "tok_pka.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "card_internal.h" /* card_sha256 */
#include "csu_keyid.h"    /* csu_label_check */
#include "csu_mu.h"

void pka_key_clear(struct pka_key *k)
{
    OPENSSL_cleanse(k, sizeof(*k));
}

static const struct pka_curve curves[] = {
    {0x00, 256, 32, "prime256v1"},      {0x00, 384, 48, "secp384r1"},
    {0x00, 521, 66, "secp521r1"},       {0x01, 256, 32, "brainpoolP256r1"},
    {0x01, 384, 48, "brainpoolP384r1"}, {0x01, 512, 64, "brainpoolP512r1"},
};

const struct pka_curve *pka_curve_find(uint8_t type, uint16_t bits)
{
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
        if (curves[i].type == type && curves[i].bits == bits)
            return &curves[i];
    return NULL;
}

bool pka_all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* ---- header and sections ------------------------------------------------ */

/* The sections each token id may carry; anything else is 8/763. */
static bool section_known(uint8_t token_id, uint8_t id)
{
    static const uint8_t external[] = {PKA_SEC_RSA_PUBLIC, PKA_SEC_RSA_CRT_CLEAR, PKA_SEC_RSA_ME_CLEAR,
                                       PKA_SEC_ECC_PRIVATE, PKA_SEC_ECC_PUBLIC, PKA_SEC_KEY_NAME};
    static const uint8_t internal[] = {PKA_SEC_RSA_PUBLIC, PKA_SEC_RSA_ME_AES, PKA_SEC_RSA_CRT_AES,
                                       PKA_SEC_ECC_PRIVATE, PKA_SEC_ECC_PUBLIC, PKA_SEC_KEY_NAME};
    const uint8_t *ids = token_id == PKA_TOKEN_INTERNAL ? internal : external;
    for (size_t i = 0; i < sizeof(external); i++)
        if (ids[i] == id)
            return true;
    return false;
}

static csu_err walk_header(const uint8_t *tok, size_t len)
{
    if (len < 1 || tok[0] == 0x00)
        return CSU_E_TOKEN_NULL;
    if (tok[0] != PKA_TOKEN_EXTERNAL && tok[0] != PKA_TOKEN_INTERNAL)
        return CSU_E_TOKEN_TYPE;
    if (len < PKA_HDR_LEN)
        return CSU_E_LENGTH;
    if (tok[1] != 0x00)
        return CSU_E_TOKEN_VERSION;
    if (csu_load_be16(tok + 2) != len)
        return CSU_E_LENGTH;
    return pka_all_zero(tok + 4, 4) ? CSU_OK : CSU_E_PKA_FIELD;
}

csu_err pka_walk(const uint8_t *tok, size_t len, struct pka_view *v)
{
    memset(v, 0, sizeof(*v));
    csu_err err = walk_header(tok, len);
    if (err != CSU_OK)
        return err;
    v->tok = tok;
    v->len = len;
    v->token_id = tok[0];
    size_t off = PKA_HDR_LEN;
    while (off < len) {
        if (!csu_mu_fits(len, off, 4))
            return CSU_E_PKA_FIELD;
        uint8_t id = tok[off];
        size_t slen = csu_load_be16(tok + off + 2);
        if (!section_known(v->token_id, id))
            return CSU_E_PKA_SECTION;
        if (tok[off + 1] != 0x00 || slen < 4 || !csu_mu_fits(len, off, slen))
            return CSU_E_PKA_FIELD;
        if (v->count == PKA_MAX_SECTIONS || pka_view_find(v, id))
            return CSU_E_PKA_FIELD;
        v->sec[v->count++] = (struct pka_section){id, off, slen};
        off += slen;
    }
    return v->count ? CSU_OK : CSU_E_PKA_FIELD;
}

const struct pka_section *pka_view_find(const struct pka_view *v, uint8_t id)
{
    for (unsigned i = 0; i < v->count; i++)
        if (v->sec[i].id == id)
            return &v->sec[i];
    return NULL;
}

void pka_header_write(uint8_t *out, uint8_t token_id, size_t total)
{
    out[0] = token_id;
    out[1] = 0x00;
    csu_store_be16(out + 2, (uint16_t)total);
    memset(out + 4, 0, 4);
}

void pka_section_header_write(uint8_t *out, uint8_t id, size_t len)
{
    out[0] = id;
    out[1] = 0x00;
    csu_store_be16(out + 2, (uint16_t)len);
}

csu_err pka_name_parse(const uint8_t *sec, size_t len, struct pka_key *k)
{
    if (len != PKA_NAME_SECTION_LEN || csu_label_check(sec + 4) != CSU_OK)
        return CSU_E_PKA_FIELD;
    memcpy(k->name, sec + 4, PKA_NAME_LEN);
    k->has_name = true;
    return CSU_OK;
}

void pka_name_write(uint8_t *out, const struct pka_key *k)
{
    pka_section_header_write(out, PKA_SEC_KEY_NAME, PKA_NAME_SECTION_LEN);
    memcpy(out + 4, k->name, PKA_NAME_LEN);
}

/* ---- AES key wrap (RFC 3394) and with padding (RFC 5649) ----------------- */

/*
 * Ciphers fetched once: OpenSSL 3 looks a cipher up by name on every
 * EVP_aes_256_wrap() init.  (OpenSSL 3.0 runs the wrap rounds on its
 * table-based AES, about 3 us a wrap; the rounds are not written out here on
 * AES-NI because the key wrap is a primitive OpenSSL has.)
 */
static EVP_CIPHER *aes_kw, *aes_kwp;
static pthread_once_t ciphers_once = PTHREAD_ONCE_INIT;

static void ciphers_fetch(void)
{
    aes_kw = EVP_CIPHER_fetch(NULL, "AES-256-WRAP", NULL);
    aes_kwp = EVP_CIPHER_fetch(NULL, "AES-256-WRAP-PAD", NULL);
}

/* The fetched cipher, or the implicitly fetched one if the fetch at start failed (pthread_once never retries). */
static const EVP_CIPHER *wrap_cipher(bool pad)
{
    pthread_once(&ciphers_once, ciphers_fetch);
    if (pad)
        return aes_kwp ? aes_kwp : EVP_aes_256_wrap_pad();
    return aes_kw ? aes_kw : EVP_aes_256_wrap();
}

/* One OpenSSL wrap or unwrap; false on any failure (an unwrap integrity failure included). */
static bool aes_wrap(const EVP_CIPHER *cipher, bool enc, const uint8_t *key, const uint8_t *in, size_t in_len,
                     uint8_t *out, size_t *out_len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    bool ok = c != NULL && cipher != NULL && in_len <= INT_MAX;
    if (ok) {
        EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
        ok = EVP_CipherInit_ex(c, cipher, NULL, key, NULL, enc ? 1 : 0) == 1 &&
             EVP_CipherUpdate(c, out, &n, in, (int)in_len) == 1 && n > 0 &&
             EVP_CipherFinal_ex(c, out + n, &fin) == 1;
    }
    EVP_CIPHER_CTX_free(c); /* cleanses the key schedule */
    *out_len = ok ? (size_t)n + (size_t)fin : 0;
    return ok;
}

bool pka_aes_wrap(const uint8_t key[32], bool pad, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                  size_t *out_len)
{
    size_t padded = (in_len + 7) / 8 * 8;
    *out_len = 0;
    if (pad ? (in_len == 0 || in_len > UINT32_MAX) : (in_len < 16 || in_len % 8 != 0))
        return false;
    if (padded > cap || cap - padded < 8)
        return false;
    return aes_wrap(wrap_cipher(pad), true, key, in, in_len, out, out_len);
}

size_t pka_payload_len(size_t material_len)
{
    size_t in = PKA_HASH_LEN + material_len;
    return (in + 7) / 8 * 8 + 8;
}

/* The OPK is wrapped together with a label naming the section it serves. */
static void opk_label(uint8_t section_id, uint8_t label[8])
{
    memcpy(label, "CSUOPK", 6);
    label[6] = section_id;
    label[7] = 0x01;
}

/* SHA-256 of every token byte outside the payload. */
static bool token_hash(const uint8_t *tok, size_t len, const struct pka_protect *pr, uint8_t md[PKA_HASH_LEN])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t end = pr->payload_off + pr->payload_len;
    unsigned md_len = 0;
    bool ok = c && EVP_DigestInit_ex(c, card_sha256(), NULL) == 1 &&
              EVP_DigestUpdate(c, tok, pr->payload_off) == 1 && EVP_DigestUpdate(c, tok + end, len - end) == 1 &&
              EVP_DigestFinal_ex(c, md, &md_len) == 1 && md_len == PKA_HASH_LEN;
    EVP_MD_CTX_free(c);
    return ok;
}

static bool protect_fits(size_t len, const struct pka_protect *pr)
{
    return csu_mu_fits(len, pr->opk_off, PKA_OPK_FIELD_LEN) && csu_mu_fits(len, pr->mkvp_off, PKA_MKVP_LEN) &&
           csu_mu_fits(len, pr->payload_off, pr->payload_len) && pr->material_len <= PKA_MATERIAL_MAX &&
           pr->payload_len == pka_payload_len(pr->material_len);
}

csu_err pka_protect_seal(uint8_t *tok, size_t len, struct pka_protect *pr, const struct pka_mk *mk,
                         struct card_drbg *drbg)
{
    if (!protect_fits(len, pr))
        return CSU_E_INTERNAL;
    uint8_t opk_in[8 + PKA_OPK_LEN], plain[PKA_HASH_LEN + PKA_MATERIAL_MAX];
    uint8_t wrapped[PKA_HASH_LEN + PKA_MATERIAL_MAX + 16];
    size_t n = 0;
    opk_label(pr->section_id, opk_in);
    csu_err err = card_drbg_generate(drbg, opk_in + 8, PKA_OPK_LEN, NULL, 0);
    if (err == CSU_OK && (!pka_aes_wrap(mk->key, false, opk_in, sizeof(opk_in), wrapped, sizeof(wrapped), &n) ||
                          n != PKA_OPK_FIELD_LEN))
        err = CSU_E_CRYPTO;
    if (err == CSU_OK) {
        memcpy(tok + pr->opk_off, wrapped, PKA_OPK_FIELD_LEN);
        memcpy(tok + pr->mkvp_off, mk->vp, PKA_MKVP_LEN);
        memcpy(plain + PKA_HASH_LEN, pr->material, pr->material_len);
        if (!token_hash(tok, len, pr, plain) ||
            !pka_aes_wrap(opk_in + 8, true, plain, PKA_HASH_LEN + pr->material_len, wrapped, sizeof(wrapped),
                          &n) ||
            n != pr->payload_len)
            err = CSU_E_CRYPTO;
    }
    if (err == CSU_OK)
        memcpy(tok + pr->payload_off, wrapped, n);
    OPENSSL_cleanse(opk_in, sizeof(opk_in));
    OPENSSL_cleanse(plain, sizeof(plain));
    OPENSSL_cleanse(wrapped, sizeof(wrapped));
    return err;
}

/* Unwrap the OPK field under @p key; false unless the label matches. */
static bool open_opk(const uint8_t *tok, const struct pka_protect *pr, const uint8_t *key, uint8_t opk[PKA_OPK_LEN])
{
    uint8_t out[PKA_OPK_FIELD_LEN + 16], label[8];
    size_t n = 0;
    opk_label(pr->section_id, label);
    bool ok = aes_wrap(wrap_cipher(false), false, key, tok + pr->opk_off, PKA_OPK_FIELD_LEN, out, &n) &&
              n == 8 + PKA_OPK_LEN && CRYPTO_memcmp(out, label, 8) == 0;
    if (ok)
        memcpy(opk, out + 8, PKA_OPK_LEN);
    OPENSSL_cleanse(out, sizeof(out));
    return ok;
}

/* Unwrap the payload under @p opk, compare its hash, keep the material. */
static bool open_payload(const uint8_t *tok, size_t len, struct pka_protect *pr, const uint8_t *opk)
{
    uint8_t plain[PKA_HASH_LEN + PKA_MATERIAL_MAX + 16], md[PKA_HASH_LEN];
    size_t n = 0;
    bool ok = pr->payload_len <= sizeof(plain) &&
              aes_wrap(wrap_cipher(true), false, opk, tok + pr->payload_off, pr->payload_len, plain, &n) &&
              n == PKA_HASH_LEN + pr->material_len && token_hash(tok, len, pr, md) &&
              CRYPTO_memcmp(md, plain, PKA_HASH_LEN) == 0;
    if (ok)
        memcpy(pr->material, plain + PKA_HASH_LEN, pr->material_len);
    OPENSSL_cleanse(plain, sizeof(plain));
    return ok;
}

csu_err pka_protect_open(const uint8_t *tok, size_t len, struct pka_protect *pr, const struct pka_mk_lookup *mk,
                         bool *old)
{
    if (!protect_fits(len, pr))
        return CSU_E_PKA_FIELD;
    if (!mk || !mk->find)
        return CSU_E_INTERNAL;
    uint8_t key[PKA_MK_LEN], opk[PKA_OPK_LEN];
    csu_err err = mk->find(mk->arg, tok + pr->mkvp_off, key, old);
    if (err == CSU_OK && !(open_opk(tok, pr, key, opk) && open_payload(tok, len, pr, opk)))
        err = CSU_E_PKA_FIELD;
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(opk, sizeof(opk));
    return err;
}

/* ---- whole tokens --------------------------------------------------------- */

#include "tok_ecc.h"
#include "tok_rsa.h"

/* The token's private, public and key-name sections, in that order. */
struct layout {
    const struct pka_section *priv, *pub, *name;
};

static bool is_public_section(uint8_t id)
{
    return id == PKA_SEC_RSA_PUBLIC || id == PKA_SEC_ECC_PUBLIC;
}

static csu_err split_sections(const struct pka_view *v, struct layout *l)
{
    *l = (struct layout){0};
    unsigned n = v->count;
    if (v->sec[n - 1].id == PKA_SEC_KEY_NAME)
        l->name = &v->sec[--n];
    if (n == 2)
        l->priv = &v->sec[0];
    else if (n != 1)
        return CSU_E_PKA_FIELD;
    l->pub = &v->sec[n - 1];
    if (!is_public_section(l->pub->id))
        return CSU_E_PKA_FIELD;
    if (l->priv && (is_public_section(l->priv->id) || l->priv->id == PKA_SEC_KEY_NAME))
        return CSU_E_PKA_FIELD;
    return CSU_OK;
}

/* Check the modulus and exponent a parsed RSA key carries. */
static csu_err check_rsa_numbers(const struct pka_key *k)
{
    bool skeleton = k->kind == PKA_KIND_SKELETON;
    csu_err err = skeleton ? CSU_OK : rsa_check_modulus(k->rsa.n, k->rsa.n_len, k->rsa.bits);
    return err != CSU_OK ? err : rsa_check_exponent(k->rsa.e, k->rsa.e_len, skeleton, k->rsa.bits);
}

static csu_err open_internal(const struct pka_view *v, struct pka_protect *pr, const struct pka_mk_lookup *mk,
                             struct pka_key *k, bool *old)
{
    csu_err err = pka_protect_open(v->tok, v->len, pr, mk, old);
    if (err == CSU_OK)
        err = k->alg == PKA_ALG_RSA ? rsa_internal_material(pr, k) : ecc_internal_material(pr, k);
    if (err == CSU_OK)
        k->kind = PKA_KIND_INTERNAL;
    return err;
}

static csu_err parse_rsa(const struct pka_view *v, const struct layout *l, const struct pka_mk_lookup *mk,
                         struct pka_key *k, bool *old)
{
    bool internal = v->token_id == PKA_TOKEN_INTERNAL;
    k->alg = PKA_ALG_RSA;
    csu_err err = rsa_public_parse(v->tok + l->pub->off, l->pub->len, k);
    if (err != CSU_OK)
        return err;
    if (!l->priv) {
        if (internal || k->rsa.n_len == 0)
            return CSU_E_PKA_FIELD;
        k->kind = PKA_KIND_PUBLIC;
        return check_rsa_numbers(k);
    }
    /* With a private section the modulus lives there, not in X'04'. */
    if (k->rsa.n_len != 0 || l->priv->id == PKA_SEC_ECC_PRIVATE)
        return CSU_E_PKA_FIELD;
    if (!internal) {
        err = rsa_clear_parse(v->tok + l->priv->off, l->priv->len, k);
        return err != CSU_OK ? err : check_rsa_numbers(k);
    }
    struct pka_protect pr;
    err = rsa_internal_parse(v->tok, l->priv->off, l->priv->len, k, &pr);
    if (err == CSU_OK)
        err = check_rsa_numbers(k);
    if (err == CSU_OK)
        err = open_internal(v, &pr, mk, k, old);
    OPENSSL_cleanse(&pr, sizeof(pr));
    return err;
}

static csu_err parse_ecc(const struct pka_view *v, const struct layout *l, const struct pka_mk_lookup *mk,
                         struct pka_key *k, bool *old)
{
    bool internal = v->token_id == PKA_TOKEN_INTERNAL;
    k->alg = PKA_ALG_ECC;
    csu_err err = ecc_public_parse(v->tok + l->pub->off, l->pub->len, k);
    if (err != CSU_OK)
        return err;
    if (!l->priv) {
        if (internal || k->ecc.q_len == 0)
            return CSU_E_PKA_FIELD;
        k->kind = PKA_KIND_PUBLIC;
        return CSU_OK;
    }
    if (l->priv->id != PKA_SEC_ECC_PRIVATE)
        return CSU_E_PKA_FIELD;
    struct pka_protect pr;
    err = ecc_private_parse(v->tok, l->priv->off, l->priv->len, internal, k, &pr);
    /* A skeleton has no public key; every other private token has one. */
    bool wants_q = internal || k->kind == PKA_KIND_CLEAR;
    if (err == CSU_OK && wants_q != (k->ecc.q_len != 0))
        err = CSU_E_PKA_FIELD;
    if (err == CSU_OK && internal)
        err = open_internal(v, &pr, mk, k, old);
    OPENSSL_cleanse(&pr, sizeof(pr));
    return err;
}

csu_err pka_token_parse(const uint8_t *tok, size_t len, const struct pka_mk_lookup *mk, struct pka_key *k,
                        bool *old)
{
    struct pka_view v;
    struct layout l;
    pka_key_clear(k);
    *old = false;
    csu_err err = pka_walk(tok, len, &v);
    if (err == CSU_OK)
        err = split_sections(&v, &l);
    if (err == CSU_OK && l.name)
        err = pka_name_parse(tok + l.name->off, l.name->len, k);
    if (err == CSU_OK)
        err = l.pub->id == PKA_SEC_RSA_PUBLIC ? parse_rsa(&v, &l, mk, k, old) : parse_ecc(&v, &l, mk, k, old);
    if (err != CSU_OK)
        pka_key_clear(k);
    return err;
}

static size_t private_len(const struct pka_key *k, enum pka_build form)
{
    bool rsa = k->alg == PKA_ALG_RSA;
    switch (form) {
    case PKA_BUILD_SKELETON:
    case PKA_BUILD_CLEAR:
        return rsa ? rsa_clear_len(k, form == PKA_BUILD_SKELETON) : ecc_clear_len(k, form == PKA_BUILD_SKELETON);
    case PKA_BUILD_INTERNAL:
        return rsa ? rsa_internal_len(k) : ecc_internal_len(k);
    default:
        return 0;
    }
}

static csu_err write_private(uint8_t *out, size_t off, const struct pka_key *k, enum pka_build form,
                             struct pka_protect *pr)
{
    bool rsa = k->alg == PKA_ALG_RSA;
    switch (form) {
    case PKA_BUILD_SKELETON:
    case PKA_BUILD_CLEAR:
        if (rsa)
            rsa_clear_write(out + off, k, form == PKA_BUILD_SKELETON);
        else
            ecc_clear_write(out + off, k, form == PKA_BUILD_SKELETON);
        return CSU_OK;
    case PKA_BUILD_INTERNAL:
        return rsa ? rsa_internal_write(out, off, k, pr) : ecc_internal_write(out, off, k, pr);
    default:
        return CSU_OK;
    }
}

static size_t public_len(const struct pka_key *k, enum pka_build form)
{
    return k->alg == PKA_ALG_RSA ? rsa_public_len(k, form == PKA_BUILD_PUBLIC) : ecc_public_len(k);
}

size_t pka_token_len(const struct pka_key *k, enum pka_build form)
{
    return PKA_HDR_LEN + private_len(k, form) + public_len(k, form) + (k->has_name ? PKA_NAME_SECTION_LEN : 0);
}

csu_err pka_token_build(const struct pka_key *k, enum pka_build form, const struct pka_mk *mk,
                        struct card_drbg *drbg, uint8_t *out, size_t cap, size_t *len)
{
    bool rsa = k->alg == PKA_ALG_RSA;
    size_t priv = private_len(k, form);
    size_t pub = public_len(k, form);
    size_t total = pka_token_len(k, form);
    if (total > PKA_TOKEN_MAX)
        return CSU_E_INTERNAL;
    if (total > cap)
        return CSU_E_LENGTH;
    if (form == PKA_BUILD_INTERNAL && (!mk || !drbg))
        return CSU_E_INTERNAL;
    memset(out, 0, total);
    pka_header_write(out, form == PKA_BUILD_INTERNAL ? PKA_TOKEN_INTERNAL : PKA_TOKEN_EXTERNAL, total);
    struct pka_protect pr;
    csu_err err = write_private(out, PKA_HDR_LEN, k, form, &pr);
    if (err == CSU_OK) {
        if (rsa)
            rsa_public_write(out + PKA_HDR_LEN + priv, k, form == PKA_BUILD_PUBLIC);
        else
            ecc_public_write(out + PKA_HDR_LEN + priv, k);
        if (k->has_name)
            pka_name_write(out + PKA_HDR_LEN + priv + pub, k);
    }
    if (err == CSU_OK && form == PKA_BUILD_INTERNAL)
        err = pka_protect_seal(out, total, &pr, mk, drbg);
    if (form == PKA_BUILD_INTERNAL)
        OPENSSL_cleanse(&pr, sizeof(pr));
    if (err != CSU_OK)
        OPENSSL_cleanse(out, total);
    else
        *len = total;
    return err;
}
