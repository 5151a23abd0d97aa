"""PKCE vectors (RFC 7636): S256 challenges computed with Python's hashlib and base64, never with gstauth.

Run from the repository root:  python3 testdata/gen/pkce_vectors.py
"""
import base64
import hashlib

from common import b64, invalid, ref, rng, steps, valid, write

UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
R = rng("gstauth pkce vectors v1")
GEN = ("testdata/gen/pkce_vectors.py: challenges = base64url(SHA-256(ASCII(verifier))) without padding, computed with "
       "Python hashlib and base64 (RFC 7636 §4.2); the Appendix B pair is copied from the RFC.")


def s256(v: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(v.encode("ascii")).digest()).rstrip(b"=").decode()


def s256_tests():
    t = []
    v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256(v) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B
    t.append(valid("RFC 7636 Appendix B", {"verifier": v}, {"challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, ["RFC"]))
    for n in (43, 44, 64, 127, 128):
        v = "".join(R.choice(UNRESERVED) for _ in range(n))
        t.append(valid(f"{n} unreserved characters", {"verifier": v}, {"challenge": s256(v)}, ["boundary"] if n in (43, 128) else None))
    v = (UNRESERVED * 2)[:128]
    t.append(valid("every unreserved character", {"verifier": v}, {"challenge": s256(v)}))
    v = "~" * 43
    t.append(valid("43 tildes", {"verifier": v}, {"challenge": s256(v)}))
    for comment, v in [("42 characters: one too few", "a" * 42), ("129 characters: one too many", "a" * 129),
                       ("empty", ""), ("a space", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX k"),
                       ("a plus: base64, not base64url", "dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
                       ("a slash", "dBjftJeZ4CVP/mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
                       ("padding", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX="),
                       ("non-ASCII", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjé"),
                       ("a NUL", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEj\u0000X")]:
        t.append(invalid(comment, {"verifier": v}, "invalid_input", ["boundary"] if "characters" in comment else None))
    t.append(invalid("verifier missing", {}, "invalid_input", ["malformed"]))
    t.append(invalid("verifier not a string", {"verifier": 43}, "invalid_input", ["malformed"]))
    t.append(invalid("an unknown field", {"verifier": "a" * 43, "method": "plain"}, "invalid_input", ["malformed"]))
    return t


def new_tests():
    # pkce_new is random: each verifier is checked by handing it to pkce_s256, which refuses anything but 43-128
    # unreserved characters.
    t = [steps("a fresh verifier is accepted by pkce_s256", [
        {"op": "pkce_new", "input": {}, "result": "valid"},
        {"op": "pkce_s256", "input": {"verifier": ref("0.output.verifier")}, "result": "valid"},
    ]), steps("with caller entropy mixed in", [
        {"op": "pkce_new", "input": {"entropy": b64(b"host entropy")}, "result": "valid"},
        {"op": "pkce_s256", "input": {"verifier": ref("0.output.verifier")}, "result": "valid"},
    ])]
    for tc in [invalid("entropy not base64", {"entropy": "not base64!"}, "invalid_input"),
               invalid("entropy over 64 KiB", {"entropy": b64(b"\0" * (64 * 1024 + 1))}, "too_large")]:
        tc["op"] = "pkce_new"
        t.append(tc)
    return t


def main():
    write("pkce_s256", "pkce_s256", "PKCE S256 code challenges (RFC 7636 §4.1–4.2): verifier length and alphabet checked.",
          GEN, ["RFC 7636 §4.1, §4.2, Appendix B"], s256_tests())
    write("pkce_new", None, "Fresh PKCE verifiers: random, so each is checked by a second call.", GEN,
          ["RFC 7636 §4.1, §7.1"], new_tests())


if __name__ == "__main__":
    main()
