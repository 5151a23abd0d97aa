package io.github.gstauth.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.gstauth.ErrorCode;
import io.github.gstauth.GstAuth;
import io.github.gstauth.GstAuthException;
import io.github.gstauth.Ops;
import io.github.gstauth.SessionStore;
import io.github.gstauth.Types;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;

/**
 * The two stores keep the rules of docs/hosts.md ("Many processes"): a lease one holder at a time (take, extend,
 * release; expiry), a write only at the version read, reads without a lock; the file store under contention from
 * threads and from a second store object (a second lock of the same file in one JVM); the Redis store on one node and
 * on a three-node cluster (GSTAUTH_TEST_REDIS, GSTAUTH_TEST_REDIS_CLUSTER: make test-java-e2e starts both), also after
 * the server forgot its scripts (NOSCRIPT); a store out of reach (a lock held past its timeout, a directory gone, a
 * Redis address where nothing listens) fails with store_unavailable.
 */
class StoreTest {
    static Ops.StoreKeysOutput keys(String account) {
        return Ops.storeKeys(new Ops.StoreKeysInput(account, Types.Provider.OAUTH_CLIENT_CREDENTIALS));
    }

    static void rules(SessionStore a, SessionStore b, String what) throws Exception {
        Ops.StoreKeysOutput k = keys("rules-" + UUID.randomUUID());
        assertEquals(new SessionStore.Record(0, null), a.read(k), what + ": an absent record");
        assertTrue(a.lease(k, Types.LeaseAction.TAKE, "A", 10_000), what + ": A takes the free lease");
        assertFalse(b.lease(k, Types.LeaseAction.TAKE, "B", 10_000), what + ": B is refused while A holds it");
        assertTrue(a.lease(k, Types.LeaseAction.EXTEND, "A", 10_000), what + ": A extends");
        assertFalse(b.lease(k, Types.LeaseAction.EXTEND, "B", 10_000), what + ": B cannot extend A's lease");
        assertFalse(b.lease(k, Types.LeaseAction.RELEASE, "B", 0), what + ": B cannot release A's lease");
        assertTrue(a.lease(k, Types.LeaseAction.RELEASE, "A", 0), what + ": A releases");
        assertTrue(b.lease(k, Types.LeaseAction.TAKE, "B", 1_000), what + ": B takes it now");
        Thread.sleep(1_300);
        assertTrue(a.lease(k, Types.LeaseAction.TAKE, "A", 10_000), what + ": an expired lease is free");
        assertFalse(b.lease(k, Types.LeaseAction.EXTEND, "B", 1_000), what + ": B's expired lease is gone");

        assertEquals(new SessionStore.WriteResult(true, 1), a.write(k, 0, "s1"), what + ": the first write");
        assertEquals(new SessionStore.WriteResult(false, 1), b.write(k, 0, "s2"), what + ": a stale version is refused");
        assertEquals(new SessionStore.Record(1, "s1"), b.read(k));
        assertEquals(new SessionStore.WriteResult(true, 2), b.write(k, 1, "s2"), what + ": the version read");
        assertEquals(new SessionStore.Record(2, "s2"), a.read(k));
    }

    /** threads × n compare-and-set increments across the stores: every one lands exactly once. */
    static void hammer(List<SessionStore> stores, int threads, int n, String what) throws Exception {
        Ops.StoreKeysOutput k = keys("hammer-" + UUID.randomUUID());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicLong refused = new AtomicLong();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                SessionStore s = stores.get(t % stores.size());
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < n; i++) {
                        for (;;) {
                            SessionStore.Record r = s.read(k);
                            if (s.write(k, r.version(), "v" + (r.version() + 1)).written()) {
                                break;
                            }
                            refused.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        SessionStore.Record last = stores.get(0).read(k);
        assertEquals(threads * n, last.version(), what);
        assertEquals("v" + threads * n, last.sealed(), what);
        System.out.printf("store: %s: %d threads × %d compare-and-set writes: version %d, %d refused and retried%n",
                what, threads, n, last.version(), refused.get());
    }

    @Test
    void fileStore() throws Exception {
        Path dir = Files.createTempDirectory("gstauth-store");
        FileStore a = new FileStore(dir.resolve("records"));
        FileStore b = new FileStore(dir.resolve("records"), GstAuth.backend(), System::currentTimeMillis, false,
                Duration.ofSeconds(10));
        rules(a, b, "file");
        hammer(List.of(a, b), 8, 40, "file store, two store objects");
        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(dir.resolve("records")));
        try (var files = Files.list(dir.resolve("records"))) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    /** The core's store_unavailable: the store's exception, retryable, its GstAuthException form alike. */
    static StoreUnavailableException unavailable(String what, org.junit.jupiter.api.function.Executable call) {
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, call, what);
        assertEquals(ErrorCode.STORE_UNAVAILABLE, e.errorCode(), what);
        assertEquals("store_unavailable", e.code(), what);
        assertTrue(e.retryable(), what);
        GstAuthException g = e.toGstAuthException();
        assertEquals(ErrorCode.STORE_UNAVAILABLE, g.errorCode().orElseThrow(), what);
        assertTrue(g.retryable() && g.getCause() == e, what);
        return e;
    }

