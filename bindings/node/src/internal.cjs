'use strict';
// What sessions share with the HTTP adapters (src/call.cjs) and the package does not export: the symbols of the
// session methods the adapters use, and a response in the form the core reads.

const { misuse, describe } = require('./misuse.cjs');

const kApply = Symbol('gstauth.apply');
const kHeadersFor = Symbol('gstauth.headersFor');
const kEncryptFor = Symbol('gstauth.encryptFor');
const kDecryptFor = Symbol('gstauth.decryptFor');
const kReloadCertificate = Symbol('gstauth.reloadCertificate');
const kSender = Symbol('gstauth.sender');
const kRefreshSettled = Symbol('gstauth.refreshSettled');

/** The body of a response as text (the core reads text; invalid UTF-8 is replaced, never thrown). */
function bodyText(body) {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (body === undefined || body === null) return '';
  throw misuse('ERR_INVALID_ARG_TYPE', `response.body must be a string or bytes, not ${describe(body)}`);
}

/** A response as the core reads it: {status, headers, body} with text and string header values. */
function wireResponse(response) {
  if (response === null || typeof response !== 'object' || !Number.isInteger(response.status)) {
    throw misuse('ERR_INVALID_ARG_TYPE', `a response must be an object {status, headers, body}, not ${describe(response)}`);
  }
  const headers = {};
  const h = response.headers;
  if (h !== undefined && h !== null) {
    const entries = typeof h.entries === 'function' && !Array.isArray(h) ? h.entries() : Object.entries(h);
    for (const [k, v] of entries) {
      if (v === undefined) continue;
      const text = Array.isArray(v) ? v.join(', ') : String(v);
      const name = String(k);
      headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${text}` : text;
    }
  }
  return { status: response.status, headers, body: bodyText(response.body) };
}

module.exports = { kApply, kHeadersFor, kEncryptFor, kDecryptFor, kReloadCertificate, kSender, kRefreshSettled,
  wireResponse };
