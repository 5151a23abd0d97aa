// Types of gstauth's generic entry, written by hand; the typed function of every op, its input and output types,
// the enumerations, the shared objects and one error class per code are generated from the ABI's JSON Schema into
// generated/ops.d.cts and re-exported here, as are the sessions and the fetch wrapper.
/// <reference types="node" />

/** A JSON object as the core reads and writes it; integers beyond 2^53 are BigInt both ways. */
export type JsonObject = { [key: string]: unknown };

/** The two routes to the core: the native library (default) or the WebAssembly plugin. */
export type BackendName = 'cshared' | 'wasm';

/** What a raw op (its name ends in `_raw`) returns: JSON meta and the raw output bytes. */
export interface RawResult {
  meta: JsonObject;
  data: Buffer;
}

/** The details a failure may carry besides its code and message. */
export interface ErrorDetails {
  providerCode?: string;
  retryAfterMs?: number;
  retryable?: boolean;
}

/**
 * A failure reported by the core. `code` is one of its stable, append-only codes (the op `error_codes` lists
 * them); `message` never holds key material, passwords, OTPs or tokens. Each code has its own subclass
 * (DecryptFailedError for decrypt_failed ...; ERRORS maps them), and every failure is thrown as the class of its
 * code.
 */
export declare class GstAuthError extends Error {
  constructor(code: string, message: string, details?: ErrorDetails);
  /** GstAuthError, or the subclass's name (DecryptFailedError ...). */
  readonly name: string;
  readonly code: string;
  /** The provider's own error code, when the failure came from a provider's answer. */
  readonly providerCode?: string;
  /** How long to wait before trying again, when the provider said so. */
  readonly retryAfterMs?: number;
  /** Whether the same call may succeed later. */
  readonly retryable: boolean;
}

/** The generic entry bound to one backend. */
export declare class Backend {
  private constructor();
  readonly name: BackendName;
  /** The core's version. */
  readonly version: string;
  call(op: string, input: JsonObject): JsonObject;
  callAsync(op: string, input: JsonObject): Promise<JsonObject>;
  callRaw(op: string, params: JsonObject, data: Uint8Array): RawResult;
  callRawAsync(op: string, params: JsonObject, data: Uint8Array): Promise<RawResult>;
}

/** Runs the JSON op `op` on `input`. Throws GstAuthError when the core refuses it, TypeError on bad arguments. */
export declare function call(op: string, input: JsonObject): JsonObject;
/** `call`, run off the calling thread. */
export declare function callAsync(op: string, input: JsonObject): Promise<JsonObject>;
/** Runs the raw op `op` on JSON params and raw bytes. `data` is read in place, not copied. */
export declare function callRaw(op: string, params: JsonObject, data: Uint8Array): RawResult;
/** `callRaw`, run off the calling thread; do not change `data` until the promise settles. */
export declare function callRawAsync(op: string, params: JsonObject, data: Uint8Array): Promise<RawResult>;
/** The backend of that name, or the default one (GSTAUTH_BACKEND, else `cshared`). */
export declare function getBackend(name?: BackendName): Backend;

export * from './generated/ops.cjs';
export * from './sessions.cjs';
export * from './http.cjs';
export * from './store.cjs';
