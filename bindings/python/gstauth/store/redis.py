"""The Redis store: processes on several hosts share sessions through Redis (``pip install 'gstauth[redis]'``).

The rules run on the server, in the repository's Lua scripts (``store/redis``: read.lua, lease.lua, write.lua; the
wheel carries them): leases on the server's clock, writes by compare-and-set on the version. Each script is loaded
once (``SCRIPT LOAD``) and called by ``EVALSHA``; a server that no longer has it (a restart, a failover, a new
cluster node) answers ``NOSCRIPT`` and gets ``EVAL`` with the text. A record's two keys share one hash tag
(``store_keys``), so the same calls run on one Redis, behind Sentinel (the client follows the master) and on a
Redis Cluster::

    RedisStore(redis.Redis(host="127.0.0.1", port=6379))
    RedisStore(redis.cluster.RedisCluster(startup_nodes=[ClusterNode("10.0.0.1", 7001), ...]))
    open_store("redis://127.0.0.1:6379/0")
    open_store("redis-cluster://10.0.0.1:7001,10.0.0.2:7002,10.0.0.3:7003")
"""
from __future__ import annotations

import threading
from typing import Any, List, Sequence, Union
from urllib.parse import unquote, urlsplit

import redis
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import NoScriptError, RedisClusterException, RedisError

from .._call import BackendArg
from .._ops import LeaseAction, StoreKeysResult
from . import Record, Store, StoreUnavailable, Written
from ._scripts import NAMES, script

__all__ = ["RedisStore"]

Client = Union["redis.Redis", RedisCluster]


class RedisStore(Store):
    """A store over a redis-py client: ``redis.Redis`` (one node, or Sentinel's ``master_for``) or
    ``redis.cluster.RedisCluster``. Give the client socket timeouts: a store that does not answer must fail, not
    hang the session (``from_url`` sets 2 s)."""

    def __init__(self, client: Client, *, backend: BackendArg = None):
        if not isinstance(client, (redis.Redis, RedisCluster)):
            raise TypeError(f"client must be a redis.Redis or a redis.cluster.RedisCluster, not "
                            f"{type(client).__name__}")
        self.client = client
        self.backend = backend
        self._loaded = False
        self._load_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, *, backend: BackendArg = None, socket_timeout: float = 2.0,
                 socket_connect_timeout: float = 2.0, **options: Any) -> "RedisStore":
        """``redis://[[user]:password@]host:port[/db]``, ``rediss://...``, ``unix://path``, or
        ``redis-cluster://[[user]:password@]host:port,host:port,...`` (the cluster's seed nodes). Other options go
        to the redis-py client."""
        kw = dict(socket_timeout=socket_timeout, socket_connect_timeout=socket_connect_timeout, **options)
        if url.startswith("redis-cluster://"):
            rest = url[len("redis-cluster://"):]
            auth, _, hosts = rest.rpartition("@")
            if auth:
                user, _, password = auth.partition(":")
                kw.setdefault("username", unquote(user) or None)
                kw.setdefault("password", unquote(password) or None)
            nodes: List[ClusterNode] = []
            for part in hosts.strip("/").split(","):
                u = urlsplit("//" + part.strip())
                if not u.hostname:
                    raise TypeError(f"a redis-cluster URL lists host:port pairs, not {part!r}")
                nodes.append(ClusterNode(u.hostname, u.port or 6379))  # type: ignore[no-untyped-call]
            return cls(RedisCluster(startup_nodes=nodes, **kw), backend=backend)
        return cls(redis.Redis.from_url(url, **kw), backend=backend)

    def __repr__(self) -> str:
        return f"RedisStore({self.client!r})"

    def load_scripts(self) -> None:
        """SCRIPT LOAD every script (done once, before the first call; NOSCRIPT later falls back to EVAL)."""
        try:
            for name in NAMES:
                self.client.script_load(script(name)[0])
        except (RedisError, RedisClusterException) as e:
            raise StoreUnavailable(f"redis: cannot load the store's scripts: {e}") from None
        self._loaded = True

    def _run(self, name: str, keys: Sequence[str], args: Sequence[Union[str, int]]) -> Any:
        if not self._loaded:
            with self._load_lock:
                if not self._loaded:
                    self.load_scripts()
        text, sha = script(name)
        try:
            try:
                return self.client.evalsha(sha, len(keys), *keys, *args)
            except NoScriptError:
                return self.client.eval(text, len(keys), *keys, *args)
        except (RedisError, RedisClusterException) as e:
            raise StoreUnavailable(f"redis: {name}.lua failed: {type(e).__name__}: {e}") from None

    def read(self, keys: StoreKeysResult) -> Record:
        version, sealed = self._run("read", [keys.session], [])
        return Record(int(version), sealed.decode("utf-8") if isinstance(sealed, bytes) else str(sealed))

    def lease(self, keys: StoreKeysResult, action: LeaseAction, holder: str, ttl_ms: int = 0) -> bool:
        return int(self._run("lease", [keys.lease], [action, holder, ttl_ms])) == 1

    def write(self, keys: StoreKeysResult, expected_version: int, sealed: str) -> Written:
        written, version = self._run("write", [keys.session], [expected_version, sealed])
        return Written(int(written) == 1, int(version))

    def close(self) -> None:
        self.client.close()
