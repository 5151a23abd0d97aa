package sandbox

import (
	"net/http"
	"sort"
	"time"
)

// The emulator counts, per session, what a well-behaved client keeps rare:
// OTP requests, authentications while a session is still alive, refreshes
// (and second refreshes of one token), and calls made with an expired
// token. Tests read the counts at
// GET /_sandbox/stats and clear them with DELETE /_sandbox/stats.
//
// A session is who the provider logs in, so a token chain keeps one entry
// across refreshes and re-authentications:
//   - GSTN: the user name (the authenticate body's) within the state of the
//     state-cd header, "gstn/<state-cd>/<username>". GSTN user names are the
//     taxpayer's, so this is the GSTIN/username pair; the GSTIN is shown once
//     a request names it (the optional gstin header on authenticate, or the
//     first returns call), since Risersoft- and Vayana-style clients do not
//     send it when they log in.
//   - NIC: client id, GSTIN and user, "einvoice/<client>/<gstin>/<user>" and
//     "ewaybill/<client>/<gstin>/<user>".
//
// A request is counted once it names a known user, whether it then
// succeeds or not: an AUTHTOKEN with a wrong OTP is still an authentication
// request.

// SessionStats are the counts of one session.
type SessionStats struct {
	// Session is the key: "gstn/<state-cd>/<username>",
	// "einvoice/<client>/<gstin>/<user>" or "ewaybill/<client>/<gstin>/<user>".
	Session  string `json:"session"`
	API      string `json:"api"` // gstn, einvoice or ewaybill
	ClientID string `json:"client_id"`
	GSTIN    string `json:"gstin"` // "" for a GSTN session no request has named a GSTIN for yet
	StateCd  string `json:"state_cd"`
	Username string `json:"username"`
	// OTPRequests counts GSTN OTPREQUESTs.
	OTPRequests int64 `json:"otp_requests"`
	// AuthRequests counts logins: GSTN AUTHTOKEN, NIC auth (a
	// ForceRefreshAccessToken auth included).
	AuthRequests int64 `json:"auth_requests"`
	// ReauthRequests counts the logins sent while a token of the session
	// was still alive: GSTN AUTHTOKEN, e-invoice auth without
	// ForceRefreshAccessToken, e-way bill ACCESSTOKEN.
	ReauthRequests int64 `json:"reauth_requests"`
	// RefreshRequests counts GSTN REFRESHTOKENs and e-invoice auths with
	// ForceRefreshAccessToken sent while a token was alive (e-way bill has
	// no refresh).
	RefreshRequests int64 `json:"refresh_requests"`
	// ExpiredTokenRequests counts requests that carried a token of the
	// session after it expired (business calls, REFRESHTOKEN, LOGOUT).
	ExpiredTokenRequests int64 `json:"expired_token_requests"`
	// DuplicateRefreshRequests counts the refreshes (among
	// RefreshRequests) of a token that had been replaced already, the
	// second refresh of one window: GSTN REFRESHTOKENs presenting a token
	// an earlier REFRESHTOKEN replaced; e-invoice ForceRefreshAccessToken
	// auths while the live token is in the first half of its lifetime,
	// that is, just issued (NIC's force refresh names no token; no client
	// refreshes at its margin that early, since margins are at most a
	// quarter of the lifetime).
	DuplicateRefreshRequests int64 `json:"duplicate_refresh_requests"`
}

// sessionID names a session; see SessionStats.Session.
type sessionID struct {
	api, clientID, gstin, stateCd, username string
}

func (id sessionID) key() string {
	if id.api == "gstn" {
		return "gstn/" + id.stateCd + "/" + id.username
	}
	return id.api + "/" + id.clientID + "/" + id.gstin + "/" + id.username
}

// count applies f to the session's counts; the caller holds no lock.
func (s *Server) count(id sessionID, f func(*SessionStats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.countLocked(id, f)
}

func (s *Server) countLocked(id sessionID, f func(*SessionStats)) {
	k := id.key()
	st := s.stats[k]
	if st == nil {
		st = &SessionStats{Session: k, API: id.api, ClientID: id.clientID, GSTIN: id.gstin, StateCd: id.stateCd, Username: id.username}
		s.stats[k] = st
	}
	if id.gstin != "" {
		st.GSTIN = id.gstin
	}
	f(st)
}

// Stats returns the counts of every session seen since the start or the
// last ResetStats, ordered by session.
func (s *Server) Stats() []SessionStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SessionStats, 0, len(s.stats))
	for _, st := range s.stats {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Session < out[j].Session })
	return out
}

// ResetStats clears the counts (not the sessions: a login after a reset
// while a token is alive still counts as a re-authentication).
func (s *Server) ResetStats() {
	s.mu.Lock()
	s.stats = map[string]*SessionStats{}
	s.mu.Unlock()
}

func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, 200, map[string]any{"sessions": s.Stats()})
}

func (s *Server) handleResetStats(w http.ResponseWriter, r *http.Request) {
	s.ResetStats()
	s.writeJSON(w, 200, map[string]any{"sessions": []SessionStats{}})
}

// authWindow counts the e-way bill ACCESSTOKEN requests of one user since
// the first of a 15-minute window.
type authWindow struct {
	start time.Time
	hits  int
}

// ewbAuthWindow is how long NIC counts ACCESSTOKEN requests (TaxPro:
// "5 hits ... within 15 min ... allowed after 15 min of first access").
const ewbAuthWindow = 15 * time.Minute

// allowEWBAuth counts one ACCESSTOKEN request and reports whether it is
// within Options.EWBAuthLimit.
func (s *Server) allowEWBAuth(gstin, user string, now time.Time) bool {
	if s.opts.EWBAuthLimit < 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := gstin + "/" + user
	a := s.ewbAuthHits[k]
	if a == nil || !now.Before(a.start.Add(ewbAuthWindow)) {
		a = &authWindow{start: now}
		s.ewbAuthHits[k] = a
	}
	a.hits++
	return a.hits <= s.opts.EWBAuthLimit
}
