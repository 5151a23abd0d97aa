// Package gohost runs the Go host (package gstauth: Session, Transport)
// against oidc-provider (e2e/oauth-server) over loopback: single-flight
// refreshes counted at the client, and one renewal and one replay after a
// resource server's 401, checked by the server's introspection.
//
// `make test-e2e-oauth` starts the server and passes its URL in
// GSTAUTH_E2E_OAUTH_URL; without that variable TestMain starts its own
// instance with e2e/scripts/start-oauth-server.sh (Node.js and npm needed)
// and stops it afterwards, as e2e/go does. `go test -short` skips the
// package.
package gohost

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gstauth/gstauth/e2e/internal/oauthserver"
)

const (
	envOAuthURL = "GSTAUTH_E2E_OAUTH_URL"
	// ownInstance is the name of the server instance TestMain starts.
	ownInstance = "oauth-server-gohost"
)

// What the tests know of e2e/oauth-server (its README lists the clients;
// every secret is a published test value). The opaque client's tokens
// are introspectable and revocable.
const (
	opaqueClient       = "gstauth-e2e-cc-opaque"
	opaqueSecret       = "test-only-cc-opaque-secret"
	introspectorID     = "gstauth-e2e-introspector"
	introspectorSecret = "test-only-introspector-secret"
	scope              = "api:read"
)

// server is the running oidc-provider, as its discovery document (RFC
// 8414) describes it.
type server struct {
	TokenEndpoint         string `json:"token_endpoint"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
}

var oauth server

// plain is the tests' own client, for what the host does not send.
var plain = &http.Client{Timeout: 15 * time.Second}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if testing.Short() {
		fmt.Println("gohost: skipped in -short mode (the tests need the OAuth server)")
		return 0
	}
	url := os.Getenv(envOAuthURL)
	if url == "" {
		root, err := filepath.Abs(filepath.Join("..", "..", ".."))
		if err != nil {
			fmt.Fprintln(os.Stderr, "gohost:", err)
			return 1
		}
		started, stop, err := oauthserver.Start(root, ownInstance, 10)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gohost: could not start the OAuth server (%v); run `make test-e2e-oauth` or set %s\n", err, envOAuthURL)
			return 1
		}
		defer stop()
		url = started
	}
	resp, err := plain.Get(strings.TrimRight(url, "/") + "/.well-known/openid-configuration")
	if err == nil {
		defer resp.Body.Close()
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&oauth)
	}
	if err != nil || oauth.TokenEndpoint == "" || oauth.IntrospectionEndpoint == "" || oauth.RevocationEndpoint == "" {
		fmt.Fprintf(os.Stderr, "gohost: discovery at %s: %v %+v\n", url, err, oauth)
		return 1
	}
	return m.Run()
}
