/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_keygen: key generations per second through CSNDPKB (skeleton) +
 * CSNDPKG (MASTER) on the Unix-socket transport, against OpenSSL's own
 * EVP_PKEY_keygen in the same run, for RSA-2048 (e = 65537) and ECC P-256.
 *
 * The card's cost includes what OpenSSL's bare keygen does not: two round
 * trips, the pairwise-consistency test (sign/verify, and encrypt/decrypt
 * for RSA), the OPK and payload wraps.  Two more columns separate those: the
 * card's CSNDPKG alone (one skeleton, made once, reused: one round trip per
 * key), and OpenSSL keygen plus the card's PCT in process (the keygen
 * context kept, as the card keeps it; the PCT done as the card does it:
 * SHA-256 of a fixed message made once, sign and verify on one context).
 * The floor line compares the first column with bare EVP_PKEY_keygen on a
 * fresh context, as the issue states it.
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

static bool make_skeleton(const struct kind *k, unsigned char skeleton[BUF], long *sk_len)
{
    long rc, rs, count = 1, kvs_len = k->kvs_len;
    unsigned char rules[8];
    pad(rules, k->pkb_type);
    *sk_len = BUF;
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, (unsigned char *)k->kvs, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, NULL, sk_len, skeleton);
    if (rc != 0)
        fprintf(stderr, "CSNDPKB: %ld/%ld\n", rc, rs);
    return rc == 0;
}

static bool card_generate(unsigned char *skeleton, long sk_len)
{
    long rc, rs, count = 1, key_len = BUF, zero = 0;
    unsigned char rules[8], key[BUF], transport[64] = {0};
    pad(rules, "MASTER");
    CSNDPKG(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &sk_len, skeleton, transport, &key_len, key);
    if (rc != 0)
        fprintf(stderr, "CSNDPKG: %ld/%ld\n", rc, rs);
    return rc == 0;
}

/* What a client does per key: build the skeleton, generate. */
static bool card_keygen(const struct kind *k)
{
    unsigned char skeleton[BUF];
    long sk_len;
    return make_skeleton(k, skeleton, &sk_len) && card_generate(skeleton, sk_len);
}

static EVP_PKEY_CTX *keygen_ctx(const struct kind *k)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, k->rsa ? "RSA" : "EC", NULL);
    if (ctx && EVP_PKEY_keygen_init(ctx) == 1 &&
        (k->rsa ? EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) : EVP_PKEY_CTX_set_group_name(ctx, "prime256v1")) ==
            1)
        return ctx;
    EVP_PKEY_CTX_free(ctx);
    return NULL;
}

/* Bare keygen as the issue measures it: a fresh context per key. */
static EVP_PKEY *openssl_keygen(const struct kind *k)
{
    EVP_PKEY_CTX *ctx = keygen_ctx(k);
    EVP_PKEY *pk = NULL;
    if (ctx)
        EVP_PKEY_generate(ctx, &pk);
    EVP_PKEY_CTX_free(ctx);
    return pk;
}

static bool sign_setup(EVP_PKEY_CTX *c, bool rsa)
{
    return !rsa || (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
                    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1);
}

