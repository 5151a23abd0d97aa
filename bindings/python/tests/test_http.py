"""The httpx and requests adapters over fake providers: headers attached, refresh single-flight, one replay after a
rejected token and never two, and decrypted bodies handed to the application."""
import asyncio
import json
import threading

import httpx
import pytest
import requests

import gstauth
import gstauth.http
from gstauth.http import httpx as gx
from gstauth.http import requests as gr

from fakes import API, NICServer, OAuthServer, nic_config, nic_credentials


def oauth_session(backend):
    return gstauth.OAuthClientCredentialsSession(
        "c", {"token_url": "https://auth.example/oauth/token", "client_id": "c"}, credentials={"client_secret": "s"},
        backend=backend)


def nic_session(backend):
    return gstauth.EInvoiceSession("29AAFCD5862R000/api_user", nic_config(), credentials=nic_credentials(),
                                   backend=backend)


def mock(server):
    def handler(request: httpx.Request) -> httpx.Response:
        status, headers, body = server.handle(request.method, str(request.url),
                                              {k.lower(): v for k, v in request.headers.items()}, request.content)
        return httpx.Response(status, headers=headers, content=body.encode())
    return httpx.MockTransport(handler)


def test_aliases():
    assert gstauth.http.GstAuth is gr.Auth and gstauth.http.GstAuthHTTPX is gx.Auth
    assert gstauth.http.requests_sender is gr.sender and gstauth.http.httpx_sender is gx.sender


# --- httpx Auth ------------------------------------------------------------------------------------------------

def test_httpx_auth_single_flight_and_one_replay(backend):
    srv = OAuthServer(delay=0.05)
    client = httpx.Client(transport=mock(srv), auth=gx.Auth(oauth_session(backend)))
    barrier = threading.Barrier(20)
    results = []

    def work():
        barrier.wait()
        results.append(client.get("https://api.example/returns").status_code)

    ts = [threading.Thread(target=work) for _ in range(20)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert results == [200] * 20 and srv.tokens_issued == 1
    srv.revoke()
    r = client.get("https://api.example/returns")
    assert r.status_code == 200 and r.json()["token"] == "Bearer tok-2" and srv.tokens_issued == 2
    assert srv.api_calls == 22, "a rejected token: one renewal and one replay"
    srv.reject_all = True
    r = client.get("https://api.example/returns")
    assert r.status_code == 401 and srv.api_calls == 24 and srv.tokens_issued == 3, "never a second replay"


def test_httpx_auth_async(backend):
    srv = OAuthServer(delay=0.05)
    s = oauth_session(backend)

    async def main():
        async with httpx.AsyncClient(transport=mock(srv), auth=gx.Auth(s)) as c:
            rs = await asyncio.gather(*[c.get("https://api.example/x") for _ in range(10)])
            codes = [r.status_code for r in rs]
            srv.revoke()
            again = await c.get("https://api.example/x")
            srv.reject_all = True
            refused = await c.get("https://api.example/x")
            return codes, again, refused

    codes, again, refused = asyncio.run(main())
    assert codes == [200] * 10 and again.json()["token"] == "Bearer tok-2"
    assert refused.status_code == 401 and srv.api_calls == 14 and srv.tokens_issued == 3


# --- httpx Transport ---------------------------------------------------------------------------------------------

def test_httpx_transport_decrypts_and_replays_once(backend):
    srv = NICServer()
    s = nic_session(backend)
    with httpx.Client(transport=gx.Transport(s, mock(srv))) as client:
        r = client.post(API, json={"Data": {"DocNo": "T1"}})
        assert r.status_code == 200 and r.json()["Data"] == {"Irn": "irn-T1", "AckNo": 1}, "the decrypted body"
        assert srv.received == [{"DocNo": "T1"}]
        srv.revoke()
        r = client.post(API, json={"Data": {"DocNo": "T2"}})
        assert r.json()["Data"]["Irn"] == "irn-T2"
        assert srv.auth_requests == 2 and srv.api_calls == 3
        srv.reject_all = True
        r = client.post(API, json={"Data": {"DocNo": "T3"}})
        assert r.json()["ErrorDetails"][0]["ErrorCode"] == "1005"
        assert srv.auth_requests == 3 and srv.api_calls == 5, "one replay, never two"


def test_httpx_async_transport(backend):
    srv = NICServer()
    s = nic_session(backend)

    async def main():
        async with httpx.AsyncClient(transport=gx.AsyncTransport(s, mock(srv))) as c:
            rs = await asyncio.gather(*[c.post(API, json={"Data": {"DocNo": f"A{i}"}}) for i in range(5)])
            srv.revoke()
            again = await c.post(API, json={"Data": {"DocNo": "B"}})
            return [r.json()["Data"]["Irn"] for r in rs], again.json()["Data"]["Irn"]

    irns, again = asyncio.run(main())
    assert irns == [f"irn-A{i}" for i in range(5)] and again == "irn-B"
    assert srv.auth_requests == 2 and srv.api_calls == 7


# --- requests ------------------------------------------------------------------------------------------------------

class Adapter(requests.adapters.BaseAdapter):
    def __init__(self, server):
        super().__init__()
        self.server = server
        self.sent = 0

    def send(self, request, **kwargs):
        self.sent += 1
        body = request.body.encode() if isinstance(request.body, str) else (request.body or b"")
        status, headers, text = self.server.handle(request.method, request.url,
                                                   {k.lower(): v for k, v in request.headers.items()}, body)
        r = requests.Response()
        r.status_code, r._content, r.request, r.url = status, text.encode(), request, request.url
        r.headers.update(headers)
        r.connection = self
        return r

    def close(self):
        pass


def requests_session(server):
    http = requests.Session()
    http.mount("https://", Adapter(server))
    return http


def test_requests_auth_and_one_replay(backend):
    srv = OAuthServer()
    http = requests_session(srv)
    auth = gr.Auth(oauth_session(backend), sender=gr.sender(http))
    r = http.get("https://api.example/x", auth=auth)
    assert r.status_code == 200 and r.json()["token"] == "Bearer tok-1"
    srv.revoke()
    r = http.get("https://api.example/x", auth=auth)
    assert r.status_code == 200 and r.json()["token"] == "Bearer tok-2" and len(r.history) == 1
    srv.reject_all = True
    r = http.get("https://api.example/x", auth=auth)
    assert r.status_code == 401 and len(r.history) == 1 and srv.api_calls == 5 and srv.tokens_issued == 3


def test_requests_auth_decrypts(backend):
    srv = NICServer()
    http = requests_session(srv)
    s = nic_session(backend)
    r = http.post(API, json={"Data": {"DocNo": "R1"}}, auth=gr.Auth(s, sender=gr.sender(http)))
    assert r.json()["Data"] == {"Irn": "irn-R1", "AckNo": 1}, "the decrypted body"
    srv.revoke()
    r = http.post(API, json={"Data": {"DocNo": "R2"}}, auth=gr.Auth(s, sender=gr.sender(http)))
    assert r.json()["Data"]["Irn"] == "irn-R2" and srv.auth_requests == 2 and srv.api_calls == 3
    raw = http.post(API, json={"Data": {"DocNo": "R3"}}, auth=gr.Auth(s, sender=gr.sender(http), decrypt=False))
    assert isinstance(raw.json()["Data"], str) and s.decrypt(raw.text) == {"Irn": "irn-R3", "AckNo": 1}
