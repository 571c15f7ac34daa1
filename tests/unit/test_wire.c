/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the host <-> card wire format (csu/csu_wire.c) and of the
 * offset-cursor marshalling under it (csu/csu_mu.c).
 *
 * Covers: request and reply round trips (rules, several blocks, an empty
 * body); the encoder's size pass agreeing with the bytes it writes; every
 * defect class of a frame refused with CSU_E_FRAME (request) or CSU_E_REPLY
 * (reply): each truncation, extra and trailing bytes, magic, version, op,
 * flags, body length, rule and block counts, block overrun, tag 0, repeated
 * tags, a 4 GiB header; and csu_mu's bounds, cursor, size-only and
 * overflow-safety rules.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csu_mu.h"
#include "csu_rules.h"
#include "csu_wire.h"

/* ---- helpers ------------------------------------------------------------ */

static const uint8_t block_a[] = {0x00, 0x00, 0x20, 0x00};
static const uint8_t block_b[] = "verb data bytes";
static const uint8_t block_c[] = {'O', 'D', 'D', ' ', ' ', ' ', ' ', ' '};

/* A request with two rules and four blocks (one of them empty). */
static void sample_msg(struct csu_wire_msg *m, uint8_t rules[16])
{
    *m = (struct csu_wire_msg){.op = CSU_OP_CSNBRNGL};
    csu_rules_put_word(rules, "RANDOM");
    csu_rules_put_word(rules + 8, "ADAPTER1");
    m->rule_count = 2;
    m->rules = rules;
    assert_true(csu_wire_add_block(m, CSU_TAG_OUT_CAPACITY, block_a, sizeof(block_a)));
    assert_true(csu_wire_add_block(m, CSU_TAG_VERB_DATA, block_b, sizeof(block_b)));
    assert_true(csu_wire_add_block(m, CSU_TAG_FORM, block_c, sizeof(block_c)));
    assert_true(csu_wire_add_block(m, CSU_TAG_OUT_DATA, NULL, 0));
}

static void assert_msg_equal(const struct csu_wire_msg *a, const struct csu_wire_msg *b, bool reply)
{
    assert_int_equal(a->op, b->op);
    if (reply) {
        assert_int_equal(a->return_code, b->return_code);
        assert_int_equal(a->reason_code, b->reason_code);
    }
    assert_int_equal(a->rule_count, b->rule_count);
    if (a->rule_count)
        assert_memory_equal(a->rules, b->rules, (size_t)a->rule_count * CSU_RULE_WORD);
    assert_int_equal(a->block_count, b->block_count);
    for (unsigned i = 0; i < a->block_count; i++) {
        assert_int_equal(a->blocks[i].tag, b->blocks[i].tag);
        assert_int_equal(a->blocks[i].length, b->blocks[i].length);
        if (a->blocks[i].length)
            assert_memory_equal(a->blocks[i].data, b->blocks[i].data, a->blocks[i].length);
    }
}

/* Size of a message's frame, computed independently with csu_mu's size-only mode. */
static size_t size_only(const struct csu_wire_msg *m, bool reply)
{
    size_t off = 0, big = SIZE_MAX;
    assert_true(csu_mu_u32_marshal(0, NULL, big, &off)); /* magic */
    assert_true(csu_mu_u16_marshal(0, NULL, big, &off)); /* version */
    assert_true(csu_mu_u16_marshal(0, NULL, big, &off)); /* op */
    assert_true(csu_mu_u32_marshal(0, NULL, big, &off)); /* flags | return */
    if (reply)
        assert_true(csu_mu_u32_marshal(0, NULL, big, &off)); /* reason */
    assert_true(csu_mu_u32_marshal(0, NULL, big, &off));     /* length */
    assert_true(csu_mu_u16_marshal(0, NULL, big, &off));
    assert_true(csu_mu_bytes_marshal(NULL, (size_t)m->rule_count * 8, NULL, big, &off));
    assert_true(csu_mu_u16_marshal(0, NULL, big, &off));
    for (unsigned i = 0; i < m->block_count; i++) {
        assert_true(csu_mu_u16_marshal(0, NULL, big, &off));
        assert_true(csu_mu_u32_marshal(0, NULL, big, &off));
        assert_true(csu_mu_bytes_marshal(NULL, m->blocks[i].length, NULL, big, &off));
    }
    return off;
}

/*
 * A raw frame builder for frames the encoder refuses to make.  Writes the
 * header with the body length the body really has; callers then damage it.
 */
struct raw {
    uint8_t buf[4096];
    size_t len;
};

static void raw_u16(struct raw *r, uint16_t v)
{
    assert_true(csu_mu_u16_marshal(v, r->buf, sizeof(r->buf), &r->len));
}

static void raw_u32(struct raw *r, uint32_t v)
{
    assert_true(csu_mu_u32_marshal(v, r->buf, sizeof(r->buf), &r->len));
}

static void raw_bytes(struct raw *r, const void *p, size_t n)
{
    assert_true(csu_mu_bytes_marshal(p, n, r->buf, sizeof(r->buf), &r->len));
}

static size_t hdr_len(bool reply)
{
    return reply ? CSU_WIRE_REP_HEADER : CSU_WIRE_REQ_HEADER;
}

