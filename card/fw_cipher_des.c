/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card halves of the DES data verbs (host halves in csu/verb_cipher_des.c):
 *   CSNBENC / CSNBDEC  CBC, X9.23, 4700-PAD, CUSP, IPS; INITIAL / CONTINUE
 *   CSNBMGN / CSNBMVR  X9.9-1, X9.19OPT, TDES-MAC, ISO16609, EMVMAC, EMVMACD,
 *                      TDES-CMAC; MACLEN4/6/8; ONLY / FIRST / MIDDLE / LAST
 * docs/cipher-des.md describes the processing rules and both chaining-vector
 * layouts.  Every frame is hostile, and so is every chaining vector: the
 * encipher one carries only the (public) output chaining value, the MAC one
 * carries its running state enciphered under a key derived from the MAC key,
 * so it never holds or reveals key material or intermediate MAC values.
 *
 * Codes csu_err has no value for are set directly in the reply (before any
 * output block exists): 8/51, 8/54, 8/153, 8/205, 8/706, 8/2036 and 4/1.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "csu_rules.h"
#include "tok_cv.h"
#include "tok_fixed.h"
#include "wrap_fixed.h"

#define DES_CV_LEN 18 /* openCryptoki's chaining-vector buffer: never write more */
/** Largest text one call takes: the frame (1 MiB) less room for token, vectors and rules. */
#define DES_TEXT_MAX ((size_t)CSU_WIRE_MAX_FRAME - 4096u)

enum des_use { DES_USE_ENCIPHER, DES_USE_DECIPHER, DES_USE_MACGEN, DES_USE_MACVER };

/** A clear operational key: k is K1 K2 K3 for the EDE engine, len the token's key length. */
struct des_key {
    uint8_t k[24];
    size_t len;
};

/* ---- keys ------------------------------------------------------------------ */

/* CV bits (IBM numbering) of the data-operation classes, byte 1 >> 1 and byte 2. */
enum { CV_CLASS_DATA = 0, CV_CLASS_CIPHER = 1, CV_CLASS_MAC = 2 };
static const uint8_t usage_bit[] = {[DES_USE_ENCIPHER] = 0x20, /* bit 18 */
                                    [DES_USE_DECIPHER] = 0x10, /* bit 19 */
                                    [DES_USE_MACGEN] = 0x08,   /* bit 20 */
                                    [DES_USE_MACVER] = 0x04};  /* bit 21 */

static bool cv_zero(const uint8_t cv[CV_LEN])
{
    uint8_t acc = 0;
    for (int i = 0; i < CV_LEN; i++)
        acc |= cv[i];
    return acc == 0;
}

/*
 * Whether the left CV lets the key do @p use.  Ciphering: DATA or CIPHER
 * class with the ENCIPHER / DECIPHER bit.  MAC: MAC class (MAC, MACVER) or
 * the data class without cipher bits (DATAM, DATAMV) with the generate /
 * verify bit; a DATA key (cipher bits set) is refused, as issue 5 requires.
 * The legacy all-zero CV is a DATA key.
 */
static bool cv_permits(const uint8_t cv[CV_LEN], enum des_use use)
{
    bool mac = use == DES_USE_MACGEN || use == DES_USE_MACVER;
    if (cv_zero(cv))
        return !mac;
    if (cv_is_key_part(cv) || !(cv[2] & usage_bit[use]))
        return false;
    unsigned cls = cv[1] >> 1;
    if (!mac)
        return cls == CV_CLASS_DATA || cls == CV_CLASS_CIPHER;
    return cls == CV_CLASS_MAC || (cls == CV_CLASS_DATA && !(cv[2] & 0x30));
}

