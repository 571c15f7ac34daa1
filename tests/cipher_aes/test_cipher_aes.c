/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNBSAE/SAD, CSNBMGN2/MVR2 and CSNBHMG/HMV end to end through libcsulcca
 * and an in-process card (CSU_CARD=inproc:<mkdtemp dir>) after an AES
 * master key is loaded: published vectors with clear-key imports (CSNBCKM
 * for v4 DATA tokens, CSNBKTB2 + CSNBKPI2 for v5 tokens wrapped under the
 * master key), Wycheproof files read at run time, OpenSSL cross-checks,
 * openCryptoki's calling patterns (P2 #6, P4 #14) and the rejection codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "cca_test.h"
#include "csulincl.h"

#define WORDS CCA_WORDS /* keeps the long initialisers below on one line */

#define BUF 2500

static char card_dir[64] = "/tmp/csu-cipher-aes-XXXXXX";
static const uint8_t mk_part1[32] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE, 1, 2, 3, 4, 5, 6, 7, 8,
                                     9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
static const uint8_t mk_part2[32] = {0xA5, 0x5A, 0xA5, 0x5A, 0xA5, 0x5A, 0xA5, 0x5A, 0x33, 0x44, 0x55,
                                     0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x00,
                                     0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAB};

/* ---- helpers ------------------------------------------------------------------ */

/* A v4 AES DATA token of a clear key (CSNBCKM). */
static void v4_token(const uint8_t *key, long len, unsigned char tok[64])
{
    long rc = -1, rs = -1, count = 1;
    unsigned char ra[8];
    cca_rules_of(ra, WORDS("AES"));
    memset(tok, 0, 64); /* a null token: CSNBCKM builds a fresh one */
    CSNBCKM(&rc, &rs, NULL, NULL, &count, ra, &len, (unsigned char *)key, tok);
    assert_int_equal(rc, 0);
}

/* A v5 token wrapped under the AES master key: CSNBKTB2 skeleton + CSNBKPI2 (one part) + COMPLETE. */
static long v5_token(const char *const *words, size_t n, const char *alg, const uint8_t *key, long key_len,
                     unsigned char *tok)
{
    unsigned char ra[8 * 20];
    long rc = -1, rs = -1, count = cca_rules_of(ra, words, n), zero = 0, len = BUF;
    memset(tok, 0, BUF);
    CSNBKTB2(&rc, &rs, &zero, NULL, &count, ra, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len,
             tok);
    assert_int_equal(rc, 0);
    long bits = key_len * 8;
    count = cca_rules_of(ra, (const char *const[]){alg, "FIRST", "MIN1PART"}, 3);
    len = BUF;
    CSNBKPI2(&rc, &rs, NULL, NULL, &count, ra, &bits, (unsigned char *)key, &len, tok);
    assert_int_equal(rc, 0);
    count = cca_rules_of(ra, (const char *const[]){alg, "COMPLETE"}, 2);
    bits = 0;
    len = BUF;
    CSNBKPI2(&rc, &rs, NULL, NULL, &count, ra, &bits, NULL, &len, tok);
    assert_int_equal(rc, 0);
    return len;
}

/* One CSNBSAE or CSNBSAD call; returns the output length, codes in rc/rs. */
struct sa {
    const char *const *words;
    size_t nwords;
    unsigned char *key;
    long key_len;
    unsigned char *parms;
    long parms_len;
    long block;
    unsigned char *iv;
    long iv_len;
    unsigned char *chain;
    long chain_len;
    const unsigned char *in;
    long in_len;
    unsigned char *out;
    long out_len;
    unsigned char *aad;
    long aad_len;
    long rc, rs;
};

static long sa_call(struct sa *s, int encrypt)
{
    unsigned char ra[8 * 8];
    long count = cca_rules_of(ra, s->words, s->nwords), zero = 0;
    s->rc = s->rs = -1;
    (encrypt ? CSNBSAE : CSNBSAD)(&s->rc, &s->rs, &zero, NULL, &count, ra, &s->key_len, s->key, &s->parms_len,
                                  s->parms, &s->block, &s->iv_len, s->iv, &s->chain_len, s->chain, &s->in_len,
                                  (unsigned char *)s->in, &s->out_len, s->out, &s->aad_len, s->aad);
    return s->out_len;
}

/* ---- setup ---------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    return cca_card_open(card_dir) && cca_mk_from_parts("AES-MK", mk_part1, mk_part2) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return cca_remove_dir(card_dir);
}

/* ---- SP 800-38A ------------------------------------------------------------------ */

static const char *k128 = "2b7e151628aed2a6abf7158809cf4f3c";
static const char *pt38a = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                           "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const char *cbc38a = "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
                            "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7";
static const char *ecb38a = "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
                            "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4";

/* client-calling-patterns P2 #6: CBC [AES KEYIDENT INITIAL], IV 16, chain 32, output buffer larger. */
static void test_sp800_38a_cbc_v4(void **state)
{
    (void)state;
    uint8_t key[16], pt[64], ct[64], iv[16], out[200], back[200], chain[32];
    cca_unhex(k128, key);
    cca_unhex(pt38a, pt);
    cca_unhex(cbc38a, ct);
    unsigned char tok[64];
    v4_token(key, 16, tok);
    cca_unhex("000102030405060708090a0b0c0d0e0f", iv);
    struct sa s = {WORDS("AES", "KEYIDENT", "INITIAL"), tok, 64, NULL, 0, 16, iv, 16, chain, 32, pt, 64, out, 200,
                   NULL, 0, 0, 0};
    assert_int_equal(sa_call(&s, 1), 64);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.rs, 0);
    assert_int_equal(s.in_len, 64); /* text_length untouched */
    assert_memory_equal(out, ct, 64);
    struct sa d = {WORDS("AES", "KEYIDENT", "INITIAL"), tok, 64, NULL, 0, 16, iv, 16, chain, 32, ct, 64, back, 200,
                   NULL, 0, 0, 0};
    assert_int_equal(sa_call(&d, 0), 64);
    assert_int_equal(d.rc, 0);
    assert_memory_equal(back, pt, 64);
}

/* P2 #6: [AES ECB KEYIDENT INITIAL] with IV and chain NULL / 0. */
static void test_sp800_38a_ecb_null_iv(void **state)
{
    (void)state;
    uint8_t key[16], pt[64], ct[64], out[64];
    cca_unhex(k128, key);
    cca_unhex(pt38a, pt);
    cca_unhex(ecb38a, ct);
    unsigned char tok[64];
    v4_token(key, 16, tok);
    struct sa s = {WORDS("AES", "ECB", "KEYIDENT", "INITIAL"), tok, 64, NULL, 0, 16, NULL, 0, NULL, 0, pt, 64, out,
                   64, NULL, 0, 0, 0};
    assert_int_equal(sa_call(&s, 1), 64);
    assert_int_equal(s.rc, 0);
    assert_memory_equal(out, ct, 64);
    s.in = ct;
    assert_int_equal(sa_call(&s, 0), 64);
    assert_int_equal(s.rc, 0);
    assert_memory_equal(out, pt, 64);
}

