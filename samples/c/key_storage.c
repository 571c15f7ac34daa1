/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sample: keeping an AES key in key storage and using it by its label.
 *
 *   1. CSNBKSI initialises the AES key storage named by CSUAESDS;
 *   2. CSNBKTB builds an AES DATA skeleton;
 *   3. CSNBAKRC creates the record SAMPLE.AES.KEY holding it, and CSNBKGN
 *      (key_type TOKEN, the label as generated_key_identifier_1) generates
 *      the key into the record;
 *   4. CSNBKYT GENERATE with the label computes the key's check value;
 *   5. CSNBAKRL lists SAMPLE.* and prints the list file's name;
 *   6. CSNBAKRD LABEL-DL deletes the record.
 *
 * Needs the AES master key loaded and the store variables set, e.g.:
 *   export CSU_CARD=inproc:/tmp/mycard CSUAESDS=/tmp/mycard/aes.key CSUAESLD=/tmp/mycard/aeslist
 *   csupanel --mktype=AES --mk-random && csupanel --mktype=AES --mk-set
 */
#include <stdio.h>
#include <string.h>

#include "csulincl.h"

static void put(unsigned char *out, const char *word, size_t width)
{
    memset(out, ' ', width);
    memcpy(out, word, strlen(word));
}

static int check(const char *verb, long rc, long rs)
{
    printf("%-8s rc=%ld rs=%ld\n", verb, rc, rs);
    return rc >= 8;
}

int main(void)
{
    long rc = 0, rs = 0, count, zero = 0;
    unsigned char rules[4 * 8], label[64], key_type[8], skeleton[64], value_1[8], value_2[8];

    /* 1. Initialise (or re-stamp) the AES key storage. */
    put(rules, "CURRENT", 8);
    put(rules + 8, "AES", 8);
    count = 2;
    CSNBKSI(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &zero, NULL, NULL);
    if (check("CSNBKSI", rc, rs))
        return 1;

    /* 2. An AES DATA skeleton (no key yet). */
    long reserved_1 = 0;
    unsigned char reserved_3 = 0, mkvp[16] = {0};
    put(rules, "INTERNAL", 8);
    put(rules + 8, "AES", 8);
    put(rules + 16, "NO-KEY", 8);
    put(rules + 24, "KEYLN32", 8);
    put(key_type, "DATA", 8);
    count = 4;
    CSNBKTB(&rc, &rs, NULL, NULL, skeleton, key_type, &count, rules, NULL, &reserved_1, NULL, &reserved_3, NULL,
            NULL, NULL, NULL, mkvp);
    if (check("CSNBKTB", rc, rs))
        return 1;

    /* 3. A record under a label (1-7 dot-separated tokens, A-Z 0-9 # $ @, blank padded)
     *    holding the skeleton; then the key generated into the record, by label. */
    long skeleton_len = 64;
    put(label, "SAMPLE.AES.KEY", 64);
    count = 0;
    CSNBAKRC(&rc, &rs, NULL, NULL, &count, NULL, label, &skeleton_len, skeleton);
    if (check("CSNBAKRC", rc, rs))
        return 1;
    unsigned char form[4] = {'O', 'P', ' ', ' '}, length[8], type_2[8] = {0}, kek[64] = {0}, gen_2[64] = {0};
    put(length, "", 8); /* blank: the skeleton's KEYLN32 */
    put(key_type, "TOKEN", 8);
    CSNBKGN(&rc, &rs, NULL, NULL, form, length, key_type, type_2, kek, kek, label, gen_2);
    if (check("CSNBKGN", rc, rs))
        return 1;

    /* 4. Use it by label: its SHA-256 check value. */
    put(rules, "GENERATE", 8);
    put(rules + 8, "KEY-ENC", 8);
    put(rules + 16, "SHA-256", 8);
    count = 3;
    CSNBKYT(&rc, &rs, NULL, NULL, &count, rules, label, value_1, value_2);
    if (check("CSNBKYT", rc, rs))
        return 1;
    printf("  check value ");
    for (int i = 0; i < 8; i++)
        printf("%02X", value_2[i]);
    printf("\n");

    /* 5. List the records under SAMPLE. */
    unsigned char pattern[64], list_name[1024];
    long name_len = sizeof(list_name);
    put(pattern, "SAMPLE.*", 64);
    count = 0;
    CSNBAKRL(&rc, &rs, NULL, NULL, &count, NULL, pattern, &name_len, list_name, NULL);
    if (check("CSNBAKRL", rc, rs))
        return 1;
    printf("  list file %.*s\n", (int)name_len, list_name);

    /* 6. Delete the whole record. */
    put(rules, "LABEL-DL", 8);
    count = 1;
    CSNBAKRD(&rc, &rs, NULL, NULL, &count, rules, label);
    return check("CSNBAKRD", rc, rs);
}
