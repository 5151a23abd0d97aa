"""The end-to-end flows of gstauth's demo and tests, over real HTTP.

Each flow drives the Python binding against the local GST emulator (`gstauth sandbox`) or the oidc-provider OAuth
server, prints each step through `say`, and returns the facts that must not depend on the backend (statuses, plan
actions, decrypted fields, verification results), so the demo and the tests can show that the shared library and the
plugin behave identically. API calls go through `session.request` or the httpx `Transport`: the binding attaches the
headers, encrypts and decrypts the payloads and re-authenticates, so a flow only writes the provider's own payloads.
"""
import json
import os
import time
from typing import Any, Callable, Dict

import httpx

import gstauth
from gstauth.http import httpx as gx

GSTIN = "27AAACR5055K1Z7"
OTP = "575757"
CLIENT_ID, CLIENT_SECRET = "sandbox-client", "sandbox-secret"
USER, PASSWORD = "sandbox_user", "sandbox-password"

Say = Callable[[str], None]


class ShiftedClock:
    """The host clock plus an offset: the core takes `now` as a parameter, so a flow can ask the planner about a
    later instant (the refresh margin) without waiting for it. The servers keep their real clocks."""

    def __init__(self) -> None:
        self.offset = 0

    def __call__(self) -> int:
        return int(time.time() * 1000) + self.offset


def cert(http: httpx.Client, base: str, name: str) -> str:
    r = http.get(f"{base}/_sandbox/certs/{name}.pem")
    r.raise_for_status()
    return r.text


def fresh_gstin(state: str = "29") -> str:
    """A GSTIN of its own for one run: the emulator counts and rate-limits logins per GSTIN and user."""
    return state + os.urandom(8).hex().upper()[:13]


def hhmmss(ms: int) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ms / 1000))


def gstn_session(base: str, backend: str, http: httpx.Client, **kw: Any) -> gstauth.GstnSession:
    return gstauth.GstnSession(
        f"{GSTIN}/{USER}",
        {"base_url": f"{base}/taxpayerapi/v1.0", "client_id": CLIENT_ID, "gstin": GSTIN, "username": USER,
         "ip_usr": "10.0.0.1", "access_window_ms": 30 * 24 * 3600 * 1000},
        credentials={"client_secret": CLIENT_SECRET, "public_key": cert(http, base, "gstn")},
        send=gx.sender(http), backend=backend, **kw)


def einvoice_session(base: str, backend: str, http: httpx.Client, gstin: str = GSTIN) -> gstauth.EInvoiceSession:
    return gstauth.EInvoiceSession(
        f"{gstin}/{USER}", {"base_url": base, "client_id": CLIENT_ID, "gstin": gstin, "username": USER},
        credentials={"client_secret": CLIENT_SECRET, "password": PASSWORD, "public_key": cert(http, base, "nic")},
        send=gx.sender(http), backend=backend)


def invoice(gstin: str, doc_no: str) -> Dict[str, Any]:
    return {"Version": "1.1", "TranDtls": {"TaxSch": "GST", "SupTyp": "B2B"},
            "DocDtls": {"Typ": "INV", "No": doc_no, "Dt": "01/04/2026"},
            "SellerDtls": {"Gstin": gstin, "LglNm": "Demo Seller", "Addr1": "Mumbai", "Loc": "Mumbai", "Pin": 400001,
                           "Stcd": gstin[:2]},
            "BuyerDtls": {"Gstin": "29AABCU9603R1ZJ", "LglNm": "Demo Buyer", "Pos": "29", "Addr1": "Bengaluru",
                          "Loc": "Bengaluru", "Pin": 560001, "Stcd": "29"},
            "ItemList": [{"SlNo": "1", "IsServc": "N", "HsnCd": "1001", "Qty": 1, "Unit": "NOS", "UnitPrice": 100000,
                          "TotAmt": 100000, "AssAmt": 100000, "GstRt": 18, "IgstAmt": 18000, "TotItemVal": 118000}],
            "ValDtls": {"AssVal": 100000, "IgstVal": 18000, "TotInvVal": 118000}}


