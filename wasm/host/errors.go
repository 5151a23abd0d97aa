package host

import "github.com/gstauth/gstauth/core"

func unknownOp(op string) error {
	return &core.Error{Code: core.CodeUnsupported, Message: "unknown op " + op}
}
