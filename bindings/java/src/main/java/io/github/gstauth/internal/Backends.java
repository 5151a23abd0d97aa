package io.github.gstauth.internal;

import io.github.gstauth.Backend;
import io.github.gstauth.GstAuth;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The backends of this process, each loaded once on first use, and the choice of the default one. */
public final class Backends {
    private Backends() {
    }

    private static final Lazy CSHARED = new Lazy(CSharedBackend::load);
    private static final Lazy WASM = new Lazy(WasmBackend::load);
    private static volatile Backend defaultBackend;

    /** Loads a backend once; a failure is kept and raised again on every later use, with its first cause. */
    private static final class Lazy {
        private final java.util.function.Supplier<Backend> load;
        private volatile Backend value;
        private RuntimeException failure;

        Lazy(java.util.function.Supplier<Backend> load) {
            this.load = load;
        }

        Backend get() {
            Backend b = value;
            if (b != null) {
                return b;
            }
            synchronized (this) {
                if (value == null) {
                    if (failure != null) {
                        throw new IllegalStateException("the gstauth backend failed to load earlier", failure);
                    }
                    try {
                        value = load.get();
                    } catch (RuntimeException | LinkageError e) {
                        failure = e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e);
                        throw e;
                    }
                }
                return value;
            }
        }
    }

    private static final class Version {
        static final String VALUE = readVersion();
    }

    /** The backend named by {@code gstauth.backend}, else {@code GSTAUTH_BACKEND}, else cshared. */
    public static Backend defaultBackend() {
        Backend b = defaultBackend;
        if (b == null) {
            b = get(defaultName());
            defaultBackend = b;
        }
        return b;
    }

    /** The name the default backend is chosen by. */
    public static String defaultName() {
        String name = System.getProperty(GstAuth.BACKEND_PROPERTY);
        if (name == null || name.isEmpty()) {
            name = System.getenv(GstAuth.BACKEND_ENV);
        }
        return name == null || name.isEmpty() ? "cshared" : name;
    }

    /** The backend of that name. */
    public static Backend get(String name) {
        if ("cshared".equals(name)) {
            return CSHARED.get();
        }
        if ("wasm".equals(name)) {
            return WASM.get();
        }
        throw new IllegalArgumentException("unknown gstauth backend '" + name + "': use cshared or wasm (set by "
                + GstAuth.BACKEND_PROPERTY + " or " + GstAuth.BACKEND_ENV + ")");
    }

    public static String bindingVersion() {
        return Version.VALUE;
    }

    private static String readVersion() {
        try (InputStream in = GstAuth.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException | NullPointerException e) {
            throw new UncheckedIOException(new IOException("version.properties is missing from the gstauth jar", e));
        }
    }
}
