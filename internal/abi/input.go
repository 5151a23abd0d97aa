package abi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
	strictb64 "github.com/gstauth/gstauth/internal/b64"
)

// Input is the decoded JSON object of an op. Its getters check the type of
// each field and return CodeInvalidInput errors that name the field; after the
// handler returns, any field it never read is reported as unknown.
type Input struct {
	fields map[string]json.RawMessage
	used   map[string]bool
}

// ParseInput decodes a JSON object. Empty input is the empty object.
func ParseInput(b []byte) (*Input, error) {
	in := &Input{fields: map[string]json.RawMessage{}, used: map[string]bool{}}
	if len(bytes.TrimSpace(b)) == 0 {
		return in, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&in.fields); err != nil {
		return nil, invalid("input is not a JSON object: %s", jsonErr(err))
	}
	if dec.More() {
		return nil, invalid("input has data after the JSON object")
	}
	if in.fields == nil { // the input was null
		return nil, invalid("input is not a JSON object: null")
	}
	return in, nil
}

// NewInput wraps already-decoded fields.
func NewInput(fields map[string]json.RawMessage) *Input {
	return &Input{fields: fields, used: map[string]bool{}}
}

func (in *Input) checkUnused() error {
	var unknown []string
	for k := range in.fields {
		if !in.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return invalid("unknown field %q", unknown[0])
}

// Has reports whether field is present and not null.
func (in *Input) Has(field string) bool {
	in.used[field] = true
	raw, ok := in.fields[field]
	return ok && !isNull(raw)
}

// Raw returns the field's raw JSON, or nil when absent or null.
func (in *Input) Raw(field string) json.RawMessage {
	in.used[field] = true
	raw, ok := in.fields[field]
	if !ok || isNull(raw) {
		return nil
	}
	return raw
}

// String returns a required string field.
func (in *Input) String(field string) (string, error) {
	s, ok, err := in.OptString(field)
	if err == nil && !ok {
		err = missing(field)
	}
	return s, err
}

// OptString returns an optional string field; ok is false when it is absent
// or null.
func (in *Input) OptString(field string) (s string, ok bool, err error) {
	raw := in.Raw(field)
	if raw == nil {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, wrongType(field, "a string", raw)
	}
	return s, true, nil
}

// Bytes returns a required field holding standard base64 with padding,
// decoded. limit bounds the decoded size and is checked before decoding.
func (in *Input) Bytes(field string, limit int) ([]byte, error) {
	b, ok, err := in.OptBytes(field, limit)
	if err == nil && !ok {
		err = missing(field)
	}
	return b, err
}

// OptBytes is Bytes for an optional field.
func (in *Input) OptBytes(field string, limit int) (b []byte, ok bool, err error) {
	s, ok, err := in.OptString(field)
	if err != nil || !ok {
		return nil, ok, err
	}
	b, err = DecodeBase64(field, s, limit)
	return b, err == nil, err
}

// DecodeBase64 decodes standard base64 with padding, checking the decoded
// size against limit before allocating.
func DecodeBase64(field, s string, limit int) ([]byte, error) {
	b, err := strictb64.DecodeString(s, limit)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, strictb64.ErrTooLarge):
		return nil, &gstcrypto.Error{Code: gstcrypto.CodeTooLarge, Message: fmt.Sprintf("field %q is larger than the limit of %d bytes", field, limit)}
	case errors.Is(err, strictb64.ErrLineBreak):
		return nil, invalid("field %q is not standard base64 with padding (it has a line break)", field)
	}
	return nil, invalid("field %q is not standard base64 with padding", field)
}

// Int64 returns a required integer field (a JSON number with no fraction).
func (in *Input) Int64(field string) (int64, error) {
	n, ok, err := in.OptInt64(field)
	if err == nil && !ok {
		err = missing(field)
	}
	return n, err
}

// OptInt64 is Int64 for an optional field.
func (in *Input) OptInt64(field string) (n int64, ok bool, err error) {
	raw := in.Raw(field)
	if raw == nil {
		return 0, false, nil
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, false, wrongType(field, "an integer", raw)
	}
	return n, true, nil
}

// OptBool returns an optional boolean field.
func (in *Input) OptBool(field string) (v bool, ok bool, err error) {
	raw := in.Raw(field)
	if raw == nil {
		return false, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, false, wrongType(field, "a boolean", raw)
	}
	return v, true, nil
}

// StringList returns a required array-of-strings field with at most max
// elements.
func (in *Input) StringList(field string, max int) ([]string, error) {
	raw := in.Raw(field)
	if raw == nil {
		return nil, missing(field)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, wrongType(field, "an array of strings", raw)
	}
	if len(list) > max {
		return nil, &core.Error{Code: gstcrypto.CodeTooLarge,
			Message: fmt.Sprintf("field %q has %d elements; the limit is %d", field, len(list), max)}
	}
	out := make([]string, len(list))
	for i, r := range list {
		if err := json.Unmarshal(r, &out[i]); err != nil || isNull(r) {
			return nil, invalid("field %q element %d is not a string", field, i)
		}
	}
	return out, nil
}

// Decode unmarshals a required field into v (a struct, map or slice),
// rejecting fields v does not have.
func (in *Input) Decode(field string, v any) error {
	raw := in.Raw(field)
	if raw == nil {
		return missing(field)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("field %q: %s", field, jsonErr(err))
	}
	return nil
}

// OptDecode is Decode for an optional field: when it is absent, v is left
// as it is.
func (in *Input) OptDecode(field string, v any) error {
	if !in.Has(field) {
		return nil
	}
	return in.Decode(field, v)
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func invalid(format string, args ...any) error {
	return &core.Error{Code: gstcrypto.CodeInvalidInput, Message: fmt.Sprintf(format, args...)}
}

func missing(field string) error { return invalid("missing field %q", field) }

func wrongType(field, want string, raw json.RawMessage) error {
	return invalid("field %q must be %s, not %s", field, want, jsonKind(raw))
}

func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// jsonErr describes a JSON decoding error without echoing input values, which
// may be secrets.
func jsonErr(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("syntax error at byte %d", e.Offset)
	case *json.UnmarshalTypeError:
		if e.Field != "" {
			return fmt.Sprintf("field %q must be %s, not %s", e.Field, e.Type, e.Value)
		}
		return fmt.Sprintf("expected %s, not %s", e.Type, e.Value)
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}
