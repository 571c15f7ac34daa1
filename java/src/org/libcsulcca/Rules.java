// SPDX-License-Identifier: Apache-2.0
package org.libcsulcca;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** CCA keywords: 8 bytes each, upper case, padded with blanks. */
public final class Rules {
    private Rules() {
    }

    /** One keyword in a field of {@code width} bytes. */
    public static byte[] word(String keyword, int width) {
        byte[] b = new byte[width];
        Arrays.fill(b, (byte) ' ');
        byte[] k = keyword.getBytes(StandardCharsets.US_ASCII);
        if (k.length > width) {
            throw new IllegalArgumentException("keyword longer than " + width + " bytes: " + keyword);
        }
        System.arraycopy(k, 0, b, 0, k.length);
        return b;
    }

    /** A rule array of {@code keywords.length * 8} bytes. */
    public static byte[] of(String... keywords) {
        byte[] r = new byte[keywords.length * 8];
        for (int i = 0; i < keywords.length; i++) {
            System.arraycopy(word(keywords[i], 8), 0, r, i * 8, 8);
        }
        return r;
    }

    /** A 64-byte key label. */
    public static byte[] label(String label) {
        return word(label, 64);
    }
}
