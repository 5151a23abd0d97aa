package io.github.gstauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.gstauth.internal.Typed;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A session's link to its record in a shared store, and the rules of docs/hosts.md ("Many processes") around it:
 * <ul>
 * <li>before each decision, the record is read and a newer version opened with the keyring (poll);</li>
 * <li>at the margin (refresh), the caller that gets both the refresh lock and the store's lease refreshes, and every
 * other caller, in this process or another, uses the still-valid token without waiting;</li>
 * <li>with an unusable token (renew), callers wait, bounded and told, until a newer version is stored or the lease is
 * theirs;</li>
 * <li>under the lease: read again, the locked loop with the lease extended before each send, then one compare-and-set
 * write at the version read; a refused write (the lease expired under a stall) opens the newer session instead, and
 * the lease is released.</li>
 * </ul>
 * Every change of the state is written under the lease: a refresh, a step (an OTP given to any process), a rejection
 * seen on an API call (when the lease is free: its holder is renewing anyway). A store that fails never fails a call a
 * still-valid token can serve: a failed store call counts as a refusal and is told as a {@code store_error}.
 */
final class Shared {
    /** Before a send under the lease: false when the lease could not be extended. */
    @FunctionalInterface
    interface BeforeSend {
        boolean ok();
    }

    /** A body run under the lease. */
    @FunctionalInterface
    interface Body<T> {
        T run() throws IOException, InterruptedException;
    }

