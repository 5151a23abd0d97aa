package core

import (
	"io"
	"sort"

	"github.com/gstauth/gstauth/gstcrypto"
)

// Credentials are the secrets a request builder needs. They are passed to
// every call and never stored in a session (a sealed session holds tokens
// and keys, not the passwords that obtain them). Fields a provider does not
// use stay empty.
type Credentials struct {
	// ClientSecret is the current OAuth client secret, or the GSTN/NIC
	// client-secret header value.
	ClientSecret string `json:"client_secret,omitempty"`
	// PreviousClientSecret is the secret being rotated out; it is tried
	// when the current one is refused, until PreviousSecretValidUntilMs
	// (the overlap deadline, 24 h after rotation on WhiteBooks and
	// OneFinOps).
	PreviousClientSecret       string `json:"previous_client_secret,omitempty"`
	PreviousSecretValidUntilMs int64  `json:"previous_secret_valid_until_ms,omitempty"`
	// Password is the NIC / e-way bill / password-grant password.
	Password string `json:"password,omitempty"`
	// OTP is the taxpayer's one-time password (GSTN AUTHTOKEN, gateway task).
	OTP string `json:"otp,omitempty"`
	// PublicKey is the PEM certificate or public key of the GSTN or NIC
	// server that app keys and auth payloads are encrypted to.
	PublicKey string `json:"public_key,omitempty"`
	// GatewayToken is the gateway's own access token (gateway task API).
	GatewayToken string `json:"gateway_token,omitempty"`
	// Code and State are what the authorization server's redirect carried
	// (code flows).
	Code  string `json:"code,omitempty"`
	State string `json:"state,omitempty"`
}

// RequestOptions are the non-secret inputs of a request builder.
type RequestOptions struct {
	// NowMs is the host's clock when the request is built.
	NowMs int64
	// Step names the request to build (see Steps); empty means the one the
	// planner calls for.
	Step Step
	// Entropy is mixed into fresh keys and verifiers (see NewAppKey).
	Entropy []byte
	// Random is the entropy source; nil means crypto/rand.
	Random io.Reader
	// Params are a step's non-secret arguments (GSTN EVCOTP: pan,
	// form_type).
	Params map[string]string
}

// Step names one request a provider builds (BuildRequest) and whose
// response it parses (ParseResponse): each provider's file lists its own.
type Step string

// providerImpl is one provider's request builders and response parsers.
type providerImpl interface {
	// steps lists the step names the provider builds.
	steps() []Step
	// planStep maps a planner action (refresh or renew) to the step that
	// performs it for this session.
	planStep(s *Session, a Action, nowMs int64) Step
	// build makes the request of a step and records in s.Pending what
	// parsing its response needs.
	build(s *Session, step Step, c *Credentials, o *RequestOptions) (*HTTPRequest, error)
	// parse reads the response to s.Pending's request, updates s and
	// classifies failures (a *Error with Retryable, RetryAfterMs and
	// ProviderCode set as they apply).
	parse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error
	// classifyAPI reads the response to an ordinary API call made with the
	// session's token through the catalogue; failed is false when the call
	// succeeded.
	classifyAPI(r *HTTPResponse) (c classification, failed bool)
}

var providerImpls = map[Provider]providerImpl{}

func registerProvider(p Provider, impl providerImpl) {
	if _, dup := providerImpls[p]; dup {
		panic("core: provider registered twice: " + string(p))
	}
	providerImpls[p] = impl
}

func implOf(s *Session) (providerImpl, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	impl, ok := providerImpls[s.Provider]
	if !ok {
		return nil, newError(gstcrypto.CodeUnsupported, "provider %q has no request builders", s.Provider)
	}
	return impl, nil
}

// Steps lists the steps a provider's BuildRequest accepts, sorted.
func Steps(p Provider) []Step {
	impl, ok := providerImpls[p]
	if !ok {
		return nil
	}
	st := append([]Step(nil), impl.steps()...)
	sort.Slice(st, func(i, j int) bool { return st[i] < st[j] })
	return st
}

