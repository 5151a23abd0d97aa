// A replayer of the shared conformance vectors (testdata/vectors, format gstauth-vectors/1: see its README.md).
// It implements the whole format (single calls and steps, $ref, raw ops with data and output_data, provider_code)
// and refuses a file, test or step with a field it does not know.
import assert from 'node:assert/strict';
import fs from 'node:fs';

import json from '../src/json.cjs';
import { GstAuthError } from '../src/index.js';

const FILE_KEYS = new Set(['schema', 'op', 'description', 'generatedBy', 'sources', 'notes', 'numberOfTests', 'tests']);
const STEP_KEYS = new Set(['op', 'input', 'data', 'result', 'output', 'output_data', 'error', 'provider_code']);
const TEST_KEYS = new Set(['tcId', 'comment', 'flags', 'steps', ...STEP_KEYS]);

function onlyKnown(obj, known, where) {
  const unknown = Object.keys(obj).filter((k) => !known.has(k));
  assert.deepEqual(unknown, [], `${where}: fields this runner does not understand`);
}

/** Reads and checks one vector file. Integers beyond 2^53 stay exact (BigInt), as the core writes them. */
export function loadVectors(file) {
  const doc = json.decode(fs.readFileSync(file, 'utf8'));
  onlyKnown(doc, FILE_KEYS, file);
  assert.equal(doc.schema, 'gstauth-vectors/1', `${file}: schema`);
  assert.ok(typeof doc.generatedBy === 'string' && doc.generatedBy !== '', `${file}: generatedBy is empty`);
  assert.ok(Array.isArray(doc.tests), `${file}: tests`);
  assert.equal(doc.numberOfTests, doc.tests.length, `${file}: numberOfTests disagrees with the tests it holds`);
  const ids = new Set();
  for (const tc of doc.tests) {
    onlyKnown(tc, TEST_KEYS, `${file} #${tc.tcId}`);
    assert.ok(Number.isInteger(tc.tcId) && !ids.has(tc.tcId), `${file}: tcId ${tc.tcId} missing or repeated`);
    ids.add(tc.tcId);
    for (const s of tc.steps ?? []) onlyKnown(s, STEP_KEYS, `${file} #${tc.tcId} step`);
  }
  return doc;
}

function lookup(ref, prev) {
  assert.equal(typeof ref, 'string', '$ref must be a string');
  const parts = ref.split('.');
  assert.ok(parts.length >= 2 && /^\d+$/.test(parts[0]), `$ref ${ref}: want STEP.output[.path] or STEP.output_data`);
  const step = prev[Number(parts[0])];
  assert.ok(step, `$ref ${ref}: no earlier step ${parts[0]}`);
  if (parts[1] === 'output_data') {
    assert.equal(parts.length, 2, `$ref ${ref}: output_data has no path`);
    return step.outputData;
  }
  assert.equal(parts[1], 'output', `$ref ${ref}: want output or output_data`);
  let cur = step.output;
  for (const p of parts.slice(2)) {
    if (Array.isArray(cur)) {
      assert.ok(/^\d+$/.test(p) && Number(p) < cur.length, `$ref ${ref}: bad index ${p}`);
      cur = cur[Number(p)];
    } else {
      assert.ok(cur !== null && typeof cur === 'object' && Object.hasOwn(cur, p), `$ref ${ref}: no key ${p}`);
      cur = cur[p];
    }
  }
  return cur;
}

/** v with every {"$ref": ...} replaced by the earlier step's actual output it names. */
function resolve(v, prev) {
  if (Array.isArray(v)) return v.map((x) => resolve(x, prev));
  if (v !== null && typeof v === 'object') {
    if (Object.hasOwn(v, '$ref')) {
      assert.equal(Object.keys(v).length, 1, 'a $ref object must have no other keys');
      return lookup(v.$ref, prev);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, prev)]));
  }
  return v;
}

/**
 * want with every {"$type": "string"} replaced by the string at the same place in got, when there is one: text for
 * people (an error message) whose type the contract fixes but not its words.
 */
