/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_keycache: what the card's key cache buys (docs/key-cache.md).
 *
 * One run, socket transport: a csucard daemon (--workers 1) is started twice,
 * with its key cache on (the default) and off (--key-cache-entries 0); a
 * forked client (CSU_CARD is read once per process) loads the AES and APKA
 * master keys, makes one RSA-2048, one ECC P-256 and one AES-256 (v4) token,
 * and times, one call at a time:
 *   RSA-2048 sign   CSNDDSG RSA PKCS-1.1 over a 32-byte hash
 *   ECDSA P-256     CSNDDSG ECDSA over a 32-byte hash
 *   AES-256-CBC     CSNBSAE AES KEYIDENT INITIAL, 16 bytes
 * beside raw OpenSSL in this process with the key built once: EVP_PKEY_sign
 * (a new EVP_PKEY_CTX per call, as the card makes one) and EVP_EncryptInit /
 * Update / Final on a reused context.  Prints a Markdown table.
 *
 * Floors (cache on): RSA-2048 sign >= 90 % and ECDSA P-256 >= 80 % of raw
 * OpenSSL.  Exit 0 floors met, 1 a floor missed, 2 could not measure.
 *
 * With two or more CPUs the caller (and raw OpenSSL) runs pinned to one CPU
 * and csucard to another, as a card is a device of its own (--no-pin: the
 * scheduler's choice).
 *
 *   usage: bench_keycache [--seconds N] [--no-pin] [--csucard PATH]
 */
#include <errno.h>
#include <libgen.h>
#include <sched.h>
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

#define OPS 3
#define TOK 2500
#define FLOOR_RSA 0.90
#define FLOOR_ECDSA 0.80

static const char *const op_names[OPS] = {"RSA-2048 sign (PKCS-1.1)", "ECDSA P-256 sign", "AES-256-CBC 16 B"};
static double seconds = 2.0;

/* CPUs for the caller and the card: -1 when not pinned. */
static int caller_cpu = -1, card_cpu = -1;

static void pin_to(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

/* The first two CPUs this process may use; false with fewer than two. */
static bool choose_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0 || CPU_COUNT(&set) < 2)
        return false;
    for (int i = 0; i < CPU_SETSIZE && card_cpu < 0; i++)
        if (CPU_ISSET(i, &set)) {
            if (caller_cpu < 0)
                caller_cpu = i;
            else
                card_cpu = i;
        }
    return true;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void words(unsigned char *rules, const char *list, long *count)
{
    *count = 0;
    for (const char *w = list; *w; (*count)++) {
        const char *end = strchr(w, ' ');
        size_t n = end ? (size_t)(end - w) : strlen(w);
        memset(rules + 8 * *count, ' ', 8);
        memcpy(rules + 8 * *count, w, n);
        w = end ? end + 1 : w + n;
    }
}

/* Calls per second of @p fn (false from fn: failed), after a short warm-up. */
static double rate(bool (*fn)(void *), void *arg)
{
    for (int i = 0; i < 20; i++)
        if (!fn(arg))
            return -1;
    long n = 0;
    double start = now(), t;
    do {
        for (int i = 0; i < 10; i++, n++)
            if (!fn(arg))
                return -1;
        t = now() - start;
    } while (t < seconds);
    return (double)n / t;
}

/* ---- raw OpenSSL -------------------------------------------------------------- */

struct raw {
    EVP_PKEY *pk;
    int padding;
    EVP_CIPHER_CTX *cc;
};

static const unsigned char hash[32] = "0123456789abcdef0123456789abcde";
static const unsigned char aes_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static bool raw_sign(void *arg)
{
    struct raw *r = arg;
    unsigned char sig[512];
    size_t len = sizeof(sig);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, r->pk, NULL);
    bool ok = c && EVP_PKEY_sign_init(c) == 1 && (!r->padding || EVP_PKEY_CTX_set_rsa_padding(c, r->padding) == 1) &&
              EVP_PKEY_sign(c, sig, &len, hash, sizeof(hash)) == 1;
    EVP_PKEY_CTX_free(c);
    return ok;
}

static bool raw_aes(void *arg)
{
    struct raw *r = arg;
    unsigned char iv[16] = {0}, out[32];
    int n = 0, m = 0;
    return EVP_EncryptInit_ex(r->cc, EVP_aes_256_cbc(), NULL, aes_key, iv) == 1 &&
           EVP_CIPHER_CTX_set_padding(r->cc, 0) == 1 && EVP_EncryptUpdate(r->cc, out, &n, hash, 16) == 1 &&
           EVP_EncryptFinal_ex(r->cc, out + n, &m) == 1;
}

