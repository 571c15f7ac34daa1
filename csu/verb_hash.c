/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host half of CSNBOWH, One-Way Hash (card half and wire layout in
 * card/fw_hash.c, design in docs/hash.md).
 *
 * The host checks the pointers it must read, sends the text and the
 * caller's chaining vector, and copies back the digest (ONLY, LAST) or the
 * new chaining vector (FIRST, MIDDLE) only when the card answers rc < 8.
 * hash_length and chaining_vector_length are inputs only (openCryptoki,
 * client-calling-patterns.md P1): the digest fills the leftmost bytes.
 *
 * A text too long for one frame is sent in pieces of OWH_CHUNK bytes, a
 * multiple of every algorithm's block size, chained through a private
 * vector.  For FIRST and MIDDLE the odd-sized piece goes first, so the
 * card's block-size check (8/51) sees the caller's length modulo the block
 * before any state changes; for ONLY and LAST it goes last.
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>

#include "csu_boundary.h"
#include "csu_rules.h"
#include "csu_wire.h"

/* Least common multiple of the block sizes (64, 128; SHA-3 rates 144, 136,
 * 104, 72) = 254592; four of them fit a frame with room for the rest. */
#define OWH_CHUNK (4L * 254592L)
/* Chaining-vector bytes that travel (the card's work area). */
#define OWH_VECTOR_LEN 128
#define OWH_MAX_RULES 2L

enum owh_segment { SEG_ONLY, SEG_FIRST, SEG_MIDDLE, SEG_LAST, SEG_UNKNOWN };

static const char *const segment_words[] = {"ONLY", "FIRST", "MIDDLE", "LAST"};

/* What the caller passed, checked. */
struct owh_args {
    const unsigned char *rules;
    long rule_count;
    enum owh_segment segment;
    const unsigned char *text;
    long text_len;
    unsigned char *vector; /* NULL for ONLY */
    long vector_len;
    unsigned char *hash; /* NULL for FIRST/MIDDLE */
    long hash_len;
};

/* One frame's worth. */
struct owh_piece {
    long offset, length;
    enum owh_segment segment;
};

/* Normalise a rule word as the card does (NUL as blank, upper case). */
static void normal_word(const unsigned char *in, uint8_t out[CSU_RULE_WORD])
{
    for (size_t k = 0; k < CSU_RULE_WORD; k++) {
        uint8_t c = in[k];
        out[k] = c == 0 ? ' ' : (c >= 'a' && c <= 'z') ? (uint8_t)(c - 'a' + 'A') : c;
    }
}

/* Segment keyword of a rule word, or SEG_UNKNOWN (an algorithm, or junk). */
static enum owh_segment word_segment(const unsigned char *word)
{
    uint8_t w[CSU_RULE_WORD], s[CSU_RULE_WORD];
    normal_word(word, w);
    for (unsigned i = 0; i < sizeof(segment_words) / sizeof(segment_words[0]); i++) {
        csu_rules_put_word(s, segment_words[i]);
        if (memcmp(w, s, CSU_RULE_WORD) == 0)
            return (enum owh_segment)i;
    }
    return SEG_UNKNOWN;
}

/* The caller's segmenting keyword (ONLY by default); SEG_UNKNOWN for two. */
static enum owh_segment rules_segment(const unsigned char *rules, long count)
{
    enum owh_segment seg = SEG_ONLY;
    int found = 0;
    for (long i = 0; i < count; i++) {
        enum owh_segment s = word_segment(rules + i * CSU_RULE_WORD);
        if (s != SEG_UNKNOWN) {
            seg = s;
            found++;
        }
    }
    return found > 1 ? SEG_UNKNOWN : seg;
}

