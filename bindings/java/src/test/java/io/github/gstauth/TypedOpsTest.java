package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.gstauth.internal.Typed;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Every typed method of the generated {@link Ops} gives what the generic call gives, on the inputs of every
 * conformance vector (testdata/vectors), on both backends: the input bound to the op's input record by Jackson, the
 * typed method called, its result written back as JSON and compared with the generic call's output (or its error
 * code with the generic call's). Where an op draws randomness (a txn, a key), both must match the vector instead.
 */
class TypedOpsTest {
    /** The generated method of each op that takes a Backend (and a ByteBuffer for raw ops). */
    static Map<String, Method> methods() {
        Map<String, Method> out = new HashMap<>();
        for (Method m : Ops.class.getMethods()) {
            Class<?>[] p = m.getParameterTypes();
            if (p.length == 0 || p[0] != Backend.class) {
                continue;
            }
            if (p[p.length - 1] == byte[].class) {
                continue; // the ByteBuffer overload is the one compared
            }
            out.put(m.getName(), m);
        }
        return out;
    }

    static String camel(String op) {
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char c : op.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                b.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return b.toString();
    }

    @Test
    void everyOpHasATypedMethod() {
        JsonNode listed = TestSupport.call("cshared", "ops", TestSupport.object());
        Set<String> names = new TreeSet<>();
        listed.get("ops").forEach(o -> names.add(o.isTextual() ? o.asText() : o.get("name").asText()));
        assertEquals(names, new TreeSet<>(Ops.NAMES), "Ops.NAMES against the library's op list");
        Map<String, Method> m = methods();
        for (String op : names) {
            assertNotNull(m.get(camel(op)), "no typed method for " + op);
        }
        assertEquals(names.size(), m.size(), "one typed method per op");
    }