def gstn_flow(base: str, backend: str, say: Say, http: httpx.Client) -> Dict[str, Any]:
    facts: Dict[str, Any] = {}
    clock = ShiftedClock()
    gst = gstn_session(base, backend, http, clock=clock)
    p = gst.plan()
    facts["plan_before_otp"] = p["action"]
    say(f"GSTN   plan with no token: {p['action']} ({p['message']})")
    gst.request_otp()
    say("GSTN   OTPREQUEST sent (app key RSA-encrypted to the GSTN certificate)")
    gst.authenticate(OTP)
    p = gst.plan()
    facts["plan_after_otp"] = p["action"]
    say(f"GSTN   AUTHTOKEN with the OTP: token received, SEK decrypted; plan {p['action']}, refresh at "
        f"{hhmmss(p['refresh_at_ms'])}")

    tag = f"{backend.upper()}/{int(time.time() * 1000) % 10**9}"
    gstr1 = {"gstin": GSTIN, "fp": "042026", "b2b": [{"ctin": "29AABCU9603R1ZJ", "inv": [
        {"inum": tag, "idt": "01-04-2026", "val": 118000, "pos": "29", "rchrg": "N",
         "itms": [{"num": 1, "itm_det": {"rt": 18, "txval": 100000, "iamt": 18000, "csamt": 0}}]}]}]}
    url = f"{base}/taxpayerapi/v1.0/returns/gstr1"
    r = gst.request("POST", url, body=json.dumps({"action": "RETSAVE", "data": gstr1}), ret_period="042026")
    saved = json.loads(r.body)["data"]
    facts["retsave"] = (r.observation.outcome if r.observation else None, saved["status"])
    say(f"GSTN   RETSAVE through session.request: payload encrypted (data + hmac), answer decrypted and its HMAC "
        f"verified: {saved}")

    with httpx.Client(transport=gx.Transport(gst), timeout=30) as api:
        r2 = api.get(url, params={"action": "RETSUM", "gstin": GSTIN, "ret_period": "042026"},
                     extensions={"gstauth": {"ret_period": "042026"}})
    summary = r2.json()["data"]
    facts["retsum_has_our_invoice"] = any(tag in json.dumps(x) for x in summary["payloads"])
    say(f"GSTN   RETSUM through the httpx Transport (an encrypted GET): {summary['saved']} saved payload(s)")

    token = gst.access_token
    clock.offset = gst.state["expires_at_ms"] - 5 * 60 * 1000 - int(time.time() * 1000)
    p = gst.plan()
    facts["plan_5min_before_expiry"] = p["action"]
    say(f"GSTN   5 minutes before expiry the planner says: {p['action']} ({p['reason']})")
    gst.ensure()
    facts["refreshed_without_otp"] = gst.access_token != token and gst.plan()["action"] == "use"
    say(f"GSTN   REFRESHTOKEN (new app key under the current SEK): new token, no OTP asked; plan {gst.plan()['action']}")
    r = gst.request("POST", url, body=json.dumps({"action": "RETSAVE", "data": gstr1}), ret_period="042026")
    facts["retsave_after_refresh"] = json.loads(r.body)["data"]["status"]
    say(f"GSTN   RETSAVE with the refreshed token and session key: {facts['retsave_after_refresh']}")
    clock.offset = 0
    gst.logout()
    facts["after_logout"] = gst.plan()["action"]
    say(f"GSTN   LOGOUT: session cleared; plan {gst.plan()['action']}")
    return facts


def einvoice_flow(base: str, backend: str, say: Say, http: httpx.Client) -> Dict[str, Any]:
    facts: Dict[str, Any] = {}
    einv = einvoice_session(base, backend, http)
    with httpx.Client(transport=gx.Transport(einv), timeout=30) as api:
        doc_no = f"{backend.upper()}/{int(time.time() * 1000) % 10**9}"
        r = api.post(f"{base}/eicore/v1.03/Invoice", json={"Data": invoice(GSTIN, doc_no)})
    facts["auth"] = einv.plan()["action"]
    say(f"NIC    e-invoice auth on first use (TokenExpiry read as IST → {hhmmss(einv.state['expires_at_ms'])} here), "
        "SEK decrypted")
    irn = r.json()["Data"]
    say(f"NIC    Generate IRN through the httpx Transport: {irn['Irn'][:16]}… AckNo {irn['AckNo']}")
    certs = [cert(http, base, "signing")]
    inv = gstauth.verify_signed_jwt(jwt=irn["SignedInvoice"], certificates=certs, now_ms=int(time.time() * 1000),
                                    backend=backend)
    qr = gstauth.verify_signed_jwt(jwt=irn["SignedQRCode"], certificates=certs, backend=backend)
    facts["signed_invoice_verified"] = inv.data["Irn"] == irn["Irn"] and inv.data["DocDtls"]["No"] == doc_no
    facts["signed_qr_verified"] = qr.data["Irn"] == irn["Irn"] and qr.data["TotInvVal"] == 118000
    facts["jwt_alg"] = inv.header["alg"]
    say(f"NIC    SignedInvoice verified (RS256, kid {inv.header['kid'][:12]}…, iss {inv.claims['iss']}); "
        f"SignedQRCode verified: DocNo {qr.data['DocNo']}, TotInvVal {qr.data['TotInvVal']}")
    sig = irn["SignedQRCode"]
    tampered = sig[:-4] + ("AAAA" if not sig.endswith("AAAA") else "BBBB")
    try:
        gstauth.verify_signed_jwt(jwt=tampered, certificates=certs, backend=backend)
        facts["tampered_qr"] = "accepted"
    except gstauth.SignatureInvalid as e:
        facts["tampered_qr"] = e.code
    say(f"NIC    a SignedQRCode with a changed signature: {facts['tampered_qr']}")
    return facts


