// SPDX-License-Identifier: Apache-2.0
// FacilityQuery: CSUACFQ STATCCA through the IBM-style JNI, as an IBM CCA Java program would call it.
// Run: java -cp csulcca.jar:csulcca-samples.jar FacilityQuery
import com.ibm.crypto.cca.jni.*;
import java.nio.charset.StandardCharsets;

public class FacilityQuery {
    public static int run() {
        CCA cca = new CCA();
        hikmNativeNumber rc = new hikmNativeLong(0);
        hikmNativeNumber rs = new hikmNativeLong(0);
        hikmNativeNumber exitLen = new hikmNativeLong(0);
        hikmNativeNumber ruleCount = new hikmNativeLong(1);
        // The answer comes back in the rule array: room for 18 elements of 8 bytes.
        byte[] rules = java.util.Arrays.copyOf("STATCCA ".getBytes(StandardCharsets.US_ASCII), 18 * 8);
        byte[] data = new byte[256];
        hikmNativeNumber dataLen = new hikmNativeLong(data.length);
        cca.CSUACFQJ(rc, rs, exitLen, null, ruleCount, rules, dataLen, data);
        System.out.println("CSUACFQ STATCCA: return code " + rc + ", reason code " + rs);
        if (rc.longValue() != 0) {
            return 1;
        }
        String s = new String(rules, 0, ruleCount.intValue() * 8, StandardCharsets.US_ASCII);
        // STATCCA elements: 1 NMK state, 2 CMK state, 3 OMK state, 4 CCA version, 5 build date, 6 user role
        for (int i = 0; i + 8 <= s.length(); i += 8) {
            System.out.printf("  element %d: '%s'%n", i / 8 + 1, s.substring(i, i + 8).trim());
        }
        return 0;
    }

    public static void main(String[] args) {
        System.exit(run());
    }
}
