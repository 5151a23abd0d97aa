"""gstauth: one auth core for every GST integration, for Python.

The same Go core runs behind every language binding, as a C shared library (the default backend) or as an
Extism WebAssembly plugin (``GSTAUTH_BACKEND=wasm``, ``pip install 'gstauth[wasm]'``).

    import gstauth
    gstauth.call("ops")                       # every op of the core
    key = gstauth.new_app_key()
    req = gstauth.gstn_encrypt_request(sek, {"gstin": "..."})
"""
from ._backend import Backend, get_backend
from .api import (GstnRequest, aes_ecb_decrypt, aes_ecb_encrypt, b64, call, call_raw, decrypt_sek, error_codes,
                  ewb_decode_error, gstn_decrypt_file, gstn_decrypt_response, gstn_encrypt_request, gstn_evc_sign,
                  hmac_sha256, new_app_key, nic_decrypt_response, nic_encrypt_request, nic_token_expiry, ops,
                  pkce_new, pkce_s256, rsa_encrypt, unb64, verify_signed_jwt, whitebit_sign)
from .errors import *  # noqa: F401,F403  (GstAuthError and one subclass per code)
from .errors import ERRORS, ForkError, GstAuthError
from .sessions import (SESSION_CLASSES, AuthorizationCodeSession, EInvoiceSession, EWayBillSession,
                       GatewayTaskSession, GstnSession, OAuthClientCredentialsSession, OAuthPasswordSession, Plan,
                       Request, Response, Session, WhiteBITFastKeySession, WhiteBITSession)

__version__ = "0.1.0"
