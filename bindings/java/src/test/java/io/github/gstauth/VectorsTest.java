package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every conformance vector of testdata/vectors on both backends (format: testdata/vectors/README.md).
 * Each case is one test named "file #tcId comment"; each file ends with a test that checks the number of cases run
 * against the file's numberOfTests. A field this runner does not know fails the file.
 */
class VectorsTest {
    static final String SCHEMA = "gstauth-vectors/1";
    static final Set<String> FILE_KEYS = Set.of("schema", "op", "description", "generatedBy", "sources", "notes",
            "numberOfTests", "tests");
    static final Set<String> STEP_KEYS = Set.of("op", "input", "data", "result", "output", "output_data", "error",
            "provider_code");
    static final Set<String> TEST_KEYS = Stream.concat(STEP_KEYS.stream(), Stream.of("tcId", "comment", "flags", "steps"))
            .collect(Collectors.toUnmodifiableSet());

    static List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(TestSupport.testdata().resolve("vectors"))) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().collect(Collectors.toList());
        }
    }

    /** A vector file, strictly read: known keys only, the declared count equal to the cases held, unique ids. */
    static JsonNode load(Path path) {
        JsonNode f = TestSupport.tree(TestSupport.read(path));
        String name = path.getFileName().toString();
        assertKeys(f, FILE_KEYS, name);
        assertEquals(SCHEMA, f.path("schema").asText(), name + ": schema");
        assertFalse(f.path("generatedBy").asText().isEmpty(), name + ": generatedBy is empty");
        assertTrue(f.get("tests").isArray(), name + ": tests is not an array");
        assertEquals(f.get("numberOfTests").asInt(), f.get("tests").size(), name + ": numberOfTests");
        Set<Integer> ids = new TreeSet<>();
        for (JsonNode t : f.get("tests")) {
            assertKeys(t, TEST_KEYS, name + " #" + t.path("tcId"));
            assertTrue(ids.add(t.get("tcId").asInt()), name + ": duplicate tcId " + t.get("tcId"));
        }
        return f;
    }

    static void assertKeys(JsonNode n, Set<String> known, String where) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            assertTrue(known.contains(k), where + ": unknown field \"" + k + "\"");
        }
    }

    @TestFactory
    Stream<DynamicNode> vectors() throws IOException {
        List<Path> files = files();
        assertFalse(files.isEmpty(), "no vector files");
        int declared = 0;
        for (Path p : files) {
            declared += load(p).get("numberOfTests").asInt();
        }
        int total = declared;
        return TestSupport.BACKENDS.stream().map(backend -> {
            AtomicInteger ran = new AtomicInteger();
            Stream<DynamicNode> perFile = files.stream().map(path -> fileContainer(backend, path, ran));
            DynamicTest summary = DynamicTest.dynamicTest(backend + ": every case of every file", () -> {
                assertEquals(total, ran.get(), backend + ": cases run");
                Backend b = GstAuth.backend(backend);
                System.out.printf("vectors: %s via %s on Java %s ran %d cases from %d files%n",
                        backend, b.runtime(), Runtime.version().feature(), ran.get(), files.size());
            });
            return DynamicContainer.dynamicContainer(backend, Stream.concat(perFile, Stream.of(summary)));
        });
    }

    private static DynamicContainer fileContainer(String backend, Path path, AtomicInteger total) {
        String name = path.getFileName().toString().replaceFirst("\\.json$", "");
        JsonNode file = load(path);
        AtomicInteger ran = new AtomicInteger();
        List<DynamicNode> cases = new ArrayList<>();
        for (JsonNode tc : file.get("tests")) {
            String title = name + " #" + tc.get("tcId").asInt() + " " + tc.path("comment").asText();
            cases.add(DynamicTest.dynamicTest(title, () -> {
                ran.incrementAndGet();
                total.incrementAndGet();
                runCase(backend, file, tc);
            }));
        }
        int declared = file.get("numberOfTests").asInt();
        cases.add(DynamicTest.dynamicTest(name + ": ran " + declared + " cases", () ->
                assertEquals(declared, ran.get(), name + ": cases run on " + backend)));
        return DynamicContainer.dynamicContainer(name, cases);
    }

    /** One case: a single call, or steps whose inputs may refer to earlier steps' outputs. */
    static void runCase(String backend, JsonNode file, JsonNode tc) {
        List<JsonNode> steps = new ArrayList<>();
        if (tc.has("steps")) {
            for (String own : List.of("input", "data", "output", "output_data", "error", "provider_code", "op")) {
                assertFalse(tc.has(own), "a test with steps has no " + own + " of its own");
            }
            assertEquals("valid", tc.path("result").asText(), "a test with steps is valid");
            tc.get("steps").forEach(s -> {
                assertKeys(s, STEP_KEYS, "step");
                steps.add(s);
            });
        } else {
            steps.add(tc);
        }
        List<StepResult> done = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            JsonNode s = steps.get(i);
            String op = s.has("op") ? s.get("op").asText() : file.path("op").asText("");
            assertFalse(op.isEmpty(), "step " + i + " names no op");
            try {
                done.add(runStep(backend, op, s, done));
            } catch (AssertionError e) {
                throw new AssertionError((steps.size() > 1 ? "step " + i + " (" + op + "): " : op + ": ")
                        + e.getMessage(), e);
            }
        }
    }

    record StepResult(JsonNode output, String outputData) {
    }

    static StepResult runStep(String backend, String op, JsonNode s, List<StepResult> prev) {
        JsonNode input = s.has("input") ? resolve(s.get("input").deepCopy(), prev) : TestSupport.object();
        byte[] in = TestSupport.text(input).getBytes(StandardCharsets.UTF_8);
        boolean raw = op.endsWith("_raw");
        if (!raw) {
            assertFalse(s.has("data") || s.has("output_data"), "data and output_data belong to raw ops only");
        }
        String result = s.path("result").asText();
        byte[] out;
        byte[] outData = new byte[0];
        try {
            Backend b = GstAuth.backend(backend);
            if (raw) {
                byte[] data = Base64.getDecoder().decode(s.path("data").asText(""));
                RawResult r = b.callRaw(op, in, ByteBuffer.wrap(data));
                out = r.metaBytes();
                outData = r.data();
            } else {
                out = b.call(op, in);
            }
        } catch (GstAuthException e) {
            if (!"invalid".equals(result)) {
                fail("want success, got " + e.code() + ": " + e.getMessage());
            }
            String want = s.path("error").asText("");
            assertFalse(want.isEmpty(), "an invalid case names no error code");
            assertEquals(want, e.code(), "error code (" + e.getMessage() + ")");
            if (s.has("provider_code")) {
                assertEquals(s.get("provider_code").asText(), e.providerCode().orElse(null), "provider_code");
            }
            assertTrue(e.errorJson().isPresent(), "the error came from the core");
            return new StepResult(TestSupport.tree(e.errorJson().get()), "");
        }
        if (!"valid".equals(result)) {
            assertEquals("invalid", result, "result must be valid or invalid");
            fail("want error " + s.path("error").asText() + ", got success: " + abbreviate(new String(out, StandardCharsets.UTF_8)));
        }
        JsonNode got = TestSupport.tree(out);
        if (s.has("output")) {
            String mismatch = mismatch(s.get("output"), got, "output");
            if (mismatch != null) {
                assertEquals(s.get("output"), got, mismatch); // shows both documents
            }
        }
        String gotData = Base64.getEncoder().encodeToString(outData);
        if (s.has("output_data")) {
            assertEquals(s.get("output_data").asText(), gotData, "output_data");
        }
        return new StepResult(got, gotData);
    }

    /**
     * Where got differs from want, or null. In want, {"$type": "string"} matches any string (text for people, whose
     * type the contract fixes but not its words); anything else must be equal, objects key for key.
     */
    static String mismatch(JsonNode want, JsonNode got, String path) {
        if (want.isObject() && want.has("$type")) {
            assertEquals(1, want.size(), path + ": a $type object is exactly {\"$type\": \"string\"}");
            assertEquals("string", want.get("$type").asText(), path + ": the only $type is string");
            return got != null && got.isTextual() ? null : path + ": want a string";
        }
        if (got == null || want.getNodeType() != got.getNodeType()) {
            return path + ": want " + want.getNodeType() + ", got " + (got == null ? "nothing" : got.getNodeType());
        }
        if (want.isObject()) {
            Set<String> keys = new TreeSet<>();
            want.fieldNames().forEachRemaining(keys::add);
            got.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                if (!want.has(k) || !got.has(k)) {
                    return path + "." + k + ": " + (want.has(k) ? "missing" : "not expected");
                }
                String m = mismatch(want.get(k), got.get(k), path + "." + k);
                if (m != null) {
                    return m;
                }
            }
            return null;
        }
        if (want.isArray()) {
            if (want.size() != got.size()) {
                return path + ": want " + want.size() + " elements, got " + got.size();
            }
            for (int i = 0; i < want.size(); i++) {
                String m = mismatch(want.get(i), got.get(i), path + "[" + i + "]");
                if (m != null) {
                    return m;
                }
            }
            return null;
        }
        return want.equals(got) ? null : path + ": want " + want + ", got " + got;
    }

    /** Replaces every {"$ref": "N.output.a.b"} or {"$ref": "N.output_data"} with the earlier step's value. */
    static JsonNode resolve(JsonNode v, List<StepResult> prev) {
        if (v.isObject()) {
            if (v.has("$ref")) {
                assertEquals(1, v.size(), "a $ref object has no other keys");
                assertTrue(v.get("$ref").isTextual(), "$ref is a string");
                return lookup(v.get("$ref").asText(), prev);
            }
            ObjectNode o = (ObjectNode) v;
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            for (String k : names) {
                o.set(k, resolve(o.get(k), prev));
            }
            return o;
        }
        if (v.isArray()) {
            ArrayNode a = (ArrayNode) v;
            for (int i = 0; i < a.size(); i++) {
                a.set(i, resolve(a.get(i), prev));
            }
        }
        return v;
    }

    static JsonNode lookup(String ref, List<StepResult> prev) {
        String[] parts = ref.split("\\.");
        assertTrue(parts.length >= 2, "$ref " + ref + ": want STEP.output[.path] or STEP.output_data");
        int n = Integer.parseInt(parts[0]);
        assertTrue(n >= 0 && n < prev.size(), "$ref " + ref + ": no earlier step " + n);
        StepResult r = prev.get(n);
        if (parts[1].equals("output_data")) {
            assertEquals(2, parts.length, "$ref " + ref + ": output_data has no path");
            return TextNode.valueOf(r.outputData());
        }
        assertEquals("output", parts[1], "$ref " + ref + ": want output or output_data");
        JsonNode cur = r.output();
        for (int i = 2; i < parts.length; i++) {
            String p = parts[i];
            JsonNode next = cur.isArray() ? cur.get(Integer.parseInt(p)) : cur.get(p);
            assertTrue(next != null, "$ref " + ref + ": nothing at " + p);
            cur = next;
        }
        return cur.deepCopy();
    }

    static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
