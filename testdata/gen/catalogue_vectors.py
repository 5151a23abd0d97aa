"""Error catalogue vectors (catalogue.json) and the table's own answers (meta.json: version, error_catalogue).

The cases are made from core/catalogue.json, the data file every layer reads: every class, every code (on an ordinary
API call through session_observe, and on the answer to an authentication request through session_response, with its
during_auth class where it has one), every outage marker and every HTTP status. The expected outcome, error and session
of each case come from the rules of core/doc.go, written again in catalogue_rules.py and lifecycle_rules.py; the
arithmetic of each wait is in its comment. gstauth is never imported or run.

Run from the repository root:  python3 testdata/gen/catalogue_vectors.py
"""
import copy
import json
import os

from catalogue_rules import CATALOGUE, CATALOGUE_PATH, FAMILY, auth_failure, failure_body, observe, observed_session
from common import ROOT, b64, ref, rng, randbytes, steps, valid, write
from lifecycle_rules import H, MIN, S, outcome_of, plan, response_output, session
from lifecycle_vectors import (EWB_ACCT, EWB_CFG, GSTN_ACCT, GSTN_CFG, GW_CFG, NIC_ACCT, NIC_CFG, T0, http_date)

R = rng("gstauth catalogue vectors v1")
GEN = ("testdata/gen/catalogue_vectors.py: every case made from core/catalogue.json; outcomes, errors and sessions worked "
       "out from the rules of core/doc.go (catalogue_rules.py, lifecycle_rules.py), never from gstauth's output.")
SOURCES = ["core/catalogue.json", "core/doc.go (Failures; The error catalogue)", "RFC 6750 §3.1", "RFC 9110 §10.2.3"]

K1, EK = randbytes(R, 32), randbytes(R, 32)
SENT, RECEIVED = T0 + 2 * H, T0 + 2 * H + 120

# Sessions with a token, for ordinary API calls.
TOKEN = dict(obtained_at_ms=T0, expires_at_ms=T0 + 6 * H, sek=b64(EK), app_key=b64(K1))
API = {
    "gstn": session("gstn", GSTN_ACCT, GSTN_CFG, access_token="gstn-tok", **TOKEN),
    "gateway_task": session("gateway_task", GSTN_ACCT, GW_CFG, access_token="gw-tok", **TOKEN),
    "nic_einvoice": session("nic_einvoice", NIC_ACCT, NIC_CFG, access_token="nic-tok", **TOKEN),
    "nic_ewaybill": session("nic_ewaybill", EWB_ACCT, EWB_CFG, access_token="ewb-tok", **TOKEN),
    "oauth_client_credentials": session("oauth_client_credentials", "erp-batch",
                                        {"token_url": "https://idp.example/token", "client_id": "erp-batch"},
                                        access_token="cc-tok", obtained_at_ms=T0, expires_at_ms=T0 + H),
    "oauth_authorization_code": session("oauth_authorization_code", "user-1",
                                        {"auth_url": "https://idp.example/authorize", "token_url": "https://idp.example/token",
                                         "redirect_uri": "https://erp.example/cb", "client_id": "erp"},
                                        access_token="code-tok", refresh_token="code-rt", obtained_at_ms=T0, expires_at_ms=T0 + H),
    "whitebit_fast_key": session("whitebit_fast_key", "wb-user", {"client_id": "wb-partner"},
                                 access_token="fast-tok", obtained_at_ms=T0, expires_at_ms=T0 + 4 * H),
}
FAMILY_SESSION = {"gstn": "gstn", "nic_einvoice": "nic_einvoice", "nic_ewaybill": "nic_ewaybill"}

# Sessions waiting for the answer to an authentication request.
AUTH = {
    "otp_request": session("gstn", GSTN_ACCT, GSTN_CFG, pending={"step": "otp_request", "sent_at_ms": SENT, "app_key": b64(K1)}),
    "auth_token": session("gstn", GSTN_ACCT, GSTN_CFG, otp_app_key=b64(K1),
                          pending={"step": "auth_token", "sent_at_ms": SENT, "app_key": b64(K1)}),
    "refresh_token": dict(API["gstn"], pending={"step": "refresh_token", "sent_at_ms": SENT, "app_key": b64(randbytes(R, 32))}),
    "nic_einvoice": session("nic_einvoice", NIC_ACCT, NIC_CFG, pending={"step": "auth", "sent_at_ms": SENT, "app_key": b64(K1)}),
    "nic_ewaybill": session("nic_ewaybill", EWB_ACCT, EWB_CFG, pending={"step": "auth", "sent_at_ms": SENT, "app_key": b64(K1)}),
}


