"""gstauth's exceptions: one class per stable error code of the core.

Every failure of the core is a :class:`GstAuthError` whose ``code`` is one of the core's documented, append-only codes.
Each code has its own subclass (``DecryptFailed`` for ``decrypt_failed`` ...), generated from the ABI's schema into
``gstauth._ops``, so callers can write ``except gstauth.DecryptFailed``. Messages come from the core and never carry
key material, passwords, OTPs or tokens.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional


class GstAuthError(Exception):
    """A failure reported by the gstauth core."""

    code: str = "internal"

    def __init__(self, message: str, code: Optional[str] = None, provider_code: Optional[str] = None,
                 retry_after_ms: Optional[int] = None, retryable: bool = False):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.provider_code = provider_code
        self.retry_after_ms = retry_after_ms
        self.retryable = retryable

    def __repr__(self) -> str:
        extra = f", provider_code={self.provider_code!r}" if self.provider_code else ""
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}{extra})"


class ForkError(GstAuthError):
    """The process forked after using the shared library; see the message for what to do."""

    code = "internal"


def make_error(code: str, message: str) -> GstAuthError:
    """The exception of a code, raised by the binding itself (before or around a call into the core)."""
    from ._ops import ERRORS
    return ERRORS.get(code, GstAuthError)(message, code=code)


def error_from(body: Mapping[str, Any]) -> GstAuthError:
    """The exception for an ``{"code", "message", ...}`` error object."""
    from ._ops import ERRORS
    code = str(body.get("code") or "internal")
    cls = ERRORS.get(code, GstAuthError)
    retry = body.get("retry_after_ms")
    return cls(str(body.get("message") or code), code=code, provider_code=body.get("provider_code") or None,
               retry_after_ms=int(retry) if isinstance(retry, int) else None, retryable=bool(body.get("retryable", False)))
