package sandbox

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"time"

	"github.com/gstauth/gstauth/gstcrypto"
)

// The GSTN taxpayer API under /taxpayerapi/v1.0:
//
//	POST authenticate          OTPREQUEST, AUTHTOKEN (OTP 575757), REFRESHTOKEN, LOGOUT
//	GET  authenticate          action=EVCOTP
//	POST returns/gstr1         RETSAVE: {action, data, hmac} under the session key → {status_cd, data, rek, hmac}
//	GET  returns/gstr1         action=RETSUM&gstin&ret_period → the saved invoices, encrypted
//
// authenticate needs the five headers GSTN documents — clientid,
// client-secret, state-cd, ip-usr, txn — and no more: Risersoft
// (GSTNAuthClient.cs) and Vayana send only those, and Vayana's GSP docs list
// exactly them for the auth actions. gstin and username headers are
// optional (india-compliance sends them); when present they must agree
// with state-cd and the body's username. The user comes from the body, the
// state from state-cd. Returns calls carry gstin and username as well
// (GSTN's returns API headers), and auth-token and ret_period.
//
// status_cd is a string, "1" or "0", as GSTN sends it: india-compliance
// compares it with the string "1", and the GSTN answers GSPs reproduce
// (the AUTH403 sample Sandbox.co.in shows) carry "status_cd": "0". Errors are
// {status_cd:"0", error:{error_cd, message}} with the codes of codes.go.

type gstnSession struct {
	token, username, stateCd string
	gstin                    string // "" until a request names it
	ek                       []byte
	expires, windowEnds      time.Time
}

func (g *gstnSession) id() sessionID {
	return sessionID{api: "gstn", clientID: ClientID, gstin: g.gstin, stateCd: g.stateCd, username: g.username}
}

func gstnError(code, msg string) map[string]any {
	return map[string]any{"status_cd": "0", "error": map[string]string{"error_cd": code, "message": msg}}
}

func (s *Server) gstnFail(w http.ResponseWriter, c ProviderCode) {
	s.writeJSON(w, 200, gstnError(c.Code, c.Message))
}

func (s *Server) gstnRoutes() {
	s.mux.HandleFunc("POST /taxpayerapi/v1.0/authenticate", s.gstnAuthenticate)
	s.mux.HandleFunc("GET /taxpayerapi/v1.0/authenticate", s.gstnEVCOTP)
	s.mux.HandleFunc("POST /taxpayerapi/v1.0/returns/gstr1", s.gstnSave)
	s.mux.HandleFunc("GET /taxpayerapi/v1.0/returns/gstr1", s.gstnSummary)
}

// The emulator reads GSTINs and state codes itself rather than through the
// client core, so that a mistake there cannot hide the same mistake here.
var gstinPattern = regexp.MustCompile(`^[0-9]{2}[0-9A-Z]{13}$`)

// validStateCode reports whether sc is a GST state code: 01-38, 97 (other
// territory), 99 (centre jurisdiction).
func validStateCode(sc string) bool {
	if len(sc) != 2 || sc[0] < '0' || sc[0] > '9' || sc[1] < '0' || sc[1] > '9' {
		return false
	}
	n := int(sc[0]-'0')*10 + int(sc[1]-'0')
	return (n >= 1 && n <= 38) || n == 97 || n == 99
}

// gstinStateCode returns the state code of a GSTIN (its first two digits),
// or "" when gstin is not a GSTIN of a GST state.
func gstinStateCode(gstin string) string {
	if !gstinPattern.MatchString(gstin) || !validStateCode(gstin[:2]) {
		return ""
	}
	return gstin[:2]
}

