"""The lifecycle rules of core/doc.go, written again in Python from the documentation.

The vector generators compute every expected instant with these functions and write the arithmetic into each
test's comment. Nothing here imports or runs gstauth.
"""
import hashlib

S = 1000
MIN = 60 * S
H = 60 * MIN
DAY = 24 * H
MAX_LIFETIME = 366 * DAY

# Each provider's policy: the lifetimes table of core/doc.go.
POLICY = {
    "gstn": dict(margin=10 * MIN, leeway=30 * S, jitter=200, window=0, default=6 * H,
                 renew_user=True, before_only=True, no_refresh=False),
    "nic_einvoice": dict(margin=8 * MIN, leeway=30 * S, jitter=200, window=10 * MIN, default=6 * H,
                         renew_user=False, before_only=False, no_refresh=False),
    "nic_ewaybill": dict(margin=10 * MIN, leeway=30 * S, jitter=200, window=0, default=6 * H,
                         renew_user=False, before_only=False, no_refresh=False),
    "gateway_task": dict(margin=10 * MIN, leeway=30 * S, jitter=0, window=0, default=6 * H,
                         renew_user=True, before_only=False, no_refresh=True),
}

FIRST_STEP = {"gstn": "the taxpayer must give a new OTP", "gateway_task": "the taxpayer must give a new OTP"}
RENEW = "; get a new one with the stored credentials"


def jitter(seed: str, expires_at: int, spread: int) -> int:
    """SHA-256("gstauth jitter v1" 0x00 seed 0x00 int64be(expires_at)), first 8 bytes big-endian mod (spread+1)."""
    if not seed or spread <= 0:
        return 0
    msg = b"gstauth jitter v1\x00" + seed.encode() + b"\x00" + (expires_at % (1 << 64)).to_bytes(8, "big")
    return int.from_bytes(hashlib.sha256(msg).digest()[:8], "big") % (spread + 1)


