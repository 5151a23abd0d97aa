"""Shared helpers for the vector generators: an implementation independent of gstauth."""
import base64
import hashlib
import hmac
import json
import os
import random
import subprocess

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
VECTORS = os.path.join(ROOT, "testdata", "vectors")
KEYS = os.path.join(ROOT, "testdata", "keys")

SCHEMA = "gstauth-vectors/1"

# Wycheproof, pinned: the Go module github.com/c2sp/wycheproof at this version, fetched through the Go module proxy.
WYCHEPROOF_VERSION = "v0.0.0-20260105152342-fca0d3ba9f12"


def wycheproof_file(name: str) -> str:
    """The path of testvectors_v1/<name> in the pinned Wycheproof module (`go mod download` it first)."""
    cache = subprocess.check_output(["go", "env", "GOMODCACHE"], text=True).strip()
    return os.path.join(cache, f"github.com/c2sp/wycheproof@{WYCHEPROOF_VERSION}", "testvectors_v1", name)


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def b64d(s: str) -> bytes:
    return base64.b64decode(s, validate=True)


def read_key(name: str) -> str:
    with open(os.path.join(KEYS, name)) as f:
        return f.read()


def aes_ecb_encrypt(key: bytes, pt: bytes) -> bytes:
    p = padding.PKCS7(128).padder()
    data = p.update(pt) + p.finalize()
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(data) + e.finalize()


def aes_ecb_encrypt_nopad(key: bytes, data: bytes) -> bytes:
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(data) + e.finalize()


def aes_ecb_decrypt(key: bytes, ct: bytes) -> bytes:
    d = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    data = d.update(ct) + d.finalize()
    u = padding.PKCS7(128).unpadder()
    return u.update(data) + u.finalize()


def hmac_sha256(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def rng(seed: str) -> random.Random:
    return random.Random(seed)


def randbytes(r: random.Random, n: int) -> bytes:
    return bytes(r.getrandbits(8) for _ in range(n))


# What an input holds where the expected output it was copied from allows any text ({"$type": "string"}).
PLACEHOLDER_TEXT = "text for people, set by an earlier step"


def concrete(v):
    """v with every {"$type": "string"} replaced by a fixed sentence: a pattern belongs in expected outputs only."""
    if isinstance(v, dict):
        if v == {"$type": "string"}:
            return PLACEHOLDER_TEXT
        return {k: concrete(x) for k, x in v.items()}
    if isinstance(v, list):
        return [concrete(x) for x in v]
    return v


def _check_test(name, t):
    """Inputs hold values, never output patterns; a case flagged malformed expects a failure."""
    for st in t.get("steps") or [t]:
        if "input" in st:
            st["input"] = concrete(st["input"])
        if "malformed" in t.get("flags", []):
            assert st.get("result") == "invalid" or "steps" in t, (name, t["comment"])


def write(name: str, op, description: str, generated_by: str, sources, tests):
    for i, t in enumerate(tests, 1):
        t["tcId"] = i
        _check_test(name, t)
    doc = {
        "schema": SCHEMA,
        "description": description,
        "generatedBy": generated_by,
        "sources": sources,
        "numberOfTests": len(tests),
        "tests": [dict(sorted(t.items(), key=lambda kv: ORDER.get(kv[0], 99))) for t in tests],
    }
    if op:
        doc = {"schema": SCHEMA, "op": op, **{k: v for k, v in doc.items() if k != "schema"}}
    with open(os.path.join(VECTORS, name + ".json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{name}.json: {len(tests)} tests")


ORDER = {"tcId": 0, "comment": 1, "flags": 2, "op": 3, "input": 4, "data": 5, "steps": 6,
         "result": 7, "output": 8, "output_data": 9, "error": 10, "provider_code": 11}


def valid(comment, inp, out, flags=None, data=None, output_data=None):
    t = {"comment": comment, "input": inp, "result": "valid"}
    if out is not None:
        t["output"] = out
    if flags:
        t["flags"] = flags
    if data is not None:
        t["data"] = data
    if output_data is not None:
        t["output_data"] = output_data
    return t


def invalid(comment, inp, code, flags=None, data=None):
    t = {"comment": comment, "input": inp, "result": "invalid", "error": code}
    if flags:
        t["flags"] = flags
    if data is not None:
        t["data"] = data
    return t


def steps(comment, steps_, flags=None):
    t = {"comment": comment, "result": "valid", "steps": steps_}
    if flags:
        t["flags"] = flags
    return t


def ref(path: str):
    return {"$ref": path}
