/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ABI sweep of the built libcsulcca.so: dlopen() it and call every name of
 * exported-symbols.txt (each verb and its _32 alias) with return_code and
 * reason_code and every other argument NULL.  Each verb must answer return
 * code 8 (or 12/338 when it needs the card, which is made unreachable) with a
 * non-zero reason, and must not crash; with return_code and/or reason_code
 * NULL it must return without crashing and without writing the other one.
 * Also: the export list matches csu/verb_table.def, internal symbols are not
 * reachable with dlsym, and verbs that do reach for the card get 12/338.
 * (The nm -D comparison of the export list is check_exports.cmake.)
 *
 * Usage: test_abi LIBCSULCCA.so exported-symbols.txt
 *
 * Calling a verb through a pointer to a function of another type is
 * undefined in ISO C but well defined on x86-64 System V, the only ABI this
 * library targets: every parameter of every verb is a pointer (INTEGER
 * class), the first six travel in rdi, rsi, rdx, rcx, r8, r9 and the rest in
 * 8-byte stack slots in order; the caller reserves and removes those slots
 * (caller cleanup), and the verbs return void and are not variadic.  So a
 * callee reads its k-th parameter from the same place whatever type the
 * caller used, and ignores any extra arguments.  We pass SWEEP_ARGS (64)
 * pointers rather than 40 because the widest verb, CSNBDPC, has 55
 * parameters: with 40 its parameters 41..55 would be read from whatever lies
 * in the caller's frame, not NULL.  The test checks every verb's parameter
 * count (from verb_table.def) against SWEEP_ARGS.  Each call runs in a
 * forked child so that a crash names the verb instead of ending the sweep.
 */
#include <setjmp.h> /* cmocka needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SWEEP_ARGS 64

/* ---- the verb table, with each verb's parameter count ------------------- */

#define PP_NARG(...) PP_ARG_N(__VA_ARGS__, PP_RSEQ_N)
#define PP_ARG_N(...) PP_ARG_N_(__VA_ARGS__)
#define PP_ARG_N_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, \
                  a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35, a36, a37, a38, a39, a40,  \
                  a41, a42, a43, a44, a45, a46, a47, a48, a49, a50, a51, a52, a53, a54, a55, a56, a57, a58, a59,  \
                  a60, a61, a62, a63, a64, a65, a66, a67, a68, a69, a70, N, ...)                                 \
    N
#define PP_RSEQ_N                                                                                                 \
    70, 69, 68, 67, 66, 65, 64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44,   \
        43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18,   \
        17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1

struct verb_info {
    const char *name;
    int params;
};

static const struct verb_info table[] = {
#define CSU_VERB(name, family, state, params) {#name, PP_NARG params},
#include "verb_table.def"
#undef CSU_VERB
};
#define TABLE_SIZE (sizeof(table) / sizeof(table[0]))

typedef void (*sweep_fn)(void *, void *, void *, void *, void *, void *, void *, void *, void *, void *, void *,
                         void *, void *, void *, void *, void *, void *, void *, void *, void *, void *, void *,
                         void *, void *, void *, void *, void *, void *, void *, void *, void *, void *, void *,
                         void *, void *, void *, void *, void *, void *, void *, void *, void *, void *, void *,
                         void *, void *, void *, void *, void *, void *, void *, void *, void *, void *, void *,
                         void *, void *, void *, void *, void *, void *, void *, void *, void *);

#define N62                                                                                                       \
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,   \
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,     \
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,     \
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL

/* ---- inputs ----------------------------------------------------------------- */

static const char *lib_path, *symbols_path;
static void *lib;
static char **names;
static size_t name_count;

static void load_names(void)
{
    FILE *f = fopen(symbols_path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s\n", symbols_path, strerror(errno));
        exit(1);
    }
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        names = realloc(names, (name_count + 1) * sizeof(*names));
        if (!names || !(names[name_count] = strdup(line)))
            exit(1);
        name_count++;
    }
    fclose(f);
}

static int table_has(const char *name)
{
    size_t n = strlen(name);
    if (n > 3 && strcmp(name + n - 3, "_32") == 0)
        n -= 3;
    for (size_t i = 0; i < TABLE_SIZE; i++)
        if (strlen(table[i].name) == n && strncmp(table[i].name, name, n) == 0)
            return 1;
    return 0;
}

