package io.github.gstauth;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Paths and helpers the tests share. Surefire passes the repository's testdata and VERSION as system properties. */
final class TestSupport {
    /** Every backend, by name: each test runs on both. */
    static final List<String> BACKENDS = List.of("cshared", "wasm");

    /** Numbers as BigInteger/BigDecimal, so equal JSON numbers compare equal whatever their size. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private TestSupport() {
    }

    static Path testdata() {
        String p = System.getProperty("gstauth.testdata");
        if (p == null) {
            throw new IllegalStateException("run the tests through Maven: the system property gstauth.testdata names "
                    + "the repository's testdata directory");
        }
        return Path.of(p);
    }

    static Path projectDir() {
        return Path.of(System.getProperty("gstauth.projectDir", "."));
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String key(String name) {
        return read(testdata().resolve("keys").resolve(name));
    }

    static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode tree(byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static String text(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Calls a JSON op on the named backend with a JSON tree; returns the output tree. */
    static JsonNode call(String backend, String op, JsonNode input) {
        return tree(GstAuth.backend(backend).call(op, text(input).getBytes(StandardCharsets.UTF_8)));
    }
}
