"""Bad input from Python: a TypeError or a GstAuthError subclass with a code and a message, never a crash."""
import pytest

import gstauth
from gstauth import _ops


@pytest.mark.parametrize("op,inp", [
    ("aes_ecb_encrypt", {"key": 5, "plaintext": "aGk="}),
    ("aes_ecb_encrypt", {"key": None, "plaintext": "aGk="}),
    ("aes_ecb_encrypt", {"key": "AAAA", "plaintext": "aGk="}),
    ("aes_ecb_decrypt", {"key": "A" * 44, "ciphertext": "not base64"}),
    ("session_plan", {"session": "nope", "now_ms": 1}),
    ("session_plan", {"session": {}, "now_ms": -1}),
    ("nope_not_an_op", {}),
    ("aes_ecb_encrypt_raw", {"key": "A"}),
    ("verify_signed_jwt", {"jwt": "a.b.c", "certificates": [None]}),
    ("session_ensure", {"session": {}, "now_ms": 1, "stage": "sideways"}),
])
def test_core_rejects(backend, op, inp):
    with pytest.raises(gstauth.GstAuthError) as e:
        gstauth.call(op, inp, backend=backend)
    assert e.value.code in gstauth.ERRORS and e.value.message
    assert isinstance(e.value, gstauth.ERRORS[e.value.code])


GARBAGE = [{}, {"x": 1}, {"session": [], "now_ms": "soon"}, {"key": "A" * 10_000}, {"payload": {"nested": [1, {}]}}]


def test_every_op_survives_garbage(backend):
    """Every op, JSON or raw, given inputs of the wrong shape: an error with a code (or, for ops without inputs, an
    answer), never a crash."""
    failures = 0
    for op in _ops.OPS:
        for inp in GARBAGE:
            try:
                if op.endswith("_raw"):
                    gstauth.call_raw(op, inp, b"\xff\x00garbage", backend=backend)
                else:
                    gstauth.call(op, inp, backend=backend)
            except gstauth.GstAuthError as e:
                assert e.code in gstauth.ERRORS and e.message, (op, inp)
                failures += 1
    assert failures > len(_ops.OPS) * 3


@pytest.mark.parametrize("name", ["aes_ecb_encrypt\x00", "version\x00x", "\x00", "v" * 65, "aes_ecb_encrypt" * 5,
                                  "é" * 33, ""])
def test_bad_op_names_are_invalid_input(backend, name):
    """An op name with a NUL byte or longer than 64 bytes (or empty) is invalid_input on both backends, JSON and raw:
    a NUL would end the C string early and name another op."""
    with pytest.raises(gstauth.InvalidInput):
        gstauth.call(name, {}, backend=backend)
    with pytest.raises(gstauth.InvalidInput):
        gstauth.call_raw(name, {"key": "A" * 43 + "="}, b"x", backend=backend)
    with pytest.raises(gstauth.InvalidInput):
        backend.call(name, b"{}")


def test_longest_op_name_is_only_unknown(backend):
    """64 bytes is allowed as a name: an op by that name does not exist (unsupported), it is not invalid."""
    with pytest.raises(gstauth.GstAuthError) as e:
        gstauth.call("v" * 64, {}, backend=backend)
    assert e.value.code != "invalid_input" or "64" not in e.value.message


@pytest.mark.parametrize("fn,kw", [
    (gstauth.aes_ecb_encrypt, {"key": "k" * 32, "plaintext": b"x"}),
    (gstauth.aes_ecb_encrypt, {"key": None, "plaintext": b"x"}),
    (gstauth.aes_ecb_decrypt, {"key": b"k" * 32, "ciphertext": "ciphertext"}),
    (gstauth.gstn_encrypt_request, {"sek": "sek", "payload": b"{}"}),
    (gstauth.gstn_encrypt_request, {"sek": b"k" * 32, "payload": 5}),
    (gstauth.gstn_encrypt_request, {"sek": b"k" * 32, "payload": b"\xff"}),
    (gstauth.gstn_encrypt_request, {"sek": b"k" * 32, "payload": {"x": object()}}),
    (gstauth.new_app_key, {"entropy": "entropy"}),
    (gstauth.rsa_encrypt, {"public_key": "PEM", "plaintext": 5}),
    (gstauth.aes_ecb_encrypt_raw, {"key": b"k" * 32}),
    (gstauth.call, {"op": 5}),
    (gstauth.call, {"op": "ops", "input": [1, 2]}),
    (gstauth.call, {"op": "ops", "input": {"x": object()}}),
    (gstauth.call, {"op": "ops", "input": {"x": float("nan")}}),
    (gstauth.call, {"op": "ops", "input": {"x": "\ud800"}}),
    (gstauth.certificate_info, {"certificate": "\ud800"}),
    (gstauth.call_raw, {"op": "aes_ecb_encrypt_raw", "params": {"key": "A" * 44}, "data": "text"}),
])
def test_python_type_errors(fn, kw):
    with pytest.raises(TypeError) as e:
        fn(**kw)
    assert "must be" in str(e.value) or "serialisable" in str(e.value) or "argument" in str(e.value)


