/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host halves of the node verbs: CSUACFQ and CSUACFC (card half in
 * card/fw_node.c), and the host-only CSUACFV, CSUACRA and CSUACRD.
 */
#include <limits.h>
#include <string.h>

#include "csu_boundary.h"
#include "csu_rules.h"
#include "csu_version.h"
#include "csu_wire.h"

/* Largest verb_data a node verb sends or takes back. */
#define NODE_MAX_VERB_DATA 4096L
/* CSUACFV: 8-byte version, 8-byte date, NUL. */
#define VERSION_DATA_LENGTH 17L

/*
 * The shared request of CSUACFQ and CSUACFC: the rule array, the caller's
 * verb_data (CSUACFC) and how much verb_data the caller can take back.
 */
static csu_err node_request(uint16_t op, const long *rule_array_count, const unsigned char *rule_array,
                            const long *verb_data_length, const unsigned char *verb_data, bool send_data,
                            struct csu_wire_msg *req, uint8_t capacity[4])
{
    if (!rule_array_count || !rule_array)
        return CSU_E_NULL_POINTER;
    if (*rule_array_count < 1 || *rule_array_count > 2)
        return CSU_E_RULE_COUNT;
    long len;
    /* Only verb_data that is sent is bounded; a large output buffer is fine. */
    csu_err err = csu_get_length(verb_data_length, 0, send_data ? NODE_MAX_VERB_DATA : LONG_MAX, &len);
    if (err != CSU_OK)
        return err;
    if (len > 0 && !verb_data)
        return CSU_E_NULL_POINTER;
    *req = (struct csu_wire_msg){.op = op, .rule_count = (uint16_t)*rule_array_count, .rules = rule_array};
    csu_store_be32(capacity, (uint32_t)(len < NODE_MAX_VERB_DATA ? len : NODE_MAX_VERB_DATA));
    csu_wire_add_block(req, CSU_TAG_OUT_CAPACITY, capacity, 4);
    if (send_data && len > 0)
        csu_wire_add_block(req, CSU_TAG_VERB_DATA, verb_data, (size_t)len);
    return CSU_OK;
}

/*
 * How many rule-array elements each CSUACFQ keyword returns (reference §1.5,
 * docs/reference-notes.md).  The caller's rule array was sized for these; a
 * reply with more (a broken or impostor card) is refused before anything is
 * written.  Keywords not listed return no elements.
 */
static const struct {
    char keyword[9];
    uint16_t elements;
} query_elements[] = {
    {"STATCCA", 6},   {"STATCCAE", 9}, {"STATAES", 4},  {"STATAPKA", 3},  {"STATCARD", 15}, {"STATCRD2", 15},
    {"STATDIAG", 17}, {"STATEID", 2},  {"STATEXPT", 6}, {"TIMEDATE", 3},  {"STATPOST", 2},
    {"STATICSA", 10}, /* serial, SYM/ASYM/AES N-C-O states */
    {"STATICSB", 13}, /* ... and APKA N-C-O */
    {"STATKCHE", 8},  /* key cache counters (docs/key-cache.md) */
};

/* Largest element count any keyword of the caller's rule array may return. */
static uint16_t query_max_elements(const unsigned char *rule_array, long count)
{
    uint16_t max = 0;
    for (long i = 0; i < count; i++) {
        uint8_t word[CSU_RULE_WORD];
        for (size_t k = 0; k < CSU_RULE_WORD; k++) { /* NUL counts as blank, as on the card */
            uint8_t c = rule_array[(size_t)i * CSU_RULE_WORD + k];
            word[k] = c == 0 ? ' ' : (c >= 'a' && c <= 'z') ? (uint8_t)(c - 'a' + 'A') : c;
        }
        for (size_t q = 0; q < sizeof(query_elements) / sizeof(query_elements[0]); q++) {
            uint8_t padded[CSU_RULE_WORD];
            csu_rules_put_word(padded, query_elements[q].keyword);
            if (memcmp(padded, word, CSU_RULE_WORD) == 0 && query_elements[q].elements > max)
                max = query_elements[q].elements;
        }
    }
    return max;
}

/* Check a node reply against the caller's buffers before writing any. */
static csu_err node_reply_check(uint16_t op, const struct csu_reply *rep, const long *rule_array_count,
                                const unsigned char *rule_array, const long *verb_data_length)
{
    if (op == CSU_OP_CSUACFQ && rep->msg.rule_count > query_max_elements(rule_array, *rule_array_count))
        return CSU_E_REPLY;
    if (op != CSU_OP_CSUACFQ && rep->msg.rule_count != 0)
        return CSU_E_REPLY;
    const struct csu_wire_block *out = csu_wire_find(&rep->msg, CSU_TAG_OUT_DATA);
    long cap = verb_data_length ? *verb_data_length : 0;
    if (out && (long)out->length > cap)
        return CSU_E_REPLY;
    return CSU_OK;
}

