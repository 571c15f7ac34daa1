/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers of the integration tests (see daemon_util.h). */
#include "daemon_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CSUCARD_PATH
#error "CSUCARD_PATH must name the csucard binary (set by tests/integration/CMakeLists.txt)"
#endif

extern char **environ;

int it_failures;

static const char *test_name = "integration";
static int64_t test_start_ns;

/* Processes to kill and directories to remove when the test ends. */
#define MAX_PIDS 64
#define MAX_DIRS 16
static volatile pid_t pids[MAX_PIDS];
static char dirs[MAX_DIRS][128];
static int dir_count;

/* ---- checks and logging ------------------------------------------------- */

void it_log(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    double t = test_start_ns ? (double)(it_now_ns() - test_start_ns) / 1e9 : 0.0;
    fprintf(stderr, "[%s +%.3fs] %s", test_name, t, line);
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\n')
        fflush(stderr);
}

void it_log_more(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

void it_known_bug(const char *id, const char *file, int line)
{
    const char *strict = getenv("IT_STRICT");
    bool fail = strict && strcmp(strict, "1") == 0;
    if (fail)
        it_failures++;
    it_log("KNOWN BUG %s%s %s:%d: ", id, fail ? " (IT_STRICT=1: counted as a failure)" : "", file, line);
}

static void register_pid(pid_t pid)
{
    for (int i = 0; i < MAX_PIDS; i++)
        if (pids[i] == 0) {
            pids[i] = pid;
            return;
        }
    it_log("too many child processes registered\n");
}

void it_forget_pid(pid_t pid)
{
    for (int i = 0; i < MAX_PIDS; i++)
        if (pids[i] == pid)
            pids[i] = 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void cleanup(void)
{
    for (int i = 0; i < MAX_PIDS; i++) {
        pid_t pid = pids[i];
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            pids[i] = 0;
        }
    }
    for (int i = 0; i < dir_count; i++)
        if (dirs[i][0])
            nftw(dirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    dir_count = 0;
}

static void watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "integration test: watchdog expired, killing children\n";
    ssize_t w = write(2, msg, sizeof(msg) - 1);
    (void)w;
    for (int i = 0; i < MAX_PIDS; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGKILL);
    _exit(1);
}

void it_begin(const char *name, unsigned watchdog_seconds)
{
    test_name = name;
    test_start_ns = it_now_ns();
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE must kill the test, not pass unnoticed */
    struct sigaction sa = {.sa_handler = watchdog};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm(watchdog_seconds);
    atexit(cleanup);
}

_Noreturn void it_finish(void)
{
    alarm(0);
    if (it_failures)
        it_log("FAILED: %d check(s) failed\n", it_failures);
    else
        it_log("PASSED\n");
    exit(it_failures ? 1 : 0);
}

/* ---- time --------------------------------------------------------------- */

int64_t it_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void it_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- the daemon ----------------------------------------------------------- */

const char *it_csucard_path(void)
{
    return CSUCARD_PATH;
}

void it_daemon_init(struct it_daemon *d)
{
    memset(d, 0, sizeof(*d));
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || tmp[0] != '/' || strlen(tmp) > 60)
        tmp = "/tmp";
    snprintf(d->dir, sizeof(d->dir), "%s/csuit.XXXXXX", tmp);
    REQUIRE(mkdtemp(d->dir) != NULL, "mkdtemp %s: %s", d->dir, strerror(errno));
    REQUIRE(dir_count < MAX_DIRS, "too many temporary directories");
    snprintf(dirs[dir_count++], sizeof(dirs[0]), "%s", d->dir);
    snprintf(d->state, sizeof(d->state), "%s/state", d->dir);
    snprintf(d->sock, sizeof(d->sock), "%s/card.sock", d->dir);
    snprintf(d->log, sizeof(d->log), "%s/csucard.log", d->dir);
    REQUIRE(strlen(d->sock) < 100, "socket path too long: %s", d->sock);
}

/* In the child after fork: only async-signal-safe calls until exec. */
static void child_setup(pid_t parent, const char *out_path, bool out_err)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    int in = open("/dev/null", O_RDONLY);
    if (in >= 0) {
        dup2(in, 0);
        if (in != 0)
            close(in);
    }
    if (out_path) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd < 0)
            _exit(127);
        dup2(fd, 1);
        if (out_err)
            dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
}

pid_t it_spawn_csucard(const char *state, const char *sock, const char *log, const char *const extra[])
{
    const char *argv[32];
    int n = 0;
    argv[n++] = "csucard";
    argv[n++] = "--state";
    argv[n++] = state;
    argv[n++] = "--socket";
    argv[n++] = sock;
    for (int i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    const char *path = it_csucard_path();
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        child_setup(parent, log, true);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    register_pid(pid);
    return pid;
}

int it_connect_unix(const char *sock)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t n = strlen(sock);
    if (n >= sizeof(addr.sun_path))
        return -1;
    memcpy(addr.sun_path, sock, n + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* The probe holds its connection a few milliseconds, like a real client;
 * test_connection_churn.c covers connections closed at once. */
bool it_socket_accepts(const char *sock)
{
    int fd = it_connect_unix(sock);
    if (fd < 0)
        return false;
    it_sleep_ms(5);
    close(fd);
    return true;
}

bool it_wait_exit(pid_t pid, int timeout_ms, int *status)
{
    int64_t deadline = it_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            it_forget_pid(pid);
            if (status)
                *status = st;
            return true;
        }
        if (r < 0 && errno != EINTR) {
            it_forget_pid(pid);
            if (status)
                *status = -1;
            return true;
        }
        if (it_now_ns() >= deadline)
            return false;
        it_sleep_ms(2);
    }
}

