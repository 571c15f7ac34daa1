/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder host halves: replaced by the family's implementation. */
#include "csu_boundary.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

void SECURITYAPI CSNDDSG(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *PKA_private_key_id_length, unsigned char *PKA_private_key_id, long *hash_length,
    unsigned char *hash, long *signature_field_length, long *signature_bit_length,
    unsigned char *signature_field)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDDSV(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *PKA_public_key_id_length, unsigned char *PKA_public_key_id, long *hash_length,
    unsigned char *hash, long *signature_field_length, unsigned char *signature_field)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDPKE(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *key_value_length, unsigned char *key_value, long *data_struct_length,
    unsigned char *data_struct, long *RSA_public_key_length, unsigned char *RSA_public_key,
    long *RSA_encipher_length, unsigned char *RSA_encipher)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDPKD(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *enciphered_key_length, unsigned char *enciphered_key, long *data_struct_length,
    unsigned char *data_struct, long *RSA_private_key_length, unsigned char *RSA_private_key,
    long *key_value_length, unsigned char *key_value)
{
    csu_verb_unavailable(return_code, reason_code);
}

