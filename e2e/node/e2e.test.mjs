// End to end over real HTTP: the Node binding (both backends) against the GST emulator and oidc-provider.
//
// `make test-node-e2e` starts both servers on loopback and passes their URLs. The emulator checks every header,
// key, MAC and plaintext convention, counts each session's logins and refreshes (GET /_sandbox/stats) and injects
// faults (POST /_sandbox/faults), so these tests see at the server how many exchanges the binding made. Tests that
// count use a GSTIN of their own (the emulator keys its counts by state and user, or GSTIN and user).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { afterEach, describe, test } from 'node:test';

import * as gstauth from '../../bindings/node/src/index.js';
import { gstauthInterceptor } from '../../bindings/node/src/undici.js';
import { authorize } from './browser.mjs';
import * as flows from './flows.mjs';

const { Agent, request } = createRequire(new URL('../../bindings/node/package.json', import.meta.url))('undici');

const SANDBOX = process.env.GSTAUTH_SANDBOX_URL;
const OAUTH = process.env.GSTAUTH_OAUTH_URL;
if (!SANDBOX || !OAUTH) throw new Error('run through `make test-node-e2e`, which starts the servers');

const BACKENDS = ['cshared', 'wasm'];
const quiet = () => {};

async function stats(key) {
  const r = await fetch(`${SANDBOX}/_sandbox/stats`);
  const s = (await r.json()).sessions.find((x) => x.session === key);
  return s ?? { otp_requests: 0, auth_requests: 0, reauth_requests: 0, refresh_requests: 0, expired_token_requests: 0 };
}

function delta(a, b) {
  const out = {};
  for (const k of ['otp_requests', 'auth_requests', 'reauth_requests', 'refresh_requests', 'expired_token_requests']) {
    out[k] = b[k] - a[k];
  }
  return out;
}

async function faults(...list) {
  const r = await fetch(`${SANDBOX}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ faults: list }) });
  assert.equal(r.status, 200);
}

afterEach(() => fetch(`${SANDBOX}/_sandbox/faults`, { method: 'DELETE' }));

/** A fetch that counts what it sends, by path. */
function countingFetch() {
  const f = (input, init) => {
    const p = new URL(input).pathname;
    f.counts[p] = (f.counts[p] ?? 0) + 1;
    return fetch(input, init);
  };
  f.counts = {};
  f.under = (prefix) => Object.entries(f.counts).filter(([p]) => p.startsWith(prefix)).reduce((n, [, c]) => n + c, 0);
  return f;
}

/** An undici interceptor that counts what reaches the wire, by path (composed below gstauth's). */
function countingInterceptor() {
  const counts = {};
  const interceptor = (dispatch) => (opts, handler) => {
    const p = opts.path.split('?')[0];
    counts[p] = (counts[p] ?? 0) + 1;
    return dispatch(opts, handler);
  };
  interceptor.under = (prefix) => Object.entries(counts).filter(([p]) => p.startsWith(prefix)).reduce((n, [, c]) => n + c, 0);
  return interceptor;
}

const results = {};

for (const backend of BACKENDS) {
  describe(`the demo's flows on ${backend}`, () => {
    test('GSTN: OTP, AUTHTOKEN, RETSAVE and RETSUM through gstauthFetch, REFRESHTOKEN, LOGOUT', async () => {
      const f = await flows.gstnFlow(SANDBOX, backend, quiet);
      assert.deepEqual(f, { plan_before_otp: 'user_action', plan_after_otp: 'use', retsave: 'saved',
        retsum_has_our_invoice: true, plan_5min_before_expiry: 'refresh', refreshed_without_otp: true,
        after_logout: 'user_action' });
      (results[backend] ??= {}).gstn = f;
    });

    test('e-invoice: auth, Generate IRN, SignedInvoice and SignedQRCode verified, a tampered one refused', async () => {
      const f = await flows.einvoiceFlow(SANDBOX, backend, quiet);
      assert.deepEqual(f, { auth: 'use', signed_invoice_verified: true, signed_qr_verified: true, jwt_alg: 'RS256',
        tampered_qr: 'signature_invalid' });
      (results[backend] ??= {}).einvoice = f;
    });

    test('e-way bill: ACCESSTOKEN, GENEWAYBILL, GetEwayBill decrypted with its rek and hmac', async () => {
      assert.deepEqual(await flows.ewaybillFlow(SANDBOX, backend, quiet), { auth: 'use', generated: true, get_decrypted: true });
    });

    test('OAuth client credentials at oidc-provider: a grant, a refresh at the margin, a wrong secret refused', async () => {
      const f = await flows.oauthFlow(OAUTH, backend, quiet);
      assert.deepEqual(f, { grant: 'use', token_active: true, plan_at_margin: 'refresh', refreshed: true,
        wrong_secret: 'user_action_required/invalid_client' });
      (results[backend] ??= {}).oauth = f;
      results[backend].bytes = flows.byteIdentity(backend);
    });
  });
}

