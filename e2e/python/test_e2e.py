"""End to end over real HTTP: the Python binding (both backends) against the GST emulator and oidc-provider.

`make test-e2e-python` starts both servers and passes their URLs. These tests fail if the client or the emulator
gets any byte of the protocol wrong: the emulator checks every header, key, MAC and plaintext convention.
"""
import base64
import json
import os
import subprocess
import sys

import httpx
import pytest

import gstauth
from gstauth.http import httpx as gx

import flows

SANDBOX = os.environ.get("GSTAUTH_SANDBOX_URL")
OAUTH = os.environ.get("GSTAUTH_OAUTH_URL")
if not SANDBOX or not OAUTH:
    pytest.fail("run through `make test-e2e-python`, which starts the servers", pytrace=False)

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python", "examples")


@pytest.fixture(params=["cshared", "wasm"])
def backend(request):
    return request.param


@pytest.fixture
def http():
    with httpx.Client(timeout=30) as c:
        yield c
    httpx.delete(f"{SANDBOX}/_sandbox/faults")


def quiet(_):
    pass


def fault(http, *faults):
    r = http.post(f"{SANDBOX}/_sandbox/faults", json={"faults": list(faults)})
    r.raise_for_status()


def stats(http, session):
    for s in http.get(f"{SANDBOX}/_sandbox/stats").json()["sessions"]:
        if s["session"] == session:
            return s
    return None


class Counting(httpx.BaseTransport):
    """The real transport, counting requests by path."""

    def __init__(self):
        self.inner = httpx.HTTPTransport()
        self.paths = []

    def handle_request(self, request):
        self.paths.append(request.url.path)
        return self.inner.handle_request(request)

    def count(self, prefix):
        return sum(p.startswith(prefix) for p in self.paths)


def test_gstn(backend, http):
    f = flows.gstn_flow(SANDBOX, backend, quiet, http)
    assert f == {"plan_before_otp": "user_action", "plan_after_otp": "use", "retsave": ("ok", "saved"),
                 "retsum_has_our_invoice": True, "plan_5min_before_expiry": "refresh", "refreshed_without_otp": True,
                 "retsave_after_refresh": "saved", "after_logout": "user_action"}


def test_einvoice(backend, http):
    f = flows.einvoice_flow(SANDBOX, backend, quiet, http)
    assert f == {"auth": "use", "signed_invoice_verified": True, "signed_qr_verified": True, "jwt_alg": "RS256",
                 "tampered_qr": "signature_invalid"}


def test_ewaybill(backend, http):
    f = flows.ewaybill_flow(SANDBOX, backend, quiet, http)
    assert f == {"auth": "use", "generated": True, "fetched": (True, "ACT")}


def test_oauth(backend, http):
    f = flows.oauth_flow(OAUTH, backend, quiet, http)
    assert f == {"grant": "use", "token_active": True, "plan_at_margin": "refresh", "refreshed": True,
                 "wrong_secret": "user_action_required/invalid_client"}


def test_backends_agree():
    with httpx.Client(timeout=30) as http:
        a = flows.run_all(SANDBOX, OAUTH, "cshared", quiet)
        b = flows.run_all(SANDBOX, OAUTH, "wasm", quiet)
    assert a == b


def test_rejected_token_one_reauthentication_one_replay(backend, http):
    """The emulator answers one Generate IRN with NIC's dead-token error (1005): the Transport logs in once more and
    replays the call once, and the application sees the IRN. Two such answers in a row: one replay, never two, and the
    application sees the error."""
    gstin = flows.fresh_gstin("27")
    einv = flows.einvoice_session(SANDBOX, backend, http, gstin)
    counting = Counting()
    url = f"{SANDBOX}/eicore/v1.03/Invoice"
    with httpx.Client(transport=gx.Transport(einv, counting), timeout=30) as api:
        assert api.post(url, json={"Data": flows.invoice(gstin, "RJ/1")}).json()["Data"]["Irn"]
        assert (counting.count("/eivital"), counting.count("/eicore")) == (1, 1)
        fault(http, {"kind": "invalid_token", "path_prefix": "/eicore"})
        r = api.post(url, json={"Data": flows.invoice(gstin, "RJ/2")})
        assert r.status_code == 200 and r.json()["Data"]["Irn"], "the replay's answer, decrypted"
        assert (counting.count("/eivital"), counting.count("/eicore")) == (2, 3), "one login, one replay"
        assert einv.access_token and einv.plan()["action"] == "use"
        s = stats(http, f"einvoice/{flows.CLIENT_ID}/{gstin}/{flows.USER}")
        assert s["auth_requests"] == 2 and s["reauth_requests"] == 1, s

        fault(http, {"kind": "invalid_token", "path_prefix": "/eicore", "count": 2})
        r = api.post(url, json={"Data": flows.invoice(gstin, "RJ/3")})
        body = r.json()
        assert body["Status"] == 0 and body["ErrorDetails"][0]["ErrorCode"] == "1005", "the error, as it came"
        assert (counting.count("/eivital"), counting.count("/eicore")) == (3, 5), "one replay, never two"


