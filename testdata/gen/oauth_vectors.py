"""OAuth 2.0 lifecycle vectors: client credentials (WhiteBooks, OneFinOps, generic), the password grant, secret
rotation, failures, and the authorization code flow with PKCE and refresh-token rotation.

Expected sessions, requests, errors and plans are worked out from the rules documented in core/doc.go and the OAuth
files' documentation (oauth_rules.py), the arithmetic in each comment; form bodies and Basic credentials are written
with Python's urllib and base64 per RFC 6749 §2.3.1 and Appendix B. gstauth is never imported or run.

Run from the repository root:  python3 testdata/gen/oauth_vectors.py
"""
import copy
import json
from email.utils import formatdate

from common import invalid, ref, steps, valid, write
from oauth_rules import FORM_HEADERS, H, MIN, S, TEXT, backoff, basic, error, form, jwt, plan, response_output, session

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
GEN = ("testdata/gen/oauth_vectors.py: sessions, requests, errors and plans worked out from the rules documented in "
       "core/doc.go and core/oauth*.go (oauth_rules.py, arithmetic in each comment), never from gstauth's output; form "
       "bodies with Python urllib.parse, Basic credentials per RFC 6749 §2.3.1 with Python base64, Date headers with "
       "email.utils.formatdate, JWT payloads with Python json and base64.")
SOURCES = ["RFC 6749 §2.3.1, §4.1, §4.3, §4.4, §5.1, §5.2, §6", "RFC 7636", "RFC 9068 §6",
           "../shared/reference/gst-protocols.md (Gateways)", "../shared/reference/tokens.md"]


def plan_step(n, s, now):
    p, why = plan(s, now)
    return {"op": "session_plan", "input": {"session": ref(f"{n}.output.session"), "now_ms": now}, "result": "valid", "output": p}, why


def req_step(session_in, now, creds, out_request, out_session, step=None):
    inp = {"session": session_in, "now_ms": now, "credentials": creds}
    if step:
        inp["step"] = step
    return {"op": "session_request", "input": inp, "result": "valid", "output": {"request": out_request, "session": out_session}}


def resp_step(session_in, received, response, out_session, err=None):
    return {"op": "session_response", "input": {"session": session_in, "received_at_ms": received, "response": response},
            "result": "valid", "output": response_output(out_session, err)}


def ok(body, headers=None):
    r = {"status": 200, "body": json.dumps(body)}
    if headers:
        r["headers"] = headers
    return r


def with_(s, **kv):
    s = copy.deepcopy(s)
    for k, v in kv.items():
        if v in (None, 0, "", False, {}):
            s.pop(k, None)
        else:
            s[k] = v
    return s


def headers_basic(cid, secret):
    return dict(FORM_HEADERS, Authorization=basic(cid, secret))


# ---------------------------------------------------------------- client credentials

WB_URL = "https://api.whitebooks.example/oauth/token"
WB = {"token_url": WB_URL, "client_id": "acme-tenant", "flavor": "whitebooks"}
WB_SECRET = "test-only-wb-secret"


