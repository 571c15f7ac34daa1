// SPDX-License-Identifier: Apache-2.0
package org.libcsulcca;

/** A verb answered return code 8 or more; carries the CCA return and reason codes. */
public class CcaException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String verb;
    private final long returnCode;
    private final long reasonCode;

    public CcaException(String verb, long returnCode, long reasonCode) {
        super(verb + " failed: return code " + returnCode + ", reason code " + reasonCode);
        this.verb = verb;
        this.returnCode = returnCode;
        this.reasonCode = reasonCode;
    }

    public String verb() {
        return verb;
    }

    public long returnCode() {
        return returnCode;
    }

    public long reasonCode() {
        return reasonCode;
    }

    /** True for 8/335: the verb or option is not available in this library yet. */
    public boolean isUnavailable() {
        return returnCode == 8 && reasonCode == 335;
    }
}
