"""Calls into the core: a generic entry point that reaches every op, and typed helpers.

Binary values are ``bytes`` in and out; JSON payloads are ``bytes`` (the exact JSON text), ``str`` or a ``dict``
(encoded compactly); instants are Unix milliseconds. Anything else is a ``TypeError`` before the core is called.
"""
import base64
import json
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from ._backend import Backend, get_backend
from .errors import InvalidInput  # type: ignore[attr-defined]

JSONPayload = Union[bytes, bytearray, memoryview, str, Dict[str, Any], List[Any]]


def _backend(backend: Union[None, str, Backend]) -> Backend:
    return backend if isinstance(backend, Backend) else get_backend(backend)


def _encode_input(op: Any, input: Any) -> bytes:
    if not isinstance(op, str):
        raise TypeError(f"op must be a str, not {type(op).__name__}")
    if input is None:
        input = {}
    if not isinstance(input, dict):
        raise TypeError(f"input must be a dict, not {type(input).__name__}")
    try:
        return json.dumps(input, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as e:
        raise TypeError(f"input is not JSON-serialisable: {e}") from None


def call(op: str, input: Optional[Dict[str, Any]] = None, *, backend: Union[None, str, Backend] = None) -> Dict[str, Any]:
    """Run any op of the core's table (``gstauth.call("ops")`` lists them) and return its JSON output."""
    data = _encode_input(op, input)
    return _backend(backend).call(op, data)


def call_raw(op: str, params: Optional[Dict[str, Any]], data: Union[bytes, bytearray, memoryview], *,
             backend: Union[None, str, Backend] = None) -> Tuple[Dict[str, Any], bytes]:
    """Run a raw op (its name ends in ``_raw``): small JSON params and raw bytes in, JSON meta and raw bytes out."""
    p = _encode_input(op, params)
    return _backend(backend).call_raw(op, p, _bytes("data", data))


def _bytes(name: str, v: Any) -> bytes:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    raise TypeError(f"{name} must be bytes, not {type(v).__name__}")


def _text(name: str, v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray)):
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"{name} is not UTF-8 text") from None
    raise TypeError(f"{name} must be str, not {type(v).__name__}")


def _payload(v: Any) -> bytes:
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    raise TypeError(f"payload must be bytes, str or a dict, not {type(v).__name__}")


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def unb64(s: str) -> bytes:
    return base64.b64decode(s)


# --- keys and primitives ------------------------------------------------------------------------------

def new_app_key(entropy: Optional[bytes] = None, *, backend=None) -> bytes:
    """A fresh 32-byte app key from the core's secure random, mixed with optional host entropy."""
    inp = {} if entropy is None else {"entropy": b64(_bytes("entropy", entropy))}
    return unb64(call("new_app_key", inp, backend=backend)["app_key"])


def decrypt_sek(app_key: bytes, encrypted_sek: bytes, *, backend=None) -> bytes:
    """The 32-byte session key from an auth response's ``sek`` (already base64-decoded)."""
    out = call("decrypt_sek", {"app_key": b64(_bytes("app_key", app_key)),
                               "encrypted_sek": b64(_bytes("encrypted_sek", encrypted_sek))}, backend=backend)
    return unb64(out["sek"])


def aes_ecb_encrypt(key: bytes, plaintext: bytes, *, backend=None) -> bytes:
    """AES-256-ECB with PKCS#7 (only because the government protocols require ECB)."""
    return call_raw("aes_ecb_encrypt_raw", {"key": b64(_bytes("key", key))}, _bytes("plaintext", plaintext),
                    backend=backend)[1]


def aes_ecb_decrypt(key: bytes, ciphertext: bytes, *, backend=None) -> bytes:
    """AES-256-ECB decryption with a strict PKCS#7 check; any failure is ``DecryptFailed``."""
    return call_raw("aes_ecb_decrypt_raw", {"key": b64(_bytes("key", key))}, _bytes("ciphertext", ciphertext),
                    backend=backend)[1]


def rsa_encrypt(public_key: Union[str, bytes], plaintext: bytes, *, backend=None) -> bytes:
    """RSA PKCS#1 v1.5 to a PEM certificate or public key of at least 2048 bits."""
    out = call("rsa_encrypt", {"public_key": _text("public_key", public_key),
                               "plaintext": b64(_bytes("plaintext", plaintext))}, backend=backend)
    return unb64(out["ciphertext"])


def hmac_sha256(key: bytes, message: bytes, *, backend=None) -> bytes:
    out = call("hmac_sha256", {"key": b64(_bytes("key", key)), "message": b64(_bytes("message", message))},
               backend=backend)
    return unb64(out["tag"])


# --- GSTN, NIC, e-way bill payloads -----------------------------------------------------------------

@dataclass(frozen=True)
class GstnRequest:
    """The encrypted fields of a GSTN request body."""
    data: str
    hmac: str


