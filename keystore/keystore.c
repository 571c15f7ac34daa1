/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key records: the stored format, the header, and the record verbs'
 * operations on top of ks_lmdb.c's transactions and ks_cache.c.
 *
 * Record value (big-endian), keyed by the 64-byte blank-padded label:
 *   0  "KSR" + record version (1)      4  token length (4)
 *   8  created, seconds (8)           16  updated, seconds (8)
 *  24  seq: update counter (8)        32  SHA-256(label || bytes 0-31 || token)
 *  64  token
 * Header (meta database, key "header"): "KSH" + format version, MKVP (8).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csu_mu.h"
#include "ks_internal.h"

static const struct {
    long rc, rs;
    csu_err csu;
    const char *text;
} err_table[KS_ERR_COUNT_] = {
    [KS_OK] = {0, 0, CSU_OK, "ok"},
    [KS_NOT_FOUND] = {8, 30, CSU_E_LABEL_NOT_FOUND, "no record with that label"},
    [KS_EXISTS] = {8, 44, CSU_E_LABEL_EXISTS, "a record with that label exists"},
    [KS_LABEL] = {8, 32, CSU_E_LABEL_FORMAT, "key label format invalid"},
    [KS_UNSET] = {8, 6007, CSU_E_KEYSTORE_UNSET, "key-storage file not designated"},
    [KS_NOT_INIT] = {8, 6008, CSU_E_KEYSTORE_MISSING, "key-storage file missing or not initialised"},
    [KS_NOT_NULL] = {8, 44, CSU_E_LABEL_EXISTS, "record holds a key (CHECK)"},
    [KS_NO_MATCH] = {4, 158, CSU_W_NO_MATCH, "no record matched the pattern"},
    [KS_BAD_RECORD] = {8, 192, CSU_E_RECORD_CHECK, "record integrity check failed"},
    [KS_LENGTH] = {8, 72, CSU_E_LENGTH, "length invalid"},
    [KS_TOKEN] = {8, 181, CSU_E_TOKEN_TYPE, "not a key token"},
    [KS_IO] = {12, 197, CSU_E_KEYSTORE_IO, "key-storage I/O error"},
    [KS_NOMEM] = {12, 324, CSU_E_NOMEM, "memory exhausted"},
};

struct ks_cca ks_err_cca(ks_err e)
{
    if ((unsigned)e >= KS_ERR_COUNT_)
        return (struct ks_cca){16, 336};
    return (struct ks_cca){err_table[e].rc, err_table[e].rs};
}

csu_err ks_err_csu(ks_err e) { return (unsigned)e < KS_ERR_COUNT_ ? err_table[e].csu : CSU_E_INTERNAL; }
const char *ks_strerror(ks_err e) { return (unsigned)e < KS_ERR_COUNT_ ? err_table[e].text : "unknown"; }

/* ---- record codec ------------------------------------------------------- */

static void store_be64(uint8_t *p, uint64_t v)
{
    csu_store_be32(p, (uint32_t)(v >> 32));
    csu_store_be32(p + 4, (uint32_t)v);
}

static uint64_t load_be64(const uint8_t *p) { return (uint64_t)csu_load_be32(p) << 32 | csu_load_be32(p + 4); }

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static pthread_key_t md_key;
static EVP_MD *sha256;

static void md_ctx_free(void *p) { EVP_MD_CTX_free(p); }
static void md_init(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    pthread_key_create(&md_key, md_ctx_free);
}

/* SHA-256 over label, the fixed fields and the token, with a per-thread context. */
static bool record_digest(const uint8_t *label, const uint8_t *fixed, const uint8_t *tok, size_t n, uint8_t out[32])
{
    pthread_once(&md_once, md_init);
    EVP_MD_CTX *ctx = pthread_getspecific(md_key);
    if (!ctx) {
        ctx = EVP_MD_CTX_new();
        if (!ctx || pthread_setspecific(md_key, ctx) != 0) {
            EVP_MD_CTX_free(ctx);
            return false;
        }
    }
    unsigned int len = 0;
    return sha256 && EVP_DigestInit_ex2(ctx, sha256, NULL) && EVP_DigestUpdate(ctx, label, KS_LABEL_LEN) &&
           EVP_DigestUpdate(ctx, fixed, 32) && EVP_DigestUpdate(ctx, tok, n) &&
           EVP_DigestFinal_ex(ctx, out, &len) && len == 32;
}

