"""Host-call vectors: session_ensure (the refresh loop), session_headers (every provider) and the payload envelopes
(session_encrypt_body, session_decrypt_body, their raw twins, session_encrypt_payload_raw, session_decrypt_payload_raw).

Decisions, plans and sessions are worked out from core/doc.go and the documentation of core.Ensure (its loop, the
bound of two exchanges, which failure carries the session's last error), with lifecycle_rules.py and oauth_rules.py;
headers from the providers' documents as core.APIHeaders cites them; every ciphertext, HMAC and plaintext of a body by
Python `cryptography` (AES-256-ECB-PKCS7) and hmac/hashlib. gstauth is never imported or run.

Run from the repository root:  python3 testdata/gen/host_vectors.py
"""
import base64
import copy
import json

from catalogue_rules import auth_failure, failure_body
from common import aes_ecb_encrypt, b64, hmac_sha256, invalid, read_key, ref, rng, randbytes, steps, valid, write
from lifecycle_rules import H, MIN, S, TEXT, backoff, error, response_output, session
from lifecycle_rules import plan as gst_plan
from lifecycle_vectors import EWB_ACCT, EWB_CFG, GSTN_ACCT, GSTN_CFG, GW_CFG, NIC_ACCT, NIC_CFG, T0
from oauth_rules import FORM_HEADERS, basic, form
from oauth_rules import plan as oauth_plan

R = rng("gstauth host vectors v1")
GEN = ("testdata/gen/host_vectors.py: decisions, plans and sessions worked out from core/doc.go and the documentation "
       "of core.Ensure (lifecycle_rules.py, oauth_rules.py), headers from the providers' documents, ciphertexts and "
       "HMACs from Python cryptography 48 (AES-256-ECB-PKCS7) and hmac/hashlib; never from gstauth's output.")
SOURCES = ["core/doc.go", "core/ensure.go (Ensure's loop)", "docs/hosts.md", "../shared/reference/gst-protocols.md",
           "RFC 6750 §2.1"]

EK, K1 = randbytes(R, 32), randbytes(R, 32)
GST = ("gstn", "nic_einvoice", "nic_ewaybill", "gateway_task")


def plan(s, now):
    return (gst_plan if s["provider"] in GST else oauth_plan)(s, now)[0]


def without(d, *keys):
    d = copy.deepcopy(d)
    for k in keys:
        d.pop(k, None)
    return d


# ---------------------------------------------------------------- session_ensure

def failure_for(s, p, code, now):
    """Ensure's error when the plan cannot go on: the session's last error when it is the cause (the failure a person
    must fix, or the retryable failure the backoff follows), else the code with the plan's message (and the provider's
    code of a rejection)."""
    le = s.get("last_error")
    if le and (code == "user_action_required" and s.get("needs_user") or code == "rate_limited" and le.get("retryable")):
        e = dict(le, message=TEXT)
    elif le and p["reason"] == "rejected":
        e = error(code, le.get("provider_code"))
    else:
        e = error(code)
    if code == "rate_limited":
        e.update(retryable=True, retry_after_ms=p["not_before_ms"] - now)
    return e


def decide(s, now, stage, attempts=0):
    """Ensure's move at now (core/ensure.go): use; user_action fails; refresh: refresh unlocked, use at the bound, else
    send; renew: fail while a backoff lasts, renew unlocked, fail (token_expired) at the bound, else send."""
    p = plan(s, now)
    out = {"plan": p, "session": s}
    locked = stage == "locked"
    a = p["action"]
    if a == "use":
        return dict(out, move="use", access_token=s["access_token"])
    if a == "user_action":
        return dict(out, move="fail", error=failure_for(s, p, "user_action_required", now))
    if a == "refresh":
        if not locked:
            return dict(out, move="refresh", access_token=s["access_token"])
        if attempts >= 2:
            return dict(out, move="use", access_token=s["access_token"])
        return dict(out, move="send")
    if p.get("not_before_ms", 0) > now:
        return dict(out, move="fail", error=failure_for(s, p, "rate_limited", now))
    if not locked:
        return dict(out, move="renew")
    if attempts >= 2:
        return dict(out, move="fail", error=failure_for(s, p, "token_expired", now))
    return dict(out, move="send")


def ensure_step(s, now, stage, attempts=0, creds=None, session_in=None, request=None, sent_session=None, build_error=None):
    """A session_ensure step; a send's request and session are given by the caller (None: randomised, not compared).
    build_error is the error of a request that cannot be built for a reason a person must fix: Ensure's answer is
    then fail with it."""
    d = decide(s, now, stage, attempts)
    if build_error:
        assert d["move"] == "send"
        d = dict(d, move="fail", error=build_error)
    inp = {"session": session_in if session_in is not None else s, "now_ms": now, "stage": stage}
    if attempts:
        inp["attempts"] = attempts
    if creds:
        inp["credentials"] = creds
    st = {"op": "session_ensure", "input": inp, "result": "valid"}
    if d["move"] == "send":
        if request is None:
            return st, d
        d = dict(d, request=request, session=sent_session)
    st["output"] = d
    return st, d


CC_URL = "https://idp.example/oauth2/token"
CC_CFG = {"token_url": CC_URL, "client_id": "erp-batch"}
CC_SECRET = "test-only-cc-secret"
CC_CREDS = {"client_secret": CC_SECRET}
CC = session("oauth_client_credentials", "erp-batch", CC_CFG, access_token="cc-at-1", obtained_at_ms=T0, expires_at_ms=T0 + H,
             secret_in_use="current")
