import os

import pytest

import gstauth

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
VECTORS = os.path.join(ROOT, "testdata", "vectors")
KEYS = os.path.join(ROOT, "testdata", "keys")
BACKENDS = ["cshared", "wasm"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Every test that takes this fixture runs on both backends; a missing artifact is a failure, not a skip."""
    return gstauth.get_backend(request.param)


def key(name):
    with open(os.path.join(KEYS, name)) as f:
        return f.read()
