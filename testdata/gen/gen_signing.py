#!/usr/bin/env python3
"""Generate the JWT, RSA-SHA256, PKCS#12 and certificate vectors with Python `cryptography` (not gstauth).

JWTs are assembled here (base64url + RSASSA-PKCS1-v1_5 SHA-256 from cryptography). The key files were written by the
OpenSSL 3 CLI and by Python cryptography (testdata/gen/sign_keys.sh, testdata/keys/README.md); every expected key,
certificate and signature below is read or computed by Python cryptography from them. Wycheproof RSA signature vectors
come from the Go module proxy, and every one of them is replayed through Python cryptography as well.
"""
import base64
import hashlib
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding as apad
from cryptography.hazmat.primitives.serialization import pkcs12

from common import KEYS, VECTORS, WYCHEPROOF_VERSION, b64, invalid, read_key, ref, steps, valid, write, wycheproof_file

PYCA = "Python cryptography 48.0.0"
PW = "test-only"

SIGN_KEY_PEM = read_key("nic-sign-test.key")
SIGN_CRT = read_key("nic-sign-test.crt")
SIGN_PUB = read_key("nic-sign-test.pub")
SIGN2_KEY_PEM = read_key("nic-sign-test-2.key")
SIGN2_CRT = read_key("nic-sign-test-2.crt")
WEAK_CRT = read_key("weak-1024.crt")
WEAK_KEY = read_key("weak-1024.key")
EC_CRT = read_key("ec-test.crt")
EC_KEY = read_key("ec-test.key")
GSTN_CRT = read_key("gstn-test.crt")

SIGN_KEY = serialization.load_pem_private_key(SIGN_KEY_PEM.encode(), None)
SIGN2_KEY = serialization.load_pem_private_key(SIGN2_KEY_PEM.encode(), None)
WEAK = serialization.load_pem_private_key(WEAK_KEY.encode(), None)


def validity(pem: str):
    """notBefore and notAfter in Unix ms, as Python cryptography reads them."""
    c = x509.load_pem_x509_certificate(pem.encode())
    return int(c.not_valid_before_utc.timestamp() * 1000), int(c.not_valid_after_utc.timestamp() * 1000)


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def thumbprints(pem: str):
    c = x509.load_pem_x509_certificate(pem.encode())
    der = c.public_bytes(serialization.Encoding.DER)
    s1, s256 = hashlib.sha1(der).digest(), hashlib.sha256(der).digest()
    ski = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    return {"x5t": b64url(s1), "x5t_s256": b64url(s256), "sha1_hex": s1.hex().upper(), "sha256_hex": s256.hex(),
            "ski_hex": ski.hex(), "serial": str(c.serial_number)}


