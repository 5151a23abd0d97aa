// What the tests share: where the repository's test data is, and the backends to run on.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const VECTORS = path.join(REPO, 'testdata', 'vectors');
export const KEYS = path.join(REPO, 'testdata', 'keys');

/** Every backend; each test file runs its checks on all of them. */
export const BACKENDS = ['cshared', 'wasm'];
