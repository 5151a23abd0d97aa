package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Many threads at once give the right answers, and memory stays flat over many calls (no leaked output buffer, no
 * pool that grows). Nothing here asserts a duration.
 */
class ConcurrencyTest {
    static final List<String> BACKENDS = TestSupport.BACKENDS;
    static final int THREADS = 16;

    /** Calls per thread: the plugin costs ~100x a native call, so it gets fewer. */
    static int callsPerThread(String backend) {
        return backend.equals("wasm") ? 150 : 3000;
    }

    /** pkce_s256 of a random verifier, checked against SHA-256 from the JDK; a raw AES round trip; an error. */
    static void oneRound(Backend b, ThreadLocalRandom r) throws Exception {
        oneRound(b, r, r.nextInt(300));
    }

    /** The same with dataSize bytes through the raw ops (so a leaked output buffer would be dataSize bytes a call). */
    static void oneRound(Backend b, ThreadLocalRandom r, int dataSize) throws Exception {
        byte[] v = new byte[96];
        r.nextBytes(v);
        String verifier = Base64.getUrlEncoder().withoutPadding().encodeToString(v).substring(0, 43 + r.nextInt(86));
        String out = new String(b.call("pkce_s256", ("{\"verifier\":\"" + verifier + "\"}").getBytes(StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8);
        String want = Base64.getUrlEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        assertEquals("{\"challenge\":\"" + want + "\"}", out);

        byte[] key = new byte[32];
        r.nextBytes(key);
        byte[] data = new byte[dataSize];
        r.nextBytes(data);
        byte[] params = ("{\"key\":\"" + Base64.getEncoder().encodeToString(key) + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] ct = b.callRaw("aes_ecb_encrypt_raw", params, ByteBuffer.wrap(data)).data();
        assertArrayEquals(data, b.callRaw("aes_ecb_decrypt_raw", params, ByteBuffer.wrap(ct)).data());

        try {
            b.call("pkce_s256", "{\"verifier\":1}".getBytes(StandardCharsets.UTF_8));
            throw new AssertionError("a number was accepted as a verifier");
        } catch (GstAuthException e) {
            assertTrue(e.errorJson().isPresent());
        }
    }

    @ParameterizedTest
    @FieldSource("BACKENDS")
    void sixteenThreadsGetTheirOwnAnswers(String backend) throws Exception {
        Backend b = GstAuth.backend(backend);
        int calls = callsPerThread(backend);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                done.add(pool.submit(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    for (int i = 0; i < calls; i++) {
                        oneRound(b, r);
                    }
                    return calls;
                }));
            }
            int total = 0;
            for (Future<Integer> f : done) {
                total += f.get(10, TimeUnit.MINUTES);
            }
            assertEquals(THREADS * calls, total);
            System.out.printf("threads: %s via %s, %d threads x %d rounds of 4 calls, all correct%n",
                    backend, b.runtime(), THREADS, calls);
        } finally {
            pool.shutdownNow();
        }
    }

    static long heapUsed() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The process's resident set (VmRSS), in bytes: native leaks show here, not in the heap. */
    static long rss() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /**
     * 100,000 native calls (JSON, raw with 4 KiB in and out, and failing ones; each leaves buffers for the binding to
     * free): heap and resident memory after them stay within a few MiB of where they were after a warm-up of 20,000.
     * One unreleased 4 KiB output a round would add 100 MB. The test JVMs run with a fixed, pre-touched heap
     * (-Xms = -Xmx, -XX:+AlwaysPreTouch), so heap growth does not show up as resident memory.
     */
    @Test
    void memoryIsFlatOver100kNativeCalls() throws Exception {
        Backend b = GstAuth.backend("cshared");
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < 5_000; i++) {
            oneRound(b, r, 4096);
        }
        long heap0 = heapUsed();
        long rss0 = rss();
        for (int i = 0; i < 25_000; i++) {
            oneRound(b, r, 4096); // 4 calls each
        }
        long heap1 = heapUsed();
        long rss1 = rss();
        System.out.printf("memory: cshared via %s, 100000 calls: heap %+.1f MiB, RSS %+.1f MiB%n",
                b.runtime(), (heap1 - heap0) / 1048576.0, (rss1 - rss0) / 1048576.0);
        assertTrue(heap1 - heap0 < 8 << 20, "heap grew by " + (heap1 - heap0) + " bytes");
        assertTrue(rss1 - rss0 < 32 << 20, "resident memory grew by " + (rss1 - rss0) + " bytes");
    }

    /**
     * The same over the bulk path (64 KiB in and out: outputs lent by the library and released by the binding, heap
     * inputs copied into native memory of their own): one unreleased output a round would add 256 MB.
     */
    @Test
    void memoryIsFlatOverBulkNativeCalls() throws Exception {
        Backend b = GstAuth.backend("cshared");
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < 500; i++) {
            oneRound(b, r, 64 << 10);
        }
        long heap0 = heapUsed();
        long rss0 = rss();
        for (int i = 0; i < 4_000; i++) {
            oneRound(b, r, 64 << 10);
        }
        long heap1 = heapUsed();
        long rss1 = rss();
        System.out.printf("memory: cshared via %s, 4000 bulk rounds: heap %+.1f MiB, RSS %+.1f MiB%n",
                b.runtime(), (heap1 - heap0) / 1048576.0, (rss1 - rss0) / 1048576.0);
        assertTrue(heap1 - heap0 < 8 << 20, "heap grew by " + (heap1 - heap0) + " bytes");
        assertTrue(rss1 - rss0 < 32 << 20, "resident memory grew by " + (rss1 - rss0) + " bytes");
    }

    /** The plugin pool keeps its instances (no new instance per call) and their memory does not grow. */
    @Test
    void pluginMemoryIsFlat() throws Exception {
        Backend b = GstAuth.backend("wasm");
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < 500; i++) {
            oneRound(b, r);
        }
        long heap0 = heapUsed();
        for (int i = 0; i < 2_500; i++) {
            oneRound(b, r);
        }
        long heap1 = heapUsed();
        System.out.printf("memory: wasm via chicory, 10000 calls: heap %+.1f MiB%n", (heap1 - heap0) / 1048576.0);
        assertTrue(heap1 - heap0 < 16 << 20, "heap grew by " + (heap1 - heap0) + " bytes");
    }
}
