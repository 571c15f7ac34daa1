/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder host halves: replaced by the family's implementation. */
#include "csu_boundary.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

void SECURITYAPI CSNBSAE(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *key_length, unsigned char *key_identifier,
    long *key_parms_length, unsigned char *key_parms, long *block_size,
    long *initialization_vector_length, unsigned char *initialization_vector,
    long *chain_data_length, unsigned char *chain_data, long *clear_text_length,
    unsigned char *clear_text, long *cipher_text_length, unsigned char *cipher_text,
    long *optional_data_length, unsigned char *optional_data)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBSAD(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *key_length, unsigned char *key_identifier,
    long *key_parms_length, unsigned char *key_parms, long *block_size,
    long *initialization_vector_length, unsigned char *initialization_vector,
    long *chain_data_length, unsigned char *chain_data, long *cipher_text_length,
    unsigned char *cipher_text, long *clear_text_length, unsigned char *clear_text,
    long *optional_data_length, unsigned char *optional_data)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBMGN2(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *key_identifier_length, unsigned char *key_identifier,
    long *message_text_length, unsigned char *message_text, long *chaining_vector_length,
    unsigned char *chaining_vector, long *MAC_length, unsigned char *MAC_text)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBMVR2(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *key_identifier_length, unsigned char *key_identifier,
    long *message_text_length, unsigned char *message_text, long *chaining_vector_length,
    unsigned char *chaining_vector, long *MAC_length, unsigned char *MAC_text)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBHMG(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *key_identifier_length, unsigned char *key_identifier,
    long *message_text_length, unsigned char *message_text, long *chaining_vector_length,
    unsigned char *chaining_vector, long *MAC_length, unsigned char *MAC_text)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBHMV(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *key_identifier_length, unsigned char *key_identifier,
    long *message_text_length, unsigned char *message_text, long *chaining_vector_length,
    unsigned char *chaining_vector, long *MAC_length, unsigned char *MAC_text)
{
    csu_verb_unavailable(return_code, reason_code);
}

