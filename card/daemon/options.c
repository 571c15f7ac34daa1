/* SPDX-License-Identifier: Apache-2.0 */
/* csucard's command line (see options.h). */
#include "options.h"

#include "card_keycache.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s --state DIR [--socket PATH] [--workers N] [--post-seconds S]\n"
            "          [--fail-kat NAME] [--key-cache-entries N] [--key-cache-bytes B] [--verbose]\n"
            "  --state DIR        the card's persistent state (created 0700)\n"
            "  --socket PATH      Unix socket to serve (default /run/csulcca/card0.sock)\n"
            "  --workers N        serving threads (default: one per CPU)\n"
            "  --post-seconds S   extra power-on self-test time\n"
            "  --fail-kat NAME    test hook: make one known-answer test fail\n"
            "                     (SHA256 HMAC256 AES TDES RSA ECDSA DRBG)\n"
            "  --key-cache-entries N  unwrapped keys kept ready (default 1024; 0 = no cache)\n"
            "  --key-cache-bytes B    bytes they may take (default 16777216; 0 = no cache)\n",
            prog);
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

static bool parse_size(const char *s, size_t max, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s || *s == '-' || v > max)
        return false;
    *out = (size_t)v;
    return true;
}

bool options_parse(int argc, char **argv, struct options *opts)
{
    static const struct option longopts[] = {
        {"state", required_argument, NULL, 's'},   {"socket", required_argument, NULL, 'k'},
        {"workers", required_argument, NULL, 'w'}, {"post-seconds", required_argument, NULL, 'p'},
        {"fail-kat", required_argument, NULL, 'f'}, {"verbose", no_argument, NULL, 'v'},
        {"key-cache-entries", required_argument, NULL, 'e'},
        {"key-cache-bytes", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *opts = (struct options){.socket_path = "/run/csulcca/card0.sock",
                             .workers = cpus > 0 ? (unsigned)cpus : 1,
                             .key_cache_entries = KC_DEFAULT_ENTRIES,
                             .key_cache_bytes = KC_DEFAULT_BYTES};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 's': opts->state_dir = optarg; break;
        case 'k': opts->socket_path = optarg; break;
        case 'w': ok = parse_uint(optarg, 256, &opts->workers) && opts->workers > 0; break;
        case 'p': ok = parse_uint(optarg, 3600, &opts->post_seconds); break;
        case 'f': opts->fail_kat = optarg; break;
        case 'v': opts->verbose = true; break;
        case 'e': ok = parse_size(optarg, (size_t)1 << 24, &opts->key_cache_entries); opts->key_cache_set = true; break;
        case 'b': ok = parse_size(optarg, (size_t)1 << 40, &opts->key_cache_bytes); opts->key_cache_set = true; break;
        default: ok = false; break;
        }
        if (!ok) {
            usage(argv[0]);
            return false;
        }
    }
    if (!opts->state_dir || optind != argc) {
        usage(argv[0]);
        return false;
    }
    return true;
}
