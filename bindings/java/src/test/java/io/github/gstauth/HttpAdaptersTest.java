package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP adapters (java.net.http through GstAuthHttpClient, OkHttp through GstAuthInterceptor and
 * GstAuthAuthenticator) against a loopback API that rejects the first token: one renewal and exactly one replay, and
 * never a second replay when the new token is rejected too.
 */
class HttpAdaptersTest {
    HttpServer server;
    String base;
    final AtomicInteger apiCalls = new AtomicInteger();
    final List<String> tokensSeen = new CopyOnWriteArrayList<>();
    final List<String> bodiesSeen = new CopyOnWriteArrayList<>();
    volatile boolean rejectAll;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/api", ex -> {
            apiCalls.incrementAndGet();
            String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
            tokensSeen.add(auth);
            bodiesSeen.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            boolean reject = rejectAll || auth.equals("Bearer tok-1");
            byte[] body = (reject ? "{\"error\":\"invalid_token\"}" : "{\"ok\":true}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            if (reject) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            }
            ex.sendResponseHeaders(reject ? 401 : 200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    SessionTest.FakeIdp idp = new SessionTest.FakeIdp();

    OAuthClientCredentialsSession session() {
        return SessionTest.session(idp, new SessionTest.TestClock(), Duration.ofSeconds(10));
    }

    @Test
    void httpClientReplaysOnceAfterARejectedToken() throws Exception {
        OAuthClientCredentialsSession s = session();
        GstAuthHttpClient api = new GstAuthHttpClient(HttpClient.newHttpClient(), s);
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"q\":1}")).header("Content-Type", "application/json").build();
        HttpResponse<String> r = api.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("{\"ok\":true}", r.body());
        assertEquals(Types.Outcome.OK, GstAuthHttpClient.observation(r).orElseThrow().outcome());
        assertEquals(2, apiCalls.get(), "the call and one replay");
        assertEquals(List.of("Bearer tok-1", "Bearer tok-2"), tokensSeen);
        assertEquals(List.of("{\"q\":1}", "{\"q\":1}"), bodiesSeen, "the replay carries the same body");
        assertEquals(2, idp.grants.get(), "one grant, one renewal");

        rejectAll = true;
        apiCalls.set(0);
        HttpResponse<String> again = api.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(401, again.statusCode());
        Observation o = GstAuthHttpClient.observation(again).orElseThrow();
        assertEquals(Types.Outcome.REAUTHENTICATE, o.outcome());
        assertEquals(2, apiCalls.get(), "replayed once, never twice");
        System.out.println("http: HttpClient: a rejected token → 1 renewal and 1 replay; rejected again → no second replay");
    }

    @Test
    void okHttpInterceptorReplaysOnce() throws Exception {
        OAuthClientCredentialsSession s = session();
        OkHttpClient client = new OkHttpClient.Builder()
                .addInterceptor(new GstAuthInterceptor(s))
                .authenticator(new GstAuthAuthenticator(s))
                .build();
        Request req = new Request.Builder().url(base + "/api")
                .post(RequestBody.create("{\"q\":2}", MediaType.parse("application/json"))).build();
        try (Response r = client.newCall(req).execute()) {
            assertEquals(200, r.code());
            assertEquals("{\"ok\":true}", r.body().string());
            assertEquals(Types.Outcome.OK, GstAuthInterceptor.observation(r).orElseThrow().outcome());
        }
        assertEquals(2, apiCalls.get(), "the call and one replay");
        assertEquals(List.of("{\"q\":2}", "{\"q\":2}"), bodiesSeen);
        rejectAll = true;
        apiCalls.set(0);
        try (Response r = client.newCall(req).execute()) {
            assertEquals(401, r.code());
            assertEquals(Types.Outcome.REAUTHENTICATE, GstAuthInterceptor.observation(r).orElseThrow().outcome());
        }
        assertEquals(2, apiCalls.get(), "interceptor and authenticator together: replayed once, never twice");
        System.out.println("http: OkHttp interceptor: 1 renewal and 1 replay; never a second");
    }

    @Test
    void okHttpAuthenticatorRenewsOnceOnA401() throws Exception {
        OAuthClientCredentialsSession s = session();
        s.ensure();
        OkHttpClient client = new OkHttpClient.Builder().authenticator(new GstAuthAuthenticator(s)).build();
        Request.Builder b = new Request.Builder().url(base + "/api");
        for (Map.Entry<String, String> h : s.headers(CallOptions.NONE).entrySet()) {
            b.header(h.getKey(), h.getValue()); // the application adds the session's headers itself
        }
        try (Response r = client.newCall(b.build()).execute()) {
            assertEquals(200, r.code());
        }
        assertEquals(List.of("Bearer tok-1", "Bearer tok-2"), tokensSeen);
        rejectAll = true;
        apiCalls.set(0);
        try (Response r = client.newCall(b.build()).execute()) {
            assertEquals(401, r.code());
        }
        assertEquals(2, apiCalls.get(), "renewed once, then the 401 is the application's");
        assertTrue(idp.grants.get() >= 3);
        System.out.println("http: OkHttp authenticator: a 401 → 1 renewal, 1 retry");
    }
}
