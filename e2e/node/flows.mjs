// The end-to-end flows of gstauth's Node demo and tests, over real HTTP: the same flows as e2e/python/flows.py.
//
// Each flow drives the Node binding against the local GST emulator (`gstauth sandbox`) or the oidc-provider OAuth
// server, prints each step through `say`, and returns the facts that must not depend on the backend (statuses, plan
// actions, decrypted fields, verification results), so the demo and the tests can show that the shared library and
// the plugin behave identically. API calls go through gstauthFetch: the session's headers, the payload encrypted,
// the answer decrypted, the token refreshed on the way.
import * as gstauth from '../../bindings/node/src/index.js';

export const GSTIN = '27AAACR5055K1Z7';
export const OTP = '575757';
export const CLIENT_ID = 'sandbox-client';
export const CLIENT_SECRET = 'sandbox-secret';
export const USER = 'sandbox_user';
export const PASSWORD = 'sandbox-password';

/**
 * The host clock plus an offset: the core takes `now` as a parameter, so a flow can ask the planner about a later
 * instant (the refresh margin) without waiting for it. The servers keep their real clocks.
 */
export function shiftedClock() {
  const clock = () => Date.now() + clock.offset;
  clock.offset = 0;
  return clock;
}

export async function cert(base, name) {
  const r = await fetch(`${base}/_sandbox/certs/${name}.pem`);
  if (!r.ok) throw new Error(`${name}.pem: HTTP ${r.status}`);
  return r.text();
}

const hms = (ms) => new Date(ms).toTimeString().slice(0, 8);

/** A GSTN session for the emulator's user in the state of `gstin`. */
export async function gstnSession(base, backend, { gstin = GSTIN, clock, ...extra } = {}) {
  return new gstauth.GstnSession({
    account: `${gstin}/${USER}`,
    config: { base_url: `${base}/taxpayerapi/v1.0`, client_id: CLIENT_ID, gstin, username: USER, ip_usr: '10.0.0.1',
      access_window_ms: 30 * 24 * 3600 * 1000 },
    credentials: { client_secret: CLIENT_SECRET, public_key: await cert(base, 'gstn') },
    backend, clock, ...extra,
  });
}

export async function einvoiceSession(base, backend, { gstin = GSTIN, ...extra } = {}) {
  return new gstauth.EInvoiceSession({
    account: gstin,
    config: { base_url: base, client_id: CLIENT_ID, gstin, username: USER },
    credentials: { client_secret: CLIENT_SECRET, password: PASSWORD, public_key: await cert(base, 'nic') },
    backend, ...extra,
  });
}

export async function ewaybillSession(base, backend, { gstin = GSTIN, ...extra } = {}) {
  return new gstauth.EWayBillSession({
    account: gstin,
    config: { base_url: base, client_id: CLIENT_ID, gstin, username: USER },
    credentials: { client_secret: CLIENT_SECRET, password: PASSWORD, public_key: await cert(base, 'nic') },
    backend, ...extra,
  });
}

export function gstr1(backend, gstin = GSTIN) {
  return { gstin, fp: '042026', b2b: [{ ctin: '29AABCU9603R1ZJ', inv: [
    { inum: `${backend.toUpperCase()}/0001`, idt: '01-04-2026', val: 118000, pos: '29', rchrg: 'N',
      itms: [{ num: 1, itm_det: { rt: 18, txval: 100000, iamt: 18000, csamt: 0 } }] }] }] };
}

export async function gstnFlow(base, backend, say) {
  const facts = {};
  const clock = shiftedClock();
  const gst = await gstnSession(base, backend, { clock });
  const api = gstauth.gstauthFetch(gst);
  facts.plan_before_otp = gst.plan().action;
  say(`GSTN   plan with no token: ${gst.plan().action} (${gst.plan().message})`);
  await gst.requestOtp();
  say('GSTN   OTPREQUEST sent (app key RSA-encrypted to the GSTN certificate)');
  await gst.authenticate(OTP);
  let p = gst.plan();
  facts.plan_after_otp = p.action;
  say(`GSTN   AUTHTOKEN with the OTP: token received, SEK decrypted; plan ${p.action}, refresh at ${hms(p.refresh_at_ms)}`);

  // The payload goes in the clear: the fetch wrapper encrypts it (data + hmac) and decrypts the answer.
  let r = await api(`${base}/taxpayerapi/v1.0/returns/gstr1`, { method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'RETSAVE', data: gstr1(backend) }), gstauth: { retPeriod: '042026' } });
  const saved = (await r.json()).data;
  facts.retsave = saved.status;
  say(`GSTN   RETSAVE: payload encrypted (data + hmac); response decrypted and its HMAC verified: ${JSON.stringify(saved)}`);
  r = await api(`${base}/taxpayerapi/v1.0/returns/gstr1?action=RETSUM&gstin=${GSTIN}&ret_period=042026`,
    { gstauth: { retPeriod: '042026' } });
  const summary = (await r.json()).data;
  facts.retsum_has_our_invoice = summary.payloads.some((x) => JSON.stringify(x).includes(`${backend.toUpperCase()}/0001`));
  say(`GSTN   RETSUM (encrypted GET): ${summary.saved} saved payload(s) for 042026`);

  const token = gst.accessToken;
  clock.offset = gst.state.expires_at_ms - 5 * 60 * 1000 - Date.now();
  p = gst.plan();
  facts.plan_5min_before_expiry = p.action;
  say(`GSTN   5 minutes before expiry the planner says: ${p.action} (${p.reason})`);
  await gst.ensure();
  facts.refreshed_without_otp = gst.accessToken !== token && gst.plan().action === 'use';
  say(`GSTN   REFRESHTOKEN (new app key under the current SEK): new token, no OTP asked; plan ${gst.plan().action}`);
  clock.offset = 0;
  await gst.logout();
  facts.after_logout = gst.plan().action;
  say(`GSTN   LOGOUT: session cleared; plan ${gst.plan().action}`);
  return facts;
}

