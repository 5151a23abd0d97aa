package core

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gstauth/gstauth/gstcrypto"
)

const t0 = int64(1_767_225_600_000) // 2026-01-01T00:00:00Z

func tokenSession(p Provider, lifetimeMs int64) *Session {
	return &Session{Version: SessionVersion, Provider: p, Account: "acct", AccessToken: "tok",
		ObtainedAtMs: t0, ExpiresAtMs: t0 + lifetimeMs}
}

func TestPlanBoundaries(t *testing.T) {
	gstn := tokenSession(ProviderGSTN, 6*hour) // margin 10 min, leeway 30 s
	exp := gstn.ExpiresAtMs

	nicWide := tokenSession(ProviderNICEInvoice, 6*hour)
	nicWide.Config.RefreshMarginMs = 20 * minute // clamped to the 10-minute force-refresh window

	wb := tokenSession(ProviderWhiteBIT, 5*minute) // margin 60 s, leeway 5 s
	wb.RefreshToken, wb.RefreshExpiresAtMs = "r", t0+10*minute

	short := tokenSession(ProviderOAuthClientCredentials, 59*second) // margin 14.75 s, leeway 5.9 s

	window := tokenSession(ProviderGSTN, 6*hour)
	window.AccessWindowEndsAtMs = window.ExpiresAtMs // no refresh can extend it

	fast := tokenSession(ProviderWhiteBITFastKey, 4*hour) // no refresh, leeway 10 s

	nic := tokenSession(ProviderNICEInvoice, 6*hour)        // margin 8 min, leeway 30 s
	ewb := tokenSession(ProviderNICEWayBill, 6*hour)        // margin 10 min, leeway 30 s
	gateway := tokenSession(ProviderGatewayTask, 6*hour)    // margin 10 min, leeway 30 s, no refresh
	tiny := tokenSession(ProviderOAuthClientCredentials, 1) // 1 ms: leeway 1/10 → 0, margin 1/4 → 0

	tests := []struct {
		name   string
		s      *Session
		now    int64
		action Action
		state  string
		reason Reason
	}{
		{"gstn 1ms before refresh margin", gstn, exp - 10*minute - 1, ActionUse, "fresh", ReasonFresh},
		{"gstn at refresh margin", gstn, exp - 10*minute, ActionRefresh, "stale", ReasonRefreshDue},
		{"gstn 1ms before leeway", gstn, exp - 30*second - 1, ActionRefresh, "stale", ReasonRefreshDue},
		{"gstn at leeway: OTP needed", gstn, exp - 30*second, ActionUserAction, "expired", ReasonExpired},
		{"gstn long after expiry", gstn, exp + day, ActionUserAction, "expired", ReasonExpired},

		{"nic margin clamped into force window, 1ms before", nicWide, exp - 10*minute, ActionUse, "fresh", ReasonFresh},
		{"nic margin clamped into force window, at it", nicWide, exp - 10*minute + 1, ActionRefresh, "stale", ReasonRefreshDue},
		{"nic at leeway renews with password", nicWide, exp - 30*second, ActionRenew, "expired", ReasonExpired},

		{"whitebit 1ms before 60s margin", wb, t0 + 4*minute - 1, ActionUse, "fresh", ReasonFresh},
		{"whitebit at 60s margin", wb, t0 + 4*minute, ActionRefresh, "stale", ReasonRefreshDue},
		{"whitebit expired, refresh token alive", wb, t0 + 5*minute, ActionRenew, "expired", ReasonExpired},
		{"whitebit refresh token dead", wb, t0 + 10*minute, ActionUserAction, "expired", ReasonExpired},

		{"59s token margin clamped to a quarter, 1ms before", short, t0 + 59*second - 14750 - 1, ActionUse, "fresh", ReasonFresh},
		{"59s token margin clamped to a quarter, at it", short, t0 + 59*second - 14750, ActionRefresh, "stale", ReasonRefreshDue},
		{"59s token leeway clamped to a tenth", short, t0 + 59*second - 5900, ActionRenew, "expired", ReasonExpired},
		{"59s token 1ms before leeway", short, t0 + 59*second - 5901, ActionRefresh, "stale", ReasonRefreshDue},

		{"gstn access window ends with token: fresh 1ms before the margin", window, exp - 10*minute - 1, ActionUse, "fresh", ReasonFresh},
		{"gstn access window ends with token: stale at the margin, used to the end", window, exp - 10*minute, ActionUse, "stale", ReasonAccessWindowEnding},
		{"gstn access window ends with token: 1ms before the leeway", window, exp - 30*second - 1, ActionUse, "stale", ReasonAccessWindowEnding},
		{"gstn access window ends with token: then OTP", window, exp - 30*second, ActionUserAction, "expired", ReasonExpired},

		{"nic 1ms before the 8 min margin", nic, exp - 8*minute - 1, ActionUse, "fresh", ReasonFresh},
		{"nic at the 8 min margin", nic, exp - 8*minute, ActionRefresh, "stale", ReasonRefreshDue},
		{"nic 1ms before the leeway", nic, exp - 30*second - 1, ActionRefresh, "stale", ReasonRefreshDue},

		{"ewb 1ms before the 10 min margin", ewb, exp - 10*minute - 1, ActionUse, "fresh", ReasonFresh},
		{"ewb at the 10 min margin", ewb, exp - 10*minute, ActionRefresh, "stale", ReasonRefreshDue},
		{"ewb at the leeway renews with the password", ewb, exp - 30*second, ActionRenew, "expired", ReasonExpired},

		{"gateway 1ms before the margin", gateway, exp - 10*minute - 1, ActionUse, "fresh", ReasonFresh},
		{"gateway at the margin: stale, no refresh", gateway, exp - 10*minute, ActionUse, "stale", ReasonNoRefresh},
		{"gateway 1ms before the leeway", gateway, exp - 30*second - 1, ActionUse, "stale", ReasonNoRefresh},
		{"gateway at the leeway: OTP", gateway, exp - 30*second, ActionUserAction, "expired", ReasonExpired},

		{"fast key: fresh 1ms before the 15 min margin", fast, t0 + 4*hour - 15*minute - 1, ActionUse, "fresh", ReasonFresh},
		{"fast key: stale at the margin", fast, t0 + 4*hour - 15*minute, ActionUse, "stale", ReasonNoRefresh},
		{"fast key: use until leeway", fast, t0 + 4*hour - 10*second - 1, ActionUse, "stale", ReasonNoRefresh},
		{"fast key: consent at leeway", fast, t0 + 4*hour - 10*second, ActionUserAction, "expired", ReasonExpired},

		{"absurdly short 1 ms token: leeway 0, margin 0", tiny, t0, ActionUse, "fresh", ReasonFresh},
		{"absurdly short 1 ms token: expired at expiry", tiny, t0 + 1, ActionRenew, "expired", ReasonExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PlanSession(tc.s, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{string(p.Action), string(p.State), string(p.Reason)}
			want := []string{string(tc.action), tc.state, string(tc.reason)}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("plan (-want +got):\n%s\n%+v", d, p)
			}
			if p.Action == ActionUse && tc.now >= p.ExpiresAtMs {
				t.Errorf("plan uses a token at or past its expiry")
			}
		})
	}
}

