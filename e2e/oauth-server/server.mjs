// A loopback OAuth 2.0 authorization server for gstauth's end-to-end tests
// and demo, built on oidc-provider (an OpenID Certified implementation of
// RFC 6749 and its extensions). Nothing here is an OAuth implementation of
// our own: this file only configures oidc-provider and binds it to
// 127.0.0.1. Every secret below is a published test value.
//
// Environment (all optional):
//   OAUTH_HOST               loopback address to bind (default 127.0.0.1; anything
//                            that is not loopback is refused)
//   OAUTH_PORT               port (default 0: the system picks a free one)
//   OAUTH_URL_FILE           once listening, the base URL (the issuer) is written here
//                            (default: E2E_URL_FILE, which e2e/scripts/server.sh sets)
//   OAUTH_ACCESS_TOKEN_TTL   access token lifetime in seconds (default 60)
//   OAUTH_REFRESH_TOKEN_TTL  refresh token lifetime in seconds (default 3600)
//   OAUTH_LOG                "1" logs one line per request (method, path, status) to stderr
//
// Besides oidc-provider's endpoints it serves, for the tests' counts (README.md,
// "Counts"): GET /api/resource, a resource server that takes the JWT access
// tokens this server issues and counts calls made with an expired or unknown
// token; GET /_admin/stats (and DELETE, to clear) for those counts and the token
// requests per client.
//
// See README.md for the clients, resources and endpoints it serves.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';

import Provider, { errors } from 'oidc-provider';

