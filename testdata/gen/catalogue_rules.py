"""The error catalogue's rules, written again in Python from core/doc.go ("Failures", "The error catalogue") over the
data file core/catalogue.json, which every layer reads. Nothing here imports or runs gstauth.

Two readings are written out:

- an ordinary API call (session_observe): the catalogue's HTTP statuses and the codes a provider's body carries; a
  body's known code (or outage marker) wins over the status, except that an unknown code under a status the catalogue
  knows takes the status's class; several codes: the class that asks most of the host, the first of a class;
- the answer to an authentication request (session_response): a code's during_auth class where it has one, and what
  each class does to the session (a rejected token, a person to act, a wait, a stale certificate that neither waits
  nor asks for a person).
"""
import base64
import json
import os

from lifecycle_rules import backoff, error

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOGUE_PATH = os.path.join(HERE, "..", "..", "core", "catalogue.json")
CATALOGUE = json.load(open(CATALOGUE_PATH))

# The class that asks most of the host wins (core/doc.go).
PRIORITY = ["reauthenticate", "stale_certificate", "configuration", "user_action", "retry_later", "provider_error", "no_data"]

# The error code of each class (core/doc.go's table), unless the entry names one.
CLASS_CODE = {"reauthenticate": "reauth_required", "user_action": "user_action_required", "configuration": "config_invalid",
              "retry_later": "provider_error", "stale_certificate": "certificate_stale", "provider_error": "provider_error",
              "no_data": "provider_error"}

# The catalogue's families: a gateway's task API speaks GSTN's codes.
FAMILY = {"gstn": "gstn", "gateway_task": "gstn", "nic_einvoice": "nic_einvoice", "nic_ewaybill": "nic_ewaybill"}

# Sessions whose renewal needs an OTP: a rejected token is user_action_required there (core/doc.go).
OTP_RENEWAL = ("gstn", "gateway_task")

MAX_RETRY_AFTER = 3600 * 1000


def code_entry(family, code):
    for e in CATALOGUE["codes"]:
        if e["provider"] == family and e["code"] == code:
            return e
    return None


def http_entry(status):
    for e in CATALOGUE["http"]:
        if e["status"] == str(status):
            return e
    if 500 <= status <= 599:
        for e in CATALOGUE["http"]:
            if e["status"] == "5xx":
                return e
    return None


def classify_codes(family, codes, message, during_auth):
    """(class, entry or None, provider code): the catalogue's reading of a failure's codes and message."""
    found = []
    for c in codes:
        e = code_entry(family, c)
        if e:
            found.append(((e.get("during_auth") if during_auth else None) or e["class"], e, c))
    for m in CATALOGUE["markers"]:
        if message and m["contains"] in message:
            found.append((m["class"], m, m["contains"]))
    if not found:
        return "provider_error", None, codes[0] if codes else ""
    best = found[0]
    for f in found[1:]:
        if PRIORITY.index(f[0]) < PRIORITY.index(best[0]):
            best = f
    return best


def retry_after(headers, now_ms):
    """Retry-After as seconds or an HTTP-date (relative to Date), capped at an hour; absent or unusable: 0."""
    from email.utils import parsedate_to_datetime
    v = (headers or {}).get("Retry-After", "").strip()
    if not v:
        return 0
    if v.isdigit():
        return min(int(v) * 1000, MAX_RETRY_AFTER)
    try:
        at = int(parsedate_to_datetime(v).timestamp() * 1000)
    except Exception:
        return 0
    ref = now_ms
    if "Date" in (headers or {}):
        ref = int(parsedate_to_datetime(headers["Date"]).timestamp() * 1000)
    return max(0, min(at - ref, MAX_RETRY_AFTER))


def error_for(provider, cls, entry, provider_code, wait=0):
    """The error of a classified failure: the entry's code or its class's; a rejected token of a session whose renewal
    needs an OTP is user_action_required; retry_later is retryable after the wait."""
    code = (entry or {}).get("error") or CLASS_CODE[cls]
    if cls == "reauthenticate" and provider in OTP_RENEWAL:
        code = "user_action_required"
    if cls == "retry_later":
        return error(code, provider_code, wait, True)
    return error(code, provider_code)


# ---------------------------------------------------------------- ordinary API calls

def body_failure(family, body):
    """(failed, codes, message) of a GST service's answer: GSTN {status_cd:"0", error:{error_cd, message}} or a GSP's
    {success:false, message}; NIC {Status:0, ErrorDetails:[{ErrorCode, ErrorMessage}]}; e-way bill {status:"0",
    error: b64(json {errorCodes})}."""
    try:
        b = json.loads(body)
    except ValueError:
        return False, [], ""
    if not isinstance(b, dict):
        return False, [], ""
    if family == "gstn":
        if isinstance(b.get("error"), dict):
            cd = str(b["error"].get("error_cd") or "")
            return True, [cd] if cd else [], b["error"].get("message", "")
        if str(b.get("status_cd")) == "0" or b.get("success") is False:
            return True, [], b.get("message", "")
        return False, [], ""
    if family == "nic_einvoice":
        st = b.get("Status")
        if str(st) == "1" or (st is None and "ErrorDetails" not in b):
            return False, [], ""
        details = b.get("ErrorDetails") or []
        codes = [str(d["ErrorCode"]) for d in details if d.get("ErrorCode") not in (None, "")]
        msg = next((d.get("ErrorMessage", "") for d in details), "")
        return True, codes, msg
    st = b.get("status")
    if str(st) == "1" or (st is None and b.get("error") is None):
        return False, [], ""
    err = b.get("error")
    if isinstance(err, str):
        err = json.loads(base64.b64decode(err))
    codes = [c.strip() for c in str(err.get("errorCodes", "")).split(",") if c.strip()] if isinstance(err, dict) else []
    return True, codes, ""


