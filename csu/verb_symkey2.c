/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder host halves: replaced by the family's implementation. */
#include "csu_boundary.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

void SECURITYAPI CSNBKTB2(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *clear_key_bit_length, unsigned char *clear_key_value,
    long *key_name_length, unsigned char *key_name, long *user_associated_data_length,
    unsigned char *user_associated_data, long *token_data_length, unsigned char *token_data,
    long *reserved_length, unsigned char *reserved, long *target_key_token_length,
    unsigned char *target_key_token)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKGN2(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *clear_key_bit_length, unsigned char *key_type_1,
    unsigned char *key_type_2, long *key_name_1_length, unsigned char *key_name_1,
    long *key_name_2_length, unsigned char *key_name_2, long *user_associated_data_1_length,
    unsigned char *user_associated_data_1, long *user_associated_data_2_length,
    unsigned char *user_associated_data_2, long *KEK_key_identifier_1_length,
    unsigned char *KEK_key_identifier_1, long *KEK_key_identifier_2_length,
    unsigned char *KEK_key_identifier_2, long *generated_key_identifier_1_length,
    unsigned char *generated_key_identifier_1, long *generated_key_identifier_2_length,
    unsigned char *generated_key_identifier_2)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKPI2(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *clear_key_part_length, unsigned char *clear_key_part,
    long *key_identifier_length, unsigned char *key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKYT2(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *key_identifier_length, unsigned char *key_identifier,
    long *KEK_key_identifier_length, unsigned char *KEK_key_identifier, long *reserved_length,
    unsigned char *reserved, long *verification_pattern_length,
    unsigned char *verification_pattern)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKTC2(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *key_identifier_length, unsigned char *key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