describe('both backends', () => {
  test('the flows give the same facts and the same bytes', () => {
    assert.deepEqual(Object.keys(results).sort(), BACKENDS.slice().sort());
    assert.deepEqual(results.cshared, results.wasm);
  });
});

describe('single flight at the server', () => {
  for (const [via, gstin] of [['gstauthFetch', '29AAACR5055K1Z7'], ['the undici interceptor', '33AAACR5055K1Z7']]) {
    test(`100 concurrent GSTN calls that find the token due make one REFRESHTOKEN (${via})`, async () => {
      const clock = flows.shiftedClock();
      const gst = await flows.gstnSession(SANDBOX, 'cshared', { gstin, clock });
      await gst.requestOtp();
      await gst.authenticate(flows.OTP);
      const key = `gstn/${gstin.slice(0, 2)}/${flows.USER}`;
      const saved = await gstauth.gstauthFetch(gst)(`${SANDBOX}/taxpayerapi/v1.0/returns/gstr1`, { method: 'POST',
        body: JSON.stringify({ action: 'RETSAVE', data: flows.gstr1('cshared', gstin) }), gstauth: { retPeriod: '042026' } });
      assert.equal((await saved.json()).data.status, 'saved');
      const before = await stats(key);
      clock.offset = gst.state.expires_at_ms - 5 * 60 * 1000 - Date.now();
      assert.equal(gst.plan().action, 'refresh');
      const token = gst.accessToken;

      const url = `${SANDBOX}/taxpayerapi/v1.0/returns/gstr1?action=RETSUM&gstin=${gstin}&ret_period=042026`;
      let call;
      if (via === 'gstauthFetch') {
        const api = gstauth.gstauthFetch(gst, { retPeriod: '042026' });
        call = async () => {
          const r = await api(url);
          return [r.status, await r.json(), gstauth.observationOf(r).outcome];
        };
      } else {
        const outcomes = [];
        const agent = new Agent().compose(gstauthInterceptor(gst, { onObservation: (o) => outcomes.push(o.outcome) }));
        const options = { dispatcher: agent, gstauth: { retPeriod: '042026' } }; // this request's GSTN options
        call = async () => {
          const r = await request(url, options);
          return [r.statusCode, await r.body.json(), 'ok'];
        };
      }
      const answers = await Promise.all(Array.from({ length: 100 }, call));
      for (const [status, body, outcome] of answers) {
        assert.deepEqual([status, outcome, body.status_cd], [200, 'ok', '1']);
        assert.ok(body.data.saved >= 1, 'each answer decrypted under the key its call was made with');
      }
      assert.deepEqual(delta(before, await stats(key)), { otp_requests: 0, auth_requests: 0, reauth_requests: 0,
        refresh_requests: 1, expired_token_requests: 0 });
      assert.notEqual(gst.accessToken, token);
      assert.equal(gst.plan().action, 'use');
    });
  }
});

