package gstauth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gstauth/gstauth"
	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// apiServer is a resource server that records every call and answers as
// told.
type apiServer struct {
	*httptest.Server
	mu    sync.Mutex
	calls []apiCall
	// answer gives the status and body of the n-th call (from 1).
	answer func(n int, c apiCall) (int, string)
}

type apiCall struct {
	Authorization, AuthToken, RetPeriod, Body string
}

func newAPIServer(t *testing.T, answer func(n int, c apiCall) (int, string)) *apiServer {
	a := &apiServer{answer: answer}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c := apiCall{Authorization: r.Header.Get("Authorization"), AuthToken: r.Header.Get("auth-token"), RetPeriod: r.Header.Get("ret_period"), Body: string(b)}
		a.mu.Lock()
		a.calls = append(a.calls, c)
		n := len(a.calls)
		a.mu.Unlock()
		status, body := a.answer(n, c)
		if status == 401 {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *apiServer) recorded() []apiCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]apiCall(nil), a.calls...)
}

// oneShotReader is a body net/http cannot rewind (no GetBody), that
// reports whether it was closed.
type oneShotReader struct {
	io.Reader
	closed atomic.Bool
}

func (r *oneShotReader) Close() error { r.closed.Store(true); return nil }

// postOnce sends a POST through a Transport over s with a body that can be
// read only once, and checks that the caller's request is left as it was.
func postOnce(t *testing.T, s *gstauth.Session, url, body string) *http.Response {
	t.Helper()
	rd := &oneShotReader{Reader: strings.NewReader(body)}
	req, err := http.NewRequestWithContext(t.Context(), "POST", url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Caller", "kept")
	before := req.Header.Clone()
	resp, err := (&http.Client{Transport: &gstauth.Transport{Session: s}}).Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	if d := cmp.Diff(before, req.Header); d != "" {
		t.Errorf("the Transport changed the caller's headers (-before +after):\n%s", d)
	}
	if !rd.closed.Load() {
		t.Error("the Transport did not close the request's body")
	}
	return resp
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTransportReplaysOnceAfterRejection: a 401 with invalid_token on tok-1
// renews the token and sends the same body again with tok-2.
func TestTransportReplaysOnceAfterRejection(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	s := newCCSession(t, ts, clk, gstauth.Options{})
	api := newAPIServer(t, func(n int, c apiCall) (int, string) {
		if c.Authorization == "Bearer tok-1" {
			return 401, `{"error":"invalid_token"}`
		}
		return 200, `{"ok":true}`
	})
	resp := postOnce(t, s, api.URL+"/v1/things", `{"thing":1}`)
	if body := readAll(t, resp); resp.StatusCode != 200 || body != `{"ok":true}` {
		t.Fatalf("answer %d %s, want 200 {\"ok\":true}", resp.StatusCode, body)
	}
	want := []apiCall{{Authorization: "Bearer tok-1", Body: `{"thing":1}`}, {Authorization: "Bearer tok-2", Body: `{"thing":1}`}}
	if d := cmp.Diff(want, api.recorded()); d != "" {
		t.Fatalf("the calls the API saw (-want +got):\n%s", d)
	}
	if n := ts.requests.Load(); n != 2 {
		t.Fatalf("%d token requests, want the grant and one renewal", n)
	}
	if r, ok := gstauth.ResultOf(resp); !ok || r.Outcome != core.OutcomeOK {
		t.Fatalf("ResultOf = %+v, %v; want ok", r, ok)
	}
}

// TestTransportDoesNotReplayTwice: a second rejection returns the answer as
// it came, with what the core read in it; the next call renews again.
func TestTransportDoesNotReplayTwice(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	s := newCCSession(t, ts, clk, gstauth.Options{})
	api := newAPIServer(t, func(int, apiCall) (int, string) { return 401, `{"error":"invalid_token"}` })
	resp := postOnce(t, s, api.URL, `{}`)
	if body := readAll(t, resp); resp.StatusCode != 401 || body != `{"error":"invalid_token"}` {
		t.Fatalf("answer %d %s, want the second 401 as it came", resp.StatusCode, body)
	}
	if n := len(api.recorded()); n != 2 {
		t.Fatalf("the API saw %d calls, want the call and one replay", n)
	}
	if n := ts.requests.Load(); n != 2 {
		t.Fatalf("%d token requests, want the grant and one renewal", n)
	}
	r, ok := gstauth.ResultOf(resp)
	if !ok || r.Outcome != core.OutcomeReauthenticate || r.Error == nil || r.Error.Code != gstcrypto.CodeReauthRequired {
		t.Fatalf("ResultOf = %+v, %v; want reauthenticate with reauth_required", r, ok)
	}
	mustToken(t, s, "tok-3")
}

// TestTransportReturnsOtherFailuresAsTheyCame: a 429 is not retried; its
// wait is in ResultOf.
func TestTransportReturnsOtherFailuresAsTheyCame(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	s := newCCSession(t, ts, clk, gstauth.Options{})
	api := newAPIServer(t, func(int, apiCall) (int, string) { return 429, `slow down` })
	resp := postOnce(t, s, api.URL, `{}`)
	if body := readAll(t, resp); resp.StatusCode != 429 || body != "slow down" {
		t.Fatalf("answer %d %q", resp.StatusCode, body)
	}
	if r, _ := gstauth.ResultOf(resp); r.Outcome != core.OutcomeRetryLater || r.Error == nil || !r.Error.Retryable {
		t.Fatalf("ResultOf = %+v, want retry_later", r)
	}
	if n := len(api.recorded()); n != 1 {
		t.Fatalf("the API saw %d calls, want 1", n)
	}
}

// gstnTestSession is a GSTN session with a live token and a known session
// key, the state AUTHTOKEN leaves.
func gstnTestSession(t *testing.T, clk *fakeClock, base string, o gstauth.Options) (*gstauth.Session, []byte) {
	t.Helper()
	sek := bytes.Repeat([]byte{7}, 32)
	st, err := core.NewSession(core.ProviderGSTN, "27AAACR5055K1Z7/taxpayer1", core.Config{BaseURL: base,
		ClientID: "gsp-client", GSTIN: "27AAACR5055K1Z7", Username: "taxpayer1", IPUser: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	st.AccessToken, st.SEK = "gstn-token", sek
	st.ObtainedAtMs, st.ExpiresAtMs = clk.Now().UnixMilli(), clk.Now().UnixMilli()+6*3600*1000
	o.Credentials.ClientSecret = "gsp-secret"
	o.Clock = clk.Now
	s, err := gstauth.FromCore(st, o)
	if err != nil {
		t.Fatal(err)
	}
	return s, sek
}

const tec4002 = `{"status_cd":"0","error":{"error_cd":"TEC4002","message":"Invalid public key"}}`

// TestTransportStaleCertificate: GSTN's TEC4002 loads the certificate once
// and sends the call once more; without a certificate source, or a second
// time, the answer is returned as it came.
func TestTransportStaleCertificate(t *testing.T) {
	cert, err := os.ReadFile("testdata/keys/gstn-test.crt")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		source     bool
		staleTimes int
		wantCalls  int
		wantLoads  int64
		want       core.Outcome
	}{
		{name: "replaced once", source: true, staleTimes: 1, wantCalls: 2, wantLoads: 1, want: core.OutcomeOK},
		{name: "stale again", source: true, staleTimes: 2, wantCalls: 2, wantLoads: 1, want: core.OutcomeStaleCertificate},
		{name: "no source", staleTimes: 1, wantCalls: 1, want: core.OutcomeStaleCertificate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			api := newAPIServer(t, func(n int, c apiCall) (int, string) {
				if n <= tc.staleTimes {
					return 200, tec4002
				}
				return 200, `{"status_cd":"1"}`
			})
			var loads atomic.Int64
			o := gstauth.Options{}
			if tc.source {
				o.Certificate = func(context.Context) (string, error) { loads.Add(1); return string(cert), nil }
			}
			s, _ := gstnTestSession(t, clk, api.URL, o)
			resp := postOnce(t, s, api.URL+"/returns/gstr1", `{"action":"RETFILE"}`)
			readAll(t, resp)
			if r, _ := gstauth.ResultOf(resp); r.Outcome != tc.want {
				t.Errorf("outcome %s, want %s", r.Outcome, tc.want)
			}
			if n := len(api.recorded()); n != tc.wantCalls {
				t.Errorf("the API saw %d calls, want %d", n, tc.wantCalls)
			}
			if n := loads.Load(); n != tc.wantLoads {
				t.Errorf("the certificate was loaded %d times, want %d", n, tc.wantLoads)
			}
		})
	}
}

// TestTransportEncryptsAndDecrypts: a GSTN call's plain payload goes out
// encrypted under the session key with its HMAC, with the token in
// auth-token and ret_period from WithAPIOptions; the answer comes back
// decrypted, rek and hmac removed, Content-Length matching.
func TestTransportEncryptsAndDecrypts(t *testing.T) {
	clk := newClock()
	var sek []byte
	api := newAPIServer(t, func(n int, c apiCall) (int, string) {
		var req struct{ Action, Data, HMAC string }
		if json.Unmarshal([]byte(c.Body), &req) != nil || req.Action != "RETSAVE" {
			return 400, `{"status_cd":"0","error":{"error_cd":"RET11403","message":"not an encrypted RETSAVE"}}`
		}
		plain, err := gstcrypto.DecryptGSTNRequest(sek, req.Data, req.HMAC)
		if err != nil || string(plain) != `{"b2b":[]}` {
			return 400, `{"status_cd":"0","error":{"error_cd":"RET191106","message":"does not decrypt"}}`
		}
		enc, _ := gstcrypto.EncryptGSTNResponse(nil, sek, []byte(`{"reference_id":"R1"}`))
		return 200, `{"status_cd":"1","data":"` + enc.Data + `","rek":"` + enc.Rek + `","hmac":"` + enc.HMAC + `"}`
	})
	s, key := gstnTestSession(t, clk, api.URL, gstauth.Options{})
	sek = key
	req, _ := http.NewRequestWithContext(gstauth.WithAPIOptions(t.Context(), core.APIOptions{RetPeriod: "042026"}),
		"POST", api.URL+"/returns/gstr1", strings.NewReader(`{"action":"RETSAVE","data":{"b2b":[]}}`))
	resp, err := (&http.Client{Transport: &gstauth.Transport{Session: s}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"status_cd":"1","data":{"reference_id":"R1"}}`
	if body := readAll(t, resp); body != want {
		t.Fatalf("answer %s, want %s", body, want)
	}
	if resp.ContentLength != int64(len(want)) {
		t.Errorf("Content-Length %d does not match the decrypted body", resp.ContentLength)
	}
	if c := api.recorded()[0]; c.AuthToken != "gstn-token" || c.RetPeriod != "042026" {
		t.Errorf("auth-token %q, ret_period %q", c.AuthToken, c.RetPeriod)
	}
}

// TestOwnExchangesPassThroughATransport: a session whose HTTP client is a
// Transport over the same session gets its tokens (no deadlock, no token
// added to the token request).
func TestOwnExchangesPassThroughATransport(t *testing.T) {
	clk := newClock()
	ts := newTokenServer(t, clk)
	tr := &gstauth.Transport{Base: ts.Client().Transport}
	s := newCCSession(t, ts, clk, gstauth.Options{HTTPClient: &http.Client{Transport: tr}})
	tr.Session = s
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if tok, err := s.Token(ctx); err != nil || tok != "tok-1" {
		t.Fatalf("Token = %q, %v", tok, err)
	}
}

// TestAnswersDecryptUnderTheKeyOfTheirCall: a refresh that lands while a
// GSTN call is in flight replaces the session key; the call's answer,
// encrypted under the key the call was made with, still decrypts.
func TestAnswersDecryptUnderTheKeyOfTheirCall(t *testing.T) {
	clk := newClock()
	var mu sync.Mutex
	keys := map[string][]byte{} // token → session key
	held, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/authenticate" { // REFRESHTOKEN: a new key under the app key sent under the old one
			var req struct {
				Action    string `json:"action"`
				AppKey    string `json:"app_key"`
				AuthToken string `json:"auth_token"`
			}
			json.NewDecoder(r.Body).Decode(&req)
			mu.Lock()
			defer mu.Unlock()
			ct, _ := base64.StdEncoding.DecodeString(req.AppKey)
			appKey, err := gstcrypto.DecryptAESECB(keys[req.AuthToken], ct)
			if req.Action != "REFRESHTOKEN" || err != nil {
				fmt.Fprint(w, `{"status_cd":"0","error":{"error_cd":"TEC4002","message":"bad app key"}}`)
				return
			}
			keys["gstn-token-2"] = bytes.Repeat([]byte{8}, 32)
			sek, _ := gstcrypto.EncryptAESECB(appKey, keys["gstn-token-2"])
			fmt.Fprintf(w, `{"status_cd":"1","auth_token":"gstn-token-2","expiry":360,"sek":"%s"}`, base64.StdEncoding.EncodeToString(sek))
			return
		}
		mu.Lock()
		key := keys[r.Header.Get("auth-token")]
		mu.Unlock()
		if calls.Add(1) == 1 {
			close(held)
			<-release
		}
		enc, _ := gstcrypto.EncryptGSTNResponse(nil, key, []byte(`{"saved":1}`))
		fmt.Fprintf(w, `{"status_cd":"1","data":"%s","rek":"%s","hmac":"%s"}`, enc.Data, enc.Rek, enc.HMAC)
	}))
	defer srv.Close()
	s, sek := gstnTestSession(t, clk, srv.URL, gstauth.Options{})
	keys["gstn-token"] = sek

	answer := make(chan string, 1)
	go func() {
		resp, err := (&http.Client{Transport: &gstauth.Transport{Session: s}}).Get(srv.URL + "/returns/gstr1?action=RETSUM")
		if err != nil {
			answer <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answer <- string(b)
	}()
	<-held
	clk.SetMs(mustPlan(t, s).RefreshAtMs)
	mustToken(t, s, "gstn-token-2")
	close(release)
	if got := <-answer; got != `{"status_cd":"1","data":{"saved":1}}` {
		t.Fatalf("the answer of the call made before the refresh: %s", got)
	}
}
