"""The shared session store (docs/hosts.md, "Many processes"): the file store across real processes, the Redis store
against real redis-server instances (one node and a three-node cluster), and the fleet's rules on top of sessions:
one refresh at the margin while the others do not wait, bounded waits, a stale write refused, a killed lease holder
replaced after the lease's ttl, sealing keys rotated, every write made under the lease (a rejection not written
while another worker holds it, a refused write retried or written over, one holder per session object), a record
the keyring cannot open not renewed over."""
import dataclasses
import fcntl
import json
import logging
import multiprocessing as mp
import os
import re
import signal
import threading
import time
import urllib.parse

import pytest

import gstauth
from gstauth.store import Fleet, Record, Store, StoreUnavailable, Written, open_store
from gstauth.store.file import FileStore

import fleet_helpers as fh
from fleet_helpers import EXPIRED_MS, KEYS, MARGIN_MS, ROTATED

SPAWN = mp.get_context("spawn")


# --- stores ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def redis_server():
    srv = fh.ScriptRedis("python-store")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def redis_cluster():
    c = fh.ScriptRedis("python-store-cluster", cluster=True)
    yield c
    c.stop()


def _flush(url):
    st = open_store(url)
    try:
        if url.startswith("redis-cluster://"):
            st.client.flushall(target_nodes="primaries")
        else:
            st.client.flushall()
    finally:
        st.close()


@pytest.fixture(params=["file", "redis", "cluster"])
def store_url(request, tmp_path):
    """Each test's empty store: a directory, or a flushed Redis (e2e/scripts/redis.sh): one server, or a three-node
    Redis Cluster."""
    if request.param == "file":
        return f"file:{tmp_path}/store"
    url = request.getfixturevalue("redis_server" if request.param == "redis" else "redis_cluster").url
    _flush(url)
    return url


@pytest.fixture
def server():
    srv = fh.TokenServer()
    yield srv
    srv.close()


def test_store_rules(store_url):
    """The same answers from both stores: the lease (take, extend, release, expiry) and the compare-and-set."""
    st = open_store(store_url)
    k = st.keys("gstn", "27AAACR5055K1Z7/user")
    assert k.file.endswith(".json") and "{" + k.id + "}" in k.session and "{" + k.id + "}" in k.lease
    assert st.read(k) == Record(0, "")
    assert st.lease(k, "take", "a:1", 1000) and not st.lease(k, "take", "b:1", 1000)
    assert st.lease(k, "take", "a:1", 1000), "taking one's own lease renews it"
    assert st.lease(k, "extend", "a:1", 1000) and not st.lease(k, "extend", "b:1", 1000)
    assert not st.lease(k, "release", "b:1") and st.lease(k, "release", "a:1")
    assert not st.lease(k, "extend", "a:1", 1000), "a released lease cannot be extended"
    assert st.lease(k, "take", "b:1", 1000)
    time.sleep(1.1)
    assert st.lease(k, "take", "a:1", 1000), "an expired lease is taken over"
    assert not st.lease(k, "extend", "b:1", 1000) and not st.lease(k, "release", "b:1")
    assert st.write(k, 0, "s1") == Written(True, 1)
    assert st.write(k, 0, "s2") == Written(False, 1), "a stale version is refused"
    assert st.write(k, 1, "s2") == Written(True, 2) and st.read(k) == Record(2, "s2")
    other = st.keys("gstn", "another")
    assert st.read(other) == Record(0, "") and st.lease(other, "take", "b:1", 1000)
    st.close()


def test_file_store_writes_atomically_and_locks(tmp_path):
    st = FileStore(str(tmp_path))
    k = st.keys("nic_einvoice", "x")
    st.lease(k, "take", "a:1", 5000)
    st.write(k, 0, "sealed")
    rec = st.record(k)
    assert rec["version"] == 1 and rec["sealed"] == "sealed" and rec["lease"]["holder"] == "a:1"
    names = sorted(os.listdir(tmp_path))
    assert names == [k.file, k.file + ".lock"], names  # no temporary file left behind
    assert oct(os.stat(tmp_path / k.file).st_mode & 0o777) == "0o600"
    # 8 threads x 25 increments through the lock: none lost.
    def bump():
        for _ in range(25):
            while True:
                v = st.read(k).version
                if st.write(k, v, f"v{v + 1}").written:
                    break
    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert st.read(k).version == 201


