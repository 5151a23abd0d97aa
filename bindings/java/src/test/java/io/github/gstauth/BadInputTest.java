package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Whatever a Java caller passes, the answer is a GstAuthException with a code from the core, or a
 * NullPointerException / IllegalArgumentException that says what is wrong; never a crash of the JVM. Inputs the core
 * judges get the same code from both backends.
 */
class BadInputTest {
    static final List<String> BACKENDS = TestSupport.BACKENDS;

    static GstAuthException fails(String backend, String op, String input) {
        return assertThrows(GstAuthException.class,
                () -> GstAuth.backend(backend).call(op, input.getBytes(StandardCharsets.UTF_8)));
    }

    /** Inputs the core refuses: each gets a code, and the same code (and message) from both backends. */
    static Map<String, String[]> refused() {
        Map<String, String[]> m = new LinkedHashMap<>();
        m.put("malformed JSON", new String[] {"pkce_s256", "{\"verifier\":"});
        m.put("not an object", new String[] {"pkce_s256", "[1,2]"});
        m.put("JSON null", new String[] {"pkce_s256", "null"});
        m.put("empty input", new String[] {"pkce_s256", ""});
        m.put("trailing garbage", new String[] {"pkce_s256", "{} {}"});
        m.put("a number for a string", new String[] {"pkce_s256", "{\"verifier\":5}"});
        m.put("an object for a string", new String[] {"pkce_s256", "{\"verifier\":{}}"});
        m.put("unknown field", new String[] {"pkce_s256", "{\"verifier\":\"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\",\"x\":1}"});
        m.put("bad base64", new String[] {"aes_ecb_encrypt", "{\"key\":\"!!!\",\"plaintext\":\"\"}"});
        m.put("non-ASCII verifier", new String[] {"pkce_s256", "{\"verifier\":\"\u00ff\"}"});
        m.put("a NUL byte inside the JSON", new String[] {"pkce_s256", "{\"verifier\":\"a\u0000b\"}"});
        m.put("a byte-order mark", new String[] {"pkce_s256", "\uFEFF{}"});
        m.put("deep nesting", new String[] {"pkce_s256", "[".repeat(100_000) + "]".repeat(100_000)});
        m.put("unknown op", new String[] {"no_such_op", "{}"});
        m.put("empty op name", new String[] {"", "{}"});
        m.put("op name over the limit", new String[] {"x".repeat(65), "{}"});
        m.put("op name of a megabyte", new String[] {"y".repeat(1 << 20), "{}"});
        m.put("raw op through the JSON entry", new String[] {"aes_ecb_encrypt_raw", "{}"});
        return m;
    }

    @Test
    void everyRefusalHasACodeAndBothBackendsAgree() {
        for (Map.Entry<String, String[]> e : refused().entrySet()) {
            String op = e.getValue()[0];
            String in = e.getValue()[1];
            GstAuthException c = fails("cshared", op, in);
            GstAuthException w = fails("wasm", op, in);
            assertFalse(c.code().isEmpty(), e.getKey());
            assertTrue(c.errorCode().isPresent(), e.getKey() + ": " + c.code() + " is one of the core's codes");
            assertEquals(c.code(), w.code(), e.getKey() + ": the same code on both backends");
            if (c.errorJson().isPresent() && w.errorJson().isPresent()) {
                assertEquals(c.errorJson().get(), w.errorJson().get(), e.getKey() + ": the same error JSON");
            }
        }
    }

    @ParameterizedTest
    @FieldSource("BACKENDS")
    void nullsAreNamed(String backend) {
        Backend b = GstAuth.backend(backend);
        assertEquals("op", assertThrows(NullPointerException.class, () -> b.call(null, new byte[0])).getMessage());
        assertEquals("inputJson", assertThrows(NullPointerException.class, () -> b.call("pkce_s256", null)).getMessage());
        assertEquals("data", assertThrows(NullPointerException.class,
                () -> b.callRaw("aes_ecb_encrypt_raw", new byte[0], null)).getMessage());
        assertEquals("inputJson", assertThrows(NullPointerException.class, () -> GstAuth.call("pkce_s256", null)).getMessage());
        assertEquals("data", assertThrows(NullPointerException.class,
                () -> GstAuth.callRaw("aes_ecb_encrypt_raw", "{}", (byte[]) null)).getMessage());
    }

    @ParameterizedTest
    @FieldSource("BACKENDS")
    void opNamesWithNulAreRefusedBeforeTheCall(String backend) {
        Backend b = GstAuth.backend(backend);
        // As a C string "pkce_s256\0x" would silently name pkce_s256.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.call("pkce_s256\0x", "{}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("NUL"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.callRaw("\0", new byte[0], ByteBuffer.allocate(0)));
    }

