/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Variable-length symmetric key tokens, version X'05' (contract in
 * tok_var.h, layout in reference §3.6, our choices in docs/tokens-v5.md).
 * Every count and length is bounded before it is used to read further.
 */
#include "tok_var.h"

#include <string.h>

#include <openssl/crypto.h>

#include "csu_mu.h"
#include "csu_rules.h"
#include "csu_wire.h" /* CSU_RULE_WORD */

#define TOKV_HEADER_LEN 8u

size_t tokv_ad_length(const struct tokv *t)
{
    return TOKV_AD_FIXED + 2u * t->kuf_count + 2u * t->kmf_count + t->name_len + t->iead_len + t->uad_len;
}

size_t tokv_payload_offset(const struct tokv *t)
{
    return TOKV_AD_OFFSET + tokv_ad_length(t);
}

static size_t payload_bytes(unsigned bits)
{
    return (bits + 7u) / 8u;
}

size_t tokv_length(const struct tokv *t)
{
    return tokv_payload_offset(t) + payload_bytes(t->payload_bits);
}

bool tokv_key_bits_valid(uint8_t alg, unsigned bits)
{
    if (alg == TOKV_ALG_AES)
        return bits == 128 || bits == 192 || bits == 256;
    if (alg == TOKV_ALG_HMAC)
        return bits >= 80 && bits <= 2048 && bits % 8 == 0;
    return false;
}

unsigned tokv_parts(const struct tokv *t)
{
    if (t->kmf_count < 2)
        return 0;
    return (t->kmf[1] & TOKV_KMF2_PARTS_MASK) >> TOKV_KMF2_PARTS_SHIFT;
}

void tokv_set_parts(struct tokv *t, unsigned parts)
{
    if (t->kmf_count < 2)
        return;
    t->kmf[1] = (uint16_t)((t->kmf[1] & ~TOKV_KMF2_PARTS_MASK) | ((parts & 3u) << TOKV_KMF2_PARTS_SHIFT));
}

