/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wycheproof vectors through the verbs, end to end (libcsulcca with an
 * in-process card):
 *   CSNDDSV PKCS-1.1   rsa_signature_2048_sha256 (RSA-PUBL tokens)
 *   CSNDDSV PKCS-PSS   rsa_pss_2048_sha256_mgf1_32
 *   CSNDDSV ECDSA      ecdsa_{secp256r1,secp384r1,secp521r1,brainpoolP256r1}
 *   CSNDPKD PKCS-1.2   rsa_pkcs1_2048
 *   CSNDPKD PKCSOAEP   rsa_oaep_2048_sha{1,256}_mgf1sha{1,256}
 * valid -> accepted (and the right plaintext); invalid -> 4/429 (signatures)
 * or 8/66 (every decryption failure); acceptable -> either.
 * Skipped classes, counted and printed: ECDSA signatures that are not
 * strict DER or whose r/s do not fit the field length (the r ‖ s form
 * cannot carry them, so they never reach the verb); OAEP vectors with a
 * non-empty label (CSNDPKD has no label parameter).
 * Usage: test_pkacrypto_wycheproof <vector dir>; exit 77 when absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "json_mini.h"
#include "pkacrypto_util.h"

static const char *vec_dir;

struct tally {
    int run, skipped;
};

static struct jnode *load(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", vec_dir, name);
    struct jnode *root = jload(path);
    if (!root)
        fail_msg("cannot read %s", path);
    return root;
}

static long hexarg(const struct jnode *n, const char *key, unsigned char *out, size_t cap)
{
    long len = jhex(jstr(n, key), out, cap);
    if (len < 0)
        fail_msg("bad hex field %s", key);
    return len;
}

static void digest(const char *md, const unsigned char *msg, long len, unsigned char *out, unsigned *out_len)
{
    assert_int_equal(EVP_Digest(msg, (size_t)len, out, out_len, EVP_get_digestbyname(md), NULL), 1);
}

/* Signatures of no length or above 512 bytes never reach the card: the host answers 8/72. */
static void expect_sig(const struct jnode *t, long got, long sig_len, const char *file)
{
    const char *result = jstr(t, "result");
    long id = (long)jget(t, "tcId")->num;
    bool impossible = sig_len == 0 || sig_len > 512;
    bool ok = impossible ? strcmp(result, "valid") != 0 && got == 80072
              : strcmp(result, "valid") == 0 ? got == 0
              : strcmp(result, "invalid") == 0 ? got == 40429
                                                : (got == 0 || got == 40429);
    if (!ok)
        fail_msg("%s tcId %ld (%s): %ld/%ld", file, id, result, got / 10000, got % 10000);
}

/* ---- RSA PKCS-1.1 ----------------------------------------------------------------- */

static const unsigned char sha256_prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                              0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

static long rsa_group_key(const struct jnode *g, unsigned char *tok)
{
    const struct jnode *pk = jget(g, "publicKey");
    unsigned char n[600], e[600];
    long n_len = hexarg(pk, "modulus", n, sizeof(n)), e_len = hexarg(pk, "publicExponent", e, sizeof(e)), rs;
    long len = rsa_public_token(n, n_len, e, e_len, tok, &rs);
    if (len <= 0)
        fail_msg("CSNDPKB RSA-PUBL: %ld/%ld", -len, rs);
    return len;
}

static void test_rsa_pkcs1_verify(void **state)
{
    (void)state;
    const char *file = "rsa_signature_2048_sha256_test.json";
    struct jnode *root = load(file);
    struct tally t = {0};
    for (struct jnode *g = jget(root, "testGroups")->kid; g; g = g->next) {
        unsigned char tok[TOK_BUF];
        long tok_len = rsa_group_key(g, tok);
        for (struct jnode *c = jget(g, "tests")->kid; c; c = c->next) {
            static unsigned char msg[8192], sig[1024];
            unsigned char data[64];
            long msg_len = hexarg(c, "msg", msg, sizeof(msg)), sig_len = hexarg(c, "sig", sig, sizeof(sig));
            unsigned h;
            memcpy(data, sha256_prefix, sizeof(sha256_prefix));
            digest("SHA256", msg, msg_len, data + sizeof(sha256_prefix), &h);
            expect_sig(c, dsv("PKCS-1.1", tok, tok_len, data, 51, sig, sig_len), sig_len, file);
            t.run++;
        }
    }
    printf("# %s: %d run, %d skipped\n", file, t.run, t.skipped);
    assert_true(t.run > 200);
    jfree(root);
}