def observe_case(comment, provider, status, body, headers=None, flags=None, call_token=None, s=None):
    """One session_observe case; its expectation from catalogue_rules.observe."""
    s = s or API[provider]
    outcome, err = observe(provider, status, body, headers, RECEIVED)
    out_s = observed_session(s, outcome, err, call_token)
    response = {"status": status, "body": body}
    if headers:
        response["headers"] = headers
    inp = {"session": s, "response": response, "sent_at_ms": SENT, "received_at_ms": RECEIVED}
    if call_token:
        inp["access_token"] = call_token
    if headers and "Date" in headers and "Age" not in headers:
        skew = http_date_ms(headers["Date"]) - (SENT + RECEIVED) // 2
        if abs(skew) <= 24 * H:  # a skew over a day is ignored (core/doc.go)
            out_s = dict(out_s, skew_ms=skew, skew_measured_at_ms=RECEIVED)
    out = {"session": out_s, "outcome": outcome}
    if err:
        out["error"] = err
    t = valid(f"{comment}: {describe(outcome, err)}", inp, out, flags)
    t["op"] = "session_observe"
    return t


def http_date_ms(v):
    from email.utils import parsedate_to_datetime
    return int(parsedate_to_datetime(v).timestamp() * 1000)


def describe(outcome, err):
    if not err:
        return outcome
    s = f"{outcome}, {err['code']}"
    if err.get("provider_code"):
        s += f" ({err['provider_code']})"
    if err.get("retryable"):
        s += f", retryable after {err.get('retry_after_ms', 0)} ms"
    return s


def auth_case(comment, key, codes, message, during_auth, flags=None, body=None, plan_after=False):
    """One session_response case on the session AUTH[key]; its expectation from catalogue_rules.auth_failure."""
    s_in = AUTH[key]
    provider = s_in["provider"]
    family = FAMILY[provider]
    if body is None:
        body = failure_body(family, ",".join(codes) if family == "nic_ewaybill" else (codes[0] if codes else ""), message)
    s_out, err = auth_failure(provider, s_in, codes, message, RECEIVED, during_auth)
    st = [{"op": "session_response", "input": {"session": s_in, "response": {"status": 200, "body": body},
                                               "received_at_ms": RECEIVED},
           "result": "valid", "output": response_output(s_out, err)}]
    what = f"{comment}: {describe(outcome_of(err), err)}"
    if s_out.get("needs_user"):
        what += "; needs_user, never retried"
    elif s_out.get("retry_not_before_ms"):
        what += f"; retry_not_before = received + {s_out['retry_not_before_ms'] - RECEIVED}"
    else:
        what += "; no wait and no person: the failure is counted"
    if s_out.get("rejected"):
        what += "; the token is rejected"
    if plan_after:
        p, why = plan(s_out, RECEIVED)
        st.append({"op": "session_plan", "input": {"session": ref("0.output.session"), "now_ms": RECEIVED},
                   "result": "valid", "output": p})
        what += f"; the plan at received: {p['action']} ({p['reason']})"
    return steps(what, st, flags)


