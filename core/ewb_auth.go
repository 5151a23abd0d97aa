package core

import (
	"encoding/json"

	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/b64"
)

// NIC e-way bill v1.03 authentication (gst-protocols reference, "The three
// government APIs at a glance"; india-compliance api_classes/e_waybill.py).
//
// POST /auth/ with headers client-id, client-secret, gstin and the body
// {"Data": b64(RSA(NIC key, b64(json)))}, json being {action:"ACCESSTOKEN",
// username, password, app_key: b64(32 random bytes)}. The answer
// {status:"1", authtoken, sek} states no expiry: the token is taken to live
// 6 hours from when the request was sent. Errors are {status:"0", error:
// b64(json {"errorCodes":"238,..."})} ([DecodeEWBError]): 238 (invalid auth
// token) → rejected, authenticate again; any other code fails the auth for
// a person to look at, since the e-way bill system's credential errors are
// not told apart here and a wrong password must not be retried.

type ewbProvider struct{}

func init() { registerProvider(ProviderNICEWayBill, ewbProvider{}) }

func (ewbProvider) steps() []Step                         { return []Step{StepAuth} }
func (ewbProvider) planStep(*Session, Action, int64) Step { return StepAuth }

func (ewbProvider) build(s *Session, step Step, c *Credentials, o *RequestOptions) (*HTTPRequest, error) {
	headers := map[string]string{"client-id": s.Config.ClientID, "client-secret": c.ClientSecret, "gstin": s.Config.GSTIN}
	return buildNICAuth(s, step, c, o, "/auth/", headers, func(appKey, password string) any {
		return struct {
			Action   string `json:"action"`
			Username string `json:"username"`
			Password string `json:"password"`
			AppKey   string `json:"app_key"`
		}{"ACCESSTOKEN", s.Config.Username, password, appKey}
	})
}

// ewbAuthResponse is an e-way bill auth answer; it is also the error shape
// of every e-way bill call.
type ewbAuthResponse struct {
	Status    flexString `json:"status"`
	AuthToken string     `json:"authtoken"`
	Sek       string     `json:"sek"`
	Error     any        `json:"error"`
}

// ewbErrorCodes returns the codes of a failed e-way bill answer. The error
// is base64 JSON as the reference shows; the plain JSON object of NIC's own
// GetErrorList page ({"errorCodes": 240}) is accepted too.
func (b *ewbAuthResponse) errorCodes() []string {
	switch e := b.Error.(type) {
	case string:
		codes, _ := gstcrypto.DecodeEWBError(e)
		return codes
	case map[string]any:
		// The same reading as the base64 form's, on the object itself.
		js, err := json.Marshal(e)
		if err != nil {
			return nil
		}
		codes, _ := gstcrypto.DecodeEWBError(string(b64.Encode(js)))
		return codes
	}
	return nil
}

func (ewbProvider) parse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error {
	if err := classifyHTTP(s, r, receivedAtMs); err != nil {
		return err
	}
	var body ewbAuthResponse
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Status != "1" {
		c := classifyCodes(familyEWB, body.errorCodes(), "", true)
		if c.outcome == OutcomeProviderError && !c.known {
			// A code outside the catalogue: the e-way bill system's
			// credential errors are not all listed, and a wrong password
			// must not be repeated, so a person looks at it.
			c.outcome, c.code = OutcomeUserAction, gstcrypto.CodeUserActionRequired
		}
		return recordAuthFailure(s, c, "the e-way bill system", "", receivedAtMs)
	}
	if body.AuthToken == "" || body.Sek == "" {
		return newError(gstcrypto.CodeProviderError, "the e-way bill auth answer has no authtoken or sek")
	}
	expires := sentAtMs + policies[ProviderNICEWayBill].defaultLifetimeMs
	if body.AuthToken == s.AccessToken && !s.Rejected {
		// The same token again: it still ends when it did.
		expires = s.ExpiresAtMs
	}
	return recordNICToken(s, body.AuthToken, body.Sek, expires, sentAtMs, receivedAtMs)
}

func (ewbProvider) classifyAPI(r *HTTPResponse) (classification, bool) {
	return classifyGSTAPI(familyEWB, true, r, func() ([]string, string, bool) {
		var body ewbAuthResponse
		if decodeBody(r, &body) != nil || body.Status == "1" || body.Status == "" && body.Error == nil {
			return nil, "", false
		}
		return body.errorCodes(), "", true
	})
}
