package io.github.gstauth.internal;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.WasmModule;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.gstauth.Backend;
import io.github.gstauth.ErrorCode;
import io.github.gstauth.GstAuthException;
import io.github.gstauth.RawResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;

/**
 * The {@code wasm} backend: gstauth.wasm, compiled to JVM bytecode when this jar was built (Chicory's build-time
 * compiler, class {@code PluginModule}), run on Chicory with no native code.
 *
 * <p>WASI gets a {@link SecureRandom} and the system clock: Chicory's defaults are {@code ThreadLocalRandom}, which
 * is not a CSPRNG, and the core draws keys and nonces from WASI random_get. The plugin sees no files, no environment
 * and no arguments; its stdout is dropped and its stderr (Go's fatal-error report) goes to System.err.
 *
 * <p>A plugin instance is single-threaded, so calls borrow one from a pool of at most {@value #INSTANCES_PROPERTY}
 * instances (default: the number of processors, at least 2); a caller waits while all are busy. An instance whose
 * linear memory grew past {@value #MAX_MEMORY_PROPERTY} MiB (default 64; memory never shrinks) or that trapped is
 * dropped instead of returned.
 */
public final class WasmBackend implements Backend {
    static final String INSTANCES_PROPERTY = "gstauth.wasm.instances";
    static final String MAX_MEMORY_PROPERTY = "gstauth.wasm.maxMemoryMiB";
    private static final int PAGE = 64 * 1024;
    private static final byte[] EMPTY_OBJECT = {(byte) '{', (byte) '}'};

    private final WasmModule module;
    private final WasiOptions wasi;
    private final Semaphore permits;
    private final ConcurrentLinkedDeque<Plugin> idle = new ConcurrentLinkedDeque<>();
    private final long maxMemoryBytes;
    private final Set<String> jsonOps = new HashSet<>();
    private final Set<String> rawOps = new HashSet<>();
    private final String version;
    private final int maxOpNameLength;

    /** The WASI options every instance gets: a CSPRNG and the system clock, no files, no environment. */
    static WasiOptions wasiOptions(Random random) {
        return WasiOptions.builder()
                .withRandom(random)
                .withClock(Clock.systemUTC())
                .withStdin(InputStream.nullInputStream())
                .withStdout(OutputStream.nullOutputStream())
                .withStderr(System.err)
                .build();
    }

    static WasmBackend load() {
        return new WasmBackend(new SecureRandom());
    }

    WasmBackend(Random random) {
        this.module = PluginModule.load();
        this.wasi = wasiOptions(random);
        int n = Integer.getInteger(INSTANCES_PROPERTY, Math.max(2, Runtime.getRuntime().availableProcessors()));
        this.permits = new Semaphore(Math.max(1, n), true);
        this.maxMemoryBytes = Long.getLong(MAX_MEMORY_PROPERTY, 64L) * 1024 * 1024;
        Plugin p = borrow();
        try {
            version = Utf8.decode(p.invoke("gstauth_version", new byte[0]).output());
            JsonNode ops = ErrorJson.MAPPER.readTree(p.invoke("ops", EMPTY_OBJECT).output()).get("ops");
            for (JsonNode op : ops) {
                (op.path("raw").asBoolean(false) ? rawOps : jsonOps).add(op.get("name").asText());
            }
            JsonNode schema = ErrorJson.MAPPER.readTree(p.invoke("schema", EMPTY_OBJECT).output());
            maxOpNameLength = schema.path("maxOpNameLength").asInt(Integer.MAX_VALUE);
        } catch (IOException e) {
            throw new UncheckedIOException("the plugin's op list is not JSON", e);
        } finally {
            giveBack(p);
        }
    }

    /** The options instances are built with (for tests). */
    WasiOptions wasiOptions() {
        return wasi;
    }

    @Override
    public String name() {
        return "wasm";
    }

