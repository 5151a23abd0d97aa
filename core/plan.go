package core

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/gstauth/gstauth/gstcrypto"
)

// Action is what the host should do next with a session.
type Action string

// The actions.
const (
	// ActionUse: the token is fresh; use it.
	ActionUse Action = "use"
	// ActionRefresh: the token is still valid but due; renew it now (one
	// caller at a time) and keep using it meanwhile.
	ActionRefresh Action = "refresh"
	// ActionRenew: the token is unusable; get a new one with the stored
	// credentials before the next call. No person is needed.
	ActionRenew Action = "renew"
	// ActionUserAction: a person must act (an OTP, a consent, fixed
	// credentials) before the session can continue.
	ActionUserAction Action = "user_action"
)

// Reason says why a plan is what it is. Reasons are stable, snake_case and
// append-only.
type Reason string

// The reasons.
const (
	ReasonFresh              Reason = "fresh"
	ReasonRefreshDue         Reason = "refresh_due"
	ReasonBackoff            Reason = "backoff"
	ReasonNoToken            Reason = "no_token"
	ReasonExpired            Reason = "expired"
	ReasonRejected           Reason = "rejected"
	ReasonNeedsUser          Reason = "needs_user"
	ReasonAccessWindowEnding Reason = "access_window_ending"
	ReasonNoRefresh          Reason = "no_refresh"
	// ReasonCertificateRotated: the token is bound (RFC 8705) to a client
	// certificate that is no longer the one to present.
	ReasonCertificateRotated Reason = "certificate_rotated"
)

// Reasons lists every reason.
var Reasons = []Reason{ReasonFresh, ReasonRefreshDue, ReasonBackoff, ReasonNoToken, ReasonExpired, ReasonRejected,
	ReasonNeedsUser, ReasonAccessWindowEnding, ReasonNoRefresh, ReasonCertificateRotated}

// TokenState is the state of a session's token at an instant (the package
// documentation's timing rules).
type TokenState string

// The token states.
const (
	// TokenNone: there is no token.
	TokenNone TokenState = "none"
	// TokenFresh: use it.
	TokenFresh TokenState = "fresh"
	// TokenStale: still valid, due for refresh (or, when nothing can extend
	// it, for a person's attention).
	TokenStale TokenState = "stale"
	// TokenExpired: unusable; never used again.
	TokenExpired TokenState = "expired"
)

// Actions lists every action.
var Actions = []Action{ActionUse, ActionRefresh, ActionRenew, ActionUserAction}

// Plan is the planner's decision for one session at one instant.
type Plan struct {
	Action Action `json:"action"`
	// State is the token's state.
	State TokenState `json:"state"`
	// RefreshAtMs is when the token turns stale: due for refresh or, when
	// nothing can extend it, when the host should warn that a person must
	// act by UserActionAtMs. 0 without a token.
	RefreshAtMs int64 `json:"refresh_at_ms"`
	// ExpiresAtMs is the token's expiry; the planner stops using the token
	// a leeway before it. 0 without a token.
	ExpiresAtMs int64 `json:"expires_at_ms"`
	// NotBeforeMs, when set, is the earliest instant to send the refresh or
	// renewal (backoff after a retryable failure, a provider's rate limit).
	NotBeforeMs int64 `json:"not_before_ms,omitempty"`
	// UserActionAtMs, when set, is when a person will have to act (the end
	// of a GSTN API-access window or of a token that cannot be refreshed).
	UserActionAtMs int64 `json:"user_action_at_ms,omitempty"`
	// Reason is one of the Reason* codes; Message says it for people.
	Reason  Reason `json:"reason"`
	Message string `json:"message"`
}

