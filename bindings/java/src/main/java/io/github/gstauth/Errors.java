package io.github.gstauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.gstauth.internal.ErrorJson;
import io.github.gstauth.internal.Typed;

/** The core's error objects as exceptions. */
final class Errors {
    private Errors() {
    }

    /** The exception of an error object ({@code {"code", "message", ...}}) the core returned inside an answer. */
    static GstAuthException of(JsonNode error) {
        ObjectNode wrapped = Typed.MAPPER.createObjectNode();
        wrapped.set("error", error);
        return ErrorJson.toException(Typed.encode(wrapped));
    }

    static GstAuthException of(Types.ErrorInfo error) {
        return of(Typed.MAPPER.valueToTree(error));
    }

    /** A failure raised on this side (a bounded wait that ran out, a lost lease). */
    static GstAuthException host(ErrorCode code, String message) {
        return ErrorJson.hostError(code, message);
    }
}
