/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_crypto: the everyday cryptographic verbs, each beside raw OpenSSL
 * EVP doing the same work with the same key in the same run, with 1 and 2
 * calling threads, over the Unix socket (a csucard daemon, --workers 2,
 * started here) and through the in-process card:
 *
 *   RSA-2048 and RSA-4096 sign   CSNDDSG PKCS-1.1 over a SHA-256 DigestInfo
 *                                (EVP_PKEY_sign, PKCS#1 v1.5 padding, same input)
 *   ECDSA P-256 sign             CSNDDSG ECDSA over a 32-byte hash (EVP_PKEY_sign)
 *   AES-256-CBC 16 B/1 KiB/64 KiB CSNBSAE AES CBC with a v4 DATA token (CSNBCKM)
 *                                (EVP_EncryptInit_ex2 + Update + Final, key set up per call
 *                                as the card must)
 *   HMAC-SHA-256 1 KiB           CSNBHMG with a v5 HMAC MAC token (EVP_MAC, key per call)
 *   SHA-256 1 KiB                CSNBOWH SHA-256 ONLY (EVP_Digest)
 *
 * The keys are made once by OpenSSL in this process; each transport's card
 * gets random AES and APKA master keys and imports them (CSNDPKB RSA-CRT or
 * ECC-PAIR + CSNDPKI, CSNBCKM, CSNBKTB2 + CSNBKPI2).  Before a card row is
 * measured its output is checked against OpenSSL's (same bytes; ECDSA:
 * OpenSSL verifies the card's signature), so "same key" is checked, not assumed.
 *
 * Floors (socket): RSA and ECDSA sign >= 90 % of OpenSSL's rate at the same
 * thread count; AES-256-CBC 64 KiB >= 80 %; RSA-2048 sign with 2 threads
 * >= 1.8x its 1-thread rate.  Inproc rows are reported, not floored.
 *
 * As in bench_rng.c: CSU_CARD is read once per process, so every card
 * measurement runs in a forked child; 1-thread rows pin the caller to one
 * CPU and every daemon thread to another (--pin split, the default with two
 * or more CPUs: the card is a device of its own, as IBM's is), or both to
 * the same CPU (--pin same: the card's work and the round trip are serial
 * with the caller's), or neither (--pin none, or --no-pin: the scheduler's
 * choice); 2-thread rows are never pinned; --rounds N keeps
 * each row's best of N interleaved rounds.  --daemon-arg ARG passes ARG to
 * csucard (e.g. key-cache options, to measure with the cache on and off).
 *
 *   usage: bench_crypto [--seconds N] [--rounds N] [--pin split|same|none] [--only TEXT]
 *                       [--daemon-arg ARG]... [--csucard PATH]
 *   exit:  0 floors met, 1 a floor missed (it is a benchmark, not a test), 2 could not measure
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "bench_daemon.h"
#include "csulincl.h"

#define MAX_THREADS 2
#define TOK_BUF 2500
#define MAX_TEXT 65536
#define WARMUP_SECONDS 0.3
#define WARMUP_CALLS 3
#define READY_LIMIT_SECONDS 60.0
#define SIGN_FLOOR 0.90
#define AES64K_FLOOR 0.80
#define SCALE_FLOOR 1.80
#define WARN_OTHER 0.10 /* other processes' share of all CPUs that makes a row suspect */

enum op { OP_RSA2048, OP_RSA4096, OP_ECDSA, OP_AES16, OP_AES1K, OP_AES64K, OP_HMAC, OP_SHA, OP_COUNT };
enum side { S_OPENSSL, S_SOCKET, S_INPROC, S_COUNT };

static const struct op_info {
    const char *name;
    long offset, text; /* input: keys.text + offset, text bytes */
} ops[OP_COUNT] = {
    [OP_RSA2048] = {"RSA-2048 sign, PKCS-1.1", 0, 51}, /* SHA-256 DigestInfo */
    [OP_RSA4096] = {"RSA-4096 sign, PKCS-1.1", 0, 51},
    [OP_ECDSA] = {"ECDSA P-256 sign", 19, 32}, /* the hash inside that DigestInfo */
    [OP_AES16] = {"AES-256-CBC 16 B", 0, 16},
    [OP_AES1K] = {"AES-256-CBC 1 KiB", 0, 1024},
    [OP_AES64K] = {"AES-256-CBC 64 KiB", 0, MAX_TEXT},
    [OP_HMAC] = {"HMAC-SHA-256 1 KiB", 0, 1024},
    [OP_SHA] = {"SHA-256 1 KiB", 0, 1024},
};

/* The clear keys (made by OpenSSL in the parent, inherited by every child). */
static struct {
    EVP_PKEY *rsa2048, *rsa4096, *ec;
    unsigned char aes[32], hmac[32], iv[16];
    unsigned char text[MAX_TEXT]; /* input of every op: DigestInfo, hash or data */
} keys;

/* One transport's tokens of those keys, made by a setup child. */
struct tokens {
    int ok;
    char error[240];
    unsigned char rsa2048[TOK_BUF], rsa4096[TOK_BUF], ec[TOK_BUF], aes[64], hmac[TOK_BUF];
    long rsa2048_len, rsa4096_len, ec_len, hmac_len;
};
static struct tokens tok[S_COUNT];

struct result {
    int ok;
    long long calls;
    double seconds;
    double other; /* share of all CPUs that other processes took during the window, -1 unknown */
    char error[240];
};

/* ---- small helpers ------------------------------------------------------------ */

/* CPU seconds: of the whole machine (busy, /proc/stat) or of one process (/proc/PID/stat), -1 unknown. */
static double cpu_seconds(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long v[8] = {0};
    if (pid > 0)
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(pid > 0 ? path : "/proc/stat", "re");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *p = pid > 0 ? strrchr(buf, ')') : buf; /* a command name may hold spaces */
    if (!p || (pid > 0 ? sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &v[0], &v[1]) != 2
                       : sscanf(p, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                                &v[4], &v[5], &v[6], &v[7]) != 8))
        return -1;
    unsigned long long busy = pid > 0 ? v[0] + v[1] : v[0] + v[1] + v[2] + v[5] + v[6] + v[7]; /* no idle, iowait */
    return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static long rules_of(unsigned char *rules, const char *list)
{
    long count = 0;
    for (const char *w = list; *w;) {
        const char *end = strchr(w, ' ');
        size_t n = end ? (size_t)(end - w) : strlen(w);
        memset(rules + 8 * count, ' ', 8);
        memcpy(rules + 8 * count, w, n);
        count++;
        w = end ? end + 1 : w + n;
    }
    return count;
}

static bool io_all(int fd, void *buf, size_t n, bool writing)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = writing ? write(fd, p, n) : read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static void put16(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

/* ---- the work, card side ----------------------------------------------------------- */

/* Per-thread buffers. */
struct buffers {
    unsigned char out[MAX_TEXT + 64];
    long out_len;
};

static bool card_call(enum op op, const struct tokens *t, struct buffers *b, char *why, size_t why_len)
{
    long rc = -1, rs = -1, count, zero = 0, bits = 0;
    unsigned char rules[24], chain[128] = {0}, iv[16];
    long text_len = ops[op].text, chain_len = sizeof(chain), key_len;
    const char *verb;
    b->out_len = sizeof(b->out);
    switch (op) {
    case OP_RSA2048:
    case OP_RSA4096:
    case OP_ECDSA: {
        const unsigned char *key = op == OP_RSA2048 ? t->rsa2048 : op == OP_RSA4096 ? t->rsa4096 : t->ec;
        key_len = op == OP_RSA2048 ? t->rsa2048_len : op == OP_RSA4096 ? t->rsa4096_len : t->ec_len;
        count = rules_of(rules, op == OP_ECDSA ? "ECDSA" : "PKCS-1.1");
        b->out_len = 512;
        CSNDDSG(&rc, &rs, NULL, NULL, &count, rules, &key_len, (unsigned char *)key, &text_len,
                keys.text + ops[op].offset, &b->out_len, &bits, b->out);
        verb = "CSNDDSG";
        break;
    }
    case OP_AES16:
    case OP_AES1K:
    case OP_AES64K: {
        long block = 16, iv_len = 16, chain32 = 32;
        count = rules_of(rules, "AES CBC");
        key_len = 64;
        memcpy(iv, keys.iv, sizeof(iv));
        CSNBSAE(&rc, &rs, NULL, NULL, &count, rules, &key_len, (unsigned char *)t->aes, &zero, NULL, &block,
                &iv_len, iv, &chain32, chain, &text_len, keys.text, &b->out_len, b->out, &zero, NULL);
        verb = "CSNBSAE";
        break;
    }
    case OP_HMAC:
        count = rules_of(rules, "HMAC SHA-256 ONLY");
        key_len = t->hmac_len;
        b->out_len = 32;
        CSNBHMG(&rc, &rs, NULL, NULL, &count, rules, &key_len, (unsigned char *)t->hmac, &text_len, keys.text,
                &chain_len, chain, &b->out_len, b->out);
        verb = "CSNBHMG";
        break;
    default:
        count = rules_of(rules, "SHA-256 ONLY");
        b->out_len = 32;
        CSNBOWH(&rc, &rs, NULL, NULL, &count, rules, &text_len, keys.text, &chain_len, chain, &b->out_len, b->out);
        verb = "CSNBOWH";
        break;
    }
    if (rc != 0)
        say(why, why_len, "%s (%s): return code %ld, reason code %ld", verb, ops[op].name, rc, rs);
    return rc == 0;
}

/* ---- the work, OpenSSL side --------------------------------------------------------- */

/* Per-thread OpenSSL state, made once per thread as an application would. */
struct ossl {
    EVP_PKEY_CTX *sign;
    EVP_CIPHER_CTX *cipher;
    EVP_CIPHER *aes;
    EVP_MAC_CTX *mac;
    EVP_MD *sha;
};

static void ossl_free(struct ossl *o)
{
    EVP_PKEY_CTX_free(o->sign);
    EVP_CIPHER_CTX_free(o->cipher);
    EVP_CIPHER_free(o->aes);
    EVP_MAC_CTX_free(o->mac);
    EVP_MD_free(o->sha);
    memset(o, 0, sizeof(*o));
}

static bool ossl_new(enum op op, struct ossl *o)
{
    memset(o, 0, sizeof(*o));
    if (op == OP_RSA2048 || op == OP_RSA4096 || op == OP_ECDSA) {
        EVP_PKEY *pk = op == OP_RSA2048 ? keys.rsa2048 : op == OP_RSA4096 ? keys.rsa4096 : keys.ec;
        o->sign = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        return o->sign && EVP_PKEY_sign_init(o->sign) == 1 &&
               (op == OP_ECDSA || EVP_PKEY_CTX_set_rsa_padding(o->sign, RSA_PKCS1_PADDING) == 1);
    }
    if (op == OP_HMAC) {
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        o->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
        EVP_MAC_free(mac);
        return o->mac != NULL;
    }
    if (op == OP_SHA)
        return (o->sha = EVP_MD_fetch(NULL, "SHA256", NULL)) != NULL;
    o->cipher = EVP_CIPHER_CTX_new();
    o->aes = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    return o->cipher && o->aes;
}

static bool ossl_call(enum op op, struct ossl *o, struct buffers *b)
{
    size_t n = sizeof(b->out);
    int len = 0, fin = 0;
    unsigned int md_len = 0;
    bool ok;
    switch (op) {
    case OP_RSA2048:
    case OP_RSA4096:
    case OP_ECDSA: ok = EVP_PKEY_sign(o->sign, b->out, &n, keys.text + ops[op].offset, (size_t)ops[op].text) == 1;
        break;
    case OP_AES16:
    case OP_AES1K:
    case OP_AES64K:
        ok = EVP_EncryptInit_ex2(o->cipher, o->aes, keys.aes, keys.iv, NULL) == 1 &&
             EVP_CIPHER_CTX_set_padding(o->cipher, 0) == 1 &&
             EVP_EncryptUpdate(o->cipher, b->out, &len, keys.text, (int)ops[op].text) == 1 &&
             EVP_EncryptFinal_ex(o->cipher, b->out + len, &fin) == 1;
        n = (size_t)(len + fin);
        break;
    case OP_HMAC: {
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                               OSSL_PARAM_construct_end()};
        ok = EVP_MAC_init(o->mac, keys.hmac, sizeof(keys.hmac), params) == 1 &&
             EVP_MAC_update(o->mac, keys.text, (size_t)ops[op].text) == 1 &&
             EVP_MAC_final(o->mac, b->out, &n, sizeof(b->out)) == 1;
        break;
    }
    default:
        ok = EVP_Digest(keys.text, (size_t)ops[op].text, b->out, &md_len, o->sha, NULL) == 1;
        n = md_len;
        break;
    }
    b->out_len = (long)n;
    return ok;
}

/* The card's output against OpenSSL's: equal bytes, or (ECDSA) OpenSSL verifies r || s. */
static bool same_as_openssl(enum op op, struct buffers *card, char *why, size_t why_len)
{
    struct ossl o = {0};
    struct buffers *ref = malloc(sizeof(*ref));
    bool ok = ref && ossl_new(op, &o) && ossl_call(op, &o, ref);
    if (ok && op == OP_ECDSA) {
        ECDSA_SIG *s = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(card->out, 32, NULL), *sv = BN_bin2bn(card->out + 32, 32, NULL);
        unsigned char *der = NULL;
        int der_len = -1;
        if (s && r && sv && card->out_len == 64 && ECDSA_SIG_set0(s, r, sv) == 1)
            der_len = i2d_ECDSA_SIG(s, &der), r = sv = NULL;
        EVP_PKEY_CTX *v = EVP_PKEY_CTX_new_from_pkey(NULL, keys.ec, NULL);
        ok = der_len > 0 && v && EVP_PKEY_verify_init(v) == 1 &&
             EVP_PKEY_verify(v, der, (size_t)der_len, keys.text + ops[op].offset, 32) == 1;
        EVP_PKEY_CTX_free(v);
        OPENSSL_free(der);
        BN_free(r);
        BN_free(sv);
        ECDSA_SIG_free(s);
    } else if (ok) {
        ok = card->out_len == ref->out_len && memcmp(card->out, ref->out, (size_t)ref->out_len) == 0;
    }
    if (!ok)
        say(why, why_len, "%s: the card's output does not match OpenSSL's with the same key", ops[op].name);
    ossl_free(&o);
    free(ref);
    return ok;
}

/* ---- the measuring child -------------------------------------------------------------- */

static atomic_bool stop;

struct worker {
    alignas(64) atomic_llong calls;
    enum op op;
    enum side side;
    pthread_t thread;
    atomic_bool failed;
    char why[240];
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct buffers *b = malloc(sizeof(*b));
    struct ossl o = {0};
    bool ok = b && (w->side != S_OPENSSL || ossl_new(w->op, &o));
    if (!ok)
        say(w->why, sizeof(w->why), "out of memory or no OpenSSL context");
    for (long long n = 0; ok && !atomic_load_explicit(&stop, memory_order_relaxed);) {
        ok = w->side == S_OPENSSL ? ossl_call(w->op, &o, b)
                                  : card_call(w->op, &tok[w->side], b, w->why, sizeof(w->why));
        if (ok)
            atomic_store_explicit(&w->calls, ++n, memory_order_relaxed);
        else if (w->side == S_OPENSSL)
            say(w->why, sizeof(w->why), "OpenSSL %s failed", ops[w->op].name);
    }
    if (!ok)
        atomic_store(&w->failed, true);
    ossl_free(&o);
    free(b);
    return NULL;
}

static long long total_calls(struct worker *w, int threads)
{
    long long sum = 0;
    for (int i = 0; i < threads; i++)
        sum += atomic_load_explicit(&w[i].calls, memory_order_relaxed);
    return sum;
}

static const char *failure(struct worker *w, int threads)
{
    for (int i = 0; i < threads; i++)
        if (atomic_load(&w[i].failed))
            return w[i].why;
    return NULL;
}

static void measure(enum op op, enum side side, int threads, double seconds, pid_t daemon, struct result *r)
{
    static struct worker workers[MAX_THREADS];
    if (side != S_OPENSSL) {
        struct buffers *b = malloc(sizeof(*b));
        bool ok = b && card_call(op, &tok[side], b, r->error, sizeof(r->error)) &&
                  same_as_openssl(op, b, r->error, sizeof(r->error));
        free(b);
        if (!ok)
            return;
    }
    for (int i = 0; i < threads; i++) {
        workers[i].op = op;
        workers[i].side = side;
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            say(r->error, sizeof(r->error), "pthread_create failed");
            _exit(3);
        }
    }
    double start = bench_now();
    const char *err = NULL;
    for (bool warm = false; !warm && !err;) {
        bench_sleep(0.01);
        err = failure(workers, threads);
        warm = bench_now() - start >= WARMUP_SECONDS;
        for (int i = 0; warm && i < threads; i++)
            warm = atomic_load(&workers[i].calls) >= WARMUP_CALLS;
        if (!warm && bench_now() - start > READY_LIMIT_SECONDS)
            err = "warm-up did not finish";
    }
    double m0 = cpu_seconds(0), d0 = side == S_SOCKET ? cpu_seconds(daemon) : 0, s0 = cpu_seconds(getpid());
    long long c0 = total_calls(workers, threads);
    double t0 = bench_now(), end = t0 + seconds;
    while (!err && bench_now() < end) {
        bench_sleep(end - bench_now() < 0.02 ? end - bench_now() : 0.02);
        err = failure(workers, threads);
    }
    long long c1 = total_calls(workers, threads);
    double t1 = bench_now();
    double m1 = cpu_seconds(0), d1 = side == S_SOCKET ? cpu_seconds(daemon) : 0, s1 = cpu_seconds(getpid());
    atomic_store(&stop, true);
    for (int i = 0; i < threads; i++)
        pthread_join(workers[i].thread, NULL);
    if (err) {
        say(r->error, sizeof(r->error), "%s", err);
        return;
    }
    r->calls = c1 - c0;
    r->seconds = t1 - t0;
    r->other = -1;
    if (m0 >= 0 && m1 >= 0 && d0 >= 0 && d1 >= 0 && s0 >= 0 && s1 >= 0) {
        double other = (m1 - m0) - (d1 - d0) - (s1 - s0);
        r->other = other > 0 ? other / (r->seconds * (double)sysconf(_SC_NPROCESSORS_ONLN)) : 0;
    }
    r->ok = r->calls > 0;
    if (!r->ok)
        say(r->error, sizeof(r->error), "no call completed in %.2f s", r->seconds);
}

/* ---- the setup child: master keys and tokens --------------------------------------------- */

static bool mkp(const char *steps, char *why, size_t why_len)
{
    long rc = -1, rs = -1;
    unsigned char rules[24];
    long count = rules_of(rules, steps);
    CSNBMKP(&rc, &rs, NULL, NULL, &count, rules, NULL);
    if (rc != 0)
        say(why, why_len, "CSNBMKP %s: %ld/%ld", steps, rc, rs);
    return rc == 0;
}

/* Polls CSUACFQ STATCCA until it answers 0 (POST passed). */
static bool wait_ready(char *why, size_t why_len)
{
    double deadline = bench_now() + READY_LIMIT_SECONDS;
    for (;;) {
        unsigned char rules[32 * 8]; /* CSUACFQ answers in the rule array */
        long rc = -1, rs = -1, count = rules_of(rules, "STATCCA"), verb_data_length = 0;
        CSUACFQ(&rc, &rs, NULL, NULL, &count, rules, &verb_data_length, NULL);
        if (rc == 0)
            return true;
        if (bench_now() > deadline) {
            say(why, why_len, "card not ready: CSUACFQ STATCCA %ld/%ld", rc, rs);
            return false;
        }
        bench_sleep(0.05);
    }
}

/* CSNDPKB of a clear key-values structure, then CSNDPKI; the internal token's length or -1. */
static long pka_import(const char *type_usage, unsigned char *kvs, long kvs_len, unsigned char *out, char *why,
                       size_t why_len)
{
    unsigned char rules[24], ext[TOK_BUF], importer[64] = {0};
    long rc = -1, rs = -1, count = rules_of(rules, type_usage), ext_len = TOK_BUF, len = TOK_BUF;
    CSNDPKB(&rc, &rs, NULL, NULL, &count, rules, &kvs_len, kvs, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, &ext_len, ext);
    if (rc == 0) {
        count = 0;
        CSNDPKI(&rc, &rs, NULL, NULL, &count, NULL, &ext_len, ext, importer, &len, out);
    }
    OPENSSL_cleanse(ext, sizeof(ext));
    if (rc != 0)
        say(why, why_len, "importing %s: %ld/%ld", type_usage, rc, rs);
    return rc == 0 ? len : -1;
}

static long rsa_import(EVP_PKEY *pk, unsigned char *out, char *why, size_t why_len)
{
    static const char *const names[7] = {OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
                                         OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,
                                         OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
                                         OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    static const int len_at[7] = {2, 4, 8, 10, 12, 14, 16}; /* CSNDPKB RSA key-values structure */
    unsigned char *kvs = calloc(1, TOK_BUF);
    size_t off = 18;
    bool ok = kvs != NULL;
    for (int i = 0; ok && i < 7; i++) {
        BIGNUM *bn = NULL;
        ok = EVP_PKEY_get_bn_param(pk, names[i], &bn) == 1 && off + (size_t)BN_num_bytes(bn) <= TOK_BUF;
        if (ok) {
            put16(kvs + len_at[i], (size_t)BN_num_bytes(bn));
            off += (size_t)BN_bn2bin(bn, kvs + off);
        }
        BN_clear_free(bn);
    }
    long len = -1;
    if (ok) {
        put16(kvs, (size_t)EVP_PKEY_get_bits(pk));
        len = pka_import("RSA-CRT SIG-ONLY", kvs, (long)off, out, why, why_len);
    } else {
        say(why, why_len, "RSA key parameters not available");
    }
    if (kvs)
        OPENSSL_cleanse(kvs, TOK_BUF);
    free(kvs);
    return len;
}

static long ec_import(EVP_PKEY *pk, unsigned char *out, char *why, size_t why_len)
{
    unsigned char kvs[8 + 32 + 65] = {0x00, 0, 0x01, 0x00, 0, 32, 0, 65}; /* prime, 256 bits, d 32, Q 65 */
    BIGNUM *d = NULL;
    size_t q_len = 0;
    bool ok = EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 && BN_bn2binpad(d, kvs + 8, 32) == 32 &&
              EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, kvs + 40, 65, &q_len) == 1 &&
              q_len == 65;
    BN_clear_free(d);
    long len = ok ? pka_import("ECC-PAIR SIG-ONLY", kvs, sizeof(kvs), out, why, why_len) : -1;
    if (!ok)
        say(why, why_len, "EC key parameters not available");
    OPENSSL_cleanse(kvs, sizeof(kvs));
    return len;
}

static bool aes_import(unsigned char out[64], char *why, size_t why_len)
{
    unsigned char rules[8];
    long rc = -1, rs = -1, count = rules_of(rules, "AES"), len = 32;
    memset(out, 0, 64);
    CSNBCKM(&rc, &rs, NULL, NULL, &count, rules, &len, keys.aes, out);
    if (rc != 0)
        say(why, why_len, "CSNBCKM AES: %ld/%ld", rc, rs);
    return rc == 0;
}

/* v5 HMAC MAC GENERATE token: CSNBKTB2 skeleton, CSNBKPI2 FIRST (one part) + COMPLETE. */
static long hmac_import(unsigned char *out, char *why, size_t why_len)
{
    unsigned char rules[8 * 8];
    long rc = -1, rs = -1, zero = 0, len = TOK_BUF, bits = 256;
    long count = rules_of(rules, "INTERNAL NO-KEY HMAC MAC GENERATE");
    CSNBKTB2(&rc, &rs, &zero, NULL, &count, rules, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL, &zero, NULL,
             &len, out);
    if (rc == 0) {
        count = rules_of(rules, "HMAC FIRST MIN1PART");
        len = TOK_BUF;
        CSNBKPI2(&rc, &rs, NULL, NULL, &count, rules, &bits, keys.hmac, &len, out);
    }
    if (rc == 0) {
        count = rules_of(rules, "HMAC COMPLETE");
        bits = 0;
        len = TOK_BUF;
        CSNBKPI2(&rc, &rs, NULL, NULL, &count, rules, &bits, NULL, &len, out);
    }
    if (rc != 0)
        say(why, why_len, "HMAC token (CSNBKTB2/CSNBKPI2): %ld/%ld", rc, rs);
    return rc == 0 ? len : -1;
}

static void setup_card(struct tokens *t)
{
    char *why = t->error;
    size_t n = sizeof(t->error);
    t->ok = wait_ready(why, n) && mkp("AES-MK CLEAR", why, n) && mkp("AES-MK RANDOM", why, n) &&
            mkp("AES-MK SET", why, n) && mkp("APKA-MK CLEAR", why, n) && mkp("APKA-MK RANDOM", why, n) &&
            mkp("APKA-MK SET", why, n) && (t->rsa2048_len = rsa_import(keys.rsa2048, t->rsa2048, why, n)) > 0 &&
            (t->rsa4096_len = rsa_import(keys.rsa4096, t->rsa4096, why, n)) > 0 &&
            (t->ec_len = ec_import(keys.ec, t->ec, why, n)) > 0 && aes_import(t->aes, why, n) &&
            (t->hmac_len = hmac_import(t->hmac, why, n)) > 0;
}

/* ---- children ------------------------------------------------------------------------------ */

/* Runs fn in a forked child with CSU_CARD = card (NULL: unset) and reads back size bytes it writes. */
static bool in_child(const char *card, const cpu_set_t *pin, void (*fn)(void *, const void *), const void *arg,
                     void *out, size_t size)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return false;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (pid == 0) {
        close(p[0]);
        memset(out, 0, size);
        bool env_ok = card ? setenv("CSU_CARD", card, 1) == 0 : unsetenv("CSU_CARD") == 0;
        if (env_ok && (!pin || sched_setaffinity(0, sizeof(*pin), pin) == 0))
            fn(out, arg);
        _exit(io_all(p[1], out, size, true) ? 0 : 3);
    }
    close(p[1]);
    bool got = io_all(p[0], out, size, false);
    close(p[0]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return got;
}

struct job {
    enum op op;
    enum side side;
    int threads;
    double seconds;
    pid_t daemon;
};

static void setup_fn(void *out, const void *arg)
{
    (void)arg;
    setup_card(out);
}

static void measure_fn(void *out, const void *arg)
{
    const struct job *j = arg;
    measure(j->op, j->side, j->threads, j->seconds, j->daemon, out);
}

/* ---- the daemon (as in bench_rng.c) ------------------------------------------------------- */

/* ---- keys ---------------------------------------------------------------------------------- */

static EVP_PKEY *keygen(const char *type, int bits, const char *group)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pk = NULL;
    if (ctx && EVP_PKEY_keygen_init(ctx) == 1 &&
        (group ? EVP_PKEY_CTX_set_group_name(ctx, group) : EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits)) == 1)
        EVP_PKEY_generate(ctx, &pk);
    EVP_PKEY_CTX_free(ctx);
    return pk;
}

