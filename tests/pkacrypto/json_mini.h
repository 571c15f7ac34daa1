/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small JSON reader for the Wycheproof files (tests only): parses the
 * whole document into a tree of nodes; strings keep their raw bytes (the
 * vectors' hex and ASCII fields have no escapes that matter here, but \"
 * and \\ are decoded).  Any syntax error aborts the parse (NULL).
 */
#ifndef JSON_MINI_H
#define JSON_MINI_H

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
    enum jtype type;
    char *key;         /* member name inside an object */
    char *str;         /* J_STR */
    double num;        /* J_NUM, J_BOOL */
    struct jnode *kid; /* first child (J_ARR, J_OBJ) */
    struct jnode *next;
};

struct jparse {
    const char *p, *end;
};

static inline void jskip(struct jparse *s)
{
    while (s->p < s->end && isspace((unsigned char)*s->p))
        s->p++;
}

static inline struct jnode *jvalue(struct jparse *s);

static inline char *jstring(struct jparse *s)
{
    if (s->p >= s->end || *s->p != '"')
        return NULL;
    s->p++;
    size_t cap = 16, n = 0;
    char *out = malloc(cap);
    while (out && s->p < s->end && *s->p != '"') {
        char c = *s->p++;
        if (c == '\\' && s->p < s->end) {
            c = *s->p++;
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
        }
        if (n + 2 > cap)
            out = realloc(out, cap *= 2);
        if (out)
            out[n++] = c;
    }
    if (!out || s->p >= s->end) {
        free(out);
        return NULL;
    }
    s->p++;
    out[n] = 0;
    return out;
}

static inline void jfree(struct jnode *n)
{
    while (n) {
        struct jnode *next = n->next;
        jfree(n->kid);
        free(n->key);
        free(n->str);
        free(n);
        n = next;
    }
}

static inline struct jnode *jcontainer(struct jparse *s, bool obj)
{
    struct jnode *n = calloc(1, sizeof(*n)), **tail = &n->kid;
    n->type = obj ? J_OBJ : J_ARR;
    s->p++;
    jskip(s);
    if (s->p < s->end && *s->p == (obj ? '}' : ']')) {
        s->p++;
        return n;
    }
    for (;;) {
        char *key = NULL;
        jskip(s);
        if (obj) {
            key = jstring(s);
            jskip(s);
            if (!key || s->p >= s->end || *s->p++ != ':') {
                free(key);
                jfree(n);
                return NULL;
            }
        }
        struct jnode *v = jvalue(s);
        if (!v) {
            free(key);
            jfree(n);
            return NULL;
        }
        v->key = key;
        *tail = v;
        tail = &v->next;
        jskip(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == (obj ? '}' : ']')) {
            s->p++;
            return n;
        }
        jfree(n);
        return NULL;
    }
}

static inline struct jnode *jvalue(struct jparse *s)
{
    jskip(s);
    if (s->p >= s->end)
        return NULL;
    if (*s->p == '{' || *s->p == '[')
        return jcontainer(s, *s->p == '{');
    struct jnode *n = calloc(1, sizeof(*n));
    if (*s->p == '"') {
        n->type = J_STR;
        n->str = jstring(s);
        if (!n->str) {
            free(n);
            return NULL;
        }
        return n;
    }
    static const struct {
        const char *w;
        enum jtype t;
        double v;
    } lits[] = {{"true", J_BOOL, 1}, {"false", J_BOOL, 0}, {"null", J_NULL, 0}};
    for (size_t i = 0; i < 3; i++) {
        size_t l = strlen(lits[i].w);
        if ((size_t)(s->end - s->p) >= l && memcmp(s->p, lits[i].w, l) == 0) {
            s->p += l;
            n->type = lits[i].t;
            n->num = lits[i].v;
            return n;
        }
    }
    char *endp;
    n->num = strtod(s->p, &endp);
    if (endp == s->p) {
        free(n);
        return NULL;
    }
    n->type = J_NUM;
    s->p = endp;
    return n;
}

/* Parse the file at @p path; NULL when absent or malformed. */
static inline struct jnode *jload(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    size_t got = buf ? fread(buf, 1, (size_t)len, f) : 0;
    fclose(f);
    struct jparse s = {buf, buf + got};
    struct jnode *root = buf && got == (size_t)len ? jvalue(&s) : NULL;
    free(buf);
    return root;
}

/* Member @p key of object @p n, or NULL. */
static inline struct jnode *jget(const struct jnode *n, const char *key)
{
    for (struct jnode *k = n ? n->kid : NULL; k; k = k->next)
        if (k->key && strcmp(k->key, key) == 0)
            return k;
    return NULL;
}

static inline const char *jstr(const struct jnode *n, const char *key)
{
    const struct jnode *v = jget(n, key);
    return v && v->type == J_STR ? v->str : NULL;
}

/* Hex string -> bytes; returns the length or -1 (odd length / too long). */
static inline long jhex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = hex ? strlen(hex) : 0;
    if (!hex || n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return (long)(n / 2);
}

/* True when the test's "flags" array holds @p flag. */
static inline bool jflag(const struct jnode *test, const char *flag)
{
    const struct jnode *f = jget(test, "flags");
    for (const struct jnode *k = f ? f->kid : NULL; k; k = k->next)
        if (k->type == J_STR && strcmp(k->str, flag) == 0)
            return true;
    return false;
}

#endif
