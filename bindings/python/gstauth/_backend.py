"""The two ways to reach the Go core: the C shared library and the Extism plugin.

Both take an op name and bytes and give back the same bytes, so every result is
byte-identical whichever backend runs it.

Why ctypes for the shared library: it ships with CPython, loads a library at run
time with nothing compiled at install (the wheel only carries the prebuilt .so),
and releases the GIL during each foreign call, so threads run the core in
parallel. cffi's ABI mode would do the same through one more dependency; its
lower call overhead (a fraction of a microsecond) is noise next to the
cryptography behind each call.
"""
from __future__ import annotations

import ctypes
import importlib
import json
import os
import struct
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from .errors import ForkError, error_from, make_error

MAX_OP_NAME_LENGTH = 64
"""The longest op name; a longer one, or one holding a NUL byte, is refused before it reaches the core."""

_op_names: Dict[str, bytes] = {}


def op_name(op: Any) -> bytes:
    """The C form of an op name, checked: a NUL byte would end the C string early and name another op."""
    b = _op_names.get(op) if isinstance(op, str) else None
    if b is not None:
        return b
    if not isinstance(op, str):
        raise TypeError(f"op must be a str, not {type(op).__name__}")
    if not op or len(op) > MAX_OP_NAME_LENGTH or "\x00" in op:
        raise make_error("invalid_input", "the op name is empty, longer than 64 bytes or holds a NUL byte")
    b = op.encode("utf-8")
    if len(b) > MAX_OP_NAME_LENGTH:
        raise make_error("invalid_input", "the op name is longer than 64 bytes")
    if len(_op_names) < 4096:
        _op_names[op] = b
    return b

_HERE = os.path.dirname(os.path.abspath(__file__))


def _find(env: str, name: str) -> str:
    """The artifact named by env, else the one bundled in the wheel, else the
    repository's build/ directory (a development checkout)."""
    path = os.environ.get(env)
    if path:
        if not os.path.isfile(path):
            raise make_error("invalid_input", f"{env} names {path!r}, which does not exist")
        return path
    candidates = [os.path.join(_HERE, "_lib", name)]
    d = _HERE
    for _ in range(6):
        d = os.path.dirname(d)
        candidates.append(os.path.join(d, "build", name))
    for c in candidates:
        if os.path.isfile(c):
            return c
    raise make_error("unsupported", f"cannot find {name}: install the gstauth wheel, run `make` in the repository, "
                       f"or set {env}")


