/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card halves of CSNBSAE / CSNBSAD (AES encipher / decipher: CBC, ECB,
 * PKCS-PAD, GCM) and the key handling the AES MAC verbs share
 * (fw_cipher_aes.h).  Host halves in csu/verb_cipher_aes.c; design and
 * codes in docs/cipher-aes.md.
 *
 * Request blocks: IN 1 key (token, or raw key with KEY-CLR), 2 key_parms
 * (GCM decipher: the tag), 3 block_size (u32), 4 IV, 5 chain_data, 6 text,
 * 7 optional_data (GCM AAD), 8 key_parms_length (u32: the tag length GCM
 * encipher makes), 9 chain_data_length (u32); OUT_CAPACITY the output text
 * buffer.  Reply: OUT 1 text, 2 chain_data (32 bytes), 3 tag.
 *
 * chain_data (32 bytes) carries no key material: "CSA1", mode, direction,
 * 10 zero bytes, the 16-byte output chaining value (the last ciphertext
 * block, public).  It is hostile input: any other content is 8/2036.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "card_ctx.h"
#include "card_mk.h"
#include "csu_mu.h"
#include "csu_rules.h"
#include "fw_cipher_aes.h"
#include "tok_fixed.h"
#include "tok_var.h"
#include "wrap_fixed.h"

#define AES_BLOCK 16u
#define CHAIN_LEN 32u
#define CHAIN_OCV 16u
#define GCM_MAX_IV 128u

/* ---- shared helpers (fw_cipher_aes.h) ------------------------------------ */

const struct csu_wire_block *aes_in(const struct fw_ctx *ctx, unsigned n)
{
    return csu_wire_find(ctx->req, CSU_TAG_IN(n));
}

csu_err aes_in_u32(const struct fw_ctx *ctx, unsigned n, uint32_t dflt, uint32_t *v)
{
    const struct csu_wire_block *b = aes_in(ctx, n);
    if (!b) {
        *v = dflt;
        return CSU_OK;
    }
    if (b->length != 4)
        return CSU_E_FRAME;
    *v = csu_load_be32(b->data);
    return CSU_OK;
}

/* ---- keys ------------------------------------------------------------------ */

/* A v4 AES DATA token: any mode, encipher and decipher, never a MAC. */
static csu_err v4_key(struct fw_ctx *ctx, const uint8_t *tok, size_t len, const struct aes_key_need *need,
                      struct aes_clear_key *key, bool *old)
{
    struct tok_fixed info;
    csu_err err = tok_fixed_parse(tok, len, &info);
    if (err != CSU_OK)
        return err;
    if (len != TOK_FIXED_LEN || info.kind != TOK_AES_INTERNAL || !info.has_key)
        return CSU_E_KEY_USE;
    if (need->use != AES_USE_ENCRYPT && need->use != AES_USE_DECRYPT)
        return CSU_E_KEY_USE;
    uint8_t clear[WRAP_MAX_KEY];
    err = wrap_fixed_unwrap(ctx->card, tok, &info, clear, old);
    if (err == CSU_OK) {
        key->len = info.key_len;
        memcpy(key->bytes, clear, info.key_len);
    }
    OPENSSL_cleanse(clear, sizeof(clear));
    return err;
}

static uint16_t kuf(const struct tokv *t, unsigned i)
{
    return i < t->kuf_count ? t->kuf[i] : 0;
}

/* Key type, usage, mode and hash of a v5 token against the need. */
static bool v5_permits(const struct tokv *t, const struct aes_key_need *need)
{
    if (t->alg != need->alg)
        return false;
    uint16_t use = kuf(t, 0);
    switch (need->use) {
    case AES_USE_ENCRYPT:
    case AES_USE_DECRYPT: {
        uint8_t mode = t->kuf_count >= 2 ? (uint8_t)(kuf(t, 1) >> 8) : AES_MODE_ANY;
        uint16_t bit = need->use == AES_USE_ENCRYPT ? TOKV_KUF1_ENCRYPT : TOKV_KUF1_DECRYPT;
        return t->key_type == TOKV_CIPHER && (use & bit) && (mode == AES_MODE_ANY || mode == need->mode);
    }
    case AES_USE_MAC_GEN:
    case AES_USE_MAC_VER: {
        /* GENERATE (X'C000') also verifies; VERIFY-only (X'4000') cannot generate. */
        uint16_t bits = need->use == AES_USE_MAC_GEN ? TOKV_KUF1_GENERATE : TOKV_KUF1_VERIFY;
        if (t->key_type != TOKV_MAC || (use & bits) != bits)
            return false;
        /* No hash keyword on the key means every hash (client-calling-patterns #11). */
        uint16_t hashes = t->kuf_count >= 2 ? (kuf(t, 1) & TOKV_KUF2_HASH_ALL) : 0;
        return need->alg != TOKV_ALG_HMAC || hashes == 0 || (hashes & need->hash_bit);
    }
    }
    return false;
}

