package core

import (
	"bytes"
	"encoding/json"

	"github.com/gstauth/gstauth/gstcrypto"
)

// SessionVersion is the version of the session JSON written by this
// library. ParseSession also reads version 1 and upgrades it (its Info
// keys "secret", "token_cnf_x5t_s256" and "token_cnf_source" became the
// fields SecretInUse and TokenBinding).
const SessionVersion = 2

// Provider names the protocol a session speaks.
type Provider string

// The providers.
const (
	// ProviderGSTN: the GSTN taxpayer API (OTPREQUEST, AUTHTOKEN,
	// REFRESHTOKEN, LOGOUT), usually through a GSP.
	ProviderGSTN Provider = "gstn"
	// ProviderNICEInvoice: the NIC e-invoice (IRP) v1.04 auth.
	ProviderNICEInvoice Provider = "nic_einvoice"
	// ProviderNICEWayBill: the NIC e-way bill ACCESSTOKEN auth.
	ProviderNICEWayBill Provider = "nic_ewaybill"
	// ProviderOAuthClientCredentials: RFC 6749 §4.4 (WhiteBooks, OneFinOps /
	// Keycloak, generic), with refresh tokens where the server issues them.
	ProviderOAuthClientCredentials Provider = "oauth_client_credentials"
	// ProviderOAuthPassword: RFC 6749 §4.3, which some gateways still use
	// (Masters India).
	ProviderOAuthPassword Provider = "oauth_password"
	// ProviderOAuthAuthorizationCode: RFC 6749 §4.1 with PKCE S256 (RFC 7636).
	ProviderOAuthAuthorizationCode Provider = "oauth_authorization_code"
	// ProviderWhiteBIT: WhiteBIT's OAuth authorization code flow with its own
	// refresh endpoint.
	ProviderWhiteBIT Provider = "whitebit"
	// ProviderWhiteBITFastKey: WhiteBIT's Fast API Key flow (PKCE, 4 h token,
	// no refresh token).
	ProviderWhiteBITFastKey Provider = "whitebit_fast_key"
	// ProviderGatewayTask: a GSP gateway's task API
	// ({"task":"getAuthToken",...}) that yields a GSTN-like session.
	ProviderGatewayTask Provider = "gateway_task"
)

// Providers lists every provider.
var Providers = []Provider{
	ProviderGSTN, ProviderNICEInvoice, ProviderNICEWayBill,
	ProviderOAuthClientCredentials, ProviderOAuthPassword, ProviderOAuthAuthorizationCode,
	ProviderWhiteBIT, ProviderWhiteBITFastKey, ProviderGatewayTask,
}