static void raw_header(struct raw *r, bool reply, uint16_t op)
{
    r->len = 0;
    raw_u32(r, reply ? CSU_WIRE_REP_MAGIC : CSU_WIRE_REQ_MAGIC);
    raw_u16(r, CSU_WIRE_VERSION);
    raw_u16(r, op);
    raw_u32(r, reply ? 8 : 0);
    if (reply)
        raw_u32(r, 72);
    raw_u32(r, 0); /* fixed by raw_finish */
}

/* Store the body length the frame really has. */
static void raw_finish(struct raw *r, bool reply)
{
    csu_store_be32(r->buf + hdr_len(reply) - 4, (uint32_t)(r->len - hdr_len(reply)));
}

static csu_err decode(bool reply, const uint8_t *p, size_t n, struct csu_wire_msg *m)
{
    return reply ? csu_wire_decode_reply(p, n, m) : csu_wire_decode_request(p, n, m);
}

static csu_err bad(bool reply)
{
    return reply ? CSU_E_REPLY : CSU_E_FRAME;
}

/* Encode the sample message as a request or reply frame. */
static void sample_frame(bool reply, uint8_t **frame, size_t *len, struct csu_wire_msg *m, uint8_t rules[16])
{
    sample_msg(m, rules);
    m->return_code = 4;
    m->reason_code = 2060;
    assert_int_equal(csu_wire_encode(m, reply, frame, len), CSU_OK);
}

/* Decode a copy of @p frame (so ASan sees exactly @p n bytes) and expect @p want. */
static void expect_decode(bool reply, const uint8_t *frame, size_t n, csu_err want)
{
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n)
        memcpy(copy, frame, n);
    struct csu_wire_msg m;
    assert_int_equal(decode(reply, copy, n, &m), want);
    free(copy);
}

/* ---- round trips -------------------------------------------------------- */

static void round_trip(bool reply)
{
    struct csu_wire_msg m, d;
    uint8_t rules[16];
    uint8_t *frame;
    size_t len;
    sample_frame(reply, &frame, &len, &m, rules);
    assert_int_equal(len, size_only(&m, reply));
    size_t total = 0;
    assert_int_equal(csu_wire_frame_length(frame, len, reply, &total), CSU_OK);
    assert_int_equal(total, len);
    assert_int_equal(decode(reply, frame, len, &d), CSU_OK);
    assert_msg_equal(&m, &d, reply);
    /* Decoded blocks point into the frame, not at copies. */
    for (unsigned i = 0; i < d.block_count; i++)
        assert_true(d.blocks[i].data >= frame && d.blocks[i].data + d.blocks[i].length <= frame + len);
    /* Re-encoding the decoded message gives the same bytes (one encoding per message). */
    uint8_t *again;
    size_t again_len;
    assert_int_equal(csu_wire_encode(&d, reply, &again, &again_len), CSU_OK);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, frame, len);
    csu_wire_free(again, again_len);
    csu_wire_free(frame, len);
}

static void test_request_round_trip(void **state)
{
    (void)state;
    round_trip(false);
}

static void test_reply_round_trip(void **state)
{
    (void)state;
    round_trip(true);
}

static void test_byte_layout(void **state)
{
    (void)state;
    static const uint8_t rule[8] = "STATCCA ";
    struct csu_wire_msg m = {.op = CSU_OP_CSUACFQ, .rule_count = 1, .rules = rule};
    static const uint8_t data[3] = {0xaa, 0xbb, 0xcc};
    assert_true(csu_wire_add_block(&m, CSU_TAG_VERB_DATA, data, 3));
    static const uint8_t want[] = {
        'C', 'S', 'R', 'Q', 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 21, /* header, body 21 bytes */
        0, 1, 'S', 'T', 'A', 'T', 'C', 'C', 'A', ' ',             /* one rule */
        0, 1, 0, 2, 0, 0, 0, 3, 0xaa, 0xbb, 0xcc,                 /* one block */
    };
    uint8_t *frame;
    size_t len;
    assert_int_equal(csu_wire_encode(&m, false, &frame, &len), CSU_OK);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(frame, want, sizeof(want));
    csu_wire_free(frame, len);

    m.return_code = 0x01020304;
    m.reason_code = 0x05060708;
    assert_int_equal(csu_wire_encode(&m, true, &frame, &len), CSU_OK);
    assert_int_equal(len, sizeof(want) + 4);
    static const uint8_t rep_hdr[] = {'C', 'S', 'R', 'P', 0, 1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 21};
    assert_memory_equal(frame, rep_hdr, sizeof(rep_hdr));
    assert_memory_equal(frame + 20, want + 16, sizeof(want) - 16);
    csu_wire_free(frame, len);
}

static void test_empty_body(void **state)
{
    (void)state;
    for (int reply = 0; reply <= 1; reply++) {
        struct csu_wire_msg m = {.op = CSU_OP_CSNBRNG, .return_code = 16, .reason_code = 556}, d;
        uint8_t *frame;
        size_t len;
        assert_int_equal(csu_wire_encode(&m, reply, &frame, &len), CSU_OK);
        assert_int_equal(len, hdr_len(reply) + 4); /* rule_count + block_count */
        assert_int_equal(len, size_only(&m, reply));
        assert_int_equal(decode(reply, frame, len, &d), CSU_OK);
        assert_msg_equal(&m, &d, reply);
        assert_null(csu_wire_find(&d, CSU_TAG_OUT_DATA));
        csu_wire_free(frame, len);
    }
}