// policy is a provider's timing: all durations in milliseconds.
type policy struct {
	// marginMs is how long before expiry a refresh is due.
	marginMs int64
	// leewayMs is how long before expiry a token stops being used (transit
	// time and clock error), clamped to a tenth of the lifetime.
	leewayMs int64
	// jitterPermille spreads the refresh instant earlier by up to this
	// fraction of the margin.
	jitterPermille int64
	// refreshWindowMs, when set, is the span before expiry in which a
	// refresh is honoured (NIC's ForceRefreshAccessToken: the last 10
	// minutes); refresh_at never falls before it.
	refreshWindowMs int64
	// defaultLifetimeMs is the lifetime assumed when the server states none.
	defaultLifetimeMs int64
	// renewNeedsUser: once the token is unusable, only a person can get a
	// new one (an OTP, a consent), unless a live refresh token exists.
	renewNeedsUser bool
	// refreshBeforeExpiryOnly: refresh works only while the token is valid
	// (GSTN REFRESHTOKEN).
	refreshBeforeExpiryOnly bool
	// noRefresh: the token can never be refreshed (WhiteBIT Fast API Key).
	noRefresh bool
}

const (
	second = int64(1000)
	minute = 60 * second
	hour   = 60 * minute
	day    = 24 * hour
	// maxMarginPermille clamps every margin to this fraction of the token's
	// lifetime, so a short token is not refreshed the moment it arrives.
	maxMarginPermille = 250
	// MaxLifetimeMs bounds any lifetime a server states: more is absurd.
	MaxLifetimeMs = 366 * day
)

// policies holds each provider's timing. The sources are in the package
// documentation's lifetimes table.
var policies = map[Provider]policy{
	ProviderGSTN: {marginMs: 10 * minute, leewayMs: 30 * second, jitterPermille: 200,
		defaultLifetimeMs: 6 * hour, renewNeedsUser: true, refreshBeforeExpiryOnly: true},
	ProviderNICEInvoice: {marginMs: 8 * minute, leewayMs: 30 * second, jitterPermille: 200,
		refreshWindowMs: 10 * minute, defaultLifetimeMs: 6 * hour},
	ProviderNICEWayBill: {marginMs: 10 * minute, leewayMs: 30 * second, jitterPermille: 200,
		defaultLifetimeMs: 6 * hour},
	ProviderOAuthClientCredentials: {marginMs: 5 * minute, leewayMs: 10 * second, jitterPermille: 200,
		defaultLifetimeMs: 10 * minute},
	ProviderOAuthPassword: {marginMs: 5 * minute, leewayMs: 10 * second, jitterPermille: 200,
		defaultLifetimeMs: 10 * minute},
	ProviderOAuthAuthorizationCode: {marginMs: 5 * minute, leewayMs: 10 * second, jitterPermille: 200,
		defaultLifetimeMs: 10 * minute, renewNeedsUser: true},
	ProviderWhiteBIT: {marginMs: 1 * minute, leewayMs: 5 * second, jitterPermille: 200,
		defaultLifetimeMs: 5 * minute, renewNeedsUser: true},
	ProviderWhiteBITFastKey: {marginMs: 15 * minute, leewayMs: 10 * second,
		defaultLifetimeMs: 4 * hour, renewNeedsUser: true, noRefresh: true},
	ProviderGatewayTask: {marginMs: 10 * minute, leewayMs: 30 * second,
		defaultLifetimeMs: 6 * hour, renewNeedsUser: true, noRefresh: true},
}

