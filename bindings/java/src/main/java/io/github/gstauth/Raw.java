package io.github.gstauth;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a typed raw op returns when its meta has fields: the meta as its record, and the bulk output bytes.
 *
 * @param <M>  the meta record
 * @param meta the meta JSON object, read into its record
 * @param data the raw output (the array belongs to the caller)
 */
public record Raw<M>(M meta, byte[] data) {
    /** Both members are required. */
    public Raw {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(data, "data");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Raw<?> r && meta.equals(r.meta) && Arrays.equals(data, r.data);
    }

    @Override
    public int hashCode() {
        return 31 * meta.hashCode() + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Raw[meta=" + meta + ", data=" + data.length + " bytes]";
    }
}
