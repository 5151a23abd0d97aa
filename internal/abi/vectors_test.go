package abi_test

import (
	"testing"

	"github.com/gstauth/gstauth/internal/abi"
	"github.com/gstauth/gstauth/internal/vectors"
)

// TestVectors replays every file of testdata/vectors through the native ops
// table and checks each file's declared case count.
func TestVectors(t *testing.T) {
	n := vectors.Replay(t, abi.Native{})
	t.Logf("replayed %d vector cases", n)
}