export function invoice(docNo, gstin = GSTIN) {
  return { Version: '1.1', TranDtls: { TaxSch: 'GST', SupTyp: 'B2B' },
    DocDtls: { Typ: 'INV', No: docNo, Dt: '01/04/2026' },
    SellerDtls: { Gstin: gstin, LglNm: 'Demo Seller', Addr1: 'Mumbai', Loc: 'Mumbai', Pin: 400001, Stcd: gstin.slice(0, 2) },
    BuyerDtls: { Gstin: '29AABCU9603R1ZJ', LglNm: 'Demo Buyer', Pos: '29', Addr1: 'Bengaluru', Loc: 'Bengaluru', Pin: 560001, Stcd: '29' },
    ItemList: [{ SlNo: '1', IsServc: 'N', HsnCd: '1001', Qty: 1, Unit: 'NOS', UnitPrice: 100000, TotAmt: 100000,
      AssAmt: 100000, GstRt: 18, IgstAmt: 18000, TotItemVal: 118000 }],
    ValDtls: { AssVal: 100000, IgstVal: 18000, TotInvVal: 118000 } };
}

export async function einvoiceFlow(base, backend, say) {
  const facts = {};
  const einv = await einvoiceSession(base, backend);
  await einv.ensure();
  facts.auth = einv.plan().action;
  say(`NIC    e-invoice auth: token received (TokenExpiry read as IST → ${hms(einv.state.expires_at_ms)} here), SEK decrypted`);
  const docNo = `${backend.toUpperCase()}/${Date.now() % 1e9}`;
  const r = await gstauth.gstauthFetch(einv)(`${base}/eicore/v1.03/Invoice`, { method: 'POST',
    body: JSON.stringify({ Data: invoice(docNo) }) });
  const irn = (await r.json()).Data;
  say(`NIC    Generate IRN: ${irn.Irn.slice(0, 16)}… AckNo ${irn.AckNo}`);
  const certificates = [await cert(base, 'signing')];
  const options = { backend };
  const inv = gstauth.verifySignedJwt({ jwt: irn.SignedInvoice, certificates }, options);
  const qr = gstauth.verifySignedJwt({ jwt: irn.SignedQRCode, certificates }, options);
  facts.signed_invoice_verified = inv.data.Irn === irn.Irn && inv.data.DocDtls.No === docNo;
  facts.signed_qr_verified = qr.data.Irn === irn.Irn && qr.data.TotInvVal === 118000;
  facts.jwt_alg = inv.header.alg;
  say(`NIC    SignedInvoice verified (RS256, kid ${String(inv.header.kid).slice(0, 12)}…, iss ${inv.claims.iss}); ` +
    `SignedQRCode verified: DocNo ${qr.data.DocNo}, TotInvVal ${qr.data.TotInvVal}`);
  const tampered = irn.SignedQRCode.slice(0, -4) + (irn.SignedQRCode.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  try {
    gstauth.verifySignedJwt({ jwt: tampered, certificates }, options);
    facts.tampered_qr = 'accepted';
  } catch (e) {
    if (!(e instanceof gstauth.SignatureInvalidError)) throw e;
    facts.tampered_qr = e.code;
  }
  say(`NIC    a SignedQRCode with a changed signature: ${facts.tampered_qr}`);
  return facts;
}

/** e-way bill: ACCESSTOKEN, GENEWAYBILL (encrypted data), GetEwayBill (answered with rek and hmac). */
export async function ewaybillFlow(base, backend, say) {
  const facts = {};
  const ewb = await ewaybillSession(base, backend);
  const api = gstauth.gstauthFetch(ewb);
  await ewb.authenticate();
  facts.auth = ewb.plan().action;
  say(`EWB    ACCESSTOKEN: token received, SEK decrypted; plan ${facts.auth}`);
  const bill = { supplyType: 'O', subSupplyType: '1', docType: 'INV', docNo: `${backend.toUpperCase()}/${Date.now() % 1e9}`,
    docDate: '01/04/2026', fromGstin: GSTIN, toGstin: '29AABCU9603R1ZJ', totInvValue: 118000, transDistance: '0' };
  let r = await api(`${base}/ewayapi/`, { method: 'POST', body: JSON.stringify({ action: 'GENEWAYBILL', data: bill }) });
  const made = (await r.json()).data;
  facts.generated = typeof made.ewayBillNo !== 'undefined';
  say(`EWB    GENEWAYBILL: data encrypted under the SEK; e-way bill ${made.ewayBillNo}`);
  r = await api(`${base}/ewayapi/GetEwayBill?ewbNo=${made.ewayBillNo}`);
  const got = await r.json();
  facts.get_decrypted = got.data !== null && typeof got.data === 'object';
  say(`EWB    GetEwayBill: answered with rek and hmac; decrypted: ${JSON.stringify(got.data).slice(0, 80)}`);
  return facts;
}

export async function oauthFlow(base, backend, say) {
  const facts = {};
  const clock = shiftedClock();
  const oauth = new gstauth.OAuthClientCredentialsSession({ account: 'gstauth-e2e-cc-opaque',
    config: { token_url: `${base}/token`, client_id: 'gstauth-e2e-cc-opaque', scope: 'gstn-india' },
    credentials: { client_secret: 'test-only-cc-opaque-secret' }, backend, clock });
  const first = await oauth.ensure();
  const lifetime = Math.floor((oauth.state.expires_at_ms - oauth.state.obtained_at_ms) / 1000);
  facts.grant = oauth.plan().action;
  const active = async (tok) => {
    const r = await fetch(`${base}/token/introspection`, { method: 'POST', body: new URLSearchParams({ token: tok }),
      headers: { authorization: `Basic ${Buffer.from('gstauth-e2e-introspector:test-only-introspector-secret').toString('base64')}` } });
    return (await r.json()).active === true;
  };
  facts.token_active = await active(first);
  say(`OAuth  client credentials at oidc-provider: token for ${lifetime} s; introspection says active=${facts.token_active ? 'True' : 'False'}`);
  const p = oauth.plan(oauth.state.expires_at_ms - 1000 * Math.max(1, Math.floor(lifetime / 4)));
  facts.plan_at_margin = p.action;
  clock.offset = p.refresh_at_ms - Date.now();
  say(`OAuth  at the refresh margin (clamped to a quarter of a ${lifetime} s token) the planner says: ${oauth.plan().action}`);
  const second = await oauth.ensure();
  const secondActive = await active(second);
  facts.refreshed = second !== first && secondActive;
  say(`OAuth  refreshed through the planner: new token, active=${secondActive ? 'True' : 'False'}; plan ${oauth.plan().action}`);

  const bad = new gstauth.OAuthClientCredentialsSession({ account: 'gstauth-e2e-cc-basic',
    config: { token_url: `${base}/token`, client_id: 'gstauth-e2e-cc-basic' }, credentials: { client_secret: 'wrong' },
    backend });
  try {
    await bad.ensure();
    facts.wrong_secret = 'accepted';
  } catch (e) {
    if (!(e instanceof gstauth.GstAuthError)) throw e;
    facts.wrong_secret = `${e.code}/${e.providerCode}`;
  }
  say(`OAuth  a wrong client secret: ${facts.wrong_secret} (terminal, not retried; plan ${bad.plan().action})`);
  return facts;
}

/** Deterministic outputs for a fixed key: the same bytes on every backend. */
export function byteIdentity(backend) {
  const options = { backend };
  const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const r = gstauth.gstnEncryptRequest({ sek: key, payload: { gstin: GSTIN, fp: '042026' } }, options);
  return {
    gstn_request: [r.data, r.hmac],
    nic_request: gstauth.nicEncryptRequest({ sek: key, payload: '{"DocNo":"1"}' }, options).data,
    pkce: gstauth.pkceS256({ verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' }, options).challenge,
    ist: gstauth.nicTokenExpiry({ tokenExpiry: '2026-04-01 17:30:00' }, options).expiresAtMs,
  };
}

export async function runAll(sandbox, oauth, backend, say) {
  return {
    gstn: await gstnFlow(sandbox, backend, say),
    einvoice: await einvoiceFlow(sandbox, backend, say),
    oauth: await oauthFlow(oauth, backend, say),
    bytes: byteIdentity(backend),
  };
}