static void node_verb(uint16_t op, bool send_data, long *return_code, long *reason_code, long *rule_array_count,
                      unsigned char *rule_array, long *verb_data_length, unsigned char *verb_data)
{
    struct csu_wire_msg req;
    uint8_t capacity[4];
    csu_err err = node_request(op, rule_array_count, rule_array, verb_data_length, verb_data, send_data, &req,
                               capacity);
    struct csu_reply rep;
    if (err == CSU_OK)
        err = csu_call(&req, &rep);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    if (csu_reply_has_output(&rep))
        err = node_reply_check(op, &rep, rule_array_count, rule_array, verb_data_length);
    if (err == CSU_OK && csu_reply_has_output(&rep)) {
        if (op == CSU_OP_CSUACFQ) { /* CSUACFQ returns its answer in the rule array */
            memcpy(rule_array, rep.msg.rules, (size_t)rep.msg.rule_count * CSU_RULE_WORD);
            *rule_array_count = rep.msg.rule_count;
        }
        const struct csu_wire_block *out = csu_wire_find(&rep.msg, CSU_TAG_OUT_DATA);
        if (out) {
            memcpy(verb_data, out->data, out->length);
            *verb_data_length = out->length;
        }
    }
    csu_set_reply(return_code, reason_code, &rep, err);
    csu_reply_free(&rep);
}

void SECURITYAPI CSUACFQ(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *verb_data_length,
                         unsigned char *verb_data)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    node_verb(CSU_OP_CSUACFQ, false, return_code, reason_code, rule_array_count, rule_array, verb_data_length,
              verb_data);
}

void SECURITYAPI CSUACFC(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *verb_data_length,
                         unsigned char *verb_data)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    node_verb(CSU_OP_CSUACFC, true, return_code, reason_code, rule_array_count, rule_array, verb_data_length,
              verb_data);
}

void SECURITYAPI CSUACFV(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *version_data_length, unsigned char *version_data)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    if (!version_data_length || !version_data) {
        csu_set_err(return_code, reason_code, CSU_E_NULL_POINTER);
        return;
    }
    if (*version_data_length < VERSION_DATA_LENGTH) {
        csu_set_err(return_code, reason_code, CSU_E_LENGTH);
        return;
    }
    csu_cca_version_field(version_data);
    memcpy(version_data + 8, CSU_CCA_BUILD_DATE, 8);
    version_data[16] = '\0';
    *version_data_length = VERSION_DATA_LENGTH;
    csu_set_err(return_code, reason_code, CSU_OK);
}

/* CSUACRA / CSUACRD keywords. */
enum { RES_DEVICE = 1, RES_DEV_ANY, RES_SERIAL };
static const struct csu_keyword resource_words[] = {
    {"DEVICE", 0, RES_DEVICE},
    {"DEV-ANY", 0, RES_DEV_ANY},
    {"SERIAL", 0, RES_SERIAL},
};
static const struct csu_rule_spec resource_spec = {resource_words, 3, 1, 1, 1u << 0};

/* The keyword and, for DEVICE, the named device number. */
static csu_err resource_args(const long *rule_array_count, const unsigned char *rule_array,
                             const long *resource_name_length, const unsigned char *resource_name,
                             uint32_t *kind, int *device)
{
    if (!rule_array_count || !rule_array)
        return CSU_E_NULL_POINTER;
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&resource_spec, *rule_array_count, rule_array, &r);
    if (err != CSU_OK)
        return err;
    *kind = r.value[0];
    *device = 0;
    if (*kind == RES_DEV_ANY)
        return CSU_OK;
    if (!resource_name_length || !resource_name)
        return CSU_E_NULL_POINTER;
    if (*resource_name_length < 1 || *resource_name_length > 64)
        return CSU_E_DEV_NAME_LENGTH;
    if (*kind == RES_SERIAL) /* serial numbers select among several cards: one card is configured today */
        return CSU_E_DEV_NAME;
    if (*resource_name_length < 5 || *resource_name_length > 8)
        return CSU_E_DEV_NAME_LENGTH;
    *device = csu_device_parse_name(resource_name, (size_t)*resource_name_length);
    if (*device == 0 || !csu_device_configured(*device))
        return CSU_E_DEV_NAME;
    return CSU_OK;
}

void SECURITYAPI CSUACRA(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *resource_name_length,
                         unsigned char *resource_name)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    uint32_t kind;
    int device;
    csu_err err = resource_args(rule_array_count, rule_array, resource_name_length, resource_name, &kind, &device);
    if (err == CSU_OK && kind == RES_DEV_ANY)
        device = 0; /* back to the default device */
    else if (err == CSU_OK && csu_device_allocated() == device)
        err = CSU_E_DEV_ALLOCATED;
    else if (err == CSU_OK && csu_device_allocated() != 0)
        err = CSU_E_DEV_ALLOCATED_OTHER;
    if (err == CSU_OK)
        csu_device_set_allocated(device);
    csu_set_err(return_code, reason_code, err);
}

void SECURITYAPI CSUACRD(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *resource_name_length,
                         unsigned char *resource_name)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    uint32_t kind;
    int device;
    csu_err err = resource_args(rule_array_count, rule_array, resource_name_length, resource_name, &kind, &device);
    /* DEV-ANY always succeeds: zkey calls it before probing and stops on any error. */
    if (err == CSU_OK && kind != RES_DEV_ANY) {
        if (csu_device_allocated() == 0)
            err = CSU_E_DEV_NONE;
        else if (csu_device_allocated() != device)
            err = CSU_E_DEV_NAME;
    }
    if (err == CSU_OK)
        csu_device_set_allocated(0);
    csu_set_err(return_code, reason_code, err);
}
