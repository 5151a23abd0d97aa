package io.github.gstauth;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** What a raw op ({@code *_raw}) returns: small JSON meta and the raw output bytes. */
public final class RawResult {
    private final byte[] meta;
    private final byte[] data;

    /** Takes ownership of both arrays. */
    public RawResult(byte[] meta, byte[] data) {
        this.meta = Objects.requireNonNull(meta, "meta");
        this.data = Objects.requireNonNull(data, "data");
    }

    /** The meta JSON object as text. */
    public String meta() {
        return new String(meta, StandardCharsets.UTF_8);
    }

    /** The meta JSON object as UTF-8 bytes (not copied: do not modify). */
    public byte[] metaBytes() {
        return meta;
    }

    /** The raw output (not copied: the array belongs to the caller from here on). */
    public byte[] data() {
        return data;
    }

    @Override
    public String toString() {
        return "RawResult[meta=" + meta.length + " bytes, data=" + data.length + " bytes]";
    }
}
