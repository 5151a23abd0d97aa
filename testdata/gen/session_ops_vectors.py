"""Vectors of two session ops: session_steps (the requests each provider builds) and session_send_failed (the request
in flight got no response).

session_steps: each provider's requests are taken from the protocols as documented (../shared/reference/
gst-protocols.md, core/doc.go's lifetimes table, RFC 6749), each named by its name in testdata/schema.json's Step enum,
and listed sorted (the op's documentation: "the steps a provider's BuildRequest accepts, sorted").

session_send_failed: the rule of core/doc.go ("Failures") and the op's own description: the request in flight is
dropped and the session backs off as after a 5xx with no Retry-After, so the n-th consecutive failure waits
min(1 s·2^(n−1), 5 min) + jitter(seed, n, that/5) (lifecycle_rules.backoff, jitter re-implemented from its documented
SHA-256 definition); the failure is a retryable provider_error kept in last_error; the token, a refresh token and every
other field are kept (a stale token stays in use during the backoff); the plans after it come from lifecycle_rules.py
and oauth_rules.py. gstauth is never imported or run.

Run from the repository root (see README.md for the venv):  python3 testdata/gen/session_ops_vectors.py
"""
import copy
import json
import os

from common import ROOT, b64, invalid, randbytes, ref, rng, steps, valid, write
from lifecycle_rules import H, MIN, S, backoff, error, jitter, session
from lifecycle_rules import plan as gst_plan
from lifecycle_vectors import EWB_ACCT, EWB_CFG, GSTN_ACCT, GSTN_CFG, GW_CFG, NIC_ACCT, NIC_CFG, T0
from oauth_rules import plan as oauth_plan

R = rng("gstauth session op vectors v1")
GST = ("gstn", "nic_einvoice", "nic_ewaybill", "gateway_task")

with open(os.path.join(ROOT, "testdata", "schema.json")) as f:
    SCHEMA = json.load(f)
PROVIDERS = SCHEMA["$defs"]["Provider"]["enum"]
STEP_NAMES = set(SCHEMA["$defs"]["Step"]["enum"])


# ---------------------------------------------------------------- session_steps

# Every request a provider's host sends to obtain or extend a token, from the protocol documents, by the name the
# schema gives the step. Requests made elsewhere (the OAuth authorization request happens in the user's browser, RFC
# 6749 §4.1.1) are not steps of the host's.
REQUESTS = {
    "gstn": [
        ("otp_request", "OTPREQUEST {action, app_key, username} (gst-protocols: GSTN taxpayer authentication)"),
        ("auth_token", "AUTHTOKEN {action, app_key, username, otp}"),
        ("refresh_token", "REFRESHTOKEN {action, app_key, username, auth_token}"),
        ("logout", "LOGOUT {action, username, auth_token, app_key}"),
        ("evc_otp", "EVCOTP: GET authenticate?action=EVCOTP&pan=...&form_type=..."),
    ],
    "nic_einvoice": [
        ("auth", "POST /eivital/v1.04/auth {UserName, Password, AppKey} (gst-protocols: NIC e-invoice auth details)"),
        ("force_refresh", "the same with ForceRefreshAccessToken: true, in the token's last 10 minutes (NIC v1.04)"),
    ],
    "nic_ewaybill": [
        ("auth", "POST /auth/ {action: ACCESSTOKEN, username, password, app_key}; no refresh: a new ACCESSTOKEN "
                 "with the password (core/doc.go lifetimes table)"),
    ],
    "gateway_task": [
        ("get_auth_token", "the task getAuthToken {gstin, username, otp, appKey}; the task API offers no refresh "
                           "(core/doc.go lifetimes table: a new OTP)"),
    ],
    "oauth_client_credentials": [
        ("client_credentials", "grant_type=client_credentials (RFC 6749 §4.4)"),
        ("refresh", "grant_type=refresh_token while a refresh token lives (RFC 6749 §6)"),
    ],
    "oauth_password": [
        ("password", "grant_type=password (RFC 6749 §4.3; Masters India)"),
        ("refresh", "grant_type=refresh_token (RFC 6749 §6)"),
    ],
    "oauth_authorization_code": [
        ("authorization_code", "the code exchange, grant_type=authorization_code (RFC 6749 §4.1.3); the "
                               "authorization request itself is the user's browser"),
        ("refresh", "grant_type=refresh_token (RFC 6749 §6)"),
    ],
    "whitebit": [
        ("authorization_code", "POST /oauth2/token with client_id, client_secret, code (WhiteBIT)"),
        ("refresh", "POST /oauth2/refresh_token with client_id, client_secret, token (WhiteBIT)"),
    ],
    "whitebit_fast_key": [
        ("authorization_code", "POST /oauth2/token with code_verifier (WhiteBIT Fast API Key); no refresh token: a new "
                               "consent after 4 h"),
    ],
}


