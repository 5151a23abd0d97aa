"""Helpers of the shared store tests: a token endpoint over real HTTP (so that processes share it), redis-server
instances of the tests' own, and the worker functions that spawned processes run. Importable by a spawned child
(multiprocessing passes it the parent's sys.path)."""
import json
import os
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
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
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

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
REDIS_SH = os.path.join(ROOT, "e2e", "scripts", "redis.sh")


class ScriptRedis:
    """A Redis instance of e2e/scripts/redis.sh (which installs redis-server when missing): one server, or a
    three-node cluster with ``cluster=True``; persistence on. ``url`` is its store URL."""

    def __init__(self, name: str, cluster: bool = False):
        self.name = name
        args = [REDIS_SH, "start", name] + (["--cluster"] if cluster else [])
        r = subprocess.run(args, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"redis.sh start {name} failed:\n{r.stderr}")
        addr = r.stdout.strip().splitlines()[-1]
        self.url = ("redis-cluster://" if cluster else "redis://") + addr

    def stop(self) -> None:
        subprocess.run([REDIS_SH, "stop", self.name], capture_output=True, timeout=60)


class RedisServer:
    """One redis-server on loopback that a test stops and starts again itself (on the same port, from the same
    data when persist is set)."""

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