// gstnHeaders checks the five headers every GSTN call carries, and the
// gstin header when there is one. It returns the state code and the gstin
// header ("" when absent), or writes the error.
func (s *Server) gstnHeaders(w http.ResponseWriter, r *http.Request) (stateCd, gstin string, ok bool) {
	h := r.Header
	if !constEq(h.Get("clientid"), ClientID) || !constEq(h.Get("client-secret"), ClientSecret) {
		s.gstnFail(w, gstnBadClient)
		return "", "", false
	}
	stateCd, gstin = h.Get("state-cd"), h.Get("gstin")
	if h.Get("ip-usr") == "" || h.Get("txn") == "" || stateCd == "" {
		s.gstnFail(w, gstnHeaderMissing)
		return "", "", false
	}
	if !validStateCode(stateCd) {
		s.gstnFail(w, gstnBadStateCode)
		return "", "", false
	}
	if gstin != "" {
		if gstinStateCode(gstin) != stateCd {
			s.gstnFail(w, gstnBadStateCode)
			return "", "", false
		}
	}
	return stateCd, gstin, true
}

func (s *Server) gstnAuthenticate(w http.ResponseWriter, r *http.Request) {
	stateCd, gstin, ok := s.gstnHeaders(w, r)
	if !ok {
		return
	}
	raw, _ := readBody(r)
	var body struct {
		Action    string `json:"action"`
		AppKey    string `json:"app_key"`
		Username  string `json:"username"`
		OTP       string `json:"otp"`
		AuthToken string `json:"auth_token"`
	}
	if json.Unmarshal(raw, &body) != nil {
		s.gstnFail(w, gstnMalformed)
		return
	}
	if body.Username != Username || (r.Header.Get("username") != "" && r.Header.Get("username") != body.Username) {
		s.gstnFail(w, gstnBadUser)
		return
	}
	id := sessionID{api: "gstn", clientID: ClientID, gstin: gstin, stateCd: stateCd, username: body.Username}
	rsaKey := func() ([]byte, bool) {
		ct, err := base64.StdEncoding.DecodeString(body.AppKey)
		if err != nil {
			s.gstnFail(w, gstnBadAppKey)
			return nil, false
		}
		k, err := gstcrypto.DecryptRSA(s.gstnKey, ct)
		if err != nil || !usableAppKey(k) {
			s.gstnFail(w, gstnBadAppKey)
			return nil, false
		}
		return k, true
	}
	now := s.now()
	switch body.Action {
	case "OTPREQUEST":
		s.count(id, func(st *SessionStats) { st.OTPRequests++ })
		k, ok := rsaKey()
		if !ok {
			return
		}
		s.mu.Lock()
		s.gstnOTP[id.key()] = k
		s.mu.Unlock()
		s.writeJSON(w, 200, map[string]string{"status_cd": "1"})
	case "AUTHTOKEN":
		s.mu.Lock()
		live := s.liveGSTNSessionLocked(id, now)
		s.countLocked(id, func(st *SessionStats) {
			st.AuthRequests++
			if live {
				st.ReauthRequests++
			}
		})
		s.mu.Unlock()
		k, ok := rsaKey()
		if !ok {
			return
		}
		otpCT, err := base64.StdEncoding.DecodeString(body.OTP)
		if err != nil {
			s.gstnFail(w, gstnBadOTP)
			return
		}
		otp, err := decryptUnderAppKey(k, otpCT)
		if err != nil || !constEq(string(otp), OTP) {
			s.gstnFail(w, gstnBadOTP)
			return
		}
		s.issueGSTN(w, &gstnSession{username: id.username, stateCd: stateCd, gstin: gstin, windowEnds: now.Add(s.opts.AccessWindow)}, k, now)
	case "REFRESHTOKEN":
		s.mu.Lock()
		again := s.gstnRefreshed[body.AuthToken]
		s.countLocked(id, func(st *SessionStats) {
			st.RefreshRequests++
			if again {
				st.DuplicateRefreshRequests++
			}
		})
		s.mu.Unlock()
		sess, ok := s.gstnSessionOf(w, body.AuthToken, id, now, false)
		if !ok {
			return
		}
		ct, err := base64.StdEncoding.DecodeString(body.AppKey)
		var k []byte
		if err == nil {
			k, err = gstcrypto.DecryptAESECB(sess.ek, ct) // the new app key under the current session key
		}
		if err != nil || !usableAppKey(k) {
			s.gstnFail(w, gstnBadAppKey)
			return
		}
		if !now.Before(sess.windowEnds) {
			s.gstnFail(w, gstnWindowOver)
			return
		}
		s.mu.Lock()
		delete(s.gstn, sess.token)
		s.gstnRefreshed[sess.token] = true
		s.mu.Unlock()
		s.issueGSTN(w, &gstnSession{username: sess.username, stateCd: sess.stateCd, gstin: sess.gstin, windowEnds: sess.windowEnds}, k, now)
	case "LOGOUT":
		if _, ok := rsaKey(); !ok {
			return
		}
		sess, ok := s.gstnSessionOf(w, body.AuthToken, id, now, false)
		if !ok {
			return
		}
		s.mu.Lock()
		delete(s.gstn, sess.token)
		s.mu.Unlock()
		s.writeJSON(w, 200, map[string]string{"status_cd": "1"})
	default:
		s.gstnFail(w, gstnBadAction)
	}
}

