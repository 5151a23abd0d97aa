"""Sessions: one authenticated account of one provider, driven through the core.

The core is sans-I/O: it decides, builds requests and reads responses; a session's ``send`` callable performs the HTTP
exchange with whatever client the application uses (see :mod:`gstauth.http` for httpx and requests). A session runs
the loop of docs/hosts.md, the same in every language: it is thread-safe and refreshes single-flight (when many threads
find the token due, one refreshes while the others keep using the still-valid token; when the token is unusable they
wait for the one renewal instead of each sending their own), and it replays an API call once after the provider
rejects its token. Protocol knowledge (headers, status fields, error codes, timing) is all in the core.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import (TYPE_CHECKING, Any, Callable, ClassVar, Dict, Generator, Mapping, Optional, Tuple, Type, TypeVar,
                    Union, cast)

from . import _ops
from ._call import BackendArg, Bytes, JSONPayload, b64e, json_text
from ._ops import Config, Credentials, Error, HTTPRequest, Outcome, Plan, Provider, SessionState, Step
from .errors import GstAuthError, error_from, make_error

if TYPE_CHECKING:
    from .store import Fleet, FleetStats
    from .store._member import Member


def now_ms() -> int:
    """The host clock in Unix milliseconds."""
    return time.time_ns() // 1_000_000


@dataclass
class Request:
    """An HTTP request the core built, to send exactly as given."""

    method: str
    url: str
    headers: Dict[str, str]
    body: str

    @classmethod
    def _of(cls, r: HTTPRequest) -> "Request":
        return cls(r["method"], r["url"], dict(r.get("headers") or {}), r.get("body", ""))


@dataclass
class Observation:
    """What an ordinary API response means (the error catalogue): its outcome and, for a failure, the error."""

    outcome: Outcome
    error: Optional[Error] = None

    @property
    def ok(self) -> bool:
        """True for ok and no_data (a normal empty answer)."""
        return self.outcome in ("ok", "no_data")

    def raise_for_error(self) -> None:
        """Raise the error's GstAuthError subclass unless the outcome is ok or no_data."""
        if not self.ok:
            raise error_from(self.error or {"code": "provider_error", "message": f"the call's outcome is {self.outcome}"})


@dataclass
class Response:
    """What the host received, handed back to the core. Header names are matched case-insensitively.
    ``Session.request`` fills ``observation`` with what the core made of it."""

    status: int
    headers: Dict[str, str] = field(default_factory=dict)
    body: str = ""
    observation: Optional[Observation] = None

    def _wire(self) -> _ops.HTTPResponse:
        return _ops.HTTPResponse(status=self.status, headers=dict(self.headers), body=self.body)

    def raise_for_error(self) -> None:
        """Raise the observed failure (see Observation.raise_for_error); nothing when the response was not observed."""
        if self.observation is not None:
            self.observation.raise_for_error()


@dataclass
class PreparedCall:
    """One send of an ordinary API call, made from one state of the session: the token it carries, the headers to add
    and the body to send. The answer is read against the same state (its session key), even if a refresh replaced
    it meanwhile."""

    token: str
    headers: Dict[str, str]
    body: bytes
    state: SessionState


@dataclass
class Pause:
    """A step of the token loop that is not a request: wait this many seconds, then go on (a shared session waiting
    for another process's renewal). A driver sleeps (``time.sleep``, or ``asyncio.sleep`` on an event loop) and sends
    None back."""

    seconds: float


Steps = Generator[Union[Request, Pause], Optional[Response], str]
"""The token loop as a generator: it yields each request to send (and takes its response; a send that raised is
thrown in) or a Pause, and returns the token to use."""

Send = Callable[[Request], Response]
S = TypeVar("S", bound="Session")


