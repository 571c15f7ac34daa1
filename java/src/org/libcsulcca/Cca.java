// SPDX-License-Identifier: Apache-2.0
package org.libcsulcca;

import com.ibm.crypto.cca.jni.CCA;
import com.ibm.crypto.cca.jni.hikmNativeLong;
import com.ibm.crypto.cca.jni.hikmNativeNumber;
import java.util.Arrays;

/**
 * An idiomatic layer over {@link CCA} for new programs: results are returned
 * as {@code byte[]}, a return code of 8 or more is a {@link CcaException},
 * key-storage records are {@link AutoCloseable}.  Each method is one or two
 * verb calls with the same keywords a C program would pass; it adds no
 * cryptography.  Instances are thread-safe (they hold no call state).
 */
public final class Cca {
    /** Key storage: DES records, AES/HMAC records, PKA records. */
    public enum Store { DES, AES, PKA }

    private static final int PKA_TOKEN_MAX = 3500;
    private final CCA cca = new CCA();

    /** The native verbs, for what this layer does not cover. */
    public CCA verbs() {
        return cca;
    }

    /** Return and reason code of one call. */
    private static final class Codes {
        final hikmNativeLong rc = new hikmNativeLong();
        final hikmNativeLong rs = new hikmNativeLong();

        /** Throw for rc >= 8; answer the return code (0 or 4). */
        long check(String verb) {
            if (rc.longValue() >= 8) {
                throw new CcaException(verb, rc.longValue(), rs.longValue());
            }
            return rc.longValue();
        }
    }

    private static hikmNativeLong num(long v) {
        return new hikmNativeLong(v);
    }

    private static byte[] head(byte[] b, hikmNativeNumber length) {
        return Arrays.copyOf(b, (int) Math.min(b.length, Math.max(0, length.longValue())));
    }

    // ---- node and random --------------------------------------------------

    /** CSNBRNGL: {@code n} random bytes (1..8192). */
    public byte[] random(int n) {
        Codes c = new Codes();
        byte[] out = new byte[n];
        hikmNativeLong len = num(n);
        cca.CSNBRNGLJ(c.rc, c.rs, num(0), null, num(1), Rules.of("RANDOM"), num(0), null,
                len, out);
        c.check("CSNBRNGL");
        return head(out, len);
    }

    /**
     * CSUACFQ: the elements a query returns in the rule array (8 bytes each), e.g.
     * "STATCCA"; the verb data, where a query has any, is left out.
     */
    public byte[] facilityQuery(String... rules) {
        Codes c = new Codes();
        byte[] ruleArray = Arrays.copyOf(Rules.of(rules), 64 * 8);
        hikmNativeLong count = num(rules.length);
        byte[] data = new byte[4096];
        cca.CSUACFQJ(c.rc, c.rs, num(0), null, count, ruleArray, num(data.length), data);
        c.check("CSUACFQ");
        return Arrays.copyOf(ruleArray, (int) Math.max(0, Math.min(64, count.longValue())) * 8);
    }

    /** CSNBMKP without a key part, e.g. ("AES-MK", "RANDOM") then ("AES-MK", "SET"). */
    public void masterKey(String register, String action) {
        Codes c = new Codes();
        cca.CSNBMKPJ(c.rc, c.rs, num(0), null, num(2), Rules.of(register, action), null);
        c.check("CSNBMKP");
    }

    // ---- symmetric keys ---------------------------------------------------

    /** CSNBKTB + CSNBKGN: an internal AES DATA key token (64 bytes) of 128, 192 or 256 bits. */
    public byte[] aesDataKey(int bits) {
        Codes c = new Codes();
        byte[] token = new byte[64];
        cca.CSNBKTBJ(c.rc, c.rs, num(0), null, token, Rules.word("DATA", 8), num(4),
                Rules.of("INTERNAL", "AES", "NO-KEY", "KEYLN" + bits / 8), null, new byte[8], num(0), new byte[1],
                null, null, num(0), null, new byte[16]);
        c.check("CSNBKTB");
        byte[] none = new byte[64];
        cca.CSNBKGNJ(c.rc, c.rs, num(0), null, Rules.word("OP", 4), Rules.word("", 8), Rules.word("AESTOKEN", 8),
                new byte[8], new byte[64], new byte[64], token, none);
        c.check("CSNBKGN");
        return token;
    }

