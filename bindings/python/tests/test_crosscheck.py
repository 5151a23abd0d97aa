"""gstauth against an implementation that is not ours: Python `cryptography`, for random inputs, both ways."""
import base64
import hashlib
import hmac
import json
import os
import random

import pytest

from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as apad
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import gstauth

from conftest import key

R = random.Random(20261122)


def pyca_encrypt(k, pt):
    p = padding.PKCS7(128).padder()
    e = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
    return e.update(p.update(pt) + p.finalize()) + e.finalize()


def pyca_decrypt(k, ct):
    d = Cipher(algorithms.AES(k), modes.ECB()).decryptor()
    u = padding.PKCS7(128).unpadder()
    return u.update(d.update(ct) + d.finalize()) + u.finalize()


def rand(n):
    return bytes(R.getrandbits(8) for _ in range(n))


def test_aes_ecb_both_ways(backend):
    for _ in range(200):
        k, pt = rand(32), rand(R.randrange(0, 300))
        ct = gstauth.aes_ecb_encrypt(key=k, plaintext=pt, backend=backend).ciphertext
        assert pyca_decrypt(k, ct) == pt
        assert gstauth.aes_ecb_decrypt(key=k, ciphertext=pyca_encrypt(k, pt), backend=backend).plaintext == pt
        assert gstauth.aes_ecb_encrypt_raw(pt, key=k, backend=backend) == ct
        assert gstauth.aes_ecb_decrypt_raw(pyca_encrypt(k, pt), key=k, backend=backend) == pt


def test_rsa_pkcs1v15_both_ways(backend):
    priv = serialization.load_pem_private_key(key("gstn-test.key").encode(), None)
    for _ in range(10):
        pt = rand(R.randrange(1, 246))
        ct = gstauth.rsa_encrypt(public_key=key("gstn-test.crt"), plaintext=pt, backend=backend).ciphertext
        assert priv.decrypt(ct, apad.PKCS1v15()) == pt
        ct2 = priv.public_key().encrypt(pt, apad.PKCS1v15())
        out = gstauth.rsa_decrypt(private_key=key("gstn-test.key"), ciphertext=ct2, backend=backend)
        assert out.plaintext == pt


def test_hmac_sha256(backend):
    for _ in range(100):
        k, m = rand(R.randrange(0, 100)), rand(R.randrange(0, 500))
        tag = hmac.new(k, m, hashlib.sha256).digest()
        assert gstauth.hmac_sha256(key=k, message=m, backend=backend).tag == tag
        gstauth.hmac_sha256(key=k, message=m, tag=tag, backend=backend)  # verifies


def test_gstn_scheme_both_ways(backend):
    for _ in range(50):
        ek, rek = rand(32), rand(32)
        payload = json.dumps({"x": base64.b64encode(rand(R.randrange(0, 400))).decode()}).encode()
        r = gstauth.gstn_encrypt_request(sek=ek, payload=payload, backend=backend)
        p = base64.b64encode(payload)
        assert pyca_decrypt(ek, base64.b64decode(r.data)) == p
        assert base64.b64decode(r.hmac) == hmac.new(ek, p, hashlib.sha256).digest()
        data = base64.b64encode(pyca_encrypt(rek, p)).decode()
        rek_ct = base64.b64encode(pyca_encrypt(ek, rek)).decode()
        mac = base64.b64encode(hmac.new(rek, p, hashlib.sha256).digest()).decode()
        out = gstauth.gstn_decrypt_response(sek=ek, data=data, rek=rek_ct, hmac=mac, backend=backend)
        assert out.payload.encode() == payload
        assert gstauth.gstn_decrypt_response_raw(data.encode(), sek=ek, rek=rek_ct, hmac=mac, backend=backend) == payload


def test_nic_scheme_both_ways(backend):
    for _ in range(50):
        sek = rand(32)
        payload = json.dumps({"n": R.randrange(10 ** 9), "s": "₹" * R.randrange(0, 40)}, ensure_ascii=False).encode()
        d = gstauth.nic_encrypt_request(sek=sek, payload=payload, backend=backend).data
        assert pyca_decrypt(sek, base64.b64decode(d)) == payload
        out = gstauth.nic_decrypt_response(sek=sek, data=base64.b64encode(pyca_encrypt(sek, payload)).decode(),
                                           backend=backend)
        assert out.payload.encode() == payload


