/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file csu_wire.h
 * The host <-> card wire format, compiled into both sides.
 *
 * A request frame carries one operation (a CCA verb the card executes), the
 * caller's rule array and up to CSU_WIRE_MAX_BLOCKS tagged data blocks.  A
 * reply frame carries the CCA return and reason codes, an output rule array
 * and tagged output blocks.  All integers are big-endian.
 *
 *   request header (16 bytes)          reply header (20 bytes)
 *     0  magic   "CSRQ"                  0  magic   "CSRP"
 *     4  version u16 (= 1)               4  version u16 (= 1)
 *     6  op      u16                     6  op      u16 (echo of the request)
 *     8  flags   u32 (= 0 in v1)         8  return  u32
 *    12  length  u32 (body bytes)       12  reason  u32
 *                                       16  length  u32 (body bytes)
 *   body (both)
 *     rule_count u16, rule_count x 8 bytes of keywords,
 *     block_count u16, block_count x { tag u16, length u32, bytes }
 *
 * Decoding checks every length against the bytes present and against the
 * limits below before use, refuses unknown versions, unknown operations,
 * tag 0, repeated tags, trailing bytes and body lengths that disagree with
 * the frame.  Decoded blocks point into the frame (no copies), so the frame
 * must outlive the decoded message.
 */
#ifndef CSU_WIRE_H
#define CSU_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"

#define CSU_WIRE_VERSION 1u
#define CSU_WIRE_REQ_MAGIC 0x43535251u /* "CSRQ" */
#define CSU_WIRE_REP_MAGIC 0x43535250u /* "CSRP" */
#define CSU_WIRE_REQ_HEADER 16u
#define CSU_WIRE_REP_HEADER 20u
/** Largest frame either side accepts, header included (1 MiB). */
#define CSU_WIRE_MAX_FRAME (1u << 20)
#define CSU_WIRE_MAX_RULES 64u
#define CSU_WIRE_MAX_BLOCKS 16u
#define CSU_RULE_WORD 8u
/** CSNBRNGL: most bytes one call returns (IBM: 8192). */
#define CSU_RNGL_MAX 8192

/**
 * Operations the card executes.  Numbers are part of the protocol: never
 * renumber, only append.  Host-only verbs (CSUACFV, CSUACRA, CSUACRD) have
 * no operation.
 */
enum csu_op {
    CSU_OP_NONE = 0,
    CSU_OP_CSUACFQ = 1,
    CSU_OP_CSUACFC = 2,
    CSU_OP_CSNBRNG = 3,
    CSU_OP_CSNBRNGL = 4,
    CSU_OP_CSNBMKP = 5,
    CSU_OP_CSNBKTB = 6,
    CSU_OP_CSNBKTB2 = 7,
    CSU_OP_CSNBKGN = 8,
    CSU_OP_CSNBKGN2 = 9,
    CSU_OP_CSNBCKM = 10,
    CSU_OP_CSNBCKI = 11,
    CSU_OP_CSNBKPI = 12,
    CSU_OP_CSNBKPI2 = 13,
    CSU_OP_CSNBKYT = 14,
    CSU_OP_CSNBKYT2 = 15,
    CSU_OP_CSNBKTC = 16,
    CSU_OP_CSNBKTC2 = 17,
    CSU_OP_CSNDPKB = 18,
    CSU_OP_CSNDPKG = 19,
    CSU_OP_CSNDPKI = 20,
    CSU_OP_CSNDPKX = 21,
    CSU_OP_CSNDKTC = 22,
    CSU_OP_CSNBENC = 23,
    CSU_OP_CSNBDEC = 24,
    CSU_OP_CSNBMGN = 25,
    CSU_OP_CSNBMVR = 26,
    CSU_OP_CSNBSAE = 27,
    CSU_OP_CSNBSAD = 28,
    CSU_OP_CSNBMGN2 = 29,
    CSU_OP_CSNBMVR2 = 30,
    CSU_OP_CSNBHMG = 31,
    CSU_OP_CSNBHMV = 32,
    CSU_OP_CSNBOWH = 33,
    CSU_OP_CSNDDSG = 34,
    CSU_OP_CSNDDSV = 35,
    CSU_OP_CSNDPKE = 36,
    CSU_OP_CSNDPKD = 37,
    CSU_OP_CSNBKSI = 38,
    CSU_OP_CSNDSYX = 39,
    CSU_OP_CSNDSYI = 40,
    CSU_OP_CSNDSYI2 = 41,
    CSU_OP_CSNDEDH = 42,
    CSU_OP_COUNT_
};

/**
 * Block tags.  One vocabulary for all operations; an operation documents
 * which tags it reads and writes (see the verb's host and card halves).
 */