REFRESH_DUE, EXPIRED = T0 + H - 5 * MIN, T0 + H - 10 * S  # margin 5 min, leeway 10 s of a 1 h token


def cc_request(grant, secret=CC_SECRET, **extra):
    return {"method": "POST", "url": CC_URL, "headers": dict(FORM_HEADERS, Authorization=basic("erp-batch", secret)),
            "body": form(dict(grant_type=grant, **extra))}


def cc_response(s_in, received, body, s_out, err=None, status=200):
    return {"op": "session_response", "input": {"session": s_in, "received_at_ms": received,
                                                "response": {"status": status, "body": json.dumps(body)}},
            "result": "valid", "output": response_output(s_out, err)}


def ensure_tests():
    tests = []

    def one(comment, s, now, stage, attempts=0, creds=None, flags=None, **kw):
        st, d = ensure_step(s, now, stage, attempts, creds, **kw)
        t = valid(f"{comment}: {d['move']}", st["input"], st.get("output"), flags)
        t["op"] = "session_ensure"
        tests.append(t)

    # Every move at each stage, at the boundaries of the timing rules (client credentials, 1 h token).
    one("check, 1 ms before refresh_at (T0+55min): the token is fresh", CC, REFRESH_DUE - 1, "check", flags=["boundary"])
    one("check at refresh_at: refresh, and the still-valid token to call with", CC, REFRESH_DUE, "check", flags=["boundary"])
    one("check at usable_until (T0+1h-10s): renew, no token to call with", CC, EXPIRED, "check", flags=["boundary"])
    sent = dict(CC, pending={"step": "client_credentials", "sent_at_ms": REFRESH_DUE, "secret": "current"})
    for n in (0, 1):
        one(f"locked, {n} exchange(s) so far, refresh due: the grant is built and recorded", CC, REFRESH_DUE, "locked", n,
            CC_CREDS, request=cc_request("client_credentials"), sent_session=sent)
    one("locked, 2 exchanges so far (the bound), refresh due: use the still-valid token", CC, REFRESH_DUE, "locked", 2,
        CC_CREDS, flags=["bound"])
    sent = dict(CC, pending={"step": "client_credentials", "sent_at_ms": EXPIRED, "secret": "current"})
    one("locked, 0 exchanges, unusable token: the grant", CC, EXPIRED, "locked", 0, CC_CREDS,
        request=cc_request("client_credentials"), sent_session=sent)
    one("locked, 2 exchanges so far (the bound), unusable token: token_expired with the plan's message", CC, EXPIRED,
        "locked", 2, CC_CREDS, flags=["bound"])
    rej_err = {"code": "reauth_required", "message": "the token was refused", "provider_code": "401"}
    rejected = dict(CC, rejected=True, last_error=rej_err)
    one("locked at the bound with a rejected token: token_expired carries the rejection's provider code", rejected,
        T0 + MIN, "locked", 2, CC_CREDS, flags=["bound"])
    one("check with a rejected token: renew", rejected, T0 + MIN, "check")
    ua_err = {"code": "user_action_required", "message": "the client was refused", "provider_code": "invalid_client"}
    one("a person must act (needs_user): fail with the session's last error", dict(CC, needs_user="the client was refused",
        last_error=ua_err), T0 + MIN, "check")
    one("a person must act without a last error (version 1 sessions have none): the plan's message",
        dict(CC, needs_user="fix the client secret"), T0 + MIN, "locked")
    e503 = {"code": "provider_error", "message": "HTTP 503", "provider_code": "503", "retry_after_ms": 2000, "retryable": True}
    back = session("oauth_client_credentials", "erp-batch", CC_CFG, failures=1, retry_not_before_ms=T0 + 2 * S, last_error=e503)
    one("no token, backoff after a 503 until T0+2s: fail with the 503, retry_after_ms the time left", back, T0 + 500, "check",
        flags=["backoff"])
    one("the same at T0+2s: the backoff is over, renew", back, T0 + 2 * S, "check", flags=["backoff", "boundary"])
    e_abs = {"code": "provider_error", "message": "the stated token lifetime is absurd"}
    one("no token, backoff after a failure that was not retryable: rate_limited with the plan's message",
        dict(back, last_error=e_abs), T0 + 500, "locked", 0, CC_CREDS, flags=["backoff"])
    stale_back = dict(CC, failures=1, retry_not_before_ms=REFRESH_DUE + MIN, last_error=e503)
    one("refresh due during a backoff: keep using the token", stale_back, REFRESH_DUE, "locked", 0, CC_CREDS, flags=["backoff"])

    # GSTN, NIC, gateway: the provider's plan decides.
    g = session("gstn", GSTN_ACCT, GSTN_CFG, access_token="gstn-tok", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H, sek=b64(EK),
                app_key=b64(K1))
    one("GSTN, fresh", g, T0 + H, "check")
    one("GSTN at its margin (T0+6h-10min): refresh", g, T0 + 6 * H - 10 * MIN, "check")
    one("GSTN without a token: an OTP is needed; fail with the plan's message", session("gstn", GSTN_ACCT, GSTN_CFG), T0, "check")
    otp_err = {"code": "user_action_required", "message": "GSTN did not accept the OTP", "provider_code": "AUTH4034"}
    one("GSTN after a refused OTP: fail with the session's last error (AUTH4034)",
        session("gstn", GSTN_ACCT, GSTN_CFG, needs_user="GSTN did not accept the OTP", last_error=otp_err), T0, "locked")
    gw = session("gateway_task", GSTN_ACCT, GW_CFG, access_token="gw-tok", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H)
    one("gateway task at its margin: nothing can extend the token, use it", gw, T0 + 6 * H - 10 * MIN, "locked", 0)
    one("gateway task at usable_until: a new OTP", gw, T0 + 6 * H - 30 * S, "locked", 0)
    nic = session("nic_einvoice", NIC_ACCT, NIC_CFG)
    nic_creds = {"client_secret": "nic-secret", "password": "nic-password", "public_key": read_key("nic-test.pub")}
    one("NIC without a token, no password: the request cannot be built, fail with config_invalid", nic, T0, "locked", 0,
        dict(nic_creds, password=""), build_error=error("config_invalid"))
    t = invalid("NIC without a token, a public key that is not a key: invalid_key fails the op (a misuse, not an answer)",
                {"session": nic, "now_ms": T0, "stage": "locked", "credentials": dict(nic_creds, public_key="not a key")},
                "invalid_key")
    t["op"] = "session_ensure"
    tests.append(t)
    for label, extra in [("stage now", {"stage": "now"}), ("attempts -1", {"stage": "locked", "attempts": -1})]:
        t = invalid(f"{label}: refused", {"session": CC, "now_ms": T0, **extra}, "invalid_input", ["malformed"])
        t["op"] = "session_ensure"
        tests.append(t)

    # Whole loops, as docs/hosts.md runs them.
    s2 = dict(CC, access_token="cc-at-2", obtained_at_ms=REFRESH_DUE, expires_at_ms=REFRESH_DUE + H)
    a, _ = ensure_step(CC, REFRESH_DUE, "check")
    b, _ = ensure_step(CC, REFRESH_DUE, "locked", 0, CC_CREDS, session_in=ref("0.output.session"),
                       request=cc_request("client_credentials"),
                       sent_session=dict(CC, pending={"step": "client_credentials", "sent_at_ms": REFRESH_DUE, "secret": "current"}))
    c = cc_response(ref("1.output.session"), REFRESH_DUE + 200, {"access_token": "cc-at-2", "token_type": "Bearer", "expires_in": 3600}, s2)
    d, _ = ensure_step(s2, REFRESH_DUE + 200, "locked", 1, CC_CREDS, session_in=ref("2.output.session"))
    tests.append(steps("the loop at the margin: check → refresh; locked → send the grant; the answer stores cc-at-2 "
                       "(sent R = T0+55min, expires R+1h); locked with 1 exchange → use cc-at-2", [a, b, c, d], ["loop"]))

    s_in = without(CC, "access_token", "obtained_at_ms", "expires_at_ms")
    rec = T0 + 300
    s_503 = dict(s_in, failures=1, retry_not_before_ms=rec + backoff("", 1))
    e = error("provider_error", "503", backoff("", 1), True)
    a, _ = ensure_step(s_in, T0, "locked", 0, CC_CREDS, request=cc_request("client_credentials"),
                       sent_session=dict(s_in, pending={"step": "client_credentials", "sent_at_ms": T0, "secret": "current"}))
    b = cc_response(ref("0.output.session"), rec, {"error": "temporarily unavailable"}, s_503, e, status=503)
    b["input"]["response"]["body"] = "<html>Service Unavailable</html>"
    c, _ = ensure_step(dict(s_503, last_error=e), rec, "locked", 1, CC_CREDS, session_in=ref("1.output.session"))
    d, _ = ensure_step(dict(s_503, last_error=e), rec + 1000, "check", session_in=ref("1.output.session"))
    tests.append(steps("the loop without a token: send the grant; 503 → backoff(1) = 1000 ms; locked with 1 exchange → fail "
                       "carrying the 503 (retry_after_ms 1000 left); at received + 1000 the check says renew",
                       [a, b, c, d], ["loop", "backoff"]))

    # A refused refresh token: the grant at once (the bound's second exchange), then use.
    s_rt = dict(CC, refresh_token="cc-rt-1")
    a, _ = ensure_step(s_rt, EXPIRED, "locked", 0, CC_CREDS, request=cc_request("refresh_token", refresh_token="cc-rt-1"),
                       sent_session=dict(s_rt, pending={"step": "refresh", "sent_at_ms": EXPIRED, "secret": "current"}))
    e = error("reauth_required", "invalid_grant")
    s_refused = dict(CC, failures=1)
    b = cc_response(ref("0.output.session"), EXPIRED + 100, {"error": "invalid_grant"}, s_refused, e, status=400)
    c, _ = ensure_step(dict(s_refused, last_error=e), EXPIRED + 100, "locked", 1, CC_CREDS, session_in=ref("1.output.session"),
                       request=cc_request("client_credentials"),
                       sent_session=dict(s_refused, last_error=e, pending={"step": "client_credentials", "sent_at_ms": EXPIRED + 100,
                                                                            "secret": "current"}))
    s_new = dict(CC, access_token="cc-at-2", obtained_at_ms=EXPIRED + 100, expires_at_ms=EXPIRED + 100 + H)
    d = cc_response(ref("2.output.session"), EXPIRED + 300, {"access_token": "cc-at-2", "token_type": "Bearer", "expires_in": 3600}, s_new)
    f, _ = ensure_step(s_new, EXPIRED + 300, "locked", 2, CC_CREDS, session_in=ref("3.output.session"))
    tests.append(steps("an unusable token with a refresh token: locked → send the refresh; invalid_grant (RFC 6749 §6) drops "
                       "the refresh token, reauth_required, counted without a backoff since the grant is another request; "
                       "locked with 1 exchange → send the grant at once; the answer stores cc-at-2; locked with 2 → use",
                       [a, b, c, d, f], ["loop", "bound"]))

    # Secret rotation: the current secret refused, the previous one tried at once, refused too: a person.
    old = "test-only-old-secret"
    rot = {"client_secret": CC_SECRET, "previous_client_secret": old, "previous_secret_valid_until_ms": T0 + 24 * H}
    a, _ = ensure_step(s_in, T0, "locked", 0, rot, request=cc_request("client_credentials"),
                       sent_session=dict(s_in, pending={"step": "client_credentials", "sent_at_ms": T0, "secret": "current",
                                                        "secret_fallback": True}))
    e1 = error("provider_error", "invalid_client", retryable=True)
    s1 = dict(s_in, secret_in_use="previous", failures=1)
    b = cc_response(ref("0.output.session"), T0 + 200, {"error": "invalid_client"}, s1, e1, status=401)
    c, _ = ensure_step(dict(s1, last_error=e1), T0 + 200, "locked", 1, rot, session_in=ref("1.output.session"),
                       request=cc_request("client_credentials", secret=old),
                       sent_session=dict(s1, last_error=e1, pending={"step": "client_credentials", "sent_at_ms": T0 + 200,
                                                                     "secret": "previous"}))
    e2 = error("user_action_required", "invalid_client")
    s2 = dict(without(s1, "secret_in_use"), needs_user=TEXT)
    d = cc_response(ref("2.output.session"), T0 + 400, {"error": "invalid_client"}, s2, e2, status=401)
    f, _ = ensure_step(dict(s2, last_error=e2), T0 + 400, "locked", 2, rot, session_in=ref("3.output.session"))
    tests.append(steps("secret rotation in the loop: the current secret is refused (401 invalid_client) while the previous "
                       "is inside its deadline: retryable at once; locked with 1 exchange → send with the previous secret; "
                       "refused too: a person must fix the secrets; locked with 2 → fail carrying that error",
                       [a, b, c, d, f], ["loop", "secret-rotation"]))

    # GST providers: a randomised request (a fresh app key), whose recording the answer's step proves.
    g_due = T0 + 6 * H - 10 * MIN
    a, _ = ensure_step(g, g_due, "locked", 0, {"client_secret": "gsp-secret"})
    s_fail, e = auth_failure("gstn", dict(g, pending={"step": "refresh_token"}), ["AUTH4033"], "Invalid Session", g_due + 200, False)
    b = {"op": "session_response", "input": {"session": ref("0.output.session"), "received_at_ms": g_due + 200,
                                             "response": {"status": 200, "body": failure_body("gstn", "AUTH4033", "Invalid Session")}},
         "result": "valid", "output": response_output(s_fail, e)}
    c, _ = ensure_step(dict(s_fail, last_error=e), g_due + 200, "locked", 1, {"client_secret": "gsp-secret"},
                       session_in=ref("1.output.session"))
    tests.append(steps("GSTN at its margin, locked: send REFRESHTOKEN (a fresh app key, so the request is not compared; the "
                       "answer below needs the request recorded); AUTH4033 rejects the token, which only an OTP replaces; "
                       "locked with 1 exchange → fail user_action_required with AUTH4033", [a, b, c], ["loop"]))
    a, _ = ensure_step(nic, T0, "locked", 0, nic_creds)
    s_fail, e = auth_failure("nic_einvoice", dict(nic, pending={"step": "auth"}), ["1008"], "Invalid login credentials", T0 + 200, True)
    b = {"op": "session_response", "input": {"session": ref("0.output.session"), "received_at_ms": T0 + 200,
                                             "response": {"status": 200, "body": failure_body("nic_einvoice", "1008", "Invalid login credentials")}},
         "result": "valid", "output": response_output(s_fail, e)}
    c, _ = ensure_step(dict(s_fail, last_error=e), T0 + 200, "check", session_in=ref("1.output.session"))
    tests.append(steps("NIC without a token, locked: send the auth (RSA, not compared); 1008 is never retried; the next "
                       "check fails carrying 1008", [a, b, c], ["loop"]))
    return tests


