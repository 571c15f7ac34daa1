// SPDX-License-Identifier: Apache-2.0
package com.ibm.crypto.cca.jni;

/**
 * A mutable integer that a CCA verb can write back: the Java form of every
 * C {@code long *} parameter (return and reason codes, lengths, counts).
 * Abstract, as in IBM's CCA JNI; use {@link hikmNativeLong}.  Instances are
 * not synchronised: one object per thread for values a verb writes.
 */
public abstract class hikmNativeNumber extends Number {
    private static final long serialVersionUID = 1L;

    /** The value as C sees it (a 64-bit {@code long}). */
    @Override
    public abstract long longValue();

    /** Store a value; the native layer calls this to write results back. */
    public abstract void setValue(long value);

    /** Same as {@link #setValue(long)}. */
    public void setValue(int value) {
        setValue((long) value);
    }

    /** The value, as {@link #longValue()}. */
    public long getValue() {
        return longValue();
    }

    @Override
    public int intValue() {
        return (int) longValue();
    }

    @Override
    public float floatValue() {
        return longValue();
    }

    @Override
    public double doubleValue() {
        return longValue();
    }

    @Override
    public String toString() {
        return Long.toString(longValue());
    }
}