def ewaybill_flow(base: str, backend: str, say: Say, http: httpx.Client) -> Dict[str, Any]:
    facts: Dict[str, Any] = {}
    gstin = fresh_gstin()
    ewb = gstauth.EWayBillSession(
        f"{gstin}/{USER}", {"base_url": base, "client_id": CLIENT_ID, "gstin": gstin, "username": USER},
        credentials={"client_secret": CLIENT_SECRET, "password": PASSWORD, "public_key": cert(http, base, "nic")},
        send=gx.sender(http), backend=backend)
    bill = {"supplyType": "O", "subSupplyType": "1", "docType": "INV", "docNo": f"{backend.upper()}/1",
            "docDate": "01/04/2026", "fromGstin": gstin, "toGstin": GSTIN, "totInvValue": 118000, "transMode": "1",
            "transDistance": "980"}
    r = ewb.request("POST", f"{base}/ewayapi/", body=json.dumps({"action": "GENEWAYBILL", "data": bill}))
    made = json.loads(r.body)["data"]
    facts["auth"] = ewb.plan()["action"]
    facts["generated"] = r.observation is not None and r.observation.outcome == "ok" and made["ewayBillNo"] > 0
    say(f"EWB    ACCESSTOKEN on first use, then GENEWAYBILL through session.request: e-way bill {made['ewayBillNo']}")
    r = ewb.request("GET", f"{base}/ewayapi/GetEwayBill?ewbNo={made['ewayBillNo']}")
    got = json.loads(r.body)["data"]
    facts["fetched"] = (str(got["ewbNo"]) == str(made["ewayBillNo"]), got["status"])
    say(f"EWB    GetEwayBill (answered under a REK, its HMAC verified): status {got['status']}")
    return facts


def oauth_flow(base: str, backend: str, say: Say, http: httpx.Client) -> Dict[str, Any]:
    facts: Dict[str, Any] = {}
    clock = ShiftedClock()
    oauth = gstauth.OAuthClientCredentialsSession(
        "gstauth-e2e-cc-opaque", {"token_url": f"{base}/token", "client_id": "gstauth-e2e-cc-opaque",
                                  "scope": "gstn-india"},
        credentials={"client_secret": "test-only-cc-opaque-secret"}, send=gx.sender(http), backend=backend,
        clock=clock)
    first = oauth.ensure()
    lifetime = (oauth.state["expires_at_ms"] - oauth.state["obtained_at_ms"]) // 1000
    facts["grant"] = oauth.plan()["action"]

    def active(tok: str) -> bool:
        r = http.post(f"{base}/token/introspection", data={"token": tok},
                      auth=("gstauth-e2e-introspector", "test-only-introspector-secret"))
        return bool(r.json().get("active"))

    facts["token_active"] = active(first)
    say(f"OAuth  client credentials at oidc-provider: token for {lifetime} s; introspection says "
        f"active={facts['token_active']}")
    p = oauth.plan(at_ms=oauth.state["expires_at_ms"] - 1000 * max(1, lifetime // 4))
    facts["plan_at_margin"] = p["action"]
    clock.offset = p["refresh_at_ms"] - int(time.time() * 1000)
    say(f"OAuth  at the refresh margin (clamped to a quarter of a {lifetime} s token) the planner says: "
        f"{oauth.plan()['action']}")
    second = oauth.ensure()
    facts["refreshed"] = second != first and active(second)
    say(f"OAuth  refreshed through the planner: new token, active={active(second)}; plan {oauth.plan()['action']}")

    bad = gstauth.OAuthClientCredentialsSession(
        "gstauth-e2e-cc-basic", {"token_url": f"{base}/token", "client_id": "gstauth-e2e-cc-basic"},
        credentials={"client_secret": "wrong"}, send=gx.sender(http), backend=backend)
    try:
        bad.ensure()
        facts["wrong_secret"] = "accepted"
    except gstauth.GstAuthError as e:
        facts["wrong_secret"] = f"{e.code}/{e.provider_code}"
    say(f"OAuth  a wrong client secret: {facts['wrong_secret']} (terminal, not retried; plan {bad.plan()['action']})")
    return facts


def byte_identity(backend: str) -> Dict[str, Any]:
    """Deterministic outputs for a fixed key: the same bytes on every backend."""
    key = bytes(range(32))
    r = gstauth.gstn_encrypt_request(sek=key, payload={"gstin": GSTIN, "fp": "042026"}, backend=backend)
    return {"gstn_request": (r.data, r.hmac),
            "nic_request": gstauth.nic_encrypt_request(sek=key, payload='{"DocNo":"1"}', backend=backend).data,
            "pkce": gstauth.pkce_s256(verifier="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", backend=backend).challenge,
            "ist": gstauth.nic_token_expiry(token_expiry="2026-04-01 17:30:00", backend=backend).expires_at_ms}


def run_all(sandbox: str, oauth: str, backend: str, say: Say) -> Dict[str, Any]:
    with httpx.Client(timeout=30) as http:
        return {"gstn": gstn_flow(sandbox, backend, say, http),
                "einvoice": einvoice_flow(sandbox, backend, say, http),
                "ewaybill": ewaybill_flow(sandbox, backend, say, http),
                "oauth": oauth_flow(oauth, backend, say, http),
                "bytes": byte_identity(backend)}
