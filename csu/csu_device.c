/* SPDX-License-Identifier: Apache-2.0 */
/* Device table, per-thread allocation and the request/reply round trip. */
#include "csu_device.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csu_transport.h"

struct device {
    pthread_mutex_t lock;
    _Atomic(struct csu_transport *) transport; /* opened on first use, then never changes */
};

static struct device devices[CSU_DEVICE_MAX + 1];
static pthread_once_t devices_once = PTHREAD_ONCE_INIT;
static _Thread_local int thread_device; /* 0: none allocated */

static void devices_init(void)
{
    for (int i = 0; i <= CSU_DEVICE_MAX; i++)
        pthread_mutex_init(&devices[i].lock, NULL);
}

/* The CSU_CARD string configuring device n, or NULL if none. */
static const char *device_spec(int n)
{
    if (n == 1) {
        const char *s = getenv("CSU_CARD");
        return (s && *s) ? s : CSU_CARD_DEFAULT;
    }
    char var[32];
    snprintf(var, sizeof(var), "CSU_CARD_CRP%02d", n);
    const char *s = getenv(var);
    return (s && *s) ? s : NULL;
}

int csu_device_configured(int n)
{
    return n >= 1 && n <= CSU_DEVICE_MAX && device_spec(n) != NULL;
}

int csu_device_parse_name(const unsigned char *name, size_t len)
{
    size_t n = len;
    while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\0'))
        n--;
    if (n != 5 || memcmp(name, "CRP", 3) != 0 || name[3] < '0' || name[3] > '9' || name[4] < '0' ||
        name[4] > '9')
        return 0;
    int num = (name[3] - '0') * 10 + (name[4] - '0');
    return (num >= 1 && num <= CSU_DEVICE_MAX) ? num : 0;
}

int csu_device_allocated(void)
{
    return thread_device;
}

void csu_device_set_allocated(int n)
{
    thread_device = n;
}

/* DEV-ANY picks the first configured device; several cards sharing one
 * master-key state can be balanced here later.  Read once per process, like
 * CSU_CARD: the environment is not consulted on every call. */
static int default_device_number;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void default_device_init(void)
{
    const char *d = getenv("CSU_DEFAULT_ADAPTER");
    default_device_number = 1;
    if (d && *d && strncmp(d, "DEV-ANY", 7) != 0)
        default_device_number = csu_device_parse_name((const unsigned char *)d, strlen(d));
}

static int default_device(void)
{
    pthread_once(&default_once, default_device_init);
    return default_device_number;
}

static csu_err device_transport(struct csu_transport **out)
{
    pthread_once(&devices_once, devices_init);
    int n = thread_device ? thread_device : default_device();
    if (n < 1 || n > CSU_DEVICE_MAX)
        return CSU_E_CARD_UNREACHABLE;
    struct device *d = &devices[n];
    *out = atomic_load_explicit(&d->transport, memory_order_acquire);
    if (*out) /* the common case: no lock, threads never wait on each other */
        return CSU_OK;
    pthread_mutex_lock(&d->lock);
    csu_err err = CSU_OK;
    struct csu_transport *t = atomic_load_explicit(&d->transport, memory_order_relaxed);
    if (!t) { /* first use: CSU_CARD / CSU_CARD_CRPnn is read here, once */
        const char *spec = device_spec(n);
        err = spec ? csu_transport_open(spec, &t) : CSU_E_CARD_UNREACHABLE;
        if (err == CSU_OK)
            atomic_store_explicit(&d->transport, t, memory_order_release);
    }
    *out = t;
    pthread_mutex_unlock(&d->lock);
    return err == CSU_OK ? CSU_OK : CSU_E_CARD_UNREACHABLE;
}

csu_err csu_call(const struct csu_wire_msg *request, struct csu_reply *reply)
{
    struct csu_transport *t;
    csu_err err = device_transport(&t);
    if (err != CSU_OK)
        return err;
    uint8_t *frame;
    size_t frame_len;
    err = csu_wire_encode(request, false, &frame, &frame_len);
    if (err != CSU_OK)
        return err;
    *reply = (struct csu_reply){0};
    err = csu_transport_transact(t, frame, frame_len, &reply->frame, &reply->frame_len);
    csu_wire_free(frame, frame_len);
    if (err != CSU_OK)
        return err;
    err = csu_wire_decode_reply(reply->frame, reply->frame_len, &reply->msg);
    if (err == CSU_OK && reply->msg.op != request->op)
        err = CSU_E_REPLY;
    if (err != CSU_OK)
        csu_reply_free(reply);
    return err;
}

void csu_reply_free(struct csu_reply *reply)
{
    csu_wire_free(reply->frame, reply->frame_len);
    *reply = (struct csu_reply){0};
}
