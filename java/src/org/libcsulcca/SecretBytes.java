// SPDX-License-Identifier: Apache-2.0
package org.libcsulcca;

import java.util.Arrays;

/** Clear key material (a key part, a clear key) that is wiped when closed. */
public final class SecretBytes implements AutoCloseable {
    private final byte[] bytes;

    public SecretBytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The bytes themselves (not a copy): do not keep them past close(). */
    public byte[] bytes() {
        return bytes;
    }

    @Override
    public void close() {
        Arrays.fill(bytes, (byte) 0);
    }
}
