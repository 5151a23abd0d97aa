package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Sessions against a fake token endpoint (a {@link Sender} that answers as an OAuth server would): single flight at
 * the refresh margin, bounded waits for a renewal, a failed refresh that keeps the valid token, a send with no
 * answer, sealing, the change callback, and the same on virtual threads.
 */
class SessionTest {
    /** A clock the test moves. */
    static final class TestClock extends Clock {
        final AtomicLong now = new AtomicLong(1_767_225_600_000L);

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }

        @Override
        public long millis() {
            return now.get();
        }
    }

    /** A token endpoint: counts the grants, can be slowed down, can fail. */
    static final class FakeIdp implements Sender {
        final AtomicInteger grants = new AtomicInteger();
        volatile long delayMs;
        volatile int status = 200;
        volatile boolean noAnswer;

        @Override
        public Types.HTTPResponse send(Types.HTTPRequest request) throws IOException, InterruptedException {
            int n = grants.incrementAndGet();
            if (delayMs > 0) {
                Thread.sleep(delayMs);
            }
            if (noAnswer) {
                throw new IOException("connection refused");
            }
            if (status != 200) {
                return new Types.HTTPResponse("{\"error\":\"temporarily_unavailable\"}", status,
                        Map.of("Content-Type", "application/json"));
            }
            return new Types.HTTPResponse("{\"access_token\":\"tok-" + n + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}",
                    200, Map.of("Content-Type", "application/json"));
        }
    }

    static OAuthClientCredentialsSession session(FakeIdp idp, Clock clock, Duration wait) {
        return new OAuthClientCredentialsSession(Session.options()
                .account("client-1")
                .config(new Types.Config().withTokenUrl("https://idp.example/token").withClientId("client-1"))
                .credentials(new Types.Credentials().withClientSecret("s3cret"))
                .sender(idp).clock(clock).waitTimeout(wait));
    }

    /** Runs n callers of ensure() at once on the executor; their tokens, or their failures' codes. */
    static List<String> together(ExecutorService pool, int n, Session s) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fs.add(pool.submit(() -> {
                go.await();
                try {
                    return s.ensure();
                } catch (GstAuthException e) {
                    return "error:" + e.code();
                }
            }));
        }
        go.countDown();
        List<String> out = new ArrayList<>();
        for (Future<String> f : fs) {
            out.add(f.get(30, TimeUnit.SECONDS));
        }
        return out;
    }

    @Test
    void fiftyThreadsAtTheMarginRefreshOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            fiftyAtTheMargin(pool, "platform threads");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fiftyVirtualThreadsAtTheMarginRefreshOnce() throws Exception {
        ExecutorService pool;
        try {
            pool = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (NoSuchMethodException e) {
            System.out.println("session: no virtual threads on Java " + Runtime.version().feature());
            return;
        }
        try {
            fiftyAtTheMargin(pool, "virtual threads");
        } finally {
            pool.shutdownNow();
        }
    }

    private void fiftyAtTheMargin(ExecutorService pool, String kind) throws Exception {
        FakeIdp idp = new FakeIdp();
        TestClock clock = new TestClock();
        OAuthClientCredentialsSession s = session(idp, clock, Duration.ofSeconds(10));
        String first = s.ensure();
        assertEquals("tok-1", first);
        assertEquals(1, idp.grants.get());
        clock.now.set(s.plan().refreshAtMs() + 1);
        assertEquals(Types.Action.REFRESH, s.plan().action());
        idp.delayMs = 300; // the refresh is in flight while the others arrive
        List<String> tokens = together(pool, 50, s);
        assertEquals(2, idp.grants.get(), "one refresh for 50 callers");
        assertTrue(tokens.stream().allMatch(t -> t.equals("tok-1") || t.equals("tok-2")), tokens.toString());
        assertEquals(1, tokens.stream().filter("tok-2"::equals).count(), "the refresher gets the new token");
        assertEquals("tok-2", s.ensure());
        assertEquals(Types.Action.USE, s.plan().action());
        System.out.println("session: 50 " + kind + " at the margin: 1 refresh, 49 used the valid token at once");
    }

    @Test
    void renewalIsAwaitedAndBounded() throws Exception {
        FakeIdp idp = new FakeIdp();
        TestClock clock = new TestClock();
        OAuthClientCredentialsSession s = session(idp, clock, Duration.ofSeconds(10));
        s.ensure();
        clock.now.addAndGet(2 * 3600_000L); // expired: unusable
        assertEquals(Types.Action.RENEW, s.plan().action());
        idp.delayMs = 400;
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<String> tokens = together(pool, 20, s);
            assertEquals(2, idp.grants.get(), "one renewal for 20 callers");
            assertEquals(Set.of("tok-2"), Set.copyOf(tokens), "everyone waited for the new token");

            // A renewal slower than the wait: the others give up after the bound, with token_expired.
            OAuthClientCredentialsSession slow = session(idp, clock, Duration.ofMillis(300));
            idp.delayMs = 2500;
            long t0 = System.nanoTime();
            List<String> out = together(pool, 5, slow);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(4, out.stream().filter("error:token_expired"::equals).count(), out.toString());
            assertEquals(1, out.stream().filter(t -> t.startsWith("tok-")).count(), out.toString());
            assertTrue(ms < 2500 + 2000, "bounded: " + ms + " ms");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void failedRefreshKeepsTheValidToken() throws Exception {
        for (String failure : List.of("status 503", "no answer")) {
            FakeIdp idp = new FakeIdp();
            TestClock clock = new TestClock();
            OAuthClientCredentialsSession s = session(idp, clock, Duration.ofSeconds(10));
            assertEquals("tok-1", s.ensure());
            clock.now.set(s.plan().refreshAtMs() + 1);
            if (failure.equals("no answer")) {
                idp.noAnswer = true;
            } else {
                idp.status = 503;
            }
            assertEquals("tok-1", s.ensure(), failure + ": the valid token is used");
            assertEquals(2, idp.grants.get());
            // Backed off: the next callers use the token without asking the server again.
            assertEquals("tok-1", s.ensure());
            assertEquals(2, idp.grants.get(), failure + ": no retry during the backoff");
            // Past expiry with the server still failing: now it is an error.
            clock.now.addAndGet(2 * 3600_000L);
            GstAuthException e = assertThrows(GstAuthException.class, s::ensure);
            assertFalse(e.code().isEmpty());
            if (failure.equals("no answer")) {
                assertInstanceOf(IOException.class, e.getCause(), "the send's failure is the cause");
            }
        }
    }

    @Test
    void sealOpenAndTheChangeCallback() throws Exception {
        FakeIdp idp = new FakeIdp();
        TestClock clock = new TestClock();
        byte[] k1 = new byte[32];
        byte[] k2 = new byte[32];
        k2[0] = 7;
        List<String> sealed = new ArrayList<>();
        OAuthClientCredentialsSession s = new OAuthClientCredentialsSession(Session.options()
                .account("client-1")
                .config(new Types.Config().withTokenUrl("https://idp.example/token").withClientId("client-1"))
                .credentials(new Types.Credentials().withClientSecret("s3cret"))
                .sender(idp).clock(clock)
                .onChange(x -> sealed.add(x.seal(k1, "k1"))));
        s.ensure();
        assertEquals(1, sealed.size(), "one change: the grant's answer");
        Map<String, byte[]> ring = new LinkedHashMap<>();
        ring.put("k2", k2);
        ring.put("k1", k1);
        Session back = Session.open(sealed.get(0), ring, Session.options().clock(clock).sender(idp)
                .credentials(new Types.Credentials().withClientSecret("s3cret")));
        assertInstanceOf(OAuthClientCredentialsSession.class, back);
        assertEquals(s.stateJson(), back.stateJson());
        assertEquals("tok-1", back.ensure());
        assertTrue(back.state().accessToken().equals("tok-1"));
        assertFalse(s.stateJson().contains("s3cret"), "credentials are never in the state");
        GstAuthException wrong = assertThrows(GstAuthException.class,
                () -> Session.open(sealed.get(0), Map.of("k1", k2), Session.options()));
        assertNotEquals("", wrong.code());
    }

    @Test
    void aNewSessionAsksForItsSteps() {
        GstnSession g = new GstnSession(Session.options().account("27AAACR5055K1Z7/u")
                .config(new Types.Config().withBaseUrl("https://gst.example/taxpayerapi/v1.0").withGstin("27AAACR5055K1Z7")));
        assertEquals(Types.Action.USER_ACTION, g.plan().action());
        GstAuthException e = assertThrows(GstAuthException.class, g::ensure);
        assertEquals("user_action_required", e.code());
        assertTrue(g.steps().contains(Types.Step.OTP_REQUEST));
        assertThrows(IllegalArgumentException.class, () -> new GstnSession(Session.options().account("x")
                .provider(Types.Provider.NIC_EINVOICE)));
    }

    static Map<String, Integer> counts(List<String> xs) {
        Map<String, Integer> m = new ConcurrentHashMap<>();
        xs.forEach(x -> m.merge(x, 1, Integer::sum));
        return m;
    }
}
