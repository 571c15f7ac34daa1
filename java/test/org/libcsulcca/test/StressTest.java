// SPDX-License-Identifier: Apache-2.0
package org.libcsulcca.test;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.ibm.crypto.cca.jni.CCA;
import com.ibm.crypto.cca.jni.hikmNativeLong;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.libcsulcca.Rules;

/**
 * 16 threads x 10,000 mixed verb calls through one shared CCA object: every
 * answer checked, and the JVM heap and the process's resident memory
 * (VmRSS) measured after a warm-up and at the end must not grow.  The mix
 * includes 4 KB arrays and the 8/72 and null paths so that a leaked copy or
 * an unreleased array shows up as hundreds of megabytes.
 */
public class StressTest {
    private static final int THREADS = 16;
    private static final int CALLS = 10_000;
    private static final int WARMUP = 2_000;
    private static Card card;
    private static final CCA CCA_VERBS = new CCA();
    private static byte[] aesToken;
    private static byte[] aesVp;

    @BeforeClass
    public static void up() throws Exception {
        card = Card.start();
        aesToken = card.cca.aesDataKey(256);
        aesVp = card.cca.keyTest(aesToken, "GENERATE", "KEY-ENC")[1];
    }

    @AfterClass
    public static void down() throws Exception {
        card.close();
    }

    static long rssKiB() throws Exception {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    static long heapUsed() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** One mixed call; kind chosen by the call number. */
    private static void oneCall(int i, byte[] big, AtomicLong failures) {
        hikmNativeLong rc = new hikmNativeLong(-1);
        hikmNativeLong rs = new hikmNativeLong(-1);
        hikmNativeLong zero = new hikmNativeLong(0);
        long wantRc = 0;
        long wantRs = 0;
        switch (i % 6) {
            case 0: { // CSNBRNGL 32
                hikmNativeLong len = new hikmNativeLong(32);
                CCA_VERBS.CSNBRNGLJ(rc, rs, zero, null, new hikmNativeLong(1), Rules.of("RANDOM"), zero, null, len,
                        new byte[32]);
                if (len.longValue() != 32) {
                    failures.incrementAndGet();
                }
                break;
            }
            case 1: { // CSNBRNGL into a 4 KB array
                hikmNativeLong len = new hikmNativeLong(big.length);
                CCA_VERBS.CSNBRNGLJ(rc, rs, zero, null, new hikmNativeLong(1), Rules.of("RANDOM"), zero, null, len,
                        big);
                break;
            }
            case 2: { // CSUACFQ STATCCA
                hikmNativeLong len = new hikmNativeLong(big.length);
                // The answer comes back in the rule array: room for 64 elements.
                CCA_VERBS.CSUACFQJ(rc, rs, zero, null, new hikmNativeLong(1),
                        Arrays.copyOf(Rules.of("STATCCA"), 512), len, big);
                break;
            }
            case 3: { // CSNBKYT VERIFY of a known AES pattern
                byte[] v2 = aesVp.clone();
                CCA_VERBS.CSNBKYTJ(rc, rs, zero, null, new hikmNativeLong(2), Rules.of("VERIFY", "KEY-ENC"),
                        aesToken.clone(), new byte[8], v2);
                break;
            }
            case 4: { // length beyond the array: 8/72 without a call
                CCA_VERBS.CSNBRNGLJ(rc, rs, zero, null, new hikmNativeLong(1), Rules.of("RANDOM"), zero, null,
                        new hikmNativeLong(8192), big);
                wantRc = 8;
                wantRs = 72;
                break;
            }
            default: { // CSNBRNG with ODD parity, and a null where C expects an array
                byte[] r = new byte[8];
                CCA_VERBS.CSNBRNGJ(rc, rs, zero, null, Rules.word("ODD", 8), r);
                for (byte b : r) {
                    if (Integer.bitCount(b & 0xff) % 2 != 1) {
                        failures.incrementAndGet();
                    }
                }
                break;
            }
        }
        if (rc.longValue() != wantRc || rs.longValue() != wantRs) {
            if (failures.incrementAndGet() < 5) {
                System.out.println("call kind " + i % 6 + ": " + rc + "/" + rs + ", expected " + wantRc + "/" + wantRs);
            }
        }
    }

    private static void run(int callsPerThread, AtomicLong failures) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            final int seed = t;
            done.add(pool.submit(() -> {
                byte[] big = new byte[4096];
                for (int i = 0; i < callsPerThread; i++) {
                    oneCall(i + seed, big, failures);
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
    }

    @Test
    public void sixteenThreadsTenThousandCallsEach() throws Exception {
        AtomicLong failures = new AtomicLong();
        long t0 = System.nanoTime();
        run(WARMUP, failures);
        long heap0 = heapUsed();
        long rss0 = rssKiB();
        run(CALLS - WARMUP, failures);
        long heap1 = heapUsed();
        long rss1 = rssKiB();
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("stress: %d calls in %.1f s (%.0f/s); heap %d -> %d KiB; VmRSS %d -> %d KiB%n",
                (long) THREADS * CALLS, secs, THREADS * CALLS / secs, heap0 / 1024, heap1 / 1024, rss0, rss1);
        assertEquals("calls with a wrong answer", 0, failures.get());
        // 128,000 calls after the warm-up; a leaked 4 KB copy in a third of them would be ~170 MB.
        assertTrue("VmRSS grew by " + (rss1 - rss0) + " KiB", rss1 - rss0 < 24 * 1024);
        assertTrue("heap grew by " + (heap1 - heap0) / 1024 + " KiB", heap1 - heap0 < 8 * 1024 * 1024);
        byte[] v2 = aesVp.clone();
        hikmNativeLong rc = new hikmNativeLong();
        CCA_VERBS.CSNBKYTJ(rc, new hikmNativeLong(), new hikmNativeLong(0), null, new hikmNativeLong(2),
                Rules.of("VERIFY", "KEY-ENC"), aesToken, new byte[8], v2);
        assertEquals(0, rc.longValue());
        assertArrayEquals(aesVp, v2);
        assertTrue(Arrays.equals(aesVp, v2));
    }
}