def observe(provider, status, body, headers=None, now_ms=0):
    """(outcome, error or None) of an ordinary API call's answer."""
    family = FAMILY.get(provider)
    if family is None:
        return observe_bearer(provider, status, headers, now_ms)
    own_401 = provider != "gateway_task"  # a gateway's 401 is about its own token
    failed, codes, message = body_failure(family, body)
    status_entry = http_entry(status)
    if status == 401 and not own_401:
        status_entry = None
    if failed:
        cls, entry, pcode = classify_codes(family, codes, message, False)
        if entry is not None or status_entry is None:
            return result(provider, cls, entry, pcode, headers, now_ms)
    if status_entry is not None:
        return result(provider, status_entry["class"], status_entry, str(status), headers, now_ms)
    if failed or status >= 400:
        return "provider_error", error("provider_error", codes[0] if codes else str(status))
    return "ok", None


def observe_bearer(provider, status, headers, now_ms):
    """RFC 6750 §3.1: 401 or error="invalid_token" is a dead token; 403 insufficient_scope is not; the catalogue's
    statuses; any other 4xx is the resource server's own answer."""
    if 'error="invalid_token"' in (headers or {}).get("WWW-Authenticate", ""):
        return result(provider, "reauthenticate", http_entry(401), "invalid_token", headers, now_ms)
    e = http_entry(status)
    if e:
        return result(provider, e["class"], e, str(status), headers, now_ms)
    if status >= 400:
        return "provider_error", error("provider_error", str(status))
    return "ok", None


def result(provider, cls, entry, pcode, headers, now_ms):
    if cls == "no_data":
        return "no_data", None
    wait = 0
    if cls == "retry_later":
        wait = max((entry or {}).get("retry_after_ms", 0), retry_after(headers, now_ms))
    return cls, error_for(provider, cls, entry, pcode, wait)


def observed_session(s, outcome, err, call_token=None):
    """What session_observe leaves in the session: a reauthenticate outcome for the session's own token (or a call
    that names none) marks it rejected and keeps the error as last_error."""
    s = dict(s)
    if outcome == "reauthenticate" and (not call_token or call_token == s.get("access_token", "")):
        s["rejected"] = True
        s["last_error"] = dict(err)
    return s


# ---------------------------------------------------------------- answers to authentication requests

def auth_failure(provider, session_in, codes, message, received, during_auth):
    """The session after a failed authentication answer carrying codes, and the error, by the catalogue's class
    (during_auth where given) and core/doc.go's failure rules: reauthenticate rejects the token and backs off;
    user_action and configuration ask for a person (needs_user, never retried); retry_later waits max(the catalogue's
    wait, the backoff); stale_certificate neither waits nor asks (the failure is counted); anything else backs off.
    An unknown e-invoice code is retried with backoff; an unknown e-way bill code stops for a person."""
    from lifecycle_rules import TEXT
    family = FAMILY[provider]
    cls, entry, pcode = classify_codes(family, codes, message, during_auth)
    if entry is None and family == "nic_einvoice":
        cls = "retry_later"
    if entry is None and family == "nic_ewaybill":
        cls = "user_action"
    s = dict(session_in)
    s.pop("pending", None)
    seed = s.get("config", {}).get("jitter_seed", "")
    n = s.get("failures", 0) + 1
    if cls == "retry_later":
        wait = max((entry or {}).get("retry_after_ms", 0), backoff(seed, n))
        err = error_for(provider, cls, entry, pcode, wait)
        s.update(failures=n, retry_not_before_ms=received + wait)
    elif cls in ("user_action", "configuration"):
        err = error_for(provider, cls, entry, pcode)
        s["needs_user"] = TEXT
    elif cls == "stale_certificate":
        err = error_for(provider, cls, entry, pcode)
        s["failures"] = n
    else:
        err = error_for(provider, cls, entry, pcode)
        if cls == "reauthenticate":
            s["rejected"] = True
        s.update(failures=n, retry_not_before_ms=received + backoff(seed, n))
    return s, err


def failure_body(family, code, message):
    """A failed answer of a family carrying one code (or none) and a message."""
    if family == "gstn":
        e = {"message": message}
        if code:
            e["error_cd"] = code
        return json.dumps({"status_cd": "0", "error": e})
    if family == "nic_einvoice":
        d = {"ErrorMessage": message}
        if code:
            d = {"ErrorCode": code, **d}
        return json.dumps({"Status": 0, "ErrorDetails": [d]})
    return json.dumps({"status": "0", "error": base64.b64encode(json.dumps({"errorCodes": code + ","}).encode()).decode()})
