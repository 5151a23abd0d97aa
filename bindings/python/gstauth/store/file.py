"""The file store: processes on one machine share sessions through a directory, with nothing to install.

Each session's record is one JSON file (``store_keys(...).file``, the core's record form). Every change is
``lock → read → op → write → unlock``: an exclusive lock on ``<file>.lock``, the record read (version 0 when absent),
the core's op applied (``store_lease`` or ``store_write``: the rules are the core's), the result written to a
temporary file in the same directory, fsynced and renamed over the record. Reads take no lock: the rename is atomic.

The lock is ``flock(2)`` on the lock file and, on Linux, an open file description record lock (``F_OFD_SETLKW``) on
the same file as well, so that the record is safe alongside hosts that lock either way (Go's flock, the JVM's
``FileChannel.lock``, which takes a POSIX record lock). Both are released by the kernel when a process dies. Where
``fcntl`` does not exist (Windows) the ``filelock`` package (``pip install 'gstauth[filelock]'``) locks instead.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import struct
import tempfile
import threading
import time
from typing import Any, Callable, Dict, Iterator, Optional

from .. import _ops
from .._call import BackendArg
from .._ops import LeaseAction, StoreKeysResult, StoreRecord
from . import Record, Store, StoreUnavailable, Written

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["FileStore"]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _retry(lock: Callable[[], object], deadline: float, path: str) -> None:
    """Try a non-blocking lock until it is granted (a short sleep, doubling from 1 ms to 16 ms, between tries)."""
    wait = 0.001
    while True:
        try:
            lock()
            return
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EINTR):
                raise
        if time.monotonic() >= deadline:
            raise StoreUnavailable(f"timed out waiting for the lock {path}")
        time.sleep(wait)
        wait = min(wait * 2, 0.016)


# struct flock on LP64 Linux: short l_type, short l_whence, (pad), off_t l_start, off_t l_len, pid_t l_pid, (pad):
# a write lock on the whole file; an open file description lock must have l_pid 0.
_OFD_LOCK = struct.pack("hhxxxxqqixxxx", getattr(fcntl, "F_WRLCK", 1), os.SEEK_SET, 0, 0, 0)


class FileStore(Store):
    """Records in ``directory`` (created, mode 0700, when missing). ``clock`` is the lease clock in Unix ms (this
    machine's clock: every process of a file store shares it). A record's lock is awaited at most ``lock_timeout``
    seconds (then StoreUnavailable: a process that holds it must be stuck)."""

    def __init__(self, directory: str, *, clock: Callable[[], int] = _now_ms, backend: BackendArg = None,
                 fsync: bool = True, lock_timeout: float = 10.0):
        if not isinstance(directory, (str, os.PathLike)) or not str(directory):
            raise TypeError("directory must be a path")
        self.directory = os.path.abspath(os.fspath(directory))
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        self.clock = clock
        self.backend = backend
        self.fsync = fsync
        self.lock_timeout = lock_timeout
        self._locks: Dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._ofd = fcntl is not None and hasattr(fcntl, "F_OFD_SETLKW") and struct.calcsize("q") == 8

    def __repr__(self) -> str:
        return f"FileStore({self.directory!r})"

    def path(self, keys: StoreKeysResult) -> str:
        """The record's file."""
        return os.path.join(self.directory, keys.file)

    # --- the record ------------------------------------------------------------------------------------------

    def _load(self, path: str) -> StoreRecord:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return StoreRecord(version=0)
        except OSError as e:
            raise StoreUnavailable(f"cannot read the store record {path}: {e.strerror or e}") from None
        try:
            rec = json.loads(data)
            if not isinstance(rec, dict) or not isinstance(rec.get("version"), int):
                raise ValueError("not a record")
        except ValueError as e:
            raise StoreUnavailable(f"the store record {path} is not a record: {e}") from None
        out: StoreRecord = rec  # type: ignore[assignment]
        return out

    def _save(self, path: str, rec: StoreRecord) -> None:
        data = json.dumps(rec, separators=(",", ":")).encode("utf-8")
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=os.path.basename(path) + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                if self.fsync:
                    os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        if self.fsync:
            self._fsync_dir()

    def _fsync_dir(self) -> None:
        try:
            dfd = os.open(self.directory, os.O_RDONLY)
        except OSError:  # pragma: no cover - a platform whose directories cannot be opened
            return
        try:
            os.fsync(dfd)
        except OSError:  # pragma: no cover
            pass
        finally:
            os.close(dfd)

    @contextlib.contextmanager
    def _locked(self, path: str) -> Iterator[None]:
        """The record's exclusive lock: an in-process lock, then the OS lock on <file>.lock."""
        with self._locks_lock:
            local = self._locks.setdefault(path, threading.Lock())
        with local:
            lock_path = path + ".lock"
            if fcntl is None:  # pragma: no cover - Windows
                try:
                    from filelock import FileLock
                except ImportError:
                    raise StoreUnavailable("the file store needs fcntl or the filelock package "
                                           "(pip install 'gstauth[filelock]')") from None
                with FileLock(lock_path):
                    yield
                return
            try:
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
            except OSError as e:
                raise StoreUnavailable(f"cannot open the lock file {lock_path}: {e.strerror or e}") from None
            try:
                deadline = time.monotonic() + self.lock_timeout
                _retry(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB), deadline, lock_path)
                if self._ofd:
                    _retry(lambda: fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _OFD_LOCK), deadline, lock_path)
                yield
            finally:
                os.close(fd)  # closing the only descriptor releases both locks

    def _change(self, keys: StoreKeysResult, apply: Callable[[StoreRecord], Optional[StoreRecord]]) -> None:
        path = self.path(keys)
        try:
            with self._locked(path):
                new = apply(self._load(path))
                if new is not None:
                    self._save(path, new)
        except OSError as e:
            raise StoreUnavailable(f"the file store at {self.directory} failed: {e.strerror or e}") from None

    # --- the Store interface --------------------------------------------------------------------------------

    def read(self, keys: StoreKeysResult) -> Record:
        rec = self._load(self.path(keys))
        return Record(rec["version"], rec.get("sealed", ""))

    def lease(self, keys: StoreKeysResult, action: LeaseAction, holder: str, ttl_ms: int = 0) -> bool:
        granted = False

        def apply(rec: StoreRecord) -> Optional[StoreRecord]:
            nonlocal granted
            out = _ops.store_lease(action=action, holder=holder, now_ms=self.clock(), record=rec,
                                   ttl_ms=ttl_ms if action != "release" else None, backend=self.backend)
            granted = out.granted
            return out.record if out.granted else None
        self._change(keys, apply)
        return granted

    def write(self, keys: StoreKeysResult, expected_version: int, sealed: str) -> Written:
        result = Written(False, 0)

        def apply(rec: StoreRecord) -> Optional[StoreRecord]:
            nonlocal result
            out = _ops.store_write(expected_version=expected_version, record=rec, sealed=sealed,
                                   backend=self.backend)
            result = Written(out.written, out.version)
            return out.record if out.written else None
        self._change(keys, apply)
        return result

    def record(self, keys: StoreKeysResult) -> Dict[str, Any]:
        """The whole record as stored, lease included (for inspection and tests)."""
        return dict(self._load(self.path(keys)))
