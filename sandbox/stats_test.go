package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
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

// TestStatsDuplicateRefreshes: a second refresh of one window is counted
// as a duplicate: GSTN, the REFRESHTOKEN of a token another REFRESHTOKEN
// replaced; e-invoice, a forced refresh while the live token is in the
// first half of its lifetime.
func TestStatsDuplicateRefreshes(t *testing.T) {
	g := newRig(t, Options{TokenLifetime: time.Hour})
	h := gstnHeaders("27")
	first := g.gstnLogin(h, 32)
	g.advance(50 * time.Minute)
	second, _ := g.gstnRefresh(h, first, 32)
	if _, m := g.gstnRefresh(h, first, 32); errorCodeOf(t, m) != "AUTH4033" {
		t.Fatalf("refreshing the replaced token again: %v", m)
	}
	g.gstnRefresh(h, second, 32) // early, but of the live token: no duplicate
	if st := g.statsOf("gstn/27/sandbox_user"); st.RefreshRequests != 3 || st.DuplicateRefreshRequests != 1 {
		t.Fatalf("GSTN %+v, want 3 refreshes of which 1 duplicate", st)
	}

	g = newRig(t, Options{TokenLifetime: 20 * time.Minute})
	g.einvAuth(gstin, 32, false)
	g.advance(15 * time.Minute)
	g.einvAuth(gstin, 32, true) // at 3/4 of the lifetime: a refresh
	g.advance(9 * time.Minute)
	g.einvAuth(gstin, 32, true) // 9 of 20 minutes into the new token: a duplicate
	g.advance(time.Minute)
	g.einvAuth(gstin, 32, true) // at half the lifetime: a refresh again
	st := g.statsOf("einvoice/sandbox-client/" + gstin + "/sandbox_user")
	if st.RefreshRequests != 3 || st.DuplicateRefreshRequests != 1 {
		t.Fatalf("e-invoice %+v, want 3 refreshes of which 1 duplicate", st)
	}
}

// TestStallDropsARequestWhoseClientLeft: a stalled request is handled once
// the wait is over; one whose client went away meanwhile never is.
func TestStallDropsARequestWhoseClientLeft(t *testing.T) {
	g := newRig(t, Options{TokenLifetime: time.Hour})
	h := gstnHeaders("27")
	l := g.gstnLogin(h, 32)
	refresh := func(ctx context.Context) error {
		b, _ := json.Marshal(map[string]string{"action": "REFRESHTOKEN", "app_key": b64(ecbEncrypt(l.ek, randomBytes(32))),
			"username": Username, "auth_token": l.token})
		req, _ := http.NewRequestWithContext(ctx, "POST", g.base+"/taxpayerapi/v1.0/authenticate", bytes.NewReader(b))
		for k, v := range h {
			req.Header[k] = []string{v}
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	g.srv.Inject(Fault{Kind: "stall", DelayMs: 1000, PathPrefix: "/taxpayerapi/v1.0/authenticate"})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := refresh(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a client that gave up: %v", err)
	}
	time.Sleep(1200 * time.Millisecond) // past the stall
	if st := g.statsOf("gstn/27/sandbox_user"); st.RefreshRequests != 0 {
		t.Fatalf("%+v: the abandoned refresh was handled", st)
	}
	g.srv.Inject(Fault{Kind: "stall", DelayMs: 100})
	if err := refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := g.statsOf("gstn/27/sandbox_user"); st.RefreshRequests != 1 {
		t.Fatalf("%+v: the patient refresh was not handled", st)
	}
}

// TestGSTINDetails: a business call with the e-invoice token, answered
// under the SEK; a text that is no GSTIN is 3028.
func TestGSTINDetails(t *testing.T) {
	g := newRig(t, Options{})
	l, _ := g.einvAuth(gstin, 32, false)
	h := einvHeaders(gstin, "AuthToken", l.token, "user_name", Username)
	_, m := g.call("GET", "/eivital/v1.03/Master/gstin/29AABCU9603R1ZJ", h, nil)
	var d map[string]any
	if m["Status"] != float64(1) || json.Unmarshal(ecbDecrypt(t, l.sek, unb64(t, m["Data"].(string))), &d) != nil || d["Gstin"] != "29AABCU9603R1ZJ" {
		t.Fatalf("GSTIN details: %v %v", m, d)
	}
	if _, m := g.call("GET", "/eivital/v1.03/Master/gstin/NOTAGSTIN", h, nil); errorCodeOf(t, m) != "3028" {
		t.Fatalf("not a GSTIN: %v", m)
	}
	h["AuthToken"] = "einv-unknown"
	if _, m := g.call("GET", "/eivital/v1.03/Master/gstin/29AABCU9603R1ZJ", h, nil); errorCodeOf(t, m) != "1005" {
		t.Fatalf("unknown token: %v", m)
	}
}
