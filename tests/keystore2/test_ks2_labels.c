/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key labels in every key verb, end to end through libcsulcca on an
 * in-process card with the three stores in a temporary directory:
 * generate into a label and use by label for DES, AES v4, AES v5 / HMAC,
 * RSA and ECC; RTCMK by label after a master-key change (the record is
 * rewritten, 0/0, and works after; a current record is left unchanged);
 * malformed labels 8/32, missing records 8/30, null records 8/180.
 */
#include "ks2_util.h"

static void krc(const char *text)
{
    unsigned char label[64];
    long rc, rs;
    ks2_label(label, text);
    CSNBKRC(&rc, &rs, NULL, NULL, label);
    EXPECT(0, 0, rc, rs);
}

static void akrc(const char *text, const unsigned char *tok, long len)
{
    unsigned char label[64];
    long rc, rs, count = 0;
    ks2_label(label, text);
    CSNBAKRC(&rc, &rs, NULL, NULL, &count, NULL, label, &len, (unsigned char *)tok);
    EXPECT(0, 0, rc, rs);
}

static void dkrc(const char *text)
{
    unsigned char label[64];
    long rc, rs, count = 0, zero = 0;
    ks2_label(label, text);
    CSNDKRC(&rc, &rs, NULL, NULL, &count, NULL, label, &zero, NULL);
    EXPECT(0, 0, rc, rs);
}

/* ---- DES ------------------------------------------------------------------ */

static void kgn_des(unsigned char *gen, long *rc, long *rs)
{
    unsigned char form[4] = {'O', 'P', ' ', ' '}, len[8], type[8], type2[8] = {0}, kek[64] = {0}, gen2[64] = {0};
    ks2_words(len, "KEYLN16");
    ks2_words(type, "DATA");
    CSNBKGN(rc, rs, NULL, NULL, form, len, type, type2, kek, kek, gen, gen2);
}

static void enc_des(unsigned char *id, unsigned char out[16], long *rc, long *rs)
{
    unsigned char rules[8], iv[8] = {0}, cv[18] = {0}, clear[16] = "sixteen bytes!!";
    long count = ks2_words(rules, "CBC"), len = 16, pad = 0;
    CSNBENC(rc, rs, NULL, NULL, id, &len, clear, iv, &count, rules, &pad, cv, out);
}