    /** The lease was lost during a locked loop (an extend refused): stop before the next send. */
    static final class LeaseLost extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LeaseLost() {
            super("the lease was lost", null, false, false);
        }
    }

    static final class Stats {
        final AtomicLong reads = new AtomicLong();
        final AtomicLong opened = new AtomicLong();
        final AtomicLong leasesTaken = new AtomicLong();
        final AtomicLong leasesRefused = new AtomicLong();
        final AtomicLong leasesLost = new AtomicLong();
        final AtomicLong exchanges = new AtomicLong();
        final AtomicLong writes = new AtomicLong();
        final AtomicLong writesRefused = new AtomicLong();
        final AtomicLong waits = new AtomicLong();
        final AtomicLong waitedMs = new AtomicLong();
        final AtomicLong storeErrors = new AtomicLong();

        Map<String, Long> map() {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("reads", reads.get());
            m.put("opened", opened.get());
            m.put("leasesTaken", leasesTaken.get());
            m.put("leasesRefused", leasesRefused.get());
            m.put("leasesLost", leasesLost.get());
            m.put("exchanges", exchanges.get());
            m.put("writes", writes.get());
            m.put("writesRefused", writesRefused.get());
            m.put("waits", waits.get());
            m.put("waitedMs", waitedMs.get());
            m.put("storeErrors", storeErrors.get());
            return m;
        }
    }

    private final Session session;
    final SessionStore store;
    final Ops.StoreKeysOutput keys;
    final String holder;
    private final Map<String, byte[]> ring;
    private final String sealKeyId;
    private final long leaseTtlMs;
    private final long pollMs;
    private final Consumer<SharedInfo.Event> listener;
    final Stats stats = new Stats();
    /** The version of the record the state was read at or written as (0: none). */
    volatile long version;
    /** The version a change the store failed to take was based on, or -1. */
    volatile long unsaved = -1;
    /** A newer stored version this keyring cannot open, or -1. */
    volatile long unopenable = -1;
    private volatile String unopenableWhy = "";
    private final ReentrantLock readGate = new ReentrantLock();
    private volatile long readEpoch;

    Shared(Session session, Session.Options o, Backend backend, ObjectNode state, Types.Provider provider) {
        this.session = session;
        this.store = o.store;
        if (o.sealKeys == null || o.sealKeys.isEmpty()) {
            throw new IllegalArgumentException("a session with a store needs sealKeys: the first seals, all open");
        }
        this.ring = new LinkedHashMap<>(o.sealKeys);
        this.sealKeyId = ring.keySet().iterator().next();
        this.holder = o.holder != null ? o.holder : defaultHolder();
        this.leaseTtlMs = positive(o.leaseTtl, Duration.ofSeconds(30), "leaseTtl");
        this.pollMs = positive(o.pollInterval, Duration.ofMillis(100), "pollInterval");
        this.listener = o.onStoreEvent;
        this.keys = Ops.storeKeys(backend, new Ops.StoreKeysInput(state.get("account").asText(), provider));
        // The core checks the holder's form now rather than at the first lease.
        Ops.storeLease(backend, new Ops.StoreLeaseInput(Types.LeaseAction.RELEASE, holder, 0,
                new Types.StoreRecord(0)));
    }

    private static long positive(Duration d, Duration dflt, String name) {
        Duration v = d != null ? d : dflt;
        if (v.toMillis() < 1) {
            throw new IllegalArgumentException(name + " must be at least 1 ms");
        }
        return v.toMillis();
    }

    static String defaultHolder() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "host";
        }
        host = host.replaceAll("[^A-Za-z0-9_.:@/-]", "-");
        if (host.length() > 64) {
            host = host.substring(0, 64);
        }
        byte[] r = new byte[4];
        new SecureRandom().nextBytes(r);
        return host + ":" + ProcessHandle.current().pid() + ":" + HexFormat.of().formatHex(r);
    }

    SharedInfo info() {
        return new SharedInfo(keys, version, holder, unsaved >= 0, stats.map());
    }

    void emit(String type, Map<String, Object> fields) {
        if (listener == null) {
            return;
        }
        try {
            listener.accept(new SharedInfo.Event(type, keys.id(), fields));
        } catch (RuntimeException e) {
            // an observer's failure is not the session's
        }
    }

    private void storeError(String op, Exception e) {
        stats.storeErrors.incrementAndGet();
        emit("store_error", Map.of("op", op, "error", String.valueOf(e)));
    }

    // --- the store calls: a failure is null (or a refusal), told ------------------------------------------------

    SessionStore.Record read() {
        stats.reads.incrementAndGet();
        try {
            return store.read(keys);
        } catch (IOException | RuntimeException e) {
            storeError("read", e);
            return null;
        }
    }

    boolean take() {
        boolean granted;
        try {
            granted = store.lease(keys, Types.LeaseAction.TAKE, holder, leaseTtlMs);
        } catch (IOException | RuntimeException e) {
            storeError("lease take", e);
            granted = false;
        }
        if (granted) {
            stats.leasesTaken.incrementAndGet();
            emit("lease_taken", Map.of("holder", holder, "ttlMs", leaseTtlMs));
        } else {
            stats.leasesRefused.incrementAndGet();
        }
        return granted;
    }

    boolean extend() {
        boolean kept;
        try {
            kept = store.lease(keys, Types.LeaseAction.EXTEND, holder, leaseTtlMs);
        } catch (IOException | RuntimeException e) {
            storeError("lease extend", e);
            kept = false;
        }
        if (!kept) {
            stats.leasesLost.incrementAndGet();
            emit("lease_lost", Map.of("holder", holder));
        }
        return kept;
    }

    void release() {
        try {
            boolean held = store.lease(keys, Types.LeaseAction.RELEASE, holder, leaseTtlMs);
            emit("lease_released", Map.of("holder", holder, "held", held));
        } catch (IOException | RuntimeException e) {
            storeError("lease release", e);
        }
    }

    SessionStore.WriteResult write(long expected, String sealed) {
        SessionStore.WriteResult r;
        try {
            r = store.write(keys, expected, sealed);
        } catch (IOException | RuntimeException e) {
            storeError("write", e);
            return null;
        }
        if (r.written()) {
            stats.writes.incrementAndGet();
            emit("written", Map.of("version", r.version()));
        } else {
            stats.writesRefused.incrementAndGet();
            emit("write_refused", Map.of("expected", expected, "version", r.version()));
        }
        return r;
    }

    String seal(ObjectNode state) {
        return session.sealState(state, ring.get(sealKeyId), sealKeyId);
    }

    ObjectNode open(String sealed) {
        return Session.openState(session.backend(), sealed, ring, session.provider(), session.account());
    }

    void pause(long deadlineNanos) throws InterruptedException {
        long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        long ms = Math.max(1, Math.min((long) (pollMs * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble())), left));
        Thread.sleep(ms);
    }

    // --- the rules ----------------------------------------------------------------------------------------------

    /**
     * Reads the record and opens it when it is newer than the state (poll). {@code owner}: the caller holds the
     * refresh lock; the others never replace the state while a refresh or step of this process is in flight, and
     * share one read (a caller that waited for another's read uses its result).
     */
    void pull(boolean owner) throws InterruptedException {
        SessionStore.Record rec;
        if (owner) {
            rec = read();
        } else {
            long seen = readEpoch;
            readGate.lockInterruptibly();
            try {
                if (readEpoch != seen) {
                    return; // another caller read while this one waited, and applied what it found
                }
                rec = read();
                apply(rec, false);
                readEpoch++;
                return;
            } finally {
                readGate.unlock();
            }
        }
        apply(rec, true);
    }

    private void apply(SessionStore.Record rec, boolean owner) throws InterruptedException {
        boolean refreshing = session.refreshLock().availablePermits() == 0;
        if (rec == null || (!owner && refreshing)) {
            return;
        }
        if (rec.version() < version) {
            // The store lost the record (a Redis restarted without its data): this state is written again, under the
            // lease, at the version the store has now.
            emit("store_reset", Map.of("version", version));
            version = rec.version();
            unsaved = rec.version();
            return;
        }
        if (rec.version() > version && rec.sealed() != null) {
            ObjectNode state;
            try {
                state = open(rec.sealed());
            } catch (GstAuthException e) {
                // A record this keyring cannot open (a key missing from sealKeys) is a configuration error: told, and
                // the state kept (its token may still be valid); renewing over it would fence off the fleet's session.
                unopenable = rec.version();
                unopenableWhy = e.getMessage();
                storeError("open", e);
                return;
            }
            if (rec.version() > version && (owner || session.refreshLock().availablePermits() > 0)) {
                session.replaceState(state);
                version = rec.version();
                unsaved = -1;
                unopenable = -1;
                stats.opened.incrementAndGet();
                emit("opened", Map.of("version", rec.version()));
            }
        } else if (unsaved >= 0 && rec.version() == unsaved && !owner && session.refreshLock().tryAcquire()) {
            // A change the store failed to take, and no one wrote since: written now, under the lease.
            try {
                if (take()) {
                    try {
                        writeState(unsaved);
                    } finally {
                        release();
                    }
                }
            } finally {
                session.refreshLock().release();
            }
        }
    }

    /**
     * Writes the state at {@code base}: true on success; a refused write opens the newer session (this change is
     * fenced off); a store failure leaves the change unsaved, written later.
     */
    boolean writeState(long base) throws InterruptedException {
        return writeState(base, null);
    }

    /**
     * {@link #writeState(long)} for a change made under the lease from a state whose token was {@code baseToken}: when the
     * write is refused because another host stored, without the lease, a rejection of that very token (the newer
     * version still holds it) while this change replaced it (a refresh in flight), this change is written over that
     * version instead of being lost, at most twice.
     */
    boolean writeState(long base, String baseToken) throws InterruptedException {
        ObjectNode mine = session.stateNode();
        String sealed = seal(mine);
        int over = 0;
        for (int attempt = 0; attempt < 3; attempt++) {
            SessionStore.WriteResult r = write(base, sealed);
            if (r == null) {
                Thread.sleep(100L * (attempt + 1));
                continue;
            }
            if (r.written()) {
                version = r.version();
                unsaved = -1;
                return true;
            }
            unsaved = -1;
            pull(true);
            boolean replaced = baseToken != null && !mine.path("access_token").asText("").equals(baseToken);
            if (!replaced || unopenable >= 0 || version <= base
                    || !session.stateNode().path("access_token").asText("").equals(baseToken) || ++over > 2) {
                return false;
            }
            emit("write_over", Map.of("version", version));
            session.replaceState(mine);
            base = version;
            attempt = -1; // a store failure from here on is retried as from the start
        }
        unsaved = base;
        emit("unsaved", Map.of("base", base));
        return false;
    }

    /** Waits (bounded by the deadline, told as a wait) until the lease is this holder's; the refresh lock held. */
    void awaitLease(long deadlineNanos, String what) throws InterruptedException {
        long waitedFrom = 0;
        try {
            for (;;) {
                if (take()) {
                    return;
                }
                if (waitedFrom == 0) {
                    waitedFrom = System.nanoTime();
                    stats.waits.incrementAndGet();
                    emit("wait", Map.of("for", "lease"));
                }
                if (System.nanoTime() >= deadlineNanos) {
                    throw Errors.host(ErrorCode.TOKEN_EXPIRED, "timed out waiting for " + what);
                }
                pause(deadlineNanos);
            }
        } finally {
            waited(waitedFrom, "lease");
        }
    }

    private void waited(long waitedFrom, String what) {
        if (waitedFrom != 0) {
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - waitedFrom);
            stats.waitedMs.addAndGet(ms);
            emit("waited", Map.of("for", what, "waitedMs", ms));
        }
    }

    record Leased<T>(T result, boolean fenced) {
    }

    /**
     * With the refresh lock and the lease held: the newest stored session opened, the body run, the state written at
     * the version read when the body changed it (a refused write opens the newer session: fenced), the lease
     * released.
     */
    <T> Leased<T> leased(Body<T> body) throws IOException, InterruptedException {
        try {
            pull(true);
            long base = version;
            ObjectNode before = session.stateNode();
            String baseToken = before.path("access_token").asText("");
            boolean[] fenced = {false};
            T result;
            try {
                result = body.run();
            } finally {
                if (!session.stateNode().equals(before)) {
                    fenced[0] = !writeState(base, baseToken) && unsaved < 0;
                }
            }
            return new Leased<>(result, fenced[0]);
        } finally {
            release();
        }
    }

    /** A step of a person's flow: the lease awaited, then the step under it, on the newest stored session. */
    <T> T underLease(long deadlineNanos, String what, Body<T> body) throws IOException, InterruptedException {
        awaitLease(deadlineNanos, what);
        return leased(body).result();
    }

    /**
     * A change that is not an exchange (an authorization URL, a nonce, an answer handed back by hand, or none: the
     * state as it is), made under the lease on the newest stored session and written; a refused write makes it again
     * on the newer session, at most three times.
     */
    JsonNode commit(Supplier<JsonNode> change) throws InterruptedException {
        long deadline = System.nanoTime() + session.waitTimeout().toNanos();
        if (!session.refreshLock().tryAcquire(session.waitTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
            throw Errors.host(ErrorCode.TOKEN_EXPIRED, "timed out waiting for another caller's change of the session");
        }
        try {
            for (int attempt = 0; ; attempt++) {
                awaitLease(deadline, "the lease of the session");
                JsonNode out = null;
                boolean written;
                try {
                    if (change != null) {
                        pull(true);
                    }
                    long base = version;
                    if (change != null) {
                        out = change.get();
                    }
                    written = writeState(base);
                } finally {
                    release();
                }
                if (written || change == null || attempt == 2 || unsaved >= 0) {
                    return out;
                }
            }
        } finally {
            session.refreshLock().release();
        }
    }

    /**
     * What an API call's answer taught the state (a rejected token), written when the lease is free (its holder is
     * renewing the token and will write anyway): read, apply, write; a refused write reads the newer session and
     * applies it again ({@code reapply} answers null when the newer one has nothing to learn).
     */
    void publish(UnaryOperator<ObjectNode> reapply) {
        if (!session.refreshLock().tryAcquire()) {
            return;
        }
        try {
            if (!take()) {
                return;
            }
            try {
                for (int attempt = 0; attempt < 3; attempt++) {
                    SessionStore.WriteResult r = write(version, seal(session.stateNode()));
                    if (r == null) {
                        return; // the renewal that follows writes under the lease
                    }
                    if (r.written()) {
                        version = r.version();
                        return;
                    }
                    pull(true);
                    ObjectNode again = reapply.apply(session.stateNode());
                    if (again == null) {
                        return;
                    }
                    session.replaceState(again);
                }
            } finally {
                release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            session.refreshLock().release();
        }
    }

    /**
     * ensure() with a store: poll; use; fail; at the margin, refresh only with the lease, else use the still-valid
     * token at once; with an unusable token, wait (bounded, told) for a newer stored version or for the lease; under
     * the lease, the locked loop and one fenced write.
     */
    String ensure(Sender send) throws InterruptedException {
        long deadline = System.nanoTime() + session.waitTimeout().toNanos();
        boolean locked = false;
        boolean awaitedHolder = false;
        long waitedFrom = 0;
        try {
            for (;;) {
                pull(locked);
                JsonNode d = session.decide("check", 0);
                String move = d.get("move").asText();
                if (unopenable >= 0 && (move.equals("refresh") || move.equals("renew"))) {
                    if (move.equals("refresh")) {
                        return Session.token(d);
                    }
                    throw Errors.host(ErrorCode.INVALID_KEY, "the stored session (version " + unopenable
                            + ") cannot be opened with sealKeys: " + unopenableWhy);
                }
                switch (move) {
                    case "use":
                        return Session.token(d);
                    case "fail":
                        if (!awaitedHolder && session.stateNode().path("rejected").asBoolean(false)) {
                            // A call of this process saw its token rejected. When another process holds the lease, it
                            // is renewing or refreshing (a provider may end the old token as it issues the new one):
                            // its write may carry a usable session, so wait for it (bounded) before failing.
                            awaitedHolder = true;
                            if (awaitHolder(deadline, locked)) {
                                continue;
                            }
                        }
                        throw Errors.of(d.get("error"));
                    case "refresh":
                        // One refresher in the fleet; everyone else, here or elsewhere, goes on with the valid token.
                        if (!locked && !session.refreshLock().tryAcquire()) {
                            return Session.token(d);
                        }
                        locked = true;
                        if (!take()) {
                            return Session.token(d);
                        }
                        break;
                    case "renew":
                        if (!locked) {
                            if (!session.refreshLock().tryAcquire()) {
                                if (waitedFrom == 0) {
                                    waitedFrom = System.nanoTime();
                                    stats.waits.incrementAndGet();
                                    emit("wait", Map.of("for", "renewal"));
                                }
                                long left = deadline - System.nanoTime();
                                if (!session.refreshLock().tryAcquire(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                                    throw Errors.host(ErrorCode.TOKEN_EXPIRED,
                                            "timed out waiting for another caller's renewal of the token");
                                }
                            }
                            locked = true;
                            continue; // a caller of this process may have renewed meanwhile: read and decide again
                        }
                        if (take()) {
                            break;
                        }
                        if (waitedFrom == 0) {
                            waitedFrom = System.nanoTime();
                            stats.waits.incrementAndGet();
                            emit("wait", Map.of("for", "renewal"));
                        }
                        if (System.nanoTime() >= deadline) {
                            throw Errors.host(ErrorCode.TOKEN_EXPIRED, "timed out waiting for the renewal of the token ("
                                    + session.waitTimeout().toMillis() + " ms; the lease is another process's)");
                        }
                        pause(deadline);
                        continue;
                    default:
                        throw Errors.host(ErrorCode.INTERNAL, "the core answered an unexpected move " + move);
                }
                Leased<String> r;
                try {
                    r = leased(() -> {
                        try {
                            return session.locked(send, this::extend);
                        } catch (LeaseLost e) {
                            return null;
                        }
                    });
                } catch (IOException e) {
                    throw new IllegalStateException(e); // the locked loop records send failures itself
                }
                if (r.result() != null && !r.fenced()) {
                    return r.result();
                }
                // The lease went to another process under a stall (lost before a send, or the write refused: the newer
                // stored session is open now): decide again.
            }
        } finally {
            if (locked) {
                session.refreshLock().release();
            }
            waited(waitedFrom, "renewal");
        }
    }

    /**
     * When another holder has the lease: waits (polling, at most until the deadline) until a newer version is stored
     * or the lease is free; true when it waited (decide again), false when no one else held the lease.
     */
    private boolean awaitHolder(long deadlineNanos, boolean owner) throws InterruptedException {
        if (take()) {
            release();
            return false;
        }
        long from = System.nanoTime();
        long seen = version;
        stats.waits.incrementAndGet();
        emit("wait", Map.of("for", "the lease holder's write"));
        try {
            while (System.nanoTime() < deadlineNanos) {
                pause(deadlineNanos);
                pull(owner);
                if (version > seen) {
                    return true;
                }
                if (take()) {
                    release();
                    return true;
                }
            }
            return true;
        } finally {
            waited(from, "the lease holder's write");
        }
    }

    static ObjectNode object() {
        return Typed.MAPPER.createObjectNode();
    }
}
