// SPDX-License-Identifier: Apache-2.0
package org.libcsulcca;

/**
 * A key-storage record created by {@link Cca#storeKey}; closing it deletes the
 * record, so that a try-with-resources block leaves no key behind.
 */
public final class KeyRecord implements AutoCloseable {
    private final Cca cca;
    private final Cca.Store store;
    private final String label;
    private boolean open = true;

    KeyRecord(Cca cca, Cca.Store store, String label) {
        this.cca = cca;
        this.store = store;
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The 64-byte label, usable wherever a verb takes a key identifier. */
    public byte[] identifier() {
        return Rules.label(label);
    }

    public Cca.Store store() {
        return store;
    }

    @Override
    public synchronized void close() {
        if (open) {
            open = false;
            cca.deleteKey(store, label);
        }
    }
}
