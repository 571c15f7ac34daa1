/* SPDX-License-Identifier: Apache-2.0 */
/** @file options.h  csucard's command line. */
#ifndef CSUCARD_OPTIONS_H
#define CSUCARD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

struct options {
    const char *state_dir;   /**< --state DIR (required) */
    const char *socket_path; /**< --socket PATH (default /run/csulcca/card0.sock) */
    unsigned workers;        /**< --workers N (default: one per CPU) */
    unsigned post_seconds;   /**< --post-seconds S (default 0) */
    const char *fail_kat;    /**< --fail-kat NAME (test hook) */
    bool verbose;            /**< --verbose */
    bool key_cache_set;      /**< a --key-cache-* option was given */
    size_t key_cache_entries; /**< --key-cache-entries N (default 1024; 0 = off) */
    size_t key_cache_bytes;   /**< --key-cache-bytes B (default 16 MiB; 0 = off) */
};

/** Parse argv; prints usage and returns false on a bad command line. */
bool options_parse(int argc, char **argv, struct options *opts);

#endif
