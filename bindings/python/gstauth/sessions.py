"""Sessions: one authenticated account of one provider, driven through the core's planner.

The core is sans-I/O: it decides, builds requests and reads responses; a session's ``send`` callable performs
the HTTP exchange with whatever client the application uses (see :mod:`gstauth.http` for httpx and requests).
A session is thread-safe and refreshes single-flight: when many threads find the token due, one of them
refreshes while the others keep using the still-valid token, and when the token is unusable they wait for the
one renewal instead of each sending their own.
"""
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from . import api
from .api import JSONPayload, _bytes, _payload, _text, b64, unb64
from .errors import GstAuthError, UserActionRequired, error_from  # type: ignore[attr-defined]


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Request:
    """An HTTP request the core built, to send exactly as given."""
    method: str
    url: str
    headers: Dict[str, str]
    body: str


@dataclass
class Response:
    """What the host received, handed back to the core."""
    status: int
    headers: Dict[str, str] = field(default_factory=dict)
    body: str = ""


@dataclass
class Plan:
    action: str
    state: str
    refresh_at_ms: int
    expires_at_ms: int
    reason: str
    message: str
    not_before_ms: int = 0
    user_action_at_ms: int = 0


Send = Callable[[Request], Response]


class Session:
    """A provider-neutral session. Subclasses add the steps of their protocol.

    ``credentials`` are the secrets the requests need (client secret, password, public key...). They are
    passed to the core on every request and never stored in the session state, so a sealed session holds
    tokens and keys but no passwords. ``on_change`` is called with the session after every state change
    (a new token, a failure recorded), for example to store ``seal()`` in a database.
    """

    provider: str = ""

    def __init__(self, account: str, config: Optional[Dict[str, Any]] = None, *, provider: Optional[str] = None,
                 credentials: Optional[Dict[str, Any]] = None, send: Optional[Send] = None,
                 backend=None, clock: Callable[[], int] = now_ms,
                 on_change: Optional[Callable[["Session"], None]] = None, state: Optional[Dict[str, Any]] = None):
        self.provider = provider or self.provider
        if not self.provider:
            raise TypeError("provider is required")
        self.credentials: Dict[str, Any] = dict(credentials or {})
        self.send = send
        self.backend = backend
        self.clock = clock
        self.on_change = on_change
        self._lock = threading.RLock()
        self._refreshing = threading.Lock()
        if state is None:
            state = api.call("session_new", {"provider": self.provider, "account": _text("account", account),
                                             "config": dict(config or {})}, backend=backend)["session"]
        self.state: Dict[str, Any] = state

    # --- state -------------------------------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        return self.state.get("access_token", "")

    @property
    def sek(self) -> bytes:
        s = self.state.get("sek")
        return unb64(s) if s else b""

    @property
    def account(self) -> str:
        return self.state["account"]

    def to_json(self) -> str:
        return json.dumps(self.state, separators=(",", ":"))

    def seal(self, key: bytes, key_id: str) -> str:
        """The session sealed with XChaCha20-Poly1305 under a 32-byte key, for storage."""
        with self._lock:
            return api.call("session_seal", {"session": self.state, "key": b64(_bytes("key", key)),
                                             "key_id": _text("key_id", key_id)}, backend=self.backend)["sealed"]

    @classmethod
    def open(cls, sealed: str, keys: Mapping[str, bytes], *, account: Optional[str] = None, **kw) -> "Session":
        """Open a sealed session with a keyring {key_id: key}; the blob must be for this class's provider."""
        inp: Dict[str, Any] = {"sealed": _text("sealed", sealed),
                               "keys": [{"key_id": k, "key": b64(_bytes("key", v))} for k, v in keys.items()]}
        if cls.provider:
            inp["provider"] = cls.provider
        if account is not None:
            inp["account"] = account
        state = api.call("session_open", inp, backend=kw.get("backend"))["session"]
        provider = kw.pop("provider", None) or state["provider"]
        return cls(state["account"], provider=provider, state=state, **kw)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    # --- the planner -------------------------------------------------------------------------------------

    def plan(self, at_ms: Optional[int] = None) -> Plan:
        with self._lock:
            out = api.call("session_plan", {"session": self.state, "now_ms": self.clock() if at_ms is None else at_ms},
                           backend=self.backend)
        return Plan(**{k: out.get(k, 0) for k in Plan.__dataclass_fields__})

    def build(self, step: Optional[str] = None, *, credentials: Optional[Dict[str, Any]] = None,
              params: Optional[Dict[str, str]] = None, at_ms: Optional[int] = None) -> Request:
        """Build the request of a step (or the one the planner calls for) and record it in the session."""
        inp: Dict[str, Any] = {"session": self.state, "now_ms": self.clock() if at_ms is None else at_ms,
                               "credentials": {**self.credentials, **(credentials or {})}}
        if step:
            inp["step"] = step
        if params:
            inp["params"] = params
        with self._lock:
            out = api.call("session_request", inp, backend=self.backend)
            self.state = out["session"]
        r = out["request"]
        return Request(r["method"], r["url"], dict(r.get("headers") or {}), r.get("body", ""))

    def handle(self, response: Response, *, sent_at_ms: int = 0, received_at_ms: Optional[int] = None) -> None:
        """Hand a response to the request in flight back to the core. The session is updated either way;
        a provider failure is then raised as its GstAuthError subclass."""
        inp: Dict[str, Any] = {"session": self.state,
                               "response": {"status": response.status, "headers": dict(response.headers),
                                            "body": response.body},
                               "received_at_ms": self.clock() if received_at_ms is None else received_at_ms}
        if sent_at_ms:
            inp["sent_at_ms"] = sent_at_ms
        with self._lock:
            out = api.call("session_response", inp, backend=self.backend)
            self.state = out["session"]
        self._changed()
        if "error" in out:
            raise error_from(out["error"])

    def observe(self, response: Response, *, sent_at_ms: int, received_at_ms: Optional[int] = None) -> bool:
        """After an ordinary API call: measure skew, and mark the token rejected on 401 / invalid-token.
        Returns whether the token was rejected."""
        with self._lock:
            out = api.call("session_observe", {
                "session": self.state, "response": {"status": response.status, "headers": dict(response.headers),
                                                    "body": response.body},
                "sent_at_ms": sent_at_ms, "received_at_ms": self.clock() if received_at_ms is None else received_at_ms},
                backend=self.backend)
            self.state = out["session"]
        if out["rejected"]:
            self._changed()
        return bool(out["rejected"])

    def exchange(self, step: Optional[str] = None, *, send: Optional[Send] = None,
                 credentials: Optional[Dict[str, Any]] = None, params: Optional[Dict[str, str]] = None) -> None:
        """Build a step's request, send it, and hand the response back."""
        send = send or self.send
        if send is None:
            raise TypeError("no send callable: pass send= or set session.send")
        sent = self.clock()
        req = self.build(step, credentials=credentials, params=params, at_ms=sent)
        resp = send(req)
        self.handle(resp, sent_at_ms=sent)

    def ensure(self, *, send: Optional[Send] = None) -> str:
        """Return a usable access token, refreshing or renewing first when the planner says so.

        Single-flight: one thread refreshes while others keep using the valid token; during a renewal the
        others wait for it. Raises UserActionRequired when a person must act."""
        p = self.plan()
        if p.action == "use":
            return self._token_or_raise(p)
        if p.action == "user_action":
            raise UserActionRequired(p.message, code="user_action_required")
        if p.action == "refresh":
            if not self._refreshing.acquire(blocking=False):
                return self._token_or_raise(p)  # someone is refreshing; the token is still valid
        else:
            self._refreshing.acquire()
        try:
            p = self.plan()  # another thread may have finished meanwhile
            if p.action in ("refresh", "renew"):
                if p.not_before_ms and p.not_before_ms > self.clock():
                    if p.action == "refresh":
                        return self._token_or_raise(p)
                    raise error_from({"code": "rate_limited", "message": p.message,
                                      "retry_after_ms": p.not_before_ms - self.clock(), "retryable": True})
                try:
                    self.exchange(send=send)
                except GstAuthError:
                    if p.action == "refresh" and self.plan().action in ("use", "refresh"):
                        return self.access_token  # keep using the valid token; backoff is recorded
                    raise
                p = self.plan()
            if p.action == "user_action":
                raise UserActionRequired(p.message, code="user_action_required")
            return self._token_or_raise(p)
        finally:
            self._refreshing.release()

    def current_token(self) -> str:
        """The token to use now, without sending anything: raises UserActionRequired when a person must act,
        RateLimited during a backoff, TokenExpired when the token must be renewed first."""
        p = self.plan()
        if p.action == "user_action":
            raise UserActionRequired(p.message, code="user_action_required")
        if p.action == "renew" and p.not_before_ms and p.not_before_ms > self.clock():
            raise error_from({"code": "rate_limited", "message": p.message,
                              "retry_after_ms": p.not_before_ms - self.clock(), "retryable": True})
        return self._token_or_raise(p)

    def _token_or_raise(self, p: Plan) -> str:
        if p.action not in ("use", "refresh") or not self.access_token:
            raise error_from({"code": "token_expired", "message": p.message or "no usable token"})
        return self.access_token


