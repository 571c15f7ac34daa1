/* SPDX-License-Identifier: Apache-2.0 */
/* Host <-> card frames: encode and strictly decode (format in csu_wire.h). */
#include "csu_wire.h"

#include <stdlib.h>

#include <openssl/crypto.h> /* OPENSSL_cleanse */

#include "csu_mu.h"

static const char *const op_names[CSU_OP_COUNT_] = {
    [CSU_OP_CSUACFQ] = "CSUACFQ",
    [CSU_OP_CSUACFC] = "CSUACFC",
    [CSU_OP_CSNBRNG] = "CSNBRNG",
    [CSU_OP_CSNBRNGL] = "CSNBRNGL",
    [CSU_OP_CSNBMKP] = "CSNBMKP",
    [CSU_OP_CSNBKTB] = "CSNBKTB",
    [CSU_OP_CSNBKTB2] = "CSNBKTB2",
    [CSU_OP_CSNBKGN] = "CSNBKGN",
    [CSU_OP_CSNBKGN2] = "CSNBKGN2",
    [CSU_OP_CSNBCKM] = "CSNBCKM",
    [CSU_OP_CSNBCKI] = "CSNBCKI",
    [CSU_OP_CSNBKPI] = "CSNBKPI",
    [CSU_OP_CSNBKPI2] = "CSNBKPI2",
    [CSU_OP_CSNBKYT] = "CSNBKYT",
    [CSU_OP_CSNBKYT2] = "CSNBKYT2",
    [CSU_OP_CSNBKTC] = "CSNBKTC",
    [CSU_OP_CSNBKTC2] = "CSNBKTC2",
    [CSU_OP_CSNDPKB] = "CSNDPKB",
    [CSU_OP_CSNDPKG] = "CSNDPKG",
    [CSU_OP_CSNDPKI] = "CSNDPKI",
    [CSU_OP_CSNDPKX] = "CSNDPKX",
    [CSU_OP_CSNDKTC] = "CSNDKTC",
    [CSU_OP_CSNBENC] = "CSNBENC",
    [CSU_OP_CSNBDEC] = "CSNBDEC",
    [CSU_OP_CSNBMGN] = "CSNBMGN",
    [CSU_OP_CSNBMVR] = "CSNBMVR",
    [CSU_OP_CSNBSAE] = "CSNBSAE",
    [CSU_OP_CSNBSAD] = "CSNBSAD",
    [CSU_OP_CSNBMGN2] = "CSNBMGN2",
    [CSU_OP_CSNBMVR2] = "CSNBMVR2",
    [CSU_OP_CSNBHMG] = "CSNBHMG",
    [CSU_OP_CSNBHMV] = "CSNBHMV",
    [CSU_OP_CSNBOWH] = "CSNBOWH",
    [CSU_OP_CSNDDSG] = "CSNDDSG",
    [CSU_OP_CSNDDSV] = "CSNDDSV",
    [CSU_OP_CSNDPKE] = "CSNDPKE",
    [CSU_OP_CSNDPKD] = "CSNDPKD",
    [CSU_OP_CSNBKSI] = "CSNBKSI",
    [CSU_OP_CSNDSYX] = "CSNDSYX",
    [CSU_OP_CSNDSYI] = "CSNDSYI",
    [CSU_OP_CSNDSYI2] = "CSNDSYI2",
    [CSU_OP_CSNDEDH] = "CSNDEDH",
};

const char *csu_op_name(uint16_t op)
{
    return op < CSU_OP_COUNT_ ? op_names[op] : NULL;
}

bool csu_wire_add_block(struct csu_wire_msg *msg, uint16_t tag, const void *data, size_t length)
{
    if (msg->block_count >= CSU_WIRE_MAX_BLOCKS || length > CSU_WIRE_MAX_FRAME || tag == CSU_TAG_NONE)
        return false;
    msg->blocks[msg->block_count++] = (struct csu_wire_block){tag, (uint32_t)length, data};
    return true;
}

const struct csu_wire_block *csu_wire_find(const struct csu_wire_msg *msg, uint16_t tag)
{
    for (uint16_t i = 0; i < msg->block_count; i++)
        if (msg->blocks[i].tag == tag)
            return &msg->blocks[i];
    return NULL;
}

