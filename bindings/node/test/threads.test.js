// gstauth from many threads at once, and over many calls: every answer right, memory flat.
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';

import { getBackend } from '../src/index.js';
import { BACKENDS } from './support.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const WORKERS = 8;
const ROUNDS = { cshared: 1000, wasm: 150 }; // 4 checked calls per round

async function settled() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage();
}

for (const name of BACKENDS) {
  describe(`threads and memory on ${name}`, () => {
    test(`${WORKERS} worker threads call at once, every answer checked against node:crypto`, async () => {
      const workers = Array.from({ length: WORKERS }, () =>
        new Worker(new URL('./fixtures/hammer.js', import.meta.url), { workerData: { backend: name, rounds: ROUNDS[name] } }));
      const counts = await Promise.all(workers.map(async (w) => {
        const [n] = await Promise.race([once(w, 'message'), once(w, 'error').then(([e]) => { throw e; })]);
        return n;
      }));
      assert.deepEqual(counts, Array(WORKERS).fill(ROUNDS[name] * 4));
    });

    test('memory stays flat over 100k calls (RSS and V8 heap, after a warm-up)', async () => {
      const g = getBackend(name);
      const input = { verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' };
      const params = { key: Buffer.alloc(32, 1).toString('base64') };
      const data = Buffer.alloc(1024, 2);
      const calls = (n) => {
        for (let i = 0; i < n; i += 2) {
          g.call('pkce_s256', input);
          g.callRaw('aes_ecb_encrypt_raw', params, data);
        }
      };
      calls(20_000); // the Go heap, the plugin's memory and V8's code settle here
      const before = await settled();
      calls(100_000);
      const after = await settled();
      const mb = (x) => (x / 2 ** 20).toFixed(1);
      const rss = after.rss - before.rss;
      const heap = after.heapUsed - before.heapUsed;
      console.log(`${name}: over 100k calls RSS ${mb(before.rss)} → ${mb(after.rss)} MiB, heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MiB`);
      // A leak of one output per call would be ≥ 50 MiB here (50k raw outputs of 1 KiB, plus their meta).
      assert.ok(rss < 16 * 2 ** 20, `RSS grew by ${mb(rss)} MiB`);
      assert.ok(heap < 2 * 2 ** 20, `V8 heap grew by ${mb(heap)} MiB`);
    });
  });
}
