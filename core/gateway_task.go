package core

import (
	"strconv"
	"strings"
)

// A GSP gateway's task API (../shared/reference: "Signzy-style task API"):
//
//	POST {"task":"getAuthToken","essentials":{gstin, username, otp, appKey}}
//	Authorization: <the gateway's own access token>
//	→ {task, essentials, id, patronId, result:{message, authToken, expiry, sek}}
//
// The gateway talks to GSTN itself, so gstauth sends appKey as plain
// base64 of the 32-byte key (the gateway RSA-encrypts it for GSTN), reads
// expiry as GSTN's minutes, and decrypts sek with the app key exactly as a
// GSTN AUTHTOKEN answer. The result is a GSTN-like session: encrypt payloads
// with its SEK. The task API offers no refresh: a new OTP is needed when
// the token ends, which the planner announces in advance (user_action_at).
// HTTP 400 and 422 are the gateway refusing the input (a wrong OTP among
// them), 401 its own token, 404 a wrong URL or task.

// StepGetAuthToken is the gateway task that exchanges an OTP for a token.
const StepGetAuthToken = "get_auth_token"

type gatewayTaskProvider struct{}

func init() { registerProvider(ProviderGatewayTask, gatewayTaskProvider{}) }

func (gatewayTaskProvider) steps() []string                         { return []string{StepGetAuthToken} }
func (gatewayTaskProvider) planStep(*Session, Action, int64) string { return StepGetAuthToken }

func (gatewayTaskProvider) build(s *Session, step string, c *Credentials, o *RequestOptions) (*HTTPRequest, error) {
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
	if otp == "" {
		return nil, newError(CodeUserActionRequired, "getAuthToken needs the OTP the taxpayer received (credentials.otp)")
	}
	key, err := appKeyFor(o)
	if err != nil {
		return nil, err
	}
	url := s.Config.TokenURL
	if url == "" {
		url = s.Config.BaseURL
	}
	if url == "" {
		return nil, newError(CodeConfigInvalid, "config.token_url (the task endpoint) is required")
	}
	body := map[string]any{"task": "getAuthToken", "essentials": map[string]string{
		"gstin": s.Config.GSTIN, "username": s.Config.Username, "otp": otp, "appKey": string(encodeB64(key))}}
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
		Message string     `json:"message"`
		Status  flexString `json:"status"`
	} `json:"error"`
}

func (gatewayTaskProvider) parse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error {
	if err := classifyHTTP(s, r, receivedAtMs); err != nil {
		return err
	}
	var body gatewayTaskResponse
	_ = decodeBody(r, &body)
	msg := ""
	if body.Error != nil {
		msg = body.Error.Message
	} else if body.Result != nil {
		msg = body.Result.Message
	}
	code := strconv.Itoa(r.Status)
	switch {
	case r.Status == 401:
		s.Pending = nil
		return &Error{Code: CodeReauthRequired, ProviderCode: code, Message: "the gateway refused its access token (HTTP 401): renew the gateway token " + msg}
	case r.Status == 404:
		return terminal(s, CodeConfigInvalid, code, "the gateway does not know this URL or task (HTTP 404)")
	case r.Status == 400 || r.Status == 422:
		return terminal(s, CodeUserActionRequired, code, "the gateway refused the request (HTTP "+code+"), for example a wrong OTP: "+msg)
	case r.Status != 200:
		s.Pending = nil
		return &Error{Code: CodeProviderError, ProviderCode: code, Message: "unexpected gateway answer (HTTP " + code + ")"}
	}
	if body.Result == nil || body.Result.AuthToken == "" || body.Result.Sek == "" {
		return newError(CodeProviderError, "the gateway answer has no result.authToken or result.sek")
	}
	minutes, ok := body.Result.Expiry.int64Of()
	if !ok {
		minutes = policies[ProviderGatewayTask].defaultLifetimeMs / minute
	}
	if err := CheckLifetime(minutes * minute); err != nil {
		return err
	}
	enc, err := decodeB64String("sek", body.Result.Sek, MaxSmallField)
	if err != nil {
		return err
	}
	key := s.Pending.AppKey
	sek, err := DecryptSEK(key, enc)
	if err != nil {
		return err
	}
	s.RecordToken(body.Result.AuthToken, sentAtMs, sentAtMs+minutes*minute)
	s.SEK, s.AppKey = sek, key
	if s.Info == nil {
		s.Info = map[string]string{}
	}
	if body.ID != "" {
		s.Info["id"] = string(body.ID)
	}
	if body.PatronID != "" {
		s.Info["patron_id"] = string(body.PatronID)
	}
	return nil
}

func (gatewayTaskProvider) rejects(s *Session, r *HTTPResponse) bool { return r.Status == 401 }