static void des_by_label(void)
{
    unsigned char label[64], tok[64], by_label[16], by_token[16];
    long rc, rs;
    krc("TEST.DES.DATA");
    ks2_label(label, "TEST.DES.DATA");
    kgn_des(label, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    unsigned char want[64];
    ks2_label(want, "TEST.DES.DATA");
    CHECK(memcmp(label, want, 64) == 0); /* the caller's label stays */
    CSNBKRR(&rc, &rs, NULL, NULL, label, tok);
    EXPECT(0, 0, rc, rs);
    CHECK(tok[0] == 0x01);
    enc_des(label, by_label, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    enc_des(tok, by_token, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    CHECK(memcmp(by_label, by_token, 16) == 0);
    /* A null record where a key is needed: 8/180; an absent label 8/30; a malformed one 8/32. */
    krc("TEST.DES.NULL");
    ks2_label(label, "TEST.DES.NULL");
    enc_des(label, by_label, &rc, &rs);
    EXPECT(8, 180, rc, rs);
    ks2_label(label, "TEST.DES.ABSENT");
    enc_des(label, by_label, &rc, &rs);
    EXPECT(8, 30, rc, rs);
    kgn_des(label, &rc, &rs); /* generating into a label needs its record */
    EXPECT(8, 30, rc, rs);
    ks2_label(label, "TEST..BAD");
    enc_des(label, by_label, &rc, &rs);
    EXPECT(8, 32, rc, rs);
    ks2_label(label, "9STARTS.WITH.DIGIT");
    enc_des(label, by_label, &rc, &rs);
    EXPECT(8, 32, rc, rs);
}

/* ---- AES v4 ------------------------------------------------------------------ */

static void aes_v4_by_label(void)
{
    unsigned char label[64], tok[BUF], vp_label[8], vp_token[8];
    long rc, rs;
    /* Null record + AESDATA: a fresh key into the record. */
    akrc("TEST.AES.V4", NULL, 0);
    ks2_label(label, "TEST.AES.V4");
    unsigned char form[4] = {'O', 'P', ' ', ' '}, len[8], type[8], type2[8] = {0}, kek[64] = {0}, gen2[64] = {0};
    ks2_words(len, "KEYLN32");
    ks2_words(type, "AESDATA");
    CSNBKGN(&rc, &rs, NULL, NULL, form, len, type, type2, kek, kek, label, gen2);
    EXPECT(0, 0, rc, rs);
    CHECK(ks2_akrr(label, tok, &rc, &rs) == 64);
    EXPECT(0, 0, rc, rs);
    CHECK(tok[0] == 0x01 && tok[4] == 0x04);
    ks2_kyt_aes(label, vp_label, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    ks2_kyt_aes(tok, vp_token, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    CHECK(memcmp(vp_label, vp_token, 8) == 0);
    /* Null AES record where a key is needed. */
    akrc("TEST.AES.NULL", NULL, 0);
    ks2_label(label, "TEST.AES.NULL");
    ks2_kyt_aes(label, vp_label, &rc, &rs);
    EXPECT(8, 180, rc, rs);
    ks2_label(label, "TEST.AES.ABSENT");
    ks2_kyt_aes(label, vp_label, &rc, &rs);
    EXPECT(8, 30, rc, rs);
}

/* ---- AES v5 and HMAC ------------------------------------------------------------ */

static long ktb2(const char *list, unsigned char *tok)
{
    unsigned char ra[8 * 16];
    long rc, rs, count = ks2_words(ra, list), zero = 0, len = BUF;
    CSNBKTB2(&rc, &rs, &zero, NULL, &count, ra, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL,
             &len, tok);
    EXPECT(0, 0, rc, rs);
    return len;
}

static void kgn2(const char *alg, long bits, long *gen_len, unsigned char *gen, long *rc, long *rs)
{
    unsigned char ra[16];
    long count = ks2_words(ra, alg), zero = 0;
    memcpy(ra + 8, "OP      ", 8);
    count = 2;
    CSNBKGN2(rc, rs, &zero, NULL, &count, ra, &bits, (unsigned char *)"TOKEN   ", (unsigned char *)"        ", &zero,
             NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, gen_len, gen, &zero, NULL);
}

static long kyt2(const char *list, unsigned char *id, long id_len, unsigned char *vp, long *rc, long *rs)
{
    unsigned char ra[24];
    long count = ks2_words(ra, list), zero = 0, vp_len = 16;
    CSNBKYT2(rc, rs, NULL, NULL, &count, ra, &id_len, id, &zero, NULL, &zero, NULL, &vp_len, vp);
    return vp_len;
}

/* Skeleton into a record, key generated into it by label, the record's token tested both ways. */
static void v5_case(const char *text, const char *skeleton_words, const char *alg, long bits, const char *kyt_words)
{
    unsigned char label[64], skel[BUF], tok[BUF], vp_label[16], vp_token[16];
    long rc, rs, skel_len = ktb2(skeleton_words, skel);
    akrc(text, skel, skel_len);
    ks2_label(label, text);
    long gen_len = 64;
    kgn2(alg, bits, &gen_len, label, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    CHECK(gen_len == 64); /* length and label unchanged: the token went into the record */
    long len = ks2_akrr(label, tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    CHECK(tok[4] == 0x05 && len > skel_len);
    long n1 = kyt2(kyt_words, label, 64, vp_label, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    long n2 = kyt2(kyt_words, tok, BUF, vp_token, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    CHECK(n1 == n2 && memcmp(vp_label, vp_token, (size_t)n1) == 0);
}

static void aes_v5_hmac_by_label(void)
{
    v5_case("TEST.AES.CIPHER", "INTERNAL NO-KEY AES CIPHER ANY-MODE", "AES", 256, "GENERATE AES SHA-256");
    v5_case("TEST.HMAC.KEY", "INTERNAL HMAC MAC GENERATE", "HMAC", 512, "GENERATE HMAC SHAVP1");
    unsigned char label[64], vp[16];
    long rc, rs;
    ks2_label(label, "TEST.AES.NULL");
    kyt2("GENERATE AES SHA-256", label, 64, vp, &rc, &rs);
    EXPECT(8, 180, rc, rs);
    ks2_label(label, "TEST.AES.X.");
    kyt2("GENERATE AES SHA-256", label, 64, vp, &rc, &rs);
    EXPECT(8, 32, rc, rs);
}

/* ---- RSA and ECC ---------------------------------------------------------------- */

static long pka_skeleton(const char *list, const unsigned char *kvs, long kvs_len, unsigned char *tok)
{
    unsigned char rules[40];
    long rc, rs, count = ks2_words(rules, list), len = BUF;
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, (unsigned char *)kvs, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, &len, tok);
    EXPECT(0, 0, rc, rs);
    return len;
}

static void pkg_into(const unsigned char *skel, long skel_len, unsigned char *gen, long *gen_len, long *rc, long *rs)
{
    unsigned char rules[8], transport[64] = {0};
    long count = ks2_words(rules, "MASTER"), zero = 0;
    CSNDPKG(rc, rs, NULL, NULL, &count, rules, &zero, NULL, &skel_len, (unsigned char *)skel, transport, gen_len, gen);
}

static long dsg(const char *list, unsigned char *id, long id_len, unsigned char *data, long data_len,
                unsigned char *sig, long *rc, long *rs)
{
    unsigned char rules[16];
    long count = ks2_words(rules, list), sig_len = 512, bits = 0;
    CSNDDSG(rc, rs, NULL, NULL, &count, rules, &id_len, id, &data_len, data, &sig_len, &bits, sig);
    return sig_len;
}

static void dsv(const char *list, unsigned char *id, long id_len, unsigned char *data, long data_len,
                unsigned char *sig, long sig_len, long *rc, long *rs)
{
    unsigned char rules[16];
    long count = ks2_words(rules, list);
    CSNDDSV(rc, rs, NULL, NULL, &count, rules, &id_len, id, &data_len, data, &sig_len, sig);
}

/* Generate into a PKA label, sign by label, verify with the public key extracted by label. */
static void pka_case(const char *text, const char *type, const unsigned char *kvs, long kvs_len, const char *sig_rules,
                     unsigned char *data, long data_len)
{
    unsigned char label[64], skel[BUF], pub[BUF], sig[512];
    long rc, rs, skel_len = pka_skeleton(type, kvs, kvs_len, skel);
    dkrc(text);
    ks2_label(label, text);
    long gen_len = 64;
    pkg_into(skel, skel_len, label, &gen_len, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    CHECK(gen_len == 64);
    long sig_len = dsg(sig_rules, label, 64, data, data_len, sig, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    long count = 0, id_len = 64, pub_len = BUF;
    CSNDPKX(&rc, &rs, NULL, NULL, &count, NULL, &id_len, label, &pub_len, pub);
    EXPECT(0, 0, rc, rs);
    CHECK(pub[0] == 0x1E);
    dsv(sig_rules, pub, pub_len, data, data_len, sig, sig_len, &rc, &rs);
    EXPECT(0, 0, rc, rs);
}

static void pka_by_label(void)
{
    /* SHA-256 DigestInfo of "abc" for PKCS-1.1 (the caller supplies the DER). */
    static unsigned char di[51] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
                                   0x02, 0x01, 0x05, 0x00, 0x04, 0x20, 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf,
                                   0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3,
                                   0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    unsigned char rsa_kvs[21] = {0x04, 0x00, 0, 0, 0, 3, [18] = 1, 0, 1}; /* 1024 bits, e = 65537 */
    unsigned char ecc_kvs[8] = {0x00, 0, 0x01, 0x00};                       /* prime curve, 256 bits */
    pka_case("TEST.RSA.KEY", "RSA-CRT", rsa_kvs, 21, "PKCS-1.1", di, 51);
    pka_case("TEST.ECC.KEY", "ECC-PAIR", ecc_kvs, 8, "ECDSA", di + 19, 32);
    unsigned char label[64], sig[512];
    long rc, rs;
    dkrc("TEST.PKA.NULL");
    ks2_label(label, "TEST.PKA.NULL");
    dsg("PKCS-1.1", label, 64, di, 51, sig, &rc, &rs);
    EXPECT(8, 180, rc, rs);
    ks2_label(label, "TEST.PKA.ABSENT");
    dsg("PKCS-1.1", label, 64, di, 51, sig, &rc, &rs);
    EXPECT(8, 30, rc, rs);
    ks2_label(label, "TEST.TOOLONGTOKEN");
    dsg("PKCS-1.1", label, 64, di, 51, sig, &rc, &rs);
    EXPECT(8, 32, rc, rs);
}

/* ---- RTCMK by label after a master-key change ------------------------------------------ */

struct record {
    const char *label;
    char store; /* 'D', 'A', 'P' */
    unsigned char before[BUF];
    long len;
};

static long read_record(const struct record *r, unsigned char *tok)
{
    unsigned char label[64];
    long rc, rs, count = 0, len = BUF;
    ks2_label(label, r->label);
    if (r->store == 'D') {
        CSNBKRR(&rc, &rs, NULL, NULL, label, tok);
        len = 64;
    } else if (r->store == 'A') {
        CSNBAKRR(&rc, &rs, NULL, NULL, &count, NULL, label, &len, tok);
    } else {
        CSNDKRR(&rc, &rs, NULL, NULL, &count, NULL, label, &len, tok);
    }
    EXPECT(0, 0, rc, rs);
    return len;
}

/* CSNBKTC / CSNBKTC2 / CSNDKTC RTCMK on the label, as a client would call it. */
static void rtcmk(const struct record *r, const char *action, long *rc, long *rs)
{
    unsigned char label[64], rules[16];
    long count, len = 64;
    ks2_label(label, r->label);
    bool v5 = r->store == 'A' && r->before[4] == 0x05;
    char list[32];
    if (r->store == 'P') {
        snprintf(list, sizeof(list), "%s", action);
        count = ks2_words(rules, list);
        CSNDKTC(rc, rs, NULL, NULL, &count, rules, &len, label);
    } else if (v5) {
        snprintf(list, sizeof(list), "%s %s", r->before[41] == 0x03 ? "HMAC" : "AES", action);
        count = ks2_words(rules, list);
        CSNBKTC2(rc, rs, NULL, NULL, &count, rules, &len, label);
    } else {
        snprintf(list, sizeof(list), "%s %s", action, r->store == 'A' ? "AES" : "DES");
        count = ks2_words(rules, list);
        CSNBKTC(rc, rs, NULL, NULL, &count, rules, label);
    }
    unsigned char want[64];
    ks2_label(want, r->label);
    CHECK(memcmp(label, want, 64) == 0 && len == 64); /* the caller's identifier is left as it was */
}

static void rtcmk_by_label(void)
{
    static struct record recs[] = {{"TEST.DES.DATA", 'D', {0}, 0},   {"TEST.AES.V4", 'A', {0}, 0},
                                   {"TEST.AES.CIPHER", 'A', {0}, 0}, {"TEST.HMAC.KEY", 'A', {0}, 0},
                                   {"TEST.RSA.KEY", 'P', {0}, 0},    {"TEST.ECC.KEY", 'P', {0}, 0}};
    const size_t n = sizeof(recs) / sizeof(recs[0]);
    unsigned char tok[BUF], label[64], vp[8], vp_before[8];
    long rc, rs;
    /* Already current: 0/0 and the record is not rewritten. */
    for (size_t i = 0; i < n; i++) {
        recs[i].len = read_record(&recs[i], recs[i].before);
        rtcmk(&recs[i], "RTCMK", &rc, &rs);
        EXPECT(0, 0, rc, rs);
        CHECK(read_record(&recs[i], tok) == recs[i].len && memcmp(tok, recs[i].before, (size_t)recs[i].len) == 0);
    }
    ks2_label(label, "TEST.AES.V4");
    ks2_kyt_aes(label, vp_before, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    /* RTNMK on a label: refused (host key storage follows the RTCMK model). */
    rtcmk(&recs[0], "RTNMK", &rc, &rs);
    EXPECT(8, 33, rc, rs);
    ks2_mk_change("SYM-MK");
    ks2_mk_change("AES-MK");
    ks2_mk_change("APKA-MK");
    ks2_kyt_aes(label, vp, &rc, &rs);
    EXPECT(0, 10001, rc, rs); /* usable, under the old master key */
    for (size_t i = 0; i < n; i++) {
        rtcmk(&recs[i], "RTCMK", &rc, &rs);
        EXPECT(0, 0, rc, rs);
        long len = read_record(&recs[i], tok);
        CHECK(len != recs[i].len || memcmp(tok, recs[i].before, (size_t)len) != 0); /* rewritten */
        memcpy(recs[i].before, tok, (size_t)len);
        recs[i].len = len;
        rtcmk(&recs[i], "RTCMK", &rc, &rs); /* now current: 0/0, left as it is */
        EXPECT(0, 0, rc, rs);
        CHECK(read_record(&recs[i], tok) == len && memcmp(tok, recs[i].before, (size_t)len) == 0);
    }
    ks2_kyt_aes(label, vp, &rc, &rs);
    EXPECT(0, 0, rc, rs); /* under the current key now: no 10001 */
    CHECK(memcmp(vp, vp_before, 8) == 0);
    unsigned char by_label[16];
    ks2_label(label, "TEST.DES.DATA");
    enc_des(label, by_label, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    ks2_label(label, "TEST.HMAC.KEY");
    unsigned char vp16[16];
    kyt2("GENERATE HMAC SHAVP1", label, 64, vp16, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    unsigned char di[32] = {1, 2, 3}, sig[512];
    ks2_label(label, "TEST.ECC.KEY");
    dsg("ECDSA", label, 64, di, 32, sig, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    ks2_label(label, "TEST.MISSING");
    rtcmk(&(struct record){"TEST.MISSING", 'P', {0}, 0}, "RTCMK", &rc, &rs);
    EXPECT(8, 30, rc, rs);
}

int main(void)
{
    char dir[64];
    ks2_environment(dir);
    static const char *const sets[] = {"SYM-MK", "ASYM-MK", "AES-MK", "APKA-MK"};
    for (size_t i = 0; i < 4; i++) {
        ks2_mkp(sets[i], "CLEAR");
        ks2_mk_change(sets[i]);
    }
    ks2_ksi("DES");
    ks2_ksi("AES");
    ks2_ksi("PKA");
    des_by_label();
    printf("ok des_by_label\n");
    aes_v4_by_label();
    printf("ok aes_v4_by_label\n");
    aes_v5_hmac_by_label();
    printf("ok aes_v5_hmac_by_label\n");
    pka_by_label();
    printf("ok pka_by_label\n");
    rtcmk_by_label();
    printf("ok rtcmk_by_label\n");
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
