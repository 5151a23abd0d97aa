package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestOAuthServerCounts: oidc-provider's counts that the fleet reads
// (e2e/oauth-server/README.md, "Counts"): token requests per client, the
// early ones (a second token in one window), and the resource's calls
// with a good, an unknown and an expired token.
func TestOAuthServerCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts oidc-provider")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("no node to run oidc-provider")
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("fleet-counts-%d", os.Getpid())
	o, err := startOAuthServer(t.Context(), root, name, 2*time.Second, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer o.stop(root, io.Discard)

	token := func() string {
		t.Helper()
		req, _ := http.NewRequest("POST", o.url+"/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
		req.SetBasicAuth(oauthClient, oauthSecret)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken string `json:"access_token"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		return body.AccessToken
	}
	call := func(tok string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", o.url+"/api/resource", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	first := token()
	token() // at once: early, a second token in the first's window
	if s := call(first); s != 200 {
		t.Fatalf("a good token: %d", s)
	}
	if s := call("a.b.c"); s != 401 {
		t.Fatalf("a made-up token: %d", s)
	}
	if s := call(""); s != 401 {
		t.Fatalf("no token: %d", s)
	}
	time.Sleep(2100 * time.Millisecond)
	if s := call(first); s != 401 {
		t.Fatalf("an expired token: %d", s)
	}
	token() // the newest token is past its lifetime: not early
	st, err := o.stats()
	if err != nil {
		t.Fatal(err)
	}
	c := st.Clients[oauthClient]
	if c.TokenRequests != 3 || c.TokensIssued != 3 || c.EarlyTokenRequests != 1 || c.ResourceCalls != 1 {
		t.Fatalf("client counts %+v, want 3 token requests, 3 issued, 1 early, 1 resource call", c)
	}
	if r := st.Resource; r.Calls != 4 || r.OK != 1 || r.ExpiredTokenCalls != 1 || r.UnknownTokenCalls != 2 {
		t.Fatalf("resource counts %+v, want 4 calls: 1 ok, 1 expired, 2 unknown", r)
	}
	req, _ := http.NewRequest("DELETE", o.url+"/_admin/stats", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatal("DELETE /_admin/stats", err)
	}
	if st, _ := o.stats(); len(st.Clients) != 0 || st.Resource.Calls != 0 {
		t.Fatalf("after DELETE: %+v", st)
	}
}
