/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the card unit tests (test_card.c, test_card_icsa.c): one
 * request/reply round through card_process with frames built by
 * csu_wire_encode, on the card of card_fixture.h.
 */
#ifndef TEST_CARD_REQUEST_H
#define TEST_CARD_REQUEST_H

#include "card_fixture.h"

#include <openssl/evp.h>

#include "card_mk.h"
#include "csu_mu.h"
#include "csu_rules.h"
#include "csu_wire.h"

/* ---- one request / reply ------------------------------------------------- */

struct reply {
    uint8_t *frame;
    size_t len;
    struct csu_wire_msg msg;
};

struct req {
    uint16_t op;
    const char *rules[4]; /* NULL-terminated */
    int has_capacity;
    uint32_t capacity;
    const void *data;     /* CSU_TAG_VERB_DATA when non-NULL */
    size_t data_len;
};

/* Send @p frame, decode the reply (which must always be well formed). */
static inline void send_frame(struct fixture *f, const uint8_t *frame, size_t len, struct reply *rep)
{
    assert_int_equal(card_process(f->w, frame, len, &rep->frame, &rep->len), CSU_OK);
    assert_int_equal(csu_wire_decode_reply(rep->frame, rep->len, &rep->msg), CSU_OK);
}

static inline void call(struct fixture *f, const struct req *q, struct reply *rep)
{
    uint8_t rules[4 * 8];
    struct csu_wire_msg m = {.op = q->op, .rules = rules};
    while (m.rule_count < 4 && q->rules[m.rule_count]) {
        csu_rules_put_word(rules + 8 * m.rule_count, q->rules[m.rule_count]);
        m.rule_count++;
    }
    uint8_t cap[4];
    if (q->has_capacity) {
        csu_store_be32(cap, q->capacity);
        assert_true(csu_wire_add_block(&m, CSU_TAG_OUT_CAPACITY, cap, 4));
    }
    if (q->data)
        assert_true(csu_wire_add_block(&m, CSU_TAG_VERB_DATA, q->data, q->data_len));
    uint8_t *frame;
    size_t len;
    assert_int_equal(csu_wire_encode(&m, false, &frame, &len), CSU_OK);
    send_frame(f, frame, len, rep);
    assert_int_equal(rep->msg.op, q->op);
    csu_wire_free(frame, len);
}

static inline void reply_free(struct reply *rep)
{
    csu_wire_free(rep->frame, rep->len);
    rep->frame = NULL;
}

/* Call, check the codes, free the reply. */
static inline void expect(struct fixture *f, const struct req *q, uint32_t rc, uint32_t rs)
{
    struct reply rep;
    call(f, q, &rep);
    if (rep.msg.return_code != rc || rep.msg.reason_code != rs)
        fail_msg("%s %s: got %u/%u, want %u/%u", csu_op_name(q->op), q->rules[0] ? q->rules[0] : "",
                 rep.msg.return_code, rep.msg.reason_code, rc, rs);
    if (rc >= 8) { /* no output with an error */
        assert_int_equal(rep.msg.rule_count, 0);
        assert_int_equal(rep.msg.block_count, 0);
    }
    reply_free(&rep);
}

/* Element @p i (1-based) of a reply's rule array, blank-padded to 8. */
static inline void assert_element(const struct reply *rep, int i, const char *want)
{
    assert_true(i >= 1 && i <= rep->msg.rule_count);
    uint8_t padded[8];
    csu_rules_put_word(padded, want);
    if (memcmp(rep->msg.rules + 8 * (i - 1), padded, 8) != 0)
        fail_msg("element %d is '%.8s', want '%.8s'", i, (const char *)rep->msg.rules + 8 * (i - 1),
                 (const char *)padded);
}

static inline void query(struct fixture *f, const char *keyword, struct reply *rep)
{
    call(f, &(struct req){.op = CSU_OP_CSUACFQ, .rules = {keyword}}, rep);
    assert_int_equal(rep->msg.return_code, 0);
    assert_int_equal(rep->msg.reason_code, 0);
}

/* Element @p i (1-based) of a reply's rule array as a C string. */
static inline void copy_element(const struct reply *rep, int i, char out[9])
{
    memcpy(out, rep->msg.rules + 8 * (i - 1), 8);
    out[8] = '\0';
}

/* RQ-TOKEN returns 8 bytes; RQ-REINT wants their one's complement, once. */
static inline void rq_token(struct fixture *f, uint8_t token[8])
{
    struct reply rep;
    call(f, &(struct req){.op = CSU_OP_CSUACFC, .rules = {"RQ-TOKEN"}, .has_capacity = 1, .capacity = 8}, &rep);
    assert_int_equal(rep.msg.return_code, 0);
    const struct csu_wire_block *b = csu_wire_find(&rep.msg, CSU_TAG_OUT_DATA);
    assert_non_null(b);
    assert_int_equal(b->length, 8);
    memcpy(token, b->data, 8);
    reply_free(&rep);
}

#endif
