package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The generated ErrorCode enum (internal/gen, from testdata/schema.json; go test ./internal/gen/ fails when it is
 * stale) holds the library's error codes, in the library's order.
 */
class ErrorCodeTest {
    @Test
    void enumMatchesTheLibrary() {
        JsonNode out = TestSupport.call("cshared", "error_codes", TestSupport.object());
        List<String> want = new ArrayList<>();
        out.get("codes").forEach(c -> want.add(c.asText()));
        List<String> have = new ArrayList<>();
        for (ErrorCode c : ErrorCode.values()) {
            have.add(c.code());
        }
        assertEquals(want, have, "ErrorCode is stale: run go run ./internal/gen");
    }

    @Test
    void bothBackendsListTheSameCodes() {
        JsonNode c = TestSupport.tree(GstAuth.backend("cshared").call("error_codes", "{}".getBytes(StandardCharsets.UTF_8)));
        JsonNode w = TestSupport.tree(GstAuth.backend("wasm").call("error_codes", "{}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(c, w);
        assertEquals(ErrorCode.values().length, c.get("codes").size());
    }
}
