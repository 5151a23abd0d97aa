package io.github.gstauth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.gstauth.internal.Typed;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One authenticated account of one provider, driven through the core the way docs/hosts.md says. Each provider has
 * its class ({@link GstnSession}, {@link EInvoiceSession}, {@link EWayBillSession},
 * {@link OAuthClientCredentialsSession}, ...) with its steps as methods.
 *
 * <pre>{@code
 * HttpClient http = HttpClient.newHttpClient();
 * OAuthClientCredentialsSession s = new OAuthClientCredentialsSession(Session.options()
 *         .account("my-client")
 *         .config(new Types.Config().withTokenUrl(idp + "/token").withClientId("my-client"))
 *         .credentials(new Types.Credentials().withClientSecret(secret))
 *         .sender(GstAuthHttpClient.sender(http)));
 * String token = s.ensure();   // refreshed or renewed first when the core says so
 * }</pre>
 *
 * <p><b>Threads.</b> A session is thread-safe and made for many threads, virtual or not: the state is replaced under a
 * short state lock held only around a core op (never around I/O), and refreshes are single flight under a refresh
 * lock (a {@link Semaphore}: no thread is pinned while it waits). When the token is due, one caller refreshes while
 * the others keep using it; when it is unusable, the others wait for the one renewal, at most
 * {@link Options#waitTimeout(Duration)}. No method holds a monitor.
 *
 * <p><b>Secrets.</b> Credentials (client secret, password, public key, OTP) go to the core with each decision and
 * request; they are never part of the session's state. The state holds tokens and keys: store it sealed
 * ({@link #seal(byte[], String)}, {@link #open(String, Map, Options)}), e.g. from the change callback.
 */
public class Session {
    private static final long NO_CLOCK = Long.MIN_VALUE;

    private final ReentrantLock stateLock = new ReentrantLock();
    private final Semaphore refreshLock = new Semaphore(1);
    private volatile ObjectNode state;
    private volatile ObjectNode credentials;
    private final Backend backend;
    private final Sender sender;
    private final Clock clock;
    private final Duration waitTimeout;
    private final Consumer<Session> onChange;
    private final CertificateLoader loadCertificate;
    final Shared shared;

    /** Loads the provider's current public certificate (PEM) when the one in the credentials is stale. */
    @FunctionalInterface
    public interface CertificateLoader {
        String load() throws IOException, InterruptedException;
    }

    /** A session of the provider in the options (the provider classes fix theirs). */
    public Session(Options options) {
        this(options, null);
    }

    /** For the provider classes: their provider, which the options may not contradict. */
    @SuppressWarnings("this-escape") // the store link keeps the reference; it calls no method of the session here
    protected Session(Options options, Types.Provider fixed) {
        Objects.requireNonNull(options, "options");
        this.backend = options.backend != null ? options.backend : GstAuth.backend();
        this.sender = options.sender;
        this.clock = options.clock != null ? options.clock : Clock.systemUTC();
        this.waitTimeout = options.waitTimeout != null ? options.waitTimeout : Duration.ofSeconds(60);
        if (waitTimeout.isNegative()) {
            throw new IllegalArgumentException("waitTimeout is negative");
        }
        this.onChange = options.onChange;
        this.loadCertificate = options.loadCertificate;
        this.credentials = options.credentials != null ? (ObjectNode) Typed.MAPPER.valueToTree(options.credentials)
                : Typed.MAPPER.createObjectNode();
        Types.Provider provider = options.provider;
        if (options.state != null) {
            Types.Provider stated = Types.Provider.of(options.state.path("provider").asText());
            if (provider != null && provider != stated) {
                throw new IllegalArgumentException("the state is a " + stated + " session, not " + provider);
            }
            provider = stated;
        }
        if (provider == null) {
            provider = fixed;
        }
        if (provider == null) {
            throw new IllegalArgumentException("a provider is required");
        }
        if (fixed != null && provider != fixed) {
            throw new IllegalArgumentException("a " + getClass().getSimpleName() + " is a " + fixed + " session, not "
                    + provider);
        }
        if (options.state == null) {
            Objects.requireNonNull(options.account, "account");
            ObjectNode in = Typed.MAPPER.createObjectNode();
            in.put("account", options.account);
            in.put("provider", provider.wire());
            in.set("config", options.config != null ? Typed.MAPPER.valueToTree(options.config) : Typed.MAPPER.createObjectNode());
            this.state = (ObjectNode) call(backend, "session_new", in).get("session");
        } else {
            ObjectNode in = Typed.MAPPER.createObjectNode();
            in.set("session", options.state);
            in.put("now_ms", clock.millis());
            call(backend, "session_plan", in); // the core checks it
            this.state = options.state.deepCopy();
        }
        this.shared = options.store != null ? new Shared(this, options, backend, state, provider) : null;
        if (options.store == null && options.storeOptionsSet) {
            throw new IllegalArgumentException("sealKeys, holder, leaseTtl and pollInterval are options of a session with a store");
        }
    }

    /** New options, to give a session's constructor. */
    public static Options options() {
        return new Options();
    }

    // --- the state ------------------------------------------------------------------------------------------

    /** The provider. */
    public Types.Provider provider() {
        return Types.Provider.of(state.get("provider").asText());
    }

    /** The account (a GSTIN and user, a client id). */
    public String account() {
        return state.get("account").asText();
    }

    /** The session's state as its record (a copy). It holds tokens and keys: seal it to store it. */
    public Types.SessionState state() {
        return Typed.MAPPER.convertValue(state, Types.SessionState.class);
    }

    /** The session's state as JSON text. */
    public String stateJson() {
        return state.toString();
    }

    /** The current access token, valid or not ("" when there is none): {@link #ensure()} gives a usable one. */
    public String accessToken() {
        return state.path("access_token").asText("");
    }

    /** The backend the session's ops run on. */
    public Backend backend() {
        return backend;
    }

    /** The host clock the session reads. */
    public Clock clock() {
        return clock;
    }

    /** The longest a caller waits for another caller's renewal of the token. */
    public Duration waitTimeout() {
        return waitTimeout;
    }

    /** The credentials sent to the core with each decision and request (a copy). */
    public Types.Credentials credentials() {
        return Typed.MAPPER.convertValue(credentials, Types.Credentials.class);
    }

    /** Replaces the credentials (a rotated client secret, a new certificate). */
    public void credentials(Types.Credentials credentials) {
        this.credentials = (ObjectNode) Typed.MAPPER.valueToTree(Objects.requireNonNull(credentials, "credentials"));
    }

    final long nowMs() {
        return clock.millis();
    }

    /** The raw state node (never changed in place: every change replaces it). */
    ObjectNode stateNode() {
        return state;
    }

    void replaceState(ObjectNode s) {
        stateLock.lock();
        try {
            state = s;
        } finally {
            stateLock.unlock();
        }
    }

    // --- ops ------------------------------------------------------------------------------------------------

    final JsonNode op(String op, ObjectNode input) {
        return call(backend, op, input);
    }

    static JsonNode call(Backend backend, String op, ObjectNode input) {
        byte[] out = backend.call(op, Typed.encode(input));
        try {
            return Typed.MAPPER.readTree(out);
        } catch (IOException e) {
            throw Errors.host(ErrorCode.INTERNAL, op + ": the output is not JSON");
        }
    }

    /**
     * Runs an op on the state and keeps the session it returns, under the state lock (held around the op only): two
     * threads never write back stale copies.
     */
    JsonNode apply(String op, Function<ObjectNode, ObjectNode> input) {
        stateLock.lock();
        try {
            ObjectNode in = input.apply(Typed.MAPPER.createObjectNode());
            in.set("session", state);
            JsonNode out = op(op, in);
            JsonNode s = out.get("session");
            if (s instanceof ObjectNode o) {
                state = o;
            }
            return out;
        } finally {
            stateLock.unlock();
        }
    }

    void changed() {
        if (onChange != null) {
            onChange.accept(this);
        }
    }

    // --- the planner and single exchanges ---------------------------------------------------------------------

    /** What to do with the session now: use, refresh, renew or user_action, and why. */
    public Types.Plan plan() {
        return plan(nowMs());
    }

    /** What to do with the session at an instant (Unix ms). */
    public Types.Plan plan(long atMs) {
        ObjectNode in = Typed.MAPPER.createObjectNode();
        in.set("session", state);
        in.put("now_ms", atMs);
        return Typed.MAPPER.convertValue(op("session_plan", in), Types.Plan.class);
    }

    /** The steps this session's provider has. */
    public java.util.List<Types.Step> steps() {
        return Ops.sessionSteps(backend, new Ops.SessionStepsInput(provider())).steps();
    }

    /**
     * Builds the request of a step (null: the one the planner calls for) and records it in the session, for an
     * application that sends it itself and hands the answer to {@link #handle}.
     */
    public Types.HTTPRequest build(Types.Step step, Types.Credentials extra, Map<String, String> params) {
        JsonNode out = apply("session_request", in -> {
            in.put("now_ms", nowMs());
            if (step != null) {
                in.put("step", step.wire());
            }
            in.set("credentials", merged(extra));
            if (params != null) {
                in.set("params", Typed.MAPPER.valueToTree(params));
            }
            return in;
        });
        return Typed.MAPPER.convertValue(out.get("request"), Types.HTTPRequest.class);
    }

    /**
     * Hands the answer to the request in flight back to the core; the session is updated (and the change callback
     * called) either way, then a provider failure is thrown.
     */
    public Types.Outcome handle(Types.HTTPResponse response, long sentAtMs) throws InterruptedException {
        JsonNode out = respond(response, sentAtMs);
        changed();
        if (shared != null) {
            shared.commit(null);
        }
        if (out.hasNonNull("error")) {
            throw Errors.of(out.get("error"));
        }
        return Types.Outcome.of(out.get("outcome").asText());
    }

    JsonNode respond(Types.HTTPResponse response, long sentAtMs) {
        long received = Math.max(nowMs(), sentAtMs);
        return apply("session_response", in -> {
            in.set("response", Typed.MAPPER.valueToTree(response));
            in.put("received_at_ms", received);
            if (sentAtMs > 0) {
                in.put("sent_at_ms", sentAtMs);
            }
            return in;
        });
    }

    private ObjectNode merged(Types.Credentials extra) {
        ObjectNode c = credentials.deepCopy();
        if (extra != null) {
            c.setAll((ObjectNode) Typed.MAPPER.valueToTree(extra));
        }
        return c;
    }

    Sender sender(Sender override) {
        Sender s = override != null ? override : sender;
        if (s == null) {
            s = GstAuthHttpClient.defaultSender();
        }
        return s;
    }

    /**
     * Builds a step's request, sends it and hands the answer back (throwing a provider failure), with the refresh
     * lock held so that no refresh runs meanwhile. A stale certificate is replaced through the certificate loader and
     * the step sent once more.
     *
     * @param step   the step
     * @param extra  credentials for this step only (an OTP, an authorization code), over the session's; or null
     * @param params the step's non-secret arguments, or null
     */
    public Types.Outcome exchange(Types.Step step, Types.Credentials extra, Map<String, String> params)
            throws IOException, InterruptedException {
        Objects.requireNonNull(step, "step");
        Sender s = sender(null);
        long deadline = System.nanoTime() + waitTimeout.toNanos();
        if (!refreshLock.tryAcquire(waitTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
            throw Errors.host(ErrorCode.TOKEN_EXPIRED, "timed out waiting for another caller's renewal of the token");
        }
        try {
            if (shared == null) {
                return step(step, s, extra, params, null);
            }
            return shared.underLease(deadline, "the lease of the session for the step " + step,
                    () -> step(step, s, extra, params, shared::extend));
        } finally {
            refreshLock.release();
        }
    }

    private Types.Outcome step(Types.Step step, Sender s, Types.Credentials extra, Map<String, String> params,
                               Shared.BeforeSend beforeSend) throws IOException, InterruptedException {
        for (boolean reloaded = false; ; reloaded = true) {
            if (beforeSend != null && !beforeSend.ok()) {
                throw Errors.host(ErrorCode.TOKEN_EXPIRED, "the lease was lost before the step " + step);
            }
            long sent = nowMs();
            Types.HTTPRequest request = build(step, extra, params);
            Types.HTTPResponse response = s.send(request);
            if (shared != null) {
                shared.stats.exchanges.incrementAndGet();
            }
            JsonNode out = respond(response, sent);
            changed();
            String outcome = out.get("outcome").asText();
            if (outcome.equals("stale_certificate") && !reloaded && loadCertificate != null) {
                reloadCertificate();
                continue;
            }
            if (out.hasNonNull("error")) {
                throw Errors.of(out.get("error"));
            }
            return Types.Outcome.of(outcome);
        }
    }

    void reloadCertificate() throws IOException, InterruptedException {
        String pem = Objects.requireNonNull(loadCertificate.load(), "the certificate the loader gave");
        ObjectNode c = credentials.deepCopy();
        c.put("public_key", pem);
        credentials = c;
    }

    boolean canReloadCertificate() {
        return loadCertificate != null;
    }

    // --- the refresh loop (docs/hosts.md) ------------------------------------------------------------------

    JsonNode decide(String stage, int attempts) {
        return apply("session_ensure", in -> {
            in.put("now_ms", nowMs());
            in.put("stage", stage);
            in.put("attempts", attempts);
            in.set("credentials", credentials);
            return in;
        });
    }

    static String token(JsonNode d) {
        return d.path("access_token").asText("");
    }

    /**
     * A usable access token, refreshed or renewed first when the core says so. Single flight: when the token is due,
     * one caller refreshes while the others keep using it; when it is unusable, the others wait (at most the wait
     * timeout) for the one renewal.
     *
     * @throws GstAuthException {@code user_action_required} when a person must act (an OTP), {@code rate_limited}
     *                          during a backoff, {@code token_expired} when the wait for another caller's renewal
     *                          ran out, a provider's failure when the renewal failed
     * @throws InterruptedException the thread was interrupted while waiting or sending
     */
    public String ensure() throws InterruptedException {
        return ensure(null);
    }

    /** {@link #ensure()} with the session's own exchanges carried by this sender. */
    public String ensure(Sender send) throws InterruptedException {
        Sender s = sender(send);
        if (shared != null) {
            return shared.ensure(s);
        }
        JsonNode d = decide("check", 0);
        switch (d.get("move").asText()) {
            case "use":
                return token(d);
            case "fail":
                throw Errors.of(d.get("error"));
            case "refresh":
                if (!refreshLock.tryAcquire()) {
                    return token(d); // someone is refreshing; the token is still valid
                }
                break;
            case "renew":
                if (!refreshLock.tryAcquire(waitTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                    throw Errors.host(ErrorCode.TOKEN_EXPIRED, "timed out waiting for another caller's renewal of the token");
                }
                break;
            default:
                throw Errors.host(ErrorCode.INTERNAL, "the core answered an unexpected move " + d.get("move"));
        }
        try {
            return locked(s, null);
        } finally {
            refreshLock.release();
        }
    }

    /**
     * The locked loop: ask the core, send what it says, hand the answer back, until it says use or fail. A
     * {@code beforeSend} that answers false (with a store: the lease could not be extended) stops it before a send.
     */
    String locked(Sender s, Shared.BeforeSend beforeSend) throws InterruptedException {
        boolean reloaded = false;
        Exception cause = null;
        for (int attempts = 0; ; attempts++) {
            JsonNode d = decide("locked", attempts);
            String move = d.get("move").asText();
            if (move.equals("use")) {
                return token(d);
            }
            if (move.equals("fail")) {
                GstAuthException e = Errors.of(d.get("error"));
                if (cause != null) {
                    e.initCause(cause);
                }
                throw e;
            }
            if (!move.equals("send") || !d.hasNonNull("request")) {
                throw Errors.host(ErrorCode.INTERNAL, "the core answered an unexpected move " + move);
            }
            if (beforeSend != null && !beforeSend.ok()) {
                throw new Shared.LeaseLost();
            }
            Types.HTTPRequest request = Typed.MAPPER.convertValue(d.get("request"), Types.HTTPRequest.class);
            long sent = nowMs();
            if (shared != null) {
                shared.stats.exchanges.incrementAndGet();
            }
            Types.HTTPResponse response;
            try {
                response = s.send(request);
            } catch (IOException | RuntimeException e) {
                // No answer at all: the core drops the request and backs off, and decides next (a still-valid token
                // is used; otherwise the failure, with this as its cause).
                apply("session_send_failed", in -> in.put("now_ms", nowMs()));
                changed();
                cause = e;
                continue;
            } catch (InterruptedException e) {
                apply("session_send_failed", in -> in.put("now_ms", nowMs()));
                changed();
                throw e;
            }
            cause = null;
            JsonNode out = respond(response, sent);
            changed();
            if (out.get("outcome").asText().equals("stale_certificate")) {
                if (reloaded || loadCertificate == null) {
                    return tokenDespite(Errors.of(out.get("error")));
                }
                try {
                    reloadCertificate();
                } catch (IOException e) {
                    return tokenDespite(Errors.of(out.get("error")));
                }
                reloaded = true;
            }
        }
    }

    private String tokenDespite(GstAuthException cause) {
        JsonNode d = decide("check", 0);
        String move = d.get("move").asText();
        if (move.equals("use") || move.equals("refresh")) {
            return token(d);
        }
        throw cause;
    }

    /**
     * The token to use now, without sending anything.
     *
     * @throws GstAuthException when a person must act, during a backoff, or {@code token_expired} when the token
     *                          must be renewed first
     */
    public String currentToken() {
        JsonNode d = decide("check", 0);
        String move = d.get("move").asText();
        if (move.equals("use") || move.equals("refresh")) {
            return token(d);
        }
        if (move.equals("fail")) {
            throw Errors.of(d.get("error"));
        }
        throw Errors.host(ErrorCode.TOKEN_EXPIRED, d.path("plan").path("message").asText("the token must be renewed"));
    }

    /**
     * Returns once no refresh of this session is in flight (waiting at most the wait timeout). A call rejected while
     * its token was being refreshed waits for that refresh before it asks for a token again: a provider may end the
     * old token when it issues the new one.
     */
    void awaitRefreshSettled() throws InterruptedException {
        if (refreshLock.availablePermits() == 0
                && refreshLock.tryAcquire(waitTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
            refreshLock.release();
        }
    }

    Semaphore refreshLock() {
        return refreshLock;
    }

    // --- ordinary API calls ------------------------------------------------------------------------------------

    /** A snapshot of the session for one call: its headers, encryption and decryption all use it. */
    public final class Call {
        private final ObjectNode snapshot;

        Call(ObjectNode snapshot) {
            this.snapshot = snapshot;
        }

        /** The token this call carries. */
        public String accessToken() {
            return snapshot.path("access_token").asText("");
        }

        /** The headers of the call (GSTN returns calls: a return period, a return type, a user role). */
        public Map<String, String> headers(CallOptions options) {
            return headersFor(snapshot, options);
        }

        /** The request body with its payload encrypted for this snapshot (unchanged where nothing is encrypted). */
        public byte[] encrypt(byte[] body) {
            return raw("session_encrypt_body_raw", snapshot, body);
        }

        /** A successful answer's body with its payload decrypted under this snapshot's key (its HMAC checked). */
        public byte[] decrypt(byte[] body) {
            return raw("session_decrypt_body_raw", snapshot, body);
        }
    }

    /** A snapshot of the session as it is now, for one call. */
    public Call call() {
        return new Call(state);
    }

    Map<String, String> headersFor(ObjectNode snapshot, CallOptions options) {
        ObjectNode in = Typed.MAPPER.createObjectNode();
        in.set("session", snapshot);
        in.set("credentials", credentials);
        if (options != null) {
            putIf(in, "ret_period", options.retPeriod());
            putIf(in, "rtn_typ", options.rtnTyp());
            putIf(in, "userrole", options.userrole());
            putIf(in, "txn", options.txn());
        }
        JsonNode h = op("session_headers", in).get("headers");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : h.properties()) {
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static void putIf(ObjectNode in, String k, String v) {
        if (v != null) {
            in.put(k, v);
        }
    }

    private byte[] raw(String op, ObjectNode snapshot, byte[] body) {
        ObjectNode in = Typed.MAPPER.createObjectNode();
        in.set("session", snapshot);
        return backend.callRaw(op, Typed.encode(in), ByteBuffer.wrap(body)).data();
    }

    /** The headers of an ordinary API call with the session's token as it is now. */
    public Map<String, String> headers(CallOptions options) {
        return headersFor(state, options);
    }

    /** A request body with its payload encrypted for the session as it is now. */
    public byte[] encryptBody(byte[] body) {
        return raw("session_encrypt_body_raw", state, body);
    }

    /** A successful answer's body with its payload decrypted under the session as it is now. */
    public byte[] decryptBody(byte[] body) {
        return raw("session_decrypt_body_raw", state, body);
    }

    /** The encrypted members a request body carries for a JSON payload (GSTN data and hmac, NIC Data). */
    public JsonNode encrypt(String payloadJson) {
        ObjectNode in = Typed.MAPPER.createObjectNode();
        in.set("session", state);
        byte[] out = backend.callRaw("session_encrypt_payload_raw", Typed.encode(in),
                ByteBuffer.wrap(payloadJson.getBytes(java.nio.charset.StandardCharsets.UTF_8))).data();
        try {
            return Typed.MAPPER.readTree(out);
        } catch (IOException e) {
            throw Errors.host(ErrorCode.INTERNAL, "session_encrypt_payload_raw: not JSON");
        }
    }

    /** The decrypted payload of a response body, as JSON text; a failure the body reports is thrown. */
    public String decrypt(byte[] body) {
        ObjectNode in = Typed.MAPPER.createObjectNode();
        in.set("session", state);
        return new String(backend.callRaw("session_decrypt_payload_raw", Typed.encode(in), ByteBuffer.wrap(body)).data(),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * After an ordinary API call: measures the clock skew, classifies the answer (the error catalogue) and marks a
     * rejected token. {@code accessToken} is the token the call was made with. The change callback runs when the
     * session learnt more than the clock (a rejected token).
     */
    public Observation observe(Types.HTTPResponse response, long sentAtMs, long receivedAtMs, String accessToken) {
        ObjectNode before = state;
        JsonNode out = apply("session_observe", in -> {
            in.set("response", Typed.MAPPER.valueToTree(response));
            in.put("sent_at_ms", sentAtMs);
            in.put("received_at_ms", Math.max(receivedAtMs, sentAtMs));
            if (accessToken != null) {
                in.put("access_token", accessToken);
            }
            return in;
        });
        if (learnt(state, before)) {
            changed();
            if (shared != null) {
                shared.publish(s -> {
                    ObjectNode in = Typed.MAPPER.createObjectNode();
                    in.set("session", s);
                    in.set("response", Typed.MAPPER.valueToTree(response));
                    in.put("sent_at_ms", sentAtMs);
                    in.put("received_at_ms", Math.max(receivedAtMs, sentAtMs));
                    if (accessToken != null) {
                        in.put("access_token", accessToken);
                    }
                    ObjectNode again = (ObjectNode) op("session_observe", in).get("session");
                    return learnt(again, s) ? again : null;
                });
            }
        }
        Types.ErrorInfo error = out.hasNonNull("error")
                ? Typed.MAPPER.convertValue(out.get("error"), Types.ErrorInfo.class) : null;
        return new Observation(Types.Outcome.of(out.get("outcome").asText()), error);
    }

    static boolean learnt(JsonNode a, JsonNode b) {
        return a.path("rejected").asBoolean(false) != b.path("rejected").asBoolean(false)
                || !a.path("last_error").equals(b.path("last_error"));
    }

    // --- sealing -------------------------------------------------------------------------------------------

    /** The session sealed (XChaCha20-Poly1305) under a 32-byte key, for storage. */
    public String seal(byte[] key, String keyId) {
        return sealState(state, key, keyId);
    }

    String sealState(ObjectNode s, byte[] key, String keyId) {
        ObjectNode in = Typed.MAPPER.createObjectNode();
        in.set("session", s);
        in.put("key", Base64.getEncoder().encodeToString(Objects.requireNonNull(key, "key")));
        in.put("key_id", Objects.requireNonNull(keyId, "keyId"));
        return op("session_seal", in).get("sealed").asText();
    }

    static ObjectNode openState(Backend backend, String sealed, Map<String, byte[]> keys, Types.Provider provider,
                                String account) {
        ObjectNode in = Typed.MAPPER.createObjectNode();
        in.put("sealed", Objects.requireNonNull(sealed, "sealed"));
        ArrayNode ring = in.putArray("keys");
        for (Map.Entry<String, byte[]> e : Objects.requireNonNull(keys, "keys").entrySet()) {
            ring.addObject().put("key_id", e.getKey()).put("key", Base64.getEncoder().encodeToString(e.getValue()));
        }
        if (provider != null) {
            in.put("provider", provider.wire());
        }
        if (account != null) {
            in.put("account", account);
        }
        byte[] out = backend.call("session_open", Typed.encode(in));
        try {
            return (ObjectNode) Typed.MAPPER.readTree(out).get("session");
        } catch (IOException e) {
            throw Errors.host(ErrorCode.INTERNAL, "session_open: not JSON");
        }
    }

    /**
     * Opens a sealed session with a keyring (key id → 32-byte key) as the instance of its provider's class; the
     * options give everything but the state (their account and provider, when set, must match).
     */
    public static Session open(String sealed, Map<String, byte[]> keys, Options options) {
        Backend b = options.backend != null ? options.backend : GstAuth.backend();
        ObjectNode s = openState(b, sealed, keys, options.provider, options.account);
        return forState(options.copy().state(s));
    }

    /**
     * A session of the options' provider (or of their state's), as the instance of that provider's class
     * ({@link GstnSession} for gstn, {@link EInvoiceSession} for nic_einvoice, ...).
     */
    public static Session of(Options options) {
        Options o = options.copy();
        if (o.state == null) {
            if (o.provider == null) {
                throw new IllegalArgumentException("a provider is required");
            }
            o.state = null;
            Types.Provider p = o.provider;
            o.provider = null;
            return construct(p, o);
        }
        return forState(o);
    }

    /** The session of the provider the options' state names, as the instance of that provider's class. */
    static Session forState(Options o) {
        Types.Provider p = Types.Provider.of(o.state.get("provider").asText());
        o.provider = null;
        return construct(p, o);
    }

    private static Session construct(Types.Provider p, Options o) {
        return switch (p) {
            case GSTN -> new GstnSession(o);
            case GATEWAY_TASK -> new GatewayTaskSession(o);
            case NIC_EINVOICE -> new EInvoiceSession(o);
            case NIC_EWAYBILL -> new EWayBillSession(o);
            case OAUTH_CLIENT_CREDENTIALS -> new OAuthClientCredentialsSession(o);
            case OAUTH_PASSWORD -> new OAuthPasswordSession(o);
            case OAUTH_AUTHORIZATION_CODE -> new AuthorizationCodeSession(o);
            case WHITEBIT -> new WhiteBITSession(o);
            case WHITEBIT_FAST_KEY -> new WhiteBITFastKeySession(o);
        };
    }

    /** A change that is not an exchange, made on the state (through the store when the session has one). */
    JsonNode change(String op, Function<ObjectNode, ObjectNode> input) throws InterruptedException {
        JsonNode out = shared != null ? shared.commit(() -> apply(op, input)) : apply(op, input);
        changed();
        return out;
    }

    // --- the store ---------------------------------------------------------------------------------------------

    /** With a store: the record's names, the version held, the lease holder's name and the counts; else null. */
    public SharedInfo shared() {
        return shared == null ? null : shared.info();
    }

    /** With a store: reads the record and opens it when it is newer; the version the state is at (0 without). */
    public long pull() throws InterruptedException {
        if (shared == null) {
            return 0;
        }
        shared.pull(false);
        return shared.version;
    }

    /**
     * With a store: writes the state as it is (a session made or opened here, not yet stored) under the lease, at
     * the version it was read at; a refused write opens the stored session instead. Whether it was written.
     */
    public boolean save() throws InterruptedException {
        if (shared == null) {
            throw new IllegalStateException("save() needs a session with a store");
        }
        long before = shared.stats.writes.get();
        shared.commit(null);
        return shared.stats.writes.get() > before;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + provider() + " " + account() + "]";
    }

    static String json(Object o) {
        try {
            return Typed.MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The options of a session: everything but the account and config is optional. */
    public static final class Options {
        String account;
        Types.Provider provider;
        Types.Config config;
        Types.Credentials credentials;
        Sender sender;
        Backend backend;
        Clock clock;
        Duration waitTimeout;
        Consumer<Session> onChange;
        CertificateLoader loadCertificate;
        ObjectNode state;
        SessionStore store;
        Map<String, byte[]> sealKeys;
        String sealKeyId;
        String holder;
        Duration leaseTtl;
        Duration pollInterval;
        Consumer<SharedInfo.Event> onStoreEvent;
        boolean storeOptionsSet;

        Options() {
        }

        Options copy() {
            Options o = new Options();
            o.account = account;
            o.provider = provider;
            o.config = config;
            o.credentials = credentials;
            o.sender = sender;
            o.backend = backend;
            o.clock = clock;
            o.waitTimeout = waitTimeout;
            o.onChange = onChange;
            o.loadCertificate = loadCertificate;
            o.state = state;
            o.store = store;
            o.sealKeys = sealKeys;
            o.sealKeyId = sealKeyId;
            o.holder = holder;
            o.leaseTtl = leaseTtl;
            o.pollInterval = pollInterval;
            o.onStoreEvent = onStoreEvent;
            o.storeOptionsSet = storeOptionsSet;
            return o;
        }

        /** Who the session is for (a GSTIN and user, a client id). */
        public Options account(String account) {
            this.account = account;
            return this;
        }

        /** The provider (the provider classes fix theirs). */
        public Options provider(Types.Provider provider) {
            this.provider = provider;
            return this;
        }

        /** The provider's configuration (URLs, client id, GSTIN, user). */
        public Options config(Types.Config config) {
            this.config = config;
            return this;
        }

        /** The secrets the requests need; sent to the core with each request, never stored in the session. */
        public Options credentials(Types.Credentials credentials) {
            this.credentials = credentials;
            return this;
        }

        /** Carries the session's own exchanges (auth, refresh); default: a plain {@code HttpClient}. */
        public Options sender(Sender sender) {
            this.sender = sender;
            return this;
        }

        /** The backend the ops run on; default: {@link GstAuth#backend()}. */
        public Options backend(Backend backend) {
            this.backend = backend;
            return this;
        }

        /** The host clock; default: {@link Clock#systemUTC()}. */
        public Options clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** How long a caller waits for another caller's renewal of the token; default 60 s. */
        public Options waitTimeout(Duration waitTimeout) {
            this.waitTimeout = waitTimeout;
            return this;
        }

        /** Called with the session after every change of its state (store its {@link #seal} there). */
        public Options onChange(Consumer<Session> onChange) {
            this.onChange = onChange;
            return this;
        }

        /** Loads the provider's current certificate (PEM) when the one in the credentials is stale. */
        public Options loadCertificate(CertificateLoader loader) {
            this.loadCertificate = loader;
            return this;
        }

        /** A session's state to go on from (its JSON text), instead of a new session. */
        public Options state(String stateJson) {
            try {
                return state((ObjectNode) Typed.MAPPER.readTree(stateJson));
            } catch (IOException | ClassCastException e) {
                throw new IllegalArgumentException("the state is not a JSON object", e);
            }
        }

        /** A session's state to go on from, as its record. */
        public Options state(Types.SessionState state) {
            return state((ObjectNode) Typed.MAPPER.valueToTree(state));
        }

        Options state(ObjectNode state) {
            this.state = state;
            return this;
        }

        /** The shared store the session lives in (docs/hosts.md, "Many processes"). */
        public Options store(SessionStore store) {
            this.store = store;
            return this;
        }

        /**
         * The sealing keyring of a session with a store: the first key seals, every key opens (key rotation across
         * a fleet). Iteration order matters: pass a {@link java.util.LinkedHashMap}.
         */
        public Options sealKeys(Map<String, byte[]> keys) {
            this.sealKeys = keys;
            this.storeOptionsSet = true;
            return this;
        }

        /** The lease holder's name (unique to the process); default: host name and pid. */
        public Options holder(String holder) {
            this.holder = holder;
            this.storeOptionsSet = true;
            return this;
        }

        /** The lease's time to live: a little above the longest exchange; default 30 s. */
        public Options leaseTtl(Duration ttl) {
            this.leaseTtl = ttl;
            this.storeOptionsSet = true;
            return this;
        }

        /** How often a caller waiting for another process's renewal reads the store; default 200 ms. */
        public Options pollInterval(Duration interval) {
            this.pollInterval = interval;
            this.storeOptionsSet = true;
            return this;
        }

        /** Told of the store's events (a lease taken or lost, a wait, a write refused, a store failure). */
        public Options onStoreEvent(Consumer<SharedInfo.Event> listener) {
            this.onStoreEvent = listener;
            this.storeOptionsSet = true;
            return this;
        }
    }
}
