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