def code_tests():
    tests = []
    for e in CATALOGUE["codes"]:
        fam, code = e["provider"], e["code"]
        label = f"{fam} {code} ({e['meaning']})"
        flags = ["catalogue", e["class"]]
        tests.append(observe_case(f"API call answered {label}, class {e['class']}", FAMILY_SESSION[fam], 200,
                                  failure_body(fam, code, e["meaning"]), flags=flags))
        if fam == "gstn":
            if e.get("during_auth"):
                tests.append(auth_case(f"AUTHTOKEN answered {label}: during_auth class {e['during_auth']}", "auth_token",
                                       [code], e["meaning"], True, ["catalogue", "during_auth", e["during_auth"]]))
                tests.append(auth_case(f"REFRESHTOKEN answered {label}: not an OTP step, class {e['class']}", "refresh_token",
                                       [code], e["meaning"], False, ["catalogue", e["class"]]))
            elif e["class"] != "no_data":
                tests.append(auth_case(f"OTPREQUEST answered {label}, class {e['class']}", "otp_request", [code],
                                       e["meaning"], True, ["catalogue", e["class"]],
                                       plan_after=e["class"] == "stale_certificate"))
        else:
            tests.append(auth_case(f"auth answered {label}, class {e['class']}", fam, [code], e["meaning"], True,
                                   ["catalogue", e["class"]],
                                   plan_after=code in ("1005", "105", "118")))
    # A gateway task session speaks GSTN's codes; a rejected token needs an OTP there too.
    tests.append(observe_case("gateway task API call answered GSTN AUTH4033", "gateway_task", 200,
                              failure_body("gstn", "AUTH4033", "Invalid Session"), flags=["catalogue", "reauthenticate"]))
    tests.append(observe_case("gateway task API call answered GSTN RET11416", "gateway_task", 200,
                              failure_body("gstn", "RET11416", "No Invoices found"), flags=["catalogue", "no_data"]))
    # Codes the catalogue does not list.
    tests.append(observe_case("GSTN API call answered an unknown code", "gstn", 200, failure_body("gstn", "RET99999", "Something"),
                              flags=["catalogue", "unknown"]))
    tests.append(observe_case("e-invoice API call answered an unknown code", "nic_einvoice", 200,
                              failure_body("nic_einvoice", "9999", "Something"), flags=["catalogue", "unknown"]))
    tests.append(observe_case("e-way bill API call answered an unknown code", "nic_ewaybill", 200,
                              failure_body("nic_ewaybill", "999", ""), flags=["catalogue", "unknown"]))
    tests.append(auth_case("AUTHTOKEN answered an unknown GSTN code: backs off", "auth_token", ["AUTH9999"], "Something", True,
                           ["catalogue", "unknown"]))
    tests.append(auth_case("e-invoice auth answered an unknown code: retried with backoff", "nic_einvoice", ["9999"], "Something",
                           True, ["catalogue", "unknown"]))
    tests.append(auth_case("e-way bill auth answered an unknown code: a person looks at it (a wrong password is not "
                           "repeated)", "nic_ewaybill", ["999"], "", True, ["catalogue", "unknown"]))
    return tests


def several_codes_tests():
    """One answer, several codes: the class that asks most of the host wins; among codes of one class, the first."""
    tests = []
    for codes in (["106", "238"], ["118", "105"], ["107", "109"], ["108", "107"], ["999", "118"]):
        tests.append(observe_case(f"e-way bill API call answered errorCodes {','.join(codes)}", "nic_ewaybill", 200,
                                  failure_body("nic_ewaybill", ",".join(codes), ""), flags=["catalogue", "several-codes"]))
        tests.append(auth_case(f"e-way bill auth answered errorCodes {','.join(codes)}", "nic_ewaybill", codes, "", True,
                               ["catalogue", "several-codes"]))
    for codes in (["2150", "1005"], ["1019", "1010"], ["9999", "2150"]):
        body = json.dumps({"Status": 0, "ErrorDetails": [{"ErrorCode": c, "ErrorMessage": "as NIC says it"} for c in codes]})
        tests.append(observe_case(f"e-invoice API call answered ErrorDetails {', '.join(codes)}", "nic_einvoice", 200, body,
                                  flags=["catalogue", "several-codes"]))
    body = json.dumps({"Status": 0, "ErrorDetails": [{"ErrorCode": c, "ErrorMessage": "as NIC says it"} for c in ("1019", "1010")]})
    tests.append(auth_case("e-invoice auth answered ErrorDetails 1019, 1010", "nic_einvoice", ["1019", "1010"],
                           "as NIC says it", True, ["catalogue", "several-codes"], body=body))
    # A code and an outage marker in the message: the marker's class asks more.
    tests.append(observe_case("GSTN API call answered RET2B1023 with GSPGSTDOWN in its message", "gstn", 200,
                              failure_body("gstn", "RET2B1023", "GSPGSTDOWN: GSTN is down"), flags=["catalogue", "marker"]))
    tests.append(observe_case("GSTN API call answered AUTH4033 with GSPERR300 in its message", "gstn", 200,
                              failure_body("gstn", "AUTH4033", "GSPERR300 while calling GSTN"), flags=["catalogue", "marker"]))
    return tests


