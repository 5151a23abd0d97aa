"""The shared session store: one session per account for many processes, on one machine or many (docs/hosts.md,
"Many processes").

A store holds, per session, a record: the sealed session with a version, and a refresh lease. Two backends, the same
rules (the core's, never rewritten here):

- :class:`gstauth.store.file.FileStore` for processes on one machine: one JSON record per session in a directory,
  every change made under an exclusive OS file lock through the core's ops ``store_lease`` and ``store_write``.
- :class:`gstauth.store.redis.RedisStore` for processes on several hosts: the Lua scripts of the repository's
  ``store/redis`` (shipped in the wheel), on one Redis or a Redis Cluster (``pip install 'gstauth[redis]'``).

A session shares its state through a :class:`Fleet`, which holds the store, the sealing keyring and the lease's
settings (each session object takes the lease under a holder name of its own)::

    from gstauth.store import Fleet, open_store
    fleet = Fleet(open_store("redis://127.0.0.1:6379"), keys={"k2": new_key, "k1": old_key})
    session = gstauth.GstnSession(account, config, credentials=..., send=..., fleet=fleet)
    session.ensure()      # polls the store, refreshes under the lease exactly once for the fleet

See :class:`Fleet` for what a shared session does.
"""
from __future__ import annotations

import abc
import os
import re
import socket
import uuid
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple, Optional

from .. import _ops
from .._call import BackendArg, Bytes
from .._ops import LeaseAction, Provider, StoreKeysResult

__all__ = ["Store", "Record", "Written", "StoreUnavailable", "Fleet", "FleetStats", "open_store", "default_holder"]


class StoreUnavailable(_ops.StoreUnavailable):
    """The store could not be reached or did not answer as the contract says (a connection refused, a lock not
    taken in time, an I/O error, a script failing): the core's code ``store_unavailable``, retryable. It is the
    generated :class:`gstauth.StoreUnavailable`, so ``except gstauth.StoreUnavailable`` catches it too. A shared
    session keeps using a still-valid token and tries the store again; this is raised only where nothing else can
    be done."""

    def __init__(self, message: str):
        super().__init__(message, code="store_unavailable", retryable=True)


class Record(NamedTuple):
    """A session's record as read: its version (0 before the first write) and the sealed session ("" then)."""

    version: int
    sealed: str


class Written(NamedTuple):
    """The answer to a compare-and-set write: whether it was written, and the record's version after it (the new
    version, or the newer one that refused the write)."""

    written: bool
    version: int


class Store(abc.ABC):
    """A shared session store: read a record, take/extend/release its refresh lease, write it by compare-and-set.

    Every method takes the record's names, ``keys(provider, account)`` (the core's ``store_keys``). A store is
    thread-safe; a failure to reach it raises :class:`StoreUnavailable`."""

    backend: BackendArg = None

    def keys(self, provider: Provider, account: str) -> StoreKeysResult:
        """The names of a session's record in every store (its id, its Redis keys, its file name)."""
        return _ops.store_keys(account=account, provider=provider, backend=self.backend)

    @abc.abstractmethod
    def read(self, keys: StoreKeysResult) -> Record:
        """The record's version and sealed session; ``Record(0, "")`` before the first write."""

    @abc.abstractmethod
    def lease(self, keys: StoreKeysResult, action: LeaseAction, holder: str, ttl_ms: int = 0) -> bool:
        """Take, extend or release the record's refresh lease for holder; True when granted. Take is granted when
        the lease is free, expired or already holder's; extend and release only to the holder of a live lease."""

    @abc.abstractmethod
    def write(self, keys: StoreKeysResult, expected_version: int, sealed: str) -> Written:
        """Store a sealed session if the record is still at expected_version (the version the writer read)."""

    def close(self) -> None:
        """Release the store's connections."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_store(url: str, *, backend: BackendArg = None, **options: Any) -> Store:
    """A store from a URL: ``file:/path/to/dir`` (or a plain directory path), ``redis://host:port[/db]``,
    ``rediss://...``, or ``redis-cluster://host:port,host:port,...``. Options go to the store's constructor."""
    if not isinstance(url, str) or not url:
        raise TypeError("the store URL must be a non-empty str")
    if url.startswith(("redis://", "rediss://", "unix://", "redis-cluster://")):
        from .redis import RedisStore
        return RedisStore.from_url(url, backend=backend, **options)
    from .file import FileStore
    path = url[len("file://"):] if url.startswith("file://") else url[len("file:"):] if url.startswith("file:") else url
    return FileStore(path, backend=backend, **options)


_HOLDER_UNSAFE = re.compile(r"[^A-Za-z0-9_.:@/-]")


