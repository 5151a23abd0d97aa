package io.github.gstauth.store;

import io.github.gstauth.Backend;
import io.github.gstauth.GstAuth;
import io.github.gstauth.Ops;
import io.github.gstauth.SessionStore;
import io.github.gstauth.Types;
import io.github.gstauth.internal.Typed;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The file store: processes on one machine share sessions through a directory, with nothing to install. Each
 * session's record is one JSON file ({@code store_keys(...).file}, the core's record form). Every change is
 * {@code lock → read → op → write → unlock}: an in-process lock (the JVM's file lock belongs to the process, and a
 * second lock of the same file in one JVM would throw), then {@link FileChannel#lock} on {@code <file>.lock} (a POSIX
 * record lock, which excludes the open file description locks of the Go, Python and Node stores on Linux and is
 * released by the kernel when a process dies); the record read (version 0 when absent); the core's op applied
 * ({@code store_lease} or {@code store_write}: the rules are the core's); the result written to a temporary file in the
 * same directory, fsynced and renamed over the record; the directory fsynced. Reads take no lock: the rename is atomic.
 *
 * <p>A record that cannot be read, locked (within the lock timeout) or written fails with
 * {@link StoreUnavailableException} (the core's {@code store_unavailable}, retryable); a lease argument the rules refuse
 * is a {@link io.github.gstauth.GstAuthException} with code {@code invalid_input}.
 */
public final class FileStore implements SessionStore {
    private final Path directory;
    private final Backend backend;
    private final LongSupplier clock;
    private final boolean fsync;
    private final long lockTimeoutNanos;
    private final Map<Path, ReentrantLock> locks = new ConcurrentHashMap<>();

    /** Records in {@code directory} (created with mode 0700 when missing), on the default backend and this clock. */
    public FileStore(Path directory) throws IOException {
        this(directory, GstAuth.backend(), System::currentTimeMillis, true, Duration.ofSeconds(10));
    }

    /**
     * @param clock       the lease clock in Unix ms (this machine's: every process of a file store shares it)
     * @param fsync       whether each write is fsynced (tests may turn it off)
     * @param lockTimeout the longest a record's lock is awaited (then a {@link StoreUnavailableException}: a holder
     *                    must be stuck)
     * @throws StoreUnavailableException when the directory cannot be made
     */
    public FileStore(Path directory, Backend backend, LongSupplier clock, boolean fsync, Duration lockTimeout)
            throws IOException {
        this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath();
        this.backend = Objects.requireNonNull(backend, "backend");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.fsync = fsync;
        this.lockTimeoutNanos = lockTimeout.toNanos();
        if (!Files.isDirectory(this.directory)) {
            try {
                Files.createDirectories(this.directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                try {
                    Files.createDirectories(this.directory);
                } catch (IOException again) {
                    throw StoreUnavailableException.of("the file store's directory " + this.directory, again);
                }
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(this.directory)) { // a file in its place, not a directory made meanwhile
                    throw StoreUnavailableException.of("the file store's directory " + this.directory, e);
                }
            } catch (IOException e) {
                throw StoreUnavailableException.of("the file store's directory " + this.directory, e);
            }
        }
    }

    /** The directory of the records. */
    public Path directory() {
        return directory;
    }

    /** The record's file. */
    public Path path(Ops.StoreKeysOutput keys) {
        return directory.resolve(keys.file());
    }

    private Types.StoreRecord load(Path path) throws IOException {
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return new Types.StoreRecord(0);
        }
        try {
            return Typed.MAPPER.readValue(data, Types.StoreRecord.class);
        } catch (IOException e) {
            throw new IOException("the store record " + path + " is not a record: " + e.getMessage(), e);
        }
    }

    private void save(Path path, Types.StoreRecord rec) throws IOException {
        byte[] data = Typed.MAPPER.writeValueAsBytes(rec);
        Path tmp = Files.createTempFile(directory, path.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                if (fsync) {
                    ch.force(true);
                }
            }
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        if (fsync) {
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                dir.force(true);
            } catch (IOException e) {
                // a platform whose directories cannot be opened: the rename is still atomic
            }
        }
    }

    /** lock → read → apply → write when it changed → unlock. */
    private <T> T change(Ops.StoreKeysOutput keys, Function<Types.StoreRecord, Change<T>> apply) throws IOException {
        Path path = path(keys);
        ReentrantLock local = locks.computeIfAbsent(path, p -> new ReentrantLock());
        long deadline = System.nanoTime() + lockTimeoutNanos;
        try {
            if (!local.tryLock(lockTimeoutNanos, TimeUnit.NANOSECONDS)) {
                throw new StoreUnavailableException("timed out waiting for the lock of " + path + " in this process", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for the lock of " + path);
        }
        try (FileChannel ch = FileChannel.open(Path.of(path + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = null;
            long wait = 1;
            while (lock == null) {
                try {
                    lock = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null; // another store object of this JVM on the same directory
                }
                if (lock == null) {
                    if (System.nanoTime() >= deadline) {
                        throw new StoreUnavailableException("timed out waiting for the lock " + path + ".lock", null);
                    }
                    try {
                        Thread.sleep(wait);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted waiting for the lock " + path + ".lock");
                    }
                    wait = Math.min(wait * 2, 16);
                }
            }
            try {
                Change<T> c = apply.apply(load(path));
                if (c.record() != null) {
                    save(path, c.record());
                }
                return c.result();
            } finally {
                lock.release();
            }
        } finally {
            local.unlock();
        }
    }

    private record Change<T>(Types.StoreRecord record, T result) {
    }

    @Override
    public Record read(Ops.StoreKeysOutput keys) throws IOException {
        Path path = path(keys);
        Types.StoreRecord rec;
        try {
            rec = load(path);
        } catch (IOException e) {
            throw StoreUnavailableException.of("the store record " + path, e);
        }
        return new Record(rec.version(), rec.sealed() == null || rec.sealed().isEmpty() ? null : rec.sealed());
    }

    private static Ops.StoreLeaseInput leaseInput(Types.LeaseAction action, String holder, long ttlMs, long nowMs,
                                                  Types.StoreRecord rec) {
        Ops.StoreLeaseInput in = new Ops.StoreLeaseInput(action, holder, nowMs, rec);
        return action != Types.LeaseAction.RELEASE ? in.withTtlMs(ttlMs) : in;
    }

    @Override
    public boolean lease(Ops.StoreKeysOutput keys, Types.LeaseAction action, String holder, long ttlMs) throws IOException {
        // The core checks the holder and the ttl first: a refused argument is invalid_input, whatever the store's state.
        Ops.storeLease(backend, leaseInput(action, holder, ttlMs, 0, new Types.StoreRecord(0)));
        return changed(keys, rec -> {
            Ops.StoreLeaseOutput out = Ops.storeLease(backend, leaseInput(action, holder, ttlMs, clock.getAsLong(), rec));
            return new Change<>(out.granted() ? out.record() : null, out.granted());
        });
    }

    @Override
    public WriteResult write(Ops.StoreKeysOutput keys, long expectedVersion, String sealed) throws IOException {
        return changed(keys, rec -> {
            Ops.StoreWriteOutput out = Ops.storeWrite(backend, new Ops.StoreWriteInput(expectedVersion, rec, sealed));
            return new Change<>(out.written() ? out.record() : null, new WriteResult(out.written(), out.version()));
        });
    }

    /** change, its I/O failures as StoreUnavailableException. */
    private <T> T changed(Ops.StoreKeysOutput keys, Function<Types.StoreRecord, Change<T>> apply) throws IOException {
        try {
            return change(keys, apply);
        } catch (IOException e) {
            throw StoreUnavailableException.of("the store record " + path(keys), e);
        }
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "FileStore[" + directory + "]";
    }
}
