/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder host halves: replaced by the family's implementation. */
#include "csu_boundary.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

void SECURITYAPI CSNDSYX(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *source_key_identifier_length, unsigned char *source_key_identifier,
    long *RSA_public_key_identifier_len, unsigned char *RSA_public_key_identifier,
    long *RSA_enciphered_key_length, unsigned char *RSA_enciphered_key)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDSYI(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *RSA_enciphered_key_length, unsigned char *RSA_enciphered_key,
    long *RSA_private_key_identifier_len, unsigned char *RSA_private_key_identifier,
    long *target_key_identifier_length, unsigned char *target_key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDSYI2(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *RSA_enciphered_key_length, unsigned char *RSA_enciphered_key,
    long *RSA_private_key_identifier_length, unsigned char *RSA_private_key_identifier,
    long *user_mod_data_length, unsigned char *user_mod_data,
    long *target_key_identifier_length, unsigned char *target_key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

