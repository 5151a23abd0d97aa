"""gstauth for httpx.

- ``Transport(session)`` / ``AsyncTransport(session)``: ``httpx.Client(transport=Transport(session))``. Every request
  gets a usable token first (auth requests go out through the same underlying transport), the session's headers, and
  its payload member encrypted; the response is observed, and after a rejected token the original request is replayed
  once with a new one; a successful answer's payload is decrypted before the application sees it.
- ``Auth(session)``: ``httpx.Client(auth=Auth(session))`` for the same without touching response bodies (the usual
  choice for OAuth gateways, whose payloads are not encrypted).

Refreshes are single-flight per session: a threading lock for sync clients, an asyncio lock for async ones (the loop of
docs/hosts.md; every decision is the core's).
"""
from __future__ import annotations

import asyncio
import weakref
from typing import AsyncGenerator, Awaitable, Callable, Generator, Optional

import httpx

from ..errors import error_from, make_error
from ..sessions import Request, Response, Session, now_ms

__all__ = ["Transport", "AsyncTransport", "Auth", "sender"]


def sender(client: Optional[httpx.Client] = None, timeout: float = 30.0) -> Callable[[Request], Response]:
    """A send callable over an httpx.Client, for sessions driven step by step."""
    c = client or httpx.Client(timeout=timeout)

    def send(req: Request) -> Response:
        r = c.request(req.method, req.url, headers=req.headers,
                      content=req.body.encode("utf-8") if req.body else None)
        return Response(r.status_code, dict(r.headers), r.text)
    return send


def _to_httpx(req: Request) -> httpx.Request:
    return httpx.Request(req.method, req.url, headers=req.headers,
                         content=req.body.encode("utf-8") if req.body else b"")


def _to_session(r: httpx.Response) -> Response:
    return Response(r.status_code, dict(r.headers), r.text)


class _Options:
    def __init__(self, ret_period: Optional[str], rtn_typ: Optional[str], userrole: Optional[str]):
        self.ret_period, self.rtn_typ, self.userrole = ret_period, rtn_typ, userrole


def _with_headers(session: Session, request: httpx.Request, body: bytes, o: _Options) -> httpx.Request:
    headers = httpx.Headers(request.headers)
    for k, v in session.headers(ret_period=o.ret_period, rtn_typ=o.rtn_typ, userrole=o.userrole).items():
        if k.lower() != "content-type" or "content-type" not in headers:
            headers[k] = v
    if "content-length" in headers:
        del headers["content-length"]
    return httpx.Request(request.method, request.url, headers=headers, content=body, extensions=request.extensions)


def _decrypted(session: Session, response: httpx.Response, request: httpx.Request) -> httpx.Response:
    content = response.content
    if not content:
        return response
    plain = session.decrypt_body(content)
    headers = httpx.Headers(response.headers)
    for h in ("content-length", "content-encoding"):
        if h in headers:
            del headers[h]
    return httpx.Response(response.status_code, headers=headers, content=plain, request=request,
                          extensions=response.extensions)


class Transport(httpx.BaseTransport):
    """An httpx transport that runs every request through a gstauth session (see the module's documentation)."""

    def __init__(self, session: Session, transport: Optional[httpx.BaseTransport] = None, *,
                 ret_period: Optional[str] = None, rtn_typ: Optional[str] = None, userrole: Optional[str] = None):
        self.session = session
        self.transport = transport or httpx.HTTPTransport()
        self.options = _Options(ret_period, rtn_typ, userrole)

    def _send(self, req: Request) -> Response:
        r = self.transport.handle_request(_to_httpx(req))
        r.read()
        return _to_session(r)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        plain = request.read()
        for attempt in range(2):
            token = self.session.ensure(send=self._send)
            wire = self.session.encrypt_body(plain) if plain else b""
            sent = now_ms()
            response = self.transport.handle_request(_with_headers(self.session, request, wire, self.options))
            response.read()
            seen = self.session.observe(_to_session(response), sent_at_ms=sent, access_token=token)
            if seen.outcome == "reauthenticate" and attempt == 0:
                response.close()
                continue
            if seen.outcome == "ok":
                return _decrypted(self.session, response, request)
            return response
        raise make_error("internal", "unreachable")  # pragma: no cover

    def close(self) -> None:
        self.transport.close()


_async_locks: "weakref.WeakKeyDictionary[Session, asyncio.Lock]" = weakref.WeakKeyDictionary()


def _async_lock(session: Session) -> asyncio.Lock:
    lock = _async_locks.get(session)
    if lock is None:
        lock = _async_locks[session] = asyncio.Lock()
    return lock


async def _ensure_async(session: Session, send: Callable[[Request], Awaitable[Response]],
                        wait_timeout: float) -> str:
    """The loop of docs/hosts.md on an event loop: the session's asyncio lock is the refresh lock."""
    d = session._ensure("check", 0)
    if d.move == "use":
        return d.access_token or ""
    if d.move == "fail":
        raise error_from(d.error or {})
    lock = _async_lock(session)
    if d.move == "refresh" and lock.locked():
        return d.access_token or ""
    try:
        await asyncio.wait_for(lock.acquire(), timeout=wait_timeout)
    except asyncio.TimeoutError:
        raise make_error("token_expired", "timed out waiting for another caller's renewal of the token") from None
    try:
        attempts = 0
        while True:
            d = session._ensure("locked", attempts)
            if d.move == "use":
                return d.access_token or ""
            if d.move != "send" or d.request is None:
                raise error_from(d.error or {"code": "internal", "message": "ensure gave no request"})
            sent = now_ms()
            response = await send(Request._of(d.request))
            session.handle(response, sent_at_ms=sent, raise_error=False)
            attempts += 1
    finally:
        lock.release()


