/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder host halves: replaced by the family's implementation. */
#include "csu_boundary.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

void SECURITYAPI CSNDEDH(long *return_code, long *reason_code, long *exit_data_length,
    unsigned char *exit_data, long *rule_array_count, unsigned char *rule_array,
    long *private_key_identifier_length, unsigned char *private_key_identifier,
    long *private_KEK_key_identifier_length, unsigned char *private_KEK_key_identifier,
    long *public_key_identifier_length, unsigned char *public_key_identifier,
    long *chaining_vector_length, unsigned char *chaining_vector, long *party_identifier_length,
    unsigned char *party_identifier, long *key_bit_length, long *reserved_length,
    unsigned char *reserved, long *reserved2_length, unsigned char *reserved2,
    long *reserved3_length, unsigned char *reserved3, long *reserved4_length,
    unsigned char *reserved4, long *reserved5_length, unsigned char *reserved5,
    long *output_KEK_key_identifier_length, unsigned char *output_KEK_key_identifier,
    long *output_key_identifier_length, unsigned char *output_key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

