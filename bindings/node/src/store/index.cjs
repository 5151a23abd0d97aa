'use strict';
// The shared session stores of docs/hosts.md ("Many processes"), and openStore: a store from a URL.
//
//   file:/var/lib/app/gstauth               FileStore (processes on one machine)
//   redis://127.0.0.1:6379[/db], rediss://  RedisStore over a node-redis client (or ioredis: options.client)
//   redis-cluster://h1:7001,h2:7002,...     RedisStore over a Redis Cluster client, seeded with those nodes
//
// Every store has the same four methods (the Store interface of store.d.cts): read(keys), lease(keys, action,
// holder, ttlMs), write(keys, expectedVersion, sealed), close(); `keys` is the session's storeKeys() result.

const url = require('node:url');
const { FileStore } = require('./file.cjs');
const { RedisStore } = require('./redis.cjs');
const { misuse, describe } = require('../misuse.cjs');
const { storeUnavailable } = require('../errors.cjs');

function redisHosts(u, text) {
  const hosts = u.slice('redis-cluster://'.length).split(',').map((h) => h.trim()).filter(Boolean);
  if (hosts.length === 0 || hosts.some((h) => !/^[^/\s@]+:\d+$/.test(h))) {
    throw misuse('ERR_INVALID_ARG_VALUE', `a cluster URL is redis-cluster://host:port,host:port,..., not ${text}`);
  }
  return hosts;
}

/** A Redis URL without its password, for a message. */
function redactedURL(text) {
  try {
    const u = new URL(text);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return 'the Redis URL';
  }
}

async function nodeRedis(kind, target, onError) {
  const redis = require('redis');
  // Commands fail at once while the connection is down (the session then keeps its valid token and retries the
  // store later) instead of queueing until the server is back.
  const socket = { connectTimeout: 2000, reconnectStrategy: (n) => Math.min(50 * 2 ** n, 1000) };
  const client = kind === 'cluster'
    ? redis.createCluster({ rootNodes: target.map((h) => ({ url: `redis://${h}` })),
      defaults: { disableOfflineQueue: true, socket } })
    : redis.createClient({ url: target, disableOfflineQueue: true, socket });
  client.on('error', onError);
  // The first connection failing fails openStore (node-redis would retry it for ever): Redis is out of reach.
  let failed;
  const first = new Promise((_, reject) => {
    failed = reject;
    client.once('error', reject);
  });
  try {
    await Promise.race([client.connect(), first]);
  } catch (e) {
    client.destroy();
    throw storeUnavailable(e, `connecting to ${kind === 'cluster' ? target.join(',') : redactedURL(target)}`);
  } finally {
    client.off('error', failed);
  }
  return new RedisStore(client, { close: () => client.close() });
}

async function ioredis(kind, target, onError) {
  const IORedis = require('ioredis');
  const options = { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 };
  const client = kind === 'cluster'
    ? new IORedis.Cluster(target.map((h) => {
      const i = h.lastIndexOf(':');
      return { host: h.slice(0, i), port: Number(h.slice(i + 1)) };
    }), { enableOfflineQueue: false, lazyConnect: true, redisOptions: options })
    : new IORedis(target, options);
  client.on('error', onError);
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw storeUnavailable(e, `connecting to ${kind === 'cluster' ? target.join(',') : redactedURL(target)}`);
  }
  return new RedisStore(client, { close: async () => { await client.quit(); } });
}

/**
 * A store from a URL (see the top of this file). The Redis client is made and connected here, and closed by the
 * store's close().
 * @param {string} location
 * @param {{client?: 'redis' | 'ioredis', onError?: (e: Error) => void, lock?: 'flock' | 'mkdir',
 *   lockTimeoutMs?: number, backend?: any}} [options]
 */
async function openStore(location, options = {}) {
  if (typeof location !== 'string') throw misuse('ERR_INVALID_ARG_TYPE', `location must be a URL, not ${describe(location)}`);
  if (options === null || typeof options !== 'object') {
    throw misuse('ERR_INVALID_ARG_TYPE', `options must be an object, not ${describe(options)}`);
  }
  const { client = 'redis', onError = () => {}, ...rest } = options;
  if (client !== 'redis' && client !== 'ioredis') {
    throw misuse('ERR_INVALID_ARG_VALUE', `client must be 'redis' or 'ioredis', not ${describe(client)}`);
  }
  if (location.startsWith('file:')) {
    const dir = location.startsWith('file://') ? url.fileURLToPath(location) : location.slice('file:'.length);
    if (dir === '') throw misuse('ERR_INVALID_ARG_VALUE', `a file store URL names a directory: file:/path, not ${location}`);
    return new FileStore(dir, rest);
  }
  const make = client === 'ioredis' ? ioredis : nodeRedis;
  if (location.startsWith('redis-cluster://')) return make('cluster', redisHosts(location, location), onError);
  if (location.startsWith('redis://') || location.startsWith('rediss://')) return make('single', location, onError);
  throw misuse('ERR_INVALID_ARG_VALUE', `a store URL is file:, redis://, rediss:// or redis-cluster://, not ${location}`);
}

module.exports = { FileStore, RedisStore, openStore };
