'use strict';
// Where the artifacts are: named by an environment variable, bundled in the package, or built in a checkout.

const fs = require('node:fs');
const path = require('node:path');

const PACKAGE_DIR = path.dirname(__dirname);
const PLATFORM = `${process.platform}-${process.arch}`;

/**
 * The artifact named by env, else the one bundled in the package (bundled, relative to the package), else the
 * one in a development checkout's build/ directory (checkout, relative to build/).
 * @param {string | undefined} env the name of an environment variable that may name the file
 * @param {string} bundled
 * @param {string} checkout
 * @returns {string}
 */
function locate(env, bundled, checkout) {
  const named = env ? process.env[env] : undefined;
  if (named) {
    if (!fs.existsSync(named)) throw new Error(`gstauth: ${env} names ${named}, which does not exist`);
    return path.resolve(named);
  }
  const candidates = [path.join(PACKAGE_DIR, bundled)];
  for (let dir = PACKAGE_DIR, i = 0; i < 6; i++) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
    candidates.push(path.join(dir, 'build', checkout));
  }
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    const hint = env ? `, or set ${env}` : '';
    throw new Error(`gstauth: cannot find ${path.basename(bundled)} (looked in ${candidates[0]} and a checkout's ` +
      `build/${checkout}): install the gstauth package for ${PLATFORM}, run \`make node\` in the repository${hint}`);
  }
  return found;
}

/**
 * The directory of the Redis store's Lua scripts (read.lua, lease.lua, write.lua): the package's own copy
 * (store/redis, packed by `make node` from the repository's store/redis), else a checkout's store/redis.
 * @returns {string}
 */
function redisScriptsDir() {
  const candidates = [];
  for (let dir = PACKAGE_DIR, i = 0; i < 7; i++) {
    candidates.push(path.join(dir, 'store', 'redis'));
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'read.lua')));
  if (!found) {
    throw new Error(`gstauth: cannot find the Redis store's scripts (looked in ${candidates[0]} and a checkout's ` +
      'store/redis): reinstall the gstauth package, or run `make node` in the repository');
  }
  return found;
}

module.exports = {
  redisScriptsDir,
  PLATFORM,
  addonPath: () => locate(undefined, `prebuilds/${PLATFORM}/gstauth.node`, 'node/gstauth.node'),
  libraryPath: () => locate('GSTAUTH_LIBRARY', `prebuilds/${PLATFORM}/libgstauth.so`, 'libgstauth.so'),
  wasmPath: () => locate('GSTAUTH_WASM', 'wasm/gstauth.wasm', 'gstauth.wasm'),
};