static bool raw_rates(double out[OPS])
{
    struct raw rsa = {EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), RSA_PKCS1_PADDING, NULL};
    struct raw ec = {EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), 0, NULL};
    struct raw aes = {NULL, 0, EVP_CIPHER_CTX_new()};
    bool ok = rsa.pk && ec.pk && aes.cc;
    if (ok) {
        out[0] = rate(raw_sign, &rsa);
        out[1] = rate(raw_sign, &ec);
        out[2] = rate(raw_aes, &aes);
    }
    EVP_PKEY_free(rsa.pk);
    EVP_PKEY_free(ec.pk);
    EVP_CIPHER_CTX_free(aes.cc);
    return ok && out[0] > 0 && out[1] > 0 && out[2] > 0;
}

/* ---- through the card (runs in a forked client) ------------------------------------ */

struct card_key {
    unsigned char tok[TOK];
    long len;
    const char *rules;
};

static bool card_sign(void *arg)
{
    struct card_key *k = arg;
    unsigned char rules[16], sig[512];
    long rc, rs, count, data_len = 32, sig_len = sizeof(sig), bits = 0;
    words(rules, k->rules, &count);
    CSNDDSG(&rc, &rs, NULL, NULL, &count, rules, &k->len, k->tok, &data_len, (unsigned char *)hash, &sig_len, &bits,
            sig);
    return rc == 0;
}

static bool card_aes(void *arg)
{
    struct card_key *k = arg;
    unsigned char rules[24], iv[16] = {0}, chain[32], out[32];
    long rc, rs, count, zero = 0, block = 16, iv_len = 16, chain_len = 32, in_len = 16, out_len = sizeof(out);
    words(rules, "AES KEYIDENT INITIAL", &count);
    CSNBSAE(&rc, &rs, &zero, NULL, &count, rules, &k->len, k->tok, &zero, NULL, &block, &iv_len, iv, &chain_len,
            chain, &in_len, (unsigned char *)hash, &out_len, out, &zero, NULL);
    return rc == 0;
}

static bool mkp(const char *list)
{
    unsigned char rules[16];
    long rc, rs, count;
    words(rules, list, &count);
    CSNBMKP(&rc, &rs, NULL, NULL, &count, rules, NULL);
    return rc == 0;
}

/* Internal PKA key: CSNDPKB skeleton, CSNDPKG MASTER. */
static bool pka_key(const char *type, const unsigned char *kvs, long kvs_len, struct card_key *k)
{
    unsigned char rules[24], skel[TOK] = {0}, transport[64] = {0};
    long rc, rs, count, zero = 0, skel_len = TOK;
    words(rules, type, &count);
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, (unsigned char *)kvs, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, &skel_len, skel);
    if (rc != 0)
        return false;
    words(rules, "MASTER", &count);
    k->len = TOK;
    CSNDPKG(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL, &skel_len, skel, transport, &k->len, k->tok);
    return rc == 0;
}

static bool card_ready(void)
{
    for (int i = 0; i < 600; i++) {
        unsigned char rules[8];
        long rc, rs, count, zero = 0;
        words(rules, "STATCCA", &count);
        CSUACFQ(&rc, &rs, NULL, NULL, &count, rules, &zero, NULL);
        if (rc == 0)
            return true;
        usleep(100000);
    }
    return false;
}

static bool card_rates(double out[OPS])
{
    static struct card_key rsa = {.rules = "RSA PKCS-1.1"}, ec = {.rules = "ECDSA"}, aes;
    static const unsigned char rsa_kvs[21] = {0x08, 0x00, 0, 0, 0, 3, [18] = 1, [20] = 1};
    static const unsigned char ec_kvs[8] = {0x00, 0, 0x01, 0x00};
    if (!card_ready() || !mkp("AES-MK RANDOM") || !mkp("AES-MK SET") || !mkp("APKA-MK RANDOM") ||
        !mkp("APKA-MK SET") || !pka_key("RSA-CRT SIG-ONLY", rsa_kvs, sizeof(rsa_kvs), &rsa) ||
        !pka_key("ECC-PAIR SIG-ONLY", ec_kvs, sizeof(ec_kvs), &ec))
        return false;
    unsigned char rules[8];
    long rc, rs, count, key_len = 32;
    words(rules, "AES", &count);
    aes.len = 64;
    CSNBCKM(&rc, &rs, NULL, NULL, &count, rules, &key_len, (unsigned char *)aes_key, aes.tok);
    if (rc != 0)
        return false;
    out[0] = rate(card_sign, &rsa);
    out[1] = rate(card_sign, &ec);
    out[2] = rate(card_aes, &aes);
    return out[0] > 0 && out[1] > 0 && out[2] > 0;
}

/* ---- daemon ------------------------------------------------------------------------ */