/* The clear key of a complete v5 token: clear payload, or unwrapped under the AES MK. */
static csu_err v5_clear(struct fw_ctx *ctx, const struct tokv *t, struct wrapv_key *wk, bool *old)
{
    if (t->kms == TOKV_KMS_CLEAR) {
        wk->bits = t->payload_bits;
        memcpy(wk->bytes, t->payload, t->payload_bits / 8u);
        return CSU_OK;
    }
    if (t->kms != TOKV_KMS_MK)
        return t->kms == TOKV_KMS_KEK ? CSU_E_KEY_USE : CSU_E_TOKEN_NULL;
    uint8_t mk[WRAPV_MK_LEN];
    pthread_mutex_lock(&ctx->card->lock);
    csu_err err = card_mk_find(&ctx->card->state, MK_AES, t->kvp, mk, old);
    pthread_mutex_unlock(&ctx->card->lock);
    if (err == CSU_OK)
        err = wrapv_open(t, mk, wk);
    OPENSSL_cleanse(mk, sizeof(mk));
    return err;
}

static csu_err v5_key(struct fw_ctx *ctx, const uint8_t *tok, size_t len, const struct aes_key_need *need,
                      struct aes_clear_key *key, bool *old)
{
    struct tokv *t = OPENSSL_zalloc(sizeof(*t));
    struct wrapv_key *wk = OPENSSL_zalloc(sizeof(*wk));
    csu_err err = t && wk ? tokv_parse(tok, len, t) : CSU_E_NOMEM;
    if (err == CSU_OK && (t->id != TOKV_ID_INTERNAL || !tokv_is_complete(t) || !v5_permits(t, need)))
        err = t->kms == TOKV_KMS_NONE ? CSU_E_TOKEN_NULL : CSU_E_KEY_USE;
    if (err == CSU_OK)
        err = v5_clear(ctx, t, wk, old);
    if (err == CSU_OK) {
        key->len = wk->bits / 8u;
        memcpy(key->bytes, wk->bytes, key->len);
    }
    if (t)
        tokv_wipe(t);
    OPENSSL_clear_free(t, sizeof(*t));
    OPENSSL_clear_free(wk, sizeof(*wk));
    return err;
}

csu_err aes_key_from_token(struct fw_ctx *ctx, const uint8_t *tok, size_t len, const struct aes_key_need *need,
                           struct aes_clear_key *key, bool *old)
{
    *old = false;
    if (!tok || len == 0 || tok[0] == 0x00)
        return CSU_E_TOKEN_NULL;
    if (tok[0] != TOK_TYPE_INTERNAL && tok[0] != TOK_TYPE_EXTERNAL)
        return CSU_E_TOKEN_TYPE;
    if (len > TOK_OFF_VERSION && tok[TOK_OFF_VERSION] == TOKV_VERSION)
        return v5_key(ctx, tok, len, need, key, old);
    return v4_key(ctx, tok, len, need, key, old);
}

/* ---- CSNBSAE / CSNBSAD rules ------------------------------------------------ */

enum { G_ALG, G_MODE, G_FORM, G_CHAIN };
enum sa_mode { M_CBC, M_ECB, M_PAD, M_GCM };
enum sa_form { F_KEYIDENT, F_KEYCLR };
enum sa_chain { C_INITIAL, C_CONTINUE, C_ONLY, C_FIRST, C_MIDDLE, C_LAST };

