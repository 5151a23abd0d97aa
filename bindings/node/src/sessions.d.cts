// Types of the sessions (sessions.cjs), written by hand.
/// <reference types="node" />
import type { Backend, BackendName } from './index.cjs';
import type { Config, Credentials, ErrorObject, HTTPRequest, JsonPayload, Outcome, Plan, Provider, SessionState,
  Step, StoreKeysResult } from './generated/ops.cjs';
import type { Store } from './store.cjs';

/** A response handed back to the core: its status, headers (names in any case) and body (text or bytes). */
export interface ResponseLike {
  status: number;
  headers?: Record<string, string | readonly string[] | undefined> | Iterable<readonly [string, string]>;
  body?: string | Uint8Array;
}

/** Carries one exchange the core built: sends the request exactly as built, and gives back the response. */
export type Send = (request: HTTPRequest) => Promise<ResponseLike>;

/** What an ordinary API response means (the error catalogue): its outcome and, for a failure, the error. */
export interface Observation {
  outcome: Outcome;
  error?: ErrorObject;
}

export interface SessionOptions {
  /** Who the session is for (a GSTIN and user, a client id); not needed with `state`. */
  account?: string;
  /** Non-secret configuration; not needed with `state`. */
  config?: Config;
  /** The provider; each provider's class sets its own. */
  provider?: Provider;
  /** The secrets the requests need: sent to the core with each request, never stored in the session. */
  credentials?: Credentials;
  /** Carries the session's own exchanges (auth, refresh); default: fetchSender() over the global fetch. */
  send?: Send | null;
  /** The backend the session's ops run on; default: the one GSTAUTH_BACKEND names. */
  backend?: BackendName | Backend;
  /** The host clock in Unix milliseconds; default: Date.now. */
  clock?: () => number;
  /** Called with the session after every change of its state; a promise it returns is awaited. */
  onChange?: ((session: Session) => void | Promise<void>) | null;
  /** A session's JSON form to continue with (Session.open gives one from a sealed session). */
  state?: SessionState;
  /** How long a caller waits for another caller's renewal of the token; default 60 000 ms. */
  waitTimeoutMs?: number;
  /** Loads the provider's current public certificate (PEM) when the one in credentials.public_key is stale. */
  loadCertificate?: (() => string | Promise<string>) | null;

  // --- a session shared by many processes (docs/hosts.md, "Many processes") ---
  /** The store the session lives in, shared with other processes; the options below go with it. */
  store?: Store | null;
  /** The sealing keys: the first seals, every one opens (a key rotation: [new, old], then [new]). */
  sealKeys?: readonly SealingKey[];
  /** This process's name as a lease holder: 1-128 of A-Z a-z 0-9 _ . : @ / -; default <host>:<pid>:<random>. */
  holder?: string;
  /** The refresh lease's time to live, a little above the longest exchange; default 30 000 ms. */
  leaseTtlMs?: number;
  /** How often a waiting caller reads the store again (±20 %); default 100 ms. */
  pollIntervalMs?: number;
  /** The bound of each store call: a store that does not answer in time is a failed store; default 5000 ms. */
  storeTimeoutMs?: number;
  /** Told of the lease taken, lost and released, waits, versions opened and written, refused writes, store errors. */
  onStoreEvent?: ((event: StoreEvent) => void) | null;
}

/** A sealing key: its id (written into what it seals) and its 32 bytes. */
export interface SealingKey {
  keyId: string;
  key: Uint8Array;
}

/** What a shared session tells its onStoreEvent: every event has the record's id, the provider and the account. */
export type StoreEvent = { id: string; provider: Provider; account: string } & (
  | { type: 'opened' | 'written'; version: number }
  | { type: 'write_refused'; expected: number; version: number }
  /** A refused write whose newer version still held the token this refresh replaced: written over it. */
  | { type: 'write_over'; version: number }
  /** The store lost the record (version 0 again): the state is written again under the lease. */
  | { type: 'store_reset'; version: number }
  | { type: 'lease_taken'; holder: string; ttlMs: number }
  | { type: 'lease_lost'; holder: string }
  | { type: 'lease_released'; holder: string; held: boolean }
  | { type: 'wait'; for: 'renewal' | 'lease'; deadlineMs: number }
  | { type: 'waited'; for: 'renewal' | 'lease'; waitedMs: number }
  | { type: 'unsaved'; base: number }
  /** A rejection seen on a call, not written because another process holds the lease (its write carries the result). */
  | { type: 'rejection_unwritten' }
  /**
   * A store call that failed (error: a StoreUnavailableError, the store's own error as its cause), or a stored
   * version this keyring cannot open (op 'open', error: the core's error).
   */
  | { type: 'store_error'; op: string; error: Error; version?: number });