/* Op 0 is refused in a request, but a reply may carry it (the card's answer to an undecodable request). */
static void test_op_zero(void **state)
{
    (void)state;
    struct csu_wire_msg m = {.op = CSU_OP_NONE, .return_code = 16, .reason_code = 556}, d;
    uint8_t *frame;
    size_t len;
    assert_int_equal(csu_wire_encode(&m, true, &frame, &len), CSU_OK);
    assert_int_equal(csu_wire_decode_reply(frame, len, &d), CSU_OK);
    assert_int_equal(d.op, 0);
    csu_wire_free(frame, len);
    assert_int_equal(csu_wire_encode(&m, false, &frame, &len), CSU_OK);
    assert_int_equal(csu_wire_decode_request(frame, len, &d), CSU_E_FRAME);
    csu_wire_free(frame, len);
}

/* Largest counts the format allows decode; one more is refused by the encoder. */
static void test_limits_encode(void **state)
{
    (void)state;
    static uint8_t rules[(CSU_WIRE_MAX_RULES + 1) * 8];
    memset(rules, ' ', sizeof(rules));
    struct csu_wire_msg m = {.op = CSU_OP_CSUACFQ, .rule_count = CSU_WIRE_MAX_RULES, .rules = rules}, d;
    uint8_t one = 1;
    for (uint16_t t = 1; t <= CSU_WIRE_MAX_BLOCKS; t++)
        assert_true(csu_wire_add_block(&m, t, &one, 1));
    assert_false(csu_wire_add_block(&m, 99, &one, 1)); /* full */
    uint8_t *frame;
    size_t len;
    assert_int_equal(csu_wire_encode(&m, false, &frame, &len), CSU_OK);
    assert_int_equal(len, size_only(&m, false));
    assert_int_equal(csu_wire_decode_request(frame, len, &d), CSU_OK);
    assert_msg_equal(&m, &d, false);
    csu_wire_free(frame, len);

    m.rule_count = CSU_WIRE_MAX_RULES + 1;
    assert_int_equal(csu_wire_encode(&m, false, &frame, &len), CSU_E_LENGTH);
    m.rule_count = 1;
    m.block_count = CSU_WIRE_MAX_BLOCKS + 1;
    assert_int_equal(csu_wire_encode(&m, true, &frame, &len), CSU_E_LENGTH);
}

/* A frame may be at most CSU_WIRE_MAX_FRAME bytes, header included. */
static void test_max_frame_encode(void **state)
{
    (void)state;
    for (int reply = 0; reply <= 1; reply++) {
        size_t fixed = hdr_len(reply) + 2 + 2 + 6; /* header, counts, one block header */
        size_t most = CSU_WIRE_MAX_FRAME - fixed;
        uint8_t *data = calloc(1, most + 1);
        assert_non_null(data);
        struct csu_wire_msg m = {.op = CSU_OP_CSNBRNGL};
        assert_true(csu_wire_add_block(&m, CSU_TAG_VERB_DATA, data, most));
        uint8_t *frame;
        size_t len;
        assert_int_equal(csu_wire_encode(&m, reply, &frame, &len), CSU_OK);
        assert_int_equal(len, CSU_WIRE_MAX_FRAME);
        struct csu_wire_msg d;
        assert_int_equal(decode(reply, frame, len, &d), CSU_OK);
        assert_int_equal(d.blocks[0].length, most);
        csu_wire_free(frame, len);
        m.blocks[0].length = (uint32_t)(most + 1);
        frame = NULL;
        assert_int_equal(csu_wire_encode(&m, reply, &frame, &len), CSU_E_LENGTH);
        assert_null(frame);
        free(data);
    }
}

static void test_add_block_find(void **state)
{
    (void)state;
    struct csu_wire_msg m = {0};
    uint8_t v[4] = {0x12, 0x34, 0x56, 0x78};
    assert_false(csu_wire_add_block(&m, CSU_TAG_NONE, v, 4));
    assert_false(csu_wire_add_block(&m, CSU_TAG_VERB_DATA, v, (size_t)CSU_WIRE_MAX_FRAME + 1));
    assert_int_equal(m.block_count, 0);
    assert_true(csu_wire_add_block(&m, CSU_TAG_OUT_CAPACITY, v, 4));
    assert_true(csu_wire_add_block(&m, CSU_TAG_VERB_DATA, v, 3));
    uint32_t u = 0;
    assert_true(csu_wire_get_u32(&m, CSU_TAG_OUT_CAPACITY, &u));
    assert_int_equal(u, 0x12345678);
    assert_false(csu_wire_get_u32(&m, CSU_TAG_VERB_DATA, &u)); /* not 4 bytes */
    assert_false(csu_wire_get_u32(&m, CSU_TAG_FORM, &u));      /* absent */
    assert_ptr_equal(csu_wire_find(&m, CSU_TAG_VERB_DATA), &m.blocks[1]);
    assert_null(csu_wire_find(&m, CSU_TAG_OUT_DATA));
    assert_string_equal(csu_op_name(CSU_OP_CSUACFQ), "CSUACFQ");
    assert_string_equal(csu_op_name(CSU_OP_CSNBRNGL), "CSNBRNGL");
    assert_null(csu_op_name(CSU_OP_NONE));
    assert_null(csu_op_name(CSU_OP_COUNT_));
    assert_null(csu_op_name(0xffff));
    csu_wire_free(NULL, 10); /* no-op */
}

