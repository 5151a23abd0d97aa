package core

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gstauth/gstauth/gstcrypto"
)

func sekSession(p Provider) *Session {
	s := tokenSession(p, 6*hour)
	s.Config = Config{ClientID: "cid", GSTIN: "27AAACR5055K1Z7", Username: "user", IPUser: "10.0.0.1"}
	s.SEK = make([]byte, 32)
	for i := range s.SEK {
		s.SEK[i] = byte(i)
	}
	return s
}

func TestAPIHeadersEveryProvider(t *testing.T) {
	c := &Credentials{ClientSecret: "secret"}
	nic, err := APIHeaders(sekSession(ProviderNICEInvoice), c, APIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"client_id": "cid", "client_secret": "secret", "Gstin": "27AAACR5055K1Z7",
		"user_name": "user", "AuthToken": "tok", "Content-Type": "application/json"}, nic); d != "" {
		t.Errorf("e-invoice (-want +got):\n%s", d)
	}
	ewb, _ := APIHeaders(sekSession(ProviderNICEWayBill), c, APIOptions{})
	if d := cmp.Diff(map[string]string{"client-id": "cid", "client-secret": "secret", "gstin": "27AAACR5055K1Z7",
		"authtoken": "tok", "Content-Type": "application/json"}, ewb); d != "" {
		t.Errorf("e-way bill (-want +got):\n%s", d)
	}
	g, err := APIHeaders(sekSession(ProviderGSTN), c, APIOptions{RetPeriod: "032026", ReturnType: "GSTR1", UserRole: "GSTR1", Txn: "t1"})
	if err != nil || g["rtn_typ"] != "GSTR1" || g["userrole"] != "GSTR1" || g["ret_period"] != "032026" || g["auth-token"] != "tok" || g["state-cd"] != "27" {
		t.Errorf("GSTN %v %v", g, err)
	}
	if _, err := APIHeaders(sekSession(ProviderGSTN), c, APIOptions{ReturnType: "gstr 1"}); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
		t.Errorf("a bad rtn_typ: %v", err)
	}
	if _, err := APIHeaders(sekSession(ProviderNICEInvoice), c, APIOptions{RetPeriod: "032026"}); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
		t.Errorf("ret_period on an e-invoice call: %v", err)
	}
	o, _ := APIHeaders(ccSession(hour), nil, APIOptions{})
	if d := cmp.Diff(map[string]string{"Authorization": "Bearer tok"}, o); d != "" {
		t.Errorf("OAuth (-want +got):\n%s", d)
	}
}

