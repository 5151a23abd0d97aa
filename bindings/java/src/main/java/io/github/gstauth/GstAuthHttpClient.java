package io.github.gstauth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLSession;

/**
 * gstauth around the application's own {@link HttpClient} (which has no interceptor hook), so proxies, TLS and
 * timeouts stay the application's:
 *
 * <pre>{@code
 * HttpClient http = HttpClient.newHttpClient();
 * GstnSession gst = new GstnSession(Session.options()...sender(GstAuthHttpClient.sender(http)));
 * GstAuthHttpClient api = new GstAuthHttpClient(http, gst);
 * HttpResponse<String> r = api.send(HttpRequest.newBuilder(URI.create(base + "/returns/gstr1"))
 *         .POST(BodyPublishers.ofString("{\"action\":\"RETSAVE\",\"data\":{...}}")).build(),
 *         BodyHandlers.ofString(), CallOptions.retPeriod("042026"));
 * GstAuthHttpClient.observation(r);   // what the core read in the answer
 * }</pre>
 *
 * <p>Every request gets a usable token first (the session's own exchanges go out through {@link #sender}), the
 * session's headers and its payload encrypted; the answer is observed, the request replayed once with a new token
 * after the provider rejected the old one (never twice), and a successful answer's payload decrypted before the body
 * handler sees it. A failure is returned as the response it is, with its {@link Observation}; call
 * {@code observation(r).throwIfFailed()} to raise it. Nothing here knows a provider: the core gives the headers, the
 * bodies and the outcomes.
 */
public final class GstAuthHttpClient {
    /** Headers {@link HttpClient} refuses to be given: it sets them itself. */
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

    private final HttpClient client;
    private final Session session;
    private final CallOptions defaults;
    private final boolean decrypt;

    /** Calls through {@code client} with {@code session}, decrypting successful answers. */
    public GstAuthHttpClient(HttpClient client, Session session) {
        this(client, session, CallOptions.NONE, true);
    }

    /**
     * @param defaults per-call arguments for every call (a call's own options go over them)
     * @param decrypt  whether a successful answer's payload is decrypted (false: the body as it came)
     */
    public GstAuthHttpClient(HttpClient client, Session session, CallOptions defaults, boolean decrypt) {
        this.client = Objects.requireNonNull(client, "client");
        this.session = Objects.requireNonNull(session, "session");
        this.defaults = defaults == null ? CallOptions.NONE : defaults;
        this.decrypt = decrypt;
    }

    /** The HttpClient the calls go through. */
    public HttpClient client() {
        return client;
    }

    /** The session the calls are made with. */
    public Session session() {
        return session;
    }

