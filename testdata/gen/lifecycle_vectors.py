"""Lifecycle vectors: sequences of (session, now, response) -> expected session, plan and error.

Expected instants come from the documented rules (core/doc.go), computed by lifecycle_rules.py and written out as
arithmetic in each comment. Session keys in responses are encrypted with Python `cryptography` (AES-256-ECB-PKCS7);
TokenExpiry strings are formatted with Python's datetime in a fixed UTC+05:30 zone. gstauth is never imported or run.

Run from the repository root (see README.md for the venv):  python3 testdata/gen/lifecycle_vectors.py
"""
import copy
import json
from datetime import datetime, timedelta, timezone
from email.utils import formatdate

from common import aes_ecb_encrypt, b64, invalid, read_key, ref, rng, randbytes, steps, valid, write
from lifecycle_rules import DAY, H, MIN, S, TEXT, backoff, error, plan, response_output, session

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
IST = timezone(timedelta(hours=5, minutes=30))
R = rng("gstauth lifecycle vectors v1")
GEN = ("testdata/gen/lifecycle_vectors.py: expected instants worked out from the rules documented in core/doc.go "
       "(lifecycle_rules.py, arithmetic in each comment), never from gstauth's output; SEKs encrypted with Python "
       "cryptography 48 (AES-256-ECB-PKCS7); TokenExpiry formatted with Python datetime in UTC+05:30; Date headers "
       "with email.utils.formatdate.")
SOURCES = ["../shared/reference/gst-protocols.md", "../shared/reference/tokens.md", "core/doc.go (timing rules)"]


def key():
    return randbytes(R, 32)


def ist(ms):
    return datetime.fromtimestamp(ms / 1000, IST).strftime("%Y-%m-%d %H:%M:%S")


def http_date(ms):
    assert ms % 1000 == 0
    return formatdate(ms / 1000, usegmt=True)


def sek(app_key, ek):
    return b64(aes_ecb_encrypt(app_key, ek))


def plan_step(s, now, label=""):
    p, why = plan(s, now)
    return {"op": "session_plan", "input": {"session": s, "now_ms": now}, "result": "valid", "output": p}, why


def plan_ref(n, s, now):
    """A session_plan step on the session output of step n (s is that session, for the expectation)."""
    st, why = plan_step(s, now)
    st["input"]["session"] = ref(f"{n}.output.session")
    return st, why


def response_step(s_in, response, received, out_session, err=None, sent=None):
    """A session_response step: out_session is the session after the exchange, err the failure (its last_error)."""
    inp = {"session": s_in, "response": response, "received_at_ms": received}
    if sent is not None:
        inp["sent_at_ms"] = sent
    return {"op": "session_response", "input": inp, "result": "valid", "output": response_output(out_session, err)}


def without(d, *keys):
    d = copy.deepcopy(d)
    for k in keys:
        d.pop(k, None)
    return d


def with_(d, **kv):
    d = copy.deepcopy(d)
    for k, v in kv.items():
        if v in (None, 0, "", False):
            d.pop(k, None)
        else:
            d[k] = v
    return d


# ---------------------------------------------------------------- GSTN

GSTN_CFG = {"base_url": "https://gsp.example/taxpayerapi/v1.0", "client_id": "gsp-client", "gstin": "27AAACR5055K1Z7",
            "username": "taxpayer1", "ip_usr": "203.0.113.7", "access_window_ms": 7 * H}
GSTN_ACCT = "27AAACR5055K1Z7/taxpayer1"