void tokv_wipe(struct tokv *t)
{
    OPENSSL_cleanse(t, sizeof(*t));
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* ---- parsing ------------------------------------------------------------ */

/* Bytes 0-7.  Length first bounded here, so later reads stay inside. */
static csu_err parse_header(const uint8_t *buf, size_t len, struct tokv *t)
{
    if (!buf || len < TOKV_HEADER_LEN)
        return CSU_E_KEY_LENGTH;
    if (buf[0] == TOKV_ID_NULL)
        return CSU_E_TOKEN_NULL;
    if (buf[0] != TOKV_ID_INTERNAL && buf[0] != TOKV_ID_EXTERNAL)
        return CSU_E_TOKEN_TYPE;
    if (buf[4] != TOKV_VERSION)
        return CSU_E_TOKEN_VERSION;
    size_t announced = csu_load_be16(buf + 2);
    if (announced != len || len < TOKV_MIN_LEN || len > TOKV_MAX_LEN)
        return CSU_E_KEY_LENGTH;
    if (buf[1] != 0 || !all_zero(buf + 5, 3))
        return CSU_E_TOKEN_HEADER;
    t->id = buf[0];
    return CSU_OK;
}

/* Bytes 8-29: what the key material state requires of the other fields. */
static csu_err check_wrapping(const struct tokv *t)
{
    bool no_wrap = t->kvp_type == TOKV_KVP_NONE && all_zero(t->kvp, TOKV_KVP_LEN) &&
                   t->wrap_method == TOKV_WRAP_CLEAR && t->wrap_hash == TOKV_HASH_NONE;
    switch (t->kms) {
    case TOKV_KMS_NONE:
        return no_wrap && t->pfv <= 1 ? CSU_OK : CSU_E_TOKEN_CONSISTENCY;
    case TOKV_KMS_CLEAR:
        return no_wrap && t->pfv == 0 ? CSU_OK : CSU_E_TOKEN_CONSISTENCY;
    case TOKV_KMS_KEK:
        return t->id == TOKV_ID_EXTERNAL && t->kvp_type == TOKV_KVP_KEK &&
                       (t->wrap_method == TOKV_WRAP_AESKW || t->wrap_method == TOKV_WRAP_PKOAEP2) &&
                       t->wrap_hash != TOKV_HASH_NONE && t->pfv <= 1
                   ? CSU_OK
                   : CSU_E_TOKEN_CONSISTENCY;
    case TOKV_KMS_MK:
        return t->id == TOKV_ID_INTERNAL && t->kvp_type == TOKV_KVP_AES_MK && all_zero(t->kvp + 8, 8) &&
                       t->wrap_method == TOKV_WRAP_AESKW && t->wrap_hash == TOKV_HASH_SHA256 && t->pfv <= 1
                   ? CSU_OK
                   : CSU_E_TOKEN_CONSISTENCY;
    default:
        return CSU_E_TOKEN_CONSISTENCY;
    }
}

static csu_err parse_wrapping(const uint8_t *buf, struct tokv *t)
{
    t->kms = buf[8];
    t->kvp_type = buf[9];
    memcpy(t->kvp, buf + 10, TOKV_KVP_LEN);
    t->wrap_method = buf[26];
    t->wrap_hash = buf[27];
    t->pfv = buf[28];
    if (buf[29] != 0)
        return CSU_E_TOKEN_CONSISTENCY;
    return check_wrapping(t);
}

static bool type_valid(uint8_t alg, uint16_t type)
{
    if (alg == TOKV_ALG_AES)
        return type >= TOKV_CIPHER && type <= TOKV_IMPORTER;
    return alg == TOKV_ALG_HMAC && type == TOKV_MAC;
}

/* A count byte, bounded, then that many u16 fields. */
static bool parse_fields(const uint8_t *buf, size_t len, size_t *off, uint8_t *count, uint16_t *fields)
{
    if (!csu_mu_u8_unmarshal(buf, len, off, count) || *count > TOKV_MAX_FIELDS)
        return false;
    for (unsigned i = 0; i < *count; i++)
        if (!csu_mu_u16_unmarshal(buf, len, off, &fields[i]))
            return false;
    return true;
}

static bool parse_bytes(const uint8_t *buf, size_t len, size_t *off, size_t n, uint8_t *out)
{
    const uint8_t *p;
    if (!csu_mu_bytes_ref(buf, len, off, n, &p))
        return false;
    memcpy(out, p, n);
    return true;
}

/* The associated-data section, bytes 30 .. 30+adl. */
static csu_err parse_ad(const uint8_t *buf, size_t len, struct tokv *t, size_t *end)
{
    size_t off = TOKV_AD_OFFSET;
    uint16_t adl;
    const uint8_t *fixed;
    if (!csu_mu_bytes_ref(buf, len, &off, 2, &fixed) || fixed[0] != 0x01 || fixed[1] != 0 ||
        !csu_mu_u16_unmarshal(buf, len, &off, &adl))
        return CSU_E_TOKEN_CONSISTENCY;
    const uint8_t *lens;
    if (!csu_mu_bytes_ref(buf, len, &off, 4, &lens) || lens[3] != 0)
        return CSU_E_TOKEN_CONSISTENCY;
    t->name_len = lens[0];
    t->iead_len = lens[1];
    t->uad_len = lens[2];
    const uint8_t *alg;
    if (!csu_mu_u16_unmarshal(buf, len, &off, &t->payload_bits) || !csu_mu_bytes_ref(buf, len, &off, 2, &alg) ||
        alg[0] != 0 || !csu_mu_u16_unmarshal(buf, len, &off, &t->key_type))
        return CSU_E_TOKEN_CONSISTENCY;
    t->alg = alg[1];
    if (!type_valid(t->alg, t->key_type) || (t->pfv == 1 && t->alg != TOKV_ALG_AES))
        return CSU_E_TOKEN_CONSISTENCY;
    if (!parse_fields(buf, len, &off, &t->kuf_count, t->kuf) || !parse_fields(buf, len, &off, &t->kmf_count, t->kmf))
        return CSU_E_TOKEN_CONSISTENCY;
    if ((t->name_len != 0 && t->name_len != TOKV_NAME_LEN) || adl != tokv_ad_length(t))
        return CSU_E_TOKEN_CONSISTENCY;
    if (!parse_bytes(buf, len, &off, t->name_len, t->name) || !parse_bytes(buf, len, &off, t->iead_len, t->iead) ||
        !parse_bytes(buf, len, &off, t->uad_len, t->uad))
        return CSU_E_TOKEN_CONSISTENCY;
    *end = off;
    return CSU_OK;
}

/* The payload length the key material state allows. */
static csu_err check_payload_bits(const struct tokv *t)
{
    switch (t->kms) {
    case TOKV_KMS_NONE:
        return t->payload_bits == 0 ? CSU_OK : CSU_E_PAYLOAD;
    case TOKV_KMS_CLEAR:
        return tokv_key_bits_valid(t->alg, t->payload_bits) ? CSU_OK : CSU_E_PAYLOAD;
    case TOKV_KMS_MK: /* AES key wrap output: whole 64-bit blocks, at least two */
        return t->payload_bits >= 128 && t->payload_bits % 64 == 0 ? CSU_OK : CSU_E_PAYLOAD;
    default:
        return t->payload_bits > 0 ? CSU_OK : CSU_E_PAYLOAD;
    }
}

csu_err tokv_parse(const uint8_t *buf, size_t len, struct tokv *t)
{
    memset(t, 0, sizeof(*t));
    csu_err err = parse_header(buf, len, t);
    if (err == CSU_OK)
        err = parse_wrapping(buf, t);
    size_t off = 0;
    if (err == CSU_OK)
        err = parse_ad(buf, len, t, &off);
    if (err != CSU_OK)
        return err;
    size_t n = payload_bytes(t->payload_bits);
    if (n > TOKV_MAX_PAYLOAD || n != len - off)
        return CSU_E_TOKEN_CONSISTENCY;
    memcpy(t->payload, buf + off, n);
    return check_payload_bits(t);
}

/* ---- building ----------------------------------------------------------- */

static bool put_fields(uint8_t count, const uint16_t *fields, uint8_t *out, size_t cap, size_t *off)
{
    bool ok = csu_mu_u8_marshal(count, out, cap, off);
    for (unsigned i = 0; ok && i < count; i++)
        ok = csu_mu_u16_marshal(fields[i], out, cap, off);
    return ok;
}

csu_err tokv_write_prefix(const struct tokv *t, uint8_t *out, size_t cap, size_t *len)
{
    static const uint8_t zero[4];
    size_t total = tokv_length(t), off = 0;
    if (t->kuf_count > TOKV_MAX_FIELDS || t->kmf_count > TOKV_MAX_FIELDS || total > TOKV_MAX_LEN ||
        payload_bytes(t->payload_bits) > TOKV_MAX_PAYLOAD)
        return CSU_E_LENGTH;
    bool ok = csu_mu_u8_marshal(t->id, out, cap, &off) && csu_mu_u8_marshal(0, out, cap, &off) &&
              csu_mu_u16_marshal((uint16_t)total, out, cap, &off) &&
              csu_mu_u8_marshal(TOKV_VERSION, out, cap, &off) && csu_mu_bytes_marshal(zero, 3, out, cap, &off);
    ok = ok && csu_mu_u8_marshal(t->kms, out, cap, &off) && csu_mu_u8_marshal(t->kvp_type, out, cap, &off) &&
         csu_mu_bytes_marshal(t->kvp, TOKV_KVP_LEN, out, cap, &off) &&
         csu_mu_u8_marshal(t->wrap_method, out, cap, &off) && csu_mu_u8_marshal(t->wrap_hash, out, cap, &off) &&
         csu_mu_u8_marshal(t->pfv, out, cap, &off) && csu_mu_u8_marshal(0, out, cap, &off);
    ok = ok && csu_mu_u8_marshal(0x01, out, cap, &off) && csu_mu_u8_marshal(0, out, cap, &off) &&
         csu_mu_u16_marshal((uint16_t)tokv_ad_length(t), out, cap, &off) &&
         csu_mu_u8_marshal(t->name_len, out, cap, &off) && csu_mu_u8_marshal(t->iead_len, out, cap, &off) &&
         csu_mu_u8_marshal(t->uad_len, out, cap, &off) && csu_mu_u8_marshal(0, out, cap, &off) &&
         csu_mu_u16_marshal(t->payload_bits, out, cap, &off) && csu_mu_u8_marshal(0, out, cap, &off) &&
         csu_mu_u8_marshal(t->alg, out, cap, &off) && csu_mu_u16_marshal(t->key_type, out, cap, &off);
    ok = ok && put_fields(t->kuf_count, t->kuf, out, cap, &off) && put_fields(t->kmf_count, t->kmf, out, cap, &off);
    ok = ok && csu_mu_bytes_marshal(t->name, t->name_len, out, cap, &off) &&
         csu_mu_bytes_marshal(t->iead, t->iead_len, out, cap, &off) &&
         csu_mu_bytes_marshal(t->uad, t->uad_len, out, cap, &off);
    if (!ok)
        return CSU_E_LENGTH;
    *len = off;
    return CSU_OK;
}

csu_err tokv_build(const struct tokv *t, uint8_t *out, size_t cap, size_t *len)
{
    size_t off;
    csu_err err = tokv_write_prefix(t, out, cap, &off);
    if (err != CSU_OK)
        return err;
    if (!csu_mu_bytes_marshal(t->payload, payload_bytes(t->payload_bits), out, cap, &off))
        return CSU_E_LENGTH;
    *len = off;
    return CSU_OK;
}

/* ---- skeletons ---------------------------------------------------------- */

/* Key-usage defaults per algorithm and type (docs/tokens-v5.md). */
struct skeleton_default {
    uint8_t alg;
    uint16_t type;
    uint16_t kuf1, kuf2;
};

static const struct skeleton_default skeleton_defaults[] = {
    {TOKV_ALG_AES, TOKV_CIPHER, TOKV_KUF1_ENCRYPT | TOKV_KUF1_DECRYPT, 0x0000 /* CBC */},
    {TOKV_ALG_AES, TOKV_MAC, TOKV_KUF1_GENERATE, 0x0100 /* CMAC */},
    {TOKV_ALG_AES, TOKV_EXPORTER, TOKV_KUF1_EXPORT, 0x0000},
    {TOKV_ALG_AES, TOKV_IMPORTER, TOKV_KUF1_IMPORT, 0x0000},
    {TOKV_ALG_HMAC, TOKV_MAC, TOKV_KUF1_GENERATE, TOKV_KUF2_HASH_ALL},
};

/* Export by symmetric and asymmetric keys allowed; raw and CPACF export not. */
#define TOKV_KMF1_DEFAULT (TOKV_KMF1_XPRT_SYM | TOKV_KMF1_XPRTUASY | TOKV_KMF1_XPRTAASY)

csu_err tokv_default_skeleton(uint8_t alg, uint16_t type, struct tokv *t)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < sizeof(skeleton_defaults) / sizeof(skeleton_defaults[0]); i++) {
        const struct skeleton_default *d = &skeleton_defaults[i];
        if (d->alg != alg || d->type != type)
            continue;
        t->id = TOKV_ID_INTERNAL;
        t->kms = TOKV_KMS_NONE;
        t->alg = alg;
        t->key_type = type;
        t->kuf_count = 2;
        t->kuf[0] = d->kuf1;
        t->kuf[1] = d->kuf2;
        t->kmf_count = 3;
        t->kmf[0] = TOKV_KMF1_DEFAULT;
        return CSU_OK;
    }
    return CSU_E_KEY_TYPE;
}

