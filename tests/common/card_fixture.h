/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A card opened on a fresh mkdtemp state directory (POST synchronous), for
 * cmocka tests that drive the firmware directly (card_process): struct
 * fixture, setup / setup_with (a KAT to fail) / teardown.  Used by
 * tests/unit (with card_request.h), tests/pka and tests/symkey.
 */
#ifndef TEST_CARD_FIXTURE_H
#define TEST_CARD_FIXTURE_H

#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"

/* ---- fixture: one card on a fresh state directory ------------------------ */

struct fixture {
    char dir[64];
    struct card *card;
    struct card_worker *w;
};

static inline void open_card(struct fixture *f, const char *fail_kat)
{
    struct card_options o = {.state_dir = f->dir, .fail_kat = fail_kat, .post_async = false};
    assert_int_equal(card_open(&o, &f->card), CSU_OK);
    assert_int_equal(card_worker_open(f->card, &f->w), CSU_OK);
}

static inline void close_card(struct fixture *f)
{
    card_worker_close(f->w);
    card_close(f->card);
    f->w = NULL;
    f->card = NULL;
}

/* Remove the state directory and what the card wrote in it (flat). */
static inline void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char path[512];
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static inline int setup_with(void **state, const char *fail_kat)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof(f->dir), "%s/csu-card-XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    open_card(f, fail_kat);
    *state = f;
    return 0;
}

static inline int setup(void **state)
{
    return setup_with(state, NULL);
}

static inline int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->card)
        close_card(f);
    remove_dir(f->dir);
    free(f);
    return 0;
}

#endif
