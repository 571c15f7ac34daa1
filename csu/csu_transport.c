/* SPDX-License-Identifier: Apache-2.0 */
/* Transport selection from a CSU_CARD string and the checked call wrapper. */
#include "csu_transport.h"

#include <string.h>

csu_err csu_transport_transact(struct csu_transport *t, const uint8_t *request, size_t request_len,
                               uint8_t **reply, size_t *reply_len)
{
    if (!t || t->magic != CSU_TRANSPORT_MAGIC || t->version < 1 || !t->transact)
        return CSU_E_INTERNAL;
    return t->transact(t, request, request_len, reply, reply_len);
}

struct transport_kind {
    const char *prefix;
    csu_err (*open)(const char *arg, struct csu_transport **out);
};

static const struct transport_kind kinds[] = {
    {"unix:", csu_transport_unix_open},
    {"inproc:", csu_transport_inproc_open},
};

csu_err csu_transport_open(const char *spec, struct csu_transport **out)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        size_t n = strlen(kinds[i].prefix);
        if (strncmp(spec, kinds[i].prefix, n) == 0 && spec[n] != '\0')
            return kinds[i].open(spec + n, out);
    }
    return CSU_E_DEV_NAME;
}
