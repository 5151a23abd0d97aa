// The Redis store and sessions shared through it, against redis-server instances of the test's own on free
// loopback ports (a single node, restarted once; a three-node Redis Cluster): the scripts' rules through
// node-redis and ioredis, EVALSHA reloaded after a NOSCRIPT, and shared sessions in child processes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import * as gstauth from '../src/index.js';
import { assertOnePerWindow, freePort, KEY1, oauthOptions, redisCluster, redisServer, redisServerPath, startChild,
  storeContract, tokenEndpoint } from './shared-support.js';

const { OAuthClientCredentialsSession, openStore, RedisStore, Session, storeKeys } = gstauth;
const keysOf = (account) => storeKeys({ provider: 'oauth_client_credentials', account });
const hex = (k) => k.toString('hex');
const cli = (port, ...args) => spawnSync(path.join(path.dirname(redisServerPath()), 'redis-cli'), ['-p', String(port), ...args],
  { encoding: 'utf8' }).stdout.trim();

describe('the Redis store', () => {
  let srv;
  before(async () => { srv = await redisServer(); });
  after(async () => { await srv?.stop(); });

  for (const client of ['redis', 'ioredis']) {
    test(`its rules through ${client}: compare-and-set writes and the lease on the server's clock`, async () => {
      const store = await openStore(srv.url, { client });
      try {
        assert.equal(store.kind, 'redis');
        const keys = keysOf(`contract-${client}`);
        await storeContract(store, keys, (ms) => sleep(ms), gstauth);
        // The record is the scripts' hash and the lease a key of its own, both under the session's hash tag.
        assert.equal(cli(srv.port, 'HGET', keys.session, 'version'), '2');
        await store.lease(keys, 'take', 'a:1', 5000);
        assert.equal(cli(srv.port, 'GET', keys.lease), 'a:1');
        assert.ok(Number(cli(srv.port, 'PTTL', keys.lease)) > 4000);
      } finally {
        await store.close();
      }
    });

    test(`a NOSCRIPT (the script cache flushed, as by a restart) sends the script again (${client})`, async () => {
      const store = await openStore(srv.url, { client });
      try {
        const keys = keysOf(`noscript-${client}`);
        assert.equal((await store.write(keys, 0, 'a')).written, true);
        assert.equal(cli(srv.port, 'SCRIPT', 'FLUSH'), 'OK');
        assert.equal(cli(srv.port, 'SCRIPT', 'EXISTS', RedisStore.scripts.write.sha), '0');
        assert.deepEqual(await store.write(keys, 1, 'b'), { written: true, version: 2 });
        assert.deepEqual(await store.read(keys), { version: 2, sealed: 'b' });
        assert.equal(cli(srv.port, 'SCRIPT', 'EXISTS', RedisStore.scripts.write.sha), '1', 'cached again by EVAL');
      } finally {
        await store.close();
      }
    });
  }

  test('Redis out of reach: openStore and the store\'s calls fail with store_unavailable, through either client', async () => {
    const port = await freePort(); // nothing listens there
    const unavailable = (e) => e instanceof gstauth.StoreUnavailableError && e.code === 'store_unavailable' &&
      e.retryable === true && e.cause instanceof Error;
    for (const client of ['redis', 'ioredis']) {
      for (const url of [`redis://:s3cret@127.0.0.1:${port}`, `redis-cluster://127.0.0.1:${port}`]) {
        await assert.rejects(openStore(url, { client }), (e) => unavailable(e) && !e.message.includes('s3cret'), `${client} ${url}`);
      }
    }
    // A store over a client that lost its server: every call.
    const store = await openStore(srv.url);
    const keys = keysOf('unreachable');
    try {
      await srv.stop();
      await assert.rejects(store.read(keys), unavailable);
      await assert.rejects(store.lease(keys, 'take', 'a:1', 1000), unavailable);
      await assert.rejects(store.write(keys, 0, 'sealed'), unavailable);
      await assert.rejects(store.lease(keys, 'take', 'no spaces', 1000), gstauth.InvalidInputError, 'checked before any call');
    } finally {
      await srv.start();
      await store.close().catch(() => {});
    }
  });

  test('the scripts are store/redis/*.lua as they are, named by their SHA-1', () => {
    for (const name of ['read', 'lease', 'write']) {
      const s = RedisStore.scripts[name];
      assert.match(s.text, /^-- gstauth shared session store, Redis/);
      assert.equal(cli(srv.port, 'SCRIPT', 'LOAD', s.text), s.sha);
    }
    assert.throws(() => new RedisStore({}), TypeError);
  });

  test('the store goes away and comes back empty: the valid token is used meanwhile, then stored again', async () => {
    const ep = await tokenEndpoint();
    const store = await openStore(srv.url);
    try {
      const events = [];
      const s = new OAuthClientCredentialsSession(oauthOptions(ep, { store, sealKeys: [{ keyId: 'k1', key: KEY1 }],
        storeTimeoutMs: 500, onStoreEvent: (e) => events.push(e.type) }));
      assert.equal(await s.ensure(), 'tok-1');
      await srv.stop();
      const t0 = Date.now();
      assert.equal(await s.ensure(), 'tok-1');
      assert.ok(Date.now() - t0 < 700, `${Date.now() - t0} ms with the store down`);
      assert.ok(events.includes('store_error'));
      await srv.start(); // no persistence here: the record is gone
      for (let i = 0; i < 100 && s.shared.stats.writes < 2; i++) {
        assert.equal(await s.ensure(), 'tok-1');
        await sleep(50);
      }
      assert.ok(events.includes('store_reset'));
      assert.equal(s.shared.version, 1);
      assert.equal(Session.open((await store.read(s.shared.keys)).sealed, { k1: KEY1 }).accessToken, 'tok-1');
    } finally {
      await store.close();
      await ep.close();
    }
  });

  /** A fresh record for the children's session (fleet-client), its first grant stored before they start. */
  async function seeded(ep) {
    cli(srv.port, 'FLUSHALL');
    const store = await openStore(srv.url);
    try {
      const seed = new OAuthClientCredentialsSession(oauthOptions(ep, { store, sealKeys: [{ keyId: 'k1', key: KEY1 }] }));
      assert.equal(await seed.ensure(), 'tok-1');
    } finally {
      await store.close();
    }
  }

  test('across processes: one refresh per window among five, the others not waiting', async () => {
    const ep = await tokenEndpoint({ lifetimeS: 4, delayMs: 400 });
    try {
      await seeded(ep);
      const stopAt = ep.grants[0].at + 7600;
      const reports = await Promise.all([1, 2, 3, 4, 5].map((i) => startChild({ name: `r${i}`, store: srv.url,
        tokenUrl: ep.url, keys: [['k1', hex(KEY1)]], mode: 'loop', stopAt, intervalMs: 15 }).result));
      assert.equal(ep.grants.length, 3, `grants: ${JSON.stringify(ep.grants.map((g) => [g.child, g.at - ep.grants[0].at]))}`);
      assertOnePerWindow(ep, 2500);
      assert.equal(reports.reduce((n, r) => n + r.stats.exchanges, 0), 2);
      for (const r of reports) {
        assert.deepEqual(r.failures, [], r.name);
        assert.ok(r.maxWaitMs < 250, `${r.name} waited ${r.maxWaitMs} ms for a token it did not refresh`);
        assert.deepEqual(r.tokens, ['tok-1', 'tok-2', 'tok-3'], r.name);
      }
    } finally {
      await ep.close();
    }
  });

  test('across processes: a lease holder killed mid-refresh is replaced once its lease expires on the server', async () => {
    // The first refresh request never gets an answer: its process is killed (SIGKILL) while it waits.
    const ep = await tokenEndpoint({ lifetimeS: (g) => (g.n === 1 ? 4 : 60), hang: (g) => g.n === 2 });
    let children = [];
    try {
      await seeded(ep);
      const stopAt = ep.grants[0].at + 6000;
      children = [1, 2, 3, 4].map((i) => startChild({ name: `x${i}`, store: srv.url, tokenUrl: ep.url,
        keys: [['k1', hex(KEY1)]], mode: 'loop', stopAt, intervalMs: 20, leaseTtlMs: 1000, waitTimeoutMs: 5000 }));
      while (ep.grants.length < 2) await sleep(5);
      children.find((c, i) => `x${i + 1}` === ep.grants[1].child).child.kill('SIGKILL');
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
      for (const c of children) c.child.kill('SIGKILL');
      await ep.close();
    }
  });
});