/* v5 CIPHER token and KEY-CLR give the same bytes as the v4 token; OpenSSL agrees. */
static void test_cbc_v5_keyclr_openssl(void **state)
{
    (void)state;
    uint8_t key[32], iv[16], pt[100], out1[128], out2[128], ref[128], tok[BUF];
    RAND_bytes(key, 32);
    RAND_bytes(iv, 16);
    RAND_bytes(pt, sizeof(pt));
    long tl = v5_token(WORDS("INTERNAL", "NO-KEY", "AES", "CIPHER"), "AES", key, 32, tok);
    struct sa s = {WORDS("AES", "PKCS-PAD", "KEYIDENT"), tok, tl, NULL, 0, 16, iv, 16, NULL, 0, pt, 100, out1, 128,
                   NULL, 0, 0, 0};
    assert_int_equal(sa_call(&s, 1), 112);
    assert_int_equal(s.rc, 0);
    struct sa c = {WORDS("AES", "PKCS-PAD", "KEY-CLR"), key, 32, NULL, 0, 16, iv, 16, NULL, 0, pt, 100, out2, 128,
                   NULL, 0, 0, 0};
    assert_int_equal(sa_call(&c, 1), 112);
    assert_int_equal(c.rc, 0);
    assert_memory_equal(out1, out2, 112);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    assert_int_equal(EVP_EncryptInit_ex(x, EVP_aes_256_cbc(), NULL, key, iv), 1);
    EVP_EncryptUpdate(x, ref, &n1, pt, 100);
    EVP_EncryptFinal_ex(x, ref + n1, &n2);
    EVP_CIPHER_CTX_free(x);
    assert_int_equal(n1 + n2, 112);
    assert_memory_equal(out1, ref, 112);
    /* and back, padding removed */
    uint8_t back[128];
    struct sa d = {WORDS("AES", "PKCS-PAD", "KEYIDENT"), tok, tl, NULL, 0, 16, iv, 16, NULL, 0, out1, 112, back, 128,
                   NULL, 0, 0, 0};
    assert_int_equal(sa_call(&d, 0), 100);
    assert_int_equal(d.rc, 0);
    assert_memory_equal(back, pt, 100);
}

/* INITIAL/CONTINUE and FIRST/MIDDLE/LAST (PKCS-PAD) give the one-shot bytes; tampered chain_data is 8/2036. */
static void test_cbc_piecewise(void **state)
{
    (void)state;
    uint8_t key[16], iv[16], pt[80], whole[96], piece[96], chain[32];
    RAND_bytes(key, 16);
    RAND_bytes(iv, 16);
    RAND_bytes(pt, sizeof(pt));
    struct sa s = {WORDS("AES", "PKCS-PAD", "KEY-CLR", "ONLY"), key, 16, NULL, 0, 16, iv, 16, NULL, 0, pt, 80, whole,
                   96, NULL, 0, 0, 0};
    assert_int_equal(sa_call(&s, 1), 96);
    assert_int_equal(s.rc, 0);
    struct sa f = {WORDS("AES", "PKCS-PAD", "KEY-CLR", "FIRST"), key, 16, NULL, 0, 16, iv, 16, chain, 32, pt, 32,
                   piece, 96, NULL, 0, 0, 0};
    assert_int_equal(sa_call(&f, 1), 32);
    assert_int_equal(f.rc, 0);
    struct sa m = {WORDS("AES", "PKCS-PAD", "KEY-CLR", "MIDDLE"), key, 16, NULL, 0, 16, NULL, 0, chain, 32, pt + 32,
                   32, piece + 32, 64, NULL, 0, 0, 0};
    assert_int_equal(sa_call(&m, 1), 32);
    assert_int_equal(m.rc, 0);
    uint8_t saved[32];
    memcpy(saved, chain, 32);
    struct sa l = {WORDS("AES", "PKCS-PAD", "KEY-CLR", "LAST"), key, 16, NULL, 0, 16, NULL, 0, chain, 32, pt + 64, 16,
                   piece + 64, 32, NULL, 0, 0, 0};
    chain[3] ^= 1; /* tampered header */
    sa_call(&l, 1);
    assert_int_equal(l.rc, 8);
    assert_int_equal(l.rs, 2036);
    memcpy(chain, saved, 32);
    assert_int_equal(sa_call(&l, 1), 32);
    assert_int_equal(l.rc, 0);
    assert_memory_equal(piece, whole, 96);
    f.chain_len = 16; /* FIRST without room for the chain data */
    sa_call(&f, 1);
    assert_int_equal(f.rc, 8);
    assert_int_equal(f.rs, 72);
    /* CBC INITIAL / CONTINUE without padding */
    struct sa i = {WORDS("AES", "KEY-CLR", "INITIAL"), key, 16, NULL, 0, 16, iv, 16, chain, 32, pt, 48, piece, 96,
                   NULL, 0, 0, 0};
    assert_int_equal(sa_call(&i, 1), 48);
    struct sa c = {WORDS("AES", "KEY-CLR", "CONTINUE"), key, 16, NULL, 0, 16, NULL, 0, chain, 32, pt + 48, 32,
                   piece + 48, 48, NULL, 0, 0, 0};
    assert_int_equal(sa_call(&c, 1), 32);
    assert_int_equal(c.rc, 0);
    assert_memory_equal(piece, whole, 80);
}

/* P2 #6 multi-part CBC as openCryptoki does it: last ciphertext block as the next IV, always INITIAL. */
static void test_ock_cbc_iv_feed(void **state)
{
    (void)state;
    uint8_t key[24], iv[16], pt[64], whole[64], piece[64], chain[32];
    RAND_bytes(key, 24);
    RAND_bytes(iv, 16);
    RAND_bytes(pt, 64);
    unsigned char tok[64];
    v4_token(key, 24, tok);
    struct sa s = {WORDS("AES", "KEYIDENT", "INITIAL"), tok, 64, NULL, 0, 16, iv, 16, chain, 32, pt, 64, whole, 1000,
                   NULL, 0, 0, 0};
    assert_int_equal(sa_call(&s, 1), 64);
    struct sa a = {WORDS("AES", "KEYIDENT", "INITIAL"), tok, 64, NULL, 0, 16, iv, 16, chain, 32, pt, 32, piece, 64,
                   NULL, 0, 0, 0};
    assert_int_equal(sa_call(&a, 1), 32);
    struct sa b = {WORDS("AES", "KEYIDENT", "INITIAL"), tok, 64, NULL, 0, 16, piece + 16, 16, chain, 32, pt + 32, 32,
                   piece + 32, 32, NULL, 0, 0, 0};
    assert_int_equal(sa_call(&b, 1), 32);
    assert_memory_equal(piece, whole, 64);
}

