package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

const gstin = "27AAACR5055K1Z7"

// clock is a settable server clock; the client uses the same instants.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T, opts Options) (*Server, string, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = c.now
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL, c
}

// send performs a core request over real HTTP.
func send(t *testing.T, req *core.HTTPRequest) *core.HTTPResponse {
	t.Helper()
	hr, err := http.NewRequest(req.Method, req.URL, strings.NewReader(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range req.Headers {
		hr.Header[k] = []string{v} // exactly as built (GSTN header names are lower-case)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	h := map[string]string{}
	for k := range resp.Header {
		h[k] = resp.Header.Get(k)
	}
	return &core.HTTPResponse{Status: resp.StatusCode, Headers: h, Body: string(b)}
}

func exchange(t *testing.T, s *core.Session, c *core.Credentials, step core.Step, now int64, params map[string]string) error {
	t.Helper()
	req, err := core.BuildRequest(s, c, core.RequestOptions{NowMs: now, Step: step, Params: params})
	if err != nil {
		t.Fatalf("build %s: %v", step, err)
	}
	return core.ParseResponse(s, send(t, req), now, now)
}

func newGSTNClient(t *testing.T, base string) (*core.Session, *core.Credentials) {
	srv := base
	s, err := core.NewSession(core.ProviderGSTN, gstin+"/"+Username, core.Config{BaseURL: srv + "/taxpayerapi/v1.0",
		ClientID: ClientID, GSTIN: gstin, Username: Username, IPUser: "10.1.2.3", AccessWindowMs: 30 * 24 * 3600 * 1000})
	if err != nil {
		t.Fatal(err)
	}
	return s, &core.Credentials{ClientSecret: ClientSecret}
}

func withCert(t *testing.T, base, name string, c *core.Credentials) *core.Credentials {
	resp, err := http.Get(base + "/_sandbox/certs/" + name + ".pem")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.PublicKey = string(b)
	return c
}

// gstnCall sends an encrypted returns call with the session's headers.
func gstnCall(t *testing.T, s *core.Session, c *core.Credentials, method, url string, body any) map[string]any {
	h, err := core.GSTNHeaders(s, core.GSTNHeaderOptions{ClientSecret: c.ClientSecret, RetPeriod: "042026"})
	if err != nil {
		t.Fatal(err)
	}
	js := ""
	if body != nil {
		b, _ := json.Marshal(body)
		js = string(b)
	}
	resp := send(t, &core.HTTPRequest{Method: method, URL: url, Headers: h, Body: js})
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		t.Fatalf("%s: %s", err, resp.Body)
	}
	return m
}

func TestGSTNFlow(t *testing.T) {
	srv, base, clk := start(t, Options{TokenLifetime: 2 * time.Hour})
	s, c := newGSTNClient(t, base)
	withCert(t, base, "gstn", c)
	now := clk.now().UnixMilli()
	if err := exchange(t, s, c, core.StepOTPRequest, now, nil); err != nil {
		t.Fatal(err)
	}
	c.OTP = "000000"
	if err := exchange(t, s, c, core.StepAuthToken, now, nil); gstcrypto.CodeOf(err) != gstcrypto.CodeUserActionRequired {
		t.Fatalf("wrong OTP: %v", err)
	}
	c.OTP = OTP
	if err := exchange(t, s, c, core.StepAuthToken, now, nil); err != nil {
		t.Fatal(err)
	}
	c.OTP = ""
	invoice := map[string]any{"gstin": gstin, "fp": "042026", "b2b": []any{map[string]any{"ctin": "29AABCU9603R1ZJ"}}}
	enc, err := gstcrypto.EncryptGSTNRequest(s.SEK, mustJSON(invoice))
	if err != nil {
		t.Fatal(err)
	}
	url := base + "/taxpayerapi/v1.0/returns/gstr1"
	resp := gstnCall(t, s, c, "POST", url, map[string]string{"action": "RETSAVE", "data": enc.Data, "hmac": enc.HMAC})
	saved := decryptGSTN(t, s, resp)
	if saved["status"] != "saved" {
		t.Fatalf("%v", saved)
	}
	sum := decryptGSTN(t, s, gstnCall(t, s, c, "GET", url+"?action=RETSUM&gstin="+gstin+"&ret_period=042026", nil))
	if sum["saved"] != float64(1) {
		t.Fatalf("%v", sum)
	}

	// The planner refreshes before expiry, without an OTP.
	clk.add(2*time.Hour - 5*time.Minute)
	now = clk.now().UnixMilli()
	p, _ := core.PlanSession(s, now)
	if p.Action != core.ActionRefresh {
		t.Fatalf("plan %+v", p)
	}
	old := s.AccessToken
	if err := exchange(t, s, c, "", now, nil); err != nil {
		t.Fatal(err)
	}
	if s.AccessToken == old {
		t.Fatal("refresh kept the token")
	}
	decryptGSTN(t, s, gstnCall(t, s, c, "GET", url+"?action=RETSUM&gstin="+gstin+"&ret_period=042026", nil))
	if err := exchange(t, s, c, core.StepLogout, now, nil); err != nil {
		t.Fatal(err)
	}
	if len(srv.gstn) != 0 {
		t.Fatal("logout left the session on the server")
	}
}

func decryptGSTN(t *testing.T, s *core.Session, resp map[string]any) map[string]any {
	t.Helper()
	if resp["status_cd"] != "1" {
		t.Fatalf("GSTN error: %v", resp)
	}
	js, err := gstcrypto.DecryptGSTNResponse(s.SEK, resp["data"].(string), resp["rek"].(string), resp["hmac"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(js, &m)
	return m
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// rejects reports whether the client takes an API answer as a dead token.
func rejects(s *core.Session, r *core.HTTPResponse, now int64) bool {
	_, err := core.ObserveAPIResponse(s, r, core.APICall{SentAtMs: now, ReceivedAtMs: now})
	return err == nil && s.Rejected
}

func loggedIn(t *testing.T, opts Options) (*Server, string, *clock, *core.Session, *core.Credentials) {
	srv, base, clk := start(t, opts)
	s, c := newGSTNClient(t, base)
	withCert(t, base, "gstn", c)
	now := clk.now().UnixMilli()
	exchange(t, s, c, core.StepOTPRequest, now, nil)
	c.OTP = OTP
	if err := exchange(t, s, c, core.StepAuthToken, now, nil); err != nil {
		t.Fatal(err)
	}
	c.OTP = ""
	return srv, base, clk, s, c
}

func errorCode(resp map[string]any) string {
	e, _ := resp["error"].(map[string]any)
	s, _ := e["error_cd"].(string)
	return s
}

// TestGSTNRejectsWrongBytes: the emulator catches the classic client bugs.
func TestGSTNRejectsWrongBytes(t *testing.T) {
	_, base, clk, s, c := loggedIn(t, Options{TokenLifetime: time.Hour})
	url := base + "/taxpayerapi/v1.0/returns/gstr1"
	payload := []byte(`{"gstin":"` + gstin + `"}`)
	enc, _ := gstcrypto.EncryptGSTNRequest(s.SEK, payload)

	t.Run("wrong HMAC", func(t *testing.T) {
		tag, _ := base64.StdEncoding.DecodeString(enc.HMAC)
		tag[0] ^= 1
		r := gstnCall(t, s, c, "POST", url, map[string]string{"action": "RETSAVE", "data": enc.Data, "hmac": base64.StdEncoding.EncodeToString(tag)})
		if errorCode(r) != "RET191106" {
			t.Fatalf("%v", r)
		}
	})
	t.Run("NIC plaintext convention (raw JSON, no inner base64)", func(t *testing.T) {
		data, _ := gstcrypto.EncryptNICRequest(s.SEK, payload)
		mac := base64.StdEncoding.EncodeToString(gstcrypto.HMACSHA256(s.SEK, payload))
		r := gstnCall(t, s, c, "POST", url, map[string]string{"action": "RETSAVE", "data": data, "hmac": mac})
		if errorCode(r) != "RET191106" {
			t.Fatalf("%v", r)
		}
	})
	t.Run("wrong state-cd", func(t *testing.T) {
		h, _ := core.GSTNHeaders(s, core.GSTNHeaderOptions{ClientSecret: c.ClientSecret, RetPeriod: "042026"})
		h["state-cd"] = "29"
		resp := send(t, &core.HTTPRequest{Method: "POST", URL: url, Headers: h, Body: `{"action":"RETSAVE","data":"` + enc.Data + `","hmac":"` + enc.HMAC + `"}`})
		if !strings.Contains(resp.Body, "AUTH4041") {
			t.Fatal(resp.Body)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		r := gstnCall(t, s, &core.Credentials{ClientSecret: "nope"}, "POST", url, map[string]string{"action": "RETSAVE", "data": enc.Data, "hmac": enc.HMAC})
		if errorCode(r) != "AUT4033" {
			t.Fatalf("%v", r)
		}
	})
	t.Run("OAEP instead of PKCS#1 v1.5", func(t *testing.T) {
		block, _ := pem.Decode([]byte(c.PublicKey))
		cert, _ := x509.ParseCertificate(block.Bytes)
		key := make([]byte, 32)
		ct, _ := rsa.EncryptOAEP(sha1.New(), rand.Reader, cert.PublicKey.(*rsa.PublicKey), key, nil)
		h, _ := core.GSTNHeaders(s, core.GSTNHeaderOptions{ClientSecret: c.ClientSecret})
		resp := send(t, &core.HTTPRequest{Method: "POST", URL: base + "/taxpayerapi/v1.0/authenticate", Headers: h,
			Body: `{"action":"OTPREQUEST","username":"` + Username + `","app_key":"` + base64.StdEncoding.EncodeToString(ct) + `"}`})
		if !strings.Contains(resp.Body, "TEC4002") {
			t.Fatal(resp.Body)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		clk.add(time.Hour)
		r := gstnCall(t, s, c, "POST", url, map[string]string{"action": "RETSAVE", "data": enc.Data, "hmac": enc.HMAC})
		if errorCode(r) != "AUTH4038" {
			t.Fatalf("%v", r)
		}
		if !rejects(s, &core.HTTPResponse{Status: 200, Body: string(mustJSON(r))}, 0) {
			t.Fatal("the client did not take AUTH4038 as a dead token")
		}
	})
}

func einvSession(t *testing.T, base string) (*core.Session, *core.Credentials) {
	s, err := core.NewSession(core.ProviderNICEInvoice, gstin, core.Config{BaseURL: base, ClientID: ClientID, GSTIN: gstin, Username: Username})
	if err != nil {
		t.Fatal(err)
	}
	return s, withCert(t, base, "nic", &core.Credentials{ClientSecret: ClientSecret, Password: Password})
}

func generateIRN(t *testing.T, base string, s *core.Session, c *core.Credentials, inv map[string]any) map[string]any {
	data, _ := gstcrypto.EncryptNICRequest(s.SEK, mustJSON(inv))
	resp := send(t, &core.HTTPRequest{Method: "POST", URL: base + "/eicore/v1.03/Invoice", Body: `{"Data":"` + data + `"}`,
		Headers: map[string]string{"client_id": ClientID, "client_secret": c.ClientSecret, "Gstin": gstin, "user_name": Username,
			"AuthToken": s.AccessToken, "Content-Type": "application/json"}})
	var m map[string]any
	json.Unmarshal([]byte(resp.Body), &m)
	return m
}

func testInvoice(no string) map[string]any {
	return map[string]any{"Version": "1.1", "DocDtls": map[string]string{"Typ": "INV", "No": no, "Dt": "01/04/2026"},
		"SellerDtls": map[string]string{"Gstin": gstin}, "BuyerDtls": map[string]string{"Gstin": "29AABCU9603R1ZJ"},
		"ItemList": []any{map[string]any{"HsnCd": "1001", "TotItemVal": 118000}}, "ValDtls": map[string]any{"TotInvVal": 118000}}
}

func TestEInvoiceFlow(t *testing.T) {
	_, base, clk := start(t, Options{TokenLifetime: 30 * time.Minute, DateSkew: 90 * time.Second})
	s, c := einvSession(t, base)
	now := clk.now().UnixMilli()
	if err := exchange(t, s, c, "", now, nil); err != nil {
		t.Fatal(err)
	}
	if s.SkewMs < 89000 || s.SkewMs > 91000 || s.ExpiresAtMs != now+30*60*1000 {
		t.Fatalf("skew %d, expiry %d", s.SkewMs, s.ExpiresAtMs-now)
	}
	m := generateIRN(t, base, s, c, testInvoice("INV/1"))
	js, err := gstcrypto.DecryptNICResponse(s.SEK, m["Data"].(string))
	if err != nil {
		t.Fatalf("%v: %v", err, m)
	}
	var out struct{ Irn, SignedInvoice, SignedQRCode string }
	json.Unmarshal(js, &out)
	resp, _ := http.Get(base + "/_sandbox/certs/signing.pem")
	pemBytes, _ := io.ReadAll(resp.Body)
	certs, _ := gstcrypto.ParseCertificates(pemBytes)
	for _, tok := range []string{out.SignedInvoice, out.SignedQRCode} {
		v, err := gstcrypto.VerifySignedJWT(tok, certs)
		if err != nil || !bytes.Contains(v.Data, []byte(out.Irn)) {
			t.Fatalf("signed JWT: %v", err)
		}
	}
	if m := generateIRN(t, base, s, c, testInvoice("INV/1")); !strings.Contains(string(mustJSON(m)), "2150") {
		t.Fatalf("duplicate: %v", m)
	}
	// The GSTN convention (inner base64) is refused.
	data, _ := gstcrypto.EncryptNICRequest(s.SEK, []byte(base64.StdEncoding.EncodeToString(mustJSON(testInvoice("INV/2")))))
	r := send(t, &core.HTTPRequest{Method: "POST", URL: base + "/eicore/v1.03/Invoice", Body: `{"Data":"` + data + `"}`,
		Headers: map[string]string{"client_id": ClientID, "client_secret": ClientSecret, "Gstin": gstin, "user_name": Username, "AuthToken": s.AccessToken}})
	if !strings.Contains(r.Body, "5002") {
		t.Fatal(r.Body)
	}
	// A repeated auth inside the window gives the same token; a forced one in
	// the last 10 minutes a new one, as the planner schedules it.
	tok := s.AccessToken
	clk.add(time.Minute)
	if err := exchange(t, s, c, core.StepAuth, clk.now().UnixMilli(), nil); err != nil || s.AccessToken != tok {
		t.Fatalf("repeat auth: %v", err)
	}
	clk.add(30*time.Minute - 8*time.Minute)
	now = clk.now().UnixMilli()
	if p, _ := core.PlanSession(s, now); p.Action != core.ActionRefresh {
		t.Fatalf("%+v", p)
	}
	if err := exchange(t, s, c, "", now, nil); err != nil || s.AccessToken == tok {
		t.Fatalf("force refresh: %v", err)
	}
	// Wrong password: 1019, a person must act.
	s2, c2 := einvSession(t, base)
	c2.Password = "wrong"
	if err := exchange(t, s2, c2, "", now, nil); gstcrypto.CodeOf(err) != gstcrypto.CodeUserActionRequired {
		t.Fatalf("%v", err)
	}
}

func TestEWayBillFlow(t *testing.T) {
	_, base, clk := start(t, Options{})
	s, _ := core.NewSession(core.ProviderNICEWayBill, gstin, core.Config{BaseURL: base, ClientID: ClientID, GSTIN: gstin, Username: Username})
	c := withCert(t, base, "nic", &core.Credentials{ClientSecret: ClientSecret, Password: Password})
	now := clk.now().UnixMilli()
	if err := exchange(t, s, c, "", now, nil); err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"client-id": ClientID, "client-secret": ClientSecret, "gstin": gstin, "authtoken": s.AccessToken}
	data, _ := gstcrypto.EncryptNICRequest(s.SEK, []byte(`{"docNo":"1","fromGstin":"`+gstin+`"}`))
	resp := send(t, &core.HTTPRequest{Method: "POST", URL: base + "/ewayapi/", Headers: h, Body: `{"action":"GENEWAYBILL","data":"` + data + `"}`})
	var m map[string]string
	json.Unmarshal([]byte(resp.Body), &m)
	js, err := gstcrypto.DecryptNICResponse(s.SEK, m["data"])
	if err != nil || !strings.Contains(string(js), "ewayBillNo") {
		t.Fatalf("%v %s", err, resp.Body)
	}
	resp = send(t, &core.HTTPRequest{Method: "GET", URL: base + "/ewayapi/GetEwayBill?ewbNo=331000000001", Headers: h})
	json.Unmarshal([]byte(resp.Body), &m)
	if js, err := gstcrypto.DecryptNICResponseRek(s.SEK, m["data"], m["rek"], m["hmac"]); err != nil || !strings.Contains(string(js), "331000000001") {
		t.Fatalf("rek variant: %v", err)
	}
	h["authtoken"] = "stale"
	resp = send(t, &core.HTTPRequest{Method: "GET", URL: base + "/ewayapi/GetEwayBill?ewbNo=1", Headers: h})
	if !rejects(s, resp, now) {
		t.Fatalf("238 not taken as a dead token: %s", resp.Body)
	}
}

func TestFaults(t *testing.T) {
	srv, base, clk := start(t, Options{})
	s, c := einvSession(t, base)
	now := clk.now().UnixMilli()

	srv.Inject(Fault{Kind: "status", Status: 429, RetryAfter: 7})
	err := exchange(t, s, c, "", now, nil)
	var e *core.Error
	if !asError(err, &e) || e.Code != gstcrypto.CodeRateLimited || e.RetryAfterMs < 7000 {
		t.Fatalf("429: %v", err)
	}
	if p, _ := core.PlanSession(s, now); p.NotBeforeMs < now+7000 {
		t.Fatalf("plan ignores Retry-After: %+v", p)
	}
	srv.Inject(Fault{Kind: "status", Status: 503})
	if err := exchange(t, s, c, core.StepAuth, now+8000, nil); gstcrypto.CodeOf(err) != gstcrypto.CodeProviderError {
		t.Fatalf("503: %v", err)
	}
	srv.Inject(Fault{Kind: "skew", SkewMs: -120000})
	if err := exchange(t, s, c, core.StepAuth, now+20000, nil); err != nil || s.SkewMs > -119000 {
		t.Fatalf("skew: %v %d", err, s.SkewMs)
	}
	srv.Inject(Fault{Kind: "invalid_token", PathPrefix: "/eicore"})
	m := generateIRN(t, base, s, c, testInvoice("INV/9"))
	if !rejects(s, &core.HTTPResponse{Status: 200, Body: string(mustJSON(m))}, now) {
		t.Fatalf("1005 fault: %v", m)
	}
	start := time.Now()
	srv.Inject(Fault{Kind: "slow", DelayMs: 300})
	http.Get(base + "/eivital/v1.04/auth")
	if time.Since(start) < 300*time.Millisecond {
		t.Fatal("slow fault did not wait")
	}
	// Over HTTP too.
	resp, _ := http.Post(base+"/_sandbox/faults", "application/json", strings.NewReader(`{"faults":[{"kind":"status","status":500}]}`))
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	if r, _ := http.Get(base + "/eicore/x"); r.StatusCode != 500 {
		t.Fatal(r.Status)
	}
}

func asError(err error, e **core.Error) bool {
	x, ok := err.(*core.Error)
	*e = x
	return ok
}
