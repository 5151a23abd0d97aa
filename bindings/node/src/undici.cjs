'use strict';
// gstauth for undici (7.x): an interceptor for Dispatcher#compose, and a send function over a dispatcher.
//
//   const { Agent, request } = require('undici');
//   const { gstauthInterceptor } = require('gstauth/undici');
//   const dispatcher = new Agent().compose(gstauthInterceptor(session));
//   await request(url, { dispatcher, method: 'POST', body, gstauth: { retPeriod: '042026' } });
//   await fetch(url, { dispatcher, method: 'POST', body });          // undici's fetch or Node's own
//
// Each request through the interceptor runs the loop of docs/hosts.md (src/call.cjs): a usable token first (the
// session's own auth requests go through the next dispatcher of the chain, so proxies, TLS and timeouts stay the
// application's), the session's headers, its payload encrypted; the answer is read whole and observed, the original
// request replayed once after the provider rejected the token, a successful payload decrypted; then the handler gets
// that one response. Compose it on an Agent (or anything that routes by origin): auth requests may go to another
// origin than the API (an OAuth token endpoint). This module loads nothing from undici at run time: it speaks the
// dispatch handler protocol of undici 7 (onRequestStart, onResponseStart, onResponseData, onResponseEnd,
// onResponseError).

const zlib = require('node:zlib');
const { runCall } = require('./call.cjs');
const { errorFromObject } = require('./errors.cjs');
const { misuse, describe } = require('./misuse.cjs');

/** Request headers in any form undici takes, as [name, value] pairs. */
function headerPairs(headers) {
  const out = [];
  const add = (k, v) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) for (const x of v) out.push([String(k), String(x)]);
    else out.push([String(k), String(v)]);
  };
  if (headers === undefined || headers === null) return out;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [k, v] of headers) add(k, v);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
    }
  } else if (typeof headers[Symbol.iterator] === 'function') {
    for (const [k, v] of headers) add(k, v);
  } else {
    for (const k of Object.keys(headers)) add(k, headers[k]);
  }
  return out;
}