def whitebooks():
    t = T0
    acct = "acme-tenant"
    s0 = session("oauth_client_credentials", acct, WB)
    sp = with_(s0, pending={"step": "client_credentials", "sent_at_ms": t, "secret": "current"})
    s1 = session("oauth_client_credentials", acct, WB, access_token="wb-at-1", refresh_token="wb-rt-1", obtained_at_ms=t,
                 expires_at_ms=t + H, refresh_expires_at_ms=t + 24 * H, secret_in_use="current", info={"token_scope": "gst einvoice eway"})
    st = [{"op": "session_new", "input": {"provider": "oauth_client_credentials", "account": acct, "config": WB}, "result": "valid",
           "output": {"session": s0}}]
    p0, _ = plan(s0, t)
    st.append({"op": "session_plan", "input": {"session": ref("0.output.session"), "now_ms": t}, "result": "valid", "output": p0})
    st.append(req_step(ref("0.output.session"), t, {"client_secret": WB_SECRET},
                       {"method": "POST", "url": WB_URL, "headers": headers_basic("acme-tenant", WB_SECRET),
                        "body": form({"grant_type": "client_credentials"})}, sp))
    st.append(resp_step(ref("2.output.session"), t + 250, ok({"access_token": "wb-at-1", "token_type": "bearer", "expires_in": "3600",
                                                            "refresh_token": "wb-rt-1", "scope": "gst einvoice eway"}), s1))
    exp = t + H
    a, why = plan_step(3, s1, exp - 5 * MIN - 1)
    b, _ = plan_step(3, s1, exp - 5 * MIN)
    c, _ = plan_step(3, s1, exp - 10 * S - 1)
    d, _ = plan_step(3, s1, exp - 10 * S)
    st += [a, b, c, d]
    r = exp - 5 * MIN
    sr = with_(s1, pending={"step": "refresh", "sent_at_ms": r, "secret": "current"})
    st.append(req_step(ref("3.output.session"), r, {"client_secret": WB_SECRET},
                       {"method": "POST", "url": WB_URL, "headers": headers_basic("acme-tenant", WB_SECRET),
                        "body": form({"grant_type": "refresh_token", "refresh_token": "wb-rt-1"})}, sr))  # 8
    s2 = with_(s1, access_token="wb-at-2", refresh_token="wb-rt-2", obtained_at_ms=r, expires_at_ms=r + H, refresh_expires_at_ms=r + 24 * H,
               secret_in_use="current", info=None)
    st.append(resp_step(ref("8.output.session"), r + 300, ok({"access_token": "wb-at-2", "token_type": "Bearer", "expires_in": 3600,
                                                            "refresh_token": "wb-rt-2"}), s2))  # 9
    late = r + 24 * H
    e, _ = plan_step(9, s2, late)
    st.append(e)
    sg = with_(s2, pending={"step": "client_credentials", "sent_at_ms": late, "secret": "current"})
    st.append(req_step(ref("9.output.session"), late, {"client_secret": WB_SECRET},
                       {"method": "POST", "url": WB_URL, "headers": headers_basic("acme-tenant", WB_SECRET),
                        "body": form({"grant_type": "client_credentials"})}, sg))
    return steps(
        "WhiteBooks client credentials: Basic over the form-urlencoded id and secret; expires_in \"3600\" (a string) from "
        "sent_at T0: expires T0+1h; no refresh_expires_in: WhiteBooks' 24 h from T0; " + why + "; the planner's request "
        "at R = T0+55min refreshes with wb-rt-1 (§6: wb-rt-2 replaces it, alive until R+24h); at R+24h the refresh token "
        "is dead and the token long expired: renew with a new grant", st, ["lifecycle", "boundary", "whitebooks"])


OFIN_URL = "https://auth.sandbox.onefinops.example/realms/gst/protocol/openid-connect/token"
OFIN = {"token_url": OFIN_URL, "base_url": "https://api.sandbox.onefinops.example", "client_id": "ofin_test_acme", "flavor": "onefinops"}