/* ---- defects: every one refused ---------------------------------------- */

static void truncations(bool reply)
{
    struct csu_wire_msg m;
    uint8_t rules[16];
    uint8_t *frame;
    size_t len;
    sample_frame(reply, &frame, &len, &m, rules);
    expect_decode(reply, frame, len, CSU_OK);
    for (size_t n = 0; n < len; n++)
        expect_decode(reply, frame, n, bad(reply));
    struct csu_wire_msg d;
    assert_int_equal(decode(reply, NULL, 0, &d), bad(reply));
    assert_int_equal(decode(reply, NULL, len, &d), bad(reply));
    csu_wire_free(frame, len);
}

static void test_request_truncations(void **state)
{
    (void)state;
    truncations(false);
}

static void test_reply_truncations(void **state)
{
    (void)state;
    truncations(true);
}

/* Extra bytes after the frame: header unchanged (too long), or header counting them (trailing garbage). */
static void extra_bytes(bool reply)
{
    struct csu_wire_msg m;
    uint8_t rules[16];
    uint8_t *frame;
    size_t len;
    sample_frame(reply, &frame, &len, &m, rules);
    uint8_t *big = calloc(1, len + 8);
    assert_non_null(big);
    memcpy(big, frame, len);
    expect_decode(reply, big, len + 1, bad(reply)); /* one byte too long */
    for (size_t extra = 1; extra <= 8; extra++) {  /* trailing garbage the header announces */
        memcpy(big, frame, len);
        memset(big + len, 0xa5, extra);
        csu_store_be32(big + hdr_len(reply) - 4, (uint32_t)(len + extra - hdr_len(reply)));
        expect_decode(reply, big, len + extra, bad(reply));
        memset(big + len, 0, extra); /* zero bytes look like empty counts, still garbage */
        expect_decode(reply, big, len + extra, bad(reply));
    }
    free(big);
    csu_wire_free(frame, len);
}

static void test_request_extra_bytes(void **state)
{
    (void)state;
    extra_bytes(false);
}

static void test_reply_extra_bytes(void **state)
{
    (void)state;
    extra_bytes(true);
}

/* Damage one header field and expect a refusal. */
static void header_field(bool reply, size_t offset, size_t width, uint32_t value)
{
    struct csu_wire_msg m;
    uint8_t rules[16];
    uint8_t *frame;
    size_t len;
    sample_frame(reply, &frame, &len, &m, rules);
    if (width == 2)
        csu_store_be16(frame + offset, (uint16_t)value);
    else
        csu_store_be32(frame + offset, value);
    expect_decode(reply, frame, len, bad(reply));
    csu_wire_free(frame, len);
}

static void header_defects(bool reply)
{
    /* magic: damaged, zero, and the other direction's magic */
    header_field(reply, 0, 4, (reply ? CSU_WIRE_REP_MAGIC : CSU_WIRE_REQ_MAGIC) ^ 0x01000000u);
    header_field(reply, 0, 4, 0);
    header_field(reply, 0, 4, reply ? CSU_WIRE_REQ_MAGIC : CSU_WIRE_REP_MAGIC);
    /* version */
    header_field(reply, 4, 2, 0);
    header_field(reply, 4, 2, CSU_WIRE_VERSION + 1);
    header_field(reply, 4, 2, 0xffff);
    /* unknown op */
    header_field(reply, 6, 2, CSU_OP_COUNT_);
    header_field(reply, 6, 2, 0x7fff);
    header_field(reply, 6, 2, 0xffff);
    /* body length larger and smaller than the bytes present */
    size_t blen = hdr_len(reply) - 4;
    struct csu_wire_msg m;
    uint8_t rules[16];
    uint8_t *frame;
    size_t len;
    sample_frame(reply, &frame, &len, &m, rules);
    uint32_t body = (uint32_t)(len - hdr_len(reply));
    csu_wire_free(frame, len);
    header_field(reply, blen, 4, body + 1);
    header_field(reply, blen, 4, body - 1);
    header_field(reply, blen, 4, 0);
    header_field(reply, blen, 4, body + 0x10000);
}

static void test_request_header_defects(void **state)
{
    (void)state;
    header_defects(false);
    header_field(false, 6, 2, CSU_OP_NONE); /* op 0 in a request */
    header_field(false, 8, 4, 1);           /* flags: must be 0 in v1 */
    header_field(false, 8, 4, 0x80000000u);
    header_field(false, 8, 4, 0xffffffffu);
}

static void test_reply_header_defects(void **state)
{
    (void)state;
    header_defects(true);
}

