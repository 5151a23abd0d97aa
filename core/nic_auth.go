package core

import (
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/b64"
)

// NIC e-invoice (IRP) v1.04 authentication (gst-protocols reference, "NIC
// e-invoice auth details"; india-compliance nic/auth.py).
//
// POST /eivital/v1.04/auth with headers client_id, client_secret, Gstin and
// the body {"Data": b64(RSA(NIC key, b64(json)))}, json being {UserName,
// Password, AppKey: b64(32 random bytes), ForceRefreshAccessToken}. The
// answer {Status:1, Data:{ClientId, UserName, AuthToken, Sek, TokenExpiry}}
// carries TokenExpiry "yyyy-MM-dd HH:mm:ss" in IST ([ParseNICTokenExpiry]),
// which is converted to the host's clock with the measured skew. Tokens
// live 360 minutes (60 in the sandbox). Inside that window a repeated auth
// returns the same token; ForceRefreshAccessToken is honoured only in the
// last 10 minutes, so the planner never plans a refresh before them.
//
// Errors {Status:0, ErrorDetails:[{ErrorCode, ErrorMessage}]}: 1005 (invalid
// token) → rejected, authenticate again with the password; 1004, 1008,
// 1010, 1013, 1016, 1017, 1019 → a person must fix a credential or key
// (never retried, so a wrong password is not repeated until NIC locks the
// account); any other code → retried with backoff.

// The NIC steps.
const (
	// StepAuth authenticates with the stored password.
	StepAuth Step = "auth"
	// StepForceRefresh authenticates with ForceRefreshAccessToken: a new
	// token in the last 10 minutes of the old one (e-invoice only).
	StepForceRefresh Step = "force_refresh"
)

type nicEInvoiceProvider struct{}

func init() { registerProvider(ProviderNICEInvoice, nicEInvoiceProvider{}) }

func (nicEInvoiceProvider) steps() []Step { return []Step{StepAuth, StepForceRefresh} }

func (nicEInvoiceProvider) planStep(s *Session, a Action, _ int64) Step {
	if a == ActionRefresh && s.AccessToken != "" && !s.Rejected {
		return StepForceRefresh
	}
	return StepAuth
}

func (nicEInvoiceProvider) build(s *Session, step Step, c *Credentials, o *RequestOptions) (*HTTPRequest, error) {
	headers := map[string]string{"client_id": s.Config.ClientID, "client_secret": c.ClientSecret, "Gstin": s.Config.GSTIN}
	return buildNICAuth(s, step, c, o, "/eivital/v1.04/auth", headers, func(appKey, password string) any {
		return struct {
			UserName                string `json:"UserName"`
			Password                string `json:"Password"`
			AppKey                  string `json:"AppKey"`
			ForceRefreshAccessToken bool   `json:"ForceRefreshAccessToken"`
		}{s.Config.Username, password, appKey, step == StepForceRefresh}
	})
}

// buildNICAuth builds an e-invoice or e-way bill auth request: it checks
// the configuration, makes a fresh app key, encrypts payload(appKey,
// password) with [EncryptNICAuthPayload] and records the app key for the
// response.
func buildNICAuth(s *Session, step Step, c *Credentials, o *RequestOptions, path string, headers map[string]string,
	payload func(appKey, password string) any) (*HTTPRequest, error) {
	for _, f := range [][2]string{{"config.client_id", s.Config.ClientID}, {"config.username", s.Config.Username},
		{"credentials.client_secret", c.ClientSecret}, {"credentials.password", c.Password}} {
		if err := requireField(f[0], f[1]); err != nil {
			return nil, err
		}
	}
	if _, err := StateCodeOf(s.Config.GSTIN); err != nil {
		return nil, err
	}
	url := s.Config.TokenURL
	if url == "" {
		if s.Config.BaseURL == "" {
			return nil, newError(gstcrypto.CodeConfigInvalid, "config.base_url or config.token_url is required")
		}
		url = strings.TrimRight(s.Config.BaseURL, "/") + path
	}
	pub, err := publicKeyOf(c, "NIC")
	if err != nil {
		return nil, err
	}
	key, err := appKeyFor(o)
	if err != nil {
		return nil, err
	}
	data, err := gstcrypto.EncryptNICAuthPayload(pub, []byte(jsonBody(payload(string(b64.Encode(key)), c.Password))))
	if err != nil {
		return nil, err
	}
	headers["Content-Type"] = "application/json"
	s.Pending = &Pending{Step: step, AppKey: key}
	return &HTTPRequest{Method: "POST", URL: url, Headers: headers, Body: jsonBody(map[string]string{"Data": data})}, nil
}