/* CSNBKTB2 keywords.  Kinds marked "one" may appear once; flag kinds set
 * or clear bits of a field, and two keywords touching one bit conflict. */
enum ktb2_kind {
    K_ID, K_ALG, K_KEY, K_TYPE, K_PARTS, K_PFV, /* one of each */
    K_KMF1, K_USE, K_MODE, K_HASH, K_MACMODE,   /* flags */
    K_KIND_COUNT
};

struct ktb2_word {
    char word[9];
    uint8_t kind;
    uint16_t value; /* bits set (flags) or the choice (one) */
    uint16_t mask;  /* bits the keyword decides (flags) */
    uint8_t alg;    /* 0: any algorithm */
    uint16_t type;  /* 0: any key type */
};

#define A TOKV_ALG_AES
#define H TOKV_ALG_HMAC
static const struct ktb2_word ktb2_words[] = {
    {"INTERNAL", K_ID, TOKV_ID_INTERNAL, 0, 0, 0},
    {"EXTERNAL", K_ID, TOKV_ID_EXTERNAL, 0, 0, 0},
    {"AES", K_ALG, A, 0, 0, 0},
    {"HMAC", K_ALG, H, 0, 0, 0},
    {"NO-KEY", K_KEY, 0, 0, 0, 0},
    {"KEY-CLR", K_KEY, 1, 0, 0, 0},
    {"CIPHER", K_TYPE, TOKV_CIPHER, 0, 0, 0},
    {"MAC", K_TYPE, TOKV_MAC, 0, 0, 0},
    {"EXPORTER", K_TYPE, TOKV_EXPORTER, 0, 0, 0},
    {"IMPORTER", K_TYPE, TOKV_IMPORTER, 0, 0, 0},
    {"MIN1PART", K_PARTS, 1, 0, 0, 0},
    {"MIN2PART", K_PARTS, 2, 0, 0, 0},
    {"MIN3PART", K_PARTS, 3, 0, 0, 0},
    {"V0PYLD", K_PFV, 0, 0, A, 0},
    {"V1PYLD", K_PFV, 1, 0, A, 0},
    {"XPRT-SYM", K_KMF1, TOKV_KMF1_XPRT_SYM, TOKV_KMF1_XPRT_SYM, 0, 0},
    {"NOEX-SYM", K_KMF1, 0, TOKV_KMF1_XPRT_SYM, 0, 0},
    {"XPRTUASY", K_KMF1, TOKV_KMF1_XPRTUASY, TOKV_KMF1_XPRTUASY, 0, 0},
    {"NOEXUASY", K_KMF1, 0, TOKV_KMF1_XPRTUASY, 0, 0},
    {"XPRTAASY", K_KMF1, TOKV_KMF1_XPRTAASY, TOKV_KMF1_XPRTAASY, 0, 0},
    {"NOEXAASY", K_KMF1, 0, TOKV_KMF1_XPRTAASY, 0, 0},
    {"XPRT-RAW", K_KMF1, TOKV_KMF1_XPRT_RAW, TOKV_KMF1_XPRT_RAW, 0, 0},
    {"NOEX-RAW", K_KMF1, 0, TOKV_KMF1_XPRT_RAW, 0, 0},
    {"XPRTCPAC", K_KMF1, TOKV_KMF1_XPRTCPAC, TOKV_KMF1_XPRTCPAC, 0, 0},
    {"NOEX-DES", K_KMF1, TOKV_KMF1_NOEX_DES, TOKV_KMF1_NOEX_DES, 0, 0},
    {"NOEX-AES", K_KMF1, TOKV_KMF1_NOEX_AES, TOKV_KMF1_NOEX_AES, 0, 0},
    {"NOEX-RSA", K_KMF1, TOKV_KMF1_NOEX_RSA, TOKV_KMF1_NOEX_RSA, 0, 0},
    {"ENCRYPT", K_USE, TOKV_KUF1_ENCRYPT, TOKV_KUF1_ENCRYPT, A, TOKV_CIPHER},
    {"DECRYPT", K_USE, TOKV_KUF1_DECRYPT, TOKV_KUF1_DECRYPT, A, TOKV_CIPHER},
    {"GENERATE", K_USE, TOKV_KUF1_GENERATE, TOKV_KUF1_GENERATE, 0, TOKV_MAC},
    {"VERIFY", K_USE, TOKV_KUF1_VERIFY, TOKV_KUF1_GENERATE, 0, TOKV_MAC},
    {"CBC", K_MODE, 0x0000, 0xFF00, A, TOKV_CIPHER},
    {"ECB", K_MODE, 0x0100, 0xFF00, A, TOKV_CIPHER},
    {"CFB", K_MODE, 0x0200, 0xFF00, A, TOKV_CIPHER},
    {"OFB", K_MODE, 0x0300, 0xFF00, A, TOKV_CIPHER},
    {"GCM", K_MODE, 0x0400, 0xFF00, A, TOKV_CIPHER},
    {"XTS", K_MODE, 0x0500, 0xFF00, A, TOKV_CIPHER},
    {"ANY-MODE", K_MODE, 0xFF00, 0xFF00, A, TOKV_CIPHER},
    {"CMAC", K_MACMODE, 0x0100, 0xFF00, A, TOKV_MAC},
    {"SHA-1", K_HASH, 0x8000, 0x8000, H, TOKV_MAC},
    {"SHA-224", K_HASH, 0x4000, 0x4000, H, TOKV_MAC},
    {"SHA-256", K_HASH, 0x2000, 0x2000, H, TOKV_MAC},
    {"SHA-384", K_HASH, 0x1000, 0x1000, H, TOKV_MAC},
    {"SHA-512", K_HASH, 0x0800, 0x0800, H, TOKV_MAC},
};
#undef A
#undef H