static csu_err des_key_load(struct fw_ctx *ctx, enum des_use use, struct des_key *key)
{
    const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_IN(1));
    if (!b)
        return CSU_E_NULL_POINTER;
    struct tok_fixed info;
    csu_err err = tok_fixed_parse(b->data, b->length, &info);
    if (err != CSU_OK)
        return err;
    if (info.kind == TOK_DES_EXTERNAL)
        return CSU_E_TOKEN_HEADER; /* an operational key must be internal */
    if (info.kind != TOK_DES_INTERNAL || !info.has_key)
        return CSU_E_KEY_USE;
    if (!cv_permits(info.cv_left, use))
        return CSU_E_CV;
    uint8_t tok[TOK_FIXED_LEN], clear[WRAP_MAX_KEY];
    bool old = false;
    memcpy(tok, b->data, TOK_FIXED_LEN);
    err = wrap_fixed_unwrap(ctx->card, tok, &info, clear, &old);
    if (err == CSU_OK) {
        /* K1 K2 K3 for the EDE engine: single K K K, double K1 K2 K1. */
        key->len = info.key_len;
        memcpy(key->k, clear, info.key_len);
        if (info.key_len == 8)
            memcpy(key->k + 8, clear, 8);
        if (info.key_len < 24)
            memcpy(key->k + 16, clear, 8);
        if (old)
            ctx->rep.reason_code = 10001;
    }
    OPENSSL_cleanse(clear, sizeof(clear));
    return err;
}

static void des_key_wipe(struct des_key *key)
{
    OPENSSL_cleanse(key, sizeof(*key));
}

/* ---- block engine ---------------------------------------------------------- */

/* TDES EDE (a single key is K K K) in CBC mode, no padding; @p iv becomes the last ciphertext block. */
static csu_err des_cbc(const uint8_t k[24], uint8_t iv[8], const uint8_t *in, uint8_t *out, size_t len, bool encrypt)
{
    if (len == 0)
        return CSU_OK;
    uint8_t next[8];
    if (!encrypt)
        memcpy(next, in + len - 8, 8); /* before out can overwrite it */
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    bool ok = c && EVP_CipherInit_ex(c, EVP_des_ede3_cbc(), NULL, k, iv, encrypt ? 1 : 0) == 1 &&
              EVP_CIPHER_CTX_set_padding(c, 0) == 1 && len <= (size_t)INT32_MAX &&
              EVP_CipherUpdate(c, out, &n1, in, (int)len) == 1 && EVP_CipherFinal_ex(c, out + n1, &n2) == 1 &&
              (size_t)(n1 + n2) == len;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return CSU_E_CRYPTO;
    memcpy(iv, encrypt ? out + len - 8 : next, 8);
    return CSU_OK;
}

/* One block through TDES EDE in the encrypt (or decrypt) direction. */
static csu_err des_block(const uint8_t k[24], const uint8_t in[8], uint8_t out[8], bool encrypt)
{
    uint8_t iv[8] = {0};
    return des_cbc(k, iv, in, out, 8, encrypt);
}

/* ---- CSNBENC / CSNBDEC -------------------------------------------------- */

enum { ENC_G_RULE, ENC_G_CHAIN };
enum enc_rule { RULE_CBC, RULE_X923, RULE_4700, RULE_CUSP, RULE_IPS };
enum enc_chain { CHAIN_INITIAL, CHAIN_CONTINUE };

static const struct csu_keyword enc_words[] = {
    {"CBC", ENC_G_RULE, RULE_CBC},          {"X9.23", ENC_G_RULE, RULE_X923},
    {"4700-PAD", ENC_G_RULE, RULE_4700},    {"CUSP", ENC_G_RULE, RULE_CUSP},
    {"IPS", ENC_G_RULE, RULE_IPS},          {"INITIAL", ENC_G_CHAIN, CHAIN_INITIAL},
    {"CONTINUE", ENC_G_CHAIN, CHAIN_CONTINUE},
};
static const struct csu_rule_spec enc_spec = {enc_words, sizeof(enc_words) / sizeof(enc_words[0]), 0, 2, 0};

/* Encipher chaining vector: OCV (bytes 0-7, as IBM documents), magic, version, zeros. */
#define ENC_CV_MAGIC 0xC5
#define ENC_CV_VERSION 0x01

