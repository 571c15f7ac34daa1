/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csukeys --ks-reenc with a crash in the middle, then resume and audit.
 *
 *   test_ks2_reenc <csukeys>     N records (CSU_KS2_RECORDS, default 2000)
 *
 * An AES store of N records (AES v4 DATA keys, v5 CIPHER keys every tenth,
 * null records every fiftieth) under AES master key A; master key changed to
 * B; the tool runs in a child process and is SIGKILLed when its progress
 * passes N/2; the store then holds records under A and under B and nothing
 * else.  A second run resumes; a third run finds nothing to do.  Audit: every
 * record present (none lost, none added), each key under B, usable by label
 * with 0/0 (not 0/10001) and with the check value it had before (so none
 * was wrapped twice or damaged), null records still null.
 *
 * An in-process card belongs to one process at a time (card.lock), so every
 * step that calls a verb runs in a child of its own; results come back
 * through shared memory.  The parent never opens the card.
 */
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "ks2_util.h"

enum kind { K_V4, K_V5, K_NULL };

struct rec {
    enum kind kind;
    unsigned char vp[8];
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void label_of(long i, unsigned char label[64])
{
    char text[32];
    snprintf(text, sizeof(text), "RE.R%07ld", i);
    ks2_label(label, text);
}

static long kyt2_aes(unsigned char *id, long id_len, unsigned char vp[8], long *rc, long *rs)
{
    unsigned char ra[24];
    long count = ks2_words(ra, "GENERATE AES SHA-256"), zero = 0, vp_len = 8;
    CSNBKYT2(rc, rs, NULL, NULL, &count, ra, &id_len, id, &zero, NULL, &zero, NULL, &vp_len, vp);
    return vp_len;
}

/* An AES CIPHER (v5) key under the current master key; returns its length. */
static long aes_v5_key(const unsigned char *skel, long skel_len, unsigned char *tok)
{
    unsigned char ra[16];
    long rc, rs, count = ks2_words(ra, "AES OP"), zero = 0, bits = 256, len = BUF;
    memcpy(tok, skel, (size_t)skel_len);
    CSNBKGN2(&rc, &rs, &zero, NULL, &count, ra, &bits, (unsigned char *)"TOKEN   ", (unsigned char *)"        ", &zero,
             NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &len, tok, &zero, NULL);
    EXPECT(0, 0, rc, rs);
    return len;
}

static long v5_skeleton(unsigned char *tok)
{
    unsigned char ra[8 * 8];
    long rc, rs, count = ks2_words(ra, "INTERNAL NO-KEY AES CIPHER ANY-MODE"), zero = 0, len = BUF;
    CSNBKTB2(&rc, &rs, &zero, NULL, &count, ra, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL,
             &len, tok);
    EXPECT(0, 0, rc, rs);
    return len;
}

/* N records, each with the check value of its key. */
static void populate(struct rec *recs, long n, unsigned char old_mkvp[8])
{
    unsigned char skel[BUF], tok[BUF], label[64];
    long skel_len = v5_skeleton(skel), rc, rs, count = 0;
    for (long i = 0; i < n; i++) {
        long len = 0;
        recs[i].kind = i % 50 == 7 ? K_NULL : i % 10 == 3 ? K_V5 : K_V4;
        if (recs[i].kind == K_V4) {
            ks2_aes_v4_key(tok);
            len = 64;
            ks2_kyt_aes(tok, recs[i].vp, &rc, &rs);
            EXPECT(0, 0, rc, rs);
            memcpy(old_mkvp, tok + 8, 8);
        } else if (recs[i].kind == K_V5) {
            len = aes_v5_key(skel, skel_len, tok);
            kyt2_aes(tok, len, recs[i].vp, &rc, &rs);
            EXPECT(0, 0, rc, rs);
        }
        label_of(i, label);
        CSNBAKRC(&rc, &rs, NULL, NULL, &count, NULL, label, &len, tok);
        EXPECT(0, 0, rc, rs);
    }
}

/* Which master key a record's token is under: 'o' old, 'n' new, '0' null, '?' anything else. */
static char under(long i, const struct rec *r, const unsigned char old_mkvp[8], const unsigned char new_mkvp[8])
{
    unsigned char label[64], tok[BUF];
    long rc, rs;
    label_of(i, label);
    long len = ks2_akrr(label, tok, &rc, &rs);
    EXPECT(0, 0, rc, rs);
    if (r->kind == K_NULL) {
        static const unsigned char zero[64];
        return len == 64 && memcmp(tok, zero, 64) == 0 ? '0' : '?';
    }
    const unsigned char *vp = tok + (r->kind == K_V4 ? 8 : 10);
    return memcmp(vp, old_mkvp, 8) == 0 ? 'o' : memcmp(vp, new_mkvp, 8) == 0 ? 'n' : '?';
}

/* The tool in a child, stdout into a pipe; returns the pid and the read end. */
static pid_t start_tool(const char *tool, FILE **out)
{
    int fd[2];
    CHECK(pipe(fd) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        close(fd[1]);
        execl(tool, tool, "--ks-type=AES", "--ks-reenc", "--batch=64", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    *out = fdopen(fd[0], "r");
    CHECK(*out != NULL);
    return pid;
}

/* Run the tool to its end; returns its exit status and whether its output held @p needle. */
static int run_tool(const char *tool, const char *needle, bool *found)
{
    FILE *out;
    pid_t pid = start_tool(tool, &out);
    char line[512];
    *found = false;
    while (fgets(line, sizeof(line), out)) {
        if (needle && strstr(line, needle))
            *found = true;
        if (strncmp(line, "reenc ", 6) != 0)
            printf("  csukeys: %s", line);
    }
    fclose(out);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Start the tool and SIGKILL it once its progress passes @p at records. */
static void crash_tool(const char *tool, long at)
{
    FILE *out;
    pid_t pid = start_tool(tool, &out);
    char line[512];
    bool killed = false;
    while (!killed && fgets(line, sizeof(line), out)) {
        long seen = 0;
        if (sscanf(line, "reenc %ld/", &seen) == 1 && seen >= at) {
            kill(pid, SIGKILL);
            killed = true;
        }
    }
    fclose(out);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void audit(const struct rec *recs, long n, const unsigned char old_mkvp[8], const unsigned char new_mkvp[8])
{
    unsigned char label[64], vp[8];
    long rc, rs;
    for (long i = 0; i < n; i++) {
        char u = under(i, &recs[i], old_mkvp, new_mkvp);
        CHECK(u == (recs[i].kind == K_NULL ? '0' : 'n'));
        if (recs[i].kind == K_NULL)
            continue;
        label_of(i, label);
        if (recs[i].kind == K_V4)
            ks2_kyt_aes(label, vp, &rc, &rs);
        else
            kyt2_aes(label, 64, vp, &rc, &rs);
        EXPECT(0, 0, rc, rs);
        CHECK(memcmp(vp, recs[i].vp, 8) == 0);
    }
}

/* Labels the tool lists for RE.*: exactly N (none lost, none added). */
static long listed(const char *tool)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "'%s' --ks-type=AES --ks-list 'RE.*'", tool);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    long lines = 0;
    for (int c; (c = fgetc(p)) != EOF;)
        lines += c == '\n';
    CHECK(pclose(p) == 0);
    return lines;
}

/* What the steps hand each other (MAP_SHARED). */
struct shared {
    long n;
    unsigned char old_mkvp[8], new_mkvp[8];
    long counts[256];
    double t_pop;
    struct rec recs[];
};

/* Run @p step in a child process (it owns the in-process card while it runs). */
static void in_child(void (*step)(struct shared *), struct shared *sh)
{
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        step(sh);
        fflush(stdout);
        _exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Master key A, N records under it, then master key B. */
static void step_populate(struct shared *sh)
{
    unsigned char tok[64];
    ks2_mkp("AES-MK", "CLEAR");
    ks2_mk_change("AES-MK");
    ks2_ksi("AES");
    double t0 = now();
    populate(sh->recs, sh->n, sh->old_mkvp);
    sh->t_pop = now() - t0;
    ks2_mk_change("AES-MK");
    ks2_aes_v4_key(tok);
    memcpy(sh->new_mkvp, tok + 8, 8);
}

static void step_count(struct shared *sh)
{
    memset(sh->counts, 0, sizeof(sh->counts));
    for (long i = 0; i < sh->n; i++)
        sh->counts[(unsigned char)under(i, &sh->recs[i], sh->old_mkvp, sh->new_mkvp)]++;
}

static void step_audit(struct shared *sh)
{
    audit(sh->recs, sh->n, sh->old_mkvp, sh->new_mkvp);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *tool = argv[1];
    const char *env = getenv("CSU_KS2_RECORDS");
    long n = env ? atol(env) : 2000;
    CHECK(n >= 200);
    char dir[64];
    ks2_environment(dir);
    size_t size = sizeof(struct shared) + (size_t)n * sizeof(struct rec);
    struct shared *sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sh != MAP_FAILED);
    sh->n = n;
    in_child(step_populate, sh);
    CHECK(memcmp(sh->old_mkvp, sh->new_mkvp, 8) != 0);

    double t0 = now();
    crash_tool(tool, n / 2);
    double t_crash = now() - t0;
    in_child(step_count, sh);
    const long *c = sh->counts;
    printf("after SIGKILL: %ld under the new MK, %ld under the old, %ld null, %ld other\n", c['n'], c['o'], c['0'],
           c['?']);
    CHECK(c['n'] > 0 && c['o'] > 0 && c['?'] == 0);
    CHECK(c['n'] + c['o'] + c['0'] == n);
    long left = c['o'];

    bool resumed, nothing;
    t0 = now();
    CHECK(run_tool(tool, "resuming after", &resumed) == 0);
    double t_resume = now() - t0;
    CHECK(resumed);
    in_child(step_audit, sh);
    CHECK(listed(tool) == n);
    t0 = now();
    CHECK(run_tool(tool, " 0 re-enciphered", &nothing) == 0); /* a second pass wraps nothing again */
    double t_again = now() - t0;
    CHECK(nothing);
    in_child(step_audit, sh);
    printf("records %ld: create %.0f/s; re-encipher until SIGKILL %.2f s, resume (%ld records) %.2f s = %.0f "
           "records/s; pass over current records %.2f s\n",
           n, n / sh->t_pop, t_crash, left, t_resume, left / t_resume, t_again);
    munmap(sh, size);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
