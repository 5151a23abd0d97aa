package core

import (
	"encoding/json"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/strictjson"
)

// Ordinary API calls made with a session's token: their headers, the
// encryption of their payloads, and what their responses mean. A host
// makes every call the same way, whatever the provider (docs/hosts.md):
//
//	headers, body := APIHeaders(s, c, o), EncryptRequestBody(s, plain)
//	... send ...
//	result := ObserveAPIResponse(s, response, call)   // ok, reauthenticate, ...
//	plain := DecryptResponseBody(s, response.Body)     // when result is ok

// APIOptions are the inputs of [APIHeaders] besides the session and the
// credentials.
type APIOptions struct {
	// RetPeriod, ReturnType and UserRole describe a GSTN returns call
	// (ret_period MMYYYY, rtn_typ, userrole); empty for other calls.
	RetPeriod, ReturnType, UserRole string
	// Txn is a GSTN request id; empty means a random one.
	Txn string
	// Random is the source of txn; nil means crypto/rand.
	Random io.Reader
}

// APIHeaders returns the headers of an ordinary API call made with the
// session's token, for every provider: GSTN and gateway task sessions get
// [GSTNHeaders]; NIC e-invoice client_id, client_secret, Gstin, user_name
// and AuthToken (NIC e-invoice API v1.04); e-way bill client-id,
// client-secret, gstin and authtoken (NIC e-way bill API v1.03); OAuth and
// WhiteBIT sessions Authorization: Bearer (RFC 6750 §2.1). It does not
// check that the token is usable: ask [Ensure] first.
func APIHeaders(s *Session, c *Credentials, o APIOptions) (map[string]string, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if c == nil {
		c = &Credentials{}
	}
	if o.RetPeriod != "" || o.ReturnType != "" || o.UserRole != "" {
		if s.Provider != ProviderGSTN && s.Provider != ProviderGatewayTask {
			return nil, newError(gstcrypto.CodeInvalidInput, "ret_period, rtn_typ and userrole are GSTN headers, not %s ones", s.Provider)
		}
	}
	switch s.Provider {
	case ProviderGSTN, ProviderGatewayTask:
		return GSTNHeaders(s, GSTNHeaderOptions{ClientSecret: c.ClientSecret, RetPeriod: o.RetPeriod,
			ReturnType: o.ReturnType, UserRole: o.UserRole, Txn: o.Txn, Random: o.Random})
	case ProviderNICEInvoice, ProviderNICEWayBill:
		for _, f := range [][2]string{{"config.client_id", s.Config.ClientID}, {"config.gstin", s.Config.GSTIN},
			{"config.username", s.Config.Username}, {"credentials.client_secret", c.ClientSecret}} {
			if err := requireField(f[0], f[1]); err != nil {
				return nil, err
			}
		}
		h := map[string]string{"Content-Type": "application/json"}
		if s.Provider == ProviderNICEInvoice {
			h["client_id"], h["client_secret"], h["Gstin"], h["user_name"] = s.Config.ClientID, c.ClientSecret, s.Config.GSTIN, s.Config.Username
			if s.AccessToken != "" {
				h["AuthToken"] = s.AccessToken
			}
		} else {
			h["client-id"], h["client-secret"], h["gstin"] = s.Config.ClientID, c.ClientSecret, s.Config.GSTIN
			if s.AccessToken != "" {
				h["authtoken"] = s.AccessToken
			}
		}
		return h, nil
	}
	if s.AccessToken == "" {
		return map[string]string{}, nil
	}
	return map[string]string{"Authorization": "Bearer " + s.AccessToken}, nil
}

// APICall describes an ordinary API call whose response is observed.
type APICall struct {
	// SentAtMs and ReceivedAtMs bracket the exchange (host clock).
	SentAtMs, ReceivedAtMs int64
	// AccessToken is the token the call was made with. When it is given
	// and is no longer the session's (another caller renewed it meanwhile),
	// a rejection says the call should be replayed but does not mark the
	// session's newer token.
	AccessToken string
}

// APIResult is what the response to an ordinary API call means for the
// host (catalogue.json): ok, no_data (a normal empty answer), or a
// failure with its error. After reauthenticate, a host gets a new token
// ([Ensure]) and replays the call once; a second rejection is an error.
type APIResult struct {
	Outcome Outcome `json:"outcome"`
	Error   *Error  `json:"error,omitempty"`
}

