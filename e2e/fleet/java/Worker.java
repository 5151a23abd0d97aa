// The Java worker of the fleet test (e2e/fleet/README.md, "The worker contract"): one process that follows the rules
// of docs/hosts.md ("Many processes") through the Java binding and its stores, nothing else.
//
//   GSTAUTH_FLEET_CONFIG=/path/to/config.json bash e2e/fleet/java/worker.sh
//
// Each session of the configuration is a gstauth session in the configured store (file:, redis://,
// redis-cluster://), sealed with the first of seal_keys and opened with any of them, its lease held as
// "<worker>:<pid>". Every call_interval_ms (±20 %) each session makes its one API call through GstAuthHttpClient (token,
// headers, encryption, one replay after a rejected token, decryption); `calls` counts the answered ones, and an answer
// that is not ok (or no_data) is also an error. At duration_ms or on SIGTERM the worker lets the calls in flight finish
// (30 s at most), prints one line of JSON to stdout and exits: 0, or 1 when something unexpected happened (the
// summary's errors, each message once with its count). Everything else goes to stderr, one line each, prefixed with
// the worker's name.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.gstauth.CallOptions;
import io.github.gstauth.GstAuthException;
import io.github.gstauth.GstAuthHttpClient;
import io.github.gstauth.Observation;
import io.github.gstauth.Ops;
import io.github.gstauth.Session;
import io.github.gstauth.SessionStore;
import io.github.gstauth.SharedInfo;
import io.github.gstauth.Types;
import io.github.gstauth.store.Stores;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