# --- GSTN -----------------------------------------------------------------------------------------------

class GstnSession(Session):
    """The GSTN taxpayer API: OTP once, then refreshes before every expiry until the API-access window ends.

    config: base_url (…/taxpayerapi/v1.0), client_id, gstin, username, ip_usr, access_window_ms.
    credentials: client_secret, public_key (the GSTN certificate PEM)."""

    provider = "gstn"

    def request_otp(self, *, send: Optional[Send] = None) -> None:
        self.exchange("otp_request", send=send)

    def authenticate(self, otp: str, *, send: Optional[Send] = None) -> None:
        self.exchange("auth_token", send=send, credentials={"otp": _text("otp", otp)})

    def refresh(self, *, send: Optional[Send] = None) -> None:
        self.exchange("refresh_token", send=send)

    def logout(self, *, send: Optional[Send] = None) -> None:
        self.exchange("logout", send=send)

    def headers(self, ret_period: Optional[str] = None) -> Dict[str, str]:
        """Headers for a returns call (auth-token, state-cd, txn, ret_period ...)."""
        inp: Dict[str, Any] = {"session": self.state, "credentials": {"client_secret": self.credentials.get("client_secret", "")}}
        if ret_period:
            inp["ret_period"] = ret_period
        return api.call("gstn_headers", inp, backend=self.backend)["headers"]

    def encrypt(self, payload: JSONPayload) -> Dict[str, str]:
        """{"data", "hmac"} of a request payload under the session key."""
        r = api.gstn_encrypt_request(self.sek, payload, backend=self.backend)
        return {"data": r.data, "hmac": r.hmac}

    def decrypt(self, response: Mapping[str, Any]) -> Any:
        """The JSON of an encrypted GSTN response {status_cd, data, rek, hmac}, verified."""
        if str(response.get("status_cd")) != "1":
            err = response.get("error") or {}
            raise error_from({"code": "provider_error", "message": err.get("message") or "GSTN reported a failure",
                              "provider_code": err.get("error_cd")})
        raw = api.gstn_decrypt_response(self.sek, response["data"], response["rek"], response["hmac"],
                                        backend=self.backend)
        return json.loads(raw)


