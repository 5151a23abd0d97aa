"""HTTP integration: gstauth sessions as httpx and requests authentication.

The core builds every auth request and reads every auth response; these adapters only move them over the
application's own HTTP client, attach the session's headers to ordinary calls, and hand ordinary responses back
(``observe``) so a 401 or an invalid-token code makes the next call renew first, and the call is retried once.
Refreshes are single-flight per session (see :meth:`gstauth.Session.ensure`): with 100 threads asking at once,
one refresh request goes out. Neither httpx nor requests is a dependency of gstauth: import this module only
with the client you use installed.
"""
import asyncio
import json
import threading
from typing import Any, Callable, Dict, Optional

from .sessions import Request, Response, Session, now_ms


def _apply_headers(session: Session, headers) -> None:
    for k, v in session.headers().items():  # type: ignore[attr-defined]
        if k.lower() == "content-type" and k in headers:
            continue
        headers[k] = v


# --- requests ---------------------------------------------------------------------------------------------

def requests_sender(http=None, timeout: float = 30.0) -> Callable[[Request], Response]:
    """A send callable over a requests.Session (or the requests module)."""
    import requests

    http = http or requests

    def send(req: Request) -> Response:
        r = http.request(req.method, req.url, headers=req.headers, data=req.body.encode("utf-8") if req.body else None,
                         timeout=timeout)
        return Response(r.status_code, dict(r.headers), r.text)
    return send


try:
    import requests as _requests

    class GstAuth(_requests.auth.AuthBase):
        """requests authentication: ``requests.get(url, auth=GstAuth(session))``.

        Before each request the session is brought up to date (refresh/renew through the planner, sent with
        ``sender`` — by default a plain requests call), and its headers are attached. A response that says the
        token is dead (401, GSTN AUTH4033, NIC 1005, e-way bill 238) marks the session, renews it and resends
        the request once."""

        def __init__(self, session: Session, sender: Optional[Callable[[Request], Response]] = None):
            self.session = session
            self.sender = sender or session.send or requests_sender()

        def __call__(self, r):
            self.session.ensure(send=self.sender)
            _apply_headers(self.session, r.headers)
            r._gstauth_sent_at = now_ms()
            r.register_hook("response", self._on_response)
            return r

        def _on_response(self, resp, **kwargs):
            req = resp.request
            rejected = self.session.observe(Response(resp.status_code, dict(resp.headers), resp.text),
                                            sent_at_ms=getattr(req, "_gstauth_sent_at", now_ms()))
            if not rejected or getattr(req, "_gstauth_retried", False):
                return resp
            self.session.ensure(send=self.sender)
            retry = req.copy()
            retry._gstauth_retried = True
            retry._gstauth_sent_at = now_ms()
            _apply_headers(self.session, retry.headers)
            resp.content  # release the connection
            resp.close()
            new = resp.connection.send(retry, **kwargs)
            new.history.append(resp)
            new.request = retry
            return new
except ImportError:  # pragma: no cover
    pass


# --- httpx ------------------------------------------------------------------------------------------------

try:
    import httpx as _httpx

    class GstAuthHTTPX(_httpx.Auth):
        """httpx authentication for Client and AsyncClient: ``httpx.Client(auth=GstAuthHTTPX(session))``.

        Auth requests (refresh, renew) go out through the same client as part of the auth flow, so proxies,
        certificates and transports are the application's. One refresh at a time per session: a threading lock
        for sync clients, an asyncio lock for async ones."""

        requires_response_body = True

        def __init__(self, session: Session):
            self.session = session
            self._sync_lock = threading.Lock()
            self._async_lock: Optional[asyncio.Lock] = None

        def _update(self):
            """Yields the auth exchanges the planner calls for (none when the token is fresh)."""
            for _ in range(2):
                p = self.session.plan()
                if p.action == "use" or (p.action == "refresh" and p.not_before_ms > now_ms()):
                    return
                if p.action == "user_action" or (p.not_before_ms and p.not_before_ms > now_ms()):
                    self.session.current_token()  # raises with the planner's message
                sent = now_ms()
                req = self.session.build(at_ms=sent)
                auth_resp = yield _httpx.Request(req.method, req.url, headers=req.headers, content=req.body.encode())
                try:
                    self.session.handle(Response(auth_resp.status_code, dict(auth_resp.headers), auth_resp.text),
                                        sent_at_ms=sent)
                except Exception:
                    if p.action != "refresh":
                        raise
                    return  # a failed refresh: keep using the valid token; the backoff is recorded

        def _send(self, request):
            """Yields the request with the session's headers; returns whether the token was rejected."""
            self.session.current_token()  # raises if no usable token
            _apply_headers(self.session, request.headers)
            sent = now_ms()
            response = yield request
            return self.session.observe(Response(response.status_code, dict(response.headers), response.text),
                                        sent_at_ms=sent)

        def sync_auth_flow(self, request):
            with self._sync_lock:
                yield from _drive(self._update())
            rejected = yield from _drive(self._send(request))
            if rejected:
                with self._sync_lock:
                    yield from _drive(self._update())
                yield from _drive(self._send(request))

        async def async_auth_flow(self, request):
            if self._async_lock is None:
                self._async_lock = asyncio.Lock()
            for attempt in range(2):
                for locked, flow in ((True, self._update()), (False, self._send(request))):
                    if locked:
                        await self._async_lock.acquire()
                    try:
                        try:
                            req = flow.send(None)
                            while True:
                                resp = yield req
                                await resp.aread()
                                req = flow.send(resp)
                        except StopIteration as e:
                            result = e.value
                    finally:
                        if locked:
                            self._async_lock.release()
                if not result:  # the API call's token was not rejected
                    return

    def _drive(flow):
        """Runs a flow generator inside a sync httpx auth flow; returns the flow's return value."""
        try:
            req = flow.send(None)
            while True:
                resp = yield req
                resp.read()
                req = flow.send(resp)
        except StopIteration as e:
            return e.value

    def httpx_sender(client: "Optional[_httpx.Client]" = None, timeout: float = 30.0) -> Callable[[Request], Response]:
        """A send callable over an httpx.Client, for sessions driven step by step."""
        c = client or _httpx.Client(timeout=timeout)

        def send(req: Request) -> Response:
            r = c.request(req.method, req.url, headers=req.headers, content=req.body.encode("utf-8") if req.body else None)
            return Response(r.status_code, dict(r.headers), r.text)
        return send
except ImportError:  # pragma: no cover
    pass