describe('the Redis store on a Redis Cluster', () => {
  let cluster;
  before(async () => { cluster = await redisCluster(); });
  after(async () => { await cluster?.stop(); });

  for (const client of ['redis', 'ioredis']) {
    test(`its rules through ${client}'s cluster client, routed by the session's hash tag`, async () => {
      const store = await openStore(cluster.url, { client });
      try {
        await storeContract(store, keysOf(`cluster-${client}`), (ms) => sleep(ms), gstauth);
      } finally {
        await store.close();
      }
    });
  }

  test('sessions on the cluster: one renewal and one refresh for three', async () => {
    const ep = await tokenEndpoint({ delayMs: 50 });
    const stores = await Promise.all([1, 2, 3].map(() => openStore(cluster.url)));
    try {
      const clock = { t: 1_767_225_600_000 };
      const sessions = stores.map((store, i) => new OAuthClientCredentialsSession(oauthOptions(ep, { store,
        holder: `node-${i}`, sealKeys: [{ keyId: 'k1', key: KEY1 }], clock: () => clock.t })));
      assert.deepEqual(await Promise.all(sessions.map((s) => s.ensure())), ['tok-1', 'tok-1', 'tok-1']);
      clock.t += 3600_000 - 4 * 60_000;
      await Promise.all(sessions.map((s) => s.ensure()));
      assert.deepEqual(await Promise.all(sessions.map((s) => s.ensure())), ['tok-2', 'tok-2', 'tok-2']);
      assert.equal(ep.grants.length, 2);
    } finally {
      for (const s of stores) await s.close();
      await ep.close();
    }
  });
});
