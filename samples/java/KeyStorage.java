// SPDX-License-Identifier: Apache-2.0
// KeyStorage: store an AES key under a label (CSNBAKRC), read it back (CSNBAKRR), encipher with the
// label as the key identifier (CSNBSAE) and decipher with the token (CSNBSAD), and delete the
// record when the try block ends (CSNBAKRD).
import java.util.Arrays;
import java.util.HexFormat;
import org.libcsulcca.Cca;
import org.libcsulcca.CcaException;
import org.libcsulcca.KeyRecord;

public class KeyStorage {
    public static int run() {
        Cca cca = new Cca();
        try {
            byte[] token = cca.aesDataKey(256);
            String label = "SAMPLE.JAVA.AES." + ProcessHandle.current().pid();
            try (KeyRecord rec = cca.storeKey(Cca.Store.AES, label, token)) {
                byte[] read = cca.readKey(Cca.Store.AES, label);
                System.out.println("stored and read back " + read.length + " bytes under " + label);
                byte[] iv = new byte[16];
                byte[] clear = "enciphered under a key's label..".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                byte[] cipher = cca.aesEncipher(rec.identifier(), iv, clear, "AES", "CBC", "KEYIDENT");
                byte[] back = cca.aesDecipher(token, iv, cipher, "AES", "CBC", "KEYIDENT");
                System.out.println("by label: " + HexFormat.of().formatHex(cipher) + " -> '"
                        + new String(back, java.nio.charset.StandardCharsets.US_ASCII) + "'");
                return Arrays.equals(clear, back) && Arrays.equals(Arrays.copyOf(read, 64), token) ? 0 : 1;
            }
        } catch (CcaException e) {
            System.out.println(e.getMessage());
            return e.isUnavailable() ? 2 : 1;
        }
    }

    public static void main(String[] args) {
        System.exit(run());
    }
}