/* ---- GCM (Wycheproof) ----------------------------------------------------------------- */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = 0;
    fclose(f);
    return buf;
}

/* The string value of "name" inside [obj, end), copied (hex) into out; false when absent. */
static bool field(const char *obj, const char *end, const char *name, char *out, size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "\"%s\"", name);
    const char *p = strstr(obj, pat);
    if (!p || p > end)
        return false;
    p = strchr(p + strlen(pat), '"');
    if (!p)
        return false;
    const char *q = strchr(p + 1, '"');
    if (!q || (size_t)(q - p - 1) >= cap)
        return false;
    memcpy(out, p + 1, (size_t)(q - p - 1));
    out[q - p - 1] = 0;
    return true;
}

static const char *vectors_dir(void)
{
    const char *d = getenv("CSU_VECTORS_DIR");
    return d ? d : CSU_VECTORS_DIR_DEFAULT;
}

/* Every test object: the text from "tcId" to the next '}'. */
typedef void (*tc_fn)(const char *obj, const char *end, unsigned *counts);

static bool each_test(const char *file, tc_fn fn, unsigned *counts)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/wycheproof/%s", vectors_dir(), file);
    char *json = read_file(path);
    if (!json)
        return false;
    for (const char *p = strstr(json, "\"tcId\""); p; p = strstr(p + 1, "\"tcId\"")) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        fn(p, end, counts);
    }
    free(json);
    return true;
}

static bool is_valid(const char *obj, const char *end)
{
    char r[16];
    return field(obj, end, "result", r, sizeof(r)) && strcmp(r, "invalid") != 0;
}

/* counts: 0 passed valid, 1 rejected invalid, 2 skipped (IV or tag size CCA does not take) */
static void gcm_case(const char *obj, const char *end, unsigned *counts)
{
    static char hk[80], hiv[1200], haad[4200], hmsg[4200], hct[4200], htag[80];
    static uint8_t key[32], iv[600], aad[2100], msg[2100], ct[2100], tag[32], out[2100];
    if (!field(obj, end, "key", hk, sizeof(hk)) || !field(obj, end, "iv", hiv, sizeof(hiv)) ||
        !field(obj, end, "aad", haad, sizeof(haad)) || !field(obj, end, "msg", hmsg, sizeof(hmsg)) ||
        !field(obj, end, "ct", hct, sizeof(hct)) || !field(obj, end, "tag", htag, sizeof(htag))) {
        counts[2]++;
        return;
    }
    long kl = (long)cca_unhex(hk, key), ivl = (long)cca_unhex(hiv, iv), al = (long)cca_unhex(haad, aad);
    long ml = (long)cca_unhex(hmsg, msg), cl = (long)cca_unhex(hct, ct), tl = (long)cca_unhex(htag, tag);
    if (ivl == 0 || ivl > 128) { /* CCA: IV 1..128 bytes (docs/cipher-aes.md) */
        counts[2]++;
        return;
    }
    struct sa d = {WORDS("AES", "GCM", "KEY-CLR", "ONLY"), key, kl, tag, tl, 16, iv, ivl, NULL, 0, ct, cl, out,
                   (long)sizeof(out), aad, al, 0, 0};
    memset(out, 0xEE, 16);
    sa_call(&d, 0);
    if (is_valid(obj, end)) {
        assert_int_equal(d.rc, 0);
        assert_int_equal(d.out_len, ml);
        assert_memory_equal(out, msg, (size_t)ml);
        /* and encipher gives ct and tag */
        uint8_t tag2[16];
        long t2 = tl;
        struct sa e = {WORDS("AES", "GCM", "KEY-CLR"), key, kl, tag2, t2, 16, iv, ivl, NULL, 0, msg, ml, out,
                       (long)sizeof(out), aad, al, 0, 0};
        sa_call(&e, 1);
        assert_int_equal(e.rc, 0);
        assert_memory_equal(out, ct, (size_t)cl);
        assert_memory_equal(tag2, tag, (size_t)tl);
        counts[0]++;
    } else {
        assert_int_equal(d.rc, 8);
        assert_int_equal(d.rs, 2947);
        assert_int_equal(out[0], 0xEE); /* no plaintext returned */
        counts[1]++;
    }
}

static void test_gcm_wycheproof(void **state)
{
    (void)state;
    unsigned counts[3] = {0};
    if (!each_test("aes_gcm_test.json", gcm_case, counts))
        skip();
    printf("GCM: %u valid accepted, %u invalid rejected with 8/2947, %u skipped (IV 0 or > 128 bytes)\n", counts[0],
           counts[1], counts[2]);
    assert_true(counts[0] > 150 && counts[1] > 50);
}

/* GCM with a v5 CIPHER GCM key; a CBC-only key is refused for GCM (8/64). */
static void test_gcm_v5_mode_rules(void **state)
{
    (void)state;
    uint8_t key[16], iv[12], pt[40], ct[40], back[40], tag[16], tok[BUF], tok_cbc[BUF];
    RAND_bytes(key, 16);
    RAND_bytes(iv, 12);
    RAND_bytes(pt, 40);
    long tl = v5_token(WORDS("INTERNAL", "NO-KEY", "AES", "CIPHER", "GCM"), "AES", key, 16, tok);
    long tc = v5_token(WORDS("INTERNAL", "NO-KEY", "AES", "CIPHER", "CBC"), "AES", key, 16, tok_cbc);
    struct sa e = {WORDS("AES", "GCM", "ONLY"), tok, tl, tag, 16, 16, iv, 12, NULL, 0, pt, 40, ct, 40, NULL, 0, 0, 0};
    sa_call(&e, 1);
    assert_int_equal(e.rc, 0);
    struct sa d = {WORDS("AES", "GCM", "ONLY"), tok, tl, tag, 16, 16, iv, 12, NULL, 0, ct, 40, back, 40, NULL, 0, 0, 0};
    sa_call(&d, 0);
    assert_int_equal(d.rc, 0);
    assert_memory_equal(back, pt, 40);
    e.key = tok_cbc;
    e.key_len = tc;
    sa_call(&e, 1);
    assert_int_equal(e.rc, 8);
    assert_int_equal(e.rs, 64);
    /* the GCM key cannot do CBC */
    struct sa c = {WORDS("AES", "CBC"), tok, tl, NULL, 0, 16, iv, 16, NULL, 0, pt, 32, ct, 40, NULL, 0, 0, 0};
    uint8_t iv16[16] = {0};
    c.iv = iv16;
    sa_call(&c, 1);
    assert_int_equal(c.rc, 8);
    assert_int_equal(c.rs, 64);
}

/* ---- SAE/SAD rejection classes -------------------------------------------------------- */

