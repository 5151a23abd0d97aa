"""Helpers of the shared store tests: a token endpoint over real HTTP (so that processes share it), redis-server
instances of the tests' own, and the worker functions that spawned processes run. Importable by a spawned child
(multiprocessing passes it the parent's sys.path)."""
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

import gstauth
from gstauth import OAuthClientCredentialsSession, Request, Response
from gstauth.store import Fleet, open_store

from fakes import OAuthServer

KEYS = {"k1": bytes(range(32))}
ROTATED = {"k2": bytes(range(32, 64)), "k1": bytes(range(32))}
LIFETIME_S = 3600
MARGIN_MS = (LIFETIME_S - 60) * 1000      # a clock this far ahead finds the token due, still valid (refresh)
EXPIRED_MS = (LIFETIME_S + 10) * 1000     # ... and expired (renew)


class TokenServer:
    """fakes.OAuthServer behind a threaded HTTP server on loopback. ``delay`` slows each token answer; the first
    ``hold`` token requests are held until ``release()`` (a request whose sender is killed)."""

    def __init__(self, delay: float = 0.0):
        self.oauth = OAuthServer(lifetime_s=LIFETIME_S)
        self.delay = delay
        self.hold = 0
        self.token_requests = 0
        self.arrived = threading.Event()
        self._released = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def _serve(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                if self.path.endswith("/oauth/token"):
                    with outer._lock:
                        outer.token_requests += 1
                        held = outer.token_requests <= outer.hold
                    outer.arrived.set()
                    if held:
                        outer._released.wait(60)
                    time.sleep(outer.delay)
                status, headers, text = outer.oauth.handle(
                    self.command, "http://x" + self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                data = text.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def issued(self) -> int:
        return self.oauth.tokens_issued

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()


def http_send(req: Request) -> Response:
    """A send callable over urllib (the standard library: nothing for the children to install)."""
    r = urllib.request.Request(req.url, data=req.body.encode() if req.body else None, method=req.method,
                               headers=req.headers)
    try:
        with urllib.request.urlopen(r, timeout=60) as resp:
            return Response(resp.status, dict(resp.headers), resp.read().decode())
    except urllib.error.HTTPError as e:
        return Response(e.code, dict(e.headers), e.read().decode())


class Clock:
    """The host clock plus an offset (ms): a session can stand at the refresh margin or past expiry while the
    servers keep their real clocks."""

    def __init__(self, offset_ms: int = 0):
        self.offset_ms = offset_ms

    def __call__(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms


def session(base_url: str, fleet: Optional[Fleet], offset_ms: int = 0, send: Any = http_send,
            **kw: Any) -> OAuthClientCredentialsSession:
    return OAuthClientCredentialsSession(
        "client-1", {"token_url": base_url + "/oauth/token", "client_id": "client-1", "scope": "gst"},
        credentials={"client_secret": "s3cret"}, send=send, clock=Clock(offset_ms), fleet=fleet, **kw)


def fleet(store_url: str, holder: str, keys: Optional[Dict[str, bytes]] = None, ttl_ms: int = 10_000,
          poll: float = 0.05) -> Fleet:
    return Fleet(open_store(store_url), keys or KEYS, holder=holder, lease_ttl_ms=ttl_ms, poll_interval=poll)


def ensure_in_child(store_url: str, base_url: str, holder: str, offset_ms: int, ttl_ms: int, wait_timeout: float,
                    barrier: Any, results: Any) -> None:
    """A spawned process: join the fleet, meet the others at the barrier, ensure once, report."""
    try:
        s = session(base_url, fleet(store_url, holder, ttl_ms=ttl_ms), offset_ms, wait_timeout=wait_timeout)
        barrier.wait(60)
        t0 = time.monotonic()
        try:
            token, error = s.ensure(), None
        except gstauth.GstAuthError as e:
            token, error = None, f"{e.code}: {e}"
        st = s.fleet_stats
        results.put({"holder": holder, "pid": os.getpid(), "token": token, "error": error,
                     "elapsed": time.monotonic() - t0, "done_at": time.time(), "exchanges": st.exchanges, "waits": st.waits,
                     "leases": st.leases, "version": s.store_version})
    except BaseException:
        results.put({"holder": holder, "error": traceback.format_exc()})


def collect(results: Any, n: int, timeout: float = 60) -> List[Dict[str, Any]]:
    out = [results.get(timeout=timeout) for _ in range(n)]
    return sorted(out, key=lambda r: r["holder"])


# --- redis-server instances of the tests' own ------------------------------------------------------------

def free_port(cluster: bool = False) -> int:
    """A free loopback port; for a cluster node, one whose bus port (port + 10000) is free too."""
    if not cluster:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])
    rng = random.Random()
    for _ in range(100):
        port = rng.randrange(20000, 50000)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair for a cluster node")


def _ping(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
                c.sendall(b"PING\r\n")
                if c.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise RuntimeError(f"redis-server on port {port} does not answer")
        time.sleep(0.05)


class RedisServer:
    """One redis-server on loopback, in a temporary directory, no persistence unless asked; stopped by stop()."""

    def __init__(self, port: Optional[int] = None, *args: str, persist: bool = False, dir: Optional[str] = None):
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (make test-python installs it)")
        self.exe = exe
        self.port = port or free_port()
        self.dir = dir or tempfile.mkdtemp(prefix="gstauth-redis-")
        self.args = list(args)
        self.persist = persist
        self.proc: Optional["subprocess.Popen[bytes]"] = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        persist = ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else \
            ["--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen([self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                                      *persist, *self.args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _ping(self.port)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class RedisCluster:
    """A three-node Redis Cluster (no replicas) on loopback."""

    def __init__(self) -> None:
        self.nodes: List[RedisServer] = []
        try:
            for _ in range(3):
                d = tempfile.mkdtemp(prefix="gstauth-redis-cluster-")
                self.nodes.append(RedisServer(free_port(cluster=True), "--cluster-enabled", "yes", "--cluster-config-file",
                                              os.path.join(d, "nodes.conf"), "--cluster-node-timeout", "5000", dir=d))
            cli = shutil.which("redis-cli") or "redis-cli"
            subprocess.run([cli, "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in self.nodes],
                            "--cluster-replicas", "0", "--cluster-yes"], check=True, capture_output=True, timeout=60)
            self._wait_ok()
        except BaseException:
            self.stop()
            raise

    def _wait_ok(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            states = []
            for n in self.nodes:
                with socket.create_connection(("127.0.0.1", n.port), timeout=1) as c:
                    c.sendall(b"CLUSTER INFO\r\n")
                    states.append(b"cluster_state:ok" in c.recv(4096))
            if all(states):
                return
            if time.monotonic() >= deadline:
                raise RuntimeError("the Redis Cluster did not come up")
            time.sleep(0.1)

    @property
    def url(self) -> str:
        return "redis-cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def stop(self) -> None:
        for n in self.nodes:
            n.stop()


def record_of(store_url: str, keys_of: Any = None) -> Dict[str, Any]:
    """The stored record of the test session: its version and the key id of its sealed session
    (gstauth-session.v1.<key id>.<provider>...)."""
    st = open_store(store_url)
    try:
        rec = st.read(st.keys("oauth_client_credentials", "client-1"))
        return {"version": rec.version, "key_id": rec.sealed.split(".")[2] if rec.sealed else None,
                "sealed": rec.sealed}
    finally:
        st.close()


def dump(x: Any) -> str:
    return json.dumps(x, indent=1, default=str)