public final class Worker {
    static final int MAX_ERRORS = 50;
    static final long JOIN_MS = 30_000;
    static final ObjectMapper JSON = Ops.mapper();
    static final PrintStream ERR = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
            StandardCharsets.UTF_8);

    final String name;
    final long durationMs;
    final long intervalMs;
    final SessionStore store;
    final List<Member> members = new ArrayList<>();
    final Map<String, Integer> errors = new LinkedHashMap<>();
    final java.util.concurrent.locks.ReentrantLock errorsLock = new java.util.concurrent.locks.ReentrantLock();
    int dropped;
    final CountDownLatch stop = new CountDownLatch(1);
    final Map<String, Long> quiet = new ConcurrentHashMap<>();

    /** One session of the configuration and its call. */
    static final class Member {
        String name;
        Session session;
        GstAuthHttpClient api;
        String method;
        String url;
        String body;
        Map<String, String> headers = new LinkedHashMap<>();
        final AtomicLong calls = new AtomicLong();
        final AtomicBoolean busy = new AtomicBoolean();
        Thread thread;
    }

    void log(String msg) {
        ERR.println(name + ": " + msg);
    }

    void error(String session, String message) {
        log("error: " + session + ": " + message);
        String key = session + ": " + message;
        errorsLock.lock();
        try {
            if (errors.containsKey(key) || errors.size() < MAX_ERRORS) {
                errors.merge(key, 1, Integer::sum);
            } else {
                dropped++;
            }
        } finally {
            errorsLock.unlock();
        }
    }

    List<String> errorList() {
        errorsLock.lock();
        try {
            List<String> out = new ArrayList<>();
            errors.forEach((m, n) -> out.add(n == 1 ? m : m + " (x" + n + ")"));
            if (dropped > 0) {
                out.add("... and " + dropped + " more errors");
            }
            return out;
        } finally {
            errorsLock.unlock();
        }
    }

    /** A store event, one line; store errors come in bursts while a store is away: one line per op every 5 s. */
    void event(String session, SharedInfo.Event e) {
        Map<String, Object> f = e.fields();
        switch (e.type()) {
            case "lease_taken" -> log(session + ": lease taken (" + f.get("ttlMs") + " ms)");
            case "lease_lost" -> log(session + ": lease lost");
            case "lease_released" -> {
                if (Boolean.TRUE.equals(f.get("held"))) {
                    log(session + ": lease released");
                }
            }
            case "wait" -> log(session + ": waiting for the " + f.get("for"));
            case "waited" -> log(session + ": waited " + f.get("waitedMs") + " ms for the " + f.get("for"));
            case "opened" -> log(session + " v" + f.get("version") + ": opened the stored session");
            case "written" -> log(session + " v" + f.get("version") + ": written");
            case "write_refused" -> log(session + ": write at v" + f.get("expected") + " refused (the store is at v"
                    + f.get("version") + "): the newer session is opened");
            case "write_over" -> log(session + ": the newer version only marked the replaced token rejected: written over v" + f.get("version"));
            case "store_reset" -> log(session + ": the store lost the record (this process was at v" + f.get("version")
                    + "); it is written again");
            case "unsaved" -> log(session + ": the store did not take the change at v" + f.get("base") + "; written when it answers");
            case "store_error" -> {
                String key = session + ":" + f.get("op");
                long now = System.currentTimeMillis();
                Long last = quiet.get(key);
                if (last == null || now - last >= 5000) {
                    quiet.put(key, now);
                    log(session + ": store " + f.get("op") + ": " + f.get("error"));
                }
            }
            default -> log(session + ": " + e.type() + " " + f);
        }
    }

    Worker(JsonNode cfg) throws IOException {
        this.name = cfg.path("worker").asText("java-worker");
        for (String field : List.of("store", "seal_keys", "sessions")) {
            if (!cfg.has(field)) {
                throw new IllegalArgumentException("the configuration has no " + field);
            }
        }
        long leaseTtlMs = cfg.path("lease_ttl_ms").asLong(30_000);
        this.durationMs = cfg.path("duration_ms").asLong(300_000);
        this.intervalMs = cfg.path("call_interval_ms").asLong(1000);
        Map<String, byte[]> ring = new LinkedHashMap<>();
        for (JsonNode k : cfg.get("seal_keys")) {
            ring.put(k.get("key_id").asText(), Base64.getDecoder().decode(k.get("key").asText()));
        }
        String holder = name + ":" + ProcessHandle.current().pid();
        this.store = Stores.open(cfg.get("store").asText());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        for (JsonNode sc : cfg.get("sessions")) {
            Member m = new Member();
            m.name = sc.get("name").asText();
            Session.Options o = Session.options()
                    .provider(Types.Provider.of(sc.get("provider").asText()))
                    .account(sc.get("account").asText())
                    .config(JSON.convertValue(sc.has("config") ? sc.get("config") : JSON.createObjectNode(), Types.Config.class))
                    .credentials(JSON.convertValue(sc.has("credentials") ? sc.get("credentials") : JSON.createObjectNode(),
                            Types.Credentials.class))
                    .sender(GstAuthHttpClient.sender(http))
                    .store(store).sealKeys(ring).holder(holder).leaseTtl(Duration.ofMillis(leaseTtlMs))
                    .waitTimeout(Duration.ofMillis(Math.max(60_000, 2 * leaseTtlMs)))
                    .onStoreEvent(e -> event(m.name, e));
            m.session = Session.of(o);
            JsonNode call = sc.path("call");
            m.method = call.path("method").asText("GET");
            m.url = call.path("url").asText("");
            if (call.hasNonNull("body")) {
                m.body = call.get("body").isTextual() ? call.get("body").asText() : JSON.writeValueAsString(call.get("body"));
            }
            if (call.get("headers") instanceof ObjectNode h) {
                for (Map.Entry<String, JsonNode> e : h.properties()) {
                    m.headers.put(e.getKey(), e.getValue().asText());
                }
            }
            CallOptions opts = new CallOptions(text(call, "ret_period"), text(call, "rtn_typ"), text(call, "userrole"), null);
            m.api = new GstAuthHttpClient(http, m.session, opts, true);
            members.add(m);
        }
    }

    static String text(JsonNode n, String k) {
        JsonNode v = n.get(k);
        return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
    }

    boolean pause(long ms) throws InterruptedException {
        return stop.await(Math.max(0, ms), TimeUnit.MILLISECONDS); // true: stopping
    }

    void apiCall(Member m) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(m.url)).timeout(Duration.ofSeconds(60));
        m.headers.forEach(b::header);
        b.method(m.method, m.body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(m.body, StandardCharsets.UTF_8));
        HttpResponse<byte[]> r = m.api.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        m.calls.incrementAndGet(); // an answered call; anything but ok or no_data is an unexpected one besides
        Observation o = GstAuthHttpClient.observation(r).orElse(null);
        if (o != null && o.ok()) {
            return;
        }
        String detail = o == null ? "not observed" : o.outcome() + (o.error() == null ? ""
                : ": " + o.error().code().code() + " " + (o.error().providerCode() == null ? "" : o.error().providerCode() + " ")
                + o.error().message());
        error(m.name, m.method + " " + m.url + " answered " + r.statusCode() + " (" + detail + ")");
    }

    void run(Member m, long deadline) {
        try {
            if (m.url.isEmpty()) {
                error(m.name, "the configuration has no call.url");
                return;
            }
            // The sessions start spread over one interval, as processes started together would drift apart anyway.
            if (pause(ThreadLocalRandom.current().nextLong(Math.max(1, intervalMs)))) {
                return;
            }
            while (System.currentTimeMillis() < deadline) {
                long t0 = System.currentTimeMillis();
                m.busy.set(true);
                try {
                    apiCall(m);
                } catch (GstAuthException e) {
                    error(m.name, "GstAuthException (" + e.code() + "): " + e.getMessage());
                } catch (IOException e) {
                    error(m.name, "the call got no response: " + e);
                } catch (RuntimeException e) {
                    error(m.name, "unexpected: " + e);
                } finally {
                    m.busy.set(false);
                }
                long next = t0 + (long) (intervalMs * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
                if (pause(next - System.currentTimeMillis())) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    Map<String, Long> calls() {
        Map<String, Long> out = new LinkedHashMap<>();
        members.forEach(m -> out.put(m.name, m.calls.get()));
        return out;
    }

    Map<String, Long> refreshes() {
        Map<String, Long> out = new LinkedHashMap<>();
        members.forEach(m -> out.put(m.name, m.session.shared().stats().get("exchanges")));
        return out;
    }

    /** Runs until the duration has passed or the stop latch opens; the summary line; the exit status. */
    int runAll() throws Exception {
        long started = System.currentTimeMillis();
        long deadline = started + durationMs;
        log("started: store " + store + ", pid " + ProcessHandle.current().pid() + ", " + members.size()
                + " sessions, every " + intervalMs + " ms for " + durationMs + " ms");
        for (Member m : members) {
            m.thread = new Thread(() -> run(m, deadline), m.name);
            m.thread.start();
        }
        long nextReport = started + 10_000;
        while (!stop.await(Math.min(1000, Math.max(0, deadline - System.currentTimeMillis())), TimeUnit.MILLISECONDS)) {
            long now = System.currentTimeMillis();
            if (now >= deadline) {
                break;
            }
            if (now >= nextReport) {
                nextReport = now + 10_000;
                StringBuilder b = new StringBuilder("progress:");
                for (Member m : members) {
                    SharedInfo i = m.session.shared();
                    b.append(' ').append(m.name).append(' ').append(m.calls.get()).append(" calls, ")
                            .append(i.stats().get("exchanges")).append(" refreshes, v").append(i.version()).append(';');
                }
                log(b.toString());
            }
        }
        stop.countDown();
        long joinBy = System.currentTimeMillis() + JOIN_MS;
        for (Member m : members) {
            m.thread.join(Math.max(1, joinBy - System.currentTimeMillis()));
            if (m.thread.isAlive()) {
                error(m.name, "its call did not end within " + JOIN_MS / 1000 + " s of the stop");
            }
        }
        List<String> errs = errorList();
        ObjectNode summary = JSON.createObjectNode();
        summary.put("worker", name);
        summary.put("language", "java");
        summary.set("calls", JSON.valueToTree(calls()));
        summary.set("refreshes", JSON.valueToTree(refreshes()));
        summary.set("errors", JSON.valueToTree(errs));
        Map<String, Object> stats = new LinkedHashMap<>();
        members.forEach(m -> stats.put(m.name, m.session.shared().stats()));
        log("done: " + stats);
        System.out.println(JSON.writeValueAsString(summary));
        System.out.flush();
        try {
            store.close();
        } catch (IOException | RuntimeException e) {
            log("closing the store: " + e);
        }
        return errs.isEmpty() ? 0 : 1;
    }

    public static void main(String[] args) {
        String path = System.getenv("GSTAUTH_FLEET_CONFIG");
        Worker w;
        try {
            if (path == null || path.isEmpty()) {
                throw new IllegalArgumentException("GSTAUTH_FLEET_CONFIG names no configuration file");
            }
            w = new Worker(JSON.readTree(Files.readAllBytes(Path.of(path))));
        } catch (Exception e) {
            ERR.println("java-worker: " + e);
            System.out.println("{\"worker\":\"java-worker\",\"language\":\"java\",\"calls\":{},\"refreshes\":{},\"errors\":["
                    + JSON.valueToTree(String.valueOf(e)) + "]}");
            System.exit(1);
            return;
        }
        // SIGTERM runs the shutdown hooks: this one stops the calls, waits for the summary and sets the exit status.
        AtomicBoolean finished = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        int[] status = {1};
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (finished.get()) {
                return;
            }
            w.log("stopping (SIGTERM)");
            w.stop.countDown();
            try {
                done.await(JOIN_MS + 10_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(status[0]);
        }));
        try {
            status[0] = w.runAll();
        } catch (Exception e) {
            w.log("unexpected: " + e);
            status[0] = 1;
        } finally {
            done.countDown();
        }
        finished.set(true);
        System.exit(status[0]);
    }
}
