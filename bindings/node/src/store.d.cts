// Types of the shared session stores (store/*.cjs), written by hand.
/// <reference types="node" />
import type { Backend, BackendName } from './index.cjs';
import type { LeaseAction, StoreKeysResult } from './generated/ops.cjs';

/** A session's record as a store holds it: the sealed session and the number of its writes (0: none yet). */
export interface StoredSession {
  version: number;
  /** The sealed session ('' before the first write). */
  sealed: string;
}

/** What a compare-and-set write did: written, and the record's version after the call. */
export interface WriteResult {
  written: boolean;
  version: number;
}

/**
 * A shared session store (docs/hosts.md, "Many processes"): per session, a record (a sealed session with a
 * version) and a refresh lease. `keys` is the session's storeKeys() result. FileStore and RedisStore are two;
 * any object with these methods can be given to a session's `store` option. A refusal is an answer (false, or
 * written: false); FileStore and RedisStore fail with StoreUnavailableError (code store_unavailable, retryable,
 * the failure as its cause) when the store cannot be reached or does not answer as the contract says, with
 * InvalidInputError for an argument the rules refuse, and with TypeError for a misuse.
 */
export interface Store {
  /** The record as it is now (without a lock). */
  read(keys: StoreKeysResult): Promise<StoredSession>;
  /**
   * take: granted when the lease is free, expired or already holder's; extend and release: only for the
   * holder of a lease that has not expired. ttlMs: 1 s to 10 min (take, extend).
   */
  lease(keys: StoreKeysResult, action: LeaseAction, holder: string, ttlMs: number): Promise<boolean>;
  /** Stores a sealed session if the record is still at expectedVersion (the version the writer read). */
  write(keys: StoreKeysResult, expectedVersion: number, sealed: string): Promise<WriteResult>;
  /** Releases what the store holds (a client it made). */
  close(): Promise<void>;
}

export interface FileStoreOptions {
  /**
   * 'flock' (default): flock(2) and an open file description record lock on <file>.lock, through the package's
   * native addon (linux-x64, glibc): Go's gofrs/flock takes the first, the JVM's FileChannel.lock a record lock,
   * Python's file store both, so processes of every language exclude each other. 'mkdir':
   * proper-lockfile's directory lock (<file>.mkdir.lock), for platforms without the addon; it excludes only
   * processes that take that same lock.
   */
  lock?: 'flock' | 'mkdir';
  /**
   * How long a change waits for the lock before it fails (StoreUnavailableError, its cause's code ETIMEDOUT);
   * default 10 000 ms.
   */
  lockTimeoutMs?: number;
  /** lock 'mkdir': how old a lock directory is before it is taken as a dead process's; default 10 000 ms. */
  staleMs?: number;
  /** The clock of the leases (Unix ms); default Date.now. */
  clock?: () => number;
  backend?: BackendName | Backend;
}

/**
 * The file store: processes on one machine share sessions through one JSON file per record in a directory.
 * Every change is lock → read → the core's store_lease or store_write → temporary file, fsync, rename → unlock;
 * reads take no lock.
 */
export declare class FileStore implements Store {
  constructor(dir: string, options?: FileStoreOptions);
  readonly kind: 'file';
  /** The directory of the records (absolute). */
  readonly dir: string;
  /** The path of a session's record. */
  pathOf(keys: StoreKeysResult): string;
  read(keys: StoreKeysResult): Promise<StoredSession>;
  lease(keys: StoreKeysResult, action: LeaseAction, holder: string, ttlMs: number): Promise<boolean>;
  write(keys: StoreKeysResult, expectedVersion: number, sealed: string): Promise<WriteResult>;
  close(): Promise<void>;
}

/** A node-redis client (createClient, createCluster, createSentinel) or an ioredis one (Redis, Cluster). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RedisClientLike = { evalSha(...args: any[]): Promise<unknown>; eval(...args: any[]): Promise<unknown> }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | { evalsha(...args: any[]): Promise<unknown>; eval(...args: any[]): Promise<unknown> };

/**
 * The Redis store over the application's connected client: the rules run on the server, in the scripts of
 * store/redis (EVALSHA, and EVAL after a NOSCRIPT), leases on the server's clock; single node, Cluster (both
 * keys of a session share one hash slot) or Sentinel.
 */
export declare class RedisStore implements Store {
  /** close: what close() does (default nothing: the client stays the application's). */
  constructor(client: RedisClientLike, options?: { close?: () => void | Promise<void>; backend?: BackendName | Backend });
  readonly kind: 'redis';
  readonly client: RedisClientLike;
  /** The scripts (store/redis): their text and SHA-1. */
  static readonly scripts: Readonly<Record<'read' | 'lease' | 'write', { text: string; sha: string }>>;
  read(keys: StoreKeysResult): Promise<StoredSession>;
  lease(keys: StoreKeysResult, action: LeaseAction, holder: string, ttlMs: number): Promise<boolean>;
  write(keys: StoreKeysResult, expectedVersion: number, sealed: string): Promise<WriteResult>;
  close(): Promise<void>;
}

export interface OpenStoreOptions extends Omit<FileStoreOptions, 'clock'> {
  /** The Redis client library: 'redis' (node-redis, default) or 'ioredis'; either is an optional peer dependency. */
  client?: 'redis' | 'ioredis';
  /** The Redis client's connection errors (it reconnects by itself meanwhile). */
  onError?: (error: Error) => void;
}

/**
 * A store from a URL: file:/dir (FileStore), redis://host:port[/db] or rediss:// (RedisStore on one node),
 * redis-cluster://host:port,host:port,... (RedisStore on a Redis Cluster). The Redis client is connected here,
 * with commands failing at once while it is disconnected, and closed by the store's close(); a first connection
 * that fails rejects with StoreUnavailableError.
 */
export declare function openStore(location: string, options?: OpenStoreOptions): Promise<FileStore | RedisStore>;
