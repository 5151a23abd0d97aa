"""gstauth for httpx.

- ``Transport(session)`` / ``AsyncTransport(session)``: ``httpx.Client(transport=Transport(session))``. Every request
  gets a usable token first (auth requests go out through the same underlying transport), the session's headers, and
  its payload member encrypted; the response is observed, and after a rejected token the original request is replayed
  once with a new one; a successful answer's payload is decrypted before the application sees it.
- ``Auth(session)``: ``httpx.Client(auth=Auth(session))`` for the same without touching response bodies (the usual
  choice for OAuth gateways, whose payloads are not encrypted; ``session.decrypt(response.text)`` reads one).

Refreshes are single-flight per session: the session's threading lock for sync clients, an asyncio lock per session
and event loop for async ones (the loop of docs/hosts.md; every decision is the core's). Requests carry their GSTN
return-call options as ``Transport(session, ret_period=...)`` or per request with
``extensions={"gstauth": {"ret_period": "042026"}}``.
"""
from __future__ import annotations

import asyncio
import time
import weakref
from typing import AsyncGenerator, Awaitable, Callable, Dict, Generator, Mapping, Optional, Tuple

import httpx

from ..errors import make_error
from ..sessions import Pause, PreparedCall, Request, Response, Session, Steps

__all__ = ["Transport", "AsyncTransport", "Auth", "sender", "async_sender"]


def sender(client: Optional[httpx.Client] = None, timeout: float = 30.0) -> Callable[[Request], Response]:
    """A send callable over an httpx.Client, for sessions driven step by step."""
    c = client or httpx.Client(timeout=timeout)

    def send(req: Request) -> Response:
        return _to_session(c.send(_to_httpx(req)))
    return send


def async_sender(client: httpx.AsyncClient) -> Callable[[Request], Awaitable[Response]]:
    """An awaitable send callable over an httpx.AsyncClient."""

    async def send(req: Request) -> Response:
        r = await client.send(_to_httpx(req))
        await r.aread()
        return _to_session(r)
    return send


def _to_httpx(req: Request) -> httpx.Request:
    return httpx.Request(req.method, req.url, headers=req.headers, content=req.body.encode("utf-8"))


def _to_session(r: httpx.Response) -> Response:
    return Response(r.status_code, dict(r.headers), r.text)


class _Options:
    """The GSTN return-call options of a transport, overridden per request by extensions["gstauth"]."""

    def __init__(self, ret_period: Optional[str], rtn_typ: Optional[str], userrole: Optional[str]):
        self.ret_period, self.rtn_typ, self.userrole = ret_period, rtn_typ, userrole

    def prepare(self, session: Session, request: httpx.Request, plain: bytes) -> PreparedCall:
        ext = request.extensions.get("gstauth")
        o: Mapping[str, str] = ext if isinstance(ext, Mapping) else {}
        return session.prepare_call(plain, ret_period=o.get("ret_period", self.ret_period),
                                    rtn_typ=o.get("rtn_typ", self.rtn_typ), userrole=o.get("userrole", self.userrole))


def _outgoing(request: httpx.Request, call: PreparedCall) -> httpx.Request:
    """The request to send: the caller's, with the session's headers (a content type the caller chose is kept) and
    the body as encrypted."""
    headers = httpx.Headers(request.headers)
    for name in ("content-length", "transfer-encoding"):
        if name in headers:
            del headers[name]
    for k, v in call.headers.items():
        if k.lower() != "content-type" or "content-type" not in headers:
            headers[k] = v
    return httpx.Request(request.method, request.url, headers=headers, content=call.body,
                         extensions=request.extensions)


def _with_body(response: httpx.Response, request: httpx.Request, body: Optional[bytes]) -> httpx.Response:
    """The response the application sees: the decrypted body when there is one."""
    if body is None or body == response.content:
        return response
    headers = httpx.Headers(response.headers)
    for h in ("content-length", "content-encoding", "transfer-encoding"):
        if h in headers:
            del headers[h]
    return httpx.Response(response.status_code, headers=headers, content=body, request=request,
                          extensions=response.extensions)


