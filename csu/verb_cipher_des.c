/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder host halves: replaced by the family's implementation. */
#include "csu_boundary.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

void SECURITYAPI CSNBENC(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, unsigned char *key_identifier,
    long *text_length, unsigned char *plaintext, unsigned char *initialization_vector,
    long *rule_array_count, unsigned char *rule_array, long *pad_character,
    unsigned char *chaining_vector, unsigned char *ciphertext)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBDEC(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, unsigned char *key_identifier,
    long *text_length, unsigned char *ciphertext, unsigned char *initialization_vector,
    long *rule_array_count, unsigned char *rule_array, unsigned char *chaining_vector,
    unsigned char *plaintext)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBMGN(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, unsigned char *key_identifier,
    long *text_length, unsigned char *text, long *rule_array_count, unsigned char *rule_array,
    unsigned char *chaining_vector, unsigned char *MAC)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBMVR(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, unsigned char *key_identifier,
    long *text_length, unsigned char *text, long *rule_array_count, unsigned char *rule_array,
    unsigned char *chaining_vector, unsigned char *MAC)
{
    csu_verb_unavailable(return_code, reason_code);
}