def onefinops():
    t = T0
    acct = "ofin_test_acme"
    s0 = session("oauth_client_credentials", acct, OFIN)
    sp = with_(s0, pending={"step": "client_credentials", "sent_at_ms": t, "secret": "current"})
    date_ms = t + 2000
    rec = t + 400
    skew = date_ms - (t + rec) // 2
    exp_s = (t + 2000 + 900 * S) // 1000
    token = jwt({"exp": exp_s, "iat": exp_s - 900, "aud": "gstn-api", "organization_id": "org-4711", "azp": "ofin_test_acme",
                 "iss": "https://auth.sandbox.onefinops.example/realms/gst"})
    expires = exp_s * 1000 - skew
    s1 = session("oauth_client_credentials", acct, OFIN, access_token=token, obtained_at_ms=t, expires_at_ms=expires,
                 skew_ms=skew, skew_measured_at_ms=rec,
                 secret_in_use="current", info={"token_scope": "gstn-india", "token_aud": "gstn-api", "token_organization_id": "org-4711",
                       "token_azp": "ofin_test_acme", "token_iss": "https://auth.sandbox.onefinops.example/realms/gst",
                       "token_exp": str(exp_s)})
    st = [req_step(s0, t, {"client_secret": "test-only-kc-secret"},
                   {"method": "POST", "url": OFIN_URL, "headers": FORM_HEADERS,
                    "body": form({"client_id": "ofin_test_acme", "client_secret": "test-only-kc-secret", "grant_type": "client_credentials",
                                  "scope": "gstn-india"})}, sp),
          resp_step(ref("0.output.session"), rec, ok({"access_token": token, "token_type": "Bearer", "scope": "gstn-india"},
                                                     {"Date": formatdate(date_ms / 1000, usegmt=True)}), s1)]
    a, why = plan_step(1, s1, s1["expires_at_ms"] - 225050 - 1)
    b, _ = plan_step(1, s1, s1["expires_at_ms"] - 225050)
    c, _ = plan_step(1, s1, s1["expires_at_ms"] - 10 * S)
    st += [a, b, c]
    return steps(
        f"OneFinOps (Keycloak): client_secret_post and scope=gstn-india; no expires_in, so the JWT's exp serves: Date "
        f"T0+2s, sent T0, received T0+400: skew = {date_ms} - {(t + rec) // 2} = {skew}; exp {exp_s} s = {exp_s * 1000} ms "
        f"(server) - {skew} = {expires} (host), lifetime {expires - t}; aud and organization_id kept as information; " + why,
        st, ["lifecycle", "skew", "onefinops", "boundary"])


def onefinops_environment():
    out = []
    for comment, cfg in [
        ("an ofin_test_ client against production hosts is refused before anything is sent",
         dict(OFIN, token_url="https://auth.onefinops.example/realms/gst/protocol/openid-connect/token", base_url="https://api.onefinops.example")),
        ("an ofin_live_ client against a sandbox host is refused before anything is sent", dict(OFIN, client_id="ofin_live_acme")),
        ("an ofin_live_ client with a production token host but a UAT API host is refused",
         dict(OFIN, client_id="ofin_live_acme", token_url="https://auth.onefinops.example/t", base_url="https://api-uat.onefinops.example")),
        ("config.environment production refuses an ofin_test_ client", dict(OFIN, environment="production")),
    ]:
        tc = invalid(comment, {"session": session("oauth_client_credentials", cfg["client_id"], cfg), "now_ms": T0,
                               "credentials": {"client_secret": "x"}}, "config_invalid", ["onefinops"])
        tc["op"] = "session_request"
        out.append(tc)
    return out


GEN_URL = "https://idp.example/oauth2/token"
GEN_CFG = {"token_url": GEN_URL, "client_id": "erp-batch", "scope": "gst.read", "jitter_seed": "fleet-7"}


def jittered():
    t = T0
    s_in = session("oauth_client_credentials", "erp-batch", GEN_CFG, pending={"step": "client_credentials", "sent_at_ms": t, "secret": "current"})
    s1 = session("oauth_client_credentials", "erp-batch", GEN_CFG, access_token="gen-at-1", obtained_at_ms=t, expires_at_ms=t + H,
                 secret_in_use="current", info={"token_scope": "gst.read"})
    st = [resp_step(s_in, t + 100, ok({"access_token": "gen-at-1", "token_type": "Bearer", "expires_in": 3600, "scope": ["gst.read"]}), s1)]
    p, why = plan(s1, t)
    a, _ = plan_step(0, s1, p["refresh_at_ms"] - 1)
    b, _ = plan_step(0, s1, p["refresh_at_ms"])
    st += [a, b]
    return steps("generic client credentials with jitter_seed \"fleet-7\"; scope sent as a list is joined: " + why +
                 "; fresh 1 ms before refresh_at, refresh at it", st, ["lifecycle", "jitter", "boundary"])


