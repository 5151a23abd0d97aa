package gohost

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gstauth/gstauth"
	"github.com/gstauth/gstauth/core"
)

// clock is the session's clock: the real time when the test starts, then
// set by the test and frozen, so that a token stays due (or expired) for
// as long as the goroutines take, whatever the machine's speed.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) SetMs(ms int64) { c.mu.Lock(); c.t = time.UnixMilli(ms); c.mu.Unlock() }

// tokenCounter counts the session's requests to the token endpoint and
// can hold them.
type tokenCounter struct {
	n    atomic.Int64
	hold atomic.Pointer[func()]
}

func (c *tokenCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.String() == oauth.TokenEndpoint {
		c.n.Add(1)
		if h := c.hold.Load(); h != nil {
			(*h)()
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

func newSession(t *testing.T, clk *clock, tokens *tokenCounter) *gstauth.Session {
	t.Helper()
	s, err := gstauth.NewSession(core.ProviderOAuthClientCredentials, opaqueClient,
		core.Config{TokenURL: oauth.TokenEndpoint, ClientID: opaqueClient, Scope: scope, JitterSeed: "gohost-" + t.Name()},
		gstauth.Options{Credentials: core.Credentials{ClientSecret: opaqueSecret}, Clock: clk.Now,
			HTTPClient: &http.Client{Transport: tokens, Timeout: 15 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// introspection is the part of an RFC 7662 answer the tests read.
type introspection struct {
	Active   bool   `json:"active"`
	ClientID string `json:"client_id"`
}

// introspect asks the server about a token, as the resource server client.
func introspect(token string) (introspection, error) {
	var in introspection
	req, _ := http.NewRequest("POST", oauth.IntrospectionEndpoint, strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(introspectorID, introspectorSecret)
	resp, err := plain.Do(req)
	if err != nil {
		return in, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return in, fmt.Errorf("introspection answered HTTP %d", resp.StatusCode)
	}
	return in, json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&in)
}

func mustBeActive(t *testing.T, token string) {
	t.Helper()
	in, err := introspect(token)
	if err != nil || !in.Active || in.ClientID != opaqueClient {
		t.Fatalf("the server says the token is %+v (%v), want active for %s", in, err, opaqueClient)
	}
}

// TestOneTokenRequestFor100Goroutines: 100 goroutines find the token due,
// or expired; the session sends one token request. Due: the server's answer
// is held until the 99 others have returned with the old token. Expired:
// all wait for the one renewal and get its token.
func TestOneTokenRequestFor100Goroutines(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   func(core.Plan) int64
	}{
		{name: "due", at: func(p core.Plan) int64 { return p.RefreshAtMs }},
		{name: "expired", at: func(p core.Plan) int64 { return p.ExpiresAtMs }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := &clock{t: time.Now()}
			tokens := &tokenCounter{}
			s := newSession(t, clk, tokens)
			old, err := s.Token(t.Context())
			if err != nil {
				t.Fatalf("the grant: %v", err)
			}
			p, err := s.Plan()
			if err != nil {
				t.Fatal(err)
			}
			clk.SetMs(tc.at(p))

			var returnedOld atomic.Int64
			if tc.name == "due" {
				hold := func() {
					for deadline := time.Now().Add(10 * time.Second); returnedOld.Load() < 99 && time.Now().Before(deadline); {
						time.Sleep(time.Millisecond)
					}
				}
				tokens.hold.Store(&hold)
			}
			results := make([]string, 100)
			var wg sync.WaitGroup
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tok, err := s.Token(t.Context())
					if err != nil {
						t.Errorf("Token: %v", err)
					}
					if tok == old {
						returnedOld.Add(1)
					}
					results[i] = tok
				}()
			}
			wg.Wait()
			if n := tokens.n.Load(); n != 2 {
				t.Fatalf("%d token requests, want the grant and one more", n)
			}
			fresh := s.Snapshot().AccessToken
			want := map[string]int{"due": 99, "expired": 0}[tc.name]
			if fresh == old || int(returnedOld.Load()) != want {
				t.Fatalf("%d goroutines returned the old token, want %d", returnedOld.Load(), want)
			}
			for _, tok := range results {
				if tok != old && tok != fresh {
					t.Fatalf("a goroutine got a token the session does not hold")
				}
			}
			mustBeActive(t, fresh)
		})
	}
}

// TestRenewAndReplayAfterA401: the server revokes the session's token
// (RFC 7009); the resource server, which introspects every token, answers
// 401 invalid_token; the Transport renews once and replays the call once
// with the new token, which the resource server accepts.
func TestRenewAndReplayAfterA401(t *testing.T) {
	t.Parallel()
	type call struct{ token, body string }
	var mu sync.Mutex
	var calls []call
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, call{tok, string(b)})
		mu.Unlock()
		if in, err := introspect(tok); err != nil || !in.Active {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	t.Cleanup(api.Close)

	clk := &clock{t: time.Now()}
	tokens := &tokenCounter{}
	s := newSession(t, clk, tokens)
	client := &http.Client{Transport: &gstauth.Transport{Session: s}, Timeout: 15 * time.Second}
	post := func(body string) (int, string) {
		t.Helper()
		// strings.Reader gives the request a GetBody; the Transport must not
		// need it, so hide it behind a plain io.Reader.
		resp, err := client.Post(api.URL+"/things", "application/json", io.MultiReader(strings.NewReader(body)))
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := post(`{"n":1}`); status != 200 || body != `{"n":1}` {
		t.Fatalf("first call: %d %s", status, body)
	}
	first := s.Snapshot().AccessToken

	form := url.Values{"token": {first}, "token_type_hint": {"access_token"}}
	req, _ := http.NewRequest("POST", oauth.RevocationEndpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(opaqueClient, opaqueSecret)
	if resp, err := plain.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("revocation: %v", err)
	} else {
		resp.Body.Close()
	}
	if in, err := introspect(first); err != nil || in.Active {
		t.Fatalf("the revoked token is still %+v (%v)", in, err)
	}

	if status, body := post(`{"n":2}`); status != 200 || body != `{"n":2}` {
		t.Fatalf("the call after the revocation: %d %s, want 200 after one replay", status, body)
	}
	second := s.Snapshot().AccessToken
	mu.Lock()
	got := append([]call(nil), calls...)
	mu.Unlock()
	want := []call{{first, `{"n":1}`}, {first, `{"n":2}`}, {second, `{"n":2}`}}
	if len(got) != len(want) || second == first {
		t.Fatalf("the resource server saw %d calls (want 3), the renewed token is new: %v", len(got), second != first)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("call %d: token #%d with %s, want token #%d with %s", i, tokenIndex(got[i].token, first, second), got[i].body,
				tokenIndex(want[i].token, first, second), want[i].body)
		}
	}
	if n := tokens.n.Load(); n != 2 {
		t.Fatalf("%d token requests, want the grant and one renewal", n)
	}
	mustBeActive(t, second)
}

func tokenIndex(tok, first, second string) int {
	switch tok {
	case first:
		return 1
	case second:
		return 2
	}
	return 0
}
