package io.github.gstauth.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasi.WasiOptions;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The plugin's WASI random source is a SecureRandom (Chicory's default is ThreadLocalRandom, not a CSPRNG), the
 * core really draws its keys from it, and the plugin has the system clock.
 */
class WasmRandomTest {
    /** A SecureRandom that counts the bytes drawn from it. */
    static final class CountingSecureRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        final AtomicLong drawn = new AtomicLong();

        @Override
        public void nextBytes(byte[] bytes) {
            drawn.addAndGet(bytes.length);
            super.nextBytes(bytes);
        }
    }

    @Test
    void theBackendGivesThePluginASecureRandomAndTheSystemClock() {
        WasmBackend b = (WasmBackend) Backends.get("wasm");
        WasiOptions o = b.wasiOptions();
        assertInstanceOf(SecureRandom.class, o.random(), "WASI random is a SecureRandom");
        assertEquals(Clock.systemUTC(), o.clock(), "WASI clock is the system clock");
        assertTrue(Math.abs(o.clock().millis() - System.currentTimeMillis()) < 5_000);
    }

    @Test
    void newKeysComeFromTheHostsRandom() {
        CountingSecureRandom random = new CountingSecureRandom();
        WasmBackend b = new WasmBackend(random);
        long before = random.drawn.get();
        byte[] out = b.call("new_app_key", "{}".getBytes(StandardCharsets.UTF_8));
        assertTrue(new String(out, StandardCharsets.UTF_8).contains("app_key"));
        assertTrue(random.drawn.get() - before >= 32, "a 32-byte key drew " + (random.drawn.get() - before)
                + " bytes from the host's SecureRandom");
    }
}
