package io.github.gstauth.internal;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * The C ABI through JNA direct mapping ({@link Native#register}), the route on JDK 17-21: about 0.1 µs a call on top
 * of Go's own cgo entry, where JNA's interface mapping costs several times that.
 *
 * <p>Output pointers go to a per-thread 32-byte native scratch block passed as plain addresses, so a call allocates
 * no native memory of its own; the op name and the JSON are Java arrays (JNA copies them for the call), bulk data the
 * address of a direct buffer (no copy). From {@link #BULK} bytes of data on, a heap buffer is copied once into
 * native memory (JNA would copy an array in, and then back out, not knowing it is only read), and the raw output is
 * read through gstauth_call_raw_view where the library has it: the core's own bytes, lent until
 * gstauth_release_view, copied once, straight into the result array (gstauth_call_raw first copies them into
 * malloc'd memory, which costs less than the loan on small outputs).
 */
final class JnaLibrary implements CLibrary {
    private static final int RTLD_NOW = 0x2;
    private static final int RTLD_NODELETE = 0x1000;
    /** The data size from which a raw call takes the bulk path. */
    static final int BULK = 32 << 10;

    private static NativeLibrary library; // strong reference: never unloaded (RTLD_NODELETE as well)
    private static boolean hasView;

    private static final ThreadLocal<Memory> SCRATCH = ThreadLocal.withInitial(() -> new Memory(32));

    static native int gstauth_call(byte[] op, byte[] in, long inLen, long out, long outLen);

    static native int gstauth_call_raw(byte[] op, byte[] params, long paramsLen, byte[] data, long dataLen,
                                       long outMeta, long outMetaLen, long outData, long outDataLen);

    static native int gstauth_call_raw(byte[] op, byte[] params, long paramsLen, long data, long dataLen,
                                       long outMeta, long outMetaLen, long outData, long outDataLen);

    static native void gstauth_free(long p);

    static native Pointer gstauth_version();

    /** The exports a library older than them lacks, registered apart so that their absence is not an error. */
    private static final class View {
        static native int gstauth_call_raw_view(byte[] op, byte[] params, long paramsLen, long data, long dataLen,
                                                long outMeta, long outMetaLen, long outData, long outDataLen);

        static native void gstauth_release_view(long p);
    }

    private final String version;

    private JnaLibrary(String version) {
        this.version = version;
    }

    static synchronized CLibrary open(Path path) {
        if (library == null) {
            NativeLibrary lib = NativeLibrary.getInstance(path.toString(),
                    Map.of(Library.OPTION_OPEN_FLAGS, RTLD_NOW | RTLD_NODELETE));
            Native.register(JnaLibrary.class, lib);
            try {
                lib.getFunction("gstauth_call_raw_view");
                lib.getFunction("gstauth_release_view");
                Native.register(View.class, lib);
                hasView = true;
            } catch (UnsatisfiedLinkError e) {
                hasView = false;
            }
            library = lib;
        }
        return new JnaLibrary(gstauth_version().getString(0, "UTF-8"));
    }

    @Override
    public String runtime() {
        return "jna";
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public Reply call(byte[] op, byte[] in) {
        Memory s = SCRATCH.get();
        long base = Pointer.nativeValue(s);
        int rc = gstauth_call(op, in.length == 0 ? null : in, in.length, base, base + 8);
        return new Reply(rc, take(s.getLong(0), s.getLong(8)));
    }

    @Override
    public RawReply callRaw(byte[] op, byte[] params, ByteBuffer data) {
        Memory s = SCRATCH.get();
        long base = Pointer.nativeValue(s);
        int n = data.remaining();
        byte[] p = params.length == 0 ? null : params;
        if (n >= BULK) {
            return bulk(s, op, p, params.length, data);
        }
        int rc;
        if (n == 0) {
            rc = gstauth_call_raw(op, p, params.length, (byte[]) null, 0, base, base + 8, base + 16, base + 24);
        } else if (data.isDirect()) {
            rc = gstauth_call_raw(op, p, params.length, address(data), n, base, base + 8, base + 16, base + 24);
            Reference.reachabilityFence(data);
        } else {
            rc = gstauth_call_raw(op, p, params.length, Buffers.array(data), n, base, base + 8, base + 16, base + 24);
        }
        byte[] meta = take(s.getLong(0), s.getLong(8));
        byte[] out = take(s.getLong(16), s.getLong(24));
        return new RawReply(rc, meta, out);
    }

    /** A raw call with n ≥ BULK bytes of data: a heap buffer copied once, the output lent where the library can. */
    private static RawReply bulk(Memory s, byte[] op, byte[] p, int paramsLen, ByteBuffer data) {
        long base = Pointer.nativeValue(s);
        int n = data.remaining();
        Memory copy = null;
        try {
            long at;
            if (data.isDirect()) {
                at = address(data);
            } else {
                copy = new Memory(n); // malloc: not zeroed
                if (data.hasArray()) {
                    copy.write(0, data.array(), data.arrayOffset() + data.position(), n);
                } else {
                    copy.write(0, Buffers.array(data), 0, n); // a read-only heap buffer
                }
                at = Pointer.nativeValue(copy);
            }
            boolean view = hasView;
            int rc = view
                    ? View.gstauth_call_raw_view(op, p, paramsLen, at, n, base, base + 8, base + 16, base + 24)
                    : gstauth_call_raw(op, p, paramsLen, at, n, base, base + 8, base + 16, base + 24);
            Reference.reachabilityFence(data); // a direct buffer's memory, read in place
            long metaOut = s.getLong(0);
            long dataOut = s.getLong(16);
            try {
                byte[] meta = copy(metaOut, s.getLong(8));
                return new RawReply(rc, meta, copy(dataOut, s.getLong(24)));
            } finally {
                free(metaOut);
                if (!view) {
                    free(dataOut);
                } else if (dataOut != 0) {
                    View.gstauth_release_view(dataOut);
                }
            }
        } finally {
            if (copy != null) {
                copy.close();
            }
        }
    }

    /** The address of a direct buffer's position. */
    private static long address(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct)) + direct.position();
    }

    /** Copies len bytes at p into a Java array and releases p. */
    private static byte[] take(long p, long len) {
        try {
            return copy(p, len);
        } finally {
            free(p);
        }
    }

    /** The len bytes at p as a new array (empty for NULL). */
    private static byte[] copy(long p, long len) {
        return p == 0 ? new byte[0] : new Pointer(p).getByteArray(0, Math.toIntExact(len));
    }

    private static void free(long p) {
        if (p != 0) {
            gstauth_free(p);
        }
    }
}
