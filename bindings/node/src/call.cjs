'use strict';
// One ordinary API call through a session, the way docs/hosts.md says ("The call"), whatever HTTP client carries
// it: the fetch wrapper (src/http.cjs) and the undici interceptor (src/undici.cjs) both run this.
//
//   token   = ensure()                              (refresh or renew first when the core says so)
//   headers = session_headers(the state of now)     the caller's headers, the session's over them (but the
//   body    = session_encrypt_body_raw(that state)  caller's content-type); the body encrypted under that state
//   response = transmit(headers, body)
//   session_observe(response, sent, received, the token in the headers)   (after a refresh in flight has ended)
//   ok, no_data    → session_decrypt_body_raw(the same state)   (a refresh meanwhile does not change its key)
//   reauthenticate → once: ensure() again and replay the call (never a second time)
//   stale_certificate → once, with loadCertificate: the certificate replaced, the call sent again
//   anything else  → the response as it came, with what the core read in it

const { kHeadersFor, kEncryptFor, kDecryptFor, kReloadCertificate, kSender, kRefreshSettled } = require('./internal.cjs');

// Headers a transmit sets itself from the body it is given.
const BODY_HEADERS = new Set(['content-length', 'transfer-encoding']);

/**
 * The headers to send: the caller's, then the session's over them (matched case-insensitively), except that the
 * caller's content-type stays.
 * @param {[string, string][]} caller
 * @param {Record<string, string>} session
 * @returns {[string, string][]}
 */
function mergeHeaders(caller, session) {
  const theirs = new Map(Object.entries(session).map(([k, v]) => [k.toLowerCase(), [k, v]]));
  const callerType = caller.some(([k]) => k.toLowerCase() === 'content-type');
  const out = [];
  for (const [k, v] of caller) {
    const lk = k.toLowerCase();
    if (BODY_HEADERS.has(lk) || (theirs.has(lk) && !(lk === 'content-type' && callerType))) continue;
    out.push([k, v]);
  }
  for (const [lk, [k, v]] of theirs) {
    if (lk === 'content-type' && callerType) continue;
    out.push([k, v]);
  }
  return out;
}

/**
 * @param {import('./sessions.cjs').Session} session
 * @param {{
 *   plain: Buffer | null,
 *   headers: [string, string][],
 *   options: {retPeriod?: string, rtnTyp?: string, userrole?: string, txn?: string},
 *   send?: Function,
 *   decrypt: boolean,
 *   transmit: (headers: [string, string][], body: Buffer | null) =>
 *     Promise<{status: number, headers: Record<string, string>, body: Buffer}>,
 * }} spec
 * @returns {Promise<{response: object, body: Buffer, observation: {outcome: string, error?: object}, attempts: number}>}
 */
async function runCall(session, spec) {
  const send = session[kSender](spec.send);
  let replayed = false;
  let reloaded = false;
  for (let attempts = 1; ; attempts++) {
    await session.ensure({ send });
    // One state for the headers, the body and the answer: a refresh by another caller during this call
    // changes neither the token this call carries nor the key its answer is encrypted under.
    const state = session.state;
    const headers = mergeHeaders(spec.headers, session[kHeadersFor](state, spec.options));
    const body = spec.plain && spec.plain.length > 0 ? await session[kEncryptFor](state, spec.plain) : spec.plain;
    const sentAtMs = session.clock();
    const response = await spec.transmit(headers, body);
    const receivedAtMs = Math.max(session.clock(), sentAtMs);
    // An answer that arrives while a refresh of this session is in flight is read once that refresh has ended: a
    // provider may end the old token when it issues the new one, and a rejection read before the new token is in
    // would mark the session's token rejected and drop the refresh in flight.
    await session[kRefreshSettled]();
    const observation = await session.observe({ status: response.status, headers: response.headers, body: response.body },
      { sentAtMs, receivedAtMs, accessToken: state.access_token ?? '' });
    switch (observation.outcome) {
      case 'ok':
      case 'no_data':
        if (spec.decrypt && response.body.length > 0) {
          return { response, body: await session[kDecryptFor](state, response.body), observation, attempts };
        }
        break;
      case 'reauthenticate':
        if (!replayed) {
          replayed = true;
          continue; // ensure() gives the newer token, renews the rejected one, or says a person must act
        }
        break;
      case 'stale_certificate':
        if (!reloaded && session.loadCertificate) {
          reloaded = true;
          await session[kReloadCertificate]();
          continue;
        }
        break;
    }
    return { response, body: response.body, observation, attempts };
  }
}

module.exports = { runCall, mergeHeaders };
