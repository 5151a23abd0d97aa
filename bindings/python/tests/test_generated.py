"""The generated surface (gstauth/_ops.py, from testdata/schema.json by `go run ./internal/gen`) matches the library:
the same ops, version and error codes, and every typed function returns what its generic twin, gstauth.call or
gstauth.call_raw, returns for the same input."""
import base64
import binascii
import dataclasses
import inspect
import json
import os

import pytest

import gstauth
from gstauth import _ops

from conftest import ROOT, VECTOR_FILES, load_vectors, schema_doc
from test_vectors import has_ref, resolve

CASES_PER_OP = 6  # valid and invalid cases compared per op and file (every step of a multi-step case counts)


def test_ops_version_and_codes_match_the_library(backend):
    assert list(_ops.OPS) == sorted(o["name"] for o in gstauth.call("ops", backend=backend)["ops"])
    assert tuple(o["name"] for o in gstauth.ops(backend=backend).ops) == _ops.OPS
    with open(os.path.join(ROOT, "VERSION")) as f:
        file_version = f.read().strip()
    assert _ops.VERSION == backend.version == file_version == gstauth.__version__
    assert gstauth.version(backend=backend).version == file_version
    assert list(_ops.ERRORS) == gstauth.error_codes(backend=backend).codes == schema_doc()["errorCodes"]


def test_one_function_per_op_and_one_class_per_code():
    for name in _ops.OPS:
        assert callable(getattr(gstauth, name)), name
        assert "backend" in inspect.signature(getattr(gstauth, name)).parameters
    for code, cls in _ops.ERRORS.items():
        assert issubclass(cls, gstauth.GstAuthError) and cls.code == code
        assert getattr(gstauth, cls.__name__) is cls
    assert gstauth.DecryptFailed.code == "decrypt_failed"
    assert gstauth.Session is gstauth.sessions.Session and "SessionState" in _ops.__all__
    assert set(_ops.__all__) <= set(gstauth.__all__)


def test_steps_of_every_provider(backend):
    for provider in gstauth.SESSION_CLASSES:
        typed = gstauth.session_steps(provider=provider, backend=backend).steps
        assert typed == gstauth.call("session_steps", {"provider": provider}, backend=backend)["steps"] and typed


# --- typed functions against gstauth.call -------------------------------------------------------------------

def _props(op):
    doc = schema_doc()
    ref = doc["ops"][op]["input"]["$ref"].split("/")[-1]
    return doc["$defs"][ref].get("properties", {})


def _kind(node):
    if len(node.get("allOf", [])) == 1:
        node = node["allOf"][0]
    if node.get("type") == "string" and node.get("contentEncoding") == "base64":
        return "bytes"
    return "plain"


class Unexpressible(Exception):
    """A vector input the typed function cannot take as such (a base64 field that is not canonical base64, a field
    the schema does not name): compared through gstauth.call only."""


def typed_kwargs(op, inp):
    props = _props(op)
    kw = {}
    for name, value in inp.items():
        if name not in props:
            raise Unexpressible(name)
        if _kind(props[name]) == "bytes":
            if not isinstance(value, str):
                raise Unexpressible(name)
            try:
                b = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise Unexpressible(name) from None
            if base64.b64encode(b).decode() != value:
                raise Unexpressible(name)
            kw[name] = b
        else:
            kw[name] = value
    return kw


def wire(result):
    """A typed result in its JSON form."""
    if result is None:
        return {}
    if isinstance(result, dict):
        return result
    assert dataclasses.is_dataclass(result), type(result)
    out = {}
    for f in dataclasses.fields(result):
        v = getattr(result, f.name)
        if v is None:
            continue
        out[f.name] = base64.b64encode(v).decode() if isinstance(v, bytes) else v
    return out