    /** CSNBKGN: operational DES keys; one type (form OP) or two (form OPOP, e.g. MAC/MACVER). */
    public byte[][] desKeys(String length, String type1, String type2) {
        Codes c = new Codes();
        byte[] k1 = new byte[64];
        byte[] k2 = new byte[64];
        String form = type2 == null ? "OP" : "OPOP";
        cca.CSNBKGNJ(c.rc, c.rs, num(0), null, Rules.word(form, 4), Rules.word(length, 8), Rules.word(type1, 8),
                Rules.word(type2 == null ? "" : type2, 8), new byte[64], new byte[64], k1, k2);
        c.check("CSNBKGN");
        return type2 == null ? new byte[][] {k1} : new byte[][] {k1, k2};
    }

    /** CSNBKYT GENERATE: the verification values {value_1, value_2} of a fixed-length token. */
    public byte[][] keyTest(byte[] keyIdentifier, String... rules) {
        Codes c = new Codes();
        byte[] v1 = new byte[8];
        byte[] v2 = new byte[8];
        cca.CSNBKYTJ(c.rc, c.rs, num(0), null, num(rules.length), Rules.of(rules), keyIdentifier, v1, v2);
        c.check("CSNBKYT");
        return new byte[][] {v1, v2};
    }

    // ---- symmetric cryptography -------------------------------------------

    /** CSNBMGN: a MAC of {@code text} (rules e.g. "X9.19OPT", "MACLEN8"). */
    public byte[] macGenerate(byte[] key, byte[] text, String... rules) {
        Codes c = new Codes();
        byte[] mac = new byte[8];
        cca.CSNBMGNJ(c.rc, c.rs, num(0), null, key, num(text.length), text, num(rules.length), Rules.of(rules),
                new byte[18], mac);
        c.check("CSNBMGN");
        return mac;
    }

    /** CSNBMVR: true when the MAC verifies (0), false on 4 (mismatch). */
    public boolean macVerify(byte[] key, byte[] text, byte[] mac, String... rules) {
        Codes c = new Codes();
        cca.CSNBMVRJ(c.rc, c.rs, num(0), null, key, num(text.length), text, num(rules.length), Rules.of(rules),
                new byte[18], mac.clone());
        return c.check("CSNBMVR") == 0;
    }

    /** CSNBSAE: AES encipher with an AES key token (rules e.g. "AES", "CBC", "KEYIDENT"). */
    public byte[] aesEncipher(byte[] key, byte[] iv, byte[] clear, String... rules) {
        Codes c = new Codes();
        byte[] out = new byte[clear.length + 16];
        hikmNativeLong outLen = num(out.length);
        cca.CSNBSAEJ(c.rc, c.rs, num(0), null, num(rules.length), Rules.of(rules), num(key.length), key, num(0),
                null, num(16), num(iv.length), iv, num(32), new byte[32], num(clear.length), clear, outLen, out,
                num(0), null);
        c.check("CSNBSAE");
        return head(out, outLen);
    }

    /** CSNBSAD: AES decipher, the inverse of {@link #aesEncipher}. */
    public byte[] aesDecipher(byte[] key, byte[] iv, byte[] cipher, String... rules) {
        Codes c = new Codes();
        byte[] out = new byte[cipher.length];
        hikmNativeLong outLen = num(out.length);
        cca.CSNBSADJ(c.rc, c.rs, num(0), null, num(rules.length), Rules.of(rules), num(key.length), key, num(0),
                null, num(16), num(iv.length), iv, num(32), new byte[32], num(cipher.length), cipher, outLen, out,
                num(0), null);
        c.check("CSNBSAD");
        return head(out, outLen);
    }

    // ---- RSA --------------------------------------------------------------

    /** CSNDPKB + CSNDPKG: an internal RSA-CRT private key token of {@code bits} bits, e = 65537. */
    public byte[] rsaKey(int bits, String usage) {
        Codes c = new Codes();
        byte[] kvs = new byte[21];
        kvs[0] = (byte) (bits >> 8);
        kvs[1] = (byte) bits;
        kvs[5] = 3;
        kvs[18] = 1;
        kvs[20] = 1;
        byte[] skeleton = new byte[PKA_TOKEN_MAX];
        hikmNativeLong skLen = num(skeleton.length);
        cca.CSNDPKBJ(c.rc, c.rs, num(0), null, num(2), Rules.of("RSA-CRT", usage), num(kvs.length), kvs, num(0),
                null, num(0), null, num(0), null, num(0), null, num(0), null, num(0), null, skLen, skeleton);
        c.check("CSNDPKB");
        byte[] key = new byte[PKA_TOKEN_MAX];
        hikmNativeLong keyLen = num(key.length);
        cca.CSNDPKGJ(c.rc, c.rs, num(0), null, num(1), Rules.of("MASTER"), num(0), null, skLen, skeleton,
                new byte[64], keyLen, key);
        c.check("CSNDPKG");
        return head(key, keyLen);
    }

