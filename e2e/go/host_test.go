package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gstauth/gstauth/core"
)

// The host side of the sans-I/O core: send what BuildRequest built, exactly
// as built, and hand back what came in, with the instants around it.

// httpClient never follows redirects: a redirect is an answer the test reads.
var httpClient = &http.Client{
	Timeout:       15 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// maxResponseBody bounds what the host reads from a server.
const maxResponseBody = 1 << 20

// nowMs is the host clock in Unix milliseconds.
func nowMs() int64 { return time.Now().UnixMilli() }

// exchange is one request and its response as the host saw them.
type exchange struct {
	Response     *core.HTTPResponse
	SentAtMs     int64
	ReceivedAtMs int64
}

// send performs a request built by the core.
func send(t *testing.T, req *core.HTTPRequest) exchange {
	t.Helper()
	hr, err := http.NewRequest(req.Method, req.URL, strings.NewReader(req.Body))
	if err != nil {
		t.Fatalf("the core built a request net/http cannot send: %v", err)
	}
	for k, v := range req.Headers {
		hr.Header.Set(k, v)
	}
	sent := nowMs()
	resp, err := httpClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		t.Fatalf("reading the response of %s: %v", req.URL, err)
	}
	return exchange{Response: toCoreResponse(resp, body), SentAtMs: sent, ReceivedAtMs: nowMs()}
}

// toCoreResponse flattens a response for the core: repeated header fields
// are joined with ", " (RFC 9110 §5.3).
func toCoreResponse(resp *http.Response, body []byte) *core.HTTPResponse {
	h := make(map[string]string, len(resp.Header))
	for k, vs := range resp.Header {
		h[k] = strings.Join(vs, ", ")
	}
	return &core.HTTPResponse{Status: resp.StatusCode, Headers: h, Body: string(body)}
}

// buildAndSend builds the request of step (empty: the planner's) at the host
// clock, sends it and hands the response to the core. It returns the
// request, the exchange and ParseResponse's error.
func buildAndSend(t *testing.T, s *core.Session, c *core.Credentials, step core.Step) (*core.HTTPRequest, exchange, error) {
	t.Helper()
	req, err := core.BuildRequest(s, c, core.RequestOptions{NowMs: nowMs(), Step: step})
	if err != nil {
		t.Fatalf("BuildRequest(step %q): %v", step, err)
	}
	ex := send(t, req)
	return req, ex, core.ParseResponse(s, ex.Response, ex.SentAtMs, ex.ReceivedAtMs)
}

// planAt plans the session, failing the test on error.
func planAt(t *testing.T, s *core.Session, at int64) core.Plan {
	t.Helper()
	p, err := core.PlanSession(s, at)
	if err != nil {
		t.Fatalf("PlanSession: %v", err)
	}
	return p
}

// sleepUntil waits until the host clock reaches atMs.
func sleepUntil(atMs int64) {
	if d := atMs - nowMs(); d > 0 {
		time.Sleep(time.Duration(d) * time.Millisecond)
	}
}