static int names_have(const char *name)
{
    for (size_t i = 0; i < name_count; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* ---- tests ------------------------------------------------------------------ */

/* exported-symbols.txt is exactly the table's verbs plus their _32 aliases, all within SWEEP_ARGS. */
static void test_table(void **state)
{
    (void)state;
    assert_int_equal(name_count, 2 * TABLE_SIZE);
    int widest = 0;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        char alias[64];
        snprintf(alias, sizeof(alias), "%s_32", table[i].name);
        if (!names_have(table[i].name) || !names_have(alias))
            fail_msg("%s (or its _32 alias) is missing from %s", table[i].name, symbols_path);
        if (table[i].params < 2 || table[i].params > SWEEP_ARGS)
            fail_msg("%s has %d parameters; the sweep passes %d", table[i].name, table[i].params, SWEEP_ARGS);
        if (table[i].params > widest)
            widest = table[i].params;
    }
    for (size_t i = 0; i < name_count; i++)
        if (!table_has(names[i]))
            fail_msg("%s is exported but not in verb_table.def", names[i]);
    print_message("%zu verbs, widest has %d parameters\n", TABLE_SIZE, widest);
}

/* dlsym finds every exported name, the alias is the verb itself, internals stay hidden. */
static void test_symbols(void **state)
{
    (void)state;
    for (size_t i = 0; i < name_count; i++)
        if (!dlsym(lib, names[i]))
            fail_msg("dlsym(%s): %s", names[i], dlerror());
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        char alias[64];
        snprintf(alias, sizeof(alias), "%s_32", table[i].name);
        assert_ptr_equal(dlsym(lib, table[i].name), dlsym(lib, alias));
    }
    static const char *const internal[] = {"csu_call",          "csu_wire_encode", "csu_wire_decode_reply",
                                           "csu_rules_parse",   "csu_err_to_cca",  "card_open",
                                           "card_process",      "csu_transport_open", "fw_csuacfq",
                                           "card_drbg_generate"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        if (dlsym(lib, internal[i]))
            fail_msg("internal symbol %s is visible", internal[i]);
}

enum stage { ST_CODES = 1, ST_RC_ONLY, ST_RS_ONLY, ST_ALL_NULL };

struct record {
    int stage;
    long rc, rs;
};

static const char *stage_name(int stage)
{
    switch (stage) {
    case ST_CODES: return "with return/reason codes";
    case ST_RC_ONLY: return "with reason_code NULL";
    case ST_RS_ONLY: return "with return_code NULL";
    case ST_ALL_NULL: return "with every argument NULL";
    default: return "?";
    }
}

#define SENTINEL 0x5a5a5a5aL

/* In the child: the four calls, a record after each. */
static void child_calls(sweep_fn fn, int out)
{
    struct record r = {ST_CODES, SENTINEL, SENTINEL};
    fn(&r.rc, &r.rs, N62);
    if (write(out, &r, sizeof(r)) != (ssize_t)sizeof(r))
        _exit(3);
    r = (struct record){ST_RC_ONLY, SENTINEL, SENTINEL};
    fn(&r.rc, NULL, N62);
    if (write(out, &r, sizeof(r)) != (ssize_t)sizeof(r))
        _exit(3);
    r = (struct record){ST_RS_ONLY, SENTINEL, SENTINEL};
    fn(NULL, &r.rs, N62);
    if (write(out, &r, sizeof(r)) != (ssize_t)sizeof(r))
        _exit(3);
    r = (struct record){ST_ALL_NULL, SENTINEL, SENTINEL};
    fn(NULL, NULL, N62);
    if (write(out, &r, sizeof(r)) != (ssize_t)sizeof(r))
        _exit(3);
    _exit(0); /* no atexit handlers, no leak report from a child */
}

static void test_sweep(void **state)
{
    (void)state;
    int by_rc[3] = {0, 0, 0}; /* 8, 12, other */
    int unavailable = 0, null_pointer = 0;
    for (size_t i = 0; i < name_count; i++) {
        sweep_fn fn;
        void *sym = dlsym(lib, names[i]);
        assert_non_null(sym);
        memcpy(&fn, &sym, sizeof(fn)); /* object -> function pointer, as POSIX dlsym requires */
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_calls(fn, fds[1]);
        }
        close(fds[1]);
        struct record recs[4];
        int got = 0;
        ssize_t n;
        while (got < 4 && (n = read(fds[0], &recs[got], sizeof(recs[got]))) == (ssize_t)sizeof(recs[got]))
            got++;
        close(fds[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status))
            fail_msg("%s crashed (signal %d) %s", names[i], WTERMSIG(status), stage_name(got + 1));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != 4)
            fail_msg("%s: child exited %d after %d calls (%s)", names[i], WEXITSTATUS(status), got,
                     stage_name(got + 1));
        const struct record *r = &recs[0];
        if (!((r->rc == 8 && r->rs != 0) || (r->rc == 12 && r->rs == 338)))
            fail_msg("%s: got %ld/%ld with NULL arguments, want 8/nonzero (or 12/338)", names[i], r->rc, r->rs);
        by_rc[r->rc == 8 ? 0 : r->rc == 12 ? 1 : 2]++;
        unavailable += r->rc == 8 && r->rs == 335;
        null_pointer += r->rc == 8 && r->rs == 184;
        if (recs[1].rc != SENTINEL)
            fail_msg("%s wrote return_code (%ld) with reason_code NULL", names[i], recs[1].rc);
        if (recs[2].rs != SENTINEL)
            fail_msg("%s wrote reason_code (%ld) with return_code NULL", names[i], recs[2].rs);
    }
    print_message("%zu symbols: %d answered 8 (%d x 8/335, %d x 8/184), %d answered 12/338\n", name_count,
                  by_rc[0], unavailable, null_pointer, by_rc[1]);
}

