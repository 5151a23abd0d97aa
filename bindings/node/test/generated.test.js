// The generated typed surface (src/generated/): one function per op of the core's own list, one class per error
// code, and the same answers as the generic entry with the conversions the schema asks for (base64 ⇄ bytes, JSON
// payloads as text or values, camelCase fields), on both backends.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import * as gstauth from '../src/index.js';
import { BACKENDS, KEYS, REPO } from './support.js';

const camel = (op) => op.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

describe('the generated surface', () => {
  test('every op of the core has its function (raw ops an async form too), and nothing else', () => {
    const core = gstauth.call('ops', {}).ops;
    assert.deepEqual([...gstauth.OPS], core.map((o) => o.name).sort());
    for (const o of core) {
      assert.equal(typeof gstauth[camel(o.name)], 'function', o.name);
      assert.equal(typeof gstauth[`${camel(o.name)}Async`], o.raw ? 'function' : 'undefined', `${o.name}Async`);
    }
    const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'testdata', 'schema.json'), 'utf8'));
    assert.equal(gstauth.VERSION, schema.version);
    assert.equal(gstauth.VERSION, gstauth.getBackend().version);
  });

  test('one GstAuthError subclass per error code of the core, named and coded', () => {
    assert.deepEqual(Object.keys(gstauth.ERRORS), gstauth.call('error_codes', {}).codes);
    for (const [code, cls] of Object.entries(gstauth.ERRORS)) {
      const e = new cls('m', { providerCode: 'P', retryAfterMs: 5, retryable: true });
      assert.ok(e instanceof gstauth.GstAuthError && e instanceof Error, code);
      assert.deepEqual([cls.code, e.code, e.name, e.message, e.providerCode, e.retryAfterMs, e.retryable],
        [code, code, cls.name, 'm', 'P', 5, true]);
      assert.match(cls.name, /Error$/);
      assert.equal(gstauth[cls.name], cls);
    }
  });
});

