// Sessions over a fake OAuth token endpoint (a send function): the planner-driven refresh, single flight, the
// bounded wait, failures, persistence (onChange, seal and open) and the injectable clock, on both backends.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';

import * as gstauth from '../src/index.js';
import { BACKENDS, KEYS } from './support.js';

const { OAuthClientCredentialsSession, Session } = gstauth;
const T0 = 1_767_225_600_000;

/** A token endpoint as a send function: tokens tok-1, tok-2 ... valid for lifetimeS, answered after delayMs. */
function tokenEndpoint({ lifetimeS = 3600, delayMs = 20 } = {}) {
  const ep = {
    calls: [],
    failWith: null,
    throwWith: null,
    async send(req) {
      ep.calls.push(req);
      const n = ep.calls.length;
      await sleep(delayMs); // every other caller piles up behind the exchange meanwhile
      if (ep.throwWith) throw ep.throwWith;
      if (ep.failWith) return ep.failWith;
      return { status: 200, headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ access_token: `tok-${n}`, token_type: 'Bearer', expires_in: lifetimeS }) };
    },
  };
  return ep;
}

function clockAt(t) {
  const c = () => c.t;
  c.t = t;
  return c;
}

function newSession(ep, clock, backend, extra = {}) {
  return new OAuthClientCredentialsSession({
    account: 'client-1',
    config: { token_url: 'https://auth.example/oauth/token', client_id: 'client-1', scope: 'gst' },
    credentials: { client_secret: 's3cret' },
    send: ep.send, clock, backend, ...extra,
  });
}

