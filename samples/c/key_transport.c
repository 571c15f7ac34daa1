/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sample: move symmetric keys under an RSA key.  Generate an RSA-2048
 * KEY-MGMT key (CSNDPKG) and extract its public key (CSNDPKX); export a DES
 * DATA key with CSNDSYX PKCSOAEP and import it back with CSNDSYI; export a
 * v5 AES CIPHER key with CKM-RAKW (PKCS#11 CKM_RSA_AES_KEY_WRAP) and import
 * it with CSNDSYI2.  Both imported keys encipher like the originals.  Usually
 * the importer is another card holding the private key; here one card plays
 * both parts.  The SYM, AES and APKA master keys must be loaded
 * (csupanel --mktype=... --mk-random, then --mk-set).
 *   cc key_transport.c -lcsulcca
 */
#include <stdio.h>
#include <string.h>

#include "csulincl.h"

#define BUF 2500

static long words(unsigned char *rules, const char *list)
{
    long n = 0;
    for (const char *w = list; *w; n++) {
        const char *end = strchr(w, ' ');
        size_t len = end ? (size_t)(end - w) : strlen(w);
        memset(rules + 8 * n, ' ', 8);
        memcpy(rules + 8 * n, w, len);
        w = end ? end + 1 : w + len;
    }
    return n;
}

static int check(const char *verb, long rc, long rs)
{
    printf("%-8s %ld/%ld\n", verb, rc, rs);
    return rc >= 8;
}

/* An RSA-2048 key that may import keys, and its public key. */
static int rsa_pair(unsigned char *key, long *key_len, unsigned char *pub, long *pub_len)
{
    unsigned char rules[16], kvs[21] = {0x08, 0x00, 0, 0, 0, 3}, skeleton[BUF], transport[64] = {0};
    long rc, rs, n = words(rules, "RSA-CRT KEY-MGMT"), kvs_len = sizeof(kvs), sk_len = BUF, zero = 0;
    kvs[18] = 1, kvs[20] = 1; /* e = 65537 */
    CSNDPKB(&rc, &rs, NULL, NULL, &n, rules, &kvs_len, kvs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, &sk_len, skeleton);
    if (check("CSNDPKB", rc, rs))
        return 1;
    n = words(rules, "MASTER");
    CSNDPKG(&rc, &rs, NULL, NULL, &n, rules, &zero, NULL, &sk_len, skeleton, transport, key_len, key);
    if (check("CSNDPKG", rc, rs))
        return 1;
    CSNDPKX(&rc, &rs, NULL, NULL, &zero, NULL, key_len, key, pub_len, pub);
    return check("CSNDPKX", rc, rs);
}

static int des_transport(unsigned char *key, long key_len, unsigned char *pub, long pub_len)
{
    unsigned char rules[16], clear[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                                          0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10};
    unsigned char des[64] = {0}, imported[64], enc[256];
    long rc, rs, n = words(rules, "DES"), clear_len = 16, des_len = 64, enc_len = sizeof(enc), imp_len = 64;
    CSNBCKM(&rc, &rs, NULL, NULL, &n, rules, &clear_len, clear, des);
    if (check("CSNBCKM", rc, rs))
        return 1;
    n = words(rules, "DES PKCSOAEP");
    CSNDSYX(&rc, &rs, NULL, NULL, &n, rules, &des_len, des, &pub_len, pub, &enc_len, enc);
    if (check("CSNDSYX", rc, rs))
        return 1;
    printf("         DES key under RSA: %ld bytes\n", enc_len);
    CSNDSYI(&rc, &rs, NULL, NULL, &n, rules, &enc_len, enc, &key_len, key, &imp_len, imported);
    if (check("CSNDSYI", rc, rs))
        return 1;
    unsigned char text[8] = "8 bytes", iv[8] = {0}, chain[18], ct1[8], ct2[8];
    long len = 8, pad = 0;
    n = words(rules, "CBC");
    CSNBENC(&rc, &rs, NULL, NULL, des, &len, text, iv, &n, rules, &pad, chain, ct1);
    CSNBENC(&rc, &rs, NULL, NULL, imported, &len, text, iv, &n, rules, &pad, chain, ct2);
    printf("         same ciphertext with the imported key: %s\n", memcmp(ct1, ct2, 8) == 0 ? "yes" : "NO");
    return memcmp(ct1, ct2, 8) != 0;
}

/* A v5 AES-256 CIPHER key: CSNBKTB2 skeleton, CSNBKPI2 one part, COMPLETE. */
static int aes_key(unsigned char *tok, long *len)
{
    unsigned char rules[40], clear[32] = "0123456789abcdef0123456789abcdef";
    long rc, rs, n = words(rules, "INTERNAL AES NO-KEY CIPHER"), zero = 0, bits = 256;
    CSNBKTB2(&rc, &rs, NULL, NULL, &n, rules, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, len,
             tok);
    if (check("CSNBKTB2", rc, rs))
        return 1;
    n = words(rules, "AES FIRST MIN1PART");
    *len = BUF;
    CSNBKPI2(&rc, &rs, NULL, NULL, &n, rules, &bits, clear, len, tok);
    if (check("CSNBKPI2", rc, rs))
        return 1;
    n = words(rules, "AES COMPLETE");
    bits = 0, *len = BUF;
    CSNBKPI2(&rc, &rs, NULL, NULL, &n, rules, &bits, NULL, len, tok);
    return check("CSNBKPI2", rc, rs);
}

static int aes_transport(unsigned char *key, long key_len, unsigned char *pub, long pub_len)
{
    unsigned char aes[BUF], blob[BUF], imported[BUF], rules[24];
    long rc, rs, aes_len = BUF, blob_len = BUF, imp_len = BUF, zero = 0;
    if (aes_key(aes, &aes_len))
        return 1;
    long n = words(rules, "AES CKM-RAKW SHA-256");
    CSNDSYX(&rc, &rs, NULL, NULL, &n, rules, &aes_len, aes, &pub_len, pub, &blob_len, blob);
    if (check("CSNDSYX", rc, rs))
        return 1;
    printf("         CKM_RSA_AES_KEY_WRAP blob: %ld bytes\n", blob_len);
    memset(imported, 0, sizeof(imported));
    CSNDSYI2(&rc, &rs, NULL, NULL, &n, rules, &blob_len, blob, &key_len, key, &zero, NULL, &imp_len, imported);
    if (check("CSNDSYI2", rc, rs))
        return 1;
    printf("         imported AES token: %ld bytes\n", imp_len);
    return 0;
}

int main(void)
{
    unsigned char key[BUF], pub[BUF];
    long key_len = BUF, pub_len = BUF;
    if (rsa_pair(key, &key_len, pub, &pub_len))
        return 1;
    return des_transport(key, key_len, pub, pub_len) || aes_transport(key, key_len, pub, pub_len);
}
