/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_keygen: key generations per second through CSNDPKB (skeleton) +
 * CSNDPKG (MASTER) on the Unix-socket transport, against OpenSSL's own
 * EVP_PKEY_keygen in the same run, for RSA-2048 (e = 65537) and ECC P-256.
 *
 * The card's cost includes what OpenSSL's bare keygen does not: two round
 * trips, the pairwise-consistency test (sign/verify, and encrypt/decrypt
 * for RSA), the OPK and payload wraps.  A third column shows OpenSSL keygen
 * plus the same PCT, in process, to separate the two.
 *
 * The daemon is started here (`csucard --state DIR --socket PATH`, in a
 * mkdtemp directory), the APKA master key loaded with CSNBMKP RANDOM + SET,
 * and it is stopped with SIGTERM at the end.  Measurements alternate in
 * rounds so that drift affects both sides alike.
 *
 *   usage: bench_keygen [--seconds N] [--csucard PATH]
 *          (N: seconds per side for RSA, default 20; ECC gets N/4)
 *   exit:  0 floor met (card >= 90 % of OpenSSL keygen), 1 missed, 2 error
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "csulincl.h"

#define FLOOR 0.90
#define ROUNDS 4
#define BUF 2500

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pad(unsigned char *slot, const char *word)
{
    memset(slot, ' ', 8);
    memcpy(slot, word, strlen(word));
}

/* ---- the three things measured ------------------------------------------------ */

struct kind {
    const char *name;
    const char *pkb_type;
    unsigned char kvs[21];
    long kvs_len;
    bool rsa;
};

static bool card_keygen(const struct kind *k)
{
    long rc, rs, count = 1, kvs_len = k->kvs_len, sk_len = BUF, key_len = BUF, zero = 0;
    unsigned char rules[8], skeleton[BUF], key[BUF], transport[64] = {0};
    pad(rules, k->pkb_type);
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, (unsigned char *)k->kvs, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, NULL, &sk_len, skeleton);
    if (rc != 0) {
        fprintf(stderr, "CSNDPKB: %ld/%ld\n", rc, rs);
        return false;
    }
    pad(rules, "MASTER");
    CSNDPKG(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &sk_len, skeleton, transport, &key_len, key);
    if (rc != 0)
        fprintf(stderr, "CSNDPKG: %ld/%ld\n", rc, rs);
    return rc == 0;
}

static EVP_PKEY *openssl_keygen(const struct kind *k)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, k->rsa ? "RSA" : "EC", NULL);
    EVP_PKEY *pk = NULL;
    if (ctx && EVP_PKEY_keygen_init(ctx) == 1 &&
        (k->rsa ? EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) : EVP_PKEY_CTX_set_group_name(ctx, "prime256v1")) ==
            1)
        EVP_PKEY_generate(ctx, &pk);
    EVP_PKEY_CTX_free(ctx);
    return pk;
}

/* The card's PCT, redone in process: sign/verify, RSA raw encrypt/decrypt. */
static bool pct(EVP_PKEY *pk, bool rsa)
{
    static const unsigned char msg[] = "bench pct";
    unsigned char sig[512], m[256] = {0}, c[256], m2[256];
    size_t sig_len = sizeof(sig), c_len = sizeof(c), m2_len = sizeof(m2);
    EVP_MD_CTX *s = EVP_MD_CTX_new();
    bool ok = EVP_DigestSignInit_ex(s, NULL, "SHA256", NULL, NULL, pk, NULL) == 1 &&
              EVP_DigestSign(s, sig, &sig_len, msg, sizeof(msg)) == 1 &&
              EVP_DigestVerifyInit_ex(s, NULL, "SHA256", NULL, NULL, pk, NULL) == 1 &&
              EVP_DigestVerify(s, sig, sig_len, msg, sizeof(msg)) == 1;
    EVP_MD_CTX_free(s);
    if (!ok || !rsa)
        return ok;
    m[1] = 0x5a, m[255] = 0x01;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    ok = EVP_PKEY_encrypt_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
         EVP_PKEY_encrypt(ctx, c, &c_len, m, 256) == 1 && EVP_PKEY_decrypt_init(ctx) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 && EVP_PKEY_decrypt(ctx, m2, &m2_len, c, 256) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

enum side { CARD, OPENSSL, OPENSSL_PCT, SIDES };

/* Generate for @p seconds (at least one key); adds to count and elapsed. */
static bool measure(const struct kind *k, enum side side, double seconds, long *count, double *elapsed)
{
    double start = now(), t = start;
    do {
        bool ok;
        if (side == CARD) {
            ok = card_keygen(k);
        } else {
            EVP_PKEY *pk = openssl_keygen(k);
            ok = pk && (side == OPENSSL || pct(pk, k->rsa));
            EVP_PKEY_free(pk);
        }
        if (!ok)
            return false;
        ++*count;
        t = now();
    } while (t - start < seconds);
    *elapsed += t - start;
    return true;
}

/* ---- the daemon --------------------------------------------------------------------- */

static pid_t start_daemon(const char *csucard, const char *state, const char *sock, const char *log)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (freopen(log, "w", stdout) && freopen(log, "a", stderr)) {
        execl(csucard, "csucard", "--state", state, "--socket", sock, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", csucard, strerror(errno));
    }
    _exit(127);
}

static bool wait_ready(pid_t pid, const char *sock)
{
    double deadline = now() + 60;
    struct stat st;
    while (now() < deadline && stat(sock, &st) != 0) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return false;
        usleep(20000);
    }
    while (now() < deadline) {
        long rc, rs, count = 1, vd_len = 0;
        unsigned char rules[8 * 32];
        pad(rules, "STATCCA");
        CSUACFQ(&rc, &rs, NULL, NULL, &count, rules, &vd_len, NULL);
        if (rc == 0)
            return true;
        usleep(50000);
    }
    return false;
}

