/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the version X'05' token parser/builder (card/tok_var.c)
 * and its AESKW wrapping (card/wrap_var.c): field by field, the KRN
 * skeleton byte-exact, the payload lengths, every rejection class and
 * every single-bit change of an internal token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tok_var.h"
#include "wrap_var.h"

/* reference §1.4: the 56-byte skeleton of KRN's keyword list. */
static const uint8_t krn_skeleton[56] = {
    0x01, 0x00, 0x00, 0x38, 0x05, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x01, 0x00, 0x00, 0x1A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x02, 0xC0, 0x00, 0xFF, 0x00,
    0x03, 0x08, 0xC8, 0x00, 0x00, 0x00, 0x00};

static const char *const krn_words[] = {"INTERNAL", "NO-KEY", "AES", "CIPHER", "ANY-MODE", "NOEX-SYM", "NOEXAASY",
                                        "NOEXUASY", "XPRTCPAC", "NOEX-RAW", "NOEX-DES", "NOEX-AES", "NOEX-RSA"};

static const uint8_t test_mk[32] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xA9, 0xBA,
                                    0xCB, 0xDC, 0xED, 0xFE, 0x0F, 1, 2, 3, 4, 5, 6, 7, 8,
                                    9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t test_vp[8] = {0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18};

/* Blank-padded rule array from keywords. */
static long rules(uint8_t *out, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(out + 8 * i, ' ', 8);
        memcpy(out + 8 * i, words[i], strlen(words[i]));
    }
    return (long)n;
}

static csu_err ktb2(struct tokv_request *rq, const char *const *words, size_t n)
{
    uint8_t ra[8 * 40];
    return tokv_ktb2_parse(rules(ra, words, n), ra, rq);
}