def steps_tests():
    assert set(REQUESTS) == set(PROVIDERS), "every provider of the schema, and no other"
    tests = []
    for p in PROVIDERS:
        names = sorted(n for n, _ in REQUESTS[p])
        assert set(names) <= STEP_NAMES, (p, names)
        assert len(set(names)) == len(names)
        how = "; ".join(f"{n}: {why}" for n, why in REQUESTS[p])
        tests.append(valid(f"{p}: {', '.join(names)} (sorted). {how}", {"provider": p}, {"steps": names}))
    for label, inp, code in [
        ("an unknown provider", {"provider": "acme_gsp"}, "config_invalid"),
        ("a provider name in capitals (names are exact)", {"provider": "GSTN"}, "config_invalid"),
        ("the empty provider", {"provider": ""}, "config_invalid"),
        ("a step name is not a provider", {"provider": "refresh_token"}, "config_invalid"),
        ("no provider", {}, "invalid_input"),
        ("a provider that is not a string", {"provider": 7}, "invalid_input"),
        ("a null provider", {"provider": None}, "invalid_input"),
        ("an unknown field beside the provider", {"provider": "gstn", "step": "auth_token"}, "invalid_input"),
    ]:
        tests.append(invalid(label, inp, code, ["malformed"]))
    return tests


# ---------------------------------------------------------------- session_send_failed

def with_(s, **kv):
    s = copy.deepcopy(s)
    for k, v in kv.items():
        if v in (None, 0, "", False):
            s.pop(k, None)
        else:
            s[k] = v
    return s


def after_send_failure(s_in, now):
    """The session after session_send_failed at now, by core/doc.go: the request is dropped (no pending), the failure
    count grows to n, no request is planned before now + backoff(n) (no Retry-After: there was no response), the last
    error is a retryable provider_error (what a 5xx with no stated wait gives) carrying that wait. Nothing else
    changes: the token, its refresh token, its keys and a rejection stay as they were."""
    n = s_in.get("failures", 0) + 1
    wait = backoff(s_in["config"].get("jitter_seed", ""), n)
    out = with_(s_in, pending=None, failures=n, retry_not_before_ms=now + wait,
                last_error=error("provider_error", None, wait, True))
    return out, n, wait