/** What a shared session counts. */
export interface StoreStats {
  reads: number;
  /** Newer stored versions opened. */
  opened: number;
  leasesTaken: number;
  leasesRefused: number;
  leasesLost: number;
  /** Exchanges this process made under the lease (refreshes, renewals, steps). */
  exchanges: number;
  writes: number;
  writesRefused: number;
  /** Rejections seen on calls and not written, because another process held the lease. */
  rejectionsUnwritten: number;
  /** Waits for a renewal or the lease, and their total time. */
  waits: number;
  waitedMs: number;
  storeErrors: number;
}

/** A shared session's link to its store. */
export interface SharedInfo {
  /** The record's names in every store. */
  keys: StoreKeysResult;
  /** The version of the record the state was read at or written as (0: none). */
  version: number;
  holder: string;
  /** A change the store failed to take, written later under the lease. */
  unsaved: boolean;
  stats: StoreStats;
}

export interface OpenOptions extends Omit<SessionOptions, 'state' | 'account' | 'config'> {
  /** When given, the sealed session must be for this account. */
  account?: string;
}

/** A step's own options: its send function, credentials beside the session's, its non-secret arguments. */
export interface StepOptions {
  send?: Send;
  credentials?: Credentials;
  params?: Record<string, string>;
}

/** The options of an ordinary API call's headers (GSTN returns calls: the return period, type and user role). */
export interface CallHeaderOptions {
  retPeriod?: string;
  rtnTyp?: string;
  userrole?: string;
  /** GSTN: a request id of your own; default: a random one. */
  txn?: string;
}

/**
 * A session of one provider: its state, the refresh loop of docs/hosts.md (single flight) and the exchanges of
 * each step. Each provider has its own class; `new Session({provider, ...})` makes a session of any provider.
 */
export declare class Session {
  /** The provider of the class's sessions ('' for Session itself). */
  static readonly provider: Provider | '';
  constructor(options: SessionOptions);
  /** The session's JSON form (not a copy: do not change it). It holds tokens and keys: seal it to store it. */
  readonly state: SessionState;
  readonly provider: Provider;
  readonly account: string;
  /** The current access token ('' when there is none). */
  readonly accessToken: string;
  readonly backend: BackendName | Backend | undefined;
  credentials: Credentials;
  send: Send | null;
  clock: () => number;
  onChange: ((session: Session) => void | Promise<void>) | null;
  waitTimeoutMs: number;
  loadCertificate: (() => string | Promise<string>) | null;
  /** The shared store the session lives in, or null. */
  readonly store: Store | null;
  /** With a store: the record's names, the version the state is at, the holder and the counts; else null. */
  readonly shared: SharedInfo | null;
  /** With a store: reads the record and opens it when newer; the version the state is at (0 without a store). */
  pull(): Promise<number>;
  /**
   * With a store: writes the state as it is (a session made or opened here) under the lease, at the version it
   * was read at; a refused write opens the stored session instead. Whether it was written.
   */
  save(): Promise<boolean>;

  /** The session sealed (XChaCha20-Poly1305) under a 32-byte key, for storage. */
  seal(key: Uint8Array, keyId: string): string;
  /**
   * Opens a sealed session with a keyring: the session must be of this class's provider (Session itself: of any
   * provider, as an instance of that provider's class).
   */
  static open<T extends typeof Session>(this: T, sealed: string,
    keys: Record<string, Uint8Array> | Map<string, Uint8Array>, options?: OpenOptions): InstanceType<T>;

