"""One session's membership of a fleet: the rules of docs/hosts.md ("Many processes") around the session's loop.

    token():
        read the store; newer → open it                                   (sync, before every check)
        a stored record the keyring cannot open → the local token while it is valid (no refresh over that record),
                                                  else the keyring's error
        check: use → the token; fail → its error
        refresh → lease refused: the still-valid token (no wait)
        renew   → until the deadline: read, newer and usable → its token; lease granted → go on; pause
        with the lease: read again; the locked loop, extending the lease before each send;
                        write by compare-and-set on the version read; refused → see _write; release

Every write is made under the lease (a refresh, an exchange, a rejection seen on a call, a change the store missed):
take the lease, read, apply, write, release. A rejection is written only when the lease is free right now: a worker
holding it is renewing, and its write carries the result.

The lease is held for this session object (its holder), so a thread of this process claims it (``busy``) before taking
it and gives it back after releasing it: two threads never hold it at once under the same holder name.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Callable, Generator, Optional, Tuple, TypeVar, Union

from .. import _ops
from .._ops import SessionState
from ..errors import GstAuthError, error_from, make_error
from . import Fleet, FleetStats, Record, StoreUnavailable, Written, default_holder

if TYPE_CHECKING:
    from ..sessions import Pause, Request, Response, Send, Session, Steps

    Wait = Generator[Union[Request, Pause], Optional[Response], Optional[str]]

log = logging.getLogger("gstauth.fleet")
T = TypeVar("T")

WRITE_ATTEMPTS = 3
"""How many times a refused write is made again (read, open the newer record, reapply or write over it)."""


class _Fenced(Exception):
    """The lease was lost before a send, or the write was refused: the newer session (if any) is open; ask again."""


class Member:
    """The store-facing state of one shared session in this process."""

    def __init__(self, fleet: Fleet, session: "Session"):
        self.fleet = fleet
        self.store = fleet.store
        self.holder = fleet.holder or default_holder()  # one per session object: a take by the same holder is granted
        st = session._state
        self.provider, self.account = st["provider"], st["account"]
        self.keys = self.store.keys(self.provider, self.account)
        self.version = 0          # the stored version the local session is based on
        self.dirty = False        # a change the store has not taken yet (it was out of reach, or busy)
        self.busy = False         # a thread of this process holds (or is taking) the lease
        # A rejection seen here and not written, because the lease was held elsewhere: the holder's write may carry
        # a usable session, so a session that fails here because of it waits (bounded) for that write first.
        self.unshared = False
        self.stats = FleetStats()
        # The newest stored version this process's keyring cannot open, and why (None: none).
        self.unopenable: Optional[Tuple[int, GstAuthError]] = None
        self._write_lock = threading.Lock()
        self._down_since: Optional[float] = None
        self._down_logged = 0.0
        self.sync(session)

    # --- logging ------------------------------------------------------------------------------------------

    def _log(self, level: int, msg: str, *args: object) -> None:
        if log.isEnabledFor(level):
            log.log(level, "%s %s: " + msg, self.provider, self.keys.id[:12], *args)

    def _unreachable(self, e: BaseException) -> None:
        self.stats.store_errors += 1
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = self._down_logged = now
            self._log(logging.WARNING, "the store is out of reach (%s); the session goes on with its own copy", e)
        elif now - self._down_logged >= 10:
            self._down_logged = now
            self._log(logging.WARNING, "the store is still out of reach after %.0f s (%s)", now - self._down_since, e)

    def _reachable(self) -> None:
        if self._down_since is not None:
            self._log(logging.INFO, "the store answers again after %.1f s", time.monotonic() - self._down_since)
            self._down_since = None

    # --- reading ------------------------------------------------------------------------------------------

    def _read(self) -> Optional[Record]:
        try:
            rec = self.store.read(self.keys)
        except StoreUnavailable as e:
            self._unreachable(e)
            return None
        self._reachable()
        return rec

    def sync(self, s: "Session", force: bool = False) -> bool:
        """Read the store and open a newer session (skipped while another thread of this process holds the lease:
        that thread reads for itself; force: this thread holds it). Outside the lease, a change the store missed is
        first written under the lease. True when a newer session opened."""
        with s._state_lock:
            if self.busy and not force:
                return False
            dirty = self.dirty
        if dirty and not force:
            self._flush(s)
        rec = self._read()
        return rec is not None and self._adopt(s, rec)

    def _open(self, rec: Record) -> Optional[SessionState]:
        """The stored session of a record, or None when the keyring cannot open it (recorded: see unopenable)."""
        try:
            state = _ops.session_open(keys=self.fleet.keyring, sealed=rec.sealed, provider=self.provider,
                                      account=self.account, backend=self.fleet.backend).session
        except GstAuthError as e:
            self.stats.store_errors += 1
            if self.unopenable is None or self.unopenable[0] != rec.version:
                self._log(logging.ERROR, "cannot open the stored version %d (%s: %s); keeping this copy, which is "
                          "not renewed over that version", rec.version, e.code, e.message)
            self.unopenable = (rec.version, e)
            return None
        self.unopenable = None
        return state

    def _adopt(self, s: "Session", rec: Record) -> bool:
        if rec.version < self.version:
            # The store went back (a record deleted, a Redis that lost its data): write ours again.
            with s._state_lock:
                if rec.version < self.version:
                    self._log(logging.WARNING, "the store is at version %d, behind this session's %d: writing it "
                              "again", rec.version, self.version)
                    self.version, self.dirty = rec.version, True
            self.unopenable = None
            return False
        if rec.version == self.version or not rec.sealed:
            self.unopenable = None
            return False
        state = self._open(rec)
        return state is not None and self._take_state(s, rec.version, state)

    def _take_state(self, s: "Session", version: int, state: SessionState) -> bool:
        with s._state_lock:
            if version <= self.version:
                return False
            s._set(state)
            self.version, self.dirty, self.unshared = version, False, False
        self.stats.opened += 1
        self._log(logging.DEBUG, "opened version %d", version)
        s._changed()
        return True

    def _unopenable_error(self) -> GstAuthError:
        bad = self.unopenable
        if bad is None:  # pragma: no cover
            return make_error("internal", "no unopenable record")
        version, e = bad
        return error_from({"code": e.code, "message": f"the stored session (version {version}) cannot be opened with "
                                                      f"this process's keyring ({e.message}); it is not renewed over"})

    def check(self, s: "Session") -> Tuple[Optional[str], _ops.Move]:
        """The first question of the loop for a shared session: read the store (a newer session opened), then the
        local check. A newer stored record that the keyring cannot open: the local token while it is valid (as
        "use": no refresh over that record), else the keyring's error."""
        self.sync(s)
        return self._check_local(s)

    def _check_local(self, s: "Session") -> Tuple[Optional[str], _ops.Move]:
        if self.unopenable is None:
            try:
                return s._check_local()
            except GstAuthError:
                if not self.unshared:
                    raise
                # A failure from a rejection the store lacks (a GSTN token ended by another worker's refresh in
                # flight, say): wait for the lease holder's write, or take the lease, as for an unusable token.
                return None, "renew"
        try:
            token, move = s._check_local()
        except GstAuthError:
            raise self._unopenable_error() from None
        if move in ("use", "refresh"):
            return token or "", "use"
        raise self._unopenable_error()

    # --- the lease ----------------------------------------------------------------------------------------

    def _lease(self, action: _ops.LeaseAction) -> Optional[bool]:
        try:
            return self.store.lease(self.keys, action, self.holder, self.fleet.lease_ttl_ms)
        except StoreUnavailable as e:
            self._unreachable(e)
            return None

    def _acquire(self, s: "Session") -> Optional[bool]:
        """Claim the lease for this thread (False when another thread of this process holds it) and take it from
        the store: True granted, False held by another process, None the store out of reach."""
        with s._state_lock:
            if self.busy:
                return False
            self.busy = True
        ok = self._lease("take")
        if ok:
            self.stats.leases += 1
            self._log(logging.INFO, "lease taken by %s (version %d)", self.holder, self.version)
            return True
        with s._state_lock:
            self.busy = False
        if ok is not None:
            self.stats.leases_refused += 1
        return ok

    def _leave(self, s: "Session") -> None:
        """Release the lease, then give the claim back (in that order: a thread of this process taking it again
        under the same holder name meanwhile would have its lease released)."""
        try:
            if self._lease("release") is not None:
                self._log(logging.DEBUG, "lease released")
        finally:
            with s._state_lock:
                self.busy = False

    def _extend(self) -> bool:
        ok = self._lease("extend")
        if not ok:
            self.stats.leases_lost += 1
            self._log(logging.WARNING, "lease lost before a send (%s): nothing sent",
                      "the store is out of reach" if ok is None else "it expired and another process took it")
        return bool(ok)

    def _wait_for_lease(self, s: "Session", deadline: float, strict: bool = False) -> None:
        """Take the lease, waiting at most until deadline (an exchange, a write by hand). strict: a store out of
        reach raises StoreUnavailable at once."""
        waiting = False
        while True:
            got = self._acquire(s)
            if got:
                return
            if got is None and strict:
                raise StoreUnavailable("the store is out of reach: the change is kept and written later")
            now = time.monotonic()
            if now >= deadline:
                raise make_error("token_expired", "timed out waiting for the store's lease, which another process "
                                 "holds")
            if not waiting:
                waiting = True
                self._log(logging.WARNING, "waiting for the store's lease")
            time.sleep(min(self.fleet.poll_interval, deadline - now))

    # --- writing (the lease held) -------------------------------------------------------------------------

    def _cas(self, s: "Session", expected: int, state: SessionState) -> Optional[Written]:
        """One compare-and-set write of state; None when the store is out of reach (the change stays pending)."""
        sealed = _ops.session_seal(session=state, key=self.fleet.seal_key, key_id=self.fleet.seal_key_id,
                                   backend=self.fleet.backend).sealed
        with self._write_lock:
            try:
                w = self.store.write(self.keys, expected, sealed)
            except StoreUnavailable as e:
                self._unreachable(e)
                with s._state_lock:
                    self.dirty = True
                return None
        self._reachable()
        return w

    def _write(self, s: "Session", expected: int, base_token: Optional[str] = None,
               reapply: Optional[Callable[[SessionState], SessionState]] = None) -> Optional[bool]:
        """Write the local session, the lease held, by compare-and-set on expected (the version it was read at).
        True when written (or when the change means nothing for a newer session), False when fenced off (the newer
        session is opened instead), None when the store is out of reach (the change stays pending).

        A refused write is made again, at most WRITE_ATTEMPTS times in all, on the record read after it:
        - a store that went back (a record deleted): the session is written again over what it holds;
        - base_token (an exchange: the token the session held at expected): when this change replaced that token
          and the newer record still holds it, that record only says something about the old token (a rejection
          stored without the lease, say, which a provider that ends the old token as it issues the new one causes
          mid-refresh): this session, with the token that replaced it, is written over that record rather than lost;
        - reapply (a change that can be made again): the newer session is opened and the change applied to it; when
          it changes nothing there, nothing is written;
        - otherwise the newer session is opened (a lease that expired under a stall: fenced off)."""
        with s._state_lock:
            mine = s._state
        for attempt in range(WRITE_ATTEMPTS):
            w = self._cas(s, expected, mine)
            if w is None:
                return None
            if w.written:
                with s._state_lock:
                    self.version, self.dirty, self.unshared = w.version, False, False
                self.stats.writes += 1
                self._log(logging.INFO, "wrote version %d", w.version)
                return True
            self.stats.writes_refused += 1
            self._log(logging.WARNING, "write over version %d refused: the store is at version %d", expected, w.version)
            rec = self._read()
            if rec is None:
                with s._state_lock:
                    self.dirty = True
                return None
            if rec.version < expected or not rec.sealed:
                self._log(logging.WARNING, "the store went back to version %d: writing this session again",
                          rec.version)
                expected = rec.version
                continue
            stored = self._open(rec)
            if stored is None:
                return False  # the newer record does not open here: this copy is kept, and not written over it
            if base_token is not None and mine.get("access_token", "") != base_token and \
                    stored.get("access_token", "") == base_token and attempt + 1 < WRITE_ATTEMPTS:
                self.stats.writes_over += 1
                self._log(logging.WARNING, "version %d still holds the token this change replaced: writing over it",
                          rec.version)
                expected = rec.version
                continue
            self._take_state(s, rec.version, stored)
            if reapply is None:
                self._log(logging.WARNING, "fenced off: version %d is in use", rec.version)
                return False
            again = reapply(stored)
            if not self.plans_differ(s, stored, again):
                return True  # the change means nothing for the newer session (a rejection of a replaced token)
            with s._state_lock:
                s._set(again)
                mine = again
            s._changed()
            expected = rec.version
        self._log(logging.WARNING, "the write was refused %d times: giving up", WRITE_ATTEMPTS)
        rec = self._read()
        if rec is not None:
            self._adopt(s, rec)
        return False

    def _flush(self, s: "Session") -> None:
        """Write a change the store missed (it was out of reach; it went back), under the lease when it is free
        right now (otherwise later: the lease holder writes, or a later call)."""
        if not s._refresh_lock.acquire(blocking=False):
            return
        try:
            if not self._acquire(s):
                return
            try:
                with s._state_lock:
                    if not self.dirty:
                        return
                    expected = self.version
                self._write(s, expected)
            finally:
                self._leave(s)
        finally:
            s._refresh_lock.release()

    def publish(self, s: "Session") -> bool:
        """Write the local session (changes made by hand) under the lease, waiting for it at most the session's
        wait_timeout, by compare-and-set on the version it is based on; on a refusal open the newer one (False)."""
        with s._state_lock:
            if self.busy:  # a leased section of this process writes the session when it ends
                self.dirty = True
                return True
        deadline = time.monotonic() + s.wait_timeout
        if not s._refresh_lock.acquire(timeout=s.wait_timeout):
            raise make_error("token_expired", "timed out waiting for another caller's exchange")
        try:
            self._wait_for_lease(s, deadline, strict=True)
            try:
                written = self._write(s, self.version)
            finally:
                self._leave(s)
        finally:
            s._refresh_lock.release()
        if written is None:
            raise StoreUnavailable("the store is out of reach: the change is kept and written later")
        return written

    def share(self, s: "Session", reapply: Callable[[SessionState], SessionState]) -> None:
        """A change seen on an API call (a rejected token), already made to the local session: written under the
        lease when it is free right now (read, apply to the newest session, write). When it is not (another process,
        or another thread of this one, holds it, renewing the token: its write carries the result), or the store is
        out of reach, nothing is written: the session goes on through the token loop, which waits for that
        renewal or renews."""
        with s._state_lock:
            if self.busy:
                self.unshared = True
                return
        if not s._refresh_lock.acquire(blocking=False):
            self.unshared = True
            return  # another thread of this process renews (or waits for the renewal): nothing to write
        try:
            if self.unopenable is not None:
                return
            got = self._acquire(s)
            if not got:
                if got is False:
                    self.unshared = True
                    self.stats.rejections_unwritten += 1
                    self._log(logging.INFO, "the lease is held elsewhere: the rejection is not written (the holder's "
                              "renewal carries it)")
                return
            try:
                rec = self._read()
                if rec is None:
                    return
                if rec.version > self.version:
                    stored = self._open(rec) if rec.sealed else None
                    if stored is None:
                        return
                    self._take_state(s, rec.version, stored)
                    again = reapply(stored)
                    if not self.plans_differ(s, stored, again):
                        return  # nothing for the newer session (a rejection of a token it no longer holds)
                    with s._state_lock:
                        s._set(again)
                    s._changed()
                else:
                    self._adopt(s, rec)  # a store that went back: written again over what it holds
                self._write(s, self.version, reapply=reapply)
            finally:
                self._leave(s)
        finally:
            s._refresh_lock.release()

    def plans_differ(self, s: "Session", before: SessionState, after: SessionState) -> bool:
        """Whether a change alters what the session plans now (the core's answer: use, refresh, renew,
        user_action). What does not (a clock skew measured) is not worth a write for the fleet."""
        if before == after:
            return False
        now = s.clock()
        a = _ops.session_plan(session=before, now_ms=now, backend=s.backend)
        b = _ops.session_plan(session=after, now_ms=now, backend=s.backend)
        return a["action"] != b["action"] or a["reason"] != b["reason"]

    # --- the token loop -----------------------------------------------------------------------------------

    def steps(self, s: "Session", move: _ops.Move, token: str, deadline: float) -> "Steps":
        """The fleet's rules with the session's refresh lock held (see the module's documentation)."""
        while True:
            if self.unopenable is not None:
                if move == "refresh":
                    return token  # no refresh over a record this process cannot open
                raise self._unopenable_error()
            if move == "refresh":
                if not self._acquire(s):
                    return token  # another process refreshes: the others do not wait
            else:
                got = yield from self._await_lease(s, deadline)
                if got is not None:
                    return got
            try:
                return (yield from self._leased_steps(s))
            except _Fenced:
                pass
            self.sync(s)
            t, move = self._check_local(s)
            if move in ("use", "refresh"):
                return t or ""

    def _await_lease(self, s: "Session", deadline: float) -> "Wait":
        """Renew: wait, bounded (and logged), for another process's new session, or for the lease. Returns the
        token of a usable session, or None with the lease granted."""
        from ..sessions import Pause
        started = time.monotonic()
        waiting = False
        try:
            while True:
                self.sync(s)
                t, move = self._check_local(s)
                if move in ("use", "refresh"):
                    if waiting:
                        self._log(logging.INFO, "the fleet's renewal arrived after %.1f s (version %d)",
                                  time.monotonic() - started, self.version)
                    return t or ""
                if self._acquire(s):
                    return None
                now = time.monotonic()
                if not waiting:
                    waiting = True
                    self.stats.waits += 1
                    self._log(logging.WARNING, "the token is unusable and another process holds the lease: waiting "
                              "for its renewal (at most %.1f s)", max(0.0, deadline - now))
                if now >= deadline:
                    self._log(logging.ERROR, "no renewal after %.1f s: giving up", now - started)
                    if self.unshared:
                        s._check_local()  # the failure seen here stands: its error
                    raise make_error("token_expired", f"waited {now - started:.1f} s for another process's renewal "
                                     "of the token (the store's lease stayed taken; see wait_timeout)")
                yield Pause(min(self.fleet.poll_interval, deadline - now))
        finally:
            if waiting:
                self.stats.waited_ms += int((time.monotonic() - started) * 1000)

    def _leased_steps(self, s: "Session") -> "Steps":
        """The locked loop with the lease held (taken by the caller): read first, extend before each send, write
        what changed, release."""
        try:
            self.sync(s, force=True)
            if self.unopenable is not None:
                t, _ = self._check_local(s)  # the local token while it is valid, else the keyring's error
                return t or ""
            with s._state_lock:
                # A rejection not written while the lease was held elsewhere is written now, if it still stands.
                before, expected, dirty = s._state, self.version, self.dirty or self.unshared
            error: Optional[GstAuthError] = None
            token = ""
            try:
                token = yield from self._extended(s._token_steps())
            except GstAuthError as e:  # a failure the core decided (and recorded): the fleet must see it too
                error = e
            with s._state_lock:
                after = s._state
            if (after != before or dirty) and \
                    self._write(s, expected, base_token=before.get("access_token", "")) is False:
                raise _Fenced()
            if error is not None:
                raise error
            return token
        finally:
            self._leave(s)

    def _extended(self, steps: "Steps") -> "Steps":
        """The session's locked loop, the lease extended before each send (lost: the loop ends, nothing sent)."""
        from ..sessions import Pause
        try:
            item = next(steps)
            while True:
                if isinstance(item, Pause):
                    yield item
                    item = steps.send(None)
                    continue
                if not self._extend():
                    raise _Fenced()
                self.stats.exchanges += 1
                try:
                    response = yield item
                except GeneratorExit:
                    raise
                except Exception as e:
                    item = steps.throw(e)
                    continue
                item = steps.send(response)
        except StopIteration as done:
            token: str = done.value
            return token
        finally:
            steps.close()

    # --- exchanges under the lease --------------------------------------------------------------------------

    def leased(self, s: "Session", sender: "Send", fn: Callable[["Send"], T]) -> T:
        """Run one exchange (a login, a step a person drives) under the lease, waiting at most the session's
        wait_timeout for it, and write its result by compare-and-set."""
        deadline = time.monotonic() + s.wait_timeout
        if not s._refresh_lock.acquire(timeout=s.wait_timeout):
            raise make_error("token_expired", "timed out waiting for another caller's exchange")
        try:
            self._wait_for_lease(s, deadline)
            try:
                self.sync(s, force=True)
                if self.unopenable is not None:
                    raise self._unopenable_error()
                with s._state_lock:
                    before, expected, dirty = s._state, self.version, self.dirty

                def send(req: "Request") -> "Response":
                    if not self._extend():
                        raise _Fenced()
                    self.stats.exchanges += 1
                    return sender(req)
                error: Optional[GstAuthError] = None
                result: Optional[T] = None
                try:
                    result = fn(send)
                except GstAuthError as e:
                    error = e
                except _Fenced:
                    raise StoreUnavailable("the store's lease was lost before the send; nothing was sent") from None
                with s._state_lock:
                    after = s._state
                if (after != before or dirty) and \
                        self._write(s, expected, base_token=before.get("access_token", "")) is False:
                    self._log(logging.ERROR, "the exchange's result was refused by the store (the lease must have "
                              "expired under it); the newer stored session is in use")
                if error is not None:
                    raise error
                return result  # type: ignore[return-value]
            finally:
                self._leave(s)
        finally:
            s._refresh_lock.release()
