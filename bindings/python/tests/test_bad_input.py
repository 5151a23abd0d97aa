"""Bad input from Python: a GstAuthError or TypeError with a clear message, never a crash."""
import pytest

import gstauth


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
])
def test_core_rejects(backend, op, inp):
    with pytest.raises(gstauth.GstAuthError) as e:
        gstauth.call(op, inp, backend=backend)
    assert e.value.code in gstauth.ERRORS and e.value.message


@pytest.mark.parametrize("fn,args", [
    (gstauth.aes_ecb_encrypt, ("k" * 32, b"x")),
    (gstauth.aes_ecb_encrypt, (None, b"x")),
    (gstauth.aes_ecb_decrypt, (b"k" * 32, "ciphertext")),
    (gstauth.gstn_encrypt_request, ("sek", b"{}")),
    (gstauth.gstn_encrypt_request, (b"k" * 32, 5)),
    (gstauth.new_app_key, ("entropy",)),
    (gstauth.rsa_encrypt, (5, b"x")),
    (gstauth.verify_signed_jwt, ("a.b.c", "PEM")),
    (gstauth.call, (5, {})),
    (gstauth.call, ("ops", [1, 2])),
    (gstauth.call, ("ops", {"x": object()})),
])
def test_python_type_errors(fn, args):
    with pytest.raises(TypeError) as e:
        fn(*args)
    assert "must be" in str(e.value) or "serialisable" in str(e.value)


def test_wrong_key_length_is_invalid_key(backend):
    with pytest.raises(gstauth.InvalidKey):
        gstauth.aes_ecb_encrypt(b"k" * 16, b"x", backend=backend)


def test_huge_input_is_too_large(backend):
    big = b"x" * (64 * 1024 * 1024 + 1)
    with pytest.raises(gstauth.TooLarge):
        gstauth.aes_ecb_encrypt(b"k" * 32, big, backend=backend)


def test_unknown_backend():
    with pytest.raises(gstauth.InvalidInput):
        gstauth.get_backend("jvm")


def test_messages_carry_no_secrets(backend):
    secret = b"S" * 32
    with pytest.raises(gstauth.GstAuthError) as e:
        gstauth.aes_ecb_decrypt(secret, b"\x00" * 16, backend=backend)
    assert "SSSS" not in str(e.value) and "U1NT" not in str(e.value)