/* ---- RSA PSS ----------------------------------------------------------------------- */

static void test_rsa_pss_verify(void **state)
{
    (void)state;
    const char *file = "rsa_pss_2048_sha256_mgf1_32_test.json";
    struct jnode *root = load(file);
    struct tally t = {0};
    for (struct jnode *g = jget(root, "testGroups")->kid; g; g = g->next) {
        unsigned char tok[TOK_BUF];
        long tok_len = rsa_group_key(g, tok);
        unsigned salt = (unsigned)jget(g, "sLen")->num;
        assert_string_equal(jstr(g, "sha"), "SHA-256");
        assert_string_equal(jstr(g, "mgfSha"), "SHA-256");
        for (struct jnode *c = jget(g, "tests")->kid; c; c = c->next) {
            static unsigned char msg[8192], sig[1024];
            unsigned char data[4 + 32] = {0, 0, (unsigned char)(salt >> 8), (unsigned char)salt};
            long msg_len = hexarg(c, "msg", msg, sizeof(msg)), sig_len = hexarg(c, "sig", sig, sizeof(sig));
            unsigned h;
            digest("SHA256", msg, msg_len, data + 4, &h);
            expect_sig(c, dsv("PKCS-PSS SHA-256", tok, tok_len, data, sizeof(data), sig, sig_len), sig_len, file);
            t.run++;
        }
    }
    printf("# %s: %d run, %d skipped\n", file, t.run, t.skipped);
    assert_true(t.run > 100);
    jfree(root);
}

/* ---- ECDSA --------------------------------------------------------------------------- */

/* Strict DER (re-encodes to the same bytes) with r and s fitting @p bytes each -> r ‖ s. */
static bool der_to_rs(const unsigned char *der, long der_len, size_t bytes, unsigned char *rs)
{
    const unsigned char *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, der_len);
    unsigned char *re = NULL;
    int re_len = s ? i2d_ECDSA_SIG(s, &re) : -1;
    bool ok = s && p == der + der_len && re_len == der_len && memcmp(re, der, (size_t)der_len) == 0;
    ok = ok && BN_num_bytes(ECDSA_SIG_get0_r(s)) <= (int)bytes && BN_num_bytes(ECDSA_SIG_get0_s(s)) <= (int)bytes &&
         !BN_is_negative(ECDSA_SIG_get0_r(s)) && !BN_is_negative(ECDSA_SIG_get0_s(s));
    ok = ok && BN_bn2binpad(ECDSA_SIG_get0_r(s), rs, (int)bytes) > 0 &&
         BN_bn2binpad(ECDSA_SIG_get0_s(s), rs + bytes, (int)bytes) > 0;
    OPENSSL_free(re);
    ECDSA_SIG_free(s);
    return ok;
}

struct ecdsa_file {
    const char *name, *md;
    unsigned char type;
    unsigned bits;
    size_t bytes;
};

static void run_ecdsa(const struct ecdsa_file *f)
{
    struct jnode *root = load(f->name);
    struct tally t = {0};
    for (struct jnode *g = jget(root, "testGroups")->kid; g; g = g->next) {
        unsigned char q[200], tok[TOK_BUF];
        long q_len = hexarg(jget(g, "publicKey"), "uncompressed", q, sizeof(q)), rs;
        long tok_len = ecc_public_token(f->type, f->bits, q, q_len, tok, &rs);
        if (tok_len <= 0)
            fail_msg("%s: ECC-PUBL %ld/%ld", f->name, -tok_len, rs);
        for (struct jnode *c = jget(g, "tests")->kid; c; c = c->next) {
            static unsigned char msg[8192], der[8192];
            unsigned char sig[200], hash[64];
            long msg_len = hexarg(c, "msg", msg, sizeof(msg)), der_len = hexarg(c, "sig", der, sizeof(der));
            unsigned h;
            if (!der_to_rs(der, der_len, f->bytes, sig)) {
                assert_string_not_equal(jstr(c, "result"), "valid"); /* only invalid encodings skip */
                t.skipped++;
                continue;
            }
            digest(f->md, msg, msg_len, hash, &h);
            expect_sig(c, dsv("ECDSA", tok, tok_len, hash, h, sig, (long)(2 * f->bytes)), (long)(2 * f->bytes),
                       f->name);
            t.run++;
        }
    }
    printf("# %s: %d run, %d skipped (not strict DER or r/s wider than the field)\n", f->name, t.run, t.skipped);
    assert_true(t.run > 100);
    jfree(root);
}

