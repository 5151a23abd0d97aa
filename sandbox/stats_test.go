package sandbox

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// statsOf returns the counts of one session, read over HTTP.
func (g *rig) statsOf(session string) SessionStats {
	g.t.Helper()
	raw, _ := g.call("GET", "/_sandbox/stats", nil, nil)
	var body struct {
		Sessions []SessionStats `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(raw), &body); err != nil {
		g.t.Fatal(err)
	}
	for _, s := range body.Sessions {
		if s.Session == session {
			return s
		}
	}
	return SessionStats{Session: session}
}

// TestStatsGSTN: OTP requests, logins while a token is alive, refreshes and
// calls with an expired token are counted on one session, the user within
// the state, across the whole token chain.
func TestStatsGSTN(t *testing.T) {
	g := newRig(t, Options{TokenLifetime: time.Hour})
	h := gstnHeaders("27")
	l := g.gstnLogin(h, 32) // OTPREQUEST, AUTHTOKEN
	l = g.gstnLogin(h, 24)  // again while the first token lives: a re-authentication
	l, _ = g.gstnRefresh(h, l, 32)
	l, _ = g.gstnRefresh(h, l, 16)
	g.advance(time.Hour)
	g.gstnSave(gstnHeaders("27", "gstin", gstin, "username", Username), l, map[string]any{}) // expired
	g.gstnRefresh(h, l, 32)                                                                  // a refresh too late: expired as well
	g.gstnLogin(h, 32)                                                                       // no token alive: not a re-authentication
	want := SessionStats{Session: "gstn/27/sandbox_user", API: "gstn", ClientID: ClientID, StateCd: "27", Username: Username,
		OTPRequests: 3, AuthRequests: 3, ReauthRequests: 1, RefreshRequests: 3, ExpiredTokenRequests: 2}
	if diff := cmp.Diff(want, g.statsOf(want.Session)); diff != "" {
		t.Fatalf("(-want +got)\n%s", diff)
	}
	// Another state is another session.
	g.gstnLogin(gstnHeaders("29"), 32)
	if st := g.statsOf("gstn/29/sandbox_user"); st.AuthRequests != 1 || st.ReauthRequests != 0 {
		t.Fatalf("%+v", st)
	}
}

// TestStatsNIC: e-invoice logins inside the validity are re-authentications
// and ForceRefreshAccessToken ones refreshes; every e-way bill login while a
// token lives is a re-authentication.
func TestStatsNIC(t *testing.T) {
	g := newRig(t, Options{TokenLifetime: 30 * time.Minute})
	l, _ := g.einvAuth(gstin, 32, false)
	g.einvAuth(gstin, 32, false)         // same token back: a re-authentication
	g.advance(25 * time.Minute)          // the last 10 minutes
	l2, _ := g.einvAuth(gstin, 32, true) // a refresh
	if m, _ := g.generateIRN(einvHeaders(gstin), l, testEInvoice(gstin, "S/1")); errorCodeOf(t, m) != "1005" {
		t.Fatalf("the replaced token: %v", m) // replaced, not expired: not counted
	}
	g.advance(30 * time.Minute)
	g.generateIRN(einvHeaders(gstin), l2, testEInvoice(gstin, "S/2")) // expired
	g.generateIRN(einvHeaders(gstin), l2, testEInvoice(gstin, "S/3")) // expired
	want := SessionStats{Session: "einvoice/sandbox-client/" + gstin + "/sandbox_user", API: "einvoice", ClientID: ClientID,
		GSTIN: gstin, StateCd: "27", Username: Username, AuthRequests: 3, ReauthRequests: 1, RefreshRequests: 1, ExpiredTokenRequests: 2}
	if diff := cmp.Diff(want, g.statsOf(want.Session)); diff != "" {
		t.Fatalf("e-invoice (-want +got)\n%s", diff)
	}

	e, _ := g.ewbAuth(gstin, b64(randomBytes(32)))
	g.ewbAuth(gstin, b64(randomBytes(32))) // while e lives
	g.advance(time.Hour)
	g.generateEWB(ewbHeaders(gstin), e, []byte(`{}`)) // e was replaced: 238, not counted
	g.ewbAuth(gstin, b64(randomBytes(32)))            // no token alive
	want = SessionStats{Session: "ewaybill/sandbox-client/" + gstin + "/sandbox_user", API: "ewaybill", ClientID: ClientID,
		GSTIN: gstin, StateCd: "27", Username: Username, AuthRequests: 3, ReauthRequests: 1}
	if diff := cmp.Diff(want, g.statsOf(want.Session)); diff != "" {
		t.Fatalf("e-way bill (-want +got)\n%s", diff)
	}
	e, _ = g.ewbAuth(otherGSTIN, b64(randomBytes(32)))
	g.advance(time.Hour)
	g.generateEWB(ewbHeaders(otherGSTIN), e, []byte(`{}`))
	if st := g.statsOf("ewaybill/sandbox-client/" + otherGSTIN + "/sandbox_user"); st.ExpiredTokenRequests != 1 || st.AuthRequests != 1 {
		t.Fatalf("%+v", st)
	}
}

// TestStatsReset: DELETE /_sandbox/stats clears the counts, not the
// sessions.
func TestStatsReset(t *testing.T) {
	g := newRig(t, Options{})
	g.gstnLogin(gstnHeaders("27"), 32)
	if raw, _ := g.call("DELETE", "/_sandbox/stats", nil, nil); raw != "{\"sessions\":[]}\n" {
		t.Fatalf("%q", raw)
	}
	if raw, _ := g.call("GET", "/_sandbox/stats", nil, nil); raw != "{\"sessions\":[]}\n" {
		t.Fatalf("%q", raw)
	}
	g.gstnLogin(gstnHeaders("27"), 32) // the token from before the reset is alive
	if st := g.statsOf("gstn/27/sandbox_user"); st.AuthRequests != 1 || st.ReauthRequests != 1 || st.OTPRequests != 1 {
		t.Fatalf("%+v", st)
	}
}
