// SPDX-License-Identifier: Apache-2.0
package org.libcsulcca.test;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.ibm.crypto.cca.jni.CCA;
import com.ibm.crypto.cca.jni.hikmNativeInteger;
import com.ibm.crypto.cca.jni.hikmNativeLong;
import com.ibm.crypto.cca.jni.hikmNativeNumber;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.libcsulcca.Rules;

/**
 * Every exported verb called from Java: with lengths beyond the arrays (8/72,
 * arrays untouched), rule counts beyond the rule array, nulls, empty arrays,
 * and random small lengths and contents.  Whatever the verb does, the answer
 * is a CCA code (or NullPointerException for a null return/reason code),
 * never a crash.  Which verbs are implemented does not matter here.
 */
public class VerbSweepTest {
    private static Card card;
    private static final CCA CCA_VERBS = new CCA();
    private static final TreeMap<String, Method> METHODS = new TreeMap<>();

    @BeforeClass
    public static void up() throws Exception {
        card = Card.start();
        for (Method m : CCA.class.getDeclaredMethods()) {
            if (m.getName().endsWith("J") && java.lang.reflect.Modifier.isNative(m.getModifiers())) {
                METHODS.put(m.getName().substring(0, m.getName().length() - 1), m);
            }
        }
    }

    @AfterClass
    public static void down() throws Exception {
        card.close();
    }

    interface ArgMaker {
        Object make(Parameter p, int index);
    }

    private static Object[] args(Method m, hikmNativeNumber rc, hikmNativeNumber rs, ArgMaker maker) {
        Parameter[] ps = m.getParameters();
        Object[] a = new Object[ps.length];
        a[0] = rc;
        a[1] = rs;
        for (int i = 2; i < ps.length; i++) {
            a[i] = maker.make(ps[i], i);
        }
        return a;
    }

    private static void call(Method m, Object[] a) throws Exception {
        try {
            m.invoke(CCA_VERBS, a);
        } catch (InvocationTargetException e) {
            throw (Exception) e.getCause();
        }
    }

    private static void assertCcaCode(String verb, hikmNativeNumber rc) {
        long v = rc.longValue();
        assertTrue(verb + ": return code " + v, v == 0 || v == 4 || v == 8 || v == 12 || v == 16);
    }

    @Test
    public void everyExportedVerbHasAJavaMethodAndNoOther() throws Exception {
        List<String> exported = Card.exportedVerbs();
        assertEquals(CCA.VERB_COUNT, exported.size());
        assertEquals(new java.util.TreeSet<>(exported), METHODS.keySet());
        for (Method m : METHODS.values()) {
            Parameter[] ps = m.getParameters();
            assertEquals("return_code", ps[0].getName());
            assertEquals(hikmNativeNumber.class, ps[0].getType());
            assertEquals("exit_data", ps[3].getName());
            assertEquals(byte[].class, ps[3].getType());
        }
    }

    /** A length above the array: 8/72 before C is called, every array untouched. */
    @Test
    public void lengthsBeyondTheArraysAnswer8_72() throws Exception {
        for (var e : METHODS.entrySet()) {
            hikmNativeLong rc = new hikmNativeLong(-1);
            hikmNativeLong rs = new hikmNativeLong(-1);
            List<byte[]> arrays = new ArrayList<>();
            Object[] a = args(e.getValue(), rc, rs, (p, i) -> {
                if (p.getType() == byte[].class) {
                    byte[] b = new byte[8];
                    Arrays.fill(b, (byte) 0x5A);
                    arrays.add(b);
                    return b;
                }
                return new hikmNativeLong(1_000_000);
            });
            call(e.getValue(), a);
            assertEquals(e.getKey() + " rc", 8, rc.longValue());
            assertEquals(e.getKey() + " rs", 72, rs.longValue());
            for (byte[] b : arrays) {
                for (byte x : b) {
                    assertEquals(e.getKey() + ": an array was written", 0x5A, x);
                }
            }
        }
    }

    /** rule_array_count * 8 above the rule array's length: 8/72. */
    @Test
    public void ruleCountBeyondTheRuleArrayAnswers8_72() throws Exception {
        int withRules = 0;
        for (var e : METHODS.entrySet()) {
            Parameter[] ps = e.getValue().getParameters();
            if (Arrays.stream(ps).noneMatch(p -> p.getName().equals("rule_array"))) {
                continue;
            }
            withRules++;
            hikmNativeLong rc = new hikmNativeLong();
            hikmNativeLong rs = new hikmNativeLong();
            call(e.getValue(), args(e.getValue(), rc, rs, (p, i) -> {
                if (p.getName().equals("rule_array_count")) {
                    return new hikmNativeLong(2);
                }
                if (p.getName().equals("rule_array")) {
                    return new byte[15];
                }
                return p.getType() == byte[].class ? new byte[4096] : new hikmNativeLong(0);
            }));
            assertEquals(e.getKey(), 8, rc.longValue());
            assertEquals(e.getKey(), 72, rs.longValue());
        }
        assertTrue(withRules > 100);
    }

