'use strict';
// Sessions: one authenticated account of one provider, driven through the core (docs/hosts.md).
//
// The core is sans-I/O: it decides, builds requests and reads responses; a session's `send` function carries each
// exchange over whatever HTTP client the application uses (fetchSender in src/http.cjs by default, or the
// undici dispatcher's). Protocol knowledge (headers, status fields, error codes, timing) is all in the core.
//
// The state lock of docs/hosts.md is the event loop: every op that changes the session is called synchronously, and
// the session's copy is replaced in the same synchronous run, so no two callers can write back stale copies. The
// refresh lock is RefreshLock below: one holder at a time, a bounded wait for the others. A session belongs to one
// thread; worker threads and processes that share an account share it through a store (the `store` option).
//
// With a store (docs/hosts.md, "Many processes"; src/shared.cjs, src/store/), the same loop runs across processes:
//   before each decision, the stored record is read and a newer version opened with the keyring (poll);
//   at the margin (refresh), the caller that gets both the refresh lock and the store's lease refreshes, and
//   every other caller, here or in another process, uses the still-valid token without waiting;
//   with an unusable token (renew), the callers wait, bounded (waitTimeoutMs) and told (onStoreEvent), until a
//   newer version is stored or the lease is theirs;
//   under the lease: read again, the locked loop with the lease extended before each send, then one
//   compare-and-set write of the new state at the version read; a refused write (the lease expired under a
//   stall) opens the newer session instead, and the lease is released.
// Every change of the state is written under the lease: a refresh, a step (an OTP given to any process), a
// rejection seen on an API call (when the lease is free: a lease holder is renewing anyway), so that a write
// never fences off a refresh in flight. Sealed with the first of sealKeys, opened with any of them.

const ops = require('./generated/ops.cjs');
const { SharedLink } = require('./shared.cjs');
const { errorFromObject } = require('./errors.cjs');
const { misuse, describe } = require('./misuse.cjs');
const json = require('./json.cjs');

/** The host clock in Unix milliseconds. */
function nowMs() {
  return Date.now();
}

const kCommit = Symbol('gstauth.commit');
const { kApply, kHeadersFor, kEncryptFor, kDecryptFor, kReloadCertificate, kSender, kRefreshSettled,
  wireResponse } = require('./internal.cjs');

/** A lock held by one caller at a time; the others queue, each for a bounded time. */
class RefreshLock {
  #held = false;
  #waiters = [];

  get held() {
    return this.#held;
  }

