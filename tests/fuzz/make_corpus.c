/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the committed seed corpora of the fuzz targets: a handful of valid
 * request frames (corpus/fuzz_request/) as the host library sends them, and
 * valid reply frames (corpus/fuzz_reply/) as the card sends them, all built
 * with csu_wire_encode.  Run once, by hand, when the wire format changes:
 *
 *   build/tests/fuzz/fuzz_make_corpus tests/fuzz/corpus
 *
 * Output is deterministic (no random or time-dependent bytes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csu_mu.h"
#include "csu_rules.h"
#include "csu_wire.h"

static const char *out_dir;

struct seed {
    const char *name;
    bool reply;
    uint16_t op;
    uint32_t rc, rs;
    const char *rules[16]; /* NULL-terminated */
    int capacity;          /* CSU_TAG_OUT_CAPACITY when >= 0 */
    const char *data;      /* CSU_TAG_VERB_DATA */
    size_t data_len;
    size_t out_len;        /* CSU_TAG_OUT_DATA of this many bytes (reply) */
    int truncate;          /* drop this many bytes from the end */
};

static int write_seed(const struct seed *s)
{
    uint8_t rules[16 * 8];
    struct csu_wire_msg m = {.op = s->op, .return_code = s->rc, .reason_code = s->rs, .rules = rules};
    while (m.rule_count < 16 && s->rules[m.rule_count]) {
        csu_rules_put_word(rules + 8 * m.rule_count, s->rules[m.rule_count]);
        m.rule_count++;
    }
    uint8_t cap[4], out[64];
    if (s->capacity >= 0) {
        csu_store_be32(cap, (uint32_t)s->capacity);
        csu_wire_add_block(&m, CSU_TAG_OUT_CAPACITY, cap, 4);
    }
    if (s->data)
        csu_wire_add_block(&m, CSU_TAG_VERB_DATA, s->data, s->data_len);
    if (s->out_len) {
        for (size_t i = 0; i < sizeof(out); i++)
            out[i] = (uint8_t)(0x5c ^ (i * 37));
        csu_wire_add_block(&m, CSU_TAG_OUT_DATA, out, s->out_len);
    }
    uint8_t *frame;
    size_t len;
    if (csu_wire_encode(&m, s->reply, &frame, &len) != CSU_OK) {
        fprintf(stderr, "%s: encode failed\n", s->name);
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, s->reply ? "fuzz_reply" : "fuzz_request", s->name);
    FILE *f = fopen(path, "wb");
    size_t want = len - (size_t)s->truncate;
    int bad = !f || fwrite(frame, 1, want, f) != want;
    if (f && fclose(f) != 0)
        bad = 1;
    csu_wire_free(frame, len);
    if (bad)
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return bad;
}

#define NO_CAP .capacity = -1

static const struct seed seeds[] = {
    /* requests, as csu/verb_node.c and csu/verb_random.c build them */
    {"acfq_statcca", false, CSU_OP_CSUACFQ, 0, 0, {"STATCCA"}, .capacity = 0},
    {"acfq_adapter1_statcard", false, CSU_OP_CSUACFQ, 0, 0, {"ADAPTER1", "STATCARD"}, .capacity = 0},
    {"acfq_timedate", false, CSU_OP_CSUACFQ, 0, 0, {"TIMEDATE"}, .capacity = 0},
    {"acfq_statdiag", false, CSU_OP_CSUACFQ, 0, 0, {"STATDIAG"}, .capacity = 0},
    {"acfq_statpost", false, CSU_OP_CSUACFQ, 0, 0, {"statpost"}, .capacity = 0},
    {"acfc_setclock", false, CSU_OP_CSUACFC, 0, 0, {"SETCLOCK"}, .capacity = 16, .data = "2030010203040504",
     .data_len = 16},
    {"acfc_rq_token", false, CSU_OP_CSUACFC, 0, 0, {"RQ-TOKEN"}, .capacity = 8},
    {"acfc_rq_reint", false, CSU_OP_CSUACFC, 0, 0, {"RQ-REINT"}, .capacity = 8, .data = "\x01\x23\x45\x67\x89\xab\xcd\xef",
     .data_len = 8},
    {"acfc_reset_il", false, CSU_OP_CSUACFC, 0, 0, {"ADAPTER1", "RESET-IL"}, .capacity = 0},
    {"rng_odd", false, CSU_OP_CSNBRNG, 0, 0, {"ODD"}, NO_CAP},
    {"rngl_even_16", false, CSU_OP_CSNBRNGL, 0, 0, {"EVEN"}, .capacity = 16},
    {"rngl_random_seed", false, CSU_OP_CSNBRNGL, 0, 0, {"RANDOM"}, .capacity = 8, .data = "seed", .data_len = 4},
    {"truncated", false, CSU_OP_CSNBRNG, 0, 0, {"RANDOM"}, NO_CAP, .truncate = 3},
    /* replies, as card/card.c builds them */
    {"statcca", true, CSU_OP_CSUACFQ, 0, 0, {"1", "1", "1", "7.5.52", "20251015", "DEFAULT"}, NO_CAP},
    {"timedate", true, CSU_OP_CSUACFQ, 0, 0, {"20300102", "030405", "4"}, NO_CAP},
    {"rng_8", true, CSU_OP_CSNBRNG, 0, 0, {NULL}, NO_CAP, .out_len = 8},
    {"rngl_32", true, CSU_OP_CSNBRNGL, 0, 0, {NULL}, NO_CAP, .out_len = 32},
    {"blocks", true, CSU_OP_CSUACFC, 4, 2060, {NULL}, .capacity = 8, .data = "verb", .data_len = 4, .out_len = 8},
    {"rule_error", true, CSU_OP_CSUACFQ, 8, 33, {NULL}, NO_CAP},
    {"not_ready", true, CSU_OP_CSNBRNGL, 12, 338, {NULL}, NO_CAP},
    {"frame_error", true, CSU_OP_NONE, 16, 556, {NULL}, NO_CAP},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    char path[4096];
    const char *sub[] = {"", "/fuzz_request", "/fuzz_reply"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s%s", out_dir, sub[i]);
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "%s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    int bad = 0;
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        bad |= write_seed(&seeds[i]);
    return bad;
}