// Session is everything gstauth remembers about one authenticated account of
// one provider. It is plain data: serialise it with encoding/json
// (versioned JSON, schema in the package doc's session table), seal it with
// [SealSession] before storing it, and pass it back in on every call.
//
// Instants are Unix milliseconds of the host's clock. Absolute instants that
// a server states in its own clock (NIC TokenExpiry, a JWT exp) are converted
// to the host's clock with the measured skew when they are parsed.
type Session struct {
	Version  int      `json:"version"`
	Provider Provider `json:"provider"`
	// Account identifies who the session is for (a GSTIN and user name, a
	// client id). It is bound into sealed sessions.
	Account string `json:"account"`
	Config  Config `json:"config"`

	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// ObtainedAtMs is when the request that produced the token was sent
	// (taken before sending, so lifetimes are never overestimated).
	ObtainedAtMs int64 `json:"obtained_at_ms,omitempty"`
	// ExpiresAtMs is when the access token expires.
	ExpiresAtMs int64 `json:"expires_at_ms,omitempty"`
	// RefreshExpiresAtMs is when the refresh token expires (0: unknown or
	// none).
	RefreshExpiresAtMs int64 `json:"refresh_expires_at_ms,omitempty"`
	// AccessWindowEndsAtMs is the end of the taxpayer's GSTN API-access
	// window (6 h to 30 d): no refresh reaches past it; after it a new OTP is
	// needed. 0 means unknown.
	AccessWindowEndsAtMs int64 `json:"access_window_ends_at_ms,omitempty"`
	// UserActionAtMs is a deadline after which a person must act (the end of
	// a WhiteBIT Fast API Key token, of a GSTN access window). 0: none known.
	UserActionAtMs int64 `json:"user_action_at_ms,omitempty"`

	// SEK is the decrypted session key (GSTN EK, NIC Sek).
	SEK []byte `json:"sek,omitempty"`
	// AppKey is the app key the SEK was issued for.
	AppKey []byte `json:"app_key,omitempty"`
	// OTPAppKey is the app key a GSTN OTPREQUEST sent; the AUTHTOKEN that
	// follows sends it again. Cleared when AUTHTOKEN succeeds.
	OTPAppKey []byte `json:"otp_app_key,omitempty"`
	// Nonce is the last nonce used for signed requests (WhiteBIT); the next
	// one is strictly greater.
	Nonce int64 `json:"nonce,omitempty"`
	// SkewMs is the measured server clock minus the host clock.
	SkewMs int64 `json:"skew_ms,omitempty"`
	// SkewMeasuredAtMs is when SkewMs was measured (0: never).
	SkewMeasuredAtMs int64 `json:"skew_measured_at_ms,omitempty"`

	// Rejected is set when the provider rejected the token (a 401, GSTN
	// AUTH4033, NIC 1005, e-way bill 238): the token must not be used again.
	Rejected bool `json:"rejected,omitempty"`
	// NeedsUser, when not empty, is the reason a person must act before the
	// session can continue (an OTP, a consent, fixed credentials). It is
	// cleared when a new token is obtained.
	NeedsUser string `json:"needs_user,omitempty"`
	// RetryNotBeforeMs: after a retryable failure (429, 5xx), no request
	// before this instant.
	RetryNotBeforeMs int64 `json:"retry_not_before_ms,omitempty"`
	// Failures counts the failed exchanges since the last token, for
	// backoff.
	Failures int `json:"failures,omitempty"`

	// LastError is the last failure of an exchange or the rejection of
	// the token, kept until the next successful exchange, so that every
	// process sharing the session sees why it cannot continue.
	LastError *Error `json:"last_error,omitempty"`

	// SecretInUse is the client secret that last obtained a token, during
	// a secret rotation (secret_rotation.go): empty or current, or previous.
	SecretInUse SecretChoice `json:"secret_in_use,omitempty"`
	// TokenBinding is the client certificate the token is bound to (RFC
	// 8705), when one is known.
	TokenBinding *TokenBinding `json:"token_binding,omitempty"`

	// Pending holds what a request in flight needs to parse its response
	// (the fresh app key, the PKCE verifier, the state).
	Pending *Pending `json:"pending,omitempty"`
	// Info holds non-secret facts read from responses, for information
	// only: nothing in gstauth reads it back (scope, aud, organization_id,
	// the gateway's patron id).
	Info map[string]string `json:"info,omitempty"`
}

// TokenBinding names the certificate an access token is bound to (RFC
// 8705 §3.1).
type TokenBinding struct {
	// X5tS256 is base64url(SHA-256(DER)) of the certificate.
	X5tS256 string `json:"x5t_s256"`
	// Source says how the binding is known.
	Source BindingSource `json:"source"`
}

// BindingSource says how a token's certificate binding is known.
type BindingSource string

// The binding sources.
const (
	// BindingCnf: the token's cnf claim states it.
	BindingCnf BindingSource = "cnf"
	// BindingPresented: the token is opaque; the certificate presented when
	// it was obtained is assumed (binding is the server's choice, and
	// assuming it costs at most one token request per rotation).
	BindingPresented BindingSource = "presented"
)

// SecretChoice names one of the two client secrets of a rotation.
type SecretChoice string

// The secrets of a rotation.
const (
	SecretCurrent  SecretChoice = "current"
	SecretPrevious SecretChoice = "previous"
)

// Config is the non-secret configuration of a session. Secrets (client
// secrets, passwords, OTPs) are passed to each request builder and never
// stored in the session. Fields a provider does not use stay empty.
type Config struct {
	// BaseURL is the API base (GSTN/NIC host, gateway API host).
	BaseURL string `json:"base_url,omitempty"`
	// TokenURL is the OAuth token endpoint or the auth endpoint.
	TokenURL string `json:"token_url,omitempty"`
	// AuthURL is the OAuth authorization endpoint (code flows).
	AuthURL string `json:"auth_url,omitempty"`
	// RefreshURL is a separate refresh endpoint (WhiteBIT).
	RefreshURL string `json:"refresh_url,omitempty"`
	// RedirectURI for code flows.
	RedirectURI string `json:"redirect_uri,omitempty"`
	ClientID    string `json:"client_id,omitempty"`
	Scope       string `json:"scope,omitempty"`
	// Flavor selects a gateway's dialect of a generic protocol; empty is
	// the protocol as written.
	Flavor Flavor `json:"flavor,omitempty"`
	// Environment is sandbox or production where the provider has both.
	Environment Environment `json:"environment,omitempty"`
	// ClientAuth is how the OAuth client authenticates (RFC 6749 §2.3.1);
	// empty is the flavor's default.
	ClientAuth ClientAuth `json:"client_auth,omitempty"`

	// GSTIN and Username identify the taxpayer (GSTN, NIC, gateway task).
	GSTIN    string `json:"gstin,omitempty"`
	Username string `json:"username,omitempty"`
	// IPUser is the end user's IP address (GSTN ip-usr header).
	IPUser string `json:"ip_usr,omitempty"`
	// AccessWindowMs is how long the taxpayer enabled GSTN API access on
	// the portal (6 hours to 30 days). With it, a successful AUTHTOKEN
	// records the window's end; no refresh reaches past it.
	AccessWindowMs int64 `json:"access_window_ms,omitempty"`

	// RefreshMarginMs overrides the provider's refresh margin (still clamped
	// to a fraction of the token lifetime).
	RefreshMarginMs int64 `json:"refresh_margin_ms,omitempty"`
	// JitterSeed makes the refresh jitter deterministic: the same seed and
	// expiry give the same instant everywhere. Empty means no jitter.
	JitterSeed string `json:"jitter_seed,omitempty"`
	// NonceWindow selects WhiteBIT's nonceWindow mode (a skew-corrected
	// millisecond timestamp) instead of a strictly increasing counter.
	NonceWindow bool `json:"nonce_window,omitempty"`
	// Certificates are the client certificates for mTLS (RFC 8705), with
	// the instant each becomes effective.
	Certificates []ClientCertificate `json:"certificates,omitempty"`
}

