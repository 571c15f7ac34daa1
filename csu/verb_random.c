/* SPDX-License-Identifier: Apache-2.0 */
/* Host halves of CSNBRNG and CSNBRNGL (card half in card/fw_random.c). */
#include <string.h>

#include "csu_boundary.h"
#include "csu_wire.h"

/* Bytes a reserved (seed) field may carry; IBM's only use is TDES-CBC's. */
#define RNGL_MAX_RESERVED 64L

/* Deliver exactly @p want random bytes from the reply, or nothing. */
static csu_err random_reply(const struct csu_reply *rep, unsigned char *out, size_t want)
{
    const struct csu_wire_block *b = csu_wire_find(&rep->msg, CSU_TAG_OUT_DATA);
    if (!b || b->length != want)
        return CSU_E_REPLY;
    memcpy(out, b->data, want);
    return CSU_OK;
}

static void random_call(const struct csu_wire_msg *req, long *return_code, long *reason_code, unsigned char *out,
                        size_t want)
{
    struct csu_reply rep;
    csu_err err = csu_call(req, &rep);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    if (csu_reply_has_output(&rep))
        err = random_reply(&rep, out, want);
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
}

void SECURITYAPI CSNBRNG(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         unsigned char *form, unsigned char *random_number)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    if (!form || !random_number) {
        csu_set_err(return_code, reason_code, CSU_E_NULL_POINTER);
        return;
    }
    /* The form keyword travels as a one-word rule array. */
    struct csu_wire_msg req = {.op = CSU_OP_CSNBRNG, .rule_count = 1, .rules = form};
    random_call(&req, return_code, reason_code, random_number, 8);
}

void SECURITYAPI CSNBRNGL(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                          long *rule_array_count, unsigned char *rule_array, long *reserved_length,
                          unsigned char *reserved, long *random_number_length, unsigned char *random_number)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    if (!rule_array_count || !rule_array || !random_number_length || !random_number) {
        csu_set_err(return_code, reason_code, CSU_E_NULL_POINTER);
        return;
    }
    if (*rule_array_count < 1 || *rule_array_count > 2) {
        csu_set_err(return_code, reason_code, CSU_E_RULE_COUNT);
        return;
    }
    long reserved_len;
    csu_err err = csu_get_length(reserved_length, 0, RNGL_MAX_RESERVED, &reserved_len);
    if (err == CSU_OK && reserved_len > 0 && !reserved)
        err = CSU_E_NULL_POINTER;
    if (err == CSU_OK && (*random_number_length < 1 || *random_number_length > CSU_RNGL_MAX))
        err = CSU_E_LENGTH;
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    uint8_t capacity[4];
    csu_store_be32(capacity, (uint32_t)*random_number_length);
    struct csu_wire_msg req = {.op = CSU_OP_CSNBRNGL, .rule_count = (uint16_t)*rule_array_count,
                               .rules = rule_array};
    csu_wire_add_block(&req, CSU_TAG_OUT_CAPACITY, capacity, 4);
    if (reserved_len > 0)
        csu_wire_add_block(&req, CSU_TAG_VERB_DATA, reserved, (size_t)reserved_len);
    random_call(&req, return_code, reason_code, random_number, (size_t)*random_number_length);
}
