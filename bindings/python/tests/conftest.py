import base64
import glob
import json
import os
from typing import Any, Dict, List

import pytest

import gstauth

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
VECTORS = os.path.join(ROOT, "testdata", "vectors")
SCHEMA = os.path.join(ROOT, "testdata", "schema.json")
KEYS = os.path.join(ROOT, "testdata", "keys")
BACKENDS = ["cshared", "wasm"]
VECTOR_FILES = sorted(glob.glob(os.path.join(VECTORS, "*.json")))


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Every test that takes this fixture runs on both backends; a missing artifact is a failure, not a skip."""
    return gstauth.get_backend(request.param)


def key(name):
    with open(os.path.join(KEYS, name)) as f:
        return f.read()


def schema_doc() -> Dict[str, Any]:
    with open(SCHEMA) as f:
        return json.load(f)


_validators: Dict[str, Any] = {}


def validator(ref: str):
    """A JSON Schema 2020-12 validator (the jsonschema package) for a def of testdata/schema.json."""
    v = _validators.get(ref)
    if v is None:
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource
        doc = schema_doc()
        registry = Registry().with_resource(doc["$id"], Resource.from_contents(doc))
        v = _validators[ref] = Draft202012Validator({"$ref": doc["$id"] + ref}, registry=registry)
    return v


def op_schema(op: str, side: str):
    return validator(schema_doc()["ops"][op][side]["$ref"])


def load_vectors(path: str) -> Dict[str, Any]:
    with open(path) as f:
        return json.load(f)


def vector_steps(doc: Dict[str, Any]):
    """(test case, op, step) for every step of every case of a vector file."""
    for tc in doc["tests"]:
        steps: List[Dict[str, Any]] = tc.get("steps") or [tc]
        for st in steps:
            yield tc, st.get("op") or doc["op"], st


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()