static const struct csu_keyword sa_words[] = {
    {"AES", G_ALG, 0},          {"CBC", G_MODE, M_CBC},       {"ECB", G_MODE, M_ECB},
    {"PKCS-PAD", G_MODE, M_PAD}, {"GCM", G_MODE, M_GCM},       {"KEYIDENT", G_FORM, F_KEYIDENT},
    {"KEY-CLR", G_FORM, F_KEYCLR}, {"INITIAL", G_CHAIN, C_INITIAL}, {"CONTINUE", G_CHAIN, C_CONTINUE},
    {"ONLY", G_CHAIN, C_ONLY},   {"FIRST", G_CHAIN, C_FIRST},  {"MIDDLE", G_CHAIN, C_MIDDLE},
    {"LAST", G_CHAIN, C_LAST},
};
static const struct csu_rule_spec sa_spec = {sa_words, sizeof(sa_words) / sizeof(sa_words[0]), 1, 5, 1u << G_ALG};

/* One CSNBSAE/SAD call, parsed. */
struct sa_call {
    bool encrypt;
    uint32_t mode, form, chain;
    struct aes_clear_key key;
    const struct csu_wire_block *iv, *chain_in, *text, *aad, *tag_in;
    uint32_t tag_len, chain_cap, out_cap;
};

static const uint8_t chain_magic[4] = {'C', 'S', 'A', '1'};

/* ---- CBC / ECB / PKCS-PAD ---------------------------------------------------- */

/*
 * The AES ciphers, fetched once per process: EVP_aes_256_cbc() and friends
 * make OpenSSL 3 look the implementation up again on every EVP_CipherInit
 * (a locked method-store search), which a 16-byte call notices.
 */
static const char *const cipher_names[3][3] = {
    {"AES-128-CBC", "AES-128-ECB", "AES-128-GCM"},
    {"AES-192-CBC", "AES-192-ECB", "AES-192-GCM"},
    {"AES-256-CBC", "AES-256-ECB", "AES-256-GCM"},
};
static EVP_CIPHER *fetched[3][3];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_ciphers(void)
{
    for (int k = 0; k < 3; k++)
        for (int m = 0; m < 3; m++)
            fetched[k][m] = EVP_CIPHER_fetch(NULL, cipher_names[k][m], NULL);
}

static const EVP_CIPHER *aes_cipher(size_t key_len, uint32_t mode)
{
    int k = key_len == 16 ? 0 : key_len == 24 ? 1 : key_len == 32 ? 2 : -1;
    if (k < 0)
        return NULL;
    int m = mode == M_ECB ? 1 : mode == M_GCM ? 2 : 0;
    pthread_once(&fetch_once, fetch_ciphers);
    if (fetched[k][m])
        return fetched[k][m];
    static const EVP_CIPHER *(*const legacy[3][3])(void) = {
        {EVP_aes_128_cbc, EVP_aes_128_ecb, EVP_aes_128_gcm},
        {EVP_aes_192_cbc, EVP_aes_192_ecb, EVP_aes_192_gcm},
        {EVP_aes_256_cbc, EVP_aes_256_ecb, EVP_aes_256_gcm},
    };
    return legacy[k][m]();
}

/* Raw CBC/ECB over whole blocks, no padding: @p len bytes of @p in, then
 * @p tail_len bytes of @p tail (the padded last block), one chain. */