static bool make_keys(void)
{
    static const unsigned char sha256_prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    keys.rsa2048 = keygen("RSA", 2048, NULL);
    keys.rsa4096 = keygen("RSA", 4096, NULL);
    keys.ec = keygen("EC", 0, "prime256v1");
    if (!keys.rsa2048 || !keys.rsa4096 || !keys.ec || RAND_bytes(keys.aes, sizeof(keys.aes)) != 1 ||
        RAND_bytes(keys.hmac, sizeof(keys.hmac)) != 1 || RAND_bytes(keys.iv, sizeof(keys.iv)) != 1 ||
        RAND_bytes(keys.text, sizeof(keys.text)) != 1)
        return false;
    /* RSA signs a SHA-256 DigestInfo at the start of the text, ECDSA the 32-byte hash inside it. */
    memcpy(keys.text, sha256_prefix, sizeof(sha256_prefix));
    return true;
}

/* ---- main ------------------------------------------------------------------------------------ */

/* The first CPU of @p set numbered @p from or above (wrapping round). */
static int next_cpu(const cpu_set_t *set, int from)
{
    for (int i = 0; i < CPU_SETSIZE; i++) {
        int cpu = (from + i) % CPU_SETSIZE;
        if (CPU_ISSET(cpu, set))
            return cpu;
    }
    return 0;
}

