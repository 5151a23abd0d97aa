#!/usr/bin/env python3
"""Generate the JWT, RSA-SHA256, PKCS#12 and certificate vectors with Python `cryptography` (not gstauth).

JWTs are assembled by hand (base64url + RSASSA-PKCS1-v1_5 SHA-256 from cryptography), PKCS#12 files were written by
the OpenSSL 3 CLI (testdata/keys/README.md), Wycheproof RSA signature vectors come from the Go module proxy.
"""
import base64
import hashlib
import json
import os
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding as apad
from cryptography.hazmat.primitives.serialization import pkcs12

from common import KEYS, b64, invalid, read_key, ref, steps, valid, write

WYCHEPROOF_VERSION = "v0.0.0-20260105152342-fca0d3ba9f12"
PYCA = "Python cryptography 48.0.0"

SIGN_KEY_PEM = read_key("nic-sign-test.key")
SIGN_CRT = read_key("nic-sign-test.crt")
SIGN_PUB = read_key("nic-sign-test.pub")
SIGN2_KEY_PEM = read_key("nic-sign-test-2.key")
SIGN2_CRT = read_key("nic-sign-test-2.crt")
WEAK_CRT = read_key("weak-1024.crt")
WEAK_KEY = read_key("weak-1024.key")
EC_CRT = read_key("ec-test.crt")
GSTN_CRT = read_key("gstn-test.crt")

SIGN_KEY = serialization.load_pem_private_key(SIGN_KEY_PEM.encode(), None)
SIGN2_KEY = serialization.load_pem_private_key(SIGN2_KEY_PEM.encode(), None)
WEAK = serialization.load_pem_private_key(WEAK_KEY.encode(), None)


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def thumbprints(pem: str):
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    s1, s256 = hashlib.sha1(der).digest(), hashlib.sha256(der).digest()
    return {"x5t": b64url(s1), "x5t_s256": b64url(s256), "sha1_hex": s1.hex().upper()}


def jws(key, header: dict, claims, *, raw_header=None, raw_claims=None, sign_with_hash=hashes.SHA256()):
    h = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    c = raw_claims if raw_claims is not None else json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode()
    signing_input = b64url(h) + "." + b64url(c)
    sig = key.sign(signing_input.encode(), apad.PKCS1v15(), sign_with_hash)
    return signing_input + "." + b64url(sig)


T1, T2 = thumbprints(SIGN_CRT), thumbprints(SIGN2_CRT)
INVOICE = {"AckNo": 112010036563310, "AckDt": "2026-04-01 12:00:00", "Irn": "a5c12dca80e743321740b001fd70953e8738d109865d28ba4013750f2046f229",
           "SellerDtls": {"Gstin": "29AAFCD5862R000", "LglNm": "Test Seller"}, "ItemList": [{"SlNo": "1", "TotItemVal": 118000}]}
QR = {"SellerGstin": "29AAFCD5862R000", "BuyerGstin": "27AAACR5055K1Z7", "DocNo": "INV/26/0001", "DocTyp": "INV", "DocDt": "01/04/2026",
      "TotInvVal": 118000, "ItemCnt": 1, "MainHsnCode": "1001", "Irn": INVOICE["Irn"], "IrnDt": "2026-04-01 12:00:00"}
HDR = {"alg": "RS256", "kid": T1["sha1_hex"], "typ": "JWT", "x5t": T1["x5t"]}


def claims_for(obj, iss="NIC Sandbox"):
    return {"data": json.dumps(obj, separators=(",", ":")), "iss": iss}