def gstn_tests():
    tests = []
    k1, k2, ek1, ek2 = key(), key(), key(), key()

    # 1. AUTHTOKEN → refresh inside a 7 h window → the window's end.
    t = T0
    s0 = session("gstn", GSTN_ACCT, GSTN_CFG, otp_app_key=b64(k1), pending={"step": "auth_token", "sent_at_ms": t, "app_key": b64(k1)})
    date = t + 5 * S
    body = json.dumps({"status_cd": "1", "auth_token": "gstn-tok-1", "expiry": 360, "sek": sek(k1, ek1)})
    s1 = session("gstn", GSTN_ACCT, GSTN_CFG, access_token="gstn-tok-1", obtained_at_ms=t, expires_at_ms=t + 360 * MIN,
                 access_window_ends_at_ms=t + 7 * H, sek=b64(ek1), app_key=b64(k1), skew_ms=date - (t + t + 400) // 2,
                 skew_measured_at_ms=t + 400)
    st = [response_step(s0, {"status": 200, "headers": {"Date": http_date(date)}, "body": body}, t + 400, s1)]
    p1, why1 = plan_ref(0, s1, t + 6 * H - 10 * MIN - 1)
    p2, _ = plan_ref(0, s1, t + 6 * H - 10 * MIN)
    st += [p1, p2]
    r = t + 6 * H - 8 * MIN
    s2in = with_(s1, pending={"step": "refresh_token", "sent_at_ms": r, "app_key": b64(k2)})
    body2 = json.dumps({"status_cd": 1, "auth_token": "gstn-tok-2", "expiry": "360", "sek": sek(k2, ek2)})
    s2 = with_(s1, access_token="gstn-tok-2", obtained_at_ms=r, expires_at_ms=t + 7 * H, sek=b64(ek2), app_key=b64(k2))
    st.append(response_step(s2in, {"status": 200, "body": body2}, r + 300, s2))
    p3, why3 = plan_ref(3, s2, t + 7 * H - 10 * MIN)
    p4, _ = plan_ref(3, s2, t + 7 * H - 30 * S - 1)
    p5, _ = plan_ref(3, s2, t + 7 * H - 30 * S)
    st += [p3, p4, p5]
    tests.append(steps(
        "GSTN AUTHTOKEN (expiry 360 min from sent_at T0) in a 7 h access window, Date T0+5 s received T0+400 ms: skew = "
        "5000 - 200 = 4800; " + why1 + "; user_action_at = window end T0+7h - 30 s; refresh at T0+6h-8min gets "
        "min(sent+6h, T0+7h) = T0+7h, which cannot be refreshed: " + why3 + "; stale (access_window_ending) at the "
        "margin, user_action at T0+7h-30s", st, ["lifecycle", "skew", "access-window", "boundary"]))

    # 2. AUTH4033 on REFRESHTOKEN → rejected, OTP; central backoff 1 s.
    base = session("gstn", GSTN_ACCT, GSTN_CFG, access_token="gstn-tok-1", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H,
                   sek=b64(ek1), app_key=b64(k1))
    now = T0 + 6 * H - 5 * MIN
    sin = with_(base, pending={"step": "refresh_token", "sent_at_ms": now, "app_key": b64(k2)})
    sout = with_(base, rejected=True, failures=1, retry_not_before_ms=now + 200 + backoff("", 1))
    err = error("user_action_required", "AUTH4033")
    body = json.dumps({"status_cd": "0", "error": {"message": "Invalid Session", "error_cd": "AUTH4033"}})
    st = [response_step(sin, {"status": 200, "body": body}, now + 200, sout, err)]
    pp, _ = plan_ref(0, sout, now + 200)
    st.append(pp)
    tests.append(steps("GSTN AUTH4033 on REFRESHTOKEN (class reauthenticate): token rejected; a GSTN renewal needs an "
                       "OTP, so the error is user_action_required (outcome user_action); every failure backs off: "
                       "retry_not_before = received + backoff(1) = +1000", st, ["lifecycle", "AUTH4033"]))

    # 3. AUTH4034 on AUTHTOKEN → a person must give the OTP again.
    s_auth = session("gstn", GSTN_ACCT, GSTN_CFG, otp_app_key=b64(k1), pending={"step": "auth_token", "sent_at_ms": T0, "app_key": b64(k1)})
    sout = with_(without(s_auth, "pending"), needs_user=TEXT)
    body = json.dumps({"status_cd": "0", "error": {"message": "Invalid OTP", "error_cd": "AUTH4034"}})
    st = [response_step(s_auth, {"status": 200, "body": body}, T0 + 300, sout, error("user_action_required", "AUTH4034"))]
    pp, _ = plan_ref(0, sout, T0 + 300)
    st.append(pp)
    tests.append(steps("GSTN AUTH4034 during AUTHTOKEN: terminal, needs_user until a new token", st, ["lifecycle"]))

    # 4. 429 with Retry-After, then 503 with a jitter seed.
    cfg = dict(GSTN_CFG, jitter_seed="tenant-42")
    base = session("gstn", GSTN_ACCT, cfg, access_token="gstn-tok-1", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H,
                   sek=b64(ek1), app_key=b64(k1))
    now = T0 + 6 * H - 9 * MIN  # past refresh_at = exp - 10 min - jitter (≤ 2 min)
    sin = with_(base, pending={"step": "refresh_token", "sent_at_ms": now, "app_key": b64(k2)})
    wait1 = max(120 * S, backoff("tenant-42", 1))
    s1 = with_(base, failures=1, retry_not_before_ms=now + 100 + wait1)
    e1 = error("rate_limited", "429", wait1, True)
    st = [response_step(sin, {"status": 429, "headers": {"Retry-After": "120"}, "body": ""}, now + 100, s1, e1)]
    pa, why = plan_ref(0, s1, now + 100)
    st.append(pa)
    now2 = now + 100 + wait1
    sin2 = with_(s1, pending={"step": "refresh_token", "sent_at_ms": now2, "app_key": b64(k2)}, last_error=e1)
    wait2 = backoff("tenant-42", 2)
    s2 = with_(s1, failures=2, retry_not_before_ms=now2 + 100 + wait2)
    st.append(response_step(sin2, {"status": 503, "body": "unavailable"}, now2 + 100, s2,
                            error("provider_error", "503", wait2, True)))
    pb, _ = plan_ref(2, s2, now2 + 100 + wait2 - 1)
    pc, _ = plan_ref(2, s2, now2 + 100 + wait2)
    st += [pb, pc]
    tests.append(steps(f"GSTN refresh: 429 Retry-After 120 s → wait max(120000, backoff(1)={backoff('tenant-42', 1)}) = {wait1}; "
                       f"then 503 → backoff(2) = 2000 + J('tenant-42', 2, 400) = {wait2}; the stale token stays in use "
                       f"until the retry instant (1 ms before: backoff; at it: refresh); " + why,
                       st, ["lifecycle", "backoff", "Retry-After", "jitter"]))

    # 5. Absurd expiry → provider_error, nothing stored.
    for expiry, label in [(0, "zero"), (-360, "negative"), (366 * 24 * 60 + 1, "over a year")]:
        s_auth = session("gstn", GSTN_ACCT, GSTN_CFG, pending={"step": "auth_token", "sent_at_ms": T0, "app_key": b64(k1)})
        body = json.dumps({"status_cd": "1", "auth_token": "t", "expiry": expiry, "sek": sek(k1, ek1)})
        sout = with_(without(s_auth, "pending"), failures=1, retry_not_before_ms=T0 + 300 + 1000)
        tests.append(steps(f"GSTN expiry {expiry} minutes ({label}) is absurd: provider_error, no token, backoff 1 s",
                           [response_step(s_auth, {"status": 200, "body": body}, T0 + 300, sout, error("provider_error"))],
                           ["lifecycle", "absurd-lifetime"]))

    # 5b. A refused OTP, a new OTPREQUEST (a successful exchange clears last_error; needs_user stays until a token),
    # then AUTHTOKEN with the new app key.
    k3, ek3 = key(), key()
    s_auth = session("gstn", GSTN_ACCT, GSTN_CFG, otp_app_key=b64(k1), pending={"step": "auth_token", "sent_at_ms": T0, "app_key": b64(k1)})
    e4034 = error("user_action_required", "AUTH4034")
    refused = with_(without(s_auth, "pending"), needs_user=TEXT)
    body = json.dumps({"status_cd": "0", "error": {"message": "Invalid OTP", "error_cd": "AUTH4034"}})
    st = [response_step(s_auth, {"status": 200, "body": body}, T0 + 300, refused, e4034)]
    t1 = T0 + MIN
    otp_in = with_(refused, last_error=e4034, pending={"step": "otp_request", "sent_at_ms": t1, "app_key": b64(k3)})
    otp_out = with_(refused, otp_app_key=b64(k3))
    st.append(response_step(otp_in, {"status": 200, "body": json.dumps({"status_cd": "1"})}, t1 + 200, otp_out))
    p, _ = plan_ref(1, otp_out, t1 + 200)
    st.append(p)
    t2 = T0 + 2 * MIN
    tok_in = with_(otp_out, pending={"step": "auth_token", "sent_at_ms": t2, "app_key": b64(k3)})
    body = json.dumps({"status_cd": "1", "auth_token": "gstn-tok-3", "expiry": 360, "sek": sek(k3, ek3)})
    tok_out = session("gstn", GSTN_ACCT, GSTN_CFG, access_token="gstn-tok-3", obtained_at_ms=t2, expires_at_ms=t2 + 6 * H,
                      access_window_ends_at_ms=t2 + 7 * H, sek=b64(ek3), app_key=b64(k3))
    st.append(response_step(tok_in, {"status": 200, "body": body}, t2 + 300, tok_out))
    tests.append(steps("GSTN: AUTH4034 on AUTHTOKEN (needs_user, last_error); a new OTPREQUEST succeeds: last_error is "
                       "cleared by any successful exchange, needs_user stays until a new token (the plan still says "
                       "user_action); AUTHTOKEN with the new OTP stores the token (expires min(sent + 360 min, window end "
                       "sent + 7 h)) and clears needs_user", st, ["lifecycle", "last_error"]))

    # 6. Jitter from a fixed seed at the boundary.
    s = session("gstn", GSTN_ACCT, dict(GSTN_CFG, jitter_seed="fleet-7"), access_token="t", obtained_at_ms=T0,
                expires_at_ms=T0 + 6 * H)
    p, why = plan(s, T0)
    at = p["refresh_at_ms"]
    a, _ = plan_step(s, at - 1)
    b, _ = plan_step(s, at)
    tests.append(steps("GSTN jitter from seed 'fleet-7': " + why + "; ±1 ms around refresh_at", [a, b], ["jitter", "boundary"]))
    return tests