static double rate(const struct result *r)
{
    return r->ok ? (double)r->calls / r->seconds : 0;
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--seconds N] [--rounds N] [--pin split|same|none] [--only TEXT] [--daemon-arg ARG]...\n"
            "          [--csucard PATH]\n"
            "  --seconds N      measuring time per row (default 1; warm-up comes on top)\n"
            "  --rounds N       run every row N times, interleaved, keep each row's best (default 1)\n"
            "  --pin MODE       1-thread rows: split = caller on one CPU, daemon on another (default\n"
            "                   with 2+ CPUs); same = both on one CPU; none = not pinned (= --no-pin)\n"
            "  --only TEXT      measure only the operations whose name contains TEXT (floors then\n"
            "                   judge those; the others print as not measured)\n"
            "  --daemon-arg ARG one more argument for csucard (repeatable, e.g. key-cache options)\n"
            "  --csucard PATH   the daemon to start (default: csucard next to this program)\n"
            "exit: 0 floors met, 1 a floor missed, 2 could not measure\n",
            prog);
}

/* One floor line; returns whether it holds.  A ratio of unmeasured rows
 * (--only) is not a number: the line says so and does not count. */
static bool floor_line(const char *what, double value, double floor, bool ratio_as_percent)
{
    if (value != value) {
        printf("- %s: not measured\n", what);
        return true;
    }
    bool ok = value >= floor;
    if (ratio_as_percent)
        printf("- %s: %.0f %% (floor %.0f %%): %s\n", what, 100 * value, 100 * floor, ok ? "PASS" : "FAIL");
    else
        printf("- %s: %.2f× (floor %.2f×): %s\n", what, value, floor, ok ? "PASS" : "FAIL");
    return ok;
}

