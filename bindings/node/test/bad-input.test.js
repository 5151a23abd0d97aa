// Bad arguments never take the process down: each is a TypeError (the binding refuses it: wrong types, and names
// that are not ops of the right kind, by the core's own op list) or a GstAuthError with a code (the core refuses
// it), and both backends refuse the same call the same way.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';

import { getBackend, GstAuthError } from '../src/index.js';
import locate from '../src/locate.cjs';
import { BACKENDS } from './support.js';

const KEY = Buffer.alloc(32, 9).toString('base64');
const HUGE = 'x'.repeat(90 << 20); // over the core's input limit (64 MiB payloads, base64'd, plus 1 MiB)
const cyclic = {};
cyclic.self = cyclic;

// [what, call(backend), expected]: 'TypeError' or the core's error code.
const CASES = [
  ['op undefined', (g) => g.call(undefined, {}), 'TypeError'],
  ['op a number', (g) => g.call(42, {}), 'TypeError'],
  ['op a symbol', (g) => g.call(Symbol('pkce_s256'), {}), 'TypeError'],
  ['op with a NUL byte after a real op name', (g) => g.call('pkce_s256\0junk', { verifier: 'x'.repeat(43) }), 'invalid_input'],
  ['op only a NUL byte', (g) => g.callRaw('\0', {}, Buffer.alloc(0)), 'invalid_input'],
  ['op empty', (g) => g.call('', {}), 'invalid_input'],
  ['op unknown', (g) => g.call('no_such_op', {}), 'unsupported'],
  ['op of a million characters', (g) => g.call('a'.repeat(1e6), {}), 'invalid_input'],
  ['op a real name followed by 300 more characters', (g) => g.call('pkce_s256' + 'x'.repeat(300), {}), 'invalid_input'],
  ['op not ASCII', (g) => g.call('pkce_s256\u00e9', {}), 'unsupported'],
  ['a raw op through call', (g) => g.call('aes_ecb_encrypt_raw', { key: KEY }), 'unsupported'],
  ['a JSON op through callRaw', (g) => g.callRaw('aes_ecb_encrypt', { key: KEY }, Buffer.alloc(1)), 'unsupported'],
  ['input undefined', (g) => g.call('error_codes', undefined), 'TypeError'],
  ['input null', (g) => g.call('error_codes', null), 'TypeError'],
  ['input a string', (g) => g.call('error_codes', '{}'), 'TypeError'],
  ['input an array', (g) => g.call('error_codes', []), 'TypeError'],
  ['input a Buffer', (g) => g.call('error_codes', Buffer.from('{}')), 'TypeError'],
  ['input cyclic', (g) => g.call('pkce_s256', cyclic), 'TypeError'],
  ['input field of the wrong type', (g) => g.call('pkce_s256', { verifier: 42 }), 'invalid_input'],
  ['input field unknown to the op', (g) => g.call('error_codes', { extra: true }), 'invalid_input'],
  ['input field missing', (g) => g.call('aes_ecb_encrypt', { key: KEY }), 'invalid_input'],
  ['bytes field that is not base64', (g) => g.call('aes_ecb_encrypt', { key: KEY, plaintext: '!!!' }), 'invalid_input'],
  ['input holding a 90 MiB string', (g) => g.call('pkce_s256', { verifier: HUGE }), 'too_large'],
  ['raw params holding a 90 MiB string', (g) => g.callRaw('aes_ecb_encrypt_raw', { key: HUGE }, Buffer.alloc(1)), 'too_large'],
  ['raw data of 90 MiB', (g) => g.callRaw('aes_ecb_encrypt_raw', { key: KEY }, Buffer.alloc(90 << 20)), 'too_large'],
  ['raw data a string', (g) => g.callRaw('aes_ecb_encrypt_raw', { key: KEY }, 'plaintext'), 'TypeError'],
  ['raw data undefined', (g) => g.callRaw('aes_ecb_encrypt_raw', { key: KEY }), 'TypeError'],
  ['raw data an array of numbers', (g) => g.callRaw('aes_ecb_encrypt_raw', { key: KEY }, [1, 2, 3]), 'TypeError'],
  ['raw data a Uint16Array', (g) => g.callRaw('aes_ecb_encrypt_raw', { key: KEY }, new Uint16Array(8)), 'TypeError'],
  ['raw data an ArrayBuffer', (g) => g.callRaw('aes_ecb_encrypt_raw', { key: KEY }, new ArrayBuffer(8)), 'TypeError'],
  ['raw params a string', (g) => g.callRaw('aes_ecb_encrypt_raw', `{"key":"${KEY}"}`, Buffer.alloc(1)), 'TypeError'],
  ['raw params unknown field', (g) => g.callRaw('aes_ecb_encrypt_raw', { key: KEY, iv: KEY }, Buffer.alloc(1)), 'invalid_input'],
  ['raw key of 16 bytes', (g) => g.callRaw('aes_ecb_encrypt_raw', { key: KEY.slice(0, 24) }, Buffer.alloc(1)), 'invalid_key'],
];

