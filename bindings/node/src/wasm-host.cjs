'use strict';
// The thread that hosts gstauth.wasm for the wasm backend (src/wasm.cjs starts it). It owns one Extism plugin and
// runs one request at a time, from two ports: the synchronous port, whose caller blocks on a shared flag until
// the reply is posted, and the asynchronous port. Every request gets exactly one reply:
//   {text}                   the output JSON (JSON ops, version)
//   {text, buffer, offset, length}   raw ops: meta JSON and the raw output (the buffer is transferred)
//   {error}                  the error JSON the core wrote
//   {fatal}                  the plugin itself failed (the instance is then replaced)

const fs = require('node:fs');
const { workerData } = require('node:worker_threads');

const { wasmPath, state, syncPort, asyncPort } = workerData;
const flags = new Int32Array(state); // [0] seq of the last synchronous reply, [1] 1 once this thread has ended
process.on('exit', () => {
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 0);
});

// Node marks WASI experimental; the plugin needs it, and the warning would reach every user of the wasm backend.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'ExperimentalWarning' && /^WASI\b/.test(String(warning))) return;
  return emitWarning.call(process, warning, ...rest);
};
const { createPlugin } = require('@extism/extism');

// A Go plugin's linear memory grows with the largest payload and never shrinks: past this, start a new instance.
const RECYCLE_BYTES = 256 << 20;
const PLUGIN_ERROR = 'Plugin-originated error: ';

let compiled; // Promise<WebAssembly.Module>, compiled once
let plugin = null;
let memory = null;
let ops = null; // Map op name → whether it is a raw op, from the plugin's own `ops`

async function instance() {
  if (plugin === null) {
    compiled ??= WebAssembly.compile(fs.readFileSync(wasmPath));
    plugin = await createPlugin({ wasm: [{ module: await compiled }] }, { useWasi: true, runInWorker: false });
    memory = (await plugin.getInstance()).exports.memory;
  }
  if (ops === null) {
    const list = JSON.parse((await plugin.call('ops', '{}')).text()).ops;
    await plugin.reset();
    ops = new Map(list.map((o) => [o.name, o.raw === true]));
  }
  return plugin;
}

function recycle() {
  const p = plugin;
  plugin = memory = null;
  p?.close().catch(() => {});
}

async function run(req) {
  const p = await instance();
  if (req.kind === 'version') {
    const out = await p.call('gstauth_version');
    await p.reset();
    return { text: out.text() };
  }
  // The caller (src/index.cjs) sends only names from the plugin's own op list, each through its own entry.
  if (ops.get(req.op) !== (req.kind === 'raw')) return { fatal: `no ${req.kind} export named ${req.op}` };
  let out;
  try {
    out = await p.call(req.op, req.kind === 'raw' ? req.frame : req.text);
  } catch (e) {
    const msg = String(e?.message ?? e);
    if (msg.startsWith(PLUGIN_ERROR)) {
      await p.reset();
      return { error: msg.slice(PLUGIN_ERROR.length) };
    }
    recycle(); // a trap (out of memory, a Go runtime abort) leaves the instance unusable
    return { fatal: msg };
  }
  let reply;
  if (out === null) {
    reply = { text: '' };
  } else if (req.kind === 'raw') {
    // A NUL byte, the 4-byte little-endian length of the meta JSON, the JSON, the raw output (src/wasm.cjs: frame).
    const frame = out.bytes();
    const n = frame.length >= 5 && frame[0] === 0 ? new DataView(frame.buffer, frame.byteOffset).getUint32(1, true) : -1;
    if (n < 0 || n > frame.length - 5) {
      reply = { fatal: 'the plugin returned a malformed frame' };
    } else {
      reply = {
        text: Buffer.from(frame.buffer, frame.byteOffset + 5, n).toString('utf8'),
        buffer: frame.buffer,
        offset: frame.byteOffset + 5 + n,
        length: frame.length - 5 - n,
      };
    }
  } else {
    reply = { text: out.text() };
  }
  await p.reset();
  if (memory.buffer.byteLength > RECYCLE_BYTES) recycle();
  return reply;
}

async function answer(req) {
  let reply;
  try {
    reply = await run(req);
  } catch (e) {
    recycle();
    reply = { fatal: String(e?.stack ?? e) };
  }
  reply.id = req.id;
  // The output's buffer belongs to this reply alone (the plugin allocates one per output), so it moves without a copy.
  const transfer = reply.buffer ? [reply.buffer] : [];
  if (req.sync) {
    syncPort.postMessage(reply, transfer);
    Atomics.store(flags, 0, req.id);
    Atomics.notify(flags, 0);
  } else {
    asyncPort.postMessage(reply, transfer);
  }
}

let queue = Promise.resolve();
const enqueue = (req) => {
  queue = queue.then(() => answer(req));
};
syncPort.on('message', enqueue);
asyncPort.on('message', enqueue);