/* A request frame fed to the reply decoder and the other way round. */
static void test_cross_direction(void **state)
{
    (void)state;
    for (int reply = 0; reply <= 1; reply++) {
        struct csu_wire_msg m;
        uint8_t rules[16];
        uint8_t *frame;
        size_t len;
        sample_frame(reply, &frame, &len, &m, rules);
        expect_decode(!reply, frame, len, bad(!reply));
        csu_wire_free(frame, len);
    }
}

/* Body defects built by hand: the encoder refuses to make these frames. */
static void body_defects(bool reply)
{
    static const uint8_t word[8] = "RANDOM  ";
    struct raw r;
    uint16_t op = CSU_OP_CSNBRNGL;

    /* rule_count at the limit decodes; one more is refused */
    for (uint32_t n = CSU_WIRE_MAX_RULES; n <= CSU_WIRE_MAX_RULES + 1; n++) {
        raw_header(&r, reply, op);
        raw_u16(&r, (uint16_t)n);
        for (uint32_t i = 0; i < n; i++)
            raw_bytes(&r, word, 8);
        raw_u16(&r, 0);
        raw_finish(&r, reply);
        expect_decode(reply, r.buf, r.len, n <= CSU_WIRE_MAX_RULES ? CSU_OK : bad(reply));
    }
    /* rule_count 0xffff with few bytes present */
    raw_header(&r, reply, op);
    raw_u16(&r, 0xffff);
    raw_bytes(&r, word, 8);
    raw_u16(&r, 0);
    raw_finish(&r, reply);
    expect_decode(reply, r.buf, r.len, bad(reply));

    /* block_count at the limit decodes; one more (all present, distinct tags) is refused */
    for (uint32_t n = CSU_WIRE_MAX_BLOCKS; n <= CSU_WIRE_MAX_BLOCKS + 1; n++) {
        raw_header(&r, reply, op);
        raw_u16(&r, 0);
        raw_u16(&r, (uint16_t)n);
        for (uint32_t i = 0; i < n; i++) {
            raw_u16(&r, (uint16_t)(i + 1));
            raw_u32(&r, 1);
            raw_bytes(&r, "x", 1);
        }
        raw_finish(&r, reply);
        expect_decode(reply, r.buf, r.len, n <= CSU_WIRE_MAX_BLOCKS ? CSU_OK : bad(reply));
    }
    raw_header(&r, reply, op);
    raw_u16(&r, 0);
    raw_u16(&r, 0xffff);
    raw_finish(&r, reply);
    expect_decode(reply, r.buf, r.len, bad(reply));

    /* a block length running past the end: by one byte, by a few, by ~2 and ~4 GiB (5 bytes present) */
    static const uint32_t declared[] = {5 /* control */, 6, 7, 0x1005, 0x7fffffffu, 0xfffffffau, 0xffffffffu};
    for (size_t k = 0; k < sizeof(declared) / sizeof(declared[0]); k++) {
        raw_header(&r, reply, op);
        raw_u16(&r, 0);
        raw_u16(&r, 2);
        raw_u16(&r, CSU_TAG_OUT_CAPACITY);
        raw_u32(&r, 4);
        raw_bytes(&r, "\0\0\0\x08", 4);
        raw_u16(&r, CSU_TAG_VERB_DATA);
        raw_u32(&r, declared[k]);
        raw_bytes(&r, "abcde", 5);
        raw_finish(&r, reply);
        expect_decode(reply, r.buf, r.len, declared[k] == 5 ? CSU_OK : bad(reply));
    }
    /* a first block whose length swallows the second block: the second block header is then missing */
    raw_header(&r, reply, op);
    raw_u16(&r, 0);
    raw_u16(&r, 2);
    raw_u16(&r, CSU_TAG_VERB_DATA);
    raw_u32(&r, 6 + 3);
    raw_bytes(&r, "abc", 3);
    raw_u16(&r, CSU_TAG_FORM);
    raw_u32(&r, 3);
    raw_bytes(&r, "xyz", 3);
    raw_finish(&r, reply);
    expect_decode(reply, r.buf, r.len, bad(reply));

    /* tag 0, alone and after a good block */
    raw_header(&r, reply, op);
    raw_u16(&r, 0);
    raw_u16(&r, 1);
    raw_u16(&r, CSU_TAG_NONE);
    raw_u32(&r, 0);
    raw_finish(&r, reply);
    expect_decode(reply, r.buf, r.len, bad(reply));
    raw_header(&r, reply, op);
    raw_u16(&r, 0);
    raw_u16(&r, 2);
    raw_u16(&r, CSU_TAG_VERB_DATA);
    raw_u32(&r, 1);
    raw_bytes(&r, "a", 1);
    raw_u16(&r, CSU_TAG_NONE);
    raw_u32(&r, 1);
    raw_bytes(&r, "b", 1);
    raw_finish(&r, reply);
    expect_decode(reply, r.buf, r.len, bad(reply));

    /* a repeated tag: adjacent, and first/last of several */
    static const uint16_t tag_sets[][3] = {
        {CSU_TAG_VERB_DATA, CSU_TAG_VERB_DATA, 0},
        {CSU_TAG_FORM, CSU_TAG_OUT_DATA, CSU_TAG_FORM},
        {0xffff, 7, 0xffff},
    };
    for (size_t k = 0; k < sizeof(tag_sets) / sizeof(tag_sets[0]); k++) {
        uint16_t n = tag_sets[k][2] ? 3 : 2;
        raw_header(&r, reply, op);
        raw_u16(&r, 0);
        raw_u16(&r, n);
        for (uint16_t i = 0; i < n; i++) {
            raw_u16(&r, tag_sets[k][i]);
            raw_u32(&r, 0);
        }
        raw_finish(&r, reply);
        expect_decode(reply, r.buf, r.len, bad(reply));
    }
    /* control: distinct unknown tags are fine (the vocabulary is the operation's business) */
    raw_header(&r, reply, op);
    raw_u16(&r, 0);
    raw_u16(&r, 2);
    raw_u16(&r, 0xffff);
    raw_u32(&r, 0);
    raw_u16(&r, 7);
    raw_u32(&r, 0);
    raw_finish(&r, reply);
    expect_decode(reply, r.buf, r.len, CSU_OK);

    /* a body too short for its counts */
    raw_header(&r, reply, op);
    raw_u16(&r, 0);
    raw_finish(&r, reply);
    expect_decode(reply, r.buf, r.len, bad(reply));
    raw_header(&r, reply, op);
    raw_finish(&r, reply);
    expect_decode(reply, r.buf, r.len, bad(reply));
}

