/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: reply frames, as the host library receives them from a
 * daemon it must not trust (a crashed or impostor card must not crash the
 * application).
 *
 * Each input goes to csu_wire_decode_reply; a decoded reply is walked the
 * way the verbs use it (every rule and block byte read, csu_wire_find and
 * csu_wire_get_u32 for every tag, csu_op_name), and must re-encode to the
 * same bytes.  csu_wire_frame_length must agree with the decoder about the
 * frame's length.  Built with plain gcc this file links with fuzz_main.c to
 * replay a corpus.
 */
#include <stdint.h>
#include <stdlib.h>

#include "csu_wire.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csu_wire_msg rep;
    csu_err err = csu_wire_decode_reply(data, size, &rep);
    if (err != CSU_OK && err != CSU_E_REPLY)
        FUZZ_FAIL("decoder returned an unexpected error");
    size_t total = 0;
    csu_err lerr = csu_wire_frame_length(data, size, true, &total);
    if (err == CSU_OK && (lerr != CSU_OK || total != size))
        FUZZ_FAIL("frame length and decoder disagree");
    if (lerr == CSU_OK && (total < CSU_WIRE_REP_HEADER || total > CSU_WIRE_MAX_FRAME))
        FUZZ_FAIL("frame length outside the limits");
    if (err != CSU_OK)
        return 0;
    if (rep.rule_count > CSU_WIRE_MAX_RULES || rep.block_count > CSU_WIRE_MAX_BLOCKS)
        FUZZ_FAIL("decoded counts above the limits");
    if (rep.op >= CSU_OP_COUNT_)
        FUZZ_FAIL("decoded an unknown op");
    (void)csu_op_name(rep.op);
    fuzz_walk_msg(&rep, data, size);
    for (uint16_t i = 0; i < rep.block_count; i++) {
        const struct csu_wire_block *b = csu_wire_find(&rep, rep.blocks[i].tag);
        if (b != &rep.blocks[i])
            FUZZ_FAIL("csu_wire_find did not find the block");
        uint32_t v;
        if (csu_wire_get_u32(&rep, b->tag, &v) != (b->length == 4))
            FUZZ_FAIL("csu_wire_get_u32 disagrees with the block length");
    }
    fuzz_check_reencode(&rep, true, data, size);
    return 0;
}