# --- NIC ------------------------------------------------------------------------------------------------

class _NicSession(Session):
    def authenticate(self, *, send: Optional[Send] = None) -> None:
        self.exchange("auth", send=send)

    def encrypt(self, payload: JSONPayload) -> Dict[str, str]:
        return {"Data": api.nic_encrypt_request(self.sek, payload, backend=self.backend)}

    def decrypt_data(self, data: str, rek: Optional[str] = None, hmac: Optional[str] = None) -> Any:
        return json.loads(api.nic_decrypt_response(self.sek, data, rek, hmac, backend=self.backend))


class EInvoiceSession(_NicSession):
    """NIC e-invoice (IRP) v1.04. config: base_url, client_id, gstin, username.
    credentials: client_secret, password, public_key (NIC's PEM)."""

    provider = "nic_einvoice"

    def force_refresh(self, *, send: Optional[Send] = None) -> None:
        self.exchange("force_refresh", send=send)

    def headers(self) -> Dict[str, str]:
        c = self.state["config"]
        return {"client_id": c.get("client_id", ""), "client_secret": self.credentials.get("client_secret", ""),
                "Gstin": c.get("gstin", ""), "user_name": c.get("username", ""), "AuthToken": self.access_token,
                "Content-Type": "application/json"}

    def decrypt(self, response: Mapping[str, Any]) -> Any:
        """The JSON of a NIC response {Status, Data}; a failure raises with the first ErrorCode."""
        if str(response.get("Status")) != "1":
            details = response.get("ErrorDetails") or [{}]
            d = details[0] if isinstance(details, list) and details else {}
            raise error_from({"code": "provider_error", "message": d.get("ErrorMessage") or "NIC reported a failure",
                              "provider_code": str(d.get("ErrorCode") or "")})
        return self.decrypt_data(response["Data"], response.get("Rek"), response.get("Hmac"))