for (const backend of BACKENDS) {
  describe(`sessions on ${backend}`, () => {
    test('ensure gets a token, uses it, and refreshes it at the margin the clock reaches', async () => {
      const ep = tokenEndpoint();
      const clock = clockAt(T0);
      const s = newSession(ep, clock, backend);
      assert.equal(s.plan().action, 'renew');
      assert.equal(await s.ensure(), 'tok-1');
      const req = ep.calls[0];
      assert.equal(req.method, 'POST');
      assert.match(req.body, /grant_type=client_credentials/);
      assert.match(Object.entries(req.headers).find(([k]) => k.toLowerCase() === 'authorization')[1], /^Basic /);
      clock.t = T0 + 3600_000 - 5 * 60_000 - 1;
      assert.equal(await s.ensure(), 'tok-1');
      assert.equal(ep.calls.length, 1);
      clock.t = T0 + 3600_000 - 5 * 60_000;
      assert.equal(s.plan().action, 'refresh');
      assert.equal(s.plan(T0).action, 'use', 'plan takes an instant');
      assert.equal(await s.ensure(), 'tok-2');
      assert.equal(ep.calls.length, 2);
      assert.equal(s.accessToken, 'tok-2');
      assert.equal(s.currentToken(), 'tok-2');
    });

    for (const phase of ['refresh', 'renew']) {
      test(`100 concurrent callers make one request (${phase})`, async () => {
        const ep = tokenEndpoint({ delayMs: 50 });
        const clock = clockAt(T0);
        const s = newSession(ep, clock, backend);
        if (phase === 'refresh') {
          await s.ensure();
          clock.t = T0 + 3600_000 - 60_000; // stale: still valid, due for its refresh
          assert.equal(s.plan().action, 'refresh');
        }
        const before = ep.calls.length;
        const tokens = await Promise.all(Array.from({ length: 100 }, () => s.ensure()));
        assert.equal(ep.calls.length - before, 1, `${ep.calls.length - before} token requests`);
        assert.equal(tokens.length, 100);
        if (phase === 'refresh') {
          // The refresher gets the new token; everyone else keeps using the valid one without waiting.
          assert.equal(tokens.filter((t) => t === 'tok-2').length, 1);
          assert.equal(tokens.filter((t) => t === 'tok-1').length, 99);
        } else {
          assert.deepEqual(new Set(tokens), new Set(['tok-1']), 'every waiter gets the one renewal');
        }
        assert.equal(s.plan().action, 'use');
      });
    }

    test('a terminal failure is thrown as its class, remembered, and not sent again', async () => {
      const ep = tokenEndpoint();
      ep.failWith = { status: 401, headers: {}, body: JSON.stringify({ error: 'invalid_client', error_description: 'bad secret' }) };
      const s = newSession(ep, clockAt(T0), backend);
      await assert.rejects(s.ensure(), (e) => e instanceof gstauth.UserActionRequiredError &&
        e.code === 'user_action_required' && e.providerCode === 'invalid_client' && !e.message.includes('s3cret'));
      assert.equal(s.plan().action, 'user_action');
      await assert.rejects(s.ensure(), gstauth.UserActionRequiredError);
      assert.throws(() => s.currentToken(), gstauth.UserActionRequiredError);
      assert.equal(ep.calls.length, 1, 'a terminal failure must not be retried');
    });

    test('a 503 backs off: RateLimited-style error with retryAfterMs, nothing sent during the backoff', async () => {
      const ep = tokenEndpoint();
      ep.failWith = { status: 503, headers: { 'Retry-After': '7' }, body: '' };
      const clock = clockAt(T0);
      const s = newSession(ep, clock, backend);
      await assert.rejects(s.ensure(), (e) => e instanceof gstauth.GstAuthError && e.retryable === true);
      await assert.rejects(s.ensure(), (e) => e instanceof gstauth.GstAuthError && e.retryAfterMs > 0 &&
        e.retryAfterMs <= 7000);
      assert.equal(ep.calls.length, 1);
      clock.t = T0 + 8000;
      ep.failWith = null;
      assert.equal(await s.ensure(), 'tok-2');
    });

    test('no answer to a refresh keeps the valid token and backs off; to a renewal it is the error', async () => {
      const ep = tokenEndpoint();
      const clock = clockAt(T0);
      const s = newSession(ep, clock, backend);
      await s.ensure();
      clock.t = T0 + 3600_000 - 60_000;
      ep.throwWith = new Error('connection reset');
      assert.equal(await s.ensure(), 'tok-1');
      assert.equal(await s.ensure(), 'tok-1', 'during the backoff, nothing is sent');
      assert.equal(ep.calls.length, 2);
      const fresh = newSession(ep, clock, backend);
      await assert.rejects(fresh.ensure(), (e) => e instanceof gstauth.GstAuthError && e.retryable &&
        e.cause?.message === 'connection reset');
      await assert.rejects(fresh.ensure(), (e) => e instanceof gstauth.GstAuthError && e.retryAfterMs > 0);
      assert.equal(ep.calls.length, 3, 'one send per failure, then the backoff');
      ep.throwWith = null;
      clock.t += 10 * 60_000;
      assert.equal(await fresh.ensure(), 'tok-4');
    });

    test('a caller waits a bounded time for another caller\'s renewal', async () => {
      const ep = tokenEndpoint({ delayMs: 300 });
      const s = newSession(ep, clockAt(T0), backend, { waitTimeoutMs: 30 });
      const first = s.ensure();
      await assert.rejects(s.ensure(), (e) => e instanceof gstauth.TokenExpiredError && /timed out/.test(e.message));
      assert.equal(await first, 'tok-1');
      assert.equal(ep.calls.length, 1);
    });

    test('onChange runs after every change and is awaited; seal and open keep the session', async () => {
      const ep = tokenEndpoint();
      const clock = clockAt(T0);
      const seen = [];
      const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
      let stored = null;
      const s = newSession(ep, clock, backend, {
        onChange: async (sess) => {
          await sleep(5);
          seen.push(sess.accessToken);
          stored = sess.seal(key, 'k1');
        },
      });
      assert.equal(await s.ensure(), 'tok-1');
      assert.deepEqual(seen, ['tok-1'], 'stored before ensure answers');
      assert.ok(!stored.includes('tok-1') && !stored.includes('s3cret'));
      const t = OAuthClientCredentialsSession.open(stored, { k0: Buffer.alloc(32, 1), k1: key },
        { send: ep.send, clock, backend, credentials: { client_secret: 's3cret' } });
      assert.ok(t instanceof OAuthClientCredentialsSession);
      assert.deepEqual(t.state, s.state);
      assert.equal(await t.ensure(), 'tok-1');
      assert.equal(ep.calls.length, 1);
      const any = Session.open(stored, new Map([['k1', key]]), { backend });
      assert.ok(any instanceof OAuthClientCredentialsSession, 'Session.open gives the provider\'s class');
      assert.throws(() => gstauth.GstnSession.open(stored, { k1: key }, { backend }), gstauth.GstAuthError);
      assert.throws(() => OAuthClientCredentialsSession.open(stored, { k2: key }, { backend }), gstauth.InvalidKeyError);
      assert.throws(() => OAuthClientCredentialsSession.open(stored, { k1: Buffer.alloc(32) }, { backend }),
        gstauth.DecryptFailedError);
    });

    test('an onChange that fails fails the call that changed the session', async () => {
      const ep = tokenEndpoint();
      const s = newSession(ep, clockAt(T0), backend, { onChange: () => Promise.reject(new Error('store is down')) });
      await assert.rejects(s.ensure(), /store is down/);
      assert.equal(s.accessToken, 'tok-1', 'the session itself has the token');
    });

    test('a step exchange waits for a refresh in flight (one lock for both)', async () => {
      const ep = tokenEndpoint({ delayMs: 60 });
      const s = newSession(ep, clockAt(T0), backend);
      const order = [];
      const a = s.ensure().then(() => order.push('ensure'));
      const b = s.exchange('client_credentials').then(() => order.push('exchange'));
      await Promise.all([a, b]);
      assert.deepEqual(order, ['ensure', 'exchange']);
      assert.equal(ep.calls.length, 2);
      assert.equal(s.accessToken, 'tok-2');
    });

    test('misuse is a TypeError: options, account, provider of the class', () => {
      assert.throws(() => new Session({ account: 'a' }), TypeError);
      assert.throws(() => new OAuthClientCredentialsSession({ account: 1 }), TypeError);
      assert.throws(() => new OAuthClientCredentialsSession({ account: 'a', provider: 'gstn' }), TypeError);
      assert.throws(() => new OAuthClientCredentialsSession({ account: 'a', send: 'fetch' }), TypeError);
      assert.ok(new Session({ account: 'a', provider: 'gstn', backend }) instanceof Session);
    });

    test('a step given a wrong argument rejects with a TypeError', async () => {
      await assert.rejects(new gstauth.GstnSession({ account: 'a', backend }).authenticate(575757), TypeError);
    });
  });
}

