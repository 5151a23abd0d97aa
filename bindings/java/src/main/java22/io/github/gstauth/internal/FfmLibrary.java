package io.github.gstauth.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The C ABI through the Foreign Function and Memory API (JDK 22+), compiled into META-INF/versions/22 of the jar.
 *
 * <p>The library is opened in the global arena: it stays loaded for the life of the process (a Go c-shared library
 * must never be unloaded). Each call makes one confined arena holding the output slots, the op name and the input
 * (a direct buffer's bytes are passed in place), and releases the library's outputs with gstauth_free before it
 * returns. Run the JVM with {@code --enable-native-access=ALL-UNNAMED} (or the jar's module name) to silence the
 * restricted-method warning; the jar's manifest says the same for {@code java -jar}.
 */
final class FfmLibrary implements CLibrary {
    private static final Linker LINKER = Linker.nativeLinker();
    private static MethodHandle call;
    private static MethodHandle callRaw;
    private static MethodHandle free;
    private static String version;

    private FfmLibrary() {
    }

    static synchronized CLibrary open(Path path) {
        if (call == null) {
            SymbolLookup lib = SymbolLookup.libraryLookup(path, Arena.global());
            call = LINKER.downcallHandle(lib.find("gstauth_call").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
            callRaw = LINKER.downcallHandle(lib.find("gstauth_call_raw").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG,
                            ADDRESS, ADDRESS, ADDRESS, ADDRESS));
            free = LINKER.downcallHandle(lib.find("gstauth_free").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS));
            MethodHandle v = LINKER.downcallHandle(lib.find("gstauth_version").orElseThrow(), FunctionDescriptor.of(ADDRESS));
            try {
                version = ((MemorySegment) v.invokeExact()).reinterpret(256).getString(0);
            } catch (Throwable t) {
                throw new IllegalStateException("gstauth_version failed", t);
            }
        }
        return new FfmLibrary();
    }

    @Override
    public String runtime() {
        return "ffm";
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public Reply call(byte[] op, byte[] in) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(16L + op.length + in.length, 8);
            MemorySegment.copy(op, 0, block, JAVA_BYTE, 16, op.length);
            MemorySegment input = MemorySegment.NULL;
            if (in.length > 0) {
                input = block.asSlice(16L + op.length, in.length);
                MemorySegment.copy(in, 0, input, JAVA_BYTE, 0, in.length);
            }
            int rc = (int) call.invokeExact(block.asSlice(16, op.length), input, (long) in.length,
                    block, block.asSlice(8, 8));
            return new Reply(rc, take(block.get(ADDRESS, 0), block.get(JAVA_LONG, 8)));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public RawReply callRaw(byte[] op, byte[] params, ByteBuffer data) {
        int n = data.remaining();
        try (Arena arena = Arena.ofConfined()) {
            boolean inPlace = data.isDirect() || n == 0;
            long size = 32L + op.length + params.length + (inPlace ? 0 : n);
            MemorySegment block = arena.allocate(size, 8);
            long at = 32;
            MemorySegment.copy(op, 0, block, JAVA_BYTE, at, op.length);
            MemorySegment opSeg = block.asSlice(at, op.length);
            at += op.length;
            MemorySegment paramsSeg = MemorySegment.NULL;
            if (params.length > 0) {
                paramsSeg = block.asSlice(at, params.length);
                MemorySegment.copy(params, 0, paramsSeg, JAVA_BYTE, 0, params.length);
                at += params.length;
            }
            MemorySegment dataSeg;
            if (n == 0) {
                dataSeg = MemorySegment.NULL;
            } else if (data.isDirect()) {
                dataSeg = MemorySegment.ofBuffer(data); // the bytes from position to limit, in place
            } else {
                dataSeg = block.asSlice(at, n);
                MemorySegment.copy(MemorySegment.ofBuffer(data), 0, dataSeg, 0, n);
            }
            int rc = (int) callRaw.invokeExact(opSeg, paramsSeg, (long) params.length, dataSeg, (long) n,
                    block, block.asSlice(8, 8), block.asSlice(16, 8), block.asSlice(24, 8));
            byte[] meta = take(block.get(ADDRESS, 0), block.get(JAVA_LONG, 8));
            byte[] out = take(block.get(ADDRESS, 16), block.get(JAVA_LONG, 24));
            return new RawReply(rc, meta, out);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Copies len bytes at p into a Java array and releases p. */
    private static byte[] take(MemorySegment p, long len) throws Throwable {
        if (p.address() == 0) {
            return new byte[0];
        }
        try {
            return p.reinterpret(len).toArray(JAVA_BYTE);
        } finally {
            free.invokeExact(p);
        }
    }
}
