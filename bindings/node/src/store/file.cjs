'use strict';
// The file store of docs/hosts.md ("Many processes"): processes on one machine share a session through one JSON
// file per session record in a directory, with nothing to install.
//
//   change:  lock <file>.lock → read the record ({} when absent) → store_lease / store_write (the core's ops)
//            → write a temporary file in the same directory, fsync it, rename it over the record, fsync the
//            directory → unlock
//   read:    no lock (the rename is atomic: a reader sees the old record or the new one, never a mixture)
//
// The rules themselves (who gets the lease, when a write is refused) are the core's: this file only locks, reads
// and writes bytes. The lock on <file>.lock is flock(2) and, with it, an open file description record lock on the
// whole file (F_OFD_SETLK), as Python's file store takes them: flock excludes Go's gofrs/flock, the record lock
// the JVM's FileChannel.lock (on Linux the two kinds do not see each other), so Node processes exclude every
// other language's processes on one directory. The kernel drops both when their holder dies: a killed process
// never leaves a stale lock. Node has neither: the package's addon gives them (it needs no library). Where the
// addon cannot load (not linux-x64 with glibc), `lock: 'mkdir'` takes proper-lockfile's lock instead (a
// directory <file>.mkdir.lock, stale after `staleMs`), which excludes only other processes that take that same
// lock: Node processes of a Node-only fleet.

const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const crypto = require('node:crypto');
const { errno: ERRNO } = require('node:os').constants;
const util = require('node:util');
const ops = require('../generated/ops.cjs');
const { misuse, describe } = require('../misuse.cjs');
const { storeUnavailable } = require('../errors.cjs');
const locate = require('../locate.cjs');

