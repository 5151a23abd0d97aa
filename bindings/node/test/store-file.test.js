// The file store and sessions shared through it (docs/hosts.md, "Many processes"): the store's rules, its lock
// across real processes (and against flock(1), the lock the other languages take), and shared sessions in child
// processes against a token endpoint on loopback that counts its grants.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as gstauth from '../src/index.js';
import { assertOnePerWindow, KEY1, KEY2, oauthOptions, startChild, storeContract, tokenEndpoint } from './shared-support.js';

const { FileStore, OAuthClientCredentialsSession, openStore, storeKeys } = gstauth;
const HAMMER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'store-hammer.mjs');
const KEYS = storeKeys({ provider: 'oauth_client_credentials', account: 'fleet-client' });
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gstauth-store-'));
const hex = (k) => k.toString('hex');

function run(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => { out += c; });
    p.stderr.on('data', (c) => { err += c; });
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

describe('the file store', () => {
  for (const lock of ['flock', 'mkdir']) {
    test(`its rules (${lock} lock): compare-and-set writes and the lease, on its own clock`, async () => {
      const clock = { t: 1_767_225_600_000 };
      const store = new FileStore(tmpDir(), { lock, clock: () => clock.t });
      await storeContract(store, KEYS, (ms) => { clock.t += ms; }, gstauth);
      // The record is the core's StoreRecord as JSON: what every language's file store reads and writes.
      const rec = JSON.parse(fs.readFileSync(store.pathOf(KEYS), 'utf8'));
      assert.deepEqual(Object.keys(rec).sort(), ['sealed', 'version']);
      await store.lease(KEYS, 'take', 'a:1', 5000);
      assert.deepEqual(JSON.parse(fs.readFileSync(store.pathOf(KEYS), 'utf8')).lease, { holder: 'a:1', expires_at_ms: clock.t + 5000 });
      assert.deepEqual(fs.readdirSync(store.dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left');
    });

    test(`its lock excludes other processes (${lock}): 4 processes × 40 writes, every version written once`, async () => {
      const dir = tmpDir();
      const startAt = Date.now() + 700;
      const results = await Promise.all([1, 2, 3, 4].map((i) => run([HAMMER, `file:${dir}`, `p${i}`, '40', lock, String(startAt)])));
      const store = new FileStore(dir, { lock });
      const { version } = await store.read(storeKeys({ provider: 'oauth_client_credentials', account: 'hammer' }));
      assert.equal(version, 160, `${version} versions for 160 writes: ${JSON.stringify(results)}`);
      assert.ok(results.every((r) => r.written === 40));
    });
  }

  // Other hosts lock <file>.lock with flock(2) (Go's gofrs/flock; flock(1) here) or with a POSIX record lock (the
  // JVM's FileChannel.lock; Python's fcntl.lockf here): a change of this store waits for either.
  const holders = {
    'flock(2), as Go takes it': (file, s) => ['/usr/bin/flock', [file, 'sleep', String(s)]],
    'a POSIX record lock, as the JVM takes it': (file, s) => ['python3', ['-c',
      'import fcntl,sys,time; f=open(sys.argv[1],"a"); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(float(sys.argv[2]))', file, String(s)]],
  };
  for (const [kind, command] of Object.entries(holders)) {
    test(`its lock on <file>.lock excludes ${kind}`, { skip: kind.startsWith('flock') && !fs.existsSync('/usr/bin/flock') && 'no flock(1)' }, async () => {
      const store = new FileStore(tmpDir());
      const lockFile = `${store.pathOf(KEYS)}.lock`;
      const holder = spawn(...command(lockFile, 0.7), { stdio: 'ignore' });
      const held = new Promise((r) => holder.once('exit', r));
      await sleep(250);
      const t0 = Date.now();
      assert.deepEqual(await store.write(KEYS, 0, 'sealed'), { written: true, version: 1 });
      assert.ok(Date.now() - t0 >= 300, `the write took ${Date.now() - t0} ms while the other lock was held`);
      await held;
      const again = spawn(...command(lockFile, 1), { stdio: 'ignore' });
      await sleep(250);
      const impatient = new FileStore(store.dir, { lockTimeoutMs: 200 });
      await assert.rejects(impatient.write(KEYS, 1, 'x'), (e) => e instanceof gstauth.StoreUnavailableError &&
        e.code === 'store_unavailable' && e.retryable === true && e.cause?.code === 'ETIMEDOUT');
      again.kill();
    });
  }

  for (const lock of ['flock', 'mkdir']) {
    test(`a store out of reach fails with store_unavailable (${lock} lock): its directory gone, a file in its place`, async () => {
      const dir = path.join(tmpDir(), 'records');
      const store = new FileStore(dir, { lock });
      fs.rmdirSync(dir);
      fs.writeFileSync(dir, '');
      const unavailable = (e) => e instanceof gstauth.StoreUnavailableError && e instanceof gstauth.GstAuthError &&
        e.code === 'store_unavailable' && e.retryable === true && e.cause instanceof Error && e.message.includes(e.cause.code);
      await assert.rejects(store.read(KEYS), unavailable);
      await assert.rejects(store.lease(KEYS, 'take', 'a:1', 1000), unavailable);
      await assert.rejects(store.write(KEYS, 0, 'sealed'), unavailable);
      assert.throws(() => new FileStore(path.join(dir, 'below'), { lock }), unavailable);
      // A misuse is still a TypeError, and a lease the rules refuse the core's invalid_input.
      await assert.rejects(store.read({}), TypeError);
      await assert.rejects(store.lease(KEYS, 'take', 'no spaces', 1000), gstauth.InvalidInputError);
    });
  }

  test('openStore reads file: URLs; a bad URL is a TypeError', async () => {
    const dir = tmpDir();
    for (const u of [`file:${dir}`, `file://${dir}`]) {
      const s = await openStore(u);
      assert.equal(s.kind, 'file');
      assert.equal(s.dir, dir);
    }
    await assert.rejects(openStore('ftp://x'), TypeError);
    await assert.rejects(openStore('file:'), TypeError);
    assert.throws(() => new FileStore(dir, { lock: 'fcntl' }), TypeError);
  });
});

describe('a session shared through the file store, across processes', () => {
  test('at the margin, one process of five refreshes per window and the others do not wait', async () => {
    const ep = await tokenEndpoint({ lifetimeS: 4, delayMs: 400 });
    try {
      const location = `file:${tmpDir()}`;
      const store = await openStore(location);
      // The first grant, stored before the processes start (as the fleet's orchestrator does).
      const seed = new OAuthClientCredentialsSession(oauthOptions(ep, { store, sealKeys: [{ keyId: 'k1', key: KEY1 }] }));
      assert.equal(await seed.ensure(), 'tok-1');
      const stopAt = ep.grants[0].at + 7600; // refreshes due at ~3 s and ~6.4 s
      const children = [1, 2, 3, 4, 5].map((i) => startChild({ name: `c${i}`, store: location, tokenUrl: ep.url,
        keys: [['k1', hex(KEY1)]], mode: 'loop', stopAt, intervalMs: 15 }));
      const reports = await Promise.all(children.map((c) => c.result));
      const refreshes = ep.grants.slice(1);
      assert.equal(refreshes.length, 2, `grants: ${JSON.stringify(ep.grants.map((g) => [g.child, g.at - ep.grants[0].at]))}`);
      assertOnePerWindow(ep, 2500);
      assert.equal(reports.reduce((n, r) => n + r.stats.exchanges, 0), refreshes.length, 'every refresh made under the lease');
      for (const r of reports) {
        assert.deepEqual(r.failures, [], r.name);
        assert.ok(r.calls > 50, `${r.name} made ${r.calls} calls`);
        // The refresher's exchange takes 400 ms; a caller that waited for it would show it.
        assert.ok(r.maxWaitMs < 250, `${r.name} waited ${r.maxWaitMs} ms for a token it did not refresh`);
        assert.deepEqual(r.tokens, ['tok-1', 'tok-2', 'tok-3'], `${r.name} saw ${r.tokens}`);
        assert.ok(!r.events.wait, `${r.name} waited: ${JSON.stringify(r.events)}`);
      }
      assert.equal((await store.read(KEYS)).version, 3);
    } finally {
      await ep.close();
    }
  });

  test('an unusable token: the others wait for the one renewal, bounded, then find it stored', async () => {
    const ep = await tokenEndpoint({ lifetimeS: 60, delayMs: 2000 });
    try {
      const location = `file:${tmpDir()}`;
      const startAt = Date.now() + 900;
      const againAt = startAt + 2600;
      const children = [1, 2, 3, 4].map((i) => startChild({ name: `w${i}`, store: location, tokenUrl: ep.url,
        keys: [['k1', hex(KEY1)]], mode: 'once', startAt, againAt, waitTimeoutMs: 700 }));
      const reports = await Promise.all(children.map((c) => c.result));
      assert.equal(ep.grants.length, 1, 'one grant for four processes');
      const renewer = reports.filter((r) => r.first.ok);
      const waiters = reports.filter((r) => !r.first.ok);
      assert.equal(renewer.length, 1);
      assert.equal(renewer[0].first.token, 'tok-1');
      assert.equal(waiters.length, 3);
      for (const w of waiters) {
        assert.equal(w.first.code, 'token_expired', w.first.message);
        assert.ok(w.first.ms >= 690 && w.first.ms < 1300, `${w.name} waited ${w.first.ms} ms (bound 700)`);
        assert.equal(w.events.wait, 1, 'the wait is told');
        assert.equal(w.stats.waits, 1);
      }
      for (const r of reports) {
        assert.equal(r.again.ok, true, `${r.name}: ${r.again.message}`);
        assert.equal(r.again.token, 'tok-1');
        assert.ok(r.again.ms < 300, `${r.name}: ${r.again.ms} ms`);
      }
    } finally {
      await ep.close();
    }
  });

  test('a lease holder killed mid-refresh is replaced once its lease expires; nothing is lost', async () => {
    let victim = null;
    // The first refresh request never gets an answer: its process is killed (SIGKILL) while it waits.
    const ep = await tokenEndpoint({ lifetimeS: (g) => (g.n === 1 ? 4 : 60), hang: (g) => g.n === 2 });
    try {
      const location = `file:${tmpDir()}`;
      const store = await openStore(location);
      const seed = new OAuthClientCredentialsSession(oauthOptions(ep, { store, sealKeys: [{ keyId: 'k1', key: KEY1 }] }));
      await seed.ensure();
      const stopAt = ep.grants[0].at + 6000;
      const children = [1, 2, 3, 4].map((i) => startChild({ name: `k${i}`, store: location, tokenUrl: ep.url,
        keys: [['k1', hex(KEY1)]], mode: 'loop', stopAt, intervalMs: 20, leaseTtlMs: 1000, waitTimeoutMs: 5000 }));
      for (;;) {
        if (ep.grants.length >= 2) break;
        await sleep(5);
      }
      victim = children.find((c, i) => `k${i + 1}` === ep.grants[1].child);
      victim.child.kill('SIGKILL');
      const results = await Promise.all(children.map((c) => c.result));
      assert.equal(results.filter((r) => r.signal === 'SIGKILL').length, 1);
      assert.equal(ep.grants.length, 3, `grants: ${JSON.stringify(ep.grants.map((g) => [g.child, g.at - ep.grants[0].at]))}`);
      const [, killed, replacement] = ep.grants;
      assert.notEqual(replacement.child, killed.child);
      assert.ok(replacement.at - killed.at >= 950, `taken over ${replacement.at - killed.at} ms after (lease 1000 ms)`);
      for (const r of results.filter((x) => !x.signal)) {
        assert.deepEqual(r.failures, [], r.name);
        assert.equal(r.tokens.at(-1), 'tok-3', r.name);
        assert.equal(r.version, 2, 'the killed holder wrote nothing: the replacement wrote version 2');
      }
    } finally {
      victim?.child.kill('SIGKILL');
      await ep.close();
    }
  });
});