func TestPlanInstants(t *testing.T) {
	window := tokenSession(ProviderGSTN, 6*hour)
	window.AccessWindowEndsAtMs = t0 + 30*day
	p, err := PlanSession(window, t0)
	if err != nil {
		t.Fatal(err)
	}
	// user_action_at: the window's end less the leeway (30 s), when the
	// last refreshed token stops being used.
	want := Plan{Action: ActionUse, State: "fresh", RefreshAtMs: t0 + 6*hour - 10*minute,
		ExpiresAtMs: t0 + 6*hour, UserActionAtMs: t0 + 30*day - 30*second, Reason: ReasonFresh}
	if d := cmp.Diff(want, p, cmpIgnoreMessage); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

var cmpIgnoreMessage = cmp.Transformer("nomsg", func(p Plan) Plan { p.Message = ""; return p })

func TestPlanStates(t *testing.T) {
	none := &Session{Version: SessionVersion, Provider: ProviderNICEInvoice, Account: "a"}
	gstnNone := &Session{Version: SessionVersion, Provider: ProviderGSTN, Account: "a"}
	rejected := tokenSession(ProviderOAuthClientCredentials, hour)
	rejected.recordRejected()
	rejectedGSTN := tokenSession(ProviderGSTN, 6*hour)
	rejectedGSTN.recordRejected()
	backoff := tokenSession(ProviderOAuthClientCredentials, hour)
	backoff.RetryNotBeforeMs = t0 + 58*minute
	expiredBackoff := tokenSession(ProviderOAuthClientCredentials, hour)
	expiredBackoff.RetryNotBeforeMs = t0 + 2*hour
	needsUser := tokenSession(ProviderOAuthClientCredentials, hour)
	needsUser.recordTerminal(&Error{Code: gstcrypto.CodeUserActionRequired, Message: "invalid_client"})

	tests := []struct {
		name      string
		s         *Session
		now       int64
		action    Action
		reason    Reason
		notBefore int64
	}{
		{"no token, credentials stored", none, t0, ActionRenew, ReasonNoToken, 0},
		{"no token, OTP needed", gstnNone, t0, ActionUserAction, ReasonNoToken, 0},
		{"rejected token renews", rejected, t0, ActionRenew, ReasonRejected, 0},
		{"rejected GSTN token needs OTP", rejectedGSTN, t0, ActionUserAction, ReasonRejected, 0},
		{"stale during backoff keeps using", backoff, t0 + 56*minute, ActionUse, ReasonBackoff, t0 + 58*minute},
		{"stale after backoff refreshes", backoff, t0 + 58*minute, ActionRefresh, ReasonRefreshDue, 0},
		{"expired during backoff renews later", expiredBackoff, t0 + hour, ActionRenew, ReasonExpired, t0 + 2*hour},
		{"terminal failure", needsUser, t0, ActionUserAction, ReasonNeedsUser, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PlanSession(tc.s, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			if p.Action != tc.action || p.Reason != tc.reason || p.NotBeforeMs != tc.notBefore {
				t.Errorf("got %s/%s not_before %d, want %s/%s %d", p.Action, p.Reason, p.NotBeforeMs, tc.action, tc.reason, tc.notBefore)
			}
		})
	}
}

func TestPlanRejectsBadSessions(t *testing.T) {
	tests := []struct {
		name string
		s    *Session
		now  int64
		code Code
	}{
		{"nil", nil, t0, gstcrypto.CodeInvalidInput},
		{"version", &Session{Version: 9, Provider: ProviderGSTN}, t0, gstcrypto.CodeInvalidInput},
		{"provider", &Session{Version: SessionVersion, Provider: "smtp"}, t0, gstcrypto.CodeConfigInvalid},
		{"token without expiry", &Session{Version: SessionVersion, Provider: ProviderGSTN, AccessToken: "x"}, t0, gstcrypto.CodeInvalidInput},
		{"negative now", tokenSession(ProviderGSTN, hour), -1, gstcrypto.CodeInvalidInput},
		{"negative lifetime", tokenSession(ProviderGSTN, -hour), t0, gstcrypto.CodeInvalidInput},
		{"zero lifetime", tokenSession(ProviderGSTN, 0), t0, gstcrypto.CodeInvalidInput},
		{"lifetime 1 ms over a year", tokenSession(ProviderGSTN, MaxLifetimeMs+1), t0, gstcrypto.CodeInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PlanSession(tc.s, tc.now)
			if gstcrypto.CodeOf(err) != tc.code {
				t.Errorf("got %v, want %s", err, tc.code)
			}
		})
	}
}

