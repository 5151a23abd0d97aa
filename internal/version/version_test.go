package version

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestVersionMatchesTheFile fails when version_gen.go is stale: run
// `go generate ./internal/version`.
func TestVersionMatchesTheFile(t *testing.T) {
	b, err := os.ReadFile("../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(b))
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(v) {
		t.Fatalf("VERSION holds %q, not MAJOR.MINOR.PATCH", v)
	}
	if Version != v {
		t.Fatalf("version_gen.go says %q, VERSION says %q: run go generate ./internal/version", Version, v)
	}
}