static void test_sa_rejections(void **state)
{
    (void)state;
    uint8_t key[16] = {1}, iv[16] = {0}, pt[33] = {0}, out[64];
    unsigned char tok[64], hmac_tok[BUF];
    v4_token(key, 16, tok);
    struct sa s = {WORDS("AES", "CBC"), tok, 64, NULL, 0, 16, iv, 16, NULL, 0, pt, 33, out, 64, NULL, 0, 0, 0};
    memset(out, 0x5A, sizeof(out));
    sa_call(&s, 1); /* not a block multiple */
    assert_int_equal(s.rc, 8);
    assert_int_equal(s.rs, 51);
    assert_int_equal(s.out_len, 64); /* outputs untouched */
    assert_int_equal(out[0], 0x5A);
    s.in_len = 32;
    s.block = 8;
    sa_call(&s, 1);
    assert_int_equal(s.rs, 72);
    s.block = 16;
    s.out_len = 16; /* output buffer too small */
    sa_call(&s, 1);
    assert_int_equal(s.rc, 8);
    assert_int_equal(s.rs, 72);
    s.out_len = 64;
    s.words = (const char *const[]){"AES", "CBCX"};
    sa_call(&s, 1);
    assert_int_equal(s.rs, 33);
    s.words = (const char *const[]){"AES", "CBC", "ECB"};
    s.nwords = 3;
    sa_call(&s, 1);
    assert_int_equal(s.rs, 34);
    s.words = (const char *const[]){"CBC"};
    s.nwords = 1;
    sa_call(&s, 1);
    assert_int_equal(s.rs, 129);
    s.words = (const char *const[]){"AES"};
    s.key = NULL;
    sa_call(&s, 1);
    assert_int_equal(s.rs, 184);
    /* an HMAC MAC key cannot encipher */
    uint8_t hk[32] = {7};
    s.key_len = v5_token(WORDS("INTERNAL", "NO-KEY", "HMAC", "MAC", "GENERATE"), "HMAC", hk, 32, hmac_tok);
    s.key = hmac_tok;
    sa_call(&s, 1);
    assert_int_equal(s.rc, 8);
    assert_int_equal(s.rs, 64);
    /* an ENCRYPT-only CIPHER key cannot decipher */
    unsigned char enc_tok[BUF];
    s.key_len = v5_token(WORDS("INTERNAL", "NO-KEY", "AES", "CIPHER", "ENCRYPT"), "AES", key, 16, enc_tok);
    s.key = enc_tok;
    sa_call(&s, 1);
    assert_int_equal(s.rc, 0);
    sa_call(&s, 0);
    assert_int_equal(s.rc, 8);
    assert_int_equal(s.rs, 64);
    /* GCM: bad tag length on encipher, bad padding on PKCS-PAD decipher */
    s.key = key;
    s.key_len = 16;
    s.words = (const char *const[]){"AES", "PKCS-PAD", "KEY-CLR"};
    s.nwords = 3;
    s.in_len = 32;
    sa_call(&s, 0);
    assert_int_equal(s.rc, 8);
    assert_int_equal(s.rs, 706);
}

/* ---- HMAC (RFC 4231) and CMAC (SP 800-38B) ------------------------------------------------- */

struct mac {
    const char *const *words;
    size_t nwords;
    unsigned char *key;
    long key_len;
    const unsigned char *text;
    long text_len;
    unsigned char *chain;
    long chain_len;
    unsigned char *mac;
    long mac_len;
    long rc, rs;
};

typedef void (*mac_fn)(long *, long *, long *, unsigned char *, long *, unsigned char *, long *, unsigned char *,
                       long *, unsigned char *, long *, unsigned char *, long *, unsigned char *);

static void mac_call(mac_fn f, struct mac *m)
{
    unsigned char ra[8 * 8];
    long count = cca_rules_of(ra, m->words, m->nwords);
    m->rc = m->rs = -1;
    f(&m->rc, &m->rs, NULL, NULL, &count, ra, &m->key_len, m->key, &m->text_len, (unsigned char *)m->text,
      &m->chain_len, m->chain, &m->mac_len, m->mac);
}

