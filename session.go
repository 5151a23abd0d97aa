package gstauth

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// Options configure a [Session]. The zero value works: http.DefaultClient,
// time.Now and crypto/rand.
type Options struct {
	// Credentials are the secrets the session's requests need: a client
	// secret, a password, the provider's public key (PEM). They stay in
	// memory: never in the session's JSON, never in a sealed session.
	Credentials core.Credentials
	// HTTPClient sends the session's own exchanges (token, refresh, OTP,
	// authorization code). nil means http.DefaultClient. A client whose
	// transport is a [Transport] over this same session works: the
	// session's own exchanges pass through it untouched.
	HTTPClient *http.Client
	// OnChange is called after every change worth storing: a new token, a
	// failure recorded, a rejected token, an authorization request in
	// flight. Calls are serialised, and each sees the session as it is
	// when it runs, so storing Seal's output from it always leaves the
	// latest state stored. It must not call Token, Exchange or a step
	// helper (they may wait for the exchange that called it).
	OnChange func(*Session)
	// Certificate loads the provider's current public certificate (PEM):
	// before the first exchange when Credentials.PublicKey is empty, and
	// when the provider says the one it holds is stale (GSTN TEC4002),
	// after which the exchange or call is sent once more. nil: a stale
	// certificate is an error (certificate_stale).
	Certificate func(ctx context.Context) (string, error)
	// Clock is the host clock; nil means time.Now. Every instant the core
	// sees comes from it: token lifetimes, refresh instants, the two ends
	// of each exchange from which the server's clock skew is measured.
	Clock func() time.Time
	// Random is the source of app keys, PKCE verifiers, states, GSTN txn
	// ids and sealing nonces; nil means crypto/rand. It is only read with
	// the session's state lock held.
	Random io.Reader
	// Shared, when set, makes the session one of a fleet's: many
	// processes share it through a store and refresh it once per window
	// ([Shared]). nil: the session is this process's alone.
	Shared *Shared
}

// Session is one authenticated account of one provider, safe for
// concurrent use. It holds the core's session (under a state lock that is
// never held across I/O), the credentials, and the refresh lock that makes
// refreshes single-flight; it sends its own exchanges with the
// application's *http.Client.
type Session struct {
	mu    sync.Mutex // the state lock: held around core calls only
	state *core.Session
	creds core.Credentials

	// refresh is the refresh lock (a channel, so that it can be tried and
	// waited for with a context): one exchange at a time per session.
	refresh chan struct{}
	// notify serialises OnChange calls.
	notify sync.Mutex

	client      *http.Client
	onChange    func(*Session)
	certificate func(context.Context) (string, error)
	clock       func() time.Time
	random      io.Reader

	// fleet is the shared session's state (Options.Shared); nil when the
	// session is this process's alone.
	fleet *fleet
}

// NewSession returns a session of provider p for account, with no token
// yet. account is the host's name for it (a GSTIN and user name, a client
// id); it is bound into sealed sessions.
func NewSession(p core.Provider, account string, cfg core.Config, o Options) (*Session, error) {
	st, err := core.NewSession(p, account, cfg)
	if err != nil {
		return nil, err
	}
	return newSession(st, o, false)
}

// FromCore returns a session that continues from a copy of st (the core's
// session JSON, parsed with core.ParseSession, for instance).
func FromCore(st *core.Session, o Options) (*Session, error) {
	c, err := copySession(st)
	if err != nil {
		return nil, err
	}
	return newSession(c, o, true)
}

// Open restores a session sealed with [Session.Seal], with the key of the
// keyring whose id the blob names. When p or account is not empty the
// blob must have been sealed for that provider or account (a blob moved to
// another account's row fails with decrypt_failed); empty accepts what
// the blob says.
func Open(sealed string, keyring []core.SealKey, p core.Provider, account string, o Options) (*Session, error) {
	st, err := core.OpenSession(sealed, keyring, p, account)
	if err != nil {
		return nil, err
	}
	return newSession(st, o, true)
}

