package abi

import (
	"encoding/json"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// field says how a JSON op carries the bytes its raw twin moves: as text
// (JSON text, or base64 text kept as it is) or as standard base64 of binary.
type field struct {
	name   string
	binary bool
	limit  int
}

func textField(name string) field { return field{name: name, limit: gstcrypto.MaxPayloadSize*4/3 + 64} }

func binaryField(name string, limit int) field { return field{name: name, binary: true, limit: limit} }

// twin derives a JSON op from a raw op, so the logic of a payload op exists
// once: the JSON field in becomes the raw data, the other fields are the
// params, and the raw output goes into the field out beside the meta's
// fields.
func twin(raw func(*Input, []byte) (any, []byte, error), in, out field) func(*Input) (any, error) {
	return func(input *Input) (any, error) {
		var data []byte
		if in.binary {
			b, err := input.Bytes(in.name, in.limit)
			if err != nil {
				return nil, err
			}
			data = b
		} else {
			s, err := input.String(in.name)
			if err != nil {
				return nil, err
			}
			if len(s) > in.limit {
				return nil, &core.Error{Code: gstcrypto.CodeTooLarge, Message: "field \"" + in.name + "\" is over its size limit"}
			}
			data = []byte(s)
		}
		meta, result, err := raw(input, data)
		if err != nil {
			return nil, err
		}
		m := map[string]any{}
		if b, err := json.Marshal(meta); err == nil {
			json.Unmarshal(b, &m)
		}
		if out.binary {
			m[out.name] = b64(result)
		} else {
			m[out.name] = string(result)
		}
		return m, nil
	}
}