def gen_jwt():
    tests = []

    def ok(comment, token, header, claims, data, certs=None):
        tests.append(valid(comment, {"jwt": token, "certificates": certs or [SIGN_CRT]},
                           {"header": header, "claims": claims, "data": data}))

    c = claims_for(INVOICE)
    ok("SignedInvoice, kid = SHA-1 hex, x5t", jws(SIGN_KEY, HDR, c), HDR, c, INVOICE)
    cq = claims_for(QR)
    ok("SignedQRCode", jws(SIGN_KEY, HDR, cq), HDR, cq, QR)
    h2 = {"alg": "RS256", "kid": T2["sha1_hex"], "typ": "JWT", "x5t": T2["x5t"]}
    ok("second signer chosen by x5t among two certificates", jws(SIGN2_KEY, h2, c), h2, c, INVOICE, [SIGN_CRT, SIGN2_CRT])
    hk = {"alg": "RS256", "kid": T2["sha1_hex"].lower(), "typ": "JWT"}
    ok("chosen by kid alone (lower-case hex)", jws(SIGN2_KEY, hk, c), hk, c, INVOICE, [SIGN_CRT, SIGN2_CRT])
    hn = {"alg": "RS256", "typ": "JWT"}
    ok("no kid or x5t, exactly one certificate", jws(SIGN_KEY, hn, c), hn, c, INVOICE)
    cn = {"data": "not json", "iss": "NIC"}
    ok("data claim that is not JSON text: data is null", jws(SIGN_KEY, HDR, cn), HDR, cn, None)
    cb = {"iss": "NIC", "n": 1.5}
    ok("no data claim", jws(SIGN_KEY, HDR, cb), HDR, cb, None)

    good = jws(SIGN_KEY, HDR, c)
    hp, pp, sp = good.split(".")

    def bad(comment, token, certs=None, code="signature_invalid"):
        tests.append(invalid(comment, {"jwt": token, "certificates": certs or [SIGN_CRT]}, code))

    bad("alg none", b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + pp + ".")
    import hmac as _h
    hs_in = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + pp
    bad("HS256 with the public key as the secret", hs_in + "." + b64url(_h.new(SIGN_PUB.encode(), hs_in.encode(), hashlib.sha256).digest()))
    bad("RS384", jws(SIGN_KEY, {**HDR, "alg": "RS384"}, c, sign_with_hash=hashes.SHA384()))
    bad("PS256 header on an RS256 signature", jws(SIGN_KEY, {**HDR, "alg": "PS256"}, c))
    bad("unknown kid, no x5t", jws(SIGN_KEY, {"alg": "RS256", "kid": "00" * 20}, c))
    bad("x5t of another certificate", jws(SIGN_KEY, {**HDR, "x5t": T2["x5t"]}, c))
    bad("signed by the other key, x5t names this one", jws(SIGN2_KEY, HDR, c))
    sig = bytearray(base64.urlsafe_b64decode(sp + "=" * (-len(sp) % 4)))
    sig[10] ^= 1
    bad("flipped signature bit", hp + "." + pp + "." + b64url(bytes(sig)))
    bad("payload changed after signing", hp + "." + b64url(json.dumps(claims_for({**INVOICE, "AckNo": 1})).encode()) + "." + sp)
    bad("two segments", hp + "." + pp)
    bad("four segments", good + "." + sp)
    bad("padding in a segment", hp + "." + pp + "=" + "." + sp)
    bad("standard base64 characters in the signature", hp + "." + pp + "." + sp.replace("-", "+").replace("_", "/") + ("+" if "-" not in sp and "_" not in sp else ""))
    bad("header is a JSON array", b64url(b"[1]") + "." + pp + "." + sp)
    bad("duplicate alg in the header", jws(SIGN_KEY, None, c, raw_header=b'{"alg":"RS256","alg":"none","x5t":"' + T1["x5t"].encode() + b'"}'))
    bad("crit header", jws(SIGN_KEY, {**HDR, "crit": ["exp"]}, c))
    bad("empty token", "")
    tests.append(invalid("oversize token (over 8 MiB)", {"jwt": "a" * (8 * 1024 * 1024 + 1), "certificates": [SIGN_CRT]}, "too_large"))
    tests.append(invalid("empty certificate list", {"jwt": good, "certificates": []}, "invalid_key"))
    tests.append(invalid("1024-bit certificate", {"jwt": jws(WEAK, {"alg": "RS256"}, c), "certificates": [WEAK_CRT]}, "invalid_key"))
    tests.append(invalid("EC certificate", {"jwt": good, "certificates": [EC_CRT]}, "invalid_key"))
    tests.append(invalid("certificates is a string", {"jwt": good, "certificates": SIGN_CRT}, "invalid_input"))
    write("verify_signed_jwt", "verify_signed_jwt",
          "Verify NIC SignedInvoice / SignedQRCode RS256 JWTs against certificates chosen by x5t or kid.",
          PYCA + " signs every token (RSASSA-PKCS1-v1_5 SHA-256 over base64url(header).base64url(payload)); "
          "the JSON is assembled by the generator.",
          ["RFC 7515 §7.1, RFC 7519; NIC e-invoice SignedInvoice/SignedQRCode shape in ../shared/reference/gst-protocols.md"], tests)

    tests = [steps("sign with the emulator's op, verify with verify_signed_jwt", [
        {"op": "sign_jwt_rs256", "input": {"private_key": SIGN_KEY_PEM, "header": {"kid": T1["sha1_hex"], "x5t": T1["x5t"], "typ": "JWT"},
                                           "claims": claims_for(QR)}, "result": "valid"},
        {"op": "verify_signed_jwt", "input": {"jwt": ref("0.output.jwt"), "certificates": [SIGN_CRT]}, "result": "valid",
         "output": {"header": {"alg": "RS256", "kid": T1["sha1_hex"], "typ": "JWT", "x5t": T1["x5t"]}, "claims": claims_for(QR), "data": QR}}]),
        valid("RS256 is deterministic: the same token as Python", {"private_key": SIGN_KEY_PEM, "header": {"typ": "JWT"}, "claims": {"iss": "NIC"}},
              {"jwt": jws(SIGN_KEY, {"alg": "RS256", "typ": "JWT"}, {"iss": "NIC"})}),
        invalid("claims missing", {"private_key": SIGN_KEY_PEM}, "invalid_input")]
    write("sign_jwt_rs256", "sign_jwt_rs256", "RS256 JWT signing (the emulator signs SignedInvoice with it).",
          PYCA + " produced the deterministic token (keys sorted as Go's encoding/json sorts map keys).", [], tests)