    @Test
    void typedEqualsGenericOnEveryVector() throws Exception {
        Map<String, Method> methods = methods();
        // The typed layer is Java over Backend, the same whatever backend runs under it (VectorsTest proves the two
        // backends equal, case by case); comparing on the shared library keeps this test to seconds.
        for (String backend : List.of("cshared")) {
            Backend b = GstAuth.backend(backend);
            AtomicInteger steps = new AtomicInteger();
            AtomicInteger errors = new AtomicInteger();
            AtomicInteger unbindable = new AtomicInteger();
            AtomicInteger randomized = new AtomicInteger();
            Set<String> opsSeen = ConcurrentHashMap.newKeySet();
            List<Path> files = VectorsTest.files();
            for (Path path : files) {
                JsonNode file = VectorsTest.load(path);
                for (JsonNode tc : file.get("tests")) {
                    List<JsonNode> list = new ArrayList<>();
                    if (tc.has("steps")) {
                        tc.get("steps").forEach(list::add);
                    } else {
                        list.add(tc);
                    }
                    List<VectorsTest.StepResult> done = new ArrayList<>();
                    for (JsonNode s : list) {
                        String op = s.has("op") ? s.get("op").asText() : file.path("op").asText();
                        String where = path.getFileName() + " #" + tc.get("tcId") + " " + op + " on " + backend;
                        JsonNode input = s.has("input") ? VectorsTest.resolve(s.get("input").deepCopy(), done)
                                : TestSupport.object();
                        Method m = methods.get(camel(op));
                        assertNotNull(m, where + ": no typed method");
                        opsSeen.add(op);
                        byte[] data = Base64.getDecoder().decode(s.path("data").asText(""));
                        Outcome generic = generic(b, op, input, data);
                        Outcome typed;
                        try {
                            typed = typed(b, m, input, data);
                        } catch (Unbindable e) {
                            // An input the typed API cannot even express (a wrong type, a missing member): only the
                            // vectors of bad input have one.
                            if (generic.error == null) {
                                fail(where + ": a valid input does not bind: " + e.getMessage());
                            }
                            unbindable.incrementAndGet();
                            done.add(new VectorsTest.StepResult(generic.tree, generic.data));
                            continue;
                        }
                        steps.incrementAndGet();
                        if (generic.error != null) {
                            errors.incrementAndGet();
                            assertEquals(generic.error, typed.error, where + ": error code");
                        } else {
                            assertEquals(null, typed.error, where + ": typed failed: " + typed.tree);
                            if (!generic.tree.equals(typed.tree) || !generic.data.equals(typed.data)) {
                                // Randomness (a txn, a key drawn by the core): both must meet the vector.
                                // Randomness with no output in the vector (a later step checks it): the same shape.
                                assertEquals(shape(generic.tree), shape(typed.tree), where + ": the output's shape");
                                assertEquals(generic.data.isEmpty(), typed.data.isEmpty(), where + ": data");
                                randomized.incrementAndGet();
                                if (!s.has("output")) {
                                    done.add(new VectorsTest.StepResult(generic.tree, generic.data));
                                    continue;
                                }
                                String mm = VectorsTest.mismatch(s.get("output"), typed.tree, "output");
                                assertEquals(null, mm, where + ": typed output against the vector");
                                assertFalse(s.has("output_data") && !s.get("output_data").asText().equals(typed.data),
                                        where + ": typed output_data");
                            }
                        }
                        done.add(new VectorsTest.StepResult(generic.tree, generic.data));
                    }
                }
            }
            System.out.printf("typed ops: %s: %d steps of %d ops compared with the generic call (%d errors, equal codes; "
                            + "%d random outputs matched by shape and vector); %d bad inputs the records cannot express%n",
                    backend, steps.get(), opsSeen.size(), errors.get(), randomized.get(), unbindable.get());
            assertTrue(steps.get() > 100, "steps compared");
            Set<String> unseen = new TreeSet<>(Ops.NAMES);
            unseen.removeAll(opsSeen);
            System.out.println("typed ops: no vector for " + unseen + " (compared in opsWithoutInput)");
            unseen.removeAll(List.of("session_steps", "session_send_failed")); // in opsWithoutInput
            for (String op : unseen) {
                assertTrue(methods.get(camel(op)).getParameterCount() == 1, op + " has no vector and takes an input");
            }
        }
    }

    /** A record as the JSON text it writes, read back (byte arrays as base64 text, as the core has them). */
    static JsonNode asJson(Object v) throws Exception {
        return TestSupport.tree(Typed.MAPPER.writeValueAsBytes(v));
    }

    @Test
    void opsWithoutInput() throws Exception {
        Backend b = GstAuth.backend("cshared");
        int n = 0;
        for (Method m : methods().values()) {
            if (m.getParameterCount() != 1) {
                continue;
            }
            String op = Ops.NAMES.stream().filter(o -> camel(o).equals(m.getName())).findFirst().orElseThrow();
            Outcome g = generic(b, op, TestSupport.object(), new byte[0]);
            Outcome t = typed(b, m, TestSupport.object(), new byte[0]);
            assertEquals(g.tree, t.tree, op);
            n++;
        }
        assertTrue(n >= 5, "ops without input: " + n);
        // The two ops with an input that no vector has.
        for (String provider : List.of("gstn", "oauth_client_credentials")) {
            ObjectNode in = TestSupport.object().put("provider", provider);
            assertEquals(generic(b, "session_steps", in, new byte[0]).tree,
                    typed(b, methods().get("sessionSteps"), in, new byte[0]).tree, "session_steps " + provider);
        }
        ObjectNode made = TestSupport.object().put("provider", "oauth_client_credentials").put("account", "c");
        made.putObject("config").put("token_url", "https://idp.example/token").put("client_id", "c");
        JsonNode session = generic(b, "session_new", made, new byte[0]).tree.get("session");
        ObjectNode req = TestSupport.object().put("now_ms", 1_767_225_600_000L).put("step", "client_credentials");
        req.set("session", session);
        req.putObject("credentials").put("client_secret", "s");
        JsonNode pending = generic(b, "session_request", req, new byte[0]).tree.get("session");
        for (JsonNode sess : List.of(session, pending)) { // no request in flight (an error), one in flight
            ObjectNode failed = TestSupport.object().put("now_ms", 1_767_225_601_000L);
            failed.set("session", sess);
            Outcome g = generic(b, "session_send_failed", failed, new byte[0]);
            Outcome t = typed(b, methods().get("sessionSendFailed"), failed, new byte[0]);
            assertEquals(g.error, t.error, "session_send_failed");
            if (g.error == null) {
                assertEquals(g.tree, t.tree, "session_send_failed");
            }
        }
    }

