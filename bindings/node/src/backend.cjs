'use strict';
// The generic entry over either backend (src/index.cjs re-exports it with the typed surface, sessions and HTTP).
//
//   call(op, input)                  → output object        (throws GstAuthError)
//   callAsync(op, input)             → Promise<output object>
//   callRaw(op, params, data)        → {meta, data}         (ops whose names end in _raw: bulk bytes in and out)
//   callRawAsync(op, params, data)   → Promise<{meta, data}>
//
// Both backends take and give the same bytes, so every result is identical whichever runs it: `cshared` (the
// default: libgstauth.so through a Node-API addon) or `wasm` (gstauth.wasm through @extism/extism, no native
// code), chosen by GSTAUTH_BACKEND when the first call is made, or named with getBackend(name).
//
// This layer checks arguments (op names against the core's own op list), encodes and decodes JSON (src/json.cjs) and turns failures into
// GstAuthError; the backends only move text and bytes. Typed functions per op are generated into src/generated/ and
// build on getBackend() and the four methods of Backend.

const { GstAuthError } = require('./errors.cjs');
const json = require('./json.cjs');
const { misuse, describe } = require('./misuse.cjs');

const BACKENDS = {
  cshared: () => new (require('./native.cjs').NativeBackend)(),
  wasm: () => new (require('./wasm.cjs').WasmBackend)(),
};

/** The error classes generated from the schema (src/generated/ops.cjs requires this module: read on first use). */
const generated = () => require('./generated/ops.cjs');

function describeOp(op) {
  return JSON.stringify(op.length > 64 ? `${op.slice(0, 64)}...` : op);
}

function encodeInput(what, input) {
  if (input === null || typeof input !== 'object' || Array.isArray(input) || ArrayBuffer.isView(input)) {
    throw misuse('ERR_INVALID_ARG_TYPE', `${what} must be an object, not ${describe(input)}`);
  }
  let text;
  try {
    text = json.encode(input);
  } catch (e) {
    throw misuse('ERR_INVALID_ARG_VALUE', `${what} cannot be written as JSON: ${e.message}`, e);
  }
  return text;
}

function checkData(data) {
  if (!(data instanceof Uint8Array)) throw misuse('ERR_INVALID_ARG_TYPE', `data must be a Uint8Array or Buffer, not ${describe(data)}`);
}

function decodeOutput(text) {
  try {
    return json.decode(text);
  } catch (e) {
    throw new Error(`gstauth: the core answered something that is not JSON: ${e.message}`, { cause: e });
  }
}

function rawOutput([meta, data]) {
  return { meta: decodeOutput(meta), data };
}

/**
 * One backend: the generic entry bound to it. Sessions, the fetch wrapper and the generated typed functions
 * build on these four methods.
 */
class Backend {
  #t;
  #ops = null;
  #maxOpName = null;

  constructor(transport) {
    this.#t = transport;
    /** @type {'cshared' | 'wasm'} */
    this.name = transport.name;
  }

  /**
   * Refuses what is not the name of an op of the right kind before it reaches a backend: an op that is not a string
   * as TypeError, a string with the core's codes; the core's own op list decides (read once per backend), so both
   * backends refuse the same names the same way.
   */
  #checkOp(op, raw) {
    if (typeof op !== 'string') throw misuse('ERR_INVALID_ARG_TYPE', `op must be a string, not ${describe(op)}`);
    if (this.#ops === null) {
      this.#ops = new Map(json.decode(this.#t.call('ops', '{}')).ops.map((o) => [o.name, o.raw === true]));
    }
    // A name the core does not have, or has under the other entry, fails as the core itself fails it (Python and
    // Java do the same).
    const isRaw = this.#ops.get(op);
    if (isRaw === undefined) {
      // A name no op can have (empty, over the schema's maxOpNameLength, a NUL byte): invalid_input, as the core says.
      this.#maxOpName ??= json.decode(this.#t.call('schema', '{}')).maxOpNameLength;
      if (op === '' || op.includes('\0') || Buffer.byteLength(op) > this.#maxOpName) {
        throw new (generated().InvalidInputError)(`the op name is empty, longer than ${this.#maxOpName} bytes or holds a NUL byte`);
      }
      throw new (generated().UnsupportedError)(`unknown op ${describeOp(op)} (the op "ops" lists them)`);
    }
    if (isRaw !== raw) {
      throw new (generated().UnsupportedError)(raw ? `${describeOp(op)} is a JSON op: call it with call or callAsync`
        : `${describeOp(op)} is a raw op: call it with callRaw or callRawAsync`);
    }
  }

  /** The core's version (the repository's VERSION file when it was built). */
  get version() {
    return this.#t.version;
  }

  call(op, input) {
    this.#checkOp(op, false);
    return decodeOutput(this.#t.call(op, encodeInput('input', input)));
  }

  async callAsync(op, input) {
    this.#checkOp(op, false);
    return decodeOutput(await this.#t.callAsync(op, encodeInput('input', input)));
  }

  callRaw(op, params, data) {
    this.#checkOp(op, true);
    checkData(data);
    return rawOutput(this.#t.callRaw(op, encodeInput('params', params), data));
  }

  async callRawAsync(op, params, data) {
    this.#checkOp(op, true);
    checkData(data);
    return rawOutput(await this.#t.callRawAsync(op, encodeInput('params', params), data));
  }
}

const backends = new Map();
let defaultBackend = null;

/**
 * The backend of that name, created on first use in this thread; without a name, the one GSTAUTH_BACKEND names
 * (default `cshared`).
 * @param {'cshared' | 'wasm'} [name]
 * @returns {Backend}
 */
function getBackend(name) {
  if (name === undefined) {
    if (defaultBackend) return defaultBackend;
    const env = process.env.GSTAUTH_BACKEND || 'cshared';
    if (!Object.hasOwn(BACKENDS, env)) {
      throw misuse('ERR_INVALID_ARG_VALUE', `GSTAUTH_BACKEND is ${JSON.stringify(env)}: use cshared or wasm`);
    }
    return (defaultBackend = getBackend(env));
  }
  if (typeof name !== 'string' || !Object.hasOwn(BACKENDS, name)) {
    throw misuse('ERR_INVALID_ARG_VALUE', `unknown backend ${String(name)}: use cshared or wasm`);
  }
  let b = backends.get(name);
  if (!b) {
    b = new Backend(BACKENDS[name]());
    backends.set(name, b);
  }
  return b;
}

/** Runs the JSON op `op` on `input` with the default backend. */
function call(op, input) {
  return getBackend().call(op, input);
}

/** call, off the main thread (the native backend runs it on the libuv pool, the wasm one in its host thread). */
function callAsync(op, input) {
  return getBackend().callAsync(op, input);
}

/** Runs the raw op `op` (its name ends in _raw) on JSON params and raw bytes; returns JSON meta and raw bytes. */
function callRaw(op, params, data) {
  return getBackend().callRaw(op, params, data);
}

/** callRaw, off the main thread. Do not change `data` until the promise settles: it is read in place. */
function callRawAsync(op, params, data) {
  return getBackend().callRawAsync(op, params, data);
}

module.exports = { call, callAsync, callRaw, callRawAsync, getBackend, GstAuthError, Backend };
