// End-to-end tests of the Java binding against the GST emulator (`gstauth sandbox`) and oidc-provider on loopback:
// `make test-java-e2e` starts both, runs this class (and nothing else) through Maven Surefire on the newest JDK, and
// stops them, also on failure. Without GSTAUTH_SANDBOX_URL and GSTAUTH_OAUTH_URL every test here is skipped.
//
// The counts come from the servers: the emulator's GET /_sandbox/stats (logins, refreshes, requests made with an
// expired token) and its POST /_sandbox/faults (a rejected token); the API sends are counted at the client.

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.gstauth.CallOptions;
import io.github.gstauth.EInvoiceSession;
import io.github.gstauth.GstAuth;
import io.github.gstauth.GstAuthException;
import io.github.gstauth.GstAuthHttpClient;
import io.github.gstauth.GstAuthInterceptor;
import io.github.gstauth.GstnSession;
import io.github.gstauth.Observation;
import io.github.gstauth.OkHttpSender;
import io.github.gstauth.Session;
import io.github.gstauth.Types;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class E2eTest {
    static String sandbox;
    static String oauth;
    static final List<String> KEYS = List.of("otp_requests", "auth_requests", "reauth_requests", "refresh_requests",
            "expired_token_requests");

    @BeforeAll
    static void servers() {
        sandbox = System.getenv("GSTAUTH_SANDBOX_URL");
        oauth = System.getenv("GSTAUTH_OAUTH_URL");
        assumeTrue(sandbox != null && oauth != null, "GSTAUTH_SANDBOX_URL and GSTAUTH_OAUTH_URL are not set (make test-java-e2e)");
    }

    @AfterEach
    void clearFaults() throws Exception {
        Demo.HTTP.send(HttpRequest.newBuilder(URI.create(sandbox + "/_sandbox/faults")).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
    }

    /** The emulator's counts for one session key (gstn/27/sandbox_user, einvoice/client/gstin/user). */
    static Map<String, Long> stats(String key) throws Exception {
        JsonNode all = Demo.JSON.readTree(Demo.HTTP.send(HttpRequest.newBuilder(URI.create(sandbox + "/_sandbox/stats")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        Map<String, Long> out = new LinkedHashMap<>();
        for (String k : KEYS) {
            out.put(k, 0L);
        }
        for (JsonNode s : all.get("sessions")) {
            if (s.get("session").asText().equals(key)) {
                KEYS.forEach(k -> out.put(k, s.path(k).asLong()));
            }
        }
        return out;
    }

    static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new LinkedHashMap<>();
        KEYS.forEach(k -> d.put(k, after.get(k) - before.get(k)));
        return d;
    }

    static void faults(String json) throws Exception {
        HttpResponse<String> r = Demo.HTTP.send(HttpRequest.newBuilder(URI.create(sandbox + "/_sandbox/faults"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"faults\":[" + json + "]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void theFlowsGiveTheSameFactsOnBothBackends() throws Exception {
        Map<String, Object> c = Demo.runAll(sandbox, oauth, "cshared", s -> System.out.println("e2e cshared: " + s));
        Map<String, Object> w = Demo.runAll(sandbox, oauth, "wasm", s -> System.out.println("e2e wasm: " + s));
        assertEquals(Demo.JSON.valueToTree(c), Demo.JSON.valueToTree(w));
        // GSTN: OTP → AUTHTOKEN → RETSAVE → RETSUM → REFRESHTOKEN (no OTP) → LOGOUT.
        assertEquals(Demo.JSON.readTree("{\"plan_before_otp\":\"user_action\",\"plan_after_otp\":\"use\",\"retsave\":\"saved\","
                + "\"retsum_has_our_invoice\":true,\"plan_5min_before_expiry\":\"refresh\",\"refreshed_without_otp\":true,"
                + "\"after_logout\":\"user_action\"}"), Demo.JSON.valueToTree(c.get("gstn")));
        // NIC: auth, an IRN, the SignedInvoice and SignedQRCode verified, a tampered signature refused.
        assertEquals(Demo.JSON.readTree("{\"auth\":\"use\",\"signed_invoice_verified\":true,\"signed_qr_verified\":true,"
                + "\"jwt_alg\":\"RS256\",\"tampered_qr\":\"signature_invalid\"}"), Demo.JSON.valueToTree(c.get("einvoice")));
        // OAuth client credentials at oidc-provider: a grant, a refresh at the margin, a wrong secret refused.
        JsonNode o = Demo.JSON.valueToTree(c.get("oauth"));
        assertEquals("use", o.get("grant").asText());
        assertTrue(o.get("token_active").asBoolean());
        assertEquals("refresh", o.get("plan_at_margin").asText());
        assertTrue(o.get("refreshed").asBoolean());
        assertTrue(o.get("wrong_secret").asText().startsWith("user_action_required/"), o.toString());
        Map<String, Long> g = stats("gstn/27/" + Demo.USER);
        assertTrue(g.get("refresh_requests") >= 2 && g.get("expired_token_requests") == 0, g.toString());
    }

    /** Runs n calls at once (virtual threads where the JDK has them); their results. */
    static <T> List<T> together(int n, java.util.concurrent.Callable<T> call) throws Exception {
        ExecutorService pool;
        try {
            pool = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (NoSuchMethodException e) {
            pool = Executors.newFixedThreadPool(n);
        }
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(pool.submit(() -> {
                    go.await();
                    return call.call();
                }));
            }
            go.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) {
                out.add(f.get(120, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    GstnSession loggedIn(String gstin, Demo.ShiftedClock clock) throws Exception {
        GstnSession gst = Demo.gstnSession(sandbox, GstAuth.backend("cshared"), gstin, clock);
        gst.requestOtp();
        gst.authenticate(Demo.OTP);
        return gst;
    }

    @Test
    void fiftyThreadsThatFindTheTokenDueMakeOneRefresh() throws Exception {
        for (String via : List.of("HttpClient", "OkHttp")) {
            String gstin = via.equals("HttpClient") ? "22AAACR5055K1Z7" : "23AAACR5055K1Z7";
            Demo.ShiftedClock clock = new Demo.ShiftedClock();
            GstnSession gst = loggedIn(gstin, clock);
            String key = "gstn/" + gstin.substring(0, 2) + "/" + Demo.USER;
            Map<String, Long> before = stats(key);
            clock.offset = gst.state().expiresAtMs() - 5 * 60 * 1000 - System.currentTimeMillis();
            assertEquals(Types.Action.REFRESH, gst.plan().action());
            String token = gst.accessToken();
            String url = sandbox + "/taxpayerapi/v1.0/returns/gstr1?action=RETSUM&gstin=" + gstin + "&ret_period=042026";
            List<String> answers;
            if (via.equals("HttpClient")) {
                GstAuthHttpClient api = new GstAuthHttpClient(Demo.HTTP, gst, CallOptions.retPeriod("042026"), true);
                answers = together(50, () -> {
                    HttpResponse<String> r = api.send(HttpRequest.newBuilder(URI.create(url)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    return r.statusCode() + " " + GstAuthHttpClient.observation(r).orElseThrow().outcome() + " "
                            + Demo.JSON.readTree(r.body()).path("data").has("saved");
                });
            } else {
                OkHttpClient ok = new OkHttpClient.Builder()
                        .addInterceptor(new GstAuthInterceptor(gst, OkHttpSender.of(new OkHttpClient()),
                                CallOptions.retPeriod("042026"), true))
                        .build();
                answers = together(50, () -> {
                    try (okhttp3.Response r = ok.newCall(new Request.Builder().url(url).build()).execute()) {
                        return r.code() + " " + GstAuthInterceptor.observation(r).orElseThrow().outcome() + " "
                                + Demo.JSON.readTree(r.body().string()).path("data").has("saved");
                    }
                });
            }
            for (String a : answers) {
                assertEquals("200 ok true", a, "each answer decrypted under the key its call was made with");
            }
            Map<String, Long> d = delta(before, stats(key));
            assertEquals(Map.of("otp_requests", 0L, "auth_requests", 0L, "reauth_requests", 0L, "refresh_requests", 1L,
                    "expired_token_requests", 0L), d, via);
            assertNotEquals(token, gst.accessToken());
            assertEquals(Types.Action.USE, gst.plan().action());
            System.out.println("e2e: 50 concurrent GSTN calls through " + via + " that found the token due: "
                    + d.get("refresh_requests") + " REFRESHTOKEN at the emulator");
        }
    }

    /** An HttpClient that counts the requests it sends under a path. */
    static final class CountingClient extends HttpClient {
        final HttpClient inner = HttpClient.newHttpClient();
        final String prefix;
        final AtomicInteger sent = new AtomicInteger();

        CountingClient(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public <T> HttpResponse<T> send(HttpRequest r, HttpResponse.BodyHandler<T> h) throws IOException, InterruptedException {
            if (r.uri().getPath().startsWith(prefix)) {
                sent.incrementAndGet();
            }
            return inner.send(r, h);
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest r, HttpResponse.BodyHandler<T> h) {
            return inner.sendAsync(r, h);
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest r, HttpResponse.BodyHandler<T> h,
                                                                HttpResponse.PushPromiseHandler<T> p) {
            return inner.sendAsync(r, h, p);
        }

        @Override
        public Optional<CookieHandler> cookieHandler() {
            return inner.cookieHandler();
        }

        @Override
        public Optional<Duration> connectTimeout() {
            return inner.connectTimeout();
        }

        @Override
        public Redirect followRedirects() {
            return inner.followRedirects();
        }

        @Override
        public Optional<ProxySelector> proxy() {
            return inner.proxy();
        }

        @Override
        public SSLContext sslContext() {
            return inner.sslContext();
        }

        @Override
        public SSLParameters sslParameters() {
            return inner.sslParameters();
        }

        @Override
        public Optional<Authenticator> authenticator() {
            return inner.authenticator();
        }

        @Override
        public Version version() {
            return inner.version();
        }

        @Override
        public Optional<Executor> executor() {
            return inner.executor();
        }
    }

    @Test
    void aRejectedTokenMeansOneReauthenticationAndOneReplay() throws Exception {
        String gstin = "24AAACR5055K1Z7";
        String key = "einvoice/" + Demo.CLIENT_ID + "/" + gstin + "/" + Demo.USER;
        EInvoiceSession einv = Demo.einvoiceSession(sandbox, GstAuth.backend("cshared"), gstin);
        einv.authenticate();
        CountingClient counting = new CountingClient("/eicore");
        GstAuthHttpClient api = new GstAuthHttpClient(counting, einv);

        Map<String, Long> before = stats(key);
        faults("{\"kind\":\"invalid_token\",\"path_prefix\":\"/eicore\",\"count\":1}");
        ObjectNode body = Demo.JSON.createObjectNode();
        body.set("Data", Demo.invoice("REPLAY/" + System.currentTimeMillis() % 1_000_000_000L, gstin));
        HttpResponse<String> r = api.send(Demo.post(sandbox + "/eicore/v1.03/Invoice", body), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        JsonNode json = Demo.JSON.readTree(r.body());
        assertEquals(1, json.get("Status").asInt());
        assertTrue(json.get("Data").get("Irn").isTextual(), "the replay's answer, decrypted under the new key");
        assertEquals(Types.Outcome.OK, GstAuthHttpClient.observation(r).orElseThrow().outcome());
        assertEquals(2, counting.sent.get(), "the call and its one replay");
        Map<String, Long> d = delta(before, stats(key));
        assertEquals(List.of(1L, 1L), List.of(d.get("auth_requests"), d.get("reauth_requests")), "one re-authentication");
        assertEquals(Types.Action.USE, einv.plan().action());

        // Rejected twice: the second rejection is returned as it came, never a third send.
        counting.sent.set(0);
        before = stats(key);
        faults("{\"kind\":\"invalid_token\",\"path_prefix\":\"/eicore\",\"count\":2}");
        body.set("Data", Demo.invoice("TWICE/" + System.currentTimeMillis() % 1_000_000_000L, gstin));
        r = api.send(Demo.post(sandbox + "/eicore/v1.03/Invoice", body), HttpResponse.BodyHandlers.ofString());
        Observation o = GstAuthHttpClient.observation(r).orElseThrow();
        assertEquals(Types.Outcome.REAUTHENTICATE, o.outcome());
        assertEquals("reauth_required", o.error().code().code());
        assertEquals("1005", o.error().providerCode());
        assertEquals(0, Demo.JSON.readTree(r.body()).get("Status").asInt());
        assertEquals(2, counting.sent.get());
        assertEquals(1L, delta(before, stats(key)).get("auth_requests"));
        System.out.println("e2e: a rejected e-invoice token: 1 re-authentication and 1 replay; rejected twice: no third send");
    }

    @Test
    void aRejectedGstnTokenAsksForThePerson() throws Exception {
        String gstin = "32AAACR5055K1Z7";
        GstnSession gst = loggedIn(gstin, new Demo.ShiftedClock());
        CountingClient counting = new CountingClient("/taxpayerapi/v1.0/returns");
        faults("{\"kind\":\"invalid_token\",\"path_prefix\":\"/taxpayerapi/v1.0/returns\",\"count\":1}");
        GstAuthHttpClient api = new GstAuthHttpClient(counting, gst, CallOptions.retPeriod("042026"), true);
        GstAuthException e = assertThrows(GstAuthException.class, () -> api.send(HttpRequest.newBuilder(URI.create(sandbox
                + "/taxpayerapi/v1.0/returns/gstr1?action=RETSUM&gstin=" + gstin + "&ret_period=042026")).build(),
                HttpResponse.BodyHandlers.ofString()));
        assertEquals("user_action_required", e.code());
        assertEquals("AUTH4033", e.providerCode().orElse(""));
        assertEquals(1, counting.sent.get(), "one send: only the taxpayer can renew");
        assertEquals(Types.Action.USER_ACTION, gst.plan().action());
    }

    /** A store whose writes arrive late: a lease holder slow to write what it obtained. */
    static final class SlowWrites implements io.github.gstauth.SessionStore {
        final io.github.gstauth.SessionStore inner;
        final long delayMs;

        SlowWrites(io.github.gstauth.SessionStore inner, long delayMs) {
            this.inner = inner;
            this.delayMs = delayMs;
        }

        @Override
        public Record read(io.github.gstauth.Ops.StoreKeysOutput k) throws IOException {
            return inner.read(k);
        }

        @Override
        public boolean lease(io.github.gstauth.Ops.StoreKeysOutput k, Types.LeaseAction a, String h, long ttl) throws IOException {
            return inner.lease(k, a, h, ttl);
        }

        @Override
        public WriteResult write(io.github.gstauth.Ops.StoreKeysOutput k, long v, String sealed) throws IOException {
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return inner.write(k, v, sealed);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aCallRejectedDuringAnotherMembersRefreshWaitsForItsWrite() throws Exception {
        // Two members of one GSTN session in a file store (two processes in one JVM). Member a refreshes at the
        // margin, and the emulator ends the old token as it issues the new one; a is slow to store the result. Member
        // b calls with the old token meanwhile: rejected. b must not give up (a GSTN rejection asks for an OTP): the
        // lease is a's, so b waits for a's write and replays with the new token.
        String gstin = "35AAACR5055K1Z7";
        String key = "gstn/" + gstin.substring(0, 2) + "/" + Demo.USER;
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("gstauth-e2e-store");
        io.github.gstauth.store.FileStore fs = new io.github.gstauth.store.FileStore(dir);
        byte[] k1 = new byte[32];
        new java.security.SecureRandom().nextBytes(k1);
        Demo.ShiftedClock clock = new Demo.ShiftedClock();
        java.util.function.BiFunction<io.github.gstauth.SessionStore, String, GstnSession> member = (store, holder) -> {
            try {
                return new GstnSession(Session.options()
                        .account(gstin + "/" + Demo.USER)
                        .config(new Types.Config().withBaseUrl(sandbox + "/taxpayerapi/v1.0").withClientId(Demo.CLIENT_ID)
                                .withGstin(gstin).withUsername(Demo.USER).withIpUsr("10.0.0.1")
                                .withAccessWindowMs(30L * 24 * 3600 * 1000))
                        .credentials(new Types.Credentials().withClientSecret(Demo.CLIENT_SECRET)
                                .withPublicKey(Demo.cert(sandbox, "gstn")))
                        .sender(GstAuthHttpClient.sender(Demo.HTTP)).clock(clock)
                        .store(store).sealKeys(Map.of("k1", k1)).holder(holder).leaseTtl(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(50)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        GstnSession a = member.apply(new SlowWrites(fs, 0), "a");
        a.requestOtp();
        a.authenticate(Demo.OTP);
        GstnSession b = member.apply(fs, "b");
        b.ensure();
        assertEquals(a.accessToken(), b.accessToken(), "b opened the session a stored");
        String old = b.accessToken();
        Map<String, Long> before = stats(key);

        GstnSession slow = member.apply(new SlowWrites(fs, 2500), "a-slow");
        slow.pull();
        clock.offset = slow.state().expiresAtMs() - 5 * 60 * 1000 - System.currentTimeMillis();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<String> refreshing = pool.submit(() -> slow.ensure());
            Thread.sleep(700); // the REFRESHTOKEN is answered; its write is 2.5 s away, the lease is held
            HttpResponse<String> r = new GstAuthHttpClient(Demo.HTTP, b, CallOptions.retPeriod("042026"), true)
                    .send(HttpRequest.newBuilder(URI.create(sandbox + "/taxpayerapi/v1.0/returns/gstr1?action=RETSUM&gstin="
                            + gstin + "&ret_period=042026")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(Types.Outcome.OK, GstAuthHttpClient.observation(r).orElseThrow().outcome());
            String fresh = refreshing.get(30, TimeUnit.SECONDS);
            assertNotEquals(old, fresh);
            assertEquals(fresh, b.accessToken(), "b replayed with the token a stored");
        } finally {
            pool.shutdownNow();
        }
        Map<String, Long> d = delta(before, stats(key));
        assertEquals(1L, d.get("refresh_requests"));
        assertEquals(0L, d.get("otp_requests"));
        System.out.println("e2e: a GSTN call rejected during another member's refresh waited for its write and replayed: "
                + b.shared().stats());
    }

    static final java.util.regex.Pattern FORM = java.util.regex.Pattern.compile(
            "<form[^>]*\\baction=\"([^\"]*)\"[^>]*>([\\s\\S]*?)</form>", java.util.regex.Pattern.CASE_INSENSITIVE);
    static final java.util.regex.Pattern HIDDEN = java.util.regex.Pattern.compile(
            "<input[^>]*\\btype=\"hidden\"[^>]*\\bname=\"([^\"]*)\"[^>]*\\bvalue=\"([^\"]*)\"",
            java.util.regex.Pattern.CASE_INSENSITIVE);

    static String unescape(String s) {
        return s.replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">");
    }

    /**
     * A person at oidc-provider's authorization endpoint, without a browser (as e2e/node/browser.mjs): the development
     * login and consent forms, a cookie jar, no redirect followed but to the form pages; the redirect to redirectUri.
     */
    static String authorize(String authUrl, String redirectUri, String login) throws Exception {
        Map<String, String> jar = new LinkedHashMap<>();
        URI callback = URI.create(redirectUri);
        String method = "GET";
        URI target = URI.create(authUrl);
        String body = null;
        for (int step = 0; step < 16; step++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(target);
            if (!jar.isEmpty()) {
                b.header("Cookie", String.join("; ", jar.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
            }
            if (body != null) {
                b.header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body));
            }
            HttpResponse<String> res = Demo.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            for (String c : res.headers().allValues("set-cookie")) {
                String pair = c.split(";", 2)[0];
                int i = pair.indexOf('=');
                jar.put(pair.substring(0, i).trim(), pair.substring(i + 1).trim());
            }
            if (res.statusCode() >= 300 && res.statusCode() < 400) {
                URI loc = target.resolve(res.headers().firstValue("location").orElseThrow());
                if (loc.getHost().equals(callback.getHost()) && loc.getPath().equals(callback.getPath())
                        && loc.getPort() == callback.getPort()) {
                    return loc.toString();
                }
                method = "GET";
                target = loc;
                body = null;
                continue;
            }
            assertEquals(200, res.statusCode(), "step " + step + ": " + method + " " + target);
            java.util.regex.Matcher m = FORM.matcher(res.body());
            assertTrue(m.find(), "step " + step + ": the page has no form");
            Map<String, String> fields = new LinkedHashMap<>();
            java.util.regex.Matcher h = HIDDEN.matcher(m.group(2));
            while (h.find()) {
                fields.put(unescape(h.group(1)), unescape(h.group(2)));
            }
            if ("login".equals(fields.get("prompt"))) {
                fields.put("login", login);
                fields.put("password", "any password: the development form accepts all");
            } else {
                assertEquals("consent", fields.get("prompt"), "step " + step);
            }
            method = "POST";
            target = target.resolve(unescape(m.group(1)));
            body = String.join("&", fields.entrySet().stream().map(e -> java.net.URLEncoder.encode(e.getKey(),
                    java.nio.charset.StandardCharsets.UTF_8) + "=" + java.net.URLEncoder.encode(e.getValue(),
                    java.nio.charset.StandardCharsets.UTF_8)).toList());
        }
        throw new AssertionError("no redirect to " + redirectUri + " after 16 steps");
    }

    @Test
    void oauthAuthorizationCodeAtOidcProvider() throws Exception {
        String redirectUri = "http://127.0.0.1:53682/callback";
        Demo.ShiftedClock clock = new Demo.ShiftedClock();
        io.github.gstauth.AuthorizationCodeSession s = new io.github.gstauth.AuthorizationCodeSession(Session.options()
                .account("alice@gstauth-e2e-code")
                .config(new Types.Config().withAuthUrl(oauth + "/auth").withTokenUrl(oauth + "/token")
                        .withClientId("gstauth-e2e-code").withRedirectUri(redirectUri).withScope("api:read offline_access")
                        .withClientAuth(Types.ClientAuth.BASIC))
                .credentials(new Types.Credentials().withClientSecret("test-only-code-secret"))
                .sender(GstAuthHttpClient.sender(Demo.HTTP)).clock(clock));
        String url = s.authorizationUrl();
        assertTrue(url.contains("code_challenge_method=S256"), url);
        s.complete(authorize(url, redirectUri, "alice"));
        String first = s.accessToken();
        String refreshToken = s.state().refreshToken();
        assertTrue(!first.isEmpty() && refreshToken != null);
        assertEquals(Types.Action.USE, s.plan().action());
        clock.offset = s.plan().refreshAtMs() - System.currentTimeMillis();
        assertEquals(Types.Action.REFRESH, s.plan().action());
        String second = s.ensure();
        assertNotEquals(first, second);
        assertNotEquals(refreshToken, s.state().refreshToken(), "the refresh token rotated");
        io.github.gstauth.AuthorizationCodeSession forged = new io.github.gstauth.AuthorizationCodeSession(
                Session.options().state(s.state()).sender((r) -> {
                    throw new AssertionError("a forged state must be refused before any exchange");
                }));
        assertThrows(GstAuthException.class, () -> forged.complete(redirectUri + "?code=c&state=forged"));
        System.out.println("e2e: OAuth authorization code at oidc-provider: login and consent, complete, a refresh that "
                + "rotated the refresh token; a forged state refused");
    }

    @Test
    void aSealedSessionGoesOnInAnotherSession() throws Exception {
        String gstin = "34AAACR5055K1Z7";
        GstnSession gst = loggedIn(gstin, new Demo.ShiftedClock());
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        String sealed = gst.seal(key, "k1");
        Session back = Session.open(sealed, Map.of("k1", key), Session.options()
                .credentials(gst.credentials()).sender(GstAuthHttpClient.sender(Demo.HTTP)));
        assertTrue(back instanceof GstnSession);
        HttpResponse<String> r = new GstAuthHttpClient(Demo.HTTP, back, CallOptions.retPeriod("042026"), true)
                .send(HttpRequest.newBuilder(URI.create(sandbox + "/taxpayerapi/v1.0/returns/gstr1?action=RETSUM&gstin="
                        + gstin + "&ret_period=042026")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("1", Demo.JSON.readTree(r.body()).get("status_cd").asText());
    }
}
