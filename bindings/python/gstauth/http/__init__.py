"""HTTP integration: gstauth sessions over the application's own HTTP client.

The core builds every auth request and reads every response; these adapters run the loop of docs/hosts.md around the
application's client, so proxies, certificates, timeouts and transports stay the application's:

- :mod:`gstauth.http.httpx` — ``Transport``/``AsyncTransport`` (headers, payload encryption and decryption, refresh,
  one replay after re-authentication) and ``Auth`` (the same without touching response bodies), plus ``sender``.
- :mod:`gstauth.http.requests` — ``Auth`` for requests, plus ``sender``.

Neither httpx nor requests is a dependency of gstauth: import the module of the client you use.
"""
from __future__ import annotations

from typing import Any

__all__ = ["GstAuth", "GstAuthHTTPX", "httpx_sender", "requests_sender"]


def __getattr__(name: str) -> Any:
    # The names of earlier releases, resolved lazily so that importing gstauth.http needs neither client.
    if name == "GstAuth":
        from .requests import Auth
        return Auth
    if name == "requests_sender":
        from .requests import sender
        return sender
    if name == "GstAuthHTTPX":
        from .httpx import Auth as HTTPXAuth
        return HTTPXAuth
    if name == "httpx_sender":
        from .httpx import sender as httpx_sender
        return httpx_sender
    raise AttributeError(name)
