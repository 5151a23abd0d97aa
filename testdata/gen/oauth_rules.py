"""The OAuth and WhiteBIT lifecycle rules, written again in Python from the documentation.

core/doc.go (timing rules, lifetimes table) plus what the OAuth providers document: a code flow refreshes only while a
refresh token lives (refresh_expires_at_ms unknown = alive), a WhiteBIT Fast API Key token is never refreshed, and a
token bound to an mTLS certificate (token_binding) is due when the certificate to present may change and is
unusable once another certificate is the one to present (RFC 8705). The shared pieces (jitter, backoff, the session
shape) come from lifecycle_rules.py. Nothing here imports or runs gstauth.
"""
import base64
import json
from urllib.parse import quote_plus, urlencode

from lifecycle_rules import DAY, H, MAX_LIFETIME, MIN, S, TEXT, backoff, error, jitter, min_pos, response_output, session  # noqa: F401

# The OAuth rows of core/doc.go's lifetimes table.
POLICY = {
    "oauth_client_credentials": dict(margin=5 * MIN, leeway=10 * S, jitter=200, default=10 * MIN,
                                     renew_user=False, no_refresh=False),
    "oauth_password": dict(margin=5 * MIN, leeway=10 * S, jitter=200, default=10 * MIN,
                           renew_user=False, no_refresh=False),
    "oauth_authorization_code": dict(margin=5 * MIN, leeway=10 * S, jitter=200, default=10 * MIN,
                                     renew_user=True, no_refresh=False),
    "whitebit": dict(margin=60 * S, leeway=5 * S, jitter=200, default=5 * MIN, renew_user=True, no_refresh=False),
    "whitebit_fast_key": dict(margin=15 * MIN, leeway=10 * S, jitter=0, default=4 * H, renew_user=True, no_refresh=True),
}
USER = "the user must authorise again"
FIRST_STEP = {"oauth_client_credentials": "fix the credentials", "oauth_password": "fix the credentials",
              "oauth_authorization_code": USER, "whitebit": USER, "whitebit_fast_key": USER}
RENEW = "; get a new one with the stored credentials"


def select_certificate(certs, now):
    """The certificate effective at now that became effective last (the first listed on a tie), or None."""
    best = None
    for c in certs:
        if c["effective_from_ms"] <= now and (c["not_after_ms"] == 0 or now < c["not_after_ms"]):
            if best is None or c["effective_from_ms"] > best["effective_from_ms"]:
                best = c
    return best


def next_certificate_change(certs, after):
    nxt = 0
    for c in certs:
        for t in (c["effective_from_ms"], c["not_after_ms"]):
            if t > after:
                nxt = min_pos(nxt, t)
    return nxt


def rotated(s, now):
    bound = s.get("token_binding", {}).get("x5t_s256", "")
    certs = s.get("config", {}).get("certificates", [])
    if not bound or not certs:
        return False
    c = select_certificate(certs, now)
    return c is None or c["x5t_s256"] != bound


def refresh_live(s, at):
    return bool(s.get("refresh_token")) and (not s.get("refresh_expires_at_ms") or at < s["refresh_expires_at_ms"])


