/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder host halves: replaced by the family's implementation. */
#include "csu_boundary.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

void SECURITYAPI CSNBKSI(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, long *file_name_length, unsigned char *file_name,
    long *description_length, unsigned char *description, unsigned char *clear_master_key)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKRC(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, unsigned char *key_label)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKRD(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKRL(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, unsigned char *key_label,
    long *data_set_name_length, unsigned char *data_set_name,
    unsigned char *security_server_name)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKRR(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, unsigned char *key_label,
    unsigned char *key_token)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBKRW(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, unsigned char *key_token,
    unsigned char *key_label)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBAKRC(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_label, long *key_token_length,
    unsigned char *key_token)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBAKRD(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBAKRL(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_label, long *data_set_name_length,
    unsigned char *data_set_name, unsigned char *security_server_name)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBAKRR(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_label, long *key_token_length,
    unsigned char *key_token)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNBAKRW(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_label, long *key_token_length,
    unsigned char *key_token)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDKRC(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_label, long *key_token_length,
    unsigned char *key_token)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDKRD(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_identifier)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDKRL(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_label, long *data_set_name_length,
    unsigned char *data_set_name, unsigned char *security_server_name)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDKRR(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_label, long *key_token_length,
    unsigned char *key_token)
{
    csu_verb_unavailable(return_code, reason_code);
}

void SECURITYAPI CSNDKRW(long *return_code, long *reason_code,
    long *exit_data_length, unsigned char *exit_data, long *rule_array_count,
    unsigned char *rule_array, unsigned char *key_label, long *key_token_length,
    unsigned char *key_token)
{
    csu_verb_unavailable(return_code, reason_code);
}