static void enc_cv_write(uint8_t cv[DES_CV_LEN], const uint8_t ocv[8])
{
    memset(cv, 0, DES_CV_LEN);
    memcpy(cv, ocv, 8);
    cv[8] = ENC_CV_MAGIC;
    cv[9] = ENC_CV_VERSION;
}

static bool enc_cv_valid(const uint8_t *cv)
{
    uint8_t acc = (uint8_t)(cv[8] ^ ENC_CV_MAGIC) | (uint8_t)(cv[9] ^ ENC_CV_VERSION);
    for (int i = 10; i < DES_CV_LEN; i++)
        acc |= cv[i];
    return acc == 0;
}

struct enc_req {
    enum enc_rule rule;
    bool encrypt;
    const uint8_t *text;
    size_t len;
    uint8_t icv[8];
    uint8_t pad;
};

static bool rule_pads(enum enc_rule r)
{
    return r == RULE_X923 || r == RULE_4700;
}

/* Rules, ICV and text of an encipher or decipher request, every length checked. */
static csu_err enc_request(struct fw_ctx *ctx, bool encrypt, struct enc_req *q)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&enc_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    q->rule = (enum enc_rule)csu_rules_value(&r, ENC_G_RULE, RULE_CBC);
    q->encrypt = encrypt;
    bool cont = csu_rules_value(&r, ENC_G_CHAIN, CHAIN_INITIAL) == CHAIN_CONTINUE;
    const struct csu_wire_block *t = csu_wire_find(ctx->req, CSU_TAG_IN(2));
    if (!t)
        return CSU_E_NULL_POINTER;
    q->text = t->data;
    q->len = t->length;
    if (q->len > DES_TEXT_MAX)
        return CSU_E_TEXT_LIMIT;
    if (q->len == 0 && !(encrypt && rule_pads(q->rule)))
        return CSU_E_LENGTH;
    bool whole_blocks = q->rule == RULE_CBC || (!encrypt && rule_pads(q->rule));
    if (whole_blocks && q->len % 8 != 0)
        return CSU_E_TEXT_BLOCK;
    if (cont && rule_pads(q->rule))
        return CSU_E_X923_CONTINUE; /* reference §2: X9.23 with CONTINUE */
    uint32_t pad = 0;
    if (encrypt && q->rule == RULE_4700 && (!csu_wire_get_u32(ctx->req, CSU_TAG_IN(4), &pad) || pad > 0xFF))
        return CSU_E_PAD_CHAR;
    q->pad = (uint8_t)pad;
    const struct csu_wire_block *v = csu_wire_find(ctx->req, cont ? CSU_TAG_IN(5) : CSU_TAG_IN(3));
    if (!v)
        return CSU_E_NULL_POINTER;
    if (v->length != (cont ? DES_CV_LEN : 8u))
        return CSU_E_LENGTH;
    if (cont && !enc_cv_valid(v->data))
        return CSU_E_CHAIN_VECTOR;
    memcpy(q->icv, v->data, 8);
    return CSU_OK;
}

/*
 * The short final block of CUSP and IPS (ICSF "Cipher processing rules"):
 * it is XORed with the encipherment of the current chaining value.  CUSP's
 * OCV is that encipherment (also when there is no short block); IPS's OCV
 * is the last eight bytes of ciphertext, short block included.
 */
static csu_err enc_short_tail(const struct des_key *k, const struct enc_req *q, size_t full, uint8_t *out,
                              uint8_t cv[8])
{
    size_t rem = q->len - full;
    if (q->rule == RULE_IPS && rem == 0)
        return CSU_OK;
    uint8_t o[8];
    csu_err err = des_block(k->k, cv, o, true);
    if (err != CSU_OK)
        return err;
    for (size_t i = 0; i < rem; i++)
        out[full + i] = (uint8_t)(q->text[full + i] ^ o[i]);
    if (q->rule == RULE_CUSP) {
        memcpy(cv, o, 8);
    } else {
        const uint8_t *ct = q->encrypt ? out + full : q->text + full;
        memmove(cv, cv + rem, 8 - rem);
        memcpy(cv + 8 - rem, ct, rem);
    }
    OPENSSL_cleanse(o, sizeof(o));
    return CSU_OK;
}