static void test_request_body_defects(void **state)
{
    (void)state;
    body_defects(false);
}

static void test_reply_body_defects(void **state)
{
    (void)state;
    body_defects(true);
}

/* The header alone decides how much to read: a 4 GiB announcement is refused before allocating. */
static void test_frame_length(void **state)
{
    (void)state;
    for (int reply = 0; reply <= 1; reply++) {
        struct raw r;
        size_t total = 12345;
        size_t h = hdr_len(reply);
        raw_header(&r, reply, CSU_OP_CSUACFQ);
        uint8_t *len_field = r.buf + h - 4;
        csu_store_be32(len_field, 0xffffffffu); /* 4 GiB */
        assert_int_equal(csu_wire_frame_length(r.buf, h, reply, &total), bad(reply));
        assert_int_equal(total, 12345); /* untouched on failure */
        assert_int_equal(decode(reply, r.buf, h, &(struct csu_wire_msg){0}), bad(reply));
        csu_store_be32(len_field, 0x80000000u);
        assert_int_equal(csu_wire_frame_length(r.buf, h, reply, &total), bad(reply));
        csu_store_be32(len_field, (uint32_t)(CSU_WIRE_MAX_FRAME - h + 1));
        assert_int_equal(csu_wire_frame_length(r.buf, h, reply, &total), bad(reply));
        csu_store_be32(len_field, (uint32_t)(CSU_WIRE_MAX_FRAME - h)); /* largest allowed */
        assert_int_equal(csu_wire_frame_length(r.buf, h, reply, &total), CSU_OK);
        assert_int_equal(total, CSU_WIRE_MAX_FRAME);
        csu_store_be32(len_field, 4);
        assert_int_equal(csu_wire_frame_length(r.buf, h, reply, &total), CSU_OK);
        assert_int_equal(total, h + 4);
        /* short header, NULL header, wrong direction */
        assert_int_equal(csu_wire_frame_length(r.buf, h - 1, reply, &total), bad(reply));
        assert_int_equal(csu_wire_frame_length(NULL, h, reply, &total), bad(reply));
        assert_int_equal(csu_wire_frame_length(r.buf, h + 4, !reply, &total), bad(!reply));
        /* bad version / magic */
        csu_store_be16(r.buf + 4, 2);
        assert_int_equal(csu_wire_frame_length(r.buf, h, reply, &total), bad(reply));
        csu_store_be16(r.buf + 4, CSU_WIRE_VERSION);
        r.buf[3] ^= 0x20;
        assert_int_equal(csu_wire_frame_length(r.buf, h, reply, &total), bad(reply));
    }
}

/* ---- csu_mu -------------------------------------------------------------- */