def compare(backend, op, step, inp):
    """Run one step through the typed function and through its generic twin; they must agree."""
    fn = getattr(gstauth, op)
    raw = op.endswith("_raw")
    data = base64.b64decode(step.get("data", "")) if raw else b""
    try:
        kw = typed_kwargs(op, inp)
    except Unexpressible:
        return False
    try:
        generic = gstauth.call_raw(op, inp, data, backend=backend) if raw else (gstauth.call(op, inp, backend=backend), b"")
    except gstauth.GstAuthError as e:
        with pytest.raises(gstauth.GstAuthError) as typed_error:
            fn(data, **kw, backend=backend) if raw else fn(**kw, backend=backend)
        assert typed_error.value.code == e.code and type(typed_error.value) is type(e), op
        return True
    typed = fn(data, **kw, backend=backend) if raw else fn(**kw, backend=backend)
    if raw:
        meta, out = generic
        if isinstance(typed, bytes):
            got_meta, got_data = {}, typed
        else:
            got_meta = {k: v for k, v in wire(typed).items() if k != "data"}
            got_data = typed.data
        deterministic = "output_data" in step or "output" in step
        assert set(got_meta) == set(meta), op
        if deterministic:
            assert (got_meta, got_data) == (meta, out), op
        return True
    got = wire(typed)
    if "output" in step:
        assert got == generic[0], op
    else:  # a randomised output: the same members
        assert set(got) == set(generic[0]), op
    return True


@pytest.mark.parametrize("path", VECTOR_FILES, ids=[os.path.basename(f)[:-5] for f in VECTOR_FILES])
def test_typed_functions_return_what_call_returns(backend, path):
    doc = load_vectors(path)
    per_op = {}
    compared = 0
    for tc in doc["tests"]:
        steps = tc.get("steps") or [tc]
        prev = []
        for st in steps:
            op = st.get("op") or doc["op"]
            inp = resolve(st.get("input", {}), prev)
            if per_op.get(op, 0) < CASES_PER_OP and "malformed" not in tc.get("flags", []):
                if compare(backend, op, st, inp):
                    per_op[op] = per_op.get(op, 0) + 1
                    compared += 1
            if not tc.get("steps"):
                break
            # Earlier outputs feed later steps' references.
            raw = op.endswith("_raw")
            try:
                if raw:
                    meta, out = gstauth.call_raw(op, inp, base64.b64decode(st.get("data", "")), backend=backend)
                    prev.append({"output": meta, "output_data": base64.b64encode(out).decode()})
                else:
                    prev.append({"output": gstauth.call(op, inp, backend=backend), "output_data": ""})
            except gstauth.GstAuthError:
                prev.append({"output": None, "output_data": ""})
    assert compared, f"{path}: no case compared"


def test_typed_functions_without_vectors(backend):
    assert gstauth.schema(backend=backend) == gstauth.call("schema", backend=backend)
    assert wire(gstauth.error_codes(backend=backend)) == gstauth.call("error_codes", backend=backend)
    typed_ops = wire(gstauth.ops(backend=backend))
    assert typed_ops == gstauth.call("ops", backend=backend)
    assert all("name" in o and "doc" in o for o in typed_ops["ops"])
    s = gstauth.session_new(account="a", provider="oauth_authorization_code",
                            config={"auth_url": "https://auth.example/authorize", "token_url": "https://auth.example/token",
                                    "client_id": "c", "redirect_uri": "https://app.example/cb"}, backend=backend).session
    entropy = bytes(range(64))
    typed = gstauth.oauth_authorization_url(session=s, now_ms=1, entropy=entropy, backend=backend)
    generic = gstauth.call("oauth_authorization_url", {"session": s, "now_ms": 1,
                                                       "entropy": base64.b64encode(entropy).decode()}, backend=backend)
    assert set(wire(typed)) == set(generic) and typed.session["pending"]["step"] == generic["session"]["pending"]["step"]


def test_results_are_typed():
    """Binary outputs come back as bytes, JSON objects as dicts, raw outputs as bytes."""
    k = b"k" * 32
    ct = gstauth.aes_ecb_encrypt(key=k, plaintext=b"x")
    assert isinstance(ct, gstauth.AesEcbEncryptResult) and isinstance(ct.ciphertext, bytes)
    assert gstauth.aes_ecb_decrypt_raw(ct.ciphertext, key=k) == b"x"
    r = gstauth.gstn_encrypt_request_raw(b'{"a":1}', sek=k)
    assert isinstance(r.data, bytes) and isinstance(r.hmac, str)
    assert gstauth.rsa_sha256_verify is not None and gstauth.schema()["$schema"].endswith("2020-12/schema")
    assert json.loads(gstauth.gstn_decrypt_request(data=r.data.decode(), hmac=r.hmac, sek=k).payload) == {"a": 1}