size_t ks_record_encode(const struct ks_record *rec, uint8_t *out)
{
    memcpy(out, "KSR", 3);
    out[3] = KS_RECORD_VERSION;
    csu_store_be32(out + 4, (uint32_t)rec->token_len);
    store_be64(out + 8, rec->created);
    store_be64(out + 16, rec->updated);
    store_be64(out + 24, rec->seq);
    memcpy(out + KS_REC_HDR, rec->token, rec->token_len);
    if (!record_digest(rec->label, out, rec->token, rec->token_len, out + 32))
        memset(out + 32, 0, 32); /* reads will report the record as damaged */
    return KS_REC_HDR + rec->token_len;
}

bool ks_record_decode(const uint8_t label[KS_LABEL_LEN], const uint8_t *val, size_t len, struct ks_record *rec)
{
    if (len < KS_REC_HDR || memcmp(val, "KSR", 3) != 0 || val[3] != KS_RECORD_VERSION)
        return false;
    size_t n = csu_load_be32(val + 4);
    if (n > KS_MAX_TOKEN || n != len - KS_REC_HDR)
        return false;
    uint8_t d[32];
    if (!record_digest(label, val, val + KS_REC_HDR, n, d) || CRYPTO_memcmp(d, val + 32, 32) != 0)
        return false;
    memcpy(rec->label, label, KS_LABEL_LEN);
    rec->token_len = n;
    rec->created = load_be64(val + 8);
    rec->updated = load_be64(val + 16);
    rec->seq = load_be64(val + 24);
    memcpy(rec->token, val + KS_REC_HDR, n);
    return true;
}

/* ---- header --------------------------------------------------------------- */

static const MDB_val header_key = {6, (void *)"header"};
static const MDB_val cursor_key = {6, (void *)"cursor"};

static int put_header(struct ks_env *e, MDB_txn *t, void *arg)
{
    uint8_t h[4 + KS_MKVP_LEN];
    memcpy(h, "KSH", 3);
    h[3] = KS_FORMAT_VERSION;
    memcpy(h + 4, arg, KS_MKVP_LEN);
    MDB_val v = {sizeof(h), h};
    return mdb_put(t, e->meta, (MDB_val *)&header_key, &v, 0);
}

ks_err ks_init(enum ks_store s, const uint8_t mkvp[KS_MKVP_LEN])
{
    struct ks_env *e;
    ks_err err = ks_env_create(s, &e);
    if (err)
        return err;
    err = ks_run_write(e, put_header, (void *)mkvp, NULL);
    return err;
}

ks_err ks_set_mkvp(enum ks_store s, const uint8_t mkvp[KS_MKVP_LEN])
{
    struct ks_env *e;
    ks_err err = ks_env_get(s, &e);
    return err ? err : ks_run_write(e, put_header, (void *)mkvp, NULL);
}

struct header_arg {
    uint8_t *mkvp;
    uint32_t version;
};

static int get_header(struct ks_env *e, MDB_txn *t, void *arg)
{
    struct header_arg *a = arg;
    MDB_val v;
    int rc = mdb_get(t, e->meta, (MDB_val *)&header_key, &v);
    if (rc == MDB_NOTFOUND)
        return KS_BODY(KS_NOT_INIT);
    if (rc)
        return rc;
    if (v.mv_size != 4 + KS_MKVP_LEN || memcmp(v.mv_data, "KSH", 3) != 0)
        return KS_BODY(KS_IO);
    a->version = ((uint8_t *)v.mv_data)[3];
    memcpy(a->mkvp, (uint8_t *)v.mv_data + 4, KS_MKVP_LEN);
    return 0;
}

