package core

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/url"
	"regexp"
	"strings"
)

// The GSTN taxpayer API authentication (../shared/reference: "GSTN taxpayer
// authentication"; india-compliance taxpayer_base.py). Every action is a
// POST to .../authenticate with the action in the body:
//
//	OTPREQUEST   {action, app_key, username}                    app_key = b64(RSA(GSTN cert, K))
//	AUTHTOKEN    {action, app_key, username, otp}               otp = b64(AES-ECB(K, ascii OTP))
//	REFRESHTOKEN {action, app_key, username, auth_token}        app_key = b64(AES-ECB(EK, K'))
//	LOGOUT       {action, username, auth_token, app_key}        app_key = b64(RSA(GSTN cert, K))
//	EVCOTP       GET authenticate?action=EVCOTP&pan=...&form_type=...
//
// Headers: clientid, client-secret, state-cd (the GSTIN's first two
// digits), ip-usr, txn, gstin, username; auth-token after login. AUTHTOKEN
// and REFRESHTOKEN answer {status_cd, auth_token, expiry (minutes), sek};
// sek decrypts with the app key of the request. A refresh works only before
// expiry and never reaches past the taxpayer's API-access window.

// The GSTN steps.
const (
	StepOTPRequest   = "otp_request"
	StepAuthToken    = "auth_token"
	StepRefreshToken = "refresh_token"
	StepLogout       = "logout"
	StepEVCOTP       = "evc_otp"
)

var gstinPattern = regexp.MustCompile(`^[0-9]{2}[0-9A-Z]{13}$`)

// StateCodeOf returns the state code of a GSTIN: its first two digits,
// checked against the GST state codes (01–38, 97 other territory, 99
// centre jurisdiction).
func StateCodeOf(gstin string) (string, error) {
	if !gstinPattern.MatchString(gstin) {
		return "", newError(CodeConfigInvalid, "GSTIN must be 15 characters: two digits then 13 of A-Z and 0-9")
	}
	sc := gstin[:2]
	if n := int(sc[0]-'0')*10 + int(sc[1]-'0'); (n < 1 || n > 38) && n != 97 && n != 99 {
		return "", newError(CodeConfigInvalid, "GSTIN state code %s is not a GST state code", sc)
	}
	return sc, nil
}

// Access-window bounds the GST portal allows.
const (
	MinAccessWindowMs = 6 * hour
	MaxAccessWindowMs = 30 * day
)

type gstnProvider struct{}

func init() { registerProvider(ProviderGSTN, gstnProvider{}) }

func (gstnProvider) steps() []string {
	return []string{StepOTPRequest, StepAuthToken, StepRefreshToken, StepLogout, StepEVCOTP}
}

func (gstnProvider) planStep(*Session, Action, int64) string { return StepRefreshToken }

func gstnAuthURL(s *Session) string {
	if s.Config.TokenURL != "" {
		return s.Config.TokenURL
	}
	return strings.TrimRight(s.Config.BaseURL, "/") + "/authenticate"
}

// GSTNHeaders returns the headers of a GSTN call for the session: the auth
// headers, plus auth-token once logged in and ret_period when retPeriod is
// given (returns calls). txn is a fresh request id from random (nil means
// crypto/rand).
func GSTNHeaders(s *Session, clientSecret, retPeriod string, random io.Reader) (map[string]string, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Provider != ProviderGSTN && s.Provider != ProviderGatewayTask {
		return nil, newError(CodeConfigInvalid, "GSTN headers are for GSTN sessions")
	}
	sc, err := StateCodeOf(s.Config.GSTIN)
	if err != nil {
		return nil, err
	}
	if err := requireField("config.client_id", s.Config.ClientID); err != nil {
		return nil, err
	}
	if err := requireField("config.username", s.Config.Username); err != nil {
		return nil, err
	}
	if err := requireField("credentials.client_secret", clientSecret); err != nil {
		return nil, err
	}
	txn := make([]byte, 16)
	if random == nil {
		random = rand.Reader
	}
	if _, err := io.ReadFull(random, txn); err != nil {
		return nil, newError(CodeInternal, "the random source failed")
	}
	ip := s.Config.IPUser
	if ip == "" {
		ip = "127.0.0.1"
	}
	h := map[string]string{
		"Content-Type":  "application/json",
		"clientid":      s.Config.ClientID,
		"client-secret": clientSecret,
		"state-cd":      sc,
		"ip-usr":        ip,
		"txn":           hex.EncodeToString(txn),
		"gstin":         s.Config.GSTIN,
		"username":      s.Config.Username,
	}
	if s.AccessToken != "" {
		h["auth-token"] = s.AccessToken
	}
	if retPeriod != "" {
		h["ret_period"] = retPeriod
	}
	return h, nil
}