def failures():
    t = T0
    cfg = GEN_CFG
    out = []
    s_in = session("oauth_client_credentials", "erp-batch", cfg, pending={"step": "client_credentials", "sent_at_ms": t, "secret": "current"})
    # 429 with Retry-After, then a 503 without.
    rec1 = t + 200
    w1 = max(30 * S, backoff("fleet-7", 1))
    s1 = session("oauth_client_credentials", "erp-batch", cfg, failures=1, retry_not_before_ms=rec1 + w1)
    e1 = error("rate_limited", "429", w1, True)
    st = [resp_step(s_in, rec1, {"status": 429, "headers": {"Retry-After": "30"}, "body": '{"error":"too_many_requests"}'}, s1, e1)]
    p, _ = plan_step(0, s1, rec1 + 1)
    st.append(p)
    t2 = rec1 + w1
    s2in = with_(s1, pending={"step": "client_credentials", "sent_at_ms": t2, "secret": "current"}, last_error=e1)
    rec2 = t2 + 150
    w2 = backoff("fleet-7", 2)
    s2 = with_(s1, failures=2, retry_not_before_ms=rec2 + w2)
    e2 = error("provider_error", "503", w2, True)
    st.append(resp_step(s2in, rec2, {"status": 503, "body": "<html>Service Unavailable</html>"}, s2, e2))
    p2, _ = plan_step(2, s2, rec2)
    st.append(p2)
    out.append(steps(f"429 with Retry-After 30: wait max(30000, backoff(1) = {backoff('fleet-7', 1)}) = {w1}; the plan renews "
                     f"not before {rec1 + w1}; then 503 without Retry-After: wait backoff(2) = min(2000, 5 min) + "
                     f"J('fleet-7', 2, 400) = {w2}", st, ["lifecycle", "backoff", "retry-after"]))

    # invalid_client: a person.
    s3 = session("oauth_client_credentials", "erp-batch", cfg, needs_user=TEXT)
    st = [resp_step(s_in, t + 200, {"status": 401, "headers": {"WWW-Authenticate": 'Basic realm="idp"'},
                                    "body": '{"error":"invalid_client","error_description":"client authentication failed"}'},
                    s3, error("user_action_required", "invalid_client"))]
    p3, _ = plan_step(0, s3, t + 200)
    st.append(p3)
    st.append({"op": "session_request", "input": {"session": ref("0.output.session"), "now_ms": t + 300, "credentials": {"client_secret": "x"}},
               "result": "invalid", "error": "user_action_required"})
    out.append(steps("invalid_client (RFC 6749 §5.2, HTTP 401) stops for a person: needs_user, the plan says user_action, "
                     "and the planner's request is refused", st, ["lifecycle", "error"]))

    # An absurd lifetime: provider_error, nothing stored, backoff.
    s4 = session("oauth_client_credentials", "erp-batch", cfg, failures=1, retry_not_before_ms=t + 200 + backoff("fleet-7", 1))
    st = [resp_step(s_in, t + 200, ok({"access_token": "x", "token_type": "Bearer", "expires_in": 0}), s4, error("provider_error"))]
    out.append(steps(f"expires_in 0 is absurd: provider_error, no token stored, backoff(1) = {backoff('fleet-7', 1)}",
                     st, ["lifecycle", "error", "boundary"]))
    s5 = session("oauth_client_credentials", "erp-batch", cfg, failures=1, retry_not_before_ms=t + 200 + backoff("fleet-7", 1))
    st = [resp_step(s_in, t + 200, ok({"access_token": "x", "expires_in": 31622401}), s5, error("provider_error"))]
    out.append(steps("expires_in 31622401 s is one second over a year (366 days): refused", st, ["lifecycle", "error", "boundary"]))

    # A 401 on an API call rejects the token: renew with the grant.
    s6 = session("oauth_client_credentials", "erp-batch", cfg, access_token="gen-at-1", obtained_at_ms=t, expires_at_ms=t + H,
                 secret_in_use="current")
    e6 = error("reauth_required", "invalid_token")
    s6r = with_(s6, rejected=True, last_error=e6)
    st = [{"op": "session_observe", "input": {"session": s6, "response": {"status": 401, "headers": {"WWW-Authenticate": 'Bearer error="invalid_token"'}, "body": ""},
                                              "sent_at_ms": t + MIN, "received_at_ms": t + MIN + 80},
           "result": "valid", "output": {"session": s6r, "outcome": "reauthenticate", "error": e6}}]
    p6, _ = plan_step(0, s6r, t + MIN + 80)
    st.append(p6)
    st.append({"op": "session_observe", "input": {"session": s6, "response": {"status": 403, "headers": {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}, "body": ""},
                                                  "sent_at_ms": t + MIN, "received_at_ms": t + MIN + 80},
               "result": "valid", "output": {"session": s6, "outcome": "provider_error", "error": error("provider_error", "403")}})
    out.append(steps("a 401 on an API call (RFC 6750 invalid_token) rejects the token: renew; 403 insufficient_scope does not",
                     st, ["lifecycle", "rfc6750"]))
    return out


