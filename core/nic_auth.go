package core

import (
	"strings"
)

// NIC e-invoice (IRP) v1.04 and e-way bill authentication
// (../shared/reference: "NIC e-invoice auth details"; india-compliance
// nic/auth.py and nic/e_waybill.py).
//
// e-invoice: POST /eivital/v1.04/auth, headers client_id, client_secret,
// Gstin; body {"Data": b64(RSA(NIC key, b64(json)))} with json {UserName,
// Password, AppKey: b64(32 random bytes), ForceRefreshAccessToken}. The
// answer {Status:1, Data:{ClientId, UserName, AuthToken, Sek, TokenExpiry}}
// carries TokenExpiry "yyyy-MM-dd HH:mm:ss" in IST. Inside the 360-minute
// window a repeated auth returns the same token; ForceRefreshAccessToken
// is honoured only in the last 10 minutes, which the planner respects.
//
// e-way bill: POST /auth/, headers client-id, client-secret, gstin; json
// {action:"ACCESSTOKEN", username, password, app_key} encrypted the same
// way; the answer {status:"1", authtoken, sek} has no expiry: 6 hours.
//
// Errors: e-invoice {Status:0, ErrorDetails:[{ErrorCode, ErrorMessage}]}
// (1005 invalid token → authenticate again; 1004, 1008, 1010, 1013, 1016,
// 1017, 1019 → a person must fix something); e-way bill {status:"0", error:
// b64(json {"errorCodes":"238,..."})} (238 invalid token → authenticate
// again).

// The NIC steps.
const (
	// StepAuth authenticates with the stored password.
	StepAuth = "auth"
	// StepForceRefresh authenticates with ForceRefreshAccessToken: a new
	// token in the last 10 minutes of the old one.
	StepForceRefresh = "force_refresh"
)

type nicProvider struct{ ewb bool }

func init() {
	registerProvider(ProviderNICEInvoice, nicProvider{})
	registerProvider(ProviderNICEWayBill, nicProvider{ewb: true})
}

func (p nicProvider) steps() []string {
	if p.ewb {
		return []string{StepAuth}
	}
	return []string{StepAuth, StepForceRefresh}
}

func (p nicProvider) planStep(s *Session, a Action, _ int64) string {
	if a == ActionRefresh && !p.ewb && s.AccessToken != "" && !s.Rejected {
		return StepForceRefresh
	}
	return StepAuth
}

func (p nicProvider) build(s *Session, step string, c *Credentials, o *RequestOptions) (*HTTPRequest, error) {
	for _, f := range [][2]string{{"config.client_id", s.Config.ClientID}, {"config.username", s.Config.Username},
		{"credentials.client_secret", c.ClientSecret}, {"credentials.password", c.Password}} {
		if err := requireField(f[0], f[1]); err != nil {
			return nil, err
		}
	}
	if _, err := StateCodeOf(s.Config.GSTIN); err != nil {
		return nil, err
	}
	pub, err := publicKeyOf(c, "NIC")
	if err != nil {
		return nil, err
	}
	key, err := appKeyFor(o)
	if err != nil {
		return nil, err
	}
	var payload, url string
	var headers map[string]string
	base := strings.TrimRight(s.Config.BaseURL, "/")
	if p.ewb {
		payload = jsonBody(struct {
			Action   string `json:"action"`
			Username string `json:"username"`
			Password string `json:"password"`
			AppKey   string `json:"app_key"`
		}{"ACCESSTOKEN", s.Config.Username, c.Password, string(encodeB64(key))})
		url = base + "/auth/"
		headers = map[string]string{"client-id": s.Config.ClientID, "client-secret": c.ClientSecret, "gstin": s.Config.GSTIN}
	} else {
		payload = jsonBody(struct {
			UserName                string `json:"UserName"`
			Password                string `json:"Password"`
			AppKey                  string `json:"AppKey"`
			ForceRefreshAccessToken bool   `json:"ForceRefreshAccessToken"`
		}{s.Config.Username, c.Password, string(encodeB64(key)), step == StepForceRefresh})
		url = base + "/eivital/v1.04/auth"
		headers = map[string]string{"client_id": s.Config.ClientID, "client_secret": c.ClientSecret, "Gstin": s.Config.GSTIN}
	}
	if s.Config.TokenURL != "" {
		url = s.Config.TokenURL
	}
	data, err := EncryptNICAuthPayload(pub, []byte(payload))
	if err != nil {
		return nil, err
	}
	headers["Content-Type"] = "application/json"
	s.Pending = &Pending{Step: step, AppKey: key}
	return &HTTPRequest{Method: "POST", URL: url, Headers: headers, Body: jsonBody(map[string]string{"Data": data})}, nil
}

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

