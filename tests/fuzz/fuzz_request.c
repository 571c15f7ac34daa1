/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: request frames, as the card receives them.
 *
 * Each input goes to csu_wire_decode_request and then, whole, to
 * card_process on an in-process card opened once (LLVMFuzzerInitialize) on
 * a temporary state directory, with all four master-key sets loaded so that
 * the key-management verbs get past 12/764.  The card keeps its state from
 * one input to the next (as a real card does).  Beyond "no crash, no
 * sanitizer report" the target checks invariants and aborts when one breaks:
 *   - the decoder answers CSU_OK or CSU_E_FRAME, nothing else;
 *   - a frame that decodes re-encodes to the very same bytes (one encoding
 *     per message: the decoder accepts nothing the encoder would not make);
 *   - card_process always produces a reply, and the reply decodes;
 *   - an undecodable request gets 16/556 with op 0 and no output, a
 *     decodable one a reply echoing its op;
 *   - a reply with return code 8 or more carries no output.
 * Built with plain gcc this file links with fuzz_main.c to replay a corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "csu_rules.h"
#include "csu_wire.h"
#include "fuzz_util.h"

static struct card *card;
static struct card_worker *worker;
static char state_dir[96];

static void close_card(void)
{
    card_worker_close(worker);
    card_close(card);
    worker = NULL;
    card = NULL;
    fuzz_remove_dir(state_dir);
}

/* Send one request with the given keywords; its return code (or -1). */
static long send_rules(uint16_t op, const char *const *words, int n)
{
    uint8_t rules[8 * 4];
    struct csu_wire_msg m = {.op = op, .rule_count = (uint16_t)n, .rules = rules};
    for (int i = 0; i < n; i++)
        csu_rules_put_word(rules + 8 * i, words[i]);
    uint8_t *frame, *reply;
    size_t len, reply_len;
    if (csu_wire_encode(&m, false, &frame, &len) != CSU_OK)
        return -1;
    long rc = -1;
    if (card_process(worker, frame, len, &reply, &reply_len) == CSU_OK) {
        struct csu_wire_msg rep;
        if (csu_wire_decode_reply(reply, reply_len, &rep) == CSU_OK)
            rc = rep.return_code;
        csu_wire_free(reply, reply_len);
    }
    csu_wire_free(frame, len);
    return rc;
}

/*
 * Load all four master-key sets (random parts, then SET), so that inputs
 * reach the key-management verbs instead of stopping at 12/764.  Best
 * effort: if CSNBMKP's keywords change, fuzzing goes on without keys.
 */
static void load_master_keys(void)
{
    static const char *const sets[] = {"SYM-MK", "ASYM-MK", "AES-MK", "APKA-MK"};
    static const char *const steps[] = {"CLEAR", "RANDOM", "SET"};
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
        for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
            const char *words[] = {sets[i], steps[k]};
            long rc = send_rules(CSU_OP_CSNBMKP, words, 2);
            if (rc != 0) {
                fprintf(stderr, "fuzz_request: CSNBMKP %s %s answered %ld; fuzzing without that key\n", sets[i],
                        steps[k], rc);
                break;
            }
        }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!fuzz_make_dir(state_dir, sizeof(state_dir), "csu-fuzz-card"))
        FUZZ_FAIL("cannot make a state directory");
    struct card_options o = {.state_dir = state_dir, .post_async = false};
    if (card_open(&o, &card) != CSU_OK || card_worker_open(card, &worker) != CSU_OK)
        FUZZ_FAIL("cannot open the card");
    if (card_post_state(card, NULL) != CARD_POST_PASSED)
        FUZZ_FAIL("card POST did not pass");
    atexit(close_card);
    load_master_keys();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csu_wire_msg req;
    csu_err derr = csu_wire_decode_request(data, size, &req);
    if (derr == CSU_OK) {
        fuzz_walk_msg(&req, data, size);
        fuzz_check_reencode(&req, false, data, size);
    } else if (derr != CSU_E_FRAME) {
        FUZZ_FAIL("decoder returned an unexpected error");
    }

    uint8_t *reply = NULL;
    size_t reply_len = 0;
    if (card_process(worker, data, size, &reply, &reply_len) != CSU_OK)
        FUZZ_FAIL("card_process produced no reply");
    struct csu_wire_msg rep;
    if (csu_wire_decode_reply(reply, reply_len, &rep) != CSU_OK)
        FUZZ_FAIL("the card's reply does not decode");
    fuzz_walk_msg(&rep, reply, reply_len);
    if (derr != CSU_OK && (rep.return_code != 16 || rep.reason_code != 556 || rep.op != CSU_OP_NONE))
        FUZZ_FAIL("a malformed request did not get 16/556");
    if (derr == CSU_OK && rep.op != req.op)
        FUZZ_FAIL("the reply does not echo the request's op");
    if (rep.return_code >= 8 && (rep.rule_count != 0 || rep.block_count != 0))
        FUZZ_FAIL("an error reply carries output");
    csu_wire_free(reply, reply_len);
    return 0;
}