// ObserveAPIResponse reads the response to an ordinary API call made with
// the session's token: it measures the clock skew, classifies the answer
// through the catalogue, and marks the token rejected when the provider
// says it is no longer valid (a 401, GSTN AUTH4033, NIC 1005, e-way bill
// 105/106/238), so the next plan renews it or asks for a person.
func ObserveAPIResponse(s *Session, r *HTTPResponse, call APICall) (APIResult, error) {
	impl, err := implOf(s)
	if err != nil {
		return APIResult{}, err
	}
	if r == nil {
		return APIResult{}, newError(gstcrypto.CodeInvalidInput, "no response")
	}
	if call.SentAtMs < 0 || call.ReceivedAtMs < call.SentAtMs {
		return APIResult{}, newError(gstcrypto.CodeInvalidInput, "received_at is before sent_at")
	}
	if err := checkSize("response body", len(r.Body), gstcrypto.MaxPayloadSize); err != nil {
		return APIResult{}, err
	}
	s.observeClock(r, call.SentAtMs, call.ReceivedAtMs)
	c, failed := impl.classifyAPI(r)
	if !failed {
		return APIResult{Outcome: OutcomeOK}, nil
	}
	if c.outcome == OutcomeNoData {
		return APIResult{Outcome: OutcomeNoData}, nil
	}
	_, detail, _ := apiMessage(s.Provider, r)
	e := &Error{Code: codeFor(s, c), ProviderCode: c.providerCode, Message: failureMessage(s.Provider, c, providerName(s.Provider), detail)}
	switch c.outcome {
	case OutcomeReauthenticate:
		if call.AccessToken == "" || call.AccessToken == s.AccessToken {
			s.recordRejected()
			s.LastError = copyError(e)
		}
	case OutcomeRetryLater:
		e.Retryable = true
		e.RetryAfterMs = max(c.retryAfterMs, parseRetryAfter(r, call.ReceivedAtMs))
	}
	return APIResult{Outcome: c.outcome, Error: e}, nil
}

// classifyGSTAPI classifies an API response of the GST services: the
// catalogue's HTTP statuses first (401 only where it concerns this
// session's token), then the codes the provider's body carries (read by
// failure), which may come under any status.
func classifyGSTAPI(family string, reject401 bool, r *HTTPResponse, failure func() ([]string, string, bool)) (classification, bool) {
	codes, msg, failed := failure()
	if failed {
		if c := classifyCodes(family, codes, msg, false); c.known || !statusSays(r.Status, reject401) {
			return c, true
		}
	}
	if c, ok := classifyStatus(r.Status); ok && (r.Status != 401 || reject401) {
		return c, true
	}
	if failed || r.Status >= 400 {
		return classification{outcome: OutcomeProviderError, code: gstcrypto.CodeProviderError, providerCode: firstOr(codes, itoa(int64(r.Status)))}, true
	}
	return classification{}, false
}

// statusSays reports whether the HTTP status alone classifies an answer.
func statusSays(status int, reject401 bool) bool {
	_, ok := classifyStatus(status)
	return ok && (status != 401 || reject401)
}

