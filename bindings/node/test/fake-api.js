// A fake OAuth token endpoint and bearer API on loopback (node:http), for the HTTP adapters' tests. Tokens are
// valid until revoked; the API answers 401 with WWW-Authenticate error="invalid_token" (RFC 6750) otherwise, and
// echoes what it received.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import zlib from 'node:zlib';

export async function startFakeApi({ tokenDelayMs = 30 } = {}) {
  const srv = {
    tokensIssued: 0,
    apiCalls: 0,
    valid: new Set(),
    rejectAll: false,
    endOldTokens: false, // a new token ends the old ones when it is issued (as GSTN's REFRESHTOKEN does)
    gzip: false,
    seen: [], // the API requests: {method, url, headers, body}
  };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/oauth/token') {
      if (srv.endOldTokens) srv.valid.clear(); // before it answers: calls in flight with the old token are refused
      await sleep(tokenDelayMs); // let every other caller pile up behind the exchange
      const tok = `tok-${++srv.tokensIssued}`;
      srv.valid.add(tok);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: tok, token_type: 'Bearer', expires_in: 3600 }));
      return;
    }
    srv.apiCalls++;
    srv.seen.push({ method: req.method, url: req.url, headers: req.headers, body });
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (srv.rejectAll || !srv.valid.has(token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_token' }));
      return;
    }
    if (req.url === '/api/empty') {
      res.writeHead(204);
      res.end();
      return;
    }
    const out = JSON.stringify({ ok: true, method: req.method, token, body });
    if (srv.gzip) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync(out));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-echo': 'yes' });
    res.end(out);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  srv.url = `http://127.0.0.1:${server.address().port}`;
  srv.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  });
  return srv;
}