// liveGSTNSessionLocked reports whether the session has a token that has
// not expired; the caller holds s.mu.
func (s *Server) liveGSTNSessionLocked(id sessionID, now time.Time) bool {
	for _, x := range s.gstn {
		if x.username == id.username && x.stateCd == id.stateCd && now.Before(x.expires) {
			return true
		}
	}
	return false
}

// issueGSTN makes a session with a fresh EK, sent under the app key.
func (s *Server) issueGSTN(w http.ResponseWriter, sess *gstnSession, appKey []byte, now time.Time) {
	ek, _ := gstcrypto.NewAppKey(nil, nil)
	minutes := int64((s.opts.TokenLifetime + time.Minute - 1) / time.Minute)
	sess.token, sess.ek = randomToken("gstn-"), ek
	sess.expires = now.Add(time.Duration(minutes) * time.Minute)
	if sess.expires.After(sess.windowEnds) {
		sess.expires = sess.windowEnds
	}
	enc, err := encryptUnderAppKey(appKey, ek)
	if err != nil {
		s.gstnFail(w, gstnBadAppKey)
		return
	}
	s.mu.Lock()
	s.gstn[sess.token] = sess
	s.mu.Unlock()
	s.writeJSON(w, 200, map[string]any{"status_cd": "1", "auth_token": sess.token, "expiry": minutes,
		"sek": base64.StdEncoding.EncodeToString(enc)})
}

// gstnSessionOf finds the session of token for the user and state of id,
// checks the GSTIN when both the request and the session name one, binds
// the session to the request's GSTIN when bind is set and it had none, and
// counts a request made with an expired token. It returns a copy, taken
// under the lock.
func (s *Server) gstnSessionOf(w http.ResponseWriter, token string, id sessionID, now time.Time, bind bool) (*gstnSession, bool) {
	s.mu.Lock()
	sess := s.gstn[token]
	var fail *ProviderCode
	switch {
	case sess == nil || sess.username != id.username || sess.stateCd != id.stateCd ||
		(id.gstin != "" && sess.gstin != "" && sess.gstin != id.gstin):
		fail = &gstnBadSession
	case !now.Before(sess.expires):
		s.countLocked(sess.id(), func(st *SessionStats) { st.ExpiredTokenRequests++ })
		fail = &gstnExpired
	case bind && sess.gstin == "":
		sess.gstin = id.gstin
		s.countLocked(sess.id(), func(*SessionStats) {})
	}
	var c gstnSession
	if fail == nil {
		c = *sess
	}
	s.mu.Unlock()
	if fail != nil {
		s.gstnFail(w, *fail)
		return nil, false
	}
	return &c, true
}

func (s *Server) gstnEVCOTP(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.gstnHeaders(w, r); !ok {
		return
	}
	q := r.URL.Query()
	switch {
	case q.Get("action") != "EVCOTP":
		s.gstnFail(w, gstnBadAction)
	case r.Header.Get("username") == "":
		s.gstnFail(w, gstnEVCNoUser)
	case q.Get("pan") == "":
		s.gstnFail(w, gstnEVCNoPAN)
	case q.Get("form_type") == "":
		s.gstnFail(w, gstnEVCNoFormType)
	default:
		s.writeJSON(w, 200, map[string]string{"status_cd": "1"})
	}
}

