package io.github.gstauth.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * One session shared by four real processes (child JVMs, four threads each) through a store, against a loopback token
 * endpoint issuing 6-second tokens: over 10 s (two or three windows) the endpoint sees one grant per window, never two in
 * one, every API call carries a token that is still valid, and the grants the children report having made under the
 * lease add up to the grants the endpoint saw. With the file store, and with Redis when GSTAUTH_TEST_REDIS is set; only
 * when GSTAUTH_TEST_PROCESSES is set (make test-java), on the newest JDK's run, as it takes 10 s a store.
 */
class SharedProcessesTest {
    static final long LIFETIME_S = 6;
    static final long DURATION_MS = 10_000;

    static boolean enabled() {
        if (System.getenv("GSTAUTH_TEST_PROCESSES") == null) {
            System.out.println("shared: GSTAUTH_TEST_PROCESSES is not set: the processes run in make test-java");
            return false;
        }
        if ("false".equals(System.getProperty("gstauth.test.newestSkipped"))) {
            System.out.println("shared: the processes run on the newest JDK's run only");
            return false;
        }
        return true;
    }

    @Test
    void fileStore() throws Exception {
        if (!enabled()) {
            return;
        }
        Path dir = Files.createTempDirectory("gstauth-shared");
        run("file:" + dir, "file store");
    }

    @Test
    void redisStore() throws Exception {
        String single = System.getenv("GSTAUTH_TEST_REDIS");
        if (!enabled()) {
            return;
        }
        if (single == null || single.isEmpty()) {
            System.out.println("shared: no GSTAUTH_TEST_REDIS: the Redis run is in make test-java-e2e");
            return;
        }
        // A fresh account on a server other runs may share: the client id carries a random part.
        run("redis://" + single, "redis");
    }

    void run(String store, String what) throws Exception {
        List<Long> grants = new CopyOnWriteArrayList<>();
        Map<String, Long> issued = new ConcurrentHashMap<>();
        AtomicInteger expiredUses = new AtomicInteger();
        AtomicInteger apiCalls = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/token", ex -> {
            ex.getRequestBody().readAllBytes();
            long now = System.currentTimeMillis();
            grants.add(now);
            String tok = "tok-" + UUID.randomUUID();
            issued.put(tok, now);
            byte[] b = ("{\"access_token\":\"" + tok + "\",\"token_type\":\"Bearer\",\"expires_in\":" + LIFETIME_S + "}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.createContext("/api", ex -> {
            apiCalls.incrementAndGet();
            String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization")).replaceFirst("^Bearer ", "");
            Long at = issued.get(auth);
            boolean ok = at != null && System.currentTimeMillis() < at + LIFETIME_S * 1000;
            if (!ok) {
                expiredUses.incrementAndGet();
            }
            ex.sendResponseHeaders(ok ? 200 : 401, -1);
            ex.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        List<Process> children = new ArrayList<>();
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            for (int i = 0; i < 4; i++) {
                List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
                if (Runtime.version().feature() >= 22) {
                    cmd.add("--enable-native-access=ALL-UNNAMED");
                }
                for (String p : List.of("gstauth.backend", "gstauth.library")) {
                    if (System.getProperty(p) != null) {
                        cmd.add("-D" + p + "=" + System.getProperty(p));
                    }
                }
                cmd.addAll(List.of(SharedChild.class.getName(), store, base, Long.toString(DURATION_MS), "child-" + i));
                children.add(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start());
            }
            ObjectMapper json = new ObjectMapper();
            long exchanges = 0;
            long calls = 0;
            for (Process p : children) {
                assertTrue(p.waitFor(DURATION_MS + 60_000, TimeUnit.MILLISECONDS), "a child did not finish");
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                assertEquals(0, p.exitValue(), out);
                JsonNode r = json.readTree(out.substring(out.lastIndexOf('{')));
                assertEquals(0, r.get("errors").asInt(), out);
                assertEquals(0, r.get("rejected").asInt(), out);
                exchanges += r.get("exchanges").asLong();
                calls += r.get("calls").asLong();
            }
            assertEquals(0, expiredUses.get(), "API calls with an expired or unknown token");
            assertEquals(grants.size(), exchanges, "the grants the children made under the lease");
            // One grant per window: consecutive grants at least most of a token's life apart (the refresh margin is a
            // quarter of the lifetime), never two in one window.
            for (int i = 1; i < grants.size(); i++) {
                long gap = grants.get(i) - grants.get(i - 1);
                assertTrue(gap >= LIFETIME_S * 1000 / 2, "two grants " + gap + " ms apart: " + grants);
            }
            assertTrue(grants.size() >= 2 && grants.size() <= 3, "grants over " + DURATION_MS + " ms: " + grants.size());
            System.out.printf("shared: %s: 4 processes × 4 threads, %d API calls in %d s, %d grants (one per %d s window), "
                    + "0 with an expired token%n", what, calls, DURATION_MS / 1000, grants.size(), LIFETIME_S);
        } finally {
            children.forEach(Process::destroyForcibly);
            server.stop(0);
        }
    }
}