class EWayBillSession(_NicSession):
    """NIC e-way bill ACCESSTOKEN auth. config: base_url, client_id, gstin, username."""

    provider = "nic_ewaybill"

    def headers(self) -> Dict[str, str]:
        c = self.state["config"]
        return {"client-id": c.get("client_id", ""), "client-secret": self.credentials.get("client_secret", ""),
                "gstin": c.get("gstin", ""), "authtoken": self.access_token, "Content-Type": "application/json"}

    def decrypt(self, response: Mapping[str, Any]) -> Any:
        if str(response.get("status")) != "1":
            codes = api.ewb_decode_error(response.get("error", ""), backend=self.backend) if response.get("error") else []
            raise error_from({"code": "provider_error", "message": "e-way bill error " + ",".join(codes),
                              "provider_code": codes[0] if codes else ""})
        return self.decrypt_data(response["data"], response.get("rek"), response.get("hmac"))


class GatewayTaskSession(GstnSession):
    """A gateway's task API (getAuthToken) yielding a GSTN-like session."""

    provider = "gateway_task"

    def authenticate(self, otp: str, *, send: Optional[Send] = None) -> None:
        self.exchange("get_auth_token", send=send, credentials={"otp": _text("otp", otp)})


# --- OAuth and WhiteBIT -----------------------------------------------------------------------------

class OAuthClientCredentialsSession(Session):
    """RFC 6749 §4.4 (WhiteBooks, OneFinOps/Keycloak via config.flavor). config: token_url, client_id, scope,
    client_auth. credentials: client_secret (and previous_client_secret, previous_secret_valid_until_ms)."""

    provider = "oauth_client_credentials"

    def headers(self) -> Dict[str, str]:
        return {"Authorization": "Bearer " + self.access_token}


class OAuthPasswordSession(OAuthClientCredentialsSession):
    provider = "oauth_password"


class AuthorizationCodeSession(OAuthClientCredentialsSession):
    """RFC 6749 §4.1 with PKCE S256 and state. config: auth_url, token_url, client_id, redirect_uri, scope."""

    provider = "oauth_authorization_code"

    def authorization_url(self) -> str:
        """The URL to send the user to; the PKCE verifier and state are kept in the session."""
        with self._lock:
            out = api.call("oauth_authorization_url", {"session": self.state, "now_ms": self.clock()},
                           backend=self.backend)
            self.state = out["session"]
        return out["url"]

    def complete(self, redirect_url: str, *, send: Optional[Send] = None) -> None:
        """Check the redirect (state in constant time) and exchange its code for tokens."""
        with self._lock:
            r = api.call("oauth_parse_redirect", {"session": self.state, "url": _text("redirect_url", redirect_url)},
                         backend=self.backend)
        self.exchange("authorization_code", send=send, credentials={"code": r["code"], "state": r["state"]})


class WhiteBITSession(AuthorizationCodeSession):
    """WhiteBIT's OAuth (camelCase clientId, its own refresh endpoint, 300 s tokens)."""

    provider = "whitebit"

    def signed_request(self, api_key: str, secret: str, path: str, params: Optional[Dict[str, Any]] = None) -> Request:
        """A signed private-API request with the session's next nonce."""
        inp: Dict[str, Any] = {"session": self.state, "now_ms": self.clock(), "api_key": _text("api_key", api_key),
                               "secret": _text("secret", secret), "path": _text("path", path)}
        if params:
            inp["params"] = params
        with self._lock:
            out = api.call("whitebit_request", inp, backend=self.backend)
            self.state = out["session"]
        self._changed()
        r = out["request"]
        return Request(r["method"], r["url"], dict(r.get("headers") or {}), r.get("body", ""))


class WhiteBITFastKeySession(WhiteBITSession):
    provider = "whitebit_fast_key"


SESSION_CLASSES: Dict[str, type] = {c.provider: c for c in (
    GstnSession, EInvoiceSession, EWayBillSession, GatewayTaskSession, OAuthClientCredentialsSession,
    OAuthPasswordSession, AuthorizationCodeSession, WhiteBITSession, WhiteBITFastKeySession)}
