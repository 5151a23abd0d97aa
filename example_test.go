package gstauth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"

	"github.com/gstauth/gstauth"
	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/sandbox"
)

// tokenEndpoint is an OAuth token endpoint for the examples: each request
// gets a new one-hour token.
func tokenEndpoint() *httptest.Server {
	n := 0
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"token-%d","token_type":"Bearer","expires_in":3600}`, n)
	}))
}

// An OAuth 2.0 client credentials session (a GSP gateway's, WhiteBooks,
// OneFinOps): the first call gets a token, the next ones use it until it
// is due, five minutes before it expires.
func ExampleSession_Token() {
	idp := tokenEndpoint()
	defer idp.Close()

	s, err := gstauth.NewSession(core.ProviderOAuthClientCredentials, "my-client",
		core.Config{TokenURL: idp.URL + "/token", ClientID: "my-client"},
		gstauth.Options{Credentials: core.Credentials{ClientSecret: "my-secret"}})
	if err != nil {
		panic(err)
	}
	for range 3 {
		tok, err := s.Token(context.Background())
		fmt.Println(tok, err)
	}
	p, _ := s.Plan()
	fmt.Println(p.Action, "until", (p.ExpiresAtMs-p.RefreshAtMs)/60_000, "minutes before expiry")
	// Output:
	// token-1 <nil>
	// token-1 <nil>
	// token-1 <nil>
	// use until 5 minutes before expiry
}

// An API client over a session: each request carries the session's
// token, which is renewed and the request replayed once if the API
// rejects it.
func ExampleTransport() {
	idp := tokenEndpoint()
	defer idp.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer token-1" { // say the first token was revoked
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s accepted with %s", b, r.Header.Get("Authorization"))
	}))
	defer api.Close()

	s, _ := gstauth.NewSession(core.ProviderOAuthClientCredentials, "my-client",
		core.Config{TokenURL: idp.URL + "/token", ClientID: "my-client"},
		gstauth.Options{Credentials: core.Credentials{ClientSecret: "my-secret"}})
	client := &http.Client{Transport: &gstauth.Transport{Session: s}}

	resp, err := client.Post(api.URL+"/invoices", "application/json", strings.NewReader(`{"no":"INV/1"}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(b))
	// Output:
	// 200 {"no":"INV/1"} accepted with Bearer token-2
}

// What the core read in an answer the Transport returned as it came: a
// 429 is retry_later, with the wait the server asked for.
func ExampleResultOf() {
	idp := tokenEndpoint()
	defer idp.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer api.Close()
	s, _ := gstauth.NewSession(core.ProviderOAuthClientCredentials, "my-client",
		core.Config{TokenURL: idp.URL + "/token", ClientID: "my-client"},
		gstauth.Options{Credentials: core.Credentials{ClientSecret: "my-secret"}})

	resp, err := (&http.Client{Transport: &gstauth.Transport{Session: s}}).Get(api.URL + "/invoices")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	r, _ := gstauth.ResultOf(resp)
	fmt.Println(resp.StatusCode, r.Outcome, r.Error.Code, r.Error.RetryAfterMs)
	// Output:
	// 429 retry_later rate_limited 30000
}

