/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder: replaced by the family's card half. */
#include "card_internal.h"

csu_err fw_csnbktb2(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbkgn2(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbkpi2(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbkyt2(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csnbktc2(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

