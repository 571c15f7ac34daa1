/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End-to-end tests of CSNBENC, CSNBDEC, CSNBMGN and CSNBMVR through
 * libcsulcca on an in-process card (CSU_CARD=inproc:<mkdtemp dir>), the SYM
 * master key loaded with CSNBMKP.  Clear keys come in with CSNBCKM (DATA)
 * or CSNBKTB KEY-PART skeletons completed with CSNBKPI FIRST/LAST (MAC,
 * MACVER, ENCIPHER, DECIPHER).  Expected values are published vectors
 * embedded below, or computed here independently with OpenSSL's EVP API.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "csulincl.h"

#include "cca_test.h"

#define W 8
#define CV 18
static char state_dir[128];

#define EXPECT(rc_, rs_, rc, rs)                                                                        \
    do {                                                                                                \
        if ((rc) != (rc_) || (rs) != (rs_))                                                             \
            fail_msg("line %d: got %ld/%ld, expected %d/%d", __LINE__, (long)(rc), (long)(rs), rc_, rs_); \
    } while (0)

/* ---- helpers ------------------------------------------------------------- */

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i * 131u + seed * 17u + (i >> 3)) & 0xFF);
}

static void evp(const EVP_CIPHER *c, const unsigned char *key, const unsigned char *iv, const unsigned char *in,
                int len, unsigned char *out, int enc)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;
    assert_non_null(x);
    assert_int_equal(EVP_CipherInit_ex(x, c, NULL, key, iv, enc), 1);
    EVP_CIPHER_CTX_set_padding(x, 0);
    assert_int_equal(EVP_CipherUpdate(x, out, &n, in, len), 1);
    assert_int_equal(EVP_CipherFinal_ex(x, out + n, &m), 1);
    EVP_CIPHER_CTX_free(x);
}

/* 24-byte EDE key from an 8-, 16- or 24-byte key. */
static void ede(const unsigned char *k, size_t len, unsigned char out[24])
{
    memcpy(out, k, len);
    if (len == 8)
        memcpy(out + 8, k, 8);
    if (len < 24)
        memcpy(out + 16, k, 8);
}

static void tdes_ecb(const unsigned char *k, size_t klen, const unsigned char in[8], unsigned char out[8], int enc)
{
    unsigned char k24[24];
    ede(k, klen, k24);
    evp(EVP_des_ede3_ecb(), k24, NULL, in, 8, out, enc);
}

static void tdes_cbc(const unsigned char *k, size_t klen, const unsigned char iv[8], const unsigned char *in,
                     size_t len, unsigned char *out, int enc)
{
    unsigned char k24[24];
    ede(k, klen, k24);
    evp(EVP_des_ede3_cbc(), k24, iv, in, (int)len, out, enc);
}

/* CSNBMKP @p list ("SYM-MK SET"), which must answer 0/0. */
static void mkp(const char *list)
{
    long rs, rc = cca_mkp(list, NULL, &rs);
    EXPECT(0, 0, rc, rs);
}

/* DATA key token from a clear key (CSNBCKM). */
static void data_key(const unsigned char *key, long len, unsigned char tok[64])
{
    long rc, rs;
    unsigned char r[W];
    long n = cca_rules(r, "DES");
    memset(tok, 0, 64); /* an output identifier: a label-like first byte would name a record */
    CSNBCKM(&rc, &rs, NULL, NULL, &n, r, &len, (unsigned char *)key, tok);
    EXPECT(0, 0, rc, rs);
}