# ---------------------------------------------------------------- session_headers

def headers_tests():
    tests = []
    gcfg = {k: v for k, v in GSTN_CFG.items() if k != "access_window_ms"}
    g = session("gstn", GSTN_ACCT, gcfg, access_token="gstn-tok", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H)
    gh = {"Content-Type": "application/json", "clientid": "gsp-client", "client-secret": "gsp-secret", "state-cd": "27",
          "ip-usr": "203.0.113.7", "txn": "txn-0001", "gstin": "27AAACR5055K1Z7", "username": "taxpayer1", "auth-token": "gstn-tok"}
    gc = {"client_secret": "gsp-secret"}
    tests.append(valid("GSTN: the common headers, auth-token once logged in", {"session": g, "credentials": gc, "txn": "txn-0001"},
                       {"headers": gh}))
    tests.append(valid("GSTN returns call: ret_period, rtn_typ and userrole", {"session": g, "credentials": gc, "txn": "txn-0001",
                       "ret_period": "042026", "rtn_typ": "GSTR1", "userrole": "GSTR1"},
                       {"headers": dict(gh, ret_period="042026", rtn_typ="GSTR1", userrole="GSTR1")}))
    tests.append(valid("GSTN before login: no auth-token", {"session": session("gstn", GSTN_ACCT, gcfg), "credentials": gc, "txn": "txn-0001"},
                       {"headers": without(gh, "auth-token")}))
    tests.append(valid("GSTN without txn: a random one (not compared)", {"session": g, "credentials": gc}, None))
    tests.append(valid("GSTN with a rejected, expired token: the headers do not judge the token (ask session_ensure)",
                       {"session": dict(g, rejected=True), "credentials": gc, "txn": "txn-0001"}, {"headers": gh}))
    gw = session("gateway_task", GSTN_ACCT, dict(GW_CFG, client_id="gsp-client", ip_usr="203.0.113.7"), access_token="gw-tok",
                 obtained_at_ms=T0, expires_at_ms=T0 + 6 * H)
    tests.append(valid("gateway task: GSTN's headers", {"session": gw, "credentials": gc, "txn": "txn-0001", "ret_period": "042026"},
                       {"headers": dict(gh, **{"auth-token": "gw-tok", "ret_period": "042026"})}))
    n = session("nic_einvoice", NIC_ACCT, NIC_CFG, access_token="nic-tok", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H)
    nh = {"Content-Type": "application/json", "client_id": "nic-client", "client_secret": "nic-secret", "Gstin": "29AAFCD5862R000",
          "user_name": "api_user", "AuthToken": "nic-tok"}
    tests.append(valid("NIC e-invoice: client_id, client_secret, Gstin, user_name, AuthToken (NIC e-invoice API v1.04)",
                       {"session": n, "credentials": {"client_secret": "nic-secret"}}, {"headers": nh}))
    tests.append(valid("NIC e-invoice before auth: no AuthToken", {"session": session("nic_einvoice", NIC_ACCT, NIC_CFG),
                       "credentials": {"client_secret": "nic-secret"}}, {"headers": without(nh, "AuthToken")}))
    e = session("nic_ewaybill", EWB_ACCT, EWB_CFG, access_token="ewb-tok", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H)
    eh = {"Content-Type": "application/json", "client-id": "ewb-client", "client-secret": "ewb-secret", "gstin": "05AAACG2115R1ZN",
          "authtoken": "ewb-tok"}
    tests.append(valid("e-way bill: client-id, client-secret, gstin, authtoken (NIC e-way bill API v1.03)",
                       {"session": e, "credentials": {"client_secret": "ewb-secret"}}, {"headers": eh}))
    for p, cfg, tok in [("oauth_client_credentials", CC_CFG, "cc-at-1"), ("oauth_password", {"token_url": CC_URL, "client_id": "gw"}, "pw-at"),
                        ("oauth_authorization_code", {"token_url": CC_URL, "client_id": "erp"}, "code-at"),
                        ("whitebit", {"client_id": "wb"}, "wb-at"), ("whitebit_fast_key", {"client_id": "wb"}, "fast-at")]:
        s = session(p, "acct", cfg, access_token=tok, obtained_at_ms=T0, expires_at_ms=T0 + H)
        tests.append(valid(f"{p}: Authorization: Bearer (RFC 6750 §2.1), no credentials needed", {"session": s},
                           {"headers": {"Authorization": "Bearer " + tok}}))
    tests.append(valid("OAuth without a token: no headers", {"session": session("oauth_client_credentials", "acct", CC_CFG)},
                       {"headers": {}}))
    for label, inp, code in [
            ("ret_period on an e-invoice call", {"session": n, "credentials": {"client_secret": "nic-secret"}, "ret_period": "042026"}, "invalid_input"),
            ("rtn_typ on an OAuth call", {"session": session("oauth_client_credentials", "acct", CC_CFG), "rtn_typ": "GSTR1"}, "invalid_input"),
            ("userrole on an e-way bill call", {"session": e, "credentials": {"client_secret": "ewb-secret"}, "userrole": "GSTR1"}, "invalid_input"),
            ("GSTN rtn_typ with a space", {"session": g, "credentials": gc, "rtn_typ": "GSTR 1"}, "invalid_input"),
            ("GSTN ret_period 2026-04", {"session": g, "credentials": gc, "ret_period": "2026-04"}, "invalid_input"),
            ("GSTN without the client secret", {"session": g}, "config_invalid"),
            ("NIC without the client secret", {"session": n}, "config_invalid"),
            ("NIC without config.gstin", {"session": dict(n, config=without(NIC_CFG, "gstin")), "credentials": {"client_secret": "x"}}, "config_invalid"),
            ("e-way bill without config.client_id", {"session": dict(e, config=without(EWB_CFG, "client_id")),
                                                    "credentials": {"client_secret": "x"}}, "config_invalid")]:
        tests.append(invalid(label, inp, code))
    return tests


