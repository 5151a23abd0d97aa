package abi

import (
	"reflect"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
)

// The token lifecycle: sessions, the planner and the refresh decision,
// request builders and response parsers for every provider, ordinary API
// calls (headers, payload envelopes, outcomes), sealing.
func init() {
	decoders[reflect.TypeOf((*core.Session)(nil))] = func(raw []byte) (reflect.Value, error) {
		s, err := core.ParseSession(raw)
		return reflect.ValueOf(s), err
	}
	register(
		jsonOp("session_new", "Create an empty session {provider, account, config}.", opSessionNew),
		jsonOp("session_plan", "Decide use / refresh / renew / user_action for a session at now_ms.", opSessionPlan),
		jsonOp("session_ensure", "The host's next move in its refresh loop: use, refresh, renew, send (with the request) or fail (docs/hosts.md).", opSessionEnsure),
		jsonOp("session_steps", "List the request steps a provider builds.", opSessionSteps),
		jsonOp("session_request", "Build the HTTP request of a step (or of the plan) and record it in the session.", opSessionRequest),
		jsonOp("session_response", "Hand the response back: the updated session, its outcome and, when the provider failed, the classified error.", opSessionResponse),
		jsonOp("session_send_failed", "The request in flight got no response (a network error, a timeout): drop it and back off as after a 5xx.", func(in *sessionPlanIn) (*sessionOut, error) {
			if err := core.RecordSendFailure(in.Session, in.NowMs); err != nil {
				return nil, err
			}
			return &sessionOut{Session: in.Session}, nil
		}),
		jsonOp("session_headers", "The headers of an ordinary API call with the session's token, for every provider.", opSessionHeaders),
		jsonOp("session_observe", "After an ordinary API call: measure skew, classify the answer (ok, reauthenticate, ...) and mark a rejected token.", opSessionObserve),
		jsonOp("session_encrypt_body", "Encrypt the payload member of an API request body for the session (GSTN data+hmac, NIC Data).", func(in *bodyIn) (*bodyOut, error) {
			b, err := core.EncryptRequestBody(in.Session, []byte(in.Body))
			return &bodyOut{Body: string(b)}, err
		}),
		rawOp("session_encrypt_body_raw", "session_encrypt_body for bulk bodies.", "the request body with its payload in the clear", "the body to send", func(in *sessionParam, data []byte) (*none, []byte, error) {
			b, err := core.EncryptRequestBody(in.Session, data)
			return &none{}, b, err
		}),
		jsonOp("session_decrypt_body", "Decrypt the payload of a successful API response body in place (HMAC verified first).", func(in *bodyIn) (*bodyOut, error) {
			b, err := core.DecryptResponseBody(in.Session, []byte(in.Body))
			if err != nil {
				return nil, err
			}
			p, err := textPayload(b, "session_decrypt_body_raw", nil)
			if err != nil {
				return nil, err
			}
			return &bodyOut{Body: p.Payload}, nil
		}),
		rawOp("session_decrypt_body_raw", "session_decrypt_body for bulk bodies.", "the response body as received", "the body with its payload decrypted", func(in *sessionParam, data []byte) (*none, []byte, error) {
			b, err := core.DecryptResponseBody(in.Session, data)
			return &none{}, b, err
		}),
		rawOp("session_encrypt_payload_raw", "Encrypt a plain JSON payload for the session: the members a request body carries for it (GSTN {data, hmac}, NIC {Data}, e-way bill {data}).", "the JSON payload", "a JSON object of the encrypted members", func(in *sessionParam, data []byte) (*none, []byte, error) {
			b, err := core.EncryptPayload(in.Session, data)
			return &none{}, b, err
		}),
		rawOp("session_decrypt_payload_raw", "Read a response body for the session: a success gives its decrypted payload, a failure the catalogue's error.", "the response body as received", "the decrypted JSON payload", func(in *sessionParam, data []byte) (*none, []byte, error) {
			b, err := core.DecryptPayload(in.Session, data)
			return &none{}, b, err
		}),
		jsonOp("session_seal", "Seal a session with XChaCha20-Poly1305 under a 32-byte key and key id.", opSessionSeal),
		jsonOp("session_open", "Open a sealed session with a keyring (optionally checking its provider and account).", opSessionOpen),
		jsonOp("nic_token_expiry", "Parse a NIC TokenExpiry (yyyy-MM-dd HH:mm:ss, IST) into Unix ms.", opNICTokenExpiry),
		jsonOp("gstn_headers", "The GSTN headers of a call for a session {session, credentials, ret_period?, rtn_typ?, userrole?, txn?}.", opGSTNHeaders),
	)
}

type sessionParam struct {
	Session *core.Session `json:"session" doc:"the session JSON"`
}

type sessionOut struct {
	Session *core.Session `json:"session"`
}

type nowParam struct {
	NowMs int64 `json:"now_ms" min:"0" doc:"the host clock, Unix ms"`
}

