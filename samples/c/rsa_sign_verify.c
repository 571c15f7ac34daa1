/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sample: generate an RSA-2048 key under the APKA master key, sign a
 * SHA-256 DigestInfo with CSNDDSG PKCS-1.1, extract the public key with
 * CSNDPKX and verify with CSNDDSV; then show a tampered signature's 4/429.
 * The APKA master key must be loaded (csupanel --mktype=APKA ...).
 *   cc rsa_sign_verify.c -lcsulcca -lcrypto
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "csulincl.h"

#define BUF 2500

static void rule(unsigned char *r, const char *w)
{
    memset(r, ' ', 8);
    memcpy(r, w, strlen(w));
}

static int check(const char *verb, long rc, long rs)
{
    printf("%-8s %ld/%ld\n", verb, rc, rs);
    return rc >= 8;
}

int main(void)
{
    long rc, rs, count = 2, zero = 0;
    unsigned char rules[16], kvs[21] = {0x08, 0x00, 0, 0, 0, 3}, skeleton[BUF], key[BUF], pub[BUF];
    long kvs_len = sizeof(kvs), sk_len = BUF, key_len = BUF, pub_len = BUF;
    kvs[18] = 1, kvs[20] = 1; /* e = 65537 */
    rule(rules, "RSA-CRT");
    rule(rules + 8, "SIG-ONLY");
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, kvs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, &sk_len, skeleton);
    if (check("CSNDPKB", rc, rs))
        return 1;
    unsigned char transport[64] = {0};
    count = 1;
    rule(rules, "MASTER");
    CSNDPKG(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &sk_len, skeleton, transport, &key_len, key);
    if (check("CSNDPKG", rc, rs))
        return 1;
    count = 0;
    CSNDPKX(&rc, &rs, NULL, NULL, &count, NULL, &key_len, key, &pub_len, pub);
    if (check("CSNDPKX", rc, rs))
        return 1;

    /* DigestInfo = SHA-256 prefix || SHA-256(message) */
    static const unsigned char prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                             0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    const char *message = "hello, CCA";
    unsigned char digest_info[51], sig[512];
    unsigned md_len;
    memcpy(digest_info, prefix, sizeof(prefix));
    EVP_Digest(message, strlen(message), digest_info + 19, &md_len, EVP_sha256(), NULL);
    long di_len = sizeof(digest_info), sig_len = sizeof(sig), sig_bits = 0;
    count = 1;
    rule(rules, "PKCS-1.1");
    CSNDDSG(&rc, &rs, NULL, NULL, &count, rules, &key_len, key, &di_len, digest_info, &sig_len, &sig_bits, sig);
    if (check("CSNDDSG", rc, rs))
        return 1;
    printf("signature: %ld bytes, %ld bits\n", sig_len, sig_bits);
    CSNDDSV(&rc, &rs, NULL, NULL, &count, rules, &pub_len, pub, &di_len, digest_info, &sig_len, sig);
    check("CSNDDSV", rc, rs);
    sig[7] ^= 1;
    CSNDDSV(&rc, &rs, NULL, NULL, &count, rules, &pub_len, pub, &di_len, digest_info, &sig_len, sig);
    check("CSNDDSV", rc, rs); /* 4/429: signature not verified */
    return rc == 4 && rs == 429 ? 0 : 1;
}
