package io.github.gstauth;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** A {@link Sender} over OkHttp (an optional dependency: com.squareup.okhttp3:okhttp-jvm). */
public final class OkHttpSender {
    private OkHttpSender() {
    }

    /**
     * Carries a session's own exchanges (auth, refresh) through {@code client}, with no redirect followed: the
     * request exactly as the core built it. Give it a client without {@link GstAuthInterceptor}.
     */
    public static Sender of(OkHttpClient client) {
        OkHttpClient c = Objects.requireNonNull(client, "client").newBuilder()
                .followRedirects(false).followSslRedirects(false).build();
        return request -> {
            Request.Builder b = new Request.Builder().url(request.url());
            String type = null;
            for (Map.Entry<String, String> h : request.headers().entrySet()) {
                if (h.getKey().equalsIgnoreCase("content-type")) {
                    type = h.getValue();
                }
                b.header(h.getKey(), h.getValue());
            }
            String body = request.body();
            RequestBody rb = null;
            if (!body.isEmpty() || requiresBody(request.method())) {
                rb = RequestBody.create(body.getBytes(StandardCharsets.UTF_8), type == null ? null : MediaType.parse(type));
            }
            b.method(request.method(), rb);
            try (Response res = c.newCall(b.build()).execute()) {
                return new Types.HTTPResponse(new String(res.body().bytes(), StandardCharsets.UTF_8), res.code(),
                        flat(res.headers()));
            }
        };
    }

    static boolean requiresBody(String method) {
        return method.equals("POST") || method.equals("PUT") || method.equals("PATCH") || method.equals("PROPPATCH")
                || method.equals("REPORT");
    }

    /** Headers as the core reads them: one string per name (repeated fields joined with ", "). */
    static Map<String, String> flat(Headers headers) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : headers.names()) {
            out.put(name, String.join(", ", headers.values(name)));
        }
        return out;
    }
}
