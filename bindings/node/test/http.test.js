// The HTTP adapters over a fake OAuth API on loopback: gstauthFetch (over Node's fetch) and the undici interceptor
// (undici.request, undici.fetch and Node's own fetch through a composed Agent). Each adds the session's headers,
// refreshes single-flight, replays a request once after a rejected token and never twice, and keeps the
// application's request (method, body, headers) and response (status, headers, body) intact.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Agent, fetch as undiciFetch, request } from 'undici';
import * as gstauth from '../src/index.js';
import { dispatcherSender, gstauthInterceptor } from '../src/undici.js';
import { startFakeApi } from './fake-api.js';

const { OAuthClientCredentialsSession, gstauthFetch, observationOf } = gstauth;
const T0 = Date.now();

let srv;
before(async () => {
  srv = await startFakeApi();
});
after(() => srv.close());

function newSession(extra = {}) {
  return new OAuthClientCredentialsSession({
    account: 'c',
    config: { token_url: `${srv.url}/oauth/token`, client_id: 'c' },
    credentials: { client_secret: 's' },
    ...extra,
  });
}

function reset() {
  srv.tokensIssued = 0;
  srv.apiCalls = 0;
  srv.valid.clear();
  srv.rejectAll = false;
  srv.gzip = false;
  srv.endOldTokens = false;
  srv.seen.length = 0;
}

/** The three ways to send through the interceptor, and gstauthFetch: each gives {status, json, headers}. */
function clients(session, options) {
  const agent = new Agent().compose(gstauthInterceptor(session, options));
  const decode = async (status, headers, text) => ({ status, headers, json: text ? JSON.parse(text) : null });
  return {
    gstauthFetch: async (path, init) => {
      const r = await gstauthFetch(session, options)(srv.url + path, init);
      return { ...(await decode(r.status, Object.fromEntries(r.headers), await r.text())), observation: observationOf(r) };
    },
    'undici.request': async (path, init = {}) => {
      const r = await request(srv.url + path, { dispatcher: agent, method: init.method ?? 'GET', body: init.body,
        headers: init.headers });
      return decode(r.statusCode, r.headers, await r.body.text());
    },
    'undici.fetch': async (path, init = {}) => {
      const r = await undiciFetch(srv.url + path, { ...init, dispatcher: agent });
      return decode(r.status, Object.fromEntries(r.headers), await r.text());
    },
    'Node fetch + dispatcher': async (path, init = {}) => {
      const r = await fetch(srv.url + path, { ...init, dispatcher: agent });
      return decode(r.status, Object.fromEntries(r.headers), await r.text());
    },
  };
}

