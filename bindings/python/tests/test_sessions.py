"""Sessions over fake providers: the loop of docs/hosts.md (ensure, single flight, one replay), persistence."""
import json
import threading

import pytest

import gstauth
from gstauth import OAuthClientCredentialsSession, Request, Response

from fakes import API, NICServer, OAuthServer, nic_config, nic_credentials

T0 = 1_767_225_600_000
TOKEN_URL = "https://auth.example/oauth/token"


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def sender(server, log=None):
    def send(req: Request) -> Response:
        if log is not None:
            log.append(req)
        status, headers, body = server.handle(req.method, req.url, {k.lower(): v for k, v in req.headers.items()},
                                              req.body.encode())
        return Response(status, headers, body)
    return send


def new_session(server, clock, backend=None, log=None, **kw):
    return OAuthClientCredentialsSession(
        "client-1", {"token_url": TOKEN_URL, "client_id": "client-1", "scope": "gst"},
        credentials={"client_secret": "s3cret"}, send=sender(server, log), clock=clock, backend=backend, **kw)


def test_ensure_gets_then_uses_then_refreshes(backend):
    srv, clock, log = OAuthServer(), Clock(T0), []
    s = new_session(srv, clock, backend, log)
    assert s.ensure() == "tok-1"
    req = log[0]
    assert req.method == "POST" and "grant_type=client_credentials" in req.body and req.url == TOKEN_URL
    clock.t = T0 + 3600_000 - 5 * 60_000 - 1
    assert s.ensure() == "tok-1" and srv.tokens_issued == 1
    clock.t = T0 + 3600_000 - 5 * 60_000
    assert s.plan()["action"] == "refresh"
    assert s.ensure() == "tok-2" and srv.tokens_issued == 2
    assert s.current_token() == "tok-2"


@pytest.mark.parametrize("phase", ["refresh", "renew"])
def test_100_threads_make_one_request(backend, phase):
    """100 threads find the token due (refresh: still valid; renew: none yet): one token request in all."""
    srv, clock = OAuthServer(delay=0.2), Clock(T0)
    s = new_session(srv, clock, backend)
    if phase == "refresh":
        s.ensure()
        clock.t = T0 + 3600_000 - 60_000  # stale: still valid, due for refresh
        assert s.plan()["action"] == "refresh"
    before = srv.tokens_issued
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
    assert srv.tokens_issued - before == 1, f"{srv.tokens_issued - before} token requests"
    assert len(tokens) == 100 and set(tokens) <= {"tok-1", "tok-2"}
    assert s.plan()["action"] == "use"


def test_terminal_failure_is_raised_and_remembered(backend):
    clock, log = Clock(T0), []

    def refuse(req):
        log.append(req)
        return Response(401, {}, json.dumps({"error": "invalid_client", "error_description": "bad secret"}))

    s = OAuthClientCredentialsSession("c", {"token_url": TOKEN_URL, "client_id": "c"},
                                      credentials={"client_secret": "s3cret"}, send=refuse, clock=clock,
                                      backend=backend)
    with pytest.raises(gstauth.UserActionRequired) as e:
        s.ensure()
    assert e.value.provider_code == "invalid_client" and "s3cret" not in str(e.value)
    assert s.plan()["action"] == "user_action" and s.state["last_error"]["provider_code"] == "invalid_client"
    with pytest.raises(gstauth.UserActionRequired):
        s.ensure()
    assert len(log) == 1, "a terminal failure must not be retried"


