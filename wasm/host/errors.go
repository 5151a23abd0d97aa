package host

import (
	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

func unknownOp(op string) error {
	return &core.Error{Code: gstcrypto.CodeUnsupported, Message: "unknown op " + op}
}