static csu_err block_cipher2(const struct sa_call *c, const uint8_t iv[AES_BLOCK], const uint8_t *in, size_t len,
                             const uint8_t *tail, size_t tail_len, uint8_t *out)
{
    if (len + tail_len == 0)
        return CSU_OK;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0, n3 = 0;
    bool ok = x && EVP_CipherInit_ex(x, aes_cipher(c->key.len, c->mode), NULL, c->key.bytes,
                                     c->mode == M_ECB ? NULL : iv, c->encrypt ? 1 : 0) == 1 &&
              EVP_CIPHER_CTX_set_padding(x, 0) == 1 &&
              (len == 0 || EVP_CipherUpdate(x, out, &n1, in, (int)len) == 1) &&
              (tail_len == 0 || EVP_CipherUpdate(x, out + n1, &n2, tail, (int)tail_len) == 1) &&
              EVP_CipherFinal_ex(x, out + n1 + n2, &n3) == 1 && (size_t)(n1 + n2 + n3) == len + tail_len;
    EVP_CIPHER_CTX_free(x);
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

static csu_err block_cipher(const struct sa_call *c, const uint8_t iv[AES_BLOCK], const uint8_t *in, size_t len,
                            uint8_t *out)
{
    return block_cipher2(c, iv, in, len, NULL, 0, out);
}

/* The IV of this piece: the caller's (INITIAL, ONLY, FIRST) or the chained OCV. */
static csu_err piece_iv(const struct sa_call *c, uint8_t iv[AES_BLOCK])
{
    if (c->mode == M_ECB)
        return CSU_OK;
    bool continues = c->chain == C_CONTINUE || c->chain == C_MIDDLE || c->chain == C_LAST;
    if (!continues) {
        if (!c->iv || c->iv->length != AES_BLOCK)
            return CSU_E_LENGTH;
        memcpy(iv, c->iv->data, AES_BLOCK);
        return CSU_OK;
    }
    if (!c->chain_in || c->chain_in->length < CHAIN_LEN)
        return CSU_E_LENGTH;
    const uint8_t *cd = c->chain_in->data;
    uint8_t zero[CHAIN_OCV - 6] = {0};
    uint8_t mode = c->mode == M_PAD ? M_CBC : (uint8_t)c->mode;
    if (memcmp(cd, chain_magic, 4) != 0 || cd[4] != mode || cd[5] != (c->encrypt ? 'E' : 'D') ||
        memcmp(cd + 6, zero, sizeof(zero)) != 0) {
        return CSU_E_CHAIN_VECTOR;
    }
    memcpy(iv, cd + CHAIN_OCV, AES_BLOCK);
    return CSU_OK;
}

static bool pads(const struct sa_call *c)
{
    return c->mode == M_PAD && c->chain != C_FIRST && c->chain != C_MIDDLE;
}

/* Chain data goes back for pieces that continue, when the caller has room. */
static bool emits_chain(const struct sa_call *c)
{
    return c->mode != M_ECB && c->mode != M_GCM && c->chain != C_ONLY && c->chain != C_LAST &&
           c->chain_cap >= CHAIN_LEN;
}

static csu_err emit_chain(struct fw_ctx *ctx, const struct sa_call *c, const uint8_t *last_cipher_block)
{
    uint8_t *cd = fw_output(ctx, CSU_TAG_OUT(2), CHAIN_LEN);
    if (!cd)
        return CSU_E_NOMEM;
    memset(cd, 0, CHAIN_LEN);
    memcpy(cd, chain_magic, 4);
    cd[4] = c->mode == M_PAD ? M_CBC : (uint8_t)c->mode;
    cd[5] = c->encrypt ? 'E' : 'D';
    memcpy(cd + CHAIN_OCV, last_cipher_block, AES_BLOCK);
    return CSU_OK;
}

/* Strip PKCS#7 padding without branching on the pad bytes' values. */
static bool unpad(const uint8_t *buf, size_t len, size_t *out_len)
{
    unsigned pad = buf[len - 1];
    unsigned bad = (unsigned)((pad - 1u) >> 8) | (unsigned)((AES_BLOCK - pad) >> 8); /* pad 0 or > 16 */
    for (unsigned i = 1; i <= AES_BLOCK; i++) {
        unsigned in_pad = (unsigned)(((i - 1u) - pad) >> 8) & 1u; /* i <= pad */
        bad |= in_pad & (unsigned)(buf[len - i] != pad);
    }
    *out_len = len - (bad ? 0 : pad);
    return bad == 0;
}

static csu_err cbc_encrypt(struct fw_ctx *ctx, struct sa_call *c, const uint8_t iv[AES_BLOCK])
{
    size_t len = c->text ? c->text->length : 0;
    size_t padlen = pads(c) ? AES_BLOCK - len % AES_BLOCK : 0;
    if (!pads(c) && len % AES_BLOCK != 0)
        return CSU_E_TEXT_BLOCK;
    if (len + padlen > c->out_cap)
        return CSU_E_LENGTH;
    if (emits_chain(c) && len + padlen == 0)
        return CSU_E_LENGTH; /* nothing to chain from */
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), len + padlen);
    if (!out)
        return CSU_E_NOMEM;
    /* Whole blocks straight from the request; only the padded last block is copied. */
    size_t whole = padlen ? len - len % AES_BLOCK : len;
    uint8_t tail[AES_BLOCK];
    size_t tail_len = len + padlen - whole;
    if (len > whole)
        memcpy(tail, c->text->data + whole, len - whole);
    memset(tail + (len - whole), (int)padlen, padlen);
    csu_err err = block_cipher2(c, iv, whole ? c->text->data : NULL, whole, tail, tail_len, out);
    OPENSSL_cleanse(tail, sizeof(tail));
    if (err == CSU_OK && emits_chain(c))
        err = emit_chain(ctx, c, out + len + padlen - AES_BLOCK);
    return err;
}