// BuildRequest builds the HTTP request of a step for s and records in
// s.Pending what parsing its response needs. With an empty o.Step it builds
// the request the planner calls for at o.NowMs: an error with
// CodeUserActionRequired when a person must act, and invalid_input when the
// plan is "use" (nothing to send).
func BuildRequest(s *Session, c *Credentials, o RequestOptions) (*HTTPRequest, error) {
	impl, err := implOf(s)
	if err != nil {
		return nil, err
	}
	if c == nil {
		c = &Credentials{}
	}
	step := o.Step
	if step == "" {
		p, err := PlanSession(s, o.NowMs)
		if err != nil {
			return nil, err
		}
		switch p.Action {
		case ActionUserAction:
			return nil, &Error{Code: gstcrypto.CodeUserActionRequired, Message: p.Message}
		case ActionUse:
			return nil, newError(gstcrypto.CodeInvalidInput, "the token is fresh: there is no request to send (name a step to force one)")
		}
		step = impl.planStep(s, p.Action, o.NowMs)
	}
	known := false
	for _, st := range impl.steps() {
		known = known || st == step
	}
	if !known {
		return nil, newError(gstcrypto.CodeInvalidInput, "provider %s has no step %q", s.Provider, step)
	}
	req, err := impl.build(s, step, c, &o)
	if err != nil {
		return nil, err
	}
	if s.Pending == nil || s.Pending.Step != step {
		s.Pending = &Pending{Step: step}
	}
	s.Pending.SentAtMs = o.NowMs
	return req, nil
}

// ParseResponse hands the response to s.Pending's request back to its
// provider: on success s holds the new token; on failure s records the
// failure and the error says which: a person must act (NeedsUser, the plan
// says user_action), or the session backs off (RetryNotBeforeMs, the plan's
// not_before_ms) — every failure does one or the other, so no plan repeats
// a failed request at once. Skew is measured from the Date header first,
// whatever the outcome.
// sentAtMs ≤ 0 means the instant the request was built.
func ParseResponse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error {
	impl, err := implOf(s)
	if err != nil {
		return err
	}
	if r == nil {
		return newError(gstcrypto.CodeInvalidInput, "no response")
	}
	if s.Pending == nil {
		return newError(gstcrypto.CodeInvalidInput, "the session has no request in flight")
	}
	if sentAtMs <= 0 {
		sentAtMs = s.Pending.SentAtMs
	}
	if receivedAtMs < sentAtMs {
		return newError(gstcrypto.CodeInvalidInput, "received_at is before sent_at")
	}
	if err := checkSize("response body", len(r.Body), gstcrypto.MaxPayloadSize); err != nil {
		return err
	}
	s.observeClock(r, sentAtMs, receivedAtMs)
	failures := s.Failures
	if err := impl.parse(s, r, sentAtMs, receivedAtMs); err != nil {
		s.Pending = nil // the request is answered; a retry builds a new one
		if s.NeedsUser == "" && s.Failures == failures {
			// A failure the provider left unclassified (a malformed answer,
			// an unknown code, a SEK that does not decrypt): back off, so
			// the planner never repeats a failing request at once.
			s.Failures++
			s.RetryNotBeforeMs = receivedAtMs + s.backoffMs(s.Failures)
		}
		if e, ok := err.(*Error); ok {
			s.LastError = copyError(e)
		}
		return err
	}
	s.LastError = nil
	return nil
}

// RecordSendFailure notes that the request in flight got no response at
// nowMs (a network error, a timeout): the request is dropped and the
// session backs off as after a 5xx, so the next caller does not retry at
// once. A still-valid token stays in use meanwhile.
func RecordSendFailure(s *Session, nowMs int64) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if s.Pending == nil {
		return newError(gstcrypto.CodeInvalidInput, "the session has no request in flight")
	}
	e := &Error{Code: gstcrypto.CodeProviderError, Message: "the request got no response (a network error or a timeout); retry later"}
	s.recordRetryable(e, 0, nowMs)
	s.LastError = copyError(e)
	return nil
}