# ---------------------------------------------------------------- payload envelopes

def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


PAYLOAD = compact({"gstin": "27AAACR5055K1Z7", "ret_period": "042026", "b2b": [{"ctin": "29AABCU9603R1ZJ", "inv": [
    {"inum": "INV/26/0001", "val": 118000.0, "itms": [{"num": 1, "itm_det": {"rt": 18, "txval": 100000.0}}]}]}]})
UNICODE = compact({"LglNm": "मेसर्स ₹ Traders & <Co>"})
ARRAY = compact([{"Irn": "a5c1"}, {"Irn": "b6d2"}])


def gstn_data(key, p: bytes):
    """GSTN: data = b64(AES(key, b64(p))), hmac = b64(HMAC-SHA256(key, b64(p)))."""
    t = base64.b64encode(p)
    return b64(aes_ecb_encrypt(key, t)), b64(hmac_sha256(key, t))


def nic_data(key, p: bytes):
    """NIC (e-invoice and e-way bill): Data = b64(AES(key, p))."""
    return b64(aes_ecb_encrypt(key, p))


def join(*members):
    """A compact JSON object whose members are (name, raw JSON text) in order."""
    return "{" + ",".join(json.dumps(k) + ":" + v for k, v in members) + "}"


def q(s):
    return json.dumps(s)