ks_err ks_header(enum ks_store s, uint8_t mkvp[KS_MKVP_LEN], uint32_t *version)
{
    struct ks_env *e;
    ks_err err = ks_env_get(s, &e);
    struct header_arg a = {mkvp, 0};
    if (!err)
        err = ks_run_read(e, get_header, &a, NULL);
    if (!err && version)
        *version = a.version;
    return err;
}

/* ---- record operations ------------------------------------------------- */

struct op {
    const uint8_t *label;
    const uint8_t *token;
    size_t token_len;
    bool flag; /* create: -; write: only over null; delete: whole record */
    struct ks_record *rec; /* scratch / result */
    uint8_t *buf;          /* encoded value */
};

static uint64_t now_seconds(void) { return (uint64_t)time(NULL); }

/* Read @p label's record inside @p t into o->rec. */
static int fetch(struct ks_env *e, MDB_txn *t, struct op *o)
{
    MDB_val k = {KS_LABEL_LEN, (void *)o->label}, v;
    int rc = mdb_get(t, e->recs, &k, &v);
    if (rc)
        return rc;
    return ks_record_decode(o->label, v.mv_data, v.mv_size, o->rec) ? 0 : KS_BODY(KS_BAD_RECORD);
}

static int store_rec(struct ks_env *e, MDB_txn *t, struct op *o, unsigned flags)
{
    memcpy(o->rec->label, o->label, KS_LABEL_LEN);
    size_t n = ks_record_encode(o->rec, o->buf);
    MDB_val k = {KS_LABEL_LEN, (void *)o->label}, v = {n, o->buf};
    return mdb_put(t, e->recs, &k, &v, flags);
}

static int body_create(struct ks_env *e, MDB_txn *t, void *arg)
{
    struct op *o = arg;
    struct ks_record *r = o->rec;
    memcpy(r->label, o->label, KS_LABEL_LEN);
    r->created = r->updated = now_seconds();
    r->seq = 1;
    r->token_len = o->token_len;
    if (o->token_len) /* a null record may come with no token pointer */
        memcpy(r->token, o->token, o->token_len);
    return store_rec(e, t, o, MDB_NOOVERWRITE);
}

static int body_write(struct ks_env *e, MDB_txn *t, void *arg)
{
    struct op *o = arg;
    int rc = fetch(e, t, o);
    if (rc && rc != KS_BODY(KS_BAD_RECORD))
        return rc;
    if (rc) { /* a damaged record may be overwritten, its history is lost */
        o->rec->created = now_seconds();
        o->rec->seq = 0;
        o->rec->token_len = 0;
    }
    if (o->flag && o->rec->token_len != 0)
        return KS_BODY(KS_NOT_NULL);
    o->rec->updated = now_seconds();
    o->rec->seq++;
    o->rec->token_len = o->token_len;
    if (o->token_len)
        memcpy(o->rec->token, o->token, o->token_len);
    return store_rec(e, t, o, 0);
}

static int body_delete(struct ks_env *e, MDB_txn *t, void *arg)
{
    struct op *o = arg;
    if (o->flag) {
        MDB_val k = {KS_LABEL_LEN, (void *)o->label};
        return mdb_del(t, e->recs, &k, NULL);
    }
    o->token = NULL;
    o->token_len = 0;
    o->flag = false;
    return body_write(e, t, o);
}

static int body_read(struct ks_env *e, MDB_txn *t, void *arg) { return fetch(e, t, arg); }

/* Scratch for one operation: a record and its encoding, heap allocated (16 KiB). */
static ks_err op_begin(struct op *o, const uint8_t *label, const uint8_t *token, size_t len, bool flag)
{
    memset(o, 0, sizeof(*o));
    if (len > KS_MAX_TOKEN)
        return KS_LENGTH;
    o->rec = malloc(sizeof(*o->rec));
    o->buf = malloc(KS_REC_HDR + KS_MAX_TOKEN);
    if (!o->rec || !o->buf) {
        free(o->rec);
        free(o->buf);
        return KS_NOMEM;
    }
    o->label = label;
    o->token = token;
    o->token_len = len;
    o->flag = flag;
    return KS_OK;
}

