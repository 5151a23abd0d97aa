"""The Redis store's Lua scripts, as text: one source, the repository's ``store/redis/*.lua``. The wheel carries a
copy (``gstauth/_lib/redis``, copied in at build time like the shared library); a development checkout reads the
repository's own files; ``GSTAUTH_REDIS_SCRIPTS`` names another directory."""
from __future__ import annotations

import hashlib
import os
from typing import Dict, Tuple

from ..errors import make_error

NAMES = ("read", "lease", "write")
_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the gstauth package
_cache: Dict[str, Tuple[str, str]] = {}


def script_dir() -> str:
    """The directory the scripts are read from."""
    env = os.environ.get("GSTAUTH_REDIS_SCRIPTS")
    if env:
        if not os.path.isfile(os.path.join(env, "lease.lua")):
            raise make_error("invalid_input", f"GSTAUTH_REDIS_SCRIPTS names {env!r}, which holds no lease.lua")
        return env
    candidates = [os.path.join(_HERE, "_lib", "redis")]
    d = _HERE
    for _ in range(6):
        d = os.path.dirname(d)
        candidates.append(os.path.join(d, "store", "redis"))
    for c in candidates:
        if all(os.path.isfile(os.path.join(c, n + ".lua")) for n in NAMES):
            return c
    raise make_error("unsupported", "cannot find the Redis store's scripts (read.lua, lease.lua, write.lua): install "
                     "the gstauth wheel, work in the repository, or set GSTAUTH_REDIS_SCRIPTS")


def script(name: str) -> Tuple[str, str]:
    """A script's text and its SHA-1 (the name EVALSHA calls it by)."""
    got = _cache.get(name)
    if got is None:
        if name not in NAMES:
            raise make_error("invalid_input", f"no Redis store script {name!r}")
        with open(os.path.join(script_dir(), name + ".lua"), encoding="utf-8") as f:
            text = f.read()
        got = _cache[name] = (text, hashlib.sha1(text.encode("utf-8")).hexdigest())
    return got
