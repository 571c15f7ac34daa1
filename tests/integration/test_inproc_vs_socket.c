/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration 5: the in-process card and the daemon answer alike.
 *
 * The same sequence of calls runs in two fresh child processes (this binary
 * with --child): one with CSU_CARD=unix:<socket of a daemon>, then - after
 * the daemon has stopped and saved its state - one with
 * CSU_CARD=inproc:<the same state directory>, so that even the state-derived
 * answers (serial number, EID) must agree.  Each child prints one line per
 * call: label, return code, reason code, element count and the elements
 * (time-dependent ones masked).  The parent requires the two transcripts to
 * be identical and checks the expected codes and element counts.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "daemon_util.h"

/* ---- the child: run the calls, print the transcript ---- */

static void print_line(const char *label, long rc, long rs, long n, unsigned char (*e)[8], bool mask)
{
    printf("%s|%ld|%ld|%ld|", label, rc, rs, n);
    if (rc < 8 && e)
        for (long i = 0; i < n && i < IT_MAX_ELEMENTS; i++)
            printf("%s%.8s", i ? "," : "", mask ? "********" : (const char *)e[i]);
    printf("\n");
}

static void query_line(const char *label, const char *kw1, const char *kw2, bool mask)
{
    unsigned char e[IT_MAX_ELEMENTS][8];
    long rc, rs;
    long n = it_query2(kw1, kw2, &rc, &rs, e);
    print_line(label, rc, rs, n, e, mask);
}

/* CSUACFQ with an explicit rule count (the words are STATCCA ADAPTER1 STATAES). */
static void query_count_line(const char *label, long count, long verb_data_length)
{
    unsigned char rules[64][8];
    memset(rules, ' ', sizeof(rules));
    memcpy(rules[0], "STATCCA", 7);
    memcpy(rules[1], "ADAPTER1", 8);
    memcpy(rules[2], "STATAES", 7);
    long rc = -1, rs = -1, n = count, vdl = verb_data_length;
    CSUACFQ(&rc, &rs, NULL, NULL, &n, (unsigned char *)rules, &vdl, NULL);
    print_line(label, rc, rs, n, rules, false);
}

static bool parity_ok(const unsigned char *p, long n, int want_odd)
{
    for (long i = 0; i < n; i++)
        if ((__builtin_popcount(p[i]) & 1) != want_odd)
            return false;
    return true;
}

static void rng_line(const char *label, const char *form_word)
{
    unsigned char form[8], out[8];
    memset(form, ' ', 8);
    memcpy(form, form_word, strlen(form_word));
    long rc = -1, rs = -1;
    CSNBRNG(&rc, &rs, NULL, NULL, form, out);
    const char *parity = "-";
    if (rc == 0 && strcmp(form_word, "ODD") == 0)
        parity = parity_ok(out, 8, 1) ? "odd-ok" : "odd-BAD";
    if (rc == 0 && strcmp(form_word, "EVEN") == 0)
        parity = parity_ok(out, 8, 0) ? "even-ok" : "even-BAD";
    printf("%s|%ld|%ld|%s\n", label, rc, rs, parity);
}

static void rngl_line(const char *label, long count, const char *form_word, long reserved_length, long length,
                      bool null_output)
{
    static unsigned char out[8200];
    unsigned char rules[16];
    unsigned char reserved[8] = {0};
    memset(rules, ' ', sizeof(rules));
    memcpy(rules, form_word, strlen(form_word));
    long rc = -1, rs = -1, n = count, rl = reserved_length, len = length;
    CSNBRNGL(&rc, &rs, NULL, NULL, &n, rules, &rl, reserved, &len, null_output ? NULL : out);
    const char *parity = "-";
    if (rc == 0 && strncmp(form_word, "ODD", 3) == 0)
        parity = parity_ok(out, len, 1) ? "odd-ok" : "odd-BAD";
    printf("%s|%ld|%ld|len=%ld|%s\n", label, rc, rs, len, parity);
}

static void cfv_line(const char *label, long length)
{
    unsigned char data[32];
    memset(data, 'x', sizeof(data));
    long rc = -1, rs = -1, len = length;
    CSUACFV(&rc, &rs, NULL, NULL, &len, data);
    printf("%s|%ld|%ld|len=%ld|", label, rc, rs, len);
    if (rc == 0)
        for (long i = 0; i < len && i < (long)sizeof(data); i++)
            printf(data[i] >= 0x20 && data[i] < 0x7f ? "%c" : "\\x%02x", data[i]);
    printf("\n");
}

