/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration 11: large frames and the transport's waiting modes.
 *
 * The socket splits a large frame into pieces of about 32 KiB; the card
 * polls briefly for the rest of a started frame and otherwise waits for the
 * next event, and the caller polls for its reply for about as long as the
 * last one took (csu_transport_unix.c) or not at all with CSU_SPIN_US=0.
 * Whatever the path, the bytes must be the same:
 *   - AES-256-CBC (KEY-CLR) of 1 KiB, 64 KiB and 512 KiB through the socket
 *     equals OpenSSL's EVP over the same key, IV and text, in each mode,
 *     with calls of different sizes interleaved (the spin budget changes
 *     from call to call);
 *   - SHA-256 (CSNBOWH ONLY) of 512 KiB equals OpenSSL's;
 *   - a request sent in two pieces 20 ms apart (longer than the card's poll
 *     for the rest) is answered correctly, and so is the next one;
 *   - a daemon with one worker serves two callers whose large frames
 *     arrive at the same time;
 *   - a client pipelining requests without pause does not keep that one
 *     worker from answering another client (within 250 ms).
 * Each mode runs in a fresh process: CSU_SPIN_US is read once per process.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "daemon_util.h"

#define BIG (512 * 1024)

static const unsigned char aes_key[32] = {0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae,
                                          0xf0, 0x85, 0x7d, 0x77, 0x81, 0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61,
                                          0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4};

static void words(unsigned char *rules, const char *const *list, long *count)
{
    for (*count = 0; list[*count]; (*count)++) {
        memset(rules + 8 * *count, ' ', 8);
        memcpy(rules + 8 * *count, list[*count], strlen(list[*count]));
    }
}

static bool openssl_cbc(const unsigned char *iv, const unsigned char *in, int len, unsigned char *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;
    bool ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, aes_key, iv) == 1 &&
              EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_EncryptUpdate(c, out, &n, in, len) == 1 &&
              EVP_EncryptFinal_ex(c, out + n, &m) == 1 && n + m == len;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* One CSNBSAE KEY-CLR CBC call of @p len bytes, compared with OpenSSL. */
static bool encipher_matches(const unsigned char *text, long len, const char *label)
{
    static const char *const list[] = {"AES", "KEY-CLR", "CBC", "ONLY", NULL};
    unsigned char rules[32], iv[16], chain[32];
    unsigned char *got = malloc((size_t)len), *want = malloc((size_t)len);
    long rc = -1, rs = -1, count, zero = 0, key_len = 32, block = 16, iv_len = 16, chain_len = sizeof(chain);
    long in_len = len, out_len = len;
    bool ok = got && want && RAND_bytes(iv, sizeof(iv)) == 1;
    if (ok) {
        words(rules, list, &count);
        CSNBSAE(&rc, &rs, &zero, NULL, &count, rules, &key_len, (unsigned char *)aes_key, &zero, NULL, &block,
                &iv_len, iv, &chain_len, chain, &in_len, (unsigned char *)text, &out_len, got, &zero, NULL);
        ok = openssl_cbc(iv, text, (int)len, want);
    }
    CHECK(rc == 0 && rs == 0, "%s: CSNBSAE of %ld bytes: %ld/%ld", label, len, rc, rs);
    bool same = ok && rc == 0 && out_len == len && memcmp(got, want, (size_t)len) == 0;
    CHECK(same, "%s: CSNBSAE of %ld bytes differs from OpenSSL", label, len);
    free(got);
    free(want);
    return same;
}

static void hash_matches(const unsigned char *text, long len, const char *label)
{
    static const char *const list[] = {"SHA-256", "ONLY", NULL};
    unsigned char rules[16], chain[128] = {0}, got[32], want[32];
    long rc = -1, rs = -1, count, zero = 0, text_len = len, chain_len = sizeof(chain), hash_len = sizeof(got);
    words(rules, list, &count);
    CSNBOWH(&rc, &rs, &zero, NULL, &count, rules, &text_len, (unsigned char *)text, &chain_len, chain, &hash_len,
            got);
    unsigned int n = 0;
    bool ok = EVP_Digest(text, (size_t)len, want, &n, EVP_sha256(), NULL) == 1;
    CHECK(rc == 0 && rs == 0, "%s: CSNBOWH SHA-256 of %ld bytes: %ld/%ld", label, len, rc, rs);
    CHECK(ok && rc == 0 && hash_len == 32 && memcmp(got, want, 32) == 0, "%s: SHA-256 of %ld bytes differs", label,
          len);
}

