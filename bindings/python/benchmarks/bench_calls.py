"""Per-call overhead and payload throughput of the Python binding, per backend.

Run with ``make bench-python``. Prints one line per measurement; the numbers go into docs/abi.md. Each number is the
best of many short repeats, so that a busy machine disturbs it as little as possible.
"""
import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import gstauth  # noqa: E402

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


def best(fn, number: int, repeat: int) -> float:
    """Seconds per call of fn: the best of repeat runs of number calls."""
    fn()
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def per_call(backend: str, number: int) -> dict:
    """Seconds per ``pkce_s256`` call, whose own work (one SHA-256 of 43 bytes) is negligible: through the generic
    ``gstauth.call`` and through the generated typed function (what users call), with the backend named and, for
    the default backend, without."""
    inp = {"verifier": VERIFIER}
    repeat = 40 if backend == "cshared" else 5
    out = {
        "gstauth.call": best(lambda: gstauth.call("pkce_s256", inp, backend=backend), number, repeat),
        "gstauth.pkce_s256": best(lambda: gstauth.pkce_s256(VERIFIER, backend=backend), number, repeat),
    }
    if gstauth.get_backend() is gstauth.get_backend(backend):
        out["gstauth.call, default backend"] = best(lambda: gstauth.call("pkce_s256", inp), number, repeat)
        out["gstauth.pkce_s256, default backend"] = best(lambda: gstauth.pkce_s256(VERIFIER), number, repeat)
    return out


def payload(backend: str, size: int, number: int, kind=bytes) -> float:
    """Seconds per ``gstn_encrypt_request_raw`` of a JSON payload of ``size`` bytes, given as ``kind``."""
    sek = b"\x42" * 32
    body = kind((b'{"inum":"S-1","val":100.5},' * (size // 27 + 1))[: size - 1] + b"]")
    return best(lambda: gstauth.gstn_encrypt_request_raw(body, sek=sek, backend=backend), number,
                10 if size >= 1 << 20 else 20)


def main() -> None:
    for backend in ("cshared", "wasm"):
        try:
            gstauth.call("ops", {}, backend=backend)
        except Exception as e:  # the wasm extra may be missing
            print(f"{backend}: unavailable ({e})")
            continue
        for what, t in per_call(backend, 2000 if backend == "cshared" else 500).items():
            print(f"{backend}: per call (pkce_s256), {what}: {t * 1e6:.2f} µs")
        for size, number in ((1 << 10, 2000), (100 << 10, 50), (5 << 20, 3)):
            if backend == "wasm":
                number = max(1, number // 20)
            for kind in (bytes, bytearray):
                t = payload(backend, size, number, kind)
                print(f"{backend}: gstn_encrypt_request_raw {size >> 10} KiB ({kind.__name__}) {t * 1e6:.1f} µs "
                      f"({size / t / 1e6:.0f} MB/s)")


if __name__ == "__main__":
    main()
