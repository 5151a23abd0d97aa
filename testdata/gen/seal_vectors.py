"""Sealed-session vectors: blobs sealed by libsodium's XChaCha20-Poly1305 (PyNaCl), opened by gstauth.

The format is core/seal.go's: "gstauth-session.v1.<key id>.<provider>.<b64url account>.<b64url nonce||ct||tag>",
the header (everything before the box, final "." included) bound as associated data. gstauth is never imported or
run; the expected session of each valid case is the JSON that was sealed.

Run from the repository root:  pip install pynacl==1.6.2; python3 testdata/gen/seal_vectors.py
"""
import base64
import json

import nacl.bindings as sodium

from common import b64, invalid, randbytes, ref, rng, steps, valid, write
from lifecycle_rules import H, session

T0 = 1_767_225_600_000
R = rng("gstauth seal vectors v1")
GEN = ("testdata/gen/seal_vectors.py: blobs sealed with libsodium crypto_aead_xchacha20poly1305_ietf_encrypt through "
       "PyNaCl 1.6.2, in the format documented on core.SealSession; never from gstauth's output.")
SOURCES = ["core/seal.go (format)", "draft-irtf-cfrg-xchacha-03 (XChaCha20-Poly1305)"]


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def header(key_id, provider, account):
    return f"gstauth-session.v1.{key_id}.{provider}.{b64url(account.encode())}."


def seal(s: dict, key_id: str, key: bytes, nonce: bytes, provider=None, account=None) -> str:
    h = header(key_id, provider or s["provider"], account if account is not None else s["account"])
    ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(json.dumps(s).encode(), h.encode(), nonce, key)
    return h + b64url(nonce + ct)


def keyring(*pairs):
    return [{"key_id": i, "key": b64(k)} for i, k in pairs]


