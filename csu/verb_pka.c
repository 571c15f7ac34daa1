/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder host halves: replaced by the family's implementation. */
#include "csu_boundary.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

void SECURITYAPI CSNDPKB(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *key_values_structure_length, unsigned char *key_values_structure, long *key_name_ln,
    unsigned char *key_name, long *customer_data_length, unsigned char *customer_data,
    long *reserved_2_length, unsigned char *reserved_2, long *reserved_3_length,
    unsigned char *reserved_3, long *reserved_4_length, unsigned char *reserved_4,
    long *reserved_5_length, unsigned char *reserved_5, long *token_length,
    unsigned char *token)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDPKG(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *regeneration_data_length, unsigned char *regeneration_data,
    long *skeleton_key_token_length, unsigned char *skeleton_key_token,
    unsigned char *transport_key_identifier, long *generated_key_identifier_length,
    unsigned char *generated_key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDPKI(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *source_key_token_length, unsigned char *source_key_token,
    unsigned char *importer_key_identifier, long *target_key_identifier_length,
    unsigned char *target_key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDPKX(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *source_key_identifier_length, unsigned char *source_key_identifier,
    long *target_key_token_length, unsigned char *target_key_token)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDKTC(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *key_id_length, unsigned char *key_id)
{
    csu_verb_unavailable(return_code, reason_code);
}