static csu_err cbc_decrypt(struct fw_ctx *ctx, struct sa_call *c, const uint8_t iv[AES_BLOCK])
{
    size_t len = c->text ? c->text->length : 0;
    if (len % AES_BLOCK != 0)
        return CSU_E_TEXT_BLOCK;
    if ((pads(c) || emits_chain(c)) && len == 0)
        return CSU_E_LENGTH;
    /* Decrypted straight into the output, which is cut to the unpadded length;
     * on any error the reply drops (and wipes) it. */
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), len);
    if (!out)
        return CSU_E_NOMEM;
    size_t out_len = len;
    csu_err err = block_cipher(c, iv, len ? c->text->data : NULL, len, out);
    if (err == CSU_OK && pads(c) && !unpad(out, len, &out_len))
        err = CSU_E_PAD_COUNT;
    else if (err == CSU_OK && out_len > c->out_cap)
        err = CSU_E_LENGTH;
    else if (err == CSU_OK && !fw_output_shrink(ctx, out, out_len))
        err = CSU_E_INTERNAL;
    if (err == CSU_OK && emits_chain(c))
        err = emit_chain(ctx, c, c->text->data + len - AES_BLOCK);
    return err;
}

static csu_err run_block_mode(struct fw_ctx *ctx, struct sa_call *c)
{
    uint8_t iv[AES_BLOCK] = {0};
    if (c->mode != M_ECB && (c->chain == C_FIRST || c->chain == C_MIDDLE) && c->chain_cap < CHAIN_LEN)
        return CSU_E_LENGTH; /* the next piece needs the chain data */
    csu_err err = piece_iv(c, iv);
    if (err != CSU_OK)
        return err;
    return c->encrypt ? cbc_encrypt(ctx, c, iv) : cbc_decrypt(ctx, c, iv);
}

/* ---- GCM --------------------------------------------------------------------- */

static bool gcm_tag_len_ok(size_t n)
{
    return n == 4 || n == 8 || (n >= 12 && n <= 16); /* SP 800-38D §5.2.1.2 */
}

static csu_err gcm_setup(EVP_CIPHER_CTX *x, const struct sa_call *c)
{
    int n = 0;
    size_t aad = c->aad ? c->aad->length : 0;
    if (EVP_CipherInit_ex(x, aes_cipher(c->key.len, M_GCM), NULL, NULL, NULL, c->encrypt ? 1 : 0) != 1 ||
        EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, (int)c->iv->length, NULL) != 1 ||
        EVP_CipherInit_ex(x, NULL, NULL, c->key.bytes, c->iv->data, -1) != 1 ||
        (aad && EVP_CipherUpdate(x, NULL, &n, c->aad->data, (int)aad) != 1))
        return CSU_E_CRYPTO;
    return CSU_OK;
}

static csu_err gcm_encrypt(struct fw_ctx *ctx, const struct sa_call *c, EVP_CIPHER_CTX *x)
{
    size_t len = c->text ? c->text->length : 0;
    if (!gcm_tag_len_ok(c->tag_len))
        return CSU_E_LENGTH;
    if (len > c->out_cap)
        return CSU_E_LENGTH;
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), len);
    uint8_t *tag = fw_output(ctx, CSU_TAG_OUT(3), c->tag_len);
    int n1 = 0, n2 = 0;
    if (!out || !tag)
        return CSU_E_NOMEM;
    if ((len && EVP_CipherUpdate(x, out, &n1, c->text->data, (int)len) != 1) ||
        EVP_CipherFinal_ex(x, out + n1, &n2) != 1 ||
        EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, (int)c->tag_len, tag) != 1)
        return CSU_E_CRYPTO;
    return CSU_OK;
}

