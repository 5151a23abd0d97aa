package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The native route's copies at the boundary: inputs through the thread's scratch block or a block of their own past
 * its limit (FFM: 256 KiB), direct buffers in place, raw outputs from 32 KiB of data on read from the library's lent
 * bytes (gstauth_call_raw_view). Every kind of buffer and every size around those limits gives the JCE's bytes, on
 * either route. Nothing here asserts a duration.
 */
class RawBuffersTest {
    static final int[] SIZES = {0, 1, 15, 16, 4000, 4096, (32 << 10) - 1, 32 << 10, 100_000, (256 << 10) - 100,
        256 << 10, (256 << 10) + 1, (1 << 20) + 3};

    static final Backend B = GstAuth.backend("cshared");

    static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    static byte[] jceAes(byte[] key, byte[] plain) throws Exception {
        Cipher c = Cipher.getInstance("AES/ECB/PKCS5Padding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        return c.doFinal(plain);
    }

    /** The same bytes as a heap buffer, a slice of a larger array, a read-only view, and direct buffers. */
    static ByteBuffer[] buffers(byte[] data) {
        byte[] wide = new byte[data.length + 10];
        System.arraycopy(data, 0, wide, 3, data.length);
        ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
        ByteBuffer offsetDirect = ByteBuffer.allocateDirect(data.length + 10).position(5);
        offsetDirect.put(data).position(5).limit(5 + data.length);
        return new ByteBuffer[] {ByteBuffer.wrap(data), ByteBuffer.wrap(wide, 3, data.length),
            ByteBuffer.wrap(data).asReadOnlyBuffer(), direct, offsetDirect, direct.asReadOnlyBuffer()};
    }

    @Test
    void rawBytesCrossIntactAtEverySize() throws Exception {
        Random r = new Random(14_3);
        byte[] key = random(r, 32);
        byte[] params = ("{\"key\":\"" + Base64.getEncoder().encodeToString(key) + "\"}").getBytes(StandardCharsets.UTF_8);
        for (int n : SIZES) {
            byte[] plain = random(r, n);
            byte[] want = jceAes(key, plain);
            for (ByteBuffer buf : buffers(plain)) {
                int pos = buf.position();
                RawResult enc = B.callRaw("aes_ecb_encrypt_raw", params, buf);
                assertArrayEquals(want, enc.data(), n + " bytes from " + buf);
                assertEquals(pos, buf.position(), "position unchanged");
                assertEquals("{}", enc.meta());
            }
            for (ByteBuffer buf : buffers(want)) {
                assertArrayEquals(plain, B.callRaw("aes_ecb_decrypt_raw", params, buf).data(), n + " bytes back from " + buf);
            }
        }
    }

    @Test
    void paramsOverTheScratchLimit() throws Exception {
        Random r = new Random(7);
        byte[] key = random(r, 32);
        String spaces = " ".repeat(300 << 10); // JSON whitespace: the params are over 256 KiB, the key is the same
        byte[] params = ("{\"key\":\"" + Base64.getEncoder().encodeToString(key) + "\"" + spaces + "}")
                .getBytes(StandardCharsets.UTF_8);
        for (int n : new int[] {0, 100, 300 << 10}) {
            byte[] plain = random(r, n);
            for (ByteBuffer buf : buffers(plain)) {
                assertArrayEquals(jceAes(key, plain), B.callRaw("aes_ecb_encrypt_raw", params, buf).data(), n + " bytes");
            }
        }
    }

    @Test
    void jsonInputsOverTheScratchLimit() throws Exception {
        Random r = new Random(11);
        byte[] key = random(r, 32);
        for (int n : new int[] {10, 200 << 10, 300 << 10}) {
            byte[] plain = random(r, n);
            String in = "{\"key\":\"" + Base64.getEncoder().encodeToString(key) + "\",\"plaintext\":\""
                    + Base64.getEncoder().encodeToString(plain) + "\"}";
            String out = GstAuth.call("aes_ecb_encrypt", in);
            assertEquals("{\"ciphertext\":\"" + Base64.getEncoder().encodeToString(jceAes(key, plain)) + "\"}", out);
        }
    }

    @Test
    void gstnRequestAsTheJcePipeline() throws Exception {
        Random r = new Random(5);
        byte[] ek = random(r, 32);
        String params = "{\"sek\":\"" + Base64.getEncoder().encodeToString(ek) + "\"}";
        for (int n : new int[] {1024, 100 << 10, 3 << 20}) {
            byte[] json = ("{\"b2b\":\"" + "x".repeat(n) + "\"}").getBytes(StandardCharsets.UTF_8);
            byte[] text = Base64.getEncoder().encode(json);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(ek, "HmacSHA256"));
            String hmac = Base64.getEncoder().encodeToString(mac.doFinal(text));
            byte[] data = Base64.getEncoder().encode(jceAes(ek, text));
            for (ByteBuffer buf : buffers(json)) {
                RawResult res = GstAuth.callRaw("gstn_encrypt_request_raw", params, buf);
                assertArrayEquals(data, res.data(), n + " bytes from " + buf);
                assertEquals("{\"hmac\":\"" + hmac + "\"}", res.meta());
            }
        }
    }
}
