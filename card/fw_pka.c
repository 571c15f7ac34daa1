/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder: replaced by the family's card half. */
#include "card_internal.h"

csu_err fw_csndpkb(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csndpkg(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csndpki(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csndpkx(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

csu_err fw_csndktc(struct fw_ctx *ctx)
{
    (void)ctx;
    return CSU_E_UNAVAILABLE;
}

