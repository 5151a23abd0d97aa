package abi

import (
	"encoding/json"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/version"
)

// The table describing itself.
func init() {
	register(
		jsonOp("ops", "List every op with a one-line description.", opsList),
		jsonOp("error_codes", "List every error code in publication order.", func(*none) (*errorCodesOut, error) {
			return &errorCodesOut{Codes: gstcrypto.Codes}, nil
		}),
		jsonOp("schema", "The JSON Schema (2020-12) of the whole table: every op's input and output, the error object and codes, the version.", func(*none) (*schemaOut, error) {
			return &schemaOut{schemaDocument()}, nil
		}),
		jsonOp("version", "The library version.", func(*none) (*versionOut, error) {
			return &versionOut{Version: version.Version}, nil
		}),
		jsonOp("error_catalogue", "The error catalogue: what each known error of the GST services means for the host.", func(*none) (*catalogueOut, error) {
			return &catalogueOut{Catalogue: core.CatalogueJSON()}, nil
		}),
	)
}

type opInfo struct {
	Name string `json:"name"`
	Doc  string `json:"doc"`
	Raw  bool   `json:"raw,omitempty"`
}

type opsOut struct {
	Ops []opInfo `json:"ops"`
}

func opsList(*none) (*opsOut, error) {
	list := make([]opInfo, 0, len(names))
	for _, n := range names {
		op := table[n]
		list = append(list, opInfo{Name: n, Doc: op.Doc, Raw: op.Raw})
	}
	return &opsOut{Ops: list}, nil
}

type errorCodesOut struct {
	Codes []gstcrypto.Code `json:"codes"`
}

type versionOut struct {
	Version string `json:"version" doc:"MAJOR.MINOR.PATCH, from the repository's VERSION file"`
}

type catalogueOut struct {
	Catalogue json.RawMessage `json:"catalogue" doc:"core/catalogue.json as it is"`
}

// schemaOut is the schema document itself, not wrapped: the output of
// "schema" is the JSON Schema.
type schemaOut struct{ doc json.RawMessage }

func (s *schemaOut) MarshalJSON() ([]byte, error) { return s.doc, nil }
