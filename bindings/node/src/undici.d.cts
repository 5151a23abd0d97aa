// Types of gstauth/undici (undici.cjs), written by hand; the types of undici 7 itself come from the undici package.
/// <reference types="node" />
import type { Dispatcher } from 'undici';
import type { CallHeaderOptions, Observation, Send, Session } from './index.cjs';

export interface GstAuthInterceptorOptions extends CallHeaderOptions {
  /** Carries the session's own exchanges; default: the next dispatcher of the chain. */
  send?: Send;
  /** Decrypt a successful answer's payload (default true). */
  decrypt?: boolean;
  /** Fail the request with the GstAuthError of an answer that is not ok (default false: hand it over as it is). */
  throwOnError?: boolean;
  /** Told what the core read in each answer, before the handler gets it. */
  onObservation?: (observation: Observation, request: Dispatcher.DispatchOptions) => void;
}

/**
 * An interceptor for Dispatcher#compose that makes every request through the session (per request, the
 * dispatch options may carry `gstauth: {retPeriod, rtnTyp, userrole, txn}`).
 */
export declare function gstauthInterceptor(session: Session, options?: GstAuthInterceptorOptions):
  Dispatcher.DispatcherComposeInterceptor;
/** A send function over an undici dispatcher, for a session's own exchanges. */
export declare function dispatcherSender(dispatcher: Dispatcher): Send;
