"""Shared session store vectors (store.json): the names of a session's record (store_keys) and the file store's lease
and compare-and-set (store_lease, store_write).

Expected outputs come from the rules written in core/store.go's documentation and docs/hosts.md ("Many processes"),
rewritten here: a lease is granted when it is free, expired (now >= expires_at_ms) or the taker's own; extend and
release only to the holder of a lease that has not expired; a write succeeds only at the version the writer read. Ids
are SHA-256 from hashlib. gstauth is never imported or run.

Run from the repository root:  python3 testdata/gen/store_vectors.py
"""
import hashlib

from common import invalid, valid, write

T0 = 1_767_225_600_000
S = 1000


def keys(provider, account):
    i = hashlib.sha256(provider.encode() + b"\x00" + account.encode()).hexdigest()[:32]
    return {"id": i, "session": f"gstauth:{{{i}}}:session", "lease": f"gstauth:{{{i}}}:lease", "file": f"gstauth-{i}.json"}


def lease(record, action, holder, ttl, now):
    """The rule of a lease action: (new record, granted)."""
    r = dict(record)
    l = r.get("lease")
    held = l is not None and now < l["expires_at_ms"]
    mine = held and l["holder"] == holder
    if action in ("take", "extend"):
        if (held and not mine) or (action == "extend" and not mine):
            return record, False
        r["lease"] = {"holder": holder, "expires_at_ms": now + ttl}
        return r, True
    if not mine:
        return record, False
    r.pop("lease", None)
    return r, True


def lease_case(comment, record, action, holder, ttl, now):
    out, granted = lease(record, action, holder, ttl, now)
    inp = {"record": record, "action": action, "holder": holder, "now_ms": now}
    if ttl:
        inp["ttl_ms"] = ttl
    return valid(comment, inp, {"record": norm(out), "granted": granted}) | {"op": "store_lease"}


def norm(r):
    out = {"version": r.get("version", 0)}
    if r.get("sealed"):
        out["sealed"] = r["sealed"]
    if r.get("lease"):
        out["lease"] = r["lease"]
    return out


def write_case(comment, record, expected, sealed):
    r = norm(record)
    if expected == r["version"]:
        r = dict(r, version=r["version"] + 1, sealed=sealed)
        written = True
    else:
        written = False
    return valid(comment, {"record": record, "expected_version": expected, "sealed": sealed},
                 {"record": r, "written": written, "version": r["version"]}) | {"op": "store_write"}


def main():
    held = {"version": 3, "sealed": "gstauth-session.v1.k1.gstn.x.y", "lease": {"holder": "host-a:1", "expires_at_ms": T0 + 10 * S}}
    tests = [
        valid("ids for a GSTN session", {"provider": "gstn", "account": "27AAACR5055K1Z7/taxpayer1"},
              keys("gstn", "27AAACR5055K1Z7/taxpayer1")) | {"op": "store_keys"},
        valid("another provider, same account: another record", {"provider": "nic_einvoice", "account": "27AAACR5055K1Z7/taxpayer1"},
              keys("nic_einvoice", "27AAACR5055K1Z7/taxpayer1")) | {"op": "store_keys"},
        valid("an account with braces stays inside the hash tag", {"provider": "oauth_client_credentials", "account": "{tenant}/client"},
              keys("oauth_client_credentials", "{tenant}/client")) | {"op": "store_keys"},
        invalid("an unknown provider", {"provider": "smtp", "account": "a"}, "config_invalid", flags=["malformed"]) | {"op": "store_keys"},
        invalid("an empty account", {"provider": "gstn", "account": ""}, "invalid_input") | {"op": "store_keys"},
        lease_case("take a free lease", {"version": 0}, "take", "host-a:1", 10 * S, T0),
        lease_case("take a held lease: refused", held, "take", "host-b:7", 10 * S, T0 + 10 * S - 1),
        lease_case("take at the instant it expires: granted", held, "take", "host-b:7", 10 * S, T0 + 10 * S),
        lease_case("the holder takes again: renewed", held, "take", "host-a:1", 10 * S, T0 + 5 * S),
        lease_case("extend by the holder", held, "extend", "host-a:1", 30 * S, T0 + 9 * S),
        lease_case("extend by another: refused", held, "extend", "host-b:7", 30 * S, T0 + 9 * S),
        lease_case("extend an expired lease: refused (a stalled holder lost it)", held, "extend", "host-a:1", 30 * S, T0 + 10 * S),
        lease_case("extend a free lease: refused", {"version": 3}, "extend", "host-a:1", 30 * S, T0),
        lease_case("release by the holder", held, "release", "host-a:1", 0, T0 + 1),
        lease_case("release by another: nothing changes", held, "release", "host-b:7", 0, T0 + 1),
        invalid("a lease shorter than a second", {"record": {"version": 0}, "action": "take", "holder": "h", "ttl_ms": 999, "now_ms": T0},
                "invalid_input") | {"op": "store_lease"},
        invalid("a lease longer than ten minutes", {"record": {"version": 0}, "action": "take", "holder": "h", "ttl_ms": 600001, "now_ms": T0},
                "invalid_input") | {"op": "store_lease"},
        invalid("a holder with a space", {"record": {"version": 0}, "action": "take", "holder": "h 1", "ttl_ms": 1000, "now_ms": T0},
                "invalid_input") | {"op": "store_lease"},
        invalid("an unknown action", {"record": {"version": 0}, "action": "steal", "holder": "h", "ttl_ms": 1000, "now_ms": T0},
                "invalid_input", flags=["malformed"]) | {"op": "store_lease"},
        write_case("the first write", {"version": 0}, 0, "sealed-1"),
        write_case("a write at the version read", held, 3, "sealed-4"),
        write_case("a write from a stale version is refused (fencing)", held, 2, "sealed-stale"),
        write_case("a write from a version not yet reached is refused", held, 4, "sealed-future"),
        invalid("nothing to write", {"record": {"version": 1}, "expected_version": 1, "sealed": ""}, "invalid_input") | {"op": "store_write"},
    ]
    write("store", None, "The shared session store: the names of a session's record, the file store's refresh lease and "
          "its compare-and-set on the version.", "testdata/gen/store_vectors.py: the rules of core/store.go and "
          "docs/hosts.md rewritten in Python; ids from hashlib; never from gstauth's output.",
          ["core/store.go", "docs/hosts.md (Many processes)"], tests)


if __name__ == "__main__":
    main()