static csu_err gcm_decrypt(struct fw_ctx *ctx, const struct sa_call *c, EVP_CIPHER_CTX *x)
{
    size_t len = c->text ? c->text->length : 0;
    if (!c->tag_in || !gcm_tag_len_ok(c->tag_in->length))
        return CSU_E_LENGTH;
    if (len > c->out_cap)
        return CSU_E_LENGTH;
    uint8_t *plain = OPENSSL_malloc(len + 1);
    uint8_t tag[16];
    int n1 = 0, n2 = 0;
    if (!plain)
        return CSU_E_NOMEM;
    memcpy(tag, c->tag_in->data, c->tag_in->length);
    csu_err err = CSU_OK;
    if ((len && EVP_CipherUpdate(x, plain, &n1, c->text->data, (int)len) != 1) ||
        EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, (int)c->tag_in->length, tag) != 1)
        err = CSU_E_CRYPTO;
    else if (EVP_CipherFinal_ex(x, plain + n1, &n2) != 1)
        err = CSU_E_GCM_TAG; /* no plaintext leaves the card */
    else {
        uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), len);
        if (!out)
            err = CSU_E_NOMEM;
        else if (len)
            memcpy(out, plain, len);
    }
    OPENSSL_clear_free(plain, len + 1);
    return err;
}

static csu_err gcm_only(struct fw_ctx *ctx, const struct sa_call *c)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    csu_err err = x ? gcm_setup(x, c) : CSU_E_NOMEM;
    if (err == CSU_OK)
        err = c->encrypt ? gcm_encrypt(ctx, c, x) : gcm_decrypt(ctx, c, x);
    EVP_CIPHER_CTX_free(x);
    return err;
}

/*
 * Multi-part GCM (FIRST/MIDDLE/LAST): the EVP context stays in the card
 * context table; chain_data carries the table's sealed 52-byte reference
 * (so GCM pieces need chain_data_length >= 52, more than openCryptoki's
 * 32-byte CBC work area).  The sequence is bound to the direction (table
 * variant) and to the key token (digest kept here).  FIRST takes the IV and
 * all of the AAD; LAST makes or checks the tag.  Pieces before LAST return
 * their output at once, as any streaming GCM does: a caller must not act on
 * deciphered text before LAST succeeded.
 */
struct gcm_seq {
    EVP_CIPHER_CTX *x;
    uint8_t key_digest[32];
};

static void gcm_seq_free(void *obj)
{
    struct gcm_seq *q = obj;
    if (!q)
        return;
    EVP_CIPHER_CTX_free(q->x);
    OPENSSL_clear_free(q, sizeof(*q));
}

static csu_err key_digest(const struct fw_ctx *ctx, uint8_t out[32])
{
    const struct csu_wire_block *k = aes_in(ctx, 1);
    unsigned int n = 0;
    return k && EVP_Digest(k->data, k->length, out, &n, EVP_sha256(), NULL) == 1 ? CSU_OK : CSU_E_CRYPTO;
}

/* The text of this piece through @p x into a new OUT 1 block. */
static csu_err gcm_piece(struct fw_ctx *ctx, const struct sa_call *c, EVP_CIPHER_CTX *x)
{
    size_t len = c->text ? c->text->length : 0;
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), len);
    int n = 0;
    if (!out)
        return CSU_E_NOMEM;
    if (len && (EVP_CipherUpdate(x, out, &n, c->text->data, (int)len) != 1 || (size_t)n != len))
        return CSU_E_CRYPTO;
    return CSU_OK;
}

static csu_err gcm_emit_token(struct fw_ctx *ctx, const uint8_t token[CARD_CTX_TOKEN_LEN])
{
    uint8_t *cd = fw_output(ctx, CSU_TAG_OUT(2), CARD_CTX_TOKEN_LEN);
    if (!cd)
        return CSU_E_NOMEM;
    memcpy(cd, token, CARD_CTX_TOKEN_LEN);
    return CSU_OK;
}

static uint8_t gcm_variant(const struct sa_call *c)
{
    return (uint8_t)((c->encrypt ? 0x80u : 0u) | c->key.len);
}

