/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card half of CSNBMKP (host half in csu/verb_masterkey.c): one step of
 * loading, setting or clearing a master-key register set, saved to the
 * state file before the verb returns.  SET and CLEAR flush the set's
 * entries from the key cache (docs/key-cache.md), under the card lock so
 * no request can see the new registers and still find an entry made before.
 */
#include <openssl/crypto.h>

#include "card_keycache.h"
#include "card_mk.h"

csu_err fw_csnbmkp(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&csu_mkp_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    enum mk_set set = (enum mk_set)csu_rules_value(&r, MKP_GROUP_SET, MK_SYM);
    enum mkp_action action = (enum mkp_action)r.value[MKP_GROUP_ACTION];
    const uint8_t *part = NULL;
    if (mkp_action_takes_part(action)) {
        const struct csu_wire_block *b = csu_wire_find(ctx->req, CSU_TAG_VERB_DATA);
        if (!b || b->length != mk_set_length(set))
            return CSU_E_LENGTH;
        part = b->data;
    }
    struct card *card = ctx->card;
    long warning = 0;
    pthread_mutex_lock(&card->lock);
    struct card_state before = card->state;
    err = card_mk_process(&card->state, set, action, part, ctx->worker->drbg, &warning);
    if (err == CSU_OK) {
        err = card_state_save(card->state_dir, &card->state);
        if (err != CSU_OK) /* not saved: the registers must not change either */
            card->state = before;
    }
    if (err == CSU_OK && (action == MKP_SET || action == MKP_CLEAR))
        card_keycache_flush(card->keycache, (int)set);
    pthread_mutex_unlock(&card->lock);
    OPENSSL_cleanse(&before, sizeof(before));
    if (err == CSU_OK)
        ctx->rep.reason_code = (uint32_t)warning;
    return err;
}