def body_tests():
    """Requests: the payload member replaced by its ciphertext (GSTN adds hmac after the other members), everything else
    kept in order; responses: the payload decrypted in place and rek/hmac removed."""
    enc, dec, enc_raw, dec_raw, penc, pdec = [], [], [], [], [], []
    g = session("gstn", GSTN_ACCT, GSTN_CFG, access_token="gstn-tok", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H, sek=b64(EK),
                app_key=b64(K1))
    gw = dict(g, provider="gateway_task", config=GW_CFG)
    n = session("nic_einvoice", NIC_ACCT, NIC_CFG, access_token="nic-tok", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H, sek=b64(EK),
                app_key=b64(K1))
    e = session("nic_ewaybill", EWB_ACCT, EWB_CFG, access_token="ewb-tok", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H, sek=b64(EK),
                app_key=b64(K1))
    o = session("oauth_client_credentials", "erp-batch", CC_CFG, access_token="cc-at", obtained_at_ms=T0, expires_at_ms=T0 + H)
    nokey = without(n, "sek")

    def both(lst_json, lst_raw, comment, s, body, want=None, code=None, flags=None, json_too=True):
        if code:
            if json_too:
                lst_json.append(invalid(comment, {"session": s, "body": body}, code, flags))
            lst_raw.append(invalid(comment, {"session": s}, code, flags, data=b64(body.encode())))
        else:
            if json_too:
                lst_json.append(valid(comment, {"session": s, "body": body}, {"body": want}, flags))
            lst_raw.append(valid(comment, {"session": s}, {}, flags, data=b64(body.encode()), output_data=b64(want.encode())))

    # Requests.
    for label, p in [("a GSTR-1 RETSAVE", PAYLOAD), ("non-ASCII text", UNICODE), ("an array", ARRAY)]:
        d, mac = gstn_data(EK, p.encode())
        both(enc, enc_raw, f"GSTN {{action, data}} with {label}: data = b64(AES(EK, b64(json))), hmac added",
             g, join(("action", q("RETSAVE")), ("data", p)), join(("action", q("RETSAVE")), ("data", q(d)), ("hmac", q(mac))))
    d, mac = gstn_data(EK, PAYLOAD.encode())
    both(enc, enc_raw, "GSTN with an hmac member already: its value replaced where it stands", g,
         join(("hmac", q("")), ("action", q("RETSAVE")), ("data", PAYLOAD)), join(("hmac", q(mac)), ("action", q("RETSAVE")), ("data", q(d))))
    both(enc, enc_raw, "a gateway task session encrypts as GSTN", gw, join(("action", q("RETSAVE")), ("data", PAYLOAD)),
         join(("action", q("RETSAVE")), ("data", q(d)), ("hmac", q(mac))))
    spaced = '{"gstin": "27AAACR5055K1Z7",  "fp" : "042026"}'
    d2, mac2 = gstn_data(EK, spaced.encode())
    both(enc, enc_raw, "GSTN: the payload is the member's exact text, spaces and all", g,
         join(("action", q("RETSAVE")), ("data", spaced)), join(("action", q("RETSAVE")), ("data", q(d2)), ("hmac", q(mac2))))
    for label, p in [("an IRN request", PAYLOAD), ("non-ASCII text", UNICODE)]:
        both(enc, enc_raw, f"NIC e-invoice {{Data}} with {label}: Data = b64(AES(SEK, json)), no HMAC", n,
             join(("Data", p)), join(("Data", q(nic_data(EK, p.encode())))))
    both(enc, enc_raw, "e-way bill {action, data}: data = b64(AES(SEK, json))", e, join(("action", q("GENEWAYBILL")), ("data", PAYLOAD)),
         join(("action", q("GENEWAYBILL")), ("data", q(nic_data(EK, PAYLOAD.encode())))))
    for label, s, body in [("GSTN data already a string", g, join(("action", q("RETSAVE")), ("data", q("ZW5j")))),
                           ("GSTN without a data member (RETSUM)", g, join(("action", q("RETSUM")))),
                           ("GSTN data that is a number", g, join(("action", q("X")), ("data", "5"))),
                           ("NIC with data in lower case (e-invoice's member is Data)", n, join(("data", PAYLOAD))),
                           ("an OAuth session encrypts nothing", o, join(("data", PAYLOAD))),
                           ("an empty body", g, "")]:
        both(enc, enc_raw, f"unchanged: {label}", s, body, body)
    both(enc, enc_raw, "a payload and no session key yet: authenticate first", nokey, join(("Data", PAYLOAD)), code="token_expired")
    both(enc, enc_raw, "a body that is not one JSON object", g, "[1,2]", code="invalid_input")
    both(enc, enc_raw, "a duplicate member", g, '{"data":{},"data":{}}', code="invalid_input")

    # Responses.
    rek = randbytes(R, 32)
    for label, p in [("a GSTR-2B answer", PAYLOAD), ("non-ASCII text", UNICODE), ("an array", ARRAY)]:
        t = base64.b64encode(p.encode())
        data, rk, mac = b64(aes_ecb_encrypt(rek, t)), b64(aes_ecb_encrypt(EK, rek)), b64(hmac_sha256(rek, t))
        both(dec, dec_raw, f"GSTN {{status_cd:1, data, rek, hmac}} with {label}: REK = dec(EK, rek), HMAC checked, data replaced "
             "by the JSON, rek and hmac removed", g,
             join(("status_cd", q("1")), ("data", q(data)), ("rek", q(rk)), ("hmac", q(mac)), ("x", "1")),
             join(("status_cd", q("1")), ("data", p), ("x", "1")))
    t = base64.b64encode(PAYLOAD.encode())
    gdata, grek, gmac = b64(aes_ecb_encrypt(rek, t)), b64(aes_ecb_encrypt(EK, rek)), b64(hmac_sha256(rek, t))
    gbody = join(("status_cd", q("1")), ("data", q(gdata)), ("rek", q(grek)), ("hmac", q(gmac)))
    both(dec, dec_raw, "GSTN without status_cd (a GET answer): decrypted all the same", g,
         join(("data", q(gdata)), ("rek", q(grek)), ("hmac", q(gmac))), join(("data", PAYLOAD)))
    both(dec, dec_raw, "GSTN status_cd as a number", g, join(("status_cd", "1"), ("data", q(gdata)), ("rek", q(grek)), ("hmac", q(gmac))),
         join(("status_cd", "1"), ("data", PAYLOAD)))
    both(dec, dec_raw, "a gateway task session decrypts as GSTN", gw, gbody, join(("status_cd", q("1")), ("data", PAYLOAD)))
    bad = bytearray(base64.b64decode(gmac))
    bad[0] ^= 1
    both(dec, dec_raw, "GSTN with one bit of the HMAC flipped: decrypt_failed", g,
         join(("status_cd", q("1")), ("data", q(gdata)), ("rek", q(grek)), ("hmac", q(b64(bytes(bad))))), code="decrypt_failed")
    both(dec, dec_raw, "GSTN with the HMAC of another payload: decrypt_failed", g,
         join(("status_cd", q("1")), ("data", q(gdata)), ("rek", q(grek)), ("hmac", q(b64(hmac_sha256(rek, b"e30="))))),
         code="decrypt_failed")
    both(dec, dec_raw, "GSTN under another session key: decrypt_failed", dict(g, sek=b64(K1)), gbody, code="decrypt_failed")
    ndata = nic_data(EK, PAYLOAD.encode())
    both(dec, dec_raw, "NIC e-invoice {Status:1, Data}: Data decrypted with the SEK", n, join(("Status", "1"), ("Data", q(ndata))),
         join(("Status", "1"), ("Data", PAYLOAD)))
    nrek_data, nrek, nmac = nic_data(rek, PAYLOAD.encode()), b64(aes_ecb_encrypt(EK, rek)), b64(hmac_sha256(rek, base64.b64encode(PAYLOAD.encode())))
    both(dec, dec_raw, "NIC e-invoice with Rek and Hmac: Data under the REK, Hmac over b64(json) checked, both removed", n,
         join(("Status", "1"), ("Data", q(nrek_data)), ("Rek", q(nrek)), ("Hmac", q(nmac))), join(("Status", "1"), ("Data", PAYLOAD)))
    both(dec, dec_raw, "e-way bill {status:\"1\", data}: data decrypted with the SEK", e, join(("status", q("1")), ("data", q(ndata))),
         join(("status", q("1")), ("data", PAYLOAD)))
    both(dec, dec_raw, "e-way bill GET answer with rek and hmac", e,
         join(("status", q("1")), ("data", q(nrek_data)), ("rek", q(nrek)), ("hmac", q(nmac))), join(("status", q("1")), ("data", PAYLOAD)))
    both(dec, dec_raw, "e-way bill with a bad hmac: decrypt_failed", e,
         join(("status", q("1")), ("data", q(nrek_data)), ("rek", q(nrek)), ("hmac", q(b64(bytes(32))))), code="decrypt_failed")
    for label, s, body in [("a GSTN failure", g, failure_body("gstn", "RET11416", "No Invoices found")),
                           ("a NIC failure", n, failure_body("nic_einvoice", "2150", "Duplicate IRN")),
                           ("an e-way bill failure", e, failure_body("nic_ewaybill", "238", "")),
                           ("a GSTN success without rek and hmac (not an encrypted answer)", g, join(("status_cd", q("1")), ("data", q(gdata)))),
                           ("an e-way bill success whose data is already JSON", e, join(("status", q("1")), ("data", PAYLOAD))),
                           ("an OAuth session decrypts nothing", o, join(("data", q(ndata)))),
                           ("an empty body", n, "")]:
        both(dec, dec_raw, f"unchanged: {label}", s, body, body)
    both(dec, dec_raw, "an encrypted success and no session key: authenticate first", nokey, join(("Status", "1"), ("Data", q(ndata))),
         code="token_expired")
    both(dec, dec_raw, "a decrypted payload that is not JSON: provider_error, never altered text", n,
         join(("Status", "1"), ("Data", q(nic_data(EK, b"not json")))), code="provider_error")
    # RFC 8259 §8.1: JSON text is UTF-8; bytes that are not are not JSON (core.DecryptResponseBody), so neither the JSON
    # op nor its raw twin returns them.
    both(dec, dec_raw, "a decrypted payload that is not UTF-8 ({\"a\":\"\\xff\"}): not JSON text, provider_error", n,
         join(("Status", "1"), ("Data", q(nic_data(EK, b'{"a":"\xff"}')))), code="provider_error", flags=["utf-8"])

    # The payload members alone (session_encrypt_payload_raw) and the payload alone (session_decrypt_payload_raw).
    d, mac = gstn_data(EK, PAYLOAD.encode())
    for label, s, want in [("GSTN: {data, hmac}", g, join(("data", q(d)), ("hmac", q(mac)))),
                           ("NIC e-invoice: {Data}", n, join(("Data", q(nic_data(EK, PAYLOAD.encode()))))),
                           ("e-way bill: {data}", e, join(("data", q(nic_data(EK, PAYLOAD.encode())))))]:
        penc.append(valid(label, {"session": s}, {}, data=b64(PAYLOAD.encode()), output_data=b64(want.encode())))
    penc.append(invalid("an OAuth session encrypts no payloads", {"session": o}, "unsupported", data=b64(PAYLOAD.encode())))
    penc.append(invalid("a payload that is not JSON", {"session": g}, "invalid_input", data=b64(b"not json")))
    penc.append(invalid("no session key yet", {"session": nokey}, "token_expired", data=b64(PAYLOAD.encode())))
    for label, s, body in [("GSTN", g, gbody), ("NIC e-invoice", n, join(("Status", "1"), ("Data", q(ndata)))),
                           ("e-way bill with rek and hmac", e, join(("status", q("1")), ("data", q(nrek_data)), ("rek", q(nrek)), ("hmac", q(nmac))))]:
        pdec.append(valid(f"{label}: the decrypted payload", {"session": s}, {}, data=b64(body.encode()),
                          output_data=b64(PAYLOAD.encode())))
    for label, s, body, code, pcode in [
            ("a GSTN AUTH4033: the catalogue's error (a GSTN renewal needs an OTP)", g, failure_body("gstn", "AUTH4033", "Invalid Session"),
             "user_action_required", "AUTH4033"),
            ("an e-invoice 1005", n, failure_body("nic_einvoice", "1005", "Invalid Token"), "reauth_required", "1005"),
            ("an e-way bill 118", e, failure_body("nic_ewaybill", "118", ""), "rate_limited", "118"),
            ("a GSTN no-data answer carries no payload", g, failure_body("gstn", "RET11416", "No Invoices found"), "invalid_input", None),
            ("a success without an encrypted payload", e, join(("status", q("1")), ("data", PAYLOAD)), "invalid_input", None),
            ("a bad MAC", e, join(("status", q("1")), ("data", q(nrek_data)), ("rek", q(nrek)), ("hmac", q(b64(bytes(32))))),
             "decrypt_failed", None)]:
        t = invalid(label, {"session": s}, code, data=b64(body.encode()))
        if pcode:
            t["provider_code"] = pcode
        pdec.append(t)
    return enc, dec, enc_raw, dec_raw, penc, pdec


