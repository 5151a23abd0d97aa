"""Per-call overhead and payload throughput of the Python binding, per backend.

Run with ``make bench-python``. Prints one line per measurement; the numbers go into docs/abi.md.
"""
import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import gstauth  # noqa: E402


def per_call(backend: str, number: int) -> float:
    """Seconds per ``pkce_s256`` call, whose own work (one SHA-256 of 43 bytes) is negligible."""
    inp = {"verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}
    gstauth.call("pkce_s256", inp, backend=backend)
    return min(timeit.repeat(lambda: gstauth.call("pkce_s256", inp, backend=backend), number=number, repeat=5)) / number


def payload(backend: str, size: int, number: int) -> float:
    """Seconds per ``gstn_encrypt_request_raw`` of a JSON payload of ``size`` bytes."""
    sek = b"\x42" * 32
    body = (b'{"inum":"S-1","val":100.5},' * (size // 27 + 1))[: size - 1] + b"]"
    gstauth.gstn_encrypt_request_raw(body, sek=sek, backend=backend)
    return min(timeit.repeat(lambda: gstauth.gstn_encrypt_request_raw(body, sek=sek, backend=backend),
                             number=number, repeat=3)) / number


def main() -> None:
    for backend in ("cshared", "wasm"):
        try:
            gstauth.call("ops", {}, backend=backend)
        except Exception as e:  # the wasm extra may be missing
            print(f"{backend}: unavailable ({e})")
            continue
        t = per_call(backend, 20000 if backend == "cshared" else 500)
        print(f"{backend}: per call (pkce_s256) {t * 1e6:.1f} µs")
        for size, number in ((1 << 10, 2000), (100 << 10, 50), (5 << 20, 3)):
            if backend == "wasm":
                number = max(1, number // 20)
            t = payload(backend, size, number)
            print(f"{backend}: gstn_encrypt_request_raw {size >> 10} KiB {t * 1e3:.2f} ms ({size / t / 1e6:.0f} MB/s)")


if __name__ == "__main__":
    main()
