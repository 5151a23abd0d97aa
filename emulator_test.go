package gstauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gstauth/gstauth"
	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/sandbox"
)

// The Go host against the GST emulator (sandbox), in process: the GSTN OTP
// login, encrypted returns calls and refreshes; NIC e-invoice and e-way
// bill logins and encrypted calls; single-flight refreshes and one replay
// after a rejected token, counted by the emulator and by the client.

const gstin = "27AAACR5055K1Z7"

// rig is one emulator on the shared clock, and a client transport that
// counts requests by path.
type rig struct {
	srv  *sandbox.Server
	base string
	clk  *fakeClock
	net  *countingTransport
}

func newRig(t *testing.T, opts sandbox.Options) *rig {
	t.Helper()
	clk := newClock()
	opts.Now = clk.Now
	srv, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	base, stop, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop() })
	return &rig{srv: srv, base: base, clk: clk, net: &countingTransport{base: &http.Transport{}, counts: map[string]int{}}}
}

// countingTransport counts requests by path, keeps the last body sent to
// each, and can hold requests.
type countingTransport struct {
	base   http.RoundTripper
	mu     sync.Mutex
	counts map[string]int
	bodies map[string]string
	// hold, when set, is called before a request is sent.
	hold atomic.Pointer[func(*http.Request)]
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	c.mu.Lock()
	c.counts[req.URL.Path]++
	if c.bodies == nil {
		c.bodies = map[string]string{}
	}
	c.bodies[req.URL.Path] = string(body)
	c.mu.Unlock()
	if h := c.hold.Load(); h != nil {
		(*h)(req)
	}
	return c.base.RoundTrip(req)
}

func (c *countingTransport) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[path]
}

func (c *countingTransport) lastBody(path string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bodies[path]
}

func (r *rig) certificate(name string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", r.base+"/_sandbox/certs/"+name+".pem", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b), err
	}
}

func (r *rig) stats(t *testing.T, api string) sandbox.SessionStats {
	t.Helper()
	for _, st := range r.srv.Stats() {
		if st.API == api {
			return st
		}
	}
	t.Fatalf("the emulator has no %s session", api)
	return sandbox.SessionStats{}
}

func (r *rig) client(s *gstauth.Session) *http.Client {
	return &http.Client{Transport: &gstauth.Transport{Session: s, Base: r.net}}
}

// call sends a request through the Transport and decodes the JSON answer.
func (r *rig) call(t *testing.T, s *gstauth.Session, ctx context.Context, method, path, body string) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.client(s).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	raw := readAll(t, resp)
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("%s %s answered %d %s", method, path, resp.StatusCode, raw)
	}
	if res, ok := gstauth.ResultOf(resp); !ok || res.Outcome != core.OutcomeOK {
		t.Fatalf("%s %s: outcome %+v: %s", method, path, res, raw)
	}
	return m
}

