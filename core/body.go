package core

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gstauth/gstauth/gstcrypto"
)

// Reading providers' bodies tolerantly: they disagree about types.

// decodeBody decodes a JSON object response body into v.
func decodeBody(r *HTTPResponse, v any) error {
	dec := json.NewDecoder(strings.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return newError(gstcrypto.CodeProviderError, "the provider's response (HTTP %d) is not the JSON expected", r.Status)
	}
	return nil
}

// flexString reads a JSON string or number as text ("1" and 1 alike);
// providers are inconsistent about which they send.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(strings.TrimSpace(s))
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// int64Of reads a flexString as an integer.
func (f flexString) int64Of() (int64, bool) {
	if f == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(string(f), 10, 64)
	if err != nil {
		if x, err := strconv.ParseFloat(string(f), 64); err == nil && x == float64(int64(x)) {
			return int64(x), true
		}
		return 0, false
	}
	return n, true
}
