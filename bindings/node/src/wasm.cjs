'use strict';
// The wasm backend: gstauth.wasm through @extism/extism, with no native code.
//
// The Extism SDK for JavaScript is asynchronous only: every Plugin method returns a Promise (its in-thread plugin
// runs the export synchronously inside call(), yet hands the output over only through the Promise). So the plugin
// lives in a thread of its own (src/wasm-host.cjs), and this side offers both forms over it:
//   - synchronous calls post the request and block on Atomics.wait until the host thread has posted its reply,
//     which is then taken with receiveMessageOnPort: the same surface as the native backend;
//   - async calls post the request and resolve when the reply arrives, so even a large payload (the plugin
//     handles ~10 MB/s) never blocks the event loop.
// One host thread per JavaScript thread (each worker_threads Worker that uses the wasm backend starts its own).

const path = require('node:path');
const { MessageChannel, Worker, receiveMessageOnPort } = require('node:worker_threads');
const { errorFromJSON } = require('./errors.cjs');
const locate = require('./locate.cjs');

function result(reply) {
  if (reply.error !== undefined) throw errorFromJSON(reply.error);
  if (reply.fatal !== undefined) throw new Error(`gstauth: the WebAssembly plugin failed: ${reply.fatal}`);
  return reply.text;
}

function rawResult(reply) {
  const meta = result(reply);
  return [meta, Buffer.from(reply.buffer, reply.offset, reply.length)];
}

/**
 * One buffer for a raw op (the plugin's frame): a NUL byte, the 4-byte little-endian length of the params JSON, the
 * JSON, the data. The host thread reads the reply's frame the same way (FRAME_HEADER there).
 */
function frame(params, data) {
  const n = Buffer.byteLength(params, 'utf8');
  const buf = Buffer.from(new ArrayBuffer(5 + n + data.length)); // its own ArrayBuffer: the plugin host reads all of it
  buf[0] = 0;
  buf.writeUInt32LE(n, 1);
  buf.write(params, 5, 'utf8');
  buf.set(data, 5 + n);
  return buf;
}

class WasmBackend {
  #worker;
  #flags;
  #syncPort;
  #asyncPort;
  #seq = 0;
  #pending = new Map();
  #version;
  #failure = null;

  constructor() {
    const wasmPath = locate.wasmPath();
    const state = new SharedArrayBuffer(8);
    const sync = new MessageChannel();
    const async = new MessageChannel();
    this.name = 'wasm';
    this.#flags = new Int32Array(state);
    this.#syncPort = sync.port1;
    this.#asyncPort = async.port1;
    this.#worker = new Worker(path.join(__dirname, 'wasm-host.cjs'), {
      workerData: { wasmPath, state, syncPort: sync.port2, asyncPort: async.port2 },
      transferList: [sync.port2, async.port2],
    });
    // Neither the host thread nor an idle port keeps the process alive; a pending async call does.
    this.#worker.unref();
    this.#syncPort.unref();
    this.#asyncPort.on('message', (reply) => this.#settle(reply));
    this.#asyncPort.unref();
    this.#worker.on('error', (e) => this.#stop(e));
    this.#worker.on('exit', (code) => this.#stop(new Error(`gstauth: the WebAssembly host thread exited (${code})`)));
  }

  /** The core's version, as the plugin reports it. */
  get version() {
    this.#version ??= result(this.#callSync({ kind: 'version' }));
    return this.#version;
  }

  call(op, text) {
    return result(this.#callSync({ kind: 'json', op, text }));
  }

  callAsync(op, text) {
    return this.#callAsync({ kind: 'json', op, text }).then(result);
  }

  callRaw(op, params, data) {
    const f = frame(params, data);
    return rawResult(this.#callSync({ kind: 'raw', op, frame: f }, [f.buffer]));
  }

  callRawAsync(op, params, data) {
    const f = frame(params, data);
    return this.#callAsync({ kind: 'raw', op, frame: f }, [f.buffer]).then(rawResult);
  }

  #callSync(req, transfer = []) {
    if (this.#failure) throw this.#failure;
    const id = (this.#seq = (this.#seq + 1) | 0);
    req.id = id;
    req.sync = true;
    this.#syncPort.postMessage(req, transfer);
    for (;;) {
      const seen = Atomics.load(this.#flags, 0);
      if (seen === id) break;
      if (Atomics.load(this.#flags, 1) === 1) {
        throw (this.#failure = new Error('gstauth: the WebAssembly host thread has stopped'));
      }
      Atomics.wait(this.#flags, 0, seen, 1000);
    }
    return receiveMessageOnPort(this.#syncPort).message;
  }

  #callAsync(req, transfer = []) {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const id = (this.#seq = (this.#seq + 1) | 0);
      req.id = id;
      req.sync = false;
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#asyncPort.ref();
      this.#asyncPort.postMessage(req, transfer);
    });
  }

  #settle(reply) {
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#asyncPort.unref();
    p.resolve(reply);
  }

  #stop(err) {
    this.#failure ??= err;
    for (const p of this.#pending.values()) p.reject(this.#failure);
    this.#pending.clear();
    this.#asyncPort.unref();
  }
}

module.exports = { WasmBackend };
