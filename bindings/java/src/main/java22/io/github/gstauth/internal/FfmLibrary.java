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
import java.util.Optional;

/**
 * The C ABI through the Foreign Function and Memory API (JDK 22+), compiled into META-INF/versions/22 of the jar.
 *
 * <p>The library is opened in the global arena: it stays loaded for the life of the process (a Go c-shared library
 * must never be unloaded). The downcall handles are static final, so each call site compiles to a direct call.
 *
 * <p>Copies: a call writes the output slots, the op name, the JSON and a heap buffer's bytes into its thread's native
 * scratch block (kept between calls up to {@link Scratch#KEEP} bytes; a larger call gets a block of its own), and
 * passes a direct buffer's bytes in place. From {@link #BULK} bytes of data on, a raw op's output is read through
 * gstauth_call_raw_view where the library has it: the bytes the core produced, lent until gstauth_release_view, are
 * copied once, straight into the result array (gstauth_call_raw first copies them into malloc'd memory, which costs
 * less than the loan on small outputs). Heap arrays are not passed in place: that needs a critical downcall, during
 * which the JVM can reach no safepoint, and the core runs for milliseconds on large payloads.
 *
 * <p>Run the JVM with {@code --enable-native-access=ALL-UNNAMED} (or the jar's module name) to silence the
 * restricted-method warning; the jar's manifest says the same for {@code java -jar}.
 */
final class FfmLibrary implements CLibrary {
    private static final Linker LINKER = Linker.nativeLinker();
    /** The data size from which a raw call reads its output through gstauth_call_raw_view. */
    static final int BULK = 32 << 10;
    private static volatile Path path; // the library Lib opens: set by open before Lib is first used

    /** The library's functions, opened on first use from {@link #path}. */
    private static final class Lib {
        static final SymbolLookup LOOKUP = SymbolLookup.libraryLookup(path, Arena.global());
        static final FunctionDescriptor RAW = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS,
                JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        static final MethodHandle CALL = required("gstauth_call",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        static final MethodHandle CALL_RAW = required("gstauth_call_raw", RAW);
        static final MethodHandle FREE = required("gstauth_free", FunctionDescriptor.ofVoid(ADDRESS));
        /** gstauth_call_raw_view and gstauth_release_view: null both when the library predates them. */
        static final MethodHandle CALL_RAW_VIEW;
        static final MethodHandle RELEASE_VIEW;
        static final String VERSION;

        static {
            Optional<MemorySegment> view = LOOKUP.find("gstauth_call_raw_view");
            Optional<MemorySegment> release = LOOKUP.find("gstauth_release_view");
            boolean both = view.isPresent() && release.isPresent();
            CALL_RAW_VIEW = both ? LINKER.downcallHandle(view.get(), RAW) : null;
            RELEASE_VIEW = both ? LINKER.downcallHandle(release.get(), FunctionDescriptor.ofVoid(ADDRESS)) : null;
            MethodHandle v = required("gstauth_version", FunctionDescriptor.of(ADDRESS));
            try {
                VERSION = ((MemorySegment) v.invokeExact()).reinterpret(256).getString(0);
            } catch (Throwable t) {
                throw new IllegalStateException("gstauth_version failed", t);
            }
        }

        private static MethodHandle required(String name, FunctionDescriptor d) {
            return LINKER.downcallHandle(LOOKUP.find(name).orElseThrow(
                    () -> new IllegalStateException(path + " does not export " + name)), d);
        }
    }

    /**
     * A thread's native scratch block: the output slots, then the op name, the JSON and a heap buffer's bytes. It
     * grows up to {@link #KEEP} bytes and is then kept for the thread's next calls; it is freed by the garbage
     * collector once its thread is gone.
     */
    private static final class Scratch {
        static final long KEEP = 256 << 10;
        private static final ThreadLocal<Scratch> MINE = ThreadLocal.withInitial(Scratch::new);

        MemorySegment block = Arena.ofAuto().allocate(4096, 8);

        /** This thread's block of at least size bytes, or null when size is over KEEP. */
        static MemorySegment of(long size) {
            if (size > KEEP) {
                return null;
            }
            Scratch s = MINE.get();
            if (s.block.byteSize() < size) {
                s.block = Arena.ofAuto().allocate(Math.min(KEEP, Math.max(size, 2 * s.block.byteSize())), 8);
            }
            return s.block;
        }
    }

    /** libc's malloc and free, for the blocks of calls over {@link Scratch#KEEP}: an arena would zero them first. */
    private static final class Libc {
        static final MethodHandle MALLOC = LINKER.downcallHandle(LINKER.defaultLookup().find("malloc").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, JAVA_LONG));
        static final MethodHandle FREE = LINKER.downcallHandle(LINKER.defaultLookup().find("free").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS));