func (gstnProvider) build(s *Session, step string, c *Credentials, o *RequestOptions) (*HTTPRequest, error) {
	if w := s.Config.AccessWindowMs; w != 0 && (w < MinAccessWindowMs || w > MaxAccessWindowMs) {
		return nil, newError(CodeConfigInvalid, "config.access_window_ms must be between 6 hours and 30 days")
	}
	headers, err := GSTNHeaders(s, c.ClientSecret, "", o.Random)
	if err != nil {
		return nil, err
	}
	req := &HTTPRequest{Method: "POST", URL: gstnAuthURL(s), Headers: headers}
	body := map[string]string{"username": s.Config.Username}
	rsaAppKey := func(key []byte) error {
		pub, err := publicKeyOf(c, "GSTN")
		if err != nil {
			return err
		}
		ct, err := EncryptRSA(o.Random, pub, key)
		if err != nil {
			return err
		}
		body["app_key"] = string(encodeB64(ct))
		return nil
	}
	switch step {
	case StepOTPRequest, StepAuthToken:
		key := s.AppKey
		if step == StepOTPRequest || len(key) != AppKeySize || s.AccessToken != "" {
			if key, err = appKeyFor(o); err != nil {
				return nil, err
			}
		}
		if err := rsaAppKey(key); err != nil {
			return nil, err
		}
		delete(headers, "auth-token")
		body["action"] = "OTPREQUEST"
		if step == StepAuthToken {
			otp := strings.TrimSpace(c.OTP)
			if otp == "" || len(otp) > 32 {
				return nil, newError(CodeUserActionRequired, "AUTHTOKEN needs the OTP the taxpayer received (credentials.otp)")
			}
			enc, err := EncryptAESECB(key, []byte(otp))
			if err != nil {
				return nil, err
			}
			body["action"], body["otp"] = "AUTHTOKEN", string(encodeB64(enc))
		}
		if step == StepOTPRequest {
			s.AppKey = key // AUTHTOKEN reuses it
		}
		s.Pending = &Pending{Step: step, AppKey: key}
	case StepRefreshToken:
		if s.AccessToken == "" || len(s.SEK) != AppKeySize {
			return nil, newError(CodeUserActionRequired, "there is no GSTN token to refresh: the taxpayer must give an OTP")
		}
		t := timingOf(s, policies[ProviderGSTN])
		if o.NowMs >= t.usableUntil || s.Rejected {
			return nil, newError(CodeUserActionRequired, "the GSTN token has expired; REFRESHTOKEN works only before expiry: the taxpayer must give an OTP")
		}
		key, err := appKeyFor(o)
		if err != nil {
			return nil, err
		}
		enc, err := EncryptAESECB(s.SEK, key)
		if err != nil {
			return nil, err
		}
		body["action"], body["app_key"], body["auth_token"] = "REFRESHTOKEN", string(encodeB64(enc)), s.AccessToken
		s.Pending = &Pending{Step: step, AppKey: key}
	case StepLogout:
		if s.AccessToken == "" {
			return nil, newError(CodeInvalidInput, "there is no GSTN session to log out of")
		}
		key, err := appKeyFor(o)
		if err != nil {
			return nil, err
		}
		if err := rsaAppKey(key); err != nil {
			return nil, err
		}
		body["action"], body["auth_token"] = "LOGOUT", s.AccessToken
		s.Pending = &Pending{Step: step}
	case StepEVCOTP:
		pan, form := o.Params["pan"], o.Params["form_type"]
		if pan == "" || form == "" {
			return nil, newError(CodeInvalidInput, "EVCOTP needs params pan and form_type")
		}
		q := url.Values{"action": {"EVCOTP"}, "pan": {pan}, "form_type": {form}}
		req.Method, req.URL = "GET", req.URL+"?"+q.Encode()
		delete(headers, "Content-Type")
		s.Pending = &Pending{Step: step}
		return req, nil
	}
	req.Body = jsonBody(body)
	return req, nil
}

type gstnAuthResponse struct {
	StatusCd  flexString `json:"status_cd"`
	AuthToken string     `json:"auth_token"`
	Expiry    flexString `json:"expiry"`
	SEK       string     `json:"sek"`
	Error     *struct {
		Message string     `json:"message"`
		ErrorCd flexString `json:"error_cd"`
	} `json:"error"`
}

