"""The Python column of make bench-peers: a GSTN request encryption by gstauth (over the shared library) and by the
ten lines of Python that GST integrations write by hand with `cryptography`, `hmac` and `base64` (the
india-compliance way), checked to give the same bytes. One JSON line per (implementation, size) on stdout."""
import base64
import hashlib
import hmac
import json
import statistics
import sys
import time

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import gstauth


def peer(ek: bytes, payload: bytes):
    p = base64.b64encode(payload)
    tag = base64.b64encode(hmac.new(ek, p, hashlib.sha256).digest())
    padder = padding.PKCS7(128).padder()
    enc = Cipher(algorithms.AES(ek), modes.ECB()).encryptor()
    data = base64.b64encode(enc.update(padder.update(p) + padder.finalize()) + enc.finalize())
    return data, tag


def ours(ek: bytes, payload: bytes):
    r = gstauth.gstn_encrypt_request_raw(payload, sek=ek, backend="cshared")
    return r.data, r.hmac.encode()


def payload_of(n: int) -> bytes:
    head = b'{"gstin":"27AAACR5055K1Z7","b2b":"'
    return head + b"x" * max(n - len(head) - 2, 0) + b'"}'


def time_ns(fn) -> float:
    fn()
    n = 1
    while True:
        t = time.perf_counter_ns()
        for _ in range(n):
            fn()
        if time.perf_counter_ns() - t > 50_000_000:
            break
        n *= 2
    rounds = []
    for _ in range(7):
        t = time.perf_counter_ns()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter_ns() - t) / n)
    return statistics.median(rounds)


def main() -> None:
    ek = bytes([7]) * 32
    for arg in sys.argv[1:]:
        size = int(arg)
        payload = payload_of(size)
        if ours(ek, payload) != peer(ek, payload):
            sys.exit("bench-peers python: gstauth and the peer disagree")
        for impl, fn in (("gstauth", ours), ("peer", peer)):
            print(json.dumps({"lang": "python", "impl": impl, "size": size,
                              "ns_per_op": time_ns(lambda: fn(ek, payload))}), flush=True)


if __name__ == "__main__":
    main()