type sessionNewIn struct {
	Provider core.Provider `json:"provider"`
	Account  string        `json:"account" doc:"who the session is for (a GSTIN and user, a client id)"`
	Config   core.Config   `json:"config,omitempty"`
}

type sessionPlanIn struct {
	sessionParam
	nowParam
}

type sessionEnsureIn struct {
	sessionParam
	nowParam
	Stage       core.EnsureStage  `json:"stage" doc:"check (no lock held) or locked (the caller holds the session's refresh lock)"`
	Attempts    int               `json:"attempts,omitempty" min:"0" doc:"exchanges made under the lock so far"`
	Credentials *core.Credentials `json:"credentials,omitempty"`
	Entropy     []byte            `json:"entropy,omitempty" limit:"small"`
}

type sessionEnsureOut struct {
	core.Decision
	Session *core.Session `json:"session" doc:"the session, with the request recorded when the move is send"`
}

type sessionStepsIn struct {
	Provider core.Provider `json:"provider"`
}

type sessionStepsOut struct {
	Steps []core.Step `json:"steps"`
}

type sessionRequestIn struct {
	sessionParam
	nowParam
	Step        core.Step         `json:"step,omitempty" doc:"the step to build; empty builds the one the plan calls for"`
	Credentials *core.Credentials `json:"credentials,omitempty"`
	Entropy     []byte            `json:"entropy,omitempty" limit:"small"`
	Params      map[string]string `json:"params,omitempty" limit:"32" doc:"a step's non-secret arguments (GSTN evc_otp: pan, form_type)"`
}

type sessionRequestOut struct {
	Request *core.HTTPRequest `json:"request"`
	Session *core.Session     `json:"session"`
}

type sessionResponseIn struct {
	sessionParam
	Response     core.HTTPResponse `json:"response"`
	SentAtMs     int64             `json:"sent_at_ms,omitempty" min:"0" doc:"when the request was sent; absent: when it was built"`
	ReceivedAtMs int64             `json:"received_at_ms" min:"0"`
}

type sessionResponseOut struct {
	Session *core.Session    `json:"session"`
	Outcome core.Outcome     `json:"outcome"`
	Error   *gstcrypto.Error `json:"error,omitempty"`
}

type sessionHeadersIn struct {
	sessionParam
	Credentials *core.Credentials `json:"credentials,omitempty"`
	RetPeriod   string            `json:"ret_period,omitempty" limit:"16" doc:"GSTN returns calls: the return period, MMYYYY"`
	ReturnType  string            `json:"rtn_typ,omitempty" limit:"32" doc:"GSTN returns calls: the return type (rtn_typ)"`
	UserRole    string            `json:"userrole,omitempty" limit:"32" doc:"GSTN returns calls: the user role (userrole)"`
	Txn         string            `json:"txn,omitempty" limit:"64" doc:"GSTN: the request id; absent: a random one"`
}

type headersOut struct {
	Headers map[string]string `json:"headers"`
}

type sessionObserveIn struct {
	sessionParam
	Response     core.HTTPResponse `json:"response"`
	SentAtMs     int64             `json:"sent_at_ms" min:"0"`
	ReceivedAtMs int64             `json:"received_at_ms" min:"0"`
	AccessToken  string            `json:"access_token,omitempty" doc:"the token the call was made with"`
}

type sessionObserveOut struct {
	core.APIResult
	Session *core.Session `json:"session"`
}

type bodyIn struct {
	sessionParam
	Body string `json:"body" limit:"text" format:"json"`
}

type bodyOut struct {
	Body string `json:"body" format:"json"`
}

type sessionSealIn struct {
	sessionParam
	Key   []byte `json:"key" limit:"small" doc:"a 32-byte sealing key"`
	KeyID string `json:"key_id" limit:"64"`
}

type sealedOut struct {
	Sealed string `json:"sealed"`
}

type sessionOpenIn struct {
	Sealed   string         `json:"sealed" limit:"text"`
	Keys     []core.SealKey `json:"keys" limit:"16" doc:"the keyring: every key a sealed session may name"`
	Provider core.Provider  `json:"provider,omitempty" doc:"when given, the session must be of this provider"`
	Account  string         `json:"account,omitempty" doc:"when given, the session must be for this account"`
}

type nicTokenExpiryIn struct {
	TokenExpiry string `json:"token_expiry" limit:"64"`
}

type expiresOut struct {
	ExpiresAtMs int64 `json:"expires_at_ms"`
}

type gstnHeadersIn struct {
	sessionParam
	Credentials core.Credentials `json:"credentials"`
	RetPeriod   string           `json:"ret_period,omitempty" limit:"16"`
	ReturnType  string           `json:"rtn_typ,omitempty" limit:"32"`
	UserRole    string           `json:"userrole,omitempty" limit:"32"`
	Txn         string           `json:"txn,omitempty" limit:"64"`
}

