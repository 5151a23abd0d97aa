// The ES module entry has the same exports as the CommonJS one (index.js re-exports index.cjs).
export * from './index.cjs';
import * as gstauth from './index.cjs';
export default gstauth;
