/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the fuzz targets (header-only, static functions): the
 * invariant checks on a decoded message and a temporary state directory.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csu_wire.h"

/* An invariant broke: say which, and abort so that libFuzzer keeps the input. */
#define FUZZ_FAIL(why)                                                                                     \
    do {                                                                                                   \
        fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, why);                                           \
        abort();                                                                                           \
    } while (0)

/* Read every byte a decoded message points at (ASan checks each is inside the frame). */
static inline void fuzz_walk_msg(const struct csu_wire_msg *m, const uint8_t *frame, size_t len)
{
    volatile uint8_t sink = 0;
    const uint8_t *end = frame + len;
    if (m->rule_count && (m->rules < frame || m->rules + (size_t)m->rule_count * CSU_RULE_WORD > end))
        FUZZ_FAIL("rules point outside the frame");
    for (size_t i = 0; i < (size_t)m->rule_count * CSU_RULE_WORD; i++)
        sink ^= m->rules[i];
    for (uint16_t i = 0; i < m->block_count; i++) {
        const struct csu_wire_block *b = &m->blocks[i];
        if (b->tag == 0)
            FUZZ_FAIL("decoded a block with tag 0");
        if (b->data < frame || b->length > (size_t)(end - b->data))
            FUZZ_FAIL("a block points outside the frame");
        for (uint32_t j = 0; j < b->length; j++)
            sink ^= b->data[j];
        for (uint16_t k = 0; k < i; k++)
            if (m->blocks[k].tag == b->tag)
                FUZZ_FAIL("decoded a repeated tag");
    }
    (void)sink;
}

/* A decoded frame re-encodes to exactly its own bytes. */
static inline void fuzz_check_reencode(const struct csu_wire_msg *m, bool reply, const uint8_t *frame, size_t len)
{
    uint8_t *again = NULL;
    size_t again_len = 0;
    if (csu_wire_encode(m, reply, &again, &again_len) != CSU_OK)
        FUZZ_FAIL("a decoded message does not encode");
    if (again_len != len || memcmp(again, frame, len) != 0)
        FUZZ_FAIL("re-encoding a decoded message gave other bytes");
    csu_wire_free(again, again_len);
}

/*
 * mkdtemp under $CSU_FUZZ_TMPDIR, else /dev/shm, else $TMPDIR or /tmp; false
 * if none works.  tmpfs first: the card fsyncs its state file on every
 * state-changing verb, and on a busy disk one fsync can outlast -timeout=1.
 */
static inline bool fuzz_make_dir(char *out, size_t size, const char *prefix)
{
    const char *tmpdir = getenv("TMPDIR");
    const char *choices[] = {getenv("CSU_FUZZ_TMPDIR"), "/dev/shm", tmpdir && *tmpdir ? tmpdir : "/tmp"};
    for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
        if (!choices[i] || !*choices[i] || access(choices[i], W_OK | X_OK) != 0)
            continue;
        int n = snprintf(out, size, "%s/%s-XXXXXX", choices[i], prefix);
        if (n > 0 && (size_t)n < size && mkdtemp(out) != NULL)
            return true;
    }
    return false;
}

/* Remove a flat directory and its files. */
static inline void fuzz_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char path[512];
            if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

#endif /* FUZZ_UTIL_H */