def rotation():
    t = T0
    cfg = dict(WB)
    old, new = "test-only-old-secret", "test-only-new-secret"
    deadline = t + 24 * H
    creds = {"client_secret": new, "previous_client_secret": old, "previous_secret_valid_until_ms": deadline}
    s0 = session("oauth_client_credentials", "acme-tenant", cfg)
    sp1 = with_(s0, pending={"step": "client_credentials", "sent_at_ms": t, "secret": "current", "secret_fallback": True})
    s1 = with_(s0, secret_in_use="previous", failures=1)
    err = error("provider_error", "invalid_client", retryable=True)
    sp2 = with_(s1, pending={"step": "client_credentials", "sent_at_ms": t + 300, "secret": "previous"}, last_error=err)
    s2 = session("oauth_client_credentials", "acme-tenant", cfg, access_token="wb-at-1", obtained_at_ms=t + 300, expires_at_ms=t + 300 + H,
                 secret_in_use="previous")
    st = [
        req_step(s0, t, creds, {"method": "POST", "url": WB_URL, "headers": headers_basic("acme-tenant", new),
                                "body": form({"grant_type": "client_credentials"})}, sp1),
        resp_step(ref("0.output.session"), t + 200, {"status": 401, "body": '{"error":"invalid_client"}'}, s1, err),
        req_step(ref("1.output.session"), t + 300, creds, {"method": "POST", "url": WB_URL, "headers": headers_basic("acme-tenant", old),
                                                           "body": form({"grant_type": "client_credentials"})}, sp2),
        resp_step(ref("2.output.session"), t + 500, ok({"access_token": "wb-at-1", "expires_in": 3600, "token_type": "Bearer"}), s2),
    ]
    # Later requests: the previous secret while its deadline is ahead, the current one from the deadline.
    s2_refresh = with_(s2, pending={"step": "client_credentials", "sent_at_ms": deadline - 1, "secret": "previous"})
    st.append(req_step(ref("3.output.session"), deadline - 1, creds, {"method": "POST", "url": WB_URL, "headers": headers_basic("acme-tenant", old),
                                                                      "body": form({"grant_type": "client_credentials"})}, s2_refresh,
                       step="client_credentials"))
    s2_cur = with_(s2, pending={"step": "client_credentials", "sent_at_ms": deadline, "secret": "current"})
    st.append(req_step(ref("3.output.session"), deadline, creds, {"method": "POST", "url": WB_URL, "headers": headers_basic("acme-tenant", new),
                                                                  "body": form({"grant_type": "client_credentials"})}, s2_cur,
                       step="client_credentials"))
    return steps("secret rotation with a 24 h overlap (deadline T0+24h): the current secret is refused (401 invalid_client) "
                 "while the previous is inside its deadline: retryable at once (no backoff), the next request sends the "
                 "previous one, which works (info secret = previous); it is sent until deadline - 1 ms, the current one "
                 "from the deadline", st, ["lifecycle", "secret-rotation", "boundary"])