// newSession makes a session of st. held says st is a session the caller
// brings (FromCore, Open): a shared one then writes it to its store unless
// the store holds a newer token.
func newSession(st *core.Session, o Options, held bool) (*Session, error) {
	s := &Session{state: st, creds: o.Credentials, refresh: make(chan struct{}, 1), client: o.HTTPClient,
		onChange: o.OnChange, certificate: o.Certificate, clock: o.Clock, random: o.Random}
	if s.client == nil {
		s.client = http.DefaultClient
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if o.Shared != nil {
		f, err := newFleet(o.Shared, st.Provider, st.Account)
		if err != nil {
			return nil, err
		}
		s.fleet = f
		f.dirty = held
	}
	return s, nil
}

// Provider is the session's provider.
func (s *Session) Provider() core.Provider {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Provider
}

// Account is the session's account.
func (s *Session) Account() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Account
}

// Snapshot returns a copy of the core's session as it is now.
func (s *Session) Snapshot() *core.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := copySession(s.state)
	if err != nil {
		panic("gstauth: the session does not copy: " + err.Error()) // it was valid when stored
	}
	return c
}

// Plan returns the planner's view of the session now: when the token turns
// stale, when it expires, when a person will have to act.
func (s *Session) Plan() (core.Plan, error) {
	now := s.nowMs()
	s.mu.Lock()
	defer s.mu.Unlock()
	return core.PlanSession(s.state, now)
}

// SetCredentials replaces the session's credentials (a rotated client
// secret, a new password); the next exchange uses them.
func (s *Session) SetCredentials(c core.Credentials) {
	s.mu.Lock()
	s.creds = c
	s.mu.Unlock()
}

// Seal encrypts the session under key for storage (XChaCha20-Poly1305;
// the format is core.SealSession's). The credentials are not in it.
func (s *Session) Seal(key core.SealKey) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return core.SealSession(s.state, key, s.random)
}

// Token returns an access token to call the provider with, after
// refreshing or renewing it when the core says so (docs/hosts.md):
//
//   - the token is fresh: it is returned at once;
//   - it is due (the refresh margin): one caller refreshes it while the
//     others keep using it without waiting; a failed refresh keeps the
//     token and backs off;
//   - it is unusable: one caller renews it with the stored credentials
//     and the others wait for that renewal, as long as ctx allows;
//   - a person must act (an OTP, a consent, a refused password) or the
//     session backs off: the error says so.
//
// Errors from the core are *gstcrypto.Error with a stable code
// (user_action_required; during a backoff the failure that caused it,
// Retryable with RetryAfterMs; ...); a cancelled
// ctx gives ctx.Err(); a failed send of a renewal gives the HTTP client's
// error.
//
// A shared session ([Options].Shared) follows the fleet's rules as well
// (see [Shared]).
func (s *Session) Token(ctx context.Context) (string, error) {
	if s.fleet != nil {
		return s.fleetToken(ctx)
	}
	d, err := s.ensure(core.EnsureCheck, 0)
	if err != nil {
		return "", err
	}
	switch d.Move {
	case core.MoveUse:
		return d.AccessToken, nil
	case core.MoveFail:
		return "", decisionError(d)
	case core.MoveRefresh:
		if !s.tryLock() {
			return d.AccessToken, nil // someone is refreshing; the token is still valid
		}
	case core.MoveRenew:
		if err := s.lock(ctx); err != nil {
			return "", err
		}
	default:
		return "", unexpectedMove(d.Move)
	}
	defer s.unlock()
	return s.refreshLocked(ctx, nil)
}

