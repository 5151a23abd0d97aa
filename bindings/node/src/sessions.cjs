'use strict';
// Sessions: one authenticated account of one provider, driven through the core (docs/hosts.md).
//
// The core is sans-I/O: it decides, builds requests and reads responses; a session's `send` function carries each
// exchange over whatever HTTP client the application uses (fetchSender in src/http.cjs by default, or the
// undici dispatcher's). Protocol knowledge (headers, status fields, error codes, timing) is all in the core.
//
// The state lock of docs/hosts.md is the event loop: every op that changes the session is called synchronously, and
// the session's copy is replaced in the same synchronous run, so no two callers can write back stale copies. The
// refresh lock is RefreshLock below: one holder at a time, a bounded wait for the others. A session belongs to one
// thread; worker threads that share an account share it through a store (sealed sessions), not an object.

const ops = require('./generated/ops.cjs');
const { errorFromObject } = require('./errors.cjs');
const { misuse, describe } = require('./misuse.cjs');
const json = require('./json.cjs');

/** The host clock in Unix milliseconds. */
function nowMs() {
  return Date.now();
}

const { kApply, kHeadersFor, kEncryptFor, kDecryptFor, kReloadCertificate, kSender, kRefreshSettled,
  wireResponse } = require('./internal.cjs');

/** A lock held by one caller at a time; the others queue, each for a bounded time. */
class RefreshLock {
  #held = false;
  #waiters = [];

  get held() {
    return this.#held;
  }

