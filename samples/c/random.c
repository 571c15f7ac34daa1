/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sample: random numbers from the card's SP 800-90A Hash_DRBG.
 * CSNBRNG returns 8 bytes (RANDOM, or ODD/EVEN parity for DES keys);
 * CSNBRNGL returns any length up to 8192 bytes.
 */
#include <stdio.h>
#include <string.h>

#include "csulincl.h"

static void print_hex(const char *label, const unsigned char *p, long n)
{
    printf("%-22s", label);
    for (long i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
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
    unsigned char eight[8];
    unsigned char form[8] = {'R', 'A', 'N', 'D', 'O', 'M', ' ', ' '};
    CSNBRNG(&rc, &rs, NULL, NULL, form, eight);
    if (check("CSNBRNG RANDOM", rc, rs))
        return 1;
    print_hex("CSNBRNG RANDOM:", eight, 8);

    memcpy(form, "ODD     ", 8);
    CSNBRNG(&rc, &rs, NULL, NULL, form, eight);
    if (check("CSNBRNG ODD", rc, rs))
        return 1;
    print_hex("CSNBRNG ODD:", eight, 8);

    unsigned char rule_array[8] = {'R', 'A', 'N', 'D', 'O', 'M', ' ', ' '};
    long rule_count = 1, reserved_length = 0, length = 32;
    unsigned char random_number[32];
    CSNBRNGL(&rc, &rs, NULL, NULL, &rule_count, rule_array, &reserved_length, NULL, &length, random_number);
    if (check("CSNBRNGL", rc, rs))
        return 1;
    print_hex("CSNBRNGL 32 bytes:", random_number, length);
    return 0;
}