    /** {@link #send(HttpRequest, HttpResponse.BodyHandler, CallOptions)} with the default options. */
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return send(request, handler, null);
    }

    /**
     * Sends the request through the session (see the class comment) and hands the answer, decrypted when it is a
     * success, to the body handler. The returned response carries what the core read ({@link #observation}).
     *
     * @throws GstAuthException    no usable token and none to be had (a person must act, a backoff, a failed renewal)
     * @throws IOException         the call got no answer
     * @throws InterruptedException the thread was interrupted
     */
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler, CallOptions options)
            throws IOException, InterruptedException {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(handler, "handler");
        CallOptions opts = options == null ? defaults : options.over(defaults);
        byte[] plain = request.bodyPublisher().isPresent() ? read(request.bodyPublisher().get()) : null;
        List<Map.Entry<String, String>> callerHeaders = new ArrayList<>();
        request.headers().map().forEach((k, vs) -> vs.forEach(v -> callerHeaders.add(Map.entry(k, v))));

        CallLoop.Result<HttpResponse<byte[]>> r = CallLoop.run(session, plain, opts, decrypt, null,
                (sessionHeaders, body, attempt) -> {
                    HttpRequest.Builder b = HttpRequest.newBuilder(request, (k, v) -> false);
                    for (Map.Entry<String, String> h : CallLoop.merge(callerHeaders, sessionHeaders)) {
                        if (!RESTRICTED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                            b.header(h.getKey(), h.getValue());
                        }
                    }
                    b.method(request.method(), body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
                    HttpResponse<byte[]> res = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                    return new CallLoop.Wire<>(res.statusCode(), flat(res.headers()), res.body(), res);
                });
        HttpResponse<byte[]> res = r.response().origin();
        HttpHeaders headers = res.headers();
        if (r.decrypted()) {
            // The body is this body now: its length is its own.
            Map<String, List<String>> m = new LinkedHashMap<>(headers.map());
            m.keySet().removeIf(k -> k.equalsIgnoreCase("content-length"));
            m.put("content-length", List.of(Integer.toString(r.body().length)));
            headers = HttpHeaders.of(m, (k, v) -> true);
        }
        T body = deliver(handler, res.statusCode(), headers, res.version(), r.body());
        return new Response<>(res, headers, body, r.observation());
    }

    /** What the core read in a response this client returned, or empty for any other response. */
    public static Optional<Observation> observation(HttpResponse<?> response) {
        return response instanceof Response<?> r ? Optional.of(r.observation) : Optional.empty();
    }

    /**
     * A {@link Sender} over an HttpClient, for a session's own exchanges (auth, refresh): the request exactly as the
     * core built it, with a 30 s timeout; the client's redirect policy applies (HttpClient's default follows none).
     */
    public static Sender sender(HttpClient client) {
        Objects.requireNonNull(client, "client");
        return request -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(request.url())).timeout(Duration.ofSeconds(30));
            request.headers().forEach((k, v) -> {
                if (!RESTRICTED.contains(k.toLowerCase(Locale.ROOT))) {
                    b.header(k, v);
                }
            });
            String body = request.body();
            b.method(request.method(), body.isEmpty() ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            HttpResponse<byte[]> res = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Types.HTTPResponse(new String(res.body(), StandardCharsets.UTF_8), res.statusCode(),
                    flat(res.headers()));
        };
    }

    /** The sender of sessions given none: a plain HttpClient of this process (10 s to connect), made on first use. */
    static Sender defaultSender() {
        return DefaultSender.SENDER;
    }

    private static final class DefaultSender {
        static final Sender SENDER = sender(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
    }

    /** Response headers as the core reads them: one string per name (repeated fields joined with ", "). */
    static Map<String, String> flat(HttpHeaders headers) {
        Map<String, String> out = new LinkedHashMap<>();
        headers.map().forEach((k, vs) -> out.put(k, String.join(", ", vs)));
        return out;
    }

    /** The bytes a body publisher gives. */
    static byte[] read(HttpRequest.BodyPublisher publisher) throws IOException, InterruptedException {
        if (publisher.contentLength() == 0) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        publisher.subscribe(new Flow.Subscriber<ByteBuffer>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer b) {
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk, 0, chunk.length);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                done.complete(out.toByteArray());
            }
        });
        try {
            return done.get();
        } catch (ExecutionException e) {
            throw new IOException("the request body could not be read", e.getCause());
        }
    }

    /** Feeds bytes to the application's body handler, as HttpClient would. */
    static <T> T deliver(HttpResponse.BodyHandler<T> handler, int status, HttpHeaders headers, HttpClient.Version version,
                         byte[] bytes) throws IOException, InterruptedException {
        HttpResponse.BodySubscriber<T> sub = handler.apply(new HttpResponse.ResponseInfo() {
            @Override
            public int statusCode() {
                return status;
            }

            @Override
            public HttpHeaders headers() {
                return headers;
            }

            @Override
            public HttpClient.Version version() {
                return version;
            }
        });
        AtomicBoolean sent = new AtomicBoolean();
        sub.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                if (n > 0 && sent.compareAndSet(false, true)) {
                    if (bytes.length > 0) {
                        sub.onNext(List.of(ByteBuffer.wrap(bytes)));
                    }
                    sub.onComplete();
                }
            }

            @Override
            public void cancel() {
                sent.set(true);
            }
        });
        try {
            return sub.getBody().toCompletableFuture().get();
        } catch (ExecutionException e) {
            throw new IOException("the body handler failed", e.getCause());
        }
    }

    /** The answer as the application sees it: the client's response with the body handler's body. */
    static final class Response<T> implements HttpResponse<T> {
        private final HttpResponse<byte[]> origin;
        private final HttpHeaders headers;
        private final T body;
        final Observation observation;

        Response(HttpResponse<byte[]> origin, HttpHeaders headers, T body, Observation observation) {
            this.origin = origin;
            this.headers = headers;
            this.body = body;
            this.observation = observation;
        }

        @Override
        public int statusCode() {
            return origin.statusCode();
        }

        @Override
        public HttpRequest request() {
            return origin.request();
        }

        @Override
        public Optional<HttpResponse<T>> previousResponse() {
            return Optional.empty();
        }

        @Override
        public HttpHeaders headers() {
            return headers;
        }

        @Override
        public T body() {
            return body;
        }

        @Override
        public Optional<SSLSession> sslSession() {
            return origin.sslSession();
        }

        @Override
        public URI uri() {
            return origin.uri();
        }

        @Override
        public HttpClient.Version version() {
            return origin.version();
        }

        @Override
        public String toString() {
            return "(" + request().method() + " " + uri() + ") " + statusCode() + " " + observation.outcome();
        }
    }

    static Map.Entry<String, String> entry(String k, String v) {
        return new AbstractMap.SimpleImmutableEntry<>(k, v);
    }
}