def arith(seed, n):
    """The backoff of the n-th failure, written out."""
    d = min(S << (n - 1), 5 * MIN) if n <= 20 else 5 * MIN
    base = f"min(1000·2^{n - 1}, 300000) = {d}" if n <= 20 else f"min(1000·2^{n - 1}, 300000) = 300000 (the cap)"
    if not seed:
        return f"backoff({n}) = {base} + 0 (no jitter seed) = {d}"
    j = jitter(seed, n, d // 5)
    return f"backoff({n}) = {base} + J({seed!r}, {n}, {d // 5}) = {d} + {j} = {d + j}"


def send_failed(s_in, now, s_out=None):
    st = {"op": "session_send_failed", "input": {"session": s_in, "now_ms": now}, "result": "valid",
          "output": {"session": s_out}}
    return st


def plan_of(s, now):
    return (gst_plan if s["provider"] in GST else oauth_plan)(s, now)


def plan_ref(n, s, now):
    p, why = plan_of(s, now)
    return {"op": "session_plan", "input": {"session": ref(f"{n}.output.session"), "now_ms": now}, "result": "valid",
            "output": p}, p, why


def key():
    return b64(randbytes(R, 32))


CC_CFG = {"token_url": "https://idp.example/oauth2/token", "client_id": "erp-batch", "jitter_seed": "fleet-7"}
CODE_CFG = {"auth_url": "https://idp.example/authorize", "token_url": "https://idp.example/token",
            "redirect_uri": "https://erp.example/cb", "client_id": "erp", "scope": "gst.read offline_access"}
WB_CFG = {"client_id": "wb-client"}
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
STATE = "c3RhdGUtb2YtdGhlLXRlc3Q"


def with_plans(comment, s_in, now, plans, flags):
    """A send failure at now, then the plan at each instant of plans (an offset from the retry instant, or an
    absolute instant when given as ("at", t)). Returns the test."""
    s_out, n, wait = after_send_failure(s_in, now)
    st = [send_failed(s_in, now, s_out)]
    told = []
    for at in plans:
        t = s_out["retry_not_before_ms"] + at[1] if at[0] == "retry" else at[1]
        pst, p, why = plan_ref(0, s_out, t)
        st.append(pst)
        told.append(f"at {t - now:+d} ms: {p['action']}/{p['reason']}" + (f" not before {p['not_before_ms']}" if "not_before_ms" in p else ""))
    seed = s_in["config"].get("jitter_seed", "")
    return steps(f"{comment}: pending dropped, failures {n}, retry_not_before = now + {arith(seed, n)} = "
                 f"{s_out['retry_not_before_ms']}; last_error provider_error, retryable, retry_after_ms {wait}; "
                 f"plans " + "; ".join(told), st, flags)


def send_failed_tests():
    tests = []

    # 1. GSTN: REFRESHTOKEN of a stale, valid token got no response. The token stays in use during the backoff.
    cfg = dict(GSTN_CFG, jitter_seed="tenant-42")
    k1, k2, ek = key(), key(), key()
    gstn = session("gstn", GSTN_ACCT, cfg, access_token="gstn-tok-1", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H,
                   access_window_ends_at_ms=T0 + 7 * H, sek=ek, app_key=k1)
    now = T0 + 6 * H - 9 * MIN  # past refresh_at = expiry - 10 min - jitter (at most 2 min)
    sin = with_(gstn, pending={"step": "refresh_token", "sent_at_ms": now - 30 * S, "app_key": k2})
    tests.append(with_plans("GSTN REFRESHTOKEN of a valid, stale token timed out after 30 s; the token, its sek and "
                            "app key are kept", sin, now, [("at", now), ("retry", -1), ("retry", 0)],
                            ["refresh", "backoff", "jitter"]))

    # 2. NIC e-invoice: the first auth (no token yet) got no response: renew, but not before the retry instant.
    nic = session("nic_einvoice", NIC_ACCT, NIC_CFG, pending={"step": "auth", "sent_at_ms": T0, "app_key": key()})
    tests.append(with_plans("NIC e-invoice auth with no token got no response (no jitter seed)", nic, T0 + 10 * S,
                            [("at", T0 + 10 * S), ("retry", 0)], ["auth", "no_token", "backoff"]))

    # 3. NIC e-invoice ForceRefreshAccessToken in the token's last 10 minutes.
    nic_tok = session("nic_einvoice", NIC_ACCT, dict(NIC_CFG, jitter_seed="fleet-7"), access_token="nic-tok-1",
                      obtained_at_ms=T0, expires_at_ms=T0 + 6 * H, sek=key(), app_key=key())
    now = T0 + 6 * H - 7 * MIN
    sin = with_(nic_tok, pending={"step": "force_refresh", "sent_at_ms": now - 5 * S, "app_key": key()})
    tests.append(with_plans("NIC e-invoice force_refresh of a valid token in its last 10 minutes got no response", sin,
                            now, [("at", now), ("retry", 0)], ["refresh", "backoff", "jitter"]))

    # 4. e-way bill: the token was rejected (238) and its renewal got no response: still rejected, renew after the wait.
    ewb = session("nic_ewaybill", EWB_ACCT, EWB_CFG, access_token="ewb-tok-1", obtained_at_ms=T0,
                  expires_at_ms=T0 + 6 * H, sek=key(), app_key=key(), rejected=True,
                  pending={"step": "auth", "sent_at_ms": T0 + 2 * H, "app_key": key()})
    tests.append(with_plans("e-way bill auth renewing a rejected token got no response; the rejection stays", ewb,
                            T0 + 2 * H + 20 * S, [("at", T0 + 2 * H + 20 * S), ("retry", 0)],
                            ["auth", "rejected", "backoff"]))

    # 5. GSTN AUTHTOKEN (no token yet): the OTP request's app key stays for a second AUTHTOKEN with the same OTP.
    ka = key()
    s = session("gstn", GSTN_ACCT, GSTN_CFG, otp_app_key=ka, pending={"step": "auth_token", "sent_at_ms": T0, "app_key": ka})
    s_out, n, wait = after_send_failure(s, T0 + 15 * S)
    tests.append(steps(f"GSTN AUTHTOKEN with no token got no response: pending dropped, otp_app_key kept, failures 1, "
                       f"retry_not_before = now + {arith('', 1)}", [send_failed(s, T0 + 15 * S, s_out)],
                       ["auth", "no_token", "backoff"]))

    # 6. Gateway task getAuthToken with no token.
    s = session("gateway_task", GSTN_ACCT, dict(GW_CFG, jitter_seed="tenant-42"),
                pending={"step": "get_auth_token", "sent_at_ms": T0, "app_key": key()})
    s_out, n, wait = after_send_failure(s, T0 + 15 * S)
    tests.append(steps(f"gateway task getAuthToken with no token got no response: failures 1, retry_not_before = now + "
                       f"{arith('tenant-42', 1)}", [send_failed(s, T0 + 15 * S, s_out)], ["auth", "no_token", "backoff"]))

    # 7. OAuth client credentials: a refresh of a stale token with a live refresh token; both tokens are kept.
    cc = session("oauth_client_credentials", "erp-batch", CC_CFG, access_token="cc-at-1", refresh_token="cc-rt-1",
                 obtained_at_ms=T0, expires_at_ms=T0 + H, secret_in_use="current")
    now = T0 + H - 4 * MIN
    sin = with_(cc, pending={"step": "refresh", "sent_at_ms": now - 10 * S, "secret": "current"})
    tests.append(with_plans("OAuth client credentials refresh of a valid, stale token got no response; the access and "
                            "refresh tokens are kept", sin, now, [("at", now), ("retry", 0)],
                            ["refresh", "backoff", "jitter"]))

    # 8. OAuth authorization code: the code exchange got no response; its verifier goes with the request, so the
    #    plan asks the user to authorise again.
    s = session("oauth_authorization_code", "user-1", CODE_CFG,
                pending={"step": "authorization_code", "sent_at_ms": T0, "code_verifier": VERIFIER, "state": STATE,
                         "secret": "current"})
    tests.append(with_plans("OAuth code exchange with no token got no response: the pending verifier and state are "
                            "dropped with it", s, T0 + 5 * S, [("at", T0 + 5 * S)], ["auth", "no_token", "backoff"]))

    # 9. WhiteBIT refresh of a valid token (300 s token, 60 s margin).
    wb = session("whitebit", "wb-user", WB_CFG, access_token="wb-at-1", refresh_token="wb-rt-1", obtained_at_ms=T0,
                 expires_at_ms=T0 + 300 * S, refresh_expires_at_ms=T0 + 600 * S, secret_in_use="current")
    now = T0 + 250 * S
    sin = with_(wb, pending={"step": "refresh", "sent_at_ms": now - 2 * S, "secret": "current"})
    tests.append(with_plans("WhiteBIT refresh of a valid token got no response", sin, now,
                            [("at", now), ("retry", 0)], ["refresh", "backoff"]))

    # 10. Consecutive failures: the n-th waits min(1 s·2^(n−1), 5 min) + jitter; the cap from n = 10 (2^9 s > 5 min).
    now = T0 + 6 * H - 9 * MIN
    for seed in ("tenant-42", ""):
        counts = [2, 3, 4, 5, 8, 9, 10, 11, 20, 21, 31, 32, 33, 63, 64, 65, 1000] if seed else [2, 9, 10, 64]
        for n in counts:
            c = dict(GSTN_CFG, jitter_seed=seed) if seed else GSTN_CFG
            prev = backoff(seed, n - 1)
            base = session("gstn", GSTN_ACCT, c, access_token="gstn-tok-1", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H,
                           access_window_ends_at_ms=T0 + 7 * H, sek=ek, app_key=k1)
            sin = with_(base, failures=n - 1, retry_not_before_ms=now - 10 * S,
                        last_error=error("provider_error", None, prev, True),
                        pending={"step": "refresh_token", "sent_at_ms": now - 10 * S, "app_key": k2})
            s_out, _, wait = after_send_failure(sin, now)
            flags = ["backoff", "repeated"] + (["jitter"] if seed else []) + (["boundary"] if n in (9, 10, 20, 21, 31, 32, 33, 63, 64, 65) else [])
            t = valid(f"failure {n} after {n - 1} ({'seed ' + repr(seed) if seed else 'no seed'}): retry_not_before = "
                      f"now + {arith(seed, n)}", {"session": sin, "now_ms": now}, {"session": s_out}, flags)
            tests.append(t)

    # 11. The previous failure was a 429 with its provider code: replaced by this one's error.
    sin = with_(gstn, failures=1, retry_not_before_ms=T0 + 6 * H - 8 * MIN,
                last_error=error("rate_limited", "429", 120 * S, True),
                pending={"step": "refresh_token", "sent_at_ms": T0 + 6 * H - 8 * MIN, "app_key": k2})
    now = T0 + 6 * H - 8 * MIN + 45 * S
    s_out, _, wait = after_send_failure(sin, now)
    tests.append(valid(f"a 429's last_error (rate_limited, provider code 429) is replaced by this failure's; failures 2, "
                       f"retry_not_before = now + {arith('tenant-42', 2)}", {"session": sin, "now_ms": now},
                       {"session": s_out}, ["backoff", "repeated", "jitter"]))

    # 12. Three consecutive send failures of one OAuth refresh, the request rebuilt in between (session_request; its
    #     request is checked by lifecycle_oauth, here only that it succeeds), then the plan.
    cc2 = with_(cc, config=dict(CC_CFG, jitter_seed="fleet-9"))
    now = T0 + H - 4 * MIN
    sin = with_(cc2, pending={"step": "refresh", "sent_at_ms": now - 10 * S, "secret": "current"})
    s1, _, w1 = after_send_failure(sin, now)
    st = [send_failed(sin, now, s1)]
    cur, t, told = s1, now, [f"1: {arith('fleet-9', 1)}"]
    for i in (2, 3):
        t = cur["retry_not_before_ms"]
        st.append({"op": "session_request", "input": {"session": ref(f"{len(st) - 1}.output.session"), "now_ms": t,
                                                      "step": "refresh", "credentials": {"client_secret": "test-only-cc-secret"}},
                   "result": "valid"})
        nxt, _, _ = after_send_failure(cur, t + 10 * S)
        st.append({"op": "session_send_failed", "input": {"session": ref(f"{len(st) - 1}.output.session"), "now_ms": t + 10 * S},
                   "result": "valid", "output": {"session": nxt}})
        told.append(f"{i}: {arith('fleet-9', i)}")
        cur, t = nxt, t + 10 * S
    pst, p, _ = plan_ref(len(st) - 1, cur, t)
    st.append(pst)
    assert p["action"] == "use" and p["not_before_ms"] == cur["retry_not_before_ms"]
    tests.append(steps("OAuth client credentials: three refreshes in a row got no response, each rebuilt at the retry "
                       "instant and timing out 10 s later; waits " + "; ".join(told) + "; the token stays in use",
                       st, ["refresh", "backoff", "repeated", "jitter"]))

    # 13. Bad input.
    stale = with_(gstn, pending=None)
    tests.append(invalid("no request in flight (no pending): nothing to drop", {"session": stale, "now_ms": T0 + 6 * H - 9 * MIN},
                         "invalid_input"))
    with_pending = with_(gstn, pending={"step": "refresh_token", "sent_at_ms": T0 + 6 * H - 9 * MIN, "app_key": k2})
    for label, inp, code in [
        ("a negative failure count", {"session": with_(with_pending, failures=-1), "now_ms": T0 + 6 * H}, "invalid_input"),
        ("a token without an expiry", {"session": with_(with_pending, expires_at_ms=None), "now_ms": T0 + 6 * H}, "invalid_input"),
        ("a session of version 3", {"session": with_(with_pending, version=3), "now_ms": T0 + 6 * H}, "invalid_input"),
        ("a negative instant in the session", {"session": with_(with_pending, retry_not_before_ms=-1), "now_ms": T0 + 6 * H},
         "invalid_input"),
    ]:
        tests.append(invalid(label, inp, code))
    for label, inp, code in [
        ("no now_ms", {"session": with_pending}, "invalid_input"),
        ("a negative now_ms", {"session": with_pending, "now_ms": -1}, "invalid_input"),
        ("now_ms as a string", {"session": with_pending, "now_ms": str(T0)}, "invalid_input"),
        ("no session", {"now_ms": T0}, "invalid_input"),
        ("the session as a string", {"session": json.dumps(with_pending), "now_ms": T0}, "invalid_input"),
        ("an unknown field in the session", {"session": dict(with_pending, retries=1), "now_ms": T0}, "invalid_input"),
        ("an unknown field beside the session", {"session": with_pending, "now_ms": T0, "reason": "timeout"}, "invalid_input"),
        ("a session of an unknown provider", {"session": dict(with_pending, provider="acme_gsp"), "now_ms": T0}, "config_invalid"),
    ]:
        tests.append(invalid(label, inp, code, ["malformed"]))
    return tests


def main():
    gen = ("testdata/gen/session_ops_vectors.py: the steps of each provider from the protocol documents "
           "(gst-protocols reference, core/doc.go's lifetimes table, RFC 6749, WhiteBIT's OAuth docs) named as "
           "testdata/schema.json names them, never from gstauth's output.")
    write("session_steps", "session_steps", "The request steps each provider builds (sorted), and unknown providers.",
          gen, ["../shared/reference/gst-protocols.md", "core/doc.go (lifetimes table)", "RFC 6749 §4.1, §4.3, §4.4, §6",
                "testdata/schema.json ($defs.Step)"], steps_tests())
    gen = ("testdata/gen/session_ops_vectors.py: sessions and plans worked out from core/doc.go's failure and timing "
           "rules (lifecycle_rules.py, oauth_rules.py; backoff and its SHA-256 jitter re-implemented from their "
           "documented definitions, arithmetic in each comment), never from gstauth's output.")
    write("session_send_failed", "session_send_failed", "A request that got no response (a network error, a timeout): "
          "the request in flight is dropped and the session backs off as after a 5xx: a failed refresh of a valid token "
          "keeps it, an auth with no token waits, consecutive failures grow to the 5 min cap; no request in flight and "
          "bad input are refused.", gen, ["core/doc.go (Failures, Timing rules)", "docs/hosts.md (the refresh loop)",
                                          "README.md (the op table)"], send_failed_tests())


if __name__ == "__main__":
    main()