def timing(s):
    pol = POLICY[s["provider"]]
    cfg = s.get("config", {})
    exp, obtained = s["expires_at_ms"], s.get("obtained_at_ms", 0)
    lifetime = exp - obtained
    if not obtained or lifetime <= 0 or lifetime > MAX_LIFETIME:
        lifetime = pol["default"]
    leeway = min(pol["leeway"], lifetime // 10)
    usable = exp - leeway
    base_margin = cfg.get("refresh_margin_ms") or pol["margin"]
    margin = min(base_margin, lifetime * 250 // 1000)
    spread = margin * pol["jitter"] // 1000
    j = jitter(cfg.get("jitter_seed", ""), exp, spread)
    refresh = min(exp - margin - j, usable)
    why = [f"lifetime {lifetime}, leeway min({pol['leeway']}, {lifetime}/10) = {leeway}, "
           f"margin min({base_margin}, {lifetime}/4) = {margin}"
           + (f", jitter J({cfg.get('jitter_seed')!r}, {exp}, {spread}) = {j}" if spread and cfg.get("jitter_seed") else "")]
    refreshable = not pol["no_refresh"]
    if pol["renew_user"] and not pol["no_refresh"]:
        refreshable = bool(s.get("refresh_token")) and (not s.get("refresh_expires_at_ms") or s["refresh_expires_at_ms"] > refresh)
    why.append(f"refresh_at = {exp} - {margin}{' - ' + str(j) if j else ''} = {refresh}, usable until {exp} - {leeway} = {usable}")
    if s.get("token_binding"):
        change = next_certificate_change(cfg.get("certificates", []), obtained)
        if change:
            if change < refresh:
                why.append(f"the certificate to present may change at {change}: refresh_at = {change}")
            refresh = min(refresh, change)
    ua = s.get("user_action_at_ms", 0)
    if pol["renew_user"] and not refreshable:
        ua = min_pos(ua, usable)
        why.append(f"no refresh: user_action_at = {ua}")
    return dict(expires=exp, usable=usable, refresh=refresh, refreshable=refreshable, user_action=ua, why="; ".join(why))


def plan(s, now):
    """The plan, and the arithmetic behind it."""
    pol = POLICY[s["provider"]]
    has = bool(s.get("access_token"))
    t = timing(s) if has else None
    p = {"action": "", "state": "", "refresh_at_ms": t["refresh"] if has else 0, "expires_at_ms": t["expires"] if has else 0}
    if has and t["user_action"]:
        p["user_action_at_ms"] = t["user_action"]
    nb = s.get("retry_not_before_ms", 0)
    nb = nb if nb > now else 0
    why = t["why"] if has else "no token"

    def done(action, state, reason, msg, not_before=0):
        p.update(action=action, state=state, reason=reason, message=msg)
        if not_before:
            p["not_before_ms"] = not_before
        return p, why

    if s.get("needs_user"):
        return done("user_action", "expired" if has else "none", "needs_user", s["needs_user"])
    if not has:
        if pol["renew_user"]:
            return done("user_action", "none", "no_token", "no token yet: " + FIRST_STEP[s["provider"]])
        return done("renew", "none", "no_token", "no token yet: authenticate with the stored credentials", nb)
    rot = rotated(s, now)
    if now >= t["usable"] or s.get("rejected") or rot:
        reason, msg = "expired", "the token has expired"
        if s.get("rejected"):
            reason, msg = "rejected", "the provider rejected the token"
        elif rot and now < t["usable"]:
            reason, msg = "certificate_rotated", "the token is bound to a client certificate that is no longer presented"
        can = (not pol["renew_user"]) or (not pol["no_refresh"] and refresh_live(s, now))
        if can:
            return done("renew", "expired", reason, msg + RENEW, nb)
        return done("user_action", "expired", reason, msg + "; " + FIRST_STEP[s["provider"]])
    if now < t["refresh"]:
        return done("use", "fresh", "fresh", "the token is fresh")
    if not t["refreshable"]:
        return done("use", "stale", "no_refresh", "the token cannot be extended; a person must act when it ends")
    if nb:
        return done("use", "stale", "backoff",
                    "refresh is due but the last attempt failed; keep using the token until the retry instant", nb)
    return done("refresh", "stale", "refresh_due", "the token is valid but due for refresh")


def form(params: dict) -> str:
    """application/x-www-form-urlencoded with sorted keys (RFC 6749 Appendix B)."""
    return urlencode(sorted(params.items()), quote_via=quote_plus)


def basic(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: HTTP Basic over the form-urlencoded id and secret."""
    return "Basic " + base64.b64encode((quote_plus(client_id) + ":" + quote_plus(secret)).encode()).decode()


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(claims: dict) -> str:
    """A JWT whose payload carries claims; the signature is a placeholder (clients never verify access tokens)."""
    head = b64url(json.dumps({"alg": "RS256", "typ": "at+jwt"}, separators=(",", ":")).encode())
    return head + "." + b64url(json.dumps(claims, separators=(",", ":")).encode()) + ".c2lnbmF0dXJl"


FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
