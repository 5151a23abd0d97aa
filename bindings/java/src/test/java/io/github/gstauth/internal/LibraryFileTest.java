package io.github.gstauth.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** The bundled library is extracted once per process, into a directory only this user can enter. */
class LibraryFileTest {
    @Test
    void extractedOnceIntoAPrivateDirectory() throws Exception {
        io.github.gstauth.GstAuth.backend("cshared"); // loads it
        Path lib = LibraryFile.locate();
        assertEquals(lib, LibraryFile.locate(), "the same file every time");
        assertEquals(lib.toString(), System.getProperty(LibraryFile.EXTRACTED_PROPERTY));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lib.getParent())));
        assertEquals("r-x------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lib)));
    }
}
