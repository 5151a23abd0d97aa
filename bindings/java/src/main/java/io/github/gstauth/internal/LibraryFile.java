package io.github.gstauth.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * Where libgstauth.so comes from: {@code gstauth.library} (system property) or {@code GSTAUTH_LIBRARY}
 * (environment) naming a file, else the copy bundled in this jar at {@value #RESOURCE}, extracted once per process
 * into a private temporary directory (mode 0700, deleted at exit).
 *
 * <p>A Go c-shared library must be loaded once per process and never unloaded. Both routes keep it loaded for the
 * life of the process; the extracted path is recorded in the system property {@value #EXTRACTED_PROPERTY}, so a
 * second copy of this binding in another class loader opens the same file (the dynamic linker then hands back the
 * library already loaded instead of starting a second Go runtime).
 */
final class LibraryFile {
    static final String RESOURCE = "/linux-x86-64/libgstauth.so";
    static final String PATH_PROPERTY = "gstauth.library";
    static final String PATH_ENV = "GSTAUTH_LIBRARY";
    static final String TMPDIR_PROPERTY = "gstauth.tmpdir";
    static final String EXTRACTED_PROPERTY = "io.github.gstauth.library.extracted";

    private LibraryFile() {
    }

    static synchronized Path locate() {
        String named = System.getProperty(PATH_PROPERTY);
        if (named == null || named.isEmpty()) {
            named = System.getenv(PATH_ENV);
        }
        if (named != null && !named.isEmpty()) {
            Path p = Path.of(named).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException(PATH_PROPERTY + "/" + PATH_ENV + " names " + p + ", which is not a file");
            }
            return p;
        }
        String done = System.getProperty(EXTRACTED_PROPERTY);
        if (done != null && Files.isRegularFile(Path.of(done))) {
            return Path.of(done);
        }
        Path p = extract();
        System.setProperty(EXTRACTED_PROPERTY, p.toString());
        return p;
    }

    private static Path extract() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean supported = os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
        try (InputStream in = LibraryFile.class.getResourceAsStream(RESOURCE)) {
            if (in == null || !supported) {
                throw new UnsupportedOperationException("this jar bundles libgstauth.so for linux-x86-64 only (this is "
                        + os + "-" + arch + (in == null ? ", and the resource " + RESOURCE + " is missing" : "")
                        + "): use the wasm backend (GSTAUTH_BACKEND=wasm) or name a library with " + PATH_ENV);
            }
            String tmp = System.getProperty(TMPDIR_PROPERTY);
            Path base = Path.of(tmp != null && !tmp.isEmpty() ? tmp : System.getProperty("java.io.tmpdir"));
            Path dir = Files.createTempDirectory(base, "gstauth-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            dir.toFile().deleteOnExit();
            Path lib = dir.resolve("libgstauth.so");
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("r-x------"));
            lib.toFile().deleteOnExit(); // runs before the directory's (reverse order); a mapped library survives it
            return lib;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract libgstauth.so (set " + TMPDIR_PROPERTY
                    + " to a writable directory that allows executable mappings)", e);
        }
    }
}
