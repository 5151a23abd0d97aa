package core

import (
	"io"

	"github.com/gstauth/gstauth/gstcrypto"
)

// The refresh decision, in one place for every host (docs/hosts.md has the
// loop around it). A host asks Ensure before a call; the answer says use
// the token, take the session's refresh lock, wait for it, send a request,
// or fail. Hosts keep only what is idiomatic to them: the lock, the HTTP
// client, the storage.
//
//	d := Ensure(s, c, {Stage: check})
//	use → call with d.AccessToken        fail → raise d.Error
//	refresh → try the lock; if another caller holds it, use d.AccessToken
//	renew → wait for the lock (bounded)
//	with the lock, attempts = 0:
//	    d = Ensure(s, c, {Stage: locked, Attempts: attempts})
//	    send → send d.Request, ParseResponse, attempts++, ask again
//	    use → unlock, call with d.AccessToken; fail → unlock, raise d.Error

// EnsureStage says where a host is in its refresh loop.
type EnsureStage string

// The stages.
const (
	// EnsureCheck: no lock is held; may the caller use the token?
	EnsureCheck EnsureStage = "check"
	// EnsureLocked: the caller holds the session's refresh lock and has
	// made Attempts exchanges under it.
	EnsureLocked EnsureStage = "locked"
)

// Move is a host's next move.
type Move string

// The moves.
const (
	// MoveUse: call with Decision.AccessToken.
	MoveUse Move = "use"
	// MoveRefresh: the token is valid but due. Take the refresh lock if it
	// is free and ask again (locked); if another caller holds it, call with
	// Decision.AccessToken: the others keep working meanwhile.
	MoveRefresh Move = "refresh"
	// MoveRenew: the token is unusable. Wait (bounded) for the refresh lock
	// and ask again (locked): one caller renews, the others wait for it.
	MoveRenew Move = "renew"
	// MoveSend: send Decision.Request, hand the response to ParseResponse
	// (whatever it says), and ask again with one more attempt.
	MoveSend Move = "send"
	// MoveFail: raise Decision.Error.
	MoveFail Move = "fail"
)

// Moves lists every move.
var Moves = []Move{MoveUse, MoveRefresh, MoveRenew, MoveSend, MoveFail}

// MaxEnsureAttempts bounds the exchanges of one locked loop: a refresh
// and, when its refresh token is refused, the grant that replaces it.
const MaxEnsureAttempts = 2

// EnsureOptions are the inputs of [Ensure] besides the session and the
// credentials.
type EnsureOptions struct {
	Stage EnsureStage
	// Attempts is how many exchanges the caller made under the lock.
	Attempts int
	// NowMs is the host's clock.
	NowMs int64
	// Entropy and Random feed the fresh keys of a request (see
	// RequestOptions).
	Entropy []byte
	Random  io.Reader
}

// Decision is Ensure's answer.
type Decision struct {
	Move Move `json:"move"`
	// AccessToken is the token to call with (use, refresh).
	AccessToken string `json:"access_token,omitempty"`
	// Request is the request to send (send); the session records it.
	Request *HTTPRequest `json:"request,omitempty"`
	// Error is the error to raise (fail).
	Error *Error `json:"error,omitempty"`
	// Plan is the planner's view the decision rests on.
	Plan Plan `json:"plan"`
}

// Ensure decides a host's next move with s at o.NowMs (see the loop
// above). It changes s only when it builds a request. A failure it
// reports carries the session's last error when that error is why the
// session cannot continue (a refused password, a backoff after a 503).
func Ensure(s *Session, c *Credentials, o EnsureOptions) (Decision, error) {
	if o.Stage != EnsureCheck && o.Stage != EnsureLocked {
		return Decision{}, newError(gstcrypto.CodeInvalidInput, "stage must be check or locked")
	}
	if o.Attempts < 0 {
		return Decision{}, newError(gstcrypto.CodeInvalidInput, "attempts is negative")
	}
	p, err := PlanSession(s, o.NowMs)
	if err != nil {
		return Decision{}, err
	}
	d := Decision{Plan: p}
	locked := o.Stage == EnsureLocked
	switch p.Action {
	case ActionUse:
		return d.use(s), nil
	case ActionUserAction:
		return d.fail(s.failureFor(p, gstcrypto.CodeUserActionRequired)), nil
	case ActionRefresh:
		if !locked {
			d.Move, d.AccessToken = MoveRefresh, s.AccessToken
			return d, nil
		}
		if o.Attempts >= MaxEnsureAttempts {
			return d.use(s), nil
		}
	case ActionRenew:
		if p.NotBeforeMs > o.NowMs {
			e := s.failureFor(p, gstcrypto.CodeRateLimited)
			e.Retryable, e.RetryAfterMs = true, p.NotBeforeMs-o.NowMs
			return d.fail(e), nil
		}
		if !locked {
			d.Move = MoveRenew
			return d, nil
		}
		if o.Attempts >= MaxEnsureAttempts {
			return d.fail(s.failureFor(p, gstcrypto.CodeTokenExpired)), nil
		}
	}
	req, err := BuildRequest(s, c, RequestOptions{NowMs: o.NowMs, Entropy: o.Entropy, Random: o.Random})
	if err != nil {
		if e, ok := err.(*Error); ok && OutcomeOf(e) != OutcomeProviderError {
			// A person must act (credentials missing, an OTP): the
			// answer to give, not a misuse of Ensure.
			return d.fail(e), nil
		}
		return Decision{}, err
	}
	d.Move, d.Request = MoveSend, req
	return d, nil
}

func (d Decision) use(s *Session) Decision {
	d.Move, d.AccessToken = MoveUse, s.AccessToken
	return d
}

func (d Decision) fail(e *Error) Decision {
	d.Move, d.Error = MoveFail, e
	return d
}

// failureFor is the error of a plan that cannot go on. The session's
// last error is that error when it is the cause: the failure a person must
// fix (NeedsUser), or the retryable failure the backoff follows. Otherwise
// the error has the given code and the plan's message, with the provider's
// code of a rejection.
func (s *Session) failureFor(p Plan, code Code) *Error {
	le := s.LastError
	switch {
	case le == nil:
	case code == gstcrypto.CodeUserActionRequired && s.NeedsUser != "",
		code == gstcrypto.CodeRateLimited && le.Retryable:
		return copyError(le)
	case p.Reason == ReasonRejected:
		return &Error{Code: code, Message: p.Message, ProviderCode: le.ProviderCode}
	}
	return &Error{Code: code, Message: p.Message}
}
