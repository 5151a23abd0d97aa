"""gstauth against an implementation that is not ours: Python `cryptography`, for random inputs, both ways."""
import base64
import hashlib
import hmac
import json
import os
import random

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
        ct = gstauth.aes_ecb_encrypt(k, pt, backend=backend)
        assert pyca_decrypt(k, ct) == pt
        assert gstauth.aes_ecb_decrypt(k, pyca_encrypt(k, pt), backend=backend) == pt


def test_rsa_pkcs1v15_both_ways(backend):
    priv = serialization.load_pem_private_key(key("gstn-test.key").encode(), None)
    for _ in range(10):
        pt = rand(R.randrange(1, 246))
        ct = gstauth.rsa_encrypt(key("gstn-test.crt"), pt, backend=backend)
        assert priv.decrypt(ct, apad.PKCS1v15()) == pt
        ct2 = priv.public_key().encrypt(pt, apad.PKCS1v15())
        out = gstauth.call("rsa_decrypt", {"private_key": key("gstn-test.key"), "ciphertext": base64.b64encode(ct2).decode()},
                           backend=backend)
        assert base64.b64decode(out["plaintext"]) == pt


def test_hmac_sha256(backend):
    for _ in range(100):
        k, m = rand(R.randrange(0, 100)), rand(R.randrange(0, 500))
        assert gstauth.hmac_sha256(k, m, backend=backend) == hmac.new(k, m, hashlib.sha256).digest()


def test_gstn_scheme_both_ways(backend):
    for _ in range(50):
        ek, rek = rand(32), rand(32)
        payload = json.dumps({"x": base64.b64encode(rand(R.randrange(0, 400))).decode()}).encode()
        r = gstauth.gstn_encrypt_request(ek, payload, backend=backend)
        p = base64.b64encode(payload)
        assert pyca_decrypt(ek, base64.b64decode(r.data)) == p
        assert base64.b64decode(r.hmac) == hmac.new(ek, p, hashlib.sha256).digest()
        data = base64.b64encode(pyca_encrypt(rek, p)).decode()
        rek_ct = base64.b64encode(pyca_encrypt(ek, rek)).decode()
        mac = base64.b64encode(hmac.new(rek, p, hashlib.sha256).digest()).decode()
        assert gstauth.gstn_decrypt_response(ek, data, rek_ct, mac, backend=backend) == payload


def test_nic_scheme_both_ways(backend):
    for _ in range(50):
        sek = rand(32)
        payload = json.dumps({"n": R.randrange(10 ** 9), "s": "₹" * R.randrange(0, 40)}, ensure_ascii=False).encode()
        d = gstauth.nic_encrypt_request(sek, payload, backend=backend)
        assert pyca_decrypt(sek, base64.b64decode(d)) == payload
        assert gstauth.nic_decrypt_response(sek, base64.b64encode(pyca_encrypt(sek, payload)).decode(), backend=backend) == payload


def test_backends_byte_identical():
    """Deterministic ops give byte-identical results on both backends."""
    c, w = gstauth.get_backend("cshared"), gstauth.get_backend("wasm")
    for _ in range(20):
        k, pt = rand(32), rand(R.randrange(0, 2000))
        assert gstauth.aes_ecb_encrypt(k, pt, backend=c) == gstauth.aes_ecb_encrypt(k, pt, backend=w)
        js = json.dumps({"p": base64.b64encode(pt).decode()})
        assert gstauth.gstn_encrypt_request(k, js, backend=c) == gstauth.gstn_encrypt_request(k, js, backend=w)
