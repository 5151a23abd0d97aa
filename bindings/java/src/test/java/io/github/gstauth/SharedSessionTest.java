package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.gstauth.store.FileStore;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Sessions sharing a file store, in one JVM (several Session objects stand for several processes; SharedProcessesTest
 * runs real ones): one refresh for the whole fleet at the margin, the others served at once; a person's step given to
 * one member reaches the others; a refresh not lost to another host's lease-less write of a rejection of the token
 * it replaced.
 */
class SharedSessionTest {
    static final byte[] KEY = new byte[32];
    final List<SharedInfo.Event> events = new CopyOnWriteArrayList<>();

    static {
        KEY[0] = 9;
    }

    OAuthClientCredentialsSession member(SessionStore store, SessionTest.FakeIdp idp, SessionTest.TestClock clock,
                                         String holder) {
        Map<String, byte[]> ring = new LinkedHashMap<>();
        ring.put("k1", KEY);
        return new OAuthClientCredentialsSession(Session.options()
                .account("client-1")
                .config(new Types.Config().withTokenUrl("https://idp.example/token").withClientId("client-1"))
                .credentials(new Types.Credentials().withClientSecret("s3cret"))
                .sender(idp).clock(clock).waitTimeout(Duration.ofSeconds(10))
                .store(store).sealKeys(ring).holder(holder).leaseTtl(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(20)).onStoreEvent(events::add));
    }

    @Test
    void oneRefreshForTheFleet() throws Exception {
        SessionStore store = new FileStore(Files.createTempDirectory("gstauth-shared"));
        SessionTest.FakeIdp idp = new SessionTest.FakeIdp();
        SessionTest.TestClock clock = new SessionTest.TestClock();
        List<OAuthClientCredentialsSession> members = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            members.add(member(store, idp, clock, "m" + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            // No token anywhere: one grant for 50 callers across five members.
            idp.delayMs = 200;
            List<Future<String>> fs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                OAuthClientCredentialsSession m = members.get(i % 5);
                fs.add(pool.submit(() -> m.ensure()));
            }
            for (Future<String> f : fs) {
                assertEquals("tok-1", f.get());
            }
            assertEquals(1, idp.grants.get(), "one grant for the fleet");
            // At the margin: one refresh; every other caller uses the valid token without waiting.
            clock.now.set(members.get(0).plan().refreshAtMs() + 1);
            fs.clear();
            for (int i = 0; i < 50; i++) {
                OAuthClientCredentialsSession m = members.get(i % 5);
                fs.add(pool.submit(() -> m.ensure()));
            }
            for (Future<String> f : fs) {
                String t = f.get();
                assertTrue(t.equals("tok-1") || t.equals("tok-2"), t);
            }
            assertEquals(2, idp.grants.get(), "one refresh for the fleet");
            for (OAuthClientCredentialsSession m : members) {
                assertEquals("tok-2", m.ensure(), "every member reads the refreshed session");
            }
            long exchanges = members.stream().mapToLong(m -> m.shared().stats().get("exchanges")).sum();
            assertEquals(2, exchanges);
            assertEquals(2, store.read(members.get(0).shared().keys()).version());
            System.out.println("shared: 5 members × 50 callers on one file store: 1 grant, 1 refresh at the margin");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRefreshIsNotLostToALeaselessRejection() throws Exception {
        SessionStore store = new FileStore(Files.createTempDirectory("gstauth-shared"));
        SessionTest.FakeIdp idp = new SessionTest.FakeIdp();
        SessionTest.TestClock clock = new SessionTest.TestClock();
        OAuthClientCredentialsSession a = member(store, idp, clock, "a");
        assertEquals("tok-1", a.ensure());
        Ops.StoreKeysOutput keys = a.shared().keys();
        clock.now.set(a.plan().refreshAtMs() + 1);
        idp.delayMs = 400;
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<String> refreshing = pool.submit(() -> a.ensure());
            Thread.sleep(150);
            // Another host sees tok-1 rejected (the provider ended it as it issued tok-2) and stores that, no lease.
            SessionStore.Record rec = store.read(keys);
            Session other = Session.open(rec.sealed(), Map.of("k1", KEY), Session.options().clock(clock));
            other.observe(new Types.HTTPResponse("", 401, Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\"")),
                    clock.millis(), clock.millis(), "tok-1");
            assertEquals(Types.Action.RENEW, other.plan().action());
            assertTrue(store.write(keys, rec.version(), other.seal(KEY, "k1")).written());
            assertEquals("tok-2", refreshing.get());
        } finally {
            pool.shutdownNow();
        }
        assertTrue(events.stream().anyMatch(e -> e.type().equals("write_refused")), events.toString());
        assertTrue(events.stream().anyMatch(e -> e.type().equals("write_over")), events.toString());
        assertEquals(3, store.read(keys).version());
        Session stored = Session.open(store.read(keys).sealed(), Map.of("k1", KEY), Session.options().clock(clock));
        assertEquals("tok-2", stored.accessToken());
        assertEquals(2, idp.grants.get(), "no renewal after the refresh");
    }
}
