/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers of the key-cache tests: master keys, one token per verb family,
 * one call per family, and the cache's counters (CSUACFQ STATKCHE).  Every
 * scenario runs in a forked child, because CSU_CARD and CSU_CARD_KEY_CACHE
 * are read once per process; the parent never calls a verb.
 */
#ifndef KC_UTIL_H
#define KC_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../pkacrypto/pkacrypto_util.h"

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

#define V5_BUF 725

/* Use the in-process card in @p dir with the key cache spec @p cache (NULL: default). */
static inline void kc_env(const char *dir, const char *cache)
{
    char spec[160];
    snprintf(spec, sizeof(spec), "inproc:%s", dir);
    setenv("CSU_CARD", spec, 1);
    if (cache)
        setenv("CSU_CARD_KEY_CACHE", cache, 1);
    else
        unsetenv("CSU_CARD_KEY_CACHE");
}

/* CSNBMKP on one set: RANDOM then SET (a fresh master key; the former becomes old). */
static inline void kc_new_mk(const char *set)
{
    CHECK(cca_mk_random(set) == 0);
}

static inline void kc_all_mks(void)
{
    const char *sets[] = {"SYM-MK", "AES-MK", "APKA-MK"};
    for (int i = 0; i < 3; i++)
        kc_new_mk(sets[i]);
}

/* The key cache's counters: entries, max, KiB, max KiB, hits, misses, evictions, flushed. */
struct kc_counts {
    long v[8];
};
enum { KC_ENTRIES, KC_MAX, KC_KIB, KC_MAX_KIB, KC_HITS, KC_MISSES, KC_EVICTIONS, KC_FLUSHED };

static inline struct kc_counts kc_counts(void)
{
    long rc, rs, count, zero = 0;
    unsigned char rules[8 * 8];
    count = cca_rules(rules, "STATKCHE");
    CSUACFQ(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL);
    CHECK(rc == 0 && count == 8);
    struct kc_counts c;
    for (int i = 0; i < 8; i++) {
        char text[9] = {0};
        memcpy(text, rules + 8 * i, 8);
        c.v[i] = strtol(text, NULL, 10);
    }
    return c;
}

/* ---- tokens ---------------------------------------------------------------------- */

static inline void kc_fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 31u + i * 7u + 1u);
}

/* DES key pair MAC / DATA via CSNBKGN and CSNBCKM. */
static inline void kc_des_tokens(unsigned seed, unsigned char data[64], unsigned char mac[64])
{
    long rc, rs, count, len = 16;
    unsigned char rules[8], key[16], form[4] = {'O', 'P', ' ', ' '}, kl[8], t1[8], t2[8], kek[64] = {0},
                                     none[64] = {0};
    kc_fill(key, 16, seed);
    count = cca_rules(rules, "DES");
    memset(data, 0, 64);
    CSNBCKM(&rc, &rs, NULL, NULL, &count, rules, &len, key, data);
    CHECK(rc == 0);
    cca_rules(kl, "KEYLN16"), cca_rules(t1, "MAC"), memset(t2, ' ', 8);
    memset(mac, 0, 64);
    CSNBKGN(&rc, &rs, NULL, NULL, form, kl, t1, t2, kek, kek, mac, none);
    CHECK(rc == 0);
}

static inline void kc_aes_v4(unsigned seed, unsigned char tok[64])
{
    long rc, rs, count, len = 32;
    unsigned char rules[8], key[32];
    kc_fill(key, 32, seed);
    count = cca_rules(rules, "AES");
    memset(tok, 0, 64);
    CSNBCKM(&rc, &rs, NULL, NULL, &count, rules, &len, key, tok);
    CHECK(rc == 0);
}

/* v5 token wrapped under the AES MK: CSNBKTB2 skeleton, CSNBKPI2 one part, COMPLETE. */
static inline long kc_v5(const char *skeleton, const char *alg, unsigned seed, long key_len, unsigned char *tok)
{
    unsigned char ra[8 * 8], key[64];
    long rc, rs, count, zero = 0, len = V5_BUF;
    kc_fill(key, sizeof(key), seed);
    count = cca_rules(ra, skeleton);
    memset(tok, 0, V5_BUF);
    CSNBKTB2(&rc, &rs, &zero, NULL, &count, ra, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len,
             tok);
    CHECK(rc == 0);
    char list[40];
    snprintf(list, sizeof(list), "%s FIRST MIN1PART", alg);
    count = cca_rules(ra, list);
    long bits = key_len * 8;
    len = V5_BUF;
    CSNBKPI2(&rc, &rs, NULL, NULL, &count, ra, &bits, key, &len, tok);
    CHECK(rc == 0);
    snprintf(list, sizeof(list), "%s COMPLETE", alg);
    count = cca_rules(ra, list);
    bits = 0;
    len = V5_BUF;
    CSNBKPI2(&rc, &rs, NULL, NULL, &count, ra, &bits, NULL, &len, tok);
    CHECK(rc == 0);
    return len;
}

/* ---- one call per family: returns rc*10000+rs; output in out/out_len ------------------ */

