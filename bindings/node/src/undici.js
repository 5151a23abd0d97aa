// The ES module entry of gstauth/undici: the same objects as undici.cjs.
export * from './undici.cjs';
import undici from './undici.cjs';
export default undici;
