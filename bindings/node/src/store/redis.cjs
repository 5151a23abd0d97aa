'use strict';
// The Redis store of docs/hosts.md ("Many processes"): processes on several hosts share a session through Redis.
//
// The rules run on the server, in the Lua scripts of the repository's store/redis (read.lua, lease.lua,
// write.lua; the package carries a copy of those very files, packed by `make node`): this file only sends them.
// Each is sent as EVALSHA of the SHA-1 of its text, and as EVAL after a NOSCRIPT (a server that restarted, a
// node that never saw it), which caches it again: the same as SCRIPT LOAD once per connection, and it needs no
// node of a cluster to be addressed by hand. Leases run on the server's clock. Both keys of a session share one
// {id} hash tag (store_keys), so on a Redis Cluster a script touches one slot, routed by its first key.
//
// The client is the application's: node-redis (`redis` ≥ 5: createClient, createCluster, createSentinel) or
// ioredis (Redis, Cluster), connected and configured as it likes. openStore (src/store/index.cjs) makes one
// from a URL.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const ops = require('../generated/ops.cjs');
const { misuse, describe } = require('../misuse.cjs');
const { storeUnavailable } = require('../errors.cjs');
const locate = require('../locate.cjs');

let scripts;
/** The three scripts: their text, as the files hold it, and its SHA-1. */
function loadScripts() {
  if (!scripts) {
    const dir = locate.redisScriptsDir();
    scripts = {};
    for (const name of ['read', 'lease', 'write']) {
      const text = fs.readFileSync(path.join(dir, `${name}.lua`), 'utf8');
      scripts[name] = { text, sha: crypto.createHash('sha1').update(text).digest('hex') };
    }
  }
  return scripts;
}

const isNoScript = (e) => typeof e?.message === 'string' && e.message.startsWith('NOSCRIPT');

/** EVALSHA and EVAL through the client's own API. */
function evaluatorOf(client) {
  if (client !== null && typeof client === 'object') {
    if (typeof client.evalSha === 'function' && typeof client.eval === 'function') { // node-redis
      return {
        sha: (sha, keys, args) => client.evalSha(sha, { keys, arguments: args }),
        text: (text, keys, args) => client.eval(text, { keys, arguments: args }),
      };
    }
    if (typeof client.evalsha === 'function' && typeof client.eval === 'function') { // ioredis
      return {
        sha: (sha, keys, args) => client.evalsha(sha, keys.length, ...keys, ...args),
        text: (text, keys, args) => client.eval(text, keys.length, ...keys, ...args),
      };
    }
  }
  throw misuse('ERR_INVALID_ARG_TYPE', `client must be a node-redis or ioredis client, not ${describe(client)}`);
}

function checkKeys(keys) {
  if (keys === null || typeof keys !== 'object' || typeof keys.session !== 'string' || typeof keys.lease !== 'string') {
    throw misuse('ERR_INVALID_ARG_TYPE', `keys must be a session's storeKeys() result, not ${describe(keys)}`);
  }
}

/**
 * The Redis store over a connected client (see the top of this file). A call the client or a script fails (the
 * server out of reach, a reply of the wrong shape) fails with StoreUnavailableError (the core's store_unavailable,
 * retryable; its cause is the client's error).
 */
class RedisStore {
  #client;
  #eval;
  #close;
  #backend;

  /**
   * @param {object} client a connected node-redis or ioredis client (single node, cluster or sentinel)
   * @param {{close?: () => Promise<void> | void, backend?: any}} [options] close: what close() does (default:
   *   nothing: the client is the application's)
   */
  constructor(client, options = {}) {
    if (options === null || typeof options !== 'object') {
      throw misuse('ERR_INVALID_ARG_TYPE', `options must be an object, not ${describe(options)}`);
    }
    this.#eval = evaluatorOf(client);
    this.#client = client;
    this.#close = options.close ?? null;
    this.#backend = options.backend;
    loadScripts();
  }

  /** 'redis' */
  get kind() {
    return 'redis';
  }

  /** The client the store sends through. */
  get client() {
    return this.#client;
  }

  /** The scripts' names, SHA-1 and text (store/redis). */
  static get scripts() {
    return loadScripts();
  }

  async #run(name, keys, args) {
    const s = loadScripts()[name];
    try {
      try {
        return await this.#eval.sha(s.sha, keys, args);
      } catch (e) {
        if (!isNoScript(e)) throw e;
        return await this.#eval.text(s.text, keys, args);
      }
    } catch (e) {
      throw storeUnavailable(e, `${name}.lua`);
    }
  }

  /** A reply of the shape a script answers: [a, b]. */
  static #pair(name, reply) {
    if (!Array.isArray(reply) || reply.length !== 2) {
      throw storeUnavailable(new Error(`${name}.lua answered ${describe(reply)}, not a pair`));
    }
    return reply;
  }

  /** The record as it is now: {version, sealed} ({0, ''} before the first write). */
  async read(keys) {
    checkKeys(keys);
    const [version, sealed] = RedisStore.#pair('read', await this.#run('read', [keys.session], []));
    return { version: Number(version), sealed: sealed === null || sealed === undefined ? '' : String(sealed) };
  }

  /** Takes, extends or releases the session's refresh lease for holder (lease.lua); true when granted. */
  async lease(keys, action, holder, ttlMs) {
    checkKeys(keys);
    // The core checks the holder and the ttl (the file store's rules; the script itself checks neither).
    ops.storeLease({ record: { version: 0 }, action, holder, ttlMs: action === 'release' ? undefined : ttlMs, nowMs: 0 },
      { backend: this.#backend });
    const granted = await this.#run('lease', [keys.lease], [action, holder, String(action === 'release' ? 0 : ttlMs)]);
    return Number(granted) === 1;
  }

  /** Stores a sealed session if the record is still at expectedVersion (write.lua): {written, version}. */
  async write(keys, expectedVersion, sealed) {
    checkKeys(keys);
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw misuse('ERR_INVALID_ARG_VALUE', `expectedVersion must be a version, not ${describe(expectedVersion)}`);
    }
    if (typeof sealed !== 'string' || sealed === '') {
      throw misuse('ERR_INVALID_ARG_TYPE', `sealed must be a sealed session, not ${describe(sealed)}`);
    }
    const reply = await this.#run('write', [keys.session], [String(expectedVersion), sealed]);
    const [written, version] = RedisStore.#pair('write', reply);
    return { written: Number(written) === 1, version: Number(version) };
  }

  /** Closes the client when the store made it (openStore); otherwise nothing. */
  async close() {
    if (this.#close) await this.#close();
  }
}

module.exports = { RedisStore, loadScripts };