static void op_end(struct op *o)
{
    OPENSSL_cleanse(o->rec, sizeof(*o->rec));
    OPENSSL_cleanse(o->buf, KS_REC_HDR + KS_MAX_TOKEN);
    free(o->rec);
    free(o->buf);
}

/* Run a write operation and keep the cache in step with what was committed. */
static ks_err run_op(enum ks_store s, ks_txn_body body, const uint8_t *label, const uint8_t *token, size_t len,
                     bool flag)
{
    ks_err err = ks_label_check(label);
    struct ks_env *e;
    if (!err)
        err = ks_env_get(s, &e);
    struct op o;
    if (!err)
        err = op_begin(&o, label, token, len, flag);
    if (err)
        return err;
    uint64_t txnid = 0;
    err = ks_run_write(e, body, &o, &txnid);
    if (!err && !(body == body_delete && flag))
        ks_cache_put(e->cache, label, o.rec->token, o.rec->token_len, txnid);
    else
        ks_cache_drop(e->cache, label);
    op_end(&o);
    return err;
}

ks_err ks_create(enum ks_store s, const uint8_t label[KS_LABEL_LEN], const uint8_t *token, size_t token_len)
{
    return run_op(s, body_create, label, token, token_len, false);
}

ks_err ks_write(enum ks_store s, const uint8_t label[KS_LABEL_LEN], const uint8_t *token, size_t token_len,
                bool only_over_null)
{
    return run_op(s, body_write, label, token, token_len, only_over_null);
}

ks_err ks_delete(enum ks_store s, const uint8_t label[KS_LABEL_LEN], bool whole)
{
    return run_op(s, body_delete, label, NULL, 0, whole);
}

ks_err ks_read_record(enum ks_store s, const uint8_t label[KS_LABEL_LEN], struct ks_record *rec)
{
    ks_err err = ks_label_check(label);
    struct ks_env *e;
    if (!err)
        err = ks_env_get(s, &e);
    if (err)
        return err;
    struct op o = {.label = label, .rec = rec};
    return ks_run_read(e, body_read, &o, NULL);
}

/* Uncached read: decode straight into the caller's buffer through a stack record. */
struct read_arg {
    const uint8_t *label;
    uint8_t *buf;
    size_t cap, len;
};

static int body_read_token(struct ks_env *e, MDB_txn *t, void *arg)
{
    struct read_arg *a = arg;
    MDB_val k = {KS_LABEL_LEN, (void *)a->label}, v;
    int rc = mdb_get(t, e->recs, &k, &v);
    if (rc)
        return rc;
    const uint8_t *val = v.mv_data;
    uint8_t d[32];
    size_t n = v.mv_size >= KS_REC_HDR ? csu_load_be32(val + 4) : 0;
    if (v.mv_size < KS_REC_HDR || memcmp(val, "KSR", 3) != 0 || val[3] != KS_RECORD_VERSION ||
        n != v.mv_size - KS_REC_HDR || n > KS_MAX_TOKEN ||
        !record_digest(a->label, val, val + KS_REC_HDR, n, d) || CRYPTO_memcmp(d, val + 32, 32) != 0)
        return KS_BODY(KS_BAD_RECORD);
    if (n > a->cap)
        return KS_BODY(KS_LENGTH);
    memcpy(a->buf, val + KS_REC_HDR, n);
    a->len = n;
    return 0;
}

