'use strict';
// A session shared by many processes through a store (docs/hosts.md, "Many processes"): what a Session with a
// `store` option keeps beside its state. The rules are applied in sessions.cjs; this file holds the link to the
// store: the record's names, the version the session's state was read at, the keyring, the lease calls, the
// bound on every store call, the events and the counts.
//
// A store that fails or does not answer in time never fails a call that a still-valid token can serve: every
// store call here answers null on a failure, which is told as a `store_error` event whose error is a
// StoreUnavailableError (the core's store_unavailable), and the session goes on with what it has.

const os = require('node:os');
const crypto = require('node:crypto');
const ops = require('./generated/ops.cjs');
const { misuse, describe } = require('./misuse.cjs');
const { storeUnavailable } = require('./errors.cjs');

const STORE_METHODS = ['read', 'lease', 'write'];

function checkStore(store) {
  if (store === null || typeof store !== 'object' || STORE_METHODS.some((m) => typeof store[m] !== 'function')) {
    throw misuse('ERR_INVALID_ARG_TYPE', `store must have read, lease and write methods (a FileStore, a RedisStore), not ${describe(store)}`);
  }
}

/** [{keyId, key}, ...]: the first seals, every one opens. */
function keyring(sealKeys) {
  if (!Array.isArray(sealKeys) || sealKeys.length === 0) {
    throw misuse('ERR_INVALID_ARG_TYPE', 'sealKeys must be a non-empty array of {keyId, key}: the first seals, all open');
  }
  return sealKeys.map((k, i) => {
    if (k === null || typeof k !== 'object' || typeof k.keyId !== 'string' || !(k.key instanceof Uint8Array)) {
      throw misuse('ERR_INVALID_ARG_TYPE', `sealKeys[${i}] must be {keyId: string, key: Uint8Array}, not ${describe(k)}`);
    }
    return { keyId: k.keyId, key: k.key };
  });
}

