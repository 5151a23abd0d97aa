package core

import (
	"encoding/hex"
	"io"
	"net/url"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/b64"
)

// The GSTN taxpayer API authentication (gst-protocols reference, "GSTN
// taxpayer authentication"; india-compliance taxpayer_base.py). Every action
// is a POST to .../authenticate with the action in the body:
//
//	OTPREQUEST   {action, app_key, username}                    app_key = b64(RSA(GSTN cert, K))
//	AUTHTOKEN    {action, app_key, username, otp}               otp = b64(AES-ECB(K, ascii OTP))
//	REFRESHTOKEN {action, app_key, username, auth_token}        app_key = b64(AES-ECB(EK, K'))
//	LOGOUT       {action, username, auth_token, app_key}        app_key = b64(RSA(GSTN cert, the session's K))
//	EVCOTP       GET authenticate?action=EVCOTP&pan=...&form_type=...
//
// K is one app key for OTPREQUEST and the AUTHTOKEN that follows it, as
// india-compliance keeps one app key per credential. REFRESHTOKEN sends a
// fresh K' under the current session key EK, and the new sek decrypts with
// K': every peer re-sends its stored key instead, and no document requires
// either, but a fresh key per token means a key that leaked with one token
// decrypts nothing of the next, and the server needs no more than the key
// it is sent. LOGOUT sends the session's own app key (the one its sek was
// issued for) under the GSTN certificate, because GSTN's LOGOUT text says
// the same app key is checked together with the auth token. Headers: clientid, client-secret, state-cd (the GSTIN's first two
// digits), ip-usr, txn, gstin, username; auth-token once logged in.
// AUTHTOKEN and REFRESHTOKEN answer {status_cd, auth_token, expiry
// (minutes), sek}. A refresh works only before expiry (Sandbox.co.in) and
// never reaches past the taxpayer's API-access window.

// The GSTN steps.
const (
	StepOTPRequest   Step = "otp_request"
	StepAuthToken    Step = "auth_token"
	StepRefreshToken Step = "refresh_token"
	StepLogout       Step = "logout"
	StepEVCOTP       Step = "evc_otp"
)

var gstinPattern = lazyRegexp(`^[0-9]{2}[0-9A-Z]{13}$`)

// StateCodeOf returns the state code of a GSTIN: its first two digits,
// checked against the GST state codes (01–38, 97 other territory, 99
// centre jurisdiction). GSTN answers AUTH4041 when the state-cd header and
// the GSTIN disagree.
func StateCodeOf(gstin string) (string, error) {
	if !gstinPattern().MatchString(gstin) {
		return "", newError(gstcrypto.CodeConfigInvalid, "GSTIN must be 15 characters: two digits then 13 of A-Z and 0-9")
	}
	sc := gstin[:2]
	if n := int(sc[0]-'0')*10 + int(sc[1]-'0'); (n < 1 || n > 38) && n != 97 && n != 99 {
		return "", newError(gstcrypto.CodeConfigInvalid, "GSTIN state code %s is not a GST state code", sc)
	}
	return sc, nil
}

// Access-window bounds the GST portal allows a taxpayer to set.
const (
	MinAccessWindowMs = 6 * hour
	MaxAccessWindowMs = 30 * day
)

// GSTNHeaderOptions are the inputs of [GSTNHeaders] besides the session.
type GSTNHeaderOptions struct {
	// ClientSecret is the GSP's client-secret header value.
	ClientSecret string
	// RetPeriod is the return period, MMYYYY, of a returns call; empty for
	// other calls.
	RetPeriod string
	// ReturnType (rtn_typ) and UserRole (userrole) name the return of a
	// returns call, as india-compliance sends them ("GSTR1", ...); empty
	// for other calls.
	ReturnType, UserRole string
	// Txn is the request id; empty means 32 hex digits from Random.
	Txn string
	// Random is the source of txn; nil means crypto/rand.
	Random io.Reader
}

var (
	retPeriodPattern  = lazyRegexp(`^(0[1-9]|1[0-2])[0-9]{4}$`)
	txnPattern        = lazyRegexp(`^[A-Za-z0-9_-]{1,64}$`)
	returnNamePattern = lazyRegexp(`^[A-Z0-9_-]{1,32}$`)
)

