"""Storing a session between processes with gstauth: seal it (XChaCha20-Poly1305 under a 32-byte key, bound to its
provider and account), store the text, open it elsewhere with a keyring, and rotate the key.

A sealed session holds the token and the session key but no password or client secret: those stay with the
application (credentials). Run it against the local GST emulator:

    GSTAUTH_SANDBOX_URL=http://127.0.0.1:8089 python bindings/python/examples/seal_and_open.py
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Dict

import httpx

import gstauth
from gstauth.http import httpx as gx

GSTIN = "27AAACR5055K1Z7"
USER = "sandbox_user"


def main() -> None:
    base = os.environ.get("GSTAUTH_SANDBOX_URL", "http://127.0.0.1:8089")
    with httpx.Client(timeout=30) as http:
        config: gstauth.Config = {"base_url": base, "client_id": "sandbox-client", "gstin": GSTIN,
                                  "username": USER}
        credentials: gstauth.Credentials = {"client_secret": "sandbox-secret", "password": "sandbox-password",
                                            "public_key": http.get(f"{base}/_sandbox/certs/nic.pem").text}
        keys: Dict[str, bytes] = {"k1": os.urandom(32)}
        store = os.path.join(tempfile.mkdtemp(), "session.sealed")

        def save(session: gstauth.Session) -> None:
            with open(store, "w") as f:
                f.write(session.seal(keys["k1"], "k1"))

        first = gstauth.EInvoiceSession(f"{GSTIN}/{USER}", config, credentials=credentials, send=gx.sender(http),
                                        on_change=save)
        first.ensure()  # logs in; on_change stores the sealed session
        with open(store) as f:
            sealed = f.read()
        print("sealed:", sealed[:48] + "…", "(no password, no secret inside:",
              "sandbox-password" not in sealed and "sandbox-secret" not in sealed, ")")

        # Another process: the same keyring, the application's own credentials.
        again = gstauth.EInvoiceSession.open(sealed, keys, credentials=credentials, send=gx.sender(http))
        assert again.access_token == first.access_token
        invoice = {"DocDtls": {"Typ": "INV", "No": f"SEAL/{os.urandom(4).hex()}", "Dt": "01/04/2026"},
                   "SellerDtls": {"Gstin": GSTIN}, "ValDtls": {"TotInvVal": 1}}
        r = again.request("POST", f"{base}/eicore/v1.03/Invoice", body=json.dumps({"Data": invoice}))
        r.raise_for_error()
        print("the reopened session's call, without a new login:", json.loads(r.body)["Data"]["Irn"][:16] + "…")

        # Rotation: seal under a new key; the keyring opens both until every stored copy is resealed.
        keys["k2"] = os.urandom(32)
        resealed = again.seal(keys["k2"], "k2")
        for blob in (sealed, resealed):
            print("opened with the keyring:", gstauth.EInvoiceSession.open(blob, keys).account)
        try:
            gstauth.EInvoiceSession.open(resealed, {"k1": keys["k1"]})
        except gstauth.InvalidKey as e:
            print("without its key:", e.code)


if __name__ == "__main__":
    main()
