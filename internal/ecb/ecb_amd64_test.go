//go:build amd64 && !purego

package ecb

import (
	mrand "math/rand/v2"
	"testing"
)

// TestAESNILoopsAlone runs the lengths again with the VAES loops off, as
// on an amd64 without VAES.
func TestAESNILoopsAlone(t *testing.T) {
	if !hasVAES {
		t.Skip("no VAES here: the other tests already ran the AES-NI loops alone")
	}
	hasVAES = false
	defer func() { hasVAES = true }()
	r := mrand.New(mrand.NewPCG(3, 4))
	key := randomBytes(r, KeySize)
	for n := 0; n <= 67; n++ {
		checkBothWays(t, key, randomBytes(r, n*BlockSize))
	}
}
