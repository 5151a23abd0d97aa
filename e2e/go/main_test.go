// Package e2e runs gstauth's core against real servers on loopback, with
// net/http as the host: the core builds every request and reads every
// response; these tests only carry bytes and keep the clock.
//
// The OAuth tests talk to oidc-provider (e2e/oauth-server). `make
// test-e2e-oauth` starts it and passes its URL in GSTAUTH_E2E_OAUTH_URL;
// without that variable TestMain starts its own instance with
// e2e/scripts/start-oauth-server.sh (Node.js and npm needed) and stops it
// afterwards. `go test -short` skips the package instead.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gstauth/gstauth/e2e/internal/oauthserver"
)

const (
	envOAuthURL = "GSTAUTH_E2E_OAUTH_URL"
	envOAuthTTL = "GSTAUTH_E2E_OAUTH_ACCESS_TOKEN_TTL"
	// ownInstance is the name of the server instance TestMain starts.
	ownInstance = "oauth-server-gotest"
	// ownTTLSeconds is the access token lifetime of that instance: short,
	// so that the tests watch a refresh happen.
	ownTTLSeconds = 10
)

// oauth is the server under test, discovered in TestMain.
var oauth *oauthServer

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode (the tests need the loopback servers)")
		return 0
	}
	url := os.Getenv(envOAuthURL)
	ttl := int64(ownTTLSeconds)
	if url == "" {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		started, stop, err := oauthserver.Start(root, ownInstance, ownTTLSeconds)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: could not start the OAuth server (%v); run `make test-e2e-oauth` or set %s\n", err, envOAuthURL)
			return 1
		}
		defer stop()
		url = started
	} else if v := os.Getenv(envOAuthTTL); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "e2e: %s=%q is not a number of seconds\n", envOAuthTTL, v)
			return 1
		}
		ttl = n
	} else {
		ttl = 60 // the server's default
	}
	srv, err := discoverOAuthServer(url, ttl)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	oauth = srv
	return m.Run()
}
