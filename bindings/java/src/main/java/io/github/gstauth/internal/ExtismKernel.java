package io.github.gstauth.internal;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ImportSection;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The host side of the Extism ABI ({@code extism:host/env}) for one plugin instance: the input of the current call,
 * a block store the plugin allocates its output and error in, and the output and error it sets.
 *
 * <p>Extism's "kernel" keeps these blocks outside the plugin's linear memory and the plugin moves bytes through
 * {@code input_load_u64}, {@code store_u64} and friends. Here the blocks live in one Java array per instance,
 * emptied at the start of each call: offsets start at 1 (0 means "none"), every access is bounds-checked against
 * what was allocated, and a bad access traps the call. Only the functions the plugin imports are linked; an import
 * this host does not know fails at load time with its name.
 */
final class ExtismKernel {
    static final String MODULE = "extism:host/env";
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int KEEP_BYTES = 1 << 20;

    private byte[] input = new byte[0];
    private byte[] store = new byte[1 << 16];
    private int top = 1;
    private final Map<Long, Integer> lengths = new HashMap<>();
    private long outputOffset;
    private long outputLength;
    private long errorOffset;

    /** Starts a call with this input (not copied). */
    void begin(byte[] in) {
        input = in;
        top = 1;
        lengths.clear();
        outputOffset = 0;
        outputLength = 0;
        errorOffset = 0;
        if (store.length > KEEP_BYTES) {
            store = new byte[1 << 16];
        }
    }

    /** Ends a call: drops the reference to the input. */
    void end() {
        input = new byte[0];
    }

    boolean hasOutput() {
        return outputOffset != 0;
    }

    /** The output the plugin set, as offset and length into {@link #store()}. */
    int outputOffset() {
        return (int) outputOffset;
    }

    int outputLength() {
        return (int) outputLength;
    }

    byte[] store() {
        return store;
    }

    /** The error string the plugin set, or null. */
    byte[] error() {
        if (errorOffset == 0) {
            return null;
        }
        int n = lengths.getOrDefault(errorOffset, 0);
        return Arrays.copyOfRange(store, (int) errorOffset, (int) errorOffset + n);
    }

    /** The host functions for every {@value #MODULE} import of the module, typed as the module declares them. */
    HostFunction[] hostFunctions(WasmModule module) {
        ImportSection imports = module.importSection();
        List<HostFunction> out = new ArrayList<>();
        for (int i = 0; i < imports.importCount(); i++) {
            Import imp = imports.getImport(i);
            if (!MODULE.equals(imp.module()) || !(imp instanceof FunctionImport)) {
                continue;
            }
            FunctionType type = module.typeSection().getType(((FunctionImport) imp).typeIndex());
            out.add(new HostFunction(MODULE, imp.name(), type, handle(imp.name())));
        }
        return out.toArray(new HostFunction[0]);
    }

    private WasmFunctionHandle handle(String name) {
        switch (name) {
            case "input_length":
                return (Instance inst, long... a) -> new long[] {input.length};
            case "input_load_u8":
                return (Instance inst, long... a) -> new long[] {input[index(a[0], 1, input.length)] & 0xff};
            case "input_load_u64":
                return (Instance inst, long... a) -> new long[] {(long) LONG_LE.get(input, index(a[0], 8, input.length))};
            case "alloc":
                return (Instance inst, long... a) -> new long[] {alloc(a[0])};
            case "free":
                return (Instance inst, long... a) -> null;
            case "length":
            case "length_unsafe":
                return (Instance inst, long... a) -> new long[] {lengths.getOrDefault(a[0], 0)};
            case "load_u8":
                return (Instance inst, long... a) -> new long[] {store[stored(a[0], 1)] & 0xff};
            case "load_u64":
                return (Instance inst, long... a) -> new long[] {(long) LONG_LE.get(store, stored(a[0], 8))};
            case "store_u8":
                return (Instance inst, long... a) -> {
                    store[stored(a[0], 1)] = (byte) a[1];
                    return null;
                };
            case "store_u64":
                return (Instance inst, long... a) -> {
                    LONG_LE.set(store, stored(a[0], 8), a[1]);
                    return null;
                };
            case "output_set":
                return (Instance inst, long... a) -> {
                    stored(a[0], a[1]);
                    outputOffset = a[0];
                    outputLength = a[1];
                    return null;
                };
            case "error_set":
                return (Instance inst, long... a) -> {
                    errorOffset = a[0] == 0 ? 0 : stored(a[0], lengths.getOrDefault(a[0], 0));
                    return null;
                };
            case "config_get":
            case "var_get":
                return (Instance inst, long... a) -> new long[] {0}; // no config, no vars: "not found"
            case "var_set":
            case "log_trace":
            case "log_debug":
            case "log_info":
            case "log_warn":
            case "log_error":
                return (Instance inst, long... a) -> null;
            case "get_log_level":
                return (Instance inst, long... a) -> new long[] {Integer.MAX_VALUE}; // logging off
            default:
                throw new IllegalStateException("gstauth.wasm imports " + MODULE + "." + name
                        + ", which this host does not provide");
        }
    }

    private long alloc(long n) {
        if (n < 0 || n > Integer.MAX_VALUE - 16 - top) {
            throw new IllegalStateException("plugin allocation of " + n + " bytes refused");
        }
        int off = top;
        int end = top + (int) n;
        if (end > store.length) {
            store = Arrays.copyOf(store, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(end, 2L * store.length)));
        }
        top = end;
        lengths.put((long) off, (int) n);
        return off;
    }

    /** Checks that [off, off+n) lies in the allocated blocks. */
    private int stored(long off, long n) {
        if (off < 1 || n < 0 || off + n > top) {
            throw new IllegalStateException("plugin accessed " + n + " bytes at " + off + " outside its blocks");
        }
        return (int) off;
    }

    private static int index(long off, int n, int len) {
        if (off < 0 || off + n > len) {
            throw new IllegalStateException("plugin read " + n + " bytes at " + off + " outside its input");
        }
        return (int) off;
    }
}
