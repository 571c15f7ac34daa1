/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder: replaced by the family's card half. */
#include "card_internal.h"

csu_err fw_csnbsae(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbsad(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbmgn2(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbmvr2(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbhmg(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbhmv(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