class AsyncTransport(httpx.AsyncBaseTransport):
    """Transport for httpx.AsyncClient."""

    def __init__(self, session: Session, transport: Optional[httpx.AsyncBaseTransport] = None, *,
                 ret_period: Optional[str] = None, rtn_typ: Optional[str] = None, userrole: Optional[str] = None):
        self.session = session
        self.transport = transport or httpx.AsyncHTTPTransport()
        self.options = _Options(ret_period, rtn_typ, userrole)

    async def _send(self, req: Request) -> Response:
        r = await self.transport.handle_async_request(_to_httpx(req))
        await r.aread()
        return _to_session(r)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        plain = await request.aread()
        for attempt in range(2):
            token = await _ensure_async(self.session, self._send, self.session.wait_timeout)
            wire = self.session.encrypt_body(plain) if plain else b""
            sent = now_ms()
            response = await self.transport.handle_async_request(_with_headers(self.session, request, wire,
                                                                               self.options))
            await response.aread()
            seen = self.session.observe(_to_session(response), sent_at_ms=sent, access_token=token)
            if seen.outcome == "reauthenticate" and attempt == 0:
                await response.aclose()
                continue
            if seen.outcome == "ok":
                return _decrypted(self.session, response, request)
            return response
        raise make_error("internal", "unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        await self.transport.aclose()


class Auth(httpx.Auth):
    """httpx authentication for Client and AsyncClient: headers, payload encryption, refresh and one replay after
    re-authentication; response bodies are left as received (decrypt them with ``session.decrypt``, or use
    ``Transport``)."""

    requires_response_body = True

    def __init__(self, session: Session, *, ret_period: Optional[str] = None, rtn_typ: Optional[str] = None,
                 userrole: Optional[str] = None):
        self.session = session
        self.options = _Options(ret_period, rtn_typ, userrole)

    def _token_flow(self) -> Generator[httpx.Request, httpx.Response, str]:
        """ensure(), its auth requests yielded through the client's own flow."""
        s = self.session
        d = s._ensure("check", 0)
        if d.move == "use":
            return d.access_token or ""
        if d.move == "fail":
            raise error_from(d.error or {})
        if d.move == "refresh":
            if not s._refresh_lock.acquire(blocking=False):
                return d.access_token or ""
        elif not s._refresh_lock.acquire(timeout=s.wait_timeout):
            raise make_error("token_expired", "timed out waiting for another caller's renewal of the token")
        try:
            attempts = 0
            while True:
                d = s._ensure("locked", attempts)
                if d.move == "use":
                    return d.access_token or ""
                if d.move != "send" or d.request is None:
                    raise error_from(d.error or {"code": "internal", "message": "ensure gave no request"})
                sent = now_ms()
                response = yield _to_httpx(Request._of(d.request))
                response.read()
                s.handle(_to_session(response), sent_at_ms=sent, raise_error=False)
                attempts += 1
        finally:
            s._refresh_lock.release()

    def _attach(self, request: httpx.Request, plain: bytes) -> httpx.Request:
        wire = self.session.encrypt_body(plain) if plain else b""
        return _with_headers(self.session, request, wire, self.options)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        plain = request.read()
        for attempt in range(2):
            token = yield from self._token_flow()
            call = self._attach(request, plain)
            sent = now_ms()
            response = yield call
            response.read()
            seen = self.session.observe(_to_session(response), sent_at_ms=sent, access_token=token)
            if seen.outcome != "reauthenticate" or attempt == 1:
                return

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        plain = await request.aread()
        for attempt in range(2):
            # The token loop's auth requests go through this flow, one at a time.
            d = self.session._ensure("check", 0)
            token = d.access_token or ""
            if d.move == "fail":
                raise error_from(d.error or {})
            lock = _async_lock(self.session)
            if d.move == "renew" or (d.move == "refresh" and not lock.locked()):
                await lock.acquire()
                try:
                    attempts = 0
                    while True:
                        d = self.session._ensure("locked", attempts)
                        if d.move == "use":
                            token = d.access_token or ""
                            break
                        if d.move != "send" or d.request is None:
                            raise error_from(d.error or {"code": "internal", "message": "ensure gave no request"})
                        sent = now_ms()
                        auth_response = yield _to_httpx(Request._of(d.request))
                        await auth_response.aread()
                        self.session.handle(_to_session(auth_response), sent_at_ms=sent, raise_error=False)
                        attempts += 1
                finally:
                    lock.release()
            call = self._attach(request, plain)
            sent = now_ms()
            response = yield call
            await response.aread()
            seen = self.session.observe(_to_session(response), sent_at_ms=sent, access_token=token)
            if seen.outcome != "reauthenticate" or attempt == 1:
                return
