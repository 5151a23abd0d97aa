#!/usr/bin/env node
// The Node worker of the fleet test (e2e/fleet/README.md, "The worker contract"): one process that follows the
// rules of docs/hosts.md ("Many processes") through the gstauth package and its stores, nothing else.
//
//   GSTAUTH_FLEET_CONFIG=/path/to/config.json node e2e/fleet/node/worker.mjs
//
// Each session of the configuration is a gstauth session in the configured store (file:, redis://,
// redis-cluster://), sealed with the first of seal_keys and opened with any of them, its lease held as
// "<worker>:<pid>". Every call_interval_ms (±20 %) each session makes its one API call through gstauthFetch, the
// package's fetch wrapper (token, headers, encryption, one replay after a rejected token, decryption); `calls`
// counts the answered ones, and an answer that is not ok (or no_data) is also an error. At
// duration_ms or on SIGTERM (SIGINT) the worker lets the calls in flight finish, prints one line of JSON to
// stdout and exits: 0, or 1 when something unexpected happened (the summary's errors). Everything else goes to
// stderr, one line each, prefixed with the worker's name.
import fs from 'node:fs';
import process from 'node:process';

import { gstauthFetch, observationOf, openStore, Session, SESSION_CLASSES } from '../../../bindings/node/src/index.js';

const MAX_ERRORS = 50;

const started = Date.now();
let name = 'node-worker';
const log = (msg) => process.stderr.write(`${name}: ${msg}\n`);

function fail(msg) {
  log(msg);
  process.stdout.write(`${JSON.stringify({ worker: name, language: 'node', calls: {}, refreshes: {}, errors: [msg] })}\n`);
  process.exit(1);
}

const path = process.env.GSTAUTH_FLEET_CONFIG;
if (!path) fail('GSTAUTH_FLEET_CONFIG names no configuration file');
let cfg;
try {
  cfg = JSON.parse(fs.readFileSync(path, 'utf8'));
} catch (e) {
  fail(`cannot read the configuration ${path}: ${e.message}`);
}
name = String(cfg.worker ?? name);
for (const field of ['store', 'seal_keys', 'sessions']) if (cfg[field] === undefined) fail(`the configuration has no ${field}`);

const leaseTtlMs = cfg.lease_ttl_ms ?? 30_000;
const durationMs = cfg.duration_ms ?? 300_000;
const intervalMs = cfg.call_interval_ms ?? 1000;
const sealKeys = cfg.seal_keys.map((k) => ({ keyId: k.key_id, key: Buffer.from(k.key, 'base64') }));
const holder = `${name}:${process.pid}`;

const errors = [];
let moreErrors = 0;
function unexpected(msg) {
  log(`error: ${msg}`);
  if (errors.length < MAX_ERRORS) errors.push(msg);
  else moreErrors++;
}

// Store errors come in bursts while a store is away: the first is told, then one line every 5 s.
const quiet = new Map();
function storeEvent(session, e) {
  const who = `${session} v${e.version ?? ''}`.trim();
  switch (e.type) {
    case 'lease_taken':
      log(`${session}: lease taken (${e.ttlMs} ms)`);
      break;
    case 'lease_lost':
      log(`${session}: lease lost`);
      break;
    case 'lease_released':
      if (e.held) log(`${session}: lease released`);
      break;
    case 'wait':
      log(`${session}: waiting for the ${e.for} (until ${new Date(e.deadlineMs).toISOString()})`);
      break;
    case 'waited':
      log(`${session}: waited ${e.waitedMs} ms for the ${e.for}`);
      break;
    case 'opened':
      log(`${who}: opened the stored session`);
      break;
    case 'written':
      log(`${who}: written`);
      break;
    case 'write_refused':
      log(`${session}: write at v${e.expected} refused (the store is at v${e.version}): the newer session is opened`);
      break;
    case 'write_over':
      log(`${session}: the newer v${e.version} still held the token this refresh replaced: written over it`);
      break;
    case 'store_reset':
      log(`${session}: the store lost the record (this process was at v${e.version}); it is written again`);
      break;
    case 'rejection_unwritten':
      log(`${session}: a rejection seen while another process holds the lease is not written (the holder's write carries the result)`);
      break;
    case 'unsaved':
      log(`${session}: the store did not take the change at v${e.base}; written when it answers`);
      break;
    case 'store_error': {
      const key = `${session}:${e.op}`;
      const last = quiet.get(key) ?? 0;
      if (Date.now() - last >= 5000) {
        quiet.set(key, Date.now());
        log(`${session}: store ${e.op}: ${e.error?.message ?? e.error}`);
      }
      break;
    }
    default:
      log(`${session}: ${e.type}`);
  }
}

