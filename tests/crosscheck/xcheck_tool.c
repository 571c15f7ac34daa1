/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xcheck_tool: the libcsulcca half of the OpenSSL cross-checks that
 * crosscheck.sh drives.  Each subcommand does one thing through the verbs
 * (CSU_CARD names the card, set by the script) and exchanges files with the
 * `openssl` command, so that nothing here checks the library against
 * itself:
 *
 *   init                              load SYM, AES and APKA master keys (CSNBMKP)
 *   rsa-sign   DATA SIG PUB.pem       CSNDPKG RSA-2048, CSNDDSG PKCS-1.1 over
 *                                     DigestInfo(SHA-256(DATA)), CSNDPKX -> PEM
 *   ecdsa-sign DATA SIG.der PUB.pem   CSNDPKG P-256, CSNDDSG ECDSA over SHA-256(DATA),
 *                                     r || s -> DER, CSNDPKX -> PEM
 *   rsa-verify   KEY.pem DATA SIG ok|bad   CSNDPKB RSA-CRT + CSNDPKI of an OpenSSL
 *                                          key, CSNDDSV PKCS-1.1 (bad: expects 4/429)
 *   ecdsa-verify KEY.pem DATA SIG ok|bad   CSNDPKB ECC-PUBL of an OpenSSL key,
 *                                          CSNDDSV ECDSA, DER -> r || s
 *   cipher aes|tdes enc|dec KEYHEX IVHEX IN OUT
 *                                     CSNBCKM import, then CSNBSAE/CSNBSAD (AES CBC)
 *                                     or CSNBENC/CSNBDEC (TDES CBC), no padding
 *
 * Exit 0 on the expected outcome, 1 otherwise (with the codes on stderr).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "csulincl.h"

#define TOK_BUF 2500
#define MAX_FILE (1L << 20)
#define P256_BYTES 32

/* DER prefix of DigestInfo { sha256, NULL } (RFC 8017 §9.2 note 1). */
static const unsigned char sha256_prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

/* ---- small helpers ---------------------------------------------------------------- */

/* Reports why on stderr; returns 1 (a failed step). */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "xcheck_tool: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

/* Space-separated keywords into 8-byte rule-array slots. */
static long rules_of(unsigned char *rules, const char *list)
{
    long count = 0;
    for (const char *w = list; *w;) {
        const char *end = strchr(w, ' ');
        size_t n = end ? (size_t)(end - w) : strlen(w);
        memset(rules + 8 * count, ' ', 8);
        memcpy(rules + 8 * count, w, n);
        count++;
        w = end ? end + 1 : w + n;
    }
    return count;
}

static unsigned char *read_file(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    unsigned char *buf = malloc(MAX_FILE);
    size_t n = buf ? fread(buf, 1, MAX_FILE, f) : 0;
    bool too_long = buf && n == MAX_FILE && fgetc(f) != EOF;
    fclose(f);
    if (!buf || too_long) {
        fprintf(stderr, "%s: %s\n", path, buf ? "too long" : "out of memory");
        free(buf);
        return NULL;
    }
    *len = (long)n;
    return buf;
}

