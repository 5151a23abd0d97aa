// Sessions shared through a store, in one process with several sessions of their own holders (each as another
// process would be; the file store locks per open file, so they exclude each other as processes do): the fencing
// of a stalled lease holder, sealing-key rotation, a failing or silent store, a rejection seen by one session
// and renewed once for all, steps and save() written under the lease, misuse. The cross-process proofs are in
// store-file.test.js and store-redis.test.js.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';

import * as gstauth from '../src/index.js';
import { BACKENDS } from './support.js';
import { KEY1, KEY2 } from './shared-support.js';

const { AuthorizationCodeSession, FileStore, OAuthClientCredentialsSession, Session } = gstauth;
const T0 = 1_767_225_600_000;
const DUE = T0 + 3600_000 - 4 * 60_000; // tok-1 valid, inside its refresh margin
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gstauth-shared-'));

/** A token endpoint as a send function: tok-1, tok-2 ... (an hour), each answered after delay(n) ms. */
function endpoint(delay = () => 10) {
  const ep = {
    calls: 0,
    async send() {
      const n = ++ep.calls;
      await sleep(delay(n));
      return { status: 200, headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: `tok-${n}`, token_type: 'Bearer', expires_in: 3600 }) };
    },
  };
  return ep;
}

function clockAt(t) {
  const c = () => c.t;
  c.t = t;
  return c;
}

function member(store, ep, clock, holder, extra = {}) {
  const events = [];
  const s = new OAuthClientCredentialsSession({
    account: 'shared-client',
    config: { token_url: 'https://auth.example/token', client_id: 'shared-client' },
    credentials: { client_secret: 's3cret' },
    send: ep.send, clock, store, holder, sealKeys: [{ keyId: 'k1', key: KEY1 }], leaseTtlMs: 1000, pollIntervalMs: 20,
    onStoreEvent: (e) => events.push(e), ...extra,
  });
  s.events = events;
  return s;
}

function storedToken(store, keys, keyring = { k1: KEY1 }) {
  return store.read(keys).then((r) => Session.open(r.sealed, keyring).accessToken);
}

for (const backend of BACKENDS) {
  describe(`shared sessions on ${backend}`, () => {
    test('one renewal for sessions that share a store; a newer version is opened, not fetched again', async () => {
      const store = new FileStore(tmpDir());
      const ep = endpoint(() => 50);
      const clock = clockAt(T0);
      const [a, b, c] = ['a', 'b', 'c'].map((h) => member(store, ep, clock, h, { backend }));
      const tokens = await Promise.all([a, b, c, a, b, c].map((s) => s.ensure()));
      assert.deepEqual(new Set(tokens), new Set(['tok-1']));
      assert.equal(ep.calls, 1);
      assert.equal(a.shared.version + b.shared.version + c.shared.version, 3);
      assert.equal(a.shared.stats.exchanges + b.shared.stats.exchanges + c.shared.stats.exchanges, 1);
      clock.t = DUE;
      const due = await Promise.all([a, b, c].map((s) => s.ensure()));
      assert.equal(ep.calls, 2, 'one refresh at the margin');
      assert.equal(due.filter((t) => t === 'tok-2').length, 1, 'the refresher has the new token, the others the valid one');
      assert.deepEqual(await Promise.all([a, b, c].map((s) => s.ensure())), ['tok-2', 'tok-2', 'tok-2']);
      assert.equal((await store.read(a.shared.keys)).version, 2);
    });
  });
}