def password():
    t = T0
    url = "https://gw.example/oauth/token"
    cfg = {"token_url": url, "client_id": "gw-client", "username": "ops@acme.example"}
    s0 = session("oauth_password", "ops@acme.example", cfg)
    sp = with_(s0, pending={"step": "password", "sent_at_ms": t, "secret": "current"})
    s1 = with_(s0, needs_user=TEXT)
    st = [req_step(s0, t, {"client_secret": "gw-secret", "password": "test-only-pw"},
                   {"method": "POST", "url": url, "headers": headers_basic("gw-client", "gw-secret"),
                    "body": form({"grant_type": "password", "username": "ops@acme.example", "password": "test-only-pw"})}, sp),
          resp_step(ref("0.output.session"), t + 200, {"status": 400, "body": '{"error":"invalid_grant","error_description":"bad credentials"}'},
                    s1, error("user_action_required", "invalid_grant"))]
    mi_url = "https://clientbasic.mastersindia.example/oauth/access_token"
    mi_cfg = {"token_url": mi_url, "client_id": "mi-client", "username": "ops@acme.example", "flavor": "masters_india"}
    mi0 = session("oauth_password", "ops@acme.example", mi_cfg)
    mip = with_(mi0, pending={"step": "password", "sent_at_ms": t, "secret": "current"})
    mi_body = json.dumps({"client_id": "mi-client", "client_secret": "mi-secret", "grant_type": "password", "password": "test-only-pw",
                          "username": "ops@acme.example"}, separators=(",", ":"))
    mi1 = session("oauth_password", "ops@acme.example", mi_cfg, access_token="8a6ce6f2c4ac86e09b330e17cd59862a3ff2ed25", obtained_at_ms=t,
                  expires_at_ms=t + H, secret_in_use="current")
    st += [req_step(mi0, t, {"client_secret": "mi-secret", "password": "test-only-pw"},
                    {"method": "POST", "url": mi_url, "headers": {"Content-Type": "application/json", "Accept": "application/json"},
                     "body": mi_body}, mip),
           resp_step(ref("2.output.session"), t + 200, ok({"access_token": "8a6ce6f2c4ac86e09b330e17cd59862a3ff2ed25", "expires_in": 3600,
                                                         "token_type": "bearer"}), mi1)]
    return steps("the password grant (RFC 6749 §4.3): a refused password (invalid_grant) stops for a person; Masters "
                 "India's JSON dialect (keys sorted, compact) with its documented answer: expires_in 3600 → T0+1h", st,
                 ["lifecycle", "password"])


# ---------------------------------------------------------------- the code flow

CODE_CFG = {"auth_url": "https://idp.example/authorize", "token_url": "https://idp.example/token",
            "redirect_uri": "https://erp.example/cb", "client_id": "erp", "scope": "gst.read offline_access"}