def _again(session: Session, seen_outcome: str, flags: Dict[str, bool]) -> bool:
    """Whether a call is sent once more: once after a rejected token, once after a stale certificate reloaded."""
    if seen_outcome == "reauthenticate" and not flags["replayed"]:
        flags["replayed"] = True
        return True
    if seen_outcome == "stale_certificate" and not flags["reloaded"] and session._reload_certificate():
        flags["reloaded"] = True
        return True
    return False


def _token_flow(session: Session) -> Generator[httpx.Request, httpx.Response, str]:
    """session.ensure() with its auth requests yielded as httpx requests (the session's refresh lock held)."""
    token, move = session._check()
    if move == "use" and token is not None:
        return token
    deadline = time.monotonic() + session.wait_timeout
    lock = session._refresh_lock
    if move == "refresh":
        if not lock.acquire(blocking=False):
            return token or ""
    elif not lock.acquire(timeout=session.wait_timeout):
        raise make_error("token_expired", "timed out waiting for another caller's renewal of the token")
    try:
        return (yield from _httpx_steps(session._locked_steps(move, token, deadline)))
    finally:
        lock.release()


def _httpx_steps(steps: Steps) -> Generator[httpx.Request, httpx.Response, str]:
    """A session's token loop with its requests yielded to httpx (its pauses slept here)."""
    try:
        item = next(steps)
        while True:
            if isinstance(item, Pause):
                time.sleep(item.seconds)
                item = steps.send(None)
                continue
            r = yield _to_httpx(item)
            r.read()
            item = steps.send(_to_session(r))
    except StopIteration as done:
        result: str = done.value
        return result
    finally:
        steps.close()


async def _drive_async(steps: Steps, send: Callable[[Request], Awaitable[Response]]) -> str:
    """A session's token loop on an event loop: requests sent with send (a send that raises is thrown into the
    loop), pauses slept with asyncio.sleep."""
    try:
        item = next(steps)
        while True:
            if isinstance(item, Pause):
                await asyncio.sleep(item.seconds)
                item = steps.send(None)
                continue
            try:
                response = await send(item)
            except Exception as e:
                item = steps.throw(e)
                continue
            item = steps.send(response)
    except StopIteration as done:
        result: str = done.value
        return result
    finally:
        steps.close()


class Transport(httpx.BaseTransport):
    """An httpx transport that runs every request through a gstauth session (see the module's documentation)."""

    def __init__(self, session: Session, transport: Optional[httpx.BaseTransport] = None, *,
                 ret_period: Optional[str] = None, rtn_typ: Optional[str] = None, userrole: Optional[str] = None):
        self.session = session
        self.transport = transport or httpx.HTTPTransport()
        self.options = _Options(ret_period, rtn_typ, userrole)

    def _send(self, req: Request) -> Response:
        r = self.transport.handle_request(_to_httpx(req))
        try:
            r.read()
        finally:
            r.close()
        return _to_session(r)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        s = self.session
        plain = request.read()
        flags = {"replayed": False, "reloaded": False}
        while True:
            s.ensure(send=self._send)
            call = self.options.prepare(s, request, plain)
            sent = s.clock()
            response = self.transport.handle_request(_outgoing(request, call))
            try:
                response.read()
            finally:
                response.close()
            seen, body = s.finish_call(call, _to_session(response), sent_at_ms=sent)
            if _again(s, seen.outcome, flags):
                continue
            return _with_body(response, request, body)

    def close(self) -> None:
        self.transport.close()


_async_locks: "weakref.WeakKeyDictionary[Session, Tuple[asyncio.AbstractEventLoop, asyncio.Lock]]" = \
    weakref.WeakKeyDictionary()


