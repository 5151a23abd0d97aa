"""The ABI's JSON Schema: the library answers testdata/schema.json, and every conformance vector conforms to it
(checked with the jsonschema package, a JSON Schema 2020-12 validator that is not ours)."""
import copy
import os

import pytest
from jsonschema import Draft202012Validator

import gstauth

from conftest import VECTOR_FILES, load_vectors, op_schema, schema_doc, validator, vector_steps

# The errors a case flagged "malformed" may expect: what the codec or a configuration check answers to input outside
# the schema (the same list as internal/abi/schema_test.go).
MALFORMED_ERRORS = {"invalid_input", "too_large", "unsupported", "config_invalid"}


def test_schema_op_equals_the_checked_in_file(backend):
    assert gstauth.call("schema", backend=backend) == schema_doc()
    assert gstauth.schema(backend=backend) == schema_doc()


def test_schema_is_a_valid_2020_12_schema():
    doc = schema_doc()
    Draft202012Validator.check_schema(doc)
    assert doc["maxOpNameLength"] == gstauth.MAX_OP_NAME_LENGTH
    for name, op in doc["ops"].items():
        for side in ("input", "output"):
            validator(op[side]["$ref"])  # every reference resolves


def has(v, key):
    if isinstance(v, dict):
        return key in v or any(has(x, key) for x in v.values())
    if isinstance(v, list):
        return any(has(x, key) for x in v)
    return False


def any_string(v):
    """An expected output with every {"$type": "string"} matcher replaced by a string, as any match would be."""
    if isinstance(v, dict):
        if set(v) == {"$type"}:
            assert v["$type"] == "string"
            return "text"
        return {k: any_string(x) for k, x in v.items()}
    if isinstance(v, list):
        return [any_string(x) for x in v]
    return v


def errors_of(op, side, value):
    return sorted(e.message[:200] for e in op_schema(op, side).iter_errors(value))


@pytest.mark.parametrize("path", VECTOR_FILES, ids=[os.path.basename(f)[:-5] for f in VECTOR_FILES])
def test_vectors_validate_against_the_schema(path):
    """Every step's input and expected output validates. A case that sends schema-invalid input on purpose is
    flagged "malformed": its input is exempt, and it must expect an error such input gets. An input holding a
    reference to an earlier step's output is validated when it is resolved (test_vectors.py)."""
    doc = load_vectors(path)
    ops = schema_doc()["ops"]
    problems = []
    checked = 0
    for tc, op, st in vector_steps(copy.deepcopy(doc)):
        label = f"#{tc['tcId']} ({op})"
        if op not in ops:
            problems.append(f"{label}: the schema has no op {op}")
            continue
        malformed = "malformed" in tc.get("flags", [])
        if malformed:
            if st["result"] != "invalid":
                problems.append(f"{label} is flagged malformed but expects success")
            elif st["error"] not in MALFORMED_ERRORS:
                problems.append(f"{label} is flagged malformed but expects {st['error']}")
        elif not has(st.get("input", {}), "$ref"):
            for e in errors_of(op, "input", st.get("input", {})):
                problems.append(f"{label} input: {e}")
        if st["result"] == "valid" and "output" in st and not has(st["output"], "$ref"):
            for e in errors_of(op, "output", any_string(st["output"])):
                problems.append(f"{label} output: {e}")
        checked += 1
    assert checked
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:20])


def test_errors_validate_against_the_schema(backend):
    """A failure's error object is an ErrorResponse's error."""
    v = validator("#/$defs/ErrorResponse")
    with pytest.raises(gstauth.DecryptFailed) as e:
        gstauth.aes_ecb_decrypt(ciphertext=b"\0" * 16, key=b"k" * 32, backend=backend)
    err = {"code": e.value.code, "message": e.value.message}
    assert not list(v.iter_errors({"error": err}))