func (gstnProvider) parse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error {
	if err := classifyHTTP(s, r, receivedAtMs); err != nil {
		return err
	}
	step := s.Pending.Step
	var body gstnAuthResponse
	if err := decodeBody(r, &body); err != nil {
		if r.Status == 401 {
			return rejectedNeedsOTP(s, "401", "GSTN refused the request (HTTP 401): the taxpayer must give a new OTP")
		}
		return err
	}
	if body.StatusCd != "1" {
		code, msg := "", "the GSTN request failed"
		if body.Error != nil {
			code, msg = string(body.Error.ErrorCd), body.Error.Message
		}
		return classifyGSTNError(s, step, code, msg, r.Status)
	}
	switch step {
	case StepOTPRequest, StepEVCOTP:
		s.Pending = nil
		return nil
	case StepLogout:
		*s = Session{Version: s.Version, Provider: s.Provider, Account: s.Account, Config: s.Config,
			SkewMs: s.SkewMs, SkewMeasuredAtMs: s.SkewMeasuredAtMs, Nonce: s.Nonce}
		return nil
	}
	if body.AuthToken == "" || body.SEK == "" {
		return newError(CodeProviderError, "the GSTN response has no auth_token or sek")
	}
	minutes, ok := body.Expiry.int64Of()
	if !ok {
		minutes = policies[ProviderGSTN].defaultLifetimeMs / minute
	}
	if err := CheckLifetime(minutes * minute); err != nil {
		return err
	}
	enc, err := decodeB64String("sek", body.SEK, MaxSmallField)
	if err != nil {
		return err
	}
	key := s.Pending.AppKey
	sek, err := DecryptSEK(key, enc)
	if err != nil {
		return err
	}
	expires := sentAtMs + minutes*minute
	if step == StepAuthToken {
		s.AccessWindowEndsAtMs = 0
		if w := s.Config.AccessWindowMs; w > 0 {
			s.AccessWindowEndsAtMs = sentAtMs + w
		}
	}
	if s.AccessWindowEndsAtMs > 0 {
		expires = min(expires, s.AccessWindowEndsAtMs)
	}
	s.RecordToken(body.AuthToken, sentAtMs, expires)
	s.SEK, s.AppKey = sek, key
	s.UserActionAtMs = s.AccessWindowEndsAtMs
	return nil
}

// classifyGSTNError maps the GSTN error codes of the reference to what the
// host must do.
func classifyGSTNError(s *Session, step, code, msg string, status int) error {
	if msg == "" {
		msg = "the GSTN request failed"
	}
	switch code {
	case "AUTH4033", "AUTH4034":
		if step == StepAuthToken {
			return terminal(s, CodeUserActionRequired, code, "the OTP was not accepted ("+msg+"): ask the taxpayer for a new OTP")
		}
		return rejectedNeedsOTP(s, code, "the GSTN session is invalid ("+msg+"): the taxpayer must give a new OTP")
	case "AUTH4038", "AUTH158", "RET11402", "RET2B1010":
		return rejectedNeedsOTP(s, code, "the GSTN session has expired or is not authorised ("+msg+"): the taxpayer must give a new OTP")
	case "AUTH4037":
		return terminal(s, CodeUserActionRequired, code, "GSTN API access is not enabled, or its duration is shorter than the token: the taxpayer must enable API access on the GST portal ("+msg+")")
	case "RETOTPREQUEST", "EVCREQUEST":
		return terminal(s, CodeUserActionRequired, code, "GSTN asks for an OTP ("+msg+")")
	case "AUTH4041":
		return terminal(s, CodeConfigInvalid, code, "GSTN refused the state-cd header: it must be the GSTIN's first two digits ("+msg+")")
	case "TEC4002":
		return terminal(s, CodeConfigInvalid, code, "GSTN could not decrypt the app key: update the GSTN public certificate ("+msg+")")
	case "AUT4033", "AUTH4035":
		return terminal(s, CodeConfigInvalid, code, "GSTN refused the client id or secret ("+msg+")")
	case "AUTH403":
		return terminal(s, CodeProviderError, code, "too many GSTN sessions for this GSP user ("+msg+"): log out elsewhere or wait")
	}
	if status == 401 {
		return rejectedNeedsOTP(s, code, "GSTN refused the request (HTTP 401): the taxpayer must give a new OTP")
	}
	s.Pending = nil
	return &Error{Code: CodeProviderError, Message: msg, ProviderCode: code}
}

func rejectedNeedsOTP(s *Session, code, msg string) error {
	s.RecordRejected()
	s.Pending = nil
	return &Error{Code: CodeUserActionRequired, Message: msg, ProviderCode: code}
}

// gstnRejectCodes are the GSTN errors of an ordinary call that mean the
// token is no longer valid.
var gstnRejectCodes = map[string]bool{"AUTH4033": true, "AUTH4038": true, "AUTH158": true, "RET11402": true, "RET2B1010": true}

func (gstnProvider) rejects(s *Session, r *HTTPResponse) bool {
	if r.Status == 401 {
		return true
	}
	var body gstnAuthResponse
	if decodeBody(r, &body) != nil || body.Error == nil {
		return false
	}
	return gstnRejectCodes[string(body.Error.ErrorCd)]
}