static bool write_file(const char *path, const unsigned char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(buf, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        perror(path);
    return ok;
}

static long unhex(const char *hex, unsigned char *out, long max)
{
    long n = (long)strlen(hex) / 2;
    if ((long)strlen(hex) != 2 * n || n > max)
        return -1;
    for (long i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return n;
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static void put16(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

/* The section @p id of a PKA token (header 8 bytes, then {id, ver, len16} sections), or NULL. */
static const unsigned char *pka_section(const unsigned char *tok, long tok_len, unsigned char id, unsigned *sec_len)
{
    long total = tok_len >= 8 ? (long)get16(tok + 2) : 0;
    if (total > tok_len)
        return NULL;
    for (long off = 8; off + 4 <= total;) {
        unsigned len = get16(tok + off + 2);
        if (len < 4 || off + (long)len > total)
            return NULL;
        if (tok[off] == id) {
            *sec_len = len;
            return tok + off;
        }
        off += len;
    }
    return NULL;
}

static bool sha256(const unsigned char *data, long len, unsigned char out[32])
{
    unsigned int n = 0;
    return EVP_Digest(data, (size_t)len, out, &n, EVP_sha256(), NULL) == 1 && n == 32;
}

static bool write_pubkey_pem(const char *path, OSSL_PARAM_BLD *bld, const char *type)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pk = NULL;
    bool ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
              EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) == 1;
    BIO *bio = ok ? BIO_new_file(path, "w") : NULL;
    ok = bio && PEM_write_bio_PUBKEY(bio, pk) == 1;
    BIO_free(bio);
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    if (!ok)
        fprintf(stderr, "xcheck_tool: cannot write %s public key to %s\n", type, path);
    return ok;
}

static EVP_PKEY *read_private_pem(const char *path)
{
    BIO *bio = BIO_new_file(path, "r");
    EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!pk)
        fprintf(stderr, "xcheck_tool: cannot read a private key from %s\n", path);
    return pk;
}

/* ---- master keys ------------------------------------------------------------------ */

static int cmd_init(void)
{
    static const char *const steps[] = {"SYM-MK CLEAR",  "SYM-MK RANDOM",  "SYM-MK SET",
                                        "AES-MK CLEAR",  "AES-MK RANDOM",  "AES-MK SET",
                                        "APKA-MK CLEAR", "APKA-MK RANDOM", "APKA-MK SET"};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        long rc = -1, rs = -1;
        unsigned char rules[24];
        long count = rules_of(rules, steps[i]);
        CSNBMKP(&rc, &rs, NULL, NULL, &count, rules, NULL);
        if (rc != 0)
            return fail("CSNBMKP %s: %ld/%ld", steps[i], rc, rs);
    }
    return 0;
}

/* ---- signatures made by the card ---------------------------------------------------- */

/* CSNDPKB skeleton + CSNDPKG MASTER; the token length, or -1. */
static long generate_key(const char *type_usage, const unsigned char *kvs, long kvs_len, unsigned char *key)
{
    unsigned char skeleton[TOK_BUF], rules[24], transport[64] = {0};
    long rc = -1, rs = -1, count = rules_of(rules, type_usage), sk_len = TOK_BUF, key_len = TOK_BUF, zero = 0;
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, (unsigned char *)kvs, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, &sk_len, skeleton);
    if (rc != 0)
        return -fail("CSNDPKB %s: %ld/%ld", type_usage, rc, rs);
    count = rules_of(rules, "MASTER");
    CSNDPKG(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &sk_len, skeleton, transport, &key_len, key);
    if (rc != 0)
        return -fail("CSNDPKG %s: %ld/%ld", type_usage, rc, rs);
    return key_len;
}

static long extract_public(unsigned char *key, long key_len, unsigned char *pub)
{
    long rc = -1, rs = -1, count = 0, pub_len = TOK_BUF;
    CSNDPKX(&rc, &rs, NULL, NULL, &count, NULL, &key_len, key, &pub_len, pub);
    if (rc != 0)
        return -fail("CSNDPKX: %ld/%ld", rc, rs);
    return pub_len;
}

static bool sign(const char *method, unsigned char *key, long key_len, const unsigned char *data, long data_len,
                 unsigned char *sig, long *sig_len)
{
    long rc = -1, rs = -1, bits = 0;
    unsigned char rules[8];
    long count = rules_of(rules, method);
    *sig_len = 512;
    CSNDDSG(&rc, &rs, NULL, NULL, &count, rules, &key_len, key, &data_len, (unsigned char *)data, sig_len, &bits,
            sig);
    return rc == 0 || !fail("CSNDDSG %s: %ld/%ld", method, rc, rs);
}

