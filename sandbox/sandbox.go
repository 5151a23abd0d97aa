// Package sandbox is a local emulator of the GST auth endpoints, built on
// gstauth's own server-side cryptography: the GSTN taxpayer authenticate
// API with one returns save and one encrypted GET, NIC e-invoice v1.04 auth
// and Generate IRN (signed invoice and QR JWTs), and NIC e-way bill auth and
// generate. It is as strict as the real services and no stricter: it
// takes what they take (the five documented GSTN headers, app keys of any
// AES size) and answers with the providers' error codes (codes.go), so a
// client that gets any byte of the protocol wrong fails here as it would
// against the real services. It counts, per session, OTP requests,
// re-authentications, refreshes and calls with expired tokens (stats.go).
// Token lifetimes are configurable down to seconds, and faults
// (invalid-token codes, 429 with Retry-After, 5xx, slow answers, a skewed
// Date) can be injected.
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
	// EWBTokenCodes picks the e-way bill codes for a bad token on a
	// business call: 238 for every case (the default), or 105 and 106.
	EWBTokenCodes EWBTokenCodes
	// EWBAuthLimit is how many ACCESSTOKEN requests one user and GSTIN may
	// send to the e-way bill /auth/ in 15 minutes; the next ones are
	// answered 118 until 15 minutes after the first (default 5, NIC's limit
	// as TaxPro documents it; negative: no limit).
	EWBAuthLimit int
}

// EWBTokenCodes is the choice of e-way bill codes for a bad auth token on
// a business call.
//
// NIC's list has three: 105 Invalid Token and 106 Token Expired, in the
// 100-118 block of the authentication errors, and 238 Invalid auth token,
// in the 2xx block of the business calls. The default is 238 for an
// unknown, a superseded and an expired token alike, because that is what
// the clients that run against the real API handle: india-compliance
// (StandardEWaybillAPI._make_request) re-authenticates and replays on 238
// and on nothing else, although it computes the expiry itself as "now + 6
// h" at each auth, so its tokens do reach the server after they expired;
// Odoo's l10n_in_ewaybill does the same on 238 only; the other open
// clients treat no 1xx code as a dead token. Had the business endpoints
// answered 106 for an expired token, each of them would stall on it.
// EWBTokenCodes105106 answers 105 for an unknown token and 106 for an
// expired one instead, for clients that want to be ready for both.
type EWBTokenCodes int

const (
	EWBTokenCodes238    EWBTokenCodes = iota // 238 for every bad token (default)
	EWBTokenCodes105106                      // 105 unknown or another GSTIN's, 106 expired
)

// Server is one emulator.
type Server struct {
	opts Options
	mux  *http.ServeMux

	gstnKey, nicKey, signKey    *rsa.PrivateKey
	gstnCert, nicCert, signCert []byte // PEM

	mu            sync.Mutex
	faults        []Fault
	gstn          map[string]*gstnSession // by auth token
	gstnRefreshed map[string]bool         // auth tokens a REFRESHTOKEN replaced
	gstnOTP       map[string][]byte       // session key (state and user) → app key of the last OTPREQUEST
	nic           map[string]*nicSession  // by auth token (e-invoice and e-way bill)
	irns          map[string]bool         // generated document numbers
	counter       int64
	returns       map[string][]json.RawMessage // gstin|ret_period → saved payloads
	requests      int64
	stats         map[string]*SessionStats // by SessionStats.Session
	ewbAuthHits   map[string]*authWindow   // e-way bill ACCESSTOKEN requests by GSTIN and user
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
	if opts.EWBAuthLimit == 0 {
		opts.EWBAuthLimit = 5
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), gstn: map[string]*gstnSession{}, gstnRefreshed: map[string]bool{}, gstnOTP: map[string][]byte{},
		nic: map[string]*nicSession{}, irns: map[string]bool{}, returns: map[string][]json.RawMessage{},
		stats: map[string]*SessionStats{}, ewbAuthHits: map[string]*authWindow{}}
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
		if f.applyBefore(rec, s, r) {
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
	s.mux.HandleFunc("GET /_sandbox/codes", s.handleCodes)
	s.mux.HandleFunc("GET /_sandbox/stats", s.handleStats)
	s.mux.HandleFunc("DELETE /_sandbox/stats", s.handleResetStats)
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
