"""End to end over real HTTP: the Python binding (both backends) against the GST emulator and oidc-provider.

`make test-e2e-python` starts both servers and passes their URLs. These tests fail if the client or the emulator
gets any byte of the protocol wrong: the emulator checks every header, key, MAC and plaintext convention.
"""
import base64
import json
import os

import httpx
import pytest

import gstauth
from gstauth.http import httpx_sender

import flows

SANDBOX = os.environ.get("GSTAUTH_SANDBOX_URL")
OAUTH = os.environ.get("GSTAUTH_OAUTH_URL")
if not SANDBOX or not OAUTH:
    pytest.fail("run through `make test-e2e-python`, which starts the servers", pytrace=False)


@pytest.fixture(params=["cshared", "wasm"])
def backend(request):
    return request.param


@pytest.fixture
def http():
    with httpx.Client(timeout=30) as c:
        yield c
    httpx.post(f"{SANDBOX}/_sandbox/faults", json={"faults": []})
    httpx.delete(f"{SANDBOX}/_sandbox/faults")


def quiet(_):
    pass


def test_gstn(backend, http):
    f = flows.gstn_flow(SANDBOX, backend, quiet, http)
    assert f == {"plan_before_otp": "user_action", "plan_after_otp": "use", "retsave": "saved",
                 "retsum_has_our_invoice": True, "plan_5min_before_expiry": "refresh", "refreshed_without_otp": True,
                 "after_logout": "user_action"}


def test_einvoice(backend, http):
    f = flows.einvoice_flow(SANDBOX, backend, quiet, http)
    assert f == {"auth": "use", "signed_invoice_verified": True, "signed_qr_verified": True, "jwt_alg": "RS256",
                 "tampered_qr": "signature_invalid"}


def test_oauth(backend, http):
    f = flows.oauth_flow(OAUTH, backend, quiet, http)
    assert f == {"grant": "use", "token_active": True, "plan_at_margin": "refresh", "refreshed": True,
                 "wrong_secret": "user_action_required/invalid_client"}


def test_backends_agree():
    with httpx.Client(timeout=30) as http:
        a = flows.run_all(SANDBOX, OAUTH, "cshared", quiet)
        b = flows.run_all(SANDBOX, OAUTH, "wasm", quiet)
    assert a == b


def logged_in(backend, http):
    gst = gstauth.GstnSession(
        f"{flows.GSTIN}/{flows.USER}",
        {"base_url": f"{SANDBOX}/taxpayerapi/v1.0", "client_id": flows.CLIENT_ID, "gstin": flows.GSTIN,
         "username": flows.USER, "ip_usr": "10.0.0.1"},
        credentials={"client_secret": flows.CLIENT_SECRET, "public_key": flows.cert(http, SANDBOX, "gstn")},
        send=httpx_sender(http), backend=backend)
    gst.request_otp()
    gst.authenticate(flows.OTP)
    return gst


def test_one_wrong_byte_is_caught(backend, http):
    """A flipped HMAC byte, or the NIC convention used for GSTN, is refused by the emulator."""
    gst = logged_in(backend, http)
    url = f"{SANDBOX}/taxpayerapi/v1.0/returns/gstr1"
    body = {"action": "RETSAVE", **gst.encrypt({"gstin": flows.GSTIN})}
    mac = bytearray(base64.b64decode(body["hmac"]))
    mac[-1] ^= 1
    r = http.post(url, headers=gst.headers("042026"), json={**body, "hmac": base64.b64encode(bytes(mac)).decode()})
    assert r.json()["error"]["error_cd"] == "RET191106"
    nic_style = gstauth.nic_encrypt_request(gst.sek, {"gstin": flows.GSTIN}, backend=backend)
    r = http.post(url, headers=gst.headers("042026"), json={"action": "RETSAVE", "data": nic_style, "hmac": body["hmac"]})
    assert r.json()["error"]["error_cd"] == "RET191106"
    with pytest.raises(gstauth.ProviderError):
        gst.decrypt(r.json())


def test_wrong_otp_asks_the_user_again(backend, http):
    gst = gstauth.GstnSession(
        "x", {"base_url": f"{SANDBOX}/taxpayerapi/v1.0", "client_id": flows.CLIENT_ID, "gstin": flows.GSTIN,
              "username": flows.USER, "ip_usr": "10.0.0.1"},
        credentials={"client_secret": flows.CLIENT_SECRET, "public_key": flows.cert(http, SANDBOX, "gstn")},
        send=httpx_sender(http), backend=backend)
    gst.request_otp()
    with pytest.raises(gstauth.UserActionRequired) as e:
        gst.authenticate("000000")
    assert e.value.provider_code == "AUTH4033" and "000000" not in str(e.value)


def test_rate_limit_and_invalid_token_faults(backend, http):
    einv = gstauth.EInvoiceSession(
        flows.GSTIN, {"base_url": SANDBOX, "client_id": flows.CLIENT_ID, "gstin": flows.GSTIN, "username": flows.USER},
        credentials={"client_secret": flows.CLIENT_SECRET, "password": flows.PASSWORD,
                     "public_key": flows.cert(http, SANDBOX, "nic")}, send=httpx_sender(http), backend=backend)
    http.post(f"{SANDBOX}/_sandbox/faults", json={"faults": [{"kind": "status", "status": 429, "retry_after": 3,
                                                              "path_prefix": "/eivital"}]})
    with pytest.raises(gstauth.RateLimited) as e:
        einv.ensure()
    assert e.value.retry_after_ms >= 3000 and einv.plan().not_before_ms > 0
    einv.exchange("auth")  # the host decides to retry now: it works
    assert einv.plan().action == "use"
    http.post(f"{SANDBOX}/_sandbox/faults", json={"faults": [{"kind": "invalid_token", "path_prefix": "/eicore"}]})
    r = http.post(f"{SANDBOX}/eicore/v1.03/Invoice", headers=einv.headers(), json=einv.encrypt({"x": 1}))
    rejected = einv.observe(gstauth.Response(r.status_code, dict(r.headers), r.text), sent_at_ms=einv.clock())
    assert rejected and einv.plan().action == "renew"
    einv.ensure()
    assert einv.plan().action == "use"


def test_skewed_date_is_measured(backend, http):
    einv = gstauth.EInvoiceSession(
        flows.GSTIN, {"base_url": SANDBOX, "client_id": flows.CLIENT_ID, "gstin": flows.GSTIN, "username": flows.USER},
        credentials={"client_secret": flows.CLIENT_SECRET, "password": flows.PASSWORD,
                     "public_key": flows.cert(http, SANDBOX, "nic")}, send=httpx_sender(http), backend=backend)
    http.post(f"{SANDBOX}/_sandbox/faults", json={"faults": [{"kind": "skew", "skew_ms": 300000, "path_prefix": "/eivital"}]})
    einv.ensure()
    assert 298000 <= einv.state["skew_ms"] <= 302000


def test_sealed_session_survives_a_restart(backend, http):
    gst = logged_in(backend, http)
    key = os.urandom(32)
    blob = gst.seal(key, "k1")
    again = gstauth.GstnSession.open(blob, {"k1": key}, backend=backend, send=httpx_sender(http),
                                     credentials=gst.credentials)
    assert again.access_token == gst.access_token
    r = http.post(f"{SANDBOX}/taxpayerapi/v1.0/returns/gstr1", headers=again.headers("052026"),
                  json={"action": "RETSAVE", **again.encrypt({"gstin": flows.GSTIN})})
    assert again.decrypt(r.json())["status"] == "saved"
