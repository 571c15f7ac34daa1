/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file csu_mu.h
 * Offset-cursor marshalling of big-endian fields, shared by host and card.
 *
 * Every function takes the buffer, its length and a cursor (*off).  The
 * bounds check is overflow-safe and the cursor moves only on success, so a
 * failed call leaves it where it was.  Marshal functions accept a NULL
 * buffer: they then only advance the cursor, which computes a size.
 *
 * Return: true on success, false if the field does not fit in the buffer.
 */
#ifndef CSU_MU_H
#define CSU_MU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** True when @p need bytes are left in a buffer of @p len after @p off. */
static inline bool csu_mu_fits(size_t len, size_t off, size_t need)
{
    return off <= len && need <= len - off;
}

bool csu_mu_u8_marshal(uint8_t v, uint8_t *buf, size_t len, size_t *off);
bool csu_mu_u16_marshal(uint16_t v, uint8_t *buf, size_t len, size_t *off);
bool csu_mu_u32_marshal(uint32_t v, uint8_t *buf, size_t len, size_t *off);
bool csu_mu_u64_marshal(uint64_t v, uint8_t *buf, size_t len, size_t *off);
/** Copy @p n bytes; @p src may be NULL only when @p n is 0. */
bool csu_mu_bytes_marshal(const void *src, size_t n, uint8_t *buf, size_t len, size_t *off);

bool csu_mu_u8_unmarshal(const uint8_t *buf, size_t len, size_t *off, uint8_t *v);
bool csu_mu_u16_unmarshal(const uint8_t *buf, size_t len, size_t *off, uint16_t *v);
bool csu_mu_u32_unmarshal(const uint8_t *buf, size_t len, size_t *off, uint32_t *v);
bool csu_mu_u64_unmarshal(const uint8_t *buf, size_t len, size_t *off, uint64_t *v);
/** Point @p *ref at the next @p n bytes of @p buf without copying. */
bool csu_mu_bytes_ref(const uint8_t *buf, size_t len, size_t *off, size_t n, const uint8_t **ref);

/** Big-endian load/store helpers for fixed layouts (caller checked bounds). */
static inline uint16_t csu_load_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t csu_load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void csu_store_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void csu_store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif /* CSU_MU_H */