// ClientCertificate is one mTLS client certificate of a rotation.
type ClientCertificate struct {
	// ID is the host's name for the certificate (a file name, a key id).
	ID string `json:"id"`
	// X5tS256 is base64url(SHA-256(DER)) (RFC 8705 §3.1).
	X5tS256 string `json:"x5t_s256"`
	// EffectiveFromMs is when the certificate may first be presented.
	EffectiveFromMs int64 `json:"effective_from_ms"`
	// NotAfterMs is when the certificate expires.
	NotAfterMs int64 `json:"not_after_ms"`
}

// Flavor is a gateway's dialect of a generic protocol.
type Flavor string

// The flavors (oauth_client.go describes each).
const (
	FlavorWhiteBooks   Flavor = "whitebooks"
	FlavorOneFinOps    Flavor = "onefinops"
	FlavorKeycloak     Flavor = "keycloak"
	FlavorMastersIndia Flavor = "masters_india"
)

// Flavors lists every flavor.
var Flavors = []Flavor{FlavorWhiteBooks, FlavorOneFinOps, FlavorKeycloak, FlavorMastersIndia}

// Environment is where a provider with both runs the session.
type Environment string

// The environments.
const (
	EnvironmentSandbox    Environment = "sandbox"
	EnvironmentProduction Environment = "production"
)

// ClientAuth is how an OAuth client authenticates (RFC 6749 §2.3.1).
type ClientAuth string

// The client authentication methods.
const (
	// ClientAuthBasic: HTTP Basic with the form-urlencoded id and secret,
	// the method every server supports.
	ClientAuthBasic ClientAuth = "basic"
	// ClientAuthPost: the id and secret in the form body.
	ClientAuthPost ClientAuth = "post"
	// ClientAuthNone: a public client sends its id alone (§2.1).
	ClientAuthNone ClientAuth = "none"
)

// Pending is the state of a request in flight.
type Pending struct {
	// Step is the request that was built.
	Step Step `json:"step"`
	// SentAtMs is when the request was built, the earliest it can have been
	// sent.
	SentAtMs int64 `json:"sent_at_ms,omitempty"`
	// AppKey is the new app key sent with an auth or refresh request.
	AppKey []byte `json:"app_key,omitempty"`
	// CodeVerifier is the PKCE verifier of an authorization request.
	CodeVerifier string `json:"code_verifier,omitempty"`
	// State is the OAuth state of an authorization request.
	State string `json:"state,omitempty"`
	// Secret says which client secret was sent.
	Secret SecretChoice `json:"secret,omitempty"`
	// SecretFallback says a previous secret inside its overlap deadline
	// could be tried if the current one is refused.
	SecretFallback bool `json:"secret_fallback,omitempty"`
}

// recordToken stores a newly obtained token and clears every failure
// state. expiresAtMs is in the host's clock.
func (s *Session) recordToken(accessToken string, obtainedAtMs, expiresAtMs int64) {
	s.AccessToken = accessToken
	s.ObtainedAtMs, s.ExpiresAtMs = obtainedAtMs, expiresAtMs
	s.Rejected, s.NeedsUser, s.LastError = false, "", nil
	s.RetryNotBeforeMs, s.Failures = 0, 0
	s.Pending = nil
}

// copyError returns a copy of e, so that a session never shares an error
// its caller may change.
func copyError(e *Error) *Error {
	if e == nil {
		return nil
	}
	c := *e
	return &c
}