#define KTB2_MAX_RULES 32

/* What the keywords said, before it is checked against the key type. */
struct ktb2_acc {
    bool one_seen[K_KIND_COUNT];
    uint16_t one[K_KIND_COUNT];
    uint16_t set[K_KIND_COUNT];  /* flag kinds: bits set */
    uint16_t seen[K_KIND_COUNT]; /* flag kinds: bits decided */
    const struct ktb2_word *words[KTB2_MAX_RULES];
    unsigned count;
};

static const struct ktb2_word *ktb2_lookup(const uint8_t *rule)
{
    uint8_t want[CSU_RULE_WORD];
    for (size_t i = 0; i < CSU_RULE_WORD; i++) { /* NUL as blank, lower case folded, as csu_rules */
        uint8_t c = rule[i];
        want[i] = c == 0 ? ' ' : (c >= 'a' && c <= 'z') ? (uint8_t)(c - 'a' + 'A') : c;
    }
    for (size_t i = 0; i < sizeof(ktb2_words) / sizeof(ktb2_words[0]); i++) {
        uint8_t padded[CSU_RULE_WORD];
        csu_rules_put_word(padded, ktb2_words[i].word);
        if (memcmp(padded, want, CSU_RULE_WORD) == 0)
            return &ktb2_words[i];
    }
    return NULL;
}