/* RFC 4231 test case 2 (key "Jefe") with every hash; P4 #14: ONLY, chain 128, key as stored. */
static void test_hmac_rfc4231(void **state)
{
    (void)state;
    static const struct {
        const char *hash;
        const char *mac;
    } tc2[] = {
        {"SHA-224", "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44"},
        {"SHA-256", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {"SHA-384", "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
        {"SHA-512", "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
                    "caeab1a34d4a6b4b636e070a38bce737"},
    };
    uint8_t tok[BUF], mac[64], want[64], chain[128];
    long tl = v5_token(WORDS("INTERNAL", "NO-KEY", "HMAC", "MAC", "GENERATE"), "HMAC", (const uint8_t *)"Jefe\0\0\0\0\0\0",
                       10, tok);
    /* RFC 4231 keys are 4 bytes; our HMAC keys are at least 80 bits: use the zero-padded key, which HMAC treats the same. */
    const unsigned char *text = (const unsigned char *)"what do ya want for nothing?";
    for (size_t i = 0; i < sizeof(tc2) / sizeof(tc2[0]); i++) {
        size_t n = cca_unhex(tc2[i].mac, want);
        struct mac m = {(const char *const[]){"HMAC", tc2[i].hash, "ONLY"}, 3, tok, tl, text, 28, chain, 128, mac,
                        (long)n, 0, 0};
        mac_call(CSNBHMG, &m);
        assert_int_equal(m.rc, 0);
        assert_int_equal(m.mac_len, (long)n);
        assert_memory_equal(mac, want, n);
        mac_call(CSNBHMV, &m); /* GENERATE key verifies */
        assert_int_equal(m.rc, 0);
        mac[n - 1] ^= 1; /* the last byte counts: compare over the full length */
        mac_call(CSNBHMV, &m);
        assert_int_equal(m.rc, 4);
        assert_int_equal(m.rs, 1);
        /* truncated MAC (HMAC_GENERAL) through MGN2 HMAC */
        struct mac g = {(const char *const[]){"HMAC", tc2[i].hash}, 2, tok, tl, text, 28, NULL, 0, mac, 16, 0, 0};
        mac_call(CSNBMGN2, &g);
        assert_int_equal(g.rc, 0);
        assert_int_equal(g.mac_len, 16);
        assert_memory_equal(mac, want, 16);
        mac_call(CSNBMVR2, &g);
        assert_int_equal(g.rc, 0);
    }
}

static void test_hmac_key_usage(void **state)
{
    (void)state;
    uint8_t key[32], tok[BUF], tok256[BUF], mac[64], chain[128];
    RAND_bytes(key, 32);
    long tl = v5_token(WORDS("INTERNAL", "NO-KEY", "HMAC", "MAC", "VERIFY"), "HMAC", key, 32, tok);
    struct mac m = {WORDS("HMAC", "SHA-256", "ONLY"), tok, tl, key, 32, chain, 128, mac, 32, 0, 0};
    mac_call(CSNBHMG, &m); /* VERIFY-only cannot generate */
    assert_int_equal(m.rc, 8);
    assert_int_equal(m.rs, 64);
    long t2 = v5_token(WORDS("INTERNAL", "NO-KEY", "HMAC", "MAC", "GENERATE", "SHA-256"), "HMAC", key, 32, tok256);
    m.key = tok256;
    m.key_len = t2;
    mac_call(CSNBHMG, &m);
    assert_int_equal(m.rc, 0);
    m.words = (const char *const[]){"HMAC", "SHA-512", "ONLY"};
    m.mac_len = 64;
    mac_call(CSNBHMG, &m); /* hash not allowed by the key */
    assert_int_equal(m.rc, 8);
    assert_int_equal(m.rs, 64);
    m.words = (const char *const[]){"HMAC", "ONLY"};
    m.nwords = 2;
    mac_call(CSNBHMG, &m);
    assert_int_equal(m.rs, 129);
    m.words = (const char *const[]){"HMAC", "SHA-256", "SHA-512"};
    m.nwords = 3;
    mac_call(CSNBHMG, &m);
    assert_int_equal(m.rs, 34);
    m.words = (const char *const[]){"HMAC", "SHA-256"};
    m.nwords = 2;
    m.mac_len = 3;
    mac_call(CSNBHMG, &m);
    assert_int_equal(m.rs, 72);
    m.mac = NULL;
    mac_call(CSNBHMG, &m);
    assert_int_equal(m.rs, 184);
}

/* SP 800-38B D.1 (AES-128) examples 1-4 through CSNBMGN2 AES on a v5 AES MAC key. */
static void test_cmac_sp800_38b(void **state)
{
    (void)state;
    static const struct {
        long len;
        const char *mac;
    } ex[] = {{0, "bb1d6929e95937287fa37d129b756746"},
              {16, "070a16b46b4d4144f79bdd9dd04a287c"},
              {40, "dfa66747de9ae63030ca32611497c827"},
              {64, "51f0bebf7e3b9d92fc49741779363cfe"}};
    uint8_t key[16], msg[64], want[16], mac[16], tok[BUF], data_tok[64];
    cca_unhex(k128, key);
    cca_unhex(pt38a, msg);
    long tl = v5_token(WORDS("INTERNAL", "NO-KEY", "AES", "MAC", "GENERATE"), "AES", key, 16, tok);
    for (size_t i = 0; i < 4; i++) {
        cca_unhex(ex[i].mac, want);
        struct mac m = {WORDS("AES", "CMAC", "ONLY"), tok, tl, msg, ex[i].len, NULL, 0, mac, 16, 0, 0};
        mac_call(CSNBMGN2, &m);
        assert_int_equal(m.rc, 0);
        assert_memory_equal(mac, want, 16);
        mac_call(CSNBMVR2, &m);
        assert_int_equal(m.rc, 0);
        mac[0] ^= 0x80;
        mac_call(CSNBMVR2, &m);
        assert_int_equal(m.rc, 4);
        assert_int_equal(m.rs, 1);
    }
    /* a v4 DATA token cannot MAC; AES with a hash keyword conflicts */
    v4_token(key, 16, data_tok);
    struct mac d = {WORDS("AES"), data_tok, 64, msg, 16, NULL, 0, mac, 16, 0, 0};
    mac_call(CSNBMGN2, &d);
    assert_int_equal(d.rc, 8);
    assert_int_equal(d.rs, 64);
    d.words = (const char *const[]){"AES", "SHA-256"};
    d.nwords = 2;
    mac_call(CSNBMGN2, &d);
    assert_int_equal(d.rs, 34);
}


/* P4 #14: HMG/HMV FIRST/MIDDLE/LAST, chain 128, texts multiples of the block, LAST of length 0, dummy MAC on HMV
 * FIRST/MIDDLE, verify only at LAST; pieces give the one-shot MAC. */
static void test_hmac_segmented_ock(void **state)
{
    (void)state;
    static const char *const hash[] = {"SHA-1", "SHA-256", "SHA-384", "SHA-512"};
    static const long size[] = {20, 32, 48, 64}, block[] = {64, 64, 128, 128};
    uint8_t key[64], text[512], tok[BUF], whole[64], mac[64], chain[128], other[BUF];
    RAND_bytes(key, sizeof(key));
    RAND_bytes(text, sizeof(text));
    long tl = v5_token(WORDS("INTERNAL", "NO-KEY", "HMAC", "MAC", "GENERATE"), "HMAC", key, 64, tok);
    long ol = v5_token(WORDS("INTERNAL", "NO-KEY", "HMAC", "MAC", "GENERATE"), "HMAC", key, 32, other);
    for (size_t i = 0; i < 4; i++) {
        long b = block[i];
        struct mac o = {(const char *const[]){"HMAC", hash[i], "ONLY"}, 3, tok, tl, text, 3 * b, chain, 128, whole,
                        size[i], 0, 0};
        mac_call(CSNBHMG, &o);
        assert_int_equal(o.rc, 0);
        /* OpenSSL, independently */
        uint8_t ref[64];
        unsigned rl = 0;
        const EVP_MD *md = i == 0 ? EVP_sha1() : i == 1 ? EVP_sha256() : i == 2 ? EVP_sha384() : EVP_sha512();
        HMAC(md, key, 64, text, (size_t)(3 * b), ref, &rl);
        assert_memory_equal(whole, ref, (size_t)size[i]);
        const char *seg[] = {"FIRST", "MIDDLE", "MIDDLE", "LAST"};
        const long lens[] = {b, b, b, 0};
        for (int gen = 1; gen >= 0; gen--) {
            memset(chain, 0, sizeof(chain));
            long off = 0;
            for (int k = 0; k < 4; k++) {
                struct mac p = {(const char *const[]){"HMAC", hash[i], seg[k]}, 3, tok, tl, text + off, lens[k],
                                chain, 128, mac, size[i], 0, 0};
                if (!gen && k < 3)
                    memset(mac, 0xAB, sizeof(mac)); /* dummy MAC buffer */
                if (!gen && k == 3)
                    memcpy(mac, whole, 64);
                mac_call(gen ? CSNBHMG : CSNBHMV, &p);
                assert_int_equal(p.rc, 0);
                assert_int_equal(p.rs, 0);
                off += lens[k];
            }
            if (gen)
                assert_memory_equal(mac, whole, (size_t)size[i]);
        }
    }
    /* a tampered, replayed or foreign vector is 8/2036; a wrong MAC at LAST is 4/1 */
    uint8_t saved[128];
    struct mac f = {WORDS("HMAC", "SHA-256", "FIRST"), tok, tl, text, 64, chain, 128, mac, 32, 0, 0};
    mac_call(CSNBHMG, &f);
    assert_int_equal(f.rc, 0);
    memcpy(saved, chain, 128);
    chain[40] ^= 1;
    struct mac l = {WORDS("HMAC", "SHA-256", "LAST"), tok, tl, text, 0, chain, 128, mac, 32, 0, 0};
    mac_call(CSNBHMG, &l);
    assert_int_equal(l.rc, 8);
    assert_int_equal(l.rs, 2036);
    memcpy(chain, saved, 128);
    mac_call(CSNBHMV, &l); /* a generate sequence is not finished by verify */
    assert_int_equal(l.rs, 2036);
    l.key = other;
    l.key_len = ol;
    mac_call(CSNBHMG, &l); /* another key: refused, and the sequence ends */
    assert_int_equal(l.rc, 8);
    assert_int_equal(l.rs, 2036);
    l.key = tok;
    l.key_len = tl;
    mac_call(CSNBHMG, &l);
    assert_int_equal(l.rs, 2036);
    mac_call(CSNBHMV, &f);
    assert_int_equal(f.rc, 0);
    memset(mac, 0, 32);
    struct mac lv = {WORDS("HMAC", "SHA-256", "LAST"), tok, tl, text, 0, chain, 128, mac, 32, 0, 0};
    mac_call(CSNBHMV, &lv);
    assert_int_equal(lv.rc, 4);
    assert_int_equal(lv.rs, 1);
    mac_call(CSNBHMV, &lv); /* finished: the vector is stale */
    assert_int_equal(lv.rc, 8);
    assert_int_equal(lv.rs, 2036);
    /* FIRST without room for the vector */
    f.chain_len = 16;
    mac_call(CSNBHMG, &f);
    assert_int_equal(f.rs, 72);
}

/* CMAC pieces through MGN2 give the one-shot MAC (OpenSSL cross-check). */
static void test_cmac_segmented(void **state)
{
    (void)state;
    uint8_t key[32], text[100], tok[BUF], whole[16], mac[16], chain[128], ref[16];
    RAND_bytes(key, 32);
    RAND_bytes(text, sizeof(text));
    long tl = v5_token(WORDS("INTERNAL", "NO-KEY", "AES", "MAC", "GENERATE"), "AES", key, 32, tok);
    struct mac o = {WORDS("AES", "ONLY"), tok, tl, text, 100, NULL, 0, whole, 16, 0, 0};
    mac_call(CSNBMGN2, &o);
    assert_int_equal(o.rc, 0);
    size_t rl = 0;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
    EVP_MAC_CTX *x = EVP_MAC_CTX_new(m);
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string("cipher", (char *)"AES-256-CBC", 0), OSSL_PARAM_construct_end()};
    assert_int_equal(EVP_MAC_init(x, key, 32, p), 1);
    EVP_MAC_update(x, text, 100);
    EVP_MAC_final(x, ref, &rl, 16);
    EVP_MAC_CTX_free(x);
    EVP_MAC_free(m);
    assert_memory_equal(whole, ref, 16);
    struct mac a = {WORDS("AES", "FIRST"), tok, tl, text, 33, chain, 128, mac, 16, 0, 0};
    mac_call(CSNBMGN2, &a);
    assert_int_equal(a.rc, 0);
    struct mac b = {WORDS("AES", "MIDDLE"), tok, tl, text + 33, 50, chain, 128, mac, 16, 0, 0};
    mac_call(CSNBMGN2, &b);
    assert_int_equal(b.rc, 0);
    struct mac c = {WORDS("AES", "LAST"), tok, tl, text + 83, 17, chain, 128, mac, 8, 0, 0};
    mac_call(CSNBMGN2, &c);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.mac_len, 8);
    assert_memory_equal(mac, whole, 8);
}

