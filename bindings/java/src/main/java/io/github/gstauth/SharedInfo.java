package io.github.gstauth;

import java.util.Map;

/**
 * What a session with a store knows of its record: the record's names, the version its state was read at or written
 * as, the lease holder's name, whether a change waits to be written, and the counts (reads, opened, leasesTaken,
 * leasesRefused, leasesLost, exchanges, writes, writesRefused, waits, waitedMs, storeErrors).
 */
public record SharedInfo(Ops.StoreKeysOutput keys, long version, String holder, boolean unsaved, Map<String, Long> stats) {
    /**
     * One event of a session's store link: {@code lease_taken}, {@code lease_lost}, {@code lease_released},
     * {@code wait}, {@code waited}, {@code opened}, {@code written}, {@code write_refused}, {@code unsaved},
     * {@code store_error}.
     *
     * @param type   what happened
     * @param id     the record's id (store_keys)
     * @param fields what else is known (a version, a holder, an error)
     */
    public record Event(String type, String id, Map<String, Object> fields) {
    }
}
