package io.github.gstauth;

import java.nio.ByteBuffer;

/**
 * One way to reach the gstauth core: the shared library ({@code cshared}) or the WebAssembly plugin ({@code wasm}).
 * Both run the same ops table and give byte-identical results.
 *
 * <p>Implementations are thread-safe. Inputs are read during the call only; nothing keeps a reference to them.
 * This is the layer the typed API and the session and HTTP helpers build on: JSON in, JSON out, as UTF-8 bytes.
 */
public interface Backend {

    /** {@code "cshared"} or {@code "wasm"}. */
    String name();

    /** How this JVM reaches it: {@code "ffm"} or {@code "jna"} for cshared, {@code "chicory"} for wasm. */
    String runtime();

    /** The core's version (the repository's VERSION file at the time it was built). */
    String version();

    /**
     * Runs a JSON op.
     *
     * @param op        the op name, e.g. {@code "pkce_s256"} (the op {@code "ops"} lists them)
     * @param inputJson the input JSON object as UTF-8 bytes
     * @return the output JSON object as UTF-8 bytes
     * @throws GstAuthException     the core's error for this input
     * @throws NullPointerException op or inputJson is null
     * @throws IllegalArgumentException op contains a NUL character
     */
    byte[] call(String op, byte[] inputJson) throws GstAuthException;

    /**
     * Runs a raw op (its name ends in {@code _raw}): small JSON params and bulk bytes in, JSON meta and bulk bytes out.
     * A direct {@code data} buffer is passed to the shared library without a copy. The buffer's position and limit
     * are not changed.
     *
     * @param op         the op name
     * @param paramsJson the params JSON object as UTF-8 bytes
     * @param data       the bytes from the buffer's position to its limit
     * @throws GstAuthException the core's error for this input
     */
    RawResult callRaw(String op, byte[] paramsJson, ByteBuffer data) throws GstAuthException;
}
