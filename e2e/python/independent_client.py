"""A GST client written from the public protocol documents alone: the standard library and Python's `cryptography`
package, no gstauth code. It checks that the emulator (`gstauth sandbox`) accepts what the documents describe, and
nothing of gstauth's own reading of them.

What it follows, and where it was read:

- GSTN taxpayer API (GSTN's authenticate and returns API pages, as the Risersoft .NET sample and Vayana's GSP docs
  apply them): `authenticate` with only the five headers clientid, client-secret, state-cd, ip-usr, txn.
  OTPREQUEST {action, app_key, username} with app_key = b64(RSA-PKCS#1-v1.5(GSTN cert, 32 random bytes)); AUTHTOKEN adds
  otp = b64(AES-ECB(app key, OTP)); the answer's sek, AES-ECB-decrypted with the app key, is the session key EK.
  A returns call sends data = b64(AES-ECB(EK, b64(json))) and hmac = b64(HMAC-SHA256(EK, b64(json))); the answer's rek
  decrypts under EK to the REK, data under the REK to b64(json), and hmac = b64(HMAC-SHA256(REK, b64(json))).
- NIC e-invoice v1.04 (einv-apisandbox.nic.in, "Authentication"): headers client_id, client_secret, Gstin;
  {"Data": b64(RSA(NIC key, b64(json {UserName, Password, AppKey, ForceRefreshAccessToken})))}, AppKey = b64(32 random
  bytes); Sek decrypts with the AppKey. Generate IRN: {"Data": b64(AES-ECB(SEK, invoice json))} with user_name and
  AuthToken headers; the answer's Data decrypts under the SEK.
- NIC e-way bill v1.03 (docs.ewaybillgst.gov.in, "Authentication"): headers client-id, client-secret, gstin; the same
  RSA envelope around {action: ACCESSTOKEN, username, password, app_key}. app_key is "any 32 character random unique
  id": like india-compliance, 32 hex characters, and the SEK decrypts with b64decode(app_key), which is 24 bytes
  (AES-192). GENEWAYBILL: {"action": "GENEWAYBILL", "data": b64(AES-ECB(SEK, json))} with the authtoken header.

AES is ECB with PKCS#7 padding ("AES/ECB/PKCS5Padding" in NIC's and GSTN's Java samples), only because the protocols
require it. RSA is PKCS#1 v1.5.
"""
import base64
import hashlib
import hmac
import json
import secrets
import urllib.request
from typing import Any, Dict, Optional, Tuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class ProviderError(Exception):
    """An answer with status 0; `code` is the provider's error code."""

    def __init__(self, api: str, code: str, body: Dict[str, Any]):
        super().__init__(f"{api} error {code}")
        self.api, self.code, self.body = api, code, body


# --- HTTP and crypto, from the standard library and `cryptography` -------------------------------------------------