// gstnCallSession checks the headers of a returns call — the five, plus
// gstin and username, plus an auth-token of that user and GSTIN — and binds
// the session to the GSTIN if no request had named one yet.
func (s *Server) gstnCallSession(w http.ResponseWriter, r *http.Request) (*gstnSession, bool) {
	stateCd, gstin, ok := s.gstnHeaders(w, r)
	if !ok {
		return nil, false
	}
	username := r.Header.Get("username")
	if gstin == "" || username == "" {
		s.gstnFail(w, gstnHeaderMissing)
		return nil, false
	}
	id := sessionID{api: "gstn", clientID: ClientID, gstin: gstin, stateCd: stateCd, username: username}
	return s.gstnSessionOf(w, r.Header.Get("auth-token"), id, s.now(), true)
}

// checkRetPeriod checks the ret_period header (MMYYYY).
func (s *Server) checkRetPeriod(w http.ResponseWriter, p string) bool {
	if p == "" {
		s.gstnFail(w, gstnNoRetPeriod)
		return false
	}
	if !retPeriodOK(p) {
		s.gstnFail(w, gstnBadRetPeriod)
		return false
	}
	return true
}

func retPeriodOK(p string) bool {
	if len(p) != 6 {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	m := int(p[0]-'0')*10 + int(p[1]-'0')
	return m >= 1 && m <= 12
}

func (s *Server) gstnSave(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.gstnCallSession(w, r)
	if !ok {
		return
	}
	retPeriod := r.Header.Get("ret_period")
	if !s.checkRetPeriod(w, retPeriod) {
		return
	}
	raw, _ := readBody(r)
	var body struct {
		Action string `json:"action"`
		Data   string `json:"data"`
		HMAC   string `json:"hmac"`
	}
	if json.Unmarshal(raw, &body) != nil || body.Action != "RETSAVE" {
		s.gstnFail(w, gstnBadRequest)
		return
	}
	payload, err := gstcrypto.DecryptGSTNRequest(sess.ek, body.Data, body.HMAC)
	if err != nil || !json.Valid(payload) {
		s.gstnFail(w, gstnBadPayload)
		return
	}
	key := sess.gstin + "|" + retPeriod
	s.mu.Lock()
	s.returns[key] = append(s.returns[key], json.RawMessage(payload))
	s.mu.Unlock()
	ref := "REF" + itoa(100000+s.nextID())
	s.writeEncrypted(w, sess.ek, map[string]string{"reference_id": ref, "status": "saved", "ret_period": retPeriod})
}

func (s *Server) gstnSummary(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.gstnCallSession(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Get("action") != "RETSUM" || q.Get("gstin") != sess.gstin || !retPeriodOK(q.Get("ret_period")) {
		s.gstnFail(w, gstnBadParams)
		return
	}
	s.mu.Lock()
	saved := append([]json.RawMessage(nil), s.returns[sess.gstin+"|"+q.Get("ret_period")]...)
	s.mu.Unlock()
	s.writeEncrypted(w, sess.ek, map[string]any{"gstin": sess.gstin, "ret_period": q.Get("ret_period"),
		"saved": len(saved), "payloads": saved})
}

func (s *Server) writeEncrypted(w http.ResponseWriter, ek []byte, v any) {
	js, _ := json.Marshal(v)
	resp, err := gstcrypto.EncryptGSTNResponse(nil, ek, js)
	if err != nil {
		s.writeJSON(w, 500, gstnError(gstnEncryptFailure.Code, gstnEncryptFailure.Message))
		return
	}
	s.writeJSON(w, 200, map[string]string{"status_cd": "1", "data": resp.Data, "rek": resp.Rek, "hmac": resp.HMAC})
}

func constEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
