"""mTLS vectors (RFC 8705): certificate thumbprints, the certificate to present among overlapping ones, token binding,
and the lifecycle of a certificate-bound token across a rotation.

x5t#S256 = base64url(SHA-256(DER)) is computed with Python `cryptography` (DER export) and hashlib; validity instants
are read by Python `cryptography`; JWT payloads are written with Python json and base64. Which certificate is
effective and when the plan changes is worked out by hand from the documented rules (oauth_rules.py, arithmetic in
each comment). gstauth is never imported or run.

Run from the repository root:  python3 testdata/gen/mtls_vectors.py
"""
import hashlib
import json

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from common import invalid, read_key, ref, steps, valid, write
from oauth_rules import DAY, H, MIN, FORM_HEADERS, b64url, basic, form, jwt, plan, session

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
PYCA = "Python cryptography 48.0.0"
GEN = (f"testdata/gen/mtls_vectors.py: x5t#S256 = base64url(SHA-256(DER)) with {PYCA} and hashlib, validity from {PYCA}; "
       "effective windows, bindings and plans worked out by hand from the documented rules (oauth_rules.py, arithmetic "
       "in each comment), never from gstauth's output.")
SOURCES = ["RFC 8705 §3, §3.1", "../shared/reference/gst-protocols.md (WhiteBooks: mTLS, certificate rotation with an "
           "effective_from overlap)", "testdata/keys/README.md"]


def cert_facts(name):
    pem = read_key(name)
    c = x509.load_pem_x509_certificate(pem.encode())
    der = c.public_bytes(serialization.Encoding.DER)
    nb = int(c.not_valid_before_utc.timestamp() * 1000)
    na = int(c.not_valid_after_utc.timestamp() * 1000)
    return pem, b64url(hashlib.sha256(der).digest()), nb, na


GSTN_PEM, GSTN_X5T, GSTN_NB, GSTN_NA = cert_facts("gstn-test.crt")
NIC_PEM, NIC_X5T, NIC_NB, NIC_NA = cert_facts("nic-test.crt")


def certificate_tests():
    t = []
    for name in ("gstn-test.crt", "nic-test.crt", "nic-sign-test.crt", "nic-sign-test-2.crt"):
        pem, x5t, nb, na = cert_facts(name)
        t.append(valid(f"{name}: effective from its notBefore by default", {"certificate": pem, "id": name},
                       {"certificate": {"id": name, "x5t_s256": x5t, "effective_from_ms": nb, "not_after_ms": na}}))
    t.append(valid("an explicit effective_from (a rotation's overlap)", {"certificate": GSTN_PEM, "id": "2026", "effective_from_ms": T0 + DAY},
                   {"certificate": {"id": "2026", "x5t_s256": GSTN_X5T, "effective_from_ms": T0 + DAY, "not_after_ms": GSTN_NA}}))
    t.append(valid("no id", {"certificate": NIC_PEM}, {"certificate": {"id": "", "x5t_s256": NIC_X5T, "effective_from_ms": NIC_NB, "not_after_ms": NIC_NA}}))
    t.append(invalid("two certificates in one input", {"certificate": GSTN_PEM + NIC_PEM}, "invalid_input"))
    t.append(invalid("a private key, not a certificate", {"certificate": read_key("gstn-test.key")}, "invalid_key"))
    t.append(invalid("not a certificate at all", {"certificate": "hello"}, "invalid_key"))
    t.append(invalid("a negative effective_from", {"certificate": GSTN_PEM, "effective_from_ms": -1}, "invalid_input", ["malformed"]))
    t.append(invalid("certificate missing", {}, "invalid_input", ["malformed"]))
    return t


OLD = {"id": "2025", "x5t_s256": GSTN_X5T, "effective_from_ms": T0 - 30 * DAY, "not_after_ms": T0 + 60 * DAY}
NEW = {"id": "2026", "x5t_s256": NIC_X5T, "effective_from_ms": T0 + DAY, "not_after_ms": T0 + 400 * DAY}


