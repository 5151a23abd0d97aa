#!/usr/bin/env python3
"""The Python worker of the fleet test (e2e/fleet/README.md, "The worker contract").

It follows the rules of docs/hosts.md ("Many processes") only through the Python binding: each configured session is
a gstauth session shared through the configured store (``gstauth.store.Fleet``), and one thread per session makes
one ordinary API call per interval (jittered ±20 %) with ``Session.request`` over requests. It runs until
``duration_ms`` has passed or SIGTERM (or SIGINT) comes, then prints one line of JSON to stdout and exits 0, or 1 when
something unexpected happened. Everything else goes to stderr, one line each, prefixed with the worker's name.

    GSTAUTH_FLEET_CONFIG=/path/to/config.json python worker.py

The binding comes from the environment (PYTHONPATH or an installed wheel); its backend from GSTAUTH_BACKEND.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import random
import signal
import sys
import threading
import time
import traceback
from typing import Any, Dict, List, Mapping, Optional

import requests

import gstauth
from gstauth import Session
from gstauth.http.requests import sender
from gstauth.store import Fleet, open_store

MAX_ERRORS = 50
JOIN_S = 30.0

log = logging.getLogger("gstauth.fleet.worker")


class Worker:
    def __init__(self, config: Mapping[str, Any]):
        self.name = str(config["worker"])
        self.duration_s = int(config["duration_ms"]) / 1000
        self.interval_s = int(config["call_interval_ms"]) / 1000
        keys = {str(k["key_id"]): base64.b64decode(k["key"], validate=True) for k in config["seal_keys"]}
        self.store = open_store(str(config["store"]))
        self.fleet = Fleet(self.store, keys, seal_key_id=str(config["seal_keys"][0]["key_id"]),
                           holder=f"{self.name}:{os.getpid()}", lease_ttl_ms=int(config["lease_ttl_ms"]))
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.errors: Dict[str, int] = {}  # message → how many times
        self.dropped = 0
        self.calls: Dict[str, int] = {}
        self.sessions: Dict[str, Session] = {}
        self.specs: Dict[str, Mapping[str, Any]] = {}
        for spec in config["sessions"]:
            name = str(spec["name"])
            cls = gstauth.SESSION_CLASSES[spec["provider"]]
            http = requests.Session()
            self.sessions[name] = cls(str(spec["account"]), spec.get("config"), credentials=spec.get("credentials"),
                                      send=sender(http), fleet=self.fleet)
            self.specs[name] = spec
            self.calls[name] = 0

    def error(self, session: str, message: str) -> None:
        log.error("%s: %s", session, message)
        key = f"{session}: {message}"
        with self.lock:
            if key in self.errors or len(self.errors) < MAX_ERRORS:
                self.errors[key] = self.errors.get(key, 0) + 1
            else:
                self.dropped += 1

    def error_list(self) -> List[str]:
        """The summary's errors: each message once, with how many times it happened when more than once."""
        with self.lock:
            out = [m if n == 1 else f"{m} (x{n})" for m, n in self.errors.items()]
            if self.dropped:
                out.append(f"... and {self.dropped} more errors")
        return out

    def run_session(self, name: str) -> None:
        s, call = self.sessions[name], self.specs[name]["call"]
        method, url = str(call.get("method", "GET")), str(call["url"])
        body = call.get("body")
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        options = {k: call[k] for k in ("ret_period", "rtn_typ", "userrole") if call.get(k)}
        headers = call.get("headers")
        while not self.stop.wait(self.interval_s * random.uniform(0.8, 1.2)):
            try:
                r = s.request(method, url, body=body, headers=headers, **options)
            except gstauth.GstAuthError as e:
                self.error(name, f"{type(e).__name__} ({e.code}): {e.message}")
                continue
            except requests.RequestException as e:
                self.error(name, f"the call got no response: {type(e).__name__}: {e}")
                continue
            except Exception:  # a bug: say where, and go on
                self.error(name, "unexpected: " + traceback.format_exc(limit=6).replace("\n", " | "))
                continue
            with self.lock:
                self.calls[name] += 1
            seen = r.observation
            if seen is None or not seen.ok:
                outcome = seen.outcome if seen is not None else "none"
                detail = seen.error.get("message", "") if seen is not None and seen.error else ""
                self.error(name, f"the call's answer is {outcome} (HTTP {r.status}) {detail}".rstrip())

    def run(self) -> int:
        threads = [threading.Thread(target=self.run_session, args=(n,), name=n, daemon=True) for n in self.sessions]
        log.info("started (pid %d, holder %s, %d sessions, store %s)", os.getpid(), self.fleet.holder,
                 len(threads), self.store)
        for t in threads:
            t.start()
        started = time.monotonic()
        next_report = started + 10
        while not self.stop.wait(min(1.0, max(0.0, started + self.duration_s - time.monotonic()))):
            now = time.monotonic()
            if now >= started + self.duration_s:
                break
            if now >= next_report:
                next_report = now + 10
                log.info("calls %s, refreshes %s", self.calls_now(), self.refreshes())
        self.stop.set()
        deadline = time.monotonic() + JOIN_S
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
            if t.is_alive():
                self.error(t.name, f"its call did not end within {JOIN_S:.0f} s of the stop")
        errors = self.error_list()
        summary = {"worker": self.name, "language": "python", "calls": self.calls_now(),
                   "refreshes": self.refreshes(), "errors": errors}
        log.info("done: %s", {n: s.fleet_stats for n, s in self.sessions.items()})
        sys.stdout.write(json.dumps(summary, separators=(",", ":")) + "\n")
        sys.stdout.flush()
        self.store.close()
        return 1 if errors else 0

    def calls_now(self) -> Dict[str, int]:
        with self.lock:
            return dict(self.calls)

    def refreshes(self) -> Dict[str, int]:
        return {n: s.fleet_stats.exchanges for n, s in self.sessions.items()}


def main() -> int:
    path = os.environ.get("GSTAUTH_FLEET_CONFIG")
    name = "py-?"
    try:
        if not path:
            raise ValueError("GSTAUTH_FLEET_CONFIG is not set")
        with open(path) as f:
            config = json.load(f)
        name = str(config.get("worker") or name)
    except Exception as e:
        sys.stderr.write(f"{name} cannot read the configuration: {e}\n")
        return 1
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{name} %(asctime)s.%(msecs)03d %(threadName)s %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("gstauth").setLevel(logging.INFO)
    try:
        worker = Worker(config)
    except Exception as e:
        log.error("cannot start: %s", traceback.format_exc().replace("\n", " | "))
        summary = {"worker": name, "language": "python", "calls": {}, "refreshes": {},
                   "errors": [f"cannot start: {type(e).__name__}: {e}"]}
        sys.stdout.write(json.dumps(summary, separators=(",", ":")) + "\n")
        return 1

    def on_signal(signum: int, frame: Optional[Any]) -> None:
        log.info("%s: stopping", signal.Signals(signum).name)
        worker.stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return worker.run()


if __name__ == "__main__":
    sys.exit(main())
