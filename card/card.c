/* SPDX-License-Identifier: Apache-2.0 */
/* Card life cycle, workers and request dispatch (interface in card.h). */
#include "card_internal.h"
#include "card_ctx.h"
#include "card_keycache.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* Operation -> handler.  An operation without a handler is refused 16/556. */
static csu_err (*const handlers[CSU_OP_COUNT_])(struct fw_ctx *) = {
    [CSU_OP_CSUACFQ] = fw_csuacfq,
    [CSU_OP_CSUACFC] = fw_csuacfc,
    [CSU_OP_CSNBRNG] = fw_csnbrng,
    [CSU_OP_CSNBRNGL] = fw_csnbrngl,
    [CSU_OP_CSNBMKP] = fw_csnbmkp,
    [CSU_OP_CSNBKTB] = fw_csnbktb,
    [CSU_OP_CSNBKTB2] = fw_csnbktb2,
    [CSU_OP_CSNBKGN] = fw_csnbkgn,
    [CSU_OP_CSNBKGN2] = fw_csnbkgn2,
    [CSU_OP_CSNBCKM] = fw_csnbckm,
    [CSU_OP_CSNBCKI] = fw_csnbcki,
    [CSU_OP_CSNBKPI] = fw_csnbkpi,
    [CSU_OP_CSNBKPI2] = fw_csnbkpi2,
    [CSU_OP_CSNBKYT] = fw_csnbkyt,
    [CSU_OP_CSNBKYT2] = fw_csnbkyt2,
    [CSU_OP_CSNBKTC] = fw_csnbktc,
    [CSU_OP_CSNBKTC2] = fw_csnbktc2,
    [CSU_OP_CSNDPKB] = fw_csndpkb,
    [CSU_OP_CSNDPKG] = fw_csndpkg,
    [CSU_OP_CSNDPKI] = fw_csndpki,
    [CSU_OP_CSNDPKX] = fw_csndpkx,
    [CSU_OP_CSNDKTC] = fw_csndktc,
    [CSU_OP_CSNBENC] = fw_csnbenc,
    [CSU_OP_CSNBDEC] = fw_csnbdec,
    [CSU_OP_CSNBMGN] = fw_csnbmgn,
    [CSU_OP_CSNBMVR] = fw_csnbmvr,
    [CSU_OP_CSNBSAE] = fw_csnbsae,
    [CSU_OP_CSNBSAD] = fw_csnbsad,
    [CSU_OP_CSNBMGN2] = fw_csnbmgn2,
    [CSU_OP_CSNBMVR2] = fw_csnbmvr2,
    [CSU_OP_CSNBHMG] = fw_csnbhmg,
    [CSU_OP_CSNBHMV] = fw_csnbhmv,
    [CSU_OP_CSNBOWH] = fw_csnbowh,
    [CSU_OP_CSNDDSG] = fw_csnddsg,
    [CSU_OP_CSNDDSV] = fw_csnddsv,
    [CSU_OP_CSNDPKE] = fw_csndpke,
    [CSU_OP_CSNDPKD] = fw_csndpkd,
    [CSU_OP_CSNBKSI] = fw_csnbksi,
    [CSU_OP_CSNDSYX] = fw_csndsyx,
    [CSU_OP_CSNDSYI] = fw_csndsyi,
    [CSU_OP_CSNDSYI2] = fw_csndsyi2,
    [CSU_OP_CSNDEDH] = fw_csndedh,
};

/* mkdir -p, every created level 0700: only the card reads its state. */
static csu_err make_state_dir(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
        return CSU_E_DEV_NAME;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return CSU_E_DEV_NAME;
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return CSU_E_DEV_NAME;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return CSU_E_DEV_NAME;
    return CSU_OK;
}

/* "off", "ENTRIES" or "ENTRIES,BYTES" (decimal); false when malformed. */
static bool parse_cache_spec(const char *spec, size_t *entries, size_t *bytes)
{
    if (strcmp(spec, "off") == 0 || strcmp(spec, "OFF") == 0) {
        *entries = *bytes = 0;
        return true;
    }
    char *end;
    errno = 0;
    unsigned long long e = strtoull(spec, &end, 10);
    if (errno || end == spec || (*end != '\0' && *end != ','))
        return false;
    unsigned long long b = KC_DEFAULT_BYTES;
    if (*end == ',') {
        const char *p = end + 1;
        b = strtoull(p, &end, 10);
        if (errno || end == p || *end != '\0')
            return false;
    }
    *entries = (size_t)e;
    *bytes = (size_t)b;
    return true;
}

