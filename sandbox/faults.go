package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// Fault is one injected misbehaviour, applied to the next Count requests
// whose path starts with PathPrefix (all paths when empty). Kinds:
//
//	"status"         answer Status (e.g. 429, 503) with Retry-After seconds when set
//	"invalid_token"  answer the provider's invalid-token error: GSTN AUTH4033, NIC 1005, e-way bill 238
//	"slow"           wait DelayMs before handling the request normally
//	"stall"          wait DelayMs, then handle the request normally; a client
//	                 that goes away meanwhile gets nothing, and its request is
//	                 never handled (as one lost before it reached the service)
//	"skew"           handle normally with the Date header shifted by SkewMs
type Fault struct {
	Kind       string `json:"kind"`
	PathPrefix string `json:"path_prefix,omitempty"`
	Count      int    `json:"count,omitempty"`
	Status     int    `json:"status,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty"`
	DelayMs    int    `json:"delay_ms,omitempty"`
	SkewMs     int64  `json:"skew_ms,omitempty"`
}

// Inject queues faults.
func (s *Server) Inject(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range f {
		if x.Count <= 0 {
			x.Count = 1
		}
		s.faults = append(s.faults, x)
	}
}

func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Faults []Fault `json:"faults"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		s.writeJSON(w, 400, map[string]string{"error": "body must be {\"faults\":[...]}"})
		return
	}
	for _, f := range body.Faults {
		switch f.Kind {
		case "status", "invalid_token", "slow", "stall", "skew":
		default:
			s.writeJSON(w, 400, map[string]string{"error": "unknown fault kind " + f.Kind})
			return
		}
	}
	s.Inject(body.Faults...)
	s.mu.Lock()
	n := len(s.faults)
	s.mu.Unlock()
	s.writeJSON(w, 200, map[string]int{"faults": n})
}

// takeFault removes and returns the first fault for this request.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		return Fault{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.PathPrefix == "" || strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			s.faults[i].Count--
			if s.faults[i].Count <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f, true
		}
	}
	return Fault{}, false
}

// applyBefore applies a fault; it reports whether the response is complete.
func (f Fault) applyBefore(w *statusRecorder, s *Server, r *http.Request) bool {
	switch f.Kind {
	case "slow":
		time.Sleep(time.Duration(f.DelayMs) * time.Millisecond)
		return false
	case "stall":
		// The body is read first: net/http notices a client that closes
		// its connection (and cancels the request's context) only once the
		// handler has read the body.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		t := time.NewTimer(time.Duration(f.DelayMs) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
			return false
		case <-r.Context().Done():
			w.status = 0 // dropped: nothing was answered
			return true
		}
	case "skew":
		w.Header().Set("X-Sandbox-Skew-Ms", itoa(f.SkewMs))
		w.ResponseWriter = &skewWriter{ResponseWriter: w.ResponseWriter, skew: time.Duration(f.SkewMs) * time.Millisecond}
		return false
	case "status":
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", itoa(int64(f.RetryAfter)))
		}
		s.writeJSON(w, f.Status, map[string]string{"error": "injected fault", "status": itoa(int64(f.Status))})
		return true
	case "invalid_token":
		s.writeJSON(w, 200, invalidTokenBody(r.URL.Path))
		return true
	}
	return false
}

// skewWriter shifts the Date header of one response.
type skewWriter struct {
	http.ResponseWriter
	skew time.Duration
	done bool
}

func (w *skewWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		if t, err := http.ParseTime(w.Header().Get("Date")); err == nil {
			w.Header().Set("Date", t.Add(w.skew).UTC().Format(http.TimeFormat))
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *skewWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(200)
	}
	return w.ResponseWriter.Write(b)
}

// invalidTokenBody is each provider's answer to a dead token.
func invalidTokenBody(path string) any {
	switch {
	case strings.HasPrefix(path, "/taxpayerapi"):
		return gstnError(gstnBadSession.Code, gstnBadSession.Message)
	case strings.HasPrefix(path, "/ewayapi") || path == "/auth/":
		return ewbError(ewbBadAuthToken.Code)
	}
	return nicError(einvInvalidToken.Code, einvInvalidToken.Message)
}
