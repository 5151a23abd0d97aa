"""WhiteBIT vectors: private API signatures and the OAuth lifecycle.

Signatures are computed with Python's hmac and hashlib (HMAC-SHA512 over the base64 payload, hex), bodies written with
Python's json, exactly as WhiteBIT documents them ("Private HTTP API Authentication"). Lifecycle instants come from
the documented rules (oauth_rules.py, arithmetic in each comment). gstauth is never imported or run.

Run from the repository root:  python3 testdata/gen/whitebit_vectors.py
"""
import base64
import copy
import hashlib
import hmac
import json

from common import invalid, ref, steps, valid, write
from oauth_rules import FORM_HEADERS, MIN, S, H, TEXT, error, form, plan, response_output, session

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
KEY, SECRET = "4e8d2f6b-test-only-key", "test-only-secret-9f3c"
SOURCES = ["https://docs.whitebit.com/api-reference/authentication (Private HTTP API Authentication)",
           "https://docs.whitebit.com/platform/oauth/usage (OAuth 2.0)",
           "https://docs.whitebit.com/guides/fast-api-key-via-oauth", "../shared/reference/gst-protocols.md (WhiteBIT)"]
GEN_SIGN = ("testdata/gen/whitebit_vectors.py: X-TXC-PAYLOAD = base64(body bytes) and X-TXC-SIGNATURE = "
            "hex(HMAC-SHA512(secret, payload)) computed with Python base64, hmac and hashlib; bodies written with Python "
            "json; nonces worked out by hand from the documented rule (comment of each case), never from gstauth's output.")
GEN_LIFE = ("testdata/gen/whitebit_vectors.py: expected sessions, requests and plans worked out from the rules in core/doc.go "
            "and core/whitebit.go's documentation (oauth_rules.py, arithmetic in each comment), never from gstauth's "
            "output; form bodies with Python urllib.parse.")


def sign(key, secret, body: bytes):
    payload = base64.b64encode(body).decode()
    sig = hmac.new(secret.encode(), payload.encode(), hashlib.sha512).hexdigest()
    return {"X-TXC-APIKEY": key, "X-TXC-PAYLOAD": payload, "X-TXC-SIGNATURE": sig}


def sign_tests():
    t = []
    cases = [
        ("the documentation's example body", {"request": "/api/v4/trade-account/balance", "nonce": 1594297865, "nonceWindow": True, "ticker": "BTC"}, (",", ":")),
        ("the quickstart's shape: nonce as a string", {"ticker": "BTC", "request": "/api/v4/trade-account/balance", "nonce": "1594297865", "nonceWindow": True}, (",", ":")),
        ("spaces in the body are signed as they are", {"request": "/api/v4/main-account/balance", "nonce": 1767225600000}, (", ", ": ")),
        ("a new order", {"request": "/api/v4/order/new", "nonce": 1767225600001, "market": "BTC_USDT", "side": "buy",
                          "amount": "0.01", "price": "40000", "postOnly": True, "clientOrderId": "erp-7"}, (",", ":")),
        ("non-ASCII text is signed as UTF-8 bytes", {"request": "/api/v4/main-account/address", "nonce": 42, "memo": "Zahlung für Rechnung"}, (",", ":")),
    ]
    for comment, obj, seps in cases:
        body = json.dumps(obj, separators=seps, ensure_ascii=False)
        t.append(valid(comment, {"api_key": KEY, "secret": SECRET, "body": body}, {"headers": sign(KEY, SECRET, body.encode())}))
    body = '{"request":"/api/v4/trade-account/balance","nonce":1}'
    t.append(valid("a non-ASCII secret is used as UTF-8", {"api_key": KEY, "secret": "sécret-ключ", "body": body},
                   {"headers": sign(KEY, "sécret-ключ", body.encode())}))
    big = json.dumps({"request": "/api/v4/orders", "nonce": 7, "orders": [{"market": "BTC_USDT", "id": i} for i in range(300)]},
                     separators=(",", ":"))
    t.append(valid("a 10 KB body", {"api_key": KEY, "secret": SECRET, "body": big}, {"headers": sign(KEY, SECRET, big.encode())}))
    ok = '{"request":"/api/v4/x","nonce":1}'
    for comment, inp, code in [
        ("no API key", {"api_key": "", "secret": SECRET, "body": ok}, "invalid_key"),
        ("no secret", {"api_key": KEY, "secret": "", "body": ok}, "invalid_key"),
        ("an API key with a line break (header injection)", {"api_key": KEY + "\r\nX-Evil: 1", "secret": SECRET, "body": ok}, "invalid_key"),
        ("a body that is not JSON", {"api_key": KEY, "secret": SECRET, "body": "request=/api/v4/x&nonce=1"}, "invalid_input"),
        ("a body without nonce", {"api_key": KEY, "secret": SECRET, "body": '{"request":"/api/v4/x"}'}, "invalid_input"),
        ("a body without request", {"api_key": KEY, "secret": SECRET, "body": '{"nonce":1}'}, "invalid_input"),
        ("a request path with the host", {"api_key": KEY, "secret": SECRET, "body": '{"request":"https://whitebit.com/api/v4/x","nonce":1}'}, "invalid_input"),
        ("a fractional nonce", {"api_key": KEY, "secret": SECRET, "body": '{"request":"/api/v4/x","nonce":1.5}'}, "invalid_input"),
        ("body missing", {"api_key": KEY, "secret": SECRET}, "invalid_input"),
        ("body not a string", {"api_key": KEY, "secret": SECRET, "body": {"request": "/api/v4/x", "nonce": 1}}, "invalid_input"),
    ]:
        t.append(invalid(comment, inp, code, ["malformed"] if comment.startswith("body ") else None))
    return t