function envSeconds(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 366 * 24 * 3600) {
    throw new Error(`${name} must be a whole number of seconds between 1 and 31622400, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function isLoopback(host) {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1';
  return false;
}

const host = process.env.OAUTH_HOST || '127.0.0.1';
if (!isLoopback(host)) {
  throw new Error(`OAUTH_HOST must be a loopback address, got ${JSON.stringify(host)}: this server is for tests only`);
}
const port = Number(process.env.OAUTH_PORT || 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error('OAUTH_PORT must be a port number');
}
const accessTokenTTL = envSeconds('OAUTH_ACCESS_TOKEN_TTL', 60);
const refreshTokenTTL = envSeconds('OAUTH_REFRESH_TOKEN_TTL', 3600);
const logRequests = process.env.OAUTH_LOG === '1';

// Resource servers (RFC 8707). The JWT one is every client's default, so that
// access tokens are JWTs (RFC 9068) carrying exp and aud. oidc-provider does
// not store JWT access tokens, so introspection (RFC 7662) answers
// active:false for them; the opaque resource issues stored tokens that
// introspection reports as active.
const RESOURCE_JWT = 'urn:gstauth:e2e:api';
const RESOURCE_OPAQUE = 'urn:gstauth:e2e:api-opaque';
const RESOURCE_SCOPE = 'api:read api:write gstn-india';

const resourceServers = {
  [RESOURCE_JWT]: {
    scope: RESOURCE_SCOPE,
    audience: RESOURCE_JWT,
    accessTokenTTL,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  },
  [RESOURCE_OPAQUE]: {
    scope: RESOURCE_SCOPE,
    audience: RESOURCE_OPAQUE,
    accessTokenTTL,
    accessTokenFormat: 'opaque',
  },
};

// The clients. Secrets are test-only values, published in README.md.
const REDIRECT_URI = 'http://127.0.0.1/callback';
const clients = [
  {
    // Client credentials (RFC 6749 §4.4) authenticating with HTTP Basic
    // (§2.3.1).
    client_id: 'gstauth-e2e-cc-basic',
    client_secret: 'test-only-cc-basic-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    // Client credentials with the credentials in the form body (§2.3.1).
    client_id: 'gstauth-e2e-cc-post',
    client_secret: 'test-only-cc-post-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    // Client credentials with a secret that HTTP Basic must form-encode
    // first (RFC 6749 §2.3.1): a client that sends it raw is refused.
    client_id: 'gstauth-e2e-cc-special',
    client_secret: 'test-only: special/secret+with&chars%=?',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    // Client credentials whose access tokens are opaque (introspectable).
    client_id: 'gstauth-e2e-cc-opaque',
    client_secret: 'test-only-cc-opaque-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    // Authorization code with PKCE S256 (RFC 7636) and refresh tokens,
    // confidential (HTTP Basic at the token endpoint). A native client, so
    // the loopback redirect URI may carry any port (RFC 8252 §7.3).
    client_id: 'gstauth-e2e-code',
    client_secret: 'test-only-code-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
  },
  {
    // The same flow for a public client (no secret; PKCE is its proof).
    client_id: 'gstauth-e2e-code-public',
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
  },
  {
    // A resource server that may introspect any token (RFC 7662 §2.1).
    client_id: 'gstauth-e2e-introspector',
    client_secret: 'test-only-introspector-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [],
    response_types: [],
    redirect_uris: [],
  },
];

const defaultResourceOf = {
  'gstauth-e2e-cc-opaque': RESOURCE_OPAQUE,
};

// A fresh signing key per run: tokens from an earlier run never verify.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `e2e-${crypto.randomBytes(6).toString('hex')}`, use: 'sig', alg: 'RS256' };

function providerConfiguration() {
  return {
    clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access'],
    responseTypes: ['code'],
    pkce: {
      methods: ['S256'],
      required: () => true,
    },
    features: {
      // Login and consent are the library's development forms; a test drives
      // them with plain HTTP (GET the form, POST its fields).
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // The resource server client may introspect any token; other clients
        // only their own.
        allowedPolicy: async (ctx, caller, token) => caller.clientId === 'gstauth-e2e-introspector'
          || caller.clientId === token.clientId,
      },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => {
          if (oneOf) return oneOf[0];
          return defaultResourceOf[client.clientId] || RESOURCE_JWT;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resourceIndicator) => {
          const info = resourceServers[resourceIndicator];
          if (!info) throw new errors.InvalidTarget();
          return info;
        },
      },
    },
    // Refresh tokens for every client allowed the refresh_token grant, with
    // or without offline_access (which oidc-provider otherwise honours only
    // with prompt=consent), rotated on every use: the old one is refused
    // and presenting it again revokes the grant.
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: () => accessTokenTTL,
      ClientCredentials: () => accessTokenTTL,
      AuthorizationCode: 60,
      IdToken: accessTokenTTL,
      RefreshToken: () => refreshTokenTTL,
      Interaction: 600,
      Session: 3600,
      Grant: 3600 + refreshTokenTTL,
    },
    // No OpenID claims are needed; accounts are whatever the login form says.
    findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

// Counts for the tests: token requests per client, and the resource's calls.
// A token request is "early" when it arrives while the client's newest access
// token is in the first half of its lifetime: a second token in one window,
// which no client refreshing at its margin (at most a quarter of the lifetime,
// and a little jitter, before expiry) asks for.
let stats;
function resetStats() {
  stats = { clients: {}, resource: { calls: 0, ok: 0, expired_token_calls: 0, unknown_token_calls: 0 } };
}
resetStats();

function clientStats(id) {
  stats.clients[id] ??= { token_requests: 0, tokens_issued: 0, early_token_requests: 0, resource_calls: 0 };
  return stats.clients[id];
}

// The newest access token issued to each client: when, and for how long.
const newestToken = new Map();

async function countTokenRequests(ctx, next) {
  if (ctx.method !== 'POST' || ctx.path !== '/token') {
    await next();
    return;
  }
  const arrived = Date.now();
  try {
    await next();
  } finally {
    const id = ctx.oidc?.client?.clientId ?? '(unauthenticated)';
    const c = clientStats(id);
    c.token_requests += 1;
    const newest = newestToken.get(id);
    if (newest && arrived < newest.issuedAt + (newest.lifetime * 1000) / 2) {
      c.early_token_requests += 1;
    }
    if (ctx.status === 200 && ctx.body && typeof ctx.body.access_token === 'string') {
      c.tokens_issued += 1;
      newestToken.set(id, { issuedAt: arrived, lifetime: Number(ctx.body.expires_in) || accessTokenTTL });
    }
  }
}

const b64url = (text) => Buffer.from(text, 'base64url');
const publicKey = crypto.createPublicKey(privateKey);

// verifyAccessToken checks a JWT access token of this server (RFC 9068) for
// the JWT resource: 'ok' with its claims, 'expired' (a valid token past exp),
// or 'unknown' (anything else: no token, not a JWT, another key, another
// audience, a bad signature).
function verifyAccessToken(authorization) {
  const m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!m) return { verdict: 'unknown' };
  let header;
  let claims;
  try {
    header = JSON.parse(b64url(m[1]).toString('utf8'));
    claims = JSON.parse(b64url(m[2]).toString('utf8'));
  } catch {
    return { verdict: 'unknown' };
  }
  if (header.alg !== 'RS256' || header.kid !== signingKey.kid) return { verdict: 'unknown' };
  const signed = crypto.verify('RSA-SHA256', Buffer.from(`${m[1]}.${m[2]}`), publicKey, b64url(m[3]));
  const audience = [].concat(claims.aud ?? []);
  if (!signed || !audience.includes(RESOURCE_JWT) || typeof claims.exp !== 'number') return { verdict: 'unknown' };
  if (Date.now() >= claims.exp * 1000) return { verdict: 'expired', claims };
  return { verdict: 'ok', claims };
}

function sendJSON(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

// serveTestEndpoints answers /api/resource and /_admin/stats; false for any
// other path (oidc-provider's).
function serveTestEndpoints(req, res) {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/api/resource') {
    if (req.method !== 'GET') return sendJSON(res, 405, { error: 'method_not_allowed' }), true;
    stats.resource.calls += 1;
    const { verdict, claims } = verifyAccessToken(req.headers.authorization);
    if (verdict !== 'ok') {
      stats.resource[verdict === 'expired' ? 'expired_token_calls' : 'unknown_token_calls'] += 1;
      const description = verdict === 'expired' ? 'the access token expired' : 'the access token is not one of this server';
      // RFC 6750 §3.1.
      sendJSON(res, 401, { error: 'invalid_token', error_description: description },
        { 'www-authenticate': `Bearer error="invalid_token", error_description="${description}"` });
      return true;
    }
    stats.resource.ok += 1;
    clientStats(claims.client_id).resource_calls += 1;
    sendJSON(res, 200, { ok: true, client_id: claims.client_id, exp: claims.exp });
    return true;
  }
  if (path === '/_admin/stats') {
    if (req.method === 'GET') sendJSON(res, 200, stats);
    else if (req.method === 'DELETE') {
      resetStats();
      sendJSON(res, 200, stats);
    } else sendJSON(res, 405, { error: 'method_not_allowed' });
    return true;
  }
  return false;
}

const server = http.createServer();
server.listen(port, host, () => {
  const address = server.address();
  const hostPart = net.isIPv6(address.address) ? `[${address.address}]` : address.address;
  const issuer = `http://${hostPart}:${address.port}`;
  const provider = new Provider(issuer, providerConfiguration());
  if (logRequests) {
    provider.use(async (ctx, next) => {
      await next();
      // The path only: queries and bodies may carry codes and secrets.
      process.stderr.write(`oauth-server: ${ctx.method} ${ctx.path} ${ctx.status}\n`);
    });
  }
  provider.use(countTokenRequests);
  provider.on('server_error', (ctx, err) => {
    process.stderr.write(`oauth-server: server_error on ${ctx.path}: ${err.stack || err}\n`);
  });
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (!serveTestEndpoints(req, res)) callback(req, res);
  });
  const urlFile = process.env.OAUTH_URL_FILE || process.env.E2E_URL_FILE;
  if (urlFile) {
    fs.writeFileSync(`${urlFile}.tmp`, `${issuer}\n`);
    fs.renameSync(`${urlFile}.tmp`, urlFile);
  }
  process.stdout.write(`oauth-server: listening on ${issuer} (access tokens ${accessTokenTTL} s, refresh tokens ${refreshTokenTTL} s)\n`);
});

function shutdown(signal) {
  process.stdout.write(`oauth-server: ${signal}, stopping\n`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
