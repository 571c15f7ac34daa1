/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file csu_device.h
 * Cards the host library knows, and which one the calling thread uses.
 *
 * Device CRP01 is the card named by CSU_CARD (default
 * CSU_CARD_DEFAULT); device CRPnn (nn = 02..65) is configured by the variable
 * CSU_CARD_CRPnn.  A thread uses the device it allocated with CSUACRA, or else
 * the default device: CSU_DEFAULT_ADAPTER ("CRPnn" or "DEV-ANY"), or CRP01.
 * Transports are opened on first use and shared by all threads.
 */
#ifndef CSU_DEVICE_H
#define CSU_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "csu_err.h"
#include "csu_wire.h"

#define CSU_DEVICE_MAX 65

/** A decoded reply and the frame it points into. */
struct csu_reply {
    uint8_t *frame;
    size_t frame_len;
    struct csu_wire_msg msg;
};

/**
 * One round trip: encode @p request, send it to the calling thread's card,
 * decode the reply (which must echo the request's operation).
 * @return CSU_OK with @p reply filled (free with csu_reply_free()), or the
 *         transport/encoding error (no reply to free).
 */
csu_err csu_call(const struct csu_wire_msg *request, struct csu_reply *reply);

void csu_reply_free(struct csu_reply *reply);

/**
 * Parse a device name "CRPnn" (blank/NUL padded).
 * @return the 1-based device number, or 0 if malformed.
 */
int csu_device_parse_name(const unsigned char *name, size_t len);

/** True when device @p n (1-based) is configured. */
int csu_device_configured(int n);

/** Thread's allocated device (1-based) or 0; set with 0 to deallocate. */
int csu_device_allocated(void);
void csu_device_set_allocated(int n);

#endif /* CSU_DEVICE_H */
