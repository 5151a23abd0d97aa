"""Replays every conformance vector of testdata/vectors on both backends (format: testdata/vectors/README.md)."""
import base64
import glob
import json
import os

import pytest

import gstauth

from conftest import BACKENDS, VECTORS

FILES = sorted(glob.glob(os.path.join(VECTORS, "*.json")))
TEST_KEYS = {"tcId", "comment", "flags", "op", "input", "data", "result", "output", "output_data", "error",
             "provider_code", "steps"}
STEP_KEYS = {"op", "input", "data", "result", "output", "output_data", "error", "provider_code"}
FILE_KEYS = {"schema", "op", "description", "generatedBy", "sources", "notes", "numberOfTests", "tests"}


def load(path):
    with open(path) as f:
        doc = json.load(f)
    unknown = set(doc) - FILE_KEYS
    assert not unknown, f"{path}: unknown keys {unknown}"
    assert doc["schema"] == "gstauth-vectors/1"
    assert doc["numberOfTests"] == len(doc["tests"]), path
    return doc


def resolve(v, prev):
    if isinstance(v, dict):
        if "$ref" in v:
            assert len(v) == 1
            parts = v["$ref"].split(".")
            res = prev[int(parts[0])]
            if parts[1] == "output_data":
                return res["output_data"]
            cur = res["output"]
            for p in parts[2:]:
                cur = cur[int(p)] if isinstance(cur, list) else cur[p]
            return cur
        return {k: resolve(x, prev) for k, x in v.items()}
    if isinstance(v, list):
        return [resolve(x, prev) for x in v]
    return v


def run_step(backend, op, step, prev):
    unknown = set(step) - STEP_KEYS
    assert not unknown, f"unknown step keys {unknown}"
    inp = json.dumps(resolve(step.get("input", {}), prev), ensure_ascii=False).encode()
    try:
        if op.endswith("_raw"):
            data = base64.b64decode(step.get("data", ""))
            out, raw = backend.call_raw(op, inp, data)
        else:
            assert "data" not in step and "output_data" not in step
            out, raw = backend.call(op, inp), b""
    except gstauth.GstAuthError as e:
        assert step["result"] == "invalid", f"{op}: want success, got {e.code}: {e.message}"
        assert e.code == step["error"], f"{op}: want {step['error']}, got {e.code}: {e.message}"
        if step.get("provider_code"):
            assert e.provider_code == step["provider_code"]
        return {"output": None, "output_data": ""}
    assert step["result"] == "valid", f"{op}: want error {step.get('error')}, got success {str(out)[:300]}"
    if "output" in step:
        assert out == step["output"], f"{op}: output mismatch"
    if "output_data" in step:
        assert base64.b64encode(raw).decode() == step["output_data"], f"{op}: output_data mismatch"
    return {"output": out, "output_data": base64.b64encode(raw).decode()}


def run_file(backend, path):
    doc = load(path)
    ran = 0
    failures = []
    for tc in doc["tests"]:
        unknown = set(tc) - TEST_KEYS
        assert not unknown, f"{path} #{tc.get('tcId')}: unknown keys {unknown}"
        steps = tc.get("steps") or [{k: v for k, v in tc.items() if k in STEP_KEYS}]
        prev = []
        try:
            for s in steps:
                prev.append(run_step(backend, s.get("op") or doc["op"], s, prev))
        except AssertionError as e:
            failures.append(f"#{tc['tcId']} {tc['comment']}: {e}")
        ran += 1
    assert ran == doc["numberOfTests"]
    return ran, failures


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f)[:-5] for f in FILES])
def test_vector_file(backend, path):
    ran, failures = run_file(backend, path)
    assert not failures, "\n".join(failures[:20])


def test_vector_total(backend):
    """Every file, every case: the count run equals the files' total."""
    assert FILES, "no vector files"
    total = sum(load(p)["numberOfTests"] for p in FILES)
    ran = sum(run_file(backend, p)[0] for p in FILES)
    assert ran == total
    print(f"{backend.name}: replayed {ran} vector cases from {len(FILES)} files")
