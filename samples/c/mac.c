/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sample: IBM's classic MAC flow.  CSNBKGN generates a MAC / MACVER key
 * pair ('OPOP', one key value under two control vectors); the sender makes
 * a MAC with CSNBMGN and the MAC key, the receiver checks it with CSNBMVR
 * and the verify-only MACVER key.  A changed message fails with 4/1.
 * Needs the SYM master key loaded (e.g. csupanel --mktype=SYM --mk-random
 * && csupanel --mktype=SYM --mk-set).
 */
#include <stdio.h>
#include <string.h>

#include "csulincl.h"

static void keyword(unsigned char out[8], const char *w)
{
    memset(out, ' ', 8);
    memcpy(out, w, strlen(w));
}

static int check(const char *verb, long rc, long rs)
{
    if (rc == 0)
        return 0;
    printf("%s failed: return code %ld, reason code %ld\n", verb, rc, rs);
    return 1;
}

int main(void)
{
    long rc, rs;
    unsigned char key_form[4] = {'O', 'P', 'O', 'P'}, key_length[8], type_1[8], type_2[8];
    unsigned char kek_1[64] = {0}, kek_2[64] = {0}, mac_key[64] = {0}, macver_key[64] = {0};
    keyword(key_length, "KEYLN16");
    keyword(type_1, "MAC");
    keyword(type_2, "MACVER");
    CSNBKGN(&rc, &rs, NULL, NULL, key_form, key_length, type_1, type_2, kek_1, kek_2, mac_key, macver_key);
    if (check("CSNBKGN", rc, rs))
        return 1;

    unsigned char text[] = "Pay 100.00 to account 12345678";
    long text_length = (long)strlen((char *)text);
    unsigned char rules[2 * 8], chaining_vector[18] = {0}, mac[8] = {0};
    long rule_count = 2;
    keyword(rules, "X9.19OPT");
    keyword(rules + 8, "MACLEN8");
    CSNBMGN(&rc, &rs, NULL, NULL, mac_key, &text_length, text, &rule_count, rules, chaining_vector, mac);
    if (check("CSNBMGN", rc, rs))
        return 1;
    printf("%-22s", "MAC (X9.19OPT):");
    for (int i = 0; i < 8; i++)
        printf("%02x", mac[i]);
    printf("\n");

    CSNBMVR(&rc, &rs, NULL, NULL, macver_key, &text_length, text, &rule_count, rules, chaining_vector, mac);
    if (check("CSNBMVR", rc, rs))
        return 1;
    printf("CSNBMVR: MAC verified\n");

    text[4] = '9'; /* the message changed in transit */
    CSNBMVR(&rc, &rs, NULL, NULL, macver_key, &text_length, text, &rule_count, rules, chaining_vector, mac);
    printf("CSNBMVR on a changed message: return code %ld, reason code %ld (4/1 expected)\n", rc, rs);
    return rc == 4 && rs == 1 ? 0 : 1;
}