static csu_err gcm_first(struct fw_ctx *ctx, const struct sa_call *c, struct card_ctx_table *table)
{
    struct gcm_seq *q = OPENSSL_zalloc(sizeof(*q));
    if (!q)
        return CSU_E_NOMEM;
    q->x = EVP_CIPHER_CTX_new();
    csu_err err = q->x ? gcm_setup(q->x, c) : CSU_E_NOMEM;
    if (err == CSU_OK)
        err = key_digest(ctx, q->key_digest);
    if (err == CSU_OK)
        err = gcm_piece(ctx, c, q->x);
    uint8_t token[CARD_CTX_TOKEN_LEN];
    enum card_ctx_status st = CARD_CTX_CRYPTO;
    if (err == CSU_OK) {
        st = card_ctx_store(table, ctx->worker->drbg, CARD_CTX_KIND_GCM, gcm_variant(c), q, gcm_seq_free, token);
        if (st == CARD_CTX_OK)
            q = NULL;
        err = card_ctx_reply(st);
    }
    gcm_seq_free(q);
    if (err == CSU_OK && st == CARD_CTX_OK)
        err = gcm_emit_token(ctx, token);
    return err;
}

/* Check the chain_data out of the table and the key against the sequence's; a refusal is 8/2036. */
static csu_err gcm_checkout(struct fw_ctx *ctx, const struct sa_call *c, struct card_ctx_table *table,
                            struct card_ctx_lease *lease)
{
    enum card_ctx_status st = CARD_CTX_INVALID;
    if (c->chain_in)
        st = card_ctx_checkout(table, CARD_CTX_KIND_GCM, gcm_variant(c), c->chain_in->data, c->chain_in->length,
                               lease);
    if (st != CARD_CTX_OK) {
        return card_ctx_reply(st);
    }
    uint8_t digest[32];
    struct gcm_seq *q = lease->obj;
    csu_err err = key_digest(ctx, digest);
    if (err == CSU_OK && CRYPTO_memcmp(digest, q->key_digest, sizeof(digest)) != 0) {
        card_ctx_drop(table, lease);
        return CSU_E_CHAIN_VECTOR;
    }
    if (err != CSU_OK)
        card_ctx_drop(table, lease);
    return err;
}

static csu_err gcm_middle(struct fw_ctx *ctx, const struct sa_call *c, struct card_ctx_table *table)
{
    struct card_ctx_lease lease;
    csu_err err = gcm_checkout(ctx, c, table, &lease);
    if (err != CSU_OK)
        return err;
    struct gcm_seq *q = lease.obj;
    err = gcm_piece(ctx, c, q->x);
    if (err != CSU_OK) {
        card_ctx_drop(table, &lease);
        return err;
    }
    uint8_t token[CARD_CTX_TOKEN_LEN];
    enum card_ctx_status st = card_ctx_checkin(table, &lease, token);
    err = card_ctx_reply(st);
    if (err == CSU_OK && st == CARD_CTX_OK)
        err = gcm_emit_token(ctx, token);
    return err;
}

static csu_err gcm_last(struct fw_ctx *ctx, const struct sa_call *c, struct card_ctx_table *table)
{
    struct card_ctx_lease lease;
    csu_err err = gcm_checkout(ctx, c, table, &lease);
    if (err != CSU_OK)
        return err;
    struct gcm_seq *q = lease.obj;
    err = c->encrypt ? gcm_encrypt(ctx, c, q->x) : gcm_decrypt(ctx, c, q->x);
    card_ctx_drop(table, &lease);
    return err;
}

