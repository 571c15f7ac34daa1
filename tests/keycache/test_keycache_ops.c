/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSNDDSG with prepared signing contexts (docs/key-cache.md "Prepared
 * operations"): a cached key signs with a copy of its entry's template.
 *   rsa_formats   RSA-1024 PKCS-1.1, PKCS-1.0 and ZERO-PAD (both template
 *                 slots of one entry, interleaved) give byte-identical
 *                 signatures with the cache off and on, on the first call
 *                 (template made) and every later one (template copied);
 *                 PKCS-PSS and X9.31 (no template) still verify on that key;
 *                 an out-of-range ZERO-PAD block is still 8/72
 *   ecdsa_der     300 ECDSA signatures each with P-256 and P-521 (the DER to
 *                 r || s conversion: leading zero stripped, short values
 *                 left-padded, the long-form length of P-521) all verify
 *                 with CSNDDSV, and all but the first were cache hits
 */
#include "kc_util.h"

static char dir[64];

#define ROUNDS 4
#define METHODS 3

static const char *const methods[METHODS] = {"RSA PKCS-1.1", "RSA PKCS-1.0", "RSA ZERO-PAD"};

struct rsa_answers {
    unsigned char sig[ROUNDS][METHODS][128];
    long code[ROUNDS][METHODS];
};

static void key_file(char *out, size_t cap)
{
    snprintf(out, cap, "%s/rsa.tok", dir);
}

/* Every method, every round, on one key; the answers in @p a. */
static void sign_all(unsigned char *tok, long tok_len, struct rsa_answers *a)
{
    unsigned char data[32];
    kc_fill(data, sizeof(data), 5);
    for (int r = 0; r < ROUNDS; r++)
        for (int m = 0; m < METHODS; m++) {
            long len = 128, bits = 0;
            a->code[r][m] = dsg(methods[m], tok, tok_len, data, sizeof(data), a->sig[r][m], &len, &bits);
            CHECK(a->code[r][m] != 0 || (len == 128 && bits == 1024));
            CHECK(a->code[r][m] != 0 || dsv(methods[m], tok, tok_len, data, sizeof(data), a->sig[r][m], len) == 0);
        }
}

static void run_rsa_off(void *arg)
{
    (void)arg;
    kc_env(dir, "off");
    kc_all_mks();
    unsigned char tok[TOK_BUF];
    long len = rsa_generate(1024, "SIG-ONLY", tok);
    CHECK(len > 0);
    char f[128];
    key_file(f, sizeof(f));
    FILE *fp = fopen(f, "wb");
    CHECK(fp && fwrite(tok, 1, (size_t)len, fp) == (size_t)len && fclose(fp) == 0);
    struct rsa_answers a;
    sign_all(tok, len, &a);
    snprintf(f, sizeof(f), "%s/rsa.off", dir);
    fp = fopen(f, "wb");
    CHECK(fp && fwrite(&a, sizeof(a), 1, fp) == 1 && fclose(fp) == 0);
}

static void run_rsa_on(void *arg)
{
    (void)arg;
    kc_env(dir, "64");
    unsigned char tok[TOK_BUF];
    char f[128];
    key_file(f, sizeof(f));
    FILE *fp = fopen(f, "rb");
    CHECK(fp);
    long len = (long)fread(tok, 1, sizeof(tok), fp);
    fclose(fp);
    struct rsa_answers on, off;
    sign_all(tok, len, &on);
    snprintf(f, sizeof(f), "%s/rsa.off", dir);
    fp = fopen(f, "rb");
    CHECK(fp && fread(&off, sizeof(off), 1, fp) == 1);
    fclose(fp);
    for (int r = 0; r < ROUNDS; r++)
        for (int m = 0; m < METHODS; m++)
            CHECK(on.code[r][m] == 0 && off.code[r][m] == 0 && memcmp(on.sig[r][m], off.sig[r][m], 128) == 0);
    /* methods without a template, on the same entry */
    unsigned char hash[32], pss[36] = {0, 0, 0, 32}, sig[128];
    kc_fill(hash, 32, 6);
    memcpy(pss + 4, hash, 32);
    long sig_len = 128, bits = 0;
    CHECK(dsg("RSA PKCS-PSS SHA-256", tok, len, pss, 36, sig, &sig_len, &bits) == 0);
    CHECK(dsv("RSA PKCS-PSS SHA-256", tok, len, pss, 36, sig, sig_len) == 0);
    sig_len = 128;
    CHECK(dsg("RSA X9.31 SHA-256", tok, len, hash, 32, sig, &sig_len, &bits) == 0);
    CHECK(dsv("RSA X9.31 SHA-256", tok, len, hash, 32, sig, sig_len) == 0);
    unsigned char high[128];
    memset(high, 0xff, sizeof(high)); /* above the modulus */
    sig_len = 128;
    CHECK(dsg("RSA ZERO-PAD", tok, len, high, 128, sig, &sig_len, &bits) == 80072);
    struct kc_counts c = kc_counts();
    CHECK(c.v[KC_ENTRIES] == 1 && c.v[KC_MISSES] == 1 && c.v[KC_HITS] >= ROUNDS * METHODS * 2 - 1);
}

static void rsa_formats(void)
{
    CHECK(kc_child(run_rsa_off, NULL));
    CHECK(kc_child(run_rsa_on, NULL));
    printf("rsa_formats: PKCS-1.1, PKCS-1.0, ZERO-PAD identical with the cache off and on\n");
}

static void run_ecdsa(void *arg)
{
    (void)arg;
    kc_env(dir, "64");
    kc_all_mks();
    static const unsigned bits[] = {256, 521};
    long calls = 0;
    for (int i = 0; i < 2; i++) {
        unsigned char tok[TOK_BUF], hash[64], sig[132];
        long len = ecc_generate(0x00, bits[i], "SIG-ONLY", tok);
        CHECK(len > 0);
        long field = (bits[i] + 7) / 8;
        for (int n = 0; n < 300; n++, calls++) {
            kc_fill(hash, sizeof(hash), (unsigned)n);
            long sig_len = sizeof(sig), sig_bits = 0;
            CHECK(dsg("ECDSA", tok, len, hash, 32, sig, &sig_len, &sig_bits) == 0);
            CHECK(sig_len == 2 * field && sig_bits == 8 * sig_len);
            CHECK(dsv("ECDSA", tok, len, hash, 32, sig, sig_len) == 0);
            sig[n % sig_len] ^= 0x40;
            CHECK(dsv("ECDSA", tok, len, hash, 32, sig, sig_len) == 40429);
        }
    }
    struct kc_counts c = kc_counts();
    CHECK(c.v[KC_MISSES] == 2 && c.v[KC_HITS] >= 2 * calls - 2);
}

static void ecdsa_der(void)
{
    CHECK(kc_child(run_ecdsa, NULL));
    printf("ecdsa_der: 600 P-256 / P-521 signatures verify\n");
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/csu-kco-XXXXXX");
    CHECK(mkdtemp(dir));
    rsa_formats();
    ecdsa_der();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return 0;
}
