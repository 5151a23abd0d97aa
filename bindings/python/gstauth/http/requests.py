"""gstauth for requests: ``requests.get(url, auth=gstauth.http.requests.Auth(session))``.

Before each request the session is brought up to date (refresh or renew through the core, sent with ``sender``: by
default a plain requests call), its headers are attached and a payload member in the body is encrypted. The response
is observed: after a rejected token, one renewal and one replay of the original request; a successful answer's payload
is decrypted in place (``decrypt=False`` leaves the body as received).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import requests

from ..sessions import Request, Response, Send, Session, now_ms

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
    """What the adapter remembers about one call."""

    def __init__(self, plain: Optional[bytes]):
        self.plain = plain
        self.token = ""
        self.sent = 0
        self.replayed = False


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
        plain = body.encode("utf-8") if isinstance(body, str) else (bytes(body) if body else None)
        call = _Call(plain)
        self._prepare(r, call)
        setattr(r, "_gstauth_call", call)
        r.register_hook("response", self._on_response)
        return r

    def _prepare(self, r: requests.PreparedRequest, call: _Call) -> None:
        call.token = self.session.ensure(send=self.sender)
        present = {k.lower() for k in r.headers}
        for k, v in self.session.headers(ret_period=self.ret_period, rtn_typ=self.rtn_typ,
                                         userrole=self.userrole).items():
            if k.lower() != "content-type" or "content-type" not in present:
                r.headers[k] = v
        if call.plain:
            wire = self.session.encrypt_body(call.plain)
            r.body = wire
            r.headers["Content-Length"] = str(len(wire))
        call.sent = now_ms()

    def _on_response(self, resp: requests.Response, **kwargs: Any) -> requests.Response:
        req = resp.request
        call: Optional[_Call] = getattr(req, "_gstauth_call", None)
        if call is None:
            return resp
        seen = self.session.observe(Response(resp.status_code, dict(resp.headers), resp.text),
                                    sent_at_ms=call.sent, access_token=call.token)
        if seen.outcome == "reauthenticate" and not call.replayed:
            retry = req.copy()
            again = _Call(call.plain)
            again.replayed = True
            self._prepare(retry, again)
            setattr(retry, "_gstauth_call", again)
            resp.content  # release the connection
            resp.close()
            new: requests.Response = resp.connection.send(retry, **kwargs)
            new.history.append(resp)
            new.request = retry
            return self._on_response(new, **kwargs)
        if seen.outcome == "ok" and self.decrypt and resp.content:
            resp._content = self.session.decrypt_body(resp.content)
        return resp
