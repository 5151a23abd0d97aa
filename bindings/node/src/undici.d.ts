// The ES module entry of gstauth/undici has the same exports as the CommonJS one (undici.js re-exports undici.cjs).
export * from './undici.cjs';
import * as undici from './undici.cjs';
export default undici;