/* n and e from the X'04' section of an RSA public token, as a PEM SubjectPublicKeyInfo. */
static bool rsa_pub_pem(const unsigned char *pub, long pub_len, const char *path)
{
    unsigned sec_len;
    const unsigned char *s = pka_section(pub, pub_len, 0x04, &sec_len);
    if (!s || sec_len < 12 || 12 + get16(s + 6) + get16(s + 10) > sec_len) {
        fprintf(stderr, "xcheck_tool: no RSA public section in the CSNDPKX token\n");
        return false;
    }
    unsigned e_len = get16(s + 6), n_len = get16(s + 10);
    BIGNUM *e = BN_bin2bn(s + 12, (int)e_len, NULL), *n = BN_bin2bn(s + 12 + e_len, (int)n_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    bool ok = n && e && bld && n_len > 0 && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
              OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1 && write_pubkey_pem(path, bld, "RSA");
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return ok;
}

/* Q from the X'21' section of an ECC public token, as a P-256 PEM. */
static bool ecc_pub_pem(const unsigned char *pub, long pub_len, const char *path)
{
    unsigned sec_len;
    const unsigned char *s = pka_section(pub, pub_len, 0x21, &sec_len);
    if (!s || sec_len < 14 || 14 + get16(s + 12) > sec_len || get16(s + 12) != 1 + 2 * P256_BYTES) {
        fprintf(stderr, "xcheck_tool: no P-256 public section in the CSNDPKX token\n");
        return false;
    }
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    bool ok = bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
              OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, s + 14, get16(s + 12)) == 1 &&
              write_pubkey_pem(path, bld, "EC");
    OSSL_PARAM_BLD_free(bld);
    return ok;
}

static int cmd_rsa_sign(const char *data_path, const char *sig_path, const char *pem_path)
{
    unsigned char kvs[21] = {0x08, 0x00, 0, 0, 0, 3}, key[TOK_BUF], pub[TOK_BUF], di[19 + 32], sig[512];
    kvs[18] = 1, kvs[20] = 1; /* RSA-2048, e = 65537 */
    long data_len, sig_len, key_len = generate_key("RSA-CRT SIG-ONLY", kvs, sizeof(kvs), key), pub_len = -1;
    unsigned char *data = read_file(data_path, &data_len);
    memcpy(di, sha256_prefix, sizeof(sha256_prefix));
    bool ok = data && key_len > 0 && sha256(data, data_len, di + 19) &&
              sign("PKCS-1.1", key, key_len, di, sizeof(di), sig, &sig_len) &&
              write_file(sig_path, sig, (size_t)sig_len) && (pub_len = extract_public(key, key_len, pub)) > 0 &&
              rsa_pub_pem(pub, pub_len, pem_path);
    free(data);
    return ok ? 0 : 1;
}

static int cmd_ecdsa_sign(const char *data_path, const char *sig_path, const char *pem_path)
{
    unsigned char kvs[8] = {0x00, 0, 0x01, 0x00}, key[TOK_BUF], pub[TOK_BUF], hash[32], sig[512];
    long data_len, sig_len = 0, key_len = generate_key("ECC-PAIR SIG-ONLY", kvs, sizeof(kvs), key), pub_len = -1;
    unsigned char *data = read_file(data_path, &data_len), *der = NULL;
    bool ok = data && key_len > 0 && sha256(data, data_len, hash) &&
              sign("ECDSA", key, key_len, hash, sizeof(hash), sig, &sig_len);
    if (ok && sig_len != 2 * P256_BYTES) {
        fprintf(stderr, "xcheck_tool: ECDSA P-256 signature of %ld bytes, not r || s\n", sig_len);
        ok = false;
    }
    ECDSA_SIG *es = ok ? ECDSA_SIG_new() : NULL;
    BIGNUM *r = ok ? BN_bin2bn(sig, P256_BYTES, NULL) : NULL;
    BIGNUM *s = ok ? BN_bin2bn(sig + P256_BYTES, P256_BYTES, NULL) : NULL;
    ok = es && r && s && ECDSA_SIG_set0(es, r, s) == 1;
    if (!ok) {
        BN_free(r);
        BN_free(s);
    }
    int der_len = ok ? i2d_ECDSA_SIG(es, &der) : -1;
    ok = der_len > 0 && write_file(sig_path, der, (size_t)der_len) &&
         (pub_len = extract_public(key, key_len, pub)) > 0 && ecc_pub_pem(pub, pub_len, pem_path);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    free(data);
    return ok ? 0 : 1;
}

