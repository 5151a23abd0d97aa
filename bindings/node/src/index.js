// The ES module entry: the same objects as the CommonJS entry (index.cjs), so an application that both imports
// and requires gstauth shares one backend, and `instanceof GstAuthError` holds either way.
import gstauth from './index.cjs';

export const { call, callAsync, callRaw, callRawAsync, getBackend, GstAuthError, Backend } = gstauth;
export default gstauth;