// gstnSession is a GSTN session whose credentials hold a certificate the
// emulator does not use (so its first RSA request meets TEC4002) and a
// source for the current one.
func (r *rig) gstnSession(t *testing.T, loads *atomic.Int64) *gstauth.Session {
	t.Helper()
	stale, err := os.ReadFile("testdata/keys/gstn-test.crt")
	if err != nil {
		t.Fatal(err)
	}
	load := r.certificate("gstn")
	s, err := gstauth.NewSession(core.ProviderGSTN, gstin+"/"+sandbox.Username, core.Config{
		BaseURL: r.base + "/taxpayerapi/v1.0", ClientID: sandbox.ClientID, GSTIN: gstin, Username: sandbox.Username,
		IPUser: "10.1.2.3", AccessWindowMs: 30 * 24 * 3600 * 1000,
	}, gstauth.Options{
		Credentials: core.Credentials{ClientSecret: sandbox.ClientSecret, PublicKey: string(stale)},
		Certificate: func(ctx context.Context) (string, error) { loads.Add(1); return load(ctx) },
		Clock:       r.clk.Now,
		HTTPClient:  &http.Client{Transport: r.net},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const authenticatePath = "/taxpayerapi/v1.0/authenticate"

// gstnLogin runs OTPREQUEST (through one stale certificate) and AUTHTOKEN.
func (r *rig) gstnLogin(t *testing.T) *gstauth.Session {
	t.Helper()
	var loads atomic.Int64
	s := r.gstnSession(t, &loads)
	if err := s.RequestOTP(t.Context()); err != nil {
		t.Fatalf("RequestOTP: %v", err)
	}
	if err := s.Authenticate(t.Context(), sandbox.OTP); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return s
}

// TestEmulatorGSTN: OTPREQUEST meets a stale certificate and is sent once
// more with the current one; AUTHTOKEN; an encrypted RETSAVE and a RETSUM
// through the Transport; an EVC OTP; at refresh_at, the next call refreshes first and
// its answer decrypts under the new session key.
func TestEmulatorGSTN(t *testing.T) {
	r := newRig(t, sandbox.Options{TokenLifetime: 2 * time.Hour})
	var loads atomic.Int64
	s := r.gstnSession(t, &loads)

	if _, err := s.Token(t.Context()); gstcrypto.CodeOf(err) != gstcrypto.CodeUserActionRequired {
		t.Fatalf("Token before the OTP = %v, want user_action_required", err)
	}
	if err := s.RequestOTP(t.Context()); err != nil {
		t.Fatalf("RequestOTP: %v", err)
	}
	if n, l := r.net.count(authenticatePath), loads.Load(); n != 2 || l != 1 {
		t.Fatalf("OTPREQUEST: %d requests and %d certificate loads, want 2 and 1 (TEC4002, then the current certificate)", n, l)
	}
	if err := s.Authenticate(t.Context(), "000000"); gstcrypto.CodeOf(err) != gstcrypto.CodeUserActionRequired {
		t.Fatalf("a wrong OTP = %v, want user_action_required", err)
	}
	if err := s.Authenticate(t.Context(), sandbox.OTP); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}

	ctx := gstauth.WithAPIOptions(t.Context(), core.APIOptions{RetPeriod: "042026"})
	const returns = "/taxpayerapi/v1.0/returns/gstr1"
	saved := r.call(t, s, ctx, "POST", returns, `{"action":"RETSAVE","data":{"gstin":"`+gstin+`","fp":"042026","b2b":[{"ctin":"29AABCU9603R1ZJ"}]}}`)
	var sent map[string]any
	json.Unmarshal([]byte(r.net.lastBody(returns)), &sent)
	if _, ok := sent["data"].(string); !ok || sent["hmac"] == nil || strings.Contains(r.net.lastBody(returns), "29AABCU9603R1ZJ") {
		t.Fatalf("the RETSAVE body went out unencrypted: %s", r.net.lastBody(returns))
	}
	if data, _ := saved["data"].(map[string]any); saved["status_cd"] != "1" || data["status"] != "saved" || saved["rek"] != nil {
		t.Fatalf("RETSAVE answer %v, want status saved, decrypted", saved)
	}
	retsum := returns + "?action=RETSUM&gstin=" + gstin + "&ret_period=042026"
	if sum := r.call(t, s, ctx, "GET", retsum, ""); sum["data"].(map[string]any)["saved"] != float64(1) {
		t.Fatalf("RETSUM %v", sum)
	}

	if err := s.RequestEVCOTP(t.Context(), "AAAPL1234C", "R1"); err != nil {
		t.Fatalf("RequestEVCOTP: %v", err)
	}

	before := s.Snapshot().AccessToken
	r.clk.SetMs(mustPlan(t, s).RefreshAtMs)
	if sum := r.call(t, s, ctx, "GET", retsum, ""); sum["data"].(map[string]any)["saved"] != float64(1) {
		t.Fatalf("RETSUM after the refresh %v", sum)
	}
	if st := r.stats(t, "gstn"); st.RefreshRequests != 1 || st.AuthRequests != 2 || st.ExpiredTokenRequests != 0 {
		t.Fatalf("emulator counts %+v, want 1 refresh, 2 logins (one with a wrong OTP), no expired token", st)
	}
	if s.Snapshot().AccessToken == before {
		t.Fatal("the refresh kept the token")
	}
}

// TestEmulatorGSTNOneRefreshFor100Goroutines: 100 goroutines find the token
// due; the emulator sees one REFRESHTOKEN, held until the 99 others have
// returned with the old token.
func TestEmulatorGSTNOneRefreshFor100Goroutines(t *testing.T) {
	r := newRig(t, sandbox.Options{TokenLifetime: time.Hour})
	s := r.gstnLogin(t)
	old := s.Snapshot().AccessToken
	logins := r.net.count(authenticatePath)
	r.clk.SetMs(mustPlan(t, s).RefreshAtMs)

	var returned atomic.Int64
	hold := func(req *http.Request) {
		for deadline := time.Now().Add(10 * time.Second); returned.Load() < 99 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	r.net.hold.Store(&hold)
	tokens := collect(100, func() tokenResult {
		tok, err := s.Token(t.Context())
		if tok == old {
			returned.Add(1)
		}
		return tokenResult{tok, err}
	})
	fresh := 0
	for _, res := range tokens {
		if res.err != nil {
			t.Fatalf("Token: %v", res.err)
		}
		if res.token != old {
			fresh++
		}
	}
	if fresh != 1 || returned.Load() != 99 {
		t.Fatalf("%d goroutines got a new token and %d the old one; want 1 and 99", fresh, returned.Load())
	}
	if n := r.net.count(authenticatePath) - logins; n != 1 {
		t.Fatalf("%d requests to authenticate, want one REFRESHTOKEN", n)
	}
	if st := r.stats(t, "gstn"); st.RefreshRequests != 1 {
		t.Fatalf("the emulator counted %d refreshes, want 1", st.RefreshRequests)
	}
}

// TestEmulatorGSTNRejectedTokenNeedsTheTaxpayer: GSTN's AUTH4033 on a
// returns call cannot be renewed without an OTP: the call fails with
// user_action_required, nothing is replayed and no login is tried.
func TestEmulatorGSTNRejectedTokenNeedsTheTaxpayer(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	s := r.gstnLogin(t)
	logins := r.net.count(authenticatePath)
	r.srv.Inject(sandbox.Fault{Kind: "invalid_token", PathPrefix: "/taxpayerapi/v1.0/returns"})
	req, _ := http.NewRequestWithContext(t.Context(), "GET", r.base+"/taxpayerapi/v1.0/returns/gstr1?action=RETSUM&gstin="+gstin+"&ret_period=042026", nil)
	_, err := r.client(s).Do(req)
	var e *gstcrypto.Error
	if !errors.As(err, &e) || e.Code != gstcrypto.CodeUserActionRequired || e.ProviderCode != "AUTH4033" {
		t.Fatalf("a rejected GSTN token gave %v, want user_action_required (AUTH4033)", err)
	}
	if n := r.net.count("/taxpayerapi/v1.0/returns/gstr1"); n != 1 {
		t.Fatalf("%d returns calls, want 1 (no replay without a new token)", n)
	}
	if n := r.net.count(authenticatePath) - logins; n != 0 {
		t.Fatalf("%d login requests after the rejection, want none (an OTP is needed)", n)
	}
}

// nicSession is an e-invoice or e-way bill session on the emulator.
func (r *rig) nicSession(t *testing.T, p core.Provider) *gstauth.Session {
	t.Helper()
	pem, err := r.certificate("nic")(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s, err := gstauth.NewSession(p, gstin, core.Config{BaseURL: r.base, ClientID: sandbox.ClientID, GSTIN: gstin, Username: sandbox.Username},
		gstauth.Options{Credentials: core.Credentials{ClientSecret: sandbox.ClientSecret, Password: sandbox.Password, PublicKey: pem},
			Clock: r.clk.Now, HTTPClient: &http.Client{Transport: r.net}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func invoice(no string) string {
	return `{"Data":{"Version":"1.1","DocDtls":{"Typ":"INV","No":"` + no + `","Dt":"01/04/2026"},"SellerDtls":{"Gstin":"` + gstin +
		`"},"BuyerDtls":{"Gstin":"29AABCU9603R1ZJ"},"ItemList":[{"HsnCd":"1001","TotItemVal":118000}],"ValDtls":{"TotInvVal":118000}}}`
}

// TestEmulatorEInvoice: the first call logs in; Generate IRN through the
// Transport (invoice encrypted, answer decrypted); an invalid-token answer
// leads to one login and one replay; at refresh_at, ForceRefreshAccessToken.
func TestEmulatorEInvoice(t *testing.T) {
	r := newRig(t, sandbox.Options{TokenLifetime: time.Hour})
	s := r.nicSession(t, core.ProviderNICEInvoice)
	const auth, irn = "/eivital/v1.04/auth", "/eicore/v1.03/Invoice"

	got := r.call(t, s, t.Context(), "POST", irn, invoice("INV/1"))
	if data, _ := got["Data"].(map[string]any); got["Status"] != float64(1) || data["Irn"] == nil || data["SignedInvoice"] == nil {
		t.Fatalf("Generate IRN answer %v, want the decrypted IRN", got)
	}
	if strings.Contains(r.net.lastBody(irn), "29AABCU9603R1ZJ") {
		t.Fatal("the invoice went out unencrypted")
	}

	r.srv.Inject(sandbox.Fault{Kind: "invalid_token", PathPrefix: "/eicore"})
	if data, _ := r.call(t, s, t.Context(), "POST", irn, invoice("INV/2"))["Data"].(map[string]any); data["Irn"] == nil {
		t.Fatal("the replayed call has no IRN")
	}
	if a, c := r.net.count(auth), r.net.count(irn); a != 2 || c != 3 {
		t.Fatalf("%d logins and %d IRN calls, want 2 and 3 (one login and one replay after the rejection)", a, c)
	}

	r.clk.SetMs(mustPlan(t, s).RefreshAtMs)
	if data, _ := r.call(t, s, t.Context(), "POST", irn, invoice("INV/3"))["Data"].(map[string]any); data["Irn"] == nil {
		t.Fatal("no IRN after the refresh")
	}
	if st := r.stats(t, "einvoice"); st.AuthRequests != 3 || st.RefreshRequests != 1 || st.ExpiredTokenRequests != 0 {
		t.Fatalf("emulator counts %+v, want 3 logins of which 1 refresh, no expired token", st)
	}
}

// TestEmulatorEWayBill: GENEWAYBILL and GetEwayBill (the rek variant)
// through the Transport; a 238 leads to one new login and one replay.
func TestEmulatorEWayBill(t *testing.T) {
	r := newRig(t, sandbox.Options{})
	s := r.nicSession(t, core.ProviderNICEWayBill)
	const gen = `{"action":"GENEWAYBILL","data":{"docNo":"1","fromGstin":"` + gstin + `"}}`

	got := r.call(t, s, t.Context(), "POST", "/ewayapi/", gen)
	data, _ := got["data"].(map[string]any)
	if got["status"] != "1" || data["ewayBillNo"] == nil {
		t.Fatalf("GENEWAYBILL answer %v", got)
	}
	if strings.Contains(r.net.lastBody("/ewayapi/"), "docNo") {
		t.Fatal("the e-way bill went out unencrypted")
	}
	if got := r.call(t, s, t.Context(), "GET", "/ewayapi/GetEwayBill?ewbNo=331000000001", ""); got["data"].(map[string]any)["ewbNo"] == nil || got["rek"] != nil {
		t.Fatalf("GetEwayBill answer %v, want the decrypted bill", got)
	}

	r.srv.Inject(sandbox.Fault{Kind: "invalid_token", PathPrefix: "/ewayapi"})
	if got := r.call(t, s, t.Context(), "POST", "/ewayapi/", gen); got["data"].(map[string]any)["ewayBillNo"] == nil {
		t.Fatalf("the replayed GENEWAYBILL answered %v", got)
	}
	if n := r.net.count("/ewayapi/"); n != 3 {
		t.Fatalf("%d GENEWAYBILL calls, want 3 (one replay after the rejection)", n)
	}
	if st := r.stats(t, "ewaybill"); st.AuthRequests != 2 || st.ReauthRequests != 1 {
		t.Fatalf("emulator counts %+v, want 2 logins, 1 while a token was alive", st)
	}
}
