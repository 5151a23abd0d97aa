'use strict';
// The native backend: libgstauth.so through the Node-API addon (src/addon/gstauth_node.c).
//
// Every call runs on the calling thread's own stack: synchronous calls on the thread that makes them, the async
// forms on the libuv thread pool. The addon returns the output text, or [error text] when the core reports a
// failure, or for raw ops [meta text, Buffer].

const { errorFromJSON } = require('./errors.cjs');
const locate = require('./locate.cjs');

function loadAddon() {
  const file = locate.addonPath();
  try {
    return require(file);
  } catch (e) {
    const glibc = process.platform === 'linux' && process.report?.getReport?.().header?.glibcVersionRuntime;
    const why = process.platform !== 'linux' ? `it is built for Linux, this is ${locate.PLATFORM}`
      : !glibc ? 'it needs glibc, and this system has another C library (musl?)' : e.message;
    throw new Error(`gstauth: cannot load the native backend (${why}); GSTAUTH_BACKEND=wasm runs everywhere`,
      { cause: e });
  }
}

function jsonResult(r) {
  if (typeof r === 'string') return r;
  throw errorFromJSON(r[0]);
}

function rawResult(r) {
  if (r.length === 2) return r;
  throw errorFromJSON(r[0]);
}

class NativeBackend {
  constructor() {
    const addon = loadAddon();
    this.name = 'cshared';
    this.version = addon.load(locate.libraryPath());
    this.addon = addon;
  }

  /** @returns {string} the output JSON text */
  call(op, text) {
    return jsonResult(this.addon.call(op, text));
  }

  /** @returns {Promise<string>} */
  callAsync(op, text) {
    return this.addon.callAsync(op, text).then(jsonResult);
  }

  /** @returns {[string, Buffer]} the meta JSON text and the raw output */
  callRaw(op, params, data) {
    return rawResult(this.addon.callRaw(op, params, data));
  }

  /** @returns {Promise<[string, Buffer]>} */
  callRawAsync(op, params, data) {
    return this.addon.callRawAsync(op, params, data).then(rawResult);
  }
}

module.exports = { NativeBackend };