/* Pad (X9.23: X'00' filler; 4700-PAD: the caller's character), count last, 1-8 bytes. */
static void enc_pad_block(const struct enc_req *q, size_t full, uint8_t block[8])
{
    size_t rem = q->len - full;
    memset(block, q->rule == RULE_4700 ? q->pad : 0x00, 8);
    memcpy(block, q->text + full, rem);
    block[7] = (uint8_t)(8 - rem);
}

/* The whole transformation into @p out (capacity len + 8); @p out_len the result's length. */
static csu_err enc_run(const struct des_key *k, struct enc_req *q, uint8_t *out, size_t *out_len)
{
    size_t full = q->len & ~(size_t)7;
    csu_err err = des_cbc(k->k, q->icv, q->text, out, full, q->encrypt);
    *out_len = q->len;
    if (err != CSU_OK)
        return err;
    if (q->rule == RULE_CUSP || q->rule == RULE_IPS)
        return enc_short_tail(k, q, full, out, q->icv);
    if (!rule_pads(q->rule))
        return CSU_OK;
    if (q->encrypt) {
        uint8_t block[8];
        enc_pad_block(q, full, block);
        err = des_cbc(k->k, q->icv, block, out + full, 8, true);
        OPENSSL_cleanse(block, sizeof(block));
        *out_len = full + 8;
        return err;
    }
    uint8_t count = out[q->len - 1];
    if (count < 1 || count > 8)
        return CSU_E_PAD_COUNT;
    *out_len = q->len - count;
    return CSU_OK;
}

static csu_err enc_verb(struct fw_ctx *ctx, bool encrypt)
{
    struct enc_req q;
    csu_err err = enc_request(ctx, encrypt, &q);
    if (err != CSU_OK)
        return err;
    struct des_key k;
    err = des_key_load(ctx, encrypt ? DES_USE_ENCIPHER : DES_USE_DECIPHER, &k);
    if (err != CSU_OK)
        return err;
    uint8_t *tmp = OPENSSL_malloc(q.len + 8);
    size_t out_len = 0;
    err = tmp ? enc_run(&k, &q, tmp, &out_len) : CSU_E_NOMEM;
    des_key_wipe(&k);
    if (err == CSU_OK) {
        uint8_t *text = fw_output(ctx, CSU_TAG_OUT(1), out_len), *cv = fw_output(ctx, CSU_TAG_OUT(2), DES_CV_LEN);
        if (!text || !cv)
            err = CSU_E_NOMEM;
        else {
            memcpy(text, tmp, out_len);
            enc_cv_write(cv, q.icv);
        }
    }
    if (tmp)
        OPENSSL_clear_free(tmp, q.len + 8);
    return err;
}

csu_err fw_csnbenc(struct fw_ctx *ctx)
{
    return enc_verb(ctx, true);
}

csu_err fw_csnbdec(struct fw_ctx *ctx)
{
    return enc_verb(ctx, false);
}

/* ---- CSNBMGN / CSNBMVR -------------------------------------------------- */

enum { MAC_G_ALG, MAC_G_LEN, MAC_G_SEG };
enum mac_seg { SEG_ONLY, SEG_FIRST, SEG_MIDDLE, SEG_LAST };
enum mac_pad { PAD_ZERO, PAD_80, PAD_CMAC }; /* ISO 9797-1 method 1, method 2, SP 800-38B */

