// The ES module entry: the same objects as the CommonJS entry (index.cjs), so an application that both imports
// and requires gstauth shares one backend, and `instanceof GstAuthError` holds either way.
export * from './index.cjs';
import gstauth from './index.cjs';
export default gstauth;
