package gstauth

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// Carrying the core's requests and answers over net/http, with the
// instants around each exchange.

// ownExchange marks the context of a session's own exchange with the
// session, so that a Transport over the same session in the session's HTTP
// client lets it through untouched.
type ownExchange struct{}

func exchangeOf(ctx context.Context) *Session {
	s, _ := ctx.Value(ownExchange{}).(*Session)
	return s
}

// send performs a request the core built, exactly as built (header names
// keep the core's case: GSTN's are lower-case), and returns the answer with
// the instants just before sending and just after the body was read.
func (s *Session) send(ctx context.Context, r *core.HTTPRequest) (*core.HTTPResponse, int64, int64, error) {
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, ownExchange{}, s), r.Method, r.URL, body)
	if err != nil {
		return nil, 0, 0, err
	}
	for k, v := range r.Headers {
		req.Header[k] = []string{v}
	}
	sent := s.nowMs()
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, 0, err
	}
	b, err := readBody(resp.Body)
	received := max(s.nowMs(), sent)
	if err != nil {
		return nil, 0, 0, err
	}
	return coreResponse(resp, b), sent, received, nil
}

// readBody reads and closes a body, up to one byte more than the core
// accepts (so that the core, not a silent cut, says it is too large).
func readBody(rc io.ReadCloser) ([]byte, error) {
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, gstcrypto.MaxPayloadSize+1))
}

// coreResponse flattens a response for the core: repeated header fields
// are joined with ", " (RFC 9110 §5.3).
func coreResponse(resp *http.Response, body []byte) *core.HTTPResponse {
	h := make(map[string]string, len(resp.Header))
	for k, vs := range resp.Header {
		h[k] = strings.Join(vs, ", ")
	}
	return &core.HTTPResponse{Status: resp.StatusCode, Headers: h, Body: string(body)}
}