static inline long kc_des_enc(unsigned char *tok, unsigned char *out, long *out_len)
{
    long rc, rs, count, pad = 0, len = 16;
    unsigned char rules[8], iv[8] = {1, 2, 3, 4, 5, 6, 7, 8}, cv[18] = {0}, text[16];
    kc_fill(text, 16, 99);
    count = cca_rules(rules, "CBC");
    CSNBENC(&rc, &rs, NULL, NULL, tok, &len, text, iv, &count, rules, &pad, cv, out);
    *out_len = rc < 8 ? len : 0;
    return rc * 10000 + rs;
}

static inline long kc_des_mac(unsigned char *tok, unsigned char *out, long *out_len)
{
    long rc, rs, count, len = 24;
    unsigned char rules[8], cv[18] = {0}, text[24];
    kc_fill(text, 24, 98);
    count = cca_rules(rules, "X9.19OPT");
    CSNBMGN(&rc, &rs, NULL, NULL, tok, &len, text, &count, rules, cv, out);
    *out_len = rc < 8 ? 8 : 0;
    return rc * 10000 + rs;
}

static inline long kc_aes_enc(unsigned char *tok, long tok_len, unsigned char *out, long *out_len)
{
    long rc, rs, count, zero = 0, block = 16, iv_len = 16, chain_len = 32, in_len = 32;
    unsigned char rules[24], iv[16] = {0}, chain[32], text[32];
    kc_fill(text, 32, 97);
    count = cca_rules(rules, "AES KEYIDENT INITIAL");
    *out_len = 64;
    CSNBSAE(&rc, &rs, &zero, NULL, &count, rules, &tok_len, tok, &zero, NULL, &block, &iv_len, iv, &chain_len, chain,
            &in_len, text, out_len, out, &zero, NULL);
    if (rc >= 8)
        *out_len = 0;
    return rc * 10000 + rs;
}

/* CSNBMGN2 (AES CMAC) or CSNBHMG (HMAC SHA-256). */
static inline long kc_mac2(int hmac, unsigned char *tok, long tok_len, unsigned char *out, long *out_len)
{
    long rc, rs, count, text_len = 40, chain_len = hmac ? 128 : 0;
    unsigned char rules[24], text[40], chain[128];
    kc_fill(text, 40, 96);
    count = cca_rules(rules, hmac ? "HMAC SHA-256 ONLY" : "AES CMAC ONLY");
    *out_len = hmac ? 32 : 16;
    (hmac ? CSNBHMG : CSNBMGN2)(&rc, &rs, NULL, NULL, &count, rules, &tok_len, tok, &text_len, text, &chain_len,
                                hmac ? chain : NULL, out_len, out);
    if (rc >= 8)
        *out_len = 0;
    return rc * 10000 + rs;
}

/* CSNBKYT2 GENERATE (v5 = 1), CSNBKYT GENERATE ENC-ZERO (DES, v5 = 0; the default
 * method has a random part), CSNBKYT GENERATE (AES v4, v5 = 2: SHA-256, deterministic). */
static inline long kc_keytest(int v5, unsigned char *tok, long tok_len, unsigned char *out, long *out_len)
{
    long rc, rs, count, zero = 0;
    unsigned char rules[24];
    if (v5 == 1) {
        count = cca_rules(rules, "GENERATE AES SHA-256");
        *out_len = 8;
        CSNBKYT2(&rc, &rs, NULL, NULL, &count, rules, &tok_len, tok, &zero, NULL, &zero, NULL, out_len, out);
    } else {
        count = cca_rules(rules, v5 ? "GENERATE KEY-ENC" : "GENERATE KEY-ENC ENC-ZERO");
        memset(out, 0, 16);
        CSNBKYT(&rc, &rs, NULL, NULL, &count, rules, tok, out, out + 8);
        *out_len = 16;
    }
    if (rc >= 8)
        *out_len = 0;
    return rc * 10000 + rs;
}

/* PKA sign with @p list: RSA (deterministic: the signature) or ECDSA (random: its verification). */
static inline long kc_sign_with(const char *list, int rsa, unsigned char *tok, long tok_len, unsigned char *out,
                                long *out_len)
{
    unsigned char hash[32], sig[512];
    long sig_len = sizeof(sig), bits = 0;
    kc_fill(hash, 32, 95);
    long code = dsg(list, tok, tok_len, hash, 32, sig, &sig_len, &bits);
    *out_len = 0;
    if (code / 10000 >= 8)
        return code;
    long v = dsv(list, tok, tok_len, hash, 32, sig, sig_len);
    if (rsa) {
        memcpy(out, sig, (size_t)sig_len);
        *out_len = sig_len;
    }
    memcpy(out + *out_len, &v, sizeof(v)); /* the verification's codes are part of the answer */
    *out_len += (long)sizeof(v);
    return code;
}

/* PKA sign: RSA PKCS-1.1 or ECDSA. */
static inline long kc_sign(int rsa, unsigned char *tok, long tok_len, unsigned char *out, long *out_len)
{
    return kc_sign_with(rsa ? "RSA PKCS-1.1" : "ECDSA", rsa, tok, tok_len, out, out_len);
}

/* Run @p fn in a forked child; true when it exited 0. */
static inline int kc_child(void (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        fn(arg);
        fflush(NULL);
        _exit(0);
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#endif