def gen_rsa_sha256():
    msgs = [b"", b"GetKey", b'{"action":"ACCESSTOKEN"}', bytes(range(256))]
    tests = []
    for m in msgs:
        sig = SIGN_KEY.sign(m, apad.PKCS1v15(), hashes.SHA256())
        tests.append(valid(f"PEM key, {len(m)}-byte message", {"private_key": SIGN_KEY_PEM, "message": b64(m)}, {"signature": b64(sig)}))
    pfx_aes = base64.b64encode(open(os.path.join(KEYS, "pfx-test-aes.pfx"), "rb").read()).decode()
    pfx_legacy = base64.b64encode(open(os.path.join(KEYS, "pfx-test-legacy.pfx"), "rb").read()).decode()
    m = b"GetKey"
    sig = b64(SIGN_KEY.sign(m, apad.PKCS1v15(), hashes.SHA256()))
    tests.append(valid("PKCS#12 from OpenSSL 3 (PBES2, AES-256-CBC)", {"pkcs12": pfx_aes, "password": "test-only", "message": b64(m)}, {"signature": sig}))
    tests.append(valid("PKCS#12 legacy (RC2/3DES)", {"pkcs12": pfx_legacy, "password": "test-only", "message": b64(m)}, {"signature": sig}))
    tests.append(invalid("PKCS#12 with the wrong password", {"pkcs12": pfx_aes, "password": "wrong", "message": b64(m)}, "invalid_key"))
    tests.append(invalid("1024-bit key", {"private_key": WEAK_KEY, "message": b64(m)}, "invalid_key"))
    tests.append(invalid("both a PEM key and a PKCS#12", {"private_key": SIGN_KEY_PEM, "pkcs12": pfx_aes, "password": "test-only", "message": b64(m)}, "invalid_input"))
    tests.append(invalid("no key", {"message": b64(m)}, "invalid_input"))
    write("rsa_sha256_sign", "rsa_sha256_sign", "RSASSA-PKCS1-v1_5 SHA-256 signing (gateway handshakes, enterprise request signing).",
          PYCA + " computed every signature (PKCS#1 v1.5 signatures are deterministic); the PKCS#12 files were written by OpenSSL 3.0.",
          ["RFC 8017 §8.2", "testdata/keys/pfx-test-*.pfx"], tests)

    d = os.path.join(subprocess.check_output(["go", "env", "GOMODCACHE"], text=True).strip(),
                     f"github.com/c2sp/wycheproof@{WYCHEPROOF_VERSION}", "testvectors_v1")
    tests = []
    for bits in (2048, 3072, 4096):
        name = f"rsa_signature_{bits}_sha256_test.json"
        w = json.load(open(os.path.join(d, name)))
        for g in w["testGroups"]:
            pub = serialization.load_pem_public_key(g["publicKeyPem"].encode())
            for t in g["tests"]:
                inp = {"public_key": g["publicKeyPem"], "message": b64(bytes.fromhex(t["msg"])), "signature": b64(bytes.fromhex(t["sig"]))}
                comment = f"Wycheproof {name} #{t['tcId']} {t['comment']}".strip()
                flags = ["Wycheproof"] + t["flags"]
                if t["result"] == "valid":
                    pub.verify(bytes.fromhex(t["sig"]), bytes.fromhex(t["msg"]), apad.PKCS1v15(), hashes.SHA256())
                    tests.append(valid(comment, inp, {}, flags))
                else:
                    # "acceptable" cases (e.g. a DigestInfo without the NULL parameter) are refused: gstauth is strict.
                    tests.append(invalid(comment + (" (acceptable in Wycheproof; refused)" if t["result"] == "acceptable" else ""),
                                         inp, "signature_invalid", flags))
    m = b"hello"
    tests.append(valid("certificate PEM as the key", {"public_key": SIGN_CRT, "message": b64(m),
                                                       "signature": b64(SIGN_KEY.sign(m, apad.PKCS1v15(), hashes.SHA256()))}, {}))
    tests.append(invalid("1024-bit key", {"public_key": WEAK_CRT, "message": b64(m), "signature": b64(WEAK.sign(m, apad.PKCS1v15(), hashes.SHA256()))}, "invalid_key"))
    write("rsa_sha256_verify", "rsa_sha256_verify", "RSASSA-PKCS1-v1_5 SHA-256 verification.",
          "Wycheproof results cross-checked with " + PYCA + " for every valid case; 'acceptable' maps to invalid.",
          [f"Wycheproof testvectors_v1/rsa_signature_{{2048,3072,4096}}_sha256_test.json, Go module "
           f"github.com/c2sp/wycheproof@{WYCHEPROOF_VERSION} (Apache-2.0)"], tests)


