/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card half of CSNBKSI (host half in csu/verb_keystore.c): the verification
 * pattern of the current master key that stamps a key-storage header.
 * DES storage is stamped with the SYM pattern and needs the ASYM master key
 * as well (reference §1.4 CSNBKSI usage note); AES storage with the AES
 * pattern; PKA storage with the APKA pattern (PKA private keys are wrapped
 * under APKA here, see card/tok_pka.h).
 */
#include <openssl/crypto.h>
#include <string.h>

#include "card_mk.h"

enum { KSI_DES = 0, KSI_AES = 1, KSI_PKA = 2 };

static const struct csu_keyword ksi_words[] = {
    {"CURRENT", 0, 0}, {"DES", 1, KSI_DES}, {"AES", 1, KSI_AES}, {"PKA", 1, KSI_PKA}};
static const struct csu_rule_spec ksi_spec = {ksi_words, 4, 2, 2, 3u};

static const enum mk_set ksi_set[] = {[KSI_DES] = MK_SYM, [KSI_AES] = MK_AES, [KSI_PKA] = MK_APKA};

csu_err fw_csnbksi(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&ksi_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    enum mk_set set = ksi_set[r.value[1]];
    uint8_t key[32], vp[MK_VP_LEN], other_vp[MK_VP_LEN];
    pthread_mutex_lock(&ctx->card->lock);
    err = card_mk_current(&ctx->card->state, set, key, vp);
    if (err == CSU_OK && set == MK_SYM)
        err = card_mk_current(&ctx->card->state, MK_ASYM, key, other_vp);
    pthread_mutex_unlock(&ctx->card->lock);
    OPENSSL_cleanse(key, sizeof(key));
    if (err != CSU_OK)
        return err;
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT(1), MK_VP_LEN);
    if (!out)
        return CSU_E_NOMEM;
    memcpy(out, vp, MK_VP_LEN);
    return CSU_OK;
}