# ---------------------------------------------------------------- NIC e-invoice

NIC_CFG = {"base_url": "https://einv.example", "client_id": "nic-client", "gstin": "29AAFCD5862R000", "username": "api_user"}
NIC_ACCT = "29AAFCD5862R000/api_user"


def nic_tests():
    tests = []
    k1, k2, ek1, ek2 = key(), key(), key(), key()

    # 1. IST TokenExpiry + skew, then ±1 ms around the 8-minute margin.
    t = T0
    server_now = t + 60 * S
    server_exp = server_now + 6 * H
    s0 = session("nic_einvoice", NIC_ACCT, NIC_CFG, pending={"step": "auth", "sent_at_ms": t, "app_key": b64(k1)})
    body = json.dumps({"Status": 1, "Data": {"ClientId": "nic-client", "UserName": "api_user", "AuthToken": "nic-tok-1",
                                             "Sek": sek(k1, ek1), "TokenExpiry": ist(server_exp)}})
    skew = server_now - (t + t + 200) // 2
    exp = server_exp - skew
    s1 = session("nic_einvoice", NIC_ACCT, NIC_CFG, access_token="nic-tok-1", obtained_at_ms=t, expires_at_ms=exp,
                 sek=b64(ek1), app_key=b64(k1), skew_ms=skew, skew_measured_at_ms=t + 200)
    st = [response_step(s0, {"status": 200, "headers": {"Date": http_date(server_now)}, "body": body}, t + 200, s1)]
    a, why = plan_ref(0, s1, exp - 8 * MIN - 1)
    b, _ = plan_ref(0, s1, exp - 8 * MIN)
    c, _ = plan_ref(0, s1, exp - 30 * S - 1)
    d, _ = plan_ref(0, s1, exp - 30 * S)
    st += [a, b, c, d]
    tests.append(steps(f"NIC auth: TokenExpiry '{ist(server_exp)}' is IST = {server_exp} ms (server clock); Date "
                       f"{http_date(server_now)} received T0+200 ms, sent T0: skew = {server_now} - {(t + t + 200) // 2} = {skew}; "
                       f"expires_at = {server_exp} - {skew} = {exp} = T0+6h+100ms; " + why +
                       "; refresh (ForceRefreshAccessToken) from the margin, renew at the leeway",
                       st, ["lifecycle", "IST", "skew", "boundary"]))

    # 2. A 20-minute configured margin is clamped into the force-refresh window.
    s = session("nic_einvoice", NIC_ACCT, dict(NIC_CFG, refresh_margin_ms=20 * MIN), access_token="t", obtained_at_ms=T0,
                expires_at_ms=T0 + 6 * H)
    p, why = plan(s, T0)
    a, _ = plan_step(s, T0 + 6 * H - 10 * MIN)
    b, _ = plan_step(s, T0 + 6 * H - 10 * MIN + 1)
    tests.append(steps("NIC margin 20 min clamped: " + why + "; a force refresh is honoured only in the last 10 min",
                       [a, b], ["clamped-margin", "boundary"]))

    # 3. A 60-minute sandbox token: margin and leeway stay below the clamps (15 min, 6 min).
    s = session("nic_einvoice", NIC_ACCT, NIC_CFG, access_token="t", obtained_at_ms=T0, expires_at_ms=T0 + H)
    p, why = plan(s, T0)
    a, _ = plan_step(s, p["refresh_at_ms"] - 1)
    b, _ = plan_step(s, p["refresh_at_ms"])
    tests.append(steps("NIC sandbox 60 min token: " + why, [a, b], ["boundary"]))

    # 4. The same token again after a force refresh NIC did not honour → backoff ≥ 1 min.
    base = session("nic_einvoice", NIC_ACCT, NIC_CFG, access_token="nic-tok-1", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H,
                   sek=b64(ek1), app_key=b64(k1))
    now = T0 + 6 * H - 8 * MIN
    sin = with_(base, pending={"step": "force_refresh", "sent_at_ms": now, "app_key": b64(k2)})
    body = json.dumps({"Status": 1, "Data": {"AuthToken": "nic-tok-1", "Sek": sek(k2, ek1), "TokenExpiry": ist(T0 + 6 * H)}})
    sout = with_(base, app_key=b64(k2), failures=1, retry_not_before_ms=now + 200 + max(MIN, backoff("", 1)))
    st = [response_step(sin, {"status": 200, "body": body}, now + 200, sout)]
    a, _ = plan_ref(0, sout, now + 200)
    b, _ = plan_ref(0, sout, now + 200 + MIN)
    st += [a, b]
    tests.append(steps("NIC returns the same token to a force refresh (no Date header, so no skew): obtained_at stays T0, "
                       "expires T0+6h; still due at received, so retry_not_before = received + max(60000, backoff(1)=1000)",
                       st, ["lifecycle", "same-token"]))

    # 5. 1005 on an ordinary call → renew with the password.
    now = T0 + 2 * H
    obs_err = error("reauth_required", "1005")
    obs_out = with_(base, rejected=True, last_error=obs_err)
    st = [{"op": "session_observe", "input": {"session": base, "response": {"status": 200, "body": json.dumps(
        {"Status": 0, "ErrorDetails": [{"ErrorCode": "1005", "ErrorMessage": "Invalid Token"}]})},
        "sent_at_ms": now, "received_at_ms": now + 150}, "result": "valid",
        "output": {"session": obs_out, "outcome": "reauthenticate", "error": obs_err}}]
    a, _ = plan_ref(0, obs_out, now + 150)
    st.append(a)
    tests.append(steps("NIC 1005 on an API call: rejected → renew with the stored password", st, ["1005"]))

    # 6. Credential errors stop for a person.
    # (The catalogue's every e-invoice code, in both paths, is in catalogue.json.)
    for code, ecode in {"1004": "config_invalid", "1008": "user_action_required", "1010": "config_invalid",
                        "1013": "config_invalid", "1016": "config_invalid", "1017": "user_action_required",
                        "1019": "user_action_required"}.items():
        sin = session("nic_einvoice", NIC_ACCT, NIC_CFG, pending={"step": "auth", "sent_at_ms": T0, "app_key": b64(k1)})
        sout = with_(without(sin, "pending"), needs_user=TEXT)
        body = json.dumps({"Status": 0, "ErrorDetails": [{"ErrorCode": code, "ErrorMessage": "as NIC says it"}]})
        st = [response_step(sin, {"status": 200, "body": body}, T0 + 100, sout, error(ecode, code))]
        a, _ = plan_ref(0, sout, T0 + 100)
        st.append(a)
        tests.append(steps(f"NIC {code}: terminal, never retried; the plan waits for a person", st, ["terminal"]))

    # 7. A TokenExpiry already past by the host clock.
    sin = session("nic_einvoice", NIC_ACCT, NIC_CFG, pending={"step": "auth", "sent_at_ms": T0, "app_key": b64(k1)})
    body = json.dumps({"Status": 1, "Data": {"AuthToken": "x", "Sek": sek(k1, ek1), "TokenExpiry": ist(T0)}})
    sout = with_(without(sin, "pending"), failures=1, retry_not_before_ms=T0 + 100 + 1000)
    tests.append(steps(f"NIC TokenExpiry '{ist(T0)}' IST = T0 ≤ received T0+100: refused, backoff 1 s",
                       [response_step(sin, {"status": 200, "body": body}, T0 + 100, sout, error("provider_error"))],
                       ["lifecycle", "IST"]))

    # 8. Retry-After read as seconds or an HTTP-date, capped at an hour: a number too large for an int64 is the hour.
    sin = session("nic_einvoice", NIC_ACCT, NIC_CFG, pending={"step": "auth", "sent_at_ms": T0, "app_key": b64(k1)})
    rec = T0 + 100
    for label, value, wait in [
            ("20 digits, more than an int64 holds", "99999999999999999999", H),
            ("2^63, one more than an int64 holds", "9223372036854775808", H),
            ("the largest int64: its milliseconds overflow", "9223372036854775807", H),
            ("3601 s: capped", "3601", H),
            ("3600 s: exactly the cap", "3600", H),
            ("an HTTP-date in the year 9999", "Fri, 31 Dec 9999 23:59:59 GMT", H),
            ("an HTTP-date 90 s after the Date header", None, 90 * S)]:
        headers = {"Retry-After": value}
        if value is None:
            headers = {"Date": http_date(T0), "Retry-After": http_date(T0 + 90 * S)}
        w = max(wait, backoff("", 1))
        sout = with_(without(sin, "pending"), failures=1, retry_not_before_ms=rec + w,
                     skew_ms=T0 - (T0 + rec) // 2 if value is None else 0, skew_measured_at_ms=rec if value is None else 0)
        st = [response_step(sin, {"status": 429, "headers": headers, "body": ""}, rec, sout, error("rate_limited", "429", w, True))]
        a, _ = plan_ref(0, sout, rec)
        st.append(a)
        tests.append(steps(f"NIC auth answered 429 with Retry-After {label} ({headers['Retry-After']!r}): wait = max({wait}, "
                           f"backoff(1) = 1000) = {w}; the plan renews not before received + {w}",
                           st, ["Retry-After", "boundary"]))
    return tests


# ---------------------------------------------------------------- e-way bill

EWB_CFG = {"base_url": "https://ewb.example/ewayapi", "client_id": "ewb-client", "gstin": "05AAACG2115R1ZN", "username": "ewb_user"}
EWB_ACCT = "05AAACG2115R1ZN/ewb_user"


def ewb_tests():
    tests = []
    k1, ek1 = key(), key()
    sin = session("nic_ewaybill", EWB_ACCT, EWB_CFG, pending={"step": "auth", "sent_at_ms": T0, "app_key": b64(k1)})
    body = json.dumps({"status": "1", "authtoken": "ewb-tok-1", "sek": sek(k1, ek1)})
    s1 = session("nic_ewaybill", EWB_ACCT, EWB_CFG, access_token="ewb-tok-1", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H,
                 sek=b64(ek1), app_key=b64(k1))
    st = [response_step(sin, {"status": 200, "body": body}, T0 + 250, s1)]
    a, why = plan_ref(0, s1, T0 + 6 * H - 10 * MIN - 1)
    b, _ = plan_ref(0, s1, T0 + 6 * H - 10 * MIN)
    c, _ = plan_ref(0, s1, T0 + 6 * H - 30 * S)
    st += [a, b, c]
    e238 = b64(b'{"errorCodes":"238,"}')
    obs_err = error("reauth_required", "238")
    obs = with_(s1, rejected=True, last_error=obs_err)
    st.append({"op": "session_observe", "input": {"session": ref("0.output.session"), "response": {"status": 200,
               "body": json.dumps({"status": "0", "error": e238})}, "sent_at_ms": T0 + H, "received_at_ms": T0 + H + 90},
               "result": "valid", "output": {"session": obs, "outcome": "reauthenticate", "error": obs_err}})
    d, _ = plan_ref(4, obs, T0 + H + 90)
    st.append(d)
    tests.append(steps("e-way bill ACCESSTOKEN states no expiry: sent_at + 6 h; " + why +
                       "; renew at the leeway; error b64({\"errorCodes\":\"238,\"}) on an API call → rejected → renew",
                       st, ["lifecycle", "238", "boundary"]))

    sin = with_(s1, pending={"step": "auth", "sent_at_ms": T0 + 2 * H, "app_key": b64(k1)}, rejected=True)
    sout = with_(s1, rejected=True, failures=1, retry_not_before_ms=T0 + 2 * H + 100 + 1000)
    body = json.dumps({"status": "0", "error": b64(b'{"errorCodes":"238"}')})
    st = [response_step(sin, {"status": 200, "body": body}, T0 + 2 * H + 100, sout, error("reauth_required", "238"))]
    a, _ = plan_ref(0, sout, T0 + 2 * H + 100)
    st.append(a)
    tests.append(steps("e-way bill 238 on the auth call itself: rejected, renew after backoff(1) = 1000", st, ["238"]))
    return tests


# ---------------------------------------------------------------- gateway task

GW_CFG = {"token_url": "https://gw.example/api/v2/tasks", "gstin": "27AAACR5055K1Z7", "username": "taxpayer1"}


def gateway_tests():
    tests = []
    k1, ek1 = key(), key()
    sin = session("gateway_task", GSTN_ACCT, GW_CFG, pending={"step": "get_auth_token", "sent_at_ms": T0, "app_key": b64(k1)})
    body = json.dumps({"task": "getAuthToken", "essentials": {}, "id": "5f1a", "patronId": "p-77",
                       "result": {"message": "ok", "authToken": "gw-tok", "expiry": "360", "sek": sek(k1, ek1)}})
    s1 = session("gateway_task", GSTN_ACCT, GW_CFG, access_token="gw-tok", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H,
                 sek=b64(ek1), app_key=b64(k1), info={"gateway_id": "5f1a", "patron_id": "p-77"})
    st = [response_step(sin, {"status": 200, "body": body}, T0 + 300, s1)]
    a, why = plan_ref(0, s1, T0 + 6 * H - 10 * MIN - 1)
    b, _ = plan_ref(0, s1, T0 + 6 * H - 10 * MIN)
    c, _ = plan_ref(0, s1, T0 + 6 * H - 30 * S)
    st += [a, b, c]
    tests.append(steps("gateway getAuthToken: expiry 360 min from sent_at; no refresh, so user_action_at = usable_until; " + why,
                       st, ["lifecycle", "boundary"]))
    for status, code in [(422, "user_action_required"), (400, "user_action_required"), (404, "config_invalid")]:
        sout = with_(without(sin, "pending"), needs_user=TEXT)
        st = [response_step(sin, {"status": status, "body": json.dumps({"error": {"message": "Invalid OTP", "status": status}})},
                            T0 + 300, sout, error(code, str(status)))]
        a, _ = plan_ref(0, sout, T0 + 300)
        st.append(a)
        tests.append(steps(f"gateway HTTP {status}: a person must act", st, ["terminal"]))
    sout = with_(without(sin, "pending"), failures=1, retry_not_before_ms=T0 + 300 + 1000)
    tests.append(steps("gateway HTTP 401: its own token; reauth_required, the session only backs off 1 s",
                       [response_step(sin, {"status": 401, "body": json.dumps({"error": {"message": "Unauthorized"}})}, T0 + 300,
                                      sout, error("reauth_required", "401"))], ["lifecycle"]))
    return tests


# ---------------------------------------------------------------- sessions and plans in general

def session_tests():
    tests = []
    cfg = {"gstin": "27AAACR5055K1Z7"}
    tests.append(valid("session_new: an empty GSTN session", {"provider": "gstn", "account": GSTN_ACCT, "config": cfg},
                       {"session": session("gstn", GSTN_ACCT, cfg)}))
    tests.append(invalid("session_new: unknown provider", {"provider": "smtp", "account": "a"}, "config_invalid",
                         ["malformed"]))
    tests.append(invalid("session_new: unknown config field", {"provider": "gstn", "account": "a", "config": {"gstn": "x"}},
                         "invalid_input", ["malformed"]))
    for s_ in tests:
        s_["op"] = "session_new"
    none = session("nic_einvoice", NIC_ACCT, NIC_CFG)
    p, _ = plan(none, T0)
    tests.append(valid("no token, password stored: renew", {"session": none, "now_ms": T0}, p))
    tests[-1]["op"] = "session_plan"
    none_g = session("gstn", GSTN_ACCT, GSTN_CFG)
    p, _ = plan(none_g, T0)
    tests.append(valid("no token, GSTN: an OTP is needed", {"session": none_g, "now_ms": T0}, p))
    tests[-1]["op"] = "session_plan"
    back = session("nic_einvoice", NIC_ACCT, NIC_CFG, failures=2, retry_not_before_ms=T0 + 2 * S)
    p, _ = plan(back, T0)
    tests.append(valid("no token during backoff: renew, not before the retry instant", {"session": back, "now_ms": T0}, p))
    tests[-1]["op"] = "session_plan"
    for life, label in [(-H, "negative"), (0, "zero"), (366 * DAY + 1, "1 ms over a year")]:
        bad = session("gstn", GSTN_ACCT, cfg, access_token="t", obtained_at_ms=T0 + H, expires_at_ms=T0 + H + life)
        if life == 0:
            bad["expires_at_ms"] = T0 + H
        tests.append(invalid(f"a token lifetime that is {label}: refused, never planned", {"session": bad, "now_ms": T0}, "invalid_input"))
        tests[-1]["op"] = "session_plan"
    year = session("nic_ewaybill", EWB_ACCT, EWB_CFG, access_token="t", obtained_at_ms=T0, expires_at_ms=T0 + 366 * DAY)
    p, why = plan(year, T0)
    tests.append(valid("a lifetime of exactly a year is accepted: " + why, {"session": year, "now_ms": T0}, p))
    tests[-1]["op"] = "session_plan"
    short = session("nic_ewaybill", EWB_ACCT, EWB_CFG, access_token="t", obtained_at_ms=T0, expires_at_ms=T0 + 59 * S)
    for now in [T0 + 59 * S - 14750 - 1, T0 + 59 * S - 14750, T0 + 59 * S - 5901, T0 + 59 * S - 5900]:
        p, why = plan(short, now)
        tests.append(valid(f"a 59 s token at T0+{now - T0} ms: " + why, {"session": short, "now_ms": now}, p, ["clamped-margin", "boundary"]))
        tests[-1]["op"] = "session_plan"
    tests.append(invalid("negative now", {"session": short, "now_ms": -1}, "invalid_input", ["malformed"]))
    tests[-1]["op"] = "session_plan"

    # session_request: the planner's request, or a named step; bad input fails the op.
    nic_creds = {"client_secret": "nic-secret", "password": "nic-password", "public_key": read_key("nic-test.pub")}
    fresh = session("nic_einvoice", NIC_ACCT, NIC_CFG, access_token="t", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H)
    for label, inp, code in [
        ("GSTN without a token: the plan needs an OTP, no request", {"session": none_g, "now_ms": T0}, "user_action_required"),
        ("a fresh token: nothing to send unless a step is named", {"session": fresh, "now_ms": T0, "credentials": nic_creds}, "invalid_input"),
        ("no password", {"session": none, "now_ms": T0, "step": "auth", "credentials": dict(nic_creds, password="")}, "config_invalid"),
        ("no public key", {"session": none, "now_ms": T0, "credentials": dict(nic_creds, public_key="")}, "config_invalid"),
        ("a step the provider does not have", {"session": none, "now_ms": T0, "step": "refresh_token", "credentials": nic_creds}, "invalid_input"),
        ("negative now", {"session": none, "now_ms": -5, "credentials": nic_creds}, "invalid_input"),
    ]:
        tests.append(invalid("session_request: " + label, inp, code, ["malformed"] if inp["now_ms"] < 0 else None))
        tests[-1]["op"] = "session_request"
    tests.append(valid("session_request: the planner's auth for a NIC session without a token (random app key and "
                       "RSA padding, so no fixed output)", {"session": none, "now_ms": T0, "credentials": nic_creds, "entropy": b64(b"host entropy")}, None))
    tests[-1]["op"] = "session_request"

    # session_observe: only an invalid token rejects (RFC 6750: 403 insufficient_scope does not).
    # (Every class, code, marker and status of the catalogue is in catalogue.json.)
    for label, resp, outcome, err in [
            ("a 403 with an empty object: the provider's own error, the token stays", {"status": 403, "body": "{}"},
             "provider_error", error("provider_error", "403")),
            ("a 401 (RFC 6750 §3.1): the token is rejected", {"status": 401, "body": ""}, "reauthenticate",
             error("reauth_required", "401"))]:
        out_s = with_(fresh, rejected=outcome == "reauthenticate", last_error=err if outcome == "reauthenticate" else None)
        tests.append(valid(f"session_observe on a NIC session: {label}",
                           {"session": fresh, "response": resp, "sent_at_ms": T0, "received_at_ms": T0 + 5},
                           {"session": out_s, "outcome": outcome, "error": err}))
        tests[-1]["op"] = "session_observe"
    # Version 1 is read and upgraded (core/doc.go, "Session JSON (version 2)"); every output is version 2.
    x5t = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    oc = {"token_url": "https://idp.example/token", "client_id": "erp-batch"}
    v1 = dict(session("oauth_client_credentials", "erp-batch", oc, access_token="at", obtained_at_ms=T0, expires_at_ms=T0 + H),
              version=1)
    for label, info, fields in [
            ("info.secret previous becomes secret_in_use; the cnf binding presented becomes token_binding; the rest of "
             "info stays", {"secret": "previous", "token_cnf_x5t_s256": x5t, "token_cnf_source": "presented", "token_scope": "gst"},
             {"secret_in_use": "previous", "token_binding": {"x5t_s256": x5t, "source": "presented"}, "info": {"token_scope": "gst"}}),
            ("a binding without a source is the token's cnf claim; info left empty is dropped",
             {"secret": "current", "token_cnf_x5t_s256": x5t}, {"secret_in_use": "current", "token_binding": {"x5t_s256": x5t, "source": "cnf"}}),
            ("a secret that names neither current nor previous is dropped", {"secret": "older", "token_aud": "gst"},
             {"info": {"token_aud": "gst"}}),
            ("no info: nothing to move", None, {})]:
        s_in = dict(v1, info=info) if info else dict(v1)
        out = dict(session("oauth_client_credentials", "erp-batch", oc, access_token="at", obtained_at_ms=T0, expires_at_ms=T0 + H), **fields)
        tests.append(valid("version 1 read and upgraded (session_observe of an ordinary 200): " + label,
                           {"session": s_in, "response": {"status": 200, "body": "{}"}, "sent_at_ms": T0, "received_at_ms": T0 + 5},
                           {"session": out, "outcome": "ok"}, ["session-v1"]))
        tests[-1]["op"] = "session_observe"
    for label, bad in [("version 3", dict(fresh, version=3)), ("version 0", dict(fresh, version=0)),
                       ("a version 2 session with a field version 2 does not have", dict(fresh, cnf="x"))]:
        tests.append(invalid(f"session_plan refuses {label}", {"session": bad, "now_ms": T0}, "invalid_input",
                             ["malformed"] if "cnf" in bad else None))
        tests[-1]["op"] = "session_plan"
    tests.append(invalid("session_response without a request in flight", {"session": fresh, "response": {"status": 200, "body": "{}"},
                         "received_at_ms": T0}, "invalid_input"))
    tests[-1]["op"] = "session_response"
    return tests



# ---------------------------------------------------------------- nic_token_expiry and gstn_headers

def nic_token_expiry_tests():
    tests = []
    for text in ["2026-01-01 11:30:00", "2026-01-01 05:30:00", "2026-01-01 05:29:59", "2026-01-01 00:00:00",
                 "2024-02-29 23:59:59", "2026-03-29 02:30:00", "2025-12-31 23:59:59", "1970-01-01 05:30:00"]:
        ms = int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST).timestamp() * 1000)
        utc = datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        tests.append(valid(f"{text} IST = {utc} = {ms} ms, whatever the host's zone",
                           {"token_expiry": text}, {"expires_at_ms": ms}, ["IST"]))
    for text, why in [("2026-01-01T11:30:00", "ISO T separator"), ("2026-01-01 11:30", "no seconds"),
                      ("2026-1-1 11:30:00", "unpadded"), ("01/01/2026 11:30:00", "dd/MM/yyyy"),
                      ("2026-01-01 11:30:00+05:30", "with a zone"), ("2026-01-01 24:00:00", "hour 24"),
                      ("2025-02-29 10:00:00", "29 February of a common year"), ("", "empty"),
                      ("2026-01-01  1:30:00", "two spaces and a one-digit hour")]:
        tests.append(invalid(f"{why}: not yyyy-MM-dd HH:mm:ss", {"token_expiry": text}, "invalid_input"))
    return tests


