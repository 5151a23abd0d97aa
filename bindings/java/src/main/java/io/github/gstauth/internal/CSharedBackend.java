package io.github.gstauth.internal;

import io.github.gstauth.Backend;
import io.github.gstauth.ErrorCode;
import io.github.gstauth.GstAuthException;
import io.github.gstauth.RawResult;
import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * The {@code cshared} backend: libgstauth.so through FFM on JDK 22+ or JNA direct mapping on JDK 17-21.
 *
 * <p>The system property {@value #ROUTE_PROPERTY} forces a route ({@code ffm} or {@code jna}); the default takes FFM
 * when the JVM has it and this jar carries the FFM class (META-INF/versions/22), else JNA.
 */
final class CSharedBackend implements Backend {
    static final String ROUTE_PROPERTY = "gstauth.native";
    private static final String FFM_CLASS = "io.github.gstauth.internal.FfmLibrary";

    private final CLibrary lib;

    private CSharedBackend(CLibrary lib) {
        this.lib = lib;
    }

    static CSharedBackend load() {
        Path path = LibraryFile.locate();
        String route = System.getProperty(ROUTE_PROPERTY, "auto").toLowerCase(Locale.ROOT);
        switch (route) {
            case "ffm":
                return new CSharedBackend(openFfm(path, true));
            case "jna":
                return new CSharedBackend(JnaLibrary.open(path));
            case "auto":
                CLibrary ffm = openFfm(path, false);
                return new CSharedBackend(ffm != null ? ffm : JnaLibrary.open(path));
            default:
                throw new IllegalArgumentException(ROUTE_PROPERTY + " is '" + route + "': use ffm, jna or auto");
        }
    }

    /** The FFM route, or null when this JVM or this jar lacks it and required is false. */
    private static CLibrary openFfm(Path path, boolean required) {
        if (Runtime.version().feature() < 22) {
            if (required) {
                throw new UnsupportedOperationException("the FFM route needs JDK 22 or later; this is "
                        + Runtime.version());
            }
            return null;
        }
        Class<?> c;
        try {
            c = Class.forName(FFM_CLASS, true, CSharedBackend.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            if (required) {
                throw new UnsupportedOperationException("this gstauth jar has no FFM class (it was built without "
                        + "JDK 22+, or its classes are not read from the multi-release jar)");
            }
            return null;
        }
        try {
            return (CLibrary) c.getDeclaredMethod("open", Path.class).invoke(null, path);
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof RuntimeException) {
                throw (RuntimeException) t;
            }
            if (t instanceof Error) {
                throw (Error) t;
            }
            throw new IllegalStateException(t);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot open libgstauth.so through FFM", e);
        }
    }

    @Override
    public String name() {
        return "cshared";
    }

    @Override
    public String runtime() {
        return lib.runtime();
    }

    @Override
    public String version() {
        return lib.version();
    }

    @Override
    public byte[] call(String op, byte[] inputJson) {
        byte[] name = Utf8.opName(op);
        Objects.requireNonNull(inputJson, "inputJson");
        CLibrary.Reply r = lib.call(name, inputJson);
        return check(r.rc(), r.out());
    }

    @Override
    public RawResult callRaw(String op, byte[] paramsJson, ByteBuffer data) {
        byte[] name = Utf8.opName(op);
        Objects.requireNonNull(paramsJson, "paramsJson");
        Objects.requireNonNull(data, "data");
        CLibrary.RawReply r = lib.callRaw(name, paramsJson, data);
        return new RawResult(check(r.rc(), r.meta()), r.data());
    }

    private static byte[] check(int rc, byte[] out) throws GstAuthException {
        if (rc == CLibrary.OK) {
            return out;
        }
        if (rc == CLibrary.FAILED) {
            throw ErrorJson.toException(out);
        }
        throw ErrorJson.hostError(ErrorCode.INTERNAL, "libgstauth refused the call (return code " + rc + ")");
    }

    @Override
    public String toString() {
        return "cshared backend (" + lib.runtime() + ", libgstauth " + lib.version() + ")";
    }
}