// TestBodiesRoundTrip: a body encrypted for a session is what the server
// side of gstcrypto decrypts, and a server's encrypted answer decrypts in
// place, its other members kept in order.
func TestBodiesRoundTrip(t *testing.T) {
	payload := `{"gstin":"27AAACR5055K1Z7","b2b":[{"inum":"A1"}]}`

	g := sekSession(ProviderGSTN)
	body, err := EncryptRequestBody(g, []byte(`{"action":"RETSAVE","data":`+payload+`}`))
	if err != nil {
		t.Fatal(err)
	}
	var sent struct{ Action, Data, HMAC string }
	if err := json.Unmarshal(body, &sent); err != nil || sent.Action != "RETSAVE" || !strings.HasPrefix(string(body), `{"action":"RETSAVE","data":"`) {
		t.Fatalf("%s %v", body, err)
	}
	if p, err := gstcrypto.DecryptGSTNRequest(g.SEK, sent.Data, sent.HMAC); err != nil || string(p) != payload {
		t.Fatalf("%s %v", p, err)
	}
	r, _ := gstcrypto.EncryptGSTNResponse(nil, g.SEK, []byte(payload))
	resp := `{"status_cd":"1","data":"` + r.Data + `","rek":"` + r.Rek + `","hmac":"` + r.HMAC + `","x":1}`
	plain, err := DecryptResponseBody(g, []byte(resp))
	if err != nil || string(plain) != `{"status_cd":"1","data":`+payload+`,"x":1}` {
		t.Fatalf("%s %v", plain, err)
	}
	if p, err := DecryptPayload(g, []byte(resp)); err != nil || string(p) != payload {
		t.Fatalf("payload %s %v", p, err)
	}
	bad := strings.Replace(resp, r.HMAC, strings.Repeat("A", len(r.HMAC)-1)+"=", 1)
	if _, err := DecryptResponseBody(g, []byte(bad)); gstcrypto.CodeOf(err) != gstcrypto.CodeDecryptFailed {
		t.Fatalf("a bad MAC: %v", err)
	}

	n := sekSession(ProviderNICEInvoice)
	body, err = EncryptRequestBody(n, []byte(`{"Data":`+payload+`}`))
	if err != nil {
		t.Fatal(err)
	}
	var nb struct{ Data string }
	json.Unmarshal(body, &nb)
	if p, err := gstcrypto.DecryptNICResponse(n.SEK, nb.Data); err != nil || string(p) != payload {
		t.Fatalf("NIC %s %v", p, err)
	}
	if got, _ := DecryptResponseBody(n, []byte(`{"Status":1,"Data":"`+nb.Data+`"}`)); string(got) != `{"Status":1,"Data":`+payload+`}` {
		t.Fatalf("NIC answer %s", got)
	}
	members, err := EncryptPayload(n, []byte(payload))
	if err != nil || !strings.HasPrefix(string(members), `{"Data":"`) {
		t.Fatalf("%s %v", members, err)
	}

	// Unchanged: already encrypted, no payload, a failure, OAuth.
	for _, tc := range []struct {
		s    *Session
		body string
	}{{g, `{"action":"RETSAVE","data":"already"}`}, {g, `{"action":"RETSUM"}`}, {ccSession(hour), `{"data":{}}`}} {
		if got, err := EncryptRequestBody(tc.s, []byte(tc.body)); err != nil || string(got) != tc.body {
			t.Errorf("%s → %s %v", tc.body, got, err)
		}
	}
	fail := `{"status_cd":"0","error":{"error_cd":"RET11416","message":"No Invoices found"}}`
	if got, err := DecryptResponseBody(g, []byte(fail)); err != nil || string(got) != fail {
		t.Errorf("a failure changed: %s %v", got, err)
	}
	if _, err := DecryptPayload(g, []byte(`{"status_cd":"0","error":{"error_cd":"AUTH4033"}}`)); gstcrypto.CodeOf(err) != gstcrypto.CodeUserActionRequired {
		t.Errorf("a rejected session's payload: %v", err)
	}
	if _, err := DecryptPayload(g, []byte(fail)); gstcrypto.CodeOf(err) != gstcrypto.CodeInvalidInput {
		t.Errorf("no data has no payload: %v", err)
	}
}

// TestDecryptedPayloadIsNeverAltered: a payload that decrypts to bytes
// that are not JSON is an error, not replacement characters.
func TestDecryptedPayloadIsNeverAltered(t *testing.T) {
	n := sekSession(ProviderNICEWayBill)
	data, _ := gstcrypto.EncryptNICRequest(n.SEK, []byte{'"', 0xff, '"'})
	if _, err := DecryptResponseBody(n, []byte(`{"status":"1","data":"`+data+`"}`)); gstcrypto.CodeOf(err) != gstcrypto.CodeProviderError {
		t.Fatalf("invalid UTF-8 payload: %v", err)
	}
}

// TestObserveDoesNotRejectANewerToken: a 401 for a call made with a token
// another caller has since replaced asks for a replay, and leaves the
// newer token alone.
func TestObserveDoesNotRejectANewerToken(t *testing.T) {
	s := ccSession(hour)
	res, err := ObserveAPIResponse(s, &HTTPResponse{Status: 401}, APICall{SentAtMs: t0, ReceivedAtMs: t0, AccessToken: "old"})
	if err != nil || res.Outcome != OutcomeReauthenticate || s.Rejected || s.LastError != nil {
		t.Fatalf("%+v %v rejected=%v", res, err, s.Rejected)
	}
	res, _ = ObserveAPIResponse(s, &HTTPResponse{Status: 401}, APICall{SentAtMs: t0, ReceivedAtMs: t0, AccessToken: "tok"})
	if res.Outcome != OutcomeReauthenticate || !s.Rejected || s.LastError == nil {
		t.Fatalf("the current token was not rejected: %+v", res)
	}
}

