package abi

import (
	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

func init() {
	register(
		Op{Name: "ops", Doc: "List every op with a one-line description.", JSON: opsList},
		Op{Name: "error_codes", Doc: "List every error code in publication order.", JSON: func(*Input) (any, error) {
			return map[string][]core.Code{"codes": gstcrypto.Codes}, nil
		}},
	)
}

type opInfo struct {
	Name string `json:"name"`
	Doc  string `json:"doc"`
	Raw  bool   `json:"raw,omitempty"`
}

func opsList(*Input) (any, error) {
	list := make([]opInfo, 0, len(names))
	for _, n := range names {
		op := table[n]
		list = append(list, opInfo{Name: n, Doc: op.Doc, Raw: op.Raw != nil})
	}
	return map[string][]opInfo{"ops": list}, nil
}