// refreshLocked is the locked loop of docs/hosts.md: ask the core, send
// what it says, hand the answer back, until it says use or fail. The core
// bounds the loop (core.MaxEnsureAttempts). beforeSend, when set, runs
// before each exchange and may stop it (a shared session extends its
// lease there).
func (s *Session) refreshLocked(ctx context.Context, beforeSend func(context.Context) error) (string, error) {
	if err := s.loadMissingCertificate(ctx); err != nil {
		return s.tokenDespite(err)
	}
	reloaded := false
	for attempts := 0; ; attempts++ {
		d, err := s.ensure(core.EnsureLocked, attempts)
		if err != nil {
			return "", err
		}
		switch d.Move {
		case core.MoveUse:
			return d.AccessToken, nil
		case core.MoveFail:
			return "", decisionError(d)
		case core.MoveSend:
		default:
			return "", unexpectedMove(d.Move)
		}
		if beforeSend != nil {
			if err := beforeSend(ctx); err != nil {
				return s.tokenDespite(err)
			}
		}
		parseErr, err := s.exchange(ctx, d.Request)
		if err != nil {
			return s.tokenDespite(err)
		}
		if gstcrypto.CodeOf(parseErr) == gstcrypto.CodeCertificateStale {
			if reloaded || s.certificate == nil {
				return s.tokenDespite(parseErr)
			}
			if err := s.reloadCertificate(ctx); err != nil {
				return s.tokenDespite(err)
			}
			reloaded = true
		}
	}
}

// tokenDespite answers after an exchange that failed without the core
// recording the failure (no answer arrived, or a stale certificate that
// cannot be replaced): a token that is still valid is used, as after any
// failed refresh; otherwise the failure is the error.
func (s *Session) tokenDespite(cause error) (string, error) {
	d, err := s.ensure(core.EnsureCheck, 0)
	if err == nil && (d.Move == core.MoveUse || d.Move == core.MoveRefresh) {
		return d.AccessToken, nil
	}
	return "", cause
}

// ensure asks the core for the next move, under the state lock.
func (s *Session) ensure(stage core.EnsureStage, attempts int) (core.Decision, error) {
	now := s.nowMs()
	s.mu.Lock()
	defer s.mu.Unlock()
	creds := s.creds
	return core.Ensure(s.state, &creds, core.EnsureOptions{Stage: stage, Attempts: attempts, NowMs: now, Random: s.random})
}

// exchange sends a request the core built and hands the answer back to
// core.ParseResponse. It returns ParseResponse's error, or the error of a
// send that got no answer.
func (s *Session) exchange(ctx context.Context, req *core.HTTPRequest) (parseErr, sendErr error) {
	resp, sent, received, err := s.send(ctx, req)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	err = core.ParseResponse(s.state, resp, sent, received)
	s.markChangedLocked()
	s.mu.Unlock()
	s.changed()
	return err, nil
}

// reloadCertificate loads the provider's current certificate into the
// credentials.
func (s *Session) reloadCertificate(ctx context.Context) error {
	pem, err := s.certificate(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.creds.PublicKey = pem
	s.mu.Unlock()
	return nil
}

// loadMissingCertificate loads the provider's certificate when the
// credentials have none and Options.Certificate can load it.
func (s *Session) loadMissingCertificate(ctx context.Context) error {
	s.mu.Lock()
	missing := s.creds.PublicKey == ""
	s.mu.Unlock()
	if !missing || s.certificate == nil {
		return nil
	}
	return s.reloadCertificate(ctx)
}

// The refresh lock.

func (s *Session) tryLock() bool {
	select {
	case s.refresh <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *Session) lock(ctx context.Context) error {
	select {
	case s.refresh <- struct{}{}:
		return nil
	default:
	}
	select {
	case s.refresh <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Session) unlock() { <-s.refresh }

// changed calls OnChange, one call at a time.
func (s *Session) changed() {
	if s.onChange == nil {
		return
	}
	s.notify.Lock()
	defer s.notify.Unlock()
	s.onChange(s)
}

func (s *Session) nowMs() int64 { return s.clock().UnixMilli() }

// decisionError is the error of a fail decision.
func decisionError(d core.Decision) error {
	if d.Error == nil {
		return &gstcrypto.Error{Code: gstcrypto.CodeInternal, Message: "the core decided to fail without an error"}
	}
	return d.Error
}

func unexpectedMove(m core.Move) error {
	return &gstcrypto.Error{Code: gstcrypto.CodeInternal, Message: "the core answered an unexpected move " + string(m)}
}

// copySession deep-copies a session through its JSON.
func copySession(st *core.Session) (*core.Session, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return nil, &gstcrypto.Error{Code: gstcrypto.CodeInvalidInput, Message: "the session does not encode"}
	}
	return core.ParseSession(b)
}