let store;
try {
  store = await openStore(cfg.store, { onError: (e) => storeEvent('store', { type: 'store_error', op: 'connection', error: e }) });
} catch (e) {
  fail(`cannot open the store ${cfg.store}: ${e.message}`);
}

const members = cfg.sessions.map((sc) => {
  const cls = SESSION_CLASSES[sc.provider] ?? Session;
  const session = new cls({
    provider: sc.provider,
    account: sc.account,
    config: sc.config ?? {},
    credentials: sc.credentials ?? {},
    store,
    sealKeys,
    holder,
    leaseTtlMs,
    waitTimeoutMs: Math.max(60_000, 2 * leaseTtlMs),
    onStoreEvent: (e) => storeEvent(sc.name, e),
  });
  const call = sc.call ?? {};
  const fetch = gstauthFetch(session, { retPeriod: call.ret_period, rtnTyp: call.rtn_typ, userrole: call.userrole });
  return { name: sc.name, session, call, fetch, calls: 0, inFlight: null };
});

let stopping = false;
const sleepers = new Set();
function stop(why) {
  if (stopping) return;
  stopping = true;
  log(`stopping (${why})`);
  for (const wake of sleepers) wake();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
const deadline = started + durationMs;
const timer = setTimeout(() => stop(`${durationMs} ms have passed`), durationMs);

/** Sleeps until t, or until the worker stops. */
function pauseUntil(t) {
  if (stopping) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(id);
      sleepers.delete(done);
      resolve();
    };
    const id = setTimeout(done, Math.max(0, t - Date.now()));
    sleepers.add(done);
  });
}

async function apiCall(m) {
  const { method = 'GET', url, body, headers } = m.call;
  const init = { method, headers: headers ?? {} };
  if (body !== undefined && body !== null) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await m.fetch(url, init);
  await res.arrayBuffer();
  m.calls++; // an answered call; anything but ok or no_data is an unexpected one besides
  const o = observationOf(res);
  if (o?.outcome === 'ok' || o?.outcome === 'no_data') return;
  const e = o?.error;
  unexpected(`${m.name}: ${method} ${url} answered ${res.status} (${o?.outcome ?? 'not observed'}${e ? `: ${e.code} ${e.provider_code ?? ''} ${e.message}` : ''})`);
}

async function run(m) {
  if (!m.call.url) {
    unexpected(`${m.name}: the configuration has no call.url`);
    return;
  }
  // The sessions start spread over one interval, as processes started together would drift apart anyway.
  await pauseUntil(Date.now() + Math.random() * intervalMs);
  while (!stopping && Date.now() < deadline) {
    const t0 = Date.now();
    m.busy = true;
    try {
      await apiCall(m);
    } catch (e) {
      unexpected(`${m.name}: ${e?.code ?? e?.name ?? 'error'}: ${e?.message ?? e}`);
    } finally {
      m.busy = false;
    }
    await pauseUntil(t0 + intervalMs * (0.8 + 0.4 * Math.random()));
  }
}

const progress = setInterval(() => {
  log(`progress: ${members.map((m) => `${m.name} ${m.calls} calls, ${m.session.shared.stats.exchanges} refreshes, v${m.session.shared.version}`).join('; ')}`);
}, 10_000);

log(`started: store ${cfg.store}, holder ${holder}, lease ${leaseTtlMs} ms, ${members.length} sessions, every ${intervalMs} ms for ${durationMs} ms`);
const runs = Promise.all(members.map((m) => run(m).catch((e) => unexpected(`${m.name}: ${e?.stack ?? e}`))));
// Once stopping, the calls in flight get 30 s to finish (a call may be in a bounded wait for a renewal).
await new Promise((resolve) => {
  runs.then(resolve);
  const check = setInterval(() => {
    if (!stopping) return;
    clearInterval(check);
    setTimeout(() => {
      for (const m of members.filter((x) => x.busy)) unexpected(`${m.name}: its call did not end within 30 s of the stop`);
      resolve();
    }, 30_000);
  }, 50);
  runs.then(() => clearInterval(check));
});
clearTimeout(timer);
clearInterval(progress);
if (moreErrors > 0) errors.push(`… and ${moreErrors} more errors`);
const summary = {
  worker: name,
  language: 'node',
  calls: Object.fromEntries(members.map((m) => [m.name, m.calls])),
  refreshes: Object.fromEntries(members.map((m) => [m.name, m.session.shared.stats.exchanges])),
  errors,
};
try {
  await Promise.race([store.close(), new Promise((r) => setTimeout(r, 2000))]);
} catch (e) {
  log(`closing the store: ${e.message}`);
}
log(`done: ${JSON.stringify(summary.calls)} calls, ${JSON.stringify(summary.refreshes)} refreshes, ${errors.length} errors`);
process.stdout.write(`${JSON.stringify(summary)}\n`, () => process.exit(errors.length > 0 ? 1 : 0));