def call(method: str, url: str, headers: Dict[str, str], body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def unb64(s: str) -> bytes:
    return base64.b64decode(s, validate=True)


def aes_ecb_encrypt(key: bytes, plaintext: bytes) -> bytes:
    padder = sym_padding.PKCS7(128).padder()
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(padder.update(plaintext) + padder.finalize()) + enc.finalize()


def aes_ecb_decrypt(key: bytes, ciphertext: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    unpadder = sym_padding.PKCS7(128).unpadder()
    return unpadder.update(dec.update(ciphertext) + dec.finalize()) + unpadder.finalize()


def rsa_encrypt(public_key: RSAPublicKey, plaintext: bytes) -> str:
    return b64(public_key.encrypt(plaintext, rsa_padding.PKCS1v15()))


def certificate(base: str, name: str) -> x509.Certificate:
    with urllib.request.urlopen(f"{base}/_sandbox/certs/{name}.pem", timeout=30) as resp:
        return x509.load_pem_x509_certificate(resp.read())


# --- GSTN taxpayer API -------------------------------------------------------------------------------------------

class GstnClient:
    def __init__(self, base: str, gstin: str, username: str, client_id: str, client_secret: str):
        self.url = f"{base}/taxpayerapi/v1.0"
        self.gstin, self.username = gstin, username
        self.client_id, self.client_secret = client_id, client_secret
        self.gstn_key = certificate(base, "gstn").public_key()
        self.app_key = b""
        self.auth_token, self.ek = "", b""

    def headers(self) -> Dict[str, str]:
        """The five headers GSTN documents for authenticate, and nothing else."""
        return {"clientid": self.client_id, "client-secret": self.client_secret, "state-cd": self.gstin[:2],
                "ip-usr": "10.0.0.1", "txn": secrets.token_hex(8)}

    def _authenticate(self, body: Dict[str, Any]) -> Dict[str, Any]:
        r = call("POST", f"{self.url}/authenticate", self.headers(), body)
        if r.get("status_cd") != "1":
            raise ProviderError("gstn", r["error"]["error_cd"], r)
        return r

    def request_otp(self) -> Dict[str, Any]:
        self.app_key = secrets.token_bytes(32)
        return self._authenticate({"action": "OTPREQUEST", "username": self.username,
                                   "app_key": rsa_encrypt(self.gstn_key, self.app_key)})

    def auth_token_with_otp(self, otp: str) -> Dict[str, Any]:
        r = self._authenticate({"action": "AUTHTOKEN", "username": self.username,
                                "app_key": rsa_encrypt(self.gstn_key, self.app_key),
                                "otp": b64(aes_ecb_encrypt(self.app_key, otp.encode()))})
        self.auth_token, self.ek = r["auth_token"], aes_ecb_decrypt(self.app_key, unb64(r["sek"]))
        return r

    def retsave(self, payload: Dict[str, Any], ret_period: str) -> Dict[str, Any]:
        """One encrypted RETSAVE; returns the decrypted answer after checking its HMAC under the REK."""
        plain = b64(json.dumps(payload).encode()).encode()  # the plaintext is the base64 TEXT of the JSON
        body = {"action": "RETSAVE", "data": b64(aes_ecb_encrypt(self.ek, plain)),
                "hmac": b64(hmac.new(self.ek, plain, hashlib.sha256).digest())}
        headers = {**self.headers(), "gstin": self.gstin, "username": self.username, "auth-token": self.auth_token,
                   "ret_period": ret_period}
        r = call("POST", f"{self.url}/returns/gstr1", headers, body)
        if r.get("status_cd") != "1":
            raise ProviderError("gstn", r["error"]["error_cd"], r)
        rek = aes_ecb_decrypt(self.ek, unb64(r["rek"]))
        inner = aes_ecb_decrypt(rek, unb64(r["data"]))
        if not hmac.compare_digest(b64(hmac.new(rek, inner, hashlib.sha256).digest()), r["hmac"]):
            raise ValueError("the GSTN answer's hmac does not match its data")
        return json.loads(unb64(inner.decode()))


# --- NIC e-invoice and e-way bill --------------------------------------------------------------------------------

def nic_auth_body(nic_key: RSAPublicKey, payload: Dict[str, Any]) -> Dict[str, str]:
    """{"Data": b64(RSA(NIC key, b64(json)))}."""
    return {"Data": rsa_encrypt(nic_key, b64(json.dumps(payload).encode()).encode())}


class EInvoiceClient:
    def __init__(self, base: str, gstin: str, username: str, password: str, client_id: str, client_secret: str):
        self.base, self.gstin, self.username, self.password = base, gstin, username, password
        self.client_id, self.client_secret = client_id, client_secret
        self.nic_key = certificate(base, "nic").public_key()
        self.auth_token, self.sek = "", b""

    def headers(self) -> Dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret, "Gstin": self.gstin}

    def auth(self) -> Dict[str, Any]:
        app_key = secrets.token_bytes(32)
        r = call("POST", f"{self.base}/eivital/v1.04/auth", self.headers(), nic_auth_body(self.nic_key, {
            "UserName": self.username, "Password": self.password, "AppKey": b64(app_key),
            "ForceRefreshAccessToken": False}))
        if r.get("Status") != 1:
            raise ProviderError("einvoice", r["ErrorDetails"][0]["ErrorCode"], r)
        self.auth_token, self.sek = r["Data"]["AuthToken"], aes_ecb_decrypt(app_key, unb64(r["Data"]["Sek"]))
        return r

    def generate_irn(self, invoice: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """One encrypted Generate IRN: the raw JSON under the SEK (no inner base64). Returns the answer and its
        decrypted Data."""
        headers = {**self.headers(), "user_name": self.username, "AuthToken": self.auth_token}
        r = call("POST", f"{self.base}/eicore/v1.03/Invoice", headers,
                 {"Data": b64(aes_ecb_encrypt(self.sek, json.dumps(invoice).encode()))})
        if r.get("Status") != 1:
            raise ProviderError("einvoice", r["ErrorDetails"][0]["ErrorCode"], r)
        return r, json.loads(aes_ecb_decrypt(self.sek, unb64(r["Data"])))


def verify_rs256(token: str, cert: x509.Certificate) -> Dict[str, Any]:
    """Checks a SignedInvoice or SignedQRCode (RS256 JWT) against the signing certificate; returns its claims."""
    def part(s: str) -> bytes:
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    header, claims, signature = token.split(".")
    if json.loads(part(header)).get("alg") != "RS256":
        raise ValueError("not RS256")
    try:
        cert.public_key().verify(part(signature), f"{header}.{claims}".encode(), rsa_padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise ValueError("the signature does not verify") from None
    return json.loads(part(claims))


class EWayBillClient:
    def __init__(self, base: str, gstin: str, username: str, password: str, client_id: str, client_secret: str):
        self.base, self.gstin, self.username, self.password = base, gstin, username, password
        self.client_id, self.client_secret = client_id, client_secret
        self.nic_key = certificate(base, "nic").public_key()
        self.app_key = ""
        self.auth_token, self.sek = "", b""

    def headers(self) -> Dict[str, str]:
        return {"client-id": self.client_id, "client-secret": self.client_secret, "gstin": self.gstin}

    @staticmethod
    def error_codes(r: Dict[str, Any]) -> str:
        return json.loads(unb64(r["error"]))["errorCodes"].strip(",")

    def auth(self) -> Dict[str, Any]:
        self.app_key = secrets.token_hex(16)  # "any 32 character random unique id", as india-compliance makes it
        r = call("POST", f"{self.base}/auth/", self.headers(), nic_auth_body(self.nic_key, {
            "action": "ACCESSTOKEN", "username": self.username, "password": self.password, "app_key": self.app_key}))
        if r.get("status") != "1":
            raise ProviderError("ewaybill", self.error_codes(r), r)
        self.auth_token = r["authtoken"]
        self.sek = aes_ecb_decrypt(base64.b64decode(self.app_key), unb64(r["sek"]))  # 24-byte key: AES-192
        return r

    def generate(self, bill: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """One encrypted GENEWAYBILL; returns the answer and its decrypted data."""
        r = call("POST", f"{self.base}/ewayapi/", {**self.headers(), "authtoken": self.auth_token},
                 {"action": "GENEWAYBILL", "data": b64(aes_ecb_encrypt(self.sek, json.dumps(bill).encode()))})
        if r.get("status") != "1":
            raise ProviderError("ewaybill", self.error_codes(r), r)
        return r, json.loads(aes_ecb_decrypt(self.sek, unb64(r["data"])))
