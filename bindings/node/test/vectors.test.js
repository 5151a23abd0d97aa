// Every conformance vector of testdata/vectors on both backends, each file asserting it ran exactly as many cases
// as it holds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { getBackend } from '../src/index.js';
import { BACKENDS, VECTORS } from './support.js';
import { loadVectors, replayFile } from './vectors.js';

const files = fs.readdirSync(VECTORS).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(VECTORS, f));

for (const name of BACKENDS) {
  describe(`vectors on ${name}`, () => {
    let total = 0;
    for (const file of files) {
      test(path.basename(file, '.json'), () => {
        const { ran, expected, failures } = replayFile(getBackend(name), file);
        total += ran;
        assert.equal(ran, expected, 'cases run');
        assert.deepEqual(failures, []);
      });
    }
    test('every case of every file ran', () => {
      assert.ok(files.length > 0, `no vector files in ${VECTORS}`);
      const want = files.reduce((n, f) => n + loadVectors(f).numberOfTests, 0);
      assert.equal(total, want);
      console.log(`${name}: replayed ${total} vector cases from ${files.length} files`);
    });
  });
}