static csu_err ktb2_collect(long count, const uint8_t *rules, struct ktb2_acc *acc)
{
    if (count < 1 || count > KTB2_MAX_RULES)
        return CSU_E_RULE_COUNT;
    if (!rules)
        return CSU_E_NULL_POINTER;
    for (long i = 0; i < count; i++) {
        const struct ktb2_word *w = ktb2_lookup(rules + (size_t)i * CSU_RULE_WORD);
        if (!w)
            return CSU_E_RULE_KEYWORD;
        if (w->kind < K_KMF1) {
            if (acc->one_seen[w->kind])
                return CSU_E_RULE_CONFLICT;
            acc->one_seen[w->kind] = true;
            acc->one[w->kind] = w->value;
        } else {
            if (acc->seen[w->kind] & w->mask)
                return CSU_E_RULE_CONFLICT;
            acc->seen[w->kind] |= w->mask;
            acc->set[w->kind] |= w->value;
        }
        acc->words[acc->count++] = w;
    }
    if (!acc->one_seen[K_ID] || !acc->one_seen[K_ALG] || !acc->one_seen[K_TYPE])
        return CSU_E_RULE_MISSING;
    return CSU_OK;
}

/* Every keyword must belong to the algorithm and key type chosen. */
static csu_err ktb2_check_fit(const struct ktb2_acc *acc)
{
    uint8_t alg = (uint8_t)acc->one[K_ALG];
    uint16_t type = acc->one[K_TYPE];
    for (unsigned i = 0; i < acc->count; i++) {
        const struct ktb2_word *w = acc->words[i];
        if ((w->alg && w->alg != alg) || (w->type && w->type != type))
            return CSU_E_RULE_CONFLICT;
    }
    bool key_clear = acc->one_seen[K_KEY] && acc->one[K_KEY];
    if (key_clear && (acc->one_seen[K_PARTS] || (acc->one_seen[K_PFV] && acc->one[K_PFV])))
        return CSU_E_RULE_CONFLICT;
    return CSU_OK;
}

