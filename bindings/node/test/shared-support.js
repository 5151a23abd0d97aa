// What the shared-store tests share: a token endpoint on loopback that counts its grants, child processes that
// run a shared session (fixtures/shared-child.mjs), and Redis servers of their own on free loopback ports.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { REPO } from './support.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CHILD = path.join(HERE, 'fixtures', 'shared-child.mjs');

export const KEY1 = Buffer.alloc(32, 0x11);
export const KEY2 = Buffer.alloc(32, 0x22);

/**
 * An OAuth token endpoint on loopback: POST /token answers access tokens tok-1, tok-2 ... valid for
 * lifetimeS (a function of the grant's number, or a number), after delayMs. Each grant is recorded with the
 * child that asked (its x-child header) and when. hang(grant) → true leaves that request unanswered.
 */
export async function tokenEndpoint({ lifetimeS = 3600, delayMs = 0, hang = () => false } = {}) {
  const ep = { grants: [], lifetimeS, delayMs, hang, hanging: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      const n = ep.grants.length + 1;
      const grant = { n, child: String(req.headers['x-child'] ?? ''), at: Date.now(), body };
      ep.grants.push(grant);
      if (ep.hang(grant)) {
        ep.hanging.push(res);
        return;
      }
      const wait = typeof ep.delayMs === 'function' ? ep.delayMs(grant) : ep.delayMs;
      if (wait > 0) await sleep(wait);
      const life = typeof ep.lifetimeS === 'function' ? ep.lifetimeS(grant) : ep.lifetimeS;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: `tok-${n}`, token_type: 'Bearer', expires_in: life }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  ep.url = `http://127.0.0.1:${server.address().port}/token`;
  ep.close = () => {
    for (const res of ep.hanging) res.destroy();
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  };
  return ep;
}

/** The options of an OAuth client-credentials session on the endpoint. */
export function oauthOptions(ep, extra = {}) {
  return {
    account: 'fleet-client',
    config: { token_url: ep.url, client_id: 'fleet-client', scope: 'gst' },
    credentials: { client_secret: 's3cret' },
    ...extra,
  };
}

/**
 * Starts a child process running a shared session (fixtures/shared-child.mjs) with the given settings; resolves
 * to {child, result} where result is a promise of the one JSON line it prints.
 */
export function startChild(settings) {
  const child = spawn(process.execPath, [CHILD], {
    env: { ...process.env, SHARED_CHILD: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { err += c; });
  const result = new Promise((resolve, reject) => {
    child.on('exit', (code, signal) => {
      const line = out.trim().split('\n').filter(Boolean).pop();
      if (signal) return resolve({ signal, stderr: err });
      if (code !== 0 || !line) return reject(new Error(`child ${settings.name} exited ${code}: ${err}${out}`));
      try {
        resolve({ ...JSON.parse(line), stderr: err });
      } catch {
        reject(new Error(`child ${settings.name} printed ${line}`));
      }
    });
  });
  return { child, result, stderr: () => err };
}

/** Asserts that no two grants of ep fall within gapMs of each other: one exchange per refresh window. */
export function assertOnePerWindow(ep, gapMs) {
  for (let i = 1; i < ep.grants.length; i++) {
    const d = ep.grants[i].at - ep.grants[i - 1].at;
    assert.ok(d >= gapMs, `grants ${i} and ${i + 1} only ${d} ms apart: ${JSON.stringify(ep.grants.map((g) => [g.child, g.at - ep.grants[0].at]))}`);
  }
}

// --- Redis servers of the tests' own ---------------------------------------------------------------------------

async function listenOn(port) {
  const s = net.createServer();
  const ok = await new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => resolve(true));
  });
  const bound = ok ? s.address().port : 0;
  if (ok) await new Promise((r) => s.close(r));
  return bound;
}

/** A free TCP port on loopback; with bus, one whose cluster bus port (port + 10000) is free too. */
export async function freePort(bus = false) {
  for (let i = 0; i < 100; i++) {
    const port = await listenOn(0);
    if (!bus || (port + 10000 <= 65535 && (await listenOn(port + 10000)))) return port;
  }
  throw new Error('no free port');
}

export function redisServerPath() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'redis-server');
    if (dir && fs.existsSync(p)) return p;
  }
  return null;
}