static void test_mu_round_trip(void **state)
{
    (void)state;
    uint8_t buf[15];
    size_t off = 0;
    assert_true(csu_mu_u8_marshal(0x01, buf, sizeof(buf), &off));
    assert_true(csu_mu_u16_marshal(0x0203, buf, sizeof(buf), &off));
    assert_true(csu_mu_u32_marshal(0x04050607, buf, sizeof(buf), &off));
    assert_true(csu_mu_u64_marshal(0x08090a0b0c0d0e0full, buf, sizeof(buf), &off));
    assert_int_equal(off, 15);
    for (int i = 0; i < 15; i++)
        assert_int_equal(buf[i], i + 1); /* big-endian */
    off = 0;
    uint8_t a;
    uint16_t b;
    uint32_t c;
    uint64_t d;
    assert_true(csu_mu_u8_unmarshal(buf, sizeof(buf), &off, &a));
    assert_true(csu_mu_u16_unmarshal(buf, sizeof(buf), &off, &b));
    assert_true(csu_mu_u32_unmarshal(buf, sizeof(buf), &off, &c));
    assert_true(csu_mu_u64_unmarshal(buf, sizeof(buf), &off, &d));
    assert_int_equal(off, 15);
    assert_int_equal(a, 0x01);
    assert_int_equal(b, 0x0203);
    assert_int_equal(c, 0x04050607);
    assert_true(d == 0x08090a0b0c0d0e0full);
    assert_int_equal(csu_load_be16(buf + 1), 0x0203);
    assert_int_equal(csu_load_be32(buf + 3), 0x04050607);
    uint8_t s[4];
    csu_store_be16(s, 0xfeed);
    assert_int_equal(s[0], 0xfe);
    assert_int_equal(s[1], 0xed);
    csu_store_be32(s, 0xdeadbeef);
    assert_int_equal(csu_load_be32(s), 0xdeadbeef);

    uint8_t bytes[4];
    off = 0;
    assert_true(csu_mu_bytes_marshal("wxyz", 4, bytes, sizeof(bytes), &off));
    assert_int_equal(off, 4);
    assert_memory_equal(bytes, "wxyz", 4);
    const uint8_t *ref = NULL;
    off = 1;
    assert_true(csu_mu_bytes_ref(bytes, sizeof(bytes), &off, 3, &ref));
    assert_ptr_equal(ref, bytes + 1);
    assert_int_equal(off, 4);
    assert_true(csu_mu_bytes_ref(bytes, sizeof(bytes), &off, 0, &ref)); /* 0 bytes at the end */
    assert_int_equal(off, 4);
}

/* Every field type, at every offset of a small buffer: fits exactly or fails without moving the cursor. */
static void test_mu_bounds(void **state)
{
    (void)state;
    static const size_t widths[] = {1, 2, 4, 8};
    uint8_t buf[10], before[10];
    for (size_t len = 0; len <= sizeof(buf); len++) {
        for (size_t w = 0; w < 4; w++) {
            for (size_t start = 0; start <= len + 2; start++) {
                memset(buf, 0x5a, sizeof(buf));
                memcpy(before, buf, sizeof(buf));
                size_t off = start;
                bool fits = start <= len && widths[w] <= len - start;
                bool ok = false;
                switch (widths[w]) {
                case 1: ok = csu_mu_u8_marshal(0xff, buf, len, &off); break;
                case 2: ok = csu_mu_u16_marshal(0xffff, buf, len, &off); break;
                case 4: ok = csu_mu_u32_marshal(0xffffffffu, buf, len, &off); break;
                case 8: ok = csu_mu_u64_marshal(UINT64_MAX, buf, len, &off); break;
                }
                assert_int_equal(ok, fits);
                assert_int_equal(off, fits ? start + widths[w] : start);
                if (!fits)
                    assert_memory_equal(buf, before, sizeof(buf)); /* nothing written */
                for (size_t i = len; i < sizeof(buf); i++)
                    assert_int_equal(buf[i], 0x5a); /* never past len */

                uint64_t v = 0;
                uint8_t v8;
                uint16_t v16;
                uint32_t v32;
                off = start;
                switch (widths[w]) {
                case 1: ok = csu_mu_u8_unmarshal(buf, len, &off, &v8); break;
                case 2: ok = csu_mu_u16_unmarshal(buf, len, &off, &v16); break;
                case 4: ok = csu_mu_u32_unmarshal(buf, len, &off, &v32); break;
                case 8: ok = csu_mu_u64_unmarshal(buf, len, &off, &v); break;
                }
                assert_int_equal(ok, fits);
                assert_int_equal(off, fits ? start + widths[w] : start);

                const uint8_t *ref = NULL;
                off = start;
                assert_int_equal(csu_mu_bytes_ref(buf, len, &off, widths[w], &ref), fits);
                assert_int_equal(off, fits ? start + widths[w] : start);
                if (!fits)
                    assert_null(ref);
                off = start;
                assert_int_equal(csu_mu_bytes_marshal("12345678", widths[w], buf, len, &off), fits);
                assert_int_equal(off, fits ? start + widths[w] : start);
            }
        }
    }
}