// NewSession returns an empty session of a provider for an account.
func NewSession(p Provider, account string, cfg Config) (*Session, error) {
	s := &Session{Version: SessionVersion, Provider: p, Account: account, Config: cfg}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Validate checks the session's shape: version, provider, and instants that
// make sense together.
func (s *Session) Validate() error {
	if s == nil {
		return newError(gstcrypto.CodeInvalidInput, "no session")
	}
	if s.Version != SessionVersion {
		return newError(gstcrypto.CodeInvalidInput, "session version %d is not supported (this library writes %d)", s.Version, SessionVersion)
	}
	if !knownProvider(s.Provider) {
		return newError(gstcrypto.CodeConfigInvalid, "unknown provider %q", s.Provider)
	}
	if len(s.Account) > gstcrypto.MaxSmallField {
		return newError(gstcrypto.CodeTooLarge, "account is too long")
	}
	for _, v := range []int64{s.ObtainedAtMs, s.ExpiresAtMs, s.RefreshExpiresAtMs, s.AccessWindowEndsAtMs,
		s.UserActionAtMs, s.RetryNotBeforeMs, s.SkewMeasuredAtMs} {
		if v < 0 {
			return newError(gstcrypto.CodeInvalidInput, "session has a negative instant")
		}
	}
	if s.AccessToken != "" && s.ExpiresAtMs == 0 {
		return newError(gstcrypto.CodeInvalidInput, "session has a token without an expiry")
	}
	if s.AccessToken != "" && s.ObtainedAtMs > 0 {
		if l := s.ExpiresAtMs - s.ObtainedAtMs; l <= 0 || l > MaxLifetimeMs {
			return newError(gstcrypto.CodeInvalidInput, "session's token lifetime (expires_at_ms − obtained_at_ms = %d ms) is absurd: it must be positive and at most a year", l)
		}
	}
	if s.Failures < 0 {
		return newError(gstcrypto.CodeInvalidInput, "session has a negative failure count")
	}
	return nil
}

func knownProvider(p Provider) bool {
	for _, q := range Providers {
		if p == q {
			return true
		}
	}
	return false
}

// ParseSession decodes and validates a session's JSON. Unknown fields are
// rejected.
func ParseSession(b []byte) (*Session, error) {
	if err := checkSize("session", len(b), gstcrypto.MaxPayloadSize); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Session
	if err := dec.Decode(&s); err != nil {
		return nil, newError(gstcrypto.CodeInvalidInput, "session JSON does not decode: %s", describeJSONError(err))
	}
	if dec.More() {
		return nil, newError(gstcrypto.CodeInvalidInput, "session JSON has data after the object")
	}
	if s.Version == 1 {
		s.upgradeFromVersion1()
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// upgradeFromVersion1 moves what version 1 kept in Info into the fields
// that say it (SecretInUse, TokenBinding).
func (s *Session) upgradeFromVersion1() {
	s.Version = SessionVersion
	if v := SecretChoice(s.Info["secret"]); v == SecretCurrent || v == SecretPrevious {
		s.SecretInUse = v
	}
	if x5t := s.Info["token_cnf_x5t_s256"]; x5t != "" {
		src := BindingSource(s.Info["token_cnf_source"])
		if src != BindingPresented {
			src = BindingCnf
		}
		s.TokenBinding = &TokenBinding{X5tS256: x5t, Source: src}
	}
	for _, k := range []string{"secret", "token_cnf_x5t_s256", "token_cnf_source"} {
		delete(s.Info, k)
	}
	if len(s.Info) == 0 {
		s.Info = nil
	}
}

// Clone returns a deep copy.
func (s *Session) Clone() *Session {
	c := *s
	c.SEK = append([]byte(nil), s.SEK...)
	c.AppKey = append([]byte(nil), s.AppKey...)
	c.OTPAppKey = append([]byte(nil), s.OTPAppKey...)
	c.Config.Certificates = append([]ClientCertificate(nil), s.Config.Certificates...)
	if s.Pending != nil {
		p := *s.Pending
		p.AppKey = append([]byte(nil), s.Pending.AppKey...)
		c.Pending = &p
	}
	c.LastError = copyError(s.LastError)
	if s.TokenBinding != nil {
		b := *s.TokenBinding
		c.TokenBinding = &b
	}
	if s.Info != nil {
		c.Info = make(map[string]string, len(s.Info))
		for k, v := range s.Info {
			c.Info[k] = v
		}
	}
	return &c
}

// describeJSONError names what is wrong with JSON without echoing values,
// which may be secrets.
func describeJSONError(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return "syntax error at byte " + itoa(e.Offset)
	case *json.UnmarshalTypeError:
		return "field " + e.Field + " has the wrong type (" + e.Value + ")"
	}
	msg := err.Error()
	if len(msg) > 160 {
		msg = msg[:160]
	}
	return msg
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