    /** CSNDPKX: the public key token of a private key token. */
    public byte[] publicKey(byte[] privateKey) {
        Codes c = new Codes();
        byte[] pub = new byte[PKA_TOKEN_MAX];
        hikmNativeLong pubLen = num(pub.length);
        cca.CSNDPKXJ(c.rc, c.rs, num(0), null, num(0), null, num(privateKey.length), privateKey, pubLen, pub);
        c.check("CSNDPKX");
        return head(pub, pubLen);
    }

    /** CSNDDSG: sign a hash or DigestInfo (rules e.g. "PKCS-1.1"). */
    public byte[] sign(byte[] privateKey, byte[] hash, String... rules) {
        Codes c = new Codes();
        byte[] sig = new byte[1024];
        hikmNativeLong sigLen = num(sig.length);
        cca.CSNDDSGJ(c.rc, c.rs, num(0), null, num(rules.length), Rules.of(rules), num(privateKey.length),
                privateKey, num(hash.length), hash, sigLen, num(0), sig);
        c.check("CSNDDSG");
        return head(sig, sigLen);
    }

    /** CSNDDSV: true when the signature verifies (0), false on 4 (e.g. 4/429). */
    public boolean verify(byte[] publicKey, byte[] hash, byte[] signature, String... rules) {
        Codes c = new Codes();
        cca.CSNDDSVJ(c.rc, c.rs, num(0), null, num(rules.length), Rules.of(rules), num(publicKey.length), publicKey,
                num(hash.length), hash, num(signature.length), signature);
        return c.check("CSNDDSV") == 0;
    }

    // ---- key storage ------------------------------------------------------

    /** Create a record {@code label} holding {@code token}; closing the result deletes it. */
    public KeyRecord storeKey(Store store, String label, byte[] token) {
        Codes c = new Codes();
        byte[] l = Rules.label(label);
        switch (store) {
            case DES:
                cca.CSNBKRCJ(c.rc, c.rs, num(0), null, l);
                c.check("CSNBKRC");
                cca.CSNBKRWJ(c.rc, c.rs, num(0), null, token, l);
                c.check("CSNBKRW");
                break;
            case AES:
                cca.CSNBAKRCJ(c.rc, c.rs, num(0), null, num(0), null, l, num(token.length), token);
                c.check("CSNBAKRC");
                break;
            default:
                cca.CSNDKRCJ(c.rc, c.rs, num(0), null, num(0), null, l, num(token.length), token);
                c.check("CSNDKRC");
                break;
        }
        return new KeyRecord(this, store, label);
    }

    /** Read the token stored under {@code label}. */
    public byte[] readKey(Store store, String label) {
        Codes c = new Codes();
        byte[] l = Rules.label(label);
        byte[] tok = new byte[store == Store.PKA ? PKA_TOKEN_MAX : 725];
        hikmNativeLong len = num(tok.length);
        switch (store) {
            case DES:
                tok = new byte[64];
                cca.CSNBKRRJ(c.rc, c.rs, num(0), null, l, tok);
                c.check("CSNBKRR");
                return tok;
            case AES:
                cca.CSNBAKRRJ(c.rc, c.rs, num(0), null, num(0), null, l, len, tok);
                c.check("CSNBAKRR");
                return head(tok, len);
            default:
                cca.CSNDKRRJ(c.rc, c.rs, num(0), null, num(0), null, l, len, tok);
                c.check("CSNDKRR");
                return head(tok, len);
        }
    }

    /** Delete the record {@code label} (LABEL-DL: the record, not only its token). */
    public void deleteKey(Store store, String label) {
        Codes c = new Codes();
        byte[] l = Rules.label(label);
        switch (store) {
            case DES:
                cca.CSNBKRDJ(c.rc, c.rs, num(0), null, num(1), Rules.of("LABEL-DL"), l);
                c.check("CSNBKRD");
                break;
            case AES:
                cca.CSNBAKRDJ(c.rc, c.rs, num(0), null, num(1), Rules.of("LABEL-DL"), l);
                c.check("CSNBAKRD");
                break;
            default:
                cca.CSNDKRDJ(c.rc, c.rs, num(0), null, num(1), Rules.of("LABEL-DL"), l);
                c.check("CSNDKRD");
                break;
        }
    }
}
