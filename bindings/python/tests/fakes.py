"""Fake providers for the session and adapter tests, written with pyca `cryptography` and the standard library (no
gstauth code): an OAuth token endpoint with an RFC 6750 API, and NIC e-invoice auth with an encrypted API. They answer
(status, headers, body text) for (method, url, headers, body bytes); header names are matched lower-case."""
import base64
import json
import os
import threading
import time
from typing import Dict, Optional, Set, Tuple

from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as apad
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from conftest import key

Answer = Tuple[int, Dict[str, str], str]
JSON = {"Content-Type": "application/json"}


def aes_encrypt(k: bytes, pt: bytes) -> bytes:
    p = padding.PKCS7(128).padder()
    e = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
    return e.update(p.update(pt) + p.finalize()) + e.finalize()


def aes_decrypt(k: bytes, ct: bytes) -> bytes:
    d = Cipher(algorithms.AES(k), modes.ECB()).decryptor()
    u = padding.PKCS7(128).unpadder()
    return u.update(d.update(ct) + d.finalize()) + u.finalize()


class OAuthServer:
    """A client-credentials token endpoint (/oauth/token) and an API (anything else) whose tokens stay valid until
    revoked; an invalid token gets 401 with WWW-Authenticate error="invalid_token"."""

    def __init__(self, delay: float = 0.0, lifetime_s: int = 3600):
        self.delay, self.lifetime_s = delay, lifetime_s
        self.tokens_issued = 0
        self.api_calls = 0
        self.valid: Set[str] = set()
        self.lock = threading.Lock()
        self.reject_all = False  # a broken API: every token is refused

    def revoke(self) -> None:
        with self.lock:
            self.valid.clear()

    def handle(self, method: str, url: str, headers: Dict[str, str], body: bytes) -> Answer:
        if url.endswith("/oauth/token"):
            time.sleep(self.delay)
            assert method == "POST" and b"grant_type=client_credentials" in body
            with self.lock:
                self.tokens_issued += 1
                tok = f"tok-{self.tokens_issued}"
                self.valid.add(tok)
            return 200, JSON, json.dumps({"access_token": tok, "token_type": "Bearer", "expires_in": self.lifetime_s})
        with self.lock:
            self.api_calls += 1
            ok = not self.reject_all and headers.get("authorization", "").removeprefix("Bearer ") in self.valid
        if ok:
            return 200, JSON, json.dumps({"ok": True, "token": headers["authorization"], "echo": body.decode()})
        return 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, ""


class NICServer:
    """NIC e-invoice v1.04: /eivital/v1.04/auth ({"Data": b64(RSA(b64(json)))} with UserName, Password, AppKey) and
    an encrypted API: {"Data": b64(AES(SEK, json))} in, the same out; a dead token gets ErrorCode 1005."""

    def __init__(self):
        self.private = serialization.load_pem_private_key(key("nic-test.key").encode(), None)
        self.tokens: Dict[str, bytes] = {}  # token → SEK
        self.auth_requests = 0
        self.api_calls = 0
        self.received: list = []
        self.lock = threading.Lock()
        self.reject_all = False

    def revoke(self) -> None:
        with self.lock:
            self.tokens.clear()

    def handle(self, method: str, url: str, headers: Dict[str, str], body: bytes) -> Answer:
        if url.endswith("/eivital/v1.04/auth"):
            data = base64.b64decode(json.loads(body)["Data"])
            creds = json.loads(base64.b64decode(self.private.decrypt(data, apad.PKCS1v15())))
            assert creds["UserName"] == "api_user" and creds["Password"] == "pw"
            app_key = base64.b64decode(creds["AppKey"])
            sek = os.urandom(32)
            with self.lock:
                self.auth_requests += 1
                tok = f"nic-{self.auth_requests}"
                self.tokens[tok] = sek
            return 200, JSON, json.dumps({"Status": 1, "Data": {"ClientId": "nic-client", "UserName": "api_user",
                                                                "AuthToken": tok,
                                                                "Sek": base64.b64encode(aes_encrypt(app_key, sek)).decode()}})
        with self.lock:
            self.api_calls += 1
            sek: Optional[bytes] = None if self.reject_all else self.tokens.get(headers.get("authtoken", ""))
        if sek is None:
            return 200, JSON, json.dumps({"Status": 0, "ErrorDetails": [{"ErrorCode": "1005", "ErrorMessage": "Invalid Token"}]})
        invoice = json.loads(aes_decrypt(sek, base64.b64decode(json.loads(body)["Data"])))
        self.received.append(invoice)
        answer = json.dumps({"Irn": "irn-" + str(invoice["DocNo"]), "AckNo": 1}).encode()
        return 200, JSON, json.dumps({"Status": 1, "Data": base64.b64encode(aes_encrypt(sek, answer)).decode()})


def nic_config():
    return {"base_url": "https://einv.example", "client_id": "nic-client", "gstin": "29AAFCD5862R000",
            "username": "api_user"}


def nic_credentials():
    return {"client_secret": "nic-secret", "password": "pw", "public_key": key("nic-test.crt")}


API = "https://einv.example/eicore/v1.03/Invoice"