def test_redis_store_reloads_scripts_after_noscript(redis_server):
    _flush(redis_server.url)
    st = open_store(redis_server.url)
    k = st.keys("gstn", "a")
    assert st.write(k, 0, "s1").written
    st.client.script_flush()
    assert st.read(k) == Record(1, "s1"), "EVAL after NOSCRIPT"
    assert st.client.script_exists(*[__import__("gstauth.store._scripts", fromlist=["x"]).script("read")[1]])[0]
    st.close()


def _assert_store_unavailable(e):
    """The core's store_unavailable: the store's own class and the generated one, retryable."""
    assert isinstance(e, StoreUnavailable) and isinstance(e, gstauth.StoreUnavailable), repr(e)
    assert e.code == "store_unavailable" and e.retryable, repr(e)
    assert gstauth.ERRORS["store_unavailable"] is gstauth.StoreUnavailable


def test_redis_store_unreachable_is_store_unavailable():
    st = open_store(f"redis://127.0.0.1:{fh.free_port()}", socket_connect_timeout=0.5)
    k = st.keys("gstn", "a")
    for call in (lambda: st.read(k), lambda: st.lease(k, "take", "a:1", 1000), lambda: st.write(k, 0, "s")):
        with pytest.raises(gstauth.StoreUnavailable) as e:
            call()
        _assert_store_unavailable(e.value)