// TestPlanAbsurdLifetimeIsConservative: a stored lifetime that makes no
// sense never yields a plan that uses the token past its expiry.
func TestPlanAbsurdLifetimeIsConservative(t *testing.T) {
	s := tokenSession(ProviderOAuthClientCredentials, 2*366*day)
	s.ObtainedAtMs = 0
	for _, now := range []int64{s.ExpiresAtMs - 1, s.ExpiresAtMs, s.ExpiresAtMs + 1} {
		p, err := PlanSession(s, now)
		if err != nil {
			t.Fatal(err)
		}
		if p.Action == ActionUse || p.Action == ActionRefresh {
			t.Errorf("now=exp%+d: %s", now-s.ExpiresAtMs, p.Action)
		}
	}
}

// TestJitterFormula recomputes the documented formula independently.
func TestJitterFormula(t *testing.T) {
	for _, tc := range []struct {
		seed   string
		exp    int64
		spread int64
	}{{"fleet-a", t0, 120000}, {"fleet-b", t0, 120000}, {"x", 1, 1}, {"", t0, 1000}, {"s", t0, 0}} {
		got := jitter(tc.seed, tc.exp, tc.spread)
		var want int64
		if tc.seed != "" && tc.spread > 0 {
			msg := append([]byte("gstauth jitter v1\x00"+tc.seed+"\x00"), make([]byte, 8)...)
			binary.BigEndian.PutUint64(msg[len(msg)-8:], uint64(tc.exp))
			sum := sha256.Sum256(msg)
			want = int64(binary.BigEndian.Uint64(sum[:8]) % uint64(tc.spread+1))
		}
		if got != want || got < 0 || got > max(tc.spread, 0) {
			t.Errorf("jitter(%q,%d,%d) = %d, want %d", tc.seed, tc.exp, tc.spread, got, want)
		}
	}
	if jitter("fleet-a", t0, 120000) == jitter("fleet-b", t0, 120000) {
		t.Errorf("different seeds should spread (astronomically unlikely to collide)")
	}
}

