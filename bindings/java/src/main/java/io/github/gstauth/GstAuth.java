package io.github.gstauth;

import io.github.gstauth.internal.Backends;
import io.github.gstauth.internal.Utf8;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The generic entry to the gstauth core: an op name and a JSON object in, a JSON object out.
 *
 * <pre>{@code
 * String out = GstAuth.call("pkce_s256", "{\"verifier\":\"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\"}");
 * // {"challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}
 * }</pre>
 *
 * <p>The backend is chosen once per process by the system property {@value #BACKEND_PROPERTY} or else the
 * environment variable {@value #BACKEND_ENV}: {@code cshared} (the default: libgstauth.so bundled in this jar,
 * through FFM on JDK 22+ and JNA on JDK 17-21) or {@code wasm} (gstauth.wasm compiled to JVM bytecode, run on
 * Chicory: no native code). {@link #backend(String)} reaches either one explicitly. All methods are thread-safe.
 */
public final class GstAuth {
    /** The system property that names the default backend. */
    public static final String BACKEND_PROPERTY = "gstauth.backend";
    /** The environment variable that names the default backend when the system property is not set. */
    public static final String BACKEND_ENV = "GSTAUTH_BACKEND";

    private GstAuth() {
    }

    /**
     * Runs a JSON op on the default backend.
     *
     * @param op        the op name (the op {@code "ops"} lists them)
     * @param inputJson the input JSON object
     * @return the output JSON object
     * @throws GstAuthException         the core's error: {@link GstAuthException#code()} says which
     * @throws NullPointerException     op or inputJson is null
     * @throws IllegalArgumentException op contains a NUL character, or a string holds an unpaired surrogate
     */
    public static String call(String op, String inputJson) throws GstAuthException {
        Objects.requireNonNull(inputJson, "inputJson");
        return Utf8.decode(backend().call(op, Utf8.encode(inputJson, "inputJson")));
    }

    /**
     * Runs a raw op ({@code *_raw}) on the default backend: JSON params and bulk bytes in, JSON meta and bulk bytes
     * out, with no base64 and no JSON-in-JSON on the way.
     *
     * @throws GstAuthException the core's error
     */
    public static RawResult callRaw(String op, String paramsJson, byte[] data) throws GstAuthException {
        Objects.requireNonNull(data, "data");
        return callRaw(op, paramsJson, ByteBuffer.wrap(data));
    }

    /**
     * {@link #callRaw(String, String, byte[])} over a buffer's remaining bytes. A direct buffer reaches the shared
     * library without a copy (the cheapest way to pass multi-megabyte payloads).
     *
     * @throws GstAuthException the core's error
     */
    public static RawResult callRaw(String op, String paramsJson, ByteBuffer data) throws GstAuthException {
        Objects.requireNonNull(paramsJson, "paramsJson");
        Objects.requireNonNull(data, "data");
        return backend().callRaw(op, Utf8.encode(paramsJson, "paramsJson"), data);
    }

    /** The default backend ({@value #BACKEND_PROPERTY}, {@value #BACKEND_ENV}, else {@code cshared}). */
    public static Backend backend() {
        return Backends.defaultBackend();
    }

    /**
     * The backend of that name, {@code "cshared"} or {@code "wasm"}, loaded on first use and kept for the life of
     * the process.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static Backend backend(String name) {
        return Backends.get(name);
    }

    /** This binding's version; the bundled library and plugin carry the same. */
    public static String version() {
        return Backends.bindingVersion();
    }
}
