// `make` runs this after the Python demo: gstauth's Node client through the same GSTN, e-invoice and OAuth flows
// (flows.mjs) against the local GST emulator and a real OAuth server, once over the shared library and once over
// the WebAssembly plugin. It prints the same facts as e2e/python/demo.py; with --facts FILE it also writes them as
// JSON. The servers' URLs come from GSTAUTH_SANDBOX_URL and GSTAUTH_OAUTH_URL (mk/demo.mk starts both).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { getBackend } from '../../bindings/node/src/index.js';
import { runAll } from './flows.mjs';

const locate = createRequire(import.meta.url)('../../bindings/node/src/locate.cjs');
const ARTIFACT = { cshared: () => locate.libraryPath(), wasm: () => locate.wasmPath() };

async function main() {
  const sandbox = process.env.GSTAUTH_SANDBOX_URL;
  const oauth = process.env.GSTAUTH_OAUTH_URL;
  if (!sandbox || !oauth) {
    console.error('demo.mjs: set GSTAUTH_SANDBOX_URL and GSTAUTH_OAUTH_URL (make demo starts both servers)');
    return 2;
  }
  const factsFile = process.argv[2] === '--facts' ? process.argv[3] : undefined;
  console.log(`gstauth demo (Node.js ${process.version}) — GST emulator at ${sandbox}, oidc-provider at ${oauth}\n`);
  const results = {};
  for (const backend of ['cshared', 'wasm']) {
    getBackend(backend);
    console.log(`── backend ${backend}: ${path.basename(ARTIFACT[backend]())} ──`);
    results[backend] = await runAll(sandbox, oauth, backend, (s) => console.log(`  ${s}`));
    console.log();
  }
  const same = isDeepStrictEqual(results.cshared, results.wasm);
  console.log('── both backends ──');
  for (const area of Object.keys(results.cshared)) {
    const mark = isDeepStrictEqual(results.cshared[area], results.wasm[area]) ? 'identical' : 'DIFFERENT';
    console.log(`  ${area.padEnd(9)} ${mark}: ${JSON.stringify(results.cshared[area])}`);
  }
  console.log(same ? '\nthe shared library and the plugin produced identical results' : '\nthe backends DIFFER');
  if (factsFile) fs.writeFileSync(factsFile, `${JSON.stringify(results, null, 2)}\n`);
  return same ? 0 : 1;
}

process.exitCode = await main();
