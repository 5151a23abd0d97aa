"""gstauth: one auth core for every GST integration, for Python.

The same Go core runs behind every language binding, as a C shared library (the default backend) or as an Extism
WebAssembly plugin (``GSTAUTH_BACKEND=wasm``, ``pip install 'gstauth[wasm]'``). Every op of the core is a typed function
here, generated from the ABI's schema (``gstauth._ops``); ``gstauth.call`` reaches any op generically.

    import gstauth
    key = gstauth.new_app_key().app_key
    req = gstauth.gstn_encrypt_request(sek=sek, payload={"gstin": "..."})
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ._backend import MAX_OP_NAME_LENGTH, Backend, get_backend
from ._call import BackendArg, Bytes, JSONPayload, call_json, call_raw
from . import _ops
from ._ops import *  # noqa: F401,F403 - the generated typed surface: every op, its types and one error class per code
from ._ops import ERRORS, OPS, VERSION
from .errors import ForkError, GstAuthError
from .sessions import (SESSION_CLASSES, AuthorizationCodeSession, EInvoiceSession, EWayBillSession,
                       GatewayTaskSession, GstnSession, OAuthClientCredentialsSession, OAuthPasswordSession,
                       Observation, PreparedCall, Request, Response, Send, Session, WhiteBITFastKeySession,
                       WhiteBITSession)

__version__ = VERSION


def call(op: str, input: Optional[Dict[str, Any]] = None, *, backend: BackendArg = None) -> Dict[str, Any]:
    """Run any JSON op of the core (``gstauth.call("ops")`` lists them) with its JSON input; returns its JSON output.
    A failure raises the GstAuthError subclass of its code."""
    if input is not None and not isinstance(input, dict):
        raise TypeError(f"input must be a dict, not {type(input).__name__}")
    return call_json(op, input or {}, backend)


__all__ = ["call", "call_raw", "Backend", "get_backend", "GstAuthError", "ForkError", "MAX_OP_NAME_LENGTH",
           "Session", "Request", "Response", "Observation", "PreparedCall", "Send", "SESSION_CLASSES", "GstnSession",
           "GatewayTaskSession", "EInvoiceSession", "EWayBillSession", "OAuthClientCredentialsSession",
           "OAuthPasswordSession", "AuthorizationCodeSession", "WhiteBITSession", "WhiteBITFastKeySession",
           "BackendArg", "Bytes", "JSONPayload"]
__all__ += _ops.__all__