// nicAuthResponse is an e-invoice auth answer; it is also the error shape
// of every e-invoice call.
type nicAuthResponse struct {
	Status flexString `json:"Status"`
	Data   *struct {
		AuthToken   string `json:"AuthToken"`
		Sek         string `json:"Sek"`
		TokenExpiry string `json:"TokenExpiry"`
	} `json:"Data"`
	ErrorDetails []struct {
		ErrorCode    flexString `json:"ErrorCode"`
		ErrorMessage string     `json:"ErrorMessage"`
	} `json:"ErrorDetails"`
}

func (nicEInvoiceProvider) parse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error {
	if err := classifyHTTP(s, r, receivedAtMs); err != nil {
		return err
	}
	var body nicAuthResponse
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Status != "1" {
		codes, msg := body.errorCodes()
		c := classifyCodes(familyNIC, codes, msg, true)
		if c.outcome == OutcomeProviderError && !c.known {
			// Not in NIC's list of auth errors: the service's own trouble,
			// retried with backoff (a listed credential error never is, so
			// a wrong password is not repeated into a lockout).
			c.outcome, c.code = OutcomeRetryLater, gstcrypto.CodeProviderError
		}
		return recordAuthFailure(s, c, "NIC e-invoice", msg, receivedAtMs)
	}
	if body.Data == nil || body.Data.AuthToken == "" || body.Data.Sek == "" {
		return newError(gstcrypto.CodeProviderError, "the e-invoice auth answer has no AuthToken or Sek")
	}
	expires := sentAtMs + policies[ProviderNICEInvoice].defaultLifetimeMs
	if body.Data.TokenExpiry != "" {
		serverMs, err := ParseNICTokenExpiry(body.Data.TokenExpiry)
		if err != nil {
			return newError(gstcrypto.CodeProviderError, "the e-invoice TokenExpiry is not yyyy-MM-dd HH:mm:ss")
		}
		expires = s.serverToHost(serverMs)
	}
	return recordNICToken(s, body.Data.AuthToken, body.Data.Sek, expires, sentAtMs, receivedAtMs)
}

// recordNICToken decrypts the SEK with the request's app key and stores the
// token. The same token again (NIC returns it to every auth inside its
// window) keeps its original obtained_at, since its lifetime began then.
// When that token is already due for refresh — a ForceRefreshAccessToken
// that NIC did not honour because its clock put us outside the last 10
// minutes — the session backs off (at least a minute) instead of asking
// again at once.
func recordNICToken(s *Session, token, sekText string, expiresAtMs, sentAtMs, receivedAtMs int64) error {
	key := s.Pending.AppKey
	sek, err := decryptSEKField(key, "Sek", sekText)
	if err != nil {
		return err
	}
	if expiresAtMs <= receivedAtMs {
		return newError(gstcrypto.CodeProviderError, "the token NIC issued has already expired by the host clock")
	}
	obtained := sentAtMs
	same := token == s.AccessToken && !s.Rejected
	if same && s.ObtainedAtMs > 0 && s.ObtainedAtMs < obtained {
		obtained = s.ObtainedAtMs
	}
	if err := checkLifetime(expiresAtMs - obtained); err != nil {
		return newError(gstcrypto.CodeProviderError, "the token NIC issued has an absurd lifetime")
	}
	failures := s.Failures
	s.recordToken(token, obtained, expiresAtMs)
	s.SEK, s.AppKey = sek, key
	if same {
		if t := timingOf(s, policies[s.Provider]); t.refreshable && receivedAtMs >= t.refreshAt {
			s.Failures = failures + 1
			s.RetryNotBeforeMs = receivedAtMs + max(minute, s.backoffMs(s.Failures))
		}
	}
	return nil
}

func (nicEInvoiceProvider) classifyAPI(r *HTTPResponse) (classification, bool) {
	return classifyGSTAPI(familyNIC, true, r, func() ([]string, string, bool) {
		var body nicAuthResponse
		if decodeBody(r, &body) != nil || body.Status == "1" || body.Status == "" && body.ErrorDetails == nil {
			return nil, "", false
		}
		codes, msg := body.errorCodes()
		return codes, msg, true
	})
}

// errorCodes lists the codes of a failed answer and the first message.
func (b *nicAuthResponse) errorCodes() (codes []string, message string) {
	for _, d := range b.ErrorDetails {
		if d.ErrorCode != "" {
			codes = append(codes, string(d.ErrorCode))
		}
		if message == "" {
			message = d.ErrorMessage
		}
	}
	return codes, message
}
