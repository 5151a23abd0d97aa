package io.github.gstauth.store;

import io.github.gstauth.Ops;
import io.github.gstauth.SessionStore;
import io.github.gstauth.Types;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * The Redis store (Jedis is an optional dependency: redis.clients:jedis): processes on several hosts share sessions
 * through Redis. The rules run on the server, in the repository's Lua scripts ({@code store/redis}: read.lua,
 * lease.lua, write.lua, carried in this jar as they are): leases on the server's clock, writes by compare-and-set on
 * the version. Each script is called by {@code EVALSHA}; a server that does not have it (a restart, a failover, a new
 * cluster node) answers {@code NOSCRIPT}, and the script is loaded there ({@code SCRIPT LOAD}) and called again, or,
 * failing that, sent whole ({@code EVAL}). A record's two keys share one hash tag ({@code store_keys}), so the same
 * calls run on one Redis ({@link redis.clients.jedis.RedisClient}), behind Sentinel, and on a Redis Cluster
 * ({@link redis.clients.jedis.RedisClusterClient}, or the older JedisCluster). Give the client timeouts: a store that does not answer must fail, not
 * hang the session ({@link Stores#open} sets 2 s).
 *
 * <p>A call the client or a script fails (the server out of reach, a reply of the wrong shape) fails with
 * {@link StoreUnavailableException} (the core's {@code store_unavailable}, retryable; the Jedis error as its cause); a
 * lease or write argument the rules refuse is a {@link io.github.gstauth.GstAuthException} with code
 * {@code invalid_input}, checked by the core before any call.
 */
public final class RedisStore implements SessionStore {
    /** One of the store's scripts: its text, as the repository has it, and its SHA-1. */
    record Script(String name, String text, String sha) {
        static Script load(String name) {
            String resource = "/io/github/gstauth/store/redis/" + name + ".lua";
            try (InputStream in = RedisStore.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("the jar has no " + resource);
                }
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                byte[] sha = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
                return new Script(name, text, HexFormat.of().formatHex(sha));
            } catch (IOException | NoSuchAlgorithmException e) {
                throw new IllegalStateException("cannot read " + resource, e);
            }
        }
    }

    static final Script READ = Script.load("read");
    static final Script LEASE = Script.load("lease");
    static final Script WRITE = Script.load("write");

    private final UnifiedJedis client;
    private final boolean owned;

    /** A store over a Jedis client ({@code RedisClient}, {@code JedisCluster}); the caller closes the client. */
    public RedisStore(UnifiedJedis client) {
        this(client, false);
    }

    RedisStore(UnifiedJedis client, boolean owned) {
        this.client = Objects.requireNonNull(client, "client");
        this.owned = owned;
    }

    /** The Jedis client. */
    public UnifiedJedis client() {
        return client;
    }

    private Object run(Script s, String key, List<String> args) throws IOException {
        List<String> keys = List.of(key);
        try {
            try {
                return client.evalsha(s.sha(), keys, args);
            } catch (JedisNoScriptException e) {
                try {
                    client.scriptLoad(s.text(), key); // on the node that holds the key
                    return client.evalsha(s.sha(), keys, args);
                } catch (JedisNoScriptException again) {
                    return client.eval(s.text(), keys, args);
                }
            }
        } catch (JedisException e) {
            throw new StoreUnavailableException("redis: " + s.name() + ".lua failed: " + e.getClass().getSimpleName() + ": "
                    + e.getMessage(), e);
        }
    }

    /** A script's reply of two values, or StoreUnavailableException. */
    private static List<?> pair(Script s, Object reply) throws IOException {
        if (reply instanceof List<?> l && l.size() == 2) {
            return l;
        }
        throw new StoreUnavailableException("redis: " + s.name() + ".lua answered " + reply + ", not two values", null);
    }

    /** A script's number, or StoreUnavailableException. */
    private static long number(Script s, Object o) throws IOException {
        try {
            return number(o);
        } catch (NumberFormatException e) {
            throw new StoreUnavailableException("redis: " + s.name() + ".lua answered " + text(o) + ", not a number", e);
        }
    }

    private static long number(Object o) {
        if (o instanceof Long l) {
            return l;
        }
        if (o instanceof byte[] b) {
            return Long.parseLong(new String(b, StandardCharsets.UTF_8));
        }
        return Long.parseLong(String.valueOf(o));
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
    }

    @Override
    public Record read(Ops.StoreKeysOutput keys) throws IOException {
        List<?> r = pair(READ, run(READ, keys.session(), List.of()));
        String sealed = r.get(1) == null ? "" : text(r.get(1));
        return new Record(number(READ, r.get(0)), sealed.isEmpty() ? null : sealed);
    }

    @Override
    public boolean lease(Ops.StoreKeysOutput keys, Types.LeaseAction action, String holder, long ttlMs) throws IOException {
        // The core checks the holder and the ttl (the file store's rules) before the script runs.
        Ops.StoreLeaseInput check = new Ops.StoreLeaseInput(action, holder, 0, new Types.StoreRecord(0));
        Ops.storeLease(action != Types.LeaseAction.RELEASE ? check.withTtlMs(ttlMs) : check);
        return number(LEASE, run(LEASE, keys.lease(), List.of(action.wire(), holder, Long.toString(ttlMs)))) == 1;
    }

    @Override
    public WriteResult write(Ops.StoreKeysOutput keys, long expectedVersion, String sealed) throws IOException {
        // The core checks the version and the sealed session (the file store's rules) before the script runs.
        Ops.storeWrite(new Ops.StoreWriteInput(expectedVersion, new Types.StoreRecord(expectedVersion), sealed));
        List<?> r = pair(WRITE, run(WRITE, keys.session(), List.of(Long.toString(expectedVersion), sealed)));
        return new WriteResult(number(WRITE, r.get(0)) == 1, number(WRITE, r.get(1)));
    }

    /** Closes the client when the store made it ({@link Stores#open}). */
    @Override
    public void close() {
        if (owned) {
            client.close();
        }
    }

    @Override
    public String toString() {
        return "RedisStore[" + client.getClass().getSimpleName() + "]";
    }
}