enum csu_tag {
    CSU_TAG_NONE = 0,
    CSU_TAG_OUT_CAPACITY = 1, /**< u32: bytes the caller can take back */
    CSU_TAG_VERB_DATA = 2,    /**< input verb_data bytes */
    CSU_TAG_FORM = 3,         /**< 8-byte keyword passed as a parameter */
    CSU_TAG_OUT_DATA = 16,    /**< output bytes (verb_data, random number) */
};

/**
 * Numbered tags for verbs with several parameters: CSU_TAG_IN(n) carries the
 * verb's n-th input buffer or integer, CSU_TAG_OUT(n) its n-th output.  Each
 * verb's host half documents its numbering; the card half follows it.
 */
#define CSU_TAG_IN(n) ((uint16_t)(32 + (n)))
#define CSU_TAG_OUT(n) ((uint16_t)(64 + (n)))
#define CSU_TAG_NUMBERED_MAX 16

/** A tagged block; data points into the frame it was decoded from. */
struct csu_wire_block {
    uint16_t tag;
    uint32_t length;
    const uint8_t *data;
};

/** A decoded (or to-be-encoded) request or reply. */
struct csu_wire_msg {
    uint16_t op;
    uint32_t return_code; /**< reply only */
    uint32_t reason_code; /**< reply only */
    uint16_t rule_count;
    const uint8_t *rules; /**< rule_count x 8 bytes */
    uint16_t block_count;
    struct csu_wire_block blocks[CSU_WIRE_MAX_BLOCKS];
};

/** Name of an operation ("CSUACFQ"), or NULL if it is unknown. */
const char *csu_op_name(uint16_t op);

/** Append a block; false when the message is full or @p length too large. */
bool csu_wire_add_block(struct csu_wire_msg *msg, uint16_t tag, const void *data, size_t length);

/** The block with @p tag, or NULL. */
const struct csu_wire_block *csu_wire_find(const struct csu_wire_msg *msg, uint16_t tag);

/**
 * Read a u32 block (CSU_TAG_OUT_CAPACITY and the like).
 * @return false if the block is absent or not exactly 4 bytes.
 */
bool csu_wire_get_u32(const struct csu_wire_msg *msg, uint16_t tag, uint32_t *value);

/**
 * Encode @p msg as a request (@p reply false) or reply frame into a newly
 * allocated buffer.  Free it with csu_wire_free().
 * @return CSU_OK, CSU_E_LENGTH if it would exceed CSU_WIRE_MAX_FRAME or a
 *         limit, CSU_E_NOMEM.
 */
csu_err csu_wire_encode(const struct csu_wire_msg *msg, bool reply, uint8_t **frame, size_t *frame_len);

/** Pieces of a gathered frame: metadata in between, block bytes by reference. */
#define CSU_WIRE_IOV_MAX (2u * CSU_WIRE_MAX_BLOCKS + 1u)
/** Metadata bytes a gathered frame needs at most (header, rules, block headers). */
#define CSU_WIRE_META_MAX \
    (CSU_WIRE_REP_HEADER + 4u + CSU_WIRE_MAX_RULES * CSU_RULE_WORD + 6u * CSU_WIRE_MAX_BLOCKS)

struct csu_wire_piece {
    const uint8_t *base;
    size_t len;
};

/** A frame as pieces for writev/sendmsg; the blocks' data is not copied. */
struct csu_wire_gather {
    uint8_t meta[CSU_WIRE_META_MAX];
    struct csu_wire_piece piece[CSU_WIRE_IOV_MAX];
    unsigned count;
    size_t total; /**< frame length: the sum of the pieces */
};

/**
 * Encode @p msg like csu_wire_encode, the same bytes, without copying block
 * data: the pieces point into @p g->meta and at the blocks' data, which must
 * outlive the send.  Same limits and errors as csu_wire_encode.
 */
csu_err csu_wire_encode_gather(const struct csu_wire_msg *msg, bool reply, struct csu_wire_gather *g);

/**
 * Total frame length announced by a header, checked against the limits.
 * @param hdr at least CSU_WIRE_REQ_HEADER / CSU_WIRE_REP_HEADER bytes.
 * @return CSU_OK, or CSU_E_FRAME / CSU_E_REPLY for a bad magic, version or
 *         length.
 */
csu_err csu_wire_frame_length(const uint8_t *hdr, size_t hdr_len, bool reply, size_t *total);

/** Decode a request frame (card side).  CSU_E_FRAME on any defect. */
csu_err csu_wire_decode_request(const uint8_t *frame, size_t len, struct csu_wire_msg *msg);

/** Decode a reply frame (host side).  CSU_E_REPLY on any defect. */
csu_err csu_wire_decode_reply(const uint8_t *frame, size_t len, struct csu_wire_msg *msg);

/** Wipe and free a frame (frames can carry key material). */
void csu_wire_free(uint8_t *frame, size_t len);

#endif /* CSU_WIRE_H */