/* ---- signatures made by openssl, verified by the card --------------------------------- */

/* CSNDDSV; true when the outcome is the expected one (ok: 0/0, bad: 4/429). */
static bool verify_as_expected(const char *method, unsigned char *key, long key_len, const unsigned char *data,
                               long data_len, const unsigned char *sig, long sig_len, bool want_ok)
{
    long rc = -1, rs = -1;
    unsigned char rules[8];
    long count = rules_of(rules, method);
    CSNDDSV(&rc, &rs, NULL, NULL, &count, rules, &key_len, key, &data_len, (unsigned char *)data, &sig_len,
            (unsigned char *)sig);
    bool as_expected = want_ok ? rc == 0 && rs == 0 : rc == 4 && rs == 429;
    if (!as_expected)
        fprintf(stderr, "xcheck_tool: CSNDDSV %s answered %ld/%ld, expected %s\n", method, rc, rs,
                want_ok ? "0/0" : "4/429");
    return as_expected;
}

/* Appends the big-endian bytes of an RSA parameter of @p pk to kvs + *off; its length, or -1. */
static long append_bn(EVP_PKEY *pk, const char *name, unsigned char *kvs, size_t *off)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1)
        return -1;
    int n = BN_num_bytes(bn);
    if (*off + (size_t)n > TOK_BUF) {
        BN_free(bn);
        return -1;
    }
    BN_bn2bin(bn, kvs + *off);
    *off += (size_t)n;
    BN_free(bn);
    return n;
}

/* An internal RSA-CRT token of an OpenSSL key: CSNDPKB RSA-CRT (clear values), CSNDPKI. */
static long import_rsa(EVP_PKEY *pk, unsigned char *tok)
{
    static const char *const names[7] = {OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
                                         OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,
                                         OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
                                         OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    unsigned char kvs[TOK_BUF] = {0}, ext[TOK_BUF], rules[16], importer[64] = {0};
    size_t off = 18;
    long len[7];
    for (int i = 0; i < 7; i++)
        if ((len[i] = append_bn(pk, names[i], kvs, &off)) < 0)
            return -fail("OpenSSL key: no RSA CRT parameter %s", names[i]);
    put16(kvs, (size_t)EVP_PKEY_get_bits(pk));
    put16(kvs + 2, (size_t)len[0]);
    put16(kvs + 4, (size_t)len[1]);
    for (int i = 2; i < 7; i++)
        put16(kvs + 8 + 2 * (i - 2), (size_t)len[i]);
    long rc = -1, rs = -1, count = rules_of(rules, "RSA-CRT SIG-ONLY"), kvs_len = (long)off, ext_len = TOK_BUF;
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, kvs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, &ext_len, ext);
    OPENSSL_cleanse(kvs, sizeof(kvs));
    if (rc != 0)
        return -fail("CSNDPKB %s: %ld/%ld", "RSA-CRT", rc, rs);
    long tok_len = TOK_BUF;
    count = 0;
    CSNDPKI(&rc, &rs, NULL, NULL, &count, NULL, &ext_len, ext, importer, &tok_len, tok);
    OPENSSL_cleanse(ext, sizeof(ext));
    if (rc != 0)
        return -fail("CSNDPKI %s: %ld/%ld", "RSA-CRT", rc, rs);
    return tok_len;
}