func TestObserveOutcomes(t *testing.T) {
	ewb := `{"status":"0","error":"` + b64s([]byte(`{"errorCodes":"118"}`)) + `"}`
	for _, tc := range []struct {
		name  string
		s     *Session
		r     HTTPResponse
		want  Outcome
		code  Code
		pcode string
		after int64
	}{
		{"GSTN no data", sekSession(ProviderGSTN), HTTPResponse{Status: 200, Body: `{"status_cd":"0","error":{"error_cd":"RET13508"}}`}, OutcomeNoData, "", "", 0},
		{"GSTN ok", sekSession(ProviderGSTN), HTTPResponse{Status: 200, Body: `{"status_cd":"1","data":"x"}`}, OutcomeOK, "", "", 0},
		{"GSP outage envelope", sekSession(ProviderGSTN), HTTPResponse{Status: 200, Body: `{"success":false,"message":"GSPERR300: failed"}`}, OutcomeRetryLater, gstcrypto.CodeProviderError, "GSPERR300", 120000},
		{"e-way bill 118 waits five minutes", sekSession(ProviderNICEWayBill), HTTPResponse{Status: 200, Body: ewb}, OutcomeRetryLater, gstcrypto.CodeRateLimited, "118", 300000},
		{"504 from the gateway", sekSession(ProviderNICEInvoice), HTTPResponse{Status: 504, Body: "<html>"}, OutcomeRetryLater, gstcrypto.CodeProviderError, "504", 0},
		{"429 with a huge Retry-After waits the longest", ccSession(hour), HTTPResponse{Status: 429, Headers: map[string]string{"Retry-After": "99999999999999999999999"}}, OutcomeRetryLater, gstcrypto.CodeRateLimited, "429", maxRetryAfterMs},
		{"duplicate IRN is the provider's", sekSession(ProviderNICEInvoice), HTTPResponse{Status: 200, Body: `{"Status":0,"ErrorDetails":[{"ErrorCode":"2150","ErrorMessage":"Duplicate IRN"}]}`}, OutcomeProviderError, gstcrypto.CodeProviderError, "2150", 0},
		{"403 insufficient scope", ccSession(hour), HTTPResponse{Status: 403, Headers: map[string]string{"WWW-Authenticate": `Bearer error="insufficient_scope"`}}, OutcomeProviderError, gstcrypto.CodeProviderError, "403", 0},
		{"a gateway's 401 is its own", sekSession(ProviderGatewayTask), HTTPResponse{Status: 401}, OutcomeProviderError, gstcrypto.CodeProviderError, "401", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ObserveAPIResponse(tc.s, &tc.r, APICall{SentAtMs: t0, ReceivedAtMs: t0})
			if err != nil || res.Outcome != tc.want {
				t.Fatalf("%+v %v", res, err)
			}
			if tc.code == "" {
				if res.Error != nil {
					t.Fatalf("an error with %s: %+v", tc.want, res.Error)
				}
				return
			}
			if res.Error.Code != tc.code || res.Error.ProviderCode != tc.pcode || tc.after > 0 && res.Error.RetryAfterMs != tc.after {
				t.Fatalf("%+v", res.Error)
			}
			if tc.s.Rejected {
				t.Fatal("rejected the token")
			}
		})
	}
}

// TestRejectionDuringARefreshKeepsItsAnswer: an API call's rejection read
// while the token's refresh is in flight does not lose the refresh's answer.
func TestRejectionDuringARefreshKeepsItsAnswer(t *testing.T) {
	s := ccSession(hour)
	now := s.ExpiresAtMs - 5*minute
	if _, err := BuildRequest(s, ccCreds, RequestOptions{NowMs: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := ObserveAPIResponse(s, &HTTPResponse{Status: 401}, APICall{SentAtMs: now, ReceivedAtMs: now + 5}); err != nil || !s.Rejected {
		t.Fatalf("%v %+v", err, s)
	}
	err := ParseResponse(s, &HTTPResponse{Status: 200, Body: `{"access_token":"new","token_type":"Bearer","expires_in":3600}`}, 0, now+10)
	if err != nil || s.AccessToken != "new" || s.Rejected {
		t.Fatalf("the refresh's answer was lost: %v %+v", err, s)
	}
}
