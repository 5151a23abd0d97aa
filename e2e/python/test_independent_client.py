"""The emulator accepts a client written from the public documents alone (independent_client.py: the standard library
and `cryptography`, no gstauth), and counts what it did per session (GET /_sandbox/stats).

`make test-e2e-python` starts the emulator and passes its URL. These tests use their own GSTIN, in another state than
the gstauth tests', so their sessions and counts are their own; counts are compared before and after each step.
"""
import ast
import base64
import json
import os
import secrets
import sys
import urllib.request

import pytest

import independent_client as ic

SANDBOX = os.environ.get("GSTAUTH_SANDBOX_URL")
if not SANDBOX:
    pytest.fail("run through `make test-e2e-python`, which starts the emulator", pytrace=False)

GSTIN = "29AABCU9603R1ZJ"  # Karnataka: state-cd 29
USER, PASSWORD, OTP = "sandbox_user", "sandbox-password", "575757"
CLIENT_ID, CLIENT_SECRET = "sandbox-client", "sandbox-secret"


def stats(session: str) -> dict:
    with urllib.request.urlopen(f"{SANDBOX}/_sandbox/stats", timeout=30) as resp:
        body = json.loads(resp.read())
    for s in body["sessions"]:
        if s["session"] == session:
            return s
    return {"otp_requests": 0, "auth_requests": 0, "reauth_requests": 0, "refresh_requests": 0,
            "expired_token_requests": 0, "gstin": ""}


def delta(before: dict, after: dict) -> dict:
    return {k: after[k] - before[k] for k in ("otp_requests", "auth_requests", "reauth_requests", "refresh_requests",
                                               "expired_token_requests")}


def test_the_client_uses_no_gstauth_code():
    """independent_client.py imports only the standard library and `cryptography`."""
    path = os.path.join(os.path.dirname(__file__), "independent_client.py")
    tree = ast.parse(open(path).read())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add(node.module.split(".")[0])
    outside = {r for r in roots if r != "cryptography" and r not in sys.stdlib_module_names}
    assert outside == set() and "gstauth" not in roots, outside


def test_gstn_with_the_five_documented_headers():
    session = f"gstn/{GSTIN[:2]}/{USER}"
    before = stats(session)
    gst = ic.GstnClient(SANDBOX, GSTIN, USER, CLIENT_ID, CLIENT_SECRET)
    assert sorted(gst.headers()) == ["client-secret", "clientid", "ip-usr", "state-cd", "txn"]
    assert gst.request_otp() == {"status_cd": "1"}
    r = gst.auth_token_with_otp(OTP)
    assert r["status_cd"] == "1" and isinstance(r["expiry"], int) and len(gst.ek) == 32
    saved = gst.retsave({"gstin": GSTIN, "fp": "042026", "b2b": [{"ctin": "27AAACR5055K1Z7", "inv": [
        {"inum": "IND/0001", "idt": "01-04-2026", "val": 118000, "pos": "27", "rchrg": "N"}]}]}, "042026")
    assert saved["status"] == "saved" and saved["ret_period"] == "042026"
    after = stats(session)
    assert delta(before, after)["otp_requests"] == 1 and delta(before, after)["auth_requests"] == 1
    assert after["gstin"] == GSTIN  # named by the returns call, since the login sent no gstin header

    # A second AUTHTOKEN while the token lives is a re-authentication; a wrong OTP is GSTN's AUTH4033.
    again = ic.GstnClient(SANDBOX, GSTIN, USER, CLIENT_ID, CLIENT_SECRET)
    again.request_otp()
    with pytest.raises(ic.ProviderError) as e:
        again.auth_token_with_otp("000000")
    assert e.value.code == "AUTH4033" and e.value.body["status_cd"] == "0"
    assert delta(after, stats(session)) == {"otp_requests": 1, "auth_requests": 1, "reauth_requests": 1,
                                            "refresh_requests": 0, "expired_token_requests": 0}


def test_einvoice_auth_and_generate_irn():
    session = f"einvoice/{CLIENT_ID}/{GSTIN}/{USER}"
    before = stats(session)
    einv = ic.EInvoiceClient(SANDBOX, GSTIN, USER, PASSWORD, CLIENT_ID, CLIENT_SECRET)
    r = einv.auth()
    assert r["Status"] == 1 and len(einv.sek) == 32
    doc_no = f"IND/{secrets.randbelow(10**9)}"
    invoice = {"Version": "1.1", "TranDtls": {"TaxSch": "GST", "SupTyp": "B2B"},
               "DocDtls": {"Typ": "INV", "No": doc_no, "Dt": "01/04/2026"},
               "SellerDtls": {"Gstin": GSTIN, "LglNm": "Independent Seller", "Addr1": "Bengaluru", "Loc": "Bengaluru",
                              "Pin": 560001, "Stcd": "29"},
               "BuyerDtls": {"Gstin": "27AAACR5055K1Z7", "LglNm": "Buyer", "Pos": "27", "Addr1": "Mumbai", "Loc": "Mumbai",
                             "Pin": 400001, "Stcd": "27"},
               "ItemList": [{"SlNo": "1", "IsServc": "N", "HsnCd": "1001", "Qty": 1, "Unit": "NOS", "UnitPrice": 100000,
                             "TotAmt": 100000, "AssAmt": 100000, "GstRt": 18, "IgstAmt": 18000, "TotItemVal": 118000}],
               "ValDtls": {"AssVal": 100000, "IgstVal": 18000, "TotInvVal": 118000}}
    answer, irn = einv.generate_irn(invoice)
    assert answer["Status"] == 1 and len(irn["Irn"]) == 64 and irn["AckNo"] > 0
    claims = ic.verify_rs256(irn["SignedInvoice"], ic.certificate(SANDBOX, "signing"))
    assert json.loads(claims["data"])["Irn"] == irn["Irn"] and json.loads(claims["data"])["DocDtls"]["No"] == doc_no
    assert delta(before, stats(session))["auth_requests"] == 1


def test_ewaybill_with_a_24_byte_app_key():
    session = f"ewaybill/{CLIENT_ID}/{GSTIN}/{USER}"
    before = stats(session)
    ewb = ic.EWayBillClient(SANDBOX, GSTIN, USER, PASSWORD, CLIENT_ID, CLIENT_SECRET)
    r = ewb.auth()
    assert r["status"] == "1"
    assert len(ewb.app_key) == 32 and len(base64.b64decode(ewb.app_key)) == 24  # AES-192, as india-compliance
    answer, bill = ewb.generate({"supplyType": "O", "subSupplyType": "1", "docType": "INV", "docNo": "IND/1",
                                 "docDate": "01/04/2026", "fromGstin": GSTIN, "toGstin": "27AAACR5055K1Z7",
                                 "totInvValue": 118000, "transMode": "1", "transDistance": "980"})
    assert answer["status"] == "1" and bill["ewayBillNo"] > 0
    after = stats(session)
    assert delta(before, after)["auth_requests"] == 1 and after["gstin"] == GSTIN

    # A token that is not the session's: 238, Invalid auth token.
    ewb.auth_token = "not-a-token"
    with pytest.raises(ic.ProviderError) as e:
        ewb.generate({"docNo": "IND/2"})
    assert e.value.code == "238" and e.value.body["status"] == "0"
