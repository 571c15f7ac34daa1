// SPDX-License-Identifier: Apache-2.0
package org.libcsulcca.test;

import static org.junit.Assert.assertEquals;
import static org.junit.Assume.assumeTrue;

import java.lang.reflect.Method;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/** Each Java sample's run() on a fresh card: 0, or 2 (= a verb it uses answers 8/335: skipped). */
public class SamplesTest {
    private static Card card;

    @BeforeClass
    public static void up() throws Exception {
        card = Card.start();
    }

    @AfterClass
    public static void down() throws Exception {
        card.close();
    }

    private static void sample(String name) throws Exception {
        Method run = Class.forName(name).getMethod("run");
        int status = (Integer) run.invoke(null);
        assumeTrue(name + ": a verb it needs is not available yet", status != 2);
        assertEquals(name + " exit status", 0, status);
    }

    @Test
    public void facilityQuery() throws Exception {
        sample("FacilityQuery");
    }

    @Test
    public void mac() throws Exception {
        sample("Mac");
    }

    @Test
    public void keyGenerate() throws Exception {
        sample("KeyGenerate");
    }

    @Test
    public void aesEncipher() throws Exception {
        sample("AesEncipher");
    }

    @Test
    public void rsaSign() throws Exception {
        sample("RsaSign");
    }

    @Test
    public void keyStorage() throws Exception {
        sample("KeyStorage");
    }
}
