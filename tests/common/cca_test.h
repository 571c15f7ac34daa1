/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the end-to-end tests (tests/<area>/): rule arrays, an
 * in-process card in a temporary directory, master-key loading (CSNBMKP),
 * hex and OpenSSL views of PKA public tokens.
 *
 * Nothing here asserts: every helper answers with a count, a return code,
 * a bool or NULL, so that cmocka tests and plain tests can both use it and
 * the caller keeps its own assertions.
 */
#ifndef CCA_TEST_H
#define CCA_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

/* ---- rule arrays ------------------------------------------------------------------ */

/* "AES-MK RANDOM" -> 8-byte blank-padded words in @p out; returns the word count. */
long cca_rules(unsigned char *out, const char *list);

/* The same from an array of @p n words; returns @p n as the rule count. */
long cca_rules_of(unsigned char *out, const char *const *list, size_t n);

/* cca_rules_of(out, CCA_WORDS("INTERNAL", "DES")): the array and its size. */
#define CCA_WORDS(...)                                                                                  \
    (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

/* ---- the card ----------------------------------------------------------------------- */

/* mkdtemp(@p dir_template) and route this process to an in-process card there
 * (CSU_CARD=inproc:<dir>, no CSU_DEFAULT_ADAPTER).  False when it cannot. */
bool cca_card_open(char *dir_template);

/* Key storage (CSUDESDS/AESDS/PKADS and their list directories) under @p dir. */
void cca_key_stores(const char *dir);

/* rm -rf @p dir; 0 when it is gone. */
int cca_remove_dir(const char *dir);

/* CSNBMKP with the rules of @p list ("SYM-MK FIRST") and key part @p part
 * (NULL for none); returns the return code, the reason code in *rs. */
long cca_mkp(const char *list, const unsigned char *part, long *rs);

/* A random master key of @p set ("AES-MK"): RANDOM then SET.  0 on success. */
int cca_mk_random(const char *set);

/* A master key of @p set ("AES-MK") from two clear parts: CLEAR, FIRST @p first,
 * LAST @p last, SET.  0 on success. */
int cca_mk_from_parts(const char *set, const unsigned char *first, const unsigned char *last);

/* ---- data ---------------------------------------------------------------------------- */

/* Hex to bytes; returns the bytes decoded: strlen(h) / 2 unless a pair is
 * not hex, where it stops. */
size_t cca_unhex(const char *h, unsigned char *out);

/* ---- OpenSSL views of keys ----------------------------------------------------------- */

/* The RSA public key of a CSNDPKX token (X'1E' header + X'04' section at 8);
 * NULL when OpenSSL refuses it.  Free with EVP_PKEY_free. */
EVP_PKEY *cca_rsa_public(const unsigned char *pub);

/* The ECC public key of a CSNDPKX token (X'21' section at 8) on OpenSSL group
 * @p group; NULL when OpenSSL refuses it. */
EVP_PKEY *cca_ecc_public(const unsigned char *pub, const char *group);

/* An RSA key pair from hex n, e and d (no CRT parts); NULL on bad hex or refusal. */
EVP_PKEY *cca_rsa_from_hex(const char *n, const char *e, const char *d);

#endif