    @Test
    public void nullsEverywhereGiveCcaCodes() throws Exception {
        for (var e : METHODS.entrySet()) {
            hikmNativeLong rc = new hikmNativeLong(-1);
            hikmNativeLong rs = new hikmNativeLong(-1);
            call(e.getValue(), args(e.getValue(), rc, rs, (p, i) -> null));
            assertCcaCode(e.getKey(), rc);
        }
    }

    @Test
    public void nullReturnOrReasonCodeThrows() throws Exception {
        for (var e : METHODS.entrySet()) {
            for (int which = 0; which < 2; which++) {
                Object[] a = args(e.getValue(), which == 0 ? null : new hikmNativeLong(),
                        which == 1 ? null : new hikmNativeLong(), (p, i) -> null);
                try {
                    call(e.getValue(), a);
                    fail(e.getKey() + ": no exception for a null return/reason code");
                } catch (NullPointerException expected) {
                    assertNotNull(expected.getMessage());
                }
            }
        }
    }

    @Test
    public void emptyArraysAndZeroLengthsGiveCcaCodes() throws Exception {
        for (var e : METHODS.entrySet()) {
            hikmNativeLong rc = new hikmNativeLong(-1);
            hikmNativeLong rs = new hikmNativeLong(-1);
            call(e.getValue(), args(e.getValue(), rc, rs,
                    (p, i) -> p.getType() == byte[].class ? new byte[0] : new hikmNativeLong(0)));
            assertCcaCode(e.getKey(), rc);
        }
    }

    /** Random lengths that fit their arrays, random contents: 30 calls per verb. */
    @Test
    public void randomSmallArgumentsGiveCcaCodes() throws Exception {
        Random rnd = new Random(20251015);
        String[] words = {"RANDOM", "STATCCA", "AES", "DES", "INTERNAL", "OP", "GENERATE", "KEY-ENC", "CBC",
            "PKCS-1.1", "RSA-CRT", "MASTER", "X9.19OPT", "DATA", "FIRST", "KEYIDENT"};
        for (var e : METHODS.entrySet()) {
            if (e.getKey().equals("CSNBMKP") || e.getKey().equals("CSUACFC")) {
                continue; // would change the card under the other calls; covered by the two tests above
            }
            for (int round = 0; round < 30; round++) {
                hikmNativeLong rc = new hikmNativeLong();
                hikmNativeLong rs = new hikmNativeLong();
                call(e.getValue(), args(e.getValue(), rc, rs, (p, i) -> {
                    if (p.getType() == byte[].class) {
                        if (rnd.nextInt(8) == 0) {
                            return null;
                        }
                        byte[] b = new byte[rnd.nextInt(300)];
                        if (p.getName().equals("rule_array")) {
                            byte[] r = Rules.of(words[rnd.nextInt(words.length)], words[rnd.nextInt(words.length)]);
                            System.arraycopy(r, 0, b, 0, Math.min(r.length, b.length));
                        } else {
                            rnd.nextBytes(b);
                        }
                        return b;
                    }
                    return rnd.nextInt(8) == 0 ? null : new hikmNativeLong(rnd.nextInt(40));
                }));
                assertCcaCode(e.getKey(), rc);
            }
        }
    }

    /** An output that does not fit a short array: 8/72, the array untouched. */
    @Test
    public void outputLargerThanTheArrayAnswers8_72() {
        hikmNativeLong rc = new hikmNativeLong();
        hikmNativeLong rs = new hikmNativeLong();
        byte[] shortToken = new byte[10];
        byte[] none = new byte[64];
        CCA_VERBS.CSNBKGNJ(rc, rs, new hikmNativeLong(0), null, Rules.word("OP", 4), Rules.word("KEYLN8", 8),
                Rules.word("DATA", 8), new byte[8], new byte[64], new byte[64], shortToken, none);
        assertEquals(8, rc.longValue());
        assertEquals(72, rs.longValue());
        assertArrayEquals(new byte[10], shortToken);
        // The same call with a 64-byte array works, and a 2-byte key form is blank-padded like C's NULs.
        byte[] token = new byte[64];
        CCA_VERBS.CSNBKGNJ(rc, rs, new hikmNativeLong(0), null, "OP".getBytes(), Rules.word("KEYLN8", 8),
                Rules.word("DATA", 8), new byte[8], new byte[64], new byte[64], token, none);
        assertEquals("CSNBKGN rc/rs " + rc + "/" + rs, 0, rc.longValue());
        assertEquals(0x01, token[0]); // internal token
    }

    @Test
    @SuppressWarnings("deprecation")
    public void hikmNativeIntegerWorksToo() {
        hikmNativeInteger rc = new hikmNativeInteger(-1);
        hikmNativeInteger rs = new hikmNativeInteger(-1);
        hikmNativeInteger len = new hikmNativeInteger(32);
        byte[] out = new byte[32];
        CCA_VERBS.CSNBRNGLJ(rc, rs, new hikmNativeInteger(0), null, new hikmNativeInteger(1), Rules.of("RANDOM"),
                new hikmNativeInteger(0), null, len, out);
        assertEquals(0, rc.intValue());
        assertEquals(32, len.intValue());
        assertTrue(!Arrays.equals(out, new byte[32]));
    }
}
