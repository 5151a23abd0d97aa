// Package core is gstauth's pure-Go, sans-I/O auth core for the GST system:
// the GSTN taxpayer API, the NIC e-invoice and e-way bill APIs, the OAuth 2.0
// gateways in front of them, and WhiteBIT.
//
// The core never opens a socket, reads a file, an environment variable or
// the wall clock. Time ("now", Unix milliseconds) and extra entropy are
// parameters; the core returns the request to send and the decision to take,
// and the host sends the request with its own HTTP client and hands the
// response back. That is what lets one core serve Go, Python, Java and Node
// through the Extism plugin and the C shared library.
//
// Every error is an [*Error] with a stable [Code].
//
// # The token lifecycle
//
// A [Session] holds one account's token of one provider. The host asks
// [PlanSession] what to do at an instant and gets one of four actions:
//
//   - use: the token is fresh (or stale but nothing can or may be done
//     yet); send API calls with it.
//   - refresh: the token is still valid but due; build the planner's
//     request with [BuildRequest] (one caller at a time) and keep using the
//     token meanwhile.
//   - renew: the token is unusable; get a new one with the stored
//     credentials (a password, a client secret, a live refresh token). No
//     person is needed.
//   - user_action: a person must act: give an OTP, consent again, or fix a
//     credential. Plan.Message says which.
//
// [BuildRequest] returns the HTTP request and records in the session what
// its answer needs (the fresh app key, a PKCE verifier); [ParseResponse]
// reads the answer, stores the new token or records the failure. After an
// ordinary API call, [ObserveAPIResponse] measures the clock skew,
// classifies the answer through the error catalogue and marks the token
// rejected when the provider says it is no longer valid. Seal the session
// with [SealSession] before storing it.
//
// # Timing rules
//
// Instants are Unix milliseconds of the host's clock. obtained_at is taken
// when the request was built, before it was sent, so a lifetime is never
// overestimated. Instants a server states in its own clock (NIC
// TokenExpiry, a JWT exp) are converted with the skew measured from the
// Date header of the same exchange: skew = Date − (sent+received)/2
// (smithy-rs); a response with an Age header, or a skew over a day, is
// ignored. From the token and the provider's policy (table below):
//
//	expires_at   = the token's expiry, capped by the GSTN access window's end
//	lifetime     = expires_at − obtained_at (the provider default when unknown)
//	leeway       = min(policy leeway, lifetime/10)
//	usable_until = expires_at − leeway          the token is never used from here on
//	margin       = min(config.refresh_margin_ms or policy margin, lifetime/4)
//	jitter       = jitter(config.jitter_seed, expires_at, margin·jitter‰/1000)
//	refresh_at   = expires_at − margin − jitter
//	               NIC e-invoice: ≥ expires_at − 10 min + 1 (ForceRefreshAccessToken window)
//	               and always ≤ usable_until
//
// Before refresh_at the token is fresh; from refresh_at it is stale (refresh,
// or use with a warning when nothing can extend it); from usable_until it is
// expired (renew or user_action). user_action_at is when a person will have
// to act even if every refresh succeeds: usable_until of a token nothing can
// extend, or the access window's end less the leeway. [jitter] is
// SHA-256("gstauth jitter v1" ‖ 0x00 ‖ seed ‖ 0x00 ‖ int64be(expires_at)),
// first 8 bytes big-endian mod (spread+1): every language computes the same
// instant, and different seeds spread a fleet's refreshes.
//
// A stated lifetime of zero, below zero or over a year ([MaxLifetimeMs]) is
// refused: the response gives an error and the token is not stored, and a
// session holding such a token fails [Session.Validate]. No plan ever uses
// a token at or after usable_until.
//
// # Failures
//
// Every failed exchange does one of two things, so no plan repeats it at
// once: it asks for a person (Session.NeedsUser; the plan says user_action
// until a new token arrives — once the cause is fixed, the host names the
// step to send again), or it backs off (Session.RetryNotBeforeMs; the
// plan's not_before_ms). A stale certificate (GSTN TEC4002) does neither:
// the host loads the current certificate and retries once, at once. The
// wait after the n-th consecutive failure is max(Retry-After or the
// catalogue's wait, min(1 s·2^(n−1), 5 min) + jitter(seed, n, that/5));
// Retry-After is read as seconds or an HTTP-date and capped at an hour (a
// number of seconds too large for an int64 is the hour, never the
// shortest wait). A stale token stays in use during the backoff
// (Azure.Core, AWS). Session.LastError keeps the last failure until the
// next successful exchange, so every process sharing the session sees why;
// Session.Failures counts the failed exchanges since the last token. An
// API call's retry_later carries retry_after_ms only when the provider or
// the catalogue states a wait (Retry-After, e-way bill 118, GEN5005, the
// outage markers); otherwise the host chooses its own.
//
// # The error catalogue
//
// What each known code of the GST services means is data, catalogue.json,
// which [ParseResponse] (the answers to authentication requests) and
// [ObserveAPIResponse] (ordinary API calls) both read. Each code has a
// class, the [Outcome] the host sees:
//
//	reauthenticate     the token is no longer valid: the session is marked rejected, the plan renews it
//	                   (or, where only a person can, says user_action), and the host replays the call
//	                   once after a new token; the error is reauth_required (user_action_required for
//	                   GSTN and gateway task sessions, whose renewal needs an OTP)
//	user_action        a person must act (user_action_required)
//	configuration      the configuration is wrong (config_invalid)
//	retry_later        retry after retry_after_ms (rate_limited for 429, GEN5005 and e-way bill 118,
//	                   else provider_error; retryable either way)
//	no_data            a normal empty answer: not a failure (API calls only)
//	stale_certificate  the provider's public certificate the host holds is stale (certificate_stale)
//	provider_error     the provider's own error about the request (provider_error)
//
// A code's class applies to API calls; its during_auth class, when given,
// to the answer to OTPREQUEST or AUTHTOKEN (there GSTN's AUTH4033 is a
// wrong or expired OTP, which a person must give again). When one answer
// carries several codes (an e-way bill "106,238"), the class that asks most
// of the host wins: reauthenticate, stale_certificate, configuration,
// user_action, retry_later, provider_error, no_data; among codes of one
// class, the first. GSP outage markers (GSPGSTDOWN, ...) are matched in
// the provider's message; HTTP statuses (401, 429, 504, other 5xx) in the
// catalogue too: a body's known code wins over its status, except that an
// unknown code under a status the catalogue knows takes the status's
// class. A gateway task session's 401 is about the gateway's own token,
// never this session's. Unknown codes are provider_error; during
// authentication an unknown e-invoice code is retried with backoff, an
// unknown e-way bill code stops for a person (its credential errors are not
// all listed, and a wrong password must not be repeated), and an unknown
// GSTN code backs off.
//
// # Host calls
//
// [Ensure] is the refresh decision every host makes the same way (its doc
// has the loop; docs/hosts.md the whole of it). [APIHeaders] gives the
// headers of an ordinary call, [EncryptRequestBody] and
// [DecryptResponseBody] the payload envelopes, [ObserveAPIResponse] the
// outcome of the answer.
//
// # Lifetimes table
//
// Margins, leeways and jitter are gstauth's choices, tuned to each
// provider's lifetime (tokens.md: "clamp it to a fraction of the lifetime";
// AWS scales its window with the lifetime); the lifetimes and error codes
// are the providers' own, with their sources.
//
//	provider                  lifetime (source)                          margin  leeway  jitter  refreshed by
//	gstn                      expiry minutes, ≈6 h (IC taxpayer_base.py)  10 min  30 s    ≤20 %   REFRESHTOKEN, before expiry only (Sandbox.co.in)
//	                          capped by the API-access window, 6 h–30 d (GST portal; config.access_window_ms)
//	nic_einvoice              TokenExpiry, IST; 360 min, 60 in sandbox    8 min   30 s    ≤20 %   ForceRefreshAccessToken, last 10 min only (NIC v1.04)
//	nic_ewaybill              not stated: 6 h assumed (NIC EWB v1.03)     10 min  30 s    ≤20 %   a new ACCESSTOKEN with the password
//	gateway_task              expiry minutes, ≈6 h (task API docs)        10 min  30 s    none    nothing: a new OTP (user_action_at)
//	oauth_client_credentials  expires_in; 1 h WhiteBooks, 900 s OneFinOps 5 min   10 s    ≤20 %   refresh token while it lives, else the grant
//	                          (10 min when missing, after MSAL)
//	oauth_password            expires_in; 3600 s Masters India            5 min   10 s    ≤20 %   refresh token, else the grant
//	oauth_authorization_code  expires_in (RFC 6749 §5.1)                  5 min   10 s    ≤20 %   refresh token; else a new consent
//	whitebit                  300 s; refresh token 600 s (WhiteBIT docs)  60 s    5 s     ≤20 %   /oauth2/refresh_token; else a new consent
//	whitebit_fast_key         4 h, no refresh token (WhiteBIT docs)       15 min  10 s    none    nothing: a new consent (user_action_at)
//
// Every margin is clamped to a quarter of the lifetime and every leeway to
// a tenth, so a 59 s token is refreshed 14.75 s before it ends and dropped
// 5.9 s before (authlib #716: a 60 s leeway outlives a 59 s token).
//
// Error handling beyond the catalogue (the gst-protocols reference unless
// named):
//
//	nic_ewaybill  error = b64(json {"errorCodes":"238,..."}) (or the plain object).
//	gateway_task  the answer to getAuthToken: HTTP 400/422 → user_action (a wrong or expired OTP); 401 → reauth_required for the
//	              gateway's own token, this session unchanged; 404 → config_invalid; 429/5xx → retryable.
//	OAuth         RFC 6749 §5.2: invalid_grant on a refresh drops the refresh token (§6); client
//	              credentials and password grants then grant again, code flows keep the current token
//	              and ask the user when it ends; invalid_grant on a grant, invalid_client,
//	              unauthorized_client → user_action; invalid_scope, unsupported_grant_type,
//	              invalid_request → config_invalid; slow_down, 429, 5xx → retryable.
//	whitebit      responses wrapped in {"data":...}; any 400/401/403/404/422 from the refresh endpoint
//	              drops the refresh token (a bad secret and a dead token look alike there); refreshes
//	              at most once a second.
//
// # Session JSON (version 2)
//
// A session serialises with encoding/json (json.Marshal of [Session]):
// snake_case fields, empty ones omitted, binary values standard base64.
// [ParseSession] rejects unknown fields and other versions, but reads
// version 1 and upgrades it: its Info "secret" became secret_in_use and its
// Info "token_cnf_x5t_s256" and "token_cnf_source" became token_binding.
//
//	version                   2
//	provider, account         who the session is for (bound into sealed sessions)
//	config                    non-secret configuration ([Config])
//	access_token, refresh_token
//	obtained_at_ms            when the request that produced the token was sent
//	expires_at_ms             the token's expiry, host clock
//	refresh_expires_at_ms     the refresh token's expiry (0: unknown or none)
//	access_window_ends_at_ms  end of the GSTN API-access window (AUTHTOKEN time + config.access_window_ms,
//	                          or set by the host)
//	user_action_at_ms         a deadline after which a person must act, set by the host or a provider
//	sek, app_key              the session key and the app key it was issued for
//	otp_app_key               the app key of a GSTN OTPREQUEST, reused by its AUTHTOKEN
//	nonce                     the last nonce of signed requests (WhiteBIT)
//	skew_ms, skew_measured_at_ms
//	rejected, needs_user      the provider refused the token; why a person must act
//	retry_not_before_ms, failures
//	last_error                the last failure ({code, message, provider_code, ...}) until the next success
//	secret_in_use             the client secret of a rotation that last worked: current or previous
//	token_binding             {x5t_s256, source: cnf | presented}: the certificate the token is bound to
//	pending                   the request in flight: step, sent_at_ms, app_key, code_verifier, state, ...
//	info                      non-secret facts from responses, for information only (scope, aud, the
//	                          gateway's patron id): nothing reads it back
//
// # Sealed sessions
//
// See [SealSession] for the format: "gstauth-session.v1.<key id>.<provider>.
// <base64url account>.<base64url XChaCha20-Poly1305 box>", the header bound
// as associated data.
package core