def default_holder() -> str:
    """A lease holder name unique to one session object: host, pid and a random suffix (A-Z a-z 0-9 _ . : @ / -).
    A take by the same holder is granted again, so two session objects of one account (in one process or not)
    must not share a name."""
    host = _HOLDER_UNSAFE.sub("-", socket.gethostname())[:64] or "host"
    return f"{host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class FleetStats:
    """What one session of this process did with the store (per session; read ``session.fleet_stats``)."""

    exchanges: int = 0
    """requests sent under the lease (refreshes, renewals, logins)"""
    leases: int = 0
    """leases granted to this process"""
    leases_refused: int = 0
    """lease takes refused (another process held it)"""
    leases_lost: int = 0
    """leases that expired under this process before a send (it stalled; the send was not made)"""
    waits: int = 0
    """times a caller waited for another process's renewal of an unusable token"""
    waited_ms: int = 0
    """the time spent in those waits"""
    opened: int = 0
    """newer versions read from the store and opened"""
    writes: int = 0
    """writes the store took"""
    writes_refused: int = 0
    """writes refused for a stale version (a newer session was read instead)"""
    writes_over: int = 0
    """refused writes of a change that replaced a token, made again over the newer version because it still held
    that token (it only said something about it, such as a rejection)"""
    rejections_unwritten: int = 0
    """rejections seen on a call and not written because another process held the lease (its renewal carries
    them)"""
    store_errors: int = 0
    """failures to reach the store, or to open what it held"""


class Fleet:
    """Sharing of sessions between processes through a store (docs/hosts.md, "Many processes"): pass it to a
    session's constructor as ``fleet=``; one Fleet serves every session of a process.

    ``keys`` is the sealing keyring ``{key_id: 32-byte key}``: every key opens, ``seal_key_id`` (default: the first
    key) seals, so a fleet rotates keys by deploying ``{new, old}`` and sealing with the new one. ``holder`` names the
    lease holder; by default each session object gets a name of its own (host, pid and a random suffix), since a take
    by the same holder is granted again: a holder given here must name one session object per account.
    ``lease_ttl_ms`` must exceed the longest exchange under the lease (1 s to 10 min). ``poll_interval`` is the pause,
    in seconds, between looks at the store while a caller waits (at most the session's ``wait_timeout``) for another
    process's renewal.

    A shared session reads the store before each ``ensure`` and opens a newer version; at the refresh margin it
    refreshes only when it gets the lease (the others keep their still-valid token and do not wait); with an
    unusable token it waits, bounded and logged, for the lease holder's new session. Every write is made under the
    lease: take it, read, apply, write by compare-and-set on the version read, release. That covers refreshes,
    renewals, logins and logouts through ``exchange``, failures, and a rejection observed on a call, which is written
    only when the lease is free right now (a process holding it is renewing, and its write carries the result). A
    refused write is made again at most three times: a refresh or an exchange that replaced a token is written over a
    newer version that still holds that token; a rejection is applied again to the newer session; otherwise the
    newer session is opened (fenced off). A newer stored session the keyring cannot open is never renewed over: the
    local token is used while it is valid, then the keyring's error is raised. Progress goes to the
    ``gstauth.fleet`` logger.
    """

    def __init__(self, store: Store, keys: Mapping[str, Bytes], *, seal_key_id: Optional[str] = None,
                 holder: Optional[str] = None, lease_ttl_ms: int = 30_000, poll_interval: float = 0.1,
                 backend: BackendArg = None):
        if not isinstance(store, Store):
            raise TypeError(f"store must be a gstauth.store.Store, not {type(store).__name__}")
        if not isinstance(keys, Mapping) or not keys:
            raise TypeError("keys must be a non-empty dict of key id to 32-byte key")
        from .._call import b64e
        self.keyring = [_ops.SealKey(key_id=k, key=b64e(v, f"keys[{k!r}]")) for k, v in keys.items()]
        self.seal_key_id = seal_key_id if seal_key_id is not None else next(iter(keys))
        if self.seal_key_id not in keys:
            raise TypeError(f"seal_key_id {self.seal_key_id!r} is not in the keyring")
        self.seal_key = bytes(keys[self.seal_key_id])
        self.store = store
        self.holder: Optional[str] = holder or None
        """The lease holder name given, or None: each session object names itself (default_holder())."""
        if not isinstance(lease_ttl_ms, int) or isinstance(lease_ttl_ms, bool):
            raise TypeError("lease_ttl_ms must be an int")
        if not isinstance(poll_interval, (int, float)) or poll_interval <= 0:
            raise TypeError("poll_interval must be a positive number of seconds")
        self.lease_ttl_ms = lease_ttl_ms
        self.poll_interval = float(poll_interval)
        self.backend = backend
        # The core checks the holder's form and the ttl's bounds (the Redis scripts take them as they are).
        _ops.store_lease(action="take", holder=self.holder or default_holder(), now_ms=0,
                         record=_ops.StoreRecord(version=0), ttl_ms=lease_ttl_ms, backend=backend)

