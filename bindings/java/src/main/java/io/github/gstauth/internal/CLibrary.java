package io.github.gstauth.internal;

import java.nio.ByteBuffer;

/**
 * libgstauth.so's C ABI (cshared/gstauth.h) as one Java route: FFM ({@code FfmLibrary}, JDK 22+, in
 * META-INF/versions/22) or JNA direct mapping ({@link JnaLibrary}). A route only moves bytes: it copies the outputs
 * into Java arrays and releases them with gstauth_free.
 */
interface CLibrary {
    /** GSTAUTH_OK, GSTAUTH_FAILED, GSTAUTH_MISUSE of gstauth.h. */
    int OK = 0;
    int FAILED = 1;

    /** A call's return code and output (the result JSON, or the error JSON when rc is FAILED). */
    record Reply(int rc, byte[] out) {
    }

    /** A raw call's return code, meta (or error) JSON and raw output (empty on failure). */
    record RawReply(int rc, byte[] meta, byte[] data) {
    }

    /** "ffm" or "jna". */
    String runtime();

    /** gstauth_version(). */
    String version();

    /** gstauth_call with a NUL-terminated op name. */
    Reply call(byte[] opCString, byte[] in);

    /** gstauth_call_raw with a NUL-terminated op name; data is read from its position to its limit. */
    RawReply callRaw(byte[] opCString, byte[] params, ByteBuffer data);
}
