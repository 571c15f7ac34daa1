// SPDX-License-Identifier: Apache-2.0
package com.ibm.crypto.cca.jni;

/**
 * A {@link hikmNativeNumber} holding a 32-bit value: the type of CCA before
 * 5.2, kept so that older programs compile.  Values the verb writes back are
 * narrowed to {@code int}.
 *
 * @deprecated use {@link hikmNativeLong}
 */
@Deprecated
public class hikmNativeInteger extends hikmNativeNumber {
    private static final long serialVersionUID = 1L;
    private int value;

    public hikmNativeInteger() {
    }

    public hikmNativeInteger(int value) {
        this.value = value;
    }

    @Override
    public long longValue() {
        return value;
    }

    @Override
    public void setValue(long value) {
        this.value = (int) value;
    }
}
