// SPDX-License-Identifier: Apache-2.0
// RsaSign: generate an RSA-2048 key (CSNDPKB, CSNDPKG), extract its public key (CSNDPKX), sign a
// SHA-256 DigestInfo (CSNDDSG) and verify it (CSNDDSV), with the org.libcsulcca layer.
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import org.libcsulcca.Cca;
import org.libcsulcca.CcaException;

public class RsaSign {
    public static int run() throws Exception {
        Cca cca = new Cca();
        byte[] prefix = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, (byte) 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20};
        byte[] h = MessageDigest.getInstance("SHA-256").digest("hello, CCA".getBytes(StandardCharsets.UTF_8));
        byte[] di = Arrays.copyOf(prefix, 51);
        System.arraycopy(h, 0, di, 19, 32);
        try {
            byte[] priv = cca.rsaKey(2048, "SIG-ONLY");
            byte[] pub = cca.publicKey(priv);
            System.out.println("private token " + priv.length + " bytes, public token " + pub.length + " bytes");
            byte[] sig = cca.sign(priv, di, "PKCS-1.1");
            System.out.println("signature: " + sig.length + " bytes");
            boolean ok = cca.verify(pub, di, sig, "PKCS-1.1");
            sig[7] ^= 1;
            boolean tampered = cca.verify(pub, di, sig, "PKCS-1.1");
            System.out.println("verified: " + ok + "; after a changed bit: " + tampered);
            return ok && !tampered ? 0 : 1;
        } catch (CcaException e) {
            System.out.println(e.getMessage());
            return e.isUnavailable() ? 2 : 1;
        }
    }

    public static void main(String[] args) throws Exception {
        System.exit(run());
    }
}
