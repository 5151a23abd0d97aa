"""gstauth for requests: ``requests.get(url, auth=gstauth.http.requests.Auth(session))``.

Before each request the session is brought up to date (refresh or renew through the core, sent with ``sender``: by
default the session's ``send``, else a plain requests call), its headers are attached and a payload member in the body
is encrypted, all from one state of the session. The response is observed: after a rejected token, one renewal and
one replay of the original request (never two); a successful answer's payload is decrypted in place
(``decrypt=False`` leaves the body as received).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import requests

from ..sessions import PreparedCall, Request, Response, Send, Session

__all__ = ["Auth", "sender"]


def sender(http: Any = None, timeout: float = 30.0) -> Callable[[Request], Response]:
    """A send callable over a requests.Session (or the requests module)."""
    client: Any = http or requests

    def send(req: Request) -> Response:
        r = client.request(req.method, req.url, headers=req.headers,
                           data=req.body.encode("utf-8") if req.body else None, timeout=timeout)
        return Response(r.status_code, dict(r.headers), r.text)
    return send


_plain_sender = sender


class _Call:
    """What the adapter remembers about one send of a request."""

    def __init__(self, plain: bytes, replayed: bool, reloaded: bool):
        self.plain = plain
        self.replayed = replayed
        self.reloaded = reloaded
        self.prepared: Optional[PreparedCall] = None
        self.sent = 0


class Auth(requests.auth.AuthBase):
    """requests authentication for a gstauth session."""

    def __init__(self, session: Session, sender: Optional[Send] = None, *, ret_period: Optional[str] = None,
                 rtn_typ: Optional[str] = None, userrole: Optional[str] = None, decrypt: bool = True):
        self.session = session
        self.sender: Send = sender or session.send or _plain_sender()
        self.ret_period, self.rtn_typ, self.userrole = ret_period, rtn_typ, userrole
        self.decrypt = decrypt

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body
        plain = body.encode("utf-8") if isinstance(body, str) else (bytes(body) if body else b"")
        self._prepare(r, _Call(plain, False, False))
        r.hooks["response"].append(self._on_response)
        return r

    def _prepare(self, r: requests.PreparedRequest, call: _Call) -> None:
        s = self.session
        s.ensure(send=self.sender)
        prepared = s.prepare_call(call.plain, ret_period=self.ret_period, rtn_typ=self.rtn_typ,
                                  userrole=self.userrole)
        present = {k.lower(): k for k in r.headers}
        for k, v in prepared.headers.items():
            have = present.get(k.lower())
            if have is not None:
                if k.lower() == "content-type":
                    continue
                del r.headers[have]
            r.headers[k] = v
        if call.plain:
            r.body = prepared.body
            r.headers["Content-Length"] = str(len(prepared.body))
        call.prepared = prepared
        call.sent = s.clock()
        setattr(r, "_gstauth_call", call)

    def _on_response(self, resp: requests.Response, **kwargs: Any) -> requests.Response:
        req = resp.request
        call: Optional[_Call] = getattr(req, "_gstauth_call", None)
        if call is None or call.prepared is None:
            return resp
        s = self.session
        seen, body = s.finish_call(call.prepared, Response(resp.status_code, dict(resp.headers), resp.text),
                                   sent_at_ms=call.sent)
        again = None
        if seen.outcome == "reauthenticate" and not call.replayed:
            again = _Call(call.plain, True, call.reloaded)
        elif seen.outcome == "stale_certificate" and not call.reloaded and s._reload_certificate():
            again = _Call(call.plain, call.replayed, True)
        if again is not None:
            retry = req.copy()
            self._prepare(retry, again)
            resp.content  # read the answer, so that its connection is released
            resp.close()
            new: requests.Response = resp.connection.send(retry, **kwargs)
            new.history.append(resp)
            new.request = retry
            return self._on_response(new, **kwargs)
        if body is not None and self.decrypt:
            setattr(resp, "_content", body)
        return resp