#define KTB2(rq, ...)                                                                                               \
    ktb2(rq, (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* A complete internal token of @p alg / @p bits / @p pfv under test_mk. */
static size_t make_internal(uint8_t alg, uint16_t type, unsigned bits, uint8_t pfv, uint8_t *out, size_t cap)
{
    struct tokv t;
    assert_int_equal(tokv_default_skeleton(alg, type, &t), CSU_OK);
    t.pfv = pfv;
    struct wrapv_key k = {.bits = bits};
    for (unsigned i = 0; i < bits / 8; i++)
        k.bytes[i] = (uint8_t)(i * 7 + 3);
    assert_int_equal(wrapv_seal(&t, test_mk, test_vp, &k), CSU_OK);
    size_t len = 0;
    assert_int_equal(tokv_build(&t, out, cap, &len), CSU_OK);
    return len;
}

static void test_krn_skeleton_byte_exact(void **state)
{
    (void)state;
    struct tokv_request rq;
    assert_int_equal(ktb2(&rq, krn_words, sizeof(krn_words) / sizeof(krn_words[0])), CSU_OK);
    uint8_t out[TOKV_MAX_LEN];
    size_t len = 0;
    assert_int_equal(tokv_build(&rq.tok, out, sizeof(out), &len), CSU_OK);
    assert_int_equal(len, sizeof(krn_skeleton));
    assert_memory_equal(out, krn_skeleton, sizeof(krn_skeleton));
}

static void test_parse_skeleton_fields(void **state)
{
    (void)state;
    struct tokv t;
    assert_int_equal(tokv_parse(krn_skeleton, sizeof(krn_skeleton), &t), CSU_OK);
    assert_int_equal(t.id, TOKV_ID_INTERNAL);
    assert_int_equal(t.kms, TOKV_KMS_NONE);
    assert_int_equal(t.kvp_type, 0);
    assert_int_equal(t.wrap_method, 0);
    assert_int_equal(t.alg, TOKV_ALG_AES);
    assert_int_equal(t.key_type, TOKV_CIPHER);
    assert_int_equal(t.kuf_count, 2);
    assert_int_equal(t.kuf[0], 0xC000);
    assert_int_equal(t.kuf[1], 0xFF00);
    assert_int_equal(t.kmf_count, 3);
    assert_int_equal(t.kmf[0], 0x08C8);
    assert_int_equal(t.kmf[1], 0);
    assert_int_equal(t.kmf[2], 0);
    assert_int_equal(t.payload_bits, 0);
    assert_int_equal(tokv_ad_length(&t), 26);
    assert_int_equal(tokv_payload_offset(&t), 56);
    uint8_t out[64];
    size_t len = 0;
    assert_int_equal(tokv_build(&t, out, sizeof(out), &len), CSU_OK);
    assert_memory_equal(out, krn_skeleton, 56);
    assert_int_equal(tokv_build(&t, out, 55, &len), CSU_E_LENGTH);
}

static void test_ktb2_defaults(void **state)
{
    (void)state;
    struct tokv_request rq;
    assert_int_equal(KTB2(&rq, "INTERNAL", "HMAC", "MAC", "GENERATE"), CSU_OK);
    assert_int_equal(rq.tok.alg, TOKV_ALG_HMAC);
    assert_int_equal(rq.tok.key_type, TOKV_MAC);
    assert_int_equal(rq.tok.kuf[0], TOKV_KUF1_GENERATE);
    assert_int_equal(rq.tok.kuf[1], TOKV_KUF2_HASH_ALL); /* no hash keyword: every hash */
    assert_int_equal(rq.tok.kmf[0], 0xE000);
    assert_false(rq.key_clear);
    assert_int_equal(KTB2(&rq, "INTERNAL", "NO-KEY", "HMAC", "MAC", "GENERATE"), CSU_OK);
    assert_int_equal(tokv_length(&rq.tok), 56);
    assert_int_equal(KTB2(&rq, "INTERNAL", "HMAC", "MAC", "VERIFY", "SHA-256", "SHA-512"), CSU_OK);
    assert_int_equal(rq.tok.kuf[0], TOKV_KUF1_VERIFY);
    assert_int_equal(rq.tok.kuf[1], 0x2800);
    assert_int_equal(KTB2(&rq, "EXTERNAL", "AES", "CIPHER", "ENCRYPT", "ECB", "MIN3PART"), CSU_OK);
    assert_int_equal(rq.tok.id, TOKV_ID_EXTERNAL);
    assert_int_equal(rq.tok.kuf[0], TOKV_KUF1_ENCRYPT);
    assert_int_equal(rq.tok.kuf[1], 0x0100);
    assert_int_equal(tokv_parts(&rq.tok), 3);
    assert_int_equal(KTB2(&rq, "INTERNAL", "AES", "EXPORTER", "V1PYLD"), CSU_OK);
    assert_int_equal(rq.tok.key_type, TOKV_EXPORTER);
    assert_int_equal(rq.tok.pfv, 1);
    assert_int_equal(KTB2(&rq, "internal", "aes", "importer", "key-clr"), CSU_OK); /* case folded */
    assert_true(rq.key_clear);
    assert_int_equal(rq.tok.key_type, TOKV_IMPORTER);
    assert_int_equal(KTB2(&rq, "INTERNAL", "AES", "MAC", "CMAC", "XPRT-RAW"), CSU_OK);
    assert_int_equal(rq.tok.kuf[1], 0x0100);
    assert_int_equal(rq.tok.kmf[0], 0xF000);
}

static void test_ktb2_keyword_errors(void **state)
{
    (void)state;
    struct tokv_request rq;
    uint8_t ra[8 * 40];
    assert_int_equal(KTB2(&rq, "INTERNAL", "AES", "CIPHER", "BOGUS"), CSU_E_RULE_KEYWORD);
    assert_int_equal(KTB2(&rq, "INTERNAL", "DES", "CIPHER"), CSU_E_RULE_KEYWORD);
    assert_int_equal(KTB2(&rq, "INTERNAL", "AES", "CIPHER", "XPRT-SYM", "NOEX-SYM"), CSU_E_RULE_CONFLICT);
    assert_int_equal(KTB2(&rq, "INTERNAL", "AES", "CIPHER", "NOEX-DES", "NOEX-DES"), CSU_E_RULE_CONFLICT);
    assert_int_equal(KTB2(&rq, "INTERNAL", "HMAC", "MAC", "GENERATE", "VERIFY"), CSU_E_RULE_CONFLICT);
    assert_int_equal(KTB2(&rq, "INTERNAL", "HMAC", "MAC", "SHA-1", "SHA-1"), CSU_E_RULE_CONFLICT);
    assert_int_equal(KTB2(&rq, "INTERNAL", "AES", "MAC", "ENCRYPT"), CSU_E_RULE_CONFLICT);
    assert_int_equal(KTB2(&rq, "INTERNAL", "AES", "MAC", "SHA-256"), CSU_E_RULE_CONFLICT);
    assert_int_equal(KTB2(&rq, "INTERNAL", "HMAC", "CIPHER"), CSU_E_RULE_CONFLICT);
    assert_int_equal(KTB2(&rq, "INTERNAL", "HMAC", "MAC", "V1PYLD"), CSU_E_RULE_CONFLICT);
    assert_int_equal(KTB2(&rq, "INTERNAL", "AES", "CIPHER", "CBC", "ECB"), CSU_E_RULE_CONFLICT);
    assert_int_equal(KTB2(&rq, "INTERNAL", "AES", "CIPHER", "KEY-CLR", "MIN2PART"), CSU_E_RULE_CONFLICT);
    assert_int_equal(KTB2(&rq, "INTERNAL", "EXTERNAL", "AES", "CIPHER"), CSU_E_RULE_CONFLICT);
    assert_int_equal(KTB2(&rq, "INTERNAL", "CIPHER"), CSU_E_RULE_MISSING);
    assert_int_equal(KTB2(&rq, "AES", "CIPHER"), CSU_E_RULE_MISSING);
    assert_int_equal(KTB2(&rq, "INTERNAL", "AES"), CSU_E_RULE_MISSING);
    assert_int_equal(tokv_ktb2_parse(0, ra, &rq), CSU_E_RULE_COUNT);
    assert_int_equal(tokv_ktb2_parse(33, ra, &rq), CSU_E_RULE_COUNT);
    assert_int_equal(tokv_ktb2_parse(-1, ra, &rq), CSU_E_RULE_COUNT);
    assert_int_equal(tokv_ktb2_parse(3, NULL, &rq), CSU_E_NULL_POINTER);
}

static void test_wrapped_lengths(void **state)
{
    (void)state;
    static const struct {
        uint8_t alg;
        unsigned bits;
        uint8_t pfv;
        size_t token, payload_bits;
    } cases[] = {
        {TOKV_ALG_AES, 128, 0, 120, 512}, {TOKV_ALG_AES, 192, 0, 128, 576}, {TOKV_ALG_AES, 256, 0, 136, 640},
        {TOKV_ALG_AES, 128, 1, 136, 640}, {TOKV_ALG_AES, 192, 1, 136, 640}, {TOKV_ALG_AES, 256, 1, 136, 640},
        {TOKV_ALG_HMAC, 80, 0, 120, 512}, {TOKV_ALG_HMAC, 2048, 0, 360, 2432},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t buf[TOKV_MAX_LEN];
        uint16_t type = cases[i].alg == TOKV_ALG_AES ? TOKV_CIPHER : TOKV_MAC;
        size_t len = make_internal(cases[i].alg, type, cases[i].bits, cases[i].pfv, buf, sizeof(buf));
        assert_int_equal(len, cases[i].token);
        assert_int_equal((buf[2] << 8) | buf[3], cases[i].token);
        struct tokv t;
        assert_int_equal(tokv_parse(buf, len, &t), CSU_OK);
        assert_int_equal(t.payload_bits, cases[i].payload_bits);
        assert_int_equal(t.kms, TOKV_KMS_MK);
        assert_int_equal(t.kvp_type, TOKV_KVP_AES_MK);
        assert_memory_equal(t.kvp, test_vp, 8);
        assert_int_equal(t.wrap_method, TOKV_WRAP_AESKW);
        assert_int_equal(t.wrap_hash, TOKV_HASH_SHA256);
        struct wrapv_key k;
        assert_int_equal(wrapv_open(&t, test_mk, &k), CSU_OK);
        assert_int_equal(k.bits, cases[i].bits);
        for (unsigned b = 0; b < k.bits / 8; b++)
            assert_int_equal(k.bytes[b], (uint8_t)(b * 7 + 3));
        uint8_t again[TOKV_MAX_LEN];
        size_t again_len = 0;
        assert_int_equal(tokv_build(&t, again, sizeof(again), &again_len), CSU_OK);
        assert_int_equal(again_len, len);
        assert_memory_equal(again, buf, len);
    }
}

static void test_seal_rejects_bad_lengths(void **state)
{
    (void)state;
    struct tokv t;
    struct wrapv_key k = {.bits = 64};
    assert_int_equal(tokv_default_skeleton(TOKV_ALG_AES, TOKV_CIPHER, &t), CSU_OK);
    assert_int_equal(wrapv_seal(&t, test_mk, test_vp, &k), CSU_E_CLEAR_BITS);
    assert_int_equal(tokv_default_skeleton(TOKV_ALG_HMAC, TOKV_MAC, &t), CSU_OK);
    k.bits = 72;
    assert_int_equal(wrapv_seal(&t, test_mk, test_vp, &k), CSU_E_CLEAR_BITS);
    k.bits = 2056;
    assert_int_equal(wrapv_seal(&t, test_mk, test_vp, &k), CSU_E_CLEAR_BITS);
    k.bits = 84; /* HMAC keys are whole bytes */
    assert_int_equal(wrapv_seal(&t, test_mk, test_vp, &k), CSU_E_CLEAR_BITS);
    assert_int_equal(tokv_default_skeleton(TOKV_ALG_HMAC, TOKV_CIPHER, &t), CSU_E_KEY_TYPE);
}

/* A copy of the skeleton with one byte changed, parsed. */
static csu_err parse_with(size_t off, uint8_t value)
{
    uint8_t buf[56];
    memcpy(buf, krn_skeleton, sizeof(buf));
    buf[off] = value;
    struct tokv t;
    return tokv_parse(buf, sizeof(buf), &t);
}

static void test_parse_rejections(void **state)
{
    (void)state;
    struct tokv t;
    assert_int_equal(parse_with(0, 0x00), CSU_E_TOKEN_NULL);
    assert_int_equal(parse_with(0, 0x03), CSU_E_TOKEN_TYPE);
    assert_int_equal(parse_with(0, 0x1F), CSU_E_TOKEN_TYPE);
    assert_int_equal(parse_with(4, 0x04), CSU_E_TOKEN_VERSION);
    assert_int_equal(parse_with(3, 0x39), CSU_E_KEY_LENGTH);  /* total length says 57 */
    assert_int_equal(parse_with(2, 0x01), CSU_E_KEY_LENGTH);
    assert_int_equal(parse_with(1, 0x01), CSU_E_TOKEN_HEADER);
    assert_int_equal(parse_with(6, 0x01), CSU_E_TOKEN_HEADER);
    assert_int_equal(parse_with(8, 0x04), CSU_E_TOKEN_CONSISTENCY); /* key material state */
    assert_int_equal(parse_with(8, 0x03), CSU_E_TOKEN_CONSISTENCY); /* MK state, no KVP */
    assert_int_equal(parse_with(9, 0x01), CSU_E_TOKEN_CONSISTENCY); /* KVP type without a key */
    assert_int_equal(parse_with(12, 0x01), CSU_E_TOKEN_CONSISTENCY);
    assert_int_equal(parse_with(26, 0x02), CSU_E_TOKEN_CONSISTENCY);
    assert_int_equal(parse_with(28, 0x02), CSU_E_TOKEN_CONSISTENCY); /* payload version */
    assert_int_equal(parse_with(29, 0x01), CSU_E_TOKEN_CONSISTENCY);
    assert_int_equal(parse_with(30, 0x02), CSU_E_TOKEN_CONSISTENCY); /* AD version */
    assert_int_equal(parse_with(33, 0x1B), CSU_E_TOKEN_CONSISTENCY); /* AD length */
    assert_int_equal(parse_with(34, 0x05), CSU_E_TOKEN_CONSISTENCY); /* key name length */
    assert_int_equal(parse_with(36, 0x01), CSU_E_TOKEN_CONSISTENCY); /* UAD length vs content */
    assert_int_equal(parse_with(37, 0x01), CSU_E_TOKEN_CONSISTENCY);
    assert_int_equal(parse_with(39, 0x08), CSU_E_TOKEN_CONSISTENCY); /* payload bits vs content */
    assert_int_equal(parse_with(41, 0x01), CSU_E_TOKEN_CONSISTENCY); /* DES */
    assert_int_equal(parse_with(41, 0x04), CSU_E_TOKEN_CONSISTENCY);
    assert_int_equal(parse_with(43, 0x09), CSU_E_TOKEN_CONSISTENCY); /* key type */
    assert_int_equal(parse_with(44, 0x03), CSU_E_TOKEN_CONSISTENCY); /* kuf count */
    assert_int_equal(parse_with(44, 0xFF), CSU_E_TOKEN_CONSISTENCY); /* kuf count overruns */
    assert_int_equal(parse_with(49, 0x04), CSU_E_TOKEN_CONSISTENCY); /* kmf count */
    assert_int_equal(parse_with(49, 0xFF), CSU_E_TOKEN_CONSISTENCY); /* kmf count overruns */
    assert_int_equal(tokv_parse(krn_skeleton, 7, &t), CSU_E_KEY_LENGTH);
    assert_int_equal(tokv_parse(NULL, 56, &t), CSU_E_KEY_LENGTH);
    assert_int_equal(tokv_parse(krn_skeleton, 55, &t), CSU_E_KEY_LENGTH);

    /* A short token that announces its length consistently (kuf count 2 but no room). */
    uint8_t tiny[46] = {0x01, 0, 0, 46, 0x05};
    tiny[30] = 0x01;
    tiny[33] = 16;
    tiny[41] = TOKV_ALG_AES;
    tiny[43] = TOKV_CIPHER;
    assert_int_equal(tokv_parse(tiny, sizeof(tiny), &t), CSU_OK); /* kuf = kmf = 0 is well formed */
    tiny[44] = 1;
    assert_int_equal(tokv_parse(tiny, sizeof(tiny), &t), CSU_E_TOKEN_CONSISTENCY);
}

static void test_payload_rejections(void **state)
{
    (void)state;
    struct tokv t;
    assert_int_equal(tokv_default_skeleton(TOKV_ALG_AES, TOKV_CIPHER, &t), CSU_OK);
    uint8_t buf[TOKV_MAX_LEN];
    size_t len;
    /* A clear token whose payload length is no AES key length. */
    t.kms = TOKV_KMS_CLEAR;
    t.payload_bits = 64;
    assert_int_equal(tokv_build(&t, buf, sizeof(buf), &len), CSU_OK);
    assert_int_equal(tokv_parse(buf, len, &t), CSU_E_PAYLOAD);
    /* A skeleton with a payload. */
    assert_int_equal(tokv_default_skeleton(TOKV_ALG_AES, TOKV_CIPHER, &t), CSU_OK);
    t.payload_bits = 8;
    assert_int_equal(tokv_build(&t, buf, sizeof(buf), &len), CSU_OK);
    assert_int_equal(tokv_parse(buf, len, &t), CSU_E_PAYLOAD);
    /* An MK-wrapped payload that is not whole 64-bit blocks. */
    len = make_internal(TOKV_ALG_AES, TOKV_CIPHER, 128, 0, buf, sizeof(buf));
    assert_int_equal(tokv_parse(buf, len, &t), CSU_OK);
    t.payload_bits = 504;
    assert_int_equal(tokv_build(&t, buf, sizeof(buf), &len), CSU_OK);
    assert_int_equal(tokv_parse(buf, len, &t), CSU_E_PAYLOAD);
    /* A valid clear HMAC token. */
    assert_int_equal(tokv_default_skeleton(TOKV_ALG_HMAC, TOKV_MAC, &t), CSU_OK);
    t.kms = TOKV_KMS_CLEAR;
    t.payload_bits = 80;
    assert_int_equal(tokv_build(&t, buf, sizeof(buf), &len), CSU_OK);
    assert_int_equal(len, 66);
    assert_int_equal(tokv_parse(buf, len, &t), CSU_OK);
}

/* Name and user AD are carried, bound by the wrap, and bounded in length. */
static void test_name_uad_and_max_length(void **state)
{
    (void)state;
    struct tokv t;
    assert_int_equal(tokv_default_skeleton(TOKV_ALG_HMAC, TOKV_MAC, &t), CSU_OK);
    t.name_len = 64;
    memset(t.name, 'A', 64);
    t.uad_len = 255;
    memset(t.uad, 0x5A, 255);
    struct wrapv_key k = {.bits = 2048};
    assert_int_equal(wrapv_seal(&t, test_mk, test_vp, &k), CSU_OK);
    uint8_t buf[TOKV_MAX_LEN];
    size_t len = 0;
    assert_int_equal(tokv_build(&t, buf, sizeof(buf), &len), CSU_OK);
    assert_int_equal(len, 56 + 64 + 255 + 304);
    struct tokv p;
    assert_int_equal(tokv_parse(buf, len, &p), CSU_OK);
    assert_int_equal(p.name_len, 64);
    assert_int_equal(p.uad_len, 255);
    assert_int_equal(wrapv_open(&p, test_mk, &k), CSU_OK);
    buf[56 + 10] ^= 1; /* a name byte */
    assert_int_equal(tokv_parse(buf, len, &p), CSU_OK);
    assert_int_equal(wrapv_open(&p, test_mk, &k), CSU_E_PAYLOAD);
    buf[56 + 10] ^= 1;
    buf[56 + 64 + 100] ^= 0x80; /* a user AD byte */
    assert_int_equal(tokv_parse(buf, len, &p), CSU_OK);
    assert_int_equal(wrapv_open(&p, test_mk, &k), CSU_E_PAYLOAD);
}

/* One changed byte in each section of an internal token: refused by the parser or the unwrap. */
static void test_tamper_each_section(void **state)
{
    (void)state;
    static const size_t offsets[] = {1, 5, 9, 10, 17, 18, 26, 27, 28, 29, 30, 31, 34, 35, 36, 37, 40, 41,
                                     42, 43, 45, 46, 47, 48, 50, 51, 52, 53, 54, 55, 56, 80, 119};
    uint8_t good[TOKV_MAX_LEN];
    size_t len = make_internal(TOKV_ALG_AES, TOKV_CIPHER, 128, 0, good, sizeof(good));
    assert_int_equal(len, 120);
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        uint8_t buf[TOKV_MAX_LEN];
        memcpy(buf, good, len);
        buf[offsets[i]] ^= 0x40;
        struct tokv t;
        struct wrapv_key k;
        csu_err err = tokv_parse(buf, len, &t);
        if (err == CSU_OK)
            err = wrapv_open(&t, test_mk, &k);
        if (err == CSU_OK)
            fail_msg("byte %zu changed, key still returned", offsets[i]);
    }
    /* The MKVP bytes parse; the card then finds no master key (8/48, end-to-end test). */
    struct tokv t;
    struct wrapv_key k;
    good[12] ^= 1;
    assert_int_equal(tokv_parse(good, len, &t), CSU_OK);
    assert_int_equal(wrapv_open(&t, test_mk, &k), CSU_E_PAYLOAD);
    good[12] ^= 1;
    /* The wrong master key. */
    uint8_t other[32];
    memcpy(other, test_mk, 32);
    other[31] ^= 1;
    assert_int_equal(tokv_parse(good, len, &t), CSU_OK);
    assert_int_equal(wrapv_open(&t, other, &k), CSU_E_PAYLOAD);
    assert_int_equal(wrapv_open(&t, test_mk, &k), CSU_OK);
}

/* Every single-bit change outside bytes 2-3 of internal AES and HMAC tokens is refused. */
static void flip_all(uint8_t alg, uint16_t type, unsigned bits)
{
    uint8_t good[TOKV_MAX_LEN];
    size_t len = make_internal(alg, type, bits, 0, good, sizeof(good));
    unsigned refused = 0;
    for (size_t byte = 0; byte < len; byte++) {
        if (byte == 2 || byte == 3)
            continue;
        for (int bit = 0; bit < 8; bit++) {
            uint8_t buf[TOKV_MAX_LEN];
            memcpy(buf, good, len);
            buf[byte] ^= (uint8_t)(1u << bit);
            struct tokv t;
            struct wrapv_key k;
            csu_err err = tokv_parse(buf, len, &t);
            if (err == CSU_OK && memcmp(t.kvp, test_vp, 8) != 0)
                err = CSU_E_MKVP; /* the card's lookup refuses it */
            if (err == CSU_OK)
                err = wrapv_open(&t, test_mk, &k);
            if (err == CSU_OK)
                fail_msg("bit %d of byte %zu flipped, key still returned", bit, byte);
            refused++;
        }
    }
    assert_int_equal(refused, (len - 2) * 8);
}

static void test_single_bit_flips(void **state)
{
    (void)state;
    flip_all(TOKV_ALG_AES, TOKV_CIPHER, 256);
    flip_all(TOKV_ALG_HMAC, TOKV_MAC, 160);
}

static void test_parts_field(void **state)
{
    (void)state;
    struct tokv t;
    assert_int_equal(tokv_default_skeleton(TOKV_ALG_AES, TOKV_CIPHER, &t), CSU_OK);
    assert_false(tokv_is_complete(&t)); /* a skeleton has no key */
    for (unsigned p = 0; p < 4; p++) {
        tokv_set_parts(&t, p);
        assert_int_equal(tokv_parts(&t), p);
        assert_int_equal(t.kmf[0], 0xE000); /* neighbours untouched */
        assert_int_equal(t.kmf[1] & ~TOKV_KMF2_PARTS_MASK, 0);
    }
    t.kms = TOKV_KMS_MK;
    tokv_set_parts(&t, 0);
    assert_true(tokv_is_complete(&t));
    tokv_set_parts(&t, 1);
    assert_false(tokv_is_complete(&t));
    t.kmf_count = 1; /* no KMF2: nothing recorded, complete */
    tokv_set_parts(&t, 3);
    assert_int_equal(tokv_parts(&t), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_krn_skeleton_byte_exact),
        cmocka_unit_test(test_parse_skeleton_fields),
        cmocka_unit_test(test_ktb2_defaults),
        cmocka_unit_test(test_ktb2_keyword_errors),
        cmocka_unit_test(test_wrapped_lengths),
        cmocka_unit_test(test_seal_rejects_bad_lengths),
        cmocka_unit_test(test_parse_rejections),
        cmocka_unit_test(test_payload_rejections),
        cmocka_unit_test(test_name_uad_and_max_length),
        cmocka_unit_test(test_tamper_each_section),
        cmocka_unit_test(test_single_bit_flips),
        cmocka_unit_test(test_parts_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