def main():
    write("session_ensure", None, "session_ensure: the host's next move in its refresh loop (use, refresh, renew, send, fail) "
          "at each stage, the bound of two exchanges, failures that carry the session's last error, and whole loops with "
          "session_response.", GEN, SOURCES, ensure_tests())
    write("session_headers", "session_headers", "session_headers: the headers of an ordinary API call for every provider "
          "(GSTN with ret_period, rtn_typ and userrole; NIC e-invoice; e-way bill; Bearer for OAuth and WhiteBIT).", GEN,
          SOURCES, headers_tests())
    enc, dec, enc_raw, dec_raw, penc, pdec = body_tests()
    tests = []
    for op, lst in [("session_encrypt_body", enc), ("session_decrypt_body", dec), ("session_encrypt_body_raw", enc_raw),
                    ("session_decrypt_body_raw", dec_raw), ("session_encrypt_payload_raw", penc),
                    ("session_decrypt_payload_raw", pdec)]:
        for t in lst:
            t["op"] = op
            t["comment"] = op + ": " + t["comment"]
            tests.append(t)
    write("session_bodies", None, "The payload envelopes of ordinary API calls: GSTN {action, data} → data + hmac, NIC "
          "e-invoice {Data}, e-way bill {action, data}; answers with and without rek/hmac decrypted in place; failures and "
          "bodies without a payload unchanged; decrypt_failed on a bad MAC; the JSON ops and their raw twins.",
          GEN, SOURCES, tests)


if __name__ == "__main__":
    main()
