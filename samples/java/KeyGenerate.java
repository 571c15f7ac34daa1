// SPDX-License-Identifier: Apache-2.0
// KeyGenerate: an AES-256 DATA key and a triple-length DES DATA key (CSNBKTB, CSNBKGN) and
// their verification patterns (CSNBKYT), through the IBM-style JNI.
import com.ibm.crypto.cca.jni.*;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

public class KeyGenerate {
    static byte[] kw(String s, int width) {
        byte[] b = new byte[width];
        java.util.Arrays.fill(b, (byte) ' ');
        byte[] k = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(k, 0, b, 0, k.length);
        return b;
    }

    public static int run() {
        CCA cca = new CCA();
        hikmNativeNumber rc = new hikmNativeLong(0);
        hikmNativeNumber rs = new hikmNativeLong(0);
        hikmNativeNumber zero = new hikmNativeLong(0);
        byte[] token = new byte[64];
        cca.CSNBKTBJ(rc, rs, zero, null, token, kw("DATA", 8), new hikmNativeLong(4),
                kw("INTERNALAES     NO-KEY  KEYLN32", 32), null, new byte[8], zero, new byte[1], null, null, zero,
                null, new byte[16]);
        System.out.println("CSNBKTB: " + rc + "/" + rs);
        if (rc.longValue() != 0) {
            return 1;
        }
        cca.CSNBKGNJ(rc, rs, zero, null, kw("OP", 4), kw("", 8), kw("AESTOKEN", 8), new byte[8], new byte[64],
                new byte[64], token, new byte[64]);
        System.out.println("CSNBKGN: " + rc + "/" + rs + "  AES token " + HexFormat.of().formatHex(token));
        if (rc.longValue() != 0) {
            return 1;
        }
        byte[] v1 = new byte[8];
        byte[] v2 = new byte[8];
        cca.CSNBKYTJ(rc, rs, zero, null, new hikmNativeLong(2), kw("GENERATEKEY-ENC", 16), token, v1, v2);
        System.out.println("CSNBKYT: " + rc + "/" + rs + "  pattern " + HexFormat.of().formatHex(v2));
        if (rc.longValue() != 0) {
            return 1;
        }
        byte[] des = new byte[64];
        cca.CSNBKGNJ(rc, rs, zero, null, kw("OP", 4), kw("KEYLN24", 8), kw("DATA", 8), new byte[8], new byte[64],
                new byte[64], des, new byte[64]);
        System.out.println("CSNBKGN: " + rc + "/" + rs + "  DES token " + HexFormat.of().formatHex(des));
        if (rc.longValue() != 0) {
            return 1;
        }
        cca.CSNBKYTJ(rc, rs, zero, null, new hikmNativeLong(3), kw("GENERATEKEY-ENC ENC-ZERO", 24), des, v1, v2);
        System.out.println("CSNBKYT: " + rc + "/" + rs + "  DES KCV " + HexFormat.of().formatHex(v2, 0, 4));
        return rc.longValue() == 0 ? 0 : 1;
    }

    public static void main(String[] args) {
        System.exit(run());
    }
}
