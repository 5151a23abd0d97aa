"""Sessions over a fake OAuth token endpoint: planner-driven refresh, single flight, persistence."""
import json
import threading
import time

import pytest

import gstauth
from gstauth import OAuthClientCredentialsSession, Request, Response

T0 = 1_767_225_600_000


class FakeTokenEndpoint:
    def __init__(self, lifetime_s=3600, delay=0.05):
        self.calls = []
        self.lifetime_s = lifetime_s
        self.delay = delay
        self.lock = threading.Lock()
        self.fail_with = None

    def __call__(self, req: Request) -> Response:
        time.sleep(self.delay)  # let every other thread pile up behind the refresh
        with self.lock:
            self.calls.append(req)
            n = len(self.calls)
        if self.fail_with:
            return self.fail_with
        return Response(200, {"Content-Type": "application/json"},
                        json.dumps({"access_token": f"tok-{n}", "token_type": "Bearer", "expires_in": self.lifetime_s}))


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def new_session(endpoint, clock, backend=None, **kw):
    return OAuthClientCredentialsSession(
        "client-1", {"token_url": "https://auth.example/oauth/token", "client_id": "client-1", "scope": "gst"},
        credentials={"client_secret": "s3cret"}, send=endpoint, clock=clock, backend=backend, **kw)


def test_ensure_gets_then_uses_then_refreshes(backend):
    ep, clock = FakeTokenEndpoint(), Clock(T0)
    s = new_session(ep, clock, backend)
    assert s.ensure() == "tok-1"
    req = ep.calls[0]
    assert req.method == "POST" and "grant_type=client_credentials" in req.body
    assert req.headers["Authorization"].startswith("Basic ")
    clock.t = T0 + 3600_000 - 5 * 60_000 - 1
    assert s.ensure() == "tok-1" and len(ep.calls) == 1
    clock.t = T0 + 3600_000 - 5 * 60_000
    assert s.plan().action == "refresh"
    assert s.ensure() == "tok-2" and len(ep.calls) == 2


@pytest.mark.parametrize("phase", ["refresh", "renew"])
def test_100_threads_make_one_request(backend, phase):
    ep, clock = FakeTokenEndpoint(delay=0.2), Clock(T0)
    s = new_session(ep, clock, backend)
    if phase == "refresh":
        s.ensure()
        clock.t = T0 + 3600_000 - 60_000  # stale: still valid, due for refresh
        assert s.plan().action == "refresh"
    before = len(ep.calls)
    barrier = threading.Barrier(100)
    tokens, errors = [], []

    def worker():
        barrier.wait()
        try:
            tokens.append(s.ensure())
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert len(ep.calls) - before == 1, f"{len(ep.calls) - before} token requests"
    assert len(tokens) == 100
    assert s.plan().action == "use"


def test_terminal_failure_is_raised_and_remembered(backend):
    ep, clock = FakeTokenEndpoint(), Clock(T0)
    ep.fail_with = Response(401, {}, json.dumps({"error": "invalid_client", "error_description": "bad secret"}))
    s = new_session(ep, clock, backend)
    with pytest.raises(gstauth.UserActionRequired) as e:
        s.ensure()
    assert e.value.provider_code == "invalid_client" and "s3cret" not in str(e.value)
    assert s.plan().action == "user_action"
    with pytest.raises(gstauth.UserActionRequired):
        s.ensure()
    assert len(ep.calls) == 1, "a terminal failure must not be retried"


def test_seal_and_open(backend):
    ep, clock = FakeTokenEndpoint(), Clock(T0)
    changes = []
    s = new_session(ep, clock, backend, on_change=lambda sess: changes.append(sess.access_token))
    s.ensure()
    assert changes == ["tok-1"]
    key = bytes(range(32))
    blob = s.seal(key, "k1")
    assert "tok-1" not in blob and "s3cret" not in blob
    t = OAuthClientCredentialsSession.open(blob, {"k0": b"\x01" * 32, "k1": key}, send=ep, clock=clock, backend=backend,
                                           credentials={"client_secret": "s3cret"})
    assert t.state == s.state and t.ensure() == "tok-1" and len(ep.calls) == 1
    with pytest.raises(gstauth.InvalidKey):
        OAuthClientCredentialsSession.open(blob, {"k2": key}, backend=backend)
    with pytest.raises(gstauth.DecryptFailed):
        OAuthClientCredentialsSession.open(blob, {"k1": bytes(32)}, backend=backend)
    with pytest.raises(gstauth.DecryptFailed):
        OAuthClientCredentialsSession.open(blob[:-2] + ("A" if blob[-2] != "A" else "B") + blob[-1], {"k1": key},
                                           backend=backend)
