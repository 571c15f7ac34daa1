// SPDX-License-Identifier: Apache-2.0
package com.ibm.crypto.cca.jni;

/** Loads libcsulccaj once: the absolute path in {@code csulccaj.library}, else by name. */
final class NativeLoader {
    private static boolean loaded;

    private NativeLoader() {
    }

    static synchronized void load() {
        if (loaded) {
            return;
        }
        String path = System.getProperty("csulccaj.library");
        if (path != null && !path.isEmpty()) {
            System.load(path);
        } else {
            System.loadLibrary("csulccaj");
        }
        loaded = true;
    }
}
