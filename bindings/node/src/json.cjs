'use strict';
// JSON across the boundary without losing integers: the core writes integers of any size (a NIC AckNo in a signed
// invoice's claims can exceed 2^53), and JavaScript numbers hold 53 bits. Integers beyond Number.MAX_SAFE_INTEGER
// therefore come out as BigInt, and BigInt values go in as exact integers. Everything else is plain JSON.parse and
// JSON.stringify; the slow paths run only when a text holds 16 digits in a row or an input holds a BigInt.

const UNSAFE_DIGITS = /\d{16}/;

/**
 * The JSON text of value, as JSON.stringify writes it, except that BigInt values are written as integers.
 * @param {unknown} value
 * @returns {string}
 */
function encode(value) {
  try {
    return JSON.stringify(value);
  } catch (e) {
    if (!(e instanceof TypeError) || !/BigInt/.test(e.message)) throw e;
  }
  return encodeExact(value);
}

function encodeExact(root) {
  const seen = new Set();
  const write = (value, key) => {
    if (value !== null && (typeof value === 'object' || typeof value === 'bigint') && typeof value.toJSON === 'function') {
      value = value.toJSON(key);
    }
    if (value instanceof Number) value = Number(value);
    else if (value instanceof String) value = String(value);
    else if (value instanceof Boolean || value instanceof BigInt) value = value.valueOf();
    switch (typeof value) {
      case 'bigint':
        return value.toString();
      case 'string':
      case 'boolean':
      case 'number':
        return JSON.stringify(value);
      case 'object':
        if (value === null) return 'null';
        break;
      default:
        return undefined; // undefined, functions, symbols: left out (null inside arrays), as JSON.stringify does
    }
    if (seen.has(value)) throw new TypeError('Converting circular structure to JSON');
    seen.add(value);
    let out;
    if (Array.isArray(value)) {
      out = '[' + value.map((v, i) => write(v, String(i)) ?? 'null').join(',') + ']';
    } else {
      const parts = [];
      for (const k of Object.keys(value)) {
        const v = write(value[k], k);
        if (v !== undefined) parts.push(JSON.stringify(k) + ':' + v);
      }
      out = '{' + parts.join(',') + '}';
    }
    seen.delete(value);
    return out;
  };
  return write(root, '');
}

/**
 * The value of JSON text, as JSON.parse reads it, except that integers beyond Number.MAX_SAFE_INTEGER become BigInt.
 * @param {string} text
 * @returns {any}
 */
function decode(text) {
  return UNSAFE_DIGITS.test(text) ? decodeExact(text) : JSON.parse(text);
}

// A strict recursive-descent reader; strings and safe numbers are handed to JSON.parse, so escapes and number
// syntax follow it exactly.
function decodeExact(text) {
  let i = 0;
  const fail = (what) => {
    throw new SyntaxError(`${what} in JSON at position ${i}`);
  };
  const space = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
  };
  const string = () => {
    const start = i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail('Unterminated string');
      if (c === 0x22) break;
      i += c === 0x5c ? 2 : 1;
    }
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const number = () => {
    const m = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    m.lastIndex = i;
    const r = m.exec(text);
    if (!r) fail('Unexpected token');
    i = m.lastIndex;
    const n = Number(r[0]);
    if (r[1] === undefined && r[2] === undefined && !Number.isSafeInteger(n)) return BigInt(r[0]);
    return n;
  };
  const value = () => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = {};
      space();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail('Expected a property name');
        const k = string();
        space();
        if (text[i++] !== ':') fail('Expected a colon');
        Object.defineProperty(obj, k, { value: value(), enumerable: true, writable: true, configurable: true });
        space();
        const d = text[i++];
        if (d === '}') return obj;
        if (d !== ',') fail('Expected a comma or }');
      }
    }
    if (c === '[') {
      i++;
      const arr = [];
      space();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        space();
        const d = text[i++];
        if (d === ']') return arr;
        if (d !== ',') fail('Expected a comma or ]');
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail('Unexpected token');
  };
  const v = value();
  space();
  if (i !== text.length) fail('Unexpected non-whitespace character after JSON');
  return v;
}

module.exports = { encode, decode };
