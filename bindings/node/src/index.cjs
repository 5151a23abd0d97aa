'use strict';
// gstauth for Node.js. Everything the package exports, from one CommonJS module (index.js re-exports it for
// `import`, so both entry points share one backend and one set of classes):
//
//   src/backend.cjs          the generic entry: call, callAsync, callRaw, callRawAsync, getBackend, Backend
//   src/generated/ops.cjs    the typed function of every op, one GstAuthError subclass per code (generated)
//   src/sessions.cjs         sessions: the refresh loop of docs/hosts.md, step by step flows, sealing
//   src/http.cjs             fetch: gstauthFetch, fetchSender, observationOf
//   src/undici.cjs           the undici interceptor (its own entry: gstauth/undici)
//   src/store/               the shared session stores: FileStore, RedisStore, openStore (docs/hosts.md)
//
// Only shorthand spreads of require() here, so that Node's ES module loader sees every name.

module.exports = {
  ...require('./backend.cjs'),
  ...require('./generated/ops.cjs'),
  ...require('./sessions.cjs'),
  ...require('./http.cjs'),
  ...require('./store/index.cjs'),
};