/* A NULL buffer computes sizes when marshalling; unmarshalling from NULL fails. */
static void test_mu_size_only(void **state)
{
    (void)state;
    size_t off = 0;
    assert_true(csu_mu_u8_marshal(1, NULL, 100, &off));
    assert_true(csu_mu_u16_marshal(1, NULL, 100, &off));
    assert_true(csu_mu_u32_marshal(1, NULL, 100, &off));
    assert_true(csu_mu_u64_marshal(1, NULL, 100, &off));
    assert_true(csu_mu_bytes_marshal(NULL, 20, NULL, 100, &off)); /* NULL source fine when sizing */
    assert_int_equal(off, 1 + 2 + 4 + 8 + 20);
    /* The size-only pass still checks the limit */
    off = 98;
    assert_false(csu_mu_u32_marshal(1, NULL, 100, &off));
    assert_int_equal(off, 98);
    assert_false(csu_mu_bytes_marshal(NULL, 3, NULL, 100, &off));
    assert_int_equal(off, 98);
    /* Size pass and real pass agree */
    uint8_t buf[64];
    size_t sized = 0, real = 0;
    assert_true(csu_mu_u16_marshal(7, NULL, sizeof(buf), &sized) && csu_mu_bytes_marshal("abc", 3, NULL, sizeof(buf), &sized) &&
                csu_mu_u64_marshal(9, NULL, sizeof(buf), &sized));
    assert_true(csu_mu_u16_marshal(7, buf, sizeof(buf), &real) && csu_mu_bytes_marshal("abc", 3, buf, sizeof(buf), &real) &&
                csu_mu_u64_marshal(9, buf, sizeof(buf), &real));
    assert_int_equal(sized, real);
    /* Real pass with a NULL source of non-zero length is refused; zero length is fine */
    off = 0;
    assert_false(csu_mu_bytes_marshal(NULL, 1, buf, sizeof(buf), &off));
    assert_int_equal(off, 0);
    assert_true(csu_mu_bytes_marshal(NULL, 0, buf, sizeof(buf), &off));
    assert_int_equal(off, 0);
    /* Nothing can be read from NULL */
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    const uint8_t *ref = NULL;
    off = 0;
    assert_false(csu_mu_u8_unmarshal(NULL, 100, &off, &v8));
    assert_false(csu_mu_u16_unmarshal(NULL, 100, &off, &v16));
    assert_false(csu_mu_u32_unmarshal(NULL, 100, &off, &v32));
    assert_false(csu_mu_u64_unmarshal(NULL, 100, &off, &v64));
    assert_false(csu_mu_bytes_ref(NULL, 100, &off, 0, &ref));
    assert_int_equal(off, 0);
}

/* Offsets beyond the buffer and lengths near SIZE_MAX never wrap around. */
static void test_mu_overflow(void **state)
{
    (void)state;
    assert_false(csu_mu_fits(10, 11, 0));
    assert_false(csu_mu_fits(10, SIZE_MAX, 1));
    assert_false(csu_mu_fits(10, SIZE_MAX, SIZE_MAX));
    assert_false(csu_mu_fits(10, 5, SIZE_MAX));
    assert_false(csu_mu_fits(10, 5, SIZE_MAX - 4)); /* 5 + (SIZE_MAX - 4) wraps to 0 */
    assert_false(csu_mu_fits(SIZE_MAX, SIZE_MAX, 1));
    assert_true(csu_mu_fits(10, 10, 0));
    assert_true(csu_mu_fits(SIZE_MAX, SIZE_MAX - 1, 1));

    uint8_t buf[8] = {0};
    static const size_t offs[] = {9, 100, SIZE_MAX - 3, SIZE_MAX - 1, SIZE_MAX};
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        size_t off = offs[i];
        uint32_t v;
        const uint8_t *ref = NULL;
        assert_false(csu_mu_u32_marshal(1, buf, sizeof(buf), &off));
        assert_false(csu_mu_u32_marshal(1, NULL, sizeof(buf), &off));
        assert_false(csu_mu_u32_unmarshal(buf, sizeof(buf), &off, &v));
        assert_false(csu_mu_bytes_marshal(buf, 1, buf, sizeof(buf), &off));
        assert_false(csu_mu_bytes_marshal(buf, 0, buf, sizeof(buf), &off)); /* even 0 bytes past the end */
        assert_false(csu_mu_bytes_ref(buf, sizeof(buf), &off, 0, &ref));
        assert_false(csu_mu_bytes_ref(buf, sizeof(buf), &off, 1, &ref));
        assert_int_equal(off, offs[i]);
    }
    size_t off = 4;
    const uint8_t *ref = NULL;
    assert_false(csu_mu_bytes_ref(buf, sizeof(buf), &off, SIZE_MAX, &ref));
    assert_false(csu_mu_bytes_ref(buf, sizeof(buf), &off, SIZE_MAX - 3, &ref));
    assert_false(csu_mu_bytes_marshal(buf, SIZE_MAX - 3, NULL, sizeof(buf), &off));
    assert_int_equal(off, 4);
    /* size-only with a huge len: the cursor may grow large but never wraps */
    off = SIZE_MAX - 2;
    assert_true(csu_mu_u16_marshal(1, NULL, SIZE_MAX, &off));
    assert_int_equal(off, SIZE_MAX);
    assert_false(csu_mu_u8_marshal(1, NULL, SIZE_MAX, &off));
    assert_int_equal(off, SIZE_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_reply_round_trip),
        cmocka_unit_test(test_byte_layout),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_op_zero),
        cmocka_unit_test(test_limits_encode),
        cmocka_unit_test(test_max_frame_encode),
        cmocka_unit_test(test_add_block_find),
        cmocka_unit_test(test_request_truncations),
        cmocka_unit_test(test_reply_truncations),
        cmocka_unit_test(test_request_extra_bytes),
        cmocka_unit_test(test_reply_extra_bytes),
        cmocka_unit_test(test_request_header_defects),
        cmocka_unit_test(test_reply_header_defects),
        cmocka_unit_test(test_cross_direction),
        cmocka_unit_test(test_request_body_defects),
        cmocka_unit_test(test_reply_body_defects),
        cmocka_unit_test(test_frame_length),
        cmocka_unit_test(test_mu_round_trip),
        cmocka_unit_test(test_mu_bounds),
        cmocka_unit_test(test_mu_size_only),
        cmocka_unit_test(test_mu_overflow),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