def gstn_headers_tests():
    tests = []
    cfg = {"gstin": "27AAACR5055K1Z7", "client_id": "gsp-client", "username": "taxpayer1", "ip_usr": "203.0.113.7"}
    s = session("gstn", GSTN_ACCT, cfg, access_token="gstn-tok", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H)
    want = {"Content-Type": "application/json", "clientid": "gsp-client", "client-secret": "gsp-secret", "state-cd": "27",
            "ip-usr": "203.0.113.7", "txn": "req-0001", "gstin": "27AAACR5055K1Z7", "username": "taxpayer1",
            "auth-token": "gstn-tok"}
    tests.append(valid("a returns call: state-cd = the GSTIN's first two digits, auth-token, ret_period",
                       {"session": s, "credentials": {"client_secret": "gsp-secret"}, "ret_period": "032026", "txn": "req-0001"},
                       {"headers": dict(want, ret_period="032026")}))
    s_none = session("gstn", GSTN_ACCT, dict(cfg, gstin="97AAACR5055K1Z7"))
    w = {k: v for k, v in want.items() if k != "auth-token"}
    tests.append(valid("before login: no auth-token; state code 97 (other territory)",
                       {"session": s_none, "credentials": {"client_secret": "gsp-secret"}, "txn": "req-0001"},
                       {"headers": dict(w, gstin="97AAACR5055K1Z7", **{"state-cd": "97"})}))
    gw = session("gateway_task", GSTN_ACCT, cfg, access_token="gw-tok", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H)
    tests.append(valid("a gateway task session is GSTN-like", {"session": gw, "credentials": {"client_secret": "gsp-secret"},
                       "txn": "req-0001"}, {"headers": dict(want, **{"auth-token": "gw-tok"})}))
    for label, c, extra, code in [
        ("state code 39 is not a GST state", dict(cfg, gstin="39AAACR5055K1Z7"), {}, "config_invalid"),
        ("state code 00", dict(cfg, gstin="00AAACR5055K1Z7"), {}, "config_invalid"),
        ("no ip_usr", {k: v for k, v in cfg.items() if k != "ip_usr"}, {}, "config_invalid"),
        ("ret_period YYYYMM", cfg, {"ret_period": "202603"}, "invalid_input"),
        ("ret_period month 13", cfg, {"ret_period": "132026"}, "invalid_input"),
        ("txn with a space", cfg, {"txn": "a b"}, "invalid_input"),
    ]:
        inp = {"session": session("gstn", GSTN_ACCT, c), "credentials": {"client_secret": "gsp-secret"}, **extra}
        tests.append(invalid(label, inp, code))
    tests.append(valid("a returns call with rtn_typ and userrole (india-compliance sends both)",
                       {"session": s, "credentials": {"client_secret": "gsp-secret"}, "ret_period": "032026",
                        "rtn_typ": "GSTR3B", "userrole": "GSTR3B", "txn": "req-0002"},
                       {"headers": dict(want, ret_period="032026", rtn_typ="GSTR3B", userrole="GSTR3B", txn="req-0002")}))
    tests.append(valid("rtn_typ alone, before login", {"session": s_none, "credentials": {"client_secret": "gsp-secret"},
                                                        "rtn_typ": "GSTR1", "txn": "req-0003"},
                       {"headers": dict(w, gstin="97AAACR5055K1Z7", rtn_typ="GSTR1", txn="req-0003", **{"state-cd": "97"})}))
    for label, extra in [("rtn_typ with a line break (header injection)", {"rtn_typ": "GSTR1\r\nX-Evil: 1"}),
                         ("userrole with a space", {"userrole": "GSTR 1"}),
                         ("an empty-looking rtn_typ of spaces", {"rtn_typ": "  "})]:
        tests.append(invalid(label, {"session": s, "credentials": {"client_secret": "gsp-secret"}, "txn": "req-0001", **extra},
                             "invalid_input"))
    tests.append(invalid("no client secret", {"session": s, "credentials": {}}, "config_invalid"))
    tests.append(invalid("a NIC session has no GSTN headers", {"session": session("nic_einvoice", NIC_ACCT, NIC_CFG),
                         "credentials": {"client_secret": "x"}}, "config_invalid"))
    return tests