class Session:
    """A session of one provider. Subclasses add their provider's steps as methods.

    ``credentials`` are the secrets the requests need (client secret, password, public key...). They go to the core
    with every request and are never stored in the session state, so a sealed session holds tokens and keys but no
    passwords. ``on_change`` is called with the session after every change of its state (a request in flight, a new
    token, a failure recorded, a rejected token), for example to store ``seal()`` in a database. ``wait_timeout``
    bounds, in seconds, how long a caller waits for another caller's renewal of an unusable token. ``certificate``,
    when given, loads the provider's current public certificate (PEM) when the provider says the one in
    ``credentials["public_key"]`` is stale: the session takes it and sends once more.

    ``fleet`` shares the session with other processes through a store (:class:`gstauth.store.Fleet`): the stored
    session, when there is one, replaces ``state``; every ``ensure`` reads the store first; refreshes happen under
    the store's lease, once for the whole fleet; every change is written under the lease, by compare-and-set
    (docs/hosts.md, "Many processes").
    """

    provider: ClassVar[str] = ""

    def __init__(self, account: str, config: Optional[Config] = None, *, provider: Optional[Provider] = None,
                 credentials: Optional[Credentials] = None, send: Optional[Send] = None, backend: BackendArg = None,
                 clock: Callable[[], int] = now_ms, on_change: Optional[Callable[["Session"], None]] = None,
                 state: Optional[SessionState] = None, wait_timeout: float = 60.0,
                 certificate: Optional[Callable[[], str]] = None, fleet: Optional["Fleet"] = None):
        name = provider or type(self).provider
        if not name:
            raise TypeError("provider is required")
        if not isinstance(account, str):
            raise TypeError(f"account must be a str, not {type(account).__name__}")
        if credentials is not None and not isinstance(credentials, Mapping):
            raise TypeError(f"credentials must be a dict, not {type(credentials).__name__}")
        self.credentials: Credentials = Credentials()
        self.credentials.update(credentials or Credentials())
        self.send = send
        self.backend = backend
        self.clock = clock
        self.on_change = on_change
        self.wait_timeout = wait_timeout
        self.certificate = certificate
        self._state_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        if state is None:
            state = _ops.session_new(account=account, provider=cast(Provider, name), config=config,
                                     backend=backend).session
        self._state: SessionState = state
        self._member: Optional["Member"] = None
        if fleet is not None:
            from .store._member import Member
            self._member = Member(fleet, self)

    # --- state -------------------------------------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        """The session's JSON form (a copy is not made: do not change it)."""
        return self._state

    @property
    def access_token(self) -> str:
        return self._state.get("access_token", "")

    @property
    def account(self) -> str:
        return self._state["account"]

    def to_json(self) -> str:
        return json.dumps(self._state, separators=(",", ":"))

    @property
    def fleet(self) -> Optional["Fleet"]:
        """The fleet the session is shared with, or None."""
        return self._member.fleet if self._member is not None else None

    @property
    def fleet_stats(self) -> "FleetStats":
        """What this process did with the shared store for this session (a shared session only)."""
        if self._member is None:
            raise TypeError("the session is not shared: pass fleet= to its constructor")
        return self._member.stats

    @property
    def lease_holder(self) -> Optional[str]:
        """The name this session object takes the store's lease under (None: not shared)."""
        return self._member.holder if self._member is not None else None

    @property
    def store_version(self) -> int:
        """The version of the stored session this one is based on (0: none yet, or not shared)."""
        return self._member.version if self._member is not None else 0

    def sync(self) -> bool:
        """A shared session: read the store and open a newer stored session; True when one was opened."""
        return self._member.sync(self) if self._member is not None else False

    def publish(self) -> bool:
        """A shared session: write the session to the store under the lease (waiting for it at most
        ``wait_timeout``), by compare-and-set on the version it is based on; on a refusal (another process wrote
        meanwhile) the newer session is opened instead and False is returned. ``ensure``, ``exchange`` and
        ``observe`` publish their changes themselves; call this after changes made by hand (``build``/``handle``,
        ``authorization_url``). Raises StoreUnavailable when the store is out of reach."""
        if self._member is None:
            raise TypeError("the session is not shared: pass fleet= to its constructor")
        return self._member.publish(self)

    def _set(self, state: SessionState) -> bool:
        """Replace the state (the state lock held); reports whether it changed."""
        changed = state != self._state
        self._state = state
        return changed

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def seal(self, key: Bytes, key_id: str) -> str:
        """The session sealed with XChaCha20-Poly1305 under a 32-byte key, for storage."""
        with self._state_lock:
            state = self._state
        return _ops.session_seal(session=state, key=key, key_id=key_id, backend=self.backend).sealed

    @classmethod
    def open(cls: Type[S], sealed: str, keys: Mapping[str, Bytes], *, account: Optional[str] = None,
             provider: Optional[Provider] = None, **kw: Any) -> S:
        """Open a sealed session with a keyring {key_id: key}; the blob must be for this class's provider (and for
        account, when given). Other keywords are the constructor's."""
        if not isinstance(keys, Mapping):
            raise TypeError(f"keys must be a dict of key id to key, not {type(keys).__name__}")
        ring = [_ops.SealKey(key_id=k, key=b64e(v, f"keys[{k!r}]")) for k, v in keys.items()]
        want = provider or cast(Optional[Provider], cls.provider or None)
        state = _ops.session_open(sealed=sealed, keys=ring, provider=want, account=account,
                                  backend=kw.get("backend")).session
        return cls(state["account"], provider=state["provider"], state=state, **kw)

    def _creds(self, extra: Optional[Credentials] = None) -> Credentials:
        c = Credentials()
        c.update(self.credentials)
        if extra:
            c.update(extra)
        return c

    # --- the planner and single exchanges -----------------------------------------------------------------

    def plan(self, at_ms: Optional[int] = None) -> Plan:
        """What to do with the session at an instant (default: now): use, refresh, renew or user_action."""
        with self._state_lock:
            state = self._state
        return _ops.session_plan(session=state, now_ms=self.clock() if at_ms is None else at_ms, backend=self.backend)

    def build(self, step: Optional[Step] = None, *, credentials: Optional[Credentials] = None,
              params: Optional[Dict[str, str]] = None, at_ms: Optional[int] = None) -> Request:
        """Build the request of a step (or the one the planner calls for) and record it in the session."""
        now = self.clock() if at_ms is None else at_ms
        creds = self._creds(credentials)
        with self._state_lock:
            out = _ops.session_request(session=self._state, now_ms=now, step=step, credentials=creds, params=params,
                                       backend=self.backend)
            changed = self._set(out.session)
        if changed:
            self._changed()
        return Request._of(out.request)

    def handle(self, response: Response, *, sent_at_ms: int = 0, received_at_ms: Optional[int] = None,
               raise_error: bool = True) -> Outcome:
        """Hand the response to the request in flight back to the core. The session is updated either way; a provider
        failure is then raised as its GstAuthError subclass (unless raise_error is False)."""
        outcome, error = self._handle(response, sent_at_ms, received_at_ms)
        if raise_error and error is not None:
            raise error_from(error)
        return outcome

    def _handle(self, response: Response, sent_at_ms: int,
                received_at_ms: Optional[int] = None) -> Tuple[Outcome, Optional[Error]]:
        received = self.clock() if received_at_ms is None else received_at_ms
        with self._state_lock:
            out = _ops.session_response(session=self._state, response=response._wire(),
                                        received_at_ms=max(received, sent_at_ms), sent_at_ms=sent_at_ms or None,
                                        backend=self.backend)
            changed = self._set(out.session)
        if changed:
            self._changed()
        return out.outcome, out.error

    def exchange(self, step: Optional[Step] = None, *, send: Optional[Send] = None,
                 credentials: Optional[Credentials] = None, params: Optional[Dict[str, str]] = None) -> Outcome:
        """Build a step's request, send it, and hand the response back (raising a provider failure). A stale
        certificate is replaced through ``certificate`` and the step sent once more. A shared session makes the
        exchange under the store's lease (waiting, at most wait_timeout, for it) and writes the result."""
        sender = self._sender(send)
        if self._member is not None:
            return self._member.leased(self, sender, lambda snd: self._exchange(step, snd, credentials, params))
        return self._exchange(step, sender, credentials, params)

    def _exchange(self, step: Optional[Step], sender: Send, credentials: Optional[Credentials],
                  params: Optional[Dict[str, str]]) -> Outcome:
        for attempt in (0, 1):
            sent = self.clock()
            req = self.build(step, credentials=credentials, params=params, at_ms=sent)
            outcome, error = self._handle(sender(req), sent)
            if outcome == "stale_certificate" and attempt == 0 and self._reload_certificate():
                continue
            if error is not None:
                raise error_from(error)
            return outcome
        raise make_error("internal", "unreachable")  # pragma: no cover

    def _sender(self, send: Optional[Send]) -> Send:
        s = send or self.send
        if s is None:
            raise TypeError("no send callable: pass send= or set session.send")
        return s

    def _reload_certificate(self) -> bool:
        """Load the provider's current certificate into the credentials; False when there is no loader."""
        if self.certificate is None:
            return False
        pem = self.certificate()
        if not isinstance(pem, str):
            raise TypeError(f"certificate() must return PEM text, not {type(pem).__name__}")
        with self._state_lock:
            self.credentials["public_key"] = pem
        return True

    # --- the refresh loop (docs/hosts.md) ------------------------------------------------------------------

    def _ensure(self, stage: _ops.EnsureStage, attempts: int) -> _ops.SessionEnsureResult:
        now = self.clock()
        with self._state_lock:
            d = _ops.session_ensure(session=self._state, now_ms=now, stage=stage, attempts=attempts,
                                    credentials=self._creds() if stage == "locked" else None, backend=self.backend)
            changed = self._set(d.session)
        if changed:
            self._changed()
        return d

    def _check(self) -> Tuple[Optional[str], _ops.Move]:
        """The first question of the loop, with no lock held: the token to use now (use; or refresh while another
        caller holds the refresh lock, which the caller checks), or None and the move that needs the lock. A shared
        session reads the store first and opens a newer session (see gstauth.store._member.Member.check)."""
        if self._member is not None:
            return self._member.check(self)
        return self._check_local()

    def _check_local(self) -> Tuple[Optional[str], _ops.Move]:
        d = self._ensure("check", 0)
        if d.move == "use":
            return d.access_token or "", d.move
        if d.move == "fail":
            raise error_from(d.error or {"code": "internal", "message": "ensure failed without an error"})
        if d.move == "refresh":
            return d.access_token or "", d.move
        if d.move == "renew":
            return None, d.move
        raise make_error("internal", f"ensure answered {d.move!r} outside the refresh lock")

    def _token_steps(self) -> Steps:
        """The locked loop, the refresh lock held by the caller: yields each request to send and takes its response
        (a send that raised is thrown in: the core records that no response came and decides); returns the token to
        use."""
        attempts, reloaded = 0, False
        failure: Optional[BaseException] = None
        while True:
            d = self._ensure("locked", attempts)
            if d.move == "use":
                return d.access_token or ""
            if d.move != "send" or d.request is None:
                raise error_from(d.error or {"code": "internal", "message": f"ensure answered {d.move!r}"}) \
                    from failure
            sent = self.clock()
            try:
                response = yield Request._of(d.request)
            except Exception as e:  # no response at all: a network error, a timeout
                failure = e
                self._send_failed()
                attempts += 1
                continue
            if response is None:
                raise TypeError("the token loop takes a Response for each request")
            outcome, error = self._handle(response, sent)
            attempts += 1
            if outcome == "stale_certificate":
                if reloaded or not self._reload_certificate():
                    return self._token_despite(error)
                reloaded = True

    def _send_failed(self) -> None:
        """The request in flight got no response: the core drops it and backs off."""
        now = self.clock()
        with self._state_lock:
            out = _ops.session_send_failed(session=self._state, now_ms=now, backend=self.backend)
            changed = self._set(out.session)
        if changed:
            self._changed()

    def _locked_steps(self, move: _ops.Move, token: Optional[str], deadline: float) -> Steps:
        """What runs with the process's refresh lock held: the locked loop, or for a shared session the fleet's
        rules around it (the lease, the wait for another process's renewal, the fenced write)."""
        if self._member is not None:
            return (yield from self._member.steps(self, move, token or "", deadline))
        return (yield from self._token_steps())

    def _token_despite(self, error: Optional[Error]) -> str:
        """After a failure the core does not back off from (a stale certificate that cannot be replaced): a token that
        is still valid is used, as after any failed refresh; otherwise the failure is raised."""
        d = self._ensure("check", 0)
        if d.move in ("use", "refresh"):
            return d.access_token or ""
        raise error_from(error or {"code": "certificate_stale", "message": "the provider's certificate is stale"})

    def ensure(self, *, send: Optional[Send] = None) -> str:
        """A usable access token, refreshing or renewing first when the core says so.

        Single flight: one thread refreshes while the others keep using the valid token; during a renewal the
        others wait (at most wait_timeout) for it. Raises UserActionRequired when a person must act, RateLimited
        during a backoff. A shared session does the same across processes (see :class:`gstauth.store.Fleet`)."""
        token, move = self._check()
        if move == "use":
            return token or ""
        deadline = time.monotonic() + self.wait_timeout
        if move == "refresh":
            if not self._refresh_lock.acquire(blocking=False):
                return token or ""
        elif not self._refresh_lock.acquire(timeout=self.wait_timeout):
            raise make_error("token_expired", "timed out waiting for another caller's renewal of the token")
        try:
            return run_steps(self._locked_steps(move, token, deadline), self._sender(send))
        finally:
            self._refresh_lock.release()

    def current_token(self) -> str:
        """The token to use now, without sending anything: raises when a person must act, during a backoff, or when
        the token must be renewed first (TokenExpired)."""
        d = self._ensure("check", 0)
        if d.move in ("use", "refresh"):
            return d.access_token or ""
        if d.move == "fail":
            raise error_from(d.error or {"code": "internal", "message": "ensure failed without an error"})
        raise make_error("token_expired", d.plan["message"])

    # --- ordinary API calls --------------------------------------------------------------------------------

    def headers(self, *, ret_period: Optional[str] = None, rtn_typ: Optional[str] = None,
                userrole: Optional[str] = None) -> Dict[str, str]:
        """The headers of an ordinary API call with the session's token (GSTN returns calls: ret_period, rtn_typ,
        userrole)."""
        with self._state_lock:
            state, creds = self._state, self._creds()
        return _ops.session_headers(session=state, credentials=creds, ret_period=ret_period,
                                    rtn_typ=rtn_typ, userrole=userrole, backend=self.backend).headers

    def prepare_call(self, body: Union[None, Bytes, str] = None, *, ret_period: Optional[str] = None,
                     rtn_typ: Optional[str] = None, userrole: Optional[str] = None) -> PreparedCall:
        """The headers and the body of one API call, from one state of the session (call ensure() first)."""
        with self._state_lock:
            state, creds = self._state, self._creds()
        headers = _ops.session_headers(session=state, credentials=creds, ret_period=ret_period, rtn_typ=rtn_typ,
                                       userrole=userrole, backend=self.backend).headers
        plain = _bytes(body)
        wire = _ops.session_encrypt_body_raw(plain, session=state, backend=self.backend) if plain else b""
        return PreparedCall(state.get("access_token", ""), headers, wire, state)

    def finish_call(self, call: PreparedCall, response: Response, *, sent_at_ms: int,
                    received_at_ms: Optional[int] = None) -> Tuple[Observation, Optional[bytes]]:
        """Observe the answer to a prepared call; for ok and no_data, also its body with the payload decrypted under
        the state the call was made with (None otherwise)."""
        seen = self.observe(response, sent_at_ms=sent_at_ms, received_at_ms=received_at_ms, access_token=call.token)
        if not seen.ok or not response.body:
            return seen, None
        return seen, _ops.session_decrypt_body_raw(response.body.encode("utf-8"), session=call.state,
                                                   backend=self.backend)

    def observe(self, response: Response, *, sent_at_ms: int, received_at_ms: Optional[int] = None,
                access_token: Optional[str] = None) -> Observation:
        """After an ordinary API call: measure skew, classify the answer (the error catalogue) and mark a rejected
        token. access_token is the token the call was made with. A shared session writes to the store what a failed
        call changed in the session's plan (a rejected token: use → renew), under the lease and only when the lease
        is free right now (a process holding it is renewing the token, and its write carries the result): it reads
        the store, applies the change to a newer stored session, and writes. A change of nothing but the measured
        clock skew stays local."""
        received = max(self.clock() if received_at_ms is None else received_at_ms, sent_at_ms)
        wire = response._wire()

        def apply(state: SessionState) -> _ops.SessionObserveResult:
            return _ops.session_observe(session=state, response=wire, sent_at_ms=sent_at_ms, received_at_ms=received,
                                        access_token=access_token, backend=self.backend)
        with self._state_lock:
            before = self._state
            out = apply(before)
            changed = self._set(out.session)
        if changed:
            self._changed()
        if changed and self._member is not None and out.outcome not in ("ok", "no_data") and \
                self._member.plans_differ(self, before, out.session):
            self._member.share(self, lambda state: apply(state).session)
        return Observation(out.outcome, out.error)

    def encrypt_body(self, body: Union[Bytes, str]) -> bytes:
        """A request body with its payload member encrypted for the session (unchanged when nothing to encrypt)."""
        with self._state_lock:
            state = self._state
        return _ops.session_encrypt_body_raw(_bytes(body), session=state, backend=self.backend)

    def decrypt_body(self, body: Union[Bytes, str]) -> bytes:
        """A successful response body with its payload decrypted in place (HMAC verified first)."""
        with self._state_lock:
            state = self._state
        return _ops.session_decrypt_body_raw(_bytes(body), session=state, backend=self.backend)

    def encrypt(self, payload: JSONPayload) -> Dict[str, Any]:
        """The encrypted members a request body carries for a payload: add your own members (the action) beside
        them."""
        with self._state_lock:
            state = self._state
        out = _ops.session_encrypt_payload_raw(json_text(payload).encode("utf-8"), session=state, backend=self.backend)
        result: Dict[str, Any] = json.loads(out)
        return result

    def decrypt(self, response: Union[Response, Mapping[str, Any], str, bytes]) -> Any:
        """The decrypted payload of a response body (a Response, a dict, or its text), parsed: a failure raises its
        error."""
        if isinstance(response, Response):
            text: Union[str, bytes] = response.body
        elif isinstance(response, Mapping):
            text = json_text(dict(response), "response")
        else:
            text = response
        with self._state_lock:
            state = self._state
        return json.loads(_ops.session_decrypt_payload_raw(_bytes(text), session=state, backend=self.backend))

    def request(self, method: str, url: str, *, body: Union[None, Bytes, str] = None,
                headers: Optional[Mapping[str, str]] = None, send: Optional[Send] = None,
                ret_period: Optional[str] = None, rtn_typ: Optional[str] = None,
                userrole: Optional[str] = None) -> Response:
        """An ordinary API call through send, the way docs/hosts.md says: a usable token first, the session's
        headers, the payload encrypted, and the answer observed and decrypted; after the provider rejects the token,
        one renewal and one replay (never two); after a stale certificate, one reload (``certificate``) and one retry.
        The response is returned whatever its outcome, with ``observation`` set (``raise_for_error()`` raises a
        failure)."""
        sender = self._sender(send)
        plain = _bytes(body)
        replayed = reloaded = False
        while True:
            self.ensure(send=sender)
            call = self.prepare_call(plain, ret_period=ret_period, rtn_typ=rtn_typ, userrole=userrole)
            sent = self.clock()
            response = sender(Request(method, url, merge_headers(headers, call.headers), call.body.decode("utf-8")))
            seen, decrypted = self.finish_call(call, response, sent_at_ms=sent)
            if seen.outcome == "reauthenticate" and not replayed:
                replayed = True
                continue
            if seen.outcome == "stale_certificate" and not reloaded and self._reload_certificate():
                reloaded = True
                continue
            body_text = response.body if decrypted is None else decrypted.decode("utf-8")
            return Response(response.status, response.headers, body_text, seen)