// PlanSession decides what the host should do with s at nowMs (Unix
// milliseconds of the host's clock). It never returns a plan that uses a
// token at or past its expiry leeway.
func PlanSession(s *Session, nowMs int64) (Plan, error) {
	if err := s.Validate(); err != nil {
		return Plan{}, err
	}
	if nowMs < 0 {
		return Plan{}, newError(gstcrypto.CodeInvalidInput, "now is negative")
	}
	pol := policies[s.Provider]
	t := timingOf(s, pol)
	p := Plan{ExpiresAtMs: t.expiresAt, RefreshAtMs: t.refreshAt, UserActionAtMs: t.userActionAt}
	if s.AccessToken == "" {
		p.State, p.ExpiresAtMs, p.RefreshAtMs, p.UserActionAtMs = TokenNone, 0, 0, 0
	}
	notBefore := int64(0)
	if s.RetryNotBeforeMs > nowMs {
		notBefore = s.RetryNotBeforeMs
	}

	switch {
	case s.NeedsUser != "":
		p.State = stateOr(p.State, TokenExpired)
		return p.with(ActionUserAction, ReasonNeedsUser, s.NeedsUser), nil
	case s.AccessToken == "":
		if pol.renewNeedsUser {
			return p.with(ActionUserAction, ReasonNoToken, "no token yet: "+firstStepFor(s.Provider)), nil
		}
		p.NotBeforeMs = notBefore
		return p.with(ActionRenew, ReasonNoToken, "no token yet: authenticate with the stored credentials"), nil
	}

	rotated := certificateRotated(s, nowMs)
	usable := nowMs < t.usableUntil && !s.Rejected && !rotated
	if !usable {
		p.State = TokenExpired
		reason, msg := ReasonExpired, "the token has expired"
		switch {
		case s.Rejected:
			reason, msg = ReasonRejected, "the provider rejected the token"
		case rotated && nowMs < t.usableUntil:
			reason, msg = ReasonCertificateRotated, "the token is bound to a client certificate that is no longer presented"
		}
		if t.canRenewWithoutUser(s, nowMs) {
			p.NotBeforeMs = notBefore
			return p.with(ActionRenew, reason, msg+"; get a new one with the stored credentials"), nil
		}
		return p.with(ActionUserAction, reason, msg+"; "+firstStepFor(s.Provider)), nil
	}
	if nowMs < t.refreshAt {
		p.State = TokenFresh
		return p.with(ActionUse, ReasonFresh, "the token is fresh"), nil
	}
	p.State = TokenStale
	if !t.refreshable {
		// Nothing can extend this token: use it to the end, then a person
		// must act (user_action_at says when).
		reason := ReasonNoRefresh
		if s.AccessWindowEndsAtMs > 0 && s.AccessWindowEndsAtMs <= s.ExpiresAtMs {
			reason = ReasonAccessWindowEnding
		}
		return p.with(ActionUse, reason, "the token cannot be extended; a person must act when it ends"), nil
	}
	if notBefore > 0 {
		p.NotBeforeMs = notBefore
		return p.with(ActionUse, ReasonBackoff, "refresh is due but the last attempt failed; keep using the token until the retry instant"), nil
	}
	return p.with(ActionRefresh, ReasonRefreshDue, "the token is valid but due for refresh"), nil
}

func (p Plan) with(a Action, reason Reason, msg string) Plan {
	p.Action, p.Reason, p.Message = a, reason, msg
	return p
}

func stateOr(s, def TokenState) TokenState {
	if s == "" {
		return def
	}
	return s
}

func firstStepFor(p Provider) string {
	switch p {
	case ProviderGSTN, ProviderGatewayTask:
		return "the taxpayer must give a new OTP"
	case ProviderWhiteBIT, ProviderWhiteBITFastKey, ProviderOAuthAuthorizationCode:
		return "the user must authorise again"
	}
	return "fix the credentials"
}

// timing is a session's derived instants.
type timing struct {
	expiresAt    int64 // the token's expiry, capped by the GSTN access window
	lifetime     int64
	leeway       int64
	usableUntil  int64 // expiresAt − leeway
	refreshAt    int64
	refreshable  bool
	userActionAt int64
	pol          policy
}