_scan: Callable[[str, int], Tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""json.loads's own scanner, without the encoding sniffing and the whitespace matching around it."""


def _decode(out: bytes) -> Dict[str, Any]:
    """The JSON object the core answered. The core writes compact UTF-8 JSON, which the scanner reads in one step;
    anything else takes json.loads's path, which also names what is wrong."""
    try:
        s = out.decode("utf-8")
        v, end = _scan(s, 0)
        if end == len(s) and type(v) is dict:
            return v
    except Exception:  # pragma: no cover - not compact JSON: json.loads decides
        pass
    return _decode_slow(out)


def _decode_slow(out: bytes) -> Dict[str, Any]:
    try:
        v = json.loads(out)
    except (ValueError, UnicodeDecodeError) as e:  # pragma: no cover - the core always answers JSON
        raise make_error("internal", f"the core answered something that is not JSON: {e}") from None
    if not isinstance(v, dict):  # pragma: no cover
        raise make_error("internal", "the core answered JSON that is not an object")
    return v


def _raise_error(out: bytes) -> None:
    body = _decode(out).get("error")
    if not isinstance(body, dict):
        raise make_error("internal", "the core failed without an error object")
    raise error_from(body)


def encode_frame(js: bytes, raw: Union[bytes, bytearray, memoryview]) -> bytes:
    """A raw op's single buffer: a NUL byte, the 4-byte little-endian length of the JSON, the JSON, the raw bytes."""
    return b"\x00" + struct.pack("<I", len(js)) + js + bytes(raw)


def decode_frame(frame: bytes) -> Tuple[bytes, bytes]:
    if len(frame) < 5 or frame[0] != 0:
        raise make_error("internal", "the plugin answered something that is not a frame")
    (n,) = struct.unpack_from("<I", frame, 1)
    if n > len(frame) - 5:
        raise make_error("internal", "frame header longer than the frame")
    return frame[5:5 + n], frame[5 + n:]


class Backend:
    """One way to reach the core. ``call`` and ``call_raw`` take an op name and bytes and return the decoded result;
    a failure raises its GstAuthError subclass."""

    name = "?"
    _version: Optional[str] = None

    @property
    def version(self) -> str:
        """The library version of the artifact behind this backend (the repository's VERSION file)."""
        if self._version is None:
            self._version = str(self.call("version", b"{}")["version"])
        return self._version

    def call(self, op: str, data: bytes) -> Dict[str, Any]:
        raise NotImplementedError

    def call_raw(self, op: str, params: bytes, data: Union[bytes, bytearray, memoryview]) -> Tuple[Dict[str, Any], bytes]:
        raise NotImplementedError


# --- the C shared library -------------------------------------------------------------------------

_forked_after_load = False
_loaded_in_pid: Optional[int] = None


def _after_fork_in_child() -> None:
    global _forked_after_load
    if _loaded_in_pid is not None:
        _forked_after_load = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

FORK_MESSAGE = (
    "this process was forked after it loaded gstauth's shared library, and the Go runtime inside it cannot run "
    "in a forked child (its threads did not survive the fork; calls would hang). Use the 'spawn' or 'forkserver' "
    "start method for multiprocessing, start gunicorn workers without --preload (or call gstauth only after the "
    "fork), or use the wasm backend (GSTAUTH_BACKEND=wasm)."
)


BULK = 32 << 10
"""The data size from which a raw call borrows its output (gstauth_call_raw_view) instead of taking a copy."""

_string_at = getattr(ctypes, "_string_at", ctypes.string_at)  # string_at without its Python wrapper


def _new_slots() -> Tuple[Any, ...]:
    """The out parameters of one call: meta (or JSON result) pointer and length, raw data pointer and length, and a
    reference to each, made once and reused (see _slots)."""
    meta, meta_len, data, data_len = ctypes.c_char_p(), ctypes.c_int64(), ctypes.c_void_p(), ctypes.c_int64()
    return (meta, meta_len, data, data_len,
            ctypes.byref(meta), ctypes.byref(meta_len), ctypes.byref(data), ctypes.byref(data_len))


_slots: List[Tuple[Any, ...]] = []
"""Out parameters not in use. A call takes one set (list.pop and list.append are atomic), so no two calls, in any
threads or re-entered from a signal handler, ever share a set; a call that fails on the way just drops its set."""


class CSharedBackend(Backend):
    """libgstauth.so through ctypes. The library is opened once per process with RTLD_NODELETE and never
    closed (a Go c-shared library cannot be unloaded, and only one may live in a process).

    Per call the binding does no more than it must: the op name's bytes are cached, the out parameters are reused,
    the JSON result is read as the C string it is (the library ends every output with a NUL byte) and freed at once,
    bulk input is passed in place and bulk output is copied once."""

    name = "cshared"

    def __init__(self, path: Optional[str] = None):
        global _loaded_in_pid
        self.path = path or _find("GSTAUTH_LIBRARY", "libgstauth.so")
        mode = getattr(os, "RTLD_NOW", 2) | getattr(os, "RTLD_NODELETE", 0x1000)
        lib = ctypes.CDLL(self.path, mode=mode)
        vp, i64 = ctypes.c_void_p, ctypes.c_int64
        # The out parameters are typed void* here: ctypes then takes the byref of any slot without a type check.
        lib.gstauth_call.argtypes = [ctypes.c_char_p, ctypes.c_char_p, i64, vp, vp]
        lib.gstauth_call.restype = ctypes.c_int32
        # data is void*: bytes are passed as a pointer to their own buffer, a writable buffer as a byref into it.
        lib.gstauth_call_raw.argtypes = [ctypes.c_char_p, ctypes.c_char_p, i64, vp, i64, vp, vp, vp, vp]
        lib.gstauth_call_raw.restype = ctypes.c_int32
        lib.gstauth_free.argtypes = [vp]
        lib.gstauth_free.restype = None
        lib.gstauth_version.argtypes = []
        lib.gstauth_version.restype = ctypes.c_char_p
        self._lib = lib
        self._call = lib.gstauth_call
        self._call_raw = lib.gstauth_call_raw
        self._free = lib.gstauth_free
        # From BULK bytes of data on, a raw call reads its output through gstauth_call_raw_view: the core's own bytes,
        # lent until gstauth_release_view, copied once into the bytes object (gstauth_call_raw would first copy them
        # into fresh malloc'd memory, which costs more than the work on megabytes). A library older than the view
        # has only the copying call.
        self._call_raw_bulk, self._free_bulk = self._call_raw, self._free
        if hasattr(lib, "gstauth_call_raw_view") and hasattr(lib, "gstauth_release_view"):
            lib.gstauth_call_raw_view.argtypes = lib.gstauth_call_raw.argtypes
            lib.gstauth_call_raw_view.restype = ctypes.c_int32
            lib.gstauth_release_view.argtypes = [vp]
            lib.gstauth_release_view.restype = None
            self._call_raw_bulk, self._free_bulk = lib.gstauth_call_raw_view, lib.gstauth_release_view
        _loaded_in_pid = os.getpid()
        self._version = lib.gstauth_version().decode()

    def call(self, op: str, data: bytes) -> Dict[str, Any]:
        if _forked_after_load:
            raise ForkError(FORK_MESSAGE)
        try:
            name = _op_names[op]
        except (KeyError, TypeError):
            name = op_name(op)
        try:
            s = _slots.pop()
        except IndexError:
            s = _new_slots()
        out, out_len = s[0], s[1]
        rc = self._call(name, data, len(data), s[4], s[5])
        if rc < 0:
            raise make_error("internal", f"gstauth_call refused the call ({rc})")
        try:
            body = out.value  # the library ends every output with a NUL byte, and JSON holds none
            if body is None or len(body) != out_len.value:
                body = _c_bytes(out, out_len.value)
        finally:
            self._free(out)
        _slots.append(s)
        if rc != 0:
            _raise_error(body)
        return _decode(body)

    def call_raw(self, op: str, params: bytes, data: Union[bytes, bytearray, memoryview]) -> Tuple[Dict[str, Any], bytes]:
        if _forked_after_load:
            raise ForkError(FORK_MESSAGE)
        try:
            name = _op_names[op]
        except (KeyError, TypeError):
            name = op_name(op)
        if type(data) is bytes:
            ptr: Any = data
            length = len(data)
        else:
            ptr, length = _buffer(data)
        try:
            s = _slots.pop()
        except IndexError:
            s = _new_slots()
        meta, meta_len, out, out_len = s[0], s[1], s[2], s[3]
        if length >= BULK:
            call, release = self._call_raw_bulk, self._free_bulk
        else:
            call, release = self._call_raw, self._free
        rc = call(name, params, len(params), ptr, length, s[4], s[5], s[6], s[7])
        del ptr
        if rc < 0:
            raise make_error("internal", f"gstauth_call_raw refused the call ({rc})")
        try:
            meta_b = meta.value
            if meta_b is None or len(meta_b) != meta_len.value:
                meta_b = _c_bytes(meta, meta_len.value)
            n = out_len.value
            out_b = _string_at(out, n) if n > 0 else b""
        finally:
            self._free(meta)
            release(out)
        _slots.append(s)
        if rc != 0:
            _raise_error(meta_b)
        return _decode(meta_b), out_b


def _c_bytes(p: Any, n: int) -> bytes:
    """The n bytes at p (NULL: none)."""
    return _string_at(p, n) if n > 0 and p else b""


def _buffer(data: Union[bytes, bytearray, memoryview]) -> Tuple[Any, int]:
    """What gstauth_call_raw's data parameter takes for data's bytes, without copying them where Python allows it
    (the library reads raw data in place and keeps no reference after the call), and their length. The first
    value keeps the buffer alive (and a bytearray unresizable) until the caller drops it."""
    if isinstance(data, bytes):
        return data, len(data)
    view = memoryview(data)
    n = view.nbytes
    if n == 0:
        return None, 0
    if not view.c_contiguous:
        b = view.tobytes()
        return b, len(b)
    if view.readonly:
        obj = view.obj
        if isinstance(obj, bytes) and len(obj) == n:
            return obj, n  # a view of a whole bytes object: the bytes themselves
        b = view.tobytes()
        return b, n
    return ctypes.byref(ctypes.c_char.from_buffer(view)), n


# --- the Extism plugin ----------------------------------------------------------------------------

class WasmBackend(Backend):
    """gstauth.wasm through the `extism` package (install ``gstauth[wasm]``). The plugin is compiled once;
    each thread gets its own instance, because an Extism plugin instance is not thread-safe. libextism gives
    the plugin the host's real clock and secure random (the core takes time from the caller anyway)."""

    name = "wasm"

    def __init__(self, path: Optional[str] = None):
        try:
            self._extism: Any = importlib.import_module("extism")
        except ImportError:
            raise make_error("unsupported", "the wasm backend needs the extism package: pip install 'gstauth[wasm]'") from None
        self.path = path or _find("GSTAUTH_WASM", "gstauth.wasm")
        with open(self.path, "rb") as f:
            self._wasm = f.read()
        self._local = threading.local()
        self._compiled: Any = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def _plugin(self) -> Any:
        extism = self._extism
        if self._pid != os.getpid():  # forked: start afresh in the child
            self._pid, self._compiled, self._local = os.getpid(), None, threading.local()
        p = getattr(self._local, "plugin", None)
        if p is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = extism.extism.CompiledPlugin(self._wasm, wasi=True, functions=[])
            p = extism.Plugin(self._compiled)
            self._local.plugin = p
        return p

    def _invoke(self, op: str, data: bytes) -> bytes:
        op_name(op)
        p = self._plugin()
        if not p.function_exists(op):
            raise make_error("unsupported", f"unknown op {json.dumps(op)} (the op \"ops\" lists them)")
        try:
            out: bytes = p.call(op, data)
            return out
        except self._extism.Error as e:
            msg = str(e)
            try:
                body = json.loads(msg)
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                raise error_from(body["error"]) from None
            # Not the plugin's error JSON: the runtime failed (a trap, memory).
            raise make_error("internal", f"the plugin failed: {msg[:200]}") from None

    def call(self, op: str, data: bytes) -> Dict[str, Any]:
        return _decode(self._invoke(op, data))

    def call_raw(self, op: str, params: bytes, data: Union[bytes, bytearray, memoryview]) -> Tuple[Dict[str, Any], bytes]:
        if not op_name(op).endswith(b"_raw") and self._plugin().function_exists(op):
            # The shared library's answer to a JSON op called raw (the plugin would read the frame as JSON).
            raise make_error("unsupported", f"op {json.dumps(op)} is a JSON op: call it through the JSON entry point")
        meta, raw = decode_frame(self._invoke(op, encode_frame(params, data)))
        return _decode(meta), raw


_backends: Dict[str, Backend] = {}
_backends_lock = threading.Lock()
_KINDS = {"cshared": CSharedBackend, "wasm": WasmBackend}


_default: Optional[Backend] = None
"""The backend of calls that name none, chosen at the first such call (reading the environment on every call would
cost about 0.5 µs, a sixth of a small op's whole call)."""


def get_backend(name: Optional[str] = None) -> Backend:
    """The backend named, created on first use. Without a name, the default backend: the one GSTAUTH_BACKEND names
    (else "cshared"), read when the first call that names no backend is made, as the Node binding does."""
    global _default
    if name is None:
        if _default is not None:
            return _default
        d = _default = get_backend(os.environ.get("GSTAUTH_BACKEND") or "cshared")
        return d
    if not isinstance(name, str) or name not in _KINDS:
        raise make_error("invalid_input", f"unknown backend {name!r}: use 'cshared' or 'wasm'")
    b = _backends.get(name)
    if b is None:
        with _backends_lock:
            b = _backends.get(name)
            if b is None:
                b = _backends[name] = _KINDS[name]()
    return b
