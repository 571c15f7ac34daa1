/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the CSNBOWH tests: rule words, the verb with the
 * caller's buffers, hex, an independent EVP digest to compare with, and the
 * in-process card on a mkdtemp directory. */
#ifndef HASH_TEST_UTIL_H
#define HASH_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "csulincl.h"

#define W 8
#define CV_LEN 128
#define CV_LEN_SHA3 256

/* CCA keyword, OpenSSL name, digest and block size of each algorithm. */
struct ht_alg {
    const char *keyword;
    const char *openssl;
    long digest;
    long block;
    long vector; /* chaining vector size IBM documents */
};

static const struct ht_alg ht_algs[] = {
    {"SHA-1", "SHA1", 20, 64, CV_LEN},
    {"SHA-224", "SHA224", 28, 64, CV_LEN},
    {"SHA-256", "SHA256", 32, 64, CV_LEN},
    {"SHA-384", "SHA384", 48, 128, CV_LEN},
    {"SHA-512", "SHA512", 64, 128, CV_LEN},
    {"SHA3-224", "SHA3-224", 28, 144, CV_LEN_SHA3},
    {"SHA3-256", "SHA3-256", 32, 136, CV_LEN_SHA3},
    {"SHA3-384", "SHA3-384", 48, 104, CV_LEN_SHA3},
    {"SHA3-512", "SHA3-512", 64, 72, CV_LEN_SHA3},
    {"MD5", "MD5", 16, 64, CV_LEN},
    {"RPMD-160", "RIPEMD160", 20, 64, CV_LEN},
};
#define HT_ALG_COUNT (sizeof(ht_algs) / sizeof(ht_algs[0]))

static inline const struct ht_alg *ht_alg(const char *keyword)
{
    for (size_t i = 0; i < HT_ALG_COUNT; i++)
        if (strcmp(ht_algs[i].keyword, keyword) == 0)
            return &ht_algs[i];
    abort();
}

/* Blank-padded rule array of the given words (NULL words skipped). */
static inline long ht_rules(unsigned char out[2 * W], const char *a, const char *b)
{
    long n = 0;
    const char *words[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (!words[i])
            continue;
        memset(out + n * W, ' ', W);
        memcpy(out + n * W, words[i], strlen(words[i]));
        n++;
    }
    return n;
}

/* One CSNBOWH call as openCryptoki makes it: exit data NULL. */
static inline void ht_owh(const char *alg, const char *seg, const void *text, long text_len, unsigned char *cv,
                          long cv_len, unsigned char *hash, long *hash_len, long *rc, long *rs)
{
    unsigned char rules[2 * W];
    long count = ht_rules(rules, alg, seg);
    long tl = text_len, cvl = cv_len;
    *rc = *rs = -1;
    CSNBOWH(rc, rs, NULL, NULL, &count, rules, &tl, (unsigned char *)text, &cvl, cv, hash_len, hash);
}

/* Digest with OpenSSL directly, for comparison. */
static inline void ht_evp(const struct ht_alg *a, const void *text, size_t len, unsigned char *out)
{
    EVP_MD *md = EVP_MD_fetch(NULL, a->openssl, NULL);
    unsigned int n = 0;
    if (!md || !EVP_Digest(text, len, out, &n, md, NULL) || n != (unsigned)a->digest)
        abort();
    EVP_MD_free(md);
}

static inline void ht_hex(const char *hex, unsigned char *out, size_t *len)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            abort();
        out[i] = (unsigned char)v;
    }
    *len = n;
}

/* Point the library at an in-process card on a fresh directory. */
static inline void ht_inproc_card(char dir[128])
{
    snprintf(dir, 128, "/tmp/csu-hash-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    char env[200];
    snprintf(env, sizeof(env), "inproc:%s", dir);
    setenv("CSU_CARD", env, 1);
}

/* Remove the card's directory (flat: state and lock files). */
static inline void ht_remove_dir(const char *dir)
{
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

#endif /* HASH_TEST_UTIL_H */
