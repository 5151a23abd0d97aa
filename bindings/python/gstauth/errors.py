"""gstauth's exceptions: one class per stable error code of the core.

Every failure of the core is a :class:`GstAuthError` whose ``code`` is one of the
core's documented, append-only codes. Each code has its own subclass (``DecryptFailed``
for ``decrypt_failed`` ...), generated from the code list, so callers can write
``except gstauth.DecryptFailed``. Messages come from the core and never carry key
material, passwords, OTPs or tokens.
"""
from typing import Any, Dict, Optional, Type

from ._errors_gen import ERROR_CODES


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


def _class_name(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


ERRORS: Dict[str, Type[GstAuthError]] = {}
for _code in ERROR_CODES:
    _cls = type(_class_name(_code), (GstAuthError,), {"code": _code, "__doc__": f"The core's `{_code}` error."})
    ERRORS[_code] = _cls
    globals()[_cls.__name__] = _cls


def make_error(code: str, message: str) -> GstAuthError:
    """The exception of a code, raised by the binding itself (before or around a call into the core)."""
    return ERRORS.get(code, GstAuthError)(message, code=code)


def error_from(body: Dict[str, Any]) -> GstAuthError:
    """Build the exception for an ``{"code", "message", ...}`` error object."""
    code = str(body.get("code") or "internal")
    cls = ERRORS.get(code, GstAuthError)
    return cls(str(body.get("message") or code), code=code, provider_code=body.get("provider_code") or None,
               retry_after_ms=body.get("retry_after_ms"), retryable=bool(body.get("retryable", False)))


__all__ = ["GstAuthError", "ForkError", "ERRORS", "error_from", "make_error"] + [_class_name(c) for c in ERROR_CODES]