def test_seal_open_and_changes(backend):
    srv, clock = OAuthServer(), Clock(T0)
    changes = []
    s = new_session(srv, clock, backend, on_change=lambda sess: changes.append(sess.access_token))
    s.ensure()
    assert changes and changes[-1] == "tok-1", "the new token is stored"
    s.ensure()
    n = len(changes)
    s.ensure()
    assert len(changes) == n, "nothing changed: nothing stored"
    key = bytes(range(32))
    blob = s.seal(key, "k1")
    assert "tok-1" not in blob and "s3cret" not in blob
    t = OAuthClientCredentialsSession.open(blob, {"k0": b"\x01" * 32, "k1": key}, send=s.send, clock=clock,
                                           backend=backend, credentials={"client_secret": "s3cret"})
    assert isinstance(t, OAuthClientCredentialsSession)
    assert t.state == s.state and t.ensure() == "tok-1" and srv.tokens_issued == 1
    with pytest.raises(gstauth.InvalidKey):
        OAuthClientCredentialsSession.open(blob, {"k2": key}, backend=backend)
    with pytest.raises(gstauth.DecryptFailed):
        OAuthClientCredentialsSession.open(blob, {"k1": bytes(32)}, backend=backend)
    with pytest.raises(gstauth.DecryptFailed):
        OAuthClientCredentialsSession.open(blob[:-2] + ("A" if blob[-2] != "A" else "B") + blob[-1], {"k1": key},
                                           backend=backend)
    with pytest.raises(gstauth.GstAuthError):
        gstauth.GstnSession.open(blob, {"k1": key}, backend=backend)  # another provider's blob


def test_request_replays_once_after_a_rejected_token(backend):
    srv, clock = OAuthServer(), Clock(T0)
    s = new_session(srv, clock, backend)
    r = s.request("GET", "https://api.example/x")
    assert r.status == 200 and json.loads(r.body)["token"] == "Bearer tok-1" and r.observation.outcome == "ok"
    srv.revoke()
    r = s.request("POST", "https://api.example/x", body='{"a":1}')
    assert r.status == 200 and json.loads(r.body) == {"ok": True, "token": "Bearer tok-2", "echo": '{"a":1}'}
    assert srv.tokens_issued == 2 and srv.api_calls == 3, "one renewal, one replay"


def test_request_never_replays_twice(backend):
    srv, clock = OAuthServer(), Clock(T0)
    s = new_session(srv, clock, backend)
    s.ensure()
    srv.reject_all = True
    r = s.request("GET", "https://api.example/x")
    assert r.status == 401 and r.observation.outcome == "reauthenticate"
    assert srv.api_calls == 2 and srv.tokens_issued == 2, "one replay with a new token, then the answer as it is"
    with pytest.raises(gstauth.ReauthRequired):
        r.raise_for_error()


def test_nic_request_encrypts_and_decrypts(backend):
    """An e-invoice call through session.request: the payload encrypted under the SEK, the answer decrypted; after a
    dead token (1005), one new login and one replay."""
    srv = NICServer()
    s = gstauth.EInvoiceSession("29AAFCD5862R000/api_user", nic_config(), credentials=nic_credentials(),
                                send=sender(srv), backend=backend)
    r = s.request("POST", API, body=json.dumps({"Data": {"DocNo": "A1"}}))
    assert r.observation.ok and json.loads(r.body)["Data"] == {"Irn": "irn-A1", "AckNo": 1}
    assert srv.received == [{"DocNo": "A1"}]
    srv.revoke()
    r = s.request("POST", API, body=json.dumps({"Data": {"DocNo": "A2"}}))
    assert json.loads(r.body)["Data"]["Irn"] == "irn-A2"
    assert srv.auth_requests == 2 and srv.api_calls == 3


def test_observe_marks_a_rejected_token(backend):
    srv, clock = OAuthServer(), Clock(T0)
    s = new_session(srv, clock, backend)
    token = s.ensure()
    seen = s.observe(Response(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}), sent_at_ms=T0,
                     access_token=token)
    assert seen.outcome == "reauthenticate" and seen.error["code"] == "reauth_required"
    assert s.plan()["action"] == "renew"
    assert s.observe(Response(200, {}, "{}"), sent_at_ms=T0).ok


def test_bad_arguments():
    with pytest.raises(TypeError):
        OAuthClientCredentialsSession(5)
    with pytest.raises(TypeError):
        OAuthClientCredentialsSession("c", credentials="secret")
    s = OAuthClientCredentialsSession("c", {"token_url": TOKEN_URL, "client_id": "c"})
    with pytest.raises(TypeError):
        s.ensure()  # no send callable
    with pytest.raises(TypeError):
        s.request("GET", "https://api.example", body=5, send=lambda r: Response(200))
