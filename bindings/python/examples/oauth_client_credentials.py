"""An OAuth 2.0 client-credentials gateway with gstauth and httpx: `httpx.Client(auth=gstauth.http.httpx.Auth(session))`
gets a token on first use, keeps using it, refreshes it before it ends (single flight), and after the resource server
rejects it, gets a new one and replays the call once.

Run it against the repository's oidc-provider (make oauth-server-deps, then e2e/scripts/start-oauth-server.sh):

    GSTAUTH_OAUTH_URL=http://127.0.0.1:PORT python bindings/python/examples/oauth_client_credentials.py

The resource server here is a few lines on loopback that asks oidc-provider whether a token is active (RFC 7662)
and answers 401 invalid_token (RFC 6750) for one that is not, or that it was told to refuse.
"""
from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Set

import httpx

import gstauth
from gstauth.http import httpx as gx

OAUTH = os.environ.get("GSTAUTH_OAUTH_URL", "http://127.0.0.1:3000")
REFUSED: Set[str] = set()


class ResourceServer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        active = token not in REFUSED and httpx.post(
            f"{OAUTH}/token/introspection", data={"token": token},
            auth=("gstauth-e2e-introspector", "test-only-introspector-secret")).json().get("active") is True
        body = json.dumps({"returns": ["GSTR-1"]} if active else {}).encode()
        self.send_response(200 if active else 401)
        if not active:
            self.send_header("WWW-Authenticate", 'Bearer error="invalid_token"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    api = ThreadingHTTPServer(("127.0.0.1", 0), ResourceServer)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{api.server_address[1]}/returns"

    config: gstauth.Config = {"token_url": f"{OAUTH}/token", "client_id": "gstauth-e2e-cc-opaque",
                              "scope": "gstn-india"}
    with httpx.Client(timeout=30) as http:
        session = gstauth.OAuthClientCredentialsSession(
            "gstauth-e2e-cc-opaque", config, credentials={"client_secret": "test-only-cc-opaque-secret"},
            send=gx.sender(http))
        with httpx.Client(auth=gx.Auth(session), timeout=30) as client:
            for _ in range(3):
                r = client.get(url)
                print(r.status_code, r.json(), "with", session.access_token[:8] + "…")
            first = session.access_token
            plan = session.plan()
            print("plan:", plan["action"], "refresh at", plan["refresh_at_ms"])

            REFUSED.add(first)  # the resource server stops taking this token
            r = client.get(url)
            print(r.status_code, r.json(), "after one renewal and one replay with",
                  session.access_token[:8] + "…")
            assert r.status_code == 200 and session.access_token != first
    api.shutdown()


if __name__ == "__main__":
    main()
