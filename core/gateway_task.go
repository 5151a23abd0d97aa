package core

import (
	"strconv"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/b64"
)

// A GSP gateway's task API (gst-protocols reference, "Signzy-style task
// API"):
//
//	POST {"task":"getAuthToken","essentials":{gstin, username, otp, appKey}}
//	Authorization: <the gateway's own access token>
//	→ {task, essentials, id, patronId, result:{message, authToken, expiry, sek}}
//
// The gateway talks to GSTN itself, which is why gstauth decides the
// encodings as follows. appKey is the standard base64 of the 32-byte app key
// (the gateway encrypts it for GSTN); when credentials.public_key is given
// it is instead b64(RSA-PKCS#1-v1.5(that key, 32 bytes)), as GSTN's own
// app_key, for gateways that pass the field through unchanged. expiry is
// GSTN's minutes, counted from when the request was sent; sek is
// b64(AES-256-ECB(app key, EK)) exactly as in a GSTN AUTHTOKEN answer and
// decrypts with the app key. The result is a GSTN-like session: its SEK
// encrypts GSTN payloads and [GSTNHeaders] builds its headers.
//
// The task API offers no refresh, so a new OTP is needed when the token
// ends; the planner says so in advance through user_action_at. HTTP status
// classes: 200 success; 400 and 422 the gateway refused the input (a wrong
// or expired OTP among them) → a person must act; 401 the gateway refused
// its own access token → reauth_required (renew the gateway's token; this
// session is unchanged); 404 a wrong URL or task → config_invalid; 429 and
// 5xx → retried with backoff.

// StepGetAuthToken is the gateway task that exchanges an OTP for a token.
const StepGetAuthToken Step = "get_auth_token"

type gatewayTaskProvider struct{}

func init() { registerProvider(ProviderGatewayTask, gatewayTaskProvider{}) }

func (gatewayTaskProvider) steps() []Step                         { return []Step{StepGetAuthToken} }
func (gatewayTaskProvider) planStep(*Session, Action, int64) Step { return StepGetAuthToken }

func (gatewayTaskProvider) build(s *Session, step Step, c *Credentials, o *RequestOptions) (*HTTPRequest, error) {
	if _, err := StateCodeOf(s.Config.GSTIN); err != nil {
		return nil, err
	}
	if err := requireField("config.username", s.Config.Username); err != nil {
		return nil, err
	}
	if err := requireField("credentials.gateway_token", c.GatewayToken); err != nil {
		return nil, err
	}
	otp := strings.TrimSpace(c.OTP)
	if otp == "" || len(otp) > 32 {
		return nil, newError(gstcrypto.CodeUserActionRequired, "getAuthToken needs the OTP the taxpayer received (credentials.otp)")
	}
	url := s.Config.TokenURL
	if url == "" {
		url = s.Config.BaseURL
	}
	if url == "" {
		return nil, newError(gstcrypto.CodeConfigInvalid, "config.token_url (the task endpoint) is required")
	}
	key, err := appKeyFor(o)
	if err != nil {
		return nil, err
	}
	appKey := string(b64.Encode(key))
	if c.PublicKey != "" {
		if appKey, err = rsaAppKey(c, key); err != nil {
			return nil, err
		}
	}
	body := map[string]any{"task": "getAuthToken", "essentials": map[string]string{
		"gstin": s.Config.GSTIN, "username": s.Config.Username, "otp": otp, "appKey": appKey}}
	s.Pending = &Pending{Step: step, AppKey: key}
	return &HTTPRequest{Method: "POST", URL: url, Body: jsonBody(body),
		Headers: map[string]string{"Content-Type": "application/json", "Authorization": c.GatewayToken}}, nil
}

type gatewayTaskResponse struct {
	ID       flexString `json:"id"`
	PatronID flexString `json:"patronId"`
	Result   *struct {
		Message   string     `json:"message"`
		AuthToken string     `json:"authToken"`
		Expiry    flexString `json:"expiry"`
		Sek       string     `json:"sek"`
	} `json:"result"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func (gatewayTaskProvider) parse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error {
	if err := classifyHTTP(s, r, receivedAtMs); err != nil {
		return err
	}
	var body gatewayTaskResponse
	decodeErr := decodeBody(r, &body)
	detail := ""
	if body.Error != nil && body.Error.Message != "" {
		detail = " (gateway: " + clip(body.Error.Message, 200) + ")"
	} else if body.Result != nil && body.Result.Message != "" {
		detail = " (gateway: " + clip(body.Result.Message, 200) + ")"
	}
	code := strconv.Itoa(r.Status)
	switch r.Status {
	case 200:
	case 401:
		s.Pending = nil
		return &Error{Code: gstcrypto.CodeReauthRequired, ProviderCode: code,
			Message: "the gateway refused its own access token (HTTP 401): renew credentials.gateway_token" + detail}
	case 404:
		return terminal(s, gstcrypto.CodeConfigInvalid, code, "the gateway does not know this URL or task (HTTP 404): check config.token_url"+detail)
	case 400, 422:
		return terminal(s, gstcrypto.CodeUserActionRequired, code, "the gateway refused the request (HTTP "+code+"), for example a wrong or expired OTP: ask the taxpayer for a new OTP"+detail)
	default:
		return &Error{Code: gstcrypto.CodeProviderError, ProviderCode: code, Message: "unexpected gateway answer (HTTP " + code + ")" + detail}
	}
	if decodeErr != nil {
		return decodeErr
	}
	if body.Result == nil || body.Result.AuthToken == "" || body.Result.Sek == "" {
		return newError(gstcrypto.CodeProviderError, "the gateway answer has no result.authToken or result.sek")
	}
	lifetime, err := gstnLifetime(body.Result.Expiry, ProviderGatewayTask)
	if err != nil {
		return err
	}
	sek, err := decryptSEKField(s.Pending.AppKey, "sek", body.Result.Sek)
	if err != nil {
		return err
	}
	key := s.Pending.AppKey
	s.recordToken(body.Result.AuthToken, sentAtMs, sentAtMs+lifetime)
	s.SEK, s.AppKey = sek, key
	if s.Info == nil {
		s.Info = map[string]string{}
	}
	for k, v := range map[string]flexString{"gateway_id": body.ID, "patron_id": body.PatronID} {
		if v != "" && len(v) <= 256 {
			s.Info[k] = string(v)
		}
	}
	return nil
}

// classifyAPI: a gateway answers in GSTN's codes, but its 401 is about its
// own access token, not this session.
func (gatewayTaskProvider) classifyAPI(r *HTTPResponse) (classification, bool) {
	return classifyGSTAPI(familyGSTN, false, r, func() ([]string, string, bool) { return gstnAPIFailure(r) })
}