enum pin_mode { PIN_SPLIT, PIN_SAME, PIN_NONE };

static const char *const pin_text[] = {
    [PIN_SPLIT] = ", 1-thread rows: caller pinned to one CPU, csucard to another",
    [PIN_SAME] = ", 1-thread rows: caller and csucard pinned to one CPU",
    [PIN_NONE] = ", not pinned",
};

static bool print_report(struct result res[OP_COUNT][S_COUNT][MAX_THREADS + 1], double seconds, int rounds,
                         enum pin_mode pin, int n_extra, const char *const *extra)
{
    printf("libcsulcca beside raw OpenSSL EVP (same keys, same run), %.1f s per row, best of %d round%s, "
           "%ld CPUs%s; daemon: csucard --workers 2",
           seconds, rounds, rounds > 1 ? "s" : "", sysconf(_SC_NPROCESSORS_ONLN), pin_text[pin]);
    for (int i = 0; i < n_extra; i++)
        printf(" %s", extra[i]);
    printf("\n\n| operation | threads | OpenSSL ops/s | socket ops/s | socket / OpenSSL | inproc ops/s "
           "| inproc / OpenSSL | other load |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    double worst_other = 0;
    for (int op = 0; op < OP_COUNT; op++)
        for (int t = 1; t <= MAX_THREADS; t++) {
            double o = rate(&res[op][S_OPENSSL][t]), s = rate(&res[op][S_SOCKET][t]), i = rate(&res[op][S_INPROC][t]);
            if (o == 0)
                continue; /* not measured (--only) */
            double other = 0;
            for (int k = 0; k < S_COUNT; k++)
                other = res[op][k][t].other > other ? res[op][k][t].other : other;
            worst_other = other > worst_other ? other : worst_other;
            printf("| %s | %d | %.0f | %.0f | %.0f %% | %.0f | %.0f %% | %.0f %% |\n", ops[op].name, t, o, s,
                   100 * s / o, i, 100 * i / o, 100 * other);
        }
    printf("\nother load: the largest share of all CPUs that other processes took during the row's three "
           "windows.\n");
    if (worst_other > WARN_OTHER)
        printf("warning: other processes took up to %.0f %% of the CPUs: these rates are not reliable%s\n",
               100 * worst_other, rounds > 1 ? "" : " (--rounds 3 keeps each row's best of 3)");
    printf("\nFloors (socket):\n");
    bool pass = true;
    for (int t = 1; t <= MAX_THREADS; t++) {
        static const enum op signs[] = {OP_RSA2048, OP_RSA4096, OP_ECDSA};
        char what[96];
        for (size_t k = 0; k < sizeof(signs) / sizeof(signs[0]); k++) {
            snprintf(what, sizeof(what), "%s, %d thread%s, of OpenSSL's rate", ops[signs[k]].name, t, t > 1 ? "s" : "");
            pass &= floor_line(what, rate(&res[signs[k]][S_SOCKET][t]) / rate(&res[signs[k]][S_OPENSSL][t]),
                               SIGN_FLOOR, true);
        }
        snprintf(what, sizeof(what), "%s, %d thread%s, of OpenSSL's rate", ops[OP_AES64K].name, t, t > 1 ? "s" : "");
        pass &= floor_line(what, rate(&res[OP_AES64K][S_SOCKET][t]) / rate(&res[OP_AES64K][S_OPENSSL][t]),
                           AES64K_FLOOR, true);
    }
    pass &= floor_line("RSA-2048 sign, 2 threads against 1 thread", rate(&res[OP_RSA2048][S_SOCKET][2]) /
                                                                         rate(&res[OP_RSA2048][S_SOCKET][1]),
                       SCALE_FLOOR, false);
    printf("\nfloors: %s\n", pass ? "PASS" : "FAIL");
    return pass;
}

int main(int argc, char **argv)
{
    double seconds = 1;
    int rounds = 1, n_extra = 0;
    enum pin_mode pin_mode = PIN_SPLIT;
    const char *given = NULL, *only = NULL, *extra[BENCH_DAEMON_MAX_ARGS];
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = strtod(argv[++i], &end);
            if (*end || !(seconds > 0 && seconds <= 3600))
                return usage(argv[0]), 2;
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > 100)
                return usage(argv[0]), 2;
            rounds = (int)n;
        } else if (strcmp(argv[i], "--no-pin") == 0) {
            pin_mode = PIN_NONE;
        } else if (strcmp(argv[i], "--pin") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "split") == 0)
                pin_mode = PIN_SPLIT;
            else if (strcmp(m, "same") == 0)
                pin_mode = PIN_SAME;
            else if (strcmp(m, "none") == 0)
                pin_mode = PIN_NONE;
            else
                return usage(argv[0]), 2;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--daemon-arg") == 0 && i + 1 < argc && n_extra < BENCH_DAEMON_MAX_ARGS) {
            extra[n_extra++] = argv[++i];
        } else if (strcmp(argv[i], "--csucard") == 0 && i + 1 < argc) {
            given = argv[++i];
        } else {
            return usage(argv[0]), 2;
        }
    }
    char csucard[PATH_MAX];
    if (!bench_find_csucard(given, csucard, sizeof(csucard)))
        return 2;
    if (!make_keys()) {
        fprintf(stderr, "bench_crypto: OpenSSL key generation failed\n");
        return 2;
    }
    char dir[] = "/tmp/bench_crypto.XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_crypto: mkdtemp: %s\n", strerror(errno));
        return 2;
    }
    char state[PATH_MAX], sock[PATH_MAX], log[PATH_MAX], inproc[PATH_MAX], card[S_COUNT][PATH_MAX + 8];
    snprintf(state, sizeof(state), "%s/daemon-state", dir);
    snprintf(inproc, sizeof(inproc), "%s/inproc-state", dir);
    snprintf(sock, sizeof(sock), "%s/card.sock", dir);
    snprintf(log, sizeof(log), "%s/csucard.log", dir);
    snprintf(card[S_SOCKET], sizeof(card[S_SOCKET]), "unix:%s", sock);
    snprintf(card[S_INPROC], sizeof(card[S_INPROC]), "inproc:%s", inproc);

    int status = 2;
    static struct result res[OP_COUNT][S_COUNT][MAX_THREADS + 1];
    pid_t daemon = bench_daemon_start(csucard, state, sock, log, extra, n_extra);
    if (daemon < 0 || !bench_daemon_wait_socket(&daemon, sock, READY_LIMIT_SECONDS)) {
        bench_show_log(log);
        goto out;
    }
    for (int s = S_SOCKET; s <= S_INPROC; s++)
        if (!in_child(card[s], NULL, setup_fn, NULL, &tok[s], sizeof(tok[s])) || !tok[s].ok) {
            fprintf(stderr, "bench_crypto: setting up the %s card: %s\n", s == S_SOCKET ? "socket" : "inproc",
                    tok[s].error);
            goto out;
        }

    cpu_set_t all_cpus, caller_cpu, card_cpu;
    if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus) != 0)
        goto out;
    if (pin_mode == PIN_SPLIT && CPU_COUNT(&all_cpus) < 2)
        pin_mode = PIN_SAME; /* one CPU: nothing to split */
    int cpu_a = next_cpu(&all_cpus, 0);
    int cpu_b = pin_mode == PIN_SPLIT ? next_cpu(&all_cpus, cpu_a + 1) : cpu_a;
    CPU_ZERO(&caller_cpu);
    CPU_SET(cpu_a, &caller_cpu);
    CPU_ZERO(&card_cpu);
    CPU_SET(cpu_b, &card_cpu);

    for (int round = 0; round < rounds; round++)
        for (int op = 0; op < OP_COUNT; op++)
            for (int t = 1; t <= MAX_THREADS && (!only || strstr(ops[op].name, only)); t++)
                for (int s = 0; s < S_COUNT; s++) {
                    const cpu_set_t *pin = t == 1 && pin_mode != PIN_NONE ? &caller_cpu : NULL;
                    struct job j = {(enum op)op, (enum side)s, t, seconds, daemon};
                    struct result r;
                    if (pin && s == S_SOCKET && !bench_set_process_affinity(daemon, &card_cpu)) {
                        fprintf(stderr, "bench_crypto: cannot pin csucard: %s\n", strerror(errno));
                        goto out;
                    }
                    bool got = in_child(s == S_OPENSSL ? NULL : card[s], pin, measure_fn, &j, &r, sizeof(r));
                    if (pin && s == S_SOCKET)
                        bench_set_process_affinity(daemon, &all_cpus);
                    if (!got || !r.ok) {
                        fprintf(stderr, "bench_crypto: %s, %s, %d thread%s: %s\n", ops[op].name,
                                s == S_OPENSSL ? "OpenSSL" : s == S_SOCKET ? "socket" : "inproc", t, t > 1 ? "s" : "",
                                got ? r.error : "the measuring child died");
                        goto out;
                    }
                    if (rate(&r) > rate(&res[op][s][t]))
                        res[op][s][t] = r;
                }
    status = print_report(res, seconds, rounds, pin_mode, n_extra, extra) ? 0 : 1;

out:
    fflush(NULL);
    if (daemon > 0 && !bench_daemon_stop(daemon)) {
        fprintf(stderr, "bench_crypto: csucard did not stop cleanly\n");
        bench_show_log(log);
        if (status == 0)
            status = 2;
    }
    bench_remove_tree(dir);
    EVP_PKEY_free(keys.rsa2048);
    EVP_PKEY_free(keys.rsa4096);
    EVP_PKEY_free(keys.ec);
    OPENSSL_cleanse(&keys, sizeof(keys));
    return status;
}