static pid_t start_daemon(const char *csucard, const char *state, const char *sock, bool cache)
{
    pid_t pid = fork();
    if (pid == 0) {
        pin_to(card_cpu);
        if (cache)
            execl(csucard, "csucard", "--state", state, "--socket", sock, "--workers", "1", (char *)NULL);
        else
            execl(csucard, "csucard", "--state", state, "--socket", sock, "--workers", "1", "--key-cache-entries", "0",
                  (char *)NULL);
        _exit(127);
    }
    for (int i = 0; pid > 0 && i < 600; i++) {
        struct stat st;
        if (stat(sock, &st) == 0)
            return pid;
        usleep(50000);
    }
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    return -1;
}

/* One configuration: daemon plus forked client; rates through a pipe. */
static bool measure(const char *csucard, const char *dir, bool cache, double out[OPS])
{
    char state[PATH_MAX], sock[PATH_MAX], card[PATH_MAX + 8];
    snprintf(state, sizeof(state), "%s/state-%s", dir, cache ? "on" : "off");
    snprintf(sock, sizeof(sock), "%s/%s.sock", dir, cache ? "on" : "off");
    snprintf(card, sizeof(card), "unix:%s", sock);
    pid_t daemon = start_daemon(csucard, state, sock, cache);
    if (daemon < 0)
        return false;
    int p[2];
    bool ok = pipe(p) == 0;
    fflush(NULL);
    pid_t client = ok ? fork() : -1;
    if (client == 0) {
        close(p[0]);
        pin_to(caller_cpu);
        double r[OPS] = {0};
        bool good = setenv("CSU_CARD", card, 1) == 0 && card_rates(r);
        ssize_t w = write(p[1], r, sizeof(r));
        _exit(good && w == (ssize_t)sizeof(r) ? 0 : 1);
    }
    int status = 1;
    if (client > 0) {
        close(p[1]);
        ok = read(p[0], out, sizeof(double) * OPS) == (ssize_t)(sizeof(double) * OPS);
        close(p[0]);
        ok = waitpid(client, &status, 0) == client && WIFEXITED(status) && WEXITSTATUS(status) == 0 && ok;
    }
    kill(daemon, SIGTERM);
    waitpid(daemon, NULL, 0);
    return ok && client > 0;
}

int main(int argc, char **argv)
{
    char csucard[PATH_MAX];
    char self[PATH_MAX];
    snprintf(self, sizeof(self), "%s", argv[0]);
    snprintf(csucard, sizeof(csucard), "%s/csucard", dirname(self));
    bool pin = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--no-pin") == 0)
            pin = false;
        else if (strcmp(argv[i], "--csucard") == 0 && i + 1 < argc)
            snprintf(csucard, sizeof(csucard), "%s", argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--seconds N] [--no-pin] [--csucard PATH]\n", argv[0]);
            return 2;
        }
    }
    if (pin && choose_cpus())
        pin_to(caller_cpu); /* raw OpenSSL runs here, on the caller's CPU */
    char dir[] = "/tmp/bench-keycache-XXXXXX";
    if (!mkdtemp(dir))
        return 2;
    double raw[OPS], on[OPS], off[OPS];
    bool ok = raw_rates(raw) && measure(csucard, dir, true, on) && measure(csucard, dir, false, off);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_keycache: could not remove %s\n", dir);
    if (!ok) {
        fprintf(stderr, "bench_keycache: could not measure (csucard at %s?)\n", csucard);
        return 2;
    }
    if (card_cpu >= 0)
        printf("caller and raw OpenSSL pinned to CPU %d, csucard to CPU %d\n\n", caller_cpu, card_cpu);
    printf("| Operation (1 caller, unix socket, csucard --workers 1) | raw OpenSSL, key preloaded | key cache on | key cache off |\n");
    printf("|---|---:|---:|---:|\n");
    for (int i = 0; i < OPS; i++)
        printf("| %s | %.0f/s | %.0f/s (%.0f %%) | %.0f/s (%.0f %%) |\n", op_names[i], raw[i], on[i],
               100.0 * on[i] / raw[i], off[i], 100.0 * off[i] / raw[i]);
    bool floors = on[0] >= FLOOR_RSA * raw[0] && on[1] >= FLOOR_ECDSA * raw[1];
    printf("\nfloors (cache on): RSA-2048 sign >= %.0f %% of raw: %.1f %%; ECDSA P-256 >= %.0f %%: %.1f %% -> %s\n",
           100 * FLOOR_RSA, 100.0 * on[0] / raw[0], 100 * FLOOR_ECDSA, 100.0 * on[1] / raw[1],
           floors ? "met" : "MISSED");
    return floors ? 0 : 1;
}
