// Compiled (not run) by api.test.js: the declarations serve `require`.
import gstauth = require('gstauth');
import gstauthUndici = require('gstauth/undici');

const out: gstauth.JsonObject = gstauth.call('pkce_s256', { verifier: 'v' });
const name: 'cshared' | 'wasm' = gstauth.getBackend().name;
const e = new gstauth.GstAuthError('invalid_input', 'message', { retryable: true });
const data: Buffer = gstauth.callRaw('aes_ecb_encrypt_raw', {}, Buffer.alloc(1)).data;
// @ts-expect-error raw data is bytes, not text
gstauth.callRaw('aes_ecb_encrypt_raw', {}, 'data');
const session = new gstauth.OAuthClientCredentialsSession({ account: 'c', config: { client_id: 'c' } });
const interceptor = gstauthUndici.gstauthInterceptor(session);
const fetchFn: gstauth.GstAuthFetch = gstauth.gstauthFetch(session);
const err: gstauth.GstAuthError = new gstauth.ERRORS.rate_limited("slow down", { retryAfterMs: 5000 });
void out; void name; void e; void data; void interceptor; void fetchFn; void err;
