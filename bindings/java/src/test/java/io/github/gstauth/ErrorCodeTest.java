package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The checked-in ErrorCode enum is what the library's error_codes op renders to (make java-generate rewrites it). */
class ErrorCodeTest {
    @Test
    void enumMatchesTheLibrary() throws Exception {
        String want = ErrorCodeGenerator.render(ErrorCodeGenerator.codesFromLibrary());
        String have = TestSupport.read(TestSupport.projectDir().resolve(ErrorCodeGenerator.PATH));
        assertEquals(want, have, ErrorCodeGenerator.PATH + " is stale: run make java-generate");
    }

    @Test
    void bothBackendsListTheSameCodes() {
        JsonNode c = TestSupport.tree(GstAuth.backend("cshared").call("error_codes", "{}".getBytes(StandardCharsets.UTF_8)));
        JsonNode w = TestSupport.tree(GstAuth.backend("wasm").call("error_codes", "{}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(c, w);
        assertEquals(ErrorCode.values().length, c.get("codes").size());
    }
}