def test_typed_functions_pass_wrong_json_types_to_the_core(backend):
    """A value of the wrong JSON type reaches the core, which names the field."""
    with pytest.raises(gstauth.InvalidInput):
        gstauth.certificate_info(certificate=5, backend=backend)  # an int: JSON the core refuses
    with pytest.raises(gstauth.InvalidInput):
        gstauth.session_plan(session="nope", now_ms=1, backend=backend)


def test_wrong_key_length_is_invalid_key(backend):
    with pytest.raises(gstauth.InvalidKey):
        gstauth.aes_ecb_encrypt(key=b"k" * 16, plaintext=b"x", backend=backend)


def test_huge_input_is_too_large(backend):
    big = b"x" * (64 * 1024 * 1024 + 1)
    with pytest.raises(gstauth.TooLarge):
        gstauth.aes_ecb_encrypt_raw(big, key=b"k" * 32, backend=backend)


def test_unknown_backend():
    with pytest.raises(gstauth.InvalidInput):
        gstauth.get_backend("jvm")
    with pytest.raises(gstauth.InvalidInput):
        gstauth.version(backend=5)


def test_messages_carry_no_secrets(backend):
    secret = b"S" * 32
    with pytest.raises(gstauth.GstAuthError) as e:
        gstauth.aes_ecb_decrypt(key=secret, ciphertext=b"\x00" * 16, backend=backend)
    assert "SSSS" not in str(e.value) and "U1NT" not in str(e.value)


def test_buffers_of_every_kind(backend):
    """bytes, bytearray, memoryview (also sliced, not contiguous, read-only) are all read as their bytes."""
    key = b"k" * 32
    want = gstauth.aes_ecb_encrypt_raw(b"0123456789", key=key, backend=backend)
    big = bytearray(b"0123456789" * 2)
    for buf in (bytearray(b"0123456789"), memoryview(b"0123456789"), memoryview(big)[:10],
                memoryview(b"0_1_2_3_4_5_6_7_8_9_")[::2]):
        assert gstauth.aes_ecb_encrypt_raw(buf, key=key, backend=backend) == want
        assert gstauth.aes_ecb_encrypt(key=memoryview(key), plaintext=buf, backend=backend).ciphertext == want


def test_entry_points_are_checked_alike(backend):
    """A raw op called as JSON, or a JSON op called raw, is unsupported on both backends."""
    with pytest.raises(gstauth.Unsupported):
        gstauth.call("aes_ecb_encrypt_raw", {"key": "A" * 43 + "="}, backend=backend)
    with pytest.raises(gstauth.Unsupported):
        gstauth.call_raw("aes_ecb_encrypt", {"key": "A" * 43 + "="}, b"x", backend=backend)
    with pytest.raises(gstauth.Unsupported) as e:
        gstauth.call("nope", backend=backend)
    assert e.value.message == 'unknown op "nope" (the op "ops" lists them)'


def test_deep_nesting_is_a_type_error_or_refused(backend):
    deep: list = []
    cur = deep
    for _ in range(100_000):
        cur.append([])
        cur = cur[0]
    with pytest.raises(TypeError):
        gstauth.call("ops", {"x": deep}, backend=backend)
    with pytest.raises(gstauth.GstAuthError):  # deep JSON text reaches the core, which refuses it
        gstauth.session_decrypt_body(body="[" * 100_000, session={}, backend=backend)
