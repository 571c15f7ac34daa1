/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sample: generating secure symmetric keys the way openCryptoki does.
 *
 *   1. CSNBKTB builds an AES DATA skeleton (INTERNAL AES NO-KEY KEYLN32);
 *   2. CSNBKGN fills it: key_form 'OP  ', key_type_1 AESTOKEN, key_length
 *      8 blanks (the length comes from the skeleton);
 *   3. CSNBKYT GENERATE prints the key's verification pattern;
 *   4. a triple-length DES DATA key with CSNBKGN 'OP  ' KEYLN24 DATA, and
 *      its ENC-ZERO check value.
 *
 * Needs the SYM and AES master keys loaded, e.g. with an in-process card:
 *   export CSU_CARD=inproc:/tmp/mycard
 *   csupanel --mktype=AES --mk-random && csupanel --mktype=AES --mk-set
 *   csupanel --mktype=SYM --mk-random && csupanel --mktype=SYM --mk-set
 */
#include <stdio.h>
#include <string.h>

#include "csulincl.h"

static void put(unsigned char *out, const char *word)
{
    memset(out, ' ', 8);
    memcpy(out, word, strlen(word));
}

static int check(const char *verb, long rc, long rs)
{
    printf("%-8s rc=%ld rs=%ld\n", verb, rc, rs);
    return rc >= 8;
}

static void hex(const char *what, const unsigned char *p, size_t n)
{
    printf("  %s ", what);
    for (size_t i = 0; i < n; i++)
        printf("%02X", p[i]);
    printf("\n");
}

int main(void)
{
    long rc = 0, rs = 0, count;
    unsigned char rules[4 * 8], key_type[8], token[64], value_1[8], value_2[8];
    long reserved_1 = 0;
    unsigned char reserved_3 = 0, mkvp[16] = {0};

    /* 1. AES skeleton; the unused pointers may be NULL. */
    put(rules, "INTERNAL");
    put(rules + 8, "AES");
    put(rules + 16, "NO-KEY");
    put(rules + 24, "KEYLN32");
    put(key_type, "DATA");
    count = 4;
    CSNBKTB(&rc, &rs, NULL, NULL, token, key_type, &count, rules, NULL, &reserved_1, NULL, &reserved_3, NULL, NULL,
            NULL, NULL, mkvp);
    if (check("CSNBKTB", rc, rs))
        return 1;

    /* 2. Generate the key into the skeleton. */
    unsigned char form[4] = {'O', 'P', ' ', ' '}, length[8], type_1[8], type_2[8] = {0};
    unsigned char kek_1[64] = {0}, kek_2[64] = {0}, gen_2[64] = {0};
    memset(length, ' ', sizeof(length)); /* blank: KEYLN32 from the skeleton */
    put(type_1, "AESTOKEN");
    CSNBKGN(&rc, &rs, NULL, NULL, form, length, type_1, type_2, kek_1, kek_2, token, gen_2);
    if (check("CSNBKGN", rc, rs))
        return 1;
    hex("AES token", token, sizeof(token));

    /* 3. Its verification pattern (SHA-256 method for AES keys). */
    put(rules, "GENERATE");
    put(rules + 8, "KEY-ENC");
    count = 2;
    CSNBKYT(&rc, &rs, NULL, NULL, &count, rules, token, value_1, value_2);
    if (check("CSNBKYT", rc, rs))
        return 1;
    hex("pattern  ", value_2, 8);

    /* 4. A triple-length DES DATA key, openCryptoki-style: key_type_2 NULs, ids zero. */
    unsigned char des[64] = {0};
    put(length, "KEYLN24");
    put(type_1, "DATA");
    CSNBKGN(&rc, &rs, NULL, NULL, form, length, type_1, type_2, kek_1, kek_2, des, gen_2);
    if (check("CSNBKGN", rc, rs))
        return 1;
    put(rules + 16, "ENC-ZERO");
    count = 3;
    CSNBKYT(&rc, &rs, NULL, NULL, &count, rules, des, value_1, value_2);
    if (check("CSNBKYT", rc, rs))
        return 1;
    hex("DES KCV  ", value_2, 4);
    return 0;
}
