"""httpx and requests adapters: headers attached, refresh through the planner, 401 → renew and one retry."""
import asyncio
import json
import threading
import time

import httpx
import pytest
import requests

import gstauth
from gstauth.http import GstAuth, GstAuthHTTPX

T0 = 1_767_225_600_000


class Server:
    """A fake token endpoint and API: tokens are valid until revoked."""

    def __init__(self):
        self.tokens_issued = 0
        self.valid = set()
        self.api_calls = 0
        self.lock = threading.Lock()

    def handle(self, method, url, headers, body):
        if url.endswith("/oauth/token"):
            time.sleep(0.05)
            with self.lock:
                self.tokens_issued += 1
                tok = f"tok-{self.tokens_issued}"
                self.valid.add(tok)
            return 200, {"access_token": tok, "token_type": "Bearer", "expires_in": 3600}
        with self.lock:
            self.api_calls += 1
        auth = headers.get("authorization", "")
        if auth.removeprefix("Bearer ") in self.valid:
            return 200, {"ok": True, "token": auth}
        return 401, {"error": "invalid_token"}


def session():
    return gstauth.OAuthClientCredentialsSession(
        "c", {"token_url": "https://auth.example/oauth/token", "client_id": "c"}, credentials={"client_secret": "s"})


def httpx_transport(server):
    def handler(request: httpx.Request):
        status, body = server.handle(request.method, str(request.url), {k.lower(): v for k, v in request.headers.items()},
                                     request.content)
        return httpx.Response(status, json=body)
    return handler


def test_httpx_sync_single_flight_and_401():
    srv, s = Server(), session()
    client = httpx.Client(transport=httpx.MockTransport(httpx_transport(srv)), auth=GstAuthHTTPX(s))
    barrier = threading.Barrier(20)
    results = []

    def work():
        barrier.wait()
        results.append(client.get("https://api.example/returns").status_code)

    ts = [threading.Thread(target=work) for _ in range(20)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert results == [200] * 20 and srv.tokens_issued == 1
    srv.valid.clear()  # the server revokes every token
    r = client.get("https://api.example/returns")
    assert r.status_code == 200 and srv.tokens_issued == 2, "a 401 renews once and retries"


def test_httpx_async():
    srv, s = Server(), session()

    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(httpx_transport(srv)), auth=GstAuthHTTPX(s)) as c:
            rs = await asyncio.gather(*[c.get("https://api.example/x") for _ in range(10)])
            return [r.status_code for r in rs]

    assert asyncio.run(main()) == [200] * 10 and srv.tokens_issued == 1


class Adapter(requests.adapters.BaseAdapter):
    def __init__(self, server):
        super().__init__()
        self.server = server

    def send(self, request, **kwargs):
        status, body = self.server.handle(request.method, request.url, {k.lower(): v for k, v in request.headers.items()},
                                          request.body)
        r = requests.Response()
        r.status_code, r._content, r.request, r.url = status, json.dumps(body).encode(), request, request.url
        r.headers["Content-Type"] = "application/json"
        r.connection = self
        return r

    def close(self):
        pass


def test_requests_auth_and_401_retry():
    srv = Server()
    http = requests.Session()
    http.mount("https://", Adapter(srv))
    s = session()
    auth = GstAuth(s, sender=gstauth.http.requests_sender(http))
    r = http.get("https://api.example/x", auth=auth)
    assert r.status_code == 200 and r.json()["token"] == "Bearer tok-1"
    srv.valid.clear()
    r = http.get("https://api.example/x", auth=auth)
    assert r.status_code == 200 and r.json()["token"] == "Bearer tok-2" and len(r.history) == 1
