"""The GSTN taxpayer API with gstauth: OTPREQUEST, AUTHTOKEN with the OTP, an encrypted GSTR-1 RETSAVE, then a
REFRESHTOKEN and another RETSAVE with the new token and session key.

Run it against the local GST emulator (its OTP is 575757):

    build/gstauth sandbox --addr 127.0.0.1:8089 &
    GSTAUTH_SANDBOX_URL=http://127.0.0.1:8089 python bindings/python/examples/gstn_flow.py

The application writes only GSTN's own payloads: gstauth builds the auth requests, attaches the headers, encrypts the
payload (data and hmac) and decrypts the answer (its HMAC checked first).
"""
from __future__ import annotations

import json
import os

import httpx

import gstauth
from gstauth.http import httpx as gx

GSTIN = "27AAACR5055K1Z7"
USER = "sandbox_user"


def main() -> None:
    base = os.environ.get("GSTAUTH_SANDBOX_URL", "http://127.0.0.1:8089")
    with httpx.Client(timeout=30) as http:
        config: gstauth.Config = {"base_url": f"{base}/taxpayerapi/v1.0", "client_id": "sandbox-client",
                                  "gstin": GSTIN, "username": USER, "ip_usr": "10.0.0.1"}
        credentials: gstauth.Credentials = {"client_secret": "sandbox-secret",
                                            "public_key": http.get(f"{base}/_sandbox/certs/gstn.pem").text}
        session = gstauth.GstnSession(f"{GSTIN}/{USER}", config, credentials=credentials, send=gx.sender(http))
        print("plan with no token:", session.plan()["action"])

        session.request_otp()
        session.authenticate(os.environ.get("GSTN_OTP", "575757"))  # the OTP the taxpayer received
        plan = session.plan()
        print("after AUTHTOKEN:", plan["action"], "until", plan["expires_at_ms"])

        gstr1 = {"gstin": GSTIN, "fp": "042026", "b2b": []}
        url = f"{base}/taxpayerapi/v1.0/returns/gstr1"
        response = session.request("POST", url, body=json.dumps({"action": "RETSAVE", "data": gstr1}),
                                   ret_period="042026")
        response.raise_for_error()
        print("RETSAVE:", json.loads(response.body)["data"])

        token = session.access_token
        session.refresh()  # what ensure() does by itself once the planner says refresh
        assert session.access_token != token
        response = session.request("POST", url, body=json.dumps({"action": "RETSAVE", "data": gstr1}),
                                   ret_period="042026")
        response.raise_for_error()
        print("after REFRESHTOKEN, RETSAVE:", json.loads(response.body)["data"])
        session.logout()
        print("after LOGOUT:", session.plan()["action"])


if __name__ == "__main__":
    main()
