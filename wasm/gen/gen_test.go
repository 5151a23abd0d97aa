package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestExportsAreCurrent fails when wasm/exports_gen.go does not match the ops
// table: run `go generate ./wasm/...`.
func TestExportsAreCurrent(t *testing.T) {
	want, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "exports_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("wasm/exports_gen.go is stale: run `go generate ./wasm/...`")
	}
}