// GSTNHeaders returns the headers of a GSTN call for the session (GSTN
// API common headers; india-compliance taxpayer_base.py): clientid,
// client-secret, state-cd, ip-usr, txn, gstin, username, Content-Type, plus
// auth-token once the session has a token and ret_period for returns calls.
// It works for GSTN sessions and for the GSTN-like sessions of a gateway's
// task API.
func GSTNHeaders(s *Session, o GSTNHeaderOptions) (map[string]string, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Provider != ProviderGSTN && s.Provider != ProviderGatewayTask {
		return nil, newError(gstcrypto.CodeConfigInvalid, "GSTN headers are for GSTN and gateway task sessions, not %s", s.Provider)
	}
	sc, err := StateCodeOf(s.Config.GSTIN)
	if err != nil {
		return nil, err
	}
	for _, f := range [][2]string{{"config.client_id", s.Config.ClientID}, {"config.username", s.Config.Username},
		{"config.ip_usr (the end user's IP address)", s.Config.IPUser}, {"credentials.client_secret", o.ClientSecret}} {
		if err := requireField(f[0], f[1]); err != nil {
			return nil, err
		}
	}
	if o.RetPeriod != "" && !retPeriodPattern().MatchString(o.RetPeriod) {
		return nil, newError(gstcrypto.CodeInvalidInput, "ret_period must be MMYYYY")
	}
	for _, f := range [][2]string{{"rtn_typ", o.ReturnType}, {"userrole", o.UserRole}} {
		if f[1] != "" && !returnNamePattern().MatchString(f[1]) {
			return nil, newError(gstcrypto.CodeInvalidInput, "%s must be 1-32 characters of A-Z 0-9 _ -", f[0])
		}
	}
	txn := o.Txn
	if txn == "" {
		b := make([]byte, 16)
		if _, err := io.ReadFull(randomOr(o.Random), b); err != nil {
			return nil, newError(gstcrypto.CodeInternal, "the random source failed")
		}
		txn = hex.EncodeToString(b)
	} else if !txnPattern().MatchString(txn) {
		return nil, newError(gstcrypto.CodeInvalidInput, "txn must be 1-64 characters of A-Z a-z 0-9 _ -")
	}
	h := map[string]string{
		"Content-Type":  "application/json",
		"clientid":      s.Config.ClientID,
		"client-secret": o.ClientSecret,
		"state-cd":      sc,
		"ip-usr":        s.Config.IPUser,
		"txn":           txn,
		"gstin":         s.Config.GSTIN,
		"username":      s.Config.Username,
	}
	if s.AccessToken != "" {
		h["auth-token"] = s.AccessToken
	}
	if o.RetPeriod != "" {
		h["ret_period"] = o.RetPeriod
	}
	if o.ReturnType != "" {
		h["rtn_typ"] = o.ReturnType
	}
	if o.UserRole != "" {
		h["userrole"] = o.UserRole
	}
	return h, nil
}

type gstnProvider struct{}

func init() { registerProvider(ProviderGSTN, gstnProvider{}) }

func (gstnProvider) steps() []Step {
	return []Step{StepOTPRequest, StepAuthToken, StepRefreshToken, StepLogout, StepEVCOTP}
}

// planStep: the planner asks GSTN for a request only to refresh; renewal
// always needs an OTP (user_action).
func (gstnProvider) planStep(*Session, Action, int64) Step { return StepRefreshToken }

func gstnAuthURL(s *Session) (string, error) {
	if s.Config.TokenURL != "" {
		return s.Config.TokenURL, nil
	}
	if s.Config.BaseURL == "" {
		return "", newError(gstcrypto.CodeConfigInvalid, "config.base_url (…/taxpayerapi/v1.0) or config.token_url is required")
	}
	return strings.TrimRight(s.Config.BaseURL, "/") + "/authenticate", nil
}

// checkAccessWindow checks config.access_window_ms against the portal's
// bounds.
func checkAccessWindow(c Config) error {
	if w := c.AccessWindowMs; w != 0 && (w < MinAccessWindowMs || w > MaxAccessWindowMs) {
		return newError(gstcrypto.CodeConfigInvalid, "config.access_window_ms must be between 6 hours and 30 days")
	}
	return nil
}