def wb_body(path, nonce, window, params):
    """The body gstauth documents: request, nonce, nonceWindow, then the params sorted; compact JSON."""
    out = '{"request":' + json.dumps(path) + ',"nonce":' + str(nonce)
    if window:
        out += ',"nonceWindow":true'
    for k in sorted(params or {}):
        out += "," + json.dumps(k, ensure_ascii=False) + ":" + json.dumps(params[k], separators=(",", ":"), ensure_ascii=False)
    return out + "}"


def wb_request(base, path, nonce, window, params):
    body = wb_body(path, nonce, window, params)
    h = sign(KEY, SECRET, body.encode())
    h["Content-Type"] = "application/json"
    return {"method": "POST", "url": base + path, "headers": h, "body": body}


def request_tests():
    t = []
    cfg = {"client_id": "wb-client"}
    bal = "/api/v4/trade-account/balance"

    def case(comment, s_in, now, params, nonce, window=False, base="https://whitebit.com", flags=None):
        inp = {"session": s_in, "now_ms": now, "api_key": KEY, "secret": SECRET, "path": bal}
        if params:
            inp["params"] = params
        out_s = copy.deepcopy(s_in)
        out_s["nonce"] = nonce
        return valid(comment, inp, {"request": wb_request(base, bal, nonce, window, params), "session": out_s}, flags)

    t.append(case("counter mode, a new session: nonce = max(0 + 1, now) = T0", session("whitebit", "wb-user", cfg), T0,
                  {"ticker": "BTC"}, T0))
    t.append(case("counter mode, last nonce T0+500 ahead of the clock: max(T0+501, T0) = T0+501",
                  session("whitebit", "wb-user", cfg, nonce=T0 + 500), T0, {"ticker": "BTC"}, T0 + 501))
    t.append(case("counter mode, the clock went back an hour: max(T0+1, T0-1h) = T0+1",
                  session("whitebit", "wb-user", cfg, nonce=T0), T0 - H, None, T0 + 1))
    t.append(case("window mode, server 2.5 s ahead: max(1, T0 + 2500) = T0+2500, nonceWindow in the body",
                  session("whitebit_fast_key", "wb-user", dict(cfg, nonce_window=True), skew_ms=2500, skew_measured_at_ms=T0 - MIN),
                  T0, {"ticker": "USDT"}, T0 + 2500, window=True))
    t.append(case("window mode, last nonce T0+4998: T0+4999 is 4999 ms ahead of the server, inside ±5 s",
                  session("whitebit", "wb-user", dict(cfg, nonce_window=True), nonce=T0 + 4998), T0, None, T0 + 4999,
                  window=True, flags=["boundary"]))
    t.append(case("the EU server (config.base_url)", session("whitebit", "wb-user", dict(cfg, base_url="https://whitebit.eu")),
                  T0, {"ticker": "BTC"}, T0, base="https://whitebit.eu"))
    t.append(case("params sorted after request and nonce", session("whitebit", "wb-user", cfg), T0 + 7,
                  {"side": "buy", "amount": "0.01", "market": "BTC_USDT", "postOnly": True, "price": "40000"}, T0 + 7))
    s0 = session("whitebit", "wb-user", cfg)
    s1 = dict(copy.deepcopy(s0), nonce=T0)
    s2 = dict(copy.deepcopy(s0), nonce=T0 + 1)
    base_inp = {"now_ms": T0, "api_key": KEY, "secret": SECRET, "path": bal}
    t.append(steps("two requests in the same millisecond: nonces T0, then max(T0+1, T0) = T0+1", [
        {"op": "whitebit_request", "input": dict(base_inp, session=s0), "result": "valid",
         "output": {"request": wb_request("https://whitebit.com", bal, T0, False, {}), "session": s1}},
        {"op": "whitebit_request", "input": dict(base_inp, session=ref("0.output.session")), "result": "valid",
         "output": {"request": wb_request("https://whitebit.com", bal, T0 + 1, False, {}), "session": s2}},
    ], ["nonce"]))
    bad = [
        ("window mode, last nonce T0+4999: T0+5000 would be 5 s ahead of the server",
         dict(base_inp, session=session("whitebit", "wb-user", dict(cfg, nonce_window=True), nonce=T0 + 4999)), "rate_limited"),
        ("params must not set the nonce", dict(base_inp, session=s0, params={"nonce": 5}), "invalid_input"),
        ("params must not set nonceWindow", dict(base_inp, session=s0, params={"nonceWindow": False}), "invalid_input"),
        ("a path with a query", dict(base_inp, session=s0, path="/api/v4/x?y=1"), "invalid_input"),
        ("a GSTN session", dict(base_inp, session=session("gstn", "x", {})), "unsupported"),
        ("no secret", dict(base_inp, session=s0, secret=""), "invalid_key"),
        ("now missing", {k: v for k, v in dict(base_inp, session=s0).items() if k != "now_ms"}, "invalid_input"),
    ]
    for comment, inp, code in bad:
        t.append(invalid(comment, inp, code, ["boundary"] if code == "rate_limited" else ["malformed"] if "now_ms" not in inp else None))
    for tc in t:
        if "steps" not in tc:
            tc["op"] = "whitebit_request"
    return t