def dumps(obj) -> bytes:
    """JSON as gstauth's SignJWTRS256 writes it: compact, members sorted, UTF-8, no HTML escaping."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def jws(key, header, claims, *, raw_header=None, raw_claims=None, sign_with_hash=hashes.SHA256()):
    h = raw_header if raw_header is not None else dumps(header)
    c = raw_claims if raw_claims is not None else dumps(claims)
    signing_input = b64url(h) + "." + b64url(c)
    sig = key.sign(signing_input.encode(), apad.PKCS1v15(), sign_with_hash)
    return signing_input + "." + b64url(sig)


T1, T2 = thumbprints(SIGN_CRT), thumbprints(SIGN2_CRT)
INVOICE = {"AckNo": 112010036563310, "AckDt": "2026-04-01 12:00:00", "Irn": "a5c12dca80e743321740b001fd70953e8738d109865d28ba4013750f2046f229",
           "SellerDtls": {"Gstin": "29AAFCD5862R000", "LglNm": "Test Seller"}, "ItemList": [{"SlNo": "1", "TotItemVal": 118000}]}
QR = {"SellerGstin": "29AAFCD5862R000", "BuyerGstin": "27AAACR5055K1Z7", "DocNo": "INV/26/0001", "DocTyp": "INV", "DocDt": "01/04/2026",
      "TotInvVal": 118000, "ItemCnt": 1, "MainHsnCode": "1001", "Irn": INVOICE["Irn"], "IrnDt": "2026-04-01 12:00:00"}
# NIC's header: kid is the SHA-1 thumbprint in upper-case hex, x5t the same digest in base64url.
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
    ok("both certificates in one PEM string", jws(SIGN2_KEY, h2, c), h2, c, INVOICE, [SIGN_CRT + SIGN2_CRT])
    hk = {"alg": "RS256", "kid": T2["sha1_hex"].lower(), "typ": "JWT"}
    ok("chosen by kid alone (lower-case hex)", jws(SIGN2_KEY, hk, c), hk, c, INVOICE, [SIGN_CRT, SIGN2_CRT])
    hk = {"alg": "RS256", "kid": T2["x5t"]}
    ok("kid = SHA-1 thumbprint in base64url", jws(SIGN2_KEY, hk, c), hk, c, INVOICE, [SIGN_CRT, SIGN2_CRT])
    hk = {"alg": "RS256", "kid": T2["sha256_hex"]}
    ok("kid = SHA-256 thumbprint in hex", jws(SIGN2_KEY, hk, c), hk, c, INVOICE, [SIGN_CRT, SIGN2_CRT])
    hk = {"alg": "RS256", "kid": T2["ski_hex"]}
    ok("kid = subject key identifier in hex", jws(SIGN2_KEY, hk, c), hk, c, INVOICE, [SIGN_CRT, SIGN2_CRT])
    hk = {"alg": "RS256", "x5t#S256": T2["x5t_s256"]}
    ok("x5t#S256 alone", jws(SIGN2_KEY, hk, c), hk, c, INVOICE, [SIGN_CRT, SIGN2_CRT])
    ok("the same certificate twice", jws(SIGN_KEY, HDR, c), HDR, c, INVOICE, [SIGN_CRT, SIGN_CRT])
    hn = {"alg": "RS256", "typ": "JWT"}
    ok("no kid or x5t, exactly one certificate", jws(SIGN_KEY, hn, c), hn, c, INVOICE)
    hj = {**HDR, "jwk": {"kty": "RSA", "n": b64url(SIGN2_KEY.public_key().public_numbers().n.to_bytes(384, "big")), "e": "AQAB"}}
    ok("a jwk in the header is ignored: the key comes from the certificates", jws(SIGN_KEY, hj, c), hj, c, INVOICE)
    cn = {"data": "not json", "iss": "NIC"}
    ok("data claim that is not JSON text: data is null", jws(SIGN_KEY, HDR, cn), HDR, cn, None)
    cs = {"data": "\"a JSON string\"", "iss": "NIC"}
    ok("data claim holding a JSON string: data is null", jws(SIGN_KEY, HDR, cs), HDR, cs, None)
    ca = claims_for([QR, QR])
    ok("data claim holding a JSON array", jws(SIGN_KEY, HDR, ca), HDR, ca, [QR, QR])
    cb = {"iss": "NIC", "n": 1.5}
    ok("no data claim", jws(SIGN_KEY, HDR, cb), HDR, cb, None)
    cbig = {"AckNo": 112010036563310123456789, "iss": "NIC"}
    ok("an integer claim beyond 2^53 keeps every digit", jws(SIGN_KEY, HDR, cbig), HDR, cbig, None)
    cu = {"data": json.dumps({"LglNm": "मेसर्स ₹ Traders & <Co>"}, ensure_ascii=False), "iss": "NIC"}
    ok("UTF-8 and HTML characters in the claims", jws(SIGN_KEY, HDR, cu), HDR, cu, {"LglNm": "मेसर्स ₹ Traders & <Co>"})
    # A kid in no thumbprint form is an opaque label: it names nothing, so the token verifies only against a set of
    # exactly one certificate, the pinned one; an x5t beside it must still name that certificate.
    for label, kid in [("the certificate's serial number", T1["serial"]), ("a label such as nic-2026", "nic-2026"),
                       ("39 hex digits (one short of a SHA-1 thumbprint)", T1["sha1_hex"][:-1])]:
        ho = {"alg": "RS256", "kid": kid}
        ok(f"opaque kid ({label}), one pinned certificate", jws(SIGN_KEY, ho, c), ho, c, INVOICE)
    ho = {"alg": "RS256", "kid": "nic-2026", "x5t": T1["x5t"]}
    ok("opaque kid beside an x5t that names the pinned certificate", jws(SIGN_KEY, ho, c), ho, c, INVOICE)
    # now_ms: the verifying certificate must be valid at that instant, to the millisecond (NotBefore <= now <= NotAfter).
    nb, na = validity(SIGN_CRT)
    for label, now in [("at its notBefore", nb), ("at its notAfter", na), ("between them", nb + 1000 * 86400)]:
        tests.append(valid(f"now_ms {now}: the certificate is valid {label}", {"jwt": jws(SIGN_KEY, HDR, c), "certificates": [SIGN_CRT], "now_ms": now},
                           {"header": HDR, "claims": c, "data": INVOICE}, ["boundary"]))
    nb2, _ = validity(SIGN2_CRT)
    assert nb2 == nb + 1000
    tests.append(valid(f"now_ms {nb}: chosen by x5t among two certificates, the one that verifies is valid",
                       {"jwt": jws(SIGN2_KEY, h2, c), "certificates": [SIGN_CRT, SIGN2_CRT], "now_ms": nb2},
                       {"header": h2, "claims": c, "data": INVOICE}, ["boundary"]))

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
    bad("alg in lower case", jws(SIGN_KEY, {**HDR, "alg": "rs256"}, c))
    bad("alg missing", jws(SIGN_KEY, {k: v for k, v in HDR.items() if k != "alg"}, c))
    bad("RS256 header with an empty signature", hp + "." + pp + ".")
    bad("unknown kid, no x5t, one certificate", jws(SIGN_KEY, {"alg": "RS256", "kid": "00" * 20}, c))
    bad("x5t of another certificate", jws(SIGN_KEY, {**HDR, "x5t": T2["x5t"]}, c))
    bad("kid and x5t name different certificates", jws(SIGN_KEY, {**HDR, "kid": T2["sha1_hex"]}, c), [SIGN_CRT, SIGN2_CRT])
    bad("opaque kid and two certificates: the token names none of them", jws(SIGN_KEY, {"alg": "RS256", "kid": "nic-2026"}, c),
        [SIGN_CRT, SIGN2_CRT])
    bad("opaque kid beside an x5t of another certificate", jws(SIGN_KEY, {"alg": "RS256", "kid": "nic-2026", "x5t": T2["x5t"]}, c))
    bad("kid in thumbprint form naming another certificate than the one pinned",
        jws(SIGN_KEY, {"alg": "RS256", "kid": T2["sha1_hex"]}, c))
    bad("kid = SHA-256 thumbprint in base64url of another certificate", jws(SIGN_KEY, {"alg": "RS256", "kid": T2["x5t_s256"]}, c))
    for label, now in [("1 ms before its notBefore", nb - 1), ("1 ms after its notAfter", na + 1)]:
        tests.append(invalid(f"now_ms: the certificate that verifies is not yet or no longer valid, {label}",
                             {"jwt": good, "certificates": [SIGN_CRT], "now_ms": now}, "signature_invalid", ["boundary"]))
    tests.append(invalid(f"now_ms {nb2 - 1}: the second certificate verifies but is not valid yet (1 ms before its notBefore)",
                         {"jwt": jws(SIGN2_KEY, h2, c), "certificates": [SIGN_CRT, SIGN2_CRT], "now_ms": nb2 - 1},
                         "signature_invalid", ["boundary"]))
    bad("kid is a number", jws(SIGN_KEY, {"alg": "RS256", "kid": 1}, c))
    bad("x5t is empty", jws(SIGN_KEY, {"alg": "RS256", "x5t": ""}, c))
    bad("no kid or x5t, two certificates", jws(SIGN_KEY, hn, c), [SIGN_CRT, SIGN2_CRT])
    bad("signed by the other key, x5t names this one", jws(SIGN2_KEY, HDR, c), [SIGN_CRT, SIGN2_CRT])
    sig = bytearray(b64url_decode(sp))
    sig[10] ^= 1
    bad("flipped signature bit", hp + "." + pp + "." + b64url(bytes(sig)))
    bad("signature one byte short", hp + "." + pp + "." + b64url(b64url_decode(sp)[1:]))
    bad("payload changed after signing", hp + "." + b64url(dumps(claims_for({**INVOICE, "AckNo": 1}))) + "." + sp)
    bad("header changed after signing (typ)", b64url(dumps({**HDR, "typ": "JOSE"})) + "." + pp + "." + sp)
    bad("two segments", hp + "." + pp)
    bad("four segments", good + "." + sp)
    bad("padding in a segment", hp + "." + pp + "=" + "." + sp)
    bad("standard base64 characters in the signature", hp + "." + pp + "." + sp.replace("-", "+").replace("_", "/") + ("+" if "-" not in sp and "_" not in sp else ""))
    # 256 bytes take 342 base64url characters whose last one carries 2 unused bits: set one.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert len(sp) == 342 and alphabet.index(sp[-1]) % 4 == 0
    bad("non-canonical base64url (unused bits set) in the signature", hp + "." + pp + "." + sp[:-1] + alphabet[alphabet.index(sp[-1]) + 1])
    bad("line break inside the payload", hp + "." + pp[:20] + "\n" + pp[20:] + "." + sp)
    bad("trailing newline", good + "\n")
    bad("header is a JSON array", b64url(b"[1]") + "." + pp + "." + sp)
    bad("header is not UTF-8", jws(SIGN_KEY, None, c, raw_header=b'{"alg":"RS256","x5t":"' + T1["x5t"].encode() + b'","n":"\xff"}'))
    bad("duplicate alg in the header", jws(SIGN_KEY, None, c, raw_header=b'{"alg":"RS256","alg":"none","x5t":"' + T1["x5t"].encode() + b'"}'))
    bad("duplicate name nested in the claims", jws(SIGN_KEY, HDR, None, raw_claims=b'{"iss":"NIC","x":{"a":1,"a":2}}'))
    bad("payload is a JSON array, correctly signed", jws(SIGN_KEY, HDR, None, raw_claims=b'[{"iss":"NIC"}]'))
    bad("data after the payload object, correctly signed", jws(SIGN_KEY, HDR, None, raw_claims=b'{"iss":"NIC"} {}'))
    bad("crit header", jws(SIGN_KEY, {**HDR, "crit": ["exp"]}, c))
    bad("empty token", "")
    tests.append(invalid("oversize token (over 8 MiB)", {"jwt": "a" * (8 * 1024 * 1024 + 1), "certificates": [SIGN_CRT]}, "too_large", ["malformed"]))
    tests.append(invalid("empty certificate list", {"jwt": good, "certificates": []}, "invalid_key"))
    tests.append(invalid("65 certificates", {"jwt": good, "certificates": [SIGN_CRT] * 65}, "too_large", ["malformed"]))
    tests.append(invalid("1024-bit certificate", {"jwt": jws(WEAK, {"alg": "RS256"}, c), "certificates": [WEAK_CRT]}, "invalid_key"))
    tests.append(invalid("EC certificate", {"jwt": good, "certificates": [EC_CRT]}, "invalid_key"))
    tests.append(invalid("a private key instead of a certificate", {"jwt": good, "certificates": [SIGN_KEY_PEM]}, "invalid_key"))
    tests.append(invalid("certificates is a string", {"jwt": good, "certificates": SIGN_CRT}, "invalid_input", ["malformed"]))
    tests.append(invalid("jwt missing", {"certificates": [SIGN_CRT]}, "invalid_input", ["malformed"]))
    write("verify_signed_jwt", "verify_signed_jwt",
          "Verify NIC SignedInvoice / SignedQRCode RS256 JWTs against certificates chosen by x5t, x5t#S256 or kid (a kid "
          "in no thumbprint form is an opaque label: the single pinned certificate); with now_ms, the verifying "
          "certificate must be valid at that instant.",
          PYCA + " signs every token (RSASSA-PKCS1-v1_5 SHA-256 over base64url(header).base64url(payload)); the JSON is "
          "assembled by the generator; expected headers, claims and data are the objects the generator signed.",
          ["RFC 7515 §4.1.4, §4.1.7, §4.1.8, §5.2, §7.1; RFC 7519",
           "NIC e-invoice SignedInvoice/SignedQRCode shape: ../shared/reference/gst-protocols.md; public NIC samples carry "
           "kid = upper-case hex SHA-1 thumbprint and x5t = the same digest in base64url"], tests)

    hs = {"kid": T1["sha1_hex"], "x5t": T1["x5t"], "typ": "JWT"}
    pfx_aes = b64(open(os.path.join(KEYS, "pfx-test-aes.pfx"), "rb").read())
    tests = [
        steps("sign with the emulator's op, verify with verify_signed_jwt", [
            {"op": "sign_jwt_rs256", "input": {"private_key": SIGN_KEY_PEM, "header": hs, "claims": claims_for(QR)}, "result": "valid"},
            {"op": "verify_signed_jwt", "input": {"jwt": ref("0.output.jwt"), "certificates": [SIGN_CRT]}, "result": "valid",
             "output": {"header": {"alg": "RS256", **hs}, "claims": claims_for(QR), "data": QR}}]),
        valid("RS256 is deterministic: the same token as Python", {"private_key": SIGN_KEY_PEM, "header": {"typ": "JWT"}, "claims": {"iss": "NIC"}},
              {"jwt": jws(SIGN_KEY, {"alg": "RS256", "typ": "JWT"}, {"iss": "NIC"})}),
        valid("a SignedInvoice as NIC shapes it", {"private_key": SIGN_KEY_PEM, "header": hs, "claims": claims_for(INVOICE)},
              {"jwt": jws(SIGN_KEY, {"alg": "RS256", **hs}, claims_for(INVOICE))}),
        valid("alg in the given header is replaced by RS256", {"private_key": SIGN_KEY_PEM, "header": {"alg": "none"}, "claims": {"iss": "NIC"}},
              {"jwt": jws(SIGN_KEY, {"alg": "RS256"}, {"iss": "NIC"})}),
        valid("no header given", {"private_key": SIGN_KEY_PEM, "claims": {"iss": "NIC"}},
              {"jwt": jws(SIGN_KEY, {"alg": "RS256"}, {"iss": "NIC"})}),
        valid("integers beyond 2^53, UTF-8 and HTML characters are written exactly",
              {"private_key": SIGN_KEY_PEM, "claims": {"AckNo": 112010036563310123456789, "LglNm": "मेसर्स ₹ Traders & <Co>"}},
              {"jwt": jws(SIGN_KEY, {"alg": "RS256"}, {"AckNo": 112010036563310123456789, "LglNm": "मेसर्स ₹ Traders & <Co>"})}),
        valid("signed with a PKCS#12 file", {"pkcs12": pfx_aes, "password": PW, "claims": {"iss": "NIC"}},
              {"jwt": jws(SIGN_KEY, {"alg": "RS256"}, {"iss": "NIC"})}),
        invalid("claims missing", {"private_key": SIGN_KEY_PEM}, "invalid_input", ["malformed"]),
        invalid("claims is an array", {"private_key": SIGN_KEY_PEM, "claims": [1]}, "invalid_input"),
        invalid("1024-bit key", {"private_key": WEAK_KEY, "claims": {"iss": "NIC"}}, "invalid_key"),
    ]
    write("sign_jwt_rs256", "sign_jwt_rs256", "RS256 JWT signing (the emulator signs SignedInvoice with it).",
          PYCA + " produced every expected token (RSASSA-PKCS1-v1_5 is deterministic; JSON compact, members sorted as "
          "gstauth writes them, UTF-8, no HTML escaping).", ["RFC 7515 §7.1"], tests)


def gen_rsa_sha256():
    msgs = [b"", b"GetKey", b'{"action":"ACCESSTOKEN"}', bytes(range(256))]
    tests = []
    for m in msgs:
        sig = SIGN_KEY.sign(m, apad.PKCS1v15(), hashes.SHA256())
        tests.append(valid(f"PEM key, {len(m)}-byte message", {"private_key": SIGN_KEY_PEM, "message": b64(m)}, {"signature": b64(sig)}))
    m = b"GetKey"
    sig = b64(SIGN_KEY.sign(m, apad.PKCS1v15(), hashes.SHA256()))
    sig2 = b64(SIGN2_KEY.sign(m, apad.PKCS1v15(), hashes.SHA256()))
    tests.append(valid("3072-bit PEM key", {"private_key": SIGN2_KEY_PEM, "message": b64(m)}, {"signature": sig2}))

    def pem_case(comment, fname, password=None, *, expect="valid", code=None):
        text = read_key(fname)
        inp = {"private_key": text, "message": b64(m)}
        if password is not None:
            inp["password"] = password
        if expect == "valid":
            k = serialization.load_pem_private_key(text.encode(), password.encode() if "ENCRYPTED" in text else None)
            assert k.private_numbers() == SIGN_KEY.private_numbers(), fname
            tests.append(valid(comment, inp, {"signature": sig}))
        else:
            tests.append(invalid(comment, inp, code))

    pem_case("PKCS#1 PEM key", "nic-sign-test.pkcs1.key")
    pem_case("encrypted PKCS#8 (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC)", "nic-sign-test.enc-pkcs8.key", PW)
    pem_case("encrypted PKCS#8 (PBES2, PBKDF2-HMAC-SHA1, AES-128-CBC)", "nic-sign-test.enc-pkcs8-sha1-aes128.key", PW)
    pem_case("RFC 1423 encrypted PKCS#1 PEM (AES-256-CBC)", "nic-sign-test.enc-legacy.key", PW)
    pem_case("password given for a key that is not encrypted: ignored", "nic-sign-test.key", PW)
    pem_case("encrypted PKCS#8 with the wrong password", "nic-sign-test.enc-pkcs8.key", "test-onlY", expect="invalid", code="invalid_key")
    pem_case("encrypted PKCS#8 without a password", "nic-sign-test.enc-pkcs8.key", expect="invalid", code="invalid_key")
    pem_case("RFC 1423 PEM with the wrong password", "nic-sign-test.enc-legacy.key", "test-onlY", expect="invalid", code="invalid_key")
    pem_case("encrypted PKCS#8 with PBES1 (SHA-1, 3DES)", "nic-sign-test.enc-pkcs8-pbes1.key", PW, expect="invalid", code="unsupported")
    tests.append(valid("certificate and key in one PEM string", {"private_key": SIGN_CRT + SIGN_KEY_PEM, "message": b64(m)}, {"signature": sig}))

    def pfx_case(comment, fname, password=PW, *, code=None):
        raw = open(os.path.join(KEYS, fname), "rb").read()
        inp = {"pkcs12": b64(raw), "message": b64(m)}
        if password is not None:
            inp["password"] = password
        if code is None:
            k, _, _ = pkcs12.load_key_and_certificates(raw, password.encode() if password else None)
            assert k.private_numbers() == SIGN_KEY.private_numbers(), fname
            tests.append(valid(comment, inp, {"signature": sig}))
        else:
            tests.append(invalid(comment, inp, code))

    pfx_case("PKCS#12 from OpenSSL 3 (PBES2, AES-256-CBC)", "pfx-test-aes.pfx")
    pfx_case("PKCS#12 legacy (RC2/3DES)", "pfx-test-legacy.pfx")
    pfx_case("PKCS#12 with an empty password", "pfx-test-nopass.pfx", "")
    pfx_case("PKCS#12 with an empty password, password omitted", "pfx-test-nopass.pfx", None)
    pfx_case("PKCS#12 written by Python cryptography, key's certificate second", "pfx-test-unordered.pfx")
    pfx_case("PKCS#12 with the wrong password", "pfx-test-aes.pfx", "wrong", code="invalid_key")
    pfx_case("PKCS#12 with no certificate for its key", "pfx-test-nomatch.pfx", code="invalid_key")
    pfx_case("PKCS#12 asking for 3000000 iterations", "pfx-test-iter.pfx", code="too_large")
    pfx_case("PKCS#12 with a 1024-bit key", "pfx-test-weak.pfx", code="invalid_key")
    pfx_case("PKCS#12 with an EC key", "pfx-test-ec.pfx", code="invalid_key")
    tests.append(invalid("1024-bit key", {"private_key": WEAK_KEY, "message": b64(m)}, "invalid_key"))
    tests.append(invalid("EC key", {"private_key": EC_KEY, "message": b64(m)}, "invalid_key"))
    tests.append(invalid("a certificate instead of a key", {"private_key": SIGN_CRT, "message": b64(m)}, "invalid_key"))
    tests.append(invalid("both a PEM key and a PKCS#12", {"private_key": SIGN_KEY_PEM, "pkcs12": b64(open(os.path.join(KEYS, "pfx-test-aes.pfx"), "rb").read()),
                                                          "password": PW, "message": b64(m)}, "invalid_input"))
    tests.append(invalid("no key", {"message": b64(m)}, "invalid_input"))
    tests.append(invalid("message not base64", {"private_key": SIGN_KEY_PEM, "message": "GetKey"}, "invalid_input"))
    write("rsa_sha256_sign", "rsa_sha256_sign", "RSASSA-PKCS1-v1_5 SHA-256 signing (gateway handshakes, enterprise request signing).",
          PYCA + " computed every signature (PKCS#1 v1.5 signatures are deterministic) and checked that every key file it "
          "can open holds the expected key; the key files come from the OpenSSL 3.0 CLI and " + PYCA + " (testdata/gen/sign_keys.sh).",
          ["RFC 8017 §8.2", "RFC 5958 §3, RFC 8018 §6.2 (encrypted PKCS#8)", "RFC 7292 (PKCS#12)", "testdata/keys/README.md"], tests)

    tests = []
    for bits in (2048, 3072, 4096, 8192):
        name = f"rsa_signature_{bits}_sha256_test.json"
        w = json.load(open(wycheproof_file(name)))
        for g in w["testGroups"]:
            pub = serialization.load_pem_public_key(g["publicKeyPem"].encode())
            for t in g["tests"]:
                msg, sg = bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"])
                try:
                    pub.verify(sg, msg, apad.PKCS1v15(), hashes.SHA256())
                    py_ok = True
                except Exception:
                    py_ok = False
                assert py_ok == (t["result"] == "valid"), (name, t["tcId"])
                inp = {"public_key": g["publicKeyPem"], "message": b64(msg), "signature": b64(sg)}
                comment = f"Wycheproof {name} #{t['tcId']} {t['comment']}".strip()
                flags = ["Wycheproof"] + t["flags"]
                if t["result"] == "valid":
                    tests.append(valid(comment, inp, {}, flags))
                else:
                    tests.append(invalid(comment + (" (acceptable in Wycheproof; refused)" if t["result"] == "acceptable" else ""),
                                         inp, "signature_invalid", flags))
    m = b"hello"
    good = SIGN_KEY.sign(m, apad.PKCS1v15(), hashes.SHA256())
    tests.append(valid("certificate PEM as the key", {"public_key": SIGN_CRT, "message": b64(m), "signature": b64(good)}, {}))
    tests.append(valid("PKIX public key PEM", {"public_key": SIGN_PUB, "message": b64(m), "signature": b64(good)}, {}))
    tests.append(invalid("signature of another message", {"public_key": SIGN_CRT, "message": b64(b"hellO"), "signature": b64(good)}, "signature_invalid"))
    tests.append(invalid("signature by another key", {"public_key": GSTN_CRT, "message": b64(m), "signature": b64(good)}, "signature_invalid"))
    tests.append(invalid("empty signature", {"public_key": SIGN_CRT, "message": b64(m), "signature": ""}, "signature_invalid"))
    tests.append(invalid("1024-bit key", {"public_key": WEAK_CRT, "message": b64(m), "signature": b64(WEAK.sign(m, apad.PKCS1v15(), hashes.SHA256()))}, "invalid_key"))
    tests.append(invalid("EC certificate", {"public_key": EC_CRT, "message": b64(m), "signature": b64(good)}, "invalid_key"))
    tests.append(invalid("signature not base64", {"public_key": SIGN_CRT, "message": b64(m), "signature": b64url(good)}, "invalid_input"))
    write("rsa_sha256_verify", "rsa_sha256_verify", "RSASSA-PKCS1-v1_5 SHA-256 verification.",
              "Wycheproof results replayed through " + PYCA + ", which accepts every 'valid' case and refuses every 'invalid' and "
              "'acceptable' one; the other cases are signed by " + PYCA + ".",
              [f"Wycheproof testvectors_v1/rsa_signature_{{2048,3072,4096,8192}}_sha256_test.json, Go module "
               f"github.com/c2sp/wycheproof@{WYCHEPROOF_VERSION} (Apache-2.0)", "RFC 8017 §8.2.2, §9.2"], tests)
    add_notes("rsa_sha256_verify",
              "Wycheproof 'acceptable' cases (one per key size: a DigestInfo without the NULL parameter, flag MissingNull) "
                    "are 'invalid' here with signature_invalid: RFC 8017 §8.2.2 rebuilds the DER encoding and compares, so "
                    "gstauth, like Python cryptography and OpenSSL, accepts only the encoding with NULL.")


def add_notes(name, notes):
    """Adds the file's optional "notes" after "sources" (common.write has no parameter for it)."""
    path = os.path.join(VECTORS, name + ".json")
    doc = json.load(open(path))
    out = {}
    for k, v in doc.items():
        out[k] = v
        if k == "sources":
            out["notes"] = notes
    with open(path, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")


def gen_pkcs12():
    tests = []
    cert = x509.load_pem_x509_certificate(SIGN_CRT.encode())
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    info = {"certificate": pem, "x5t": T1["x5t"], "x5t_s256": T1["x5t_s256"], "subject": cert.subject.rfc4514_string(),
            "not_before_ms": int(cert.not_valid_before_utc.timestamp() * 1000), "not_after_ms": int(cert.not_valid_after_utc.timestamp() * 1000)}

    def read(fname):
        return open(os.path.join(KEYS, fname), "rb").read()

    for f, comment, pw in (("pfx-test-aes.pfx", "OpenSSL 3 default: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC", PW),
                           ("pfx-test-legacy.pfx", "OpenSSL -legacy: RC2/3DES, SHA-1 MAC", PW),
                           ("pfx-test-nopass.pfx", "empty password", ""),
                           ("pfx-test-unordered.pfx", "written by Python cryptography, another certificate first: the key's is returned", PW)):
        raw = read(f)
        k, c, cas = pkcs12.load_key_and_certificates(raw, pw.encode())
        own = [x for x in ([c] if c else []) + cas if x.public_key().public_numbers() == k.public_key().public_numbers()]
        assert len(own) == 1 and own[0].public_bytes(serialization.Encoding.PEM).decode() == pem, f
        tests.append(valid(comment, {"pkcs12": b64(raw), "password": pw}, info))
    tests.append(valid("password omitted for a file with an empty password", {"pkcs12": b64(read("pfx-test-nopass.pfx"))}, info))
    raw = read("pfx-test-aes.pfx")
    tests.append(invalid("wrong password", {"pkcs12": b64(raw), "password": "test-onlY"}, "invalid_key"))
    tests.append(invalid("wrong password, legacy file", {"pkcs12": b64(read("pfx-test-legacy.pfx")), "password": "test-onlY"}, "invalid_key"))
    tests.append(invalid("truncated file", {"pkcs12": b64(raw[:200]), "password": PW}, "invalid_key"))
    tests.append(invalid("a PEM certificate instead of a PKCS#12 file", {"pkcs12": b64(SIGN_CRT.encode()), "password": PW}, "invalid_key"))
    tests.append(invalid("no certificate for the key", {"pkcs12": b64(read("pfx-test-nomatch.pfx")), "password": PW}, "invalid_key"))
    tests.append(invalid("3000000 iterations (over the limit)", {"pkcs12": b64(read("pfx-test-iter.pfx")), "password": PW}, "too_large"))
    tests.append(invalid("1024-bit key", {"pkcs12": b64(read("pfx-test-weak.pfx")), "password": PW}, "invalid_key"))
    tests.append(invalid("EC key", {"pkcs12": b64(read("pfx-test-ec.pfx")), "password": PW}, "invalid_key"))
    tests.append(invalid("not base64", {"pkcs12": "!!", "password": PW}, "invalid_input"))
    write("pkcs12_info", "pkcs12_info", "Open a PKCS#12 file and describe the certificate of its key.",
          "Files written by the OpenSSL 3.0 CLI and " + PYCA + " (testdata/gen/sign_keys.sh); expected certificate and validity "
          "read by " + PYCA + " (pkcs12 + x509), which also picks the certificate whose key is the file's; thumbprints by hashlib.",
          ["RFC 7292", "testdata/keys/README.md"], tests)

    tests = []
    for name, pem_text in (("nic-sign-test.crt", SIGN_CRT), ("gstn-test.crt", GSTN_CRT), ("nic-sign-test-2.crt", SIGN2_CRT),
                           ("weak-1024.crt (any key size is described)", WEAK_CRT), ("ec-test.crt (any key type is described)", EC_CRT)):
        c = x509.load_pem_x509_certificate(pem_text.encode())
        t = thumbprints(pem_text) if name.startswith("nic") or name.startswith("gstn") else None
        der = c.public_bytes(serialization.Encoding.DER)
        tests.append(valid(name, {"certificate": pem_text}, {"x5t": b64url(hashlib.sha1(der).digest()), "x5t_s256": b64url(hashlib.sha256(der).digest()),
                                                              "subject": c.subject.rfc4514_string(),
                                                              "not_before_ms": int(c.not_valid_before_utc.timestamp() * 1000),
                                                              "not_after_ms": int(c.not_valid_after_utc.timestamp() * 1000)}))
        assert t is None or t["x5t"] == tests[-1]["output"]["x5t"]
    c = x509.load_pem_x509_certificate(SIGN_CRT.encode())
    tests.append(valid("text around the PEM block is ignored", {"certificate": "subject=CN...\n" + SIGN_CRT + "\ntrailing text\n"},
                       {"x5t": T1["x5t"], "x5t_s256": T1["x5t_s256"], "subject": c.subject.rfc4514_string(),
                        "not_before_ms": int(c.not_valid_before_utc.timestamp() * 1000), "not_after_ms": int(c.not_valid_after_utc.timestamp() * 1000)}))
    tests.append(invalid("two certificates", {"certificate": SIGN_CRT + GSTN_CRT}, "invalid_input"))
    tests.append(invalid("a private key", {"certificate": SIGN_KEY_PEM}, "invalid_key"))
    tests.append(invalid("a public key", {"certificate": SIGN_PUB}, "invalid_key"))
    tests.append(invalid("not PEM", {"certificate": "hello"}, "invalid_key"))
    broken = SIGN_CRT.replace(SIGN_CRT.splitlines()[5], SIGN_CRT.splitlines()[5][::-1])
    tests.append(invalid("a PEM certificate whose DER does not parse", {"certificate": broken}, "invalid_key"))
    write("certificate_info", "certificate_info", "A certificate's x5t, x5t#S256 (RFC 7515 §4.1.7–8, RFC 8705 §3.1), subject and validity.",
          "hashlib SHA-1/SHA-256 over the DER from " + PYCA + "; subject by rfc4514_string(); validity from not_valid_*_utc.",
          ["RFC 7515 §4.1.7, §4.1.8", "RFC 8705 §3.1", "RFC 4514"], tests)


if __name__ == "__main__":
    gen_jwt()
    gen_rsa_sha256()
    gen_pkcs12()