type ewbAuthResponse struct {
	Status    flexString `json:"status"`
	AuthToken string     `json:"authtoken"`
	Sek       string     `json:"sek"`
	Error     string     `json:"error"`
}

// nicTerminal are the e-invoice auth errors a person must fix, with what
// to do.
var nicTerminal = map[string]string{
	"1004": "the Gstin header is missing or wrong: check config.gstin",
	"1008": "invalid login: check the NIC API user name and password",
	"1010": "invalid client id or client secret: check them with your GSP/NIC",
	"1013": "NIC could not decrypt the password: check the NIC public key",
	"1016": "NIC could not decrypt the app key: check the NIC public key",
	"1017": "incorrect user: the API user name does not belong to this GSTIN",
	"1019": "incorrect password: reset the NIC API password",
}

func (p nicProvider) parse(s *Session, r *HTTPResponse, sentAtMs, receivedAtMs int64) error {
	if err := classifyHTTP(s, r, receivedAtMs); err != nil {
		return err
	}
	key := s.Pending.AppKey
	var token, sekText string
	expires := sentAtMs + policies[s.Provider].defaultLifetimeMs
	if p.ewb {
		var body ewbAuthResponse
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		if body.Status != "1" {
			codes, _ := DecodeEWBError(body.Error)
			for _, c := range codes {
				if c == "238" {
					return rejected(s, c, "the e-way bill token is invalid (238): authenticate again")
				}
			}
			first := ""
			if len(codes) > 0 {
				first = codes[0]
			}
			return terminal(s, CodeProviderError, first, "e-way bill authentication failed (codes "+strings.Join(codes, ",")+")")
		}
		token, sekText = body.AuthToken, body.Sek
	} else {
		var body nicAuthResponse
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		if body.Status != "1" {
			for _, d := range body.ErrorDetails {
				code := string(d.ErrorCode)
				if code == "1005" {
					return rejected(s, code, "the e-invoice token is invalid (1005): authenticate again")
				}
				if msg, ok := nicTerminal[code]; ok {
					return terminal(s, CodeUserActionRequired, code, msg)
				}
			}
			code, msg := "", "e-invoice authentication failed"
			if len(body.ErrorDetails) > 0 {
				code, msg = string(body.ErrorDetails[0].ErrorCode), body.ErrorDetails[0].ErrorMessage
			}
			s.Pending = nil
			return &Error{Code: CodeProviderError, Message: msg, ProviderCode: code}
		}
		if body.Data == nil {
			return newError(CodeProviderError, "the e-invoice auth response has no Data")
		}
		token, sekText = body.Data.AuthToken, body.Data.Sek
		if body.Data.TokenExpiry != "" {
			serverMs, err := ParseNICTokenExpiry(body.Data.TokenExpiry)
			if err != nil {
				return err
			}
			expires = s.ServerToHost(serverMs)
		}
	}
	if token == "" || sekText == "" {
		return newError(CodeProviderError, "the auth response has no token or SEK")
	}
	enc, err := decodeB64String("Sek", sekText, MaxSmallField)
	if err != nil {
		return err
	}
	sek, err := DecryptSEK(key, enc)
	if err != nil {
		return err
	}
	obtained := sentAtMs
	if token == s.AccessToken && s.ObtainedAtMs > 0 && !s.Rejected {
		obtained = s.ObtainedAtMs // the same token again: its lifetime began earlier
	}
	if expires <= receivedAtMs {
		return newError(CodeProviderError, "the token the provider issued has already expired (check the host clock)")
	}
	if err := CheckLifetime(expires - obtained); err != nil {
		return err
	}
	s.RecordToken(token, obtained, expires)
	s.SEK, s.AppKey = sek, key
	return nil
}

func (p nicProvider) rejects(s *Session, r *HTTPResponse) bool {
	if r.Status == 401 {
		return true
	}
	if p.ewb {
		var body ewbAuthResponse
		if decodeBody(r, &body) != nil || body.Status == "1" || body.Error == "" {
			return false
		}
		codes, _ := DecodeEWBError(body.Error)
		for _, c := range codes {
			if c == "238" {
				return true
			}
		}
		return false
	}
	var body nicAuthResponse
	if decodeBody(r, &body) != nil {
		return false
	}
	for _, d := range body.ErrorDetails {
		if d.ErrorCode == "1005" {
			return true
		}
	}
	return false
}
