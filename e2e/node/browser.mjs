// A person at oidc-provider's authorization endpoint, without a browser: fetch with a cookie jar drives the
// development login and consent forms (e2e/oauth-server/README.md) and stops at the redirect to the client's
// redirect URI, which it returns. The same walk as e2e/go/interaction_test.go.

const formRe = /<form[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i;
const hiddenRe = /<input[^>]*\btype="hidden"[^>]*\bname="([^"]*)"[^>]*\bvalue="([^"]*)"/gi;

function unescapeHtml(s) {
  return s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/**
 * Signs in as `login`, consents, and returns the URL the server redirected the user agent to (at redirectUri).
 * @param {string} authUrl
 * @param {string} redirectUri
 * @param {string} login
 */
export async function authorize(authUrl, redirectUri, login) {
  const jar = new Map();
  const callback = new URL(redirectUri);
  let method = 'GET';
  let target = authUrl;
  let body;
  for (let step = 0; step < 16; step++) {
    const headers = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(target, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    const page = await res.text();
    if (res.status >= 300 && res.status < 400) {
      const loc = new URL(res.headers.get('location'), target);
      if (loc.protocol === callback.protocol && loc.hostname === callback.hostname && loc.pathname === callback.pathname) {
        return loc.toString();
      }
      [method, target, body] = ['GET', loc.toString(), undefined];
      continue;
    }
    if (res.status !== 200) throw new Error(`step ${step}: ${method} ${target} answered HTTP ${res.status}`);
    const m = formRe.exec(page);
    if (!m) throw new Error(`step ${step}: the page has no form`);
    const fields = new URLSearchParams();
    for (const [, k, v] of m[2].matchAll(hiddenRe)) fields.append(unescapeHtml(k), unescapeHtml(v));
    if (fields.get('prompt') === 'login') {
      fields.set('login', login);
      fields.set('password', 'any password: the development form accepts all');
    } else if (fields.get('prompt') !== 'consent') {
      throw new Error(`step ${step}: a form with prompt ${fields.get('prompt')}`);
    }
    [method, target, body] = ['POST', new URL(unescapeHtml(m[1]), target).toString(), fields.toString()];
  }
  throw new Error(`no redirect to ${redirectUri} after 16 steps`);
}
