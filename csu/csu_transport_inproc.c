/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process transport: the card firmware linked into the calling process,
 * for embedded use and unit tests.  Each calling thread gets its own card
 * worker (and so its own DRBG), made on first use.
 *
 * POST runs synchronously when the transport opens: an embedded caller has
 * no daemon start-up to overlap it with.  CSU_CARD_FAIL_KAT names a KAT to
 * make fail (test hook, same as the daemon's --fail-kat).
 */
#include "csu_transport.h"

#include <pthread.h>
#include <stdlib.h>

#include "card.h"

struct inproc_transport {
    struct csu_transport base;
    struct card *card;
    pthread_key_t worker_key;
};

static void worker_destroy(void *w)
{
    card_worker_close(w);
}

static csu_err inproc_transact(struct csu_transport *t, const uint8_t *request, size_t request_len,
                               uint8_t **reply, size_t *reply_len)
{
    struct inproc_transport *ip = (struct inproc_transport *)t;
    struct card_worker *w = pthread_getspecific(ip->worker_key);
    if (!w) {
        csu_err err = card_worker_open(ip->card, &w);
        if (err != CSU_OK)
            return err;
        if (pthread_setspecific(ip->worker_key, w) != 0) {
            card_worker_close(w);
            return CSU_E_NOMEM;
        }
    }
    return card_process(w, request, request_len, reply, reply_len);
}

static void inproc_finalize(struct csu_transport *t)
{
    struct inproc_transport *ip = (struct inproc_transport *)t;
    struct card_worker *w = pthread_getspecific(ip->worker_key);
    if (w) {
        pthread_setspecific(ip->worker_key, NULL);
        card_worker_close(w);
    }
    pthread_key_delete(ip->worker_key);
    card_close(ip->card);
    free(ip);
}

csu_err csu_transport_inproc_open(const char *state_dir, struct csu_transport **out)
{
    struct inproc_transport *ip = calloc(1, sizeof(*ip));
    if (!ip)
        return CSU_E_NOMEM;
    struct card_options opts = {
        .state_dir = state_dir,
        .post_seconds = 0,
        .fail_kat = getenv("CSU_CARD_FAIL_KAT"),
        .post_async = false,
    };
    csu_err err = card_open(&opts, &ip->card);
    if (err != CSU_OK) {
        free(ip);
        return err;
    }
    if (pthread_key_create(&ip->worker_key, worker_destroy) != 0) {
        card_close(ip->card);
        free(ip);
        return CSU_E_NOMEM;
    }
    ip->base = (struct csu_transport){CSU_TRANSPORT_MAGIC, CSU_TRANSPORT_VERSION, "inproc", inproc_transact,
                                      inproc_finalize};
    *out = &ip->base;
    return CSU_OK;
}