static csu_err owh_check_args(long *rule_array_count, unsigned char *rule_array, long *text_length,
                              unsigned char *text, long *chaining_vector_length, unsigned char *chaining_vector,
                              long *hash_length, unsigned char *hash, struct owh_args *a)
{
    if (!rule_array_count || !rule_array || !text_length)
        return CSU_E_NULL_POINTER;
    if (*rule_array_count < 1 || *rule_array_count > OWH_MAX_RULES)
        return CSU_E_RULE_COUNT;
    *a = (struct owh_args){.rules = rule_array, .rule_count = *rule_array_count, .text = text};
    /* The host must know the segment to know which buffers it may read. */
    a->segment = rules_segment(rule_array, a->rule_count);
    if (a->segment == SEG_UNKNOWN)
        return CSU_E_RULE_CONFLICT;
    csu_err err = csu_get_length(text_length, 0, LONG_MAX, &a->text_len);
    if (err != CSU_OK)
        return err;
    if (a->text_len > 0 && !text)
        return CSU_E_NULL_POINTER;
    if (a->segment != SEG_ONLY) { /* ONLY needs no work area: it may be absent */
        if (!chaining_vector_length || !chaining_vector)
            return CSU_E_NULL_POINTER;
        if ((err = csu_get_length(chaining_vector_length, 0, LONG_MAX, &a->vector_len)) != CSU_OK)
            return err;
        a->vector = chaining_vector;
    }
    if (a->segment == SEG_ONLY || a->segment == SEG_LAST) { /* the digest comes back */
        if (!hash_length || !hash)
            return CSU_E_NULL_POINTER;
        if ((err = csu_get_length(hash_length, 0, LONG_MAX, &a->hash_len)) != CSU_OK)
            return err;
        a->hash = hash;
    }
    return CSU_OK;
}

/* The piece starting at @p done of the caller's text. */
static struct owh_piece owh_next_piece(const struct owh_args *a, long done)
{
    long total = a->text_len;
    bool odd_first = a->segment == SEG_FIRST || a->segment == SEG_MIDDLE;
    long len = total - done < OWH_CHUNK ? total - done : OWH_CHUNK;
    if (odd_first && done == 0 && total > OWH_CHUNK)
        len = total - ((total - 1) / OWH_CHUNK) * OWH_CHUNK; /* 1 .. OWH_CHUNK */
    bool first = done == 0, last = done + len == total;
    enum owh_segment seg = SEG_MIDDLE;
    if (first && last)
        seg = a->segment;
    else if (first)
        seg = a->segment == SEG_ONLY || a->segment == SEG_FIRST ? SEG_FIRST : SEG_MIDDLE;
    else if (last)
        seg = a->segment == SEG_ONLY || a->segment == SEG_LAST ? SEG_LAST : SEG_MIDDLE;
    return (struct owh_piece){.offset = done, .length = len, .segment = seg};
}

/* Rule array of a piece: the caller's words with the segment word replaced. */
static long piece_rules(const struct owh_args *a, enum owh_segment seg, uint8_t out[OWH_MAX_RULES * CSU_RULE_WORD])
{
    if (seg == a->segment) {
        memcpy(out, a->rules, (size_t)a->rule_count * CSU_RULE_WORD);
        return a->rule_count;
    }
    long n = 0;
    for (long i = 0; i < a->rule_count; i++)
        if (word_segment(a->rules + i * CSU_RULE_WORD) == SEG_UNKNOWN && n < OWH_MAX_RULES - 1)
            memcpy(out + (n++) * CSU_RULE_WORD, a->rules + i * CSU_RULE_WORD, CSU_RULE_WORD);
    csu_rules_put_word(out + (n++) * CSU_RULE_WORD, segment_words[seg]);
    return n;
}

