"""`make` runs this: gstauth's Python client through GSTN, e-invoice, e-way bill and OAuth flows against the local GST emulator
and a real OAuth server, once over the shared library and once over the WebAssembly plugin."""
import os
import sys

import gstauth

from flows import run_all


def main() -> int:
    sandbox, oauth = os.environ["GSTAUTH_SANDBOX_URL"], os.environ["GSTAUTH_OAUTH_URL"]
    print(f"gstauth demo — GST emulator at {sandbox}, oidc-provider at {oauth}\n")
    results = {}
    for backend in ("cshared", "wasm"):
        b = gstauth.get_backend(backend)
        print(f"── backend {backend}: {os.path.basename(b.path)} ──")
        results[backend] = run_all(sandbox, oauth, backend, lambda s: print("  " + s))
        print()
    same = results["cshared"] == results["wasm"]
    print("── both backends ──")
    for area in results["cshared"]:
        mark = "identical" if results["cshared"][area] == results["wasm"][area] else "DIFFERENT"
        print(f"  {area:9} {mark}: {results['cshared'][area]}")
    print("\nthe shared library and the plugin produced identical results" if same else "\nthe backends DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