def code_flow():
    t = T0
    acct = "user-1"
    s0 = session("oauth_authorization_code", acct, CODE_CFG)
    s1 = session("oauth_authorization_code", acct, CODE_CFG, access_token="code-at-1", refresh_token="code-rt-1", obtained_at_ms=t,
                 expires_at_ms=t + H, secret_in_use="current", info={"token_scope": "gst.read offline_access"})
    st = [
        {"op": "session_new", "input": {"provider": "oauth_authorization_code", "account": acct, "config": CODE_CFG}, "result": "valid",
         "output": {"session": s0}},
        {"op": "oauth_authorization_url", "input": {"session": ref("0.output.session"), "now_ms": t - 30 * S}, "result": "valid"},
        {"op": "session_request", "input": {"session": ref("1.output.session"), "now_ms": t, "step": "authorization_code",
                                            "credentials": {"client_secret": "erp-secret", "code": "c-1",
                                                            "state": ref("1.output.session.pending.state")}}, "result": "valid"},
        resp_step(ref("2.output.session"), t + 300, ok({"access_token": "code-at-1", "token_type": "Bearer", "expires_in": 3600,
                                                      "refresh_token": "code-rt-1", "scope": "gst.read offline_access"}), s1),
    ]
    p0, _ = plan(s0, t)
    st.insert(1, {"op": "session_plan", "input": {"session": ref("0.output.session"), "now_ms": t}, "result": "valid", "output": p0})
    # steps: 0 new, 1 plan, 2 url, 3 request, 4 response
    st[3]["input"]["session"] = ref("2.output.session")
    st[3]["input"]["credentials"]["state"] = ref("2.output.session.pending.state")
    st[4]["input"]["session"] = ref("3.output.session")
    exp = t + H
    a, why = plan_step(4, s1, exp - 5 * MIN - 1)
    b, _ = plan_step(4, s1, exp - 5 * MIN)
    c, _ = plan_step(4, s1, exp - 10 * S)
    st += [a, b, c]  # 5 6 7
    r = exp - 5 * MIN
    sr = with_(s1, pending={"step": "refresh", "sent_at_ms": r, "secret": "current"})
    st.append(req_step(ref("4.output.session"), r, {"client_secret": "erp-secret"},
                       {"method": "POST", "url": "https://idp.example/token", "headers": headers_basic("erp", "erp-secret"),
                        "body": form({"grant_type": "refresh_token", "refresh_token": "code-rt-1"})}, sr))  # 8
    s2 = with_(s1, access_token="code-at-2", refresh_token="code-rt-2", obtained_at_ms=r, expires_at_ms=r + H, secret_in_use="current", info=None)
    st.append(resp_step(ref("8.output.session"), r + 200, ok({"access_token": "code-at-2", "token_type": "Bearer", "expires_in": 3600,
                                                            "refresh_token": "code-rt-2"}), s2))  # 9
    r2 = r + H - 5 * MIN
    s3in = with_(s2, pending={"step": "refresh", "sent_at_ms": r2, "secret": "current"})
    rec = r2 + 200
    s3 = with_(s2, refresh_token=None, failures=1, retry_not_before_ms=rec + 1000)
    st.append(resp_step(s3in, rec, {"status": 400, "body": '{"error":"invalid_grant","error_description":"grant revoked"}'}, s3,
                        error("user_action_required", "invalid_grant")))  # 10
    d, why2 = plan_step(10, s3, rec)
    e, _ = plan_step(10, s3, r + H - 10 * S)
    st += [d, e]
    return steps(
        "authorization code with PKCE: the authorization URL keeps state and verifier in pending; the exchange at T0 "
        "(state from the redirect) gives expires_in 3600 and code-rt-1: " + why + "; the refresh at R = T0+55min "
        "rotates code-rt-1 into code-rt-2 (§6); the next refresh is refused (invalid_grant): the refresh token is "
        "dropped, backoff 1000 ms (no seed), and " + why2 + ": the token is used to its end, then the user", st,
        ["lifecycle", "pkce", "refresh-rotation", "boundary"])