  /** What to do with the session at an instant (default: now): use, refresh, renew or user_action. */
  plan(atMs?: number): Plan;
  /** Builds the request of a step (or the one the planner calls for) and records it in the session. */
  build(step?: Step, options?: { credentials?: Credentials; params?: Record<string, string>; atMs?: number }): HTTPRequest;
  /**
   * Hands the response to the request in flight back to the core; a provider failure is then thrown as its
   * GstAuthError subclass, unless raiseError is false.
   */
  handle(response: ResponseLike, options?: { sentAtMs?: number; receivedAtMs?: number; raiseError?: boolean }):
    Promise<Outcome>;
  /** Builds a step's request, sends it and hands the response back, with the refresh lock held. */
  exchange(step: Step, options?: StepOptions): Promise<Outcome>;
  /**
   * A usable access token, refreshed or renewed first when the core says so (single flight). Throws
   * UserActionRequiredError when a person must act, RateLimitedError during a backoff.
   */
  ensure(options?: { send?: Send }): Promise<string>;
  /** The token to use now, without sending anything; throws when it must be renewed first, or cannot be. */
  currentToken(): string;
  /** The headers of an ordinary API call with the session's token. */
  headers(options?: CallHeaderOptions): Record<string, string>;
  /** After an ordinary API call: the clock skew measured, the answer classified, a rejected token marked. */
  observe(response: ResponseLike, options?: { sentAtMs?: number; receivedAtMs?: number; accessToken?: string }):
    Promise<Observation>;
  /** A request body with its payload member encrypted for the session. */
  encryptBody(body: Uint8Array | string): Promise<Buffer>;
  /** A successful response body with its payload decrypted in place. */
  decryptBody(body: Uint8Array | string): Promise<Buffer>;
  /** The encrypted members a request body carries for a payload (GSTN data and hmac, NIC Data). */
  encrypt(payload: JsonPayload): Promise<Record<string, string>>;
  /** The decrypted payload of a response body, parsed; a failure the body reports is thrown. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  decrypt<T = any>(body: string | Uint8Array | object): Promise<T>;
}

type StepSend = { send?: Send };

/** The GSTN taxpayer API. config: base_url, client_id, gstin, username, ip_usr, access_window_ms. */
export declare class GstnSession extends Session {
  static readonly provider: 'gstn' | 'gateway_task';
  /** OTPREQUEST: the taxpayer receives an OTP. */
  requestOtp(options?: StepSend): Promise<void>;
  /** AUTHTOKEN with the OTP the taxpayer received. */
  authenticate(otp: string, options?: StepSend): Promise<void>;
  /** REFRESHTOKEN now (ensure() refreshes by itself when the planner says so). */
  refresh(options?: StepSend): Promise<void>;
  logout(options?: StepSend): Promise<void>;
  /** The EVC OTP for signing with the PAN's EVC. */
  requestEvcOtp(pan: string, formType: string, options?: StepSend): Promise<void>;
}
/** A gateway's task API (getAuthToken), giving a GSTN-like session. */
export declare class GatewayTaskSession extends GstnSession {
  static readonly provider: 'gateway_task';
}
/** NIC e-invoice (IRP) v1.04. */
export declare class EInvoiceSession extends Session {
  static readonly provider: 'nic_einvoice';
  authenticate(options?: StepSend): Promise<void>;
  /** ForceRefreshAccessToken (honoured in the token's last 10 minutes). */
  forceRefresh(options?: StepSend): Promise<void>;
}
/** NIC e-way bill (ACCESSTOKEN). */
export declare class EWayBillSession extends Session {
  static readonly provider: 'nic_ewaybill';
  authenticate(options?: StepSend): Promise<void>;
}
/** RFC 6749 §4.4 client credentials. */
export declare class OAuthClientCredentialsSession extends Session {
  static readonly provider: 'oauth_client_credentials';
}
/** RFC 6749 §4.3 password grant. */
export declare class OAuthPasswordSession extends Session {
  static readonly provider: 'oauth_password';
}
/** RFC 6749 §4.1 with PKCE S256 and state. */
export declare class AuthorizationCodeSession extends Session {
  static readonly provider: 'oauth_authorization_code' | 'whitebit' | 'whitebit_fast_key';
  /** The URL to send the user to; the PKCE verifier and the state are kept in the session. */
  authorizationUrl(): Promise<string>;
  /** Checks the redirect (its state, in constant time) and exchanges its code for tokens. */
  complete(redirectUrl: string, options?: StepSend): Promise<void>;
}
/** WhiteBIT's OAuth and signed private-API requests. */
export declare class WhiteBITSession extends AuthorizationCodeSession {
  static readonly provider: 'whitebit' | 'whitebit_fast_key';
  /** A signed private-API request with the session's next nonce (the session is stored before it is sent). */
  signedRequest(apiKey: string, secret: string, path: string, params?: Record<string, unknown>): Promise<HTTPRequest>;
}
/** WhiteBIT's Fast API Key flow. */
export declare class WhiteBITFastKeySession extends WhiteBITSession {
  static readonly provider: 'whitebit_fast_key';
}

/** The session class of each provider. */
export declare const SESSION_CLASSES: { readonly [P in Provider]: typeof Session };

/** A lock held by one caller at a time, the others queueing for a bounded time (a session's refresh lock). */
export declare class RefreshLock {
  readonly held: boolean;
  tryAcquire(): boolean;
  acquire(timeoutMs: number): Promise<boolean>;
  release(): void;
}

/** The host clock in Unix milliseconds (Date.now). */
export declare function nowMs(): number;