describe('a rejected token', () => {
  const gstinOf = { gstauthFetch: '24AAACR5055K1Z7', interceptor: '19AAACR5055K1Z7' };
  for (const via of ['gstauthFetch', 'interceptor']) {
    const gstin = gstinOf[via];
    const key = `einvoice/${flows.CLIENT_ID}/${gstin}/${flows.USER}`;

    /** An e-invoice session and a way to post an invoice through `via`, counting what reaches the IRN path. */
    async function setup() {
      const counting = countingFetch();
      const interceptor = countingInterceptor();
      const einv = await flows.einvoiceSession(SANDBOX, 'cshared', { gstin });
      let post;
      if (via === 'gstauthFetch') {
        const api = gstauth.gstauthFetch(einv, { fetch: counting });
        post = async (body) => {
          const r = await api(`${SANDBOX}/eicore/v1.03/Invoice`, { method: 'POST', body: JSON.stringify(body) });
          return { status: r.status, json: await r.json(), observation: gstauth.observationOf(r) };
        };
      } else {
        const seen = [];
        const agent = new Agent().compose(interceptor, gstauthInterceptor(einv, { onObservation: (o) => seen.push(o) }));
        post = async (body) => {
          const r = await request(`${SANDBOX}/eicore/v1.03/Invoice`, { dispatcher: agent, method: 'POST',
            body: JSON.stringify(body) });
          return { status: r.statusCode, json: await r.body.json(), observation: seen.at(-1) };
        };
      }
      const sent = () => (via === 'gstauthFetch' ? counting.under('/eicore') : interceptor.under('/eicore'));
      return { einv, post, sent };
    }

    test(`one re-authentication and one replay, then the answer (${via})`, async () => {
      const { einv, post, sent } = await setup();
      await einv.authenticate();
      const before = await stats(key);
      await faults({ kind: 'invalid_token', path_prefix: '/eicore', count: 1 });
      const docNo = `REPLAY/${Date.now() % 1e9}`;
      const r = await post({ Data: flows.invoice(docNo, gstin) });
      assert.equal(r.status, 200);
      assert.equal(r.json.Status, 1);
      assert.equal(typeof r.json.Data.Irn, 'string', 'the replay\'s answer, decrypted under the new key');
      assert.deepEqual(r.observation, { outcome: 'ok' });
      assert.equal(sent(), 2, 'the call and its one replay');
      const d = delta(before, await stats(key));
      assert.deepEqual([d.auth_requests, d.reauth_requests], [1, 1], 'one re-authentication');
      assert.equal(einv.plan().action, 'use');
    });

    test(`a second rejection is returned as it came, never a third send (${via})`, async () => {
      const { einv, post, sent } = await setup();
      await einv.authenticate();
      const before = await stats(key);
      await faults({ kind: 'invalid_token', path_prefix: '/eicore', count: 2 });
      const r = await post({ Data: flows.invoice(`TWICE/${Date.now() % 1e9}`, gstin) });
      assert.equal(r.observation.outcome, 'reauthenticate');
      assert.equal(r.observation.error.code, 'reauth_required');
      assert.equal(r.observation.error.provider_code, '1005');
      assert.equal(r.json.Status, 0);
      assert.equal(sent(), 2);
      assert.equal(delta(before, await stats(key)).auth_requests, 1);
    });
  }

  test('GSTN: a rejected token cannot be renewed without the taxpayer: UserActionRequiredError, one send', async () => {
    const gstin = '32AAACR5055K1Z7';
    const gst = await flows.gstnSession(SANDBOX, 'cshared', { gstin });
    await gst.requestOtp();
    await gst.authenticate(flows.OTP);
    const counting = countingFetch();
    await faults({ kind: 'invalid_token', path_prefix: '/taxpayerapi/v1.0/returns', count: 1 });
    await assert.rejects(gstauth.gstauthFetch(gst, { fetch: counting })(
      `${SANDBOX}/taxpayerapi/v1.0/returns/gstr1?action=RETSUM&gstin=${gstin}&ret_period=042026`,
      { gstauth: { retPeriod: '042026' } }), (e) => e instanceof gstauth.UserActionRequiredError && e.providerCode === 'AUTH4033');
    assert.equal(counting.under('/taxpayerapi/v1.0/returns'), 1);
    assert.equal(gst.plan().action, 'user_action');
  });
});

