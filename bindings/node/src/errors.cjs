'use strict';
// GstAuthError: every failure the core reports, with its stable code. Each code has its own subclass
// (DecryptFailedError for decrypt_failed ...), generated from the ABI's schema into src/generated/ops.cjs; a failure
// is always thrown as the subclass of its code.

/**
 * A failure reported by the gstauth core. `code` is one of the core's stable, append-only error codes (the op
 * `error_codes` lists them); `message` never carries key material, passwords, OTPs or tokens.
 */
class GstAuthError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{providerCode?: string, retryAfterMs?: number, retryable?: boolean}} [details]
   */
  constructor(code, message, details = {}) {
    super(message);
    this.name = 'GstAuthError';
    this.code = code;
    if (details.providerCode !== undefined) this.providerCode = details.providerCode;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    this.retryable = details.retryable === true;
  }
}

let classes = null; // the generated code → class map, loaded on first use (it requires this module)

/**
 * The GstAuthError subclass of an error object as the core writes it inside an output or an error:
 * {"code","message","provider_code"?,"retry_after_ms"?,"retryable"?}. A code this build does not know (the list is
 * append-only, so a newer core may add one) is a plain GstAuthError with that code.
 * @param {{code: string, message?: string, provider_code?: string, retry_after_ms?: number, retryable?: boolean}} body
 * @returns {GstAuthError}
 */
function errorFromObject(body) {
  if (body === null || typeof body !== 'object' || typeof body.code !== 'string') {
    // The core always writes the shape above; anything else is a broken artifact, not a user error.
    return new Error(`gstauth: the core failed without an error object: ${String(JSON.stringify(body)).slice(0, 200)}`);
  }
  const details = {};
  if (typeof body.provider_code === 'string') details.providerCode = body.provider_code;
  if (typeof body.retry_after_ms === 'number') details.retryAfterMs = body.retry_after_ms;
  if (body.retryable === true) details.retryable = true;
  const message = typeof body.message === 'string' ? body.message : body.code;
  classes ??= require('./generated/ops.cjs').ERRORS;
  const cls = Object.hasOwn(classes, body.code) ? classes[body.code] : null;
  return cls ? new cls(message, details) : new GstAuthError(body.code, message, details);
}

/**
 * The GstAuthError of an error as the core returns it: {"error":{...}} (see errorFromObject).
 * @param {string} text the error JSON
 * @returns {GstAuthError}
 */
function errorFromJSON(text) {
  let body;
  try {
    body = JSON.parse(text).error;
  } catch {
    return new Error(`gstauth: the core failed without an error object: ${String(text).slice(0, 200)}`);
  }
  return errorFromObject(body);
}

/**
 * A store's failure (it could not be reached, or did not answer as the contract says) as the core's
 * store_unavailable: a StoreUnavailableError, retryable, whose cause is the failure. A GstAuthError (the core
 * refusing an argument) and a TypeError (a misuse of the API) are returned as they are.
 * @param {unknown} cause
 * @param {string} [what] what failed (a script's name), put before the cause's message
 * @returns {Error}
 */
function storeUnavailable(cause, what) {
  if (cause instanceof GstAuthError || cause instanceof TypeError) return cause;
  classes ??= require('./generated/ops.cjs').ERRORS;
  const why = (cause instanceof Error ? cause.message : String(cause)).replace(/^gstauth: /, '');
  const e = new classes.store_unavailable(`the session store: ${what ? `${what}: ` : ''}${why}`, { retryable: true });
  e.cause = cause;
  return e;
}

module.exports = { GstAuthError, errorFromJSON, errorFromObject, storeUnavailable };
