package io.github.gstauth.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.gstauth.ErrorCode;
import io.github.gstauth.GstAuthException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Every field of the core's error object reaches GstAuthException; something else is an internal error. */
class ErrorJsonTest {
    static GstAuthException parse(String json) {
        return ErrorJson.toException(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyField() {
        String json = "{\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\",\"provider_code\":\"RT-429\","
                + "\"retry_after_ms\":1500,\"retryable\":true}}";
        GstAuthException e = parse(json);
        assertEquals("rate_limited", e.code());
        assertEquals(ErrorCode.RATE_LIMITED, e.errorCode().orElseThrow());
        assertEquals("slow down", e.getMessage());
        assertEquals("RT-429", e.providerCode().orElseThrow());
        assertEquals(1500, e.retryAfterMs().orElseThrow());
        assertTrue(e.retryable());
        assertEquals(json, e.errorJson().orElseThrow());
    }

    @Test
    void optionalFieldsAbsent() {
        GstAuthException e = parse("{\"error\":{\"code\":\"decrypt_failed\",\"message\":\"m\"}}");
        assertTrue(e.providerCode().isEmpty());
        assertTrue(e.retryAfterMs().isEmpty());
        assertFalse(e.retryable());
    }

    @Test
    void aCodeNewerThanTheEnumIsKept() {
        GstAuthException e = parse("{\"error\":{\"code\":\"some_future_code\",\"message\":\"m\"}}");
        assertEquals("some_future_code", e.code());
        assertTrue(e.errorCode().isEmpty());
    }

    @Test
    void somethingElseIsInternal() {
        for (String bad : new String[] {"", "{", "[]", "{\"error\":\"x\"}", "{\"error\":{\"message\":\"no code\"}}"}) {
            GstAuthException e = parse(bad);
            assertEquals(ErrorCode.INTERNAL.code(), e.code(), bad);
            assertTrue(e.errorJson().isEmpty(), bad);
        }
    }
}
