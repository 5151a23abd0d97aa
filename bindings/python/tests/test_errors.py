import gstauth
from gstauth import _errors_gen
from gstauth._gen_errors import render


def test_generated_codes_match_the_library(backend):
    codes = gstauth.error_codes(backend=backend)
    assert list(_errors_gen.ERROR_CODES) == codes, "run `python -m gstauth._gen_errors`"
    with open(_errors_gen.__file__) as f:
        assert f.read() == render(codes)


def test_one_subclass_per_code():
    for code in _errors_gen.ERROR_CODES:
        cls = gstauth.ERRORS[code]
        assert issubclass(cls, gstauth.GstAuthError) and cls.code == code
        assert getattr(gstauth, cls.__name__) is cls
    assert gstauth.DecryptFailed.code == "decrypt_failed"


def test_error_fields(backend):
    try:
        gstauth.call("aes_ecb_decrypt", {"key": "A" * 43 + "=", "ciphertext": ""}, backend=backend)
    except gstauth.DecryptFailed as e:
        assert e.code == "decrypt_failed" and e.message == "decryption failed"
    else:
        raise AssertionError("no error")
