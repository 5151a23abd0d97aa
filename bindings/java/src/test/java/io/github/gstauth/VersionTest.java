package io.github.gstauth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** One version everywhere: the repository's VERSION file, this jar, the library and the plugin; and the expected route. */
class VersionTest {
    @Test
    void oneVersionAndTheExpectedRoutes() throws Exception {
        String want = TestSupport.read(Path.of(System.getProperty("gstauth.versionFile"))).trim();
        assertEquals(want, GstAuth.version(), "the jar's version");
        assertEquals(want, manifestVersion(), "the jar manifest's Implementation-Version");
        Backend c = GstAuth.backend("cshared");
        Backend w = GstAuth.backend("wasm");
        assertEquals(want, c.version(), "libgstauth.so's version");
        assertEquals(want, w.version(), "gstauth.wasm's version");
        assertEquals(System.getProperty("gstauth.test.expectedNative", c.runtime()), c.runtime(),
                "the native route for Java " + Runtime.version().feature());
        System.out.printf("gstauth %s tests on Java %s (%s): cshared via %s, wasm via %s%n", want, Runtime.version(),
                System.getProperty("java.home"), c.runtime(), w.runtime());
    }

    /** The jar's own manifest (the package may also be defined by the test classes, so not Package's). */
    static String manifestVersion() throws Exception {
        Path jar = Path.of(GstAuth.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (JarFile f = new JarFile(jar.toFile())) {
            return f.getManifest().getMainAttributes().getValue("Implementation-Version");
        }
    }

    @Test
    void theDefaultBackendIsCsharedUnlessNamed() {
        String named = System.getProperty(GstAuth.BACKEND_PROPERTY, System.getenv(GstAuth.BACKEND_ENV));
        assertEquals(named == null || named.isEmpty() ? "cshared" : named, GstAuth.backend().name());
    }
}