/* Valid calls of verbs that need the card: CSU_CARD names a socket that does not exist -> 12/338. */
static void test_card_unreachable(void **state)
{
    (void)state;
    typedef void (*rng_fn)(long *, long *, long *, unsigned char *, unsigned char *, unsigned char *);
    typedef void (*node_fn)(long *, long *, long *, unsigned char *, long *, unsigned char *, long *,
                            unsigned char *);
    rng_fn rng;
    node_fn cfq;
    void *sym = dlsym(lib, "CSNBRNG");
    assert_non_null(sym);
    memcpy(&rng, &sym, sizeof(rng));
    sym = dlsym(lib, "CSUACFQ");
    assert_non_null(sym);
    memcpy(&cfq, &sym, sizeof(cfq));

    long rc = -1, rs = -1;
    unsigned char form[8] = {'R', 'A', 'N', 'D', 'O', 'M', ' ', ' '};
    unsigned char out[8] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
    rng(&rc, &rs, NULL, NULL, form, out);
    assert_int_equal(rc, 12);
    assert_int_equal(rs, 338);
    for (int i = 0; i < 8; i++)
        assert_int_equal(out[i], 0xee); /* outputs untouched */

    unsigned char rules[8 * 16];
    memset(rules, ' ', sizeof(rules));
    memcpy(rules, "STATCCA", 7);
    long count = 1, vlen = 0;
    rc = rs = -1;
    cfq(&rc, &rs, NULL, NULL, &count, rules, &vlen, NULL);
    assert_int_equal(rc, 12);
    assert_int_equal(rs, 338);
    assert_int_equal(count, 1);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s libcsulcca.so exported-symbols.txt\n", argv[0]);
        return 2;
    }
    lib_path = argv[1];
    symbols_path = argv[2];
    /* Device CRP01 is a unix socket in a directory that no longer exists. */
    char dir[] = "/tmp/csu-abi-XXXXXX";
    if (!mkdtemp(dir) || rmdir(dir) != 0) {
        perror("mkdtemp");
        return 1;
    }
    char spec[128];
    snprintf(spec, sizeof(spec), "unix:%s/no-such-card.sock", dir);
    setenv("CSU_CARD", spec, 1);
    unsetenv("CSU_DEFAULT_ADAPTER");
    load_names();
    lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen(%s): %s\n", lib_path, dlerror());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_symbols),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_card_unreachable),
    };
    int rc = cmocka_run_group_tests_name("abi", tests, NULL, NULL);
    for (size_t i = 0; i < name_count; i++)
        free(names[i]);
    free(names);
    /* the library stays loaded: its transports may still be referenced by thread-specific data */
    return rc;
}
