/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jni_c_peer - the C side of the Java round-trip tests and benchmark: each
 * command makes one or a few verb calls on hex arguments and prints
 * "rc rs [hex]", so that Java can check that what it made works in C (a
 * signature verifies, a ciphertext deciphers, a label resolves) and the
 * other way round.  The card is the one CSU_CARD names (the test's daemon).
 *
 *   acfv                      CSUACFV                 -> version bytes
 *   kyt ID                    CSNBKYT GENERATE KEY-ENC -> value_2
 *   dsg PRIV HASH             CSNDDSG PKCS-1.1        -> signature
 *   dsv PUB HASH SIG          CSNDDSV PKCS-1.1
 *   sae KEY IV CLEAR          CSNBSAE AES CBC KEYIDENT -> cipher text
 *   sad KEY IV CIPHER         CSNBSAD AES CBC KEYIDENT -> clear text
 *   mgn KEY TEXT              CSNBMGN X9.19OPT MACLEN8 -> MAC
 *   mvr KEY TEXT MAC          CSNBMVR X9.19OPT MACLEN8
 *   bench-rng SECONDS         CSNBRNGL(32) calls per second
 *   bench-dsg PRIV HASH SECONDS  CSNDDSG calls per second
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csulincl.h"

#define BUF 8192

static void rule(unsigned char *r, const char *w)
{
    memset(r, ' ', 8);
    memcpy(r, w, strlen(w));
}

static long unhex(const char *s, unsigned char *out, long cap)
{
    long n = (long)strlen(s) / 2;
    if (n > cap)
        exit(3);
    for (long i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            exit(3);
        out[i] = (unsigned char)v;
    }
    return n;
}

static int answer(long rc, long rs, const unsigned char *p, long n)
{
    printf("%ld %ld ", rc, rs);
    for (long i = 0; p && i < n; i++)
        printf("%02X", p[i]);
    printf("\n");
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned char a[BUF], b[BUF], c[BUF], out[BUF];

static int sym_cipher(int decipher, char **argv)
{
    long rc = 0, rs = 0, count = 3, key_len = unhex(argv[2], a, BUF), iv_len = unhex(argv[3], b, BUF);
    long in_len = unhex(argv[4], c, BUF), out_len = BUF, zero = 0, block = 16, chain_len = 32;
    unsigned char rules[24], chain[32] = {0};
    rule(rules, "AES");
    rule(rules + 8, "CBC");
    rule(rules + 16, "KEYIDENT");
    if (decipher)
        CSNBSAD(&rc, &rs, NULL, NULL, &count, rules, &key_len, a, &zero, NULL, &block, &iv_len, b, &chain_len, chain,
                &in_len, c, &out_len, out, &zero, NULL);
    else
        CSNBSAE(&rc, &rs, NULL, NULL, &count, rules, &key_len, a, &zero, NULL, &block, &iv_len, b, &chain_len, chain,
                &in_len, c, &out_len, out, &zero, NULL);
    return answer(rc, rs, out, rc < 8 ? out_len : 0);
}

static int mac(int verify, char **argv)
{
    long rc = 0, rs = 0, count = 2, text_len;
    unsigned char rules[16], chain[18] = {0}, m[8] = {0};
    unhex(argv[2], a, 64);
    text_len = unhex(argv[3], b, BUF);
    rule(rules, "X9.19OPT");
    rule(rules + 8, "MACLEN8");
    if (verify) {
        unhex(argv[4], m, 8);
        CSNBMVR(&rc, &rs, NULL, NULL, a, &text_len, b, &count, rules, chain, m);
        return answer(rc, rs, NULL, 0);
    }
    CSNBMGN(&rc, &rs, NULL, NULL, a, &text_len, b, &count, rules, chain, m);
    return answer(rc, rs, m, 8);
}

static long sign(long *rc, long *rs, long key_len, long hash_len)
{
    long count = 1, sig_len = BUF, sig_bits = 0;
    unsigned char rules[8];
    rule(rules, "PKCS-1.1");
    CSNDDSG(rc, rs, NULL, NULL, &count, rules, &key_len, a, &hash_len, b, &sig_len, &sig_bits, out);
    return sig_len;
}

static long rng32(long *rc, long *rs)
{
    long count = 1, zero = 0, len = 32;
    unsigned char rules[8];
    rule(rules, "RANDOM");
    CSNBRNGL(rc, rs, NULL, NULL, &count, rules, &zero, NULL, &len, out);
    return len;
}

static int bench(int rsa, char **argv, int argc)
{
    long rc = 0, rs = 0, key_len = 0, hash_len = 0;
    double seconds = atof(argv[argc - 1]);
    if (rsa) {
        key_len = unhex(argv[2], a, BUF);
        hash_len = unhex(argv[3], b, BUF);
    }
    long calls = 0;
    double t0 = now(), t;
    do {
        if (rsa)
            sign(&rc, &rs, key_len, hash_len);
        else
            rng32(&rc, &rs);
        if (rc != 0)
            return answer(rc, rs, NULL, 0);
        calls++;
    } while ((t = now()) - t0 < seconds);
    printf("0 0 %.1f\n", calls / (t - t0));
    return 0;
}

int main(int argc, char **argv)
{
    long rc = 0, rs = 0;
    const char *cmd = argc > 1 ? argv[1] : "";
    if (!strcmp(cmd, "acfv")) {
        long len = 64;
        CSUACFV(&rc, &rs, NULL, NULL, &len, out);
        return answer(rc, rs, out, len);
    }
    if (!strcmp(cmd, "kyt") && argc == 3) {
        long count = 2;
        unsigned char rules[16], v1[8] = {0}, v2[8] = {0};
        rule(rules, "GENERATE");
        rule(rules + 8, "KEY-ENC");
        unhex(argv[2], a, 64);
        CSNBKYT(&rc, &rs, NULL, NULL, &count, rules, a, v1, v2);
        return answer(rc, rs, v2, 8);
    }
    if (!strcmp(cmd, "dsg") && argc == 4) {
        long n = sign(&rc, &rs, unhex(argv[2], a, BUF), unhex(argv[3], b, BUF));
        return answer(rc, rs, out, rc < 8 ? n : 0);
    }
    if (!strcmp(cmd, "dsv") && argc == 5) {
        long count = 1, key_len = unhex(argv[2], a, BUF), hash_len = unhex(argv[3], b, BUF);
        long sig_len = unhex(argv[4], c, BUF);
        unsigned char rules[8];
        rule(rules, "PKCS-1.1");
        CSNDDSV(&rc, &rs, NULL, NULL, &count, rules, &key_len, a, &hash_len, b, &sig_len, c);
        return answer(rc, rs, NULL, 0);
    }
    if ((!strcmp(cmd, "sae") || !strcmp(cmd, "sad")) && argc == 5)
        return sym_cipher(cmd[2] == 'd', argv);
    if (!strcmp(cmd, "mgn") && argc == 4)
        return mac(0, argv);
    if (!strcmp(cmd, "mvr") && argc == 5)
        return mac(1, argv);
    if (!strcmp(cmd, "bench-rng") && argc == 3)
        return bench(0, argv, argc);
    if (!strcmp(cmd, "bench-dsg") && argc == 5)
        return bench(1, argv, argc);
    fprintf(stderr, "usage: see the comment at the top of jni_c_peer.c\n");
    return 2;
}