/** One MAC algorithm: its id in the chaining vector, padding, engine and key lengths. */
struct mac_alg {
    uint8_t id;
    enum mac_pad pad;
    bool single_chain; /* chain with single DES under K1 (X9.9-1, EMV, retail) */
    bool retail;       /* final step E_K1(D_K2(chain)) (ISO 9797-1 algorithm 3) */
    uint8_t key_lens;  /* bit 0: 8, bit 1: 16, bit 2: 24 */
};

enum { ALG_X99 = 1, ALG_X919OPT, ALG_TDESMAC, ALG_CMAC, ALG_EMV, ALG_EMVD, ALG_ISO16609 };
static const struct mac_alg mac_algs[] = {
    [ALG_X99] = {ALG_X99, PAD_ZERO, true, false, 1},
    [ALG_X919OPT] = {ALG_X919OPT, PAD_ZERO, true, true, 6},
    [ALG_TDESMAC] = {ALG_TDESMAC, PAD_ZERO, false, false, 6},
    [ALG_CMAC] = {ALG_CMAC, PAD_CMAC, false, false, 6},
    [ALG_EMV] = {ALG_EMV, PAD_80, true, false, 1},
    [ALG_EMVD] = {ALG_EMVD, PAD_80, true, true, 6},
    [ALG_ISO16609] = {ALG_ISO16609, PAD_ZERO, false, false, 6},
};

static const struct csu_keyword mac_words[] = {
    {"X9.9-1", MAC_G_ALG, ALG_X99},     {"X9.19OPT", MAC_G_ALG, ALG_X919OPT}, {"TDES-MAC", MAC_G_ALG, ALG_TDESMAC},
    {"TDES-CMAC", MAC_G_ALG, ALG_CMAC}, {"EMVMAC", MAC_G_ALG, ALG_EMV},        {"EMVMACD", MAC_G_ALG, ALG_EMVD},
    {"ISO16609", MAC_G_ALG, ALG_ISO16609}, {"MACLEN4", MAC_G_LEN, 4},         {"MACLEN6", MAC_G_LEN, 6},
    {"MACLEN8", MAC_G_LEN, 8},          {"ONLY", MAC_G_SEG, SEG_ONLY},        {"FIRST", MAC_G_SEG, SEG_FIRST},
    {"MIDDLE", MAC_G_SEG, SEG_MIDDLE},  {"LAST", MAC_G_SEG, SEG_LAST},
};
static const struct csu_rule_spec mac_spec = {mac_words, sizeof(mac_words) / sizeof(mac_words[0]), 0, 3, 0};

/** The running MAC: chaining value, unprocessed bytes, and whether any block went through. */
struct mac_state {
    uint8_t chain[8];
    uint8_t buf[8];
    size_t nbuf;
    bool started;
};

struct mac_run {
    const struct mac_alg *alg;
    uint8_t run_key[24]; /* key of the chaining steps: K1 K1 K1 or the full EDE key */
    struct mac_state st;
};

/*
 * MAC chaining vector (18 bytes):
 *   0     X'C6' (no block processed yet) or X'C7'
 *   1     algorithm id (high nibble) | unprocessed byte count 0-8 (low nibble)
 *   2-17  AES-128-ECB of chain (8) || unprocessed bytes (8, zero filled) under
 *         the first 16 bytes of HMAC-SHA-256(MAC key, "CSU-DES-MAC-CV-1" || bytes 0-1)
 * The state is unreadable without the key (a MACVER holder cannot turn a
 * FIRST segment into a MAC), and a changed header or body decrypts to an
 * unrelated state that is refused (8/2036) unless its filler is zero.
 */
#define MAC_CV_MAGIC 0xC6

static csu_err mac_cv_key(const struct des_key *k, const uint8_t hdr[2], uint8_t out[16])
{
    static const char label[] = "CSU-DES-MAC-CV-1";
    uint8_t msg[sizeof(label) - 1 + 2], md[32];
    size_t md_len = 0;
    memcpy(msg, label, sizeof(label) - 1);
    memcpy(msg + sizeof(label) - 1, hdr, 2);
    bool ok = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->k, k->len, msg, sizeof(msg), md, sizeof(md),
                        &md_len) != NULL &&
              md_len == sizeof(md);
    memcpy(out, md, 16);
    OPENSSL_cleanse(md, sizeof(md));
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

