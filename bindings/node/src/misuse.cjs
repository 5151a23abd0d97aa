'use strict';
// The binding's TypeErrors: a misuse of the API (not a failure of the core) throws TypeError with Node's code.

/** A TypeError with Node's code for the kind of misuse: ERR_INVALID_ARG_TYPE or ERR_INVALID_ARG_VALUE. */
function misuse(code, message, cause) {
  const e = new TypeError(message, cause === undefined ? undefined : { cause });
  e.code = code;
  return e;
}

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an instance of ${v.constructor?.name ?? 'Object'}`;
  return `a ${typeof v}`;
}

module.exports = { misuse, describe };