func TestEstimateSkew(t *testing.T) {
	date := "Thu, 01 Jan 2026 00:00:10 GMT" // t0 + 10 s
	tests := []struct {
		name     string
		headers  map[string]string
		sent     int64
		received int64
		want     int64
		code     Code
	}{
		{"midpoint", map[string]string{"Date": date}, t0, t0 + 2000, 9000, ""},
		{"lower-case header", map[string]string{"date": date}, t0 + 10000, t0 + 10000, 0, ""},
		{"server behind", map[string]string{"Date": date}, t0 + 70000, t0 + 70000, -60000, ""},
		{"cached", map[string]string{"Date": date, "Age": "3"}, t0, t0, 0, gstcrypto.CodeInvalidInput},
		{"missing", nil, t0, t0, 0, gstcrypto.CodeInvalidInput},
		{"garbage", map[string]string{"Date": "yesterday"}, t0, t0, 0, gstcrypto.CodeInvalidInput},
		{"received before sent", map[string]string{"Date": date}, t0 + 1, t0, 0, gstcrypto.CodeInvalidInput},
		{"more than a day off", map[string]string{"Date": "Sat, 03 Jan 2026 00:00:10 GMT"}, t0, t0, 0, gstcrypto.CodeInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := estimateSkew(&HTTPResponse{Status: 200, Headers: tc.headers}, tc.sent, tc.received)
			if tc.code != "" {
				if gstcrypto.CodeOf(err) != tc.code {
					t.Fatalf("got %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    int64
	}{
		{"seconds", map[string]string{"Retry-After": "7"}, 7000},
		{"date relative to Date", map[string]string{"Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT", "Date": "Thu, 01 Jan 2026 00:00:10 GMT"}, 20000},
		{"date in the past", map[string]string{"Retry-After": "Thu, 01 Jan 2026 00:00:00 GMT", "Date": "Thu, 01 Jan 2026 00:00:10 GMT"}, 0},
		{"capped", map[string]string{"Retry-After": "999999999"}, hour},
		{"negative", map[string]string{"Retry-After": "-5"}, 0},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseRetryAfter(&HTTPResponse{Headers: tc.headers}, t0); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

// TestPlanJitterFromSeed: with a seed, refresh_at moves earlier by
// jitter(seed, expires_at, margin/5), the same on every host.
func TestPlanJitterFromSeed(t *testing.T) {
	s := tokenSession(ProviderGSTN, 6*hour)
	s.Config.JitterSeed = "fleet-7"
	j := jitter("fleet-7", s.ExpiresAtMs, 10*minute*200/1000)
	if j <= 0 || j > 2*minute {
		t.Fatalf("jitter %d outside (0, 2 min]", j)
	}
	at := s.ExpiresAtMs - 10*minute - j
	p := mustPlan(t, s, at-1, ActionUse, ReasonFresh)
	if p.RefreshAtMs != at {
		t.Fatalf("refresh_at %d, want %d", p.RefreshAtMs, at)
	}
	mustPlan(t, s, at, ActionRefresh, ReasonRefreshDue)
	// Another seed, another instant: the fleet spreads.
	s.Config.JitterSeed = "fleet-8"
	if p2, _ := PlanSession(s, t0); p2.RefreshAtMs == p.RefreshAtMs {
		t.Errorf("two seeds gave the same instant (astronomically unlikely)")
	}
}

// TestPlanLifetimeOfAYearIsAccepted: the bound itself is not absurd.
func TestPlanLifetimeOfAYearIsAccepted(t *testing.T) {
	s := tokenSession(ProviderNICEWayBill, MaxLifetimeMs)
	p := mustPlan(t, s, t0, ActionUse, ReasonFresh)
	if p.RefreshAtMs != s.ExpiresAtMs-10*minute-0 {
		t.Fatalf("%+v", p)
	}
}
