'use strict';
// What the generated typed surface (src/generated/ops.cjs) builds on: argument checks, the conversions between the
// surface's values and the core's JSON (binary values: Uint8Array in, Buffer out, standard base64 on the wire; JSON
// payloads: the exact text, or a value encoded), and the backend a call runs on.

const { Backend, getBackend } = require('./backend.cjs');
const { misuse, describe } = require('./misuse.cjs');
const json = require('./json.cjs');

/**
 * The input object of a typed function, checked: an object (or nothing, when every field is optional) with no
 * field the op does not have. A misspelt or snake_case name is refused rather than dropped.
 * @param {unknown} value
 * @param {string} fn the function's name, for messages
 * @param {readonly string[]} fields the op's fields (camelCase)
 * @param {boolean} optional whether the whole input may be left out
 * @param {string} [what] 'input' or 'params'
 * @returns {Record<string, unknown>}
 */
function input(value, fn, fields, optional, what = 'input') {
  if (value === undefined && optional) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw misuse('ERR_INVALID_ARG_TYPE', `${fn}: ${what} must be an object, not ${describe(value)}`);
  }
  for (const k of Object.keys(value)) {
    if (!fields.includes(k) && value[k] !== undefined) {
      const camel = k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
      const hint = camel !== k && fields.includes(camel) ? ` (did you mean ${camel}?)` : '';
      throw misuse('ERR_INVALID_ARG_VALUE', `${fn}: ${what} has no field ${JSON.stringify(k)}${hint}; its fields: ` +
        (fields.length ? fields.join(', ') : 'none'));
    }
  }
  return value;
}

/** A required field's value; TypeError when it is missing. */
function required(i, key, fn) {
  const v = i[key];
  if (v === undefined) throw misuse('ERR_INVALID_ARG_TYPE', `${fn}: ${key} is required`);
  return v;
}

/** Standard base64 of a binary value (any Uint8Array: a Buffer, a typed array view of bytes). */
function b64(v, key, fn) {
  if (!(v instanceof Uint8Array)) {
    throw misuse('ERR_INVALID_ARG_TYPE', `${fn}: ${key} must be a Uint8Array or Buffer, not ${describe(v)}`);
  }
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

/** The bytes of a base64 field the core wrote. */
function buf(s) {
  return Buffer.from(s, 'base64');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The exact JSON text of a payload: a string is the text itself; a Uint8Array is UTF-8 text; any other value is
 * encoded (integers beyond 2^53 as BigInt keep every digit).
 */
function jsonText(v, key, fn) {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) {
    try {
      return utf8.decode(v);
    } catch {
      throw misuse('ERR_INVALID_ARG_VALUE', `${fn}: ${key} given as bytes must be UTF-8 text`);
    }
  }
  let text;
  try {
    text = json.encode(v);
  } catch (e) {
    throw misuse('ERR_INVALID_ARG_VALUE', `${fn}: ${key} cannot be written as JSON: ${e.message}`, e);
  }
  if (text === undefined) throw misuse('ERR_INVALID_ARG_TYPE', `${fn}: ${key} cannot be written as JSON: ${describe(v)}`);
  return text;
}

/** The backend of a call's options: {backend: 'cshared' | 'wasm' | Backend}, or the default one. */
function backend(options) {
  if (options === undefined || options === null) return getBackend();
  if (typeof options !== 'object') {
    throw misuse('ERR_INVALID_ARG_TYPE', `options must be an object, not ${describe(options)}`);
  }
  const b = options.backend;
  if (b instanceof Backend) return b;
  return getBackend(b);
}

/** The raw data of a raw op, checked. */
function data(v, fn) {
  if (!(v instanceof Uint8Array)) {
    throw misuse('ERR_INVALID_ARG_TYPE', `${fn}: data must be a Uint8Array or Buffer, not ${describe(v)}`);
  }
  return v;
}

module.exports = { input, required, b64, buf, jsonText, backend, data };