/* GCM FIRST/MIDDLE/LAST equals ONLY; chain_data needs 52 bytes; a bad tag at LAST is 8/2947. */
static void test_gcm_segmented(void **state)
{
    (void)state;
    uint8_t key[16], iv[12], aad[20], pt[70], ct[70], tag[16], piece[70], tag2[16], chain[64], back[70];
    RAND_bytes(key, 16);
    RAND_bytes(iv, 12);
    RAND_bytes(aad, 20);
    RAND_bytes(pt, 70);
    struct sa o = {WORDS("AES", "GCM", "KEY-CLR", "ONLY"), key, 16, tag, 16, 16, iv, 12, NULL, 0, pt, 70, ct, 70,
                   aad, 20, 0, 0};
    sa_call(&o, 1);
    assert_int_equal(o.rc, 0);
    for (int enc = 1; enc >= 0; enc--) {
        const uint8_t *in = enc ? pt : ct;
        uint8_t *out = enc ? piece : back;
        struct sa f = {WORDS("AES", "GCM", "KEY-CLR", "FIRST"), key, 16, NULL, 0, 16, iv, 12, chain, 32, in, 32, out,
                       70, aad, 20, 0, 0};
        sa_call(&f, enc);
        assert_int_equal(f.rc, 8); /* openCryptoki's 32-byte work area cannot hold the reference */
        assert_int_equal(f.rs, 72);
        f.chain_len = 64;
        sa_call(&f, enc);
        assert_int_equal(f.rc, 0);
        struct sa m = {WORDS("AES", "GCM", "KEY-CLR", "MIDDLE"), key, 16, NULL, 0, 16, NULL, 0, chain, 64, in + 32,
                       16, out + 32, 38, NULL, 0, 0, 0};
        sa_call(&m, enc);
        assert_int_equal(m.rc, 0);
        memcpy(tag2, tag, 16);
        struct sa l = {WORDS("AES", "GCM", "KEY-CLR", "LAST"), key, 16, tag2, 16, 16, NULL, 0, chain, 64, in + 48, 22,
                       out + 48, 22, NULL, 0, 0, 0};
        sa_call(&l, enc);
        assert_int_equal(l.rc, 0);
        if (enc) {
            assert_memory_equal(piece, ct, 70);
            assert_memory_equal(tag2, tag, 16);
        } else {
            assert_memory_equal(back, pt, 70);
        }
    }
    /* bad tag at LAST */
    struct sa f = {WORDS("AES", "GCM", "KEY-CLR", "FIRST"), key, 16, NULL, 0, 16, iv, 12, chain, 64, ct, 32, back, 70,
                   aad, 20, 0, 0};
    sa_call(&f, 0);
    assert_int_equal(f.rc, 0);
    memcpy(tag2, tag, 16);
    tag2[15] ^= 1;
    memset(back + 32, 0xEE, 38);
    struct sa l = {WORDS("AES", "GCM", "KEY-CLR", "LAST"), key, 16, tag2, 16, 16, NULL, 0, chain, 64, ct + 32, 38,
                   back + 32, 38, NULL, 0, 0, 0};
    sa_call(&l, 0);
    assert_int_equal(l.rc, 8);
    assert_int_equal(l.rs, 2947);
    assert_int_equal(back[32], 0xEE);
}