def test_file_store_lock_held_past_its_timeout_is_store_unavailable(tmp_path):
    st = FileStore(str(tmp_path), lock_timeout=0.2)
    k = st.keys("gstn", "a")
    fd = os.open(st.path(k) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process's lock, as far as the store can tell
        t0 = time.monotonic()
        with pytest.raises(gstauth.StoreUnavailable) as e:
            st.write(k, 0, "s")
        _assert_store_unavailable(e.value)
        assert 0.2 <= time.monotonic() - t0 < 5 and "timed out" in e.value.message
    finally:
        os.close(fd)
    assert st.write(k, 0, "s").written, "the lock released: the write is made"


def test_file_store_whose_directory_is_gone_is_store_unavailable(tmp_path):
    st = FileStore(str(tmp_path / "records"))
    k = st.keys("gstn", "a")
    os.rmdir(tmp_path / "records")
    (tmp_path / "records").write_bytes(b"")  # a file where the directory was: nothing can be read or written
    for call in (lambda: st.read(k), lambda: st.lease(k, "take", "a:1", 1000), lambda: st.write(k, 0, "s")):
        with pytest.raises(StoreUnavailable) as e:
            call()
        _assert_store_unavailable(e.value)


# --- one session, many processes ------------------------------------------------------------------------

def _seed(store_url, server):
    """The fleet's session, logged in once (tok-1, version 1)."""
    s = fh.session(server.url, fh.fleet(store_url, "seed:1"))
    assert s.ensure() == "tok-1" and s.store_version == 1
    return s


def _run_children(store_url, server, n, offset_ms, ttl_ms=10_000, wait_timeout=20.0):
    barrier, results = SPAWN.Barrier(n), SPAWN.Queue()
    procs = [SPAWN.Process(target=fh.ensure_in_child, args=(store_url, server.url, f"w{i}:{i}", offset_ms, ttl_ms,
                                                             wait_timeout, barrier, results)) for i in range(n)]
    for p in procs:
        p.start()
    try:
        out = fh.collect(results, n)
    finally:
        for p in procs:
            p.join(30)
    for r in out:
        assert "error" not in r or r["error"] is None, fh.dump(out)
    return out


N = 6


def test_one_refresh_at_the_margin_others_do_not_wait(store_url, server):
    """N processes find the token due at once: one takes the lease and refreshes (slowly); the others keep using
    the still-valid token without waiting; the server sees one refresh."""
    _seed(store_url, server)
    server.delay = 1.0
    out = _run_children(store_url, server, N, MARGIN_MS)
    refreshers = [r for r in out if r["exchanges"]]
    assert server.issued == 2, fh.dump(out)
    assert len(refreshers) == 1 and refreshers[0]["exchanges"] == 1 and refreshers[0]["token"] == "tok-2"
    assert refreshers[0]["elapsed"] >= 1.0
    for r in out:
        if r is not refreshers[0]:
            # It answered with the still-valid token before the refresh ended (or, on a machine so busy that it
            # came late, read the new one): it never waited.
            assert r["waits"] == 0 and r["leases"] == 0, fh.dump(out)
            assert (r["token"] == "tok-1" and r["done_at"] < refreshers[0]["done_at"]) or r["token"] == "tok-2", \
                f"a process waited for the refresh: {fh.dump(out)}"
    assert fh.record_of(store_url)["version"] == 2


def test_renewal_once_and_the_others_wait_bounded(store_url, server):
    """The token is unusable (expired) in N processes: one renews, the others wait for it and use its token."""
    _seed(store_url, server)
    server.delay = 0.7
    out = _run_children(store_url, server, N, EXPIRED_MS)
    assert server.issued == 2, fh.dump(out)
    assert [r["token"] for r in out] == ["tok-2"] * N, fh.dump(out)
    assert sum(r["exchanges"] for r in out) == 1
    waiters = [r for r in out if not r["exchanges"]]
    assert all(r["waits"] <= 1 and r["elapsed"] < 10 for r in waiters), fh.dump(out)
    assert any(r["waits"] == 1 for r in waiters), "nobody waited for the renewal"


def test_a_wait_for_a_stuck_holder_is_bounded(store_url, server, caplog):
    _seed(store_url, server)
    st = open_store(store_url)
    assert st.lease(st.keys("oauth_client_credentials", "client-1"), "take", "stuck:1", 30_000)
    s = fh.session(server.url, fh.fleet(store_url, "me:1"), EXPIRED_MS, wait_timeout=1.0)
    t0 = time.monotonic()
    with caplog.at_level(logging.INFO, logger="gstauth.fleet"), pytest.raises(gstauth.TokenExpired) as e:
        s.ensure()
    assert 1.0 <= time.monotonic() - t0 < 5
    assert "waited" in str(e.value) and server.issued == 1
    assert s.fleet_stats.waits == 1 and s.fleet_stats.waited_ms >= 1000
    assert any("waiting for its renewal" in r.getMessage() for r in caplog.records), "the wait is not visible"
    st.close()


def test_a_stale_write_is_refused(store_url, server):
    """A's lease expires while its refresh stalls; B takes the lease and writes; A's late write is refused and A
    opens B's session."""
    _seed(store_url, server)
    started, proceed = threading.Event(), threading.Event()

    def slow_send(req):
        started.set()
        assert proceed.wait(30)  # A stalls past its 1 s lease, until B has written
        return fh.http_send(req)

    a = fh.session(server.url, fh.fleet(store_url, "a:1", ttl_ms=1000), EXPIRED_MS, send=slow_send)
    b = fh.session(server.url, fh.fleet(store_url, "b:1", ttl_ms=1000), EXPIRED_MS)
    got = {}
    t = threading.Thread(target=lambda: got.setdefault("a", a.ensure()))
    t.start()
    assert started.wait(10)
    time.sleep(1.2)
    try:
        assert b.ensure() == "tok-2" and b.fleet_stats.writes == 1
    finally:
        proceed.set()
        t.join(30)
    assert server.issued == 3, "A's refresh was made (and its answer fenced off)"
    assert got["a"] == "tok-2" and a.access_token == "tok-2"
    assert a.fleet_stats.writes_refused == 1 and a.fleet_stats.writes == 0 and a.store_version == 2
    assert fh.record_of(store_url)["version"] == 2


def test_a_killed_lease_holder_is_replaced_after_the_ttl(store_url, server):
    _seed(store_url, server)
    server.hold = 2  # the first refresh (the seed's token was request 1) never gets an answer
    barrier, results = SPAWN.Barrier(1), SPAWN.Queue()
    victim = SPAWN.Process(target=fh.ensure_in_child, args=(store_url, server.url, "victim:1", EXPIRED_MS, 3000,
                                                            20.0, barrier, results))
    victim.start()
    try:
        server.arrived.clear()
        deadline = time.monotonic() + 30
        while server.token_requests < 2:
            assert time.monotonic() < deadline and victim.is_alive(), "the victim never sent its refresh"
            time.sleep(0.02)
        killed_at = time.monotonic()
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(10)
    finally:
        if victim.is_alive():
            victim.kill()
    s = fh.session(server.url, fh.fleet(store_url, "heir:1"), EXPIRED_MS, wait_timeout=15.0)
    assert s.ensure() == "tok-2"
    took = time.monotonic() - killed_at
    assert took < 3 + 5, f"took over after {took:.1f} s (lease ttl 3 s)"
    assert s.fleet_stats.waits == 1 and s.fleet_stats.waited_ms > 0, "the heir found the lease free at once"
    assert s.fleet_stats.exchanges == 1 and s.store_version == 2
    assert server.issued == 2, "the killed holder's request was never answered"


def test_sealing_keys_rotate(store_url, server, caplog):
    old = fh.session(server.url, fh.fleet(store_url, "old:1", keys={"k1": KEYS["k1"]}))
    assert old.ensure() == "tok-1" and fh.record_of(store_url)["key_id"] == "k1"
    new = fh.session(server.url, fh.fleet(store_url, "new:1", keys=ROTATED), EXPIRED_MS)
    assert new.access_token == "tok-1", "the new keyring opens the old key's session"
    assert new.ensure() == "tok-2"
    rec = fh.record_of(store_url)
    assert rec["version"] == 2 and rec["key_id"] == "k2", "sealed with the new key"
    other = fh.session(server.url, fh.fleet(store_url, "other:1", keys=ROTATED))
    assert other.access_token == "tok-2" and other.store_version == 2
    with caplog.at_level(logging.ERROR, logger="gstauth.fleet"):
        assert not old.sync(), "a worker without the new key cannot open it"
    assert old.access_token == "tok-1" and old.fleet_stats.store_errors == 1
    assert any("cannot open the stored version 2" in r.getMessage() for r in caplog.records)


def test_a_rejection_is_shared_and_reapplied(store_url, server):
    a = _seed(store_url, server)
    b = fh.session(server.url, fh.fleet(store_url, "b:1"))
    c = fh.session(server.url, fh.fleet(store_url, "c:1"))
    server.oauth.revoke()
    leases = a.fleet_stats.leases
    r = a.request("GET", server.url + "/api")
    assert r.status == 200 and r.observation.ok and server.issued == 2
    assert a.store_version == 3, "the rejection (version 2), then the renewal (version 3)"
    assert a.fleet_stats.leases == leases + 2, "each written under the lease"
    assert b.ensure() == "tok-2" and b.fleet_stats.exchanges == 0 and b.store_version == 3
    # C still holds version 1 when its call with tok-1 is rejected: the store is newer, the rejection of a token
    # the newer session no longer uses changes nothing, and nothing is written.
    seen = c.observe(gstauth.Response(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}),
                     sent_at_ms=fh.Clock()(), access_token="tok-1")
    assert seen.outcome == "reauthenticate"
    assert c.access_token == "tok-2" and c.store_version == 3 and not c.state.get("rejected")
    assert c.fleet_stats.leases == 1, "the rejection is read and applied under the lease"
    assert c.fleet_stats.writes == 0 and c.fleet_stats.writes_refused == 0 and fh.record_of(store_url)["version"] == 3
    assert c.ensure() == "tok-2" and server.issued == 2