def public_client():
    t = T0
    cfg = dict(CODE_CFG, client_auth="none")
    s = session("oauth_authorization_code", "user-2", cfg, access_token="pub-at", refresh_token="pub-rt", obtained_at_ms=t,
                expires_at_ms=t + H, refresh_expires_at_ms=t + 8 * H)
    now = t + H - 5 * MIN
    sp = with_(s, pending={"step": "refresh", "sent_at_ms": now})
    st = [req_step(s, now, {}, {"method": "POST", "url": "https://idp.example/token", "headers": FORM_HEADERS,
                                "body": form({"client_id": "erp", "grant_type": "refresh_token", "refresh_token": "pub-rt"})}, sp)]
    p, why = plan(s, t + 8 * H)
    st.append({"op": "session_plan", "input": {"session": s, "now_ms": t + 8 * H - 1}, "result": "valid", "output": plan(s, t + 8 * H - 1)[0]})
    st.append({"op": "session_plan", "input": {"session": s, "now_ms": t + 8 * H}, "result": "valid", "output": p})
    return steps("a public client (client_auth none, RFC 6749 §2.1) refreshes with its client_id in the form and no "
                 "secret; an expired token renews while the refresh token lives (refresh_expires_at T0+8h), then the user",
                 st, ["lifecycle", "public-client", "boundary"])


def redirect_tests():
    """oauth_parse_redirect on a session whose authorization request is in flight (state fixed here)."""
    state = "c3RhdGUtMTIz"
    s = session("oauth_authorization_code", "user-1", CODE_CFG,
                pending={"step": "authorize", "sent_at_ms": T0, "state": state, "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"})
    cb = "https://erp.example/cb"
    out = []
    for comment, url, want in [
        ("a code with the state sent (RFC 6749 §4.1.2)", f"{cb}?code=SplxlOBeZQQYbYS6WxSbIA&state={state}",
         {"code": "SplxlOBeZQQYbYS6WxSbIA", "state": state}),
        ("the issuer named by the server (RFC 9207) is returned for the host to compare",
         f"{cb}?code=c-2&state={state}&iss=https%3A%2F%2Fidp.example", {"code": "c-2", "state": state, "iss": "https://idp.example"}),
    ]:
        out.append(valid(comment, {"session": s, "url": url}, want, ["redirect"]))
    for comment, url, code, pcode in [
        ("another state: a forged or stale redirect", f"{cb}?code=c&state={state}x", "invalid_input", ""),
        ("no state", f"{cb}?code=c", "invalid_input", ""),
        ("an error redirect with another state is not believed either", f"{cb}?error=access_denied&state=forged", "invalid_input", ""),
        ("the user declined (§4.1.2.1 access_denied)", f"{cb}?error=access_denied&error_description=no&state={state}", "user_action_required", "access_denied"),
        ("server_error: send the user again later", f"{cb}?error=server_error&state={state}", "provider_error", "server_error"),
        ("invalid_scope: the configuration", f"{cb}?error=invalid_scope&state={state}", "config_invalid", "invalid_scope"),
        ("neither code nor error", f"{cb}?state={state}", "provider_error", ""),
    ]:
        tc = invalid(comment, {"session": s, "url": url}, code, ["redirect"])
        if pcode:
            tc["provider_code"] = pcode
        out.append(tc)
    out.append(invalid("no authorization request in flight", {"session": session("oauth_authorization_code", "user-1", CODE_CFG),
                                                               "url": f"{cb}?code=c&state={state}"}, "invalid_input", ["redirect"]))
    for tc in out:
        tc["op"] = "oauth_parse_redirect"
    return out


def main():
    tests = [whitebooks(), onefinops(), *onefinops_environment(), jittered(), *failures(), rotation(), password(), code_flow(),
             public_client(), *redirect_tests()]
    write("lifecycle_oauth", None, "OAuth 2.0 lifecycles: client credentials (WhiteBooks, OneFinOps, generic), the password "
          "grant, secret rotation, failures, and the authorization code flow with PKCE and refresh-token rotation.",
          GEN, SOURCES, tests)


if __name__ == "__main__":
    main()