/* ---- Wycheproof CMAC, HMAC and CBC-PKCS5 --------------------------------------------------- */

static const char *wp_hash; /* the hash keyword of the HMAC file being run */

/* CMAC: a v5 AES MAC key per case; valid verifies (and generates the tag), invalid is 4/1. */
static void cmac_case(const char *obj, const char *end, unsigned *counts)
{
    static char hk[200], hmsg[1200], htag[80];
    static uint8_t key[100], msg[600], tag[40], mac[16], tok[BUF];
    if (!field(obj, end, "key", hk, sizeof(hk)) || !field(obj, end, "msg", hmsg, sizeof(hmsg)) ||
        !field(obj, end, "tag", htag, sizeof(htag))) {
        counts[2]++;
        return;
    }
    long kl = (long)cca_unhex(hk, key), ml = (long)cca_unhex(hmsg, msg), tl = (long)cca_unhex(htag, tag);
    if ((kl != 16 && kl != 24 && kl != 32) || tl < 4 || tl > 16) { /* AES keys only; MAC 4..16 bytes */
        counts[2]++;
        return;
    }
    long tokl = v5_token(WORDS("INTERNAL", "NO-KEY", "AES", "MAC", "GENERATE"), "AES", key, kl, tok);
    struct mac v = {WORDS("AES", "CMAC", "ONLY"), tok, tokl, msg, ml, NULL, 0, tag, tl, 0, 0};
    mac_call(CSNBMVR2, &v);
    if (is_valid(obj, end)) {
        assert_int_equal(v.rc, 0);
        struct mac g = {WORDS("AES"), tok, tokl, msg, ml, NULL, 0, mac, tl, 0, 0};
        mac_call(CSNBMGN2, &g);
        assert_int_equal(g.rc, 0);
        assert_memory_equal(mac, tag, (size_t)tl);
        counts[0]++;
    } else {
        assert_int_equal(v.rc, 4);
        assert_int_equal(v.rs, 1);
        counts[1]++;
    }
}

/* HMAC: CSNBHMV with the (possibly truncated) tag length; HMG gives the tag for valid cases. */
static void hmac_case(const char *obj, const char *end, unsigned *counts)
{
    static char hk[700], hmsg[1200], htag[200];
    static uint8_t key[350], msg[600], tag[100], mac[64], tok[BUF], chain[128];
    if (!field(obj, end, "key", hk, sizeof(hk)) || !field(obj, end, "msg", hmsg, sizeof(hmsg)) ||
        !field(obj, end, "tag", htag, sizeof(htag))) {
        counts[2]++;
        return;
    }
    long kl = (long)cca_unhex(hk, key), ml = (long)cca_unhex(hmsg, msg), tl = (long)cca_unhex(htag, tag);
    if (kl < 10 || kl > 256 || tl < 4) { /* HMAC keys 80..2048 bits; MAC at least 4 bytes */
        counts[2]++;
        return;
    }
    long tokl = v5_token(WORDS("INTERNAL", "NO-KEY", "HMAC", "MAC", "GENERATE"), "HMAC", key, kl, tok);
    struct mac v = {(const char *const[]){"HMAC", wp_hash, "ONLY"}, 3, tok, tokl, msg, ml, chain, 128, tag, tl, 0, 0};
    mac_call(CSNBHMV, &v);
    if (is_valid(obj, end)) {
        assert_int_equal(v.rc, 0);
        v.mac = mac;
        mac_call(CSNBHMG, &v);
        assert_int_equal(v.rc, 0);
        assert_memory_equal(mac, tag, (size_t)tl);
        counts[0]++;
    } else {
        assert_int_equal(v.rc, 4);
        assert_int_equal(v.rs, 1);
        counts[1]++;
    }
}

/* CBC with PKCS#7 padding: valid deciphers and enciphers back; invalid is 8/706 (8/51 for a bad length, 8/72 when empty). */
static void cbc_pkcs5_case(const char *obj, const char *end, unsigned *counts)
{
    static char hk[80], hiv[80], hmsg[600], hct[700];
    static uint8_t key[32], iv[16], msg[300], ct[350], out[350];
    if (!field(obj, end, "key", hk, sizeof(hk)) || !field(obj, end, "iv", hiv, sizeof(hiv)) ||
        !field(obj, end, "msg", hmsg, sizeof(hmsg)) || !field(obj, end, "ct", hct, sizeof(hct)) ||
        strlen(hiv) != 32) {
        counts[2]++;
        return;
    }
    long kl = (long)cca_unhex(hk, key), ml = (long)cca_unhex(hmsg, msg), cl = (long)cca_unhex(hct, ct);
    cca_unhex(hiv, iv);
    struct sa d = {WORDS("AES", "PKCS-PAD", "KEY-CLR"), key, kl, NULL, 0, 16, iv, 16, NULL, 0, ct, cl, out,
                   (long)sizeof(out), NULL, 0, 0, 0};
    sa_call(&d, 0);
    if (is_valid(obj, end)) {
        assert_int_equal(d.rc, 0);
        assert_int_equal(d.out_len, ml);
        assert_memory_equal(out, msg, (size_t)ml);
        struct sa e = {WORDS("AES", "PKCS-PAD", "KEY-CLR"), key, kl, NULL, 0, 16, iv, 16, NULL, 0, msg, ml, out,
                       (long)sizeof(out), NULL, 0, 0, 0};
        sa_call(&e, 1);
        assert_int_equal(e.rc, 0);
        assert_int_equal(e.out_len, cl);
        assert_memory_equal(out, ct, (size_t)cl);
        counts[0]++;
    } else {
        assert_int_equal(d.rc, 8);
        /* empty ciphertext: a zero length where none is allowed, 8/72 */
        assert_true(d.rs == 706 || d.rs == 51 || (cl == 0 && d.rs == 72));
        counts[1]++;
    }
}

static void test_cmac_wycheproof(void **state)
{
    (void)state;
    unsigned counts[3] = {0};
    if (!each_test("aes_cmac_test.json", cmac_case, counts))
        skip();
    printf("CMAC: %u valid, %u invalid rejected 4/1, %u skipped (key not AES-128/192/256)\n", counts[0], counts[1],
           counts[2]);
    assert_true(counts[0] >= 60 && counts[1] >= 240);
}

static void test_hmac_wycheproof(void **state)
{
    (void)state;
    static const char *const files[] = {"hmac_sha1_test.json", "hmac_sha224_test.json", "hmac_sha256_test.json",
                                        "hmac_sha384_test.json", "hmac_sha512_test.json"};
    static const char *const words[] = {"SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512"};
    for (size_t i = 0; i < 5; i++) {
        unsigned counts[3] = {0};
        wp_hash = words[i];
        if (!each_test(files[i], hmac_case, counts))
            skip();
        printf("HMAC %s: %u valid, %u invalid rejected 4/1, %u skipped (key < 10 bytes)\n", words[i], counts[0],
               counts[1], counts[2]);
        assert_true(counts[0] >= 30 && counts[1] >= 60);
    }
}

