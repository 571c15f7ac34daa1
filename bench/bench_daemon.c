/* SPDX-License-Identifier: Apache-2.0 */
/* A throwaway csucard for the benchmarks (see bench_daemon.h). */
#include "bench_daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_sleep(double seconds)
{
    if (seconds <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)seconds, .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

pid_t bench_daemon_start(const char *csucard, const char *state, const char *sock, const char *log,
                         const char *const *extra, int n_extra)
{
    if (n_extra < 0 || n_extra > BENCH_DAEMON_MAX_ARGS)
        return -1;
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* Not left serving if the benchmark is killed: SIGTERM when the parent dies. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        _exit(127);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
    }
    const char *argv[8 + BENCH_DAEMON_MAX_ARGS] = {"csucard", "--state", state, "--socket", sock, "--workers", "2"};
    for (int i = 0; i < n_extra; i++)
        argv[7 + i] = extra[i];
    execv(csucard, (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", csucard, strerror(errno));
    _exit(127);
}

bool bench_daemon_wait_socket(pid_t *pid, const char *sock, double limit)
{
    for (double deadline = bench_now() + limit; bench_now() < deadline; bench_sleep(0.02)) {
        struct stat st;
        if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
            return true;
        int status;
        if (waitpid(*pid, &status, WNOHANG) == *pid) {
            *pid = -1; /* reaped */
            fprintf(stderr, "csucard exited (status 0x%x) before serving its socket\n", status);
            return false;
        }
    }
    fprintf(stderr, "no socket %s after %.0f s\n", sock, limit);
    return false;
}

bool bench_set_process_affinity(pid_t pid, const cpu_set_t *set)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool ok = true;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.' && sched_setaffinity((pid_t)atoi(e->d_name), sizeof(*set), set) != 0 &&
            errno != ESRCH)
            ok = false;
    closedir(d);
    return ok;
}

bool bench_daemon_stop(pid_t pid)
{
    if (kill(pid, SIGTERM) != 0)
        return false;
    int status;
    for (double deadline = bench_now() + 10; bench_now() < deadline; bench_sleep(0.02)) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (w < 0)
            return false;
    }
    fprintf(stderr, "csucard ignored SIGTERM for 10 s: killing it\n");
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return false;
}

void bench_show_log(const char *log)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char line[512];
    fprintf(stderr, "--- csucard log ---\n");
    while (fgets(line, sizeof(line), f))
        fputs(line, stderr);
    fclose(f);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void bench_remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

bool bench_find_csucard(const char *given, char *out, size_t len)
{
    if (given) {
        if (len < PATH_MAX || !realpath(given, out)) {
            fprintf(stderr, "%s: %s\n", given, strerror(errno));
            return false;
        }
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
            return false;
        self[n] = '\0';
        if (snprintf(out, len, "%s/csucard", dirname(self)) >= (int)len)
            return false;
    }
    if (access(out, X_OK) != 0) {
        fprintf(stderr, "%s: not an executable (give --csucard PATH)\n", out);
        return false;
    }
    return true;
}