def marker_tests():
    tests = []
    for m in CATALOGUE["markers"]:
        text = f"GSP error: {m['contains']} (upstream)"
        envelope = json.dumps({"success": False, "message": text})
        tests.append(observe_case(f"GSTN API call through a GSP answered {{success:false}} with '{m['contains']}' in "
                                  f"its message ({m['meaning']})", "gstn", 200, envelope, flags=["catalogue", "marker"]))
        tests.append(auth_case(f"AUTHTOKEN answered with '{m['contains']}' in the error message", "auth_token", [], text, True,
                               ["catalogue", "marker"], body=json.dumps({"status_cd": "0", "error": {"message": text}})))
    m = CATALOGUE["markers"][0]["contains"]
    tests.append(observe_case(f"e-invoice API call whose ErrorMessage holds '{m}'", "nic_einvoice", 200,
                              failure_body("nic_einvoice", "", f"{m}: try later"), flags=["catalogue", "marker"]))
    tests.append(auth_case(f"e-invoice auth whose ErrorMessage holds '{m}'", "nic_einvoice", [], f"{m}: try later", True,
                           ["catalogue", "marker"], body=failure_body("nic_einvoice", "", f"{m}: try later")))
    tests.append(observe_case("GSTN API call through a GSP answered {success:false} without a marker", "gstn", 200,
                              json.dumps({"success": False, "message": "Invalid request"}), flags=["catalogue", "unknown"]))
    return tests


