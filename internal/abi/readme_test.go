package abi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEListsEveryOp fails when an op is added without its row in the
// README's op table.
func TestREADMEListsEveryOp(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, name := range Names() {
		if !strings.Contains(readme, "| `"+name+"`") && !strings.Contains(readme, ", `"+name+"` |") {
			t.Errorf("README.md's op table has no row for %s", name)
		}
	}
}