// timingOf derives a session's instants from its token and its provider's
// policy, by the timing rules of the package documentation (the one place
// they are written; the lifetimes table there gives each provider's
// numbers and their sources).
func timingOf(s *Session, pol policy) timing {
	t := timing{pol: pol}
	if s.AccessToken == "" {
		return t
	}
	t.expiresAt = s.ExpiresAtMs
	if s.AccessWindowEndsAtMs > 0 {
		t.expiresAt = min(t.expiresAt, s.AccessWindowEndsAtMs)
	}
	t.lifetime = t.expiresAt - s.ObtainedAtMs
	if s.ObtainedAtMs == 0 || t.lifetime <= 0 || t.lifetime > MaxLifetimeMs {
		// Unknown: assume the provider's default, which keeps the margins
		// of its usual token. (Validate refuses absurd stated lifetimes.)
		t.lifetime = pol.defaultLifetimeMs
	}
	t.leeway = min(pol.leewayMs, t.lifetime/10)
	t.usableUntil = t.expiresAt - t.leeway

	margin := pol.marginMs
	if s.Config.RefreshMarginMs > 0 {
		margin = s.Config.RefreshMarginMs
	}
	margin = min(margin, t.lifetime*maxMarginPermille/1000)
	margin += jitter(s.Config.JitterSeed, t.expiresAt, margin*pol.jitterPermille/1000)
	t.refreshAt = t.expiresAt - margin
	if pol.refreshWindowMs > 0 {
		t.refreshAt = max(t.refreshAt, t.expiresAt-pol.refreshWindowMs+1)
	}
	t.refreshAt = min(t.refreshAt, t.usableUntil)

	t.refreshable = !pol.noRefresh
	if pol.renewNeedsUser && !pol.refreshBeforeExpiryOnly && !pol.noRefresh {
		// Code flows refresh only with a live refresh token.
		t.refreshable = s.RefreshToken != "" && (s.RefreshExpiresAtMs == 0 || s.RefreshExpiresAtMs > t.refreshAt)
	}
	if s.AccessWindowEndsAtMs > 0 && s.AccessWindowEndsAtMs <= s.ExpiresAtMs {
		// The access window ends with this token: a refresh cannot extend it.
		t.refreshable = false
	}
	if s.TokenBinding != nil {
		// A bound token dies when another certificate takes over.
		if change := nextCertificateChange(s.Config.Certificates, s.ObtainedAtMs); change > 0 {
			t.refreshAt = min(t.refreshAt, change)
		}
	}
	t.userActionAt = s.UserActionAtMs
	if pol.renewNeedsUser && !t.refreshable {
		t.userActionAt = minPositive(t.userActionAt, t.usableUntil)
	}
	if s.AccessWindowEndsAtMs > 0 {
		t.userActionAt = minPositive(t.userActionAt, s.AccessWindowEndsAtMs-t.leeway)
	}
	return t
}

// canRenewWithoutUser reports whether an unusable token can be replaced
// without a person: with stored credentials (NIC, e-way bill, client
// credentials, password grant) or a live refresh token (code flows).
func (t timing) canRenewWithoutUser(s *Session, nowMs int64) bool {
	if !t.pol.renewNeedsUser {
		return true
	}
	if t.pol.noRefresh || t.pol.refreshBeforeExpiryOnly {
		return false
	}
	return s.RefreshToken != "" && (s.RefreshExpiresAtMs == 0 || nowMs < s.RefreshExpiresAtMs)
}

func minPositive(a, b int64) int64 {
	if a <= 0 {
		return b
	}
	if b <= 0 {
		return a
	}
	return min(a, b)
}

// jitter returns a deterministic offset in [0, spreadMs] derived from the
// seed and the token's expiry (the formula is in the package
// documentation's timing rules). An empty seed or a non-positive spread
// gives 0.
func jitter(seed string, expiresAtMs, spreadMs int64) int64 {
	if seed == "" || spreadMs <= 0 {
		return 0
	}
	h := sha256.New()
	h.Write([]byte("gstauth jitter v1\x00"))
	h.Write([]byte(seed))
	h.Write([]byte{0})
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(expiresAtMs))
	h.Write(b[:])
	sum := h.Sum(nil)
	return int64(binary.BigEndian.Uint64(sum[:8]) % uint64(spreadMs+1))
}