def merge_headers(app: Optional[Mapping[str, str]], session: Mapping[str, str]) -> Dict[str, str]:
    """The application's headers with the session's set over them, except a content type the application chose."""
    out = dict(app or {})
    lower = {k.lower(): k for k in out}
    for k, v in session.items():
        have = lower.get(k.lower())
        if have is not None:
            if k.lower() == "content-type":
                continue
            del out[have]
        out[k] = v
    return out


def run_steps(steps: Steps, send: Send) -> str:
    """Drive a session's locked loop with a send callable: each request is sent (a send that raises is thrown into
    the loop, which records that no response came), each Pause slept."""
    try:
        item = next(steps)
        while True:
            if isinstance(item, Pause):
                time.sleep(item.seconds)
                item = steps.send(None)
                continue
            try:
                response = send(item)
            except Exception as e:
                item = steps.throw(e)
                continue
            item = steps.send(response)
    except StopIteration as done:
        token: str = done.value
        return token
    finally:
        steps.close()


def _bytes(body: Union[None, Bytes, str]) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise TypeError(f"a body must be str or bytes, not {type(body).__name__}")


# --- GSTN -----------------------------------------------------------------------------------------------

class GstnSession(Session):
    """The GSTN taxpayer API: OTP once, then refreshes before every expiry until the API-access window ends.

    config: base_url (…/taxpayerapi/v1.0), client_id, gstin, username, ip_usr, access_window_ms.
    credentials: client_secret, public_key (the GSTN certificate PEM)."""

    provider = "gstn"

    def request_otp(self, *, send: Optional[Send] = None) -> None:
        self.exchange("otp_request", send=send)

    def authenticate(self, otp: str, *, send: Optional[Send] = None) -> None:
        if not isinstance(otp, str):
            raise TypeError(f"otp must be a str, not {type(otp).__name__}")
        self.exchange("auth_token", send=send, credentials=Credentials(otp=otp))

    def refresh(self, *, send: Optional[Send] = None) -> None:
        self.exchange("refresh_token", send=send)

    def logout(self, *, send: Optional[Send] = None) -> None:
        self.exchange("logout", send=send)


