/* SPDX-License-Identifier: Apache-2.0 */
/* Offset-cursor big-endian marshalling (see csu_mu.h for the contract). */
#include "csu_mu.h"

#include <string.h>

static bool put_be(uint64_t v, size_t width, uint8_t *buf, size_t len, size_t *off)
{
    if (!csu_mu_fits(len, *off, width))
        return false;
    if (buf) {
        for (size_t i = 0; i < width; i++)
            buf[*off + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
    }
    *off += width;
    return true;
}

static bool get_be(const uint8_t *buf, size_t len, size_t *off, size_t width, uint64_t *v)
{
    if (!buf || !csu_mu_fits(len, *off, width))
        return false;
    uint64_t acc = 0;
    for (size_t i = 0; i < width; i++)
        acc = (acc << 8) | buf[*off + i];
    *v = acc;
    *off += width;
    return true;
}

bool csu_mu_u8_marshal(uint8_t v, uint8_t *buf, size_t len, size_t *off)
{
    return put_be(v, 1, buf, len, off);
}

bool csu_mu_u16_marshal(uint16_t v, uint8_t *buf, size_t len, size_t *off)
{
    return put_be(v, 2, buf, len, off);
}

bool csu_mu_u32_marshal(uint32_t v, uint8_t *buf, size_t len, size_t *off)
{
    return put_be(v, 4, buf, len, off);
}

bool csu_mu_u64_marshal(uint64_t v, uint8_t *buf, size_t len, size_t *off)
{
    return put_be(v, 8, buf, len, off);
}

bool csu_mu_bytes_marshal(const void *src, size_t n, uint8_t *buf, size_t len, size_t *off)
{
    if (!csu_mu_fits(len, *off, n) || (n && !src && buf))
        return false;
    if (buf && n)
        memcpy(buf + *off, src, n);
    *off += n;
    return true;
}

bool csu_mu_u8_unmarshal(const uint8_t *buf, size_t len, size_t *off, uint8_t *v)
{
    uint64_t t;
    if (!get_be(buf, len, off, 1, &t))
        return false;
    *v = (uint8_t)t;
    return true;
}

bool csu_mu_u16_unmarshal(const uint8_t *buf, size_t len, size_t *off, uint16_t *v)
{
    uint64_t t;
    if (!get_be(buf, len, off, 2, &t))
        return false;
    *v = (uint16_t)t;
    return true;
}

bool csu_mu_u32_unmarshal(const uint8_t *buf, size_t len, size_t *off, uint32_t *v)
{
    uint64_t t;
    if (!get_be(buf, len, off, 4, &t))
        return false;
    *v = (uint32_t)t;
    return true;
}

bool csu_mu_u64_unmarshal(const uint8_t *buf, size_t len, size_t *off, uint64_t *v)
{
    return get_be(buf, len, off, 8, v);
}

bool csu_mu_bytes_ref(const uint8_t *buf, size_t len, size_t *off, size_t n, const uint8_t **ref)
{
    if (!buf || !csu_mu_fits(len, *off, n))
        return false;
    *ref = buf + *off;
    *off += n;
    return true;
}