# ---------------------------------------------------------------- the OAuth lifecycle

CFG = {"client_id": "wb-client"}
FAST_CFG = {"client_id": "wb-partner", "redirect_uri": "https://partner.example/wb/callback"}
STATE = "c3RhdGUtb2YtdGhlLXRlc3Q"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


def plan_step(n, s, now):
    p, why = plan(s, now)
    return {"op": "session_plan", "input": {"session": ref(f"{n}.output.session"), "now_ms": now}, "result": "valid", "output": p}, why


def token_body(**data):
    return json.dumps({"data": data})


def lifecycle_tests():
    tests = []
    secret = "wb-secret"

    # 1. The classic flow: login, exchange, refresh at 1 request/s, the refresh token's end.
    t = T0
    s_new = session("whitebit", "wb-user", CFG)
    auth_in = {"session": ref("0.output.session"), "now_ms": t - 20 * S}
    s_x = session("whitebit", "wb-user", CFG, pending={"step": "authorization_code", "sent_at_ms": t, "secret": "current"})
    req_x = {"method": "POST", "url": "https://whitebit.com/oauth2/token", "headers": FORM_HEADERS,
             "body": form({"client_id": "wb-client", "client_secret": secret, "code": "wb-code-1"})}
    s1 = session("whitebit", "wb-user", CFG, access_token="wb-at-1", refresh_token="wb-rt-1", obtained_at_ms=t,
                 expires_at_ms=t + 300 * S, refresh_expires_at_ms=t + 600 * S,
                 secret_in_use="current", info={"token_scope": "general,balances.read"})
    st = [
        {"op": "session_new", "input": {"provider": "whitebit", "account": "wb-user", "config": CFG}, "result": "valid", "output": {"session": s_new}},
        {"op": "oauth_authorization_url", "input": auth_in, "result": "valid"},
        {"op": "session_request", "input": {"session": ref("1.output.session"), "now_ms": t, "step": "authorization_code",
                                            "credentials": {"client_secret": secret, "code": "wb-code-1", "state": ref("1.output.session.pending.state")}},
         "result": "valid", "output": {"request": req_x, "session": s_x}},
        {"op": "session_response", "input": {"session": ref("2.output.session"), "received_at_ms": t + 300, "response": {
            "status": 200, "body": token_body(access_token="wb-at-1", expires_in=300, refresh_token="wb-rt-1",
                                              scope="general,balances.read", token_type="Bearer")}},
         "result": "valid", "output": response_output(s1)},
    ]
    p1, why = plan_step(3, s1, t + 240 * S - 1)
    p2, _ = plan_step(3, s1, t + 240 * S)
    p3, _ = plan_step(3, s1, t + 295 * S)
    p4, _ = plan_step(3, s1, t + 600 * S)
    st += [p1, p2, p3, p4]
    r = t + 240 * S
    s_r = dict(copy.deepcopy(s1), pending={"step": "refresh", "sent_at_ms": r, "secret": "current"})
    req_r = {"method": "POST", "url": "https://whitebit.com/oauth2/refresh_token", "headers": FORM_HEADERS,
             "body": form({"client_id": "wb-client", "client_secret": secret, "token": "wb-rt-1"})}
    st.append({"op": "session_request", "input": {"session": ref("3.output.session"), "now_ms": r, "credentials": {"client_secret": secret}},
               "result": "valid", "output": {"request": req_r, "session": s_r}})  # step 8
    st.append({"op": "session_request", "input": {"session": ref("8.output.session"), "now_ms": r + 999, "step": "refresh",
                                                  "credentials": {"client_secret": secret}}, "result": "invalid", "error": "rate_limited"})
    s2 = session("whitebit", "wb-user", CFG, access_token="wb-at-2", refresh_token="wb-rt-2", obtained_at_ms=r,
                 expires_at_ms=r + 300 * S, refresh_expires_at_ms=r + 600 * S, retry_not_before_ms=r + 300 + 1000,
                 secret_in_use="current", info={"token_scope": "general,balances.read"})
    st.append({"op": "session_response", "input": {"session": ref("8.output.session"), "received_at_ms": r + 300, "response": {
        "status": 200, "body": token_body(access_token="wb-at-2", expires_in="300", refresh_token="wb-rt-2",
                                          scope="general,balances.read", token_type="Bearer")}},
               "result": "valid", "output": response_output(s2)})  # step 10
    st.append({"op": "session_request", "input": {"session": ref("10.output.session"), "now_ms": r + 1299, "step": "refresh",
                                                  "credentials": {"client_secret": secret}}, "result": "invalid", "error": "rate_limited"})
    p5, why2 = plan_step(10, s2, r + 1300)
    st.append(p5)
    tests.append(steps(
        "WhiteBIT code flow: login URL (camelCase clientId, state) → exchange at T0 (form client_id, client_secret, code; "
        "no grant_type) → {\"data\":{...}} token, expires_in 300: expires T0+300 s, refresh token T0+600 s; " + why +
        "; fresh to T0+240 s - 1, refresh at T0+240 s, renew (refresh token alive) from T0+295 s, user_action from "
        "T0+600 s; the refresh at R = T0+240 s posts token=wb-rt-1 to /oauth2/refresh_token; a second one at R+999 is "
        "refused (1 request/s); the answer received at R+300 sets retry_not_before = R+300+1000, so a refresh at "
        "R+1299 is refused too", st, ["lifecycle", "boundary", "rate-limit"]))

    # 2. A refused refresh: the refresh token is dropped; the token is used to its end, then the user.
    s_in = session("whitebit", "wb-user", CFG, access_token="wb-at-1", refresh_token="wb-rt-1", obtained_at_ms=t,
                   expires_at_ms=t + 300 * S, refresh_expires_at_ms=t + 600 * S, secret_in_use="current",
                   pending={"step": "refresh", "sent_at_ms": t + 240 * S, "secret": "current"})
    rec = t + 240 * S + 200
    s_out = session("whitebit", "wb-user", CFG, access_token="wb-at-1", obtained_at_ms=t, expires_at_ms=t + 300 * S,
                    secret_in_use="current", failures=1, retry_not_before_ms=rec + 1000)
    err = error("user_action_required", "422")
    st = [{"op": "session_response", "input": {"session": s_in, "received_at_ms": rec, "response": {
        "status": 422, "body": json.dumps({"errors": {"token": ["The refresh token is invalid."]}})}},
        "result": "valid", "output": response_output(s_out, err)}]
    q1, why = plan_step(0, s_out, rec)
    q2, _ = plan_step(0, s_out, t + 295 * S - 1)
    q3, _ = plan_step(0, s_out, t + 295 * S)
    st += [q1, q2, q3]
    tests.append(steps(
        "WhiteBIT refresh refused with 422 {\"errors\":{\"token\":[...]}}: the refresh token is dropped, the failure backs "
        "off min(1 s·2^0, 5 min) = 1000 ms (no seed); " + why + "; the token stays in use (no_refresh) until T0+295 s, "
        "then a person", st, ["lifecycle", "error"]))

    # 3. A refused code exchange (401 {"data":{"message":[...]}}) stops for a person.
    s_in = session("whitebit", "wb-user", CFG, pending={"step": "authorization_code", "sent_at_ms": t, "secret": "current"})
    s_out = session("whitebit", "wb-user", CFG, needs_user=TEXT)
    st = [{"op": "session_response", "input": {"session": s_in, "received_at_ms": t + 200, "response": {
        "status": 401, "body": json.dumps({"data": {"message": ["Invalid client credentials."]}})}},
        "result": "valid", "output": response_output(s_out, error("user_action_required", "401"))}]
    q, _ = plan_step(0, s_out, t + 200)
    st.append(q)
    tests.append(steps("WhiteBIT code exchange refused with 401 {\"data\":{\"message\":[...]}}: needs_user, the plan says "
                       "user_action (needs_user)", st, ["lifecycle", "error"]))

    # 4. The Fast API Key flow: PKCE, 4 h, no refresh.
    s_auth = session("whitebit_fast_key", "wb-user", FAST_CFG,
                     pending={"step": "authorize", "sent_at_ms": t - MIN, "state": STATE, "code_verifier": VERIFIER})
    s_x = session("whitebit_fast_key", "wb-user", FAST_CFG, pending={"step": "authorization_code", "sent_at_ms": t, "secret": "current"})
    req_x = {"method": "POST", "url": "https://whitebit.com/oauth2/token", "headers": FORM_HEADERS,
             "body": form({"client_id": "wb-partner", "client_secret": secret, "code": "fast-code", "redirect_uri": FAST_CFG["redirect_uri"],
                           "code_verifier": VERIFIER})}
    s1 = session("whitebit_fast_key", "wb-user", FAST_CFG, access_token="fast-at-1", obtained_at_ms=t, expires_at_ms=t + 4 * H,
                 secret_in_use="current", info={"token_scope": "apikeys.read,apikeys.delete"})
    st = [
        {"op": "session_request", "input": {"session": s_auth, "now_ms": t, "step": "authorization_code",
                                            "credentials": {"client_secret": secret, "code": "fast-code", "state": STATE}},
         "result": "valid", "output": {"request": req_x, "session": s_x}},
        {"op": "session_response", "input": {"session": ref("0.output.session"), "received_at_ms": t + 400, "response": {
            "status": 200, "body": token_body(access_token="fast-at-1", expires_in=14400, scope="apikeys.read,apikeys.delete",
                                              token_type="Bearer", refresh_token="ignored-no-refresh")}},
         "result": "valid", "output": response_output(s1)},
    ]
    exp = t + 4 * H
    f1, why = plan_step(1, s1, exp - 15 * MIN - 1)
    f2, _ = plan_step(1, s1, exp - 15 * MIN)
    f3, _ = plan_step(1, s1, exp - 10 * S - 1)
    f4, _ = plan_step(1, s1, exp - 10 * S)
    st += [f1, f2, f3, f4]
    st.append({"op": "session_request", "input": {"session": ref("1.output.session"), "now_ms": exp - MIN, "step": "refresh",
                                                  "credentials": {"client_secret": secret}}, "result": "invalid", "error": "invalid_input"})
    tests.append(steps(
        "WhiteBIT Fast API Key: the exchange adds redirect_uri and code_verifier; expires_in 14400: 4 h, any refresh "
        "token ignored; " + why + "; fresh until exp-15 min - 1, then use (no_refresh) naming user_action_at = exp-10 s, "
        "then user_action; there is no refresh step", st, ["lifecycle", "boundary", "pkce"]))

    # 5. A state that does not match the authorization request: nothing is built.
    st = [{"op": "session_request", "input": {"session": s_auth, "now_ms": t, "step": "authorization_code",
                                              "credentials": {"client_secret": secret, "code": "fast-code", "state": STATE + "x"}},
           "result": "invalid", "error": "invalid_input"}]
    tests.append(steps("a redirect whose state differs from the authorization request's is refused before anything is sent", st, ["csrf"]))
    return tests


def main():
    write("whitebit_sign", "whitebit_sign", "WhiteBIT private API signatures: X-TXC-APIKEY, X-TXC-PAYLOAD = base64(body), "
          "X-TXC-SIGNATURE = hex(HMAC-SHA512(secret, payload)).", GEN_SIGN, SOURCES[:1], sign_tests())
    write("whitebit_sign_request", None, "Signed WhiteBIT private API requests: body layout, nonce in counter and window mode, "
          "the session's nonce advanced.", GEN_SIGN, SOURCES[:1], request_tests())
    write("lifecycle_whitebit", None, "WhiteBIT OAuth lifecycle: code flow, data-wrapped tokens, the refresh endpoint at "
          "1 request/s, non-RFC errors, the Fast API Key flow.", GEN_LIFE, SOURCES[1:], lifecycle_tests())


if __name__ == "__main__":
    main()
