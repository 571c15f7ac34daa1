/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder: replaced by the family's card half. */
#include "card_internal.h"

csu_err fw_csnddsg(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnddsv(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csndpke(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csndpkd(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

