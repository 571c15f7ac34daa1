/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csulccaj_rt.h - the conversions every generated JNI verb function makes.
 *
 * A call goes: rt_begin (read the hikmNativeNumbers), rt_add per byte[]
 * (with the bytes the C verb may touch), rt_prepare (8/72 without calling C
 * when an array is shorter than its length parameter says; else copy every
 * array into a native buffer), the C verb, rt_finish (copy arrays and
 * numbers back, wipe and free the buffers).  Everything lives on the
 * caller's stack: no state is shared between threads except the class and
 * method IDs cached once in JNI_OnLoad.
 */
#ifndef CSULCCAJ_RT_H
#define CSULCCAJ_RT_H

#include <jni.h>
#include <stdbool.h>
#include <stddef.h>

/* One byte[] argument and its native copy. */
struct rt_bytes {
    jbyteArray arr;     /* NULL: the verb gets NULL */
    jsize jlen;         /* the Java array's length */
    long strict;        /* bytes a length parameter says the array holds */
    long pad;           /* bytes the verb may touch when no length says (fixed sizes, padding) */
    unsigned char *buf; /* max(jlen, pad) bytes, zero beyond jlen */
    size_t cap;
};

/* One verb call: numbers n[] (np[i] is &n[i], or NULL for a null object). */
struct rt_call {
    JNIEnv *env;
    jobject *nobj;
    long *n;
    long **np;
    int nn;
    struct rt_bytes *b;
    int nb;
};

bool rt_begin(struct rt_call *c);
void rt_add(struct rt_call *c, jbyteArray arr, long strict, long pad);
bool rt_prepare(struct rt_call *c);
void rt_finish(struct rt_call *c);

/* Byte counts from parameter values; negative values need nothing (C rejects them). */
long rt_need_len(long v);
long rt_need_max(int count, ...);
long rt_need_bits(long bits);
long rt_need_count(long count, long unit);
long rt_need_sum(long a, long b);
long rt_need_pad(long v, long pad);

#endif