let addon;
/** The addon's lockFile(fd, lock), or the reason it cannot be had. */
function flockOf() {
  if (addon === undefined) {
    try {
      addon = require(locate.addonPath());
    } catch (e) {
      addon = e instanceof Error ? e : new Error(String(e));
    }
  }
  if (addon instanceof Error || typeof addon.lockFile !== 'function') {
    const why = addon instanceof Error ? addon.message : 'the addon has no lockFile';
    throw new ops.UnsupportedError(`the file store's lock needs the package's native addon (${why}); ` +
      "on this platform use `lock: 'mkdir'` (Node processes only) or the Redis store");
  }
  return addon.lockFile;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function lockTimeout(file, ms) {
  const e = new Error(`gstauth: timed out after ${ms} ms waiting for the lock of ${file}`);
  e.code = 'ETIMEDOUT';
  return e;
}

/** flock(2) and the OFD record lock on <file>.lock, polled without blocking (1 ms, doubling to 16 ms) until timeoutMs. */
async function flockLock(file, timeoutMs) {
  const flock = flockOf();
  const lockPath = `${file}.lock`;
  const fd = fs.openSync(lockPath, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o666);
  const deadline = Date.now() + timeoutMs;
  try {
    for (let pause = 1; ; pause = Math.min(pause * 2, 16)) {
      const rc = flock(fd, true);
      if (rc === 0) break;
      if (rc !== ERRNO.EWOULDBLOCK && rc !== ERRNO.EAGAIN) {
        const name = util.getSystemErrorName(-rc);
        throw Object.assign(new Error(`gstauth: locking ${lockPath}: ${name}`), { code: name, errno: -rc });
      }
      if (Date.now() >= deadline) throw lockTimeout(lockPath, timeoutMs);
      await sleep(pause);
    }
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  // Never unlinked: another process may already hold an open descriptor of this file, waiting to lock it.
  return () => {
    try {
      flock(fd, false);
    } finally {
      fs.closeSync(fd); // closing drops the lock in any case
    }
  };
}

let lockfile;
/** proper-lockfile's lock on the directory <file>.mkdir.lock (lock: 'mkdir'). */
async function mkdirLock(file, timeoutMs, staleMs) {
  lockfile ??= require('proper-lockfile');
  const deadline = Date.now() + timeoutMs;
  for (let pause = 2; ; pause = Math.min(pause * 2, 32)) {
    try {
      const release = await lockfile.lock(file, { realpath: false, lockfilePath: `${file}.mkdir.lock`, stale: staleMs,
        retries: 0 });
      return () => release();
    } catch (e) {
      if (e?.code !== 'ELOCKED') throw e;
      if (Date.now() >= deadline) throw lockTimeout(`${file}.mkdir.lock`, timeoutMs);
      await sleep(pause);
    }
  }
}

function checkKeys(keys) {
  if (keys === null || typeof keys !== 'object' || typeof keys.file !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(keys.file)) {
    throw misuse('ERR_INVALID_ARG_TYPE', `keys must be a session's storeKeys() result, not ${describe(keys)}`);
  }
}

/**
 * The file store: one JSON record per session in `dir` (created if absent). See the top of this file. A record
 * that cannot be read, locked (within lockTimeoutMs) or written fails with StoreUnavailableError (the core's
 * store_unavailable, retryable; its cause is the failure).
 */
class FileStore {
  #dir;
  #lock;
  #timeoutMs;
  #staleMs;
  #clock;
  #backend;

  /**
   * @param {string} dir
   * @param {{lock?: 'flock' | 'mkdir', lockTimeoutMs?: number, staleMs?: number, clock?: () => number,
   *   backend?: any}} [options]
   */
  constructor(dir, options = {}) {
    if (typeof dir !== 'string' || dir === '') throw misuse('ERR_INVALID_ARG_TYPE', `dir must be a path, not ${describe(dir)}`);
    if (options === null || typeof options !== 'object') {
      throw misuse('ERR_INVALID_ARG_TYPE', `options must be an object, not ${describe(options)}`);
    }
    const { lock = 'flock', lockTimeoutMs = 10_000, staleMs = 10_000, clock = Date.now, backend } = options;
    if (lock !== 'flock' && lock !== 'mkdir') throw misuse('ERR_INVALID_ARG_VALUE', `lock must be 'flock' or 'mkdir', not ${describe(lock)}`);
    if (lock === 'flock') flockOf(); // fail now, not at the first change
    this.#dir = path.resolve(dir);
    try {
      fs.mkdirSync(this.#dir, { recursive: true });
    } catch (e) {
      throw storeUnavailable(e);
    }
    this.#lock = lock;
    this.#timeoutMs = lockTimeoutMs;
    this.#staleMs = staleMs;
    this.#clock = clock;
    this.#backend = backend;
  }

  /** 'file' */
  get kind() {
    return 'file';
  }

  /** The directory of the records. */
  get dir() {
    return this.#dir;
  }

  /** The path of a session's record. */
  pathOf(keys) {
    checkKeys(keys);
    return path.join(this.#dir, keys.file);
  }

  async #readRecord(file) {
    let text;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (e) {
      if (e?.code === 'ENOENT') return { version: 0 };
      throw e;
    }
    const rec = JSON.parse(text);
    if (rec === null || typeof rec !== 'object' || !Number.isSafeInteger(rec.version ?? 0)) {
      throw new Error(`gstauth: ${file} is not a session record`);
    }
    return { ...rec, version: rec.version ?? 0 };
  }

  /** The record as it is now, without the lock: {version, sealed} ({0, ''} before the first write). */
  async read(keys) {
    const file = this.pathOf(keys);
    try {
      const rec = await this.#readRecord(file);
      return { version: rec.version, sealed: rec.sealed ?? '' };
    } catch (e) {
      throw storeUnavailable(e);
    }
  }

  /** lock → read → f(record) → write when f says so → unlock. */
  async #change(keys, f) {
    const file = this.pathOf(keys);
    try {
      const unlock = this.#lock === 'flock' ? await flockLock(file, this.#timeoutMs)
        : await mkdirLock(file, this.#timeoutMs, this.#staleMs);
      try {
        const rec = await this.#readRecord(file);
        const { record, changed, result } = f(rec);
        if (changed) await this.#replace(file, record);
        return result;
      } finally {
        await unlock();
      }
    } catch (e) {
      throw storeUnavailable(e);
    }
  }

  /** Writes a temporary file beside the record, fsyncs it, renames it over the record and fsyncs the directory. */
  async #replace(file, record) {
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    const h = await fsp.open(tmp, 'wx', 0o600);
    try {
      await h.writeFile(JSON.stringify(record));
      await h.sync();
    } finally {
      await h.close();
    }
    try {
      await fsp.rename(tmp, file);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    const d = await fsp.open(this.#dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  /**
   * Takes, extends or releases the session's refresh lease for holder (core/store.go's LeaseRecord on this host's
   * clock); true when granted.
   */
  async lease(keys, action, holder, ttlMs) {
    // The core checks the holder and the ttl first: a refused argument is invalid_input, whatever the store's state.
    ops.storeLease({ record: { version: 0 }, action, holder, ttlMs: action === 'release' ? undefined : ttlMs, nowMs: 0 },
      { backend: this.#backend });
    return this.#change(keys, (record) => {
      const out = ops.storeLease({ record, action, holder, ttlMs: action === 'release' ? undefined : ttlMs,
        nowMs: this.#clock() }, { backend: this.#backend });
      return { record: out.record, changed: out.granted, result: out.granted };
    });
  }

  /**
   * Stores a sealed session if the record is still at expectedVersion (core/store.go's WriteRecord):
   * {written, version}, version being the record's after the call.
   */
  async write(keys, expectedVersion, sealed) {
    return this.#change(keys, (record) => {
      const out = ops.storeWrite({ record, expectedVersion, sealed }, { backend: this.#backend });
      return { record: out.record, changed: out.written, result: { written: out.written, version: out.version } };
    });
  }

  /** Nothing to close; for the Store interface. */
  async close() {}
}

module.exports = { FileStore };
