package gstauth

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// Transport is an http.RoundTripper that makes the provider's API calls
// with a session (docs/hosts.md, "The call"). For each request it
//
//   - gets a token ([Session.Token]: refreshed or renewed as needed),
//   - adds the provider's headers (core.APIHeaders: auth-token and the GSTN
//     headers, NIC's AuthToken and client headers, Authorization: Bearer),
//     with the options of [WithAPIOptions] in the request's context,
//   - encrypts the body's payload (core.EncryptRequestBody: a GSTN, NIC
//     e-invoice or e-way bill body whose payload member holds plain JSON;
//     any other body is sent unchanged),
//   - sends it with Base, and hands the answer to the core
//     (core.ObserveAPIResponse), which measures the clock skew and
//     classifies it,
//   - decrypts a successful answer's payload (core.DecryptResponseBody).
//
// When the provider says the token is no longer valid, the session renews
// it and the request is sent once more with the new token (its payload
// encrypted again under the new session key); when only a person can
// renew it (GSTN) the error is user_action_required. A second rejection
// returns the answer as it came, never a loop. A stale certificate (GSTN
// TEC4002) is replaced through Options.Certificate and the request sent
// once more. Every other answer is returned as it came; [ResultOf] says
// what the core read in it (retry_later with RetryAfterMs, ...).
//
// The request is not modified: each send is a clone. Its body is read
// whole (up to 64 MiB) and closed, so that it can be encrypted and sent
// again; so is the answer's. Use a Transport for the provider's API host
// only: every request it sends carries the session's token and client
// secret.
type Transport struct {
	Session *Session
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// apiOptionsKey carries a request's core.APIOptions in its context.
type apiOptionsKey struct{}

// WithAPIOptions returns a context that makes a [Transport] send its
// request with o: the ret_period, rtn_typ and userrole of a GSTN returns
// call, a chosen txn.
func WithAPIOptions(ctx context.Context, o core.APIOptions) context.Context {
	return context.WithValue(ctx, apiOptionsKey{}, o)
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if s := exchangeOf(req.Context()); s != nil && s == t.Session {
		return base.RoundTrip(req) // the session's own exchange: already complete
	}
	plain, err := requestBody(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	opts, _ := ctx.Value(apiOptionsKey{}).(core.APIOptions)
	replayed, reloaded := false, false
	for {
		if _, err := t.Session.Token(ctx); err != nil {
			return nil, err
		}
		call, err := t.Session.prepareCall(req, plain, opts)
		if err != nil {
			return nil, err
		}
		sent := t.Session.nowMs()
		resp, err := base.RoundTrip(call.req)
		if err != nil {
			return nil, err
		}
		body, err := readBody(resp.Body)
		received := max(t.Session.nowMs(), sent)
		if err != nil {
			return nil, err
		}
		result, err := t.Session.observe(resp, body, core.APICall{SentAtMs: sent, ReceivedAtMs: received, AccessToken: call.token})
		if err != nil {
			return nil, err
		}
		switch result.Outcome {
		case core.OutcomeOK, core.OutcomeNoData:
			if body, err = core.DecryptResponseBody(call.keys, body); err != nil {
				return nil, err
			}
		case core.OutcomeReauthenticate:
			if !replayed {
				replayed = true
				continue // Token renews the rejected token, or says a person must act
			}
		case core.OutcomeStaleCertificate:
			if !reloaded && t.Session.certificate != nil {
				if err := t.Session.reloadCertificate(ctx); err != nil {
					return nil, err
				}
				reloaded = true
				continue
			}
		}
		setBody(resp, body, result)
		return resp, nil
	}
}

// call is one send of a request.
type call struct {
	req *http.Request
	// token is the token the call carries.
	token string
	// keys is the session as it was when the call was made: its answer
	// is encrypted under that session key, even if a refresh has replaced
	// it by the time the answer arrives.
	keys *core.Session
}

// prepareCall makes the clone of req to send: the session's headers and
// the payload encrypted, all from one state of the session.
func (s *Session) prepareCall(req *http.Request, plain []byte, o core.APIOptions) (call, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.Random == nil {
		o.Random = s.random
	}
	headers, err := core.APIHeaders(s.state, &s.creds, o)
	if err != nil {
		return call{}, err
	}
	body, err := core.EncryptRequestBody(s.state, plain)
	if err != nil {
		return call{}, err
	}
	keys := *s.state
	keys.SEK = bytes.Clone(s.state.SEK)

	out := req.Clone(req.Context())
	callerType := out.Header.Get("Content-Type") != ""
	for k, v := range headers {
		if callerType && strings.EqualFold(k, "Content-Type") {
			continue
		}
		for have := range out.Header {
			if strings.EqualFold(have, k) {
				delete(out.Header, have)
			}
		}
		out.Header[k] = []string{v} // the core's case: GSTN's header names are lower-case
	}
	switch {
	case plain == nil:
		out.Body, out.GetBody, out.ContentLength = nil, nil, 0
	case len(body) == 0:
		out.Body, out.ContentLength = http.NoBody, 0
		out.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
	default:
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.ContentLength = int64(len(body))
	}
	return call{req: out, token: s.state.AccessToken, keys: &keys}, nil
}

// observe hands an API answer to the core; OnChange runs when the answer
// changed more than the clock measurement (a rejected token).
func (s *Session) observe(resp *http.Response, body []byte, c core.APICall) (core.APIResult, error) {
	s.mu.Lock()
	rejected, lastError := s.state.Rejected, s.state.LastError
	r, err := core.ObserveAPIResponse(s.state, coreResponse(resp, body), c)
	changed := s.state.Rejected != rejected || s.state.LastError != lastError
	if changed {
		s.markChangedLocked()
	}
	s.mu.Unlock()
	if changed {
		s.changed()
	}
	return r, err
}

// requestBody reads and closes a request's body (nil when it has none).
func requestBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	b, err := readBody(req.Body)
	if err != nil {
		return nil, err
	}
	if len(b) > gstcrypto.MaxPayloadSize {
		return nil, &gstcrypto.Error{Code: gstcrypto.CodeTooLarge, Message: "the request body is over the payload limit (64 MiB)"}
	}
	return b, nil
}

// observedBody is an answer's body as the Transport returns it, with what
// the core read in the answer.
type observedBody struct {
	*bytes.Reader
	result core.APIResult
}

func (observedBody) Close() error { return nil }

func setBody(resp *http.Response, body []byte, r core.APIResult) {
	resp.Body = observedBody{Reader: bytes.NewReader(body), result: r}
	resp.ContentLength = int64(len(body))
	if resp.Header.Get("Content-Length") != "" {
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
}

// ResultOf returns what the core read in an answer a [Transport] returned:
// ok, no_data, or a failure with its error (retry_later with RetryAfterMs,
// reauthenticate after the one replay, provider_error with the provider's
// code, ...). ok is false for a response that did not come from a
// Transport, or whose body was replaced since.
func ResultOf(resp *http.Response) (r core.APIResult, ok bool) {
	if resp == nil {
		return core.APIResult{}, false
	}
	b, ok := resp.Body.(observedBody)
	return b.result, ok
}
