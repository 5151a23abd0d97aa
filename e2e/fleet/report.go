package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// report reads the servers' counts and the workers' summaries, prints
// them, and checks the fleet's promise: exactly one refresh per session per
// window, no request with an expired token, no OTP request after the
// first.
func (r *run) report() {
	sc, res := r.sc, r.res
	var langs []string
	for _, l := range r.env.languages {
		langs = append(langs, fmt.Sprintf("%s ×%d", l.name, sc.perLanguage))
	}
	res.printf("== fleet %s: store %s; workers %s; %s each, one call per session every 0.7 s; lease %s",
		sc.name, r.spec, strings.Join(langs, ", "), sc.duration, sc.leaseTTL)
	r.mu.Lock()
	for _, n := range r.notes {
		res.printf("   %s", n)
	}
	r.mu.Unlock()

	// The workers' own accounts.
	calls, refreshes := map[string]int64{}, map[string]int64{}
	byLanguage := map[string][2]int64{} // calls, exchanges
	killed, reported := 0, 0
	for _, w := range r.workers {
		w.mu.Lock()
		switch {
		case w.killed:
			killed++
		case w.summary == nil:
			res.expect(false, "worker %s (%s) printed no summary line (exit: %v); its log ends:\n%s", w.name, w.language, w.exitErr, w.logTail(15))
		default:
			reported++
			s := w.summary
			for k, v := range s.Calls {
				calls[k] += v
			}
			for k, v := range s.Refreshes {
				refreshes[k] += v
			}
			t := byLanguage[w.language]
			for _, v := range s.Calls {
				t[0] += v
			}
			for _, v := range s.Refreshes {
				t[1] += v
			}
			byLanguage[w.language] = t
			res.expect(s.Worker == w.name && s.Language == w.language, "worker %s (%s) reported itself as %s (%s)", w.name, w.language, s.Worker, s.Language)
			res.expect(len(s.Errors) == 0, "worker %s: %d unexpected failures, the first: %s", w.name, len(s.Errors), strings.Join(s.Errors[:min(3, len(s.Errors))], " | "))
			res.expect(w.exitErr == nil, "worker %s exited with %v", w.name, w.exitErr)
			for _, name := range sc.sessions {
				res.expect(s.Calls[name] > 0, "worker %s made no %s call", w.name, name)
			}
			res.expect(len(w.badLines) == 0, "worker %s printed more than its summary on stdout: %q", w.name, w.badLines)
		}
		w.mu.Unlock()
	}
	var per []string
	for _, l := range r.env.languages {
		t := byLanguage[l.name]
		per = append(per, fmt.Sprintf("%s %d calls, %d exchanges", l.name, t[0], t[1]))
	}
	res.printf("   workers: %d summaries, %d killed on purpose; %s", reported, killed, strings.Join(per, "; "))
	exact := killed == 0 // a killed worker's refreshes are in no summary

	// windows bounds the refreshes a session can have had since from: a
	// refresh comes no earlier than 70 % into a token's life (margins are
	// at most a quarter of the lifetime, jitter a fifth of the margin), so
	// more refreshes than this are more than one per window.
	windows := func(from time.Time, lifetime time.Duration) int64 {
		return int64(r.end.Sub(from)/(lifetime*7/10)) + 1
	}
	checkRefreshes := func(session string, n, bound int64) {
		if sc.exactRefreshes > 0 {
			res.expect(n == sc.exactRefreshes, "%s: %d refreshes, want %d", session, n, sc.exactRefreshes)
			return
		}
		res.expect(n >= sc.minRefreshes, "%s: %d refreshes, want at least %d (one per window)", session, n, sc.minRefreshes)
		res.expect(n <= bound, "%s: %d refreshes in a run that holds at most %d windows: more than one per window", session, n, bound)
	}

	emu, err := r.emu.stats()
	res.expect(err == nil, "reading the emulator's counts: %v", err)
	if slices.Contains(sc.sessions, "gstn") {
		s := emu[gstnStats]
		bound := windows(r.loginAt, time.Minute) // GSTN states lifetimes in whole minutes
		res.printf("   gstn      emulator: OTP requests %d, logins %d, refreshes %d (duplicate %d), expired-token requests %d | workers: %d calls, %d refreshes",
			s.OTPRequests, s.AuthRequests, s.RefreshRequests, s.DuplicateRefreshRequests, s.ExpiredTokenRequests, calls["gstn"], refreshes["gstn"])
		res.expect(s.OTPRequests == 1, "gstn: %d OTP requests, want the login's one", s.OTPRequests)
		res.expect(s.AuthRequests == 1, "gstn: %d logins, want 1", s.AuthRequests)
		checkRefreshes("gstn", s.RefreshRequests, bound)
		res.expect(s.DuplicateRefreshRequests == 0, "gstn: %d duplicate refreshes (a token refreshed twice)", s.DuplicateRefreshRequests)
		res.expect(s.ExpiredTokenRequests == 0, "gstn: %d requests with an expired token", s.ExpiredTokenRequests)
		res.expect(!exact || refreshes["gstn"] == s.RefreshRequests, "gstn: the workers count %d refreshes, the emulator %d", refreshes["gstn"], s.RefreshRequests)
	}
	if slices.Contains(sc.sessions, "einvoice") {
		s := emu[einvStats]
		bound := windows(r.start, sc.tokenLifetime)
		res.printf("   einvoice  emulator: logins %d (while a token lived %d), refreshes %d (duplicate %d), expired-token requests %d | workers: %d calls, %d exchanges",
			s.AuthRequests-s.RefreshRequests, s.ReauthRequests, s.RefreshRequests, s.DuplicateRefreshRequests, s.ExpiredTokenRequests, calls["einvoice"], refreshes["einvoice"])
		res.expect(s.AuthRequests-s.RefreshRequests == 1, "einvoice: %d logins besides the refreshes, want the first one only", s.AuthRequests-s.RefreshRequests)
		res.expect(s.ReauthRequests == 0, "einvoice: %d logins while a token was alive", s.ReauthRequests)
		checkRefreshes("einvoice", s.RefreshRequests, bound)
		res.expect(s.DuplicateRefreshRequests == 0, "einvoice: %d duplicate refreshes (a second refresh in one window)", s.DuplicateRefreshRequests)
		res.expect(s.ExpiredTokenRequests == 0, "einvoice: %d requests with an expired token", s.ExpiredTokenRequests)
		res.expect(!exact || refreshes["einvoice"] == s.AuthRequests, "einvoice: the workers count %d exchanges, the emulator %d", refreshes["einvoice"], s.AuthRequests)
	}
	if slices.Contains(sc.sessions, "oauth") {
		o, err := r.oauth.stats()
		res.expect(err == nil, "reading oidc-provider's counts: %v", err)
		c := o.Clients[oauthClient]
		bound := windows(r.start, sc.oauthTTL)
		res.printf("   oauth     oidc-provider: token requests %d (issued %d, early %d), resource calls %d (ok %d, expired token %d, unknown token %d) | workers: %d calls, %d token requests",
			c.TokenRequests, c.TokensIssued, c.EarlyTokenRequests, o.Resource.Calls, o.Resource.OK, o.Resource.ExpiredTokenCalls, o.Resource.UnknownTokenCalls,
			calls["oauth"], refreshes["oauth"])
		checkRefreshes("oauth", c.TokenRequests-1, bound)
		res.expect(c.TokensIssued == c.TokenRequests, "oauth: %d of %d token requests got a token", c.TokensIssued, c.TokenRequests)
		res.expect(c.EarlyTokenRequests == 0, "oauth: %d token requests while the newest token was in the first half of its life", c.EarlyTokenRequests)
		res.expect(o.Resource.ExpiredTokenCalls == 0, "oauth: %d calls with an expired token", o.Resource.ExpiredTokenCalls)
		res.expect(o.Resource.UnknownTokenCalls == 0, "oauth: %d calls with an unknown token", o.Resource.UnknownTokenCalls)
		res.expect(o.Resource.OK >= calls["oauth"], "oauth: the workers count %d good calls, the resource answered %d", calls["oauth"], o.Resource.OK)
		res.expect(!exact || refreshes["oauth"] == c.TokenRequests, "oauth: the workers count %d token requests, oidc-provider %d", refreshes["oauth"], c.TokenRequests)
	}
	if len(res.failures) == 0 {
		res.printf("   PASS (%s)", r.end.Sub(r.start).Round(time.Second))
	} else {
		res.printf("   FAIL: %d checks; logs in %s", len(res.failures), res.dir)
	}
}