func (gstnProvider) build(s *Session, step Step, c *Credentials, o *RequestOptions) (*HTTPRequest, error) {
	if err := checkAccessWindow(s.Config); err != nil {
		return nil, err
	}
	authURL, err := gstnAuthURL(s)
	if err != nil {
		return nil, err
	}
	headers, err := GSTNHeaders(s, GSTNHeaderOptions{ClientSecret: c.ClientSecret, Random: o.Random})
	if err != nil {
		return nil, err
	}
	req := &HTTPRequest{Method: "POST", URL: authURL, Headers: headers}
	body := map[string]string{"username": s.Config.Username}
	switch step {
	case StepOTPRequest, StepAuthToken:
		delete(headers, "auth-token")
		key := s.OTPAppKey
		if step == StepOTPRequest || len(key) != gstcrypto.AppKeySize {
			if key, err = appKeyFor(o); err != nil {
				return nil, err
			}
		}
		if body["app_key"], err = rsaAppKey(c, key); err != nil {
			return nil, err
		}
		body["action"] = "OTPREQUEST"
		if step == StepAuthToken {
			otp := strings.TrimSpace(c.OTP)
			if otp == "" || len(otp) > 32 {
				return nil, newError(gstcrypto.CodeUserActionRequired, "AUTHTOKEN needs the OTP the taxpayer received (credentials.otp)")
			}
			enc, err := gstcrypto.EncryptAESECB(key, []byte(otp))
			if err != nil {
				return nil, err
			}
			body["action"], body["otp"] = "AUTHTOKEN", string(b64.Encode(enc))
		}
		s.Pending = &Pending{Step: step, AppKey: key}
	case StepRefreshToken:
		if s.AccessToken == "" || len(s.SEK) != gstcrypto.AppKeySize {
			return nil, newError(gstcrypto.CodeUserActionRequired, "there is no GSTN token to refresh: the taxpayer must give an OTP")
		}
		if t := timingOf(s, policies[ProviderGSTN]); o.NowMs >= t.usableUntil || s.Rejected {
			return nil, newError(gstcrypto.CodeUserActionRequired, "the GSTN token has expired; REFRESHTOKEN works only before expiry: the taxpayer must give an OTP")
		}
		key, err := appKeyFor(o)
		if err != nil {
			return nil, err
		}
		enc, err := gstcrypto.EncryptAESECB(s.SEK, key)
		if err != nil {
			return nil, err
		}
		body["action"], body["app_key"], body["auth_token"] = "REFRESHTOKEN", string(b64.Encode(enc)), s.AccessToken
		s.Pending = &Pending{Step: step, AppKey: key}
	case StepLogout:
		if s.AccessToken == "" || len(s.AppKey) != gstcrypto.AppKeySize {
			return nil, newError(gstcrypto.CodeInvalidInput, "there is no GSTN session to log out of")
		}
		if body["app_key"], err = rsaAppKey(c, s.AppKey); err != nil {
			return nil, err
		}
		body["action"], body["auth_token"] = "LOGOUT", s.AccessToken
		s.Pending = &Pending{Step: step}
	case StepEVCOTP:
		pan, form := o.Params["pan"], o.Params["form_type"]
		if !panPattern().MatchString(pan) || form == "" || len(form) > 32 {
			return nil, newError(gstcrypto.CodeInvalidInput, "EVCOTP needs params pan (10 characters, AAAAA9999A) and form_type")
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

var panPattern = lazyRegexp(`^[A-Z]{5}[0-9]{4}[A-Z]$`)

// rsaAppKey encrypts an app key to the GSTN public key, base64.
func rsaAppKey(c *Credentials, key []byte) (string, error) {
	pub, err := publicKeyOf(c, "GSTN")
	if err != nil {
		return "", err
	}
	ct, err := gstcrypto.EncryptRSA(pub, key)
	if err != nil {
		return "", err
	}
	return string(b64.Encode(ct)), nil
}

// gstnAuthResponse is an answer of .../authenticate: success
// {status_cd:"1", auth_token, expiry, sek} or failure {status_cd:"0",
// error:{message, error_cd}}. status_cd comes as a string or a number.
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
			return classifyGSTNError(s, step, "", "", r.Status, receivedAtMs)
		}
		return err
	}
	if body.StatusCd != "1" {
		code, msg := "", ""
		if body.Error != nil {
			code, msg = string(body.Error.ErrorCd), body.Error.Message
		}
		return classifyGSTNError(s, step, code, msg, r.Status, receivedAtMs)
	}
	switch step {
	case StepOTPRequest:
		s.OTPAppKey = s.Pending.AppKey // AUTHTOKEN reuses it
		s.Pending = nil
		return nil
	case StepEVCOTP:
		s.Pending = nil
		return nil
	case StepLogout:
		s.forgetToken()
		return nil
	}
	if body.AuthToken == "" || body.SEK == "" {
		return newError(gstcrypto.CodeProviderError, "the GSTN response has no auth_token or sek")
	}
	lifetime, err := gstnLifetime(body.Expiry, ProviderGSTN)
	if err != nil {
		return err
	}
	sek, err := decryptSEKField(s.Pending.AppKey, "sek", body.SEK)
	if err != nil {
		return err
	}
	expires := sentAtMs + lifetime
	if step == StepAuthToken {
		s.AccessWindowEndsAtMs = 0
		if w := s.Config.AccessWindowMs; w > 0 {
			s.AccessWindowEndsAtMs = sentAtMs + w
		}
		s.OTPAppKey = nil
	}
	if s.AccessWindowEndsAtMs > 0 {
		expires = min(expires, s.AccessWindowEndsAtMs)
	}
	if expires <= receivedAtMs {
		return newError(gstcrypto.CodeProviderError, "the token GSTN issued ends before it arrived (the access window is over): the taxpayer must give a new OTP")
	}
	key := s.Pending.AppKey
	s.recordToken(body.AuthToken, sentAtMs, expires)
	s.SEK, s.AppKey = sek, key
	return nil
}

