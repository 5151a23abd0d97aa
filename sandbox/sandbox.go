// Package sandbox is a local emulator of the GST auth endpoints, built on
// gstauth's own server-side cryptography: the GSTN taxpayer authenticate
// API with one returns save and one encrypted GET, NIC e-invoice v1.04 auth
// and Generate IRN (signed invoice and QR JWTs), and NIC e-way bill auth and
// generate. It checks what clients send and answers with the providers'
// error codes, so a client that gets any byte of the protocol wrong fails
// here as it would against the real services. Token lifetimes are
// configurable down to seconds, and faults (invalid-token codes, 429 with
// Retry-After, 5xx, slow answers, a skewed Date) can be injected.
//
// It listens on loopback only. Its keys are generated at start and its
// certificates published at /_sandbox/certs/{gstn,nic,signing}.pem. It is a
// test tool: it keeps everything in memory and protects nothing.
// docs/sandbox.md documents the endpoints, credentials and faults.
package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The fixed sandbox credentials (test only).
const (
	ClientID     = "sandbox-client"
	ClientSecret = "sandbox-secret"
	Username     = "sandbox_user"
	Password     = "sandbox-password"
	// OTP is the one OTP the GSTN emulator accepts.
	OTP = "575757"
)

// Options configure an emulator. Zero values take the defaults.
type Options struct {
	// TokenLifetime of GSTN, NIC and e-way bill tokens (default 6 h). GSTN
	// states it in whole minutes, rounded up.
	TokenLifetime time.Duration
	// AccessWindow is the taxpayer's GSTN API-access window (default 30 d):
	// no refresh reaches past it.
	AccessWindow time.Duration
	// DateSkew shifts the Date header (and the server's clock) against the
	// host's.
	DateSkew time.Duration
	// Now is the server clock (default time.Now).
	Now func() time.Time
	// Logf, when set, logs one line per request (method, path, status).
	Logf func(format string, args ...any)
}

// Server is one emulator.
type Server struct {
	opts Options
	mux  *http.ServeMux

	gstnKey, nicKey, signKey    *rsa.PrivateKey
	gstnCert, nicCert, signCert []byte // PEM

	mu       sync.Mutex
	faults   []Fault
	gstn     map[string]*gstnSession // by auth token
	gstnOTP  map[string][]byte       // username → app key of the last OTPREQUEST
	nic      map[string]*nicSession  // by auth token (e-invoice and e-way bill)
	irns     map[string]bool         // generated document numbers
	counter  int64
	returns  map[string][]json.RawMessage // gstin|ret_period → saved payloads
	requests int64
}

// New makes an emulator with fresh keys.
func New(opts Options) (*Server, error) {
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = 6 * time.Hour
	}
	if opts.AccessWindow <= 0 {
		opts.AccessWindow = 30 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), gstn: map[string]*gstnSession{}, gstnOTP: map[string][]byte{},
		nic: map[string]*nicSession{}, irns: map[string]bool{}, returns: map[string][]json.RawMessage{}}
	var err error
	for _, k := range []struct {
		key  **rsa.PrivateKey
		cert *[]byte
		cn   string
	}{{&s.gstnKey, &s.gstnCert, "GSTN sandbox"}, {&s.nicKey, &s.nicCert, "NIC sandbox"}, {&s.signKey, &s.signCert, "NIC sandbox signing"}} {
		if *k.key, *k.cert, err = newKeyPair(k.cn); err != nil {
			return nil, err
		}
	}
	s.routes()
	return s, nil
}

func newKeyPair(cn string) (*rsa.PrivateKey, []byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn + " (TEST ONLY)", Organization: []string{"gstauth sandbox"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// Certificates returns the PEM certificates clients need: the GSTN key
// app keys are encrypted to, the NIC key auth payloads are encrypted to, and
// the key that signs e-invoices.
func (s *Server) Certificates() (gstn, nic, signing []byte) { return s.gstnCert, s.nicCert, s.signCert }

func (s *Server) now() time.Time { return s.opts.Now().Add(s.opts.DateSkew) }

// ServeHTTP serves the emulator.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	if f, ok := s.takeFault(r); ok {
		if f.applyBefore(rec, s, r.URL.Path) {
			s.log(r, rec.status)
			return
		}
	}
	s.mux.ServeHTTP(rec, r)
	s.log(r, rec.status)
}

func (s *Server) log(r *http.Request, status int) {
	if s.opts.Logf != nil {
		s.opts.Logf("%s %s %d", r.Method, r.URL.Path, status)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /_sandbox/health", func(w http.ResponseWriter, r *http.Request) {
		s.writeJSON(w, 200, map[string]string{"status": "ok"})
	})
	for name, cert := range map[string]*[]byte{"gstn": &s.gstnCert, "nic": &s.nicCert, "signing": &s.signCert} {
		cert := cert
		s.mux.HandleFunc("GET /_sandbox/certs/"+name+".pem", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-pem-file")
			s.stamp(w)
			w.Write(*cert)
		})
	}
	s.mux.HandleFunc("POST /_sandbox/faults", s.handleFaults)
	s.mux.HandleFunc("DELETE /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.faults = nil
		s.mu.Unlock()
		s.writeJSON(w, 200, map[string]int{"faults": 0})
	})
	s.gstnRoutes()
	s.nicRoutes()
}

// stamp sets the Date header from the (possibly skewed) server clock.
func (s *Server) stamp(w http.ResponseWriter) {
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	s.stamp(w)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 80<<20))
}

func (s *Server) nextID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counter++
	return s.counter
}

func randomToken(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + fmt.Sprintf("%x", b)
}

// Listen serves the emulator on addr (loopback only; port 0 picks one) and
// returns its base URL and a function that stops it.
func (s *Server) Listen(addr string) (string, func() error, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", nil, fmt.Errorf("the sandbox listens on loopback only, not %q", host)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), srv.Close, nil
}

// Requests is the number of requests served so far.
func (s *Server) Requests() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