bool csu_wire_get_u32(const struct csu_wire_msg *msg, uint16_t tag, uint32_t *value)
{
    const struct csu_wire_block *b = csu_wire_find(msg, tag);
    if (!b || b->length != 4)
        return false;
    *value = csu_load_be32(b->data);
    return true;
}

/* Writes (or, with buf NULL, sizes) the body shared by both frame kinds. */
static bool put_body(const struct csu_wire_msg *msg, uint8_t *buf, size_t len, size_t *off)
{
    if (msg->rule_count > CSU_WIRE_MAX_RULES || msg->block_count > CSU_WIRE_MAX_BLOCKS)
        return false;
    if (!csu_mu_u16_marshal(msg->rule_count, buf, len, off) ||
        !csu_mu_bytes_marshal(msg->rules, (size_t)msg->rule_count * CSU_RULE_WORD, buf, len, off) ||
        !csu_mu_u16_marshal(msg->block_count, buf, len, off))
        return false;
    for (uint16_t i = 0; i < msg->block_count; i++) {
        const struct csu_wire_block *b = &msg->blocks[i];
        if (!csu_mu_u16_marshal(b->tag, buf, len, off) || !csu_mu_u32_marshal(b->length, buf, len, off) ||
            !csu_mu_bytes_marshal(b->data, b->length, buf, len, off))
            return false;
    }
    return true;
}

static bool put_header(const struct csu_wire_msg *msg, bool reply, uint32_t body_len, uint8_t *buf, size_t len,
                       size_t *off)
{
    bool ok = csu_mu_u32_marshal(reply ? CSU_WIRE_REP_MAGIC : CSU_WIRE_REQ_MAGIC, buf, len, off) &&
              csu_mu_u16_marshal(CSU_WIRE_VERSION, buf, len, off) && csu_mu_u16_marshal(msg->op, buf, len, off);
    if (reply)
        ok = ok && csu_mu_u32_marshal(msg->return_code, buf, len, off) &&
             csu_mu_u32_marshal(msg->reason_code, buf, len, off);
    else
        ok = ok && csu_mu_u32_marshal(0, buf, len, off);
    return ok && csu_mu_u32_marshal(body_len, buf, len, off);
}

csu_err csu_wire_encode(const struct csu_wire_msg *msg, bool reply, uint8_t **frame, size_t *frame_len)
{
    size_t hdr = reply ? CSU_WIRE_REP_HEADER : CSU_WIRE_REQ_HEADER;
    size_t body = 0;
    if (!put_body(msg, NULL, CSU_WIRE_MAX_FRAME - hdr, &body))
        return CSU_E_LENGTH;
    uint8_t *buf = malloc(hdr + body);
    if (!buf)
        return CSU_E_NOMEM;
    size_t off = 0;
    if (!put_header(msg, reply, (uint32_t)body, buf, hdr + body, &off) || !put_body(msg, buf, hdr + body, &off)) {
        csu_wire_free(buf, hdr + body);
        return CSU_E_INTERNAL;
    }
    *frame = buf;
    *frame_len = off;
    return CSU_OK;
}

/* Adds the metadata written since @p *from as a piece, and moves @p *from on. */
static void gather_meta(struct csu_wire_gather *g, size_t *from, size_t off)
{
    if (off > *from)
        g->piece[g->count++] = (struct csu_wire_piece){g->meta + *from, off - *from};
    *from = off;
}

csu_err csu_wire_encode_gather(const struct csu_wire_msg *msg, bool reply, struct csu_wire_gather *g)
{
    size_t hdr = reply ? CSU_WIRE_REP_HEADER : CSU_WIRE_REQ_HEADER;
    size_t body = 0;
    if (!put_body(msg, NULL, CSU_WIRE_MAX_FRAME - hdr, &body))
        return CSU_E_LENGTH; /* also bounds the rule and block counts */
    size_t off = 0, from = 0, cap = sizeof(g->meta);
    g->count = 0;
    bool ok = put_header(msg, reply, (uint32_t)body, g->meta, cap, &off) &&
              csu_mu_u16_marshal(msg->rule_count, g->meta, cap, &off) &&
              csu_mu_bytes_marshal(msg->rules, (size_t)msg->rule_count * CSU_RULE_WORD, g->meta, cap, &off) &&
              csu_mu_u16_marshal(msg->block_count, g->meta, cap, &off);
    for (uint16_t i = 0; ok && i < msg->block_count; i++) {
        const struct csu_wire_block *b = &msg->blocks[i];
        ok = csu_mu_u16_marshal(b->tag, g->meta, cap, &off) && csu_mu_u32_marshal(b->length, g->meta, cap, &off);
        gather_meta(g, &from, off);
        if (ok && b->length)
            g->piece[g->count++] = (struct csu_wire_piece){b->data, b->length};
    }
    gather_meta(g, &from, off);
    g->total = hdr + body;
    return ok ? CSU_OK : CSU_E_INTERNAL;
}

