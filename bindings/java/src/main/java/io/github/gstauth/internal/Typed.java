package io.github.gstauth.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.github.gstauth.Backend;
import io.github.gstauth.ErrorCode;
import io.github.gstauth.Raw;
import io.github.gstauth.RawResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;

/** What the generated {@code Ops} methods run on: records to JSON, the backend, JSON back to records. */
public final class Typed {
    /**
     * Absent members omitted, unknown members refused (the surface is generated for this core: a member it does not
     * know is a bug, not a newer field), byte arrays as standard base64 (the core's encoding).
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL,
                    JsonInclude.Include.NON_NULL))
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    /** The input of an op whose input is empty. */
    public static final Map<String, Object> EMPTY = Collections.emptyMap();

    private Typed() {
    }

    /** An input record as the JSON the core reads. */
    public static byte[] encode(Object input) {
        try {
            return MAPPER.writeValueAsBytes(input);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the input cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The core's output read into its record; a mismatch is the binding's bug, reported as the core's internal. */
    public static <T> T decode(byte[] json, Class<T> type, String op) {
        try {
            return MAPPER.readValue(json, type);
        } catch (IOException e) {
            throw ErrorJson.hostError(ErrorCode.INTERNAL, op + ": the output does not fit " + type.getSimpleName()
                    + ": " + e.getMessage());
        }
    }

    public static <T> T call(Backend backend, String op, Object input, Class<T> type) {
        return decode(Objects.requireNonNull(backend, "backend").call(op, encode(input)), type, op);
    }

    public static void call(Backend backend, String op, Object input) {
        Objects.requireNonNull(backend, "backend").call(op, encode(input));
    }

    public static JsonNode tree(Backend backend, String op, Object input) {
        byte[] out = Objects.requireNonNull(backend, "backend").call(op, encode(input));
        try {
            return MAPPER.readTree(out);
        } catch (IOException e) {
            throw ErrorJson.hostError(ErrorCode.INTERNAL, op + ": the output is not JSON");
        }
    }

    public static byte[] raw(Backend backend, String op, Object params, ByteBuffer data) {
        Objects.requireNonNull(data, "data");
        return Objects.requireNonNull(backend, "backend").callRaw(op, encode(params), data).data();
    }

    public static <M> Raw<M> raw(Backend backend, String op, Object params, ByteBuffer data, Class<M> meta) {
        Objects.requireNonNull(data, "data");
        RawResult r = Objects.requireNonNull(backend, "backend").callRaw(op, encode(params), data);
        return new Raw<>(decode(r.metaBytes(), meta, op), r.data());
    }
}