static void test_ecdsa_verify(void **state)
{
    (void)state;
    static const struct ecdsa_file files[] = {
        {"ecdsa_secp256r1_sha256_test.json", "SHA256", 0x00, 256, 32},
        {"ecdsa_secp384r1_sha384_test.json", "SHA384", 0x00, 384, 48},
        {"ecdsa_secp521r1_sha512_test.json", "SHA512", 0x00, 521, 66},
        {"ecdsa_brainpoolP256r1_sha256_test.json", "SHA256", 0x01, 256, 32},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        run_ecdsa(&files[i]);
}

/* ---- decryption -------------------------------------------------------------------- */

static long rsa_private_key(const struct jnode *g, unsigned char *tok)
{
    static const char *names[] = {"modulus", "publicExponent", "prime1", "prime2",
                                  "exponent1", "exponent2", "coefficient"};
    static unsigned char bufs[7][600];
    const struct jnode *pk = jget(g, "privateKey");
    struct rsa_parts parts;
    for (int i = 0; i < 7; i++) {
        parts.len[i] = hexarg(pk, names[i], bufs[i], sizeof(bufs[i]));
        parts.v[i] = bufs[i];
    }
    long rs, len = rsa_import_token(&parts, "KEY-MGMT", tok, &rs);
    if (len <= 0)
        fail_msg("RSA-CRT import: %ld/%ld", -len, rs);
    return len;
}

static void run_decrypt(const char *file, const char *rules)
{
    struct jnode *root = load(file);
    struct tally t = {0};
    for (struct jnode *g = jget(root, "testGroups")->kid; g; g = g->next) {
        unsigned char tok[TOK_BUF];
        long tok_len = rsa_private_key(g, tok);
        for (struct jnode *c = jget(g, "tests")->kid; c; c = c->next) {
            const char *label = jstr(c, "label"), *result = jstr(c, "result");
            if (label && *label) {
                t.skipped++;
                continue;
            }
            unsigned char msg[600], ct[1024], out[512];
            long msg_len = hexarg(c, "msg", msg, sizeof(msg)), ct_len = hexarg(c, "ct", ct, sizeof(ct));
            long out_len = 512, id = (long)jget(c, "tcId")->num;
            long got = ct_len > 0 && ct_len <= 512 ? pkd(rules, tok, tok_len, ct, ct_len, out, &out_len) : 80066;
            if (strcmp(result, "valid") == 0) {
                if (got != 0 || out_len != msg_len || memcmp(out, msg, (size_t)msg_len) != 0)
                    fail_msg("%s tcId %ld valid: %ld/%ld len %ld", file, id, got / 10000, got % 10000, out_len);
            } else if (strcmp(result, "invalid") == 0 && got != 80066) {
                fail_msg("%s tcId %ld invalid: %ld/%ld", file, id, got / 10000, got % 10000);
            }
            t.run++;
        }
    }
    printf("# %s: %d run, %d skipped (non-empty OAEP label)\n", file, t.run, t.skipped);
    assert_true(t.run >= 25);
    jfree(root);
}

static void test_pkcs1_decrypt(void **state)
{
    (void)state;
    run_decrypt("rsa_pkcs1_2048_test.json", "PKCS-1.2");
}

static void test_oaep_decrypt(void **state)
{
    (void)state;
    run_decrypt("rsa_oaep_2048_sha1_mgf1sha1_test.json", "PKCSOAEP SHA-1");
    run_decrypt("rsa_oaep_2048_sha256_mgf1sha256_test.json", "PKCSOAEP SHA-256");
}

static int setup(void **state)
{
    (void)state;
    return card_start("pkacrypto-wp");
}

int main(int argc, char **argv)
{
    vec_dir = argc > 1 ? argv[1] : "";
    char probe[512];
    snprintf(probe, sizeof(probe), "%s/rsa_signature_2048_sha256_test.json", vec_dir);
    FILE *f = fopen(probe, "r");
    if (!f) {
        printf("# Wycheproof vectors not found in '%s': skipped\n", vec_dir);
        return 77;
    }
    fclose(f);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa_pkcs1_verify), cmocka_unit_test(test_rsa_pss_verify),
        cmocka_unit_test(test_ecdsa_verify),     cmocka_unit_test(test_pkcs1_decrypt),
        cmocka_unit_test(test_oaep_decrypt),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    card_stop();
    return rc;
}