csu_err csu_wire_frame_length(const uint8_t *hdr, size_t hdr_len, bool reply, size_t *total)
{
    csu_err bad = reply ? CSU_E_REPLY : CSU_E_FRAME;
    size_t need = reply ? CSU_WIRE_REP_HEADER : CSU_WIRE_REQ_HEADER;
    if (!hdr || hdr_len < need)
        return bad;
    uint32_t magic = csu_load_be32(hdr);
    uint16_t version = csu_load_be16(hdr + 4);
    uint32_t body = csu_load_be32(hdr + need - 4);
    if (magic != (reply ? CSU_WIRE_REP_MAGIC : CSU_WIRE_REQ_MAGIC) || version != CSU_WIRE_VERSION)
        return bad;
    if (body > CSU_WIRE_MAX_FRAME - need)
        return bad;
    *total = need + body;
    return CSU_OK;
}

/* Parses the body strictly: every count bounded, every length present. */
static bool get_body(const uint8_t *buf, size_t len, size_t *off, struct csu_wire_msg *msg)
{
    if (!csu_mu_u16_unmarshal(buf, len, off, &msg->rule_count) || msg->rule_count > CSU_WIRE_MAX_RULES ||
        !csu_mu_bytes_ref(buf, len, off, (size_t)msg->rule_count * CSU_RULE_WORD, &msg->rules) ||
        !csu_mu_u16_unmarshal(buf, len, off, &msg->block_count) || msg->block_count > CSU_WIRE_MAX_BLOCKS)
        return false;
    for (uint16_t i = 0; i < msg->block_count; i++) {
        struct csu_wire_block *b = &msg->blocks[i];
        if (!csu_mu_u16_unmarshal(buf, len, off, &b->tag) || b->tag == CSU_TAG_NONE ||
            !csu_mu_u32_unmarshal(buf, len, off, &b->length) ||
            !csu_mu_bytes_ref(buf, len, off, b->length, &b->data))
            return false;
        for (uint16_t j = 0; j < i; j++)
            if (msg->blocks[j].tag == b->tag)
                return false;
    }
    return *off == len;
}

static csu_err decode(const uint8_t *frame, size_t len, bool reply, struct csu_wire_msg *msg)
{
    csu_err bad = reply ? CSU_E_REPLY : CSU_E_FRAME;
    size_t total;
    if (csu_wire_frame_length(frame, len, reply, &total) != CSU_OK || total != len)
        return bad;
    *msg = (struct csu_wire_msg){0};
    size_t off = 6;
    uint32_t flags = 0;
    if (!csu_mu_u16_unmarshal(frame, len, &off, &msg->op) || msg->op >= CSU_OP_COUNT_)
        return bad;
    if (reply) {
        if (!csu_mu_u32_unmarshal(frame, len, &off, &msg->return_code) ||
            !csu_mu_u32_unmarshal(frame, len, &off, &msg->reason_code))
            return bad;
    } else if (!csu_mu_u32_unmarshal(frame, len, &off, &flags) || flags != 0 || msg->op == CSU_OP_NONE) {
        return bad;
    }
    off += 4; /* body length, already checked by csu_wire_frame_length */
    return get_body(frame, len, &off, msg) ? CSU_OK : bad;
}

csu_err csu_wire_decode_request(const uint8_t *frame, size_t len, struct csu_wire_msg *msg)
{
    return decode(frame, len, false, msg);
}

csu_err csu_wire_decode_reply(const uint8_t *frame, size_t len, struct csu_wire_msg *msg)
{
    return decode(frame, len, true, msg);
}

void csu_wire_free(uint8_t *frame, size_t len)
{
    if (!frame)
        return;
    OPENSSL_cleanse(frame, len);
    free(frame);
}