class GatewayTaskSession(GstnSession):
    """A gateway's task API (getAuthToken) yielding a GSTN-like session."""

    provider = "gateway_task"

    def authenticate(self, otp: str, *, send: Optional[Send] = None) -> None:
        self.exchange("get_auth_token", send=send, credentials=Credentials(otp=otp))


# --- NIC ------------------------------------------------------------------------------------------------

class EInvoiceSession(Session):
    """NIC e-invoice (IRP) v1.04. config: base_url, client_id, gstin, username.
    credentials: client_secret, password, public_key (NIC's PEM)."""

    provider = "nic_einvoice"

    def authenticate(self, *, send: Optional[Send] = None) -> None:
        self.exchange("auth", send=send)

    def force_refresh(self, *, send: Optional[Send] = None) -> None:
        self.exchange("force_refresh", send=send)


class EWayBillSession(Session):
    """NIC e-way bill ACCESSTOKEN auth. config: base_url, client_id, gstin, username.
    credentials: client_secret, password, public_key (NIC's PEM)."""

    provider = "nic_ewaybill"

    def authenticate(self, *, send: Optional[Send] = None) -> None:
        self.exchange("auth", send=send)


# --- OAuth and WhiteBIT ---------------------------------------------------------------------------------

class OAuthClientCredentialsSession(Session):
    """RFC 6749 §4.4 (WhiteBooks, OneFinOps/Keycloak via config.flavor). config: token_url, client_id, scope,
    client_auth. credentials: client_secret (and previous_client_secret, previous_secret_valid_until_ms)."""

    provider = "oauth_client_credentials"