def gstn_encrypt_request(sek: bytes, payload: JSONPayload, *, backend=None) -> GstnRequest:
    """data = b64(AES(EK, b64(json))), hmac = b64(HMAC-SHA256(EK, b64(json))). Uses the raw path."""
    meta, data = call_raw("gstn_encrypt_request_raw", {"sek": b64(_bytes("sek", sek))}, _payload(payload),
                          backend=backend)
    return GstnRequest(data=data.decode("ascii"), hmac=meta["hmac"])


def gstn_decrypt_response(sek: bytes, data: Union[str, bytes], rek: str, hmac: str, *, backend=None) -> bytes:
    """Verify and decrypt a GSTN response; returns the JSON bytes. Any failure is ``DecryptFailed``."""
    d = data.encode("ascii") if isinstance(data, str) else _bytes("data", data)
    return call_raw("gstn_decrypt_response_raw", {"sek": b64(_bytes("sek", sek)), "rek": _text("rek", rek),
                                                  "hmac": _text("hmac", hmac)}, d, backend=backend)[1]


def gstn_evc_sign(pan: str, otp: str, payload: JSONPayload, *, backend=None) -> Dict[str, str]:
    """The EVC filing fields ``st``, ``sid`` and ``sign``."""
    return call("gstn_evc_sign", {"pan": _text("pan", pan), "otp": _text("otp", otp),
                                  "payload": _payload(payload).decode("utf-8")}, backend=backend)


def gstn_decrypt_file(ek: bytes, hash_hex: str, file: bytes, *, backend=None) -> bytes:
    """A FILEDET download (the tar.gz bytes): hash checked, then decrypted; returns the JSON bytes."""
    return call_raw("gstn_decrypt_file_raw", {"ek": b64(_bytes("ek", ek)), "hash": _text("hash", hash_hex)},
                    _bytes("file", file), backend=backend)[1]


def nic_encrypt_request(sek: bytes, payload: JSONPayload, *, backend=None) -> str:
    """NIC e-invoice / e-way bill request ``Data`` = b64(AES(SEK, raw json))."""
    return call_raw("nic_encrypt_request_raw", {"sek": b64(_bytes("sek", sek))}, _payload(payload),
                    backend=backend)[1].decode("ascii")


def nic_decrypt_response(sek: bytes, data: Union[str, bytes], rek: Optional[str] = None,
                         hmac: Optional[str] = None, *, backend=None) -> bytes:
    """Decrypt a NIC response ``Data`` (with ``Rek``/``Hmac`` when the response carries them)."""
    params: Dict[str, Any] = {"sek": b64(_bytes("sek", sek))}
    if rek is not None:
        params["rek"] = _text("rek", rek)
    if hmac is not None:
        params["hmac"] = _text("hmac", hmac)
    d = data.encode("ascii") if isinstance(data, str) else _bytes("data", data)
    return call_raw("nic_decrypt_response_raw", params, d, backend=backend)[1]


def ewb_decode_error(error: str, *, backend=None) -> List[str]:
    """The codes of an e-way bill error field."""
    return call("ewb_decode_error", {"error": _text("error", error)}, backend=backend)["error_codes"]


def verify_signed_jwt(jwt: str, certificates: Iterable[Union[str, bytes]], *, backend=None) -> Dict[str, Any]:
    """Verify a SignedInvoice / SignedQRCode: returns ``header``, ``claims`` and the parsed ``data``."""
    if isinstance(certificates, (str, bytes)):
        raise TypeError("certificates must be a list of PEM strings")
    certs = [_text("certificate", c) for c in certificates]
    return call("verify_signed_jwt", {"jwt": _text("jwt", jwt), "certificates": certs}, backend=backend)


def nic_token_expiry(token_expiry: str, *, backend=None) -> int:
    """A NIC TokenExpiry (IST, whatever this host's zone) as Unix milliseconds."""
    return call("nic_token_expiry", {"token_expiry": _text("token_expiry", token_expiry)},
                backend=backend)["expires_at_ms"]


# --- OAuth and WhiteBIT -----------------------------------------------------------------------------

def pkce_s256(verifier: str, *, backend=None) -> str:
    return call("pkce_s256", {"verifier": _text("verifier", verifier)}, backend=backend)["challenge"]


def pkce_new(*, backend=None) -> Dict[str, str]:
    return call("pkce_new", {}, backend=backend)


def whitebit_sign(api_key: str, secret: str, body: Union[str, bytes], *, backend=None) -> Dict[str, str]:
    """The X-TXC-* headers for the exact body bytes that will be sent."""
    return call("whitebit_sign", {"api_key": _text("api_key", api_key), "secret": _text("secret", secret),
                                  "body": _text("body", body)}, backend=backend)["headers"]


def ops(*, backend=None) -> List[Dict[str, Any]]:
    return call("ops", {}, backend=backend)["ops"]


def error_codes(*, backend=None) -> List[str]:
    return call("error_codes", {}, backend=backend)["codes"]