static int child(void)
{
    it_begin("inproc_vs_socket-child", 50);
    if (!it_wait_post("PASSED", 20000)) {
        printf("POST did not pass\n");
        return 1;
    }
    query_line("STATPOST", "STATPOST", NULL, false);
    query_line("STATCCA", "STATCCA", NULL, false);
    query_line("STATCCAE", "STATCCAE", NULL, false);
    query_line("STATAES", "STATAES", NULL, false);
    query_line("STATAPKA", "STATAPKA", NULL, false);
    query_line("STATCARD", "STATCARD", NULL, false);
    query_line("STATCRD2", "STATCRD2", NULL, false);
    query_line("STATEID", "STATEID", NULL, false);
    query_line("STATEXPT", "STATEXPT", NULL, false);
    query_line("TIMEDATE", "TIMEDATE", NULL, true);
    query_line("ADAPTER1+STATCCA", "ADAPTER1", "STATCCA", false);
    query_line("statcca(lower)", "statcca", NULL, false);
    query_line("STATMOFN", "STATMOFN", NULL, false);
    query_count_line("rule_count=0", 0, 0);
    query_count_line("rule_count=3", 3, 0);
    query_count_line("verb_data_length=-1", 1, -1);
    query_line("BOGUS", "BOGUS   ", NULL, false);
    query_line("STATCCA+STATAES", "STATCCA", "STATAES", false);
    query_line("ADAPTER1-only", "ADAPTER1", NULL, false);
    query_line("STATDIAG", "STATDIAG", NULL, false);
    cfv_line("CSUACFV", 17);
    cfv_line("CSUACFV(32)", 32);
    cfv_line("CSUACFV(16)", 16);
    rng_line("CSNBRNG-RANDOM", "RANDOM");
    rng_line("CSNBRNG-ODD", "ODD");
    rng_line("CSNBRNG-EVEN", "EVEN");
    rng_line("CSNBRNG-BOGUS", "BOGUS");
    rngl_line("CSNBRNGL-32", 1, "RANDOM", 0, 32, false);
    rngl_line("CSNBRNGL-8192", 1, "RANDOM", 0, 8192, false);
    rngl_line("CSNBRNGL-ODD-1000", 1, "ODD", 0, 1000, false);
    rngl_line("CSNBRNGL-len0", 1, "RANDOM", 0, 0, false);
    rngl_line("CSNBRNGL-len8193", 1, "RANDOM", 0, 8193, false);
    rngl_line("CSNBRNGL-NULL", 1, "RANDOM", 0, 32, true);
    rngl_line("CSNBRNGL-count0", 0, "RANDOM", 0, 32, false);
    rngl_line("CSNBRNGL-count3", 3, "RANDOM", 0, 32, false);
    rngl_line("CSNBRNGL-TDES-CBC", 1, "TDES-CBC", 0, 32, false);
    rngl_line("CSNBRNGL-RANDOM+ODD", 2, "RANDOM  ODD", 0, 32, false);
    rngl_line("CSNBRNGL-reserved4", 1, "RANDOM", 4, 32, false);
    query_line("STATDIAG-again", "STATDIAG", NULL, false);
    return 0;
}

/* ---- the parent ---- */

struct expect {
    const char *label;
    long rc, rs, n; /* n < 0: not checked (no element count on this line) */
    const char *extra; /* substring the line must contain, or NULL */
};

static const struct expect expects[] = {
    {"STATPOST", 0, 0, 2, "PASSED"},
    {"STATCCA", 0, 0, 6, "7.5.52"},
    {"STATCCAE", 0, 0, 9, "7.5.52"},
    {"STATAES", 0, 0, 4, NULL},
    {"STATAPKA", 0, 0, 3, NULL},
    {"STATCARD", 0, 0, 15, NULL},
    {"STATCRD2", 0, 0, 15, NULL},
    {"STATEID", 0, 0, 2, NULL},
    {"STATEXPT", 0, 0, 6, NULL},
    {"TIMEDATE", 0, 0, 3, NULL},
    {"ADAPTER1+STATCCA", 0, 0, 6, NULL},
    {"statcca(lower)", 0, 0, 6, NULL},
    {"STATMOFN", 8, 335, -1, NULL},
    {"rule_count=0", 8, 35, -1, NULL},
    {"rule_count=3", 8, 35, -1, NULL},
    {"verb_data_length=-1", 8, 72, -1, NULL},
    {"BOGUS", 8, 33, -1, NULL},
    {"STATCCA+STATAES", 8, 34, -1, NULL},
    {"ADAPTER1-only", 8, 129, -1, NULL},
    {"STATDIAG", 0, 0, 17, NULL},
    {"CSUACFV", 0, 0, -1, "len=17|7.5.52c "},
    {"CSUACFV(32)", 0, 0, -1, "len=17|7.5.52c "},
    {"CSUACFV(16)", 8, 72, -1, NULL},
    {"CSNBRNG-RANDOM", 0, 0, -1, NULL},
    {"CSNBRNG-ODD", 0, 0, -1, "odd-ok"},
    {"CSNBRNG-EVEN", 0, 0, -1, "even-ok"},
    {"CSNBRNG-BOGUS", 8, 33, -1, NULL},
    {"CSNBRNGL-32", 0, 0, -1, "len=32"},
    {"CSNBRNGL-8192", 0, 0, -1, "len=8192"},
    {"CSNBRNGL-ODD-1000", 0, 0, -1, "odd-ok"},
    {"CSNBRNGL-len0", 8, 72, -1, NULL},
    {"CSNBRNGL-len8193", 8, 72, -1, NULL},
    {"CSNBRNGL-NULL", 8, 184, -1, NULL},
    {"CSNBRNGL-count0", 8, 35, -1, NULL},
    {"CSNBRNGL-count3", 8, 35, -1, NULL},
    {"CSNBRNGL-TDES-CBC", 8, 33, -1, NULL},
    {"CSNBRNGL-RANDOM+ODD", 8, 34, -1, NULL},
    {"CSNBRNGL-reserved4", 8, 72, -1, NULL},
    {"STATDIAG-again", 0, 0, 17, "CSNBRNGL"},
};