function matchTypes(want, got) {
  if (Array.isArray(want)) return want.map((w, i) => matchTypes(w, Array.isArray(got) ? got[i] : undefined));
  if (want !== null && typeof want === 'object') {
    if (Object.hasOwn(want, '$type')) {
      assert.ok(Object.keys(want).length === 1 && want.$type === 'string', 'a $type object must be exactly {"$type": "string"}');
      return typeof got === 'string' ? got : want;
    }
    const g = got !== null && typeof got === 'object' ? got : {};
    return Object.fromEntries(Object.entries(want).map(([k, w]) => [k, matchTypes(w, g[k])]));
  }
  return want;
}

function runStep(backend, op, step, prev) {
  const input = step.input === undefined ? {} : resolve(step.input, prev);
  const raw = op.endsWith('_raw');
  if (!raw) assert.ok(step.data === undefined && step.output_data === undefined, 'data and output_data belong to raw ops');
  let output;
  let outputData = Buffer.alloc(0);
  let failure = null;
  try {
    if (raw) {
      ({ meta: output, data: outputData } = backend.callRaw(op, input, Buffer.from(step.data ?? '', 'base64')));
    } else {
      output = backend.call(op, input);
    }
  } catch (e) {
    if (!(e instanceof GstAuthError)) throw e;
    failure = e;
  }
  if (step.result === 'valid') {
    assert.equal(failure, null, `want success, got ${failure?.code}: ${failure?.message}`);
    if (step.output !== undefined) assert.deepStrictEqual(output, matchTypes(step.output, output), 'output');
    if (step.output_data !== undefined) assert.equal(outputData.toString('base64'), step.output_data, 'output_data');
    return { output, outputData: outputData.toString('base64') };
  }
  assert.equal(step.result, 'invalid', `result must be valid or invalid, not ${step.result}`);
  assert.ok(typeof step.error === 'string' && step.error !== '', 'an invalid case names its error code');
  if (!failure) assert.fail(`want error ${step.error}, got success: ${String(json.encode(output)).slice(0, 300)}`);
  assert.equal(failure.code, step.error, `error code (message: ${failure.message})`);
  if (step.provider_code !== undefined && step.provider_code !== '') {
    assert.equal(failure.providerCode, step.provider_code, 'provider_code');
  }
  // As the Go replayer does, an invalid step's output is its error object.
  const error = { code: failure.code, message: failure.message };
  if (failure.providerCode !== undefined) error.provider_code = failure.providerCode;
  if (failure.retryAfterMs !== undefined) error.retry_after_ms = failure.retryAfterMs;
  if (failure.retryable) error.retryable = true;
  return { output: { error }, outputData: '' };
}

function runCase(backend, doc, tc) {
  let steps = tc.steps;
  if (steps === undefined) {
    steps = [tc];
  } else {
    assert.ok(Array.isArray(steps) && steps.length > 0, 'steps must be a non-empty list');
    for (const k of ['input', 'output', 'error', 'data', 'output_data', 'provider_code']) {
      assert.equal(tc[k], undefined, `a test with steps must not have ${k} of its own`);
    }
    assert.ok(tc.result === undefined || tc.result === 'valid', 'a test with steps is valid');
  }
  const prev = [];
  steps.forEach((s, i) => {
    const op = s.op ?? doc.op;
    assert.ok(typeof op === 'string' && op !== '', `step ${i} names no op`);
    try {
      prev.push(runStep(backend, op, s, prev));
    } catch (e) {
      e.message = steps.length > 1 ? `step ${i} (${op}): ${e.message}` : `${op}: ${e.message}`;
      throw e;
    }
  });
}

/** Runs every case of one file; returns how many ran and what failed ("#tcId comment: why"). */
export function replayFile(backend, file) {
  const doc = loadVectors(file);
  let ran = 0;
  const failures = [];
  for (const tc of doc.tests) {
    ran++;
    try {
      runCase(backend, doc, tc);
    } catch (e) {
      failures.push(`#${tc.tcId} ${tc.comment}: ${e.message}`);
    }
  }
  return { ran, expected: doc.numberOfTests, failures };
}
