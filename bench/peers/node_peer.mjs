// The Node column of make bench-peers: a GSTN request encryption by gstauth (native backend) and by the same
// pipeline written with node:crypto, checked to give the same bytes. One JSON line per (implementation, size).
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const gstauth = require(process.env.GSTAUTH_NODE_PACKAGE || '../../bindings/node/src/index.cjs');

function peer(ek, payload) {
  const p = Buffer.from(payload.toString('base64'));
  const tag = crypto.createHmac('sha256', ek).update(p).digest('base64');
  const c = crypto.createCipheriv('aes-256-ecb', ek, null);
  const data = Buffer.concat([c.update(p), c.final()]).toString('base64');
  return [Buffer.from(data), tag];
}

const params = (ek) => JSON.stringify({ sek: ek.toString('base64') });
function ours(ek, payload, p) {
  const r = gstauth.callRaw('gstn_encrypt_request_raw', p, payload);
  return [r.data, r.meta.hmac];
}

function payloadOf(n) {
  const head = '{"gstin":"27AAACR5055K1Z7","b2b":"';
  return Buffer.from(head + 'x'.repeat(Math.max(n - head.length - 2, 0)) + '"}');
}

function timeNs(fn) {
  fn();
  let n = 1;
  for (;;) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    if (Number(process.hrtime.bigint() - t) > 50e6) break;
    n *= 2;
  }
  const rounds = [];
  for (let r = 0; r < 7; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    rounds.push(Number(process.hrtime.bigint() - t) / n);
  }
  return rounds.sort((a, b) => a - b)[3];
}

const ek = Buffer.alloc(32, 7);
const p = JSON.parse(params(ek));
for (const arg of process.argv.slice(2)) {
  const size = Number(arg);
  const payload = payloadOf(size);
  const [d1, t1] = ours(ek, payload, p);
  const [d2, t2] = peer(ek, payload);
  if (!d1.equals(d2) || t1 !== t2) {
    console.error('bench-peers node: gstauth and the peer disagree');
    process.exit(1);
  }
  console.log(JSON.stringify({ lang: 'node', impl: 'gstauth', size, ns_per_op: timeNs(() => ours(ek, payload, p)) }));
  console.log(JSON.stringify({ lang: 'node', impl: 'peer', size, ns_per_op: timeNs(() => peer(ek, payload)) }));
}
