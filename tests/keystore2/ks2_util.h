/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers of the keystore2 tests: an in-process card and the three key
 * stores in one temporary directory, rule arrays, labels, and the verbs
 * called the way the tests need them.  Failures abort with the line.
 */
#ifndef KS2_UTIL_H
#define KS2_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csulincl.h"

#define W 8
#define BUF 2500

#define CHECK(cond)                                                                                     \
    do {                                                                                                \
        if (!(cond)) {                                                                                  \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                    \
            abort();                                                                                    \
        }                                                                                               \
    } while (0)

#define EXPECT(rc_, rs_, rc, rs)                                                                        \
    do {                                                                                                \
        if ((rc) != (rc_) || (rs) != (rs_)) {                                                           \
            fprintf(stderr, "%s:%d: got %ld/%ld, expected %d/%d\n", __FILE__, __LINE__, (long)(rc),    \
                    (long)(rs), rc_, rs_);                                                              \
            abort();                                                                                    \
        }                                                                                               \
    } while (0)

/* Space-separated keywords into an 8-byte-per-word rule array; returns the count. */
static inline long ks2_words(unsigned char *out, const char *list)
{
    long n = 0;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save), n++) {
        memset(out + n * W, ' ', W);
        memcpy(out + n * W, w, strlen(w));
    }
    return n;
}

static inline void ks2_label(unsigned char out[64], const char *text)
{
    memset(out, ' ', 64);
    memcpy(out, text, strlen(text));
}

static inline void ks2_mkp(const char *set, const char *action)
{
    unsigned char rules[16];
    char list[40];
    snprintf(list, sizeof(list), "%s %s", set, action);
    long rc, rs, count = ks2_words(rules, list);
    CSNBMKP(&rc, &rs, NULL, NULL, &count, rules, NULL);
    EXPECT(0, 0, rc, rs);
}

/* A new random master key in @p set, made current (the previous one becomes the old key). */
static inline void ks2_mk_change(const char *set)
{
    ks2_mkp(set, "RANDOM");
    ks2_mkp(set, "SET");
}

static inline void ks2_ksi(const char *store)
{
    unsigned char rules[16];
    char list[40];
    snprintf(list, sizeof(list), "CURRENT %s", store);
    long rc, rs, zero = 0, count = ks2_words(rules, list);
    CSNBKSI(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &zero, NULL, NULL);
    EXPECT(0, 0, rc, rs);
}

/*
 * A fresh temporary directory holding the card state and the three stores
 * (CSU_CARD=inproc:<dir>, CSUDESDS/CSUAESDS/CSUPKADS and the list dirs).
 */
static inline void ks2_environment(char dir[64])
{
    snprintf(dir, 64, "/tmp/csu-ks2-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    static const char *const vars[][2] = {{"CSUDESDS", "des.key"}, {"CSUAESDS", "aes.key"},
                                          {"CSUPKADS", "pka.key"}, {"CSUDESLD", "deslist"},
                                          {"CSUAESLD", "aeslist"}, {"CSUPKALD", "pkalist"}};
    char value[128];
    snprintf(value, sizeof(value), "inproc:%s", dir);
    setenv("CSU_CARD", value, 1);
    unsetenv("CSU_DEFAULT_ADAPTER");
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        snprintf(value, sizeof(value), "%s/%s", dir, vars[i][1]);
        setenv(vars[i][0], value, 1);
    }
}

/* Read an AES-store record (CSNBAKRR); returns its length. */
static inline long ks2_akrr(const unsigned char *label, unsigned char *tok, long *rc, long *rs)
{
    long count = 0, len = BUF;
    CSNBAKRR(rc, rs, NULL, NULL, &count, NULL, (unsigned char *)label, &len, tok);
    return len;
}

/* An AES DATA (v4) key token of 32 bytes under the current AES master key (CSNBKGN AESDATA). */
static inline void ks2_aes_v4_key(unsigned char tok[64])
{
    long rc, rs;
    unsigned char form[4] = {'O', 'P', ' ', ' '}, len[8], type[8], type2[8] = {0}, kek[64] = {0}, gen2[64] = {0};
    ks2_words(len, "KEYLN32");
    ks2_words(type, "AESDATA");
    memset(tok, 0, 64);
    CSNBKGN(&rc, &rs, NULL, NULL, form, len, type, type2, kek, kek, tok, gen2);
    EXPECT(0, 0, rc, rs);
}

/* CSNBKYT GENERATE SHA-256 of a fixed-length AES token or its label: the 8-byte check value. */
static inline void ks2_kyt_aes(unsigned char *id, unsigned char vp[8], long *rc, long *rs)
{
    unsigned char rules[24], v1[8];
    long count = ks2_words(rules, "GENERATE KEY-ENC SHA-256");
    CSNBKYT(rc, rs, NULL, NULL, &count, rules, id, v1, vp);
}

#endif
