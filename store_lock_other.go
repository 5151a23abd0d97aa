//go:build !unix && !windows

package gstauth

import (
	"context"

	"github.com/gstauth/gstauth/gstcrypto"
)

// lockFile: this platform has no file locks (WASI, Plan 9); the file store
// cannot run here.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	return nil, &gstcrypto.Error{Code: gstcrypto.CodeUnsupported, Message: "the file store needs file locks, which this platform lacks"}
}
