package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The core against the JDK's own providers (JCE), both ways, on random inputs: what one encrypts or signs, the other
 * decrypts or verifies, and the deterministic outputs (AES-ECB, HMAC, PKCS#1 v1.5 signatures) are equal byte for byte.
 * The seed is printed so that a failure can be replayed.
 */
class CrossCheckTest {
    static final java.util.List<String> BACKENDS = TestSupport.BACKENDS;
    static final Base64.Encoder B64 = Base64.getEncoder();
    static final Base64.Decoder UNB64 = Base64.getDecoder();
    static final int ROUNDS = 24;

    static Random random(String what) {
        long seed = System.nanoTime();
        System.out.println(what + ": seed " + seed);
        return new Random(seed);
    }

    static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    static String b64(byte[] b) {
        return B64.encodeToString(b);
    }

    static ObjectNode obj(String... kv) {
        ObjectNode o = TestSupport.object();
        for (int i = 0; i < kv.length; i += 2) {
            o.put(kv[i], kv[i + 1]);
        }
        return o;
    }

    static byte[] field(JsonNode out, String name) {
        return UNB64.decode(out.get(name).asText());
    }

    static PrivateKey privateKey(String file) throws Exception {
        String pem = TestSupport.key(file).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(UNB64.decode(pem)));
    }

    static PublicKey certificateKey(String file) throws Exception {
        return CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(TestSupport.key(file).getBytes(StandardCharsets.US_ASCII)))
                .getPublicKey();
    }

    @ParameterizedTest
    @FieldSource("BACKENDS")
    void aesEcbBothWays(String backend) throws Exception {
        Random r = random("aes " + backend);
        for (int i = 0; i < ROUNDS; i++) {
            byte[] key = bytes(r, 32);
            byte[] plain = bytes(r, r.nextInt(i < 4 ? 40 : 5000));
            Cipher enc = Cipher.getInstance("AES/ECB/PKCS5Padding");
            enc.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            byte[] jce = enc.doFinal(plain);

            byte[] core = field(TestSupport.call(backend, "aes_ecb_encrypt", obj("key", b64(key), "plaintext", b64(plain))), "ciphertext");
            assertArrayEquals(jce, core, "the core's ciphertext equals the JCE's");
            Cipher dec = Cipher.getInstance("AES/ECB/PKCS5Padding");
            dec.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"));
            assertArrayEquals(plain, dec.doFinal(core), "the JCE decrypts the core's ciphertext");
            assertArrayEquals(plain, field(TestSupport.call(backend, "aes_ecb_decrypt", obj("key", b64(key), "ciphertext", b64(jce))), "plaintext"),
                    "the core decrypts the JCE's ciphertext");

            String params = TestSupport.text(obj("key", b64(key)));
            Backend b = GstAuth.backend(backend);
            RawResult rawEnc = b.callRaw("aes_ecb_encrypt_raw", params.getBytes(StandardCharsets.UTF_8), ByteBuffer.wrap(plain));
            assertArrayEquals(jce, rawEnc.data(), "aes_ecb_encrypt_raw equals the JCE");
            ByteBuffer direct = ByteBuffer.allocateDirect(jce.length + 7);
            direct.position(7);
            direct.put(jce).position(7);
            assertArrayEquals(plain, b.callRaw("aes_ecb_decrypt_raw", params.getBytes(StandardCharsets.UTF_8), direct).data(),
                    "aes_ecb_decrypt_raw decrypts the JCE's ciphertext from a direct buffer");
            assertEquals(7, direct.position(), "the buffer's position is left alone");
        }
    }

    @ParameterizedTest
    @FieldSource("BACKENDS")
    void rsaPkcs1EncryptionBothWays(String backend) throws Exception {
        Random r = random("rsa " + backend);
        PrivateKey priv = privateKey("gstn-test.key");
        PublicKey pub = certificateKey("gstn-test.crt");
        String privPem = TestSupport.key("gstn-test.key");
        String certPem = TestSupport.key("gstn-test.crt");
        for (int i = 0; i < ROUNDS / 2; i++) {
            byte[] plain = bytes(r, 1 + r.nextInt(200));
            byte[] ct = field(TestSupport.call(backend, "rsa_encrypt", obj("public_key", certPem, "plaintext", b64(plain))), "ciphertext");
            Cipher dec = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            dec.init(Cipher.DECRYPT_MODE, priv);
            assertArrayEquals(plain, dec.doFinal(ct), "the JCE decrypts the core's RSA ciphertext");

            Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            enc.init(Cipher.ENCRYPT_MODE, pub);
            byte[] jceCt = enc.doFinal(plain);
            assertArrayEquals(plain, field(TestSupport.call(backend, "rsa_decrypt", obj("private_key", privPem, "ciphertext", b64(jceCt))), "plaintext"),
                    "the core decrypts the JCE's RSA ciphertext");
        }
    }

    @ParameterizedTest
    @FieldSource("BACKENDS")
    void hmacSha256(String backend) throws Exception {
        Random r = random("hmac " + backend);
        for (int i = 0; i < ROUNDS; i++) {
            byte[] key = bytes(r, 1 + r.nextInt(100));
            byte[] msg = bytes(r, r.nextInt(3000));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] tag = mac.doFinal(msg);
            JsonNode out = TestSupport.call(backend, "hmac_sha256", obj("key", b64(key), "message", b64(msg)));
            assertArrayEquals(tag, field(out, "tag"), "the core's HMAC equals the JCE's");
            TestSupport.call(backend, "hmac_sha256", obj("key", b64(key), "message", b64(msg), "tag", b64(tag)));
        }
    }

    @ParameterizedTest
    @FieldSource("BACKENDS")
    void sha256WithRsaBothWays(String backend) throws Exception {
        Random r = random("sha256withrsa " + backend);
        PrivateKey priv = privateKey("nic-sign-test.key");
        String privPem = TestSupport.key("nic-sign-test.key");
        String pubPem = TestSupport.key("nic-sign-test.pub");
        PublicKey pub = certificateKey("nic-sign-test.crt");
        for (int i = 0; i < ROUNDS / 2; i++) {
            byte[] msg = bytes(r, r.nextInt(2000));
            Signature jce = Signature.getInstance("SHA256withRSA");
            jce.initSign(priv);
            jce.update(msg);
            byte[] jceSig = jce.sign();

            byte[] sig = field(TestSupport.call(backend, "rsa_sha256_sign", obj("private_key", privPem, "message", b64(msg))), "signature");
            assertArrayEquals(jceSig, sig, "PKCS#1 v1.5 signatures are deterministic: the core's equals the JCE's");
            Signature v = Signature.getInstance("SHA256withRSA");
            v.initVerify(pub);
            v.update(msg);
            assertTrue(v.verify(sig), "the JCE verifies the core's signature");
            TestSupport.call(backend, "rsa_sha256_verify", obj("public_key", pubPem, "message", b64(msg), "signature", b64(jceSig)));

            byte[] bad = jceSig.clone();
            bad[r.nextInt(bad.length)] ^= (byte) (1 << r.nextInt(8));
            GstAuthException e = org.junit.jupiter.api.Assertions.assertThrows(GstAuthException.class, () ->
                    TestSupport.call(backend, "rsa_sha256_verify", obj("public_key", pubPem, "message", b64(msg), "signature", b64(bad))));
            assertEquals(ErrorCode.SIGNATURE_INVALID, e.errorCode().orElseThrow(), "a flipped bit is refused");
        }
    }
}