// classifyBearerAPI reads an API response the RFC 6750 way: 401, or a
// WWW-Authenticate error="invalid_token", means the token is dead; 403
// insufficient_scope does not (§3.1); 429 and 5xx mean retry later; any
// other 4xx is the resource server's own answer.
func classifyBearerAPI(r *HTTPResponse) (classification, bool) {
	if strings.Contains(r.Header("WWW-Authenticate"), `error="invalid_token"`) {
		c, _ := classifyStatus(401)
		c.providerCode = "invalid_token"
		return c, true
	}
	if c, ok := classifyStatus(r.Status); ok {
		return c, true
	}
	if r.Status >= 400 {
		return classification{outcome: OutcomeProviderError, code: gstcrypto.CodeProviderError, providerCode: itoa(int64(r.Status))}, true
	}
	return classification{}, false
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// apiMessage is the provider's own message in a failed answer, for people.
func apiMessage(p Provider, r *HTTPResponse) ([]string, string, bool) {
	switch familyOf(p) {
	case familyGSTN:
		return gstnAPIFailure(r)
	case familyNIC:
		var body nicAuthResponse
		if decodeBody(r, &body) == nil {
			codes, msg := body.errorCodes()
			return codes, msg, true
		}
	}
	return nil, "", false
}

// providerName names a provider for people.
func providerName(p Provider) string {
	switch p {
	case ProviderGSTN:
		return "GSTN"
	case ProviderGatewayTask:
		return "the gateway"
	case ProviderNICEInvoice:
		return "NIC e-invoice"
	case ProviderNICEWayBill:
		return "the e-way bill system"
	}
	return "the resource server"
}

// payloadMember is the member of a request or response body that carries
// the encrypted payload: GSTN and the e-way bill system put it in "data"
// beside the action ({action, data, hmac} for GSTN), NIC e-invoice in
// "Data". OAuth and WhiteBIT sessions encrypt nothing.
func payloadMember(p Provider) string {
	switch p {
	case ProviderGSTN, ProviderGatewayTask, ProviderNICEWayBill:
		return "data"
	case ProviderNICEInvoice:
		return "Data"
	}
	return ""
}

// EncryptRequestBody encrypts the payload of a request body for the
// session: a JSON object whose payload member ("data" for GSTN and the
// e-way bill system, "Data" for NIC e-invoice) holds the plain JSON value
// (an object or an array) gets that member replaced by its ciphertext —
// GSTN's b64(AES(EK, b64(json))) with "hmac" added, NIC's
// b64(AES(SEK, json)). Every other member is kept as it is, in order. A
// body without that member, or whose member is already a string, is
// returned unchanged, as is any body of a provider that encrypts nothing.
func EncryptRequestBody(s *Session, body []byte) ([]byte, error) {
	member := payloadMember(s.Provider)
	if member == "" || len(strings.TrimSpace(string(body))) == 0 {
		return body, nil
	}
	members, at, err := findPayload(body, member)
	if err != nil || at < 0 || !isPlainJSONValue(members[at].Value) {
		return body, err
	}
	return encryptMembers(s, members, at)
}

// encryptMembers encrypts the payload in members[at] in place.
func encryptMembers(s *Session, members []strictjson.Member, at int) ([]byte, error) {
	if len(s.SEK) != gstcrypto.AppKeySize {
		return nil, newError(gstcrypto.CodeTokenExpired, "the session has no session key yet: authenticate first")
	}
	payload := members[at].Value
	switch s.Provider {
	case ProviderNICEInvoice, ProviderNICEWayBill:
		data, err := gstcrypto.EncryptNICRequestData(s.SEK, payload)
		if err != nil {
			return nil, err
		}
		members[at].Value = jsonString(data)
	default:
		data, mac, err := gstcrypto.EncryptGSTNRequestData(s.SEK, payload)
		if err != nil {
			return nil, err
		}
		members[at].Value = jsonString(data)
		members = setMember(members, "hmac", jsonString([]byte(mac)))
	}
	return strictjson.Join(members), nil
}

// DecryptResponseBody decrypts the payload of a successful response body
// in place: GSTN {status_cd:"1", data, rek, hmac} (data under the REK,
// HMAC verified first), e-way bill {status:"1", data[, rek, hmac]} and NIC
// e-invoice {Status:1, Data[, Rek, Hmac]} (under the SEK, or the REK with
// its HMAC when they are given) become the same object with the payload
// member holding the decrypted JSON and rek and hmac removed. A body that
// is not a success, or carries no encrypted payload, is returned
// unchanged. Any decryption or MAC failure is decrypt_failed; a decrypted
// payload that is not JSON is provider_error, never altered text.
func DecryptResponseBody(s *Session, body []byte) ([]byte, error) {
	member := payloadMember(s.Provider)
	if member == "" || len(strings.TrimSpace(string(body))) == 0 {
		return body, nil
	}
	if err := checkSize("response body", len(body), gstcrypto.MaxPayloadSize*4/3+1<<20); err != nil {
		return nil, err
	}
	members, at, err := findPayload(body, member)
	if err != nil || at < 0 {
		return body, nil
	}
	var data string
	if json.Unmarshal(members[at].Value, &data) != nil || !successBody(s.Provider, members) {
		return body, nil
	}
	rekName, hmacName := "rek", "hmac"
	if s.Provider == ProviderNICEInvoice {
		rekName, hmacName = "Rek", "Hmac"
	}
	rek, hasRek := stringMember(members, rekName)
	mac, hasMAC := stringMember(members, hmacName)
	if len(s.SEK) != gstcrypto.AppKeySize {
		return nil, newError(gstcrypto.CodeTokenExpired, "the session has no session key: authenticate first")
	}
	var plain []byte
	switch {
	case s.Provider == ProviderGSTN || s.Provider == ProviderGatewayTask:
		if !hasRek || !hasMAC {
			return body, nil // not an encrypted GSTN answer
		}
		plain, err = gstcrypto.DecryptGSTNResponseData(s.SEK, []byte(data), rek, mac)
	case hasRek != hasMAC:
		return nil, newError(gstcrypto.CodeProviderError, "the response has only one of %s and %s", rekName, hmacName)
	case hasRek:
		plain, err = gstcrypto.DecryptNICResponseRekData(s.SEK, []byte(data), rek, mac)
	default:
		plain, err = gstcrypto.DecryptNICResponseData(s.SEK, []byte(data))
	}
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(plain) || !json.Valid(plain) {
		return nil, newError(gstcrypto.CodeProviderError, "the decrypted payload is not JSON text")
	}
	members[at].Value = plain
	members = dropMember(dropMember(members, rekName), hmacName)
	return strictjson.Join(members), nil
}

// EncryptPayload encrypts a plain JSON payload for the session and returns
// the members a request body carries for it, as one JSON object: GSTN
// {"data", "hmac"}, NIC e-invoice {"Data"}, e-way bill {"data"}. The host
// adds its own members (the action) beside them.
func EncryptPayload(s *Session, payload []byte) ([]byte, error) {
	member := payloadMember(s.Provider)
	if member == "" {
		return nil, newError(gstcrypto.CodeUnsupported, "%s sessions encrypt no payloads", s.Provider)
	}
	if !utf8.Valid(payload) || !json.Valid(payload) {
		return nil, newError(gstcrypto.CodeInvalidInput, "the payload is not JSON text")
	}
	return encryptMembers(s, []strictjson.Member{{Key: member, Value: payload}}, 0)
}

// DecryptPayload reads a response body for the session: a success gives
// its decrypted payload (the exact JSON text); a failure gives the error
// the catalogue names for it; a success without an encrypted payload is
// invalid_input.
func DecryptPayload(s *Session, body []byte) ([]byte, error) {
	impl, err := implOf(s)
	if err != nil {
		return nil, err
	}
	if c, failed := impl.classifyAPI(&HTTPResponse{Status: 200, Body: string(body)}); failed {
		if c.outcome == OutcomeNoData {
			return nil, newError(gstcrypto.CodeInvalidInput, "the response says there is no data (%s): it carries no payload", c.providerCode)
		}
		_, detail, _ := apiMessage(s.Provider, &HTTPResponse{Status: 200, Body: string(body)})
		return nil, &Error{Code: codeFor(s, c), ProviderCode: c.providerCode, Retryable: c.outcome == OutcomeRetryLater,
			RetryAfterMs: c.retryAfterMs, Message: failureMessage(s.Provider, c, providerName(s.Provider), detail)}
	}
	plain, err := DecryptResponseBody(s, body)
	if err != nil {
		return nil, err
	}
	members, at, err := findPayload(plain, payloadMember(s.Provider))
	if err != nil || at < 0 || string(plain) == string(body) {
		return nil, newError(gstcrypto.CodeInvalidInput, "the response carries no encrypted payload")
	}
	return members[at].Value, nil
}

// successBody reports whether the body's status member says success.
func successBody(p Provider, members []strictjson.Member) bool {
	name := map[Provider]string{ProviderGSTN: "status_cd", ProviderGatewayTask: "status_cd",
		ProviderNICEInvoice: "Status", ProviderNICEWayBill: "status"}[p]
	for _, m := range members {
		if m.Key == name {
			var f flexString
			return json.Unmarshal(m.Value, &f) == nil && f == "1"
		}
	}
	// A GSTN answer without status_cd (many GET answers) carries its
	// payload all the same.
	return p == ProviderGSTN || p == ProviderGatewayTask
}

func findPayload(body []byte, member string) ([]strictjson.Member, int, error) {
	members, err := strictjson.SplitObject(body)
	if err != nil {
		return nil, -1, newError(gstcrypto.CodeInvalidInput, "the body is not one JSON object: %s", err.Error())
	}
	for i, m := range members {
		if m.Key == member {
			return members, i, nil
		}
	}
	return members, -1, nil
}

// isPlainJSONValue reports whether v is an object or an array: a payload
// to encrypt, not an already encrypted string.
func isPlainJSONValue(v json.RawMessage) bool {
	t := strings.TrimSpace(string(v))
	return t != "" && (t[0] == '{' || t[0] == '[')
}

func stringMember(members []strictjson.Member, name string) (string, bool) {
	for _, m := range members {
		if m.Key == name {
			var v string
			if json.Unmarshal(m.Value, &v) == nil && v != "" {
				return v, true
			}
		}
	}
	return "", false
}

func setMember(members []strictjson.Member, name string, v json.RawMessage) []strictjson.Member {
	for i := range members {
		if members[i].Key == name {
			members[i].Value = v
			return members
		}
	}
	return append(members, strictjson.Member{Key: name, Value: v})
}

func dropMember(members []strictjson.Member, name string) []strictjson.Member {
	out := members[:0]
	for _, m := range members {
		if m.Key != name {
			out = append(out, m)
		}
	}
	return out
}

// jsonString quotes base64 text (no character in it needs escaping).
func jsonString(b []byte) json.RawMessage {
	out := make([]byte, 0, len(b)+2)
	out = append(out, '"')
	out = append(out, b...)
	return append(out, '"')
}
