// SPDX-License-Identifier: Apache-2.0
package com.ibm.crypto.cca.jni;

/** A {@link hikmNativeNumber} holding a 64-bit value (CCA 5.2 and later). */
public class hikmNativeLong extends hikmNativeNumber {
    private static final long serialVersionUID = 1L;
    private long value;

    public hikmNativeLong() {
    }

    public hikmNativeLong(long value) {
        this.value = value;
    }

    @Override
    public long longValue() {
        return value;
    }

    @Override
    public void setValue(long value) {
        this.value = value;
    }
}
