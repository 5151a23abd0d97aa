'use strict';
// gstauth over fetch.
//
//   const fetch = gstauthFetch(session);            // or gstauthFetch(session, { fetch: someOtherFetch })
//   const res = await fetch(url, { method: 'POST', body: JSON.stringify({ action: 'RETSAVE', data: gstr1 }),
//                                  gstauth: { retPeriod: '042026' } });
//
// Every request gets a usable token first (the session's own auth requests go out through the same fetch), the
// session's headers, and its payload member encrypted; the answer is observed, the original request replayed once
// with a new token after the provider rejected the old one, and a successful answer's payload decrypted before the
// application sees it (docs/hosts.md; src/call.cjs). observationOf(response) says what the core read in it.
// Nothing here knows a provider: the core gives the headers, the bodies and the outcomes.

const { runCall } = require('./call.cjs');
const { errorFromObject } = require('./errors.cjs');
const { misuse, describe } = require('./misuse.cjs');

const observations = new WeakMap();

/** What the core read in a response a gstauth fetch returned: {outcome, error?}; undefined for any other response. */
function observationOf(response) {
  return response !== null && typeof response === 'object' ? observations.get(response) : undefined;
}

/** Response headers as the core reads them: one string per name (repeated fields joined with ", "). */
function headersObject(headers) {
  const out = {};
  for (const [k, v] of headers) out[k] = Object.hasOwn(out, k) ? `${out[k]}, ${v}` : v;
  return out;
}

function fetchOf(f) {
  const impl = f ?? globalThis.fetch;
  if (typeof impl !== 'function') throw misuse('ERR_INVALID_ARG_TYPE', `fetch must be a function, not ${describe(impl)}`);
  return impl;
}

/**
 * A send function over fetch, for a session's own exchanges (auth, refresh): sends the request the core built
 * exactly as built, without following redirects, and gives back {status, headers, body}.
 * @param {typeof fetch} [fetchImpl] default: the global fetch
 * @param {RequestInit} [init] more options for every request (a dispatcher, a signal)
 */
function fetchSender(fetchImpl, init = {}) {
  const f = fetchOf(fetchImpl);
  return async function send(request) {
    const res = await f(request.url, { ...init, method: request.method, headers: request.headers,
      body: request.body === '' || request.body === undefined ? undefined : request.body, redirect: 'manual' });
    const body = await res.text();
    return { status: res.status, headers: headersObject(res.headers), body };
  };
}

const NULL_BODY = new Set([204, 205, 304]);

/**
 * A fetch-compatible function that makes every request through the session (see the top of this file).
 * @param {import('./sessions.cjs').Session} session
 * @param {{fetch?: typeof fetch, send?: Function, decrypt?: boolean, throwOnError?: boolean,
 *   retPeriod?: string, rtnTyp?: string, userrole?: string}} [options]
 */
function gstauthFetch(session, options = {}) {
  if (session === null || typeof session !== 'object' || typeof session.ensure !== 'function') {
    throw misuse('ERR_INVALID_ARG_TYPE', `session must be a gstauth Session, not ${describe(session)}`);
  }
  if (options === null || typeof options !== 'object') {
    throw misuse('ERR_INVALID_ARG_TYPE', `options must be an object, not ${describe(options)}`);
  }
  const inner = fetchOf(options.fetch);
  const send = options.send ?? (options.fetch ? fetchSender(inner) : undefined);
  const defaults = { retPeriod: options.retPeriod, rtnTyp: options.rtnTyp, userrole: options.userrole };
  const decrypt = options.decrypt !== false;
  const throwOnError = options.throwOnError === true;

  return async function fetchWithSession(input, init) {
    const { gstauth: perCall, ...rest } = init ?? {};
    const request = new Request(input, rest);
    const plain = request.body === null ? null : Buffer.from(await request.arrayBuffer());
    const result = await runCall(session, {
      plain,
      headers: [...request.headers],
      options: { ...defaults, ...perCall },
      send,
      decrypt,
      transmit: async (headers, body) => {
        const res = await inner(request.url, { ...rest, method: request.method, headers, body: body ?? undefined,
          signal: request.signal, redirect: request.redirect });
        const bytes = Buffer.from(await res.arrayBuffer());
        return { status: res.status, headers: headersObject(res.headers), body: bytes, res };
      },
    });
    const { res } = result.response;
    let out;
    if (NULL_BODY.has(res.status) || request.method === 'HEAD') {
      out = new Response(null, { status: res.status, statusText: res.statusText, headers: res.headers });
    } else {
      // The body is read (decompressed by fetch) and maybe decrypted: its encoding and length are this body's.
      const headers = new Headers(res.headers);
      headers.delete('content-encoding');
      headers.set('content-length', String(result.body.length));
      out = new Response(result.body, { status: res.status, statusText: res.statusText, headers });
    }
    Object.defineProperty(out, 'url', { value: res.url });
    Object.defineProperty(out, 'redirected', { value: res.redirected });
    observations.set(out, result.observation);
    const { outcome, error } = result.observation;
    if (throwOnError && error && outcome !== 'ok' && outcome !== 'no_data') throw errorFromObject(error);
    return out;
  };
}

module.exports = { gstauthFetch, fetchSender, observationOf };
