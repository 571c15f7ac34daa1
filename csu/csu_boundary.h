/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file csu_boundary.h
 * Helpers for the exported verbs: the "never crash" boundary.
 *
 * Every exported verb returns at once when return_code or reason_code is
 * NULL (there is nowhere to report), turns internal errors into CCA codes in
 * one place, and leaves its outputs untouched when the return code is 8 or
 * more.
 */
#ifndef CSU_BOUNDARY_H
#define CSU_BOUNDARY_H

#include "csu_device.h"
#include "csu_err.h"
#include "csu_mu.h"

/* Exported verbs get default visibility; everything else is hidden. */
#define SECURITYAPI __attribute__((visibility("default")))
#include "csulincl.h"

/** Store the CCA pair for @p err. */
static inline void csu_set_err(long *return_code, long *reason_code, csu_err err)
{
    struct csu_cca_code c = csu_err_to_cca(err);
    *return_code = c.return_code;
    *reason_code = c.reason_code;
}

/** Answer 8/335 "not available in this environment"; touch nothing else. */
static inline void csu_verb_unavailable(long *return_code, long *reason_code)
{
    if (return_code && reason_code)
        csu_set_err(return_code, reason_code, CSU_E_UNAVAILABLE);
}

/**
 * Finish a verb after a round trip: when @p copy_err is CSU_OK the card's
 * codes are reported, otherwise @p copy_err (a reply that could not be
 * delivered to the caller's buffers).
 */
static inline void csu_set_reply(long *return_code, long *reason_code, const struct csu_reply *rep,
                                 csu_err copy_err)
{
    if (copy_err != CSU_OK) {
        csu_set_err(return_code, reason_code, copy_err);
        return;
    }
    *return_code = (long)rep->msg.return_code;
    *reason_code = (long)rep->msg.reason_code;
}

/** True when a reply's return code lets outputs be written (0 or 4). */
static inline int csu_reply_has_output(const struct csu_reply *rep)
{
    return rep->msg.return_code < 8;
}

/**
 * Read a caller's length parameter: NULL counts as @p if_null (clients pass
 * NULL for unused lengths), negative or above @p max is CSU_E_LENGTH.
 */
static inline csu_err csu_get_length(const long *p, long if_null, long max, long *out)
{
    long v = p ? *p : if_null;
    if (v < 0 || v > max)
        return CSU_E_LENGTH;
    *out = v;
    return CSU_OK;
}

#endif /* CSU_BOUNDARY_H */
