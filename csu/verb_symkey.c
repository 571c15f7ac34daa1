/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder host halves: replaced by the family's implementation. */
#include "csu_boundary.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

void SECURITYAPI CSNBKTB(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, unsigned char *key_token,
    unsigned char *key_type, long *rule_array_count, unsigned char *rule_array,
    unsigned char *key_value, void *reserved_field_1, long *reserved_field_2,
    unsigned char *reserved_field_3, unsigned char *control_vector,
    unsigned char *reserved_field_4, long *reserved_field_5, unsigned char *reserved_field_6,
    unsigned char *master_key_verification_number)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKGN(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, unsigned char *key_form,
    unsigned char *key_length, unsigned char *key_type_1, unsigned char *key_type_2,
    unsigned char *KEK_key_identifier_1, unsigned char *KEK_key_identifier_2,
    unsigned char *generated_key_identifier_1, unsigned char *generated_key_identifier_2)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBCKM(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *clear_key_length, unsigned char *clear_key,
    unsigned char *target_key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBCKI(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, unsigned char *clear_key,
    unsigned char *target_key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKPI(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_part, unsigned char *key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKYT(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_identifier, unsigned char *value_1,
    unsigned char *value_2)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKTC(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