// gstnLifetime reads GSTN's expiry, in minutes as india-compliance reads
// it; missing means the provider's default (6 hours). Zero, negative, over
// a year or not a number is provider_error: the token is not stored.
func gstnLifetime(expiry flexString, p Provider) (int64, error) {
	if expiry == "" {
		return policies[p].defaultLifetimeMs, nil
	}
	minutes, ok := expiry.int64Of()
	if !ok || minutes <= 0 || minutes > MaxLifetimeMs/minute {
		return 0, newError(gstcrypto.CodeProviderError, "the stated expiry is not a sensible number of minutes (1 to a year)")
	}
	return minutes * minute, nil
}

// forgetToken drops the token, its keys and every failure state, keeping
// the configuration and the clock measurements (after LOGOUT).
func (s *Session) forgetToken() {
	*s = Session{Version: s.Version, Provider: s.Provider, Account: s.Account, Config: s.Config,
		SkewMs: s.SkewMs, SkewMeasuredAtMs: s.SkewMeasuredAtMs, Nonce: s.Nonce}
}

// decryptSEKField decodes and decrypts a base64 SEK a response carries.
func decryptSEKField(appKey []byte, field, v string) ([]byte, error) {
	enc, err := b64.DecodeString(v, gstcrypto.MaxSmallField)
	if err != nil {
		return nil, newError(gstcrypto.CodeProviderError, "the provider's %s is not standard base64", field)
	}
	return gstcrypto.DecryptSEK(appKey, enc)
}

// classifyGSTNError applies the catalogue's class of a failed
// authenticate answer to the session. OTPREQUEST and AUTHTOKEN read a
// code with its during_auth class: there, AUTH4033 is a wrong or expired
// OTP (india-compliance maps it to invalid_otp), which a person must give
// again. An unknown code under HTTP 401 is a rejected session. A LOGOUT
// whose session GSTN says is already gone has logged out: the session
// forgets its token and the exchange succeeds.
func classifyGSTNError(s *Session, step Step, code, msg string, status int, nowMs int64) error {
	c := classifyCodes(familyGSTN, nonEmpty(code), msg, step == StepOTPRequest || step == StepAuthToken)
	if c.outcome == OutcomeProviderError && status == 401 {
		c, _ = classifyStatus(401)
		if code != "" {
			c.providerCode = code
		}
	}
	if step == StepLogout && c.outcome == OutcomeReauthenticate {
		s.forgetToken()
		return nil
	}
	return recordAuthFailure(s, c, "GSTN", msg, nowMs)
}

func (gstnProvider) classifyAPI(r *HTTPResponse) (classification, bool) {
	return classifyGSTAPI(familyGSTN, true, r, func() ([]string, string, bool) { return gstnAPIFailure(r) })
}

// gstnAPIFailure reads a GSTN answer {status_cd:"0", error:{error_cd,
// message}}, or a GSP's own envelope {"success": false, "message": ...}
// (india-compliance reads the outage markers from it).
func gstnAPIFailure(r *HTTPResponse) (codes []string, message string, failed bool) {
	var body struct {
		StatusCd flexString `json:"status_cd"`
		Success  *bool      `json:"success"`
		Message  string     `json:"message"`
		Error    *struct {
			Message string     `json:"message"`
			ErrorCd flexString `json:"error_cd"`
		} `json:"error"`
	}
	if decodeBody(r, &body) != nil {
		return nil, "", false
	}
	switch {
	case body.Error != nil:
		return nonEmpty(string(body.Error.ErrorCd)), body.Error.Message, true
	case body.StatusCd == "0":
		return nil, body.Message, true
	case body.Success != nil && !*body.Success:
		return nil, body.Message, true
	}
	return nil, "", false
}
