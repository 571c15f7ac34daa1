/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration 7: the daemon's files and its exclusive use of the socket.
 *
 * Run under umask 000, so that nothing is right by accident of the
 * caller's umask:
 *   - socket 0660, its directory (created by the daemon) 0750, the state
 *     directory (created by the daemon) 0700, the state file without group
 *     or other access;
 *   - a second daemon on the same socket path (other state directory, and
 *     the same one) refuses to start with a non-zero exit, and leaves the
 *     first one's socket alone (same inode, still serving) - and its state
 *     file (KNOWN BUG refused-daemon-rewrites-state);
 *   - a relative or over-long socket path is refused;
 *   - SIGTERM: the daemon exits 0 and removes its socket file.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "daemon_util.h"

static void check_mode(const char *path, mode_t type, mode_t want, const char *what)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        CHECK(false, "%s: %s does not exist", what, path);
        return;
    }
    CHECK((st.st_mode & S_IFMT) == type, "%s: %s has file type 0%o", what, path, (unsigned)(st.st_mode & S_IFMT));
    CHECK((st.st_mode & 07777) == want, "%s: %s has mode 0%03o, want 0%03o", what, path,
          (unsigned)(st.st_mode & 07777), (unsigned)want);
    it_log("%s: %s mode 0%03o\n", what, path, (unsigned)(st.st_mode & 07777));
}

/* Start a daemon that must refuse; true when it exited non-zero in time. */
static bool refuses(const char *state, const char *sock, const char *log, const char *what)
{
    const char *const args[] = {"--workers", "1", NULL};
    pid_t pid = it_spawn_csucard(state, sock, log, args);
    REQUIRE(pid > 0, "cannot spawn csucard");
    int status = -1;
    if (!it_wait_exit(pid, 15000, &status)) {
        kill(pid, SIGKILL);
        it_wait_exit(pid, 5000, NULL);
        CHECK(false, "%s: the daemon did not exit (it should refuse to start)", what);
        return false;
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0, "%s: exit status 0x%x, want a non-zero exit", what,
          status);
    it_log("%s: refused, exit status %d\n", what, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return true;
}

int main(void)
{
    it_begin("socket_perms", 55);
    umask(0);
    struct it_daemon d;
    it_daemon_init(&d);
    char run_dir[200];
    snprintf(run_dir, sizeof(run_dir), "%s/run", d.dir);
    snprintf(d.sock, sizeof(d.sock), "%s/run/card.sock", d.dir);
    char spec[200];
    snprintf(spec, sizeof(spec), "unix:%s", d.sock);
    it_setenv("CSU_CARD", spec);

    const char *const args[] = {"--workers", "2", NULL};
    REQUIRE(it_daemon_start(&d, args, 10000) == 0, "csucard did not start");
    REQUIRE(it_wait_post("PASSED", 10000), "POST did not pass");

    check_mode(d.sock, S_IFSOCK, 0660, "socket");
    check_mode(run_dir, S_IFDIR, 0750, "socket directory");
    check_mode(d.state, S_IFDIR, 0700, "state directory");
    char state_file[220];
    snprintf(state_file, sizeof(state_file), "%s/card.state", d.state);
    struct stat st;
    if (stat(state_file, &st) == 0) {
        CHECK((st.st_mode & 077) == 0, "state file %s has mode 0%03o", state_file, (unsigned)(st.st_mode & 07777));
        it_log("state file: mode 0%03o\n", (unsigned)(st.st_mode & 07777));
    } else {
        CHECK(false, "no state file %s", state_file);
    }
    struct stat before, state_before;
    REQUIRE(stat(d.sock, &before) == 0, "socket missing");
    REQUIRE(stat(state_file, &state_before) == 0, "state file missing");

    /* A second daemon on the same socket path.  Its probe of the socket
     * (connect, close at once) can trip KNOWN BUG accept-uaf in the first
     * daemon (ASan builds): checks failing because of it are excused below. */
    char state2[200], log2[200];
    snprintf(state2, sizeof(state2), "%s/state2", d.dir);
    snprintf(log2, sizeof(log2), "%s/second.log", d.dir);
    refuses(state2, d.sock, log2, "second daemon, same socket, other state directory");
    refuses(d.state, d.sock, log2, "second daemon, same socket, same state directory");
    struct stat after;
    CHECK(stat(d.sock, &after) == 0 && after.st_ino == before.st_ino,
          "the first daemon's socket was replaced or removed");
    CHECK(waitpid(d.pid, NULL, WNOHANG) == 0, "the first daemon died");
    /* A daemon that refuses to serve must not touch the running card's state
     * (main.c opens the card, and so loads and on close saves its state,
     * before it finds the socket taken). */
    struct stat state_after;
    CHECK(stat(state_file, &state_after) == 0, "state file gone after the refused starts");
    CHECK(state_after.st_ino == state_before.st_ino,
              "the refused daemon (same state directory) rewrote %s (inode %lu -> %lu)", state_file,
              (unsigned long)state_before.st_ino, (unsigned long)state_after.st_ino);
    unsigned char rnd[32];
    long rc, rs;
    it_rngl(32, rnd, &rc, &rs);
    CHECK_CODES(rc, rs, 0, 0, "CSNBRNGL on the first daemon after the refused starts");
    CHECK(it_socket_accepts(d.sock), "the first daemon's socket does not accept connections");

    /* Paths the daemon must refuse. */
    refuses(state2, "relative.sock", log2, "relative socket path");
    char long_path[300];
    snprintf(long_path, sizeof(long_path), "%s/%0120d.sock", d.dir, 0);
    refuses(state2, long_path, log2, "socket path of 108 bytes or more");

    /* SIGTERM: exit 0, socket removed, state kept. */
    int status = -1;
    CHECK(it_daemon_stop(&d, SIGTERM, 10000, &status), "daemon did not stop on SIGTERM");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon exit status 0x%x, want exit 0", status);
    CHECK(lstat(d.sock, &st) != 0, "socket %s still exists after SIGTERM", d.sock);
    CHECK(stat(state_file, &st) == 0, "state file gone after SIGTERM");
    it_rngl(32, rnd, &rc, &rs);
    CHECK_CODES(rc, rs, 12, 338, "CSNBRNGL after the daemon stopped");

    if (it_failures) {
        it_daemon_dump_log(&d);
        char *text = it_read_file(log2, NULL);
        it_log("second daemons' log:\n%s\n", text ? text : "(none)");
        free(text);
    }
    it_finish();
}
