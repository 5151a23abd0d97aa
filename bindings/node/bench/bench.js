// make bench-node: what the Node binding adds to a call, and the 5 MiB GSTN request path against node:crypto.
// Prints a Markdown table (README.md, "Performance", records a run). Nothing here is asserted: the machine is
// shared and noisy, so every figure is the median of several rounds.
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { getBackend } from '../src/index.js';
import locate from '../src/locate.cjs';

const require = createRequire(import.meta.url);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const row = (what, value) => {
  rows.push([what, value]);
  console.error(`${what}: ${value}`);
};
const us = (ns) => `${(ns / 1000).toFixed(2)} µs`;
const ms = (ns) => `${(ns / 1e6).toFixed(1)} ms`;

function timeNs(n, fn) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t) / n;
}

async function timeAsyncNs(n, fn) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t) / n;
}

// --- per call: pkce_s256, whose own work (one SHA-256 of 43 bytes) is negligible --------------------------------

const native = getBackend('cshared');
const addon = require(locate.addonPath());
const input = { verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' };
const text = JSON.stringify(input);
const N = 20_000;
const c = [];
const addonOnly = [];
const js = [];
timeNs(N, () => native.call('pkce_s256', input)); // warm up V8 and the Go heap
for (let round = 0; round < 9; round++) {
  // Interleaved, so that each difference compares neighbours in time.
  c.push(addon.callLoop('pkce_s256', text, N));
  addonOnly.push(timeNs(N, () => addon.call('pkce_s256', text)));
  js.push(timeNs(N, () => native.call('pkce_s256', input)));
}
const overhead = js.map((t, i) => t - c[i]);
row('pkce_s256 from C, gstauth_call in a loop (the library\'s own cost)', us(median(c)));
row('pkce_s256 through the addon, JSON text in and out', us(median(addonOnly)));
row('pkce_s256 through `call` (objects in and out), native', us(median(js)));
row('**overhead of `call` over the library, native** (median of per-round differences)', `**${us(median(overhead))}**`);
row('of which the addon crossing (addon − C)', us(median(addonOnly.map((t, i) => t - c[i]))));
row('`callAsync`, native (libuv pool round trip)', us(await timeAsyncNs(5000, () => native.callAsync('pkce_s256', input))));

const wasm = getBackend('wasm');
timeNs(2000, () => wasm.call('pkce_s256', input));
row('pkce_s256 through `call`, wasm (host thread, Atomics.wait)', us(median([0, 1, 2].map(() => timeNs(3000, () => wasm.call('pkce_s256', input))))));
row('`callAsync`, wasm', us(await timeAsyncNs(3000, () => wasm.callAsync('pkce_s256', input))));

// --- 5 MiB GSTN request: data = base64(AES-256-ECB-PKCS7(sek, base64(json))), hmac = HMAC-SHA256(sek, base64(json))

function payload(size) {
  const invoices = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const inv = { inum: `INV/26/${String(i).padStart(6, '0')}`, idt: '01-04-2026', val: 118000.0 + i, pos: '29', rchrg: 'N',
      itms: [{ num: 1, itm_det: { rt: 18, txval: 100000.0 + i, iamt: 18000.0, csamt: 0 } }] };
    n += JSON.stringify(inv).length + 1;
    invoices.push(inv);
  }
  return Buffer.from(JSON.stringify({ gstin: '27AAACR5055K1Z7', fp: '042026', b2b: [{ ctin: '29AABCU9603R1ZJ', inv: invoices }] }).slice(0, size));
}

function nodePeer(sek, json) {
  const b64 = json.toString('base64');
  const cipher = crypto.createCipheriv('aes-256-ecb', sek, null);
  const data = Buffer.concat([cipher.update(b64, 'latin1'), cipher.final()]).toString('base64');
  const hmac = crypto.createHmac('sha256', sek).update(b64, 'latin1').digest('base64');
  return { data, hmac };
}

const sek = crypto.randomBytes(32);
const params = { sek: sek.toString('base64') };
const doc = payload(5 << 20);
const peer = nodePeer(sek, doc);
const out = native.callRaw('gstn_encrypt_request_raw', params, doc);
if (out.data.toString('latin1') !== peer.data || out.meta.hmac !== peer.hmac) throw new Error('gstauth and the node:crypto peer disagree');
const MiB = doc.length / 2 ** 20;
const rate = (ns) => `${ms(ns)} (${(MiB / (ns / 1e9)).toFixed(0)} MiB/s)`;

const peerT = [];
const nativeT = [];
const asyncT = [];
for (let round = 0; round < 7; round++) {
  peerT.push(timeNs(3, () => nodePeer(sek, doc)));
  nativeT.push(timeNs(3, () => native.callRaw('gstn_encrypt_request_raw', params, doc)));
  asyncT.push(await timeAsyncNs(3, () => native.callRawAsync('gstn_encrypt_request_raw', params, doc)));
}
row('5 MiB GSTN request, node:crypto peer (base64 → AES-256-ECB → base64, HMAC-SHA256)', rate(median(peerT)));
row('**5 MiB `gstn_encrypt_request_raw`, native `callRaw`**', `**${rate(median(nativeT))}**`);
row('5 MiB `gstn_encrypt_request_raw`, native `callRawAsync`', rate(median(asyncT)));
row('5 MiB native ÷ node:crypto peer (< 1 is faster)', (median(nativeT) / median(peerT)).toFixed(2));

const wasmOut = wasm.callRaw('gstn_encrypt_request_raw', params, doc);
if (!wasmOut.data.equals(out.data)) throw new Error('the backends disagree');
row('5 MiB `gstn_encrypt_request_raw`, wasm `callRaw`', rate(median([0, 1, 2].map(() => timeNs(1, () => wasm.callRaw('gstn_encrypt_request_raw', params, doc))))));

// How long the event loop stalls during one 5 MiB encryption: sync blocks it for the whole call, async not at all.
async function stall(fn) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const timer = setInterval(() => {}, 1);
  await new Promise((r) => setTimeout(r, 20));
  await fn();
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(timer);
  h.disable();
  return h.max;
}
row('longest event-loop stall, native `callRaw` 5 MiB', ms(await stall(() => native.callRaw('gstn_encrypt_request_raw', params, doc))));
row('longest event-loop stall, native `callRawAsync` 5 MiB', ms(await stall(() => native.callRawAsync('gstn_encrypt_request_raw', params, doc))));
row('longest event-loop stall, wasm `callRawAsync` 5 MiB', ms(await stall(() => wasm.callRawAsync('gstn_encrypt_request_raw', params, doc))));

console.log(`\nNode ${process.version}, ${crypto.constants ? `OpenSSL ${process.versions.openssl}` : ''}, gstauth ${native.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| what | measured |\n|---|---|');
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