describe('failures and persistence', () => {
  test('a wrong OTP asks the taxpayer again (UserActionRequiredError, AUTH4033), the OTP in no message', async () => {
    const gst = await flows.gstnSession(SANDBOX, 'wasm', { gstin: '09AAACR5055K1Z7' });
    await gst.requestOtp();
    await assert.rejects(gst.authenticate('000000'), (e) => e instanceof gstauth.UserActionRequiredError &&
      e.providerCode === 'AUTH4033' && !e.message.includes('000000'));
    assert.equal(gst.plan().action, 'user_action');
  });

  test('a 429 on auth: RateLimitedError with Retry-After, the backoff kept, then the host retries on its own', async () => {
    const gstin = '36AAACR5055K1Z7';
    const einv = await flows.einvoiceSession(SANDBOX, 'wasm', { gstin });
    await faults({ kind: 'status', status: 429, retry_after: 3, path_prefix: '/eivital' });
    // retryAfterMs is what is left of the wait when the core decided: Retry-After less the moments since the answer.
    await assert.rejects(einv.ensure(), (e) => e instanceof gstauth.RateLimitedError && e.providerCode === '429' &&
      e.retryAfterMs > 2000 && e.retryAfterMs <= 3000);
    assert.ok(einv.plan().not_before_ms > 0);
    await assert.rejects(einv.ensure(), gstauth.RateLimitedError, 'nothing sent during the backoff');
    await einv.authenticate();
    assert.equal(einv.plan().action, 'use');
  });

  test('a skewed Date is measured', async () => {
    const einv = await flows.einvoiceSession(SANDBOX, 'cshared', { gstin: '37AAACR5055K1Z7' });
    await faults({ kind: 'skew', skew_ms: 300000, path_prefix: '/eivital' });
    await einv.ensure();
    assert.ok(einv.state.skew_ms >= 298000 && einv.state.skew_ms <= 302000, String(einv.state.skew_ms));
  });

  test('a sealed GSTN session survives a restart: opened, it makes an encrypted call without an OTP', async () => {
    const gstin = '07AAACR5055K1Z7';
    let sealed = null;
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => 255 - i));
    const gst = await flows.gstnSession(SANDBOX, 'cshared', { gstin, onChange: (s) => { sealed = s.seal(key, 'k1'); } });
    await gst.requestOtp();
    await gst.authenticate(flows.OTP);
    assert.ok(sealed && !sealed.includes(gst.accessToken));
    const again = gstauth.GstnSession.open(sealed, { k1: key }, { backend: 'wasm', credentials: gst.credentials });
    assert.equal(again.accessToken, gst.accessToken);
    const r = await gstauth.gstauthFetch(again)(`${SANDBOX}/taxpayerapi/v1.0/returns/gstr1`, { method: 'POST',
      body: JSON.stringify({ action: 'RETSAVE', data: { gstin } }), gstauth: { retPeriod: '052026' } });
    assert.equal((await r.json()).data.status, 'saved');
  });
});

describe('OAuth authorization code at oidc-provider', () => {
  test('authorizationUrl, login and consent, complete; a refresh at the margin rotates the refresh token', async () => {
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const clock = flows.shiftedClock();
    const s = new gstauth.AuthorizationCodeSession({ account: 'alice@gstauth-e2e-code',
      config: { auth_url: `${OAUTH}/auth`, token_url: `${OAUTH}/token`, client_id: 'gstauth-e2e-code',
        redirect_uri: redirectUri, scope: 'api:read offline_access', client_auth: 'basic' },
      credentials: { client_secret: 'test-only-code-secret' }, clock });
    const url = await s.authorizationUrl();
    assert.match(url, /code_challenge_method=S256/);
    const redirect = await authorize(url, redirectUri, 'alice');
    await s.complete(redirect);
    const first = s.accessToken;
    const refreshToken = s.state.refresh_token;
    assert.ok(first && refreshToken);
    assert.equal(s.plan().action, 'use');
    clock.offset = s.plan().refresh_at_ms - Date.now();
    assert.equal(s.plan().action, 'refresh');
    const second = await s.ensure();
    assert.notEqual(second, first);
    assert.notEqual(s.state.refresh_token, refreshToken, 'rotated');
    await assert.rejects(new gstauth.AuthorizationCodeSession({ account: 'x', state: s.state })
      .complete(`${redirectUri}?code=c&state=forged`), gstauth.GstAuthError, 'a forged state is refused before any exchange');
  });
});