describe('shared sessions', () => {
  test('a lease holder that stalls past its lease is fenced off: its write is refused and it opens the newer session', async () => {
    const store = new FileStore(tmpDir());
    // tok-1 first; then A's refresh (tok-2) takes 1.5 s, past its 1 s lease; B's (tok-3) is quick.
    const ep = endpoint((n) => (n === 2 ? 1500 : 10));
    const clock = clockAt(T0);
    const a = member(store, ep, clock, 'a');
    const b = member(store, ep, clock, 'b');
    assert.equal(await a.ensure(), 'tok-1');
    clock.t = DUE;
    const stalled = a.ensure();
    await sleep(1200); // A's lease has expired; its refresh is still in flight
    assert.equal(await b.ensure(), 'tok-3', 'B takes the expired lease and refreshes');
    assert.equal(await stalled, 'tok-3', 'A ends up with the stored session, not its own fenced-off refresh');
    assert.equal(a.accessToken, 'tok-3');
    assert.equal(a.shared.stats.writesRefused, 1);
    assert.ok(a.events.some((e) => e.type === 'write_refused' && e.expected === 1 && e.version === 2));
    assert.equal(await storedToken(store, a.shared.keys), 'tok-3');
    assert.equal((await store.read(a.shared.keys)).version, 2);
  });

  test('a refresh is not lost to a write made without the lease that only marks the old token rejected', async () => {
    // A provider that ends the old token as it issues the new one rejects calls made with it meanwhile; a host
    // that stores such a rejection without the lease moves the record on under the refresher.
    const store = new FileStore(tmpDir());
    const ep = endpoint((n) => (n === 2 ? 300 : 10));
    const clock = clockAt(T0);
    const a = member(store, ep, clock, 'a');
    await a.ensure();
    const keys = a.shared.keys;
    clock.t = DUE;
    const refreshing = a.ensure();
    await sleep(100);
    const rec = await store.read(keys);
    const other = Session.open(rec.sealed, { k1: KEY1 }, { clock });
    await other.observe({ status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: '' },
      { accessToken: 'tok-1' });
    assert.equal(other.plan().action, 'renew');
    assert.equal((await store.write(keys, rec.version, other.seal(KEY1, 'k1'))).written, true);
    assert.equal(await refreshing, 'tok-2');
    assert.ok(a.events.some((e) => e.type === 'write_refused') && a.events.some((e) => e.type === 'write_over'));
    assert.equal((await store.read(keys)).version, 3);
    assert.equal(await storedToken(store, keys), 'tok-2');
    assert.equal(ep.calls, 2, 'no renewal after the refresh');
  });

  test('sealing keys rotate: [k1] → [k2, k1] reseals with k2 at its next write; [k2] alone then opens it', async () => {
    const store = new FileStore(tmpDir());
    const ep = endpoint();
    const clock = clockAt(T0);
    const old = member(store, ep, clock, 'old');
    await old.ensure();
    const keys = old.shared.keys;
    assert.equal(await storedToken(store, keys, { k1: KEY1 }), 'tok-1');
    const both = member(store, ep, clock, 'both', { sealKeys: [{ keyId: 'k2', key: KEY2 }, { keyId: 'k1', key: KEY1 }] });
    assert.equal(await both.ensure(), 'tok-1', 'opened with the old key');
    assert.equal(ep.calls, 1);
    clock.t = DUE;
    assert.equal(await both.ensure(), 'tok-2');
    const { sealed } = await store.read(keys);
    assert.equal(Session.open(sealed, { k2: KEY2 }).accessToken, 'tok-2', 'sealed with the new key');
    assert.throws(() => Session.open(sealed, { k1: KEY1 }), gstauth.InvalidKeyError);
    const next = member(store, ep, clock, 'next', { sealKeys: [{ keyId: 'k2', key: KEY2 }] });
    assert.equal(await next.ensure(), 'tok-2');
    // A process still on [k1] alone keeps its valid token, is told, and never renews over the newer record.
    assert.equal(await old.ensure(), 'tok-1');
    assert.ok(old.events.some((e) => e.type === 'store_error' && e.op === 'open' && e.error instanceof gstauth.InvalidKeyError));
    clock.t = T0 + 2 * 3600_000;
    await assert.rejects(old.ensure(), (e) => e instanceof gstauth.InvalidKeyError && /version 2/.test(e.message));
    assert.equal(ep.calls, 2);
  });

  test('a store that fails or does not answer: the valid token is used, refreshing waits for the store, the wait is bounded', async () => {
    const files = new FileStore(tmpDir());
    let mode = 'up';
    const flaky = {
      read: (k) => (mode === 'up' ? files.read(k) : mode === 'down' ? Promise.reject(new Error('ECONNREFUSED')) : new Promise(() => {})),
      lease: (...a) => (mode === 'up' ? files.lease(...a) : mode === 'down' ? Promise.reject(new Error('ECONNREFUSED')) : new Promise(() => {})),
      write: (...a) => (mode === 'up' ? files.write(...a) : mode === 'down' ? Promise.reject(new Error('ECONNREFUSED')) : new Promise(() => {})),
      close: async () => {},
    };
    const ep = endpoint();
    const clock = clockAt(T0);
    const s = member(flaky, ep, clock, 'a', { storeTimeoutMs: 200, waitTimeoutMs: 600 });
    assert.equal(await s.ensure(), 'tok-1');
    for (const m of ['down', 'silent']) {
      mode = m;
      const t0 = Date.now();
      assert.equal(await s.ensure(), 'tok-1', `${m}: the valid token`);
      clock.t = DUE;
      assert.equal(await s.ensure(), 'tok-1', `${m}: at the margin, no refresh without the lease`);
      assert.ok(Date.now() - t0 < 1000, `${m}: ${Date.now() - t0} ms`);
      assert.equal(ep.calls, 1);
      clock.t = T0 + 3600_000;
      const t1 = Date.now();
      await assert.rejects(s.ensure(), gstauth.TokenExpiredError, `${m}: an unusable token waits, bounded`);
      assert.ok(Date.now() - t1 >= 590 && Date.now() - t1 < 1500, `${m}: waited ${Date.now() - t1} ms`);
      clock.t = T0;
    }
    assert.ok(s.shared.stats.storeErrors > 4);
    assert.ok(s.events.some((e) => e.type === 'store_error' && /within 200 ms/.test(e.error.message)));
    // Every store failure is told as the core's store_unavailable, the store's own error as its cause.
    assert.ok(s.events.filter((e) => e.type === 'store_error').every((e) => e.error instanceof gstauth.StoreUnavailableError &&
      e.error.code === 'store_unavailable' && e.error.retryable === true && e.error.cause instanceof Error));
    assert.ok(s.events.some((e) => e.type === 'store_error' && e.error.cause.message === 'ECONNREFUSED'));
    // A change that needs the lease (save, a step) while the store does not answer: store_unavailable, bounded.
    mode = 'down';
    const t2 = Date.now();
    await assert.rejects(s.save(), (e) => e instanceof gstauth.StoreUnavailableError && e.retryable === true);
    assert.ok(Date.now() - t2 >= 590 && Date.now() - t2 < 1500, `save waited ${Date.now() - t2} ms`);
    await assert.rejects(s.exchange('client_credentials'), gstauth.StoreUnavailableError);
    assert.equal(ep.calls, 1, 'nothing sent without the lease');
    mode = 'up';
    clock.t = DUE;
    assert.equal(await s.ensure(), 'tok-2', 'the store is back: the refresh is made and stored');
    assert.equal(await storedToken(files, s.shared.keys), 'tok-2');
  });

  test('a refresh the store failed to take is written later, under the lease, if no one wrote since', async () => {
    const files = new FileStore(tmpDir());
    let failWrites = false;
    const store = { read: (k) => files.read(k), lease: (...a) => files.lease(...a), close: async () => {},
      write: (...a) => (failWrites ? Promise.reject(new Error('READONLY')) : files.write(...a)) };
    const ep = endpoint();
    const clock = clockAt(T0);
    const s = member(store, ep, clock, 'a');
    await s.ensure();
    clock.t = DUE;
    failWrites = true;
    assert.equal(await s.ensure(), 'tok-2', 'the refresh is used at once');
    assert.equal(s.shared.unsaved, true);
    assert.ok(s.events.some((e) => e.type === 'unsaved' && e.base === 1));
    failWrites = false;
    assert.equal(await s.ensure(), 'tok-2');
    assert.equal(s.shared.unsaved, false);
    assert.equal(await storedToken(files, s.shared.keys), 'tok-2');
  });

  test('a rejection seen by one session is stored, and renewed once for all', async () => {
    const store = new FileStore(tmpDir());
    const ep = endpoint();
    const clock = clockAt(T0);
    const a = member(store, ep, clock, 'a');
    const b = member(store, ep, clock, 'b');
    await a.ensure();
    await b.ensure();
    const rejected = { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: '{"error":"invalid_token"}' };
    const o = await a.observe(rejected, { accessToken: 'tok-1' });
    assert.equal(o.outcome, 'reauthenticate');
    assert.equal((await store.read(a.shared.keys)).version, 2, 'the rejection is written');
    assert.equal(await b.ensure(), 'tok-2', 'b reads the rejection and renews');
    assert.equal(await a.ensure(), 'tok-2', 'a opens b\'s renewal');
    assert.equal(ep.calls, 2);
    // The rejection of a token the store has already replaced teaches nothing and writes nothing.
    await b.observe(rejected, { accessToken: 'tok-1' });
    assert.equal((await store.read(a.shared.keys)).version, 3);
  });

  test('a call rejected while another worker holds the lease waits for that holder\'s write, even when its ensure says fail', async () => {
    // An authorization-code session without a refresh token: a rejected token needs a person, as GSTN's does (a
    // GSTN token rejected because another worker's REFRESHTOKEN has just replaced it). The rejection is not written
    // while the lease is held elsewhere; the session waits for the holder's write and goes on from it. When the
    // holder writes nothing, the rejection stands: written under the lease and thrown, one signal for the fleet.
    const store = new FileStore(tmpDir());
    const ep = endpoint();
    const clock = clockAt(T0);
    const config = { auth_url: 'https://id.example/auth', token_url: 'https://id.example/token', client_id: 'app',
      redirect_uri: 'https://app.example/cb', scope: 'read' };
    const session = (holder) => {
      const events = [];
      const s = new AuthorizationCodeSession({ account: 'user-1', config, credentials: { client_secret: 's3cret' },
        send: ep.send, clock, waitTimeoutMs: 10_000, ...(holder ? { store, holder, sealKeys: [{ keyId: 'k1', key: KEY1 }],
          pollIntervalMs: 20, onStoreEvent: (e) => events.push(e) } : {}) });
      s.events = events;
      return s;
    };
    const authorize = async (s) => {
      const state = new URL(await s.authorizationUrl()).searchParams.get('state');
      await s.complete(`${config.redirect_uri}?code=c&state=${state}`);
    };
    const rejected = { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: '' };
    /** Resolves once s has begun a wait (waits > n); fails when ensure settles first. */
    const waitingAfter = async (s, n, pending) => {
      let settled = null;
      pending.then((v) => { settled = { value: v }; }, (e) => { settled = { error: e }; });
      for (const t0 = Date.now(); s.shared.stats.waits <= n; await sleep(10)) {
        assert.equal(settled, null, `ensure did not wait for the lease holder: ${settled?.error ?? settled?.value}`);
        assert.ok(Date.now() - t0 < 5000, 'no wait began');
      }
    };

    const a = session('a');
    await authorize(a);
    const b = session('b');
    assert.equal(await b.ensure(), 'tok-1');
    const keys = b.shared.keys;
    const v = b.shared.version;
    assert.ok(await store.lease(keys, 'take', 'holder:1', 30_000));
    await b.observe(rejected, { accessToken: 'tok-1' });
    assert.equal(b.plan().action, 'user_action');
    assert.equal((await store.read(keys)).version, v, 'the rejection is not written while the lease is held elsewhere');
    let pending = b.ensure();
    await waitingAfter(b, 0, pending);
    // The holder stores a new session (tok-2) and releases the lease.
    const c = session(null);
    await authorize(c);
    assert.equal((await store.write(keys, v, c.seal(KEY1, 'k1'))).written, true);
    assert.ok(await store.lease(keys, 'release', 'holder:1', 30_000));
    assert.equal(await pending, 'tok-2', 'the holder\'s new session');
    assert.equal(b.shared.version, v + 1);
    assert.equal(b.shared.stats.writes, 0);

    assert.ok(await store.lease(keys, 'take', 'holder:1', 30_000));
    await b.observe(rejected, { accessToken: 'tok-2' });
    assert.equal(b.shared.stats.rejectionsUnwritten, 2);
    // The holder keeps the lease past the wait: the failure seen here, not a timeout.
    b.waitTimeoutMs = 300;
    const t0 = Date.now();
    await assert.rejects(b.ensure(), gstauth.UserActionRequiredError);
    assert.ok(Date.now() - t0 >= 290, `gave up after ${Date.now() - t0} ms`);
    assert.equal(b.shared.stats.waits, 2);
    assert.equal((await store.read(keys)).version, v + 1, 'nothing written without the lease');
    b.waitTimeoutMs = 10_000;
    pending = b.ensure();
    await waitingAfter(b, 2, pending);
    assert.ok(await store.lease(keys, 'release', 'holder:1', 30_000)); // nothing written
    await assert.rejects(pending, gstauth.UserActionRequiredError);
    assert.equal(b.shared.stats.writes, 1, 'the rejection, written under the lease');
    const rec = await store.read(keys);
    assert.equal(rec.version, v + 2);
    assert.equal(Session.open(rec.sealed, { k1: KEY1 }, { clock }).plan().action, 'user_action');
    await assert.rejects(a.ensure(), gstauth.UserActionRequiredError, 'one signal for the fleet');
    assert.equal(ep.calls, 2, 'no exchange for the waiting session');
  });

  test('steps and save() are written under the lease; the stored session is opened by a session made later', async () => {
    const store = new FileStore(tmpDir());
    const ep = endpoint();
    const clock = clockAt(T0);
    // A session made elsewhere (sealed, say) joins the store with save().
    const plain = new OAuthClientCredentialsSession({ account: 'shared-client', config: { token_url: 'https://auth.example/token',
      client_id: 'shared-client' }, credentials: { client_secret: 's3cret' }, send: ep.send, clock });
    await plain.ensure();
    const joined = member(store, ep, clock, 'j', { state: plain.state });
    assert.equal(await joined.save(), true);
    assert.equal(await joined.save(), true, 'saved again at the version it wrote');
    const later = member(store, ep, clock, 'l');
    assert.equal(await later.pull(), 2);
    assert.equal(later.accessToken, 'tok-1');
    // A step (here the grant itself) is an exchange under the lease, stored at once.
    await later.exchange('client_credentials');
    assert.equal(later.shared.version, 3);
    assert.equal(await storedToken(store, later.shared.keys), 'tok-2');
    assert.equal(await joined.ensure(), 'tok-2');
    // A stale session saving over a newer one is refused and opens the stored one.
    const stale = member(store, ep, clock, 's', { state: plain.state });
    assert.equal(await stale.save(), false);
    assert.equal(stale.accessToken, 'tok-2');
  });

  test('store options are checked', () => {
    const store = new FileStore(tmpDir());
    const base = { account: 'x', config: { token_url: 'https://t', client_id: 'x' } };
    assert.throws(() => new OAuthClientCredentialsSession({ ...base, store }), /sealKeys must be a non-empty array/);
    assert.throws(() => new OAuthClientCredentialsSession({ ...base, store: {}, sealKeys: [{ keyId: 'k', key: KEY1 }] }), TypeError);
    assert.throws(() => new OAuthClientCredentialsSession({ ...base, store, sealKeys: [{ keyId: 'k', key: 'x' }] }), TypeError);
    assert.throws(() => new OAuthClientCredentialsSession({ ...base, store, sealKeys: [{ keyId: 'k', key: KEY1 }], holder: 'a b' }),
      gstauth.InvalidInputError);
    assert.throws(() => new OAuthClientCredentialsSession({ ...base, sealKeys: [{ keyId: 'k', key: KEY1 }] }),
      /sealKeys is an option of a session with a store/);
    assert.equal(new OAuthClientCredentialsSession(base).shared, null);
  });
});