/* The card's PCT (card/pka_keygen.c), redone in process: sign/verify, RSA raw encrypt/decrypt. */
static bool pct(EVP_PKEY *pk, bool rsa, const unsigned char digest[32])
{
    unsigned char sig[512], m[256] = {0}, c[256], m2[256];
    size_t sig_len = sizeof(sig), c_len = sizeof(c), m2_len = sizeof(m2);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    bool ok = ctx && EVP_PKEY_sign_init(ctx) == 1 && sign_setup(ctx, rsa) &&
              EVP_PKEY_sign(ctx, sig, &sig_len, digest, 32) == 1 && EVP_PKEY_verify_init(ctx) == 1 &&
              sign_setup(ctx, rsa) && EVP_PKEY_verify(ctx, sig, sig_len, digest, 32) == 1;
    if (ok && rsa) {
        m[1] = 0x5a, m[255] = 0x01;
        ok = EVP_PKEY_encrypt_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
             EVP_PKEY_encrypt(ctx, c, &c_len, m, 256) == 1 && EVP_PKEY_decrypt_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
             EVP_PKEY_decrypt(ctx, m2, &m2_len, c, 256) == 1;
    }
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

enum side { CARD, CARD_PKG, OPENSSL, OPENSSL_PCT, SIDES };

/* What one side needs made once: a skeleton, a keygen context, the PCT digest. */
struct prepared {
    unsigned char skeleton[BUF];
    long sk_len;
    EVP_PKEY_CTX *keygen;
    unsigned char digest[32];
};

static bool one_key(const struct kind *k, enum side side, struct prepared *o)
{
    if (side == CARD)
        return card_keygen(k);
    if (side == CARD_PKG)
        return card_generate(o->skeleton, o->sk_len);
    EVP_PKEY *pk = NULL;
    if (side == OPENSSL)
        pk = openssl_keygen(k);
    else if (EVP_PKEY_generate(o->keygen, &pk) != 1)
        pk = NULL;
    bool ok = pk && (side == OPENSSL || pct(pk, k->rsa, o->digest));
    EVP_PKEY_free(pk);
    return ok;
}

/* Generate for @p seconds (at least one key); adds to count and elapsed. */
static bool measure(const struct kind *k, enum side side, struct prepared *o, double seconds, long *count,
                    double *elapsed)
{
    double start = now(), t = start;
    do {
        if (!one_key(k, side, o))
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

static bool prepare(const struct kind *k, struct prepared *o)
{
    static const char msg[] = "bench pct";
    unsigned md_len = 0;
    o->keygen = keygen_ctx(k);
    return o->keygen && make_skeleton(k, o->skeleton, &o->sk_len) &&
           EVP_Digest(msg, sizeof(msg), o->digest, &md_len, EVP_sha256(), NULL) == 1;
}

/* Rates of every side for one kind, alternating sides in ROUNDS rounds. */
static bool rates(const struct kind *k, double seconds, double rate[SIDES], long count[SIDES])
{
    struct prepared o;
    double elapsed[SIDES] = {0};
    bool ok = prepare(k, &o);
    for (int r = 0; ok && r < ROUNDS; r++)
        for (int s = 0; ok && s < SIDES; s++)
            ok = measure(k, (enum side)s, &o, seconds / ROUNDS, &count[s], &elapsed[s]);
    EVP_PKEY_CTX_free(o.keygen);
    for (int s = 0; ok && s < SIDES; s++)
        rate[s] = (double)count[s] / elapsed[s];
    return ok;
}

static int run(const struct kind *kinds, int n, double rsa_seconds)
{
    int result = 0;
    printf("| key | card: CSNDPKB+CSNDPKG, socket (keys/s) | card: CSNDPKG alone, skeleton reused (keys/s) | "
           "OpenSSL EVP_PKEY_keygen (keys/s) | OpenSSL keygen + PCT (keys/s) | card / OpenSSL | "
           "card / (OpenSSL + PCT) | floor | result |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        double rate[SIDES];
        long count[SIDES] = {0};
        if (!rates(&kinds[i], kinds[i].rsa ? rsa_seconds : rsa_seconds / 4, rate, count))
            return 2;
        double ratio = rate[CARD] / rate[OPENSSL];
        bool pass = ratio >= FLOOR;
        printf("| %s | %.1f (%ld) | %.1f (%ld) | %.1f (%ld) | %.1f (%ld) | %.2f | %.2f | >= %.2f | %s |\n",
               kinds[i].name, rate[CARD], count[CARD], rate[CARD_PKG], count[CARD_PKG], rate[OPENSSL],
               count[OPENSSL], rate[OPENSSL_PCT], count[OPENSSL_PCT], ratio, rate[CARD] / rate[OPENSSL_PCT], FLOOR,
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
