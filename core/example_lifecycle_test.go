package core_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"sort"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// Instants in these examples: 2026-01-01T00:00:00Z and minutes after it.
const (
	exT0     = int64(1_767_225_600_000)
	exMinute = int64(60_000)
	exHour   = 60 * exMinute
)

func testKey(name string) string {
	b, err := os.ReadFile("../testdata/keys/" + name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func headerNames(h map[string]string) []string {
	var names []string
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// sekFor plays the server: it encrypts a session key to the app key the
// client sent (the examples read it from the session instead of
// decrypting the request).
func sekFor(s *core.Session, ek []byte) string {
	enc, _ := gstcrypto.EncryptAESECB(s.Pending.AppKey, ek)
	return base64.StdEncoding.EncodeToString(enc)
}

func ExamplePlanSession() {
	s, _ := core.ParseSession([]byte(`{"version":1,"provider":"gstn","account":"27AAACR5055K1Z7/taxpayer1",
		"config":{"gstin":"27AAACR5055K1Z7"},"access_token":"t","obtained_at_ms":1767225600000,
		"expires_at_ms":1767247200000,"access_window_ends_at_ms":1769817600000}`))
	for _, after := range []int64{0, 350 * exMinute, 359*exMinute + 30_000} {
		p, _ := core.PlanSession(s, exT0+after)
		fmt.Printf("+%3d min: %-11s %-7s refresh at +%d min\n", after/exMinute, p.Action, p.State, (p.RefreshAtMs-exT0)/exMinute)
	}
	// Output:
	// +  0 min: use         fresh   refresh at +350 min
	// +350 min: refresh     stale   refresh at +350 min
	// +359 min: user_action expired refresh at +350 min
}

// The GSTN taxpayer API: OTPREQUEST, then AUTHTOKEN with the OTP the
// taxpayer received; 360 minutes later the planner asks for REFRESHTOKEN.
func ExampleBuildRequest_gstn() {
	s, _ := core.NewSession(core.ProviderGSTN, "27AAACR5055K1Z7/taxpayer1", core.Config{
		BaseURL: "https://gsp.example/taxpayerapi/v1.0", ClientID: "gsp-client", GSTIN: "27AAACR5055K1Z7",
		Username: "taxpayer1", IPUser: "203.0.113.7", AccessWindowMs: 30 * 24 * exHour})
	creds := &core.Credentials{ClientSecret: "gsp-secret", PublicKey: testKey("gstn-test.crt")}

	req, _ := core.BuildRequest(s, creds, core.RequestOptions{NowMs: exT0, Step: core.StepOTPRequest})
	fmt.Println(req.Method, req.URL)
	fmt.Println(headerNames(req.Headers))
	core.ParseResponse(s, &core.HTTPResponse{Status: 200, Body: `{"status_cd":"1"}`}, 0, exT0+300)

	creds.OTP = "575757"
	core.BuildRequest(s, creds, core.RequestOptions{NowMs: exT0 + exMinute, Step: core.StepAuthToken})
	ek := bytes.Repeat([]byte{0x42}, 32)
	err := core.ParseResponse(s, &core.HTTPResponse{Status: 200,
		Body: `{"status_cd":"1","auth_token":"gstn-token","expiry":360,"sek":"` + sekFor(s, ek) + `"}`}, 0, exT0+exMinute+300)
	fmt.Println(err, s.AccessToken, (s.ExpiresAtMs-exT0)/exMinute, bytes.Equal(s.SEK, ek))

	p, _ := core.PlanSession(s, exT0+351*exMinute)
	fmt.Println(p.Action)
	creds.OTP = ""
	req, _ = core.BuildRequest(s, creds, core.RequestOptions{NowMs: exT0 + 351*exMinute})
	fmt.Println(req.Headers["auth-token"], s.Pending.Step)
	// Output:
	// POST https://gsp.example/taxpayerapi/v1.0/authenticate
	// [Content-Type client-secret clientid gstin ip-usr state-cd txn username]
	// <nil> gstn-token 361 true
	// refresh
	// gstn-token refresh_token
}

// NIC e-invoice: auth with the password; TokenExpiry is IST and is
// converted to the host's clock with the skew the Date header shows.
func ExampleBuildRequest_nicEInvoice() {
	s, _ := core.NewSession(core.ProviderNICEInvoice, "29AAFCD5862R000/api_user", core.Config{
		BaseURL: "https://einv.example", ClientID: "nic-client", GSTIN: "29AAFCD5862R000", Username: "api_user"})
	creds := &core.Credentials{ClientSecret: "nic-secret", Password: "nic-password", PublicKey: testKey("nic-test.crt")}

	req, _ := core.BuildRequest(s, creds, core.RequestOptions{NowMs: exT0})
	fmt.Println(req.URL, headerNames(req.Headers))
	// The server's clock is 60 s ahead; its token ends at 11:31 IST.
	err := core.ParseResponse(s, &core.HTTPResponse{Status: 200,
		Headers: map[string]string{"Date": "Thu, 01 Jan 2026 00:01:00 GMT"},
		Body: `{"Status":1,"Data":{"AuthToken":"nic-token","Sek":"` + sekFor(s, make([]byte, 32)) +
			`","TokenExpiry":"2026-01-01 11:31:00"}}`}, exT0, exT0)
	fmt.Println(err, s.SkewMs, (s.ExpiresAtMs-exT0)/exMinute)

	p, _ := core.PlanSession(s, s.ExpiresAtMs-8*exMinute)
	req, _ = core.BuildRequest(s, creds, core.RequestOptions{NowMs: s.ExpiresAtMs - 8*exMinute})
	fmt.Println(p.Action, s.Pending.Step)
	// Output:
	// https://einv.example/eivital/v1.04/auth [Content-Type Gstin client_id client_secret]
	// <nil> 60000 360
	// refresh force_refresh
}

// NIC e-way bill: ACCESSTOKEN with the password; 238 on a later call
// means authenticate again.
func ExampleBuildRequest_nicEWayBill() {
	s, _ := core.NewSession(core.ProviderNICEWayBill, "05AAACG2115R1ZN/ewb_user", core.Config{
		BaseURL: "https://ewb.example/ewayapi", ClientID: "ewb-client", GSTIN: "05AAACG2115R1ZN", Username: "ewb_user"})
	creds := &core.Credentials{ClientSecret: "ewb-secret", Password: "ewb-password", PublicKey: testKey("nic-test.pub")}

	req, _ := core.BuildRequest(s, creds, core.RequestOptions{NowMs: exT0})
	fmt.Println(req.URL, headerNames(req.Headers))
	err := core.ParseResponse(s, &core.HTTPResponse{Status: 200,
		Body: `{"status":"1","authtoken":"ewb-token","sek":"` + sekFor(s, make([]byte, 32)) + `"}`}, 0, exT0+200)
	fmt.Println(err, (s.ExpiresAtMs-exT0)/exHour)

	e238 := base64.StdEncoding.EncodeToString([]byte(`{"errorCodes":"238"}`))
	res, _ := core.ObserveAPIResponse(s, &core.HTTPResponse{Status: 200, Body: `{"status":"0","error":"` + e238 + `"}`},
		core.APICall{SentAtMs: exT0 + exHour, ReceivedAtMs: exT0 + exHour})
	p, _ := core.PlanSession(s, exT0+exHour)
	fmt.Println(res.Outcome, res.Error.ProviderCode, p.Action, p.Reason)
	// Output:
	// https://ewb.example/ewayapi/auth/ [Content-Type client-id client-secret gstin]
	// <nil> 6
	// reauthenticate 238 renew rejected
}

// A gateway's task API: getAuthToken with the OTP gives a GSTN-like
// session that cannot be refreshed; the plan says when an OTP will be
// needed again.
func ExampleBuildRequest_gatewayTask() {
	s, _ := core.NewSession(core.ProviderGatewayTask, "27AAACR5055K1Z7/taxpayer1", core.Config{
		TokenURL: "https://gw.example/api/v2/tasks", GSTIN: "27AAACR5055K1Z7", Username: "taxpayer1"})
	creds := &core.Credentials{GatewayToken: "gw-access-token", OTP: "575757"}

	req, _ := core.BuildRequest(s, creds, core.RequestOptions{NowMs: exT0, Step: core.StepGetAuthToken})
	fmt.Println(req.URL, req.Headers["Authorization"])
	err := core.ParseResponse(s, &core.HTTPResponse{Status: 200,
		Body: `{"id":"5f1a","patronId":"p-77","result":{"authToken":"gw-gstn-token","expiry":"360","sek":"` +
			sekFor(s, make([]byte, 32)) + `"}}`}, 0, exT0+300)
	p, _ := core.PlanSession(s, exT0)
	fmt.Println(err, p.Action, (p.UserActionAtMs-exT0)/1000, s.Info["patron_id"])
	// Output:
	// https://gw.example/api/v2/tasks gw-access-token
	// <nil> use 21570 p-77
}

func ExampleGSTNHeaders() {
	s, _ := core.ParseSession([]byte(`{"version":1,"provider":"gstn","account":"a",
		"config":{"gstin":"27AAACR5055K1Z7","client_id":"gsp-client","username":"taxpayer1","ip_usr":"203.0.113.7"},
		"access_token":"gstn-token","obtained_at_ms":1767225600000,"expires_at_ms":1767247200000}`))
	h, _ := core.GSTNHeaders(s, core.GSTNHeaderOptions{ClientSecret: "gsp-secret", RetPeriod: "032026", Txn: "req-0001"})
	for _, k := range headerNames(h) {
		fmt.Printf("%s: %s\n", k, h[k])
	}
	// Output:
	// Content-Type: application/json
	// auth-token: gstn-token
	// client-secret: gsp-secret
	// clientid: gsp-client
	// gstin: 27AAACR5055K1Z7
	// ip-usr: 203.0.113.7
	// ret_period: 032026
	// state-cd: 27
	// txn: req-0001
	// username: taxpayer1
}

func ExampleParseNICTokenExpiry() {
	ms, _ := core.ParseNICTokenExpiry("2026-01-01 11:30:00") // IST
	fmt.Println(ms, ms == exT0+6*exHour)
	_, err := core.ParseNICTokenExpiry("2026-01-01T11:30:00Z")
	fmt.Println(err)
	// Output:
	// 1767247200000 true
	// gstauth: invalid_input: TokenExpiry must be yyyy-MM-dd HH:mm:ss
}

func ExampleSealSession() {
	s, _ := core.NewSession(core.ProviderNICEInvoice, "29AAFCD5862R000/api_user", core.Config{GSTIN: "29AAFCD5862R000"})
	key2025 := core.SealKey{ID: "k2025", Key: bytes.Repeat([]byte{1}, 32)}
	key2026 := core.SealKey{ID: "k2026", Key: bytes.Repeat([]byte{2}, 32)}

	sealed, _ := core.SealSession(s, key2025, nil)
	h, _ := core.ReadSealedHeader(sealed)
	fmt.Println(h.KeyID, h.Provider, h.Account)

	opened, err := core.OpenSession(sealed, []core.SealKey{key2026, key2025}, core.ProviderNICEInvoice, "29AAFCD5862R000/api_user")
	fmt.Println(err, opened.Account)
	_, err = core.OpenSession(sealed, []core.SealKey{key2025}, core.ProviderNICEInvoice, "someone-else")
	fmt.Println(gstcrypto.CodeOf(err))
	_, err = core.OpenSession(sealed, []core.SealKey{key2026}, "", "")
	fmt.Println(gstcrypto.CodeOf(err))
	// Output:
	// k2025 nic_einvoice 29AAFCD5862R000/api_user
	// <nil> 29AAFCD5862R000/api_user
	// decrypt_failed
	// invalid_key
}
