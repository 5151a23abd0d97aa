"""The one way every typed function reaches the core: an op name and a JSON object in, a JSON object out (or, for a
raw op, JSON params and bytes in, JSON meta and bytes out). Binary values cross as standard base64; JSON payloads as
text."""
from __future__ import annotations

import base64
import binascii
import json
import json.encoder
from typing import Any, Callable, Dict, List, Tuple, Union

from . import _backend as _b
from ._backend import Backend, get_backend

Bytes = Union[bytes, bytearray, memoryview]
"""Binary input: any bytes-like object."""

_b2a = binascii.b2a_base64  # base64.b64encode without its wrapper

JSONPayload = Union[str, bytes, bytearray, Dict[str, Any], List[Any]]
"""A JSON payload: its exact text (str or UTF-8 bytes), or a dict or list encoded compactly."""

BackendArg = Union[None, str, Backend]
"""Which backend runs the call: None (the default: GSTAUTH_BACKEND as it was at the first call naming no backend, else
"cshared"), "cshared", "wasm" or a Backend."""


def _make_dumps() -> Callable[[Any], str]:
    """Compact JSON text of a value, as json.dumps(ensure_ascii=False, separators=(",", ":"), allow_nan=False) writes
    it. JSONEncoder.encode builds a C encoder on every call; this one is built once (without the cycle check, whose
    table a failed call would leave dirty: a cycle is a RecursionError instead). Where the C encoder is missing or
    does not answer as expected, JSONEncoder.encode."""
    slow = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has it
        return slow

    def default(o: Any) -> Any:
        raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")

    try:
        enc = make(None, default, json.encoder.encode_basestring, None, ":", ",", False, False, False)
        sample: Dict[str, Any] = {"a": [1, 2.5, "\u00e9\n", None, True], "b": {}}
        if "".join(enc(sample, 0)) != slow(sample):  # pragma: no cover
            return slow
    except Exception:  # pragma: no cover - another signature
        return slow
    join = "".join

    def dumps(value: Any) -> str:
        return join(enc(value, 0))

    return dumps


_dumps = _make_dumps()


def _backend(backend: BackendArg) -> Backend:
    return backend if isinstance(backend, Backend) else get_backend(backend)


def encode_input(value: Dict[str, Any]) -> bytes:
    """The JSON bytes of an op's input."""
    try:
        return _dumps(value).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as e:
        raise TypeError(f"input is not JSON-serialisable: {e}") from None


def call_json(op: str, inp: Dict[str, Any], backend: BackendArg = None) -> Dict[str, Any]:
    """Run a JSON op."""
    b = (_b._default or get_backend()) if backend is None else _backend(backend)
    try:
        data = _dumps(inp).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as e:
        raise TypeError(f"input is not JSON-serialisable: {e}") from None
    return b.call(op, data)


def call_raw(op: str, params: Dict[str, Any], data: Bytes, backend: BackendArg = None) -> Tuple[Dict[str, Any], bytes]:
    """Run a raw op: JSON params and raw bytes in, JSON meta and raw bytes out."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    b = (_b._default or get_backend()) if backend is None else _backend(backend)
    try:
        js = _dumps(params).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as e:
        raise TypeError(f"input is not JSON-serialisable: {e}") from None
    return b.call_raw(op, js, data)


def b64e(value: Any, what: str = "value") -> str:
    """Standard base64 of a bytes-like value (what names it in a TypeError)."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
    if isinstance(value, memoryview) and not value.c_contiguous:
        value = value.tobytes()  # a strided view: base64 reads contiguous buffers only
    return _b2a(value, newline=False).decode("ascii")


def b64d(value: Any) -> bytes:
    """The bytes of a base64 field the core wrote."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError, ValueError) as e:  # pragma: no cover - the core writes valid base64
        raise TypeError(f"not base64 from the core: {e}") from None


def json_text(value: Any, what: str = "payload") -> str:
    """The exact JSON text of a payload: text as it is, UTF-8 bytes decoded, a dict or list encoded compactly (what
    names it in a TypeError)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise TypeError(f"{what} given as bytes must be UTF-8 JSON text") from None
    if isinstance(value, (dict, list)):
        try:
            return _dumps(value)
        except (TypeError, ValueError, RecursionError) as e:
            raise TypeError(f"{what} is not JSON-serialisable: {e}") from None
    raise TypeError(f"{what} must be JSON text (str or bytes), a dict or a list, not {type(value).__name__}")