static csu_err aes_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16], bool encrypt)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    bool ok = c && EVP_CipherInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL, encrypt ? 1 : 0) == 1 &&
              EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_CipherUpdate(c, out, &n, in, 16) == 1 && n == 16;
    EVP_CIPHER_CTX_free(c);
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

static csu_err mac_cv_write(const struct des_key *k, const struct mac_run *m, uint8_t cv[DES_CV_LEN])
{
    uint8_t plain[16] = {0}, key[16];
    cv[0] = (uint8_t)(MAC_CV_MAGIC | (m->st.started ? 1 : 0));
    cv[1] = (uint8_t)(m->alg->id << 4 | m->st.nbuf);
    memcpy(plain, m->st.chain, 8);
    memcpy(plain + 8, m->st.buf, m->st.nbuf);
    csu_err err = mac_cv_key(k, cv, key);
    if (err == CSU_OK)
        err = aes_block(key, plain, cv + 2, true);
    OPENSSL_cleanse(plain, sizeof(plain));
    OPENSSL_cleanse(key, sizeof(key));
    return err;
}

/* Recover the state; @p bad set when the vector is not one this card wrote for this key and algorithm. */
static csu_err mac_cv_read(const struct des_key *k, struct mac_run *m, const uint8_t *cv, bool *bad)
{
    size_t nbuf = cv[1] & 0x0Fu;
    *bad = (cv[0] & 0xFEu) != MAC_CV_MAGIC || cv[1] >> 4 != m->alg->id || nbuf > 8;
    if (*bad)
        return CSU_OK;
    uint8_t plain[16], key[16], filler = 0;
    csu_err err = mac_cv_key(k, cv, key);
    if (err == CSU_OK)
        err = aes_block(key, cv + 2, plain, false);
    for (size_t i = 8 + nbuf; i < 16; i++)
        filler |= plain[i];
    *bad = err == CSU_OK && filler != 0;
    memcpy(m->st.chain, plain, 8);
    memcpy(m->st.buf, plain + 8, 8);
    m->st.nbuf = nbuf;
    m->st.started = (cv[0] & 1) != 0;
    OPENSSL_cleanse(plain, sizeof(plain));
    OPENSSL_cleanse(key, sizeof(key));
    return err;
}

/* Chain @p len (a multiple of 8) bytes into the state, a bounded chunk at a time. */
static csu_err mac_blocks(struct mac_run *m, const uint8_t *p, size_t len)
{
    uint8_t scratch[4096];
    csu_err err = CSU_OK;
    for (size_t off = 0; err == CSU_OK && off < len; off += sizeof(scratch)) {
        size_t n = len - off < sizeof(scratch) ? len - off : sizeof(scratch);
        err = des_cbc(m->run_key, m->st.chain, p + off, scratch, n, true);
    }
    if (len)
        m->st.started = true;
    OPENSSL_cleanse(scratch, sizeof(scratch));
    return err;
}

/* Feed text; CMAC keeps the last block back (it may be the final one), the others only a partial block. */
static csu_err mac_update(struct mac_run *m, const uint8_t *p, size_t len)
{
    bool cmac = m->alg->pad == PAD_CMAC;
    size_t limit = cmac ? 8 : 7; /* most bytes left unprocessed between calls */
    if (m->st.nbuf + len <= limit) {
        memcpy(m->st.buf + m->st.nbuf, p, len);
        m->st.nbuf += len;
        return CSU_OK;
    }
    /* Complete the buffered block, chain the middle, keep the tail. */
    size_t take = 8 - m->st.nbuf;
    memcpy(m->st.buf + m->st.nbuf, p, take);
    csu_err err = mac_blocks(m, m->st.buf, 8);
    p += take, len -= take;
    size_t tail = len % 8;
    if (cmac && tail == 0 && len > 0)
        tail = 8;
    if (err == CSU_OK)
        err = mac_blocks(m, p, len - tail);
    memset(m->st.buf, 0, 8);
    memcpy(m->st.buf, p + len - tail, tail);
    m->st.nbuf = tail;
    return err;
}

