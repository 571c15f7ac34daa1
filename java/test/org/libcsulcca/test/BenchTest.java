// SPDX-License-Identifier: Apache-2.0
package org.libcsulcca.test;

import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeFalse;

import com.ibm.crypto.cca.jni.CCA;
import com.ibm.crypto.cca.jni.hikmNativeLong;
import java.security.MessageDigest;
import java.util.Arrays;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.libcsulcca.CcaException;
import org.libcsulcca.Rules;

/**
 * Java beside C on the same card in the same run: RSA-2048 sign (CSNDDSG)
 * and CSNBRNGL(32) calls per second, one thread each, C and Java measured in
 * turns (best of five, which the machine's other load hits least) so that drift hits both.  Floors: Java within 10 %
 * of C for RSA sign, within 2x for CSNBRNGL.
 */
public class BenchTest {
    private static final double SECONDS = 1.0;
    private static final int ROUNDS = 5;
    private static Card card;
    private static final CCA CCA_VERBS = new CCA();

    @BeforeClass
    public static void up() throws Exception {
        card = Card.start();
    }

    @AfterClass
    public static void down() throws Exception {
        card.close();
    }

    private static double javaRng() {
        byte[] out = new byte[32];
        byte[] rules = Rules.of("RANDOM");
        hikmNativeLong rc = new hikmNativeLong();
        hikmNativeLong rs = new hikmNativeLong();
        hikmNativeLong zero = new hikmNativeLong(0);
        hikmNativeLong one = new hikmNativeLong(1);
        hikmNativeLong len = new hikmNativeLong();
        long calls = 0;
        long t0 = System.nanoTime();
        long t;
        do {
            len.setValue(32);
            CCA_VERBS.CSNBRNGLJ(rc, rs, zero, null, one, rules, zero, null, len, out);
            if (rc.longValue() != 0) {
                throw new CcaException("CSNBRNGL", rc.longValue(), rs.longValue());
            }
            calls++;
        } while ((t = System.nanoTime()) - t0 < SECONDS * 1e9);
        return calls / ((t - t0) / 1e9);
    }

    private static double javaSign(byte[] key, byte[] di) {
        byte[] rules = Rules.of("PKCS-1.1");
        byte[] sig = new byte[512];
        hikmNativeLong rc = new hikmNativeLong();
        hikmNativeLong rs = new hikmNativeLong();
        hikmNativeLong zero = new hikmNativeLong(0);
        hikmNativeLong one = new hikmNativeLong(1);
        hikmNativeLong keyLen = new hikmNativeLong(key.length);
        hikmNativeLong diLen = new hikmNativeLong(di.length);
        hikmNativeLong sigLen = new hikmNativeLong();
        hikmNativeLong bits = new hikmNativeLong();
        long calls = 0;
        long t0 = System.nanoTime();
        long t;
        do {
            sigLen.setValue(sig.length);
            CCA_VERBS.CSNDDSGJ(rc, rs, zero, null, one, rules, keyLen, key, diLen, di, sigLen, bits, sig);
            if (rc.longValue() != 0) {
                throw new CcaException("CSNDDSG", rc.longValue(), rs.longValue());
            }
            calls++;
        } while ((t = System.nanoTime()) - t0 < SECONDS * 1e9);
        return calls / ((t - t0) / 1e9);
    }

    private static double c(String cmd, Object... args) throws Exception {
        Card.Answer a = Card.peer(cmd, args);
        if (a.rc != 0) {
            throw new CcaException(cmd, a.rc, a.rs);
        }
        return Double.parseDouble(a.text);
    }

    @Test
    public void rngJavaWithinTwiceC() throws Exception {
        double java = 0;
        double cRate = 0;
        javaRng(); // warm the JIT
        for (int i = 0; i < ROUNDS; i++) {
            cRate = Math.max(cRate, c("bench-rng", SECONDS));
            java = Math.max(java, javaRng());
        }
        System.out.printf("BENCH CSNBRNGL(32): C %.0f/s, Java %.0f/s, Java/C %.2f%n", cRate, java, java / cRate);
        assertTrue("Java below half of C", java >= cRate / 2);
    }

    @Test
    public void rsa2048SignJavaWithinTenPercentOfC() throws Exception {
        byte[] key;
        try {
            key = card.cca.rsaKey(2048, "SIG-ONLY");
            card.cca.sign(key, new byte[51], "PKCS-1.1");
        } catch (CcaException e) {
            assumeFalse("CSNDDSG not available yet", e.isUnavailable());
            throw e;
        }
        byte[] di = Arrays.copyOf(new byte[] {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, (byte) 0x86, 0x48, 0x01,
            0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}, 51);
        System.arraycopy(MessageDigest.getInstance("SHA-256").digest(new byte[1]), 0, di, 19, 32);
        double java = 0;
        double cRate = 0;
        javaSign(key, di);
        for (int i = 0; i < ROUNDS; i++) {
            cRate = Math.max(cRate, c("bench-dsg", key, di, SECONDS));
            java = Math.max(java, javaSign(key, di));
        }
        System.out.printf("BENCH RSA-2048 sign: C %.1f/s, Java %.1f/s, Java/C %.3f%n", cRate, java, java / cRate);
        assertTrue("Java more than 10 % below C", java >= 0.9 * cRate);
    }
}