/* An ECC-PUBL token of an OpenSSL P-256 key (uncompressed Q). */
static long import_ecc_public(EVP_PKEY *pk, unsigned char *tok)
{
    unsigned char kvs[8 + 1 + 2 * P256_BYTES] = {0x00, 0, 0x01, 0x00}, rules[8];
    size_t q_len = 0;
    if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, kvs + 8, sizeof(kvs) - 8,
                                        &q_len) != 1 ||
        q_len != sizeof(kvs) - 8 || kvs[8] != 0x04)
        return -fail("OpenSSL key: not an uncompressed P-256 point");
    put16(kvs + 6, q_len);
    long rc = -1, rs = -1, count = rules_of(rules, "ECC-PUBL"), kvs_len = sizeof(kvs), tok_len = TOK_BUF;
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, kvs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, &tok_len, tok);
    if (rc != 0)
        return -fail("CSNDPKB %s: %ld/%ld", "ECC-PUBL", rc, rs);
    return tok_len;
}

/* DER ECDSA-Sig-Value -> r || s, 32 bytes each. */
static bool der_to_raw(const unsigned char *der, long der_len, unsigned char raw[2 * P256_BYTES])
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, der_len);
    bool ok = es && p == der + der_len &&
              BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, P256_BYTES) == P256_BYTES &&
              BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + P256_BYTES, P256_BYTES) == P256_BYTES;
    ECDSA_SIG_free(es);
    if (!ok)
        fprintf(stderr, "xcheck_tool: not a P-256 DER ECDSA signature\n");
    return ok;
}

static int cmd_verify(bool rsa, const char *pem_path, const char *data_path, const char *sig_path,
                      const char *expect)
{
    bool want_ok = strcmp(expect, "ok") == 0;
    if (!want_ok && strcmp(expect, "bad") != 0)
        return fail("%s: expected ok or bad", expect);
    EVP_PKEY *pk = read_private_pem(pem_path);
    unsigned char tok[TOK_BUF], di[19 + 32], raw[2 * P256_BYTES];
    long tok_len = pk ? (rsa ? import_rsa(pk, tok) : import_ecc_public(pk, tok)) : -1, data_len = 0, sig_len = 0;
    unsigned char *data = read_file(data_path, &data_len), *sig = read_file(sig_path, &sig_len);
    memcpy(di, sha256_prefix, sizeof(sha256_prefix));
    bool ok = tok_len > 0 && data && sig && sha256(data, data_len, di + 19);
    if (ok && rsa)
        ok = verify_as_expected("PKCS-1.1", tok, tok_len, di, sizeof(di), sig, sig_len, want_ok);
    else if (ok)
        ok = der_to_raw(sig, sig_len, raw) &&
             verify_as_expected("ECDSA", tok, tok_len, di + 19, 32, raw, sizeof(raw), want_ok);
    free(data);
    free(sig);
    EVP_PKEY_free(pk);
    return ok ? 0 : 1;
}

/* ---- symmetric ciphers ----------------------------------------------------------------- */

static bool import_clear_key(const char *alg, const unsigned char *clear, long len, unsigned char tok[64])
{
    long rc = -1, rs = -1;
    unsigned char rules[8];
    long count = rules_of(rules, alg);
    memset(tok, 0, 64); /* a null token: CSNBCKM builds a fresh DATA token */
    CSNBCKM(&rc, &rs, NULL, NULL, &count, rules, &len, (unsigned char *)clear, tok);
    return rc == 0 || !fail("CSNBCKM %s: %ld/%ld", alg, rc, rs);
}

static bool aes_cbc(bool enc, unsigned char tok[64], unsigned char iv[16], const unsigned char *in, long len,
                    unsigned char *out)
{
    unsigned char rules[16], chain[32] = {0};
    long rc = -1, rs = -1, count = rules_of(rules, "AES CBC"), key_len = 64, zero = 0, block = 16, iv_len = 16,
         chain_len = sizeof(chain), in_len = len, out_len = len;
    if (enc)
        CSNBSAE(&rc, &rs, NULL, NULL, &count, rules, &key_len, tok, &zero, NULL, &block, &iv_len, iv, &chain_len,
                chain, &in_len, (unsigned char *)in, &out_len, out, &zero, NULL);
    else
        CSNBSAD(&rc, &rs, NULL, NULL, &count, rules, &key_len, tok, &zero, NULL, &block, &iv_len, iv, &chain_len,
                chain, &in_len, (unsigned char *)in, &out_len, out, &zero, NULL);
    if (rc == 0 && out_len != len)
        return !fail("%s: output length %ld, not %ld", enc ? "CSNBSAE" : "CSNBSAD", out_len, len);
    return rc == 0 || !fail("%s AES CBC: %ld/%ld", enc ? "CSNBSAE" : "CSNBSAD", rc, rs);
}