    /** Member names and node types, recursively: what two draws of a random output share. */
    static String shape(JsonNode n) {
        if (n.isObject()) {
            StringBuilder b = new StringBuilder("{");
            new TreeSet<String>(iterable(n)).forEach(k -> b.append(k).append(':').append(shape(n.get(k))).append(','));
            return b.append('}').toString();
        }
        return n.getNodeType().toString();
    }

    static List<String> iterable(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    record Outcome(JsonNode tree, String data, String error) {
    }

    static final class Unbindable extends Exception {
        private static final long serialVersionUID = 1L;

        Unbindable(String m) {
            super(m);
        }
    }

    static Outcome generic(Backend b, String op, JsonNode input, byte[] data) {
        byte[] in = TestSupport.text(input).getBytes(StandardCharsets.UTF_8);
        try {
            if (op.endsWith("_raw")) {
                RawResult r = b.callRaw(op, in, ByteBuffer.wrap(data));
                return new Outcome(TestSupport.tree(r.metaBytes()), Base64.getEncoder().encodeToString(r.data()), null);
            }
            return new Outcome(TestSupport.tree(b.call(op, in)), "", null);
        } catch (GstAuthException e) {
            return new Outcome(TestSupport.tree(e.errorJson().orElse("{}")), "", e.code());
        }
    }

    static Outcome typed(Backend b, Method m, JsonNode input, byte[] data) throws Exception {
        Class<?>[] p = m.getParameterTypes();
        List<Object> args = new ArrayList<>();
        args.add(b);
        boolean raw = p[p.length - 1] == ByteBuffer.class;
        int inputs = p.length - 1 - (raw ? 1 : 0);
        if (inputs == 1) {
            try {
                args.add(Typed.MAPPER.treeToValue(input, p[1]));
            } catch (Exception e) {
                throw new Unbindable(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            JsonNode back = asJson(args.get(1));
            if (!back.equals(TestSupport.tree(TestSupport.text(input)))) {
                // The record holds something else than the text (bad base64 read leniently into bytes): the typed
                // API cannot say what the vector says.
                throw new Unbindable("the record writes " + back + " for " + input);
            }
        } else if (!input.isEmpty()) {
            throw new Unbindable("the op takes no input, and this one has members");
        }
        if (raw) {
            args.add(ByteBuffer.wrap(data));
        }
        Object result;
        try {
            result = m.invoke(null, args.toArray());
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof GstAuthException g) {
                return new Outcome(TestSupport.object().put("message", g.getMessage()), "", g.code());
            }
            throw e;
        }
        if (m.getReturnType() == void.class) {
            return new Outcome(TestSupport.object(), "", null);
        }
        if (result instanceof byte[] bytes) {
            return new Outcome(TestSupport.object(), Base64.getEncoder().encodeToString(bytes), null);
        }
        if (result instanceof Raw<?> r) {
            return new Outcome(asJson(r.meta()), Base64.getEncoder().encodeToString(r.data()), null);
        }
        JsonNode tree = asJson(result);
        if (!(tree instanceof ObjectNode)) {
            fail(m.getName() + " gave " + tree);
        }
        return new Outcome(tree, "", null);
    }
}