/* A key of @p type from a clear value: CSNBKTB KEY-PART skeleton, CSNBKPI FIRST + LAST. */
static void typed_key(const char *type, const unsigned char *key, size_t len, unsigned char tok[64])
{
    long rc, rs;
    unsigned char r[4 * W], kt[W], p1[24], p2[24];
    const char *lw = len == 8 ? "INTERNAL DES SINGLE KEY-PART" : len == 16 ? "INTERNAL DES DOUBLE KEY-PART"
                                                                             : "INTERNAL DES TRIPLE KEY-PART";
    long n = cca_rules(r, lw);
    cca_rules(kt, type);
    CSNBKTB(&rc, &rs, NULL, NULL, tok, kt, &n, r, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    EXPECT(0, 0, rc, rs);
    fill(p1, len, 99);
    for (size_t i = 0; i < len; i++)
        p2[i] = (unsigned char)(key[i] ^ p1[i]);
    n = cca_rules(r, "FIRST");
    CSNBKPI(&rc, &rs, NULL, NULL, &n, r, p1, tok);
    assert_int_equal(rc, 0);
    n = cca_rules(r, "LAST");
    CSNBKPI(&rc, &rs, NULL, NULL, &n, r, p2, tok);
    assert_int_equal(rc, 0);
}

static void enc(unsigned char *tok, const char *rules, const unsigned char *iv, const unsigned char *in, long len,
                unsigned char *out, long *out_len, unsigned char cv[CV], long pad, long *rc, long *rs)
{
    unsigned char r[3 * W];
    long n = cca_rules(r, rules);
    *out_len = len;
    CSNBENC(rc, rs, NULL, NULL, tok, out_len, (unsigned char *)in, (unsigned char *)iv, &n, r, &pad, cv, out);
}

static void dec(unsigned char *tok, const char *rules, const unsigned char *iv, const unsigned char *in, long len,
                unsigned char *out, long *out_len, unsigned char cv[CV], long *rc, long *rs)
{
    unsigned char r[3 * W];
    long n = cca_rules(r, rules);
    *out_len = len;
    CSNBDEC(rc, rs, NULL, NULL, tok, out_len, (unsigned char *)in, (unsigned char *)iv, &n, r, cv, out);
}

static void mgn(unsigned char *tok, const char *rules, const unsigned char *text, long len, unsigned char cv[CV],
                unsigned char *mac, long *rc, long *rs)
{
    unsigned char r[3 * W];
    long n = cca_rules(r, rules);
    CSNBMGN(rc, rs, NULL, NULL, tok, &len, (unsigned char *)text, &n, r, cv, mac);
}

static void mvr(unsigned char *tok, const char *rules, const unsigned char *text, long len, unsigned char cv[CV],
                unsigned char *mac, long *rc, long *rs)
{
    unsigned char r[3 * W];
    long n = cca_rules(r, rules);
    CSNBMVR(rc, rs, NULL, NULL, tok, &len, (unsigned char *)text, &n, r, cv, mac);
}

/* ---- vectors ------------------------------------------------------------- */

/* NIST CAVP TDES, ciphers/3DES/CBC/TCBCMMT3.rsp [ENCRYPT] COUNT = 3 (three keys). */
static const char *const mmt3_key = "d98aadc76d4a3716158c32866efbb9ce834af2297379a49d";
static const char *const mmt3_iv = "3c5220327c502b44";
static const char *const mmt3_pt = "6174079dda53ca723ebf00a66837f8d5ce648c08acaa5ee45ffe62210ef79d3e";
static const char *const mmt3_ct = "f5bd4d600bed77bec78409e3530ebda1d815506ed53103015b87e371ae000958";
/* TCBCMMT2.rsp [ENCRYPT] COUNT = 2 (two keys, KEY3 = KEY1). */
static const char *const mmt2_key = "e091790be55be0bc0780153861a84adc";
static const char *const mmt2_iv = "fd7d430f86fbbffe";
static const char *const mmt2_pt = "03c7fffd7f36499c703dedc9df4de4a92dd4382e576d6ae9";
static const char *const mmt2_ct = "053aeba85dd3a23bfbe8440a432f9578f312be60fb9f0035";

/* SP 800-38B TDES CMAC examples (CMAC/nist-800-38b-3des.txt COUNT 0-7). */
static const struct {
    const char *key, *msg, *mac;
} cmac_vec[] = {
    {"8aa83bf8cbda10620bc1bf19fbb6cd58bc313d4a371ca8b5", "", "b7a688e122ffaf95"},
    {"8aa83bf8cbda10620bc1bf19fbb6cd58bc313d4a371ca8b5", "6bc1bee22e409f96", "8e8f293136283797"},
    {"8aa83bf8cbda10620bc1bf19fbb6cd58bc313d4a371ca8b5", "6bc1bee22e409f96e93d7e117393172aae2d8a57",
     "743ddbe0ce2dc2ed"},
    {"8aa83bf8cbda10620bc1bf19fbb6cd58bc313d4a371ca8b5",
     "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", "33e6b1092400eae5"},
    {"4cf15134a2850dd58a3d10ba80570d38", "", "bd2ebf9a3ba00361"},
    {"4cf15134a2850dd58a3d10ba80570d38", "6bc1bee22e409f96", "4ff2ab813c53ce83"},
    {"4cf15134a2850dd58a3d10ba80570d38", "6bc1bee22e409f96e93d7e117393172aae2d8a57", "62dd1b471902bd4e"},
    {"4cf15134a2850dd58a3d10ba80570d38", "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
     "31b1e431dabc4eb8"},
};

/* FIPS 113 / ANSI X9.9 example: key 0123456789ABCDEF, "7654321 Now is the time for ", MAC F1D30F68 49312CA4. */
static const char x99_text[] = "7654321 Now is the time for ";

/* ---- tests, in order ----------------------------------------------------- */

static void load_master_key(void **state)
{
    (void)state;
    mkp("SYM-MK CLEAR");
    mkp("SYM-MK RANDOM");
    mkp("SYM-MK SET");
    mkp("AES-MK CLEAR"); /* for the AES token of the wrong-key-type case */
    mkp("AES-MK RANDOM");
    mkp("AES-MK SET");
}

static void tdes_cbc_vectors(void **state)
{
    (void)state;
    unsigned char key[24], iv[8], pt[32], ct[32], out[40], back[40], tok[64], cv[CV];
    long rc, rs, olen;
    size_t kl = cca_unhex(mmt3_key, key), n = cca_unhex(mmt3_pt, pt);
    cca_unhex(mmt3_iv, iv), cca_unhex(mmt3_ct, ct);
    data_key(key, (long)kl, tok);
    enc(tok, "CBC", iv, pt, (long)n, out, &olen, cv, 0, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_int_equal(olen, n);
    assert_memory_equal(out, ct, n);
    assert_memory_equal(cv, ct + n - 8, 8); /* OCV in bytes 0-7 */
    dec(tok, "", iv, ct, (long)n, back, &olen, cv, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(back, pt, n);
    kl = cca_unhex(mmt2_key, key), n = cca_unhex(mmt2_pt, pt);
    cca_unhex(mmt2_iv, iv), cca_unhex(mmt2_ct, ct);
    data_key(key, (long)kl, tok);
    enc(tok, "CBC INITIAL", iv, pt, (long)n, out, &olen, cv, 0, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(out, ct, n);
}

/* A long message in pieces (INITIAL, CONTINUE...) gives the bytes of one call, both ways. */
static void pieces_equal_one_call(void **state)
{
    (void)state;
    enum { N = 2048 };
    static unsigned char pt[N], one[N], part[N], back[N];
    unsigned char key[24], iv[8], tok[64], cv[CV + 14], cv1[CV];
    long rc, rs, olen;
    fill(key, 24, 1), fill(iv, 8, 2), fill(pt, N, 3);
    data_key(key, 24, tok);
    static const char *const rules[] = {"CBC", "IPS"};
    static const long cuts[] = {0, 8, 1000, 1024, 2048};
    for (int r = 0; r < 2; r++) {
        char first[32], next[32];
        snprintf(first, sizeof(first), "%s INITIAL", rules[r]);
        snprintf(next, sizeof(next), "%s CONTINUE", rules[r]);
        enc(tok, first, iv, pt, N, one, &olen, cv1, 0, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        memset(cv, 0xEE, sizeof(cv));
        for (int c = 0; c + 1 < 5; c++) {
            long len = cuts[c + 1] - cuts[c];
            enc(tok, c ? next : first, iv, pt + cuts[c], len, part + cuts[c], &olen, cv, 0, &rc, &rs);
            EXPECT(0, 0, rc, rs);
        }
        for (size_t i = CV; i < sizeof(cv); i++)
            assert_int_equal(cv[i], 0xEE); /* never more than 18 bytes */
        assert_memory_equal(one, part, N);
        assert_memory_equal(cv, cv1, 8);
        for (int c = 0; c + 1 < 5; c++) {
            long len = cuts[c + 1] - cuts[c];
            dec(tok, c ? next : first, iv, part + cuts[c], len, back + cuts[c], &olen, cv, &rc, &rs);
            EXPECT(0, 0, rc, rs);
        }
        assert_memory_equal(back, pt, N);
    }
}

/* openssl enc -des-ede3-cbc (computed here through EVP) and the verbs agree both ways; also single DES. */
static void openssl_cross_check(void **state)
{
    (void)state;
    enum { N = 72 };
    unsigned char key[24], iv[8], pt[N], ct[N], out[N], tok[64], cv[CV];
    long rc, rs, olen;
    fill(key, 24, 7), fill(iv, 8, 8), fill(pt, N, 9);
    static const size_t lens[] = {8, 16, 24};
    for (int i = 0; i < 3; i++) {
        data_key(key, (long)lens[i], tok);
        tdes_cbc(key, lens[i], iv, pt, N, ct, 1);
        dec(tok, "CBC", iv, ct, N, out, &olen, cv, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        assert_memory_equal(out, pt, N);
        enc(tok, "CBC", iv, pt, N, out, &olen, cv, 0, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        assert_memory_equal(out, ct, N);
    }
}

/* X9.23 pads 1-8 bytes (X'00' filler, count last), 4700-PAD with the caller's character; decipher strips. */
static void padding_rules(void **state)
{
    (void)state;
    unsigned char key[16], iv[8], pt[24], out[32], raw[32], back[32], tok[64], cv[CV];
    long rc, rs, olen, blen;
    fill(key, 16, 11), fill(iv, 8, 12), fill(pt, 24, 13);
    data_key(key, 16, tok);
    for (long len = 0; len <= 17; len++) {
        for (int r = 0; r < 2; r++) {
            enc(tok, r ? "4700-PAD" : "X9.23", iv, pt, len, out, &olen, cv, 0x40, &rc, &rs);
            EXPECT(0, 0, rc, rs);
            long padn = 8 - len % 8;
            assert_int_equal(olen, len + padn);
            tdes_cbc(key, 16, iv, out, (size_t)olen, raw, 0);
            assert_memory_equal(raw, pt, (size_t)len);
            for (long i = len; i < olen - 1; i++)
                assert_int_equal(raw[i], r ? 0x40 : 0x00);
            assert_int_equal(raw[olen - 1], padn);
            dec(tok, r ? "4700-PAD" : "X9.23", iv, out, olen, back, &blen, cv, &rc, &rs);
            EXPECT(0, 0, rc, rs);
            assert_int_equal(blen, len);
            assert_memory_equal(back, pt, (size_t)len);
        }
    }
    /* A bad count byte after decipher: 8/706, outputs untouched. */
    unsigned char bad[8] = {1, 2, 3, 4, 5, 6, 7, 9}, c2[8];
    tdes_cbc(key, 16, iv, bad, 8, c2, 1);
    memset(back, 0xA5, sizeof(back));
    dec(tok, "X9.23", iv, c2, 8, back, &blen, cv, &rc, &rs);
    EXPECT(8, 706, rc, rs);
    assert_int_equal(back[0], 0xA5);
    long pad = 300;
    enc(tok, "4700-PAD", iv, pt, 5, out, &olen, cv, pad, &rc, &rs);
    EXPECT(8, 54, rc, rs);
}

/* CUSP and IPS as ICSF defines them, recomputed here from single-block operations. */
static void cusp_ips(void **state)
{
    (void)state;
    unsigned char key[24], iv[8], pt[32], out[32], back[32], exp[32], tok[64], cv[CV], o[8], chain[8];
    long rc, rs, olen;
    fill(key, 24, 21), fill(iv, 8, 22), fill(pt, 32, 23);
    data_key(key, 24, tok);
    static const long lens[] = {5, 8, 16, 21};
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < 4; i++) {
            long len = lens[i], full = len & ~7L, rem = len - full;
            memcpy(chain, iv, 8);
            if (full) {
                tdes_cbc(key, 24, iv, pt, (size_t)full, exp, 1);
                memcpy(chain, exp + full - 8, 8);
            }
            tdes_ecb(key, 24, chain, o, 1);
            for (long j = 0; j < rem; j++)
                exp[full + j] = (unsigned char)(pt[full + j] ^ o[j]);
            unsigned char ocv[8];
            if (r == 0) {
                memcpy(ocv, o, 8); /* CUSP: the chaining value enciphered again */
            } else {
                memcpy(ocv, chain + rem, (size_t)(8 - rem)); /* IPS: last 8 ciphertext bytes */
                memcpy(ocv + 8 - rem, exp + full, (size_t)rem);
            }
            enc(tok, r ? "IPS" : "CUSP", iv, pt, len, out, &olen, cv, 0, &rc, &rs);
            EXPECT(0, 0, rc, rs);
            assert_int_equal(olen, len);
            assert_memory_equal(out, exp, (size_t)len);
            assert_memory_equal(cv, ocv, 8);
            dec(tok, r ? "IPS" : "CUSP", iv, out, len, back, &olen, cv, &rc, &rs);
            EXPECT(0, 0, rc, rs);
            assert_memory_equal(back, pt, (size_t)len);
            assert_memory_equal(cv, ocv, 8); /* same OCV on decipher */
        }
    }
}

/* Retail MAC (ISO 9797-1 algorithm 3, method 1 padding) computed here. */
static void retail_mac(const unsigned char k[16], const unsigned char *m, size_t len, unsigned char mac[8])
{
    unsigned char buf[256] = {0}, ct[256], iv[8] = {0}, t[8];
    size_t n = len == 0 ? 8 : (len + 7) & ~(size_t)7;
    memcpy(buf, m, len);
    tdes_cbc(k, 8, iv, buf, n, ct, 1);
    tdes_ecb(k + 8, 8, ct + n - 8, t, 0);
    tdes_ecb(k, 8, t, mac, 1);
}

static void tdes_mac(const unsigned char *k, size_t kl, const unsigned char *m, size_t len, unsigned char mac[8])
{
    unsigned char buf[256] = {0}, ct[256], iv[8] = {0};
    size_t n = len == 0 ? 8 : (len + 7) & ~(size_t)7;
    memcpy(buf, m, len);
    tdes_cbc(k, kl, iv, buf, n, ct, 1);
    memcpy(mac, ct + n - 8, 8);
}

static void mac_vectors(void **state)
{
    (void)state;
    unsigned char key[24], msg[64], mac[8], exp[8], tok[64], cv[CV];
    long rc, rs;
    /* X9.9-1, single-length MAC key. */
    cca_unhex("0123456789abcdef", key);
    typed_key("MAC", key, 8, tok);
    mgn(tok, "X9.9-1 MACLEN8", (const unsigned char *)x99_text, 28, cv, mac, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    cca_unhex("f1d30f6849312ca4", exp);
    assert_memory_equal(mac, exp, 8);
    memset(mac, 0xEE, 8);
    mgn(tok, "", (const unsigned char *)x99_text, 28, cv, mac, &rc, &rs); /* defaults X9.9-1 MACLEN4 */
    EXPECT(0, 0, rc, rs);
    assert_memory_equal(mac, exp, 4);
    assert_int_equal(mac[4], 0xEE); /* only four bytes written */
    /* TDES-CMAC, SP 800-38B. */
    for (size_t i = 0; i < sizeof(cmac_vec) / sizeof(cmac_vec[0]); i++) {
        size_t kl = cca_unhex(cmac_vec[i].key, key), ml = cca_unhex(cmac_vec[i].msg, msg);
        cca_unhex(cmac_vec[i].mac, exp);
        typed_key("MAC", key, kl, tok);
        mgn(tok, "TDES-CMAC MACLEN8 ONLY", msg, (long)ml, cv, mac, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        assert_memory_equal(mac, exp, 8);
        /* The same through segments: every split point, zero-length LAST included. */
        for (size_t cut = 0; cut <= ml; cut += 4) {
            mgn(tok, "TDES-CMAC MACLEN8 FIRST", msg, (long)cut, cv, mac, &rc, &rs);
            EXPECT(0, 0, rc, rs);
            mgn(tok, "TDES-CMAC MACLEN8 LAST", msg + cut, (long)(ml - cut), cv, mac, &rc, &rs);
            EXPECT(0, 0, rc, rs);
            assert_memory_equal(mac, exp, 8);
        }
    }
    /* X9.19OPT and TDES-MAC against the computation above. */
    fill(key, 24, 31), fill(msg, 64, 32);
    typed_key("MAC", key, 16, tok);
    for (size_t len = 0; len < 40; len += 7) {
        retail_mac(key, msg, len, exp);
        mgn(tok, "X9.19OPT MACLEN8", msg, (long)len, cv, mac, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        assert_memory_equal(mac, exp, 8);
        tdes_mac(key, 16, msg, len, exp);
        mgn(tok, "TDES-MAC MACLEN6", msg, (long)len, cv, mac, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        assert_memory_equal(mac, exp, 6);
    }
}

/* ONLY == FIRST + MIDDLE... + LAST for every algorithm; MVR agrees; a wrong MAC is 4/1. */
static void mac_segments(void **state)
{
    (void)state;
    unsigned char key[16], msg[64], one[8], seg[8], tok[64], ver[64], cv[CV + 6];
    long rc, rs;
    fill(key, 16, 41), fill(msg, 64, 42);
    typed_key("MAC", key, 16, tok);
    typed_key("MACVER", key, 16, ver);
    static const char *const algs[] = {"X9.19OPT", "TDES-MAC", "TDES-CMAC", "EMVMACD", "ISO16609"};
    static const long cuts[][4] = {{0, 0, 45, 45}, {3, 9, 40, 45}, {8, 16, 24, 45}, {45, 45, 45, 45}, {1, 2, 3, 45}};
    for (int a = 0; a < 5; a++) {
        char r[64];
        snprintf(r, sizeof(r), "%s MACLEN8", algs[a]);
        mgn(tok, r, msg, 45, cv, one, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        for (int c = 0; c < 5; c++) {
            const char *segs[] = {"FIRST", "MIDDLE", "MIDDLE", "LAST"};
            long prev = 0;
            memset(cv, 0xEE, sizeof(cv));
            for (int s = 0; s < 4; s++) {
                snprintf(r, sizeof(r), "%s MACLEN8 %s", algs[a], segs[s]);
                mgn(tok, r, msg + prev, cuts[c][s] - prev, cv, seg, &rc, &rs);
                EXPECT(0, 0, rc, rs);
                prev = cuts[c][s];
            }
            for (size_t i = CV; i < sizeof(cv); i++)
                assert_int_equal(cv[i], 0xEE);
            assert_memory_equal(seg, one, 8);
        }
        /* Verify: ONLY, segmented (dummy MAC on FIRST), and a wrong last byte (4/1). */
        snprintf(r, sizeof(r), "%s MACLEN8", algs[a]);
        mvr(ver, r, msg, 45, cv, one, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        snprintf(r, sizeof(r), "%s MACLEN8 FIRST", algs[a]);
        unsigned char dummy[8] = {0};
        mvr(ver, r, msg, 20, cv, dummy, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        snprintf(r, sizeof(r), "%s MACLEN8 LAST", algs[a]);
        mvr(ver, r, msg + 20, 25, cv, one, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        one[7] ^= 1;
        snprintf(r, sizeof(r), "%s MACLEN8", algs[a]);
        mvr(ver, r, msg, 45, cv, one, &rc, &rs);
        EXPECT(4, 1, rc, rs);
        one[7] ^= 1;
        snprintf(r, sizeof(r), "%s MACLEN4", algs[a]);
        mvr(tok, r, msg, 45, cv, one, &rc, &rs); /* a MAC key verifies too, 4 bytes */
        EXPECT(0, 0, rc, rs);
    }
}

/* Key types: CSNBKGN 'OPOP' MAC + MACVER pair; each CV allows only its uses. */
static void key_usage(void **state)
{
    (void)state;
    unsigned char form[4] = {'O', 'P', 'O', 'P'}, kl[W], t1[W], t2[W], mac_tok[64] = {0}, ver_tok[64] = {0},
                  kek[64] = {0}, text[16], mac[8], cv[CV], iv[8] = {0}, out[16], key[16], tok[64];
    long rc, rs, olen;
    cca_rules(kl, "KEYLN16"), cca_rules(t1, "MAC"), cca_rules(t2, "MACVER");
    CSNBKGN(&rc, &rs, NULL, NULL, form, kl, t1, t2, kek, kek, mac_tok, ver_tok);
    EXPECT(0, 0, rc, rs);
    fill(text, 16, 51);
    mgn(mac_tok, "X9.19OPT", text, 16, cv, mac, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    mvr(ver_tok, "X9.19OPT", text, 16, cv, mac, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    mgn(ver_tok, "X9.19OPT", text, 16, cv, mac, &rc, &rs);
    EXPECT(8, 39, rc, rs); /* MACVER cannot generate */
    mvr(ver_tok, "X9.9-1", text, 16, cv, mac, &rc, &rs);
    EXPECT(8, 64, rc, rs); /* X9.9-1 takes a single-length key */
    enc(mac_tok, "CBC", iv, text, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 39, rc, rs); /* a MAC key cannot encipher */
    fill(key, 16, 52);
    data_key(key, 16, tok);
    mgn(tok, "TDES-MAC", text, 16, cv, mac, &rc, &rs);
    EXPECT(8, 39, rc, rs); /* a DATA key cannot MAC (issue 5) */
    typed_key("ENCIPHER", key, 16, tok);
    enc(tok, "CBC", iv, text, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    dec(tok, "CBC", iv, out, 16, text, &olen, cv, &rc, &rs);
    EXPECT(8, 39, rc, rs);
    typed_key("DECIPHER", key, 16, tok);
    dec(tok, "CBC", iv, out, 16, text, &olen, cv, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    enc(tok, "CBC", iv, text, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 39, rc, rs);
    typed_key("CIPHER", key, 16, tok);
    enc(tok, "CBC", iv, text, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    /* An AES token is not a DES key. */
    unsigned char r[4 * W], aes[64], dt[W];
    long n = cca_rules(r, "INTERNAL AES NO-KEY KEYLN16");
    cca_rules(dt, "DATA");
    CSNBKTB(&rc, &rs, NULL, NULL, aes, dt, &n, r, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    EXPECT(0, 0, rc, rs);
    unsigned char f2[4] = {'O', 'P', ' ', ' '}, l2[W], a2[W], z2[W] = {0}, g2[64] = {0};
    cca_rules(l2, "KEYLN16"), cca_rules(a2, "AESTOKEN");
    CSNBKGN(&rc, &rs, NULL, NULL, f2, l2, a2, z2, kek, kek, aes, g2);
    EXPECT(0, 0, rc, rs);
    enc(aes, "CBC", iv, text, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 64, rc, rs);
}

/* Rejection classes; outputs untouched when the return code is 8. */
static void rejections(void **state)
{
    (void)state;
    unsigned char key[24], iv[8] = {0}, pt[32], out[40], tok[64], cv[CV], mac[8], mtok[64];
    long rc, rs, olen;
    fill(key, 24, 61), fill(pt, 32, 62);
    data_key(key, 24, tok);
    typed_key("MAC", key, 16, mtok);
    memset(out, 0xA5, sizeof(out));
    enc(tok, "CBC", iv, pt, 12, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 51, rc, rs);
    assert_int_equal(out[0], 0xA5);
    assert_int_equal(olen, 12);
    dec(tok, "X9.23", iv, pt, 12, out, &olen, cv, &rc, &rs);
    EXPECT(8, 51, rc, rs);
    enc(tok, "CBC X9.23", iv, pt, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 34, rc, rs);
    enc(tok, "INITIAL CONTINUE", iv, pt, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 34, rc, rs);
    enc(tok, "ECB", iv, pt, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 33, rc, rs);
    enc(tok, "X9.23 CONTINUE", iv, pt, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 205, rc, rs);
    enc(tok, "CBC", iv, pt, 0, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 72, rc, rs);
    enc(tok, "CBC", iv, pt, -8, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 72, rc, rs);
    enc(tok, "CBC", iv, pt, 1L << 21, out, &olen, cv, 0, &rc, &rs); /* refused before any byte is read */
    EXPECT(8, 153, rc, rs);
    enc(tok, "CBC", NULL, pt, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 184, rc, rs);
    enc(NULL, "CBC", iv, pt, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 184, rc, rs);
    enc(tok, "CBC", iv, pt, 16, out, &olen, NULL, 0, &rc, &rs);
    EXPECT(8, 184, rc, rs);
    long four = 4;
    unsigned char r4[4 * W];
    cca_rules(r4, "CBC INITIAL CBC CBC");
    olen = 16;
    CSNBENC(&rc, &rs, NULL, NULL, tok, &olen, pt, iv, &four, r4, NULL, cv, out);
    EXPECT(8, 35, rc, rs);
    CSNBENC(NULL, &rs, NULL, NULL, tok, &olen, pt, iv, &four, r4, NULL, cv, out); /* nowhere to report: no crash */
    /* Tampered chaining vector on CONTINUE. */
    enc(tok, "CBC", iv, pt, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    enc(tok, "CBC CONTINUE", iv, pt, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    cv[12] ^= 0x10;
    memset(out, 0xA5, sizeof(out));
    enc(tok, "CBC CONTINUE", iv, pt, 16, out, &olen, cv, 0, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
    assert_int_equal(out[0], 0xA5);
    /* MAC: tampered vector (body, header, other key), NULL MAC, bad keyword, conflicting lengths. */
    mgn(mtok, "TDES-MAC FIRST", pt, 9, cv, mac, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    unsigned char keep[CV];
    memcpy(keep, cv, CV);
    cv[10] ^= 0x01;
    mgn(mtok, "TDES-MAC LAST", pt, 9, cv, mac, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
    memcpy(cv, keep, CV);
    cv[1] ^= 0x01; /* unprocessed-byte count */
    mgn(mtok, "TDES-MAC LAST", pt, 9, cv, mac, &rc, &rs);
    EXPECT(8, 2036, rc, rs);
    memcpy(cv, keep, CV);
    mgn(mtok, "X9.19OPT LAST", pt, 9, cv, mac, &rc, &rs); /* other algorithm */
    EXPECT(8, 2036, rc, rs);
    unsigned char other[64], okey[16];
    fill(okey, 16, 63);
    typed_key("MAC", okey, 16, other);
    mgn(other, "TDES-MAC LAST", pt, 9, cv, mac, &rc, &rs); /* another key's state */
    EXPECT(8, 2036, rc, rs);
    mgn(mtok, "TDES-MAC LAST", pt, 9, cv, mac, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    mgn(mtok, "TDES-MAC", pt, 9, cv, NULL, &rc, &rs);
    EXPECT(8, 184, rc, rs);
    mgn(mtok, "TDES-MAC MIDDLE", pt, 9, NULL, mac, &rc, &rs);
    EXPECT(8, 184, rc, rs);
    mgn(mtok, "HEX-8", pt, 9, cv, mac, &rc, &rs);
    EXPECT(8, 33, rc, rs);
    mgn(mtok, "MACLEN4 MACLEN8", pt, 9, cv, mac, &rc, &rs);
    EXPECT(8, 34, rc, rs);
    /* A MACVER holder's FIRST segment does not reveal the MAC of its text. */
    unsigned char ver[64], full[8], segcv[CV];
    typed_key("MACVER", key, 16, ver);
    mgn(mtok, "TDES-MAC MACLEN8", pt, 8, segcv, full, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    mvr(ver, "TDES-MAC FIRST", pt, 8, segcv, mac, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    for (int off = 0; off + 4 <= CV; off++)
        assert_true(memcmp(segcv + off, full, 4) != 0);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(state_dir, sizeof(state_dir), "%s/csu-desmac-XXXXXX", tmp && *tmp && strlen(tmp) < 60 ? tmp : "/tmp");
    if (!cca_card_open(state_dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_master_key),     cmocka_unit_test(tdes_cbc_vectors),
        cmocka_unit_test(pieces_equal_one_call), cmocka_unit_test(openssl_cross_check),
        cmocka_unit_test(padding_rules),       cmocka_unit_test(cusp_ips),
        cmocka_unit_test(mac_vectors),         cmocka_unit_test(mac_segments),
        cmocka_unit_test(key_usage),           cmocka_unit_test(rejections),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    cca_remove_dir(state_dir);
    return failed;
}