def backoff(seed: str, n: int) -> int:
    """min(1 s * 2^(n-1), 5 min) + Jitter(seed, n, that/5)."""
    d = min(S << (n - 1), 5 * MIN) if n <= 20 else 5 * MIN
    return d + jitter(seed, n, d // 5)


def timing(s: dict) -> dict:
    """The derived instants of a session with a token, and how they were reached."""
    pol = POLICY[s["provider"]]
    cfg = s.get("config", {})
    why = []
    exp = s["expires_at_ms"]
    win = s.get("access_window_ends_at_ms", 0)
    if win:
        exp = min(exp, win)
        why.append(f"expires_at = min(expiry, window end) = {exp}")
    obtained = s.get("obtained_at_ms", 0)
    lifetime = exp - obtained
    if not obtained or lifetime <= 0 or lifetime > MAX_LIFETIME:
        lifetime = pol["default"]
    leeway = min(pol["leeway"], lifetime // 10)
    usable = exp - leeway
    margin = cfg.get("refresh_margin_ms") or pol["margin"]
    margin = min(margin, lifetime * 250 // 1000)
    spread = margin * pol["jitter"] // 1000
    j = jitter(cfg.get("jitter_seed", ""), exp, spread)
    refresh = exp - margin - j
    why.append(f"lifetime {lifetime}, leeway min({pol['leeway']}, {lifetime}/10) = {leeway}, "
               f"margin min({cfg.get('refresh_margin_ms') or pol['margin']}, {lifetime}/4) = {margin}"
               + (f", jitter J(seed, {exp}, {spread}) = {j}" if spread and cfg.get("jitter_seed") else ""))
    if pol["window"]:
        floor = exp - pol["window"] + 1
        if refresh < floor:
            why.append(f"refresh_at clamped into the last {pol['window'] // MIN} min: {exp} - {pol['window']} + 1")
        refresh = max(refresh, floor)
    refresh = min(refresh, usable)
    refreshable = not pol["no_refresh"]
    if win and win <= s["expires_at_ms"]:
        refreshable = False
    ua = s.get("user_action_at_ms", 0)
    if pol["renew_user"] and not refreshable:
        ua = min_pos(ua, usable)
    if win:
        ua = min_pos(ua, win - leeway)
    why.append(f"refresh_at = {exp} - {margin}{' - ' + str(j) if j else ''} = {refresh}, usable until {exp} - {leeway} = {usable}")
    return dict(expires=exp, usable=usable, refresh=refresh, refreshable=refreshable, user_action=ua,
                why="; ".join(why))


def min_pos(a, b):
    if a <= 0:
        return b
    if b <= 0:
        return a
    return min(a, b)


def plan(s: dict, now: int):
    """The plan of core/doc.go's rules, and the arithmetic behind it."""
    pol = POLICY[s["provider"]]
    has = bool(s.get("access_token"))
    t = timing(s) if has else None
    p = {"action": "", "state": "", "refresh_at_ms": t["refresh"] if has else 0,
         "expires_at_ms": t["expires"] if has else 0}
    if has and t["user_action"]:
        p["user_action_at_ms"] = t["user_action"]
    not_before = s.get("retry_not_before_ms", 0) if s.get("retry_not_before_ms", 0) > now else 0
    why = t["why"] if has else "no token"

    def done(action, state, reason, msg, nb=0):
        p.update(action=action, state=state, reason=reason, message=msg)
        if nb:
            p["not_before_ms"] = nb
        return p, why

    if s.get("needs_user"):
        return done("user_action", "expired" if has else "none", "needs_user", s["needs_user"])
    if not has:
        if pol["renew_user"]:
            return done("user_action", "none", "no_token", "no token yet: " + FIRST_STEP[s["provider"]])
        return done("renew", "none", "no_token", "no token yet: authenticate with the stored credentials", not_before)
    if now >= t["usable"] or s.get("rejected"):
        reason, msg = ("rejected", "the provider rejected the token") if s.get("rejected") else ("expired", "the token has expired")
        if not pol["renew_user"]:
            return done("renew", "expired", reason, msg + RENEW, not_before)
        return done("user_action", "expired", reason, msg + "; " + FIRST_STEP[s["provider"]])
    if now < t["refresh"]:
        return done("use", "fresh", "fresh", "the token is fresh")
    if not t["refreshable"]:
        win = s.get("access_window_ends_at_ms", 0)
        reason = "access_window_ending" if win and win <= s["expires_at_ms"] else "no_refresh"
        return done("use", "stale", reason, "the token cannot be extended; a person must act when it ends")
    if not_before:
        return done("use", "stale", "backoff",
                    "refresh is due but the last attempt failed; keep using the token until the retry instant", not_before)
    return done("refresh", "stale", "refresh_due", "the token is valid but due for refresh")


SESSION_VERSION = 2

# Text written for people (an error's message, a session's needs_user and last_error.message): the contract fixes
# its type, not its words (testdata/vectors/README.md). common.write puts a placeholder sentence in its place where
# such a value goes back into an input.
TEXT = {"$type": "string"}


def session(provider, account, config, **fields):
    """A session as gstauth serialises it (core/doc.go, "Session JSON (version 2)"): empty fields omitted."""
    s = {"version": SESSION_VERSION, "provider": provider, "account": account, "config": config}
    for k, v in fields.items():
        if v not in (None, 0, "", False, b"", {}):
            s[k] = v
    return s


def error(code, provider_code=None, retry_after_ms=None, retryable=None):
    """The error object of the contract ({code, message, provider_code?, retry_after_ms?, retryable?}), its message
    for people."""
    e = {"code": code, "message": TEXT}
    if provider_code:
        e["provider_code"] = provider_code
    if retry_after_ms:
        e["retry_after_ms"] = retry_after_ms
    if retryable:
        e["retryable"] = True
    return e


def outcome_of(e):
    """core.OutcomeOf as documented: no error is ok; a retryable error is retry_later; otherwise the class its code
    stands for in the catalogue's table (core/doc.go)."""
    if e is None:
        return "ok"
    code = e["code"]
    if code == "reauth_required":
        return "reauthenticate"
    if code == "certificate_stale":
        return "stale_certificate"
    if e.get("retryable"):
        return "retry_later"
    if code in ("user_action_required", "token_expired"):
        return "user_action"
    if code == "config_invalid":
        return "configuration"
    return "provider_error"


def response_output(session_after, e=None):
    """session_response's output: the session (its last_error is the failure, on every failure; a success clears
    it), the outcome, and the error."""
    s = dict(session_after)
    s.pop("last_error", None)
    out = {"session": s, "outcome": outcome_of(e)}
    if e:
        s["last_error"] = dict(e)
        out["error"] = e
    return out
