/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csucard: the emulated coprocessor as a daemon.  Opens the card on its
 * state directory (POST runs in the background while the socket already
 * answers "not ready"), serves the socket, and on SIGTERM or SIGINT lets
 * in-flight requests finish, flushes the state and removes the socket.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "card.h"
#include "log.h"
#include "options.h"
#include "server.h"

/* Keys live in this process: no core dumps, no ptrace by other users. */
static void harden_process(void)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max; /* room for SERVER_MAX_CONNECTIONS */
        setrlimit(RLIMIT_NOFILE, &files);
    }
}

/* Signals are taken synchronously by the main thread only. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    struct options opts;
    if (!options_parse(argc, argv, &opts))
        return 2;
    log_set_level(opts.verbose ? LOG_DEBUG : LOG_INFO);
    harden_process();
    sigset_t signals;
    block_signals(&signals);

    /* Refuse before touching the state: the running card owns it. */
    if (server_socket_in_use(opts.socket_path)) {
        log_msg(LOG_ERROR, "%s: another card is serving this socket", opts.socket_path);
        return 1;
    }
    struct card_options card_opts = {
        .state_dir = opts.state_dir,
        .post_seconds = opts.post_seconds,
        .fail_kat = opts.fail_kat,
        .post_async = true,
        .key_cache_set = opts.key_cache_set,
        .key_cache_entries = opts.key_cache_entries,
        .key_cache_bytes = opts.key_cache_bytes,
    };
    struct card *card;
    csu_err err = card_open(&card_opts, &card);
    if (err != CSU_OK) {
        log_msg(LOG_ERROR, "cannot open the card in %s: %s (card.state unreadable, or its master keys do not "
                           "open with bbram.key: see docs/architecture.md, \"card state at rest\")",
                opts.state_dir, csu_strerror(err));
        return 1;
    }
    struct server *server;
    if (server_start(card, opts.socket_path, opts.workers, &server) != 0) {
        card_close(card);
        return 1;
    }
    log_msg(LOG_INFO, "power-on self-test running (%u s extra)", opts.post_seconds);
    if (opts.key_cache_set)
        log_msg(LOG_INFO, "key cache: %zu entries, %zu bytes%s", opts.key_cache_entries, opts.key_cache_bytes,
                opts.key_cache_entries && opts.key_cache_bytes ? "" : " (off)");

    int sig = 0;
    sigwait(&signals, &sig);
    log_msg(LOG_INFO, "signal %d: shutting down", sig);
    server_stop(server);
    card_close(card);
    log_msg(LOG_INFO, "stopped");
    return 0;
}
