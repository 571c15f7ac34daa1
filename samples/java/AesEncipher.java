// SPDX-License-Identifier: Apache-2.0
// AesEncipher: AES-CBC encipher and decipher with a secure AES key (CSNBSAE, CSNBSAD), using the
// idiomatic org.libcsulcca layer: byte[] results, CcaException for return codes 8 and above.
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.libcsulcca.Cca;
import org.libcsulcca.CcaException;

public class AesEncipher {
    public static int run() {
        Cca cca = new Cca();
        try {
            byte[] key = cca.aesDataKey(256);
            byte[] iv = cca.random(16);
            byte[] clear = "Thirty-two bytes of plain text!!".getBytes(StandardCharsets.US_ASCII);
            byte[] cipher = cca.aesEncipher(key, iv, clear, "AES", "CBC", "KEYIDENT");
            System.out.println("cipher text: " + HexFormat.of().formatHex(cipher));
            byte[] back = cca.aesDecipher(key, iv, cipher, "AES", "CBC", "KEYIDENT");
            System.out.println("clear text:  " + new String(back, StandardCharsets.US_ASCII));
            return Arrays.equals(clear, back) ? 0 : 1;
        } catch (CcaException e) {
            System.out.println(e.getMessage());
            return e.isUnavailable() ? 2 : 1;
        }
    }

    public static void main(String[] args) {
        System.exit(run());
    }
}
