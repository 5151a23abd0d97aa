"""Errors: one GstAuthError subclass per code, with the core's fields."""
import pickle

import pytest

import gstauth


def test_error_fields(backend):
    with pytest.raises(gstauth.DecryptFailed) as e:
        gstauth.call("aes_ecb_decrypt", {"key": "A" * 43 + "=", "ciphertext": ""}, backend=backend)
    assert e.value.code == "decrypt_failed" and e.value.message == "decryption failed"
    assert isinstance(e.value, gstauth.GstAuthError) and not e.value.retryable and e.value.provider_code is None
    assert "DecryptFailed" in repr(e.value)


def test_provider_errors_carry_their_code(backend):
    """A classified provider failure keeps the provider's code, its retry hint and its class."""
    s = gstauth.session_new(account="c", provider="oauth_client_credentials",
                            config={"token_url": "https://auth.example/token", "client_id": "c"}, backend=backend).session
    built = gstauth.session_request(session=s, now_ms=1_000, credentials={"client_secret": "x"}, backend=backend)
    out = gstauth.session_response(session=built.session, received_at_ms=1_100,
                                   response={"status": 429, "headers": {"Retry-After": "7"}, "body": ""},
                                   backend=backend)
    assert out.error is not None and out.error["code"] == "rate_limited"
    err = gstauth.errors.error_from(out.error)
    assert isinstance(err, gstauth.RateLimited) and err.retryable and err.retry_after_ms >= 7000


def test_unknown_code_is_a_plain_gstauth_error():
    err = gstauth.errors.error_from({"code": "something_new", "message": "m"})
    assert type(err) is gstauth.GstAuthError and err.code == "something_new"


def test_errors_pickle():
    err = gstauth.InvalidKey("bad key", code="invalid_key")
    assert pickle.loads(pickle.dumps(err)).args == err.args
