package io.github.gstauth;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import okhttp3.Authenticator;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.Route;

/**
 * An OkHttp {@link Authenticator} that answers a 401 by renewing the session's token once (OkHttp is an optional
 * dependency). It is for requests that carry the session's headers without {@link GstAuthInterceptor} (providers
 * whose bodies are not encrypted, e.g. OAuth gateways): the 401 is observed ({@code session_observe}); when the core
 * says the token was rejected, {@link Session#ensure()} renews it and the request is retried once with the session's
 * new headers; a second 401 is the application's. Requests the interceptor carries are left to it (it replays once
 * itself, re-encrypting the body under the new session), so that no request is ever replayed twice.
 */
public final class GstAuthAuthenticator implements Authenticator {
    private final Session session;
    private final CallOptions defaults;

    public GstAuthAuthenticator(Session session) {
        this(session, CallOptions.NONE);
    }

    public GstAuthAuthenticator(Session session, CallOptions defaults) {
        this.session = Objects.requireNonNull(session, "session");
        this.defaults = defaults == null ? CallOptions.NONE : defaults;
    }

    @Override
    public Request authenticate(Route route, Response response) throws IOException {
        Request request = response.request();
        if (request.tag(GstAuthInterceptor.Carried.class) != null || response.priorResponse() != null) {
            return null; // the interceptor's own (it replays once itself), or renewed once already
        }
        String token = session.accessToken();
        String body = new String(response.peekBody(1 << 20).bytes(), StandardCharsets.UTF_8);
        Observation o = session.observe(new Types.HTTPResponse(body, response.code(), OkHttpSender.flat(response.headers())),
                response.sentRequestAtMillis(), response.receivedResponseAtMillis(), token);
        if (o.outcome() != Types.Outcome.REAUTHENTICATE) {
            return null;
        }
        try {
            session.ensure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while renewing the token");
        } catch (GstAuthException e) {
            return null; // a person must act, or the renewal failed: the 401 is the answer
        }
        CallOptions own = request.tag(CallOptions.class);
        Request.Builder b = request.newBuilder();
        for (Map.Entry<String, String> h : session.headers(own == null ? defaults : own.over(defaults)).entrySet()) {
            b.header(h.getKey(), h.getValue());
        }
        return b.build();
    }
}