/* The line of @p text starting with "label|", or NULL. */
static const char *find_line(const char *text, const char *label, char *out, size_t out_len)
{
    size_t n = strlen(label);
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > n && strncmp(p, label, n) == 0 && p[n] == '|') {
            snprintf(out, out_len, "%.*s", (int)len, p);
            return out;
        }
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

static void check_expectations(const char *which, const char *text)
{
    for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++) {
        const struct expect *x = &expects[i];
        char line[1024];
        if (!find_line(text, x->label, line, sizeof(line))) {
            CHECK(false, "%s: no line for %s", which, x->label);
            continue;
        }
        long rc = -1, rs = -1, n = -1;
        int got = sscanf(line, "%*[^|]|%ld|%ld|%ld", &rc, &rs, &n);
        CHECK(got >= 2 && rc == x->rc && rs == x->rs, "%s: %s: want %ld/%ld: %s", which, x->label, x->rc, x->rs,
              line);
        if (x->n >= 0)
            CHECK(got == 3 && n == x->n, "%s: %s: want %ld elements: %s", which, x->label, x->n, line);
        if (x->extra)
            CHECK(strstr(line, x->extra) != NULL, "%s: %s: want '%s': %s", which, x->label, x->extra, line);
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--child") == 0)
        return child();

    it_begin("inproc_vs_socket", 55);
    struct it_daemon d;
    it_daemon_init(&d);
    const char *const args[] = {"--workers", "2", NULL};
    REQUIRE(it_daemon_start(&d, args, 10000) == 0, "csucard did not start");

    char out_unix[200], out_inproc[200], env_unix[220], env_inproc[220];
    snprintf(out_unix, sizeof(out_unix), "%s/transcript.unix", d.dir);
    snprintf(out_inproc, sizeof(out_inproc), "%s/transcript.inproc", d.dir);
    snprintf(env_unix, sizeof(env_unix), "CSU_CARD=unix:%s", d.sock);
    snprintf(env_inproc, sizeof(env_inproc), "CSU_CARD=inproc:%s", d.state);
    char *child_argv[] = {argv[0], "--child", NULL};
    int status = -1;

    /* Socket first, against the running daemon. */
    char *env_a[] = {env_unix, NULL};
    pid_t pid = it_spawn_self(child_argv, env_a, out_unix);
    REQUIRE(pid > 0, "cannot spawn the unix child");
    REQUIRE(it_wait_exit(pid, 40000, &status), "unix child did not finish");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "unix child status 0x%x", status);

    /* The daemon saves its state on SIGTERM; the in-process card loads it. */
    CHECK(it_daemon_stop(&d, SIGTERM, 10000, &status), "daemon did not stop on SIGTERM");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon exit status 0x%x", status);
    char *env_b[] = {env_inproc, NULL};
    pid = it_spawn_self(child_argv, env_b, out_inproc);
    REQUIRE(pid > 0, "cannot spawn the inproc child");
    REQUIRE(it_wait_exit(pid, 40000, &status), "inproc child did not finish");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "inproc child status 0x%x", status);

    char *a = it_read_file(out_unix, NULL);
    char *b = it_read_file(out_inproc, NULL);
    REQUIRE(a && b, "missing transcripts");
    check_expectations("unix", a);
    check_expectations("inproc", b);

    /* Line by line. */
    int lines = 0, differ = 0;
    char *sa, *sb;
    char *la = strtok_r(a, "\n", &sa);
    char *lb = strtok_r(b, "\n", &sb);
    while (la || lb) {
        lines++;
        if (!la || !lb || strcmp(la, lb) != 0) {
            differ++;
            it_log("DIFF unix:   %s\n", la ? la : "(none)");
            it_log("     inproc: %s\n", lb ? lb : "(none)");
        }
        la = la ? strtok_r(NULL, "\n", &sa) : NULL;
        lb = lb ? strtok_r(NULL, "\n", &sb) : NULL;
    }
    it_log("%d transcript lines compared, %d differ\n", lines, differ);
    CHECK(differ == 0, "%d of %d lines differ between unix and inproc", differ, lines);
    CHECK(lines == (int)(sizeof(expects) / sizeof(expects[0])), "%d lines, want %zu", lines,
          sizeof(expects) / sizeof(expects[0]));
    if (it_failures) {
        it_log("unix transcript: %s\n", out_unix);
        char *again = it_read_file(out_unix, NULL);
        fprintf(stderr, "%s", again ? again : "");
        free(again);
        it_daemon_dump_log(&d);
    }
    free(a);
    free(b);
    it_finish();
}
