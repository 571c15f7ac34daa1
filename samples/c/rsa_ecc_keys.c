/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sample: generate an RSA-2048 key and an ECC P-256 key under the card's
 * APKA master key and print their public keys.
 *
 *   CSNDPKB  build a skeleton token (key attributes, no key)
 *   CSNDPKG  MASTER: generate the key pair into an internal token
 *   CSNDPKX  extract the public key into an external token
 *
 * The APKA master key must be loaded, e.g. with
 *   csupanel --mktype=APKA --mk-random && csupanel --mktype=APKA --mk-set
 * Run with CSU_CARD=inproc:/some/dir or against a csucard daemon.
 */
#include <stdio.h>
#include <string.h>

#include "csulincl.h"

#define TOKEN_MAX 2500

static void keyword(unsigned char *rules, int slot, const char *word)
{
    memset(rules + 8 * slot, ' ', 8);
    memcpy(rules + 8 * slot, word, strlen(word));
}

static int check(const char *verb, long rc, long rs)
{
    if (rc == 0)
        return 0;
    fprintf(stderr, "%s failed: return code %ld, reason code %ld\n", verb, rc, rs);
    return 1;
}

static void print_hex(const char *label, const unsigned char *p, size_t n)
{
    printf("  %s (%zu bytes):", label, n);
    for (size_t i = 0; i < n; i++)
        printf("%s%02x", i % 32 ? "" : "\n    ", p[i]);
    printf("\n");
}

/* Skeleton -> internal key -> public token; 0 on success. */
static int generate(const char *type, const unsigned char *kvs, long kvs_len, unsigned char *pub, long *pub_len)
{
    long rc, rs, count = 2, tok_len = TOKEN_MAX, key_len = TOKEN_MAX, zero = 0;
    unsigned char rules[16], skeleton[TOKEN_MAX] = {0}, key[TOKEN_MAX] = {0}, transport[64] = {0};
    keyword(rules, 0, type);
    keyword(rules, 1, "SIG-ONLY");
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, (unsigned char *)kvs, &zero, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, NULL, &tok_len, skeleton);
    if (check("CSNDPKB", rc, rs))
        return 1;
    count = 1;
    keyword(rules, 0, "MASTER");
    CSNDPKG(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &tok_len, skeleton, transport, &key_len, key);
    if (check("CSNDPKG", rc, rs))
        return 1;
    printf("%s: internal token of %ld bytes\n", type, key_len);
    count = 0;
    CSNDPKX(&rc, &rs, NULL, NULL, &count, rules, &key_len, key, pub_len, pub);
    return check("CSNDPKX", rc, rs);
}

int main(void)
{
    /* RSA-2048, e = 65537, CRT form: bits | n len | e len | 0 | p q dp dq U lengths | e */
    static const unsigned char rsa_kvs[21] = {0x08, 0x00, 0, 0, 0, 3, [18] = 0x01, 0x00, 0x01};
    /* ECC prime curve, 256 bits, no key: curve type | 0 | p bits | d len | Q len */
    static const unsigned char ecc_kvs[8] = {0x00, 0x00, 0x01, 0x00, 0, 0, 0, 0};
    unsigned char pub[TOKEN_MAX];
    long pub_len = TOKEN_MAX;

    if (generate("RSA-CRT", rsa_kvs, sizeof(rsa_kvs), pub, &pub_len))
        return 1;
    /* External public token: header (8) + X'04': e length at 14, bits at 16, n length at 18, e at 20. */
    long e_len = pub[14] << 8 | pub[15], bits = pub[16] << 8 | pub[17], n_len = pub[18] << 8 | pub[19];
    printf("RSA public key, %ld bits\n", bits);
    print_hex("e", pub + 20, (size_t)e_len);
    print_hex("n", pub + 20 + e_len, (size_t)n_len);

    pub_len = TOKEN_MAX;
    if (generate("ECC-PAIR", ecc_kvs, sizeof(ecc_kvs), pub, &pub_len))
        return 1;
    /* header (8) + X'21': curve type at 16, p bits at 18, q length at 20, q at 22. */
    long q_len = pub[20] << 8 | pub[21];
    printf("ECC public key, curve type %d, %d bits\n", pub[16], pub[18] << 8 | pub[19]);
    print_hex("Q (X'04' || x || y)", pub + 22, (size_t)q_len);
    return 0;
}