for (const name of ['gstauthFetch', 'undici.request', 'undici.fetch', 'Node fetch + dispatcher']) {
  describe(name, () => {
    test('adds the session\'s headers; 20 concurrent first calls make one token request', async () => {
      reset();
      const call = clients(newSession())[name];
      const out = await Promise.all(Array.from({ length: 20 }, (_, i) => call(`/api/item/${i}`)));
      assert.equal(srv.tokensIssued, 1);
      assert.equal(srv.apiCalls, 20);
      for (const r of out) assert.deepEqual([r.status, r.json.token], [200, 'tok-1']);
      assert.equal(out[0].headers['content-type'], 'application/json');
    });

    test('100 concurrent calls that find the token due: one refresh, every call answered', async () => {
      reset();
      const clock = () => clock.t;
      clock.t = T0;
      const session = newSession({ clock });
      const call = clients(session)[name];
      await call('/api/first');
      clock.t = T0 + 3600_000 - 60_000;
      assert.equal(session.plan().action, 'refresh');
      const out = await Promise.all(Array.from({ length: 100 }, (_, i) => call(`/api/due/${i}`)));
      assert.equal(srv.tokensIssued, 2, 'one grant, one refresh');
      assert.ok(out.every((r) => r.status === 200));
      assert.equal(session.plan().action, 'use');
    });

    test('100 concurrent calls during a refresh that ends the old token at once: one refresh, every call answered', async () => {
      reset();
      const clock = () => clock.t;
      clock.t = T0;
      const session = newSession({ clock });
      const call = clients(session)[name];
      await call('/api/first');
      clock.t = T0 + 3600_000 - 60_000;
      srv.endOldTokens = true;
      const out = await Promise.all(Array.from({ length: 100 }, (_, i) => call(`/api/due/${i}`)));
      assert.equal(srv.tokensIssued, 2, 'one grant, one refresh: a refusal read during the refresh renews nothing');
      assert.ok(out.every((r) => r.status === 200));
      assert.ok(srv.seen.some((s) => s.headers.authorization === 'Bearer tok-1' && s.url.startsWith('/api/due/')),
        'some calls went out with the old token and were replayed');
      assert.equal(session.plan().action, 'use');
    });

    test('a rejected token: one renewal, the original request replayed once (method, body, headers)', async () => {
      reset();
      const session = newSession();
      const call = clients(session)[name];
      await call('/api/warm-up');
      srv.valid.clear(); // the provider revokes the token
      srv.seen.length = 0;
      const body = JSON.stringify({ invoice: 'INV/1', amount: 118000 });
      const r = await call('/api/post', { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-app': 'mine' } });
      assert.equal(r.status, 200);
      assert.equal(r.json.token, 'tok-2');
      assert.equal(srv.tokensIssued, 2);
      assert.equal(srv.seen.length, 2, 'the call and its one replay');
      for (const s of srv.seen) {
        assert.deepEqual([s.method, s.body, s.headers['x-app'], s.headers['content-type']],
          ['POST', body, 'mine', 'application/json']);
      }
      assert.deepEqual(srv.seen.map((s) => s.headers.authorization), ['Bearer tok-1', 'Bearer tok-2']);
      if (r.observation) assert.deepEqual(r.observation, { outcome: 'ok' });
    });

    test('a second rejection is returned as it came, never a third send', async () => {
      reset();
      const session = newSession();
      const call = clients(session)[name];
      await call('/api/warm-up');
      srv.rejectAll = true;
      srv.seen.length = 0;
      const r = await call('/api/rejected', { method: 'PUT', body: 'x' });
      assert.equal(r.status, 401);
      assert.deepEqual(r.json, { error: 'invalid_token' });
      assert.equal(srv.seen.length, 2);
      assert.equal(srv.tokensIssued, 2, 'one renewal between the two sends');
      if (r.observation) {
        assert.equal(r.observation.outcome, 'reauthenticate');
        assert.equal(r.observation.error.code, 'reauth_required');
      }
    });
  });
}

describe('the adapters\' options', () => {
  test('gstauthFetch: throwOnError throws the error\'s class; a 204 stays empty; observationOf of others', async () => {
    reset();
    const session = newSession();
    const f = gstauthFetch(session, { throwOnError: true });
    const empty = await f(`${srv.url}/api/empty`);
    assert.equal(empty.status, 204);
    assert.equal(await empty.text(), '');
    assert.deepEqual(observationOf(empty), { outcome: 'ok' });
    srv.rejectAll = true;
    await assert.rejects(f(`${srv.url}/api/x`), (e) => e instanceof gstauth.ReauthRequiredError && e.providerCode === 'invalid_token');
    assert.equal(observationOf(new Response('x')), undefined);
    assert.throws(() => gstauthFetch({}), TypeError);
  });

  test('gstauthFetch: the auth requests go through the given fetch too', async () => {
    reset();
    const urls = [];
    const counting = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    const r = await gstauthFetch(newSession(), { fetch: counting })(`${srv.url}/api/a`);
    assert.equal(r.status, 200);
    assert.deepEqual(urls, [`${srv.url}/oauth/token`, `${srv.url}/api/a`]);
  });

  test('the interceptor: onObservation, throwOnError, and a gzip answer read whole and handed over decoded', async () => {
    reset();
    srv.gzip = true;
    const seen = [];
    const session = newSession();
    const agent = new Agent().compose(gstauthInterceptor(session, { onObservation: (o) => seen.push(o.outcome) }));
    const r = await request(`${srv.url}/api/z`, { dispatcher: agent });
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal((await r.body.json()).token, 'tok-1');
    const viaFetch = await fetch(`${srv.url}/api/z`, { dispatcher: agent });
    assert.equal((await viaFetch.json()).token, 'tok-1');
    assert.deepEqual(seen, ['ok', 'ok']);
    srv.rejectAll = true;
    const strict = new Agent().compose(gstauthInterceptor(session, { throwOnError: true }));
    await assert.rejects(request(`${srv.url}/api/z`, { dispatcher: strict }), gstauth.ReauthRequiredError);
  });

  test('the interceptor: an abort during the token request fails the request; nothing reaches the API', async () => {
    reset();
    const agent = new Agent().compose(gstauthInterceptor(newSession()));
    const ac = new AbortController();
    const p = request(`${srv.url}/api/slow`, { dispatcher: agent, signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    await assert.rejects(p, (e) => e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED');
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(srv.apiCalls, 0);
  });

  test('dispatcherSender carries a session\'s own exchanges over a dispatcher', async () => {
    reset();
    const session = newSession({ send: dispatcherSender(new Agent()) });
    assert.equal(await session.ensure(), 'tok-1');
    assert.throws(() => dispatcherSender({}), TypeError);
  });
});
