package core

import "strings"

// HTTPRequest is a request the host must send with its own HTTP client.
// Body is the exact text to send (JSON or form-encoded).
type HTTPRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// HTTPResponse is what the host received, handed back to a parser. Header
// names are matched case-insensitively.
type HTTPResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body"`
}

// Header returns the value of a header, matching its name
// case-insensitively.
func (r *HTTPResponse) Header(name string) string {
	if v, ok := r.Headers[name]; ok {
		return v
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
