package gstauth

import (
	"context"
	"encoding/json"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// Flows a person drives, one exchange per step (docs/hosts.md, "Step by
// step flows"): a GSTN OTP, an OAuth authorization code. Each step holds
// the session's refresh lock while it runs, so it never interleaves with a
// refresh (both use the session's one request in flight); a shared
// session's step holds the store's lease as well and writes its result, so
// that a step taken in any process completes the session for the fleet.

// Exchange sends one step of the session's provider (core.Steps lists
// them) with the session's credentials, overlaid with the non-empty fields
// of extra (an OTP, a code), and hands the answer to the core. The session
// changes either way; the error is the core's reading of a failed answer
// (*gstcrypto.Error: user_action_required for a wrong OTP, rate_limited,
// ...), or the HTTP client's when no answer came. A stale certificate
// (GSTN TEC4002) is replaced through Options.Certificate and the step sent
// once more.
func (s *Session) Exchange(ctx context.Context, step core.Step, extra *core.Credentials) error {
	return s.step(ctx, step, extra, nil)
}

// RequestOTP asks GSTN to send the taxpayer an OTP (OTPREQUEST).
func (s *Session) RequestOTP(ctx context.Context) error {
	return s.step(ctx, core.StepOTPRequest, nil, nil)
}

// Authenticate logs in with the OTP the taxpayer received: GSTN AUTHTOKEN
// after [Session.RequestOTP], or a gateway task session's getAuthToken.
// Later tokens come from refreshes, until the API-access window ends.
func (s *Session) Authenticate(ctx context.Context, otp string) error {
	step := core.StepAuthToken
	if s.Provider() == core.ProviderGatewayTask {
		step = core.StepGetAuthToken
	}
	return s.step(ctx, step, &core.Credentials{OTP: otp}, nil)
}

// RequestEVCOTP asks GSTN for an EVC OTP for filing (EVCOTP with the PAN
// and the form type).
func (s *Session) RequestEVCOTP(ctx context.Context, pan, formType string) error {
	return s.step(ctx, core.StepEVCOTP, nil, map[string]string{"pan": pan, "form_type": formType})
}

// AuthorizationURL starts an authorization code flow (PKCE S256 and a
// state, kept in the session and stored through OnChange) and returns
// the URL to send the user's browser to. A new call replaces an earlier
// request.
func (s *Session) AuthorizationURL(ctx context.Context) (string, error) {
	if err := s.lock(ctx); err != nil {
		return "", err
	}
	defer s.unlock()
	var u string
	err := s.leasedStep(ctx, func() error {
		now := s.nowMs()
		s.mu.Lock()
		var err error
		if u, err = core.AuthorizationURL(s.state, core.RequestOptions{NowMs: now, Random: s.random}); err == nil {
			s.markChangedLocked()
		}
		s.mu.Unlock()
		return err
	})
	if err != nil {
		return "", err
	}
	s.changed()
	return u, nil
}

// CompleteAuthorization reads the URL the user's browser was redirected
// to (its state is checked first, in constant time) and exchanges its code
// for tokens.
func (s *Session) CompleteAuthorization(ctx context.Context, redirectURL string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.unlock()
	return s.leasedStep(ctx, func() error {
		s.mu.Lock()
		r, err := core.ParseAuthorizationRedirect(s.state, redirectURL)
		s.mu.Unlock()
		if err != nil {
			return err
		}
		return s.stepLocked(ctx, core.StepAuthorizationCode, &core.Credentials{Code: r.Code, State: r.State}, nil)
	})
}

func (s *Session) step(ctx context.Context, step core.Step, extra *core.Credentials, params map[string]string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.unlock()
	return s.leasedStep(ctx, func() error { return s.stepLocked(ctx, step, extra, params) })
}

// stepLocked builds, sends and parses one step, with the refresh lock
// held; a stale certificate is replaced and the step sent once more.
func (s *Session) stepLocked(ctx context.Context, step core.Step, extra *core.Credentials, params map[string]string) error {
	if err := s.loadMissingCertificate(ctx); err != nil {
		return err
	}
	for reloaded := false; ; reloaded = true {
		now := s.nowMs()
		s.mu.Lock()
		creds, err := overlay(s.creds, extra)
		var req *core.HTTPRequest
		if err == nil {
			req, err = core.BuildRequest(s.state, &creds, core.RequestOptions{NowMs: now, Step: step, Params: params, Random: s.random})
		}
		s.mu.Unlock()
		if err != nil {
			return err
		}
		parseErr, err := s.exchange(ctx, req)
		if err != nil {
			return err
		}
		if gstcrypto.CodeOf(parseErr) != gstcrypto.CodeCertificateStale || reloaded || s.certificate == nil {
			return parseErr
		}
		if err := s.reloadCertificate(ctx); err != nil {
			return err
		}
	}
}

// overlay returns base with the non-empty fields of extra over it (every
// field of core.Credentials is omitted from its JSON when empty).
func overlay(base core.Credentials, extra *core.Credentials) (core.Credentials, error) {
	if extra == nil {
		return base, nil
	}
	b, err := json.Marshal(extra)
	if err == nil {
		err = json.Unmarshal(b, &base)
	}
	if err != nil {
		return base, &gstcrypto.Error{Code: gstcrypto.CodeInternal, Message: "the credentials do not encode"}
	}
	return base, nil
}