        /** size bytes of uninitialised native memory, to be given back with {@link #free}. */
        static MemorySegment malloc(long size) throws Throwable {
            MemorySegment m = (MemorySegment) MALLOC.invokeExact(size);
            if (m.address() == 0) {
                throw new OutOfMemoryError("malloc(" + size + ") failed");
            }
            return m.reinterpret(size);
        }

        static void free(MemorySegment m) throws Throwable {
            FREE.invokeExact(m);
        }
    }

    private FfmLibrary() {
    }

    static synchronized CLibrary open(Path p) {
        if (path == null) {
            path = p;
        }
        try {
            String unused = Lib.VERSION; // opens the library
        } catch (ExceptionInInitializerError e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
        return new FfmLibrary();
    }

    @Override
    public String runtime() {
        return "ffm";
    }

    @Override
    public String version() {
        return Lib.VERSION;
    }

    @Override
    public Reply call(byte[] op, byte[] in) {
        long size = 16L + op.length + in.length;
        MemorySegment block = Scratch.of(size);
        MemorySegment own = null;
        try {
            if (block == null) {
                block = own = Libc.malloc(size);
            }
            block.set(JAVA_LONG, 0, 0); // the output slots: never a stale pointer, whatever the call writes
            block.set(JAVA_LONG, 8, 0);
            MemorySegment.copy(op, 0, block, JAVA_BYTE, 16, op.length);
            MemorySegment input = MemorySegment.NULL;
            if (in.length > 0) {
                input = block.asSlice(16L + op.length, in.length);
                MemorySegment.copy(in, 0, input, JAVA_BYTE, 0, in.length);
            }
            int rc = (int) Lib.CALL.invokeExact(block.asSlice(16, op.length), input, (long) in.length,
                    block, block.asSlice(8, 8));
            MemorySegment out = block.get(ADDRESS, 0);
            try {
                return new Reply(rc, copy(out, block.get(JAVA_LONG, 8)));
            } finally {
                free(out);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            release(own);
        }
    }

    @Override
    public RawReply callRaw(byte[] op, byte[] params, ByteBuffer data) {
        int n = data.remaining();
        boolean inPlace = data.isDirect() || n == 0;
        long small = 32L + op.length + params.length;
        long size = small + (inPlace ? 0 : n);
        MemorySegment block = Scratch.of(size);
        MemorySegment own = null;
        try {
            if (block == null) {
                block = own = Libc.malloc(size);
            }
            block.asSlice(0, 32).fill((byte) 0); // the output slots: never a stale pointer, whatever the call writes
            MemorySegment.copy(op, 0, block, JAVA_BYTE, 32, op.length);
            MemorySegment opSeg = block.asSlice(32, op.length);
            MemorySegment paramsSeg = MemorySegment.NULL;
            if (params.length > 0) {
                paramsSeg = block.asSlice(32L + op.length, params.length);
                MemorySegment.copy(params, 0, paramsSeg, JAVA_BYTE, 0, params.length);
            }
            MemorySegment dataSeg;
            if (n == 0) {
                dataSeg = MemorySegment.NULL;
            } else if (data.isDirect()) {
                dataSeg = MemorySegment.ofBuffer(data); // the bytes from position to limit, in place
            } else {
                dataSeg = block.asSlice(small, n);
                MemorySegment.copy(MemorySegment.ofBuffer(data), 0, dataSeg, 0, n);
            }
            boolean view = n >= BULK && Lib.CALL_RAW_VIEW != null;
            int rc = view
                    ? (int) Lib.CALL_RAW_VIEW.invokeExact(opSeg, paramsSeg, (long) params.length, dataSeg, (long) n,
                            block, block.asSlice(8, 8), block.asSlice(16, 8), block.asSlice(24, 8))
                    : (int) Lib.CALL_RAW.invokeExact(opSeg, paramsSeg, (long) params.length, dataSeg, (long) n,
                            block, block.asSlice(8, 8), block.asSlice(16, 8), block.asSlice(24, 8));
            MemorySegment metaOut = block.get(ADDRESS, 0);
            MemorySegment dataOut = block.get(ADDRESS, 16);
            try {
                byte[] meta = copy(metaOut, block.get(JAVA_LONG, 8));
                return new RawReply(rc, meta, copy(dataOut, block.get(JAVA_LONG, 24)));
            } finally {
                free(metaOut);
                if (!view) {
                    free(dataOut);
                } else if (dataOut.address() != 0) {
                    Lib.RELEASE_VIEW.invokeExact(dataOut);
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            release(own);
        }
    }

    private static void release(MemorySegment own) {
        if (own != null) {
            try {
                Libc.free(own);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    /** The len bytes at p as a new array (empty for NULL). */
    private static byte[] copy(MemorySegment p, long len) {
        return p.address() == 0 ? new byte[0] : p.reinterpret(len).toArray(JAVA_BYTE);
    }

    private static void free(MemorySegment p) throws Throwable {
        if (p.address() != 0) {
            Lib.FREE.invokeExact(p);
        }
    }
}