static csu_err run_gcm(struct fw_ctx *ctx, const struct sa_call *c)
{
    if (c->chain == C_INITIAL || c->chain == C_CONTINUE)
        return CSU_E_RULE_CONFLICT;
    bool starts = c->chain == C_ONLY || c->chain == C_FIRST;
    if (starts && (!c->iv || c->iv->length == 0 || c->iv->length > GCM_MAX_IV))
        return CSU_E_LENGTH;
    if (!starts && c->aad && c->aad->length)
        return CSU_E_LENGTH; /* all of the AAD comes with the first piece */
    if (c->chain != C_LAST && c->chain != C_ONLY && c->chain_cap < CARD_CTX_TOKEN_LEN)
        return CSU_E_LENGTH;
    if ((c->text ? c->text->length : 0) > c->out_cap)
        return CSU_E_LENGTH;
    if (c->chain == C_LAST && (c->encrypt ? !gcm_tag_len_ok(c->tag_len) : !c->tag_in || !gcm_tag_len_ok(c->tag_in->length)))
        return CSU_E_LENGTH;
    if (c->chain == C_ONLY)
        return gcm_only(ctx, c);
    struct card_ctx_table *table = card_ctx_table_of(ctx->card, ctx->worker->drbg);
    if (!table)
        return CSU_E_NOMEM;
    if (c->chain == C_FIRST)
        return gcm_first(ctx, c, table);
    return c->chain == C_MIDDLE ? gcm_middle(ctx, c, table) : gcm_last(ctx, c, table);
}

/* ---- the verbs ----------------------------------------------------------------- */

static csu_err sa_key(struct fw_ctx *ctx, struct sa_call *c)
{
    const struct csu_wire_block *k = aes_in(ctx, 1);
    if (c->form == F_KEYCLR) {
        if (!k || (k->length != 16 && k->length != 24 && k->length != 32))
            return CSU_E_KEY_LENGTH;
        c->key.len = k->length;
        memcpy(c->key.bytes, k->data, k->length);
        return CSU_OK;
    }
    static const uint8_t kuf_mode[] = {[M_CBC] = AES_MODE_CBC, [M_ECB] = AES_MODE_ECB, [M_PAD] = AES_MODE_CBC,
                                       [M_GCM] = AES_MODE_GCM};
    struct aes_key_need need = {c->encrypt ? AES_USE_ENCRYPT : AES_USE_DECRYPT, TOKV_ALG_AES, kuf_mode[c->mode], 0};
    bool old = false;
    csu_err err = aes_key_from_token(ctx, k ? k->data : NULL, k ? k->length : 0, &need, &c->key, &old);
    if (err == CSU_OK && old)
        ctx->rep.reason_code = AES_RS_OLD_MK;
    return err;
}

static csu_err sa_parse(struct fw_ctx *ctx, struct sa_call *c)
{
    struct csu_rule_result r;
    uint32_t block = 0;
    csu_err err = csu_rules_parse(&sa_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    c->mode = csu_rules_value(&r, G_MODE, M_CBC);
    c->form = csu_rules_value(&r, G_FORM, F_KEYIDENT);
    c->chain = csu_rules_value(&r, G_CHAIN, c->mode == M_GCM ? C_ONLY : C_INITIAL);
    c->tag_in = aes_in(ctx, 2);
    c->iv = aes_in(ctx, 4);
    c->chain_in = aes_in(ctx, 5);
    c->text = aes_in(ctx, 6);
    c->aad = aes_in(ctx, 7);
    c->out_cap = fw_out_capacity(ctx);
    err = aes_in_u32(ctx, 3, 0, &block);
    if (err == CSU_OK)
        err = aes_in_u32(ctx, 8, 0, &c->tag_len);
    if (err == CSU_OK)
        err = aes_in_u32(ctx, 9, 0, &c->chain_cap);
    if (err == CSU_OK && block != AES_BLOCK)
        err = CSU_E_LENGTH;
    if (err == CSU_OK && c->aad && c->aad->length && c->mode != M_GCM)
        err = CSU_E_LENGTH; /* optional_data only carries GCM's AAD */
    return err;
}

static csu_err symmetric_algorithm(struct fw_ctx *ctx, bool encrypt)
{
    struct sa_call *c = OPENSSL_zalloc(sizeof(*c));
    if (!c)
        return CSU_E_NOMEM;
    c->encrypt = encrypt;
    csu_err err = sa_parse(ctx, c);
    if (err == CSU_OK)
        err = sa_key(ctx, c);
    if (err == CSU_OK)
        err = c->mode == M_GCM ? run_gcm(ctx, c) : run_block_mode(ctx, c);
    OPENSSL_clear_free(c, sizeof(*c));
    return err;
}

csu_err fw_csnbsae(struct fw_ctx *ctx)
{
    return symmetric_algorithm(ctx, true);
}

csu_err fw_csnbsad(struct fw_ctx *ctx)
{
    return symmetric_algorithm(ctx, false);
}