def select_tests():
    t = []
    both = [OLD, NEW]
    for comment, now, want in [
        ("old from its effective_from (T0-30d)", T0 - 30 * DAY, OLD),
        ("old 1 ms before new is effective (T0+1d-1)", T0 + DAY - 1, OLD),
        ("new from its effective_from (T0+1d): both valid, the later effective_from wins", T0 + DAY, NEW),
        ("new 1 ms before it expires (T0+400d-1)", T0 + 400 * DAY - 1, NEW),
    ]:
        t.append(valid(comment, {"certificates": both, "now_ms": now}, {"certificate": want}, ["boundary"]))
    tie = [dict(OLD, id="a", effective_from_ms=T0), dict(NEW, id="b", effective_from_ms=T0)]
    t.append(valid("a tie goes to the first listed", {"certificates": tie, "now_ms": T0}, {"certificate": tie[0]}))
    short = [dict(OLD, not_after_ms=0), dict(NEW, effective_from_ms=T0, not_after_ms=T0 + 1)]
    t.append(valid("an expired newer certificate is skipped (not_after T0+1 at T0+1); not_after 0 never expires",
                   {"certificates": short, "now_ms": T0 + 1}, {"certificate": short[0]}, ["boundary"]))
    t.append(invalid("1 ms before any is effective (T0-30d-1)", {"certificates": both, "now_ms": T0 - 30 * DAY - 1}, "config_invalid", ["boundary"]))
    t.append(invalid("after every one has expired (T0+400d)", {"certificates": both, "now_ms": T0 + 400 * DAY}, "config_invalid", ["boundary"]))
    t.append(invalid("a malformed thumbprint", {"certificates": [dict(OLD, x5t_s256="abc")], "now_ms": T0}, "config_invalid"))
    t.append(invalid("an unknown member", {"certificates": [dict(OLD, pem="...")], "now_ms": T0}, "invalid_input", ["malformed"]))
    t.append(invalid("now missing", {"certificates": both}, "invalid_input", ["malformed"]))
    return t


def binding_tests():
    t = []
    bound = jwt({"sub": "tenant", "cnf": {"x5t#S256": GSTN_X5T}})
    for comment, inp, out in [
        ("a JWT whose cnf names the certificate (PEM)", {"access_token": bound, "certificate": GSTN_PEM}, True),
        ("the same JWT and another certificate", {"access_token": bound, "certificate": NIC_PEM}, False),
        ("the thumbprint given directly", {"access_token": bound, "x5t_s256": GSTN_X5T}, True),
        ("a thumbprint one character off", {"access_token": bound, "x5t_s256": GSTN_X5T[:-1] + ("A" if GSTN_X5T[-1] != "A" else "B")}, False),
        ("a JWT without cnf", {"access_token": jwt({"sub": "tenant"}), "x5t_s256": GSTN_X5T}, False),
        ("an opaque token", {"access_token": "2YotnFZFEjr1zCsicMWpAA", "x5t_s256": GSTN_X5T}, False),
        ("a session whose token is bound",
         {"session": session("oauth_client_credentials", "t", {}, access_token="x", obtained_at_ms=T0, expires_at_ms=T0 + H,
                             token_binding={"x5t_s256": GSTN_X5T, "source": "cnf"}), "certificate": GSTN_PEM}, True),
        ("a session without a token", {"session": session("oauth_client_credentials", "t", {}), "x5t_s256": GSTN_X5T}, False),
    ]:
        t.append(valid(comment, inp, {"bound": out}))
    for comment, inp in [
        ("both a token and a session", {"access_token": bound, "session": session("oauth_client_credentials", "t", {}), "x5t_s256": GSTN_X5T}),
        ("neither a token nor a session", {"x5t_s256": GSTN_X5T}),
        ("both a certificate and a thumbprint", {"access_token": bound, "certificate": GSTN_PEM, "x5t_s256": GSTN_X5T}),
        ("neither a certificate nor a thumbprint", {"access_token": bound}),
    ]:
        t.append(invalid(comment, inp, "invalid_input"))
    return t