static void test_cbc_pkcs5_wycheproof(void **state)
{
    (void)state;
    unsigned counts[3] = {0};
    if (!each_test("aes_cbc_pkcs5_test.json", cbc_pkcs5_case, counts))
        skip();
    printf("CBC-PKCS5: %u valid, %u invalid rejected, %u skipped\n", counts[0], counts[1], counts[2]);
    assert_true(counts[0] >= 72 && counts[1] >= 144);
}

/* More rejection classes: NULL rule array, count, null token, KEY-CLR length, label without key storage,
 * chain_data never written beyond its length, outputs untouched. */
static void test_sa_more_rejections(void **state)
{
    (void)state;
    uint8_t key[32] = {3}, iv[16] = {0}, pt[32] = {0}, out[48], area[40];
    unsigned char tok[64], null_tok[64] = {0}, label[64];
    v4_token(key, 16, tok);
    struct sa s = {WORDS("AES", "CBC", "INITIAL"), tok, 64, NULL, 0, 16, iv, 16, area, 31, pt, 32, out, 48, NULL, 0,
                   0, 0};
    memset(area, 0xC3, sizeof(area));
    sa_call(&s, 1); /* chain_data 31 bytes: no room, nothing written there */
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.chain_len, 31);
    for (size_t i = 0; i < sizeof(area); i++)
        assert_int_equal(area[i], 0xC3);
    s.chain_len = 32;
    sa_call(&s, 1);
    assert_int_equal(s.chain_len, 32);
    for (size_t i = 32; i < sizeof(area); i++)
        assert_int_equal(area[i], 0xC3);
    /* count out of range, NULL rule array */
    long rc = -1, rs = -1, count = 6, kl = 64, zero = 0, blk = 16, ivl = 16, tl = 32, ol = 48;
    unsigned char ra[48];
    cca_rules_of(ra, WORDS("AES", "CBC", "KEYIDENT", "INITIAL", "AES", "CBC"));
    CSNBSAE(&rc, &rs, NULL, NULL, &count, ra, &kl, tok, &zero, NULL, &blk, &ivl, iv, &zero, NULL, &tl, pt, &ol, out,
            &zero, NULL);
    assert_int_equal(rs, 35);
    count = 1;
    CSNBSAE(&rc, &rs, NULL, NULL, &count, NULL, &kl, tok, &zero, NULL, &blk, &ivl, iv, &zero, NULL, &tl, pt, &ol, out,
            &zero, NULL);
    assert_int_equal(rs, 184);
    CSNBSAE(NULL, &rs, NULL, NULL, &count, NULL, &kl, tok, &zero, NULL, &blk, &ivl, iv, &zero, NULL, &tl, pt, &ol, out,
            &zero, NULL); /* nowhere to report: returns */
    /* a null token, a KEY-CLR key of 20 bytes, a label (key storage not designated here) */
    s.key = null_tok;
    sa_call(&s, 1);
    assert_int_equal(s.rc, 8);
    assert_int_equal(s.rs, 180);
    s.words = (const char *const[]){"AES", "KEY-CLR"};
    s.nwords = 2;
    s.key = key;
    s.key_len = 20;
    sa_call(&s, 1);
    assert_int_equal(s.rs, 43);
    memset(label, ' ', 64);
    memcpy(label, "AES.DATA.KEY", 12);
    s.words = (const char *const[]){"AES"};
    s.nwords = 1;
    s.key = label;
    s.key_len = 64;
    s.out_len = 48;
    memset(out, 0x77, sizeof(out));
    sa_call(&s, 1);
    assert_int_equal(s.rc, 8); /* 8/6007 or 8/30 depending on key storage */
    assert_int_equal(s.out_len, 48);
    assert_int_equal(out[0], 0x77);
    /* a wrong tag length on GCM encipher; AAD outside GCM */
    s.key = key;
    s.key_len = 16;
    s.words = (const char *const[]){"AES", "GCM", "KEY-CLR"};
    s.nwords = 3;
    uint8_t tag[16];
    s.parms = tag;
    s.parms_len = 11;
    s.iv_len = 12;
    sa_call(&s, 1);
    assert_int_equal(s.rs, 72);
    s.words = (const char *const[]){"AES", "CBC", "KEY-CLR"};
    s.parms_len = 0;
    s.iv_len = 16;
    s.aad = tag;
    s.aad_len = 4;
    sa_call(&s, 1);
    assert_int_equal(s.rs, 72);
    s.aad_len = 0;
    /* GCM with INITIAL conflicts */
    s.words = (const char *const[]){"AES", "GCM", "KEY-CLR", "INITIAL"};
    s.nwords = 4;
    sa_call(&s, 1);
    assert_int_equal(s.rs, 34);
}

static const char *vectors_present(void)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/wycheproof/aes_gcm_test.json", vectors_dir());
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fclose(f);
    return path;
}

/* `test_cipher_aes` runs the known answers and rejections; `test_cipher_aes wycheproof` runs the Wycheproof
 * files and exits 77 (skipped) when they are absent. */
int main(int argc, char **argv)
{
    const struct CMUnitTest kat[] = {
        cmocka_unit_test(test_sp800_38a_cbc_v4),   cmocka_unit_test(test_sp800_38a_ecb_null_iv),
        cmocka_unit_test(test_cbc_v5_keyclr_openssl), cmocka_unit_test(test_cbc_piecewise),
        cmocka_unit_test(test_ock_cbc_iv_feed),    cmocka_unit_test(test_gcm_v5_mode_rules),
        cmocka_unit_test(test_sa_rejections),      cmocka_unit_test(test_sa_more_rejections),
        cmocka_unit_test(test_hmac_rfc4231),       cmocka_unit_test(test_hmac_key_usage),
        cmocka_unit_test(test_cmac_sp800_38b),     cmocka_unit_test(test_hmac_segmented_ock),
        cmocka_unit_test(test_cmac_segmented),     cmocka_unit_test(test_gcm_segmented),
    };
    const struct CMUnitTest wycheproof[] = {
        cmocka_unit_test(test_gcm_wycheproof),     cmocka_unit_test(test_cmac_wycheproof),
        cmocka_unit_test(test_hmac_wycheproof),    cmocka_unit_test(test_cbc_pkcs5_wycheproof),
    };
    if (argc > 1 && strcmp(argv[1], "wycheproof") == 0) {
        if (!vectors_present()) {
            printf("Wycheproof vectors not found under %s: skipped\n", vectors_dir());
            return 77;
        }
        return cmocka_run_group_tests(wycheproof, setup, teardown);
    }
    return cmocka_run_group_tests(kat, setup, teardown);
}
