// Package strictjson decodes JSON objects that two parsers cannot read
// differently: UTF-8 only, no duplicate member name at any depth (RFC 7515
// §5.2 step 4 asks this of JWS headers; gstauth asks it of every object it
// authenticates or trusts), nesting at most MaxDepth levels, nothing after
// the object. Numbers are json.Number, so no digit is lost.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of an object.
const MaxDepth = 64

// The failures, each with a message fit for a person (no value is echoed).
var (
	ErrNotUTF8   = errors.New("JSON text is not UTF-8")
	ErrSyntax    = errors.New("not valid JSON without duplicate names")
	ErrNotObject = errors.New("not a JSON object")
	ErrTrailing  = errors.New("data after the JSON object")
)

var errShape = errors.New("duplicate name or nesting too deep")

// DecodeObject decodes b, which must hold exactly one JSON object.
func DecodeObject(b []byte) (map[string]any, error) {
	if !utf8.Valid(b) {
		return nil, ErrNotUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, ErrSyntax
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, ErrNotObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ErrTrailing
	}
	return obj, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= MaxDepth {
		return nil, errShape
	}
	switch delim {
	case '{':
		obj := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := kt.(string)
			if _, dup := obj[key]; dup {
				return nil, errShape
			}
			if obj[key], err = decodeValue(dec, depth+1); err != nil {
				return nil, err
			}
		}
		_, err = dec.Token()
		return obj, err
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err = dec.Token()
		return arr, err
	}
	return nil, errShape
}

// Member is one member of an object, its value as raw JSON.
type Member struct {
	Key   string
	Value json.RawMessage
}

// SplitObject returns the members of the one JSON object in b, in order,
// without decoding their values; a duplicate name is ErrSyntax. Join puts
// them back.
func SplitObject(b []byte) ([]Member, error) {
	if !utf8.Valid(b) {
		return nil, ErrNotUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, ErrNotObject
	}
	var members []Member
	seen := map[string]bool{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, ErrSyntax
		}
		key, _ := kt.(string)
		if seen[key] {
			return nil, ErrSyntax
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, ErrSyntax
		}
		members = append(members, Member{Key: key, Value: v})
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, ErrSyntax
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ErrTrailing
	}
	return members, nil
}

// Join writes members as one compact JSON object, names without HTML
// escaping, values as they are.
func Join(members []Member) []byte {
	n := 2
	for _, m := range members {
		n += len(m.Key) + len(m.Value) + 4
	}
	var buf bytes.Buffer
	buf.Grow(n)
	buf.WriteByte('{')
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i, m := range members {
		if i > 0 {
			buf.WriteByte(',')
		}
		enc.Encode(m.Key)
		buf.Truncate(buf.Len() - 1) // the encoder's newline
		buf.WriteByte(':')
		buf.Write(m.Value)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}
