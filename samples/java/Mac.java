// SPDX-License-Identifier: Apache-2.0
// Mac: the Java twin of IBM's mac.java / mac.c - generate a MAC/MACVER key pair (CSNBKGN),
// MAC a message (CSNBMGN), verify it (CSNBMVR), and see a changed message fail (4/1).
import com.ibm.crypto.cca.jni.*;
import java.nio.charset.StandardCharsets;

public class Mac {
    static byte[] kw(String s, int width) {
        byte[] b = new byte[width];
        java.util.Arrays.fill(b, (byte) ' ');
        byte[] k = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(k, 0, b, 0, k.length);
        return b;
    }

    static int check(String verb, hikmNativeNumber rc, hikmNativeNumber rs) {
        System.out.println(verb + ": return code " + rc + ", reason code " + rs);
        if (rc.longValue() == 8 && rs.longValue() == 335) {
            return 2; // not available in this library yet
        }
        return rc.longValue() == 0 ? 0 : 1;
    }

    public static int run() {
        CCA cca = new CCA();
        hikmNativeNumber rc = new hikmNativeLong(0);
        hikmNativeNumber rs = new hikmNativeLong(0);
        hikmNativeNumber exitLen = new hikmNativeLong(0);
        byte[] macKey = new byte[64];
        byte[] macverKey = new byte[64];
        cca.CSNBKGNJ(rc, rs, exitLen, null, kw("OPOP", 4), kw("KEYLN16", 8), kw("MAC", 8), kw("MACVER", 8),
                new byte[64], new byte[64], macKey, macverKey);
        int r = check("CSNBKGN", rc, rs);
        if (r != 0) {
            return r;
        }
        byte[] text = "Pay 100.00 to account 12345678".getBytes(StandardCharsets.US_ASCII);
        hikmNativeNumber textLen = new hikmNativeLong(text.length);
        hikmNativeNumber ruleCount = new hikmNativeLong(2);
        byte[] rules = kw("X9.19OPTMACLEN8", 16);
        byte[] chain = new byte[18];
        byte[] mac = new byte[8];
        cca.CSNBMGNJ(rc, rs, exitLen, null, macKey, textLen, text, ruleCount, rules, chain, mac);
        r = check("CSNBMGN", rc, rs);
        if (r != 0) {
            return r;
        }
        System.out.println("MAC: " + java.util.HexFormat.of().formatHex(mac));
        cca.CSNBMVRJ(rc, rs, exitLen, null, macverKey, textLen, text, ruleCount, rules, chain, mac);
        r = check("CSNBMVR", rc, rs);
        if (r != 0) {
            return r;
        }
        text[4] = '9';
        cca.CSNBMVRJ(rc, rs, exitLen, null, macverKey, textLen, text, ruleCount, rules, chain, mac);
        System.out.println("CSNBMVR on a changed message: " + rc + "/" + rs + " (4/1 expected)");
        return rc.longValue() == 4 && rs.longValue() == 1 ? 0 : 1;
    }

    public static void main(String[] args) {
        System.exit(run());
    }
}
