// Command gen writes what is generated from the ops table's schema:
// testdata/schema.json and the typed surface of each binding. Run it from
// the repository root after changing an op, a type or a doc:
//
//	go run ./internal/gen
//
// TestGeneratedFilesAreCurrent fails when any of them is stale.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	files, err := Render()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for rel, content := range files {
		path := filepath.Join(repoRoot(), rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", rel)
	}
}