/* The cache the options (or CSU_CARD_KEY_CACHE, or the defaults) ask for. */
static csu_err open_keycache(const struct card_options *opts, struct card_keycache **out)
{
    size_t entries = KC_DEFAULT_ENTRIES, bytes = KC_DEFAULT_BYTES;
    const char *spec = getenv("CSU_CARD_KEY_CACHE");
    if (opts->key_cache_set) {
        entries = opts->key_cache_entries;
        bytes = opts->key_cache_bytes;
    } else if (spec && *spec && !parse_cache_spec(spec, &entries, &bytes)) {
        entries = KC_DEFAULT_ENTRIES; /* a malformed variable is ignored, not fatal */
        bytes = KC_DEFAULT_BYTES;
    }
    return card_keycache_new(entries, bytes, out);
}

/* Runs the KATs, then waits out the configured extra POST time. */
static void *post_main(void *arg)
{
    struct card *card = arg;
    const char *failed = card_post_run(card->fail_kat);
    pthread_mutex_lock(&card->lock);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += card->post_seconds;
    while (!failed && !card->stopping &&
           pthread_cond_timedwait(&card->post_done, &card->lock, &until) != ETIMEDOUT)
        ;
    if (failed) /* before the state: card_post_state reads it without the lock */
        snprintf(card->failed_test, sizeof(card->failed_test), "%s", failed);
    card->post = failed ? CARD_POST_FAILED : CARD_POST_PASSED;
    pthread_cond_broadcast(&card->post_done);
    pthread_mutex_unlock(&card->lock);
    return NULL;
}

/* One process at a time serves a state directory: an exclusive lock on
 * STATEDIR/card.lock, held until the card closes (or the process dies). */