static uint16_t apply_flags(uint16_t dflt, const struct ktb2_acc *acc, enum ktb2_kind k)
{
    return (uint16_t)((dflt & ~acc->seen[k]) | acc->set[k]);
}

csu_err tokv_ktb2_parse(long count, const uint8_t *rules, struct tokv_request *req)
{
    struct ktb2_acc acc = {0};
    csu_err err = ktb2_collect(count, rules, &acc);
    if (err == CSU_OK)
        err = ktb2_check_fit(&acc);
    if (err == CSU_OK && tokv_default_skeleton((uint8_t)acc.one[K_ALG], acc.one[K_TYPE], &req->tok) != CSU_OK)
        err = CSU_E_RULE_CONFLICT; /* e.g. HMAC CIPHER */
    if (err != CSU_OK)
        return err;
    struct tokv *t = &req->tok;
    req->id = (uint8_t)acc.one[K_ID];
    req->key_clear = acc.one_seen[K_KEY] && acc.one[K_KEY];
    t->id = req->id;
    t->pfv = (uint8_t)acc.one[K_PFV];
    if (acc.seen[K_USE]) /* usage keywords name every use allowed */
        t->kuf[0] = acc.set[K_USE];
    /* Only one of mode, MAC mode and hash applies to a given key type. */
    t->kuf[1] = apply_flags(t->kuf[1], &acc, K_MODE);
    t->kuf[1] = apply_flags(t->kuf[1], &acc, K_MACMODE);
    if (acc.seen[K_HASH]) /* no hash keyword: every hash allowed */
        t->kuf[1] = acc.set[K_HASH];
    t->kmf[0] = apply_flags(t->kmf[0], &acc, K_KMF1);
    tokv_set_parts(t, acc.one[K_PARTS]);
    return CSU_OK;
}
