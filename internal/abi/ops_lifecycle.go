package abi

import (
	"errors"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// The token lifecycle: sessions, the planner, request builders and response
// parsers for every provider, sealing.
func init() {
	register(
		Op{Name: "session_new", Doc: "Create an empty session {provider, account, config}.", JSON: opSessionNew},
		Op{Name: "session_plan", Doc: "Decide use / refresh / renew / user_action for a session at now_ms.", JSON: opSessionPlan},
		Op{Name: "session_steps", Doc: "List the request steps a provider builds.", JSON: opSessionSteps},
		Op{Name: "session_request", Doc: "Build the HTTP request of a step (or of the plan) and record it in the session.", JSON: opSessionRequest},
		Op{Name: "session_response", Doc: "Hand the response back: the updated session, and the classified error when the provider failed.", JSON: opSessionResponse},
		Op{Name: "session_observe", Doc: "After an ordinary API call: measure skew and mark the token rejected on 401/invalid-token.", JSON: opSessionObserve},
		Op{Name: "session_seal", Doc: "Seal a session with XChaCha20-Poly1305 under a 32-byte key and key id.", JSON: opSessionSeal},
		Op{Name: "session_open", Doc: "Open a sealed session with a keyring (optionally checking its provider and account).", JSON: opSessionOpen},
		Op{Name: "nic_token_expiry", Doc: "Parse a NIC TokenExpiry (yyyy-MM-dd HH:mm:ss, IST) into Unix ms.", JSON: opNICTokenExpiry},
		Op{Name: "gstn_headers", Doc: "The GSTN headers of a call for a session {session, credentials, ret_period?, txn?}.", JSON: opGSTNHeaders},
	)
}

func sessionOf(in *Input) (*core.Session, error) {
	raw := in.Raw("session")
	if raw == nil {
		return nil, missing("session")
	}
	return core.ParseSession(raw)
}

func nowOf(in *Input) (int64, error) {
	now, err := in.Int64("now_ms")
	if err == nil && now < 0 {
		err = invalid("now_ms is negative")
	}
	return now, err
}

func opSessionNew(in *Input) (any, error) {
	p, err := in.String("provider")
	if err != nil {
		return nil, err
	}
	account, err := in.String("account")
	if err != nil {
		return nil, err
	}
	var cfg core.Config
	if err := in.OptDecode("config", &cfg); err != nil {
		return nil, err
	}
	s, err := core.NewSession(core.Provider(p), account, cfg)
	if err != nil {
		return nil, err
	}
	return map[string]any{"session": s}, nil
}

func opSessionPlan(in *Input) (any, error) {
	s, err := sessionOf(in)
	if err != nil {
		return nil, err
	}
	now, err := nowOf(in)
	if err != nil {
		return nil, err
	}
	return core.PlanSession(s, now)
}

func opSessionSteps(in *Input) (any, error) {
	p, err := in.String("provider")
	if err != nil {
		return nil, err
	}
	steps := core.Steps(core.Provider(p))
	if steps == nil {
		return nil, &core.Error{Code: gstcrypto.CodeConfigInvalid, Message: "unknown provider"}
	}
	return map[string][]core.Step{"steps": steps}, nil
}

func opSessionRequest(in *Input) (any, error) {
	s, err := sessionOf(in)
	if err != nil {
		return nil, err
	}
	now, err := nowOf(in)
	if err != nil {
		return nil, err
	}
	step, _, err := in.OptString("step")
	if err != nil {
		return nil, err
	}
	var c core.Credentials
	if err := in.OptDecode("credentials", &c); err != nil {
		return nil, err
	}
	entropy, _, err := in.OptBytes("entropy", gstcrypto.MaxSmallField)
	if err != nil {
		return nil, err
	}
	var params map[string]string
	if err := in.OptDecode("params", &params); err != nil {
		return nil, err
	}
	req, err := core.BuildRequest(s, &c, core.RequestOptions{NowMs: now, Step: core.Step(step), Entropy: entropy, Params: params})
	if err != nil {
		return nil, err
	}
	return map[string]any{"request": req, "session": s}, nil
}

func responseOf(in *Input) (*core.HTTPResponse, error) {
	var r core.HTTPResponse
	if err := in.Decode("response", &r); err != nil {
		return nil, err
	}
	if r.Status < 100 || r.Status > 599 {
		return nil, invalid("response.status must be an HTTP status code")
	}
	return &r, nil
}

func opSessionResponse(in *Input) (any, error) {
	s, err := sessionOf(in)
	if err != nil {
		return nil, err
	}
	r, err := responseOf(in)
	if err != nil {
		return nil, err
	}
	sent, _, err := in.OptInt64("sent_at_ms")
	if err != nil {
		return nil, err
	}
	received, err := in.Int64("received_at_ms")
	if err != nil {
		return nil, err
	}
	// Mistakes of the caller fail the op; what the provider's answer
	// causes is reported beside the updated session, which must reach the
	// host either way.
	if s.Pending == nil {
		return nil, invalid("the session has no request in flight (build one with session_request)")
	}
	if sent <= 0 {
		sent = s.Pending.SentAtMs
	}
	if received < sent {
		return nil, invalid("received_at_ms is before sent_at_ms")
	}
	perr := core.ParseResponse(s, r, sent, received)
	out := map[string]any{"session": s}
	if perr != nil {
		var e *core.Error
		if !errors.As(perr, &e) {
			return nil, perr
		}
		out["error"] = errorBody{Code: e.Code, Message: e.Message, ProviderCode: e.ProviderCode,
			RetryAfterMs: e.RetryAfterMs, Retryable: e.Retryable}
	}
	return out, nil
}

func opSessionObserve(in *Input) (any, error) {
	s, err := sessionOf(in)
	if err != nil {
		return nil, err
	}
	r, err := responseOf(in)
	if err != nil {
		return nil, err
	}
	sent, err := in.Int64("sent_at_ms")
	if err != nil {
		return nil, err
	}
	received, err := in.Int64("received_at_ms")
	if err != nil {
		return nil, err
	}
	res, err := core.ObserveAPIResponse(s, r, core.APICall{SentAtMs: sent, ReceivedAtMs: received})
	if err != nil {
		return nil, err
	}
	return map[string]any{"session": s, "rejected": res.Outcome == core.OutcomeReauthenticate}, nil
}

func opSessionSeal(in *Input) (any, error) {
	s, err := sessionOf(in)
	if err != nil {
		return nil, err
	}
	key, err := in.Bytes("key", gstcrypto.MaxSmallField)
	if err != nil {
		return nil, err
	}
	id, err := in.String("key_id")
	if err != nil {
		return nil, err
	}
	sealed, err := core.SealSession(s, core.SealKey{ID: id, Key: key}, nil)
	if err != nil {
		return nil, err
	}
	return map[string]string{"sealed": sealed}, nil
}

func opSessionOpen(in *Input) (any, error) {
	sealed, err := in.String("sealed")
	if err != nil {
		return nil, err
	}
	var keys []core.SealKey
	if err := in.Decode("keys", &keys); err != nil {
		return nil, err
	}
	p, _, err := in.OptString("provider")
	if err != nil {
		return nil, err
	}
	account, _, err := in.OptString("account")
	if err != nil {
		return nil, err
	}
	s, err := core.OpenSession(sealed, keys, core.Provider(p), account)
	if err != nil {
		return nil, err
	}
	return map[string]any{"session": s}, nil
}

func opNICTokenExpiry(in *Input) (any, error) {
	v, err := in.String("token_expiry")
	if err != nil {
		return nil, err
	}
	ms, err := core.ParseNICTokenExpiry(v)
	if err != nil {
		return nil, err
	}
	return map[string]int64{"expires_at_ms": ms}, nil
}

func opGSTNHeaders(in *Input) (any, error) {
	s, err := sessionOf(in)
	if err != nil {
		return nil, err
	}
	var c core.Credentials
	if err := in.Decode("credentials", &c); err != nil {
		return nil, err
	}
	ret, _, err := in.OptString("ret_period")
	if err != nil {
		return nil, err
	}
	txn, _, err := in.OptString("txn")
	if err != nil {
		return nil, err
	}
	h, err := core.GSTNHeaders(s, core.GSTNHeaderOptions{ClientSecret: c.ClientSecret, RetPeriod: ret, Txn: txn})
	if err != nil {
		return nil, err
	}
	return map[string]any{"headers": h}, nil
}