    @Test
    void fileStoreOutOfReach() throws Exception {
        Path dir = Files.createTempDirectory("gstauth-store");
        Ops.StoreKeysOutput k = keys("unreachable-" + UUID.randomUUID());
        // A lock held past the store's timeout (here by this JVM, which the store takes as contention).
        FileStore impatient = new FileStore(dir.resolve("records"), GstAuth.backend(), System::currentTimeMillis, false,
                Duration.ofMillis(200));
        try (FileChannel ch = FileChannel.open(Path.of(impatient.path(k) + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock held = ch.lock()) {
            long t0 = System.nanoTime();
            StoreUnavailableException e = unavailable("a write while the lock is held", () -> impatient.write(k, 0, "s"));
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
            assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(200).toNanos(), "it waited for the lock first");
        }
        assertTrue(impatient.write(k, 0, "s").written(), "the lock released: the write is made");

        // The directory gone, a file in its place: nothing can be read, locked or written.
        FileStore a = new FileStore(dir.resolve("gone"));
        Files.delete(dir.resolve("gone"));
        Files.writeString(dir.resolve("gone"), "");
        assertTrue(unavailable("read", () -> a.read(k)).getCause() != null);
        unavailable("lease", () -> a.lease(k, Types.LeaseAction.TAKE, "a:1", 1_000));
        unavailable("write", () -> a.write(k, 0, "s"));
        unavailable("a store in a file", () -> new FileStore(dir.resolve("gone")));
        // An argument the rules refuse is the core's invalid_input, whatever the store's state.
        GstAuthException bad = assertThrows(GstAuthException.class, () -> a.lease(k, Types.LeaseAction.TAKE, "no spaces", 1_000));
        assertEquals(ErrorCode.INVALID_INPUT, bad.errorCode().orElseThrow());
    }

    @Test
    void redisStoreOutOfReach() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // nothing listens there once it is closed
        }
        Ops.StoreKeysOutput k = keys("unreachable-" + UUID.randomUUID());
        try (SessionStore st = Stores.open("redis://127.0.0.1:" + port)) {
            assertTrue(unavailable("read", () -> st.read(k)).getCause() instanceof redis.clients.jedis.exceptions.JedisException);
            unavailable("lease", () -> st.lease(k, Types.LeaseAction.TAKE, "a:1", 1_000));
            unavailable("write", () -> st.write(k, 0, "s"));
            GstAuthException bad = assertThrows(GstAuthException.class, () -> st.lease(k, Types.LeaseAction.TAKE, "no spaces", 1_000));
            assertEquals(ErrorCode.INVALID_INPUT, bad.errorCode().orElseThrow(), "checked before any call");
        }
        unavailable("a cluster of one node that is not there", () -> Stores.open("redis-cluster://127.0.0.1:" + port).close());
    }

    static String env(String name) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? null : v;
    }

    @Test
    void redisStore() throws Exception {
        String single = env("GSTAUTH_TEST_REDIS");
        String cluster = env("GSTAUTH_TEST_REDIS_CLUSTER");
        if (single == null && cluster == null) {
            System.out.println("store: no GSTAUTH_TEST_REDIS / GSTAUTH_TEST_REDIS_CLUSTER: the Redis store is tested by make test-java-e2e");
            return;
        }
        if (single != null) {
            try (SessionStore a = Stores.open("redis://" + single); SessionStore b = Stores.open("redis://" + single)) {
                rules(a, b, "redis");
                hammer(List.of(a, b), 8, 40, "redis, two clients");
                // The server forgets its scripts (a restart, a failover): NOSCRIPT, loaded again, and on.
                UnifiedJedis c = ((RedisStore) a).client();
                c.scriptFlush();
                Ops.StoreKeysOutput k = keys("noscript-" + UUID.randomUUID());
                assertTrue(a.write(k, 0, "x").written(), "after SCRIPT FLUSH");
                assertEquals(List.of(true), c.scriptExists(List.of(RedisStore.WRITE.sha())), "the script is loaded again");
                assertEquals(new SessionStore.Record(1, "x"), b.read(k));
            }
        }
        if (cluster != null) {
            try (SessionStore a = Stores.open("redis-cluster://" + cluster); SessionStore b = Stores.open("redis-cluster://" + cluster)) {
                rules(a, b, "redis cluster");
                hammer(List.of(a, b), 8, 25, "redis cluster, two clients");
                Ops.StoreKeysOutput k = keys("cluster-" + UUID.randomUUID());
                ((RedisStore) a).client().scriptFlush();
                assertTrue(a.write(k, 0, "x").written(), "after SCRIPT FLUSH on the cluster");
                assertNull(b.read(keys("absent-" + UUID.randomUUID())).sealed());
            }
        }
    }
}
