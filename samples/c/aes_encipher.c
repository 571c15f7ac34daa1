/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sample: AES encipher and decipher with CSNBSAE / CSNBSAD.
 *
 *  1. A clear AES-256 key becomes a secure v4 DATA token (CSNBCKM); the
 *     clear key is then wiped — from here on only the card sees it.
 *  2. CBC with PKCS-PAD, one call each way.
 *  3. GCM: the tag comes back through key_parms, the AAD goes in through
 *     optional_data; a changed byte makes CSNBSAD answer 8/2947 and return
 *     no plaintext.
 *
 * Needs an AES master key on the card (e.g. `csupanel --mktype=AES
 * --mk-random && csupanel --mktype=AES --mk-set`).
 */
#include <stdio.h>
#include <string.h>

#include "csulincl.h"

static void rules(unsigned char *ra, const char *const *words, long n)
{
    for (long i = 0; i < n; i++) {
        memset(ra + 8 * i, ' ', 8);
        memcpy(ra + 8 * i, words[i], strlen(words[i]));
    }
}

static void print_hex(const char *label, const unsigned char *p, long n)
{
    printf("%-26s", label);
    for (long i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static int check(const char *what, long rc, long rs)
{
    if (rc == 0)
        return 0;
    printf("%s: return code %ld, reason code %ld\n", what, rc, rs);
    return 1;
}

int main(void)
{
    long rc, rs, zero = 0, count, key_len = 32, block = 16;
    unsigned char ra[8 * 4], token[64] = {0};
    unsigned char clear_key[32] = "an example key, 32 bytes long!!";

    /* 1. the secure key token */
    rules(ra, (const char *const[]){"AES"}, 1);
    count = 1;
    CSNBCKM(&rc, &rs, NULL, NULL, &count, ra, &key_len, clear_key, token);
    memset(clear_key, 0, sizeof(clear_key));
    if (check("CSNBCKM", rc, rs))
        return 1;

    /* 2. CBC with PKCS padding */
    const unsigned char message[] = "Attack at dawn: bring the long spoons.";
    unsigned char iv[16] = {0}, cipher[64], plain[64];
    long token_len = 64, iv_len = 16, msg_len = (long)strlen((const char *)message), cipher_len = sizeof(cipher),
         plain_len = sizeof(plain);
    rules(ra, (const char *const[]){"AES", "PKCS-PAD", "KEYIDENT", "ONLY"}, 4);
    count = 4;
    CSNBSAE(&rc, &rs, NULL, NULL, &count, ra, &token_len, token, &zero, NULL, &block, &iv_len, iv, &zero, NULL,
            &msg_len, (unsigned char *)message, &cipher_len, cipher, &zero, NULL);
    if (check("CSNBSAE CBC", rc, rs))
        return 1;
    print_hex("CBC ciphertext:", cipher, cipher_len);
    CSNBSAD(&rc, &rs, NULL, NULL, &count, ra, &token_len, token, &zero, NULL, &block, &iv_len, iv, &zero, NULL,
            &cipher_len, cipher, &plain_len, plain, &zero, NULL);
    if (check("CSNBSAD CBC", rc, rs))
        return 1;
    printf("%-26s%.*s\n", "CBC deciphered:", (int)plain_len, plain);

    /* 3. GCM with associated data */
    unsigned char nonce[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, tag[16];
    unsigned char aad[] = "header v1";
    long nonce_len = 12, tag_len = 16, aad_len = (long)strlen((const char *)aad);
    cipher_len = sizeof(cipher);
    rules(ra, (const char *const[]){"AES", "GCM", "KEYIDENT", "ONLY"}, 4);
    CSNBSAE(&rc, &rs, NULL, NULL, &count, ra, &token_len, token, &tag_len, tag, &block, &nonce_len, nonce, &zero,
            NULL, &msg_len, (unsigned char *)message, &cipher_len, cipher, &aad_len, aad);
    if (check("CSNBSAE GCM", rc, rs))
        return 1;
    print_hex("GCM ciphertext:", cipher, cipher_len);
    print_hex("GCM tag:", tag, tag_len);
    plain_len = sizeof(plain);
    CSNBSAD(&rc, &rs, NULL, NULL, &count, ra, &token_len, token, &tag_len, tag, &block, &nonce_len, nonce, &zero,
            NULL, &cipher_len, cipher, &plain_len, plain, &aad_len, aad);
    if (check("CSNBSAD GCM", rc, rs))
        return 1;
    printf("%-26s%.*s\n", "GCM deciphered:", (int)plain_len, plain);

    cipher[0] ^= 1; /* tampered: refused, nothing returned */
    plain_len = sizeof(plain);
    CSNBSAD(&rc, &rs, NULL, NULL, &count, ra, &token_len, token, &tag_len, tag, &block, &nonce_len, nonce, &zero,
            NULL, &cipher_len, cipher, &plain_len, plain, &aad_len, aad);
    printf("%-26sreturn code %ld, reason code %ld (expected 8/2947)\n", "GCM tampered:", rc, rs);
    return rc == 8 && rs == 2947 ? 0 : 1;
}
