#!/usr/bin/env bash
# Installs the packed gstauth tarball into a fresh project and calls both backends through both entry points,
# with a PATH that holds node and npm only (no go, no gcc, no cc) and no GSTAUTH_* variables: the package must
# carry everything it runs, and must not reach back into the repository.
#   usage: test-package.sh build/dist/gstauth-<version>.tgz <version>
set -euo pipefail
tgz="$1"
version="$2"

dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/bin" "$dir/app"
ln -s "$(command -v node)" "$dir/bin/node"
ln -s "$(command -v npm)" "$dir/bin/npm"

run() { (cd "$dir/app" && env -i PATH="$dir/bin" HOME="$HOME" "$@"); }

for tool in go gcc cc g++ clang make; do
  if run /usr/bin/env sh -c "command -v $tool" >/dev/null 2>&1; then
    echo "test-package: $tool is still on PATH" >&2
    exit 1
  fi
done

run npm init -y >/dev/null
run npm install --no-audit --no-fund --prefer-offline --loglevel=error "$tgz"

cat >"$dir/app/check.cjs" <<'JS'
const assert = require('node:assert/strict');
const path = require('node:path');
const gstauth = require('gstauth');
const here = path.join(__dirname, 'node_modules', 'gstauth');
assert.ok(require.resolve('gstauth').startsWith(here), 'gstauth resolves inside the project');
const key = Buffer.alloc(32, 7).toString('base64');
const out = {};
for (const name of ['cshared', 'wasm']) {
  const b = gstauth.getBackend(name);
  assert.equal(b.version, process.argv[2], `${name} version`);
  out[name] = [b.call('aes_ecb_encrypt', { key, plaintext: 'aGVsbG8=' }).ciphertext,
    b.callRaw('aes_ecb_encrypt_raw', { key }, Buffer.from('hello')).data.toString('base64')];
}
assert.deepEqual(out.cshared, out.wasm);
assert.equal(out.cshared[0], out.cshared[1]);
// The generated typed surface and the sessions, and gstauth/undici without undici installed (an optional peer).
const typed = gstauth.aesEcbEncrypt({ key: Buffer.alloc(32, 7), plaintext: Buffer.from('hello') }).ciphertext;
assert.equal(typed.toString('base64'), out.cshared[0]);
assert.throws(() => gstauth.aesEcbDecrypt({ key: Buffer.alloc(32), ciphertext: Buffer.alloc(15) }), gstauth.DecryptFailedError);
assert.equal(new gstauth.GstnSession({ account: 'a', config: {} }).plan().action, 'user_action');
assert.equal(typeof require('gstauth/undici').gstauthInterceptor, 'function');
assert.throws(() => require.resolve('undici'), /Cannot find module/);
assert.equal(require('gstauth/package.json').version, process.argv[2]);
console.log(`require: both backends agree (${out.cshared[0]}), version ${process.argv[2]}`);
JS
cat >"$dir/app/store.cjs" <<'JS'
// The shared stores from the installed package: the file store's flock through the prebuilt addon, the Redis
// scripts it carries (the repository's store/redis, byte for byte), redis and ioredis optional and absent.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { FileStore, RedisStore, openStore, storeKeys } = require('gstauth');
(async () => {
  const here = path.join(__dirname, 'node_modules', 'gstauth', 'store', 'redis');
  for (const [name, s] of Object.entries(RedisStore.scripts)) {
    const text = fs.readFileSync(path.join(here, `${name}.lua`), 'utf8');
    assert.equal(s.text, text, name);
    assert.equal(s.sha, crypto.createHash('sha1').update(text).digest('hex'));
  }
  const store = new FileStore(fs.mkdtempSync(path.join(os.tmpdir(), 'gstauth-pkg-')));
  const keys = storeKeys({ provider: 'gstn', account: 'a' });
  assert.deepEqual(await store.write(keys, 0, 'sealed'), { written: true, version: 1 });
  assert.equal(await store.lease(keys, 'take', 'p:1', 1000), true);
  await assert.rejects(openStore('redis://127.0.0.1:1'), /Cannot find module 'redis'/);
  console.log('store: the file store locks through the prebuilt addon; the Redis scripts are in the package');
})().catch((e) => { console.error(e); process.exit(1); });
JS
cat >"$dir/app/check.mjs" <<'JS'
import { createRequire } from 'node:module';
import { call, getBackend, GstAuthError, pkceS256, gstauthFetch } from 'gstauth';
import { gstauthInterceptor } from 'gstauth/undici';
if (typeof gstauthInterceptor !== 'function' || typeof gstauthFetch !== 'function') throw new Error('missing exports');
if (pkceS256({ verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' }).challenge !== 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM') {
  throw new Error('pkceS256');
}
const require = createRequire(import.meta.url);
if (GstAuthError !== require('gstauth').GstAuthError) throw new Error('import and require see two modules');
try {
  call('aes_ecb_decrypt', { key: Buffer.alloc(32).toString('base64'), ciphertext: '' });
  throw new Error('no error');
} catch (e) {
  if (!(e instanceof GstAuthError) || typeof e.code !== 'string') throw e;
  console.log(`import: GstAuthError ${e.code} from ${getBackend().name}`);
}
JS
run node check.cjs "$version"
run node check.mjs
run node store.cjs
echo "test-package: gstauth-$version installs and runs with no compiler and no Go"