class OAuthPasswordSession(Session):
    """RFC 6749 §4.3, which some gateways still use (Masters India). credentials: password, client_secret."""

    provider = "oauth_password"


class AuthorizationCodeSession(Session):
    """RFC 6749 §4.1 with PKCE S256 and state. config: auth_url, token_url, client_id, redirect_uri, scope."""

    provider = "oauth_authorization_code"

    def authorization_url(self) -> str:
        """The URL to send the user to; the PKCE verifier and state are kept in the session."""
        with self._state_lock:
            out = _ops.oauth_authorization_url(session=self._state, now_ms=self.clock(), backend=self.backend)
            self._set(out.session)
        self._changed()
        return out.url

    def complete(self, redirect_url: str, *, send: Optional[Send] = None) -> None:
        """Check the redirect (state in constant time) and exchange its code for tokens."""
        with self._state_lock:
            r = _ops.oauth_parse_redirect(session=self._state, url=redirect_url, backend=self.backend)
        self.exchange("authorization_code", send=send, credentials=Credentials(code=r.code, state=r.state))


class WhiteBITSession(AuthorizationCodeSession):
    """WhiteBIT's OAuth (camelCase clientId, its own refresh endpoint, 300 s tokens)."""

    provider = "whitebit"

    def signed_request(self, api_key: str, secret: str, path: str,
                       params: Optional[Dict[str, Any]] = None) -> Request:
        """A signed private-API request with the session's next nonce (store the session before sending it)."""
        with self._state_lock:
            out = _ops.whitebit_request(session=self._state, now_ms=self.clock(), api_key=api_key, secret=secret,
                                        path=path, params=dict(params) if params else None, backend=self.backend)
            self._set(out.session)
        self._changed()
        return Request._of(out.request)


class WhiteBITFastKeySession(WhiteBITSession):
    """WhiteBIT's Fast API Key flow (PKCE, a 4 h token, no refresh token)."""

    provider = "whitebit_fast_key"


SESSION_CLASSES: Dict[str, Type[Session]] = {c.provider: c for c in (
    GstnSession, EInvoiceSession, EWayBillSession, GatewayTaskSession, OAuthClientCredentialsSession,
    OAuthPasswordSession, AuthorizationCodeSession, WhiteBITSession, WhiteBITFastKeySession)}
"""The session class of each provider."""

__all__ = ["Session", "Request", "Response", "Observation", "PreparedCall", "Send", "Pause", "Steps", "now_ms", "merge_headers", "run_steps", "GstnSession", "GatewayTaskSession",
           "EInvoiceSession", "EWayBillSession", "OAuthClientCredentialsSession", "OAuthPasswordSession",
           "AuthorizationCodeSession", "WhiteBITSession", "WhiteBITFastKeySession", "SESSION_CLASSES", "GstAuthError"]