# --- every write under the lease ---------------------------------------------------------------------------

REJECTED = gstauth.Response(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _stalled_send():
    """A send that blocks until released (a refresh in flight), and the events to follow it."""
    started, proceed = threading.Event(), threading.Event()

    def send(req):
        started.set()
        assert proceed.wait(30)
        return fh.http_send(req)
    return send, started, proceed


def _in_thread(fn):
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # reported by the test
            out["error"] = e
    t = threading.Thread(target=run)
    t.start()
    return t, out


def _stored_session(store_url, keys=KEYS, provider="oauth_client_credentials"):
    st = open_store(store_url)
    try:
        rec = st.read(st.keys(provider, "client-1" if provider == "oauth_client_credentials" else "user-1"))
    finally:
        st.close()
    return gstauth.Session.open(rec.sealed, keys, provider=provider)


def test_a_rejection_seen_while_another_worker_refreshes_is_not_written(store_url, server):
    """A holds the lease mid-refresh when B's call with the old token is rejected (a provider that ends the old
    token as it issues the new one): B writes nothing, since A's write carries the result; B's token loop waits for
    A's renewal; A's write is not refused and its new token is not lost to a second login."""
    _seed(store_url, server)
    send, started, proceed = _stalled_send()
    a = fh.session(server.url, fh.fleet(store_url, "a:1"), MARGIN_MS, send=send)
    b = fh.session(server.url, fh.fleet(store_url, "b:1"))
    ta, got_a = _in_thread(a.ensure)
    tb = None
    try:
        assert started.wait(10), "A never sent its refresh"
        seen = b.observe(REJECTED, sent_at_ms=fh.Clock()(), access_token="tok-1")
        assert seen.outcome == "reauthenticate" and b.plan()["action"] == "renew", "marked here"
        assert fh.record_of(store_url)["version"] == 1, "nothing written while A holds the lease"
        tb, got_b = _in_thread(b.ensure)
        deadline = time.monotonic() + 10
        while b.fleet_stats.waits == 0:
            assert time.monotonic() < deadline, "B did not wait for A's renewal"
            time.sleep(0.02)
    finally:
        proceed.set()
        ta.join(30)
        if tb is not None:
            tb.join(30)
    assert got_a == {"value": "tok-2"} and got_b == {"value": "tok-2"}, (got_a, got_b)
    assert a.fleet_stats.writes == 1 and a.fleet_stats.writes_refused == 0, a.fleet_stats
    assert b.fleet_stats.exchanges == 0 and b.fleet_stats.writes == 0 and b.store_version == 2
    assert server.issued == 2, "one refresh, no second login"
    assert fh.record_of(store_url)["version"] == 2 and _stored_session(store_url).access_token == "tok-2"
    assert b.fleet_stats.rejections_unwritten == 1


def test_a_refresh_is_written_over_a_rejection_stored_without_the_lease(store_url, server):
    """A host that stores a rejection of the old token without the lease (one not following the rules) while A
    refreshes: A's write is refused, and since the newer record still holds the token A's refresh replaced, A writes
    over it instead of losing its new token."""
    _seed(store_url, server)
    send, started, proceed = _stalled_send()
    a = fh.session(server.url, fh.fleet(store_url, "a:1"), MARGIN_MS, send=send)
    ta, got = _in_thread(a.ensure)
    try:
        assert started.wait(10)
        other = _stored_session(store_url)
        other.observe(REJECTED, sent_at_ms=fh.Clock()(), access_token="tok-1")
        assert other.plan()["action"] == "renew"
        st = open_store(store_url)
        try:
            assert st.write(st.keys("oauth_client_credentials", "client-1"), 1, other.seal(KEYS["k1"], "k1")).written
        finally:
            st.close()
    finally:
        proceed.set()
        ta.join(30)
    assert got == {"value": "tok-2"}, got
    assert server.issued == 2, "no renewal after the refresh"
    assert a.store_version == 3 and fh.record_of(store_url)["version"] == 3
    stored = _stored_session(store_url)
    assert stored.access_token == "tok-2" and stored.plan()["action"] == "use"
    s = a.fleet_stats
    assert s.writes_refused == 1 and s.writes_over == 1 and s.writes == 1, s


def test_a_refresh_fenced_by_a_newer_token_is_not_written_over(store_url, server):
    """The write-over is only for a record that still holds the replaced token: a newer token stored meanwhile (a
    lease that expired under a stall) fences the refresh off."""
    _seed(store_url, server)
    send, started, proceed = _stalled_send()
    a = fh.session(server.url, fh.fleet(store_url, "a:1", ttl_ms=1000), MARGIN_MS, send=send)
    b = fh.session(server.url, fh.fleet(store_url, "b:1", ttl_ms=1000), EXPIRED_MS)
    ta, got = _in_thread(a.ensure)
    try:
        assert started.wait(10)
        time.sleep(1.2)
        assert b.ensure() == "tok-2"
    finally:
        proceed.set()
        ta.join(30)
    assert got == {"value": "tok-2"} and a.fleet_stats.writes_over == 0 and a.fleet_stats.writes_refused == 1
    assert fh.record_of(store_url)["version"] == 2


AUTH_CODE = {"auth_url": "https://id.example/auth", "token_url": "https://id.example/token", "client_id": "app",
             "redirect_uri": "https://app.example/cb", "scope": "read"}


def _authorization_code_session(fleet, tokens):
    """An authorization-code session without a refresh token: a rejected token needs a person, as GSTN's does.
    Its token endpoint answers the tokens' next name."""
    def send(req):
        return gstauth.Response(200, {"Content-Type": "application/json"},
                                json.dumps({"access_token": next(tokens), "token_type": "Bearer", "expires_in": 3600}))
    return gstauth.AuthorizationCodeSession("user-1", AUTH_CODE, credentials={"client_secret": "s3cret"}, send=send,
                                            fleet=fleet, wait_timeout=20.0)


def _authorize(s):
    state = urllib.parse.parse_qs(urllib.parse.urlparse(s.authorization_url()).query)["state"][0]
    s.complete(f"{AUTH_CODE['redirect_uri']}?code=c&state={state}")


def test_a_failure_from_an_unwritten_rejection_waits_for_the_lease_holder(store_url):
    """A call's token is rejected, and the session cannot renew it without a person (GSTN, whose old token another
    worker's refresh in flight has just ended), while another worker holds the lease: the rejection is not written
    and the session, rather than failing at once, waits for the holder's write and goes on from it. When the holder
    releases the lease having written nothing, the rejection stands: it is written under the lease and raised."""
    tokens = iter(f"ac-{i}" for i in range(1, 10))
    a = _authorization_code_session(fh.fleet(store_url, "a:1"), tokens)
    _authorize(a)
    b = _authorization_code_session(fh.fleet(store_url, "b:1"), tokens)
    assert a.access_token == b.access_token == "ac-1" and b.store_version == 1
    st = open_store(store_url)
    k = st.keys("oauth_authorization_code", "user-1")
    try:
        assert st.lease(k, "take", "holder:1", 30_000)
        b.observe(REJECTED, sent_at_ms=fh.Clock()(), access_token="ac-1")
        assert b.plan()["action"] == "user_action" and st.read(k).version == 1
        t, got = _in_thread(b.ensure)
        deadline = time.monotonic() + 10
        while b.fleet_stats.waits == 0:
            assert time.monotonic() < deadline and t.is_alive(), f"B did not wait for the holder: {got}"
            time.sleep(0.02)
        # The holder stores a new session (ac-2) and releases the lease.
        c = _authorization_code_session(None, tokens)
        _authorize(c)
        assert st.write(k, 1, c.seal(KEYS["k1"], "k1")).written and st.lease(k, "release", "holder:1")
        t.join(10)
        assert got == {"value": "ac-2"}, got
        assert b.store_version == 2 and b.fleet_stats.writes == 0 and b.fleet_stats.exchanges == 0

        assert st.lease(k, "take", "holder:1", 30_000)
        b.observe(REJECTED, sent_at_ms=fh.Clock()(), access_token="ac-2")
        t, got = _in_thread(b.ensure)
        deadline = time.monotonic() + 10
        while b.fleet_stats.waits == 1:
            assert time.monotonic() < deadline and t.is_alive(), f"B did not wait for the holder: {got}"
            time.sleep(0.02)
        assert st.lease(k, "release", "holder:1")  # nothing written
        t.join(10)
        assert isinstance(got.get("error"), gstauth.UserActionRequired), got
        assert b.fleet_stats.writes == 1 and st.read(k).version == 3, "the rejection, written under the lease"
        assert _stored_session(store_url, provider="oauth_authorization_code").plan()["action"] == "user_action"
        with pytest.raises(gstauth.UserActionRequired):
            a.ensure()  # one signal for the fleet
    finally:
        st.close()


class Interloper(Store):
    """A store where another host writes the record again (the same session, a newer version) just before each
    of this process's next ``interpose`` writes."""

    def __init__(self, inner):
        self.inner = inner
        self.interpose = 0

    def read(self, keys):
        return self.inner.read(keys)

    def lease(self, keys, action, holder, ttl_ms=0):
        return self.inner.lease(keys, action, holder, ttl_ms)

    def write(self, keys, expected_version, sealed):
        if self.interpose:
            self.interpose -= 1
            rec = self.inner.read(keys)
            assert self.inner.write(keys, rec.version, rec.sealed).written
        return self.inner.write(keys, expected_version, sealed)

    def close(self):
        self.inner.close()


@pytest.mark.parametrize("refusals", [1, 5])
def test_a_refused_rejection_is_reapplied_a_bounded_number_of_times(store_url, server, refusals):
    _seed(store_url, server)
    store = Interloper(open_store(store_url))
    b = fh.session(server.url, Fleet(store, KEYS, holder="b:1", poll_interval=0.05))
    store.interpose = refusals
    b.observe(REJECTED, sent_at_ms=fh.Clock()(), access_token="tok-1")
    assert b.plan()["action"] == "renew", "the rejection stays marked here whatever the store did"
    stored = _stored_session(store_url)
    if refusals == 1:
        assert b.fleet_stats.writes_refused == 1 and b.fleet_stats.writes == 1
        assert stored.plan()["action"] == "renew", "written on the newer record"
        assert fh.record_of(store_url)["version"] == 3 and b.store_version == 3
    else:
        assert b.fleet_stats.writes_refused == 3 and b.fleet_stats.writes == 0, "three attempts, then no more"
        assert stored.plan()["action"] == "use" and fh.record_of(store_url)["version"] == 4
        store.interpose = 0
    assert b.ensure() == "tok-2" and server.issued == 2 and b.fleet_stats.exchanges == 1


def test_each_session_object_takes_the_lease_under_its_own_name(store_url, server):
    """Two session objects of one account in one process, on one Fleet with the default holder: each has a name of
    its own (host:pid:random), so while one refreshes under the lease the other's take is refused, not granted
    again."""
    _seed(store_url, server)
    fleet = Fleet(open_store(store_url), KEYS, lease_ttl_ms=10_000, poll_interval=0.05)
    send, started, proceed = _stalled_send()
    a = fh.session(server.url, fleet, MARGIN_MS, send=send)
    b = fh.session(server.url, fleet, MARGIN_MS)
    ta, got = _in_thread(a.ensure)
    try:
        assert started.wait(10)
        assert b.ensure() == "tok-1", "the still-valid token: the lease is the other object's"
        assert b.fleet_stats.leases_refused == 1 and b.fleet_stats.exchanges == 0
    finally:
        proceed.set()
        ta.join(30)
    assert got == {"value": "tok-2"} and server.issued == 2
    pattern = re.compile(r"^[A-Za-z0-9_.@/-]+:%d:[0-9a-f]{8}$" % os.getpid())
    assert pattern.match(a.lease_holder) and pattern.match(b.lease_holder) and a.lease_holder != b.lease_holder
    assert fleet.holder is None


def test_a_record_the_keyring_cannot_open_is_not_renewed_over(store_url, server, caplog):
    """A worker whose keyring lacks the key of a newer record keeps using its own valid token (no refresh over the
    record) and, once that token is unusable, raises the keyring's error: it neither renews nor logs in over it."""
    old = fh.session(server.url, fh.fleet(store_url, "old:1", keys={"k1": KEYS["k1"]}))
    assert old.ensure() == "tok-1"
    new = fh.session(server.url, fh.fleet(store_url, "new:1", keys=ROTATED), EXPIRED_MS)
    assert new.ensure() == "tok-2" and fh.record_of(store_url)["key_id"] == "k2"
    before = dataclasses.replace(old.fleet_stats)
    old.clock.offset_ms = MARGIN_MS
    with caplog.at_level(logging.ERROR, logger="gstauth.fleet"):
        assert old.ensure() == "tok-1", "its own token while valid"
    assert any("cannot open the stored version 2" in r.getMessage() for r in caplog.records)
    assert old.fleet_stats.leases == before.leases and old.fleet_stats.exchanges == before.exchanges
    old.clock.offset_ms = EXPIRED_MS
    with pytest.raises(gstauth.GstAuthError) as e:
        old.ensure()
    assert "cannot be opened with this process's keyring" in str(e.value) and e.value.code != "token_expired"
    with pytest.raises(gstauth.GstAuthError) as e2:
        old.exchange("client_credentials")
    assert e2.value.code == e.value.code
    assert old.fleet_stats.exchanges == before.exchanges and old.fleet_stats.writes == before.writes
    assert server.issued == 2 and fh.record_of(store_url)["version"] == 2
    assert new.ensure() == "tok-2", "the fleet's session is intact"


def test_an_exchange_is_made_under_the_lease_and_written(store_url, server):
    s = fh.session(server.url, fh.fleet(store_url, "login:1"))
    s.exchange("client_credentials")
    assert s.access_token == "tok-1" and s.store_version == 1 and s.fleet_stats.leases == 1
    other = fh.session(server.url, fh.fleet(store_url, "other:1"))
    assert other.access_token == "tok-1"
    st = open_store(store_url)
    assert st.lease(st.keys("oauth_client_credentials", "client-1"), "take", "x:1", 1000), "the lease was released"
    st.close()


def test_a_session_goes_on_while_redis_is_down(server, redis_server):
    """Redis stops: a still-valid token is used; an unusable one waits, bounded; Redis comes back (its data kept)
    and the session writes again. (A server of the test's own, down exactly as long as the test needs.)"""
    srv = fh.RedisServer(persist=True)
    try:
        s = _seed(srv.url, server)
        srv.stop()
        s.clock.offset_ms = MARGIN_MS
        assert s.ensure() == "tok-1", "no lease to be had: the still-valid token"
        assert s.fleet_stats.store_errors >= 1 and server.issued == 1
        s.clock.offset_ms = EXPIRED_MS
        s.wait_timeout = 1.0
        t0 = time.monotonic()
        with pytest.raises(gstauth.TokenExpired):
            s.ensure()
        assert time.monotonic() - t0 < 6
        srv.start()
        assert s.ensure() == "tok-2" and s.store_version == 2 and server.issued == 2
    finally:
        srv.stop()


def test_the_store_going_back_is_rewritten(tmp_path, server):
    url = f"file:{tmp_path}"
    s = _seed(url, server)
    for name in os.listdir(tmp_path):
        os.unlink(tmp_path / name)
    assert not s.sync() and s.ensure() == "tok-1"
    assert fh.record_of(url)["version"] == 1, "the session was written again"


def test_fleet_checks_its_arguments(tmp_path):
    st = FileStore(str(tmp_path))
    with pytest.raises(gstauth.InvalidInput):
        Fleet(st, KEYS, holder="has space")
    with pytest.raises(gstauth.InvalidInput):
        Fleet(st, KEYS, lease_ttl_ms=500)
    with pytest.raises(TypeError):
        Fleet(st, {})
    with pytest.raises(TypeError):
        Fleet(st, KEYS, seal_key_id="nope")
    f = Fleet(st, ROTATED)
    assert f.seal_key_id == "k2" and f.holder is None, "each session object names itself"
    assert Fleet(st, KEYS, holder="app:1").holder == "app:1"


def test_send_failures_in_the_token_loop(server):
    """A refresh that gets no response keeps the still-valid token (the core backs off); a renewal that gets none
    raises the core's error with the send's error as cause."""
    def broken(req):
        raise ConnectionError("connection reset")
    s = fh.session(server.url, None)
    assert s.ensure() == "tok-1"
    s.send = broken
    s.clock.offset_ms = MARGIN_MS
    assert s.ensure() == "tok-1" and s.state.get("retry_not_before_ms")
    fresh = fh.session(server.url, None, send=broken)
    with pytest.raises(gstauth.GstAuthError) as e:
        fresh.ensure()
    assert isinstance(e.value.__cause__, ConnectionError)


def test_a_failed_call_that_changes_no_plan_is_not_written(tmp_path, server):
    """A provider error (or anything but a rejection) changes at most the measured skew: nothing for the fleet."""
    from email.utils import formatdate
    url = f"file:{tmp_path}"
    s = _seed(url, server)
    for _ in range(3):
        seen = s.observe(gstauth.Response(404, {"Date": formatdate(time.time() + 90, usegmt=True)}, "{}"),
                         sent_at_ms=fh.Clock()())
        assert seen.outcome == "provider_error"
    assert s.state.get("skew_ms"), "the skew was measured"
    assert s.fleet_stats.writes == 1 and fh.record_of(url)["version"] == 1
