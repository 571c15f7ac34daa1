// SPDX-License-Identifier: Apache-2.0
package org.libcsulcca.test;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.libcsulcca.Cca;
import org.libcsulcca.CcaException;

/**
 * The card daemon of one test class: started on the socket that CSU_CARD
 * names (run-junit.sh sets it and -Dcsucard.dir), master keys loaded through
 * CSNBMKP from Java, stopped by {@link #close}.  Also runs the C peer.
 */
public final class Card implements AutoCloseable {
    private final Process daemon;
    public final Cca cca = new Cca();

    private Card(Process daemon) {
        this.daemon = daemon;
    }

    public static Card start() throws Exception {
        Path dir = Paths.get(prop("csucard.dir"));
        Path state = Files.createDirectories(dir.resolve("state"));
        Path sock = dir.resolve("card.sock");
        Files.deleteIfExists(sock);
        Process p = new ProcessBuilder(prop("csucard.exe"), "--state", state.toString(), "--socket", sock.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("csucard.log").toFile()).start();
        Card card = new Card(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!Files.exists(sock)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                card.close();
                throw new IllegalStateException("csucard did not start; see " + dir.resolve("csucard.log"));
            }
            Thread.sleep(20);
        }
        card.waitReady(deadline);
        for (String mk : new String[] {"SYM-MK", "AES-MK", "APKA-MK"}) {
            card.cca.masterKey(mk, "RANDOM");
            card.cca.masterKey(mk, "SET");
        }
        card.initKeyStorage();
        return card;
    }

    private void waitReady(long deadline) throws InterruptedException {
        while (true) {
            try {
                // Element 1: RUNNING while the card's self-test runs, then PASSED (or FAILED).
                String post = new String(cca.facilityQuery("STATPOST"), StandardCharsets.US_ASCII);
                if (post.startsWith("PASSED")) {
                    return;
                }
                if (post.startsWith("FAILED")) {
                    throw new IllegalStateException("card self-test failed: " + post.trim());
                }
            } catch (CcaException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("card self-test did not finish");
            }
            Thread.sleep(20);
        }
    }

    /** CSNBKSI CURRENT for each store; a failure shows in the key-storage tests, not here. */
    private void initKeyStorage() {
        for (String store : new String[] {"DES", "AES", "PKA"}) {
            com.ibm.crypto.cca.jni.hikmNativeLong rc = new com.ibm.crypto.cca.jni.hikmNativeLong();
            com.ibm.crypto.cca.jni.hikmNativeLong rs = new com.ibm.crypto.cca.jni.hikmNativeLong();
            com.ibm.crypto.cca.jni.hikmNativeLong zero = new com.ibm.crypto.cca.jni.hikmNativeLong(0);
            cca.verbs().CSNBKSIJ(rc, rs, zero, null, new com.ibm.crypto.cca.jni.hikmNativeLong(2),
                    org.libcsulcca.Rules.of("CURRENT", store), zero, null, zero, null, null);
            if (rc.longValue() != 0) {
                System.err.println("CSNBKSI " + store + ": " + rc + "/" + rs);
            }
        }
    }

    static String prop(String name) {
        String v = System.getProperty(name);
        if (v == null) {
            throw new IllegalStateException("system property " + name + " not set (run the tests through ctest)");
        }
        return v;
    }

    @Override
    public void close() {
        daemon.destroy();
        try {
            if (!daemon.waitFor(5, TimeUnit.SECONDS)) {
                daemon.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            daemon.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The C peer's answer: return code, reason code, bytes. */
    public static final class Answer {
        public final long rc;
        public final long rs;
        public final byte[] data;
        public final String text;

        Answer(String line) {
            String[] f = (line + " ").split(" ", 3);
            rc = Long.parseLong(f[0]);
            rs = Long.parseLong(f[1]);
            text = f[2].trim();
            byte[] d;
            try {
                d = HexFormat.of().parseHex(text);
            } catch (IllegalArgumentException e) {
                d = new byte[0];
            }
            data = d;
        }

        public boolean unavailable() {
            return rc == 8 && rs == 335;
        }
    }

    /** Run jni_c_peer COMMAND with byte arguments as hex (or strings as given). */
    public static Answer peer(String command, Object... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(prop("csu.peer"));
        cmd.add(command);
        for (Object a : args) {
            cmd.add(a instanceof byte[] ? HexFormat.of().formatHex((byte[]) a) : a.toString());
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            line = r.readLine();
        }
        int status = p.waitFor();
        if (status != 0 || line == null) {
            throw new IllegalStateException("jni_c_peer " + command + " exited " + status);
        }
        return new Answer(line);
    }

    /** Exported verb names (without the _32 aliases), from CMake's list. */
    public static List<String> exportedVerbs() throws IOException {
        List<String> out = new ArrayList<>();
        for (String s : Files.readAllLines(new File(prop("csu.exports")).toPath())) {
            if (!s.isBlank() && !s.endsWith("_32")) {
                out.add(s.trim());
            }
        }
        return out;
    }
}
