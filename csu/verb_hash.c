/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder host halves: replaced by the family's implementation. */
#include "csu_boundary.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

void SECURITYAPI CSNBOWH(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *text_length, unsigned char *text,
    long *chaining_vector_length, unsigned char *chaining_vector, long *hash_length,
    unsigned char *hash)
{
    csu_verb_unavailable(return_code, reason_code);
}