def http_tests():
    tests = []
    html = "<html><body>error</body></html>"
    providers = ["gstn", "gateway_task", "nic_einvoice", "nic_ewaybill", "oauth_client_credentials", "oauth_authorization_code",
                 "whitebit_fast_key"]
    for e in CATALOGUE["http"]:
        statuses = [int(e["status"])] if e["status"] != "5xx" else [500, 502, 503, 599]
        for status in statuses:
            for p in providers:
                tests.append(observe_case(f"{p} API call answered HTTP {status} ({e['meaning'][:60]})", p, status, html,
                                          flags=["catalogue", "http"]))
    # Retry-After beside the catalogue's wait: the longer wins, at most an hour.
    for headers, label in [({"Retry-After": "30"}, "30 s"), ({"Retry-After": "99999999999999999999"}, "too large for an int64"),
                           ({"Date": http_date(T0 + 2 * H), "Retry-After": http_date(T0 + 2 * H + 45 * S)}, "an HTTP-date 45 s after Date")]:
        tests.append(observe_case(f"HTTP 429 with Retry-After {label}", "nic_einvoice", 429, "", headers, ["catalogue", "Retry-After"]))
        tests.append(observe_case(f"OAuth HTTP 503 with Retry-After {label}", "oauth_client_credentials", 503, "", headers,
                                  ["catalogue", "Retry-After"]))
    for ra in ("60", "300"):
        tests.append(observe_case(f"GSTN GEN5005 (a 2-minute wait) with Retry-After {ra}", "gstn", 200,
                                  failure_body("gstn", "GEN5005", "Limit exceeded"), {"Retry-After": ra}, ["catalogue", "Retry-After"]))
    # A body's known code wins over its status; an unknown code under a status the catalogue knows takes its class.
    for p, status, code, msg in [("gstn", 500, "RET11416", "No Invoices found"), ("gstn", 401, "RET11416", "No Invoices found"),
                                 ("nic_einvoice", 503, "1005", "Invalid Token"), ("nic_ewaybill", 401, "118", ""),
                                 ("gstn", 503, "RET2B1023", "GSTR-2B is not generated"),
                                 ("gstn", 503, "RET99999", "Something"), ("gstn", 401, "RET99999", "Something"),
                                 ("nic_einvoice", 429, "9999", "Something"), ("nic_ewaybill", 504, "999", ""),
                                 ("gstn", 400, "RET99999", "Something"), ("nic_einvoice", 404, "9999", "Something"),
                                 ("gateway_task", 401, "RET99999", "Something"), ("gateway_task", 401, "AUTH4033", "Invalid Session")]:
        tests.append(observe_case(f"{p} API call answered {code} under HTTP {status}", p, status,
                                  failure_body(FAMILY[p], code, msg), flags=["catalogue", "http", "precedence"]))
    # Bearer sessions (RFC 6750 §3.1).
    for p in ("oauth_client_credentials", "whitebit_fast_key"):
        tests.append(observe_case(f"{p}: HTTP 400 with WWW-Authenticate error=\"invalid_token\"", p, 400, "",
                                  {"WWW-Authenticate": 'Bearer error="invalid_token"'}, ["catalogue", "rfc6750"]))
        tests.append(observe_case(f"{p}: HTTP 403 insufficient_scope", p, 403, "",
                                  {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}, ["catalogue", "rfc6750"]))
        tests.append(observe_case(f"{p}: HTTP 404", p, 404, '{"error":"not found"}', flags=["catalogue", "rfc6750"]))
    # Answers that are not failures.
    for p, body in [("gstn", json.dumps({"status_cd": "1", "data": "ZGF0YQ==", "rek": "cmVr", "hmac": "aG1hYw=="})),
                    ("gstn", "not JSON at all"), ("nic_einvoice", json.dumps({"Status": 1, "Data": "ZGF0YQ=="})),
                    ("nic_ewaybill", json.dumps({"status": "1", "data": "ZGF0YQ=="})), ("oauth_client_credentials", "{}"),
                    ("gateway_task", json.dumps({"status_cd": 1, "data": {}}))]:
        tests.append(observe_case(f"{p} API call answered a success", p, 200, body, flags=["catalogue", "ok"]))
    # The clock: a Date header measures the skew whatever the outcome; one with an Age header came from a cache.
    tests.append(observe_case("e-invoice 1005 with a Date header 3 s ahead", "nic_einvoice", 200,
                              failure_body("nic_einvoice", "1005", "Invalid Token"), {"Date": http_date(T0 + 2 * H + 3 * S)},
                              ["catalogue", "skew"]))
    # The exchange's midpoint is T0+2h+60 ms; Date headers hold whole seconds.
    for label, date in [("a day less 60 ms ahead of the exchange's midpoint: measured", T0 + 2 * H + 24 * H),
                        ("a day and 940 ms ahead: ignored", T0 + 2 * H + 24 * H + 1000),
                        ("a day less 940 ms behind: measured", T0 + 2 * H - 24 * H + 1000),
                        ("a day and 60 ms behind: ignored", T0 + 2 * H - 24 * H)]:
        tests.append(observe_case(f"a success with a Date header {label}", "nic_einvoice", 200,
                                  json.dumps({"Status": 1, "Data": "ZGF0YQ=="}), {"Date": http_date(date)}, ["catalogue", "skew", "boundary"]))
    tests.append(observe_case("a success with a Date header and an Age header (from a cache): no skew", "nic_einvoice", 200,
                              json.dumps({"Status": 1, "Data": "ZGF0YQ=="}), {"Date": http_date(T0 + 2 * H + 3 * S), "Age": "10"},
                              ["catalogue", "skew"]))
    # access_token: the token the call was made with. A rejection of a token the session no longer holds asks for a
    # replay but leaves the session's newer token alone.
    tests.append(observe_case("e-invoice 1005 for a call made with the session's own token", "nic_einvoice", 200,
                              failure_body("nic_einvoice", "1005", "Invalid Token"), flags=["catalogue", "access_token"],
                              call_token="nic-tok"))
    tests.append(observe_case("e-invoice 1005 for a call made with an older token another caller has replaced",
                              "nic_einvoice", 200, failure_body("nic_einvoice", "1005", "Invalid Token"),
                              flags=["catalogue", "access_token"], call_token="nic-tok-old"))
    tests.append(observe_case("OAuth 401 for a call made with an older token", "oauth_client_credentials", 401, "",
                              flags=["catalogue", "access_token"], call_token="cc-tok-old"))
    # On authentication requests: 429 and 5xx back off (Retry-After honoured); a GSTN 401 rejects.
    for key in ("auth_token", "nic_einvoice", "nic_ewaybill"):
        for status, headers in [(429, {"Retry-After": "120"}), (429, None), (500, None), (503, {"Retry-After": "5"}), (504, None)]:
            tests.append(auth_http_case(key, status, headers))
    tests.append(auth_http_case("refresh_token", 401, None, body="Unauthorized"))
    tests.append(auth_http_case("auth_token", 401, None, body=failure_body("gstn", "AUTH9999", "Unauthorized")))
    return tests