def gen_pkcs12():
    tests = []
    cert = x509.load_pem_x509_certificate(SIGN_CRT.encode())
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    info = {"certificate": pem, "x5t": T1["x5t"], "x5t_s256": T1["x5t_s256"], "subject": cert.subject.rfc4514_string(),
            "not_before_ms": int(cert.not_valid_before_utc.timestamp() * 1000), "not_after_ms": int(cert.not_valid_after_utc.timestamp() * 1000)}
    for f, comment in (("pfx-test-aes.pfx", "OpenSSL 3 default: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC"), ("pfx-test-legacy.pfx", "OpenSSL -legacy: RC2/3DES, SHA-1 MAC")):
        raw = open(os.path.join(KEYS, f), "rb").read()
        k, c, _ = pkcs12.load_key_and_certificates(raw, b"test-only")
        assert c.public_bytes(serialization.Encoding.PEM).decode() == pem
        tests.append(valid(comment, {"pkcs12": b64(raw), "password": "test-only"}, info))
    raw = open(os.path.join(KEYS, "pfx-test-aes.pfx"), "rb").read()
    tests.append(invalid("wrong password", {"pkcs12": b64(raw), "password": "test-onlY"}, "invalid_key"))
    tests.append(invalid("truncated file", {"pkcs12": b64(raw[:200]), "password": "test-only"}, "invalid_key"))
    tests.append(invalid("not base64", {"pkcs12": "!!", "password": "test-only"}, "invalid_input"))
    write("pkcs12_info", "pkcs12_info", "Open a PKCS#12 file and describe its certificate.",
          "Files written by the OpenSSL 3.0 CLI; expected certificate and validity read by " + PYCA + " (pkcs12 + x509); "
          "thumbprints by hashlib.", ["testdata/keys/README.md"], tests)

    tests = []
    for name, pem_text in (("nic-sign-test.crt", SIGN_CRT), ("gstn-test.crt", GSTN_CRT)):
        c = x509.load_pem_x509_certificate(pem_text.encode())
        t = thumbprints(pem_text)
        subject = c.subject.rfc4514_string()
        tests.append(valid(name, {"certificate": pem_text}, {"x5t": t["x5t"], "x5t_s256": t["x5t_s256"], "subject": subject,
                                                              "not_before_ms": int(c.not_valid_before_utc.timestamp() * 1000),
                                                              "not_after_ms": int(c.not_valid_after_utc.timestamp() * 1000)}))
    tests.append(invalid("two certificates", {"certificate": SIGN_CRT + GSTN_CRT}, "invalid_input"))
    tests.append(invalid("a private key", {"certificate": SIGN_KEY_PEM}, "invalid_key"))
    write("certificate_info", "certificate_info", "A certificate's x5t, x5t#S256 (RFC 7515 §4.1.7–8, RFC 8705 §3.1), subject and validity.",
          "hashlib SHA-1/SHA-256 over the DER from " + PYCA + "; subject by rfc4514_string().", [], tests)


if __name__ == "__main__":
    gen_jwt()
    gen_rsa_sha256()
    gen_pkcs12()
