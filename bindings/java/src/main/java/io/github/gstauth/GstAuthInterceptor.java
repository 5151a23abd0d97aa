package io.github.gstauth;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;

/**
 * gstauth as an OkHttp application interceptor (OkHttp is an optional dependency: com.squareup.okhttp3:okhttp-jvm):
 *
 * <pre>{@code
 * OkHttpClient api = new OkHttpClient.Builder()
 *         .addInterceptor(new GstAuthInterceptor(session))
 *         .authenticator(new GstAuthAuthenticator(session))   // for requests that bypass the interceptor
 *         .build();
 * Request r = new Request.Builder().url(url).post(RequestBody.create(json, JSON))
 *         .tag(CallOptions.class, CallOptions.retPeriod("042026")).build();
 * try (Response res = api.newCall(r).execute()) {
 *     GstAuthInterceptor.observation(res);   // what the core read in the answer
 * }
 * }</pre>
 *
 * <p>Each request gets a usable token first (the session's own exchanges go through its {@link Sender}, e.g.
 * {@link OkHttpSender}), the session's headers over the caller's and its payload encrypted; the answer is read
 * whole and observed, the request replayed once after the provider rejected the token (never twice), and a
 * successful payload decrypted before the application reads it. Per-call arguments ride on the request as a
 * {@link CallOptions} tag.
 */
public final class GstAuthInterceptor implements Interceptor {
    /** Marks a request this interceptor carries, and what it learnt: the authenticator leaves those to it. */
    static final class Carried {
        volatile Observation observation;
        volatile int attempts;
    }

    private final Session session;
    private final Sender sender;
    private final CallOptions defaults;
    private final boolean decrypt;

    /** The session's own sender carries its exchanges; successful answers are decrypted. */
    public GstAuthInterceptor(Session session) {
        this(session, null, CallOptions.NONE, true);
    }

    /**
     * @param sender   carries the session's own exchanges (null: the session's)
     * @param defaults per-call arguments for every call (a request's CallOptions tag goes over them)
     * @param decrypt  whether a successful answer's payload is decrypted
     */
    public GstAuthInterceptor(Session session, Sender sender, CallOptions defaults, boolean decrypt) {
        this.session = Objects.requireNonNull(session, "session");
        this.sender = sender;
        this.defaults = defaults == null ? CallOptions.NONE : defaults;
        this.decrypt = decrypt;
    }

    /** What the core read in a response that came through a GstAuthInterceptor, or empty. */
    public static java.util.Optional<Observation> observation(Response response) {
        Carried c = response.request().tag(Carried.class);
        return c == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(c.observation);
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        CallOptions own = request.tag(CallOptions.class);
        CallOptions opts = own == null ? defaults : own.over(defaults);
        byte[] plain = null;
        MediaType type = null;
        if (request.body() != null) {
            Buffer buf = new Buffer();
            request.body().writeTo(buf);
            plain = buf.readByteArray();
            type = request.body().contentType();
        }
        List<Map.Entry<String, String>> callerHeaders = new ArrayList<>();
        for (int i = 0; i < request.headers().size(); i++) {
            callerHeaders.add(Map.entry(request.headers().name(i), request.headers().value(i)));
        }
        Carried carried = new Carried();
        MediaType bodyType = type;
        CallLoop.Result<Response> r;
        try {
            r = CallLoop.run(session, plain, opts, decrypt, sender, (sessionHeaders, body, attempt) -> {
                Request.Builder b = request.newBuilder().headers(okhttp3.Headers.of());
                for (Map.Entry<String, String> h : CallLoop.merge(callerHeaders, sessionHeaders)) {
                    b.addHeader(h.getKey(), h.getValue());
                }
                RequestBody rb = body == null ? null : RequestBody.create(body, bodyType);
                b.method(request.method(), rb);
                b.tag(Carried.class, carried);
                carried.attempts = attempt;
                Response res = chain.proceed(b.build());
                byte[] bytes;
                try (ResponseBody rbody = res.body()) {
                    bytes = rbody.bytes();
                }
                return new CallLoop.Wire<>(res.code(), OkHttpSender.flat(res.headers()), bytes, res);
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException io = new InterruptedIOException("interrupted while renewing the token");
            io.initCause(e);
            throw io;
        }
        carried.observation = r.observation();
        Response res = r.response().origin();
        MediaType ct = res.body().contentType();
        Response.Builder out = res.newBuilder().body(ResponseBody.create(r.body(), ct));
        if (r.decrypted()) {
            out.removeHeader("Content-Length").header("Content-Length", Integer.toString(r.body().length));
        }
        return out.build();
    }
}
