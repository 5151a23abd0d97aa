"""Replays every conformance vector of testdata/vectors on both backends (format: testdata/vectors/README.md)."""
import base64
import json
import os

import pytest

import gstauth

from conftest import VECTOR_FILES, load_vectors, op_schema

TEST_KEYS = {"tcId", "comment", "flags", "op", "input", "data", "result", "output", "output_data", "error",
             "provider_code", "steps"}
STEP_KEYS = {"op", "input", "data", "result", "output", "output_data", "error", "provider_code"}
FILE_KEYS = {"schema", "op", "description", "generatedBy", "sources", "notes", "numberOfTests", "tests"}

# Files replayed so far in this run, per backend: {(backend, path): cases run}.
RAN = {}


def load(path):
    doc = load_vectors(path)
    unknown = set(doc) - FILE_KEYS
    assert not unknown, f"{path}: unknown keys {unknown}"
    assert doc["schema"] == "gstauth-vectors/1"
    assert doc["numberOfTests"] == len(doc["tests"]), path
    return doc


def resolve(v, prev):
    """Replace every {"$ref": "<step>.output.<path>"} (or "<step>.output_data") with an earlier step's value."""
    if isinstance(v, dict):
        if "$ref" in v:
            assert len(v) == 1
            parts = v["$ref"].split(".")
            res = prev[int(parts[0])]
            if parts[1] == "output_data":
                return res["output_data"]
            assert parts[1] == "output", v
            cur = res["output"]
            for p in parts[2:]:
                cur = cur[int(p)] if isinstance(cur, list) else cur[p]
            return cur
        return {k: resolve(x, prev) for k, x in v.items()}
    if isinstance(v, list):
        return [resolve(x, prev) for x in v]
    return v


def has_ref(v):
    if isinstance(v, dict):
        return "$ref" in v or any(has_ref(x) for x in v.values())
    if isinstance(v, list):
        return any(has_ref(x) for x in v)
    return False


def matches(want, got, path="output"):
    """want == got as JSON, where {"$type": "string"} in want matches any string."""
    if isinstance(want, dict) and "$type" in want:
        assert set(want) == {"$type"} and want["$type"] == "string", f"{path}: unknown matcher {want}"
        assert isinstance(got, str), f"{path}: want a string, got {got!r}"
        return
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{path}: want an object, got {got!r}"
        assert set(want) == set(got), f"{path}: keys differ: missing {set(want) - set(got)}, extra {set(got) - set(want)}"
        for k in want:
            matches(want[k], got[k], f"{path}.{k}")
        return
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: want {want!r}, got {got!r}"
        for i, (w, g) in enumerate(zip(want, got)):
            matches(w, g, f"{path}[{i}]")
        return
    assert type(want) is type(got) or {type(want), type(got)} <= {int, float}, f"{path}: want {want!r}, got {got!r}"
    assert want == got, f"{path}: want {want!r}, got {got!r}"


def test_matcher():
    matches({"a": [1, {"$type": "string"}]}, {"a": [1, "anything"]})
    for want, got in [({"$type": "string"}, 5), ({"a": 1}, {"a": 1, "b": 2}), ([1], [1, 2]), (True, 1), (1, "1")]:
        with pytest.raises(AssertionError):
            matches(want, got)


def run_step(backend, op, step, prev):
    unknown = set(step) - STEP_KEYS
    assert not unknown, f"unknown step keys {unknown}"
    raw_in = step.get("input", {})
    inp = resolve(raw_in, prev)
    if has_ref(raw_in):
        # The schema test validates inputs as written; one built from earlier outputs is validated here.
        errors = sorted(str(e.message)[:200] for e in op_schema(op, "input").iter_errors(inp))
        assert not errors, f"{op}: the resolved input does not validate: {errors[:3]}"
    js = json.dumps(inp, ensure_ascii=False).encode()
    try:
        if op.endswith("_raw"):
            data = base64.b64decode(step.get("data", ""))
            out, raw = backend.call_raw(op, js, data)
        else:
            assert "data" not in step and "output_data" not in step
            out, raw = backend.call(op, js), b""
    except gstauth.GstAuthError as e:
        assert step["result"] == "invalid", f"{op}: want success, got {e.code}: {e.message}"
        assert e.code == step["error"], f"{op}: want {step['error']}, got {e.code}: {e.message}"
        assert isinstance(e, gstauth.ERRORS[e.code]) and e.message
        if step.get("provider_code"):
            assert e.provider_code == step["provider_code"]
        return {"output": None, "output_data": ""}
    assert step["result"] == "valid", f"{op}: want error {step.get('error')}, got success {str(out)[:300]}"
    if "output" in step:
        matches(step["output"], out)
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
            for i, s in enumerate(steps):
                try:
                    prev.append(run_step(backend, s.get("op") or doc["op"], s, prev))
                except AssertionError as e:
                    raise AssertionError(f"step {i}: {e}") from None
        except AssertionError as e:
            failures.append(f"#{tc['tcId']} {tc['comment'][:120]}: {e}")
        ran += 1
    assert ran == doc["numberOfTests"]
    RAN[(backend.name, path)] = ran
    return ran, failures


@pytest.mark.parametrize("path", VECTOR_FILES, ids=[os.path.basename(f)[:-5] for f in VECTOR_FILES])
def test_vector_file(backend, path):
    ran, failures = run_file(backend, path)
    assert not failures, f"{len(failures)} of {ran} cases failed:\n" + "\n".join(failures[:20])


def test_vector_total(backend):
    """Every file, every case: the count run equals the files' total (files not replayed above are replayed here)."""
    assert VECTOR_FILES, "no vector files"
    total = sum(load(p)["numberOfTests"] for p in VECTOR_FILES)
    ran = 0
    for p in VECTOR_FILES:
        n = RAN.get((backend.name, p))
        ran += run_file(backend, p)[0] if n is None else n
    assert ran == total
    print(f"{backend.name}: replayed {ran} vector cases from {len(VECTOR_FILES)} files")