def _async_lock(session: Session) -> asyncio.Lock:
    """The session's refresh lock on the running event loop."""
    loop = asyncio.get_running_loop()
    held = _async_locks.get(session)
    if held is None or held[0] is not loop:
        held = _async_locks[session] = (loop, asyncio.Lock())
    return held[1]


async def _acquire(session: Session, lock: asyncio.Lock) -> None:
    try:
        await asyncio.wait_for(lock.acquire(), timeout=session.wait_timeout)
    except asyncio.TimeoutError:
        raise make_error("token_expired", "timed out waiting for another caller's renewal of the token") from None


async def _ensure_async(session: Session, send: Callable[[Request], Awaitable[Response]]) -> str:
    """The loop of docs/hosts.md on an event loop: the session's asyncio lock is the refresh lock. (A shared
    session's store calls are short blocking calls; its waits are asyncio sleeps.)"""
    token, move = session._check()
    if move == "use" and token is not None:
        return token
    deadline = time.monotonic() + session.wait_timeout
    lock = _async_lock(session)
    if move == "refresh" and lock.locked():
        return token or ""
    await _acquire(session, lock)
    try:
        return await _drive_async(session._locked_steps(move, token, deadline), send)
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
        try:
            await r.aread()
        finally:
            await r.aclose()
        return _to_session(r)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        s = self.session
        plain = await request.aread()
        flags = {"replayed": False, "reloaded": False}
        while True:
            await _ensure_async(s, self._send)
            call = self.options.prepare(s, request, plain)
            sent = s.clock()
            response = await self.transport.handle_async_request(_outgoing(request, call))
            try:
                await response.aread()
            finally:
                await response.aclose()
            seen, body = s.finish_call(call, _to_session(response), sent_at_ms=sent)
            if _again(s, seen.outcome, flags):
                continue
            return _with_body(response, request, body)

    async def aclose(self) -> None:
        await self.transport.aclose()


class Auth(httpx.Auth):
    """httpx authentication for Client and AsyncClient: headers, payload encryption, refresh and one replay after
    re-authentication; response bodies are left as received (decrypt them with ``session.decrypt``, or use
    ``Transport``)."""

    requires_request_body = True
    requires_response_body = True

    def __init__(self, session: Session, *, ret_period: Optional[str] = None, rtn_typ: Optional[str] = None,
                 userrole: Optional[str] = None):
        self.session = session
        self.options = _Options(ret_period, rtn_typ, userrole)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        s = self.session
        plain = request.read()
        flags = {"replayed": False, "reloaded": False}
        while True:
            yield from _token_flow(s)
            call = self.options.prepare(s, request, plain)
            sent = s.clock()
            response = yield _outgoing(request, call)
            response.read()
            seen, _ = s.finish_call(call, _to_session(response), sent_at_ms=sent)
            if not _again(s, seen.outcome, flags):
                return

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        s = self.session
        plain = await request.aread()
        flags = {"replayed": False, "reloaded": False}
        while True:
            # The token loop's auth requests go through this flow, one at a time per session and event loop.
            token, move = s._check()
            if move != "use":
                deadline = time.monotonic() + s.wait_timeout
                lock = _async_lock(s)
                if move == "renew" or not lock.locked():
                    await _acquire(s, lock)
                    try:
                        steps = s._locked_steps(move, token, deadline)
                        try:
                            item = next(steps)
                            while True:
                                if isinstance(item, Pause):
                                    await asyncio.sleep(item.seconds)
                                    item = steps.send(None)
                                    continue
                                auth_response = yield _to_httpx(item)
                                await auth_response.aread()
                                item = steps.send(_to_session(auth_response))
                        except StopIteration:
                            pass
                        finally:
                            steps.close()
                    finally:
                        lock.release()
            call = self.options.prepare(s, request, plain)
            sent = s.clock()
            response = yield _outgoing(request, call)
            await response.aread()
            seen, _ = s.finish_call(call, _to_session(response), sent_at_ms=sent)
            if not _again(s, seen.outcome, flags):
                return