  /** Takes the lock if it is free. */
  tryAcquire() {
    if (this.#held) return false;
    this.#held = true;
    return true;
  }

  /** Takes the lock, waiting at most timeoutMs for the holders before; resolves false when the wait ran out. */
  acquire(timeoutMs) {
    if (this.tryAcquire()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = { resolve, timer: null };
      w.timer = setTimeout(() => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Hands the lock to the next waiter, or frees it. */
  release() {
    const next = this.#waiters.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve(true);
    } else {
      this.#held = false;
    }
  }
}

function checkString(v, name) {
  if (typeof v !== 'string') throw misuse('ERR_INVALID_ARG_TYPE', `${name} must be a string, not ${describe(v)}`);
}

function checkOptions(options, name) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') {
    throw misuse('ERR_INVALID_ARG_TYPE', `${name} must be an object, not ${describe(options)}`);
  }
  return options;
}

/** Standard base64 of a sealing key. */
function keyText(v, name) {
  if (!(v instanceof Uint8Array)) throw misuse('ERR_INVALID_ARG_TYPE', `${name} must be a Uint8Array or Buffer, not ${describe(v)}`);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function internal(message) {
  return new ops.InternalError(message);
}

/** The lease was lost during a locked loop (an extend refused): stop before the next send. */
const LEASE_LOST = Symbol('gstauth.leaseLost');

function waitTimeout(what) {
  return new ops.TokenExpiredError(`timed out waiting for ${what}`);
}

const STORE_OPTIONS = ['store', 'sealKeys', 'holder', 'leaseTtlMs', 'pollIntervalMs', 'storeTimeoutMs', 'onStoreEvent'];

/**
 * A session of one provider; each provider's class adds its steps as methods. See sessions.d.cts for the options.
 */
class Session {
  /** The provider of the class's sessions ('' for this base class, which takes it from its options). */
  static provider = '';

  #state;
  #lock = new RefreshLock();
  #opt;
  /** The link to a shared store (null without one): src/shared.cjs. */
  #shared = null;
  /** A read of the store in flight, shared by the callers that poll meanwhile. */
  #reading = null;

  constructor(options = {}) {
    options = checkOptions(options, 'options');
    const { account, config, credentials, send, backend, clock, onChange, state, waitTimeoutMs = 60_000,
      loadCertificate } = options;
    const fixed = new.target.provider;
    const provider = options.provider ?? state?.provider ?? fixed;
    if (typeof provider !== 'string' || provider === '') throw misuse('ERR_INVALID_ARG_VALUE', 'provider is required');
    if (fixed && provider !== fixed) {
      throw misuse('ERR_INVALID_ARG_VALUE', `a ${new.target.name} is a ${fixed} session, not ${provider}`);
    }
    for (const [name, fn] of [['send', send], ['clock', clock], ['onChange', onChange], ['loadCertificate', loadCertificate]]) {
      if (fn !== undefined && fn !== null && typeof fn !== 'function') {
        throw misuse('ERR_INVALID_ARG_TYPE', `${name} must be a function, not ${describe(fn)}`);
      }
    }
    if (!Number.isFinite(waitTimeoutMs) || waitTimeoutMs < 0) {
      throw misuse('ERR_INVALID_ARG_VALUE', `waitTimeoutMs must be a number of milliseconds, not ${String(waitTimeoutMs)}`);
    }
    /** The secrets the requests need; sent to the core with each request, never stored in the session. */
    this.credentials = { ...checkOptions(credentials, 'credentials') };
    /** Carries the session's own exchanges (auth, refresh): (request) => Promise<response>. */
    this.send = send ?? null;
    /** The host clock, Unix milliseconds. */
    this.clock = clock ?? nowMs;
    /** Called with the session after every change of its state (store session.seal(...) there). */
    this.onChange = onChange ?? null;
    /** How long a caller waits for another caller's renewal of the token, in milliseconds. */
    this.waitTimeoutMs = waitTimeoutMs;
    /** Loads the provider's current public certificate (PEM) when the one in credentials is stale. */
    this.loadCertificate = loadCertificate ?? null;
    this.#opt = { backend };
    if (state === undefined || state === null) {
      checkString(account, 'account');
      this.#state = ops.sessionNew({ account, provider, config: { ...checkOptions(config, 'config') } }, this.#opt).session;
    } else {
      if (typeof state !== 'object') throw misuse('ERR_INVALID_ARG_TYPE', `state must be an object, not ${describe(state)}`);
      ops.sessionPlan({ session: state, nowMs: this.clock() }, this.#opt); // the core checks it
      this.#state = state;
    }
    if (options.store !== undefined && options.store !== null) {
      this.#shared = new SharedLink(options, this.#state.provider, this.#state.account, backend);
    } else {
      const stray = STORE_OPTIONS.find((k) => k !== 'store' && options[k] !== undefined);
      if (stray) throw misuse('ERR_INVALID_ARG_VALUE', `${stray} is an option of a session with a store`);
    }
  }

  // --- state -------------------------------------------------------------------------------------------------

  /** The session's JSON form (not a copy: do not change it). It holds tokens and keys: seal it to store it. */
  get state() {
    return this.#state;
  }

  get provider() {
    return this.#state.provider;
  }

  get account() {
    return this.#state.account;
  }

  get accessToken() {
    return this.#state.access_token ?? '';
  }

  /** The backend the session's ops run on (options.backend, or the default one). */
  get backend() {
    return this.#opt.backend;
  }

  /** The shared store the session lives in, or null. */
  get store() {
    return this.#shared?.store ?? null;
  }

  /**
   * With a store: the record's names (storeKeys), the version the state was read at or written as, the lease
   * holder's name and the counts (reads, opened, leasesTaken, leasesRefused, leasesLost, exchanges, writes,
   * writesRefused, waits, waitedMs, storeErrors); null without a store.
   */
  get shared() {
    const l = this.#shared;
    return l ? { keys: l.keys, version: l.version, holder: l.holder, unsaved: l.unsaved !== null, stats: { ...l.stats } } : null;
  }

  async #changed() {
    if (this.onChange) await this.onChange(this);
  }

  /** Runs an op on the state and keeps the session it returns; the state lock of docs/hosts.md. */
  [kApply](f) {
    const out = f(this.#state, this.#opt);
    this.#state = out.session;
    return out;
  }

  /** The session sealed (XChaCha20-Poly1305) under a 32-byte key, for storage. */
  seal(key, keyId) {
    checkString(keyId, 'keyId');
    return ops.sessionSeal({ session: this.#state, key, keyId }, this.#opt).sealed;
  }

  /**
   * Opens a sealed session with a keyring ({keyId: key} or a Map): the session must be of this class's provider
   * (Session itself: of any provider, as the instance of that provider's class).
   */
  static open(sealed, keys, options = {}) {
    checkString(sealed, 'sealed');
    options = checkOptions(options, 'options');
    if (keys === null || typeof keys !== 'object') {
      throw misuse('ERR_INVALID_ARG_TYPE', `keys must be an object {keyId: key} or a Map, not ${describe(keys)}`);
    }
    const entries = keys instanceof Map ? [...keys] : Object.entries(keys);
    const ring = entries.map(([keyId, key]) => ({ key_id: String(keyId), key: keyText(key, `keys[${String(keyId)}]`) }));
    const provider = options.provider ?? (this.provider || undefined);
    const state = ops.sessionOpen({ sealed, keys: ring, provider, account: options.account },
      { backend: options.backend }).session;
    const cls = this === Session ? (SESSION_CLASSES[state.provider] ?? Session) : this;
    return new cls({ ...options, state, provider: undefined });
  }

  #sender(send) {
    const s = send ?? this.send ?? defaultSender();
    if (typeof s !== 'function') throw misuse('ERR_INVALID_ARG_TYPE', `send must be a function, not ${describe(s)}`);
    return s;
  }

  [kSender](send) {
    return this.#sender(send);
  }

  /** A change of the state made through the store when the session has one (#commit). */
  [kCommit](apply) {
    return this.#commit(apply);
  }

  // --- the planner and single exchanges ---------------------------------------------------------------------

  /** What to do with the session at an instant (default: now): use, refresh, renew or user_action. */
  plan(atMs) {
    return ops.sessionPlan({ session: this.#state, nowMs: atMs ?? this.clock() }, this.#opt);
  }

  /** Builds the request of a step (or the one the planner calls for) and records it in the session. */
  build(step, options = {}) {
    const { credentials, params, atMs } = checkOptions(options, 'options');
    const out = this[kApply]((session, o) => ops.sessionRequest({
      session, nowMs: atMs ?? this.clock(), step, credentials: { ...this.credentials, ...credentials }, params,
    }, o));
    return out.request;
  }

  /**
   * Hands the response to the request in flight back to the core. The session is updated (and onChange called)
   * either way; a provider failure is then thrown as its GstAuthError subclass, unless raiseError is false.
   */
  async handle(response, options = {}) {
    const { sentAtMs, receivedAtMs, raiseError = true } = checkOptions(options, 'options');
    const out = this.#respond(response, sentAtMs, receivedAtMs);
    await this.#changed();
    if (this.#shared) await this.#commit(null); // the state as it is now, under the lease
    if (raiseError && out.error) throw errorFromObject(out.error);
    return out.outcome;
  }

  #respond(response, sentAtMs, receivedAtMs) {
    const received = receivedAtMs ?? Math.max(this.clock(), sentAtMs ?? 0);
    return this[kApply]((session, o) => ops.sessionResponse({ session, response: wireResponse(response),
      receivedAtMs: received, sentAtMs: sentAtMs || undefined }, o));
  }

  /**
   * Builds a step's request, sends it and hands the response back (throwing a provider failure), with the
   * session's refresh lock held so that no refresh runs meanwhile. A stale certificate is replaced through
   * loadCertificate and the step sent once more.
   */
  async exchange(step, options = {}) {
    const { send, credentials, params } = checkOptions(options, 'options');
    const sender = this.#sender(send);
    const deadline = Date.now() + this.waitTimeoutMs;
    if (!(await this.#lock.acquire(this.waitTimeoutMs))) {
      throw new ops.TokenExpiredError('timed out waiting for another caller\'s renewal of the token');
    }
    try {
      if (!this.#shared) return await this.#step(step, sender, credentials, params, null);
      // With a store: under the lease, on the newest stored session, written at the end (docs/hosts.md).
      await this.#awaitLease(deadline, `the lease of the session for the step ${String(step)}`);
      return (await this.#underLease(() => this.#step(step, sender, credentials, params, () => this.#shared.extend()))).result;
    } finally {
      this.#lock.release();
    }
  }

  async #step(step, sender, credentials, params, beforeSend) {
    for (let reloaded = false; ; reloaded = true) {
      if (beforeSend && !(await beforeSend())) throw waitTimeout(`the lease: it was lost before the step ${String(step)}`);
      const sent = this.clock();
      const request = this.build(step, { credentials, params, atMs: sent });
      const response = await sender(request);
      if (this.#shared) this.#shared.stats.exchanges++;
      const out = this.#respond(response, sent);
      await this.#changed();
      if (out.outcome === 'stale_certificate' && !reloaded && this.loadCertificate) {
        await this[kReloadCertificate]();
        continue;
      }
      if (out.error) throw errorFromObject(out.error);
      return out.outcome;
    }
  }

  // --- the shared store (docs/hosts.md, "Many processes") ---------------------------------------------------

  /**
   * Reads the record and opens it when it is newer than the state (poll). `owner`: the caller holds the refresh
   * lock (a refresh or a step of this session is its own); the others never replace the state while a refresh
   * or a step of this process is in flight, and they share one read in flight. Store failures leave the state.
   */
  async #pull(owner) {
    const link = this.#shared;
    let rec;
    if (owner) {
      rec = await link.read();
    } else {
      if (!this.#reading) {
        const epoch = link.epoch;
        this.#reading = link.read().then((r) => ({ r, epoch })).finally(() => {
          this.#reading = null;
        });
      }
      const { r, epoch } = await this.#reading;
      // A read that began before this process wrote or opened a version tells nothing newer than that.
      rec = epoch === link.epoch ? r : null;
    }
    if (rec === null || (!owner && this.#lock.held)) return;
    if (rec.version === 0 && link.version > 0) {
      // The store lost the record (a Redis restarted without persistence, a directory wiped): this state is
      // written again, under the lease, at version 0 (the next poll, or this refresh's write).
      link.emit('store_reset', { version: link.version });
      link.version = 0;
      link.unsaved = { base: 0 };
    }
    if (rec.version > link.version || (rec.version < link.version && rec.version > 0)) {
      // Newer; or older than this state's after the store lost its record, yet written since: the store's word.
      let state;
      try {
        state = link.open(rec.sealed);
        link.unopenable = null;
      } catch (e) {
        // A record this keyring cannot open (its key is not in sealKeys): told, and the state kept while its token
        // is valid; a renewal over it would only be refused (ensure throws this error instead).
        if (link.unopenable?.version !== rec.version) {
          link.emit('store_error', { op: 'open', error: e, version: rec.version });
          link.stats.storeErrors++;
        }
        link.unopenable = { version: rec.version, error: e };
        return;
      }
      if (owner || !this.#lock.held) {
        this.#state = state;
        link.version = rec.version;
        link.unsaved = null;
        link.unshared = false;
        link.stats.opened++;
        link.emit('opened', { version: rec.version });
      }
    } else if (link.unsaved && rec.version === link.unsaved.base && !owner && this.#lock.tryAcquire()) {
      // A change the store failed to take, and no one wrote since: written now, under the lease.
      try {
        if (await link.take()) {
          try {
            await this.#write(link.unsaved.base);
          } finally {
            await link.release();
          }
        }
      } finally {
        this.#lock.release();
      }
    }
  }

  /**
   * Writes the state at `base` (the version it was read at): the new version on success; a refused write opens
   * the newer session (this change is fenced off); a store failure leaves the change unsaved, retried later.
   *
   * baseToken (an exchange under the lease: the token the state had at `base`): when the newer stored session
   * still holds that token, no one replaced it meanwhile; the newer version only says something about it (a host
   * that writes a rejection seen on an API call without the lease, say, which a refresh causes when the provider
   * ends the old token as it issues the new one). This state, with the token that replaced it, is then newer than
   * that, and is written over it rather than lost.
   */
  async #write(base, baseToken) {
    const link = this.#shared;
    const mine = this.#state;
    let sealed = link.seal(mine);
    for (let attempt = 0, refused = 0; attempt < 3; attempt++) {
      const r = await link.write(base, sealed);
      if (r === null) {
        await new Promise((res) => setTimeout(res, 100 * (attempt + 1)));
        continue;
      }
      if (r.written) {
        link.version = r.version;
        link.unsaved = null;
        link.unshared = false;
        return true;
      }
      link.unsaved = null;
      await this.#pull(true);
      const replaced = baseToken !== undefined && (mine.access_token ?? '') !== baseToken;
      if (!replaced || link.unopenable || link.version <= base || (this.#state.access_token ?? '') !== baseToken ||
        ++refused > 2) {
        return false;
      }
      link.emit('write_over', { version: link.version });
      this.#state = mine;
      base = link.version;
      sealed = link.seal(mine);
      attempt = -1; // a store failure from here on is retried as from the start
    }
    link.unsaved = { base };
    link.emit('unsaved', { base });
    return false;
  }

  /**
   * Waits (bounded by deadline, told as a wait) until the lease is this session's; with the refresh lock held.
   * Past the deadline: TokenExpiredError, or the store's StoreUnavailableError when the store did not answer.
   */
  async #awaitLease(deadline, what) {
    const link = this.#shared;
    let waitedFrom = 0;
    try {
      for (;;) {
        const granted = await link.take();
        if (granted) return;
        const now = Date.now();
        if (!waitedFrom) {
          waitedFrom = now;
          link.stats.waits++;
          link.emit('wait', { for: 'lease', deadlineMs: deadline });
        }
        if (now >= deadline) throw granted === null && link.failure ? link.failure : waitTimeout(what);
        await link.pause(deadline, now);
      }
    } finally {
      if (waitedFrom) {
        link.stats.waitedMs += Date.now() - waitedFrom;
        link.emit('waited', { for: 'lease', waitedMs: Date.now() - waitedFrom });
      }
    }
  }

  /**
   * With the refresh lock and the lease held: the newest stored session opened, f run, the state written at the
   * version read when f changed it (a refused write opens the newer session: `fenced`), the lease released.
   * {result, fenced}, or f's error.
   */
  async #underLease(f) {
    const link = this.#shared;
    try {
      await this.#pull(true);
      const base = link.version;
      const baseToken = this.#state.access_token ?? '';
      const before = JSON.stringify(this.#state);
      // A rejection not written while the lease was held elsewhere is written now, if it still stands.
      const unshared = link.unshared;
      let result;
      let failure;
      let failed = false;
      try {
        result = await f();
      } catch (e) {
        failed = true;
        failure = e;
      }
      let fenced = false;
      if (JSON.stringify(this.#state) !== before || (unshared && link.unshared)) {
        fenced = !(await this.#write(base, baseToken)) && link.unsaved === null;
      }
      if (failed) throw failure;
      return { result, fenced };
    } finally {
      await link.release();
    }
  }

  /**
   * A change that is not an exchange (an authorization URL, a WhiteBIT nonce, a response handed back by hand, or
   * none: the state as it is), made under the lease on the newest stored session and written; a refused write
   * (the lease lost under a stall) makes it again on the newer session, at most three times.
   */
  async #commit(apply) {
    const deadline = Date.now() + this.waitTimeoutMs;
    if (!(await this.#lock.acquire(this.waitTimeoutMs))) throw waitTimeout('another caller\'s change of the session');
    try {
      for (let attempt = 0; ; attempt++) {
        await this.#awaitLease(deadline, 'the lease of the session');
        const link = this.#shared;
        let out;
        let written;
        try {
          if (apply) await this.#pull(true);
          const base = link.version;
          if (apply) out = this[kApply](apply);
          written = await this.#write(base);
        } finally {
          await link.release();
        }
        if (written || !apply || attempt === 2 || link.unsaved) return out;
      }
    } finally {
      this.#lock.release();
    }
  }

  /**
   * With a store: reads the record now and opens it when it is newer than the state; the version the state is
   * at. Without a store: 0.
   */
  async pull() {
    if (!this.#shared) return 0;
    await this.#pull(false);
    return this.#shared.version;
  }

  /**
   * With a store: writes the state as it is (a session made or opened here, not yet in the store) under the
   * lease, at the version it was read at; a refused write opens the stored session instead. Resolves to
   * whether it was written.
   */
  async save() {
    if (!this.#shared) throw misuse('ERR_INVALID_ARG_VALUE', 'save() needs a session with a store');
    const before = this.#shared.stats.writes;
    await this.#commit(null);
    return this.#shared.stats.writes > before;
  }

  // --- the refresh loop (docs/hosts.md) --------------------------------------------------------------------

  #decide(stage, attempts) {
    return this[kApply]((session, o) => ops.sessionEnsure({ session, nowMs: this.clock(), stage, attempts,
      credentials: this.credentials }, o));
  }

  /**
   * A usable access token, refreshing or renewing it first when the core says so. Single flight: when the token
   * is due, one caller refreshes while the others keep using it; when it is unusable, the others wait (at most
   * waitTimeoutMs) for the one renewal. Throws UserActionRequiredError when a person must act, RateLimitedError
   * during a backoff.
   */
  async ensure(options = {}) {
    const { send } = checkOptions(options, 'options');
    if (this.#shared) return this.#sharedEnsure(this.#sender(send));
    const d = this.#decide('check', 0);
    switch (d.move) {
      case 'use':
        return d.accessToken ?? '';
      case 'fail':
        throw errorFromObject(d.error);
      case 'refresh':
        if (!this.#lock.tryAcquire()) return d.accessToken ?? ''; // someone is refreshing; the token is still valid
        break;
      case 'renew':
        if (!(await this.#lock.acquire(this.waitTimeoutMs))) {
          throw new ops.TokenExpiredError('timed out waiting for another caller\'s renewal of the token');
        }
        break;
      default:
        throw internal(`the core answered an unexpected move ${String(d.move)}`);
    }
    try {
      return await this.#locked(this.#sender(send));
    } finally {
      this.#lock.release();
    }
  }

  /**
   * ensure() with a store (docs/hosts.md, "Many processes"): poll; use; fail; at the margin, refresh only with
   * the lease, else use the still-valid token at once; with an unusable token, wait (bounded, told) for a newer
   * stored version or for the lease; under the lease, the locked loop and one fenced write.
   */
  async #sharedEnsure(send) {
    const link = this.#shared;
    const deadline = Date.now() + this.waitTimeoutMs;
    let locked = false; // this call holds the refresh lock
    let waitedFrom = 0;
    let fencedOff = 0;
    const waiting = () => {
      if (waitedFrom) return;
      waitedFrom = Date.now();
      link.stats.waits++;
      link.emit('wait', { for: 'renewal', deadlineMs: deadline });
    };
    try {
      for (;;) {
        await this.#pull(locked);
        const d = this.#decide('check', 0);
        // A failure from a rejection seen here and not written, because another worker held the lease (a GSTN token
        // rejected because that worker's REFRESHTOKEN has just replaced it): that worker's write may carry a usable
        // session, so wait for it (bounded), or take the lease, as for an unusable token; with the lease and no newer
        // session the rejection stands: written under the lease and thrown. Past the deadline: this failure.
        const failure = d.move === 'fail' && link.unshared ? d.error : null;
        const move = failure ? 'renew' : d.move;
        const giveUp = (what) => (failure ? errorFromObject(failure) : waitTimeout(what));
        if (link.unopenable && (move === 'refresh' || move === 'renew')) {
          // The stored session is newer than ours and this keyring cannot open it: ours is valid → used as it is;
          // not valid → the reason, rather than a renewal the store would refuse.
          if (move === 'refresh') return d.accessToken ?? '';
          if (failure) throw errorFromObject(failure);
          const { version, error } = link.unopenable;
          const e = new ops.InvalidKeyError(`the stored session (version ${version}) cannot be opened with sealKeys: ${error.message}`);
          e.cause = error;
          throw e;
        }
        switch (move) {
          case 'use':
            return d.accessToken ?? '';
          case 'fail':
            throw errorFromObject(d.error);
          case 'refresh':
            // One refresher in the fleet; everyone else, here or elsewhere, goes on with the valid token.
            if (!locked && !this.#lock.tryAcquire()) return d.accessToken ?? '';
            locked = true;
            if (!(await link.take())) return d.accessToken ?? '';
            break;
          case 'renew': {
            if (!locked) {
              if (!this.#lock.tryAcquire()) {
                waiting(); // for the caller of this process that renews
                if (!(await this.#lock.acquire(Math.max(0, deadline - Date.now())))) {
                  throw giveUp('another caller\'s renewal of the token');
                }
              }
              locked = true;
              continue; // a caller of this process may have renewed meanwhile: read and decide again
            }
            if (await link.take()) break;
            waiting();
            const now = Date.now();
            if (now >= deadline) throw giveUp(`the renewal of the token (${this.waitTimeoutMs} ms; the lease is another process's)`);
            await link.pause(deadline, now);
            continue;
          }
          default:
            throw internal(`the core answered an unexpected move ${String(move)}`);
        }
        const { result, fenced } = await this.#underLease(() => this.#locked(send, () => link.extend()).catch((e) => {
          if (e === LEASE_LOST) return LEASE_LOST;
          throw e;
        }));
        if (result !== LEASE_LOST && !fenced) return result;
        // The lease went to another process under a stall (lost before a send, or the write refused: the newer
        // stored session is open now): decide again, a few times at most.
        if (++fencedOff >= 3) throw waitTimeout('a renewal that is not fenced off (the lease was lost three times)');
      }
    } finally {
      if (locked) this.#lock.release();
      if (waitedFrom) {
        link.stats.waitedMs += Date.now() - waitedFrom;
        link.emit('waited', { for: 'renewal', waitedMs: Date.now() - waitedFrom });
      }
    }
  }

  /**
   * The locked loop: ask the core, send what it says, hand the answer back, until it says use or fail.
   * beforeSend (with a store: the lease extended) answering false stops it before the send (LEASE_LOST).
   */
  async #locked(send, beforeSend) {
    let reloaded = false;
    let cause;
    for (let attempts = 0; ; attempts++) {
      const d = this.#decide('locked', attempts);
      if (d.move === 'use') return d.accessToken ?? '';
      if (d.move === 'fail') {
        const e = errorFromObject(d.error);
        if (cause !== undefined) e.cause = cause;
        throw e;
      }
      if (d.move !== 'send' || !d.request) throw internal(`the core answered an unexpected move ${String(d.move)}`);
      if (beforeSend && !(await beforeSend())) throw LEASE_LOST;
      const sent = this.clock();
      if (this.#shared) this.#shared.stats.exchanges++;
      let response;
      try {
        response = await send(d.request);
      } catch (e) {
        // No answer at all (a network error, a timeout): the core drops the request and backs off, and decides next
        // (a still-valid token is used; otherwise the failure, with the send's error as its cause).
        this[kApply]((session, o) => ops.sessionSendFailed({ session, nowMs: this.clock() }, o));
        await this.#changed();
        cause = e;
        continue;
      }
      cause = undefined;
      const out = this.#respond(response, sent);
      await this.#changed();
      if (out.outcome === 'stale_certificate') {
        if (reloaded || !this.loadCertificate) return this.#tokenDespite(errorFromObject(out.error));
        await this[kReloadCertificate]();
        reloaded = true;
      }
    }
  }

  /** After a stale certificate that cannot be replaced: a token that is still valid is used, else the cause is thrown. */
  #tokenDespite(cause) {
    const d = this.#decide('check', 0);
    if (d.move === 'use' || d.move === 'refresh') return d.accessToken ?? '';
    throw cause;
  }

  /**
   * Resolves when no refresh of this session is in flight (at most waitTimeoutMs from now). A call rejected while
   * its token was being refreshed waits for that refresh before it asks for a token again: a provider may end the
   * old token when it issues the new one.
   */
  async [kRefreshSettled]() {
    if (this.#lock.held && (await this.#lock.acquire(this.waitTimeoutMs))) this.#lock.release();
  }

  async [kReloadCertificate]() {
    const pem = await this.loadCertificate();
    checkString(pem, 'the certificate loadCertificate gave');
    this.credentials = { ...this.credentials, public_key: pem };
  }

  /**
   * The token to use now, without sending anything: throws when a person must act, during a backoff, or when the
   * token must be renewed first (TokenExpiredError).
   */
  currentToken() {
    const d = this.#decide('check', 0);
    if (d.move === 'use' || d.move === 'refresh') return d.accessToken ?? '';
    if (d.move === 'fail') throw errorFromObject(d.error);
    throw new ops.TokenExpiredError(d.plan.message);
  }

  // --- ordinary API calls ----------------------------------------------------------------------------------

  [kHeadersFor](state, options = {}) {
    const { retPeriod, rtnTyp, userrole, txn } = checkOptions(options, 'options');
    return ops.sessionHeaders({ session: state, credentials: this.credentials, retPeriod, rtnTyp, userrole, txn },
      this.#opt).headers;
  }

  /**
   * The headers of an ordinary API call with the session's token (GSTN returns calls: retPeriod, rtnTyp,
   * userrole; txn: a request id of your own).
   */
  headers(options = {}) {
    return this[kHeadersFor](this.#state, options);
  }

  /**
   * After an ordinary API call: measures the clock skew, classifies the answer (the error catalogue) and marks a
   * rejected token. accessToken is the token the call was made with. onChange runs when the session learnt more
   * than the clock (a rejected token).
   */
  async observe(response, options = {}) {
    const { sentAtMs, receivedAtMs, accessToken } = checkOptions(options, 'options');
    const before = this.#state;
    const received = receivedAtMs ?? Math.max(this.clock(), sentAtMs ?? 0);
    const out = this[kApply]((session, o) => ops.sessionObserve({ session, response: wireResponse(response),
      sentAtMs: sentAtMs ?? received, receivedAtMs: received, accessToken }, o));
    const learnt = (a, b) => a.rejected !== b.rejected || JSON.stringify(a.last_error) !== JSON.stringify(b.last_error);
    if (learnt(this.#state, before)) {
      await this.#changed();
      if (this.#shared) {
        await this.#publish((state) => {
          const again = ops.sessionObserve({ session: state, response: wireResponse(response), sentAtMs: sentAtMs ?? received,
            receivedAtMs: received, accessToken }, this.#opt).session;
          return learnt(again, state) ? again : null;
        });
      }
    }
    return out.error ? { outcome: out.outcome, error: out.error } : { outcome: out.outcome };
  }

  /**
   * With a store: what an API call's answer taught the state (a rejected token), written when the lease is free
   * (its holder is renewing the token and will write anyway): read, apply, write; a refused write reads the newer
   * session and applies it again (reapply answers null when the newer one has nothing to learn).
   */
  async #publish(reapply) {
    const link = this.#shared;
    if (!this.#lock.tryAcquire()) {
      link.unshared = true; // another caller of this process renews (or waits for the renewal)
      return;
    }
    try {
      const granted = await link.take();
      if (!granted) {
        if (granted === false) {
          // Another worker holds the lease: it is renewing, and its write carries the result. The rejection is not
          // written; a failure from it waits for that write (#sharedEnsure).
          link.unshared = true;
          link.stats.rejectionsUnwritten++;
          link.emit('rejection_unwritten', {});
        }
        return;
      }
      try {
        for (let attempt = 0; attempt < 3; attempt++) {
          const r = await link.write(link.version, link.seal(this.#state));
          if (r === null) return; // unsaved: the renewal that follows writes under the lease
          if (r.written) {
            link.version = r.version;
            link.unshared = false;
            return;
          }
          await this.#pull(true);
          const again = reapply(this.#state);
          if (again === null) return;
          this.#state = again;
        }
      } finally {
        await link.release();
      }
    } finally {
      this.#lock.release();
    }
  }

  [kEncryptFor](state, body) {
    return ops.sessionEncryptBodyRawAsync({ session: state }, body, this.#opt);
  }

  [kDecryptFor](state, body) {
    return ops.sessionDecryptBodyRawAsync({ session: state }, body, this.#opt);
  }

  /** A request body with its payload member encrypted for the session (unchanged when there is nothing to encrypt). */
  encryptBody(body) {
    return this[kEncryptFor](this.#state, typeof body === 'string' ? Buffer.from(body) : body);
  }

  /** A successful response body with its payload decrypted in place (its HMAC checked first). */
  decryptBody(body) {
    return this[kDecryptFor](this.#state, typeof body === 'string' ? Buffer.from(body) : body);
  }

  /**
   * The encrypted members a request body carries for a payload (GSTN data and hmac, NIC Data): add your own
   * members (the action) beside them. payload: its JSON text, or a value to encode.
   */
  async encrypt(payload) {
    const text = typeof payload === 'string' ? payload : json.encode(payload);
    if (text === undefined) throw misuse('ERR_INVALID_ARG_TYPE', `payload cannot be written as JSON: ${describe(payload)}`);
    const out = await ops.sessionEncryptPayloadRawAsync({ session: this.#state }, Buffer.from(text), this.#opt);
    return json.decode(out.toString('utf8'));
  }

  /**
   * The decrypted payload of a response body (its text, bytes, or the parsed object), parsed; a failure the body
   * reports is thrown as its GstAuthError subclass.
   */
  async decrypt(body) {
    const data = typeof body === 'string' ? Buffer.from(body)
      : body instanceof Uint8Array ? body : Buffer.from(json.encode(body) ?? '');
    const out = await ops.sessionDecryptPayloadRawAsync({ session: this.#state }, data, this.#opt);
    return json.decode(out.toString('utf8'));
  }
}

// --- GSTN --------------------------------------------------------------------------------------------------

/**
 * The GSTN taxpayer API: an OTP once, then refreshes before every expiry until the API-access window ends.
 * config: base_url (…/taxpayerapi/v1.0), client_id, gstin, username, ip_usr, access_window_ms.
 * credentials: client_secret, public_key (the GSTN certificate, PEM).
 */
class GstnSession extends Session {
  static provider = 'gstn';

  /** OTPREQUEST: the taxpayer receives an OTP. */
  async requestOtp(options) {
    await this.exchange('otp_request', options);
  }

  /** AUTHTOKEN with the OTP the taxpayer received. */
  async authenticate(otp, options = {}) {
    checkString(otp, 'otp');
    await this.exchange('auth_token', { ...checkOptions(options, 'options'), credentials: { otp } });
  }

  /** REFRESHTOKEN now (ensure() refreshes by itself when the planner says so). */
  async refresh(options) {
    await this.exchange('refresh_token', options);
  }

  async logout(options) {
    await this.exchange('logout', options);
  }

  /** The EVC OTP for signing a return with the PAN's EVC. */
  async requestEvcOtp(pan, formType, options = {}) {
    checkString(pan, 'pan');
    checkString(formType, 'formType');
    await this.exchange('evc_otp', { ...checkOptions(options, 'options'), params: { pan, form_type: formType } });
  }
}

/** A gateway's task API (getAuthToken), giving a GSTN-like session. */
class GatewayTaskSession extends GstnSession {
  static provider = 'gateway_task';

  async authenticate(otp, options = {}) {
    checkString(otp, 'otp');
    await this.exchange('get_auth_token', { ...checkOptions(options, 'options'), credentials: { otp } });
  }
}

// --- NIC ---------------------------------------------------------------------------------------------------

/**
 * NIC e-invoice (IRP) v1.04. config: base_url, client_id, gstin, username.
 * credentials: client_secret, password, public_key (NIC's certificate, PEM).
 */
class EInvoiceSession extends Session {
  static provider = 'nic_einvoice';

  async authenticate(options) {
    await this.exchange('auth', options);
  }

  /** ForceRefreshAccessToken (honoured in the token's last 10 minutes). */
  async forceRefresh(options) {
    await this.exchange('force_refresh', options);
  }
}

/**
 * NIC e-way bill (ACCESSTOKEN). config: base_url, client_id, gstin, username.
 * credentials: client_secret, password, public_key (NIC's certificate, PEM).
 */
class EWayBillSession extends Session {
  static provider = 'nic_ewaybill';

  async authenticate(options) {
    await this.exchange('auth', options);
  }
}

// --- OAuth and WhiteBIT ------------------------------------------------------------------------------------

/**
 * RFC 6749 §4.4 (WhiteBooks, OneFinOps/Keycloak through config.flavor). config: token_url, client_id, scope,
 * client_auth. credentials: client_secret (and previous_client_secret, previous_secret_valid_until_ms).
 */
class OAuthClientCredentialsSession extends Session {
  static provider = 'oauth_client_credentials';
}

/** RFC 6749 §4.3, which some gateways still use (Masters India). credentials: password, client_secret. */
class OAuthPasswordSession extends Session {
  static provider = 'oauth_password';
}

/** RFC 6749 §4.1 with PKCE S256 and state. config: auth_url, token_url, client_id, redirect_uri, scope. */
class AuthorizationCodeSession extends Session {
  static provider = 'oauth_authorization_code';

  /** The URL to send the user to; the PKCE verifier and the state are kept in the session. */
  async authorizationUrl() {
    const apply = (session, o) => ops.oauthAuthorizationUrl({ session, nowMs: this.clock() }, o);
    const out = this.store ? await this[kCommit](apply) : this[kApply](apply);
    if (this.onChange) await this.onChange(this);
    return out.url;
  }

  /** Checks the redirect (its state, in constant time) and exchanges its code for tokens. */
  async complete(redirectUrl, options = {}) {
    checkString(redirectUrl, 'redirectUrl');
    const r = ops.oauthParseRedirect({ session: this.state, url: redirectUrl }, { backend: this.backend });
    await this.exchange('authorization_code', { ...checkOptions(options, 'options'),
      credentials: { code: r.code, state: r.state } });
  }
}

/** WhiteBIT's OAuth (its own refresh endpoint, 300 s tokens) and signed private-API requests. */
class WhiteBITSession extends AuthorizationCodeSession {
  static provider = 'whitebit';

  /** A signed private-API request with the session's next nonce (the session is stored before it is sent). */
  async signedRequest(apiKey, secret, path, params) {
    const apply = (session, o) => ops.whitebitRequest({ session, nowMs: this.clock(), apiKey, secret, path, params }, o);
    // With a store, the nonce is taken under the lease on the newest stored session and written before it is used.
    const out = this.store ? await this[kCommit](apply) : this[kApply](apply);
    if (this.onChange) await this.onChange(this);
    return out.request;
  }
}

/** WhiteBIT's Fast API Key flow (PKCE, a 4 h token, no refresh token). */
class WhiteBITFastKeySession extends WhiteBITSession {
  static provider = 'whitebit_fast_key';
}

/** The session class of each provider. */
const SESSION_CLASSES = Object.freeze(Object.fromEntries([GstnSession, GatewayTaskSession, EInvoiceSession,
  EWayBillSession, OAuthClientCredentialsSession, OAuthPasswordSession, AuthorizationCodeSession, WhiteBITSession,
  WhiteBITFastKeySession].map((c) => [c.provider, c])));

let defaultSend = null;
function defaultSender() {
  defaultSend ??= require('./http.cjs').fetchSender();
  return defaultSend;
}

module.exports = {
  Session, GstnSession, GatewayTaskSession, EInvoiceSession, EWayBillSession, OAuthClientCredentialsSession,
  OAuthPasswordSession, AuthorizationCodeSession, WhiteBITSession, WhiteBITFastKeySession, SESSION_CLASSES,
  RefreshLock, nowMs,
};