for (const backend of BACKENDS) {
  const options = { backend };
  const g = gstauth.getBackend(backend);

  describe(`typed functions on ${backend}`, () => {
    test('give the generic entry\'s answers, bytes as Buffer and fields in camelCase', () => {
      const key = crypto.randomBytes(32);
      const plain = crypto.randomBytes(100);
      const enc = gstauth.aesEcbEncrypt({ key, plaintext: plain }, options);
      assert.ok(Buffer.isBuffer(enc.ciphertext));
      assert.equal(enc.ciphertext.toString('base64'),
        g.call('aes_ecb_encrypt', { key: key.toString('base64'), plaintext: plain.toString('base64') }).ciphertext);
      assert.deepEqual(gstauth.aesEcbDecrypt({ key, ciphertext: enc.ciphertext }, options).plaintext, plain);
      // Any Uint8Array, a view at an offset too.
      const padded = Buffer.concat([Buffer.alloc(7), key]);
      const view = new Uint8Array(padded.buffer, padded.byteOffset + 7, 32);
      assert.deepEqual(gstauth.aesEcbEncrypt({ key: view, plaintext: plain }, options), enc);
      const d = crypto.createDecipheriv('aes-256-ecb', key, null);
      assert.deepEqual(Buffer.concat([d.update(enc.ciphertext), d.final()]), plain);
      const info = gstauth.certificateInfo({ certificate: fs.readFileSync(path.join(KEYS, 'nic-sign-test.crt'), 'utf8') },
        options);
      assert.equal(typeof info.notAfterMs, 'number');
      assert.equal(typeof info.x5tS256, 'string');
    });

    test('a JSON payload as its text, its bytes or a value gives the same request', () => {
      const sek = Buffer.alloc(32, 3);
      const text = '{"gstin":"27AAACR5055K1Z7","fp":"042026"}';
      const want = g.call('gstn_encrypt_request', { sek: sek.toString('base64'), payload: text });
      assert.deepEqual(gstauth.gstnEncryptRequest({ sek, payload: text }, options), want);
      assert.deepEqual(gstauth.gstnEncryptRequest({ sek, payload: Buffer.from(text) }, options), want);
      assert.deepEqual(gstauth.gstnEncryptRequest({ sek, payload: { gstin: '27AAACR5055K1Z7', fp: '042026' } }, options), want);
      const raw = gstauth.gstnEncryptRequestRaw({ sek }, Buffer.from(text), options);
      assert.deepEqual([raw.hmac, raw.data.toString()], [want.hmac, want.data]);
      const dec = gstauth.gstnDecryptRequest({ sek, data: want.data, hmac: want.hmac }, options);
      assert.equal(dec.payload, text);
      // Integers beyond 2^53 keep every digit.
      const big = gstauth.nicEncryptRequest({ sek, payload: { AckNo: 112010036563310123456789n } }, options);
      const back = gstauth.nicDecryptResponse({ sek, data: big.data }, options).payload;
      assert.equal(back, '{"AckNo":112010036563310123456789}');
    });

    test('raw ops: sync and async agree; the async form rejects what the sync one throws', async () => {
      const key = crypto.randomBytes(32);
      const data = crypto.randomBytes(1000);
      const sync = gstauth.aesEcbEncryptRaw({ key }, data, options);
      assert.deepEqual(await gstauth.aesEcbEncryptRawAsync({ key }, data, options), sync);
      assert.deepEqual(await gstauth.aesEcbDecryptRawAsync({ key }, sync, options), data);
      await assert.rejects(gstauth.aesEcbDecryptRawAsync({ key }, data.subarray(0, 15), options), gstauth.DecryptFailedError);
      await assert.rejects(gstauth.aesEcbDecryptRawAsync({ key: 'text' }, data, options), TypeError);
    });

    test('shared objects pass as their JSON form; optional outputs are left out when absent', () => {
      const { session } = gstauth.sessionNew({ account: 'a', provider: 'nic_einvoice', config: { client_id: 'c' } }, options);
      assert.deepEqual([session.provider, session.account, session.config.client_id], ['nic_einvoice', 'a', 'c']);
      const plan = gstauth.sessionPlan({ session, nowMs: 1 }, options);
      assert.equal(plan.action, 'renew');
      const d = gstauth.sessionEnsure({ session, nowMs: 1, stage: 'check' }, options);
      assert.equal(d.move, 'renew');
      assert.ok(!('accessToken' in d) && !('request' in d) && !('error' in d));
      assert.equal(gstauth.rsaSha256Verify({ message: Buffer.from('m'),
        publicKey: fs.readFileSync(path.join(KEYS, 'nic-sign-test.crt'), 'utf8'),
        signature: gstauth.rsaSha256Sign({ message: Buffer.from('m'),
          privateKey: fs.readFileSync(path.join(KEYS, 'nic-sign-test.key'), 'utf8') }, options).signature }, options),
      undefined);
      assert.equal(typeof gstauth.schema(options).$defs, 'object');
      assert.equal(gstauth.version(options).version, gstauth.VERSION);
    });

    test('a failure is the class of its code; misuse is a TypeError that names the function', () => {
      assert.throws(() => gstauth.aesEcbDecrypt({ key: Buffer.alloc(32), ciphertext: Buffer.alloc(15) }, options),
        (e) => e instanceof gstauth.DecryptFailedError && e.code === 'decrypt_failed');
      assert.throws(() => gstauth.sessionEnsure({ now_ms: 1 }, options),
        (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_VALUE' && /sessionEnsure.*did you mean nowMs/.test(e.message));
      assert.throws(() => gstauth.pkceS256({}, options), (e) => e instanceof TypeError && /pkceS256: verifier is required/.test(e.message));
      assert.throws(() => gstauth.aesEcbEncrypt({ key: Buffer.alloc(32).toString('base64'), plaintext: Buffer.alloc(1) }, options),
        (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE' && /key must be a Uint8Array/.test(e.message));
      assert.throws(() => gstauth.pkceS256('verifier', options), TypeError);
      assert.throws(() => gstauth.gstnEncryptRequest({ sek: Buffer.alloc(32), payload: () => 1 }, options), TypeError);
      assert.throws(() => gstauth.version({ backend: 'koffi' }), TypeError);
      assert.ok(gstauth.pkceNew(undefined, options).verifier.length >= 43, 'an input with only optional fields may be left out');
    });
  });
}