/** [name, value] pairs as undici's header object (repeated names as arrays). */
function headerObject(pairs) {
  const out = {};
  for (const [k, v] of pairs) {
    const cur = out[k];
    out[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  return out;
}

/** A request body in any form undici takes, read whole (null for none). */
async function readBody(body) {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (typeof Blob !== 'undefined' && body instanceof Blob) return Buffer.from(await body.arrayBuffer());
  if (typeof body[Symbol.asyncIterator] === 'function' || typeof body[Symbol.iterator] === 'function') {
    const chunks = [];
    for await (const c of body) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
    return Buffer.concat(chunks);
  }
  throw misuse('ERR_INVALID_ARG_TYPE', `gstauth cannot read a request body that is ${describe(body)}`);
}

/** The decoded body of a response with a content-encoding (gzip, deflate, br); the body as it is for others. */
function decode(body, encoding) {
  if (!encoding || body.length === 0) return { body, decoded: false };
  const codings = String(encoding).split(',').map((c) => c.trim().toLowerCase()).filter((c) => c && c !== 'identity');
  let out = body;
  for (const c of codings.reverse()) {
    if (c === 'gzip' || c === 'x-gzip') out = zlib.gunzipSync(out);
    else if (c === 'deflate') out = zlib.inflateSync(out);
    else if (c === 'br') out = zlib.brotliDecompressSync(out);
    else return { body, decoded: false };
  }
  return { body: out, decoded: true };
}

/** A response's header object (values string or string[]) as the core reads it: one string per name. */
function flatHeaders(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/**
 * Collects one response whole. `call` is told the dispatch controller, so that an abort of the outer request
 * reaches the request in flight.
 */
class Collector {
  constructor(call) {
    this.call = call;
    this.chunks = [];
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  onRequestStart(controller) {
    if (this.call) {
      this.call.inner = controller;
      if (this.call.aborted) controller.abort(this.call.reason);
    }
  }

  onRequestUpgrade(controller) {
    controller.abort(new Error('gstauth: an upgrade was not asked for'));
  }

  onResponseStart(controller, statusCode, headers, statusMessage) {
    this.status = statusCode;
    this.headers = headers ?? {};
    this.statusText = statusMessage ?? '';
  }

  onResponseData(controller, chunk) {
    this.chunks.push(chunk);
  }

  onResponseEnd(controller, trailers) {
    if (this.call) this.call.inner = null;
    let body = Buffer.concat(this.chunks);
    let headers = this.headers;
    try {
      const d = decode(body, headers['content-encoding']);
      if (d.decoded) {
        body = d.body;
        headers = { ...headers, 'content-length': String(body.length) };
        delete headers['content-encoding'];
      }
    } catch (e) {
      this.reject(e);
      return;
    }
    this.resolve({ status: this.status, headers: flatHeaders(headers), raw: headers, statusText: this.statusText, body,
      trailers: trailers ?? {} });
  }

  onResponseError(controller, err) {
    if (this.call) this.call.inner = null;
    this.reject(err);
  }
}

/** Sends a request the core built through a dispatch function and collects the answer. */
function dispatchRequest(dispatch, request) {
  const url = new URL(request.url);
  const c = new Collector(null);
  dispatch({ origin: url.origin, path: url.pathname + url.search, method: request.method,
    headers: request.headers, body: request.body === '' || request.body === undefined ? null : request.body }, c);
  return c.promise.then((r) => ({ status: r.status, headers: r.headers, body: r.body.toString('utf8') }));
}

/**
 * A send function over an undici dispatcher (an Agent, a ProxyAgent ...), for a session's own exchanges.
 * @param {{dispatch: Function}} dispatcher
 */
function dispatcherSender(dispatcher) {
  if (dispatcher === null || typeof dispatcher !== 'object' || typeof dispatcher.dispatch !== 'function') {
    throw misuse('ERR_INVALID_ARG_TYPE', `dispatcher must be an undici Dispatcher, not ${describe(dispatcher)}`);
  }
  const dispatch = dispatcher.dispatch.bind(dispatcher);
  return (request) => dispatchRequest(dispatch, request);
}

/** The controller the application's handler gets: pause and resume apply to the response being handed over. */
class OuterController {
  #call;
  paused = false;
  aborted = false;
  reason = null;
  #resumed = null;

  constructor(call) {
    this.#call = call;
  }

  abort(reason) {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new Error('aborted');
    this.#call.abort(this.reason);
  }

  pause() {
    this.paused = true;
  }

  resume() {
    this.paused = false;
    const r = this.#resumed;
    this.#resumed = null;
    r?.();
  }

  /** Resolves when the handler is not paused. */
  whenResumed() {
    if (!this.paused || this.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.#resumed = resolve;
    });
  }
}

/** One request through the interceptor. */
class InterceptedCall {
  constructor(session, dispatch, send, opts, handler, options) {
    this.session = session;
    this.dispatch = dispatch;
    this.send = send;
    this.opts = opts;
    this.handler = handler;
    this.options = options;
    this.controller = new OuterController(this);
    this.inner = null;
    this.aborted = false;
    this.reason = null;
    this.done = false;
    this.stopped = new Promise((resolve, reject) => {
      this.stop = reject;
    });
    this.stopped.catch(() => {});
  }

  abort(reason) {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.inner?.abort(reason);
    this.stop(reason);
  }

  fail(err) {
    if (this.done) return;
    this.done = true;
    this.handler.onResponseError?.(this.controller, err);
  }

  start() {
    try {
      this.handler.onRequestStart?.(this.controller, {});
    } catch (e) {
      this.fail(e);
      return;
    }
    if (this.aborted) {
      this.fail(this.reason);
      return;
    }
    Promise.race([this.run(), this.stopped]).then((r) => this.deliver(r), (e) => this.fail(this.aborted ? this.reason : e));
  }

  async run() {
    const { gstauth: perCall, headers, body, ...rest } = this.opts;
    const o = this.options;
    const plain = await readBody(body);
    const result = await runCall(this.session, {
      plain,
      headers: headerPairs(headers),
      options: { retPeriod: o.retPeriod, rtnTyp: o.rtnTyp, userrole: o.userrole, ...perCall },
      send: this.send,
      decrypt: o.decrypt !== false,
      transmit: (h, wire) => {
        if (this.aborted) return Promise.reject(this.reason);
        const c = new Collector(this);
        this.dispatch({ ...rest, headers: headerObject(h), body: wire }, c);
        return c.promise;
      },
    });
    const { outcome, error } = result.observation;
    if (o.throwOnError === true && error && outcome !== 'ok' && outcome !== 'no_data') throw errorFromObject(error);
    return result;
  }

  async deliver(result) {
    if (this.done) return;
    const r = result.response;
    const h = this.handler;
    const c = this.controller;
    try {
      let headers = r.raw;
      if (result.body !== r.body) {
        // The handler gets the decrypted body, whole: its length, no transfer coding.
        headers = { ...headers, 'content-length': String(result.body.length) };
        delete headers['transfer-encoding'];
      }
      if (typeof this.options.onObservation === 'function') this.options.onObservation(result.observation, this.opts);
      h.onResponseStart?.(c, r.status, headers, r.statusText);
      if (c.aborted) return this.fail(c.reason);
      if (result.body.length > 0) h.onResponseData?.(c, result.body);
      await c.whenResumed();
      if (c.aborted) return this.fail(c.reason);
      this.done = true;
      h.onResponseEnd?.(c, r.trailers);
    } catch (e) {
      this.fail(e);
    }
  }
}

/**
 * An interceptor for undici's Dispatcher#compose that makes every request through the session (see the top).
 * @param {import('./sessions.cjs').Session} session
 * @param {{send?: Function, decrypt?: boolean, throwOnError?: boolean, retPeriod?: string, rtnTyp?: string,
 *   userrole?: string, onObservation?: Function}} [options]
 */
function gstauthInterceptor(session, options = {}) {
  if (session === null || typeof session !== 'object' || typeof session.ensure !== 'function') {
    throw misuse('ERR_INVALID_ARG_TYPE', `session must be a gstauth Session, not ${describe(session)}`);
  }
  if (options === null || typeof options !== 'object') {
    throw misuse('ERR_INVALID_ARG_TYPE', `options must be an object, not ${describe(options)}`);
  }
  return (dispatch) => {
    const send = options.send ?? ((request) => dispatchRequest(dispatch, request));
    return function gstauthDispatch(opts, handler) {
      if (opts.upgrade || opts.method === 'CONNECT') return dispatch(opts, handler);
      new InterceptedCall(session, dispatch, send, opts, handler, options).start();
      return true;
    };
  };
}

module.exports = { gstauthInterceptor, dispatcherSender };