ks_err ks_read(enum ks_store s, const uint8_t label[KS_LABEL_LEN], uint8_t *buf, size_t cap, size_t *len)
{
    struct ks_env *e;
    ks_err err = ks_env_get(s, &e);
    if (err)
        return ks_label_check(label) ? KS_LABEL : err; /* a malformed label is reported first */
    /* A hit needs no label check: only labels that passed it are cached, and a hit is a 64-byte match. */
    if (ks_cache_get(e->cache, label, ks_last_txnid(e), buf, cap, len, &err))
        return err;
    if ((err = ks_label_check(label)) != KS_OK)
        return err;
    struct read_arg a = {label, buf, cap, 0};
    uint64_t txnid = 0;
    err = ks_run_read(e, body_read_token, &a, &txnid);
    if (!err) {
        *len = a.len;
        ks_cache_put(e->cache, label, buf, a.len, txnid);
    }
    return err;
}

static int body_count(struct ks_env *e, MDB_txn *t, void *arg)
{
    MDB_stat st;
    int rc = mdb_stat(t, e->recs, &st);
    if (!rc)
        *(size_t *)arg = st.ms_entries;
    return rc;
}

ks_err ks_count(enum ks_store s, size_t *n)
{
    struct ks_env *e;
    ks_err err = ks_env_get(s, &e);
    return err ? err : ks_run_read(e, body_count, n, NULL);
}

void ks_cache_stats(enum ks_store s, struct ks_cache_stats *out)
{
    struct ks_env *e;
    memset(out, 0, sizeof(*out));
    if (ks_env_get(s, &e) == KS_OK)
        ks_cache_get_stats(e->cache, out);
}

/* ---- scans and batches (listing, re-encipher) -------------------------- */

struct scan_arg {
    const uint8_t *after;
    size_t max, visited;
    ks_visit_fn fn;
    void *arg;
    struct ks_record *rec;
};

