package gstcrypto

import (
	"encoding/json"
	"strings"
)

// DecodeEWBError decodes the error field of a failed NIC e-way bill
// response, {status:"0", error: base64(json {"errorCodes":"238,..."})},
// into the list of codes ("238" = invalid auth token). Empty items from
// trailing commas and surrounding spaces are dropped.
func DecodeEWBError(field string) ([]string, error) {
	if err := checkSize("error", len(field), MaxSmallField); err != nil {
		return nil, err
	}
	raw, err := decodeB64String("error", strings.TrimSpace(field), MaxSmallField)
	if err != nil {
		return nil, err
	}
	var body struct {
		ErrorCodes *json.RawMessage `json:"errorCodes"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.ErrorCodes == nil {
		return nil, newError(CodeInvalidInput, "the e-way bill error is not JSON with errorCodes")
	}
	var text string
	if err := json.Unmarshal(*body.ErrorCodes, &text); err != nil {
		// Some responses send a number for a single code.
		var n json.Number
		if err := json.Unmarshal(*body.ErrorCodes, &n); err != nil {
			return nil, newError(CodeInvalidInput, "errorCodes is neither a string nor a number")
		}
		text = n.String()
	}
	codes := []string{}
	for _, c := range strings.Split(text, ",") {
		if c = strings.TrimSpace(c); c != "" {
			codes = append(codes, c)
		}
	}
	return codes, nil
}