bool it_wait_socket(const char *sock, pid_t pid, int timeout_ms)
{
    int64_t deadline = it_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if (it_socket_accepts(sock))
            return true;
        if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid) {
            it_forget_pid(pid);
            return false;
        }
        if (it_now_ns() >= deadline)
            return false;
        it_sleep_ms(2);
    }
}

int it_daemon_start(struct it_daemon *d, const char *const extra[], int timeout_ms)
{
    d->pid = it_spawn_csucard(d->state, d->sock, d->log, extra);
    if (d->pid < 0) {
        d->pid = 0;
        return -1;
    }
    if (!it_wait_socket(d->sock, d->pid, timeout_ms)) {
        int st;
        if (!it_wait_exit(d->pid, 0, &st)) {
            kill(d->pid, SIGKILL);
            it_wait_exit(d->pid, 5000, &st);
        }
        d->pid = 0;
        return -1;
    }
    return 0;
}

bool it_daemon_stop(struct it_daemon *d, int sig, int timeout_ms, int *status)
{
    if (d->pid <= 0)
        return false;
    kill(d->pid, sig);
    bool exited = it_wait_exit(d->pid, timeout_ms, status);
    if (!exited) {
        kill(d->pid, SIGKILL);
        it_wait_exit(d->pid, 10000, NULL);
    }
    d->pid = 0;
    return exited;
}

void it_daemon_dump_log(const struct it_daemon *d)
{
    size_t len;
    char *text = it_read_file(d->log, &len);
    it_log("---- %s ----\n", d->log);
    if (text)
        fwrite(text, 1, len, stderr);
    fprintf(stderr, "---- end of log ----\n");
    free(text);
}

/* ---- helper processes ------------------------------------------------------ */

pid_t it_spawn_self(char *const argv[], char *const env_set[], const char *out_path)
{
    /* The environment is built before fork: the child must not allocate. */
    size_t n_env = 0, n_set = 0;
    while (environ[n_env])
        n_env++;
    while (env_set && env_set[n_set])
        n_set++;
    char **env = calloc(n_env + n_set + 1, sizeof(*env));
    if (!env)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++) {
        bool replaced = false;
        for (size_t j = 0; j < n_set; j++) {
            const char *eq = strchr(env_set[j], '=');
            size_t name_len = eq ? (size_t)(eq - env_set[j]) + 1 : strlen(env_set[j]);
            if (strncmp(environ[i], env_set[j], name_len) == 0)
                replaced = true;
        }
        if (!replaced)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < n_set; j++)
        env[k++] = env_set[j];
    env[k] = NULL;
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        child_setup(parent, out_path, false);
        execve("/proc/self/exe", argv, env);
        _exit(127);
    }
    free(env);
    if (pid > 0)
        register_pid(pid);
    return pid;
}

char *it_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        cap *= 2;
        char *bigger = realloc(buf, cap + 1);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

/* ---- verbs ------------------------------------------------------------------ */

long it_query2(const char *kw1, const char *kw2, long *rc, long *rs, unsigned char elements[][8])
{
    unsigned char rules[64][8]; /* the card never returns more than 64 elements (wire limit) */
    memset(rules, ' ', sizeof(rules));
    memcpy(rules[0], kw1, strnlen(kw1, 8));
    long count = 1;
    if (kw2) {
        memcpy(rules[1], kw2, strnlen(kw2, 8));
        count = 2;
    }
    long verb_data_length = 0;
    *rc = *rs = -1;
    CSUACFQ(rc, rs, NULL, NULL, &count, (unsigned char *)rules, &verb_data_length, NULL);
    if (elements) {
        long copy = count < IT_MAX_ELEMENTS ? count : IT_MAX_ELEMENTS;
        if (copy > 0)
            memcpy(elements, rules, (size_t)copy * 8);
    }
    return count;
}

const char *it_element(unsigned char elements[][8], long i, char out[9])
{
    memcpy(out, elements[i], 8);
    out[8] = '\0';
    for (int k = 7; k >= 0 && (out[k] == ' ' || out[k] == '\0'); k--)
        out[k] = '\0';
    return out;
}

void it_rngl(long len, unsigned char *out, long *rc, long *rs)
{
    unsigned char rule[8] = {'R', 'A', 'N', 'D', 'O', 'M', ' ', ' '};
    long count = 1, reserved_length = 0, length = len;
    *rc = *rs = -1;
    CSNBRNGL(rc, rs, NULL, NULL, &count, rule, &reserved_length, NULL, &length, out);
}

bool it_wait_post(const char *state, int timeout_ms)
{
    int64_t deadline = it_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        unsigned char e[IT_MAX_ELEMENTS][8];
        long rc, rs;
        long n = it_query("STATPOST", &rc, &rs, e);
        char text[9];
        if (rc == 0 && n >= 1 && strcmp(it_element(e, 0, text), state) == 0)
            return true;
        if (it_now_ns() >= deadline)
            return false;
        it_sleep_ms(20);
    }
}

void it_setenv(const char *name, const char *value)
{
    REQUIRE(setenv(name, value, 1) == 0, "setenv %s", name);
}