def test_rejected_token_through_session_request(backend, http):
    """The same through session.request, for the e-way bill system (238)."""
    gstin = flows.fresh_gstin()
    ewb = gstauth.EWayBillSession(
        f"{gstin}/{flows.USER}", {"base_url": SANDBOX, "client_id": flows.CLIENT_ID, "gstin": gstin,
                                  "username": flows.USER},
        credentials={"client_secret": flows.CLIENT_SECRET, "password": flows.PASSWORD,
                     "public_key": flows.cert(http, SANDBOX, "nic")}, send=gx.sender(http), backend=backend)
    bill = json.dumps({"action": "GENEWAYBILL", "data": {"docNo": "RJ/1", "fromGstin": gstin}})
    assert ewb.request("POST", f"{SANDBOX}/ewayapi/", body=bill).observation.ok
    fault(http, {"kind": "invalid_token", "path_prefix": "/ewayapi"})
    r = ewb.request("POST", f"{SANDBOX}/ewayapi/", body=bill)
    assert r.observation.ok and json.loads(r.body)["data"]["ewayBillNo"] > 0
    s = stats(http, f"ewaybill/{flows.CLIENT_ID}/{gstin}/{flows.USER}")
    assert s["auth_requests"] == 2, s


def test_one_wrong_byte_is_caught(backend, http):
    """A flipped HMAC byte, or the NIC convention used for GSTN, is refused by the emulator."""
    gst = logged_in(backend, http)
    url = f"{SANDBOX}/taxpayerapi/v1.0/returns/gstr1"
    headers = gst.headers(ret_period="042026")
    body = {"action": "RETSAVE", **gst.encrypt({"gstin": flows.GSTIN})}
    mac = bytearray(base64.b64decode(body["hmac"]))
    mac[-1] ^= 1
    r = http.post(url, headers=headers, json={**body, "hmac": base64.b64encode(bytes(mac)).decode()})
    assert r.json()["error"]["error_cd"] == "RET191106"
    sek = base64.b64decode(gst.state["sek"])
    nic_style = gstauth.nic_encrypt_request(sek=sek, payload={"gstin": flows.GSTIN}, backend=backend).data
    r = http.post(url, headers=gst.headers(ret_period="042026"),
                  json={"action": "RETSAVE", "data": nic_style, "hmac": body["hmac"]})
    assert r.json()["error"]["error_cd"] == "RET191106"
    with pytest.raises(gstauth.ProviderError):
        gst.decrypt(r.json())


def logged_in(backend, http):
    gst = flows.gstn_session(SANDBOX, backend, http)
    gst.request_otp()
    gst.authenticate(flows.OTP)
    return gst


def test_wrong_otp_asks_the_user_again(backend, http):
    gst = flows.gstn_session(SANDBOX, backend, http)
    gst.request_otp()
    with pytest.raises(gstauth.UserActionRequired) as e:
        gst.authenticate("000000")
    assert e.value.provider_code == "AUTH4033" and "000000" not in str(e.value)


def test_gstn_rejected_token_asks_for_a_person(backend, http):
    """A GSTN token refused mid-session cannot be renewed without an OTP: one call, no replay, user_action_required."""
    gst = logged_in(backend, http)
    fault(http, {"kind": "invalid_token", "path_prefix": "/taxpayerapi/v1.0/returns"})
    with pytest.raises(gstauth.UserActionRequired):
        gst.request("POST", f"{SANDBOX}/taxpayerapi/v1.0/returns/gstr1", ret_period="042026",
                    body=json.dumps({"action": "RETSAVE", "data": {"gstin": flows.GSTIN}}))
    assert gst.plan()["action"] == "user_action"


def test_rate_limit_and_invalid_token_faults(backend, http):
    einv = flows.einvoice_session(SANDBOX, backend, http, flows.fresh_gstin("27"))
    fault(http, {"kind": "status", "status": 429, "retry_after": 3, "path_prefix": "/eivital"})
    with pytest.raises(gstauth.RateLimited) as e:
        einv.ensure()
    # the wait left when ensure answers: the 3 s Retry-After less the time since the answer arrived
    assert 2000 <= e.value.retry_after_ms <= 3000 and einv.plan()["not_before_ms"] > 0
    einv.exchange("auth")  # the host decides to retry now: it works
    assert einv.plan()["action"] == "use"
    fault(http, {"kind": "invalid_token", "path_prefix": "/eicore"})
    r = http.post(f"{SANDBOX}/eicore/v1.03/Invoice", headers=einv.headers(), json=einv.encrypt({"x": 1}))
    seen = einv.observe(gstauth.Response(r.status_code, dict(r.headers), r.text), sent_at_ms=einv.clock() - 1,
                        access_token=einv.access_token)
    assert seen.outcome == "reauthenticate" and einv.plan()["action"] == "renew"
    einv.ensure()
    assert einv.plan()["action"] == "use"


def test_skewed_date_is_measured(backend, http):
    einv = flows.einvoice_session(SANDBOX, backend, http, flows.fresh_gstin("27"))
    fault(http, {"kind": "skew", "skew_ms": 300000, "path_prefix": "/eivital"})
    einv.ensure()
    assert 298000 <= einv.state["skew_ms"] <= 302000


def test_sealed_session_survives_a_restart(backend, http):
    gst = logged_in(backend, http)
    key = os.urandom(32)
    blob = gst.seal(key, "k1")
    again = gstauth.GstnSession.open(blob, {"k1": key}, backend=backend, send=gx.sender(http),
                                     credentials=gst.credentials)
    assert again.access_token == gst.access_token
    r = again.request("POST", f"{SANDBOX}/taxpayerapi/v1.0/returns/gstr1", ret_period="052026",
                      body=json.dumps({"action": "RETSAVE", "data": {"gstin": flows.GSTIN}}))
    assert json.loads(r.body)["data"]["status"] == "saved"


@pytest.mark.parametrize("example", ["gstn_flow.py", "oauth_client_credentials.py", "seal_and_open.py"])
def test_examples_run(example):
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, example)], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip()
