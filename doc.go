// Package gstauth is the Go host of gstauth's auth core: it keeps the
// tokens of the GSTN taxpayer API, NIC e-invoice and e-way bill, OAuth 2.0
// gateways and WhiteBIT alive over the application's own *http.Client, and
// makes the API calls with them.
//
// The core (package core, and the payload cryptography in gstcrypto) is
// sans-I/O: it decides, builds requests and reads answers. This package
// does what docs/hosts.md asks of every host, in Go: it sends, stores and
// locks.
//
//   - A [Session] is one account of one provider. [Session.Token] returns a
//     token to call with, refreshing it single-flight: at the refresh
//     margin one goroutine refreshes while the others keep using the valid
//     token; when the token is unusable, one renews it and the others wait
//     (as long as their context allows). Credentials stay out of the
//     session's state and out of sealed sessions; OnChange tells the
//     application when to store [Session.Seal]'s output, and [Open]
//     restores it, so a restart costs the taxpayer no OTP.
//   - Flows a person drives are one call per step: [Session.RequestOTP]
//     and [Session.Authenticate] for a GSTN OTP, [Session.AuthorizationURL]
//     and [Session.CompleteAuthorization] for an OAuth authorization code,
//     [Session.Exchange] for any step the core knows (core.Steps).
//   - A [Transport] is an http.RoundTripper that makes API calls with the
//     session: the provider's headers, the payload encrypted and the
//     answer decrypted (GSTN, NIC), the token renewed and the call replayed
//     once when the provider rejects it.
//   - Many processes share one session through a [Store] ([FileStore] on
//     one machine, [RedisStore] across machines) when [Options].Shared is
//     set: one process refreshes per window, under the store's lease, and
//     writes the result with a compare-and-set that the others read
//     ([Shared]; docs/hosts.md, "Many processes").
//
// Every decision is the core's: a host never writes a provider's header
// name, error code or refresh instant, so this package behaves exactly as
// the Python, Java and Node hosts do. Errors from the core are
// *gstcrypto.Error (core.Error is the same type) with a stable Code:
// user_action_required when a person must act (an OTP, a consent, a
// refused password); during a backoff, the failure that caused it
// (rate_limited after a 429), Retryable with RetryAfterMs; and so on.
// errors.As finds them through net/http's *url.Error.
//
// Time and randomness are options ([Options].Clock, [Options].Random), so
// tests run the whole lifecycle on a fixed clock. The server's clock skew
// is measured from the Date header of every exchange and API call, with
// the host's instants around it.
package gstauth
