package io.github.gstauth;

import java.io.IOException;

/**
 * A shared session store (docs/hosts.md, "Many processes"): per session, a record holding the sealed session with a
 * version, and a refresh lease. Two implementations: {@code io.github.gstauth.store.FileStore} (processes on one
 * machine) and {@code io.github.gstauth.store.RedisStore} (processes on many). Each method is one atomic step; the
 * rules around them (poll, lease, compare-and-set, fencing) are the session's.
 *
 * <p>A store method that fails throws; the session then goes on with what it has (a still-valid token) and tries the
 * store again later. Implementations bound their own calls (a lock wait, a socket timeout).
 */
public interface SessionStore extends AutoCloseable {
    /** A stored record: its version (0: none yet) and the sealed session (null when none). */
    record Record(long version, String sealed) {
    }

    /** What a compare-and-set write did: written or not, and the record's version after it. */
    record WriteResult(boolean written, long version) {
    }

    /** The record of a session ({@code version} 0 and no sealed session before the first write). */
    Record read(Ops.StoreKeysOutput keys) throws IOException;

    /**
     * Takes, extends or releases the refresh lease for {@code holder}: whether it was granted (for a release:
     * whether the holder held it).
     */
    boolean lease(Ops.StoreKeysOutput keys, Types.LeaseAction action, String holder, long ttlMs) throws IOException;

    /** Writes the sealed session if the record is still at {@code expectedVersion}. */
    WriteResult write(Ops.StoreKeysOutput keys, long expectedVersion, String sealed) throws IOException;

    /** Releases the store's resources (a connection pool). */
    @Override
    void close() throws IOException;
}
