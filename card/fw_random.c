/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Card halves of CSNBRNG and CSNBRNGL (host halves in csu/verb_random.c):
 * random numbers from the worker's Hash_DRBG.  ODD and EVEN give every byte
 * odd or even parity, the low bit being the parity bit (DES key bytes).
 */
#include "card_internal.h"
#include "csu_rules.h"

enum { FORM_RANDOM = 0, FORM_ODD, FORM_EVEN };

static const struct csu_keyword form_words[] = {
    {"RANDOM", 0, FORM_RANDOM},
    {"ODD", 0, FORM_ODD},
    {"EVEN", 0, FORM_EVEN},
};

/* CSNBRNG's form parameter, sent as a one-word rule array. */
static const struct csu_rule_spec rng_spec = {form_words, 3, 1, 1, 1u << 0};
/* CSNBRNGL: one form keyword (RT-KRD and TDES-CBC are not served: 8/33). */
static const struct csu_rule_spec rngl_spec = {form_words, 3, 1, 2, 1u << 0};

static void set_parity(uint8_t *p, size_t n, uint32_t form)
{
    if (form == FORM_RANDOM)
        return;
    for (size_t i = 0; i < n; i++) {
        uint8_t high = p[i] & 0xfe;
        unsigned ones = (unsigned)__builtin_popcount(high);
        uint8_t bit = (uint8_t)((form == FORM_ODD) ? !(ones & 1) : (ones & 1));
        p[i] = high | bit;
    }
}

static csu_err generate(struct fw_ctx *ctx, uint32_t form, size_t len)
{
    uint8_t *out = fw_output(ctx, CSU_TAG_OUT_DATA, len);
    if (!out)
        return CSU_E_NOMEM;
    csu_err err = card_drbg_generate(ctx->worker->drbg, out, len, NULL, 0);
    if (err == CSU_OK)
        set_parity(out, len, form);
    return err;
}

csu_err fw_csnbrng(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&rng_spec, ctx->req->rule_count, ctx->req->rules, &r);
    return err != CSU_OK ? err : generate(ctx, r.value[0], 8);
}

csu_err fw_csnbrngl(struct fw_ctx *ctx)
{
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&rngl_spec, ctx->req->rule_count, ctx->req->rules, &r);
    if (err != CSU_OK)
        return err;
    uint32_t len = fw_out_capacity(ctx);
    if (len < 1 || len > CSU_RNGL_MAX)
        return CSU_E_LENGTH;
    /* A seed in the reserved field is only meaningful with TDES-CBC. */
    if (csu_wire_find(ctx->req, CSU_TAG_VERB_DATA))
        return CSU_E_LENGTH;
    return generate(ctx, r.value[0], len);
}