describe('a stale certificate', () => {
  const pem = (name) => fs.readFileSync(path.join(KEYS, name), 'utf8');

  /** GSTN's authenticate answers TEC4002 once, then success; the test reads which certificate each request used. */
  function gstnEndpoint() {
    const ep = {
      calls: 0,
      async send() {
        ep.calls++;
        if (ep.calls === 1) {
          return { status: 200, headers: {}, body: JSON.stringify({ status_cd: '0',
            error: { error_cd: 'TEC4002', message: 'Invalid public key or app key encryption' } }) };
        }
        return { status: 200, headers: {}, body: JSON.stringify({ status_cd: '1' }) };
      },
    };
    return ep;
  }

  function gstn(ep, loadCertificate) {
    return new gstauth.GstnSession({ account: '27AAACR5055K1Z7/user',
      config: { base_url: 'https://gstn.example/taxpayerapi/v1.0', client_id: 'id', gstin: '27AAACR5055K1Z7',
        username: 'user', ip_usr: '10.0.0.1' },
      credentials: { client_secret: 's', public_key: pem('nic-sign-test.crt') }, send: ep.send, loadCertificate });
  }

  test('is loaded through loadCertificate and the step sent once more', async () => {
    const ep = gstnEndpoint();
    let loads = 0;
    const s = gstn(ep, async () => {
      loads++;
      return pem('nic-sign-test.crt');
    });
    await s.requestOtp();
    assert.deepEqual([ep.calls, loads], [2, 1]);
  });

  test('without loadCertificate, it is CertificateStaleError and nothing more is sent', async () => {
    const ep = gstnEndpoint();
    await assert.rejects(gstn(ep, null).requestOtp(), (e) => e instanceof gstauth.CertificateStaleError &&
      e.providerCode === 'TEC4002');
    assert.equal(ep.calls, 1);
  });
});