static bool load_apka_mk(void)
{
    const char *actions[] = {"RANDOM", "SET"};
    for (int i = 0; i < 2; i++) {
        long rc, rs, count = 2;
        unsigned char rules[16];
        pad(rules, "APKA-MK");
        pad(rules + 8, actions[i]);
        CSNBMKP(&rc, &rs, NULL, NULL, &count, rules, NULL);
        if (rc != 0) {
            fprintf(stderr, "CSNBMKP APKA-MK %s: %ld/%ld\n", actions[i], rc, rs);
            return false;
        }
    }
    return true;
}

static void stop_daemon(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 500 && waitpid(pid, NULL, WNOHANG) != pid; i++)
        usleep(20000);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, WNOHANG);
}

/* ---- main ----------------------------------------------------------------------------- */

static int run(const struct kind *kinds, int n, double rsa_seconds)
{
    int result = 0;
    printf("| key | card: CSNDPKB+CSNDPKG, socket (keys/s) | OpenSSL EVP_PKEY_keygen (keys/s) | "
           "OpenSSL keygen + PCT (keys/s) | card / OpenSSL | floor | result |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        double seconds = kinds[i].rsa ? rsa_seconds : rsa_seconds / 4, elapsed[SIDES] = {0};
        long count[SIDES] = {0};
        for (int r = 0; r < ROUNDS; r++)
            for (int s = 0; s < SIDES; s++)
                if (!measure(&kinds[i], (enum side)s, seconds / ROUNDS, &count[s], &elapsed[s]))
                    return 2;
        double rate[SIDES];
        for (int s = 0; s < SIDES; s++)
            rate[s] = (double)count[s] / elapsed[s];
        double ratio = rate[CARD] / rate[OPENSSL];
        bool pass = ratio >= FLOOR;
        printf("| %s | %.1f (%ld) | %.1f (%ld) | %.1f (%ld) | %.2f | >= %.2f | %s |\n", kinds[i].name, rate[CARD],
               count[CARD], rate[OPENSSL], count[OPENSSL], rate[OPENSSL_PCT], count[OPENSSL_PCT], ratio, FLOOR,
               pass ? "PASS" : "FAIL");
        if (!pass)
            result = 1;
    }
    printf("\n%s\n", result ? "FAIL" : "PASS");
    return result;
}

int main(int argc, char **argv)
{
    double seconds = 20;
    char csucard[PATH_MAX];
    char self[PATH_MAX];
    snprintf(self, sizeof(self), "%s", argv[0]);
    snprintf(csucard, sizeof(csucard), "%s/csucard", dirname(self));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--csucard") == 0 && i + 1 < argc)
            snprintf(csucard, sizeof(csucard), "%s", argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--seconds N] [--csucard PATH]\n", argv[0]);
            return 2;
        }
    }
    if (seconds <= 0)
        seconds = 1;
    char dir[] = "/tmp/bench-keygen-XXXXXX", state[PATH_MAX], sock[PATH_MAX], log[PATH_MAX], card[PATH_MAX + 8];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(state, sizeof(state), "%s/state", dir);
    snprintf(sock, sizeof(sock), "%s/card.sock", dir);
    snprintf(log, sizeof(log), "%s/csucard.log", dir);
    snprintf(card, sizeof(card), "unix:%s", sock);
    setenv("CSU_CARD", card, 1);
    pid_t pid = start_daemon(csucard, state, sock, log);
    int result = 2;
    if (pid > 0 && wait_ready(pid, sock) && load_apka_mk()) {
        const struct kind kinds[] = {
            {"RSA-2048, e = 65537", "RSA-CRT", {0x08, 0x00, 0, 0, 0, 3, [18] = 0x01, 0x00, 0x01}, 21, true},
            {"ECC P-256", "ECC-PAIR", {0x00, 0x00, 0x01, 0x00}, 8, false},
        };
        printf("bench_keygen: %s, %.0f s per side for RSA, %.0f s for ECC, %d alternating rounds\n\n", csucard,
               seconds, seconds / 4, ROUNDS);
        result = run(kinds, 2, seconds);
    } else {
        fprintf(stderr, "bench_keygen: the daemon did not become ready (log: %s)\n", log);
    }
    if (pid > 0)
        stop_daemon(pid);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (result != 2 && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return result;
}