async function ping(port, deadline) {
  for (;;) {
    const ok = await new Promise((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.setTimeout(500);
      sock.on('connect', () => sock.write('PING\r\n'));
      sock.on('data', (d) => { sock.destroy(); resolve(String(d).startsWith('+PONG')); });
      sock.on('error', () => resolve(false));
      sock.on('timeout', () => { sock.destroy(); resolve(false); });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer PING`);
    await sleep(50);
  }
}

// Every redis-server started here is killed when the test process exits, however it exits.
const servers = new Set();
process.on('exit', () => {
  for (const p of servers) p.kill('SIGKILL');
});

/**
 * A redis-server of the test's own on a free loopback port (persistence off unless dir and appendonly), stopped
 * by stop(). The same port can be started again (restart) with start().
 */
export async function redisServer({ cluster = false, port, dir } = {}) {
  const bin = redisServerPath();
  assert.ok(bin, 'redis-server is not installed (make test-node installs it: apt-get install redis-server)');
  const srv = { port: port ?? await freePort(cluster), dir: dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gstauth-redis-')) };
  srv.start = async () => {
    const args = ['--port', String(srv.port), '--bind', '127.0.0.1', '--dir', srv.dir, '--save', '', '--appendonly', 'no',
      '--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'warning'];
    if (cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${srv.port}.conf`, '--cluster-node-timeout', '2000');
    srv.proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    servers.add(srv.proc);
    srv.proc.once('exit', () => servers.delete(srv.proc));
    let err = '';
    srv.proc.stderr.on('data', (c) => { err += c; });
    const exited = new Promise((_, reject) => srv.proc.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${err}`))));
    exited.catch(() => {});
    await Promise.race([ping(srv.port, Date.now() + 10_000), exited]);
  };
  srv.stop = async () => {
    const p = srv.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  };
  srv.url = `redis://127.0.0.1:${srv.port}`;
  await srv.start();
  return srv;
}

/** A three-master Redis Cluster of the test's own; stop() stops its nodes. */
export async function redisCluster() {
  const nodes = [];
  for (let i = 0; i < 3; i++) nodes.push(await redisServer({ cluster: true }));
  const cli = path.join(path.dirname(redisServerPath()), 'redis-cli');
  const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
  const r = spawnSync(cli, ['--cluster', 'create', ...addrs, '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `redis-cli --cluster create: ${r.stdout}${r.stderr}`);
  const deadline = Date.now() + 15_000;
  for (const n of nodes) {
    for (;;) {
      const info = spawnSync(cli, ['-p', String(n.port), 'cluster', 'info'], { encoding: 'utf8' }).stdout;
      if (/cluster_state:ok/.test(info)) break;
      assert.ok(Date.now() < deadline, `the cluster did not come up: ${info}`);
      await sleep(100);
    }
  }
  return {
    nodes,
    url: `redis-cluster://${addrs.join(',')}`,
    stop: async () => { for (const n of nodes) await n.stop(); },
  };
}

export { REPO };

/**
 * The Store interface's rules, the same for every store (core/store.go, store/redis/*.lua): a versioned
 * compare-and-set and a lease. advance(ms) moves the store's clock on (an injected one, or real time).
 */
export async function storeContract(store, keys, advance, gstauth) {
  assert.deepEqual(await store.read(keys), { version: 0, sealed: '' });
  assert.deepEqual(await store.write(keys, 0, 'sealed-a'), { written: true, version: 1 });
  assert.deepEqual(await store.write(keys, 0, 'sealed-b'), { written: false, version: 1 }, 'a stale write is refused');
  assert.deepEqual(await store.read(keys), { version: 1, sealed: 'sealed-a' });
  assert.deepEqual(await store.write(keys, 1, 'sealed-c'), { written: true, version: 2 });
  assert.deepEqual(await store.read(keys), { version: 2, sealed: 'sealed-c' });

  assert.equal(await store.lease(keys, 'take', 'a:1', 1000), true);
  assert.equal(await store.lease(keys, 'take', 'a:1', 1000), true, 'the holder renews its own lease');
  assert.equal(await store.lease(keys, 'take', 'b:2', 1000), false);
  assert.equal(await store.lease(keys, 'extend', 'b:2', 1000), false);
  assert.equal(await store.lease(keys, 'release', 'b:2', 1000), false);
  assert.equal(await store.lease(keys, 'extend', 'a:1', 1000), true);
  assert.equal(await store.lease(keys, 'release', 'a:1', 1000), true);
  assert.equal(await store.lease(keys, 'extend', 'a:1', 1000), false, 'a released lease cannot be extended');
  assert.equal(await store.lease(keys, 'take', 'b:2', 1000), true);
  await advance(1100);
  assert.equal(await store.lease(keys, 'extend', 'b:2', 1000), false, 'an expired lease cannot be extended');
  assert.equal(await store.lease(keys, 'take', 'a:1', 1000), true, 'an expired lease goes to the next taker');
  assert.equal(await store.lease(keys, 'release', 'a:1', 1000), true);
  assert.deepEqual(await store.read(keys), { version: 2, sealed: 'sealed-c' }, 'the lease leaves the session alone');

  await assert.rejects(store.lease(keys, 'take', 'no spaces', 1000), gstauth.InvalidInputError);
  await assert.rejects(store.lease(keys, 'take', 'a:1', 10), gstauth.InvalidInputError, 'a lease lasts at least 1 s');
  await assert.rejects(store.lease(keys, 'hold', 'a:1', 1000), gstauth.InvalidInputError);
}