def test_backends_byte_identical():
    """Deterministic ops give byte-identical results on both backends."""
    c, w = gstauth.get_backend("cshared"), gstauth.get_backend("wasm")
    for _ in range(20):
        k, pt = rand(32), rand(R.randrange(0, 2000))
        assert gstauth.aes_ecb_encrypt_raw(pt, key=k, backend=c) == gstauth.aes_ecb_encrypt_raw(pt, key=k, backend=w)
        js = json.dumps({"p": base64.b64encode(pt).decode()})
        assert (gstauth.gstn_encrypt_request(sek=k, payload=js, backend=c)
                == gstauth.gstn_encrypt_request(sek=k, payload=js, backend=w))


def test_rsa_sha256_signatures_both_ways(backend):
    from cryptography.hazmat.primitives import hashes
    priv = serialization.load_pem_private_key(key("nic-sign-test.key").encode(), None)
    for _ in range(5):
        m = rand(R.randrange(0, 300))
        sig = gstauth.rsa_sha256_sign(message=m, private_key=key("nic-sign-test.key"), backend=backend).signature
        priv.public_key().verify(sig, m, apad.PKCS1v15(), hashes.SHA256())
        gstauth.rsa_sha256_verify(message=m, public_key=key("nic-sign-test.crt"),
                                  signature=priv.sign(m, apad.PKCS1v15(), hashes.SHA256()), backend=backend)
    with pytest.raises(gstauth.SignatureInvalid):
        gstauth.rsa_sha256_verify(message=b"x", public_key=key("nic-sign-test.crt"), signature=b"\0" * 256,
                                  backend=backend)


def test_session_payloads_against_pyca(backend):
    """A NIC session's payload members, read with pyca: the session's SEK encrypts its payload."""
    sek = rand(32)
    state = gstauth.session_new(account="x", provider="nic_einvoice", backend=backend).session
    state.update({"access_token": "t", "sek": base64.b64encode(sek).decode(), "obtained_at_ms": 1,
                  "expires_at_ms": 2})
    s = gstauth.EInvoiceSession("x", state=state, backend=backend)
    body = s.encrypt({"Irn": "1"})
    assert json.loads(pyca_decrypt(sek, base64.b64decode(body["Data"]))) == {"Irn": "1"}
    answer = {"Status": 1, "Data": base64.b64encode(pyca_encrypt(sek, b'{"AckNo":7}')).decode()}
    assert s.decrypt(answer) == {"AckNo": 7}


def test_raw_outputs_around_the_bulk_size(backend):
    """From gstauth._backend.BULK bytes of data on, the shared library lends its raw output (gstauth_call_raw_view)
    and the binding copies it into the bytes object it returns: every buffer type, at and around that size, gives
    pyca's bytes, and the result stays intact while the input changes and other calls come and go."""
    from gstauth._backend import BULK

    k = rand(32)
    kept = []
    for n in (BULK - 17, BULK - 16, BULK - 1, BULK, BULK + 1, BULK + 16, 3 * BULK + 5, 1 << 20):
        pt = os.urandom(n)
        want = pyca_encrypt(k, pt)
        for data in (pt, bytearray(pt), memoryview(bytearray(b"\0" + pt))[1:]):
            got = gstauth.aes_ecb_encrypt_raw(data, key=k, backend=backend)
            assert type(got) is bytes and got == want, (n, type(data).__name__)
            if isinstance(data, (bytearray, memoryview)):
                data[:] = bytes(len(data))  # the result is the caller's own copy
            assert got == want
        back = gstauth.aes_ecb_decrypt_raw(want, key=k, backend=backend)
        assert back == pt
        kept.append((got, want))
    for got, want in kept:
        assert got == want


def test_raw_bulk_outputs_from_threads(backend):
    """8 threads of raw calls over and under the bulk size at once, each result checked against pyca."""
    from concurrent.futures import ThreadPoolExecutor

    from gstauth._backend import BULK

    def work(seed):
        r = random.Random(seed)
        for i in range(40):
            k = bytes(r.getrandbits(8) for _ in range(32))
            pt = os.urandom(BULK + r.randrange(-64, 4096) if i % 2 else r.randrange(1, 512))
            assert gstauth.aes_ecb_encrypt_raw(pt, key=k, backend=backend) == pyca_encrypt(k, pt)
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(8)))
