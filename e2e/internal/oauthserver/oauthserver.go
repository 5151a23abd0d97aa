// Package oauthserver starts and stops an instance of the end-to-end OAuth
// server (oidc-provider on loopback, e2e/scripts/start-oauth-server.sh) for
// the Go test binaries that need one of their own.
package oauthserver

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Start starts the instance named instance, whose access tokens live
// ttlSeconds, with the scripts of the repository at root. It returns the
// server's URL and the function that stops it.
func Start(root, instance string, ttlSeconds int) (url string, stop func(), err error) {
	start := exec.Command(filepath.Join(root, "e2e", "scripts", "start-oauth-server.sh"), instance)
	start.Env = append(os.Environ(), "OAUTH_ACCESS_TOKEN_TTL="+strconv.Itoa(ttlSeconds))
	start.Stderr = os.Stderr
	out, err := start.Output()
	if err != nil {
		return "", nil, err
	}
	stop = func() {
		s := exec.Command(filepath.Join(root, "e2e", "scripts", "stop-oauth-server.sh"), instance)
		s.Stdout, s.Stderr = os.Stderr, os.Stderr
		_ = s.Run()
	}
	return strings.TrimSpace(string(out)), stop, nil
}
