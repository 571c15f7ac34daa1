/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sample: two parties, Alice and Bob, each generate a P-256 key pair for
 * key agreement (CSNDPKB ECC-PAIR KEY-MGMT, CSNDPKG MASTER), exchange public
 * keys (CSNDPKX) and run CSNDEDH DERIV01 with their own private key, the
 * other's public key, the same party information and an AES CIPHER skeleton
 * (CSNBKTB2).  Both get a secure AES-256 key under the AES master key; the
 * sample shows they are the same key by enciphering with Alice's token and
 * deciphering with Bob's (CSNBSAE / CSNBSAD).
 * The APKA and AES master keys must be loaded (csupanel --mktype=APKA / AES).
 *   cc ecdh.c -lcsulcca
 */
#include <stdio.h>
#include <string.h>

#include "csulincl.h"

#define BUF 2500

static long words(unsigned char *r, const char *const *w, long n)
{
    for (long i = 0; i < n; i++) {
        memset(r + 8 * i, ' ', 8);
        memcpy(r + 8 * i, w[i], strlen(w[i]));
    }
    return n;
}

static int check(const char *who, const char *verb, long rc, long rs)
{
    printf("%-6s %-8s %ld/%ld\n", who, verb, rc, rs);
    return rc >= 8;
}

struct party {
    const char *name;
    unsigned char key[BUF], pub[BUF], aes[725];
    long key_len, pub_len, aes_len;
};

/* A P-256 key pair that may agree keys, and its public key. */
static int make_keys(struct party *p)
{
    long rc, rs, zero = 0, kvs_len = 8, sk_len = BUF, count;
    unsigned char rules[16], kvs[8] = {0x00, 0x00, 0x01, 0x00}, skeleton[BUF], kek[64] = {0};
    count = words(rules, (const char *const[]){"ECC-PAIR", "KEY-MGMT"}, 2);
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, kvs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, &sk_len, skeleton);
    if (check(p->name, "CSNDPKB", rc, rs))
        return -1;
    count = words(rules, (const char *const[]){"MASTER"}, 1);
    p->key_len = BUF;
    CSNDPKG(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &sk_len, skeleton, kek, &p->key_len, p->key);
    if (check(p->name, "CSNDPKG", rc, rs))
        return -1;
    count = 0;
    p->pub_len = BUF;
    CSNDPKX(&rc, &rs, NULL, NULL, &count, NULL, &p->key_len, p->key, &p->pub_len, p->pub);
    return check(p->name, "CSNDPKX", rc, rs) ? -1 : 0;
}

/* The shared AES-256 key from my private key and the other's public key. */
static int agree(struct party *me, const struct party *other)
{
    static const unsigned char info[] = "ALICE-BOB session 2025-01";
    long rc, rs, zero = 0, count, info_len = sizeof(info) - 1, bits = 256, pub_len = other->pub_len;
    unsigned char rules[24];
    count = words(rules, (const char *const[]){"INTERNAL", "AES", "CIPHER"}, 3);
    me->aes_len = sizeof(me->aes);
    CSNBKTB2(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL,
             &me->aes_len, me->aes);
    if (check(me->name, "CSNBKTB2", rc, rs))
        return -1;
    count = words(rules, (const char *const[]){"DERIV01", "KEY-AES"}, 2);
    me->aes_len = sizeof(me->aes); /* the buffer's size; the token's length comes back */
    CSNDEDH(&rc, &rs, NULL, NULL, &count, rules, &me->key_len, me->key, &zero, NULL, &pub_len,
            (unsigned char *)other->pub, &zero, NULL, &info_len, (unsigned char *)info, &bits, &zero, NULL, &zero,
            NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &me->aes_len, me->aes);
    return check(me->name, "CSNDEDH", rc, rs) ? -1 : 0;
}

int main(void)
{
    static struct party alice = {.name = "Alice"}, bob = {.name = "Bob"};
    if (make_keys(&alice) || make_keys(&bob) || agree(&alice, &bob) || agree(&bob, &alice))
        return 1;
    long rc, rs, zero = 0, count, blk = 16, ivl = 16, tl = 32, cl = 32, ol = 32;
    unsigned char rules[16], iv[16] = {0}, text[33] = "a secret of exactly 32 bytes!!!!", ct[32], back[32];
    count = words(rules, (const char *const[]){"AES", "CBC"}, 2);
    CSNBSAE(&rc, &rs, NULL, NULL, &count, rules, &alice.aes_len, alice.aes, &zero, NULL, &blk, &ivl, iv, &zero,
            NULL, &tl, text, &cl, ct, &zero, NULL);
    if (check("Alice", "CSNBSAE", rc, rs))
        return 1;
    memset(iv, 0, sizeof(iv));
    CSNBSAD(&rc, &rs, NULL, NULL, &count, rules, &bob.aes_len, bob.aes, &zero, NULL, &blk, &ivl, iv, &zero, NULL,
            &cl, ct, &ol, back, &zero, NULL);
    if (check("Bob", "CSNBSAD", rc, rs))
        return 1;
    int same = ol == 32 && memcmp(back, text, 32) == 0;
    printf("Bob deciphers Alice's text: %s\n", same ? "yes, same key" : "NO");
    return same ? 0 : 1;
}