def lifecycle_tests():
    tests = []
    url = "https://mtls.whitebooks.example/oauth/token"
    cfg = {"token_url": url, "client_id": "wb-tenant", "flavor": "whitebooks", "certificates": [OLD, NEW]}
    t1 = T0 + DAY - 30 * MIN
    s_in = session("oauth_client_credentials", "wb-tenant", cfg, pending={"step": "client_credentials", "sent_at_ms": t1, "secret": "current"})
    tok1 = jwt({"sub": "wb-tenant", "cnf": {"x5t#S256": GSTN_X5T}})
    s1 = session("oauth_client_credentials", "wb-tenant", cfg, access_token=tok1, obtained_at_ms=t1, expires_at_ms=t1 + H,
                 secret_in_use="current", token_binding={"x5t_s256": GSTN_X5T, "source": "cnf"})
    st = [{"op": "session_response", "input": {"session": s_in, "received_at_ms": t1 + 200, "response": {
        "status": 200, "body": json.dumps({"access_token": tok1, "token_type": "Bearer", "expires_in": 3600})}},
        "result": "valid", "output": {"session": s1, "outcome": "ok"}}]
    p1, why = plan(s1, T0 + DAY - 1)
    p2, _ = plan(s1, T0 + DAY)
    st.append({"op": "session_plan", "input": {"session": ref("0.output.session"), "now_ms": T0 + DAY - 1}, "result": "valid", "output": p1})
    st.append({"op": "session_plan", "input": {"session": ref("0.output.session"), "now_ms": T0 + DAY}, "result": "valid", "output": p2})
    st.append({"op": "mtls_select_certificate", "input": {"certificates": [OLD, NEW], "now_ms": T0 + DAY}, "result": "valid", "output": {"certificate": NEW}})
    t2 = T0 + DAY
    s_r = dict(s1, pending={"step": "client_credentials", "sent_at_ms": t2, "secret": "current"})
    st.append({"op": "session_request", "input": {"session": ref("0.output.session"), "now_ms": t2, "credentials": {"client_secret": "wb-secret"}},
               "result": "valid", "output": {"request": {"method": "POST", "url": url, "headers": dict(FORM_HEADERS, Authorization=basic("wb-tenant", "wb-secret")),
                                                         "body": form({"grant_type": "client_credentials"})}, "session": s_r}})
    tok2 = jwt({"sub": "wb-tenant", "cnf": {"x5t#S256": NIC_X5T}})
    s2 = session("oauth_client_credentials", "wb-tenant", cfg, access_token=tok2, obtained_at_ms=t2, expires_at_ms=t2 + H,
                 secret_in_use="current", token_binding={"x5t_s256": NIC_X5T, "source": "cnf"})
    st.append({"op": "session_response", "input": {"session": ref("4.output.session"), "received_at_ms": t2 + 200, "response": {
        "status": 200, "body": json.dumps({"access_token": tok2, "token_type": "Bearer", "expires_in": 3600})}},
        "result": "valid", "output": {"session": s2, "outcome": "ok"}})
    p3, why3 = plan(s2, t2)
    st.append({"op": "session_plan", "input": {"session": ref("5.output.session"), "now_ms": t2}, "result": "valid", "output": p3})
    st.append({"op": "mtls_check_binding", "input": {"session": ref("5.output.session"), "certificate": NIC_PEM}, "result": "valid", "output": {"bound": True}})
    st.append({"op": "mtls_check_binding", "input": {"session": ref("5.output.session"), "certificate": GSTN_PEM}, "result": "valid", "output": {"bound": False}})
    tests.append(steps(
        "a certificate-bound token across a rotation: old (gstn-test.crt) effective T0-30d..T0+60d, new (nic-test.crt) "
        "from T0+1d; a token obtained at T0+1d-30min is bound to old (cnf x5t#S256); " + why + "; fresh at T0+1d-1, "
        "and at T0+1d the new certificate is the one to present: renew (certificate_rotated); the new token is bound "
        "to new, and the next change (old's not_after T0+60d) is after its margin: " + why3, st,
        ["lifecycle", "rfc8705", "boundary"]))

    s_in = session("oauth_client_credentials", "wb-tenant", cfg, pending={"step": "client_credentials", "sent_at_ms": t1, "secret": "current"})
    s1 = session("oauth_client_credentials", "wb-tenant", cfg, access_token="opaque-at", obtained_at_ms=t1, expires_at_ms=t1 + H,
                 secret_in_use="current", token_binding={"x5t_s256": GSTN_X5T, "source": "presented"})
    st = [{"op": "session_response", "input": {"session": s_in, "received_at_ms": t1 + 200, "response": {
        "status": 200, "body": json.dumps({"access_token": "opaque-at", "token_type": "Bearer", "expires_in": 3600})}},
        "result": "valid", "output": {"session": s1, "outcome": "ok"}}]
    p2, _ = plan(s1, T0 + DAY)
    st.append({"op": "session_plan", "input": {"session": ref("0.output.session"), "now_ms": T0 + DAY}, "result": "valid", "output": p2})
    tests.append(steps("an opaque token obtained with certificates configured is presumed bound to the one presented at "
                       "its request (old, at T0+1d-30min): renewed at the rotation too", st, ["lifecycle", "rfc8705"]))

    early = session("oauth_client_credentials", "wb-tenant", cfg)
    st = [{"op": "session_request", "input": {"session": early, "now_ms": T0 - 30 * DAY - 1, "credentials": {"client_secret": "wb-secret"}},
           "result": "invalid", "error": "config_invalid"}]
    tests.append(steps("no certificate is effective (T0-30d-1): nothing is sent", st, ["rfc8705", "boundary"]))
    return tests


def main():
    write("mtls_certificate", "mtls_certificate", "Client certificates for config.certificates: x5t#S256 (RFC 8705 §3.1) and "
          "the effective window.", GEN, SOURCES, certificate_tests())
    write("mtls_select_certificate", "mtls_select_certificate", "The client certificate to present at an instant among "
          "overlapping ones (effective_from windows).", GEN, SOURCES, select_tests())
    write("mtls_check_binding", "mtls_check_binding", "Whether a token is bound to a certificate (cnf x5t#S256).", GEN, SOURCES,
          binding_tests())
    write("lifecycle_mtls", None, "Certificate-bound tokens across a certificate rotation.", GEN, SOURCES, lifecycle_tests())


if __name__ == "__main__":
    main()
