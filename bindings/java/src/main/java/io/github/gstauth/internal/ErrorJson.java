package io.github.gstauth.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.gstauth.ErrorCode;
import io.github.gstauth.GstAuthException;
import java.io.IOException;

/** Turns the core's {@code {"error":{...}}} into a {@link GstAuthException}. */
public final class ErrorJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private ErrorJson() {
    }

    /** The exception for an error JSON the core returned. */
    public static GstAuthException toException(byte[] json) {
        JsonNode body;
        try {
            body = MAPPER.readTree(json).get("error");
        } catch (IOException | RuntimeException e) {
            body = null;
        }
        if (body == null || !body.isObject() || !body.path("code").isTextual()) {
            return hostError(ErrorCode.INTERNAL, "the core failed without an error object");
        }
        JsonNode retryAfter = body.get("retry_after_ms");
        JsonNode provider = body.get("provider_code");
        return new GstAuthException(
                body.get("code").asText(),
                body.path("message").asText(""),
                provider != null && provider.isTextual() ? provider.asText() : null,
                retryAfter != null && retryAfter.canConvertToLong() ? retryAfter.asLong() : null,
                body.path("retryable").asBoolean(false),
                Utf8.decode(json));
    }

    /** An error raised on the Java side of the boundary, with a code from the core's own list. */
    public static GstAuthException hostError(ErrorCode code, String message) {
        return new GstAuthException(code.code(), message, null, null, false, null);
    }
}