static int body_scan(struct ks_env *e, MDB_txn *t, void *arg)
{
    struct scan_arg *a = arg;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t, e->recs, &c);
    if (rc)
        return rc;
    MDB_val k = {KS_LABEL_LEN, (void *)a->after}, v;
    rc = a->after ? mdb_cursor_get(c, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(c, &k, &v, MDB_FIRST);
    if (rc == 0 && a->after && k.mv_size == KS_LABEL_LEN && memcmp(k.mv_data, a->after, KS_LABEL_LEN) == 0)
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    for (; rc == 0 && a->visited < a->max; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != KS_LABEL_LEN)
            continue;
        bool intact = ks_record_decode(k.mv_data, v.mv_data, v.mv_size, a->rec);
        if (!intact) {
            memset(a->rec, 0, offsetof(struct ks_record, token));
            memcpy(a->rec->label, k.mv_data, KS_LABEL_LEN);
        }
        a->visited++;
        if (!a->fn(a->arg, a->rec, intact))
            break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

ks_err ks_scan(enum ks_store s, const uint8_t *after, size_t max, ks_visit_fn fn, void *arg, size_t *visited)
{
    struct ks_env *e;
    ks_err err = ks_env_get(s, &e);
    if (err)
        return err;
    struct scan_arg a = {after, max, 0, fn, arg, malloc(sizeof(struct ks_record))};
    if (!a.rec)
        return KS_NOMEM;
    err = ks_run_read(e, body_scan, &a, NULL);
    OPENSSL_cleanse(a.rec, sizeof(*a.rec));
    free(a.rec);
    if (visited)
        *visited = a.visited;
    return err;
}

struct batch_arg {
    struct ks_update *u;
    size_t n;
    const uint8_t *cursor;
    struct op o;
};

static int body_batch(struct ks_env *e, MDB_txn *t, void *arg)
{
    struct batch_arg *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        struct ks_update *u = &b->u[i];
        b->o.label = u->label;
        int rc = fetch(e, t, &b->o);
        u->applied = false;
        if (rc == MDB_NOTFOUND || (rc == 0 && b->o.rec->seq != u->seq))
            continue; /* deleted or changed since it was read: leave it */
        if (rc)
            return rc;
        b->o.rec->updated = now_seconds();
        b->o.rec->seq++;
        b->o.rec->token_len = u->token_len;
        memcpy(b->o.rec->token, u->token, u->token_len);
        if ((rc = store_rec(e, t, &b->o, 0)) != 0)
            return rc;
        u->applied = true;
    }
    if (!b->cursor) {
        int rc = mdb_del(t, e->meta, (MDB_val *)&cursor_key, NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    MDB_val v = {KS_LABEL_LEN, (void *)b->cursor};
    return mdb_put(t, e->meta, (MDB_val *)&cursor_key, &v, 0);
}

ks_err ks_apply_batch(enum ks_store s, struct ks_update *u, size_t n, const uint8_t *cursor)
{
    struct ks_env *e;
    ks_err err = ks_env_get(s, &e);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++)
        if (u[i].token_len > KS_MAX_TOKEN)
            return KS_LENGTH;
    struct batch_arg b = {u, n, cursor, {0}};
    if ((err = op_begin(&b.o, NULL, NULL, 0, false)) != KS_OK)
        return err;
    uint64_t txnid = 0;
    err = ks_run_write(e, body_batch, &b, &txnid);
    for (size_t i = 0; i < n; i++)
        ks_cache_drop(e->cache, u[i].label);
    op_end(&b.o);
    return err;
}

static int body_cursor(struct ks_env *e, MDB_txn *t, void *arg)
{
    MDB_val v;
    int rc = mdb_get(t, e->meta, (MDB_val *)&cursor_key, &v);
    if (rc)
        return rc;
    if (v.mv_size != KS_LABEL_LEN)
        return KS_BODY(KS_IO);
    memcpy(arg, v.mv_data, KS_LABEL_LEN);
    return 0;
}

ks_err ks_get_cursor(enum ks_store s, uint8_t cursor[KS_LABEL_LEN])
{
    struct ks_env *e;
    ks_err err = ks_env_get(s, &e);
    return err ? err : ks_run_read(e, body_cursor, cursor, NULL);
}

/* ---- wildcard delete ------------------------------------------------------ */

struct match_arg {
    const uint8_t *pattern;
    bool whole;
    size_t count;
    struct op o;
};

static int body_delete_matching(struct ks_env *e, MDB_txn *t, void *arg)
{
    struct match_arg *m = arg;
    MDB_cursor *c;
    m->count = 0;
    int rc = mdb_cursor_open(t, e->recs, &c);
    if (rc)
        return rc;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != KS_LABEL_LEN || !ks_pattern_match(m->pattern, k.mv_data))
            continue;
        m->count++;
        if (m->whole) {
            rc = mdb_cursor_del(c, 0);
        } else {
            uint8_t label[KS_LABEL_LEN];
            memcpy(label, k.mv_data, KS_LABEL_LEN);
            if (!ks_record_decode(label, v.mv_data, v.mv_size, m->o.rec)) {
                m->o.rec->created = now_seconds();
                m->o.rec->seq = 0;
            }
            m->o.rec->updated = now_seconds();
            m->o.rec->seq++;
            m->o.rec->token_len = 0;
            m->o.label = label;
            memcpy(m->o.rec->label, label, KS_LABEL_LEN);
            size_t n = ks_record_encode(m->o.rec, m->o.buf);
            MDB_val nv = {n, m->o.buf};
            rc = mdb_cursor_put(c, &k, &nv, MDB_CURRENT);
            m->o.label = NULL;
        }
        if (rc)
            break;
    }
    mdb_cursor_close(c);
    if (rc != MDB_NOTFOUND)
        return rc;
    return m->count ? 0 : KS_BODY(KS_NO_MATCH);
}

ks_err ks_delete_matching(enum ks_store s, const uint8_t pattern[KS_LABEL_LEN], bool whole, size_t *count)
{
    ks_err err = ks_pattern_check(pattern);
    struct ks_env *e;
    if (!err)
        err = ks_env_get(s, &e);
    struct match_arg m = {pattern, whole, 0, {0}};
    if (!err)
        err = op_begin(&m.o, NULL, NULL, 0, false);
    if (err)
        return err;
    err = ks_run_write(e, body_delete_matching, &m, NULL);
    ks_cache_clear(e->cache);
    op_end(&m.o);
    if (count)
        *count = err ? 0 : m.count;
    return err;
}
