// Compiled (not run) by api.test.js: the declarations serve `import`.
import gstauth, { call, callAsync, callRaw, callRawAsync, getBackend, GstAuthError, type Backend, type JsonObject,
  type RawResult } from 'gstauth';

const out: JsonObject = call('pkce_s256', { verifier: 'v' });
const b: Backend = getBackend('wasm');
const raw: RawResult = callRaw('aes_ecb_encrypt_raw', { key: '' }, new Uint8Array(1));
const text: string = raw.data.toString('base64');
async function later(): Promise<void> {
  const a: JsonObject = await callAsync('ops', {});
  const r: RawResult = await callRawAsync('aes_ecb_encrypt_raw', {}, Buffer.alloc(1));
  void a; void r;
}
try {
  gstauth.call('x', {});
} catch (e) {
  if (e instanceof GstAuthError) {
    const code: string = e.code;
    const retry: number | undefined = e.retryAfterMs;
    const provider: string | undefined = e.providerCode;
    const retryable: boolean = e.retryable;
    void code; void retry; void provider; void retryable;
  }
}
// @ts-expect-error an op takes an object
call('pkce_s256', 'verifier');
// @ts-expect-error only two backends exist
getBackend('koffi');
void out; void b; void text; void later;
