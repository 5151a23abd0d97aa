'use strict';
// GstAuthError: every failure the core reports, with its stable code.

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

/**
 * The GstAuthError of an error object as the core writes it:
 * {"error":{"code","message","provider_code"?,"retry_after_ms"?,"retryable"?}}.
 * @param {string} text the error JSON
 * @returns {GstAuthError}
 */
function errorFromJSON(text) {
  let body;
  try {
    body = JSON.parse(text).error;
  } catch {
    body = undefined;
  }
  if (body === null || typeof body !== 'object' || typeof body.code !== 'string') {
    // The core always writes the shape above; anything else is a broken artifact, not a user error.
    return new Error(`gstauth: the core failed without an error object: ${String(text).slice(0, 200)}`);
  }
  const details = {};
  if (typeof body.provider_code === 'string') details.providerCode = body.provider_code;
  if (typeof body.retry_after_ms === 'number') details.retryAfterMs = body.retry_after_ms;
  if (body.retryable === true) details.retryable = true;
  return new GstAuthError(body.code, typeof body.message === 'string' ? body.message : body.code, details);
}

module.exports = { GstAuthError, errorFromJSON };
