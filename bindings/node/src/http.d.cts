// Types of the fetch integration (http.cjs), written by hand.
/// <reference types="node" />
import type { CallHeaderOptions, Observation, Send, Session } from './sessions.cjs';

/** The options of one request through gstauthFetch: `init.gstauth`. */
export type GstAuthCallOptions = CallHeaderOptions;

/** RequestInit with gstauth's options of the request. */
export type GstAuthRequestInit = RequestInit & { gstauth?: GstAuthCallOptions; dispatcher?: unknown };

/** A fetch-compatible function that makes every request through a session. */
export type GstAuthFetch = (input: string | URL | Request, init?: GstAuthRequestInit) => Promise<Response>;

export interface GstAuthFetchOptions extends CallHeaderOptions {
  /** The fetch that sends the requests (the API calls and the session's own exchanges); default: the global one. */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** Carries the session's own exchanges instead of `fetch`. */
  send?: Send;
  /** Decrypt a successful answer's payload (default true). */
  decrypt?: boolean;
  /** Throw the GstAuthError of an answer that is not ok (default false: return it, see observationOf). */
  throwOnError?: boolean;
}

/**
 * A fetch-compatible function that makes every request through the session: a usable token first, the session's
 * headers, the payload encrypted; the answer observed, replayed once after a rejected token, decrypted when ok.
 */
export declare function gstauthFetch(session: Session, options?: GstAuthFetchOptions): GstAuthFetch;
/** A send function over fetch, for a session's own exchanges (sent exactly as built, redirects not followed). */
export declare function fetchSender(fetchImpl?: (input: string, init?: RequestInit) => Promise<Response>,
  init?: RequestInit & { dispatcher?: unknown }): Send;
/** What the core read in a response a gstauth fetch returned (undefined for any other response). */
export declare function observationOf(response: Response): Observation | undefined;
