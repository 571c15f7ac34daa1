/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key-record-list files (reference §4.3): kyrltnnn.lst, nnn = 001..999 then
 * wrapping, the next number kept in kreclist.dat beside them (taken under
 * flock, so concurrent listings get distinct files).  154-byte header,
 * 154-byte detail lines, each 77-byte half ending in CR LF.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keystore.h"

#define LINE 154

static const char *const dir_var[KS_STORE_COUNT] = {"CSUDESLD", "CSUAESLD", "CSUPKALD"};
static const char *const dir_default[KS_STORE_COUNT] = {"/opt/IBM/CCA/keys/deslist", "/opt/IBM/CCA/keys/aeslist",
                                                        "/opt/IBM/CCA/keys/pkalist"};
static const char *const title[KS_STORE_COUNT] = {"DES KEY-RECORD-LIST", "AES KEY-RECORD-LIST",
                                                  "PKA KEY-RECORD-LIST"};

/* Copy @p text (NUL terminated) into the @p width-byte field at @p at, blank padded. */
static void field(uint8_t *line, size_t at, size_t width, const char *text)
{
    size_t n = strnlen(text, width);
    memcpy(line + at, text, n);
}

/* "ccyy-mm-dd hh:mm:ss" (local time), remembered for the last second formatted. */
static void timestamp(uint64_t t, char out[20])
{
    static __thread uint64_t last = UINT64_MAX;
    static __thread char text[20];
    if (t != last) {
        time_t tt = (time_t)t;
        struct tm tm;
        localtime_r(&tt, &tm);
        strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm);
        last = t;
    }
    memcpy(out, text, 20);
}

static void blank_line(uint8_t line[LINE])
{
    memset(line, ' ', LINE);
    line[75] = '\r', line[76] = '\n';
    line[152] = '\r', line[153] = '\n';
}

void ks_list_header(uint8_t line[LINE], enum ks_store s, const uint8_t pattern[KS_LABEL_LEN], size_t count,
                    uint64_t now)
{
    blank_line(line);
    char text[24];
    field(line, 0, 24, title[s]);
    timestamp(now, text);
    field(line, 26, 19, text);
    snprintf(text, sizeof(text), "%zu", count > 999999 ? (size_t)999999 : count);
    field(line, 50, 6, text);
    field(line, 58, 4, "154");
    field(line, 62, 4, "154");
    memcpy(line + 77, pattern, KS_LABEL_LEN);
}

void ks_list_detail(uint8_t line[LINE], const struct ks_record *rec, bool intact, const char *type,
                    const char *kind, const char *mkvp_hex)
{
    blank_line(line);
    char ts[20];
    line[0] = intact ? ' ' : '*';
    memcpy(line + 3, rec->label, KS_LABEL_LEN);
    field(line, 67, 8, intact ? type : "ERROR");
    field(line, 77, 4, intact ? mkvp_hex : "");
    timestamp(rec->created, ts);
    field(line, 92, 19, ts);
    timestamp(rec->updated, ts);
    field(line, 113, 19, ts);
    field(line, 133, 8, intact ? kind : "NO-KEY");
}

/* Take the next file number from kreclist.dat (locked), 1..999 then wrap. */
static int next_number(const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/kreclist.dat", dir) >= (int)sizeof(path))
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char buf[16] = {0};
    ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
    long n = r > 0 ? strtol(buf, NULL, 10) : 1;
    if (n < 1 || n > 999)
        n = 1;
    int len = snprintf(buf, sizeof(buf), "%03ld\n", n % 999 + 1);
    bool ok = ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)len, 0) == len;
    close(fd); /* releases the lock */
    return ok ? (int)n : -1;
}

struct list_ctx {
    enum ks_store s;
    const uint8_t *pattern;
    ks_describe_fn describe;
    FILE *f;
    size_t count;
    bool io_error;
};

static bool list_one(void *arg, const struct ks_record *rec, bool intact)
{
    struct list_ctx *c = arg;
    if (!ks_pattern_match(c->pattern, rec->label))
        return true;
    char type[9] = "NO-KEY", kind[9] = "NO-KEY", vp[5] = "";
    if (intact && rec->token_len > 0 && c->describe)
        c->describe(c->s, rec->token, rec->token_len, type, kind, vp);
    uint8_t line[LINE];
    ks_list_detail(line, rec, intact, type, kind, vp);
    if (fwrite(line, LINE, 1, c->f) != 1)
        c->io_error = true;
    c->count++;
    return !c->io_error;
}

ks_err ks_list(enum ks_store s, const uint8_t pattern[KS_LABEL_LEN], ks_describe_fn describe, char *path,
               size_t cap, size_t *count)
{
    ks_err err = (unsigned)s < KS_STORE_COUNT ? ks_pattern_check(pattern) : KS_UNSET;
    if (err)
        return err;
    const char *v = getenv(dir_var[s]);
    const char *dir = (v && *v) ? v : dir_default[s];
    mkdir(dir, 0770); /* may exist */
    int n = next_number(dir);
    if (n < 0)
        return KS_IO;
    if (snprintf(path, cap, "%s/kyrlt%03d.lst", dir, n) >= (int)cap)
        return KS_LENGTH;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return KS_IO;
    }
    char *iobuf = malloc(1u << 20); /* big writes: a million lines are 154 MB */
    if (iobuf)
        setvbuf(f, iobuf, _IOFBF, 1u << 20);
    uint8_t head[LINE];
    ks_list_header(head, s, pattern, 0, (uint64_t)time(NULL));
    struct list_ctx c = {s, pattern, describe, f, 0, fwrite(head, LINE, 1, f) != 1};
    if (!c.io_error)
        err = ks_scan(s, NULL, SIZE_MAX, list_one, &c, NULL);
    /* The count is known at the end: rewrite the header in place. */
    ks_list_header(head, s, pattern, c.count, (uint64_t)time(NULL));
    if (!err && (fflush(f) != 0 || pwrite(fd, head, LINE, 0) != LINE))
        c.io_error = true;
    if (fclose(f) != 0)
        c.io_error = true;
    free(iobuf);
    if (!err && c.io_error)
        err = KS_IO;
    if (!err && c.count == 0)
        err = KS_NO_MATCH;
    if (count)
        *count = c.count;
    return err;
}