  /** Takes the lock if it is free. */
  tryAcquire() {
    if (this.#held) return false;
    this.#held = true;
    return true;
  }

  /** Takes the lock, waiting at most timeoutMs for the holders before; resolves false when the wait ran out. */
  acquire(timeoutMs) {
    if (this.tryAcquire()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = { resolve, timer: null };
      w.timer = setTimeout(() => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Hands the lock to the next waiter, or frees it. */
  release() {
    const next = this.#waiters.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve(true);
    } else {
      this.#held = false;
    }
  }
}

function checkString(v, name) {
  if (typeof v !== 'string') throw misuse('ERR_INVALID_ARG_TYPE', `${name} must be a string, not ${describe(v)}`);
}

function checkOptions(options, name) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') {
    throw misuse('ERR_INVALID_ARG_TYPE', `${name} must be an object, not ${describe(options)}`);
  }
  return options;
}

/** Standard base64 of a sealing key. */
function keyText(v, name) {
  if (!(v instanceof Uint8Array)) throw misuse('ERR_INVALID_ARG_TYPE', `${name} must be a Uint8Array or Buffer, not ${describe(v)}`);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function internal(message) {
  return new ops.InternalError(message);
}

/**
 * A session of one provider; each provider's class adds its steps as methods. See sessions.d.cts for the options.
 */
class Session {
  /** The provider of the class's sessions ('' for this base class, which takes it from its options). */
  static provider = '';

  #state;
  #lock = new RefreshLock();
  #opt;

  constructor(options = {}) {
    options = checkOptions(options, 'options');
    const { account, config, credentials, send, backend, clock, onChange, state, waitTimeoutMs = 60_000,
      loadCertificate } = options;
    const fixed = new.target.provider;
    const provider = options.provider ?? state?.provider ?? fixed;
    if (typeof provider !== 'string' || provider === '') throw misuse('ERR_INVALID_ARG_VALUE', 'provider is required');
    if (fixed && provider !== fixed) {
      throw misuse('ERR_INVALID_ARG_VALUE', `a ${new.target.name} is a ${fixed} session, not ${provider}`);
    }
    for (const [name, fn] of [['send', send], ['clock', clock], ['onChange', onChange], ['loadCertificate', loadCertificate]]) {
      if (fn !== undefined && fn !== null && typeof fn !== 'function') {
        throw misuse('ERR_INVALID_ARG_TYPE', `${name} must be a function, not ${describe(fn)}`);
      }
    }
    if (!Number.isFinite(waitTimeoutMs) || waitTimeoutMs < 0) {
      throw misuse('ERR_INVALID_ARG_VALUE', `waitTimeoutMs must be a number of milliseconds, not ${String(waitTimeoutMs)}`);
    }
    /** The secrets the requests need; sent to the core with each request, never stored in the session. */
    this.credentials = { ...checkOptions(credentials, 'credentials') };
    /** Carries the session's own exchanges (auth, refresh): (request) => Promise<response>. */
    this.send = send ?? null;
    /** The host clock, Unix milliseconds. */
    this.clock = clock ?? nowMs;
    /** Called with the session after every change of its state (store session.seal(...) there). */
    this.onChange = onChange ?? null;
    /** How long a caller waits for another caller's renewal of the token, in milliseconds. */
    this.waitTimeoutMs = waitTimeoutMs;
    /** Loads the provider's current public certificate (PEM) when the one in credentials is stale. */
    this.loadCertificate = loadCertificate ?? null;
    this.#opt = { backend };
    if (state === undefined || state === null) {
      checkString(account, 'account');
      this.#state = ops.sessionNew({ account, provider, config: { ...checkOptions(config, 'config') } }, this.#opt).session;
    } else {
      if (typeof state !== 'object') throw misuse('ERR_INVALID_ARG_TYPE', `state must be an object, not ${describe(state)}`);
      ops.sessionPlan({ session: state, nowMs: this.clock() }, this.#opt); // the core checks it
      this.#state = state;
    }
  }

  // --- state -------------------------------------------------------------------------------------------------

  /** The session's JSON form (not a copy: do not change it). It holds tokens and keys: seal it to store it. */
  get state() {
    return this.#state;
  }

  get provider() {
    return this.#state.provider;
  }

  get account() {
    return this.#state.account;
  }

  get accessToken() {
    return this.#state.access_token ?? '';
  }

  /** The backend the session's ops run on (options.backend, or the default one). */
  get backend() {
    return this.#opt.backend;
  }

  async #changed() {
    if (this.onChange) await this.onChange(this);
  }

  /** Runs an op on the state and keeps the session it returns; the state lock of docs/hosts.md. */
  [kApply](f) {
    const out = f(this.#state, this.#opt);
    this.#state = out.session;
    return out;
  }

  /** The session sealed (XChaCha20-Poly1305) under a 32-byte key, for storage. */
  seal(key, keyId) {
    checkString(keyId, 'keyId');
    return ops.sessionSeal({ session: this.#state, key, keyId }, this.#opt).sealed;
  }

  /**
   * Opens a sealed session with a keyring ({keyId: key} or a Map): the session must be of this class's provider
   * (Session itself: of any provider, as the instance of that provider's class).
   */
  static open(sealed, keys, options = {}) {
    checkString(sealed, 'sealed');
    options = checkOptions(options, 'options');
    if (keys === null || typeof keys !== 'object') {
      throw misuse('ERR_INVALID_ARG_TYPE', `keys must be an object {keyId: key} or a Map, not ${describe(keys)}`);
    }
    const entries = keys instanceof Map ? [...keys] : Object.entries(keys);
    const ring = entries.map(([keyId, key]) => ({ key_id: String(keyId), key: keyText(key, `keys[${String(keyId)}]`) }));
    const provider = options.provider ?? (this.provider || undefined);
    const state = ops.sessionOpen({ sealed, keys: ring, provider, account: options.account },
      { backend: options.backend }).session;
    const cls = this === Session ? (SESSION_CLASSES[state.provider] ?? Session) : this;
    return new cls({ ...options, state, provider: undefined });
  }

  #sender(send) {
    const s = send ?? this.send ?? defaultSender();
    if (typeof s !== 'function') throw misuse('ERR_INVALID_ARG_TYPE', `send must be a function, not ${describe(s)}`);
    return s;
  }

  [kSender](send) {
    return this.#sender(send);
  }

  // --- the planner and single exchanges ---------------------------------------------------------------------

  /** What to do with the session at an instant (default: now): use, refresh, renew or user_action. */
  plan(atMs) {
    return ops.sessionPlan({ session: this.#state, nowMs: atMs ?? this.clock() }, this.#opt);
  }

  /** Builds the request of a step (or the one the planner calls for) and records it in the session. */
  build(step, options = {}) {
    const { credentials, params, atMs } = checkOptions(options, 'options');
    const out = this[kApply]((session, o) => ops.sessionRequest({
      session, nowMs: atMs ?? this.clock(), step, credentials: { ...this.credentials, ...credentials }, params,
    }, o));
    return out.request;
  }

  /**
   * Hands the response to the request in flight back to the core. The session is updated (and onChange called)
   * either way; a provider failure is then thrown as its GstAuthError subclass, unless raiseError is false.
   */
  async handle(response, options = {}) {
    const { sentAtMs, receivedAtMs, raiseError = true } = checkOptions(options, 'options');
    const out = this.#respond(response, sentAtMs, receivedAtMs);
    await this.#changed();
    if (raiseError && out.error) throw errorFromObject(out.error);
    return out.outcome;
  }

  #respond(response, sentAtMs, receivedAtMs) {
    const received = receivedAtMs ?? Math.max(this.clock(), sentAtMs ?? 0);
    return this[kApply]((session, o) => ops.sessionResponse({ session, response: wireResponse(response),
      receivedAtMs: received, sentAtMs: sentAtMs || undefined }, o));
  }

  /**
   * Builds a step's request, sends it and hands the response back (throwing a provider failure), with the
   * session's refresh lock held so that no refresh runs meanwhile. A stale certificate is replaced through
   * loadCertificate and the step sent once more.
   */
  async exchange(step, options = {}) {
    const { send, credentials, params } = checkOptions(options, 'options');
    const sender = this.#sender(send);
    if (!(await this.#lock.acquire(this.waitTimeoutMs))) {
      throw new ops.TokenExpiredError('timed out waiting for another caller\'s renewal of the token');
    }
    try {
      for (let reloaded = false; ; reloaded = true) {
        const sent = this.clock();
        const request = this.build(step, { credentials, params, atMs: sent });
        const out = this.#respond(await sender(request), sent);
        await this.#changed();
        if (out.outcome === 'stale_certificate' && !reloaded && this.loadCertificate) {
          await this[kReloadCertificate]();
          continue;
        }
        if (out.error) throw errorFromObject(out.error);
        return out.outcome;
      }
    } finally {
      this.#lock.release();
    }
  }

  // --- the refresh loop (docs/hosts.md) --------------------------------------------------------------------

  #decide(stage, attempts) {
    return this[kApply]((session, o) => ops.sessionEnsure({ session, nowMs: this.clock(), stage, attempts,
      credentials: this.credentials }, o));
  }

  /**
   * A usable access token, refreshing or renewing it first when the core says so. Single flight: when the token
   * is due, one caller refreshes while the others keep using it; when it is unusable, the others wait (at most
   * waitTimeoutMs) for the one renewal. Throws UserActionRequiredError when a person must act, RateLimitedError
   * during a backoff.
   */
  async ensure(options = {}) {
    const { send } = checkOptions(options, 'options');
    const d = this.#decide('check', 0);
    switch (d.move) {
      case 'use':
        return d.accessToken ?? '';
      case 'fail':
        throw errorFromObject(d.error);
      case 'refresh':
        if (!this.#lock.tryAcquire()) return d.accessToken ?? ''; // someone is refreshing; the token is still valid
        break;
      case 'renew':
        if (!(await this.#lock.acquire(this.waitTimeoutMs))) {
          throw new ops.TokenExpiredError('timed out waiting for another caller\'s renewal of the token');
        }
        break;
      default:
        throw internal(`the core answered an unexpected move ${String(d.move)}`);
    }
    try {
      return await this.#locked(this.#sender(send));
    } finally {
      this.#lock.release();
    }
  }

  /** The locked loop: ask the core, send what it says, hand the answer back, until it says use or fail. */
  async #locked(send) {
    let reloaded = false;
    let cause;
    for (let attempts = 0; ; attempts++) {
      const d = this.#decide('locked', attempts);
      if (d.move === 'use') return d.accessToken ?? '';
      if (d.move === 'fail') {
        const e = errorFromObject(d.error);
        if (cause !== undefined) e.cause = cause;
        throw e;
      }
      if (d.move !== 'send' || !d.request) throw internal(`the core answered an unexpected move ${String(d.move)}`);
      const sent = this.clock();
      let response;
      try {
        response = await send(d.request);
      } catch (e) {
        // No answer at all (a network error, a timeout): the core drops the request and backs off, and decides next
        // (a still-valid token is used; otherwise the failure, with the send's error as its cause).
        this[kApply]((session, o) => ops.sessionSendFailed({ session, nowMs: this.clock() }, o));
        await this.#changed();
        cause = e;
        continue;
      }
      cause = undefined;
      const out = this.#respond(response, sent);
      await this.#changed();
      if (out.outcome === 'stale_certificate') {
        if (reloaded || !this.loadCertificate) return this.#tokenDespite(errorFromObject(out.error));
        await this[kReloadCertificate]();
        reloaded = true;
      }
    }
  }

  /** After a stale certificate that cannot be replaced: a token that is still valid is used, else the cause is thrown. */
  #tokenDespite(cause) {
    const d = this.#decide('check', 0);
    if (d.move === 'use' || d.move === 'refresh') return d.accessToken ?? '';
    throw cause;
  }

  /**
   * Resolves when no refresh of this session is in flight (at most waitTimeoutMs from now). A call rejected while
   * its token was being refreshed waits for that refresh before it asks for a token again: a provider may end the
   * old token when it issues the new one.
   */
  async [kRefreshSettled]() {
    if (this.#lock.held && (await this.#lock.acquire(this.waitTimeoutMs))) this.#lock.release();
  }

  async [kReloadCertificate]() {
    const pem = await this.loadCertificate();
    checkString(pem, 'the certificate loadCertificate gave');
    this.credentials = { ...this.credentials, public_key: pem };
  }

  /**
   * The token to use now, without sending anything: throws when a person must act, during a backoff, or when the
   * token must be renewed first (TokenExpiredError).
   */
  currentToken() {
    const d = this.#decide('check', 0);
    if (d.move === 'use' || d.move === 'refresh') return d.accessToken ?? '';
    if (d.move === 'fail') throw errorFromObject(d.error);
    throw new ops.TokenExpiredError(d.plan.message);
  }

  // --- ordinary API calls ----------------------------------------------------------------------------------

  [kHeadersFor](state, options = {}) {
    const { retPeriod, rtnTyp, userrole, txn } = checkOptions(options, 'options');
    return ops.sessionHeaders({ session: state, credentials: this.credentials, retPeriod, rtnTyp, userrole, txn },
      this.#opt).headers;
  }

  /**
   * The headers of an ordinary API call with the session's token (GSTN returns calls: retPeriod, rtnTyp,
   * userrole; txn: a request id of your own).
   */
  headers(options = {}) {
    return this[kHeadersFor](this.#state, options);
  }

  /**
   * After an ordinary API call: measures the clock skew, classifies the answer (the error catalogue) and marks a
   * rejected token. accessToken is the token the call was made with. onChange runs when the session learnt more
   * than the clock (a rejected token).
   */
  async observe(response, options = {}) {
    const { sentAtMs, receivedAtMs, accessToken } = checkOptions(options, 'options');
    const before = this.#state;
    const received = receivedAtMs ?? Math.max(this.clock(), sentAtMs ?? 0);
    const out = this[kApply]((session, o) => ops.sessionObserve({ session, response: wireResponse(response),
      sentAtMs: sentAtMs ?? received, receivedAtMs: received, accessToken }, o));
    const after = this.#state;
    if (after.rejected !== before.rejected || JSON.stringify(after.last_error) !== JSON.stringify(before.last_error)) {
      await this.#changed();
    }
    return out.error ? { outcome: out.outcome, error: out.error } : { outcome: out.outcome };
  }

  [kEncryptFor](state, body) {
    return ops.sessionEncryptBodyRawAsync({ session: state }, body, this.#opt);
  }

  [kDecryptFor](state, body) {
    return ops.sessionDecryptBodyRawAsync({ session: state }, body, this.#opt);
  }

  /** A request body with its payload member encrypted for the session (unchanged when there is nothing to encrypt). */
  encryptBody(body) {
    return this[kEncryptFor](this.#state, typeof body === 'string' ? Buffer.from(body) : body);
  }

  /** A successful response body with its payload decrypted in place (its HMAC checked first). */
  decryptBody(body) {
    return this[kDecryptFor](this.#state, typeof body === 'string' ? Buffer.from(body) : body);
  }

  /**
   * The encrypted members a request body carries for a payload (GSTN data and hmac, NIC Data): add your own
   * members (the action) beside them. payload: its JSON text, or a value to encode.
   */
  async encrypt(payload) {
    const text = typeof payload === 'string' ? payload : json.encode(payload);
    if (text === undefined) throw misuse('ERR_INVALID_ARG_TYPE', `payload cannot be written as JSON: ${describe(payload)}`);
    const out = await ops.sessionEncryptPayloadRawAsync({ session: this.#state }, Buffer.from(text), this.#opt);
    return json.decode(out.toString('utf8'));
  }

  /**
   * The decrypted payload of a response body (its text, bytes, or the parsed object), parsed; a failure the body
   * reports is thrown as its GstAuthError subclass.
   */
  async decrypt(body) {
    const data = typeof body === 'string' ? Buffer.from(body)
      : body instanceof Uint8Array ? body : Buffer.from(json.encode(body) ?? '');
    const out = await ops.sessionDecryptPayloadRawAsync({ session: this.#state }, data, this.#opt);
    return json.decode(out.toString('utf8'));
  }
}

// --- GSTN --------------------------------------------------------------------------------------------------

/**
 * The GSTN taxpayer API: an OTP once, then refreshes before every expiry until the API-access window ends.
 * config: base_url (…/taxpayerapi/v1.0), client_id, gstin, username, ip_usr, access_window_ms.
 * credentials: client_secret, public_key (the GSTN certificate, PEM).
 */
class GstnSession extends Session {
  static provider = 'gstn';

  /** OTPREQUEST: the taxpayer receives an OTP. */
  async requestOtp(options) {
    await this.exchange('otp_request', options);
  }

  /** AUTHTOKEN with the OTP the taxpayer received. */
  async authenticate(otp, options = {}) {
    checkString(otp, 'otp');
    await this.exchange('auth_token', { ...checkOptions(options, 'options'), credentials: { otp } });
  }

  /** REFRESHTOKEN now (ensure() refreshes by itself when the planner says so). */
  async refresh(options) {
    await this.exchange('refresh_token', options);
  }

  async logout(options) {
    await this.exchange('logout', options);
  }

  /** The EVC OTP for signing a return with the PAN's EVC. */
  async requestEvcOtp(pan, formType, options = {}) {
    checkString(pan, 'pan');
    checkString(formType, 'formType');
    await this.exchange('evc_otp', { ...checkOptions(options, 'options'), params: { pan, form_type: formType } });
  }
}

/** A gateway's task API (getAuthToken), giving a GSTN-like session. */
class GatewayTaskSession extends GstnSession {
  static provider = 'gateway_task';

  async authenticate(otp, options = {}) {
    checkString(otp, 'otp');
    await this.exchange('get_auth_token', { ...checkOptions(options, 'options'), credentials: { otp } });
  }
}

// --- NIC ---------------------------------------------------------------------------------------------------

/**
 * NIC e-invoice (IRP) v1.04. config: base_url, client_id, gstin, username.
 * credentials: client_secret, password, public_key (NIC's certificate, PEM).
 */
class EInvoiceSession extends Session {
  static provider = 'nic_einvoice';

  async authenticate(options) {
    await this.exchange('auth', options);
  }

  /** ForceRefreshAccessToken (honoured in the token's last 10 minutes). */
  async forceRefresh(options) {
    await this.exchange('force_refresh', options);
  }
}

/**
 * NIC e-way bill (ACCESSTOKEN). config: base_url, client_id, gstin, username.
 * credentials: client_secret, password, public_key (NIC's certificate, PEM).
 */
class EWayBillSession extends Session {
  static provider = 'nic_ewaybill';

  async authenticate(options) {
    await this.exchange('auth', options);
  }
}

// --- OAuth and WhiteBIT ------------------------------------------------------------------------------------

/**
 * RFC 6749 §4.4 (WhiteBooks, OneFinOps/Keycloak through config.flavor). config: token_url, client_id, scope,
 * client_auth. credentials: client_secret (and previous_client_secret, previous_secret_valid_until_ms).
 */
class OAuthClientCredentialsSession extends Session {
  static provider = 'oauth_client_credentials';
}

/** RFC 6749 §4.3, which some gateways still use (Masters India). credentials: password, client_secret. */
class OAuthPasswordSession extends Session {
  static provider = 'oauth_password';
}

/** RFC 6749 §4.1 with PKCE S256 and state. config: auth_url, token_url, client_id, redirect_uri, scope. */
class AuthorizationCodeSession extends Session {
  static provider = 'oauth_authorization_code';

  /** The URL to send the user to; the PKCE verifier and the state are kept in the session. */
  async authorizationUrl() {
    const out = this[kApply]((session, o) => ops.oauthAuthorizationUrl({ session, nowMs: this.clock() }, o));
    if (this.onChange) await this.onChange(this);
    return out.url;
  }

  /** Checks the redirect (its state, in constant time) and exchanges its code for tokens. */
  async complete(redirectUrl, options = {}) {
    checkString(redirectUrl, 'redirectUrl');
    const r = ops.oauthParseRedirect({ session: this.state, url: redirectUrl }, { backend: this.backend });
    await this.exchange('authorization_code', { ...checkOptions(options, 'options'),
      credentials: { code: r.code, state: r.state } });
  }
}

/** WhiteBIT's OAuth (its own refresh endpoint, 300 s tokens) and signed private-API requests. */
class WhiteBITSession extends AuthorizationCodeSession {
  static provider = 'whitebit';

  /** A signed private-API request with the session's next nonce (the session is stored before it is sent). */
  async signedRequest(apiKey, secret, path, params) {
    const out = this[kApply]((session, o) => ops.whitebitRequest({ session, nowMs: this.clock(), apiKey, secret, path,
      params }, o));
    if (this.onChange) await this.onChange(this);
    return out.request;
  }
}

/** WhiteBIT's Fast API Key flow (PKCE, a 4 h token, no refresh token). */
class WhiteBITFastKeySession extends WhiteBITSession {
  static provider = 'whitebit_fast_key';
}

/** The session class of each provider. */
const SESSION_CLASSES = Object.freeze(Object.fromEntries([GstnSession, GatewayTaskSession, EInvoiceSession,
  EWayBillSession, OAuthClientCredentialsSession, OAuthPasswordSession, AuthorizationCodeSession, WhiteBITSession,
  WhiteBITFastKeySession].map((c) => [c.provider, c])));

let defaultSend = null;
function defaultSender() {
  defaultSend ??= require('./http.cjs').fetchSender();
  return defaultSend;
}

module.exports = {
  Session, GstnSession, GatewayTaskSession, EInvoiceSession, EWayBillSession, OAuthClientCredentialsSession,
  OAuthPasswordSession, AuthorizationCodeSession, WhiteBITSession, WhiteBITFastKeySession, SESSION_CLASSES,
  RefreshLock, nowMs,
};