static bool tdes_cbc(bool enc, unsigned char tok[64], unsigned char iv[8], const unsigned char *in, long len,
                     unsigned char *out)
{
    unsigned char rules[8], chain[18] = {0};
    long rc = -1, rs = -1, count = rules_of(rules, "CBC"), text_len = len, pad = 0;
    if (enc)
        CSNBENC(&rc, &rs, NULL, NULL, tok, &text_len, (unsigned char *)in, iv, &count, rules, &pad, chain, out);
    else
        CSNBDEC(&rc, &rs, NULL, NULL, tok, &text_len, (unsigned char *)in, iv, &count, rules, chain, out);
    if (rc == 0 && text_len != len)
        return !fail("%s: output length %ld, not %ld", enc ? "CSNBENC" : "CSNBDEC", text_len, len);
    return rc == 0 || !fail("%s CBC: %ld/%ld", enc ? "CSNBENC" : "CSNBDEC", rc, rs);
}

static int cmd_cipher(const char *alg, const char *dir, const char *key_hex, const char *iv_hex, const char *in_path,
                      const char *out_path)
{
    bool aes = strcmp(alg, "aes") == 0, enc = strcmp(dir, "enc") == 0;
    if ((!aes && strcmp(alg, "tdes") != 0) || (!enc && strcmp(dir, "dec") != 0))
        return fail("cipher %s %s: expected aes|tdes enc|dec", alg, dir);
    unsigned char key[32], iv[16], tok[64];
    long key_len = unhex(key_hex, key, sizeof(key)), iv_len = unhex(iv_hex, iv, sizeof(iv)), len = 0;
    if (key_len != (aes ? 32 : 24) || iv_len != (aes ? 16 : 8))
        return fail("%s: key of %ld bytes, IV of %ld bytes", alg, key_len, iv_len);
    unsigned char *in = read_file(in_path, &len), *out = in ? malloc((size_t)len + 1) : NULL;
    bool ok = in && out && import_clear_key(aes ? "AES" : "DES", key, key_len, tok) &&
              (aes ? aes_cbc(enc, tok, iv, in, len, out) : tdes_cbc(enc, tok, iv, in, len, out)) &&
              write_file(out_path, out, (size_t)len);
    OPENSSL_cleanse(key, sizeof(key));
    free(in);
    free(out);
    return ok ? 0 : 1;
}

/* ---- main ------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "init") == 0 && argc == 2)
        return cmd_init();
    if (strcmp(cmd, "rsa-sign") == 0 && argc == 5)
        return cmd_rsa_sign(argv[2], argv[3], argv[4]);
    if (strcmp(cmd, "ecdsa-sign") == 0 && argc == 5)
        return cmd_ecdsa_sign(argv[2], argv[3], argv[4]);
    if (strcmp(cmd, "rsa-verify") == 0 && argc == 6)
        return cmd_verify(true, argv[2], argv[3], argv[4], argv[5]);
    if (strcmp(cmd, "ecdsa-verify") == 0 && argc == 6)
        return cmd_verify(false, argv[2], argv[3], argv[4], argv[5]);
    if (strcmp(cmd, "cipher") == 0 && argc == 8)
        return cmd_cipher(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
    fprintf(stderr, "usage: xcheck_tool init | rsa-sign DATA SIG PUB.pem | ecdsa-sign DATA SIG.der PUB.pem\n"
                    "       | rsa-verify KEY.pem DATA SIG ok|bad | ecdsa-verify KEY.pem DATA SIG.der ok|bad\n"
                    "       | cipher aes|tdes enc|dec KEYHEX IVHEX IN OUT   (CSU_CARD names the card)\n");
    return 2;
}