def tests():
    k1, k2 = randbytes(R, 32), randbytes(R, 32)
    acct = "27AAACR5055K1Z7/taxpayer1"
    s = session("gstn", acct, {"gstin": "27AAACR5055K1Z7", "username": "taxpayer1", "access_window_ms": 30 * 24 * H},
                access_token="gstn-token", obtained_at_ms=T0, expires_at_ms=T0 + 6 * H, access_window_ends_at_ms=T0 + 30 * 24 * H,
                sek=b64(randbytes(R, 32)), app_key=b64(randbytes(R, 32)), skew_ms=-1200, skew_measured_at_ms=T0)
    nic = session("nic_einvoice", "29AAFCD5862R000/api_user", {"gstin": "29AAFCD5862R000"})
    blob = seal(s, "k2025", k1, randbytes(R, 24))
    blob_nic = seal(nic, "k2026", k2, randbytes(R, 24))
    h = blob[:blob.rindex(".") + 1]
    box = blob[len(h):]
    raw = base64.urlsafe_b64decode(box + "=" * (-len(box) % 4))
    out = []

    def opened(comment, blob_, keys, sess, **kw):
        out.append(valid(comment, {"sealed": blob_, "keys": keys, **kw}, {"session": sess}, ["seal"]))

    def refused(comment, blob_, keys, code, **kw):
        out.append(invalid(comment, {"sealed": blob_, "keys": keys, **kw}, code, ["seal"]))

    opened("opened with the expected provider and account", blob, keyring(("k2025", k1)), s, provider="gstn", account=acct)
    opened("opened without expectations: the authenticated header says who it is for", blob, keyring(("k2025", k1)), s)
    opened("rotation: the keyring holds the new key and the old; the blob names the old", blob,
           keyring(("k2026", k2), ("k2025", k1)), s)
    opened("an empty config, another provider", blob_nic, keyring(("k2026", k2)), nic, provider="nic_einvoice")
    refused("expected another provider: re-targeted", blob, keyring(("k2025", k1)), "decrypt_failed", provider="nic_einvoice")
    refused("expected another account: re-targeted", blob, keyring(("k2025", k1)), "decrypt_failed", provider="gstn",
            account="27AAACR5055K1Z7/someone")
    refused("header edited to another account (the AD no longer matches)",
            header("k2025", "gstn", "27AAACR5055K1Z7/someone") + box, keyring(("k2025", k1)), "decrypt_failed")
    refused("header edited to another provider", header("k2025", "gateway_task", acct) + box, keyring(("k2025", k1)),
            "decrypt_failed")
    flipped = bytearray(raw)
    flipped[40] ^= 1
    refused("one ciphertext bit flipped", h + b64url(bytes(flipped)), keyring(("k2025", k1)), "decrypt_failed")
    tag = bytearray(raw)
    tag[-1] ^= 0x80
    refused("one tag bit flipped", h + b64url(bytes(tag)), keyring(("k2025", k1)), "decrypt_failed")
    nonce = bytearray(raw)
    nonce[0] ^= 1
    refused("one nonce bit flipped", h + b64url(bytes(nonce)), keyring(("k2025", k1)), "decrypt_failed")
    refused("truncated by one byte", h + b64url(raw[:-1]), keyring(("k2025", k1)), "decrypt_failed")
    refused("truncated to the nonce", h + b64url(raw[:24]), keyring(("k2025", k1)), "decrypt_failed")
    refused("truncated inside the header", blob[:20], keyring(("k2025", k1)), "decrypt_failed")
    refused("the box of another blob under this header", h + blob_nic[blob_nic.rindex(".") + 1:],
            keyring(("k2025", k1), ("k2026", k2)), "decrypt_failed")
    refused("the right key id with the wrong key", blob, keyring(("k2025", k2)), "decrypt_failed")
    refused("unknown key id: a key is missing from the keyring", blob, keyring(("k2026", k2)), "invalid_key")
    refused("a 31-byte key in the keyring", blob, [{"key_id": "k2025", "key": b64(k1[:31])}], "invalid_key")
    refused("version 2", blob.replace(".v1.", ".v2.", 1), keyring(("k2025", k1)), "decrypt_failed")
    refused("padded base64 in the box", blob + "==", keyring(("k2025", k1)), "decrypt_failed")
    refused("not a sealed session", "hello", keyring(("k2025", k1)), "decrypt_failed")
    # A session sealed as version 1 JSON opens upgraded (core/doc.go, "Session JSON (version 2)"); another version is
    # refused once the box opens.
    oc = {"token_url": "https://idp.example/token", "client_id": "erp-batch"}
    v2 = session("oauth_client_credentials", "erp-batch", oc, access_token="at", obtained_at_ms=T0, expires_at_ms=T0 + H,
                 secret_in_use="previous", info={"token_scope": "gst"})
    v1 = dict(v2, version=1, info={"secret": "previous", "token_scope": "gst"})
    del v1["secret_in_use"]
    opened("a version 1 session opens as version 2: info.secret became secret_in_use",
           seal(v1, "k2026", k2, randbytes(R, 24)), keyring(("k2026", k2)), v2)
    refused("a sealed session of version 3: the box opens, the JSON is refused", seal(dict(v2, version=3), "k2026", k2, randbytes(R, 24)),
            keyring(("k2026", k2)), "invalid_input")
    for t in out:
        t["op"] = "session_open"

    # Round trip through gstauth's own sealing (random nonce): seal, then open.
    out.append(steps("session_seal then session_open", [
        {"op": "session_seal", "input": {"session": s, "key": b64(k2), "key_id": "k2026"}, "result": "valid"},
        {"op": "session_open", "input": {"sealed": ref("0.output.sealed"), "keys": keyring(("k2026", k2)),
                                         "provider": "gstn", "account": acct}, "result": "valid", "output": {"session": s}},
        {"op": "session_open", "input": {"sealed": ref("0.output.sealed"), "keys": keyring(("k2025", k1))},
         "result": "invalid", "error": "invalid_key"},
    ], ["seal"]))
    out.append(invalid("session_seal: a 16-byte key", {"session": s, "key": b64(k1[:16]), "key_id": "k"}, "invalid_key"))
    out[-1]["op"] = "session_seal"
    out.append(invalid("session_seal: a key id with a dot", {"session": s, "key": b64(k1), "key_id": "a.b"}, "invalid_key"))
    out[-1]["op"] = "session_seal"
    return out


write("seal", None, "Sealed sessions: XChaCha20-Poly1305 under a 32-byte key with a key id, provider and account bound "
      "as associated data. Tampered, truncated and re-targeted blobs fail with decrypt_failed; a key id missing from "
      "the keyring with invalid_key.", GEN, SOURCES, tests())