/* CMAC subkey K1 (or K2 with @p twice): doubling in GF(2^64), Rb = X'1B' (SP 800-38B). */
static void cmac_double(uint8_t b[8])
{
    uint8_t carry = b[0] >> 7;
    for (int i = 0; i < 7; i++)
        b[i] = (uint8_t)(b[i] << 1 | b[i + 1] >> 7);
    b[7] = (uint8_t)(b[7] << 1 ^ (0x1B & (uint8_t)-carry));
}

static csu_err mac_final(const struct des_key *k, struct mac_run *m, uint8_t mac[8])
{
    uint8_t last[8] = {0}, sub[8] = {0};
    csu_err err = CSU_OK;
    memcpy(last, m->st.buf, m->st.nbuf);
    bool final_block = m->st.nbuf > 0 || !m->st.started || m->alg->pad != PAD_ZERO;
    if (m->alg->pad == PAD_80 || (m->alg->pad == PAD_CMAC && m->st.nbuf < 8))
        last[m->st.nbuf] = 0x80;
    if (m->alg->pad == PAD_CMAC) {
        err = des_block(k->k, sub, sub, true);
        cmac_double(sub);
        if (m->st.nbuf < 8)
            cmac_double(sub);
        for (int i = 0; i < 8; i++)
            last[i] ^= sub[i];
    }
    if (err == CSU_OK && final_block)
        err = mac_blocks(m, last, 8);
    if (err == CSU_OK && m->alg->retail) {
        uint8_t k2[24];
        memcpy(k2, k->k + 8, 8), memcpy(k2 + 8, k->k + 8, 8), memcpy(k2 + 16, k->k + 8, 8);
        err = des_block(k2, m->st.chain, m->st.chain, false);
        if (err == CSU_OK)
            err = des_block(m->run_key, m->st.chain, m->st.chain, true);
        OPENSSL_cleanse(k2, sizeof(k2));
    }
    memcpy(mac, m->st.chain, 8);
    OPENSSL_cleanse(last, sizeof(last));
    OPENSSL_cleanse(sub, sizeof(sub));
    return err;
}

/* TDES-CMAC in one call: OpenSSL's EVP_MAC "CMAC" with DES-EDE3-CBC. */
static csu_err cmac_oneshot(const struct des_key *k, const uint8_t *p, size_t len, uint8_t mac[8])
{
    size_t n = 0;
    uint8_t out[8];
    bool ok = EVP_Q_mac(NULL, "CMAC", NULL, "DES-EDE3-CBC", NULL, k->k, 24, p, len, out, sizeof(out), &n) != NULL &&
              n == 8;
    memcpy(mac, out, 8);
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

struct mac_req {
    enum mac_seg seg;
    size_t mac_len;
    const struct mac_alg *alg;
    const uint8_t *text;
    size_t len;
};

static csu_err mac_request(struct fw_ctx *ctx, struct mac_req *q)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&mac_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    q->alg = &mac_algs[csu_rules_value(&r, MAC_G_ALG, ALG_X99)];
    q->mac_len = csu_rules_value(&r, MAC_G_LEN, 4);
    q->seg = (enum mac_seg)csu_rules_value(&r, MAC_G_SEG, SEG_ONLY);
    const struct csu_wire_block *t = csu_wire_find(ctx->req, CSU_TAG_IN(2));
    if (!t)
        return CSU_E_NULL_POINTER;
    q->text = t->data;
    q->len = t->length;
    return q->len > DES_TEXT_MAX ? CSU_E_TEXT_LIMIT : CSU_OK;
}