def auth_http_case(key, status, headers, body=""):
    """An HTTP status answering an authentication request: 429 and 5xx wait max(Retry-After, backoff); GSTN's 401
    (with no code the catalogue knows) rejects the token."""
    from catalogue_rules import error_for, http_entry, retry_after
    from lifecycle_rules import backoff
    s_in = AUTH[key]
    provider = s_in["provider"]
    e = http_entry(status)
    s_out = dict(s_in)
    s_out.pop("pending")
    n = s_in.get("failures", 0) + 1
    if status == 401:
        pcode = "AUTH9999" if "AUTH9999" in body else "401"
        err = error_for(provider, "reauthenticate", e, pcode)
        s_out.update(rejected=True, failures=n, retry_not_before_ms=RECEIVED + backoff("", n))
        why = "rejected; renewal needs an OTP; backoff(1)"
    else:
        wait = max(retry_after(headers, RECEIVED), backoff("", n))
        err = error_for(provider, "retry_later", e, str(status), wait)
        s_out.update(failures=n, retry_not_before_ms=RECEIVED + wait)
        why = f"wait max(Retry-After {retry_after(headers, RECEIVED)}, backoff(1) = {backoff('', n)}) = {wait}"
    response = {"status": status, "body": body}
    if headers:
        response["headers"] = headers
    st = [{"op": "session_response", "input": {"session": s_in, "response": response, "received_at_ms": RECEIVED},
           "result": "valid", "output": response_output(s_out, err)}]
    return steps(f"{provider} {s_in['pending']['step']} answered HTTP {status}{' with Retry-After ' + headers['Retry-After'] if headers else ''}: "
                 f"{describe(outcome_of(err), err)}; {why}", st, ["catalogue", "http"])


def catalogue_tests():
    tests = code_tests() + several_codes_tests() + marker_tests() + http_tests()
    check_coverage(tests)
    return tests


def check_coverage(tests):
    """Every class, code, marker and status of the catalogue has a case."""
    text = json.dumps(tests)
    for e in CATALOGUE["codes"]:
        assert f"{e['provider']} {e['code']} (" in text, e
    for m in CATALOGUE["markers"]:
        assert f"'{m['contains']}'" in text, m
    for h in CATALOGUE["http"]:
        assert f"HTTP {h['status'] if h['status'] != '5xx' else '50'}" in text, h
    outcomes = {t["output"]["outcome"] for t in tests if t.get("op") == "session_observe"}
    outcomes |= {t["steps"][0]["output"]["outcome"] for t in tests if "steps" in t}
    for c in list(CATALOGUE["classes"]) + ["ok"]:
        assert c in outcomes, c


def meta_tests():
    version = open(os.path.join(ROOT, "VERSION")).read().strip()
    tests = [valid(f"the VERSION file: {version}", {}, {"version": version})]
    tests[-1]["op"] = "version"
    tests.append(valid("error_catalogue: core/catalogue.json as it is", {}, {"catalogue": CATALOGUE}))
    tests[-1]["op"] = "error_catalogue"
    return tests


def main():
    write("catalogue", None, "The error catalogue (core/catalogue.json): every class, every code on an API call "
          "(session_observe) and on the answer to an authentication request (session_response, during_auth classes), "
          "every outage marker, every HTTP status, several codes in one answer, and which of a code and a status wins.",
          GEN, SOURCES, catalogue_tests())
    write("meta", None, "The table's answers about itself: version (the VERSION file) and error_catalogue "
          "(core/catalogue.json).", "testdata/gen/catalogue_vectors.py: the VERSION file and core/catalogue.json read as "
          "they are, never gstauth's output.", ["VERSION", "core/catalogue.json"], meta_tests())


if __name__ == "__main__":
    main()