func opSessionNew(in *sessionNewIn) (*sessionOut, error) {
	s, err := core.NewSession(in.Provider, in.Account, in.Config)
	if err != nil {
		return nil, err
	}
	return &sessionOut{Session: s}, nil
}

func opSessionPlan(in *sessionPlanIn) (*core.Plan, error) {
	p, err := core.PlanSession(in.Session, in.NowMs)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func opSessionEnsure(in *sessionEnsureIn) (*sessionEnsureOut, error) {
	d, err := core.Ensure(in.Session, in.Credentials, core.EnsureOptions{Stage: in.Stage, Attempts: in.Attempts,
		NowMs: in.NowMs, Entropy: in.Entropy})
	if err != nil {
		return nil, err
	}
	return &sessionEnsureOut{Decision: d, Session: in.Session}, nil
}

func opSessionSteps(in *sessionStepsIn) (*sessionStepsOut, error) {
	steps := core.Steps(in.Provider)
	if steps == nil {
		return nil, &gstcrypto.Error{Code: gstcrypto.CodeConfigInvalid, Message: "unknown provider"}
	}
	return &sessionStepsOut{Steps: steps}, nil
}

func opSessionRequest(in *sessionRequestIn) (*sessionRequestOut, error) {
	req, err := core.BuildRequest(in.Session, in.Credentials, core.RequestOptions{NowMs: in.NowMs, Step: in.Step,
		Entropy: in.Entropy, Params: in.Params})
	if err != nil {
		return nil, err
	}
	return &sessionRequestOut{Request: req, Session: in.Session}, nil
}

func opSessionResponse(in *sessionResponseIn) (*sessionResponseOut, error) {
	s, r := in.Session, &in.Response
	if r.Status < 100 || r.Status > 599 {
		return nil, invalid("response.status must be an HTTP status code")
	}
	// Mistakes of the caller fail the op; what the provider's answer
	// causes is reported beside the updated session, which must reach the
	// host either way.
	if s.Pending == nil {
		return nil, invalid("the session has no request in flight (build one with session_request)")
	}
	sent := in.SentAtMs
	if sent <= 0 {
		sent = s.Pending.SentAtMs
	}
	if in.ReceivedAtMs < sent {
		return nil, invalid("received_at_ms is before sent_at_ms")
	}
	perr := core.ParseResponse(s, r, sent, in.ReceivedAtMs)
	out := &sessionResponseOut{Session: s, Outcome: core.OutcomeOf(perr)}
	if perr != nil {
		e, ok := perr.(*gstcrypto.Error)
		if !ok {
			return nil, perr
		}
		out.Error = e
	}
	return out, nil
}

func opSessionHeaders(in *sessionHeadersIn) (*headersOut, error) {
	h, err := core.APIHeaders(in.Session, in.Credentials, core.APIOptions{RetPeriod: in.RetPeriod,
		ReturnType: in.ReturnType, UserRole: in.UserRole, Txn: in.Txn})
	if err != nil {
		return nil, err
	}
	return &headersOut{Headers: h}, nil
}

func opSessionObserve(in *sessionObserveIn) (*sessionObserveOut, error) {
	if in.Response.Status < 100 || in.Response.Status > 599 {
		return nil, invalid("response.status must be an HTTP status code")
	}
	res, err := core.ObserveAPIResponse(in.Session, &in.Response, core.APICall{SentAtMs: in.SentAtMs,
		ReceivedAtMs: in.ReceivedAtMs, AccessToken: in.AccessToken})
	if err != nil {
		return nil, err
	}
	return &sessionObserveOut{APIResult: res, Session: in.Session}, nil
}

func opSessionSeal(in *sessionSealIn) (*sealedOut, error) {
	sealed, err := core.SealSession(in.Session, core.SealKey{ID: in.KeyID, Key: in.Key}, nil)
	if err != nil {
		return nil, err
	}
	return &sealedOut{Sealed: sealed}, nil
}

func opSessionOpen(in *sessionOpenIn) (*sessionOut, error) {
	s, err := core.OpenSession(in.Sealed, in.Keys, in.Provider, in.Account)
	if err != nil {
		return nil, err
	}
	return &sessionOut{Session: s}, nil
}

func opNICTokenExpiry(in *nicTokenExpiryIn) (*expiresOut, error) {
	ms, err := core.ParseNICTokenExpiry(in.TokenExpiry)
	if err != nil {
		return nil, err
	}
	return &expiresOut{ExpiresAtMs: ms}, nil
}

func opGSTNHeaders(in *gstnHeadersIn) (*headersOut, error) {
	h, err := core.GSTNHeaders(in.Session, core.GSTNHeaderOptions{ClientSecret: in.Credentials.ClientSecret,
		RetPeriod: in.RetPeriod, ReturnType: in.ReturnType, UserRole: in.UserRole, Txn: in.Txn})
	if err != nil {
		return nil, err
	}
	return &headersOut{Headers: h}, nil
}