/* The state after this call's text: from the vector (MIDDLE, LAST) or fresh, then updated. */
static csu_err mac_process(struct fw_ctx *ctx, const struct des_key *k, const struct mac_req *q, struct mac_run *m)
{
    if (!(q->alg->key_lens & (k->len / 8 == 3 ? 4 : k->len / 8)))
        return CSU_E_KEY_USE; /* key length not one the algorithm takes */
    memset(m, 0, sizeof(*m));
    m->alg = q->alg;
    for (int i = 0; i < 3; i++)
        memcpy(m->run_key + 8 * i, q->alg->single_chain ? k->k : k->k + 8 * i, 8);
    if (q->seg == SEG_MIDDLE || q->seg == SEG_LAST) {
        const struct csu_wire_block *v = csu_wire_find(ctx->req, CSU_TAG_IN(3));
        bool bad = false;
        if (!v)
            return CSU_E_NULL_POINTER;
        csu_err err = v->length == DES_CV_LEN ? mac_cv_read(k, m, v->data, &bad) : CSU_E_LENGTH;
        if (err != CSU_OK || bad)
            return err != CSU_OK ? err : CSU_E_CHAIN_VECTOR;
    }
    return mac_update(m, q->text, q->len);
}

/* The MAC (ONLY, LAST) or the next chaining vector (FIRST, MIDDLE) of this call. */
static csu_err mac_compute(struct fw_ctx *ctx, const struct des_key *k, const struct mac_req *q, uint8_t mac[8],
                           uint8_t cv[DES_CV_LEN])
{
    struct mac_run m;
    csu_err err = mac_process(ctx, k, q, &m);
    if (err == CSU_OK) {
        if (q->seg == SEG_FIRST || q->seg == SEG_MIDDLE)
            err = mac_cv_write(k, &m, cv);
        else if (q->alg->pad == PAD_CMAC && q->seg == SEG_ONLY)
            err = cmac_oneshot(k, q->text, q->len, mac);
        else
            err = mac_final(k, &m, mac);
    }
    OPENSSL_cleanse(&m, sizeof(m));
    return err;
}

static csu_err mac_verb(struct fw_ctx *ctx, bool verify)
{
    struct mac_req q;
    csu_err err = mac_request(ctx, &q);
    if (err != CSU_OK)
        return err;
    bool final = q.seg == SEG_ONLY || q.seg == SEG_LAST;
    const struct csu_wire_block *given = verify && final ? csu_wire_find(ctx->req, CSU_TAG_IN(4)) : NULL;
    if (verify && final && (!given || given->length != q.mac_len))
        return given ? CSU_E_LENGTH : CSU_E_NULL_POINTER;
    struct des_key k;
    err = des_key_load(ctx, verify ? DES_USE_MACVER : DES_USE_MACGEN, &k);
    if (err != CSU_OK)
        return err;
    uint8_t mac[8] = {0}, cv[DES_CV_LEN];
    err = mac_compute(ctx, &k, &q, mac, cv);
    des_key_wipe(&k);
    if (err == CSU_OK && given) {
        /* Constant time over the whole requested length. */
        if (CRYPTO_memcmp(mac, given->data, q.mac_len) != 0)
            err = CSU_W_VERIFY_FAILED;
    } else if (err == CSU_OK) {
        size_t n = final ? q.mac_len : DES_CV_LEN;
        uint8_t *out = fw_output(ctx, final ? CSU_TAG_OUT(1) : CSU_TAG_OUT(2), n);
        if (out)
            memcpy(out, final ? mac : cv, n);
        else
            err = CSU_E_NOMEM;
    }
    OPENSSL_cleanse(mac, sizeof(mac));
    return err;
}

csu_err fw_csnbmgn(struct fw_ctx *ctx)
{
    return mac_verb(ctx, false);
}

csu_err fw_csnbmvr(struct fw_ctx *ctx)
{
    return mac_verb(ctx, true);
}