static uint32_t clip_u32(long v)
{
    return v > (long)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Running state of a call: the vector travelling between pieces, the digest. */
struct owh_progress {
    uint8_t vector[OWH_VECTOR_LEN];
    size_t vector_len; /* bytes of vector valid */
    uint8_t digest[64];
    size_t digest_len;
};

/* Take a piece's outputs into @p p after checking them against the caller
 * and against what the piece must return (a digest, or a new vector). */
static csu_err owh_take_reply(const struct owh_args *a, enum owh_segment seg, const struct csu_reply *rep,
                              struct owh_progress *p)
{
    const struct csu_wire_block *digest = csu_wire_find(&rep->msg, CSU_TAG_OUT(1));
    const struct csu_wire_block *vector = csu_wire_find(&rep->msg, CSU_TAG_OUT(2));
    bool ends = seg == SEG_ONLY || seg == SEG_LAST;
    if (ends ? !digest || digest->length == 0 || vector : !vector || vector->length == 0 || digest)
        return CSU_E_REPLY;
    if (digest && (digest->length > sizeof(p->digest) || (long)digest->length > a->hash_len))
        return CSU_E_REPLY;
    if (vector && (vector->length > OWH_VECTOR_LEN || (a->vector && (long)vector->length > a->vector_len)))
        return CSU_E_REPLY;
    if (digest) {
        memcpy(p->digest, digest->data, digest->length);
        p->digest_len = digest->length;
    }
    if (vector) {
        memcpy(p->vector, vector->data, vector->length);
        p->vector_len = vector->length;
    }
    return CSU_OK;
}

/*
 * One round trip for @p piece.  Returns the transport/reply error, or CSU_OK
 * with the card's codes in @p rc/@p rs.
 */
static csu_err owh_send_piece(const struct owh_args *a, const struct owh_piece *piece, struct owh_progress *p,
                              long *rc, long *rs)
{
    uint8_t rules[OWH_MAX_RULES * CSU_RULE_WORD];
    long count = piece_rules(a, piece->segment, rules);
    struct csu_wire_msg req = {.op = CSU_OP_CSNBOWH, .rule_count = (uint16_t)count, .rules = rules};
    uint8_t hash_cap[4], vector_cap[4];
    csu_store_be32(hash_cap, clip_u32(a->hash_len));
    /* ONLY split into pieces works in a private area as large as any algorithm needs. */
    csu_store_be32(vector_cap, a->vector ? clip_u32(a->vector_len) : 256u);
    bool ok = csu_wire_add_block(&req, CSU_TAG_OUT_CAPACITY, hash_cap, 4) &&
              csu_wire_add_block(&req, CSU_TAG_IN(3), vector_cap, 4);
    if (ok && piece->length > 0)
        ok = csu_wire_add_block(&req, CSU_TAG_IN(1), a->text + piece->offset, (size_t)piece->length);
    if (ok && piece->segment != SEG_ONLY && piece->segment != SEG_FIRST && p->vector_len > 0)
        ok = csu_wire_add_block(&req, CSU_TAG_IN(2), p->vector, p->vector_len);
    if (!ok)
        return CSU_E_LENGTH;
    struct csu_reply rep;
    csu_err err = csu_call(&req, &rep);
    if (err != CSU_OK)
        return err;
    if (csu_reply_has_output(&rep))
        err = owh_take_reply(a, piece->segment, &rep, p);
    *rc = (long)rep.msg.return_code;
    *rs = (long)rep.msg.reason_code;
    csu_reply_free(&rep);
    return err;
}

/* The caller's vector as the card needs it (MIDDLE, LAST). */
static void owh_load_vector(const struct owh_args *a, struct owh_progress *p)
{
    if (a->vector && (a->segment == SEG_MIDDLE || a->segment == SEG_LAST)) {
        p->vector_len = (size_t)(a->vector_len < OWH_VECTOR_LEN ? a->vector_len : OWH_VECTOR_LEN);
        memcpy(p->vector, a->vector, p->vector_len);
    }
}

/* Write the outputs of a successful call into the caller's buffers. */
static void owh_deliver(const struct owh_args *a, const struct owh_progress *p)
{
    if (a->hash && p->digest_len > 0)
        memcpy(a->hash, p->digest, p->digest_len); /* hash_length stays as given */
    if (a->vector && (a->segment == SEG_FIRST || a->segment == SEG_MIDDLE) && p->vector_len > 0)
        memcpy(a->vector, p->vector, p->vector_len);
}

static void owh_run(const struct owh_args *a, long *return_code, long *reason_code)
{
    struct owh_progress p = {0};
    owh_load_vector(a, &p);
    long rc = 0, rs = 0, done = 0;
    csu_err err = CSU_OK;
    do {
        struct owh_piece piece = owh_next_piece(a, done);
        p.digest_len = 0;
        err = owh_send_piece(a, &piece, &p, &rc, &rs);
        done += piece.length;
    } while (err == CSU_OK && rc < 8 && done < a->text_len);
    if (err != CSU_OK)
        csu_set_err(return_code, reason_code, err);
    else {
        if (rc < 8)
            owh_deliver(a, &p);
        *return_code = rc;
        *reason_code = rs;
    }
    OPENSSL_cleanse(&p, sizeof(p));
}

void SECURITYAPI CSNBOWH(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, long *text_length, unsigned char *text,
                         long *chaining_vector_length, unsigned char *chaining_vector, long *hash_length,
                         unsigned char *hash)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    struct owh_args a;
    csu_err err = owh_check_args(rule_array_count, rule_array, text_length, text, chaining_vector_length,
                                 chaining_vector, hash_length, hash, &a);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    owh_run(&a, return_code, reason_code);
}