static int lock_state_dir(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/card.lock", dir) >= (int)sizeof(path))
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

csu_err card_open(const struct card_options *opts, struct card **out)
{
    if (!opts || !opts->state_dir || !*opts->state_dir)
        return CSU_E_DEV_NAME;
    csu_err err = make_state_dir(opts->state_dir);
    if (err != CSU_OK)
        return err;
    int lock_fd = lock_state_dir(opts->state_dir);
    if (lock_fd < 0)
        return CSU_E_DEV_ALLOCATED; /* another process serves this card */
    struct card *card = calloc(1, sizeof(*card));
    if (!card) {
        close(lock_fd);
        return CSU_E_NOMEM;
    }
    card->lock_fd = lock_fd;
    card->state_dir = strdup(opts->state_dir);
    card->fail_kat = opts->fail_kat ? strdup(opts->fail_kat) : NULL;
    card->post_seconds = opts->post_seconds;
    pthread_mutex_init(&card->lock, NULL);
    pthread_cond_init(&card->post_done, NULL);
    err = card->state_dir ? card_state_load(card->state_dir, &card->state) : CSU_E_NOMEM;
    if (err != CSU_OK) {
        free(card->state_dir); /* nothing loaded: nothing to save */
        card->state_dir = NULL;
        card_close(card);
        return err;
    }
    err = card_ctx_table_new(NULL, NULL, &card->ctx_table);
    if (err == CSU_OK)
        err = open_keycache(opts, &card->keycache);
    if (err != CSU_OK) {
        free(card->state_dir);
        card->state_dir = NULL; /* nothing changed: nothing to save */
        card_close(card);
        return err;
    }
    card->post = CARD_POST_RUNNING;
    if (opts->post_async && pthread_create(&card->post_thread, NULL, post_main, card) == 0)
        card->post_thread_running = true;
    else
        post_main(card);
    *out = card;
    return CSU_OK;
}

void card_close(struct card *card)
{
    if (!card)
        return;
    pthread_mutex_lock(&card->lock);
    card->stopping = true;
    pthread_cond_broadcast(&card->post_done);
    pthread_mutex_unlock(&card->lock);
    if (card->post_thread_running)
        pthread_join(card->post_thread, NULL);
    if (card->state_dir)
        card_state_save(card->state_dir, &card->state);
    pthread_cond_destroy(&card->post_done);
    pthread_mutex_destroy(&card->lock);
    free(card->state_dir);
    free(card->fail_kat);
    close(card->lock_fd);
    if (card->ctx_table)
        card_ctx_table_free(card->ctx_table);
    card_keycache_free(card->keycache); /* wipes every entry */
    OPENSSL_cleanse(card, sizeof(*card));
    free(card);
}

enum card_post_state card_post_state(struct card *card, const char **failed_test)
{
    /* Every request asks: an atomic load, no lock on the request path. */
    enum card_post_state s = atomic_load_explicit(&card->post, memory_order_acquire);
    if (failed_test) /* written once, before post leaves RUNNING */
        *failed_test = s == CARD_POST_FAILED ? card->failed_test : "";
    return s;
}

void card_wait_post(struct card *card)
{
    pthread_mutex_lock(&card->lock);
    while (card->post == CARD_POST_RUNNING)
        pthread_cond_wait(&card->post_done, &card->lock);
    pthread_mutex_unlock(&card->lock);
}

int64_t card_now(struct card *card)
{
    pthread_mutex_lock(&card->lock);
    int64_t offset = card->state.clock_offset;
    pthread_mutex_unlock(&card->lock);
    int64_t now;
    if (__builtin_add_overflow((int64_t)time(NULL), offset, &now))
        now = 0; /* unreachable with a validated offset; never undefined behaviour */
    return now;
}

csu_err card_worker_open(struct card *card, struct card_worker **out)
{
    struct card_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return CSU_E_NOMEM;
    pthread_mutex_lock(&card->lock);
    unsigned serial = ++card->worker_serial;
    pthread_mutex_unlock(&card->lock);
    char pers[64];
    int n = snprintf(pers, sizeof(pers), "csucard worker %u pid %ld", serial, (long)getpid());
    csu_err err = card_drbg_open(pers, (size_t)n, &w->drbg);
    if (err != CSU_OK) {
        free(w);
        return err;
    }
    w->card = card;
    *out = w;
    return CSU_OK;
}

void card_worker_close(struct card_worker *w)
{
    if (!w)
        return;
    card_drbg_close(w->drbg);
    free(w);
}

uint8_t *fw_output(struct fw_ctx *ctx, uint16_t tag, size_t len)
{
    if (ctx->output_count >= FW_MAX_OUTPUTS)
        return NULL;
    uint8_t *p = calloc(1, len ? len : 1);
    if (!p)
        return NULL;
    if (!csu_wire_add_block(&ctx->rep, tag, p, len)) {
        free(p);
        return NULL;
    }
    ctx->outputs[ctx->output_count] = p;
    ctx->output_lens[ctx->output_count++] = len;
    return p;
}

bool fw_output_shrink(struct fw_ctx *ctx, const uint8_t *p, size_t len)
{
    for (unsigned i = 0; i < ctx->output_count; i++) {
        if (ctx->outputs[i] != p)
            continue;
        if (len > ctx->output_lens[i])
            return false;
        for (uint16_t b = 0; b < ctx->rep.block_count; b++)
            if (ctx->rep.blocks[b].data == p) {
                ctx->rep.blocks[b].length = (uint32_t)len; /* output_lens keeps the size to wipe */
                return true;
            }
    }
    return false;
}

bool fw_put_element(struct fw_ctx *ctx, const char *text)
{
    if (ctx->rep.rule_count >= CSU_WIRE_MAX_RULES)
        return false;
    uint8_t *slot = ctx->rules_out + (size_t)ctx->rep.rule_count * CSU_RULE_WORD;
    size_t n = strnlen(text, CSU_RULE_WORD);
    memset(slot, ' ', CSU_RULE_WORD);
    memcpy(slot, text, n);
    ctx->rep.rule_count++;
    ctx->rep.rules = ctx->rules_out;
    return true;
}

uint32_t fw_out_capacity(const struct fw_ctx *ctx)
{
    uint32_t cap = 0;
    return csu_wire_get_u32(ctx->req, CSU_TAG_OUT_CAPACITY, &cap) ? cap : 0;
}

static EVP_MD *sha256_md, *sha1_md;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void fetch_digests(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
}

const EVP_MD *card_sha256(void)
{
    pthread_once(&md_once, fetch_digests);
    return sha256_md ? sha256_md : EVP_sha256();
}

const EVP_MD *card_sha1(void)
{
    pthread_once(&md_once, fetch_digests);
    return sha1_md ? sha1_md : EVP_sha1();
}

static void drop_outputs(struct fw_ctx *ctx)
{
    for (unsigned i = 0; i < ctx->output_count; i++) {
        OPENSSL_cleanse(ctx->outputs[i], ctx->output_lens[i]);
        free(ctx->outputs[i]);
    }
    ctx->output_count = 0;
    ctx->rep.block_count = 0;
    ctx->rep.rule_count = 0;
}

static void record_history(struct card *card, uint16_t op, uint32_t return_code)
{
    const char *name = csu_op_name(op);
    char verb[sizeof(card->history[0].verb)] = {0};
    memcpy(verb, name ? name : "UNKNOWN", strnlen(name ? name : "UNKNOWN", sizeof(verb) - 1));
    pthread_mutex_lock(&card->lock);
    struct card_history_entry *e = &card->history[card->history_next++ % CARD_HISTORY];
    memcpy(e->verb, verb, sizeof(verb));
    e->return_code = return_code;
    pthread_mutex_unlock(&card->lock);
}

/* Runs the handler; the reply carries its codes, or the error's with no output. */
static void execute(struct fw_ctx *ctx)
{
    csu_err err;
    if (ctx->post == CARD_POST_RUNNING && ctx->req->op != CSU_OP_CSUACFQ)
        err = CSU_E_CARD_NOT_READY;
    else if (ctx->post == CARD_POST_FAILED && ctx->req->op != CSU_OP_CSUACFQ)
        err = CSU_E_CARD_FAILED;
    else
        err = handlers[ctx->req->op] ? handlers[ctx->req->op](ctx) : CSU_E_FRAME;
    if (err != CSU_OK) {
        struct csu_cca_code c = csu_err_to_cca(err);
        drop_outputs(ctx);
        ctx->rep.return_code = (uint32_t)c.return_code;
        ctx->rep.reason_code = (uint32_t)c.reason_code;
    } else if (ctx->rep.return_code >= 8) {
        drop_outputs(ctx); /* a stopped verb returns nothing, however it said so */
    }
}

csu_err card_process_gather(struct card_worker *w, const uint8_t *request, size_t request_len, struct card_reply *r)
{
    r->ctx = (struct fw_ctx){.card = w->card, .worker = w, .req = &r->req};
    struct fw_ctx *ctx = &r->ctx;
    ctx->post = card_post_state(w->card, NULL);
    csu_err err = csu_wire_decode_request(request, request_len, &r->req);
    if (err == CSU_OK) {
        ctx->rep.op = r->req.op;
        struct kc_binding saved;
        card_keycache_bind(w->card->keycache, &saved); /* the unwrap functions find the cache through it */
        execute(ctx);
        card_keycache_unbind(&saved);
        record_history(w->card, r->req.op, ctx->rep.return_code);
    } else {
        struct csu_cca_code c = csu_err_to_cca(err);
        ctx->rep.return_code = (uint32_t)c.return_code;
        ctx->rep.reason_code = (uint32_t)c.reason_code;
    }
    err = csu_wire_encode_gather(&ctx->rep, true, &r->gather);
    if (err != CSU_OK)
        drop_outputs(ctx);
    return err;
}

void card_reply_release(struct card_reply *r)
{
    drop_outputs(&r->ctx);
    OPENSSL_cleanse(r->gather.meta, sizeof(r->gather.meta));
}

csu_err card_process(struct card_worker *w, const uint8_t *request, size_t request_len, uint8_t **reply,
                     size_t *reply_len)
{
    struct card_reply r;
    csu_err err = card_process_gather(w, request, request_len, &r);
    if (err != CSU_OK)
        return err;
    uint8_t *buf = malloc(r.gather.total);
    size_t off = 0;
    for (unsigned i = 0; buf && i < r.gather.count; i++) {
        memcpy(buf + off, r.gather.piece[i].base, r.gather.piece[i].len);
        off += r.gather.piece[i].len;
    }
    card_reply_release(&r);
    if (!buf)
        return CSU_E_NOMEM;
    *reply = buf;
    *reply_len = off;
    return CSU_OK;
}