/* "CSRQ", version 1, op CSNBRNGL, flags 0, body 22: one rule word (RANDOM),
 * one block (tag 1 = the output capacity, 4 bytes: 32), as csu_wire.h lays
 * it out.  38 bytes: 4096 is not a multiple of it, so reads of a stream of
 * them end inside a frame. */
static const unsigned char rngl_frame[] = {'C', 'S', 'R', 'Q', 0, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 22,
                                           0, 1, 'R', 'A', 'N', 'D', 'O', 'M', ' ', ' ',
                                           0, 1, 0, 1, 0, 0, 0, 4, 0, 0, 0, 32};

/* A CSNBRNGL(32) request written in two pieces, @p gap_ms apart. */
static void split_request(const char *sock, unsigned gap_ms, const char *label)
{
    const unsigned char *frame = rngl_frame;
    int fd = it_connect_unix(sock);
    REQUIRE(fd >= 0, "%s: connect", label);
    for (int round = 0; round < 2; round++) {
        size_t cut = round == 0 ? 10 : 20;
        CHECK(send(fd, frame, cut, MSG_NOSIGNAL) == (ssize_t)cut, "%s: first piece", label);
        it_sleep_ms(gap_ms);
        CHECK(send(fd, frame + cut, sizeof(rngl_frame) - cut, MSG_NOSIGNAL) == (ssize_t)(sizeof(rngl_frame) - cut),
              "%s: second piece", label);
        unsigned char head[20]; /* reply header: return at 8, reason at 12, body length at 16 */
        size_t have = 0;
        while (have < sizeof(head)) {
            ssize_t r = recv(fd, head + have, sizeof(head) - have, 0);
            if (r <= 0)
                break;
            have += (size_t)r;
        }
        CHECK(have == sizeof(head) && memcmp(head, "CSRP", 4) == 0, "%s: round %d: no reply header", label, round);
        size_t body = (size_t)head[16] << 24 | (size_t)head[17] << 16 | (size_t)head[18] << 8 | head[19];
        CHECK(head[8] == 0 && head[9] == 0 && head[10] == 0 && head[11] == 0, "%s: round %d: return code %u/%u", label,
              round, head[11], (unsigned)head[14] << 8 | head[15]);
        unsigned char rest[256];
        size_t got = 0;
        while (body <= sizeof(rest) && got < body) {
            ssize_t r = recv(fd, rest + got, body - got, 0);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        CHECK(body <= sizeof(rest) && got == body, "%s: round %d: reply body %zu of %zu bytes", label, round, got,
              body);
    }
    close(fd);
}

struct streamer {
    int fd;
    volatile bool stop;
};

static void *drain_replies(void *arg)
{
    static unsigned char sink[1 << 16];
    while (read(*(int *)arg, sink, sizeof(sink)) > 0)
        ;
    return NULL;
}

static void *stream_requests(void *arg)
{
    struct streamer *st = arg;
    enum { N = 4096 };
    unsigned char *burst = malloc(N * sizeof(rngl_frame));
    for (size_t i = 0; burst && i < N; i++)
        memcpy(burst + i * sizeof(rngl_frame), rngl_frame, sizeof(rngl_frame));
    while (burst && !st->stop)
        if (send(st->fd, burst, N * sizeof(rngl_frame), MSG_NOSIGNAL) < 0)
            break;
    free(burst);
    return NULL;
}

/*
 * A client that pipelines requests without pause (its reads never run dry)
 * must not keep the only worker from another client: one request of a
 * second connection is answered within 250 ms while the first streams.
 */
static void streaming_client_does_not_starve(const char *sock, const char *label)
{
    struct streamer st = {.fd = it_connect_unix(sock)};
    REQUIRE(st.fd >= 0, "%s: connect", label);
    pthread_t reader, writer;
    REQUIRE(pthread_create(&reader, NULL, drain_replies, &st.fd) == 0, "thread");
    REQUIRE(pthread_create(&writer, NULL, stream_requests, &st) == 0, "thread");
    it_sleep_ms(300);
    int b = it_connect_unix(sock);
    REQUIRE(b >= 0, "%s: second connect", label);
    struct timeval limit = {.tv_sec = 2}; /* a starved request fails here, not at the watchdog */
    setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    int64_t t0 = it_now_ns();
    CHECK(send(b, rngl_frame, sizeof(rngl_frame), MSG_NOSIGNAL) == (ssize_t)sizeof(rngl_frame), "%s: send", label);
    unsigned char head[20];
    ssize_t got = recv(b, head, sizeof(head), MSG_WAITALL);
    double ms = it_ms(it_now_ns() - t0);
    st.stop = true;
    pthread_join(writer, NULL);
    shutdown(st.fd, SHUT_WR);
    pthread_join(reader, NULL);
    close(st.fd);
    close(b);
    CHECK(got == (ssize_t)sizeof(head) && memcmp(head, "CSRP", 4) == 0, "%s: no reply while another client streams",
          label);
    CHECK(ms < 250.0, "%s: a request took %.1f ms while another client streamed", label, ms);
    it_log("%s: one request answered in %.2f ms while another client streamed requests\n", label, ms);
}

struct caller {
    const unsigned char *text;
    int failures;
};

static void *caller_main(void *arg)
{
    struct caller *c = arg;
    for (int i = 0; i < 20; i++)
        if (!encipher_matches(c->text, i % 2 ? 64 * 1024 : 1024, "two callers"))
            c->failures++;
    return NULL;
}

static void phase(const char *mode)
{
    it_begin(mode, 50);
    struct it_daemon d;
    it_daemon_init(&d);
    char spec[200];
    snprintf(spec, sizeof(spec), "unix:%s", d.sock);
    it_setenv("CSU_CARD", spec);
    const char *const one_worker[] = {"--workers", "1", NULL};
    REQUIRE(it_daemon_start(&d, one_worker, 10000) == 0, "%s: csucard did not start", mode);
    REQUIRE(it_wait_post("PASSED", 10000), "%s: POST did not pass", mode);

    unsigned char *text = malloc(BIG);
    REQUIRE(text && RAND_bytes(text, BIG) == 1, "random text");
    static const long sizes[] = {1024, 64 * 1024, 1024, BIG, 16, 64 * 1024, BIG, 1024};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        encipher_matches(text, sizes[i], mode);
    hash_matches(text, BIG, mode);
    split_request(d.sock, 20, mode);
    split_request(d.sock, 0, mode);

    streaming_client_does_not_starve(d.sock, mode);

    struct caller callers[2] = {{text, 0}, {text, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        REQUIRE(pthread_create(&t[i], NULL, caller_main, &callers[i]) == 0, "thread");
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK(callers[0].failures + callers[1].failures == 0, "%s: two callers: %d wrong results", mode,
          callers[0].failures + callers[1].failures);
    it_log("%s: 1 KiB to 512 KiB frames in both directions, split requests, two callers on one worker: %s\n", mode,
           it_failures ? "FAILED" : "same bytes as OpenSSL");

    int status = -1;
    CHECK(it_daemon_stop(&d, SIGTERM, 10000, &status), "%s: daemon did not stop", mode);
    if (it_failures)
        it_daemon_dump_log(&d);
    free(text);
    exit(it_failures ? 1 : 0);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--phase") == 0) {
        if (strcmp(argv[2], "nospin") == 0)
            it_setenv("CSU_SPIN_US", "0");
        phase(strcmp(argv[2], "nospin") == 0 ? "large_frames-CSU_SPIN_US=0" : "large_frames-default");
    }
    it_begin("large_frames", 110);
    static const char *const modes[] = {"default", "nospin"};
    for (int i = 0; i < 2; i++) {
        char *const args[] = {argv[0], "--phase", (char *)modes[i], NULL};
        pid_t pid = it_spawn_self(args, NULL, NULL);
        int status = -1;
        CHECK(pid > 0 && it_wait_exit(pid, 100000, &status) && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "phase %s failed (status 0x%x)", modes[i], status);
    }
    return it_failures ? 1 : 0;
}
