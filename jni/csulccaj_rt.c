/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csulccaj_rt.c - argument conversion for the generated JNI verb functions
 * (jni/csulccaj_verbs.c).  No verb logic: numbers in and out, arrays copied
 * in and out, and the one check the C library cannot make for Java - that a
 * length parameter does not claim more bytes than the Java array holds.
 *
 * Arrays are copied (Get/SetByteArrayRegion) rather than pinned: the verbs
 * block on the card, and a critical section would stall the garbage
 * collector for every thread while they do.
 */
#include "csulccaj_rt.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CCA_RC_ERROR 8L
#define CCA_RS_LENGTH 72L /* a length parameter is out of range */

static jmethodID mid_long_value; /* hikmNativeNumber.longValue()J */
static jmethodID mid_set_value;  /* hikmNativeNumber.setValue(J)V */
static jclass cls_npe;
static jclass cls_oom;

static jclass global_class(JNIEnv *env, const char *name)
{
    jclass local = (*env)->FindClass(env, name);
    if (!local)
        return NULL;
    jclass global = (*env)->NewGlobalRef(env, local);
    (*env)->DeleteLocalRef(env, local);
    return global;
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved)
{
    (void)reserved;
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK)
        return JNI_ERR;
    jclass num = (*env)->FindClass(env, "com/ibm/crypto/cca/jni/hikmNativeNumber");
    if (!num)
        return JNI_ERR;
    mid_long_value = (*env)->GetMethodID(env, num, "longValue", "()J");
    mid_set_value = (*env)->GetMethodID(env, num, "setValue", "(J)V");
    (*env)->DeleteLocalRef(env, num);
    cls_npe = global_class(env, "java/lang/NullPointerException");
    cls_oom = global_class(env, "java/lang/OutOfMemoryError");
    if (!mid_long_value || !mid_set_value || !cls_npe || !cls_oom)
        return JNI_ERR;
    return JNI_VERSION_1_8;
}

/* ---- byte counts -------------------------------------------------------- */

long rt_need_len(long v) { return v > 0 ? v : 0; }

long rt_need_max(int count, ...)
{
    va_list ap;
    long m = 0;
    va_start(ap, count);
    for (int i = 0; i < count; i++) {
        long v = rt_need_len(va_arg(ap, long));
        if (v > m)
            m = v;
    }
    va_end(ap);
    return m;
}

long rt_need_bits(long bits) { return bits > 0 ? bits / 8 + (bits % 8 != 0) : 0; }

long rt_need_count(long count, long unit)
{
    if (count <= 0)
        return 0;
    return count > LONG_MAX / unit ? LONG_MAX : count * unit;
}

long rt_need_sum(long a, long b)
{
    a = rt_need_len(a);
    b = rt_need_len(b);
    return a > LONG_MAX - b ? LONG_MAX : a + b;
}

long rt_need_pad(long v, long pad) { return rt_need_sum(v, pad); }

/* ---- numbers ------------------------------------------------------------ */

static bool set_number(JNIEnv *env, jobject obj, long v)
{
    if (!obj)
        return true;
    (*env)->CallVoidMethod(env, obj, mid_set_value, (jlong)v);
    return !(*env)->ExceptionCheck(env);
}

bool rt_begin(struct rt_call *c)
{
    JNIEnv *env = c->env;
    /* C returns at once without a place to report; Java gets told instead. */
    if (!c->nobj[0] || !c->nobj[1]) {
        (*env)->ThrowNew(env, cls_npe, c->nobj[0] ? "reason_code is null" : "return_code is null");
        return false;
    }
    for (int i = 0; i < c->nn; i++) {
        c->n[i] = 0;
        c->np[i] = NULL;
        if (!c->nobj[i])
            continue;
        c->n[i] = (long)(*env)->CallLongMethod(env, c->nobj[i], mid_long_value);
        if ((*env)->ExceptionCheck(env))
            return false;
        c->np[i] = &c->n[i];
    }
    return true;
}

/* ---- arrays ------------------------------------------------------------- */

void rt_add(struct rt_call *c, jbyteArray arr, long strict, long pad)
{
    struct rt_bytes *b = &c->b[c->nb++];
    b->arr = arr;
    b->jlen = arr ? (*c->env)->GetArrayLength(c->env, arr) : 0;
    b->strict = strict;
    b->pad = pad;
    b->buf = NULL;
    b->cap = 0;
}

static void release_all(struct rt_call *c)
{
    for (int i = 0; i < c->nb; i++) {
        struct rt_bytes *b = &c->b[i];
        if (b->buf) {
            explicit_bzero(b->buf, b->cap); /* may hold clear keys or key parts */
            free(b->buf);
            b->buf = NULL;
        }
    }
}

static bool report(struct rt_call *c, long rc, long rs)
{
    return set_number(c->env, c->nobj[0], rc) && set_number(c->env, c->nobj[1], rs);
}

bool rt_prepare(struct rt_call *c)
{
    JNIEnv *env = c->env;
    for (int i = 0; i < c->nb; i++) {
        if (c->b[i].arr && c->b[i].strict > (long)c->b[i].jlen) {
            report(c, CCA_RC_ERROR, CCA_RS_LENGTH);
            return false;
        }
    }
    for (int i = 0; i < c->nb; i++) {
        struct rt_bytes *b = &c->b[i];
        if (!b->arr)
            continue;
        b->cap = (size_t)b->jlen;
        if (b->pad > b->jlen)
            b->cap = (size_t)b->pad;
        b->buf = calloc(b->cap ? b->cap : 1, 1);
        if (!b->buf) {
            release_all(c);
            (*env)->ThrowNew(env, cls_oom, "csulccaj: no memory for an argument copy");
            return false;
        }
        (*env)->GetByteArrayRegion(env, b->arr, 0, b->jlen, (jbyte *)b->buf);
    }
    return true;
}

/* True when the verb wrote past the Java array into the zero padding. */
static bool overflowed(const struct rt_bytes *b)
{
    for (size_t i = (size_t)b->jlen; i < b->cap; i++)
        if (b->buf[i] != 0)
            return true;
    return false;
}

void rt_finish(struct rt_call *c)
{
    JNIEnv *env = c->env;
    bool fits = true;
    for (int i = 0; i < c->nb && c->n[0] < CCA_RC_ERROR; i++)
        if (c->b[i].buf && overflowed(&c->b[i]))
            fits = false;
    if (!fits) { /* the output did not fit the Java array: CCA's answer, outputs untouched */
        c->n[0] = CCA_RC_ERROR;
        c->n[1] = CCA_RS_LENGTH;
    }
    for (int i = 0; i < c->nb; i++) {
        struct rt_bytes *b = &c->b[i];
        if (fits && b->buf) /* inputs too: C's byte-for-byte view, unchanged */
            (*env)->SetByteArrayRegion(env, b->arr, 0, b->jlen, (const jbyte *)b->buf);
    }
    release_all(c);
    for (int i = 0; i < c->nn; i++)
        if (!set_number(env, c->nobj[i], c->n[i]))
            return;
}