function outcome(fn) {
  try {
    fn();
  } catch (e) {
    if (e instanceof TypeError) return 'TypeError';
    if (e instanceof GstAuthError && typeof e.code === 'string' && e.code !== '') return e.code;
    throw e;
  }
  return 'success';
}

async function outcomeAsync(fn) {
  try {
    await fn();
  } catch (e) {
    if (e instanceof TypeError) return 'TypeError';
    if (e instanceof GstAuthError) return e.code;
    throw e;
  }
  return 'success';
}

for (const name of BACKENDS) {
  describe(`bad input on ${name}`, () => {
    const g = getBackend(name);
    for (const [what, fn, want] of CASES) {
      test(what, () => assert.equal(outcome(() => fn(g)), want));
    }

    test('the async forms reject (never throw synchronously) the same way', async () => {
      const asyncOf = (g2) => ({
        call: (op, input) => g2.callAsync(op, input),
        callRaw: (op, params, data) => g2.callRawAsync(op, params, data),
      });
      for (const [what, fn, want] of CASES) {
        if (what.includes('90 MiB')) continue; // the sync cases cover the size limits
        let p;
        assert.doesNotThrow(() => { p = fn(asyncOf(g)); }, what);
        assert.equal(await outcomeAsync(() => p), want, what);
      }
    });

    test('the backend still answers after all of that', () => {
      assert.deepEqual(g.call('pkce_s256', { verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' }),
        { challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' });
    });
  });
}

describe('the addon itself, called past the JavaScript checks', () => {
  const addon = createRequire(import.meta.url)(locate.addonPath());
  getBackend('cshared'); // loads the library
  const bad = [
    () => addon.call(),
    () => addon.call('pkce_s256'),
    () => addon.call(1, '{}'),
    () => addon.call('pkce_s256', {}),
    () => addon.call('pkce_s256', Buffer.from('{}')),
    () => addon.callRaw('aes_ecb_encrypt_raw', '{}'),
    () => addon.callRaw('aes_ecb_encrypt_raw', '{}', 'data'),
    () => addon.callRaw('aes_ecb_encrypt_raw', '{}', new Float64Array(2)),
    () => addon.callRaw('aes_ecb_encrypt_raw', null, Buffer.alloc(1)),
    () => addon.callAsync(null, '{}'),
    () => addon.callRawAsync('x', '{}', {}),
    () => addon.callLoop('pkce_s256', '{}', -1),
    () => addon.callLoop('pkce_s256', '{}', 'many'),
    () => addon.load(42),
  ];
  for (const [i, fn] of bad.entries()) {
    test(`wrong argument types #${i}: TypeError`, () => assert.throws(fn, TypeError));
  }

  test('a NUL byte in an op name is refused here too', () => {
    assert.throws(() => addon.call('pkce_s256\0', '{}'), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_VALUE');
  });

  test('a second, different library is refused: one Go runtime per process', () => {
    assert.throws(() => addon.load('/usr/lib/x86_64-linux-gnu/libc.so.6'), /already loaded/);
    assert.throws(() => addon.load('/no/such/libgstauth.so'), /cannot find/);
  });

  test('failures come back as [error JSON], whatever the name', () => {
    for (const op of ['no_such_op', '', 'x'.repeat(10_000), 'aes_ecb_encrypt_raw']) {
      const r = addon.call(op, '{}');
      assert.ok(Array.isArray(r) && r.length === 1, op);
      assert.equal(typeof JSON.parse(r[0]).error.code, 'string');
    }
  });
});