function defaultHolder() {
  const host = os.hostname().replace(/[^A-Za-z0-9_.:@/-]/g, '-').slice(0, 64) || 'host';
  return `${host}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
}

function positive(v, name, min = 1) {
  if (!Number.isFinite(v) || v < min) throw misuse('ERR_INVALID_ARG_VALUE', `${name} must be a number ≥ ${min}, not ${String(v)}`);
  return v;
}

/** A store call that did not answer in time, as store_unavailable. */
function storeTimeout(what, ms) {
  return storeUnavailable(Object.assign(new Error(`no answer to ${what} within ${ms} ms`), { code: 'ETIMEDOUT' }));
}

/** The link of one session to its record in a store. */
class SharedLink {
  #version = 0;
  /** Counts the changes of version: a read that began before one is out of date. */
  epoch = 0;

  /** The version of the record the session's state was read at, or written as (0: none). */
  get version() {
    return this.#version;
  }

  set version(v) {
    this.#version = v;
    this.epoch++;
  }

  /** A change the store did not take (it failed): {base}, written later under the lease if no one wrote since. */
  unsaved = null;
  /**
   * A rejection seen here and not written, because another holder had the lease (or another caller of this process
   * held the refresh lock): that holder's write may carry a usable session, so a session that fails because of it
   * waits, bounded, for that write first. Cleared when a version is opened or written.
   */
  unshared = false;
  /** A newer stored version this keyring cannot open: {version, error}. */
  unopenable = null;
  /** The last failure of a store call (a StoreUnavailableError), null once the store answers again. */
  failure = null;
  stats = { reads: 0, opened: 0, leasesTaken: 0, leasesRefused: 0, leasesLost: 0, exchanges: 0, writes: 0,
    writesRefused: 0, rejectionsUnwritten: 0, waits: 0, waitedMs: 0, storeErrors: 0 };

  constructor(options, provider, account, backend) {
    const { store, sealKeys, holder = defaultHolder(), leaseTtlMs = 30_000, pollIntervalMs = 100,
      storeTimeoutMs = 5_000, onStoreEvent = null } = options;
    checkStore(store);
    if (typeof holder !== 'string') throw misuse('ERR_INVALID_ARG_TYPE', `holder must be a string, not ${describe(holder)}`);
    if (onStoreEvent !== null && typeof onStoreEvent !== 'function') {
      throw misuse('ERR_INVALID_ARG_TYPE', `onStoreEvent must be a function, not ${describe(onStoreEvent)}`);
    }
    this.store = store;
    this.ring = keyring(sealKeys);
    this.holder = holder;
    this.leaseTtlMs = positive(leaseTtlMs, 'leaseTtlMs');
    this.pollIntervalMs = positive(pollIntervalMs, 'pollIntervalMs');
    this.storeTimeoutMs = positive(storeTimeoutMs, 'storeTimeoutMs');
    this.onStoreEvent = onStoreEvent;
    this.backend = backend;
    this.provider = provider;
    this.account = account;
    this.keys = ops.storeKeys({ provider, account }, { backend });
    // The core checks the holder's form now rather than at the first lease.
    ops.storeLease({ record: { version: 0 }, action: 'release', holder, nowMs: 0 }, { backend });
  }

  emit(type, fields = {}) {
    if (!this.onStoreEvent) return;
    try {
      this.onStoreEvent({ type, id: this.keys.id, provider: this.provider, account: this.account, ...fields });
    } catch {
      // an observer's failure is not the session's
    }
  }

  /**
   * A store call bounded by storeTimeoutMs; null (and a store_error event, its error a StoreUnavailableError kept
   * in `failure`) when it fails.
   */
  async #call(what, f) {
    let timer;
    try {
      const r = await Promise.race([f(), new Promise((_, reject) => {
        timer = setTimeout(() => reject(storeTimeout(what, this.storeTimeoutMs)), this.storeTimeoutMs);
      })]);
      this.failure = null;
      return r;
    } catch (e) {
      const error = storeUnavailable(e);
      this.failure = error;
      this.stats.storeErrors++;
      this.emit('store_error', { op: what, error });
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The record: {version, sealed}, or null when the store failed. */
  async read() {
    this.stats.reads++;
    return this.#call('read', () => this.store.read(this.keys));
  }

  /**
   * Takes the lease (or renews this holder's): true when granted, false when another holder has it, null when the
   * store failed (not granted either).
   */
  async take() {
    const r = await this.#call('lease take', () => this.store.lease(this.keys, 'take', this.holder, this.leaseTtlMs));
    if (r === true) {
      this.stats.leasesTaken++;
      this.emit('lease_taken', { holder: this.holder, ttlMs: this.leaseTtlMs });
      return true;
    }
    this.stats.leasesRefused++;
    return r === null ? null : false;
  }

  /** Extends this holder's lease before a send: false when it is lost (expired, taken over, or the store failed). */
  async extend() {
    const kept = (await this.#call('lease extend', () => this.store.lease(this.keys, 'extend', this.holder, this.leaseTtlMs))) === true;
    if (!kept) {
      this.stats.leasesLost++;
      this.emit('lease_lost', { holder: this.holder });
    }
    return kept;
  }

  async release() {
    const r = await this.#call('lease release', () => this.store.lease(this.keys, 'release', this.holder, this.leaseTtlMs));
    if (r !== null) this.emit('lease_released', { holder: this.holder, held: r === true });
  }

  /** The compare-and-set: {written, version}, or null when the store failed. */
  async write(expected, sealed) {
    const r = await this.#call('write', () => this.store.write(this.keys, expected, sealed));
    if (r === null) return null;
    if (r.written) {
      this.stats.writes++;
      this.emit('written', { version: r.version });
    } else {
      this.stats.writesRefused++;
      this.emit('write_refused', { expected, version: r.version });
    }
    return r;
  }

  /** The state sealed under the first key. */
  seal(state) {
    const { keyId, key } = this.ring[0];
    return ops.sessionSeal({ session: state, key, keyId }, { backend: this.backend }).sealed;
  }

  /** A stored session opened with the whole keyring (and checked to be this session's provider and account). */
  open(sealed) {
    const keys = this.ring.map(({ keyId, key }) => ({ key_id: keyId, key: Buffer.from(key.buffer, key.byteOffset,
      key.byteLength).toString('base64') }));
    return ops.sessionOpen({ sealed, keys, provider: this.provider, account: this.account },
      { backend: this.backend }).session;
  }

  /** A pause of about pollIntervalMs (±20 %), never past deadline. */
  pause(deadline, now) {
    const ms = Math.max(1, Math.min(this.pollIntervalMs * (0.8 + 0.4 * Math.random()), deadline - now));
    return new Promise((r) => setTimeout(r, ms));
  }
}

module.exports = { SharedLink };
