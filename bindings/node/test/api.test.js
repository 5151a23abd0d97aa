// The package's surface: one module behind both entry points, its version, its types, the backend choice, and
// how a core failure becomes a GstAuthError.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as esm from 'gstauth';
import { BACKENDS, REPO } from './support.js';

const require = createRequire(import.meta.url);
const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { errorFromJSON } = require('../src/errors.cjs');

describe('the package', () => {
  test('import and require reach the same module: one backend, one GstAuthError', () => {
    const cjs = require('gstauth');
    assert.equal(require.resolve('gstauth'), path.join(PACKAGE, 'src', 'index.cjs'));
    assert.equal(fileURLToPath(import.meta.resolve('gstauth')), path.join(PACKAGE, 'src', 'index.js'));
    for (const name of ['call', 'callAsync', 'callRaw', 'callRawAsync', 'getBackend', 'GstAuthError']) {
      assert.equal(typeof cjs[name], 'function', name);
      assert.equal(esm[name], cjs[name], name);
    }
    assert.equal(esm.default, cjs);
    // Every name, the generated ones too, reaches the ES module entry (index.cjs re-exports in a form Node sees).
    const names = Object.keys(cjs).sort();
    assert.ok(names.length > 100, `${names.length} names`);
    assert.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), names);
    for (const name of names) assert.equal(esm[name], cjs[name], name);
    const undici = require('gstauth/undici');
    assert.deepEqual(Object.keys(undici).sort(), ['dispatcherSender', 'gstauthInterceptor']);
  });

  test('exports has import and require conditions, each with its types first', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE, 'package.json'), 'utf8'));
    for (const cond of ['import', 'require']) {
      const entry = pkg.exports['.'][cond];
      assert.equal(Object.keys(entry)[0], 'types', cond);
      for (const file of Object.values(entry)) assert.ok(fs.existsSync(path.join(PACKAGE, file)), file);
    }
    assert.equal(pkg.type, 'module');
    assert.match(pkg.engines.node, /^>=20/);
  });

  test('the declarations and a typed example type-check with --strict for import and require (tsc)', () => {
    const tsc = path.join(PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '-p', path.join(PACKAGE, 'test', 'types', 'tsconfig.json')], { stdio: 'pipe' });
  });

  test('both backends are built from the version in VERSION', () => {
    const version = fs.readFileSync(path.join(REPO, 'VERSION'), 'utf8').trim();
    for (const name of BACKENDS) assert.equal(esm.getBackend(name).version, version, name);
  });

  test('GSTAUTH_BACKEND chooses the default backend; cshared without it; anything else is refused', () => {
    const run = (env) => execFileSync(process.execPath, ['-e', 'process.stdout.write(require("gstauth").getBackend().name)'],
      { cwd: PACKAGE, env: { ...process.env, GSTAUTH_BACKEND: env }, encoding: 'utf8', stdio: 'pipe' });
    assert.equal(run(''), 'cshared');
    assert.equal(run('cshared'), 'cshared');
    assert.equal(run('wasm'), 'wasm');
    assert.throws(() => run('koffi'), /GSTAUTH_BACKEND is "koffi": use cshared or wasm/);
    assert.throws(() => esm.getBackend('koffi'), TypeError);
  });
});

describe('GstAuthError', () => {
  test('carries code, message, providerCode, retryAfterMs and retryable from the error JSON', () => {
    const e = errorFromJSON(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down', provider_code: 'RT-429',
      retry_after_ms: 2500, retryable: true } }));
    assert.ok(e instanceof esm.RateLimitedError && e instanceof esm.GstAuthError && e instanceof Error);
    assert.deepEqual({ name: e.name, code: e.code, message: e.message, providerCode: e.providerCode,
      retryAfterMs: e.retryAfterMs, retryable: e.retryable },
    { name: 'RateLimitedError', code: 'rate_limited', message: 'slow down', providerCode: 'RT-429', retryAfterMs: 2500,
      retryable: true });
    const plain = errorFromJSON('{"error":{"code":"decrypt_failed","message":"m"}}');
    assert.deepEqual([plain.providerCode, plain.retryAfterMs, plain.retryable], [undefined, undefined, false]);
    assert.ok(!(errorFromJSON('not json') instanceof esm.GstAuthError), 'a broken answer is not a core error');
    const future = errorFromJSON('{"error":{"code":"some_later_code","message":"m"}}');
    assert.ok(future.constructor === esm.GstAuthError && future.code === 'some_later_code', 'a code of a newer core');
  });

  for (const name of BACKENDS) {
    test(`a core failure on ${name} is a GstAuthError with the core's code and message`, () => {
      const g = esm.getBackend(name);
      assert.throws(() => g.call('aes_ecb_decrypt', { key: Buffer.alloc(32).toString('base64'), ciphertext: '' }),
        (e) => e instanceof esm.GstAuthError && e.code === 'decrypt_failed' && e.message.length > 0 && e.retryable === false);
    });
  }
});

describe('integers beyond 2^53', () => {
  for (const name of BACKENDS) {
    test(`keep every digit through the core on ${name} (BigInt in, BigInt out)`, () => {
      const g = esm.getBackend(name);
      const key = fs.readFileSync(path.join(REPO, 'testdata', 'keys', 'nic-sign-test.key'), 'utf8');
      const cert = fs.readFileSync(path.join(REPO, 'testdata', 'keys', 'nic-sign-test.crt'), 'utf8');
      const claims = { AckNo: 112010036563310123456789n, small: 42, safe: Number.MAX_SAFE_INTEGER };
      const { jwt } = g.call('sign_jwt_rs256', { private_key: key, claims });
      assert.match(Buffer.from(jwt.split('.')[1], 'base64url').toString(), /"AckNo":112010036563310123456789[,}]/);
      assert.deepEqual(g.call('verify_signed_jwt', { jwt, certificates: [cert] }).claims, claims);
    });
  }
});
