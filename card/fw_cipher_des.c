/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder: replaced by the family's card half. */
#include "card_internal.h"

csu_err fw_csnbenc(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbdec(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbmgn(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbmvr(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