    @ParameterizedTest
    @FieldSource("BACKENDS")
    void absurdOpNamesGetACode(String backend) {
        for (String op : new String[] {"x".repeat(65), "y".repeat(1 << 20), "pkce_s256 ", "PKCE_S256", "\u00e9t\u00e9", "../ops"}) {
            GstAuthException e = fails(backend, op, "{}");
            assertTrue(e.errorCode().isPresent(), op.length() + "-char name: " + e.code());
            assertTrue(e.getMessage().length() < 400, "the message does not echo a megabyte name");
        }
    }

    @Test
    void unpairedSurrogatesAreRefusedNotReplaced() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GstAuth.call("pkce_s256", "{\"verifier\":\"\uD800\"}"));
        assertTrue(e.getMessage().contains("surrogate"), e.getMessage());
        // A valid pair is fine (and then judged by the core).
        assertThrows(GstAuthException.class, () -> GstAuth.call("pkce_s256", "{\"verifier\":\"\uD83D\uDE00\"}"));
    }

    @ParameterizedTest
    @FieldSource("BACKENDS")
    void hugeInputsAreRefusedWithACode(String backend) {
        String huge = "{\"verifier\":\"" + "a".repeat(80 << 20) + "\"}";
        GstAuthException e = fails(backend, "pkce_s256", huge);
        assertTrue(e.errorCode().isPresent(), e.code());
        GstAuthException raw = assertThrows(GstAuthException.class, () -> GstAuth.backend(backend).callRaw(
                "aes_ecb_encrypt_raw", "{\"key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}".getBytes(StandardCharsets.UTF_8),
                ByteBuffer.allocateDirect(100 << 20)));
        assertTrue(raw.errorCode().isPresent(), raw.code());
        // And the backend still works afterwards.
        assertNotNull(GstAuth.backend(backend).call("error_codes", "{}".getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest
    @FieldSource("BACKENDS")
    void jsonOpThroughTheRawEntry(String backend) {
        GstAuthException e = assertThrows(GstAuthException.class, () -> GstAuth.backend(backend)
                .callRaw("pkce_s256", "{}".getBytes(StandardCharsets.UTF_8), ByteBuffer.allocate(0)));
        assertEquals(ErrorCode.UNSUPPORTED.code(), e.code());
    }

    @ParameterizedTest
    @FieldSource("BACKENDS")
    void buffersAreReadFromPositionToLimit(String backend) {
        byte[] key = "{\"key\":\"+nqBCMfDNjgxUEF2Prl9t5OvsOxZhblc+20hzJ6aLDg=\"}".getBytes(StandardCharsets.UTF_8);
        Backend b = GstAuth.backend(backend);
        byte[] want = b.callRaw("aes_ecb_encrypt_raw", key, ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8))).data();
        ByteBuffer heap = ByteBuffer.wrap("xxhelloyy".getBytes(StandardCharsets.UTF_8), 2, 5);
        ByteBuffer direct = ByteBuffer.allocateDirect(9).put("xxhelloyy".getBytes(StandardCharsets.UTF_8));
        direct.position(2).limit(7);
        for (ByteBuffer buf : new ByteBuffer[] {heap, heap.asReadOnlyBuffer(), direct, direct.slice(), direct.asReadOnlyBuffer()}) {
            int pos = buf.position();
            assertArrayEquals(want, b.callRaw("aes_ecb_encrypt_raw", key, buf).data(), buf.toString());
            assertEquals(pos, buf.position(), "position unchanged");
        }
    }

    @Test
    void unknownBackendNamesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GstAuth.backend("CShared"));
        assertTrue(e.getMessage().contains("cshared or wasm"), e.getMessage());
    }

    /**
     * Go installs its own signal handlers when the library loads; the JVM turns SIGSEGV from a null dereference in
     * compiled code into a NullPointerException, which must still work (Go forwards signals that are not its own).
     */
    @Test
    void jvmNullChecksStillWorkAfterTheLibraryLoaded() {
        GstAuth.backend("cshared").call("error_codes", "{}".getBytes(StandardCharsets.UTF_8));
        int caught = 0;
        for (int i = 0; i < 200_000; i++) {
            try {
                caught += length(i % 1000 == 0 ? null : "x");
            } catch (NullPointerException e) {
                caught += 1000;
            }
        }
        assertEquals(199_800 + 200 * 1000, caught);
    }

    private static int length(String s) {
        return s.length();
    }
}