def main():
    write("nic_token_expiry", "nic_token_expiry", "NIC TokenExpiry (yyyy-MM-dd HH:mm:ss, no zone) read as IST, UTC+05:30. "
          "Runners should replay this file under several host time zones (TZ=Asia/Kolkata, UTC, America/Los_Angeles, "
          "Pacific/Kiritimati): the outputs never change.", GEN, SOURCES, nic_token_expiry_tests())
    write("gstn_headers", "gstn_headers", "GSTN request headers for a session: clientid, client-secret, state-cd from the "
          "GSTIN, ip-usr, txn, gstin, username, auth-token once logged in, ret_period, rtn_typ and userrole for returns calls.",
          "testdata/gen/lifecycle_vectors.py: headers written from the gst-protocols reference and india-compliance "
          "taxpayer_base.py, never from gstauth's output.", SOURCES + ["india-compliance taxpayer_base.py"], gstn_headers_tests())

    write("lifecycle_gstn", None, "GSTN taxpayer API lifecycle: AUTHTOKEN, refresh inside the access window, AUTH4033, "
          "AUTH4034, 429/503 backoff with Retry-After and jitter, absurd expiries.", GEN, SOURCES, gstn_tests())
    write("lifecycle_nic", None, "NIC e-invoice lifecycle: IST TokenExpiry with skew, the force-refresh window, the same "
          "token again, 1005, the credential errors.", GEN, SOURCES, nic_tests())
    write("lifecycle_ewb", None, "NIC e-way bill lifecycle: 6 h assumed lifetime, 238 on API calls and on auth.", GEN, SOURCES, ewb_tests())
    write("lifecycle_gateway_task", None, "Gateway task API lifecycle: getAuthToken, no refresh, HTTP 400/401/404/422.",
          GEN, SOURCES, gateway_tests())
    write("lifecycle_session", None, "Sessions and plans in general: session_new, no-token plans, backoff, absurd and "
          "clamped lifetimes at the boundaries.", GEN, SOURCES, session_tests())


if __name__ == "__main__":
    main()