    @Override
    public String runtime() {
        return "chicory";
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public byte[] call(String op, byte[] inputJson) {
        Utf8.opName(op); // the same null and NUL checks as the shared library's route
        Objects.requireNonNull(inputJson, "inputJson");
        checkOp(op, false);
        Plugin p = borrow();
        try {
            Outcome o = p.invoke(op, inputJson);
            if (!o.ok()) {
                throw ErrorJson.toException(o.output());
            }
            return o.output();
        } finally {
            giveBack(p);
        }
    }

    @Override
    public RawResult callRaw(String op, byte[] paramsJson, ByteBuffer data) {
        Utf8.opName(op);
        Objects.requireNonNull(paramsJson, "paramsJson");
        Objects.requireNonNull(data, "data");
        checkOp(op, true);
        byte[] frame = Frame.encode(paramsJson, data);
        Plugin p = borrow();
        try {
            Outcome o = p.invoke(op, frame);
            if (!o.ok()) {
                throw ErrorJson.toException(o.output());
            }
            return o.frame();
        } finally {
            giveBack(p);
        }
    }

    /**
     * Refuses, with the codes the shared library gives, what the plugin cannot be asked: a name no op can have (empty
     * or longer than the schema's maxOpNameLength: invalid_input), a name that is no op (unsupported), an op through
     * the wrong entry (unsupported). The plugin has one export per op and no generic entry that would say this itself.
     */
    private void checkOp(String op, boolean raw) {
        if ((raw ? rawOps : jsonOps).contains(op)) {
            return;
        }
        if (op.isEmpty()) {
            throw ErrorJson.hostError(ErrorCode.INVALID_INPUT, "the op name is empty");
        }
        if (op.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > maxOpNameLength) {
            throw ErrorJson.hostError(ErrorCode.INVALID_INPUT, "the op name is longer than " + maxOpNameLength + " bytes");
        }
        String shown = op;
        if ((raw ? jsonOps : rawOps).contains(op)) {
            throw ErrorJson.hostError(ErrorCode.UNSUPPORTED, "op \"" + shown + "\" is a " + (raw ? "JSON" : "raw")
                    + " op: call it through the " + (raw ? "JSON" : "raw") + " entry point");
        }
        throw ErrorJson.hostError(ErrorCode.UNSUPPORTED, "unknown op \"" + shown + "\" (the op \"ops\" lists them)");
    }

    private Plugin borrow() {
        permits.acquireUninterruptibly();
        try {
            Plugin p = idle.pollFirst();
            return p != null ? p : new Plugin();
        } catch (RuntimeException | Error e) {
            permits.release();
            throw e;
        }
    }

    private void giveBack(Plugin p) {
        try {
            if (!p.broken && (long) p.instance.memory().pages() * PAGE <= maxMemoryBytes) {
                idle.offerFirst(p);
            }
        } finally {
            permits.release();
        }
    }

    /** The number of instances waiting in the pool (for tests). */
    int idleInstances() {
        return idle.size();
    }

    /** A call's result: the output (or error JSON) and whether the plugin returned 0. */
    private static final class Outcome {
        private final boolean ok;
        private final byte[] store;
        private final int offset;
        private final int length;

        Outcome(boolean ok, byte[] store, int offset, int length) {
            this.ok = ok;
            this.store = store;
            this.offset = offset;
            this.length = length;
        }

        boolean ok() {
            return ok;
        }

        byte[] output() {
            return Arrays.copyOfRange(store, offset, offset + length);
        }

        /** The output as a raw op's frame. */
        RawResult frame() {
            return Frame.decode(store, offset, length);
        }
    }

    /** One instance of the plugin with its own Extism kernel and WASI state. */
    private final class Plugin {
        final ExtismKernel kernel = new ExtismKernel();
        final Instance instance;
        boolean broken;

        Plugin() {
            WasiPreview1 wasiHost = WasiPreview1.builder().withOptions(wasi).build();
            ImportValues imports = ImportValues.builder()
                    .addFunction(kernel.hostFunctions(module))
                    .addFunction(wasiHost.toHostFunctions())
                    .build();
            instance = Instance.builder(module)
                    .withMachineFactory(PluginModule::create)
                    .withImportValues(imports)
                    .withStart(false)
                    .build();
            instance.export("_initialize").apply(); // a Go reactor: start the runtime once
        }

        Outcome invoke(String export, byte[] input) {
            ExportFunction f = instance.export(export);
            kernel.begin(input);
            try {
                long[] rc = f.apply();
                boolean ok = rc != null && rc.length > 0 && rc[0] == 0;
                if (kernel.hasOutput()) {
                    return new Outcome(ok, kernel.store(), kernel.outputOffset(), kernel.outputLength());
                }
                byte[] err = kernel.error();
                if (!ok && err != null) {
                    return new Outcome(false, err, 0, err.length);
                }
                if (!ok) {
                    throw ErrorJson.hostError(ErrorCode.INTERNAL, "the plugin failed in " + export + " without an error");
                }
                return new Outcome(true, new byte[0], 0, 0);
            } catch (GstAuthException e) {
                throw e;
            } catch (RuntimeException | StackOverflowError e) {
                broken = true;
                throw ErrorJson.hostError(ErrorCode.INTERNAL, "the plugin trapped in " + export + ": " + e);
            } finally {
                kernel.end();
            }
        }
    }
}
