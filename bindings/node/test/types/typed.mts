// Compiled (not run) by api.test.js with --strict: the generated surface, sessions and the HTTP adapters as an
// application in TypeScript uses them.
import { Agent, request } from 'undici';
import {
  aesEcbEncryptRaw, aesEcbEncryptRawAsync, DecryptFailedError, ERRORS, EInvoiceSession, GstAuthError, gstauthFetch,
  gstnEncryptRequest, gstnEncryptRequestRaw, GstnSession, observationOf, OAuthClientCredentialsSession, OPS, pkceS256,
  Session, SESSION_CLASSES, sessionEnsure, sessionNew, sessionPlan, verifySignedJwt, version,
  type Config, type Credentials, type ErrorCode, type HTTPRequest, type Outcome, type Plan, type Provider,
  type ResponseLike, type SessionState, type Step,
  FileStore, openStore, RedisStore, storeKeys, type SharedInfo, type Store, type StoredSession, type StoreEvent,
  type WriteResult,
} from 'gstauth';
import { dispatcherSender, gstauthInterceptor } from 'gstauth/undici';

const key = new Uint8Array(32);
const { challenge }: { challenge: string } = pkceS256({ verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' });
const enc = gstnEncryptRequest({ sek: key, payload: { gstin: '27AAACR5055K1Z7' } }, { backend: 'wasm' });
const data: string = enc.data;
const raw: { hmac: string; data: Buffer } = gstnEncryptRequestRaw({ sek: Buffer.alloc(32) }, Buffer.from('{}'));
const ct: Buffer = aesEcbEncryptRaw({ key }, new Uint8Array(16));
const later: Promise<Buffer> = aesEcbEncryptRawAsync({ key }, ct);
const v: string = version().version;
const state: SessionState = sessionNew({ account: 'a', provider: 'gstn' }).session;
const plan: Plan = sessionPlan({ session: state, nowMs: Date.now() });
const action: 'use' | 'refresh' | 'renew' | 'user_action' = plan.action;
const d = sessionEnsure({ session: state, nowMs: 0, stage: 'check' });
const token: string | undefined = d.accessToken;
const req: HTTPRequest | undefined = d.request;
const jwt = verifySignedJwt({ jwt: 'x.y.z', certificates: ['pem'] });
const claims: Record<string, unknown> = jwt.claims;
const code: ErrorCode = 'decrypt_failed';
const cls: typeof DecryptFailedError = ERRORS[code];
const op: string = OPS[0];
// @ts-expect-error fields are camelCase
sessionEnsure({ session: state, now_ms: 0, stage: 'check' });
// @ts-expect-error binary values are bytes, not base64 text
gstnEncryptRequest({ sek: 'AAAA', payload: '{}' });
// @ts-expect-error an enum is one of its values
sessionNew({ account: 'a', provider: 'gstn-india' });

const config: Config = { base_url: 'https://api.example/taxpayerapi/v1.0', client_id: 'id', gstin: '27AAACR5055K1Z7',
  username: 'user', ip_usr: '10.0.0.1' };
const credentials: Credentials = { client_secret: 'secret', public_key: 'PEM' };
const gst = new GstnSession({ account: 'a', config, credentials, clock: () => Date.now(),
  onChange: async (s: Session) => { void s.seal(key, 'k1'); }, loadCertificate: async () => 'PEM' });
async function flows(): Promise<void> {
  await gst.requestOtp();
  await gst.authenticate('575757');
  const t: string = await gst.ensure();
  const h: Record<string, string> = gst.headers({ retPeriod: '042026' });
  const body = { action: 'RETSAVE', ...(await gst.encrypt({ gstin: '27AAACR5055K1Z7' })) };
  const fetchGst = gstauthFetch(gst, { retPeriod: '042026' });
  const res = await fetchGst('https://api.example/returns/gstr1', { method: 'POST', body: JSON.stringify(body),
    gstauth: { retPeriod: '052026' } });
  const outcome: Outcome | undefined = observationOf(res)?.outcome;
  const opened: GstnSession = GstnSession.open(gst.seal(key, 'k1'), { k1: key });
  const any: Session = Session.open('sealed', new Map([['k1', key]]));
  const einv = new EInvoiceSession({ account: 'b', config, credentials });
  await einv.authenticate();
  const step: Step = 'force_refresh';
  await einv.exchange(step);
  const oauth = new OAuthClientCredentialsSession({ account: 'c', config: { token_url: 'https://t', client_id: 'c' },
    credentials: { client_secret: 's' }, send: dispatcherSender(new Agent()) });
  const agent = new Agent().compose(gstauthInterceptor(oauth, { onObservation: (o) => void o.outcome }));
  const r = await request('https://api.example/x', { dispatcher: agent });
  const handled: Outcome = await oauth.handle({ status: 200, headers: { a: 'b' }, body: '{}' } satisfies ResponseLike);
  const p: Provider = oauth.provider;
  const cls2: typeof Session = SESSION_CLASSES.gstn;
  try {
    await oauth.ensure();
  } catch (e) {
    if (e instanceof GstAuthError) {
      const retry: number | undefined = e.retryAfterMs;
      void retry;
    }
  }
  void t; void h; void outcome; void opened; void any; void r; void handled; void p; void cls2;
}
// A session shared by processes through a store.
export async function shared(): Promise<void> {
  const store: Store = new FileStore('/tmp/store', { lock: 'flock', lockTimeoutMs: 5000 });
  const redis = await openStore('redis://127.0.0.1:6379', { client: 'ioredis', onError: (e) => void e.message });
  const keys = storeKeys({ provider: 'gstn', account: 'a' });
  const rec: StoredSession = await store.read(keys);
  const granted: boolean = await redis.lease(keys, 'take', 'worker-1:42', 30_000);
  const w: WriteResult = await store.write(keys, rec.version, 'sealed');
  const s = new GstnSession({ account: 'a', store, sealKeys: [{ keyId: 'k2', key }, { keyId: 'k1', key }],
    holder: 'worker-1:42', leaseTtlMs: 30_000, waitTimeoutMs: 10_000,
    onStoreEvent: (e: StoreEvent) => { if (e.type === 'wait') void e.deadlineMs; } });
  const version: number = await s.pull();
  const saved: boolean = await s.save();
  const info: SharedInfo | null = s.shared;
  const exchanges: number | undefined = info?.stats.exchanges;
  const viaClient = new RedisStore({ evalSha: async () => 0, eval: async () => 0 });
  void granted; void w; void version; void saved; void exchanges; void viaClient; void RedisStore.scripts.read.sha;
}
// @ts-expect-error a session needs an object of options
new GstnSession('a');
void challenge; void data; void raw; void later; void v; void action; void token; void req; void claims; void cls;
void op; void flows;