// The GSTN taxpayer API, against the local emulator: the taxpayer's OTP
// once, then returns calls whose payloads the Transport encrypts and whose
// answers it decrypts; refreshes happen on their own until the API-access
// window ends.
func ExampleSession_Authenticate() {
	emu, _ := sandbox.New(sandbox.Options{})
	base, stop, _ := emu.Listen("127.0.0.1:0")
	defer stop()

	s, err := gstauth.NewSession(core.ProviderGSTN, "27AAACR5055K1Z7/"+sandbox.Username, core.Config{
		BaseURL: base + "/taxpayerapi/v1.0", ClientID: sandbox.ClientID, GSTIN: "27AAACR5055K1Z7",
		Username: sandbox.Username, IPUser: "203.0.113.7", AccessWindowMs: 30 * 24 * 3600 * 1000,
	}, gstauth.Options{
		Credentials: core.Credentials{ClientSecret: sandbox.ClientSecret},
		// GSTN's public certificate, loaded when needed (first use, TEC4002).
		Certificate: func(ctx context.Context) (string, error) { return get(ctx, base+"/_sandbox/certs/gstn.pem") },
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	_, err = s.Token(ctx)
	fmt.Println(gstcrypto.CodeOf(err))
	if err := s.RequestOTP(ctx); err != nil {
		panic(err)
	}
	if err := s.Authenticate(ctx, sandbox.OTP); err != nil { // the OTP the taxpayer received
		panic(err)
	}

	client := &http.Client{Transport: &gstauth.Transport{Session: s}}
	req, _ := http.NewRequestWithContext(gstauth.WithAPIOptions(ctx, core.APIOptions{RetPeriod: "042026"}),
		"POST", base+"/taxpayerapi/v1.0/returns/gstr1",
		strings.NewReader(`{"action":"RETSAVE","data":{"gstin":"27AAACR5055K1Z7","fp":"042026","b2b":[]}}`))
	resp, err := client.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var answer struct {
		StatusCd string `json:"status_cd"`
		Data     struct {
			Status string `json:"status"`
		} `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&answer)
	fmt.Println(answer.StatusCd, answer.Data.Status)
	// Output:
	// user_action_required
	// 1 saved
}

func get(ctx context.Context, u string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// Any step a provider knows, sent on demand: here a NIC e-invoice login,
// which Token would also send by itself when no token is usable.
func ExampleSession_Exchange() {
	emu, _ := sandbox.New(sandbox.Options{})
	base, stop, _ := emu.Listen("127.0.0.1:0")
	defer stop()
	nicCert, _ := get(context.Background(), base+"/_sandbox/certs/nic.pem")

	s, _ := gstauth.NewSession(core.ProviderNICEInvoice, "27AAACR5055K1Z7",
		core.Config{BaseURL: base, ClientID: sandbox.ClientID, GSTIN: "27AAACR5055K1Z7", Username: sandbox.Username},
		gstauth.Options{Credentials: core.Credentials{ClientSecret: sandbox.ClientSecret, Password: sandbox.Password, PublicKey: nicCert}})
	fmt.Println(core.Steps(s.Provider()))
	err := s.Exchange(context.Background(), core.StepAuth, nil)
	p, _ := s.Plan()
	fmt.Println(err, p.Action, p.State)

	err = s.Exchange(context.Background(), core.StepAuth, &core.Credentials{Password: "wrong"})
	var e *gstcrypto.Error
	errors.As(err, &e)
	fmt.Println(e.Code, e.ProviderCode)
	// Output:
	// [auth force_refresh]
	// <nil> use fresh
	// user_action_required 1019
}

// The OAuth authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636):
// send the user to the URL, then hand the redirect back.
func ExampleSession_CompleteAuthorization() {
	var challenge string
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if r.PostForm.Get("code") != "code-1" || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"user-token","refresh_token":"rt-1","token_type":"Bearer","expires_in":3600}`)
	}))
	defer idp.Close()

	s, _ := gstauth.NewSession(core.ProviderOAuthAuthorizationCode, "user@example.com", core.Config{
		AuthURL: idp.URL + "/authorize", TokenURL: idp.URL + "/token", ClientID: "native-app",
		RedirectURI: "http://127.0.0.1:53682/callback", Scope: "gst:read", ClientAuth: core.ClientAuthNone,
	}, gstauth.Options{})
	ctx := context.Background()
	authURL, err := s.AuthorizationURL(ctx)
	if err != nil {
		panic(err)
	}
	u, _ := url.Parse(authURL)
	var names []string
	for k := range u.Query() {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Println(u.Path, names)

	// The user consents; the browser comes back to the redirect URI.
	challenge = u.Query().Get("code_challenge")
	redirect := "http://127.0.0.1:53682/callback?code=code-1&state=" + url.QueryEscape(u.Query().Get("state"))
	if err := s.CompleteAuthorization(ctx, redirect); err != nil {
		panic(err)
	}
	fmt.Println(s.Token(ctx))

	// A forged redirect (another state) is refused before anything is sent.
	s.AuthorizationURL(ctx)
	fmt.Println(gstcrypto.CodeOf(s.CompleteAuthorization(ctx, "http://127.0.0.1:53682/callback?code=x&state=forged")))
	// Output:
	// /authorize [client_id code_challenge code_challenge_method redirect_uri response_type scope state]
	// user-token <nil>
	// invalid_input
}

// Storing a session so that a restart costs no new login (for GSTN, no
// new OTP): OnChange seals it after every change; Open restores it.
// Credentials are not in the sealed session: they come with the Options.
func ExampleOpen() {
	idp := tokenEndpoint()
	defer idp.Close()
	// The key comes from a secret store; the sealed session goes to a
	// database row, keyed by account.
	key := core.SealKey{ID: "2026-01", Key: bytes.Repeat([]byte{0x42}, 32)}
	var stored string
	opts := gstauth.Options{
		Credentials: core.Credentials{ClientSecret: "my-secret"},
		OnChange: func(s *gstauth.Session) {
			if blob, err := s.Seal(key); err == nil {
				stored = blob
			}
		},
	}
	s, _ := gstauth.NewSession(core.ProviderOAuthClientCredentials, "my-client",
		core.Config{TokenURL: idp.URL + "/token", ClientID: "my-client"}, opts)
	s.Token(context.Background())

	// After a restart:
	h, _ := core.ReadSealedHeader(stored)
	fmt.Println(h.KeyID, h.Provider, h.Account)
	restored, err := gstauth.Open(stored, []core.SealKey{key}, core.ProviderOAuthClientCredentials, "my-client", opts)
	if err != nil {
		panic(err)
	}
	fmt.Println(restored.Token(context.Background()))
	// Output:
	// 2026-01 oauth_client_credentials my-client
	// token-1 <nil>
}
